//! The simulator's own input: plain data, complete on its own, independent of the Plan document.
//! `plan_adapter::from_plan` builds one from a Plan.

use serde::{Deserialize, Serialize};

use super::error::SimError;
use super::hpa::{HpaSpec, KedaSpec};
use super::params::{NodeOs, PodStart, Timing, WeightsLoad};
use super::serving::ServiceProfile;
use super::traffic::Traffic;
use crate::catalog::CapacityType;

/// The highest request rate a scenario may ask for (keeps every count far inside 64 bits).
pub const MAX_REQUESTS_PER_S: f64 = 1e7;

/// Everything one simulation needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub traffic: Traffic,
    pub deployments: Vec<SimDeployment>,
    /// NodePools, in any order (Karpenter's order is by weight, then name).
    pub pools: Vec<SimPool>,
    pub slos: Vec<SloTarget>,
    pub timing: Timing,
    /// Windows `[start_s, end_s)` during which the metrics source is down (KEDA fallback, HPA holds).
    pub metrics_outages: Vec<(f64, f64)>,
    /// Which prices the instance types' costs come from (a plan's overlay, the built-in snapshot);
    /// copied into the summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<String>,
    /// Which controller launches and removes nodes: Karpenter (the default) or Cluster Autoscaler over
    /// node groups.
    #[serde(default)]
    pub node_autoscaler: NodeAutoscaler,
    /// Savings Plans and Reserved Instances, resolved to rates (`Plan::commitment_rates`): they bill
    /// the cluster's usage (`catalog::billing`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commitments: Vec<crate::catalog::billing::Commitment>,
}

/// The node layer's controller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeAutoscaler {
    /// Karpenter: NodePools, batching, any allowed instance type per launch, consolidation.
    #[default]
    Karpenter,
    /// Cluster Autoscaler: node groups (Auto Scaling groups) of one template each, a scan loop, an
    /// expander, scale-down of unneeded nodes.
    ClusterAutoscaler(CaSpec),
}

impl NodeAutoscaler {
    /// The name the CLI and the output use: `karpenter` or `cluster-autoscaler`.
    pub fn name(&self) -> &'static str {
        match self {
            NodeAutoscaler::Karpenter => "karpenter",
            NodeAutoscaler::ClusterAutoscaler(_) => "cluster-autoscaler",
        }
    }
}

/// Cluster Autoscaler's expanders (`--expander`), applied as a chain: each keeps its best options,
/// the next breaks ties, a random pick ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expander {
    Random,
    MostPods,
    LeastWaste,
    LeastNodes,
    Price,
    Priority,
}

impl Expander {
    pub fn parse(name: &str) -> Option<Expander> {
        Some(match name.trim() {
            "random" => Expander::Random,
            "most-pods" => Expander::MostPods,
            "least-waste" => Expander::LeastWaste,
            "least-nodes" => Expander::LeastNodes,
            "price" => Expander::Price,
            "priority" => Expander::Priority,
            _ => return None,
        })
    }
}

/// Cluster Autoscaler's settings (flags) and node groups, with every delay in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaSpec {
    /// `--scan-interval`.
    pub scan_interval_s: f64,
    /// `--expander`, in chain order.
    pub expanders: Vec<Expander>,
    /// `--scale-down-enabled`.
    pub scale_down_enabled: bool,
    /// `--scale-down-delay-after-add`.
    pub scale_down_delay_after_add_s: f64,
    /// `--scale-down-delay-after-delete`.
    pub scale_down_delay_after_delete_s: f64,
    /// `--scale-down-unneeded-time`.
    pub scale_down_unneeded_time_s: f64,
    /// `--scale-down-utilization-threshold` (and `--scale-down-gpu-utilization-threshold`, which it
    /// stands for on accelerator nodes: requested devices over allocatable).
    pub scale_down_utilization_threshold: f64,
    /// `--max-node-provision-time`: a node not registered by then is given up.
    pub max_node_provision_time_s: f64,
    /// `--max-nodes-total` (`None`: no limit).
    pub max_nodes_total: Option<u32>,
    /// `--max-empty-bulk-delete`.
    pub max_empty_bulk_delete: u32,
    /// `--initial-node-group-backoff-duration`: a group whose node failed to start is skipped this long.
    pub node_group_backoff_s: f64,
    /// From the Auto Scaling group's new desired capacity to EC2's launch request.
    pub asg_launch_s: f64,
    pub node_groups: Vec<SimNodeGroup>,
}

