//! Each replica's service profile: the performance model (a whole replica, or one stage of a
//! disaggregated deployment) sampled into latency against utilisation, or a first-order stand-in
//! from the parameter count in the model's name when the model or chip is not in the catalog.

use crate::catalog::{self};
use crate::perf;
use crate::plan::{self};

use crate::sim::error::SimError;
use crate::sim::serving::{chip_figures, FirstOrderReplica, LatencyPoint, ReplicaPerformance, ServiceProfile};

/// The performance model behind the simulator: one built replica, evaluated under Poisson load.
pub struct PerfReplica {
    pub replica: perf::Replica,
}

impl ReplicaPerformance for PerfReplica {
    fn capacity_requests_per_s(&self, _input_tokens: f64, _output_tokens: f64) -> f64 {
        perf::evaluate(&self.replica, perf::Load::RequestRate(1e-6)).capacity_requests_per_s
    }

    fn max_running_requests(&self, _input_tokens: f64, _output_tokens: f64) -> f64 {
        self.replica.memory.max_concurrent_sequences as f64
    }

    fn latency_at(&self, utilization: f64, i: f64, o: f64) -> LatencyPoint {
        let capacity = self.capacity_requests_per_s(i, o);
        // Approach saturation from below: the model reports saturated points as `None`.
        let mut u = utilization.max(1e-6);
        for _ in 0..20 {
            let e = perf::evaluate(&self.replica, perf::Load::RequestRate(u * capacity));
            if let (Some(ttft), Some(tpot)) = (e.ttft_ms, e.tpot_ms) {
                // p95 between the model's p90 and p99, linear in the percentile.
                let p95 = |p: perf::Percentiles| p.p90 + (p.p99 - p.p90) * (5.0 / 9.0);
                return LatencyPoint {
                    ttft_p50_ms: ttft.p50,
                    ttft_p95_ms: p95(ttft),
                    tpot_p50_ms: tpot.p50,
                    tpot_p95_ms: p95(tpot),
                    running_requests: e.running_sequences,
                    kv_cache_usage: e.kv_cache_usage_fraction,
                };
            }
            u *= 0.97;
        }
        LatencyPoint::default()
    }

    fn source(&self) -> String {
        format!(
            "perf model ({} on {} × {}, {})",
            self.replica.model.name,
            self.replica.devices_used,
            self.replica.chip.name,
            self.replica.engine.as_str()
        )
    }
}

/// The stage a fleet of a disaggregated deployment serves.
#[derive(Debug, Clone)]
pub(super) struct StageRole {
    prefill: bool,
    tpot_limits: Vec<perf::stage::TpotLimit>,
}

impl StageRole {
    pub(super) fn of(role: &str, tpot_limits: Vec<perf::stage::TpotLimit>) -> Option<StageRole> {
        match role {
            "prefill" => Some(StageRole { prefill: true, tpot_limits }),
            "decode" => Some(StageRole { prefill: false, tpot_limits }),
            _ => None,
        }
    }
}

/// One replica of a disaggregated stage (`perf::stage`): a prefill replica prefills whole prompts
/// (an M/G/1 queue) and ships the KV cache; a decode replica only decodes, its step growing with the
/// batch up to a full KV cache.
pub struct StageReplica {
    pub class: perf::stage::StageClass,
    pub prefill: bool,
    pub network_bytes_per_s: f64,
}

impl ReplicaPerformance for StageReplica {
    fn capacity_requests_per_s(&self, _input_tokens: f64, _output_tokens: f64) -> f64 {
        if self.prefill {
            1.0 / self.class.prefill_s.max(1e-9)
        } else {
            self.class.decode_capacity_requests_per_s()
        }
    }

    fn max_running_requests(&self, _input_tokens: f64, _output_tokens: f64) -> f64 {
        if self.prefill {
            1.0
        } else {
            self.class.max_batch
        }
    }

    fn latency_at(&self, utilization: f64, i: f64, o: f64) -> LatencyPoint {
        let c = &self.class;
        if self.prefill {
            let rate = utilization * self.capacity_requests_per_s(i, o);
            let (rho, mean_wait_s) = perf::stage::prefill_queue(std::slice::from_ref(c), &[1.0], rate);
            let transfer_s = c.kv_bytes / self.network_bytes_per_s.max(1.0);
            let ttft = |q: f64| {
                let wait = perf::stage::wait_quantile_s(rho, mean_wait_s, q);
                (if wait.is_finite() { wait } else { 0.0 } + c.prefill_s + transfer_s) * 1000.0
            };
            LatencyPoint {
                ttft_p50_ms: ttft(0.5),
                ttft_p95_ms: ttft(0.95),
                tpot_p50_ms: 0.0,
                tpot_p95_ms: 0.0,
                running_requests: rho.min(1.0),
                kv_cache_usage: rho.min(1.0) * c.kv_bytes
                    / (c.replica.memory.kv_cache_capacity_tokens.max(1) as f64 * c.replica.memory.kv_bytes_per_token)
                        .max(1.0),
            }
        } else {
            let batch = (c.max_batch * utilization).max(1.0);
            let step_ms = c.replica.decode_step_s(batch, c.context_tokens) * 1000.0;
            LatencyPoint {
                // The decode stage's own first step (its TTFT is not judged: the prefill stage's is).
                ttft_p50_ms: step_ms,
                ttft_p95_ms: step_ms,
                tpot_p50_ms: step_ms,
                tpot_p95_ms: step_ms,
                running_requests: batch,
                kv_cache_usage: (batch / c.max_batch.max(1.0)).min(1.0),
            }
        }
    }

