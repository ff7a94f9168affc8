//! The repository carries everything its build and tests read: no tracked file names
//! the folder beside the checkout that only this team's machines have, so a user's
//! clone, a fork and CI build and test the same project. `scripts/clean-clone-check.sh`
//! (the end of `make test`) proves the same from an actual clone.

use std::path::Path;
use std::process::Command;

/// Built from parts so this file does not name it itself.
fn outside_folder() -> String {
    ["..", "shared"].join("/")
}

fn tracked_files() -> Vec<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("git is needed to list the tracked files: {e}"));
    assert!(
        output.status.success(),
        "git ls-files failed in {root}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("tracked paths are UTF-8")
        .split('\0')
        .filter(|path| !path.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn no_tracked_file_refers_to_a_folder_outside_the_repository() {
    let needle = outside_folder();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = tracked_files();
    assert!(
        files.len() > 100,
        "git ls-files listed only {} files",
        files.len()
    );
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| {
            // Binary files (screenshots) are read as bytes and searched all the same.
            std::fs::read(root.join(path))
                .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
        })
        .cloned()
        .collect();
    assert!(
        offenders.is_empty(),
        "these tracked files refer to {needle}, which a user's clone does not have; \
         use the in-repository copy under spec/ instead: {offenders:?}"
    );
}

#[test]
fn the_telnyx_material_is_in_the_repository() {
    let files = tracked_files();
    for path in [
        "spec/telnyx/openapi-call-control.json",
        "spec/telnyx/events.json",
        "spec/telnyx/README.md",
    ] {
        assert!(
            files.iter().any(|tracked| tracked == path),
            "{path} is not tracked"
        );
    }
}
