//! KEDA's ScaledObject semantics as its documentation states them, against [`KedaController`].
//!
//! Sources: "ScaledObject specification" (https://keda.sh/docs/2.15/reference/scaledobject-spec/,
//! sections pollingInterval, cooldownPeriod, initialCooldownPeriod, idleReplicaCount,
//! minReplicaCount, fallback) and "Scaling Deployments, StatefulSets & Custom Resources"
//! (https://keda.sh/docs/2.15/concepts/scaling-deployments/, "Activating and Scaling thresholds").
//! Where the documentation leaves a boundary open the KEDA operator's code decides it:
//! `scaleToZeroOrIdle` scales in once `lastActiveTime + cooldownPeriod` is strictly before now, and
//! `GetMetricsWithFallback` falls back once `NumberOfFailures > FailureThreshold`.
//!
//! Not supported, so not tested: `initialCooldownPeriod` (no grace period after the ScaledObject is
//! created: a simulated ScaledObject exists from t = 0 and cools down from its last active poll) and
//! `idleReplicaCount` (KedaSpec has neither field; the documentation itself supports only 0 for the
//! latter, which is what minReplicaCount 0 does).

use super::*;

fn spec(min: u32, target: f64, activation: f64) -> KedaSpec {
    KedaSpec {
        min_replica_count: min,
        max_replica_count: 100,
        polling_interval_s: 30.0,
        cooldown_period_s: 300.0,
        triggers: vec![KedaTrigger {
            metric: MetricKind::QueueDepth,
            target_per_pod: target,
            activation_threshold: activation,
        }],
        fallback: None,
        behavior: Behavior::default(),
        without_behavior: false,
    }
}

/// "Activating and Scaling thresholds": threshold 10 and activationThreshold 50; with 40 messages
/// the scaler is not active and the target goes to zero, even though the HPA would want 4.
#[test]
fn activation_threshold_outranks_the_scaling_threshold() {
    let s = spec(0, 10.0, 50.0);
    // The HPA's view of 40 messages against 10 per pod: 4 replicas.
    assert_eq!(external_per_pod_replicas(1, 40.0, 10.0, 0.1, 0.1), Some(4));
    // From zero, 40 (between the target and the activation threshold) does not activate …
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 0, &[Some(40.0)]), None);
    // … and a running target with 40 is scaled to zero: it was never active (no lastActiveTime), so no
    // cooldown applies.
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 4, &[Some(40.0)]), Some(0));
    // Activation is "greater than", not "greater than or equal to".
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 0, &[Some(50.0)]), None);
    assert_eq!(k.poll(&s, 30.0, 0, &[Some(51.0)]), Some(1));
}

/// The activation value defaults to 0: a metric of 0 is inactive, anything above activates.
#[test]
fn default_activation_threshold_is_zero() {
    let s = spec(0, 5.0, 0.0);
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 0, &[Some(0.0)]), None);
    assert_eq!(k.poll(&s, 30.0, 0, &[Some(1.0)]), Some(1));
}

/// pollingInterval: KEDA checks the triggers every pollingInterval (30 s by default) and does
/// nothing in between.
#[test]
fn polling_interval_paces_the_checks() {
    let s = spec(0, 5.0, 0.0);
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 0, &[Some(0.0)]), None);
    assert_eq!(k.next_poll_s(), 30.0);
    assert_eq!(k.poll(&s, 29.0, 0, &[Some(9.0)]), None, "before the next poll the trigger is not read");
    assert_eq!(k.poll(&s, 30.0, 0, &[Some(9.0)]), Some(1));
    let mut fast = s.clone();
    fast.polling_interval_s = 5.0;
    let mut k = KedaController::default();
    assert_eq!(k.poll(&fast, 0.0, 0, &[Some(0.0)]), None);
    assert_eq!(k.poll(&fast, 5.0, 0, &[Some(9.0)]), Some(1));
}

