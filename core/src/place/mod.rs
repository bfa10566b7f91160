//! Placement: which instance types, capacity types and how many nodes serve a Plan's deployments,
//! following Karpenter v1's scheduling semantics.
//!
//! - NodePools are tried by descending weight (then name); a pool is a candidate for a pod when the pod
//!   tolerates the pool's taints and its node selector matches the pool's labels and requirements.
//! - Pods first fill free room on nodes already launched in the pool; then a node is launched: among the
//!   instance types the pool's requirements allow that fit the pod and keep the pool within its limits,
//!   the capacity type is chosen reserved > spot > on-demand, as many pending pods as the largest type
//!   holds are packed, and the cheapest type that holds them is launched (Karpenter's bin-packing).
//! - Reserved capacity (the node class's capacity reservations) is used before new launches, while the
//!   reservation has instances left; its fixed cost is reported apart from the marginal cost.
//! - Warm capacity (`warm.rs`): static NodePools' nodes exist first and hold pods first; a fleet's
//!   warm capacity takes room after its replicas, so it counts in nodes and cost.

mod quantity;
pub mod sizing;
mod warm;

pub use quantity::parse_quantity;
pub use sizing::{BandValue, LatencyBand, MemoryShortfall, PodRequests};

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{self, billing, CapacityType, InstanceType};
use crate::plan::{is_neuron_engine, Deployment, Fleet, NodePool, Plan};

/// Most pods one plan places (beyond, pods are reported unplaced).
pub const MAX_PODS: u32 = 100_000;

/// What a Plan costs and needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub summary: Summary,
    pub deployments: Vec<DeploymentOutcome>,
    pub pools: Vec<PoolOutcome>,
    /// Pods that could not be placed, with the reason.
    pub unplaced: Vec<Unplaced>,
    /// When capacity reservations end (`endTime`): where the pods go once they have, and what that
    /// costs. Absent when no reservation ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_reservations_end: Option<Box<AfterReservationsEnd>>,
    /// The prices the costs were computed with (the plan's overlay, the built-in snapshot).
    pub prices: crate::catalog::PricesUsed,
}

/// The placement once the reservations that end have ended: a Capacity Block's nodes are drained
/// (40 minutes before its end) and its pods go to the pool's other capacity types or the next pool by
/// weight; an ODCR's instances run on as on-demand ones, and new nodes launch as shown here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AfterReservationsEnd {
    /// `id` at `endTime`, earliest first.
    pub reservations: Vec<String>,
    pub summary: Summary,
    pub pools: Vec<PoolOutcome>,
    pub unplaced: Vec<Unplaced>,
    /// Every deployment still within its SLO bands and placed.
    pub meets_slos: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Accelerator devices requested by the placed pods.
    pub devices: u32,
    pub nodes: u32,
    /// What the hour is billed: reserved fixed cost plus marginal cost at list, less the list value of
    /// the usage Savings Plans and Reserved Instances cover, plus their fees.
    pub cost_usd_per_hour: f64,
    /// Capacity reservations in the plan, paid whether used or not (at the on-demand rate).
    pub reserved_usd_per_hour: f64,
    /// Spot and on-demand nodes launched.
    pub marginal_usd_per_hour: f64,
    /// Cost per million tokens (input + output) at the baseline request rate; `None` at rate 0.
    pub usd_per_million_tokens: Option<f64>,
    pub unplaced_pods: u32,
    /// Accelerator devices held by warm capacity (CapacityBuffers' virtual pods and placeholder pods);
    /// not in `devices`, in the pools' `devices_used`.
    #[serde(skip_serializing_if = "is_zero")]
    pub warm_devices: u32,
    /// How the plan's Savings Plans and Reserved Instances (`spec.commitments`) bill this hour; absent
    /// without commitments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitments: Option<CommitmentsSummary>,
}

/// Savings Plans and Reserved Instances over an hour of usage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentsSummary {
    /// Paid every hour, used or not.
    pub fees_usd_per_hour: f64,
    /// The on-demand value of the usage they cover.
    pub covered_on_demand_usd_per_hour: f64,
    /// Fees that cover nothing this hour.
    pub unused_usd_per_hour: f64,
    /// List cost less billed cost (negative when they cost more than they cover).
    pub savings_usd_per_hour: f64,
    pub items: Vec<CommitmentUse>,
}

