//! Every relative link in the project's Markdown (README.md, CHANGELOG.md,
//! bench/README.md and docs/*.md) resolves: the file or folder it names exists, and a
//! `#fragment` into a Markdown file names one of its headings, by GitHub's slugs
//! (lower case, spaces to `-`, punctuation other than `-` and `_` dropped, `-1`, `-2`
//! … for repeats). Links to `http(s):` and `mailto:` are not checked. Code blocks and
//! code spans are not Markdown, so neither their links nor their `#` lines count.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown files whose links are checked.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![
        root().join("README.md"),
        root().join("CHANGELOG.md"),
        root().join("bench/README.md"),
    ];
    let mut pages: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("docs/ is readable")
        .map(|entry| entry.expect("a docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    files.extend(pages);
    files
}

/// A run of Markdown text outside code blocks, with the line it starts on.
struct Block {
    first_line: usize,
    text: String,
}

/// What one Markdown file holds: its headings' text, and its text outside code blocks
/// in blocks separated by blank lines (a code span never crosses one).
#[derive(Default)]
struct Parsed {
    headings: Vec<String>,
    blocks: Vec<Block>,
}

/// The fence a line opens or closes (its character and length), if it is one.
fn fence(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let marker = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let length = rest.chars().take_while(|c| *c == marker).count();
    (length >= 3).then_some((marker, length))
}

/// The text of an ATX heading (`## Text ##`), if the line is one.
fn atx_heading(line: &str) -> Option<String> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let text = &rest[level..];
    if !text.is_empty() && !text.starts_with([' ', '\t']) {
        return None;
    }
    let text = text.trim();
    // A closing run of `#` goes when a space precedes it (or it is all there is).
    let without_close = text.trim_end_matches('#');
    let text = if without_close.is_empty() || without_close.ends_with([' ', '\t']) {
        without_close.trim_end()
    } else {
        text
    };
    Some(text.to_owned())
}

/// Whether a line underlines the paragraph line before it as a heading (setext).
fn setext_underline(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && (trimmed.chars().all(|c| c == '=') || trimmed.chars().all(|c| c == '-'))
}

fn parse(markdown: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut open_fence: Option<(char, usize)> = None;
    let mut block: Option<Block> = None;
    // The previous line, while it is paragraph text a setext underline could claim.
    let mut paragraph_line: Option<String> = None;
    fn end_block(block: &mut Option<Block>, parsed: &mut Parsed) {
        if let Some(done) = block.take() {
            parsed.blocks.push(done);
        }
    }
    for (index, line) in markdown.lines().enumerate() {
        let number = index + 1;
        if let Some((marker, length)) = open_fence {
            if fence(line).is_some_and(|(m, l)| m == marker && l >= length)
                && line
                    .trim_start()
                    .trim_start_matches(marker)
                    .trim()
                    .is_empty()
            {
                open_fence = None;
            }
            continue;
        }
        if let Some(opened) = fence(line) {
            end_block(&mut block, &mut parsed);
            open_fence = Some(opened);
            paragraph_line = None;
            continue;
        }
        if line.trim().is_empty() {
            end_block(&mut block, &mut parsed);
            paragraph_line = None;
            continue;
        }
        if let Some(text) = atx_heading(line) {
            parsed.headings.push(text);
            paragraph_line = None;
        } else if let (true, Some(text)) = (setext_underline(line), paragraph_line.take()) {
            parsed.headings.push(text.trim().to_owned());
        } else {
            let starts_block = !line.trim_start().starts_with(['|', '-', '*', '>'])
                && !line.trim_start().starts_with(|c: char| c.is_ascii_digit());
            paragraph_line = starts_block.then(|| line.to_owned());
        }
        match &mut block {
            Some(open) => {
                open.text.push('\n');
                open.text.push_str(line);
            }
            None => {
                block = Some(Block {
                    first_line: number,
                    text: line.to_owned(),
                })
            }
        }
    }
    end_block(&mut block, &mut parsed);
    parsed
}

/// The text with every code span blanked out (newlines kept, so positions and line
/// numbers hold). A backtick run with no closing run of the same length is literal.
fn without_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|c| **c == '`').count();
    let mut out = chars.clone();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            i += 1;
            continue;
        }
        let open = run_at(i);
        let mut j = i + open;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let run = run_at(j);
                if run == open {
                    close = Some(j + run);
                    break;
                }
                j += run;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                for c in &mut out[i..end] {
                    if *c != '\n' {
                        *c = ' ';
                    }
                }
                i = end;
            }
            None => i += open,
        }
    }
    out.into_iter().collect()
}

