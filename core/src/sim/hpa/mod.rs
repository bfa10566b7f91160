//! The pod layer: the HorizontalPodAutoscaler v2 algorithm as kube-controller-manager computes it,
//! and KEDA's ScaledObject loop on top of it.
//!
//! Sources: the Kubernetes documentation "Horizontal Pod Autoscaling" (algorithm details, stabilisation
//! window, scaling policies, default behaviour) and the HPA controller (`pkg/controller/podautoscaler`:
//! `replica_calculator.go` for the per-metric ratio with unready and missing pods, `horizontal.go` for
//! `stabilizeRecommendationWithBehaviors`, `calculateScaleUpLimitWithScalingRules`,
//! `calculateScaleDownLimitWithBehaviors` and `convertDesiredReplicasWithBehaviorRate`). KEDA: the
//! ScaledObject specification (`pollingInterval` 30 s, `cooldownPeriod` 300 s, activation, fallback).

use serde::{Deserialize, Serialize};

/// The HPA controller's sync period (`--horizontal-pod-autoscaler-sync-period`, default 15 s).
pub const HPA_SYNC_PERIOD_S: f64 = 15.0;
/// The HPA tolerance (`--horizontal-pod-autoscaler-tolerance`, default 0.1).
pub const HPA_TOLERANCE: f64 = 0.1;

/// A signal the performance model provides per pod (the vLLM metric it stands for in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Requests waiting per pod (`vllm:num_requests_waiting`).
    QueueDepth,
    /// Requests running per pod (`vllm:num_requests_running`).
    RunningRequests,
    /// KV-cache usage, a fraction 0–1 (`vllm:kv_cache_usage_perc`).
    KvCacheUsage,
    /// Time to first token, p95, milliseconds (`vllm:time_to_first_token_seconds`).
    TtftP95Ms,
    /// GPU utilisation, percent (DCGM `DCGM_FI_DEV_GPU_UTIL`).
    GpuUtilizationPercent,
    /// Requests per second arriving at the gateway (an ingress or Envoy metric); present even when the
    /// deployment has no pod, so it can scale from zero.
    RequestsPerSecond,
}

impl MetricKind {
    pub fn parse(name: &str) -> Option<MetricKind> {
        Some(match name {
            "queue_depth" | "queueDepth" | "vllm:num_requests_waiting" => MetricKind::QueueDepth,
            "running_requests" | "runningRequests" | "vllm:num_requests_running" => MetricKind::RunningRequests,
            "kv_cache_usage" | "kvCacheUsage" | "vllm:kv_cache_usage_perc" => MetricKind::KvCacheUsage,
            "ttft_p95_ms" | "ttftP95Ms" | "ttft" => MetricKind::TtftP95Ms,
            "gpu_utilization_percent" | "gpuUtilization" | "gpu" => MetricKind::GpuUtilizationPercent,
            "requests_per_second" | "requestsPerSecond" | "rps" => MetricKind::RequestsPerSecond,
            _ => return None,
        })
    }
}

/// How a metric is compared with its target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricTarget {
    /// A Pods metric (or Resource metric) averaged over ready pods: `target.averageValue`.
    AverageValue(f64),
    /// An Object or External metric compared as a whole: `target.value`.
    Value(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricSpec {
    pub kind: MetricKind,
    pub target: MetricTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    Pods,
    Percent,
}

/// One `behavior.scaleUp/scaleDown.policies[]` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalingPolicy {
    pub kind: PolicyKind,
    pub value: u32,
    pub period_s: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectPolicy {
    Max,
    Min,
    Disabled,
}

/// `behavior.scaleUp` or `behavior.scaleDown`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingRules {
    pub stabilization_window_s: u32,
    pub select_policy: SelectPolicy,
    pub policies: Vec<ScalingPolicy>,
    /// Per-direction tolerance (Kubernetes 1.33+, `HPAConfigurableTolerance`); `None` uses the global 0.1.
    pub tolerance: Option<f64>,
}

impl ScalingRules {
    /// The default scale-up: no stabilisation, max(100 % per 15 s, 4 pods per 15 s).
    pub fn default_scale_up() -> ScalingRules {
        ScalingRules {
            stabilization_window_s: 0,
            select_policy: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_s: 15 },
                ScalingPolicy { kind: PolicyKind::Pods, value: 4, period_s: 15 },
            ],
            tolerance: None,
        }
    }

    /// The default scale-down: a 300 s stabilisation window, 100 % per 15 s.
    pub fn default_scale_down() -> ScalingRules {
        ScalingRules {
            stabilization_window_s: 300,
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_s: 15 }],
            tolerance: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior { scale_up: ScalingRules::default_scale_up(), scale_down: ScalingRules::default_scale_down() }
    }
}

