//! The Helm export: a chart (`Chart.yaml`, `values.yaml`, one template per resource) whose default
//! values render the plain export byte for byte, document by document.
//!
//! A template is the resource's YAML with the tunable fields replaced by actions reading
//! `values.yaml` (`{{ .Values.deployments.chat.replicas }}`, or `{{ index .Values "nodePools"
//! "gpu-a" "weight" }}` where a key is not an identifier; `| quote` where the export quotes the
//! value). It is built by serialising the resource with a unique marker in each tunable field, so
//! serde-saphyr lays out the text, and checked: the markers replaced by the default values must
//! give the export's bytes, else that field stays literal (the tests require every field to hold). Any `{{`
//! of the export itself is escaped as `{{ "{{" }}`.

use crate::doc::{obj, s, Doc, Map};
use crate::plan::Plan;

use super::{json_pointer, kind_of, model_arg, name_of, reservation_ids, ExportFile};
use crate::manifest::{render, render_values, to_yaml, RESERVATIONS_ANNOTATION};

/// What a literal `{{` of the export becomes in a template.
pub const HELM_ESCAPED_BRACES: &str = "{{ \"{{\" }}";

/// A key of `values.yaml`: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Name(String),
    Index(usize),
}

/// Where a tunable value sits in a resource, and where it goes in `values.yaml`.
struct Slot {
    values_path: Vec<Key>,
    default: Doc,
    /// A JSON pointer to the field in the resource.
    pointer: String,
    /// `Some(text)` when the value is part of the field's string (replace `text` only).
    within: Option<String>,
}

fn path(keys: &[&str]) -> Vec<Key> {
    keys.iter().map(|k| Key::Name(k.to_string())).collect()
}

