//! The search itself: serving configurations over the catalog, each request class's highest
//! SLO-meeting rate per replica (cached per chip, memory, tensor-parallel degree and precision),
//! candidates (single type or mix × utilisation target × capacity split), their cost and risk, the
//! Pareto front and the verdicts.

use std::collections::BTreeSet;

use super::{
    Candidate, CapacityStrategy, FrontPoint, OptimizeConfig, OptimizeError, OptimizeInput, Rejected, SearchStats,
};

mod configs;
mod disaggregated;
mod pricing;
use configs::{configurations, Config};
pub(super) use configs::{pod_requests, precision_name, slo_text, tensor_parallel_options};
use disaggregated::disaggregated_candidates;
use pricing::{class_alone_usd_per_hour, class_names, price_candidate, Topology};

pub(super) struct Found {
    pub candidates: Vec<Candidate>,
    pub front: Vec<FrontPoint>,
    pub rejected: Vec<Rejected>,
    pub stats: SearchStats,
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
        return Err(OptimizeError::new(
            "strategies",
            format!(
                "no capacity strategy has prices for the fitting types, or every candidate needs more than {} \
                 replicas (the most a plan holds) at {} requests/s",
                crate::plan::parse::MAX_REPLICAS,
                input.peak_requests_per_s
            ),
        ));
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
