//! Cluster Autoscaler's settings and node groups from a Plan (`spec.clusterAutoscaler`): the flags
//! with Cluster Autoscaler's defaults where absent, and the node groups as written, or, when there are
//! none, one per NodePool, instance type and capacity type, as a team translating Karpenter's pools to
//! Auto Scaling groups would write them.

use crate::catalog::CapacityType;
use crate::plan::Plan;
use crate::sim::duration::parse_duration_s;
use crate::sim::error::SimError;
use crate::sim::params::cluster_autoscaler as defaults;
use crate::sim::scenario::{CaSpec, Expander, SimNodeGroup, SimPool};

/// A derived node group's maximum size when its NodePool has no limit that bounds it.
pub const DERIVED_MAX_SIZE: u32 = 100;

/// Cluster Autoscaler's spec for a plan whose pools (as `from_plan` built them) are `pools`.
pub fn cluster_autoscaler_spec(plan: &Plan, pools: &[SimPool]) -> Result<CaSpec, SimError> {
    let ca = plan.spec.cluster_autoscaler.clone().unwrap_or_default();
    let at = |f: &str| format!("spec.clusterAutoscaler.{f}");
    let duration = |value: &Option<String>, field: &str, default: f64| -> Result<f64, SimError> {
        match value {
            Some(text) => parse_duration_s(text, &at(field)).map_err(|e| SimError::invalid(at(field), e.to_string())),
            None => Ok(default),
        }
    };
    let scan_interval_s = duration(&ca.scan_interval, "scanInterval", defaults::SCAN_INTERVAL_S)?;
    let mut expanders = vec![];
    for name in ca.expander.as_deref().unwrap_or("random").split(',') {
        let e = Expander::parse(name)
            .ok_or_else(|| SimError::invalid(at("expander"), format!("{name:?} is not an expander")))?;
        expanders.push(e);
    }
    let node_groups = if ca.node_groups.is_empty() {
        derived_groups(pools)
    } else {
        let mut groups = vec![];
        for (i, g) in ca.node_groups.iter().enumerate() {
            let field = |f: &str| at(&format!("nodeGroups[{i}] ({}).{f}", g.name));
            let pool = pools
                .iter()
                .find(|p| p.name == g.node_pool)
                .ok_or_else(|| SimError::invalid(field("nodePool"), format!("no NodePool {:?}", g.node_pool)))?;
            // The template: the pool's first instance type with a price for its first capacity type
            // (spot before on-demand, as Karpenter's pool would launch).
            let template = capacity_order(pool)
                .into_iter()
                .find_map(|c| pool.instance_types.iter().find(|t| t.price(c).is_some()).map(|t| (t.name.clone(), c)));
            let Some((instance_type, capacity)) = template else {
                return Err(SimError::invalid(
                    field("nodePool"),
                    format!("NodePool {} offers no priced accelerator instance type in the region", pool.name),
                ));
            };
            groups.push(SimNodeGroup {
                name: g.name.clone(),
                pool: pool.name.clone(),
                instance_type,
                capacity,
                min_size: g.min_size,
                max_size: g.max_size,
                desired_capacity: g.desired_capacity.unwrap_or(g.min_size),
                priority: g.priority.unwrap_or(0),
                source: "plan".to_string(),
            });
        }
        groups
    };
    Ok(CaSpec {
        scan_interval_s,
        expanders,
        scale_down_enabled: ca.scale_down_enabled.unwrap_or(true),
        scale_down_delay_after_add_s: duration(
            &ca.scale_down_delay_after_add,
            "scaleDownDelayAfterAdd",
            defaults::SCALE_DOWN_DELAY_AFTER_ADD_S,
        )?,
        scale_down_delay_after_delete_s: duration(
            &ca.scale_down_delay_after_delete,
            "scaleDownDelayAfterDelete",
            scan_interval_s,
        )?,
        scale_down_unneeded_time_s: duration(
            &ca.scale_down_unneeded_time,
            "scaleDownUnneededTime",
            defaults::SCALE_DOWN_UNNEEDED_TIME_S,
        )?,
        scale_down_utilization_threshold: ca
            .scale_down_utilization_threshold
            .unwrap_or(defaults::SCALE_DOWN_UTILIZATION_THRESHOLD),
        max_node_provision_time_s: duration(
            &ca.max_node_provision_time,
            "maxNodeProvisionTime",
            defaults::MAX_NODE_PROVISION_TIME_S,
        )?,
        max_nodes_total: ca.max_nodes_total.filter(|&n| n > 0),
        max_empty_bulk_delete: defaults::MAX_EMPTY_BULK_DELETE,
        node_group_backoff_s: defaults::NODE_GROUP_BACKOFF_S,
        asg_launch_s: defaults::ASG_LAUNCH_S,
        node_groups,
    })
}

/// The capacity types a pool launches, in Karpenter's order (spot before on-demand).
fn capacity_order(pool: &SimPool) -> Vec<CapacityType> {
    let mut order: Vec<CapacityType> =
        pool.capacity_types.iter().copied().filter(|c| *c != CapacityType::Reserved).collect();
    order.sort();
    order.dedup();
    order
}

/// One group per NodePool (static ones excepted: their nodes are kept as they are), instance type and
/// capacity type it may launch, min 0, max from the pool's limits (devices, vCPU, nodes) or
/// [`DERIVED_MAX_SIZE`].
pub fn derived_groups(pools: &[SimPool]) -> Vec<SimNodeGroup> {
    let mut groups = vec![];
    for pool in pools.iter().filter(|p| p.static_nodes.is_none()) {
        for capacity in capacity_order(pool) {
            for t in pool.instance_types.iter().filter(|t| t.price(capacity).is_some() && t.devices > 0) {
                let mut max = pool.limit_nodes.unwrap_or(DERIVED_MAX_SIZE);
                if let Some(l) = pool.limit_devices {
                    max = max.min(l / t.devices);
                }
                if let (Some(l), true) = (pool.limit_cpu, t.vcpu > 0) {
                    max = max.min(l / t.vcpu);
                }
                if max == 0 {
                    continue;
                }
                groups.push(SimNodeGroup {
                    name: format!("{}-{}-{}", pool.name, t.name, capacity.as_str()),
                    pool: pool.name.clone(),
                    instance_type: t.name.clone(),
                    capacity,
                    min_size: 0,
                    max_size: max,
                    desired_capacity: 0,
                    priority: 0,
                    source: "derived".to_string(),
                });
            }
        }
    }
    groups
}
