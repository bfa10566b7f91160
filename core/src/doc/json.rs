//! Documents as JSON text, byte for byte what serde_json writes: compact (`to_string`) and pretty
//! (`to_string_pretty`: two-space indentation, `"key": value`, `[]` and `{}` for empty
//! collections), strings escaped as serde_json escapes them, and floats in serde_json's layout.

use super::Doc;

impl Doc {
    /// Compact JSON, as `serde_json::to_string` writes it.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write(&mut out, self, None);
        out
    }

    /// Pretty JSON, as `serde_json::to_string_pretty` writes it (no newline at the end).
    pub fn to_json_pretty(&self) -> String {
        let mut out = String::new();
        write(&mut out, self, Some(0));
        out
    }
}

/// Writes `doc`; `indent` is the current depth when pretty, `None` when compact.
fn write(out: &mut String, doc: &Doc, indent: Option<usize>) {
    match doc {
        Doc::Null => out.push_str("null"),
        Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Doc::Int(i) => out.push_str(&i.to_string()),
        Doc::UInt(u) => out.push_str(&u.to_string()),
        Doc::Float(f) => write_float(out, *f),
        Doc::Str(s) => write_str(out, s),
        Doc::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, i, indent);
                write(out, item, indent.map(|d| d + 1));
            }
            close(out, items.is_empty(), indent, ']');
        }
        Doc::Map(map) => {
            out.push('{');
            for (i, (key, value)) in map.iter().enumerate() {
                separator(out, i, indent);
                write_str(out, key);
                out.push_str(if indent.is_some() { ": " } else { ":" });
                write(out, value, indent.map(|d| d + 1));
            }
            close(out, map.is_empty(), indent, '}');
        }
    }
}

/// Before the `i`th element of a collection opened at depth `indent`.
fn separator(out: &mut String, i: usize, indent: Option<usize>) {
    if i > 0 {
        out.push(',');
    }
    if let Some(depth) = indent {
        newline(out, depth + 1);
    }
}

