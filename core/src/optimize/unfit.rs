//! Why a configuration (an instance type, tensor-parallel degree and precision) cannot serve the
//! workload: the reason a rejected configuration carries in the recommendation.

use std::fmt;

use crate::perf::EstimateError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Unfit {
    /// The performance model refused the configuration (its message, without the field).
    Estimate(EstimateError),
    /// Even one request at a time misses this SLO (described) for this request class.
    MissesSlo {
        slo: String,
        class: String,
    },
    CannotServe {
        class: String,
    },
    /// Latency is unbounded at this share of the SLO rate (a utilisation target), per cent.
    Saturated {
        percent: f64,
    },
    NoAcceleratorData,
    NoOnDemandPrice,
    NoPodFitsNode,
    /// The replica's memory does not hold the model (the model's reason, when it gives one).
    DoesNotFit(Option<String>),
    /// A decode step of this class misses the TPOT limit even with nothing else running.
    DecodeMissesTpot {
        class: String,
    },
}

impl From<EstimateError> for Unfit {
    fn from(e: EstimateError) -> Unfit {
        Unfit::Estimate(e)
    }
}

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unfit::Estimate(e) => f.write_str(&e.message),
            Unfit::MissesSlo { slo, class } => write!(f, "misses {slo} for {class} requests even one at a time"),
            Unfit::CannotServe { class } => write!(f, "cannot serve {class} requests"),
            Unfit::Saturated { percent } => write!(f, "saturated at {percent:.0} % of its SLO rate"),
            Unfit::NoAcceleratorData => f.write_str("no accelerator data"),
            Unfit::NoOnDemandPrice => f.write_str("no on-demand price"),
            Unfit::NoPodFitsNode => f.write_str("no pod fits a node"),
            Unfit::DoesNotFit(reason) => f.write_str(reason.as_deref().unwrap_or("does not fit")),
            Unfit::DecodeMissesTpot { class } => {
                write!(f, "a decode step of {class} misses the TPOT limit even alone")
            }
        }
    }
}

impl std::error::Error for Unfit {}
