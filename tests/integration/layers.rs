//! Core's layers, as ARCHITECTURE.md's codemap orders them: a module of core may import (`crate::…`)
//! only modules of a lower layer, never one of its own layer or above. Test code (`#[cfg(test)]`
//! items and modules) may reach up, for fixtures. Core stays one crate; this test is the boundary
//! the compiler would otherwise enforce between crates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Core's top-level modules by layer, lowest first. Modules of one layer are peers: they do not
/// import each other.
const LAYERS: &[&[&str]] = &[
    // Leaves: unit conversions, the YAML reader and writer, the finding type lint and import share.
    &["units", "yaml", "finding", "cron", "duration"],
    &["doc", "k8s"],
    &["catalog"],
    &["perf"],
    &["plan"],
    &["place"],
    &["manifest"],
    // The simulator reads placement and the performance model, and judges a plan over its day.
    &["sim"],
    // The linter runs import; the optimiser judges its candidates over their simulated day.
    &["lint", "optimize"],
    // What the shells call besides: charts' curves, the app's edits, share links, the examples, two
    // plans side by side, the topology view's model.
    &["curves", "edit", "share", "examples", "compare", "topology"],
];

/// Paths inside a module that must not be imported by another part of it (`from` must not use `to`).
const FORBIDDEN: &[(&str, &str)] = &[
    // Import reads what render writes, never the other way; and import does not lint.
    ("manifest/render", "crate::manifest::import"),
    ("manifest/import", "crate::lint"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every source file of core with its text, test code removed.
fn sources(dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    // Files declared as `#[cfg(test)] mod name;` in this directory's modules are test code.
    let mut test_modules = Vec::new();
    for path in &entries {
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for pair in lines.windows(2) {
                if pair[0].trim() == "#[cfg(test)]" {
                    if let Some(name) = pair[1].trim().strip_prefix("mod ").and_then(|n| n.strip_suffix(';')) {
                        test_modules.push(name.to_string());
                    }
                }
            }
        }
    }
    for path in entries {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if !test_modules.contains(&stem) {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") && !test_modules.contains(&stem) {
            out.insert(path.clone(), without_tests(&std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The text without `#[cfg(test)]` items (up to the `}` that closes them at column 0) and comments.
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line == "#[cfg(test)]" {
            for item in lines.by_ref() {
                if item == "}" || (!item.starts_with(' ') && item.ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        if line.trim_start().starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `crate::name` paths in a text, by first segment.
fn crate_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let end = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
        // `$crate::…` in macros and `tokenfleet_crate::…` are not paths of this crate.
        let before = rest[..i].chars().last();
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') && end > 0 {
            found.push(after[..end].to_string());
        }
        rest = &after[end..];
    }
    found
}

#[test]
fn core_modules_import_only_lower_layers() {
    let src = tokenfleet_tests::repo_root().join("core").join("src");
    let mut files = BTreeMap::new();
    sources(&src, &mut files);
    assert!(files.len() > 40, "core's sources found under {}", src.display());
    let mut violations = Vec::new();
    for (path, text) in &files {
        let relative = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        let module = relative.split('/').next().unwrap().trim_end_matches(".rs");
        if module == "lib" {
            continue;
        }
        let Some(own) = layer_of(module) else {
            violations.push(format!("{relative}: module {module} is in no layer of this test (add it to LAYERS)"));
            continue;
        };
        for used in crate_paths(text) {
            if used == module {
                continue;
            }
            match layer_of(&used) {
                Some(layer) if layer < own => {}
                Some(_) => {
                    violations.push(format!("{relative}: {module} imports crate::{used}, a layer above or beside it"))
                }
                None => violations.push(format!("{relative}: crate::{used} is in no layer of this test")),
            }
        }
        for (from, to) in FORBIDDEN {
            if relative.starts_with(from) && text.contains(to) {
                violations.push(format!("{relative}: uses {to}"));
            }
        }
    }
    assert!(violations.is_empty(), "core's layering is broken:\n{}", violations.join("\n"));
}

#[test]
fn the_layer_check_sees_an_upward_import() {
    let text = without_tests(
        "use crate::plan::Plan;\n// crate::sim in a comment\n#[cfg(test)]\nmod tests {\n    use crate::lint;\n}\n",
    );
    assert_eq!(crate_paths(&text), ["plan"]);
    assert_eq!(crate_paths("x::$crate::a; crate::b::c"), ["b"]);
}
