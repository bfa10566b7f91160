//! The dynamic pitfalls a linter can see before any simulation: settings that make a plan miss its
//! SLOs over its day although its peak sizing is right.

use crate::finding::{Finding, Severity};
use crate::place::{self, sizing};
use crate::plan::{self, Plan};
use crate::sim::verdict::cold_start_parts;
use crate::sim::{PodStart, Timing, WeightsLoad};

/// The share of its capacity an autoscaled replica keeps spare: the complement of the 70 % target
/// the default autoscaler and the recommender's middle candidates run at.
const SPARE_FRACTION: f64 = 0.3;
/// A cold start at least this long leaves a burst to wait for minutes.
const LONG_COLD_START_S: f64 = 120.0;

pub(super) fn lint_dynamic(plan: &Plan, outcome: &place::Outcome, out: &mut Vec<Finding>) {
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
    let critical = w.slo_critical();
    let rate = &w.requests_per_second;
    let timing = Timing { request_timeout_s: timeout_s, ..Timing::default() };
    let (trace_steepest, trace_highest) =
        if plan.spec.deployments.iter().any(|d| d.autoscaler.is_some()) { trace_shape(plan) } else { (0.0, 0.0) };
    for (i, d) in plan.spec.deployments.iter().enumerate() {
        let Some(a) = &d.autoscaler else { continue };
        // A queue reads zero whenever the replicas keep up: the ratio then asks for the minimum, the
        // queue forms again, and the autoscaler turns around all day. Paired with a utilisation signal
        // (KV cache, GPU, CPU) it still flaps: those read low until the replicas are nearly full.
        let queue = a.metrics.iter().any(|m| m.metric == plan::MetricKind::QueueDepth);
        let follows_load =
            a.metrics.iter().any(|m| matches!(m.metric, plan::MetricKind::RunningRequests | plan::MetricKind::Ttft));
        // Only where the autoscaler has to move: minReplicas below what the peak needs.
        let fleet = outcome.deployments.iter().find(|f| f.deployment == d.name && f.role == "server");
        let moves = fleet.and_then(|f| f.replicas_for_peak.map(|need| f.replicas < need)).unwrap_or(true);
        if queue && !follows_load && moves {
            let others: Vec<String> = a
                .metrics
                .iter()
                .filter(|m| m.metric != plan::MetricKind::QueueDepth)
                .map(|m| {
                    // The plan's own name for it (`kvCacheUsage`).
                    let name = serde_json::to_value(m.metric).ok().and_then(|v| v.as_str().map(str::to_string));
                    format!("{} {}", name.unwrap_or_default(), m.target)
                })
                .collect();
            let paired = if others.is_empty() {
                "scales only on queue depth, which reads zero whenever capacity suffices".to_string()
            } else {
                format!(
                    "scales on queue depth, which reads zero whenever capacity suffices, and on {}, which reads low \
                     until the replicas are nearly full",
                    others.join(", ")
                )
            };
            out.push(Finding::new(
                "TF046",
                Severity::Warning,
                format!("spec.deployments[{i}].autoscaler.metrics"),
                format!(
                    "{} {paired}: the autoscaler scales in until a queue forms, then out again, and flaps all day (each \
                     turn a cold start)",
                    d.name
                ),
                "scale on runningRequests (it grows with the load below capacity) and keep queueDepth as the second \
                 signal; lengthen scaleDownStabilizationSeconds",
            ));
        }
        // The scale-up path: the autoscaler's reaction, then a new node and pod, end to end.
        let Some(fleet) = fleet else { continue };
        let (Some(need), Some(weights_gib)) = (fleet.replicas_for_peak, sizing::weights_gib(d)) else { continue };
        // The pod's start as the simulator builds it: the first pool's OS, image cache and pull mode,
        // the deployment's weights and compilation.
        let pool = fleet.node_pools.first().and_then(|p| plan.node_pool(p));
        let start = crate::sim::plan_adapter::pod_start(plan, d, pool, weights_gib);
        let mut parts = cold_start_parts(&timing, &start);
        // Warm capacity saves the node's start (and, for placeholders, the image pull) of the first
        // replicas of a burst; a static NodePool the deployment may use saves the node's start.
        let static_pool = plan.spec.node_pools.iter().any(|p| {
            p.replicas.is_some_and(|r| r > 0) && d.fleets().iter().any(|f| place::pool_rejects(p, d, f).is_none())
        });
        let warm = d.warm_capacity.filter(|w| w.replicas > 0);
        if warm.is_some() || static_pool {
            let prepulled = warm.is_some_and(|w| w.kind == plan::WarmCapacityKind::PlaceholderPods);
            parts.retain(|p| {
                let saved = ["batching", "launch", "boot", "device plugin"].contains(&p.part)
                    || (prepulled && p.part == "image pull");
                !saved
            });
        }
        let has_warm = warm.is_some() || static_pool;
        // The HPA (KEDA's own, above zero replicas) syncs every 15 s; KEDA's polling interval only
        // wakes a deployment scaled to zero.
        let poll_s = match a.kind {
            plan::AutoscalerKind::Keda if d.replicas.min == 0 => a.polling_interval_seconds.map_or(30.0, f64::from),
            _ => timing.hpa_sync_period_s,
        };
        let cold_s: f64 = parts.iter().map(|p| p.seconds).sum::<f64>() + timing.metrics_scrape_interval_s + poll_s;
        let listed: Vec<String> = parts.iter().map(|p| format!("{} {:.0} s", p.part, p.seconds)).collect();
        // Each deployment serves its share of the traffic (`Plan::traffic_share`), as it was sized.
        let share = plan.traffic_share();
        let per_replica = if need > 0 { rate.peak * share / need as f64 } else { 0.0 };
        // The steepest rise of the day: the diurnal cosine's, or the plan's trace's over five minutes.
        let ramp = share * trace_steepest.max((rate.peak - rate.baseline).max(0.0) * std::f64::consts::PI / 86_400.0);
        let spare = fleet.replicas as f64 * per_replica * SPARE_FRACTION;
        // It cannot rise by more than the whole swing of the day.
        let swing = share * (rate.peak.max(trace_highest) - rate.baseline).max(0.0);
        let growth = (ramp * cold_s).min(swing);
        if growth > spare && per_replica > 0.0 {
            out.push(Finding::new(
                "TF047",
                Severity::Warning,
                format!("spec.deployments[{i}].replicas.min"),
                format!(
                    "{}: a new replica is ready {cold_s:.0} s after the load calls for it (metrics and autoscaler \
                     {:.0} s, {}); the traffic rises by {:.2} requests/s meanwhile, more than the {:.2} spare on {}: \
                     every ramp queues",
                    d.name,
                    timing.metrics_scrape_interval_s + poll_s,
                    listed.join(", "),
                    growth,
                    spare,
                    crate::units::count(fleet.replicas as u64, "running replica")
                ),
                shorten_the_start(d, &start),
            ));
        } else if critical && w.trace.is_none() && fleet.replicas < need && cold_s >= LONG_COLD_START_S && !has_warm {
            out.push(Finding::new(
                "TF048",
                Severity::Info,
                format!("spec.deployments[{i}].replicas.min"),
                format!(
                    "{}: a burst to the declared peak finds {} of the {need} replicas it needs and waits {cold_s:.0} s \
                     for the others ({}); no warm capacity covers SLO-critical traffic meanwhile",
                    d.name,
                    fleet.replicas,
                    listed.join(", ")
                ),
                "keep warm capacity for bursts: spec.deployments[].warmCapacity {kind: capacityBuffer or \
                 placeholderPods, replicas: N} (per stage when disaggregated), a static NodePool \
                 (spec.nodePools[].replicas), or a higher replicas.min; `tokenfleet plan` shows what the bursts \
                 cost over the day",
            ));
        }
    }
}

