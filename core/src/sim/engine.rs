//! The time-stepped run: traffic → queues and service per deployment each step; autoscalers and the
//! node layer at their own event times; series sampled every `series_step_s`; the summary at the end.

use std::collections::BTreeMap;

use super::cluster::{Cluster, Counts, NodeState};
use super::hpa::{
    external_per_pod_replicas, metric_replicas, HpaController, KedaController, MetricKind, MetricReading, MetricTarget,
    PodCounts,
};
use super::output::{DeploymentSeries, Finding, PoolSeries, Series, Summary, Timeline};
use super::rng::Rng;
use super::scenario::{Autoscaler, Scenario, SimOptions, SloMetric};
use super::serving::fraction_within;
use super::traffic::TrafficCursor;

/// Per-deployment state carried between steps.
#[derive(Default)]
struct Dep {
    desired: u32,
    counts: Counts,
    queue: u64,
    credit: f64,
    carry: f64,
    utilization: f64,
    arrival_rps: f64,
    ttft_p95_ms: f64,
    hpa: HpaController,
    keda: KedaController,
    hit_max: bool,
    // Totals.
    arrived: u64,
    served: u64,
    dropped: u64,
    tokens: f64,
    within: Vec<f64>,
    // Interval accumulators.
    i_arrived: u64,
    i_served: u64,
    i_dropped: u64,
    i_ttft50_weighted: f64,
    i_tpot50_weighted: f64,
    i_e2e50_weighted: f64,
    i_ttft95_max: f64,
    i_tpot95_max: f64,
    i_e2e95_max: f64,
}

