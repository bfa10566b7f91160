//! The optimiser: given a workload and SLOs, search topologies and return the Pareto front of cost vs
//! latency, every candidate with its cost, latency bands and why it won or lost, and the recommended
//! Plan.
//!
//! # API (plain data in, plain data out; units in every field name)
//!
//! ```text
//! optimize::OptimizeInput::from_plan(&Plan) -> Result<OptimizeInput, OptimizeError>
//! optimize::recommend(&OptimizeInput, &OptimizeConfig) -> Result<Recommendation, OptimizeError>
//! optimize::recommend_plan(&Plan) -> Result<Recommendation, OptimizeError>   (both steps, defaults)
//! optimize::candidate_plan(&OptimizeInput, &Candidate) -> Plan             (apply another candidate)
//! optimize::apply_candidate(&Plan, &Candidate) -> Result<Plan, OptimizeError> (the same, from the plan)
//! optimize::slo_check(&Plan, &OptimizeInput, &[Assignment]) -> Vec<SloCheck> (re-checks an emitted plan)
//! optimize::explain(&Recommendation) -> String                             (the CLI's text format)
//! optimize::with_warm_capacity(&Plan, deployment, count, WarmVariant) -> Result<Plan, WarmError>
//! optimize::warm_capacity_variants(&Plan, deployment, count) -> Result<Vec<(WarmVariant, Plan)>, WarmError>
//!                                           (warm capacity as minReplicas, buffer, placeholders, static pool)
//! ```
//!
//! What is searched (see `docs/optimize.md`): every priced accelerated instance type of the catalog in
//! the plan's region, every tensor-parallel degree that divides the model's heads and fits the node,
//! BF16/FP16 and FP8 where the chip runs it; one instance type for all requests or a heterogeneous mix
//! (Mélange-style: each request class, e.g. short and long prompts, on the type that serves it most
//! cheaply); monolithic or prefill/decode disaggregated (`disagg.rs`); replicas sized at several
//! utilisation targets below the highest SLO-meeting rate (the cost-vs-latency trade-off); and four
//! capacity splits (all on-demand; reserved baseline with spot or on-demand burst; spot first). Spot interruption risk is charged against spot capacity when the
//! workload has SLOs.

mod closed_loop;
mod disagg;
mod emit;
mod explain;
mod levers;
mod search;
mod unfit;
mod warm;

pub use closed_loop::{
    AutoscalingChoice, CandidateDay, DayConfig, LeverChoice, IMAGE_CACHE_USD_PER_HOUR, STABLE_REVERSALS_PER_DAY,
};
pub use emit::{slo_check, SloCheck};
pub use explain::explain;
pub use levers::{apply_start_levers, StartLevers, S3_PLACEHOLDER};
pub use warm::{warm_capacity_variants, with_warm_capacity, WarmError, WarmVariant};

use serde::Serialize;

use crate::catalog::{self, CapacityType, ModelSpec};
use crate::perf::{self, Percentiles, Precision};
use crate::plan::{self, Plan};

/// One kind of request in the blend: a share of the traffic with its own token counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestClass {
    /// `all`, `short`, `long` (used in deployment names).
    pub name: String,
    /// Fraction of requests (the shares of a blend sum to 1).
    pub share: f64,
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// What to optimise: one model, its traffic and SLOs, and the plan the answer is built on.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeInput {
    /// The model as the plan names it (`meta-llama/Meta-Llama-3-8B-Instruct`).
    pub model_name: String,
    pub model: ModelSpec,
    /// The precision the plan asked for, searched besides the configured ones (`awq` in a plan
    /// means INT4 quality is acceptable).
    pub precision: Option<Precision>,
    /// Base name of the recommended deployments.
    pub deployment_name: String,
    pub region: String,
    pub baseline_requests_per_s: f64,
    pub peak_requests_per_s: f64,
    pub classes: Vec<RequestClass>,
    pub slos: Vec<perf::Slo>,
    /// Metadata, cluster and workload are copied from this plan; deployments and pools are replaced.
    pub base_plan: Plan,
}

