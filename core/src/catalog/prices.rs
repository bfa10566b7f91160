//! On-demand and spot prices per instance type and region, from a dated snapshot.
//!
//! Sources: `core/data/ec2-ondemand-prices.tsv` and `core/data/ec2-spot-prices.tsv` (each names its
//! source in its first line). Spot prices are a point-in-time snapshot; the median over the region's
//! availability zones is used.
//!
//! A [`PriceOverlay`] (what `tokenfleet prices import` builds from the AWS CLI's output, kept in a
//! plan's `spec.prices`) overrides the snapshot for the entries it holds; a [`PriceBook`] answers
//! with the overlay's figure first and the snapshot's otherwise, and every [`Price`] names where it
//! comes from.

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
pub struct Price<'a> {
    pub usd_per_hour: f64,
    pub source: PriceSource<'a>,
}

/// Where a price comes from: the built-in snapshot, or an imported overlay (its date and the AWS
/// CLI command whose output held the figure).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PriceSource<'a> {
    Catalog(&'static str),
    Overlay { date: &'a str, kind: PriceFileKind },
}

impl std::fmt::Display for PriceSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PriceSource::Catalog(source) => f.write_str(source),
            PriceSource::Overlay { date, kind } => write!(f, "overlay {date} ({})", kind.command()),
        }
    }
}

/// The date of the built-in snapshot's newest figures (the Karpenter pricing file); shown next to
/// every result priced from it.
pub const CATALOG_SNAPSHOT_DATE: &str = "2026-07-20";

/// Which AWS CLI output an overlay's figures were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PriceFileKind {
    /// `aws pricing get-products --service-code AmazonEC2`: on-demand rates.
    PricingGetProducts,
    /// `aws ec2 describe-spot-price-history`: spot prices per availability zone.
    SpotPriceHistory,
    /// `aws savingsplans describe-savings-plans-offering-rates`: committed rates.
    SavingsPlansOfferingRates,
}

impl PriceFileKind {
    /// The command that prints this kind of file.
    pub fn command(self) -> &'static str {
        match self {
            PriceFileKind::PricingGetProducts => "aws pricing get-products",
            PriceFileKind::SpotPriceHistory => "aws ec2 describe-spot-price-history",
            PriceFileKind::SavingsPlansOfferingRates => "aws savingsplans describe-savings-plans-offering-rates",
        }
    }
}

/// Prices imported from the AWS CLI's output that override the built-in snapshot for the entries
/// they hold (`tokenfleet prices import`; a plan keeps one in `spec.prices`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceOverlay {
    /// The snapshot's date (`YYYY-MM-DD`): the newest publication date or timestamp in the inputs,
    /// or the import date given when they have none.
    pub date: String,
    /// The files the figures were read from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<PriceOverlaySource>,
    /// Instance type → region → rates.
    #[serde(default)]
    pub entries: BTreeMap<String, BTreeMap<String, OverlayRates>>,
}

/// One input file of an overlay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceOverlaySource {
    /// The file's name as given to the import.
    pub file: String,
    pub kind: PriceFileKind,
    /// The newest date the file holds (`YYYY-MM-DD`); absent when it holds none (Savings Plans rates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// The rates of one instance type in one region (USD per instance-hour, Linux, shared tenancy).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverlayRates {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand: Option<f64>,
    /// The median over the region's availability zones of each zone's latest spot price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<f64>,
    /// Savings Plans rates: what an hour costs under a commitment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub savings_plans: Vec<CommittedRate>,
}

/// The hourly rate of an instance type under a Savings Plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommittedRate {
    /// `Compute` or `EC2Instance`.
    pub plan_type: String,
    /// The term in years (1 or 3).
    pub term_years: u32,
    /// `No Upfront`, `Partial Upfront` or `All Upfront`.
    pub payment_option: String,
    pub usd_per_hour: f64,
}

impl PriceOverlay {
    /// Reads an overlay (YAML or JSON, as `tokenfleet prices import` writes it); errors name the
    /// file, line and field.
    pub fn from_text(file: &str, text: &str) -> Result<PriceOverlay, String> {
        if text.trim().is_empty() {
            return Err(format!("{file}: the price overlay is empty"));
        }
        let overlay: PriceOverlay = crate::yaml::from_str(text).map_err(|e| {
            let line = if e.line > 0 { format!(":{}", e.line) } else { String::new() };
            let field = if e.path.is_empty() { String::new() } else { format!(" {}:", e.path) };
            format!("{file}{line}:{field} {} (a price overlay, as `tokenfleet prices import` writes it)", e.message)
        })?;
        if let Some((field, message)) = overlay.problems().into_iter().next() {
            return Err(format!("{file}: {field}: {message}"));
        }
        Ok(overlay)
    }

