//! Typed values written as documents by small hand-written writers: the twin of
//! [`crate::node_read`], for the web app's size.
//!
//! A struct's writer (`write_struct!`) is one call to the non-generic [`write_fields`] with its
//! field names and a `&dyn ToDoc` per field (none for a field left out), so the per-type code is a
//! short array; the scalars and containers below write what serde's serializer into a document
//! ([`super::to_doc`]) writes for them. The Plan's writers are proven to write what its derived
//! `Serialize` writes through [`super::to_doc`] (`tests/integration/doc_writers.rs`).

use std::collections::BTreeMap;

use super::{Doc, Map};

/// A type written as a document.
pub trait ToDoc {
    fn to_doc(&self) -> Doc;
}

/// Writes a mapping of the fields given (`names[i]` for `fields[i]`, in order; a `None` field is
/// left out, as serde's `skip_serializing_if` leaves it out).
pub fn write_fields(names: &'static [&'static str], fields: &[Option<&dyn ToDoc>]) -> Doc {
    let mut map = Map(Vec::with_capacity(names.len()));
    for (name, field) in names.iter().zip(fields) {
        if let Some(field) = field {
            map.0.push((name.to_string(), field.to_doc()));
        }
    }
    Doc::Map(map)
}

impl ToDoc for String {
    fn to_doc(&self) -> Doc {
        Doc::Str(self.clone())
    }
}

impl ToDoc for std::sync::Arc<str> {
    fn to_doc(&self) -> Doc {
        Doc::Str(self.to_string())
    }
}

impl ToDoc for u32 {
    fn to_doc(&self) -> Doc {
        Doc::Int((*self).into())
    }
}

impl ToDoc for f64 {
    /// NaN and infinities as null, as serde_json writes them.
    fn to_doc(&self) -> Doc {
        Doc::float(*self)
    }
}

impl<T: ToDoc> ToDoc for Option<T> {
    /// `None` is null.
    fn to_doc(&self) -> Doc {
        match self {
            Some(value) => value.to_doc(),
            None => Doc::Null,
        }
    }
}

/// A sequence's items one at a time, for [`write_seq`]: one tiny impl per item type instead of a
/// loop per item type.
pub trait Items {
    fn item(&self, index: usize) -> Option<&dyn ToDoc>;
}

impl<T: ToDoc> Items for Vec<T> {
    fn item(&self, index: usize) -> Option<&dyn ToDoc> {
        self.get(index).map(|item| item as &dyn ToDoc)
    }
}

/// Writes a sequence of the items given, in order.
pub fn write_seq(items: &dyn Items) -> Doc {
    let mut seq = Vec::new();
    while let Some(item) = items.item(seq.len()) {
        seq.push(item.to_doc());
    }
    Doc::Seq(seq)
}

impl<T: ToDoc> ToDoc for Vec<T> {
    fn to_doc(&self) -> Doc {
        write_seq(self)
    }
}

impl<T: ToDoc> ToDoc for BTreeMap<String, T> {
    /// In key order.
    fn to_doc(&self) -> Doc {
        Doc::Map(Map(self.iter().map(|(key, value)| (key.clone(), value.to_doc())).collect()))
    }
}

/// Implements [`ToDoc`] for a struct from its fields in declaration order: `field: "name"` is
/// always written, `field: "name" skip_if is_default` is left out when `is_default(&field)` (serde's
/// `skip_serializing_if`).
macro_rules! write_struct {
    ($ty:ident { $($field:ident: $name:literal $(skip_if $skip:path)?),* $(,)? }) => {
        impl $crate::doc::write::ToDoc for $ty {
            fn to_doc(&self) -> $crate::doc::Doc {
                $crate::doc::write::write_fields(
                    &[$($name),*],
                    &[$($crate::doc::write::write_struct!(@field &self.$field $(, $skip)?)),*],
                )
            }
        }
    };
    (@field $value:expr) => {
        Some($value as &dyn $crate::doc::write::ToDoc)
    };
    (@field $value:expr, $skip:path) => {{
        let value = $value;
        if $skip(value) {
            None
        } else {
            Some(value as &dyn $crate::doc::write::ToDoc)
        }
    }};
}
pub(crate) use write_struct;
