//! Every example plan parses, places every deployment, and renders manifests.

use tokenfleet_core::{examples::EXAMPLES, manifest, place, plan};

#[test]
fn examples_on_disk_are_the_embedded_ones() {
    let dir = tokenfleet_tests::repo_root().join("examples");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".yaml").map(str::to_string))
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = EXAMPLES.iter().map(|(n, _)| n.to_string()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded, "examples/ and core::examples::EXAMPLES disagree");
}

#[test]
fn examples_render_node_pools() {
    for (name, text) in EXAMPLES {
        let plan = plan::parse_plan(text).unwrap();
        let outcome = place::evaluate(&plan);
        assert!(outcome.summary.devices > 0, "{name}");
        let stream = manifest::render_stream(&plan);
        assert!(stream.contains("kind: NodePool"), "{name}: {stream}");
    }
}
