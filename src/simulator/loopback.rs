//! An HTTP/1.1 server on `127.0.0.1` for the simulator and the tests' fakes, stopped
//! when dropped.
//!
//! Each connection has a thread of its own for as long as it is open, and each request
//! on it is answered by the handler on that thread, so a slow answer stalls only its
//! own connection and a new connection never waits for a free thread. (A pooled server
//! parks a new connection behind the open keep-alive ones: workerd keeps its
//! connections open, and a Worker's commands then waited five seconds for an idle pool
//! thread.) `httparse` reads the request's head; the body is the `content-length` bytes
//! that follow it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// The most a request's head (request line and headers) may take.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most headers a request may have.
const MAX_HEADERS: usize = 64;
/// The most a request's body may take.
const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// A request, read whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target as sent: the path and any query, still percent-encoded.
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The body as text (bytes that are not UTF-8 are replaced).
    pub body: String,
}

impl Request {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The URL without its query.
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or_default()
    }
}

/// What the handler answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// `status` with `body` as plain text.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: body.into(),
        }
    }

    /// `status` with `body` as JSON.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Handler = dyn Fn(Request) -> Response + Send + Sync;

/// The connections open now, so dropping the server closes them.
#[derive(Default)]
struct Open {
    next_id: AtomicU64,
    streams: Mutex<HashMap<u64, TcpStream>>,
}

impl Open {
    fn add(&self, stream: &TcpStream) -> Option<u64> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let clone = stream.try_clone().ok()?;
        self.lock().insert(id, clone);
        Some(id)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn close_all(&self) {
        for (_, stream) in self.lock().drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub struct LoopbackServer {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    port: u16,
    stopping: Arc<AtomicBool>,
    open: Arc<Open>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Listens on `port` (0: any free one) and answers each request with `handle`.
    pub fn start(
        port: u16,
        handle: impl Fn(Request) -> Response + Send + Sync + 'static,
    ) -> Result<Self, String> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("the listener has no address: {e}"))?
            .port();
        let handle: Arc<Handler> = Arc::new(handle);
        let stopping = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Open::default());
        let thread = {
            let (stopping, open) = (Arc::clone(&stopping), Arc::clone(&open));
            thread::spawn(move || accept(&listener, &handle, &stopping, &open))
        };
        Ok(Self {
            base: format!("http://127.0.0.1:{port}"),
            port,
            stopping,
            open,
            thread: Some(thread),
        })
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees it should stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.open.close_all();
    }
}

fn accept(listener: &TcpListener, handle: &Arc<Handler>, stopping: &AtomicBool, open: &Arc<Open>) {
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // Out of descriptors, say: wait a little rather than spin.
            thread::sleep(std::time::Duration::from_millis(10));
            continue;
        };
        let Some(id) = open.add(&stream) else {
            continue;
        };
        let (handle, open) = (Arc::clone(handle), Arc::clone(open));
        thread::spawn(move || {
            serve(stream, handle.as_ref());
            open.remove(id);
        });
    }
}

/// Answers the requests of one connection in turn until either side closes it.
fn serve(stream: TcpStream, handle: &Handler) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let (response, keep_alive) = match read_request(&mut reader, &mut writer) {
            Ok(None) => return,
            Ok(Some((request, keep_alive))) => (handle(request), keep_alive),
            Err(refused) => (refused, false),
        };
        if write_response(&mut writer, &response, keep_alive).is_err() || !keep_alive {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Whether the connection stays open after the answer: HTTP/1.1 keeps it unless asked
/// to close it, HTTP/1.0 closes it unless asked to keep it.
fn wants_keep_alive(request: &Request, http_1_1: bool) -> bool {
    let says = |option: &str| {
        request.header("connection").is_some_and(|value| {
            value
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case(option))
        })
    };
    if says("close") {
        false
    } else {
        says("keep-alive") || http_1_1
    }
}

/// The next request and whether the connection stays open after it, `None` once the
/// client closed the connection between requests, or the answer that refuses what it
/// sent. A client that waits for leave to send its body (`Expect: 100-continue`, as
/// curl does for a large one) gets it on `writer`.
fn read_request(
    reader: &mut impl BufRead,
    writer: &mut impl Write,
) -> Result<Option<(Request, bool)>, Response> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let read = reader
            .by_ref()
            .take((MAX_HEAD_BYTES + 1 - before) as u64)
            .read_until(b'\n', &mut head)
            .map_err(|e| Response::text(400, format!("the request could not be read: {e}")))?;
        if read == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(Response::text(
                    400,
                    "the connection closed inside a request's head",
                ))
            };
        }
        if head.len() > MAX_HEAD_BYTES {
            return Err(Response::text(
                431,
                format!("a request's head may take at most {MAX_HEAD_BYTES} bytes"),
            ));
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            break;
        }
        // Blank lines before a request line are ignored (RFC 9112, section 2.2).
        if head == b"\r\n" || head == b"\n" {
            head.clear();
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(Response::text(400, "the request's head is incomplete"))
        }
        Err(e) => return Err(Response::text(400, format!("not an HTTP request: {e}"))),
    }
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut request = Request {
        method: parsed.method.unwrap_or_default().to_owned(),
        url: parsed.path.unwrap_or_default().to_owned(),
        headers,
        body: String::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err(Response::text(
            411,
            "send the body with a content-length: transfer codings are not served",
        ));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(value) => value.trim().parse::<u64>().map_err(|_| {
            Response::text(400, format!("content-length {value:?} is not a number"))
        })?,
    };
    if length > MAX_BODY_BYTES {
        return Err(Response::text(
            413,
            format!("a body may take at most {MAX_BODY_BYTES} bytes"),
        ));
    }
    if length > 0
        && request
            .header("expect")
            .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"))
    {
        writer
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|()| writer.flush())
            .map_err(|e| Response::text(400, format!("the connection failed: {e}")))?;
    }
    let mut body = Vec::new();
    reader
        .by_ref()
        .take(length)
        .read_to_end(&mut body)
        .map_err(|e| Response::text(400, format!("the body could not be read: {e}")))?;
    if body.len() as u64 != length {
        return Err(Response::text(
            400,
            "the connection closed inside a request's body",
        ));
    }
    request.body = String::from_utf8_lossy(&body).into_owned();
    let keep_alive = wants_keep_alive(&request, parsed.version == Some(1));
    Ok(Some((request, keep_alive)))
}

