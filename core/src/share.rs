//! Share links and autosave: a Plan packed into a short, versioned, URL-safe text and back.
//!
//! Format: a version tag, a dot, then URL-safe base64 (no padding) of the raw-deflated JSON of the
//! plan. Share links carry it after `#plan=` in the URL fragment; autosave keeps it in browser storage
//! behind its own tag. Decoding never panics: tampered, truncated or oversized input becomes a
//! [`ShareError`] that says what was wrong, and the inflated text is limited to
//! [`crate::plan::MAX_INPUT_BYTES`] before it is parsed and validated like any other plan.

use std::fmt;

use crate::plan::{self, Plan, MAX_INPUT_BYTES};

/// Version tag of share links (`#plan=1.…`).
pub const SHARE_VERSION: &str = "1";
/// Version tag of autosaved plans in browser storage.
pub const AUTOSAVE_VERSION: &str = "tf-autosave-1";
/// The URL fragment key of a share link.
pub const FRAGMENT_KEY: &str = "plan=";
/// The URL fragment key of the plan a share link compares with (`#plan=1.…&compare=1.…`). Links
/// without it open as before; older Tokenfleets ignore it.
pub const COMPARE_KEY: &str = "compare=";
/// Share links longer than this many characters still open in browsers (Chromium takes URLs of up
/// to 2 MB) but may be cut by chat and mail tools; the app says so next to the link. A plan with a
/// day-long trace at one row a minute makes a link of 10 000–20 000 characters; the longest inline
/// trace (256 KiB) about 130 000.
pub const SHARE_LINK_WARN_CHARS: usize = 32_000;

/// Why a share link or an autosave could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum ShareError {
    /// The text has no known version tag (it is from a newer Tokenfleet, or not a share link at all).
    UnknownVersion(String),
    /// A character outside URL-safe base64, or a length base64 cannot have.
    NotBase64 { position: usize },
    /// The compressed data is corrupt or truncated.
    Corrupt,
    /// The inflated plan is larger than plans may be.
    TooLarge,
    /// The inflated bytes are not UTF-8 text.
    NotText,
    /// The text is a plan with a mistake.
    Plan(plan::PlanError),
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareError::UnknownVersion(tag) => write!(
                f,
                "unknown format {tag:?}: expected a Tokenfleet link starting with {SHARE_VERSION:?}; ask for a new link"
            ),
            ShareError::NotBase64 { position } => {
                write!(f, "the link is damaged at character {position}: copy the whole link again")
            }
            ShareError::Corrupt => f.write_str("the link's data is corrupt or cut short: copy the whole link again"),
            ShareError::TooLarge => write!(f, "the plan in the link is larger than {MAX_INPUT_BYTES} bytes"),
            ShareError::NotText => f.write_str("the link's data is not text: copy the whole link again"),
            ShareError::Plan(e) => write!(f, "the plan in the link has a mistake: {e}"),
        }
    }
}

impl std::error::Error for ShareError {}

/// The share text of a plan (`1.<base64>`), without the `#plan=` prefix.
pub fn encode_share(plan: &Plan) -> String {
    pack(SHARE_VERSION, plan)
}

/// The URL fragment (`#plan=1.…`) of a share link for a plan.
pub fn share_fragment(plan: &Plan) -> String {
    format!("#{FRAGMENT_KEY}{}", encode_share(plan))
}

/// The URL fragment of a share link for `plan` compared with `compare` (the plan pinned as A).
pub fn share_fragment_with_compare(plan: &Plan, compare: Option<&Plan>) -> String {
    let mut fragment = share_fragment(plan);
    if let Some(a) = compare {
        fragment.push('&');
        fragment.push_str(COMPARE_KEY);
        fragment.push_str(&encode_share(a));
    }
    fragment
}

