//! A fleet's autoscaler: a HorizontalPodAutoscaler (with the Prometheus adapter's metric names) or a
//! KEDA ScaledObject (with its Prometheus queries).

use crate::doc::{obj, s, Doc, Map};

use super::workloads::{fleet_metadata, format_fraction};
use super::DEFAULT_PROMETHEUS;
use crate::plan::{AutoscalerKind, Deployment, Fleet, MetricKind, Plan, ScalingBehavior, ScalingMetric};

/// A quantity for a target value: whole numbers as is, fractions in milli-units (`800m`).
pub fn quantity(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{}m", (value * 1000.0).round() as i64)
    }
}

/// The HPA pod-metric name a metrics adapter exposes for a vLLM metric (`:` becomes `_`).
pub fn hpa_metric_name(metric: MetricKind) -> String {
    match metric {
        MetricKind::Ttft => "vllm_time_to_first_token_seconds_p95".to_string(),
        other => other.metric_name().replace(':', "_"),
    }
}

pub(super) fn hpa_target(metric: &ScalingMetric) -> f64 {
    match metric.metric {
        MetricKind::Ttft => metric.target / 1000.0,
        _ => metric.target,
    }
}

pub(super) fn behavior(b: &ScalingBehavior) -> Doc {
    let mut up = Map::new();
    if let Some(seconds) = b.scale_up_stabilization_seconds {
        up.insert("stabilizationWindowSeconds".into(), seconds.into());
    }
    if let Some(pods) = b.scale_up_pods_per_period {
        let policy = obj(vec![("type", s("Pods")), ("value", pods.into()), ("periodSeconds", 15u32.into())]);
        up.insert("policies".into(), Doc::Array(vec![policy]));
    }
    let mut down = Map::new();
    if let Some(seconds) = b.scale_down_stabilization_seconds {
        down.insert("stabilizationWindowSeconds".into(), seconds.into());
    }
    let mut out = Map::new();
    if !up.is_empty() {
        out.insert("scaleUp".into(), up.into());
    }
    if !down.is_empty() {
        out.insert("scaleDown".into(), down.into());
    }
    out.into()
}

/// What an autoscaler scales: the fleet's Deployment.
pub(super) fn scale_target(fleet: &Fleet) -> Doc {
    obj(vec![("apiVersion", s("apps/v1")), ("kind", s("Deployment")), ("name", s(&fleet.name))])
}

pub fn horizontal_pod_autoscaler(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Option<Doc> {
    let autoscaler = deployment.autoscaler.as_ref().filter(|a| a.kind == AutoscalerKind::Hpa)?;
    let metrics = autoscaler
        .metrics
        .iter()
        .map(|m| match m.metric {
            MetricKind::CpuUtilization => {
                let target =
                    obj(vec![("type", s("Utilization")), ("averageUtilization", (m.target.round() as i64).into())]);
                obj(vec![("type", s("Resource")), ("resource", obj(vec![("name", s("cpu")), ("target", target)]))])
            }
            kind => {
                let target = obj(vec![("type", s("AverageValue")), ("averageValue", quantity(hpa_target(m)).into())]);
                obj(vec![
                    ("type", s("Pods")),
                    (
                        "pods",
                        obj(vec![("metric", obj(vec![("name", hpa_metric_name(kind).into())])), ("target", target)]),
                    ),
                ])
            }
        })
        .collect();
    let mut spec = Map::new();
    spec.insert("scaleTargetRef".into(), scale_target(fleet));
    spec.insert("minReplicas".into(), fleet.replicas.min.max(1).into());
    spec.insert("maxReplicas".into(), fleet.replicas.max.max(1).into());
    spec.insert("metrics".into(), Doc::Array(metrics));
    if let Some(b) = &autoscaler.behavior {
        spec.insert("behavior".into(), behavior(b));
    }
    Some(obj(vec![
        ("apiVersion", s("autoscaling/v2")),
        ("kind", s("HorizontalPodAutoscaler")),
        ("metadata", fleet_metadata(plan, deployment, fleet)),
        ("spec", spec.into()),
    ]))
}

/// The PromQL a KEDA trigger runs for a metric of a fleet, and whether its threshold is per replica
/// (`AverageValue`, for sums) or compared as is (`Value`, for averages and quantiles).
pub fn prometheus_query(metric: MetricKind, fleet: &Fleet) -> (String, &'static str) {
    let pods = format!("pod=~\"{}-[a-z0-9]+-[a-z0-9]+\"", fleet.name);
    match metric {
        MetricKind::QueueDepth => (format!("sum(vllm:num_requests_waiting{{{pods}}})"), "AverageValue"),
        MetricKind::RunningRequests => (format!("sum(vllm:num_requests_running{{{pods}}})"), "AverageValue"),
        MetricKind::KvCacheUsage => (format!("avg(vllm:kv_cache_usage_perc{{{pods}}})"), "Value"),
        MetricKind::Ttft => (
            format!(
                "histogram_quantile(0.95, sum(rate(vllm:time_to_first_token_seconds_bucket{{{pods}}}[2m])) by (le))"
            ),
            "Value",
        ),
        MetricKind::GpuUtilization => (format!("avg(DCGM_FI_DEV_GPU_UTIL{{{pods}}})"), "Value"),
        MetricKind::CpuUtilization => (String::new(), "Utilization"),
    }
}

pub fn scaled_object(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Option<Doc> {
    let autoscaler = deployment.autoscaler.as_ref().filter(|a| a.kind == AutoscalerKind::Keda)?;
    let address = autoscaler.prometheus_address.as_deref().unwrap_or(DEFAULT_PROMETHEUS);
    let triggers = autoscaler
        .metrics
        .iter()
        .map(|m| {
            if m.metric == MetricKind::CpuUtilization {
                return obj(vec![
                    ("type", s("cpu")),
                    ("metricType", s("Utilization")),
                    ("metadata", obj(vec![("value", format!("{}", m.target.round() as i64).into())])),
                ]);
            }
            let (query, metric_type) = prometheus_query(m.metric, fleet);
            obj(vec![
                ("type", s("prometheus")),
                ("metricType", s(metric_type)),
                (
                    "metadata",
                    obj(vec![
                        ("serverAddress", s(address)),
                        ("query", query.into()),
                        ("threshold", format_fraction(hpa_target(m)).into()),
                    ]),
                ),
            ])
        })
        .collect();
    let mut spec = Map::new();
    spec.insert("scaleTargetRef".into(), scale_target(fleet));
    spec.insert("pollingInterval".into(), autoscaler.polling_interval_seconds.unwrap_or(30).into());
    if let Some(cooldown) = autoscaler.cooldown_period_seconds {
        spec.insert("cooldownPeriod".into(), cooldown.into());
    }
    spec.insert("minReplicaCount".into(), fleet.replicas.min.into());
    spec.insert("maxReplicaCount".into(), fleet.replicas.max.max(1).into());
    if let Some(b) = &autoscaler.behavior {
        spec.insert(
            "advanced".into(),
            obj(vec![("horizontalPodAutoscalerConfig", obj(vec![("behavior", behavior(b))]))]),
        );
    }
    spec.insert("triggers".into(), Doc::Array(triggers));
    Some(obj(vec![
        ("apiVersion", s("keda.sh/v1alpha1")),
        ("kind", s("ScaledObject")),
        ("metadata", fleet_metadata(plan, deployment, fleet)),
        ("spec", spec.into()),
    ]))
}
