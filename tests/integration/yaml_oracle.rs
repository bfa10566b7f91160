//! Tokenfleet's YAML parser and emitter (core/src/yaml) against serde-saphyr, the library they
//! replaced: on every YAML file of the repository (and of ../shared/reference when present), on
//! generated plans and manifests, and on mutated documents, both must read the same located trees and
//! write the same bytes. A disagreement is printed with the smallest input that shows it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{json, Map, Value as Json};
use tokenfleet_core::yaml::{self, Node, Value};
use tokenfleet_core::{doc, examples::EXAMPLES, manifest, plan};

use crate::generate::{self, Rng};

/// The tree as core read it before (plan/tree.rs on serde-saphyr with `Spanned`), kept as the oracle.
mod old {
    use super::*;
    use serde_saphyr::Spanned;

    pub struct Located(pub Node);

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

    pub struct Plain(pub Value);

    struct ValueVisitor;

    fn wide(v: i128) -> Value {
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
            Ok(Plain(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64))))
        }
        fn visit_i128<E: de::Error>(self, v: i128) -> Result<Plain, E> {
            Ok(Plain(wide(v)))
        }
        fn visit_u128<E: de::Error>(self, v: u128) -> Result<Plain, E> {
            Ok(Plain(i64::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64))))
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
                entries.retain(|(k, _)| *k != key);
                entries.push((key, value));
            }
            Ok(Plain(Value::Map(entries)))
        }
    }

    impl<'de> Deserialize<'de> for Plain {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(ValueVisitor)
        }
    }

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

    pub fn options() -> serde_saphyr::Options {
        let mut budget = serde_saphyr::Budget::default();
        budget.max_depth = yaml::MAX_DEPTH;
        budget.flow_nesting_limit = yaml::MAX_DEPTH;
        let mut options = serde_saphyr::Options::default();
        options.budget = Some(budget);
        options
    }

    pub fn document(text: &str) -> Result<Node, (u64, u64, String)> {
        serde_saphyr::from_str_with_options::<Located>(text, options()).map(|l| l.0).map_err(error)
    }

    pub fn stream(text: &str) -> Result<Vec<Node>, (u64, u64, String)> {
        let docs: Vec<Option<Located>> =
            serde_saphyr::from_multiple_with_options::<Option<Located>>(text, options()).map_err(error)?;
        Ok(docs.into_iter().flatten().map(|l| l.0).filter(|n| n.value != Value::Null).collect())
    }

    fn error(e: serde_saphyr::Error) -> (u64, u64, String) {
        let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or_default();
        (line, column, e.without_snippet().to_string())
    }
}

/// What reading `text` gives, old and new, as comparable text.
#[derive(Debug, PartialEq)]
enum Outcome {
    Tree(String),
    Error,
}

fn outcome<T: fmt::Debug, E>(result: Result<T, E>) -> Outcome {
    match result {
        Ok(tree) => Outcome::Tree(format!("{tree:?}")),
        Err(_) => Outcome::Error,
    }
}

