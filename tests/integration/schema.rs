//! A validator for Kubernetes structural schemas: CRD `openAPIV3Schema`s and the Kubernetes OpenAPI v3
//! documents (`$ref` into `components/schemas`, `allOf` wrappers, `x-kubernetes-*` extensions).
//!
//! It checks types, required fields, enums, patterns, lengths, bounds, item and property counts, and
//! (like the API server's strict field validation and CRD pruning) reports unknown fields. The CRDs'
//! CEL rules (`x-kubernetes-validations`) are loaded alongside, in `cel`, and evaluated by `crate::cel`
//! (the conformance test runs both).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use tokenfleet_core::plan::tree;

use crate::cel::CelRules;

/// A set of schemas keyed by (apiVersion, kind).
pub struct Schemas {
    /// (apiVersion, kind) → (schema, the OpenAPI document it lives in, for `$ref`).
    by_kind: HashMap<(String, String), (Value, Option<usize>)>,
    documents: Vec<Value>,
    regexes: RefCell<HashMap<String, Option<regex::Regex>>>,
    /// Every CRD's CEL rules.
    pub cel: CelRules,
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tree = tree::parse_document(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::to_value(tree.to_doc()).unwrap()
}

impl Schemas {
    /// Loads every CRD and Kubernetes OpenAPI document of `../shared/reference/schemas/`.
    pub fn load(dir: &Path) -> Schemas {
        let mut schemas = Schemas {
            by_kind: HashMap::new(),
            documents: Vec::new(),
            regexes: RefCell::new(HashMap::new()),
            cel: CelRules::load(dir),
        };
        for crd in [
            "karpenter.sh_nodepools.yaml",
            "karpenter.k8s.aws_ec2nodeclasses.yaml",
            "keda.sh_scaledobjects.yaml",
            "autoscaling.x-k8s.io_capacitybuffers.yaml",
            "karpenter.sh_nodeoverlays.yaml",
        ] {
            let doc = read_yaml(&dir.join(crd));
            let group = doc["spec"]["group"].as_str().unwrap_or_default().to_string();
            let kind = doc["spec"]["names"]["kind"].as_str().unwrap_or_default().to_string();
            for version in doc["spec"]["versions"].as_array().into_iter().flatten() {
                let name = version["name"].as_str().unwrap_or_default();
                let schema = version["schema"]["openAPIV3Schema"].clone();
                schemas.by_kind.insert((format!("{group}/{name}"), kind.clone()), (schema, None));
            }
        }
        for api in [
            "apis__apps__v1_openapi.json",
            "apis__autoscaling__v2_openapi.json",
            "apis__policy__v1_openapi.json",
            "apis__scheduling.k8s.io__v1_openapi.json",
            "api__v1_openapi.json",
        ] {
            let path = dir.join(api);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let index = schemas.documents.len();
            for (_, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
                for gvk in schema["x-kubernetes-group-version-kind"].as_array().into_iter().flatten() {
                    let group = gvk["group"].as_str().unwrap_or_default();
                    let version = gvk["version"].as_str().unwrap_or_default();
                    let api_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
                    let kind = gvk["kind"].as_str().unwrap_or_default().to_string();
                    schemas.by_kind.entry((api_version, kind)).or_insert((schema.clone(), Some(index)));
                }
            }
            schemas.documents.push(doc);
        }
        schemas
    }

    /// Whether a schema is known for a resource.
    pub fn covers(&self, api_version: &str, kind: &str) -> bool {
        self.by_kind.contains_key(&(api_version.to_string(), kind.to_string()))
    }

    /// Every violation of a resource against its schema (`path: message`).
    pub fn validate(&self, resource: &Value) -> Vec<String> {
        let api_version = resource["apiVersion"].as_str().unwrap_or_default();
        let kind = resource["kind"].as_str().unwrap_or_default();
        let Some((schema, document)) = self.by_kind.get(&(api_version.to_string(), kind.to_string())) else {
            return vec![format!("no schema for {api_version} {kind}")];
        };
        let mut errors = Vec::new();
        self.check(schema, *document, resource, "", &mut errors);
        errors
    }

    fn resolve<'a>(&'a self, schema: &'a Value, document: Option<usize>) -> &'a Value {
        match (schema.get("$ref").and_then(Value::as_str), document) {
            (Some(reference), Some(doc)) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                let target = &self.documents[doc]["components"]["schemas"][name];
                if target.is_null() {
                    schema
                } else {
                    target
                }
            }
            _ => schema,
        }
    }

    fn matches(&self, pattern: &str, text: &str) -> bool {
        let mut cache = self.regexes.borrow_mut();
        let regex = cache.entry(pattern.to_string()).or_insert_with(|| regex::Regex::new(pattern).ok());
        regex.as_ref().is_none_or(|r| r.is_match(text))
    }

