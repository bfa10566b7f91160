//! Warm capacity in placement: a static NodePool's nodes are launched before any pod and hold pods
//! first (kube-scheduler binds to nodes that exist; Karpenter launches nothing in a static pool), and
//! each fleet's warm capacity (a CapacityBuffer's virtual pods, placeholder pods) takes room like its
//! replicas, so its nodes are in the node count and the cost, not in the replicas.

use std::collections::BTreeMap;

use crate::catalog::{CapacityType, InstanceType};
use crate::plan::{Deployment, Fleet};

use super::{pool_instance_types, pool_rejects, PodOnNode, PodRequests, Selector, State};

impl State<'_> {
    /// Launches every static NodePool's `replicas` nodes (within its `limits.nodes`): the cheapest type
    /// that holds a replica of the largest fleet that may use the pool, capacity types in Karpenter's
    /// order without reserved.
    pub(super) fn launch_static_pools(&mut self) {
        let plan = self.plan;
        for p in 0..self.pools.len() {
            let pool = self.pools[p];
            let Some(replicas) = pool.replicas else { continue };
            let largest = plan
                .spec
                .deployments
                .iter()
                .flat_map(|d| d.fleets().into_iter().map(move |f| (d, f)))
                .filter(|(d, f)| pool_rejects(pool, d, f).is_none())
                .map(|(d, f)| PodRequests::for_fleet(d, &f))
                .max_by_key(|r| r.devices);
            let mut preferences: Vec<CapacityType> =
                pool.capacity_types.iter().copied().filter(|c| *c != CapacityType::Reserved).collect();
            preferences.sort();
            let choice = preferences.iter().find_map(|&capacity| {
                pool_instance_types(pool)
                    .filter(|t| largest.as_ref().is_none_or(|r| r.pods_per_node(t) > 0))
                    .filter_map(|t| Some((t, plan.price(&t.name, capacity)?.usd_per_hour)))
                    .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.name.cmp(&b.0.name)))
                    .map(|(t, usd)| (t, capacity, usd))
            });
            let Some((t, capacity, usd)) = choice else { continue };
            for _ in 0..replicas.min(super::MAX_PODS) {
                if !self.within_limits(p, t) {
                    break;
                }
                self.launch(p, t, capacity, usd);
            }
        }
    }

    /// Places up to `remaining` pods on the static pools' nodes the fleet may use; returns how many
    /// are left.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fill_static(
        &mut self,
        deployment: &Deployment,
        fleet: &Fleet,
        (pod, held): (&PodRequests, PodOnNode),
        selector: &Selector,
        mut remaining: u32,
        per_pool: &mut BTreeMap<usize, u32>,
        first_instance: &mut Option<&'static InstanceType>,
    ) -> u32 {
        for p in 0..self.pools.len() {
            let pool = self.pools[p];
            if pool.replicas.is_none() || pool_rejects(pool, deployment, fleet).is_some() {
                continue;
            }
            for node in self
                .nodes
                .iter_mut()
                .filter(|n| n.pool == p && selector.allows_type(n.instance) && selector.allows_capacity(n.capacity))
            {
                while remaining > 0 && node.fits(pod) {
                    node.place(pod, held);
                    remaining -= 1;
                    *per_pool.entry(p).or_insert(0) += 1;
                    first_instance.get_or_insert(node.instance);
                }
            }
        }
        remaining
    }

    /// Places a fleet's warm capacity: static nodes first, then free room and launches in the pools
    /// it may use, by priority. What does not fit is left out (lint reports it: TF051, TF052).
    pub(super) fn place_warm(
        &mut self,
        deployment: &Deployment,
        fleet: &Fleet,
        (pod, held): (&PodRequests, PodOnNode),
        selector: &Selector,
    ) {
        let Some(warm) = fleet.warm_capacity.filter(|w| w.replicas > 0) else { return };
        let (mut per_pool, mut first) = (BTreeMap::new(), None);
        let wanted = warm.replicas.min(super::MAX_PODS);
        let mut remaining =
            self.fill_static(deployment, fleet, (pod, held), selector, wanted, &mut per_pool, &mut first);
        for p in 0..self.pools.len() {
            if remaining == 0 {
                break;
            }
            if pool_rejects(self.pools[p], deployment, fleet).is_some() {
                continue;
            }
            for node in self
                .nodes
                .iter_mut()
                .filter(|n| n.pool == p && selector.allows_type(n.instance) && selector.allows_capacity(n.capacity))
            {
                while remaining > 0 && node.fits(pod) {
                    node.place(pod, held);
                    remaining -= 1;
                }
            }
            while remaining > 0 {
                let Some((t, capacity, usd, packed)) = self.choose_launch(p, pod, selector, remaining) else { break };
                let node = self.launch(p, t, capacity, usd);
                for _ in 0..packed.min(remaining) {
                    if !self.nodes[node].fits(pod) {
                        break;
                    }
                    self.nodes[node].place(pod, held);
                    remaining -= 1;
                }
            }
        }
        self.warm_devices += (wanted - remaining) * pod.devices;
    }
}
