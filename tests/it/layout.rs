//! The module structure as ARCHITECTURE.md draws it: no import cycle between the crate's modules
//! (a vendor folder counts as a module of its own), and the vendor-free modules name no vendor.
//! Read from the source text: every `crate::<module>` path in a file's code (not its comments) is
//! an edge from its module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `sources/genesys/rows.rs` → `sources::genesys`; `transform/columns.rs` → `transform`.
fn module_of(relative: &Path) -> String {
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    match parts.as_slice() {
        [first, second, ..] if first == "sources" && parts.len() > 2 => {
            format!("sources::{second}")
        }
        [first, ..] => first.clone(),
        [] => String::new(),
    }
}

/// The module a `crate::…` path names (`crate::Error` is `error`, the row macro `transform`).
fn target_of(path: &str, vendors: &BTreeSet<String>) -> Option<String> {
    let mut segments = path.split("::");
    let first = segments.next()?;
    let target = match first {
        "Error" | "ExitStatus" => "error".to_string(),
        "declare_rows" => "transform".to_string(),
        "sources" => match segments.next() {
            Some(v) if vendors.contains(v) => format!("sources::{v}"),
            _ => "sources".to_string(),
        },
        other if other.chars().all(|c| c.is_ascii_lowercase() || c == '_') => other.to_string(),
        _ => return None,
    };
    Some(target)
}

fn graph() -> (BTreeMap<String, BTreeSet<String>>, BTreeMap<String, String>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let vendors: BTreeSet<String> = std::fs::read_dir(src.join("sources"))
        .expect("sources")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir() && e.file_name() != "snapshots")
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(vendors.contains("genesys") && vendors.contains("cxone"));
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut texts = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src").to_path_buf();
        let module = module_of(&relative);
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable");
        // Code only: a doc comment naming another module is not an import.
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            if let Some(target) = target_of(&path, &vendors)
                && target != module
            {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
        texts
            .entry(module.clone())
            .and_modify(|t: &mut String| t.push_str(&text))
            .or_insert(text);
        edges.entry(module).or_default();
    }
    (edges, texts)
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_from(
    edges: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    at: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in edges.get(at).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(next.clone());
            return Some(cycle);
        }
        if !path.contains(next) {
            path.push(next.clone());
            if let Some(c) = cycle_from(edges, start, next, path) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let (edges, _) = graph();
    for module in edges.keys() {
        let mut path = vec![module.clone()];
        if let Some(cycle) = cycle_from(&edges, module, module, &mut path) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
    // The directions ARCHITECTURE.md draws.
    let imports = |a: &str, b: &str| edges.get(a).is_some_and(|t| t.contains(b));
    assert!(imports("http", "auth"), "{edges:?}");
    assert!(!imports("auth", "http"), "{edges:?}");
    assert!(!imports("transform", "sources"), "{edges:?}");
    assert!(!imports("config", "sources"), "{edges:?}");
}

#[test]
fn the_vendor_free_modules_name_no_vendor() {
    let (edges, texts) = graph();
    for module in ["transform", "pipeline", "plan", "sink", "config"] {
        for target in edges.get(module).into_iter().flatten() {
            assert!(
                !target.starts_with("sources::"),
                "{module} imports {target}"
            );
        }
    }
    for module in ["transform", "pipeline"] {
        let text = texts[module].to_ascii_lowercase();
        for vendor in ["genesys", "cxone", "nice "] {
            assert!(!text.contains(vendor), "{module} names {vendor}");
        }
    }
}
