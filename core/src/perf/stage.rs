//! Prefill/decode disaggregation stages: a prefill replica that only prefills and ships the KV cache
//! to a decode replica, and a decode replica that only decodes. Shared by the optimiser
//! (`optimize::disagg`), placement's sizing and the linter.
//!
//! Model (built on `Replica`'s timing):
//! - Prefill replica: an M/G/1 queue of whole-prompt prefills. Service time of a class = one prefill of
//!   its prompt plus the per-request overhead; the mean wait is Pollaczek–Khinchine's
//!   λ·E[S²] / (2(1 − ρ)) and its tail is taken as exponential beyond the probability ρ of waiting.
//!   TTFT = wait quantile + service + KV transfer (prompt tokens × KV bytes per token over the slower
//!   of the two replicas' network share, at half the nominal bandwidth).
//! - Decode replica: no prefills interleaved; the running batch fluctuates around its mean like a
//!   Poisson count (as on a monolithic replica), so TPOT at quantile q is the step at the batch's
//!   q-quantile. The mean batch grows until the step at the quantile each TPOT SLO names reaches its
//!   limit, or the KV cache is full; rate = mean batch / ((output − 1) × step at the mean). Beyond
//!   that batch the TPOT SLO is missed; at the KV-cache limit the stage is saturated.
//! - End-to-end at quantile q = TTFT at q + (output − 1) × TPOT at q.
//!
//! A stage at or above its capacity is reported as saturated (latencies `None`), never as a finite
//! latency.

use serde::Serialize;

use super::queueing::batch_quantile;
use super::{Percentiles, Replica, Slo, SloMetric};
use crate::catalog::InstanceType;

/// Share of a NIC's nominal bandwidth a KV-cache transfer gets.
pub const NETWORK_EFFICIENCY: f64 = 0.5;

/// The quantiles stage figures report (p50, p90, p99).
const QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

/// Network bytes/s one replica of `devices_per_replica` devices gets on an instance type for KV
/// transfers (its share of the NIC, at `NETWORK_EFFICIENCY`).
pub fn kv_network_bytes_per_s(instance: &InstanceType, devices_per_replica: u32) -> f64 {
    let share = devices_per_replica as f64 / instance.accelerator_count.max(1) as f64;
    instance.network_bandwidth_mbps as f64 * 1e6 / 8.0 * share.min(1.0) * NETWORK_EFFICIENCY
}

/// A TPOT SLO as the decode stage is sized against it: the limit, seconds, at quantile `quantile`
/// (0.95 for p95).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TpotLimit {
    pub limit_s: f64,
    pub quantile: f64,
}

impl TpotLimit {
    /// The TPOT SLOs among `slos`.
    pub fn of(slos: &[Slo]) -> Vec<TpotLimit> {
        slos.iter()
            .filter(|s| s.metric == SloMetric::TpotMs)
            .map(|s| TpotLimit { limit_s: s.limit_ms / 1e3, quantile: s.percentile })
            .collect()
    }
}

/// One request class on one stage replica (prefill timing and decode batch, built once).
#[derive(Debug, Clone)]
pub struct StageClass {
    /// Prefill: service time (prefill + request overhead), seconds.
    pub prefill_s: f64,
    /// KV bytes of the prompt.
    pub kv_bytes: f64,
    /// Decode: the mean batch at which the step at a TPOT SLO's quantile reaches its limit (or the
    /// KV cache is full).
    pub decode_batch: f64,
    /// Decode: the most sequences the KV cache holds.
    pub max_batch: f64,
    /// Decode: requests/s one replica completes at `decode_batch`.
    pub decode_requests_per_s: f64,
    /// Decode: whether a single sequence's step meets every TPOT limit (true without one).
    pub meets_tpot_alone: bool,
    pub output_tokens: u32,
    pub replica: Replica,
    pub context_tokens: f64,
}