/// How a candidate's capacity is split between the baseline and the burst above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapacityStrategy {
    /// Baseline on a capacity reservation (highest weight), burst on spot with on-demand fallback.
    ReservedBaselineSpotBurst,
    /// Baseline on a capacity reservation, burst on on-demand.
    ReservedBaselineOnDemandBurst,
    /// Everything on on-demand.
    OnDemand,
    /// Everything on spot, on-demand only as fallback (spot-heavy).
    SpotFirst,
}

impl CapacityStrategy {
    pub const ALL: [CapacityStrategy; 4] = [
        CapacityStrategy::ReservedBaselineSpotBurst,
        CapacityStrategy::ReservedBaselineOnDemandBurst,
        CapacityStrategy::OnDemand,
        CapacityStrategy::SpotFirst,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CapacityStrategy::ReservedBaselineSpotBurst => "reserved-baseline-spot-burst",
            CapacityStrategy::ReservedBaselineOnDemandBurst => "reserved-baseline-on-demand-burst",
            CapacityStrategy::OnDemand => "on-demand",
            CapacityStrategy::SpotFirst => "spot-first",
        }
    }

    fn reserves_baseline(self) -> bool {
        matches!(self, CapacityStrategy::ReservedBaselineSpotBurst | CapacityStrategy::ReservedBaselineOnDemandBurst)
    }
}

/// Knobs of the search. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeConfig {
    /// Share of hours the fleet runs at peak (the rest at baseline), to turn baseline and peak cost
    /// into an expected cost per hour.
    pub peak_hours_fraction: f64,
    /// Replicas are sized so each runs at this fraction of the highest rate that meets every SLO.
    /// Lower targets cost more and answer faster: they make the cost-vs-latency front.
    pub utilization_targets: Vec<f64>,
    /// Precisions to try (BF16 becomes FP16 on chips without BF16; FP8 only where the chip runs it).
    pub precisions: Vec<Precision>,
    /// Instance families to search (empty: all).
    pub families: Vec<String>,
    pub strategies: Vec<CapacityStrategy>,
    /// Spot interruption risk when spot nodes serve the SLO-critical baseline, as a fraction of those
    /// nodes' on-demand price: the standby capacity that keeps the SLO through an interruption (a
    /// replacement node takes minutes to boot and load the model; the notice is two minutes).
    pub spot_risk_baseline_fraction: f64,
    /// The same for spot nodes that only serve the burst above the baseline (charged for the hours at
    /// peak).
    pub spot_risk_burst_fraction: f64,
    /// Traffic is SLO-critical (spot risk counts) when it has a TTFT or TPOT SLO, or an end-to-end
    /// limit below this; longer limits are batch work that a retry after an interruption still meets.
    pub critical_e2e_limit_ms: f64,
    /// Also search prefill/decode disaggregation.
    pub search_disaggregated: bool,
    /// The cheapest prefill and decode configurations paired into disaggregated candidates.
    pub disaggregated_options_per_stage: usize,
    /// The cheapest options per request class combined into mixes.
    pub mix_options_per_class: usize,
    /// Candidates returned besides the front and the best of each kind.
    pub max_candidates: usize,
    /// Judge the candidates over their simulated day (the closed loop); `None` ranks them on their
    /// static figures alone.
    pub day: Option<DayConfig>,
}

impl Default for OptimizeConfig {
    fn default() -> Self {
        OptimizeConfig {
            peak_hours_fraction: 0.25,
            utilization_targets: vec![0.9, 0.7, 0.5],
            precisions: vec![Precision::Bf16, Precision::Fp8],
            families: Vec::new(),
            strategies: CapacityStrategy::ALL.to_vec(),
            spot_risk_baseline_fraction: 1.0,
            spot_risk_burst_fraction: 0.25,
            critical_e2e_limit_ms: crate::plan::CRITICAL_E2E_LIMIT_MS,
            search_disaggregated: true,
            disaggregated_options_per_stage: 6,
            mix_options_per_class: 4,
            max_candidates: 24,
            day: Some(DayConfig::default()),
        }
    }
}

