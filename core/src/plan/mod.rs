//! The Plan document: a user's intent (workload, deployments, NodePools, node classes, autoscalers).
//!
//! `apiVersion: tokenfleet.dev/v1alpha1`, `kind: Plan`, read from YAML or JSON. Field names are
//! camelCase like Kubernetes'. Parsing never panics: errors name the field path and, for YAML, the
//! line and column. The format is documented in `docs/plan.md`.

pub mod mig;
pub(crate) mod parse;
pub mod trace;
pub mod tree;

pub use parse::{
    is_s3_uri, is_snapshot_id, parse_plan, parse_plan_located, parse_plan_unchecked, trace_file_escapes,
    trace_rows_over_context, validate, PlanError, MAX_INPUT_BYTES, RESERVATION_PLACEHOLDER, S3_PLACEHOLDER,
    SNAPSHOT_PLACEHOLDER,
};

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::catalog::{billing, CapacityType, Price, PriceBook, PriceOverlay, PricesUsed};

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
    /// Prices imported from the AWS CLI's output (`tokenfleet prices import`) that override the
    /// built-in snapshot for the instance types and regions they hold; they travel with the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<PriceOverlay>,
    /// Savings Plans and Reserved Instances the account holds: billing, not capacity (Karpenter
    /// launches on-demand instances; these price them). Placement and the simulated day bill usage
    /// through them (`catalog::billing`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commitments: Vec<Commitment>,
    /// The cluster as Cluster Autoscaler runs it (imported from an eksctl `ClusterConfig` and the
    /// Cluster Autoscaler Deployment's flags), for `simulate --node-autoscaler cluster-autoscaler`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_autoscaler: Option<ClusterAutoscaler>,
}

/// Cluster Autoscaler's settings and node groups. Absent settings take Cluster Autoscaler's documented
/// defaults (`CLUSTER_AUTOSCALER_DEFAULTS`, from its FAQ "What are the parameters to CA?").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterAutoscaler {
    /// `--scan-interval` (default `10s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_interval: Option<String>,
    /// `--expander`: a comma-separated chain of `random` (default), `most-pods`, `least-waste`,
    /// `least-nodes`, `price`, `priority`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expander: Option<String>,
    /// `--scale-down-enabled` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_enabled: Option<bool>,
    /// `--scale-down-delay-after-add` (default `10m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_after_add: Option<String>,
    /// `--scale-down-delay-after-delete` (default: the scan interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_after_delete: Option<String>,
    /// `--scale-down-unneeded-time` (default `10m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_unneeded_time: Option<String>,
    /// `--scale-down-utilization-threshold` (default 0.5); for GPU nodes Cluster Autoscaler uses
    /// `--scale-down-gpu-utilization-threshold` (default 0.5), which this value stands for too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_utilization_threshold: Option<f64>,
    /// `--max-node-provision-time` (default `15m`): a node not ready by then is given up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_node_provision_time: Option<String>,
    /// `--max-nodes-total` (default 0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_nodes_total: Option<u32>,
    /// The node groups (EKS managed node groups or Auto Scaling groups). Empty: one group per NodePool,
    /// instance type and capacity type, sized from the NodePool's limits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_groups: Vec<NodeGroup>,
}

/// One node group: an Auto Scaling group of one NodePool's instance types and capacity type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeGroup {
    /// The node group's (or Auto Scaling group's) name.
    pub name: String,
    /// The NodePool of this plan that stands for the group: its instance types (the first is the
    /// template Cluster Autoscaler simulates), capacity type, labels, taints and node class.
    pub node_pool: String,
    pub min_size: u32,
    pub max_size: u32,
    /// The size at the start of the day (default `minSize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_capacity: Option<u32>,
    /// The priority expander's priority (higher first; the `cluster-autoscaler-priority-expander`
    /// ConfigMap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
}

/// Cluster Autoscaler's expanders, as `--expander` names them.
pub const CLUSTER_AUTOSCALER_EXPANDERS: [&str; 6] =
    ["random", "most-pods", "least-waste", "least-nodes", "price", "priority"];

