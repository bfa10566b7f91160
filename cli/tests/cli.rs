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

/// `import` reads an eksctl ClusterConfig, the Cluster Autoscaler Deployment with its priority
/// ConfigMap and a model server together; what it cannot carry over is TF055 at its file and line
/// (info: exit 0), and the plan it writes is one `plan` places and `export` renders.
#[test]
fn import_reads_an_eksctl_cluster_run_by_cluster_autoscaler_and_plan_runs_on_it() {
    let dir = temp_dir("ca-import");
    let plan_path = dir.join("plan.yaml");
    let plan_file = plan_path.to_str().unwrap();
    let data = "tests/data/cluster-autoscaler";
    let (cluster, ca, serving) =
        (format!("{data}/cluster.yaml"), format!("{data}/cluster-autoscaler.yaml"), format!("{data}/serving.yaml"));
    let out = tokenfleet(&["import", &cluster, &ca, &serving, "--out", plan_file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let line_of = |file: &str, needle: &str| {
        let text = std::fs::read_to_string(format!("../{file}")).unwrap();
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    };
    let system =
        format!("{cluster}:{}: info TF055: node group system has no accelerators", line_of(&cluster, "m6i.large"));
    assert!(stderr.contains(&system), "{stderr}");
    let flag =
        format!("{ca}:{}: info TF055: --skip-nodes-with-local-storage", line_of(&ca, "skip-nodes-with-local-storage"));
    assert!(stderr.contains(&flag), "{stderr}");
    assert!(stderr.contains("info TF031: ServiceAccount cluster-autoscaler belongs to Cluster Autoscaler"), "{stderr}");

    let imported = plan::parse_plan(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    let pools: Vec<_> = imported.spec.node_pools.iter().map(|p| (p.name.as_str(), p.weight)).collect();
    assert_eq!(pools, [("gpu-l40s", Some(20)), ("gpu-l40s-spot", Some(80))]);
    let settings = imported.spec.cluster_autoscaler.as_ref().unwrap();
    assert_eq!(settings.expander.as_deref(), Some("priority,least-waste"));
    assert_eq!(settings.scale_down_unneeded_time.as_deref(), Some("5m"));
    assert_eq!(settings.scale_down_utilization_threshold, Some(0.4));
    let groups: Vec<_> = settings
        .node_groups
        .iter()
        .map(|g| (g.name.as_str(), g.node_pool.as_str(), g.min_size, g.max_size, g.desired_capacity, g.priority))
        .collect();
    assert_eq!(
        groups,
        [
            ("gpu-l40s", "gpu-l40s", 1, 4, Some(1), Some(20)),
            ("gpu-l40s-spot", "gpu-l40s-spot", 0, 6, Some(0), Some(80))
        ]
    );
    assert_eq!(imported.spec.deployments[0].name, "chat");

    // plan places the model server on the imported pools: the spot pool first, by its weight.
    let out = tokenfleet(&["plan", plan_file, "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["deployments"][0]["node_pool"], "gpu-l40s-spot", "{json}");
    // export writes the NodePools, limited to what the node groups could hold.
    let out = tokenfleet(&["export", plan_file]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.contains("name: gpu-l40s-spot") && yaml.contains("nvidia.com/gpu: \"6\""), "{yaml}");
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

const PRODUCTS: &str = "tests/data/prices/get-products-ec2.json";
const SPOT: &str = "tests/data/prices/spot-price-history.json";
const SAVINGS_PLANS: &str = "tests/data/prices/savings-plans-offering-rates.json";

/// Imports the three AWS CLI outputs into an overlay file in `dir` and returns its path.
fn import_overlay(dir: &std::path::Path, name: &str) -> String {
    let out_path = dir.join(name);
    let overlay = out_path.to_str().unwrap();
    let out = tokenfleet(&["prices", "import", PRODUCTS, SPOT, SAVINGS_PLANS, "--out", overlay]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    overlay.to_string()
}

fn read_overlay(path: &str) -> tokenfleet_core::catalog::PriceOverlay {
    tokenfleet_core::yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn prices_import_reads_what_the_aws_cli_prints_and_skips_the_rest() {
    use tokenfleet_core::catalog::{CommittedRate, PriceFileKind};
    let dir = temp_dir("prices-import");
    let overlay = read_overlay(&import_overlay(&dir, "prices.yaml"));
    // The newest date in the inputs: the spot history's 2026-12-01 (the price list was published
    // 2026-11-30 at the latest).
    assert_eq!(overlay.date, "2026-12-01");
    let kinds: Vec<PriceFileKind> = overlay.sources.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [PriceFileKind::PricingGetProducts, PriceFileKind::SpotPriceHistory, PriceFileKind::SavingsPlansOfferingRates]
    );
    assert_eq!(overlay.sources[0].file, PRODUCTS);
    let g6e = overlay.rates("g6e.xlarge", "us-east-1").unwrap();
    // Linux, shared tenancy, used capacity, no SQL Server: not the Windows, dedicated, unused
    // reservation or SQL rows.
    assert_eq!(g6e.on_demand, Some(1.612));
    // Each zone's latest Linux/UNIX price (1a 0.8123, 1b 0.8704, 1c 0.9502, 1d 1.0026; the Windows and
    // SUSE rows skipped), then the median over the zones.
    assert_eq!(g6e.spot, Some(0.9103));
    let committed = |plan_type: &str, term_years, payment_option: &str, usd_per_hour| CommittedRate {
        plan_type: plan_type.into(),
        term_years,
        payment_option: payment_option.into(),
        usd_per_hour,
    };
    assert_eq!(
        g6e.savings_plans,
        [committed("Compute", 1, "No Upfront", 1.209), committed("EC2Instance", 3, "All Upfront", 0.693)]
    );
    assert_eq!(overlay.rates("g6e.2xlarge", "us-east-1").unwrap().spot, Some(0.9469));
    assert_eq!(overlay.rates("g6e.xlarge", "us-west-2").unwrap().on_demand, Some(1.612));
    assert_eq!(overlay.entry_count(), 3, "no SageMaker instance (ml.g6e.xlarge) or other row: {overlay:?}");

    // JSON when the name says so; the same overlay.
    let json = dir.join("prices.json");
    let out = tokenfleet(&["prices", "import", PRODUCTS, SPOT, SAVINGS_PLANS, "--out", json.to_str().unwrap()]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(text.trim_start().starts_with('{'), "{text}");
    assert_eq!(read_overlay(json.to_str().unwrap()), overlay);
}

#[test]
fn prices_import_refuses_bad_input_naming_the_file_and_field() {
    let dir = temp_dir("prices-bad");
    let out_path = dir.join("never.yaml");
    let out_file = out_path.to_str().unwrap();
    let bad = "tests/data/prices/spot-price-history-bad.json";
    let out = tokenfleet(&["prices", "import", SPOT, bad, "--out", out_file]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{bad}:14: SpotPriceHistory[1].SpotPrice: \"n/a\" is not a price")), "{stderr}");
    assert!(!out_path.exists(), "nothing is written on bad input");

    // A file of another shape, a broken file, and Savings Plans rates alone without --date.
    let out = tokenfleet(&["prices", "import", "examples/quickstart.yaml", "--out", out_file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("examples/quickstart.yaml:"), "{out:?}");
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"PriceList\": [\n  \"{\\\"product\\\": \"\n").unwrap();
    let out = tokenfleet(&["prices", "import", broken.to_str().unwrap(), "--out", out_file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.json"), "{out:?}");
    let out = tokenfleet(&["prices", "import", SAVINGS_PLANS, "--out", out_file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--date YYYY-MM-DD"), "{out:?}");
    let out = tokenfleet(&["prices", "import", SAVINGS_PLANS, "--date", "2026-12-03", "--out", out_file]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(read_overlay(out_file).date, "2026-12-03");

    // An overlay with a bad value is refused by --prices, naming the file and the field.
    let text = std::fs::read_to_string(out_file).unwrap().replace("1.209", "-1.209");
    std::fs::write(out_file, text).unwrap();
    let out = tokenfleet(&["plan", "examples/quickstart.yaml", "--prices", out_file]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(out_file) && stderr.contains("entries.g6e.xlarge.us-east-1.savingsPlans[0].usdPerHour"),
        "{stderr}"
    );
    let typo = dir.join("typo.yaml");
    std::fs::write(&typo, "date: 2026-12-01\nentries:\n  g6e.xlarge:\n    us-east-1:\n      onDemand: cheap\n")
        .unwrap();
    let out = tokenfleet(&["lint", "examples/quickstart.yaml", "--prices", typo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("typo.yaml:5: entries.g6e.xlarge.us-east-1.onDemand:"), "{stderr}");
}

#[test]
fn plan_with_prices_costs_what_the_overlay_says_and_names_its_date() {
    let dir = temp_dir("prices-plan");
    let overlay = import_overlay(&dir, "prices.yaml");
    let catalog = tokenfleet(&["plan", "examples/quickstart.yaml"]);
    let catalog = String::from_utf8(catalog.stdout).unwrap();
    assert!(
        catalog.contains("cost: 3.72 USD/hour") && catalog.contains("  prices: catalog snapshot 2026-07-20\n"),
        "{catalog}"
    );
    let out = tokenfleet(&["plan", "examples/quickstart.yaml", "--prices", &overlay]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // Two g6e.xlarge on-demand nodes at the overlay's 1.612 USD/hour instead of the catalog's 1.861.
    assert!(
        text.contains("cost: 3.22 USD/hour") && text.contains("2 × g6e.xlarge (on-demand) at 1.6120 USD/hour each"),
        "{text}"
    );
    assert!(
        text.contains("  prices: overlay 2026-12-01 (aws pricing get-products, ")
            && text.contains("for 2 entries in us-east-1, otherwise catalog snapshot 2026-07-20"),
        "{text}"
    );

    let out = tokenfleet(&["plan", "examples/quickstart.yaml", "--prices", &overlay, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["cost_usd_per_hour"], 3.22, "{json}");
    assert_eq!(json["pools"][0]["nodes"][0]["usd_per_hour_each"], 1.612, "{json}");
    assert_eq!(json["prices"]["overlay_date"], "2026-12-01");
    assert_eq!(json["prices"]["overlay_entries"], 2);
    let catalog_day = tokenfleet(&["plan", "examples/quickstart.yaml", "--format", "json"]);
    let catalog_day: serde_json::Value = serde_json::from_slice(&catalog_day.stdout).unwrap();
    assert!(json["simulated"]["cost_usd_per_day"].as_f64() < catalog_day["simulated"]["cost_usd_per_day"].as_f64());
    assert!(catalog_day["prices"]["overlay_date"].is_null());

    // The overlay travels with the plan: kept in spec.prices, it prices the plan without the flag.
    let mut plan = plan::parse_plan(examples::example("quickstart").unwrap()).unwrap();
    plan.spec.prices = Some(read_overlay(&overlay));
    let carried = dir.join("carried.yaml");
    std::fs::write(&carried, plan.to_yaml()).unwrap();
    let out = tokenfleet(&["plan", carried.to_str().unwrap(), "--format", "json"]);
    let carried: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(carried["summary"], json["summary"]);
    assert_eq!(carried["prices"], json["prices"]);
}

#[test]
fn simulate_check_and_lint_take_the_overlay() {
    let dir = temp_dir("prices-commands");
    let overlay = import_overlay(&dir, "prices.yaml");
    let out = tokenfleet(&["simulate", "examples/quickstart.yaml", "--duration", "1h", "--prices", &overlay]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["summary"]["prices"].as_str().is_some_and(|p| p.starts_with("overlay 2026-12-01 ")),
        "{}",
        json["summary"]
    );
    let plain = tokenfleet(&["simulate", "examples/quickstart.yaml", "--duration", "1h"]);
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(plain["summary"]["prices"], "catalog snapshot 2026-07-20");
    assert!(json["summary"]["cost_usd"].as_f64() < plain["summary"]["cost_usd"].as_f64());

    let out = tokenfleet(&["check", "examples/quickstart.yaml", "--prices", &overlay, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["prices"]["overlay_date"], "2026-12-01");
    let text =
        String::from_utf8(tokenfleet(&["check", "examples/quickstart.yaml", "--prices", &overlay]).stdout).unwrap();
    assert!(text.contains("\n  prices: overlay 2026-12-01 "), "{text}");

    // TF003 (weights against cost): a g6e.2xlarge pool weighted above the g6e.xlarge one costs over
    // 10 % more per GPU at the catalog's prices (2.24 vs 1.86) and at the imported ones (1.98 vs 1.61);
    // an overlay where g6e.2xlarge costs 1.70 (within 10 % of 1.612) clears the finding.
    let mut plan = plan::parse_plan(examples::example("quickstart").unwrap()).unwrap();
    let mut second = plan.spec.node_pools[0].clone();
    second.name = "gpu-2xlarge".into();
    second.weight = Some(90);
    second.instance_types = vec!["g6e.2xlarge".into()];
    plan.spec.node_pools.push(second);
    let weighted = dir.join("weighted.yaml");
    std::fs::write(&weighted, plan.to_yaml()).unwrap();
    let weighted = weighted.to_str().unwrap();
    let tf003 = |args: &[&str]| {
        let out = tokenfleet(args);
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "TF003")
            .map(|f| f["message"].to_string())
            .collect::<Vec<_>>()
    };
    let at_catalog = tf003(&["lint", weighted, "--format", "json"]);
    assert_eq!(at_catalog.len(), 1, "{at_catalog:?}");
    assert!(at_catalog[0].contains("costs 2.24 vs 1.86"), "{at_catalog:?}");
    let text = std::fs::read_to_string(&overlay).unwrap().replace("onDemand: 1.98", "onDemand: 1.70");
    let cheaper = dir.join("cheaper.yaml");
    std::fs::write(&cheaper, text).unwrap();
    assert_eq!(
        tf003(&["lint", weighted, "--format", "json", "--prices", cheaper.to_str().unwrap()]),
        Vec::<String>::new()
    );
    let at_overlay = tf003(&["lint", weighted, "--format", "json", "--prices", &overlay]);
    assert!(at_overlay.len() == 1 && at_overlay[0].contains("costs 1.98 vs 1.61"), "{at_overlay:?}");
}

#[test]
fn recommend_prices_candidates_with_the_overlay_and_keeps_it_in_the_plan() {
    let dir = temp_dir("prices-recommend");
    let overlay = import_overlay(&dir, "prices.yaml");
    let args = ["recommend", "examples/quickstart.yaml", "--families", "g6e", "--format", "json"];
    let at_catalog: serde_json::Value = serde_json::from_slice(&tokenfleet(&args).stdout).unwrap();
    let out = tokenfleet(&[&args[..], &["--prices", &overlay]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let at_overlay: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(at_overlay["prices"]["overlay_date"], "2026-12-01");
    assert_eq!(at_catalog["prices"]["note"], "catalog snapshot 2026-07-20");
    let cost = |r: &serde_json::Value| r["candidates"][0]["cost_usd_per_hour"].as_f64().unwrap();
    assert!(cost(&at_overlay) < cost(&at_catalog), "{} vs {}", cost(&at_overlay), cost(&at_catalog));
    // The recommended plan carries the overlay, so what it is checked with next uses the same prices.
    let plan: plan::Plan = serde_json::from_value(at_overlay["plan"].clone()).unwrap();
    assert_eq!(plan.spec.prices.as_ref().map(|p| p.date.as_str()), Some("2026-12-01"));
    let text = tokenfleet(&[
        "recommend",
        "examples/quickstart.yaml",
        "--families",
        "g6e",
        "--format",
        "text",
        "--prices",
        &overlay,
    ]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.lines().any(|l| l.starts_with("prices: overlay 2026-12-01 (")), "{text}");
}

/// A reader that stops early (`tokenfleet plan PLAN | head`) ends the command with a message and exit
/// 2, never a panic, for every command that prints.
#[test]
fn a_closed_output_pipe_is_an_error_not_a_panic() {
    use std::process::Stdio;
    let commands: [&[&str]; 5] = [
        &["plan", "examples/quickstart.yaml"],
        &["lint", "examples/quickstart.yaml"],
        &["export", "examples/quickstart.yaml"],
        &["check", "examples/quickstart.yaml"],
        &["plan", "examples/quickstart.yaml", "--format", "json"],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tokenfleet"))
            .args(args)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tokenfleet runs");
        // Close the read end before the command writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("writing the output"), "{args:?}: {stderr}");
    }
}

/// `plan` says what Savings Plans and Reserved Instances bill: the commitments line and the nodes
/// they cover.
#[test]
fn plan_text_shows_the_commitments() {
    let dir = std::env::temp_dir().join(format!("tokenfleet-commitments-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = examples::example("quickstart").unwrap().to_string()
        + "  commitments:\n    - {name: ri-g6e, kind: reserved-instance, instanceType: g6e.xlarge, count: 2, usdPerHour: 1.2}\n";
    let file = dir.join("plan.yaml");
    std::fs::write(&file, text).unwrap();
    let out = tokenfleet(&["plan", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("  commitments: 2.40 USD/hour in fees cover 3.72 USD/hour of on-demand usage (0.00 unused): saves 1.32 USD/hour"), "{stdout}");
    assert!(
        stdout.contains("reserved-instance ri-g6e: 2.40 of 2.40 USD/hour used, rates for 1 instance type(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("2 × g6e.xlarge (on-demand, 2 under commitments)"), "{stdout}");
    assert!(
        stdout
            .contains("cost: 2.40 USD/hour (reserved 0.00 fixed + 3.72 marginal at list − 1.32 saved by commitments)"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn estimate_says_why_a_model_does_not_fit_and_what_would() {
    let dir = temp_dir("estimate-fit");
    let file = dir.join("in.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"id":"a","model":"llama-3.1-405b","instance_type":"p5.48xlarge","precision":"bf16","input_tokens":1024,"output_tokens":256,"load":{"concurrency":1}}"#,
            "\n",
            r#"{"id":"b","model":"llama-3-8b","instance_type":"p5.48xlarge","precision":"bf16","input_tokens":1024,"output_tokens":256,"load":{"concurrency":1}}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = tokenfleet(&["estimate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let a = &lines[0];
    assert_eq!(a["fits"], false);
    let reason = a["reason"].as_str().unwrap();
    assert!(reason.contains("needs 96.9 GiB per GPU but vllm leaves 72.0 GiB"), "{reason}");
    assert_eq!(a["memory"]["needed_gib_per_rank"].as_f64().unwrap().round(), 97.0, "{a}");
    assert_eq!(a["memory"]["available_gib_per_rank"], 72.0, "{a}");
    assert_eq!(a["memory"]["rank"], "GPU");
    for part in [
        "weights_gib_per_rank",
        "kv_cache_one_sequence_gib_per_rank",
        "activations_gib_per_rank",
        "engine_overhead_gib_per_rank",
    ] {
        assert!(a["memory"][part].as_f64().unwrap() > 0.0, "{part}: {a}");
    }
    let ways = a["alternatives"].as_array().unwrap();
    assert_eq!(ways[0]["kind"], "precision");
    assert_eq!((ways[0]["precision"].as_str(), ways[0]["fits"].as_bool()), (Some("fp8"), Some(true)));
    assert_eq!(ways[1]["kind"], "instance_type");
    assert_eq!(ways[1]["instance_type"], "p5en.48xlarge");
    assert!(ways[1]["on_demand_usd_per_hour"].as_f64().unwrap() > 0.0, "{a}");
    assert_eq!(ways[1]["region"], "us-east-1");
    // What fits keeps its answer, with the memory figures added and no alternatives.
    let b = &lines[1];
    assert_eq!((b["fits"].as_bool(), b["reason"].is_null()), (Some(true), true), "{b}");
    assert_eq!(b["alternatives"], serde_json::json!([]));
    assert!(b["memory"]["needed_gib_per_rank"].as_f64() < b["memory"]["available_gib_per_rank"].as_f64());
}

#[test]
fn plan_text_says_a_replica_does_not_fit_and_what_would() {
    let dir = temp_dir("plan-fit");
    let file = dir.join("big.yaml");
    std::fs::copy("../tests/data/plans/llama-405b-bf16-on-p5.yaml", &file).unwrap();
    // The simulated day refuses a replica that does not fit: exit 2, the reason with its GiB figures,
    // and the ways out placement found.
    let out = tokenfleet(&["plan", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(
        text.contains("Llama 3.1 405B does not fit on 8 × p5.48xlarge: weights and workspace leave no room for the KV cache: needs 96.9 GiB per GPU but vllm leaves 72.0 GiB"),
        "{text}"
    );
    assert!(
        text.contains(
            "\n  ways out for big on p5.48xlarge:\n    fits: precision fp8 instead of bf16: 50.1 of 72.0 GiB per GPU\n"
        ),
        "{text}"
    );
    assert!(text.contains("\n    fits: instance type p5en.48xlarge (8 × h200, tensor_parallel 8) at "), "{text}");
}
