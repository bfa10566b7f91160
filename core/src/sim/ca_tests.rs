//! Cluster Autoscaler as the node layer: the scan loop and the Auto Scaling group's launch, the
//! expanders, scale-down's timers and bounds, the groups at the start, groups derived from NodePools,
//! and the comparison with Karpenter on the same day.

use super::cluster::{Cluster, NodeState};
use super::params::cluster_autoscaler as defaults;
use super::rng::Rng;
use super::tests::{hpa, opts, pool, scenario, step_trace};
use super::*;
use crate::catalog::CapacityType;
use crate::{examples, plan};

fn group(name: &str, instance_type: &str, min: u32, max: u32, desired: u32, priority: i32) -> SimNodeGroup {
    SimNodeGroup {
        name: name.to_string(),
        pool: "gpu".to_string(),
        instance_type: instance_type.to_string(),
        capacity: CapacityType::OnDemand,
        min_size: min,
        max_size: max,
        desired_capacity: desired,
        priority,
        source: "plan".to_string(),
    }
}

fn spec(expanders: Vec<Expander>, node_groups: Vec<SimNodeGroup>) -> CaSpec {
    CaSpec { expanders, ..CaSpec::with_defaults(node_groups) }
}

/// One deployment of one-GPU replicas on pool `gpu` (g5.xlarge with 1 GPU, g5.12xlarge with 4),
/// Bottlerocket, under Cluster Autoscaler with `ca`.
fn ca_scenario(ca: CaSpec) -> Scenario {
    let mut sc = scenario(step_trace(0.2, 3.0, 300.0), hpa(1, 4, 1.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    sc.node_autoscaler = NodeAutoscaler::ClusterAutoscaler(ca);
    sc.validate().unwrap();
    sc
}

/// The cluster at time 0 with `replicas` pods placed warm, as the engine starts it.
fn started(sc: &Scenario, replicas: u32) -> Cluster<'_> {
    let mut c = Cluster::new(sc, Rng::new(7));
    c.ca_start();
    c.reconcile_replicas(0.0, &[replicas], true);
    c.schedule(0.0, true);
    c.ca_start_pods();
    c
}

/// Runs the node layer as the engine does at `t`, with `replicas` pods wanted.
fn tick(c: &mut Cluster, t: f64, replicas: u32) {
    c.node_events(t);
    c.reconcile_replicas(t, &[replicas], false);
    c.schedule(t, false);
    c.ca_loop(t);
    c.reconcile_replicas(t, &[replicas], false);
    c.schedule(t, false);
}

/// The running nodes' types: `xl` (g5.xlarge) or `12xl` (g5.12xlarge).
fn running(c: &Cluster) -> Vec<&'static str> {
    c.nodes.iter().filter(|n| n.state == NodeState::Running).map(|n| if n.itype == 0 { "xl" } else { "12xl" }).collect()
}

#[test]
fn a_scale_up_waits_for_the_scan_interval_and_the_asg_launch() {
    let sc = ca_scenario(spec(vec![Expander::Random], vec![group("small", "g5.xlarge", 0, 5, 0, 0)]));
    let mut c = started(&sc, 1);
    assert_eq!(running(&c), ["xl"], "the initial replica's node is there at time 0");
    assert_eq!(c.nodes[0].ready_s, 0.0);
    // A second pod at 3 s: no node until the loop at 10 s.
    tick(&mut c, 3.0, 2);
    assert_eq!(running(&c).len(), 1, "Cluster Autoscaler acts only on its loop");
    tick(&mut c, 10.0, 2);
    assert_eq!(running(&c).len(), 2);
    let new = &c.nodes[1];
    let expected = 10.0 + defaults::ASG_LAUNCH_S + sc.timing.node_ready_after_s(NodeOs::Bottlerocket);
    assert!((new.ready_s - expected).abs() < 1e-9, "ready at {} not {expected}", new.ready_s);
    assert!(c.pods.iter().all(|p| p.node.is_some()), "the pending pod waits for the new node");
    assert!(c.pods.iter().any(|p| p.running_s >= expected));
}