    /// Whether text looks like a price overlay rather than a plan or Kubernetes YAML: top-level
    /// `date` and `entries` and no `apiVersion` (the app's import panel tells them apart by this).
    pub fn looks_like(text: &str) -> bool {
        let top = |key: &str| {
            text.lines().any(|l| l.starts_with(key) && l[key.len()..].trim_start().starts_with(':'))
                || text.contains(&format!("\"{key}\":"))
        };
        top("date") && top("entries") && !top("apiVersion")
    }

    /// The rates of an instance type in a region, if the overlay holds them.
    pub fn rates(&self, instance_type: &str, region: &str) -> Option<&OverlayRates> {
        self.entries.get(instance_type)?.get(region)
    }

    /// How many (instance type, region) entries the overlay holds.
    pub fn entry_count(&self) -> usize {
        self.entries.values().map(BTreeMap::len).sum()
    }

    /// How many entries it holds for one region.
    pub fn entry_count_in(&self, region: &str) -> usize {
        self.entries.values().filter(|by_region| by_region.contains_key(region)).count()
    }

    /// The date shown for figures read from files of one kind: the newest date of those files, else
    /// the overlay's.
    fn date_of(&self, kind: PriceFileKind) -> &str {
        self.sources.iter().filter(|s| s.kind == kind).filter_map(|s| s.date.as_deref()).max().unwrap_or(&self.date)
    }

