//! The simulated day as the verdict: a plan passes only when its own day of traffic, through both
//! autoscaling layers, meets every SLO on every seed, drops (almost) nothing and does not flap. When
//! it fails, the reasons are ranked by the attainment each one cost, measured by taking it away:
//! the same day is simulated again without the cause (no start-up delays, no maxReplicas cap, no
//! NodePool limits, steadier scale-down, no spot interruptions, no request timeout) and the gain in
//! attainment is the cause's share. A day that misses even with maxReplicas replicas ready from the
//! first second never had a chance: the capacity itself is short.

use std::collections::BTreeMap;

use serde::Serialize;

use super::hpa::MetricKind;
use super::scenario::{Autoscaler, Scenario, SimOptions};
use super::traffic::{TrafficSource, DAY_S};
use super::{from_plan, simulate, PlanInputs, SimError, Summary};
use crate::plan::Plan;

/// The seeds a verdict runs by default: five days with different arrivals, bursts and interruptions.
pub const DEFAULT_SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
/// An autoscaler that turns around more often than this per day flaps: it starts pods it soon
/// removes, and each start is a cold start on a GPU node.
pub const MAX_REVERSALS_PER_DAY: f64 = 20.0;
/// Dropped requests are errors to the client, not slow answers: more than this fraction of the
/// day's requests dropped fails the day whatever the attainment (a 99.9 % availability objective).
pub const MAX_DROPPED_FRACTION: f64 = 0.001;

/// How a day is judged.
#[derive(Debug, Clone, PartialEq)]
pub struct DayOptions {
    pub seeds: Vec<u64>,
    pub duration_s: f64,
    pub step_s: f64,
    /// Rank the reasons of a failed day (a few more runs of the worst seed).
    pub explain: bool,
    /// Stop at the first seed that fails (a search only needs to know that it fails).
    pub stop_at_first_failure: bool,
}

impl Default for DayOptions {
    fn default() -> Self {
        DayOptions {
            seeds: DEFAULT_SEEDS.to_vec(),
            duration_s: DAY_S,
            step_s: 1.0,
            explain: true,
            stop_at_first_failure: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

/// What made a day fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Even with maxReplicas replicas ready all day, the SLOs are missed.
    Capacity,
    /// New capacity arrives too late: batching, launch, boot, device plugin, image pull, model load, warm-up.
    ScaleUpLag,
    MaxReplicas,
    NodePoolLimits,
    Flapping,
    SpotInterruptions,
    /// A Capacity Block ends during the day: its nodes are drained and the baseline moves.
    CapacityBlockEnd,
    RequestTimeouts,
}

/// One part of the time from a pod's creation to Ready on a new node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LagPart {
    pub part: &'static str,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub cause: Cause,
    /// Attainment (a fraction, of the SLO that gains most) the worst seed gains when only this cause is
    /// taken away.
    pub attainment_lost: f64,
    pub message: String,
    /// For `scale_up_lag`: the cold start of the first deployment, part by part.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<LagPart>,
}

/// The simulated day of a plan (`plan`'s `simulated` object).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayCheck {
    /// `profile` or `trace`.
    pub source: &'static str,
    /// The profile's name when the source is a profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub duration_s: f64,
    /// The seeds run (fewer than asked when a search stopped at the first failure).
    pub seeds: Vec<u64>,
    /// Per SLO, keyed as `simulate` keys it: the worst attainment over the seeds.
    pub slo_attainment: BTreeMap<String, f64>,
    /// Per SLO: the attainment it asks for (its percentile as a fraction).
    pub slo_required: BTreeMap<String, f64>,
    /// The most requests dropped on one seed, and the most served late.
    pub requests_dropped: u64,
    pub requests_late: u64,
    /// The highest over seeds and deployments.
    pub autoscaler_reversals_per_day: f64,
    /// Mean over the seeds, per day.
    pub cost_usd_per_day: f64,
    /// The seed with the smallest margin (the one the reasons explain).
    pub worst_seed: u64,
    pub verdict: Verdict,
    /// Why it fails, the costliest first; empty when it passes.
    pub reasons: Vec<Reason>,
}

impl DayCheck {
    pub fn passes(&self) -> bool {
        self.verdict == Verdict::Pass
    }

    /// The smallest margin of attainment over what an SLO asks for (negative when one is missed).
    pub fn margin(&self) -> f64 {
        margin(&self.slo_attainment, &self.slo_required)
    }
}

