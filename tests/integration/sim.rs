//! The simulator on the example plans: each simulates a diurnal day with a spike through its
//! autoscalers and NodePools, conserves requests, keeps the JSON contract, and gives the same bytes
//! for the same seed.

use tokenfleet_core::examples::EXAMPLES;
use tokenfleet_core::plan;
use tokenfleet_core::sim::{self, PlanInputs, Profile, SimOptions};

fn day() -> SimOptions {
    SimOptions { duration_s: 86_400.0, step_s: 1.0, series_step_s: 60.0, seed: 11 }
}

#[test]
fn example_plans_simulate_a_diurnal_day_with_a_spike() {
    for (name, text) in EXAMPLES {
        let plan = plan::parse_plan(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let scenario = sim::from_plan(&plan, &PlanInputs::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let timeline = sim::simulate(&scenario, &day()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = &timeline.summary;
        assert!(s.requests_arrived > 0, "{name}: no traffic");
        assert_eq!(
            s.requests_arrived,
            s.requests_served + s.requests_queued_at_end + s.requests_dropped,
            "{name}: requests not conserved"
        );
        assert!(s.requests_served * 10 > s.requests_arrived * 5, "{name}: most requests should be served: {s:?}");
        assert!(s.cost_usd > 0.0 && s.usd_per_million_tokens > 0.0, "{name}: {s:?}");
        assert!(s.peak_nodes > 0, "{name}");
        assert_eq!(s.slo_attainment.len(), plan.spec.workload.slos.len(), "{name}");
        assert!(s.slo_attainment.values().all(|f| (0.0..=1.0).contains(f)), "{name}");
        let n = timeline.series.t_s.len();
        assert_eq!(n, 1440, "{name}");
        assert!(timeline.series.deployments.values().all(|d| d.replicas_ready.len() == n), "{name}");
        // The day reaches its declared peak, and its burst stays within it (noise aside).
        let peak = timeline.series.arrival_rate.iter().cloned().fold(0.0, f64::max);
        let declared = plan.spec.workload.requests_per_second.peak;
        assert!(peak > declared * 0.9 && peak < declared * 1.5, "{name}: peak {peak}");
    }
}

#[test]
fn json_contract_has_the_documented_fields() {
    let plan = plan::parse_plan(tokenfleet_core::examples::example("quickstart").unwrap()).unwrap();
    let scenario = sim::from_plan(&plan, &PlanInputs::default()).unwrap();
    let timeline = sim::simulate(&scenario, &SimOptions { duration_s: 3600.0, ..day() }).unwrap();
    let json: serde_json::Value = serde_json::from_str(&timeline.to_json()).unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&json), ["summary", "series"]);
    for key in [
        "requests_arrived",
        "requests_served",
        "requests_queued_at_end",
        "requests_dropped",
        "slo_attainment",
        "cost_usd",
        "usd_per_million_tokens",
        "peak_nodes",
        "longest_pending_s",
        "latency",
    ] {
        assert!(json["summary"].get(key).is_some(), "summary.{key}");
    }
    for key in ["ttft_p50_ms", "ttft_p95_ms", "ttft_p99_ms", "tpot_p99_ms", "e2e_p50_ms", "e2e_p99_ms"] {
        assert!(json["summary"]["latency"]["llama3-8b"].get(key).is_some(), "summary.latency.llama3-8b.{key}");
    }
    for key in [
        "t_s",
        "arrival_rate",
        "served_rate",
        "queue_length",
        "ttft_p95_ms",
        "replicas_desired",
        "replicas_ready",
        "nodes",
        "cost_usd_cumulative",
    ] {
        assert_eq!(json["series"][key].as_array().map(Vec::len), Some(60), "series.{key}");
    }
    assert!(json["series"]["deployments"]["llama3-8b"]["replicas_ready"].is_array());
    assert!(json["series"]["pools"].as_object().is_some_and(|p| !p.is_empty()));
}

#[test]
fn same_seed_same_bytes_from_a_plan_and_a_trace() {
    let plan = plan::parse_plan(tokenfleet_core::examples::example("quickstart").unwrap()).unwrap();
    let trace = sim::parse_trace_csv("t_s,requests_per_s\n0,2\n3600,12\n5400,3\n").unwrap();
    let inputs = PlanInputs { trace: Some(trace), profile: Profile::Steady, ..PlanInputs::default() };
    let scenario = sim::from_plan(&plan, &inputs).unwrap();
    let options = SimOptions { duration_s: 3.0 * 3600.0, ..day() };
    let a = sim::simulate(&scenario, &options).unwrap();
    let b = sim::simulate(&scenario, &options).unwrap();
    assert_eq!(a.to_json(), b.to_json());
    assert_eq!(a.series_csv(), b.series_csv());
    // The step to 12 requests/s makes the HPA add replicas, which wait for nodes and model loads.
    let d = &a.series.deployments["llama3-8b"];
    assert!(d.replicas_desired.iter().max() > d.replicas_desired.first());
    assert!(a.summary.pod_startup_s_max > 60.0);
}

#[test]
fn a_plans_inline_trace_is_replayed_and_a_given_trace_wins() {
    let csv = "t_s,requests_per_s\n0,2\n3600,12\n5400,3\n";
    let mut plan = plan::parse_plan(tokenfleet_core::examples::example("quickstart").unwrap()).unwrap();
    let options = SimOptions { duration_s: 3.0 * 3600.0, ..day() };
    let run = |plan: &plan::Plan, inputs: &PlanInputs| sim::simulate_plan(plan, inputs, &options).unwrap().to_json();
    let steady = PlanInputs { profile: Profile::Steady, ..PlanInputs::default() };
    let profile_only = run(&plan, &steady);
    let given = PlanInputs { trace: Some(sim::parse_trace_csv(csv).unwrap()), ..steady.clone() };
    let replayed_from_inputs = run(&plan, &given);

    plan.spec.workload.trace = Some(plan::TraceRef::inline(csv));
    assert_eq!(run(&plan, &steady), replayed_from_inputs, "the plan's inline trace replaces the profile");
    assert_ne!(replayed_from_inputs, profile_only);
    let other =
        PlanInputs { trace: Some(sim::parse_trace_csv("t_s,requests_per_s\n0,1\n").unwrap()), ..steady.clone() };
    assert_ne!(run(&plan, &other), replayed_from_inputs, "a trace given by the shell wins over the plan's");

    // A file is the shell's to read: core runs the profile.
    plan.spec.workload.trace = Some(plan::TraceRef::file("traces/day.csv"));
    assert_eq!(run(&plan, &steady), profile_only);
}

/// SIM006 (the autoscaler flaps) gives advice that fits the deployment's signal: a queue depth reads
/// zero below capacity, so it is told to add a running-requests or KV-cache signal; other signals are
/// told to move their target or lengthen the stabilisation window. The examples as they were before
/// issue 14 flapped both ways: spiky-spot-burst on queue depth alone, the quickstart's HPA without a
/// scale-down window longer than the default.
#[test]
fn flapping_advice_fits_the_scaling_signal() {
    let mut spiky = plan::parse_plan(tokenfleet_core::examples::example("spiky-spot-burst").unwrap()).unwrap();
    let a = spiky.spec.deployments[0].autoscaler.as_mut().unwrap();
    a.metrics.retain(|m| m.metric == plan::MetricKind::QueueDepth);
    a.behavior = None;
    let mut quickstart = plan::parse_plan(tokenfleet_core::examples::example("quickstart").unwrap()).unwrap();
    quickstart.spec.deployments[0].autoscaler.as_mut().unwrap().behavior = None;
    for (plan, queue_depth) in [(spiky, true), (quickstart, false)] {
        let name = plan.metadata.name.clone();
        let timeline = sim::simulate_plan(&plan, &PlanInputs::default(), &day()).unwrap();
        let finding = timeline
            .summary
            .findings
            .iter()
            .find(|f| f.code == "SIM006")
            .unwrap_or_else(|| panic!("{name}: no SIM006 in {:#?}", timeline.summary.findings));
        assert_eq!(finding.message.contains("queue-depth"), queue_depth, "{name}: {}", finding.message);
    }
}