/// One commitment's hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentUse {
    pub name: String,
    pub kind: crate::plan::CommitmentKind,
    pub fee_usd_per_hour: f64,
    /// The part of the fee that covered usage.
    pub used_usd_per_hour: f64,
    /// Instance types it has a committed rate for (a Savings Plan: those of the overlay's rates).
    pub instance_types: usize,
}

/// The summary of a bill, for a plan with commitments (`rates`: `plan.commitment_rates()`).
fn commitments_summary(plan: &Plan, rates: &[billing::Commitment], bill: &billing::Bill) -> Option<CommitmentsSummary> {
    if plan.spec.commitments.is_empty() {
        return None;
    }
    Some(CommitmentsSummary {
        fees_usd_per_hour: round_cents(bill.fees_usd_per_hour),
        covered_on_demand_usd_per_hour: round_cents(bill.covered_list_usd_per_hour),
        unused_usd_per_hour: round_cents(bill.unused_usd_per_hour),
        savings_usd_per_hour: round_cents(bill.savings_usd_per_hour()),
        items: plan
            .spec
            .commitments
            .iter()
            .zip(rates)
            .zip(&bill.used_usd_per_hour)
            .map(|((c, r), used)| CommitmentUse {
                name: c.name.clone(),
                kind: c.kind,
                fee_usd_per_hour: round_cents(r.fee_usd_per_hour),
                used_usd_per_hour: round_cents(*used),
                instance_types: r.rates.len(),
            })
            .collect(),
    })
}

/// One usage line of placement's bill: an instance type and how it runs.
#[derive(Debug, Clone, PartialEq)]
struct UsageKey {
    instance_type: String,
    capacity: CapacityType,
    /// Capacity Blocks (not covered by commitments) apart from ODCRs.
    capacity_block: bool,
}

/// The hour's bill for the placement: the reservations (ODCR instances are on-demand usage whether
/// used or not; Capacity Blocks are not eligible) and the spot and on-demand nodes launched.
fn bill_hour(plan: &Plan, rates: &[billing::Commitment], state: &State) -> (billing::Bill, Vec<(UsageKey, f64, f64)>) {
    let mut lines: Vec<(UsageKey, f64, f64)> = Vec::new();
    let mut add = |key: UsageKey, count: f64, each: f64| match lines.iter_mut().find(|(k, ..)| *k == key) {
        Some(line) => line.1 += count,
        None => lines.push((key, count, each)),
    };
    for r in plan.spec.node_classes.iter().flat_map(|c| &c.capacity_reservations) {
        let each = plan.price(&r.instance_type, CapacityType::OnDemand).map_or(0.0, |p| p.usd_per_hour);
        let key = UsageKey {
            instance_type: r.instance_type.clone(),
            capacity: CapacityType::Reserved,
            capacity_block: r.is_capacity_block(),
        };
        add(key, f64::from(r.count), each);
    }
    for n in state.nodes.iter().filter(|n| n.capacity != CapacityType::Reserved) {
        let key = UsageKey { instance_type: n.instance.name.clone(), capacity: n.capacity, capacity_block: false };
        add(key, 1.0, n.usd_per_hour);
    }
    let usage: Vec<billing::Usage> = lines
        .iter()
        .map(|(k, count, each)| billing::Usage {
            instance_type: &k.instance_type,
            count: *count,
            usd_per_hour_each: *each,
            eligible: k.capacity == CapacityType::OnDemand
                || (k.capacity == CapacityType::Reserved && !k.capacity_block),
        })
        .collect();
    let bill = billing::bill(rates, &usage);
    (bill, lines)
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_zero_f64(n: &f64) -> bool {
    *n == 0.0
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentOutcome {
    /// Kubernetes Deployment name (`llama-70b`, or `llama-70b-prefill` for a disaggregated stage).
    pub name: String,
    /// The plan deployment this fleet belongs to.
    pub deployment: String,
    /// `server`, `prefill` or `decode`.
    pub role: String,
    pub replicas: u32,
    pub replicas_max: u32,
    pub devices_per_replica: u32,
    pub devices: u32,
    /// First pool used (the one most replicas landed on when several were used).
    pub node_pool: Option<String>,
    pub node_pools: Vec<String>,
    /// Replicas the performance model says serve the peak rate within the SLOs (when it can tell).
    pub replicas_for_peak: Option<u32>,
    /// Latency estimates at the baseline rate against each SLO.
    pub latency: Vec<LatencyBand>,
    /// The replica does not fit the memory of the instance type it landed on: needed against
    /// available GiB per device and the cheapest ways out. Absent when it fits or is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_shortfall: Option<Box<MemoryShortfall>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolOutcome {
    pub name: String,
    pub weight: Option<u32>,
    pub nodes: Vec<NodeGroup>,
    pub devices_used: u32,
    pub devices_free: u32,
    pub cost_usd_per_hour: f64,
    /// Per limited resource: the limit, what the launched nodes use of it and what is left.
    pub headroom: Vec<Headroom>,
}

/// Nodes of one instance type and capacity type in a pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeGroup {
    pub instance_type: String,
    pub capacity_type: CapacityType,
    pub count: u32,
    /// Price of one node-hour (reserved nodes: the reservation's on-demand rate).
    pub usd_per_hour_each: f64,
    /// What one more node-hour costs (0 for reserved capacity, which is paid anyway).
    pub marginal_usd_per_hour_each: f64,
    pub pods: u32,
    /// How many of the group's nodes Savings Plans and Reserved Instances cover (billed at their
    /// committed rate; fractional when a Savings Plan's commitment runs out part-way).
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub committed: f64,
    /// On a MIG-partitioned pool: the MIG slices one node offers, and the price of one slice-hour
    /// (the node's price shared by its slices), the cost of a replica on a slice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mig_slices_each: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd_per_slice_hour: Option<f64>,
    /// Per node of the group, the pods on it in the order they were placed (for the topology view;
    /// not part of the JSON contract).
    #[serde(skip)]
    pub pods_by_node: Vec<Vec<PodOnNode>>,
}

/// One pod on a node: its fleet (an index into [`Outcome::deployments`]) and whether it is warm
/// capacity (a CapacityBuffer's virtual pod or a placeholder pod) rather than a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodOnNode {
    pub fleet: u32,
    pub warm: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headroom {
    pub resource: String,
    pub limit: f64,
    pub used: f64,
    pub free: f64,
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
        (pool.instance_families.is_empty() || pool.instance_families.contains(&t.family))
            && (pool.instance_types.is_empty() || pool.instance_types.contains(&t.name))
    })
}

