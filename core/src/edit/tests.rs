//! The edits' rules, checked natively.

use super::*;
use crate::catalog::CapacityType;
use crate::plan::{
    parse_plan, validate, CapacityReservation, Consolidation, Mode, NodePool, Plan, ReplicaBounds, StageKind, Taint,
};

fn pool(name: &str, weight: Option<u32>, families: &[&str]) -> NodePool {
    NodePool {
        mig_profile: None,
        replicas: None,
        name: name.to_string(),
        weight,
        capacity_types: vec![CapacityType::OnDemand],
        instance_families: families.iter().map(|f| f.to_string()).collect(),
        instance_types: Vec::new(),
        limits: Default::default(),
        taints: vec![Taint { key: "nvidia.com/gpu".into(), value: None, effect: "NoSchedule".into() }],
        labels: Default::default(),
        consolidation: Consolidation::default(),
        budgets: Vec::new(),
        expire_after: None,
        node_class: "default".to_string(),
    }
}

fn three_pools() -> Plan {
    let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    plan.spec.node_pools = vec![pool("a", Some(10), &["g5"]), pool("b", Some(50), &["g6"]), pool("c", None, &["p5"])];
    plan
}

#[test]
fn weights_are_distinct_highest_first_and_in_range() {
    assert_eq!(weights_highest_first(3), vec![30, 20, 10]);
    assert_eq!(weights_highest_first(1), vec![10]);
    for n in 0..150 {
        let w = weights_highest_first(n);
        assert_eq!(w.len(), n);
        assert!(w.iter().all(|w| (1..=100).contains(w)));
        if n <= 100 {
            assert!(w.windows(2).all(|p| p[0] > p[1]), "{n}: {w:?}");
        }
    }
}

#[test]
fn moving_a_pool_reorders_and_reweights() {
    let mut plan = three_pools();
    assert_eq!(plan.pool_names_by_priority(), ["b", "a", "c"]);
    plan.move_pool("c", 0).unwrap();
    assert_eq!(plan.pool_names_by_priority(), ["c", "b", "a"]);
    let weights: Vec<_> = plan.spec.node_pools.iter().map(|p| (p.name.as_str(), p.weight)).collect();
    assert_eq!(weights, [("c", Some(30)), ("b", Some(20)), ("a", Some(10))]);
    plan.move_pool("c", 99).unwrap();
    assert_eq!(plan.pool_names_by_priority(), ["b", "a", "c"]);
    assert!(validate(&plan).is_empty());
    assert!(plan.move_pool("zzz", 0).is_err());
}

#[test]
fn moving_a_family_takes_it_from_one_pool_to_the_other() {
    let mut plan = three_pools();
    plan.move_instance_family("g5", "a", "b").unwrap();
    assert!(plan.node_pool("a").unwrap().instance_families.is_empty());
    assert_eq!(plan.node_pool("b").unwrap().instance_families, ["g6", "g5"]);
    assert!(plan.move_instance_family("g5", "a", "b").is_err());
    assert!(plan.move_instance_family("g6", "b", "nope").is_err());
    assert_eq!(plan.node_pool("b").unwrap().instance_families, ["g6", "g5"]);
}

#[test]
fn assigning_a_deployment_pins_it_and_tolerates_the_taints() {
    let mut plan = three_pools();
    plan.spec.deployments[0].tolerations.clear();
    plan.assign_deployment("llama3-8b", "c").unwrap();
    let d = &plan.spec.deployments[0];
    assert_eq!(d.node_selector.get(NODE_POOL_SELECTOR).map(String::as_str), Some("c"));
    assert_eq!(d.tolerations.len(), 1);
    plan.assign_deployment("llama3-8b", "b").unwrap();
    assert_eq!(plan.spec.deployments[0].tolerations.len(), 1);
    let outcome = crate::place::evaluate(&plan);
    assert!(outcome.pools.iter().all(|p| p.name == "b" || p.nodes.is_empty()), "{:?}", outcome.pools);
    assert!(plan.assign_deployment("nope", "b").is_err());
}

#[test]
fn a_deployment_is_not_pinned_to_a_pool_none_of_its_replicas_fits() {
    let mut plan = three_pools();
    plan.spec.node_pools[1].instance_types = vec!["g6.xlarge".to_string()];
    plan.spec.deployments[0].tensor_parallel = 4;
    let before = plan.clone();
    let e = plan.assign_deployment("llama3-8b", "b").unwrap_err();
    assert!(e.to_string().contains("NodePool b") && e.to_string().contains("g6.xlarge"), "{e}");
    assert_eq!(plan, before, "a refused pin changes nothing");
    plan.assign_deployment("llama3-8b", "c").unwrap();
}

