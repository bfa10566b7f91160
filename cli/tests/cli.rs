//! End-to-end tests of the `tokenfleet` binary: flags, output contracts, exit codes.

use std::process::{Command, Output};

use tokenfleet_core::{examples, manifest, plan};

fn tokenfleet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tokenfleet"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("tokenfleet runs")
}

#[test]
fn export_prints_the_same_yaml_as_core() {
    for (name, text) in examples::EXAMPLES {
        let out = tokenfleet(&["export", &format!("examples/{name}.yaml")]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let expected = manifest::render_stream(&plan::parse_plan(text).unwrap());
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected, "{name}");
    }
}

#[test]
fn plan_json_has_the_summary_contract() {
    let out = tokenfleet(&["plan", "examples/quickstart.yaml", "--format", "json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in ["cost_usd_per_hour", "devices", "nodes"] {
        assert!(json["summary"][field].is_number(), "summary.{field} missing: {json}");
    }
}

#[test]
fn unreadable_and_malformed_plans_exit_2_with_the_reason() {
    let out = tokenfleet(&["plan", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist.yaml"));

    let dir = std::env::temp_dir().join(format!("tokenfleet-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {name: x}\nspec:\n  region: [\n")
        .unwrap();
    let out = tokenfleet(&["plan", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line"), "error names no line: {stderr}");
}