impl StageClass {
    /// A class of `input_tokens` in, `output_tokens` out on a built replica, with the mean decode
    /// batch grown until the step at some TPOT limit's quantile reaches that limit (or the KV cache
    /// is full). A limit that even one sequence misses leaves a batch of 1 with
    /// `meets_tpot_alone: false`.
    pub fn new(replica: Replica, input_tokens: u32, output_tokens: u32, tpot_limits: &[TpotLimit]) -> StageClass {
        let context = input_tokens as f64 + output_tokens as f64 / 2.0;
        let max_batch = replica.memory.max_concurrent_sequences.max(1) as f64;
        let step_at = |b: f64, q: f64| replica.decode_step_s(batch_quantile(b, q, max_batch), context);
        let fits = |b: f64| tpot_limits.iter().all(|l| step_at(b, l.quantile) <= l.limit_s);
        let meets_tpot_alone = tpot_limits.iter().all(|l| replica.decode_step_s(1.0, context) <= l.limit_s);
        // Largest mean batch within the TPOT limits (steps grow with the batch).
        let (mut lo, mut hi) = (1.0f64, max_batch);
        if fits(hi) {
            lo = hi;
        }
        while meets_tpot_alone && hi - lo > 1.0 {
            let mid = ((lo + hi) / 2.0).floor();
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let step = replica.decode_step_s(lo, context);
        let steps = decode_steps(output_tokens.max(2));
        StageClass {
            prefill_s: replica.prefill_s(input_tokens as f64, 1.0) + replica.request_overhead_s,
            kv_bytes: input_tokens as f64 * replica.memory.kv_bytes_per_token,
            decode_batch: lo,
            max_batch,
            decode_requests_per_s: lo / (steps * step),
            meets_tpot_alone,
            output_tokens,
            replica,
            context_tokens: context,
        }
    }

    /// TPOT at quantile `q` with the mean batch at a fraction `u` of the decode batch, seconds.
    pub fn tpot_s(&self, u: f64, q: f64) -> f64 {
        let mean = (self.decode_batch * u).clamp(1.0, self.max_batch);
        self.replica.decode_step_s(batch_quantile(mean, q, self.max_batch), self.context_tokens)
    }

    /// Requests/s one decode replica completes with its KV cache full (the stage's capacity).
    pub fn decode_capacity_requests_per_s(&self) -> f64 {
        let step = self.replica.decode_step_s(self.max_batch, self.context_tokens);
        self.max_batch / (decode_steps(self.output_tokens.max(2)) * step)
    }
}

/// Decode steps after the first token.
fn decode_steps(output_tokens: u32) -> f64 {
    output_tokens.max(1).saturating_sub(1) as f64
}

/// The prefill queue of one replica at `rate` requests/s with the class shares: (ρ, mean wait s).
pub fn prefill_queue(prefill: &[StageClass], shares: &[f64], rate: f64) -> (f64, f64) {
    let (mut es, mut es2) = (0.0, 0.0);
    for (c, share) in prefill.iter().zip(shares) {
        es += share * c.prefill_s;
        es2 += share * c.prefill_s * c.prefill_s;
    }
    let rho = rate * es;
    if rho >= 1.0 {
        return (rho, f64::INFINITY);
    }
    (rho, rate * es2 / (2.0 * (1.0 - rho)))
}

/// Quantile `q` of the prefill wait, seconds (infinite when saturated).
pub fn wait_quantile_s(rho: f64, mean_wait_s: f64, q: f64) -> f64 {
    if rho <= 0.0 || rho <= 1.0 - q {
        return 0.0;
    }
    if !mean_wait_s.is_finite() {
        return f64::INFINITY;
    }
    mean_wait_s / rho * (rho / (1.0 - q)).ln()
}

/// TTFT of class `k` at quantile `q`, seconds: prefill wait + prefill + KV transfer over
/// `network_bytes_per_s` (infinite when the prefill queue is saturated).
pub fn ttft_s(prefill: &[StageClass], shares: &[f64], rate: f64, network_bytes_per_s: f64, k: usize, q: f64) -> f64 {
    let Some(c) = prefill.get(k) else { return f64::INFINITY };
    let (rho, w) = prefill_queue(prefill, shares, rate);
    wait_quantile_s(rho, w, q) + c.prefill_s + c.kv_bytes / network_bytes_per_s.max(1.0)
}

/// Decode replicas' load at a total rate: Σ rate_k / rate per replica_k (replicas at 100 % of the
/// TPOT-limited batch).
pub fn decode_load(decode: &[StageClass], shares: &[f64], rate: f64) -> f64 {
    decode.iter().zip(shares).map(|(c, s)| rate * s / c.decode_requests_per_s).sum()
}

/// Whether a prefill replica at `rate` meets every TTFT and end-to-end SLO for every class, given the
/// decode stage's TPOT at utilisation `u` (TPOT SLOs are the decode stage's).
fn prefill_meets(
    prefill: &[StageClass],
    decode: &[StageClass],
    shares: &[f64],
    network_bytes_per_s: f64,
    slos: &[Slo],
    rate: f64,
    u: f64,
) -> bool {
    let ttft = |k, q| ttft_s(prefill, shares, rate, network_bytes_per_s, k, q);
    slos.iter().all(|slo| match slo.metric {
        SloMetric::TpotMs => true,
        SloMetric::TtftMs => (0..prefill.len()).all(|k| ttft(k, slo.percentile) * 1e3 <= slo.limit_ms),
        SloMetric::E2eLatencyMs => (0..prefill.len()).all(|k| {
            let tail =
                decode.get(k).map_or(f64::INFINITY, |d| decode_steps(d.output_tokens) * d.tpot_s(u, slo.percentile));
            (ttft(k, slo.percentile) + tail) * 1e3 <= slo.limit_ms
        }),
    })
}

/// The highest rate one prefill replica takes within the SLOs (0 when none), requests/s, given the
/// decode stage at utilisation `u`.
pub fn prefill_max_rate(
    prefill: &[StageClass],
    decode: &[StageClass],
    shares: &[f64],
    network_bytes_per_s: f64,
    slos: &[Slo],
    u: f64,
) -> f64 {
    let es: f64 = prefill.iter().zip(shares).map(|(c, s)| s * c.prefill_s).sum();
    if !(es > 0.0 && es.is_finite()) {
        return 0.0;
    }
    let capacity = 1.0 / es;
    let meets = |rate| prefill_meets(prefill, decode, shares, network_bytes_per_s, slos, rate, u);
    let tiny = capacity * 1e-6;
    if !meets(tiny) {
        return 0.0;
    }
    let (mut lo, mut hi) = (tiny, capacity);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if meets(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-4 * hi {
            break;
        }
    }
    lo
}

/// Percentiles of TTFT, TPOT and end-to-end latency of class `k`, ms, with the prefill replica at
/// `prefill_rate` and the decode stage at utilisation `u` (infinite when the prefill is saturated).
pub fn latency_ms(
    prefill: &[StageClass],
    decode: &[StageClass],
    shares: &[f64],
    network_bytes_per_s: f64,
    prefill_rate: f64,
    u: f64,
    k: usize,
) -> (Percentiles, Percentiles, Percentiles) {
    let ttft = |q| ttft_s(prefill, shares, prefill_rate, network_bytes_per_s, k, q) * 1e3;
    let tpot = |q| decode.get(k).map_or(f64::INFINITY, |d| d.tpot_s(u, q) * 1e3);
    let steps = decode.get(k).map_or(0.0, |d| decode_steps(d.output_tokens));
    let band = |f: &dyn Fn(f64) -> f64| {
        let [p50, p90, p99] = QUANTILES.map(f);
        Percentiles { p50, p90, p99 }
    };
    (band(&ttft), band(&tpot), band(&|q| ttft(q) + steps * tpot(q)))
}

/// What one replica of a stage does at a rate: its load, capacity and latency band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageFigures {
    /// Requests/s offered to one replica.
    pub requests_per_s: f64,
    /// Requests/s at which one replica saturates (prefill: ρ = 1; decode: KV cache full).
    pub capacity_requests_per_s: f64,
    /// Decode only: requests/s one replica serves with its batch at the TPOT limit (its SLO
    /// capacity); equal to `capacity_requests_per_s` for prefill.
    pub slo_capacity_requests_per_s: f64,
    /// `requests_per_s / capacity_requests_per_s`.
    pub utilization_fraction: f64,
    /// At or above capacity: the queue grows without bound and latencies are `None`.
    pub saturated: bool,
    /// Prefill: queue + prefill + KV transfer, worst class at each percentile.
    pub ttft_ms: Option<Percentiles>,
    /// Decode: time per output token, worst class.
    pub tpot_ms: Option<Percentiles>,
}

