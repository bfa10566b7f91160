//! GitOps exports (`export --format kustomize|helm`), rendered as the tools would render them.
//!
//! Neither helm nor kustomize installs from the package registries this project reaches, so the
//! renderers are here (`gitops_render.rs`): Go-template actions for exactly the constructs the
//! chart's templates use (a construct they do not know fails the test), and Kustomize's `resources`,
//! `replicas` and JSON 6902 `patches` with targets (json-patch applies the operations). Where
//! `kubectl` is on the PATH, its built-in kustomize renders the overlays too and must agree.
//!
//! Checked for every example and for random plans: the chart's default render is the plain export
//! byte for byte, document by document; values reach exactly the fields they name; the base renders
//! the plain export; production renders the base; staging changes replicas, NodePool limits and
//! reservation ids (and the annotation import reads them from) and nothing else; every rendered
//! document validates against the schemas in ../shared.

use std::collections::BTreeMap;

use serde_json::Value;
use tokenfleet_core::manifest::gitops::{self, ExportFile, STAGING_RESERVATION_PREFIX};
use tokenfleet_core::manifest::RESERVATIONS_ANNOTATION;
use tokenfleet_core::{examples::EXAMPLES, manifest, plan, plan::Plan};

use crate::conformance::{check_documents, say, schemas};
use crate::generate;
use crate::gitops_render::{helm_template, kustomize_build, parse_yaml, parse_yaml_stream, rendered_by_kubectl};

const RANDOM_PLANS: u64 = 60;

/// Every example and a run of random plans, with a label.
fn plans() -> Vec<(String, Plan)> {
    let mut out: Vec<(String, Plan)> =
        EXAMPLES.iter().map(|(name, text)| (name.to_string(), plan::parse_plan(text).unwrap())).collect();
    out.extend((0..RANDOM_PLANS).map(|seed| (format!("seed {seed}"), generate::plan(seed))));
    out
}

fn by_path(files: &[ExportFile]) -> BTreeMap<String, String> {
    files.iter().map(|f| (f.path.clone(), f.text.clone())).collect()
}

fn export_values(plan: &Plan) -> Vec<Value> {
    manifest::render(plan).iter().map(|d| parse_yaml(&d.yaml)).collect()
}

/// The chart rendered with its values (or `values` instead of values.yaml): one text per template,
/// in the plain export's order.
fn helm_render(plan: &Plan, files: &BTreeMap<String, String>, values: Option<&Value>) -> Vec<String> {
    let default_values = parse_yaml(&files["values.yaml"]);
    let values = values.unwrap_or(&default_values);
    manifest::render(plan)
        .iter()
        .map(|d| {
            let path = format!("templates/{}", d.file_name());
            let template = files.get(&path).unwrap_or_else(|| panic!("{path} missing from the chart"));
            helm_template(template, values)
        })
        .collect()
}

#[test]
fn the_charts_default_render_is_the_plain_export_byte_for_byte() {
    for (label, plan) in plans() {
        let files = by_path(&gitops::helm_chart(&plan));
        let chart = parse_yaml(&files["Chart.yaml"]);
        assert_eq!(chart["apiVersion"], "v2", "{label}");
        assert_eq!(chart["name"], plan.metadata.name.as_str(), "{label}");
        let templates = files.keys().filter(|p| p.starts_with("templates/")).count();
        let documents = manifest::render(&plan);
        assert_eq!(templates, documents.len(), "{label}: one template per resource");
        for (document, rendered) in documents.iter().zip(helm_render(&plan, &files, None)) {
            assert_eq!(rendered, document.yaml, "{label}: {}", document.file_name());
        }
    }
}

#[test]
fn literal_braces_in_an_export_are_escaped_in_the_chart() {
    let mut plan = plan::parse_plan(EXAMPLES[0].1).unwrap();
    plan.metadata.description = Some("{{ not a template }}".into());
    plan.spec.node_pools[0].labels.insert("example.com/note".into(), "a{{b".into());
    let files = by_path(&gitops::helm_chart(&plan));
    let documents = manifest::render(&plan);
    assert!(documents.iter().any(|d| d.yaml.contains("{{")), "the fixture must put braces in the export");
    for (document, rendered) in documents.iter().zip(helm_render(&plan, &files, None)) {
        assert_eq!(rendered, document.yaml, "{}", document.file_name());
    }
}