/// Why there is no recommendation, naming the input field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimizeError {
    pub field: String,
    pub message: String,
}

impl OptimizeError {
    fn new(field: &str, message: impl Into<String>) -> OptimizeError {
        OptimizeError { field: field.to_string(), message: message.into() }
    }
}

impl std::error::Error for OptimizeError {}

impl std::fmt::Display for OptimizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Latency of one request class on its assignment at the sizing load, ms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassLatency {
    pub class: String,
    pub ttft_ms: Percentiles,
    pub tpot_ms: Percentiles,
    pub e2e_latency_ms: Percentiles,
}

/// One deployment of a candidate: which classes it serves, on what, how many.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    pub deployment: String,
    /// `server` (monolithic), `prefill` or `decode` (the fleets of a disaggregated deployment).
    pub role: String,
    pub classes: Vec<String>,
    pub instance_type: String,
    pub accelerator: String,
    /// GPUs, or NeuronCores on Neuron.
    pub tensor_parallel: u32,
    /// Plan precision name (`bf16`, `fp16`, `fp8`).
    pub precision: String,
    /// `vllm` or `neuron`.
    pub engine: String,
    pub devices_per_replica: u32,
    pub replicas_per_node: u32,
    pub requests_per_s_baseline: f64,
    pub requests_per_s_peak: f64,
    /// Sum over the classes served of rate / (highest SLO-meeting rate per replica): replicas at 100 %.
    pub replica_load_at_peak: f64,
    pub replicas_baseline: u32,
    pub replicas_peak: u32,
    pub nodes_baseline: u32,
    pub nodes_peak: u32,
    pub node_on_demand_usd_per_hour: f64,
    pub node_spot_usd_per_hour: Option<f64>,
    /// Mean running sequences per replica at the sizing load (the autoscaler's target).
    pub running_sequences_per_replica: f64,
    pub latency: Vec<ClassLatency>,
}

/// One point of the search, priced and explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Stable, readable id (`g6.xlarge/tp1/bf16@70%/reserved-baseline-spot-burst`).
    pub name: String,
    /// 1 = recommended; ordered by risk-adjusted cost, then name.
    pub rank: u32,
    /// `single` (one instance type for every request), `mix` (a type per request class) or
    /// `disaggregated` (a prefill fleet and a decode fleet).
    pub topology: String,
    /// `monolithic` (prefill and decode on the same replicas) or `disaggregated`.
    pub mode: String,
    pub capacity: CapacityStrategy,
    pub utilization_target: f64,
    pub assignments: Vec<Assignment>,
    /// Expected cost: baseline always, burst for `peak_hours_fraction` of the hours.
    pub cost_usd_per_hour: f64,
    pub baseline_usd_per_hour: f64,
    pub peak_usd_per_hour: f64,
    /// Spot interruption risk charged for SLO-critical traffic (0 without SLOs or spot).
    pub spot_risk_usd_per_hour: f64,
    /// `cost_usd_per_hour + spot_risk_usd_per_hour`: what the search minimises.
    pub risk_adjusted_usd_per_hour: f64,
    pub usd_per_million_tokens: Option<f64>,
    /// Share of peak capacity (devices) on spot.
    pub spot_share_at_peak: f64,
    /// Worst class, at the sizing load.
    pub ttft_p99_ms: f64,
    pub tpot_p99_ms: f64,
    pub e2e_latency_p99_ms: f64,
    pub ttft_p50_ms: f64,
    pub tpot_p50_ms: f64,
    pub on_front: bool,
    pub recommended: bool,
    /// One sentence: why it won or lost.
    pub verdict: String,
    /// Supporting facts (binding SLO, spot risk, what dominates it).
    pub reasons: Vec<String>,
    /// The autoscaling its plan carries (searched with the simulated day).
    pub autoscaling: AutoscalingChoice,
    /// Its simulated day, when it was checked (every candidate on the front is).
    pub simulated: Option<CandidateDay>,
}

