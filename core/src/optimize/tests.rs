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

/// The closed loop: for every example, the recommendation meets every SLO over its own simulated day
/// on every seed (judged again from the emitted plan, as `tokenfleet plan` judges it), it is the
/// cheapest candidate whose day passes, every front candidate was simulated, and it states its margin.
#[test]
fn every_examples_recommendation_passes_its_own_day() {
    for (name, text) in crate::examples::EXAMPLES {
        let plan = parse_plan(text).unwrap();
        let r = recommend_plan(&plan).unwrap();
        assert_eq!(r.meets_slos_over_day, Some(true), "{name}");
        let best = &r.candidates[0];
        let day = best.simulated.as_ref().unwrap_or_else(|| panic!("{name}: winner not simulated"));
        assert!(day.passes() && day.seeds == crate::sim::verdict::DEFAULT_SEEDS, "{name}: {day:?}");
        assert!(day.autoscaler_reversals_per_day <= STABLE_REVERSALS_PER_DAY, "{name}");
        assert!(day.burst_margin_x_peak.is_some_and(|m| m >= 1.0), "{name}");
        // Static and dynamic agree on the emitted plan: placement's bands and the plan's own day.
        let own = crate::sim::judge_plan(
            &r.plan,
            &crate::sim::PlanInputs::for_plan(&r.plan),
            &crate::sim::DayOptions::default(),
        )
        .unwrap();
        assert!(own.passes(), "{name}: the recommended plan fails its day: {own:#?}");
        assert!(crate::place::meets_slos(&crate::place::evaluate(&r.plan)), "{name}");
        assert_eq!(r.plan.spec.deployments[0].replicas.min, {
            let a = &best.assignments[0];
            (a.replicas_baseline + best.autoscaling.warm_replicas).min(a.replicas_peak.max(1))
        });
        for c in &r.candidates {
            assert!(!c.on_front || c.simulated.is_some(), "{name}: front candidate {} not simulated", c.name);
            if let Some(d) = c.simulated.as_ref().filter(|d| d.passes()) {
                assert!(
                    d.risk_adjusted_usd_per_hour >= day.risk_adjusted_usd_per_hour,
                    "{name}: {} is cheaper",
                    c.name
                );
            }
        }
        assert_eq!(r.candidates.iter().filter(|c| c.recommended).count(), 1);
        assert!(r.front.iter().all(|p| p.recommended == (p.candidate == best.name)), "{name}");
    }
}

#[test]
fn without_the_closed_loop_the_ranking_is_static() {
    let plan = parse_plan(QUICKSTART).unwrap();
    let config = OptimizeConfig { day: None, ..OptimizeConfig::default() };
    let r = recommend(&OptimizeInput::from_plan(&plan).unwrap(), &config).unwrap();
    assert_eq!(r.meets_slos_over_day, None);
    assert!(r.candidates.iter().all(|c| c.simulated.is_none()));
    assert!(r.candidates.windows(2).all(|w| w[0].rank < w[1].rank));
}

/// The closed loop reuses a candidate's scenario across autoscaling settings: setting it again from
/// another setting's plan gives exactly the scenario `from_plan` builds from that plan.
#[test]
fn retuned_scenarios_equal_fresh_ones() {
    for (name, text) in crate::examples::EXAMPLES {
        let plan = parse_plan(text).unwrap();
        let input = OptimizeInput::from_plan(&plan).unwrap();
        let config = OptimizeConfig { day: None, ..OptimizeConfig::default() };
        let r = recommend(&input, &config).unwrap();
        for c in r.candidates.iter().take(6) {
            let mut c = c.clone();
            let first = candidate_plan(&input, &c);
            let inputs = crate::sim::PlanInputs::for_plan(&first);
            let mut sc = crate::sim::from_plan(&first, &inputs).unwrap();
            for choice in [
                AutoscalingChoice { scale_down_stabilization_s: 1800, warm_replicas: 2, ..Default::default() },
                AutoscalingChoice {
                    scale_to_zero: true,
                    keda_polling_interval_s: 5,
                    keda_cooldown_period_s: Some(600),
                    ..Default::default()
                },
            ] {
                c.autoscaling = choice;
                let second = candidate_plan(&input, &c);
                crate::sim::plan_adapter::retune_autoscaling(&mut sc, &second).unwrap();
                assert_eq!(sc, crate::sim::from_plan(&second, &inputs).unwrap(), "{name}: {}", c.name);
            }
        }
    }
}

