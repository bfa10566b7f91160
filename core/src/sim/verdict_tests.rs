use super::*;
use crate::{examples, place, plan};

fn example(name: &str) -> Plan {
    let text = examples::EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).unwrap();
    plan::parse_plan(text).unwrap()
}

fn day(plan: &Plan) -> DayCheck {
    judge_plan(plan, &PlanInputs::for_plan(plan), &DayOptions::default()).unwrap()
}

/// Every example, present and future, meets its own SLOs over its simulated day (the default profile,
/// five seeds) with autoscaling that does not flap, and its static bands agree.
#[test]
fn every_example_passes_its_own_day_without_flapping() {
    for (name, text) in examples::EXAMPLES {
        let plan = plan::parse_plan(text).unwrap();
        assert!(place::meets_slos(&place::evaluate(&plan)), "{name}: static bands miss");
        let check = day(&plan);
        assert_eq!(check.seeds, DEFAULT_SEEDS.to_vec());
        assert!(check.passes(), "{name}: {check:#?}");
        assert!(check.autoscaler_reversals_per_day <= MAX_REVERSALS_PER_DAY, "{name}: {check:#?}");
        assert!(check.reasons.is_empty(), "{name}");
    }
}

#[test]
fn queue_depth_alone_flaps_and_says_so() {
    let mut plan = example("spiky-spot-burst");
    let a = plan.spec.deployments[0].autoscaler.as_mut().unwrap();
    a.metrics.retain(|m| m.metric == plan::MetricKind::QueueDepth);
    a.behavior = None;
    let check = day(&plan);
    assert_eq!(check.verdict, Verdict::Fail);
    assert!(check.autoscaler_reversals_per_day > MAX_REVERSALS_PER_DAY, "{check:#?}");
    let flapping = check.reasons.iter().find(|r| r.cause == Cause::Flapping).expect("a flapping reason");
    assert!(flapping.message.contains("queue-depth signal reads zero"), "{}", flapping.message);
    // Ranked by what they cost.
    assert!(check.reasons.windows(2).all(|w| w[0].attainment_lost >= w[1].attainment_lost), "{:#?}", check.reasons);
}

#[test]
fn a_timeout_shorter_than_the_slo_drops_requests_and_is_named() {
    // The example as it was: queue depth alone (a queue of 16 per pod before it scales) behind the
    // ALB's default 60 s.
    let mut plan = example("batch-inferentia");
    plan.spec.workload.request_timeout_seconds = None;
    plan.spec.deployments[0].autoscaler.as_mut().unwrap().metrics.retain(|m| m.metric == plan::MetricKind::QueueDepth);
    let check = day(&plan);
    assert_eq!(check.verdict, Verdict::Fail, "{check:#?}");
    assert!(check.requests_dropped > 0);
    let r = check.reasons.iter().find(|r| r.cause == Cause::RequestTimeouts).expect("a timeout reason");
    assert!(r.message.contains("shorter than the 120 s SLO"), "{}", r.message);
}

#[test]
fn capacity_that_never_had_a_chance_is_named_with_its_cap() {
    let mut plan = example("quickstart");
    // Four replicas at most against a peak that needs several times more.
    plan.spec.workload.requests_per_second.peak *= 6.0;
    plan.spec.deployments[0].replicas.max = 4;
    let check = day(&plan);
    assert_eq!(check.verdict, Verdict::Fail);
    let causes: Vec<Cause> = check.reasons.iter().map(|r| r.cause).collect();
    // The two costliest: the cap, and the capacity it leaves even when all of it is ready all day.
    assert!(causes[..2].contains(&Cause::Capacity) && causes[..2].contains(&Cause::MaxReplicas), "{causes:?}");
}

#[test]
fn scale_up_lag_is_broken_into_its_parts() {
    let plan = example("spiky-spot-burst");
    let sc = crate::sim::from_plan(&plan, &PlanInputs::for_plan(&plan)).unwrap();
    let parts = lag_parts(&sc);
    let names: Vec<&str> = parts.iter().map(|p| p.part).collect();
    assert_eq!(names, ["batching", "launch", "boot", "device plugin", "image pull", "model load", "warm-up"]);
    assert!(parts.iter().all(|p| p.seconds > 0.0), "{parts:?}");
}

#[test]
fn a_search_stops_at_the_first_failing_seed() {
    let mut plan = example("spiky-spot-burst");
    plan.spec.deployments[0].replicas.max = 2;
    let options = DayOptions { explain: false, stop_at_first_failure: true, ..DayOptions::default() };
    let check = judge_plan(&plan, &PlanInputs::for_plan(&plan), &options).unwrap();
    assert_eq!((check.verdict, check.seeds.len(), check.reasons.len()), (Verdict::Fail, 1, 0));
}

/// The day simulates what the export applies: an autoscaler without `behavior` is written without
/// `spec.behavior` (the controller's older path), and no autoscaler writes no HPA (a fixed count).
#[test]
fn the_day_runs_what_the_export_applies() {
    use crate::sim::scenario::Autoscaler;
    let mut plan = example("quickstart");
    plan.spec.deployments[0].autoscaler.as_mut().unwrap().behavior = None;
    let sc = crate::sim::from_plan(&plan, &PlanInputs::for_plan(&plan)).unwrap();
    assert!(matches!(&sc.deployments[0].autoscaler, Autoscaler::Hpa(h) if h.without_behavior));
    assert!(!crate::manifest::render_stream(&plan).contains("behavior:"));
    plan.spec.deployments[0].autoscaler = None;
    let sc = crate::sim::from_plan(&plan, &PlanInputs::for_plan(&plan)).unwrap();
    assert_eq!(sc.deployments[0].autoscaler, Autoscaler::Fixed { replicas: plan.spec.deployments[0].replicas.min });
    let export = crate::manifest::render_stream(&plan);
    assert!(!export.contains("kind: HorizontalPodAutoscaler") && !export.contains("kind: ScaledObject"));
}

/// A trace longer than a day is judged whole (two days here: the second day's surge counts).
#[test]
fn a_trace_longer_than_a_day_is_judged_whole() {
    let mut plan = example("quickstart");
    let csv = "t_s,requests_per_s\n0,2\n100000,2\n172000,2\n".to_string();
    plan.spec.workload.trace = Some(plan::TraceRef::inline(csv));
    let check = day(&plan);
    assert_eq!((check.source, check.duration_s), ("trace", 172_800.0));
}
