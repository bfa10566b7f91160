//! The closed loop: every candidate on the front (and the cheapest others, while they can still win)
//! is emitted as a plan and judged over its simulated day on several seeds, with autoscaling searched
//! as part of the candidate (scale-down stabilisation, replicas kept warm above the baseline). The
//! recommendation is the candidate with the lowest simulated, risk-adjusted cost whose day meets every
//! SLO on every seed, drops nothing that matters and does not flap; its margin is the largest burst
//! beyond the declared peak it still survives.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{emit, Candidate, OptimizeInput};
use crate::sim::{self, DayOptions, PlanInputs, TraceRow, Verdict};

/// The loop accepts a day with at most this many autoscaler reversals, below the verdict's
/// [`sim::verdict::MAX_REVERSALS_PER_DAY`]: a recommendation near the limit on five seeds flaps on
/// the sixth.
pub const STABLE_REVERSALS_PER_DAY: f64 = 15.0;

/// How a candidate's autoscaling is set (part of the search, exported as the plan's autoscaler).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AutoscalingChoice {
    /// `behavior.scaleDown.stabilizationWindowSeconds` of the HPA (KEDA's `advanced` HPA config).
    pub scale_down_stabilization_s: u32,
    /// Replicas kept warm above the baseline sizing: `minReplicas` = baseline replicas + this (at most
    /// the peak), so a burst finds capacity ready while new nodes start.
    pub warm_replicas: u32,
    /// `minReplicaCount: 0`: KEDA scales the deployment to zero once no trigger has been active for
    /// the cooldown, and back to its baseline on the first poll that sees a request. Tried only where
    /// the traffic goes idle (a declared baseline of 0, or a trace with idle stretches).
    pub scale_to_zero: bool,
    /// The ScaledObject's `pollingInterval`: how often KEDA checks its triggers. With replicas above
    /// zero the HPA's own 15 s sync drives scaling; the interval matters for activation from zero.
    pub keda_polling_interval_s: u32,
    /// The ScaledObject's `cooldownPeriod` (KEDA's default 300 s when absent): how long after the
    /// last active trigger the deployment goes to zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keda_cooldown_period_s: Option<u32>,
    /// Start-up levers applied to the candidate's plan (`optimize::apply_start_levers`).
    pub start_levers: LeverChoice,
    /// How the `warm_replicas` are kept: running replicas (`minReplicas`), a CapacityBuffer, placeholder
    /// pods or a static NodePool (`optimize::with_warm_capacity`).
    pub warm_kind: super::WarmVariant,
}

/// The start-up levers a candidate is tried with: they shorten the cold start of every new replica, so
/// a burst is met sooner without replicas kept warm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeverChoice {
    /// As the input plan has them (carried over to the candidate).
    #[default]
    None,
    /// Those that cost nothing to run: SOCI parallel pull, the weights streamed from S3, Neuron's
    /// compiled artifacts cached in S3 (placeholders `s3://replaceme/…` for the buckets).
    Free,
    /// Those and the images on an EBS snapshot as the nodes' data volume (placeholder `snap-0replaceme`),
    /// with Fast Snapshot Restore, which is what the measured start needs and what it costs
    /// ([`IMAGE_CACHE_USD_PER_HOUR`]).
    WithImageCache,
}

impl LeverChoice {
    /// What the levers cost per hour beyond the nodes.
    pub fn usd_per_hour(self) -> f64 {
        match self {
            LeverChoice::None | LeverChoice::Free => 0.0,
            LeverChoice::WithImageCache => IMAGE_CACHE_USD_PER_HOUR,
        }
    }

    pub fn levers(self) -> Option<super::StartLevers> {
        let free = super::StartLevers { image_cache: false, node_cache: false, ..super::StartLevers::default() };
        match self {
            LeverChoice::None => None,
            LeverChoice::Free => Some(free),
            LeverChoice::WithImageCache => Some(super::StartLevers { image_cache: true, ..free }),
        }
    }
}

