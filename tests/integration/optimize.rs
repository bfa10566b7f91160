//! The optimiser (`tokenfleet recommend`): a mix wins where it should, recommendations pass their own
//! SLO check and lint without errors, output is deterministic, and a user with only a workload and
//! SLOs gets a cheaper plan than the example templates for the same load.

use tokenfleet_core::lint::{lint_plan, Severity};
use tokenfleet_core::optimize::{self, OptimizeConfig, OptimizeInput, Recommendation, RequestClass};
use tokenfleet_core::perf::{Slo, SloMetric};
use tokenfleet_core::plan::{self, Plan};
use tokenfleet_core::{manifest, place};

fn plan_text(name: &str, model: &str, baseline: f64, peak: f64, input: (f64, f64), output: f64, slos: &str) -> String {
    format!(
        "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {{name: {name}}}\nspec:\n  region: us-east-1\n  \
         workload:\n    requestsPerSecond: {{baseline: {baseline}, peak: {peak}}}\n    inputTokens: {{mean: {}, p90: {}}}\n    \
         outputTokens: {{mean: {output}}}\n    slos: {slos}\n  deployments:\n    - {{name: llm, model: {model}, replicas: {{min: 1, max: 1}}}}\n",
        input.0, input.1
    )
}

const SLOS: &str = "[{metric: ttft, percentile: 95, limitMs: 1000}, {metric: tpot, percentile: 95, limitMs: 50}]";

