//! Catalogs embedded in core: EC2 accelerated instance types and their prices.
//!
//! Every table is a data file under `core/data/` that names its source in its first line. Files are
//! embedded with `include_str!` and parsed once, on first use, into `'static` tables.

pub mod instances;
pub mod prices;
mod tsv;

pub use instances::{instance_type, instance_types, InstanceType};
pub use prices::{price_snapshot_note, CapacityType, Price, PRICE_REGIONS};
