//! The time-stepped run: traffic → queues and service per deployment each step; autoscalers and the
//! node layer at their own event times; series sampled every `series_step_s`; the summary at the end.

use std::collections::BTreeMap;

use super::cluster::{Cluster, Counts, NodeState};
use super::error::SimError;
use super::hpa::{
    external_per_pod_replicas, metric_replicas, HpaController, KedaController, MetricKind, MetricReading, MetricTarget,
    PodCounts,
};
use super::output::{DeploymentSeries, Finding, PoolSeries, Series, Summary, Timeline};
use super::rng::Rng;
use super::scenario::{Autoscaler, Scenario, SimOptions, SloMetric, SloTarget};
use super::serving::fraction_within;
use super::traffic::TrafficCursor;
use crate::catalog::CapacityType;

/// Which deployments take traffic (entry), which complete requests (terminal), and who feeds whom.
struct Topology {
    upstream: Vec<Option<usize>>,
    entry: Vec<bool>,
    terminal: Vec<bool>,
}

/// The serving state as Prometheus last scraped it; the autoscalers read metrics from here.
#[derive(Default, Clone, Copy)]
struct Scrape {
    utilization: f64,
    queue: f64,
    arrival_rps: f64,
    inv_capacity_rps: f64,
    ready: u32,
}

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
    // Serving capacity, cached until the ready count or the token mix changes.
    cached_ready: u32,
    cached_output_tokens: f64,
    capacity_per_step: f64,
    inv_capacity_rps: f64,
    queue_max: u64,
    proposals: Vec<Option<u32>>,
    slo_table: Vec<f64>,
    scrape: Scrape,
    noise_mean: f64,
    noise_sd: f64,
    /// Served requests binned on the latency table's points (see `flush_bins`).
    bins: Vec<f64>,
    /// Highest utilisation of a binned step this interval (negative: none).
    i_util_max: f64,
    decode_steps: f64,
    tokens_per_request: f64,
    /// Direction of the last replica change (1 up, -1 down) and how often it flipped.
    last_direction: i8,
    reversals: u32,
}

impl Dep {
    /// Turns the requests binned on the latency table's points since the last flush into SLO
    /// attainment, served-weighted p50s and the interval's worst p95 (at its highest utilisation: the
    /// table's latencies do not fall as utilisation rises).
    fn flush_bins(&mut self, profile: &super::serving::ServiceProfile) {
        if self.i_util_max < 0.0 {
            return;
        }
        let n = self.bins.len();
        for (i, p) in profile.curve.iter().enumerate().take(n) {
            let w = self.bins[i];
            if w == 0.0 {
                continue;
            }
            for (k, within) in self.within.iter_mut().enumerate() {
                *within += w * self.slo_table[k * n + i];
            }
            self.i_ttft50_weighted += w * p.ttft_p50_ms;
            self.i_tpot50_weighted += w * p.tpot_p50_ms;
            self.i_e2e50_weighted += w * (p.ttft_p50_ms + p.tpot_p50_ms * self.decode_steps);
            self.bins[i] = 0.0;
        }
        let worst = profile.latency(self.i_util_max);
        self.i_ttft95_max = self.i_ttft95_max.max(worst.ttft_p95_ms);
        self.i_tpot95_max = self.i_tpot95_max.max(worst.tpot_p95_ms);
        self.i_e2e95_max = self.i_e2e95_max.max(worst.ttft_p95_ms + worst.tpot_p95_ms * self.decode_steps);
        self.i_util_max = -1.0;
    }

    /// SLO attainment at each latency-table point with no backlog, for the current output length.
    fn cache_slo_table(&mut self, profile: &super::serving::ServiceProfile, slos: &[SloTarget], output_tokens: f64) {
        let decode_steps = (output_tokens - 1.0).max(0.0);
        self.decode_steps = decode_steps;
        self.bins.clear();
        self.bins.resize(profile.curve.len(), 0.0);
        self.slo_table.clear();
        for slo in slos {
            for p in &profile.curve {
                self.slo_table.push(match slo.metric {
                    SloMetric::Ttft => fraction_within(slo.limit_ms, p.ttft_p50_ms, p.ttft_p95_ms),
                    SloMetric::Tpot => fraction_within(slo.limit_ms, p.tpot_p50_ms, p.tpot_p95_ms),
                    SloMetric::E2e => fraction_within(
                        slo.limit_ms,
                        p.ttft_p50_ms + p.tpot_p50_ms * decode_steps,
                        p.ttft_p95_ms + p.tpot_p95_ms * decode_steps,
                    ),
                });
            }
        }
    }