    /// The commands the overlay's files came from, once each, in their order.
    pub fn commands(&self) -> Vec<&'static str> {
        let mut kinds: Vec<PriceFileKind> = self.sources.iter().map(|s| s.kind).collect();
        kinds.sort();
        kinds.dedup();
        kinds.into_iter().map(PriceFileKind::command).collect()
    }

    /// Problems with the overlay's values, as (field path below the overlay, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if !is_iso_date(&self.date) {
            out.push(("date".to_string(), format!("{:?} is not a date such as 2026-12-01", self.date)));
        }
        for (i, s) in self.sources.iter().enumerate() {
            if let Some(date) = s.date.as_deref().filter(|d| !is_iso_date(d)) {
                out.push((format!("sources[{i}].date"), format!("{date:?} is not a date such as 2026-12-01")));
            }
        }
        let bad = |x: f64| !(x.is_finite() && x >= 0.0);
        for (instance_type, by_region) in &self.entries {
            for (region, rates) in by_region {
                let at = |field: &str| format!("entries.{instance_type}.{region}.{field}");
                for (field, value) in [("onDemand", rates.on_demand), ("spot", rates.spot)] {
                    if let Some(x) = value.filter(|x| bad(*x)) {
                        out.push((at(field), format!("{x} is not a price (USD per hour, 0 or more)")));
                    }
                }
                for (j, c) in rates.savings_plans.iter().enumerate() {
                    if bad(c.usd_per_hour) {
                        out.push((
                            at(&format!("savingsPlans[{j}].usdPerHour")),
                            format!("{} is not a price (USD per hour, 0 or more)", c.usd_per_hour),
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Whether a text is a calendar date written `YYYY-MM-DD`.
pub fn is_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    match (number(0..4), number(5..7).and_then(|m| u8::try_from(m).ok()), number(8..10)) {
        (Some(year), Some(month), Some(day)) => time::Month::try_from(month)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(year as i32, m, day as u8).ok())
            .is_some(),
        _ => false,
    }
}

/// Prices as a plan sees them: its overlay's figures first, the built-in snapshot's otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub struct PriceBook<'a> {
    pub overlay: Option<&'a PriceOverlay>,
}

impl<'a> PriceBook<'a> {
    /// The built-in snapshot alone.
    pub fn catalog() -> PriceBook<'static> {
        PriceBook { overlay: None }
    }

    pub fn with_overlay(overlay: Option<&'a PriceOverlay>) -> PriceBook<'a> {
        PriceBook { overlay }
    }

    /// The price of an instance-hour: the overlay's when it has one for this type, region and
    /// capacity type, else the snapshot's ([`price`]). Reserved capacity costs the on-demand rate.
    pub fn price(&self, instance_type: &str, region: &str, capacity: CapacityType) -> Option<Price<'a>> {
        if let Some(overlay) = self.overlay {
            if let Some(rates) = overlay.rates(instance_type, region) {
                let (figure, kind) = match capacity {
                    CapacityType::Spot => (rates.spot, PriceFileKind::SpotPriceHistory),
                    CapacityType::OnDemand | CapacityType::Reserved => {
                        (rates.on_demand, PriceFileKind::PricingGetProducts)
                    }
                };
                if let Some(usd_per_hour) = figure {
                    return Some(Price {
                        usd_per_hour,
                        source: PriceSource::Overlay { date: overlay.date_of(kind), kind },
                    });
                }
            }
        }
        price(instance_type, region, capacity)
    }

    /// Which prices a result in `region` used, for its output.
    pub fn used(&self, region: &str) -> PricesUsed {
        let catalog = format!("catalog snapshot {CATALOG_SNAPSHOT_DATE}");
        match self.overlay {
            Some(o) => {
                let entries = o.entry_count_in(region);
                PricesUsed {
                    overlay_date: Some(o.date.clone()),
                    overlay_entries: entries,
                    note: format!(
                        "overlay {} ({}) for {entries} {} in {region}, otherwise {catalog}",
                        o.date,
                        o.commands().join(", "),
                        if entries == 1 { "entry" } else { "entries" }
                    ),
                }
            }
            None => PricesUsed { overlay_date: None, overlay_entries: 0, note: catalog },
        }
    }
}

/// The prices a result was computed with: shown as a `prices` line or field next to its costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PricesUsed {
    /// The overlay's snapshot date, when one was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlay_date: Option<String>,
    /// How many of the overlay's entries are in the result's region.
    #[serde(skip_serializing_if = "is_zero")]
    pub overlay_entries: usize,
    /// `overlay 2026-12-01 (aws pricing get-products) for 12 entries in us-east-1, otherwise catalog
    /// snapshot 2026-07-20`.
    pub note: String,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

type Key = (String, String);

struct Prices {
    ondemand: BTreeMap<Key, Price<'static>>,
    spot_median: BTreeMap<Key, Price<'static>>,
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
            ondemand.insert(key, Price { usd_per_hour, source: PriceSource::Catalog(source) });
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
            spot_median.insert(
                key,
                Price { usd_per_hour, source: PriceSource::Catalog("skypilot-catalog v8 spot snapshot (AZ median)") },
            );
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
/// Callers that price a plan go through its [`PriceBook`] (`Plan::prices`), which applies the plan's
/// overlay first.
pub fn price(instance_type: &str, region: &str, capacity: CapacityType) -> Option<Price<'static>> {
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

    /// The app's import panel tells an overlay from a plan or Kubernetes YAML, and a bad overlay's
    /// error names the file, line and field.
    #[test]
    fn an_overlay_is_recognised_and_read_with_its_errors_located() {
        let yaml = "date: 2026-12-01\nentries:\n  g5.xlarge:\n    us-east-1:\n      onDemand: 1.2\n";
        assert!(PriceOverlay::looks_like(yaml));
        assert!(PriceOverlay::looks_like(r#"{"date":"2026-12-01","entries":{}}"#));
        let plan = format!("apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nspec:\n  prices:\n{yaml}");
        assert!(!PriceOverlay::looks_like(&plan));
        assert!(!PriceOverlay::looks_like("apiVersion: karpenter.sh/v1\nkind: NodePool\n"));
        let overlay = PriceOverlay::from_text("p.yaml", yaml).unwrap();
        assert_eq!(overlay.rates("g5.xlarge", "us-east-1").and_then(|r| r.on_demand), Some(1.2));
        let e = PriceOverlay::from_text("p.yaml", &yaml.replace("1.2", "-1")).unwrap_err();
        assert_eq!(e, "p.yaml: entries.g5.xlarge.us-east-1.onDemand: -1 is not a price (USD per hour, 0 or more)");
        let e = PriceOverlay::from_text("p.yaml", &yaml.replace("onDemand", "ondemand")).unwrap_err();
        assert!(e.starts_with("p.yaml:5: entries.g5.xlarge.us-east-1.ondemand: unknown field"), "{e}");
    }

    #[test]
    fn an_overlay_in_json_or_after_a_document_marker_is_read() {
        let json = r#"{"date": "2026-12-01", "entries": {"g5.xlarge": {"us-east-1": {"spot": 0.5}}}}"#;
        assert_eq!(
            PriceOverlay::from_text("p.json", json).unwrap().rates("g5.xlarge", "us-east-1").unwrap().spot,
            Some(0.5)
        );
        let yaml = "---\ndate: 2026-12-01\nentries: {}\n";
        assert_eq!(PriceOverlay::from_text("p.yaml", yaml).unwrap().date, "2026-12-01");
        let e = PriceOverlay::from_text("p.yaml", "---\ndate: 2026-12-01\nentries: [1]\n").unwrap_err();
        assert!(e.starts_with("p.yaml:3: entries: "), "{e}");
        assert_eq!(PriceOverlay::from_text("p.yaml", "").unwrap_err(), "p.yaml: the price overlay is empty");
        assert!(PriceOverlay::from_text("p.yaml", "date: [").is_err());
    }

    #[test]
    fn known_prices() {
        let od = price("g5.xlarge", "us-east-1", CapacityType::OnDemand).unwrap();
        assert!((od.usd_per_hour - 1.006).abs() < 1e-9, "{od:?}");
        let spot = price("g4dn.xlarge", "us-east-1", CapacityType::Spot).unwrap();
        assert!((spot.usd_per_hour - 0.2039).abs() < 1e-9);
        assert_eq!(price("g5.xlarge", "mars-1", CapacityType::OnDemand), None);
    }

    fn overlay() -> PriceOverlay {
        let rates = OverlayRates { on_demand: Some(2.5), spot: None, savings_plans: vec![] };
        PriceOverlay {
            date: "2026-12-01".into(),
            sources: vec![PriceOverlaySource {
                file: "products.json".into(),
                kind: PriceFileKind::PricingGetProducts,
                date: Some("2026-11-28".into()),
            }],
            entries: BTreeMap::from([("g5.xlarge".into(), BTreeMap::from([("us-east-1".into(), rates)]))]),
        }
    }

    #[test]
    fn an_overlay_overrides_the_entries_it_holds_and_only_those() {
        let overlay = overlay();
        let book = PriceBook::with_overlay(Some(&overlay));
        let od = book.price("g5.xlarge", "us-east-1", CapacityType::OnDemand).unwrap();
        assert_eq!(od.usd_per_hour, 2.5);
        assert_eq!(od.source.to_string(), "overlay 2026-11-28 (aws pricing get-products)");
        // Reserved capacity costs the on-demand rate, the overlay's here.
        assert_eq!(book.price("g5.xlarge", "us-east-1", CapacityType::Reserved).unwrap().usd_per_hour, 2.5);
        // The overlay has no spot figure, no other region and no other type: the snapshot answers.
        for (t, region, c) in [
            ("g5.xlarge", "us-east-1", CapacityType::Spot),
            ("g5.xlarge", "us-west-2", CapacityType::OnDemand),
            ("g4dn.xlarge", "us-east-1", CapacityType::OnDemand),
        ] {
            assert_eq!(book.price(t, region, c), price(t, region, c), "{t} {region} {c:?}");
            assert!(matches!(book.price(t, region, c).unwrap().source, PriceSource::Catalog(_)));
        }
        assert_eq!(
            PriceBook::catalog().price("g5.xlarge", "us-east-1", CapacityType::OnDemand).unwrap().usd_per_hour,
            1.006
        );
    }

    #[test]
    fn results_name_the_prices_they_used() {
        let overlay = overlay();
        let used = PriceBook::with_overlay(Some(&overlay)).used("us-east-1");
        assert_eq!(
            used.note,
            "overlay 2026-12-01 (aws pricing get-products) for 1 entry in us-east-1, otherwise catalog snapshot 2026-07-20"
        );
        assert_eq!(used.overlay_date.as_deref(), Some("2026-12-01"));
        assert_eq!(PriceBook::catalog().used("us-east-1").note, "catalog snapshot 2026-07-20");
    }

    #[test]
    fn overlay_problems_name_their_field() {
        let mut overlay = overlay();
        overlay.date = "2026-13-01".into();
        overlay.entries.get_mut("g5.xlarge").unwrap().get_mut("us-east-1").unwrap().spot = Some(-1.0);
        let fields: Vec<String> = overlay.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["date", "entries.g5.xlarge.us-east-1.spot"]);
        assert!(is_iso_date("2024-02-29") && !is_iso_date("2023-02-29") && !is_iso_date("2026-1-01"));
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
