//! Export → import → export is byte-identical, for every example and for random plans; and no input
//! (mutated YAML, random bytes, deep nesting, oversize) makes parsing, import or lint panic.

use tokenfleet_core::lint::{self, Severity};
use tokenfleet_core::manifest::{self, import};
use tokenfleet_core::{examples::EXAMPLES, plan};

use crate::generate::{self, Rng};

fn round_trip(label: &str, plan: &plan::Plan) {
    let first = manifest::render_stream(plan);
    let imported = import::import_yaml("export.yaml", &first).unwrap_or_else(|e| panic!("{label}: {e}"));
    let errors: Vec<_> = imported.findings.iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{label}: import errors {errors:#?}");
    let second = manifest::render_stream(&imported.plan);
    if first != second {
        let diff = first.lines().zip(second.lines()).enumerate().find(|(_, (a, b))| a != b);
        panic!("{label}: export → import → export differs, first at {diff:?}");
    }
    // The imported plan also survives its own YAML form.
    let again = plan::parse_plan(&imported.plan.to_yaml()).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(manifest::render_stream(&again), first, "{label}: plan YAML round trip");
}

#[test]
fn examples_round_trip_byte_for_byte() {
    for (name, text) in EXAMPLES {
        round_trip(name, &plan::parse_plan(text).unwrap());
    }
}

#[test]
fn random_plans_round_trip_byte_for_byte() {
    for seed in 0..300 {
        round_trip(&format!("seed {seed}"), &generate::plan(seed));
    }
}

#[test]
fn plan_yaml_and_json_round_trip() {
    for seed in 0..200 {
        let plan = generate::plan(seed);
        assert_eq!(plan::parse_plan(&plan.to_yaml()).as_ref(), Ok(&plan), "seed {seed} YAML");
        let json = serde_json::to_string_pretty(&plan).unwrap();
        assert_eq!(plan::parse_plan(&json).as_ref(), Ok(&plan), "seed {seed} JSON");
    }
}

#[test]
fn kubectl_lists_import_like_streams() {
    let plan = plan::parse_plan(EXAMPLES[0].1).unwrap();
    let values = manifest::render_values(&plan);
    let list =
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": values, "metadata": {"resourceVersion": ""}});
    let from_list = import::import_yaml("list.yaml", &serde_json::to_string(&list).unwrap()).unwrap();
    assert_eq!(manifest::render_stream(&from_list.plan), manifest::render_stream(&plan));
}

/// Mutations of valid text: deletions, duplications, byte flips, truncation, indentation changes.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(6) {
            0 => {
                let end = (at + rng.below(40) as usize).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let end = (at + rng.below(80) as usize).min(bytes.len());
                let chunk = bytes[at..end].to_vec();
                let to = rng.below(bytes.len() as u64) as usize;
                bytes.splice(to..to, chunk);
            }
            2 => bytes[at] = *rng.pick(b": -[]{}\n\t\"'&*!|>#%@`0x"),
            3 => bytes.truncate(at),
            4 => bytes.insert(at, b' '),
            _ => bytes[at] = rng.below(256) as u8,
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn no_input_panics() {
    let rng = &mut Rng::new(7);
    let mut corpus: Vec<String> = EXAMPLES.iter().map(|(_, t)| t.to_string()).collect();
    for seed in 0..5 {
        let plan = generate::plan(seed);
        corpus.push(plan.to_yaml());
        corpus.push(manifest::render_stream(&plan));
    }
    for i in 0..1500 {
        let base = &corpus[i % corpus.len()];
        let input = mutate(rng, base);
        let _ = plan::parse_plan(&input);
        let _ = import::import_yaml("fuzz.yaml", &input);
        let _ = lint::lint_text("fuzz.yaml", &input);
    }
    let hostile = [
        "[".repeat(100_000),
        "- ".repeat(50_000),
        "a: &a [*a]\n".to_string(),
        "a: &a x\nb: [*a, *a, *a]\n".repeat(1000),
        format!("kind: List\nitems: {}\n", "[".repeat(5000)),
        "kind: NodePool\nspec: {weight: 99999999999999999999999}\n".to_string(),
        "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {name: x}\nspec: {region: us-east-1, deployments: [{name: d, model: m, tensorParallel: 4294967295, replicas: {min: 4294967295, max: 4294967295}}]}\n".to_string(),
        "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {name: x}\nspec: {region: us-east-1, deployments: [{name: d, model: m, replicas: {min: 4294967295, max: 4294967295}}], nodePools: [{name: p, capacityTypes: [spot], nodeClass: c}], nodeClasses: [{name: c, ami: al2023, capacityReservations: [{id: cr-1, instanceType: g5.xlarge, count: 4294967295}]}]}\n".to_string(),
        "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: d}\nspec:\n  replicas: 4294967295\n  template: {spec: {containers: [{name: c, args: [--model, m]}]}}\n---\nkind: NodePool\napiVersion: karpenter.sh/v1\nmetadata: {name: p}\nspec: {template: {spec: {nodeClassRef: {name: c}, requirements: [{key: karpenter.k8s.aws/instance-family, operator: In, values: [g4dn]}]}}}\n".to_string(),
        // eksctl and Cluster Autoscaler shapes (the import of issue 19 item 5).
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: [], region: 7}\nmanagedNodeGroups: [{name: x, instanceTypes: [g5.xlarge, {}], minSize: 99999999999999999999, maxSize: -3, taints: {k: ':'}}]\nnodeGroups: {a: b}\n".to_string(),
        "kind: Deployment\nspec: {template: {spec: {containers: [{image: cluster-autoscaler, command: [--nodes, '--nodes=4294967296:1:a', '--expander', '--scan-interval=1e308s', '--scale-down-utilization-threshold=inf']}]}}}\n".to_string(),
        "kind: ConfigMap\nmetadata: {name: cluster-autoscaler-priority-expander}\ndata: {priorities: \"2147483648: [a]\\n1: [((((]\\n2: '.*.*.*.*.*.*.*.*x$'\"}\n".to_string(),
                "\u{feff}\u{0}\u{1}".to_string(),
        "x".repeat(plan::MAX_INPUT_BYTES + 1),
    ];
    for input in &hostile {
        let _ = plan::parse_plan(input);
        let _ = import::import_yaml("hostile.yaml", input);
        let _ = lint::lint_text("hostile.yaml", input);
    }
    let oversize = import::import_yaml("big.yaml", &hostile[hostile.len() - 1]).unwrap_err();
    assert!(oversize.message.contains("limit"), "{oversize}");
}