/// cooldownPeriod: the wait after the last trigger reported active before scaling back to 0; it
/// applies only to scaling to zero (1 ↔ N is the HPA's).
#[test]
fn cooldown_applies_only_to_scaling_to_zero() {
    let s = spec(0, 5.0, 0.0);
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 3, &[Some(20.0)]), None, "active with replicas: the HPA scales");
    let mut t = 30.0;
    while t <= 300.0 {
        assert_eq!(k.poll(&s, t, 3, &[Some(0.0)]), None, "cooling down at {t}");
        t += 30.0;
    }
    // Last active at 0 s: at 300 s the cooldown has not strictly passed; at 330 s it has.
    assert_eq!(k.poll(&s, 330.0, 3, &[Some(0.0)]), Some(0));
    // A poll with activity restarts the cooldown.
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 2, &[Some(0.0)]), Some(0), "never active: no cooldown");
    assert_eq!(k.poll(&s, 30.0, 0, &[Some(3.0)]), Some(1));
    assert_eq!(k.poll(&s, 200.0, 1, &[Some(3.0)]), None);
    assert_eq!(k.poll(&s, 400.0, 1, &[Some(0.0)]), None, "last active at 200 s");
    assert_eq!(k.poll(&s, 501.0, 1, &[Some(0.0)]), Some(0));
}

/// minReplicaCount > 0: the scaler is always active as far as scaling goes (the activation value is
/// ignored), KEDA never scales below the minimum and puts a target below it back to it.
#[test]
fn min_replica_count_above_zero() {
    let s = spec(2, 5.0, 50.0);
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 3, &[Some(0.0)]), None);
    assert_eq!(k.poll(&s, 10_000.0, 3, &[Some(0.0)]), None, "no scale to zero, whatever the cooldown");
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 0, &[Some(0.0)]), Some(2), "inactive below minReplicaCount: set to it");
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 0, &[Some(60.0)]), Some(2), "activation from zero goes to minReplicaCount");
    // The HPA KEDA creates has minReplicas = max(minReplicaCount, 1).
    assert_eq!(s.hpa().min_replicas, 2);
    assert_eq!(spec(0, 5.0, 0.0).hpa().min_replicas, 1);
}

/// minReplicaCount 0 (the default): activation takes the target from 0 to 1, then the HPA drives
/// 1 ↔ N; the HPA is off while the target is at zero.
#[test]
fn min_replica_count_zero_activates_to_one() {
    let s = spec(0, 5.0, 0.0);
    let mut k = KedaController::default();
    assert_eq!(k.poll(&s, 0.0, 0, &[Some(40.0)]), Some(1));
    let hpa = s.hpa();
    assert_eq!(k.hpa.reconcile(&hpa, 0.0, 0, &[Some(8)]), 0, "the HPA does not scale from zero");
}

/// fallback: KEDA counts consecutive failures; once they pass failureThreshold the target runs
/// fallback.replicas; a success resets the count. Fallback applies only to AverageValue metrics,
/// which are the only kind a KedaTrigger makes.
#[test]
fn fallback_after_the_failure_threshold_is_passed() {
    let mut s = spec(1, 5.0, 0.0);
    s.fallback = Some(KedaFallback { failure_threshold: 3, replicas: 6 });
    assert!(s.hpa().metrics.iter().all(|m| matches!(m.target, MetricTarget::AverageValue(_))));
    let mut k = KedaController::default();
    for (i, t) in [0.0, 30.0, 60.0].into_iter().enumerate() {
        assert_eq!(k.poll(&s, t, 2, &[None]), None, "failure {}", i + 1);
        assert!(!k.in_fallback(&s));
    }
    assert_eq!(k.poll(&s, 90.0, 2, &[None]), Some(6), "the fourth failure passes the threshold of 3");
    assert!(k.in_fallback(&s));
    assert_eq!(k.poll(&s, 120.0, 6, &[None]), Some(6));
    assert_eq!(k.poll(&s, 150.0, 6, &[Some(10.0)]), None, "a good reading ends the fallback");
    assert!(!k.in_fallback(&s));
    assert_eq!(k.poll(&s, 180.0, 6, &[None]), None, "the count starts again");
    // Without a fallback section failures change nothing.
    let s = spec(1, 5.0, 0.0);
    let mut k = KedaController::default();
    for i in 0..10 {
        assert_eq!(k.poll(&s, 30.0 * i as f64, 2, &[None]), None);
    }
    assert!(!k.in_fallback(&s));
}
