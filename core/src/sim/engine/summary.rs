//! The end of a run: the summary (cost, SLO attainment, cold starts, nodes) and the findings.

use std::collections::BTreeMap;

use super::series::r3;
use super::{Dep, Topology};
use crate::sim::cluster::Cluster;
use crate::sim::hpa::MetricKind;
use crate::sim::output::{
    CaNodeGroupSummary, CaSummary, Finding, LatencySummary, Parameter, Series, Summary, Timeline,
};
use crate::sim::scenario::{Autoscaler, Expander, Scenario, SimOptions, SloMetric};

#[allow(clippy::too_many_arguments)]
pub(super) fn finish(
    sc: &Scenario,
    opt: &SimOptions,
    topology: &Topology,
    deps: &[Dep],
    cluster: &Cluster,
    series: Series,
    cost_usd: f64,
    peak_nodes: u32,
) -> Timeline {
    // A request counts once: arrived at its first stage, served by its last; it may be queued or
    // dropped at any stage.
    let entry = |i: &usize| topology.entry[*i];
    let terminal = |i: &usize| topology.terminal[*i];
    let arrived: u64 = (0..deps.len()).filter(entry).map(|i| deps[i].arrived).sum();
    let served: u64 = (0..deps.len()).filter(terminal).map(|i| deps[i].served).sum();
    let queued: u64 = deps.iter().map(|d| d.queue).sum();
    let dropped: u64 = deps.iter().map(|d| d.dropped).sum();
    let tokens: f64 = (0..deps.len()).filter(terminal).map(|i| deps[i].tokens).sum();
    let mut slo_attainment = BTreeMap::new();
    let mut late = 0.0f64;
    let mut findings = vec![];
    for (k, slo) in sc.slos.iter().enumerate() {
        // TTFT is decided where a request starts (the prefill stage), TPOT and end-to-end where it
        // ends (the decode stage); a monolithic deployment is both.
        let judged = |i: &usize| if slo.metric == SloMetric::Ttft { topology.entry[*i] } else { topology.terminal[*i] };
        let within: f64 = (0..deps.len()).filter(judged).map(|i| deps[i].within[k]).sum();
        let judged_served: u64 = (0..deps.len()).filter(judged).map(|i| deps[i].served).sum();
        let denominator = (judged_served + dropped) as f64;
        let fraction = if denominator > 0.0 { within / denominator } else { 1.0 };
        late = late.max(judged_served as f64 - within);
        slo_attainment.insert(slo.key(), (fraction * 1e4).round() / 1e4);
        if fraction + 1e-9 < slo.percentile / 100.0 {
            findings.push(Finding::warning(
                "SIM003",
                format!(
                    "SLO {}: {:.2} % of requests met it, below the {} % it asks for",
                    slo.key(),
                    fraction * 100.0,
                    slo.percentile
                ),
            ));
        }
    }
    for (i, d) in sc.deployments.iter().enumerate() {
        let u = &cluster.unplaced[i];
        if u.max_pods > 0 {
            let pools: Vec<String> = u
                .pools_at_limit
                .iter()
                .map(|&p| {
                    let pool = &sc.pools[p];
                    let launches = pool.capacity_types.iter().any(|c| *c != crate::catalog::CapacityType::Reserved);
                    let limit = match (launches, pool.limit_devices, pool.limit_cpu) {
                        (false, _, _) => "reserved capacity only, all in use".to_string(),
                        (true, Some(l), _) => format!("{l} devices"),
                        (true, None, Some(c)) => format!("{c} vCPU"),
                        _ => "no priced instance type left".to_string(),
                    };
                    format!("{} ({limit})", pool.name)
                })
                .collect();
            let groups: Vec<String> = match &cluster.ca {
                Some(ca) => u
                    .groups_at_max
                    .iter()
                    .map(|&g| format!("{} (maxSize {})", ca.spec.node_groups[g].name, ca.spec.node_groups[g].max_size))
                    .collect(),
                None => vec![],
            };
            let why = if cluster.ca.is_some() {
                if !groups.is_empty() {
                    format!("node groups at their maximum size (or --max-nodes-total): {}", groups.join(", "))
                } else if u.no_fitting_type {
                    format!("no node group's template has {} devices and takes the pods", d.devices_per_replica)
                } else {
                    "no node group could be scaled up (backed off after a failed launch)".to_string()
                }
            } else if !pools.is_empty() {
                format!("NodePool limits reached: {}", pools.join(", "))
            } else if u.no_fitting_type {
                format!("no allowed NodePool offers an instance type with {} devices", d.devices_per_replica)
            } else {
                "no allowed NodePool could launch a node".to_string()
            };
            findings.push(Finding::error(
                "SIM001",
                format!(
                    "deployment {}: up to {} pods stayed pending from t = {} s; {why}. Raise the pool limits, add a \
                     pool, or lower maxReplicas to what the pools can hold.",
                    d.name,
                    u.max_pods,
                    r3(u.first_s.unwrap_or(0.0))
                ),
            ));
        }
        let per_day = deps[i].reversals as f64 * 86_400.0 / opt.duration_s.max(1.0);
        if per_day > 24.0 {
            // The advice depends on the signal: a queue depth reads zero whenever capacity suffices, so
            // it flaps by nature; other metrics flap when the target sits too close to the load.
            let queue_depth = match &d.autoscaler {
                Autoscaler::Hpa(h) => h.metrics.iter().any(|m| m.kind == MetricKind::QueueDepth),
                Autoscaler::Keda(k) => k.triggers.iter().any(|t| t.metric == MetricKind::QueueDepth),
                Autoscaler::Fixed { .. } => false,
            };
            let advice = if queue_depth {
                "a queue-depth signal reads zero below capacity. Scale on running requests or KV-cache usage \
                 as well, or lengthen the scale-down stabilisation window."
            } else {
                "the load sits near the scaling target, so small swings cross it both ways. Lengthen the \
                 scale-down stabilisation window, or move the target further from the usual load."
            };
            findings.push(Finding::warning(
                "SIM006",
                format!(
                    "deployment {}: the autoscaler reversed direction {} times ({:.0} a day) and started pods \
                     it soon removed; {advice}",
                    d.name, deps[i].reversals, per_day
                ),
            ));
        }
        if deps[i].hit_max {
            findings.push(Finding::warning(
                "SIM004",
                format!(
                    "deployment {}: the autoscaler wanted more than maxReplicas ({})",
                    d.name,
                    d.autoscaler.max_replicas()
                ),
            ));
        }
    }
    if dropped > 0 {
        findings.push(Finding::error(
            "SIM002",
            format!(
                "{dropped} of {arrived} requests were dropped (no ready replica, or queued beyond the {} s request \
                 timeout)",
                sc.timing.request_timeout_s
            ),
        ));
    }
    if cluster.spot_interruptions > 0 {
        findings.push(Finding::info(
            "SIM005",
            format!("{} spot interruptions; replacement pods waited for new nodes", cluster.spot_interruptions),
        ));
    }
    if cluster.capacity_block_drains > 0 {
        findings.push(Finding::warning(
            "SIM008",
            format!(
                "a Capacity Block ended: {} of its nodes were drained 40 minutes before its end and their pods \
                 moved to the next NodePool by weight",
                cluster.capacity_block_drains
            ),
        ));
    }
    if cluster.launch_failures > 0 {
        findings.push(Finding::info(
            "SIM007",
            format!(
                "{} spot launches found no capacity; Karpenter fell back to other offerings for {} s each",
                cluster.launch_failures, sc.timing.unavailable_offering_ttl_s
            ),
        ));
    }
    let parameters = BTreeMap::from_iter(sc.timing.documented().into_iter().map(|p| {
        (p.name.to_string(), crate::sim::output::Parameter { value: p.value, default: p.default, source: p.source })
    }));
    let summary = Summary {
        requests_arrived: arrived,
        requests_served: served,
        requests_queued_at_end: queued,
        requests_dropped: dropped,
        requests_late: late.max(0.0).round() as u64,
        slo_attainment,
        autoscaler_reversals_per_day: r3(deps
            .iter()
            .map(|d| d.reversals as f64 * 86_400.0 / opt.duration_s.max(1.0))
            .fold(0.0, f64::max)),
        cost_usd: r3(cost_usd),
        usd_per_million_tokens: if tokens > 0.0 { r3(cost_usd / tokens * 1e6) } else { 0.0 },
        tokens_served: tokens.round() as u64,
        peak_nodes,
        longest_pending_s: r3(cluster.longest_pending_s),
        longest_unschedulable_s: r3(cluster.longest_unschedulable_s),
        pod_startup_s_mean: if cluster.startup_count > 0 {
            r3(cluster.startup_sum_s / cluster.startup_count as f64)
        } else {
            0.0
        },
        pod_startup_s_max: r3(cluster.startup_max_s),
        pods_started: cluster.startup_count,
        nodes_launched: cluster.nodes_launched,
        spot_interruptions: cluster.spot_interruptions,
        capacity_block_drains: cluster.capacity_block_drains,
        spot_launch_failures: cluster.launch_failures,
        nodes_consolidated: cluster.nodes_consolidated,
        nodes_replaced: cluster.nodes_replaced,
        duration_s: r3(opt.duration_s),
        step_s: opt.step_s,
        series_step_s: opt.series_step_s,
        seed: opt.seed,
        service_model: BTreeMap::from_iter(sc.deployments.iter().map(|d| (d.name.clone(), d.service.source.clone()))),
        latency: BTreeMap::from_iter(sc.deployments.iter().zip(deps).map(|(d, dep)| {
            let (ttft, tpot, e2e) = (dep.ttft.band(), dep.tpot.band(), dep.e2e.band());
            let summary = LatencySummary {
                ttft_p50_ms: r3(ttft.p50_ms),
                ttft_p95_ms: r3(ttft.p95_ms),
                ttft_p99_ms: r3(ttft.p99_ms),
                tpot_p50_ms: r3(tpot.p50_ms),
                tpot_p95_ms: r3(tpot.p95_ms),
                tpot_p99_ms: r3(tpot.p99_ms),
                e2e_p50_ms: r3(e2e.p50_ms),
                e2e_p95_ms: r3(e2e.p95_ms),
                e2e_p99_ms: r3(e2e.p99_ms),
            };
            (d.name.clone(), summary)
        })),
        findings,
        parameters,
        prices: sc.prices.clone(),
        commitments: (!sc.commitments.is_empty()).then(|| {
            let day = cluster.commitments_day;
            crate::sim::output::CommitmentsOverRun {
                fees_usd: r3(day.fees_usd),
                covered_on_demand_usd: r3(day.covered_on_demand_usd),
                unused_usd: r3(day.unused_usd),
                savings_usd: r3(day.list_usd - cost_usd),
            }
        }),
        node_autoscaler: cluster.ca.as_ref().map(|_| sc.node_autoscaler.name().to_string()),
        cluster_autoscaler: cluster.ca.as_ref().map(ca_summary),
        comparison: None,
    };
    Timeline { summary, series, events: Vec::new() }
}