/// TF047's fix: warm replicas, an earlier scale-up, or the start-up levers this deployment does not
/// use yet, each by its plan field.
fn shorten_the_start(d: &plan::Deployment, start: &PodStart) -> String {
    let mut levers = vec![];
    if !start.image_cached {
        levers.push(
            "pre-pull the image onto the data volume's EBS snapshot (spec.nodeClasses[].imageCache, Bottlerocket)",
        );
    }
    if !start.image_cached && !start.parallel_pull {
        levers.push("pull it in parallel (spec.nodeClasses[].imagePull: parallel)");
    }
    if start.weights == WeightsLoad::Download {
        levers.push("stream the weights from S3 (weights.source: s3Streamer) or read them from a shared file system (weights.source: sharedFileSystem)");
        if !d.weights_node_cache() {
            levers.push("keep them on the node's NVMe for the next pod (weights.nodeCache)");
        }
    }
    if start.neuron_compile {
        levers.push("cache the compiled artifacts (compileCache)");
    }
    let mut fix = "keep more replicas warm (replicas.min) or spare capacity for the burst (warmCapacity: \
                   capacityBuffer or placeholderPods, or a static NodePool's replicas), or scale earlier (a lower \
                   target)"
        .to_string();
    if !levers.is_empty() {
        fix.push_str(", or shorten the start: ");
        fix.push_str(&levers.join("; "));
    }
    fix
}

