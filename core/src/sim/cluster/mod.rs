//! The node layer: pods, nodes, kube-scheduler binding, Karpenter provisioning (batching, NodePools by
//! weight and limits, instance and capacity type), node start-up (launch, OS boot, device plugin,
//! image pull cached per node, model load), consolidation with budgets, and spot interruptions.

use crate::catalog::{billing, CapacityType};

use super::params::Timing;
use super::rng::Rng;
use super::scenario::{Scenario, WarmKind};

mod autoscaler;
mod consolidation;
mod provisioning;
mod warm;

pub(crate) use autoscaler::CaState;

#[cfg(test)]
pub(crate) use warm::BUFFER_RECONCILE_S;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeState {
    Running,
    /// Drained (pods evicted) and billed until `gone_s`.
    Terminating,
    Gone,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub pool: usize,
    pub itype: usize,
    pub capacity: CapacityType,
    pub usd_per_hour: f64,
    pub devices_total: u32,
    pub devices_free: u32,
    /// Launch to devices advertised.
    pub ready_s: f64,
    /// Images on the node: (image index, available from).
    pub images: Vec<(usize, f64)>,
    /// Weights in the node's cache (`weights.nodeCache`): (model index, available from).
    pub weights: Vec<(usize, f64)>,
    pub pods: u32,
    pub last_change_s: f64,
    pub reserved: bool,
    pub state: NodeState,
    pub gone_s: f64,
    /// Spot interruption notice time (infinity when none).
    pub interruption_s: f64,
    /// A Capacity Block's node: when Karpenter drains it ahead of the block's end (infinity when none).
    pub block_drain_s: f64,
    /// An ODCR's node: when the reservation ends and the instance runs on at the on-demand price.
    pub reserved_until_s: f64,
    /// A Capacity Block's node (commitments do not cover it).
    pub capacity_block: bool,
    /// The node launched to replace this one (replace consolidation), while it starts.
    pub replacement: Option<usize>,
    /// Launched as a replacement and waiting to take over: not a consolidation candidate.
    pub standby: bool,
    /// Cluster Autoscaler: the node group the node belongs to (none under Karpenter).
    pub group: Option<usize>,
    /// Cluster Autoscaler: since when the node has been unneeded (infinity when it is needed).
    pub unneeded_since_s: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Pod {
    pub deployment: usize,
    pub node: Option<usize>,
    pub created_s: f64,
    /// Container started (Running phase); until `ready_s` the engine loads the model (no metrics).
    pub running_s: f64,
    pub ready_s: f64,
    /// A low-priority placeholder pod (warm capacity), not a serving replica.
    pub placeholder: bool,
}

/// Why Karpenter could not place pods, kept for the findings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Unplaced {
    /// Most pods of the deployment left pending by one provisioning round.
    pub max_pods: u32,
    /// Pools that were at their limits.
    pub pools_at_limit: Vec<usize>,
    /// No pool offers an instance type with enough devices.
    pub no_fitting_type: bool,
    pub first_s: Option<f64>,
    /// Cluster Autoscaler: node groups whose template fits but that were at their maximum size.
    pub groups_at_max: Vec<usize>,
}

/// Pod counts per deployment as the replica calculator groups them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub total: u32,
    pub ready: u32,
    /// Running, loading the model (metrics missing).
    pub loading: u32,
    /// Pending phase: no node, node not ready, or image pulling.
    pub pending: u32,
}

