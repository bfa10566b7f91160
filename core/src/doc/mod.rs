//! Documents core writes: an unlocated value (mappings keep their insertion order) that the
//! manifests are built as and plans are written into, written as YAML (`yaml::emit`) or JSON
//! ([`json`]).
//!
//! It replaces `serde_json::Value` (with `preserve_order`) in core, for the web app's size: the
//! builder below is one non-generic call per key instead of an inlined hash-map insert, the JSON
//! writer and float formatting are core's own (built on the standard library's shortest float
//! formatting, no second table of powers of ten). The output is byte for byte serde_json's; the
//! tests check it against serde_json.
//!
//! Plans become documents through hand-written writers ([`write::ToDoc`], the twin of
//! `node_read`), not serde. [`to_doc`] is a small serde serializer in the manner of
//! `serde_json::value::Serializer`, for the simulator's JSON (native shells only) and as the oracle
//! the Plan's writers are tested against.

pub mod json;
mod ser;
pub mod write;

pub use ser::{to_doc, Error};

/// A document value. Numbers are as serde gives them: integers (those above `i64::MAX` as
/// [`Doc::UInt`]) and finite floats ([`Doc::float`] turns NaN and infinities into null, as
/// serde_json does).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Doc {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    /// A whole number above `i64::MAX`.
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Doc>),
    Map(Map),
}

/// A mapping that keeps its keys in insertion order; inserting an existing key replaces its value
/// in place (as an `IndexMap` does).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map(Vec<(String, Doc)>);

impl Map {
    pub fn new() -> Map {
        Map(Vec::new())
    }

    /// Sets `key` to `value`: in place when the key is there, else at the end.
    pub fn insert(&mut self, key: &str, value: Doc) {
        self.insert_owned(key.to_string(), value);
    }

    pub(crate) fn insert_owned(&mut self, key: String, value: Doc) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Doc> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Doc)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl FromIterator<(String, Doc)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Doc)>>(entries: I) -> Map {
        let mut map = Map::new();
        for (key, value) in entries {
            map.insert_owned(key, value);
        }
        map
    }
}

/// A mapping of `entries` in order (a repeated key replaces the earlier value in place):
/// `obj(vec![("kind", "Service".into()), ("spec", spec)])`.
pub fn obj(entries: Vec<(&str, Doc)>) -> Doc {
    let mut map = Map(Vec::with_capacity(entries.len()));
    for (key, value) in entries {
        map.insert(key, value);
    }
    Doc::Map(map)
}

/// Text.
pub fn s(text: &str) -> Doc {
    Doc::Str(text.to_string())
}

/// A sequence of texts.
pub fn strs(items: &[String]) -> Doc {
    Doc::Seq(items.iter().map(|s| Doc::Str(s.clone())).collect())
}

impl Doc {
    /// A float; NaN and infinities become null (JSON has no text for them), as in serde_json.
    pub fn float(value: f64) -> Doc {
        if value.is_finite() {
            Doc::Float(value)
        } else {
            Doc::Null
        }
    }

    /// A whole number: [`Doc::Int`] when it fits, else [`Doc::UInt`].
    pub fn uint(value: u64) -> Doc {
        match i64::try_from(value) {
            Ok(i) => Doc::Int(i),
            Err(_) => Doc::UInt(value),
        }
    }

    /// The value under a mapping key.
    pub fn get(&self, key: &str) -> Option<&Doc> {
        match self {
            Doc::Map(map) => map.get(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for Doc {
    fn from(text: &str) -> Doc {
        Doc::Str(text.to_string())
    }
}

impl From<String> for Doc {
    fn from(text: String) -> Doc {
        Doc::Str(text)
    }
}

impl From<bool> for Doc {
    fn from(b: bool) -> Doc {
        Doc::Bool(b)
    }
}

impl From<u32> for Doc {
    fn from(n: u32) -> Doc {
        Doc::Int(n.into())
    }
}

impl From<i64> for Doc {
    fn from(n: i64) -> Doc {
        Doc::Int(n)
    }
}

impl From<Map> for Doc {
    fn from(map: Map) -> Doc {
        Doc::Map(map)
    }
}

impl From<Vec<Doc>> for Doc {
    fn from(items: Vec<Doc>) -> Doc {
        Doc::Seq(items)
    }
}

/// For tests and shells that hand a document to another serde format (only instantiated there).
impl serde::Serialize for Doc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Doc::Null => serializer.serialize_unit(),
            Doc::Bool(b) => serializer.serialize_bool(*b),
            Doc::Int(i) => serializer.serialize_i64(*i),
            Doc::UInt(u) => serializer.serialize_u64(*u),
            Doc::Float(f) => serializer.serialize_f64(*f),
            Doc::Str(s) => serializer.serialize_str(s),
            Doc::Seq(items) => serializer.collect_seq(items),
            Doc::Map(map) => serializer.collect_map(map.iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserting_an_existing_key_replaces_its_value_in_place() {
        let doc = obj(vec![("a", Doc::Int(1)), ("b", Doc::Int(2)), ("a", Doc::Int(3))]);
        assert_eq!(doc.get("a"), Some(&Doc::Int(3)));
        let Doc::Map(map) = &doc else { unreachable!() };
        assert_eq!(map.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn numbers_are_normalised_as_serde_json_normalises_them() {
        assert_eq!(Doc::float(f64::NAN), Doc::Null);
        assert_eq!(Doc::float(f64::NEG_INFINITY), Doc::Null);
        assert_eq!(Doc::float(-0.0), Doc::Float(-0.0));
        assert_eq!(Doc::uint(5), Doc::Int(5));
        assert_eq!(Doc::uint(u64::MAX), Doc::UInt(u64::MAX));
    }
}
