//! Reading what the AWS CLI prints into a [`PriceOverlay`]: `aws pricing get-products` (on-demand),
//! `aws ec2 describe-spot-price-history` (spot) and `aws savingsplans
//! describe-savings-plans-offering-rates` (committed rates). No IO: the shell reads the files.
//!
//! Each file's kind is told by its shape (`PriceList`, `SpotPriceHistory`, `searchResults`). Only
//! rows for Linux, shared tenancy and no pre-installed software count; the rest (Windows, dedicated
//! hosts, unused capacity reservations, SageMaker plans) is skipped, as the catalog's figures are for
//! that case alone. Spot is each availability zone's latest price, then the median over the zones of
//! a region, as the built-in snapshot does. An error names the file, the field and its line.

use std::collections::BTreeMap;
use std::fmt;

use super::prices::{is_iso_date, CommittedRate, OverlayRates, PriceFileKind, PriceOverlay, PriceOverlaySource};
use crate::yaml::{self, Node, Value};

/// One input file: its name (as the user gave it) and its text.
#[derive(Debug, Clone, Copy)]
pub struct PriceFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// Why an input could not be imported: the file, the field path inside it, its line, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceImportError {
    pub file: String,
    /// The field path (`SpotPriceHistory[2].SpotPrice`); empty for errors in the JSON itself.
    pub field: String,
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for PriceImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for PriceImportError {}

/// Savings Plans terms the API reports, in seconds.
const ONE_YEAR_S: u64 = 31_536_000;
const THREE_YEARS_S: u64 = 94_608_000;

/// (instance type, region).
type Key = (String, String);

/// What the files held, before the overlay is built.
#[derive(Default)]
struct Collected {
    on_demand: BTreeMap<Key, f64>,
    /// (type, region) → zone → (latest timestamp, price).
    spot: BTreeMap<Key, BTreeMap<String, (i64, f64)>>,
    savings_plans: BTreeMap<Key, Vec<CommittedRate>>,
    sources: Vec<PriceOverlaySource>,
}

/// Builds an overlay from AWS CLI output files. `import_date` (`YYYY-MM-DD`) dates the overlay when
/// no file holds a date (Savings Plans rates carry none); otherwise the newest date seen is used.
pub fn import_prices(files: &[PriceFile<'_>], import_date: Option<&str>) -> Result<PriceOverlay, PriceImportError> {
    let mut collected = Collected::default();
    for file in files {
        read_file(file, &mut collected)?;
    }
    let newest = collected.sources.iter().filter_map(|s| s.date.clone()).max();
    let date = match (newest, import_date) {
        (Some(date), _) => date,
        (None, Some(date)) if is_iso_date(date) => date.to_string(),
        (None, Some(date)) => {
            return Err(PriceImportError {
                file: "--date".into(),
                field: String::new(),
                line: None,
                message: format!("{date:?} is not a date such as 2026-12-01"),
            })
        }
        (None, None) => {
            return Err(PriceImportError {
                file: files.iter().map(|f| f.name).collect::<Vec<_>>().join(", "),
                field: String::new(),
                line: None,
                message: "no file holds a date (Savings Plans rates carry none); give the date the rates were \
                          fetched with --date YYYY-MM-DD"
                    .into(),
            })
        }
    };
    let mut entries: BTreeMap<String, BTreeMap<String, OverlayRates>> = BTreeMap::new();
    fn slot<'e>(
        entries: &'e mut BTreeMap<String, BTreeMap<String, OverlayRates>>,
        (t, r): &Key,
    ) -> &'e mut OverlayRates {
        entries.entry(t.clone()).or_default().entry(r.clone()).or_default()
    }
    for (key, usd) in &collected.on_demand {
        slot(&mut entries, key).on_demand = Some(*usd);
    }
    for (key, zones) in &collected.spot {
        let prices: Vec<f64> = zones.values().map(|(_, usd)| *usd).collect();
        slot(&mut entries, key).spot = median(prices);
    }
    for (key, mut rates) in collected.savings_plans {
        rates.sort_by(|a, b| {
            (&a.plan_type, a.term_years, &a.payment_option)
                .cmp(&(&b.plan_type, b.term_years, &b.payment_option))
                .then(a.usd_per_hour.total_cmp(&b.usd_per_hour))
        });
        rates.dedup_by(|a, b| {
            (&a.plan_type, a.term_years, &a.payment_option) == (&b.plan_type, b.term_years, &b.payment_option)
        });
        slot(&mut entries, &key).savings_plans = rates;
    }
    Ok(PriceOverlay { date, sources: collected.sources, entries })
}

