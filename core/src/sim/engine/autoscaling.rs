//! The autoscalers' decisions per step: HPA v2 (sync period, tolerance, behaviour), KEDA, fixed.

use super::Dep;
use crate::sim::hpa::{external_per_pod_replicas, metric_replicas, MetricKind, MetricReading, MetricTarget, PodCounts};
use crate::sim::scenario::{Autoscaler, Scenario};

/// One autoscaler decision for one deployment.
pub(super) fn autoscale(
    sc: &Scenario,
    d: &crate::sim::scenario::SimDeployment,
    dep: &mut Dep,
    t: f64,
    hpa_due: bool,
    outage: bool,
) {
    let tol = sc.timing.hpa_tolerance;
    let c = dep.counts;
    let pods = PodCounts { ready: c.ready, unready: c.pending, missing: c.loading };
    // Metric values come from the last scrape (they lag the serving state); pod counts are live, as
    // the controller reads them from the API server.
    let m = dep.scrape;
    let reading = |kind: MetricKind| -> Option<MetricReading> {
        if outage {
            return None;
        }
        let p = &d.service;
        let pods_scraped = m.ready as f64;
        let per_pod = |total: f64| if m.ready > 0 { total / pods_scraped } else { 0.0 };
        let point = p.latency(m.utilization);
        let (avg, total) = match kind {
            MetricKind::QueueDepth => {
                // Little's law on the engine's own wait, plus the backlog beyond capacity.
                let idle = p.latency(0.0).ttft_p50_ms;
                let in_engine = m.arrival_rps * ((point.ttft_p50_ms - idle).max(0.0) / 1000.0);
                let total = m.queue + in_engine;
                (per_pod(total), total)
            }
            MetricKind::RunningRequests => (point.running_requests, point.running_requests * pods_scraped),
            MetricKind::KvCacheUsage => {
                let u = point.kv_cache_usage.clamp(0.0, 1.0);
                (u, u * pods_scraped)
            }
            MetricKind::TtftP95Ms => {
                let ttft = point.ttft_p95_ms + m.queue * m.inv_capacity_rps * 1000.0;
                (ttft, ttft * pods_scraped)
            }
            MetricKind::GpuUtilizationPercent => (100.0 * m.utilization, 100.0 * m.utilization * pods_scraped),
            MetricKind::RequestsPerSecond => (per_pod(m.arrival_rps), m.arrival_rps),
        };
        // Pods without a scraped sample have no metric yet.
        if m.ready == 0 && kind != MetricKind::RequestsPerSecond && kind != MetricKind::QueueDepth {
            return None;
        }
        Some(MetricReading { average_over_ready: avg, total })
    };
    match &d.autoscaler {
        Autoscaler::Fixed { replicas } => dep.desired = *replicas,
        Autoscaler::Hpa(spec) => {
            if !hpa_due {
                return;
            }
            let mut proposals = std::mem::take(&mut dep.proposals);
            proposals.clear();
            proposals.extend(spec.metrics.iter().map(|m| {
                let r = reading(m.kind)?;
                let (down, up) = tolerances(&spec.behavior, tol);
                if matches!(m.target, MetricTarget::AverageValue(_)) && c.ready == 0 {
                    return None;
                }
                metric_replicas(dep.desired, m.target, r, pods, down, up)
            }));
            dep.desired = if spec.without_behavior {
                dep.hpa.reconcile_without_behavior(spec, t, dep.desired, &proposals)
            } else {
                dep.hpa.reconcile(spec, t, dep.desired, &proposals)
            };
            dep.hit_max |=
                dep.desired >= spec.max_replicas && proposals.iter().flatten().any(|p| *p > spec.max_replicas);
            dep.proposals = proposals;
        }
        Autoscaler::Keda(spec) => {
            let values: Vec<Option<f64>> = spec.triggers.iter().map(|tr| reading(tr.metric).map(|r| r.total)).collect();
            if let Some(n) = dep.keda.poll(spec, t, dep.desired, &values) {
                dep.desired = n;
            }
            if hpa_due && dep.desired > 0 && !dep.keda.in_fallback(spec) {
                let hpa = spec.hpa();
                let (down, up) = tolerances(&hpa.behavior, tol);
                // GetExternalPerPodMetricReplicas per trigger: total over the per-pod target, within the
                // tolerance band; the HPA takes the maximum.
                let status_replicas = c.total.max(1);
                let proposals: Vec<Option<u32>> = spec
                    .triggers
                    .iter()
                    .zip(&values)
                    .map(|(tr, v)| {
                        v.and_then(|total| {
                            external_per_pod_replicas(status_replicas, total, tr.target_per_pod, down, up)
                        })
                    })
                    .collect();
                dep.desired = if hpa.without_behavior {
                    dep.keda.hpa.reconcile_without_behavior(&hpa, t, dep.desired, &proposals)
                } else {
                    dep.keda.hpa.reconcile(&hpa, t, dep.desired, &proposals)
                };
                dep.hit_max |=
                    dep.desired >= hpa.max_replicas && proposals.iter().flatten().any(|p| *p > hpa.max_replicas);
            }
        }
    }
}

pub(super) fn tolerances(b: &crate::sim::hpa::Behavior, default: f64) -> (f64, f64) {
    (b.scale_down.tolerance.unwrap_or(default), b.scale_up.tolerance.unwrap_or(default))
}
