//! Edits a person makes to a Plan in the app, as plain methods: reorder NodePools (weights follow the
//! order, highest first), move an instance family between pools, pin a deployment or one of its
//! prefill/decode stages to a pool, size a deployment or a stage (tensor parallelism, replicas), add
//! a capacity reservation, and apply an import. The app calls these and records one undoable action
//! per call; the rules live here so they are tested natively.

use std::collections::BTreeMap;
use std::fmt;

use crate::catalog::CapacityType;
use crate::place::{pool_instance_types, PodRequests};
use crate::plan::parse::{MAX_REPLICAS, MAX_TENSOR_PARALLEL};
use crate::plan::{
    CapacityReservation, Deployment, Fleet, Mode, NodeClass, NodePool, Plan, ReplicaBounds, Stage, StageKind, Taint,
    Toleration,
};

/// The well-known label Karpenter puts on every node with the name of its NodePool.
pub const NODE_POOL_SELECTOR: &str = "karpenter.sh/nodepool";

/// Why an edit could not be made; the plan is left unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct EditError(pub String);

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EditError {}

fn no_pool(name: &str) -> EditError {
    EditError(format!("there is no NodePool named {name:?}"))
}

fn no_deployment(name: &str) -> EditError {
    EditError(format!("there is no deployment named {name:?}"))
}

/// Adds a toleration for each of a pool's taints the deployment does not tolerate yet.
fn tolerate(d: &mut Deployment, taints: &[Taint]) {
    for taint in taints {
        if !d.tolerations.iter().any(|t| t.tolerates(taint)) {
            d.tolerations.push(Toleration {
                key: taint.key.clone(),
                operator: Some("Exists".to_string()),
                value: None,
                effect: Some(taint.effect.clone()),
            });
        }
    }
}

/// Checks replica bounds as a person types them; `what` names the fleet (`decode replicas`).
fn check_bounds(what: &str, r: ReplicaBounds) -> Result<(), EditError> {
    if r.max == 0 {
        Err(EditError(format!("{what}: max must be at least 1")))
    } else if r.max > MAX_REPLICAS {
        Err(EditError(format!("{what}: max {} is more than {MAX_REPLICAS}", r.max)))
    } else if r.min > r.max {
        Err(EditError(format!("{what}: min {} is above max {} (raise max first)", r.min, r.max)))
    } else {
        Ok(())
    }
}

fn check_tensor_parallel(what: &str, tp: u32) -> Result<(), EditError> {
    if tp == 0 || tp > MAX_TENSOR_PARALLEL {
        return Err(EditError(format!("{what}: tensor parallel must be between 1 and {MAX_TENSOR_PARALLEL} devices")));
    }
    Ok(())
}

/// How an imported plan joins the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Imported NodePools (and the node classes they use) replace those of the same name; others are added.
    MergePools,
    /// The imported plan replaces the current one.
    ReplacePlan,
}

/// The weights of `count` pools in priority order: distinct, highest first, within Karpenter's 1–100,
/// spaced by 10 while they fit so a person can slot a pool between two by hand.
pub fn weights_highest_first(count: usize) -> Vec<u32> {
    let step = (100 / count.max(1)).clamp(1, 10) as u32;
    (0..count).map(|i| (step * (count - i) as u32).clamp(1, 100)).collect()
}

impl Plan {
    /// Names of the NodePools in priority order (what the board shows top to bottom).
    pub fn pool_names_by_priority(&self) -> Vec<String> {
        self.pools_by_priority().into_iter().map(|p| p.name.clone()).collect()
    }

    /// Moves a NodePool to `index` in priority order, then gives every pool a weight from its place
    /// (highest first) and stores the pools in that order, so the export follows the board.
    pub fn move_pool(&mut self, name: &str, index: usize) -> Result<(), EditError> {
        let mut order = self.pool_names_by_priority();
        let from = order.iter().position(|n| n == name).ok_or_else(|| no_pool(name))?;
        let moved = order.remove(from);
        order.insert(index.min(order.len()), moved);
        self.set_pool_order(&order);
        Ok(())
    }

    /// Stores the pools in the given order (names not present keep their relative order at the end)
    /// and reassigns weights highest first.
    pub fn set_pool_order(&mut self, order: &[String]) {
        let mut pools = std::mem::take(&mut self.spec.node_pools);
        let mut sorted = Vec::with_capacity(pools.len());
        for name in order {
            if let Some(i) = pools.iter().position(|p| &p.name == name) {
                sorted.push(pools.remove(i));
            }
        }
        sorted.extend(pools);
        let weights = weights_highest_first(sorted.len());
        for (pool, weight) in sorted.iter_mut().zip(weights) {
            pool.weight = Some(weight);
        }
        self.spec.node_pools = sorted;
    }

