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
            // GetObjectMetricReplicas scales the ready pod count; with no ready pods it uses current.
            let ready = if pods.ready > 0 { pods.ready } else { current_replicas };
            if within(ratio) {
                return Some(current_replicas);
            }
            Some((ratio * ready as f64).ceil() as u32)
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
            let mut sum = reading.average_over_ready * pods.ready as f64;
            let mut count = pods.ready as f64;
            if pods.missing > 0 {
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

impl HpaController {
    /// One sync. `proposals` are the per-metric proposals (`None` = metric unavailable); returns the
    /// new `spec.replicas`.
    pub fn reconcile(&mut self, spec: &HpaSpec, now_s: f64, current_replicas: u32, proposals: &[Option<u32>]) -> u32 {
        let min = spec.min_replicas.max(1);
        let max = spec.max_replicas.max(min);
        if current_replicas == 0 && spec.min_replicas != 0 {
            // Autoscaling is disabled while the target is scaled to zero (KEDA owns 0 ↔ 1).
            return 0;
        }
        let desired = if current_replicas > max {
            max
        } else if current_replicas < min {
            min
        } else {
            // The maximum over metrics; when no metric is available the HPA does not scale.
            let Some(metric_desired) = proposals.iter().flatten().copied().max() else {
                return current_replicas;
            };
            self.normalize(spec, now_s, current_replicas, metric_desired, min, max)
        };
        if desired != current_replicas {
            self.store_event(spec, now_s, current_replicas, desired);
        }
        desired
    }

    /// `normalizeDesiredReplicasWithBehaviors`: stabilise, then limit the rate, then clamp.
    fn normalize(&mut self, spec: &HpaSpec, now_s: f64, current: u32, desired: u32, min: u32, max: u32) -> u32 {
        let up = &spec.behavior.scale_up;
        let down = &spec.behavior.scale_down;
        let stabilized = self.stabilize(up, down, now_s, current, desired);
        // convertDesiredReplicasWithBehaviorRate
        if stabilized > current {
            let limit = self.scale_up_limit(up, now_s, current).max(current);
            let allowed = max.min(limit);
            stabilized.min(allowed)
        } else if stabilized < current {
            let limit = self.scale_down_limit(down, now_s, current).min(current);
            let allowed = min.max(limit);
            stabilized.max(allowed)
        } else {
            stabilized
        }
    }

    /// `stabilizeRecommendationWithBehaviors`: the current count, raised to the lowest recommendation
    /// of the scale-up window and lowered to the highest of the scale-down window.
    fn stabilize(&mut self, up: &ScalingRules, down: &ScalingRules, now_s: f64, current: u32, desired: u32) -> u32 {
        if !self.initialised {
            self.initialised = true;
            if down.stabilization_window_s > 0 {
                self.recommendations.push(Run { last_s: now_s, value: current });
            }
        }
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
        match self.recommendations.last_mut() {
            Some(last) if last.value == desired => last.last_s = now_s,
            _ => self.recommendations.push(Run { last_s: now_s, value: desired }),
        }
        stabilized
    }

    fn change_in_period(events: &[Timestamped], now_s: f64, period_s: u32) -> i64 {
        let cutoff = now_s - period_s as f64;
        events.iter().filter(|e| e.t_s > cutoff).map(|e| e.value as i64).sum()
    }

    fn period_start(&self, now_s: f64, current: u32, period_s: u32) -> i64 {
        current as i64 - Self::change_in_period(&self.scale_up_events, now_s, period_s)
            + Self::change_in_period(&self.scale_down_events, now_s, period_s)
    }

    /// `calculateScaleUpLimitWithScalingRules`.
    fn scale_up_limit(&self, rules: &ScalingRules, now_s: f64, current: u32) -> u32 {
        let pick: fn(i64, i64) -> i64 = match rules.select_policy {
            SelectPolicy::Disabled => return current,
            SelectPolicy::Min => i64::min,
            SelectPolicy::Max => i64::max,
        };
        let mut result = if rules.select_policy == SelectPolicy::Min { i64::MAX } else { i64::MIN };
        for p in &rules.policies {
            let start = self.period_start(now_s, current, p.period_s);
            let proposed = match p.kind {
                PolicyKind::Pods => start + p.value as i64,
                PolicyKind::Percent => (start as f64 * (1.0 + p.value as f64 / 100.0)).ceil() as i64,
            };
            result = pick(result, proposed);
        }
        if rules.policies.is_empty() {
            return u32::MAX;
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
        let mut result = if rules.select_policy == SelectPolicy::Min { i64::MIN } else { i64::MAX };
        for p in &rules.policies {
            let start = self.period_start(now_s, current, p.period_s);
            let proposed = match p.kind {
                PolicyKind::Pods => start - p.value as i64,
                // Go's int32() conversion truncates toward zero.
                PolicyKind::Percent => (start as f64 * (1.0 - p.value as f64 / 100.0)).trunc() as i64,
            };
            result = pick(result, proposed);
        }
        if rules.policies.is_empty() {
            return 0;
        }
        result.clamp(0, u32::MAX as i64) as u32
    }

    fn store_event(&mut self, spec: &HpaSpec, now_s: f64, previous: u32, new: u32) {
        let longest = |r: &ScalingRules| r.policies.iter().map(|p| p.period_s).max().unwrap_or(0) as f64;
        let (events, longest) = if new > previous {
            (&mut self.scale_up_events, longest(&spec.behavior.scale_up))
        } else {
            (&mut self.scale_down_events, longest(&spec.behavior.scale_down))
        };
        events.retain(|e| e.t_s > now_s - longest);
        events.push(Timestamped { t_s: now_s, value: previous.abs_diff(new) });
    }
}

/// KEDA's `fallback`: after `failure_threshold` failed polls the target runs `replicas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KedaFallback {
    pub failure_threshold: u32,
    pub replicas: u32,
}

/// One trigger of a ScaledObject: a Prometheus query summing a metric over pods, compared per pod with
/// `AverageValue` (`threshold`), active above `activationThreshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KedaTrigger {
    pub metric: MetricKind,
    pub target_per_pod: f64,
    pub activation_threshold: f64,
}