/// EBS Fast Snapshot Restore: 0.75 USD per hour for each snapshot in each Availability Zone (Amazon
/// EBS pricing, us-east-1), over the three zones a cluster's subnets usually span. Without it the
/// volume initialises lazily and the first reads of the images come from S3.
pub const IMAGE_CACHE_USD_PER_HOUR: f64 = 0.75 * 3.0;

impl AutoscalingChoice {
    /// One line for a candidate list: `scale-down 1800 s · 3 warm (CapacityBuffer) · levers: free`.
    pub fn short(&self) -> String {
        let mut parts = vec![];
        if self.scale_to_zero {
            parts.push(format!(
                "scale to zero after {} s (KEDA polls every {} s)",
                self.keda_cooldown_period_s.unwrap_or(300),
                self.keda_polling_interval_s
            ));
        }
        parts.push(format!("scale-down {} s", self.scale_down_stabilization_s));
        if self.warm_replicas > 0 {
            let kind = match self.warm_kind {
                super::WarmVariant::MinReplicas => "minReplicas",
                super::WarmVariant::CapacityBuffer => "CapacityBuffer",
                super::WarmVariant::PlaceholderPods => "placeholder pods",
                super::WarmVariant::StaticNodePool => "static NodePool",
            };
            parts.push(format!("{} warm ({kind})", self.warm_replicas));
        }
        match self.start_levers {
            LeverChoice::None => {}
            LeverChoice::Free => parts.push("levers: parallel pull, S3 streamer, compile cache".into()),
            LeverChoice::WithImageCache => parts.push("levers: image cache, S3 streamer, compile cache".into()),
        }
        parts.join(" · ")
    }
}

impl Default for AutoscalingChoice {
    fn default() -> Self {
        AutoscalingChoice {
            scale_down_stabilization_s: 900,
            warm_replicas: 0,
            scale_to_zero: false,
            keda_polling_interval_s: 15,
            keda_cooldown_period_s: None,
            start_levers: LeverChoice::None,
            warm_kind: super::WarmVariant::MinReplicas,
        }
    }
}

/// What the loop checks and on what traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct DayConfig {
    pub seeds: Vec<u64>,
    /// The plan's trace when it has one (the CLI reads a `trace.file`); else the diurnal profile with
    /// bursts within the declared peak.
    pub trace: Option<Vec<TraceRow>>,
    /// Candidates off the front simulated at most (every front candidate is).
    pub max_candidates: usize,
    /// Burst ceilings (× the declared peak) tried for the recommendation's margin, increasing.
    pub burst_margins_x_peak: Vec<f64>,
}

impl Default for DayConfig {
    fn default() -> Self {
        DayConfig {
            seeds: sim::verdict::DEFAULT_SEEDS.to_vec(),
            trace: None,
            max_candidates: 12,
            burst_margins_x_peak: vec![1.25, 1.5, 2.0, 3.0],
        }
    }
}

/// A candidate's simulated day (`candidates[].simulated`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateDay {
    /// `pass`: every SLO met on every seed, no flapping, (almost) nothing dropped.
    pub verdict: Verdict,
    /// `profile` or `trace`.
    pub source: &'static str,
    /// The seeds run: all of them for a pass, up to the first that failed otherwise.
    pub seeds: Vec<u64>,
    /// Worst seed, per SLO, keyed as `simulate` keys it.
    pub slo_attainment: BTreeMap<String, f64>,
    pub requests_dropped: u64,
    pub autoscaler_reversals_per_day: f64,
    /// Mean over the seeds run.
    pub cost_usd_per_day: f64,
    /// `cost_usd_per_day / 24` plus what its start-up levers cost an hour (the image cache's Fast
    /// Snapshot Restore) plus the candidate's spot risk: what the recommendation minimises.
    pub risk_adjusted_usd_per_hour: f64,
    /// Autoscaling settings tried, cheapest first, until one passed.
    pub autoscaling_tried: u32,
    /// For the recommendation: the largest burst ceiling (× the declared peak) its day still passes
    /// (1 when only the declared traffic passes; absent for a trace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst_margin_x_peak: Option<f64>,
}