/// Why a pool cannot take a fleet's pods, or `None` when it can (taints, selectors).
pub fn pool_rejects(pool: &NodePool, deployment: &Deployment, fleet: &Fleet) -> Option<String> {
    for taint in &pool.taints {
        if taint.effect != "PreferNoSchedule" && !deployment.tolerations.iter().any(|t| t.tolerates(taint)) {
            return Some(format!(
                "NodePool {} taints {}{}:{} and {} does not tolerate it",
                pool.name,
                taint.key,
                taint.value.as_deref().map(|v| format!("={v}")).unwrap_or_default(),
                taint.effect,
                fleet.name
            ));
        }
    }
    if let Some(reason) = mig_mismatch(pool, deployment, fleet) {
        return Some(reason);
    }
    if let Some(pinned) = &fleet.node_pool {
        if *pinned != pool.name {
            return Some(format!("{} is pinned to NodePool {pinned}", fleet.name));
        }
    }
    for (key, value) in &deployment.node_selector {
        let ok = match key.as_str() {
            "karpenter.sh/nodepool" => *value == pool.name,
            "karpenter.sh/capacity-type" => pool.capacity_types.iter().any(|c| c.as_str() == value),
            "node.kubernetes.io/instance-type" => pool_instance_types(pool).any(|t| t.name == *value),
            "karpenter.k8s.aws/instance-family" => pool_instance_types(pool).any(|t| t.family == *value),
            _ => pool.labels.get(key) == Some(value),
        };
        if !ok {
            return Some(format!("NodePool {} does not match node selector {key}={value}", pool.name));
        }
    }
    None
}

