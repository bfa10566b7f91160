//! The CRDs' CEL rules, evaluated for real: every `x-kubernetes-validations` rule of every CRD in
//! ../shared/reference/schemas (Karpenter, KEDA, CapacityBuffer, DisaggregatedSet, LeaderWorkerSet),
//! compiled with the `cel` crate (cel-rust) and run against exported documents, `self` bound to the
//! value at the rule's schema path, as the API server does.
//!
//! Semantics kept from the API server:
//! - a rule on an optional field that is absent is not evaluated; a rule under `items` or
//!   `additionalProperties` runs once per element or value;
//! - a rule that fails to evaluate (e.g. `int('abc')`) rejects the object, like one that is false;
//! - transition rules (those that mention `oldSelf`) are evaluated with `oldSelf` = `self`: our
//!   exports create objects or re-apply them unchanged, and on those the API server either skips
//!   the rule (create) or sees the same value on both sides (unchanged update);
//! - Kubernetes' CEL libraries the interpreter lacks are registered here with their Kubernetes
//!   semantics (today only `string.find(regex)`; cel-rust's stdlib and strings extension bring
//!   `matches`, `startsWith`, `endsWith`, `split`, `int(string)`, the macros and the rest).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cel::extractors::This;
use cel::objects::{Key, Map};
use cel::{Context, Env, ExecutionError, Program};
use serde_json::Value;
use tokenfleet_core::plan::tree;

use crate::conformance::say;

/// Functions a rule may call: CEL operators and macros, cel-rust's stdlib and strings extension,
/// and the Kubernetes functions registered below. A rule that calls anything else is not
/// evaluated (and must be listed in `NOT_EVALUATED`).
const SUPPORTED_FUNCTIONS: &[&str] = &[
    // Operators.
    "_==_",
    "_!=_",
    "_<_",
    "_<=_",
    "_>_",
    "_>=_",
    "_&&_",
    "_||_",
    "!_",
    "_?_:_",
    "@in",
    "_[_]",
    "_+_",
    "_-_",
    "-_", // Macros (the comprehension loop condition) and stdlib.
    "@not_strictly_false",
    "has",
    "all",
    "exists",
    "exists_one",
    "filter",
    "map",
    "size",
    "int",
    "string",
    "matches",
    "startsWith",
    "endsWith",
    "contains", // cel-rust's strings extension (Kubernetes' strings library).
    "split",
    "lowerAscii",
    "upperAscii",
    "trim",
    "replace",
    "indexOf",
    "lastIndexOf",
    "substring",
    "join",
    // Kubernetes' regex library, registered here.
    "find",
];

/// Rules that are not evaluated, with why: (CRD file, rule). Exact: a rule that does not compile or
/// calls a function we lack and is not listed fails the test, and so does a listed rule that is
/// evaluated.
const NOT_EVALUATED: &[(&str, &str, &str)] = &[];

/// One step of a rule's schema path.
#[derive(Clone, Debug)]
enum Step {
    Field(String),
    /// Each element of an array (`items`).
    Items,
    /// Each value of a map (`additionalProperties`).
    Values,
}

pub struct Rule {
    /// The CRD file, relative to the schemas folder.
    pub crd: String,
    api_version: String,
    kind: String,
    steps: Vec<Step>,
    /// The schema path as written in messages, e.g. `spec.template.spec.requirements`.
    pub path: String,
    pub rule: String,
    message: Option<String>,
    program: Option<Program>,
    /// Why the rule is not evaluated, if it is not.
    pub unsupported: Option<String>,
}

/// A failed rule at a document's location.
#[derive(Debug)]
pub struct Violation {
    pub crd: String,
    pub rule: String,
    pub at: String,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} (CEL rule of {}: {})", self.at, self.message, self.crd, self.rule)
    }
}