/// One node group: an Auto Scaling group of one template (a pool's instance type and capacity type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimNodeGroup {
    pub name: String,
    /// The pool (by name) whose OS, labels and taints the group's nodes carry.
    pub pool: String,
    /// The template's instance type (one of the pool's).
    pub instance_type: String,
    pub capacity: CapacityType,
    pub min_size: u32,
    pub max_size: u32,
    /// Nodes at the start of the run.
    pub desired_capacity: u32,
    /// The priority expander's priority (higher first).
    pub priority: i32,
    /// Written in the plan (`plan`) or derived from a NodePool (`derived`).
    pub source: String,
}

/// How a deployment's replica count is driven.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Autoscaler {
    Fixed { replicas: u32 },
    Hpa(HpaSpec),
    Keda(KedaSpec),
}

impl Autoscaler {
    pub fn min_replicas(&self) -> u32 {
        match self {
            Autoscaler::Fixed { replicas } => *replicas,
            Autoscaler::Hpa(h) => h.min_replicas.max(1),
            Autoscaler::Keda(k) => k.min_replica_count,
        }
    }

    pub fn max_replicas(&self) -> u32 {
        match self {
            Autoscaler::Fixed { replicas } => *replicas,
            Autoscaler::Hpa(h) => h.max_replicas,
            Autoscaler::Keda(k) => k.max_replica_count,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimDeployment {
    pub name: String,
    /// This deployment's fraction of the traffic (shares need not sum to 1; each is used as given).
    pub traffic_share: f64,
    /// For the second stage of a pipeline (the decode fleet of a disaggregated deployment): the
    /// deployment whose served requests arrive here instead of traffic. It must come earlier in the
    /// list. Requests are counted once: arrivals at the first stage, completions at the last.
    #[serde(default)]
    pub upstream: Option<String>,
    /// Accelerator devices one replica requests (GPUs, or Neuron devices).
    pub devices_per_replica: u32,
    pub autoscaler: Autoscaler,
    /// Replicas running (warm) at time 0; clamped to the autoscaler's bounds.
    pub initial_replicas: u32,
    /// NodePools the pods may use (taints, tolerations and selectors already resolved); empty = all.
    pub allowed_pools: Vec<String>,
    /// Container image reference; nodes cache images by this name.
    pub image: String,
    pub image_gib: f64,
    pub weights_gib: f64,
    pub service: ServiceProfile,
    /// The model; fleets of the same model share a node's weights cache.
    #[serde(default)]
    pub model: String,
    /// How the weights reach the device.
    #[serde(default)]
    pub weights: WeightsLoad,
    /// Downloaded weights stay on the node: later pods there read them locally.
    #[serde(default)]
    pub weights_node_cache: bool,
    /// Neuron without cached compiled artifacts: every pod compiles on its start.
    #[serde(default)]
    pub neuron_compile: bool,
    /// Warm capacity kept for this deployment's bursts (none by default).
    #[serde(default)]
    pub warm: Option<SimWarm>,
}

/// Warm capacity of one deployment: `replicas` chunks of one replica's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimWarm {
    pub kind: WarmKind,
    pub replicas: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarmKind {
    /// A CapacityBuffer: virtual pods in Karpenter's scheduling keep free devices on allowed nodes,
    /// refilled every buffer reconcile; nodes holding them are not consolidated.
    CapacityBuffer,
    /// Low-priority pause pods that serving pods preempt; they pre-pull the serving image.
    PlaceholderPods,
}

/// An instance type a NodePool allows, with its prices in the plan's region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimInstanceType {
    pub name: String,
    pub family: String,
    pub devices: u32,
    pub vcpu: u32,
    pub on_demand_usd_per_hour: Option<f64>,
    pub spot_usd_per_hour: Option<f64>,
}

impl SimInstanceType {
    pub fn price(&self, capacity: CapacityType) -> Option<f64> {
        match capacity {
            CapacityType::Spot => self.spot_usd_per_hour,
            CapacityType::OnDemand | CapacityType::Reserved => self.on_demand_usd_per_hour,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsolidationPolicy {
    WhenEmpty,
    /// Also `Balanced` (v1.14), simulated as this.
    WhenEmptyOrUnderutilized,
}

/// `spec.disruption.budgets[].nodes`: a percentage (rounded up) or a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisruptionBudget {
    Percent(u32),
    Nodes(u32),
}

impl DisruptionBudget {
    pub fn allowed(self, nodes: u32) -> u32 {
        match self {
            DisruptionBudget::Percent(p) => (nodes as u64 * p as u64).div_ceil(100) as u32,
            DisruptionBudget::Nodes(n) => n,
        }
    }
}

/// Why Karpenter disrupts a node (`budgets[].reasons`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisruptionReason {
    Empty,
    Underutilized,
    Drifted,
}

/// One disruption budget: at most `nodes` disrupting at once, while its schedule's window is open,
/// for the listed reasons (all when empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetRule {
    pub nodes: DisruptionBudget,
    /// A cron schedule (UTC; time 0 is Monday 2024-01-01) and how long each window stays open.
    pub schedule: Option<(String, f64)>,
    pub reasons: Vec<DisruptionReason>,
}

impl BudgetRule {
    pub fn always(nodes: DisruptionBudget) -> BudgetRule {
        BudgetRule { nodes, schedule: None, reasons: vec![] }
    }
}

/// Capacity reserved ahead (ODCR or Capacity Block): nodes present and paid for from the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub instance_type: String,
    pub count: u32,
    pub usd_per_hour: f64,
    /// When the reservation ends, seconds into the run (the run's day is the day it ends). A Capacity
    /// Block's nodes are drained [`CAPACITY_BLOCK_DRAIN_BEFORE_END_S`] before and gone
    /// [`CAPACITY_BLOCK_TERMINATE_BEFORE_END_S`] before; an ODCR's nodes run on at the on-demand price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at_s: Option<f64>,
    #[serde(default)]
    pub capacity_block: bool,
}

/// Karpenter drains a Capacity Block's nodes 40 minutes before the block ends, when EC2 sends its
/// warning (aws/karpenter-provider-aws designs/capacity-block-support.md, "Interruption").
pub const CAPACITY_BLOCK_DRAIN_BEFORE_END_S: f64 = 2400.0;
/// EC2 begins terminating a Capacity Block's instances 30 minutes before its end (Amazon EC2 User
/// Guide, Capacity Blocks; docs/cold-starts.md section 8).
pub const CAPACITY_BLOCK_TERMINATE_BEFORE_END_S: f64 = 1800.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimPool {
    pub name: String,
    pub weight: u32,
    pub os: NodeOs,
    /// `spot` and/or `on-demand` (reserved capacity comes from `reservations`).
    pub capacity_types: Vec<CapacityType>,
    pub instance_types: Vec<SimInstanceType>,
    /// `spec.limits` on accelerator devices (`nvidia.com/gpu`, `aws.amazon.com/neuron`).
    pub limit_devices: Option<u32>,
    /// `spec.limits.cpu`.
    pub limit_cpu: Option<u32>,
    pub consolidation: ConsolidationPolicy,
    /// `consolidateAfter`; `None` is `Never` (no consolidation).
    pub consolidate_after_s: Option<f64>,
    /// `spec.disruption.budgets`; empty means Karpenter's default, `nodes: 10%`.
    pub budgets: Vec<BudgetRule>,
    pub reservations: Vec<Reservation>,
    /// Images (as deployments name them) on the node class's data-volume snapshot.
    #[serde(default)]
    pub cached_images: Vec<String>,
    /// The node class pulls with SOCI parallel pull and unpack.
    #[serde(default)]
    pub parallel_pull: bool,
    /// A static NodePool (`spec.replicas`): this many nodes kept running, none launched for pending
    /// pods, never consolidated.
    #[serde(default)]
    pub static_nodes: Option<u32>,
    /// `spec.limits.nodes`.
    #[serde(default)]
    pub limit_nodes: Option<u32>,
}

impl SimPool {
    /// How a deployment's pod starts on a new node of this pool.
    pub fn pod_start(&self, d: &SimDeployment) -> PodStart {
        PodStart {
            os: self.os,
            image_gib: d.image_gib,
            weights_gib: d.weights_gib,
            image_cached: self.cached_images.contains(&d.image),
            parallel_pull: self.parallel_pull,
            weights: d.weights,
            neuron_compile: d.neuron_compile,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SloMetric {
    Ttft,
    Tpot,
    E2e,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SloTarget {
    pub metric: SloMetric,
    pub percentile: f64,
    pub limit_ms: f64,
}

impl SloTarget {
    /// The key in `summary.slo_attainment`, e.g. `ttft_p95_le_1000ms`.
    pub fn key(&self) -> String {
        let metric = match self.metric {
            SloMetric::Ttft => "ttft",
            SloMetric::Tpot => "tpot",
            SloMetric::E2e => "e2e",
        };
        format!("{metric}_p{}_le_{}ms", fmt_number(self.percentile), fmt_number(self.limit_ms))
    }
}

fn fmt_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// How long and how finely to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimOptions {
    pub duration_s: f64,
    pub step_s: f64,
    pub series_step_s: f64,
    pub seed: u64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions { duration_s: 86_400.0, step_s: 1.0, series_step_s: 60.0, seed: 1 }
    }
}

impl SimOptions {
    pub fn validate(&self) -> Result<(), SimError> {
        if !(self.step_s.is_finite() && self.step_s >= 0.01) {
            return Err(SimError::invalid("--step", format!("{} s is too small; use at least 10ms", self.step_s)));
        }
        if !(self.duration_s.is_finite() && self.duration_s >= self.step_s) {
            return Err(SimError::invalid("--duration", format!("{} s must be at least one step", self.duration_s)));
        }
        if self.duration_s / self.step_s > 50_000_000.0 {
            return Err(SimError::invalid("--duration", "more than 50 million steps; use a larger --step"));
        }
        if !(self.series_step_s.is_finite() && self.series_step_s >= self.step_s) {
            return Err(SimError::invalid(
                "--series-step",
                format!("{} s must be at least --step ({} s)", self.series_step_s, self.step_s),
            ));
        }
        if self.duration_s / self.series_step_s > 2_000_000.0 {
            return Err(SimError::invalid("--series-step", "more than 2 million samples; use a larger --series-step"));
        }
        Ok(())
    }
}

impl Scenario {
    /// Checks the scenario; errors name the field.
    pub fn validate(&self) -> Result<(), SimError> {
        self.timing.validate()?;
        if self.deployments.is_empty() {
            return Err(SimError::invalid("deployments", "the scenario has no deployment to simulate"));
        }
        if self.deployments.len() > 1000 || self.pools.len() > 1000 {
            return Err(SimError::invalid("deployments/pools", "more than 1000 entries"));
        }
        for (i, d) in self.deployments.iter().enumerate() {
            let at = |f: &str| format!("deployments[{i}] ({}).{f}", d.name);
            if d.devices_per_replica == 0 {
                return Err(SimError::invalid(at("devices_per_replica"), "must be at least 1"));
            }
            if !(d.traffic_share.is_finite() && d.traffic_share >= 0.0) {
                return Err(SimError::invalid(
                    at("traffic_share"),
                    format!("{} must be a non-negative fraction", d.traffic_share),
                ));
            }
            if d.autoscaler.max_replicas() < d.autoscaler.min_replicas() {
                return Err(SimError::invalid(at("autoscaler"), "max replicas is below min replicas"));
            }
            if d.autoscaler.max_replicas() > 10_000 {
                return Err(SimError::invalid(at("autoscaler"), "more than 10000 replicas"));
            }
            for (f, v) in [("image_gib", d.image_gib), ("weights_gib", d.weights_gib)] {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(SimError::invalid(at(f), format!("{v} must be a non-negative number")));
                }
            }
            let s = &d.service;
            if !(s.capacity_requests_per_s.is_finite() && s.capacity_requests_per_s >= 0.0) {
                return Err(SimError::invalid(at("service.capacity_requests_per_s"), "capacity must be finite"));
            }
            if s.curve.len() < 2 {
                return Err(SimError::invalid(at("service.curve"), "needs at least two latency points"));
            }
            if s.curve.iter().any(|p| {
                ![p.ttft_p50_ms, p.ttft_p95_ms, p.tpot_p50_ms, p.tpot_p95_ms].iter().all(|v| v.is_finite() && *v >= 0.0)
            }) {
                return Err(SimError::invalid(at("service.curve"), "latency must be finite and non-negative"));
            }
            if let Some(up) = &d.upstream {
                if !self.deployments[..i].iter().any(|e| &e.name == up) {
                    return Err(SimError::invalid(
                        at("upstream"),
                        format!("{up:?} is not a deployment listed before this one"),
                    ));
                }
            }
            for name in &d.allowed_pools {
                if !self.pools.iter().any(|p| &p.name == name) {
                    return Err(SimError::invalid(at("allowed_pools"), format!("no NodePool named {name:?}")));
                }
            }
        }
        for (i, c) in self.commitments.iter().enumerate() {
            let finite = |v: f64| v.is_finite() && (0.0..=1e9).contains(&v);
            if !finite(c.fee_usd_per_hour) || c.rates.iter().any(|(_, r)| !finite(*r)) {
                return Err(SimError::invalid(format!("commitments[{i}] ({})", c.name), "fee or rate out of range"));
            }
        }
        for (i, p) in self.pools.iter().enumerate() {
            let at = |f: &str| format!("pools[{i}] ({}).{f}", p.name);
            for r in &p.reservations {
                if !p.instance_types.iter().any(|t| t.name == r.instance_type) {
                    return Err(SimError::invalid(
                        at("reservations"),
                        format!("{} is not among the pool's instance types", r.instance_type),
                    ));
                }
                if r.count > 10_000 || !(r.usd_per_hour.is_finite() && r.usd_per_hour >= 0.0) {
                    return Err(SimError::invalid(at("reservations"), "count or price out of range"));
                }
            }
            for t in &p.instance_types {
                for v in [t.on_demand_usd_per_hour, t.spot_usd_per_hour].into_iter().flatten() {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(SimError::invalid(at("instance_types"), format!("price of {} is invalid", t.name)));
                    }
                }
            }
            for (b, rule) in p.budgets.iter().enumerate() {
                if let Some((cron, duration_s)) = &rule.schedule {
                    super::cron::Cron::parse(cron)
                        .map_err(|e| SimError::at(at(&format!("budgets[{b}].schedule")), e))?;
                    if !(duration_s.is_finite() && *duration_s >= 0.0) {
                        return Err(SimError::invalid(
                            at(&format!("budgets[{b}].duration")),
                            format!("{duration_s} is invalid"),
                        ));
                    }
                }
            }
            if let Some(after) = p.consolidate_after_s {
                if !(after.is_finite() && after >= 0.0) {
                    return Err(SimError::invalid(at("consolidate_after_s"), format!("{after} is invalid")));
                }
            }
        }
        for (i, s) in self.slos.iter().enumerate() {
            if !(s.limit_ms.is_finite() && s.limit_ms > 0.0 && s.percentile > 0.0 && s.percentile <= 100.0) {
                return Err(SimError::invalid(
                    format!("slos[{i}]"),
                    "percentile must be in (0, 100] and limit_ms positive",
                ));
            }
        }
        match &self.traffic.source {
            super::traffic::TrafficSource::Profile { params, .. } => {
                let p = params;
                for (f, v) in [
                    ("baseline_requests_per_s", p.baseline_requests_per_s),
                    ("peak_requests_per_s", p.peak_requests_per_s),
                    ("spike_factor", p.spike_factor),
                    ("spike_ceiling_x_peak", p.spike_ceiling_x_peak),
                    ("spike_duration_s", p.spike_duration_s),
                    ("spike_ramp_s", p.spike_ramp_s),
                    ("weekend_factor", p.weekend_factor),
                    ("peak_hour", p.peak_hour),
                ] {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(SimError::invalid(
                            format!("traffic.{f}"),
                            format!("{v} must be a finite, non-negative number"),
                        ));
                    }
                }
                if p.spikes_per_day > 1000 {
                    return Err(SimError::invalid("traffic.spikes_per_day", "at most 1000"));
                }
                if p.peak_requests_per_s.max(p.baseline_requests_per_s) * p.spike_factor.max(1.0) > MAX_REQUESTS_PER_S {
                    return Err(SimError::invalid(
                        "traffic",
                        format!("more than {MAX_REQUESTS_PER_S} requests/s at the peak of a spike"),
                    ));
                }
            }
            super::traffic::TrafficSource::Trace { rows } => {
                if rows.is_empty() {
                    return Err(SimError::invalid("traffic.trace", "no rows"));
                }
                for (i, r) in rows.iter().enumerate() {
                    let tokens = [r.input_tokens, r.output_tokens];
                    if !(r.t_s.is_finite() && r.requests_per_s.is_finite() && r.requests_per_s >= 0.0)
                        || r.requests_per_s > MAX_REQUESTS_PER_S
                        || tokens.iter().flatten().any(|t| !(t.is_finite() && *t >= 0.0))
                    {
                        return Err(SimError::invalid(
                            format!("traffic.trace[{i}]"),
                            format!("values must be finite, non-negative and at most {MAX_REQUESTS_PER_S} requests/s"),
                        ));
                    }
                }
            }
        }
        for (f, v) in
            [("traffic.input_tokens", self.traffic.input_tokens), ("traffic.output_tokens", self.traffic.output_tokens)]
        {
            if !(v.is_finite() && v > 0.0) {
                return Err(SimError::invalid(f, format!("{v} must be a positive number")));
            }
        }
        if let NodeAutoscaler::ClusterAutoscaler(ca) = &self.node_autoscaler {
            ca.validate(&self.pools)?;
        }
        Ok(())
    }
}

