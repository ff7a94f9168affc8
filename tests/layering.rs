//! The crate's layers stay layered: the pure core (`domain`) names no port, pipeline or
//! runtime code; the ports name no pipeline code; and within each module directory the
//! files do not import each other in a circle, so each has a lower and a higher side.
//! Doc comments may point anywhere: only code is read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A file's code without its comments and without its `#[cfg(test)]` module (tests may
/// reach anywhere).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn offenders(dir: &str, forbidden: &[&str]) -> Vec<String> {
    rust_files(&src().join(dir))
        .into_iter()
        .filter_map(|path| {
            let code = code(&path);
            let found: Vec<&&str> = forbidden.iter().filter(|f| code.contains(**f)).collect();
            (!found.is_empty()).then(|| format!("{} names {found:?}", path.display()))
        })
        .collect()
}

#[test]
fn the_core_names_no_port_pipeline_or_runtime() {
    let found = offenders(
        "domain",
        &["crate::ports", "crate::app", "crate::edge", "worker::"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_ports_name_no_pipeline_or_runtime() {
    let found = offenders("ports", &["crate::app", "crate::edge", "worker::"]);
    assert!(found.is_empty(), "{found:#?}");
}

/// The identifiers that follow `prefix` in `code` (`super::store` gives `store`).
fn after(code: &str, prefix: &str) -> BTreeSet<String> {
    code.match_indices(prefix)
        .map(|(at, _)| {
            code[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// Which files of one module directory import which: a child names its siblings and
/// its parent through `super::`, the parent names its children by their module names.
fn imports(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files: BTreeMap<String, PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| {
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            (stem.into_owned(), path)
        })
        .collect();
    let in_crate = dir
        .strip_prefix(src())
        .map(|relative| format!("crate::{}::", relative.display()).replace('/', "::"))
        .unwrap_or_default();
    files
        .iter()
        .map(|(name, path)| {
            let code = code(path);
            let mut named = BTreeSet::new();
            if name == "mod" {
                for child in files.keys().filter(|child| *child != "mod") {
                    let used = code.contains(&format!("use {child}::"))
                        || code.contains(&format!(" {child}::"))
                        || code.contains(&format!("({child}::"));
                    if used {
                        named.insert(child.clone());
                    }
                }
            } else {
                for target in after(&code, "super::")
                    .into_iter()
                    .chain(after(&code, &in_crate))
                {
                    if files.contains_key(&target) && target != *name {
                        named.insert(target);
                    } else if !files.contains_key(&target) && files.contains_key("mod") {
                        named.insert("mod".to_owned());
                    }
                }
            }
            (name.clone(), named)
        })
        .collect()
}

/// A circle of imports, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        graph: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|seen| seen == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(graph, next, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(graph, node, &mut Vec::new(), &mut done))
}

/// Every directory under `src/` that holds Rust files.
fn module_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            dirs.extend(module_dirs(&path));
        }
    }
    dirs
}

#[test]
fn no_module_directory_imports_in_a_circle() {
    let dirs = module_dirs(&src().join("app"))
        .into_iter()
        .chain(module_dirs(&src().join("domain")))
        .chain(module_dirs(&src().join("ports")))
        .chain(module_dirs(&src().join("edge")));
    let circles: Vec<String> = dirs
        .filter_map(|dir| {
            let found = circle(&imports(&dir))?;
            Some(format!("{}: {}", dir.display(), found.join(" → ")))
        })
        .collect();
    assert!(
        circles.is_empty(),
        "files that import each other: {circles:#?}"
    );
}

#[test]
fn a_circle_is_found_and_named() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("mod", vec!["store"]),
        ("store", vec!["rows"]),
        ("rows", vec!["store"]),
        ("dial", vec!["mod"]),
    ]
    .into_iter()
    .map(|(name, to)| (name.to_owned(), to.into_iter().map(str::to_owned).collect()))
    .collect();
    let found = circle(&graph).expect("a circle");
    assert_eq!(found, ["store", "rows", "store"]);
    let mut graph = graph;
    graph.insert("rows".into(), BTreeSet::new());
    assert_eq!(circle(&graph), None);
}