    /// Moves an instance family (`g5`) from one NodePool's requirements to another's.
    pub fn move_instance_family(&mut self, family: &str, from: &str, to: &str) -> Result<(), EditError> {
        if from == to {
            return Ok(());
        }
        let to_index = self.spec.node_pools.iter().position(|p| p.name == to).ok_or_else(|| no_pool(to))?;
        let source = self.spec.node_pools.iter_mut().find(|p| p.name == from).ok_or_else(|| no_pool(from))?;
        let at = source
            .instance_families
            .iter()
            .position(|f| f == family)
            .ok_or_else(|| EditError(format!("NodePool {from:?} has no instance family {family:?}")))?;
        source.instance_families.remove(at);
        let target = &mut self.spec.node_pools[to_index];
        if !target.instance_families.iter().any(|f| f == family) {
            target.instance_families.push(family.to_string());
        }
        Ok(())
    }

    /// Pins a deployment (all of its fleets) to a NodePool: the `karpenter.sh/nodepool` node selector
    /// for monolithic serving, each stage's pool when disaggregated, and tolerations for the pool's taints.
    /// Refused, as a stage's pin is, when the pool has no instance type that holds one of a fleet's
    /// replicas that fitted somewhere before.
    pub fn assign_deployment(&mut self, deployment: &str, pool: &str) -> Result<(), EditError> {
        let taints = self.node_pool(pool).ok_or_else(|| no_pool(pool))?.taints.clone();
        self.resize(deployment, |d| {
            let mut staged = false;
            for stage in [d.prefill.as_mut(), d.decode.as_mut()].into_iter().flatten() {
                stage.node_pool = Some(pool.to_string());
                staged = true;
            }
            if !staged || d.node_selector.contains_key(NODE_POOL_SELECTOR) {
                d.node_selector.insert(NODE_POOL_SELECTOR.to_string(), pool.to_string());
            }
            tolerate(d, &taints);
            Ok(())
        })
    }

    /// Pins one stage of a disaggregated deployment to a NodePool (`None` unpins it), tolerating the
    /// pool's taints. A deployment-wide pin that disagrees is split into stage pins: the other stage
    /// keeps the pool it had. Refused when the pool has no instance type that holds one of the
    /// stage's replicas.
    pub fn assign_stage(&mut self, deployment: &str, stage: StageKind, pool: Option<&str>) -> Result<(), EditError> {
        let taints = match pool {
            Some(name) => self.node_pool(name).ok_or_else(|| no_pool(name))?.taints.clone(),
            None => Vec::new(),
        };
        let mut d = self.deployment_named(deployment)?.clone();
        let wide = d.node_selector.get(NODE_POOL_SELECTOR).cloned();
        if wide.is_some() && wide.as_deref() != pool {
            d.node_selector.remove(NODE_POOL_SELECTOR);
            if let Some(other) = d.stage_mut(stage.other()) {
                other.node_pool = other.node_pool.take().or(wide);
            }
        }
        stage_of(&mut d, stage)?.node_pool = pool.map(str::to_string);
        if pool.is_some() {
            if let Some(why) = self.replica_misfit(&d, &fleet_of(&d, stage)) {
                return Err(EditError(why));
            }
        }
        tolerate(&mut d, &taints);
        *self.deployment_named_mut(deployment)? = d;
        Ok(())
    }

    /// Sets the replica bounds of a deployment (monolithic serving) or, with `stage`, of one stage of a
    /// disaggregated deployment. Refused when min is above max, or max is 0 or beyond the plan's bound.
    pub fn set_replicas(
        &mut self,
        deployment: &str,
        stage: Option<StageKind>,
        replicas: ReplicaBounds,
    ) -> Result<(), EditError> {
        let what = match stage {
            Some(s) => format!("{} replicas", s.as_str()),
            None => "replicas".to_string(),
        };
        check_bounds(&what, replicas)?;
        let d = self.deployment_named_mut(deployment)?;
        match stage {
            Some(s) => stage_of(d, s)?.replicas = replicas,
            None => d.replicas = replicas,
        }
        Ok(())
    }

    /// Sets one stage's replica bounds (see [`Plan::set_replicas`]).
    pub fn set_stage_replicas(
        &mut self,
        deployment: &str,
        stage: StageKind,
        replicas: ReplicaBounds,
    ) -> Result<(), EditError> {
        self.set_replicas(deployment, Some(stage), replicas)
    }

    /// Sets a deployment's devices per replica (which its stages inherit unless they set their own).
    /// Refused when a fleet that held on some instance type of its pools would no longer fit on any.
    pub fn set_tensor_parallel(&mut self, deployment: &str, tensor_parallel: u32) -> Result<(), EditError> {
        check_tensor_parallel("deployment", tensor_parallel)?;
        self.resize(deployment, |d| {
            d.tensor_parallel = tensor_parallel;
            Ok(())
        })
    }

