//! Why an edit was refused, as a value the app can match on; `Display` gives the sentence a person
//! reads (what was wrong and what to do).

use std::fmt;

use crate::plan::StageKind;

/// Why an edit could not be made; the plan is left unchanged.
#[derive(Debug, Clone, PartialEq)]
pub enum EditError {
    /// No NodePool has this name.
    NoPool(String),
    /// No deployment has this name.
    NoDeployment(String),
    /// The workload has no SLO at this index.
    NoSlo(usize),
    /// The NodePool does not list the instance family.
    NoFamily { pool: String, family: String },
    /// A stage of a deployment that serves monolithically (it has no stages).
    Monolithic { deployment: String, stage: StageKind },
    /// Replica bounds with a max of 0; `fleet` names them (`decode replicas`).
    MaxBelowOne { fleet: String },
    /// Replica bounds with a max beyond the plan's bound.
    MaxTooLarge { fleet: String, max: u32, limit: u32 },
    /// Replica bounds with min above max.
    MinAboveMax { fleet: String, min: u32, max: u32 },
    /// Devices per replica outside 1..=`limit`; `fleet` is `deployment`, `prefill` or `decode`.
    TensorParallel { fleet: String, limit: u32 },
    /// A replica would not fit any instance type its pools allow.
    Misfit(Misfit),
    /// A capacity reservation without its id.
    ReservationId,
    /// A capacity reservation without its instance type.
    ReservationInstanceType,
    /// A capacity reservation for no instance.
    ReservationCount,
    /// A limit typed without `=`.
    NotAPair(String),
    /// A limit typed without a key or a value.
    PairPart(String),
    /// A taint typed without `:Effect`.
    TaintEffect(String),
    /// A taint typed without a key.
    TaintKey(String),
}

/// A fleet whose replica no instance type of its pools holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Misfit {
    /// The fleet (`rag-70b-prefill`).
    pub fleet: String,
    /// Devices one replica needs.
    pub devices: u32,
    /// Whether they are Neuron devices (else GPUs).
    pub neuron: bool,
    /// The pool the fleet is pinned to, if any (else every pool was tried).
    pub pinned: Option<String>,
    /// The allowed instance type with the most such devices, and how many it has.
    pub largest: Option<(String, u32)>,
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let devices = if self.neuron { "Neuron devices" } else { "GPUs" };
        let pools = match &self.pinned {
            Some(name) => format!("NodePool {name} allows"),
            None => "the NodePools allow".to_string(),
        };
        let offer = match &self.largest {
            Some((name, count)) => format!("the largest instance type {pools} ({name}) has {count}"),
            None => format!("{pools} no instance type with {devices}"),
        };
        write!(
            f,
            "a replica of {} needs {} {devices}, but {offer}: lower tensor parallel, or pin it to a NodePool with larger instance types",
            self.fleet, self.devices
        )
    }
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::NoPool(name) => write!(f, "there is no NodePool named {name:?}"),
            EditError::NoDeployment(name) => write!(f, "there is no deployment named {name:?}"),
            EditError::NoSlo(i) => write!(f, "there is no SLO number {}", i + 1),
            EditError::NoFamily { pool, family } => write!(f, "NodePool {pool:?} has no instance family {family:?}"),
            EditError::Monolithic { deployment, stage } => write!(
                f,
                "{deployment} serves monolithically: switch it to prefill/decode to size its {} stage",
                stage.as_str()
            ),
            EditError::MaxBelowOne { fleet } => write!(f, "{fleet}: max must be at least 1"),
            EditError::MaxTooLarge { fleet, max, limit } => write!(f, "{fleet}: max {max} is more than {limit}"),
            EditError::MinAboveMax { fleet, min, max } => {
                write!(f, "{fleet}: min {min} is above max {max} (raise max first)")
            }
            EditError::TensorParallel { fleet, limit } => {
                write!(f, "{fleet}: tensor parallel must be between 1 and {limit} devices")
            }
            EditError::Misfit(misfit) => misfit.fmt(f),
            EditError::ReservationId => f.write_str("a reservation needs its id (cr-…)"),
            EditError::ReservationInstanceType => f.write_str("a reservation needs its instance type (p5.48xlarge)"),
            EditError::ReservationCount => f.write_str("a reservation needs a count of at least 1 instance"),
            EditError::NotAPair(item) => write!(f, "{item:?} is not key=value (for example nvidia.com/gpu=16)"),
            EditError::PairPart(item) => write!(f, "{item:?} needs both a key and a value"),
            EditError::TaintEffect(item) => {
                write!(f, "{item:?} needs an effect: key=value:NoSchedule, PreferNoSchedule or NoExecute")
            }
            EditError::TaintKey(item) => write!(f, "{item:?} needs a key"),
        }
    }
}

impl std::error::Error for EditError {}
