//! The live topology view's model: the NodePools in weight order as lanes, their nodes by instance
//! type and capacity type with one slot per accelerator device, and the pods on them. Either the
//! static plan at peak (the placement [`Outcome`]: which node holds which pod), or one sample of a
//! simulated day ([`Timeline`]): nodes per pool and type from the pool series, ready and pending
//! replicas per deployment from the deployment series, ready replicas packed onto the nodes of the
//! pools their deployment places on, nodes launching (the count rose since the previous sample, or
//! the node waits for pods not yet ready) and draining (the count fell).
//!
//! Ids are stable (`pool/type/capacity/n` for nodes, the node's id and the slot for pods), so a
//! renderer keyed by them touches only what changed between two edits or two samples.

use crate::catalog::{self, CapacityType};
use crate::place::Outcome;
use crate::plan::Plan;
use crate::sim::Timeline;

/// Most nodes drawn per lane; the rest are counted in [`Lane::nodes_not_shown`].
pub const MAX_NODES_PER_LANE: usize = 200;

/// The cluster as the view draws it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Topology {
    /// One per NodePool, highest weight first (then name), as Karpenter tries them.
    pub lanes: Vec<Lane>,
    /// Every fleet (Kubernetes Deployment) in placement order, with its colour and counts.
    pub fleets: Vec<FleetKey>,
    /// The sample of the simulated day shown; `None` for the static plan at peak.
    pub sample: Option<Sample>,
}

/// Which sample of the series a topology shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub index: usize,
    pub t_s: f64,
}

/// A fleet in the legend: a deployment, or one stage of a disaggregated one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FleetKey {
    /// The Kubernetes Deployment name (`llama-70b-prefill`).
    pub name: String,
    /// The plan deployment it belongs to.
    pub deployment: String,
    /// `prefill` or `decode` for a stage; `None` for a whole deployment.
    pub stage: Option<String>,
    /// The plan deployment's index: stages of one deployment share a colour.
    pub colour: u32,
    pub ready: u32,
    pub pending: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub pool: String,
    pub weight: u32,
    pub capacity_types: Vec<CapacityType>,
    pub nodes: Vec<Node>,
    /// Pods waiting for a node (no room, node still launching), drawn outside the nodes.
    pub pending: Vec<Pod>,
    pub nodes_not_shown: u32,
}

/// What a node is doing at the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeState {
    Running,
    Launching,
    Draining,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Running => "running",
            NodeState::Launching => "launching",
            NodeState::Draining => "draining",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Node {
    /// `pool/instance-type/capacity-type/n`.
    pub id: String,
    pub instance_type: String,
    pub capacity_type: CapacityType,
    /// Accelerator devices (GPUs, Neuron devices) of the instance type: one slot each.
    pub slots: u32,
    pub state: NodeState,
    pub pods: Vec<Pod>,
}

