//! Prefill/decode disaggregation: a prefill fleet and a decode fleet sized apart, with the KV cache
//! shipped between them over the network.
//!
//! The stage model (prefill as an M/G/1 queue per replica, decode batch grown to the TPOT limit, KV
//! cache shipped over the instance network) lives in `perf::stage`, shared with placement's sizing
//! and the linter; this module enumerates and prices stage configurations of the catalog.

use super::search::{pod_requests, precision_name, tensor_parallel_options};
use super::unfit::Unfit;
use super::{OptimizeConfig, OptimizeInput, Rejected};
use crate::catalog::{accelerator_of, instance_types, CapacityType, InstanceType};
use crate::perf::stage::{self, TpotLimit};
use crate::perf::{self, EstimateInput, Percentiles, Precision};

pub(super) use crate::perf::stage::StageClass;

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

/// Builds a stage configuration for every class, or says why it cannot run.
pub(super) fn stage_config(
    input: &OptimizeInput,
    t: &'static InstanceType,
    tp: u32,
    precision: Precision,
) -> Result<StageConfig, Unfit> {
    let chip = accelerator_of(t).ok_or(Unfit::NoAcceleratorData)?;
    let on_demand = input.price(&t.name, CapacityType::OnDemand).ok_or(Unfit::NoOnDemandPrice)?;
    let neuron = chip.is_neuron();
    let pod = pod_requests(tp, neuron);
    let per_node = pod.pods_per_node(t);
    if per_node == 0 {
        return Err(Unfit::NoPodFitsNode);
    }
    let tpot_limits = TpotLimit::of(&input.slos);
    let mut classes = Vec::new();
    for class in &input.classes {
        let mut e = EstimateInput::for_chip(input.model.clone(), &chip.id, pod.devices);
        e.device_memory_mib = Some(t.accelerator_memory_mib);
        e.tensor_parallel = Some(tp);
        e.precision = precision;
        e.input_tokens = class.input_tokens.max(1);
        e.output_tokens = class.output_tokens.max(1);
        let replica = perf::build_replica(&e, perf::FITTED)?;
        if !replica.memory.fits {
            return Err(Unfit::DoesNotFit(replica.memory.reason.clone()));
        }
        let c = StageClass::new(replica, class.input_tokens, class.output_tokens, &tpot_limits);
        if !c.meets_tpot_alone {
            return Err(Unfit::DecodeMissesTpot { class: class.name.clone() });
        }
        classes.push(c);
    }
    Ok(StageConfig {
        instance: t,
        accelerator: chip.id.clone(),
        tensor_parallel: tp,
        precision,
        neuron,
        devices_per_replica: pod.devices,
        replicas_per_node: per_node,
        on_demand_usd_per_hour: on_demand.usd_per_hour,
        spot_usd_per_hour: input.price(&t.name, CapacityType::Spot).map(|p| p.usd_per_hour),
        network_bytes_per_s: stage::kv_network_bytes_per_s(t, pod.devices),
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
        if !config.families.is_empty() && !config.families.contains(&t.family) {
            continue;
        }
        let Some(chip) = accelerator_of(t) else { continue };
        if input.price(&t.name, CapacityType::OnDemand).is_none() {
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

/// Network bytes/s of a KV transfer between a prefill and a decode replica (the slower side).
fn network(p: &StageConfig, d: &StageConfig) -> f64 {
    p.network_bytes_per_s.min(d.network_bytes_per_s)
}

/// TTFT of class `k` at quantile `q`, seconds.
#[cfg(test)]
pub(super) fn ttft_s(p: &StageConfig, d: &StageConfig, shares: &[f64], rate: f64, k: usize, q: f64) -> f64 {
    stage::ttft_s(&p.classes, shares, rate, network(p, d), k, q)
}

/// The highest rate one prefill replica takes within the SLOs (0 when none), requests/s.
pub(super) fn prefill_max_rate(input: &OptimizeInput, p: &StageConfig, d: &StageConfig, shares: &[f64], u: f64) -> f64 {
    stage::prefill_max_rate(&p.classes, &d.classes, shares, network(p, d), &input.slos, u)
}

/// Decode replicas' load at a total rate: Σ rate_k / rate per replica_k (replicas at 100 %).
pub(super) fn decode_load(d: &StageConfig, shares: &[f64], rate: f64) -> f64 {
    stage::decode_load(&d.classes, shares, rate)
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
    stage::latency_ms(&p.classes, &d.classes, shares, network(p, d), prefill_rate, u, k)
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
            perf::Slo { metric: perf::SloMetric::TtftMs, percentile: 0.95, limit_ms: 2000.0 },
            perf::Slo { metric: perf::SloMetric::TpotMs, percentile: 0.95, limit_ms: tpot_ms },
        ];
        input
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