/// Runs a scenario. Errors name the field or flag at fault; the run itself never panics.
pub fn simulate(sc: &Scenario, opt: &SimOptions) -> Result<Timeline, String> {
    opt.validate()?;
    sc.validate()?;
    let mut names = std::collections::BTreeSet::new();
    for d in &sc.deployments {
        if !names.insert(&d.name) {
            return Err(format!("deployments: the name {:?} is used twice", d.name));
        }
    }
    let mut pool_names = std::collections::BTreeSet::new();
    for p in &sc.pools {
        if !pool_names.insert(&p.name) {
            return Err(format!("pools: the name {:?} is used twice", p.name));
        }
    }

    let mut root = Rng::new(opt.seed);
    let mut traffic_rng = root.fork(1);
    let mut arrival_rng = root.fork(2);
    let cluster_rng = root.fork(3);
    let mut cursor = TrafficCursor::new(&sc.traffic, opt.duration_s, &mut traffic_rng);
    let mut cluster = Cluster::new(sc, cluster_rng);
    let nd = sc.deployments.len();
    let mut deps: Vec<Dep> = (0..nd).map(|_| Dep { within: vec![0.0; sc.slos.len()], ..Dep::default() }).collect();
    let timing = &sc.timing;

    // Time 0: reserved nodes, then the initial replicas placed and warm.
    cluster.add_reservations();
    let desired: Vec<u32> = sc
        .deployments
        .iter()
        .map(|d| d.initial_replicas.clamp(d.autoscaler.min_replicas(), d.autoscaler.max_replicas()))
        .collect();
    for (dep, &want) in deps.iter_mut().zip(&desired) {
        dep.desired = want;
    }
    cluster.reconcile_replicas(0.0, &desired, true);
    cluster.schedule(0.0, true);
    cluster.provision(0.0, true);
    // Initial pods Karpenter could not place stay pending and are retried like any other.
    for u in cluster.unplaced.iter_mut() {
        u.first_s = u.first_s.or(if u.max_pods > 0 { Some(0.0) } else { None });
    }

    let step = opt.step_s;
    let n_steps = (opt.duration_s / step).round().max(1.0) as u64;
    let every = ((opt.series_step_s / step).round() as u64).max(1);
    let n_samples = n_steps.div_ceil(every) as usize;
    let mut series = Series::with_capacity(n_samples, sc);
    let mut counts = vec![Counts::default(); nd];
    let mut next_hpa_s = 0.0;
    let mut next_control_s = 0.0;
    let mut cost_usd = 0.0;
    let mut peak_nodes = cluster.live_nodes;
    let mut scratch_desired = vec![0u32; nd];

    for s in 0..n_steps {
        let t = s as f64 * step;
        if t >= next_control_s {
            // Autoscalers.
            let outage = sc.metrics_outages.iter().any(|&(a, b)| t >= a && t < b);
            cluster.counts(t, &mut counts);
            let hpa_due = t >= next_hpa_s;
            if hpa_due {
                next_hpa_s = t + timing.hpa_sync_period_s.max(step);
            }
            for (i, d) in sc.deployments.iter().enumerate() {
                let dep = &mut deps[i];
                dep.counts = counts[i];
                autoscale(sc, i, d, dep, t, hpa_due, outage);
                scratch_desired[i] = dep.desired;
            }
            // Node layer.
            cluster.node_events(t);
            cluster.reconcile_replicas(t, &scratch_desired, false);
            cluster.schedule(t, false);
            if cluster.has_unbound() && (t >= cluster.batch_due_s() || t >= cluster.retry_at_s) {
                cluster.provision(t, false);
            }
            cluster.consolidate(t);
            cluster.reconcile_replicas(t, &scratch_desired, false);
            cluster.schedule(t, false);
            cluster.counts(t, &mut counts);
            for (dep, c) in deps.iter_mut().zip(&counts) {
                dep.counts = *c;
            }
            peak_nodes = peak_nodes.max(cluster.live_nodes);
            next_control_s = cluster.next_event_s(t).min(next_hpa_s);
            for (d, dep) in sc.deployments.iter().zip(&deps) {
                if let Autoscaler::Keda(k) = &d.autoscaler {
                    let _ = dep;
                    next_control_s = next_control_s.min(t + k.polling_interval_s.max(step));
                }
            }
            if next_control_s <= t {
                next_control_s = t + step;
            }
        }

        // Serving.
        let now = cursor.at(t);
        for (i, d) in sc.deployments.iter().enumerate() {
            let dep = &mut deps[i];
            let profile = &d.service;
            let rate = now.requests_per_s * d.traffic_share;
            let mean = rate * step;
            let arrivals = if sc.traffic.arrival_noise {
                let x = mean + mean.sqrt() * arrival_rng.normal_fast() + arrival_rng.uniform();
                if x > 0.0 {
                    x as u64
                } else {
                    0
                }
            } else {
                dep.carry += mean;
                let n = dep.carry.floor();
                dep.carry -= n;
                n as u64
            };
            dep.queue += arrivals;
            dep.arrived += arrivals;
            dep.i_arrived += arrivals;
            let token_factor = profile.reference_output_tokens / now.output_tokens.max(1.0);
            let capacity_rps = dep.counts.ready as f64 * profile.capacity_requests_per_s * token_factor;
            let available = dep.credit + capacity_rps * step;
            let served = (dep.queue as f64).min(available.floor()) as u64;
            dep.credit =
                if served < dep.queue { (available - served as f64).min(capacity_rps * step + 1.0) } else { 0.0 };
            dep.queue -= served;
            let queue_max = (capacity_rps * timing.request_timeout_s).floor() as u64;
            if dep.queue > queue_max {
                let dropped = dep.queue - queue_max;
                dep.dropped += dropped;
                dep.i_dropped += dropped;
                dep.queue = queue_max;
            }
            dep.served += served;
            dep.i_served += served;
            dep.arrival_rps = rate;
            dep.utilization = if capacity_rps > 0.0 { (rate / capacity_rps).min(1.0) } else { 1.0 };
            let lat = profile.latency(dep.utilization);
            let wait_ms = if capacity_rps > 0.0 { dep.queue as f64 / capacity_rps * 1000.0 } else { 0.0 };
            let ttft50 = lat.ttft_p50_ms + wait_ms;
            let ttft95 = lat.ttft_p95_ms + wait_ms;
            let decode_steps = (now.output_tokens - 1.0).max(0.0);
            let e2e50 = ttft50 + lat.tpot_p50_ms * decode_steps;
            let e2e95 = ttft95 + lat.tpot_p95_ms * decode_steps;
            dep.ttft_p95_ms = ttft95;
            if served > 0 {
                let w = served as f64;
                dep.tokens += w * (now.input_tokens + now.output_tokens);
                for (k, slo) in sc.slos.iter().enumerate() {
                    let f = match slo.metric {
                        SloMetric::Ttft => fraction_within(slo.limit_ms, ttft50, ttft95),
                        SloMetric::Tpot => fraction_within(slo.limit_ms, lat.tpot_p50_ms, lat.tpot_p95_ms),
                        SloMetric::E2e => fraction_within(slo.limit_ms, e2e50, e2e95),
                    };
                    dep.within[k] += w * f;
                }
                dep.i_ttft50_weighted += w * ttft50;
                dep.i_tpot50_weighted += w * lat.tpot_p50_ms;
                dep.i_e2e50_weighted += w * e2e50;
                dep.i_ttft95_max = dep.i_ttft95_max.max(ttft95);
                dep.i_tpot95_max = dep.i_tpot95_max.max(lat.tpot_p95_ms);
                dep.i_e2e95_max = dep.i_e2e95_max.max(e2e95);
            }
        }
        cost_usd += cluster.cost_rate_usd_per_s * step;

        if (s + 1) % every == 0 || s + 1 == n_steps {
            let steps_in = if (s + 1) % every == 0 { every } else { (s + 1) % every };
            let t0 = (s + 1 - steps_in) as f64 * step;
            sample(&mut series, sc, &mut deps, &cluster, t0, steps_in as f64 * step, cost_usd);
        }
    }

    let end_s = n_steps as f64 * step;
    cluster.finish(end_s);
    Ok(finish(sc, opt, &deps, &cluster, series, cost_usd, peak_nodes))
}