#[test]
fn least_waste_picks_the_tighter_group_and_priority_the_higher() {
    let groups = || vec![group("small", "g5.xlarge", 0, 5, 0, 1), group("large", "g5.12xlarge", 0, 5, 0, 10)];
    for (expanders, want) in [
        (vec![Expander::LeastWaste], "xl"),
        (vec![Expander::Priority], "12xl"),
        (vec![Expander::Priority, Expander::LeastWaste], "12xl"),
        (vec![Expander::LeastNodes, Expander::LeastWaste], "xl"),
        (vec![Expander::Price], "xl"),
    ] {
        let sc = ca_scenario(spec(expanders.clone(), groups()));
        let mut c = started(&sc, 0);
        assert!(running(&c).is_empty());
        tick(&mut c, 10.0, 1);
        assert_eq!(running(&c), [want], "{expanders:?}");
    }
    // Three pending one-GPU pods: least-nodes takes one 4-GPU node, most-pods ties and falls to random.
    let sc = ca_scenario(spec(vec![Expander::LeastNodes], groups()));
    let mut c = started(&sc, 0);
    tick(&mut c, 10.0, 3);
    assert_eq!(running(&c), ["12xl"]);
    let sc = ca_scenario(spec(vec![Expander::LeastWaste], groups()));
    let mut c = started(&sc, 0);
    tick(&mut c, 10.0, 3);
    assert_eq!(running(&c), ["xl", "xl", "xl"], "least-waste: three full small nodes beat a quarter-idle large one");
}

#[test]
fn scale_down_waits_for_the_unneeded_time_and_the_delay_after_add() {
    let sc = ca_scenario(spec(vec![Expander::Random], vec![group("small", "g5.xlarge", 0, 5, 0, 0)]));
    let mut c = started(&sc, 1);
    tick(&mut c, 10.0, 2);
    let ready = c.nodes[1].ready_s;
    // The second pod goes away once the node is up: the node is empty from then on.
    let mut removed_at = None;
    let mut t = 20.0;
    while t < 3600.0 {
        let want = if t < ready + 5.0 { 2 } else { 1 };
        tick(&mut c, t, want);
        if removed_at.is_none() && c.nodes.iter().any(|n| n.state != NodeState::Running) {
            removed_at = Some(t);
        }
        t += 1.0;
    }
    let removed_at = removed_at.expect("the empty node is scaled down");
    // Unneeded from the first loop after the pod left, removed 10 minutes later (and not within 10
    // minutes of the scale-up at 10 s).
    assert!(removed_at >= ready + defaults::SCALE_DOWN_UNNEEDED_TIME_S, "{removed_at} vs ready {ready}");
    assert!(removed_at >= 10.0 + defaults::SCALE_DOWN_DELAY_AFTER_ADD_S);
    assert!(removed_at <= ready + 5.0 + defaults::SCALE_DOWN_UNNEEDED_TIME_S + 2.0 * defaults::SCAN_INTERVAL_S);
    assert_eq!(c.ca.as_ref().unwrap().nodes_scaled_down, 1);
    assert_eq!(running(&c), ["xl"], "the node with the pod stays");

    // With a longer delay after add, the same node waits for it instead.
    let mut ca = spec(vec![Expander::Random], vec![group("small", "g5.xlarge", 0, 5, 0, 0)]);
    ca.scale_down_delay_after_add_s = 1800.0;
    let sc = ca_scenario(ca);
    let mut c = started(&sc, 1);
    tick(&mut c, 10.0, 2);
    let mut t = 20.0;
    let mut removed_at = None;
    while t < 3600.0 && removed_at.is_none() {
        tick(&mut c, t, if t < ready + 5.0 { 2 } else { 1 });
        if c.nodes.iter().any(|n| n.state != NodeState::Running) {
            removed_at = Some(t);
        }
        t += 1.0;
    }
    let removed_at = removed_at.unwrap();
    assert!((1810.0..=1830.0).contains(&removed_at), "{removed_at}");
}

#[test]
fn groups_start_at_desired_capacity_and_stay_within_min_and_max() {
    // desiredCapacity 3 at the start, minSize 2: an idle hour ends with 2 (never below the minimum).
    let sc = ca_scenario(spec(vec![Expander::Random], vec![group("small", "g5.xlarge", 2, 4, 3, 0)]));
    let mut c = started(&sc, 0);
    assert_eq!(running(&c).len(), 3);
    assert!(c.nodes.iter().all(|n| n.ready_s == 0.0), "present and ready at time 0");
    for s in 1..3600 {
        tick(&mut c, s as f64, 0);
    }
    assert_eq!(running(&c).len(), 2);
    // maxSize caps a scale-up; the pods left are reported against the group.
    let sc = ca_scenario(spec(vec![Expander::Random], vec![group("small", "g5.xlarge", 0, 3, 0, 0)]));
    let mut c = started(&sc, 0);
    for s in 1..120 {
        tick(&mut c, s as f64, 10);
    }
    assert_eq!(running(&c).len(), 3);
    assert_eq!(c.pods.iter().filter(|p| p.node.is_none()).count(), 7);
    assert_eq!(c.unplaced[0].groups_at_max, [0]);
}