/// An `autoscaling/v2` HorizontalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HpaSpec {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub metrics: Vec<MetricSpec>,
    pub behavior: Behavior,
    /// The manifest has no `spec.behavior`: kube-controller-manager then takes its older path
    /// ([`HpaController::reconcile_without_behavior`]) and `behavior` is not used.
    #[serde(default)]
    pub without_behavior: bool,
}

/// What the metrics pipeline reports at one sync for one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricReading {
    /// The metric's average over pods that report it (ready pods).
    pub average_over_ready: f64,
    /// The sum over pods that report it.
    pub total: f64,
}

/// The pods of the target at one sync, grouped as the replica calculator groups them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PodCounts {
    /// Running pods with metrics.
    pub ready: u32,
    /// Pending pods (no node yet, or the node or image is not ready): "unready" to the calculator.
    pub unready: u32,
    /// Running pods without metrics yet (the engine is still loading the model).
    pub missing: u32,
}

/// Per-metric replica proposal, `replica_calculator.go` `calcPlainMetricReplicas` (for AverageValue
/// targets) and `GetObjectMetricReplicas` (for Value targets). `None` when no pod reports the metric.
pub fn metric_replicas(
    current_replicas: u32,
    target: MetricTarget,
    reading: MetricReading,
    pods: PodCounts,
    tolerance_down: f64,
    tolerance_up: f64,
) -> Option<u32> {
    let within = |ratio: f64| (1.0 - tolerance_down) <= ratio && ratio <= (1.0 + tolerance_up);
    match target {
        MetricTarget::Value(target) => {
            if target <= 0.0 {
                return None;
            }
            let ratio = reading.total / target;
            // getUsageRatioReplicaCount: from zero replicas the ratio itself (rounded up) is the
            // proposal; otherwise the ratio scales the count of ready pods, which may be zero.
            if current_replicas == 0 {
                return Some(ratio.ceil() as u32);
            }
            if within(ratio) {
                return Some(current_replicas);
            }
            if pods.ready + pods.unready + pods.missing == 0 {
                // "no pods returned by selector while calculating replica count"
                return None;
            }
            Some((ratio * pods.ready as f64).ceil() as u32)
        }
        MetricTarget::AverageValue(target) => {
            if pods.ready == 0 || target <= 0.0 {
                return None;
            }
            let ratio = reading.average_over_ready / target;
            let scale_up_with_unready = pods.unready > 0 && ratio > 1.0;
            if !scale_up_with_unready && pods.missing == 0 {
                if within(ratio) {
                    return Some(current_replicas);
                }
                return Some((ratio * pods.ready as f64).ceil() as u32);
            }
            // Missing pods count as using the target when scaling down, nothing when scaling up;
            // unready pods count as nothing when scaling up.
            // At a ratio of exactly 1 missing pods are left out altogether.
            let mut sum = reading.average_over_ready * pods.ready as f64;
            let mut count = pods.ready as f64;
            if pods.missing > 0 && ratio != 1.0 {
                if ratio < 1.0 {
                    sum += target * pods.missing as f64;
                }
                count += pods.missing as f64;
            }
            if scale_up_with_unready {
                count += pods.unready as f64;
            }
            let new_ratio = sum / count / target;
            if within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
                return Some(current_replicas);
            }
            let proposed = (new_ratio * count).ceil() as u32;
            if (new_ratio < 1.0 && proposed > current_replicas) || (new_ratio > 1.0 && proposed < current_replicas) {
                return Some(current_replicas);
            }
            Some(proposed)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Timestamped {
    t_s: f64,
    value: u32,
}

/// Consecutive recommendations of the same value, from `first_s` to `last_s`. The controller keeps
/// one timestamped sample per sync; a run stands for all of them: a run is inside a window when its
/// last sample is, and a run whose last sample is older than both windows can no longer matter
/// (Kubernetes overwrites such samples; dropping them gives the same recommendations).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    last_s: f64,
    value: u32,
}

/// One HPA's controller state: recent recommendations and scale events.
#[derive(Debug, Clone, Default)]
pub struct HpaController {
    recommendations: Vec<Run>,
    scale_up_events: Vec<Timestamped>,
    scale_down_events: Vec<Timestamped>,
    initialised: bool,
}

/// The controller's `--horizontal-pod-autoscaler-downscale-stabilization` (default 5 min): the only
/// stabilisation an HPA without `spec.behavior` gets.
pub const HPA_DOWNSCALE_STABILIZATION_S: f64 = 300.0;
/// `scaleUpLimitFactor` and `scaleUpLimitMinimum` of `horizontal.go`: without `spec.behavior` one sync
/// may scale up to max(2 × current, 4).
const SCALE_UP_LIMIT_FACTOR: f64 = 2.0;
const SCALE_UP_LIMIT_MINIMUM: f64 = 4.0;

/// `convertDesiredReplicasWithRules`, for an HPA without `spec.behavior`: the stabilised proposal
/// clamped to minReplicas and to min(maxReplicas, max(2 × current, 4)). Returns the count and the
/// `ScalingLimited` reason the controller reports.
pub(crate) fn convert_desired_replicas_with_rules(
    current: u32,
    desired: u32,
    min: u32,
    max: u32,
) -> (u32, &'static str) {
    let scale_up_limit = (SCALE_UP_LIMIT_FACTOR * current as f64).max(SCALE_UP_LIMIT_MINIMUM) as u32;
    let (maximum, reason) =
        if max > scale_up_limit { (scale_up_limit, "ScaleUpLimit") } else { (max, "TooManyReplicas") };
    if desired < min {
        (min, "TooFewReplicas")
    } else if desired > maximum {
        (maximum, reason)
    } else {
        (desired, "DesiredWithinRange")
    }
}

impl HpaController {
    /// One sync of an HPA with `spec.behavior` (the API server fills in defaults for what the manifest
    /// leaves out of it). `proposals` are the per-metric proposals (`None` = metric unavailable);
    /// returns the new `spec.replicas`.
    pub fn reconcile(&mut self, spec: &HpaSpec, now_s: f64, current_replicas: u32, proposals: &[Option<u32>]) -> u32 {
        self.reconcile_with(spec, now_s, current_replicas, proposals, true)
    }

    /// One sync of an HPA whose manifest has no `spec.behavior` at all: kube-controller-manager then
    /// takes the older path (`normalizeDesiredReplicas`): the highest recommendation of the last 300 s,
    /// at most max(2 × current, 4) per sync, and no scale events kept. `spec.behavior` is ignored.
    pub fn reconcile_without_behavior(
        &mut self,
        spec: &HpaSpec,
        now_s: f64,
        current_replicas: u32,
        proposals: &[Option<u32>],
    ) -> u32 {
        self.reconcile_with(spec, now_s, current_replicas, proposals, false)
    }

    fn reconcile_with(
        &mut self,
        spec: &HpaSpec,
        now_s: f64,
        current_replicas: u32,
        proposals: &[Option<u32>],
        with_behavior: bool,
    ) -> u32 {
        self.record_initial(now_s, current_replicas);
        // minReplicas 0 is HPAScaleToZero: the HPA then also scales from and to zero (on Object or
        // External metrics). KEDA's HPA has minReplicas ≥ 1, so it is off at zero.
        let min = spec.min_replicas;
        let max = spec.max_replicas.max(min);
        if current_replicas == 0 && min != 0 {
            // Autoscaling is disabled while the target is scaled to zero (KEDA owns 0 ↔ 1).
            return 0;
        }
        let desired = if current_replicas > max {
            max
        } else if current_replicas < min {
            min
        } else {
            // computeReplicasForMetrics: the maximum over metrics. When no metric is available, or
            // one is not and the others would scale down, the HPA does not scale at all.
            let Some(metric_desired) = proposals.iter().flatten().copied().max() else {
                return current_replicas;
            };
            if metric_desired < current_replicas && proposals.iter().any(Option::is_none) {
                return current_replicas;
            }
            if with_behavior {
                self.normalize(spec, now_s, current_replicas, metric_desired, min, max)
            } else {
                let stabilized = self.stabilize_without_behavior(now_s, metric_desired);
                convert_desired_replicas_with_rules(current_replicas, stabilized, min, max).0
            }
        };
        if desired != current_replicas && with_behavior {
            // storeScaleEvent keeps nothing for an HPA without behavior: nothing would read it.
            self.store_event(spec, now_s, current_replicas, desired);
        }
        desired
    }

    /// `recordInitialRecommendation`: the first sync seeds the log with the current count, whatever
    /// the windows and whichever branch follows.
    fn record_initial(&mut self, now_s: f64, current: u32) {
        if !self.initialised {
            self.initialised = true;
            self.recommendations.push(Run { last_s: now_s, value: current });
        }
    }

    /// `normalizeDesiredReplicasWithBehaviors`: stabilise, then limit the rate and clamp.
    fn normalize(&mut self, spec: &HpaSpec, now_s: f64, current: u32, desired: u32, min: u32, max: u32) -> u32 {
        let stabilized = self.stabilize(&spec.behavior.scale_up, &spec.behavior.scale_down, now_s, current, desired);
        self.convert_with_behavior_rate(&spec.behavior, now_s, current, stabilized, min, max).0
    }

    /// `convertDesiredReplicasWithBehaviorRate`: a scale-up is held to min(maxReplicas, the scale-up
    /// policies' limit), a scale-down to max(minReplicas, the scale-down policies' limit); an
    /// unchanged count passes as it is. Returns the count and the `ScalingLimited` reason.
    fn convert_with_behavior_rate(
        &self,
        behavior: &Behavior,
        now_s: f64,
        current: u32,
        desired: u32,
        min: u32,
        max: u32,
    ) -> (u32, &'static str) {
        if desired > current {
            // A limit below the current count (many recent scale-ups) means no further scale-up.
            let limit = self.scale_up_limit(&behavior.scale_up, now_s, current).max(current);
            let (allowed, reason) = if max > limit { (limit, "ScaleUpLimit") } else { (max, "TooManyReplicas") };
            if desired > allowed {
                return (allowed, reason);
            }
        } else if desired < current {
            let limit = self.scale_down_limit(&behavior.scale_down, now_s, current).min(current);
            let (allowed, reason) = if min < limit { (limit, "ScaleDownLimit") } else { (min, "TooFewReplicas") };
            if desired < allowed {
                return (allowed, reason);
            }
        }
        (desired, "DesiredWithinRange")
    }

    /// `stabilizeRecommendationWithBehaviors`: the current count, raised to the lowest recommendation
    /// of the scale-up window and lowered to the highest of the scale-down window.
    fn stabilize(&mut self, up: &ScalingRules, down: &ScalingRules, now_s: f64, current: u32, desired: u32) -> u32 {
        let up_cutoff = now_s - up.stabilization_window_s as f64;
        let down_cutoff = now_s - down.stabilization_window_s as f64;
        let (mut up_rec, mut down_rec) = (desired, desired);
        for rec in &self.recommendations {
            if rec.last_s > up_cutoff {
                up_rec = up_rec.min(rec.value);
            }
            if rec.last_s > down_cutoff {
                down_rec = down_rec.max(rec.value);
            }
        }
        let mut stabilized = current;
        if stabilized < up_rec {
            stabilized = up_rec;
        }
        if stabilized > down_rec {
            stabilized = down_rec;
        }
        // Record the unstabilised recommendation; forget runs older than both windows.
        self.recommendations.retain(|r| !(r.last_s < up_cutoff && r.last_s < down_cutoff));
        self.record(now_s, desired);
        stabilized
    }

    /// `stabilizeRecommendation` (no `spec.behavior`): the highest of the proposal and of the
    /// recommendations not older than the 300 s window. Unlike the behaviour path it can exceed the
    /// current count on a scale-up, and a sample exactly at the window's edge still counts.
    fn stabilize_without_behavior(&mut self, now_s: f64, desired: u32) -> u32 {
        let cutoff = now_s - HPA_DOWNSCALE_STABILIZATION_S;
        let highest =
            self.recommendations.iter().filter(|r| r.last_s >= cutoff).map(|r| r.value).fold(desired, u32::max);
        self.recommendations.retain(|r| r.last_s >= cutoff);
        self.record(now_s, desired);
        highest
    }

    fn record(&mut self, now_s: f64, value: u32) {
        match self.recommendations.last_mut() {
            Some(last) if last.value == value => last.last_s = now_s,
            _ => self.recommendations.push(Run { last_s: now_s, value }),
        }
    }

    fn change_in_period(events: &[Timestamped], now_s: f64, period_s: u32) -> i64 {
        let cutoff = now_s - period_s as f64;
        events.iter().filter(|e| e.t_s > cutoff).map(|e| e.value as i64).sum()
    }

    fn period_start(&self, now_s: f64, current: u32, period_s: u32) -> i64 {
        current as i64 - Self::change_in_period(&self.scale_up_events, now_s, period_s)
            + Self::change_in_period(&self.scale_down_events, now_s, period_s)
    }

    /// `calculateScaleUpLimitWithScalingRules`. With no policy at all, Max selects nothing (the
    /// caller then holds the current count) and Min leaves the count unlimited, as in Go.
    fn scale_up_limit(&self, rules: &ScalingRules, now_s: f64, current: u32) -> u32 {
        let pick: fn(i64, i64) -> i64 = match rules.select_policy {
            SelectPolicy::Disabled => return current,
            SelectPolicy::Min => i64::min,
            SelectPolicy::Max => i64::max,
        };
        let mut result = if rules.select_policy == SelectPolicy::Min { i32::MAX as i64 } else { i32::MIN as i64 };
        for p in &rules.policies {
            let start = self.period_start(now_s, current, p.period_s);
            let proposed = match p.kind {
                PolicyKind::Pods => start + p.value as i64,
                PolicyKind::Percent => (start as f64 * (1.0 + p.value as f64 / 100.0)).ceil() as i64,
            };
            result = pick(result, proposed);
        }
        result.clamp(0, u32::MAX as i64) as u32
    }

    /// `calculateScaleDownLimitWithBehaviors`.
    fn scale_down_limit(&self, rules: &ScalingRules, now_s: f64, current: u32) -> u32 {
        // For scaling down the largest change gives the smallest count, so Max picks the minimum.
        let pick: fn(i64, i64) -> i64 = match rules.select_policy {
            SelectPolicy::Disabled => return current,
            SelectPolicy::Min => i64::max,
            SelectPolicy::Max => i64::min,
        };
        let mut result = if rules.select_policy == SelectPolicy::Min { i32::MIN as i64 } else { i32::MAX as i64 };
        for p in &rules.policies {
            let start = self.period_start(now_s, current, p.period_s);
            let proposed = match p.kind {
                PolicyKind::Pods => start - p.value as i64,
                // Go's int32() conversion truncates toward zero.
                PolicyKind::Percent => (start as f64 * (1.0 - p.value as f64 / 100.0)).trunc() as i64,
            };
            result = pick(result, proposed);
        }
        result.clamp(0, u32::MAX as i64) as u32
    }

    /// `storeScaleEvent`. Events older than the direction's longest policy period can no longer be
    /// counted by any policy; Go marks them outdated and reuses one slot, this drops them.
    fn store_event(&mut self, spec: &HpaSpec, now_s: f64, previous: u32, new: u32) {
        let longest = |r: &ScalingRules| r.policies.iter().map(|p| p.period_s).max().unwrap_or(0) as f64;
        let (events, longest) = if new > previous {
            (&mut self.scale_up_events, longest(&spec.behavior.scale_up))
        } else {
            (&mut self.scale_down_events, longest(&spec.behavior.scale_down))
        };
        events.retain(|e| e.t_s >= now_s - longest);
        events.push(Timestamped { t_s: now_s, value: previous.abs_diff(new) });
    }
}

/// Replicas the HPA proposes for an External metric with an AverageValue target
/// (`GetExternalPerPodMetricReplicas`): the metric total over the per-pod target, inside the tolerance
/// band of the current count.
pub fn external_per_pod_replicas(
    status_replicas: u32,
    total: f64,
    target_per_pod: f64,
    tolerance_down: f64,
    tolerance_up: f64,
) -> Option<u32> {
    if target_per_pod <= 0.0 {
        return None;
    }
    // With no replicas the ratio is infinite (or NaN), never within the tolerance band, as in Go.
    let ratio = total / (target_per_pod * status_replicas as f64);
    if (1.0 - tolerance_down) <= ratio && ratio <= (1.0 + tolerance_up) {
        return Some(status_replicas);
    }
    Some((total / target_per_pod).ceil() as u32)
}

mod keda;
pub use keda::{KedaController, KedaFallback, KedaSpec, KedaTrigger};

#[cfg(test)]
mod keda_docs;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod upstream_behavior;
#[cfg(test)]
mod upstream_calc;
#[cfg(test)]
mod upstream_controller;
