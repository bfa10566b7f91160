//! The seam between placement and the performance model: how many replicas a fleet runs, what each
//! pod requests, and its latency bands against the plan's SLOs.
//!
//! Latency bands and the replicas needed at peak come from `crate::perf`; model facts from
//! `crate::catalog::model`, with a name-based fallback for models the catalog does not know.
//! Placement provisions the plan's minimum replicas (what the Deployment starts with); the
//! autoscaler adds replicas up to the maximum.
//!
//! Disaggregated deployments are sized per stage with `crate::perf::stage` (`stage_sizing`): the
//! prefill stage as a queue of prefills whose TTFT includes the KV transfer to the decode stage, the
//! decode stage as a decode-only batch held within the TPOT limit. Each stage is checked against the
//! SLOs it governs: prefill → TTFT; decode → TPOT and end-to-end (TTFT + (output − 1) × TPOT).
//!
//! A band (`LatencyBand`) holds one SLO's estimate at the SLO's own percentile (`estimate_ms`, which
//! decides `meets_slo`) and the same metric at p50, p95 and p99 (`p50_ms`, `p95_ms`, `p99_ms`).

use serde::Serialize;

use crate::catalog::{InstanceType, MigProfile};
use crate::perf;
use crate::perf::stage::{self, StageClass, TpotLimit};
use crate::plan::{mig, Deployment, Fleet, Plan, SloMetric};

/// What one pod of a fleet asks the scheduler for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodRequests {
    /// Whole accelerator devices (GPUs, or Neuron devices).
    pub devices: u32,
    pub cpu_millis: u64,
    pub memory_mib: u64,
    pub neuron: bool,
    /// One MIG slice of this profile instead of whole GPUs (`devices` is then 1 slice).
    pub mig: Option<&'static MigProfile>,
}

/// NeuronCores per Inferentia2/Trainium device: tensor parallelism on Neuron counts cores.
pub const NEURON_CORES_PER_DEVICE: u32 = 2;
const CPU_MILLIS_PER_DEVICE: u64 = 3000;
const MEMORY_MIB_PER_DEVICE: u64 = 12 * 1024;
const CPU_MILLIS_PER_MIG_COMPUTE_SLICE: u64 = 1000;

impl PodRequests {
    pub fn for_fleet(deployment: &Deployment, fleet: &Fleet) -> PodRequests {
        let neuron = is_neuron_engine(&deployment.engine);
        let tp = fleet.tensor_parallel.max(1);
        let devices = if neuron { tp.div_ceil(NEURON_CORES_PER_DEVICE) } else { tp };
        let mig = if neuron { None } else { deployment.mig_profile.as_deref().and_then(mig::any_profile) };
        if let Some(m) = mig {
            // One slice, with a CPU per compute slice (up to a whole GPU pod's) and a GPU pod's memory.
            return PodRequests {
                devices: 1,
                cpu_millis: (CPU_MILLIS_PER_MIG_COMPUTE_SLICE * m.compute_slices as u64).min(CPU_MILLIS_PER_DEVICE),
                memory_mib: MEMORY_MIB_PER_DEVICE,
                neuron,
                mig,
            };
        }
        PodRequests {
            devices,
            cpu_millis: CPU_MILLIS_PER_DEVICE * devices as u64,
            memory_mib: MEMORY_MIB_PER_DEVICE * devices as u64,
            neuron,
            mig: None,
        }
    }

    /// The extended resource name the pod requests.
    pub fn device_resource(&self) -> &'static str {
        if let Some(m) = self.mig {
            m.resource
        } else if self.neuron {
            "aws.amazon.com/neuron"
        } else {
            "nvidia.com/gpu"
        }
    }

    /// How many such pods one node of an instance type holds (0 when none fits).
    pub fn pods_per_node(&self, t: &InstanceType) -> u32 {
        let kind_matches = if self.neuron { t.is_neuron() } else { t.is_nvidia() };
        if !kind_matches || t.accelerator_count == 0 || self.devices == 0 {
            return 0;
        }
        let (cpu, memory) = allocatable(t);
        let by_devices = match self.mig {
            Some(m) => mig::slices_per_node(t, m.name),
            None => t.accelerator_count / self.devices,
        };
        let by_cpu = (cpu / self.cpu_millis.max(1)) as u32;
        let by_memory = (memory / self.memory_mib.max(1)) as u32;
        let by_pods = t.max_pods.saturating_sub(DAEMONSET_PODS);
        by_devices.min(by_cpu).min(by_memory).min(by_pods)
    }
}

