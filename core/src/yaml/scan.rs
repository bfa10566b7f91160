//! YAML text into events: a scanner (characters into tokens) and a parser (tokens into events).
//!
//! The design is libyaml's, as granit-parser 2.2 (the parser serde-saphyr reads with, and the test
//! oracle of this one) refines it: the scanner queues tokens until it knows whether a scalar is a
//! mapping key (a "simple key"), and tracks block indentation to insert the starts and ends of
//! block collections; the parser is a state machine over those tokens. Positions and the inputs
//! refused follow granit's, so that documents read and fail as they always have.
//!
//! This file is a port of granit-parser 2.2.0's scanner and parser (Copyright (c) 2015 Chen Yuheng,
//! (c) 2023 Ethiraric, (c) 2026 Bourumir Wyngs), used under the MIT license; the notices its
//! license requires are in `LICENSE-granit-parser` next to this file.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use super::parse::Error;

/// A position in the text: characters from the start, 1-based line, 0-based column in characters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Mark {
    index: usize,
    pub(super) line: usize,
    pub(super) col: usize,
}

fn err(mark: Mark, message: impl Into<String>) -> Error {
    Error { message: message.into(), line: mark.line as u64, column: mark.col as u64 + 1 }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

const CORE_PREFIX: &str = "tag:yaml.org,2002:";
const CORE_SUFFIXES: [&str; 7] = ["bool", "float", "int", "map", "null", "seq", "str"];

/// A node's tag: its handle resolved (`!!` is `tag:yaml.org,2002:`), its suffix, and the handle
/// as written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tag {
    handle: String,
    suffix: String,
    original_handle: String,
}

impl Tag {
    /// The tag as written (`!!str`, `!e!thing`, `!<tag:x>` for verbatim tags).
    pub(super) fn original(&self) -> String {
        if self.original_handle.is_empty() && self.suffix != "!" {
            return format!("!<{}>", self.suffix);
        }
        format!("{}{}", self.original_handle, self.suffix)
    }

    pub(super) fn parts(&self) -> (&str, &str) {
        (&self.handle, &self.suffix)
    }

    /// The core-schema type a tag names (`str`, `int`, ...), however its URI is split.
    pub(super) fn core_suffix(&self) -> Option<&str> {
        self.suffix_in_namespace(CORE_PREFIX).and_then(|name| CORE_SUFFIXES.into_iter().find(|s| *s == name))
    }

    /// The rest of the tag's URI after `prefix`, if it starts with it.
    pub(super) fn suffix_in_namespace(&self, prefix: &str) -> Option<Cow<'_, str>> {
        if let Some(tail) = self.handle.strip_prefix(prefix) {
            return Some(if tail.is_empty() {
                Cow::Borrowed(self.suffix.as_str())
            } else {
                Cow::Owned(format!("{tail}{}", self.suffix))
            });
        }
        prefix.strip_prefix(self.handle.as_str()).and_then(|rest| self.suffix.strip_prefix(rest)).map(Cow::Borrowed)
    }
}

