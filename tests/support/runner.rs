//! Runs one case of a suite that has its own `main` (the end-to-end and resilience
//! suites), printing `test {suite}::{name} ... ok` or the panic message.

use std::panic::{catch_unwind, AssertUnwindSafe};

pub fn run_case(suite: &str, name: &str, case: impl FnOnce()) -> bool {
    match catch_unwind(AssertUnwindSafe(case)) {
        Ok(()) => {
            println!("test {suite}::{name} ... ok");
            true
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            println!("test {suite}::{name} ... FAILED\n    {message}");
            false
        }
    }
}