#[test]
fn a_plan_without_node_groups_derives_them_from_its_node_pools() {
    let text = examples::EXAMPLES.iter().find(|(n, _)| *n == "spiky-spot-burst").map(|(_, t)| *t).unwrap();
    let plan = plan::parse_plan(text).unwrap();
    assert!(plan.spec.cluster_autoscaler.is_none());
    let sc = from_plan(&plan, &PlanInputs::for_plan(&plan)).unwrap();
    let ca = cluster_autoscaler_spec(&plan, &sc.pools).unwrap();
    assert_eq!(ca.scan_interval_s, 10.0);
    assert_eq!(ca.expanders, [Expander::Random]);
    let expected: usize = sc
        .pools
        .iter()
        .filter(|p| p.static_nodes.is_none())
        .map(|p| {
            let caps: Vec<_> = p.capacity_types.iter().filter(|c| **c != CapacityType::Reserved).collect();
            p.instance_types.iter().map(|t| caps.iter().filter(|c| t.price(***c).is_some()).count()).sum::<usize>()
        })
        .sum();
    assert!(expected > 0 && ca.node_groups.len() <= expected, "{} groups", ca.node_groups.len());
    for g in &ca.node_groups {
        assert_eq!((g.min_size, g.desired_capacity, g.source.as_str()), (0, 0, "derived"), "{}", g.name);
        let pool = sc.pools.iter().find(|p| p.name == g.pool).unwrap();
        let t = pool.instance_types.iter().find(|t| t.name == g.instance_type).unwrap();
        let cap = pool.limit_devices.map_or(plan_adapter::DERIVED_MAX_SIZE, |l| l / t.devices);
        assert!(g.max_size >= 1 && g.max_size <= cap, "{}: max {}", g.name, g.max_size);
    }
    // Written groups are kept, their template the pool's first priced type.
    let mut plan = plan;
    let pool = plan.spec.node_pools[0].name.clone();
    plan.spec.cluster_autoscaler = Some(crate::plan::ClusterAutoscaler {
        expander: Some("priority,least-waste".into()),
        scale_down_unneeded_time: Some("5m".into()),
        node_groups: vec![crate::plan::NodeGroup {
            name: "asg-1".into(),
            node_pool: pool.clone(),
            min_size: 1,
            max_size: 6,
            desired_capacity: Some(2),
            priority: Some(5),
        }],
        ..crate::plan::ClusterAutoscaler::default()
    });
    let ca = cluster_autoscaler_spec(&plan, &sc.pools).unwrap();
    assert_eq!(ca.expanders, [Expander::Priority, Expander::LeastWaste]);
    assert_eq!(ca.scale_down_unneeded_time_s, 300.0);
    let g = &ca.node_groups[0];
    assert_eq!(
        (g.name.as_str(), g.pool.as_str(), g.min_size, g.max_size, g.desired_capacity),
        ("asg-1", pool.as_str(), 1, 6, 2)
    );
}

/// On a bursty example Cluster Autoscaler is not faster to capacity than Karpenter: its loop and the
/// Auto Scaling group's launch come on top of the same node start-up.
#[test]
fn cluster_autoscaler_is_not_faster_to_capacity_than_karpenter_on_a_burst() {
    let text = examples::EXAMPLES.iter().find(|(n, _)| *n == "spiky-spot-burst").map(|(_, t)| *t).unwrap();
    let plan = plan::parse_plan(text).unwrap();
    let sc = from_plan(&plan, &PlanInputs::for_plan(&plan)).unwrap();
    let ca = cluster_autoscaler_spec(&plan, &sc.pools).unwrap();
    let t = compare_node_autoscalers(&sc, ca, &SimOptions::default()).unwrap();
    let cmp = t.summary.comparison.as_ref().unwrap();
    let (k, c) = (&cmp.karpenter, &cmp.cluster_autoscaler);
    assert!(c.pod_startup_s_mean >= k.pod_startup_s_mean, "{k:?} {c:?}");
    assert!(c.longest_pending_s >= k.longest_pending_s, "{k:?} {c:?}");
    assert!(c.longest_unschedulable_s > k.longest_unschedulable_s, "{k:?} {c:?}");
    assert_eq!(t.summary.node_autoscaler.as_deref(), Some("cluster-autoscaler"));
    assert!(t.summary.cluster_autoscaler.as_ref().is_some_and(|s| s.scale_ups > 0));
    // The Karpenter half is the plain run.
    let plain = simulate(&sc, &SimOptions::default()).unwrap();
    assert_eq!(k, &NodeAutoscalerFigures::of(&plain.summary));
    assert!(plain.summary.node_autoscaler.is_none() && plain.summary.comparison.is_none());
}

