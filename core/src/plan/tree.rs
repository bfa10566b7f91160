//! A YAML (or JSON) document as a tree of values that remember their line and column.
//!
//! Typed reading (`yaml::from_str`) says what is wrong; this tree says where: it maps a field path such as
//! `spec.nodePools[0].weight` to a line and column, and a line back to a field path. The importer and
//! the linter read Kubernetes YAML through it so that every finding can name its line.

pub use crate::yaml::{Error, Node, Value, MAX_DEPTH};

use crate::doc::Doc;

/// Parses one YAML (or JSON) document into a located tree.
pub fn parse_document(text: &str) -> Result<Node, Error> {
    crate::yaml::parse_document(text)
}

/// Parses a multi-document YAML stream into located trees (empty documents are skipped).
pub fn parse_stream(text: &str) -> Result<Vec<Node>, Error> {
    crate::yaml::parse_stream(text)
}

impl Node {
    /// The value under a mapping key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a dotted path relative to this node (`spec.template.spec`).
    pub fn at(&self, path: &str) -> Option<&Node> {
        let mut node = self;
        for segment in split_path(path) {
            node = match segment {
                Segment::Key(k) => node.get(k)?,
                Segment::Index(i) => node.items().get(i)?,
            };
        }
        Some(node)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar written as text (`5` and `"5"` both give `5`), as Kubernetes quantities are read.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Some(*f as i64),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match &self.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Sequence items (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// Mapping entries (empty for anything else).
    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The line of the deepest node that exists along `path` (the closest place to point at).
    pub fn locate(&self, path: &str) -> (u64, u64) {
        let mut node = self;
        for segment in split_path(path) {
            let next = match segment {
                Segment::Key(k) => node.get(k),
                Segment::Index(i) => node.items().get(i),
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        (node.line, node.column)
    }

    /// The field path of the first node, in document order, that starts at or after `line` and
    /// `column` (and, when `key` is given, is the value of that key): where a typed read failed, given
    /// the position the YAML reader reports. An invalid value is reported at the value itself, an
    /// unknown field at its key (whose value is the next node of that key), a missing field at the
    /// last key of the mapping that lacks it (whose value is the next node, so the mapping is that
    /// node's parent: `parent` gives it).
    pub fn path_at(&self, line: u64, column: u64, key: Option<&str>, parent: bool) -> Option<String> {
        let mut found: Option<String> = None;
        self.walk_paths(String::new(), &mut |path, node| {
            let named = key.is_none_or(|k| path.strip_suffix(k).is_some_and(|p| p.is_empty() || p.ends_with('.')));
            if found.is_none() && named && (node.line, node.column) >= (line, column) {
                found = Some(path.to_string());
            }
        });
        let path = found?;
        if !parent {
            return Some(path);
        }
        // The parent of `a.b[2].c` is `a.b[2]`; of `a.b[2]`, `a.b`.
        let cut = path.rfind(['.', '[']).unwrap_or(0);
        Some(path[..cut].to_string())
    }

    fn walk_paths(&self, path: String, visit: &mut dyn FnMut(&str, &Node)) {
        visit(&path, self);
        match &self.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    v.walk_paths(child, visit);
                }
            }
            Value::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    v.walk_paths(format!("{path}[{i}]"), visit);
                }
            }
            _ => {}
        }
    }

    /// The tree as a document (positions dropped): what the widget hands out as JSON, and what
    /// tests compare.
    pub fn to_doc(&self) -> Doc {
        match &self.value {
            Value::Null => Doc::Null,
            Value::Bool(b) => Doc::Bool(*b),
            Value::Int(i) => Doc::from(*i),
            Value::Float(f) => Doc::from(*f),
            Value::Str(s) => Doc::String(s.clone()),
            Value::Seq(items) => Doc::Array(items.iter().map(Node::to_doc).collect()),
            Value::Map(entries) => Doc::Object(entries.iter().map(|(k, v)| (k.clone(), v.to_doc())).collect()),
        }
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `a.b[2].c` into segments. Keys containing dots (label keys) cannot be addressed; the
/// path then stops at the closest existing parent, which is still the right line to point at.
fn split_path(path: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                segments.push(Segment::Key(&rest[..open]));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else { break };
                if let Ok(i) = stripped[..close].parse() {
                    segments.push(Segment::Index(i));
                }
                rest = &stripped[close + 1..];
            }
        } else {
            segments.push(Segment::Key(rest));
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_lines() {
        let doc = parse_document("a: 1\nb:\n  - x: true\n  - y: [1, 2]\n").unwrap();
        assert_eq!(doc.locate("b[1].y").0, 4);
        assert_eq!(doc.at("b[0].x").unwrap().value, Value::Bool(true));
        // The node at a position, or the first one after it (an unknown key's value).
        assert_eq!(doc.path_at(3, 8, None, false).as_deref(), Some("b[0].x"));
        // At a key (an unknown field's place): the mapping starts there too; the key's value is meant.
        assert_eq!(doc.path_at(3, 5, None, false).as_deref(), Some("b[0]"));
        assert_eq!(doc.path_at(3, 5, Some("x"), false).as_deref(), Some("b[0].x"));
        assert_eq!(doc.path_at(3, 8, None, true).as_deref(), Some("b[0]"));
        let doc = parse_document("a: 1\nb:\n  - x: true\n  - z: [1, 2]\n").unwrap();
        assert_eq!(doc.path_at(4, 12, None, false).as_deref(), Some("b[1].z[1]"));
        assert_eq!(doc.path_at(4, 12, None, true).as_deref(), Some("b[1].z"));
        assert_eq!(doc.locate("b[5].z"), doc.locate("b"));
    }

    #[test]
    fn streams_skip_empty_documents() {
        let docs = parse_stream("---\na: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].line, 5);
    }
}
