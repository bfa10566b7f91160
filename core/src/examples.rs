//! The example plans shipped in `examples/`, embedded so the app and tests can load them offline.

/// (file stem, YAML text) of every example plan, in display order.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("quickstart", include_str!("../../examples/quickstart.yaml")),
    ("stable-reserved", include_str!("../../examples/stable-reserved.yaml")),
    ("spiky-spot-burst", include_str!("../../examples/spiky-spot-burst.yaml")),
    ("latency-critical-p5", include_str!("../../examples/latency-critical-p5.yaml")),
    ("batch-inferentia", include_str!("../../examples/batch-inferentia.yaml")),
    ("disaggregated", include_str!("../../examples/disaggregated.yaml")),
    ("moe-gpt-oss", include_str!("../../examples/moe-gpt-oss.yaml")),
    ("mig-small-models", include_str!("../../examples/mig-small-models.yaml")),
];

/// The plan the app opens with.
pub const DEFAULT_EXAMPLE: &str = "quickstart";

/// The YAML text of an example by file stem.
pub fn example(name: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_parses_and_places() {
        for (name, text) in EXAMPLES {
            let plan = crate::plan::parse_plan(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let outcome = crate::place::evaluate(&plan);
            assert!(outcome.unplaced.is_empty(), "{name}: {:?}", outcome.unplaced);
            assert!(outcome.summary.cost_usd_per_hour > 0.0, "{name}");
        }
    }
}
