//! YAML text (or JSON, which is YAML's flow style) into located trees.
//!
//! `scan` turns the text into events (scalars, collection starts and ends, aliases, each with
//! where it starts); this module builds the tree from them: scalars resolved as `scalar` says, anchors
//! and aliases (an alias is a copy of its anchored node, placed where the alias is written), merge
//! keys (`<<`), tags, and duplicate keys refused. Limits keep hostile input cheap: nesting depth,
//! node count (aliases count the nodes they copy), documents, anchors and aliases.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use super::scalar::{self, KeyId, NodeKind, ScalarError, TagClass, TagKind};
use super::scan::{Event, Mark, Parser, ScalarStyle, Tag};
use super::{Node, Value};

/// Why text could not be read as YAML, and where (1-based line and column, in characters).
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub message: String,
    pub line: u64,
    pub column: u64,
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
const MAX_ANCHORS: usize = 50_000;
const MAX_ALIASES: usize = 50_000;
/// Aliases copy their text: at most this many bytes of copied scalars.
const MAX_COPIED_BYTES: usize = 64 * 1024 * 1024;
/// From this many aliases on, more than ten aliases per anchor is taken for an alias bomb.
const ALIAS_RATIO_MIN_ALIASES: usize = 100;
const ALIAS_RATIO: usize = 10;

/// Parses one YAML (or JSON) document into a located tree. Empty text is a null document.
pub fn parse_document(text: &str) -> Result<Node, Error> {
    let text = escape_json_strings(text);
    let mut builder = Builder::new(&text);
    let root = match builder.next_document()? {
        Some(root) => root,
        None => Node { value: Value::Null, line: builder.last.0, column: builder.last.1 },
    };
    if let Some((line, column)) = builder.next_content()? {
        return Err(Error {
            message: "a second YAML document follows the first (after `---`); one document is expected here"
                .to_string(),
            line,
            column,
        });
    }
    builder.finish()?;
    Ok(root)
}

/// Parses a multi-document YAML stream into located trees; empty (null) documents are skipped.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, Error> {
    let text = escape_json_strings(text);
    let mut builder = Builder::new(&text);
    let mut documents = Vec::new();
    while let Some(root) = builder.next_document()? {
        if root.value != Value::Null {
            documents.push(root);
        }
    }
    builder.finish()?;
    Ok(documents)
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

/// Key identities of a node's mappings, kept while building so that merges (`<<`) can tell which
/// merged keys a mapping already has.
#[derive(Debug, Clone)]
enum Ids {
    None,
    Map(Vec<KeyId>),
    Seq(Vec<Ids>),
}

/// A node with an anchor (`&name`), kept for its aliases.
struct Anchored {
    node: Node,
    ids: Ids,
    /// The key identity of an anchored scalar (collections compute theirs when used as a key).
    key: Option<ScalarKey>,
    nodes: usize,
    height: usize,
    bytes: usize,
}

/// The identity of a scalar used as a mapping key, and whether it is the merge key `<<`.
type ScalarKey = (KeyId, bool);

/// A mapping key: its node, identity, whether it is the merge key `<<`, and its text for messages.
struct Key {
    node: Node,
    id: KeyId,
    merge: bool,
    text: Option<String>,
}

struct Builder<'a> {
    parser: Parser<'a>,
    /// Where the last event read starts.
    last: (u64, u64),
    anchors: Vec<Option<Anchored>>,
    /// Anchored collections still being built (an alias to one of them would be recursive).
    open: Vec<usize>,
    nodes: usize,
    documents: usize,
    anchors_defined: usize,
    aliases: usize,
    copied_bytes: usize,
}

fn location(mark: Mark) -> (u64, u64) {
    (mark.line as u64, mark.col as u64 + 1)
}

fn error_at((line, column): (u64, u64), message: impl Into<String>) -> Error {
    Error { message: message.into(), line, column }
}