/// The plan a share link compares with, if it carries one (`&compare=…` in its fragment).
pub fn decode_compare(text: &str) -> Option<Result<Plan, ShareError>> {
    let fragment = &text[text.find('#').unwrap_or(0)..];
    let start = fragment.find(&format!("&{COMPARE_KEY}")).map(|i| i + 1 + COMPARE_KEY.len())?;
    let payload = fragment[start..].split('&').next().unwrap_or_default().trim();
    Some(unpack(SHARE_VERSION, payload))
}

/// Reads a share link: the whole URL, its fragment (`#plan=…`), or the bare share text.
pub fn decode_share(text: &str) -> Result<Plan, ShareError> {
    let text = text.trim();
    let payload = match text.find(FRAGMENT_KEY) {
        Some(i) => &text[i + FRAGMENT_KEY.len()..],
        None => text.trim_start_matches('#'),
    };
    // Anything after the payload in the fragment (`&x=…`) is not ours.
    let payload = payload.split('&').next().unwrap_or_default();
    unpack(SHARE_VERSION, payload)
}

/// Whether a URL fragment carries a share link at all (so a bad one can be reported rather than ignored).
pub fn has_share_fragment(fragment: &str) -> bool {
    fragment.trim_start_matches('#').starts_with(FRAGMENT_KEY)
}

/// The autosave text of a plan.
pub fn encode_autosave(plan: &Plan) -> String {
    pack(AUTOSAVE_VERSION, plan)
}

/// Reads an autosave written by [`encode_autosave`].
pub fn decode_autosave(text: &str) -> Result<Plan, ShareError> {
    unpack(AUTOSAVE_VERSION, text.trim())
}

fn pack(tag: &str, plan: &Plan) -> String {
    // Through a document (`Plan::to_json`): the Plan's writers are the ones `to_yaml` uses too.
    let json = plan.to_json();
    let deflated = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
    let mut out = String::with_capacity(tag.len() + 1 + deflated.len() * 4 / 3 + 4);
    out.push_str(tag);
    out.push('.');
    base64url_encode(&deflated, &mut out);
    out
}

fn unpack(tag: &str, text: &str) -> Result<Plan, ShareError> {
    let Some((found, body)) = text.split_once('.') else {
        return Err(ShareError::UnknownVersion(text.chars().take(16).collect()));
    };
    if found != tag {
        return Err(ShareError::UnknownVersion(found.chars().take(16).collect()));
    }
    // Deflate rarely compresses plans below a tenth of their size, so bigger input cannot be a plan.
    if body.len() > MAX_INPUT_BYTES {
        return Err(ShareError::TooLarge);
    }
    let deflated = base64url_decode(body)?;
    let inflated =
        miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, MAX_INPUT_BYTES).map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ShareError::TooLarge,
            _ => ShareError::Corrupt,
        })?;
    let text = String::from_utf8(inflated).map_err(|_| ShareError::NotText)?;
    plan::parse_plan(&text).map_err(ShareError::Plan)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 without padding (RFC 4648 §5).
