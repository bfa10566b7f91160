//! Documents as YAML text, deterministic byte for byte.
//!
//! The layout is the one Tokenfleet's manifests and plans have always had (that of serde-saphyr
//! 2.2's `to_string` with default options, whose serializer this follows under its MIT/Apache-2.0
//! licence, restricted to what a JSON value, and so a [`Doc`], can hold): block style, two-space indentation,
//! sequences under a key at the key's column, `{}` and `[]` for empty collections, multi-line
//! strings as literal blocks (`|`), long single-line strings as folded blocks (`>`, wrapped at 80
//! characters), and strings quoted when a YAML reader would take them for something else.

use std::fmt::Write as _;

use crate::doc::{Doc, Map};

const INDENT: usize = 2;
/// Width of folded block lines, and the length above which a single-line string is folded.
const WRAP: usize = 80;
/// Longest implicit key YAML allows (in characters); longer keys use the explicit `? key` form.
const SIMPLE_KEY_MAX: usize = 1024;

/// A document as YAML (without `---`), ending in a newline.
pub fn to_yaml(value: &Doc) -> String {
    let mut emitter = Emitter::default();
    emitter.value(value);
    emitter.out
}

/// The emitter's place in the output, as the serializer it follows keeps it.
struct Emitter {
    out: String,
    /// Nesting depth for scalars written at the start of a line (the document root).
    depth: usize,
    at_line_start: bool,
    /// The next mapping opens right after a sequence dash (`- key: value`).
    pending_inline_map: bool,
    /// A key and its `:` are written; the space depends on what the value turns out to be.
    pending_space_after_colon: bool,
    /// The sequence element being written is a mapping that opened inline after its dash.
    inline_map_after_dash: bool,
    last_value_was_block: bool,
    /// Depth of the dash of the sequence element being written.
    after_dash_depth: Option<usize>,
    /// Depth of the keys of the innermost mapping whose value is being written.
    current_map_depth: Option<usize>,
    /// Column of those keys when the mapping opened after a dash (two columns past it).
    current_map_key_column: Option<usize>,
}

impl Default for Emitter {
    fn default() -> Self {
        Emitter {
            out: String::new(),
            depth: 0,
            at_line_start: true,
            pending_inline_map: false,
            pending_space_after_colon: false,
            inline_map_after_dash: false,
            last_value_was_block: false,
            after_dash_depth: None,
            current_map_depth: None,
            current_map_key_column: None,
        }
    }
}

impl Emitter {
    fn value(&mut self, value: &Doc) {
        match value {
            Doc::Null => self.plain_scalar("null"),
            Doc::Bool(b) => self.plain_scalar(if *b { "true" } else { "false" }),
            Doc::Int(i) => self.plain_scalar(&i.to_string()),
            Doc::UInt(u) => self.plain_scalar(&u.to_string()),
            Doc::Float(f) => self.plain_scalar(&float_text(*f)),
            Doc::Str(s) => self.string(s),
            Doc::Seq(items) => self.sequence(items),
            Doc::Map(map) => self.mapping(map),
        }
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.at_line_start = true;
    }

