//! Fields a person types as text: NodePool limits (`key=value, …`), taints (`key=value:Effect, …`)
//! and a pasted or uploaded request-rate trace (normalised before the plan keeps it).

use std::collections::BTreeMap;

use crate::plan::Taint;

use super::EditError;

/// Reads `key=value, key=value` (NodePool limits as a person types them) into a map.
pub fn parse_pairs(text: &str) -> Result<BTreeMap<String, String>, EditError> {
    let mut out = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = item.split_once('=').ok_or_else(|| EditError::NotAPair(item.to_string()))?;
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            return Err(EditError::PairPart(item.to_string()));
        }
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

/// Writes a map as `key=value, key=value`.
pub fn show_pairs(map: &BTreeMap<String, String>) -> String {
    map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// Reads taints as a person types them: `key=value:Effect` or `key:Effect`, comma-separated.
pub fn parse_taints(text: &str) -> Result<Vec<Taint>, EditError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (left, effect) = item.rsplit_once(':').ok_or_else(|| EditError::TaintEffect(item.to_string()))?;
            let (key, value) = match left.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim().to_string()).filter(|v| !v.is_empty())),
                None => (left.trim(), None),
            };
            if key.is_empty() {
                return Err(EditError::TaintKey(item.to_string()));
            }
            Ok(Taint { key: key.to_string(), value, effect: effect.trim().to_string() })
        })
        .collect()
}

/// Writes taints as `key=value:Effect, key:Effect`.
pub fn show_taints(taints: &[Taint]) -> String {
    taints
        .iter()
        .map(|t| match &t.value {
            Some(v) => format!("{}={v}:{}", t.key, t.effect),
            None => format!("{}:{}", t.key, t.effect),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A pasted or uploaded trace as the plan keeps it: Unix line ends, one final newline (so YAML
/// writes it as a plain `|` block).
pub fn normalize_trace_csv(text: &str) -> String {
    let mut csv = text.replace("\r\n", "\n").replace('\r', "\n").trim_end().to_string();
    csv.push('\n');
    csv
}