    /// Sets one stage's devices per replica; `None` inherits the deployment's. Refused when the stage
    /// held on some instance type of its pools and would no longer fit on any.
    pub fn set_stage_tensor_parallel(
        &mut self,
        deployment: &str,
        stage: StageKind,
        tensor_parallel: Option<u32>,
    ) -> Result<(), EditError> {
        if let Some(tp) = tensor_parallel {
            check_tensor_parallel(stage.as_str(), tp)?;
        }
        self.resize(deployment, |d| {
            stage_of(d, stage)?.tensor_parallel = tensor_parallel;
            Ok(())
        })
    }

    /// Applies a size change to a copy of a deployment and keeps it unless a fleet that fitted an
    /// instance type of its pools before no longer fits any (an edit never makes placement impossible;
    /// it may leave an already impossible placement as it was, so the person can fix it step by step).
    fn resize(
        &mut self,
        deployment: &str,
        change: impl FnOnce(&mut Deployment) -> Result<(), EditError>,
    ) -> Result<(), EditError> {
        let before = self.deployment_named(deployment)?.clone();
        let mut after = before.clone();
        change(&mut after)?;
        for (old, new) in before.fleets().iter().zip(after.fleets().iter()) {
            if self.replica_misfit(&before, old).is_none() {
                if let Some(why) = self.replica_misfit(&after, new) {
                    return Err(EditError(why));
                }
            }
        }
        *self.deployment_named_mut(deployment)? = after;
        Ok(())
    }

    /// Why no instance type a fleet may use holds one of its replicas, if none does. A fleet may use
    /// the pool it is pinned to, else every pool; a plan without pools is not judged.
    fn replica_misfit(&self, d: &Deployment, fleet: &Fleet) -> Option<String> {
        let pinned = fleet.node_pool.clone().or_else(|| d.node_selector.get(NODE_POOL_SELECTOR).cloned());
        let pools: Vec<&NodePool> = match &pinned {
            Some(name) => self.node_pool(name).into_iter().collect(),
            None => self.spec.node_pools.iter().collect(),
        };
        if pools.is_empty() {
            return None;
        }
        let pod = PodRequests::for_fleet(d, fleet);
        let mut types = pools.iter().flat_map(|p| pool_instance_types(p));
        if types.any(|t| pod.pods_per_node(t) > 0) {
            return None;
        }
        let devices = if pod.neuron { "Neuron devices" } else { "GPUs" };
        let largest = pools
            .iter()
            .flat_map(|p| pool_instance_types(p))
            .filter(|t| if pod.neuron { t.is_neuron() } else { t.is_nvidia() })
            .max_by_key(|t| t.accelerator_count);
        let pools = match &pinned {
            Some(name) => format!("NodePool {name} allows"),
            None => "the NodePools allow".to_string(),
        };
        let offer = match largest {
            Some(t) => format!("the largest instance type {pools} ({}) has {}", t.name, t.accelerator_count),
            None => format!("{pools} no instance type with {devices}"),
        };
        Some(format!(
            "a replica of {} needs {} {devices}, but {offer}: lower tensor parallel, or pin it to a NodePool with larger instance types",
            fleet.name, pod.devices
        ))
    }

    fn deployment_named(&self, name: &str) -> Result<&Deployment, EditError> {
        self.spec.deployments.iter().find(|d| d.name == name).ok_or_else(|| no_deployment(name))
    }

    fn deployment_named_mut(&mut self, name: &str) -> Result<&mut Deployment, EditError> {
        self.spec.deployments.iter_mut().find(|d| d.name == name).ok_or_else(|| no_deployment(name))
    }

    /// Switches a deployment between monolithic serving and prefill/decode fleets. Going
    /// disaggregated starts both stages with the deployment's replicas and tensor parallelism, and
    /// moves a deployment-wide pin onto both stages; going monolithic drops the stages and, when both
    /// were pinned to the same pool, pins the deployment there.
    pub fn set_mode(&mut self, deployment: &str, mode: Mode) -> Result<(), EditError> {
        let d = self.deployment_named_mut(deployment)?;
        if d.mode == mode {
            return Ok(());
        }
        d.mode = mode;
        match mode {
            Mode::Monolithic => {
                let pools = (d.prefill.take().and_then(|s| s.node_pool), d.decode.take().and_then(|s| s.node_pool));
                if let (Some(prefill), Some(decode)) = pools {
                    if prefill == decode {
                        d.node_selector.entry(NODE_POOL_SELECTOR.to_string()).or_insert(prefill);
                    }
                }
            }
            Mode::Disaggregated => {
                let stage = Stage {
                    tensor_parallel: None,
                    replicas: d.replicas,
                    node_pool: d.node_selector.remove(NODE_POOL_SELECTOR),
                };
                d.prefill = Some(stage.clone());
                d.decode = Some(stage);
            }
        }
        Ok(())
    }

