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