pub(crate) struct Cluster<'a> {
    sc: &'a Scenario,
    timing: &'a Timing,
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    /// Pools in Karpenter's order: weight descending, then name.
    pool_order: Vec<usize>,
    /// Image index of each deployment (deployments with the same image share it).
    image_of: Vec<usize>,
    /// Model index of each deployment (fleets of the same model share a node's weights cache).
    model_of: Vec<usize>,
    pool_devices: Vec<u32>,
    pool_cpu: Vec<u32>,
    pool_nodes: Vec<u32>,
    pool_terminating: Vec<u32>,
    /// Nodes of each pool being replaced (counted against the disruption budget).
    pool_replacing: Vec<u32>,
    batch_start_s: Option<f64>,
    batch_last_s: f64,
    pub retry_at_s: f64,
    next_consolidation_s: f64,
    rng: Rng,
    pub unplaced: Vec<Unplaced>,
    pub spot_interruptions: u32,
    /// Capacity Block nodes drained ahead of the block's end.
    pub capacity_block_drains: u32,
    pub nodes_launched: u32,
    pub longest_pending_s: f64,
    pub longest_unschedulable_s: f64,
    pub startup_sum_s: f64,
    pub startup_count: u32,
    pub startup_max_s: f64,
    pub cost_rate_usd_per_s: f64,
    pub live_nodes: u32,
    /// Bumped on every change to pods or nodes; consolidation re-checks only after a change or when a
    /// node becomes eligible by the clock.
    generation: u64,
    idle_generation: u64,
    idle_until_s: f64,
    any_consolidation: bool,
    /// A budget window can open without any change to the cluster: consolidation is then re-checked
    /// every interval.
    scheduled_budgets: bool,
    /// Per pool and budget: (minute last evaluated, whether its window was open).
    budget_cache: Vec<Vec<(i64, bool)>>,
    /// Offerings EC2 had no capacity for, until when (Karpenter's unavailable-offerings cache).
    unavailable: Vec<Unavailable>,
    pub launch_failures: u32,
    pub nodes_consolidated: u32,
    pub nodes_replaced: u32,
    /// Whether any pool is static, any deployment keeps a CapacityBuffer or placeholder pods: the
    /// warm-capacity paths run only then.
    any_static: bool,
    any_buffer: bool,
    any_placeholder: bool,
    next_buffer_s: f64,
    pub placeholders_preempted: u32,
    /// Cluster Autoscaler's state when it is the node layer's controller (Karpenter's otherwise).
    pub ca: Option<CaState>,
    /// Bumped whenever what is billed changes (a node launched, gone, or its reservation ended).
    usage_version: u64,
    /// The bill under the scenario's commitments at `usage_version` (only with commitments).
    bill: BillCache,
    /// Commitments over the run so far.
    pub commitments_day: CommitmentsDay,
    /// Per pool and instance type: the first pool and index holding a type of that name, so that
    /// the bill has one line per instance type (only with commitments).
    type_line: Vec<Vec<(usize, usize)>>,
}

/// [`Cluster::type_line`] for a scenario.
fn type_lines(sc: &Scenario) -> Vec<Vec<(usize, usize)>> {
    let first = |name: &str| {
        sc.pools
            .iter()
            .enumerate()
            .find_map(|(p, pool)| pool.instance_types.iter().position(|t| t.name == name).map(|i| (p, i)))
    };
    sc.pools
        .iter()
        .enumerate()
        .map(|(p, pool)| {
            pool.instance_types.iter().enumerate().map(|(i, t)| first(&t.name).unwrap_or((p, i))).collect()
        })
        .collect()
}

/// A usage line of the bill: an instance type (the first pool and index holding a type of that name),
/// capacity type, and whether it is a Capacity Block's.
type LineKey = (usize, usize, CapacityType, bool);

/// The current bill under commitments, recomputed only when usage changes.
#[derive(Debug, Clone, Default)]
struct BillCache {
    version: u64,
    rate_usd_per_s: f64,
    fees_usd_per_s: f64,
    covered_usd_per_s: f64,
    unused_usd_per_s: f64,
    /// Per usage line (instance type, capacity type, Capacity Block): what one instance is billed.
    each_usd_per_hour: Vec<(LineKey, f64)>,
}

/// What the commitments did over the run, in USD.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CommitmentsDay {
    /// The usage at list rates, as if there were no commitments.
    pub list_usd: f64,
    pub fees_usd: f64,
    /// The on-demand value of the usage they covered.
    pub covered_on_demand_usd: f64,
    pub unused_usd: f64,
}