/// Cluster Autoscaler's settings with their defaults and sources, its groups and what it did.
fn ca_summary(ca: &crate::sim::cluster::CaState) -> CaSummary {
    use crate::sim::params::cluster_autoscaler as d;
    let spec = &ca.spec;
    let p = |value: f64, default: f64, source: &'static str| Parameter { value, default, source };
    let parameters = BTreeMap::from([
        ("scan_interval_s".to_string(), p(spec.scan_interval_s, d::SCAN_INTERVAL_S, d::SOURCE_SCAN_INTERVAL)),
        (
            "scale_down_enabled".to_string(),
            p(if spec.scale_down_enabled { 1.0 } else { 0.0 }, 1.0, d::SOURCE_SCALE_DOWN_ENABLED),
        ),
        (
            "scale_down_delay_after_add_s".to_string(),
            p(spec.scale_down_delay_after_add_s, d::SCALE_DOWN_DELAY_AFTER_ADD_S, d::SOURCE_DELAY_AFTER_ADD),
        ),
        (
            "scale_down_delay_after_delete_s".to_string(),
            p(spec.scale_down_delay_after_delete_s, spec.scan_interval_s, d::SOURCE_DELAY_AFTER_DELETE),
        ),
        (
            "scale_down_unneeded_time_s".to_string(),
            p(spec.scale_down_unneeded_time_s, d::SCALE_DOWN_UNNEEDED_TIME_S, d::SOURCE_UNNEEDED_TIME),
        ),
        (
            "scale_down_utilization_threshold".to_string(),
            p(spec.scale_down_utilization_threshold, d::SCALE_DOWN_UTILIZATION_THRESHOLD, d::SOURCE_UTILIZATION),
        ),
        (
            "max_node_provision_time_s".to_string(),
            p(spec.max_node_provision_time_s, d::MAX_NODE_PROVISION_TIME_S, d::SOURCE_PROVISION_TIME),
        ),
        ("max_nodes_total".to_string(), p(spec.max_nodes_total.unwrap_or(0) as f64, 0.0, d::SOURCE_MAX_NODES_TOTAL)),
        (
            "max_empty_bulk_delete".to_string(),
            p(spec.max_empty_bulk_delete as f64, d::MAX_EMPTY_BULK_DELETE as f64, d::SOURCE_BULK_DELETE),
        ),
        ("node_group_backoff_s".to_string(), p(spec.node_group_backoff_s, d::NODE_GROUP_BACKOFF_S, d::SOURCE_BACKOFF)),
        ("asg_launch_s".to_string(), p(spec.asg_launch_s, d::ASG_LAUNCH_S, d::SOURCE_ASG_LAUNCH)),
    ]);
    let expander = spec
        .expanders
        .iter()
        .map(|e| match e {
            Expander::Random => "random",
            Expander::MostPods => "most-pods",
            Expander::LeastWaste => "least-waste",
            Expander::LeastNodes => "least-nodes",
            Expander::Price => "price",
            Expander::Priority => "priority",
        })
        .collect::<Vec<_>>()
        .join(",");
    let node_groups = spec
        .node_groups
        .iter()
        .zip(&ca.groups)
        .map(|(g, state)| CaNodeGroupSummary {
            name: g.name.clone(),
            node_pool: g.pool.clone(),
            instance_type: g.instance_type.clone(),
            capacity_type: g.capacity.as_str().to_string(),
            min_size: g.min_size,
            max_size: g.max_size,
            desired_capacity: g.desired_capacity,
            priority: g.priority,
            source: g.source.clone(),
            peak_size: state.peak_target,
        })
        .collect();
    CaSummary {
        parameters,
        expander: if expander.is_empty() { "random".to_string() } else { expander },
        node_groups,
        scale_ups: ca.scale_ups,
        nodes_scaled_down: ca.nodes_scaled_down,
        provision_timeouts: ca.provision_timeouts,
    }
}