/// A random JSON tree over the keys the importer reads, with values of random types in random places.
fn random_tree(rng: &mut Rng, depth: u32) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    const KEYS: &[&str] = &[
        "apiVersion",
        "kind",
        "metadata",
        "name",
        "labels",
        "annotations",
        "spec",
        "template",
        "requirements",
        "key",
        "operator",
        "values",
        "limits",
        "taints",
        "effect",
        "disruption",
        "consolidationPolicy",
        "consolidateAfter",
        "budgets",
        "nodes",
        "nodeClassRef",
        "weight",
        "containers",
        "args",
        "command",
        "resources",
        "requests",
        "replicas",
        "tolerations",
        "nodeSelector",
        "scaleTargetRef",
        "metrics",
        "pods",
        "metric",
        "target",
        "averageValue",
        "triggers",
        "query",
        "threshold",
        "items",
        "amiSelectorTerms",
        "alias",
        "managedNodeGroups",
        "nodeGroups",
        "instanceType",
        "instanceTypes",
        "minSize",
        "maxSize",
        "desiredCapacity",
        "spot",
        "amiFamily",
        "volumeSize",
        "instancesDistribution",
        "priorities",
        "blockDeviceMappings",
        "ebs",
        "volumeSize",
        "capacityReservationSelectorTerms",
        "id",
        "data",
        "workload.json",
        "minReplicas",
        "maxReplicas",
        "minReplicaCount",
        "maxReplicaCount",
        "behavior",
        "scaleUp",
        "policies",
        "value",
    ];
    const KINDS: &[&str] = &[
        "NodePool",
        "EC2NodeClass",
        "Deployment",
        "HorizontalPodAutoscaler",
        "ScaledObject",
        "ConfigMap",
        "List",
        "ClusterConfig",
    ];
    if depth == 0 || rng.chance(30) {
        return match rng.below(8) {
            0 => Value::Null,
            1 => json!(rng.chance(50)),
            2 => json!(rng.below(1 << 40) as i64 - (1 << 39)),
            3 => json!(rng.below(1000) as f64 / 7.0),
            4 => json!(*rng.pick(KINDS)),
            5 => json!(*rng.pick(&[
                "--model",
                "--tensor-parallel-size",
                "8",
                "In",
                "g5.xlarge",
                "cr-1",
                "bottlerocket@latest",
                "10%",
                "{\"plan\": 1}",
                "eksctl.io/v1alpha5",
                "./cluster-autoscaler",
                "cluster-autoscaler-priority-expander",
                "--nodes=1:3:a",
                "--expander=priority",
                "Bottlerocket"
            ])),
            6 => json!(*rng.pick(KEYS)),
            _ => json!(""),
        };
    }
    if rng.chance(35) {
        return Value::Array((0..rng.below(4)).map(|_| random_tree(rng, depth - 1)).collect());
    }
    let mut map = Map::new();
    if depth >= 4 {
        map.insert("kind".into(), json!(*rng.pick(KINDS)));
    }
    for _ in 0..rng.below(6) {
        map.insert(rng.pick(KEYS).to_string(), random_tree(rng, depth - 1));
    }
    Value::Object(map)
}

#[test]
fn structured_random_documents_do_not_panic() {
    let rng = &mut Rng::new(11);
    for _ in 0..2000 {
        let docs: Vec<String> =
            (0..1 + rng.below(3)).map(|_| serde_json::to_string(&random_tree(rng, 6)).unwrap()).collect();
        let stream = docs.join("\n---\n");
        let _ = import::import_yaml("random.yaml", &stream);
        let _ = lint::lint_text("random.yaml", &stream);
    }
}