    fn cache_capacity(
        &mut self,
        profile: &super::serving::ServiceProfile,
        output_tokens: f64,
        timeout_s: f64,
        step: f64,
    ) {
        self.cached_ready = self.counts.ready;
        self.cached_output_tokens = output_tokens;
        // Decode dominates a request's service time, so capacity scales with the reference over the
        // current mean output length.
        let token_factor = profile.reference_output_tokens / output_tokens.max(1.0);
        let capacity_rps = self.counts.ready as f64 * profile.capacity_requests_per_s * token_factor;
        self.capacity_per_step = capacity_rps * step;
        self.inv_capacity_rps = if capacity_rps > 0.0 { 1.0 / capacity_rps } else { 0.0 };
        // Requests beyond what the ready replicas serve within the timeout are dropped; with no ready
        // replica the Service has no endpoint and every request fails at once.
        self.queue_max = (capacity_rps * timeout_s).min(1e15) as i64 as u64;
    }
}

/// Runs a scenario. Errors name the field or flag at fault; the run itself never panics.
pub fn simulate(sc: &Scenario, opt: &SimOptions) -> Result<Timeline, SimError> {
    opt.validate()?;
    sc.validate()?;
    for (i, d) in sc.deployments.iter().enumerate() {
        if sc.deployments[..i].iter().any(|e| e.name == d.name) {
            return Err(SimError::invalid("deployments", format!("the name {:?} is used twice", d.name)));
        }
    }
    for (i, p) in sc.pools.iter().enumerate() {
        if sc.pools[..i].iter().any(|e| e.name == p.name) {
            return Err(SimError::invalid("pools", format!("the name {:?} is used twice", p.name)));
        }
    }

    // Pipelines: a deployment with an upstream takes that one's served requests as its arrivals.
    let upstream: Vec<Option<usize>> = sc
        .deployments
        .iter()
        .map(|d| d.upstream.as_ref().and_then(|u| sc.deployments.iter().position(|e| &e.name == u)))
        .collect();
    let topology = Topology {
        entry: upstream.iter().map(Option::is_none).collect(),
        terminal: (0..sc.deployments.len()).map(|i| !upstream.contains(&Some(i))).collect(),
        upstream,
    };
    let mut root = Rng::new(opt.seed);
    let mut traffic_rng = root.fork(1);
    let mut arrival_rng = root.fork(2);
    let cluster_rng = root.fork(3);
    let mut cursor = TrafficCursor::new(&sc.traffic, opt.duration_s, &mut traffic_rng);
    let mut cluster = Cluster::new(sc, cluster_rng);
    let nd = sc.deployments.len();
    let mut deps: Vec<Dep> = (0..nd)
        .map(|_| Dep {
            within: vec![0.0; sc.slos.len()],
            cached_ready: u32::MAX,
            cached_output_tokens: f64::NAN,
            i_util_max: -1.0,
            ..Dep::default()
        })
        .collect();
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
    let mut series = SeriesBuilder::new(n_samples, sc);
    let mut counts = vec![Counts::default(); nd];
    let mut next_hpa_s = 0.0;
    // Scrapes run half an interval out of phase with the HPA's syncs, as two unsynchronised loops do on
    // average.
    let mut next_scrape_s = timing.metrics_scrape_interval_s / 2.0;
    let mut next_control_s = 0.0;
    let mut cost_usd = 0.0;
    let mut peak_nodes = cluster.live_nodes;
    let mut scratch_desired: Vec<u32> = deps.iter().map(|d| d.desired).collect();
    let mut cluster_due_s = 0.0;
    cluster.counts(0.0, &mut counts);
    for (dep, c) in deps.iter_mut().zip(&counts) {
        dep.counts = *c;
    }
    let noise = sc.traffic.arrival_noise;
    let mut served_now = vec![0u64; nd];
    let mut steps_in = 0u64;

    for s in 0..n_steps {
        let t = s as f64 * step;
        if t >= next_control_s {
            // Autoscalers, on the pod counts of the last node-layer update (pods change only at
            // node-layer events, which always run the block below).
            let outage = sc.metrics_outages.iter().any(|&(a, b)| t >= a && t < b);
            if t >= next_scrape_s {
                for dep in deps.iter_mut() {
                    dep.scrape = Scrape {
                        utilization: dep.utilization,
                        queue: dep.queue as f64,
                        arrival_rps: dep.arrival_rps,
                        inv_capacity_rps: dep.inv_capacity_rps,
                        ready: dep.counts.ready,
                    };
                }
                next_scrape_s = t + timing.metrics_scrape_interval_s.max(step);
            }
            let hpa_due = t >= next_hpa_s;
            if hpa_due {
                next_hpa_s = t + timing.hpa_sync_period_s.max(step);
            }
            let mut changed = false;
            for (i, d) in sc.deployments.iter().enumerate() {
                let dep = &mut deps[i];
                autoscale(sc, d, dep, t, hpa_due, outage);
                if scratch_desired[i] != dep.desired {
                    let direction = if dep.desired > scratch_desired[i] { 1 } else { -1 };
                    if dep.last_direction == -direction {
                        dep.reversals += 1;
                    }
                    dep.last_direction = direction;
                }
                changed |= scratch_desired[i] != dep.desired;
                scratch_desired[i] = dep.desired;
            }
            // Node layer.
            if changed || t >= cluster_due_s {
                cluster.node_events(t);
                cluster.reconcile_replicas(t, &scratch_desired, false);
                cluster.schedule(t, false);
                if cluster.has_unbound() && (t >= cluster.batch_due_s() || t >= cluster.retry_at_s) {
                    cluster.provision(t, false);
                }
                cluster.consolidate(t);
                cluster.reconcile_replicas(t, &scratch_desired, false);
                cluster.schedule(t, false);
                cluster.settle();
                cluster.counts(t, &mut counts);
                for (dep, c) in deps.iter_mut().zip(&counts) {
                    dep.counts = *c;
                }
                peak_nodes = peak_nodes.max(cluster.live_nodes);
                cluster_due_s = cluster.next_event_s(t);
            }
            next_control_s = cluster_due_s.min(next_hpa_s).min(next_scrape_s);
            for (d, dep) in sc.deployments.iter().zip(&deps) {
                if let Autoscaler::Keda(_) = &d.autoscaler {
                    next_control_s = next_control_s.min(dep.keda.next_poll_s());
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
            if dep.cached_ready != dep.counts.ready || dep.cached_output_tokens != now.output_tokens {
                if dep.cached_output_tokens != now.output_tokens {
                    // Binned requests belong to the old token mix: account for them first.
                    dep.flush_bins(profile);
                    dep.cache_slo_table(profile, &sc.slos, now.output_tokens);
                    dep.tokens_per_request = now.input_tokens + now.output_tokens;
                }
                dep.cache_capacity(profile, now.output_tokens, timing.request_timeout_s, step);
            } else if dep.tokens_per_request != now.input_tokens + now.output_tokens {
                dep.tokens_per_request = now.input_tokens + now.output_tokens;
            }
            let (rate, mean) = match topology.upstream[i] {
                Some(u) => {
                    let handed_over = served_now[u] as f64;
                    (handed_over / step, handed_over)
                }
                None => (now.requests_per_s * d.traffic_share, now.requests_per_s * d.traffic_share * step),
            };
            // Values here are non-negative and far below 2^63, so `as i64` is the floor, and a single
            // instruction (no libm call, no unsigned-conversion sequence).
            let arrivals = if topology.upstream[i].is_some() {
                mean as i64 as u64
            } else if noise {
                // The noise's standard deviation, sqrt(mean), is refreshed when the mean moves by more
                // than 1 %: traffic changes slowly from step to step, a square root per step is not free.
                if (mean - dep.noise_mean).abs() > 0.01 * dep.noise_mean || dep.noise_mean == 0.0 {
                    dep.noise_mean = mean;
                    dep.noise_sd = mean.sqrt();
                }
                let (z, u) = arrival_rng.normal_and_uniform();
                (mean + dep.noise_sd * z + u).max(0.0) as i64 as u64
            } else {
                dep.carry += mean;
                let n = dep.carry as i64;
                dep.carry -= n as f64;
                n as u64
            };
            dep.queue += arrivals;
            dep.arrived += arrivals;
            dep.i_arrived += arrivals;
            let available = dep.credit + dep.capacity_per_step;
            let served = dep.queue.min(available as i64 as u64);
            dep.credit = if served < dep.queue {
                (available - served as i64 as f64).min(dep.capacity_per_step + 1.0)
            } else {
                0.0
            };
            dep.queue -= served;
            if dep.queue > dep.queue_max {
                let dropped = dep.queue - dep.queue_max;
                dep.dropped += dropped;
                dep.i_dropped += dropped;
                dep.queue = dep.queue_max;
            }
            dep.served += served;
            dep.i_served += served;
            served_now[i] = served;
            dep.arrival_rps = rate;
            dep.utilization = if dep.capacity_per_step > 0.0 { (rate * dep.inv_capacity_rps).min(1.0) } else { 1.0 };
            if served > 0 {
                let w = served as i64 as f64;
                dep.tokens += w * dep.tokens_per_request;
                let (point, frac) = profile.position(dep.utilization);
                if dep.queue == 0 {
                    // No backlog: everything is linear in the latency table's interpolation, so the
                    // served requests are binned on the table's points and turned into attainment and
                    // percentiles once per series interval (`flush_bins`).
                    let next = (point + 1).min(dep.bins.len() - 1);
                    dep.bins[point] += w * (1.0 - frac);
                    dep.bins[next] += w * frac;
                    if dep.utilization > dep.i_util_max {
                        dep.i_util_max = dep.utilization;
                    }
                } else {
                    let lat = profile.latency_at(point, frac);
                    let wait_ms = dep.queue as i64 as f64 * dep.inv_capacity_rps * 1000.0;
                    let ttft50 = lat.ttft_p50_ms + wait_ms;
                    let ttft95 = lat.ttft_p95_ms + wait_ms;
                    let e2e50 = ttft50 + lat.tpot_p50_ms * dep.decode_steps;
                    let e2e95 = ttft95 + lat.tpot_p95_ms * dep.decode_steps;
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
        }
        cost_usd += cluster.cost_rate_usd_per_s * step;

        // A countdown rather than `(s + 1) % every`: no integer division per step.
        steps_in += 1;
        if steps_in == every || s + 1 == n_steps {
            let t0 = (s + 1 - steps_in) as f64 * step;
            sample(&mut series, sc, &topology, &mut deps, &cluster, t0, steps_in as f64 * step, cost_usd);
            steps_in = 0;
        }
    }

    let end_s = n_steps as f64 * step;
    cluster.finish(end_s);
    let series = series.finish(sc);
    Ok(finish(sc, opt, &topology, &deps, &cluster, series, cost_usd, peak_nodes))
}

/// One autoscaler decision for one deployment.
fn autoscale(sc: &Scenario, d: &super::scenario::SimDeployment, dep: &mut Dep, t: f64, hpa_due: bool, outage: bool) {
    let tol = sc.timing.hpa_tolerance;
    let c = dep.counts;
    let pods = PodCounts { ready: c.ready, unready: c.pending, missing: c.loading };
    // Metric values come from the last scrape (they lag the serving state); pod counts are live, as
    // the controller reads them from the API server.
    let m = dep.scrape;
    let reading = |kind: MetricKind| -> Option<MetricReading> {
        if outage {
            return None;
        }
        let p = &d.service;
        let pods_scraped = m.ready as f64;
        let per_pod = |total: f64| if m.ready > 0 { total / pods_scraped } else { 0.0 };
        let point = p.latency(m.utilization);
        let (avg, total) = match kind {
            MetricKind::QueueDepth => {
                // Little's law on the engine's own wait, plus the backlog beyond capacity.
                let idle = p.latency(0.0).ttft_p50_ms;
                let in_engine = m.arrival_rps * ((point.ttft_p50_ms - idle).max(0.0) / 1000.0);
                let total = m.queue + in_engine;
                (per_pod(total), total)
            }
            MetricKind::RunningRequests => (point.running_requests, point.running_requests * pods_scraped),
            MetricKind::KvCacheUsage => {
                let u = point.kv_cache_usage.clamp(0.0, 1.0);
                (u, u * pods_scraped)
            }
            MetricKind::TtftP95Ms => {
                let ttft = point.ttft_p95_ms + m.queue * m.inv_capacity_rps * 1000.0;
                (ttft, ttft * pods_scraped)
            }
            MetricKind::GpuUtilizationPercent => (100.0 * m.utilization, 100.0 * m.utilization * pods_scraped),
            MetricKind::RequestsPerSecond => (per_pod(m.arrival_rps), m.arrival_rps),
        };
        // Pods without a scraped sample have no metric yet.
        if m.ready == 0 && kind != MetricKind::RequestsPerSecond && kind != MetricKind::QueueDepth {
            return None;
        }
        Some(MetricReading { average_over_ready: avg, total })
    };
    match &d.autoscaler {
        Autoscaler::Fixed { replicas } => dep.desired = *replicas,
        Autoscaler::Hpa(spec) => {
            if !hpa_due {
                return;
            }
            let mut proposals = std::mem::take(&mut dep.proposals);
            proposals.clear();
            proposals.extend(spec.metrics.iter().map(|m| {
                let r = reading(m.kind)?;
                let (down, up) = tolerances(&spec.behavior, tol);
                if matches!(m.target, MetricTarget::AverageValue(_)) && c.ready == 0 {
                    return None;
                }
                metric_replicas(dep.desired, m.target, r, pods, down, up)
            }));
            dep.desired = dep.hpa.reconcile(spec, t, dep.desired, &proposals);
            dep.hit_max |=
                dep.desired >= spec.max_replicas && proposals.iter().flatten().any(|p| *p > spec.max_replicas);
            dep.proposals = proposals;
        }
        Autoscaler::Keda(spec) => {
            let values: Vec<Option<f64>> = spec.triggers.iter().map(|tr| reading(tr.metric).map(|r| r.total)).collect();
            if let Some(n) = dep.keda.poll(spec, t, dep.desired, &values) {
                dep.desired = n;
            }
            if hpa_due && dep.desired > 0 && !dep.keda.in_fallback(spec) {
                let hpa = spec.hpa();
                let (down, up) = tolerances(&hpa.behavior, tol);
                // GetExternalPerPodMetricReplicas per trigger: total over the per-pod target, within the
                // tolerance band; the HPA takes the maximum.
                let status_replicas = c.total.max(1);
                let proposals: Vec<Option<u32>> = spec
                    .triggers
                    .iter()
                    .zip(&values)
                    .map(|(tr, v)| {
                        v.and_then(|total| {
                            external_per_pod_replicas(status_replicas, total, tr.target_per_pod, down, up)
                        })
                    })
                    .collect();
                dep.desired = dep.keda.hpa.reconcile(&hpa, t, dep.desired, &proposals);
                dep.hit_max |=
                    dep.desired >= hpa.max_replicas && proposals.iter().flatten().any(|p| *p > hpa.max_replicas);
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

/// The series while it is being recorded: per-deployment and per-pool columns by index, node counts by
/// (instance type, capacity type) index; turned into the keyed [`Series`] at the end.
struct SeriesBuilder {
    totals: Series,
    deployments: Vec<DeploymentSeries>,
    pools: Vec<PoolColumns>,
}

struct PoolColumns {
    nodes: Vec<u32>,
    by_type: Vec<((usize, CapacityType), Vec<u32>)>,
    cost_usd_cumulative: Vec<f64>,
    cost_raw: f64,
    scratch: Vec<u32>,
}

impl SeriesBuilder {
    fn new(n: usize, sc: &Scenario) -> SeriesBuilder {
        let v = || Vec::with_capacity(n);
        SeriesBuilder {
            totals: Series {
                t_s: v(),
                arrival_rate: v(),
                served_rate: v(),
                queue_length: Vec::with_capacity(n),
                ttft_p95_ms: v(),
                replicas_desired: Vec::with_capacity(n),
                replicas_ready: Vec::with_capacity(n),
                nodes: Vec::with_capacity(n),
                cost_usd_cumulative: v(),
                deployments: BTreeMap::new(),
                pools: BTreeMap::new(),
            },
            deployments: sc.deployments.iter().map(|_| DeploymentSeries::with_capacity(n)).collect(),
            pools: sc
                .pools
                .iter()
                .map(|_| PoolColumns {
                    nodes: Vec::with_capacity(n),
                    by_type: vec![],
                    cost_usd_cumulative: Vec::with_capacity(n),
                    cost_raw: 0.0,
                    scratch: vec![],
                })
                .collect(),
        }
    }

    fn finish(self, sc: &Scenario) -> Series {
        let mut series = self.totals;
        series.deployments = BTreeMap::from_iter(sc.deployments.iter().map(|d| d.name.clone()).zip(self.deployments));
        for (pool, cols) in sc.pools.iter().zip(self.pools) {
            let nodes_by_type = BTreeMap::from_iter(
                cols.by_type
                    .into_iter()
                    .map(|((t, c), column)| (format!("{}/{}", pool.instance_types[t].name, c.as_str()), column)),
            );
            let ps = PoolSeries {
                nodes: cols.nodes,
                nodes_by_type,
                cost_usd_cumulative: cols.cost_usd_cumulative,
                cost_usd_cumulative_raw: cols.cost_raw,
            };
            series.pools.insert(pool.name.clone(), ps);
        }
        series
    }
}

#[allow(clippy::too_many_arguments)]
fn sample(
    b: &mut SeriesBuilder,
    sc: &Scenario,
    topology: &Topology,
    deps: &mut [Dep],
    cluster: &Cluster,
    t0: f64,
    span_s: f64,
    cost: f64,
) {
    let series = &mut b.totals;
    series.t_s.push(r3(t0));
    let (mut arrived, mut served, mut queue, mut ttft95, mut desired, mut ready) =
        (0u64, 0u64, 0u64, 0.0f64, 0u32, 0u32);
    for (i, ((dep, s), d)) in deps.iter_mut().zip(b.deployments.iter_mut()).zip(&sc.deployments).enumerate() {
        dep.flush_bins(&d.service);
        if topology.entry[i] {
            arrived += dep.i_arrived;
        }
        if topology.terminal[i] {
            served += dep.i_served;
        }
        queue += dep.queue;
        ttft95 = ttft95.max(dep.i_ttft95_max);
        desired += dep.desired;
        ready += dep.counts.ready;
        let w = dep.i_served.max(1) as f64;
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
    for cols in b.pools.iter_mut() {
        cols.nodes.push(0);
        cols.scratch.clear();
        cols.scratch.resize(cols.by_type.len(), 0);
    }
    let mut cost_rate = vec![0.0f64; 0];
    cost_rate.resize(b.pools.len(), 0.0);
    for node in cluster.nodes.iter().filter(|x| x.state != NodeState::Gone) {
        let cols = &mut b.pools[node.pool];
        if let Some(last) = cols.nodes.last_mut() {
            *last += 1;
        }
        let key = (node.itype, node.capacity);
        let k = match cols.by_type.iter().position(|(k, _)| *k == key) {
            Some(k) => k,
            None => {
                cols.by_type.push((key, vec![0; n - 1]));
                cols.scratch.push(0);
                cols.by_type.len() - 1
            }
        };
        cols.scratch[k] += 1;
        cost_rate[node.pool] += node.usd_per_hour / 3600.0;
    }
    for (cols, rate) in b.pools.iter_mut().zip(cost_rate) {
        for ((_, column), count) in cols.by_type.iter_mut().zip(&cols.scratch) {
            column.push(*count);
        }
        cols.cost_raw += rate * span_s;
        cols.cost_usd_cumulative.push(r3(cols.cost_raw));
    }
}

#[allow(clippy::too_many_arguments)]
fn finish(
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
        (p.name.to_string(), super::output::Parameter { value: p.value, default: p.default, source: p.source })
    }));
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
        spot_launch_failures: cluster.launch_failures,
        nodes_consolidated: cluster.nodes_consolidated,
        nodes_replaced: cluster.nodes_replaced,
        duration_s: r3(opt.duration_s),
        step_s: opt.step_s,
        series_step_s: opt.series_step_s,
        seed: opt.seed,
        service_model: BTreeMap::from_iter(sc.deployments.iter().map(|d| (d.name.clone(), d.service.source.clone()))),
        findings,
        parameters,
    };
    Timeline { summary, series }
}