    fn spaces(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    fn indent(&mut self, depth: usize) {
        if self.at_line_start {
            self.spaces(depth * INDENT);
            self.at_line_start = false;
        }
    }

    fn space_if_pending(&mut self) {
        if self.pending_space_after_colon {
            self.out.push(' ');
            self.pending_space_after_colon = false;
        }
        self.last_value_was_block = false;
    }

    /// Null, booleans and numbers.
    fn plain_scalar(&mut self, text: &str) {
        self.space_if_pending();
        if self.at_line_start {
            self.indent(self.depth);
        }
        self.out.push_str(text);
        self.newline();
    }

    fn string(&mut self, v: &str) {
        let block = if v.contains('\n') {
            (block_content_safe(v) && !v.is_empty()).then_some(Block::Literal)
        } else if v.len() > WRAP {
            let probe = v.trim_end_matches(' ');
            (!probe.is_empty() && plain_value_safe(probe) && v.chars().count() > WRAP).then_some(Block::Folded)
        } else {
            None
        };
        if let Some(block) = block {
            if !block_content_safe(v) {
                self.space_if_pending();
                if self.at_line_start {
                    self.indent(self.depth);
                }
                double_quoted(v, &mut self.out);
                self.newline();
                return;
            }
            self.block_scalar(v, block);
            return;
        }
        self.space_if_pending();
        if self.at_line_start {
            self.indent(self.depth);
        }
        if matches!(v, "." | "#" | "-") {
            let _ = write!(self.out, "'{v}'");
        } else if plain_value_safe(v) {
            self.out.push_str(v);
        } else {
            double_quoted(v, &mut self.out);
        }
        self.newline();
    }

    fn block_scalar(&mut self, v: &str, block: Block) {
        let was_map_value = self.pending_space_after_colon;
        self.space_if_pending();
        let base = if was_map_value {
            self.current_map_depth.unwrap_or(self.depth)
        } else {
            self.after_dash_depth.unwrap_or(self.depth)
        };
        if self.at_line_start {
            self.indent(base);
        }
        let parent_column = match (was_map_value, self.current_map_key_column) {
            (true, Some(column)) => column,
            _ => base * INDENT,
        };
        let body_column = parent_column + INDENT;
        let content = v.trim_end_matches('\n');
        let trailing_newlines = v.len() - content.len();
        let needs_indicator = first_line_leading_spaces(content) > 0;
        match block {
            Block::Literal => {
                self.out.push('|');
                if needs_indicator {
                    self.out.push('2');
                }
                match trailing_newlines {
                    0 => self.out.push('-'),
                    1 if !content.is_empty() => {}
                    _ => self.out.push('+'),
                }
                self.newline();
                if content.is_empty() {
                    for _ in 0..trailing_newlines {
                        self.newline();
                    }
                } else {
                    for line in content.split('\n') {
                        if !line.is_empty() {
                            self.spaces(body_column);
                            self.at_line_start = false;
                            self.out.push_str(line);
                        }
                        self.newline();
                    }
                    for _ in 1..trailing_newlines {
                        self.newline();
                    }
                }
            }
            Block::Folded => {
                self.out.push('>');
                if needs_indicator {
                    self.out.push('2');
                }
                match trailing_newlines {
                    0 => self.out.push('-'),
                    1 => {}
                    _ => self.out.push('+'),
                }
                self.newline();
                folded_body(&mut self.out, v, body_column);
                self.at_line_start = true;
            }
        }
    }

    fn sequence(&mut self, items: &[Doc]) {
        let was_inline_value = !self.at_line_start;
        if self.pending_space_after_colon && self.last_value_was_block {
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
            self.last_value_was_block = false;
        }
        // A sequence right after a dash starts on the dash's line (`- - 1`).
        let after_dash = !self.at_line_start && self.after_dash_depth.is_some() && !self.pending_space_after_colon;
        let base = if after_dash {
            self.after_dash_depth.unwrap_or(self.depth)
        } else if was_inline_value && self.current_map_depth.is_some() {
            self.current_map_depth.unwrap_or(self.depth)
        } else {
            self.depth
        };
        // Under a key, the dashes go at the key's own column.
        let depth = if after_dash || (was_inline_value && self.current_map_depth.is_none()) { base + 1 } else { base };
        let mut first = true;
        for item in items {
            if first && self.pending_space_after_colon {
                self.pending_space_after_colon = false;
                if !self.at_line_start {
                    self.newline();
                }
                self.pending_inline_map = false;
            }
            if !first && self.inline_map_after_dash {
                self.inline_map_after_dash = false;
            }
            if !(first && (!self.at_line_start || self.pending_inline_map)) {
                self.indent(depth);
            }
            self.out.push_str("- ");
            self.at_line_start = false;
            if first && self.inline_map_after_dash {
                self.inline_map_after_dash = false;
            }
            self.after_dash_depth = Some(depth);
            self.pending_inline_map = true;
            self.last_value_was_block = false;
            self.value(item);
            first = false;
        }
        if first {
            if self.pending_space_after_colon {
                self.out.push(' ');
                self.pending_space_after_colon = false;
            } else if self.at_line_start {
                self.indent(depth);
            }
            self.out.push_str("[]");
            self.newline();
        } else {
            self.last_value_was_block = true;
            self.pending_inline_map = false;
            self.after_dash_depth = None;
            self.inline_map_after_dash = false;
        }
    }

    fn mapping(&mut self, map: &Map) {
        let inline_first = self.pending_inline_map;
        let was_inline_value = self.pending_space_after_colon;
        if was_inline_value && self.last_value_was_block {
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
            self.last_value_was_block = false;
        }
        if inline_first {
            // The first key goes on the dash's line.
            self.pending_inline_map = false;
            self.inline_map_after_dash = true;
        } else if was_inline_value && !map.is_empty() {
            // A mapping as a value starts on the next line; an empty one stays as `key: {}`.
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
        }
        let base = if inline_first {
            self.after_dash_depth.unwrap_or(self.depth)
        } else if was_inline_value && self.current_map_depth.is_some() {
            self.current_map_depth.unwrap_or(self.depth)
        } else {
            self.depth
        };
        let depth = if inline_first || was_inline_value { base + 1 } else { base };
        let align_after_dash = inline_first;
        for (key, value) in map.iter() {
            // The key.
            if !self.at_line_start {
                self.space_if_pending();
            }
            self.after_dash_depth = None;
            self.pending_inline_map = false;
            self.last_value_was_block = false;
            let text = key_text(key);
            let simple = text.len() <= SIMPLE_KEY_MAX || text.chars().count() <= SIMPLE_KEY_MAX;
            if simple {
                if align_after_dash && self.at_line_start {
                    self.spaces(depth.saturating_sub(1) * INDENT + 2);
                    self.at_line_start = false;
                } else {
                    self.indent(depth);
                }
                self.out.push_str(&text);
                self.out.push(':');
                self.pending_space_after_colon = true;
                self.at_line_start = false;
            } else {
                self.indent(depth);
                self.out.push_str("? ");
                self.out.push_str(&text);
                self.newline();
            }
            // The value.
            let saved_pending_inline_map = self.pending_inline_map;
            let saved_depth = self.depth;
            if !simple {
                if align_after_dash && self.at_line_start {
                    self.spaces(depth.saturating_sub(1) * INDENT + 2);
                    self.at_line_start = false;
                } else {
                    self.indent(depth);
                }
                self.out.push(':');
                self.pending_space_after_colon = true;
                self.pending_inline_map = true;
                self.at_line_start = false;
                self.depth = depth;
            }
            let previous_map_depth = self.current_map_depth.replace(depth);
            let key_column = align_after_dash.then(|| depth.saturating_sub(1) * INDENT + 2);
            let previous_key_column = std::mem::replace(&mut self.current_map_key_column, key_column);
            self.value(value);
            self.current_map_depth = previous_map_depth;
            self.current_map_key_column = previous_key_column;
            self.pending_inline_map = saved_pending_inline_map;
            if !simple {
                self.depth = saved_depth;
            }
        }
        if map.is_empty() {
            if self.pending_space_after_colon {
                self.out.push(' ');
                self.pending_space_after_colon = false;
            }
            if self.at_line_start {
                if align_after_dash {
                    self.spaces(depth.saturating_sub(1) * INDENT + 2);
                    self.at_line_start = false;
                } else {
                    self.indent(depth);
                }
            }
            self.out.push_str("{}");
            self.newline();
        } else {
            self.last_value_was_block = true;
        }
    }
}

#[derive(Clone, Copy)]
enum Block {
    Literal,
    Folded,
}

/// A float as YAML reads it back as a float: always a `.` in the mantissa, a sign in the exponent.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    // The shortest text that reads back as the same float, as JSON writes it.
    let s = crate::doc::json::float_text(f);
    match s.find(['e', 'E']) {
        Some(e) => {
            let (mantissa, exponent) = (&s[..e], &s[e + 1..]);
            let dot = if mantissa.contains('.') { "" } else { ".0" };
            let sign = if exponent.starts_with(['+', '-']) { "" } else { "+" };
            format!("{mantissa}{dot}{}{sign}{exponent}", &s[e..=e])
        }
        None if !s.contains('.') => s + ".0",
        None => s,
    }
}