/// A point of the cost-vs-latency Pareto front (what the app charts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontPoint {
    pub candidate: String,
    pub cost_usd_per_hour: f64,
    pub risk_adjusted_usd_per_hour: f64,
    pub ttft_p99_ms: f64,
    pub tpot_p99_ms: f64,
    pub e2e_latency_p99_ms: f64,
    pub recommended: bool,
}

/// An instance-type configuration the search could not use, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub instance_type: String,
    pub tensor_parallel: u32,
    pub precision: String,
    pub reason: String,
}

/// How much was searched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchStats {
    pub instance_types: u32,
    pub configurations: u32,
    pub feasible_configurations: u32,
    pub candidates: u32,
}

/// The answer: the recommended plan, the candidates, the front and the reasoning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub plan: Plan,
    /// Recommended first, then by risk-adjusted cost.
    pub candidates: Vec<Candidate>,
    /// Ordered by cost, increasing; latency decreasing. With the closed loop, only candidates whose
    /// simulated day passes, at what the day cost.
    pub front: Vec<FrontPoint>,
    pub classes: Vec<RequestClass>,
    /// Why the recommendation won, in sentences.
    pub explanation: Vec<String>,
    pub slo_checks: Vec<SloCheck>,
    pub rejected: Vec<Rejected>,
    pub stats: SearchStats,
    /// Whether the recommendation meets every SLO over its simulated day on every seed (`None` when
    /// the closed loop was off). `false`: no candidate checked passed; the cheapest static one is
    /// returned and the answer is a failure.
    pub meets_slos_over_day: Option<bool>,
    /// The prices the costs were computed with (the plan's overlay, the built-in snapshot).
    pub prices: catalog::PricesUsed,
}

impl OptimizeInput {
    /// The price of an instance-hour in the input's region, from the base plan's prices (its
    /// overlay first).
    pub fn price(&self, instance_type: &str, capacity: CapacityType) -> Option<catalog::Price<'_>> {
        self.base_plan.prices().price(instance_type, &self.region, capacity)
    }

    /// Takes the model from the plan's first deployment and the traffic and SLOs from its workload.
    /// A prompt distribution whose p90 is at least twice its mean is treated as a blend of short and
    /// long requests (two classes matching the mean); otherwise one class.
    pub fn from_plan(plan: &Plan) -> Result<OptimizeInput, OptimizeError> {
        let Some(deployment) = plan.spec.deployments.first() else {
            return Err(OptimizeError::new(
                "spec.deployments",
                "name the model to serve: add one deployment (its model is used; the rest is searched)",
            ));
        };
        let Some(model) = catalog::model(&deployment.model) else {
            return Err(OptimizeError::new(
                "spec.deployments[0].model",
                format!("{:?} is not in the model catalog", deployment.model),
            ));
        };
        let w = &plan.spec.workload;
        let rate = &w.requests_per_second;
        if !(rate.peak.is_finite() && rate.peak > 0.0) {
            return Err(OptimizeError::new("spec.workload.requestsPerSecond.peak", "give a peak above 0 requests/s"));
        }
        if !(rate.baseline.is_finite() && rate.baseline >= 0.0) {
            return Err(OptimizeError::new("spec.workload.requestsPerSecond.baseline", "give a baseline of 0 or more"));
        }
        let slos = plan_slos(&w.slos)?;
        let input_mean = positive_tokens(w.input_tokens.mean, 512.0);
        let output_mean = positive_tokens(w.output_tokens.mean, 256.0);
        let classes = derive_classes(input_mean, w.input_tokens.p90, output_mean);
        let deployment_name: String = deployment.name.chars().take(34).collect();
        Ok(OptimizeInput {
            model_name: deployment.model.clone(),
            model: model.clone(),
            precision: crate::plan::precision_of(&deployment.precision),
            deployment_name: deployment_name.trim_end_matches('-').to_string(),
            region: plan.spec.region.clone(),
            baseline_requests_per_s: rate.baseline.min(rate.peak),
            peak_requests_per_s: rate.peak,
            classes,
            slos,
            base_plan: plan.clone(),
        })
    }
}

