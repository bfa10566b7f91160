//! The search itself: serving configurations over the catalog, each request class's highest
//! SLO-meeting rate per replica (cached per chip, memory, tensor-parallel degree and precision),
//! candidates (single type or mix × utilisation target × capacity split), their cost and risk, the
//! Pareto front and the verdicts.

use std::collections::{BTreeMap, BTreeSet};

use super::disagg;
use super::unfit::Unfit;
use super::{
    Assignment, Candidate, CapacityStrategy, ClassLatency, FrontPoint, OptimizeConfig, OptimizeError, OptimizeInput,
    Rejected, SearchStats,
};
use crate::catalog::prices::price;
use crate::catalog::{accelerator_of, instance_types, Accelerator, CapacityType, InstanceType};
use crate::perf::{self, EstimateInput, Load, Percentiles, Precision};
use crate::place::PodRequests;
use crate::plan::{Deployment, Fleet, ReplicaBounds};

pub(super) struct Found {
    pub candidates: Vec<Candidate>,
    pub front: Vec<FrontPoint>,
    pub rejected: Vec<Rejected>,
    pub stats: SearchStats,
}

/// What one replica of a configuration does for one request class.
#[derive(Debug, Clone)]
struct Fit {
    /// Highest Poisson rate per replica with every SLO met.
    max_requests_per_s: f64,
    /// Index of the SLO that binds, if one does.
    binding_slo: Option<usize>,
    /// Latency and running sequences at each utilisation target (same order as the config's).
    at_target: Vec<(Percentiles, Percentiles, Percentiles, f64)>,
}

/// One way to run a replica: instance type, tensor-parallel degree, precision.
struct Config {
    instance: &'static InstanceType,
    chip: &'static Accelerator,
    tensor_parallel: u32,
    precision: Precision,
    neuron: bool,
    devices_per_replica: u32,
    replicas_per_node: u32,
    on_demand_usd_per_hour: f64,
    spot_usd_per_hour: Option<f64>,
    /// Per request class.
    fits: Vec<Fit>,
    /// `g6.xlarge/tp1/fp8`.
    id: String,
}

impl Config {
    fn id(&self) -> &str {
        &self.id
    }
}

/// The plan's name for a precision.
pub(super) fn precision_name(p: Precision) -> &'static str {
    match p {
        Precision::Int4 => "awq",
        other => other.as_str(),
    }
}

type FitKey = (String, u64, u32, Precision);

pub(super) fn tensor_parallel_options(t: &InstanceType, chip: &Accelerator, heads: u32) -> Vec<u32> {
    let neuron = chip.is_neuron();
    let ranks = if neuron { t.accelerator_count * chip.neuron_cores_per_device.max(1) } else { t.accelerator_count };
    let degrees: &[u32] = if neuron { &[2, 4, 8, 16, 32] } else { &[1, 2, 4, 8] };
    degrees.iter().copied().filter(|tp| *tp <= ranks && heads.is_multiple_of(*tp)).collect()
}

pub(super) fn pod_requests(tp: u32, neuron: bool) -> PodRequests {
    let deployment = Deployment {
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
    };
    let fleet = Fleet {
        name: "d".into(),
        role: "server".into(),
        tensor_parallel: tp,
        replicas: deployment.replicas,
        node_pool: None,
    };
    PodRequests::for_fleet(&deployment, &fleet)
}

