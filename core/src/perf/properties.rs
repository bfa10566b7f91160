//! Property tests of the performance model over many pseudo-random configurations (a fixed-seed
//! generator, so failures reproduce): no NaN or infinity anywhere; more load never lowers latency;
//! more device memory never lowers KV capacity; a faster chip never decodes slower; nothing beats the
//! roofline. Every catalog model answers on every contract chip.

use super::*;
use crate::catalog::{accelerators, models, Accelerator};
use crate::sim::rng::Rng;

fn chips() -> Vec<&'static Accelerator> {
    accelerators().iter().filter(|a| a.id != "inferentia").collect()
}

/// A random input that the model accepts (fits or not), or `None` after a few tries.
fn random_input(rng: &mut Rng) -> Option<EstimateInput> {
    for _ in 0..50 {
        let m = rng.pick(models()).spec.clone();
        let chip = *rng.pick(&chips());
        let devices = *rng.pick(&[1u32, 2, 4, 8]);
        let mut input = EstimateInput::for_chip(m, &chip.id, devices);
        input.precision = *rng.pick(&Precision::ALL);
        input.engine = Some(*rng.pick(&Engine::ALL));
        input.input_tokens = 1 + rng.below(4096) as u32;
        input.output_tokens = 1 + rng.below(2048) as u32;
        input.load = match rng.below(4) {
            0 => Load::BatchSize(1 + rng.below(64) as u32),
            1 => Load::Concurrency(1 + rng.below(256) as u32),
            2 => Load::RequestRate(0.01 + rng.below(10_000) as f64 / 100.0),
            _ => Load::Offline,
        };
        if estimate(&input).is_ok() {
            return Some(input);
        }
    }
    None
}

fn all_numbers(e: &Estimate) -> Vec<f64> {
    let mut v = vec![
        e.output_tokens_per_s,
        e.total_tokens_per_s,
        e.requests_per_s,
        e.capacity_requests_per_s,
        e.running_sequences,
        e.kv_cache_usage_fraction,
        e.memory.rank_memory_gib,
        e.memory.weights_gib_per_rank,
        e.memory.workspace_gib_per_rank,
        e.memory.kv_cache_gib_per_rank,
        e.memory.kv_bytes_per_token,
    ];
    for p in [e.ttft_ms, e.tpot_ms, e.e2e_latency_ms].into_iter().flatten() {
        v.extend([p.p50, p.p90, p.p99]);
    }
    v.extend(e.waiting_requests);
    assert_eq!(e.waiting_requests.is_none(), e.saturated);
    v
}

#[test]
fn no_nan_or_infinity() {
    let mut rng = Rng::new(1);
    let mut checked = 0;
    for _ in 0..3000 {
        let Some(input) = random_input(&mut rng) else { continue };
        let e = estimate(&input).unwrap();
        for x in all_numbers(&e) {
            assert!(x.is_finite() && x >= 0.0, "{x} in {e:?} for {input:?}");
        }
        if e.fits && !e.saturated {
            assert!(e.ttft_ms.is_some() && e.tpot_ms.is_some() && e.e2e_latency_ms.is_some(), "{input:?}");
            let t = e.ttft_ms.unwrap();
            assert!(t.p50 <= t.p90 && t.p90 <= t.p99, "{t:?}");
        }
        if e.saturated {
            assert!(e.ttft_ms.is_none(), "a saturated replica has no finite latency");
        }
        checked += 1;
    }
    assert!(checked > 1000, "{checked}");
}

fn latencies(input: &EstimateInput) -> Option<[f64; 9]> {
    let e = estimate(input).ok()?;
    let (t, p, x) = (e.ttft_ms?, e.tpot_ms?, e.e2e_latency_ms?);
    Some([t.p50, t.p90, t.p99, p.p50, p.p90, p.p99, x.p50, x.p90, x.p99])
}