#[derive(Debug, Clone, Copy)]
struct Unavailable {
    pool: usize,
    itype: usize,
    capacity: CapacityType,
    until_s: f64,
}

fn allowed(sc: &Scenario, deployment: usize, pool: usize) -> bool {
    let d = &sc.deployments[deployment];
    d.allowed_pools.is_empty() || d.allowed_pools.iter().any(|p| *p == sc.pools[pool].name)
}

impl<'a> Cluster<'a> {
    pub fn new(sc: &'a Scenario, rng: Rng) -> Cluster<'a> {
        let mut pool_order: Vec<usize> = (0..sc.pools.len()).collect();
        pool_order.sort_by(|&a, &b| {
            sc.pools[b].weight.cmp(&sc.pools[a].weight).then_with(|| sc.pools[a].name.cmp(&sc.pools[b].name))
        });
        let mut images: Vec<&str> = vec![];
        let image_of = sc
            .deployments
            .iter()
            .map(|d| match images.iter().position(|i| *i == d.image) {
                Some(i) => i,
                None => {
                    images.push(&d.image);
                    images.len() - 1
                }
            })
            .collect();
        let mut models: Vec<&str> = vec![];
        let model_of = sc
            .deployments
            .iter()
            .map(|d| {
                let model = if d.model.is_empty() { d.name.as_str() } else { d.model.as_str() };
                match models.iter().position(|m| *m == model) {
                    Some(i) => i,
                    None => {
                        models.push(model);
                        models.len() - 1
                    }
                }
            })
            .collect();
        let n = sc.pools.len();
        let mut cluster = Cluster {
            sc,
            timing: &sc.timing,
            nodes: vec![],
            pods: vec![],
            pool_order,
            image_of,
            model_of,
            pool_devices: vec![0; n],
            pool_cpu: vec![0; n],
            pool_nodes: vec![0; n],
            pool_terminating: vec![0; n],
            pool_replacing: vec![0; n],
            batch_start_s: None,
            batch_last_s: 0.0,
            retry_at_s: f64::INFINITY,
            next_consolidation_s: 0.0,
            rng,
            unplaced: vec![Unplaced::default(); sc.deployments.len()],
            spot_interruptions: 0,
            capacity_block_drains: 0,
            nodes_launched: 0,
            longest_pending_s: 0.0,
            longest_unschedulable_s: 0.0,
            startup_sum_s: 0.0,
            startup_count: 0,
            startup_max_s: 0.0,
            cost_rate_usd_per_s: 0.0,
            usage_version: 0,
            bill: BillCache { version: u64::MAX, ..BillCache::default() },
            commitments_day: CommitmentsDay::default(),
            type_line: if sc.commitments.is_empty() { Vec::new() } else { type_lines(sc) },
            live_nodes: 0,
            generation: 0,
            idle_generation: u64::MAX,
            idle_until_s: 0.0,
            any_consolidation: sc.pools.iter().any(|p| p.consolidate_after_s.is_some()),
            scheduled_budgets: sc.pools.iter().any(|p| p.budgets.iter().any(|b| b.schedule.is_some())),
            budget_cache: sc.pools.iter().map(|p| vec![(i64::MIN, false); p.budgets.len()]).collect(),
            unavailable: vec![],
            launch_failures: 0,
            nodes_consolidated: 0,
            nodes_replaced: 0,
            any_static: sc.pools.iter().any(|p| p.static_nodes.is_some()),
            any_buffer: sc.deployments.iter().any(|d| d.warm.is_some_and(|w| w.kind == WarmKind::CapacityBuffer)),
            any_placeholder: sc.deployments.iter().any(|d| d.warm.is_some_and(|w| w.kind == WarmKind::PlaceholderPods)),
            next_buffer_s: 0.0,
            placeholders_preempted: 0,
            ca: None,
        };
        if let super::scenario::NodeAutoscaler::ClusterAutoscaler(spec) = &sc.node_autoscaler {
            // Cluster Autoscaler replaces Karpenter's provisioning, consolidation and buffer refills.
            cluster.ca = Some(CaState::new(sc, spec));
            cluster.any_consolidation = false;
            cluster.any_buffer = false;
        }
        cluster
    }

    /// What `step_s` seconds of the cluster as it is cost: the nodes at their list rates, or, with
    /// commitments (`Scenario::commitments`), as [`billing::bill`] bills them; also adds the
    /// commitments' share to [`Cluster::commitments_day`].
    pub fn bill_step(&mut self, step_s: f64) -> f64 {
        if self.sc.commitments.is_empty() {
            return self.cost_rate_usd_per_s * step_s;
        }
        if self.bill.version != self.usage_version {
            self.rebill();
        }
        let day = &mut self.commitments_day;
        day.list_usd += self.cost_rate_usd_per_s * step_s;
        day.fees_usd += self.bill.fees_usd_per_s * step_s;
        day.covered_on_demand_usd += self.bill.covered_usd_per_s * step_s;
        day.unused_usd += self.bill.unused_usd_per_s * step_s;
        self.bill.rate_usd_per_s * step_s
    }

    /// What one node-hour of a live node is billed: its list rate, or its usage line's share of the
    /// bill under commitments (as of the last [`Cluster::bill_step`]).
    pub fn billed_usd_per_hour(&self, node: &Node) -> f64 {
        if self.sc.commitments.is_empty() {
            return node.usd_per_hour;
        }
        let key = self.line_key(node);
        self.bill.each_usd_per_hour.iter().find(|(k, _)| *k == key).map_or(node.usd_per_hour, |(_, each)| *each)
    }

    /// A node's usage line: its instance type (pool and index into the pool's types, named by the
    /// type's name for billing), capacity type and whether it is a Capacity Block's.
    fn line_key(&self, node: &Node) -> LineKey {
        let (p, i) = self.type_line[node.pool][node.itype];
        (p, i, node.capacity, node.capacity_block)
    }

    fn rebill(&mut self) {
        let mut lines: Vec<(LineKey, f64, f64)> = Vec::new();
        for node in self.nodes.iter().filter(|n| n.state != NodeState::Gone) {
            let key = self.line_key(node);
            match lines.iter_mut().find(|(k, ..)| *k == key) {
                Some(line) => line.1 += 1.0,
                None => lines.push((key, 1.0, node.usd_per_hour)),
            }
        }
        let usage: Vec<billing::Usage> = lines
            .iter()
            .map(|((p, i, capacity, block), count, each)| billing::Usage {
                instance_type: &self.sc.pools[*p].instance_types[*i].name,
                count: *count,
                usd_per_hour_each: *each,
                eligible: *capacity == CapacityType::OnDemand || (*capacity == CapacityType::Reserved && !*block),
            })
            .collect();
        let bill = billing::bill(&self.sc.commitments, &usage);
        self.bill = BillCache {
            version: self.usage_version,
            rate_usd_per_s: bill.usd_per_hour / 3600.0,
            fees_usd_per_s: bill.fees_usd_per_hour / 3600.0,
            covered_usd_per_s: bill.covered_list_usd_per_hour / 3600.0,
            unused_usd_per_s: bill.unused_usd_per_hour / 3600.0,
            each_usd_per_hour: lines
                .iter()
                .zip(&bill.lines)
                .map(|((k, count, _), b)| (*k, b.usd_per_hour / count))
                .collect(),
        };
    }

    /// Reserved capacity, present and warm from the start (a Capacity Block that is drained before the
    /// run starts has no nodes in it).
    pub fn add_reservations(&mut self) {
        use super::scenario::CAPACITY_BLOCK_DRAIN_BEFORE_END_S;
        for (p, pool) in self.sc.pools.iter().enumerate() {
            for r in &pool.reservations {
                let Some(t) = pool.instance_types.iter().position(|t| t.name == r.instance_type) else { continue };
                let (drain_s, until_s) = match r.ends_at_s {
                    Some(end) if r.capacity_block => (end - CAPACITY_BLOCK_DRAIN_BEFORE_END_S, f64::INFINITY),
                    Some(end) => (f64::INFINITY, end),
                    None => (f64::INFINITY, f64::INFINITY),
                };
                if drain_s <= 0.0 {
                    continue;
                }
                for _ in 0..r.count {
                    let n = self.add_node(p, t, CapacityType::Reserved, r.usd_per_hour, 0.0, true);
                    self.nodes[n].capacity_block = r.capacity_block;
                    self.nodes[n].block_drain_s = drain_s;
                    self.nodes[n].reserved_until_s = until_s;
                }
            }
        }
    }

    fn add_node(
        &mut self,
        pool: usize,
        itype: usize,
        capacity: CapacityType,
        usd_per_hour: f64,
        now: f64,
        warm: bool,
    ) -> usize {
        let t = &self.sc.pools[pool].instance_types[itype];
        let os = self.sc.pools[pool].os;
        let interruption_s = if capacity == CapacityType::Spot {
            let rate = self.timing.spot_rate_per_node_hour(&t.family);
            if rate > 0.0 {
                now + self.rng.exponential(3600.0 / rate)
            } else {
                f64::INFINITY
            }
        } else {
            f64::INFINITY
        };
        self.nodes.push(Node {
            pool,
            itype,
            capacity,
            usd_per_hour,
            devices_total: t.devices,
            devices_free: t.devices,
            ready_s: if warm { now } else { now + self.timing.node_ready_after_s(os) },
            images: vec![],
            weights: vec![],
            pods: 0,
            last_change_s: now,
            reserved: capacity == CapacityType::Reserved,
            state: NodeState::Running,
            gone_s: f64::INFINITY,
            interruption_s,
            block_drain_s: f64::INFINITY,
            reserved_until_s: f64::INFINITY,
            capacity_block: false,
            replacement: None,
            standby: false,
            group: None,
            unneeded_since_s: f64::INFINITY,
        });
        self.generation += 1;
        self.pool_devices[pool] += t.devices;
        self.pool_cpu[pool] += t.vcpu;
        self.pool_nodes[pool] += 1;
        self.cost_rate_usd_per_s += usd_per_hour / 3600.0;
        self.usage_version += 1;
        self.live_nodes += 1;
        if !warm {
            self.nodes_launched += 1;
        }
        self.nodes.len() - 1
    }

    /// An on-demand node of a pool's instance type, launched at `now` (for tests).
    #[cfg(test)]
    pub fn launch_node(&mut self, pool: usize, itype: usize, now: f64) -> usize {
        self.add_node(pool, itype, CapacityType::OnDemand, 1.0, now, false)
    }

    pub fn counts(&self, now: f64, out: &mut [Counts]) {
        out.iter_mut().for_each(|c| *c = Counts::default());
        for pod in self.pods.iter().filter(|p| !p.placeholder) {
            let c = &mut out[pod.deployment];
            c.total += 1;
            if pod.node.is_some() && pod.ready_s <= now {
                c.ready += 1;
            } else if pod.node.is_some() && pod.running_s <= now {
                c.loading += 1;
            } else {
                c.pending += 1;
            }
        }
    }

    /// Creates or deletes pods so that each deployment has `desired[d]` pods (the ReplicaSet).
    pub fn reconcile_replicas(&mut self, now: f64, desired: &[u32], warm: bool) {
        let mut have = vec![0u32; desired.len()];
        for pod in self.pods.iter().filter(|p| !p.placeholder) {
            have[pod.deployment] += 1;
        }
        if self.any_placeholder {
            self.reconcile_placeholders(now, warm);
        }
        for (d, (&want, &has)) in desired.iter().zip(&have).enumerate() {
            if want > has {
                self.create_pending(now, d, want - has, false, warm);
            } else if has > want {
                self.delete_pods(now, d, has - want);
            }
        }
    }

    /// Creates `n` pending pods of deployment `d` (serving pods or placeholders); outside the warm
    /// start they open or extend Karpenter's batch.
    pub(super) fn create_pending(&mut self, now: f64, d: usize, n: u32, placeholder: bool, warm: bool) {
        for _ in 0..n {
            self.pods.push(Pod {
                deployment: d,
                node: None,
                created_s: now,
                running_s: f64::INFINITY,
                ready_s: f64::INFINITY,
                placeholder,
            });
        }
        if !warm {
            self.batch_start_s.get_or_insert(now);
            self.batch_last_s = now;
        }
    }

    /// Deletes pods as a ReplicaSet does: unscheduled first, then not ready, then the newest.
    fn delete_pods(&mut self, now: f64, deployment: usize, mut n: u32) {
        while n > 0 {
            let victim = self
                .pods
                .iter()
                .enumerate()
                .filter(|(_, p)| p.deployment == deployment && !p.placeholder)
                .max_by(|(ia, a), (ib, b)| {
                    let rank = |p: &Pod| (p.node.is_none(), p.ready_s > now);
                    rank(a).cmp(&rank(b)).then(a.created_s.total_cmp(&b.created_s)).then(ia.cmp(ib))
                })
                .map(|(i, _)| i);
            let Some(i) = victim else { return };
            self.remove_pod(now, i);
            n -= 1;
        }
    }

    fn remove_pod(&mut self, now: f64, i: usize) {
        self.generation += 1;
        let pod = self.pods.swap_remove(i);
        match pod.node {
            Some(n) => {
                let dpr = self.sc.deployments[pod.deployment].devices_per_replica;
                let node = &mut self.nodes[n];
                node.devices_free += dpr;
                node.pods -= 1;
                node.last_change_s = now;
            }
            None if !pod.placeholder => self.longest_pending_s = self.longest_pending_s.max(now - pod.created_s),
            None => {}
        }
    }

    fn bind(&mut self, now: f64, pod: usize, node: usize, warm: bool) {
        let d = self.pods[pod].deployment;
        let dep = &self.sc.deployments[d];
        let image = self.image_of[d];
        let model = self.model_of[d];
        let t = self.timing;
        self.generation += 1;
        let n = &mut self.nodes[node];
        n.devices_free -= dep.devices_per_replica;
        n.pods += 1;
        n.last_change_s = now;
        let p = &mut self.pods[pod];
        p.node = Some(node);
        if p.placeholder {
            // The pause pod starts once its init container has pulled the serving image.
            let start = if warm { now } else { now.max(n.ready_s) };
            let image_done = match n.images.iter().find(|(i, _)| *i == image) {
                Some(&(_, available)) => start.max(available),
                None => {
                    let pull = if warm {
                        0.0
                    } else {
                        t.image_pull_overhead_s + dep.image_gib * 1024.0 / t.image_pull_mib_per_s
                    };
                    n.images.push((image, start + pull));
                    start + pull
                }
            };
            p.running_s = image_done;
            p.ready_s = image_done;
            return;
        }
        if warm {
            if !n.images.iter().any(|(i, _)| *i == image) {
                n.images.push((image, now));
            }
            if dep.weights_node_cache && !n.weights.iter().any(|(m, _)| *m == model) {
                n.weights.push((model, now));
            }
            p.running_s = now;
            p.ready_s = now;
            return;
        }
        let pod_start = self.sc.pools[n.pool].pod_start(dep);
        let start = now.max(n.ready_s);
        let image_done = match n.images.iter().find(|(i, _)| *i == image) {
            Some(&(_, available)) => start.max(available),
            None => {
                let available = start + t.image_pull_s(&pod_start);
                n.images.push((image, available));
                available
            }
        };
        // Weights the node keeps (`nodeCache`): the first pod fetches them, the next ones read the
        // node's copy once it is complete.
        let cached = dep.weights_node_cache && pod_start.weights == super::WeightsLoad::Download;
        let loaded = match n.weights.iter().find(|(m, _)| *m == model).filter(|_| cached) {
            Some(&(_, available)) => image_done.max(available) + t.weights_load_s(&pod_start, true),
            None => {
                let loaded = image_done + t.weights_load_s(&pod_start, false);
                if cached {
                    n.weights.push((model, loaded));
                }
                loaded
            }
        };
        p.running_s = image_done;
        p.ready_s = loaded + t.warmup_s(&pod_start);
        // Karpenter nominates the pod to its new node at once; under Cluster Autoscaler the pod stays
        // unschedulable until the node registers.
        let found_s = if self.ca.is_some() { start } else { now };
        self.longest_unschedulable_s = self.longest_unschedulable_s.max(found_s - p.created_s);
        self.longest_pending_s = self.longest_pending_s.max(p.running_s - p.created_s);
        let startup = p.ready_s - p.created_s;
        self.startup_sum_s += startup;
        self.startup_count += 1;
        self.startup_max_s = self.startup_max_s.max(startup);
    }

    /// The running node (in-flight ones included) with room for a replica of `d` that is ready soonest.
    pub(super) fn soonest_ready_node(&self, d: usize) -> Option<usize> {
        let dpr = self.sc.deployments[d].devices_per_replica;
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.state == NodeState::Running && n.devices_free >= dpr && allowed(self.sc, d, n.pool))
            .min_by(|(ia, a), (ib, b)| a.ready_s.total_cmp(&b.ready_s).then(ia.cmp(ib)))
            .map(|(i, _)| i)
    }

