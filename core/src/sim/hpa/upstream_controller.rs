//! The whole-controller cases of kubernetes/kubernetes `pkg/controller/podautoscaler/horizontal_test.go`
//! at commit 003e86297d18a8538c9da3619871393f9703bf70 (the `testCase` / `runTest` tests), transcribed
//! as data: one sync of an HPA, checked on the replica count it writes.
//!
//! The fixture lists one pod per entry of `reportedCPURequests` when that is given (even empty), else
//! `statusReplicas` pods; `reportedLevels` are per-pod values (CPU split evenly over two containers,
//! as are the requests); a Ready condition's transition time is the pod's start time. Without
//! `scaleUpRules`/`scaleDownRules` the HPA has no `behavior` ([`HpaController::reconcile_without_behavior`]);
//! `recommendations: []` means an existing, empty log, `nil` (not set) a first sync, which seeds it.
//! Pods are grouped as in `upstream_calc` (same rules, same hot and cool start times).

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
    Failed,
}

/// The metrics of the HPA (targets in the units of the levels: percent for CPU, milli-units else).
#[derive(Clone, Copy)]
enum M {
    Cpu(u32),
    /// ContainerResource: target, container index (the per-pod level is split evenly).
    CpuContainer(u32),
    Pods(i64),
    Object(i64),
    ObjectPerPod(i64),
    External(i64),
    ExternalPerPod(i64),
    /// A metric whose computation fails (an invalid source type, a metrics API error).
    Failing,
}

