//! `public/THIRD-PARTY-NOTICES.txt`, shipped next to the web app (and so in the widget and the desktop
//! app): the license notices of every crate compiled into the wasm, as their licenses (MIT, Apache-2.0,
//! ...) require of copies that are passed on. The file is generated from `cargo metadata` and each
//! crate's own license files; this test fails when it is out of date (a dependency added, removed or
//! updated). Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p tokenfleet-tests notices` and review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The crates the web app's wasm is built from: tokenfleet-app's normal dependencies for wasm32,
/// transitively, without proc-macro crates (they run in the compiler, and so do their dependencies),
/// without the workspace's own crates. (name, version) → package metadata.
fn shipped_crates(metadata: &Value) -> BTreeMap<(String, String), &Value> {
    let packages: BTreeMap<&str, &Value> =
        metadata["packages"].as_array().unwrap().iter().map(|p| (p["id"].as_str().unwrap(), p)).collect();
    let deps: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), &n["deps"]))
        .collect();
    let members: BTreeSet<&str> =
        metadata["workspace_members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    let is_proc_macro = |p: &Value| {
        p["targets"].as_array().unwrap().iter().any(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "proc-macro"))
    };
    let root = packages.values().find(|p| p["name"] == "tokenfleet-app").expect("tokenfleet-app in the workspace");
    // The features the app turns on in workspace crates (core's `terraform`), and so the optional
    // crates of theirs it ships: `dep:x` or `x` in those features' lists.
    let member_features: BTreeMap<&str, Vec<&str>> = root["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"].is_string())
        .map(|d| {
            let features =
                d["features"].as_array().map(|f| f.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            (d["name"].as_str().unwrap(), features)
        })
        .collect();
    let (mut seen, mut stack) = (BTreeSet::new(), vec![root["id"].as_str().unwrap()]);
    let mut shipped = BTreeMap::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let package = packages[id];
        if !members.contains(id) {
            let key = (package["name"].as_str().unwrap().to_string(), package["version"].as_str().unwrap().to_string());
            shipped.insert(key, package);
        }
        // The resolve is the workspace's: a member's optional dependencies appear in it whether or not
        // the app turns on the features that use them; those it does not are not in the wasm.
        let optional: BTreeSet<&str> = if members.contains(id) && id != root["id"].as_str().unwrap() {
            let name = package["name"].as_str().unwrap();
            let on: BTreeSet<&str> = member_features
                .get(name)
                .into_iter()
                .flatten()
                .filter_map(|f| package["features"][*f].as_array())
                .flatten()
                .filter_map(Value::as_str)
                .map(|d| d.trim_start_matches("dep:"))
                .collect();
            package["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["optional"] == true)
                .map(|d| d["name"].as_str().unwrap())
                .filter(|d| !on.contains(d))
                .collect()
        } else {
            BTreeSet::new()
        };
        for dep in deps[id].as_array().unwrap() {
            let normal = dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
            let target = packages[dep["pkg"].as_str().unwrap()];
            if optional.contains(target["name"].as_str().unwrap()) {
                continue;
            }
            if normal && !is_proc_macro(target) {
                stack.push(dep["pkg"].as_str().unwrap());
            }
        }
    }
    shipped
}

/// A crate's license and notice files (LICENSE*, LICENCE*, COPYING*, NOTICE*), by file name.
fn license_files(package: &Value) -> Vec<(String, String)> {
    let dir = Path::new(package["manifest_path"].as_str().unwrap()).parent().unwrap();
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let upper = name.to_ascii_uppercase();
            let wanted = ["LICENSE", "LICENCE", "COPYING", "NOTICE"].iter().any(|p| upper.starts_with(p));
            let text = std::fs::read_to_string(e.path()).ok()?;
            wanted.then_some((name, text))
        })
        .collect();
    files.sort();
    files
}

/// The notices file: one section per crate; a license text several crates ship word for word is
/// printed once and referred to after.
fn notices(metadata: &Value) -> String {
    let crates = shipped_crates(metadata);
    let mut out = format!(
        "Third-party software in the Tokenfleet web app\n\
         ===============================================\n\n\
         The web app (and the widget and desktop app built from it) contains code from the {} crates\n\
         below. Each is listed with its version, its license as it declares it, where it comes from, and\n\
         the license and notice files it ships. Tokenfleet itself is licensed under Apache-2.0 (LICENSE).\n\
         A crate that ships no license file is under the license it declares, whose standard text follows\n\
         the list; its copyright holders are its authors as listed.\n\
         Generated by tests/integration/notices.rs from `cargo metadata`; do not edit.\n",
        crates.len()
    );
    let mut printed: BTreeMap<String, String> = BTreeMap::new();
    let mut declared: BTreeSet<String> = BTreeSet::new();
    for ((name, version), package) in &crates {
        let license = package["license"].as_str().unwrap_or("(none declared)");
        out.push_str(&format!("\n\n---- {name} {version} ----\nLicense: {license}\n"));
        if let Some(repository) = package["repository"].as_str() {
            out.push_str(&format!("Source: {repository}\n"));
        }
        let authors: Vec<&str> = package["authors"].as_array().unwrap().iter().filter_map(|a| a.as_str()).collect();
        if !authors.is_empty() {
            out.push_str(&format!("Authors: {}\n", authors.join(", ")));
        }
        let files = license_files(package);
        if files.is_empty() {
            declared.insert(license.to_string());
            out.push_str("(no license file in the crate: the standard text of its license is at the end)\n");
        }
        for (file, text) in files {
            let text = text.replace("\r\n", "\n");
            match printed.get(&text) {
                Some(first) => out.push_str(&format!("{file}: the same text as {first}\n")),
                None => {
                    out.push_str(&format!("\n{file}:\n\n{}\n", text.trim_end()));
                    printed.insert(text, format!("{name} {version} ({file})"));
                }
            }
        }
    }
    out.push_str(&format!(
        "\n\n---- Standard license texts ----\nDeclared without a license file: {}.\n\n{MIT}\n",
        declared.into_iter().collect::<Vec<_>>().join("; ")
    ));
    out.push_str("\nApache-2.0: the text in Tokenfleet's own LICENSE file.\n");
    out
}

/// The MIT license's standard text, with the copyright line left to each crate's authors.
const MIT: &str = "MIT License

Copyright (c) the crate's authors, as listed above

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the \"Software\"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.";

#[test]
fn third_party_notices_are_current() {
    let root = tokenfleet_tests::repo_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--filter-platform", "wasm32-unknown-unknown"])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let crates = shipped_crates(&metadata);
    // The wasm's own libraries are there; proc macros, which run in the compiler, are not. (syn is,
    // conservatively: leptos_hot_reload, a library leptos links, depends on it.)
    for name in ["leptos", "plotters", "miniz_oxide", "wasm-bindgen"] {
        assert!(crates.keys().any(|(n, _)| n == name), "{name} missing");
    }
    for name in ["leptos_macro", "wasm-bindgen-macro", "serde_derive"] {
        assert!(!crates.keys().any(|(n, _)| n == name), "{name} is a proc macro");
    }
    let text = notices(&metadata);
    let path = root.join("public").join("THIRD-PARTY-NOTICES.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == text,
        "{} is out of date (dependencies changed); run UPDATE_SNAPSHOTS=1 cargo test -p tokenfleet-tests notices and review",
        path.display()
    );
}
