//! Prefill/decode disaggregation: a prefill fleet and a decode fleet sized apart, with the KV cache
//! shipped between them over the network.
//!
//! Model (built on `perf::Replica`'s timing):
//! - Prefill replica: an M/G/1 queue of whole-prompt prefills. Service time of a class = one prefill of
//!   its prompt plus the per-request overhead; the mean wait is Pollaczek–Khinchine's
//!   λ·E[S²] / (2(1 − ρ)) and its tail is taken as exponential beyond the probability ρ of waiting.
//!   TTFT = wait quantile + service + KV transfer (prompt tokens × KV bytes per token over the slower
//!   of the two replicas' network share, at half the nominal bandwidth).
//! - Decode replica: no prefills interleaved; the batch grows until a decode step reaches the TPOT
//!   limit or the KV cache is full; rate = batch / ((output − 1) × step).
//! - End-to-end = TTFT + (output − 1) × TPOT.

use super::search::{pod_requests, precision_name, tensor_parallel_options};
use super::{OptimizeConfig, OptimizeInput, Rejected};
use crate::catalog::prices::price;
use crate::catalog::{accelerator_of, instance_types, CapacityType, InstanceType};
use crate::perf::{self, EstimateInput, Percentiles, Precision, Replica, SloMetric};

/// Share of a NIC's nominal bandwidth a KV-cache transfer gets.
const NETWORK_EFFICIENCY: f64 = 0.5;

/// One class on one stage configuration.
#[derive(Debug, Clone)]
pub(super) struct StageClass {
    /// Prefill: service time (prefill + request overhead), seconds.
    pub prefill_s: f64,
    /// KV bytes of the prompt.
    pub kv_bytes: f64,
    /// Decode: the batch at which a step reaches the TPOT limit (or the KV cache is full).
    pub decode_batch: f64,
    /// Decode: requests/s one replica completes at that batch.
    pub decode_requests_per_s: f64,
    pub output_tokens: u32,
    replica: Replica,
    context_tokens: f64,
}

impl StageClass {
    /// TPOT at a fraction `u` of the decode batch, seconds.
    pub fn tpot_s(&self, u: f64) -> f64 {
        self.replica.decode_step_s((self.decode_batch * u).max(1.0), self.context_tokens)
    }
}

/// A stage configuration: instance type, tensor-parallel degree, precision, and each class on it.
pub(super) struct StageConfig {
    pub instance: &'static InstanceType,
    pub accelerator: String,
    pub tensor_parallel: u32,
    pub precision: Precision,
    pub neuron: bool,
    pub devices_per_replica: u32,
    pub replicas_per_node: u32,
    pub on_demand_usd_per_hour: f64,
    pub spot_usd_per_hour: Option<f64>,
    /// Network bytes/s available to one replica for KV transfers.
    pub network_bytes_per_s: f64,
    pub classes: Vec<StageClass>,
}

impl StageConfig {
    pub fn id(&self) -> String {
        format!("{}/tp{}/{}", self.instance.name, self.tensor_parallel, precision_name(self.precision))
    }
}

fn tpot_limit_s(input: &OptimizeInput) -> Option<f64> {
    input.slos.iter().filter(|s| s.metric == SloMetric::TpotMs).map(|s| s.limit_ms / 1e3).min_by(f64::total_cmp)
}