/// A single cold start, whole-simulator: Cluster Autoscaler's pod waits at least the Auto Scaling
/// group's launch longer than Karpenter's, and no more than a scan interval and a batch on top.
#[test]
fn a_burst_starts_later_by_the_loop_and_the_asg_launch() {
    let ca = spec(vec![Expander::Random], vec![group("small", "g5.xlarge", 0, 5, 0, 0)]);
    let mut sc = ca_scenario(ca.clone());
    sc.pools[0].instance_types.truncate(1);
    sc.deployments[0].autoscaler = hpa(1, 2, 1.0);
    let with_ca = simulate(&sc, &opts(1800.0)).unwrap().summary;
    sc.node_autoscaler = NodeAutoscaler::Karpenter;
    let karpenter = simulate(&sc, &opts(1800.0)).unwrap().summary;
    assert_eq!((with_ca.pods_started, karpenter.pods_started), (1, 1), "{with_ca:?}");
    let extra = with_ca.pod_startup_s_max - karpenter.pod_startup_s_max;
    assert!(
        extra >= ca.asg_launch_s - sc.timing.batch_max_s && extra <= ca.asg_launch_s + ca.scan_interval_s,
        "{extra}"
    );
}

/// A spot launch that finds no capacity: the pod waits for the group's node until the maximum
/// provision time (no second scale-up meanwhile), then the group is backed off and another one takes
/// the pod.
#[test]
fn a_failed_launch_is_given_up_after_the_provision_time_and_its_group_backed_off() {
    let mut spot = group("spot", "g5.xlarge", 0, 5, 0, 10);
    spot.capacity = CapacityType::Spot;
    let mut sc = ca_scenario(spec(vec![Expander::Priority], vec![spot, group("od", "g5.xlarge", 0, 5, 0, 1)]));
    sc.timing.spot_launch_failure_probability = 1.0;
    let mut c = started(&sc, 0);
    let mut t = 1.0;
    while t < defaults::MAX_NODE_PROVISION_TIME_S + 10.0 {
        tick(&mut c, t, 1);
        assert!(running(&c).is_empty(), "no node before the failed launch is given up (t = {t})");
        t += 1.0;
    }
    assert_eq!(c.launch_failures, 1, "one failed launch, not one per loop");
    tick(&mut c, t, 1);
    assert_eq!(running(&c).len(), 1, "t = {t}");
    assert_eq!(c.nodes[0].capacity, CapacityType::OnDemand);
    let ca = c.ca.as_ref().unwrap();
    assert_eq!((ca.provision_timeouts, ca.groups[0].target, ca.groups[1].target), (1, 0, 1));
    assert!(ca.groups[0].backoff_until_s >= t + defaults::NODE_GROUP_BACKOFF_S - 1.0);
}

/// A spot node interrupted: its Auto Scaling group launches the replacement (its desired capacity is
/// unchanged), and the pod comes back on it.
#[test]
fn the_asg_replaces_an_interrupted_spot_instance() {
    let mut spot = group("spot", "g5.xlarge", 1, 3, 1, 0);
    spot.capacity = CapacityType::Spot;
    let mut sc = ca_scenario(spec(vec![Expander::Random], vec![spot]));
    sc.timing.spot_interruptions_per_node_hour = 2.0;
    let mut c = started(&sc, 1);
    for s in 1..7200 {
        tick(&mut c, s as f64, 1);
    }
    assert!(c.spot_interruptions >= 1, "{}", c.spot_interruptions);
    assert!(c.nodes_launched >= c.spot_interruptions, "each interruption is replaced");
    assert_eq!(c.ca.as_ref().unwrap().groups[0].target, 1);
    assert!(running(&c).len() <= 2);
}

/// `--max-nodes-total` caps the cluster whatever the groups' maximum sizes.
#[test]
fn max_nodes_total_caps_every_group() {
    let mut ca =
        spec(vec![Expander::Random], vec![group("a", "g5.xlarge", 0, 5, 1, 0), group("b", "g5.xlarge", 0, 5, 0, 0)]);
    ca.max_nodes_total = Some(3);
    let sc = ca_scenario(ca);
    let mut c = started(&sc, 1);
    for s in 1..300 {
        tick(&mut c, s as f64, 6);
    }
    assert_eq!(running(&c).len(), 3);
    assert_eq!(c.pods.iter().filter(|p| p.node.is_none()).count(), 3);
}