/// The destination of an inline link whose `(` is at `start`.
fn destination(text: &str, start: usize) -> Option<String> {
    let rest = &text[start + 1..];
    if let Some(angled) = rest.strip_prefix('<') {
        return angled.find('>').map(|end| angled[..end].to_owned());
    }
    let mut depth = 0usize;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(rest[..i].to_owned()),
            ')' => depth -= 1,
            c if c.is_whitespace() => return Some(rest[..i].to_owned()),
            _ => {}
        }
    }
    None
}

/// Every link destination in a Markdown file, with its line: inline links and images
/// `[text](dest)`, and reference definitions `[name]: dest`.
fn links(markdown: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for block in parse(markdown).blocks {
        let text = without_code_spans(&block.text);
        let line_of = |at: usize| block.first_line + text[..at].matches('\n').count();
        let mut from = 0;
        while let Some(offset) = text[from..].find("](") {
            let open = from + offset + 1;
            if let Some(dest) = destination(&text, open) {
                found.push((line_of(open), dest));
            }
            from = open + 1;
        }
        let mut at = 0;
        for line in text.split('\n') {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') && line.len() - trimmed.len() <= 3 {
                if let Some((label, dest)) = trimmed[1..].split_once("]:") {
                    let dest = dest.split_whitespace().next().unwrap_or_default();
                    if !label.is_empty() && !dest.is_empty() {
                        let dest = dest.trim_start_matches('<').trim_end_matches('>');
                        found.push((line_of(at), dest.to_owned()));
                    }
                }
            }
            at += line.len() + 1;
        }
    }
    found
}

/// A heading's text as it renders: code spans' backticks gone, links and images as
/// their text.
fn rendered(heading: &str) -> String {
    let mut text = heading.replace('`', "");
    while let Some(close) = text.find("](") {
        let Some(open) = text[..close].rfind('[') else {
            break;
        };
        let Some(end) = text[close..].find(')').map(|end| close + end) else {
            break;
        };
        let label = text[open + 1..close].to_owned();
        let start = if open > 0 && text[..open].ends_with('!') {
            open - 1
        } else {
            open
        };
        text.replace_range(start..=end, &label);
    }
    text
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, and every character but
/// letters, digits, `-` and `_` dropped.
fn slug(heading: &str) -> String {
    rendered(heading)
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors a Markdown file offers: each heading's slug, a repeated one with `-1`,
/// `-2` … as GitHub numbers them, and any explicit `id="…"` or `name="…"`.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = BTreeSet::new();
    for heading in parse(markdown).headings {
        let base = slug(&heading);
        let count = seen.entry(base.clone()).or_default();
        anchors.insert(if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        });
        *count += 1;
    }
    for attribute in [" id=\"", " name=\""] {
        for (at, _) in markdown.match_indices(attribute) {
            let value = &markdown[at + attribute.len()..];
            if let Some(end) = value.find('"') {
                anchors.insert(value[..end].to_owned());
            }
        }
    }
    anchors
}

/// `%20` and the like, decoded; anything that is not an escape stays as it is.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_external(dest: &str) -> bool {
    let lower = dest.to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// What is wrong with one link of the file `from`, if anything. `read` gives a