    /// kube-scheduler: binds pending pods to nodes with free devices (Karpenter's in-flight nodes
    /// included, as it nominates them), preferring nodes that are ready soonest.
    pub fn schedule(&mut self, now: f64, warm: bool) {
        for i in 0..self.pods.len() {
            if self.pods[i].node.is_some() || self.pods[i].placeholder {
                continue;
            }
            let d = self.pods[i].deployment;
            let best = self.soonest_ready_node(d);
            if let Some(n) = best {
                self.bind(now, i, n, warm);
            } else if self.any_placeholder {
                if let Some(n) = self.preempt_for(now, d) {
                    self.bind(now, i, n, warm);
                }
            }
        }
        if self.any_placeholder {
            self.schedule_placeholders(now, warm);
        }
    }

    pub fn has_unbound(&self) -> bool {
        self.pods.iter().any(|p| p.node.is_none())
    }

    /// Closes the batch and cancels the retry when the scheduler has bound every pod.
    pub fn settle(&mut self) {
        if !self.has_unbound() {
            self.batch_start_s = None;
            self.retry_at_s = f64::INFINITY;
        }
    }

    fn start_termination(&mut self, now: f64, node: usize, until: f64) {
        self.generation += 1;
        let n = &mut self.nodes[node];
        n.state = NodeState::Terminating;
        n.gone_s = until;
        self.pool_terminating[n.pool] += 1;
        let mut i = 0;
        while i < self.pods.len() {
            if self.pods[i].node == Some(node) {
                self.remove_pod(now, i);
            } else {
                i += 1;
            }
        }
    }