pub struct CelRules {
    pub rules: Vec<Rule>,
    context: Context<'static, 'static>,
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tree = tree::parse_document(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::to_value(tree.to_doc()).unwrap()
}

/// Every CRD YAML under the schemas folder (one level of subfolders, e.g. karpenter-v1.14.1/).
fn crd_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(crd_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
    files
}

thread_local! {
    static REGEXES: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
}

/// Kubernetes' `string.find(regex)`: the first match of the regular expression, or "" if none.
fn find(This(this): This<Arc<String>>, pattern: Arc<String>) -> Result<Arc<String>, ExecutionError> {
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern.as_str()) {
            let regex = regex::Regex::new(&pattern).map_err(|e| ExecutionError::function_error("find", e))?;
            cache.insert(pattern.to_string(), regex);
        }
        let found = cache[pattern.as_str()].find(&this).map(|m| m.as_str()).unwrap_or_default();
        Ok(Arc::new(found.to_string()))
    })
}

/// A JSON value as CEL sees it: integers as `int`, other numbers as `double`, objects as maps.
pub fn to_cel(value: &Value) -> cel::Value {
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(u)) => cel::Value::UInt(u),
            _ => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => cel::Value::Map(Map {
            map: Arc::new(map.iter().map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v))).collect()),
        }),
    }
}

fn path_text(steps: &[Step]) -> String {
    let mut text = String::new();
    for step in steps {
        match step {
            Step::Field(name) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(name);
            }
            Step::Items => text.push_str("[*]"),
            Step::Values => text.push_str("[*]"),
        }
    }
    text
}

/// Collects the rules of a schema and its properties, items and additionalProperties.
fn collect(schema: &Value, steps: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, Value)>) {
    for rule in schema["x-kubernetes-validations"].as_array().into_iter().flatten() {
        out.push((steps.clone(), rule.clone()));
    }
    for (name, sub) in schema["properties"].as_object().into_iter().flatten() {
        steps.push(Step::Field(name.clone()));
        collect(sub, steps, out);
        steps.pop();
    }
    if schema["items"].is_object() {
        steps.push(Step::Items);
        collect(&schema["items"], steps, out);
        steps.pop();
    }
    if schema["additionalProperties"].is_object() {
        steps.push(Step::Values);
        collect(&schema["additionalProperties"], steps, out);
        steps.pop();
    }
}

/// The values at a rule's path in a document, with their concrete paths; absent fields yield none.
fn locate<'a>(value: &'a Value, steps: &[Step], at: String, out: &mut Vec<(String, &'a Value)>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push((at, value));
        return;
    };
    match step {
        Step::Field(name) => {
            if let Some(child) = value.get(name).filter(|c| !c.is_null()) {
                let at = if at.is_empty() { name.clone() } else { format!("{at}.{name}") };
                locate(child, rest, at, out);
            }
        }
        Step::Items => {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                locate(item, rest, format!("{at}[{i}]"), out);
            }
        }
        Step::Values => {
            for (key, item) in value.as_object().into_iter().flatten() {
                locate(item, rest, format!("{at}[{key:?}]"), out);
            }
        }
    }
}