const ALT_IMAGE: &str = "registry.example.com/serving/engine:v9";
const ALT_MODEL: &str = "example-org/Example-Model-7B";
// With a unit, so it stays a string where the export writes the limit unquoted (`1000Gi`): a bare
// number there renders as a YAML integer, which Kubernetes reads as the same quantity.
const ALT_LIMIT: &str = "97Gi";

fn alt_weight(weight: u64) -> u64 {
    if weight < 100 {
        weight + 1
    } else {
        weight - 1
    }
}

fn alt_id(id: &str) -> String {
    format!("cr-0ffe{}", id.trim_start_matches("cr-"))
}

/// What the plain export becomes when every tunable value is changed as `alter_values` changes it,
/// written independently of the chart: from the documents' own fields.
fn alter_documents(documents: &mut [Value]) {
    for doc in documents {
        match doc["kind"].as_str().unwrap_or_default() {
            "Deployment" => {
                if let Some(r) = doc["spec"]["replicas"].as_u64() {
                    doc["spec"]["replicas"] = (r + 1).into();
                }
                let container = &mut doc["spec"]["template"]["spec"]["containers"][0];
                container["image"] = ALT_IMAGE.into();
                if let Some(args) = container.get_mut("args").and_then(Value::as_array_mut) {
                    if let Some(at) = args.iter().position(|a| a == "--model") {
                        args[at + 1] = ALT_MODEL.into();
                    }
                }
            }
            "NodePool" => {
                if let Some(w) = doc["spec"]["weight"].as_u64() {
                    doc["spec"]["weight"] = alt_weight(w).into();
                }
                for (_, limit) in doc.pointer_mut("/spec/limits").and_then(Value::as_object_mut).into_iter().flatten() {
                    *limit = ALT_LIMIT.into();
                }
            }
            "EC2NodeClass" => {
                let mut renamed = Vec::new();
                let terms = doc.pointer_mut("/spec/capacityReservationSelectorTerms").and_then(Value::as_array_mut);
                for term in terms.into_iter().flatten() {
                    let id = term["id"].as_str().unwrap().to_string();
                    term["id"] = alt_id(&id).into();
                    renamed.push(id);
                }
                if let Some(a) = doc.pointer_mut("/metadata/annotations/tokenfleet.dev~1capacity-reservations") {
                    let entries: Vec<String> = a
                        .as_str()
                        .unwrap()
                        .split(',')
                        .map(|e| match e.split_once('=') {
                            Some((id, rest)) if renamed.iter().any(|r| r == id) => format!("{}={rest}", alt_id(id)),
                            _ => e.to_string(),
                        })
                        .collect();
                    *a = entries.join(",").into();
                }
            }
            _ => {}
        }
    }
}

/// values.yaml with every value changed: replicas + 1, weights by one, limits, ids, image, model.
fn alter_values(values: &mut Value) {
    for (_, d) in values.pointer_mut("/deployments").and_then(Value::as_object_mut).into_iter().flatten() {
        if let Some(r) = d["replicas"].as_u64() {
            d["replicas"] = (r + 1).into();
        }
        d["image"] = ALT_IMAGE.into();
        if d.get("model").is_some() {
            d["model"] = ALT_MODEL.into();
        }
    }
    for (_, p) in values.pointer_mut("/nodePools").and_then(Value::as_object_mut).into_iter().flatten() {
        if let Some(w) = p["weight"].as_u64() {
            p["weight"] = alt_weight(w).into();
        }
        for (_, limit) in p.pointer_mut("/limits").and_then(Value::as_object_mut).into_iter().flatten() {
            *limit = ALT_LIMIT.into();
        }
    }
    for (_, c) in values.pointer_mut("/nodeClasses").and_then(Value::as_object_mut).into_iter().flatten() {
        for id in c.pointer_mut("/capacityReservationIds").and_then(Value::as_array_mut).into_iter().flatten() {
            *id = alt_id(id.as_str().unwrap()).into();
        }
    }
}

