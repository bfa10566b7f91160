//! Unit tests of the optimiser on small inputs (the integration tests cover plans and lint).

use super::*;
use crate::plan::parse_plan;

const QUICKSTART: &str = include_str!("../../../examples/quickstart.yaml");

#[test]
fn quickstart_recommendation_meets_its_slos() {
    let plan = parse_plan(QUICKSTART).unwrap();
    let r = recommend_plan(&plan).unwrap();
    assert!(r.candidates[0].recommended);
    assert!(r.slo_checks.iter().all(|c| c.meets_slos), "{:#?}", r.slo_checks);
    assert!(!r.front.is_empty());
    assert!(r.front.iter().any(|p| p.recommended));
    crate::plan::validate(&r.plan).is_empty().then_some(()).expect("valid plan");
}

#[test]
fn derived_classes_keep_the_mean() {
    let classes = derive_classes(1000.0, Some(4000.0), 200.0);
    assert_eq!(classes.len(), 2);
    let mean: f64 = classes.iter().map(|c| c.share * c.input_tokens as f64).sum();
    assert!((mean - 1000.0).abs() < 2.0, "{mean}");
    assert_eq!(derive_classes(1000.0, Some(1500.0), 200.0).len(), 1);
}

#[test]
fn applying_the_recommended_candidate_gives_the_recommended_plan() {
    let plan = parse_plan(QUICKSTART).unwrap();
    let r = recommend_plan(&plan).unwrap();
    assert_eq!(apply_candidate(&plan, &r.candidates[0]).unwrap(), r.plan);
    let other = r.candidates.iter().find(|c| !c.recommended).unwrap();
    let applied = apply_candidate(&plan, other).unwrap();
    assert!(crate::plan::validate(&applied).is_empty());
    assert_ne!(applied, r.plan);
}

/// Whatever `recommend` writes, the parser reads back: a peak that would need more replicas than a
/// plan holds yields a recommendation within the limit (a bigger configuration) or a clear error,
/// never a plan with `replicas.max` over 10 000 (which `plan` then refused).
#[test]
fn recommended_plans_are_valid_plans_even_at_absurd_peaks() {
    let base = crate::plan::parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    for peak in [1e3, 1e5, 1e6, 1e7] {
        let mut plan = base.clone();
        plan.spec.workload.requests_per_second.peak = peak;
        match crate::optimize::recommend_plan(&plan) {
            Ok(r) => {
                let text = r.plan.to_yaml();
                let read = crate::plan::parse_plan(&text);
                assert!(read.is_ok(), "peak {peak}: {:?}", read.err());
            }
            Err(e) => assert!(e.to_string().contains("replicas") || e.to_string().contains("SLO"), "peak {peak}: {e}"),
        }
    }
}