#[derive(Clone, Copy)]
enum Recs {
    /// Not set: the first sync seeds the log with the current count.
    Nil,
    /// `[]timestampedRecommendation{}`.
    Empty,
    /// (value, age s).
    Given(&'static [(u32, f64)]),
}

struct Case {
    name: &'static str,
    min: u32,
    max: u32,
    spec: u32,
    status: u32,
    expected: u32,
    metrics: &'static [M],
    levels: &'static [i64],
    /// `None`: not given (status pods); `Some(&[])`: no pods.
    requests: Option<&'static [i64]>,
    readiness: &'static [bool],
    start: &'static [Start],
    phase: &'static [Phase],
    deleting: &'static [bool],
    recs: Recs,
    /// `generateScalingRules` arguments for scaleUp.
    up: Option<(u32, u32, u32, u32, u32)>,
}

const BASE: Case = Case {
    name: "",
    min: 2,
    max: 6,
    spec: 3,
    status: 3,
    expected: 0,
    metrics: &[],
    levels: &[],
    requests: None,
    readiness: &[],
    start: &[],
    phase: &[],
    deleting: &[],
    recs: Recs::Nil,
    up: None,
};

use Phase::{Failed, Running};
use Start::{Cool, Hot};
use M::{Cpu, CpuContainer, External, ExternalPerPod, Failing, Object, ObjectPerPod, Pods};
const T: bool = true;
const F: bool = false;
const R3: Option<&[i64]> = Some(&[1000; 3]);
const R5: Option<&[i64]> = Some(&[1000; 5]);
const R7: Option<&[i64]> = Some(&[1000; 7]);
const R_TOL: Option<&[i64]> = Some(&[900, 1000, 1100]);
const R_01: Option<&[i64]> = Some(&[100; 3]);
const L_UP: &[i64] = &[300, 500, 700];
const L_DOWN: &[i64] = &[100, 300, 500, 250, 250];
const RUN7: &[Phase] = &[Running; 7];
// TestComputedToleranceAlgImplementation: ten pods at 150m against requests 300m ± 100, 10, 2, 1, 0.
const R_ALG: Option<&[i64]> = Some(&[400, 200, 310, 290, 302, 298, 301, 299, 300, 300]);

#[rustfmt::skip]
static CASES: &[Case] = &[
    Case { name: "TestScaleUp", expected: 5, metrics: &[Cpu(30)], levels: L_UP, requests: R3, ..BASE },
    Case { name: "TestScaleUpContainer", expected: 5, metrics: &[CpuContainer(30)], levels: L_UP, requests: R3, ..BASE },
    Case { name: "TestScaleUpUnreadyLessScale", expected: 4, metrics: &[Cpu(30)], levels: L_UP, requests: R3, readiness: &[F, T, T], ..BASE },
    Case { name: "TestScaleUpHotCpuLessScale", expected: 4, metrics: &[Cpu(30)], levels: L_UP, requests: R3, start: &[Hot, Cool, Cool], ..BASE },
    Case { name: "TestScaleUpUnreadyNoScale", expected: 3, metrics: &[Cpu(30)], levels: &[400, 500, 700], requests: R3, readiness: &[T, F, F], ..BASE },
    Case { name: "TestScaleUpHotCpuNoScale", expected: 3, metrics: &[Cpu(30)], levels: &[400, 500, 700], requests: R3,
        readiness: &[T, F, F], start: &[Cool, Hot, Hot], ..BASE },
    Case { name: "TestScaleUpIgnoresFailedPods", spec: 2, status: 2, expected: 4, metrics: &[Cpu(30)], levels: &[500, 700],
        requests: Some(&[1000; 4]), readiness: &[T, T, F, F], phase: &[Running, Running, Failed, Failed], ..BASE },
    Case { name: "TestScaleUpIgnoresDeletionPods", spec: 2, status: 2, expected: 4, metrics: &[Cpu(30)], levels: &[500, 700],
        requests: Some(&[1000; 4]), readiness: &[T, T, F, F], deleting: &[F, F, T, T], ..BASE },
    Case { name: "TestScaleUpDeployment", expected: 5, metrics: &[Cpu(30)], levels: L_UP, requests: R3, ..BASE },
    Case { name: "TestScaleUpReplicaSet", expected: 5, metrics: &[Cpu(30)], levels: L_UP, requests: R3, ..BASE },
    Case { name: "TestScaleUpCM", expected: 4, metrics: &[Pods(15000)], levels: &[20000, 10000, 30000], requests: R3, ..BASE },
    Case { name: "TestScaleUpCMUnreadyAndHotCpuNoLessScale", expected: 6, metrics: &[Pods(15000)], levels: &[50000, 10000, 30000],
        requests: R3, readiness: &[T, T, F], start: &[Cool, Cool, Hot], ..BASE },
    Case { name: "TestScaleUpCMUnreadyandCpuHot", expected: 6, metrics: &[Pods(15000)], levels: &[50000, 15000, 30000],
        requests: R3, readiness: &[F, T, F], start: &[Hot, Cool, Hot], ..BASE },
    Case { name: "TestScaleUpHotCpuNoScaleWouldScaleDown", expected: 6, metrics: &[Pods(15000)], levels: &[50000, 15000, 30000],
        requests: R3, start: &[Hot, Cool, Hot], ..BASE },
    Case { name: "TestScaleUpCMObject", expected: 4, metrics: &[Object(15000)], levels: &[20000], ..BASE },
    Case { name: "TestScaleUpFromZeroCMObject", min: 0, spec: 0, status: 0, expected: 2, metrics: &[Object(15000)], levels: &[20000], ..BASE },
    Case { name: "TestScaleUpFromZeroIgnoresToleranceCMObject", min: 0, spec: 0, status: 0, expected: 1, metrics: &[Object(1000)],
        levels: &[1000], ..BASE },
    Case { name: "TestScaleUpPerPodCMObject", expected: 4, metrics: &[ObjectPerPod(10000)], levels: &[40000], ..BASE },
    Case { name: "TestScaleUpCMExternal", expected: 4, metrics: &[External(6666)], levels: &[8600], ..BASE },
    Case { name: "TestScaleUpPerPodCMExternal", expected: 4, metrics: &[ExternalPerPod(2222)], levels: &[8600], ..BASE },
    Case { name: "TestScaleDown", spec: 5, status: 5, expected: 3, metrics: &[Cpu(50)], levels: L_DOWN, requests: R5, recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownContainerResource", spec: 5, status: 5, expected: 3, metrics: &[CpuContainer(50)], levels: L_DOWN,
        requests: R5, recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownWithScalingRules", spec: 5, status: 5, expected: 3, metrics: &[Cpu(50)], levels: L_DOWN, requests: R5,
        recs: Recs::Empty, up: Some((0, 0, 100, 15, 30)), ..BASE },
    Case { name: "TestScaleUpOneMetricInvalid", expected: 4, metrics: &[Cpu(30), Failing], levels: &[300, 400, 500], requests: R3, ..BASE },
    Case { name: "TestScaleUpFromZeroOneMetricInvalid", min: 0, spec: 0, status: 0, expected: 4, metrics: &[Cpu(30), Failing],
        levels: &[300, 400, 500], requests: R3, recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleUpBothMetricsEmpty", expected: 3, metrics: &[Failing], requests: R3, ..BASE },
    Case { name: "TestScaleDownStabilizeInitialSize", spec: 5, status: 5, expected: 5, metrics: &[Cpu(50)], levels: L_DOWN, requests: R5, ..BASE },
    Case { name: "TestScaleDownCM", spec: 5, status: 5, expected: 3, metrics: &[Pods(20000)], levels: &[12000; 5], requests: R5,
        recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownCMObject", spec: 5, status: 5, expected: 3, metrics: &[Object(20000)], levels: &[12000], requests: R5,
        recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownToZeroCMObject", min: 0, spec: 5, status: 5, expected: 0, metrics: &[Object(20000)], levels: &[0],
        requests: R5, recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownPerPodCMObject", spec: 5, status: 5, expected: 3, metrics: &[ObjectPerPod(20000)], levels: &[60000],
        requests: R5, recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownCMExternal", spec: 5, status: 5, expected: 3, metrics: &[External(14400)], levels: &[8600], recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownToZeroCMExternal", min: 0, spec: 5, status: 5, expected: 0, metrics: &[External(14400)], levels: &[0],
        recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownPerPodCMExternal", spec: 5, status: 5, expected: 3, metrics: &[ExternalPerPod(3000)], levels: &[8600],
        recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownIncludeUnreadyPods", spec: 5, status: 5, expected: 2, metrics: &[Cpu(50)], levels: L_DOWN, requests: R5,
        readiness: &[T, T, T, F, F], recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownIgnoreHotCpuPods", spec: 5, status: 5, expected: 2, metrics: &[Cpu(50)], levels: L_DOWN, requests: R5,
        start: &[Cool, Cool, Cool, Hot, Hot], recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownIgnoresFailedPods", spec: 5, status: 5, expected: 3, metrics: &[Cpu(50)], levels: L_DOWN, requests: R7,
        readiness: &[T, T, T, T, T, F, F], phase: &[Running, Running, Running, Running, Running, Failed, Failed], recs: Recs::Empty, ..BASE },
    Case { name: "TestScaleDownIgnoresDeletionPods", spec: 5, status: 5, expected: 3, metrics: &[Cpu(50)], levels: L_DOWN, requests: R7,
        readiness: &[T, T, T, T, T, F, F], phase: RUN7, deleting: &[F, F, F, F, F, T, T], recs: Recs::Empty, ..BASE },
    Case { name: "TestTolerance", min: 1, max: 5, expected: 3, metrics: &[Cpu(100)], levels: &[1010, 1030, 1020], requests: R_TOL, ..BASE },
    Case { name: "TestToleranceCM", min: 1, max: 5, expected: 3, metrics: &[Pods(20000)], levels: &[20000, 20001, 21000], requests: R_TOL, ..BASE },
    Case { name: "TestToleranceCMObject", min: 1, max: 5, expected: 3, metrics: &[Object(20000)], levels: &[20050], requests: R_TOL, ..BASE },
    Case { name: "TestToleranceCMExternal", spec: 4, status: 4, expected: 4, metrics: &[External(8666)], levels: &[8600], ..BASE },
    Case { name: "TestTolerancePerPodCMObject", spec: 4, status: 4, expected: 4, metrics: &[ObjectPerPod(2200)], levels: &[8600], ..BASE },
    Case { name: "TestTolerancePerPodCMExternal", spec: 4, status: 4, expected: 4, metrics: &[ExternalPerPod(2200)], levels: &[8600], ..BASE },
    Case { name: "TestMinReplicas", max: 5, expected: 2, metrics: &[Cpu(90)], levels: &[10, 95, 10], requests: R_TOL, recs: Recs::Empty, ..BASE },
    Case { name: "TestZeroMinReplicasDesiredZero", min: 0, max: 5, expected: 0, metrics: &[Cpu(90)], levels: &[0, 0, 0], requests: R_TOL,
        recs: Recs::Empty, ..BASE },
    Case { name: "TestMinReplicasDesiredZero", max: 5, expected: 2, metrics: &[Cpu(90)], levels: &[0, 0, 0], requests: R_TOL,
        recs: Recs::Empty, ..BASE },
    Case { name: "TestZeroReplicas", min: 3, max: 5, spec: 0, status: 0, expected: 0, metrics: &[Cpu(90)], requests: Some(&[]), ..BASE },
    Case { name: "TestTooFewReplicas", min: 3, max: 5, spec: 2, status: 2, expected: 3, metrics: &[Cpu(90)], requests: Some(&[]), ..BASE },
    Case { name: "TestTooManyReplicas", min: 3, max: 5, spec: 10, status: 10, expected: 5, metrics: &[Cpu(90)], requests: Some(&[]), ..BASE },
    Case { name: "TestMaxReplicas", max: 5, expected: 5, metrics: &[Cpu(90)], levels: &[8000, 9500, 1000], requests: R_TOL, ..BASE },
    Case { name: "TestSuperfluousMetrics", spec: 4, status: 4, expected: 6, metrics: &[Cpu(100)],
        levels: &[4000, 9500, 3000, 7000, 3200, 2000], requests: Some(&[1000; 4]), ..BASE },
    Case { name: "TestMissingMetrics", spec: 4, status: 4, expected: 3, metrics: &[Cpu(100)], levels: &[400, 95],
        requests: Some(&[1000; 4]), recs: Recs::Empty, ..BASE },
    Case { name: "TestEmptyMetrics", spec: 4, status: 4, expected: 4, metrics: &[Cpu(100)], requests: Some(&[1000; 4]), ..BASE },
    Case { name: "TestEventCreated", min: 1, max: 5, spec: 1, status: 1, expected: 2, metrics: &[Cpu(50)], levels: &[200],
        requests: Some(&[200]), ..BASE },
    Case { name: "TestEventNotCreated", min: 1, max: 5, spec: 2, status: 2, expected: 2, metrics: &[Cpu(50)], levels: &[200, 200],
        requests: Some(&[400, 400]), ..BASE },
    Case { name: "TestMissingReports", min: 1, max: 5, spec: 4, status: 4, expected: 2, metrics: &[Cpu(50)], levels: &[200],
        requests: Some(&[200]), recs: Recs::Empty, ..BASE },
    Case { name: "TestUpscaleCap", min: 1, max: 100, expected: 24, metrics: &[Cpu(10)], levels: &[100, 200, 300], requests: R_01,
        up: Some((0, 0, 700, 60, 0)), ..BASE },
    Case { name: "TestUpscaleCapGreaterThanMaxReplicas", min: 1, max: 20, expected: 20, metrics: &[Cpu(10)], levels: &[100, 200, 300],
        requests: R_01, up: Some((0, 0, 700, 60, 0)), ..BASE },
    Case { name: "TestMoreReplicasThanSpecNoScale", min: 1, max: 8, spec: 4, status: 5, expected: 4, metrics: &[Cpu(50)],
        levels: &[500; 5], requests: R5, ..BASE },
    Case { name: "TestConditionFailedGetMetrics (FailedGetResourceMetric, Pods, Object, External)", min: 1, max: 100,
        expected: 3, metrics: &[Failing], levels: &[100, 200, 300], requests: R_01, ..BASE },
    Case { name: "TestConditionInvalidSourceType", expected: 3, metrics: &[Failing], levels: &[20000], ..BASE },
    Case { name: "TestNoBackoffUpscaleCM", min: 1, max: 5, expected: 4, metrics: &[Pods(15000)], levels: &[20000, 10000, 30000], requests: R3, ..BASE },
    Case { name: "TestNoBackoffUpscaleCMNoBackoffCpu", min: 1, max: 5, expected: 5, metrics: &[Cpu(10), Pods(15000)],
        levels: &[20000, 10000, 30000], requests: R3, ..BASE },
    Case { name: "TestStabilizeDownscale", min: 1, max: 5, spec: 4, status: 4, expected: 4, metrics: &[Cpu(100)], levels: &[50, 50, 50],
        requests: R_01, recs: Recs::Given(&[(10, 600.0), (4, 60.0)]), ..BASE },
    // int32((1 / (2 × 0.9) + 0.01) × 100) = 56 % against 50 %: ceil(10 × 0.884) = 9 …
    Case { name: "TestComputedToleranceAlgImplementation (tc1)", min: 0, max: 1000, spec: 10, status: 10, expected: 9, metrics: &[Cpu(56)],
        levels: &[150; 10], requests: R_ALG, recs: Recs::Empty, ..BASE },
    // … and 55 % stays within the tolerance.
    Case { name: "TestComputedToleranceAlgImplementation (tc2)", min: 0, max: 1000, spec: 10, status: 10, expected: 10, metrics: &[Cpu(55)],
        levels: &[150; 10], requests: R_ALG, recs: Recs::Empty, ..BASE },
    // No metric target: the branch for a count below minReplicas decides before any metric is read.
    Case { name: "TestScaleUpRCImmediately", min: 2, max: 6, spec: 1, status: 1, expected: 2, metrics: &[], levels: &[0; 4],
        requests: Some(&[1000; 4]), ..BASE },
    Case { name: "TestScaleDownRCImmediately", min: 2, max: 5, spec: 6, status: 6, expected: 5, metrics: &[Cpu(50)],
        levels: &[8000, 9500, 1000], requests: R_TOL, ..BASE },
    Case { name: "TestScaleUpOneMetricEmpty", expected: 4, metrics: &[Cpu(30), Failing], levels: &[300, 400, 500], requests: R3, ..BASE },
    Case { name: "TestNoScaleDownOneMetricInvalid", spec: 5, status: 5, expected: 5, metrics: &[Cpu(50), Failing], levels: L_DOWN,
        requests: R5, recs: Recs::Empty, ..BASE },
    Case { name: "TestNoScaleDownOneMetricEmpty", spec: 5, status: 5, expected: 5, metrics: &[Cpu(50), Failing], levels: L_DOWN,
        requests: R5, recs: Recs::Empty, ..BASE },
];

/// Whole-controller tests of that file not run here, with the reason.
const NOT_APPLICABLE: &[(&str, &str)] = &[
    ("TestEmptyCPURequest", "a pod without a CPU request: the simulator has no CPU requests"),
    ("TestAvoidUnnecessaryUpdates", "whether the controller writes an unchanged status: API plumbing"),
    ("TestConditionInvalidSelectorMissing", "scale subresource without a selector: API plumbing"),
    ("TestConditionInvalidSelectorUnparsable", "unparsable selector: API plumbing"),
    ("TestConditionNoAmbiguousSelectorWhenNoSelectorOverlapBetweenHPAs", "selector overlap between HPAs: no selectors"),
    ("TestConditionAmbiguousSelectorWhenFullSelectorOverlapBetweenHPAs", "selector overlap between HPAs: no selectors"),
    (
        "TestConditionAmbiguousSelectorWhenPartialSelectorOverlapBetweenHPAs",
        "selector overlap between HPAs: no selectors",
    ),
    ("TestConditionFailedGetScale", "failed GET of the scale subresource: API errors"),
    ("TestConditionFailedUpdateScale", "failed update of the scale subresource: API errors"),
    ("TestMultipleHPAs", "1000 HPAs through the informer and work queue: controller plumbing"),
];

fn proposal(c: &Case, m: M) -> Option<u32> {
    let n_pods = match c.requests {
        Some(r) => r.len(),
        None => c.status as usize,
    };
    let tol = HPA_TOLERANCE;
    let cpu = matches!(m, Cpu(_) | CpuContainer(_));
    let (mut used, mut requested, mut ready, mut unready, mut missing, mut ready_condition) =
        (0i64, 0i64, 0u32, 0u32, 0u32, 0u32);
    let mut values = Vec::new();
    for i in 0..n_pods {
        let phase = c.phase.get(i).copied().unwrap_or(Running);
        let is_ready = c.readiness.get(i).copied().unwrap_or(true);
        if phase == Running && is_ready {
            ready_condition += 1;
        }
        if c.deleting.get(i).copied().unwrap_or(false) || phase == Failed {
            continue;
        }
        let Some(&level) = c.levels.get(i) else {
            missing += 1;
            continue;
        };
        if cpu && (!is_ready || c.start.get(i).copied().unwrap_or(Start::Zero) == Hot) {
            unready += 1;
            continue;
        }
        ready += 1;
        values.push(level);
        // A container gets half the pod's level and half its request: the utilisation is the same.
        used += if matches!(m, CpuContainer(_)) { level / 2 } else { level };
        requested += c.requests.map_or(0, |r| if matches!(m, CpuContainer(_)) { r[i] / 2 } else { r[i] });
    }
    let counts = PodCounts { ready, unready, missing };
    let first = c.levels.first().copied().unwrap_or(0) as f64;
    match m {
        Cpu(target) | CpuContainer(target) => {
            if ready == 0 || requested == 0 {
                return None;
            }
            let util = (used * 100 / requested) as f64;
            let reading = MetricReading { average_over_ready: util, total: util * ready as f64 };
            metric_replicas(c.spec, MetricTarget::AverageValue(target as f64), reading, counts, tol, tol)
        }
        Pods(target) => {
            let total: i64 = values.iter().sum();
            let avg = if ready == 0 { 0 } else { total / ready as i64 };
            let reading = MetricReading { average_over_ready: avg as f64, total: total as f64 };
            metric_replicas(c.spec, MetricTarget::AverageValue(target as f64), reading, counts, tol, tol)
        }
        Object(target) | External(target) => {
            let counts = PodCounts { ready: ready_condition, unready: n_pods as u32 - ready_condition, missing: 0 };
            let reading = MetricReading { average_over_ready: 0.0, total: first };
            metric_replicas(c.spec, MetricTarget::Value(target as f64), reading, counts, tol, tol)
        }
        ObjectPerPod(target) | ExternalPerPod(target) => {
            external_per_pod_replicas(c.status, first, target as f64, tol, tol)
        }
        Failing => None,
    }
}

fn rules_of((pods, pods_period, percent, percent_period, window): (u32, u32, u32, u32, u32)) -> ScalingRules {
    let mut policies = Vec::new();
    if pods != 0 {
        policies.push(ScalingPolicy { kind: PolicyKind::Pods, value: pods, period_s: pods_period });
    }
    if percent != 0 {
        policies.push(ScalingPolicy { kind: PolicyKind::Percent, value: percent, period_s: percent_period });
    }
    ScalingRules { stabilization_window_s: window, select_policy: SelectPolicy::Max, policies, tolerance: None }
}

#[test]
fn whole_controller_cases() {
    const NOW: f64 = 100_000.0;
    assert_eq!(CASES.len(), 72);
    for c in CASES {
        let proposals: Vec<Option<u32>> = c.metrics.iter().map(|&m| proposal(c, m)).collect();
        let mut behavior = Behavior::default();
        if let Some(up) = c.up {
            behavior.scale_up = rules_of(up);
        }
        let spec =
            HpaSpec { min_replicas: c.min, max_replicas: c.max, metrics: vec![], behavior, without_behavior: false };
        let mut hc = HpaController::default();
        match c.recs {
            Recs::Nil => {}
            Recs::Empty => hc.initialised = true,
            Recs::Given(recs) => {
                hc.initialised = true;
                hc.recommendations = recs.iter().map(|&(value, age)| Run { last_s: NOW - age, value }).collect();
            }
        }
        let got = if c.up.is_some() {
            hc.reconcile(&spec, NOW, c.spec, &proposals)
        } else {
            hc.reconcile_without_behavior(&spec, NOW, c.spec, &proposals)
        };
        assert_eq!(got, c.expected, "{} (proposals {proposals:?})", c.name);
    }
    for (name, reason) in NOT_APPLICABLE {
        assert!(!reason.is_empty() && !CASES.iter().any(|c| c.name == *name), "{name}");
    }
}
