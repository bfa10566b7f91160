//! Rendering Kubernetes manifests from a Plan: deterministic YAML, one document per resource.

use serde_json::{json, Map, Value};

use crate::plan::{NodePool, Plan};

/// One rendered Kubernetes resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: String,
    pub name: String,
    pub yaml: String,
}

impl Document {
    /// The file name used when documents are written one per file.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind.to_ascii_lowercase(), self.name)
    }
}

fn to_yaml(value: &Value) -> String {
    serde_saphyr::to_string(value).unwrap_or_else(|e| format!("# could not render: {e}\n"))
}

/// A Karpenter v1 NodePool for a plan's pool.
pub fn node_pool(pool: &NodePool) -> Value {
    let mut requirements = vec![json!({
        "key": "karpenter.sh/capacity-type",
        "operator": "In",
        "values": pool.capacity_types.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    })];
    if !pool.instance_families.is_empty() {
        requirements.push(json!({
            "key": "karpenter.k8s.aws/instance-family",
            "operator": "In",
            "values": pool.instance_families,
        }));
    }
    if !pool.instance_types.is_empty() {
        requirements.push(json!({
            "key": "node.kubernetes.io/instance-type",
            "operator": "In",
            "values": pool.instance_types,
        }));
    }
    let mut template_spec = Map::new();
    template_spec.insert(
        "nodeClassRef".into(),
        json!({"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": pool.node_class}),
    );
    template_spec.insert("requirements".into(), Value::Array(requirements));
    if !pool.taints.is_empty() {
        template_spec.insert("taints".into(), serde_json::to_value(&pool.taints).unwrap_or_default());
    }
    if let Some(expire) = &pool.expire_after {
        template_spec.insert("expireAfter".into(), json!(expire));
    }
    let mut template = Map::new();
    let mut labels = Map::new();
    labels.insert("tokenfleet.dev/node-pool".into(), json!(pool.name));
    for (k, v) in &pool.labels {
        labels.insert(k.clone(), json!(v));
    }
    template.insert("metadata".into(), json!({ "labels": labels }));
    template.insert("spec".into(), Value::Object(template_spec));
    let mut spec = Map::new();
    spec.insert("template".into(), Value::Object(template));
    spec.insert(
        "disruption".into(),
        json!({"consolidationPolicy": pool.consolidation.policy, "consolidateAfter": pool.consolidation.after}),
    );
    if !pool.limits.is_empty() {
        spec.insert("limits".into(), serde_json::to_value(&pool.limits).unwrap_or_default());
    }
    if let Some(weight) = pool.weight {
        spec.insert("weight".into(), json!(weight));
    }
    json!({
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": pool.name},
        "spec": spec,
    })
}

/// Every manifest of a plan, in a stable order.
pub fn render(plan: &Plan) -> Vec<Document> {
    plan.pools_by_priority()
        .into_iter()
        .map(|pool| Document { kind: "NodePool".into(), name: pool.name.clone(), yaml: to_yaml(&node_pool(pool)) })
        .collect()
}

/// All documents as one multi-document YAML stream.
pub fn render_stream(plan: &Plan) -> String {
    join_stream(&render(plan))
}

pub fn join_stream(documents: &[Document]) -> String {
    documents.iter().map(|d| format!("---\n{}", d.yaml)).collect()
}
