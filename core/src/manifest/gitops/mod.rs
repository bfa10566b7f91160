//! GitOps exports: the plan's manifests as a Kustomize base with environment overlays
//! ([`kustomize`]) and as a Helm chart whose default values render the plain export ([`helm_chart`]).
//!
//! Both are file sets (`path`, `text`) with `/`-separated relative paths; the shell writes them.
//! The values an environment tunes are the same in both: Deployment replicas, image and model,
//! NodePool limits and weights, and the EC2NodeClasses' capacity reservation ids. Every YAML file
//! is written by serde-saphyr (`yaml::to_yaml`) from `doc` values; only comment lines are text.

use crate::doc::Doc;

mod helm;
mod kustomize;

pub use helm::{helm_chart, HELM_ESCAPED_BRACES};
pub use kustomize::{kustomize, staging_limit, STAGING_RESERVATION_PREFIX};

/// One file of an export: its path relative to the output directory (`/`-separated) and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportFile {
    pub path: String,
    pub text: String,
}

impl ExportFile {
    fn new(path: impl Into<String>, text: impl Into<String>) -> ExportFile {
        ExportFile { path: path.into(), text: text.into() }
    }
}

/// A JSON pointer (RFC 6901) to a field: `~` and `/` in keys escaped as `~0` and `~1`.
pub fn json_pointer(keys: &[&str]) -> String {
    keys.iter().map(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1"))).collect()
}

/// A document's `metadata.name`.
fn name_of(doc: &Doc) -> &str {
    doc.pointer("/metadata/name").and_then(Doc::as_str).unwrap_or_default()
}

/// A document's `kind`.
fn kind_of(doc: &Doc) -> &str {
    doc.get("kind").and_then(Doc::as_str).unwrap_or_default()
}

/// The capacity reservation ids a document's selector terms name, in order (EC2NodeClasses).
fn reservation_ids(doc: &Doc) -> Vec<String> {
    doc.pointer("/spec/capacityReservationSelectorTerms")
        .and_then(Doc::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("id").and_then(Doc::as_str).map(str::to_string))
        .collect()
}

/// The value after `--model` in a Deployment's first container's arguments, with its index.
fn model_arg(doc: &Doc) -> Option<(usize, String)> {
    let args = doc.pointer("/spec/template/spec/containers/0/args")?.as_array()?;
    let at = args.iter().position(|a| a.as_str() == Some("--model"))? + 1;
    Some((at, args.get(at)?.as_str()?.to_string()))
}

/// The reservations annotation with reservation ids renamed (`old=` entries become `new=`).
fn rename_in_annotation(annotation: &str, renames: &[(String, String)]) -> String {
    annotation
        .split(',')
        .map(|entry| match entry.split_once('=') {
            Some((id, rest)) => match renames.iter().find(|(old, _)| old == id) {
                Some((_, new)) => format!("{new}={rest}"),
                None => entry.to_string(),
            },
            None => entry.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests;
