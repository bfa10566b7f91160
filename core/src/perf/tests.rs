//! Unit tests of the performance model: worked examples and physical limits.

use super::*;
use crate::catalog::model;

fn input(model_name: &str, chip: &str, devices: u32) -> EstimateInput {
    EstimateInput::for_chip(model(model_name).unwrap().clone(), chip, devices)
}

#[test]
fn llama3_8b_on_one_h100_is_sane() {
    let mut i = input("llama-3-8b", "h100", 1);
    i.load = Load::BatchSize(1);
    let e = estimate(&i).unwrap();
    assert!(e.fits, "{e:?}");
    let tpot = e.tpot_ms.unwrap().p50;
    // 16 GB of weights at 3.35 TB/s is 4.8 ms: the estimate is above the roofline, within reason.
    assert!(tpot > 4.8 && tpot < 15.0, "{tpot}");
}

#[test]
fn seventy_b_does_not_fit_on_one_a10g() {
    let e = estimate(&input("llama-2-70b", "a10g", 1)).unwrap();
    assert!(!e.fits);
    assert!(e.reason.unwrap().contains("weights and workspace leave no room"));
}

#[test]
fn saturation_is_reported_not_a_latency() {
    let mut i = input("llama-3-8b", "a10g", 1);
    i.load = Load::RequestRate(1e6);
    let e = estimate(&i).unwrap();
    assert!(e.saturated);
    assert!(e.ttft_ms.is_none() && e.e2e_latency_ms.is_none());
    assert!(e.output_tokens_per_s > 0.0);
}

#[test]
fn open_loop_ttft_grows_towards_capacity() {
    let mut i = input("llama-3-8b", "h100", 1);
    i.load = Load::Offline;
    let cap = estimate(&i).unwrap().capacity_requests_per_s;
    let ttft = |frac: f64| {
        let mut j = i.clone();
        j.load = Load::RequestRate(cap * frac);
        estimate(&j).unwrap().ttft_ms.unwrap().p99
    };
    assert!(ttft(0.5) < ttft(0.9) && ttft(0.9) < ttft(0.99));
    assert!(ttft(0.999) > 5.0 * ttft(0.5));
}

#[test]
fn errors_name_the_field() {
    let mut i = input("llama-3-8b", "h100", 1);
    i.tensor_parallel = Some(3);
    assert_eq!(estimate(&i).unwrap_err().field, "tensor_parallel");
    let mut i = input("llama-3-8b", "t4", 1);
    i.precision = Precision::Bf16;
    assert_eq!(estimate(&i).unwrap_err().field, "precision");
    let mut i = input("llama-3-8b", "h100", 1);
    i.input_tokens = 9000;
    assert_eq!(estimate(&i).unwrap_err().field, "input_tokens");
    let i = input("llama-3-8b", "tpu", 1);
    assert_eq!(estimate(&i).unwrap_err().field, "accelerator");
}

#[test]
fn planning_figures() {
    let i = EstimateInput::for_instance(model("llama-3-8b").unwrap().clone(), "g6e.xlarge").unwrap();
    let slos = [
        Slo { metric: SloMetric::TtftMs, percentile: 0.95, limit_ms: 1000.0 },
        Slo { metric: SloMetric::TpotMs, percentile: 0.95, limit_ms: 50.0 },
    ];
    let r = max_request_rate_within_slos(&i, &slos).unwrap();
    assert!(r.requests_per_s > 0.0 && r.requests_per_s < r.capacity_requests_per_s, "{r:?}");
    let n = replicas_for_rate(&i, r.requests_per_s * 3.5, &slos).unwrap();
    assert_eq!(n, 4);
    let mut j = i.clone();
    j.load = Load::RequestRate(r.requests_per_s);
    let e = estimate(&j).unwrap();
    let costs = cost_figures(&crate::catalog::PriceBook::catalog(), "g6e.xlarge", "us-east-1", e.devices_used, &e);
    assert!(costs.iter().any(|c| c.capacity_type == crate::catalog::CapacityType::Spot));
    assert!(costs.iter().all(|c| c.usd_per_million_output_tokens.unwrap() > 0.0));
}

#[test]
fn neuron_counts_neuroncores() {
    let mut i = EstimateInput::for_instance(model("llama-3-70b").unwrap().clone(), "inf2.48xlarge").unwrap();
    i.load = Load::BatchSize(1);
    let e = estimate(&i).unwrap();
    assert_eq!((e.tensor_parallel, e.devices_used, e.engine), (24, 12, Engine::Neuron));
    assert!(e.fits, "{e:?}");
}

#[test]
fn default_tensor_parallel_falls_back_to_a_valid_degree_and_says_so() {
    // Qwen2 7B: 28 attention heads, 4 KV heads. 8 does not divide 28; 7 divides 28 but not the KV
    // heads; 4 is the largest valid degree.
    let e = estimate(&input("qwen2-7b", "h100", 8)).unwrap();
    assert_eq!(e.tensor_parallel, 4);
    assert_eq!(e.devices_used, 4);
    assert!(e.notes.iter().any(|n| n.contains("tensor_parallel 4")), "{:?}", e.notes);
    // A degree that divides: all devices, no note.
    let e = estimate(&input("llama-3-8b", "h100", 8)).unwrap();
    assert_eq!(e.tensor_parallel, 8);
    assert!(e.notes.is_empty());
    // An explicit invalid degree stays an error naming the field.
    let mut i = input("qwen2-7b", "h100", 8);
    i.tensor_parallel = Some(8);
    let err = estimate(&i).unwrap_err();
    assert_eq!(err.field, "tensor_parallel");
}
