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

/// One estimate line through the JSON Lines contract, parsed.
fn answer(line: &str) -> serde_json::Value {
    serde_json::from_str(&lines::answer_line(line)).unwrap()
}

#[test]
fn a_request_without_precision_runs_the_published_checkpoint_and_says_so() {
    let line = |model: &str, hw: &str| {
        answer(&format!(
            r#"{{"id":"a","model":"{model}",{hw},"input_tokens":1024,"output_tokens":256,"load":{{"concurrency":1}}}}"#
        ))
    };
    // gpt-oss-120b ships MXFP4: about 60 GiB of weights, one H100 holds it (weight-only there).
    let a = line("openai/gpt-oss-120b", r#""accelerator":"h100","devices":1"#);
    assert_eq!((a["precision"].as_str(), a["fits"].as_bool()), (Some("mxfp4"), Some(true)), "{a}");
    assert!(a["notes"][0].as_str().unwrap().contains("published checkpoint's, weight-only"), "{a}");
    // In BF16 it would not.
    let bf16 = answer(
        r#"{"id":"b","model":"gpt-oss-120b","accelerator":"h100","devices":1,"precision":"bf16","input_tokens":1024,"output_tokens":256,"load":{"concurrency":1}}"#,
    );
    assert_eq!(bf16["fits"], false, "{bf16}");
    // Named precisions add no note.
    assert_eq!(bf16["notes"], serde_json::json!([]), "{bf16}");
    // DeepSeek-R1 ships FP8: 8 x H200 hold it, 8 x H100 do not.
    let h200 = line("deepseek-ai/DeepSeek-R1", r#""instance_type":"p5en.48xlarge""#);
    assert_eq!((h200["precision"].as_str(), h200["fits"].as_bool()), (Some("fp8"), Some(true)), "{h200}");
    assert_eq!(line("deepseek-r1", r#""instance_type":"p5.48xlarge""#)["fits"], false);
    // A100 has no FP8: BF16, and the note says what that costs.
    let a100 = line("deepseek-r1", r#""instance_type":"p4de.24xlarge""#);
    assert_eq!(a100["precision"], "bf16");
    assert!(a100["notes"][0].as_str().unwrap().contains("checkpoint is fp8, which a100-80gb cannot run"), "{a100}");
    // T4 has no BF16 either: FP16, as before.
    assert_eq!(line("llama-3.2-1b", r#""instance_type":"g4dn.xlarge""#)["precision"], "fp16");
}

#[test]
fn fp4_is_native_on_blackwell_and_weight_only_before_it() {
    let oss = model("gpt-oss-120b").unwrap().clone();
    let b200 = crate::catalog::accelerator("b200").unwrap();
    let h100 = crate::catalog::accelerator("h100").unwrap();
    assert_eq!(Precision::Mxfp4.peak_tflops(b200).unwrap(), 9000.0);
    assert_eq!(Precision::Mxfp4.peak_tflops(h100).unwrap(), h100.fp16_tflops);
    for chip in ["t4", "v100", "inferentia2"] {
        assert!(Precision::Nvfp4.peak_tflops(crate::catalog::accelerator(chip).unwrap()).is_err(), "{chip}");
    }
    // Same weights, faster prefill on Blackwell's FP4 units than at its BF16 rate.
    let mut i = EstimateInput::for_chip(oss.clone(), "b200", 1);
    i.precision = Precision::Mxfp4;
    i.input_tokens = 4096;
    let fp4 = build_replica(&i, FITTED).unwrap();
    assert!(fp4.prefill_compute_s(4096.0, 1.0) > 0.0);
    let bf16_rate = {
        let mut j = i.clone();
        j.precision = Precision::Bf16;
        j.devices = 2;
        build_replica(&j, FITTED).unwrap()
    };
    // (Two B200s in BF16 against one in FP4: the FP4 prefill still needs fewer device-seconds.)
    assert!(fp4.prefill_compute_s(4096.0, 1.0) < 2.0 * bf16_rate.prefill_compute_s(4096.0, 1.0));
    // MXFP4 weights take a little over half a byte.
    let weights = fp4.memory.weights_gib_per_rank;
    assert!(weights > 58.0 && weights < 62.0, "{weights}");
}

#[test]
fn latent_attention_and_sliding_windows_size_the_kv_cache_of_an_estimate() {
    // DeepSeek-R1 in FP8 with an FP8 cache: 61 layers x 576 elements x 1 byte per token.
    let mut i = EstimateInput::for_instance(model("deepseek-r1").unwrap().clone(), "p5en.48xlarge").unwrap();
    i.precision = Precision::Fp8;
    let r = build_replica(&i, FITTED).unwrap();
    assert_eq!(r.memory.kv_bytes_per_token, 61.0 * 576.0);
    assert!(r.memory.fits, "{:?}", r.memory.reason);
    // gpt-oss-20b at 32k tokens per request: the sliding half of its layers keeps 128 tokens, so the
    // same memory holds almost twice the sequences it would with full attention everywhere.
    let oss = model("gpt-oss-20b").unwrap().clone();
    let mut full = oss.clone();
    full.sliding_window = 0;
    let at = |m: ModelSpec| {
        let mut i = EstimateInput::for_chip(m, "l40s", 1);
        i.precision = Precision::Mxfp4;
        i.input_tokens = 30_000;
        i.output_tokens = 2_000;
        build_replica(&i, FITTED).unwrap()
    };
    let (sliding, everywhere) = (at(oss), at(full));
    let ratio = sliding.memory.max_concurrent_sequences as f64 / everywhere.memory.max_concurrent_sequences as f64;
    assert!(ratio > 1.9 && ratio < 2.05, "{ratio}");
    // And each decode step reads less KV.
    assert!(sliding.decode_step_s(8.0, 31_000.0) < everywhere.decode_step_s(8.0, 31_000.0));
    // Short sequences inside the window are unchanged.
    assert_eq!(sliding.decode_step_s(8.0, 100.0), everywhere.decode_step_s(8.0, 100.0));
}
