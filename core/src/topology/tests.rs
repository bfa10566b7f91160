//! Unit tests of `topology`: the static plan at peak and the cluster at a sample of its day.

use super::*;
use crate::place::evaluate;
use crate::plan::parse_plan;
use crate::sim::{simulate_plan, PlanInputs, SimOptions};

fn plan(extra: &str) -> Plan {
    let text = format!(
        "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {{name: t}}\nspec:\n  region: us-east-1\n{extra}"
    );
    parse_plan(&text).unwrap_or_else(|e| panic!("{e}"))
}

const ONE_GPU: &str = "  deployments:\n    - {name: d, model: m, tensorParallel: 1, replicas: {min: 3, max: 8}, tolerations: [{key: nvidia.com/gpu, operator: Exists}]}\n";

fn three_pools() -> Plan {
    plan(&format!(
        "{ONE_GPU}  nodePools:\n    - {{name: low, weight: 10, capacityTypes: [on-demand], instanceTypes: [g5.xlarge], nodeClass: c}}\n    - {{name: high, weight: 90, capacityTypes: [spot], instanceTypes: [g5.xlarge], limits: {{nvidia.com/gpu: '2'}}, nodeClass: c}}\n    - {{name: tainted, weight: 100, capacityTypes: [spot], instanceTypes: [g5.xlarge], taints: [{{key: x, effect: NoSchedule}}], nodeClass: c}}\n  nodeClasses: [{{name: c, ami: al2023}}]\n"
    ))
}

/// `(instance type, capacity type, state, pods)` per node of a lane.
fn nodes(lane: &Lane) -> Vec<(&str, &str, &str, usize)> {
    lane.nodes
        .iter()
        .map(|n| (n.instance_type.as_str(), n.capacity_type.as_str(), n.state.as_str(), n.pods.len()))
        .collect()
}

#[test]
fn lanes_follow_weight_order_with_their_capacity_types() {
    let p = three_pools();
    let t = at_peak(&p, &evaluate(&p));
    let lanes: Vec<(&str, u32)> = t.lanes.iter().map(|l| (l.pool.as_str(), l.weight)).collect();
    assert_eq!(lanes, [("tainted", 100), ("high", 90), ("low", 10)]);
    assert_eq!(t.lanes[1].capacity_types, [CapacityType::Spot]);
    assert_eq!(t.sample, None);
}

#[test]
fn static_plan_shows_the_placement_node_by_node() {
    let p = three_pools();
    let o = evaluate(&p);
    let t = at_peak(&p, &o);
    assert_eq!(nodes(&t.lanes[0]), []);
    assert_eq!(nodes(&t.lanes[1]), [("g5.xlarge", "spot", "running", 1), ("g5.xlarge", "spot", "running", 1)]);
    assert_eq!(nodes(&t.lanes[2]), [("g5.xlarge", "on-demand", "running", 1)]);
    // Node and pod counts are the placement's.
    let node_count: usize = t.lanes.iter().map(|l| l.nodes.len()).sum();
    let pod_count: usize = t.lanes.iter().flat_map(|l| &l.nodes).map(|n| n.pods.len()).sum();
    assert_eq!(node_count as u32, o.summary.nodes);
    assert_eq!(pod_count as u32, o.pools.iter().flat_map(|p| &p.nodes).map(|g| g.pods).sum::<u32>());
    let pod = &t.lanes[1].nodes[0].pods[0];
    assert_eq!(
        (pod.id.as_str(), pod.state, pod.devices, pod.warm),
        ("high/g5.xlarge/spot/0#0", PodState::Ready, 1, false)
    );
    assert_eq!(t.fleets[pod.fleet as usize].name, "d");
    assert_eq!(t.lanes[1].nodes[0].slots, 1);
}

#[test]
fn reserved_nodes_and_device_slots() {
    let p = plan(&format!(
        "{ONE_GPU}  nodePools:\n    - {{name: a, capacityTypes: [reserved, on-demand], instanceTypes: [g5.12xlarge], nodeClass: c}}\n  nodeClasses: [{{name: c, ami: al2023, capacityReservations: [{{id: cr-0abc, instanceType: g5.12xlarge, count: 1}}]}}]\n"
    ));
    let t = at_peak(&p, &evaluate(&p));
    let node = &t.lanes[0].nodes[0];
    assert_eq!((node.capacity_type, node.slots, node.pods.len(), node.free_slots()), (CapacityType::Reserved, 4, 3, 1));
}

#[test]
fn unplaced_pods_are_pending_in_the_lane_they_are_pinned_to() {
    let p = plan(
        "  deployments:\n    - {name: d, model: m, tensorParallel: 1, replicas: {min: 3, max: 8}, nodeSelector: {karpenter.sh/nodepool: b}}\n  nodePools:\n    - {name: a, weight: 9, capacityTypes: [on-demand], instanceTypes: [g5.xlarge], nodeClass: c}\n    - {name: b, capacityTypes: [on-demand], instanceTypes: [g5.xlarge], limits: {nvidia.com/gpu: '1'}, nodeClass: c}\n  nodeClasses: [{name: c, ami: al2023}]\n",
    );
    let o = evaluate(&p);
    assert_eq!(o.summary.unplaced_pods, 2);
    let t = at_peak(&p, &o);
    let pending: Vec<(&str, PodState)> = t.lanes[1].pending.iter().map(|p| (p.id.as_str(), p.state)).collect();
    assert_eq!(pending, [("b/pending/d/0", PodState::Pending), ("b/pending/d/1", PodState::Pending)]);
    assert_eq!((t.fleets[0].ready, t.fleets[0].pending), (1, 2));
}

