//! YAML in and out: located trees from text ([`parse`]) and text from JSON values ([`emit`]).
//!
//! Scanning and parsing (`scan`) are a compact port of granit-parser's, the event parser
//! serde-saphyr is built on: the same events, positions and refusals. The tree builder and the
//! emitter are ours too, small, and instantiated once, which keeps the web app small. serde-saphyr,
//! which Tokenfleet used before, is kept as the test oracle all of them must agree with
//! (`tests/integration/yaml_oracle.rs`).

pub mod emit;
pub mod parse;
mod scalar;
mod scan;

pub use emit::to_yaml;
pub use parse::{parse_document, parse_stream, Error, MAX_DEPTH};

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
