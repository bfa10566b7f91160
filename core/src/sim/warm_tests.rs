//! Warm capacity in the simulator: each kind's effect on a burst, derived from the Timing parameters;
//! preemption order, buffer refill and protection, and a static pool's replacement after a spot
//! interruption.

use super::cluster::{Cluster, BUFFER_RECONCILE_S};
use super::rng::Rng;
use super::tests::{g5, hpa, opts, pool, scenario, step_trace};
use super::*;
use crate::catalog::CapacityType;

/// One GPU per node, AL2023: a burst at 300 s asks for one more replica.
fn burst(warm: Option<SimWarm>, static_nodes: Option<u32>) -> Scenario {
    let mut sc = scenario(step_trace(0.2, 3.0, 300.0), hpa(1, 2, 1.0), vec![pool("gpu", NodeOs::Al2023, None)]);
    sc.pools[0].instance_types.truncate(1);
    sc.pools[0].static_nodes = static_nodes;
    if static_nodes.is_some() {
        sc.pools[0].consolidate_after_s = None;
    }
    sc.deployments[0].warm = warm;
    sc
}

fn pull_s(sc: &Scenario) -> f64 {
    let t = &sc.timing;
    t.image_pull_overhead_s + sc.deployments[0].image_gib * 1024.0 / t.image_pull_mib_per_s
}

fn load_s(sc: &Scenario) -> f64 {
    let t = &sc.timing;
    sc.deployments[0].weights_gib * 1024.0 / t.model_load_mib_per_s + t.engine_warmup_s
}

fn startup(sc: &Scenario) -> Summary {
    let t = simulate(sc, &opts(1800.0)).unwrap();
    assert_eq!(t.summary.pods_started, 1, "{:?}", t.summary);
    t.summary
}

#[test]
fn each_kind_saves_its_part_of_the_cold_start() {
    let none = burst(None, None);
    let cold =
        none.timing.batch_idle_s + none.timing.node_ready_after_s(NodeOs::Al2023) + pull_s(&none) + load_s(&none);
    let s = startup(&none);
    assert!((s.pod_startup_s_max - cold).abs() <= 1.0, "no warm capacity: {} vs {cold}", s.pod_startup_s_max);

    // A CapacityBuffer saves the node's start only: the pod still pulls the image and loads the model.
    let buffer = burst(Some(SimWarm { kind: WarmKind::CapacityBuffer, replicas: 1 }), None);
    let s = startup(&buffer);
    let expected = pull_s(&buffer) + load_s(&buffer);
    assert!((s.pod_startup_s_max - expected).abs() <= 1.0, "buffer: {} vs {expected}", s.pod_startup_s_max);
    assert_eq!(s.nodes_launched, 1, "the buffer is refilled once the pod used it");
    assert_eq!(s.nodes_consolidated, 0, "the spare node holds the buffer: not consolidated while empty");

    // Placeholders pre-pull the image: the preempting pod only loads the model.
    let placeholders = burst(Some(SimWarm { kind: WarmKind::PlaceholderPods, replicas: 1 }), None);
    let s = startup(&placeholders);
    let expected = load_s(&placeholders);
    assert!((s.pod_startup_s_max - expected).abs() <= 1.0, "placeholders: {} vs {expected}", s.pod_startup_s_max);
    assert_eq!(s.nodes_launched, 1, "the evicted placeholder pends and gets a node");

    // A static pool of two: the second node is up, empty and has no image; none is launched.
    let fixed = burst(None, Some(2));
    let s = startup(&fixed);
    let expected = pull_s(&fixed) + load_s(&fixed);
    assert!((s.pod_startup_s_max - expected).abs() <= 1.0, "static: {} vs {expected}", s.pod_startup_s_max);
    assert_eq!((s.nodes_launched, s.peak_nodes), (0, 2));
    let day_cost = 2.0 * 1.006 * 1800.0 / 3600.0;
    assert!((s.cost_usd - day_cost).abs() < 0.01, "both static nodes are billed all the time: {}", s.cost_usd);
}

#[test]
fn warm_capacity_is_billed() {
    let none = simulate(&burst(None, None), &opts(1800.0)).unwrap().summary;
    for warm in [WarmKind::CapacityBuffer, WarmKind::PlaceholderPods] {
        let s = simulate(&burst(Some(SimWarm { kind: warm, replicas: 1 }), None), &opts(1800.0)).unwrap().summary;
        assert!(s.cost_usd > none.cost_usd + 0.2, "{warm:?}: {} vs {}", s.cost_usd, none.cost_usd);
    }
}