    fn check(&self, schema: &Value, document: Option<usize>, value: &Value, path: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema, document);
        if schema.get("$ref").is_some() {
            errors.push(format!("{path}: unresolved {}", schema["$ref"]));
            return;
        }
        for sub in schema["allOf"].as_array().into_iter().flatten() {
            self.check(sub, document, value, path, errors);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(options) = schema[key].as_array() {
                let passes = options.iter().any(|sub| {
                    let mut sub_errors = Vec::new();
                    self.check(sub, document, value, path, &mut sub_errors);
                    sub_errors.is_empty()
                });
                if !passes {
                    errors.push(format!("{path}: matches none of {key}"));
                }
            }
        }
        if value.is_null() {
            if schema["nullable"] != Value::Bool(true) {
                errors.push(format!("{path}: null is not allowed"));
            }
            return;
        }
        if schema["x-kubernetes-int-or-string"] == Value::Bool(true) {
            if !(value.is_i64() || value.is_u64() || value.is_string()) {
                errors.push(format!("{path}: expected an integer or a string, found {value}"));
            }
        } else if let Some(ty) = schema["type"].as_str() {
            let ok = match ty {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                _ => true,
            };
            if !ok {
                errors.push(format!("{path}: expected {ty}, found {value}"));
                return;
            }
        }
        if let Some(options) = schema["enum"].as_array() {
            if !options.contains(value) {
                errors.push(format!("{path}: {value} is not one of {}", Value::Array(options.clone())));
            }
        }
        match value {
            Value::Object(map) => {
                for required in schema["required"].as_array().into_iter().flatten() {
                    if let Some(name) = required.as_str() {
                        if !map.contains_key(name) {
                            errors.push(format!("{path}: required field {name} is missing"));
                        }
                    }
                }
                if let Some(max) = schema["maxProperties"].as_u64() {
                    if map.len() as u64 > max {
                        errors.push(format!("{path}: more than {max} properties"));
                    }
                }
                if let Some(min) = schema["minProperties"].as_u64() {
                    if (map.len() as u64) < min {
                        errors.push(format!("{path}: fewer than {min} properties"));
                    }
                }
                let properties = schema["properties"].as_object();
                let additional = &schema["additionalProperties"];
                let preserve = schema["x-kubernetes-preserve-unknown-fields"] == Value::Bool(true);
                for (key, child) in map {
                    let child_path = format!("{path}.{key}");
                    if let Some(sub) = properties.and_then(|p| p.get(key)) {
                        self.check(sub, document, child, &child_path, errors);
                    } else if additional.is_object() {
                        self.check(additional, document, child, &child_path, errors);
                    } else if additional == &Value::Bool(false) || (properties.is_some() && !preserve) {
                        errors.push(format!("{child_path}: unknown field"));
                    }
                }
            }
            Value::Array(items) => {
                if let Some(max) = schema["maxItems"].as_u64() {
                    if items.len() as u64 > max {
                        errors.push(format!("{path}: more than {max} items"));
                    }
                }
                if let Some(min) = schema["minItems"].as_u64() {
                    if (items.len() as u64) < min {
                        errors.push(format!("{path}: fewer than {min} items"));
                    }
                }
                if schema["x-kubernetes-list-type"] == "set" {
                    for (i, item) in items.iter().enumerate() {
                        if items[..i].contains(item) {
                            errors.push(format!("{path}[{i}]: duplicate item in a set"));
                        }
                    }
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, document, item, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            Value::String(text) => {
                if let Some(pattern) = schema["pattern"].as_str() {
                    if !self.matches(pattern, text) {
                        errors.push(format!("{path}: {text:?} does not match {pattern}"));
                    }
                }
                if let Some(max) = schema["maxLength"].as_u64() {
                    if text.chars().count() as u64 > max {
                        errors.push(format!("{path}: longer than {max}"));
                    }
                }
                if let Some(min) = schema["minLength"].as_u64() {
                    if (text.chars().count() as u64) < min {
                        errors.push(format!("{path}: shorter than {min}"));
                    }
                }
            }
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                if let Some(min) = schema["minimum"].as_f64() {
                    let exclusive = schema["exclusiveMinimum"] == Value::Bool(true);
                    if x < min || (exclusive && x == min) {
                        errors.push(format!("{path}: {x} is below the minimum {min}"));
                    }
                }
                if let Some(max) = schema["maximum"].as_f64() {
                    let exclusive = schema["exclusiveMaximum"] == Value::Bool(true);
                    if x > max || (exclusive && x == max) {
                        errors.push(format!("{path}: {x} is above the maximum {max}"));
                    }
                }
            }
            _ => {}
        }
    }
}