/// The median of some prices, rounded to 6 decimals (spot prices have at most 4); `None` when empty.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let m = match n {
        0 => return None,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    };
    Some((m * 1e6).round() / 1e6)
}

/// The kind of a parsed AWS CLI output, told by its top-level key.
pub fn detect_kind(root: &Node) -> Option<PriceFileKind> {
    match &root.value {
        Value::Map(entries) => entries.iter().find_map(|(k, _)| match k.as_str() {
            "PriceList" => Some(PriceFileKind::PricingGetProducts),
            "SpotPriceHistory" => Some(PriceFileKind::SpotPriceHistory),
            "searchResults" => Some(PriceFileKind::SavingsPlansOfferingRates),
            _ => None,
        }),
        _ => None,
    }
}

fn read_file(file: &PriceFile<'_>, out: &mut Collected) -> Result<(), PriceImportError> {
    let fail = |field: &str, line: Option<u64>, message: String| PriceImportError {
        file: file.name.to_string(),
        field: field.to_string(),
        line,
        message,
    };
    let root = yaml::parse_document(file.text)
        .map_err(|e| fail("", Some(e.line).filter(|l| *l > 0), format!("not valid JSON: {}", e.message)))?;
    let Some(kind) = detect_kind(&root) else {
        return Err(fail(
            "",
            Some(root.line),
            "not a file the import knows: expected the JSON of `aws pricing get-products` (PriceList), `aws ec2 \
             describe-spot-price-history` (SpotPriceHistory) or `aws savingsplans \
             describe-savings-plans-offering-rates` (searchResults)"
                .into(),
        ));
    };
    let mut reader = Reader { file: file.name, newest: None };
    match kind {
        PriceFileKind::PricingGetProducts => reader.products(&root, out)?,
        PriceFileKind::SpotPriceHistory => reader.spot(&root, out)?,
        PriceFileKind::SavingsPlansOfferingRates => reader.savings_plans(&root, out)?,
    }
    out.sources.push(PriceOverlaySource { file: file.name.to_string(), kind, date: reader.newest.map(date_of_epoch) });
    Ok(())
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
fn date_of_epoch(epoch_s: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch_s)
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default()
}

