//! Lint catches each listed mistake on YAML written the way people write it: every file in
//! tests/lint-corpus/ names the codes it must produce on its first line (`# expect: TF010 TF012`).

use tokenfleet_core::examples::EXAMPLES;
use tokenfleet_core::lint::{self, Severity, RULES};

#[test]
fn corpus_files_produce_their_expected_codes() {
    let dir = tokenfleet_tests::repo_root().join("tests").join("lint-corpus");
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    assert!(entries.len() >= 10, "corpus is missing");
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let expected: Vec<&str> = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect:"))
            .unwrap_or_else(|| panic!("{name}: first line must be `# expect: CODES`"))
            .split_whitespace()
            .collect();
        let findings = lint::lint_text(&name, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for code in &expected {
            let hit = findings.iter().find(|f| f.code == *code);
            let hit = hit.unwrap_or_else(|| panic!("{name}: {code} not reported; got {findings:#?}"));
            assert!(hit.line.is_some_and(|l| l > 0), "{name}: {code} has no line: {hit:?}");
            assert!(!hit.fix.is_empty() && !hit.message.is_empty(), "{name}: {code}");
        }
        for f in &findings {
            assert!(RULES.iter().any(|(code, _, _)| *code == f.code), "{name}: undocumented code {}", f.code);
        }
        // A file that expects no error code is valid YAML as the CRDs define it: no false errors.
        let expects_error =
            expected.iter().any(|c| RULES.iter().any(|(code, severity, _)| code == c && *severity == Severity::Error));
        if !expects_error {
            let errors: Vec<_> = findings.iter().filter(|f| f.severity == Severity::Error).collect();
            assert!(errors.is_empty(), "{name}: false errors {errors:#?}");
        }
    }
}

#[test]
fn findings_point_at_the_right_line() {
    let text =
        std::fs::read_to_string(tokenfleet_tests::repo_root().join("tests/lint-corpus/kubectl-get-nodepools.yaml"))
            .unwrap();
    let findings = lint::lint_text("k.yaml", &text).unwrap();
    let tf010 = findings.iter().find(|f| f.code == "TF010").unwrap();
    // The requirements list of the first item of the List.
    assert_eq!(tf010.line, Some(29), "{tf010:?}");
    assert_eq!(tf010.path, "items[0].spec.template.spec.requirements");
    // A NodePool without consolidateAfter is valid (the CRD defaults it to 0s): a warning, not an error.
    let tf042 = findings.iter().find(|f| f.code == "TF042").unwrap();
    assert!(tf042.message.contains("consolidateAfter") && tf042.severity == Severity::Warning, "{tf042:?}");
    assert!(findings.iter().all(|f| f.code != "TF012"), "{findings:#?}");
}

