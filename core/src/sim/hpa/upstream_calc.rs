//! The replica calculator cases of kubernetes/kubernetes
//! `pkg/controller/podautoscaler/replica_calculator_test.go`, transcribed as data and run against
//! [`metric_replicas`] and [`external_per_pod_replicas`].
//!
//! Source: the newest version of that file in the public-code index (autoscaling/v2, per-container
//! cases, `GetResourceReplicas(context.TODO(), …, tc.container)`, `TestCalculatePodRequests` with
//! restartable init containers); the index did not give that version's commit id. Its helpers:
//! tolerance 0.1, CPU initialisation period 2 min, initial readiness delay 10 s, every pod has two
//! containers, `makePodMetricLevels(a, b, …)` gives each container of pod i the level i, metric
//! values are milli-units, a "hot" pod started now and a "cool" one 3 min ago.
//!
//! The driver does what the test fixture and the metrics client do: it lists the pods, groups them
//! as `groupPods` does (deleted and failed pods ignored, pending pods unready, pods without a sample
//! missing, and for CPU a pod unready when its Ready condition is False or it is "hot": its sample
//! predates one metric window after its zero LastTransitionTime) and computes the metric value the
//! controller sees (for CPU the integer utilisation over requests). The replica count is ours.

use super::*;

#[derive(Clone, Copy, PartialEq)]
enum Start {
    Zero,
    Hot,
    Cool,
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Running,
    Pending,
    Failed,
}

#[derive(Clone, Copy)]
enum Levels {
    /// `makePodMetricLevels`: both containers of pod i at level i.
    Same(&'static [i64]),
    /// Per pod, per container (`container1`, `container2`).
    PerContainer(&'static [&'static [i64]]),
}