#[test]
fn every_chart_value_reaches_exactly_the_field_it_names_and_the_render_is_schema_valid() {
    let schemas = schemas();
    let mut violations = Vec::new();
    let mut documents_checked = 0;
    for (label, plan) in plans() {
        let files = by_path(&gitops::helm_chart(&plan));
        let mut values = parse_yaml(&files["values.yaml"]);
        alter_values(&mut values);
        let rendered: Vec<Value> = helm_render(&plan, &files, Some(&values)).iter().map(|t| parse_yaml(t)).collect();
        let mut expected = export_values(&plan);
        alter_documents(&mut expected);
        assert_eq!(rendered.len(), expected.len());
        for (r, e) in rendered.iter().zip(&expected) {
            let mut changed = Vec::new();
            differences(e, r, "", &mut changed);
            assert!(
                changed.is_empty(),
                "{label}: {}/{}: differs from the expected at {changed:?}: {:?} rendered, {:?} expected",
                e["kind"],
                e["metadata"]["name"],
                changed.first().map(|p| r.pointer(p)),
                changed.first().map(|p| e.pointer(p))
            );
        }
        if let Some(schemas) = &schemas {
            violations.extend(check_documents(schemas, &format!("{label} (helm, changed values)"), &rendered));
            documents_checked += rendered.len();
        }
    }
    say(&format!("gitops: helm renders with changed values, {documents_checked} documents schema-checked"));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// Leaf paths (JSON pointers) where two documents differ.
fn differences(a: &Value, b: &Value, at: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let path = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                differences(x.get(key).unwrap_or(&Value::Null), y.get(key).unwrap_or(&Value::Null), &path, out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(p, q, &format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(at.to_string()),
        _ => {}
    }
}

#[test]
fn kustomize_base_and_production_render_the_plain_export_and_staging_changes_only_what_it_says() {
    let schemas = schemas();
    let mut violations = Vec::new();
    let mut documents_checked = 0;
    let (mut replicas_changed, mut limits_changed, mut ids_changed) = (0, 0, 0);
    for (label, plan) in plans() {
        let files = by_path(&gitops::kustomize(&plan));
        let export = export_values(&plan);
        for document in manifest::render(&plan) {
            assert_eq!(files[&format!("base/{}", document.file_name())], document.yaml, "{label}");
        }
        assert_eq!(kustomize_build(&files, "base"), export, "{label}: base");
        assert_eq!(kustomize_build(&files, "overlays/production"), export, "{label}: production");
        let staging = kustomize_build(&files, "overlays/staging");
        assert_eq!(staging.len(), export.len(), "{label}");
        for (before, after) in export.iter().zip(&staging) {
            let what = format!("{label}: {}/{}", before["kind"], before["metadata"]["name"]);
            let mut changed = Vec::new();
            differences(before, after, "", &mut changed);
            for path in changed {
                let value = after.pointer(&path).cloned().unwrap_or(Value::Null);
                match (before["kind"].as_str().unwrap(), path.as_str()) {
                    ("Deployment", "/spec/replicas") => {
                        assert_eq!(value, before["spec"]["replicas"].as_u64().unwrap().min(1), "{what}");
                        replicas_changed += 1;
                    }
                    ("NodePool", p) if p.starts_with("/spec/limits/") => {
                        let old = before.pointer(p).unwrap().as_str().unwrap();
                        let new = value.as_str().unwrap();
                        let number = |q: &str| q.trim_end_matches(char::is_alphabetic).parse::<u64>().unwrap();
                        assert!(number(new) < number(old), "{what}: limit {old} → {new}");
                        limits_changed += 1;
                    }
                    ("EC2NodeClass", p) if p.starts_with("/spec/capacityReservationSelectorTerms/") => {
                        assert!(p.ends_with("/id") && value.as_str().unwrap().starts_with(STAGING_RESERVATION_PREFIX));
                        let annotation = after["metadata"]["annotations"][RESERVATIONS_ANNOTATION].as_str().unwrap();
                        assert!(annotation.contains(&format!("{}=", value.as_str().unwrap())), "{what}: {annotation}");
                        ids_changed += 1;
                    }
                    ("EC2NodeClass", "/metadata/annotations/tokenfleet.dev~1capacity-reservations") => {}
                    (_, p) => panic!("{what}: staging changed {p}, which it does not say it changes"),
                }
            }
        }
        if let Some(schemas) = &schemas {
            violations.extend(check_documents(schemas, &format!("{label} (staging)"), &staging));
            documents_checked += staging.len();
        }
    }
    say(&format!(
        "gitops: staging changed {replicas_changed} replicas, {limits_changed} limits, {ids_changed} reservation ids; \
         {documents_checked} documents schema-checked"
    ));
    assert!(replicas_changed > 0 && limits_changed > 0 && ids_changed > 0, "staging must change all three");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn staging_for_stable_reserved_is_what_the_docs_say() {
    let plan = plan::parse_plan(tokenfleet_core::examples::example("stable-reserved").unwrap()).unwrap();
    let files = by_path(&gitops::kustomize(&plan));
    let staging = kustomize_build(&files, "overlays/staging");
    let find = |kind: &str| staging.iter().find(|d| d["kind"] == kind).unwrap();
    assert_eq!(find("Deployment")["spec"]["replicas"], 1);
    assert_eq!(find("NodePool")["spec"]["limits"]["nvidia.com/gpu"], "4");
    assert_eq!(find("EC2NodeClass")["spec"]["capacityReservationSelectorTerms"][0]["id"], "cr-replacemestaging0");
}

#[test]
fn the_staging_render_imports_with_its_reservations() {
    for (name, text) in EXAMPLES {
        let plan = plan::parse_plan(text).unwrap();
        let files = by_path(&gitops::kustomize(&plan));
        let staging = kustomize_build(&files, "overlays/staging");
        let stream: String = staging.iter().map(|d| format!("---\n{}", tokenfleet_core::yaml::to_yaml(d))).collect();
        let imported = manifest::import::import_yaml("staging.yaml", &stream).unwrap();
        assert!(
            imported.findings.iter().all(|f| f.code != "TF035"),
            "{name}: staging's reservations lost their sizes: {:?}",
            imported.findings
        );
        let reservations: Vec<_> =
            plan.spec.node_classes.iter().flat_map(|c| &c.capacity_reservations).map(|r| r.count).collect();
        let again: Vec<_> =
            imported.plan.spec.node_classes.iter().flat_map(|c| &c.capacity_reservations).map(|r| r.count).collect();
        assert_eq!(again, reservations, "{name}");
    }
}

#[test]
fn kubectl_kustomize_agrees_with_the_test_renderer() {
    let dir = std::env::temp_dir().join(format!("tokenfleet-gitops-{}", std::process::id()));
    let mut compared = 0;
    for (name, text) in EXAMPLES {
        let plan = plan::parse_plan(text).unwrap();
        let files = gitops::kustomize(&plan);
        let root = dir.join(name);
        for file in &files {
            let path = root.join(&file.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &file.text).unwrap();
        }
        let files = by_path(&files);
        for target in ["base", "overlays/production", "overlays/staging"] {
            let Some(output) = rendered_by_kubectl(&root.join(target)) else {
                say("SKIPPED gitops: kubectl is not on the PATH; overlays not rendered by the real kustomize");
                let _ = std::fs::remove_dir_all(&dir);
                return;
            };
            let key = |d: &Value| format!("{}/{}", d["kind"], d["metadata"]["name"]);
            let mut theirs: Vec<Value> = parse_yaml_stream(&output);
            let mut ours = kustomize_build(&files, target);
            theirs.sort_by_key(key);
            ours.sort_by_key(key);
            assert_eq!(theirs, ours, "{name}: {target}");
            compared += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    say(&format!("gitops: kubectl kustomize rendered {compared} kustomizations like the test renderer"));
}

#[test]
fn staging_keeps_a_limit_that_one_replica_needs_whole() {
    // One replica (tensor parallel 4) on p5.48xlarge, whose node brings 8 GPUs, under a limit of 8:
    // Karpenter counts the node's capacity, so halving to 4 would leave no room for the node.
    let mut plan = plan::parse_plan(tokenfleet_core::examples::example("latency-critical-p5").unwrap()).unwrap();
    plan.spec.node_pools[0].limits.insert("nvidia.com/gpu".into(), "8".into());
    let files = by_path(&gitops::kustomize(&plan));
    let staging = kustomize_build(&files, "overlays/staging");
    let pool = staging.iter().find(|d| d["kind"] == "NodePool").unwrap();
    assert_eq!(pool["spec"]["limits"]["nvidia.com/gpu"], "8");
    // With room for two nodes, staging halves the limit to the one node it needs.
    plan.spec.node_pools[0].limits.insert("nvidia.com/gpu".into(), "16".into());
    let staging = kustomize_build(&by_path(&gitops::kustomize(&plan)), "overlays/staging");
    let pool = staging.iter().find(|d| d["kind"] == "NodePool").unwrap();
    assert_eq!(pool["spec"]["limits"]["nvidia.com/gpu"], "8");
}