impl CandidateDay {
    pub fn passes(&self) -> bool {
        self.verdict == Verdict::Pass
    }
}

/// Autoscaling settings to try for a candidate, roughly cheapest first: scale to zero where the
/// traffic goes idle (a short then a long cooldown, KEDA polling every 15 s then every 5 s so the first
/// request after idle waits less; with the free start-up levers, as every wake-up is a cold start),
/// then the scale-down window, then the free start-up levers, then the image cache (it costs Fast
/// Snapshot Restore), then replicas kept warm (they cost GPU hours) with the free levers.
fn choices(c: &Candidate, idle: bool) -> Vec<AutoscalingChoice> {
    let gap = c.assignments.iter().map(|a| a.replicas_peak.saturating_sub(a.replicas_baseline)).max().unwrap_or(0);
    let base = AutoscalingChoice::default();
    let mut out = vec![];
    if idle {
        for (polling, cooldown) in [(15, 300), (5, 300), (5, 1800)] {
            out.push(AutoscalingChoice {
                scale_to_zero: true,
                keda_polling_interval_s: polling,
                keda_cooldown_period_s: Some(cooldown),
                scale_down_stabilization_s: 1800,
                start_levers: LeverChoice::Free,
                ..base
            });
        }
    }
    out.push(base);
    let long = AutoscalingChoice { scale_down_stabilization_s: 1800, ..base };
    out.push(long);
    out.push(AutoscalingChoice { start_levers: LeverChoice::Free, ..long });
    out.push(AutoscalingChoice { start_levers: LeverChoice::WithImageCache, ..long });
    for fraction in [0.25, 0.5] {
        let warm = (gap as f64 * fraction).ceil() as u32;
        if warm > 0 && !out.iter().any(|x| x.warm_replicas == warm) {
            out.push(AutoscalingChoice { warm_replicas: warm, start_levers: LeverChoice::Free, ..long });
        }
    }
    out
}

/// Whether the traffic goes idle long enough for KEDA to scale to zero: a declared baseline of zero
/// requests/s with the built-in profile, or a trace with a stretch of at least KEDA's default cooldown
/// (300 s) at zero requests/s.
fn traffic_goes_idle(input: &OptimizeInput, day: &DayConfig) -> bool {
    match &day.trace {
        Some(rows) => {
            let mut idle_from: Option<f64> = None;
            for r in rows {
                if r.requests_per_s > 0.0 {
                    idle_from = None;
                } else if r.t_s - *idle_from.get_or_insert(r.t_s) >= 300.0 {
                    return true;
                }
            }
            false
        }
        None => input.baseline_requests_per_s <= 0.0,
    }
}

type ScenarioKey = (LeverChoice, super::WarmVariant, u32);

/// Judges one candidate as it is now set (its autoscaling choice), on `scenario` when given (the
/// candidate's scenario from an earlier choice with the same start-up levers: only the autoscaling is
/// set again, the service profiles are kept); `None` when the plan cannot be simulated.
fn judge(
    input: &OptimizeInput,
    c: &Candidate,
    day: &DayConfig,
    burst: f64,
    scenario: &mut Option<(ScenarioKey, sim::Scenario)>,
    cache: &mut sim::plan_adapter::ServiceCache,
) -> Option<sim::DayCheck> {
    let plan = emit::build_plan(input, c);
    let a = c.autoscaling;
    // Levers and warm capacity other than replicas shape the pools and deployments, not only the
    // autoscaler: a scenario is reused only when they are the same.
    let key = match a.warm_kind {
        super::WarmVariant::MinReplicas => (a.start_levers, a.warm_kind, 0),
        _ => (a.start_levers, a.warm_kind, a.warm_replicas),
    };
    match scenario {
        Some((k, sc)) if *k == key => sim::plan_adapter::retune_autoscaling(sc, &plan).ok()?,
        _ => {
            // The burst ceiling is set on the scenario below, for every judgement.
            let inputs = PlanInputs { trace: day.trace.clone(), ..PlanInputs::for_plan(&plan) };
            let sc = sim::plan_adapter::from_plan_cached(&plan, &inputs, cache).ok()?;
            *scenario = Some((key, sc));
        }
    }
    let (_, sc) = scenario.as_mut()?;
    if let sim::TrafficSource::Profile { params, .. } = &mut sc.traffic.source {
        params.spike_ceiling_x_peak = burst;
    }
    let options =
        DayOptions { seeds: day.seeds.clone(), explain: false, stop_at_first_failure: true, ..DayOptions::default() };
    sim::judge(sc, &options).ok()
}