/// The tunable values of one resource.
fn slots(doc: &Doc) -> Vec<Slot> {
    let name = name_of(doc);
    let mut out = Vec::new();
    let whole = |out: &mut Vec<Slot>, values_path: Vec<Key>, pointer: String| {
        if let Some(default) = doc.pointer(&pointer) {
            out.push(Slot { values_path, default: default.clone(), pointer, within: None });
        }
    };
    match kind_of(doc) {
        "Deployment" => {
            whole(&mut out, path(&["deployments", name, "replicas"]), "/spec/replicas".into());
            whole(&mut out, path(&["deployments", name, "image"]), "/spec/template/spec/containers/0/image".into());
            if let Some((at, _)) = model_arg(doc) {
                whole(
                    &mut out,
                    path(&["deployments", name, "model"]),
                    format!("/spec/template/spec/containers/0/args/{at}"),
                );
            }
        }
        "NodePool" => {
            whole(&mut out, path(&["nodePools", name, "weight"]), "/spec/weight".into());
            let limits = doc.pointer("/spec/limits").and_then(Doc::as_object);
            for resource in limits.into_iter().flat_map(|l| l.keys()) {
                whole(
                    &mut out,
                    path(&["nodePools", name, "limits", resource]),
                    json_pointer(&["spec", "limits", resource]),
                );
            }
        }
        "EC2NodeClass" => {
            let annotation = json_pointer(&["metadata", "annotations", RESERVATIONS_ANNOTATION]);
            let annotated = doc.pointer(&annotation).and_then(Doc::as_str).unwrap_or_default().to_string();
            for (i, id) in reservation_ids(doc).into_iter().enumerate() {
                let mut values_path = path(&["nodeClasses", name, "capacityReservationIds"]);
                values_path.push(Key::Index(i));
                whole(&mut out, values_path.clone(), format!("/spec/capacityReservationSelectorTerms/{i}/id"));
                // The annotation import reads the reservations' sizes from names the same id.
                if annotated.split(',').filter(|e| e.starts_with(&format!("{id}="))).count() == 1 {
                    let within = Some(format!("{id}="));
                    out.push(Slot { values_path, default: s(&id), pointer: annotation.clone(), within });
                }
            }
        }
        _ => {}
    }
    out
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The Go-template action reading a value: `{{ .Values.a.b }}` or `{{ index .Values "a" "b-c" 0 }}`.
fn action(values_path: &[Key], quote: bool) -> String {
    let identifiers: Option<Vec<&str>> = values_path
        .iter()
        .map(|k| match k {
            Key::Name(n) if is_identifier(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    let read = if let Some(identifiers) = identifiers {
        format!(".Values.{}", identifiers.join("."))
    } else {
        let keys: Vec<String> = values_path
            .iter()
            .map(|k| match k {
                Key::Name(n) => serde_json::to_string(n).unwrap_or_default(),
                Key::Index(i) => i.to_string(),
            })
            .collect();
        format!("index .Values {}", keys.join(" "))
    };
    if quote {
        format!("{{{{ {read} | quote }}}}")
    } else {
        format!("{{{{ {read} }}}}")
    }
}

/// A resource's YAML with literal `{{` escaped for Go templates.
fn escape(yaml: &str) -> String {
    yaml.replace("{{", HELM_ESCAPED_BRACES)
}

/// A tunable field replaced by a marker: the action that reads it, and the export's text for it.
struct Substitution {
    marker: String,
    read: String,
    default: String,
}

/// Puts a slot's marker (`marker`, padded to the length of the value, so serde-saphyr lays the text
/// out alike: a long image is folded either way) into `marked`.
fn mark(marked: &mut Doc, slot: &Slot, mut marker: String) -> Option<Substitution> {
    let (default, quote) = match (&slot.default, &slot.within) {
        (Doc::String(text), None) => {
            let written = to_yaml(&slot.default);
            let written = written.trim_end_matches('\n');
            if written == format!("\"{text}\"") && !text.contains(['"', '\\']) {
                (written.to_string(), true)
            } else {
                (text.clone(), false)
            }
        }
        (Doc::String(text), Some(_)) => (text.clone(), false),
        (other, _) => (other.to_string(), false),
    };
    while marker.len() < default.len() {
        marker.push('z');
    }
    let field = marked.pointer_mut(&slot.pointer)?;
    match &slot.within {
        None => *field = s(&marker),
        Some(part) => {
            let text = field.as_str()?.replacen(part, &format!("{marker}="), 1);
            *field = s(&text);
        }
    }
    Some(Substitution { marker, read: action(&slot.values_path, quote), default })
}

/// One resource's template and the slots it reads. A slot is kept when the markers so far,
/// replaced by their defaults, still give the export's bytes.
fn template(doc: &Doc) -> (String, Vec<Slot>) {
    let original = to_yaml(doc);
    let Some(prefix) = ["zq", "qz", "zx", "xz", "qx", "xq"].into_iter().find(|p| !original.contains(p)) else {
        return (escape(&original), Vec::new());
    };
    let mut marked = doc.clone();
    let mut kept: Vec<(Slot, Substitution)> = Vec::new();
    for (i, slot) in slots(doc).into_iter().enumerate() {
        let mut trial = marked.clone();
        let Some(substitution) = mark(&mut trial, &slot, format!("{prefix}{i:04}")) else { continue };
        let text = to_yaml(&trial);
        let defaults = kept
            .iter()
            .map(|(_, sub)| sub)
            .chain([&substitution])
            .fold(text, |t, sub| t.replace(&sub.marker, &sub.default));
        if defaults == original {
            marked = trial;
            kept.push((slot, substitution));
        }
    }
    let templated = kept.iter().fold(escape(&to_yaml(&marked)), |t, (_, sub)| t.replace(&sub.marker, &sub.read));
    (templated, kept.into_iter().map(|(slot, _)| slot).collect())
}

/// Puts a value at a path of `values.yaml`, creating mappings and lists on the way.
fn insert(values: &mut Doc, path: &[Key], value: Doc) {
    let Some((first, rest)) = path.split_first() else {
        *values = value;
        return;
    };
    let child = match first {
        Key::Name(name) => {
            if !values.is_object() {
                *values = Doc::Object(Map::new());
            }
            let map = values.as_object_mut().expect("made an object above");
            map.entry(name.clone()).or_insert(Doc::Null)
        }
        Key::Index(i) => {
            if !values.is_array() {
                *values = Doc::Array(Vec::new());
            }
            let list = values.as_array_mut().expect("made a list above");
            while list.len() <= *i {
                list.push(Doc::Null);
            }
            &mut list[*i]
        }
    };
    insert(child, rest, value);
}

/// The Helm chart of a plan: `Chart.yaml`, `values.yaml` and `templates/`, one per resource.
pub fn helm_chart(plan: &Plan) -> Vec<ExportFile> {
    let mut values = Doc::Object(Map::new());
    let mut templates = Vec::new();
    for (doc, document) in render_values(plan).iter().zip(render(plan)) {
        let (text, slots) = template(doc);
        for slot in slots {
            insert(&mut values, &slot.values_path, slot.default);
        }
        templates.push(ExportFile::new(format!("templates/{}", document.file_name()), text));
    }
    let chart = obj(vec![
        ("apiVersion", s("v2")),
        ("name", s(&plan.metadata.name)),
        ("description", s(&format!("LLM inference capacity of plan {}, exported by Tokenfleet", plan.metadata.name))),
        ("type", s("application")),
        ("version", s("0.1.0")),
    ]);
    let header = "# What a team tunes per environment. As written, the chart renders `tokenfleet export`.\n\
                  # deployments: replicas, image and model (the engine's --model); nodePools: weight and limits;\n\
                  # nodeClasses: the capacity reservation ids (the reservations' sizes stay the plan's).\n";
    let mut files = vec![
        ExportFile::new("Chart.yaml", to_yaml(&chart)),
        ExportFile::new("values.yaml", format!("{header}{}", to_yaml(&values))),
    ];
    files.extend(templates);
    files
}
