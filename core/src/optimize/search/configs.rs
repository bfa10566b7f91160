//! Serving configurations over the catalog (instance type × tensor-parallel degree × precision) and
//! each request class's highest SLO-meeting rate per replica on them, cached per chip, memory,
//! degree and precision.

use std::collections::BTreeMap;

use crate::catalog::{accelerator_of, instance_types, Accelerator, CapacityType, InstanceType};
use crate::optimize::unfit::Unfit;
use crate::optimize::{OptimizeConfig, OptimizeInput, Rejected};
use crate::perf::{self, EstimateInput, Load, Percentiles, Precision};
use crate::place::PodRequests;
use crate::plan::{Deployment, Fleet, ReplicaBounds};

/// What one replica of a configuration does for one request class.
#[derive(Debug, Clone)]
pub(super) struct Fit {
    /// Highest Poisson rate per replica with every SLO met.
    pub(super) max_requests_per_s: f64,
    /// Index of the SLO that binds, if one does.
    pub(super) binding_slo: Option<usize>,
    /// Latency and running sequences at each utilisation target (same order as the config's).
    pub(super) at_target: Vec<(Percentiles, Percentiles, Percentiles, f64)>,
}

/// One way to run a replica: instance type, tensor-parallel degree, precision.
pub(super) struct Config {
    pub(super) instance: &'static InstanceType,
    pub(super) chip: &'static Accelerator,
    pub(super) tensor_parallel: u32,
    pub(super) precision: Precision,
    pub(super) neuron: bool,
    pub(super) devices_per_replica: u32,
    pub(super) replicas_per_node: u32,
    pub(super) on_demand_usd_per_hour: f64,
    pub(super) spot_usd_per_hour: Option<f64>,
    /// Per request class.
    pub(super) fits: Vec<Fit>,
    /// `g6.xlarge/tp1/fp8`.
    id: String,
}

impl Config {
    pub(super) fn id(&self) -> &str {
        &self.id
    }
}

/// The plan's name for a precision.
pub(in crate::optimize) fn precision_name(p: Precision) -> &'static str {
    match p {
        Precision::Int4 => "awq",
        other => other.as_str(),
    }
}

type FitKey = (String, u64, u32, Precision);

pub(in crate::optimize) fn tensor_parallel_options(t: &InstanceType, chip: &Accelerator, heads: u32) -> Vec<u32> {
    let neuron = chip.is_neuron();
    let ranks = if neuron { t.accelerator_count * chip.neuron_cores_per_device.max(1) } else { t.accelerator_count };
    let degrees: &[u32] = if neuron { &[2, 4, 8, 16, 32] } else { &[1, 2, 4, 8] };
    degrees.iter().copied().filter(|tp| *tp <= ranks && heads.is_multiple_of(*tp)).collect()
}

pub(in crate::optimize) fn pod_requests(tp: u32, neuron: bool) -> PodRequests {
    let deployment = Deployment {
        mig_profile: None,
        warm_capacity: None,
        name: "d".into(),
        model: String::new(),
        precision: String::new(),
        engine: if neuron { "neuron" } else { "vllm" }.to_string(),
        tensor_parallel: tp,
        replicas: ReplicaBounds { min: 1, max: 1 },
        mode: Default::default(),
        prefill: None,
        decode: None,
        max_num_seqs: None,
        max_model_len: None,
        gpu_memory_utilization: None,
        image: None,
        tolerations: Vec::new(),
        node_selector: Default::default(),
        autoscaler: None,
        weights: None,
        compile_cache: None,
    };
    let fleet = Fleet {
        warm_capacity: None,
        name: "d".into(),
        role: "server".into(),
        tensor_parallel: tp,
        replicas: deployment.replicas,
        node_pool: None,
    };
    PodRequests::for_fleet(&deployment, &fleet)
}

