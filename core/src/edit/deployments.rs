//! Deployment edits: pins to a NodePool (the whole deployment or one stage), replica bounds, tensor
//! parallelism (refused when a replica would no longer fit), and the serving mode.

use crate::place::{pool_instance_types, PodRequests};
use crate::plan::parse::{MAX_REPLICAS, MAX_TENSOR_PARALLEL};
use crate::plan::{Deployment, Fleet, Mode, NodePool, Plan, ReplicaBounds, Stage, StageKind, Taint, Toleration};

use super::{EditError, Misfit, NODE_POOL_SELECTOR};

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
        Err(EditError::MaxBelowOne { fleet: what.to_string() })
    } else if r.max > MAX_REPLICAS {
        Err(EditError::MaxTooLarge { fleet: what.to_string(), max: r.max, limit: MAX_REPLICAS })
    } else if r.min > r.max {
        Err(EditError::MinAboveMax { fleet: what.to_string(), min: r.min, max: r.max })
    } else {
        Ok(())
    }
}

fn check_tensor_parallel(what: &str, tp: u32) -> Result<(), EditError> {
    if tp == 0 || tp > MAX_TENSOR_PARALLEL {
        return Err(EditError::TensorParallel { fleet: what.to_string(), limit: MAX_TENSOR_PARALLEL });
    }
    Ok(())
}

/// One of a fleet's replica bounds, as the app edits them one field at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaBound {
    Min,
    Max,
}

impl Deployment {
    /// Where the deployment is pinned as a whole: its node selector, or the pool both stages share.
    pub fn pinned_pool(&self) -> Option<&str> {
        if let Some(pool) = self.node_selector.get(NODE_POOL_SELECTOR) {
            return Some(pool);
        }
        let (prefill, decode) = (self.stage(StageKind::Prefill)?, self.stage(StageKind::Decode)?);
        prefill.node_pool.as_deref().filter(|p| decode.node_pool.as_deref() == Some(*p))
    }

    /// The replica bounds of the deployment (`stage: None`) or of one of its stages.
    pub fn replica_bounds(&self, stage: Option<StageKind>) -> Option<ReplicaBounds> {
        match stage {
            Some(s) => self.stage(s).map(|s| s.replicas),
            None => Some(self.replicas),
        }
    }
}

impl Plan {
    /// The deployment named `name`, to edit.
    pub fn deployment_mut(&mut self, name: &str) -> Result<&mut Deployment, EditError> {
        self.deployment_named_mut(name)
    }

    /// Sets one replica bound (min or max) of a deployment or one of its stages, keeping the other;
    /// checked as [`Plan::set_replicas`] checks both.
    pub fn set_replica_bound(
        &mut self,
        deployment: &str,
        stage: Option<StageKind>,
        bound: ReplicaBound,
        value: u32,
    ) -> Result<(), EditError> {
        let d = self.deployment_named(deployment)?;
        let mut r = match stage {
            Some(s) => {
                d.stage(s).ok_or_else(|| EditError::Monolithic { deployment: d.name.clone(), stage: s })?.replicas
            }
            None => d.replicas,
        };
        match bound {
            ReplicaBound::Min => r.min = value,
            ReplicaBound::Max => r.max = value,
        }
        self.set_replicas(deployment, stage, r)
    }

    /// Sets the limit of the workload's SLO at `index`, in milliseconds.
    pub fn set_slo_limit(&mut self, index: usize, limit_ms: f64) -> Result<(), EditError> {
        let slo = self.spec.workload.slos.get_mut(index).ok_or(EditError::NoSlo(index))?;
        slo.limit_ms = limit_ms;
        Ok(())
    }

    /// Pins a deployment (all of its fleets) to a NodePool: the `karpenter.sh/nodepool` node selector
    /// for monolithic serving, each stage's pool when disaggregated, and tolerations for the pool's taints.
    /// Refused, as a stage's pin is, when the pool has no instance type that holds one of a fleet's
    /// replicas that fitted somewhere before.
    pub fn assign_deployment(&mut self, deployment: &str, pool: &str) -> Result<(), EditError> {
        let taints = self.node_pool(pool).ok_or_else(|| EditError::NoPool(pool.to_string()))?.taints.clone();
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
            Some(name) => self.node_pool(name).ok_or_else(|| EditError::NoPool(name.to_string()))?.taints.clone(),
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
                return Err(EditError::Misfit(why));
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
                    return Err(EditError::Misfit(why));
                }
            }
        }
        *self.deployment_named_mut(deployment)? = after;
        Ok(())
    }

    /// Why no instance type a fleet may use holds one of its replicas, if none does. A fleet may use
    /// the pool it is pinned to, else every pool; a plan without pools is not judged.
    fn replica_misfit(&self, d: &Deployment, fleet: &Fleet) -> Option<Misfit> {
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
        let largest = pools
            .iter()
            .flat_map(|p| pool_instance_types(p))
            .filter(|t| if pod.neuron { t.is_neuron() } else { t.is_nvidia() })
            .max_by_key(|t| t.accelerator_count)
            .map(|t| (t.name.clone(), t.accelerator_count));
        Some(Misfit { fleet: fleet.name.clone(), devices: pod.devices, neuron: pod.neuron, pinned, largest })
    }

    fn deployment_named(&self, name: &str) -> Result<&Deployment, EditError> {
        self.spec.deployments.iter().find(|d| d.name == name).ok_or_else(|| EditError::NoDeployment(name.to_string()))
    }

    fn deployment_named_mut(&mut self, name: &str) -> Result<&mut Deployment, EditError> {
        self.spec
            .deployments
            .iter_mut()
            .find(|d| d.name == name)
            .ok_or_else(|| EditError::NoDeployment(name.to_string()))
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
                    warm_capacity: None,
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
}

/// One stage of a deployment, or why it has none.
fn stage_of(d: &mut Deployment, stage: StageKind) -> Result<&mut Stage, EditError> {
    let deployment = d.name.clone();
    d.stage_mut(stage).ok_or(EditError::Monolithic { deployment, stage })
}

/// The fleet one stage of a deployment runs as.
fn fleet_of(d: &Deployment, stage: StageKind) -> Fleet {
    d.fleets().into_iter().find(|f| f.role == stage.as_str()).unwrap_or_else(|| d.fleets().remove(0))
}
