//! A fleet's autoscaler section as the simulator's HPA or KEDA spec, exactly as the export writes it:
//! no autoscaler is a fixed count, no `behavior` the controllers' older path.

use crate::plan;

use crate::sim::error::SimError;
use crate::sim::hpa::{
    Behavior, HpaSpec, KedaSpec, KedaTrigger, MetricKind, MetricSpec, MetricTarget, PolicyKind, ScalingPolicy,
};
use crate::sim::scenario::Autoscaler;

pub(super) fn autoscaler(d: &plan::Deployment, fleet: &plan::Fleet) -> Result<Autoscaler, SimError> {
    let bounds = fleet.replicas;
    let Some(a) = &d.autoscaler else {
        // No autoscaler: the export writes no HPA or ScaledObject, and the Deployment runs its minimum
        // replicas; the day is simulated as what is applied.
        return Ok(Autoscaler::Fixed { replicas: bounds.min });
    };
    // A plan autoscaler without `behavior` is exported without one: the controllers' older path.
    let without_behavior = a.behavior.is_none();
    let kind = |m: plan::MetricKind| match m {
        plan::MetricKind::QueueDepth => MetricKind::QueueDepth,
        plan::MetricKind::RunningRequests => MetricKind::RunningRequests,
        plan::MetricKind::KvCacheUsage => MetricKind::KvCacheUsage,
        plan::MetricKind::Ttft => MetricKind::TtftP95Ms,
        // CPU utilisation of a GPU server follows its load roughly; simulated as GPU utilisation.
        plan::MetricKind::GpuUtilization | plan::MetricKind::CpuUtilization => MetricKind::GpuUtilizationPercent,
    };
    let mut behavior = Behavior::default();
    if let Some(b) = &a.behavior {
        if let Some(s) = b.scale_up_stabilization_seconds {
            behavior.scale_up.stabilization_window_s = s;
        }
        if let Some(s) = b.scale_down_stabilization_seconds {
            behavior.scale_down.stabilization_window_s = s;
        }
        if let Some(pods) = b.scale_up_pods_per_period {
            behavior.scale_up.policies = vec![
                ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_s: 15 },
                ScalingPolicy { kind: PolicyKind::Pods, value: pods, period_s: 15 },
            ];
        }
    }
    if a.metrics.is_empty() {
        return Err(SimError::invalid("metrics", "at least one metric is needed"));
    }
    for (m, metric) in a.metrics.iter().enumerate() {
        if !(metric.target.is_finite() && metric.target > 0.0) {
            return Err(SimError::invalid(
                format!("metrics[{m}].target"),
                format!("{} must be positive", metric.target),
            ));
        }
    }
    Ok(match a.kind {
        plan::AutoscalerKind::Hpa => Autoscaler::Hpa(HpaSpec {
            min_replicas: bounds.min.max(1),
            max_replicas: bounds.max.max(bounds.min.max(1)),
            metrics: a
                .metrics
                .iter()
                .map(|m| MetricSpec { kind: kind(m.metric), target: MetricTarget::AverageValue(m.target) })
                .collect(),
            behavior,
            without_behavior,
        }),
        plan::AutoscalerKind::Keda => Autoscaler::Keda(KedaSpec {
            min_replica_count: bounds.min,
            max_replica_count: bounds.max.max(bounds.min),
            polling_interval_s: a.polling_interval_seconds.map_or(30.0, f64::from),
            cooldown_period_s: a.cooldown_period_seconds.map_or(300.0, f64::from),
            triggers: a
                .metrics
                .iter()
                .map(|m| KedaTrigger { metric: kind(m.metric), target_per_pod: m.target, activation_threshold: 0.0 })
                .collect(),
            fallback: None,
            behavior,
            without_behavior,
        }),
    })
}