/// Every YAML and JSON file of the repository (and of ../shared/reference when present) reads as a
/// stream of located documents, and every plan among them as a Plan.
#[test]
fn every_yaml_and_json_file_reads() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                if !path.ends_with("node_modules") && !path.ends_with("artifacts") {
                    files(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
                out.push(path);
            }
        }
    }
    let root = tokenfleet_tests::repo_root();
    let mut paths = Vec::new();
    for dir in ["examples", "tests/lint-corpus", "tests/snapshots", "docs"] {
        files(&root.join(dir), &mut paths);
    }
    match tokenfleet_tests::shared_reference() {
        Some(reference) => files(&reference, &mut paths),
        None => eprintln!("every_yaml_and_json_file_reads: ../shared/reference is absent; its schemas are not read"),
    }
    assert!(paths.len() >= 20, "too few files: {}", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.display();
        // The lint corpus holds deliberate mistakes, some of them in the YAML itself.
        let must_read = !path.to_string_lossy().contains("lint-corpus");
        match tokenfleet_core::plan::tree::parse_stream(&text) {
            Err(e) if must_read => failures.push(format!("{name}: {e}")),
            _ => {}
        }
        if text.contains("kind: Plan") && path.starts_with(root.join("examples")) {
            if let Err(e) = plan::parse_plan(&text) {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Small random edits of real plans: where the text no longer reads as a Plan, the error names a
/// line inside the text.
#[test]
fn mutated_plans_are_refused_with_a_place() {
    const PIECES: &[&str] = &[
        ":",
        ": ",
        "- ",
        "{",
        "}",
        "[",
        "]",
        ",",
        "'",
        "\"",
        "\n",
        "  ",
        "~",
        "1",
        "-1",
        "1.5",
        "x",
        "true",
        "null",
        "\"12\"",
        "bogus: 1\n",
        "name: n\n",
        "    ",
        "#",
    ];
    let sources: Vec<String> = EXAMPLES
        .iter()
        .map(|(_, text)| text.to_string())
        .chain((0..20).map(|seed| generate::plan(seed).to_yaml()))
        .chain((0..5).map(|seed| serde_json::to_string_pretty(&generate::plan(seed)).unwrap()))
        .collect();
    let rng = &mut Rng::new(31);
    let (mut failures, mut refused) = (Vec::new(), 0);
    for round in 0..3000 {
        let source = rng.pick(&sources).clone();
        let text = generate::mutate_text(rng, &source, PIECES, 2);
        let Err(e) = plan::parse_plan(&text) else { continue };
        refused += 1;
        let lines = text.lines().count() as u64 + 1;
        let placed = e.line.is_some_and(|l| (1..=lines).contains(&l));
        if !placed || e.message.is_empty() {
            failures.push(format!("round {round}: {e:?}\n{text}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {refused} errors unplaced, e.g. {}",
        failures.len(),
        failures.first().map(String::as_str).unwrap_or("")
    );
    assert!(refused > 500, "too few mutated texts are refused: {refused}");
}

/// A share link written before the Plan moved to serde derive (the quickstart's link as the
/// hand-written writers of commit eede2af produced it, byte for byte) still opens to the same plan,
/// and the plan still writes the same link: links people saved keep working.
#[test]
fn an_old_share_link_still_opens() {
    let link =
        std::fs::read_to_string(tokenfleet_tests::repo_root().join("tests/data/share-link-quickstart-v1.txt")).unwrap();
    let mut quickstart = plan::parse_plan(tokenfleet_core::examples::example("quickstart").unwrap()).unwrap();
    // The quickstart as it was then: before it held scale-down for 30 minutes (issue 14).
    quickstart.spec.deployments[0].autoscaler.as_mut().unwrap().behavior = None;
    let opened = tokenfleet_core::share::decode_share(link.trim()).unwrap();
    assert_eq!(opened, quickstart);
    assert_eq!(tokenfleet_core::share::encode_share(&quickstart), link.trim());
}

/// Every object of an export has its own name within its kind, and so its own file under
/// `export --out`: for the examples and for random valid plans (a repeat would be applied over the
/// other object, or overwrite its file).
#[test]
fn every_exported_object_has_its_own_name_and_file() {
    let plans = EXAMPLES
        .iter()
        .map(|(_, text)| plan::parse_plan(text).unwrap())
        .chain((0..300).map(generate::plan).filter(|p| plan::validate(p).is_empty()));
    let mut checked = 0;
    for plan in plans {
        let documents = manifest::render(&plan);
        let mut names = std::collections::BTreeSet::new();
        let mut files = std::collections::BTreeSet::new();
        for d in &documents {
            assert!(
                names.insert((d.kind.clone(), d.name.clone())),
                "{}: {} {} twice",
                plan.metadata.name,
                d.kind,
                d.name
            );
            assert!(files.insert(d.file_name()), "{}: file {} twice", plan.metadata.name, d.file_name());
        }
        checked += 1;
    }
    assert!(checked > 100, "too few valid plans: {checked}");
}
