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

    /// The performance model's operating point at this utilisation, read at p50, p95 and p99 with
    /// the same quantile functions the static latency bands use (`place::sizing::latency_bands`).
    fn latency_at(&self, utilization: f64, i: f64, o: f64) -> LatencyPoint {
        let capacity = self.capacity_requests_per_s(i, o);
        let r = &self.replica;
        // Approach saturation from below: the model reports saturated points as `None`.
        let mut u = utilization.max(1e-6);
        for _ in 0..20 {
            let load = perf::Load::RequestRate(u * capacity);
            if let Ok(point) = perf::OperatingPoint::new(r, load) {
                let at = |q: f64| Some((point.ttft_s(r, q)? * 1e3, point.tpot_s(r, q)? * 1e3));
                if let (Some(p50), Some(p95), Some(p99)) = (at(0.5), at(0.95), at(0.99)) {
                    let e = perf::evaluate(r, load);
                    return LatencyPoint {
                        ttft_p50_ms: p50.0,
                        ttft_p95_ms: p95.0,
                        ttft_p99_ms: p99.0,
                        tpot_p50_ms: p50.1,
                        tpot_p95_ms: p95.1,
                        tpot_p99_ms: p99.1,
                        running_requests: e.running_sequences,
                        kv_cache_usage: e.kv_cache_usage_fraction,
                    };
                }
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
    /// KV-transfer bytes/s of one replica of the other stage, when known: a transfer runs at the
    /// slower side's network share, as the static bands take it.
    peer_network_bytes_per_s: Option<f64>,
}

impl StageRole {
    pub(super) fn of(
        role: &str,
        tpot_limits: Vec<perf::stage::TpotLimit>,
        peer_network_bytes_per_s: Option<f64>,
    ) -> Option<StageRole> {
        let prefill = match role {
            "prefill" => true,
            "decode" => false,
            _ => return None,
        };
        Some(StageRole { prefill, tpot_limits, peer_network_bytes_per_s })
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

    /// The stage model's figures at this utilisation (of the stage's saturated capacity), read with
    /// the functions the static bands use (`place::sizing::stage_sizing`): prefill TTFT from
    /// `stage::ttft_s` (queue, prefill, KV transfer), decode TPOT from `StageClass::tpot_s` at the
    /// stage's load over its TPOT-limited batch (`stage::decode_load`).
    fn latency_at(&self, utilization: f64, i: f64, o: f64) -> LatencyPoint {
        let c = &self.class;
        let rate = utilization * self.capacity_requests_per_s(i, o);
        let one = std::slice::from_ref(c);
        if self.prefill {
            let (rho, _) = perf::stage::prefill_queue(one, &[1.0], rate);
            let ttft = |q: f64| {
                let t = perf::stage::ttft_s(one, &[1.0], rate, self.network_bytes_per_s, 0, q);
                // Past saturation the fluid queue takes over: the service alone here.
                let t = if t.is_finite() {
                    t
                } else {
                    perf::stage::ttft_s(one, &[1.0], 0.0, self.network_bytes_per_s, 0, q)
                };
                t * 1e3
            };
            LatencyPoint {
                ttft_p50_ms: ttft(0.5),
                ttft_p95_ms: ttft(0.95),
                ttft_p99_ms: ttft(0.99),
                tpot_p50_ms: 0.0,
                tpot_p95_ms: 0.0,
                tpot_p99_ms: 0.0,
                running_requests: rho.min(1.0),
                kv_cache_usage: rho.min(1.0) * c.kv_bytes
                    / (c.replica.memory.kv_cache_capacity_tokens.max(1) as f64 * c.replica.memory.kv_bytes_per_token)
                        .max(1.0),
            }
        } else {
            let u = perf::stage::decode_load(one, &[1.0], rate);
            let tpot = |q: f64| c.tpot_s(u, q) * 1e3;
            let batch = (c.decode_batch * u).clamp(1.0, c.max_batch);
            LatencyPoint {
                // The decode stage's own first step (its TTFT is not judged: the prefill stage's is).
                ttft_p50_ms: tpot(0.5),
                ttft_p95_ms: tpot(0.5),
                ttft_p99_ms: tpot(0.5),
                tpot_p50_ms: tpot(0.5),
                tpot_p95_ms: tpot(0.95),
                tpot_p99_ms: tpot(0.99),
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
        if let Some(slice) = d.mig_profile.as_deref().and_then(|m| perf::for_mig_slice(model.clone(), &t.name, m).ok())
        {
            input = slice;
        }
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
                network_bytes_per_s: perf::stage::kv_network_bytes_per_s(t, devices)
                    .min(role.peer_network_bytes_per_s.unwrap_or(f64::INFINITY)),
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