pub fn base64url_encode(bytes: &[u8], out: &mut String) {
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let digits = chunk.len() + 1;
        for i in 0..digits {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
}

/// Decodes URL-safe base64; padding `=` is accepted and ignored, anything else outside the alphabet is an error.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, ShareError> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return Err(ShareError::NotBase64 { position: text.len() });
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (position, byte) in text.bytes().enumerate() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return Err(ShareError::NotBase64 { position }),
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    fn quickstart() -> Plan {
        plan::parse_plan(crate::examples::example("quickstart").unwrap()).unwrap()
    }

    #[test]
    fn a_link_with_a_compared_plan_opens_both_and_old_links_none() {
        let b = quickstart();
        let mut a = b.clone();
        a.metadata.name = "pinned".into();
        let url = format!("https://example.test/app/{}", share_fragment_with_compare(&b, Some(&a)));
        assert_eq!(decode_share(&url).unwrap(), b);
        assert_eq!(decode_compare(&url).unwrap().unwrap(), a);
        assert!(decode_compare(&share_fragment(&b)).is_none());
        assert_eq!(share_fragment_with_compare(&b, None), share_fragment(&b));
        // A damaged compared plan is an error of its own; the plan still opens.
        let damaged = format!("{}&{COMPARE_KEY}1.@@", share_fragment(&b));
        assert_eq!(decode_share(&damaged).unwrap(), b);
        assert!(matches!(decode_compare(&damaged), Some(Err(ShareError::NotBase64 { .. }))));
    }

    #[test]
    fn share_round_trip_gives_the_same_plan() {
        for (name, text) in crate::examples::EXAMPLES {
            let plan = plan::parse_plan(text).unwrap();
            let link = encode_share(&plan);
            assert!(link.starts_with("1."), "{name}: {link}");
            assert!(link.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{name}: {link}");
            assert_eq!(decode_share(&link).unwrap(), plan, "{name}");
            assert_eq!(decode_share(&format!("https://x.invalid/app/{}", share_fragment(&plan))).unwrap(), plan);
            assert_eq!(decode_autosave(&encode_autosave(&plan)).unwrap(), plan, "{name}");
        }
    }

    /// Links carry JSON, read back by the YAML parser (JSON is YAML's flow style): text that JSON
    /// writes unescaped but YAML treats specially must come back unchanged.
    #[test]
    fn links_keep_any_text() {
        let mut plan = quickstart();
        let texts = [
            "\u{7f} DEL, \u{80}\u{9f} C1, \u{85} NEL, \u{2028}\u{2029} separators, \u{feff} BOM, \u{fffe}\u{ffff}",
            "tab\there, cr\r\nlf, nul\u{0}, bell\u{7}, esc\u{1b}, quote\" backslash\\ slash/ and \u{1F600}",
            "yes",
            "~",
            "- a: b",
            "&a *a !t |x >y #z %w @v `u",
            "  edge spaces  ",
            "",
        ];
        let long = "x".repeat(3000) + &" y".repeat(1500);
        for text in texts.iter().copied().chain([long.as_str()]) {
            plan.metadata.description = Some(text.to_string());
            assert_eq!(decode_share(&encode_share(&plan)).unwrap(), plan, "{text:?}");
            assert_eq!(decode_autosave(&encode_autosave(&plan)).unwrap(), plan, "{text:?}");
            assert_eq!(plan::parse_plan(&plan.to_yaml()).unwrap(), plan, "{text:?}");
        }
    }

    #[test]
    fn a_day_long_trace_travels_in_share_links_and_autosave() {
        let mut plan = quickstart();
        let csv = crate::plan::trace::tests::day_csv();
        assert_eq!(csv.lines().count(), 1441);
        plan.spec.workload.trace = Some(crate::plan::TraceRef::inline(csv.clone()));
        let link = share_fragment(&plan);
        assert_eq!(decode_share(&link).unwrap(), plan);
        assert_eq!(decode_autosave(&encode_autosave(&plan)).unwrap(), plan);
        // Measured (printed with `--nocapture`): about 10 000 characters; the app warns above
        // SHARE_LINK_WARN_CHARS.
        println!(
            "share link with a 1440-row trace: {} characters (CSV {} bytes; plan without it {} characters)",
            link.len(),
            csv.len(),
            share_fragment(&quickstart()).len()
        );
        assert!(link.len() < SHARE_LINK_WARN_CHARS, "{} characters", link.len());
    }

    #[test]
    fn share_links_are_short() {
        let plan = quickstart();
        let json = serde_json::to_string(&plan).unwrap();
        assert!(encode_share(&plan).len() < json.len(), "{} vs {}", encode_share(&plan).len(), json.len());
    }

    #[test]
    fn base64_round_trips_every_length() {
        let mut rng = Rng::new(7);
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            let mut text = String::new();
            base64url_encode(&bytes, &mut text);
            assert_eq!(base64url_decode(&text).unwrap(), bytes, "length {len}");
        }
    }

    #[test]
    fn wrong_versions_and_kinds_are_refused_with_a_reason() {
        let plan = quickstart();
        let autosave = encode_autosave(&plan);
        assert!(matches!(decode_share(&autosave), Err(ShareError::UnknownVersion(_))));
        assert!(matches!(decode_autosave(&encode_share(&plan)), Err(ShareError::UnknownVersion(_))));
        assert!(matches!(decode_share(""), Err(ShareError::UnknownVersion(_))));
        assert!(matches!(decode_share("2.abc"), Err(ShareError::UnknownVersion(_))));
        assert!(matches!(decode_share("1.a!b"), Err(ShareError::NotBase64 { position: 1 })));
        assert!(matches!(decode_share("1.AAAA"), Err(ShareError::Corrupt)));
        assert!(decode_share("1.%%%").unwrap_err().to_string().contains("damaged"));
    }

    #[test]
    fn a_valid_deflate_of_a_bad_plan_is_a_plan_error() {
        let mut link = String::from("1.");
        base64url_encode(&miniz_oxide::deflate::compress_to_vec(b"kind: Plan\n", 6), &mut link);
        assert!(matches!(decode_share(&link), Err(ShareError::Plan(_))));
        let mut link = String::from("1.");
        base64url_encode(&miniz_oxide::deflate::compress_to_vec(&[0xff, 0xfe, 0x00], 6), &mut link);
        assert_eq!(decode_share(&link), Err(ShareError::NotText));
    }

    #[test]
    fn a_deflate_bomb_is_refused_before_it_is_inflated_in_full() {
        let zeros = vec![b' '; MAX_INPUT_BYTES + 10];
        let mut link = String::from("1.");
        base64url_encode(&miniz_oxide::deflate::compress_to_vec(&zeros, 9), &mut link);
        assert_eq!(decode_share(&link), Err(ShareError::TooLarge));
    }

    #[test]
    fn mutated_links_never_panic() {
        let good = encode_share(&quickstart());
        let mut rng = Rng::new(0x5eed);
        let alphabet: Vec<char> = "ABCXYZabcxyz0189-_=.#&%!é\u{0}".chars().collect();
        for _ in 0..3000 {
            let mut chars: Vec<char> = good.chars().collect();
            for _ in 0..1 + rng.index(4) {
                let i = rng.index(chars.len());
                match rng.index(4) {
                    0 => chars[i] = alphabet[rng.index(alphabet.len())],
                    1 => {
                        chars.remove(i);
                    }
                    2 => chars.insert(i, alphabet[rng.index(alphabet.len())]),
                    _ => chars.truncate(i),
                }
                if chars.is_empty() {
                    break;
                }
            }
            let text: String = chars.into_iter().collect();
            // Either a plan or an error; a plan that decodes is a valid plan.
            if let Ok(plan) = decode_share(&text) {
                assert!(plan::validate(&plan).is_empty());
            }
            let _ = decode_autosave(&text);
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng::new(42);
        for _ in 0..3000 {
            let len = rng.index(300);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            let mut link = String::from("1.");
            base64url_encode(&bytes, &mut link);
            let _ = decode_share(&link);
            let raw: String = bytes.iter().map(|&b| b as char).collect();
            let _ = decode_share(&raw);
            let _ = decode_autosave(&raw);
        }
    }

    #[test]
    fn mutated_deflate_streams_never_panic() {
        let plan = quickstart();
        let json = serde_json::to_string(&plan).unwrap();
        let deflated = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
        let mut rng = Rng::new(99);
        for _ in 0..2000 {
            let mut bytes = deflated.clone();
            let i = rng.index(bytes.len());
            bytes[i] ^= 1 << rng.index(8);
            let mut link = String::from("1.");
            base64url_encode(&bytes, &mut link);
            let _ = decode_share(&link);
        }
    }
}
