//! Serving: what one replica can do (filled in by the performance model), and the per-step queue.
//!
//! The simulator asks the performance model once per deployment, before the run, for a
//! [`ServiceProfile`]: a replica's saturated request rate, its concurrency and KV-cache use, and its
//! latency percentiles at 101 utilisation points. Each step then costs a table lookup, so a week at
//! one-second steps stays within the benchmark budget whatever the model costs.
//!
//! Until `perf` offers it, [`FirstOrderReplica`] stands in: a decode step reads the weights and the
//! batch's KV cache at the chip's memory bandwidth, a prefill runs at the chip's dense FLOP rate, and
//! queueing inside the engine follows an M/M/1-like `ρ / (1 − ρ)` term. It is a clearly labelled
//! first-order estimate, not the calibrated model.

use serde::{Deserialize, Serialize};

/// Latency percentiles of one replica at one utilisation, milliseconds, excluding gateway queueing.
/// A p99 below its p95 (a profile written before p99 was recorded) stands for the straight
/// continuation of the p50→p95 line, the tail the simulator assumed before (see [`Band::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LatencyPoint {
    pub ttft_p50_ms: f64,
    pub ttft_p95_ms: f64,
    pub tpot_p50_ms: f64,
    pub tpot_p95_ms: f64,
    #[serde(default)]
    pub ttft_p99_ms: f64,
    #[serde(default)]
    pub tpot_p99_ms: f64,
    /// Mean sequences decoding at once (`vllm:num_requests_running`).
    #[serde(default)]
    pub running_requests: f64,
    /// Mean share of the KV cache in use, 0–1 (`vllm:kv_cache_usage_perc`).
    #[serde(default)]
    pub kv_cache_usage: f64,
}

impl LatencyPoint {
    /// TTFT's p50, p95 and p99.
    pub fn ttft(&self) -> Band {
        Band::of(self.ttft_p50_ms, self.ttft_p95_ms, self.ttft_p99_ms)
    }

    /// TPOT's p50, p95 and p99.
    pub fn tpot(&self) -> Band {
        Band::of(self.tpot_p50_ms, self.tpot_p95_ms, self.tpot_p99_ms)
    }
}

/// A latency's p50, p95 and p99, milliseconds: the knots of the distribution the simulator assumes
/// within a step (see [`Band::cdf_knots`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Band {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

impl Band {
    /// A band from its percentiles, made monotonic; a p99 below the p95 (unknown) becomes the
    /// continuation of the p50→p95 line (p95 + 1.6 × (p95 − p50)).
    pub fn of(p50_ms: f64, p95_ms: f64, p99_ms: f64) -> Band {
        let p95_ms = p95_ms.max(p50_ms);
        let p99_ms = if p99_ms < p95_ms { p95_ms + 1.6 * (p95_ms - p50_ms) } else { p99_ms };
        Band { p50_ms, p95_ms, p99_ms }
    }

    /// Every percentile plus `ms` (a wait in a queue, a stage before this one).
    pub fn plus(self, ms: f64) -> Band {
        Band { p50_ms: self.p50_ms + ms, p95_ms: self.p95_ms + ms, p99_ms: self.p99_ms + ms }
    }

    /// `self + steps × other` percentile by percentile (end-to-end = TTFT + (output − 1) × TPOT, as
    /// the static bands add them).
    pub fn plus_steps(self, steps: f64, other: Band) -> Band {
        Band {
            p50_ms: self.p50_ms + steps * other.p50_ms,
            p95_ms: self.p95_ms + steps * other.p95_ms,
            p99_ms: self.p99_ms + steps * other.p99_ms,
        }
    }

    /// The piecewise-linear CDF through (0.4 × p50, 0), (p50, 0.5), (p95, 0.95), (p99, 0.99) and
    /// (p99 + (p99 − p95) / 4, 1): the last segment continues the p95→p99 slope.
    pub fn cdf_knots(&self) -> [(f64, f64); 5] {
        [
            (0.4 * self.p50_ms, 0.0),
            (self.p50_ms, 0.5),
            (self.p95_ms, 0.95),
            (self.p99_ms, 0.99),
            (self.p99_ms + (self.p99_ms - self.p95_ms) / 4.0, 1.0),
        ]
    }
}

/// What the performance model tells the simulator about one replica of a deployment.
pub trait ReplicaPerformance {
    /// Requests per second one replica completes when saturated.
    fn capacity_requests_per_s(&self, input_tokens: f64, output_tokens: f64) -> f64;
    /// Concurrent sequences at saturation (`--max-num-seqs` or the KV-cache bound).
    fn max_running_requests(&self, input_tokens: f64, output_tokens: f64) -> f64;
    /// Latency at a utilisation (arrival rate over capacity, 0–1).
    fn latency_at(&self, utilization: f64, input_tokens: f64, output_tokens: f64) -> LatencyPoint;
    /// Where the figures come from, shown to the user.
    fn source(&self) -> String;
}

