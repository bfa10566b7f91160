//! Warm capacity as the recommender can search it: one plan per way of keeping `count` more replicas
//! of a deployment ready for a burst. A pure function over Plans; the closed loop judges each over
//! its simulated day like any other candidate.

use crate::catalog::CapacityType;
use crate::place::{pool_instance_types, pool_rejects, PodRequests};
use crate::plan::{Consolidation, Plan, WarmCapacity, WarmCapacityKind};

/// A way to keep capacity warm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarmVariant {
    /// `count` more running replicas (`replicas.min`, and `max` if it must grow).
    #[default]
    MinReplicas,
    /// A CapacityBuffer of `count` replicas' shape (`warmCapacity.kind: capacityBuffer`).
    CapacityBuffer,
    /// `count` placeholder pods (`warmCapacity.kind: placeholderPods`).
    PlaceholderPods,
    /// A static NodePool holding the deployment's baseline (`replicas.min`) plus `count` replicas,
    /// beside the dynamic pool it copies, which still takes the rest of the burst.
    StaticNodePool,
}

impl WarmVariant {
    pub const ALL: [WarmVariant; 4] = [
        WarmVariant::MinReplicas,
        WarmVariant::CapacityBuffer,
        WarmVariant::PlaceholderPods,
        WarmVariant::StaticNodePool,
    ];
}

/// Why a variant cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarmError {
    NoDeployment(String),
    /// No NodePool the deployment may use offers an instance type that holds one replica.
    NoPool(String),
}

impl std::fmt::Display for WarmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WarmError::NoDeployment(name) => write!(f, "no deployment named {name:?}"),
            WarmError::NoPool(name) => {
                write!(f, "no NodePool {name} may use has an instance type that holds one of its replicas")
            }
        }
    }
}

impl std::error::Error for WarmError {}

/// `plan` with warm capacity for `count` more replicas of `deployment`, kept as `variant`. For a
/// disaggregated deployment each stage gets `count`. Any warm capacity the deployment had is
/// replaced; the rest of the plan is kept. The result passes `plan::validate` when `plan` does.
pub fn with_warm_capacity(plan: &Plan, deployment: &str, count: u32, variant: WarmVariant) -> Result<Plan, WarmError> {
    let mut out = plan.clone();
    let i = out
        .spec
        .deployments
        .iter()
        .position(|d| d.name == deployment)
        .ok_or_else(|| WarmError::NoDeployment(deployment.to_string()))?;
    let d = &mut out.spec.deployments[i];
    d.warm_capacity = None;
    for stage in [d.prefill.as_mut(), d.decode.as_mut()].into_iter().flatten() {
        stage.warm_capacity = None;
    }
    let staged = d.mode == crate::plan::Mode::Disaggregated && d.prefill.is_some() && d.decode.is_some();
    let warm = |kind| Some(WarmCapacity { kind, replicas: count });
    match variant {
        WarmVariant::MinReplicas => {
            let bounds: Vec<&mut crate::plan::ReplicaBounds> = if staged {
                [d.prefill.as_mut(), d.decode.as_mut()].into_iter().flatten().map(|s| &mut s.replicas).collect()
            } else {
                vec![&mut d.replicas]
            };
            for b in bounds {
                b.min = (b.min + count).min(crate::plan::parse::MAX_REPLICAS);
                b.max = b.max.max(b.min);
            }
        }
        WarmVariant::CapacityBuffer | WarmVariant::PlaceholderPods => {
            let kind = if variant == WarmVariant::CapacityBuffer {
                WarmCapacityKind::CapacityBuffer
            } else {
                WarmCapacityKind::PlaceholderPods
            };
            if staged {
                for stage in [d.prefill.as_mut(), d.decode.as_mut()].into_iter().flatten() {
                    stage.warm_capacity = warm(kind);
                }
            } else {
                d.warm_capacity = warm(kind);
            }
        }
        WarmVariant::StaticNodePool => add_static_pool(&mut out, i, count)?,
    }
    Ok(out)
}

/// Every variant of [`with_warm_capacity`], in [`WarmVariant::ALL`]'s order.
pub fn warm_capacity_variants(
    plan: &Plan,
    deployment: &str,
    count: u32,
) -> Result<Vec<(WarmVariant, Plan)>, WarmError> {
    WarmVariant::ALL.iter().map(|&v| Ok((v, with_warm_capacity(plan, deployment, count, v)?))).collect()
}