/// Cluster-specific values the exported manifests need; placeholders are used where absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    /// EKS cluster name; also the value of the `karpenter.sh/discovery` tag on subnets and security groups.
    pub name: String,
    /// IAM role of the nodes (default `KarpenterNodeRole-<cluster name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_role: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    /// Request rate (requests/s); a trace (`trace`) replaces it in the simulation.
    #[serde(default)]
    pub requests_per_second: RequestRate,
    /// A request-rate trace the simulation replays instead of the baseline/peak profile: inline CSV,
    /// or a file the CLI reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceRef>,
    #[serde(default)]
    pub input_tokens: TokenDistribution,
    #[serde(default)]
    pub output_tokens: TokenDistribution,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slos: Vec<Slo>,
    /// How long the gateway in front of the model servers waits for a response before it gives up
    /// (seconds); unset: [`DEFAULT_REQUEST_TIMEOUT_S`]. Requests queued longer are dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_seconds: Option<f64>,
}

/// The request timeout when a plan does not set one: the idle timeout of an AWS Application Load
/// Balancer, 60 s by default (Elastic Load Balancing User Guide, "Connection idle timeout"), the usual
/// front of an EKS inference service.
pub const DEFAULT_REQUEST_TIMEOUT_S: f64 = 60.0;

/// Traffic is SLO-critical (an interruption or a wait for new capacity breaks it) when it has a TTFT
/// or TPOT SLO, or an end-to-end limit below this; longer limits are batch work a retry still meets.
pub const CRITICAL_E2E_LIMIT_MS: f64 = 60_000.0;

impl Workload {
    /// Whether the SLOs make this traffic critical ([`CRITICAL_E2E_LIMIT_MS`]).
    pub fn slo_critical(&self) -> bool {
        self.slos.iter().any(|s| s.metric != SloMetric::E2e || s.limit_ms < CRITICAL_E2E_LIMIT_MS)
    }

    /// The request timeout in seconds: the plan's, else [`DEFAULT_REQUEST_TIMEOUT_S`].
    pub fn request_timeout_s(&self) -> f64 {
        self.request_timeout_seconds.unwrap_or(DEFAULT_REQUEST_TIMEOUT_S)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestRate {
    pub baseline: f64,
    pub peak: f64,
}

/// A request-rate trace in the CSV format of [`trace::parse_trace_csv`]
/// (`t_s,requests_per_s[,input_tokens,output_tokens]`): exactly one of `file` and `csv` is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceRef {
    /// A CSV file, relative to the plan's folder: read by the CLI (`tokenfleet simulate`); a browser
    /// cannot read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The CSV itself, carried in the plan (so undo, autosave, share links and downloads keep it); at
    /// most [`trace::MAX_TRACE_CSV_BYTES`]. Shared, not copied, when the plan is cloned: the app's
    /// undo history holds up to 200 plans, which would otherwise hold 200 copies of a 256 KB trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<Arc<str>>,
}

impl TraceRef {
    /// An inline trace.
    pub fn inline(csv: impl Into<Arc<str>>) -> TraceRef {
        TraceRef { file: None, csv: Some(csv.into()) }
    }

    /// A trace in a file next to the plan.
    pub fn file(file: impl Into<String>) -> TraceRef {
        TraceRef { file: Some(file.into()), csv: None }
    }