fn write_response(
    writer: &mut impl Write,
    response: &Response,
    keep_alive: bool,
) -> std::io::Result<()> {
    let reason = http::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("");
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", response.status);
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n", response.body.len()));
    if !keep_alive {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    writer.write_all(head.as_bytes())?;
    writer.write_all(response.body.as_bytes())?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read(raw: &str) -> Result<Option<(Request, bool)>, Response> {
        read_request(
            &mut Cursor::new(raw.as_bytes().to_vec()),
            &mut std::io::sink(),
        )
    }

    #[test]
    fn reads_a_request_with_its_body_and_leaves_the_next_one() {
        let mut raw = Cursor::new(
            b"POST /v2/calls?x=1 HTTP/1.1\r\nContent-Length: 4\r\nX-A: b\r\n\r\nabcdGET / HTTP/1.1\r\n\r\n"
                .to_vec(),
        );
        let (first, kept) = read_request(&mut raw, &mut std::io::sink())
            .unwrap()
            .unwrap();
        assert!(kept, "HTTP/1.1 keeps the connection");
        assert_eq!(first.method, "POST");
        assert_eq!(first.url, "/v2/calls?x=1");
        assert_eq!(first.path(), "/v2/calls");
        assert_eq!(first.header("x-a"), Some("b"));
        assert_eq!(first.body, "abcd");
        let (second, _) = read_request(&mut raw, &mut std::io::sink())
            .unwrap()
            .unwrap();
        assert_eq!((second.method.as_str(), second.body.as_str()), ("GET", ""));
        assert_eq!(read_request(&mut raw, &mut std::io::sink()).unwrap(), None);
    }

    #[test]
    fn a_client_that_expects_100_continue_is_told_to_go_on() {
        let mut raw = Cursor::new(
            b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi".to_vec(),
        );
        let mut interim = Vec::new();
        let (request, _) = read_request(&mut raw, &mut interim).unwrap().unwrap();
        assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!(request.body, "hi");
    }

    #[test]
    fn keeps_the_connection_as_the_version_and_the_client_say() {
        let kept = |raw: &str| read(raw).unwrap().unwrap().1;
        assert!(kept("GET / HTTP/1.1\r\n\r\n"));
        assert!(!kept("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
        assert!(!kept("GET / HTTP/1.1\r\nConnection: TE, close\r\n\r\n"));
        assert!(!kept("GET / HTTP/1.0\r\n\r\n"));
        assert!(kept("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    }

    #[test]
    fn refuses_what_it_cannot_read_with_a_reason() {
        let status = |raw: &str| read(raw).unwrap_err().status;
        assert_eq!(status("NOT HTTP\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), 400);
        assert_eq!(
            status("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc"),
            400
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            411
        );
        let long = format!(
            "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        assert_eq!(status(&long), 431);
        assert_eq!(status("GET / HTTP/1.1\r\nX: a"), 400);
    }

    #[test]
    fn answers_many_connections_at_once_each_kept_open() {
        use std::sync::mpsc;
        use std::time::Duration;
        // The slow answer waits until every other client has its answers: with a
        // connection waiting behind it, it would wait in vain.
        let (release, released) = mpsc::channel::<()>();
        let released = Mutex::new(released);
        let server = LoopbackServer::start(0, move |request| {
            if request.path() == "/slow" {
                let waited = released
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(60));
                return Response::text(200, format!("{}", waited.is_ok()));
            }
            Response::json(200, format!("{{\"got\":\"{}\"}}", request.body))
        })
        .unwrap();
        let address = server.base.trim_start_matches("http://").to_owned();
        let exchange = |stream: &mut TcpStream, sent: String| -> String {
            stream.write_all(sent.as_bytes()).unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut line, mut length) = (String::new(), 0);
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                if let Some(value) = line.strip_prefix("content-length: ") {
                    length = value.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            String::from_utf8(body).unwrap()
        };
        let slow = {
            let address = address.clone();
            thread::spawn(move || {
                let mut stream = TcpStream::connect(address).unwrap();
                exchange(&mut stream, "GET /slow HTTP/1.1\r\n\r\n".into())
            })
        };
        let clients: Vec<_> = (0..16)
            .map(|n| {
                let address = address.clone();
                thread::spawn(move || {
                    let mut stream = TcpStream::connect(address).unwrap();
                    (0..2)
                        .map(|_| {
                            let body = format!("n{n}");
                            exchange(
                                &mut stream,
                                format!(
                                    "POST /x HTTP/1.1\r\ncontent-length: {}\r\n\r\n{body}",
                                    body.len()
                                ),
                            )
                        })
                        .collect::<String>()
                })
            })
            .collect();
        for (n, client) in clients.into_iter().enumerate() {
            assert_eq!(
                client.join().unwrap(),
                format!("{{\"got\":\"n{n}\"}}{{\"got\":\"n{n}\"}}")
            );
        }
        release.send(()).unwrap();
        assert_eq!(slow.join().unwrap(), "true", "the slow answer was released");
    }
}
