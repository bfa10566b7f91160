//! Placement: which instance types, capacity types and how many nodes serve a Plan's deployments.
//!
//! Walking-skeleton version: each deployment runs its minimum replicas on the first NodePool (by
//! descending weight) whose instance types can hold one replica; the cheapest fitting instance type
//! and the most preferred priced capacity type are chosen, and replicas are packed onto nodes.

use serde::Serialize;

use crate::catalog::{self, CapacityType, InstanceType};
use crate::plan::{NodePool, Plan};

/// What a Plan costs and needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub summary: Summary,
    pub deployments: Vec<DeploymentOutcome>,
    pub pools: Vec<PoolOutcome>,
    /// Deployments (or parts of them) that could not be placed, with the reason.
    pub unplaced: Vec<Unplaced>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub devices: u32,
    pub nodes: u32,
    pub cost_usd_per_hour: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentOutcome {
    pub name: String,
    pub replicas: u32,
    pub devices_per_replica: u32,
    pub devices: u32,
    pub node_pool: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolOutcome {
    pub name: String,
    pub nodes: Vec<NodeGroup>,
    pub devices_used: u32,
    pub devices_free: u32,
    pub cost_usd_per_hour: f64,
}

/// Nodes of one instance type and capacity type in a pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeGroup {
    pub instance_type: String,
    pub capacity_type: CapacityType,
    pub count: u32,
    pub usd_per_hour_each: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unplaced {
    pub deployment: String,
    pub replicas: u32,
    pub reason: String,
}

/// Instance types a pool's requirements allow.
pub fn pool_instance_types(pool: &NodePool) -> impl Iterator<Item = &'static InstanceType> + '_ {
    catalog::instance_types().iter().filter(move |t| {
        (pool.instance_families.is_empty() || pool.instance_families.iter().any(|f| *f == t.family))
            && (pool.instance_types.is_empty() || pool.instance_types.iter().any(|n| *n == t.name))
    })
}

/// The cheapest (instance type, capacity type, price) in a pool that holds `devices` accelerators,
/// taking capacity types in Karpenter's order of preference.
fn cheapest_fit(pool: &NodePool, region: &str, devices: u32) -> Option<(&'static InstanceType, CapacityType, f64)> {
    let mut preferences = pool.capacity_types.clone();
    preferences.sort();
    preferences.into_iter().find_map(|capacity| {
        pool_instance_types(pool)
            .filter(|t| t.accelerator_count >= devices)
            .filter_map(|t| catalog::prices::price(&t.name, region, capacity).map(|p| (t, capacity, p.usd_per_hour)))
            .min_by(|a, b| a.2.total_cmp(&b.2).then_with(|| a.0.name.cmp(&b.0.name)))
    })
}

/// Places every deployment of a plan.
pub fn evaluate(plan: &Plan) -> Outcome {
    let pools = plan.pools_by_priority();
    let mut pool_outcomes: Vec<PoolOutcome> = pools
        .iter()
        .map(|p| PoolOutcome {
            name: p.name.clone(),
            nodes: vec![],
            devices_used: 0,
            devices_free: 0,
            cost_usd_per_hour: 0.0,
        })
        .collect();
    let mut deployments = vec![];
    let mut unplaced = vec![];
    for d in &plan.spec.deployments {
        let replicas = d.replicas.min;
        let found = pools
            .iter()
            .enumerate()
            .find_map(|(i, p)| cheapest_fit(p, &plan.spec.region, d.tensor_parallel).map(|fit| (i, fit)));
        match found {
            Some((i, (instance, capacity, usd))) => {
                let pods_per_node = instance.accelerator_count / d.tensor_parallel;
                let nodes = replicas.div_ceil(pods_per_node);
                let pool = &mut pool_outcomes[i];
                pool.nodes.push(NodeGroup {
                    instance_type: instance.name.clone(),
                    capacity_type: capacity,
                    count: nodes,
                    usd_per_hour_each: usd,
                });
                pool.devices_used += replicas * d.tensor_parallel;
                pool.devices_free += nodes * instance.accelerator_count - replicas * d.tensor_parallel;
                pool.cost_usd_per_hour += nodes as f64 * usd;
                deployments.push(DeploymentOutcome {
                    name: d.name.clone(),
                    replicas,
                    devices_per_replica: d.tensor_parallel,
                    devices: replicas * d.tensor_parallel,
                    node_pool: Some(pool.name.clone()),
                });
            }
            None => {
                unplaced.push(Unplaced {
                    deployment: d.name.clone(),
                    replicas,
                    reason: format!(
                        "no NodePool offers a priced instance type with {} accelerators in {}",
                        d.tensor_parallel, plan.spec.region
                    ),
                });
                deployments.push(DeploymentOutcome {
                    name: d.name.clone(),
                    replicas: 0,
                    devices_per_replica: d.tensor_parallel,
                    devices: 0,
                    node_pool: None,
                });
            }
        }
    }
    let summary = Summary {
        devices: deployments.iter().map(|d| d.devices).sum(),
        nodes: pool_outcomes.iter().flat_map(|p| &p.nodes).map(|n| n.count).sum(),
        cost_usd_per_hour: round_cents(pool_outcomes.iter().map(|p| p.cost_usd_per_hour).sum()),
    };
    for pool in &mut pool_outcomes {
        pool.cost_usd_per_hour = round_cents(pool.cost_usd_per_hour);
    }
    Outcome { summary, deployments, pools: pool_outcomes, unplaced }
}

/// Money is reported to the cent (sub-cent digits of a sum of float prices are noise).
fn round_cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}
