//! The import over small AWS CLI outputs: the rows kept, the rows skipped, the dates and the errors.

use super::*;

/// A `get-products` product as the CLI prints it: a JSON document inside a string.
fn product(instance_type: &str, region: &str, os: &str, tenancy: &str, status: &str, usd: &str) -> String {
    let json = format!(
        r#"{{"product":{{"productFamily":"Compute Instance","attributes":{{"instanceType":"{instance_type}","regionCode":"{region}","operatingSystem":"{os}","tenancy":"{tenancy}","preInstalledSw":"NA","capacitystatus":"{status}","licenseModel":"No License required"}},"sku":"SKU1"}},"serviceCode":"AmazonEC2","terms":{{"OnDemand":{{"SKU1.JRTCKXETXF":{{"priceDimensions":{{"SKU1.JRTCKXETXF.6YS6EN2CT7":{{"unit":"Hrs","pricePerUnit":{{"USD":"{usd}"}}}}}},"effectiveDate":"2026-11-01T00:00:00Z"}}}}}},"publicationDate":"2026-11-28T21:48:25Z"}}"#
    );
    serde_json::to_string(&json).unwrap()
}

fn products() -> String {
    let rows = [
        product("g6.xlarge", "us-east-1", "Linux", "Shared", "Used", "0.7500000000"),
        product("g6.xlarge", "us-east-1", "Windows", "Shared", "Used", "1.1200000000"),
        product("g6.xlarge", "us-east-1", "Linux", "Dedicated", "Used", "0.9000000000"),
        product("g6.xlarge", "us-east-1", "Linux", "Shared", "UnusedCapacityReservation", "0.7500000000"),
        product("p5.48xlarge", "us-west-2", "Linux", "Shared", "Used", "55.0400000000"),
    ];
    format!("{{\n  \"FormatVersion\": \"aws_v1\",\n  \"PriceList\": [\n    {}\n  ]\n}}\n", rows.join(",\n    "))
}

