//! The dual-layer autoscaling simulator: traffic over time through the pod autoscalers (HPA v2, KEDA)
//! and Karpenter's node layer, with cold starts, consolidation and spot interruptions, serving queues
//! per step, a per-step series and a summary.
//!
//! Plain data in ([`Scenario`], [`SimOptions`]), plain data out ([`Timeline`]). [`from_plan`] builds a
//! scenario from a Plan. Time-stepped at `step_s`; the node layer and the autoscalers act only at
//! their own event times, so a step costs a few table lookups per deployment. Deterministic: all
//! randomness comes from one seeded [`rng::Rng`].

mod cluster;
pub use crate::cron;
pub use crate::duration;
mod engine;
mod error;
mod events;
pub mod hpa;
mod output;
pub mod params;
pub mod plan_adapter;
pub mod rng;
mod scenario;
pub mod serving;
pub mod traffic;
pub mod verdict;

pub use cron::CronError;
pub use duration::{parse_duration_s, DurationError};
pub use engine::simulate;
pub use error::SimError;
pub use events::{series_events, DayEvent, MAX_DAY_EVENTS};
pub use output::{
    CaNodeGroupSummary, CaSummary, DeploymentSeries, Finding, LatencySummary, NodeAutoscalerComparison,
    NodeAutoscalerFigures, Parameter, PoolSeries, Series, Summary, Timeline,
};
pub use params::{NodeOs, PodStart, Timing, WeightsLoad};
pub use plan_adapter::{cluster_autoscaler_spec, from_plan, PlanInputs};
pub use scenario::{
    Autoscaler, BudgetRule, CaSpec, ConsolidationPolicy, DisruptionBudget, DisruptionReason, Expander, NodeAutoscaler,
    Reservation, Scenario, SimDeployment, SimInstanceType, SimNodeGroup, SimOptions, SimPool, SimWarm, SloMetric,
    SloTarget, WarmKind,
};
pub use serving::{Band, FirstOrderReplica, LatencyPoint, ReplicaPerformance, ServiceProfile};
pub use traffic::{parse_trace_csv, Profile, ProfileParams, TraceRow, Traffic, TrafficSource};
pub use verdict::{judge, judge_plan, DayCheck, DayOptions, Verdict};

/// Builds the scenario of a Plan and runs it: `from_plan` then `simulate`.
pub fn simulate_plan(
    plan: &crate::plan::Plan,
    inputs: &PlanInputs,
    options: &SimOptions,
) -> Result<Timeline, SimError> {
    simulate(&from_plan(plan, inputs)?, options)
}

/// Runs the same day and seed under Karpenter and under Cluster Autoscaler (`ca`): the Cluster
/// Autoscaler run's timeline, with both runs' figures side by side in `summary.comparison`.
pub fn compare_node_autoscalers(sc: &Scenario, ca: CaSpec, options: &SimOptions) -> Result<Timeline, SimError> {
    let mut karpenter = sc.clone();
    karpenter.node_autoscaler = NodeAutoscaler::Karpenter;
    let baseline = simulate(&karpenter, options)?;
    let mut with_ca = karpenter;
    with_ca.node_autoscaler = NodeAutoscaler::ClusterAutoscaler(ca);
    let mut timeline = simulate(&with_ca, options)?;
    timeline.summary.comparison = Some(NodeAutoscalerComparison {
        karpenter: NodeAutoscalerFigures::of(&baseline.summary),
        cluster_autoscaler: NodeAutoscalerFigures::of(&timeline.summary),
    });
    Ok(timeline)
}

#[cfg(test)]
mod agreement;
#[cfg(test)]
mod ca_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod warm_tests;