fn worst(values: impl Iterator<Item = Percentiles>) -> Option<Percentiles> {
    values.reduce(|a, b| Percentiles { p50: a.p50.max(b.p50), p90: a.p90.max(b.p90), p99: a.p99.max(b.p99) })
}

/// One prefill replica at `requests_per_s` with the class shares, shipping KV caches over
/// `network_bytes_per_s`.
pub fn prefill_stage(
    prefill: &[StageClass],
    shares: &[f64],
    requests_per_s: f64,
    network_bytes_per_s: f64,
) -> StageFigures {
    let rate = if requests_per_s.is_finite() { requests_per_s.max(0.0) } else { f64::INFINITY };
    let es: f64 = prefill.iter().zip(shares).map(|(c, s)| s * c.prefill_s).sum();
    let capacity = if es > 0.0 && es.is_finite() { 1.0 / es } else { 0.0 };
    let (rho, _) = prefill_queue(prefill, shares, rate);
    let saturated = prefill.is_empty() || capacity <= 0.0 || rho.is_nan() || rho >= 1.0;
    let ttft_ms = (!saturated)
        .then(|| {
            worst((0..prefill.len()).map(|k| {
                let [p50, p90, p99] = QUANTILES.map(|q| ttft_s(prefill, shares, rate, network_bytes_per_s, k, q) * 1e3);
                Percentiles { p50, p90, p99 }
            }))
        })
        .flatten()
        .filter(|p| p.p99.is_finite());
    StageFigures {
        requests_per_s: rate,
        capacity_requests_per_s: capacity,
        slo_capacity_requests_per_s: capacity,
        utilization_fraction: if capacity > 0.0 { rate / capacity } else { f64::INFINITY },
        saturated: saturated || ttft_ms.is_none(),
        ttft_ms,
        tpot_ms: None,
    }
}

