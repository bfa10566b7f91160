use super::*;
use crate::catalog::{instance_type, model};
use crate::perf::estimate;

fn on_instance(name: &str, instance: &str, precision: Precision, input: u32, output: u32) -> EstimateInput {
    let mut i = EstimateInput::for_instance(model(name).unwrap().clone(), instance).unwrap();
    i.precision = precision;
    i.input_tokens = input;
    i.output_tokens = output;
    i
}

/// The input with an alternative's configuration, estimated from scratch.
fn refit(input: &EstimateInput, a: &Alternative) -> crate::perf::Estimate {
    let mut i = match &a.instance_type {
        Some(t) => EstimateInput::for_instance(input.model.clone(), t).unwrap(),
        None => EstimateInput::for_chip(input.model.clone(), &a.accelerator, a.devices),
    };
    i.devices = a.devices;
    i.tensor_parallel = Some(a.tensor_parallel);
    i.precision = a.precision;
    i.engine = input.engine;
    i.input_tokens = input.input_tokens;
    i.output_tokens = input.output_tokens;
    estimate(&i).unwrap()
}

/// Every alternative that says it fits does, built again from its own fields; the cheapest fitting
/// instance type of the catalog (same precision, all devices) is the first instance-type alternative.
fn check_alternatives(input: &EstimateInput, ways: &[Alternative]) {
    for a in ways.iter().filter(|a| a.kind != AlternativeKind::MultiNode) {
        assert!(a.fits, "{a:?}");
        let e = refit(input, a);
        assert!(e.fits, "{a:?}: {:?}", e.reason);
        assert!((e.memory.needed_gib_per_rank - a.needed_gib_per_rank).abs() < 1e-9, "{a:?}");
        assert!(a.needed_gib_per_rank <= a.available_gib_per_rank, "{a:?}");
    }
    let cheapest = crate::catalog::instance_types()
        .iter()
        .filter(|t| Some(t.name.as_str()) != input.instance_type.as_deref())
        .filter_map(|t| {
            let usd = Pricing::catalog().on_demand(&t.name)?;
            let mut i = EstimateInput::for_instance(input.model.clone(), &t.name).ok()?;
            (i.precision, i.engine, i.input_tokens, i.output_tokens) =
                (input.precision, input.engine, input.input_tokens, input.output_tokens);
            estimate(&i).ok().filter(|e| e.fits).map(|_| (usd, t.name.clone()))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let first = ways.iter().find(|a| a.kind == AlternativeKind::InstanceType);
    assert_eq!(
        first.map(|a| (a.on_demand_usd_per_hour.unwrap(), a.instance_type.clone().unwrap())),
        cheapest,
        "{ways:#?}"
    );
}

#[test]
fn llama_405b_bf16_on_p5_fits_in_fp8_or_on_h200() {
    let i = on_instance("llama-3.1-405b", "p5.48xlarge", Precision::Bf16, 1024, 256);
    let e = estimate(&i).unwrap();
    assert!(!e.fits);
    let m = &e.memory;
    assert!(m.needed_gib_per_rank > m.available_gib_per_rank, "{m:?}");
    let parts = m.weights_gib_per_rank
        + m.kv_cache_needed_gib_per_rank
        + m.activations_gib_per_rank
        + m.engine_overhead_gib_per_rank;
    assert!((parts - m.needed_gib_per_rank).abs() < 1e-9, "{m:?}");
    assert_eq!(
        e.reason.as_deref(),
        Some(
            "weights and workspace leave no room for the KV cache: needs 96.9 GiB per GPU but vllm leaves 72.0 GiB of its \
             80.0 GiB (tensor_parallel 8): weights 94.5 GiB, KV cache for one 1280-token sequence 0.1 GiB, activations \
             1.3 GiB, engine overhead 1.0 GiB"
        )
    );
    let ways = alternatives(&i, &Pricing::catalog());
    let kinds: Vec<AlternativeKind> = ways.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AlternativeKind::Precision, AlternativeKind::InstanceType, AlternativeKind::InstanceType]);
    // FP8 on the same eight H100s: half the weights.
    let fp8 = &ways[0];
    assert_eq!(
        (fp8.precision, fp8.instance_type.as_deref(), fp8.tensor_parallel),
        (Precision::Fp8, Some("p5.48xlarge"), 8)
    );
    assert_eq!(fp8.on_demand_usd_per_hour, Some(55.04));
    // BF16 on eight H200s (p5en), the cheapest type that holds it, then the cheapest with another chip.
    assert_eq!(ways[1].instance_type.as_deref(), Some("p5en.48xlarge"));
    assert_eq!(ways[1].accelerator, "h200");
    assert_ne!(ways[2].accelerator, "h200");
    assert!(ways[2].on_demand_usd_per_hour > ways[1].on_demand_usd_per_hour);
    check_alternatives(&i, &ways);
}