#[derive(Debug, PartialEq)]
pub(super) enum Event<'a> {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    /// Text, style, anchor id (0: none), tag.
    Scalar(Cow<'a, str>, ScalarStyle, usize, Option<Tag>),
    SequenceStart(usize, Option<Tag>),
    SequenceEnd,
    MappingStart(usize, Option<Tag>),
    MappingEnd,
    Alias(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    StreamStart,
    StreamEnd,
    VersionDirective(u32),
    TagDirective(&'a str, String),
    ReservedDirective,
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias(&'a str),
    Anchor(&'a str),
    /// Handle as written, suffix.
    Tag(&'a str, String),
    Scalar(ScalarStyle, Cow<'a, str>),
}

#[derive(Debug, Clone)]
struct Token<'a> {
    start: Mark,
    end: Mark,
    tok: Tok<'a>,
}

fn token(start: Mark, end: Mark, tok: Tok<'_>) -> Token<'_> {
    Token { start, end, tok }
}

/// A token that may turn out to be a mapping key when a `:` follows it.
#[derive(Debug, Clone, Copy, Default)]
struct SimpleKey {
    possible: bool,
    /// The block mapping around it needs a key here: if it is not one, the text is wrong.
    required: bool,
    token_number: usize,
    mark: Mark,
}

fn is_break(c: char) -> bool {
    c == '\n' || c == '\r'
}
fn is_breakz(c: char) -> bool {
    is_break(c) || c == '\0'
}
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}
fn is_blankz(c: char) -> bool {
    is_blank(c) || is_breakz(c)
}
fn is_flow(c: char) -> bool {
    matches!(c, ',' | '[' | ']' | '{' | '}')
}
fn is_alpha(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}
fn is_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}
fn is_non_space(c: char) -> bool {
    is_printable(c) && !is_blank(c) && !is_break(c) && c != '\u{feff}'
}
fn is_uri_char(c: char) -> bool {
    (is_alpha(c) && c != '_') || "#;/?:@&=+$,_.!~*'()[]%".contains(c)
}
fn is_tag_char(c: char) -> bool {
    is_uri_char(c) && !is_flow(c) && c != '!'
}

fn unexpected(c: char) -> String {
    format!("the character `{}` cannot appear here", c.escape_default())
}

const UNCLOSED_QUOTE: &str = "unclosed quoted string: the closing quote is missing";
const BAD_ESCAPE: &str = "invalid escape in a double-quoted string";
const BAD_TAG: &str = "invalid tag";

/// Whitespace skipped up to a line's end: whether it held tabs, and spaces.
struct Blanks {
    tabs: bool,
    spaces: bool,
}

struct Scanner<'a> {
    text: &'a str,
    /// Byte offset of the next character.
    pos: usize,
    mark: Mark,
    tokens: VecDeque<Token<'a>>,
    tokens_parsed: usize,
    token_available: bool,
    stream_start_produced: bool,
    stream_end_produced: bool,
    document_prefix_allowed: bool,
    /// Where (character index) a `:` may follow a flow key without a space (JSON's `"a":1`).
    adjacent_value_allowed_at: usize,
    simple_key_allowed: bool,
    /// One per flow level (index 0: block context).
    simple_keys: Vec<SimpleKey>,
    first_simple_key: Option<usize>,
    indent: isize,
    /// Enclosing indentation levels, and whether each ends a block collection.
    indents: Vec<(isize, bool)>,
    flow_level: usize,
    block_level: usize,
    leading_whitespace: bool,
    flow_mapping_started: Vec<bool>,
    /// Per flow sequence: the flow level of the implicit mapping (`[a: b]`) it is inside, if any.
    implicit_mappings: Vec<Option<usize>>,
    interrupted_plain_by_comment: Option<Mark>,
    explicit_key_tab_check_pending: bool,
    flow_markers: Vec<(Mark, char)>,
    simple_key_max: usize,
    flow_limit: usize,
}

type Res<T = ()> = Result<T, Error>;

impl<'a> Scanner<'a> {
    fn new(text: &'a str, simple_key_max: usize, flow_limit: usize) -> Self {
        Scanner {
            text,
            pos: 0,
            mark: Mark { index: 0, line: 1, col: 0 },
            tokens: VecDeque::new(),
            tokens_parsed: 0,
            token_available: false,
            stream_start_produced: false,
            stream_end_produced: false,
            document_prefix_allowed: true,
            adjacent_value_allowed_at: 0,
            simple_key_allowed: true,
            simple_keys: Vec::new(),
            first_simple_key: None,
            indent: -1,
            indents: Vec::new(),
            flow_level: 0,
            block_level: 0,
            leading_whitespace: true,
            flow_mapping_started: Vec::new(),
            implicit_mappings: Vec::new(),
            interrupted_plain_by_comment: None,
            explicit_key_tab_check_pending: false,
            flow_markers: Vec::new(),
            simple_key_max,
            flow_limit,
        }
    }

    // ---- Characters ----

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }
    fn peek(&self) -> char {
        self.rest().chars().next().unwrap_or('\0')
    }
    fn nth(&self, n: usize) -> char {
        self.rest().chars().nth(n).unwrap_or('\0')
    }
    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }
    fn col(&self) -> isize {
        self.mark.col as isize
    }
    /// Skips one character on the line (leaves `leading_whitespace` as it is).
    fn skip(&mut self) {
        if let Some(c) = self.rest().chars().next() {
            self.pos += c.len_utf8();
            self.mark.index += 1;
            self.mark.col += 1;
        }
    }
    fn skip_non_blank(&mut self) {
        self.skip();
        self.leading_whitespace = false;
    }
    fn skip_n(&mut self, n: usize) {
        for _ in 0..n {
            self.skip_non_blank();
        }
    }
    /// Skips a line break (`\r\n`, `\n` or `\r`).
    fn skip_break(&mut self) {
        if self.rest().starts_with("\r\n") {
            self.skip();
        }
        self.skip();
        self.mark.col = 0;
        self.mark.line += 1;
        self.leading_whitespace = true;
    }
    fn skip_linebreak(&mut self) {
        if is_break(self.peek()) {
            self.skip_break();
        }
    }
    fn skip_blanks(&mut self, tabs: bool) -> Blanks {
        let mut blanks = Blanks { tabs: false, spaces: false };
        loop {
            match self.peek() {
                ' ' => blanks.spaces = true,
                '\t' if tabs => blanks.tabs = true,
                _ => return blanks,
            }
            self.skip();
        }
    }
    fn document_indicator(&self, what: Option<&str>) -> bool {
        let rest = self.rest();
        rest.len() >= 3
            && match what {
                Some(s) => rest.starts_with(s),
                None => rest.starts_with("---") || rest.starts_with("..."),
            }
            && rest[3..].chars().next().is_none_or(is_blankz)
    }
    fn can_be_plain(&self, in_flow: bool) -> bool {
        let (c, next) = (self.peek(), self.nth(1));
        !(c == ':' && (is_blankz(next) || (in_flow && is_flow(next))) || in_flow && is_flow(c))
    }
    fn ensure_printable(&self) -> Res {
        let c = self.peek();
        if self.at_end() || is_printable(c) {
            Ok(())
        } else {
            Err(err(self.mark, unexpected(c)))
        }
    }
    fn skip_comment(&mut self) -> Res {
        self.skip();
        while !is_breakz(self.peek()) && is_printable(self.peek()) {
            self.skip();
        }
        self.ensure_printable()
    }
    /// Skips blanks and a comment up to the end of the line.
    fn skip_ws_to_eol(&mut self, tabs: bool) -> Res<Blanks> {
        let blanks = self.skip_blanks(tabs);
        if self.peek() == '#' {
            if !blanks.tabs && !blanks.spaces {
                return Err(err(self.mark, "a comment (`#`) must be separated from what precedes it by a space"));
            }
            self.skip_comment()?;
        }
        Ok(blanks)
    }

    // ---- Tokens ----

    fn push(&mut self, start: Mark, end: Mark, tok: Tok<'a>) {
        self.tokens.push_back(token(start, end, tok));
    }
    fn push_empty(&mut self, tok: Tok<'a>) {
        self.push(self.mark, self.mark, tok);
    }

    fn next_token(&mut self) -> Res<Option<Token<'a>>> {
        if self.stream_end_produced {
            return Ok(None);
        }
        if !self.token_available {
            self.fetch_more_tokens()?;
        }
        let Some(t) = self.tokens.pop_front() else { return Ok(None) };
        self.token_available = false;
        self.tokens_parsed += 1;
        if t.tok == Tok::StreamEnd {
            self.stream_end_produced = true;
        }
        Ok(Some(t))
    }

    fn fetch_more_tokens(&mut self) -> Res {
        loop {
            let need_more = if self.tokens.is_empty() {
                true
            } else {
                self.stale_simple_keys()?;
                self.first_simple_key.is_some_and(|i| self.simple_keys[i].token_number == self.tokens_parsed)
            };
            if matches!(self.tokens.back(), Some(t) if matches!(t.tok, Tok::DocumentEnd | Tok::DocumentStart)) {
                break;
            }
            if !need_more {
                break;
            }
            self.fetch_next_token()?;
        }
        self.token_available = true;
        Ok(())
    }

    fn stale_simple_keys(&mut self) -> Res {
        while let Some(i) = self.first_simple_key {
            let key = self.simple_keys[i];
            let line_stale = self.flow_level == 0 && key.mark.line < self.mark.line;
            let length_stale = self.mark.index.saturating_sub(key.mark.index) > self.simple_key_max;
            if !line_stale && !length_stale {
                break;
            }
            if key.required {
                return Err(simple_key_expected(key.mark));
            }
            self.simple_keys[i].possible = false;
            self.first_simple_key = self.simple_keys[i + 1..].iter().position(|k| k.possible).map(|o| i + 1 + o);
        }
        Ok(())
    }

    fn fetch_next_token(&mut self) -> Res {
        if !self.stream_start_produced {
            self.stream_start_produced = true;
            self.simple_key_allowed = true;
            self.push_empty(Tok::StreamStart);
            self.simple_keys.push(SimpleKey::default());
            return Ok(());
        }
        loop {
            let saw_comment = self.skip_to_next_token()?;
            if !saw_comment {
                break;
            }
            if !self.tokens.is_empty() {
                return Ok(());
            }
        }
        self.stale_simple_keys()?;
        self.unroll_indent(self.col());
        if self.at_end() {
            return self.fetch_stream_end();
        }
        self.ensure_printable()?;
        if self.mark.col == 0 {
            if self.peek() == '%' {
                return self.fetch_directive();
            } else if self.document_indicator(Some("---")) {
                return self.fetch_document_indicator(Tok::DocumentStart);
            } else if self.document_indicator(Some("...")) {
                self.fetch_document_indicator(Tok::DocumentEnd)?;
                self.skip_ws_to_eol(true)?;
                if !is_breakz(self.peek()) {
                    return Err(err(self.mark, "nothing may follow `...` on its line"));
                }
                return Ok(());
            }
        }
        self.document_prefix_allowed = false;
        let (c, next) = (self.peek(), self.nth(1));
        let flow = self.flow_level > 0;
        match c {
            '[' => self.fetch_flow_collection_start(Tok::FlowSequenceStart),
            '{' => self.fetch_flow_collection_start(Tok::FlowMappingStart),
            ']' => self.fetch_flow_collection_end(Tok::FlowSequenceEnd, '[', ']'),
            '}' => self.fetch_flow_collection_end(Tok::FlowMappingEnd, '{', '}'),
            ',' => self.fetch_flow_entry(),
            '-' if is_blankz(next) => self.fetch_block_entry(),
            '?' if is_blankz(next) => self.fetch_key(),
            ':' if is_blankz(next) => self.fetch_value(),
            ':' if flow && (is_flow(next) || self.mark.index == self.adjacent_value_allowed_at) => {
                if self.mark.index != self.adjacent_value_allowed_at && (next == '[' || next == '{') {
                    return Err(err(self.mark, "`:` must be followed by a space before `[` or `{` in a flow mapping"));
                }
                self.fetch_value()
            }
            '*' | '&' => self.fetch_anchor(c == '*'),
            '!' => self.fetch_tag(),
            '|' | '>' if !flow => self.fetch_block_scalar(c == '|'),
            '\'' | '"' => self.fetch_flow_scalar(c == '\''),
            '-' => self.fetch_plain_scalar(),
            ':' | '?' if !flow => self.fetch_plain_scalar(),
            '\u{feff}' => Err(err(self.mark, "a byte order mark cannot appear inside a document")),
            '|' | '>' | '%' | '@' | '`' => {
                Err(err(self.mark, format!("a plain value cannot start with `{c}` (quote it)")))
            }
            _ => self.fetch_plain_scalar(),
        }
    }

    /// Skips whitespace and comments up to the next token; returns after a comment (saying so).
    fn skip_to_next_token(&mut self) -> Res<bool> {
        loop {
            let c = self.peek();
            if self.explicit_key_tab_check_pending {
                match c {
                    '\t' => {
                        self.skip_explicit_key_tab()?;
                        continue;
                    }
                    ' ' | '\n' | '\r' | '#' => {}
                    _ => self.explicit_key_tab_check_pending = false,
                }
            }
            match c {
                '\t' if !self.indents.is_empty() && self.leading_whitespace && self.col() < self.indent => {
                    self.skip_blanks(true);
                    if self.peek() == '#' {
                        continue;
                    }
                    if !is_breakz(self.peek()) {
                        return Err(err(self.mark, "a tab cannot indent YAML (use spaces)"));
                    }
                    self.consume_line_break();
                }
                ' ' | '\t' => self.skip(),
                '\n' | '\r' => self.consume_line_break(),
                '\u{feff}' if self.document_prefix_allowed && self.flow_level == 0 && self.mark.col == 0 => {
                    // A byte order mark before a document: skipped, columns unchanged.
                    self.pos += c.len_utf8();
                    self.mark.index += 1;
                }
                '#' => {
                    self.skip_comment()?;
                    self.consume_line_break();
                    return Ok(true);
                }
                _ => break,
            }
        }
        if let Some(at) = self.interrupted_plain_by_comment.take() {
            if self.flow_level == 0
                && self.mark.line == at.line + 1
                && self.col() > self.indent
                && !self.at_end()
                && !self.document_indicator(None)
                && self.can_be_plain(false)
            {
                return Err(err(at, "a comment cannot interrupt a multi-line plain value"));
            }
        }
        Ok(false)
    }

    fn consume_line_break(&mut self) {
        self.skip_linebreak();
        if self.flow_level == 0 {
            self.simple_key_allowed = true;
        }
    }

    /// A tab in the whitespace after a block `?`.
    fn skip_explicit_key_tab(&mut self) -> Res {
        if self.leading_whitespace && self.col() <= self.indent {
            let at = self.mark;
            self.skip_blanks(true);
            if self.peek() != '#' && !is_breakz(self.peek()) {
                return Err(err(at, "a tab cannot indent YAML (use spaces)"));
            }
        } else {
            self.skip();
        }
        self.simple_key_allowed = false;
        Ok(())
    }

    fn fetch_stream_end(&mut self) -> Res {
        if let Some(&(mark, bracket)) = self.flow_markers.last() {
            return Err(unclosed(mark, bracket));
        }
        for key in &mut self.simple_keys {
            if key.required && key.possible {
                return Err(simple_key_expected(key.mark));
            }
            key.possible = false;
        }
        self.first_simple_key = None;
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        self.push_empty(Tok::StreamEnd);
        Ok(())
    }

    fn fetch_directive(&mut self) -> Res {
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let tok = self.scan_directive()?;
        self.tokens.push_back(tok);
        Ok(())
    }

    fn scan_directive(&mut self) -> Res<Token<'a>> {
        let start = self.mark;
        let bad = |message: &str| Err(err(start, format!("invalid directive: {message}")));
        self.skip_non_blank();
        let name_start = self.pos;
        while is_non_space(self.peek()) {
            self.skip_non_blank();
        }
        let name = &self.text[name_start..self.pos];
        if name.is_empty() || name.len() > MAX_DIRECTIVE_BYTES || !is_blankz(self.peek()) {
            let name_at = Mark { index: start.index + 1, col: start.col + 1, ..start };
            return Err(err(name_at, "invalid directive: `%` must be followed by a name (and a space)"));
        }
        let mut comment = false;
        let tok = match name {
            "YAML" => {
                self.skip_blanks(true);
                let major = self.version_number(start)?;
                if self.peek() != '.' {
                    return bad("`%YAML` takes a version such as 1.2");
                }
                self.skip_non_blank();
                self.version_number(start)?;
                Tok::VersionDirective(major)
            }
            "TAG" => {
                self.skip_blanks(true);
                let handle_start = self.pos;
                if self.peek() != '!' {
                    return bad("`%TAG` takes a handle starting with `!`");
                }
                self.skip_non_blank();
                while is_alpha(self.peek()) {
                    self.skip_non_blank();
                }
                if self.peek() == '!' {
                    self.skip_non_blank();
                }
                let handle = &self.text[handle_start..self.pos];
                if !handle.ends_with('!') {
                    return bad("a `%TAG` handle ends with `!`");
                }
                self.skip_blanks(true);
                let mut prefix = String::new();
                if self.peek() == '!' {
                    prefix.push('!');
                    self.skip_non_blank();
                } else if !is_tag_char(self.peek()) {
                    return bad("a `%TAG` prefix holds an unexpected character");
                }
                while is_uri_char(self.peek()) {
                    prefix.push(self.uri_char(start)?);
                }
                if handle.len() + prefix.len() > MAX_DIRECTIVE_BYTES {
                    return bad("it is too long");
                }
                if !is_blankz(self.peek()) {
                    return bad("a `%TAG` prefix holds an unexpected character");
                }
                Tok::TagDirective(handle, prefix)
            }
            _ => {
                let mut params = 0;
                while is_blank(self.peek()) {
                    self.skip_blanks(true);
                    if self.peek() == '#' {
                        comment = true;
                        break;
                    }
                    if !is_blankz(self.peek()) {
                        params += 1;
                        if params > 16 || self.mark.index - start.index > MAX_DIRECTIVE_BYTES {
                            return bad("it has too many parameters");
                        }
                        while is_non_space(self.peek()) {
                            self.skip_non_blank();
                        }
                    }
                }
                Tok::ReservedDirective
            }
        };
        let end = self.mark;
        if comment {
            self.skip_comment()?;
        } else {
            self.skip_ws_to_eol(true)?;
        }
        if !is_breakz(self.peek()) {
            return bad("nothing but a comment may follow it on its line");
        }
        self.skip_linebreak();
        Ok(token(start, end, tok))
    }

    fn version_number(&mut self, start: Mark) -> Res<u32> {
        let mut value = 0u32;
        let mut length = 0;
        while let Some(digit) = self.peek().to_digit(10) {
            length += 1;
            if length > 9 {
                return Err(err(start, "invalid directive: the YAML version number is too long"));
            }
            value = value * 10 + digit;
            self.skip_non_blank();
        }
        if length == 0 {
            return Err(err(start, "invalid directive: `%YAML` takes a version such as 1.2"));
        }
        Ok(value)
    }

    /// The next character of a tag's URI, with `%xx` escapes decoded.
    fn uri_char(&mut self, start: Mark) -> Res<char> {
        let c = self.peek();
        if c != '%' {
            self.skip_non_blank();
            return Ok(c);
        }
        let mut bytes = [0u8; 4];
        let mut width = 0;
        let mut n = 0;
        loop {
            let (hi, lo) = (self.nth(1).to_digit(16), self.nth(2).to_digit(16));
            let (Some(hi), Some(lo), '%') = (hi, lo, self.peek()) else {
                return Err(err(start, BAD_TAG));
            };
            let byte = (hi * 16 + lo) as u8;
            if n == 0 {
                width = match byte.leading_ones() {
                    0 => 1,
                    2 => 2,
                    3 => 3,
                    4 => 4,
                    _ => return Err(err(start, BAD_TAG)),
                };
            } else if byte & 0xc0 != 0x80 {
                return Err(err(start, BAD_TAG));
            }
            bytes[n] = byte;
            n += 1;
            self.skip_n(3);
            if n == width {
                break;
            }
        }
        std::str::from_utf8(&bytes[..n]).ok().and_then(|s| s.chars().next()).ok_or_else(|| err(start, BAD_TAG))
    }

    fn fetch_document_indicator(&mut self, tok: Tok<'a>) -> Res {
        if let Some(&(mark, bracket)) = self.flow_markers.last() {
            return Err(unclosed(mark, bracket));
        }
        self.unroll_indent(-1);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip_n(3);
        self.document_prefix_allowed = tok == Tok::DocumentEnd;
        self.push(start, self.mark, tok);
        Ok(())
    }

    fn fetch_flow_collection_start(&mut self, tok: Tok<'a>) -> Res {
        self.save_simple_key();
        let start = self.mark;
        let mapping = tok == Tok::FlowMappingStart;
        self.flow_markers.push((start, if mapping { '{' } else { '[' }));
        self.roll_one_col_indent();
        if self.flow_level >= self.flow_limit {
            return Err(err(self.mark, format!("nesting deeper than {} levels", self.flow_limit)));
        }
        self.simple_keys.push(SimpleKey::default());
        self.flow_level += 1;
        self.simple_key_allowed = true;
        self.skip_non_blank();
        let end = self.mark;
        self.flow_mapping_started.push(mapping);
        if !mapping {
            self.implicit_mappings.push(None);
        }
        self.skip_ws_to_eol(true)?;
        self.push(start, end, tok);
        Ok(())
    }

    fn fetch_flow_collection_end(&mut self, tok: Tok<'a>, open: char, close: char) -> Res {
        let Some((open_mark, open_char)) = self.flow_markers.pop().filter(|_| self.flow_level > 0) else {
            return Err(err(self.mark, format!("`{close}` closes no bracket")));
        };
        if open_char != open {
            return Err(err(open_mark, format!("bracket `{open_char}` closed by `{close}`")));
        }
        self.remove_simple_key()?;
        if tok == Tok::FlowSequenceEnd {
            self.end_implicit_mapping(self.mark, self.flow_level);
            self.implicit_mappings.pop();
        }
        self.flow_mapping_started.pop();
        self.flow_level -= 1;
        self.simple_keys.pop();
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip_non_blank();
        let end = self.mark;
        self.skip_ws_to_eol(true)?;
        if self.flow_level > 0 {
            self.adjacent_value_allowed_at = self.mark.index;
        }
        self.push(start, end, tok);
        Ok(())
    }

    fn fetch_flow_entry(&mut self) -> Res {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        self.end_implicit_mapping(self.mark, self.flow_level);
        if self.in_flow_sequence() {
            self.set_flow_mapping_started(false);
        }
        let start = self.mark;
        self.skip_non_blank();
        let end = self.mark;
        self.skip_ws_to_eol(true)?;
        self.push(start, end, Tok::FlowEntry);
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> Res {
        if self.flow_level > 0 {
            return Err(err(self.mark, "`- ` (a block list entry) cannot appear inside `[...]` or `{...}`"));
        }
        if !self.simple_key_allowed {
            return Err(err(self.mark, "a list entry (`- `) cannot start here"));
        }
        let start = self.mark;
        self.skip_non_blank();
        self.roll_indent(start.col, None, Tok::BlockSequenceStart, start)?;
        let blanks = self.skip_ws_to_eol(true)?;
        if blanks.tabs && self.peek() == '-' && is_blankz(self.nth(1)) {
            return Err(err(self.mark, "a tab cannot indent YAML (use spaces)"));
        }
        self.skip_ws_to_eol(false)?;
        if is_break(self.peek()) || is_flow(self.peek()) {
            self.roll_one_col_indent();
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        self.push_empty(Tok::BlockEntry);
        Ok(())
    }

    fn fetch_anchor(&mut self, alias: bool) -> Res {
        self.save_simple_key();
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip_non_blank();
        let name_start = self.pos;
        while is_non_space(self.peek()) && !is_flow(self.peek()) {
            self.skip_non_blank();
        }
        let name = &self.text[name_start..self.pos];
        if name.is_empty() {
            return Err(err(start, "a name must follow `&` or `*`"));
        }
        self.push(start, self.mark, if alias { Tok::Alias(name) } else { Tok::Anchor(name) });
        Ok(())
    }

    fn fetch_tag(&mut self) -> Res {
        self.save_simple_key();
        self.simple_key_allowed = false;
        let start = self.mark;
        let (handle, suffix) = if self.nth(1) == '<' {
            self.skip_n(2);
            let mut suffix = String::new();
            while is_uri_char(self.peek()) {
                suffix.push(self.uri_char(start)?);
            }
            if suffix.is_empty() || self.peek() != '>' {
                return Err(err(start, "a verbatim tag is written `!<uri>`"));
            }
            self.skip_non_blank();
            ("", suffix)
        } else {
            let handle_start = self.pos;
            self.skip_non_blank();
            while is_alpha(self.peek()) {
                self.skip_non_blank();
            }
            if self.peek() == '!' {
                self.skip_non_blank();
            }
            let handle = &self.text[handle_start..self.pos];
            let named = handle.len() >= 2 && handle.ends_with('!');
            let suffix_start = self.pos;
            let mut suffix = if named { String::new() } else { handle[1..].to_string() };
            while is_tag_char(self.peek()) {
                suffix.push(self.uri_char(start)?);
            }
            if named {
                if self.pos == suffix_start {
                    return Err(err(start, "a tag handle (`!!`, `!name!`) must be followed by a name"));
                }
                (handle, suffix)
            } else if suffix.is_empty() {
                ("", "!".to_string())
            } else {
                ("!", suffix)
            }
        };
        if !(is_blankz(self.peek()) || self.flow_level > 0 && matches!(self.peek(), ',' | ']' | '}')) {
            return Err(err(start, "a tag must be followed by a space"));
        }
        self.push(start, self.mark, Tok::Tag(handle, suffix));
        Ok(())
    }

    fn fetch_block_scalar(&mut self, literal: bool) -> Res {
        self.save_simple_key();
        self.simple_key_allowed = true;
        let tok = self.scan_block_scalar(literal)?;
        self.tokens.push_back(tok);
        Ok(())
    }

    fn scan_block_scalar(&mut self, literal: bool) -> Res<Token<'a>> {
        let start = self.mark;
        let style = if literal { ScalarStyle::Literal } else { ScalarStyle::Folded };
        let zero = || Err(err(start, "a block scalar's indentation indicator cannot be 0"));
        // Chomping: -1 strip, 0 clip, 1 keep.
        let mut chomping = 0i8;
        let mut increment = 0usize;
        self.skip_non_blank();
        self.unroll_non_block_indents();
        let chomp = |c: char| match c {
            '+' => Some(1),
            '-' => Some(-1),
            _ => None,
        };
        if let Some(ch) = chomp(self.peek()) {
            chomping = ch;
            self.skip_non_blank();
            if let Some(d) = self.peek().to_digit(10) {
                if d == 0 {
                    return zero();
                }
                increment = d as usize;
                self.skip_non_blank();
            }
        } else if let Some(d) = self.peek().to_digit(10) {
            if d == 0 {
                return zero();
            }
            increment = d as usize;
            self.skip_non_blank();
            if let Some(ch) = chomp(self.peek()) {
                chomping = ch;
                self.skip_non_blank();
            }
        }
        self.skip_ws_to_eol(true)?;
        self.ensure_printable()?;
        if !is_breakz(self.peek()) {
            return Err(err(start, "only a comment may follow a block scalar's `|` or `>` on its line"));
        }
        let mut header_break = false;
        if is_break(self.peek()) {
            self.skip_break();
            header_break = true;
        }
        self.ensure_printable()?;
        if self.peek() == '\t' {
            return Err(err(start, "a tab cannot indent YAML (use spaces)"));
        }
        let mut indent = 0usize;
        let mut trailing_breaks = 0usize;
        if increment > 0 {
            indent = if self.indent >= 0 { (self.indent + increment as isize) as usize } else { increment };
        }
        if indent == 0 {
            let mut max_indent = 0;
            loop {
                while self.peek() == ' ' {
                    self.skip();
                }
                max_indent = max_indent.max(self.mark.col);
                if !is_break(self.peek()) {
                    break;
                }
                self.skip_break();
                trailing_breaks += 1;
            }
            indent = max_indent.max((self.indent + 1) as usize);
        } else {
            self.skip_block_indent(indent, &mut trailing_breaks);
        }
        self.ensure_printable()?;
        if self.at_end() {
            let text = match chomping {
                -1 => String::new(),
                _ if self.mark.line == start.line => String::new(),
                0 => String::new(),
                _ if trailing_breaks == 0 && self.mark.col > 0 => {
                    if header_break {
                        "\n".into()
                    } else {
                        String::new()
                    }
                }
                _ => "\n".repeat(trailing_breaks),
            };
            return Ok(token(start, self.mark, Tok::Scalar(style, Cow::Owned(text))));
        }
        if self.mark.col < indent
            && self.col() > self.indent
            && !(self.indent < 0 && self.mark.col == 0 && (self.document_indicator(None) || self.peek() == '#'))
        {
            return Err(err(self.mark, "a line of the block scalar is indented less than its first line"));
        }
        let start = self.mark;
        let mut text = String::new();
        let (mut leading_break, mut leading_blank) = (false, false);
        while self.mark.col == indent && !self.at_end() {
            self.ensure_printable()?;
            if indent == 0 && self.document_indicator(None) {
                break;
            }
            let trailing_blank = is_blank(self.peek());
            if !literal && leading_break && !leading_blank && !trailing_blank {
                text.extend(std::iter::repeat_n('\n', trailing_breaks));
                if trailing_breaks == 0 {
                    text.push(' ');
                }
            } else {
                if leading_break {
                    text.push('\n');
                }
                text.extend(std::iter::repeat_n('\n', trailing_breaks));
            }
            leading_break = false;
            trailing_breaks = 0;
            leading_blank = trailing_blank;
            let line_end = self.rest().find(['\r', '\n', '\0']).unwrap_or(self.rest().len());
            let line = &self.rest()[..line_end];
            text.push_str(line);
            self.pos += line_end;
            let n = line.chars().count();
            self.mark.index += n;
            self.mark.col += n;
            if self.at_end() {
                break;
            }
            self.ensure_printable()?;
            self.skip_break();
            leading_break = true;
            self.skip_block_indent(indent, &mut trailing_breaks);
        }
        self.ensure_printable()?;
        if chomping != -1 {
            if !leading_break && self.at_end() && self.mark.col >= indent.max(1) {
                text.push('\n');
            }
            if leading_break {
                text.push('\n');
            }
        }
        if chomping == 1 {
            text.extend(std::iter::repeat_n('\n', trailing_breaks));
        }
        if let Some(c) = text.chars().find(|c| !is_printable(*c)) {
            return Err(err(start, unexpected(c)));
        }
        Ok(token(start, self.mark, Tok::Scalar(style, Cow::Owned(text))))
    }

    fn skip_block_indent(&mut self, indent: usize, breaks: &mut usize) {
        loop {
            while self.mark.col < indent && self.peek() == ' ' {
                self.skip();
            }
            if !is_break(self.peek()) {
                break;
            }
            self.skip_break();
            *breaks += 1;
        }
    }

    fn fetch_flow_scalar(&mut self, single: bool) -> Res {
        self.save_simple_key();
        self.simple_key_allowed = false;
        let tok = self.scan_flow_scalar(single)?;
        self.adjacent_value_allowed_at = if self.skip_to_next_token()? { usize::MAX } else { self.mark.index };
        self.tokens.push_back(tok);
        Ok(())
    }

    fn scan_flow_scalar(&mut self, single: bool) -> Res<Token<'a>> {
        let start = self.mark;
        let quote = if single { '\'' } else { '"' };
        self.skip_non_blank();
        let from = self.pos;
        // Borrowed (`text[from..]`) while the text needs no change.
        let mut owned: Option<String> = None;
        fn own<'s>(owned: &'s mut Option<String>, verbatim: &str) -> &'s mut String {
            owned.get_or_insert_with(|| verbatim.to_string())
        }
        loop {
            if self.mark.col == 0 && self.document_indicator(None) {
                return Err(err(start, "a quoted string cannot hold `---` or `...` at the start of a line"));
            }
            if self.at_end() {
                return Err(err(start, UNCLOSED_QUOTE));
            }
            self.ensure_printable()?;
            let mut leading_blanks = false;
            loop {
                let c = self.peek();
                if is_blankz(c) || !is_printable(c) {
                    break;
                }
                let verbatim = &self.text[from..self.pos];
                if single && c == '\'' && self.nth(1) == '\'' {
                    own(&mut owned, verbatim).push('\'');
                    self.skip_n(2);
                } else if c == quote {
                    break;
                } else if !single && c == '\\' && is_break(self.nth(1)) {
                    own(&mut owned, verbatim);
                    self.skip_non_blank();
                    self.skip_linebreak();
                    leading_blanks = true;
                    break;
                } else if !single && c == '\\' {
                    own(&mut owned, verbatim);
                    let c = self.escape(start)?;
                    own(&mut owned, "").push(c);
                } else {
                    if let Some(s) = owned.as_mut() {
                        s.push(c);
                    }
                    self.skip_non_blank();
                }
            }
            if self.peek() == quote && !leading_blanks {
                break;
            }
            let blanks_start = self.pos;
            let (mut leading_break, mut trailing_breaks) = (false, false);
            while is_blank(self.peek()) || is_break(self.peek()) {
                if is_blank(self.peek()) {
                    self.skip();
                } else if leading_blanks {
                    self.skip_break();
                    own(&mut owned, "").push('\n');
                    trailing_breaks = true;
                } else {
                    // Blanks before a line break are dropped.
                    own(&mut owned, &self.text[from..blanks_start]);
                    self.skip_break();
                    leading_break = true;
                    leading_blanks = true;
                }
            }
            if !leading_blanks {
                if let Some(s) = owned.as_mut() {
                    s.push_str(&self.text[blanks_start..self.pos]);
                }
            }
            if leading_break && !trailing_breaks {
                own(&mut owned, "").push(' ');
            }
        }
        let text = match owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(&self.text[from..self.pos]),
        };
        self.skip_non_blank();
        let end = self.mark;
        self.skip_ws_to_eol(true)?;
        self.ensure_printable()?;
        let ok = match self.peek() {
            ',' | '}' | ']' => self.flow_level > 0,
            ':' => self.flow_level > 0 || start.line == self.mark.line,
            c => is_breakz(c),
        };
        if !ok {
            return Err(err(self.mark, "nothing may follow a quoted string here but `:`, `,` or a comment"));
        }
        let style = if single { ScalarStyle::SingleQuoted } else { ScalarStyle::DoubleQuoted };
        Ok(token(start, end, Tok::Scalar(style, text)))
    }

    /// The character an escape (`\n`, `\x41`, `\u263A`, ...) in a double-quoted string stands for.
    fn escape(&mut self, start: Mark) -> Res<char> {
        let simple = match self.nth(1) {
            '0' => '\0',
            'a' => '\x07',
            'b' => '\x08',
            't' | '\t' => '\t',
            'n' => '\n',
            'v' => '\x0b',
            'f' => '\x0c',
            'r' => '\r',
            'e' => '\x1b',
            ' ' => ' ',
            '"' => '"',
            '/' => '/',
            '\\' => '\\',
            'N' => '\u{85}',
            '_' => '\u{a0}',
            'L' => '\u{2028}',
            'P' => '\u{2029}',
            'x' | 'u' | 'U' => '\0',
            _ => return Err(err(start, BAD_ESCAPE)),
        };
        let length = match self.nth(1) {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => 0,
        };
        self.skip_n(2);
        if length == 0 {
            return Ok(simple);
        }
        let mut value = self.hex(length, start)?;
        if length == 4 && (0xd800..=0xdbff).contains(&value) {
            if !self.rest().starts_with("\\u") {
                return Err(err(start, BAD_ESCAPE));
            }
            self.skip_n(2);
            let low = self.hex(4, start)?;
            if !(0xdc00..=0xdfff).contains(&low) {
                return Err(err(start, BAD_ESCAPE));
            }
            value = 0x10000 + ((value - 0xd800) << 10 | (low - 0xdc00));
        }
        char::from_u32(value).ok_or_else(|| err(start, BAD_ESCAPE))
    }

    fn hex(&mut self, length: usize, start: Mark) -> Res<u32> {
        let mut value = 0u32;
        for i in 0..length {
            value = (value << 4) + self.nth(i).to_digit(16).ok_or_else(|| err(start, BAD_ESCAPE))?;
        }
        self.skip_n(length);
        Ok(value)
    }

    fn fetch_plain_scalar(&mut self) -> Res {
        self.save_simple_key();
        self.simple_key_allowed = false;
        let tok = self.scan_plain_scalar()?;
        self.tokens.push_back(tok);
        Ok(())
    }

    fn scan_plain_scalar(&mut self) -> Res<Token<'a>> {
        self.unroll_non_block_indents();
        let indent = self.indent + 1;
        let start = self.mark;
        let start_pos = self.pos;
        let flow = self.flow_level > 0;
        // Borrowed (`text[start_pos..end_pos]`) until a line is folded into it.
        let mut owned: Option<String> = None;
        let mut has_content = false;
        let (mut ws_start, mut ws_end) = (0, 0);
        let (mut leading_break, mut trailing_breaks) = (false, 0);
        let (mut end, mut end_pos) = (self.mark, self.pos);
        loop {
            if (self.mark.col == 0 && self.document_indicator(None)) || self.peek() == '#' {
                if self.peek() == '#' && has_content && ws_end > ws_start && !flow {
                    self.interrupted_plain_by_comment = Some(self.mark);
                }
                break;
            }
            if !has_content && flow && self.peek() == '-' && is_flow(self.nth(1)) {
                return Err(err(self.mark, "a plain value cannot start with `-` followed by `,[]{}`"));
            }
            if !is_blankz(self.peek()) && self.can_be_plain(flow) {
                if self.leading_whitespace {
                    if leading_break || trailing_breaks > 0 {
                        let s = owned.get_or_insert_with(|| self.text[start_pos..end_pos].to_string());
                        if !leading_break {
                            s.extend(std::iter::repeat_n('\n', trailing_breaks));
                        } else if trailing_breaks == 0 {
                            s.push(' ');
                        } else {
                            s.extend(std::iter::repeat_n('\n', trailing_breaks));
                        }
                    }
                    (leading_break, trailing_breaks) = (false, 0);
                    self.leading_whitespace = false;
                } else if ws_end > ws_start {
                    if let Some(s) = owned.as_mut() {
                        s.push_str(&self.text[ws_start..ws_end]);
                    }
                }
                (ws_start, ws_end) = (0, 0);
                has_content = true;
                let chunk_start = self.pos;
                self.skip_non_blank();
                loop {
                    let (c, next) = (self.peek(), self.nth(1));
                    if is_blankz(c)
                        || flow && is_flow(c)
                        || c == ':' && (next.is_ascii() && (is_blankz(next) || flow && is_flow(next)))
                    {
                        break;
                    }
                    self.skip_non_blank();
                }
                if let Some(s) = owned.as_mut() {
                    s.push_str(&self.text[chunk_start..self.pos]);
                }
                (end, end_pos) = (self.mark, self.pos);
            }
            if !is_blank(self.peek()) && !is_break(self.peek()) {
                break;
            }
            while is_blank(self.peek()) || is_break(self.peek()) {
                if is_blank(self.peek()) {
                    if !self.leading_whitespace {
                        if ws_end == ws_start {
                            ws_start = self.pos;
                        }
                        self.skip();
                        ws_end = self.pos;
                    } else if self.col() < indent && self.peek() == '\t' {
                        self.skip_ws_to_eol(true)?;
                        if !is_breakz(self.peek()) {
                            return Err(err(start, "a tab cannot indent YAML (use spaces)"));
                        }
                    } else {
                        self.skip();
                    }
                } else if self.leading_whitespace {
                    self.skip_break();
                    trailing_breaks += 1;
                } else {
                    (ws_start, ws_end) = (0, 0);
                    self.skip_break();
                    leading_break = true;
                    self.leading_whitespace = true;
                }
            }
            if !flow && self.col() < indent {
                break;
            }
        }
        if self.leading_whitespace {
            self.simple_key_allowed = true;
        }
        let text = match owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(&self.text[start_pos..end_pos]),
        };
        if let Some(c) = text.chars().find(|c| !is_printable(*c)) {
            return Err(err(start, unexpected(c)));
        }
        self.ensure_printable()?;
        if !has_content {
            return Err(err(start, "a value is missing here"));
        }
        Ok(token(start, end, Tok::Scalar(ScalarStyle::Plain, text)))
    }

    fn fetch_key(&mut self) -> Res {
        let start = self.mark;
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(err(self.mark, "a mapping key (`? `) cannot start here"));
            }
            self.roll_indent(start.col, None, Tok::BlockMappingStart, start)?;
        } else {
            self.set_flow_mapping_started(true);
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = self.flow_level == 0;
        self.skip_non_blank();
        let end = self.mark;
        self.explicit_key_tab_check_pending = false;
        if self.flow_level == 0 {
            self.explicit_key_tab_check_pending = self.skip_key_whitespace()?;
        }
        self.push(start, end, Tok::Key);
        Ok(())
    }

    /// The whitespace after a block `?`; whether it stopped after a comment.
    fn skip_key_whitespace(&mut self) -> Res<bool> {
        let mut need_whitespace = true;
        loop {
            match self.peek() {
                ' ' => self.skip(),
                '\t' => self.skip_explicit_key_tab()?,
                '\n' | '\r' => self.consume_line_break(),
                '#' if need_whitespace => {
                    self.skip_comment()?;
                    continue;
                }
                '#' => {
                    self.skip_comment()?;
                    return Ok(true);
                }
                _ => break,
            }
            need_whitespace = false;
        }
        if need_whitespace && !self.at_end() {
            return Err(err(self.mark, "a space must follow `?`"));
        }
        Ok(false)
    }

    fn fetch_value(&mut self) -> Res {
        let key = *self.simple_keys.last().unwrap_or(&SimpleKey::default());
        let start = self.mark;
        let implicit = self.in_flow_sequence() && !self.flow_mapping_started() && !self.implicit_mappings.is_empty();
        if implicit {
            if let Some(state) = self.implicit_mappings.last_mut() {
                *state = Some(self.flow_level);
            }
        }
        self.skip_non_blank();
        let mut tabs = false;
        if is_blank(self.peek()) {
            tabs = self.skip_ws_to_eol(true)?.tabs;
        }
        let misplaced = || Err(err(start, "`:` is misplaced: a key and its `:` must be on one line"));
        if key.possible {
            let block_indent = self.flow_block_indent();
            if self.flow_level > 0 && key.mark.line < start.line && (key.mark.col as isize) <= block_indent {
                return misplaced();
            }
            let index = key
                .token_number
                .checked_sub(self.tokens_parsed)
                .filter(|i| *i <= self.tokens.len())
                .ok_or_else(|| err(start, "a mapping key is no longer valid here"))?;
            if self.flow_level > 0 && key.mark.line != start.line {
                let mut under = (key.mark.col as isize) <= block_indent || (start.col as isize) <= block_indent;
                for t in self.tokens.iter().skip(index) {
                    under |= (t.start.col as isize) <= block_indent;
                    if !matches!(t.tok, Tok::Anchor(_) | Tok::Tag(..)) {
                        break;
                    }
                }
                if under {
                    return misplaced();
                }
            }
            self.tokens.insert(index, token(key.mark, key.mark, Tok::Key));
            if implicit {
                if key.mark.line < start.line {
                    return misplaced();
                }
                self.tokens.insert(index, token(key.mark, key.mark, Tok::FlowMappingStart));
            }
            self.roll_indent(key.mark.col, Some(key.token_number), Tok::BlockMappingStart, key.mark)?;
            self.roll_one_col_indent();
            self.clear_simple_key();
            self.simple_key_allowed = false;
        } else {
            if implicit {
                self.push(start, start, Tok::FlowMappingStart);
            }
            if self.flow_level == 0 {
                if !self.simple_key_allowed {
                    return Err(err(start, "a mapping value (`: `) cannot appear here"));
                }
                self.roll_indent(start.col, None, Tok::BlockMappingStart, start)?;
            }
            self.roll_one_col_indent();
            self.simple_key_allowed = self.flow_level == 0 && !tabs;
        }
        self.push(start, start, Tok::Value);
        Ok(())
    }

    // ---- Indentation and simple keys ----

    fn flow_block_indent(&self) -> isize {
        match self.indents.last() {
            Some(&(indent, false)) => indent,
            _ => self.indent,
        }
    }

    fn roll_indent(&mut self, col: usize, number: Option<usize>, tok: Tok<'a>, mark: Mark) -> Res {
        if self.flow_level > 0 {
            return Ok(());
        }
        let col = col as isize;
        if self.indent <= col {
            if let Some(&(indent, false)) = self.indents.last() {
                self.indent = indent;
                self.indents.pop();
            }
        }
        if self.indent < col {
            if self.block_level >= MAX_BLOCK_LEVELS {
                return Err(err(mark, format!("nesting deeper than {MAX_BLOCK_LEVELS} levels")));
            }
            self.indents.push((self.indent, true));
            self.block_level += 1;
            self.indent = col;
            let t = token(mark, mark, tok);
            match number {
                Some(n) => self.tokens.insert(n.saturating_sub(self.tokens_parsed).min(self.tokens.len()), t),
                None => self.tokens.push_back(t),
            }
        }
        Ok(())
    }

    fn unroll_indent(&mut self, col: isize) {
        if self.flow_level > 0 {
            return;
        }
        while self.indent > col {
            let Some((indent, block)) = self.indents.pop() else { break };
            self.indent = indent;
            if block {
                self.block_level -= 1;
                self.push_empty(Tok::BlockEnd);
            }
        }
    }

    fn roll_one_col_indent(&mut self) {
        if self.flow_level == 0 && matches!(self.indents.last(), Some((_, true))) {
            self.indents.push((self.indent, false));
            self.indent += 1;
        }
    }

    fn unroll_non_block_indents(&mut self) {
        while let Some(&(indent, false)) = self.indents.last() {
            self.indent = indent;
            self.indents.pop();
        }
    }

    fn save_simple_key(&mut self) {
        if self.simple_key_allowed {
            let required =
                self.flow_level == 0 && self.indent == self.col() && matches!(self.indents.last(), Some((_, true)));
            let key = SimpleKey {
                mark: self.mark,
                possible: true,
                required,
                token_number: self.tokens_parsed + self.tokens.len(),
            };
            if let Some(last) = self.simple_keys.last_mut() {
                *last = key;
                self.first_simple_key.get_or_insert(self.flow_level);
            }
        }
    }

    fn remove_simple_key(&mut self) -> Res {
        if let Some(key) = self.simple_keys.last() {
            if key.possible && key.required {
                return Err(simple_key_expected(key.mark));
            }
        }
        self.clear_simple_key();
        Ok(())
    }

    fn clear_simple_key(&mut self) {
        if let Some(key) = self.simple_keys.last_mut() {
            key.possible = false;
        }
        if self.first_simple_key == Some(self.flow_level) {
            self.first_simple_key = None;
        }
    }

    fn end_implicit_mapping(&mut self, mark: Mark, flow_level: usize) {
        if self.implicit_mappings.last() == Some(&Some(flow_level)) {
            self.implicit_mappings.pop();
            self.implicit_mappings.push(None);
            self.set_flow_mapping_started(false);
            self.push(mark, mark, Tok::FlowMappingEnd);
        }
    }

    fn in_flow_sequence(&self) -> bool {
        self.flow_markers.last().is_some_and(|(_, bracket)| *bracket == '[')
    }
    fn flow_mapping_started(&self) -> bool {
        self.flow_mapping_started.last().copied().unwrap_or(false)
    }
    fn set_flow_mapping_started(&mut self, started: bool) {
        if let Some(current) = self.flow_mapping_started.last_mut() {
            *current = started;
        }
    }
}

