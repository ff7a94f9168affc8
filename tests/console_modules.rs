//! The operator console's script stays ES modules that can be read and loaded: every
//! `public/console/*.js` is at most 400 lines, each static import names a module next to
//! it or a vendored file (`./vendor/…`, which `make bootstrap` and `make build` copy from
//! node_modules, so a fresh clone has none), the imports have no cycle (a lower module
//! never imports a higher one), every module is reached from `app.js`,
//! `public/console.html` loads `app.js` as a module, and the Worker embeds every file
//! the page can load (`src/edge/console.rs`, which only the wasm build compiles).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;
/// The module the page loads; it imports the rest.
const ENTRY: &str = "app.js";

fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn console_dir() -> PathBuf {
    project_root().join("public/console")
}

/// Every `public/console/*.js`, by file name, with its text.
fn modules() -> BTreeMap<String, String> {
    let dir = console_dir();
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    let mut modules = BTreeMap::new();
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|ext| ext == "js") {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let name = path.file_name().expect("a file name").to_string_lossy();
            modules.insert(name.into_owned(), text);
        }
    }
    assert!(
        modules.contains_key(ENTRY),
        "public/console/{ENTRY} is missing"
    );
    modules
}

/// The rest of `text` after the word `word` at its start, if it starts with that word.
fn after_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(word)?;
    let continues = rest
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
    (!continues).then_some(rest)
}

/// The contents of the string literal (either quote) at the start of `text`.
fn string_literal(text: &str) -> Option<String> {
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &text[1..];
    rest.find(quote).map(|end| rest[..end].to_string())
}

/// The specifier after the word `from` in a statement's text (up to its `;`).
fn from_clause(statement: &str) -> Option<String> {
    let statement = &statement[..statement.find(';').unwrap_or(statement.len())];
    statement.match_indices("from").find_map(|(at, _)| {
        let before = statement[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            return None;
        }
        string_literal(after_word(&statement[at..], "from")?.trim_start())
    })
}

/// The specifiers of a module's static imports: `import … from "…"`, `import "…"` and
/// `export … from "…"`, each statement starting a line and possibly spread over several.
/// `import(…)` and `import.meta` load nothing statically.
fn static_imports(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut line_start = 0;
    for line in source.split_inclusive('\n') {
        let statement = &source[line_start + (line.len() - line.trim_start().len())..];
        line_start += line.len();
        if let Some(rest) = after_word(statement, "import") {
            let rest = rest.trim_start();
            if rest.starts_with('(') || rest.starts_with('.') {
                continue;
            }
            found.extend(string_literal(rest).or_else(|| from_clause(rest)));
        } else if let Some(rest) = after_word(statement, "export") {
            let rest = rest.trim_start();
            if rest.starts_with('{') || rest.starts_with('*') {
                found.extend(from_clause(rest));
            }
        }
    }
    found
}

/// The names `scripts/toolchain.sh` serves its vendored files under (the second word of
/// each entry of `CONSOLE_VENDOR=( … )`), in `public/console/vendor/`.
fn vendored() -> Vec<String> {
    let path = project_root().join("scripts/toolchain.sh");
    let script =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let list = script
        .split_once("CONSOLE_VENDOR=(")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(list, _)| list)
        .expect("scripts/toolchain.sh lists CONSOLE_VENDOR=( … )");
    list.lines()
        .filter_map(|line| line.trim().trim_matches('"').split_whitespace().nth(1))
        .map(str::to_string)
        .collect()
}

/// The module a specifier names when it is `./name.js` with `name.js` among `modules`.
fn target<'a>(specifier: &'a str, modules: &BTreeMap<String, String>) -> Option<&'a str> {
    let name = specifier.strip_prefix("./")?;
    modules.contains_key(name).then_some(name)
}

/// Each module's imports of other modules, by file name.
fn import_graph(modules: &BTreeMap<String, String>) -> BTreeMap<String, Vec<String>> {
    modules
        .iter()
        .map(|(name, source)| {
            let imports = static_imports(source)
                .iter()
                .filter_map(|specifier| target(specifier, modules))
                .map(str::to_string)
                .collect();
            (name.clone(), imports)
        })
        .collect()
}

