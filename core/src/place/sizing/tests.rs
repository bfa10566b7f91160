//! Unit tests of `:place:place::sizing`.

use super::*;

#[test]
fn model_facts_from_names() {
    assert_eq!(model_facts("meta-llama/Meta-Llama-3-8B-Instruct").unwrap().attention_heads, Some(32));
    let mixtral = model_facts("mistralai/Mixtral-8x7B-Instruct-v0.1").unwrap().params_b;
    assert!((45.0..48.0).contains(&mixtral), "{mixtral}");
    // Not in the catalog: the size written in the name.
    assert_eq!(model_facts("acme/Yi-34B-Chat").unwrap().params_b, 34.0);
    assert_eq!(model_facts("gpt2"), None);
}

fn example(name: &str) -> Plan {
    crate::plan::parse_plan(crate::examples::example(name).unwrap()).unwrap()
}

/// Every SLO metric at p50, p90, p95, p99 and p99.9 (generous limits, so they are all checked).
fn with_every_percentile(mut plan: Plan) -> Plan {
    plan.spec.workload.slos = [SloMetric::Ttft, SloMetric::Tpot, SloMetric::E2e]
        .into_iter()
        .flat_map(|metric| {
            [50.0, 90.0, 95.0, 99.0, 99.9].map(|percentile| crate::plan::Slo { metric, percentile, limit_ms: 1e6 })
        })
        .collect();
    plan
}

/// p50 ≤ p95 ≤ p99, and the estimate at the SLO's percentile is the matching value or lies between
/// its neighbours; `values()` lists them in order with the SLO's own once.
fn check_band(band: &LatencyBand) {
    let (Some(p50), Some(p95), Some(p99)) = (band.p50_ms, band.p95_ms, band.p99_ms) else {
        panic!("no band: {band:?}");
    };
    let estimate = band.estimate_ms.unwrap();
    assert!(0.0 < p50 && p50 <= p95 && p95 <= p99, "{band:?}");
    match band.percentile {
        50.0 => assert_eq!(estimate, p50, "{band:?}"),
        95.0 => assert_eq!(estimate, p95, "{band:?}"),
        99.0 => assert_eq!(estimate, p99, "{band:?}"),
        x if x < 50.0 => assert!(estimate <= p50, "{band:?}"),
        x if x < 95.0 => assert!(p50 <= estimate && estimate <= p95, "{band:?}"),
        x if x < 99.0 => assert!(p95 <= estimate && estimate <= p99, "{band:?}"),
        _ => assert!(p99 <= estimate, "{band:?}"),
    }
    let values = band.values();
    assert!(values.windows(2).all(|w| w[0].percentile < w[1].percentile), "{values:?}");
    assert!(values.windows(2).all(|w| w[0].estimate_ms <= w[1].estimate_ms), "{values:?}");
    let own: Vec<_> = values.iter().filter(|v| v.is_slo_percentile).collect();
    assert_eq!(own.len(), 1, "{values:?}");
    assert_eq!((own[0].percentile, own[0].estimate_ms), (band.percentile, band.estimate_ms));
    assert_eq!(own[0].within_limit, band.meets_slo);
    assert_eq!(values.len(), if [50.0, 95.0, 99.0].contains(&band.percentile) { 3 } else { 4 });
}