impl CelRules {
    /// Loads and compiles every rule of every CRD under `dir`.
    pub fn load(dir: &Path) -> CelRules {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings).expect("strings extension");
        let env = Arc::new(env);
        let mut context = Context::with_env(Arc::clone(&env));
        context.add_function("find", find).expect("find is not a stdlib function");
        let mut rules = Vec::new();
        for path in crd_files(dir) {
            let doc = read_yaml(&path);
            if doc["kind"] != "CustomResourceDefinition" {
                continue;
            }
            let crd = path.strip_prefix(dir).unwrap().to_string_lossy().to_string();
            let group = doc["spec"]["group"].as_str().unwrap_or_default();
            let kind = doc["spec"]["names"]["kind"].as_str().unwrap_or_default();
            for version in doc["spec"]["versions"].as_array().into_iter().flatten() {
                let api_version = format!("{group}/{}", version["name"].as_str().unwrap_or_default());
                let mut found = Vec::new();
                collect(&version["schema"]["openAPIV3Schema"], &mut Vec::new(), &mut found);
                for (steps, validation) in found {
                    let rule = validation["rule"].as_str().unwrap_or_default().to_string();
                    let (program, unsupported) = match env.compile(&rule) {
                        Err(e) => (None, Some(format!("does not compile: {e}"))),
                        Ok(program) => {
                            let missing: Vec<String> = program
                                .references()
                                .functions()
                                .into_iter()
                                .filter(|f| !SUPPORTED_FUNCTIONS.contains(f))
                                .map(str::to_string)
                                .collect();
                            if missing.is_empty() {
                                (Some(program), None)
                            } else {
                                (None, Some(format!("calls {}", missing.join(", "))))
                            }
                        }
                    };
                    if validation.get("messageExpression").is_some() {
                        // None of ours has one; the static message (or the rule) is what we report.
                        assert!(validation.get("message").is_some() || unsupported.is_some(), "{crd}: {rule}");
                    }
                    rules.push(Rule {
                        crd: crd.clone(),
                        api_version: api_version.clone(),
                        kind: kind.to_string(),
                        path: path_text(&steps),
                        steps,
                        rule,
                        message: validation["message"].as_str().map(str::to_string),
                        program,
                        unsupported,
                    });
                }
            }
        }
        CelRules { rules, context }
    }

    /// Evaluates the rules that `select` picks on a document; (evaluations, violations).
    pub fn check_with(&self, doc: &Value, select: impl Fn(&Rule) -> bool) -> (usize, Vec<Violation>) {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let kind = doc["kind"].as_str().unwrap_or_default();
        let mut evaluations = 0;
        let mut violations = Vec::new();
        for rule in &self.rules {
            if rule.api_version != api_version || rule.kind != kind || !select(rule) {
                continue;
            }
            let Some(program) = &rule.program else { continue };
            let mut targets = Vec::new();
            locate(doc, &rule.steps, String::new(), &mut targets);
            for (at, value) in targets {
                evaluations += 1;
                let value = to_cel(value);
                let mut scope = self.context.new_inner_scope();
                scope.add_variable_from_value("self", value.clone());
                // Transition rules: oldSelf = self (creation or unchanged update), see the module doc.
                scope.add_variable_from_value("oldSelf", value);
                let message = match program.execute(&scope) {
                    Ok(cel::Value::Bool(true)) => continue,
                    Ok(cel::Value::Bool(false)) => {
                        rule.message.clone().unwrap_or_else(|| format!("failed rule: {}", rule.rule))
                    }
                    Ok(other) => format!("rule evaluated to {other:?}, not a bool"),
                    Err(e) => format!("rule failed to evaluate: {e}"),
                };
                let at = if at.is_empty() { "<root>".to_string() } else { at };
                violations.push(Violation { crd: rule.crd.clone(), rule: rule.rule.clone(), at, message });
            }
        }
        (evaluations, violations)
    }

    /// The indices of the rules that apply at least once to a document (its kind and a present path).
    pub fn applying(&self, doc: &Value) -> Vec<usize> {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let kind = doc["kind"].as_str().unwrap_or_default();
        (0..self.rules.len())
            .filter(|&i| {
                let rule = &self.rules[i];
                let mut targets = Vec::new();
                locate(doc, &rule.steps, String::new(), &mut targets);
                rule.program.is_some() && rule.api_version == api_version && rule.kind == kind && !targets.is_empty()
            })
            .collect()
    }

    /// Evaluates every rule that applies to a document; (evaluations, violations).
    pub fn check(&self, doc: &Value) -> (usize, Vec<Violation>) {
        self.check_with(doc, |_| true)
    }
}

/// The rules, or None (with a SKIPPED line) when ../shared/reference is absent.
pub fn rules() -> Option<CelRules> {
    match tokenfleet_tests::shared_reference() {
        Some(reference) => Some(CelRules::load(&reference.join("schemas"))),
        None => {
            say("SKIPPED cel: ../shared/reference not found beside the repository; CEL rules not evaluated");
            None
        }
    }
}

