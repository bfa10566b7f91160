//! KEDA's ScaledObject loop on top of the HPA: activation, scale to and from zero, fallback.

use serde::{Deserialize, Serialize};

use super::{Behavior, HpaController, HpaSpec, MetricKind, MetricSpec, MetricTarget};

/// KEDA's `fallback`: once the consecutive failures pass `failure_threshold` (the first failure beyond
/// it: KEDA compares `NumberOfFailures > FailureThreshold`) the target runs `replicas`. KEDA applies it
/// only to AverageValue triggers, which are the only kind [`KedaTrigger`] has.
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
    /// No `advanced.horizontalPodAutoscalerConfig.behavior`: the HPA KEDA creates has no
    /// `spec.behavior` either, and the controller takes its older path.
    #[serde(default)]
    pub without_behavior: bool,
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
            without_behavior: self.without_behavior,
        }
    }
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
                Some(f) if self.failures > f.failure_threshold => Some(f.replicas.min(spec.max_replica_count)),
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
            // scaleToZeroOrIdle: only once lastActiveTime + cooldownPeriod is strictly before now (or
            // when no trigger was ever active).
            let since = self.last_active_s.map_or(f64::INFINITY, |t| now_s - t);
            (since > spec.cooldown_period_s).then_some(0)
        } else if current < spec.min_replica_count {
            // Inactive and below minReplicaCount (the HPA is off at zero replicas): KEDA sets the minimum.
            Some(spec.min_replica_count)
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
        spec.fallback.is_some_and(|f| self.failures > f.failure_threshold)
    }
}
