//! The operator console's files, embedded in the wasm when it is compiled (`make build`
//! copies uPlot into `public/console/vendor/` first), and served by
//! [`crate::app::console`]. Every file under `public/console/` is listed here
//! (tests/console_modules.rs checks).

use crate::app::console::{self, ConsoleFile, CSS, HTML, JAVASCRIPT};
use crate::ports::http::{Request, Response};

/// `public/console/{name}`, served at `/console/{name}`.
macro_rules! embedded {
    ($name:literal, $content_type:expr) => {
        ConsoleFile::new(
            concat!("/console/", $name),
            $content_type,
            include_str!(concat!("../../public/console/", $name)),
        )
    };
}

fn files() -> Vec<ConsoleFile> {
    vec![
        ConsoleFile::new("/console", HTML, include_str!("../../public/console.html")),
        embedded!("api.js", JAVASCRIPT),
        embedded!("app.js", JAVASCRIPT),
        embedded!("call.js", JAVASCRIPT),
        embedded!("charts.js", JAVASCRIPT),
        embedded!("controls.js", JAVASCRIPT),
        embedded!("dashboard.js", JAVASCRIPT),
        embedded!("dom.js", JAVASCRIPT),
        embedded!("encoding.js", JAVASCRIPT),
        embedded!("list.js", JAVASCRIPT),
        embedded!("render.js", JAVASCRIPT),
        embedded!("signin.js", JAVASCRIPT),
        embedded!("state.js", JAVASCRIPT),
        embedded!("supervision.js", JAVASCRIPT),
        embedded!("timeline.js", JAVASCRIPT),
        embedded!("style.css", CSS),
        embedded!("vendor/uplot.esm.js", JAVASCRIPT),
        embedded!("vendor/uplot.min.css", CSS),
    ]
}

thread_local! {
    /// Hashed for their ETags once per isolate, on its first console request.
    static FILES: Vec<ConsoleFile> = files();
}

/// The answer to a request for a console path.
pub(super) fn answer(request: &Request) -> Response {
    FILES.with(|files| console::answer(files, request))
}
