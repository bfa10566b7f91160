//! On-demand and spot prices per instance type and region, from a dated snapshot.
//!
//! Sources: `core/data/ec2-ondemand-prices.tsv` and `core/data/ec2-spot-prices.tsv` (each names its
//! source in its first line). Spot prices are a point-in-time snapshot; the median over the region's
//! availability zones is used.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::tsv::{parse_f64, Table};

const ONDEMAND: &str = include_str!(concat!(env!("OUT_DIR"), "/ec2-ondemand-prices.tsv"));
const SPOT: &str = include_str!(concat!(env!("OUT_DIR"), "/ec2-spot-prices.tsv"));

/// Regions the price snapshot covers.
pub const PRICE_REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"];

/// Karpenter's `karpenter.sh/capacity-type` values, in Karpenter's order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapacityType {
    /// EC2 capacity reservations (ODCR, Capacity Blocks): already paid for.
    Reserved,
    Spot,
    OnDemand,
}

impl CapacityType {
    pub const ALL: [CapacityType; 3] = [CapacityType::Reserved, CapacityType::Spot, CapacityType::OnDemand];

    /// The label value Karpenter uses.
    pub fn as_str(self) -> &'static str {
        match self {
            CapacityType::Reserved => "reserved",
            CapacityType::Spot => "spot",
            CapacityType::OnDemand => "on-demand",
        }
    }

    pub fn parse(value: &str) -> Option<CapacityType> {
        CapacityType::ALL.into_iter().find(|c| c.as_str() == value)
    }
}

/// The price of one instance-hour and where the figure comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub usd_per_hour: f64,
    pub source: &'static str,
}

type Key = (String, String);

struct Prices {
    ondemand: BTreeMap<Key, Price>,
    spot_median: BTreeMap<Key, Price>,
}

fn parse() -> Prices {
    let mut ondemand = BTreeMap::new();
    let table = Table::parse(ONDEMAND);
    let (it, region, usd, source) =
        (table.column("instance_type"), table.column("region"), table.column("usd_per_hour"), table.column("source"));
    for row in &table.rows {
        if let Some(usd_per_hour) = parse_f64(Table::cell(row, usd)) {
            let source = match Table::cell(row, source) {
                "karpenter" => "karpenter-provider-aws pricing 2026-07-20",
                "skypilot-catalog-v8" => "skypilot-catalog v8",
                _ => "skypilot-catalog v5",
            };
            let key = (Table::cell(row, it).to_string(), Table::cell(row, region).to_string());
            ondemand.insert(key, Price { usd_per_hour, source });
        }
    }
    let mut spot_median = BTreeMap::new();
    let table = Table::parse(SPOT);
    let (it, region, median) =
        (table.column("instance_type"), table.column("region"), table.column("spot_usd_per_hour_median"));
    for row in &table.rows {
        if let Some(usd_per_hour) = parse_f64(Table::cell(row, median)) {
            let key = (Table::cell(row, it).to_string(), Table::cell(row, region).to_string());
            // EC2 caps spot at the on-demand price; the snapshot rounds to 4 decimals, which can put a
            // spot median a fraction of a cent above on-demand (g5.48xlarge ap-northeast-1).
            let usd_per_hour = match ondemand.get(&key) {
                Some(Price { usd_per_hour: od, .. }) => usd_per_hour.min(*od),
                None => usd_per_hour,
            };
            spot_median.insert(key, Price { usd_per_hour, source: "skypilot-catalog v8 spot snapshot (AZ median)" });
        }
    }
    Prices { ondemand, spot_median }
}

fn prices() -> &'static Prices {
    static PRICES: OnceLock<Prices> = OnceLock::new();
    PRICES.get_or_init(parse)
}

/// The price of an instance-hour of `instance_type` in `region` for a capacity type.
///
/// Reserved capacity is priced at the on-demand rate: that is what an On-Demand Capacity Reservation
/// costs whether or not it is used (its marginal cost is zero; callers show the two apart).
pub fn price(instance_type: &str, region: &str, capacity: CapacityType) -> Option<Price> {
    let key = (instance_type.to_string(), region.to_string());
    match capacity {
        CapacityType::Spot => prices().spot_median.get(&key).copied(),
        CapacityType::OnDemand | CapacityType::Reserved => prices().ondemand.get(&key).copied(),
    }
}

/// What users are shown next to every price.
pub fn price_snapshot_note() -> &'static str {
    "On-demand: Karpenter pricing file generated 2026-07-20 (us-east-1) and SkyPilot catalog snapshots \
     (other regions). Spot: SkyPilot catalog v8 snapshot (AZ median, date unknown, after mid-2025); spot \
     prices move hourly."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_prices() {
        let od = price("g5.xlarge", "us-east-1", CapacityType::OnDemand).unwrap();
        assert!((od.usd_per_hour - 1.006).abs() < 1e-9, "{od:?}");
        let spot = price("g4dn.xlarge", "us-east-1", CapacityType::Spot).unwrap();
        assert!((spot.usd_per_hour - 0.2039).abs() < 1e-9);
        assert_eq!(price("g5.xlarge", "mars-1", CapacityType::OnDemand), None);
    }

    #[test]
    fn spot_is_cheaper_than_on_demand_where_both_exist() {
        for region in PRICE_REGIONS {
            for t in super::super::instance_types() {
                if let (Some(s), Some(o)) =
                    (price(&t.name, region, CapacityType::Spot), price(&t.name, region, CapacityType::OnDemand))
                {
                    assert!(s.usd_per_hour <= o.usd_per_hour + 1e-9, "{} {region}", t.name);
                }
            }
        }
    }
}
