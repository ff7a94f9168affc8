//! Error responses in the Telnyx error shape, so one client reads this worker's errors
//! and Telnyx's alike: `{"errors":[{"code","title","detail","source":{"pointer"}}]}`.

use serde::Serialize;

/// An error the worker answers with: an HTTP status and Telnyx-shaped error objects
/// (one, plus any further ones of the same code in `more`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
    pub pointer: Option<String>,
    /// Further `(detail, pointer)` pairs, e.g. every invalid field of a body.
    pub more: Vec<(String, String)>,
}

#[derive(Serialize)]
struct Body<'a> {
    errors: Vec<Object<'a>>,
}

#[derive(Serialize)]
struct Object<'a> {
    code: &'a str,
    title: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source<'a>>,
}

#[derive(Serialize)]
struct Source<'a> {
    pointer: &'a str,
}

impl Problem {
    pub fn new(status: u16, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            pointer: None,
            more: Vec::new(),
        }
    }

    /// `422 invalid_parameter` at `pointer`: one bad field or query parameter.
    pub fn invalid_parameter(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(422, "invalid_parameter", detail).at(pointer)
    }

    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    pub fn title(&self) -> &'static str {
        match self.status {
            400 => "Bad Request",
            401 => "Unauthorized",
            404 => "Not Found",
            405 => "Method Not Allowed",
            409 => "Conflict",
            413 => "Payload Too Large",
            502 => "Bad Gateway",
            504 => "Gateway Timeout",
            422 => "Unprocessable Entity",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        }
    }

    pub fn to_json(&self) -> String {
        let first = Object {
            code: self.code,
            title: self.title(),
            detail: &self.detail,
            source: self.pointer.as_deref().map(|pointer| Source { pointer }),
        };
        let mut errors = vec![first];
        for (detail, pointer) in &self.more {
            errors.push(Object {
                code: self.code,
                title: self.title(),
                detail,
                source: Some(Source { pointer }),
            });
        }
        let body = Body { errors };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_telnyx_error_shape() {
        let json: serde_json::Value = serde_json::from_str(
            &Problem::new(400, "invalid_envelope", "`id` is required")
                .at("/data/id")
                .to_json(),
        )
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"errors": [{"code": "invalid_envelope", "title": "Bad Request",
                "detail": "`id` is required", "source": {"pointer": "/data/id"}}]})
        );
        let plain = Problem::new(401, "invalid_signature", "no").to_json();
        assert!(!plain.contains("source"));
    }
}
