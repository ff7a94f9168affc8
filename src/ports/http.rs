//! The requests the Worker and the call objects handle, and their answers, as plain
//! values: the runtime's own types stay at the edge, so routing and handlers run
//! natively in tests.

use crate::domain::problem::Problem;

#[derive(Clone, Debug, Default)]
pub struct Request {
    pub method: String,
    /// The URL path as received, still percent-encoded.
    pub path: String,
    /// The URL query without its `?`, still percent-encoded.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A header sent more than once where one value is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepeatedHeader;

impl Request {
    /// The value of a header, matched case-insensitively; an error when it repeats.
    pub fn header(&self, name: &str) -> Result<Option<&str>, RepeatedHeader> {
        let mut values = self
            .headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str());
        let first = values.next();
        match values.next() {
            Some(_) => Err(RepeatedHeader),
            None => Ok(first),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Response {
    pub fn json(status: u16, body: String) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            body,
        }
    }

    /// `204`: done, with nothing to say.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

impl From<Problem> for Response {
    fn from(problem: Problem) -> Self {
        Self::json(problem.status, problem.to_json())
    }
}