/// Seconds since the Unix epoch of an RFC 3339 date-time.
fn epoch_of(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

struct Reader<'a> {
    file: &'a str,
    /// The newest date-time seen, as Unix seconds.
    newest: Option<i64>,
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.value {
        Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn text(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

impl Reader<'_> {
    fn error(&self, field: &str, line: u64, message: impl Into<String>) -> PriceImportError {
        PriceImportError {
            file: self.file.to_string(),
            field: field.to_string(),
            line: Some(line),
            message: message.into(),
        }
    }

    fn seen(&mut self, epoch_s: i64) {
        self.newest = Some(self.newest.map_or(epoch_s, |n| n.max(epoch_s)));
    }

    /// The list under `key` of the root.
    fn list<'n>(&self, root: &'n Node, key: &str) -> Result<&'n [Node], PriceImportError> {
        match get(root, key).map(|n| (n, &n.value)) {
            Some((_, Value::Seq(items))) => Ok(items),
            Some((_, Value::Null)) => Ok(&[]),
            Some((n, _)) => Err(self.error(key, n.line, "expected a list")),
            None => Err(self.error(key, root.line, "missing")),
        }
    }

    /// A string field of a record.
    fn field<'n>(&self, record: &'n Node, at: &str, key: &str) -> Result<&'n str, PriceImportError> {
        match get(record, key) {
            Some(n) => text(n).ok_or_else(|| self.error(&format!("{at}.{key}"), n.line, "expected a string")),
            None => Err(self.error(&format!("{at}.{key}"), record.line, "missing")),
        }
    }

    /// A price written as a decimal string (`"1.2340000000"`).
    fn usd(&self, value: &str, at: &str, line: u64) -> Result<f64, PriceImportError> {
        match value.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(self.error(at, line, format!("{value:?} is not a price in USD (a decimal number, 0 or more)"))),
        }
    }

    fn products(&mut self, root: &Node, out: &mut Collected) -> Result<(), PriceImportError> {
        for (i, item) in self.list(root, "PriceList")?.iter().enumerate() {
            let at = format!("PriceList[{i}]");
            // The CLI prints each product as a JSON document inside a string.
            let Some(json) = text(item) else {
                return Err(self.error(&at, item.line, "expected a string holding a product's JSON"));
            };
            let product: serde_json::Value = serde_json::from_str(json)
                .map_err(|e| self.error(&at, item.line, format!("the product is not valid JSON: {e}")))?;
            if let Some((key, usd)) = self.product(&product, &at, item.line)? {
                out.on_demand.insert(key, usd);
            }
        }
        Ok(())
    }

    /// One product of `get-products`: its (type, region) and on-demand USD/hour, or `None` for a row
    /// that is not Linux, shared tenancy, no pre-installed software and used capacity.
    fn product(
        &mut self,
        product: &serde_json::Value,
        at: &str,
        line: u64,
    ) -> Result<Option<(Key, f64)>, PriceImportError> {
        let attributes = &product["product"]["attributes"];
        if !attributes.is_object() {
            return Err(self.error(&format!("{at}.product.attributes"), line, "missing"));
        }
        let attribute = |name: &str| attributes[name].as_str();
        let wanted =
            [("operatingSystem", "Linux"), ("tenancy", "Shared"), ("preInstalledSw", "NA"), ("capacitystatus", "Used")];
        if wanted.iter().any(|(name, value)| attribute(name) != Some(value))
            || attribute("licenseModel").is_some_and(|l| l != "No License required")
            || attribute("marketoption").is_some_and(|m| m != "OnDemand")
        {
            return Ok(None);
        }
        let Some(instance_type) = attribute("instanceType").filter(|t| !t.is_empty()) else {
            return Err(self.error(&format!("{at}.product.attributes.instanceType"), line, "missing"));
        };
        let region = match (attribute("regionCode"), attribute("location")) {
            (Some(code), _) if !code.is_empty() => code.to_string(),
            (_, Some(location)) => match region_of_location(location) {
                Some(code) => code.to_string(),
                // A location the import cannot name (a Local Zone, a new region): not a catalog region.
                None => return Ok(None),
            },
            _ => return Err(self.error(&format!("{at}.product.attributes.regionCode"), line, "missing")),
        };
        if let Some(epoch_s) = product["publicationDate"].as_str().and_then(epoch_of) {
            self.seen(epoch_s);
        }
        let Some(terms) = product["terms"]["OnDemand"].as_object() else {
            return Err(self.error(
                &format!("{at}.terms.OnDemand"),
                line,
                "missing: the product has no on-demand term",
            ));
        };
        for (term_code, term) in terms {
            let Some(dimensions) = term["priceDimensions"].as_object() else {
                return Err(self.error(&format!("{at}.terms.OnDemand.{term_code}.priceDimensions"), line, "missing"));
            };
            for (rate_code, dimension) in dimensions {
                let path = format!("{at}.terms.OnDemand.{term_code}.priceDimensions.{rate_code}");
                if dimension["unit"].as_str().is_some_and(|u| u != "Hrs") {
                    continue;
                }
                let Some(usd) = dimension["pricePerUnit"]["USD"].as_str() else {
                    return Err(self.error(&format!("{path}.pricePerUnit.USD"), line, "missing"));
                };
                let usd = self.usd(usd, &format!("{path}.pricePerUnit.USD"), line)?;
                return Ok(Some(((instance_type.to_string(), region), usd)));
            }
        }
        Err(self.error(&format!("{at}.terms.OnDemand"), line, "no hourly price dimension (unit Hrs)"))
    }

    fn spot(&mut self, root: &Node, out: &mut Collected) -> Result<(), PriceImportError> {
        for (i, record) in self.list(root, "SpotPriceHistory")?.iter().enumerate() {
            let at = format!("SpotPriceHistory[{i}]");
            let description = self.field(record, &at, "ProductDescription")?;
            if !matches!(description, "Linux/UNIX" | "Linux/UNIX (Amazon VPC)") {
                continue;
            }
            let zone = self.field(record, &at, "AvailabilityZone")?;
            let instance_type = self.field(record, &at, "InstanceType")?;
            let price_text = self.field(record, &at, "SpotPrice")?;
            let price_line = get(record, "SpotPrice").map_or(record.line, |n| n.line);
            let usd = self.usd(price_text, &format!("{at}.SpotPrice"), price_line)?;
            let stamp = self.field(record, &at, "Timestamp")?;
            let Some(epoch_s) = epoch_of(stamp) else {
                let line = get(record, "Timestamp").map_or(record.line, |n| n.line);
                return Err(self.error(
                    &format!("{at}.Timestamp"),
                    line,
                    format!("{stamp:?} is not a date-time such as 2026-12-01T08:00:00+00:00"),
                ));
            };
            self.seen(epoch_s);
            let Some(region) = region_of_zone(zone) else {
                // Local Zones and Wavelength Zones (us-west-2-lax-1a) are priced apart from the region.
                continue;
            };
            let zones = out.spot.entry((instance_type.to_string(), region)).or_default();
            let latest = zones.entry(zone.to_string()).or_insert((epoch_s, usd));
            if epoch_s > latest.0 {
                *latest = (epoch_s, usd);
            }
        }
        Ok(())
    }

    fn savings_plans(&mut self, root: &Node, out: &mut Collected) -> Result<(), PriceImportError> {
        for (i, result) in self.list(root, "searchResults")?.iter().enumerate() {
            let at = format!("searchResults[{i}]");
            let Some(offering) = get(result, "savingsPlanOffering") else {
                return Err(self.error(&format!("{at}.savingsPlanOffering"), result.line, "missing"));
            };
            let offering_at = format!("{at}.savingsPlanOffering");
            let plan_type = self.field(offering, &offering_at, "planType")?;
            let product_type = get(result, "productType").and_then(text);
            let operation = get(result, "operation").and_then(text);
            let unit = get(result, "unit").and_then(text);
            let mut properties = BTreeMap::new();
            if let Some(Value::Seq(list)) = get(result, "properties").map(|n| &n.value) {
                for p in list {
                    if let (Some(name), Some(value)) = (get(p, "name").and_then(text), get(p, "value").and_then(text)) {
                        properties.insert(name, value);
                    }
                }
            }
            // Linux on shared tenancy: RunInstances without a platform suffix (Windows is
            // RunInstances:0002), per hour, on an EC2 instance plan.
            let skip = !matches!(plan_type, "Compute" | "EC2Instance")
                || product_type.is_some_and(|p| p != "EC2")
                || operation.is_some_and(|o| o != "RunInstances")
                || unit.is_some_and(|u| u != "Hrs")
                || properties.get("tenancy").is_some_and(|t| !t.eq_ignore_ascii_case("shared"))
                || properties.get("productDescription").is_some_and(|d| *d != "Linux/UNIX");
            if skip {
                continue;
            }
            let Some(instance_type) = properties.get("instanceType") else {
                return Err(self.error(&format!("{at}.properties"), result.line, "no instanceType property"));
            };
            let Some(region) = properties.get("region") else {
                return Err(self.error(&format!("{at}.properties"), result.line, "no region property"));
            };
            let rate_line = get(result, "rate").map_or(result.line, |n| n.line);
            let usd = self.usd(self.field(result, &at, "rate")?, &format!("{at}.rate"), rate_line)?;
            let payment_option = self.field(offering, &offering_at, "paymentOption")?;
            let duration_line = get(offering, "durationSeconds").map_or(offering.line, |n| n.line);
            let term_years = match get(offering, "durationSeconds").map(|n| &n.value) {
                Some(Value::Int(s)) if *s as u64 == ONE_YEAR_S => 1,
                Some(Value::Int(s)) if *s as u64 == THREE_YEARS_S => 3,
                _ => {
                    return Err(self.error(
                        &format!("{offering_at}.durationSeconds"),
                        duration_line,
                        format!("expected {ONE_YEAR_S} (1 year) or {THREE_YEARS_S} (3 years)"),
                    ))
                }
            };
            out.savings_plans.entry((instance_type.to_string(), region.to_string())).or_default().push(CommittedRate {
                plan_type: plan_type.to_string(),
                term_years,
                payment_option: payment_option.to_string(),
                usd_per_hour: usd,
            });
        }
        Ok(())
    }
}