fn close(out: &mut String, empty: bool, indent: Option<usize>, bracket: char) {
    if let (Some(depth), false) = (indent, empty) {
        newline(out, depth);
    }
    out.push(bracket);
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A JSON string: `"` and `\` escaped, control characters as `\b \t \n \f \r` or `\u00XX`
/// (lower-case hex), everything else as it is.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, byte) in s.bytes().enumerate() {
        let short = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x09 => b't',
            0x0A => b'n',
            0x0C => b'f',
            0x0D => b'r',
            0x00..=0x1F => b'u',
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push('\\');
        out.push(short as char);
        if short == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("00");
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 0xF)] as char);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// A float as serde_json writes it (`null` when not finite).
pub fn float_text(f: f64) -> String {
    let mut out = String::new();
    write_float(&mut out, f);
    out
}

/// The shortest digits that read back as `f`, laid out as serde_json (zmij) lays them out: as a
/// decimal when the exponent of the first digit is from -5 to 15 (`0.00001`, `0.1`, `1.0`,
/// `1000000000000000.0`), else in exponent form (`1e-6`, `1.5e+16`).
///
/// The digits are the standard library's shortest round-trip digits (`{:e}`). Where two digit
/// strings of that length are equally close to `f`, zmij takes the even one and the standard
/// library the one above; the exactly rounded digits (`{:.N$e}`, ties to even) settle it whenever
/// they also read back as `f`.
fn write_float(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    let mut sci = format!("{f:e}");
    let shortest_len = sci.bytes().take_while(|&b| b != b'e').filter(u8::is_ascii_digit).count();
    let exact = format!("{f:.*e}", shortest_len.saturating_sub(1));
    if exact != sci && crate::float::parse_f64(&exact) == Some(f) {
        sci = exact;
    }
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mantissa = match mantissa.strip_prefix('-') {
        Some(rest) => {
            out.push('-');
            rest
        }
        None => mantissa,
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let len = digits.len() as i32;
    if (-5..=15).contains(&exponent) {
        if exponent >= len - 1 {
            // 1234e7 -> 12340000000.0
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (exponent - (len - 1)) as usize));
            out.push_str(".0");
        } else if exponent >= 0 {
            // 1234e-2 -> 12.34
            let (whole, fraction) = digits.split_at(exponent as usize + 1);
            out.push_str(whole);
            out.push('.');
            out.push_str(fraction);
        } else {
            // 1234e-6 -> 0.001234
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        // 1234e30 -> 1.234e+33
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push_str(if exponent < 0 { "e-" } else { "e+" });
        out.push_str(&exponent.unsigned_abs().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{obj, Map};
    use crate::sim::rng::Rng;

    fn check_float(f: f64) {
        let expected = serde_json::to_string(&f).unwrap();
        assert_eq!(float_text(f), expected, "{f:e} (bits {:#018x})", f.to_bits());
    }

    /// Floats whose text is hard to get right: zeros, the ends of the range, subnormals, every power
    /// of ten and its neighbours (where the layout switches), whole numbers, short decimals, and
    /// values exactly halfway between two shortest candidates (ties, 2^52..2^54 with few fraction bits).
    fn edge_cases() -> Vec<f64> {
        let mut cases = vec![0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 1e-7, 1.5e300, f64::MAX, f64::MIN, f64::MIN_POSITIVE];
        let largest_subnormal = f64::from_bits(0x000F_FFFF_FFFF_FFFF);
        cases.extend([
            f64::EPSILON,
            5e-324,
            -5e-324,
            largest_subnormal,
            9_007_199_254_740_992.0,
            9_007_199_254_740_994.0,
        ]);
        for e in -325..=309 {
            let p: f64 = format!("1e{e}").parse().unwrap();
            for f in [p, p.next_up(), p.next_down(), 1.5 * p, 9.999999999999999 * p, 2.5 * p, 1.234e0 * p] {
                cases.extend([f, -f]);
            }
        }
        for bits in 0..2000u64 {
            cases.push(f64::from_bits(bits));
            cases.push(f64::from_bits(0x000F_FFFF_FFFF_FFFF - bits));
        }
        for i in 0..=2000 {
            cases.push(i as f64);
            cases.push(i as f64 / 8.0);
            cases.push(i as f64 / 100.0);
            cases.push((1u64 << 53) as f64 + (i as f64) * 2.0);
            cases.push(((1u64 << 52) as f64 + i as f64 + 0.5) * 0.25);
        }
        cases
    }

    #[test]
    fn floats_are_written_as_serde_json_writes_them() {
        for f in edge_cases() {
            check_float(f);
        }
        // Shown in the layout's own words.
        for (f, text) in
            [(1.0, "1.0"), (0.1, "0.1"), (1e-7, "1e-7"), (1.5e300, "1.5e+300"), (1e15, "1000000000000000.0")]
        {
            assert_eq!(float_text(f), text);
        }
        assert_eq!(float_text(f64::NAN), "null");
    }

    /// Random bit patterns (all magnitudes), random small mantissas at every exponent (ties), and
    /// random short decimals. `TOKENFLEET_FLOAT_CASES` raises the count (the release build runs
    /// millions in seconds: `cargo test --release -p tokenfleet-core floats_at_random`).
    #[test]
    fn floats_at_random_are_written_as_serde_json_writes_them() {
        let cases: u64 = std::env::var("TOKENFLEET_FLOAT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000);
        let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
        for _ in 0..cases {
            let f = f64::from_bits(rng.next_u64());
            if f.is_finite() {
                check_float(f);
            }
            let mantissa = (rng.next_u64() >> rng.below(64)) | 1;
            let f = mantissa as f64 * 2f64.powi(rng.below(2100) as i32 - 1100);
            if f.is_finite() {
                check_float(f);
            }
            let digits = 1 + rng.below(17) as u32;
            let decimal = format!("{}e{}", rng.below(10u64.pow(digits)), rng.below(60) as i64 - 30);
            check_float(decimal.parse().unwrap());
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all_controls: String = (0u8..0x20).map(char::from).collect();
        all_controls.push_str("\"\\/\u{7f}\u{80}é€😀\u{2028}");
        for s in ["", "plain", "a\"b", "back\\slash", "tab\there", "line\nbreak\r\n", &all_controls] {
            assert_eq!(Doc::Str(s.to_string()).to_json(), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn documents_are_written_as_serde_json_writes_them() {
        let mut labels = Map::new();
        labels.insert("x/y", "z".into());
        let doc = obj(vec![
            ("null", Doc::Null),
            ("yes", true.into()),
            ("ints", Doc::Seq(vec![Doc::Int(-1), Doc::Int(0), Doc::UInt(u64::MAX), Doc::Int(i64::MIN)])),
            ("floats", Doc::Seq(vec![Doc::Float(0.5), Doc::Float(-0.0), Doc::Float(1e300)])),
            ("empty", Doc::Seq(vec![])),
            ("none", Doc::Map(Map::new())),
            ("nested", Doc::Seq(vec![Doc::Seq(vec![]), obj(vec![("a", Doc::Seq(vec![Doc::Map(labels)]))])])),
        ]);
        let theirs = serde_json::to_value(&doc).unwrap();
        assert_eq!(doc.to_json(), serde_json::to_string(&theirs).unwrap());
        assert_eq!(doc.to_json_pretty(), serde_json::to_string_pretty(&theirs).unwrap());
        assert_eq!(Doc::Seq(vec![]).to_json_pretty(), "[]");
        assert_eq!(Doc::Int(3).to_json_pretty(), "3");
    }
}
