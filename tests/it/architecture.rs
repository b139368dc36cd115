//! The house rules, checked on the source tree: every `crate::` path in `src/` runs down the layer order declared in
//! `src/lib.rs` (never up, so no two modules can import each other), `ARCHITECTURE.md` states the same order, every
//! file opens with a doc comment, and a file over 600 lines says in its doc why it is one concern. A mutation test
//! adds one upward import to a copy of the tree and expects the check to name it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Lines above which a file must explain itself.
const LONG_FILE: usize = 600;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The declared order, bottom first: the modules named in `src/lib.rs`'s numbered list ("1. [`error`]: ...").
fn declared_order(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| {
            let l = l.strip_prefix("//!")?.trim_start();
            let (number, rest) = l.split_once(". [`")?;
            number.parse::<u32>().ok()?;
            Some(rest.split_once('`')?.0.to_string())
        })
        .collect()
}

/// The modules `src/lib.rs` declares (`pub mod x;`).
fn declared_modules(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            Some(l.strip_prefix("mod ")?.strip_suffix(';')?.to_string())
        })
        .collect()
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The module path of a file below `src/`: `store/mod.rs` and `store.rs` are `[store]`, `store/open.rs` is
/// `[store, open]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file without its comments (line comments and doc comments; block comments are not used), so
/// that a doc link to a higher layer ("the flow lives in `crate::session::exam`") is not an import.
fn code_only(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let mut in_str = false;
            let mut prev = ' ';
            let mut cut = l.len();
            for (at, c) in l.char_indices() {
                if c == '"' && prev != '\\' {
                    in_str = !in_str;
                }
                if !in_str && c == '/' && prev == '/' {
                    cut = at - 1;
                    break;
                }
                prev = c;
            }
            (i + 1, l[..cut].to_string())
        })
        .collect()
}