impl Node {
    /// Slots no pod holds.
    pub fn free_slots(&self) -> u32 {
        self.slots.saturating_sub(self.pods.iter().map(|p| p.slots()).sum())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PodState {
    Ready,
    Pending,
}

impl PodState {
    pub fn as_str(self) -> &'static str {
        match self {
            PodState::Ready => "ready",
            PodState::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pod {
    /// The node's id and the pod's place on it (`…/0#1`), or `pool/pending/fleet/n`.
    pub id: String,
    /// Index into [`Topology::fleets`].
    pub fleet: u32,
    /// The plan deployment, its stage (`prefill`, `decode`) and colour, as in the fleet's key.
    pub deployment: String,
    pub stage: Option<String>,
    pub colour: u32,
    pub devices: u32,
    pub state: PodState,
    /// Warm capacity (a CapacityBuffer's virtual pod, a placeholder pod), not a replica.
    pub warm: bool,
}

impl Pod {
    /// Slots the pod takes on its node (a pod without whole devices still takes one to be seen).
    pub fn slots(&self) -> u32 {
        self.devices.max(1)
    }
}

impl FleetKey {
    fn pod(&self, id: String, fleet: usize, devices: u32, state: PodState, warm: bool) -> Pod {
        Pod {
            id,
            fleet: fleet as u32,
            deployment: self.deployment.clone(),
            stage: self.stage.clone(),
            colour: self.colour,
            devices,
            state,
            warm,
        }
    }
}

fn slots_of(instance_type: &str) -> u32 {
    catalog::instance_type(instance_type).map_or(1, |t| t.accelerator_count.max(1))
}

/// Lanes without nodes, and the fleets, for a plan and its outcome.
fn skeleton(plan: &Plan, outcome: &Outcome) -> Topology {
    let lanes = plan
        .pools_by_priority()
        .into_iter()
        .map(|p| Lane {
            pool: p.name.clone(),
            weight: p.weight.unwrap_or(0),
            // Karpenter's order of preference, each once.
            capacity_types: CapacityType::ALL.into_iter().filter(|c| p.capacity_types.contains(c)).collect(),
            nodes: Vec::new(),
            pending: Vec::new(),
            nodes_not_shown: 0,
        })
        .collect();
    let fleets = outcome
        .deployments
        .iter()
        .map(|d| FleetKey {
            name: d.name.clone(),
            deployment: d.deployment.clone(),
            stage: (d.role != "server").then(|| d.role.clone()),
            colour: plan.spec.deployments.iter().position(|x| x.name == d.deployment).unwrap_or(0) as u32,
            ready: d.replicas,
            pending: 0,
        })
        .collect();
    Topology { lanes, fleets, sample: None }
}

/// The lane pending pods of a fleet wait in: the pool most of its replicas use, else the pool it is
/// pinned to, else the first lane.
fn pending_lane(plan: &Plan, outcome: &Outcome, topology: &Topology, fleet: usize) -> usize {
    let d = &outcome.deployments[fleet];
    let pinned = plan.spec.deployments.iter().find(|x| x.name == d.deployment).and_then(|x| {
        let stage = match d.role.as_str() {
            "prefill" => x.prefill.as_ref(),
            "decode" => x.decode.as_ref(),
            _ => None,
        };
        stage.and_then(|s| s.node_pool.clone()).or_else(|| x.node_selector.get("karpenter.sh/nodepool").cloned())
    });
    let wanted = d.node_pool.clone().or(pinned);
    wanted.and_then(|w| topology.lanes.iter().position(|l| l.pool == w)).unwrap_or(0)
}

fn push_pending(topology: &mut Topology, lane: usize, fleet: usize, count: u32, devices: u32) {
    let Some(l) = topology.lanes.get_mut(lane) else { return };
    let key = &topology.fleets[fleet];
    for n in 0..count.min(MAX_NODES_PER_LANE as u32) {
        let id = format!("{}/pending/{}/{n}", l.pool, key.name);
        l.pending.push(key.pod(id, fleet, devices, PodState::Pending, false));
    }
}

/// The static plan at peak: the placement's nodes and the pods on each, unplaced pods pending.
pub fn at_peak(plan: &Plan, outcome: &Outcome) -> Topology {
    let mut t = skeleton(plan, outcome);
    let fleets = &t.fleets;
    for pool in &outcome.pools {
        let Some(lane) = t.lanes.iter_mut().find(|l| l.pool == pool.name) else { continue };
        for group in &pool.nodes {
            let slots = slots_of(&group.instance_type);
            for n in 0..group.count {
                if lane.nodes.len() >= MAX_NODES_PER_LANE {
                    lane.nodes_not_shown += 1;
                    continue;
                }
                let id = format!("{}/{}/{}/{n}", pool.name, group.instance_type, group.capacity_type.as_str());
                let pods = group
                    .pods_by_node
                    .get(n as usize)
                    .map(|held| {
                        held.iter()
                            .enumerate()
                            .filter_map(|(k, h)| {
                                let f = h.fleet as usize;
                                let devices = outcome.deployments.get(f)?.devices_per_replica;
                                Some(fleets.get(f)?.pod(format!("{id}#{k}"), f, devices, PodState::Ready, h.warm))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                lane.nodes.push(Node {
                    id,
                    instance_type: group.instance_type.clone(),
                    capacity_type: group.capacity_type,
                    slots,
                    state: NodeState::Running,
                    pods,
                });
            }
        }
    }
    for u in &outcome.unplaced {
        if let Some(fleet) = outcome.deployments.iter().position(|d| d.name == u.deployment) {
            let lane = pending_lane(plan, outcome, &t, fleet);
            t.fleets[fleet].pending += u.replicas;
            push_pending(&mut t, lane, fleet, u.replicas, outcome.deployments[fleet].devices_per_replica);
        }
    }
    t
}

/// Nodes of one instance type and capacity type in a pool, at each sample.
pub type NodesByType = (String, CapacityType, Vec<u32>);

/// What the view reads of a simulated day: sample times, nodes per pool and type, and ready and
/// pending replicas per fleet (a shell keeps this, not the whole timeline).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DaySamples {
    pub series_step_s: f64,
    pub t_s: Vec<f64>,
    /// Per pool: its name, and per instance type and capacity type the nodes at each sample.
    pub pools: Vec<(String, Vec<NodesByType>)>,
    /// Per fleet (Kubernetes Deployment name): replicas ready and pending at each sample.
    pub fleets: Vec<(String, Vec<u32>, Vec<u32>)>,
}

impl DaySamples {
    pub fn of(timeline: &Timeline) -> DaySamples {
        let s = &timeline.series;
        let pools = s
            .pools
            .iter()
            .map(|(name, p)| {
                let types = p
                    .nodes_by_type
                    .iter()
                    .filter_map(|(key, counts)| {
                        let (instance_type, capacity) = key.rsplit_once('/')?;
                        Some((instance_type.to_string(), CapacityType::parse(capacity)?, counts.clone()))
                    })
                    .collect();
                (name.clone(), types)
            })
            .collect();
        let fleets = s
            .deployments
            .iter()
            .map(|(name, d)| (name.clone(), d.replicas_ready.clone(), d.replicas_pending.clone()))
            .collect();
        DaySamples { series_step_s: timeline.summary.series_step_s, t_s: s.t_s.clone(), pools, fleets }
    }
}

/// The sample of a series at `t_s` seconds: the last one at or before it.
pub fn sample_at(day: &DaySamples, t_s: f64) -> Option<usize> {
    let times = &day.t_s;
    if times.is_empty() {
        return None;
    }
    Some(times.iter().rposition(|&t| t <= t_s + 1e-9).unwrap_or(0))
}

/// The cluster at sample `index` of a simulated day of `plan` (whose placement is `outcome`).
pub fn at_sample(plan: &Plan, outcome: &Outcome, day: &DaySamples, index: usize) -> Topology {
    let mut t = skeleton(plan, outcome);
    let Some(&t_s) = day.t_s.get(index) else { return at_peak(plan, outcome) };
    t.sample = Some(Sample { index, t_s });
    let at = |v: &[u32], i: usize| v.get(i).copied().unwrap_or(0);
    let previous = index.saturating_sub(1);
    // Nodes per pool and type: running (in both samples), launching (new), draining (gone).
    for lane in &mut t.lanes {
        let Some((_, pool)) = day.pools.iter().find(|(name, _)| *name == lane.pool) else { continue };
        // By capacity type in Karpenter's order, then by instance type (the series' order).
        let types =
            CapacityType::ALL.into_iter().flat_map(|c| pool.iter().filter(move |(_, capacity, _)| *capacity == c));
        for (instance_type, capacity, counts) in types {
            let (capacity, now, before) = (*capacity, at(counts, index), at(counts, previous));
            let slots = slots_of(instance_type);
            for n in 0..now.max(before) {
                if lane.nodes.len() >= MAX_NODES_PER_LANE {
                    lane.nodes_not_shown += 1;
                    continue;
                }
                let state = if n >= now {
                    NodeState::Draining
                } else if n >= before {
                    NodeState::Launching
                } else {
                    NodeState::Running
                };
                lane.nodes.push(Node {
                    id: format!("{}/{instance_type}/{}/{n}", lane.pool, capacity.as_str()),
                    instance_type: instance_type.to_string(),
                    capacity_type: capacity,
                    slots,
                    state,
                    pods: Vec::new(),
                });
            }
        }
    }
    // Ready replicas onto the nodes of the pools their fleet places on (by priority), then any
    // other node with room; running nodes first, draining ones last.
    for fleet in 0..outcome.deployments.len() {
        let d = &outcome.deployments[fleet];
        let (ready, pending) = day
            .fleets
            .iter()
            .find(|(name, ..)| *name == d.name)
            .map_or((0, 0), |(_, r, p)| (at(r, index), at(p, index)));
        t.fleets[fleet].ready = ready;
        t.fleets[fleet].pending = pending;
        let devices = d.devices_per_replica;
        let used = |l: &usize| d.node_pools.contains(&t.lanes[*l].pool);
        let order: Vec<usize> =
            (0..t.lanes.len()).filter(used).chain((0..t.lanes.len()).filter(|l| !used(l))).collect();
        let mut left = ready;
        let key = t.fleets[fleet].clone();
        for state in [NodeState::Running, NodeState::Launching, NodeState::Draining] {
            for &l in &order {
                for node in t.lanes[l].nodes.iter_mut().filter(|n| n.state == state) {
                    while left > 0 && node.free_slots() >= devices.max(1) {
                        let id = format!("{}#{}", node.id, node.pods.len());
                        node.pods.push(key.pod(id, fleet, devices, PodState::Ready, false));
                        left -= 1;
                    }
                }
            }
        }
        // Ready pods no drawn node holds (more than the view draws) wait nowhere: they are counted
        // in the fleet's `ready` only.
        let lane = pending_lane(plan, outcome, &t, fleet);
        push_pending(&mut t, lane, fleet, pending, devices);
    }
    // A running node without ready pods in a lane where pods wait is still being readied for them.
    for lane in &mut t.lanes {
        if lane.pending.is_empty() {
            continue;
        }
        for node in lane.nodes.iter_mut().filter(|n| n.state == NodeState::Running && n.pods.is_empty()) {
            node.state = NodeState::Launching;
        }
    }
    t
}

#[cfg(test)]
mod tests;