#[test]
fn adding_a_reservation_reaches_the_node_class_and_the_export() {
    let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    let reservation = CapacityReservation {
        id: "cr-0123456789abcdef0".into(),
        kind: "odcr".into(),
        instance_type: "g5.2xlarge".into(),
        count: 2,
        availability_zone: None,
        end_time: None,
    };
    plan.add_reservation("gpu-on-demand", reservation.clone()).unwrap();
    assert_eq!(plan.spec.node_classes[0].capacity_reservations, std::slice::from_ref(&reservation));
    assert_eq!(plan.spec.node_pools[0].capacity_types[0], CapacityType::Reserved);
    assert!(crate::manifest::render_stream(&plan).contains("capacityReservationSelectorTerms"));
    plan.add_reservation("gpu-on-demand", CapacityReservation { count: 3, ..reservation }).unwrap();
    assert_eq!(plan.spec.node_classes[0].capacity_reservations.len(), 1);
    assert!(plan
        .add_reservation("gpu-on-demand", CapacityReservation { id: String::new(), ..Default::default() })
        .is_err());
    plan.remove_reservation("cr-0123456789abcdef0");
    assert!(plan.spec.node_classes[0].capacity_reservations.is_empty());
}

#[test]
fn importing_pools_replaces_by_name_and_adds_new_ones() {
    let mut plan = three_pools();
    let mut imported = Plan::minimal("imported");
    imported.spec.node_pools = vec![pool("a", Some(99), &["p4d"]), pool("d", Some(1), &["inf2"])];
    let touched = plan.apply_import(&imported, ImportMode::MergePools);
    assert_eq!(touched, ["a", "d"]);
    assert_eq!(plan.spec.node_pools.len(), 4);
    assert_eq!(plan.node_pool("a").unwrap().instance_families, ["p4d"]);
    plan.apply_import(&imported, ImportMode::ReplacePlan);
    assert_eq!(plan, imported);
}

#[test]
fn instance_types_are_compared_cheapest_first() {
    let plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    let costs = compare_instance_types(&plan, 40);
    assert!(!costs.is_empty());
    assert!(costs.windows(2).all(|w| w[0].1 <= w[1].1), "{costs:?}");
    assert!(costs.iter().all(|(name, usd)| (name.starts_with("g5") || name.starts_with("g6")) && *usd > 0.0));
}

#[test]
fn switching_mode_adds_and_drops_the_stages() {
    let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    plan.set_mode("llama3-8b", Mode::Disaggregated).unwrap();
    assert!(validate(&plan).is_empty(), "{:?}", validate(&plan));
    assert_eq!(crate::place::evaluate(&plan).deployments.len(), 2);
    assert!(crate::manifest::render_stream(&plan).contains("llama3-8b-prefill"));
    plan.set_mode("llama3-8b", Mode::Monolithic).unwrap();
    assert_eq!(plan, parse_plan(crate::examples::example("quickstart").unwrap()).unwrap());
    assert!(plan.set_mode("nope", Mode::Monolithic).is_err());
}

fn disaggregated() -> Plan {
    parse_plan(crate::examples::example("disaggregated").unwrap()).unwrap()
}

/// The exported document of `kind` named `name` (one document of the stream).
fn exported(plan: &Plan, kind: &str, name: &str) -> String {
    crate::manifest::render_stream(plan)
        .split("\n---\n")
        .find(|d| d.contains(&format!("kind: {kind}\n")) && d.contains(&format!("\n  name: {name}\n")))
        .unwrap_or_else(|| panic!("no {kind} {name} in the export"))
        .to_string()
}

