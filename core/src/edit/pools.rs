//! NodePool edits: priority order and weights, instance families, capacity types, reservations,
//! imports, and what the plan would cost on each instance type its pools allow.

use crate::catalog::CapacityType;
use crate::plan::{CapacityReservation, NodeClass, NodePool, Plan};

use super::{weights_highest_first, EditError, ImportMode};

impl NodePool {
    /// Lets the pool use a capacity type, or stops it: the types stay in `CapacityType::ALL`'s order.
    pub fn toggle_capacity_type(&mut self, capacity: CapacityType) {
        if self.capacity_types.contains(&capacity) {
            self.capacity_types.retain(|c| *c != capacity);
        } else {
            self.capacity_types.push(capacity);
            self.capacity_types.sort_by_key(|c| CapacityType::ALL.iter().position(|x| x == c));
        }
    }

    /// Adds an instance family (`g6e`) to the pool's requirements, once; blank text adds nothing.
    pub fn add_instance_family(&mut self, family: &str) {
        let family = family.trim();
        if !family.is_empty() && !self.instance_families.iter().any(|f| f == family) {
            self.instance_families.push(family.to_string());
        }
    }
}

impl Plan {
    /// The NodePool named `name`, to edit.
    pub fn pool_mut(&mut self, name: &str) -> Result<&mut NodePool, EditError> {
        self.spec.node_pools.iter_mut().find(|p| p.name == name).ok_or_else(|| EditError::NoPool(name.to_string()))
    }

    /// Names of the NodePools in priority order (what the board shows top to bottom).
    pub fn pool_names_by_priority(&self) -> Vec<String> {
        self.pools_by_priority().into_iter().map(|p| p.name.clone()).collect()
    }

    /// Moves a NodePool to `index` in priority order, then gives every pool a weight from its place
    /// (highest first) and stores the pools in that order, so the export follows the board.
    pub fn move_pool(&mut self, name: &str, index: usize) -> Result<(), EditError> {
        let mut order = self.pool_names_by_priority();
        let from = order.iter().position(|n| n == name).ok_or_else(|| EditError::NoPool(name.to_string()))?;
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
        // A static NodePool takes no weight (the NodePool CRD refuses one): it keeps its place in the
        // list, and the dynamic pools get the weights.
        let dynamic = sorted.iter().filter(|p| p.replicas.is_none()).count();
        let mut weights = weights_highest_first(dynamic).into_iter();
        for pool in sorted.iter_mut() {
            pool.weight = if pool.replicas.is_some() { None } else { weights.next() };
        }
        self.spec.node_pools = sorted;
    }

    /// Moves an instance family (`g5`) from one NodePool's requirements to another's.
    pub fn move_instance_family(&mut self, family: &str, from: &str, to: &str) -> Result<(), EditError> {
        if from == to {
            return Ok(());
        }
        let to_index =
            self.spec.node_pools.iter().position(|p| p.name == to).ok_or_else(|| EditError::NoPool(to.to_string()))?;
        let source = self
            .spec
            .node_pools
            .iter_mut()
            .find(|p| p.name == from)
            .ok_or_else(|| EditError::NoPool(from.to_string()))?;
        let at = source
            .instance_families
            .iter()
            .position(|f| f == family)
            .ok_or_else(|| EditError::NoFamily { pool: from.to_string(), family: family.to_string() })?;
        source.instance_families.remove(at);
        let target = &mut self.spec.node_pools[to_index];
        if !target.instance_families.iter().any(|f| f == family) {
            target.instance_families.push(family.to_string());
        }
        Ok(())
    }

    /// Adds a capacity reservation to the node class of a NodePool and lets the pool use reserved
    /// capacity (Karpenter launches into reservations only for `reserved` in the capacity types).
    pub fn add_reservation(&mut self, pool: &str, reservation: CapacityReservation) -> Result<(), EditError> {
        if reservation.id.trim().is_empty() {
            return Err(EditError::ReservationId);
        }
        if reservation.instance_type.trim().is_empty() {
            return Err(EditError::ReservationInstanceType);
        }
        if reservation.count == 0 {
            return Err(EditError::ReservationCount);
        }
        let p = self
            .spec
            .node_pools
            .iter_mut()
            .find(|p| p.name == pool)
            .ok_or_else(|| EditError::NoPool(pool.to_string()))?;
        if !p.capacity_types.contains(&CapacityType::Reserved) {
            p.capacity_types.insert(0, CapacityType::Reserved);
        }
        let class_name = p.node_class.clone();
        let class = match self.spec.node_classes.iter().position(|c| c.name == class_name) {
            Some(i) => &mut self.spec.node_classes[i],
            None => {
                self.spec.node_classes.push(NodeClass::new(class_name, "bottlerocket"));
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

fn replace_or_push<T>(items: &mut Vec<T>, item: T, name: impl Fn(&T) -> &String) {
    match items.iter().position(|x| name(x) == name(&item)) {
        Some(i) => items[i] = item,
        None => items.push(item),
    }
}
