//! YAML in and out through serde-saphyr: located trees from text ([`parse_document`],
//! [`parse_stream`]), typed values from text ([`from_str`], with the field path of every error), and
//! text from any `Serialize` value ([`to_yaml`]).
//!
//! This module is a thin adapter. serde-saphyr (pure Rust, on the granit-parser event parser) does
//! the scanning, scalar resolution (YAML 1.2 core-schema numbers and nulls, YAML 1.1 booleans),
//! anchors, aliases, merge keys, duplicate-key refusal and the limits that keep hostile input cheap
//! (its `Budget`); the tree keeps the position serde-saphyr's `Spanned` gives every node, which the
//! importer and the linter need to name lines. JSON is YAML's flow style and reads the same way.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// A value with the position (1-based line and column, in characters) where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub line: u64,
    pub column: u64,
}

/// A YAML value. Mapping keys keep their order; non-string keys are written as strings.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// Why text could not be read, and where (1-based line and column, in characters; 0 when the
/// reader could not place it). `path` is the field path of a typed read's error
/// (`spec.nodePools[0].weight`), empty for errors in the YAML itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub message: String,
    pub line: u64,
    pub column: u64,
    pub path: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for Error {}

/// Nesting deeper than this is refused (no plan or manifest needs it; it protects the stack).
pub const MAX_DEPTH: usize = 40;
/// At most this many nodes, counting those an alias copies (so alias bombs stop early).
pub const MAX_NODES: usize = 250_000;
/// At most this many documents in a stream.
pub const MAX_DOCUMENTS: usize = 1_024;

/// serde-saphyr's options with Tokenfleet's limits: its own budget (events, aliases, anchors,
/// scalar bytes, the alias-to-anchor ratio) with a shallower nesting, fewer nodes and documents,
/// and plain messages (no source snippet: shells print the file and line themselves).
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_documents = MAX_DOCUMENTS;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

fn error(e: serde_saphyr::Error) -> Error {
    let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or_default();
    Error { message: budget_message(plain_message(&e)), line, column, path: String::new() }
}

/// serde-saphyr names a breached limit by its Rust name (`budget breached: Nodes { nodes: 250001 }`);
/// users get the limit in words.
fn budget_message(message: String) -> String {
    let Some(what) = message.strip_prefix("budget breached: ") else { return message };
    let kind = what.split([' ', '{', '(']).next().unwrap_or_default();
    let words = match kind {
        "Nodes" => format!("more than {MAX_NODES} YAML nodes"),
        "Depth" => format!("nesting deeper than {MAX_DEPTH} levels"),
        "Documents" => format!("more than {MAX_DOCUMENTS} YAML documents"),
        "Aliases" | "Anchors" | "AliasAnchorRatio" | "RecordedAnchorEvents" | "MergeKeys" => {
            format!("too many anchors, aliases or merges (an alias bomb?): {what}")
        }
        _ => format!("the input is too large or too deeply nested to read ({what})"),
    };
    format!("{words}; refusing to read further")
}

/// The message of an error without serde-saphyr's own "at line …" suffix (the position is kept in
/// the error's fields).
fn plain_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    match text.rfind(" at line ") {
        Some(at) if text[at..].contains("column") => text[..at].to_string(),
        _ => text,
    }
}

/// Parses one YAML (or JSON) document into a located tree. Empty text is a null document.
pub fn parse_document(text: &str) -> Result<Node, Error> {
    let text = &escape_json_strings(text);
    let docs: Vec<Option<Located>> = serde_saphyr::from_multiple_with_options(text, options()).map_err(error)?;
    let mut docs = docs.into_iter();
    let first = docs.next().flatten().map(|l| l.0);
    if let Some(second) = docs.next() {
        let (line, column) = second.map(|l| (l.0.line, l.0.column)).unwrap_or((0, 0));
        return Err(Error {
            message: "a second YAML document follows the first (after `---`); one document is expected here"
                .to_string(),
            line,
            column,
            path: String::new(),
        });
    }
    Ok(first.unwrap_or(Node { value: Value::Null, line: 1, column: 1 }))
}

/// Parses a multi-document YAML stream into located trees; empty (null) documents are skipped.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, Error> {
    let text = &escape_json_strings(text);
    let docs: Vec<Option<Located>> = serde_saphyr::from_multiple_with_options(text, options()).map_err(error)?;
    Ok(docs.into_iter().flatten().map(|l| l.0).filter(|n| n.value != Value::Null).collect())
}