#[test]
fn examples_have_no_lint_errors() {
    for (name, text) in EXAMPLES {
        let findings = lint::lint_text(name, text).unwrap();
        let errors: Vec<_> = findings.iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn every_rule_is_documented() {
    let docs = std::fs::read_to_string(tokenfleet_tests::repo_root().join("docs/plan.md")).unwrap();
    for (code, severity, _) in RULES {
        let row = format!("| {code} | {} |", severity.as_str());
        assert!(docs.contains(&row), "docs/plan.md lacks the row for {code} ({})", severity.as_str());
    }
}

#[test]
fn plan_value_errors_are_findings_not_parse_failures() {
    let text = "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {name: x}\nspec:\n  region: us-east-1\n  nodePools:\n    - {name: a, weight: 300, capacityTypes: [spot], nodeClass: c}\n  nodeClasses: [{name: c, ami: al2023}]\n";
    let findings = lint::lint_text("p.yaml", text).unwrap();
    let f = findings.iter().find(|f| f.code == "TF040").unwrap();
    assert_eq!((f.path.as_str(), f.line), ("spec.nodePools[0].weight", Some(7)));
    assert!(lint::lint_text("p.yaml", "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nspec: [\n").is_err());
}

/// TF022 (maxReplicas below what the peak needs) holds at any peak: an absurd one (10⁹ requests/s)
/// used to make the replica count unknowable and the warning disappear.
#[test]
fn tf022_holds_at_absurd_peaks() {
    let quickstart = EXAMPLES.iter().find(|(n, _)| *n == "quickstart").unwrap().1;
    for peak in [1e4, 1e6, 1e9] {
        let text = quickstart.replacen("peak: ", &format!("peak: {peak} # was "), 1);
        let findings = lint::lint_text("q.yaml", &text).unwrap();
        let tf022 = findings.iter().find(|f| f.code == "TF022");
        assert!(tf022.is_some(), "peak {peak}: {findings:#?}");
    }
}

/// A precision the placed chips cannot run is an error (TF044): BF16 on T4 used to be exported as
/// `--dtype bfloat16`, which vLLM refuses on chips before compute capability 8.0. FP16 there is fine.
#[test]
fn a_precision_the_chips_cannot_run_is_an_error() {
    let quickstart = EXAMPLES.iter().find(|(n, _)| *n == "quickstart").unwrap().1;
    let mut plan = tokenfleet_core::plan::parse_plan(quickstart).unwrap();
    plan.spec.deployments[0].model = "microsoft/Phi-3-mini-4k-instruct".into();
    plan.spec.node_pools[0].instance_families = vec!["g4dn".into()];
    plan.spec.node_pools[0].instance_types = vec!["g4dn.xlarge".into(), "g4dn.2xlarge".into()];
    plan.spec.workload.input_tokens.p90 = None;
    plan.spec.workload.output_tokens.p90 = None;
    let codes = |plan: &tokenfleet_core::plan::Plan| -> Vec<(String, String)> {
        lint::lint_plan(plan).into_iter().map(|f| (f.code, f.message)).collect()
    };
    plan.spec.deployments[0].precision = "bf16".into();
    let findings = codes(&plan);
    let tf044 = findings.iter().find(|(c, _)| c == "TF044");
    assert!(tf044.is_some_and(|(_, m)| m.contains("bf16") && m.contains("T4")), "{findings:#?}");
    plan.spec.deployments[0].precision = "fp16".into();
    assert!(codes(&plan).iter().all(|(c, _)| c != "TF044"), "{:#?}", codes(&plan));
}

/// TF047's scale-up path is the simulator's cold start: with the start-up levers applied, the path
/// it reports shrinks by exactly what the simulated parts shrink, and its fix names only the levers
/// the plan does not use yet, by their fields.
#[test]
fn the_scale_up_path_in_lint_includes_the_levers_as_the_simulator_does() {
    use tokenfleet_core::optimize::{apply_start_levers, StartLevers};
    use tokenfleet_core::sim::{from_plan, verdict::lag_parts, PlanInputs};
    let path =
        tokenfleet_tests::repo_root().join("tests").join("lint-corpus").join("dynamic-ramp-outruns-scale-up.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let plan = tokenfleet_core::plan::parse_plan(&text).unwrap();
    let path_s = |plan: &tokenfleet_core::plan::Plan| {
        let findings = lint::lint_text("ramp.yaml", &plan.to_yaml()).unwrap();
        let f = findings.into_iter().find(|f| f.code == "TF047").expect("TF047");
        let seconds: f64 = f.message.split("ready ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        (seconds, f.fix)
    };
    let simulated = |plan: &tokenfleet_core::plan::Plan| -> f64 {
        let sc = from_plan(plan, &PlanInputs::for_plan(plan)).unwrap();
        lag_parts(&sc).iter().map(|p| p.seconds).sum()
    };
    let (before, fix) = path_s(&plan);
    for field in ["nodeClasses[].imageCache", "imagePull: parallel", "weights.source: s3Streamer", "weights.nodeCache"]
    {
        assert!(fix.contains(field), "{field} not in {fix}");
    }
    let levered = apply_start_levers(&plan, &StartLevers::default());
    let (after, fix) = path_s(&levered);
    let gained = simulated(&plan) - simulated(&levered);
    assert!(gained > 60.0, "{gained}");
    assert!(((before - after) - gained).abs() <= 1.0, "lint {before} -> {after}, simulator gains {gained}");
    assert!(!fix.contains("imageCache") && !fix.contains("s3Streamer"), "{fix}");
}
