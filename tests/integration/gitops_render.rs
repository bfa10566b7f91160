//! Renderers for the GitOps exports' tests, since neither helm nor kustomize installs from the
//! package registries this project reaches: Go-template actions as Helm evaluates them, for exactly
//! the constructs the chart uses, and Kustomize's `resources`, `replicas` and JSON 6902 `patches`.
//! Anything else is refused with a panic, so a template or kustomization that grew a construct these
//! do not know fails its test instead of rendering wrong.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use tokenfleet_core::plan::tree;

pub fn parse_yaml(text: &str) -> Value {
    let node = tree::parse_document(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"));
    serde_json::to_value(node.to_doc()).unwrap()
}

pub fn parse_yaml_stream(text: &str) -> Vec<Value> {
    let nodes = tree::parse_stream(text).unwrap_or_else(|e| panic!("not YAML: {e}"));
    nodes.iter().map(|n| serde_json::to_value(n.to_doc()).unwrap()).collect()
}

/// The words of an action: bare words, and Go string literals (`"nodePools"`) as JSON reads them.
fn words(action: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = action.trim();
    while !rest.is_empty() {
        if rest.starts_with('"') {
            let mut end = 1;
            let bytes = rest.as_bytes();
            while bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            out.push(rest[..=end].to_string());
            rest = rest[end + 1..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    out
}

/// A value as Go's text/template prints it; Helm reads numbers in values as float64.
fn print(value: &Value, action: &str) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            let x = n.as_f64().unwrap();
            // float64's %v: whole numbers below 1e21 print without a fraction, but from 1e6 on in
            // exponent form (1e+06), which no value of ours should reach.
            assert!(
                x.fract() == 0.0 && x.abs() < 1e6,
                "{action}: {x} would print in a form this renderer does not model"
            );
            format!("{x:.0}")
        }
        other => panic!("{action}: prints {other}, which no template of ours should print"),
    }
}

fn lookup<'a>(values: &'a Value, path: &[Value], action: &str) -> &'a Value {
    let mut at = values;
    for key in path {
        at = match key {
            Value::String(k) => at.get(k.as_str()),
            Value::Number(i) => at.get(i.as_u64().unwrap() as usize),
            _ => None,
        }
        .unwrap_or_else(|| panic!("{action}: no such value (Helm would print <no value>)"));
    }
    at
}

/// Evaluates one action: `"literal"`, `.Values.a.b`, `index .Values "a" "b" 0`, each optionally
/// piped to `quote`.
fn evaluate(action: &str, values: &Value) -> String {
    assert!(!action.starts_with('-') && !action.ends_with('-'), "{action}: whitespace trimming is not modelled");
    let mut pipeline = action.split(" | ");
    let command = pipeline.next().unwrap().trim();
    let words = words(command);
    let value: Value = match words[0].as_str() {
        literal if literal.starts_with('"') && words.len() == 1 => serde_json::from_str(literal).unwrap(),
        path if path.starts_with(".Values.") && words.len() == 1 => {
            let keys: Vec<Value> = path[".Values.".len()..].split('.').map(|k| Value::String(k.into())).collect();
            lookup(values, &keys, action).clone()
        }
        "index" if words.get(1).map(String::as_str) == Some(".Values") => {
            let keys: Vec<Value> = words[2..].iter().map(|w| serde_json::from_str(w).unwrap()).collect();
            lookup(values, &keys, action).clone()
        }
        _ => panic!("{{{{ {action} }}}}: a construct this renderer does not know"),
    };
    let mut text = print(&value, action);
    for function in pipeline {
        match function.trim() {
            // sprig's quote is Go's %q; for the printable ASCII of our values that is JSON's string.
            "quote" => text = serde_json::to_string(&text).unwrap(),
            other => panic!("{action}: function {other} is not modelled"),
        }
    }
    text
}

/// A template rendered with `values` as Helm renders it.
pub fn helm_template(template: &str, values: &Value) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").unwrap_or_else(|| panic!("unclosed action in {template}"));
        out.push_str(&evaluate(after[..end].trim(), values));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `dir/relative` with `.` and `..` resolved.
fn join(dir: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().expect("a path above the export");
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn matches(doc: &Value, target: &Value) -> bool {
    let api_version = match (target["group"].as_str(), target["version"].as_str()) {
        (Some(""), Some(v)) | (None, Some(v)) => v.to_string(),
        (Some(g), Some(v)) => format!("{g}/{v}"),
        _ => panic!("target without a version: {target}"),
    };
    doc["apiVersion"] == api_version.as_str()
        && doc["kind"] == target["kind"]
        && doc["metadata"]["name"] == target["name"]
}

/// The resources a kustomization in `dir` of the file set renders, in order.
pub fn kustomize_build(files: &BTreeMap<String, String>, dir: &str) -> Vec<Value> {
    let path = join(dir, "kustomization.yaml");
    let kustomization = parse_yaml(files.get(&path).unwrap_or_else(|| panic!("{path} missing")));
    for key in kustomization.as_object().unwrap().keys() {
        assert!(
            ["apiVersion", "kind", "resources", "replicas", "patches"].contains(&key.as_str()),
            "{path}: {key} is not modelled"
        );
    }
    assert_eq!(kustomization["apiVersion"], "kustomize.config.k8s.io/v1beta1", "{path}");
    assert_eq!(kustomization["kind"], "Kustomization", "{path}");
    let mut docs = Vec::new();
    for resource in kustomization["resources"].as_array().into_iter().flatten() {
        let at = join(dir, resource.as_str().unwrap());
        match files.get(&at) {
            Some(text) => docs.extend(parse_yaml_stream(text)),
            None => docs.extend(kustomize_build(files, &at)),
        }
    }
    for patch in kustomization["patches"].as_array().into_iter().flatten() {
        let file = join(dir, patch["path"].as_str().unwrap());
        let operations = parse_yaml(files.get(&file).unwrap_or_else(|| panic!("{file} missing")));
        let operations: json_patch::Patch = serde_json::from_value(operations).unwrap();
        let targets: Vec<&mut Value> = docs.iter_mut().filter(|d| matches(d, &patch["target"])).collect();
        assert!(!targets.is_empty(), "{file}: its target matches no resource");
        for doc in targets {
            json_patch::patch(doc, &operations).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }
    for replicas in kustomization["replicas"].as_array().into_iter().flatten() {
        let workloads = ["Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"];
        let mut found = false;
        for doc in docs.iter_mut().filter(|d| d["metadata"]["name"] == replicas["name"]) {
            if workloads.iter().any(|k| doc["kind"] == *k) {
                doc["spec"]["replicas"] = replicas["count"].clone();
                found = true;
            }
        }
        assert!(found, "{path}: replicas for {} match no workload", replicas["name"]);
    }
    docs
}

/// `kubectl kustomize DIR`'s output, or None when kubectl is not on the PATH.
pub fn rendered_by_kubectl(dir: &Path) -> Option<String> {
    let output = std::process::Command::new("kubectl").arg("kustomize").arg(dir).output().ok()?;
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).unwrap())
}