/// Every configuration's fit for every class, or why it has none.
pub(super) fn class_fits(
    input: &OptimizeInput,
    config: &OptimizeConfig,
    t: &InstanceType,
    chip: &Accelerator,
    tp: u32,
    precision: Precision,
    devices: u32,
) -> Result<Vec<Fit>, Unfit> {
    let mut fits = Vec::with_capacity(input.classes.len());
    for class in &input.classes {
        let mut e = EstimateInput::for_chip(input.model.clone(), &chip.id, devices);
        e.device_memory_mib = Some(t.accelerator_memory_mib);
        e.tensor_parallel = Some(tp);
        e.precision = precision;
        e.input_tokens = class.input_tokens.max(1);
        e.output_tokens = class.output_tokens.max(1);
        let rate = perf::max_request_rate_within_slos(&e, &input.slos)?;
        if rate.requests_per_s <= 0.0 {
            let why = match rate.binding_slo.and_then(|i| input.slos.get(i)) {
                Some(slo) => Unfit::MissesSlo { slo: slo_text(slo), class: class.name.clone() },
                None => Unfit::CannotServe { class: class.name.clone() },
            };
            return Err(why);
        }
        let replica = perf::build_replica(&e, perf::FITTED)?;
        let mut at_target = Vec::with_capacity(config.utilization_targets.len());
        for u in &config.utilization_targets {
            let est = perf::evaluate(&replica, Load::RequestRate(rate.requests_per_s * u));
            match (est.ttft_ms, est.tpot_ms, est.e2e_latency_ms) {
                (Some(a), Some(b), Some(c)) => at_target.push((a, b, c, est.running_sequences)),
                _ => return Err(Unfit::Saturated { percent: u * 100.0 }),
            }
        }
        fits.push(Fit { max_requests_per_s: rate.requests_per_s, binding_slo: rate.binding_slo, at_target });
    }
    Ok(fits)
}

pub(in crate::optimize) fn slo_text(slo: &perf::Slo) -> String {
    let metric = match slo.metric {
        perf::SloMetric::TtftMs => "TTFT",
        perf::SloMetric::TpotMs => "TPOT",
        perf::SloMetric::E2eLatencyMs => "end-to-end latency",
    };
    format!("{metric} p{} ≤ {} ms", trim_number(slo.percentile * 100.0), trim_number(slo.limit_ms))
}

pub(in crate::optimize) fn trim_number(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The precisions to try on a chip: the configured ones and the plan's, as the chip runs them.
pub(in crate::optimize) fn precisions_for(
    input: &OptimizeInput,
    config: &OptimizeConfig,
    chip: &Accelerator,
) -> Vec<Precision> {
    let mut precisions: Vec<Precision> = Vec::new();
    for p in config.precisions.iter().chain(input.precision.as_ref()) {
        let p = match p {
            Precision::Bf16 | Precision::Fp16 if !chip.supports_bf16 => Precision::Fp16,
            other => *other,
        };
        if p.peak_tflops(chip).is_err() {
            continue;
        }
        if !precisions.contains(&p) {
            precisions.push(p);
        }
    }
    precisions
}

pub(super) fn configurations(
    input: &OptimizeInput,
    config: &OptimizeConfig,
    rejected: &mut Vec<Rejected>,
    types_searched: &mut u32,
) -> Vec<Config> {
    let mut cache: BTreeMap<FitKey, Result<Vec<Fit>, Unfit>> = BTreeMap::new();
    let mut out = Vec::new();
    for t in instance_types() {
        if t.accelerator_count == 0 || !(t.is_nvidia() || t.is_neuron()) {
            continue;
        }
        if !config.families.is_empty() && !config.families.contains(&t.family) {
            continue;
        }
        let Some(chip) = accelerator_of(t) else { continue };
        let Some(on_demand) = input.price(&t.name, CapacityType::OnDemand) else { continue };
        *types_searched += 1;
        let spot = input.price(&t.name, CapacityType::Spot).map(|p| p.usd_per_hour);
        let neuron = chip.is_neuron();
        let precisions = precisions_for(input, config, chip);
        for tp in tensor_parallel_options(t, chip, input.model.attention_heads) {
            let pod = pod_requests(tp, neuron);
            let per_node = pod.pods_per_node(t);
            if per_node == 0 {
                continue;
            }
            for precision in &precisions {
                let key = (chip.id.clone(), t.accelerator_memory_mib, tp, *precision);
                let fits = cache
                    .entry(key)
                    .or_insert_with(|| class_fits(input, config, t, chip, tp, *precision, pod.devices))
                    .clone();
                match fits {
                    Ok(fits) => out.push(Config {
                        id: format!("{}/tp{tp}/{}", t.name, precision_name(*precision)),
                        instance: t,
                        chip,
                        tensor_parallel: tp,
                        precision: *precision,
                        neuron,
                        devices_per_replica: pod.devices,
                        replicas_per_node: per_node,
                        on_demand_usd_per_hour: on_demand.usd_per_hour,
                        spot_usd_per_hour: spot,
                        fits,
                    }),
                    Err(reason) => rejected.push(Rejected {
                        instance_type: t.name.clone(),
                        tensor_parallel: tp,
                        precision: precision_name(*precision).to_string(),
                        reason: reason.to_string(),
                    }),
                }
            }
        }
    }
    out
}
