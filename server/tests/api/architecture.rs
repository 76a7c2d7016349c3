//! The server's shape, checked from its source: dependencies between
//! `server/src` modules point one way (a module uses only modules of a
//! lower layer), and `docs/ARCHITECTURE.md` names every module and every
//! file in it. Cheap text checks, like the OpenAPI coverage test: a new
//! module without a row, or an import against the direction, fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers, lowest first. A module may use modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["config", "snowflake", "tls", "metrics", "outbound"],
    &["store", "telemetry", "serve"],
    &["bus", "cache", "blobs", "search", "queue"],
    &["error"],
    &["crypto", "limits", "realtime"],
    &["turn_relay"],
    &["state"],
    &["service"],
    &["api"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as paths relative to `server/src`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read server/src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(src()).expect("under src").to_path_buf());
        }
    }
}

/// The top-level module a file belongs to (`api/ws.rs` → `api`).
fn top_module(file: &Path) -> String {
    let first = file
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules named after `crate::` in `text`, including those
/// in grouped imports (`use crate::{a::X, b};`).
fn crate_uses(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Only top-level names of the group: skip nested `{…}`, stop
            // at the group's own closing brace.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&item));
                        item.clear();
                    }
                    _ if depth == 0 => item.push(c),
                    _ => {}
                }
            }
            out.insert(ident(&item));
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

#[test]
fn dependencies_point_one_way() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let top = top_module(file);
        if top == "lib" || top == "main" {
            continue; // the wiring: it may use everything
        }
        let Some(mine) = layer_of(&top) else {
            panic!(
                "{} belongs to no layer: add `{top}` to LAYERS",
                file.display()
            );
        };
        let text = std::fs::read_to_string(src().join(file)).expect("read source");
        for used in crate_uses(&text) {
            if used == top {
                continue;
            }
            let theirs = layer_of(&used)
                .unwrap_or_else(|| panic!("{} uses unknown module {used}", file.display()));
            if theirs >= mine {
                wrong
                    .entry(file.display().to_string())
                    .or_default()
                    .insert(used);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layer order {LAYERS:?}: {wrong:#?}"
    );
}

#[test]
fn architecture_md_names_every_module_and_file() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ARCHITECTURE.md");
    let doc = std::fs::read_to_string(&doc_path).expect("read docs/ARCHITECTURE.md");
    // The rows of the "Server layers" table: `| `name` | role |`.
    let rows: BTreeMap<String, &str> = doc
        .lines()
        .filter_map(|line| {
            let cell = line.strip_prefix("| `")?;
            let name = &cell[..cell.find('`')?];
            Some((name.to_owned(), line))
        })
        .collect();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut missing = BTreeSet::new();
    for file in &files {
        let mut parts = file.components().filter_map(|c| c.as_os_str().to_str());
        let first = parts.next().unwrap_or_default();
        let rest: Vec<&str> = parts.collect();
        if rest.is_empty() {
            // A top-level file has a row of its own.
            if !rows.contains_key(first) {
                missing.insert(format!("row `{first}`"));
            }
            continue;
        }
        // A directory has a row (`api/`) that names each of its files.
        let row_name = format!("{first}/");
        let inner = rest.join("/");
        match rows.get(&row_name) {
            None => {
                missing.insert(format!("row `{row_name}`"));
            }
            Some(row) if !row.contains(&format!("`{inner}`")) => {
                missing.insert(format!("`{inner}` in row `{row_name}`"));
            }
            Some(_) => {}
        }
    }
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md's server layers table lacks: {missing:#?}"
    );
}

#[test]
fn grouped_imports_are_read() {
    let uses = crate_uses("use crate::{a::X, b::{c, d}, e};\nlet x = crate::f::g();");
    let names: Vec<&str> = uses.iter().map(String::as_str).collect();
    assert_eq!(names, ["a", "b", "e", "f"]);
}