#[test]
fn stage_replicas_are_set_apart_and_checked() {
    let mut plan = disaggregated();
    plan.set_stage_replicas("rag-70b", StageKind::Decode, ReplicaBounds { min: 3, max: 5 }).unwrap();
    assert!(validate(&plan).is_empty(), "{:?}", validate(&plan));
    assert_eq!(plan.spec.deployments[0].decode.as_ref().unwrap().replicas, ReplicaBounds { min: 3, max: 5 });
    assert_eq!(plan.spec.deployments[0].prefill.as_ref().unwrap().replicas, ReplicaBounds { min: 2, max: 4 });
    assert!(exported(&plan, "ScaledObject", "rag-70b-decode").contains("maxReplicaCount: 5"));
    assert!(exported(&plan, "ScaledObject", "rag-70b-prefill").contains("maxReplicaCount: 4"));

    let before = plan.clone();
    let e = plan.set_stage_replicas("rag-70b", StageKind::Prefill, ReplicaBounds { min: 5, max: 3 }).unwrap_err();
    assert_eq!(e.to_string(), "prefill replicas: min 5 is above max 3 (raise max first)");
    let e = plan.set_stage_replicas("rag-70b", StageKind::Decode, ReplicaBounds { min: 0, max: 0 }).unwrap_err();
    assert_eq!(e.to_string(), "decode replicas: max must be at least 1");
    assert!(plan.set_stage_replicas("rag-70b", StageKind::Decode, ReplicaBounds { min: 1, max: 10_001 }).is_err());
    assert!(plan.set_stage_replicas("nope", StageKind::Decode, ReplicaBounds { min: 1, max: 2 }).is_err());
    assert_eq!(plan, before, "a refused edit leaves the plan as it was");

    let mut mono = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    let e = mono.set_stage_replicas("llama3-8b", StageKind::Prefill, ReplicaBounds { min: 1, max: 2 }).unwrap_err();
    assert!(e.to_string().contains("serves monolithically"), "{e}");
    mono.set_replicas("llama3-8b", None, ReplicaBounds { min: 1, max: 3 }).unwrap();
    assert_eq!(mono.spec.deployments[0].replicas, ReplicaBounds { min: 1, max: 3 });
}

#[test]
fn pinning_a_stage_moves_only_that_fleet() {
    let mut plan = disaggregated();
    // g6e.12xlarge holds a 4-GPU prefill replica.
    plan.assign_stage("rag-70b", StageKind::Prefill, Some("decode-l40s")).unwrap();
    assert!(validate(&plan).is_empty(), "{:?}", validate(&plan));
    assert!(exported(&plan, "Deployment", "rag-70b-prefill").contains("karpenter.sh/nodepool: decode-l40s"));
    assert!(exported(&plan, "Deployment", "rag-70b-decode").contains("karpenter.sh/nodepool: decode-l40s"));
    let outcome = crate::place::evaluate(&plan);
    let prefill = outcome.deployments.iter().find(|d| d.role == "prefill").unwrap();
    assert_eq!(prefill.node_pools, ["decode-l40s"]);

    // Eight GPUs per prefill replica do not fit a g6e.12xlarge (4 GPUs): refused, named, unchanged.
    let before = plan.clone();
    let e = plan.set_stage_tensor_parallel("rag-70b", StageKind::Prefill, Some(8)).unwrap_err();
    assert!(
        e.to_string().contains("rag-70b-prefill needs 8 GPUs") && e.to_string().contains("NodePool decode-l40s"),
        "{e}"
    );
    assert!(e.to_string().contains("(g6e.12xlarge) has 4"), "{e}");
    assert_eq!(plan, before);
    // Back on the p5 pool, eight fit; the decode stage keeps inheriting nothing it did not set.
    plan.assign_stage("rag-70b", StageKind::Prefill, Some("prefill-h100")).unwrap();
    plan.set_stage_tensor_parallel("rag-70b", StageKind::Prefill, Some(8)).unwrap();
    assert!(validate(&plan).is_empty());
    assert!(exported(&plan, "Deployment", "rag-70b-prefill").contains("--tensor-parallel-size\n        - \"8\""));
    // ... but the p5 prefill stage cannot move onto the 4-GPU pool now.
    let e = plan.assign_stage("rag-70b", StageKind::Prefill, Some("decode-l40s")).unwrap_err();
    assert!(e.to_string().contains("needs 8 GPUs"), "{e}");
    // Empty means the deployment's.
    plan.set_stage_tensor_parallel("rag-70b", StageKind::Prefill, None).unwrap();
    assert_eq!(plan.spec.deployments[0].prefill.as_ref().unwrap().tensor_parallel, None);
    assert!(plan.set_stage_tensor_parallel("rag-70b", StageKind::Prefill, Some(0)).is_err());

    // Unpinning, unknown pools, monolithic deployments.
    plan.assign_stage("rag-70b", StageKind::Decode, None).unwrap();
    assert_eq!(plan.spec.deployments[0].decode.as_ref().unwrap().node_pool, None);
    assert!(validate(&plan).is_empty());
    assert!(plan.assign_stage("rag-70b", StageKind::Decode, Some("nope")).is_err());
    let mut mono = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    assert!(mono.assign_stage("llama3-8b", StageKind::Decode, Some("gpu-on-demand")).is_err());
}

