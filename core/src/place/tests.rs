//! Unit tests of `place`.

use super::*;
use crate::plan::parse_plan;

fn plan(extra: &str) -> Plan {
    let text = format!(
        "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {{name: t}}\nspec:\n  region: us-east-1\n{extra}"
    );
    parse_plan(&text).unwrap_or_else(|e| panic!("{e}"))
}

const ONE_GPU: &str = "  deployments:\n    - {name: d, model: m, tensorParallel: 1, replicas: {min: 3, max: 8}, tolerations: [{key: nvidia.com/gpu, operator: Exists}]}\n";

#[test]
fn packs_pods_on_the_cheapest_type_that_holds_them() {
    let p = plan(&format!(
        "{ONE_GPU}  nodePools:\n    - {{name: a, capacityTypes: [on-demand], instanceFamilies: [g5], nodeClass: c}}\n  nodeClasses: [{{name: c, ami: bottlerocket}}]\n"
    ));
    let o = evaluate(&p);
    assert!(o.unplaced.is_empty(), "{:?}", o.unplaced);
    // Karpenter packs the three pending pods onto one node: the cheapest g5 with 3+ GPUs.
    assert_eq!(o.pools[0].nodes[0].instance_type, "g5.12xlarge");
    assert_eq!((o.pools[0].nodes[0].count, o.summary.devices, o.pools[0].devices_free), (1, 3, 1));
}

#[test]
fn weight_order_taints_and_limits() {
    let p = plan(&format!(
        "{ONE_GPU}  nodePools:\n    - {{name: low, weight: 10, capacityTypes: [on-demand], instanceTypes: [g5.xlarge], nodeClass: c}}\n    - {{name: high, weight: 90, capacityTypes: [spot], instanceTypes: [g5.xlarge], limits: {{nvidia.com/gpu: '2'}}, nodeClass: c}}\n    - {{name: tainted, weight: 100, capacityTypes: [spot], instanceTypes: [g5.xlarge], taints: [{{key: x, effect: NoSchedule}}], nodeClass: c}}\n  nodeClasses: [{{name: c, ami: al2023}}]\n"
    ));
    let o = evaluate(&p);
    let by_name = |n: &str| o.pools.iter().find(|p| p.name == n).unwrap();
    assert_eq!(by_name("tainted").nodes.len(), 0);
    assert_eq!(by_name("high").nodes[0].count, 2, "limit of 2 GPUs stops the high pool");
    assert_eq!(by_name("high").nodes[0].capacity_type, CapacityType::Spot);
    assert_eq!(by_name("low").nodes[0].count, 1);
    assert_eq!(by_name("high").headroom[0].free, 0.0);
}

#[test]
fn reservations_first_and_fixed_cost_apart() {
    let p = plan(&format!(
        "{ONE_GPU}  nodePools:\n    - {{name: a, capacityTypes: [reserved, on-demand], instanceTypes: [g5.xlarge], nodeClass: c}}\n  nodeClasses: [{{name: c, ami: al2023, capacityReservations: [{{id: cr-0abc, instanceType: g5.xlarge, count: 2}}]}}]\n"
    ));
    let o = evaluate(&p);
    let nodes = &o.pools[0].nodes;
    assert_eq!((nodes[0].capacity_type, nodes[0].count), (CapacityType::Reserved, 2));
    assert_eq!((nodes[1].capacity_type, nodes[1].count), (CapacityType::OnDemand, 1));
    assert_eq!(o.summary.reserved_usd_per_hour, 2.01);
    assert_eq!(o.summary.marginal_usd_per_hour, 1.01);
}

#[test]
fn node_selectors_narrow_capacity_and_types() {
    let p = plan(
        "  deployments:\n    - {name: d, model: m, replicas: {min: 2, max: 2}, nodeSelector: {karpenter.sh/capacity-type: on-demand, node.kubernetes.io/instance-type: g5.2xlarge}}\n  nodePools:\n    - {name: a, capacityTypes: [spot, on-demand], instanceFamilies: [g5], nodeClass: c}\n  nodeClasses: [{name: c, ami: al2023}]\n",
    );
    let o = evaluate(&p);
    let nodes = &o.pools[0].nodes;
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    assert_eq!(
        (nodes[0].instance_type.as_str(), nodes[0].capacity_type, nodes[0].count),
        ("g5.2xlarge", CapacityType::OnDemand, 2)
    );
}

#[test]
fn unplaceable_pods_say_why() {
    let p = plan(&format!(
        "{ONE_GPU}  nodePools:\n    - {{name: a, capacityTypes: [on-demand], instanceFamilies: [inf2], nodeClass: c}}\n  nodeClasses: [{{name: c, ami: al2023}}]\n"
    ));
    let o = evaluate(&p);
    assert_eq!(o.unplaced[0].replicas, 3);
    assert!(o.unplaced[0].reason.contains("no instance type in NodePool a"), "{}", o.unplaced[0].reason);
}