#[derive(Clone, Copy)]
enum Metric {
    /// A Resource (CPU) metric with a Utilization target. `container`: 0 for `container1`, 1 for
    /// `container2`, `None` for the whole pod. Expected: utilisation and raw average value.
    Cpu { requests: &'static [i64], levels: Levels, container: Option<usize>, target: u32, util: i64, raw: i64 },
    /// A Pods metric with an AverageValue target (`podMetric`).
    Pods { levels: &'static [i64], target: i64, usage: i64 },
    /// An Object metric with a Value target (`objectMetric`).
    Object { value: i64, target: i64 },
    /// An Object metric with an AverageValue target (`objectPerPodMetric`).
    ObjectPerPod { value: i64, target: i64, usage: i64 },
    /// An External metric with a Value target (`externalMetric`).
    External { levels: &'static [i64], target: i64 },
    /// An External metric with an AverageValue target (`externalPerPodMetric`).
    ExternalPerPod { levels: &'static [i64], target: i64, usage: i64 },
}

struct Case {
    name: &'static str,
    current: u32,
    /// `None`: upstream expects an error (no replica count).
    expected: Option<u32>,
    metric: Metric,
    readiness: &'static [bool],
    start: &'static [Start],
    phase: &'static [Phase],
    deleting: &'static [bool],
    /// Metric samples name pods that do not exist (`podNames`).
    foreign_pod_names: bool,
}

const BASE: Case = Case {
    name: "",
    current: 0,
    expected: None,
    metric: Metric::Object { value: 0, target: 1 },
    readiness: &[],
    start: &[],
    phase: &[],
    deleting: &[],
    foreign_pod_names: false,
};

use Phase::{Failed, Pending, Running};
use Start::{Cool, Hot};
const T: bool = true;
const F: bool = false;

const fn cpu(requests: &'static [i64], levels: Levels, target: u32, util: i64, raw: i64) -> Metric {
    Metric::Cpu { requests, levels, container: None, target, util, raw }
}
const fn cpu_c(requests: &'static [i64], levels: Levels, c: usize, target: u32, util: i64, raw: i64) -> Metric {
    Metric::Cpu { requests, levels, container: Some(c), target, util, raw }
}
const fn pods(levels: &'static [i64], target: i64, usage: i64) -> Metric {
    Metric::Pods { levels, target, usage }
}

#[rustfmt::skip]
static CASES: &[Case] = &[
    Case { name: "TestReplicaCalcDisjointResourcesMetrics", current: 1, expected: None, foreign_pod_names: true,
        metric: cpu(&[1000; 1], Levels::Same(&[100]), 100, 0, 0), ..BASE },
    Case { name: "TestReplicaCalcScaleUp", current: 3, expected: Some(5),
        metric: cpu(&[1000; 3], Levels::Same(&[300, 500, 700]), 30, 50, 1000), ..BASE },
    Case { name: "TestReplicaCalcContainerScaleUp", current: 3, expected: Some(5),
        metric: cpu_c(&[1000; 3], Levels::PerContainer(&[&[1000, 300], &[1000, 500], &[1000, 700]]), 1, 30, 50, 500), ..BASE },
    Case { name: "TestReplicaCalcScaleUpUnreadyLessScale", current: 3, expected: Some(4), readiness: &[F, T, T],
        metric: cpu(&[1000; 3], Levels::Same(&[300, 500, 700]), 30, 60, 1200), ..BASE },
    Case { name: "TestReplicaCalcScaleUpContainerHotCpuLessScale", current: 3, expected: Some(4), start: &[Hot, Cool, Cool],
        metric: cpu_c(&[1000; 3], Levels::PerContainer(&[&[0, 300], &[0, 500], &[0, 700]]), 1, 30, 60, 600), ..BASE },
    Case { name: "TestReplicaCalcScaleUpHotCpuLessScale", current: 3, expected: Some(4), start: &[Hot, Cool, Cool],
        metric: cpu(&[1000; 3], Levels::Same(&[300, 500, 700]), 30, 60, 1200), ..BASE },
    Case { name: "TestReplicaCalcScaleUpUnreadyNoScale", current: 3, expected: Some(3), readiness: &[T, F, F],
        metric: cpu(&[1000; 3], Levels::Same(&[400, 500, 700]), 30, 40, 800), ..BASE },
    Case { name: "TestReplicaCalcScaleHotCpuNoScale", current: 3, expected: Some(3), readiness: &[T, F, F], start: &[Cool, Hot, Hot],
        metric: cpu(&[1000; 3], Levels::Same(&[400, 500, 700]), 30, 40, 800), ..BASE },
    Case { name: "TestReplicaCalcScaleUpIgnoresFailedPods", current: 2, expected: Some(4), readiness: &[T, T, F, F],
        phase: &[Running, Running, Failed, Failed],
        metric: cpu(&[1000; 4], Levels::Same(&[500, 700]), 30, 60, 1200), ..BASE },
    Case { name: "TestReplicaCalcMissingContainerMetricScaleUpIgnoresFailedPods", current: 2, expected: Some(4),
        readiness: &[T, T, F, F], phase: &[Running, Running, Failed, Failed],
        metric: cpu_c(&[1000; 4], Levels::PerContainer(&[&[1000, 500], &[9000, 700], &[1000], &[9000]]), 1, 30, 60, 600), ..BASE },
    Case { name: "TestReplicaCalcScaleUpContainerIgnoresFailedPods", current: 2, expected: Some(4),
        readiness: &[T, T, F, F], phase: &[Running, Running, Failed, Failed],
        metric: cpu_c(&[1000; 4], Levels::PerContainer(&[&[1000, 500], &[9000, 700]]), 1, 30, 60, 600), ..BASE },
    Case { name: "TestReplicaCalcScaleUpIgnoresDeletionPods", current: 2, expected: Some(4), readiness: &[T, T, F, F],
        phase: &[Running, Running, Running, Running], deleting: &[F, F, T, T],
        metric: cpu(&[1000; 4], Levels::Same(&[500, 700]), 30, 60, 1200), ..BASE },
    Case { name: "TestReplicaCalcScaleUpContainerIgnoresDeletionPods", current: 2, expected: Some(4), readiness: &[T, T, F, F],
        phase: &[Running, Running, Running, Running], deleting: &[F, F, T, T],
        metric: cpu_c(&[1000; 4], Levels::Same(&[500, 700]), 0, 30, 60, 600), ..BASE },
    Case { name: "TestReplicaCalcScaleUpCM", current: 3, expected: Some(4),
        metric: pods(&[20000, 10000, 30000], 15000, 20000), ..BASE },
    Case { name: "TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale", current: 3, expected: Some(6), readiness: &[T, T, F],
        start: &[Cool, Cool, Hot], metric: pods(&[50000, 10000, 30000], 15000, 30000), ..BASE },
    Case { name: "TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown", current: 3, expected: Some(7),
        readiness: &[F, T, F], start: &[Hot, Cool, Hot], metric: pods(&[50000, 15000, 30000], 15000, 31666), ..BASE },
    Case { name: "TestReplicaCalcScaleUpCMObject", current: 3, expected: Some(4),
        metric: Metric::Object { value: 20000, target: 15000 }, ..BASE },
    Case { name: "TestReplicaCalcScaleUpCMPerPodObject", current: 3, expected: Some(4),
        metric: Metric::ObjectPerPod { value: 20000, target: 5000, usage: 6667 }, ..BASE },
    Case { name: "TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods", current: 3, expected: Some(5), readiness: &[F, T, F],
        metric: Metric::Object { value: 50000, target: 10000 }, ..BASE },
    // Upstream declares this one a podMetric despite its name.
    Case { name: "TestReplicaCalcScaleUpCMExternal", current: 1, expected: Some(2), metric: pods(&[8600], 4400, 8600), ..BASE },
    Case { name: "TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods", current: 3, expected: Some(2), readiness: &[F, T, F],
        metric: Metric::External { levels: &[8600], target: 4400 }, ..BASE },
    Case { name: "TestReplicaCalcScaleUpCMExternalNoLabels", current: 1, expected: Some(2), metric: pods(&[8600], 4400, 8600), ..BASE },
    Case { name: "TestReplicaCalcScaleUpPerPodCMExternal", current: 3, expected: Some(4),
        metric: Metric::ExternalPerPod { levels: &[8600], target: 2150, usage: 2867 }, ..BASE },
    Case { name: "TestReplicaCalcScaleDown", current: 5, expected: Some(3),
        metric: cpu(&[1000; 5], Levels::Same(&[100, 300, 500, 250, 250]), 50, 28, 560), ..BASE },
    Case { name: "TestReplicaCalcContainerScaleDown", current: 5, expected: Some(3),
        metric: cpu_c(&[1000; 5], Levels::PerContainer(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]), 1, 50, 28, 280), ..BASE },
    Case { name: "TestReplicaCalcScaleDownCM", current: 5, expected: Some(3),
        metric: pods(&[12000, 12000, 12000, 12000, 12000], 20000, 12000), ..BASE },
    Case { name: "TestReplicaCalcScaleDownPerPodCMObject", current: 5, expected: Some(3),
        metric: Metric::ObjectPerPod { value: 6000, target: 2000, usage: 1200 }, ..BASE },
    Case { name: "TestReplicaCalcScaleDownCMObject", current: 5, expected: Some(3),
        metric: Metric::Object { value: 12000, target: 20000 }, ..BASE },
    Case { name: "TestReplicaCalcScaleDownCMExternal", current: 5, expected: Some(3),
        metric: Metric::External { levels: &[8600], target: 14334 }, ..BASE },
    Case { name: "TestReplicaCalcScaleDownPerPodCMExternal", current: 5, expected: Some(3),
        metric: Metric::ExternalPerPod { levels: &[8600], target: 2867, usage: 1720 }, ..BASE },
    Case { name: "TestReplicaCalcScaleDownExcludeUnreadyPods", current: 5, expected: Some(2), readiness: &[T, T, T, F, F],
        metric: cpu(&[1000; 5], Levels::Same(&[100, 300, 500, 250, 250]), 50, 30, 600), ..BASE },
    Case { name: "TestReplicaCalcScaleDownContainerExcludeUnreadyPods", current: 5, expected: Some(2), readiness: &[T, T, T, F, F],
        metric: cpu_c(&[1000; 5], Levels::PerContainer(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]), 1, 50, 30, 300), ..BASE },
    Case { name: "TestReplicaCalcScaleDownExcludeUnscheduledPods", current: 5, expected: Some(1), readiness: &[T, F, F, F, F],
        phase: &[Running, Pending, Pending, Pending, Pending],
        metric: cpu(&[1000; 5], Levels::Same(&[100]), 50, 10, 200), ..BASE },
    Case { name: "TestReplicaCalcScaleDownContainerExcludeUnscheduledPods", current: 5, expected: Some(1), readiness: &[T, F, F, F, F],
        phase: &[Running, Pending, Pending, Pending, Pending],
        metric: cpu_c(&[1000; 5], Levels::PerContainer(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]), 1, 50, 10, 100), ..BASE },
    Case { name: "TestReplicaCalcScaleDownIgnoreHotCpuPods", current: 5, expected: Some(2), start: &[Cool, Cool, Cool, Hot, Hot],
        metric: cpu(&[1000; 5], Levels::Same(&[100, 300, 500, 250, 250]), 50, 30, 600), ..BASE },
    Case { name: "TestReplicaCalcScaleDownContainerIgnoreHotCpuPods", current: 5, expected: Some(2), start: &[Cool, Cool, Cool, Hot, Hot],
        metric: cpu_c(&[1000; 5], Levels::PerContainer(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 1000], &[1000, 1000]]), 1, 50, 30, 300), ..BASE },
    Case { name: "TestReplicaCalcScaleDownIgnoresFailedPods", current: 5, expected: Some(3), readiness: &[T, T, T, T, T, F, F],
        phase: &[Running, Running, Running, Running, Running, Failed, Failed],
        metric: cpu(&[1000; 7], Levels::Same(&[100, 300, 500, 250, 250]), 50, 28, 560), ..BASE },
    Case { name: "TestReplicaCalcScaleDownContainerIgnoresFailedPods", current: 5, expected: Some(3), readiness: &[T, T, T, T, T, F, F],
        phase: &[Running, Running, Running, Running, Running, Failed, Failed],
        metric: cpu_c(&[1000; 7], Levels::PerContainer(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]), 1, 50, 28, 280), ..BASE },
    Case { name: "TestReplicaCalcScaleDownIgnoresDeletionPods", current: 5, expected: Some(3), readiness: &[T, T, T, T, T, F, F],
        phase: &[Running; 7], deleting: &[F, F, F, F, F, T, T],
        metric: cpu(&[1000; 7], Levels::Same(&[100, 300, 500, 250, 250]), 50, 28, 560), ..BASE },
    Case { name: "TestReplicaCalcScaleDownIgnoresDeletionPods_StillRunning", current: 5, expected: Some(3),
        readiness: &[T, T, T, T, T, F, F], phase: &[Running; 7], deleting: &[F, F, F, F, F, T, T],
        metric: cpu_c(&[1000; 7], Levels::PerContainer(&[&[1000, 100], &[1000, 300], &[1000, 500], &[1000, 250], &[1000, 250]]), 1, 50, 28, 280), ..BASE },
    Case { name: "TestReplicaCalcTolerance", current: 3, expected: Some(3),
        metric: cpu(&[900, 1000, 1100], Levels::Same(&[1010, 1030, 1020]), 100, 102, 2040), ..BASE },
    Case { name: "TestReplicaCalcToleranceCM", current: 3, expected: Some(3),
        metric: pods(&[20000, 21000, 21000], 20000, 20666), ..BASE },
    Case { name: "TestReplicaCalcToleranceCMObject", current: 3, expected: Some(3),
        metric: Metric::Object { value: 20666, target: 20000 }, ..BASE },
    Case { name: "TestReplicaCalcTolerancePerPodCMObject", current: 4, expected: Some(4),
        metric: Metric::ObjectPerPod { value: 20166, target: 5000, usage: 5042 }, ..BASE },
    Case { name: "TestReplicaCalcToleranceCMExternal", current: 3, expected: Some(3),
        metric: Metric::External { levels: &[8600], target: 8888 }, ..BASE },
    Case { name: "TestReplicaCalcTolerancePerPodCMExternal", current: 3, expected: Some(3),
        metric: Metric::ExternalPerPod { levels: &[8600], target: 2900, usage: 2867 }, ..BASE },
    // Six samples for four pods: the two extra samples name no pod and do not count.
    Case { name: "TestReplicaCalcSuperfluousMetrics", current: 4, expected: Some(24),
        metric: cpu(&[1000; 4], Levels::Same(&[4000, 9500, 3000, 7000, 3200, 2000]), 100, 587, 11750), ..BASE },
    Case { name: "TestReplicaCalcMissingMetrics", current: 4, expected: Some(3),
        metric: cpu(&[1000; 4], Levels::Same(&[400, 95]), 100, 24, 495), ..BASE },
    Case { name: "TestReplicaCalcEmptyMetrics", current: 4, expected: None,
        metric: cpu(&[1000; 3], Levels::Same(&[]), 100, 0, 0), ..BASE },
    Case { name: "TestPlainMetricReplicaCalcMissingMetricsNoChangeEq", current: 5, expected: Some(5),
        metric: pods(&[20000, 19000, 21000], 20000, 20000), ..BASE },
    Case { name: "TestReplicaCalcMissingMetricsNoChangeEq", current: 2, expected: Some(2),
        metric: cpu(&[1000; 2], Levels::Same(&[1000]), 100, 100, 2000), ..BASE },
    Case { name: "TestReplicaCalcMissingMetricsNoChangeGt", current: 2, expected: Some(2),
        metric: cpu(&[1000; 2], Levels::Same(&[1900]), 100, 190, 3800), ..BASE },
    Case { name: "TestReplicaCalcMissingMetricsNoChangeLt", current: 2, expected: Some(2),
        metric: cpu(&[1000; 2], Levels::Same(&[600]), 100, 60, 1200), ..BASE },
    Case { name: "TestReplicaCalcMissingMetricsUnreadyChange", current: 3, expected: Some(3), readiness: &[F, T, T],
        metric: cpu(&[1000; 3], Levels::Same(&[100, 450]), 50, 45, 900), ..BASE },
    Case { name: "TestReplicaCalcMissingMetricsHotCpuNoChange", current: 3, expected: Some(3), start: &[Hot, Cool, Cool],
        metric: cpu(&[1000; 3], Levels::Same(&[100, 450]), 50, 45, 900), ..BASE },
    Case { name: "TestReplicaCalcMissingMetricsUnreadyScaleUp", current: 3, expected: Some(4), readiness: &[F, T, T],
        metric: cpu(&[1000; 3], Levels::Same(&[100, 2000]), 50, 200, 4000), ..BASE },
    Case { name: "TestReplicaCalcMissingMetricsHotCpuScaleUp", current: 3, expected: Some(4), readiness: &[F, T, T],
        start: &[Hot, Cool, Cool], metric: cpu(&[1000; 3], Levels::Same(&[100, 2000]), 50, 200, 4000), ..BASE },
    Case { name: "TestReplicaCalcMissingMetricsScaleDownTargetOver100", current: 4, expected: Some(2), readiness: &[F, T, T, T],
        metric: cpu(&[1000, 1000, 2000, 2000], Levels::Same(&[200, 100, 100]), 300, 6, 200), ..BASE },
    Case { name: "TestReplicaCalcDuringRollingUpdateWithMaxSurge", current: 2, expected: Some(2), phase: &[Running; 3],
        metric: cpu(&[1000; 3], Levels::Same(&[100, 100]), 50, 10, 200), ..BASE },
    Case { name: "TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM", current: 2, expected: Some(2), phase: &[Running; 3],
        metric: pods(&[10000, 10000], 17000, 10000), ..BASE },
    // TestReplicaCalcComputedToleranceAlgImplementation, its numbers worked out: ten pods at 150m per
    // container, requests 300m ± (100, 10, 2, 1, 0) per container, so 50 % utilisation. Target
    // int32((1 / (2 × 0.9) + 0.01) × 100) = 56 gives ceil(1500 / (3000 × 0.5656) × 10) = 9 …
    Case { name: "TestReplicaCalcComputedToleranceAlgImplementation (scale)", current: 10, expected: Some(9),
        metric: cpu(&[400, 200, 310, 290, 302, 298, 301, 299, 300, 300], Levels::Same(&[150; 10]), 56, 50, 300), ..BASE },
    // … and int32((1 / (2 × 0.9) + 0.004) × 100) = 55 stays inside the tolerance.
    Case { name: "TestReplicaCalcComputedToleranceAlgImplementation (no scale)", current: 10, expected: Some(10),
        metric: cpu(&[400, 200, 310, 290, 302, 298, 301, 299, 300, 300], Levels::Same(&[150; 10]), 55, 50, 300), ..BASE },
];