/// Where the traffic goes idle (a declared baseline of 0), the loop tries KEDA scale to zero: such a
/// candidate is exported with `minReplicaCount: 0` and its cooldown, and `tokenfleet plan` judges the
/// exported plan's day as the loop did. With traffic that never goes idle, nothing scales to zero.
#[test]
fn idle_traffic_searches_scale_to_zero() {
    let base = parse_plan(crate::examples::example("batch-inferentia").unwrap()).unwrap();
    let r = recommend_plan(&base).unwrap();
    assert!(r.candidates.iter().all(|c| !c.autoscaling.scale_to_zero), "baseline 1 rps never goes idle");

    let mut plan = base.clone();
    plan.spec.workload.requests_per_second.baseline = 0.0;
    let r = recommend_plan(&plan).unwrap();
    let zero: Vec<&Candidate> = r
        .candidates
        .iter()
        .filter(|c| c.autoscaling.scale_to_zero && c.simulated.as_ref().is_some_and(|d| d.passes()))
        .collect();
    assert!(!zero.is_empty(), "no candidate passed scaling to zero");
    let input = OptimizeInput::from_plan(&plan).unwrap();
    for c in zero.iter().take(2) {
        let emitted = apply_candidate(&plan, c).unwrap();
        assert!(crate::plan::validate(&emitted).is_empty());
        let d = &emitted.spec.deployments[0];
        assert_eq!(d.replicas.min, 0, "{}", c.name);
        let keda = d.autoscaler.as_ref().unwrap();
        assert_eq!(keda.cooldown_period_seconds, c.autoscaling.keda_cooldown_period_s);
        let stream = crate::manifest::render_stream(&emitted);
        assert!(stream.contains("minReplicaCount: 0"), "{stream}");
        assert!(stream.contains(&format!("cooldownPeriod: {}", keda.cooldown_period_seconds.unwrap())));
        let inputs = crate::sim::PlanInputs::for_plan(&candidate_plan(&input, c));
        let check = crate::sim::judge_plan(&emitted, &inputs, &crate::sim::DayOptions::default()).unwrap();
        let day = c.simulated.as_ref().unwrap();
        assert_eq!(check.verdict, day.verdict, "{}", c.name);
        assert_eq!(check.requests_dropped, day.requests_dropped, "{}", c.name);
    }
}

/// Each way the loop keeps capacity warm, and each set of start-up levers, is exported as what it is:
/// minReplicas, a CapacityBuffer, placeholder pods, a static NodePool; the free levers (parallel pull,
/// the S3 streamer), the image cache at its Fast Snapshot Restore cost. The plans are valid.
#[test]
fn warm_kinds_and_levers_are_exported_as_what_they_are() {
    let plan = parse_plan(crate::examples::example("spiky-spot-burst").unwrap()).unwrap();
    let input = OptimizeInput::from_plan(&plan).unwrap();
    let config = OptimizeConfig { day: None, ..OptimizeConfig::default() };
    let r = recommend(&input, &config).unwrap();
    let c = r.candidates.iter().find(|c| c.mode != "disaggregated").unwrap();
    let baseline_min = |p: &Plan| p.spec.deployments[0].replicas.min;
    let plain = candidate_plan(&input, c);
    for (kind, marker) in [
        (WarmVariant::MinReplicas, None),
        (WarmVariant::CapacityBuffer, Some("kind: CapacityBuffer")),
        (WarmVariant::PlaceholderPods, Some("kind: PriorityClass")),
        (WarmVariant::StaticNodePool, Some("-static")),
    ] {
        let mut c = c.clone();
        c.autoscaling = AutoscalingChoice { warm_replicas: 2, warm_kind: kind, ..Default::default() };
        assert!(emit::warm_applies(&input, &c), "{kind:?}");
        assert!(c.autoscaling.short().contains("2 warm ("), "{}", c.autoscaling.short());
        let p = candidate_plan(&input, &c);
        assert!(crate::plan::validate(&p).is_empty(), "{kind:?}: {:?}", crate::plan::validate(&p));
        let stream = crate::manifest::render_stream(&p);
        match marker {
            None => assert_eq!(baseline_min(&p), (baseline_min(&plain) + 2).min(p.spec.deployments[0].replicas.max)),
            Some(m) => {
                assert_eq!(baseline_min(&p), baseline_min(&plain), "{kind:?}: minReplicas unchanged");
                assert!(stream.contains(m), "{kind:?}: {m} missing");
            }
        }
    }
    let mut c = c.clone();
    c.autoscaling.start_levers = LeverChoice::Free;
    let p = candidate_plan(&input, &c);
    assert!(crate::plan::validate(&p).is_empty());
    assert!(p.spec.deployments.iter().all(|d| d.weights_source() == crate::plan::WeightsSource::S3Streamer));
    assert!(p.spec.node_classes.iter().all(|k| k.image_pull == crate::plan::ImagePull::Parallel));
    c.autoscaling.start_levers = LeverChoice::WithImageCache;
    let p = candidate_plan(&input, &c);
    assert!(crate::plan::validate(&p).is_empty());
    assert!(p.spec.node_classes.iter().all(|k| k.image_cache.is_some()));
    assert_eq!(LeverChoice::WithImageCache.usd_per_hour(), IMAGE_CACHE_USD_PER_HOUR);
}