const SPOT: &str = r#"{
    "SpotPriceHistory": [
        {"AvailabilityZone": "us-east-1a", "InstanceType": "g6.xlarge", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.300000", "Timestamp": "2026-11-30T08:00:00+00:00"},
        {"AvailabilityZone": "us-east-1a", "InstanceType": "g6.xlarge", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.250000", "Timestamp": "2026-12-01T07:00:00+00:00"},
        {"AvailabilityZone": "us-east-1b", "InstanceType": "g6.xlarge", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.310000", "Timestamp": "2026-11-29T10:00:00+00:00"},
        {"AvailabilityZone": "us-east-1c", "InstanceType": "g6.xlarge", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.400000", "Timestamp": "2026-11-29T11:00:00+00:00"},
        {"AvailabilityZone": "us-east-1c", "InstanceType": "g6.xlarge", "ProductDescription": "Windows", "SpotPrice": "0.900000", "Timestamp": "2026-12-01T09:00:00+00:00"},
        {"AvailabilityZone": "us-west-2-lax-1a", "InstanceType": "g6.xlarge", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.500000", "Timestamp": "2026-11-30T09:00:00+00:00"}
    ]
}"#;

const SAVINGS_PLANS: &str = r#"{
    "searchResults": [
        {"savingsPlanOffering": {"offeringId": "o-1", "paymentOption": "No Upfront", "planType": "Compute", "durationSeconds": 31536000, "currency": "USD", "planDescription": "1 year No Upfront Compute Savings Plan"},
         "rate": "0.5200", "currency": "USD", "unit": "Hrs", "productType": "EC2", "serviceCode": "AmazonEC2", "usageType": "BoxUsage:g6.xlarge", "operation": "RunInstances",
         "properties": [{"name": "instanceType", "value": "g6.xlarge"}, {"name": "region", "value": "us-east-1"}, {"name": "tenancy", "value": "shared"}, {"name": "productDescription", "value": "Linux/UNIX"}]},
        {"savingsPlanOffering": {"offeringId": "o-1", "paymentOption": "No Upfront", "planType": "Compute", "durationSeconds": 31536000, "currency": "USD"},
         "rate": "0.8800", "currency": "USD", "unit": "Hrs", "productType": "EC2", "serviceCode": "AmazonEC2", "usageType": "BoxUsage:g6.xlarge", "operation": "RunInstances:0002",
         "properties": [{"name": "instanceType", "value": "g6.xlarge"}, {"name": "region", "value": "us-east-1"}, {"name": "tenancy", "value": "shared"}, {"name": "productDescription", "value": "Windows"}]},
        {"savingsPlanOffering": {"offeringId": "o-2", "paymentOption": "All Upfront", "planType": "EC2Instance", "durationSeconds": 94608000, "currency": "USD"},
         "rate": "0.3300", "currency": "USD", "unit": "Hrs", "productType": "EC2", "serviceCode": "AmazonEC2", "usageType": "DedicatedUsage:g6.xlarge", "operation": "RunInstances",
         "properties": [{"name": "instanceType", "value": "g6.xlarge"}, {"name": "region", "value": "us-east-1"}, {"name": "tenancy", "value": "dedicated"}, {"name": "productDescription", "value": "Linux/UNIX"}]}
    ]
}"#;

fn import(files: &[(&str, &str)], date: Option<&str>) -> Result<PriceOverlay, PriceImportError> {
    let files: Vec<PriceFile<'_>> = files.iter().map(|(name, text)| PriceFile { name, text }).collect();
    import_prices(&files, date)
}

#[test]
fn keeps_linux_shared_used_rows_and_skips_the_rest() {
    let products = products();
    let overlay =
        import(&[("products.json", &products), ("spot.json", SPOT), ("sp.json", SAVINGS_PLANS)], None).unwrap();
    let g6 = overlay.rates("g6.xlarge", "us-east-1").unwrap();
    assert_eq!(g6.on_demand, Some(0.75));
    // Latest per zone: 1a 0.25 (Dec 1), 1b 0.31, 1c 0.40 (the Windows row and the Local Zone skipped).
    assert_eq!(g6.spot, Some(0.31));
    assert_eq!(
        g6.savings_plans,
        vec![CommittedRate {
            plan_type: "Compute".into(),
            term_years: 1,
            payment_option: "No Upfront".into(),
            usd_per_hour: 0.52
        }]
    );
    assert_eq!(overlay.rates("p5.48xlarge", "us-west-2").unwrap().on_demand, Some(55.04));
    assert_eq!(overlay.entry_count(), 2);
    assert!(overlay.rates("g6.xlarge", "us-west-2").is_none(), "a Local Zone is not its region");
    // The newest date seen: the spot history's Dec 1 beats the price list's Nov 28.
    assert_eq!(overlay.date, "2026-12-01");
    let kinds: Vec<(PriceFileKind, Option<&str>)> =
        overlay.sources.iter().map(|s| (s.kind, s.date.as_deref())).collect();
    assert_eq!(
        kinds,
        vec![
            (PriceFileKind::PricingGetProducts, Some("2026-11-28")),
            (PriceFileKind::SpotPriceHistory, Some("2026-12-01")),
            (PriceFileKind::SavingsPlansOfferingRates, None),
        ]
    );
    assert!(overlay.problems().is_empty());
}

#[test]
fn an_even_number_of_zones_takes_the_mean_of_the_middle_two() {
    assert_eq!(median(vec![0.4, 0.2, 0.3, 0.1]), Some(0.25));
    assert_eq!(median(vec![]), None);
}

#[test]
fn savings_plans_alone_need_an_import_date() {
    let e = import(&[("sp.json", SAVINGS_PLANS)], None).unwrap_err();
    assert!(e.message.contains("--date"), "{e}");
    let overlay = import(&[("sp.json", SAVINGS_PLANS)], Some("2026-12-03")).unwrap();
    assert_eq!(overlay.date, "2026-12-03");
    assert!(import(&[("sp.json", SAVINGS_PLANS)], Some("3 Dec")).is_err());
}

#[test]
fn a_bad_spot_price_names_the_file_field_and_line() {
    let bad = SPOT.replace("\"0.310000\"", "\"cheap\"");
    let e = import(&[("spot.json", &bad)], None).unwrap_err();
    assert_eq!((e.file.as_str(), e.field.as_str(), e.line), ("spot.json", "SpotPriceHistory[2].SpotPrice", Some(5)));
    assert!(e.to_string().starts_with("spot.json:5: SpotPriceHistory[2].SpotPrice: \"cheap\""), "{e}");
}

#[test]
fn a_missing_price_per_unit_names_the_product() {
    let products = products().replace(r#"\"USD\":\"55.0400000000\""#, r#"\"EUR\":\"50\""#);
    let e = import(&[("products.json", &products)], None).unwrap_err();
    assert_eq!(
        e.field,
        "PriceList[4].terms.OnDemand.SKU1.JRTCKXETXF.priceDimensions.SKU1.JRTCKXETXF.6YS6EN2CT7.pricePerUnit.USD"
    );
    assert_eq!(e.line, Some(8));
}

#[test]
fn unknown_shapes_and_broken_json_are_refused() {
    let e = import(&[("x.json", r#"{"Reservations": []}"#)], None).unwrap_err();
    assert!(e.message.contains("PriceList"), "{e}");
    let e = import(&[("x.json", "{\n  \"SpotPriceHistory\": [\n    {\"AvailabilityZone\": }\n]}")], None).unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
    let e = import(&[("sp.json", &SAVINGS_PLANS.replace("31536000", "42"))], Some("2026-12-01")).unwrap_err();
    assert_eq!(e.field, "searchResults[0].savingsPlanOffering.durationSeconds");
}

#[test]
fn zones_name_their_region() {
    assert_eq!(region_of_zone("ap-northeast-1d").as_deref(), Some("ap-northeast-1"));
    assert_eq!(region_of_zone("us-west-2-lax-1a"), None);
}
