//! Cluster Autoscaler as the node layer's controller, instead of Karpenter: node groups (Auto Scaling
//! groups) of one template each, a loop every scan interval, scale-up by the expander chain with a
//! bin-packed node count, the Auto Scaling group's launch, nodes given up after the maximum provision
//! time (the group backed off), and scale-down of unneeded nodes after the unneeded time and the
//! delays after a scale-up or a delete. Pods, nodes' start-up, images, weights and spot interruptions
//! are the shared machinery of the cluster module.

use crate::catalog::CapacityType;
use crate::sim::scenario::{CaSpec, Expander, Scenario};

use super::{allowed, Cluster, NodeState};

/// One node group while the run goes: its template resolved to indices, and its target size.
#[derive(Debug, Clone)]
pub(crate) struct GroupState {
    pub pool: usize,
    pub itype: usize,
    pub capacity: CapacityType,
    pub usd_per_hour: f64,
    pub devices: u32,
    /// The Auto Scaling group's desired capacity.
    pub target: u32,
    /// Skipped by scale-up until then (a node of the group failed to start).
    pub backoff_until_s: f64,
    /// Launches that found no capacity: the Auto Scaling group keeps them as wanted until Cluster
    /// Autoscaler gives them up (the times it does).
    pub failed: Vec<f64>,
    /// The largest target of the run.
    pub peak_target: u32,
}

/// Cluster Autoscaler's state: its groups, the loop's clock and the last scale-up and delete.
#[derive(Debug, Clone)]
pub(crate) struct CaState {
    pub spec: CaSpec,
    pub groups: Vec<GroupState>,
    pub next_scan_s: f64,
    pub last_scale_up_s: f64,
    pub last_delete_s: f64,
    pub scale_ups: u32,
    pub nodes_scaled_down: u32,
    pub provision_timeouts: u32,
}

/// A scale-up option: a group, the nodes it would add and the pods they would hold.
#[derive(Debug, Clone, Copy)]
struct Expansion {
    group: usize,
    nodes: u32,
    pods: u32,
    /// Devices left idle on the new nodes, as a fraction of theirs.
    waste: f64,
    usd_per_hour: f64,
    priority: i32,
}

impl CaState {
    pub fn new(sc: &Scenario, spec: &CaSpec) -> CaState {
        // `Scenario::validate` has checked that every group resolves.
        let groups = spec
            .node_groups
            .iter()
            .map(|g| {
                let pool = sc.pools.iter().position(|p| p.name == g.pool).unwrap_or(0);
                let types = &sc.pools.get(pool).map(|p| p.instance_types.as_slice()).unwrap_or(&[]);
                let itype = types.iter().position(|t| t.name == g.instance_type).unwrap_or(0);
                let t = types.get(itype);
                GroupState {
                    pool,
                    itype,
                    capacity: g.capacity,
                    usd_per_hour: t.and_then(|t| t.price(g.capacity)).unwrap_or(0.0),
                    devices: t.map_or(0, |t| t.devices),
                    target: g.desired_capacity,
                    backoff_until_s: f64::NEG_INFINITY,
                    failed: vec![],
                    peak_target: g.desired_capacity,
                }
            })
            .collect();
        CaState {
            spec: spec.clone(),
            groups,
            next_scan_s: 0.0,
            last_scale_up_s: f64::NEG_INFINITY,
            last_delete_s: f64::NEG_INFINITY,
            scale_ups: 0,
            nodes_scaled_down: 0,
            provision_timeouts: 0,
        }
    }

    /// The next loop, or a failed launch given up, whichever comes first.
    pub fn next_event_s(&self) -> f64 {
        let failed = self.groups.iter().flat_map(|g| g.failed.iter().copied()).fold(f64::INFINITY, f64::min);
        self.next_scan_s.min(failed)
    }
}

