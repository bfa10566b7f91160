//! The dynamic pitfalls a linter can see before any simulation: settings that make a plan miss its
//! SLOs over its day although its peak sizing is right.

use crate::finding::{Finding, Severity};
use crate::plan::{self, Plan};

pub(super) fn lint_dynamic(plan: &Plan, out: &mut Vec<Finding>) {
    let w = &plan.spec.workload;
    let timeout_s = w.request_timeout_s();
    let longest_e2e_ms =
        w.slos.iter().filter(|s| s.metric == plan::SloMetric::E2e).map(|s| s.limit_ms).fold(0.0, f64::max);
    if longest_e2e_ms > timeout_s * 1e3 {
        let field = if w.request_timeout_seconds.is_some() { "requestTimeoutSeconds" } else { "slos" };
        out.push(Finding::new(
            "TF045",
            Severity::Warning,
            format!("spec.workload.{field}"),
            format!(
                "the request timeout ({timeout_s} s{}) is shorter than the end-to-end SLO ({} s): requests the SLO \
                 accepts are cut off and dropped, not served late",
                if w.request_timeout_seconds.is_some() { "" } else { ", the ALB default" },
                longest_e2e_ms / 1e3
            ),
            "raise the gateway's timeout (the ALB idle timeout) and spec.workload.requestTimeoutSeconds to at least the \
             end-to-end SLO",
        ));
    }
    for (i, d) in plan.spec.deployments.iter().enumerate() {
        let Some(a) = &d.autoscaler else { continue };
        // A queue reads zero whenever the replicas keep up: the ratio then asks for the minimum, the
        // queue forms again, and the autoscaler turns around all day.
        if !a.metrics.is_empty() && a.metrics.iter().all(|m| m.metric == plan::MetricKind::QueueDepth) {
            out.push(Finding::new(
                "TF046",
                Severity::Warning,
                format!("spec.deployments[{i}].autoscaler.metrics"),
                format!(
                    "{} scales only on queue depth, which reads zero whenever capacity suffices: the autoscaler scales \
                     in until a queue forms, then out again, and flaps all day (each turn a cold start)",
                    d.name
                ),
                "add a signal that grows with the load below capacity (runningRequests or kvCacheUsage) and keep \
                 queueDepth as the second signal; lengthen scaleDownStabilizationSeconds",
            ));
        }
    }
}