/// Pods every node runs besides the workload (CNI, kube-proxy, device plugin, monitoring).
const DAEMONSET_PODS: u32 = 4;

/// Allocatable (cpu millis, memory MiB) of a node after kubelet reservations and daemonsets, roughly
/// as EKS computes them.
pub fn allocatable(t: &InstanceType) -> (u64, u64) {
    let cpu = (t.vcpu as u64 * 1000).saturating_mul(94) / 100;
    let memory = (t.memory_mib.saturating_mul(90) / 100).saturating_sub(1024);
    (cpu.saturating_sub(200), memory)
}

pub use crate::plan::is_neuron_engine;

/// How many replicas of a fleet placement provisions.
pub fn replicas_to_place(_plan: &Plan, _deployment: &Deployment, fleet: &Fleet) -> u32 {
    fleet.replicas.min
}

/// One SLO and the estimates for it: at the SLO's own percentile, and at p50, p95 and p99.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyBand {
    /// `ttft`, `tpot` or `e2e`.
    pub metric: String,
    pub percentile: f64,
    pub limit_ms: f64,
    /// The performance model's estimate at this percentile, when known.
    pub estimate_ms: Option<f64>,
    /// Whether the estimate meets the limit, when known.
    pub meets_slo: Option<bool>,
    /// The stage is at or above its capacity at this rate: no finite estimate, and the SLO is missed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub saturated: bool,
    /// The estimate of this SLO's metric at p50, p95 and p99 (the band), rounded like `estimate_ms`;
    /// absent when unknown or saturated. The value at the SLO's own percentile equals `estimate_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
}

/// One value of a band as shells show it: the estimate at a percentile against the SLO's limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandValue {
    /// 0 to 100.
    pub percentile: f64,
    pub estimate_ms: Option<f64>,
    /// Whether the estimate is within the SLO's limit (`Some(false)` when saturated, `None` when
    /// unknown). Only the SLO's own percentile decides whether the SLO is met.
    pub within_limit: Option<bool>,
    /// This is the SLO's own percentile.
    pub is_slo_percentile: bool,
}

impl LatencyBand {
    /// p50, p95 and p99 in order, with the SLO's own percentile (`estimate_ms`) put in its place when
    /// it is none of them.
    pub fn values(&self) -> Vec<BandValue> {
        let within = |v: Option<f64>| if self.saturated { Some(false) } else { v.map(|v| v <= self.limit_ms) };
        let mut values: Vec<BandValue> = [(50.0, self.p50_ms), (95.0, self.p95_ms), (99.0, self.p99_ms)]
            .into_iter()
            .map(|(percentile, estimate_ms)| BandValue {
                percentile,
                estimate_ms,
                within_limit: within(estimate_ms),
                is_slo_percentile: percentile == self.percentile,
            })
            .collect();
        if !values.iter().any(|v| v.is_slo_percentile) {
            let at = values.iter().position(|v| v.percentile > self.percentile).unwrap_or(values.len());
            values.insert(
                at,
                BandValue {
                    percentile: self.percentile,
                    estimate_ms: self.estimate_ms,
                    within_limit: self.meets_slo,
                    is_slo_percentile: true,
                },
            );
        }
        values
    }
}

/// A band from a reading of its metric at a percentile (0 to 100), ms: `None` when the model cannot
/// tell, `Some(None)` when saturated. Saturation is read at the SLO's percentile; a saturated band has
/// no values.
fn band(slo: &crate::plan::Slo, reading: impl Fn(f64) -> Option<Option<f64>>) -> LatencyBand {
    let value = |r: Option<Option<f64>>| r.flatten().map(rounded).filter(|v| v.is_finite());
    let at_slo = reading(slo.percentile);
    let saturated = matches!(at_slo, Some(None));
    let estimate_ms = value(at_slo);
    let at = |percentile: f64| if saturated { None } else { value(reading(percentile)) };
    LatencyBand {
        metric: slo.metric.as_str().to_string(),
        percentile: slo.percentile,
        limit_ms: slo.limit_ms,
        estimate_ms,
        meets_slo: if saturated { Some(false) } else { estimate_ms.map(|v| v <= slo.limit_ms) },
        saturated,
        p50_ms: at(50.0),
        p95_ms: at(95.0),
        p99_ms: at(99.0),
    }
}