#[test]
fn pinning_a_stage_splits_a_deployment_wide_pin_and_tolerates_the_taints() {
    let mut plan = disaggregated();
    let d = &mut plan.spec.deployments[0];
    d.node_selector.insert(NODE_POOL_SELECTOR.into(), "prefill-h100".into());
    d.prefill.as_mut().unwrap().node_pool = None;
    d.decode.as_mut().unwrap().node_pool = None;
    d.tolerations.clear();
    plan.assign_stage("rag-70b", StageKind::Decode, Some("decode-l40s")).unwrap();
    let d = &plan.spec.deployments[0];
    assert!(!d.node_selector.contains_key(NODE_POOL_SELECTOR), "the wide pin would keep decode off its pool");
    assert_eq!(d.prefill.as_ref().unwrap().node_pool.as_deref(), Some("prefill-h100"));
    assert_eq!(d.decode.as_ref().unwrap().node_pool.as_deref(), Some("decode-l40s"));
    assert_eq!(d.tolerations.len(), 1);
    assert!(crate::place::evaluate(&plan).unplaced.is_empty());
}

#[test]
fn tensor_parallel_must_fit_an_instance_type_the_pools_allow() {
    // The quickstart's pool allows only one-GPU types (g6e.xlarge, g6e.2xlarge).
    let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    let e = plan.set_tensor_parallel("llama3-8b", 2).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a replica of llama3-8b needs 2 GPUs, but the largest instance type the NodePools allow (g6e.2xlarge) \
         has 1: lower tensor parallel, or pin it to a NodePool with larger instance types"
    );
    assert!(plan.set_tensor_parallel("llama3-8b", 0).is_err());
    plan.spec.node_pools[0].instance_types.clear();
    plan.set_tensor_parallel("llama3-8b", 8).unwrap();
    assert!(plan.set_tensor_parallel("llama3-8b", 16).is_err(), "no g6e type has 16 GPUs");
    assert_eq!(plan.spec.deployments[0].tensor_parallel, 8);
    // A fleet that fits nowhere already may still be edited, so it can be fixed step by step.
    plan.spec.deployments[0].tensor_parallel = 32;
    plan.set_tensor_parallel("llama3-8b", 16).unwrap();
    plan.set_tensor_parallel("llama3-8b", 4).unwrap();
    // A stage without its own degree inherits the deployment's, and is checked with it.
    let mut plan = disaggregated();
    plan.set_stage_tensor_parallel("rag-70b", StageKind::Decode, None).unwrap();
    let e = plan.set_tensor_parallel("rag-70b", 8).unwrap_err();
    assert!(
        e.to_string().contains("rag-70b-decode needs 8 GPUs") && e.to_string().contains("NodePool decode-l40s"),
        "{e}"
    );
    plan.set_stage_tensor_parallel("rag-70b", StageKind::Decode, Some(4)).unwrap();
    plan.set_tensor_parallel("rag-70b", 8).unwrap();
    let e = plan.set_stage_tensor_parallel("rag-70b", StageKind::Decode, None).unwrap_err();
    assert!(e.to_string().contains("needs 8 GPUs"), "inheriting 8 would not fit: {e}");
}

#[test]
fn switching_mode_moves_a_deployment_pin_onto_the_stages_and_back() {
    let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    plan.assign_deployment("llama3-8b", "gpu-on-demand").unwrap();
    let pinned = plan.clone();
    plan.set_mode("llama3-8b", Mode::Disaggregated).unwrap();
    let d = &plan.spec.deployments[0];
    assert!(d.node_selector.is_empty());
    for stage in StageKind::BOTH {
        assert_eq!(d.stage(stage).unwrap().node_pool.as_deref(), Some("gpu-on-demand"));
        assert_eq!(d.stage(stage).unwrap().replicas, d.replicas);
    }
    assert!(validate(&plan).is_empty());
    plan.set_mode("llama3-8b", Mode::Monolithic).unwrap();
    assert_eq!(plan, pinned);
    // Stages on different pools leave a monolithic deployment unpinned.
    let mut plan = disaggregated();
    plan.set_mode("rag-70b", Mode::Monolithic).unwrap();
    assert!(plan.spec.deployments[0].node_selector.is_empty());
    assert!(validate(&plan).is_empty());
}