/// Points in the latency table: utilisation 0, 0.01, …, 1.0. One point per percent keeps the linear
/// interpolation within a few percent of the model where latency bends (a decode batch leaving its
/// floor of one sequence, a queue near saturation).
pub const CURVE_POINTS: usize = 101;
/// The table stops short of 1.0, where queueing terms diverge; the fluid queue takes over above it.
const MAX_TABLE_UTILIZATION: f64 = 0.99;
/// The stand-in's M/M/1-like term is capped lower (it is no model of the tail near saturation).
const STAND_IN_MAX_UTILIZATION: f64 = 0.97;

/// A replica's serving figures, sampled from a [`ReplicaPerformance`] before the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceProfile {
    pub capacity_requests_per_s: f64,
    pub max_running_requests: f64,
    pub reference_input_tokens: f64,
    pub reference_output_tokens: f64,
    /// Latency at utilisation `i / (CURVE_POINTS - 1)`, capped at 0.99.
    pub curve: Vec<LatencyPoint>,
    pub source: String,
}

impl ServiceProfile {
    pub fn sample(model: &dyn ReplicaPerformance, input_tokens: f64, output_tokens: f64) -> ServiceProfile {
        let max_running = model.max_running_requests(input_tokens, output_tokens).max(1.0);
        let curve = (0..CURVE_POINTS)
            .map(|i| {
                let u = (i as f64 / (CURVE_POINTS - 1) as f64).min(MAX_TABLE_UTILIZATION);
                model.latency_at(u, input_tokens, output_tokens)
            })
            .collect();
        ServiceProfile {
            capacity_requests_per_s: model.capacity_requests_per_s(input_tokens, output_tokens).max(0.0),
            max_running_requests: max_running,
            reference_input_tokens: input_tokens,
            reference_output_tokens: output_tokens,
            curve,
            source: model.source(),
        }
    }

    /// Latency at a utilisation, linear between table points.
    pub fn latency(&self, utilization: f64) -> LatencyPoint {
        let (i, f) = self.position(utilization);
        self.latency_at(i, f)
    }

    /// The table point at or below a utilisation and the fraction of the way to the next one.
    pub(crate) fn position(&self, utilization: f64) -> (usize, f64) {
        let n = self.curve.len().max(1);
        let x = utilization.clamp(0.0, 1.0) * (n - 1) as f64;
        let i = (x as i64 as usize).min(n - 1);
        (i, x - i as f64)
    }

    pub(crate) fn latency_at(&self, i: usize, f: f64) -> LatencyPoint {
        let n = self.curve.len();
        if n == 0 {
            return LatencyPoint::default();
        }
        let j = (i + 1).min(n - 1);
        let (a, b) = (&self.curve[i.min(n - 1)], &self.curve[j]);
        let lerp = |p: f64, q: f64| p + (q - p) * f;
        LatencyPoint {
            ttft_p50_ms: lerp(a.ttft_p50_ms, b.ttft_p50_ms),
            ttft_p95_ms: lerp(a.ttft_p95_ms, b.ttft_p95_ms),
            tpot_p50_ms: lerp(a.tpot_p50_ms, b.tpot_p50_ms),
            tpot_p95_ms: lerp(a.tpot_p95_ms, b.tpot_p95_ms),
            ttft_p99_ms: lerp(a.ttft().p99_ms, b.ttft().p99_ms),
            tpot_p99_ms: lerp(a.tpot().p99_ms, b.tpot().p99_ms),
            running_requests: lerp(a.running_requests, b.running_requests),
            kv_cache_usage: lerp(a.kv_cache_usage, b.kv_cache_usage),
        }
    }
}

/// Accelerator figures the stand-in needs, per device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChipFigures {
    pub memory_gib: f64,
    pub memory_bandwidth_gb_per_s: f64,
    pub dense_bf16_tflops: f64,
}