/// Everything a recommendation must satisfy, whatever the workload.
fn check_recommendation(label: &str, r: &Recommendation) {
    let p = &r.plan;
    assert!(plan::validate(p).is_empty(), "{label}: invalid plan {:?}", plan::validate(p));
    let errors: Vec<_> = lint_plan(p).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{label}: lint errors {errors:#?}\n{}", p.to_yaml());
    assert!(!r.slo_checks.is_empty(), "{label}: no SLO checks");
    assert!(r.slo_checks.iter().all(|c| c.meets_slos), "{label}: {:#?}", r.slo_checks);
    // `tokenfleet plan` and `tokenfleet export` accept the YAML.
    let reparsed = plan::parse_plan(&p.to_yaml()).unwrap_or_else(|e| panic!("{label}: {e}\n{}", p.to_yaml()));
    assert_eq!(&reparsed, p, "{label}: YAML round trip");
    let outcome = place::evaluate(p);
    assert!(outcome.unplaced.is_empty(), "{label}: {:?}", outcome.unplaced);
    assert!(manifest::render_stream(p).contains("kind: NodePool"), "{label}");
    // The recommended candidate is first, ranked 1, on the front, and explained.
    let best = &r.candidates[0];
    assert!(best.recommended && best.rank == 1 && best.on_front, "{label}: {best:?}");
    assert!(r.front.iter().any(|f| f.recommended && f.candidate == best.name), "{label}");
    assert!(r.candidates.iter().all(|c| !c.verdict.is_empty() && !c.reasons.is_empty()), "{label}");
    for w in r.front.windows(2) {
        assert!(w[0].risk_adjusted_usd_per_hour <= w[1].risk_adjusted_usd_per_hour, "{label}: front order");
        assert!(w[0].ttft_p99_ms > w[1].ttft_p99_ms, "{label}: front must trade cost for latency");
    }
    for c in &r.candidates {
        for x in [c.cost_usd_per_hour, c.risk_adjusted_usd_per_hour, c.ttft_p99_ms, c.tpot_p99_ms] {
            assert!(x.is_finite() && x >= 0.0, "{label}: {}: {x}", c.name);
        }
    }
}

/// Every candidate the app may apply, not only the recommended one, is a valid, lint-clean plan that
/// passes its SLO check.
fn check_all_candidates(label: &str, input: &OptimizeInput, r: &Recommendation) {
    for c in &r.candidates {
        let p = optimize::candidate_plan(input, c);
        assert!(plan::validate(&p).is_empty(), "{label}/{}: {:?}", c.name, plan::validate(&p));
        let errors: Vec<_> = lint_plan(&p).into_iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{label}/{}: {errors:#?}", c.name);
        let checks = optimize::slo_check(&p, input, &c.assignments);
        assert!(!checks.is_empty() && checks.iter().all(|x| x.meets_slos), "{label}/{}: {checks:#?}", c.name);
        assert!(place::evaluate(&p).unplaced.is_empty(), "{label}/{}", c.name);
    }
}

/// Short chat turns and long-document requests under a TTFT limit the small GPU cannot meet for long
/// prompts, over G6 (L4) and P5 (H100) instance types.
fn blend_input() -> (OptimizeInput, OptimizeConfig) {
    let text = plan_text("blend", "meta-llama/Llama-3.1-8B-Instruct", 10.0, 20.0, (1870.0, 16000.0), 200.0, SLOS);
    let mut input = OptimizeInput::from_plan(&plan::parse_plan(&text).unwrap()).unwrap();
    input.classes = vec![
        RequestClass { name: "short".into(), share: 0.9, input_tokens: 300, output_tokens: 200 },
        RequestClass { name: "long".into(), share: 0.1, input_tokens: 16000, output_tokens: 200 },
    ];
    input.slos = vec![
        Slo { metric: SloMetric::TtftMs, percentile: 0.95, limit_ms: 3000.0 },
        Slo { metric: SloMetric::TpotMs, percentile: 0.95, limit_ms: 150.0 },
    ];
    // The static sizing decides this (a mix against single types at peak): no closed loop.
    let config = OptimizeConfig { families: vec!["g6".into(), "p5".into()], day: None, ..OptimizeConfig::default() };
    (input, config)
}

#[test]
fn a_mix_wins_on_a_blend_of_short_and_long_requests() {
    let (input, config) = blend_input();
    let r = optimize::recommend(&input, &config).unwrap();
    let best = &r.candidates[0];
    assert_eq!(best.topology, "mix", "{}", optimize::explain(&r));
    let types: Vec<&str> = best.assignments.iter().map(|a| a.instance_type.as_str()).collect();
    assert_eq!(types.len(), 2);
    assert_ne!(types[0], types[1]);
    // Every single-type candidate costs more: the cheapest single is kept and ranked after the mix.
    let single = r.candidates.iter().find(|c| c.topology == "single").expect("a single-type candidate");
    assert!(
        best.risk_adjusted_usd_per_hour < single.risk_adjusted_usd_per_hour,
        "mix {} vs single {}",
        best.risk_adjusted_usd_per_hour,
        single.risk_adjusted_usd_per_hour
    );
    // Why: the bulk of short requests runs on small, cheap nodes; the long prompts, which need a
    // fast prefill to meet the TTFT limit, on the big GPU.
    let short = best.assignments.iter().find(|a| a.classes == ["short"]).unwrap();
    let long = best.assignments.iter().find(|a| a.classes == ["long"]).unwrap();
    assert!(short.node_on_demand_usd_per_hour < long.node_on_demand_usd_per_hour, "{short:?} {long:?}");
    assert!(r.explanation.iter().any(|l| l.contains("mix beats the best single type")), "{:?}", r.explanation);
    check_recommendation("blend", &r);
    // The plan has one deployment per class, each pinned to its own pools.
    assert_eq!(r.plan.spec.deployments.len(), 2);
}

#[test]
fn recommendations_pass_their_own_slo_check_and_lint() {
    let cases = [
        ("chat-8b", "meta-llama/Meta-Llama-3-8B-Instruct", 2.0, 6.0, (1024.0, 2048.0), 256.0, SLOS),
        ("rag-8b", "meta-llama/Llama-3.1-8B-Instruct", 5.0, 20.0, (4000.0, 12000.0), 300.0, SLOS),
        ("steady-70b", "meta-llama/Llama-3.1-70B-Instruct", 3.0, 4.0, (800.0, 1500.0), 200.0, SLOS),
        ("no-baseline", "mistralai/Mistral-7B-Instruct-v0.3", 0.0, 3.0, (500.0, 900.0), 300.0, SLOS),
        ("no-slos", "Qwen/Qwen2.5-7B-Instruct", 1.0, 10.0, (2000.0, 3000.0), 500.0, "[]"),
        (
            "e2e-only",
            "meta-llama/Llama-3.1-8B-Instruct",
            1.0,
            12.0,
            (3000.0, 6000.0),
            400.0,
            "[{metric: e2e, percentile: 90, limitMs: 120000}]",
        ),
    ];
    for (name, model, baseline, peak, input, output, slos) in cases {
        let text = plan_text(name, model, baseline, peak, input, output, slos);
        let plan = plan::parse_plan(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let input = OptimizeInput::from_plan(&plan).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = optimize::recommend(&input, &OptimizeConfig::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_recommendation(name, &r);
        check_all_candidates(name, &input, &r);
    }
    let (input, config) = blend_input();
    let r = optimize::recommend(&input, &config).unwrap();
    check_recommendation("blend", &r);
    check_all_candidates("blend", &input, &r);
}

#[test]
fn long_prompts_under_a_tight_tpot_disaggregate() {
    // 8k-token prompts, 600-token answers, TPOT p95 ≤ 20 ms: interleaved prefills stall decode steps,
    // so a monolithic replica holds a small batch; a decode fleet without prefills holds a large one.
    let slos = "[{metric: ttft, percentile: 95, limitMs: 3000}, {metric: tpot, percentile: 95, limitMs: 20}]";
    let text = plan_text("long", "meta-llama/Llama-3.1-8B-Instruct", 4.0, 10.0, (8000.0, 9000.0), 600.0, slos);
    let plan = plan::parse_plan(&text).unwrap();
    let input = OptimizeInput::from_plan(&plan).unwrap();
    let r = optimize::recommend(&input, &OptimizeConfig::default()).unwrap();
    let best = &r.candidates[0];
    assert_eq!(best.mode, "disaggregated", "{}", optimize::explain(&r));
    let monolithic = r.candidates.iter().find(|c| c.mode == "monolithic").expect("a monolithic candidate");
    assert!(best.risk_adjusted_usd_per_hour < monolithic.risk_adjusted_usd_per_hour);
    let d = &r.plan.spec.deployments[0];
    assert_eq!(d.mode, plan::Mode::Disaggregated);
    assert!(d.prefill.as_ref().unwrap().node_pool.is_some() && d.decode.as_ref().unwrap().node_pool.is_some());
    check_recommendation("long", &r);
    check_all_candidates("long", &input, &r);
}

#[test]
fn same_input_same_bytes() {
    let text = plan_text("det", "meta-llama/Llama-3.1-8B-Instruct", 5.0, 20.0, (4000.0, 12000.0), 300.0, SLOS);
    let plan = plan::parse_plan(&text).unwrap();
    let a = optimize::recommend_plan(&plan).unwrap();
    let b = optimize::recommend_plan(&plan.clone()).unwrap();
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    assert_eq!(a.plan.to_yaml(), b.plan.to_yaml());
    assert_eq!(optimize::explain(&a), optimize::explain(&b));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut plan =
        plan::parse_plan(&plan_text("x", "meta-llama/Llama-3.1-8B-Instruct", 1.0, 2.0, (100.0, 200.0), 50.0, SLOS))
            .unwrap();
    let mut no_model = plan.clone();
    no_model.spec.deployments.clear();
    assert_eq!(optimize::recommend_plan(&no_model).unwrap_err().field, "spec.deployments");
    let mut unknown = plan.clone();
    unknown.spec.deployments[0].model = "acme/unknown-1b".into();
    assert_eq!(optimize::recommend_plan(&unknown).unwrap_err().field, "spec.deployments[0].model");
    plan.spec.workload.requests_per_second.peak = 0.0;
    assert!(optimize::recommend_plan(&plan).is_err());
    // SLOs no hardware can meet.
    let impossible = "[{metric: ttft, percentile: 99, limitMs: 0.001}]";
    let plan = plan::parse_plan(&plan_text(
        "y",
        "meta-llama/Llama-3.1-8B-Instruct",
        1.0,
        2.0,
        (100.0, 200.0),
        50.0,
        impossible,
    ))
    .unwrap();
    let e = optimize::recommend_plan(&plan).unwrap_err();
    assert!(e.message.contains("within the SLOs"), "{e}");
}

/// The cost `place::evaluate` gives a plan at its minimum replicas and with every deployment at its
/// maximum (the peak fleet).
fn baseline_and_peak_usd_per_hour(plan: &Plan) -> (f64, f64) {
    let base = place::evaluate(plan).summary.cost_usd_per_hour;
    let mut peak = plan.clone();
    for d in &mut peak.spec.deployments {
        d.replicas.min = d.replicas.max;
        for stage in [&mut d.prefill, &mut d.decode].into_iter().flatten() {
            stage.replicas.min = stage.replicas.max;
        }
    }
    (base, place::evaluate(&peak).summary.cost_usd_per_hour)
}

/// A plan with only the example's workload, SLOs and model: what a user starts from.
fn workload_only(example: &Plan) -> Plan {
    let mut p = example.clone();
    p.spec.deployments.truncate(1);
    p.spec.deployments[0].mode = Default::default();
    p.spec.deployments[0].prefill = None;
    p.spec.deployments[0].decode = None;
    p.spec.node_pools.clear();
    p.spec.node_classes.clear();
    p
}

#[test]
fn cheaper_than_the_example_templates_for_the_same_load() {
    let dir = tokenfleet_tests::repo_root().join("examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut compared = 0;
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "yaml")) {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let example = plan::parse_plan(&std::fs::read_to_string(path).unwrap()).unwrap();
        if example.spec.deployments.is_empty() || example.spec.workload.requests_per_second.peak <= 0.0 {
            continue;
        }
        let r = optimize::recommend_plan(&workload_only(&example)).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_recommendation(&name, &r);
        let (ours_base, ours_peak) = baseline_and_peak_usd_per_hour(&r.plan);
        let (theirs_base, theirs_peak) = baseline_and_peak_usd_per_hour(&example);
        // An example that misses its own SLOs does not serve the same load; it may cost less.
        let example_meets_slos = place::evaluate(&example)
            .deployments
            .iter()
            .all(|d| d.latency.iter().all(|band| band.meets_slo != Some(false)));
        assert!(
            (ours_base <= theirs_base && ours_peak <= theirs_peak) || !example_meets_slos,
            "{name}: recommended {ours_base:.2}/{ours_peak:.2} USD/hour (baseline/peak) vs example {theirs_base:.2}/{theirs_peak:.2}\n{}",
            optimize::explain(&r)
        );
        if example_meets_slos {
            compared += 1;
        }
    }
    assert!(compared >= 4, "only {compared} examples meet their own SLOs to compare against");
}

#[test]
fn a_grid_of_workloads_never_panics_and_always_checks_out() {
    let models =
        ["meta-llama/Llama-3.1-8B-Instruct", "mistralai/Mixtral-8x7B-Instruct-v0.1", "Qwen/Qwen2.5-72B-Instruct"];
    let slos = [
        SLOS,
        "[{metric: ttft, percentile: 99, limitMs: 300}]",
        "[{metric: e2e, percentile: 50, limitMs: 5000}, {metric: tpot, percentile: 90, limitMs: 30}]",
    ];
    let mut answered = 0;
    for (i, model) in models.iter().enumerate() {
        for (j, slo) in slos.iter().enumerate() {
            for (k, (baseline, peak, input)) in
                [(0.5, 1.0, (200.0, 300.0)), (10.0, 100.0, (3000.0, 20000.0)), (50.0, 60.0, (1000.0, 1500.0))]
                    .into_iter()
                    .enumerate()
            {
                let name = format!("g{i}{j}{k}");
                let plan = plan::parse_plan(&plan_text(&name, model, baseline, peak, input, 300.0, slo)).unwrap();
                match optimize::recommend_plan(&plan) {
                    Ok(r) => {
                        check_recommendation(&name, &r);
                        answered += 1;
                    }
                    // No hardware meets the SLOs: an error that names the field, not a panic.
                    Err(e) => assert!(!e.field.is_empty() && !e.message.is_empty(), "{name}: {e}"),
                }
            }
        }
    }
    assert!(answered >= 20, "only {answered} of 27 workloads answered");
}

#[test]
fn spot_risk_counts_only_against_slo_critical_traffic() {
    use tokenfleet_core::optimize::CapacityStrategy;
    let critical = plan::parse_plan(&plan_text(
        "critical",
        "meta-llama/Meta-Llama-3-8B-Instruct",
        2.0,
        6.0,
        (1024.0, 2048.0),
        256.0,
        SLOS,
    ))
    .unwrap();
    let r = optimize::recommend_plan(&critical).unwrap();
    let best = &r.candidates[0];
    assert_ne!(best.capacity, CapacityStrategy::SpotFirst, "{}", optimize::explain(&r));
    // A spot-first candidate is cheaper before risk but loses once the interruption risk is counted.
    let spot = r.candidates.iter().find(|c| c.capacity == CapacityStrategy::SpotFirst).expect("a spot-first candidate");
    assert!(spot.spot_risk_usd_per_hour > 0.0);
    assert!(spot.risk_adjusted_usd_per_hour > best.risk_adjusted_usd_per_hour);
    // Batch work (an end-to-end limit of minutes) carries no interruption risk: spot first wins.
    let batch = "[{metric: e2e, percentile: 90, limitMs: 120000}]";
    let batch = plan::parse_plan(&plan_text(
        "batch",
        "meta-llama/Meta-Llama-3-8B-Instruct",
        2.0,
        6.0,
        (1024.0, 2048.0),
        256.0,
        batch,
    ))
    .unwrap();
    let r = optimize::recommend_plan(&batch).unwrap();
    assert_eq!(r.candidates[0].capacity, CapacityStrategy::SpotFirst, "{}", optimize::explain(&r));
    assert!(r.candidates.iter().all(|c| c.spot_risk_usd_per_hour == 0.0));
}
