//! Why a simulation cannot run: the errors of `from_plan`, `simulate` and their validation, each
//! naming the option, scenario field or Plan field it is about.

use std::fmt;

use super::cron::CronError;
use super::duration::DurationError;
use crate::perf::EstimateError;
use crate::plan::trace::TraceError;

#[derive(Debug, Clone, PartialEq)]
pub enum SimError {
    /// A field (an option such as `--step`, a scenario field, a Plan field) has a value the simulator
    /// cannot use.
    Invalid {
        field: String,
        message: String,
    },
    /// An error found while reading the part of a Plan at `field` (`spec.deployments[0] (chat).model`).
    At {
        field: String,
        source: Box<SimError>,
    },
    Duration(DurationError),
    Cron(CronError),
    /// The plan's inline trace (`spec.workload.trace.csv`) cannot be read.
    InlineTrace(TraceError),
    /// `Timing::set` was given a name that is no parameter; `known` lists the names there are.
    UnknownParameter {
        name: String,
        known: Vec<&'static str>,
    },
    UnknownPrecision(String),
    /// The performance model refused the replica.
    Estimate(EstimateError),
    /// The model's weights and cache do not fit the replica's devices.
    DoesNotFit {
        model: String,
        devices: u32,
        instance_type: String,
        reason: String,
    },
    /// A model outside the catalog whose name gives no parameter count.
    UnknownModel(String),
    /// An accelerator with no figures for the first-order stand-in.
    NoChipFigures(String),
}

impl SimError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> SimError {
        SimError::Invalid { field: field.into(), message: message.into() }
    }

    /// This error, found while reading the part at `field`.
    pub fn at(field: impl Into<String>, source: impl Into<SimError>) -> SimError {
        SimError::At { field: field.into(), source: Box::new(source.into()) }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Invalid { field, message } => write!(f, "{field}: {message}"),
            SimError::At { field, source } => write!(f, "{field}: {source}"),
            SimError::Duration(e) => e.fmt(f),
            SimError::Cron(e) => e.fmt(f),
            SimError::InlineTrace(e) => write!(f, "spec.workload.trace.csv: CSV {e}"),
            SimError::UnknownParameter { name, known } => write!(
                f,
                "unknown parameter {name:?}; use one of {} or spot_interruptions_per_node_hour.<family>",
                known.join(", ")
            ),
            SimError::UnknownPrecision(precision) => write!(f, "unknown precision {precision:?}"),
            SimError::Estimate(e) => e.fmt(f),
            SimError::DoesNotFit { model, devices, instance_type, reason } => {
                write!(f, "{model} does not fit on {devices} × {instance_type}: {reason}")
            }
            SimError::UnknownModel(model) => {
                write!(f, "{model:?} is not in the model catalog and its name gives no parameter count")
            }
            SimError::NoChipFigures(accelerator) => write!(f, "no figures for accelerator {accelerator}"),
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SimError::At { source, .. } => Some(source.as_ref()),
            SimError::Duration(e) => Some(e),
            SimError::Cron(e) => Some(e),
            SimError::InlineTrace(e) => Some(e),
            SimError::Estimate(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DurationError> for SimError {
    fn from(e: DurationError) -> SimError {
        SimError::Duration(e)
    }
}

impl From<CronError> for SimError {
    fn from(e: CronError) -> SimError {
        SimError::Cron(e)
    }
}

impl From<EstimateError> for SimError {
    fn from(e: EstimateError) -> SimError {
        SimError::Estimate(e)
    }
}