/// Builds a stage configuration for every class, or says why it cannot run.
pub(super) fn stage_config(
    input: &OptimizeInput,
    t: &'static InstanceType,
    tp: u32,
    precision: Precision,
) -> Result<StageConfig, String> {
    let chip = accelerator_of(t).ok_or("no accelerator data")?;
    let on_demand = price(&t.name, &input.region, CapacityType::OnDemand).ok_or("no on-demand price")?;
    let neuron = chip.is_neuron();
    let pod = pod_requests(tp, neuron);
    let per_node = pod.pods_per_node(t);
    if per_node == 0 {
        return Err("no pod fits a node".into());
    }
    let tpot_limit = tpot_limit_s(input);
    let mut classes = Vec::new();
    for class in &input.classes {
        let mut e = EstimateInput::for_chip(input.model.clone(), &chip.id, pod.devices);
        e.device_memory_mib = Some(t.accelerator_memory_mib);
        e.tensor_parallel = Some(tp);
        e.precision = precision;
        e.input_tokens = class.input_tokens.max(1);
        e.output_tokens = class.output_tokens.max(1);
        let replica = perf::build_replica(&e, perf::FITTED).map_err(|err| err.message)?;
        if !replica.memory.fits {
            return Err(replica.memory.reason.clone().unwrap_or_else(|| "does not fit".into()));
        }
        let context = class.input_tokens as f64 + class.output_tokens as f64 / 2.0;
        let max_batch = replica.memory.max_concurrent_sequences.max(1) as f64;
        let fits = |b: f64| tpot_limit.is_none_or(|limit| replica.decode_step_s(b, context) <= limit);
        if !fits(1.0) {
            return Err(format!("a decode step of {} misses the TPOT limit even alone", class.name));
        }
        // Largest batch within the TPOT limit (steps grow with the batch).
        let (mut lo, mut hi) = (1.0f64, max_batch);
        if fits(hi) {
            lo = hi;
        }
        while hi - lo > 1.0 {
            let mid = ((lo + hi) / 2.0).floor();
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let step = replica.decode_step_s(lo, context);
        let steps = (class.output_tokens.max(2) - 1) as f64;
        classes.push(StageClass {
            prefill_s: replica.prefill_s(class.input_tokens as f64, 1.0) + replica.request_overhead_s,
            kv_bytes: class.input_tokens as f64 * replica.memory.kv_bytes_per_token,
            decode_batch: lo,
            decode_requests_per_s: lo / (steps * step),
            output_tokens: class.output_tokens,
            replica,
            context_tokens: context,
        });
    }
    let share = pod.devices as f64 / t.accelerator_count.max(1) as f64;
    Ok(StageConfig {
        instance: t,
        accelerator: chip.id.clone(),
        tensor_parallel: tp,
        precision,
        neuron,
        devices_per_replica: pod.devices,
        replicas_per_node: per_node,
        on_demand_usd_per_hour: on_demand.usd_per_hour,
        spot_usd_per_hour: price(&t.name, &input.region, CapacityType::Spot).map(|p| p.usd_per_hour),
        network_bytes_per_s: t.network_bandwidth_mbps as f64 * 1e6 / 8.0 * share * NETWORK_EFFICIENCY,
        classes,
    })
}

/// Every stage configuration of the catalog (same enumeration as the monolithic search).
pub(super) fn stage_configs(
    input: &OptimizeInput,
    config: &OptimizeConfig,
    precisions: &dyn Fn(&crate::catalog::Accelerator) -> Vec<Precision>,
    rejected: &mut Vec<Rejected>,
) -> Vec<StageConfig> {
    let mut out = Vec::new();
    for t in instance_types() {
        if t.accelerator_count == 0 || !(t.is_nvidia() || t.is_neuron()) {
            continue;
        }
        if !config.families.is_empty() && !config.families.iter().any(|f| *f == t.family) {
            continue;
        }
        let Some(chip) = accelerator_of(t) else { continue };
        if price(&t.name, &input.region, CapacityType::OnDemand).is_none() {
            continue;
        }
        for tp in tensor_parallel_options(t, chip, input.model.attention_heads) {
            for precision in precisions(chip) {
                match stage_config(input, t, tp, precision) {
                    Ok(c) => out.push(c),
                    Err(reason) => rejected.push(Rejected {
                        instance_type: t.name.clone(),
                        tensor_parallel: tp,
                        precision: precision_name(precision).to_string(),
                        reason: format!("disaggregated: {reason}"),
                    }),
                }
            }
        }
    }
    out
}

/// The prefill queue of one replica at `rate` requests/s with the class shares: (ρ, mean wait s).
fn prefill_queue(p: &StageConfig, shares: &[f64], rate: f64) -> (f64, f64) {
    let (mut es, mut es2) = (0.0, 0.0);
    for (c, share) in p.classes.iter().zip(shares) {
        es += share * c.prefill_s;
        es2 += share * c.prefill_s * c.prefill_s;
    }
    let rho = rate * es;
    if rho >= 1.0 {
        return (rho, f64::INFINITY);
    }
    (rho, rate * es2 / (2.0 * (1.0 - rho)))
}

/// Quantile `q` of the prefill wait, seconds.
fn wait_quantile_s(rho: f64, mean_wait_s: f64, q: f64) -> f64 {
    if rho <= 0.0 || rho <= 1.0 - q {
        return 0.0;
    }
    if !mean_wait_s.is_finite() {
        return f64::INFINITY;
    }
    mean_wait_s / rho * (rho / (1.0 - q)).ln()
}

/// TTFT of class `k` at quantile `q`, seconds.
pub(super) fn ttft_s(p: &StageConfig, d: &StageConfig, shares: &[f64], rate: f64, k: usize, q: f64) -> f64 {
    let (rho, w) = prefill_queue(p, shares, rate);
    let network = p.network_bytes_per_s.min(d.network_bytes_per_s).max(1.0);
    wait_quantile_s(rho, w, q) + p.classes[k].prefill_s + p.classes[k].kv_bytes / network
}

/// Whether a prefill replica at `rate` meets every TTFT and end-to-end SLO for every class, given
/// the decode stage's TPOT at utilisation `u`.
fn prefill_meets(input: &OptimizeInput, p: &StageConfig, d: &StageConfig, shares: &[f64], rate: f64, u: f64) -> bool {
    input.slos.iter().all(|slo| match slo.metric {
        SloMetric::TpotMs => true,
        SloMetric::TtftMs => {
            (0..p.classes.len()).all(|k| ttft_s(p, d, shares, rate, k, slo.percentile) * 1e3 <= slo.limit_ms)
        }
        SloMetric::E2eLatencyMs => (0..p.classes.len()).all(|k| {
            let decode = (d.classes[k].output_tokens.max(1) - 1) as f64 * d.classes[k].tpot_s(u);
            (ttft_s(p, d, shares, rate, k, slo.percentile) + decode) * 1e3 <= slo.limit_ms
        }),
    })
}

/// The highest rate one prefill replica takes within the SLOs (0 when none), requests/s.
pub(super) fn prefill_max_rate(input: &OptimizeInput, p: &StageConfig, d: &StageConfig, shares: &[f64], u: f64) -> f64 {
    let es: f64 = p.classes.iter().zip(shares).map(|(c, s)| s * c.prefill_s).sum();
    if es <= 0.0 {
        return 0.0;
    }
    let capacity = 1.0 / es;
    let tiny = capacity * 1e-6;
    if !prefill_meets(input, p, d, shares, tiny, u) {
        return 0.0;
    }
    let (mut lo, mut hi) = (tiny, capacity);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if prefill_meets(input, p, d, shares, mid, u) {
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

/// Decode replicas' load at a total rate: Σ rate_k / rate per replica_k (replicas at 100 %).
pub(super) fn decode_load(d: &StageConfig, shares: &[f64], rate: f64) -> f64 {
    d.classes.iter().zip(shares).map(|(c, s)| rate * s / c.decode_requests_per_s).sum()
}

/// Percentiles of TTFT, TPOT and end-to-end latency of class `k`, ms.
pub(super) fn latency_ms(
    p: &StageConfig,
    d: &StageConfig,
    shares: &[f64],
    prefill_rate: f64,
    u: f64,
    k: usize,
) -> (Percentiles, Percentiles, Percentiles) {
    let ttft = |q| ttft_s(p, d, shares, prefill_rate, k, q) * 1e3;
    let tpot = d.classes[k].tpot_s(u) * 1e3;
    let steps = (d.classes[k].output_tokens.max(1) - 1) as f64;
    let t = Percentiles { p50: ttft(0.5), p90: ttft(0.9), p99: ttft(0.99) };
    let e = Percentiles { p50: t.p50 + steps * tpot, p90: t.p90 + steps * tpot, p99: t.p99 + steps * tpot };
    (t, Percentiles { p50: tpot, p90: tpot, p99: tpot }, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{instance_type, model};

    fn input(tpot_ms: f64) -> OptimizeInput {
        let plan = crate::plan::parse_plan(
            "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {name: t}\nspec:\n  region: us-east-1\n  workload:\n    requestsPerSecond: {baseline: 1, peak: 2}\n    inputTokens: {mean: 4000}\n    outputTokens: {mean: 300}\n  deployments:\n    - {name: d, model: llama-3.1-8b, replicas: {min: 1, max: 1}}\n",
        )
        .unwrap();
        let mut input = OptimizeInput::from_plan(&plan).unwrap();
        input.model = model("llama-3.1-8b").unwrap().clone();
        input.slos = vec![
            perf::Slo { metric: SloMetric::TtftMs, percentile: 0.95, limit_ms: 2000.0 },
            perf::Slo { metric: SloMetric::TpotMs, percentile: 0.95, limit_ms: tpot_ms },
        ];
        input
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
    fn stage_rates_follow_the_slos() {
        let t = instance_type("p5.4xlarge").unwrap();
        let tight = stage_config(&input(15.0), t, 1, Precision::Fp8).unwrap();
        let loose = stage_config(&input(60.0), t, 1, Precision::Fp8).unwrap();
        // A looser TPOT lets the decode batch, and so the rate per replica, grow.
        assert!(loose.classes[0].decode_requests_per_s > tight.classes[0].decode_requests_per_s);
        let shares = [1.0];
        let rate = prefill_max_rate(&input(60.0), &loose, &loose, &shares, 0.9);
        assert!(rate > 0.0 && rate < 1.0 / loose.classes[0].prefill_s, "{rate}");
        let at = ttft_s(&loose, &loose, &shares, rate, 0, 0.95);
        assert!(at * 1e3 <= 2000.0 + 1e-6, "{at}");
        assert!(ttft_s(&loose, &loose, &shares, rate * 0.5, 0, 0.95) < at);
    }
}
