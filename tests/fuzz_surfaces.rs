//! One function per input surface, shared by the fuzz targets (`fuzz/`, `make fuzz`) and the corpus
//! replay in `make test` (`tests/integration/fuzz_corpus.rs`). Each takes raw bytes, feeds them to the
//! surface the CLI and the app feed user input to, and panics only when an invariant breaks: what
//! Tokenfleet accepts it can export, what it writes it reads back, and no input panics.

use tokenfleet_core::finding::Severity;
use tokenfleet_core::manifest::{self, import};
use tokenfleet_core::perf::lines::answer_line;
use tokenfleet_core::{plan, share, sim};

/// A surface: raw input in, a panic when an invariant breaks.
pub type Surface = fn(&[u8]);

/// The surfaces, by the name of their fuzz target and corpus folder.
pub const SURFACES: [(&str, Surface); 6] = [
    ("plan", plan_text),
    ("import", kubernetes_yaml),
    ("trace", trace_csv),
    ("share", share_fragment),
    ("flags", cli_flags),
    ("estimate", estimate_lines),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// An accepted plan validates, exports without a panic, and reads back from its own YAML and JSON
/// as the same plan.
pub fn accepted_plan_round_trips(plan: &plan::Plan, label: &str) {
    assert!(plan::validate(plan).is_empty(), "{label}: an accepted plan does not validate");
    let _ = manifest::render(plan);
    let yaml = plan.to_yaml();
    let again = plan::parse_plan(&yaml).unwrap_or_else(|e| panic!("{label}: its own YAML is refused: {e}\n{yaml}"));
    assert_eq!(&again, plan, "{label}: YAML round trip changed the plan");
    let json = plan.to_json();
    let again = plan::parse_plan(&json).unwrap_or_else(|e| panic!("{label}: its own JSON is refused: {e}\n{json}"));
    assert_eq!(&again, plan, "{label}: JSON round trip changed the plan");
}

/// A plan file (YAML or JSON): refused with an error, or accepted and then round-tripped.
pub fn plan_text(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(plan) = plan::parse_plan(text) {
        accepted_plan_round_trips(&plan, "plan");
    }
}

/// Kubernetes YAML given to `import`: refused, or a plan; without an error finding that plan is one
/// the parser accepts.
pub fn kubernetes_yaml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(imported) = import::import_yaml("fuzz.yaml", text) else { return };
    if imported.findings.iter().any(|f| f.severity == Severity::Error) {
        return;
    }
    let errors = plan::validate(&imported.plan);
    assert!(errors.is_empty(), "import made a plan without an error finding that does not validate: {errors:?}");
    accepted_plan_round_trips(&imported.plan, "import");
}

/// A trace CSV: refused, or rows with finite, non-negative times, rates and token counts.
pub fn trace_csv(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(rows) = plan::trace::parse_trace_csv(text) {
        for row in rows {
            assert!(row.t_s.is_finite() && row.t_s >= 0.0, "trace row time {}", row.t_s);
            assert!(row.requests_per_s.is_finite() && row.requests_per_s >= 0.0, "rate {}", row.requests_per_s);
            for tokens in [row.input_tokens, row.output_tokens].into_iter().flatten() {
                assert!(tokens.is_finite() && tokens >= 0.0, "token count {tokens}");
            }
        }
    }
}

/// A share-link fragment or an autosave: refused, or a plan that round-trips through a new link.
pub fn share_fragment(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(plan) = share::decode_share(text) {
        accepted_plan_round_trips(&plan, "share link");
        let again = share::decode_share(&share::encode_share(&plan)).expect("its own link decodes");
        assert_eq!(again, plan, "share link round trip changed the plan");
    }
    if let Ok(plan) = share::decode_autosave(text) {
        accepted_plan_round_trips(&plan, "autosave");
    }
}

/// The values CLI flags carry (durations, profiles, node OS), split on newlines: refused, or a
/// finite, non-negative duration (the commands bound it further).
pub fn cli_flags(data: &[u8]) {
    let Some(text) = text(data) else { return };
    for line in text.lines() {
        if let Ok(seconds) = sim::parse_duration_s(line, "--duration") {
            assert!(seconds.is_finite() && seconds >= 0.0, "{line:?} → {seconds} s");
        }
        let _ = sim::Profile::parse(line);
    }
}

/// `tokenfleet estimate`'s JSON Lines: every line gets exactly one answer, a JSON object on one line
/// with the contract's fields, that carries the line's `id` when it has a string one; an answer
/// without an error has finite, non-negative figures.
pub fn estimate_lines(data: &[u8]) {
    let Some(text) = text(data) else { return };
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(64) {
        let out = answer_line(line);
        assert!(!out.contains('\n'), "{line:?}: the answer spans lines");
        let answer: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{line:?}: the answer is not JSON ({e}): {out}"));
        for key in ["id", "fits", "error", "ttft_ms", "tpot_ms", "e2e_latency_ms", "output_tokens_per_s"] {
            assert!(answer.get(key).is_some(), "{line:?}: the answer lacks {key}: {out}");
        }
        let input: Option<serde_json::Value> = serde_json::from_str(line).ok();
        if let Some(id @ serde_json::Value::String(_)) = input.as_ref().and_then(|v| v.get("id")) {
            assert_eq!(&answer["id"], id, "{line:?}: the answer's id");
        }
        if answer["error"].is_null() {
            for key in ["output_tokens_per_s", "total_tokens_per_s", "requests_per_s"] {
                let v = &answer[key];
                assert!(v.is_null() || v.as_f64().is_some_and(|x| x.is_finite() && x >= 0.0), "{line:?}: {key} {v}");
            }
            for key in ["ttft_ms", "tpot_ms", "e2e_latency_ms"] {
                for p in ["p50", "p90", "p99"] {
                    let v = &answer[key][p];
                    assert!(v.is_null() || v.as_f64().is_some_and(|x| x >= 0.0), "{line:?}: {key}.{p} {v}");
                }
            }
        }
    }
}
