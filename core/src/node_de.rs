//! A small serde `Deserializer` over the located YAML tree ([`crate::plan::tree::Node`]).
//!
//! YAML and JSON are parsed once into the generic tree (`crate::yaml`); typed structs (the Plan) are
//! read from the tree through this one deserializer. No format library's deserializer is then
//! instantiated for every Plan type (a size win for the web app), and every error carries the line
//! and column of the node it is about.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::plan::tree::{Node, Value};

/// Why a tree could not be read as the requested type, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeError {
    pub message: String,
    pub line: u64,
    pub column: u64,
    located: bool,
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for NodeError {}

impl de::Error for NodeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        NodeError { message: message.to_string(), line: 0, column: 0, located: false }
    }
}

/// The innermost node an error comes from names its place; outer nodes leave it alone.
fn at(node: &Node) -> impl FnOnce(NodeError) -> NodeError + '_ {
    move |mut e| {
        if !e.located {
            e.line = node.line;
            e.column = node.column;
            e.located = true;
        }
        e
    }
}

/// Reads a typed value from a located tree.
pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, NodeError> {
    T::deserialize(NodeDeserializer(node))
}

/// Deserializes one node.
#[derive(Clone, Copy)]
pub struct NodeDeserializer<'a>(pub &'a Node);

/// A scalar as the text a person wrote, for string fields given a plain number or boolean
/// (`nvidia.com/gpu: 16`), as YAML readers do.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

/// Numeric `deserialize_*` methods: each reads only a number (see [`NodeDeserializer::number`]).
macro_rules! numbers {
    ($de:lifetime: $($method:ident)*) => {
        $(fn $method<V: Visitor<$de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            self.number(visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'_> {
    type Error = NodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
        let node = self.0;
        match &node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(Items { items: items.iter() }),
            Value::Map(entries) => visitor.visit_map(Entries { entries: entries.iter(), value: None }),
        }
        .map_err(at(node))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
        match &self.0.value {
            Value::Str(s) => visitor.visit_str(s),
            other => match scalar_text(other) {
                Some(text) => visitor.visit_string(text),
                None => Err(unexpected(other, &visitor)),
            },
        }
        .map_err(at(self.0))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
        match self.0.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
        .map_err(at(self.0))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, NodeError> {
        visitor.visit_newtype_struct(self).map_err(at(self.0))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, NodeError> {
        match &self.0.value {
            Value::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            other => Err(unexpected(other, &visitor)),
        }
        .map_err(at(self.0))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
        match &self.0.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            other => Err(unexpected(other, &visitor)),
        }
        .map_err(at(self.0))
    }

    numbers! { 'de: deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128 deserialize_u8
    deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
        match &self.0.value {
            Value::Seq(items) => visitor.visit_seq(Items { items: items.iter() }),
            other => Err(unexpected(other, &visitor)),
        }
        .map_err(at(self.0))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
        match &self.0.value {
            Value::Map(entries) => visitor.visit_map(Entries { entries: entries.iter(), value: None }),
            other => Err(unexpected(other, &visitor)),
        }
        .map_err(at(self.0))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, NodeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        char bytes byte_buf unit unit_struct tuple tuple_struct identifier
    }
}

impl NodeDeserializer<'_> {
    /// A number for a numeric visitor: only the number arms are instantiated per visitor.
    fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
        match &self.0.value {
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            other => Err(unexpected(other, &visitor)),
        }
        .map_err(at(self.0))
    }
}

/// The "invalid type" error for a node of the wrong kind. Typed methods above call only the visitor
/// method their kind needs, so serde's derived code for the other kinds (a struct read from a
/// sequence, say) is never instantiated: a size win for the web app.
fn unexpected(value: &Value, expected: &dyn de::Expected) -> NodeError {
    let unexpected = match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Int(i) => de::Unexpected::Signed(*i),
        Value::Float(f) => de::Unexpected::Float(*f),
        Value::Str(s) => de::Unexpected::Str(s),
        Value::Seq(_) => de::Unexpected::Seq,
        Value::Map(_) => de::Unexpected::Map,
    };
    de::Error::invalid_type(unexpected, expected)
}

struct Items<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = NodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, NodeError> {
        match self.items.next() {
            Some(node) => seed.deserialize(NodeDeserializer(node)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'a> {
    entries: std::slice::Iter<'a, (String, Node)>,
    value: Option<&'a Node>,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = NodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, NodeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                let key: de::value::StrDeserializer<'_, NodeError> = key.as_str().into_deserializer();
                seed.deserialize(key).map(Some).map_err(at(value))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, NodeError> {
        match self.value.take() {
            Some(node) => seed.deserialize(NodeDeserializer(node)),
            None => Err(de::Error::custom("a mapping value was read before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{tree, Plan};

    fn read(text: &str) -> Result<Plan, NodeError> {
        from_node(&tree::parse_document(text).unwrap())
    }

    #[test]
    fn errors_point_at_the_node() {
        let good =
            "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata:\n  name: t\nspec:\n  region: us-east-1\n";
        let e = read(&format!("{good}  workload:\n    requestsPerSecond:\n      baseline: lots\n      peak: 2\n"))
            .unwrap_err();
        assert_eq!((e.line, e.column), (9, 17), "{e}");
        assert!(e.message.contains("invalid type"), "{e}");
        let e = read(&format!("{good}  bogus: 1\n")).unwrap_err();
        assert_eq!(e.line, 7, "{e}");
        assert!(e.message.contains("unknown field `bogus`"), "{e}");
        let e = read("kind: Plan\n").unwrap_err();
        assert!(e.message.contains("missing field"), "{e}");
    }

    #[test]
    fn plain_numbers_read_as_strings_where_strings_are_expected() {
        let text =
            crate::examples::example("quickstart").unwrap().replace("nvidia.com/gpu: \"16\"", "nvidia.com/gpu: 16");
        let plan = read(&text).unwrap();
        assert_eq!(plan.spec.node_pools[0].limits["nvidia.com/gpu"], "16");
    }
}