/// Per-chip figures from `shared/reference/accelerators.tsv` (bandwidth and memory as vendors quote
/// them; dense BF16 where listed, else an estimate noted here). Keys are Karpenter's
/// `instance-gpu-name` / accelerator names, lower case.
pub fn chip_figures(accelerator_name: &str) -> Option<ChipFigures> {
    let (memory_gib, bw, tflops) = match accelerator_name.to_ascii_lowercase().as_str() {
        "t4" => (16.0, 320.0, 65.0),
        // A10G: no vendor compute figure is published; 70 TFLOPS is the A10's dense BF16 figure scaled down.
        "a10g" => (24.0, 600.0, 70.0),
        "l4" => (24.0, 300.0, 121.0),
        "l40s" => (48.0, 864.0, 362.0),
        "v100" => (16.0, 900.0, 125.0),
        "a100" => (40.0, 1555.0, 312.0),
        "h100" => (80.0, 3350.0, 989.0),
        "h200" => (141.0, 4800.0, 989.0),
        "b200" => (180.0, 8000.0, 2250.0),
        "inferentia2" => (32.0, 820.0, 190.0),
        "trainium" => (32.0, 820.0, 190.0),
        "trainium2" => (96.0, 2900.0, 667.0),
        _ => return None,
    };
    Some(ChipFigures { memory_gib, memory_bandwidth_gb_per_s: bw, dense_bf16_tflops: tflops })
}

/// The first-order stand-in for the performance model (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirstOrderReplica {
    /// Parameters held in memory, billions.
    pub total_params_b: f64,
    /// Parameters used per token, billions (differs from the total for mixtures of experts).
    pub active_params_b: f64,
    pub bytes_per_param: f64,
    /// KV cache per token, bytes (2 × layers × kv heads × head dim × bytes per element).
    pub kv_bytes_per_token: f64,
    pub devices: u32,
    pub chip: ChipFigures,
    /// Achieved fraction of peak bandwidth and FLOPs.
    pub efficiency: f64,
    /// Fixed per-decode-step overhead, milliseconds.
    pub step_overhead_ms: f64,
    /// `--max-num-seqs` (vLLM default 256; 128 is common for 24 GiB cards).
    pub max_num_seqs: f64,
    /// `--gpu-memory-utilization` (vLLM default 0.9).
    pub gpu_memory_utilization: f64,
}

impl FirstOrderReplica {
    fn weights_bytes(&self) -> f64 {
        self.total_params_b * 1e9 * self.bytes_per_param
    }

    /// Sequences the KV cache and `max_num_seqs` allow, at the mean live context.
    fn batch_limit(&self, input_tokens: f64, output_tokens: f64) -> f64 {
        let memory = self.chip.memory_gib * crate::units::BYTES_PER_GIB * self.devices as f64;
        let free = memory * self.gpu_memory_utilization - self.weights_bytes();
        let live_context = input_tokens + output_tokens / 2.0;
        let kv_sequences = free / (self.kv_bytes_per_token * live_context).max(1.0);
        kv_sequences.min(self.max_num_seqs).max(if free > 0.0 { 1.0 } else { 0.0 })
    }

    fn decode_step_s(&self, batch: f64, input_tokens: f64, output_tokens: f64) -> f64 {
        let live_context = input_tokens + output_tokens / 2.0;
        let bytes = self.weights_bytes() + batch * live_context * self.kv_bytes_per_token;
        let bandwidth = self.chip.memory_bandwidth_gb_per_s * 1e9 * self.devices as f64 * self.efficiency;
        bytes / bandwidth.max(1.0) + self.step_overhead_ms / 1000.0
    }

    fn prefill_s(&self, input_tokens: f64) -> f64 {
        let flops = 2.0 * self.active_params_b * 1e9 * input_tokens;
        flops / (self.chip.dense_bf16_tflops * 1e12 * self.devices as f64 * self.efficiency).max(1.0)
    }
}

impl ReplicaPerformance for FirstOrderReplica {
    fn capacity_requests_per_s(&self, input_tokens: f64, output_tokens: f64) -> f64 {
        let batch = self.batch_limit(input_tokens, output_tokens);
        if batch <= 0.0 {
            return 0.0;
        }
        // Per request: its share of decode steps at the full batch, plus its own prefill.
        let per_request_s = output_tokens * self.decode_step_s(batch, input_tokens, output_tokens) / batch
            + self.prefill_s(input_tokens);
        1.0 / per_request_s.max(1e-9)
    }

    fn max_running_requests(&self, input_tokens: f64, output_tokens: f64) -> f64 {
        self.batch_limit(input_tokens, output_tokens)
    }