/// A mapping key: plain when it is safe both in block and flow mappings, else double-quoted.
fn key_text(key: &str) -> String {
    if plain_key_safe(key) && plain_value_safe_in_flow(key) {
        key.to_string()
    } else {
        let mut out = String::new();
        double_quoted(key, &mut out);
        out
    }
}

/// Whether a reader would resolve the plain text to something other than this string.
fn is_ambiguous(s: &str) -> bool {
    s.is_empty()
        || s == "~"
        || ["null", "true", "false", "nan", "inf", "+inf", "-inf"].iter().any(|w| s.eq_ignore_ascii_case(w))
        || is_numeric(s)
        || yaml11_bool(s)
        || is_yaml11_timestamp(s)
        || matches!(s, "<<" | "=")
}

fn yaml11_bool(s: &str) -> bool {
    ["true", "yes", "y", "on", "false", "no", "n", "off"].iter().any(|w| s.eq_ignore_ascii_case(w))
}

/// Numeric syntax, as YAML 1.1 or 1.2 readers (and Go's) would take it.
fn is_numeric(s: &str) -> bool {
    if !matches!(s.as_bytes().first(), Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')) {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if is_yaml11_sexagesimal(s) {
        return true;
    }
    if let Some((radix, digits)) = radix_digits(unsigned) {
        if is_digit_run(digits, radix, false) {
            return true;
        }
    }
    let normalized;
    let s = if s.contains('_') {
        normalized = s.replace('_', "");
        normalized.as_str()
    } else {
        s
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if let Some((radix, digits)) = radix_digits(unsigned) {
        let digits = if s.starts_with("0b") || s.starts_with("0o") {
            digits.strip_prefix(['+', '-']).unwrap_or(digits)
        } else {
            digits
        };
        return is_digit_run(digits, radix, true);
    }
    let Some(mantissa) = mantissa_of(unsigned) else {
        return false;
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (whole.is_empty() || is_digit_run(whole, 10, true))
                && fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        }
        None => is_digit_run(mantissa, 10, true),
    }
}