/// Reads a typed value from YAML (or JSON) text with its derived `Deserialize`. An error carries
/// serde's words, the line and column serde-saphyr places it at, and the field path of that place
/// in the located tree (`spec.nodePools[0].weight`).
///
/// A missing field is placed where the mapping that lacks it starts (serde-saphyr places it at the
/// mapping's last key), which is where a reader looks for it.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let escaped = escape_json_strings(text);
    serde_saphyr::from_str_with_options::<T>(&escaped, options()).map_err(|e| {
        let mut error = error(e);
        if error.line > 0 {
            if let Ok(root) = parse_document(text) {
                let missing = error.message.starts_with("missing field");
                let unknown = error.message.strip_prefix("unknown field `").and_then(|m| m.split('`').next());
                error.path = root.path_at(error.line, error.column, unknown, missing).unwrap_or_default();
                if missing {
                    (error.line, error.column) = root.locate(&error.path);
                }
            }
        }
        error
    })
}

/// A value as YAML (block style, two-space indentation, without `---`), ending in a newline.
/// Deterministic byte for byte: serde-saphyr's serializer with its default options.
pub fn to_yaml<T: Serialize>(value: &T) -> String {
    // Serializing into a String fails only for values YAML cannot hold (a map with non-scalar
    // keys); none of core's types has one.
    serde_saphyr::to_string(value).unwrap_or_else(|e| format!("# not representable as YAML: {e}\n"))
}