/// One autoscaler decision for one deployment.
fn autoscale(
    sc: &Scenario,
    _i: usize,
    d: &super::scenario::SimDeployment,
    dep: &mut Dep,
    t: f64,
    hpa_due: bool,
    outage: bool,
) {
    let tol = sc.timing.hpa_tolerance;
    let c = dep.counts;
    let pods = PodCounts { ready: c.ready, unready: c.pending, missing: c.loading };
    let reading = |kind: MetricKind| -> Option<MetricReading> {
        if outage {
            return None;
        }
        let p = &d.service;
        let per_pod = |total: f64| if c.ready > 0 { total / c.ready as f64 } else { 0.0 };
        let running_per_pod = dep.utilization * p.max_running_requests;
        let (avg, total) = match kind {
            MetricKind::QueueDepth => {
                // Little's law on the engine's own wait, plus the backlog beyond capacity.
                let idle = p.latency(0.0).ttft_p50_ms;
                let busy = p.latency(dep.utilization).ttft_p50_ms;
                let in_engine = dep.arrival_rps * ((busy - idle).max(0.0) / 1000.0);
                let total = dep.queue as f64 + in_engine;
                (per_pod(total), total)
            }
            MetricKind::RunningRequests => (running_per_pod, running_per_pod * c.ready as f64),
            MetricKind::KvCacheUsage => {
                let u = (running_per_pod * p.kv_cache_fraction_per_request).min(1.0);
                (u, u * c.ready as f64)
            }
            MetricKind::TtftP95Ms => (dep.ttft_p95_ms, dep.ttft_p95_ms * c.ready as f64),
            MetricKind::GpuUtilizationPercent => (100.0 * dep.utilization, 100.0 * dep.utilization * c.ready as f64),
            MetricKind::RequestsPerSecond => (per_pod(dep.arrival_rps), dep.arrival_rps),
        };
        Some(MetricReading { average_over_ready: avg, total })
    };
    match &d.autoscaler {
        Autoscaler::Fixed { replicas } => dep.desired = *replicas,
        Autoscaler::Hpa(spec) => {
            if !hpa_due {
                return;
            }
            let proposals: Vec<Option<u32>> = spec
                .metrics
                .iter()
                .map(|m| {
                    let r = reading(m.kind)?;
                    let (down, up) = tolerances(&spec.behavior, tol);
                    if matches!(m.target, MetricTarget::AverageValue(_)) && c.ready == 0 {
                        return None;
                    }
                    metric_replicas(dep.desired, m.target, r, pods, down, up)
                })
                .collect();
            dep.desired = dep.hpa.reconcile(spec, t, dep.desired, &proposals);
            dep.hit_max |=
                dep.desired >= spec.max_replicas && proposals.iter().flatten().any(|p| *p > spec.max_replicas);
        }
        Autoscaler::Keda(spec) => {
            let value = reading(spec.metric).map(|r| r.total);
            if let Some(n) = dep.keda.poll(spec, t, dep.desired, value) {
                dep.desired = n;
            }
            if hpa_due && dep.desired > 0 && !dep.keda.in_fallback(spec) {
                let hpa = spec.hpa();
                let (down, up) = tolerances(&hpa.behavior, tol);
                // GetExternalPerPodMetricReplicas: total over the per-pod target, within the tolerance band.
                let status_replicas = c.total.max(1);
                let proposal = value
                    .and_then(|total| external_per_pod_replicas(status_replicas, total, spec.target_per_pod, down, up));
                dep.desired = dep.keda.hpa.reconcile(&hpa, t, dep.desired, &[proposal]);
                dep.hit_max |= dep.desired >= hpa.max_replicas && proposal.is_some_and(|p| p > hpa.max_replicas);
            }
        }
    }
}