/// Why a pool's MIG partitioning does not serve a fleet's pods: a MIG pool offers only its profile's
/// slices (no whole GPUs), and a deployment on slices needs a pool partitioned into its profile.
fn mig_mismatch(pool: &NodePool, deployment: &Deployment, fleet: &Fleet) -> Option<String> {
    if is_neuron_engine(&deployment.engine) || pool.mig_profile == deployment.mig_profile {
        return None;
    }
    Some(match (&pool.mig_profile, &deployment.mig_profile) {
        (Some(p), None) => {
            format!(
                "NodePool {} partitions its GPUs into MIG {p} slices and {} requests whole GPUs",
                pool.name, fleet.name
            )
        }
        (None, Some(d)) => format!("NodePool {} does not partition its GPUs into MIG {d} slices", pool.name),
        (Some(p), Some(d)) => {
            format!("NodePool {} partitions its GPUs into MIG {p} slices and {} requests {d}", pool.name, fleet.name)
        }
        (None, None) => return None,
    })
}

/// What a pod's node selector asks of a node beyond the pool (Karpenter's well-known labels).
#[derive(Debug, Clone, Default)]
struct Selector {
    capacity_type: Option<String>,
    instance_type: Option<String>,
    family: Option<String>,
}

impl Selector {
    fn of(deployment: &Deployment) -> Selector {
        let get = |key: &str| deployment.node_selector.get(key).cloned();
        Selector {
            capacity_type: get("karpenter.sh/capacity-type"),
            instance_type: get("node.kubernetes.io/instance-type"),
            family: get("karpenter.k8s.aws/instance-family"),
        }
    }

    fn allows_type(&self, t: &InstanceType) -> bool {
        self.instance_type.as_ref().is_none_or(|n| *n == t.name) && self.family.as_ref().is_none_or(|f| *f == t.family)
    }

    fn allows_capacity(&self, c: CapacityType) -> bool {
        self.capacity_type.as_ref().is_none_or(|v| v == c.as_str())
    }
}

/// One launched node.
struct Node {
    pool: usize,
    instance: &'static InstanceType,
    capacity: CapacityType,
    usd_per_hour: f64,
    free_devices: u32,
    free_cpu_millis: u64,
    free_memory_mib: u64,
    free_pods: u32,
    pods: u32,
    held: Vec<PodOnNode>,
    /// Devices the node offers: GPUs or Neuron devices, or MIG slices on a partitioned pool's node.
    devices: u32,
}

impl Node {
    fn fits(&self, pod: &PodRequests) -> bool {
        let kind_matches = if pod.neuron { self.instance.is_neuron() } else { self.instance.is_nvidia() };
        kind_matches
            && self.free_devices >= pod.devices
            && self.free_cpu_millis >= pod.cpu_millis
            && self.free_memory_mib >= pod.memory_mib
            && self.free_pods >= 1
    }

    fn place(&mut self, pod: &PodRequests, held: PodOnNode) {
        self.free_devices -= pod.devices;
        self.free_cpu_millis -= pod.cpu_millis;
        self.free_memory_mib -= pod.memory_mib;
        self.free_pods -= 1;
        self.pods += 1;
        self.held.push(held);
    }
}

/// What a node of an instance type counts against a pool's limits, per resource name.
fn node_capacity(t: &InstanceType, resource: &str) -> f64 {
    match resource {
        "cpu" => t.vcpu as f64,
        "memory" => t.memory_mib as f64 * 1024.0 * 1024.0,
        "nvidia.com/gpu" if t.is_nvidia() => t.accelerator_count as f64,
        "aws.amazon.com/neuron" if t.is_neuron() => t.accelerator_count as f64,
        "aws.amazon.com/neuroncore" => t.neuron_core_count as f64,
        mig if mig.starts_with("nvidia.com/mig-") => {
            crate::plan::mig::slices_per_node(t, &mig["nvidia.com/mig-".len()..]) as f64
        }
        "nodes" => 1.0,
        _ => 0.0,
    }
}

struct State<'a> {
    plan: &'a Plan,
    pools: Vec<&'a NodePool>,
    nodes: Vec<Node>,
    /// Instances left per reservation id.
    reservations_left: BTreeMap<String, u32>,
    /// Usage per pool and limited resource.
    usage: Vec<BTreeMap<String, f64>>,
    /// Devices placed for warm capacity.
    warm_devices: u32,
}

