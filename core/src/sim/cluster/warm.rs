//! Warm capacity in the node layer: static NodePools (nodes kept at `spec.replicas`), CapacityBuffers
//! (virtual pods that keep free devices on nodes, refilled by the buffer controller), and placeholder
//! pods (low-priority pods that serving pods preempt, kube-scheduler's preemption with grace 0).

use crate::catalog::CapacityType;
use crate::sim::scenario::WarmKind;

use super::{allowed, Cluster, NodeState};

/// The CapacityBuffer controller reconciles every 30 s (Karpenter's CapacityBuffers concept page,
/// "Monitoring"): a buffer that real pods used is refilled at its next reconcile.
pub(crate) const BUFFER_RECONCILE_S: f64 = 30.0;

impl Cluster<'_> {
    /// Static NodePools: launches nodes until each has its `replicas` running (at most `limits.nodes`).
    /// At time 0 they are there and warm; later (after a spot interruption) a replacement starts up
    /// like any launch. The type is the cheapest that holds a replica of the largest fleet that may
    /// use the pool, spot before on-demand as the pool allows.
    pub fn keep_static_pools(&mut self, now: f64, warm: bool) {
        let sc = self.sc;
        for (p, pool) in sc.pools.iter().enumerate() {
            let Some(want) = pool.static_nodes else { continue };
            let want = pool.limit_nodes.map_or(want, |l| want.min(l));
            let running = self.pool_nodes[p] - self.pool_terminating[p];
            if running >= want {
                continue;
            }
            let dpr = (0..sc.deployments.len())
                .filter(|&d| allowed(sc, d, p))
                .map(|d| sc.deployments[d].devices_per_replica)
                .max()
                .unwrap_or(1);
            let Some((itype, capacity, price)) = self.static_type(p, dpr) else { continue };
            for _ in running..want {
                self.add_node(p, itype, capacity, price, now, warm);
            }
        }
    }

    fn static_type(&self, p: usize, dpr: u32) -> Option<(usize, CapacityType, f64)> {
        let pool = &self.sc.pools[p];
        let mut preferences: Vec<CapacityType> =
            pool.capacity_types.iter().copied().filter(|c| *c != CapacityType::Reserved).collect();
        preferences.sort();
        preferences.dedup();
        for need in [dpr, 1] {
            for &capacity in &preferences {
                let best = pool
                    .instance_types
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.devices >= need)
                    .filter_map(|(i, t)| Some((i, t.price(capacity)?)))
                    .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                if let Some((i, price)) = best {
                    return Some((i, capacity, price));
                }
            }
        }
        None
    }

    /// Where each CapacityBuffer's virtual pods sit: free devices on running nodes the deployment may
    /// use, soonest ready first, each buffer after the ones before it. Returns which nodes hold one,
    /// and how many virtual pods of each deployment found no room.
    fn place_buffers(&self) -> (Vec<bool>, Vec<u32>) {
        let sc = self.sc;
        let mut free: Vec<u32> =
            self.nodes.iter().map(|n| if n.state == NodeState::Running { n.devices_free } else { 0 }).collect();
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        order.sort_by(|&a, &b| self.nodes[a].ready_s.total_cmp(&self.nodes[b].ready_s).then(a.cmp(&b)));
        let mut holds = vec![false; self.nodes.len()];
        let mut missing = vec![0u32; sc.deployments.len()];
        for (d, dep) in sc.deployments.iter().enumerate() {
            let Some(w) = dep.warm.filter(|w| w.kind == WarmKind::CapacityBuffer) else { continue };
            let dpr = dep.devices_per_replica;
            let mut need = w.replicas;
            for &i in &order {
                while need > 0 && free[i] >= dpr && allowed(sc, d, self.nodes[i].pool) {
                    free[i] -= dpr;
                    holds[i] = true;
                    need -= 1;
                }
            }
            missing[d] = need;
        }
        (holds, missing)
    }

    /// Nodes that hold a buffer's virtual pods (not consolidated).
    pub(super) fn buffer_nodes(&self) -> Vec<bool> {
        self.place_buffers().0
    }

    /// Whether the buffer controller reconciles now.
    pub fn buffer_due(&self, now: f64) -> bool {
        self.any_buffer && now >= self.next_buffer_s
    }

    /// The buffer controller and Karpenter: virtual pods that found no free devices get nodes, in
    /// the pools' order and within their limits, as pending pods would (static pools launch none).
    pub fn refill_buffers(&mut self, now: f64, warm: bool) {
        if !self.any_buffer {
            return;
        }
        self.next_buffer_s = now + BUFFER_RECONCILE_S;
        let (_, missing) = self.place_buffers();
        let sc = self.sc;
        for (d, mut need) in missing.into_iter().enumerate() {
            let dpr = sc.deployments[d].devices_per_replica;
            for oi in 0..self.pool_order.len() {
                let p = self.pool_order[oi];
                if !allowed(sc, d, p) || sc.pools[p].static_nodes.is_some() {
                    continue;
                }
                while need > 0 {
                    let Some((itype, capacity, price, per_node)) = self.choose_launch(now, p, dpr, need) else {
                        break;
                    };
                    self.add_node(p, itype, capacity, price, now, warm);
                    need -= per_node.min(need);
                }
            }
        }
    }

    /// Each deployment with placeholder pods has its count of them (a preempted or evicted one is
    /// replaced by its ReplicaSet and pends like any pod).
    pub(super) fn reconcile_placeholders(&mut self, now: f64, warm: bool) {
        let sc = self.sc;
        let mut have = vec![0u32; sc.deployments.len()];
        for pod in self.pods.iter().filter(|p| p.placeholder) {
            have[pod.deployment] += 1;
        }
        for (d, dep) in sc.deployments.iter().enumerate() {
            let Some(w) = dep.warm.filter(|w| w.kind == WarmKind::PlaceholderPods) else { continue };
            if have[d] >= w.replicas {
                continue;
            }
            self.create_pending(now, d, w.replicas - have[d], true, warm);
        }
    }

    /// kube-scheduler's preemption for a serving pod of deployment `d` that found no free devices: a
    /// node it may use where evicting placeholder pods (lowest priority, grace period 0) frees
    /// enough, soonest ready first. The victims pend again. Returns the node.
    pub(super) fn preempt_for(&mut self, now: f64, d: usize) -> Option<usize> {
        let sc = self.sc;
        let dpr = sc.deployments[d].devices_per_replica;
        let mut on_node = vec![0u32; self.nodes.len()];
        for pod in self.pods.iter().filter(|p| p.placeholder) {
            if let Some(n) = pod.node {
                on_node[n] += sc.deployments[pod.deployment].devices_per_replica;
            }
        }
        let node = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| {
                n.state == NodeState::Running
                    && on_node[*i] > 0
                    && n.devices_free + on_node[*i] >= dpr
                    && allowed(sc, d, n.pool)
            })
            .min_by(|(ia, a), (ib, b)| a.ready_s.total_cmp(&b.ready_s).then(ia.cmp(ib)))
            .map(|(i, _)| i)?;
        while self.nodes[node].devices_free < dpr {
            let Some(victim) = self.pods.iter().position(|p| p.placeholder && p.node == Some(node)) else { break };
            let freed = sc.deployments[self.pods[victim].deployment].devices_per_replica;
            let n = &mut self.nodes[node];
            n.devices_free += freed;
            n.pods -= 1;
            n.last_change_s = now;
            let pod = &mut self.pods[victim];
            pod.node = None;
            pod.created_s = now;
            pod.running_s = f64::INFINITY;
            pod.ready_s = f64::INFINITY;
            self.placeholders_preempted += 1;
            self.generation += 1;
            self.batch_start_s.get_or_insert(now);
            self.batch_last_s = now;
        }
        Some(node)
    }

    /// Pending placeholder pods onto free devices (after the serving pods: they are lower priority).
    pub(super) fn schedule_placeholders(&mut self, now: f64, warm: bool) {
        for i in 0..self.pods.len() {
            if self.pods[i].node.is_some() || !self.pods[i].placeholder {
                continue;
            }
            let d = self.pods[i].deployment;
            let best = self.soonest_ready_node(d);
            if let Some(n) = best {
                self.bind(now, i, n, warm);
            }
        }
    }
}