#[test]
fn a_long_context_that_only_the_kv_cache_refuses_names_it() {
    // Llama 3.1 70B in BF16 on two H100s: the weights fit (65 GiB of 72), a 120k-token sequence's KV does not.
    let mut i = EstimateInput::for_chip(model("llama-3.1-70b").unwrap().clone(), "h100", 2);
    (i.precision, i.input_tokens, i.output_tokens) = (Precision::Bf16, 120_000, 2_000);
    let e = estimate(&i).unwrap();
    assert!(!e.fits);
    let reason = e.reason.unwrap();
    assert!(reason.starts_with("the KV cache holds "), "{reason}");
    assert!(reason.contains("one sequence needs 122000"), "{reason}");
    let m = &e.memory;
    assert!(
        reason.contains(&format!("needs {:.1} GiB per GPU but vllm leaves 72.0 GiB", m.needed_gib_per_rank)),
        "{reason}"
    );
    assert!(m.weights_gib_per_rank < m.available_gib_per_rank && m.needed_gib_per_rank > m.available_gib_per_rank);
    assert!(m.kv_cache_needed_gib_per_rank > 10.0, "{m:?}");
    let ways = alternatives(&i, &Pricing::catalog());
    let kinds: Vec<AlternativeKind> = ways.iter().map(|a| a.kind).collect();
    assert_eq!(kinds[..2], [AlternativeKind::Precision, AlternativeKind::TensorParallel], "{ways:#?}");
    // The smallest degree that fits on H100s: four (two more devices), priced nowhere (no instance type given).
    assert_eq!((ways[1].tensor_parallel, ways[1].devices, ways[1].on_demand_usd_per_hour), (4, 4, None));
    check_alternatives(&i, &ways);
}

#[test]
fn a_model_no_single_node_holds_states_what_multi_node_serving_takes() {
    // A 1.2-trillion-parameter dense model: three times Llama 3.1 405B's layers.
    let mut spec = model("llama-3.1-405b").unwrap().clone();
    spec.layers *= 3;
    spec.name = "giant".into();
    let mut i = EstimateInput::for_instance(spec, "p5.48xlarge").unwrap();
    i.precision = Precision::Bf16;
    let e = estimate(&i).unwrap();
    assert!(!e.fits);
    let ways = alternatives(&i, &Pricing::catalog());
    assert_eq!(ways.iter().map(|a| a.kind).collect::<Vec<_>>(), [AlternativeKind::MultiNode], "{ways:#?}");
    let a = &ways[0];
    assert!(!a.fits);
    // Weights alone are about 2.2 TiB in BF16: more than eight H100s of a p5 hold, so several nodes.
    let total = a.needed_gib_total.unwrap();
    assert!(total > e.memory.weights_gib_per_rank * 8.0 && total < e.memory.weights_gib_per_rank * 8.0 + 50.0, "{a:?}");
    assert!(a.nodes.unwrap() >= 4 && a.devices >= 29, "{a:?}");
    assert!(a.change.contains("multi-node serving") && a.change.contains("not modelled"), "{}", a.change);
    // Truly nothing: no instance type of the catalog holds it in BF16.
    for t in crate::catalog::instance_types() {
        let Ok(mut j) = EstimateInput::for_instance(i.model.clone(), &t.name) else { continue };
        j.precision = Precision::Bf16;
        if let Ok(e) = estimate(&j) {
            assert!(!e.fits, "{} holds it", t.name);
        }
    }
}

#[test]
fn what_fits_has_no_alternatives() {
    let i = on_instance("llama-3-8b", "p5.48xlarge", Precision::Bf16, 1024, 256);
    assert!(estimate(&i).unwrap().fits);
    assert_eq!(alternatives(&i, &Pricing::catalog()), Vec::new());
    let e = estimate(&i).unwrap();
    assert!(e.memory.needed_gib_per_rank < e.memory.available_gib_per_rank);
    assert!(instance_type("p5.48xlarge").is_some());
}