impl State<'_> {
    fn within_limits(&self, pool: usize, t: &InstanceType) -> bool {
        self.pools[pool].limits.iter().all(|(resource, limit)| match parse_quantity(limit) {
            Some(limit) => {
                let used = self.usage[pool].get(resource).copied().unwrap_or(0.0);
                used + node_capacity(t, resource) <= limit + 1e-9
            }
            None => true,
        })
    }

    /// The node Karpenter would launch in a pool for `pending` pods: (type, capacity, price, pods).
    fn choose_launch(
        &self,
        pool_index: usize,
        pod: &PodRequests,
        selector: &Selector,
        pending: u32,
    ) -> Option<(&'static InstanceType, CapacityType, f64, u32)> {
        let pool = self.pools[pool_index];
        // A static NodePool launches nothing for pending pods.
        if pool.replicas.is_some() {
            return None;
        }
        let candidates: Vec<&'static InstanceType> = pool_instance_types(pool)
            .filter(|t| pod.pods_per_node(t) > 0 && selector.allows_type(t) && self.within_limits(pool_index, t))
            .collect();
        let mut preferences: Vec<CapacityType> =
            pool.capacity_types.iter().copied().filter(|c| selector.allows_capacity(*c)).collect();
        preferences.sort();
        preferences.dedup();
        for capacity in preferences {
            let options: Vec<(&'static InstanceType, f64)> = candidates
                .iter()
                .filter_map(|t| {
                    if capacity == CapacityType::Reserved {
                        let left = self.reserved_left(pool, &t.name);
                        (left > 0).then(|| {
                            (*t, self.plan.price(&t.name, CapacityType::OnDemand).map_or(0.0, |p| p.usd_per_hour))
                        })
                    } else {
                        self.plan.price(&t.name, capacity).map(|p| (*t, p.usd_per_hour))
                    }
                })
                .collect();
            let Some(most) = options.iter().map(|(t, _)| pod.pods_per_node(t)).max() else { continue };
            let packed = pending.min(most).max(1);
            let best = options
                .iter()
                .filter(|(t, _)| pod.pods_per_node(t) >= packed)
                .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.name.cmp(&b.0.name)));
            if let Some((t, usd)) = best {
                return Some((t, capacity, *usd, packed));
            }
        }
        None
    }

    fn reserved_left(&self, pool: &NodePool, instance_type: &str) -> u32 {
        self.plan
            .node_class(&pool.node_class)
            .map(|c| {
                c.capacity_reservations
                    .iter()
                    .filter(|r| r.instance_type == instance_type)
                    .map(|r| self.reservations_left.get(&r.id).copied().unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0)
    }

    fn take_reservation(&mut self, pool: usize, instance_type: &str) {
        let Some(class) = self.plan.node_class(&self.pools[pool].node_class) else { return };
        for r in class.capacity_reservations.iter().filter(|r| r.instance_type == instance_type) {
            if let Some(left) = self.reservations_left.get_mut(&r.id) {
                if *left > 0 {
                    *left -= 1;
                    return;
                }
            }
        }
    }

    fn launch(&mut self, pool: usize, t: &'static InstanceType, capacity: CapacityType, usd_per_hour: f64) -> usize {
        if capacity == CapacityType::Reserved {
            self.take_reservation(pool, &t.name);
        }
        for resource in self.pools[pool].limits.keys() {
            *self.usage[pool].entry(resource.clone()).or_insert(0.0) += node_capacity(t, resource);
        }
        let (cpu, memory) = sizing::allocatable(t);
        let devices = match &self.pools[pool].mig_profile {
            Some(profile) => crate::plan::mig::slices_per_node(t, profile),
            None => t.accelerator_count,
        };
        self.nodes.push(Node {
            pool,
            instance: t,
            capacity,
            usd_per_hour,
            free_devices: devices,
            free_cpu_millis: cpu,
            free_memory_mib: memory,
            free_pods: t.max_pods.saturating_sub(4),
            pods: 0,
            held: Vec::new(),
            devices,
        });
        self.nodes.len() - 1
    }
}

/// The static verdict: every pod placed and no latency band missing its SLO (a band without an
/// estimate, for a model the performance model does not cover, claims nothing either way).
pub fn meets_slos(outcome: &Outcome) -> bool {
    outcome.unplaced.is_empty()
        && outcome.deployments.iter().all(|d| d.latency.iter().all(|b| b.meets_slo != Some(false)))
}

/// Places every deployment of a plan.
pub fn evaluate(plan: &Plan) -> Outcome {
    let pools = plan.pools_by_priority();
    let mut state = State {
        plan,
        usage: vec![BTreeMap::new(); pools.len()],
        pools,
        nodes: Vec::new(),
        warm_devices: 0,
        reservations_left: plan
            .spec
            .node_classes
            .iter()
            .flat_map(|c| &c.capacity_reservations)
            .map(|r| (r.id.clone(), r.count))
            .collect(),
    };
    state.launch_static_pools();
    let mut deployments = Vec::new();
    let mut unplaced = Vec::new();
    let mut pods_placed: u32 = 0;
    for deployment in &plan.spec.deployments {
        let fleets = deployment.fleets();
        let mut stages: Vec<(usize, Option<&'static InstanceType>)> = Vec::new();
        for fleet in &fleets {
            let fleet = fleet.clone();
            let pod = PodRequests::for_fleet(deployment, &fleet);
            let selector = Selector::of(deployment);
            // Bounded, so that hostile or unvalidated plans (imports) cannot make placement run away.
            let budget = MAX_PODS.saturating_sub(pods_placed);
            let wanted = sizing::replicas_to_place(plan, deployment, &fleet).min(crate::plan::parse::MAX_REPLICAS);
            let mut remaining = wanted.min(budget);
            let mut per_pool: BTreeMap<usize, u32> = BTreeMap::new();
            let mut reasons: Vec<String> = Vec::new();
            let mut first_instance: Option<&'static InstanceType> = None;
            let held = PodOnNode { fleet: deployments.len() as u32, warm: false };
            remaining = state.fill_static(
                deployment,
                &fleet,
                (&pod, held),
                &selector,
                remaining,
                &mut per_pool,
                &mut first_instance,
            );
            for pool_index in 0..state.pools.len() {
                if remaining == 0 {
                    break;
                }
                let pool = state.pools[pool_index];
                if let Some(reason) = pool_rejects(pool, deployment, &fleet) {
                    reasons.push(reason);
                    continue;
                }
                let matching = |n: &Node| {
                    n.pool == pool_index && selector.allows_type(n.instance) && selector.allows_capacity(n.capacity)
                };
                for node in state.nodes.iter_mut().filter(|n| matching(n)) {
                    while remaining > 0 && node.fits(&pod) {
                        node.place(&pod, held);
                        remaining -= 1;
                        *per_pool.entry(pool_index).or_insert(0) += 1;
                        first_instance.get_or_insert(node.instance);
                    }
                }
                while remaining > 0 {
                    let Some((t, capacity, usd, packed)) = state.choose_launch(pool_index, &pod, &selector, remaining)
                    else {
                        reasons.push(no_fit_reason(&state, pool_index, &pod));
                        break;
                    };
                    let node = state.launch(pool_index, t, capacity, usd);
                    for _ in 0..packed.min(remaining) {
                        if !state.nodes[node].fits(&pod) {
                            break;
                        }
                        state.nodes[node].place(&pod, held);
                        remaining -= 1;
                        *per_pool.entry(pool_index).or_insert(0) += 1;
                    }
                    first_instance.get_or_insert(t);
                }
            }
            if wanted > budget {
                reasons.push(format!("placement stops at {MAX_PODS} pods per plan"));
                remaining += wanted - budget;
            }
            pods_placed += wanted - remaining;
            if remaining > 0 {
                if state.pools.is_empty() {
                    reasons.push("the plan has no NodePools".to_string());
                }
                unplaced.push(Unplaced {
                    deployment: fleet.name.clone(),
                    replicas: remaining,
                    reason: reasons.join("; "),
                });
            }
            let placed = wanted - remaining;
            let main_pool = per_pool.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))).map(|(i, _)| *i);
            deployments.push(DeploymentOutcome {
                name: fleet.name.clone(),
                deployment: deployment.name.clone(),
                role: fleet.role.clone(),
                replicas: placed,
                replicas_max: fleet.replicas.max,
                devices_per_replica: pod.devices,
                devices: placed * pod.devices,
                node_pool: main_pool.map(|i| state.pools[i].name.clone()),
                node_pools: per_pool.keys().map(|i| state.pools[*i].name.clone()).collect(),
                // Stages of a disaggregated deployment are sized together below.
                replicas_for_peak: (fleet.role == "server")
                    .then(|| sizing::replicas_for_peak(plan, deployment, &fleet, first_instance))
                    .flatten(),
                latency: if fleet.role == "server" {
                    sizing::latency_bands(plan, deployment, &fleet, first_instance, placed)
                } else {
                    Vec::new()
                },
                memory_shortfall: first_instance
                    .and_then(|t| sizing::memory_shortfall(plan, deployment, &fleet, t))
                    .map(Box::new),
            });
            stages.push((deployments.len() - 1, first_instance));
            let warm = PodOnNode { fleet: deployments.len() as u32 - 1, warm: true };
            state.place_warm(deployment, &fleet, (&pod, warm), &selector);
        }
        // Disaggregated stages are sized with the stage model, each against the SLOs it governs.
        if let ([pf, df], [(pi, pt), (di, dt)]) = (fleets.as_slice(), stages.as_slice()) {
            if pf.role == "prefill" && df.role == "decode" {
                let placed =
                    |f, t, i: usize| sizing::PlacedStage { fleet: f, instance: t, replicas: deployments[i].replicas };
                let (p, d) = sizing::stage_sizing(plan, deployment, &placed(pf, *pt, *pi), &placed(df, *dt, *di));
                for (i, s) in [(*pi, p), (*di, d)] {
                    deployments[i].replicas_for_peak = s.replicas_for_peak;
                    deployments[i].latency = s.latency;
                }
            }
        }
    }
    // Resolved once: the bill and its summary both read them.
    let rates = plan.commitment_rates();
    let (bill, usage_keys) = bill_hour(plan, &rates, &state);
    let pool_outcomes: Vec<PoolOutcome> =
        (0..state.pools.len()).map(|i| pool_outcome(&state, i, &bill, &usage_keys)).collect();
    let reserved_usd_per_hour: f64 = plan
        .spec
        .node_classes
        .iter()
        .flat_map(|c| &c.capacity_reservations)
        .map(|r| plan.price(&r.instance_type, CapacityType::OnDemand).map_or(0.0, |p| p.usd_per_hour * r.count as f64))
        .sum();
    let marginal_usd_per_hour: f64 =
        state.nodes.iter().filter(|n| n.capacity != CapacityType::Reserved).map(|n| n.usd_per_hour).sum();
    // Without commitments the bill is the list: reserved plus marginal.
    let cost = bill.usd_per_hour;
    let w = &plan.spec.workload;
    let tokens_per_hour =
        w.requests_per_second.baseline * (w.input_tokens.mean + w.output_tokens.mean).max(0.0) * 3600.0;
    let summary = Summary {
        devices: deployments.iter().map(|d| d.devices).sum(),
        nodes: state.nodes.len() as u32,
        cost_usd_per_hour: round_cents(cost),
        reserved_usd_per_hour: round_cents(reserved_usd_per_hour),
        marginal_usd_per_hour: round_cents(marginal_usd_per_hour),
        usd_per_million_tokens: (tokens_per_hour > 0.0 && tokens_per_hour.is_finite())
            .then(|| round_to(cost / (tokens_per_hour / 1e6), 4)),
        unplaced_pods: unplaced.iter().map(|u| u.replicas).sum(),
        warm_devices: state.warm_devices,
        commitments: commitments_summary(plan, &rates, &bill),
    };
    let after_reservations_end = after_reservations_end(plan);
    Outcome { summary, deployments, pools: pool_outcomes, unplaced, after_reservations_end, prices: plan.prices_used() }
}