const MAX_DIRECTIVE_BYTES: usize = 1024;
/// Block collections nested deeper than this are refused by the scanner (the tree builder's
/// depth limit is lower; this one bounds the indentation stack).
const MAX_BLOCK_LEVELS: usize = 255;

fn simple_key_expected(mark: Mark) -> Error {
    err(mark, "a mapping key without its `:` (or a value where a key is expected)")
}

fn unclosed(mark: Mark, bracket: char) -> Error {
    let close = if bracket == '[' { ']' } else { '}' };
    err(mark, format!("unclosed bracket `{bracket}`: `{close}` expected"))
}

// ---- The parser ----

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    BlockNode,
    BlockNodeOrIndentlessSequence,
    FlowNode,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    IndentlessSequenceEntry,
    IndentlessSequenceEntryNode,
    BlockMappingKey,
    BlockMappingValue,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowSequenceEntryMappingKey,
    FlowSequenceEntryMappingValue,
    FlowSequenceEntryMappingEnd,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    End,
}

/// An event, where it starts and where it ends.
pub(super) type Spanned<'a> = (Event<'a>, Mark, Mark);

pub(super) struct Parser<'a> {
    scanner: Scanner<'a>,
    token: Option<Token<'a>>,
    state: State,
    states: Vec<State>,
    /// Anchor names of the current document and their ids (ids are unique in the stream, from 1).
    anchors: BTreeMap<&'a str, usize>,
    anchor_count: usize,
    /// The current document's `%TAG` handles, and their prefixes (by index: one map type, the
    /// anchors', serves both).
    tags: BTreeMap<&'a str, usize>,
    prefixes: Vec<String>,
    last_end: Option<Mark>,
    pending_empty: Mark,
    done: bool,
}

