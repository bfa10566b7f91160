//! Rendering Kubernetes manifests from a Plan: deterministic YAML, one document per resource.
//!
//! Order: EC2NodeClasses, NodePools (plan order), the NodeOverlays of MIG-partitioned pools, then per deployment fleet a Deployment, Service,
//! HorizontalPodAutoscaler or KEDA ScaledObject, PodDisruptionBudget and warm capacity (a
//! CapacityBuffer or a placeholder Deployment, after their PriorityClass), and last the load-test
//! ConfigMap (a Locust file and the workload it replays). Values a Plan holds but Kubernetes cannot
//! (precision, engine, reservation sizes, the workload) travel in `tokenfleet.dev/*` annotations or
//! the ConfigMap, so that import can read them back.

use crate::doc::{obj, s, Doc};

use crate::plan::Plan;

mod nodes;
pub use nodes::{
    default_disk_gib, ec2_node_class, instance_store_raid0, node_overlays, node_pool, parallel_pull_user_data,
    AL2023_PARALLEL_PULL, BOTTLEROCKET_PARALLEL_PULL, MIG_CONFIG_LABEL,
};
mod workloads;
pub use workloads::{
    default_max_model_len, deployment, pod_disruption_budget, server_args, service, serving_image,
    DEFAULT_GPU_MEMORY_UTILIZATION, DEFAULT_MAX_NUM_SEQS, NEURON_CACHE_ENV, NEURON_CACHE_PATH, NODE_CACHE_PATH,
    SHARED_WEIGHTS_PATH,
};
mod autoscaling;
pub use autoscaling::{horizontal_pod_autoscaler, hpa_metric_name, prometheus_query, quantity, scaled_object};
mod warm;
pub use warm::{
    capacity_buffer, feature_gate_note, placeholder_deployment, placeholder_priority_class, warm_capacity, warm_of,
    CAPACITY_BUFFER_API_VERSION, FEATURE_GATE_ANNOTATION, PAUSE_IMAGE, PLACEHOLDER_PRIORITY,
    PLACEHOLDER_PRIORITY_CLASS, PLACEHOLDER_SUFFIX,
};
mod load_test;
pub use load_test::{load_test_config_map, workload_json, LOCUSTFILE};

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

pub const MANAGED_BY: &str = "tokenfleet";
pub const PLAN_LABEL: &str = "tokenfleet.dev/plan";
pub const NODE_POOL_LABEL: &str = "tokenfleet.dev/node-pool";
pub const RESERVATIONS_ANNOTATION: &str = "tokenfleet.dev/capacity-reservations";
pub const IMAGE_CACHE_ANNOTATION: &str = "tokenfleet.dev/cached-images";
pub const PRECISION_ANNOTATION: &str = "tokenfleet.dev/precision";
pub const ENGINE_ANNOTATION: &str = "tokenfleet.dev/engine";
pub const AUTOSCALER_ANNOTATION: &str = "tokenfleet.dev/prometheus-address";
pub const WORKLOAD_KEY: &str = "workload.json";
pub const LOCUSTFILE_KEY: &str = "locustfile.py";
pub const CLUSTER_PLACEHOLDER: &str = "${CLUSTER_NAME}";
pub const DEFAULT_PROMETHEUS: &str = "http://prometheus-server.monitoring.svc:80";
pub const VLLM_IMAGE: &str = "vllm/vllm-openai:v0.11.0";
pub const NEURON_IMAGE: &str =
    "public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:0.9.1-neuronx-py311-sdk2.25.0-ubuntu22.04";
pub const PORT: u32 = 8000;

pub(crate) fn to_yaml(value: &Doc) -> String {
    crate::yaml::to_yaml(value)
}

fn labels(plan: &Plan) -> Doc {
    obj(vec![("app.kubernetes.io/managed-by", s(MANAGED_BY)), (PLAN_LABEL, s(&plan.metadata.name))])
}

fn cluster_name(plan: &Plan) -> String {
    plan.spec.cluster.as_ref().map(|c| c.name.clone()).unwrap_or_else(|| CLUSTER_PLACEHOLDER.to_string())
}

/// Every manifest of a plan as documents, in a stable order.
pub fn render_values(plan: &Plan) -> Vec<Doc> {
    let mut out = Vec::new();
    for class in &plan.spec.node_classes {
        out.push(ec2_node_class(plan, class));
    }
    for pool in &plan.spec.node_pools {
        out.push(node_pool(plan, pool));
    }
    for pool in &plan.spec.node_pools {
        out.extend(node_overlays(plan, pool));
    }
    let placeholders = plan
        .spec
        .deployments
        .iter()
        .flat_map(|d| d.fleets())
        .any(|f| warm_of(&f).is_some_and(|w| w.kind == crate::plan::WarmCapacityKind::PlaceholderPods));
    if placeholders {
        out.push(placeholder_priority_class(plan));
    }
    for d in &plan.spec.deployments {
        for fleet in d.fleets() {
            out.push(deployment(plan, d, &fleet));
            out.push(service(plan, d, &fleet));
            out.extend(horizontal_pod_autoscaler(plan, d, &fleet));
            out.extend(scaled_object(plan, d, &fleet));
            out.push(pod_disruption_budget(plan, d, &fleet));
            out.extend(warm_capacity(plan, d, &fleet));
        }
    }
    out.push(load_test_config_map(plan));
    out
}

/// Every manifest of a plan, in a stable order.
pub fn render(plan: &Plan) -> Vec<Document> {
    render_values(plan)
        .iter()
        .map(|v| Document {
            kind: v.get("kind").and_then(Doc::as_str).unwrap_or_default().to_string(),
            name: v.get("metadata").and_then(|m| m.get("name")).and_then(Doc::as_str).unwrap_or_default().to_string(),
            yaml: to_yaml(v),
        })
        .collect()
}

/// All documents as one multi-document YAML stream.
pub fn render_stream(plan: &Plan) -> String {
    join_stream(&render(plan))
}

pub fn join_stream(documents: &[Document]) -> String {
    documents.iter().map(|d| format!("---\n{}", d.yaml)).collect()
}