/// A `keda.sh/v1alpha1` ScaledObject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KedaSpec {
    pub min_replica_count: u32,
    pub max_replica_count: u32,
    pub polling_interval_s: f64,
    pub cooldown_period_s: f64,
    pub triggers: Vec<KedaTrigger>,
    pub fallback: Option<KedaFallback>,
    /// `advanced.horizontalPodAutoscalerConfig.behavior`.
    pub behavior: Behavior,
}

impl KedaSpec {
    /// The HPA KEDA creates: minReplicas = max(minReplicaCount, 1), one External AverageValue metric
    /// per trigger.
    pub fn hpa(&self) -> HpaSpec {
        HpaSpec {
            min_replicas: self.min_replica_count.max(1),
            max_replicas: self.max_replica_count,
            metrics: self
                .triggers
                .iter()
                .map(|t| MetricSpec { kind: t.metric, target: MetricTarget::AverageValue(t.target_per_pod) })
                .collect(),
            behavior: self.behavior.clone(),
        }
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
    let replicas = status_replicas.max(1);
    let ratio = total / (target_per_pod * replicas as f64);
    if (1.0 - tolerance_down) <= ratio && ratio <= (1.0 + tolerance_up) {
        return Some(status_replicas);
    }
    Some((total / target_per_pod).ceil() as u32)
}

/// KEDA's operator state for one ScaledObject.
#[derive(Debug, Clone, Default)]
pub struct KedaController {
    pub hpa: HpaController,
    last_active_s: Option<f64>,
    failures: u32,
    next_poll_s: f64,
}

impl KedaController {
    /// KEDA's polling loop (activation, scale to and from zero, fallback). `values` holds each
    /// trigger's value, `None` when its query fails. Returns the replica count KEDA sets, if it sets
    /// one; otherwise the HPA drives scaling.
    pub fn poll(&mut self, spec: &KedaSpec, now_s: f64, current: u32, values: &[Option<f64>]) -> Option<u32> {
        if now_s + 1e-9 < self.next_poll_s {
            return None;
        }
        self.next_poll_s = now_s + spec.polling_interval_s.max(1.0);
        if values.iter().all(Option::is_none) {
            self.failures += 1;
            return match spec.fallback {
                Some(f) if self.failures >= f.failure_threshold => Some(f.replicas.min(spec.max_replica_count)),
                _ => None,
            };
        }
        self.failures = 0;
        let active = spec.triggers.iter().zip(values).any(|(t, v)| v.is_some_and(|v| v > t.activation_threshold));
        if active {
            self.last_active_s = Some(now_s);
            if current == 0 {
                return Some(spec.min_replica_count.max(1));
            }
            None
        } else if spec.min_replica_count == 0 && current > 0 {
            let since = self.last_active_s.map_or(f64::INFINITY, |t| now_s - t);
            (since >= spec.cooldown_period_s).then_some(0)
        } else {
            None
        }
    }

    /// The next time KEDA polls.
    pub fn next_poll_s(&self) -> f64 {
        self.next_poll_s
    }

    /// Whether fallback is in force (the HPA then does not scale on its own).
    pub fn in_fallback(&self, spec: &KedaSpec) -> bool {
        spec.fallback.is_some_and(|f| self.failures >= f.failure_threshold)
    }
}

#[cfg(test)]
mod tests;