/// The performance model's input for one replica of a deployment on an instance type.
fn perf_input(
    plan: &Plan,
    deployment: &Deployment,
    fleet: &Fleet,
    instance: &InstanceType,
) -> Option<perf::EstimateInput> {
    let model = crate::catalog::model(&deployment.model)?.clone();
    let pod = PodRequests::for_fleet(deployment, fleet);
    let mut input = match pod.mig {
        Some(m) => perf::for_mig_slice(model, &instance.name, m.name).ok()?,
        None => perf::EstimateInput::for_instance(model, &instance.name).ok()?,
    };
    input.devices = pod.devices.min(instance.accelerator_count).max(1);
    input.tensor_parallel = Some(fleet.tensor_parallel.max(1));
    input.precision = crate::plan::precision_of(&deployment.precision).unwrap_or(perf::Precision::Bf16);
    input.engine = perf::Engine::parse(&deployment.engine);
    let w = &plan.spec.workload;
    input.input_tokens = w.input_tokens.mean.clamp(1.0, 1e6) as u32;
    input.output_tokens = w.output_tokens.mean.clamp(1.0, 1e6) as u32;
    Some(input)
}

/// A fleet's replica that does not fit the memory of the instance type it runs on: the performance
/// model's figures per rank (GPU, or NeuronCore) and the cheapest configurations that do fit, priced
/// on demand in the plan's region ([`perf::alternatives`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryShortfall {
    pub instance_type: String,
    /// Needed against available GiB per rank, and the parts.
    pub reason: String,
    /// `GPU` or `NeuronCore`.
    pub rank: &'static str,
    pub needed_gib_per_rank: f64,
    pub available_gib_per_rank: f64,
    pub weights_gib_per_rank: f64,
    /// KV cache one sequence of the workload's mean input + output tokens takes.
    pub kv_cache_one_sequence_gib_per_rank: f64,
    pub activations_gib_per_rank: f64,
    pub engine_overhead_gib_per_rank: f64,
    pub alternatives: Vec<perf::Alternative>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Why a fleet's replica does not fit `instance`'s device memory, and what would (`None` when it
/// fits, or when the performance model does not know the model or chip).
pub fn memory_shortfall(
    plan: &Plan,
    deployment: &Deployment,
    fleet: &Fleet,
    instance: &InstanceType,
) -> Option<MemoryShortfall> {
    let input = perf_input(plan, deployment, fleet, instance)?;
    let replica = perf::build_replica(&input, perf::FITTED).ok()?;
    let m = &replica.memory;
    if m.fits {
        return None;
    }
    let pricing = perf::Pricing { book: plan.prices(), region: &plan.spec.region };
    let alternatives = perf::alternatives(&input, &pricing)
        .into_iter()
        .map(|mut a| {
            a.needed_gib_per_rank = round3(a.needed_gib_per_rank);
            a.available_gib_per_rank = round3(a.available_gib_per_rank);
            a.needed_gib_total = a.needed_gib_total.map(round3);
            a
        })
        .collect();
    Some(MemoryShortfall {
        instance_type: instance.name.clone(),
        reason: m.reason.clone().unwrap_or_default(),
        rank: m.rank_unit,
        needed_gib_per_rank: round3(m.needed_gib_per_rank),
        available_gib_per_rank: round3(m.available_gib_per_rank),
        weights_gib_per_rank: round3(m.weights_gib_per_rank),
        kv_cache_one_sequence_gib_per_rank: round3(m.kv_cache_needed_gib_per_rank),
        activations_gib_per_rank: round3(m.activations_gib_per_rank),
        engine_overhead_gib_per_rank: round3(m.engine_overhead_gib_per_rank),
        alternatives,
    })
}

/// The plan's SLOs as the performance model reads them (percentiles as quantiles, see [`quantile`]).
pub(crate) fn perf_slos(plan: &Plan) -> Vec<perf::Slo> {
    plan.spec
        .workload
        .slos
        .iter()
        .map(|s| perf::Slo {
            metric: match s.metric {
                SloMetric::Ttft => perf::SloMetric::TtftMs,
                SloMetric::Tpot => perf::SloMetric::TpotMs,
                SloMetric::E2e => perf::SloMetric::E2eLatencyMs,
            },
            percentile: quantile(s.percentile),
            limit_ms: s.limit_ms,
        })
        .collect()
}

/// A plan percentile (95) as the quantile the performance model reads (0.95), within [0.5, 0.999].
fn quantile(percentile: f64) -> f64 {
    (percentile / 100.0).clamp(0.5, 0.999)
}

/// Replicas the performance model says serve the peak rate within the SLOs, when it can tell.
pub fn replicas_for_peak(
    plan: &Plan,
    deployment: &Deployment,
    fleet: &Fleet,
    instance: Option<&InstanceType>,
) -> Option<u32> {
    let input = perf_input(plan, deployment, fleet, instance?)?;
    let peak = plan.spec.workload.requests_per_second.peak * plan.traffic_share();
    perf::replicas_for_rate(&input, peak, &perf_slos(plan)).ok()
}

/// Latency bands of a fleet on an instance type against the plan's SLOs, at the deployment's share of
/// the baseline rate (`Plan::traffic_share`) spread over `replicas` (estimates are `None` where the model, chip or fit is unknown; a replica at or above
/// its capacity is `saturated`: no estimate, the SLO missed).
/// Every value is the performance model's at that very percentile (its quantile functions take any
/// quantile): p95 is computed, not read off p90 and p99, and agrees with what `replicas_for_peak`
/// sizes against.
pub fn latency_bands(
    plan: &Plan,
    deployment: &Deployment,
    fleet: &Fleet,
    instance: Option<&InstanceType>,
    replicas: u32,
) -> Vec<LatencyBand> {
    let model = instance.and_then(|t| perf_input(plan, deployment, fleet, t)).and_then(|input| {
        let replica = perf::build_replica(&input, perf::FITTED).ok().filter(|r| r.memory.fits)?;
        let rate = plan.spec.workload.requests_per_second.baseline * plan.traffic_share() / replicas.max(1) as f64;
        let point = perf::OperatingPoint::new(&replica, perf::Load::RequestRate(rate.max(0.001))).ok()?;
        Some((replica, point))
    });
    plan.spec
        .workload
        .slos
        .iter()
        .map(|slo| {
            band(slo, |percentile| {
                let (replica, point) = model.as_ref()?;
                let q = quantile(percentile);
                // A replica at or above its capacity has no latencies: saturated, not unknown.
                let seconds = match slo.metric {
                    SloMetric::Ttft => point.ttft_s(replica, q),
                    SloMetric::Tpot => point.tpot_s(replica, q),
                    SloMetric::E2e => point.e2e_s(replica, q),
                };
                Some(seconds.map(|s| s * 1e3))
            })
        })
        .collect()
}

/// One stage of a disaggregated deployment as placed: the fleet, the instance type its replicas
/// landed on (when known) and how many were placed.
#[derive(Debug, Clone, Copy)]
pub struct PlacedStage<'a> {
    pub fleet: &'a Fleet,
    pub instance: Option<&'a InstanceType>,
    pub replicas: u32,
}