#[test]
fn more_load_never_lowers_latency() {
    let mut rng = Rng::new(2);
    for _ in 0..1500 {
        let Some(mut input) = random_input(&mut rng) else { continue };
        let kind = rng.below(3);
        let (a, b) = (1 + rng.below(200), 1 + rng.below(200));
        let (lo, hi) = (a.min(b), a.max(b));
        let make = |n: u64| match kind {
            0 => Load::BatchSize(n as u32),
            1 => Load::Concurrency(n as u32),
            _ => Load::RequestRate(n as f64 / 20.0),
        };
        input.load = make(lo);
        let Some(low) = latencies(&input) else { continue };
        input.load = make(hi);
        let Some(high) = latencies(&input) else { continue };
        for (l, h) in low.iter().zip(high.iter()) {
            assert!(h >= &(l * (1.0 - 1e-9)), "load {lo} -> {hi} lowered latency {l} -> {h}: {input:?}");
        }
    }
}

#[test]
fn more_memory_never_lowers_kv_capacity() {
    let mut rng = Rng::new(3);
    for _ in 0..1500 {
        let Some(mut input) = random_input(&mut rng) else { continue };
        let chip = crate::catalog::accelerator(&input.accelerator).unwrap();
        let base = chip.usable_memory_mib;
        let (a, b) = (base / 2 + rng.below(base), base / 2 + rng.below(base));
        input.device_memory_mib = Some(a.min(b));
        let small = estimate(&input).unwrap();
        input.device_memory_mib = Some(a.max(b));
        let large = estimate(&input).unwrap();
        assert!(large.kv_cache_capacity_tokens >= small.kv_cache_capacity_tokens, "{input:?}");
        assert!(large.max_concurrent_sequences >= small.max_concurrent_sequences, "{input:?}");
        assert!(large.fits || !small.fits, "more memory made it stop fitting: {input:?}");
    }
}

#[test]
fn faster_chip_never_decodes_slower_and_nothing_beats_the_roofline() {
    let mut rng = Rng::new(4);
    for _ in 0..800 {
        let Some(input) = random_input(&mut rng) else { continue };
        let chip = crate::catalog::accelerator(&input.accelerator).unwrap();
        let mut fast = chip.clone();
        let (kb, kc) = (1.0 + rng.below(100) as f64 / 50.0, 1.0 + rng.below(100) as f64 / 50.0);
        fast.memory_bandwidth_gb_per_s *= kb;
        fast.fp16_tflops *= kc;
        fast.fp8_tflops = fast.fp8_tflops.map(|x| x * kc);
        fast.interconnect_gb_per_s *= kb;
        let fast: &'static Accelerator = Box::leak(Box::new(fast));
        let cfg = |chip: &'static Accelerator| ReplicaConfig {
            model: &input.model,
            chip,
            devices: input.devices,
            device_memory_mib: None,
            tensor_parallel: input.tensor_parallel,
            precision: input.precision,
            engine: input.engine,
            input_tokens: input.input_tokens,
            output_tokens: input.output_tokens,
            table: FITTED,
        };
        let (Ok(slow_r), Ok(fast_r)) = (Replica::new(&cfg(chip)), Replica::new(&cfg(fast))) else { continue };
        for batch in [1.0, 4.0, 32.0, 256.0] {
            let ctx = slow_r.decode_context_tokens();
            let (s, f) = (slow_r.decode_step_s(batch, ctx), fast_r.decode_step_s(batch, ctx));
            assert!(f <= s * (1.0 + 1e-12), "faster chip decodes slower: {s} -> {f} ({input:?})");
            assert!(s >= slow_r.roofline_decode_step_s(), "decode beats the bandwidth roofline: {input:?}");
        }
        if slow_r.memory.fits {
            let (a, b) = (evaluate(&slow_r, input.load), evaluate(&fast_r, input.load));
            if let (Some(x), Some(y)) = (a.tpot_ms, b.tpot_ms) {
                assert!(y.p50 <= x.p50 * (1.0 + 1e-9), "{input:?}");
            }
        }
    }
}

#[test]
fn every_catalog_model_answers_on_every_contract_chip() {
    let contract = crate::catalog::CONTRACT_CHIP_IDS;
    for m in models() {
        for chip in contract {
            let answered = [1u32, 2, 4, 8].into_iter().any(|devices| {
                let mut input = EstimateInput::for_chip(m.spec.clone(), chip, devices);
                input.load = Load::Concurrency(8);
                estimate(&input).is_ok()
            });
            assert!(answered, "{} on {chip}: no device count gives an answer", m.spec.id);
        }
    }
}