fn candidate_day(c: &Candidate, check: &sim::DayCheck, tried: u32) -> CandidateDay {
    CandidateDay {
        verdict: check.verdict,
        source: check.source,
        seeds: check.seeds.clone(),
        slo_attainment: check.slo_attainment.clone(),
        requests_dropped: check.requests_dropped,
        autoscaler_reversals_per_day: check.autoscaler_reversals_per_day,
        cost_usd_per_day: check.cost_usd_per_day,
        risk_adjusted_usd_per_hour: round3(
            check.cost_usd_per_day / 24.0 + c.autoscaling.start_levers.usd_per_hour() + c.spot_risk_usd_per_hour,
        ),
        autoscaling_tried: tried,
        burst_margin_x_peak: None,
    }
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

/// The loop's state: candidates checked one at a time, so a shell can run it between frames.
pub(super) struct Loop {
    /// Candidate indices by static cost, the cheapest first: once one passes, the others must beat its
    /// simulated cost.
    order: Vec<usize>,
    next: usize,
    best: Option<(usize, f64)>,
    others_checked: usize,
    /// Candidates that differ only in capacity split or autoscaling serve alike: their service
    /// profiles are sampled once.
    services: sim::plan_adapter::ServiceCache,
}

impl Loop {
    pub fn new(candidates: &[Candidate]) -> Loop {
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|a, b| {
            candidates[*a].risk_adjusted_usd_per_hour.total_cmp(&candidates[*b].risk_adjusted_usd_per_hour)
        });
        Loop { order, next: 0, best: None, others_checked: 0, services: Default::default() }
    }

    /// Candidates considered so far, of all.
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.order.len())
    }

    /// Considers the next candidate (simulates it unless it cannot win); false when none is left.
    pub fn step(&mut self, input: &OptimizeInput, day: &DayConfig, candidates: &mut [Candidate]) -> bool {
        let Some(&i) = self.order.get(self.next) else { return false };
        self.next += 1;
        // Its static cost at the baseline is what it pays at least: once that is above the best
        // simulated cost, it cannot win. Front candidates are checked all the same (one setting);
        // the others within the budget.
        let floor = candidates[i].baseline_usd_per_hour + candidates[i].spot_risk_usd_per_hour;
        let hopeless = self.best.is_some_and(|(_, cost)| floor >= cost);
        if !candidates[i].on_front {
            if hopeless || self.others_checked >= day.max_candidates {
                return true;
            }
            self.others_checked += 1;
        }
        let all = choices(&candidates[i], traffic_goes_idle(input, day));
        let tries = if hopeless { &all[..1] } else { &all[..] };
        let mut last: Option<(AutoscalingChoice, CandidateDay)> = None;
        let mut passed: Option<(AutoscalingChoice, CandidateDay)> = None;
        let mut scenario = None;
        let mut tried = 0;
        let mut compared = false;
        for (n, choice) in tries.iter().enumerate() {
            // The settings are tried cheapest first, except that scale to zero can cost more than a
            // replica kept all day (cold starts at every wake-up): once it passes, the first setting
            // that keeps replicas is tried as well, and the cheaper day wins.
            if let Some((p, _)) = &passed {
                if !p.scale_to_zero || compared {
                    break;
                }
                if choice.scale_to_zero {
                    continue;
                }
                compared = true;
            }
            candidates[i].autoscaling = *choice;
            let Some(check) = judge(input, &candidates[i], day, 1.0, &mut scenario, &mut self.services) else { break };
            tried += 1;
            let passes = check.passes() && check.autoscaler_reversals_per_day <= STABLE_REVERSALS_PER_DAY;
            let d = candidate_day(&candidates[i], &check, n as u32 + 1);
            if passes
                && passed.as_ref().is_none_or(|(_, p)| d.risk_adjusted_usd_per_hour < p.risk_adjusted_usd_per_hour)
            {
                passed = Some((*choice, d.clone()));
            }
            last = Some((*choice, d));
        }
        // Replicas kept warm passed: the other ways of keeping that capacity warm (a CapacityBuffer,
        // placeholder pods, a static NodePool for the baseline and them) are judged too, and the
        // cheapest passing day wins.
        if let Some((won, _)) = passed.as_ref().filter(|(p, _)| p.warm_replicas > 0 && !hopeless) {
            let won = *won;
            for kind in [
                super::WarmVariant::CapacityBuffer,
                super::WarmVariant::PlaceholderPods,
                super::WarmVariant::StaticNodePool,
            ] {
                candidates[i].autoscaling = AutoscalingChoice { warm_kind: kind, ..won };
                if !emit::warm_applies(input, &candidates[i]) {
                    continue;
                }
                let Some(check) = judge(input, &candidates[i], day, 1.0, &mut scenario, &mut self.services) else {
                    continue;
                };
                tried += 1;
                let d = candidate_day(&candidates[i], &check, tried);
                let passes = check.passes() && check.autoscaler_reversals_per_day <= STABLE_REVERSALS_PER_DAY;
                if passes
                    && passed.as_ref().is_none_or(|(_, p)| d.risk_adjusted_usd_per_hour < p.risk_adjusted_usd_per_hour)
                {
                    passed = Some((candidates[i].autoscaling, d));
                }
            }
        }
        let last = match passed.or(last) {
            Some((choice, mut d)) => {
                candidates[i].autoscaling = choice;
                d.autoscaling_tried = tried;
                Some(d)
            }
            None => None,
        };
        if let Some(mut d) = last {
            if d.autoscaler_reversals_per_day > STABLE_REVERSALS_PER_DAY {
                d.verdict = Verdict::Fail;
            }
            if d.passes() && self.best.is_none_or(|(_, cost)| d.risk_adjusted_usd_per_hour < cost) {
                self.best = Some((i, d.risk_adjusted_usd_per_hour));
            }
            if !d.passes() {
                // What was tried last is no better than the default: export the default.
                candidates[i].autoscaling = AutoscalingChoice::default();
            }
            candidates[i].simulated = Some(d);
        }
        true
    }

    /// The winner (the lowest simulated risk-adjusted cost among the days that passed), with its
    /// margin: the largest burst beyond the declared peak its day still passes. `None`: none passed.
    pub fn finish(mut self, input: &OptimizeInput, day: &DayConfig, candidates: &mut [Candidate]) -> Option<usize> {
        let winner = self.best.map(|(i, _)| i)?;
        if day.trace.is_none() && input.base_plan.spec.workload.trace.is_none() {
            let mut margin = 1.0;
            let mut scenario = None;
            for &x in &day.burst_margins_x_peak {
                match judge(input, &candidates[winner], day, x, &mut scenario, &mut self.services) {
                    Some(check) if check.passes() => margin = x,
                    _ => break,
                }
            }
            if let Some(d) = candidates[winner].simulated.as_mut() {
                d.burst_margin_x_peak = Some(margin);
            }
        }
        Some(winner)
    }
}