fn after_reservations_end(plan: &Plan) -> Option<Box<AfterReservationsEnd>> {
    let mut ending: Vec<(i64, String)> = plan
        .spec
        .node_classes
        .iter()
        .flat_map(|c| &c.capacity_reservations)
        .filter_map(|r| match r.end_epoch_s() {
            Some(Ok(end)) => Some((end, format!("{} at {}", r.id, r.end_time.as_deref().unwrap_or_default()))),
            _ => None,
        })
        .collect();
    if ending.is_empty() {
        return None;
    }
    ending.sort();
    let mut after = plan.clone();
    for class in &mut after.spec.node_classes {
        class.capacity_reservations.retain(|r| r.end_time.is_none());
    }
    let outcome = evaluate(&after);
    Some(Box::new(AfterReservationsEnd {
        reservations: ending.into_iter().map(|(_, r)| r).collect(),
        meets_slos: meets_slos(&outcome),
        summary: outcome.summary,
        pools: outcome.pools,
        unplaced: outcome.unplaced,
    }))
}

fn no_fit_reason(state: &State, pool_index: usize, pod: &PodRequests) -> String {
    let pool = state.pools[pool_index];
    let fitting: Vec<&InstanceType> = pool_instance_types(pool).filter(|t| pod.pods_per_node(t) > 0).collect();
    if fitting.is_empty() {
        return format!(
            "no instance type in NodePool {} holds a pod with {} {} ({} mCPU, {} MiB)",
            pool.name,
            pod.devices,
            pod.device_resource(),
            pod.cpu_millis,
            pod.memory_mib
        );
    }
    if !fitting.iter().any(|t| state.within_limits(pool_index, t)) {
        return format!("NodePool {} reached its limits", pool.name);
    }
    format!(
        "NodePool {} has no priced offering for its capacity types ({}) in {}",
        pool.name,
        pool.capacity_types.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
        state.plan.spec.region
    )
}