#[test]
fn bands_are_ordered_and_hold_the_estimate_at_the_slo_percentile() {
    let mut checked = 0;
    for (name, _) in crate::examples::EXAMPLES {
        for plan in [example(name), with_every_percentile(example(name))] {
            for d in crate::place::evaluate(&plan).deployments {
                for band in d.latency.iter().filter(|b| b.estimate_ms.is_some()) {
                    check_band(band);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 40, "{checked}");
}

/// The bands and the replicas sized for the peak come from one model at the same percentiles: at
/// the peak, the replicas it needs meet every SLO and one fewer misses one. (Bands read off p90 and
/// p99 put p95 above the model's own p95 and disagreed.)
#[test]
fn bands_at_the_peak_agree_with_the_replicas_it_needs() {
    let mut checked = 0;
    // Each example at its peak, and at peaks that make each fleet need 1 to 12 replicas.
    for (name, scale) in crate::examples::EXAMPLES.iter().flat_map(|(n, _)| (0..24).map(move |i| (*n, 0.5 * i as f64)))
    {
        let mut plan = example(name);
        let rate = &mut plan.spec.workload.requests_per_second;
        if scale > 0.0 {
            rate.peak *= scale;
        }
        rate.baseline = rate.peak;
        let outcome = crate::place::evaluate(&plan);
        for d in &plan.spec.deployments {
            for fleet in d.fleets().into_iter().filter(|f| f.role == "server") {
                let placed = outcome.deployments.iter().find(|o| o.name == fleet.name).unwrap();
                let pool = outcome.pools.iter().find(|p| Some(&p.name) == placed.node_pool.as_ref()).unwrap();
                let instance = crate::catalog::instance_type(&pool.nodes[0].instance_type);
                let Some(needed) = replicas_for_peak(&plan, d, &fleet, instance) else { continue };
                let bands = |replicas| latency_bands(&plan, d, &fleet, instance, replicas);
                assert!(bands(needed).iter().all(|b| b.meets_slo == Some(true)), "{name}: {:?}", bands(needed));
                if needed > 1 {
                    let fewer = bands(needed - 1);
                    assert!(fewer.iter().any(|b| b.meets_slo == Some(false)), "{name}: {fewer:?}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "{checked}");
}

#[test]
fn stage_bands_read_each_quantile() {
    let outcome = crate::place::evaluate(&with_every_percentile(example("disaggregated")));
    let stage = |role: &str| outcome.deployments.iter().find(|d| d.role == role).unwrap().latency.clone();
    let (prefill, decode) = (stage("prefill"), stage("decode"));
    assert!(prefill.iter().all(|b| b.metric == "ttft") && prefill.len() == 5, "{prefill:?}");
    assert!(decode.iter().all(|b| b.metric != "ttft") && decode.len() == 10, "{decode:?}");
    // TTFT waits in the prefill queue: its tail is longer than its median.
    assert!(prefill[0].p99_ms.unwrap() > prefill[0].p50_ms.unwrap(), "{prefill:?}");
    // The decode batch swings around its mean: TPOT has a tail too. End-to-end is TTFT at the
    // percentile + (output − 1) × TPOT at the percentile, so it spreads as both do.
    let tpot = &decode[0];
    assert!(tpot.p50_ms < tpot.p95_ms && tpot.p95_ms < tpot.p99_ms, "{tpot:?}");
    let e2e = decode.iter().find(|b| b.metric == "e2e").unwrap();
    let spread = |b: &LatencyBand| b.p99_ms.unwrap() - b.p50_ms.unwrap();
    assert!(spread(e2e) > spread(&prefill[0]) + spread(tpot), "{e2e:?} {:?} {tpot:?}", prefill[0]);
}

#[test]
fn saturated_and_unknown_bands_have_no_values() {
    let mut plan = with_every_percentile(example("disaggregated"));
    plan.spec.workload.requests_per_second.baseline = 1e6;
    plan.spec.workload.requests_per_second.peak = 1e6;
    for d in crate::place::evaluate(&plan).deployments {
        for band in &d.latency {
            assert!(band.saturated && band.meets_slo == Some(false), "{band:?}");
            assert_eq!((band.estimate_ms, band.p50_ms, band.p95_ms, band.p99_ms), (None, None, None, None));
            assert!(band.values().iter().all(|v| v.estimate_ms.is_none() && v.within_limit == Some(false)));
            let json = serde_json::to_value(band).unwrap();
            assert!(json.get("p50_ms").is_none() && json["saturated"] == true, "{json}");
        }
    }
    // A monolithic fleet beyond its capacity too (batch-inferentia with one replica: 1 request/s on
    // one inf2.xlarge that completes about 0.7).
    let mut plan = example("batch-inferentia");
    plan.spec.deployments[0].replicas.min = 1;
    let band = &crate::place::evaluate(&plan).deployments[0].latency[0];
    assert!(band.saturated && band.meets_slo == Some(false) && band.p99_ms.is_none(), "{band:?}");
    // A model the performance model does not know: no estimate, not saturated.
    let mut plan = example("quickstart");
    plan.spec.deployments[0].model = "acme/unknown-7b".into();
    for band in &crate::place::evaluate(&plan).deployments[0].latency {
        assert_eq!((band.estimate_ms, band.p50_ms, band.meets_slo, band.saturated), (None, None, None, false));
        assert!(band.values().iter().all(|v| v.within_limit.is_none()));
    }
}

#[test]
fn bands_serialise_with_units_in_their_names() {
    let outcome = crate::place::evaluate(&example("quickstart"));
    let json = serde_json::to_value(&outcome.deployments[0].latency[0]).unwrap();
    for key in ["estimate_ms", "meets_slo", "p50_ms", "p95_ms", "p99_ms"] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert_eq!(json["p95_ms"], json["estimate_ms"], "{json}");
}