impl<'a> Builder<'a> {
    fn new(text: &'a str) -> Self {
        // YAML limits implicit keys to 1024 characters; JSON keys have no limit.
        let key_max = if looks_like_json(text) { text.len().max(1024) } else { 1024 };
        Builder {
            parser: Parser::new(text, key_max, MAX_DEPTH),
            last: (1, 1),
            anchors: Vec::new(),
            open: Vec::new(),
            nodes: 0,
            documents: 0,
            anchors_defined: 0,
            aliases: 0,
            copied_bytes: 0,
        }
    }

    /// The next event, or `None` after the stream's end.
    fn next(&mut self) -> Result<Option<(Event<'a>, Mark)>, Error> {
        match self.parser.next_event() {
            None => Ok(None),
            Some(Err(e)) => Err(e),
            Some(Ok((event, start, _))) => {
                self.last = location(start);
                Ok(Some((event, start)))
            }
        }
    }

    fn expect(&mut self) -> Result<(Event<'a>, Mark), Error> {
        self.next()?.ok_or_else(|| error_at(self.last, "the YAML text ends in the middle of a node"))
    }

    /// The root of the next document, or `None` at the end of the stream.
    fn next_document(&mut self) -> Result<Option<Node>, Error> {
        match self.next_content_event()? {
            Some((event, span)) => self.node(event, span, 0).map(|(node, _)| Some(node)),
            None => Ok(None),
        }
    }

    /// Where the next document's content starts, if there is one.
    fn next_content(&mut self) -> Result<Option<(u64, u64)>, Error> {
        Ok(self.next_content_event()?.map(|(_, span)| location(span)))
    }

