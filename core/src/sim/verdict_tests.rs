use super::*;
use crate::catalog::CapacityType;
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

/// A Capacity Block that ends during the day (the day simulated is the day it ends): Karpenter drains
/// its nodes 40 minutes before the end, their replicas restart on the pool's on-demand capacity, and
/// the verdict names the cause. An ODCR that ends keeps its instances, as on-demand ones.
#[test]
fn a_capacity_block_that_ends_is_drained_forty_minutes_before_and_named() {
    use crate::sim::{from_plan, simulate, SimOptions};
    let mut plan = example("stable-reserved");
    let r = &mut plan.spec.node_classes[0].capacity_reservations[0];
    let count = r.count;
    r.kind = "capacity-block".to_string();
    r.end_time = Some("2026-12-10T15:00:00Z".to_string());
    let sc = from_plan(&plan, &PlanInputs::for_plan(&plan)).unwrap();
    assert_eq!(sc.pools[0].reservations[0].ends_at_s, Some(15.0 * 3600.0));
    let run = simulate(&sc, &SimOptions::default()).unwrap();
    assert_eq!(run.summary.capacity_block_drains, count);
    assert!(run.summary.findings.iter().any(|f| f.code == "SIM008"));
    let drain_s = 15.0 * 3600.0 - 2400.0;
    let ready = &run.series.replicas_ready;
    let at = |t: f64| run.series.t_s.iter().position(|x| *x >= t).unwrap();
    let before = ready[at(drain_s - 60.0)];
    assert!(ready[at(drain_s + 30.0)] < before, "the drained replicas are not ready at once: {before}");
    // Back within a cold start on a new on-demand node (launch, boot, pull, load, warm-up: < 10 min).
    assert!(ready[at(drain_s + 600.0)] >= before.min(4), "{:?}", &ready[at(drain_s)..at(drain_s + 600.0)]);

    // An ODCR that ends: nothing is drained and the day is the example's own.
    let mut odcr = example("stable-reserved");
    odcr.spec.node_classes[0].capacity_reservations[0].end_time = Some("2026-12-10T15:00:00Z".to_string());
    let sc = from_plan(&odcr, &PlanInputs::for_plan(&odcr)).unwrap();
    let run = simulate(&sc, &SimOptions::default()).unwrap();
    assert_eq!(run.summary.capacity_block_drains, 0);
    assert!(day(&odcr).passes());

    // A block drained before the day starts (it ends at 00:20) has no nodes at all.
    let mut gone = plan.clone();
    gone.spec.node_classes[0].capacity_reservations[0].end_time = Some("2026-12-10T00:20:00Z".to_string());
    let sc = from_plan(&gone, &PlanInputs::for_plan(&gone)).unwrap();
    let run = simulate(&sc, &SimOptions::default()).unwrap();
    assert_eq!(run.summary.capacity_block_drains, 0);
    // The run starts warm: the baseline is already on the pool's on-demand capacity.
    assert!(run.series.nodes[0] >= count, "{:?}", &run.series.nodes[..3]);
    assert_eq!(run.summary.capacity_block_drains, 0);

    let check = day(&plan);
    let reason = check.reasons.iter().find(|r| r.cause == Cause::CapacityBlockEnd);
    if check.verdict == Verdict::Fail {
        assert!(reason.is_some_and(|r| r.message.contains("40 minutes")), "{check:#?}");
    }
}

/// Placement says where the pods go once the reservations that end have ended.
#[test]
fn placement_shows_the_pools_after_the_reservations_end() {
    let mut plan = example("stable-reserved");
    assert!(place::evaluate(&plan).after_reservations_end.is_none());
    let r = &mut plan.spec.node_classes[0].capacity_reservations[0];
    r.kind = "capacity-block".to_string();
    r.end_time = Some("2026-12-10T15:00:00Z".to_string());
    let outcome = place::evaluate(&plan);
    let after = outcome.after_reservations_end.as_ref().expect("an after-end placement");
    assert_eq!(after.reservations, vec!["cr-0a1b2c3d4e5f60718 at 2026-12-10T15:00:00Z".to_string()]);
    let groups: Vec<_> = after.pools.iter().flat_map(|p| &p.nodes).collect();
    assert!(!groups.is_empty());
    assert!(groups.iter().all(|g| g.capacity_type != crate::catalog::CapacityType::Reserved), "{groups:#?}");
    assert_eq!(after.summary.nodes, outcome.summary.nodes);
    assert!(after.meets_slos);
    assert_eq!(after.summary.reserved_usd_per_hour, 0.0);
}

fn reserved_instances(count: u32, usd_per_hour: f64) -> plan::Commitment {
    plan::Commitment::reserved_instances("ri-g6e", "g6e.xlarge", count, usd_per_hour)
}

