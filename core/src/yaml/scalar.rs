//! How a YAML scalar's text becomes a value: null, boolean, integer, float or string.
//!
//! The rules are the ones Tokenfleet has always read YAML with (those of serde-saphyr 2.2, whose
//! `deserialize_any` resolution these functions follow, under its MIT/Apache-2.0 licence): YAML 1.2
//! core-schema numbers and nulls, and YAML 1.1 booleans (`yes`, `no`, `on`, `off`, `y`, `n` in any
//! case). Quoted and block scalars are always strings unless a tag says otherwise.

use super::scan::{ScalarStyle, Tag};

use super::Value;

/// The namespace of the standard `!!` tags.
const YAML_NAMESPACE: &str = "tag:yaml.org,2002:";

/// What a scalar's tag asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TagKind {
    None,
    Null,
    Bool,
    Int,
    Float,
    Str,
    Seq,
    Map,
    /// `!`: no resolution, the text is a string.
    NonSpecific,
    Binary,
    Timestamp,
    /// `!!merge` (on a `<<` key) and `!!value`: recognised, read as untagged.
    Merge,
    Value,
    /// `!include`: without an include resolver it is read as untagged.
    Include,
    /// Robotics extensions (`!degrees`, `!radians`, `!time`), which Tokenfleet does not enable.
    Angle,
    /// Any other tag, by its resolved spelling; read as untagged.
    Other(String),
}

impl TagKind {
    pub(super) fn of(tag: Option<&Tag>) -> TagKind {
        let Some(tag) = tag else { return TagKind::None };
        for prefix in ["!include", "tag:yaml.org,2002:include", "tag:yaml.org,2002:!include"] {
            if let Some(rest) = tag.suffix_in_namespace(prefix) {
                if rest.is_empty() || rest.starts_with('#') {
                    return TagKind::Include;
                }
            }
        }
        if let Some(core) = tag.core_suffix().and_then(core_kind) {
            return core;
        }
        if let Some(suffix) = tag.suffix_in_namespace(YAML_NAMESPACE) {
            return match suffix.as_ref() {
                "merge" => TagKind::Merge,
                "value" => TagKind::Value,
                name => named_kind(name.strip_prefix('!').unwrap_or(name), tag),
            };
        }
        let Some(suffix) = tag.suffix_in_namespace("!") else { return other(tag) };
        match suffix.as_ref() {
            "" | "!" => TagKind::NonSpecific,
            "!timestamp" => TagKind::Timestamp,
            "!binary" => TagKind::Binary,
            name => match name.strip_prefix('!') {
                Some(name) => core_kind(name).unwrap_or_else(|| other(tag)),
                None => named_kind(name, tag),
            },
        }
    }

    /// The kind of node the tag belongs on, if it says (`!!map` on a scalar is an error).
    pub(super) fn requires(&self) -> Option<NodeKind> {
        match self {
            TagKind::Seq => Some(NodeKind::Sequence),
            TagKind::Map => Some(NodeKind::Mapping),
            TagKind::None | TagKind::NonSpecific | TagKind::Other(_) => None,
            _ => Some(NodeKind::Scalar),
        }
    }

    fn forces_string(&self) -> bool {
        matches!(self, TagKind::Str | TagKind::NonSpecific)
    }

    fn can_be_string(&self) -> bool {
        matches!(
            self,
            TagKind::None
                | TagKind::Str
                | TagKind::Merge
                | TagKind::Value
                | TagKind::Other(_)
                | TagKind::Include
                | TagKind::NonSpecific
        )
    }