    fn source(&self) -> String {
        format!(
            "perf model, disaggregated {} stage ({} on {} × {})",
            if self.prefill { "prefill" } else { "decode" },
            self.class.replica.model.name,
            self.class.replica.devices_used,
            self.class.replica.chip.name
        )
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn service_profile(
    d: &plan::Deployment,
    t: &catalog::InstanceType,
    devices: u32,
    tp: u32,
    input_tokens: f64,
    output_tokens: f64,
    stage: Option<StageRole>,
) -> Result<(ServiceProfile, f64), SimError> {
    let precision =
        crate::plan::precision_of(&d.precision).ok_or_else(|| SimError::UnknownPrecision(d.precision.clone()))?;
    if let (Some(model), Some(chip)) = (catalog::model(&d.model), catalog::accelerator_of(t)) {
        let mut input = perf::EstimateInput::for_chip(model.clone(), &chip.id, devices);
        input.device_memory_mib = Some(t.accelerator_memory_mib);
        input.instance_type = Some(t.name.clone());
        input.tensor_parallel = Some(tp);
        input.precision = precision;
        input.engine = perf::Engine::parse(&d.engine);
        input.input_tokens = input_tokens.round().clamp(1.0, 1e7) as u32;
        input.output_tokens = output_tokens.round().clamp(1.0, 1e7) as u32;
        // `maxNumSeqs` is not an input of the perf model yet (it reads the engine's default batch cap).
        let replica = match perf::build_replica(&input, perf::FITTED) {
            // Chips without FP8 (Ampere and older) run FP8 checkpoints as 8-bit weight-only (vLLM's
            // Marlin kernels): the same bytes per weight, matmuls at the 16-bit rate.
            Err(_) if precision == perf::Precision::Fp8 => {
                input.precision = perf::Precision::Int8;
                perf::build_replica(&input, perf::FITTED)
            }
            other => other,
        }
        .map_err(SimError::Estimate)?;
        if !replica.memory.fits {
            return Err(SimError::DoesNotFit {
                model: model.name.clone(),
                devices,
                instance_type: t.name.clone(),
                reason: replica.memory.reason.clone().unwrap_or_default(),
            });
        }
        let weights_gib = replica.memory.weights_gib_per_rank * replica.tensor_parallel.max(1) as f64;
        if let Some(role) = stage {
            let class =
                perf::stage::StageClass::new(replica, input.input_tokens, input.output_tokens, &role.tpot_limits);
            let stage_replica = StageReplica {
                class,
                prefill: role.prefill,
                network_bytes_per_s: perf::stage::kv_network_bytes_per_s(t, devices),
            };
            return Ok((ServiceProfile::sample(&stage_replica, input_tokens, output_tokens), weights_gib));
        }
        let perf_replica = PerfReplica { replica };
        return Ok((ServiceProfile::sample(&perf_replica, input_tokens, output_tokens), weights_gib));
    }
    // Unknown model or chip: the first-order stand-in from the parameter count in the model's name.
    let params_b = params_from_name(&d.model).ok_or_else(|| SimError::UnknownModel(d.model.clone()))?;
    let chip = chip_figures(&t.accelerator_name).ok_or_else(|| SimError::NoChipFigures(t.accelerator_name.clone()))?;
    let stand_in = FirstOrderReplica {
        total_params_b: params_b,
        active_params_b: params_b,
        bytes_per_param: precision.bytes_per_weight(),
        kv_bytes_per_token: 131_072.0 * (params_b / 8.0).sqrt(),
        devices,
        chip,
        efficiency: 0.6,
        step_overhead_ms: 5.0,
        max_num_seqs: d.max_num_seqs.map_or(256.0, f64::from),
        gpu_memory_utilization: d.gpu_memory_utilization.unwrap_or(0.9),
    };
    let weights_gib = params_b * 1e9 * precision.bytes_per_weight() / crate::units::BYTES_PER_GIB;
    Ok((ServiceProfile::sample(&stand_in, input_tokens, output_tokens), weights_gib))
}

/// `…-8B-…` → 8, `Mixtral-8x7B` → 56 (total), `70b` → 70.
pub(super) fn params_from_name(name: &str) -> Option<f64> {
    let lower = name.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if c != b'b' || i == 0 {
            continue;
        }
        let mut start = i;
        while start > 0 && (bytes[start - 1].is_ascii_digit() || bytes[start - 1] == b'.' || bytes[start - 1] == b'x') {
            start -= 1;
        }
        let text = &lower[start..i];
        let value = match text.split_once('x') {
            Some((n, each)) => n.parse::<f64>().ok()? * each.parse::<f64>().ok()?,
            None => text.parse::<f64>().ok()?,
        };
        if value > 0.0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::params_from_name;

    #[test]
    pub(super) fn parameter_counts_from_names() {
        assert_eq!(params_from_name("meta-llama/Meta-Llama-3-8B-Instruct"), Some(8.0));
        assert_eq!(params_from_name("mistralai/Mixtral-8x7B-v0.1"), Some(56.0));
        assert_eq!(params_from_name("Qwen2.5-0.5B"), Some(0.5));
        assert_eq!(params_from_name("gpt2"), None);
    }
}