fn pool_outcome(state: &State, i: usize, bill: &billing::Bill, lines: &[(UsageKey, f64, f64)]) -> PoolOutcome {
    let pool = state.pools[i];
    let mut groups: Vec<NodeGroup> = Vec::new();
    let (mut used, mut free, mut cost) = (0u32, 0u32, 0.0f64);
    // A node's share of its usage line's bill, and of the line's instances commitments cover.
    let share = |node: &Node| {
        let line =
            lines.iter().position(|(k, ..)| k.instance_type == node.instance.name && k.capacity == node.capacity);
        match line {
            Some(l) if lines[l].1 > 0.0 => {
                let b = &bill.lines[l];
                (b.usd_per_hour / lines[l].1, b.covered / lines[l].1)
            }
            _ => (node.usd_per_hour, 0.0),
        }
    };
    for node in state.nodes.iter().filter(|n| n.pool == i) {
        used += node.devices - node.free_devices;
        free += node.free_devices;
        let (billed, covered) = share(node);
        cost += billed;
        match groups.iter_mut().find(|g| g.instance_type == node.instance.name && g.capacity_type == node.capacity) {
            Some(g) => {
                g.count += 1;
                g.pods += node.pods;
                g.committed += covered;
                g.pods_by_node.push(node.held.clone());
            }
            None => groups.push(NodeGroup {
                instance_type: node.instance.name.clone(),
                capacity_type: node.capacity,
                count: 1,
                usd_per_hour_each: node.usd_per_hour,
                marginal_usd_per_hour_each: if node.capacity == CapacityType::Reserved {
                    0.0
                } else {
                    node.usd_per_hour
                },
                pods: node.pods,
                committed: covered,
                mig_slices_each: pool.mig_profile.as_ref().map(|_| node.devices),
                usd_per_slice_hour: pool
                    .mig_profile
                    .as_ref()
                    .map(|_| round_to(node.usd_per_hour / node.devices.max(1) as f64, 4)),
                pods_by_node: vec![node.held.clone()],
            }),
        }
    }
    for g in &mut groups {
        g.committed = round_to(g.committed, 3);
    }
    groups.sort_by(|a, b| a.capacity_type.cmp(&b.capacity_type).then_with(|| a.instance_type.cmp(&b.instance_type)));
    let headroom = pool
        .limits
        .iter()
        .filter_map(|(resource, limit)| {
            let limit = parse_quantity(limit)?;
            let used = state.usage[i].get(resource).copied().unwrap_or(0.0);
            Some(Headroom { resource: resource.clone(), limit, used, free: (limit - used).max(0.0) })
        })
        .collect();
    PoolOutcome {
        name: pool.name.clone(),
        weight: pool.weight,
        nodes: groups,
        devices_used: used,
        devices_free: free,
        cost_usd_per_hour: round_cents(cost),
        headroom,
    }
}

/// Money is reported to the cent (sub-cent digits of a sum of float prices are noise).
fn round_cents(usd: f64) -> f64 {
    round_to(usd, 2)
}

fn round_to(value: f64, digits: i32) -> f64 {
    let factor = 10f64.powi(digits);
    // Adding 0.0 turns a negative zero (the sum of nothing) into 0.
    (value * factor).round() / factor + 0.0
}

#[cfg(test)]
mod tests;