/// Savings Plans and Reserved Instances bill placement's hour and the simulated day by the same rules:
/// the same nodes run (billing changes no decision), each covered instance-hour costs the committed
/// rate instead of on-demand, and the fee is paid whether used or not.
#[test]
fn commitments_bill_placement_and_the_day_alike() {
    use crate::sim::{from_plan, simulate, SimOptions};
    let base = example("quickstart");
    let on_demand = base.price("g6e.xlarge", CapacityType::OnDemand).unwrap().usd_per_hour;
    let mut ri = base.clone();
    ri.spec.commitments = vec![reserved_instances(2, 1.2)];
    assert!(plan::validate(&ri).is_empty(), "{:?}", plan::validate(&ri));

    let (a, b) = (place::evaluate(&base), place::evaluate(&ri));
    let group = &b.pools[0].nodes[0];
    assert_eq!((group.instance_type.as_str(), group.count, group.committed), ("g6e.xlarge", 2, 2.0));
    let saved = 2.0 * (on_demand - 1.2);
    assert!((a.summary.cost_usd_per_hour - b.summary.cost_usd_per_hour - saved).abs() < 0.011, "{:?}", b.summary);
    let c = b.summary.commitments.as_ref().unwrap();
    assert_eq!((c.fees_usd_per_hour, c.unused_usd_per_hour), (2.4, 0.0));
    assert!((c.savings_usd_per_hour - saved).abs() < 0.011);
    assert_eq!(b.pools[0].cost_usd_per_hour, b.summary.cost_usd_per_hour);

    let run = |p: &Plan| simulate(&from_plan(p, &PlanInputs::for_plan(p)).unwrap(), &SimOptions::default()).unwrap();
    let (day_a, day_b) = (run(&base), run(&ri));
    assert_eq!(day_a.series.nodes, day_b.series.nodes, "billing changes no decision");
    let c = day_b.summary.commitments.as_ref().unwrap();
    assert!((c.fees_usd - 24.0 * 2.4).abs() < 0.01, "{c:?}");
    assert!((day_a.summary.cost_usd - day_b.summary.cost_usd - c.savings_usd).abs() < 0.01, "{c:?}");
    // The quickstart keeps at least its two replicas' nodes all day: the whole fee is used.
    assert!(c.unused_usd < 0.01 && (c.savings_usd - 24.0 * saved).abs() < 0.05, "{c:?}");
    assert!(day_a.summary.commitments.is_none());
    // The day's cost per pool adds up to the day's cost (nothing is unused here).
    let pools: f64 = day_b.series.pools.values().map(|p| *p.cost_usd_cumulative.last().unwrap()).sum();
    assert!((pools - day_b.summary.cost_usd).abs() < 0.05, "{pools} vs {}", day_b.summary.cost_usd);

    // Reserved Instances beyond the fleet are paid for nothing: the day costs more, and lint says so.
    let mut idle = base.clone();
    idle.spec.commitments = vec![reserved_instances(20, 1.2)];
    let day_idle = run(&idle);
    let c = day_idle.summary.commitments.as_ref().unwrap();
    assert!(c.savings_usd < 0.0 && c.unused_usd > 0.0, "{c:?}");
    assert!(day_idle.summary.cost_usd > day_a.summary.cost_usd);
}

/// A Savings Plan takes its rates from the overlay (its plan type, term and payment option); without
/// one it covers nothing and lint says why.
#[test]
fn a_savings_plan_covers_at_the_overlays_rate() {
    let mut plan = example("quickstart");
    plan.spec.commitments = vec![plan::Commitment::savings_plan("compute-1y", "Compute", 1, "No Upfront", 1.0)];
    assert!(plan::validate(&plan).is_empty(), "{:?}", plan::validate(&plan));
    let without = place::evaluate(&plan).summary;
    assert_eq!(without.commitments.as_ref().unwrap().unused_usd_per_hour, 1.0);

    let overlay = "date: 2026-12-01\nsources: []\nentries:\n  g6e.xlarge:\n    us-east-1:\n      savingsPlans:\n        - {planType: Compute, termYears: 1, paymentOption: No Upfront, usdPerHour: 1.25}\n        - {planType: Compute, termYears: 3, paymentOption: No Upfront, usdPerHour: 0.9}\n";
    plan.spec.prices = Some(crate::catalog::PriceOverlay::from_text("o.yaml", overlay).unwrap());
    let with = place::evaluate(&plan).summary;
    let c = with.commitments.as_ref().unwrap();
    // $1/h at $1.25 covers 0.8 of an instance-hour worth 0.8 × on-demand.
    let on_demand = plan.price("g6e.xlarge", CapacityType::OnDemand).unwrap().usd_per_hour;
    assert_eq!(c.items[0].instance_types, 1);
    assert_eq!((c.fees_usd_per_hour, c.unused_usd_per_hour), (1.0, 0.0));
    assert!((c.covered_on_demand_usd_per_hour - 0.8 * on_demand).abs() < 0.011, "{c:?}");
    assert!((with.cost_usd_per_hour - (2.0 * on_demand - 0.8 * on_demand + 1.0)).abs() < 0.011, "{with:?}");
}
