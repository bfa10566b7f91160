//! TF003 (weights against cost) judges a plan's pools at the plan's prices: its overlay first.

use crate::catalog::{OverlayRates, PriceOverlay};
use crate::plan::parse_plan;

/// Two on-demand pools: g6.xlarge (catalog 0.8048 USD/hour) weighted above g5.xlarge (1.006).
const PLAN: &str = "apiVersion: tokenfleet.dev/v1alpha1
kind: Plan
metadata:
  name: weights
spec:
  region: us-east-1
  nodePools:
    - name: l4
      weight: 90
      capacityTypes: [on-demand]
      instanceTypes: [g6.xlarge]
      nodeClass: gpu
    - name: a10g
      weight: 10
      capacityTypes: [on-demand]
      instanceTypes: [g5.xlarge]
      nodeClass: gpu
  nodeClasses:
    - {name: gpu, ami: bottlerocket}
";

fn tf003(plan: &crate::plan::Plan) -> Vec<String> {
    super::lint_plan(plan).into_iter().filter(|f| f.code == "TF003").map(|f| f.message).collect()
}

#[test]
fn tf003_uses_the_plans_price_overlay() {
    let mut plan = parse_plan(PLAN).unwrap();
    assert!(tf003(&plan).is_empty(), "at the catalog's prices the heavier pool is the cheaper one");
    // Fresh prices make g6.xlarge dearer than g5.xlarge: the weights now contradict cost.
    let rates = OverlayRates { on_demand: Some(1.50), ..OverlayRates::default() };
    plan.spec.prices = Some(PriceOverlay {
        date: "2026-12-01".into(),
        sources: vec![],
        entries: [("g6.xlarge".to_string(), [("us-east-1".to_string(), rates)].into())].into(),
    });
    let found = tf003(&plan);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("costs 1.50 vs 1.01 USD/hour per GPU"), "{}", found[0]);
    // An overlay for another region changes nothing here.
    let moved = plan.spec.prices.as_mut().unwrap();
    let rates = moved.entries.get_mut("g6.xlarge").unwrap().remove("us-east-1").unwrap();
    moved.entries.get_mut("g6.xlarge").unwrap().insert("us-west-2".into(), rates);
    assert!(tf003(&plan).is_empty());
}

/// TF056: a Savings Plan the overlay holds no rates for covers nothing (and says why), until the
/// overlay has them; TF057: Reserved Instances far beyond the fleet are mostly unused.
#[test]
fn commitments_that_cover_nothing_or_little_are_named() {
    use crate::plan::Commitment;
    let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    let sp = Commitment::savings_plan("compute-1y", "Compute", 1, "No Upfront", 1.0);
    plan.spec.commitments = vec![sp];
    let findings = super::lint_plan(&plan);
    let f = findings.iter().find(|f| f.code == "TF056").expect("TF056 without rates");
    assert!(f.message.contains("holds no rate") && f.path == "spec.commitments[0]", "{f:?}");
    let overlay = "date: 2026-12-01\nsources: []\nentries:\n  g6e.xlarge:\n    us-east-1:\n      savingsPlans:\n        - {planType: Compute, termYears: 1, paymentOption: No Upfront, usdPerHour: 1.25}\n";
    plan.spec.prices = Some(PriceOverlay::from_text("o.yaml", overlay).unwrap());
    assert!(!super::lint_plan(&plan).iter().any(|f| f.code == "TF056" || f.code == "TF057"));

    plan.spec.commitments[0] = Commitment::reserved_instances("ri-g6e", "g6e.xlarge", 20, 1.2);
    let findings = super::lint_plan(&plan);
    let f = findings.iter().find(|f| f.code == "TF057").expect("TF057 for 20 RIs under 2 nodes");
    assert!(f.message.contains("90 % unused"), "{}", f.message);
    // Of a type no pool launches on demand: covers nothing.
    plan.spec.commitments[0].instance_type = Some("p5.48xlarge".to_string());
    let findings = super::lint_plan(&plan);
    assert!(findings.iter().any(|f| f.code == "TF056" && f.message.contains("no NodePool")), "{findings:?}");
}
