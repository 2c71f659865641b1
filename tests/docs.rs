//! The docs kept in step with the code: the module map in `docs/ARCHITECTURE.md` lists every
//! file under `src/` and nothing else, and every relative link in the README, the changelog
//! and `docs/` leads to a file (and, for a `#fragment` into a Markdown file, to a heading) that
//! exists.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const ARCHITECTURE: &str = "docs/ARCHITECTURE.md";
/// The heading of the module map's section; its table rows start with `` | `src/ ``.
const MODULE_MAP_HEADING: &str = "## Module map";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file under `dir`, as a path relative to the repository root with `/` separators.
fn files_under(dir: &Path, found: &mut BTreeSet<String>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            let relative = path.strip_prefix(root()).unwrap();
            let parts: Vec<_> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            found.insert(parts.join("/"));
        }
    }
}

/// The paths the module map lists: the first code span of each table row of its section that
/// starts with `` | `src/ ``.
fn module_map(text: &str) -> Vec<String> {
    let section = text
        .split_once(&format!("\n{MODULE_MAP_HEADING}\n"))
        .unwrap_or_else(|| panic!("{ARCHITECTURE} has no '{MODULE_MAP_HEADING}' heading"))
        .1;
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(path, _)| path))
        .filter(|path| path.starts_with("src/"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_module_map_lists_every_file_under_src_and_nothing_else() {
    let listed = module_map(&read(&root().join(ARCHITECTURE)));
    let mut on_disk = BTreeSet::new();
    files_under(&root().join("src"), &mut on_disk);

    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for path in &listed {
        if !seen.insert(path.as_str()) {
            problems.push(format!("listed twice: {path}"));
        }
        if !on_disk.contains(path) {
            problems.push(format!("listed but not in the repository: {path}"));
        }
    }
    for path in &on_disk {
        if !seen.contains(path.as_str()) {
            problems.push(format!("not in the module map: {path}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{ARCHITECTURE}, '{MODULE_MAP_HEADING}' (a table row per file: | `src/...` | what it is for |):\n  {}",
        problems.join("\n  ")
    );
}

/// The Markdown files whose links are checked: the README, the changelog, everything in docs/.
fn markdown_files() -> Vec<PathBuf> {
    let mut docs = BTreeSet::new();
    files_under(&root().join("docs"), &mut docs);
    ["README.md".to_owned(), "CHANGELOG.md".to_owned()]
        .into_iter()
        .chain(docs.into_iter().filter(|p| p.ends_with(".md")))
        .map(|p| root().join(p))
        .collect()
}

/// The lines of a Markdown text outside fenced code blocks, with their numbers from 1.
fn outside_fences(text: &str) -> Vec<(usize, &str)> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            lines.push((i + 1, line));
        }
    }
    lines
}

/// Prose lines of a Markdown text, numbered, with code left out: fenced blocks whole, code spans
/// inline.
fn prose(text: &str) -> Vec<(usize, String)> {
    outside_fences(text)
        .into_iter()
        .map(|(number, line)| {
            let kept = line.split('`').step_by(2).collect();
            (number, kept)
        })
        .collect()
}

/// The targets of inline links and images, `[text](target)` and `![alt](target)`.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let close = if after.starts_with('<') { '>' } else { ')' };
        match after.find(close) {
            Some(end) => {
                let target = match close {
                    '>' => &after[1..end],
                    _ => after[..end].split_whitespace().next().unwrap_or(""),
                };
                targets.push(target.to_owned());
                rest = &after[end..];
            }
            None => break,
        }
    }
    targets
}

/// A heading's anchor as GitHub writes it: lower case, letters, digits, `-` and `_` kept,
/// spaces as `-`, everything else dropped.
fn anchor(heading: &str) -> String {
    heading
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

fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (_, line) in outside_fences(markdown) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            let base = anchor(&line[hashes..]);
            let mut name = base.clone();
            let mut n = 0;
            while !found.insert(name.clone()) {
                n += 1;
                name = format!("{base}-{n}");
            }
        }
    }
    found
}

#[test]
fn every_relative_link_in_the_docs_leads_somewhere() {
    let mut problems = Vec::new();
    let files = markdown_files();
    assert!(files.iter().any(|f| f.ends_with("docs/ARCHITECTURE.md")));
    for file in &files {
        let text = read(file);
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        for (number, line) in prose(&text) {
            for target in link_targets(&line) {
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, fragment) = match target.split_once('#') {
                    Some((path, fragment)) => (path, Some(fragment)),
                    None => (target.as_str(), None),
                };
                let resolved = if path.is_empty() {
                    file.clone()
                } else {
                    file.parent().unwrap().join(path)
                };
                if !resolved.exists() {
                    problems.push(format!("{name} line {number}: {target}: no such file"));
                    continue;
                }
                let is_markdown = resolved.extension().is_some_and(|e| e == "md");
                if let (Some(fragment), true) = (fragment, is_markdown) {
                    if !anchors(&read(&resolved)).contains(fragment) {
                        problems.push(format!("{name} line {number}: {target}: no such heading"));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken links:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_link_reader_finds_links_and_anchors_as_github_writes_them() {
    assert_eq!(
        link_targets("see [a](docs/A.md) and ![b](x.png \"title\") and [c](<d e.md>)"),
        ["docs/A.md", "x.png", "d e.md"]
    );
    let lines = prose("a `[x](y)` b\n```\n[z](w)\n```\n[v](u)");
    assert_eq!(lines, [(1, "a  b".to_owned()), (5, "[v](u)".to_owned())]);
    assert_eq!(
        anchor(" Runs that survive: resume, history"),
        "runs-that-survive-resume-history"
    );
    assert_eq!(anchor("`config.json`, the keys"), "configjson-the-keys");
    let found = anchors("# One\n## One\n```\n# Not\n```\n");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["one", "one-1"]);
}