fn positive_tokens(value: f64, default: f64) -> f64 {
    if value.is_finite() && value >= 1.0 {
        value
    } else {
        default
    }
}

/// Plan SLOs (percentile 95) as performance-model SLOs (percentile 0.95).
pub fn plan_slos(slos: &[plan::Slo]) -> Result<Vec<perf::Slo>, OptimizeError> {
    slos.iter()
        .enumerate()
        .map(|(i, s)| {
            if !(s.percentile > 0.0 && s.percentile < 100.0 && s.limit_ms.is_finite() && s.limit_ms > 0.0) {
                return Err(OptimizeError::new(&format!("spec.workload.slos[{i}]"), "needs a percentile and a limit"));
            }
            let metric = match s.metric {
                plan::SloMetric::Ttft => perf::SloMetric::TtftMs,
                plan::SloMetric::Tpot => perf::SloMetric::TpotMs,
                plan::SloMetric::E2e => perf::SloMetric::E2eLatencyMs,
            };
            Ok(perf::Slo { metric, percentile: s.percentile / 100.0, limit_ms: s.limit_ms })
        })
        .collect()
}

/// One class, or a short/long blend: a two-point mixture with the long class at the p90 and the mean
/// preserved.
fn derive_classes(input_mean: f64, input_p90: Option<f64>, output_mean: f64) -> Vec<RequestClass> {
    let output_tokens = output_mean.round() as u32;
    let one = || {
        vec![RequestClass {
            name: "all".to_string(),
            share: 1.0,
            input_tokens: input_mean.round() as u32,
            output_tokens,
        }]
    };
    let Some(long) = input_p90.filter(|p| p.is_finite() && *p >= 2.0 * input_mean) else { return one() };
    // Two points: share f at `long`, 1 - f at `short`, with f·long + (1 - f)·short = mean.
    let mut long_share = 0.2;
    let mut short = (input_mean - long_share * long) / (1.0 - long_share);
    if short < 0.25 * input_mean {
        short = 0.25 * input_mean;
        long_share = (input_mean - short) / (long - short);
    }
    if !(long_share > 0.0 && long_share < 1.0 && short >= 1.0) {
        return one();
    }
    vec![
        RequestClass {
            name: "short".to_string(),
            share: 1.0 - long_share,
            input_tokens: short.round() as u32,
            output_tokens,
        },
        RequestClass { name: "long".to_string(), share: long_share, input_tokens: long.round() as u32, output_tokens },
    ]
}

/// Searches and builds the recommended plan.
pub fn recommend(input: &OptimizeInput, config: &OptimizeConfig) -> Result<Recommendation, OptimizeError> {
    let mut recommender = Recommender::start(input.clone(), config.clone())?;
    while recommender.step() {}
    recommender.finish()
}

/// A recommendation in steps, for a shell that keeps a page responsive: `start` runs the static
/// search, each `step` judges one candidate over its simulated day, `finish` ranks and writes the plan.
pub struct Recommender {
    input: OptimizeInput,
    config: OptimizeConfig,
    found: search::Found,
    day: Option<closed_loop::Loop>,
}

impl Recommender {
    /// Checks the input and runs the static search.
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must fail the checks below
    pub fn start(input: OptimizeInput, config: OptimizeConfig) -> Result<Recommender, OptimizeError> {
        if input.classes.is_empty() {
            return Err(OptimizeError::new("classes", "give at least one request class"));
        }
        let share_sum: f64 = input.classes.iter().map(|c| c.share).sum();
        // Negated comparisons on purpose: NaN shares fail them.
        if !(share_sum.is_finite() && share_sum > 0.0) || input.classes.iter().any(|c| !(c.share >= 0.0)) {
            return Err(OptimizeError::new("classes", "class shares must be non-negative and sum above 0"));
        }
        if !(input.peak_requests_per_s.is_finite() && input.peak_requests_per_s > 0.0) {
            return Err(OptimizeError::new("peak_requests_per_s", "must be above 0"));
        }
        if config.utilization_targets.iter().any(|u| !(*u > 0.0 && *u <= 1.0)) || config.utilization_targets.is_empty()
        {
            return Err(OptimizeError::new("utilization_targets", "each target must be in (0, 1]"));
        }
        let found = search::search(&input, &config)?;
        let day = config.day.as_ref().map(|_| closed_loop::Loop::new(&found.candidates));
        Ok(Recommender { input, config, found, day })
    }