fn tolerances(b: &super::hpa::Behavior, default: f64) -> (f64, f64) {
    (b.scale_down.tolerance.unwrap_or(default), b.scale_up.tolerance.unwrap_or(default))
}

/// Rounds for output: three decimals are more than any figure here warrants, and keep files small.
pub(crate) fn r3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

fn sample(series: &mut Series, sc: &Scenario, deps: &mut [Dep], cluster: &Cluster, t0: f64, span_s: f64, cost: f64) {
    series.t_s.push(r3(t0));
    let (mut arrived, mut served, mut queue, mut ttft95, mut desired, mut ready) =
        (0u64, 0u64, 0u64, 0.0f64, 0u32, 0u32);
    for (d, dep) in sc.deployments.iter().zip(deps.iter_mut()) {
        arrived += dep.i_arrived;
        served += dep.i_served;
        queue += dep.queue;
        ttft95 = ttft95.max(dep.i_ttft95_max);
        desired += dep.desired;
        ready += dep.counts.ready;
        let w = dep.i_served.max(1) as f64;
        let s = series.deployments.get_mut(&d.name).expect("series has every deployment");
        s.arrival_rate.push(r3(dep.i_arrived as f64 / span_s));
        s.served_rate.push(r3(dep.i_served as f64 / span_s));
        s.queue_length.push(dep.queue);
        s.requests_dropped.push(dep.i_dropped);
        s.ttft_p50_ms.push(r3(dep.i_ttft50_weighted / w));
        s.ttft_p95_ms.push(r3(dep.i_ttft95_max));
        s.tpot_p50_ms.push(r3(dep.i_tpot50_weighted / w));
        s.tpot_p95_ms.push(r3(dep.i_tpot95_max));
        s.e2e_p50_ms.push(r3(dep.i_e2e50_weighted / w));
        s.e2e_p95_ms.push(r3(dep.i_e2e95_max));
        s.replicas_desired.push(dep.desired);
        s.replicas_ready.push(dep.counts.ready);
        s.replicas_pending.push(dep.counts.pending);
        dep.i_arrived = 0;
        dep.i_served = 0;
        dep.i_dropped = 0;
        dep.i_ttft50_weighted = 0.0;
        dep.i_tpot50_weighted = 0.0;
        dep.i_e2e50_weighted = 0.0;
        dep.i_ttft95_max = 0.0;
        dep.i_tpot95_max = 0.0;
        dep.i_e2e95_max = 0.0;
    }
    series.arrival_rate.push(r3(arrived as f64 / span_s));
    series.served_rate.push(r3(served as f64 / span_s));
    series.queue_length.push(queue);
    series.ttft_p95_ms.push(r3(ttft95));
    series.replicas_desired.push(desired);
    series.replicas_ready.push(ready);
    series.nodes.push(cluster.live_nodes);
    series.cost_usd_cumulative.push(r3(cost));
    let n = series.t_s.len();
    for (p, pool) in sc.pools.iter().enumerate() {
        let ps = series.pools.get_mut(&pool.name).expect("series has every pool");
        let mut by_type: BTreeMap<String, u32> = BTreeMap::new();
        let mut nodes = 0;
        for node in cluster.nodes.iter().filter(|x| x.pool == p && x.state != NodeState::Gone) {
            nodes += 1;
            let key = format!("{}/{}", pool.instance_types[node.itype].name, node.capacity.as_str());
            *by_type.entry(key).or_default() += 1;
        }
        ps.nodes.push(nodes);
        for key in by_type.keys() {
            if !ps.nodes_by_type.contains_key(key) {
                ps.nodes_by_type.insert(key.clone(), vec![0; n - 1]);
            }
        }
        for (key, column) in ps.nodes_by_type.iter_mut() {
            column.push(by_type.get(key).copied().unwrap_or(0));
        }
        let pool_cost_rate: f64 = cluster
            .nodes
            .iter()
            .filter(|x| x.pool == p && x.state != NodeState::Gone)
            .map(|x| x.usd_per_hour / 3600.0)
            .sum();
        let last = ps.cost_usd_cumulative_raw;
        ps.cost_usd_cumulative_raw = last + pool_cost_rate * span_s;
        ps.cost_usd_cumulative.push(r3(ps.cost_usd_cumulative_raw));
    }
}

