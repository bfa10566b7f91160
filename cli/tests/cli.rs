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
fn plan_shows_latency_bands_at_p50_p95_p99() {
    let out = tokenfleet(&["plan", "examples/quickstart.yaml", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let band = &json["deployments"][0]["latency"][0];
    for field in ["estimate_ms", "p50_ms", "p95_ms", "p99_ms"] {
        assert!(band[field].is_number(), "{field} missing: {band}");
    }
    // The quickstart's SLOs are at p95: the band's p95 is the estimate.
    assert_eq!(band["percentile"], 95.0);
    assert_eq!(band["p95_ms"], band["estimate_ms"], "{band}");

    let text = String::from_utf8(tokenfleet(&["plan", "examples/quickstart.yaml"]).stdout).unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with("ttft p95")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("meets (p50 ") && line.contains(" ms, p95 ") && line.ends_with(" ms)"), "{line}");
    // Saturated: said so, with no numbers (batch-inferentia with one replica for its baseline).
    let dir = temp_dir("saturated");
    let one = dir.join("one-replica.yaml");
    let text = std::fs::read_to_string("../examples/batch-inferentia.yaml").unwrap().replace("min: 2", "min: 1");
    std::fs::write(&one, text).unwrap();
    let out = tokenfleet(&["plan", one.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("e2e p90 ≤ 120000 ms: saturated") && !text.contains("(p50"), "{text}");
    // Either view failing fails the plan: exit 1, the failure answer.
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("verdict: FAIL (static bands FAIL"), "{text}");
}

#[test]
fn plan_json_carries_the_simulated_day_and_its_verdict() {
    let out = tokenfleet(&["plan", "examples/quickstart.yaml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let day = &json["simulated"];
    assert_eq!(day["source"], "profile");
    assert_eq!(day["seeds"], serde_json::json!([1, 2, 3, 4, 5]));
    for field in ["requests_dropped", "requests_late", "autoscaler_reversals_per_day", "cost_usd_per_day"] {
        assert!(day[field].is_number(), "simulated.{field} missing: {day}");
    }
    assert!(day["slo_attainment"]["ttft_p95_le_1000ms"].is_number(), "{day}");
    assert_eq!(
        (&day["verdict"], &json["static_verdict"], &json["verdict"]),
        (&"pass".into(), &"pass".into(), &"pass".into())
    );
    assert_eq!(day["reasons"], serde_json::json!([]));

    // A plan whose day fails: queue depth alone flaps; exit 1 with the reasons ranked.
    let dir = temp_dir("flapping");
    let flapping = dir.join("flapping.yaml");
    let text = std::fs::read_to_string("../examples/spiky-spot-burst.yaml")
        .unwrap()
        .replace("          - metric: runningRequests\n            target: 12\n", "");
    assert!(!text.contains("runningRequests"));
    std::fs::write(&flapping, text).unwrap();
    let out = tokenfleet(&["plan", flapping.to_str().unwrap(), "--format", "json", "--seeds", "1,2"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((&json["simulated"]["verdict"], &json["verdict"]), (&"fail".into(), &"fail".into()));
    assert_eq!(json["simulated"]["seeds"], serde_json::json!([1, 2]));
    let causes: Vec<&str> =
        json["simulated"]["reasons"].as_array().unwrap().iter().map(|r| r["cause"].as_str().unwrap()).collect();
    assert!(causes.contains(&"flapping"), "{causes:?}");

    let out = tokenfleet(&["simulate", "examples/quickstart.yaml"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["summary"]["autoscaler_reversals_per_day"].is_number());
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

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tokenfleet-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn plan_json_summary_has_cost_per_million_tokens() {
    for (name, _) in examples::EXAMPLES {
        let out = tokenfleet(&["plan", &format!("examples/{name}.yaml"), "--format", "json"]);
        assert!(out.status.success(), "{name}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(json["summary"]["usd_per_million_tokens"].is_number(), "{name}: {}", json["summary"]);
        assert!(json["deployments"].is_array() && json["pools"].is_array());
    }
}

#[test]
fn lint_json_contract_and_exit_codes() {
    let out = tokenfleet(&["lint", "--format", "json", "tests/lint-corpus/consolidation-never.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &rows.as_array().unwrap()[0];
    for key in ["code", "severity", "message", "file", "document", "path", "line", "fix"] {
        assert!(first.get(key).is_some(), "{key} missing: {first}");
    }
    assert!(rows.as_array().unwrap().iter().any(|r| r["code"] == "TF011" && r["severity"] == "error"));

    let out = tokenfleet(&["lint", "examples/spiky-spot-burst.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    let dir = temp_dir("lint");
    let bad = dir.join("broken.yaml");
    std::fs::write(&bad, "kind: NodePool\nspec: [\n").unwrap();
    let out = tokenfleet(&["lint", bad.to_str().unwrap(), "examples/quickstart.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.yaml") && stderr.contains("line"), "{stderr}");
}

#[test]
fn export_import_export_through_the_cli() {
    let dir = temp_dir("roundtrip");
    for (name, _) in examples::EXAMPLES {
        let out = tokenfleet(&["export", &format!("examples/{name}.yaml")]);
        let stream = dir.join(format!("{name}.yaml"));
        std::fs::write(&stream, &out.stdout).unwrap();
        let plan_path = dir.join(format!("{name}.plan.yaml"));
        let out = tokenfleet(&["import", stream.to_str().unwrap(), "--out", plan_path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let again = tokenfleet(&["export", plan_path.to_str().unwrap()]);
        assert_eq!(again.stdout, std::fs::read(&stream).unwrap(), "{name}");
    }
    let out_dir = dir.join("files");
    let out = tokenfleet(&["export", "examples/disaggregated.yaml", "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success());
    for file in [
        "nodepool-prefill-h100.yaml",
        "deployment-rag-70b-decode.yaml",
        "scaledobject-rag-70b-prefill.yaml",
        "locustfile.py",
        "workload.json",
    ] {
        assert!(out_dir.join(file).is_file(), "{file} not written");
    }
}

#[test]
fn simulate_replays_a_plans_inline_trace_like_the_same_file_given_with_trace() {
    let dir = temp_dir("inline-trace");
    let csv = "t_s,requests_per_s,input_tokens,output_tokens\n0,2,,\n3600,12,2048,300\n5400,3,,\n";
    let trace_file = dir.join("day.csv");
    std::fs::write(&trace_file, csv).unwrap();
    let mut inline = plan::parse_plan(examples::example("quickstart").unwrap()).unwrap();
    inline.spec.workload.trace = Some(plan::TraceRef::inline(csv));
    let inline_plan = dir.join("inline.yaml");
    std::fs::write(&inline_plan, inline.to_yaml()).unwrap();
    let mut by_file = inline.clone();
    by_file.spec.workload.trace = Some(plan::TraceRef::file("day.csv"));
    let file_plan = dir.join("by-file.yaml");
    std::fs::write(&file_plan, by_file.to_yaml()).unwrap();

    let run = |plan: &str, extra: &[&str]| {
        let mut args = vec!["simulate", plan, "--duration", "3h", "--series-step", "600s"];
        args.extend_from_slice(extra);
        let out = tokenfleet(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let with_flag = run("examples/quickstart.yaml", &["--trace", trace_file.to_str().unwrap()]);
    assert_eq!(run(inline_plan.to_str().unwrap(), &[]), with_flag, "inline csv = --trace of the same file");
    assert_eq!(run(file_plan.to_str().unwrap(), &[]), with_flag, "trace.file = --trace of the same file");
    assert_ne!(run("examples/quickstart.yaml", &[]), with_flag, "the profile differs");
    // A --trace flag still wins over the plan's own trace.
    let other = dir.join("other.csv");
    std::fs::write(&other, "t_s,requests_per_s\n0,1\n").unwrap();
    assert_eq!(
        run(inline_plan.to_str().unwrap(), &["--trace", other.to_str().unwrap()]),
        run("examples/quickstart.yaml", &["--trace", other.to_str().unwrap()])
    );

    // A bad inline trace: exit 2, the field, the file line and the CSV line.
    let bad_plan = dir.join("bad.yaml");
    let bad_text = inline.to_yaml().replace("3600,12,2048,300", "3600,twelve,2048,300");
    let bad_line = bad_text.lines().position(|l| l.contains("twelve")).unwrap() + 1;
    std::fs::write(&bad_plan, &bad_text).unwrap();
    let out = tokenfleet(&["simulate", bad_plan.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("spec.workload.trace.csv: CSV line 3: requests_per_s \"twelve\" is not a number"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!(": line {bad_line}, column 9: ")), "the line of the file: {stderr}");
}

/// `import` that reports an error finding is a failure answer (exit 1), with the plan still written:
/// a v1beta1 NodePool is TF013, an error.
#[test]
fn import_with_an_error_finding_exits_1_and_still_writes_the_plan() {
    let dir = std::env::temp_dir().join(format!("tokenfleet-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("v1beta1.yaml");
    std::fs::write(
        &file,
        "apiVersion: karpenter.sh/v1beta1\nkind: NodePool\nmetadata:\n  name: gpu\nspec:\n  template:\n    spec:\n      nodeClassRef:\n        apiVersion: karpenter.k8s.aws/v1beta1\n        kind: EC2NodeClass\n        name: default\n      requirements:\n        - key: karpenter.k8s.aws/instance-family\n          operator: In\n          values: [g5]\n  disruption:\n    consolidationPolicy: WhenEmpty\n    consolidateAfter: 30s\n",
    )
    .unwrap();
    let out = tokenfleet(&["import", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error TF013"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: Plan"), "the plan is still printed");
    std::fs::remove_dir_all(&dir).ok();
}

/// A plan's trace file is read only from inside the plan's folder and only when it is a regular
/// file: `..` and absolute paths are refused by validation (exit 2, with the field and line), and a
/// FIFO, which used to block `simulate` forever, is refused before it is opened.
#[test]
fn a_plans_trace_file_stays_inside_its_folder_and_must_be_a_regular_file() {
    let dir = std::env::temp_dir().join(format!("tokenfleet-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let quickstart = examples::EXAMPLES.iter().find(|(n, _)| *n == "quickstart").unwrap().1;
    let with_trace = |file: &str| {
        let mut plan = plan::parse_plan(quickstart).unwrap();
        plan.spec.workload.trace = Some(plan::TraceRef::file(file));
        plan.to_yaml()
    };
    for bad in ["/etc/passwd", "../x.csv"] {
        let path = dir.join("escape.yaml");
        std::fs::write(&path, with_trace(bad)).unwrap();
        let out = tokenfleet(&["simulate", path.to_str().unwrap(), "--duration", "1h"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("spec.workload.trace.file") && stderr.contains("line "), "{stderr}");
    }
    #[cfg(unix)]
    {
        let fifo = dir.join("fifo.csv");
        let made = Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
        if made {
            let path = dir.join("fifo.yaml");
            std::fs::write(&path, with_trace("fifo.csv")).unwrap();
            let mut child = Command::new(env!("CARGO_BIN_EXE_tokenfleet"))
                .args(["simulate", path.to_str().unwrap(), "--duration", "1h"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let start = std::time::Instant::now();
            let status = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break Some(status);
                }
                if start.elapsed() > std::time::Duration::from_secs(20) {
                    child.kill().ok();
                    break None;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            };
            let status = status.expect("simulate blocked on a FIFO named as the plan's trace file");
            assert_eq!(status.code(), Some(2));
        } else {
            eprintln!("mkfifo is not available; the FIFO case is not checked");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `check`, the CI gate: every example passes (exit 0); a plan whose day fails is a failure in each
/// format (exit 1: a JUnit failure, a SARIF `simulated-day` error); unreadable input exits 2.
#[test]
fn check_gates_plans_in_every_format() {
    let all: Vec<String> = examples::EXAMPLES.iter().map(|(name, _)| format!("examples/{name}.yaml")).collect();
    let mut args = vec!["check"];
    args.extend(all.iter().map(String::as_str));
    let out = tokenfleet(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    let dir = std::env::temp_dir().join(format!("tokenfleet-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut plan = plan::parse_plan(examples::example("quickstart").unwrap()).unwrap();
    plan.spec.deployments[0].replicas.max = plan.spec.deployments[0].replicas.min.max(1);
    plan.spec.workload.requests_per_second.peak *= 4.0;
    let failing = dir.join("too-small.yaml");
    std::fs::write(&failing, plan.to_yaml()).unwrap();
    let failing = failing.to_str().unwrap();

    let out = tokenfleet(&["check", "examples/quickstart.yaml", failing, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["verdict"], "pass");
    assert_eq!(json[1]["verdict"], "fail");
    assert!(json[1]["simulated"]["reasons"].as_array().is_some_and(|r| !r.is_empty()), "{json}");

    let out = tokenfleet(&["check", "examples/quickstart.yaml", failing, "--format", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.local_name().into_inner() {
                    "testcase" => cases += 1,
                    "failure" => failures += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!((cases, failures), (2, 1), "{xml}");

    let out = tokenfleet(&["check", failing, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "simulated-day" && r["level"] == "error"), "{sarif}");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(results.iter().all(|r| rules.iter().any(|rule| rule["id"] == r["ruleId"])), "every result has its rule");

    let out = tokenfleet(&["check", "examples/quickstart.yaml", "no-such-plan.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn export_terraform_writes_the_reservations_as_code_and_needs_a_directory() {
    let dir = temp_dir("terraform").join("tf");
    let out = tokenfleet(&[
        "export",
        "examples/stable-reserved.yaml",
        "--format",
        "terraform",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plan = plan::parse_plan(examples::example("stable-reserved").unwrap()).unwrap();
    let expected = manifest::terraform::terraform(&plan);
    assert!(expected.iter().any(|(name, _)| name == "main.tf"));
    for (name, text) in expected {
        assert_eq!(std::fs::read_to_string(dir.join(&name)).unwrap(), text, "{name}");
    }
    let out = tokenfleet(&["export", "examples/stable-reserved.yaml", "--format", "terraform"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));
    // A plan without reservations gets a note: its Terraform buys nothing.
    let out =
        tokenfleet(&["export", "examples/quickstart.yaml", "--format", "terraform", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no capacity reservation"));
}

#[test]
fn export_kustomize_and_helm_write_cores_file_sets_and_need_out() {
    let plan = plan::parse_plan(examples::example("stable-reserved").unwrap()).unwrap();
    for (format, files) in
        [("kustomize", manifest::gitops::kustomize(&plan)), ("helm", manifest::gitops::helm_chart(&plan))]
    {
        let dir = temp_dir(&format!("gitops-{format}"));
        let out = tokenfleet(&[
            "export",
            "examples/stable-reserved.yaml",
            "--format",
            format,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        for file in &files {
            let written =
                std::fs::read_to_string(dir.join(&file.path)).unwrap_or_else(|e| panic!("{}: {e}", file.path));
            assert_eq!(written, file.text, "{format}: {}", file.path);
        }
        let out = tokenfleet(&["export", "examples/stable-reserved.yaml", "--format", format]);
        assert_eq!(out.status.code(), Some(2), "{format} without --out is unusable input");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("--format {format}")) && stderr.contains("--out DIR"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let kustomize = temp_dir("gitops-kustomize");
    for path in
        ["base/kustomization.yaml", "overlays/production/kustomization.yaml", "overlays/staging/kustomization.yaml"]
    {
        assert!(kustomize.join(path).is_file(), "{path} not written");
    }
    let out = tokenfleet(&["export", "examples/stable-reserved.yaml", "--format", "yaml"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), manifest::render_stream(&plan), "--format yaml is the default");
}
