//! What the examples' command lines share.

use std::process::ExitCode;

/// The parsed options, or the exit code once the problem and the usage are printed:
/// `--help` (an empty problem) exits 0, a bad argument 2.
pub fn options_or_usage<T>(
    tool: &str,
    usage: &str,
    parsed: Result<T, String>,
) -> Result<T, ExitCode> {
    parsed.map_err(|problem| {
        if !problem.is_empty() {
            eprintln!("{tool}: {problem}\n");
        }
        eprintln!("{usage}");
        if problem.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        }
    })
}