/// One decode replica at `requests_per_s` with the class shares: the mean batch is the TPOT-limited
/// batch scaled by the load (Little's law at that batch), TPOT at each quantile the step at the
/// batch's quantile; saturated when the KV cache cannot hold the sequences the rate keeps in flight.
pub fn decode_stage(decode: &[StageClass], shares: &[f64], requests_per_s: f64) -> StageFigures {
    let rate = if requests_per_s.is_finite() { requests_per_s.max(0.0) } else { f64::INFINITY };
    let u = decode_load(decode, shares, rate);
    // Capacity at a full KV cache: Σ share / per-class capacity, inverted.
    let inverse: f64 = decode.iter().zip(shares).map(|(c, s)| s / c.decode_capacity_requests_per_s()).sum();
    let capacity = if inverse > 0.0 && inverse.is_finite() { 1.0 / inverse } else { 0.0 };
    let slo_inverse: f64 = decode.iter().zip(shares).map(|(c, s)| s / c.decode_requests_per_s).sum();
    let slo_capacity = if slo_inverse > 0.0 && slo_inverse.is_finite() { 1.0 / slo_inverse } else { 0.0 };
    let saturated = decode.is_empty() || capacity <= 0.0 || rate.is_nan() || rate >= capacity;
    let tpot_ms = (!saturated)
        .then(|| {
            worst(decode.iter().map(|c| {
                let [p50, p90, p99] = QUANTILES.map(|q| c.tpot_s(u, q) * 1e3);
                Percentiles { p50, p90, p99 }
            }))
        })
        .flatten()
        .filter(|p| p.p99.is_finite());
    StageFigures {
        requests_per_s: rate,
        capacity_requests_per_s: capacity,
        slo_capacity_requests_per_s: slo_capacity,
        utilization_fraction: if capacity > 0.0 { rate / capacity } else { f64::INFINITY },
        saturated: saturated || tpot_ms.is_none(),
        ttft_ms: None,
        tpot_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{instance_type, model};
    use crate::perf::{build_replica, EstimateInput, Precision, FITTED};

    /// A long-prompt class on one device of `instance`, sized against a TPOT limit of `limit_s` at
    /// p99 when there is one.
    fn class(instance: &str, limit_s: Option<f64>) -> StageClass {
        class_at(instance, limit_s.map(|limit_s| TpotLimit { limit_s, quantile: 0.99 }))
    }

    fn class_at(instance: &str, limit: Option<TpotLimit>) -> StageClass {
        let mut e = EstimateInput::for_instance(model("llama-3.1-8b").unwrap().clone(), instance).unwrap();
        e.devices = 1;
        e.tensor_parallel = Some(1);
        e.precision = Precision::Fp8;
        e.input_tokens = 4000;
        e.output_tokens = 300;
        StageClass::new(build_replica(&e, FITTED).unwrap(), 4000, 300, limit.as_slice())
    }

    #[test]
    fn waits_grow_with_load_and_vanish_below_the_quantile() {
        assert_eq!(wait_quantile_s(0.04, 0.01, 0.95), 0.0);
        let low = wait_quantile_s(0.5, 0.1, 0.95);
        let high = wait_quantile_s(0.9, 0.9, 0.95);
        assert!(low > 0.0 && high > low, "{low} {high}");
        assert!(wait_quantile_s(1.0, f64::INFINITY, 0.95).is_infinite());
    }

    #[test]
    fn prefill_latency_grows_with_load_and_saturates() {
        let c = [class("p5.4xlarge", Some(0.05))];
        let network = kv_network_bytes_per_s(instance_type("p5.4xlarge").unwrap(), 1);
        let idle = prefill_stage(&c, &[1.0], 0.0, network);
        let busy = prefill_stage(&c, &[1.0], 0.8 * idle.capacity_requests_per_s, network);
        assert!(!idle.saturated && !busy.saturated);
        let (a, b) = (idle.ttft_ms.unwrap(), busy.ttft_ms.unwrap());
        assert!(b.p99 > a.p99 && a.p50 <= a.p90 && a.p90 <= a.p99, "{a:?} {b:?}");
        // Idle TTFT is the prefill plus the KV transfer.
        let expected = (c[0].prefill_s + c[0].kv_bytes / network) * 1e3;
        assert!((a.p50 - expected).abs() < 1e-9, "{a:?} {expected}");
        let over = prefill_stage(&c, &[1.0], idle.capacity_requests_per_s, network);
        assert!(over.saturated && over.ttft_ms.is_none());
        assert!(prefill_stage(&c, &[1.0], f64::NAN, network).saturated);
    }

    #[test]
    fn decode_meets_tpot_up_to_its_slo_capacity_and_saturates_at_a_full_cache() {
        let c = [class("p5.4xlarge", Some(0.03))];
        let at = decode_stage(&c, &[1.0], c[0].decode_requests_per_s);
        assert!(!at.saturated);
        assert!(at.tpot_ms.unwrap().p99 <= 30.0 + 1e-9, "{at:?}");
        assert!((at.slo_capacity_requests_per_s - c[0].decode_requests_per_s).abs() < 1e-9);
        let over = decode_stage(&c, &[1.0], 1.5 * c[0].decode_requests_per_s);
        if !over.saturated {
            assert!(over.tpot_ms.unwrap().p99 > 30.0, "{over:?}");
        }
        let full = decode_stage(&c, &[1.0], at.capacity_requests_per_s);
        assert!(full.saturated && full.tpot_ms.is_none());
    }

    #[test]
    fn decode_tpot_is_a_band_and_the_batch_is_sized_at_the_slo_percentile() {
        let limit = |quantile| Some(TpotLimit { limit_s: 0.03, quantile });
        let (median, tail) = (class_at("p5.4xlarge", limit(0.5)), class_at("p5.4xlarge", limit(0.99)));
        // Holding p99 under the limit leaves room for the batch's swings: a smaller mean batch.
        assert!(tail.decode_batch < median.decode_batch, "{} {}", tail.decode_batch, median.decode_batch);
        assert!(tail.decode_requests_per_s < median.decode_requests_per_s);
        for c in [&median, &tail] {
            let at = decode_stage(std::slice::from_ref(c), &[1.0], 0.8 * c.decode_requests_per_s);
            let t = at.tpot_ms.unwrap();
            assert!(t.p50 < t.p90 && t.p90 < t.p99, "{t:?}");
        }
        // At its SLO capacity each meets its own limit at its own percentile, and no more.
        let at = |c: &StageClass, q| c.tpot_s(1.0, q);
        assert!(at(&median, 0.5) <= 0.03 + 1e-12 && at(&median, 0.99) > 0.03);
        assert!(at(&tail, 0.99) <= 0.03 + 1e-12);
        // The median is the step at the mean batch, as before the band.
        let mean = (tail.decode_batch * 0.7).max(1.0);
        assert_eq!(tail.tpot_s(0.7, 0.5), tail.replica.decode_step_s(mean, tail.context_tokens));
    }

    #[test]
    fn a_tpot_limit_one_sequence_misses_is_flagged() {
        let c = class("g6.xlarge", Some(0.0001));
        assert!(!c.meets_tpot_alone && c.decode_batch == 1.0);
        assert!(class("g6.xlarge", None).meets_tpot_alone);
    }
}