    /// Adds a capacity reservation to the node class of a NodePool and lets the pool use reserved
    /// capacity (Karpenter launches into reservations only for `reserved` in the capacity types).
    pub fn add_reservation(&mut self, pool: &str, reservation: CapacityReservation) -> Result<(), EditError> {
        if reservation.id.trim().is_empty() {
            return Err(EditError("a reservation needs its id (cr-…)".to_string()));
        }
        if reservation.instance_type.trim().is_empty() {
            return Err(EditError("a reservation needs its instance type (p5.48xlarge)".to_string()));
        }
        if reservation.count == 0 {
            return Err(EditError("a reservation needs a count of at least 1 instance".to_string()));
        }
        let p = self.spec.node_pools.iter_mut().find(|p| p.name == pool).ok_or_else(|| no_pool(pool))?;
        if !p.capacity_types.contains(&CapacityType::Reserved) {
            p.capacity_types.insert(0, CapacityType::Reserved);
        }
        let class_name = p.node_class.clone();
        let class = match self.spec.node_classes.iter().position(|c| c.name == class_name) {
            Some(i) => &mut self.spec.node_classes[i],
            None => {
                self.spec.node_classes.push(NodeClass {
                    name: class_name,
                    ami: "bottlerocket".to_string(),
                    disk_gib: None,
                    capacity_reservations: Vec::new(),
                });
                self.spec.node_classes.last_mut().expect("just pushed")
            }
        };
        match class.capacity_reservations.iter_mut().find(|r| r.id == reservation.id) {
            Some(existing) => *existing = reservation,
            None => class.capacity_reservations.push(reservation),
        }
        Ok(())
    }

    /// Removes a capacity reservation by id from every node class.
    pub fn remove_reservation(&mut self, id: &str) {
        for class in &mut self.spec.node_classes {
            class.capacity_reservations.retain(|r| r.id != id);
        }
    }

    /// Applies an imported plan: replaces this one, or merges its NodePools (and the node classes
    /// they use) by name. Returns the names of the pools that were replaced or added.
    pub fn apply_import(&mut self, imported: &Plan, mode: ImportMode) -> Vec<String> {
        match mode {
            ImportMode::ReplacePlan => {
                *self = imported.clone();
                self.pool_names_by_priority()
            }
            ImportMode::MergePools => {
                let mut touched = Vec::new();
                for pool in &imported.spec.node_pools {
                    replace_or_push(&mut self.spec.node_pools, pool.clone(), |p: &NodePool| &p.name);
                    if let Some(class) = imported.node_class(&pool.node_class) {
                        replace_or_push(&mut self.spec.node_classes, class.clone(), |c: &NodeClass| &c.name);
                    }
                    touched.push(pool.name.clone());
                }
                touched
            }
        }
    }
}

/// What the plan would cost on each instance type its NodePools allow: for each type, every pool
/// restricted to that type alone (pools that do not allow it keep theirs). Sorted cheapest first;
/// at most `limit` types, chosen by catalog order. Types that cannot place every pod are left out.
pub fn compare_instance_types(plan: &Plan, limit: usize) -> Vec<(String, f64)> {
    let mut names: Vec<&'static str> = Vec::new();
    for pool in &plan.spec.node_pools {
        for t in crate::place::pool_instance_types(pool) {
            if !names.contains(&t.name.as_str()) {
                names.push(&t.name);
            }
        }
    }
    let mut out: Vec<(String, f64)> = names
        .into_iter()
        .take(limit)
        .filter_map(|name| {
            let mut what_if = plan.clone();
            for pool in &mut what_if.spec.node_pools {
                if crate::place::pool_instance_types(pool).any(|t| t.name == name) {
                    pool.instance_types = vec![name.to_string()];
                }
            }
            let outcome = crate::place::evaluate(&what_if);
            outcome.unplaced.is_empty().then(|| (name.to_string(), outcome.summary.cost_usd_per_hour))
        })
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Reads `key=value, key=value` (NodePool limits as a person types them) into a map.
pub fn parse_pairs(text: &str) -> Result<BTreeMap<String, String>, EditError> {
    let mut out = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| EditError(format!("{item:?} is not key=value (for example nvidia.com/gpu=16)")))?;
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            return Err(EditError(format!("{item:?} needs both a key and a value")));
        }
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

/// Writes a map as `key=value, key=value`.
pub fn show_pairs(map: &BTreeMap<String, String>) -> String {
    map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// Reads taints as a person types them: `key=value:Effect` or `key:Effect`, comma-separated.
pub fn parse_taints(text: &str) -> Result<Vec<Taint>, EditError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (left, effect) = item.rsplit_once(':').ok_or_else(|| {
                EditError(format!("{item:?} needs an effect: key=value:NoSchedule, PreferNoSchedule or NoExecute"))
            })?;
            let (key, value) = match left.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim().to_string()).filter(|v| !v.is_empty())),
                None => (left.trim(), None),
            };
            if key.is_empty() {
                return Err(EditError(format!("{item:?} needs a key")));
            }
            Ok(Taint { key: key.to_string(), value, effect: effect.trim().to_string() })
        })
        .collect()
}

