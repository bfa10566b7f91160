//! Warm capacity rules: the alpha feature gates static NodePools and CapacityBuffers need, a static
//! NodePool too small for the fleets that can only run on it, and warm capacity that no node of the
//! allowed pools can hold (no instance type fits a chunk, or the pools' limits leave no room).

use crate::finding::{Finding, Severity};
use crate::place::{parse_quantity, pool_instance_types, pool_rejects, PodRequests};
use crate::plan::{self, Plan, WarmCapacityKind};

/// The plan path of a fleet's `warmCapacity`.
fn warm_path(i: usize, d: &plan::Deployment, fleet: &plan::Fleet) -> String {
    match d.mode {
        plan::Mode::Disaggregated => format!("spec.deployments[{i}].{}.warmCapacity", fleet.role),
        plan::Mode::Monolithic => format!("spec.deployments[{i}].warmCapacity"),
    }
}

/// Replicas of `devices` each that one node of the pool's instance types holds at most (0: none).
fn replicas_per_node(pool: &plan::NodePool, requests: &PodRequests) -> u32 {
    pool_instance_types(pool)
        .filter(|t| if requests.neuron { t.is_neuron() } else { t.is_nvidia() })
        .map(|t| t.accelerator_count / requests.devices.max(1))
        .max()
        .unwrap_or(0)
}

/// The accelerator devices a pool's limits allow (`None`: unlimited). A static pool: its nodes.
fn device_limit(pool: &plan::NodePool, requests: &PodRequests) -> Option<f64> {
    if let Some(replicas) = pool.replicas {
        let per_node = pool_instance_types(pool)
            .filter(|t| if requests.neuron { t.is_neuron() } else { t.is_nvidia() })
            .map(|t| t.accelerator_count)
            .max()
            .unwrap_or(0);
        return Some(replicas as f64 * per_node as f64);
    }
    pool.limits.get(requests.device_resource()).and_then(|q| parse_quantity(q))
}

pub(super) fn lint_warm(plan: &Plan, out: &mut Vec<Finding>) {
    let gate = |name: &str, what: &str| {
        format!(
            "{what}: Karpenter ignores it, and keeps no warm capacity, unless its controller runs with the {name} \
             feature gate (alpha, off by default)"
        )
    };
    let enable = |name: &str| {
        format!("enable it on the Karpenter controller: --feature-gates={name}=true (the FEATURE_GATES setting)")
    };
    for (i, pool) in plan.spec.node_pools.iter().enumerate() {
        let Some(replicas) = pool.replicas else { continue };
        out.push(Finding::new(
            "TF049",
            Severity::Info,
            format!("spec.nodePools[{i}].replicas"),
            gate(
                "StaticCapacity",
                &format!("NodePool {} is static ({})", pool.name, crate::units::count(replicas as u64, "node")),
            ),
            enable("StaticCapacity"),
        ));
        // Fleets that may run on no other pool: the static nodes must hold their minimum replicas.
        let mut need = 0u32;
        let mut names = vec![];
        let mut per_node = u32::MAX;
        for d in &plan.spec.deployments {
            for fleet in d.fleets() {
                if pool_rejects(pool, d, &fleet).is_some() {
                    continue;
                }
                let elsewhere = plan
                    .spec
                    .node_pools
                    .iter()
                    .any(|other| other.name != pool.name && pool_rejects(other, d, &fleet).is_none());
                if elsewhere {
                    continue;
                }
                let requests = PodRequests::for_fleet(d, &fleet);
                per_node = per_node.min(replicas_per_node(pool, &requests));
                need += fleet.replicas.min;
                names.push(fleet.name.clone());
            }
        }
        if names.is_empty() {
            continue;
        }
        let room = if per_node == u32::MAX { 0 } else { per_node.saturating_mul(replicas) };
        if per_node == 0 || room < need {
            out.push(Finding::new(
                "TF050",
                Severity::Warning,
                format!("spec.nodePools[{i}].replicas"),
                format!(
                    "static NodePool {}: {} hold {} of {}, which may run on no other pool and need {need} at \
                     their minimum; a static pool launches nothing for pending pods",
                    pool.name,
                    crate::units::count(replicas as u64, "node"),
                    crate::units::count(room as u64, "replica"),
                    names.join(", ")
                ),
                "raise spec.nodePools[].replicas, allow bigger instance types, or add a dynamic NodePool the \
                 deployments may use",
            ));
        }
    }
    for (i, d) in plan.spec.deployments.iter().enumerate() {
        for fleet in d.fleets() {
            let Some(warm) = fleet.warm_capacity.filter(|w| w.replicas > 0) else { continue };
            let path = warm_path(i, d, &fleet);
            if warm.kind == WarmCapacityKind::CapacityBuffer {
                out.push(Finding::new(
                    "TF049",
                    Severity::Info,
                    path.clone(),
                    gate("CapacityBuffer", &format!("the CapacityBuffer of {}", fleet.name)),
                    enable("CapacityBuffer"),
                ));
            }
            let requests = PodRequests::for_fleet(d, &fleet);
            let pools: Vec<&plan::NodePool> =
                plan.spec.node_pools.iter().filter(|p| pool_rejects(p, d, &fleet).is_none()).collect();
            if !pools.iter().any(|p| replicas_per_node(p, &requests) > 0) {
                out.push(Finding::new(
                    "TF051",
                    Severity::Warning,
                    path,
                    format!(
                        "{}'s warm capacity is chunks of {} {}; no instance type of the NodePools it may use ({}) \
                         holds one, so it is never provisioned",
                        fleet.name,
                        requests.devices,
                        requests.device_resource(),
                        if pools.is_empty() {
                            "none".to_string()
                        } else {
                            pools.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                        }
                    ),
                    "allow an instance type with enough devices in one of those NodePools, or lower the tensor \
                     parallelism",
                ));
                continue;
            }
            let limits: Option<f64> =
                pools.iter().map(|p| device_limit(p, &requests)).try_fold(0.0, |sum, l| l.map(|l| sum + l));
            let wanted = (fleet.replicas.min + warm.replicas) as f64 * requests.devices as f64;
            if let Some(limit) = limits.filter(|l| wanted > *l) {
                out.push(Finding::new(
                    "TF052",
                    Severity::Warning,
                    path,
                    format!(
                        "{}: {} minimum replicas and {} warm ones need {wanted} {}, more than the {limit} the limits \
                         of its NodePools allow: the warm capacity is never complete",
                        fleet.name,
                        fleet.replicas.min,
                        warm.replicas,
                        requests.device_resource()
                    ),
                    "raise the NodePools' limits (or a static pool's replicas), or keep fewer warm replicas",
                ));
            }
        }
    }
}