/// The first path segment of each item a `use` group or path names, after `crate::`: `crate::{a::x, b}` gives
/// `a` and `b`, `crate::c::y` gives `c`.
fn crate_targets(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `$crate::` or part of a longer name
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group, nested groups skipped.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            out.push(item);
        } else {
            out.push(rest.to_string());
        }
    }
    out.into_iter()
        .map(|t| {
            t.trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// `super::super::x` from a file one module deep reaches the crate root, then `x`.
fn super_targets(code: &str, depth: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("super::") {
        let before = rest[..at].chars().last();
        let tail = &rest[at..];
        rest = &rest[at + "super::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // the second `super` of a chain
        }
        let mut n = 0;
        let mut t = tail;
        while let Some(r) = t.strip_prefix("super::") {
            n += 1;
            t = r;
        }
        if n >= depth {
            out.push(
                t.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    out
}

/// One import that breaks the order: the file, its line, the module it is in and the module it reaches.
#[derive(Debug, PartialEq)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: `{}` imports `{}`, which is not below it in src/lib.rs's order",
            self.file, self.line, self.from, self.to
        )
    }
}

/// Every import in `src` that does not run down the order declared in `src/lib.rs`.
fn violations(src: &Path) -> Vec<Violation> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let order = declared_order(&lib);
    let rank: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for file in rust_files(src) {
        let path = module_path(src, &file);
        let Some(top) = path.first() else { continue };
        if top == "lib" || top == "main" {
            continue; // the crate root and the binary sit above every layer
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, code) in code_only(&text) {
            let mut targets = crate_targets(&code);
            targets.extend(super_targets(&code, path.len()));
            for to in targets {
                let Some(&to_rank) = rank.get(to.as_str()) else {
                    continue; // a re-export of the crate root (`crate::Result`) or not a module
                };
                if to == *top {
                    continue;
                }
                let from_rank = rank.get(top.as_str()).copied().unwrap_or(usize::MAX);
                if to_rank >= from_rank {
                    out.push(Violation {
                        file: file.strip_prefix(src).unwrap().display().to_string(),
                        line,
                        from: top.clone(),
                        to,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn every_import_runs_down_the_declared_layers() {
    let found = violations(&root().join("src"));
    let text: Vec<String> = found.iter().map(|v| v.to_string()).collect();
    assert!(text.is_empty(), "upward imports:\n{}", text.join("\n"));
}

#[test]
fn the_text_helpers_import_nothing_of_the_crate() {
    let src = root().join("src");
    let mut found = Vec::new();
    for file in rust_files(&src.join("text")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, code) in code_only(&text) {
            if code.contains("crate::")
                || super_targets(&code, module_path(&src, &file).len())
                    .iter()
                    .any(|t| !t.is_empty())
            {
                found.push(format!("{}:{line}: {}", file.display(), code.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_order_names_every_module_once() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let mut order = declared_order(&lib);
    let mut modules = declared_modules(&lib);
    assert!(order.len() >= 10, "the order in src/lib.rs: {order:?}");
    order.sort();
    modules.sort();
    assert_eq!(order, modules, "src/lib.rs's order and its `pub mod` lines");
}

#[test]
fn architecture_md_states_the_same_order() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let md = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    // The order as the picture draws it: top first, one module a line, its name the line's first word.
    let start = md
        .find("```text")
        .expect("ARCHITECTURE.md has a picture of the layers")
        + "```text".len();
    let picture = &md[start..start + md[start..].find("```").unwrap()];
    let modules = declared_modules(&lib);
    let mut drawn: Vec<String> = picture
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| modules.iter().any(|m| m == w))
        .map(str::to_string)
        .collect();
    drawn.reverse();
    assert_eq!(
        drawn,
        declared_order(&lib),
        "the picture in ARCHITECTURE.md, read bottom up"
    );
}

#[test]
fn every_file_says_what_it_is_for_and_long_files_say_why() {
    let src = root().join("src");
    let mut problems = Vec::new();
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        if !text.starts_with("//!") {
            problems.push(format!("{name}: does not open with a `//!` doc comment"));
        }
        let lines = text.lines().count();
        let doc: String = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join(" ");
        if lines > LONG_FILE && !doc.contains("One concern:") {
            problems.push(format!(
                "{name}: {lines} lines, and its doc does not say why it is one concern (\"One concern: ...\")"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check itself: a copy of the tree with one upward import added fails, naming the file and line; the same
/// import written in a comment does not.
#[test]
fn an_upward_import_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("src");
    for file in rust_files(&root().join("src")) {
        let rel = file.strip_prefix(root().join("src")).unwrap();
        std::fs::create_dir_all(copy.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&file, copy.join(rel)).unwrap();
    }
    assert_eq!(violations(&copy), vec![], "the copy starts clean");

    // A comment naming a higher layer is not an import.
    let schedule = copy.join("schedule/mod.rs");
    let mut text = std::fs::read_to_string(&schedule).unwrap();
    text.push_str("\n// See crate::session::Session for how this is used.\n");
    std::fs::write(&schedule, &text).unwrap();
    assert_eq!(violations(&copy), vec![]);

    // One real upward import: the scheduler reaching for the terminal.
    text.push_str("#[allow(unused_imports)]\nuse crate::{error::Result, ui::layout};\n");
    std::fs::write(&schedule, &text).unwrap();
    let lines = text.lines().count();
    assert_eq!(
        violations(&copy),
        vec![Violation {
            file: "schedule/mod.rs".into(),
            line: lines,
            from: "schedule".into(),
            to: "ui".into(),
        }]
    );

    // A cycle closed through `super::super` from a nested file: the store reaching the session.
    let counts = copy.join("store/counts.rs");
    let mut text = std::fs::read_to_string(&counts).unwrap();
    text.push_str("\nuse super::super::session::Session;\n");
    std::fs::write(&counts, &text).unwrap();
    let found = violations(&copy);
    assert!(
        found
            .iter()
            .any(|v| v.file == "store/counts.rs" && v.from == "store" && v.to == "session"),
        "{found:?}"
    );
}