/// Whether a text opens as JSON does (with an object, an array or a string).
fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\r', '\n', '\u{feff}']).starts_with(['{', '[', '"'])
}
/// JSON strings may hold characters raw that YAML only accepts escaped (DEL, the C1 controls but
/// NEL, U+FFFE, U+FFFF): in text that opens like JSON, those inside double-quoted strings are
/// escaped before parsing, so that every JSON text reads as JSON does (share links, autosaves and
/// `workload.json` are JSON). Columns after such a character on its line shift by the escape's
/// length; elsewhere the text is read unchanged.
fn escape_json_strings(text: &str) -> Cow<'_, str> {
    let non_printable = |c: char| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
    if !looks_like_json(text) || !text.contains(non_printable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if non_printable(c) {
                let _ = write!(out, "\\u{:04X}", c as u32);
                continue;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// A node read with its position (serde-saphyr's `Spanned`).
struct Located(Node);

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Plain>::deserialize(deserializer)?;
        Ok(Located(Node {
            value: spanned.value.0,
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
        }))
    }
}

/// A value whose children are located nodes.
struct Plain(Value);

impl<'de> Deserialize<'de> for Plain {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

/// A whole number as the tree holds it: `i64` when it fits, else the nearest float.
fn whole(v: i128) -> Value {
    i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64))
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Plain;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Plain, E> {
        Ok(Plain(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Plain, E> {
        Ok(Plain(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Plain, D::Error> {
        Plain::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Plain, E> {
        Ok(Plain(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Plain, E> {
        Ok(Plain(Value::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Plain, E> {
        Ok(Plain(whole(v.into())))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Plain, E> {
        Ok(Plain(whole(v)))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Plain, E> {
        Ok(Plain(i128::try_from(v).map(whole).unwrap_or(Value::Float(v as f64))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Plain, E> {
        Ok(Plain(Value::Float(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Plain, E> {
        Ok(Plain(Value::Str(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Plain, E> {
        Ok(Plain(Value::Str(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Plain, E> {
        Ok(Plain(Value::Str(String::from_utf8_lossy(v).into_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Plain, A::Error> {
        let mut items = Vec::new();
        while let Some(Located(item)) = seq.next_element::<Located>()? {
            items.push(item);
        }
        Ok(Plain(Value::Seq(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Plain, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            let Located(value) = map.next_value::<Located>()?;
            entries.push((key, value));
        }
        Ok(Plain(Value::Map(last_of_each_key(entries))))
    }
}

/// The entries with each key once, at its last occurrence (a key a merge (`<<`) brings in and the
/// mapping also writes keeps the mapping's own value), in linear time: a mapping of 100 000 labels
/// must not cost 10¹⁰ comparisons.
fn last_of_each_key(entries: Vec<(String, Node)>) -> Vec<(String, Node)> {
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    let repeated = entries.iter().rev().any(|(k, _)| !seen.insert(k.as_str()));
    if !repeated {
        return entries;
    }
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    let mut kept: Vec<(String, Node)> = entries.into_iter().rev().filter(|(k, _)| seen.insert(k.clone())).collect();
    kept.reverse();
    kept
}

/// A mapping key as text (`1: a` and `"1": a` are both the key `1`).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Plain(value) = Plain::deserialize(deserializer)?;
        Ok(Key(match value {
            Value::Str(s) => s,
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Seq(_) | Value::Map(_) => "<complex key>".to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> Vec<(String, Node)> {
        match parse_document(text).unwrap().value {
            Value::Map(entries) => entries,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    #[test]
    fn nodes_carry_their_line_and_column() {
        let entries = map("a: 1\nb:\n  - x\n  - {c: true}\n");
        assert_eq!((entries[0].1.line, entries[0].1.column), (1, 4));
        let Value::Seq(items) = &entries[1].1.value else { panic!() };
        assert_eq!((items[1].line, items[1].column), (4, 5));
    }

    #[test]
    fn scalars_resolve_as_yaml_1_2_numbers_and_yaml_1_1_booleans() {
        let entries = map("a: yes\nb: 0x10\nc: ~\nd: '1'\ne: 1.5\n");
        let values: Vec<&Value> = entries.iter().map(|(_, n)| &n.value).collect();
        assert_eq!(
            values,
            [&Value::Bool(true), &Value::Int(16), &Value::Null, &Value::Str("1".into()), &Value::Float(1.5)]
        );
    }

    #[test]
    fn merges_aliases_and_streams() {
        let entries = map("base: &b {p: 1, q: 2}\nm:\n  <<: *b\n  q: 3\n");
        let Value::Map(m) = &entries[1].1.value else { panic!() };
        let mut keys: Vec<(&str, &Value)> = m.iter().map(|(k, v)| (k.as_str(), &v.value)).collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(keys, [("p", &Value::Int(1)), ("q", &Value::Int(3))]);
        assert_eq!(parse_stream("a: 1\n---\n---\nb: 2\n").unwrap().len(), 2);
    }

    #[test]
    fn mistakes_are_placed() {
        let e = parse_document("a: 1\na: 2\n").unwrap_err();
        assert!(e.line >= 1, "{e}");
        let e = parse_document("a: [1, 2\n").unwrap_err();
        assert!(e.line >= 1 && !e.message.is_empty(), "{e}");
        let e = parse_document("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn hostile_input_is_refused_by_the_budget() {
        let deep = "[".repeat(MAX_DEPTH + 5);
        assert!(parse_document(&deep).is_err());
        let docs = "a: 1\n---\n".repeat(MAX_DOCUMENTS + 5);
        assert!(parse_stream(&docs).is_err());
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 { "a".to_string() } else { format!("l{}", i - 1) };
            bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse_document(&bomb).is_err());
    }

    #[test]
    fn limits_are_named_in_words() {
        let e = parse_document(&format!("[{}]", vec!["1"; MAX_NODES + 1].join(","))).unwrap_err();
        assert!(e.message.starts_with(&format!("more than {MAX_NODES} YAML nodes")), "{e}");
    }

    #[test]
    fn a_wide_mapping_reads_in_linear_time() {
        // 100 000 keys: the old key-by-key de-duplication took about a minute for this.
        let text: String = (0..100_000).map(|i| format!("k{i}: v\n")).collect();
        let start = std::time::Instant::now();
        let Value::Map(entries) = parse_document(&text).unwrap().value else { panic!() };
        assert_eq!(entries.len(), 100_000);
        // Not a timing budget: a guard against going quadratic again (that took over a minute).
        assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[allow(dead_code)]
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        weight: u32,
    }

    #[test]
    fn typed_errors_name_the_field_path_and_line() {
        let e = from_str::<Outer>("items:\n  - weight: 1\n  - weight: x\n").unwrap_err();
        assert_eq!(e.path, "items[1].weight", "{e:?}");
        assert_eq!(e.line, 3, "{e:?}");
        assert!(e.message.contains("invalid"), "{e:?}");
        let e = from_str::<Outer>("items:\n  - weight: 1\n    wieght: 2\n").unwrap_err();
        assert!(e.message.contains("unknown field `wieght`"), "{e:?}");
        assert_eq!(e.line, 3, "{e:?}");
    }

    #[test]
    fn values_write_as_block_yaml() {
        #[derive(Serialize)]
        struct S {
            name: &'static str,
            list: Vec<u32>,
            text: &'static str,
        }
        let text = to_yaml(&S { name: "yes", list: vec![1, 2], text: "a\nb\n" });
        assert_eq!(text, "name: \"yes\"\nlist:\n- 1\n- 2\ntext: |\n  a\n  b\n");
    }
}
