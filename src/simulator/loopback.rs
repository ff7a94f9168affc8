//! An HTTP server on `127.0.0.1` for the simulator and the tests' fake Telnyx:
//! one thread per request, so a slow answer stalls only itself; stopped when dropped.

use std::sync::Arc;
use std::thread::{self, JoinHandle};

pub struct LoopbackServer {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Listens on `port` (0: any free one) and answers each request with `handle`.
    pub fn start(
        port: u16,
        handle: impl Fn(tiny_http::Request) + Send + Sync + 'static,
    ) -> Result<Self, String> {
        let server = tiny_http::Server::http(("127.0.0.1", port))
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|addr| addr.port())
            .ok_or("not an IP listener")?;
        let server = Arc::new(server);
        let handle = Arc::new(handle);
        let thread = {
            let server = Arc::clone(&server);
            thread::spawn(move || {
                for request in server.incoming_requests() {
                    let handle = Arc::clone(&handle);
                    thread::spawn(move || handle(request));
                }
            })
        };
        Ok(Self {
            base: format!("http://127.0.0.1:{port}"),
            server,
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
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