    /// The rows of an inline trace: `None` for a file trace, the reader's error (`line N: …`) for a
    /// bad CSV.
    pub fn inline_rows(&self) -> Option<Result<Vec<trace::TraceRow>, trace::TraceError>> {
        self.csv.as_deref().map(trace::parse_trace_csv)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenDistribution {
    pub mean: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SloMetric {
    Ttft,
    Tpot,
    E2e,
}

impl SloMetric {
    pub fn as_str(self) -> &'static str {
        match self {
            SloMetric::Ttft => "ttft",
            SloMetric::Tpot => "tpot",
            SloMetric::E2e => "e2e",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Slo {
    pub metric: SloMetric,
    /// Percentile the limit applies to (50, 90, 95, 99).
    pub percentile: f64,
    pub limit_ms: f64,
}

/// Monolithic serving, or prefill and decode in separate fleets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    #[default]
    Monolithic,
    Disaggregated,
}

impl Mode {
    fn is_monolithic(&self) -> bool {
        *self == Mode::Monolithic
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deployment {
    pub name: String,
    /// Hugging Face repo id (`meta-llama/Meta-Llama-3-8B-Instruct`) or a catalog model name.
    pub model: String,
    /// `bf16`, `fp16`, `fp8`, `int8`, `awq` or `gptq`.
    #[serde(default = "default_precision")]
    pub precision: String,
    /// `vllm` (GPU) or `neuron` (vLLM with the Neuron backend on Inferentia/Trainium).
    #[serde(default = "default_engine")]
    pub engine: String,
    /// Devices per replica: GPUs, or NeuronCores on Neuron.
    #[serde(default = "one")]
    pub tensor_parallel: u32,
    pub replicas: ReplicaBounds,
    #[serde(default, skip_serializing_if = "Mode::is_monolithic")]
    pub mode: Mode,
    /// Prefill fleet (disaggregated mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<Stage>,
    /// Decode fleet (disaggregated mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decode: Option<Stage>,
    /// vLLM `--max-num-seqs` (batch cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_num_seqs: Option<u32>,
    /// vLLM `--max-model-len` in tokens (default: p90 input + p90 output, rounded up to 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_model_len: Option<u32>,
    /// vLLM `--gpu-memory-utilization` (default 0.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_memory_utilization: Option<f64>,
    /// Container image (default: the engine's official image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaler: Option<Autoscaler>,
    /// Where the model's weights come from (default: downloaded from the Hugging Face Hub by vLLM's
    /// default loader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Weights>,
    /// Neuron only: where compiled artifacts are kept, so a new pod loads them instead of compiling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile_cache: Option<CompileCache>,
    /// Spare capacity for bursts beyond the running replicas (monolithic deployments; a
    /// disaggregated deployment sets it per stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_capacity: Option<WarmCapacity>,
    /// One MIG slice per replica (`1g.10gb`): pods request `nvidia.com/mig-1g.10gb: 1` instead of
    /// whole GPUs, and only NodePools partitioned into that profile (their `migProfile`) take them.
    /// Monolithic GPU deployments with `tensorParallel: 1` only (tensor parallelism never spans slices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mig_profile: Option<String>,
}

/// Where a deployment's weights are read from, and whether nodes keep a copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Weights {
    #[serde(default)]
    pub source: WeightsSource,
    /// `s3Streamer` only: the `s3://bucket/prefix` holding the model's files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// `sharedFileSystem` only: the PersistentVolumeClaim (FSx for Lustre, EFS…) holding the model's
    /// files at its root, mounted read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_claim: Option<String>,
    /// `download` only: keep the downloaded weights on the node's local NVMe instance store, so the
    /// next pod on the node reads them from there.
    #[serde(default, skip_serializing_if = "is_false")]
    pub node_cache: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WeightsSource {
    /// vLLM downloads the weights from the Hub and loads them with its default loader.
    #[default]
    Download,
    /// The Run:ai Model Streamer (`--load-format runai_streamer`) reads them from S3.
    S3Streamer,
    /// A shared file system (a PersistentVolumeClaim) already holds them.
    SharedFileSystem,
}

/// Neuron compiled artifacts kept across pods: an S3 prefix or a PersistentVolumeClaim (exactly one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompileCache {
    /// `s3://bucket/prefix`, given to the Neuron compiler as `NEURON_COMPILE_CACHE_URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// A PersistentVolumeClaim mounted as the compiler's cache directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_claim: Option<String>,
}

/// Whether an engine serves on Neuron devices (Inferentia, Trainium).
pub fn is_neuron_engine(engine: &str) -> bool {
    matches!(engine, "neuron" | "vllm-neuron" | "tgi-neuron")
}

impl Deployment {
    /// The weights' source (`download` when the plan does not say).
    pub fn weights_source(&self) -> WeightsSource {
        self.weights.as_ref().map(|w| w.source).unwrap_or_default()
    }

    /// Whether nodes keep the downloaded weights on their instance store.
    pub fn weights_node_cache(&self) -> bool {
        self.weights.as_ref().is_some_and(|w| w.node_cache)
    }
}

/// Spare capacity kept ready for `replicas` more replicas of one fleet, each chunk one replica's shape
/// (its devices, node selector and tolerations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WarmCapacity {
    pub kind: WarmCapacityKind,
    /// Chunks of one replica's shape.
    pub replicas: u32,
}

/// How warm capacity is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WarmCapacityKind {
    /// A `CapacityBuffer` (autoscaling.x-k8s.io, Karpenter's alpha `CapacityBuffer` feature gate):
    /// virtual pods in Karpenter's scheduling keep free nodes; nothing runs on them.
    CapacityBuffer,
    /// A Deployment of low-priority pause pods that serving pods preempt; they pre-pull the serving
    /// image on their nodes.
    PlaceholderPods,
}

impl WarmCapacityKind {
    pub const ALL: [WarmCapacityKind; 2] = [WarmCapacityKind::CapacityBuffer, WarmCapacityKind::PlaceholderPods];

    /// The plan's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            WarmCapacityKind::CapacityBuffer => "capacityBuffer",
            WarmCapacityKind::PlaceholderPods => "placeholderPods",
        }
    }
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

/// One fleet of a disaggregated deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Stage {
    /// Devices per replica of this stage (default: the deployment's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tensor_parallel: Option<u32>,
    pub replicas: ReplicaBounds,
    /// Pin this stage to a NodePool (`karpenter.sh/nodepool` node selector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_pool: Option<String>,
    /// Spare capacity for this stage's bursts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_capacity: Option<WarmCapacity>,
}

/// Which fleet of a disaggregated deployment: the one that prefills or the one that decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    Prefill,
    Decode,
}

impl StageKind {
    pub const BOTH: [StageKind; 2] = [StageKind::Prefill, StageKind::Decode];