fn finish(
    sc: &Scenario,
    opt: &SimOptions,
    deps: &[Dep],
    cluster: &Cluster,
    series: Series,
    cost_usd: f64,
    peak_nodes: u32,
) -> Timeline {
    let arrived: u64 = deps.iter().map(|d| d.arrived).sum();
    let served: u64 = deps.iter().map(|d| d.served).sum();
    let queued: u64 = deps.iter().map(|d| d.queue).sum();
    let dropped: u64 = deps.iter().map(|d| d.dropped).sum();
    let tokens: f64 = deps.iter().map(|d| d.tokens).sum();
    let mut slo_attainment = BTreeMap::new();
    let mut late = 0.0f64;
    let mut findings = vec![];
    for (k, slo) in sc.slos.iter().enumerate() {
        let within: f64 = deps.iter().map(|d| d.within[k]).sum();
        let denominator = (served + dropped) as f64;
        let fraction = if denominator > 0.0 { within / denominator } else { 1.0 };
        late = late.max(served as f64 - within);
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
                    let limit = match (pool.limit_devices, pool.limit_cpu) {
                        (Some(l), _) => format!("{l} devices"),
                        (None, Some(c)) => format!("{c} vCPU"),
                        _ => "its limits".to_string(),
                    };
                    format!("{} ({limit})", pool.name)
                })
                .collect();
            let why = if !pools.is_empty() {
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
    let parameters = sc
        .timing
        .documented()
        .into_iter()
        .map(|p| {
            (p.name.to_string(), super::output::Parameter { value: p.value, default: p.default, source: p.source })
        })
        .collect();
    let summary = Summary {
        requests_arrived: arrived,
        requests_served: served,
        requests_queued_at_end: queued,
        requests_dropped: dropped,
        requests_late: late.max(0.0).round() as u64,
        slo_attainment,
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
        duration_s: r3(opt.duration_s),
        step_s: opt.step_s,
        series_step_s: opt.series_step_s,
        seed: opt.seed,
        service_model: sc.deployments.iter().map(|d| (d.name.clone(), d.service.source.clone())).collect(),
        findings,
        parameters,
    };
    Timeline { summary, series }
}

impl Series {
    fn with_capacity(n: usize, sc: &Scenario) -> Series {
        let v = || Vec::with_capacity(n);
        Series {
            t_s: v(),
            arrival_rate: v(),
            served_rate: v(),
            queue_length: Vec::with_capacity(n),
            ttft_p95_ms: v(),
            replicas_desired: Vec::with_capacity(n),
            replicas_ready: Vec::with_capacity(n),
            nodes: Vec::with_capacity(n),
            cost_usd_cumulative: v(),
            deployments: sc.deployments.iter().map(|d| (d.name.clone(), DeploymentSeries::with_capacity(n))).collect(),
            pools: sc.pools.iter().map(|p| (p.name.clone(), PoolSeries::with_capacity(n))).collect(),
        }
    }
}