#[test]
fn typed_limits_and_taints_round_trip() {
    let limits = parse_pairs("nvidia.com/gpu=16, cpu = 1000,").unwrap();
    assert_eq!(show_pairs(&limits), "cpu=1000, nvidia.com/gpu=16");
    assert!(parse_pairs("gpu").is_err());
    assert!(parse_pairs("=3").is_err());
    let taints = parse_taints("nvidia.com/gpu:NoSchedule, team=ml:NoExecute").unwrap();
    assert_eq!(show_taints(&taints), "nvidia.com/gpu:NoSchedule, team=ml:NoExecute");
    assert!(parse_taints("nvidia.com/gpu").is_err());
    assert_eq!(parse_taints("").unwrap(), vec![]);
}

impl Default for CapacityReservation {
    fn default() -> Self {
        CapacityReservation {
            id: "cr-1".into(),
            kind: "odcr".into(),
            instance_type: "g5.xlarge".into(),
            count: 1,
            availability_zone: None,
            end_time: None,
        }
    }
}

#[test]
fn capacity_types_toggle_in_catalog_order_and_families_are_added_once() {
    let mut pool = pool("a", None, &["g5"]);
    pool.toggle_capacity_type(CapacityType::Spot);
    pool.toggle_capacity_type(CapacityType::Reserved);
    assert_eq!(pool.capacity_types, [CapacityType::Reserved, CapacityType::Spot, CapacityType::OnDemand]);
    pool.toggle_capacity_type(CapacityType::OnDemand);
    assert_eq!(pool.capacity_types, [CapacityType::Reserved, CapacityType::Spot]);
    pool.add_instance_family(" g6e ");
    pool.add_instance_family("g6e");
    pool.add_instance_family("  ");
    assert_eq!(pool.instance_families, ["g5", "g6e"]);
}

#[test]
fn one_replica_bound_is_set_and_checked_with_the_other() {
    let mut plan = disaggregated();
    plan.set_replica_bound("rag-70b", Some(StageKind::Decode), ReplicaBound::Max, 7).unwrap();
    assert_eq!(
        plan.spec.deployments[0].replica_bounds(Some(StageKind::Decode)),
        Some(ReplicaBounds { min: 2, max: 7 })
    );
    let e = plan.set_replica_bound("rag-70b", Some(StageKind::Decode), ReplicaBound::Min, 9).unwrap_err();
    assert_eq!(e, EditError::MinAboveMax { fleet: "decode replicas".into(), min: 9, max: 7 });
    let mut mono = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    let e = mono.set_replica_bound("llama3-8b", Some(StageKind::Prefill), ReplicaBound::Max, 2).unwrap_err();
    assert!(matches!(e, EditError::Monolithic { stage: StageKind::Prefill, .. }), "{e:?}");
    assert_eq!(mono.set_slo_limit(99, 1.0), Err(EditError::NoSlo(99)));
}

#[test]
fn a_deployment_pinned_by_selector_or_by_both_stages_names_its_pool() {
    let mut plan = disaggregated();
    assert_eq!(plan.spec.deployments[0].pinned_pool(), None, "its stages are on different pools");
    plan.assign_deployment("rag-70b", "prefill-h100").unwrap();
    assert_eq!(plan.spec.deployments[0].pinned_pool(), Some("prefill-h100"));
}

#[test]
fn a_pasted_trace_is_normalised() {
    assert_eq!(normalize_trace_csv("t,rps\r\n0,1\r2,3\n\n"), "t,rps\n0,1\n2,3\n");
}

/// A static NodePool takes no weight: moving pools reweights only the dynamic ones, and the plan
/// stays valid.
#[test]
fn moving_pools_leaves_a_static_pool_without_weight() {
    let mut plan = three_pools();
    let i = plan.spec.node_pools.iter().position(|p| p.name == "a").unwrap();
    plan.spec.node_pools[i].weight = None;
    plan.spec.node_pools[i].replicas = Some(2);
    plan.move_pool("a", 0).unwrap();
    let weights: Vec<_> = plan.spec.node_pools.iter().map(|p| (p.name.as_str(), p.weight)).collect();
    assert_eq!(weights, [("a", None), ("b", Some(20)), ("c", Some(10))]);
    assert!(validate(&plan).is_empty(), "{:?}", validate(&plan));
}
