//! Karpenter's provisioning: batching unbound pods, choosing an instance type and capacity type per
//! NodePool (weights, limits, unavailable offerings), launching nodes.

use crate::catalog::CapacityType;

use super::{allowed, Cluster, Unavailable};

impl Cluster<'_> {
    /// Whether Karpenter's current batch is due (idle or maximum duration reached).
    pub fn batch_due_s(&self) -> f64 {
        match self.batch_start_s {
            Some(start) => (self.batch_last_s + self.timing.batch_idle_s).min(start + self.timing.batch_max_s),
            None => f64::INFINITY,
        }
    }

    /// Karpenter: launches nodes for the pods the scheduler could not bind.
    pub fn provision(&mut self, now: f64, warm: bool) {
        self.unavailable.retain(|u| u.until_s > now);
        self.batch_start_s = None;
        self.retry_at_s = f64::INFINITY;
        let sc = self.sc;
        for d in 0..sc.deployments.len() {
            let dpr = sc.deployments[d].devices_per_replica;
            let mut at_limit = vec![];
            let mut any_type_fits = false;
            for oi in 0..self.pool_order.len() {
                let p = self.pool_order[oi];
                // A static NodePool does not launch nodes for pending pods.
                if !allowed(sc, d, p) || sc.pools[p].static_nodes.is_some() {
                    continue;
                }
                let pool = &sc.pools[p];
                if pool.instance_types.iter().any(|t| t.devices >= dpr) {
                    any_type_fits = true;
                }
                loop {
                    let mut pending: Vec<usize> = self
                        .pods
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| x.deployment == d && x.node.is_none())
                        .map(|(i, _)| i)
                        .collect();
                    if self.any_placeholder {
                        // Serving pods first onto the new nodes (placeholders have the same shape).
                        pending.sort_by_key(|&i| self.pods[i].placeholder);
                    }
                    if pending.is_empty() {
                        break;
                    }
                    let Some((itype, capacity, price, per_node)) =
                        self.choose_launch(now, p, dpr, pending.len() as u32)
                    else {
                        if pool.instance_types.iter().any(|t| t.devices >= dpr) {
                            at_limit.push(p);
                        }
                        break;
                    };
                    // EC2 may have no spot capacity for the offering (InsufficientInstanceCapacity):
                    // Karpenter marks it unavailable for a while and tries the next one.
                    let failure = self.timing.spot_launch_failure_probability;
                    if capacity == CapacityType::Spot && !warm && failure > 0.0 && self.rng.uniform() < failure {
                        self.launch_failures += 1;
                        let until_s = now + self.timing.unavailable_offering_ttl_s;
                        self.unavailable.push(Unavailable { pool: p, itype, capacity, until_s });
                        continue;
                    }
                    let node = self.add_node(p, itype, capacity, price, now, warm);
                    for &i in pending.iter().take(per_node as usize) {
                        self.bind(now, i, node, warm);
                    }
                }
            }
            let left = self.pods.iter().filter(|x| x.deployment == d && x.node.is_none()).count() as u32;
            let placeholders_left =
                self.pods.iter().filter(|x| x.deployment == d && x.node.is_none() && x.placeholder).count() as u32;
            if placeholders_left > 0 {
                self.retry_at_s = now + self.timing.provisioning_retry_s;
            }
            let left = left - placeholders_left;
            if left > 0 {
                let u = &mut self.unplaced[d];
                u.max_pods = u.max_pods.max(left);
                u.first_s.get_or_insert(now);
                u.no_fitting_type |= !any_type_fits;
                for p in at_limit {
                    if !u.pools_at_limit.contains(&p) {
                        u.pools_at_limit.push(p);
                    }
                }
                self.retry_at_s = now + self.timing.provisioning_retry_s;
            }
        }
    }

    /// The next NodeClaim for `pending` pods of `dpr` devices in pool `p`: capacity types in
    /// Karpenter's preference (spot before on-demand), as many pods as the largest allowed type
    /// holds, then the cheapest type that holds them, within the pool's limits.
    pub(super) fn choose_launch(
        &self,
        now: f64,
        p: usize,
        dpr: u32,
        pending: u32,
    ) -> Option<(usize, CapacityType, f64, u32)> {
        let pool = &self.sc.pools[p];
        let mut preferences: Vec<CapacityType> =
            pool.capacity_types.iter().copied().filter(|c| *c != CapacityType::Reserved).collect();
        preferences.sort();
        preferences.dedup();
        for capacity in preferences {
            let fits = |i: usize, t: &crate::sim::scenario::SimInstanceType| {
                t.devices >= dpr
                    && t.price(capacity).is_some()
                    && pool.limit_devices.is_none_or(|l| self.pool_devices[p] + t.devices <= l)
                    && pool.limit_cpu.is_none_or(|l| self.pool_cpu[p] + t.vcpu <= l)
                    && !self
                        .unavailable
                        .iter()
                        .any(|u| u.pool == p && u.itype == i && u.capacity == capacity && u.until_s > now)
            };
            let most =
                pool.instance_types.iter().enumerate().filter(|(i, t)| fits(*i, t)).map(|(_, t)| t.devices / dpr).max();
            let Some(most) = most else { continue };
            let per_node = pending.min(most);
            let best = pool
                .instance_types
                .iter()
                .enumerate()
                .filter(|(i, t)| fits(*i, t) && t.devices / dpr >= per_node)
                .min_by(|(_, a), (_, b)| {
                    let (pa, pb) = (a.price(capacity).unwrap_or(f64::MAX), b.price(capacity).unwrap_or(f64::MAX));
                    pa.total_cmp(&pb).then_with(|| a.name.cmp(&b.name))
                });
            if let Some((i, t)) = best {
                return Some((i, capacity, t.price(capacity).unwrap_or(0.0), per_node));
            }
        }
        None
    }
}