impl Cluster<'_> {
    /// Cluster Autoscaler at time 0: the groups at their desired capacity, then as many scale-ups as
    /// the initial pods need, all warm (the cluster as the previous day left it).
    pub fn ca_start(&mut self) {
        if self.ca.is_none() {
            return;
        }
        self.asg_reconcile(0.0, true);
    }

    /// Places the initial pods at time 0 (after `schedule`): scale-ups until nothing more helps, warm.
    pub fn ca_start_pods(&mut self) {
        if self.ca.is_none() {
            return;
        }
        for _ in 0..1000 {
            if !self.has_unbound() || !self.ca_scale_up(0.0, true) {
                break;
            }
            self.schedule(0.0, true);
        }
        if let Some(ca) = &mut self.ca {
            ca.last_scale_up_s = f64::NEG_INFINITY;
            ca.scale_ups = 0;
            ca.next_scan_s = ca.spec.scan_interval_s;
        }
    }

    /// The Auto Scaling groups and Cluster Autoscaler's loop: replacements for lost instances, failed
    /// launches given up, and every scan interval a scale-up or else a scale-down.
    pub fn ca_loop(&mut self, now: f64) {
        let Some(ca) = &mut self.ca else { return };
        // Failed launches not registered by the maximum provision time: given up, the group backed off.
        for g in ca.groups.iter_mut() {
            let before = g.failed.len();
            g.failed.retain(|&until| until > now);
            let given_up = (before - g.failed.len()) as u32;
            if given_up > 0 {
                g.target -= given_up.min(g.target);
                g.backoff_until_s = now + ca.spec.node_group_backoff_s;
                ca.provision_timeouts += given_up;
            }
        }
        let scan = now >= ca.next_scan_s;
        if scan {
            let interval = ca.spec.scan_interval_s;
            while ca.next_scan_s <= now {
                ca.next_scan_s += interval;
            }
        }
        self.asg_reconcile(now, false);
        if !scan {
            return;
        }
        self.schedule(now, false);
        let scaled = self.has_unbound() && self.ca_scale_up(now, false);
        if scaled {
            self.schedule(now, false);
        } else {
            self.ca_scale_down(now);
        }
    }

    /// Each Auto Scaling group launches instances until its running ones (and failed launches still
    /// counted) reach its desired capacity: after a scale-up, and to replace an interrupted instance.
    fn asg_reconcile(&mut self, now: f64, warm: bool) {
        let Some(ca) = &self.ca else { return };
        let mut running = vec![0u32; ca.groups.len()];
        for n in &self.nodes {
            if let (Some(g), NodeState::Running) = (n.group, n.state) {
                running[g] += 1;
            }
        }
        let launch_s = ca.spec.asg_launch_s;
        let provision_s = ca.spec.max_node_provision_time_s;
        for (g, running) in running.into_iter().enumerate() {
            let Some(ca) = &self.ca else { return };
            let group = &ca.groups[g];
            let have = running + group.failed.len() as u32;
            if have >= group.target {
                continue;
            }
            let (pool, itype, capacity, price) = (group.pool, group.itype, group.capacity, group.usd_per_hour);
            for _ in have..group.target {
                let failure = self.timing.spot_launch_failure_probability;
                if capacity == CapacityType::Spot && !warm && failure > 0.0 && self.rng.uniform() < failure {
                    self.launch_failures += 1;
                    if let Some(ca) = &mut self.ca {
                        ca.groups[g].failed.push(now + provision_s);
                    }
                    continue;
                }
                let n = self.add_node(pool, itype, capacity, price, now, warm);
                self.nodes[n].group = Some(g);
                if !warm {
                    self.nodes[n].ready_s += launch_s;
                }
            }
        }
    }

    /// Cluster Autoscaler's scale-up: for each group whose template fits some pending pods, the nodes
    /// the bin-packing estimator asks for (within its maximum size and the cluster's maximum); the
    /// expander chain picks one group, whose desired capacity rises. Returns whether it scaled.
    fn ca_scale_up(&mut self, now: f64, warm: bool) -> bool {
        let sc = self.sc;
        let Some(ca) = &self.ca else { return false };
        let mut pending: Vec<usize> = (0..self.pods.len()).filter(|&i| self.pods[i].node.is_none()).collect();
        // Larger pods first (first-fit decreasing, as the bin-packing estimator sorts them).
        pending.sort_by_key(|&i| std::cmp::Reverse(sc.deployments[self.pods[i].deployment].devices_per_replica));
        let fits =
            |g: &GroupState, d: usize| g.devices >= sc.deployments[d].devices_per_replica && allowed(sc, d, g.pool);
        // Launches that failed are still upcoming nodes to Cluster Autoscaler until it gives them up:
        // the pods they would hold do not ask for more.
        for g in ca.groups.iter().filter(|g| !g.failed.is_empty()) {
            let mut free: Vec<u32> = vec![g.devices; g.failed.len()];
            pending.retain(|&i| {
                let d = self.pods[i].deployment;
                let dpr = sc.deployments[d].devices_per_replica;
                match free.iter_mut().find(|f| **f >= dpr).filter(|_| fits(g, d)) {
                    Some(f) => {
                        *f -= dpr;
                        false
                    }
                    None => true,
                }
            });
        }
        if pending.is_empty() {
            return false;
        }
        let group_nodes: u32 = ca.groups.iter().map(|g| g.target).sum();
        let in_groups = self.nodes.iter().filter(|n| n.group.is_some() && n.state != NodeState::Gone).count() as u32;
        let other_nodes = self.live_nodes.saturating_sub(in_groups);
        let total_room = ca.spec.max_nodes_total.map_or(u32::MAX, |m| m.saturating_sub(group_nodes + other_nodes));
        let mut options: Vec<Expansion> = vec![];
        let mut at_max: Vec<usize> = vec![];
        for (gi, g) in ca.groups.iter().enumerate() {
            if g.backoff_until_s > now || !pending.iter().any(|&i| fits(g, self.pods[i].deployment)) {
                continue;
            }
            let room = ca.spec.node_groups[gi].max_size.saturating_sub(g.target).min(total_room);
            if room == 0 {
                at_max.push(gi);
                continue;
            }
            // First fit onto new template nodes.
            let mut free: Vec<u32> = vec![];
            let mut pods = 0u32;
            for &i in &pending {
                let d = self.pods[i].deployment;
                if !fits(g, d) {
                    continue;
                }
                let dpr = sc.deployments[d].devices_per_replica;
                if let Some(f) = free.iter_mut().find(|f| **f >= dpr) {
                    *f -= dpr;
                } else if (free.len() as u32) < room {
                    free.push(g.devices - dpr);
                } else {
                    continue;
                }
                pods += 1;
            }
            let nodes = free.len() as u32;
            let capacity = (nodes * g.devices).max(1) as f64;
            options.push(Expansion {
                group: gi,
                nodes,
                pods,
                waste: free.iter().sum::<u32>() as f64 / capacity,
                usd_per_hour: g.usd_per_hour * nodes as f64,
                priority: ca.spec.node_groups[gi].priority,
            });
        }
        if options.is_empty() {
            self.ca_unplaced(now, &pending, &at_max, warm);
            return false;
        }
        let chosen = self.expand(options);
        let Some(ca) = &mut self.ca else { return false };
        let g = &mut ca.groups[chosen.group];
        g.target += chosen.nodes;
        g.peak_target = g.peak_target.max(g.target);
        ca.last_scale_up_s = now;
        ca.scale_ups += 1;
        self.asg_reconcile(now, warm);
        true
    }

    /// The expander chain: each expander keeps its best options, the next one breaks the tie, and a
    /// random pick among those left ends it (Cluster Autoscaler's chain falls back to random).
    fn expand(&mut self, mut options: Vec<Expansion>) -> Expansion {
        let expanders = self.ca.as_ref().map(|ca| ca.spec.expanders.clone()).unwrap_or_default();
        for e in expanders {
            if options.len() <= 1 {
                break;
            }
            let keep = |options: &mut Vec<Expansion>, key: &dyn Fn(&Expansion) -> f64| {
                let best = options.iter().map(key).fold(f64::INFINITY, f64::min);
                options.retain(|o| key(o) <= best + 1e-9);
            };
            match e {
                Expander::Random => {
                    let pick = self.random_index(options.len());
                    options = vec![options[pick]];
                }
                Expander::MostPods => keep(&mut options, &|o| -(o.pods as f64)),
                Expander::LeastWaste => keep(&mut options, &|o| o.waste),
                Expander::LeastNodes => keep(&mut options, &|o| o.nodes as f64),
                Expander::Price => keep(&mut options, &|o| o.usd_per_hour / o.pods.max(1) as f64),
                Expander::Priority => keep(&mut options, &|o| -(o.priority as f64)),
            }
        }
        let pick = if options.len() > 1 { self.random_index(options.len()) } else { 0 };
        options[pick]
    }

    fn random_index(&mut self, n: usize) -> usize {
        ((self.rng.uniform() * n as f64) as usize).min(n.saturating_sub(1))
    }

    /// Pods no group could take, for the findings (serving pods only).
    fn ca_unplaced(&mut self, now: f64, pending: &[usize], at_max: &[usize], warm: bool) {
        let sc = self.sc;
        let Some(ca) = &self.ca else { return };
        let mut left = vec![0u32; sc.deployments.len()];
        for &i in pending {
            if !self.pods[i].placeholder {
                left[self.pods[i].deployment] += 1;
            }
        }
        for (d, n) in left.into_iter().enumerate() {
            if n == 0 {
                continue;
            }
            let fitting: Vec<usize> = (0..ca.groups.len())
                .filter(|&g| {
                    ca.groups[g].devices >= sc.deployments[d].devices_per_replica && allowed(sc, d, ca.groups[g].pool)
                })
                .collect();
            let u = &mut self.unplaced[d];
            u.max_pods = u.max_pods.max(n);
            u.first_s.get_or_insert(if warm { 0.0 } else { now });
            u.no_fitting_type |= fitting.is_empty();
            for &g in at_max.iter().filter(|g| fitting.contains(g)) {
                if !u.groups_at_max.contains(&g) {
                    u.groups_at_max.push(g);
                }
            }
        }
    }

    /// Cluster Autoscaler's scale-down: nodes of its groups under the utilisation threshold whose
    /// pods fit elsewhere are unneeded; after the unneeded time, and not within the delays after a
    /// scale-up or a delete, empty ones go in bulk and non-empty ones one at a time, never below a
    /// group's minimum size.
    fn ca_scale_down(&mut self, now: f64) {
        let Some(ca) = &self.ca else { return };
        if !ca.spec.scale_down_enabled {
            return;
        }
        let threshold = ca.spec.scale_down_utilization_threshold;
        for i in 0..self.nodes.len() {
            let n = &self.nodes[i];
            if n.group.is_none() || n.state != NodeState::Running {
                continue;
            }
            let used = (n.devices_total - n.devices_free) as f64 / n.devices_total.max(1) as f64;
            let unneeded = n.ready_s <= now && used < threshold && (n.pods == 0 || self.pods_fit_elsewhere(i, now));
            let n = &mut self.nodes[i];
            if !unneeded {
                n.unneeded_since_s = f64::INFINITY;
            } else if n.unneeded_since_s.is_infinite() {
                n.unneeded_since_s = now;
            }
        }
        let Some(ca) = &self.ca else { return };
        let spec = &ca.spec;
        if now < ca.last_scale_up_s + spec.scale_down_delay_after_add_s
            || now < ca.last_delete_s + spec.scale_down_delay_after_delete_s
        {
            return;
        }
        let ripe = |n: &super::Node| {
            n.state == NodeState::Running
                && n.group.is_some()
                && now - n.unneeded_since_s >= spec.scale_down_unneeded_time_s
        };
        let mut size: Vec<u32> = ca.groups.iter().map(|g| g.target).collect();
        let mut remove: Vec<usize> = vec![];
        for (i, n) in self.nodes.iter().enumerate() {
            if remove.len() as u32 >= spec.max_empty_bulk_delete {
                break;
            }
            let Some(g) = n.group else { continue };
            if ripe(n) && n.pods == 0 && size[g] > spec.node_groups[g].min_size {
                size[g] -= 1;
                remove.push(i);
            }
        }
        if remove.is_empty() {
            // One non-empty node, the least used, if its pods still fit elsewhere.
            let candidate = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| {
                    ripe(n) && n.pods > 0 && n.group.is_some_and(|g| size[g] > spec.node_groups[g].min_size)
                })
                .min_by_key(|(i, n)| (n.devices_total - n.devices_free, *i))
                .map(|(i, _)| i);
            if let Some(c) = candidate.filter(|&c| self.pods_fit_elsewhere(c, now)) {
                remove.push(c);
            }
        }
        if remove.is_empty() {
            return;
        }
        let until = now + self.timing.node_termination_s;
        for &i in &remove {
            let g = self.nodes[i].group.unwrap_or(0);
            self.start_termination(now, i, until);
            if let Some(ca) = &mut self.ca {
                ca.groups[g].target -= 1;
                ca.nodes_scaled_down += 1;
            }
        }
        if let Some(ca) = &mut self.ca {
            ca.last_delete_s = now;
        }
    }
}
