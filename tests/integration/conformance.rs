//! Conformance: every exported document validates against the schemas in ../shared/reference/schemas
//! (Karpenter v1 CRDs, KEDA ScaledObject CRD, Kubernetes 1.35 OpenAPI for apps/v1, autoscaling/v2,
//! policy/v1), and the CRDs' `x-kubernetes-validations` CEL rules (evaluated by `crate::cel`), for
//! every example plan and for 500 randomly generated plans per run.

use serde_json::Value;
use std::sync::LazyLock;

use regex::Regex;
use tokenfleet_core::{examples::EXAMPLES, manifest, plan, plan::tree};

use crate::generate;
use crate::schema::Schemas;

const RANDOM_PLANS: u64 = 500;

/// Writes past the test harness's output capture, so skips and counts show in every run.
pub(crate) fn say(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

pub(crate) fn schemas() -> Option<Schemas> {
    match tokenfleet_tests::shared_reference() {
        Some(reference) => Some(Schemas::load(&reference.join("schemas"))),
        None => {
            say("SKIPPED conformance: ../shared/reference not found beside the repository; schemas not checked");
            None
        }
    }
}

/// apimachinery's `IsDNS1123Subdomain`: at most 253 characters (its dot-separated parts are not
/// limited to 63), written here from the Kubernetes source rather than with core's predicates.
fn is_dns1123_subdomain(s: &str) -> bool {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$").unwrap());
    s.len() <= 253 && RE.is_match(s)
}

/// `IsDNS1035Label` (Service names).
fn is_dns1035_label(s: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z]([-a-z0-9]*[a-z0-9])?$").unwrap());
    s.len() <= 63 && RE.is_match(s)
}

/// `IsQualifiedName`'s name part, and a non-empty `IsValidLabelValue`.
fn is_name_part(s: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").unwrap());
    s.len() <= 63 && RE.is_match(s)
}

/// A label key (`IsQualifiedName`) and value (`IsValidLabelValue`).
fn is_label(key: &str, value: &str) -> bool {
    let key_ok = match key.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_name_part(name),
        None => is_name_part(key),
    };
    key_ok && (value.is_empty() || is_name_part(value))
}

/// What the API server checks that neither the OpenAPI schemas nor the CRDs' CEL rules express (the
/// CEL rules are evaluated for real, by `crate::cel`).
fn hand_checks(doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    // apimachinery's object meta validation: names and labels (no schema pattern says so).
    let name = doc["metadata"]["name"].as_str().unwrap_or_default();
    let name_ok = if doc["kind"] == "Service" { is_dns1035_label(name) } else { is_dns1123_subdomain(name) };
    if !name_ok {
        errors.push(format!("metadata.name: {name:?} is not a valid object name"));
    }
    let spec = &doc["spec"];
    for (at, labels) in [
        ("metadata.labels", &doc["metadata"]["labels"]),
        ("spec.template.metadata.labels", &spec["template"]["metadata"]["labels"]),
        ("spec.template.spec.nodeSelector", &spec["template"]["spec"]["nodeSelector"]),
        ("spec.selector.matchLabels", &spec["selector"]["matchLabels"]),
    ] {
        for (key, value) in labels.as_object().into_iter().flatten() {
            if !value.as_str().is_some_and(|v| is_label(key, v)) {
                errors.push(format!("{at}: {key:?}: {value} is not a valid label"));
            }
        }
    }
    match doc["kind"].as_str() {
        Some("Service") if doc["spec"]["ports"].as_array().is_none_or(|p| p.is_empty()) => {
            errors.push("Service without ports".to_string());
        }
        Some("ConfigMap") if !doc["data"].as_object().is_some_and(|d| d.values().all(Value::is_string)) => {
            errors.push("ConfigMap data must be strings".to_string());
        }
        // core/v1 validation: a pod template's container needs an image (`Required value`).
        Some("Deployment") => {
            let spec = &doc["spec"]["template"]["spec"];
            for (key, containers) in [("containers", &spec["containers"]), ("initContainers", &spec["initContainers"])]
            {
                for (i, c) in containers.as_array().into_iter().flatten().enumerate() {
                    if c["image"].as_str().is_none_or(str::is_empty) {
                        errors.push(format!("spec.template.spec.{key}[{i}].image: Required value"));
                    }
                }
            }
        }
        _ => {}
    }
    errors
}

/// Validates every document of a plan's export; returns (documents checked, violations).
fn check_plan(schemas: &Schemas, label: &str, plan: &plan::Plan) -> (usize, Vec<String>) {
    let stream = manifest::render_stream(plan);
    let docs = tree::parse_stream(&stream).unwrap_or_else(|e| panic!("{label}: export is not YAML: {e}"));
    let docs: Vec<Value> = docs.iter().map(|d| serde_json::to_value(d.to_doc()).unwrap()).collect();
    (docs.len(), check_documents(schemas, label, &docs))
}

