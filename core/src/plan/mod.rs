//! The Plan document: a user's intent (workload, deployments, NodePools, node classes, autoscalers).
//!
//! `apiVersion: tokenfleet.dev/v1alpha1`, `kind: Plan`, read from YAML or JSON. Field names are
//! camelCase like Kubernetes'. Parsing never panics: errors name the field path and, for YAML, the
//! line and column.

mod parse;

pub use parse::{parse_plan, PlanError};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::CapacityType;

pub const API_VERSION: &str = "tokenfleet.dev/v1alpha1";
pub const KIND: &str = "Plan";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: PlanSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanSpec {
    /// AWS region whose prices apply (`us-east-1`, `us-west-2`, `eu-west-1`, `ap-northeast-1`).
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Cluster>,
    #[serde(default)]
    pub workload: Workload,
    #[serde(default)]
    pub deployments: Vec<Deployment>,
    #[serde(default)]
    pub node_pools: Vec<NodePool>,
    #[serde(default)]
    pub node_classes: Vec<NodeClass>,
}

/// Cluster-specific values the exported manifests need; placeholders are used where absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_role: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    #[serde(default)]
    pub requests_per_second: RequestRate,
    #[serde(default)]
    pub input_tokens: TokenDistribution,
    #[serde(default)]
    pub output_tokens: TokenDistribution,
    #[serde(default)]
    pub slos: Vec<Slo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestRate {
    pub baseline: f64,
    pub peak: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenDistribution {
    pub mean: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SloMetric {
    Ttft,
    Tpot,
    E2e,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Slo {
    pub metric: SloMetric,
    /// Percentile the limit applies to (50, 90, 95, 99).
    pub percentile: f64,
    pub limit_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deployment {
    pub name: String,
    /// Catalog model name or Hugging Face repo id.
    pub model: String,
    #[serde(default = "default_precision")]
    pub precision: String,
    #[serde(default = "default_engine")]
    pub engine: String,
    /// GPUs per replica (NeuronCores on Neuron).
    #[serde(default = "one")]
    pub tensor_parallel: u32,
    pub replicas: ReplicaBounds,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
}

fn default_precision() -> String {
    "bf16".to_string()
}

fn default_engine() -> String {
    "vllm".to_string()
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicaBounds {
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePool {
    pub name: String,
    /// 1–100; Karpenter tries the highest weight first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    pub capacity_types: Vec<CapacityType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_families: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_types: Vec<String>,
    /// Resource name → quantity (`cpu: "1000"`, `nvidia.com/gpu: "16"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub consolidation: Consolidation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<String>,
    pub node_class: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub effect: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Consolidation {
    /// `WhenEmpty`, `WhenEmptyOrUnderutilized` or `Balanced`.
    pub policy: String,
    /// A duration (`30s`, `5m`) or `Never`.
    pub after: String,
}

impl Default for Consolidation {
    fn default() -> Self {
        Consolidation { policy: "WhenEmptyOrUnderutilized".to_string(), after: "5m".to_string() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeClass {
    pub name: String,
    /// `bottlerocket` or `al2023`.
    pub ami: String,
    #[serde(default = "default_disk", rename = "diskGiB")]
    pub disk_gib: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_reservations: Vec<CapacityReservation>,
}

fn default_disk() -> u32 {
    200
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CapacityReservation {
    /// `cr-…`
    pub id: String,
    /// `odcr` (On-Demand Capacity Reservation) or `capacity-block`.
    #[serde(default = "default_reservation_kind")]
    pub kind: String,
    pub instance_type: String,
    pub count: u32,
}

fn default_reservation_kind() -> String {
    "odcr".to_string()
}

impl Plan {
    /// Pools in the order Karpenter tries them: descending weight, then name (as Karpenter does).
    pub fn pools_by_priority(&self) -> Vec<&NodePool> {
        let mut pools: Vec<&NodePool> = self.spec.node_pools.iter().collect();
        pools.sort_by(|a, b| b.weight.unwrap_or(0).cmp(&a.weight.unwrap_or(0)).then_with(|| a.name.cmp(&b.name)));
        pools
    }

    pub fn node_class(&self, name: &str) -> Option<&NodeClass> {
        self.spec.node_classes.iter().find(|c| c.name == name)
    }

    /// The plan as YAML, deterministic (same plan, same bytes).
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self).unwrap_or_else(|e| format!("# could not serialise plan: {e}\n"))
    }
}