impl CaSpec {
    /// Cluster Autoscaler's defaults (`params::cluster_autoscaler`, each with its source) over
    /// `node_groups`.
    pub fn with_defaults(node_groups: Vec<SimNodeGroup>) -> CaSpec {
        use super::params::cluster_autoscaler as d;
        CaSpec {
            scan_interval_s: d::SCAN_INTERVAL_S,
            expanders: vec![Expander::Random],
            scale_down_enabled: true,
            scale_down_delay_after_add_s: d::SCALE_DOWN_DELAY_AFTER_ADD_S,
            scale_down_delay_after_delete_s: d::SCAN_INTERVAL_S,
            scale_down_unneeded_time_s: d::SCALE_DOWN_UNNEEDED_TIME_S,
            scale_down_utilization_threshold: d::SCALE_DOWN_UTILIZATION_THRESHOLD,
            max_node_provision_time_s: d::MAX_NODE_PROVISION_TIME_S,
            max_nodes_total: None,
            max_empty_bulk_delete: d::MAX_EMPTY_BULK_DELETE,
            node_group_backoff_s: d::NODE_GROUP_BACKOFF_S,
            asg_launch_s: d::ASG_LAUNCH_S,
            node_groups,
        }
    }

    /// Checks the settings and that every node group stands on a pool and one of its instance types.
    pub fn validate(&self, pools: &[SimPool]) -> Result<(), SimError> {
        let at = |f: &str| format!("cluster_autoscaler.{f}");
        for (f, v) in [
            ("scan_interval_s", self.scan_interval_s),
            ("scale_down_delay_after_add_s", self.scale_down_delay_after_add_s),
            ("scale_down_delay_after_delete_s", self.scale_down_delay_after_delete_s),
            ("scale_down_unneeded_time_s", self.scale_down_unneeded_time_s),
            ("max_node_provision_time_s", self.max_node_provision_time_s),
            ("node_group_backoff_s", self.node_group_backoff_s),
            ("asg_launch_s", self.asg_launch_s),
        ] {
            if !(v.is_finite() && (0.0..=7.0 * 86_400.0).contains(&v)) {
                return Err(SimError::invalid(at(f), format!("{v} s is not between 0 and 7 days")));
            }
        }
        if self.scan_interval_s < 1.0 {
            return Err(SimError::invalid(at("scan_interval_s"), "shorter than 1 s"));
        }
        let t = self.scale_down_utilization_threshold;
        if !(t > 0.0 && t <= 1.0) {
            return Err(SimError::invalid(at("scale_down_utilization_threshold"), format!("{t} is not in (0, 1]")));
        }
        if self.node_groups.len() > 1000 {
            return Err(SimError::invalid(at("node_groups"), "more than 1000 node groups"));
        }
        for (i, g) in self.node_groups.iter().enumerate() {
            let at = |f: &str| format!("cluster_autoscaler.node_groups[{i}] ({}).{f}", g.name);
            let Some(pool) = pools.iter().find(|p| p.name == g.pool) else {
                return Err(SimError::invalid(at("pool"), format!("no pool named {:?}", g.pool)));
            };
            let Some(t) = pool.instance_types.iter().find(|t| t.name == g.instance_type) else {
                return Err(SimError::invalid(
                    at("instance_type"),
                    format!("{} is not among pool {}'s instance types", g.instance_type, pool.name),
                ));
            };
            if t.price(g.capacity).is_none() {
                return Err(SimError::invalid(
                    at("capacity"),
                    format!("{} has no {} price in the region", t.name, g.capacity.as_str()),
                ));
            }
            if g.min_size > g.max_size || g.desired_capacity < g.min_size || g.desired_capacity > g.max_size {
                return Err(SimError::invalid(
                    at("min_size"),
                    format!("need min {} <= desired {} <= max {}", g.min_size, g.desired_capacity, g.max_size),
                ));
            }
            if g.max_size > 10_000 {
                return Err(SimError::invalid(at("max_size"), "more than 10000 nodes"));
            }
        }
        Ok(())
    }
}