    /// Judges the next candidate over its day; false when the loop is done (or off).
    pub fn step(&mut self) -> bool {
        match (&mut self.day, &self.config.day) {
            (Some(l), Some(day)) => l.step(&self.input, day, &mut self.found.candidates),
            _ => false,
        }
    }

    /// Candidates considered so far, of all (for a progress bar).
    pub fn progress(&self) -> (usize, usize) {
        self.day.as_ref().map_or((0, 0), closed_loop::Loop::progress)
    }

    /// Ranks by the days, writes and checks the recommended plan.
    pub fn finish(self) -> Result<Recommendation, OptimizeError> {
        let Recommender { input, config, mut found, day } = self;
        let mut meets_slos_over_day = None;
        if let (Some(l), Some(day)) = (day, &config.day) {
            let winner = l.finish(&input, day, &mut found.candidates);
            meets_slos_over_day = Some(winner.is_some());
            rerank(&mut found, winner);
        }
        let plan = emit::build_plan(&input, &found.candidates[0]);
        // Whatever Tokenfleet writes, it reads back: the recommended plan passes the same validation as
        // a plan a user writes.
        if let Some(e) = crate::plan::validate(&plan).into_iter().next() {
            return Err(OptimizeError::new("plan", format!("the recommended plan would not be valid: {e}")));
        }
        let slo_checks = slo_check(&plan, &input, &found.candidates[0].assignments);
        let mut recommendation = Recommendation {
            plan,
            candidates: found.candidates,
            front: found.front,
            classes: input.classes.clone(),
            explanation: Vec::new(),
            slo_checks,
            rejected: found.rejected,
            stats: found.stats,
            meets_slos_over_day,
            prices: input.base_plan.prices().used(&input.region),
        };
        recommendation.explanation = explain::explanation(&input, &recommendation);
        Ok(recommendation)
    }
}

