//! Documents core writes (manifests, the Plan's parts inside them, the simulator's JSON): serde_json's
//! `Value` with `preserve_order`, so mappings keep their insertion order and output is stable byte for
//! byte. Written as YAML by [`crate::yaml::to_yaml`] and as JSON by serde_json.
//!
//! The helpers below keep manifest code short: `obj(vec![("kind", s("Service")), …])`.

use serde::Serialize;

pub use serde_json::Value as Doc;

/// A mapping that keeps its keys in insertion order (inserting an existing key replaces its value
/// in place).
pub type Map = serde_json::Map<String, Doc>;

/// A mapping of `entries` in order (a repeated key replaces the earlier value in place).
pub fn obj(entries: Vec<(&str, Doc)>) -> Doc {
    let mut map = Map::with_capacity(entries.len());
    for (key, value) in entries {
        map.insert(key.to_string(), value);
    }
    Doc::Object(map)
}

/// Text.
pub fn s(text: &str) -> Doc {
    Doc::String(text.to_string())
}

/// A sequence of texts.
pub fn strs(items: &[String]) -> Doc {
    Doc::Array(items.iter().map(|s| Doc::String(s.clone())).collect())
}

/// A float; NaN and infinities become null (JSON has no text for them).
pub fn float(value: f64) -> Doc {
    Doc::from(value)
}

/// Any serializable value (a Plan part, the simulator's output) as a document. Core's types have
/// string keys only, so this cannot fail for them; a value that could not be written becomes null.
pub fn to_doc<T: Serialize + ?Sized>(value: &T) -> Doc {
    serde_json::to_value(value).unwrap_or(Doc::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserting_an_existing_key_replaces_its_value_in_place() {
        let doc = obj(vec![("a", 1.into()), ("b", 2.into()), ("a", 3.into())]);
        assert_eq!(doc.get("a"), Some(&Doc::from(3)));
        assert_eq!(doc.as_object().unwrap().keys().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn non_finite_floats_are_null() {
        assert_eq!(float(f64::NAN), Doc::Null);
        assert_eq!(float(f64::NEG_INFINITY), Doc::Null);
        assert_eq!(float(1.5), Doc::from(1.5));
    }
}
