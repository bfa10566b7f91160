//! The time-stepped run: traffic → queues and service per deployment each step; autoscalers and the
//! node layer at their own event times; series sampled every `series_step_s`; the summary at the end.

use super::cluster::{Cluster, Counts};
use super::error::SimError;
use super::events::EventLog;
use super::hpa::{HpaController, KedaController};
use super::output::Timeline;
use super::rng::Rng;
use super::scenario::{Autoscaler, Scenario, SimOptions, SloMetric, SloTarget};
use super::serving::{fraction_within, Band};
use super::traffic::TrafficCursor;

mod autoscaling;
mod distribution;
mod series;
mod summary;
use autoscaling::autoscale;
use series::{sample, SeriesBuilder};
use summary::finish;

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
    /// The run's served-weighted distributions of TTFT, TPOT and end-to-end latency.
    ttft: distribution::Distribution,
    tpot: distribution::Distribution,
    e2e: distribution::Distribution,
    /// TTFT of the requests this deployment served this step (queue wait included), for the next
    /// stage of a pipeline.
    ttft_now: Band,
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
            self.ttft.add(w, p.ttft());
            self.tpot.add(w, p.tpot());
            self.e2e.add(w, p.ttft().plus_steps(self.decode_steps, p.tpot()));
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
                    SloMetric::Ttft => fraction_within(slo.limit_ms, p.ttft()),
                    SloMetric::Tpot => fraction_within(slo.limit_ms, p.tpot()),
                    SloMetric::E2e => fraction_within(slo.limit_ms, p.ttft().plus_steps(decode_steps, p.tpot())),
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
/// At most this many values in a timeline's series (samples × columns): about 160 MB as the
/// simulator holds them, so every allowed combination of flags stays well under 512 MB.
pub const MAX_SERIES_VALUES: f64 = 20_000_000.0;

/// The series' size, checked before a step is simulated: samples (`duration / series step`) times
/// columns (9 totals, 13 per deployment, per pool its nodes, cost and nodes for each instance type and
/// capacity type it may launch).
fn check_series_size(sc: &Scenario, opt: &SimOptions) -> Result<(), SimError> {
    let samples = (opt.duration_s / opt.series_step_s).ceil() + 1.0;
    let pool_columns: usize = sc.pools.iter().map(|p| 2 + p.instance_types.len().max(1)).sum();
    let columns = (9 + 13 * sc.deployments.len() + pool_columns) as f64;
    if samples * columns > MAX_SERIES_VALUES {
        let step = (opt.duration_s * columns / MAX_SERIES_VALUES).ceil();
        return Err(SimError::invalid(
            "--series-step",
            format!(
                "the series would hold {:.0} values ({samples:.0} samples × {columns:.0} columns); the limit is \
                 {MAX_SERIES_VALUES:.0}: use --series-step {step}s or more, or a shorter --duration",
                samples * columns
            ),
        ));
    }
    Ok(())
}

