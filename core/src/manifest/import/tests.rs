//! Unit tests of `manifest::import`.

use super::*;
use crate::examples::EXAMPLES;

#[test]
fn examples_round_trip() {
    for (name, text) in EXAMPLES {
        let plan = parse_plan(text).unwrap();
        let first = render::render_stream(&plan);
        let imported = import_yaml("x.yaml", &first).unwrap();
        let second = render::render_stream(&imported.plan);
        for (a, b) in first.lines().zip(second.lines()) {
            assert_eq!(a, b, "{name}: {:#?}", imported.findings);
        }
        assert_eq!(first, second, "{name}");
    }
}

#[test]
fn reservations_come_from_the_annotation_once_each() {
    let yaml = "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata:\n  name: gpu\n  annotations:\n    \
        tokenfleet.dev/capacity-reservations: cr-1=odcr:p5.48xlarge:2,cr-2=odcr:g6.xlarge:1,cr-1=capacity-block:p5.48xlarge:4\n\
        spec:\n  amiSelectorTerms:\n    - alias: bottlerocket@latest\n  capacityReservationSelectorTerms:\n    \
        - id: cr-1\n    - id: cr-1\n    - id: cr-3\n    - id: cr-2\n";
    let imported = import_yaml("x.yaml", yaml).unwrap();
    let found: Vec<_> = imported.plan.spec.node_classes[0]
        .capacity_reservations
        .iter()
        .map(|r| (r.id.as_str(), r.kind.as_str(), r.instance_type.as_str(), r.count))
        .collect();
    // A later annotation entry for an id replaces an earlier one; a term takes its reservation.
    assert_eq!(found, [("cr-1", "capacity-block", "p5.48xlarge", 4), ("cr-2", "odcr", "g6.xlarge", 1)]);
    let tf035: Vec<_> = imported.findings.iter().filter(|f| f.code == "TF035").map(|f| f.path.as_str()).collect();
    assert_eq!(tf035, ["spec.capacityReservationSelectorTerms[1]", "spec.capacityReservationSelectorTerms[2]"]);
}