/// Llama 3.1 405B in BF16 on one p5.48xlarge per replica: 94.5 GiB of weights per H100.
const LLAMA_405B_ON_P5: &str = "  workload: {requestsPerSecond: {baseline: 1, peak: 2}, inputTokens: {mean: 1024}, outputTokens: {mean: 256}}\n  deployments:\n    - {name: big, model: llama-3.1-405b, precision: bf16, tensorParallel: 8, replicas: {min: 1, max: 2}, tolerations: [{key: nvidia.com/gpu, operator: Exists}]}\n  nodePools:\n    - {name: p5, capacityTypes: [on-demand], instanceTypes: [p5.48xlarge], nodeClass: c}\n  nodeClasses: [{name: c, ami: al2023}]\n";

#[test]
fn a_replica_that_does_not_fit_its_instance_type_says_why_and_what_would() {
    let o = evaluate(&plan(LLAMA_405B_ON_P5));
    let s = o.deployments[0].memory_shortfall.as_deref().expect("405B BF16 does not fit eight H100s");
    assert_eq!(s.instance_type, "p5.48xlarge");
    assert_eq!((s.rank, s.available_gib_per_rank), ("GPU", 72.0));
    assert!(
        s.needed_gib_per_rank > 96.0 && s.reason.contains("needs 96.9 GiB per GPU but vllm leaves 72.0 GiB"),
        "{s:?}"
    );
    let ways: Vec<(&str, Option<&str>)> =
        s.alternatives.iter().map(|a| (a.kind.as_str(), a.instance_type.as_deref())).collect();
    assert_eq!(ways[..2], [("precision", Some("p5.48xlarge")), ("instance_type", Some("p5en.48xlarge"))], "{ways:?}");
    assert_eq!(s.alternatives[0].precision, crate::perf::Precision::Fp8);
    // The plan's JSON carries it; a fitting deployment's has no such field.
    let json = serde_json::to_value(&o).unwrap();
    assert_eq!(json["deployments"][0]["memory_shortfall"]["alternatives"][0]["precision"], "fp8");
    let fits = evaluate(&plan(&LLAMA_405B_ON_P5.replace("precision: bf16", "precision: fp8")));
    assert!(fits.deployments[0].memory_shortfall.is_none());
    assert!(serde_json::to_value(&fits).unwrap()["deployments"][0].get("memory_shortfall").is_none());
}

const MIG_POOL: &str = "  nodePools:\n    - {name: mig, capacityTypes: [on-demand], instanceTypes: [p4de.24xlarge, p5.4xlarge], migProfile: 1g.10gb, nodeClass: c}\n  nodeClasses: [{name: c, ami: bottlerocket}]\n";

#[test]
fn mig_slices_pack_seven_to_a_gpu_and_price_a_slice_hour() {
    let p = plan(&format!(
        "  deployments:\n    - {{name: d, model: microsoft/Phi-3-mini-4k-instruct, precision: awq, tensorParallel: 1, migProfile: 1g.10gb, replicas: {{min: 9, max: 20}}}}\n{MIG_POOL}"
    ));
    let o = evaluate(&p);
    assert!(o.unplaced.is_empty(), "{:?}", o.unplaced);
    // Nine 1g.10gb slices: the cheapest type holding all nine is the p4de (8 A100s × 7 = 56 slices;
    // a p5.4xlarge holds 7).
    let group = &o.pools[0].nodes[0];
    assert_eq!((group.instance_type.as_str(), group.count, group.pods), ("p4de.24xlarge", 1, 9));
    assert_eq!(group.mig_slices_each, Some(56));
    let slice = group.usd_per_slice_hour.unwrap();
    assert!((slice - group.usd_per_hour_each / 56.0).abs() < 1e-3, "{slice}");
    assert_eq!((o.pools[0].devices_used, o.pools[0].devices_free), (9, 47));
    assert_eq!(o.deployments[0].devices_per_replica, 1);
}

#[test]
fn mig_pools_and_whole_gpu_pods_do_not_mix() {
    let p = plan(&format!("{ONE_GPU}{MIG_POOL}"));
    let o = evaluate(&p);
    assert_eq!(o.unplaced[0].replicas, 3);
    assert!(o.unplaced[0].reason.contains("partitions its GPUs into MIG 1g.10gb slices"), "{}", o.unplaced[0].reason);
    let p = plan(
        "  deployments:\n    - {name: d, model: m, tensorParallel: 1, migProfile: 1g.10gb, replicas: {min: 1, max: 2}}\n  nodePools:\n    - {name: whole, capacityTypes: [on-demand], instanceTypes: [p5.4xlarge], nodeClass: c}\n  nodeClasses: [{name: c, ami: bottlerocket}]\n",
    );
    let o = evaluate(&p);
    assert!(o.unplaced[0].reason.contains("does not partition its GPUs"), "{}", o.unplaced[0].reason);
    assert!(o.pools[0].nodes.is_empty());
}