/// The region of an availability zone (`us-east-1a` → `us-east-1`); `None` for a Local Zone or a
/// Wavelength Zone (`us-west-2-lax-1a`), which are priced apart.
fn region_of_zone(zone: &str) -> Option<String> {
    let region = zone.strip_suffix(|c: char| c.is_ascii_lowercase())?;
    let parts: Vec<&str> = region.split('-').collect();
    (parts.len() == 3 && parts[2].chars().all(|c| c.is_ascii_digit())).then(|| region.to_string())
}

/// Region codes of the price list's `location` names, for output that lacks `regionCode`.
fn region_of_location(location: &str) -> Option<&'static str> {
    Some(match location {
        "US East (N. Virginia)" => "us-east-1",
        "US East (Ohio)" => "us-east-2",
        "US West (N. California)" => "us-west-1",
        "US West (Oregon)" => "us-west-2",
        "EU (Ireland)" | "Europe (Ireland)" => "eu-west-1",
        "EU (Frankfurt)" | "Europe (Frankfurt)" => "eu-central-1",
        "EU (London)" | "Europe (London)" => "eu-west-2",
        "Asia Pacific (Tokyo)" => "ap-northeast-1",
        "Asia Pacific (Seoul)" => "ap-northeast-2",
        "Asia Pacific (Singapore)" => "ap-southeast-1",
        "Asia Pacific (Sydney)" => "ap-southeast-2",
        "Asia Pacific (Mumbai)" => "ap-south-1",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