/// Upstream cases the simulator cannot run, with the reason.
const NOT_APPLICABLE: &[(&str, &str)] = &[
    (
        "TestReplicaCalcMissingMetricsUnreadyScaleDown",
        "Resource-only rule: on a scale-down a pod without a CPU sample counts at max(100 %, target) of \
         its request (here 100 % against a 50 % target); the simulator's metrics are Pods metrics, whose \
         missing pods count at the target",
    ),
    ("TestReplicaCalcEmptyCPURequest", "a container without a CPU request: the simulator has no CPU requests"),
    (
        "TestGroupPods (12 cases)",
        "pod classification from Ready-condition transition times and metric windows: the engine classifies \
         its pods itself (ready, pending, loading); the cases above run the classification's outcomes",
    ),
    ("TestCalculatePodRequests (5 cases)", "summing container and init-container CPU requests: no CPU requests"),
];

fn level(levels: Levels, pod: usize, container: Option<usize>) -> Option<i64> {
    let per_pod: Vec<i64> = match levels {
        Levels::Same(l) => vec![*l.get(pod)?; 2],
        Levels::PerContainer(l) => l.get(pod)?.to_vec(),
    };
    match container {
        Some(c) => per_pod.get(c).copied(),
        None => Some(per_pod.iter().sum()),
    }
}

