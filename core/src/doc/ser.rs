//! Any `Serialize` value as a [`Doc`], the way `serde_json::value::Serializer` makes a
//! `serde_json::Value`: structs and maps become mappings in field order, `None` and unit become
//! null, unit variants their name, newtype and struct variants `{variant: value}`, NaN and
//! infinities null. Map keys must be text (or numbers, booleans and characters, written as text).

use std::fmt;

use serde::ser::{self, Serialize};

use super::{Doc, Map};

/// Why a value could not be serialised (a `Serialize` impl's own error, or a map key that is not text).
#[derive(Debug, Clone, PartialEq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

/// A value as a document.
pub fn to_doc<T: Serialize + ?Sized>(value: &T) -> Result<Doc, Error> {
    value.serialize(Serializer)
}

struct Serializer;

pub struct SerializeSeq {
    items: Vec<Doc>,
    /// The variant of a tuple variant (`{variant: [..]}`).
    variant: Option<&'static str>,
}

pub struct SerializeMap {
    map: Map,
    next_key: Option<String>,
    /// The variant of a struct variant (`{variant: {..}}`).
    variant: Option<&'static str>,
}

fn variant(name: &'static str, value: Doc) -> Doc {
    let mut map = Map::new();
    map.insert(name, value);
    Doc::Map(map)
}

impl ser::Serializer for Serializer {
    type Ok = Doc;
    type Error = Error;
    type SerializeSeq = SerializeSeq;
    type SerializeTuple = SerializeSeq;
    type SerializeTupleStruct = SerializeSeq;
    type SerializeTupleVariant = SerializeSeq;
    type SerializeMap = SerializeMap;
    type SerializeStruct = SerializeMap;
    type SerializeStructVariant = SerializeMap;

    fn serialize_bool(self, v: bool) -> Result<Doc, Error> {
        Ok(Doc::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Doc, Error> {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Doc, Error> {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Doc, Error> {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Doc, Error> {
        Ok(Doc::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Doc, Error> {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Doc, Error> {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Doc, Error> {
        Ok(Doc::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Doc, Error> {
        Ok(Doc::uint(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Doc, Error> {
        Ok(Doc::float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Doc, Error> {
        Ok(Doc::float(v))
    }
    fn serialize_char(self, v: char) -> Result<Doc, Error> {
        Ok(Doc::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Doc, Error> {
        Ok(Doc::Str(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Doc, Error> {
        Ok(Doc::Seq(v.iter().map(|&b| Doc::Int(b.into())).collect()))
    }
    fn serialize_none(self) -> Result<Doc, Error> {
        Ok(Doc::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Doc, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Doc, Error> {
        Ok(Doc::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Doc, Error> {
        Ok(Doc::Null)
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<Doc, Error> {
        Ok(Doc::Str(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<Doc, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        value: &T,
    ) -> Result<Doc, Error> {
        Ok(variant(name, to_doc(value)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SerializeSeq, Error> {
        Ok(SerializeSeq { items: Vec::with_capacity(len.unwrap_or(0)), variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<SerializeSeq, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SerializeSeq, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        len: usize,
    ) -> Result<SerializeSeq, Error> {
        Ok(SerializeSeq { items: Vec::with_capacity(len), variant: Some(name) })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<SerializeMap, Error> {
        Ok(SerializeMap { map: Map::new(), next_key: None, variant: None })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<SerializeMap, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        name: &'static str,
        _len: usize,
    ) -> Result<SerializeMap, Error> {
        Ok(SerializeMap { map: Map::new(), next_key: None, variant: Some(name) })
    }
}

impl SerializeSeq {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(to_doc(value)?);
        Ok(())
    }

    fn finish(self) -> Result<Doc, Error> {
        let seq = Doc::Seq(self.items);
        Ok(match self.variant {
            Some(name) => variant(name, seq),
            None => seq,
        })
    }
}

impl ser::SerializeSeq for SerializeSeq {
    type Ok = Doc;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Doc, Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for SerializeSeq {
    type Ok = Doc;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Doc, Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for SerializeSeq {
    type Ok = Doc;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Doc, Error> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for SerializeSeq {
    type Ok = Doc;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Doc, Error> {
        self.finish()
    }
}

impl SerializeMap {
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.map.insert(key, to_doc(value)?);
        Ok(())
    }

    fn finish(self) -> Result<Doc, Error> {
        let map = Doc::Map(self.map);
        Ok(match self.variant {
            Some(name) => variant(name, map),
            None => map,
        })
    }
}

/// A map key as text: strings as they are; numbers, booleans and characters as they are written.
fn key_text(key: Doc) -> Result<String, Error> {
    match key {
        Doc::Str(s) => Ok(s),
        Doc::Bool(b) => Ok(b.to_string()),
        Doc::Int(i) => Ok(i.to_string()),
        Doc::UInt(u) => Ok(u.to_string()),
        Doc::Float(f) => Ok(super::json::float_text(f)),
        _ => Err(Error("key must be a string".to_string())),
    }
}

impl ser::SerializeMap for SerializeMap {
    type Ok = Doc;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.next_key = Some(key_text(to_doc(key)?)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.next_key.take().ok_or_else(|| Error("a map value came before its key".to_string()))?;
        self.map.insert_owned(key, to_doc(value)?);
        Ok(())
    }
    fn end(self) -> Result<Doc, Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for SerializeMap {
    type Ok = Doc;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<Doc, Error> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for SerializeMap {
    type Ok = Doc;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<Doc, Error> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(i32, bool),
        Struct { side_m: f64 },
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Everything {
        flag: bool,
        small: i8,
        big: u64,
        huge: u64,
        negative: i64,
        ratio: f32,
        nan: f64,
        letter: char,
        text: String,
        none: Option<u32>,
        some: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u32>,
        unit: (),
        pair: (u8, String),
        shapes: Vec<Shape>,
        by_name: BTreeMap<String, u32>,
        by_number: BTreeMap<u32, bool>,
        bytes: serde_bytes_like::Bytes,
    }

    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    /// The same value through serde_json's Value and through ours gives the same JSON text.
    #[test]
    fn documents_are_what_serde_json_values_are() {
        let value = Everything {
            flag: true,
            small: -3,
            big: 7,
            huge: u64::MAX,
            negative: i64::MIN,
            ratio: 0.1,
            nan: f64::NAN,
            letter: 'é',
            text: "a \"quoted\"\n\u{1}line".into(),
            none: None,
            some: Some(4),
            skipped: None,
            unit: (),
            pair: (1, "x".into()),
            shapes: vec![Shape::Unit, Shape::Newtype(2), Shape::Tuple(-1, false), Shape::Struct { side_m: 1.5 }],
            by_name: [("b".to_string(), 2), ("a".to_string(), 1)].into_iter().collect(),
            by_number: [(10, true), (2, false)].into_iter().collect(),
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
        };
        let ours = to_doc(&value).unwrap();
        let theirs = serde_json::to_value(&value).unwrap();
        assert_eq!(ours.to_json(), serde_json::to_string(&theirs).unwrap());
        assert_eq!(ours.to_json_pretty(), serde_json::to_string_pretty(&theirs).unwrap());
        assert_eq!(ours.get("huge"), Some(&Doc::UInt(u64::MAX)));
        assert_eq!(ours.get("nan"), Some(&Doc::Null));
    }

    #[test]
    fn keys_that_are_not_text_are_refused() {
        let map: BTreeMap<Option<u8>, u8> = [(None, 1)].into_iter().collect();
        assert_eq!(to_doc(&map).unwrap_err().to_string(), "key must be a string");
        assert!(serde_json::to_value(&map).is_err());
    }
}
