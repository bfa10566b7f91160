//! Disaggregated deployments are sized per stage with the stage model (`perf::stage`), in placement
//! (`tokenfleet plan`) and in the linter: the prefill stage against TTFT (queue + prefill + KV
//! transfer), the decode stage against TPOT and end-to-end. Plans whose stages suffice get no TF021 or
//! TF022; an undersized decode stage still does.

use tokenfleet_core::lint::{lint_plan, Finding};
use tokenfleet_core::optimize::{self, OptimizeConfig, OptimizeInput};
use tokenfleet_core::place::{self, DeploymentOutcome};
use tokenfleet_core::plan::{self, Plan};

fn sizing_findings(plan: &Plan) -> Vec<Finding> {
    lint_plan(plan).into_iter().filter(|f| f.code == "TF021" || f.code == "TF022").collect()
}

fn stage<'a>(outcome: &'a place::Outcome, role: &str) -> &'a DeploymentOutcome {
    outcome.deployments.iter().find(|d| d.role == role).unwrap_or_else(|| panic!("no {role} stage: {outcome:#?}"))
}

fn metrics(d: &DeploymentOutcome) -> Vec<&str> {
    d.latency.iter().map(|b| b.metric.as_str()).collect()
}

/// The disaggregated example as shipped: prefill on H100 (max 3, what the stage model says the peak
/// needs), decode on L40S in FP8 (max 5, what the peak needs with TPOT p95 held under 60 ms).
fn example_on_h100() -> Plan {
    let p = plan::parse_plan(include_str!("../../examples/disaggregated.yaml")).unwrap();
    assert!(plan::validate(&p).is_empty(), "{:?}", plan::validate(&p));
    p
}

/// The workload of tests/integration/optimize.rs that disaggregates: 8k-token prompts, 600-token
/// answers, TPOT p95 ≤ 20 ms.
fn recommended_disaggregated() -> (OptimizeInput, Plan) {
    let text = "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {name: long}\nspec:\n  region: us-east-1\n  \
                workload:\n    requestsPerSecond: {baseline: 4, peak: 10}\n    inputTokens: {mean: 8000, p90: 9000}\n    \
                outputTokens: {mean: 600}\n    slos: [{metric: ttft, percentile: 95, limitMs: 3000}, {metric: tpot, percentile: 95, limitMs: 20}]\n  \
                deployments:\n    - {name: llm, model: meta-llama/Llama-3.1-8B-Instruct, replicas: {min: 1, max: 1}}\n";
    let input = OptimizeInput::from_plan(&plan::parse_plan(text).unwrap()).unwrap();
    let r = optimize::recommend(&input, &OptimizeConfig::default()).unwrap();
    assert_eq!(r.plan.spec.deployments[0].mode, plan::Mode::Disaggregated, "{}", optimize::explain(&r));
    (input, r.plan)
}

#[test]
fn each_stage_is_checked_against_the_slos_it_governs() {
    let outcome = place::evaluate(&example_on_h100());
    let (prefill, decode) = (stage(&outcome, "prefill"), stage(&outcome, "decode"));
    // Prefill answers for TTFT; decode for TPOT (no prefills in its batch).
    assert_eq!(metrics(prefill), ["ttft"]);
    assert_eq!(metrics(decode), ["tpot"]);
    for d in [prefill, decode] {
        for band in &d.latency {
            let ms = band.estimate_ms.unwrap_or_else(|| panic!("{}: no estimate {band:?}", d.name));
            assert!(ms > 0.0 && ms <= band.limit_ms && band.meets_slo == Some(true), "{}: {band:?}", d.name);
            assert!(!band.saturated);
        }
        let needed = d.replicas_for_peak.unwrap_or_else(|| panic!("{}: no replicas for the peak", d.name));
        assert!(needed >= 1 && needed <= d.replicas_max, "{}: needs {needed}, max {}", d.name, d.replicas_max);
    }
    // TTFT includes the prefill of 6000 tokens of a 70B model and the KV transfer: well above zero.
    assert!(prefill.latency[0].estimate_ms.unwrap() > 200.0, "{:?}", prefill.latency);
    assert!(sizing_findings(&example_on_h100()).is_empty(), "{:#?}", sizing_findings(&example_on_h100()));
}

#[test]
fn the_example_is_sized_per_stage() {
    // As shipped: prefill meets TTFT at the baseline on one replica; the decode stage (FP8 on A100)
    // has no estimate, and no longer a monolithic one.
    let p = plan::parse_plan(include_str!("../../examples/disaggregated.yaml")).unwrap();
    let outcome = place::evaluate(&p);
    let prefill = stage(&outcome, "prefill");
    assert_eq!(metrics(prefill), ["ttft"]);
    assert_eq!(prefill.latency[0].meets_slo, Some(true), "{:?}", prefill.latency);
    let findings = sizing_findings(&p);
    assert!(
        findings.iter().all(|f| f.code == "TF022" && f.path == "spec.deployments[0].prefill.replicas.max"),
        "{findings:#?}"
    );
    assert!(!findings.iter().any(|f| f.code == "TF021"), "{findings:#?}");
}

#[test]
fn a_recommended_disaggregated_plan_lints_clean_on_sizing() {
    let (_, p) = recommended_disaggregated();
    assert!(sizing_findings(&p).is_empty(), "{:#?}\n{}", sizing_findings(&p), p.to_yaml());
    let outcome = place::evaluate(&p);
    for role in ["prefill", "decode"] {
        let d = stage(&outcome, role);
        let needed = d.replicas_for_peak.unwrap_or_else(|| panic!("{role}: no replicas for the peak"));
        assert!(needed <= d.replicas_max, "{role}: needs {needed}, max {}", d.replicas_max);
        assert!(d.latency.iter().all(|b| b.meets_slo == Some(true)), "{role}: {:?}", d.latency);
    }
}

