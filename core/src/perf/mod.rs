//! The performance model: memory fit, prefill and decode timing, load regimes with queueing, and
//! planning figures (rate per replica within SLOs, replicas for a rate, cost per token).
//!
//! # API (plain data in, plain data out; units in every field name)
//!
//! ```text
//! // Resolve names first (catalog does the lookups, case-insensitively):
//! catalog::model("meta-llama/Meta-Llama-3-8B-Instruct") -> Option<&ModelSpec>
//! catalog::ModelSpec::from_hf_config(name, config_json) -> Result<ModelSpec, ModelError>
//! perf::EstimateInput::for_instance(model, "g5.12xlarge") / ::for_chip(model, "h100", devices)
//!
//! perf::estimate(&EstimateInput) -> Result<Estimate, EstimateError>
//!     fits, reason, saturated, ttft_ms / tpot_ms / e2e_latency_ms (Percentiles p50 p90 p99, None when
//!     saturated), output_tokens_per_s, total_tokens_per_s, requests_per_s, kv_cache_capacity_tokens,
//!     max_concurrent_sequences, memory (MemoryFit), running_sequences, waiting_requests,
//!     kv_cache_usage_fraction, capacity_requests_per_s, notes (choices made for the user, such as a
//!     default tensor-parallel degree below all devices)
//! perf::estimate_with(&EstimateInput, &[FittedGroup]) -> same, with another efficiency table
//! perf::alternatives(&EstimateInput, &Pricing) -> Vec<Alternative>: for an input that does not fit, the
//!     cheapest configurations that do (another precision, more devices, another instance type, each
//!     re-fitted), or what multi-node serving would take; empty when it fits
//! perf::Replica::new(&ReplicaConfig) -> a built replica for repeated queries (simulator):
//!     decode_step_s(batch, context_tokens), prefill_s(prompt_tokens, sequences), iteration_s(batch)
//! perf::OperatingPoint::new(&Replica, Load) -> running/waiting sequences, requests_per_s,
//!     capacity_requests_per_s, saturated; ttft_s(&Replica, q), tpot_s(.., q), e2e_s(.., q)
//! perf::replica_at_rate(&EstimateInput, requests_per_s) -> Estimate under Poisson load (simulator)
//! perf::max_request_rate_within_slos(&EstimateInput, &[Slo]) -> Result<RateWithinSlos, EstimateError>
//! perf::replicas_for_rate(&EstimateInput, requests_per_s, &[Slo]) -> Result<u32, EstimateError>
//! perf::cost_figures(&PriceBook, instance_type, region, devices_used, &Estimate) -> Vec<CostFigure>
//!     (usd_per_hour and usd_per_million_output_tokens per capacity type)
//! ```
//!
//! Physics (shared/design/DOMAIN.md): decode step = max(bytes read / effective bandwidth, FLOP /
//! effective peak) + tensor-parallel all-reduces + a fixed per-step overhead; prefill is FLOP-bound
//! with a quadratic attention term; weights, KV cache and engine reservations set the batch limit.
//! Efficiency factors (fractions of the roofline, never above 1) are fitted per chip family and
//! engine in `efficiency.rs`. Queueing: batch slots as an M/M/c queue (Erlang C), prefills as an M/D/1
//! queue, Little's law for the operating batch; an arrival rate at or above capacity is reported as
//! saturated, never as a finite latency.

pub mod alternatives;
pub mod config;
pub mod efficiency;
pub mod lines;
pub mod load;
pub mod planning;
pub mod queueing;
pub mod replica;
pub mod stage;

pub use alternatives::{alternatives, Alternative, AlternativeKind, Pricing};
pub use config::{checkpoint_precision, Engine, Load, Precision, UnsupportedPrecision};
pub use efficiency::{Efficiency, FittedGroup, FITTED};
pub use load::OperatingPoint;
pub use planning::{
    cost_figures, max_request_rate_within_slos, replicas_for_rate, CostFigure, RateWithinSlos, Slo, SloMetric,
};
pub use replica::{MemoryFit, Replica, ReplicaConfig};

use serde::{Deserialize, Serialize};

use crate::catalog::{accelerator, accelerator_of, instance_type, ModelSpec};
use crate::units::s_to_ms;

/// What to estimate: one model on one replica's hardware under one load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateInput {
    pub model: ModelSpec,
    /// Chip id (`a10g`, `h100`, `inferentia2`, ...; see `catalog::accelerators`).
    pub accelerator: String,
    /// Devices (GPUs or Neuron devices) available to the replica.
    pub devices: u32,
    /// Memory per device when an instance reports its own figure, MiB.
    pub device_memory_mib: Option<u64>,
    /// The EC2 instance type, when the hardware came from one (for cost figures).
    pub instance_type: Option<String>,
    /// GPUs, or NeuronCores on Neuron; `None` = all.
    pub tensor_parallel: Option<u32>,
    pub precision: Precision,
    /// `None` = `neuron` on Neuron chips, `vllm` elsewhere.
    pub engine: Option<Engine>,
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub load: Load,
}