    /// The plan's field name (`prefill`, `decode`), which is also the fleet's role and name suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Prefill => "prefill",
            StageKind::Decode => "decode",
        }
    }

    pub fn other(self) -> StageKind {
        match self {
            StageKind::Prefill => StageKind::Decode,
            StageKind::Decode => StageKind::Prefill,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

impl Toleration {
    /// Whether this toleration tolerates a taint (Kubernetes' matching rules).
    pub fn tolerates(&self, taint: &Taint) -> bool {
        let key_matches = self.key.is_empty() || self.key == taint.key;
        let effect_matches = self.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
        let value_matches = match self.operator.as_deref().unwrap_or("Equal") {
            "Exists" => true,
            _ => self.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        };
        key_matches && effect_matches && value_matches
    }
}

/// How a deployment's replicas are scaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscaler {
    pub kind: AutoscalerKind,
    pub metrics: Vec<ScalingMetric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<ScalingBehavior>,
    /// KEDA only: how often triggers are polled, seconds (KEDA default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling_interval_seconds: Option<u32>,
    /// KEDA only: how long after the last active trigger the target scales to zero, seconds (KEDA
    /// default 300). It acts only when `replicas.min` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_period_seconds: Option<u32>,
    /// KEDA only: the Prometheus server queried by the triggers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AutoscalerKind {
    /// HorizontalPodAutoscaler autoscaling/v2 (pod metrics need a metrics adapter).
    Hpa,
    /// KEDA ScaledObject keda.sh/v1alpha1 with Prometheus triggers.
    Keda,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScalingMetric {
    pub metric: MetricKind,
    /// Target per replica: requests (queue depth, running), a fraction 0–1 (KV cache), milliseconds
    /// (TTFT), or percent (GPU and CPU utilisation).
    pub target: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MetricKind {
    /// `vllm:num_requests_waiting`.
    QueueDepth,
    /// `vllm:num_requests_running`.
    RunningRequests,
    /// `vllm:kv_cache_usage_perc`.
    KvCacheUsage,
    /// p95 of `vllm:time_to_first_token_seconds`.
    Ttft,
    /// `DCGM_FI_DEV_GPU_UTIL` (a poor signal alone).
    GpuUtilization,
    /// Container CPU utilisation (a poor signal alone).
    CpuUtilization,
}

impl MetricKind {
    pub const ALL: [MetricKind; 6] = [
        MetricKind::QueueDepth,
        MetricKind::RunningRequests,
        MetricKind::KvCacheUsage,
        MetricKind::Ttft,
        MetricKind::GpuUtilization,
        MetricKind::CpuUtilization,
    ];

    /// The Prometheus metric (or pod metric) name the autoscaler reads.
    pub fn metric_name(self) -> &'static str {
        match self {
            MetricKind::QueueDepth => "vllm:num_requests_waiting",
            MetricKind::RunningRequests => "vllm:num_requests_running",
            MetricKind::KvCacheUsage => "vllm:kv_cache_usage_perc",
            MetricKind::Ttft => "vllm:time_to_first_token_seconds",
            MetricKind::GpuUtilization => "DCGM_FI_DEV_GPU_UTIL",
            MetricKind::CpuUtilization => "cpu",
        }
    }

    /// Whether this signal sees queueing, KV-cache pressure or latency (not only utilisation).
    pub fn sees_load(self) -> bool {
        !matches!(self, MetricKind::GpuUtilization | MetricKind::CpuUtilization)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScalingBehavior {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_up_stabilization_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_stabilization_seconds: Option<u32>,
    /// Most pods added per 15 s period when scaling up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_up_pods_per_period: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePool {
    pub name: String,
    /// 1–100; Karpenter tries the highest weight first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    pub capacity_types: Vec<CapacityType>,
    /// Values for `karpenter.k8s.aws/instance-family` (`g5`, `p5`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_families: Vec<String>,
    /// Values for `node.kubernetes.io/instance-type` (`g5.12xlarge`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_types: Vec<String>,
    /// Resource name → quantity (`cpu: "1000"`, `nvidia.com/gpu: "16"`, `aws.amazon.com/neuron: "32"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub consolidation: Consolidation,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<Budget>,
    /// A duration (`720h`) or `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<String>,
    pub node_class: String,
    /// A static NodePool (`spec.replicas`, Karpenter's alpha `StaticCapacity` feature gate): this
    /// many nodes kept running all day, never consolidated, and none launched for pending pods. Takes
    /// no weight and no limit but `nodes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Partition every GPU of the pool's nodes into this MIG profile (`1g.10gb`) with the NVIDIA GPU
    /// operator's MIG manager (node label `nvidia.com/mig.config: all-1g.10gb`, strategy `mixed`): each
    /// node then offers `nvidia.com/mig-1g.10gb` (GPUs × slices per GPU) and no whole `nvidia.com/gpu`.
    /// The export adds a NodeOverlay so that Karpenter knows that capacity before it launches a node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mig_profile: Option<String>,
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
    /// `consolidateAfter`: a duration (`30s`, `5m`) or `Never`. Karpenter requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl Default for Consolidation {
    fn default() -> Self {
        Consolidation { policy: "WhenEmptyOrUnderutilized".to_string(), after: Some("5m".to_string()) }
    }
}

/// A disruption budget: how many nodes may be disrupted at once, optionally on a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Budget {
    /// A count (`2`) or a percentage (`10%`).
    pub nodes: String,
    /// Cron schedule when the budget is active (needs `duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// `Underutilized`, `Empty`, `Drifted` (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeClass {
    pub name: String,
    /// `bottlerocket` or `al2023` (rendered as the `@latest` alias).
    pub ami: String,
    /// Data volume size; default: room for the serving image and the weights of the models placed here.
    #[serde(default, rename = "diskGiB", skip_serializing_if = "Option::is_none")]
    pub disk_gib: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_reservations: Vec<CapacityReservation>,
    /// Container images pre-pulled onto an EBS snapshot the data volume is created from (Bottlerocket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_cache: Option<ImageCache>,
    /// How containerd pulls images: `default`, or `parallel` (the SOCI snapshotter's parallel pull and
    /// unpack).
    #[serde(default, skip_serializing_if = "ImagePull::is_default")]
    pub image_pull: ImagePull,
}

/// An EBS snapshot holding pulled images, used as the node's data volume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageCache {
    /// `snap-…`
    pub snapshot_id: String,
    /// The images the snapshot holds; empty: every serving image of the plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ImagePull {
    /// containerd's own pull: layers one after another.
    #[default]
    Default,
    /// SOCI snapshotter parallel pull and unpack.
    Parallel,
}

impl ImagePull {
    pub fn is_default(&self) -> bool {
        *self == ImagePull::Default
    }
}

impl NodeClass {
    /// A node class with no reservation and no start-up lever.
    pub fn new(name: impl Into<String>, ami: impl Into<String>) -> NodeClass {
        NodeClass {
            name: name.into(),
            ami: ami.into(),
            disk_gib: None,
            capacity_reservations: vec![],
            image_cache: None,
            image_pull: ImagePull::Default,
        }
    }

    /// Whether this class's image cache holds `image` (an exported image reference).
    pub fn caches_image(&self, image: &str) -> bool {
        self.image_cache.as_ref().is_some_and(|c| c.images.is_empty() || c.images.iter().any(|i| i == image))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CapacityReservation {
    /// `cr-…`
    pub id: String,
    /// `odcr` (On-Demand Capacity Reservation) or `capacity-block` (Capacity Block for ML).
    #[serde(default = "default_reservation_kind")]
    pub kind: String,
    pub instance_type: String,
    pub count: u32,
    /// The availability zone the reservation is in (`us-east-1a`): a reservation holds capacity in one
    /// zone. Needed to buy it as code (`export --format terraform`); placement does not use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// When the reservation ends, RFC 3339 (`2026-12-10T11:30:00Z`, as EC2 reports `EndDate`). A
    /// Capacity Block's instances are drained by Karpenter 40 minutes before and terminated by EC2 30
    /// minutes before; an ODCR's instances run on as ordinary on-demand instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
}

impl CapacityReservation {
    pub fn is_capacity_block(&self) -> bool {
        self.kind == "capacity-block"
    }

    /// The end as seconds since the Unix epoch; `None` without an end, `Err` when it is not RFC 3339.
    pub fn end_epoch_s(&self) -> Option<Result<i64, String>> {
        self.end_time.as_deref().map(parse_rfc3339)
    }
}

/// A Savings Plan or a Reserved Instance purchase: paid every hour, used or not, covering on-demand
/// usage at a committed rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Commitment {
    /// A name for results (`compute-1y`, the Savings Plan's or reservation's id).
    pub name: String,
    /// `savings-plan` or `reserved-instance`.
    pub kind: CommitmentKind,
    /// Savings Plans: `Compute` or `EC2Instance` (as `aws savingsplans` names them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_type: Option<String>,
    /// EC2 Instance Savings Plans: the instance family they cover in the plan's region (`g6e`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_family: Option<String>,
    /// Savings Plans: 1 or 3 (with `paymentOption`, selects the overlay's rates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_years: Option<u32>,
    /// Savings Plans: `No Upfront`, `Partial Upfront` or `All Upfront`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_option: Option<String>,
    /// Reserved Instances: the instance type they cover (regional, no size flexibility).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// Reserved Instances: how many instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Savings Plans: the hourly commitment. Reserved Instances: the effective rate of one instance-hour
    /// (upfront amortised over the term plus the recurring charge).
    pub usd_per_hour: f64,
}

impl Commitment {
    /// A Savings Plan of `plan_type` (`Compute`; an `EC2Instance` one also names its
    /// `instance_family`) committing `usd_per_hour`.
    pub fn savings_plan(
        name: &str,
        plan_type: &str,
        term_years: u32,
        payment_option: &str,
        usd_per_hour: f64,
    ) -> Commitment {
        Commitment {
            name: name.to_string(),
            kind: CommitmentKind::SavingsPlan,
            plan_type: Some(plan_type.to_string()),
            instance_family: None,
            term_years: Some(term_years),
            payment_option: Some(payment_option.to_string()),
            instance_type: None,
            count: None,
            usd_per_hour,
        }
    }

    /// `count` Reserved Instances of `instance_type` at an effective `usd_per_hour` each.
    pub fn reserved_instances(name: &str, instance_type: &str, count: u32, usd_per_hour: f64) -> Commitment {
        Commitment {
            name: name.to_string(),
            kind: CommitmentKind::ReservedInstance,
            plan_type: None,
            instance_family: None,
            term_years: None,
            payment_option: None,
            instance_type: Some(instance_type.to_string()),
            count: Some(count),
            usd_per_hour,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitmentKind {
    SavingsPlan,
    ReservedInstance,
}

impl CommitmentKind {
    /// The name the plan and the output use.
    pub fn as_str(self) -> &'static str {
        match self {
            CommitmentKind::SavingsPlan => "savings-plan",
            CommitmentKind::ReservedInstance => "reserved-instance",
        }
    }
}

/// Seconds since the Unix epoch of an RFC 3339 date-time (any offset).
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("{text:?} is not an RFC 3339 date-time such as 2026-12-10T11:30:00Z ({e})"))
}

fn default_reservation_kind() -> String {
    "odcr".to_string()
}

/// The performance model's precision for a plan's precision name: weight-only INT4 is named by its
/// method in a plan (`awq`, `gptq`, which the engines' arguments need) and by its width in the model.
/// `None` for a name the model does not know (validation refuses those).
pub fn precision_of(name: &str) -> Option<crate::perf::Precision> {
    match name.trim().to_ascii_lowercase().as_str() {
        "awq" | "gptq" | "int4" => Some(crate::perf::Precision::Int4),
        other => crate::perf::Precision::parse(other),
    }
}

impl Deployment {
    /// One stage of a disaggregated deployment, if it has it.
    pub fn stage(&self, kind: StageKind) -> Option<&Stage> {
        match kind {
            StageKind::Prefill => self.prefill.as_ref(),
            StageKind::Decode => self.decode.as_ref(),
        }
    }

    pub fn stage_mut(&mut self, kind: StageKind) -> Option<&mut Stage> {
        match kind {
            StageKind::Prefill => self.prefill.as_mut(),
            StageKind::Decode => self.decode.as_mut(),
        }
    }

    /// The fleets this deployment runs as: `(suffix, role, tensor parallel, replica bounds, pinned pool)`.
    /// Monolithic deployments have one fleet with an empty suffix.
    pub fn fleets(&self) -> Vec<Fleet> {
        match (self.mode, &self.prefill, &self.decode) {
            (Mode::Disaggregated, Some(prefill), Some(decode)) => [("prefill", prefill), ("decode", decode)]
                .into_iter()
                .map(|(role, stage)| Fleet {
                    name: format!("{}-{role}", self.name),
                    role: role.to_string(),
                    tensor_parallel: stage.tensor_parallel.unwrap_or(self.tensor_parallel),
                    replicas: stage.replicas,
                    node_pool: stage.node_pool.clone(),
                    warm_capacity: stage.warm_capacity,
                })
                .collect(),
            _ => vec![Fleet {
                name: self.name.clone(),
                role: "server".to_string(),
                tensor_parallel: self.tensor_parallel,
                replicas: self.replicas,
                node_pool: None,
                warm_capacity: self.warm_capacity,
            }],
        }
    }
}

/// One set of identical pods: a monolithic deployment, or the prefill or decode stage of one.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    /// Kubernetes name (`llama-70b`, `llama-70b-prefill`).
    pub name: String,
    /// `server`, `prefill` or `decode`.
    pub role: String,
    pub tensor_parallel: u32,
    pub replicas: ReplicaBounds,
    pub node_pool: Option<String>,
    pub warm_capacity: Option<WarmCapacity>,
}

impl Deployment {
    /// Whether this deployment (or a stage of it) keeps warm capacity beyond its running replicas.
    pub fn has_warm_capacity(&self) -> bool {
        self.fleets().iter().any(|f| f.warm_capacity.is_some_and(|w| w.replicas > 0))
    }
}

impl Plan {
    /// The share of the workload's requests each deployment serves: the plan's traffic split evenly
    /// over its deployments (a disaggregated deployment's stages each see its whole share, one after
    /// the other). The static bands and the simulated day both read it, so they judge the same rate.
    pub fn traffic_share(&self) -> f64 {
        1.0 / self.spec.deployments.len().max(1) as f64
    }

    /// Pools in the order Karpenter tries them: descending weight, then name (as Karpenter does).
    pub fn pools_by_priority(&self) -> Vec<&NodePool> {
        let mut pools: Vec<&NodePool> = self.spec.node_pools.iter().collect();
        pools.sort_by(|a, b| b.weight.unwrap_or(0).cmp(&a.weight.unwrap_or(0)).then_with(|| a.name.cmp(&b.name)));
        pools
    }

    pub fn node_class(&self, name: &str) -> Option<&NodeClass> {
        self.spec.node_classes.iter().find(|c| c.name == name)
    }

    pub fn node_pool(&self, name: &str) -> Option<&NodePool> {
        self.spec.node_pools.iter().find(|p| p.name == name)
    }

    /// The plan's prices: its overlay (`spec.prices`) first, the built-in snapshot otherwise. Every
    /// figure the plan is priced with comes from here.
    pub fn prices(&self) -> PriceBook<'_> {
        PriceBook::with_overlay(self.spec.prices.as_ref())
    }

    /// The price of an instance-hour of `instance_type` in the plan's region.
    pub fn price(&self, instance_type: &str, capacity: CapacityType) -> Option<Price<'_>> {
        self.prices().price(instance_type, &self.spec.region, capacity)
    }

    /// The plan's commitments resolved to rates for billing: a Reserved Instance's own rate for its
    /// type; a Savings Plan's rate for each instance type the overlay (`spec.prices`) holds a rate of
    /// its plan type, term and payment option for in the plan's region (an EC2 Instance Savings Plan:
    /// of its family only). A Savings Plan the overlay holds no rates for covers nothing (lint TF056).
    pub fn commitment_rates(&self) -> Vec<billing::Commitment> {
        self.spec
            .commitments
            .iter()
            .map(|c| {
                let (order, fee, rates) = match c.kind {
                    CommitmentKind::ReservedInstance => {
                        let t = c.instance_type.clone().unwrap_or_default();
                        let fee = c.usd_per_hour * f64::from(c.count.unwrap_or(0));
                        (billing::CommitmentOrder::ReservedInstance, fee, vec![(t, c.usd_per_hour)])
                    }
                    CommitmentKind::SavingsPlan => {
                        let ec2_instance = c.plan_type.as_deref() == Some("EC2Instance");
                        let order = if ec2_instance {
                            billing::CommitmentOrder::Ec2InstanceSavingsPlan
                        } else {
                            billing::CommitmentOrder::ComputeSavingsPlan
                        };
                        (order, c.usd_per_hour, self.savings_plan_rates(c))
                    }
                };
                billing::Commitment { name: c.name.clone(), order, fee_usd_per_hour: fee, rates }
            })
            .collect()
    }

    /// A Savings Plan's rate per instance type, from the overlay.
    fn savings_plan_rates(&self, c: &Commitment) -> Vec<(String, f64)> {
        let Some(overlay) = &self.spec.prices else { return Vec::new() };
        let family = |t: &str| t.split('.').next().unwrap_or_default().to_string();
        overlay
            .entries
            .iter()
            .filter(|(t, _)| c.instance_family.as_ref().is_none_or(|f| *f == family(t)))
            .filter_map(|(t, by_region)| {
                let rates = by_region.get(&self.spec.region)?;
                let rate = rates.savings_plans.iter().find(|r| {
                    Some(r.plan_type.as_str()) == c.plan_type.as_deref()
                        && Some(r.term_years) == c.term_years
                        && Some(r.payment_option.as_str()) == c.payment_option.as_deref()
                })?;
                Some((t.clone(), rate.usd_per_hour))
            })
            .collect()
    }

    /// Which prices the plan's results use, for their `prices` line or field.
    pub fn prices_used(&self) -> PricesUsed {
        self.prices().used(&self.spec.region)
    }

    /// The plan as YAML, deterministic (same plan, same bytes).
    pub fn to_yaml(&self) -> String {
        crate::yaml::to_yaml(self)
    }

    /// The plan as compact JSON: the text share links pack and the embeddable widget hands out.
    pub fn to_json(&self) -> String {
        // Serializing a Plan cannot fail: its maps have string keys and its floats are finite or
        // written as null.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A small valid plan to start from (used by tests and generators).
    pub fn minimal(name: &str) -> Plan {
        Plan {
            api_version: API_VERSION.to_string(),
            kind: KIND.to_string(),
            metadata: Metadata { name: name.to_string(), description: None },
            spec: PlanSpec { region: "us-east-1".to_string(), ..PlanSpec::default() },
        }
    }
}