pub fn simulate(sc: &Scenario, opt: &SimOptions) -> Result<Timeline, SimError> {
    opt.validate()?;
    sc.validate()?;
    check_series_size(sc, opt)?;
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
    cluster.keep_static_pools(0.0, true);
    let desired: Vec<u32> = sc
        .deployments
        .iter()
        .map(|d| d.initial_replicas.clamp(d.autoscaler.min_replicas(), d.autoscaler.max_replicas()))
        .collect();
    for (dep, &want) in deps.iter_mut().zip(&desired) {
        dep.desired = want;
    }
    cluster.ca_start();
    cluster.reconcile_replicas(0.0, &desired, true);
    cluster.schedule(0.0, true);
    if cluster.ca.is_some() {
        cluster.ca_start_pods();
    } else {
        cluster.provision(0.0, true);
        cluster.refill_buffers(0.0, true);
    }
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
    let mut events = EventLog::new(opt.series_step_s);

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
                    let kind = if direction > 0 { "scale-up" } else { "scale-down" };
                    events.record(t, kind, i, 1, scratch_desired[i], dep.desired);
                }
                changed |= scratch_desired[i] != dep.desired;
                scratch_desired[i] = dep.desired;
            }
            // Node layer.
            if changed || t >= cluster_due_s {
                let before = node_counters(&cluster);
                cluster.node_events(t);
                cluster.reconcile_replicas(t, &scratch_desired, false);
                cluster.schedule(t, false);
                if cluster.ca.is_some() {
                    cluster.ca_loop(t);
                } else if cluster.has_unbound() && (t >= cluster.batch_due_s() || t >= cluster.retry_at_s) {
                    cluster.provision(t, false);
                }
                cluster.consolidate(t);
                if cluster.buffer_due(t) {
                    cluster.refill_buffers(t, false);
                }
                cluster.reconcile_replicas(t, &scratch_desired, false);
                cluster.schedule(t, false);
                cluster.settle();
                cluster.counts(t, &mut counts);
                for (dep, c) in deps.iter_mut().zip(&counts) {
                    dep.counts = *c;
                }
                peak_nodes = peak_nodes.max(cluster.live_nodes);
                let after = node_counters(&cluster);
                let live = cluster.live_nodes;
                for (k, kind) in ["node-launch", "consolidation", "spot-interruption"].into_iter().enumerate() {
                    if after[k] > before[k] {
                        events.record(t, kind, usize::MAX, after[k] - before[k], live, live);
                    }
                }
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
            // A later stage's load is its upstream's throughput as a fluid (its arrival rate, or its
            // capacity while it has a backlog), not the whole requests handed over in this one step:
            // a request occupies the stage for many steps.
            let upstream_rate = topology.upstream[i].map(|u| {
                let up = &deps[u];
                match (up.queue > 0, up.inv_capacity_rps > 0.0) {
                    (false, _) => up.arrival_rps,
                    (true, true) => 1.0 / up.inv_capacity_rps,
                    (true, false) => 0.0,
                }
            });
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
                    (upstream_rate.unwrap_or(handed_over / step), handed_over)
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
            // The request's TTFT before this stage: a pipeline's later stage takes its upstream's.
            let upstream_ttft = topology.upstream[i].map(|u| deps[u].ttft_now);
            let dep = &mut deps[i];
            if served > 0 {
                let w = served as i64 as f64;
                dep.tokens += w * dep.tokens_per_request;
                let (point, frac) = profile.position(dep.utilization);
                if dep.queue == 0 && upstream_ttft.is_none() && topology.terminal[i] {
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
                    let tpot = lat.tpot();
                    // TTFT is decided at a pipeline's first stage (with its KV transfer); a later
                    // stage's queue delays the rest of the answer, end-to-end, as the static bands
                    // add TTFT at q and (output − 1) × TPOT at q.
                    let (ttft, e2e) = match upstream_ttft {
                        Some(before) => (before, before.plus(wait_ms).plus_steps(dep.decode_steps, tpot)),
                        None => {
                            let ttft = lat.ttft().plus(wait_ms);
                            (ttft, ttft.plus_steps(dep.decode_steps, tpot))
                        }
                    };
                    dep.ttft_now = ttft;
                    for (k, slo) in sc.slos.iter().enumerate() {
                        let f = match slo.metric {
                            SloMetric::Ttft => fraction_within(slo.limit_ms, ttft),
                            SloMetric::Tpot => fraction_within(slo.limit_ms, tpot),
                            SloMetric::E2e => fraction_within(slo.limit_ms, e2e),
                        };
                        dep.within[k] += w * f;
                    }
                    dep.ttft.add(w, ttft);
                    dep.tpot.add(w, tpot);
                    dep.e2e.add(w, e2e);
                    dep.i_ttft50_weighted += w * ttft.p50_ms;
                    dep.i_tpot50_weighted += w * tpot.p50_ms;
                    dep.i_e2e50_weighted += w * e2e.p50_ms;
                    dep.i_ttft95_max = dep.i_ttft95_max.max(ttft.p95_ms);
                    dep.i_tpot95_max = dep.i_tpot95_max.max(tpot.p95_ms);
                    dep.i_e2e95_max = dep.i_e2e95_max.max(e2e.p95_ms);
                }
            }
        }
        cost_usd += cluster.bill_step(step);

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
    let names: Vec<&str> = sc.deployments.iter().map(|d| d.name.as_str()).collect();
    let events = events.finish(&names, &series, &sc.slos);
    let mut timeline = finish(sc, opt, &topology, &deps, &cluster, series, cost_usd, peak_nodes);
    timeline.events = events;
    Ok(timeline)
}

/// Nodes launched, removed by consolidation or Cluster Autoscaler, and interrupted so far: the
/// engine records the difference across a node-layer update as events.
fn node_counters(cluster: &super::cluster::Cluster) -> [u32; 3] {
    let scaled_down = cluster.ca.as_ref().map_or(0, |ca| ca.nodes_scaled_down);
    [
        cluster.nodes_launched,
        cluster.nodes_consolidated + cluster.nodes_replaced + scaled_down,
        cluster.spot_interruptions,
    ]
}
