//! The log port: one JSON object per line on the runtime's console.

use crate::ports::{LogLine, Logger};

/// One JSON object per line on the runtime's console.
pub struct ConsoleLog;

impl Logger for ConsoleLog {
    fn log(&self, line: LogLine) {
        if let Ok(json) = serde_json::to_string(&line) {
            worker::console_log!("{json}");
        }
    }
}