    fn is_core(&self) -> bool {
        matches!(
            self,
            TagKind::Null | TagKind::Bool | TagKind::Int | TagKind::Float | TagKind::Str | TagKind::Seq | TagKind::Map
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NodeKind {
    Scalar,
    Sequence,
    Mapping,
}

fn core_kind(suffix: &str) -> Option<TagKind> {
    Some(match suffix {
        "null" => TagKind::Null,
        "bool" => TagKind::Bool,
        "int" => TagKind::Int,
        "float" => TagKind::Float,
        "str" => TagKind::Str,
        "seq" => TagKind::Seq,
        "map" => TagKind::Map,
        _ => return None,
    })
}

fn named_kind(name: &str, tag: &Tag) -> TagKind {
    match name {
        "timestamp" => TagKind::Timestamp,
        "binary" => TagKind::Binary,
        "include" => TagKind::Include,
        "time" | "degrees" | "radians" => TagKind::Angle,
        _ => core_kind(name).unwrap_or_else(|| other(tag)),
    }
}

fn other(tag: &Tag) -> TagKind {
    let (handle, suffix) = tag.parts();
    TagKind::Other(format!("{handle}{suffix}"))
}

/// Why a scalar has no value (the caller adds the place).
pub(super) enum ScalarError {
    /// The tag asks for a type the text is not (`!!int x`).
    Invalid(&'static str),
    NonFinite(String),
    /// `!!timestamp` and the robotics tags: types a Tokenfleet document has no use for.
    UnsupportedTag,
    Binary(&'static str),
}

/// The value of a scalar.
pub(super) fn resolve(text: &str, style: ScalarStyle, tag: &TagKind) -> Result<Value, ScalarError> {
    match tag {
        TagKind::Null => return Ok(Value::Null),
        TagKind::Bool => return yaml11_bool(text).map(Value::Bool).ok_or(ScalarError::Invalid("boolean")),
        TagKind::Int if trim(text).starts_with('-') => {
            return parse_int_signed(text)
                .and_then(|v| i64::try_from(v).ok())
                .map(Value::Int)
                .ok_or(ScalarError::Invalid("i64"))
        }
        TagKind::Int => {
            return parse_int_unsigned(text)
                .and_then(|v| u64::try_from(v).ok())
                .map(unsigned)
                .ok_or(ScalarError::Invalid("u64"))
        }
        TagKind::Float => {
            let value = float_including_overflow(text, true).ok_or(ScalarError::Invalid("floating point"))?;
            return finite(value, text);
        }
        TagKind::Angle => return Err(ScalarError::Invalid("floating point")),
        _ => {}
    }
    let plain = style == ScalarStyle::Plain;
    if plain
        && !tag.is_core()
        && !tag.forces_string()
        && !matches!(tag, TagKind::Binary | TagKind::Timestamp)
        && is_nullish(text)
    {
        return Ok(Value::Null);
    }
    if *tag == TagKind::Binary {
        return binary(text).map(Value::Str);
    }
    if !plain || !tag.can_be_string() || tag.forces_string() {
        if !tag.can_be_string() {
            return Err(ScalarError::UnsupportedTag);
        }
        return Ok(Value::Str(text.to_string()));
    }
    if let Some(b) = yaml11_bool(text) {
        return Ok(Value::Bool(b));
    }
    let t = trim(text);
    let unsigned_text = t.strip_prefix(['+', '-']).unwrap_or(t);
    if matches!(unsigned_text.as_bytes(), [b'0', b'X' | b'O' | b'B', ..]) || is_signed_nan(t) {
        return Ok(Value::Str(text.to_string()));
    }
    if t.starts_with('-') {
        if !leading_zero_decimal(t) {
            if let Some(v) = parse_int_signed(t).and_then(|v| i64::try_from(v).ok()) {
                return Ok(Value::Int(v));
            }
        }
    } else if let Some(v) = parse_int_unsigned(t).and_then(|v| u64::try_from(v).ok()) {
        return Ok(unsigned(v));
    }
    match float_including_overflow(text, false) {
        Some(v) => finite(v, text),
        None => Ok(Value::Str(text.to_string())),
    }
}

fn unsigned(v: u64) -> Value {
    i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64))
}

fn finite(value: f64, text: &str) -> Result<Value, ScalarError> {
    if value.is_finite() {
        Ok(Value::Float(value))
    } else {
        Err(ScalarError::NonFinite(text.to_string()))
    }
}

/// Plain scalars that mean null.
pub(super) fn is_nullish(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Padding that scalar conversion ignores.
fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

/// YAML 1.1 booleans, in any letter case: true/yes/y/on and false/no/n/off.
fn yaml11_bool(s: &str) -> Option<bool> {
    let t = trim(s);
    let is = |words: [&str; 4]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
    if is(["true", "yes", "y", "on"]) {
        Some(true)
    } else if is(["false", "no", "n", "off"]) {
        Some(false)
    } else {
        None
    }
}

fn is_signed_nan(t: &str) -> bool {
    t.strip_prefix(['+', '-']).is_some_and(|u| matches!(u, ".nan" | ".NaN" | ".NAN"))
}

/// `0127`, `+0127`, `-0127`: decimal integers with a redundant leading zero (not integers in YAML 1.2).
fn leading_zero_decimal(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Digits in a radix with single underscores between them (`1_000`, `ff_ff`).
fn digits_u128(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    let mut saw = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            if i == 0 || bytes[i - 1] == b'_' || i + 1 == bytes.len() || bytes[i + 1] == b'_' {
                return None;
            }
            continue;
        }
        let d = (b as char).to_digit(radix)?;
        value = value.checked_mul(u128::from(radix))?.checked_add(u128::from(d))?;
        saw = true;
    }
    saw.then_some(value)
}

fn radix_and_digits(rest: &str) -> (u32, &str) {
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
        if let Some(digits) = rest.strip_prefix(prefix) {
            return (radix, digits);
        }
    }
    (10, rest)
}

/// An integer with an optional sign; decimal, `0x`, `0o` or `0b`.
fn parse_int_signed(s: &str) -> Option<i128> {
    let t = trim(s);
    let (negative, rest) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    let magnitude = digits_u128(digits, radix)?;
    if negative {
        if magnitude == (i128::MAX as u128) + 1 {
            Some(i128::MIN)
        } else {
            i128::try_from(magnitude).ok()?.checked_neg()
        }
    } else {
        i128::try_from(magnitude).ok()
    }
}

/// An integer with an optional `+`; decimal, `0x`, `0o` or `0b`.
fn parse_int_unsigned(s: &str) -> Option<u128> {
    let t = trim(s);
    if t.starts_with('-') {
        return None;
    }
    let (radix, digits) = radix_and_digits(t.strip_prefix('+').unwrap_or(t));
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    digits_u128(digits, radix)
}

/// A float: `.inf`, `-.inf`, `.nan` (any of their three letter cases), or a decimal number as Rust
/// reads it; a decimal literal too large for f64 (`1e999`) reads as infinite. `tagged` (an explicit
/// `!!float`) also accepts a signed NaN spelling.
fn float_including_overflow(s: &str, tagged: bool) -> Option<f64> {
    let t = trim(s);
    if tagged && is_signed_nan(t) {
        return Some(f64::NAN);
    }
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" => return Some(if negative { f64::NEG_INFINITY } else { f64::INFINITY }),
        _ => {}
    }
    match crate::float::parse_f64(t) {
        Some(v) if v.is_finite() => Some(v),
        Some(v) if v.is_infinite() && unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) => Some(v),
        _ => None,
    }
}

