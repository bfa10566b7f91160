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
}

impl Default for AutoscalingChoice {
    fn default() -> Self {
        AutoscalingChoice {
            scale_down_stabilization_s: 900,
            warm_replicas: 0,
            scale_to_zero: false,
            keda_polling_interval_s: 15,
            keda_cooldown_period_s: None,
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
    /// `cost_usd_per_day / 24` plus the candidate's spot risk: what the recommendation minimises.
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
/// request after idle waits less), then the scale-down window, then replicas kept warm.
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
                ..base
            });
        }
    }
    out.push(base);
    out.push(AutoscalingChoice { scale_down_stabilization_s: 1800, ..base });
    for fraction in [0.25, 0.5] {
        let warm = (gap as f64 * fraction).ceil() as u32;
        if warm > 0 && !out.iter().any(|x| x.warm_replicas == warm) {
            out.push(AutoscalingChoice { scale_down_stabilization_s: 1800, warm_replicas: warm, ..base });
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

/// Judges one candidate as it is now set (its autoscaling choice), on `scenario` when given (the
/// candidate's scenario from an earlier choice: only the autoscaling is set again, the service
/// profiles are kept); `None` when the plan cannot be simulated.
fn judge(
    input: &OptimizeInput,
    c: &Candidate,
    day: &DayConfig,
    burst: f64,
    scenario: &mut Option<sim::Scenario>,
    cache: &mut sim::plan_adapter::ServiceCache,
) -> Option<sim::DayCheck> {
    let plan = emit::build_plan(input, c);
    match scenario {
        Some(sc) => sim::plan_adapter::retune_autoscaling(sc, &plan).ok()?,
        None => {
            // The burst ceiling is set on the scenario below, for every judgement.
            let inputs = PlanInputs { trace: day.trace.clone(), ..PlanInputs::for_plan(&plan) };
            *scenario = Some(sim::plan_adapter::from_plan_cached(&plan, &inputs, cache).ok()?)
        }
    }
    let sc = scenario.as_mut()?;
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
        risk_adjusted_usd_per_hour: round3(check.cost_usd_per_day / 24.0 + c.spot_risk_usd_per_hour),
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