    /// Spot notices, reservations that end, and the end of terminations.
    pub fn node_events(&mut self, now: f64) {
        use super::scenario::{CAPACITY_BLOCK_DRAIN_BEFORE_END_S, CAPACITY_BLOCK_TERMINATE_BEFORE_END_S};
        for i in 0..self.nodes.len() {
            let n = &self.nodes[i];
            if n.state == NodeState::Running && n.interruption_s <= now {
                let until = n.interruption_s + self.timing.spot_notice_s;
                self.spot_interruptions += 1;
                self.start_termination(now, i, until);
                if self.any_static {
                    self.keep_static_pools(now, false);
                }
            }
            let n = &self.nodes[i];
            if n.state == NodeState::Running && n.block_drain_s <= now {
                // Karpenter drains at the warning; EC2 terminates ten minutes later.
                let until = n.block_drain_s + CAPACITY_BLOCK_DRAIN_BEFORE_END_S - CAPACITY_BLOCK_TERMINATE_BEFORE_END_S;
                self.capacity_block_drains += 1;
                self.start_termination(now, i, until);
            }
            let n = &self.nodes[i];
            if n.state == NodeState::Running && n.reserved_until_s <= now {
                // The ODCR ended: the instance runs on as an ordinary on-demand one.
                let t = &self.sc.pools[n.pool].instance_types[n.itype];
                let price = t.on_demand_usd_per_hour.unwrap_or(n.usd_per_hour);
                self.cost_rate_usd_per_s += (price - n.usd_per_hour) / 3600.0;
                self.usage_version += 1;
                let n = &mut self.nodes[i];
                n.usd_per_hour = price;
                n.capacity = CapacityType::OnDemand;
                n.reserved = false;
                n.reserved_until_s = f64::INFINITY;
                self.generation += 1;
            }
            let n = &mut self.nodes[i];
            if n.state == NodeState::Terminating && n.gone_s <= now {
                n.state = NodeState::Gone;
                self.generation += 1;
                let t = &self.sc.pools[n.pool].instance_types[n.itype];
                self.pool_devices[n.pool] -= t.devices;
                self.pool_cpu[n.pool] -= t.vcpu;
                self.pool_nodes[n.pool] -= 1;
                self.pool_terminating[n.pool] -= 1;
                self.cost_rate_usd_per_s -= n.usd_per_hour / 3600.0;
                self.usage_version += 1;
                self.live_nodes -= 1;
            }
        }
        // Gone nodes are dropped once no pod refers to them (none does: pods were evicted).
        if self.nodes.len() > 64
            && self.nodes.iter().filter(|n| n.state == NodeState::Gone).count() * 2 > self.nodes.len()
        {
            self.compact();
        }
    }