    /// The first event of the next document's content (counting the documents it passes), or `None`
    /// at the end of the stream.
    fn next_content_event(&mut self) -> Result<Option<(Event<'a>, Mark)>, Error> {
        loop {
            let Some((event, span)) = self.next()? else { return Ok(None) };
            match event {
                Event::DocumentStart => {
                    self.documents += 1;
                    if self.documents > MAX_DOCUMENTS {
                        return Err(error_at(self.last, format!("more than {MAX_DOCUMENTS} YAML documents")));
                    }
                }
                Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) | Event::Alias(_) => {
                    return Ok(Some((event, span)));
                }
                _ => {}
            }
        }
    }

    fn finish(&self) -> Result<(), Error> {
        if self.aliases >= ALIAS_RATIO_MIN_ALIASES && self.aliases > ALIAS_RATIO * self.anchors_defined {
            return Err(error_at(
                self.last,
                format!(
                    "{} aliases for {} anchors: more than {ALIAS_RATIO} aliases per anchor is refused (alias bomb)",
                    self.aliases, self.anchors_defined
                ),
            ));
        }
        Ok(())
    }

    fn count_node(&mut self, at: (u64, u64)) -> Result<(), Error> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(error_at(at, format!("more than {MAX_NODES} YAML nodes")));
        }
        Ok(())
    }

    fn enter(&self, depth: usize, at: (u64, u64)) -> Result<(), Error> {
        if depth + 1 > MAX_DEPTH {
            return Err(error_at(at, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn check_tag(kind: &TagKind, tag: Option<&Tag>, on: NodeKind, at: (u64, u64)) -> Result<(), Error> {
        match kind.requires() {
            Some(required) if required != on => {
                let spelling = tag.map(Tag::original).unwrap_or_default();
                let what = match on {
                    NodeKind::Scalar => "a scalar",
                    NodeKind::Sequence => "a sequence",
                    NodeKind::Mapping => "a mapping",
                };
                Err(error_at(at, format!("the tag `{spelling}` cannot be used on {what}")))
            }
            _ => Ok(()),
        }
    }

    /// Builds the node that starts with `event`; `depth` counts the collections around it.
    fn node(&mut self, event: Event<'a>, span: Mark, depth: usize) -> Result<(Node, Ids), Error> {
        let at = location(span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let (node, key) = self.scalar(&text, style, tag.as_ref(), at)?;
                if anchor != 0 {
                    self.define(anchor, &node, Ids::None, Some(key))?;
                }
                Ok((node, Ids::None))
            }
            Event::SequenceStart(anchor, tag) => {
                self.count_node(at)?;
                self.enter(depth, at)?;
                let kind = TagKind::of(tag.as_ref());
                Self::check_tag(&kind, tag.as_ref(), NodeKind::Sequence, at)?;
                if anchor != 0 {
                    self.open.push(anchor);
                }
                let mut items = Vec::new();
                let mut item_ids = Vec::new();
                let mut any_ids = false;
                loop {
                    let (event, span) = self.expect()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let (item, ids) = self.node(event, span, depth + 1)?;
                    any_ids |= !matches!(ids, Ids::None);
                    items.push(item);
                    item_ids.push(ids);
                }
                let node = Node { value: Value::Seq(items), line: at.0, column: at.1 };
                let ids = if any_ids { Ids::Seq(item_ids) } else { Ids::None };
                if anchor != 0 {
                    self.open.pop();
                    self.define(anchor, &node, ids.clone(), None)?;
                }
                Ok((node, ids))
            }
            Event::MappingStart(anchor, tag) => {
                self.count_node(at)?;
                self.enter(depth, at)?;
                let kind = TagKind::of(tag.as_ref());
                Self::check_tag(&kind, tag.as_ref(), NodeKind::Mapping, at)?;
                if anchor != 0 {
                    self.open.push(anchor);
                }
                let (node, ids) = self.mapping(at, depth)?;
                if anchor != 0 {
                    self.open.pop();
                    self.define(anchor, &node, ids.clone(), None)?;
                }
                Ok((node, ids))
            }
            Event::Alias(id) => self.alias(id, at, depth).map(|(node, ids, _)| (node, ids)),
            _ => Err(error_at(at, "expected a YAML node")),
        }
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        at: (u64, u64),
    ) -> Result<(Node, ScalarKey), Error> {
        self.count_node(at)?;
        let kind = TagKind::of(tag);
        Self::check_tag(&kind, tag, NodeKind::Scalar, at)?;
        let value = scalar::resolve(text, style, &kind).map_err(|e| {
            error_at(
                at,
                match e {
                    ScalarError::Invalid(what) => format!("`{text}` is not a valid {what}"),
                    ScalarError::NonFinite(raw) => {
                        format!("`{raw}` is not a finite number (write a number, or quote it to mean text)")
                    }
                    ScalarError::UnsupportedTag => {
                        format!("a scalar tagged `{}` cannot be read", tag.map(Tag::original).unwrap_or_default())
                    }
                    ScalarError::Binary(message) => message.to_string(),
                },
            )
        })?;
        let merge = text == "<<" && (kind == TagKind::Merge || (kind == TagKind::None && style == ScalarStyle::Plain));
        let key = (scalar::scalar_key_id(text, style, &kind), merge);
        Ok((Node { value, line: at.0, column: at.1 }, key))
    }

    /// The node an alias stands for: a copy of the anchored node, every part of it placed at the
    /// alias (as the YAML library this replaced placed them).
    fn alias(&mut self, id: usize, at: (u64, u64), depth: usize) -> Result<(Node, Ids, Option<ScalarKey>), Error> {
        self.aliases += 1;
        if self.aliases > MAX_ALIASES {
            return Err(error_at(at, format!("more than {MAX_ALIASES} aliases")));
        }
        if self.open.contains(&id) {
            return Err(error_at(at, "an alias inside the node its anchor names (a recursive alias)"));
        }
        let Some(anchored) = self.anchors.get(id).and_then(Option::as_ref) else {
            return Err(error_at(at, "unknown alias: no anchor (`&name`) of that name precedes it"));
        };
        if depth + anchored.height > MAX_DEPTH {
            return Err(error_at(at, format!("nesting deeper than {MAX_DEPTH} levels (through an alias)")));
        }
        self.nodes += anchored.nodes;
        if self.nodes > MAX_NODES {
            return Err(error_at(at, format!("more than {MAX_NODES} YAML nodes (counting what aliases copy)")));
        }
        self.copied_bytes += anchored.bytes;
        if self.copied_bytes > MAX_COPIED_BYTES {
            return Err(error_at(at, format!("aliases copy more than {MAX_COPIED_BYTES} bytes of text")));
        }
        let mut node = anchored.node.clone();
        relocate(&mut node, at);
        Ok((node, anchored.ids.clone(), anchored.key.clone()))
    }

    fn define(&mut self, id: usize, node: &Node, ids: Ids, key: Option<ScalarKey>) -> Result<(), Error> {
        self.anchors_defined += 1;
        if self.anchors_defined > MAX_ANCHORS {
            return Err(error_at((node.line, node.column), format!("more than {MAX_ANCHORS} anchors")));
        }
        let (nodes, height, bytes) = measure(node);
        if id >= self.anchors.len() {
            self.anchors.resize_with(id + 1, || None);
        }
        self.anchors[id] = Some(Anchored { node: node.clone(), ids, key, nodes, height, bytes });
        Ok(())
    }

    fn key(&mut self, event: Event<'a>, span: Mark, depth: usize) -> Result<Key, Error> {
        let at = location(span);
        let (node, key) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let raw = text.to_string();
                let (node, key) = self.scalar(&text, style, tag.as_ref(), at)?;
                if anchor != 0 {
                    self.define(anchor, &node, Ids::None, Some(key.clone()))?;
                }
                let stringy = TagKind::of(tag.as_ref());
                let text = matches!(
                    stringy,
                    TagKind::None
                        | TagKind::Str
                        | TagKind::Merge
                        | TagKind::Value
                        | TagKind::Other(_)
                        | TagKind::Include
                        | TagKind::NonSpecific
                )
                .then_some(raw);
                return Ok(Key { node, id: key.0, merge: key.1, text });
            }
            Event::Alias(id) => {
                let (node, _, key) = self.alias(id, at, depth)?;
                (node, key)
            }
            event => (self.node(event, span, depth)?.0, None),
        };
        let (id, merge) = key.unwrap_or_else(|| (node_key_id(&node), false));
        let text = match &node.value {
            Value::Str(s) if !merge => Some(s.clone()),
            _ => None,
        };
        Ok(Key { node, id, merge, text })
    }

    /// The entries of a mapping whose start has been read.
    fn mapping(&mut self, at: (u64, u64), depth: usize) -> Result<(Node, Ids), Error> {
        let mut map = MapBuilder::default();
        let mut seen: BTreeSet<KeyId> = BTreeSet::new();
        let mut merges: Vec<Vec<(KeyId, String, Node)>> = Vec::new();
        loop {
            let (event, span) = self.expect()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let key_at = location(span);
            let key = self.key(event, span, depth + 1)?;
            if key.merge {
                let (event, span) = self.expect()?;
                let (value, ids) = self.node(event, span, depth + 1)?;
                let mut entries = Vec::new();
                merge_entries(value, ids, &mut entries)?;
                merges.push(entries);
                continue;
            }
            if seen.contains(&key.id) {
                let message = match key.text {
                    Some(text) => format!("duplicate key `{text}` in a mapping"),
                    None => "duplicate key in a mapping".to_string(),
                };
                return Err(error_at(key_at, message));
            }
            seen.insert(key.id.clone());
            let (event, span) = self.expect()?;
            let (value, _) = self.node(event, span, depth + 1)?;
            map.push(key_text(&key.node.value), key.id, value);
        }
        // Merged entries come after the mapping's own, and never replace a key it has.
        for (id, key, value) in merges.into_iter().flatten() {
            if !seen.contains(&id) {
                seen.insert(id.clone());
                map.push(key, id, value);
            }
        }
        let (entries, ids) = map.finish();
        Ok((Node { value: Value::Map(entries), line: at.0, column: at.1 }, Ids::Map(ids)))
    }
}

