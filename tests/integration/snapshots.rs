//! Snapshot tests of every example's placement and manifests. Update the files in tests/snapshots/
//! with `UPDATE_SNAPSHOTS=1 cargo test -p tokenfleet-tests snapshots` and review the diff.
//!
//! The placement snapshot leaves out the performance model's figures (latency estimates, replicas
//! for the peak): they belong to the perf model's own tests and move when it is recalibrated.

use tokenfleet_core::{examples::EXAMPLES, manifest, place, plan};

fn check(name: &str, actual: &str) {
    let path = tokenfleet_tests::repo_root().join("tests").join("snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_SNAPSHOTS=1", path.display()));
    if expected != actual {
        let first = expected.lines().zip(actual.lines()).enumerate().find(|(_, (a, b))| a != b);
        panic!("{name} differs from its snapshot (first difference {first:?}); run with UPDATE_SNAPSHOTS=1 and review");
    }
}

#[test]
fn examples_match_their_snapshots() {
    for (name, text) in EXAMPLES {
        let plan = plan::parse_plan(text).unwrap();
        check(&format!("{name}.export.yaml"), &manifest::render_stream(&plan));
        let mut outcome = serde_json::to_value(place::evaluate(&plan)).unwrap();
        for d in outcome["deployments"].as_array_mut().unwrap() {
            let d = d.as_object_mut().unwrap();
            d.remove("latency");
            d.remove("replicas_for_peak");
        }
        check(&format!("{name}.placement.json"), &(serde_json::to_string_pretty(&outcome).unwrap() + "\n"));
    }
}