/// What sizing says about one fleet: replicas the peak needs within the SLOs, and latency bands.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetSizing {
    pub replicas_for_peak: Option<u32>,
    pub latency: Vec<LatencyBand>,
}

/// One stage's replica as the stage model sees it (`None` when the model, chip, precision or fit is
/// unknown).
fn stage_class(
    plan: &Plan,
    deployment: &Deployment,
    placed: &PlacedStage,
    tpot_limits: &[TpotLimit],
) -> Option<StageClass> {
    let input = perf_input(plan, deployment, placed.fleet, placed.instance?)?;
    let replica = perf::build_replica(&input, perf::FITTED).ok()?;
    if !replica.memory.fits {
        return None;
    }
    Some(StageClass::new(replica, input.input_tokens, input.output_tokens, tpot_limits))
}

/// Network bytes/s one replica of a placed stage gets for KV transfers.
fn stage_network(deployment: &Deployment, placed: &PlacedStage) -> Option<f64> {
    let t = placed.instance?;
    Some(stage::kv_network_bytes_per_s(t, PodRequests::for_fleet(deployment, placed.fleet).devices))
}

fn rounded(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// Sizing of a disaggregated deployment's prefill and decode stages with the stage model
/// (`perf::stage`). Latency bands are at the baseline rate spread over each stage's placed replicas:
/// the prefill stage reports the TTFT SLOs (queue + prefill + KV transfer to the decode stage), the
/// decode stage the TPOT SLOs (decode-only batch) and the end-to-end SLOs (TTFT + (output − 1) ×
/// TPOT), each at the SLO's percentile and at p50, p95 and p99: TTFT from the queue's wait quantile at
/// each one, TPOT read off the decode stage's p50/p90/p99 (one value today: the stage holds its batch
/// at the mean), end-to-end as TTFT(q) + (output − 1) × TPOT(q). Replicas for the peak: prefill, the peak over the highest rate one replica takes within the
/// TTFT and end-to-end SLOs (decode at its load over its maximum replicas); decode, the peak over what
/// one replica completes with its batch at the TPOT limit.
pub fn stage_sizing(
    plan: &Plan,
    deployment: &Deployment,
    prefill: &PlacedStage,
    decode: &PlacedStage,
) -> (FleetSizing, FleetSizing) {
    let slos = perf_slos(plan);
    let tpot_limits = TpotLimit::of(&slos);
    let p = stage_class(plan, deployment, prefill, &tpot_limits);
    let d = stage_class(plan, deployment, decode, &tpot_limits);
    // KV transfers run at the slower side's network share (the prefill side alone when the decode
    // side is unknown).
    let network = match (stage_network(deployment, prefill), stage_network(deployment, decode)) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(0.0),
    };
    let shares = [1.0];
    let rate = &plan.spec.workload.requests_per_second;
    let share = plan.traffic_share();
    let (baseline, peak) = (rate.baseline.max(0.0) * share, rate.peak.max(0.0) * share);
    let valid = |x: f64| x.is_finite();
    let p_classes: Vec<StageClass> = p.into_iter().collect();
    let d_classes: Vec<StageClass> = d.into_iter().collect();

    // Baseline figures.
    let prefill_rate = baseline / prefill.replicas.max(1) as f64;
    let decode_rate = baseline / decode.replicas.max(1) as f64;
    let prefill_figures = (!p_classes.is_empty() && valid(prefill_rate))
        .then(|| stage::prefill_stage(&p_classes, &shares, prefill_rate, network));
    let decode_figures =
        (!d_classes.is_empty() && valid(decode_rate)).then(|| stage::decode_stage(&d_classes, &shares, decode_rate));
    // TTFT at a quantile (seconds): `None` when unknown, `Some(None)` when saturated.
    let ttft_at = |q: f64| -> Option<Option<f64>> {
        let f = prefill_figures.as_ref()?;
        if f.saturated {
            return Some(None);
        }
        let v = stage::ttft_s(&p_classes, &shares, prefill_rate, network, 0, q);
        Some(v.is_finite().then_some(v))
    };
    // TPOT at a quantile (seconds): the step at that quantile of the decode stage's running batch.
    let decode_u = stage::decode_load(&d_classes, &shares, decode_rate);
    let tpot_at = |q: f64| -> Option<Option<f64>> {
        let f = decode_figures.as_ref()?;
        if f.saturated {
            return Some(None);
        }
        Some(d_classes.first().map(|c| c.tpot_s(decode_u, q)).filter(|v| v.is_finite()))
    };
    let ms = |v: Option<Option<f64>>| v.map(|v| v.map(|s| s * 1e3));
    let steps = d_classes.first().map_or(0.0, |c| c.output_tokens.max(1).saturating_sub(1) as f64);
    let mut prefill_bands = Vec::new();
    let mut decode_bands = Vec::new();
    for slo in &plan.spec.workload.slos {
        match slo.metric {
            SloMetric::Ttft => prefill_bands.push(band(slo, |p| ms(ttft_at(quantile(p))))),
            SloMetric::Tpot => decode_bands.push(band(slo, |p| ms(tpot_at(quantile(p))))),
            SloMetric::E2e => decode_bands.push(band(slo, |p| {
                ms(match (ttft_at(quantile(p)), tpot_at(quantile(p))) {
                    (Some(t), Some(d)) => Some(t.zip(d).map(|(t, d)| t + steps * d)),
                    _ => None,
                })
            })),
        }
    }

    // Replicas for the peak.
    let ceil = |x: f64| (0.0..=1e6).contains(&x).then(|| x.ceil() as u32);
    let decode_needed = d_classes.first().filter(|c| c.meets_tpot_alone).and_then(|_| {
        if peak == 0.0 {
            return Some(0);
        }
        ceil(stage::decode_load(&d_classes, &shares, peak))
    });
    let prefill_needed = (!p_classes.is_empty()).then_some(()).and_then(|_| {
        if peak == 0.0 {
            return Some(0);
        }
        // Decode at its load over its maximum replicas (at most the TPOT-limited batch); without a
        // decode estimate, end-to-end SLOs cannot be split and only TTFT sizes the prefill stage.
        let (slos, u) = if d_classes.is_empty() {
            (slos.iter().copied().filter(|s| s.metric == perf::SloMetric::TtftMs).collect(), 1.0)
        } else {
            let u = stage::decode_load(&d_classes, &shares, peak) / decode.fleet.replicas.max.max(1) as f64;
            (slos.clone(), u.min(1.0))
        };
        let per = stage::prefill_max_rate(&p_classes, &d_classes, &shares, network, &slos, u);
        (per > 0.0).then_some(()).and_then(|_| ceil(peak / per))
    });
    (
        FleetSizing { replicas_for_peak: prefill_needed, latency: prefill_bands },
        FleetSizing { replicas_for_peak: decode_needed, latency: decode_bands },
    )
}