/// Judges a plan's day: `from_plan`, then [`judge`].
pub fn judge_plan(plan: &Plan, inputs: &PlanInputs, options: &DayOptions) -> Result<DayCheck, SimError> {
    judge(&from_plan(plan, inputs)?, options)
}

/// The longest day a trace stretches the verdict to.
pub const MAX_TRACE_DAYS: f64 = 7.0;

/// Judges a scenario's day on every seed. A trace longer than the day is judged whole (up to
/// [`MAX_TRACE_DAYS`]).
pub fn judge(sc: &Scenario, options: &DayOptions) -> Result<DayCheck, SimError> {
    let stretched = match &sc.traffic.source {
        TrafficSource::Trace { rows } => {
            let span = rows.last().map_or(0.0, |r| r.t_s).min(MAX_TRACE_DAYS * DAY_S);
            (span > options.duration_s)
                .then(|| DayOptions { duration_s: (span / 3600.0).ceil() * 3600.0, ..options.clone() })
        }
        TrafficSource::Profile { .. } => None,
    };
    let options = stretched.as_ref().unwrap_or(options);
    let required: BTreeMap<String, f64> = sc.slos.iter().map(|s| (s.key(), s.percentile / 100.0)).collect();
    let mut runs: Vec<(u64, Summary)> = vec![];
    for &seed in &options.seeds {
        let summary = run(sc, options, seed)?;
        let fails = !failures(&summary, &required).is_empty();
        runs.push((seed, summary));
        if fails && options.stop_at_first_failure {
            break;
        }
    }
    let Some((worst_seed, worst)) = runs
        .iter()
        .min_by(|a, b| {
            margin(&a.1.slo_attainment, &required)
                .total_cmp(&margin(&b.1.slo_attainment, &required))
                .then(b.1.requests_dropped.cmp(&a.1.requests_dropped))
        })
        .cloned()
    else {
        return Err(SimError::invalid("seeds", "at least one seed"));
    };
    let mut attainment = BTreeMap::new();
    for (_, s) in &runs {
        for (k, v) in &s.slo_attainment {
            let e = attainment.entry(k.clone()).or_insert(*v);
            *e = f64::min(*e, *v);
        }
    }
    let failed = runs.iter().any(|(_, s)| !failures(s, &required).is_empty());
    let most_reversals = runs.iter().map(|(_, s)| s.autoscaler_reversals_per_day).fold(0.0, f64::max);
    let reasons = if failed && options.explain {
        explain(sc, options, worst_seed, &worst, &required, most_reversals)?
    } else {
        vec![]
    };
    let (source, profile) = match &sc.traffic.source {
        TrafficSource::Trace { .. } => ("trace", None),
        TrafficSource::Profile { profile, .. } => ("profile", Some(profile.name().to_string())),
    };
    let days = options.duration_s.max(1.0) / DAY_S;
    Ok(DayCheck {
        source,
        profile,
        duration_s: options.duration_s,
        seeds: runs.iter().map(|(s, _)| *s).collect(),
        slo_attainment: attainment,
        slo_required: required,
        requests_dropped: runs.iter().map(|(_, s)| s.requests_dropped).max().unwrap_or(0),
        requests_late: runs.iter().map(|(_, s)| s.requests_late).max().unwrap_or(0),
        autoscaler_reversals_per_day: most_reversals,
        cost_usd_per_day: round3(runs.iter().map(|(_, s)| s.cost_usd).sum::<f64>() / runs.len() as f64 / days),
        worst_seed,
        verdict: if failed { Verdict::Fail } else { Verdict::Pass },
        reasons,
    })
}

fn run(sc: &Scenario, options: &DayOptions, seed: u64) -> Result<Summary, SimError> {
    // One series sample for the whole run: the verdict reads the summary only.
    let sim =
        SimOptions { duration_s: options.duration_s, step_s: options.step_s, series_step_s: options.duration_s, seed };
    Ok(simulate(sc, &sim)?.summary)
}

fn margin(attainment: &BTreeMap<String, f64>, required: &BTreeMap<String, f64>) -> f64 {
    required.iter().map(|(k, r)| attainment.get(k).copied().unwrap_or(0.0) - r).fold(f64::INFINITY, f64::min).min(1.0)
}

