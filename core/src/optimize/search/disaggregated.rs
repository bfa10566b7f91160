//! Disaggregated candidates: the cheapest prefill and decode stage configurations paired and priced.

use super::configs::{precision_name, precisions_for};
use super::pricing::{ceil_replicas, is_slo_critical, round2, round4, round_percentiles, Figures};
use crate::optimize::disagg;
use crate::optimize::{Assignment, Candidate, CapacityStrategy, ClassLatency, OptimizeConfig, OptimizeInput, Rejected};

/// Disaggregated candidates: the cheapest prefill and decode configurations paired (same precision and
/// device kind, so one deployment runs both), at every utilisation target, on-demand or spot first
/// (each stage is pinned to one NodePool).
pub(super) fn disaggregated_candidates(
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
pub(super) fn price_disaggregated(
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
    // A plan holds at most MAX_REPLICAS replicas per stage.
    if prefill_peak.max(decode_peak) > crate::plan::parse::MAX_REPLICAS {
        return None;
    }
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