/// Every document a plan exports, as JSON.
pub fn export_documents(plan: &tokenfleet_core::plan::Plan) -> Vec<Value> {
    tokenfleet_core::manifest::render_values(plan).into_iter().map(|d| serde_json::to_value(d).unwrap()).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tokenfleet_core::{examples::EXAMPLES, plan};

    use super::*;
    use crate::generate;

    /// Every exported document of the example plans, of ~200 random valid plans and of the imported
    /// Cluster Autoscaler cluster passes every CEL rule.
    #[test]
    fn every_export_passes_every_cel_rule() {
        let Some(cel) = rules() else { return };
        let mut plans: Vec<(String, plan::Plan)> =
            EXAMPLES.iter().map(|(name, text)| (name.to_string(), plan::parse_plan(text).unwrap())).collect();
        let mut seeds = 0;
        for seed in 0..220 {
            let p = generate::plan(seed);
            if plan::validate(&p).is_empty() {
                seeds += 1;
                plans.push((format!("seed {seed}"), p));
            }
        }
        let files = tokenfleet_tests::cluster_autoscaler_files();
        let imported = tokenfleet_core::manifest::import::import_files(&files).unwrap();
        plans.push(("cluster-autoscaler import".to_string(), imported.plan));
        let (mut documents, mut evaluations) = (0, 0);
        let mut applied = std::collections::BTreeSet::new();
        let mut kinds_checked = std::collections::BTreeMap::<String, usize>::new();
        let mut violations = Vec::new();
        for (label, p) in &plans {
            for doc in export_documents(p) {
                documents += 1;
                let (count, v) = cel.check(&doc);
                evaluations += count;
                if count > 0 {
                    *kinds_checked.entry(doc["kind"].as_str().unwrap_or_default().to_string()).or_default() += 1;
                }
                applied.extend(cel.applying(&doc));
                violations
                    .extend(v.iter().map(|v| format!("{label}: {}/{}: {v}", doc["kind"], doc["metadata"]["name"])));
            }
        }
        let evaluated = cel.rules.iter().filter(|r| r.program.is_some()).count();
        let not_evaluated: Vec<String> =
            cel.rules.iter().filter(|r| r.program.is_none()).map(|r| format!("{} {}", r.crd, r.path)).collect();
        say(&format!(
            "CEL: {evaluated} rules evaluated on {documents} documents ({} plans: {} examples, {seeds} random, 1 import; \
             {evaluations} evaluations; {} rules applied; documents checked by kind {kinds_checked:?}), {} not evaluated: {}",
            plans.len(),
            EXAMPLES.len(),
            applied.len(),
            not_evaluated.len(),
            if not_evaluated.is_empty() { "none".to_string() } else { not_evaluated.join("; ") },
        ));
        // The rules reach the kinds we export: a version or kind mismatch would silently skip them.
        for kind in ["NodePool", "EC2NodeClass", "ScaledObject", "CapacityBuffer"] {
            assert!(kinds_checked.contains_key(kind), "no CEL rule evaluated on any exported {kind}");
        }
        assert!(seeds >= 150, "only {seeds} random plans were valid");
        violations.truncate(40);
        assert!(violations.is_empty(), "{}", violations.join("\n"));
    }

    #[test]
    fn every_rule_compiles_or_is_listed_as_not_evaluated() {
        let Some(cel) = rules() else { return };
        let mut unsupported: Vec<(String, String, String)> = cel
            .rules
            .iter()
            .filter_map(|r| r.unsupported.as_ref().map(|why| (r.crd.clone(), r.rule.clone(), why.clone())))
            .collect();
        unsupported.sort();
        unsupported.dedup();
        let mut listed: Vec<(String, String, String)> =
            NOT_EVALUATED.iter().map(|(c, r, w)| (c.to_string(), r.to_string(), w.to_string())).collect();
        listed.sort();
        assert_eq!(unsupported, listed, "NOT_EVALUATED must list exactly the rules that are not evaluated");
        // Every CRD the conformance schemas cover has rules, and they were found.
        for crd in [
            "karpenter.sh_nodepools.yaml",
            "karpenter.k8s.aws_ec2nodeclasses.yaml",
            "keda.sh_scaledobjects.yaml",
            "autoscaling.x-k8s.io_capacitybuffers.yaml",
            "karpenter.sh_nodeoverlays.yaml",
            "karpenter.sh_nodeclaims.yaml",
            "disaggregatedset.x-k8s.io_disaggregatedsets.yaml",
        ] {
            assert!(cel.rules.iter().any(|r| r.crd == crd), "no CEL rule found in {crd}");
        }
        assert!(cel.rules.len() >= 150, "only {} rules found", cel.rules.len());
    }

    /// (CRD file, a fragment of the rule, a document that passes it, a document that breaks it).
    fn case(cel: &CelRules, crd: &str, fragment: &str, good: Value, bad: Value) {
        let select = |r: &Rule| r.crd == crd && r.rule.contains(fragment);
        assert!(
            cel.rules.iter().any(|r| select(r) && r.program.is_some()),
            "{crd}: no evaluated rule has {fragment:?}"
        );
        let (count, violations) = cel.check_with(&good, select);
        assert!(count > 0, "{crd}: {fragment:?} was not evaluated on the good document {good}");
        assert!(violations.is_empty(), "{crd}: {fragment:?} refused the good document: {violations:?}");
        let (count, violations) = cel.check_with(&bad, select);
        assert!(count > 0, "{crd}: {fragment:?} was not evaluated on the bad document {bad}");
        assert!(!violations.is_empty(), "{crd}: {fragment:?} accepted the bad document {bad}");
    }

    fn node_pool(spec: Value) -> Value {
        json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "p"}, "spec": spec})
    }

    fn requirements(reqs: Value) -> Value {
        node_pool(json!({"template": {"spec": {"requirements": reqs}}}))
    }

    fn node_class(spec: Value) -> Value {
        json!({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "c"}, "spec": spec})
    }

    #[test]
    fn node_pool_rules_accept_and_refuse() {
        let Some(cel) = rules() else { return };
        for crd in ["karpenter.sh_nodepools.yaml", "karpenter-v1.14.1/karpenter.sh_nodepools.yaml"] {
            case(
                &cel,
                crd,
                "x.operator == 'In' ? x.values.size() != 0",
                requirements(json!([{"key": "k", "operator": "In", "values": ["a"]}])),
                requirements(json!([{"key": "k", "operator": "In", "values": []}])),
            );
            case(
                &cel,
                crd,
                "x.values.size() >= x.minValues",
                requirements(json!([{"key": "k", "operator": "In", "values": ["a", "b"], "minValues": 2}])),
                requirements(json!([{"key": "k", "operator": "In", "values": ["a"], "minValues": 2}])),
            );
            let gt = "int(x.values[0]) >= 0";
            case(
                &cel,
                crd,
                gt,
                requirements(json!([{"key": "k", "operator": "Gt", "values": ["3"]}])),
                requirements(json!([{"key": "k", "operator": "Gt", "values": ["abc"]}])),
            );
            case(
                &cel,
                crd,
                gt,
                requirements(json!([{"key": "k", "operator": "Lt", "values": ["0"]}])),
                requirements(json!([{"key": "k", "operator": "Lt", "values": ["-1"]}])),
            );
            case(
                &cel,
                crd,
                gt,
                requirements(json!([{"key": "k", "operator": "Gte", "values": ["1"]}])),
                requirements(json!([{"key": "k", "operator": "Gte", "values": ["1", "2"]}])),
            );
            case(
                &cel,
                crd,
                "!has(self.replicas) || !has(self.weight)",
                node_pool(json!({"replicas": 2, "limits": {"nodes": "4"}})),
                node_pool(json!({"replicas": 2, "weight": 10})),
            );
            case(
                &cel,
                crd,
                "'nodes' in self.limits",
                node_pool(json!({"replicas": 2, "limits": {"nodes": "4"}})),
                node_pool(json!({"replicas": 2, "limits": {"cpu": "100"}})),
            );
            case(
                &cel,
                crd,
                "'nodes' in self.limits",
                node_pool(json!({"limits": {"cpu": "100", "memory": "1Ti"}})),
                node_pool(json!({"replicas": 2, "limits": {"nodes": "4", "cpu": "100"}})),
            );
            case(
                &cel,
                crd,
                "has(x.schedule) == has(x.duration)",
                node_pool(
                    json!({"disruption": {"budgets": [{"nodes": "10%", "schedule": "@daily", "duration": "10m"}]}}),
                ),
                node_pool(json!({"disruption": {"budgets": [{"nodes": "10%", "schedule": "@daily"}]}})),
            );
            // Requirement keys: the karpenter.sh domain is restricted but for two well-known labels.
            let domain = "!self.find(\"^([^/]+)\").endsWith(\"karpenter.sh\")";
            case(
                &cel,
                crd,
                domain,
                requirements(json!([{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}])),
                requirements(json!([{"key": "node.karpenter.sh/x", "operator": "Exists"}])),
            );
            case(
                &cel,
                crd,
                "!self.find(\"^([^/]+)\").endsWith(\"karpenter.k8s.aws\")",
                requirements(json!([{"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g5"]}])),
                requirements(json!([{"key": "karpenter.k8s.aws/made-up", "operator": "Exists"}])),
            );
            case(
                &cel,
                crd,
                "self != \"kubernetes.io/hostname\"",
                requirements(json!([{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}])),
                requirements(json!([{"key": "kubernetes.io/hostname", "operator": "In", "values": ["n"]}])),
            );
            // Template labels: the same restrictions on the map's keys.
            let labels = |l: Value| node_pool(json!({"template": {"metadata": {"labels": l}}}));
            case(
                &cel,
                crd,
                "!x.find(\"^([^/]+)\").endsWith(\"karpenter.sh\")",
                labels(json!({"tokenfleet.dev/pool": "gpu", "team": "ml"})),
                labels(json!({"karpenter.sh/custom": "x"})),
            );
            case(
                &cel,
                crd,
                "self.all(x, x != \"karpenter.sh/nodepool\")",
                labels(json!({"team": "ml"})),
                labels(json!({"karpenter.sh/nodepool": "x"})),
            );
            let class_ref = |r: Value| node_pool(json!({"template": {"spec": {"nodeClassRef": r}}}));
            case(
                &cel,
                crd,
                "self != ''",
                class_ref(json!({"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "c"})),
                class_ref(json!({"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": ""})),
            );
        }
    }

    #[test]
    fn ec2_node_class_rules_accept_and_refuse() {
        let Some(cel) = rules() else { return };
        for crd in ["karpenter.k8s.aws_ec2nodeclasses.yaml", "karpenter-v1.14.1/karpenter.k8s.aws_ec2nodeclasses.yaml"]
        {
            let alias = json!([{"alias": "al2023@latest"}]);
            case(
                &cel,
                crd,
                "(has(self.role) && !has(self.instanceProfile))",
                node_class(json!({"role": "KarpenterNodeRole", "amiSelectorTerms": alias})),
                node_class(json!({"role": "r", "instanceProfile": "p", "amiSelectorTerms": alias})),
            );
            case(
                &cel,
                crd,
                "(has(self.role) && !has(self.instanceProfile))",
                node_class(json!({"instanceProfile": "p", "amiSelectorTerms": alias})),
                node_class(json!({"amiSelectorTerms": alias})),
            );
            case(
                &cel,
                crd,
                "? true : has(self.amiFamily)",
                node_class(json!({"amiSelectorTerms": [{"id": "ami-1"}], "amiFamily": "AL2023"})),
                node_class(json!({"amiSelectorTerms": [{"id": "ami-1"}]})),
            );
            case(
                &cel,
                crd,
                "x.alias.find('^[^@]+') == 'bottlerocket'",
                node_class(
                    json!({"amiSelectorTerms": [{"alias": "bottlerocket@latest"}], "amiFamily": "Bottlerocket"}),
                ),
                node_class(json!({"amiSelectorTerms": [{"alias": "bottlerocket@latest"}], "amiFamily": "AL2023"})),
            );
            case(
                &cel,
                crd,
                "!(self.exists(x, has(x.alias)) && self.size() != 1)",
                node_class(json!({"amiSelectorTerms": [{"alias": "al2023@v20250101"}]})),
                node_class(json!({"amiSelectorTerms": [{"alias": "al2023@latest"}, {"id": "ami-1"}]})),
            );
            case(
                &cel,
                crd,
                "!self.exists(x, has(x.alias) && (has(x.id)",
                node_class(json!({"amiSelectorTerms": [{"alias": "al2023@latest"}]})),
                node_class(json!({"amiSelectorTerms": [{"alias": "al2023@latest", "tags": {"a": "b"}}]})),
            );
            case(
                &cel,
                crd,
                "self.matches('^[a-zA-Z0-9]+@.+$')",
                node_class(json!({"amiSelectorTerms": [{"alias": "al2023@latest"}]})),
                node_class(json!({"amiSelectorTerms": [{"alias": "al2023"}]})),
            );
            case(
                &cel,
                crd,
                "self.split('@')[0] in ['al2','al2023'",
                node_class(json!({"amiSelectorTerms": [{"alias": "bottlerocket@1.2.3"}]})),
                node_class(json!({"amiSelectorTerms": [{"alias": "ubuntu@latest"}]})),
            );
            case(
                &cel,
                crd,
                "self.split('@')[1] == 'latest'",
                node_class(json!({"amiSelectorTerms": [{"alias": "windows2022@latest"}]})),
                node_class(json!({"amiSelectorTerms": [{"alias": "windows2022@v1"}]})),
            );
            case(
                &cel,
                crd,
                "!self.all(x, has(x.id) && has(x.tags))",
                node_class(json!({"subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "c"}}]})),
                node_class(json!({"subnetSelectorTerms": [{"id": "subnet-1", "tags": {"a": "b"}}]})),
            );
            case(
                &cel,
                crd,
                "self.all(x, has(x.tags) || has(x.id))",
                node_class(json!({"subnetSelectorTerms": [{"id": "subnet-1"}]})),
                node_class(json!({"subnetSelectorTerms": [{}]})),
            );
            case(
                &cel,
                crd,
                "!self.all(x, has(x.name) && (has(x.tags) || has(x.id)))",
                node_class(json!({"securityGroupSelectorTerms": [{"name": "sg"}]})),
                node_class(json!({"securityGroupSelectorTerms": [{"name": "sg", "id": "sg-1"}]})),
            );
            case(
                &cel,
                crd,
                "self.all(k, k != '' && self[k] != '')",
                node_class(json!({"securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "c"}}]})),
                node_class(json!({"securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": ""}}]})),
            );
            case(
                &cel,
                crd,
                "!self.all(x, has(x.id) && (has(x.tags) || has(x.ownerID) || has(x.instanceMatchCriteria)))",
                node_class(json!({"capacityReservationSelectorTerms": [{"id": "cr-0123456789abcdef0"}]})),
                node_class(json!({"capacityReservationSelectorTerms": [{"id": "cr-1", "ownerID": "012345678901"}]})),
            );
            case(
                &cel,
                crd,
                "self.all(x, has(x.tags) || has(x.id) || has(x.instanceMatchCriteria))",
                node_class(json!({"capacityReservationSelectorTerms": [{"tags": {"a": "b"}}]})),
                node_class(json!({"capacityReservationSelectorTerms": [{"ownerID": "012345678901"}]})),
            );
            case(
                &cel,
                crd,
                "has(self.snapshotID) || has(self.volumeSize)",
                node_class(
                    json!({"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "200Gi"}}]}),
                ),
                node_class(json!({"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeType": "gp3"}}]})),
            );
            case(
                &cel,
                crd,
                "rootVolume==true",
                node_class(json!({"blockDeviceMappings": [{"rootVolume": true}, {"rootVolume": false}]})),
                node_class(json!({"blockDeviceMappings": [{"rootVolume": true}, {"rootVolume": true}]})),
            );
            case(
                &cel,
                crd,
                "!k.startsWith('kubernetes.io/cluster')",
                node_class(json!({"tags": {"team": "ml"}})),
                node_class(json!({"tags": {"kubernetes.io/cluster/c": "owned"}})),
            );
        }
        case(
            &cel,
            "karpenter-v1.14.1/karpenter.k8s.aws_ec2nodeclasses.yaml",
            "!self[x].startsWith('-')",
            node_class(json!({"kubelet": {"kubeReserved": {"cpu": "100m"}}})),
            node_class(json!({"kubelet": {"kubeReserved": {"cpu": "-100m"}}})),
        );
    }

    #[test]
    fn other_crds_rules_accept_and_refuse() {
        let Some(cel) = rules() else { return };
        let scaled = |spec: Value| json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "s"}, "spec": spec});
        let min_max = "self.minReplicaCount <= (has(self.maxReplicaCount)";
        case(
            &cel,
            "keda.sh_scaledobjects.yaml",
            min_max,
            scaled(json!({"minReplicaCount": 1, "maxReplicaCount": 3})),
            scaled(json!({"minReplicaCount": 4, "maxReplicaCount": 3})),
        );
        case(
            &cel,
            "keda.sh_scaledobjects.yaml",
            min_max,
            scaled(json!({"minReplicaCount": 100})),
            scaled(json!({"minReplicaCount": 101})),
        );
        let buffer = |spec: Value| json!({"apiVersion": "autoscaling.x-k8s.io/v1beta1", "kind": "CapacityBuffer", "metadata": {"name": "b"}, "spec": spec});
        let crd = "autoscaling.x-k8s.io_capacitybuffers.yaml";
        case(
            &cel,
            crd,
            "!(has(self.podTemplateRef) && has(self.scalableRef))",
            buffer(json!({"podTemplateRef": {"name": "t"}, "replicas": 1})),
            buffer(
                json!({"podTemplateRef": {"name": "t"}, "scalableRef": {"kind": "Deployment", "name": "d"}, "replicas": 1}),
            ),
        );
        case(
            &cel,
            crd,
            "!has(self.podTemplateRef) || has(self.replicas) || has(self.limits)",
            buffer(json!({"podTemplateRef": {"name": "t"}, "limits": {"cpu": "4"}})),
            buffer(json!({"podTemplateRef": {"name": "t"}})),
        );
        let overlay = |spec: Value| json!({"apiVersion": "karpenter.sh/v1alpha1", "kind": "NodeOverlay", "metadata": {"name": "o"}, "spec": spec});
        case(
            &cel,
            "karpenter.sh_nodeoverlays.yaml",
            "!has(self.price) || !has(self.priceAdjustment)",
            overlay(json!({"price": "1.5"})),
            overlay(json!({"price": "1.5", "priceAdjustment": "-10%"})),
        );
        case(
            &cel,
            "karpenter.sh_nodeoverlays.yaml",
            "!(x in ['cpu', 'memory', 'ephemeral-storage', 'pods'])",
            overlay(json!({"capacity": {"example.com/device": "1"}})),
            overlay(json!({"capacity": {"memory": "1Gi"}})),
        );
        let claim = |spec: Value| json!({"apiVersion": "karpenter.sh/v1", "kind": "NodeClaim", "metadata": {"name": "n"}, "spec": spec});
        case(
            &cel,
            "karpenter.sh_nodeclaims.yaml",
            "x.operator == 'In' ? x.values.size() != 0",
            claim(json!({"requirements": [{"key": "k", "operator": "In", "values": ["a"]}]})),
            claim(json!({"requirements": [{"key": "k", "operator": "In", "values": []}]})),
        );
        // A transition rule, with oldSelf = self, holds on any value (creation or unchanged update).
        let transition = |r: &Rule| r.crd == "karpenter.sh_nodeclaims.yaml" && r.rule == "self == oldSelf";
        let (count, violations) = cel.check_with(&claim(json!({"requirements": []})), transition);
        assert_eq!((count, violations.len()), (1, 0), "{violations:?}");
        let set = |roles: Value| json!({"apiVersion": "disaggregatedset.x-k8s.io/v1", "kind": "DisaggregatedSet", "metadata": {"name": "d"}, "spec": {"roles": roles}});
        case(
            &cel,
            "disaggregatedset.x-k8s.io_disaggregatedsets.yaml",
            "self.roles.filter(",
            set(json!([{"name": "prefill", "spec": {"replicas": 1}}, {"name": "decode", "spec": {"replicas": 2}}])),
            set(json!([{"name": "prefill", "spec": {"replicas": 0}}, {"name": "decode", "spec": {"replicas": 2}}])),
        );
    }
}
