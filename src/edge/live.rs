//! The open streams of a call's states (`GET /calls/{id}/live`), kept in the call's
//! object: each is the writable side of a `TransformStream` (web-sys: `worker` has no
//! wrapper for it) whose readable side is the response body. After every request and
//! alarm the object offers its state; a state unchanged since the last offer is not
//! sent again.

use std::cell::RefCell;

use worker::js_sys::{Promise, Uint8Array};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::JsValue;
use worker::web_sys::{TransformStream, WritableStreamDefaultWriter};
use worker::{Headers, ResponseBuilder};

use crate::app::object::MAX_LIVE_STREAMS;

/// A stream whose reader has this many messages unread is dropped: a reader that is
/// there takes each at once, so the viewer is gone or stalled (and reconnects if it
/// comes back). It bounds what an object holds for its viewers.
const MAX_UNREAD: f64 = 8.0;

#[derive(Default)]
pub struct LiveStreams {
    writers: RefCell<Vec<WritableStreamDefaultWriter>>,
    /// The last state sent, so an unchanged one is not sent again.
    last: RefCell<Option<String>>,
}

/// Too many viewers of one call.
pub struct Full;

impl LiveStreams {
    pub fn is_empty(&self) -> bool {
        self.writers.borrow().is_empty()
    }

    /// A new stream that starts with `first`: the response to answer with.
    pub fn open(&self, first: &str) -> worker::Result<Result<worker::Response, Full>> {
        self.prune();
        if self.writers.borrow().len() >= MAX_LIVE_STREAMS {
            return Ok(Err(Full));
        }
        // The others catch up first, so every stream has had the last state.
        self.offer(first.to_owned());
        let pipe = TransformStream::new()?;
        let writer = pipe.writable().get_writer()?;
        write(&writer, first);
        self.writers.borrow_mut().push(writer);
        let headers = Headers::new();
        headers.set("content-type", "text/event-stream; charset=utf-8")?;
        headers.set("cache-control", "no-store")?;
        headers.set("x-accel-buffering", "no")?;
        Ok(Ok(ResponseBuilder::new()
            .with_status(200)
            .with_headers(headers)
            .stream(pipe.readable())))
    }

    /// Sends `frame` to every open stream unless it is the one sent last.
    pub fn offer(&self, frame: String) {
        if self.last.borrow().as_deref() == Some(frame.as_str()) {
            return;
        }
        self.prune();
        for writer in self.writers.borrow().iter() {
            write(writer, &frame);
        }
        *self.last.borrow_mut() = Some(frame);
    }

    /// Drops the streams whose reader went away (the writer errors) or stopped reading;
    /// aborting, not closing, discards the messages still queued for them.
    fn prune(&self) {
        self.writers
            .borrow_mut()
            .retain(|writer| match writer.desired_size() {
                Ok(Some(size)) if size > -MAX_UNREAD => true,
                _ => {
                    ignore_rejection(writer.abort());
                    false
                }
            });
    }
}

fn write(writer: &WritableStreamDefaultWriter, text: &str) {
    ignore_rejection(writer.write_with_chunk(&Uint8Array::from(text.as_bytes())));
}

thread_local! {
    /// One handler for every write that fails because its reader went away; the
    /// stream is pruned on the next offer.
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

fn ignore_rejection(promise: Promise) {
    IGNORE.with(|ignore| {
        let _ = promise.catch(ignore);
    });
}
