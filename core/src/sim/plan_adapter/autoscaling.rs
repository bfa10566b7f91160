//! A fleet's autoscaler section as the simulator's HPA or KEDA spec, or the default HPA on running
//! requests and queue depth.

use crate::plan::{self, Plan};

use super::{DEFAULT_MAX_UTILIZATION, DEFAULT_QUEUE_DEPTH_TARGET};
use crate::sim::error::SimError;
use crate::sim::hpa::{
    Behavior, HpaSpec, KedaSpec, KedaTrigger, MetricKind, MetricSpec, MetricTarget, PolicyKind, ScalingPolicy,
};
use crate::sim::scenario::Autoscaler;
use crate::sim::serving::ServiceProfile;

/// The default HPA's running-requests target: what a replica runs at the highest utilisation (at
/// most [`DEFAULT_MAX_UTILIZATION`]) where the performance model keeps TTFT p95 within the plan's
/// tightest TTFT SLO.
pub(super) fn default_running_target(service: &ServiceProfile, plan: &Plan) -> f64 {
    let ttft_limit_ms = plan
        .spec
        .workload
        .slos
        .iter()
        .filter(|s| s.metric == plan::SloMetric::Ttft)
        .map(|s| s.limit_ms)
        .fold(f64::INFINITY, f64::min);
    let n = service.curve.len().max(2);
    let point = service
        .curve
        .iter()
        .enumerate()
        .rfind(|(i, p)| (*i as f64 / (n - 1) as f64) <= DEFAULT_MAX_UTILIZATION && p.ttft_p95_ms <= ttft_limit_ms)
        .map(|(_, p)| p);
    point.map_or(1.0, |p| p.running_requests).max(1.0)
}

pub(super) fn autoscaler(
    d: &plan::Deployment,
    fleet: &plan::Fleet,
    running_target: f64,
) -> Result<Autoscaler, SimError> {
    let bounds = fleet.replicas;
    let Some(a) = &d.autoscaler else {
        // Running requests grow with load per replica, so the ratio algorithm converges on them; queue
        // depth alone reads zero below capacity and makes the HPA flap between min and max.
        return Ok(Autoscaler::Hpa(HpaSpec {
            min_replicas: bounds.min.max(1),
            max_replicas: bounds.max.max(bounds.min.max(1)),
            metrics: vec![
                MetricSpec { kind: MetricKind::RunningRequests, target: MetricTarget::AverageValue(running_target) },
                MetricSpec {
                    kind: MetricKind::QueueDepth,
                    target: MetricTarget::AverageValue(DEFAULT_QUEUE_DEPTH_TARGET),
                },
            ],
            behavior: Behavior::default(),
        }));
    };
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
        }),
        plan::AutoscalerKind::Keda => Autoscaler::Keda(KedaSpec {
            min_replica_count: bounds.min,
            max_replica_count: bounds.max.max(bounds.min),
            polling_interval_s: a.polling_interval_seconds.map_or(30.0, f64::from),
            cooldown_period_s: 300.0,
            triggers: a
                .metrics
                .iter()
                .map(|m| KedaTrigger { metric: kind(m.metric), target_per_pod: m.target, activation_threshold: 0.0 })
                .collect(),
            fallback: None,
            behavior,
        }),
    })
}