/// Entries of a mapping in the making, with their key identities.
#[derive(Default)]
struct MapBuilder {
    entries: Vec<(String, Node)>,
    ids: Vec<KeyId>,
}

impl MapBuilder {
    fn push(&mut self, key: String, id: KeyId, value: Node) {
        self.entries.push((key, value));
        self.ids.push(id);
    }

    /// The entries and their ids. An entry whose key reads as the same text as a later entry's is
    /// replaced by that one, in the later one's place (`1` and `"1"` are different YAML keys but the
    /// same text).
    fn finish(self) -> (Vec<(String, Node)>, Vec<KeyId>) {
        let n = self.entries.len();
        // Read from the end, a repeated key is one a later entry replaces.
        let replaced = crate::sort::repeats(n, &|i| &self.entries[n - 1 - i].0);
        if !replaced.contains(&true) {
            return (self.entries, self.ids);
        }
        let mut entries = Vec::with_capacity(n);
        let mut ids = Vec::with_capacity(n);
        for (i, (entry, id)) in self.entries.into_iter().zip(self.ids).enumerate() {
            if !replaced[n - 1 - i] {
                entries.push(entry);
                ids.push(id);
            }
        }
        (entries, ids)
    }
}

/// The entries a merge key's value brings: a mapping's entries, or those of each mapping in a list,
/// in order; each merged value is placed where its mapping is written (or its alias).
fn merge_entries(node: Node, ids: Ids, out: &mut Vec<(KeyId, String, Node)>) -> Result<(), Error> {
    let at = (node.line, node.column);
    match (node.value, ids) {
        (Value::Null, _) => Ok(()),
        (Value::Map(entries), ids) => {
            let mut ids = match ids {
                Ids::Map(ids) => ids.into_iter(),
                _ => Vec::new().into_iter(),
            };
            for (key, mut value) in entries {
                let id = ids.next().unwrap_or_else(|| KeyId::Scalar(TagClass::Str, key.clone()));
                relocate(&mut value, at);
                out.push((id, key, value));
            }
            Ok(())
        }
        (Value::Seq(items), ids) => {
            let mut item_ids = match ids {
                Ids::Seq(ids) => ids.into_iter(),
                _ => Vec::new().into_iter(),
            };
            for item in items {
                merge_entries(item, item_ids.next().unwrap_or(Ids::None), out)?;
            }
            Ok(())
        }
        _ => Err(error_at(at, "a merge key `<<` takes a mapping or a list of mappings")),
    }
}