/// The quickstart-like plan's simulated day with its series replaced by `nodes` (per sample, on-demand
/// g5.xlarge nodes of pool `a`) and `ready`/`pending` replicas of `d`.
fn day(nodes: &[u32], ready: &[u32], pending: &[u32]) -> (Plan, Outcome, DaySamples) {
    let p = plan(
        "  deployments:\n    - {name: d, model: meta-llama/Meta-Llama-3-8B-Instruct, tensorParallel: 1, replicas: {min: 3, max: 8}, tolerations: [{key: nvidia.com/gpu, operator: Exists}]}\n  nodePools:\n    - {name: a, capacityTypes: [on-demand], instanceTypes: [g5.xlarge], nodeClass: c}\n  nodeClasses: [{name: c, ami: al2023}]\n",
    );
    let o = evaluate(&p);
    let options = SimOptions { duration_s: 3600.0, step_s: 10.0, series_step_s: 600.0, seed: 1 };
    let mut timeline = simulate_plan(&p, &PlanInputs::for_plan(&p), &options).expect("simulates");
    let s = &mut timeline.series;
    s.t_s = (0..nodes.len()).map(|i| i as f64 * 600.0).collect();
    let pool = s.pools.get_mut("a").expect("pool series");
    pool.nodes_by_type.clear();
    pool.nodes_by_type.insert("g5.xlarge/on-demand".into(), nodes.to_vec());
    let d = s.deployments.get_mut("d").expect("deployment series");
    d.replicas_ready = ready.to_vec();
    d.replicas_pending = pending.to_vec();
    (p, o, DaySamples::of(&timeline))
}

#[test]
fn a_sample_shows_launching_nodes_and_pending_pods() {
    let (p, o, timeline) = day(&[2, 4, 4, 3], &[2, 2, 4, 3], &[0, 2, 0, 0]);
    let t = at_sample(&p, &o, &timeline, 1);
    assert_eq!(t.sample, Some(Sample { index: 1, t_s: 600.0 }));
    assert_eq!(
        nodes(&t.lanes[0]),
        [
            ("g5.xlarge", "on-demand", "running", 1),
            ("g5.xlarge", "on-demand", "running", 1),
            ("g5.xlarge", "on-demand", "launching", 0),
            ("g5.xlarge", "on-demand", "launching", 0),
        ]
    );
    assert_eq!(t.lanes[0].pending.len(), 2);
    assert!(t.lanes[0].pending.iter().all(|p| p.state == PodState::Pending));
    assert_eq!((t.fleets[0].ready, t.fleets[0].pending), (2, 2));
}

#[test]
fn a_sample_shows_draining_nodes_and_keeps_node_ids() {
    let (p, o, timeline) = day(&[2, 4, 4, 3], &[2, 2, 4, 3], &[0, 2, 0, 0]);
    let steady = at_sample(&p, &o, &timeline, 2);
    assert_eq!(steady.lanes[0].nodes.iter().map(|n| n.state).collect::<Vec<_>>(), [NodeState::Running; 4]);
    let t = at_sample(&p, &o, &timeline, 3);
    let states: Vec<&str> = t.lanes[0].nodes.iter().map(|n| n.state.as_str()).collect();
    assert_eq!(states, ["running", "running", "running", "draining"]);
    assert_eq!(t.lanes[0].nodes[3].pods.len(), 0, "the three ready pods are on the running nodes");
    let ids = |t: &Topology| t.lanes[0].nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&t), ids(&steady), "the same nodes keep their ids between samples");
    assert_eq!(t.lanes[0].nodes[0].id, "a/g5.xlarge/on-demand/0");
}

#[test]
fn sample_at_picks_the_last_sample_not_after_the_time() {
    let (_, _, timeline) = day(&[1, 1, 1], &[1, 1, 1], &[0, 0, 0]);
    assert_eq!(sample_at(&timeline, 0.0), Some(0));
    assert_eq!(sample_at(&timeline, 599.0), Some(0));
    assert_eq!(sample_at(&timeline, 600.0), Some(1));
    assert_eq!(sample_at(&timeline, 1e9), Some(2));
}

#[test]
fn stages_of_a_disaggregated_deployment_share_a_colour() {
    let p = parse_plan(include_str!("../../../examples/disaggregated.yaml")).expect("parses");
    let t = at_peak(&p, &evaluate(&p));
    let stages: Vec<(Option<&str>, u32)> =
        t.fleets.iter().filter(|f| f.deployment == "rag-70b").map(|f| (f.stage.as_deref(), f.colour)).collect();
    assert_eq!(stages, [(Some("prefill"), 0), (Some("decode"), 0)]);
}