/// What the planner needs to know about a model until the catalog's model table is wired in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelFacts {
    /// Parameters held in memory, billions.
    pub params_b: f64,
    /// Attention heads (tensor parallelism must divide them), when known.
    pub attention_heads: Option<u32>,
}

/// Known open-weight models: (name fragment, billions of parameters in memory, attention heads).
/// A fallback for names the catalog does not resolve.
const KNOWN_MODELS: &[(&str, f64, u32)] = &[
    ("mixtral-8x22b", 141.0, 48),
    ("mixtral-8x7b", 46.7, 32),
    ("llama-3.1-405b", 405.0, 128),
    ("llama-3.3-70b", 70.6, 64),
    ("llama-3.1-70b", 70.6, 64),
    ("llama-3-70b", 70.6, 64),
    ("llama-2-70b", 69.0, 64),
    ("distill-llama-70b", 70.6, 64),
    ("distill-qwen-32b", 32.8, 40),
    ("distill-qwen-14b", 14.8, 40),
    ("distill-qwen-7b", 7.6, 28),
    ("distill-llama-8b", 8.0, 32),
    ("llama-3.1-8b", 8.0, 32),
    ("llama-3-8b", 8.0, 32),
    ("llama-3.2-3b", 3.2, 24),
    ("llama-3.2-1b", 1.2, 32),
    ("llama-2-13b", 13.0, 40),
    ("llama-2-7b", 6.7, 32),
    ("mistral-7b", 7.2, 32),
    ("mistral-small-24b", 23.6, 32),
    ("qwen2.5-72b", 72.7, 64),
    ("qwen2.5-32b", 32.8, 40),
    ("qwen2.5-14b", 14.8, 40),
    ("qwen2.5-7b", 7.6, 28),
    ("qwen3-32b", 32.8, 64),
    ("qwen3-8b", 8.2, 32),
    ("gemma-2-27b", 27.2, 32),
    ("gemma-2-9b", 9.2, 16),
    ("gemma-3-27b", 27.4, 32),
];