#[test]
fn an_undersized_decode_stage_is_still_flagged() {
    let (_, mut p) = recommended_disaggregated();
    // The peak needs more decode replicas than one.
    let decode = p.spec.deployments[0].decode.as_mut().unwrap();
    decode.replicas.min = 1;
    decode.replicas.max = 1;
    p.spec.workload.requests_per_second.peak *= 3.0;
    let findings = sizing_findings(&p);
    assert!(
        findings.iter().any(|f| f.code == "TF022" && f.path == "spec.deployments[0].decode.replicas.max"),
        "{findings:#?}"
    );
    // At a baseline beyond one replica's TPOT-limited batch, TPOT misses the SLO (or the stage
    // saturates) at the baseline rate too.
    p.spec.workload.requests_per_second.baseline = p.spec.workload.requests_per_second.peak;
    let findings = sizing_findings(&p);
    assert!(
        findings
            .iter()
            .any(|f| f.code == "TF021" && f.path == "spec.deployments[0].decode" && f.message.contains("tpot")),
        "{findings:#?}"
    );
    // Far beyond its KV cache: saturated, reported as such rather than as a latency.
    p.spec.workload.requests_per_second.baseline = 1000.0;
    p.spec.workload.requests_per_second.peak = 1000.0;
    let outcome = place::evaluate(&p);
    let decode = stage(&outcome, "decode");
    assert!(decode.latency.iter().all(|b| b.saturated && b.estimate_ms.is_none() && b.meets_slo == Some(false)));
    assert!(sizing_findings(&p).iter().any(|f| f.code == "TF021" && f.message.contains("saturated")));
}

#[test]
fn end_to_end_slos_are_the_decode_stages_and_monolithic_plans_are_unchanged() {
    let mut p = example_on_h100();
    p.spec.workload.slos.push(plan::Slo { metric: plan::SloMetric::E2e, percentile: 90.0, limit_ms: 60_000.0 });
    let outcome = place::evaluate(&p);
    let (prefill, decode) = (stage(&outcome, "prefill"), stage(&outcome, "decode"));
    assert_eq!(metrics(prefill), ["ttft"]);
    assert_eq!(metrics(decode), ["tpot", "e2e"]);
    // e2e = TTFT + (output − 1) × TPOT: above either part.
    let e2e = decode.latency[1].estimate_ms.unwrap();
    assert!(
        e2e > prefill.latency[0].estimate_ms.unwrap() && e2e > 299.0 * decode.latency[0].estimate_ms.unwrap() * 0.9
    );
    // Monolithic: one fleet, every SLO on it.
    let quickstart = plan::parse_plan(include_str!("../../examples/quickstart.yaml")).unwrap();
    let outcome = place::evaluate(&quickstart);
    assert!(outcome
        .deployments
        .iter()
        .all(|d| d.role == "server" && d.latency.len() == quickstart.spec.workload.slos.len()));
}

#[test]
fn every_disaggregated_candidate_lints_clean_on_sizing() {
    let (input, _) = recommended_disaggregated();
    let r = optimize::recommend(&input, &OptimizeConfig::default()).unwrap();
    let mut checked = 0;
    for c in r.candidates.iter().filter(|c| c.mode == "disaggregated") {
        let p = optimize::candidate_plan(&input, c);
        let findings = sizing_findings(&p);
        assert!(findings.is_empty(), "{}: {findings:#?}", c.name);
        checked += 1;
    }
    assert!(checked > 0);
}

/// Findings about one stage point at that stage's own fields (`decode.replicas.max`), the ids of the
/// app's stage editor, never at the deployment's fields, which do not run when disaggregated.
#[test]
fn stage_findings_point_at_the_stage_fields() {
    let mut p = example_on_h100();
    let d = &mut p.spec.deployments[0];
    d.replicas = plan::ReplicaBounds { min: 4, max: 4 };
    d.decode.as_mut().unwrap().replicas = plan::ReplicaBounds { min: 7, max: 7 };
    d.prefill.as_mut().unwrap().replicas = plan::ReplicaBounds { min: 1, max: 5 };
    d.prefill.as_mut().unwrap().tensor_parallel = Some(3);
    let findings = lint_plan(&p);
    let paths =
        |code: &str| -> Vec<String> { findings.iter().filter(|f| f.code == code).map(|f| f.path.clone()).collect() };
    // Traffic swings 2 → 5 requests/s: the fixed decode stage is flagged, the idle deployment-level bounds are not.
    assert_eq!(paths("TF002"), ["spec.deployments[0].decode.replicas"], "{findings:#?}");
    assert!(findings.iter().any(|f| f.code == "TF002" && f.message.starts_with("rag-70b-decode runs a fixed 7")));
    // Three GPUs do not divide Llama 3.1 70B's 64 heads.
    assert_eq!(paths("TF017"), ["spec.deployments[0].prefill.tensorParallel"], "{findings:#?}");
    // 7 decode replicas × 4 GPUs against the decode pool's limit of 24.
    assert!(paths("TF006").contains(&"spec.deployments[0].decode.replicas.max".to_string()), "{findings:#?}");
    // Seven decode replicas of 4 GPUs at minimum exceed the decode pool's 24: the stage's pods wait.
    assert_eq!(paths("TF019"), ["spec.deployments[0].decode"], "{findings:#?}");
}