/// Serving pods take free devices before they preempt; a preempted placeholder pends, and
/// Karpenter launches a node for it like for any pod.
#[test]
fn serving_pods_preempt_placeholders_only_when_no_device_is_free() {
    let mut sc = scenario(step_trace(0.2, 3.0, 300.0), hpa(1, 3, 1.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    sc.pools[0].instance_types = vec![g5("g5.12xlarge", 4, 5.672)];
    sc.deployments[0].warm = Some(SimWarm { kind: WarmKind::PlaceholderPods, replicas: 2 });
    let mut c = Cluster::new(&sc, Rng::new(1));
    c.reconcile_replicas(0.0, &[1], true);
    c.schedule(0.0, true);
    c.provision(0.0, true);
    assert_eq!(c.nodes.len(), 1);
    assert_eq!(c.nodes[0].devices_free, 1, "one serving pod and two placeholders on the 4-GPU node");

    c.reconcile_replicas(10.0, &[2], false);
    c.schedule(10.0, false);
    assert_eq!(c.placeholders_preempted, 0, "the free device is used first");

    c.reconcile_replicas(20.0, &[3], false);
    c.schedule(20.0, false);
    assert_eq!(c.placeholders_preempted, 1);
    let newest = c.pods.iter().filter(|p| !p.placeholder).max_by(|a, b| a.created_s.total_cmp(&b.created_s)).unwrap();
    assert_eq!(newest.node, Some(0));
    assert_eq!(newest.running_s, 20.0, "the image is on the node: the container starts at once");
    let pending: Vec<_> = c.pods.iter().filter(|p| p.placeholder && p.node.is_none()).collect();
    assert_eq!(pending.len(), 1, "the victim pends again");

    c.provision(21.0, false);
    assert_eq!(c.nodes.len(), 2, "Karpenter launches a node for the pending placeholder");
    assert!(c.pods.iter().all(|p| p.node.is_some()));
}

/// The buffer controller refills at its next reconcile: a node is launched within
/// `BUFFER_RECONCILE_S` after real pods used the spare.
#[test]
fn a_used_buffer_is_refilled_at_the_next_reconcile() {
    let sc = burst(Some(SimWarm { kind: WarmKind::CapacityBuffer, replicas: 1 }), None);
    let mut c = Cluster::new(&sc, Rng::new(1));
    c.reconcile_replicas(0.0, &[1], true);
    c.schedule(0.0, true);
    c.provision(0.0, true);
    c.refill_buffers(0.0, true);
    assert_eq!((c.nodes.len(), c.nodes_launched), (2, 0), "serving node and warm buffer node at time 0");
    c.reconcile_replicas(5.0, &[2], false);
    c.schedule(5.0, false);
    assert!(c.pods.iter().all(|p| p.node == Some(0) || p.node == Some(1)), "the new pod lands on the spare");
    assert!(!c.buffer_due(5.0));
    assert!(c.buffer_due(BUFFER_RECONCILE_S));
    c.refill_buffers(BUFFER_RECONCILE_S, false);
    assert_eq!(c.nodes_launched, 1);
    let node = c.nodes.last().unwrap();
    let ready = BUFFER_RECONCILE_S + sc.timing.node_ready_after_s(NodeOs::Al2023);
    assert_eq!(node.ready_s, ready);
}

/// A static pool keeps its count: a spot-interrupted node is replaced at once (with the normal
/// start-up), and no node is ever launched for pending pods beyond it.
#[test]
fn a_static_pool_replaces_interrupted_nodes_and_launches_nothing_else() {
    let mut p = pool("static", NodeOs::Bottlerocket, None);
    p.capacity_types = vec![CapacityType::Spot];
    p.instance_types.truncate(1);
    p.static_nodes = Some(2);
    p.consolidate_after_s = None;
    let mut sc = scenario(step_trace(0.5, 30.0, 600.0), hpa(1, 6, 1.0), vec![p]);
    sc.timing.spot_interruptions_per_node_hour = 0.5;
    let t = simulate(&sc, &opts(6.0 * 3600.0)).unwrap();
    let s = &t.summary;
    assert!(s.spot_interruptions > 0, "{s:?}");
    assert_eq!(s.nodes_launched, s.spot_interruptions, "exactly one replacement per interruption");
    let nodes = &t.series.pools["static"].nodes;
    assert!(nodes.iter().all(|&n| n <= 2 + s.spot_interruptions), "{nodes:?}");
    assert!(s.longest_unschedulable_s > 0.0, "the burst's pods beyond two nodes stay pending");
}

/// No warm capacity: the same bytes as before the feature (the common path is unchanged).
#[test]
fn absent_warm_capacity_changes_nothing() {
    let sc = burst(None, None);
    let a = simulate(&sc, &opts(1800.0)).unwrap();
    let mut with_empty = sc.clone();
    with_empty.deployments[0].warm = Some(SimWarm { kind: WarmKind::CapacityBuffer, replicas: 0 });
    let b = simulate(&with_empty, &opts(1800.0)).unwrap();
    assert_eq!(a.summary.cost_usd, b.summary.cost_usd);
    assert_eq!(a.summary.nodes_launched, b.summary.nodes_launched);
}