/// Facts about a model from its name (`meta-llama/Meta-Llama-3-8B-Instruct`): a known model, or the
/// parameter count written in the name (`…-34B-…`) with unknown heads.
pub fn model_facts(model: &str) -> Option<ModelFacts> {
    if let Some(spec) = crate::catalog::model(model) {
        return Some(ModelFacts { params_b: spec.total_params() / 1e9, attention_heads: Some(spec.attention_heads) });
    }
    let name = model.rsplit('/').next().unwrap_or(model).to_ascii_lowercase().replace("meta-llama-", "llama-");
    if let Some((_, params_b, heads)) = KNOWN_MODELS.iter().find(|(fragment, _, _)| name.contains(fragment)) {
        return Some(ModelFacts { params_b: *params_b, attention_heads: Some(*heads) });
    }
    // `8x7b` (experts × size) or `34b`, `1.5b` between separators.
    name.split(['-', '_']).find_map(|part| {
        let part = part.strip_suffix('b')?;
        let params_b = match part.split_once('x') {
            Some((n, size)) => n.parse::<f64>().ok()? * size.parse::<f64>().ok()?,
            None => part.parse::<f64>().ok()?,
        };
        (params_b > 0.0 && params_b < 10_000.0).then_some(ModelFacts { params_b, attention_heads: None })
    })
}

/// Bytes per weight of a precision name.
pub fn bytes_per_weight(precision: &str) -> f64 {
    match precision {
        "fp8" | "int8" => 1.0,
        "awq" | "gptq" | "int4" => 0.5,
        "mxfp4" | "nvfp4" => 0.53,
        "fp32" => 4.0,
        _ => 2.0,
    }
}

/// Weights of a deployment's model in GiB, when the model is known.
pub fn weights_gib(deployment: &Deployment) -> Option<f64> {
    let facts = model_facts(&deployment.model)?;
    Some(facts.params_b * 1e9 * bytes_per_weight(&deployment.precision) / (1024.0 * 1024.0 * 1024.0))
}

#[cfg(test)]
mod tests;