/// After the closed loop: the winner first (rank 1, recommended), then the others that passed by
/// simulated cost, then the rest in their static order; verdicts say what the day decided.
fn rerank(found: &mut search::Found, winner: Option<usize>) {
    let candidates = &mut found.candidates;
    let Some(w) = winner else {
        for c in candidates.iter_mut().filter(|c| c.simulated.is_some()) {
            c.verdict = format!("Fails its simulated day: {}", day_failure(c));
        }
        return;
    };
    let key = |c: &Candidate| match &c.simulated {
        Some(d) if d.passes() => (0, d.risk_adjusted_usd_per_hour),
        _ => (1, c.risk_adjusted_usd_per_hour),
    };
    let mut idx: Vec<usize> = (0..candidates.len()).collect();
    idx.sort_by(|a, b| {
        (*b == w).cmp(&(*a == w)).then_with(|| {
            let (ka, kb) = (key(&candidates[*a]), key(&candidates[*b]));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(candidates[*a].rank.cmp(&candidates[*b].rank))
        })
    });
    let mut slots: Vec<Option<Candidate>> = std::mem::take(candidates).into_iter().map(Some).collect();
    *candidates = idx.iter().filter_map(|i| slots[*i].take()).collect();
    let best = candidates[0].simulated.as_ref().map_or(0.0, |d| d.risk_adjusted_usd_per_hour);
    for (i, c) in candidates.iter_mut().enumerate() {
        c.rank = i as u32 + 1;
        c.recommended = i == 0;
        c.verdict = match &c.simulated {
            _ if i == 0 => format!(
                "Recommended: the lowest simulated cost ({best:.2} USD/hour over its day, spot risk included) that \
                 meets every SLO on every seed of its simulated day without flapping"
            ),
            Some(d) if d.passes() => format!(
                "Passes its simulated day at {:.2} USD/hour (+{:.2} over the recommendation)",
                d.risk_adjusted_usd_per_hour,
                d.risk_adjusted_usd_per_hour - best
            ),
            Some(_) => format!("Lost: fails its simulated day: {}", day_failure(c)),
            None if c.baseline_usd_per_hour + c.spot_risk_usd_per_hour >= best => format!(
                "Lost: not simulated; at baseline alone it costs {:.2} USD/hour, no less than the recommendation's day",
                c.baseline_usd_per_hour + c.spot_risk_usd_per_hour
            ),
            None => format!(
                "Not simulated: off the front and beyond the closed loop's budget of candidates ({:.2} USD/hour static)",
                c.risk_adjusted_usd_per_hour
            ),
        };
    }
    // The front after the day: cost is what the day cost (spot risk included), and only candidates
    // whose day passed are on it; latency stays the static worst-class TTFT p99.
    let mut front: Vec<FrontPoint> = Vec::new();
    let mut best_latency = f64::INFINITY;
    for c in candidates.iter_mut() {
        c.on_front = false;
        let Some(d) = c.simulated.as_ref().filter(|d| d.passes()) else { continue };
        if c.ttft_p99_ms < best_latency {
            best_latency = c.ttft_p99_ms;
            c.on_front = true;
            front.push(FrontPoint {
                candidate: c.name.clone(),
                cost_usd_per_hour: (d.cost_usd_per_day / 24.0 * 1e4).round() / 1e4,
                risk_adjusted_usd_per_hour: d.risk_adjusted_usd_per_hour,
                ttft_p99_ms: c.ttft_p99_ms,
                tpot_p99_ms: c.tpot_p99_ms,
                e2e_latency_p99_ms: c.e2e_latency_p99_ms,
                recommended: c.recommended,
            });
        }
    }
    found.front = front;
}

/// What failed in a candidate's day, in a few words.
fn day_failure(c: &Candidate) -> String {
    let Some(d) = &c.simulated else { return String::new() };
    let mut parts: Vec<String> = d.slo_attainment.iter().map(|(k, v)| format!("{k} {:.1} %", v * 100.0)).collect();
    if d.requests_dropped > 0 {
        parts.push(format!("{} requests dropped", d.requests_dropped));
    }
    if d.autoscaler_reversals_per_day > closed_loop::STABLE_REVERSALS_PER_DAY {
        parts.push(format!(
            "{:.0} autoscaler reversals a day (at most {STABLE_REVERSALS_PER_DAY:.0} accepted)",
            d.autoscaler_reversals_per_day
        ));
    }
    format!(
        "{} (seed {}, {} autoscaling settings tried)",
        parts.join(", "),
        d.seeds.last().copied().unwrap_or(0),
        d.autoscaling_tried
    )
}

/// The complete Plan of any candidate (what the app applies when the user picks a point of the front).
/// Check it with `slo_check(&plan, input, &candidate.assignments)`.
pub fn candidate_plan(input: &OptimizeInput, candidate: &Candidate) -> Plan {
    emit::build_plan(input, candidate)
}

/// The plan of a candidate from a recommendation made for `plan` (the app's "apply this point of the
/// front": one call, one new Plan, one undoable action).
pub fn apply_candidate(plan: &Plan, candidate: &Candidate) -> Result<Plan, OptimizeError> {
    Ok(candidate_plan(&OptimizeInput::from_plan(plan)?, candidate))
}

/// `OptimizeInput::from_plan` then `recommend` with the default configuration.
pub fn recommend_plan(plan: &Plan) -> Result<Recommendation, OptimizeError> {
    recommend(&OptimizeInput::from_plan(plan)?, &OptimizeConfig::default())
}

#[cfg(test)]
mod tests;