impl EstimateInput {
    /// An input on `devices` chips of kind `accelerator`, FP16, 512 in / 256 out, one request at a time.
    pub fn for_chip(model: ModelSpec, accelerator: &str, devices: u32) -> EstimateInput {
        EstimateInput {
            model,
            accelerator: accelerator.to_string(),
            devices,
            device_memory_mib: None,
            instance_type: None,
            tensor_parallel: None,
            precision: Precision::Fp16,
            engine: None,
            input_tokens: 512,
            output_tokens: 256,
            load: Load::Concurrency(1),
        }
    }

    /// An input on every device of an EC2 instance type (`g5.12xlarge`).
    pub fn for_instance(model: ModelSpec, instance: &str) -> Result<EstimateInput, EstimateError> {
        let t = instance_type(instance)
            .ok_or_else(|| EstimateError::field("instance_type", format!("unknown instance type {instance:?}")))?;
        let chip = accelerator_of(t).ok_or_else(|| {
            EstimateError::field(
                "instance_type",
                format!("{} ({}) has no performance data for its accelerator", t.name, t.accelerator_name),
            )
        })?;
        // A fractional-GPU type (g6f) has no whole device: its one device is the share of an L4.
        let mut input = EstimateInput::for_chip(model, &chip.id, t.accelerator_count.max(1));
        input.device_memory_mib = Some(t.accelerator_memory_mib);
        input.instance_type = Some(t.name.clone());
        Ok(input)
    }
}

/// An input on one MIG slice (`profile`, e.g. `1g.10gb`) of a chip (`a100-80gb`) or of an instance
/// type's GPUs (`p4de.24xlarge`); the error names `field`'s partner `mig_profile` when the chip has no
/// such profile. A slice is one device: tensor parallelism never spans slices.
pub fn for_mig_slice(model: ModelSpec, parent: &str, profile: &str) -> Result<EstimateInput, EstimateError> {
    let (chip, instance) = match instance_type(parent) {
        Some(t) => {
            let chip = accelerator_of(t).filter(|_| t.accelerator_count > 0).ok_or_else(|| {
                EstimateError::field("mig_profile", format!("{} has no GPU that MIG partitions", t.name))
            })?;
            (chip, Some(t.name.clone()))
        }
        None => (
            accelerator(parent)
                .ok_or_else(|| EstimateError::field("accelerator", format!("unknown accelerator {parent:?}")))?,
            None,
        ),
    };
    let slice = crate::catalog::mig_profile(&chip.id, profile).ok_or_else(|| {
        let known: Vec<&str> = crate::catalog::mig_profiles_of(&chip.id).map(|m| m.name).collect();
        let message = if known.is_empty() {
            format!("{} has no MIG profiles (A100, H100 and H200 do)", chip.name)
        } else {
            format!("{} has no MIG profile {profile:?} (it has {})", chip.name, known.join(", "))
        };
        EstimateError::field("mig_profile", message)
    })?;
    let mut input = EstimateInput::for_chip(model, &slice.device_id(), 1);
    input.instance_type = instance;
    Ok(input)
}

/// Why an estimate could not be made, naming the input field. An error on field `memory` (from the
/// planning functions) is not an input error: the configuration is valid but does not fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimateError {
    pub field: String,
    pub message: String,
}

impl EstimateError {
    pub fn field(field: &str, message: impl Into<String>) -> EstimateError {
        EstimateError { field: field.to_string(), message: message.into() }
    }

    fn no_fit(message: String) -> EstimateError {
        EstimateError { field: "memory".into(), message }
    }
}

impl std::error::Error for EstimateError {}

impl std::fmt::Display for EstimateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// p50, p90 and p99 of a latency, ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

/// The answer for one input. Throughputs are for the whole replica.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub fits: bool,
    /// Why it does not fit, when it does not.
    pub reason: Option<String>,
    /// The arrival rate is at or above capacity: the queue grows without bound, latencies are `None`.
    pub saturated: bool,
    pub ttft_ms: Option<Percentiles>,
    pub tpot_ms: Option<Percentiles>,
    pub e2e_latency_ms: Option<Percentiles>,
    pub output_tokens_per_s: f64,
    pub total_tokens_per_s: f64,
    pub requests_per_s: f64,
    pub capacity_requests_per_s: f64,
    pub kv_cache_capacity_tokens: u64,
    pub max_concurrent_sequences: u32,
    /// Mean sequences decoding at once, and requests waiting for a slot (`None` when saturated).
    pub running_sequences: f64,
    pub waiting_requests: Option<f64>,
    /// Share of the KV cache the running sequences use on average (0..1).
    pub kv_cache_usage_fraction: f64,
    pub memory: MemoryFit,
    pub engine: Engine,
    /// The precision of weights and matmuls the estimate used.
    pub precision: Precision,
    pub tensor_parallel: u32,
    pub devices_used: u32,
    /// Choices the estimate made for the user, in words (for example a default tensor-parallel degree
    /// below all devices because all devices do not divide the attention heads).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Estimates with the fitted efficiency table.