/// Validates documents against the schemas and every CEL rule of the CRDs; the violations.
pub(crate) fn check_documents(schemas: &Schemas, label: &str, docs: &[Value]) -> Vec<String> {
    let mut violations = Vec::new();
    for json in docs {
        let kind = json["kind"].as_str().unwrap_or_default().to_string();
        let name = json["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let api_version = json["apiVersion"].as_str().unwrap_or_default();
        let mut errors = hand_checks(json);
        errors.extend(schemas.cel.check(json).1.iter().map(ToString::to_string));
        if schemas.covers(api_version, &kind) {
            errors.extend(schemas.validate(json));
        } else if !(api_version == "v1" && ["Service", "ConfigMap"].contains(&kind.as_str())) {
            errors.push(format!("no schema for {api_version} {kind}"));
        }
        violations.extend(errors.into_iter().map(|e| format!("{label}: {kind}/{name}: {e}")));
    }
    violations
}

#[test]
fn every_example_exports_schema_valid_manifests() {
    let Some(schemas) = schemas() else { return };
    let mut total = 0;
    let mut violations = Vec::new();
    for (name, text) in EXAMPLES {
        let plan = plan::parse_plan(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (count, v) = check_plan(&schemas, name, &plan);
        total += count;
        violations.extend(v);
    }
    say(&format!("conformance: {} examples, {total} documents, {} violations", EXAMPLES.len(), violations.len()));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// A cluster imported from eksctl and Cluster Autoscaler (tests/data/cluster-autoscaler) exports
/// NodePools and EC2NodeClasses the API server accepts.
#[test]
fn an_imported_cluster_autoscaler_cluster_exports_schema_valid_manifests() {
    let Some(schemas) = schemas() else { return };
    let files = tokenfleet_tests::cluster_autoscaler_files();
    let imported = tokenfleet_core::manifest::import::import_files(&files).unwrap();
    assert!(
        !imported.findings.iter().any(|f| f.severity == tokenfleet_core::lint::Severity::Error),
        "{:#?}",
        imported.findings
    );
    assert_eq!(imported.plan.spec.node_pools.len(), 2);
    let (count, violations) = check_plan(&schemas, "cluster-autoscaler import", &imported.plan);
    say(&format!("conformance: imported eksctl cluster, {count} documents, {} violations", violations.len()));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn random_plans_export_schema_valid_manifests() {
    let Some(schemas) = schemas() else { return };
    let mut total = 0;
    let mut violations = Vec::new();
    for seed in 0..RANDOM_PLANS {
        let plan = generate::plan(seed);
        let errors = plan::validate(&plan);
        assert!(errors.is_empty(), "generator made an invalid plan {seed}: {errors:?}");
        let (count, v) = check_plan(&schemas, &format!("seed {seed}"), &plan);
        total += count;
        violations.extend(v);
    }
    say(&format!("conformance: {RANDOM_PLANS} random plans, {total} documents, {} violations", violations.len()));
    violations.truncate(40);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_validator_catches_broken_documents() {
    let Some(schemas) = schemas() else { return };
    let bad_pool = serde_json::json!({
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "x"},
        "spec": {"weight": 300, "disruption": {"consolidationPolicy": "Never"},
                 "template": {"spec": {"requirements": [], "nodeClassRef": {"group": "g", "kind": "k", "name": "n"}, "extra": 1}}}
    });
    let errors = schemas.validate(&bad_pool).join("\n");
    for expected in ["weight", "consolidationPolicy", "consolidateAfter", "extra"] {
        assert!(errors.contains(expected), "{expected} not caught:\n{errors}");
    }
    let bad_hpa = serde_json::json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
        "spec": {"minReplicas": "2", "metrics": [{"type": "Pods", "pods": {"metric": {}}}]}
    });
    let errors = schemas.validate(&bad_hpa).join("\n");
    for expected in [
        "scaleTargetRef",
        "maxReplicas",
        "minReplicas",
        "pods.metric: required field name",
        "pods: required field target",
    ] {
        assert!(errors.contains(expected), "{expected} not caught:\n{errors}");
    }
}

#[test]
fn the_validator_follows_refs_into_pod_templates() {
    let Some(schemas) = schemas() else { return };
    let plan = plan::parse_plan(EXAMPLES[0].1).unwrap();
    let mut deployment = manifest::render_values(&plan)
        .into_iter()
        .map(|d| serde_json::to_value(d).unwrap())
        .find(|d| d["kind"] == "Deployment")
        .unwrap();
    deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requestz"] = serde_json::json!({});
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = serde_json::json!("8000");
    let errors = schemas.validate(&deployment).join("\n");
    assert!(errors.contains("resources.requestz: unknown field"), "{errors}");
    assert!(errors.contains("containerPort: expected integer"), "{errors}");
}

#[test]
fn the_hand_checks_catch_what_no_schema_says() {
    let bad = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "Bad_Name", "labels": {"a b": "x", "ok": "-no"}},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": ""}]}}}
    });
    let errors = hand_checks(&bad).join("\n");
    for expected in ["metadata.name", "\"a b\"", "\"ok\"", "containers[0].image: Required value"] {
        assert!(errors.contains(expected), "{expected} not caught:\n{errors}");
    }
    let long = format!("{}-loadtest", "x".repeat(63));
    let good = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": long,
        "labels": {"example.com/team": "ml", "empty": ""}}, "data": {"a": "b"}});
    assert_eq!(hand_checks(&good), Vec::<String>::new());
    let service = serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1abc"},
        "spec": {"ports": [{"port": 80}]}});
    assert_eq!(hand_checks(&service).len(), 1);
}