/// The deployments keeping their weights on the node (`weights.nodeCache`) whose pools offer no
/// instance type with local NVMe: the cache then sits on the EBS data volume.
pub(super) fn lint_node_cache(plan: &Plan, outcome: &place::Outcome, out: &mut Vec<Finding>) {
    for (i, d) in plan.spec.deployments.iter().enumerate() {
        if !d.weights_node_cache() {
            continue;
        }
        let pools: Vec<&plan::NodePool> = outcome
            .deployments
            .iter()
            .filter(|f| f.deployment == d.name)
            .flat_map(|f| f.node_pools.iter())
            .filter_map(|p| plan.node_pool(p))
            .collect();
        let nvme = pools.iter().any(|p| place::pool_instance_types(p).any(|t| t.local_nvme_gb > 0));
        if !pools.is_empty() && !nvme {
            let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
            out.push(Finding::new(
                "TF053",
                Severity::Warning,
                format!("spec.deployments[{i}].weights.nodeCache"),
                format!(
                    "{} keeps its weights on the node's instance store, but NodePool {} offers no instance type with \
                     local NVMe: the cache falls back to the EBS data volume",
                    d.name,
                    names.join(", ")
                ),
                "allow instance types with an instance store (g4dn, g5, g6, g6e, p4d, p5 have one; inf2 and p3 do not) or drop weights.nodeCache",
            ));
        }
    }
}

/// An inline trace's steepest rise (requests/s per second, over windows of five minutes) and its
/// highest rate; zeros without one. One read of the CSV for both.
fn trace_shape(plan: &Plan) -> (f64, f64) {
    let Some(Ok(rows)) = plan.spec.workload.trace.as_ref().and_then(plan::TraceRef::inline_rows) else {
        return (0.0, 0.0);
    };
    let mut steepest = 0.0f64;
    for (k, row) in rows.iter().enumerate() {
        for later in rows[k + 1..].iter().take_while(|r| r.t_s - row.t_s <= 300.0) {
            let dt = (later.t_s - row.t_s).max(60.0);
            steepest = steepest.max((later.requests_per_s - row.requests_per_s) / dt);
        }
    }
    (steepest, rows.iter().map(|r| r.requests_per_s).fold(0.0, f64::max))
}

/// Values the recommender leaves for the user to supply (`cr-replaceme…`, `snap-0replaceme`,
/// `s3://replaceme/…`): the API server accepts them, but nodes would not launch into a reservation
/// that does not exist, nor mount a snapshot, nor pods load weights from a bucket that is not there.
pub(super) fn lint_placeholders(plan: &Plan, out: &mut Vec<Finding>) {
    let mut found = |path: String, what: &str, value: &str, fix: &str| {
        out.push(Finding::new(
            "TF054",
            Severity::Warning,
            path,
            format!(
                "{value:?} is a placeholder for {what}: the manifests would apply, and then fail at launch or start"
            ),
            fix,
        ));
    };
    for (c, class) in plan.spec.node_classes.iter().enumerate() {
        for (r, res) in class.capacity_reservations.iter().enumerate() {
            if res.id.starts_with(plan::RESERVATION_PLACEHOLDER) {
                found(
                    format!("spec.nodeClasses[{c}].capacityReservations[{r}].id"),
                    "a capacity reservation",
                    &res.id,
                    "buy the reservation (On-Demand Capacity Reservation or Capacity Block; `tokenfleet export --format \
                     terraform` writes it as code) and put its cr-… id here",
                );
            }
        }
        if let Some(cache) = class.image_cache.as_ref().filter(|c| c.snapshot_id == plan::SNAPSHOT_PLACEHOLDER) {
            found(
                format!("spec.nodeClasses[{c}].imageCache.snapshotId"),
                "an EBS snapshot of the images",
                &cache.snapshot_id,
                "build the snapshot with the serving images pulled (aws-samples/bottlerocket-images-cache), enable Fast \
                 Snapshot Restore, and put its snap-… id here",
            );
        }
    }
    for (i, d) in plan.spec.deployments.iter().enumerate() {
        let placeholder =
            |uri: &Option<String>| uri.as_deref().filter(|u| u.starts_with(plan::S3_PLACEHOLDER)).map(str::to_string);
        if let Some(uri) = d.weights.as_ref().and_then(|w| placeholder(&w.uri)) {
            found(
                format!("spec.deployments[{i}].weights.uri"),
                "the bucket holding the model's weights",
                &uri,
                "upload the model's files to S3 and put their s3://bucket/prefix here (the pods need read access)",
            );
        }
        if let Some(uri) = d.compile_cache.as_ref().and_then(|c| placeholder(&c.uri)) {
            found(
                format!("spec.deployments[{i}].compileCache.uri"),
                "the bucket for Neuron's compiled artifacts",
                &uri,
                "create the bucket (or prefix) and put its s3://bucket/prefix here (the pods need read and write access)",
            );
        }
    }
}