/// A `!!binary` scalar: base64 (whitespace allowed) of UTF-8 text.
fn binary(s: &str) -> Result<String, ScalarError> {
    let cleaned: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !cleaned.len().is_multiple_of(4) {
        return Err(ScalarError::Binary("invalid base64 in a !!binary scalar"));
    }
    let value = |b: u8| -> Result<u32, ScalarError> {
        Ok(u32::from(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(ScalarError::Binary("invalid base64 in a !!binary scalar")),
        }))
    };
    let mut out = Vec::with_capacity(cleaned.len() / 4 * 3);
    let chunks = cleaned.len() / 4;
    for (i, chunk) in cleaned.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return Err(ScalarError::Binary("invalid base64 in a !!binary scalar"));
        }
        let mut n = 0;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..3 - pad]);
    }
    String::from_utf8(out).map_err(|_| ScalarError::Binary("a !!binary scalar that is not UTF-8 text"))
}

/// The identity of a mapping key for duplicate detection: integers by value (`0x1` and `1` are the
/// same key), other scalars by their text and the kind of their tag, collections by their content.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum KeyId {
    Int(bool, u128),
    Scalar(TagClass, String),
    Seq(Vec<KeyId>),
    Map(Vec<(KeyId, KeyId)>),
}

/// The tag part of a scalar key's identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum TagClass {
    Str,
    Null,
    Other(String),
    Kind(u8),
}

/// The identity of a scalar key.
pub(super) fn scalar_key_id(text: &str, style: ScalarStyle, tag: &TagKind) -> KeyId {
    if *tag == TagKind::Int || (*tag == TagKind::None && style == ScalarStyle::Plain) {
        let t = trim(text);
        if t.starts_with('-') {
            if let Some(v) = parse_int_signed(t) {
                return KeyId::Int(v < 0, v.unsigned_abs());
            }
        } else if let Some(v) = parse_int_unsigned(t) {
            return KeyId::Int(false, v);
        }
    }
    let class = match tag {
        TagKind::None if style == ScalarStyle::Plain && is_nullish(text) => TagClass::Null,
        TagKind::Other(name) => TagClass::Other(name.clone()),
        tag if tag.can_be_string() => TagClass::Str,
        TagKind::Null => TagClass::Null,
        tag => TagClass::Kind(tag_rank(tag)),
    };
    KeyId::Scalar(class, text.to_string())
}

fn tag_rank(tag: &TagKind) -> u8 {
    match tag {
        TagKind::Bool => 1,
        TagKind::Int => 2,
        TagKind::Float => 3,
        TagKind::Binary => 4,
        TagKind::Timestamp => 5,
        TagKind::Angle => 6,
        _ => 0,
    }
}