/// A mapping key as text (`5` and `true` as written in canonical form, collections as a marker).
fn key_text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Seq(_) | Value::Map(_) => "<complex key>".to_string(),
    }
}

/// The identity of a collection used as a key, from its values.
fn node_key_id(node: &Node) -> KeyId {
    match &node.value {
        Value::Seq(items) => KeyId::Seq(items.iter().map(node_key_id).collect()),
        Value::Map(entries) => {
            let mut ids: Vec<(KeyId, KeyId)> =
                entries.iter().map(|(k, v)| (KeyId::Scalar(TagClass::Str, k.clone()), node_key_id(v))).collect();
            crate::sort::sort(&mut ids);
            KeyId::Map(ids)
        }
        Value::Int(i) => KeyId::Int(*i < 0, i.unsigned_abs() as u128),
        Value::Null => KeyId::Scalar(TagClass::Null, String::new()),
        other => KeyId::Scalar(TagClass::Str, key_text(other)),
    }
}

/// Places a node and every part of it at `at`.
fn relocate(node: &mut Node, at: (u64, u64)) {
    (node.line, node.column) = at;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| relocate(n, at)),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, v)| relocate(v, at)),
        _ => {}
    }
}

/// Nodes, collection height and text bytes of a tree.
fn measure(node: &Node) -> (usize, usize, usize) {
    match &node.value {
        Value::Seq(items) => items.iter().fold((1, 1, 0), |(n, h, b), item| {
            let (n2, h2, b2) = measure(item);
            (n + n2, h.max(h2 + 1), b + b2)
        }),
        Value::Map(entries) => entries.iter().fold((1, 1, 0), |(n, h, b), (key, value)| {
            let (n2, h2, b2) = measure(value);
            (n + n2 + 1, h.max(h2 + 1), b + b2 + key.len())
        }),
        Value::Str(s) => (1, 0, s.len()),
        _ => (1, 0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> Error {
        parse_stream(text).unwrap_err()
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = error("kind: NodePool\nspec: [\n");
        assert_eq!((e.line, e.column), (2, 7), "{e}");
        assert!(e.message.contains("unclosed bracket"), "{e}");
        let e = error("a: 1\nb: 2\na: 3\n");
        assert_eq!((e.line, e.column, e.message.as_str()), (3, 1, "duplicate key `a` in a mapping"));
        let e = error("a: *nope\n");
        assert_eq!((e.line, e.column), (1, 4), "{e}");
        assert!(e.message.contains("unknown alias"), "{e}");
        let e = error("a: &a [1, *a]\n");
        assert_eq!((e.line, e.column), (1, 11), "{e}");
        assert!(e.message.contains("recursive alias"), "{e}");
        let e = error("weight: .inf\n");
        assert_eq!((e.line, e.column), (1, 9), "{e}");
        assert!(e.message.contains("`.inf` is not a finite number"), "{e}");
        let e = error("a: !!int ten\n");
        assert_eq!(e.message, "`ten` is not a valid u64");
        let e = error("m:\n  <<: 3\n");
        assert_eq!((e.line, e.column), (2, 7), "{e}");
        let e = parse_document("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1), "{e}");
        assert!(e.message.contains("second YAML document"), "{e}");
        let deep = format!("{}1{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse_document(&deep).is_err());
    }

    #[test]
    fn aliases_copy_their_anchor_and_stand_where_they_are_written() {
        let doc = parse_document("a: &x {b: 1, c: [1, 2]}\nd: *x\n").unwrap();
        let (a, d) = (doc.get("a").unwrap(), doc.get("d").unwrap());
        assert_eq!(a.to_doc(), d.to_doc());
        assert_eq!((a.line, a.column), (1, 7));
        assert_eq!(d.at("c[1]").map(|n| (n.line, n.column)), Some((2, 4)));
    }

    #[test]
    fn merge_keys_add_what_the_mapping_lacks_after_its_own_keys() {
        let doc = parse_document("base: &b {x: 1, z: 2}\nm:\n  <<: *b\n  z: 3\n").unwrap();
        assert_eq!(doc.get("m").unwrap().to_doc().to_json(), r#"{"z":3,"x":1}"#);
    }

    #[test]
    fn a_key_of_the_same_text_replaces_the_earlier_entry_in_its_own_place() {
        let doc = parse_document("1: a\nk: b\n\"1\": c\nj: d\n").unwrap();
        assert_eq!(doc.to_doc().to_json(), r#"{"k":"b","1":"c","j":"d"}"#);
    }

    #[test]
    fn alias_bombs_stop_at_the_node_limit() {
        let mut bomb = String::from("a0: &a0 [x, x]\n");
        for i in 1..20 {
            bomb.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        assert!(error(&bomb).message.contains("YAML nodes"));
    }

    #[test]
    fn json_is_read_as_yaml_flow() {
        let doc = parse_document(r#"{"a":1,"b":"x\/y\u00e9","c":[true,null,1.5e3,-0],"d":{}}"#).unwrap();
        assert_eq!(doc.to_doc().to_json(), r#"{"a":1,"b":"x/yé","c":[true,null,1500.0,0],"d":{}}"#);
    }
}