/// Writes taints as `key=value:Effect, key:Effect`.
pub fn show_taints(taints: &[Taint]) -> String {
    taints
        .iter()
        .map(|t| match &t.value {
            Some(v) => format!("{}={v}:{}", t.key, t.effect),
            None => format!("{}:{}", t.key, t.effect),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One stage of a deployment, or why it has none.
fn stage_of(d: &mut Deployment, stage: StageKind) -> Result<&mut Stage, EditError> {
    let name = d.name.clone();
    d.stage_mut(stage).ok_or_else(|| {
        EditError(format!(
            "{name} serves monolithically: switch it to prefill/decode to size its {} stage",
            stage.as_str()
        ))
    })
}

/// The fleet one stage of a deployment runs as.
fn fleet_of(d: &Deployment, stage: StageKind) -> Fleet {
    d.fleets().into_iter().find(|f| f.role == stage.as_str()).unwrap_or_else(|| d.fleets().remove(0))
}

fn replace_or_push<T>(items: &mut Vec<T>, item: T, name: impl Fn(&T) -> &String) {
    match items.iter().position(|x| name(x) == name(&item)) {
        Some(i) => items[i] = item,
        None => items.push(item),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{parse_plan, validate, Consolidation};

    fn pool(name: &str, weight: Option<u32>, families: &[&str]) -> NodePool {
        NodePool {
            name: name.to_string(),
            weight,
            capacity_types: vec![CapacityType::OnDemand],
            instance_families: families.iter().map(|f| f.to_string()).collect(),
            instance_types: Vec::new(),
            limits: Default::default(),
            taints: vec![Taint { key: "nvidia.com/gpu".into(), value: None, effect: "NoSchedule".into() }],
            labels: Default::default(),
            consolidation: Consolidation::default(),
            budgets: Vec::new(),
            expire_after: None,
            node_class: "default".to_string(),
        }
    }

    fn three_pools() -> Plan {
        let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
        plan.spec.node_pools =
            vec![pool("a", Some(10), &["g5"]), pool("b", Some(50), &["g6"]), pool("c", None, &["p5"])];
        plan
    }

    #[test]
    fn weights_are_distinct_highest_first_and_in_range() {
        assert_eq!(weights_highest_first(3), vec![30, 20, 10]);
        assert_eq!(weights_highest_first(1), vec![10]);
        for n in 0..150 {
            let w = weights_highest_first(n);
            assert_eq!(w.len(), n);
            assert!(w.iter().all(|w| (1..=100).contains(w)));
            if n <= 100 {
                assert!(w.windows(2).all(|p| p[0] > p[1]), "{n}: {w:?}");
            }
        }
    }

    #[test]
    fn moving_a_pool_reorders_and_reweights() {
        let mut plan = three_pools();
        assert_eq!(plan.pool_names_by_priority(), ["b", "a", "c"]);
        plan.move_pool("c", 0).unwrap();
        assert_eq!(plan.pool_names_by_priority(), ["c", "b", "a"]);
        let weights: Vec<_> = plan.spec.node_pools.iter().map(|p| (p.name.as_str(), p.weight)).collect();
        assert_eq!(weights, [("c", Some(30)), ("b", Some(20)), ("a", Some(10))]);
        plan.move_pool("c", 99).unwrap();
        assert_eq!(plan.pool_names_by_priority(), ["b", "a", "c"]);
        assert!(validate(&plan).is_empty());
        assert!(plan.move_pool("zzz", 0).is_err());
    }

    #[test]
    fn moving_a_family_takes_it_from_one_pool_to_the_other() {
        let mut plan = three_pools();
        plan.move_instance_family("g5", "a", "b").unwrap();
        assert!(plan.node_pool("a").unwrap().instance_families.is_empty());
        assert_eq!(plan.node_pool("b").unwrap().instance_families, ["g6", "g5"]);
        assert!(plan.move_instance_family("g5", "a", "b").is_err());
        assert!(plan.move_instance_family("g6", "b", "nope").is_err());
        assert_eq!(plan.node_pool("b").unwrap().instance_families, ["g6", "g5"]);
    }

    #[test]
    fn assigning_a_deployment_pins_it_and_tolerates_the_taints() {
        let mut plan = three_pools();
        plan.spec.deployments[0].tolerations.clear();
        plan.assign_deployment("llama3-8b", "c").unwrap();
        let d = &plan.spec.deployments[0];
        assert_eq!(d.node_selector.get(NODE_POOL_SELECTOR).map(String::as_str), Some("c"));
        assert_eq!(d.tolerations.len(), 1);
        plan.assign_deployment("llama3-8b", "b").unwrap();
        assert_eq!(plan.spec.deployments[0].tolerations.len(), 1);
        let outcome = crate::place::evaluate(&plan);
        assert!(outcome.pools.iter().all(|p| p.name == "b" || p.nodes.is_empty()), "{:?}", outcome.pools);
        assert!(plan.assign_deployment("nope", "b").is_err());
    }

    #[test]
    fn a_deployment_is_not_pinned_to_a_pool_none_of_its_replicas_fits() {
        let mut plan = three_pools();
        plan.spec.node_pools[1].instance_types = vec!["g6.xlarge".to_string()];
        plan.spec.deployments[0].tensor_parallel = 4;
        let before = plan.clone();
        let e = plan.assign_deployment("llama3-8b", "b").unwrap_err();
        assert!(e.0.contains("NodePool b") && e.0.contains("g6.xlarge"), "{e}");
        assert_eq!(plan, before, "a refused pin changes nothing");
        plan.assign_deployment("llama3-8b", "c").unwrap();
    }

    #[test]
    fn adding_a_reservation_reaches_the_node_class_and_the_export() {
        let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
        let reservation = CapacityReservation {
            id: "cr-0123456789abcdef0".into(),
            kind: "odcr".into(),
            instance_type: "g5.2xlarge".into(),
            count: 2,
        };
        plan.add_reservation("gpu-on-demand", reservation.clone()).unwrap();
        assert_eq!(plan.spec.node_classes[0].capacity_reservations, std::slice::from_ref(&reservation));
        assert_eq!(plan.spec.node_pools[0].capacity_types[0], CapacityType::Reserved);
        assert!(crate::manifest::render_stream(&plan).contains("capacityReservationSelectorTerms"));
        plan.add_reservation("gpu-on-demand", CapacityReservation { count: 3, ..reservation }).unwrap();
        assert_eq!(plan.spec.node_classes[0].capacity_reservations.len(), 1);
        assert!(plan
            .add_reservation("gpu-on-demand", CapacityReservation { id: String::new(), ..Default::default() })
            .is_err());
        plan.remove_reservation("cr-0123456789abcdef0");
        assert!(plan.spec.node_classes[0].capacity_reservations.is_empty());
    }

    #[test]
    fn importing_pools_replaces_by_name_and_adds_new_ones() {
        let mut plan = three_pools();
        let mut imported = Plan::minimal("imported");
        imported.spec.node_pools = vec![pool("a", Some(99), &["p4d"]), pool("d", Some(1), &["inf2"])];
        let touched = plan.apply_import(&imported, ImportMode::MergePools);
        assert_eq!(touched, ["a", "d"]);
        assert_eq!(plan.spec.node_pools.len(), 4);
        assert_eq!(plan.node_pool("a").unwrap().instance_families, ["p4d"]);
        plan.apply_import(&imported, ImportMode::ReplacePlan);
        assert_eq!(plan, imported);
    }

    #[test]
    fn instance_types_are_compared_cheapest_first() {
        let plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
        let costs = compare_instance_types(&plan, 40);
        assert!(!costs.is_empty());
        assert!(costs.windows(2).all(|w| w[0].1 <= w[1].1), "{costs:?}");
        assert!(costs.iter().all(|(name, usd)| (name.starts_with("g5") || name.starts_with("g6")) && *usd > 0.0));
    }

    #[test]
    fn switching_mode_adds_and_drops_the_stages() {
        let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
        plan.set_mode("llama3-8b", Mode::Disaggregated).unwrap();
        assert!(validate(&plan).is_empty(), "{:?}", validate(&plan));
        assert_eq!(crate::place::evaluate(&plan).deployments.len(), 2);
        assert!(crate::manifest::render_stream(&plan).contains("llama3-8b-prefill"));
        plan.set_mode("llama3-8b", Mode::Monolithic).unwrap();
        assert_eq!(plan, parse_plan(crate::examples::example("quickstart").unwrap()).unwrap());
        assert!(plan.set_mode("nope", Mode::Monolithic).is_err());
    }

    fn disaggregated() -> Plan {
        parse_plan(crate::examples::example("disaggregated").unwrap()).unwrap()
    }

    /// The exported document of `kind` named `name` (one document of the stream).
    fn exported(plan: &Plan, kind: &str, name: &str) -> String {
        crate::manifest::render_stream(plan)
            .split("\n---\n")
            .find(|d| d.contains(&format!("kind: {kind}\n")) && d.contains(&format!("\n  name: {name}\n")))
            .unwrap_or_else(|| panic!("no {kind} {name} in the export"))
            .to_string()
    }

    #[test]
    fn stage_replicas_are_set_apart_and_checked() {
        let mut plan = disaggregated();
        plan.set_stage_replicas("rag-70b", StageKind::Decode, ReplicaBounds { min: 2, max: 6 }).unwrap();
        assert!(validate(&plan).is_empty(), "{:?}", validate(&plan));
        assert_eq!(plan.spec.deployments[0].decode.as_ref().unwrap().replicas, ReplicaBounds { min: 2, max: 6 });
        assert_eq!(plan.spec.deployments[0].prefill.as_ref().unwrap().replicas, ReplicaBounds { min: 1, max: 3 });
        assert!(exported(&plan, "ScaledObject", "rag-70b-decode").contains("maxReplicaCount: 6"));
        assert!(exported(&plan, "ScaledObject", "rag-70b-prefill").contains("maxReplicaCount: 3"));

        let before = plan.clone();
        let e = plan.set_stage_replicas("rag-70b", StageKind::Prefill, ReplicaBounds { min: 5, max: 3 }).unwrap_err();
        assert_eq!(e.0, "prefill replicas: min 5 is above max 3 (raise max first)");
        let e = plan.set_stage_replicas("rag-70b", StageKind::Decode, ReplicaBounds { min: 0, max: 0 }).unwrap_err();
        assert_eq!(e.0, "decode replicas: max must be at least 1");
        assert!(plan.set_stage_replicas("rag-70b", StageKind::Decode, ReplicaBounds { min: 1, max: 10_001 }).is_err());
        assert!(plan.set_stage_replicas("nope", StageKind::Decode, ReplicaBounds { min: 1, max: 2 }).is_err());
        assert_eq!(plan, before, "a refused edit leaves the plan as it was");

        let mut mono = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
        let e = mono.set_stage_replicas("llama3-8b", StageKind::Prefill, ReplicaBounds { min: 1, max: 2 }).unwrap_err();
        assert!(e.0.contains("serves monolithically"), "{e}");
        mono.set_replicas("llama3-8b", None, ReplicaBounds { min: 1, max: 3 }).unwrap();
        assert_eq!(mono.spec.deployments[0].replicas, ReplicaBounds { min: 1, max: 3 });
    }

    #[test]
    fn pinning_a_stage_moves_only_that_fleet() {
        let mut plan = disaggregated();
        // g6e.12xlarge holds a 4-GPU prefill replica.
        plan.assign_stage("rag-70b", StageKind::Prefill, Some("decode-l40s")).unwrap();
        assert!(validate(&plan).is_empty(), "{:?}", validate(&plan));
        assert!(exported(&plan, "Deployment", "rag-70b-prefill").contains("karpenter.sh/nodepool: decode-l40s"));
        assert!(exported(&plan, "Deployment", "rag-70b-decode").contains("karpenter.sh/nodepool: decode-l40s"));
        let outcome = crate::place::evaluate(&plan);
        let prefill = outcome.deployments.iter().find(|d| d.role == "prefill").unwrap();
        assert_eq!(prefill.node_pools, ["decode-l40s"]);

        // Eight GPUs per prefill replica do not fit a g6e.12xlarge (4 GPUs): refused, named, unchanged.
        let before = plan.clone();
        let e = plan.set_stage_tensor_parallel("rag-70b", StageKind::Prefill, Some(8)).unwrap_err();
        assert!(e.0.contains("rag-70b-prefill needs 8 GPUs") && e.0.contains("NodePool decode-l40s"), "{e}");
        assert!(e.0.contains("(g6e.12xlarge) has 4"), "{e}");
        assert_eq!(plan, before);
        // Back on the p5 pool, eight fit; the decode stage keeps inheriting nothing it did not set.
        plan.assign_stage("rag-70b", StageKind::Prefill, Some("prefill-h100")).unwrap();
        plan.set_stage_tensor_parallel("rag-70b", StageKind::Prefill, Some(8)).unwrap();
        assert!(validate(&plan).is_empty());
        assert!(exported(&plan, "Deployment", "rag-70b-prefill").contains("--tensor-parallel-size\n        - \"8\""));
        // ... but the p5 prefill stage cannot move onto the 4-GPU pool now.
        let e = plan.assign_stage("rag-70b", StageKind::Prefill, Some("decode-l40s")).unwrap_err();
        assert!(e.0.contains("needs 8 GPUs"), "{e}");
        // Empty means the deployment's.
        plan.set_stage_tensor_parallel("rag-70b", StageKind::Prefill, None).unwrap();
        assert_eq!(plan.spec.deployments[0].prefill.as_ref().unwrap().tensor_parallel, None);
        assert!(plan.set_stage_tensor_parallel("rag-70b", StageKind::Prefill, Some(0)).is_err());

        // Unpinning, unknown pools, monolithic deployments.
        plan.assign_stage("rag-70b", StageKind::Decode, None).unwrap();
        assert_eq!(plan.spec.deployments[0].decode.as_ref().unwrap().node_pool, None);
        assert!(validate(&plan).is_empty());
        assert!(plan.assign_stage("rag-70b", StageKind::Decode, Some("nope")).is_err());
        let mut mono = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
        assert!(mono.assign_stage("llama3-8b", StageKind::Decode, Some("gpu-on-demand")).is_err());
    }

    #[test]
    fn pinning_a_stage_splits_a_deployment_wide_pin_and_tolerates_the_taints() {
        let mut plan = disaggregated();
        let d = &mut plan.spec.deployments[0];
        d.node_selector.insert(NODE_POOL_SELECTOR.into(), "prefill-h100".into());
        d.prefill.as_mut().unwrap().node_pool = None;
        d.decode.as_mut().unwrap().node_pool = None;
        d.tolerations.clear();
        plan.assign_stage("rag-70b", StageKind::Decode, Some("decode-l40s")).unwrap();
        let d = &plan.spec.deployments[0];
        assert!(!d.node_selector.contains_key(NODE_POOL_SELECTOR), "the wide pin would keep decode off its pool");
        assert_eq!(d.prefill.as_ref().unwrap().node_pool.as_deref(), Some("prefill-h100"));
        assert_eq!(d.decode.as_ref().unwrap().node_pool.as_deref(), Some("decode-l40s"));
        assert_eq!(d.tolerations.len(), 1);
        assert!(crate::place::evaluate(&plan).unplaced.is_empty());
    }

    #[test]
    fn tensor_parallel_must_fit_an_instance_type_the_pools_allow() {
        // The quickstart's pool allows only one-GPU types (g6e.xlarge, g6e.2xlarge).
        let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
        let e = plan.set_tensor_parallel("llama3-8b", 2).unwrap_err();
        assert_eq!(
            e.0,
            "a replica of llama3-8b needs 2 GPUs, but the largest instance type the NodePools allow (g6e.2xlarge) \
             has 1: lower tensor parallel, or pin it to a NodePool with larger instance types"
        );
        assert!(plan.set_tensor_parallel("llama3-8b", 0).is_err());
        plan.spec.node_pools[0].instance_types.clear();
        plan.set_tensor_parallel("llama3-8b", 8).unwrap();
        assert!(plan.set_tensor_parallel("llama3-8b", 16).is_err(), "no g6e type has 16 GPUs");
        assert_eq!(plan.spec.deployments[0].tensor_parallel, 8);
        // A fleet that fits nowhere already may still be edited, so it can be fixed step by step.
        plan.spec.deployments[0].tensor_parallel = 32;
        plan.set_tensor_parallel("llama3-8b", 16).unwrap();
        plan.set_tensor_parallel("llama3-8b", 4).unwrap();
        // A stage without its own degree inherits the deployment's, and is checked with it.
        let mut plan = disaggregated();
        plan.set_stage_tensor_parallel("rag-70b", StageKind::Decode, None).unwrap();
        let e = plan.set_tensor_parallel("rag-70b", 8).unwrap_err();
        assert!(e.0.contains("rag-70b-decode needs 8 GPUs") && e.0.contains("NodePool decode-l40s"), "{e}");
        plan.set_stage_tensor_parallel("rag-70b", StageKind::Decode, Some(4)).unwrap();
        plan.set_tensor_parallel("rag-70b", 8).unwrap();
        let e = plan.set_stage_tensor_parallel("rag-70b", StageKind::Decode, None).unwrap_err();
        assert!(e.0.contains("needs 8 GPUs"), "inheriting 8 would not fit: {e}");
    }

    #[test]
    fn switching_mode_moves_a_deployment_pin_onto_the_stages_and_back() {
        let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
        plan.assign_deployment("llama3-8b", "gpu-on-demand").unwrap();
        let pinned = plan.clone();
        plan.set_mode("llama3-8b", Mode::Disaggregated).unwrap();
        let d = &plan.spec.deployments[0];
        assert!(d.node_selector.is_empty());
        for stage in StageKind::BOTH {
            assert_eq!(d.stage(stage).unwrap().node_pool.as_deref(), Some("gpu-on-demand"));
            assert_eq!(d.stage(stage).unwrap().replicas, d.replicas);
        }
        assert!(validate(&plan).is_empty());
        plan.set_mode("llama3-8b", Mode::Monolithic).unwrap();
        assert_eq!(plan, pinned);
        // Stages on different pools leave a monolithic deployment unpinned.
        let mut plan = disaggregated();
        plan.set_mode("rag-70b", Mode::Monolithic).unwrap();
        assert!(plan.spec.deployments[0].node_selector.is_empty());
        assert!(validate(&plan).is_empty());
    }

    #[test]
    fn typed_limits_and_taints_round_trip() {
        let limits = parse_pairs("nvidia.com/gpu=16, cpu = 1000,").unwrap();
        assert_eq!(show_pairs(&limits), "cpu=1000, nvidia.com/gpu=16");
        assert!(parse_pairs("gpu").is_err());
        assert!(parse_pairs("=3").is_err());
        let taints = parse_taints("nvidia.com/gpu:NoSchedule, team=ml:NoExecute").unwrap();
        assert_eq!(show_taints(&taints), "nvidia.com/gpu:NoSchedule, team=ml:NoExecute");
        assert!(parse_taints("nvidia.com/gpu").is_err());
        assert_eq!(parse_taints("").unwrap(), vec![]);
    }

    impl Default for CapacityReservation {
        fn default() -> Self {
            CapacityReservation { id: "cr-1".into(), kind: "odcr".into(), instance_type: "g5.xlarge".into(), count: 1 }
        }
    }
}