/// Runs one case; returns (replicas, the usage the controller reports).
fn run(c: &Case) -> (Option<u32>, i64) {
    let n_pods = (c.current as usize).max(c.phase.len());
    let is_cpu = matches!(c.metric, Metric::Cpu { .. });
    let (mut ready, mut unready, mut missing) = (Vec::new(), 0u32, 0u32);
    let mut ready_condition = 0u32; // Running with Ready=True, as getReadyPodsCount counts
    for i in 0..n_pods {
        let phase = c.phase.get(i).copied().unwrap_or(Running);
        let is_ready = c.readiness.get(i).copied().unwrap_or(true);
        let start = c.start.get(i).copied().unwrap_or(Start::Zero);
        if phase == Running && is_ready {
            ready_condition += 1;
        }
        if c.deleting.get(i).copied().unwrap_or(false) || phase == Failed {
            continue;
        }
        if phase == Pending {
            unready += 1;
            continue;
        }
        let sample = match c.metric {
            _ if c.foreign_pod_names => None,
            Metric::Cpu { levels, container, .. } => level(levels, i, container),
            Metric::Pods { levels, .. } => levels.get(i).copied(),
            _ => Some(0),
        };
        let Some(sample) = sample else {
            missing += 1;
            continue;
        };
        if is_cpu && (!is_ready || start == Start::Hot) {
            unready += 1;
            continue;
        }
        ready.push((i, sample));
    }
    let counts = PodCounts { ready: ready.len() as u32, unready, missing };
    let tol = HPA_TOLERANCE;
    match c.metric {
        Metric::Cpu { requests, container, target, .. } => {
            let per_pod_request = |i: usize| requests[i] * if container.is_some() { 1 } else { 2 };
            let used: i64 = ready.iter().map(|&(_, s)| s).sum();
            let requested: i64 = ready.iter().map(|&(i, _)| per_pod_request(i)).sum();
            if ready.is_empty() || requested == 0 {
                let r = metric_replicas(
                    c.current,
                    MetricTarget::AverageValue(target as f64),
                    no_reading(),
                    counts,
                    tol,
                    tol,
                );
                return (r, 0);
            }
            let util = used * 100 / requested;
            let reading = MetricReading { average_over_ready: util as f64, total: (util * ready.len() as i64) as f64 };
            let r = metric_replicas(c.current, MetricTarget::AverageValue(target as f64), reading, counts, tol, tol);
            (r, util * 1_000_000 + used / ready.len() as i64)
        }
        Metric::Pods { target, .. } => {
            let total: i64 = ready.iter().map(|&(_, s)| s).sum();
            let avg = if ready.is_empty() { 0 } else { total / ready.len() as i64 };
            let reading = MetricReading { average_over_ready: avg as f64, total: total as f64 };
            (metric_replicas(c.current, MetricTarget::AverageValue(target as f64), reading, counts, tol, tol), avg)
        }
        Metric::Object { value, target } | Metric::External { levels: &[value], target } => {
            let counts = PodCounts { ready: ready_condition, unready: n_pods as u32 - ready_condition, missing: 0 };
            let reading = MetricReading { average_over_ready: 0.0, total: value as f64 };
            (metric_replicas(c.current, MetricTarget::Value(target as f64), reading, counts, tol, tol), value)
        }
        Metric::ObjectPerPod { value, target, .. } | Metric::ExternalPerPod { levels: &[value], target, .. } => {
            let r = external_per_pod_replicas(c.current, value as f64, target as f64, tol, tol);
            (r, (value as f64 / c.current as f64).ceil() as i64)
        }
        Metric::External { .. } | Metric::ExternalPerPod { .. } => unreachable!("one external sample per case"),
    }
}

fn no_reading() -> MetricReading {
    MetricReading { average_over_ready: 0.0, total: 0.0 }
}

#[test]
fn replica_calculator_cases() {
    assert_eq!(CASES.len(), 62);
    for c in CASES {
        let (replicas, usage) = run(c);
        assert_eq!(replicas, c.expected, "{}: replicas", c.name);
        if c.expected.is_none() {
            continue;
        }
        let expected_usage = match c.metric {
            // Utilisation and raw average value, packed as the driver returns them.
            Metric::Cpu { util, raw, .. } => util * 1_000_000 + raw,
            Metric::Pods { usage, .. } | Metric::ObjectPerPod { usage, .. } | Metric::ExternalPerPod { usage, .. } => {
                usage
            }
            Metric::Object { value, .. } => value,
            Metric::External { levels, .. } => levels[0],
        };
        assert_eq!(usage, expected_usage, "{}: metric value the controller reports", c.name);
    }
}

#[test]
fn replica_calculator_cases_not_applicable_are_listed() {
    for (name, reason) in NOT_APPLICABLE {
        assert!(!reason.is_empty() && !CASES.iter().any(|c| c.name == *name), "{name}");
    }
}