/// The part before a valid decimal exponent (`1.5` of `1.5e-3`), the whole text when there is none,
/// `None` when the exponent is not digits.
fn mantissa_of(unsigned: &str) -> Option<&str> {
    match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            is_digit_run(exponent.strip_prefix(['+', '-']).unwrap_or(exponent), 10, true).then_some(mantissa)
        }
        None => Some(unsigned),
    }
}

fn radix_digits(s: &str) -> Option<(u32, &str)> {
    match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => Some((2, &s[2..])),
        [b'0', b'o' | b'O', ..] => Some((8, &s[2..])),
        [b'0', b'x' | b'X', ..] => Some((16, &s[2..])),
        _ => None,
    }
}

fn is_digit_run(s: &str, radix: u32, strict_underscores: bool) -> bool {
    let is_digit = |b: u8| (b as char).is_digit(radix);
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(i, &b)| {
            is_digit(b)
                || (b == b'_'
                    && (!strict_underscores
                        || (i > 0 && is_digit(bytes[i - 1]) && bytes.get(i + 1).is_some_and(|&n| is_digit(n)))))
        })
}

/// YAML 1.1 base-60 numbers (`1:30`, `190:20:30.15`).
fn is_yaml11_sexagesimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let Some((first, rest)) = integer.split_once(':') else { return false };
    let Some(first_digit) = first.as_bytes().first() else { return false };
    if !first_digit.is_ascii_digit()
        || (fraction.is_none() && *first_digit == b'0')
        || !first.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    rest.split(':').all(|part| match part.as_bytes() {
        [digit] => digit.is_ascii_digit(),
        [tens, units] => matches!(tens, b'0'..=b'5') && units.is_ascii_digit(),
        _ => false,
    }) && fraction.is_none_or(|part| part.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

/// YAML 1.1 timestamps (`2001-12-14`, `2001-12-14t21:59:43.10-05:00`), by their shape only.
fn is_yaml11_timestamp(mut s: &str) -> bool {
    fn digits(s: &mut &str, min: usize, max: usize) -> bool {
        let len = s.bytes().take_while(u8::is_ascii_digit).count();
        if !(min..=max).contains(&len) {
            return false;
        }
        *s = &s[len..];
        true
    }
    fn prefix(s: &mut &str, ch: char) -> bool {
        match s.strip_prefix(ch) {
            Some(rest) => {
                *s = rest;
                true
            }
            None => false,
        }
    }
    if !digits(&mut s, 4, 4)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if s.is_empty() {
        return true;
    }
    if let Some(rest) = s.strip_prefix(['T', 't']) {
        s = rest;
    } else {
        let rest = s.trim_start_matches([' ', '\t']);
        if rest.len() == s.len() {
            return false;
        }
        s = rest;
    }
    if !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if prefix(&mut s, '.') || prefix(&mut s, ',') {
        digits(&mut s, 0, usize::MAX);
    }
    s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() || s == "Z" {
        return true;
    }
    if !(prefix(&mut s, '+') || prefix(&mut s, '-')) || !digits(&mut s, 1, 2) {
        return false;
    }
    if prefix(&mut s, ':') && !digits(&mut s, 2, 2) {
        return false;
    }
    s.is_empty()
}

fn starts_with_document_marker(s: &str) -> bool {
    match s.strip_prefix("---").or_else(|| s.strip_prefix("...")) {
        Some(rest) => rest.is_empty() || rest.as_bytes()[0].is_ascii_whitespace(),
        None => false,
    }
}

fn edge_whitespace(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_whitespace)
        || s.as_bytes().last().is_some_and(u8::is_ascii_whitespace)
}