/// Markdown file's text, so the check can run on files that do not exist.
fn problem(from: &Path, dest: &str, read: &dyn Fn(&Path) -> Option<String>) -> Option<String> {
    if dest.is_empty() {
        return Some("an empty link".into());
    }
    if is_external(dest) {
        return None;
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (dest, None),
    };
    let path = percent_decoded(path.split('?').next().unwrap_or_default());
    let target = if path.is_empty() {
        from.to_path_buf()
    } else if let Some(absolute) = path.strip_prefix('/') {
        root().join(absolute)
    } else {
        from.parent().unwrap_or(root()).join(&path)
    };
    let text = read(&target);
    if text.is_none() && !target.exists() {
        return Some(format!("{} does not exist", shown(&target)));
    }
    let fragment = fragment.map(percent_decoded)?;
    if target.extension().is_none_or(|ext| ext != "md") {
        return None;
    }
    let Some(text) = text else {
        return Some(format!("{} cannot be read", shown(&target)));
    };
    let offered = anchors(&text);
    (!offered.contains(&fragment)).then(|| {
        format!(
            "{} has no heading with the anchor #{fragment} (it has: {})",
            shown(&target),
            offered.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

/// Every broken link of one file, as `file:line: dest: why`.
fn broken_links(
    file: &Path,
    markdown: &str,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Vec<String> {
    let name = shown(file);
    links(markdown)
        .into_iter()
        .filter_map(|(line, dest)| {
            problem(file, &dest, read).map(|why| format!("{name}:{line}: ({dest}): {why}"))
        })
        .collect()
}

/// A path as the repository names it.
fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read_from_disk(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok()
}

#[test]
fn every_relative_link_in_the_markdown_resolves() {
    let files = documents();
    assert!(
        files.len() >= 10,
        "expected the README, the changelog, bench/README.md and the docs pages, found {files:?}"
    );
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let markdown = fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("{} cannot be read: {e}", file.display()));
        checked += links(&markdown).len();
        broken.extend(broken_links(file, &markdown, &read_from_disk));
    }
    assert!(
        checked > 50,
        "only {checked} links found: is the parser broken?"
    );
    assert!(
        broken.is_empty(),
        "{} broken link(s):\n{}",
        broken.len(),
        broken.join("\n")
    );
}

#[test]
fn slugs_follow_github() {
    for (heading, expected) in [
        ("Quick start", "quick-start"),
        (
            "Operators: Cloudflare Access, or the admin token",
            "operators-cloudflare-access-or-the-admin-token",
        ),
        ("`GET /calls/{call_control_id}`", "get-callscall_control_id"),
        ("`POST /calls`: Dial", "post-calls-dial"),
        ("One `curl` per action", "one-curl-per-action"),
        ("GET /calls — an operator", "get-calls--an-operator"),
        (
            "Linking `worker` and reading JSON through serde: before and after",
            "linking-worker-and-reading-json-through-serde-before-and-after",
        ),
        ("See [the API](http-api.md) now", "see-the-api-now"),
        ("Données à 100 %", "données-à-100-"),
    ] {
        assert_eq!(slug(heading), expected, "{heading}");
    }
}

#[test]
fn repeated_headings_are_numbered_and_code_blocks_hold_no_headings() {
    let markdown = "# Title\n\n## Notes\n\ntext\n\n## Notes\n\n```sh\n# a comment\n```\n\n\
                    Setext\n------\n";
    let offered = anchors(markdown);
    let expected: BTreeSet<String> = ["title", "notes", "notes-1", "setext"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(offered, expected);
}

#[test]
fn links_in_code_are_not_links() {
    let markdown = "[real](a.md) and `[not](b.md)` and a span\nacross `lines [no](c.md)\nstill` \
                    code.\n\n```\n[fenced](d.md)\n```\n\n[ref]: e.md \"title\"\n\
                    ![image](f.png) [angled](<g h.md>) [nested](i_(j).md)\n";
    let found: Vec<String> = links(markdown).into_iter().map(|(_, dest)| dest).collect();
    assert_eq!(
        found,
        ["a.md", "f.png", "g h.md", "i_(j).md", "e.md"].map(str::to_owned)
    );
    assert_eq!(links("x\n\ny [z](w.md)")[0].0, 3);
}

#[test]
fn a_broken_link_or_fragment_is_reported() {
    let page = root().join("docs/imagined.md");
    let other = root().join("docs/other-imagined.md");
    let markdown = "[fine](other-imagined.md#its-section) [missing file](nowhere.md) \
                    [missing anchor](other-imagined.md#no-such-section) \
                    [own anchor](#nothing-here) [web](https://example.com/x.md#y) \
                    [mail](mailto:someone@example.com) [folder](../docs/) \
                    [readme](../README.md#quick-start) [bad readme anchor](../README.md#quick-stop)\n";
    let read = |path: &Path| {
        if path == other {
            Some("# Other\n\n## Its section\n".to_owned())
        } else if path == page {
            Some(markdown.to_owned())
        } else {
            read_from_disk(path)
        }
    };
    let broken = broken_links(&page, markdown, &read);
    let dests: Vec<&str> = broken
        .iter()
        .map(|line| line.split(": (").nth(1).unwrap_or_default())
        .map(|rest| rest.split(')').next().unwrap_or_default())
        .collect();
    assert_eq!(
        dests,
        [
            "nowhere.md",
            "other-imagined.md#no-such-section",
            "#nothing-here",
            "../README.md#quick-stop"
        ],
        "{broken:#?}"
    );
}
