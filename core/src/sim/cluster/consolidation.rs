//! Karpenter's disruption controller: consolidation of empty and underutilised nodes, replacements,
//! disruption budgets (with their schedules) and PodDisruptionBudgets.

use crate::catalog::CapacityType;

use super::{allowed, Cluster, Node, NodeState};
use crate::sim::scenario::{ConsolidationPolicy, DisruptionBudget, DisruptionReason};

impl Cluster<'_> {
    /// Karpenter's disruption controller: empty (and, for WhenEmptyOrUnderutilized, underutilised)
    /// nodes idle for `consolidateAfter`, within each pool's budget.
    pub fn consolidate(&mut self, now: f64) {
        if !self.any_consolidation || now < self.next_consolidation_s {
            return;
        }
        if self.generation == self.idle_generation && now < self.idle_until_s && !self.scheduled_budgets {
            return;
        }
        self.next_consolidation_s = now + self.timing.consolidation_interval_s.max(1.0);
        let before = self.generation;
        self.consolidate_pools(now);
        if self.generation == before {
            // Nothing to do: wait for a change, or for a node to become eligible by the clock.
            self.idle_generation = before;
            let mut until = f64::INFINITY;
            for n in self.nodes.iter().filter(|n| n.state == NodeState::Running) {
                // Another node becoming ready can make room for an underutilised node's pods.
                if n.ready_s > now {
                    until = until.min(n.ready_s);
                }
                if let (false, Some(after)) = (n.reserved, self.sc.pools[n.pool].consolidate_after_s) {
                    let eligible = (n.last_change_s + after).max(n.ready_s);
                    if eligible > now {
                        until = until.min(eligible);
                    }
                }
            }
            self.idle_until_s = until;
        }
    }

    /// When consolidation next needs a look.
    pub(super) fn consolidation_due_s(&self) -> f64 {
        if !self.any_consolidation {
            f64::INFINITY
        } else if self.generation == self.idle_generation && !self.scheduled_budgets {
            self.idle_until_s.max(self.next_consolidation_s)
        } else {
            self.next_consolidation_s
        }
    }

    /// Replacements that are ready take over: the old node is drained (its pods restart, most often on
    /// the replacement); a replacement that was lost (interrupted) is dropped.
    pub(super) fn progress_replacements(&mut self, now: f64) {
        for i in 0..self.nodes.len() {
            let Some(r) = self.nodes[i].replacement else { continue };
            if self.nodes[i].state != NodeState::Running || self.nodes[r].state != NodeState::Running {
                self.nodes[i].replacement = None;
                self.nodes[r].standby = false;
                self.pool_replacing[self.nodes[i].pool] -= 1;
                self.generation += 1;
            } else if self.nodes[r].ready_s <= now {
                self.nodes[i].replacement = None;
                self.pool_replacing[self.nodes[i].pool] -= 1;
                self.nodes[r].standby = false;
                self.nodes[r].last_change_s = now;
                self.nodes_replaced += 1;
                self.start_termination(now, i, now + self.timing.node_termination_s);
            }
        }
    }

    /// Replace consolidation: a cheaper node of the same pool that holds the candidate's pods
    /// (spot-to-spot replacement is off by default in Karpenter, so spot candidates are kept).
    pub(super) fn try_replace(&mut self, now: f64, p: usize, candidate: usize) -> bool {
        let node = &self.nodes[candidate];
        if node.capacity == CapacityType::Spot || !self.pdb_allows(candidate, now) {
            return false;
        }
        let used = node.devices_total - node.devices_free;
        let current = node.usd_per_hour;
        let pool = &self.sc.pools[p];
        let mut best: Option<(usize, CapacityType, f64)> = None;
        for capacity in pool.capacity_types.iter().copied().filter(|c| *c != CapacityType::Reserved) {
            for (i, t) in pool.instance_types.iter().enumerate() {
                let Some(price) = t.price(capacity) else { continue };
                let fits = t.devices >= used
                    && pool.limit_devices.is_none_or(|l| self.pool_devices[p] + t.devices <= l)
                    && pool.limit_cpu.is_none_or(|l| self.pool_cpu[p] + t.vcpu <= l)
                    && !self
                        .unavailable
                        .iter()
                        .any(|u| u.pool == p && u.itype == i && u.capacity == capacity && u.until_s > now);
                if fits && price < current * 0.999 && best.is_none_or(|(_, _, b)| price < b) {
                    best = Some((i, capacity, price));
                }
            }
        }
        let Some((itype, capacity, price)) = best else { return false };
        let r = self.add_node(p, itype, capacity, price, now, false);
        self.nodes[r].standby = true;
        self.nodes[candidate].replacement = Some(r);
        self.pool_replacing[p] += 1;
        true
    }

    pub(super) fn consolidate_pools(&mut self, now: f64) {
        self.progress_replacements(now);
        for p in 0..self.sc.pools.len() {
            let pool = &self.sc.pools[p];
            let Some(after) = pool.consolidate_after_s else { continue };
            let mut room = self.budget_room(p, DisruptionReason::Empty, now);
            // Nodes holding a CapacityBuffer's virtual pods are not consolidated.
            let buffer = if self.any_buffer { self.buffer_nodes() } else { vec![] };
            let eligible = |(i, n): &(usize, &Node)| {
                !buffer.get(*i).copied().unwrap_or(false)
                    && n.pool == p
                    && n.state == NodeState::Running
                    && !n.reserved
                    && !n.standby
                    && n.replacement.is_none()
                    && n.ready_s <= now
                    && now - n.last_change_s >= after
            };
            let empty: Vec<usize> =
                self.nodes.iter().enumerate().filter(|x| eligible(x) && x.1.pods == 0).map(|(i, _)| i).collect();
            for i in empty {
                if room == 0 {
                    break;
                }
                self.start_termination(now, i, now + self.timing.node_termination_s);
                self.nodes_consolidated += 1;
                room -= 1;
            }
            if pool.consolidation != ConsolidationPolicy::WhenEmptyOrUnderutilized
                || self.budget_room(p, DisruptionReason::Underutilized, now) == 0
            {
                continue;
            }
            // One underutilised node per round: the least used one whose pods fit elsewhere.
            let candidate = self
                .nodes
                .iter()
                .enumerate()
                .filter(|x| eligible(x) && x.1.pods > 0)
                .min_by_key(|(i, n)| (n.devices_total - n.devices_free, *i))
                .map(|(i, _)| i);
            if let Some(c) = candidate {
                if self.pods_fit_elsewhere(c, now) {
                    self.start_termination(now, c, now + self.timing.node_termination_s);
                    self.nodes_consolidated += 1;
                } else {
                    self.try_replace(now, p, c);
                }
            }
        }
    }

    /// Nodes of pool `p` that may start disrupting now for `reason`: the most restrictive active
    /// budget that covers the reason, less the nodes already disrupting.
    pub(super) fn budget_room(&mut self, p: usize, reason: DisruptionReason, now: f64) -> u32 {
        let pool = &self.sc.pools[p];
        let nodes = self.pool_nodes[p];
        let minute = (now / 60.0).floor() as i64;
        let allowed = if pool.budgets.is_empty() {
            DisruptionBudget::Percent(10).allowed(nodes)
        } else {
            let mut allowed = nodes;
            for (r, b) in pool.budgets.iter().enumerate() {
                if !(b.reasons.is_empty() || b.reasons.contains(&reason)) {
                    continue;
                }
                let active = match &b.schedule {
                    None => true,
                    Some((cron, duration_s)) => {
                        // Windows open and close on minutes: one evaluation per rule and minute.
                        let cache = &mut self.budget_cache[p][r];
                        if cache.0 != minute {
                            let parsed = crate::sim::cron::Cron::parse(cron);
                            *cache = (minute, parsed.is_ok_and(|c| c.active_at(now, *duration_s)));
                        }
                        cache.1
                    }
                };
                if active {
                    allowed = allowed.min(b.nodes.allowed(nodes));
                }
            }
            allowed
        };
        allowed.saturating_sub(self.pool_terminating[p] + self.pool_replacing[p])
    }

    /// Each exported deployment has a PodDisruptionBudget with maxUnavailable 1, which Karpenter
    /// respects: a node is not disrupted while evicting its pods would leave a deployment with more
    /// than one pod unavailable.
    pub(super) fn pdb_allows(&self, node: usize, now: f64) -> bool {
        let mut unavailable = vec![0u32; self.sc.deployments.len()];
        for pod in self.pods.iter().filter(|p| !p.placeholder) {
            if pod.node == Some(node) || pod.ready_s > now {
                unavailable[pod.deployment] += 1;
            }
        }
        !self.pods.iter().any(|p| p.node == Some(node) && !p.placeholder && unavailable[p.deployment] > 1)
    }

    pub(super) fn pods_fit_elsewhere(&self, node: usize, now: f64) -> bool {
        let mut free: Vec<(usize, u32)> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| *i != node && n.state == NodeState::Running && n.ready_s <= now && n.devices_free > 0)
            .map(|(i, n)| (i, n.devices_free))
            .collect();
        if !self.pdb_allows(node, now) {
            return false;
        }
        for pod in self.pods.iter().filter(|p| p.node == Some(node)) {
            let dpr = self.sc.deployments[pod.deployment].devices_per_replica;
            let slot =
                free.iter_mut().find(|(i, f)| *f >= dpr && allowed(self.sc, pod.deployment, self.nodes[*i].pool));
            match slot {
                Some((_, f)) => *f -= dpr,
                None => return false,
            }
        }
        true
    }
}