pub fn estimate(input: &EstimateInput) -> Result<Estimate, EstimateError> {
    estimate_with(input, FITTED)
}

/// Builds the replica an input describes.
pub fn build_replica(input: &EstimateInput, table: &[FittedGroup]) -> Result<Replica, EstimateError> {
    let chip = accelerator(&input.accelerator)
        .ok_or_else(|| EstimateError::field("accelerator", format!("unknown accelerator {:?}", input.accelerator)))?;
    Replica::new(&ReplicaConfig {
        model: &input.model,
        chip,
        devices: input.devices,
        device_memory_mib: input.device_memory_mib,
        tensor_parallel: input.tensor_parallel,
        precision: input.precision,
        engine: input.engine,
        input_tokens: input.input_tokens,
        output_tokens: input.output_tokens,
        table,
    })
}

/// Estimates with a given efficiency table (the calibration uses this to refit and cross-validate).
pub fn estimate_with(input: &EstimateInput, table: &[FittedGroup]) -> Result<Estimate, EstimateError> {
    let replica = build_replica(input, table)?;
    Ok(evaluate(&replica, input.load))
}

/// Evaluates a built replica under a load. A configuration that does not fit gives `fits: false`
/// with a reason and zero throughput, not an error.
pub fn evaluate(replica: &Replica, load: Load) -> Estimate {
    let m = &replica.memory;
    let mut out = Estimate {
        fits: m.fits,
        reason: m.reason.clone(),
        saturated: false,
        ttft_ms: None,
        tpot_ms: None,
        e2e_latency_ms: None,
        output_tokens_per_s: 0.0,
        total_tokens_per_s: 0.0,
        requests_per_s: 0.0,
        capacity_requests_per_s: 0.0,
        kv_cache_capacity_tokens: m.kv_cache_capacity_tokens,
        max_concurrent_sequences: m.max_concurrent_sequences,
        running_sequences: 0.0,
        waiting_requests: Some(0.0),
        kv_cache_usage_fraction: 0.0,
        memory: m.clone(),
        engine: replica.engine,
        precision: replica.precision,
        tensor_parallel: replica.tensor_parallel,
        devices_used: replica.devices_used,
        notes: replica.notes.clone(),
    };
    if !m.fits {
        return out;
    }
    let point = match OperatingPoint::new(replica, load) {
        Ok(p) => p,
        Err(e) => {
            out.fits = false;
            out.reason = Some(e.message);
            return out;
        }
    };
    out.saturated = point.saturated;
    if !point.saturated {
        let mut ttft = [0.0; 3];
        let mut tpot = [0.0; 3];
        let mut ok = true;
        for (i, q) in [0.5, 0.9, 0.99].into_iter().enumerate() {
            match (point.ttft_s(replica, q), point.tpot_s(replica, q)) {
                (Some(a), Some(b)) => {
                    ttft[i] = a;
                    tpot[i] = b;
                }
                _ => ok = false,
            }
        }
        if ok {
            let steps = replica.output_tokens as f64 - 1.0;
            let pct = |v: [f64; 3]| Percentiles { p50: s_to_ms(v[0]), p90: s_to_ms(v[1]), p99: s_to_ms(v[2]) };
            out.ttft_ms = Some(pct(ttft));
            out.tpot_ms = Some(pct(tpot));
            out.e2e_latency_ms = Some(pct([0, 1, 2].map(|i| ttft[i] + steps * tpot[i])));
        }
    }
    let (p, o) = (replica.input_tokens as f64, replica.output_tokens as f64);
    out.requests_per_s = point.requests_per_s;
    out.output_tokens_per_s = point.requests_per_s * o;
    out.total_tokens_per_s = point.requests_per_s * (p + o);
    out.capacity_requests_per_s = point.capacity_requests_per_s;
    out.running_sequences = point.running_sequences;
    out.waiting_requests = point.waiting_requests;
    if m.kv_cache_capacity_tokens > 0 {
        out.kv_cache_usage_fraction =
            (point.running_sequences * replica.decode_context_tokens() / m.kv_cache_capacity_tokens as f64).min(1.0);
    }
    out
}

/// The estimate of one replica under Poisson arrivals at `requests_per_s` (for the simulator).
pub fn replica_at_rate(input: &EstimateInput, requests_per_s: f64) -> Result<Estimate, EstimateError> {
    let replica = build_replica(input, FITTED)?;
    Ok(evaluate(&replica, Load::RequestRate(requests_per_s)))
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