/// Every configuration's fit for every class, or why it has none.
fn class_fits(
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

pub(super) fn slo_text(slo: &perf::Slo) -> String {
    let metric = match slo.metric {
        perf::SloMetric::TtftMs => "TTFT",
        perf::SloMetric::TpotMs => "TPOT",
        perf::SloMetric::E2eLatencyMs => "end-to-end latency",
    };
    format!("{metric} p{} ≤ {} ms", trim_number(slo.percentile * 100.0), trim_number(slo.limit_ms))
}

pub(super) fn trim_number(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The precisions to try on a chip: the configured ones and the plan's, as the chip runs them.
pub(super) fn precisions_for(input: &OptimizeInput, config: &OptimizeConfig, chip: &Accelerator) -> Vec<Precision> {
    let mut precisions: Vec<Precision> = Vec::new();
    for p in config.precisions.iter().chain(input.precision.as_ref()) {
        let p = match p {
            Precision::Bf16 | Precision::Fp16 if !chip.supports_bf16 => Precision::Fp16,
            other => *other,
        };
        if p == Precision::Fp8 && chip.fp8_tflops.is_none() {
            continue;
        }
        if !precisions.contains(&p) {
            precisions.push(p);
        }
    }
    precisions
}

fn configurations(
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
        let Some(on_demand) = price(&t.name, &input.region, CapacityType::OnDemand) else { continue };
        *types_searched += 1;
        let spot = price(&t.name, &input.region, CapacityType::Spot).map(|p| p.usd_per_hour);
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

/// A topology before pricing: which configuration serves which classes.
struct Topology<'a> {
    /// (config, class indices, deployment name).
    parts: Vec<(&'a Config, Vec<usize>, String)>,
    mix: bool,
}

// Not `clamp`: a NaN load must give one replica (`max` drops NaN), not zero.
#[allow(clippy::manual_clamp)]
fn ceil_replicas(load: f64) -> u32 {
    if load <= 0.0 {
        0
    } else {
        (load - 1e-9).ceil().max(1.0).min(1e6) as u32
    }
}

#[allow(clippy::too_many_arguments)]
fn price_candidate(
    input: &OptimizeInput,
    config: &OptimizeConfig,
    topology: &Topology,
    u_index: usize,
    strategy: CapacityStrategy,
) -> Option<Candidate> {
    let u = config.utilization_targets[u_index];
    let f = config.peak_hours_fraction.clamp(0.0, 1.0);
    let slo_critical = is_slo_critical(input, config);
    let share_sum: f64 = input.classes.iter().map(|c| c.share).sum();
    let mut assignments = Vec::new();
    let (mut base_cost, mut burst_cost, mut risk) = (0.0, 0.0, 0.0);
    let (mut spot_devices, mut devices) = (0.0, 0.0);
    let mut worst = [0.0f64; 5];
    for (c, classes, deployment) in &topology.parts {
        let (mut load_base, mut load_peak, mut rps_base, mut rps_peak, mut running) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut latency = Vec::new();
        for &k in classes {
            let class = &input.classes[k];
            let share = class.share / share_sum;
            let fit = &c.fits[k];
            let (b, p) = (input.baseline_requests_per_s * share, input.peak_requests_per_s * share);
            rps_base += b;
            rps_peak += p;
            load_base += b / fit.max_requests_per_s;
            load_peak += p / fit.max_requests_per_s;
            let (ttft, tpot, e2e, run) = fit.at_target[u_index];
            running += run * p;
            for (slot, v) in [ttft.p99, tpot.p99, e2e.p99, ttft.p50, tpot.p50].into_iter().enumerate() {
                worst[slot] = worst[slot].max(v);
            }
            latency.push(ClassLatency {
                class: class.name.clone(),
                ttft_ms: round_percentiles(ttft),
                tpot_ms: round_percentiles(tpot),
                e2e_latency_ms: round_percentiles(e2e),
            });
        }
        let replicas_peak = ceil_replicas(load_peak / u).max(1);
        let replicas_base = ceil_replicas(load_base / u).clamp(1, replicas_peak);
        let nodes_peak = replicas_peak.div_ceil(c.replicas_per_node);
        let nodes_base = replicas_base.div_ceil(c.replicas_per_node).min(nodes_peak);
        let burst_nodes = (nodes_peak - nodes_base) as f64;
        let od = c.on_demand_usd_per_hour;
        let (base_usd, burst_usd, base_spot, burst_spot) = match strategy {
            CapacityStrategy::ReservedBaselineSpotBurst => {
                let spot = c.spot_usd_per_hour?;
                (od, spot, false, true)
            }
            CapacityStrategy::ReservedBaselineOnDemandBurst | CapacityStrategy::OnDemand => (od, od, false, false),
            CapacityStrategy::SpotFirst => {
                let spot = c.spot_usd_per_hour?;
                (spot, spot, true, true)
            }
        };
        if strategy.reserves_baseline() && input.baseline_requests_per_s <= 0.0 {
            return None;
        }
        let base = nodes_base as f64 * base_usd;
        let burst = burst_nodes * burst_usd;
        base_cost += base;
        burst_cost += burst;
        if slo_critical {
            // Priced as the on-demand standby that keeps the SLO through an interruption.
            if base_spot {
                risk += nodes_base as f64 * od * config.spot_risk_baseline_fraction;
            }
            if burst_spot {
                risk += f * burst_nodes * od * config.spot_risk_burst_fraction;
            }
        }
        let node_devices = c.instance.accelerator_count as f64;
        devices += nodes_peak as f64 * node_devices;
        spot_devices += node_devices
            * (if base_spot { nodes_base as f64 } else { 0.0 } + if burst_spot { burst_nodes } else { 0.0 });
        assignments.push(Assignment {
            deployment: deployment.clone(),
            role: "server".to_string(),
            classes: classes.iter().map(|k| input.classes[*k].name.clone()).collect(),
            instance_type: c.instance.name.clone(),
            accelerator: c.chip.id.clone(),
            tensor_parallel: c.tensor_parallel,
            precision: precision_name(c.precision).to_string(),
            engine: if c.neuron { "neuron" } else { "vllm" }.to_string(),
            devices_per_replica: c.devices_per_replica,
            replicas_per_node: c.replicas_per_node,
            requests_per_s_baseline: round4(rps_base),
            requests_per_s_peak: round4(rps_peak),
            replica_load_at_peak: round4(load_peak),
            replicas_baseline: replicas_base,
            replicas_peak,
            nodes_baseline: nodes_base,
            nodes_peak,
            node_on_demand_usd_per_hour: od,
            node_spot_usd_per_hour: c.spot_usd_per_hour,
            running_sequences_per_replica: if rps_peak > 0.0 { round2(running / rps_peak) } else { 0.0 },
            latency,
        });
    }
    let cost = base_cost + f * burst_cost;
    let mean_rps = input.baseline_requests_per_s + f * (input.peak_requests_per_s - input.baseline_requests_per_s);
    let tokens_per_request: f64 =
        input.classes.iter().map(|c| c.share / share_sum * (c.input_tokens as f64 + c.output_tokens as f64)).sum();
    let u_pct = (u * 100.0).round() as u32;
    let name = if topology.mix {
        let parts: Vec<String> = topology
            .parts
            .iter()
            .map(|(c, classes, _)| format!("{}={}", class_names(input, classes), c.id()))
            .collect();
        format!("{}@{u_pct}%/{}", parts.join("+"), strategy.as_str())
    } else {
        format!("{}@{u_pct}%/{}", topology.parts[0].0.id(), strategy.as_str())
    };
    let figures =
        Figures { cost, base_cost, burst_cost, risk, mean_rps, tokens_per_request, devices, spot_devices, worst };
    Some(figures.candidate(name, if topology.mix { "mix" } else { "single" }, "monolithic", strategy, u, assignments))
}

/// Whether an interruption breaks the SLOs (see `OptimizeConfig::critical_e2e_limit_ms`).
pub(super) fn is_slo_critical(input: &OptimizeInput, config: &OptimizeConfig) -> bool {
    input.slos.iter().any(|s| match s.metric {
        perf::SloMetric::TtftMs | perf::SloMetric::TpotMs => true,
        perf::SloMetric::E2eLatencyMs => s.limit_ms < config.critical_e2e_limit_ms,
    })
}

fn class_names(input: &OptimizeInput, classes: &[usize]) -> String {
    classes.iter().map(|k| input.classes[*k].name.as_str()).collect::<Vec<_>>().join(",")
}

fn round_percentiles(p: Percentiles) -> Percentiles {
    Percentiles { p50: round2(p.p50), p90: round2(p.p90), p99: round2(p.p99) }
}

/// The money and latency figures both candidate builders (one type or a mix; disaggregated) tally,
/// turned into a [`Candidate`] the same way for each.
struct Figures {
    cost: f64,
    base_cost: f64,
    burst_cost: f64,
    risk: f64,
    mean_rps: f64,
    tokens_per_request: f64,
    devices: f64,
    spot_devices: f64,
    /// Worst over request classes: TTFT p99, TPOT p99, e2e p99, TTFT p50, TPOT p50 (ms).
    worst: [f64; 5],
}

impl Figures {
    fn candidate(
        self,
        name: String,
        topology: &str,
        mode: &str,
        capacity: CapacityStrategy,
        utilization_target: f64,
        assignments: Vec<Assignment>,
    ) -> Candidate {
        let Figures { cost, base_cost, burst_cost, risk, mean_rps, tokens_per_request, devices, spot_devices, worst } =
            self;
        Candidate {
            name,
            rank: 0,
            topology: topology.to_string(),
            mode: mode.to_string(),
            capacity,
            utilization_target,
            assignments,
            cost_usd_per_hour: round4(cost),
            baseline_usd_per_hour: round4(base_cost),
            peak_usd_per_hour: round4(base_cost + burst_cost),
            spot_risk_usd_per_hour: round4(risk),
            risk_adjusted_usd_per_hour: round4(cost + risk),
            usd_per_million_tokens: crate::units::usd_per_million_tokens(cost, mean_rps * tokens_per_request)
                .map(round4),
            spot_share_at_peak: if devices > 0.0 { round4(spot_devices / devices) } else { 0.0 },
            ttft_p99_ms: round2(worst[0]),
            tpot_p99_ms: round2(worst[1]),
            e2e_latency_p99_ms: round2(worst[2]),
            ttft_p50_ms: round2(worst[3]),
            tpot_p50_ms: round2(worst[4]),
            on_front: false,
            recommended: false,
            verdict: String::new(),
            reasons: Vec::new(),
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// On-demand cost of serving a class's peak alone on a configuration at the first utilisation
/// target, USD/hour (whole nodes, so small classes favour small nodes), for ranking mix options.
fn class_alone_usd_per_hour(input: &OptimizeInput, config: &OptimizeConfig, c: &Config, class: usize) -> f64 {
    let share_sum: f64 = input.classes.iter().map(|c| c.share).sum();
    let rate = input.peak_requests_per_s * input.classes[class].share / share_sum;
    let u = config.utilization_targets[0];
    let replicas = ceil_replicas(rate / (c.fits[class].max_requests_per_s * u)).max(1);
    replicas.div_ceil(c.replicas_per_node) as f64 * c.on_demand_usd_per_hour
}

fn strategy_index(s: CapacityStrategy) -> usize {
    CapacityStrategy::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

fn order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    a.risk_adjusted_usd_per_hour
        .total_cmp(&b.risk_adjusted_usd_per_hour)
        .then_with(|| strategy_index(a.capacity).cmp(&strategy_index(b.capacity)))
        .then_with(|| a.ttft_p99_ms.total_cmp(&b.ttft_p99_ms))
        .then_with(|| a.name.cmp(&b.name))
}

pub(super) fn search(input: &OptimizeInput, config: &OptimizeConfig) -> Result<Found, OptimizeError> {
    let mut rejected = Vec::new();
    let mut types_searched = 0;
    let configs = configurations(input, config, &mut rejected, &mut types_searched);
    let configurations_count = (configs.len() + rejected.len()) as u32;
    let feasible_count = configs.len() as u32;
    if types_searched == 0 {
        return Err(OptimizeError::new(
            "families",
            format!(
                "no priced accelerated instance type in {} matches the families {:?}",
                input.region, config.families
            ),
        ));
    }
    if configs.is_empty() {
        let why =
            rejected.first().map(|r| format!(" (e.g. {} tp{}: {})", r.instance_type, r.tensor_parallel, r.reason));
        return Err(OptimizeError::new(
            "spec.workload.slos",
            format!(
                "no instance type in {} serves {} within the SLOs{}",
                input.region,
                input.model.name,
                why.unwrap_or_default()
            ),
        ));
    }
    let mut topologies: Vec<Topology> = configs
        .iter()
        .map(|c| Topology {
            parts: vec![(c, (0..input.classes.len()).collect(), input.deployment_name.clone())],
            mix: false,
        })
        .collect();
    if input.classes.len() >= 2 && input.classes.len() <= 4 {
        // The cheapest configurations per class, combined (Mélange: each request size on the type that
        // serves it most cheaply).
        let best: Vec<Vec<usize>> = (0..input.classes.len())
            .map(|k| {
                let mut idx: Vec<usize> = (0..configs.len()).collect();
                idx.sort_by(|a, b| {
                    class_alone_usd_per_hour(input, config, &configs[*a], k)
                        .total_cmp(&class_alone_usd_per_hour(input, config, &configs[*b], k))
                        .then_with(|| configs[*a].id().cmp(configs[*b].id()))
                });
                idx.truncate(config.mix_options_per_class.max(1));
                idx
            })
            .collect();
        let mut combo = vec![0usize; input.classes.len()];
        loop {
            let chosen: Vec<usize> = combo.iter().enumerate().map(|(k, i)| best[k][*i]).collect();
            let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
            for (k, c) in chosen.iter().enumerate() {
                match groups.iter_mut().find(|(g, _)| g == c) {
                    Some((_, ks)) => ks.push(k),
                    None => groups.push((*c, vec![k])),
                }
            }
            let mut types: Vec<&str> = groups.iter().map(|(c, _)| configs[*c].instance.name.as_str()).collect();
            types.sort();
            types.dedup();
            // A mix of instance types; the same type with another precision or degree is not a mix.
            if groups.len() >= 2 && types.len() == groups.len() {
                let parts = groups
                    .into_iter()
                    .map(|(c, ks)| {
                        let suffix = class_names(input, &ks).replace(',', "-");
                        (&configs[c], ks, format!("{}-{suffix}", input.deployment_name))
                    })
                    .collect();
                topologies.push(Topology { parts, mix: true });
            }
            // Next combination (odometer).
            let mut k = 0;
            loop {
                if k == combo.len() {
                    break;
                }
                combo[k] += 1;
                if combo[k] < best[k].len() {
                    break;
                }
                combo[k] = 0;
                k += 1;
            }
            if k == combo.len() {
                break;
            }
        }
    }
    let mut all: Vec<Candidate> = Vec::new();
    for topology in &topologies {
        for u_index in 0..config.utilization_targets.len() {
            for strategy in &config.strategies {
                if let Some(c) = price_candidate(input, config, topology, u_index, *strategy) {
                    all.push(c);
                }
            }
        }
    }
    if config.search_disaggregated {
        disaggregated_candidates(input, config, &mut rejected, &mut all);
    }
    if all.is_empty() {
        return Err(OptimizeError::new("strategies", "no capacity strategy has prices for the fitting types"));
    }
    // Sort indices, not the (large) candidates themselves.
    let mut idx: Vec<usize> = (0..all.len()).collect();
    idx.sort_by(|a, b| order(&all[*a], &all[*b]));
    let mut slots: Vec<Option<Candidate>> = all.into_iter().map(Some).collect();
    let mut all: Vec<Candidate> = idx.iter().filter_map(|i| slots[*i].take()).collect();
    for (i, c) in all.iter_mut().enumerate() {
        c.rank = i as u32 + 1;
    }
    // Pareto front over (risk-adjusted cost, worst TTFT p99).
    let mut by_cost: Vec<usize> = (0..all.len()).collect();
    by_cost.sort_by(|a, b| {
        all[*a]
            .risk_adjusted_usd_per_hour
            .total_cmp(&all[*b].risk_adjusted_usd_per_hour)
            .then_with(|| all[*a].ttft_p99_ms.total_cmp(&all[*b].ttft_p99_ms))
            .then_with(|| all[*a].rank.cmp(&all[*b].rank))
    });
    let mut front_idx: Vec<usize> = Vec::new();
    let mut best_latency = f64::INFINITY;
    for i in by_cost {
        if all[i].ttft_p99_ms < best_latency {
            best_latency = all[i].ttft_p99_ms;
            front_idx.push(i);
        }
    }
    for i in &front_idx {
        all[*i].on_front = true;
    }
    all[0].recommended = true;
    let winner = all[0].clone();
    let front_points: Vec<(f64, f64, String)> = front_idx
        .iter()
        .map(|i| (all[*i].risk_adjusted_usd_per_hour, all[*i].ttft_p99_ms, all[*i].name.clone()))
        .collect();
    // Keep: the winner, the front, the best of each topology, capacity strategy and utilisation target,
    // then the cheapest others.
    let mut keep = vec![false; all.len()];
    keep[0] = true;
    for i in &front_idx {
        keep[*i] = true;
    }
    let mut topologies_seen = BTreeSet::new();
    let mut strategies_seen = BTreeSet::new();
    let mut targets_seen = BTreeSet::new();
    let mut instances_seen = BTreeSet::new();
    for (i, c) in all.iter().enumerate() {
        let instances: Vec<&str> = c.assignments.iter().map(|a| a.instance_type.as_str()).collect();
        let new_instances = instances_seen.len() < 8 && instances_seen.insert(instances);
        let new_topology = topologies_seen.insert(c.topology.as_str());
        let new_strategy = strategies_seen.insert(c.capacity);
        let new_target = targets_seen.insert(c.utilization_target.to_bits());
        if new_instances || new_topology || new_strategy || new_target {
            keep[i] = true;
        }
    }
    let mut extra = config.max_candidates;
    for k in keep.iter_mut() {
        if extra == 0 {
            break;
        }
        if !*k {
            *k = true;
            extra -= 1;
        }
    }
    let total = all.len() as u32;
    let mut candidates: Vec<Candidate> = all.into_iter().zip(keep).filter(|(_, k)| *k).map(|(c, _)| c).collect();
    for c in candidates.iter_mut() {
        explain_candidate(input, config, c, &winner, &front_points, &configs);
    }
    let front = front_idx_points(&candidates);
    rejected.sort_by(|a, b| {
        a.instance_type
            .cmp(&b.instance_type)
            .then(a.tensor_parallel.cmp(&b.tensor_parallel))
            .then(a.precision.cmp(&b.precision))
    });
    Ok(Found {
        candidates,
        front,
        stats: SearchStats {
            instance_types: types_searched,
            configurations: configurations_count,
            feasible_configurations: feasible_count,
            candidates: total,
        },
        rejected,
    })
}

fn front_idx_points(candidates: &[Candidate]) -> Vec<FrontPoint> {
    let mut front: Vec<FrontPoint> = candidates
        .iter()
        .filter(|c| c.on_front)
        .map(|c| FrontPoint {
            candidate: c.name.clone(),
            cost_usd_per_hour: c.cost_usd_per_hour,
            risk_adjusted_usd_per_hour: c.risk_adjusted_usd_per_hour,
            ttft_p99_ms: c.ttft_p99_ms,
            tpot_p99_ms: c.tpot_p99_ms,
            e2e_latency_p99_ms: c.e2e_latency_p99_ms,
            recommended: c.recommended,
        })
        .collect();
    front.sort_by(|a, b| {
        a.risk_adjusted_usd_per_hour
            .total_cmp(&b.risk_adjusted_usd_per_hour)
            .then_with(|| a.candidate.cmp(&b.candidate))
    });
    front
}

fn explain_candidate(
    input: &OptimizeInput,
    config: &OptimizeConfig,
    c: &mut Candidate,
    winner: &Candidate,
    front: &[(f64, f64, String)],
    configs: &[Config],
) {
    let mut reasons = Vec::new();
    for a in &c.assignments {
        reasons.push(format!(
            "{}{}: {} replica(s) at peak on {} × {} ({} per node), {} at baseline, {:.2} requests/s at peak",
            a.deployment,
            if a.role == "server" { String::new() } else { format!("-{}", a.role) },
            a.replicas_peak,
            a.nodes_peak,
            a.instance_type,
            a.replicas_per_node,
            a.replicas_baseline,
            a.requests_per_s_peak
        ));
        if a.role != "server" {
            let per_replica =
                if a.replica_load_at_peak > 0.0 { a.requests_per_s_peak / a.replica_load_at_peak } else { 0.0 };
            reasons.push(if a.role == "prefill" {
                format!(
                    "prefill stage: up to {per_replica:.2} requests/s per replica within the TTFT and end-to-end limits, KV cache shipped to the decode stage"
                )
            } else {
                format!(
                    "decode stage: up to {per_replica:.2} requests/s per replica with no prefills interleaved, batch held within the TPOT limit"
                )
            });
            continue;
        }
        if let Some(cfg) = configs.iter().find(|x| {
            x.instance.name == a.instance_type
                && x.tensor_parallel == a.tensor_parallel
                && precision_name(x.precision) == a.precision
        }) {
            for k in 0..input.classes.len() {
                if !a.classes.contains(&input.classes[k].name) {
                    continue;
                }
                let fit = &cfg.fits[k];
                let binding = match fit.binding_slo.and_then(|i| input.slos.get(i)) {
                    Some(slo) => format!("{} binds", slo_text(slo)),
                    None => "capacity binds before any SLO".to_string(),
                };
                reasons.push(format!(
                    "{} requests: up to {:.2} requests/s per replica within the SLOs ({binding})",
                    input.classes[k].name, fit.max_requests_per_s
                ));
            }
        }
    }
    reasons.push(
        match c.capacity {
            CapacityStrategy::ReservedBaselineSpotBurst => {
                "baseline on a capacity reservation (never waits on a launch), burst on spot with on-demand fallback"
            }
            CapacityStrategy::ReservedBaselineOnDemandBurst => {
                "baseline on a capacity reservation, burst on on-demand (no interruption risk)"
            }
            CapacityStrategy::OnDemand => "everything on on-demand: steady load waits on launches and shortages",
            CapacityStrategy::SpotFirst => {
                "spot first for baseline and burst: cheapest, but interruptions hit steady traffic"
            }
        }
        .to_string(),
    );
    if c.spot_risk_usd_per_hour > 0.0 {
        reasons.push(format!(
            "spot interruption risk for SLO-critical traffic counts {:.2} USD/hour against it",
            c.spot_risk_usd_per_hour
        ));
    }
    let pct = (c.utilization_target * 100.0).round();
    reasons.push(format!(
        "sized at {pct} % of the highest SLO-meeting rate (peak {:.2} USD/hour, baseline {:.2} USD/hour, expected {:.2} with {:.0} % of hours at peak)",
        c.peak_usd_per_hour,
        c.baseline_usd_per_hour,
        c.cost_usd_per_hour,
        config.peak_hours_fraction * 100.0
    ));
    c.verdict = if c.recommended {
        format!(
            "Recommended: the lowest risk-adjusted cost ({:.2} USD/hour) that meets every SLO at peak",
            c.risk_adjusted_usd_per_hour
        )
    } else {
        let extra = c.risk_adjusted_usd_per_hour - winner.risk_adjusted_usd_per_hour;
        let pct = if winner.risk_adjusted_usd_per_hour > 0.0 {
            extra / winner.risk_adjusted_usd_per_hour * 100.0
        } else {
            0.0
        };
        if c.on_front {
            format!(
                "On the front: TTFT p99 {:.0} ms instead of {:.0} ms for {:+.2} USD/hour ({:+.0} %)",
                c.ttft_p99_ms, winner.ttft_p99_ms, extra, pct
            )
        } else {
            // The front point with the highest cost not above this one is cheaper and at least as fast.
            let dominator = front
                .iter()
                .rev()
                .find(|(cost, latency, _)| *cost <= c.risk_adjusted_usd_per_hour && *latency <= c.ttft_p99_ms);
            let by = dominator.map(|(_, _, n)| format!("; dominated by {n}")).unwrap_or_default();
            let risk =
                if c.spot_risk_usd_per_hour > 0.0 && extra > 0.0 && c.cost_usd_per_hour <= winner.cost_usd_per_hour {
                    " (cheaper before spot risk)"
                } else {
                    ""
                };
            format!("Lost: {extra:+.2} USD/hour ({pct:+.0} %) over the recommendation{risk}{by}")
        }
    };
    c.reasons = reasons;
}

/// Disaggregated candidates: the cheapest prefill and decode configurations paired (same precision and
/// device kind, so one deployment runs both), at every utilisation target, on-demand or spot first
/// (each stage is pinned to one NodePool).
fn disaggregated_candidates(
    input: &OptimizeInput,
    config: &OptimizeConfig,
    rejected: &mut Vec<Rejected>,
    out: &mut Vec<Candidate>,
) {
    let stages = disagg::stage_configs(input, config, &|chip| precisions_for(input, config, chip), rejected);
    if stages.is_empty() {
        return;
    }
    let share_sum: f64 = input.classes.iter().map(|c| c.share).sum();
    let shares: Vec<f64> = input.classes.iter().map(|c| c.share / share_sum).collect();
    // Ranked by the on-demand cost of serving the peak alone, in whole nodes (small fleets favour
    // small nodes); prefill at 70 % of its capacity, decode at the first utilisation target.
    let peak = input.peak_requests_per_s;
    let u0 = config.utilization_targets[0];
    let nodes_usd = |s: &disagg::StageConfig, load: f64| {
        ceil_replicas(load).max(1).div_ceil(s.replicas_per_node) as f64 * s.on_demand_usd_per_hour
    };
    let prefill_cost = |s: &disagg::StageConfig| {
        nodes_usd(s, peak * s.classes.iter().zip(&shares).map(|(c, w)| w * c.prefill_s).sum::<f64>() / 0.7)
    };
    let decode_cost = |s: &disagg::StageConfig| nodes_usd(s, disagg::decode_load(s, &shares, peak) / u0);
    // Costs computed once (sorting calls the comparator many times); ties broken by id.
    let ranked = |cost: &dyn Fn(&disagg::StageConfig) -> f64| -> Vec<usize> {
        let costs: Vec<(f64, String)> = stages.iter().map(|s| (cost(s), s.id())).collect();
        let mut idx: Vec<usize> = (0..stages.len()).filter(|i| costs[*i].0.is_finite()).collect();
        idx.sort_by(|a, b| costs[*a].0.total_cmp(&costs[*b].0).then_with(|| costs[*a].1.cmp(&costs[*b].1)));
        idx
    };
    // Only prefill configurations that meet the TTFT limits with no queue, over their own network.
    let prefill_cost = |s: &disagg::StageConfig| {
        let usd = prefill_cost(s);
        if usd.is_finite() && disagg::prefill_max_rate(input, s, s, &shares, u0) > 0.0 {
            usd
        } else {
            f64::INFINITY
        }
    };
    let mut prefills = ranked(&prefill_cost);
    prefills.truncate(config.disaggregated_options_per_stage.max(1));
    let decodes = ranked(&decode_cost);
    for &pi in &prefills {
        // The cheapest decode configurations one deployment can pair with this prefill (same precision
        // and device kind).
        let p = &stages[pi];
        let matching = decodes
            .iter()
            .filter(|di| stages[**di].precision == p.precision && stages[**di].neuron == p.neuron)
            .take(config.disaggregated_options_per_stage.max(1));
        for &di in matching {
            let d = &stages[di];
            for (u_index, u) in config.utilization_targets.iter().enumerate() {
                for strategy in &config.strategies {
                    if matches!(strategy, CapacityStrategy::OnDemand | CapacityStrategy::SpotFirst) {
                        if let Some(c) = price_disaggregated(input, config, p, d, &shares, u_index, *u, *strategy) {
                            out.push(c);
                        }
                    }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn price_disaggregated(
    input: &OptimizeInput,
    config: &OptimizeConfig,
    p: &disagg::StageConfig,
    d: &disagg::StageConfig,
    shares: &[f64],
    _u_index: usize,
    u: f64,
    strategy: CapacityStrategy,
) -> Option<Candidate> {
    let f = config.peak_hours_fraction.clamp(0.0, 1.0);
    let per_prefill = disagg::prefill_max_rate(input, p, d, shares, u);
    if per_prefill <= 0.0 {
        return None;
    }
    let (base_rps, peak_rps) = (input.baseline_requests_per_s, input.peak_requests_per_s);
    let prefill_peak = ceil_replicas(peak_rps / (per_prefill * u)).max(1);
    let prefill_base = ceil_replicas(base_rps / (per_prefill * u)).clamp(1, prefill_peak);
    let decode_peak = ceil_replicas(disagg::decode_load(d, shares, peak_rps) / u).max(1);
    let decode_base = ceil_replicas(disagg::decode_load(d, shares, base_rps) / u).clamp(1, decode_peak);
    let spot = strategy == CapacityStrategy::SpotFirst;
    let slo_critical = is_slo_critical(input, config);
    let deployment = input.deployment_name.clone();
    let (mut base_cost, mut burst_cost, mut risk, mut devices, mut spot_devices) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let decode_u = disagg::decode_load(d, shares, peak_rps) / decode_peak as f64;
    let prefill_rate = peak_rps / prefill_peak as f64;
    let mut worst = [0.0f64; 5];
    let mut latency = Vec::new();
    for k in 0..input.classes.len() {
        let (t, tp, e) = disagg::latency_ms(p, d, shares, prefill_rate, decode_u, k);
        for (slot, v) in [t.p99, tp.p99, e.p99, t.p50, tp.p50].into_iter().enumerate() {
            worst[slot] = worst[slot].max(v);
        }
        latency.push(ClassLatency {
            class: input.classes[k].name.clone(),
            ttft_ms: round_percentiles(t),
            tpot_ms: round_percentiles(tp),
            e2e_latency_ms: round_percentiles(e),
        });
    }
    if !worst.iter().all(|x| x.is_finite()) {
        return None;
    }
    let mut assignments = Vec::new();
    // Stages on the same instance type share one NodePool, so their pods pack onto the same nodes:
    // the prefill stage is charged its devices' share of nodes, the decode stage the rest.
    let shared = p.instance.name == d.instance.name;
    let joint = |np: u32, nd: u32| -> (u32, u32) {
        let acc = p.instance.accelerator_count.max(1);
        let total = (np * p.devices_per_replica + nd * d.devices_per_replica)
            .div_ceil(acc)
            .max(np.div_ceil(p.replicas_per_node))
            .max(nd.div_ceil(d.replicas_per_node));
        let prefill_nodes = (np * p.devices_per_replica).div_ceil(acc).min(total);
        (prefill_nodes, total - prefill_nodes)
    };
    let (joint_peak, joint_base) = (joint(prefill_peak, decode_peak), joint(prefill_base, decode_base));
    for (role, s, replicas_base, replicas_peak) in
        [("prefill", p, prefill_base, prefill_peak), ("decode", d, decode_base, decode_peak)]
    {
        let (mut nodes_peak, mut nodes_base) =
            (replicas_peak.div_ceil(s.replicas_per_node), replicas_base.div_ceil(s.replicas_per_node));
        if shared {
            (nodes_peak, nodes_base) =
                if role == "prefill" { (joint_peak.0, joint_base.0) } else { (joint_peak.1, joint_base.1) };
        }
        let nodes_base = nodes_base.min(nodes_peak);
        let usd = if spot { s.spot_usd_per_hour? } else { s.on_demand_usd_per_hour };
        let base = nodes_base as f64 * usd;
        let burst = (nodes_peak - nodes_base) as f64 * usd;
        base_cost += base;
        burst_cost += burst;
        if spot && slo_critical {
            risk += nodes_base as f64 * s.on_demand_usd_per_hour * config.spot_risk_baseline_fraction
                + f * (nodes_peak - nodes_base) as f64 * s.on_demand_usd_per_hour * config.spot_risk_burst_fraction;
        }
        let node_devices = s.instance.accelerator_count as f64;
        devices += nodes_peak as f64 * node_devices;
        if spot {
            spot_devices += nodes_peak as f64 * node_devices;
        }
        let load = if role == "prefill" { peak_rps / per_prefill } else { disagg::decode_load(d, shares, peak_rps) };
        assignments.push(Assignment {
            deployment: deployment.clone(),
            role: role.to_string(),
            classes: input.classes.iter().map(|c| c.name.clone()).collect(),
            instance_type: s.instance.name.clone(),
            accelerator: s.accelerator.clone(),
            tensor_parallel: s.tensor_parallel,
            precision: precision_name(s.precision).to_string(),
            engine: if s.neuron { "neuron" } else { "vllm" }.to_string(),
            devices_per_replica: s.devices_per_replica,
            replicas_per_node: s.replicas_per_node,
            requests_per_s_baseline: round4(base_rps),
            requests_per_s_peak: round4(peak_rps),
            replica_load_at_peak: round4(load),
            replicas_baseline: replicas_base,
            replicas_peak,
            nodes_baseline: nodes_base,
            nodes_peak,
            node_on_demand_usd_per_hour: s.on_demand_usd_per_hour,
            node_spot_usd_per_hour: s.spot_usd_per_hour,
            running_sequences_per_replica: if role == "decode" {
                round2(d.classes.iter().zip(shares).map(|(c, w)| w * c.decode_batch).sum::<f64>() * decode_u)
            } else {
                round2(prefill_rate * p.classes.iter().zip(shares).map(|(c, w)| w * c.prefill_s).sum::<f64>())
            },
            latency: if role == "decode" { latency.clone() } else { Vec::new() },
        });
    }
    let cost = base_cost + f * burst_cost;
    let mean_rps = base_rps + f * (peak_rps - base_rps);
    let tokens_per_request: f64 =
        input.classes.iter().zip(shares).map(|(c, w)| w * (c.input_tokens as f64 + c.output_tokens as f64)).sum();
    let figures =
        Figures { cost, base_cost, burst_cost, risk, mean_rps, tokens_per_request, devices, spot_devices, worst };
    Some(figures.candidate(
        format!("prefill={}+decode={}@{}%/{}", p.id(), d.id(), (u * 100.0).round() as u32, strategy.as_str()),
        "disaggregated",
        "disaggregated",
        strategy,
        u,
        assignments,
    ))
}