const INDICATORS: &[u8] = b",:[]{}#&*!|>'\"%@`";

/// Whether a key can be written plain (YAML 1.2 reading rules, and not `<<`).
fn plain_key_safe(s: &str) -> bool {
    if s.is_empty()
        || s == "~"
        || ["null", "true", "false", "nan", "inf", "+inf", "-inf"].iter().any(|w| s.eq_ignore_ascii_case(w))
    {
        return false;
    }
    if is_numeric_yaml12(s) || s == "<<" || starts_with_document_marker(s) || edge_whitespace(s) {
        return false;
    }
    let bytes = s.as_bytes();
    match bytes[0] {
        b'-' | b'?' if bytes.len() == 1 || bytes[1].is_ascii_whitespace() => return false,
        b if INDICATORS.contains(&b) => return false,
        _ => {}
    }
    !s.chars().any(|c| needs_escape(c) || c == ':') && !has_comment_start(s)
}

/// Numeric syntax as YAML 1.2 reads it (used for keys, which are also checked against YAML 1.1
/// by [`plain_value_safe_in_flow`]).
fn is_numeric_yaml12(s: &str) -> bool {
    if !matches!(s.as_bytes().first(), Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')) {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if let Some((radix, digits)) = radix_digits(unsigned) {
        return is_digit_run(digits, radix, true);
    }
    let Some(mantissa) = mantissa_of(unsigned) else {
        return false;
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !is_digit_run(whole, 10, true) {
                false
            } else if fraction.is_empty() {
                !whole.is_empty()
            } else {
                is_digit_run(fraction, 10, true)
            }
        }
        None => is_digit_run(mantissa, 10, true),
    }
}

/// Whether a string can be written plain as a block value.
fn plain_value_safe(s: &str) -> bool {
    plain_value_safe_with(s, &[])
}

/// Whether a string can be written plain as a value inside a flow collection.
fn plain_value_safe_in_flow(s: &str) -> bool {
    plain_value_safe_with(s, &[',', '[', ']', '{', '}'])
}

fn plain_value_safe_with(s: &str, forbidden: &[char]) -> bool {
    if is_ambiguous(s) || starts_with_document_marker(s) || edge_whitespace(s) {
        return false;
    }
    let bytes = s.as_bytes();
    match bytes {
        [b'-' | b'?', b1, ..] if b1.is_ascii_whitespace() => return false,
        [b'-' | b'?'] => return false,
        [b, ..] if INDICATORS.contains(b) => return false,
        _ => {}
    }
    if s.contains(": ") || s.trim().ends_with(':') {
        return false;
    }
    !s.chars().any(|c| needs_escape(c) || forbidden.contains(&c)) && !has_comment_start(s)
}

/// `#` after white space starts a comment in a plain scalar.
fn has_comment_start(s: &str) -> bool {
    s.match_indices('#').any(|(i, _)| s[..i].chars().next_back().is_some_and(char::is_whitespace))
}

/// Characters that only a double-quoted scalar can hold.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Whether every character can be written as is inside a block scalar.
fn block_content_safe(s: &str) -> bool {
    s.chars().all(|c| match c {
        '\n' | '\t' => true,
        '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' => false,
        c => matches!(c as u32, 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x0010_FFFF),
    })
}