fn empty_scalar<'a>() -> Event<'a> {
    Event::Scalar(Cow::Borrowed("~"), ScalarStyle::Plain, 0, None)
}

impl<'a> Parser<'a> {
    /// A parser of `text`; implicit keys may be up to `simple_key_max` characters long, flow
    /// collections nest up to `flow_limit` deep.
    pub(super) fn new(text: &'a str, simple_key_max: usize, flow_limit: usize) -> Self {
        Parser {
            scanner: Scanner::new(text, simple_key_max, flow_limit),
            token: None,
            state: State::StreamStart,
            states: Vec::new(),
            anchors: BTreeMap::new(),
            anchor_count: 1,
            tags: BTreeMap::new(),
            prefixes: Vec::new(),
            last_end: None,
            pending_empty: Mark::default(),
            done: false,
        }
    }

    /// The next event, or `None` after the stream's end (or an error).
    pub(super) fn next_event(&mut self) -> Option<Res<Spanned<'a>>> {
        if self.done {
            return None;
        }
        let result = self.state_machine();
        match &result {
            Ok((Event::StreamEnd, ..)) | Err(_) => self.done = true,
            Ok((_, _, end)) => self.last_end = Some(*end),
        }
        Some(result)
    }

    fn peek(&mut self) -> Res<&Token<'a>> {
        if self.token.is_none() {
            let t = self.scanner.next_token()?;
            self.token = Some(t.unwrap_or_else(|| {
                let mark = self.scanner.mark;
                token(mark, mark, Tok::StreamEnd)
            }));
        }
        Ok(self.token.as_ref().expect("a token was just read"))
    }

    /// The next token (a scalar without its text), where it starts and ends.
    fn peek_tok(&mut self) -> Res<(Tok<'a>, Mark, Mark)> {
        let t = self.peek()?;
        let tok = match &t.tok {
            Tok::Scalar(style, _) => Tok::Scalar(*style, Cow::Borrowed("")),
            tok => tok.clone(),
        };
        Ok((tok, t.start, t.end))
    }

    fn take(&mut self) -> Res<Token<'a>> {
        self.peek()?;
        Ok(self.token.take().expect("a token was just peeked"))
    }

    fn skip(&mut self) {
        self.token = None;
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::End);
    }

    fn state_machine(&mut self) -> Res<Spanned<'a>> {
        match self.state {
            State::StreamStart => {
                let t = self.take()?;
                self.state = State::ImplicitDocumentStart;
                Ok((Event::StreamStart, t.start, t.end))
            }
            State::ImplicitDocumentStart => self.document_start(true),
            State::DocumentStart => self.document_start(false),
            State::DocumentContent => self.document_content(),
            State::DocumentEnd => self.document_end(),
            State::BlockNode => self.parse_node(true, false),
            State::BlockNodeOrIndentlessSequence => self.parse_node(true, true),
            State::FlowNode => self.parse_node(false, false),
            State::BlockMappingKey => self.block_mapping_key(),
            State::BlockMappingValue => self.block_mapping_value(),
            State::BlockSequenceFirstEntry | State::BlockSequenceEntry => self.block_sequence_entry(),
            State::IndentlessSequenceEntry => self.indentless_sequence_entry(),
            State::IndentlessSequenceEntryNode => self.indentless_sequence_entry_node(self.pending_empty),
            State::FlowSequenceFirstEntry => self.flow_sequence_entry(true),
            State::FlowSequenceEntry => self.flow_sequence_entry(false),
            State::FlowSequenceEntryMappingKey => self.flow_sequence_entry_mapping_key(),
            State::FlowSequenceEntryMappingValue => self.flow_sequence_entry_mapping_value(),
            State::FlowSequenceEntryMappingEnd => {
                self.state = State::FlowSequenceEntry;
                let (_, start, _) = self.peek_tok()?;
                Ok((Event::MappingEnd, start, start))
            }
            State::FlowMappingFirstKey => self.flow_mapping_key(true),
            State::FlowMappingKey => self.flow_mapping_key(false),
            State::FlowMappingValue => self.flow_mapping_value(false),
            State::FlowMappingEmptyValue => self.flow_mapping_value(true),
            State::End => {
                let mark = self.scanner.mark;
                Ok((Event::StreamEnd, mark, mark))
            }
        }
    }

    fn document_start(&mut self, implicit: bool) -> Res<Spanned<'a>> {
        while self.peek()?.tok == Tok::DocumentEnd {
            self.skip();
        }
        self.anchors.clear();
        let (tok, start, end) = self.peek_tok()?;
        match tok {
            Tok::StreamEnd => {
                self.state = State::End;
                self.skip();
                Ok((Event::StreamEnd, start, end))
            }
            Tok::VersionDirective(..) | Tok::TagDirective(..) | Tok::ReservedDirective | Tok::DocumentStart => {
                self.explicit_document_start()
            }
            _ if implicit => {
                self.clear_tags();
                self.states.push(State::DocumentEnd);
                self.state = State::BlockNode;
                Ok((Event::DocumentStart, start, end))
            }
            _ => self.explicit_document_start(),
        }
    }

    fn explicit_document_start(&mut self) -> Res<Spanned<'a>> {
        self.clear_tags();
        let mut version = false;
        loop {
            let (tok, start, _) = self.peek_tok()?;
            match tok {
                Tok::VersionDirective(major) => {
                    if version {
                        return Err(err(start, "a second `%YAML` directive for one document"));
                    }
                    if major != 1 {
                        return Err(err(start, "only YAML 1.x can be read"));
                    }
                    version = true;
                }
                Tok::TagDirective(handle, prefix) => {
                    if self.tags.insert(handle, self.prefixes.len()).is_some() {
                        return Err(err(start, format!("a second `%TAG` directive for `{handle}` in one document")));
                    }
                    self.prefixes.push(prefix);
                }
                Tok::ReservedDirective => {}
                _ => break,
            }
            self.skip();
        }
        let (tok, start, end) = self.peek_tok()?;
        if tok != Tok::DocumentStart {
            return Err(err(start, "`---` expected after the directives"));
        }
        self.states.push(State::DocumentEnd);
        self.state = State::DocumentContent;
        self.skip();
        Ok((Event::DocumentStart, start, end))
    }

    fn empty_at_last(&self, start: Mark) -> Mark {
        self.last_end.unwrap_or(start)
    }

    fn document_content(&mut self) -> Res<Spanned<'a>> {
        let (tok, start, _) = self.peek_tok()?;
        if matches!(
            tok,
            Tok::VersionDirective(..)
                | Tok::TagDirective(..)
                | Tok::ReservedDirective
                | Tok::DocumentStart
                | Tok::DocumentEnd
                | Tok::StreamEnd
        ) {
            self.pop_state();
            let at = self.empty_at_last(start);
            Ok((empty_scalar(), at, at))
        } else {
            self.state = State::BlockNode;
            self.parse_node(true, false)
        }
    }

    fn document_end(&mut self) -> Res<Spanned<'a>> {
        let (tok, start, end) = self.peek_tok()?;
        let explicit = tok == Tok::DocumentEnd;
        let (start, end) = if explicit {
            self.skip();
            (start, end)
        } else {
            let at = self.empty_at_last(start);
            (at, at)
        };
        self.clear_tags();
        if explicit {
            self.state = State::ImplicitDocumentStart;
        } else {
            let (tok, at, _) = self.peek_tok()?;
            if matches!(tok, Tok::VersionDirective(..) | Tok::TagDirective(..) | Tok::ReservedDirective) {
                return Err(err(at, "a directive must follow `...` (the end of the previous document)"));
            }
            self.state = State::DocumentStart;
        }
        Ok((Event::DocumentEnd, start, end))
    }

    fn clear_tags(&mut self) {
        self.tags.clear();
        self.prefixes.clear();
    }

    fn register_anchor(&mut self, name: &'a str) -> usize {
        let id = self.anchor_count;
        self.anchor_count += 1;
        self.anchors.insert(name, id);
        id
    }

    fn resolve_tag(&self, at: Mark, handle: &str, suffix: String) -> Res<Tag> {
        let resolved = if handle.is_empty() && suffix == "!" {
            String::new()
        } else if let Some(prefix) = self.tags.get(handle).and_then(|&i| self.prefixes.get(i)) {
            prefix.clone()
        } else if handle == "!!" {
            CORE_PREFIX.to_string()
        } else if handle.len() >= 2 && handle.starts_with('!') && handle.ends_with('!') {
            return Err(err(at, format!("the tag handle `{handle}` is not declared (with `%TAG`)")));
        } else {
            handle.to_string()
        };
        Ok(Tag { handle: resolved, suffix, original_handle: handle.to_string() })
    }

    fn parse_node(&mut self, block: bool, indentless: bool) -> Res<Spanned<'a>> {
        let mut anchor = 0;
        let mut tag = None;
        let mut property_end = None;
        let (tok, start, end) = self.peek_tok()?;
        match tok {
            Tok::Alias(name) => {
                self.pop_state();
                self.skip();
                return match self.anchors.get(name) {
                    Some(&id) => Ok((Event::Alias(id), start, end)),
                    None => Err(err(start, "unknown alias: no anchor (`&name`) of that name precedes it")),
                };
            }
            Tok::Anchor(_) | Tok::Tag(..) => {
                // An anchor and a tag, in either order.
                for _ in 0..2 {
                    let (tok, start, end) = self.peek_tok()?;
                    match tok {
                        Tok::Anchor(name) if anchor == 0 => anchor = self.register_anchor(name),
                        Tok::Tag(handle, suffix) if tag.is_none() => {
                            tag = Some(self.resolve_tag(start, handle, suffix)?)
                        }
                        _ => break,
                    }
                    self.skip();
                    property_end = Some(end);
                }
            }
            _ => {}
        }
        let (tok, start, end) = self.peek_tok()?;
        match tok {
            Tok::BlockEntry if indentless => {
                self.pending_empty = start;
                self.collection(State::IndentlessSequenceEntryNode, Event::SequenceStart(anchor, tag), start, end)
            }
            Tok::Scalar(..) => {
                self.pop_state();
                let Tok::Scalar(style, text) = self.take()?.tok else { return Err(err(start, "a value is missing")) };
                Ok((Event::Scalar(text, style, anchor, tag), start, end))
            }
            Tok::FlowSequenceStart => {
                self.collection(State::FlowSequenceFirstEntry, Event::SequenceStart(anchor, tag), start, end)
            }
            Tok::FlowMappingStart => {
                self.collection(State::FlowMappingFirstKey, Event::MappingStart(anchor, tag), start, end)
            }
            Tok::BlockSequenceStart if block => {
                self.collection(State::BlockSequenceFirstEntry, Event::SequenceStart(anchor, tag), start, end)
            }
            Tok::BlockMappingStart if block => {
                self.collection(State::BlockMappingKey, Event::MappingStart(anchor, tag), start, end)
            }
            _ if tag.is_some() || anchor != 0 => {
                self.pop_state();
                let at = property_end.unwrap_or(start);
                let text = if tag.is_some() { "" } else { "~" };
                Ok((Event::Scalar(Cow::Borrowed(text), ScalarStyle::Plain, anchor, tag), at, at))
            }
            _ => {
                let message = match self.state {
                    State::FlowSequenceFirstEntry | State::FlowSequenceEntry => "unclosed flow sequence: `]` expected",
                    State::FlowMappingFirstKey
                    | State::FlowMappingKey
                    | State::FlowMappingValue
                    | State::FlowMappingEmptyValue => "unclosed flow mapping: `}` expected",
                    State::FlowSequenceEntryMappingKey
                    | State::FlowSequenceEntryMappingValue
                    | State::FlowSequenceEntryMappingEnd
                    | State::FlowNode => "a value is missing in a flow collection",
                    State::BlockSequenceFirstEntry | State::BlockSequenceEntry | State::BlockNode => {
                        "a value is missing in a block list"
                    }
                    State::BlockMappingKey | State::BlockMappingValue | State::BlockNodeOrIndentlessSequence => {
                        "a value is missing in a block mapping"
                    }
                    _ => "a value is missing",
                };
                Err(err(start, message))
            }
        }
    }

    fn collection(&mut self, next: State, event: Event<'a>, start: Mark, end: Mark) -> Res<Spanned<'a>> {
        self.state = next;
        self.skip();
        Ok((event, start, end))
    }

    fn defer_node(&mut self, node: State, back: State, block: bool, indentless: bool) -> Res<Spanned<'a>> {
        self.states.push(back);
        self.state = node;
        self.parse_node(block, indentless)
    }

    fn block_mapping_key(&mut self) -> Res<Spanned<'a>> {
        let (tok, start, end) = self.peek_tok()?;
        match tok {
            Tok::Key => {
                self.skip();
                let (tok, start, _) = self.peek_tok()?;
                if matches!(tok, Tok::Key | Tok::Value | Tok::BlockEnd) {
                    self.state = State::BlockMappingValue;
                    Ok((empty_scalar(), start, start))
                } else {
                    self.defer_node(State::BlockNodeOrIndentlessSequence, State::BlockMappingValue, true, true)
                }
            }
            Tok::Value => {
                self.state = State::BlockMappingValue;
                Ok((empty_scalar(), start, start))
            }
            Tok::BlockEnd => {
                self.pop_state();
                self.skip();
                Ok((Event::MappingEnd, start, end))
            }
            _ => Err(err(start, "a mapping key (`key: value`) is expected here, at this indentation")),
        }
    }

    fn block_mapping_value(&mut self) -> Res<Spanned<'a>> {
        let (tok, start, _) = self.peek_tok()?;
        if tok != Tok::Value {
            self.state = State::BlockMappingKey;
            return Ok((empty_scalar(), start, start));
        }
        self.skip();
        let (tok, ..) = self.peek_tok()?;
        if matches!(tok, Tok::Key | Tok::Value | Tok::BlockEnd) {
            self.state = State::BlockMappingKey;
            Ok((empty_scalar(), start, start))
        } else {
            self.defer_node(State::BlockNodeOrIndentlessSequence, State::BlockMappingKey, true, true)
        }
    }

    fn block_sequence_entry(&mut self) -> Res<Spanned<'a>> {
        let (tok, start, end) = self.peek_tok()?;
        match tok {
            Tok::BlockEnd => {
                self.pop_state();
                self.skip();
                Ok((Event::SequenceEnd, start, end))
            }
            Tok::BlockEntry => {
                self.skip();
                let (tok, ..) = self.peek_tok()?;
                if matches!(tok, Tok::BlockEntry | Tok::BlockEnd) {
                    self.state = State::BlockSequenceEntry;
                    Ok((empty_scalar(), start, start))
                } else {
                    self.defer_node(State::BlockNode, State::BlockSequenceEntry, true, false)
                }
            }
            _ => Err(err(start, "a list entry (`- `) is expected here, at this indentation")),
        }
    }

    fn indentless_sequence_entry(&mut self) -> Res<Spanned<'a>> {
        let (tok, start, _) = self.peek_tok()?;
        if tok != Tok::BlockEntry {
            self.pop_state();
            return Ok((Event::SequenceEnd, start, start));
        }
        self.skip();
        self.indentless_sequence_entry_node(start)
    }

    fn indentless_sequence_entry_node(&mut self, at: Mark) -> Res<Spanned<'a>> {
        let (tok, ..) = self.peek_tok()?;
        if matches!(tok, Tok::BlockEntry | Tok::Key | Tok::Value | Tok::BlockEnd) {
            self.state = State::IndentlessSequenceEntry;
            Ok((empty_scalar(), at, at))
        } else {
            self.defer_node(State::BlockNode, State::IndentlessSequenceEntry, true, false)
        }
    }

    fn flow_sequence_entry(&mut self, first: bool) -> Res<Spanned<'a>> {
        let (tok, start, end) = self.peek_tok()?;
        if !first && tok != Tok::FlowSequenceEnd {
            if tok != Tok::FlowEntry {
                return Err(err(start, "`,` or `]` expected in a flow sequence"));
            }
            self.skip();
        }
        let (tok, start, end) = if first || tok == Tok::FlowSequenceEnd { (tok, start, end) } else { self.peek_tok()? };
        match tok {
            Tok::FlowSequenceEnd => {
                self.pop_state();
                self.skip();
                Ok((Event::SequenceEnd, start, end))
            }
            Tok::Key => {
                self.state = State::FlowSequenceEntryMappingKey;
                self.skip();
                Ok((Event::MappingStart(0, None), start, end))
            }
            _ => self.defer_node(State::FlowNode, State::FlowSequenceEntry, false, false),
        }
    }

    fn flow_sequence_entry_mapping_key(&mut self) -> Res<Spanned<'a>> {
        let (tok, start, _) = self.peek_tok()?;
        if matches!(tok, Tok::FlowEntry | Tok::FlowSequenceEnd) {
            self.state = State::FlowSequenceEntryMappingValue;
            Ok((empty_scalar(), start, start))
        } else {
            self.defer_node(State::FlowNode, State::FlowSequenceEntryMappingValue, false, false)
        }
    }

    fn flow_sequence_entry_mapping_value(&mut self) -> Res<Spanned<'a>> {
        let (tok, start, _) = self.peek_tok()?;
        if tok == Tok::Value {
            self.skip();
            let (tok, start, _) = self.peek_tok()?;
            if !matches!(tok, Tok::FlowEntry | Tok::FlowSequenceEnd) {
                return self.defer_node(State::FlowNode, State::FlowSequenceEntryMappingEnd, false, false);
            }
            self.state = State::FlowSequenceEntryMappingEnd;
            return Ok((empty_scalar(), start, start));
        }
        self.state = State::FlowSequenceEntryMappingEnd;
        Ok((empty_scalar(), start, start))
    }

    fn flow_mapping_key(&mut self, first: bool) -> Res<Spanned<'a>> {
        let (tok, start, _) = self.peek_tok()?;
        if tok != Tok::FlowMappingEnd {
            if !first {
                if tok != Tok::FlowEntry {
                    return Err(err(start, "`,` or `}` expected in a flow mapping"));
                }
                self.skip();
            }
            let (tok, start, _) = self.peek_tok()?;
            match tok {
                Tok::Key => {
                    self.skip();
                    let (tok, start, _) = self.peek_tok()?;
                    if matches!(tok, Tok::Value | Tok::FlowEntry | Tok::FlowMappingEnd) {
                        self.state = State::FlowMappingValue;
                        return Ok((empty_scalar(), start, start));
                    }
                    return self.defer_node(State::FlowNode, State::FlowMappingValue, false, false);
                }
                Tok::Value => {
                    self.state = State::FlowMappingValue;
                    return Ok((empty_scalar(), start, start));
                }
                Tok::FlowMappingEnd => {}
                _ => return self.defer_node(State::FlowNode, State::FlowMappingEmptyValue, false, false),
            }
        }
        let (_, start, end) = self.peek_tok()?;
        self.pop_state();
        self.skip();
        Ok((Event::MappingEnd, start, end))
    }

    fn flow_mapping_value(&mut self, empty: bool) -> Res<Spanned<'a>> {
        let (tok, start, end) = self.peek_tok()?;
        self.state = State::FlowMappingKey;
        if empty || tok != Tok::Value {
            return Ok((empty_scalar(), start, start));
        }
        self.skip();
        let (tok, ..) = self.peek_tok()?;
        if matches!(tok, Tok::FlowEntry | Tok::FlowMappingEnd) {
            Ok((empty_scalar(), start, end))
        } else {
            self.defer_node(State::FlowNode, State::FlowMappingKey, false, false)
        }
    }
}