/// A static copy of the first pool (by weight, on-demand pools first) each fleet of deployment `i` may use, pinned to the
/// cheapest instance type there that holds a replica, with nodes for the fleet's minimum plus
/// `count` replicas. Fleets sharing a pool share its static copy.
fn add_static_pool(plan: &mut Plan, i: usize, count: u32) -> Result<(), WarmError> {
    let d = plan.spec.deployments[i].clone();
    let mut added: Vec<(String, u32, String)> = vec![];
    for fleet in d.fleets() {
        let requests = PodRequests::for_fleet(&d, &fleet);
        // Baseline capacity runs all day: an on-demand pool first (a spot node would be interrupted
        // and replaced), then any.
        let pools = plan.pools_by_priority();
        let (on_demand, others): (Vec<_>, Vec<_>) = pools
            .into_iter()
            .filter(|p| p.replicas.is_none())
            .partition(|p| p.capacity_types.contains(&CapacityType::OnDemand));
        let found = on_demand.into_iter().chain(others).find_map(|pool| {
            if pool_rejects(pool, &d, &fleet).is_some() {
                return None;
            }
            let capacity = if pool.capacity_types.contains(&CapacityType::OnDemand) {
                CapacityType::OnDemand
            } else {
                *pool.capacity_types.iter().find(|c| **c != CapacityType::Reserved)?
            };
            let best = pool_instance_types(pool)
                .filter(|t| if requests.neuron { t.is_neuron() } else { t.is_nvidia() })
                .filter(|t| t.accelerator_count >= requests.devices.max(1))
                .filter_map(|t| Some((t, plan.price(&t.name, capacity)?.usd_per_hour)))
                .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.name.cmp(&b.0.name)))?;
            Some((pool.clone(), best.0))
        });
        let Some((pool, itype)) = found else { return Err(WarmError::NoPool(fleet.name)) };
        let per_node = (itype.accelerator_count / requests.devices.max(1)).max(1);
        let nodes = (fleet.replicas.min + count).div_ceil(per_node);
        match added.iter_mut().find(|(p, _, t)| *p == pool.name && *t == itype.name) {
            Some(entry) => entry.1 += nodes,
            None => added.push((pool.name.clone(), nodes, itype.name.clone())),
        }
    }
    for (source, nodes, itype) in added {
        let Some(pool) = plan.node_pool(&source).cloned() else { continue };
        let mut name = format!("{}-static", pool.name.chars().take(56).collect::<String>());
        let mut n = 2;
        while plan.node_pool(&name).is_some() {
            name = format!("{}-static{n}", pool.name.chars().take(54).collect::<String>());
            n += 1;
        }
        let capacity_types = if pool.capacity_types.contains(&CapacityType::OnDemand) {
            vec![CapacityType::OnDemand]
        } else {
            pool.capacity_types.iter().copied().filter(|c| *c != CapacityType::Reserved).collect()
        };
        plan.spec.node_pools.push(crate::plan::NodePool {
            mig_profile: None,
            name,
            weight: None,
            capacity_types,
            instance_families: vec![],
            instance_types: vec![itype],
            limits: Default::default(),
            consolidation: Consolidation { policy: pool.consolidation.policy.clone(), after: Some("Never".into()) },
            budgets: vec![],
            replicas: Some(nodes.min(crate::plan::parse::MAX_REPLICAS)),
            ..pool
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples::EXAMPLES;

    fn example(name: &str) -> Plan {
        let text = EXAMPLES.iter().find(|(n, _)| n.contains(name)).unwrap().1;
        crate::plan::parse_plan(text).unwrap()
    }

    #[test]
    fn every_variant_is_a_valid_plan_that_keeps_the_rest() {
        for (name, deployment) in [("spiky-spot-burst", "chat"), ("disaggregated", "")] {
            let plan = example(name);
            let deployment =
                if deployment.is_empty() { plan.spec.deployments[0].name.clone() } else { deployment.into() };
            let variants = warm_capacity_variants(&plan, &deployment, 2).unwrap();
            assert_eq!(variants.len(), 4);
            for (variant, p) in &variants {
                assert_eq!(crate::plan::validate(p), vec![], "{name} {variant:?}");
                assert_eq!(p.spec.workload, plan.spec.workload);
                let d = p.spec.deployments.iter().find(|d| d.name == deployment).unwrap();
                match variant {
                    WarmVariant::MinReplicas => assert!(d
                        .fleets()
                        .iter()
                        .zip(plan.spec.deployments.iter().find(|x| x.name == deployment).unwrap().fleets())
                        .all(|(a, b)| a.replicas.min == b.replicas.min + 2)),
                    WarmVariant::CapacityBuffer | WarmVariant::PlaceholderPods => {
                        assert!(
                            d.fleets().iter().all(|f| f.warm_capacity.is_some_and(|w| w.replicas == 2)),
                            "{variant:?}"
                        )
                    }
                    WarmVariant::StaticNodePool => {
                        let added: Vec<_> = p.spec.node_pools.iter().filter(|x| x.replicas.is_some()).collect();
                        assert!(!added.is_empty() && added.iter().all(|x| x.weight.is_none() && x.replicas > Some(0)));
                        assert_eq!(p.spec.node_pools.len(), plan.spec.node_pools.len() + added.len());
                    }
                }
                // The simulator takes each.
                crate::sim::plan_adapter::from_plan(p, &crate::sim::plan_adapter::PlanInputs::for_plan(p))
                    .unwrap_or_else(|e| panic!("{name} {variant:?}: {e}"));
            }
        }
        assert_eq!(
            with_warm_capacity(&example("quickstart"), "nope", 1, WarmVariant::MinReplicas).unwrap_err(),
            WarmError::NoDeployment("nope".into())
        );
    }

    /// The static pool holds the baseline plus the warm replicas: spiky-spot-burst's chat runs
    /// single-GPU replicas, min 2, so two more need four GPUs on the cheapest on-demand type.
    #[test]
    fn the_static_pool_holds_the_baseline_and_the_warm_replicas() {
        let plan = example("spiky-spot-burst");
        let p = with_warm_capacity(&plan, "chat", 2, WarmVariant::StaticNodePool).unwrap();
        let pool = p.spec.node_pools.iter().find(|x| x.replicas.is_some()).unwrap();
        let t = crate::catalog::instance_type(&pool.instance_types[0]).unwrap();
        assert_eq!(pool.replicas, Some(4u32.div_ceil(t.accelerator_count)), "{pool:?}");
        assert_eq!(pool.capacity_types, vec![CapacityType::OnDemand]);
    }
}