/// A cycle in `graph`: the files along it, the first again at the end.
fn find_cycle(graph: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    // `done` holds modules whose imports are all explored; `path` the ones being explored.
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, Vec<String>>,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(at) = path.iter().position(|open| open == next) {
                let mut cycle: Vec<String> = path[at..].iter().map(|n| n.to_string()).collect();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if !done.contains(next.as_str()) {
                if let Some(cycle) = visit(next, graph, done, path) {
                    return Some(cycle);
                }
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| {
        if done.contains(node.as_str()) {
            return None;
        }
        visit(node, graph, &mut done, &mut Vec::new())
    })
}

#[test]
fn every_module_is_at_most_400_lines() {
    let long: Vec<String> = modules()
        .iter()
        .map(|(name, source)| (name, source.lines().count()))
        .filter(|(_, lines)| *lines > MAX_LINES)
        .map(|(name, lines)| format!("public/console/{name}: {lines} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "modules over {MAX_LINES} lines (split them along their sections):\n  {}",
        long.join("\n  ")
    );
}

#[test]
fn every_import_names_a_module_next_to_it() {
    let modules = modules();
    let vendored = vendored();
    assert!(
        vendored.contains(&"uplot.esm.js".to_string()),
        "CONSOLE_VENDOR in scripts/toolchain.sh serves {vendored:?}"
    );
    let is_vendored = |specifier: &str| {
        specifier
            .strip_prefix("./vendor/")
            .is_some_and(|name| vendored.iter().any(|v| v == name))
    };
    let mut broken = Vec::new();
    for (name, source) in &modules {
        for specifier in static_imports(source) {
            if target(&specifier, &modules).is_none() && !is_vendored(&specifier) {
                broken.push(format!("{name} imports {specifier:?}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports that name no public/console/*.js (write them ./name.js) nor a file \
         CONSOLE_VENDOR in scripts/toolchain.sh copies (./vendor/name):\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn the_imports_have_no_cycle() {
    if let Some(cycle) = find_cycle(&import_graph(&modules())) {
        panic!(
            "import cycle in public/console/: {} (a lower module must not import a higher one; \
             pass a callback down instead)",
            cycle.join(" → ")
        );
    }
}

#[test]
fn every_module_is_reached_from_app_js() {
    let modules = modules();
    let graph = import_graph(&modules);
    let mut reached = BTreeSet::from([ENTRY]);
    let mut queue = vec![ENTRY];
    while let Some(name) = queue.pop() {
        for next in &graph[name] {
            if reached.insert(next.as_str()) {
                queue.push(next);
            }
        }
    }
    let unreached: Vec<&str> = modules
        .keys()
        .map(String::as_str)
        .filter(|name| !reached.contains(name))
        .collect();
    assert!(
        unreached.is_empty(),
        "modules the page never loads (nothing {ENTRY} reaches imports them): {}",
        unreached.join(", ")
    );
}

#[test]
fn the_page_loads_app_js_as_a_module() {
    let path = project_root().join("public/console.html");
    let html = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let scripts: Vec<&str> = html
        .match_indices("<script")
        .map(|(at, _)| {
            let tag = &html[at..];
            &tag[..tag.find('>').map_or(tag.len(), |end| end + 1)]
        })
        .collect();
    let has = |tag: &str, name: &str, value: &str| {
        tag.contains(&format!("{name}=\"{value}\"")) || tag.contains(&format!("{name}='{value}'"))
    };
    assert!(
        scripts
            .iter()
            .any(|tag| has(tag, "src", "/console/app.js") && has(tag, "type", "module")),
        "public/console.html must load /console/{ENTRY} with type=\"module\" (its imports need it); \
         its script tags: {scripts:?}"
    );
}

#[test]
fn the_page_names_only_vendored_files_under_vendor() {
    let path = project_root().join("public/console.html");
    let html = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let vendored = vendored();
    let named: Vec<&str> = html
        .split("/console/vendor/")
        .skip(1)
        .map(|rest| &rest[..rest.find(['"', '\'']).unwrap_or(rest.len())])
        .collect();
    assert!(
        named.contains(&"uplot.min.css"),
        "public/console.html links uPlot's stylesheet"
    );
    let unknown: Vec<&&str> = named
        .iter()
        .filter(|name| !vendored.iter().any(|v| v == *name))
        .collect();
    assert!(
        unknown.is_empty(),
        "public/console.html names /console/vendor/ files that CONSOLE_VENDOR in \
         scripts/toolchain.sh does not copy: {unknown:?}"
    );
}

#[test]
fn the_worker_embeds_every_console_file() {
    let path = project_root().join("src/edge/console.rs");
    let code = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let embedded: BTreeSet<String> = code
        .split("embedded!(")
        .skip(1)
        .filter_map(string_literal)
        .collect();
    let dir = console_dir();
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    // The vendored files by the names the bootstrap gives them: a fresh clone has none.
    let files: BTreeSet<String> = entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            path.file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned()
        })
        .chain(vendored().into_iter().map(|name| format!("vendor/{name}")))
        .collect();
    assert_eq!(
        embedded, files,
        "src/edge/console.rs must embed each file under public/console/ (and no other)"
    );
    assert!(
        code.contains("include_str!(\"../../public/console.html\")"),
        "src/edge/console.rs embeds the page"
    );
}

#[test]
fn the_import_reader_finds_each_form_and_nothing_else() {
    let source = "// import nothing from './comment.js';\n\
        import { a,\n  b,\n} from \"./multi.js\";\n\
        import c from './single.js';\n\
        import './bare.js';\n\
        export { d } from './again.js';\n\
        export function from() { return import('./dynamic.js'); }\n\
        const url = import.meta.url;\n";
    assert_eq!(
        static_imports(source),
        ["./multi.js", "./single.js", "./bare.js", "./again.js"]
    );
}

#[test]
fn the_cycle_finder_names_the_files_along_the_cycle() {
    let graph = |edges: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(from, to)| (from.to_string(), to.iter().map(|t| t.to_string()).collect()))
            .collect()
    };
    let cyclic = graph(&[
        ("app.js", &["list.js"]),
        ("list.js", &["call.js"]),
        ("call.js", &["api.js", "list.js"]),
        ("api.js", &[]),
    ]);
    assert_eq!(
        find_cycle(&cyclic),
        Some(vec!["list.js".into(), "call.js".into(), "list.js".into()])
    );
    let layered = graph(&[
        ("app.js", &["list.js", "api.js"]),
        ("list.js", &["api.js"]),
        ("api.js", &[]),
    ]);
    assert_eq!(find_cycle(&layered), None);
}
