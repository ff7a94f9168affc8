//! HTTP/1.1 written by hand onto a socket, so a test can send what a well-behaved
//! client would not: repeated headers, raw dot segments, any bytes in the body.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The status code and the whole response as text (head and body).
pub struct RawReply {
    pub status: u16,
    pub text: String,
}

/// Sends one request to `authority` (`127.0.0.1:port`) on a fresh connection.
pub fn send(
    authority: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<RawReply> {
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nhost: {authority}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes())?;
    // A server may answer (413) and close before it has read the whole body.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    // "HTTP/1.1 401 Unauthorized": the second word.
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {text:?}")))?;
    Ok(RawReply { status, text })
}
