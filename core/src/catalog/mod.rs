//! Catalogs embedded in core: EC2 accelerated instance types, their prices, accelerator chips and models.
//!
//! Every table is a data file under `core/data/` that names its source in its first line. `build.rs`
//! copies each without its comment lines and with only the columns core reads; the copies are
//! embedded with `include_str!` and parsed once, on first use, into `'static` tables.

pub mod accelerators;
pub mod billing;
pub mod instances;
pub mod mig;
pub mod models;
pub mod price_import;
pub mod prices;
mod tsv;

pub use accelerators::{accelerator, accelerator_of, accelerators, Accelerator, Interconnect, CONTRACT_CHIP_IDS};
pub use instances::{instance_type, instance_types, InstanceType};
pub use mig::{mig_profile, mig_profiles_of, MigProfile, MIG_PROFILES};
pub use models::{model, models, CatalogModel, ModelError, ModelSpec};
pub use prices::{
    price_snapshot_note, CapacityType, CommittedRate, OverlayRates, Price, PriceBook, PriceFileKind, PriceOverlay,
    PriceOverlaySource, PriceSource, PricesUsed, CATALOG_SNAPSHOT_DATE, PRICE_REGIONS,
};
