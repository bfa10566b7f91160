//! A topology (which configuration serves which classes) priced as a candidate: replicas and nodes
//! per utilisation target and capacity split, cost, spot risk and latency figures.

use super::configs::{precision_name, Config};
use crate::optimize::{Assignment, Candidate, CapacityStrategy, ClassLatency, OptimizeConfig, OptimizeInput};
use crate::perf::{self, Percentiles};

/// A topology before pricing: which configuration serves which classes.
pub(super) struct Topology<'a> {
    /// (config, class indices, deployment name).
    pub(super) parts: Vec<(&'a Config, Vec<usize>, String)>,
    pub(super) mix: bool,
}

// Not `clamp`: a NaN load must give one replica (`max` drops NaN), not zero.
#[allow(clippy::manual_clamp)]
pub(super) fn ceil_replicas(load: f64) -> u32 {
    if load <= 0.0 {
        0
    } else {
        (load - 1e-9).ceil().max(1.0).min(1e6) as u32
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn price_candidate(
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
        // A plan holds at most MAX_REPLICAS replicas per deployment: a candidate that needs more
        // cannot be written as a plan Tokenfleet reads back.
        if replicas_peak > crate::plan::parse::MAX_REPLICAS {
            return None;
        }
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
pub(in crate::optimize) fn is_slo_critical(input: &OptimizeInput, config: &OptimizeConfig) -> bool {
    input.slos.iter().any(|s| match s.metric {
        perf::SloMetric::TtftMs | perf::SloMetric::TpotMs => true,
        perf::SloMetric::E2eLatencyMs => s.limit_ms < config.critical_e2e_limit_ms,
    })
}

pub(super) fn class_names(input: &OptimizeInput, classes: &[usize]) -> String {
    classes.iter().map(|k| input.classes[*k].name.as_str()).collect::<Vec<_>>().join(",")
}

pub(super) fn round_percentiles(p: Percentiles) -> Percentiles {
    Percentiles { p50: round2(p.p50), p90: round2(p.p90), p99: round2(p.p99) }
}

/// The money and latency figures both candidate builders (one type or a mix; disaggregated) tally,
/// turned into a [`Candidate`] the same way for each.
pub(super) struct Figures {
    pub(super) cost: f64,
    pub(super) base_cost: f64,
    pub(super) burst_cost: f64,
    pub(super) risk: f64,
    pub(super) mean_rps: f64,
    pub(super) tokens_per_request: f64,
    pub(super) devices: f64,
    pub(super) spot_devices: f64,
    /// Worst over request classes: TTFT p99, TPOT p99, e2e p99, TTFT p50, TPOT p50 (ms).
    pub(super) worst: [f64; 5],
}

impl Figures {
    pub(super) fn candidate(
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
            autoscaling: Default::default(),
            simulated: None,
        }
    }
}

pub(super) fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

pub(super) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// On-demand cost of serving a class's peak alone on a configuration at the first utilisation
/// target, USD/hour (whole nodes, so small classes favour small nodes), for ranking mix options.
pub(super) fn class_alone_usd_per_hour(
    input: &OptimizeInput,
    config: &OptimizeConfig,
    c: &Config,
    class: usize,
) -> f64 {
    let share_sum: f64 = input.classes.iter().map(|c| c.share).sum();
    let rate = input.peak_requests_per_s * input.classes[class].share / share_sum;
    let u = config.utilization_targets[0];
    let replicas = ceil_replicas(rate / (c.fits[class].max_requests_per_s * u)).max(1);
    replicas.div_ceil(c.replicas_per_node) as f64 * c.on_demand_usd_per_hour
}
