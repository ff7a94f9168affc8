//! The operator console's files, served by the Worker itself: `GET`/`HEAD` `/console`
//! (the page) and `/console/{file}` (its modules, styles and uPlot), each with the
//! console's headers and an `ETag`. Not static assets: under `wrangler dev`, assets put
//! Miniflare's asset router in front of every request, webhooks included
//! (docs/performance.md). The edge embeds the files in the wasm and hands them here;
//! tests hand a table of their own.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::{method_not_allowed, no_such_route};
use crate::ports::http::{Request, Response};

pub const HTML: &str = "text/html; charset=utf-8";
pub const JAVASCRIPT: &str = "text/javascript";
pub const CSS: &str = "text/css";

/// The headers of every file: no inline script or style runs, the page talks to its own
/// origin only, nothing sniffs types or frames it, and the browser asks again each time
/// (a `304` while its copy's `ETag` still matches).
const HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-cache"),
];

/// One file of the console.
pub struct ConsoleFile {
    /// The path it is served at, e.g. `/console/app.js`.
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
    /// A strong validator of `body`, quoted.
    pub etag: String,
}

impl ConsoleFile {
    /// The file, with the first 128 bits of its SHA-256 as its `ETag`.
    pub fn new(path: &'static str, content_type: &'static str, body: &'static str) -> Self {
        let digest = Sha256::digest(body.as_bytes());
        Self {
            path,
            content_type,
            body,
            etag: format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..16])),
        }
    }
}

/// Whether the console answers this path: the webhook path pays this check only.
pub fn is_console_path(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/")
}

/// The answer to a request for a console path (see [`is_console_path`]): the file, a
/// `304` when the browser's copy is current, or the usual `404` and `405`.
pub fn answer(files: &[ConsoleFile], request: &Request) -> Response {
    let Some(file) = files.iter().find(|file| file.path == request.path) else {
        return no_such_route();
    };
    let head = match request.method.as_str() {
        "GET" => false,
        "HEAD" => true,
        _ => return method_not_allowed("GET, HEAD"),
    };
    let policy = HEADERS
        .iter()
        .map(|&(name, value)| (name, value.to_owned()))
        .chain([("etag", file.etag.clone())]);
    // A repeated header reads as none: the file is sent whole.
    let cached = request
        .header("if-none-match")
        .ok()
        .flatten()
        .is_some_and(|tags| matches_any(tags, &file.etag));
    if cached {
        return Response {
            status: 304,
            headers: policy.collect(),
            body: String::new(),
        };
    }
    Response {
        status: 200,
        headers: [("content-type", file.content_type.to_owned())]
            .into_iter()
            .chain(policy)
            .collect(),
        body: if head {
            String::new()
        } else {
            file.body.to_owned()
        },
    }
}