/// What fails in one run: SLOs missed, requests dropped, flapping.
fn failures(s: &Summary, required: &BTreeMap<String, f64>) -> Vec<&'static str> {
    let mut out = vec![];
    if margin(&s.slo_attainment, required) < -1e-9 {
        out.push("slo");
    }
    if s.requests_dropped as f64 > MAX_DROPPED_FRACTION * s.requests_arrived as f64 {
        out.push("dropped");
    }
    if s.autoscaler_reversals_per_day > MAX_REVERSALS_PER_DAY {
        out.push("flapping");
    }
    out
}

fn has(s: &Summary, code: &str) -> bool {
    s.findings.iter().any(|f| f.code == code)
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

/// The reasons of a failed day, measured on its worst seed.
fn explain(
    sc: &Scenario,
    options: &DayOptions,
    seed: u64,
    base: &Summary,
    required: &BTreeMap<String, f64>,
    most_reversals: f64,
) -> Result<Vec<Reason>, SimError> {
    let base_margin = margin(&base.slo_attainment, required);
    let gain = |variant: &Scenario| -> Result<(f64, Summary), SimError> {
        let s = run(variant, options, seed)?;
        Ok(((margin(&s.slo_attainment, required) - base_margin).max(0.0), s))
    };
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    let mut reasons = vec![];

    // Capacity: maxReplicas replicas ready from the start, nothing launching, no limits, no interruptions.
    let mut warm = without_lag(sc);
    for d in &mut warm.deployments {
        let max = d.autoscaler.max_replicas().max(1);
        d.autoscaler = Autoscaler::Fixed { replicas: max };
        d.initial_replicas = max;
    }
    unlimited(&mut warm);
    warm.timing.spot_interruptions_per_node_hour = 0.0;
    warm.timing.spot_interruptions_per_node_hour_by_family.clear();
    warm.timing.spot_launch_failure_probability = 0.0;
    let warm_summary = run(&warm, options, seed)?;
    let warm_margin = margin(&warm_summary.slo_attainment, required);
    if warm_margin < -1e-9 {
        let (key, att) = worst_slo(&warm_summary, required);
        reasons.push(Reason {
            cause: Cause::Capacity,
            attainment_lost: round4(-warm_margin),
            message: format!(
                "capacity: even with maxReplicas replicas ready all day ({}), SLO {key} is met by only {} of requests; \
                 the replicas cannot serve the day's traffic within it. Raise maxReplicas, or choose faster hardware \
                 or a lower precision.",
                replicas_list(sc),
                pct(att)
            ),
            parts: vec![],
        });
    }

    let (lag_gain, _) = gain(&without_lag(sc))?;
    if lag_gain > 1e-4 {
        let parts = lag_parts(sc);
        let total: f64 = parts.iter().map(|p| p.seconds).sum();
        let listed: Vec<String> = parts.iter().map(|p| format!("{} {:.0} s", p.part, p.seconds)).collect();
        reasons.push(Reason {
            cause: Cause::ScaleUpLag,
            attainment_lost: round4(lag_gain),
            message: format!(
                "scale-up lag: new replicas take {total:.0} s from creation to Ready on a new node ({}), while the \
                 traffic rises; instant capacity would gain {}. Keep warm capacity (a higher minReplicas, a static \
                 NodePool or a CapacityBuffer), scale up earlier (a lower target), or shorten the start: the image \
                 on the data volume's snapshot (nodeClasses[].imageCache) or pulled in parallel \
                 (nodeClasses[].imagePull: parallel), the weights streamed from S3 or kept on the node \
                 (deployments[].weights), Neuron's compiled artifacts cached (deployments[].compileCache).",
                listed.join(", "),
                pct(lag_gain)
            ),
            parts,
        });
    }

    if has(base, "SIM004") {
        let mut v = sc.clone();
        for d in &mut v.deployments {
            raise_max(&mut d.autoscaler);
        }
        let (g, _) = gain(&v)?;
        reasons.push(Reason {
            cause: Cause::MaxReplicas,
            attainment_lost: round4(g),
            message: format!(
                "maxReplicas: the autoscaler wanted more replicas than maxReplicas ({}); three times as many would gain {}.",
                replicas_list(sc),
                pct(g)
            ),
            parts: vec![],
        });
    }

    if has(base, "SIM001") {
        let mut v = sc.clone();
        unlimited(&mut v);
        let (g, _) = gain(&v)?;
        reasons.push(Reason {
            cause: Cause::NodePoolLimits,
            attainment_lost: round4(g),
            message: format!(
                "NodePool limits: pods stayed pending because the pools were at their limits; without limits the day \
                 would gain {}. Raise spec.limits or add a pool.",
                pct(g)
            ),
            parts: vec![],
        });
    }

    if most_reversals > MAX_REVERSALS_PER_DAY {
        let mut v = sc.clone();
        for d in &mut v.deployments {
            steadier_scale_down(&mut d.autoscaler);
        }
        let (g, _) = gain(&v)?;
        let zero_signal = sc.deployments.iter().any(|d| scales_on_queue_depth(&d.autoscaler));
        let advice = if zero_signal {
            "A queue-depth signal reads zero whenever capacity suffices, so the autoscaler scales in until a queue \
             forms again: scale on running requests or KV-cache usage as well, and lengthen the scale-down \
             stabilisation window"
        } else {
            "The load sits near the scaling target: lengthen the scale-down stabilisation window or move the target \
             away from the usual load"
        };
        reasons.push(Reason {
            cause: Cause::Flapping,
            attainment_lost: round4(g),
            message: format!(
                "flapping: the autoscaler reversed direction {:.0} times a day (at most {MAX_REVERSALS_PER_DAY:.0} \
                 pass, on the worst seed), each a cold start it soon undoes; a 30-minute scale-down window would gain {}. \
                 {advice}.",
                most_reversals,
                pct(g)
            ),
            parts: vec![],
        });
    }

    if base.spot_interruptions > 0 || base.spot_launch_failures > 0 {
        let mut v = sc.clone();
        v.timing.spot_interruptions_per_node_hour = 0.0;
        v.timing.spot_interruptions_per_node_hour_by_family.clear();
        v.timing.spot_launch_failure_probability = 0.0;
        let (g, _) = gain(&v)?;
        {
            reasons.push(Reason {
                cause: Cause::SpotInterruptions,
                attainment_lost: round4(g),
                message: format!(
                    "spot interruptions: {} interruptions and {} launches without capacity cost {}; keep the SLO-critical \
                     baseline on on-demand or reserved capacity.",
                    base.spot_interruptions,
                    base.spot_launch_failures,
                    pct(g)
                ),
                parts: vec![],
            });
        }
    }

    if base.capacity_block_drains > 0 {
        let mut v = sc.clone();
        v.pools.iter_mut().flat_map(|p| &mut p.reservations).for_each(|r| r.ends_at_s = None);
        let (g, _) = gain(&v)?;
        reasons.push(Reason {
            cause: Cause::CapacityBlockEnd,
            attainment_lost: round4(g),
            message: format!(
                "Capacity Block end (the day simulated is the day it ends): {} nodes were drained 40 minutes before \
                 the end and their replicas restarted on new nodes (the NodePool's other capacity types, or the \
                 next NodePool by weight) while the traffic went on; that cost {}. Buy the next block or an ODCR to \
                 follow it, or raise minReplicas in the fallback before the drain.",
                base.capacity_block_drains,
                pct(g)
            ),
            parts: vec![],
        });
    }

    if base.requests_dropped > 0 {
        let mut v = sc.clone();
        v.timing.request_timeout_s = 1e9;
        let (g, _) = gain(&v)?;
        let slowest_limit_s = sc.slos.iter().map(|s| s.limit_ms / 1e3).fold(0.0, f64::max);
        let short = if sc.timing.request_timeout_s < slowest_limit_s {
            format!(
                " The timeout is shorter than the {slowest_limit_s:.0} s SLO, so requests the SLO would accept are cut off: \
                 raise the gateway's timeout (spec.workload.requestTimeoutSeconds) to at least the SLO."
            )
        } else {
            String::new()
        };
        reasons.push(Reason {
            cause: Cause::RequestTimeouts,
            attainment_lost: round4(g),
            message: format!(
                "request timeouts: {} of {} requests were dropped (queued beyond the {:.0} s request timeout, or no \
                 ready replica); without the timeout the day would gain {}.{short}",
                base.requests_dropped,
                base.requests_arrived,
                sc.timing.request_timeout_s,
                pct(g)
            ),
            parts: vec![],
        });
    }
    // Causes that fail the day on their own stay; the others only when they cost something.
    reasons.retain(|r| {
        matches!(r.cause, Cause::Capacity | Cause::Flapping)
            || r.attainment_lost >= 5e-4
            || r.cause == Cause::RequestTimeouts
                && base.requests_dropped as f64 > MAX_DROPPED_FRACTION * base.requests_arrived as f64
    });
    reasons.sort_by(|a, b| b.attainment_lost.total_cmp(&a.attainment_lost).then(a.cause.cmp(&b.cause)));
    Ok(reasons)
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn worst_slo(s: &Summary, required: &BTreeMap<String, f64>) -> (String, f64) {
    required
        .iter()
        .map(|(k, r)| (k.clone(), s.slo_attainment.get(k).copied().unwrap_or(0.0), r))
        .min_by(|a, b| (a.1 - a.2).total_cmp(&(b.1 - b.2)))
        .map(|(k, a, _)| (k, a))
        .unwrap_or_default()
}

fn replicas_list(sc: &Scenario) -> String {
    sc.deployments.iter().map(|d| format!("{} {}", d.name, d.autoscaler.max_replicas())).collect::<Vec<_>>().join(", ")
}

/// The scenario with every start-up delay of a new node and pod taken away.
fn without_lag(sc: &Scenario) -> Scenario {
    let mut v = sc.clone();
    let t = &mut v.timing;
    t.batch_idle_s = 0.0;
    t.batch_max_s = 0.0;
    t.instance_launch_s = 0.0;
    t.boot_bottlerocket_s = 0.0;
    t.boot_al2023_s = 0.0;
    t.device_plugin_bottlerocket_s = 0.0;
    t.device_plugin_al2023_s = 0.0;
    t.image_pull_overhead_s = 0.0;
    t.image_pull_mib_per_s = 1e12;
    t.model_load_mib_per_s = 1e12;
    t.engine_warmup_s = 0.0;
    v
}

fn unlimited(sc: &mut Scenario) {
    for p in &mut sc.pools {
        p.limit_devices = None;
        p.limit_cpu = None;
    }
}

fn raise_max(a: &mut Autoscaler) {
    match a {
        Autoscaler::Fixed { .. } => {}
        Autoscaler::Hpa(h) => h.max_replicas = h.max_replicas.max(1).saturating_mul(3),
        Autoscaler::Keda(k) => k.max_replica_count = k.max_replica_count.max(1).saturating_mul(3),
    }
}

fn steadier_scale_down(a: &mut Autoscaler) {
    let behavior = match a {
        Autoscaler::Fixed { .. } => return,
        Autoscaler::Hpa(h) => &mut h.behavior,
        Autoscaler::Keda(k) => &mut k.behavior,
    };
    behavior.scale_down.stabilization_window_s = behavior.scale_down.stabilization_window_s.max(1800);
}

fn scales_on_queue_depth(a: &Autoscaler) -> bool {
    match a {
        Autoscaler::Fixed { .. } => false,
        Autoscaler::Hpa(h) => h.metrics.iter().any(|m| m.kind == MetricKind::QueueDepth),
        Autoscaler::Keda(k) => k.triggers.iter().any(|t| t.metric == MetricKind::QueueDepth),
    }
}

/// The cold start of the first deployment on a new node of its first allowed pool, part by part.
pub fn lag_parts(sc: &Scenario) -> Vec<LagPart> {
    let Some(d) = sc.deployments.first() else { return vec![] };
    let pool =
        sc.pools.iter().find(|p| d.allowed_pools.is_empty() || d.allowed_pools.contains(&p.name)).or(sc.pools.first());
    let start = match pool {
        Some(p) => p.pod_start(d),
        None => super::PodStart::plain(super::NodeOs::Bottlerocket, d.image_gib, d.weights_gib),
    };
    cold_start_parts(&sc.timing, &start)
}

/// A pod's start on a new node, part by part: Karpenter's batching, the instance launch, the OS boot,
/// the device plugin, the image pull (from the registry, or the data volume's snapshot) and the model
/// load (by the weights' source) with the engine's warm-up, and Neuron's compilation when it is due.
/// The simulator's `bind` uses the same [`super::Timing`] methods, so the parts are the simulated ones.
pub fn cold_start_parts(t: &super::Timing, start: &super::PodStart) -> Vec<LagPart> {
    let mut parts = vec![
        LagPart { part: "batching", seconds: t.batch_idle_s },
        LagPart { part: "launch", seconds: t.instance_launch_s },
        LagPart { part: "boot", seconds: t.boot_s(start.os) },
        LagPart { part: "device plugin", seconds: t.device_plugin_s(start.os) },
        LagPart { part: "image pull", seconds: round3(t.image_pull_s(start)) },
        LagPart { part: "model load", seconds: round3(t.weights_load_s(start, false)) },
        LagPart { part: "warm-up", seconds: t.engine_warmup_s },
    ];
    if start.neuron_compile {
        parts.push(LagPart { part: "neuron compile", seconds: t.neuron_compile_s });
    }
    parts
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