fn double_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{FEFF}' => out.push_str("\\uFEFF"),
            '\u{0085}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) <= 0xFF && (c.is_control() || (0x7F..=0x9F).contains(&(c as u32))) => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xFFFF && needs_escape(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn first_line_leading_spaces(s: &str) -> usize {
    s.split('\n').find(|line| !line.is_empty()).map_or(0, |line| line.len() - line.trim_start_matches(' ').len())
}

/// The body of a folded block: each line wrapped at runs of spaces to at most [`WRAP`] characters
/// (a line without such a place is left long), indented by `column` spaces.
fn folded_body(out: &mut String, s: &str, column: usize) {
    let indent = " ".repeat(column);
    for line in s.split('\n') {
        if line.is_empty() {
            out.push('\n');
            continue;
        }
        if line.starts_with(' ') {
            out.push_str(&indent);
            out.push_str(line);
            out.push('\n');
            continue;
        }
        // A break replaces one space of a run (the reader folds it back into one space); the next
        // line never starts with a space, which would make it "more indented".
        let mut start = 0;
        let mut col = 0;
        let mut last_run: Option<(usize, usize, usize)> = None;
        let mut in_run = false;
        let (mut run_start, mut run_len) = (0, 0);
        let (mut prev_i, mut prev_len) = (0, 0);
        for (i, ch) in line.char_indices() {
            if in_run && ch != ' ' {
                if ch != '\t' {
                    last_run = Some((run_start, prev_i + prev_len, run_len));
                }
                in_run = false;
                run_len = 0;
            }
            if ch == ' ' {
                if in_run {
                    run_len += 1;
                } else {
                    in_run = true;
                    run_start = i;
                    run_len = 1;
                }
            }
            col += 1;
            if col > WRAP {
                let Some((ws_start, ws_end, ws_len)) = last_run else { break };
                out.push_str(&indent);
                out.push_str(&line[start..ws_start]);
                out.extend(std::iter::repeat_n(' ', ws_len - 1));
                out.push('\n');
                start = ws_end;
                col = 0;
                last_run = None;
            }
            prev_i = i;
            prev_len = ch.len_utf8();
        }
        out.push_str(&indent);
        out.push_str(&line[start..]);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: serde_json::Value, expected: &str) {
        assert_eq!(to_yaml(&crate::doc::to_doc(&value).unwrap()), expected);
    }

    #[test]
    fn collections() {
        check(
            json!({"a": 1, "b": [1, [2, 3], {"c": null}], "d": {}, "e": []}),
            "a: 1\nb:\n- 1\n- - 2\n  - 3\n- c: null\nd: {}\ne: []\n",
        );
        check(json!([{"a": {"b": [true]}}]), "- a:\n    b:\n    - true\n");
        check(json!({}), "{}\n");
    }

    #[test]
    fn scalars_are_quoted_when_a_reader_would_take_them_for_something_else() {
        check(
            json!({"a": "16", "b": "yes", "c": "", "d": "x: y", "e": "x #y", "f": " x", "g": "-", "h": "~", "i": "1.5", "j": "plain text"}),
            "a: \"16\"\nb: \"yes\"\nc: \"\"\nd: \"x: y\"\ne: \"x #y\"\nf: \" x\"\ng: '-'\nh: \"~\"\ni: \"1.5\"\nj: plain text\n",
        );
        check(json!({"1": "a", "y": "b", "a,b": "c", "<<": "d"}), "\"1\": a\n\"y\": b\n\"a,b\": c\n\"<<\": d\n");
        check(json!([1.0, 0.5, 1e21, 1e-7, -3]), "- 1.0\n- 0.5\n- 1.0e+21\n- 1.0e-7\n- -3\n");
    }

    #[test]
    fn multi_line_and_long_strings_are_blocks() {
        check(json!({"f": "line one\nline two\n"}), "f: |\n  line one\n  line two\n");
        check(json!({"f": "no newline\nat end"}), "f: |-\n  no newline\n  at end\n");
        check(json!(["  indented\n"]), "- |2\n    indented\n");
        // Folded at the last space before column 80; the reader joins the lines with one space.
        let long = "word ".repeat(20) + "end";
        check(json!({"d": long}), &format!("d: >-\n  {}word\n  word word word word end\n", "word ".repeat(15)));
    }
}