/// RFC 9110's `If-None-Match`: `*`, or a list of tags compared weakly (a `W/` prefix,
/// which a compressing proxy may add, still matches).
fn matches_any(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<ConsoleFile> {
        vec![
            ConsoleFile::new("/console", HTML, "<!doctype html>"),
            ConsoleFile::new("/console/app.js", JAVASCRIPT, "import './state.js';"),
            ConsoleFile::new("/console/vendor/uplot.min.css", CSS, ".u{}"),
        ]
    }

    fn request(method: &str, path: &str, if_none_match: Option<&str>) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            headers: if_none_match
                .map(|tags| ("If-None-Match".to_owned(), tags.to_owned()))
                .into_iter()
                .collect(),
            ..Request::default()
        }
    }

    fn send(method: &str, path: &str, if_none_match: Option<&str>) -> Response {
        answer(&files(), &request(method, path, if_none_match))
    }

    #[test]
    fn only_the_console_paths_are_the_consoles() {
        for path in ["/console", "/console/", "/console/app.js", "/console/nope"] {
            assert!(is_console_path(path), "{path}");
        }
        for path in [
            "/webhooks/telnyx",
            "/consoles",
            "/console.html",
            "/",
            "/calls",
        ] {
            assert!(!is_console_path(path), "{path}");
        }
    }

    #[test]
    fn each_file_is_served_with_its_type_and_the_consoles_headers() {
        for (path, content_type, body) in [
            ("/console", HTML, "<!doctype html>"),
            ("/console/app.js", JAVASCRIPT, "import './state.js';"),
            ("/console/vendor/uplot.min.css", CSS, ".u{}"),
        ] {
            let response = send("GET", path, None);
            assert_eq!(response.status, 200, "{path}");
            assert_eq!(response.body, body);
            assert_eq!(response.header("content-type"), Some(content_type));
            for (name, value) in HEADERS {
                assert_eq!(response.header(name), Some(value), "{path}: {name}");
            }
            let csp = response
                .header("content-security-policy")
                .unwrap_or_default();
            assert!(csp.contains("script-src 'self';") && !csp.contains("unsafe"));
            assert_eq!(response.header("x-frame-options"), Some("DENY"));
        }
    }

    #[test]
    fn head_is_get_without_the_body() {
        let get = send("GET", "/console/app.js", None);
        let head = send("HEAD", "/console/app.js", None);
        assert_eq!(head.status, 200);
        assert_eq!(head.headers, get.headers);
        assert!(head.body.is_empty());
    }

    #[test]
    fn a_current_copy_is_answered_304() {
        let etag = send("GET", "/console", None)
            .header("etag")
            .map(str::to_owned)
            .unwrap_or_default();
        assert!(etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'));
        let weak = format!("W/{etag}");
        let listed = format!("\"other\", {etag}");
        for (method, tags) in [
            ("GET", etag.as_str()),
            ("HEAD", etag.as_str()),
            ("GET", weak.as_str()),
            ("GET", listed.as_str()),
            ("GET", "*"),
        ] {
            let response = send(method, "/console", Some(tags));
            assert_eq!(response.status, 304, "{method} {tags}");
            assert!(response.body.is_empty());
            assert_eq!(response.header("etag"), Some(etag.as_str()));
            assert_eq!(response.header("cache-control"), Some("no-cache"));
            assert_eq!(response.header("content-type"), None);
        }
    }

    #[test]
    fn a_stale_copy_is_sent_the_file() {
        let fresh = send("GET", "/console/app.js", Some("\"an-earlier-build\""));
        assert_eq!(fresh.status, 200);
        assert_eq!(fresh.body, "import './state.js';");
        // Another file's tag is not this one's.
        let other = send("GET", "/console", None);
        let tag = other.header("etag").unwrap_or_default();
        assert_eq!(send("GET", "/console/app.js", Some(tag)).status, 200);
    }

    #[test]
    fn each_file_has_its_own_tag_and_the_same_bytes_the_same_tag() {
        let tags: Vec<String> = files().into_iter().map(|file| file.etag).collect();
        assert_ne!(tags[0], tags[1]);
        assert_ne!(tags[1], tags[2]);
        assert_eq!(
            ConsoleFile::new("/a", CSS, "same").etag,
            ConsoleFile::new("/b", HTML, "same").etag
        );
    }

    #[test]
    fn an_unknown_file_is_404_in_the_telnyx_shape() {
        for method in ["GET", "POST"] {
            let response = send(method, "/console/nope.js", None);
            assert_eq!(response.status, 404);
            let body: serde_json::Value = serde_json::from_str(&response.body).unwrap_or_default();
            assert_eq!(body["errors"][0]["code"], "not_found");
        }
        assert_eq!(send("GET", "/console/", None).status, 404);
    }

    #[test]
    fn other_methods_are_405_with_allow() {
        for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
            let response = send(method, "/console", None);
            assert_eq!(response.status, 405, "{method}");
            assert_eq!(response.header("allow"), Some("GET, HEAD"));
            let body: serde_json::Value = serde_json::from_str(&response.body).unwrap_or_default();
            assert_eq!(body["errors"][0]["code"], "method_not_allowed");
        }
    }
}