    fn compact(&mut self) {
        let mut map = vec![usize::MAX; self.nodes.len()];
        let mut kept = Vec::with_capacity(self.nodes.len());
        for (i, n) in self.nodes.drain(..).enumerate() {
            if n.state != NodeState::Gone {
                map[i] = kept.len();
                kept.push(n);
            }
        }
        self.nodes = kept;
        for p in &mut self.pods {
            if let Some(n) = p.node {
                p.node = Some(map[n]);
            }
        }
        for i in 0..self.nodes.len() {
            if let Some(r) = self.nodes[i].replacement {
                if map[r] == usize::MAX {
                    self.nodes[i].replacement = None;
                    self.pool_replacing[self.nodes[i].pool] -= 1;
                } else {
                    self.nodes[i].replacement = Some(map[r]);
                }
            }
        }
    }
    /// The next time anything in the node layer changes by itself.
    pub fn next_event_s(&self, now: f64) -> f64 {
        let mut next = match &self.ca {
            Some(ca) => ca.next_event_s(),
            None => self.batch_due_s().min(self.retry_at_s),
        };
        for p in &self.pods {
            if p.running_s > now {
                next = next.min(p.running_s);
            }
            if p.ready_s > now {
                next = next.min(p.ready_s);
            }
        }
        for n in &self.nodes {
            match n.state {
                NodeState::Running => next = next.min(n.interruption_s).min(n.block_drain_s).min(n.reserved_until_s),
                NodeState::Terminating => next = next.min(n.gone_s),
                NodeState::Gone => {}
            }
        }
        if self.any_buffer {
            next = next.min(self.next_buffer_s);
        }
        next.min(self.consolidation_due_s())
    }

    /// Records pods still unbound at the end of the run.
    pub fn finish(&mut self, end_s: f64) {
        for p in self.pods.iter().filter(|p| !p.placeholder) {
            if p.node.is_none() {
                self.longest_pending_s = self.longest_pending_s.max(end_s - p.created_s);
                self.longest_unschedulable_s = self.longest_unschedulable_s.max(end_s - p.created_s);
            } else if p.running_s > end_s {
                self.longest_pending_s = self.longest_pending_s.max(end_s - p.created_s);
            }
        }
    }
}