/// Where the old and the new reader disagree on `text`, if they do.
fn disagreement(text: &str) -> Option<String> {
    let pairs = [
        ("document", outcome(old::document(text)), outcome(yaml::parse_document(text))),
        ("stream", outcome(old::stream(text)), outcome(yaml::parse_stream(text))),
    ];
    for (what, old, new) in pairs {
        if old != new {
            let old_error = old::stream(text).err().or_else(|| old::document(text).err());
            let new_error = yaml::parse_stream(text).err().or_else(|| yaml::parse_document(text).err());
            return Some(format!("{what} of {text:?}:\n old: {old:?} {old_error:?}\n new: {new:?} {new_error:?}"));
        }
    }
    None
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if !path.ends_with("node_modules") {
                yaml_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn corpus() -> Vec<(String, String)> {
    let root = tokenfleet_tests::repo_root();
    let mut paths = Vec::new();
    yaml_files(&root.join("examples"), &mut paths);
    yaml_files(&root.join("tests"), &mut paths);
    if let Some(reference) = tokenfleet_tests::shared_reference() {
        yaml_files(&reference, &mut paths);
    } else {
        eprintln!("yaml_oracle: ../shared/reference is absent; its schemas are not in the corpus");
    }
    paths
        .into_iter()
        .map(|p| {
            (p.display().to_string(), std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        })
        .collect()
}

#[test]
fn every_yaml_file_reads_as_the_yaml_library_read_it() {
    let corpus = corpus();
    assert!(corpus.len() >= 20, "the corpus is too small: {}", corpus.len());
    for (name, text) in &corpus {
        assert!(old::stream(text).is_ok(), "{name} is not YAML to the old reader either");
        if let Some(diff) = disagreement(text) {
            panic!("{name}: {diff}");
        }
    }
}

#[test]
fn generated_plans_and_manifests_read_as_the_yaml_library_read_them() {
    // 100 plans, each as YAML, as a manifest stream and as JSON: 300 documents.
    for seed in 0..100 {
        let plan = generate::plan(seed);
        for text in [plan.to_yaml(), manifest::render_stream(&plan), serde_json::to_string(&plan).unwrap()] {
            assert!(disagreement(&text).is_none(), "seed {seed}: {}", disagreement(&text).unwrap());
        }
    }
}

/// YAML that exercises what plans and manifests rarely do: every scalar form, tags, anchors, merges,
/// duplicate keys, several documents, and mistakes.
const EDGE_CASES: &[&str] = &[
    "",
    "---",
    "---\n...\n",
    "# only a comment\n",
    "a: 1\n---\n",
    "a: 1\n...\n",
    "a: 1\n---\nb: 2\n",
    "---\na: 1\n---\n---\nb: 2\n",
    "a: 1\na: 2\n",
    "1: a\n\"1\": b\n",
    "0x1: a\n1: b\n",
    "yes: a\ntrue: b\n",
    "y: a\nn: b\n",
    "~: a\nnull: b\n",
    "x: yes\ny: No\nz: ~\nw:\nv: null\nu: 0x1F\nt: 0o17\ns: 017\nr: 1e3\nq: \"1\"\np: !!str 12\no: 1_000\nn: +12\nm: -0\nl: .5\nk: 1.\n",
    "a: 0X1F\nb: 0b101\nc: -0x1F\nd: 1_0.5\ne: 123456789012345678901234567890\nf: -123456789012345678901234567890\ng: 18446744073709551615\nh: 9223372036854775808\n",
    "a: .inf\n",
    "a: -.Inf\n",
    "a: .NaN\n",
    "a: +.nan\nb: -.nan\n",
    "a: 1e999\n",
    "a: inf\nb: nan\nc: infinity\n",
    "a: ON\nb: oFf\nc: Y\nd: n\ne: TRUE\nf: False\n",
    "a: |\n  hello\n  world\nb: >\n  folded\n  text\nc: 'single'\nd: \"dou\\tble\"\n",
    "a: |-\n  x\nb: |+\n  y\n\nc: >-\n  z\n",
    "a: &x {b: 1, c: [1, 2]}\nd: *x\n",
    "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n",
    "m:\n  <<: {x: 1, y: [1, 2]}\n  z: 3\n",
    "b: &b\n  x: 1\n  y:\n    - 1\n    - k: v\nm:\n  <<: *b\n  q: 1\n",
    "a: &a {x: 1}\nb: &b {y: 2}\nm:\n  <<: [*a, *b]\n",
    "a: &a {x: 1}\nm:\n  <<: [*a, {z: [3]}]\n",
    "a: &a {x: 1, k: 1}\nb: &b {x: 2, j: 2}\nm:\n  <<: [*a, *b]\n  x: 0\n",
    "a: &a [ {x: 1} ]\nb: *a\n",
    "a: &a [ {x: 1}, {y: 2} ]\nm:\n  <<: *a\n",
    "a: &a {x: &x 1, y: *x}\nb: *a\n",
    "a: &k key\n*k : v\n",
    "base: &base {p: 1}\nmid: &mid\n  <<: *base\n  q: 2\ntop:\n  <<: *mid\n  r: 3\n",
    "<<: {a: 1}\n",
    "m:\n  <<: 3\n",
    "m:\n  <<: ~\n  a: 1\n",
    "m:\n  <<: [{a: 1}, 2]\n",
    "\"<<\": {a: 1}\n",
    "!!merge <<: {a: 1}\nb: 2\n",
    "a: &a [1, *a]\n",
    "a: *nope\n",
    "a: !!int \"12\"\nb: !!float 3\nc: !!bool yes\nd: !!null x\ne: !foo 12\nf: ! 12\ng: !!binary aGVsbG8=\nh: !int 7\ni: !!str\nj: \"null\"\n",
    "a: !!int -12\nb: !!int 0x10\nc: !!float .inf\n",
    "a: !!int x\n",
    "a: !!bool maybe\n",
    "a: !!map x\n",
    "a: !!seq {b: 1}\n",
    "a: !!str [1]\n",
    "a: !!timestamp 2020-01-01\n",
    "a: !degrees 90\n",
    "a: !!binary not-base64\n",
    "a: !custom {b: 1}\nc: !custom [1]\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!thing 1\n",
    "%YAML 1.2\n---\na: 1\n",
    "? [a, b]\n: 1\n? {c: d}\n: 2\n",
    "? [a, b]\n: 1\n? [a, b]\n: 2\n",
    "{\"a\":1,\"b\":\"x\\/y\",\"c\":[true,null,1.5,\"\\u00e9\\n\"]}",
    "{\"a\": {\"b\": {\"c\": []}}, \"d\": {}}",
    "[1, [2, [3, [4]]]]",
    "- - 1\n  - 2\n- - 3\n",
    "- a: 1\n  b:\n  - x\n  - y\n",
    "key: \"unterminated\n",
    "  a: 1\n b: 2\n",
    "[1, 2\n",
    "a:\n  - b\n  c: d\n",
    "kind: NodePool\nspec: [\n",
    "a: b: c\n",
    "a:\tb\n",
    "\ta: 1\n",
    "a: 'it''s'\n",
    "a: \"\\x41\\u263A\\U0001F600\"\n",
    "a: @x\n",
    "a: `x\n",
    "- ? a\n  : b\n",
    "a:\n  b:\n    c:\n      d: [e, {f: g}]\n",
    "\u{feff}a: 1\n",
    "a: b # comment\n# trailing\n",
    "a: \"multi\n  line\"\n",
    "a: plain\n  continued\n",
    "a: -\n",
    "- -\n",
    "a: [-, ~, '']\n",
    ": x\n",
    "? \n: x\n",
];

#[test]
fn edge_cases_read_as_the_yaml_library_read_them() {
    let failures: Vec<String> = EDGE_CASES.iter().filter_map(|text| disagreement(text)).collect();
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
}

/// Nesting and size limits hold as before (the same documents are refused).
#[test]
fn limits_refuse_what_they_refused() {
    let deep = |n: usize, open: &str, close: &str| format!("{}1{}", open.repeat(n), close.repeat(n));
    let block =
        |n: usize| (0..n).map(|i| format!("{}k:\n", "  ".repeat(i))).collect::<String>() + &"  ".repeat(n) + "v\n";
    let mut texts = vec![
        deep(40, "[", "]"),
        deep(41, "[", "]"),
        deep(40, "{a: ", "}"),
        deep(41, "{a: ", "}"),
        block(39),
        block(40),
        block(41),
    ];
    // Alias bombs: each level doubles the nodes.
    let mut bomb = String::from("a0: &a0 [x, x]\n");
    for i in 1..20 {
        bomb.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
    }
    texts.push(bomb);
    // Many aliases of one anchor.
    texts.push(format!("a: &a 1\nb: [{}]\n", vec!["*a"; 150].join(", ")));
    texts.push(format!("a: &a 1\nb: [{}]\n", vec!["*a"; 99].join(", ")));
    // Many documents.
    texts.push("---\na: 1\n".repeat(1100));
    for text in &texts {
        assert_eq!(
            outcome(old::stream(text)),
            outcome(yaml::parse_stream(text)),
            "{}…: old {:?}, new {:?}",
            &text[..text.len().min(60)],
            old::stream(text).err(),
            yaml::parse_stream(text).err()
        );
    }
}

/// Small random edits of real documents: both readers agree on whether the result is YAML, and on
/// its tree when it is.
#[test]
fn mutated_documents_read_as_the_yaml_library_read_them() {
    const PIECES: &[&str] = &[
        ":", ": ", "-", "- ", "&a ", "*a", "<<: ", "!!str ", "!!int ", "{", "}", "[", "]", ",", "'", "\"", "\n", "  ",
        "\t", "#", " #", "---\n", "...\n", "yes", "0x1F", "~", ".inf", "1e999", "|\n", ">-\n", "? ", "%", "@", "\\",
    ];
    check_mutations(PIECES, 2024, 1000);
}

/// The same with rarer constructs, which the scanner must refuse or read as the library did:
/// directives, tag handles, block scalar headers, explicit keys, implicit flow mappings, escapes,
/// tabs after indicators, CR line ends, byte order marks and Unicode line separators.
#[test]
fn mutated_documents_with_rarer_constructs_read_as_the_yaml_library_read_them() {
    const PIECES: &[&str] = &[
        "%YAML 1.2\n",
        "%YAML 2.0\n---\n",
        "%TAG !e! tag:x,1:\n",
        "%FOO bar\n",
        "%",
        "!e!x ",
        "! ",
        "!!",
        "!<",
        "|2\n",
        ">+\n",
        "|-1\n",
        "? x\n: y\n",
        "?\t",
        "-\t",
        "\t- x",
        "[a: b]",
        "{a, b}",
        "\"k\":v",
        "'a'\n  b",
        "\\n",
        "\\x4",
        "\\u263A",
        "''",
        "&",
        "*",
        "&a\n",
        "*a\n",
        "\r\n",
        "\r",
        "\u{feff}",
        "\u{85}",
        "\u{2028}",
        "---",
        "...",
        " # c\n",
        ":",
        "- ",
        "\n",
    ];
    check_mutations(PIECES, 7, 500);
}

/// 3000 mutated documents from `pieces`: no disagreement, at least `min_errors` errors, and errors
/// placed where the library placed them. With two mistakes in one text, either may be reported
/// first: 1% may differ, and only where one of the two is a merge (`<<`) the tree refuses, which
/// the tree builder may see before or after the syntax error the library reads ahead to.
fn check_mutations(pieces: &[&str], seed: u64, min_errors: usize) {
    let sources: Vec<String> = EXAMPLES
        .iter()
        .map(|(_, text)| text.to_string())
        .chain(EDGE_CASES.iter().map(|t| t.to_string()))
        .chain(std::iter::once(manifest::render_stream(&generate::plan(7))))
        .collect();
    let rng = &mut Rng::new(seed);
    let mut failures = Vec::new();
    let (mut errors, mut elsewhere, mut unexplained) = (0, Vec::new(), Vec::new());
    for round in 0..3000 {
        let source = rng.pick(&sources);
        let text = generate::mutate_text(rng, source, pieces, 3);
        if let Some(diff) = disagreement(&text) {
            failures.push(format!("round {round}: {diff}"));
        }
        if let (Err(old), Err(new)) = (old::stream(&text), yaml::parse_stream(&text)) {
            errors += 1;
            if (old.0, old.1) != (new.line, new.column) {
                let merge = old.2.contains("merge") || new.message.contains("merge");
                let at = format!("{text:?}: old {old:?}, new {new}");
                if !merge {
                    unexplained.push(at.clone());
                }
                elsewhere.push(at);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(8)].join("\n")
    );
    assert!(errors > min_errors, "too few mutated texts are errors: {errors}");
    assert!(
        elsewhere.len() * 100 <= errors,
        "{} of {errors} errors are placed elsewhere:\n{}",
        elsewhere.len(),
        elsewhere.join("\n")
    );
    assert!(unexplained.is_empty(), "syntax errors placed elsewhere:\n{}", unexplained.join("\n"));
}

// ---- The emitter ----

fn old_yaml<T: serde::Serialize>(value: &T) -> String {
    serde_saphyr::to_string(value).unwrap()
}

#[test]
fn rendered_manifests_and_plans_are_written_as_the_yaml_library_wrote_them() {
    let plans = EXAMPLES.iter().map(|(_, text)| plan::parse_plan(text).unwrap()).chain((0..300).map(generate::plan));
    for plan in plans {
        for value in manifest::render_values(&plan) {
            assert_eq!(yaml::to_yaml(&value), old_yaml(&value), "{}", plan.metadata.name);
        }
        assert_eq!(plan.to_yaml(), old_yaml(&plan), "{}", plan.metadata.name);
    }
}

/// Strings built from pieces that need care in YAML: ones that read as other types, indicators,
/// comment starts, line breaks, control characters, long lines.
fn tricky_string(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "",
        " ",
        "a",
        "word",
        "yes",
        "No",
        "null",
        "~",
        "1",
        "0x1F",
        "1.5",
        "1e3",
        ".inf",
        "-",
        "- a",
        "? x",
        ":",
        "a: b",
        "a:b",
        "#",
        " #x",
        "x#y",
        "&a",
        "*a",
        "!t",
        "|",
        ">",
        "'",
        "\"",
        "%",
        "@",
        "`",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\n",
        "\n\n",
        "\t",
        "\r",
        "\u{7f}",
        "\u{85}",
        "\u{2028}",
        "\u{feff}",
        "\u{1b}",
        "é",
        "字",
        "😀",
        "---",
        "...",
        "<<",
        "=",
        "2001-12-14",
        "1:30",
        "0o17",
        "+12",
        "1_000",
        "  ",
        "\\",
    ];
    let mut s = String::new();
    for _ in 0..rng.below(5) {
        let piece: &&str = rng.pick(PIECES);
        s.push_str(piece);
    }
    if rng.chance(10) {
        let word = if rng.chance(50) { "lorem ipsum " } else { "x" };
        s.push_str(&word.repeat(1 + rng.below(30) as usize));
    }
    if rng.chance(5) {
        s = s.repeat(40);
    }
    s
}

fn random_value(rng: &mut Rng, depth: u32) -> Json {
    const FLOATS: &[f64] = &[0.0, -0.0, 1.5, 1e-7, 1e21, 123456789.0, 0.1, f64::MAX, 5e-324, -2.5e-300, 1e16, 1e15];
    match rng.below(if depth > 3 { 6 } else { 9 }) {
        0 => Json::Null,
        1 => Json::Bool(rng.chance(50)),
        2 => json!(rng.next() as i64 >> rng.below(64)),
        3 => json!(rng.next() >> rng.below(64)),
        4 => json!(rng.pick(FLOATS)),
        5 | 6 => Json::String(tricky_string(rng)),
        7 => Json::Array((0..rng.below(4)).map(|_| random_value(rng, depth + 1)).collect()),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert(tricky_string(rng), random_value(rng, depth + 1));
            }
            Json::Object(map)
        }
    }
}

/// A located tree as serde_json's value (positions dropped).
fn json_of(node: &Node) -> Json {
    serde_json::to_value(node.to_doc()).unwrap()
}

#[test]
fn random_values_are_written_as_the_yaml_library_wrote_them_and_read_back() {
    let rng = &mut Rng::new(99);
    for round in 0..5000 {
        let value = random_value(rng, 0);
        let doc = doc::to_doc(&value).unwrap();
        let text = yaml::to_yaml(&doc);
        assert_eq!(text, old_yaml(&value), "round {round}: {value}");
        // Core's JSON writer writes what serde_json writes.
        let (compact, pretty) = (serde_json::to_string(&value).unwrap(), serde_json::to_string_pretty(&value).unwrap());
        assert_eq!(doc.to_json(), compact, "round {round}");
        assert_eq!(doc.to_json_pretty(), pretty, "round {round}");
        let back = yaml::parse_document(&text).unwrap_or_else(|e| panic!("round {round}: {e}\n{text}"));
        if fits_the_tree(&value) {
            assert_eq!(json_of(&back), value, "round {round}: {text}");
            // As JSON text (compact, and pretty), the YAML reader reads what serde_json reads.
            for json in [compact, pretty] {
                let back = yaml::parse_document(&json).unwrap_or_else(|e| panic!("round {round}: {e}\n{json}"));
                assert_eq!(json_of(&back), value, "round {round}: {json}");
            }
        }
    }
}

/// Whether the tree holds the value as it is (integers beyond i64 become floats there).
fn fits_the_tree(value: &Json) -> bool {
    match value {
        Json::Number(n) => !n.is_u64() || n.as_i64().is_some(),
        Json::Array(items) => items.iter().all(fits_the_tree),
        Json::Object(map) => map.values().all(fits_the_tree),
        _ => true,
    }
}

/// JSON files read as YAML give the values serde_json reads.
#[test]
fn json_files_read_as_json() {
    let Some(reference) = tokenfleet_tests::shared_reference() else {
        eprintln!("json_files_read_as_json: ../shared/reference is absent; skipped");
        return;
    };
    let mut count = 0;
    for entry in std::fs::read_dir(reference.join("schemas")).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let expected: Json = serde_json::from_str(&text).unwrap();
            let tree = yaml::parse_document(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(json_of(&tree), expected, "{}", path.display());
            count += 1;
        }
    }
    assert!(count > 0);
}

/// Garbage never panics the reader.
#[test]
fn arbitrary_text_never_panics() {
    let rng = &mut Rng::new(5);
    let alphabet: Vec<char> = "ab:- \n\t[]{},&*!|>'\"#%@`?~.0123456789<\\\u{85}\u{feff}é😀".chars().collect();
    for _ in 0..5000 {
        let len = rng.below(80) as usize;
        let text: String = (0..len).map(|_| *rng.pick(&alphabet)).collect();
        let _ = yaml::parse_document(&text);
        let _ = yaml::parse_stream(&text);
        let _ = plan::parse_plan(&text);
    }
}