    fn latency_at(&self, utilization: f64, input_tokens: f64, output_tokens: f64) -> LatencyPoint {
        let u = utilization.clamp(0.0, STAND_IN_MAX_UTILIZATION);
        let batch = (self.batch_limit(input_tokens, output_tokens) * u).max(1.0);
        let tpot_s = self.decode_step_s(batch, input_tokens, output_tokens);
        let prefill_s = self.prefill_s(input_tokens);
        // Waiting for a prefill slot behind other prefills and decode steps, M/M/1-like.
        let wait_mean_s = (prefill_s + tpot_s) * u / (1.0 - u);
        let ttft_p50_s = prefill_s + tpot_s + wait_mean_s * std::f64::consts::LN_2;
        // The exponential tail: p95 of the wait is ln(20) ≈ 3.0 times its mean.
        let ttft_p95_s = prefill_s * 1.2 + tpot_s + wait_mean_s * 20f64.ln();
        let limit = self.batch_limit(input_tokens, output_tokens).max(1.0);
        LatencyPoint {
            ttft_p50_ms: ttft_p50_s * 1000.0,
            ttft_p95_ms: ttft_p95_s * 1000.0,
            tpot_p50_ms: tpot_s * 1000.0,
            // Steps that carry a chunked prefill run longer.
            tpot_p95_ms: tpot_s * 1000.0 * (1.0 + 0.3 * u),
            // No p99 of its own: the continuation of the p50→p95 line (`Band::of`).
            ttft_p99_ms: 0.0,
            tpot_p99_ms: 0.0,
            running_requests: limit * u,
            kv_cache_usage: u,
        }
    }

    fn source(&self) -> String {
        "first-order stand-in (weights and KV cache over memory bandwidth, prefill over dense FLOPs, \
         M/M/1 queueing); replaced by the calibrated perf model when it lands"
            .to_string()
    }
}

/// The fraction of a latency distribution at or below `limit_ms`, given its band: the piecewise
/// linear CDF through [`Band::cdf_knots`].
pub fn fraction_within(limit_ms: f64, band: Band) -> f64 {
    let knots = band.cdf_knots();
    if limit_ms >= knots[4].0 {
        return 1.0;
    }
    for w in knots.windows(2).rev() {
        let ((x0, f0), (x1, f1)) = (w[0], w[1]);
        if limit_ms >= x0 {
            return f0 + (f1 - f0) * (limit_ms - x0) / (x1 - x0).max(1e-9);
        }
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn llama8b_a10g() -> FirstOrderReplica {
        FirstOrderReplica {
            total_params_b: 8.0,
            active_params_b: 8.0,
            bytes_per_param: 2.0,
            kv_bytes_per_token: 131072.0,
            devices: 1,
            chip: chip_figures("a10g").unwrap(),
            efficiency: 0.6,
            step_overhead_ms: 5.0,
            max_num_seqs: 256.0,
            gpu_memory_utilization: 0.9,
        }
    }

    #[test]
    fn stand_in_gives_plausible_llama8b_on_a10g() {
        let m = llama8b_a10g();
        let p = ServiceProfile::sample(&m, 1024.0, 256.0);
        // One A10G holds about 5.6 GiB of KV cache beyond 16 GB of weights: a few dozen sequences.
        assert!(p.max_running_requests > 10.0 && p.max_running_requests < 60.0, "{}", p.max_running_requests);
        assert!(p.capacity_requests_per_s > 0.3 && p.capacity_requests_per_s < 5.0, "{}", p.capacity_requests_per_s);
        let idle = p.latency(0.0);
        let busy = p.latency(0.9);
        assert!(idle.tpot_p50_ms > 20.0 && idle.tpot_p50_ms < 80.0, "{idle:?}");
        assert!(busy.ttft_p95_ms > idle.ttft_p95_ms && busy.tpot_p50_ms > idle.tpot_p50_ms);
        assert!(busy.ttft_p95_ms >= busy.ttft_p50_ms);
    }

    #[test]
    fn fraction_within_is_a_cdf() {
        let band = Band::of(100.0, 300.0, 0.0);
        assert_eq!(fraction_within(0.0, band), 0.0);
        assert!((fraction_within(100.0, band) - 0.5).abs() < 1e-12);
        assert!((fraction_within(300.0, band) - 0.95).abs() < 1e-12);
        // Without a p99, the tail is the p50→p95 line continued to 1 at p95 + 2 × (p95 − p50).
        assert!((fraction_within(620.0, band) - 0.99).abs() < 1e-12);
        assert_eq!(fraction_within(700.0, band), 1.0);
        let with_p99 = Band::of(100.0, 300.0, 400.0);
        assert!((fraction_within(400.0, with_p99) - 0.99).abs() < 1e-12);
        assert!((fraction_within(350.0, with_p99) - 0.97).abs() < 1e-12);
        assert_eq!(fraction_within(425.0, with_p99), 1.0);
        let mut last = 0.0;
        for l in 0..800 {
            let f = fraction_within(l as f64, band);
            assert!(f >= last);
            last = f;
        }
    }
}
