//! Unit tests of the GitOps exports' pieces; the rendered file sets are checked end to end in
//! `tests/integration/gitops.rs` with a Kustomize and a Helm renderer.

use super::*;
use crate::examples::EXAMPLES;
use crate::plan::parse_plan;

#[test]
fn staging_limits_halve_in_their_own_unit_but_keep_what_one_replica_needs() {
    assert_eq!(staging_limit("8", 0.0), "4");
    assert_eq!(staging_limit("8", 8.0), "8");
    assert_eq!(staging_limit("7", 1.0), "4");
    assert_eq!(staging_limit("1000Gi", 0.0), "500Gi");
    assert_eq!(staging_limit("1000Gi", 768.0 * 1024.0 * 1024.0 * 1024.0), "768Gi");
    assert_eq!(staging_limit("1", 0.0), "1");
    // Never above the plan's limit, and what is not a whole number with a unit is kept.
    assert_eq!(staging_limit("4", 9.0), "4");
    assert_eq!(staging_limit("1.5", 0.0), "1.5");
    assert_eq!(staging_limit("500m", 0.0), "250m");
}

#[test]
fn pointers_and_annotations_follow_their_formats() {
    assert_eq!(json_pointer(&["metadata", "annotations", "a.b/c~d"]), "/metadata/annotations/a.b~1c~0d");
    let renames = vec![("cr-1".to_string(), "cr-9".to_string())];
    assert_eq!(
        rename_in_annotation("cr-1=odcr:g5.xlarge:2,cr-12=odcr:g5.xlarge:1", &renames),
        "cr-9=odcr:g5.xlarge:2,cr-12=odcr:g5.xlarge:1"
    );
}

#[test]
fn every_file_has_a_relative_path_and_every_example_gets_both_overlays() {
    for (name, text) in EXAMPLES {
        let plan = parse_plan(text).unwrap();
        let kustomize = kustomize(&plan);
        let helm = helm_chart(&plan);
        for file in kustomize.iter().chain(&helm) {
            assert!(!file.path.starts_with('/') && !file.path.contains(".."), "{name}: {}", file.path);
        }
        for overlay in ["production", "staging"] {
            let path = format!("overlays/{overlay}/kustomization.yaml");
            assert!(kustomize.iter().any(|f| f.path == path), "{name}: {path} missing");
        }
        assert_eq!(helm.len(), crate::manifest::render(&plan).len() + 2, "{name}");
    }
}
