//! Rendering Kubernetes manifests from a Plan: deterministic YAML, one document per resource.
//!
//! Order: EC2NodeClasses, NodePools (plan order), then per deployment fleet a Deployment, Service,
//! HorizontalPodAutoscaler or KEDA ScaledObject, and PodDisruptionBudget, and last the load-test
//! ConfigMap (a Locust file and the workload it replays). Values a Plan holds but Kubernetes cannot
//! (precision, engine, reservation sizes, the workload) travel in `tokenfleet.dev/*` annotations or
//! the ConfigMap, so that import can read them back.

use crate::doc::{obj, s, strs, to_doc, Doc, Map};

use crate::place::sizing::{self, PodRequests};
use crate::plan::{
    AutoscalerKind, Deployment, Fleet, MetricKind, Mode, NodeClass, NodePool, Plan, ScalingBehavior, ScalingMetric,
};

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

/// A Karpenter requirement that a node label is one of `values`.
fn requirement(key: &str, values: Doc) -> Doc {
    obj(vec![("key", s(key)), ("operator", s("In")), ("values", values)])
}

/// A Karpenter v1 NodePool for a plan's pool.
pub fn node_pool(plan: &Plan, pool: &NodePool) -> Doc {
    let capacity_types = pool.capacity_types.iter().map(|c| s(c.as_str())).collect();
    let mut requirements = vec![requirement("karpenter.sh/capacity-type", Doc::Array(capacity_types))];
    if !pool.instance_families.is_empty() {
        requirements.push(requirement("karpenter.k8s.aws/instance-family", strs(&pool.instance_families)));
    }
    if !pool.instance_types.is_empty() {
        requirements.push(requirement("node.kubernetes.io/instance-type", strs(&pool.instance_types)));
    }
    let mut template_spec = Map::new();
    template_spec.insert(
        "nodeClassRef".into(),
        obj(vec![("group", s("karpenter.k8s.aws")), ("kind", s("EC2NodeClass")), ("name", s(&pool.node_class))]),
    );
    template_spec.insert("requirements".into(), Doc::Array(requirements));
    if !pool.taints.is_empty() {
        template_spec.insert("taints".into(), to_doc(&pool.taints));
    }
    if let Some(expire) = &pool.expire_after {
        template_spec.insert("expireAfter".into(), s(expire));
    }
    let mut node_labels = Map::new();
    node_labels.insert(NODE_POOL_LABEL.into(), s(&pool.name));
    for (k, v) in &pool.labels {
        node_labels.insert(k.clone(), s(v));
    }
    let mut disruption = Map::new();
    disruption.insert("consolidationPolicy".into(), s(&pool.consolidation.policy));
    if let Some(after) = &pool.consolidation.after {
        disruption.insert("consolidateAfter".into(), s(after));
    }
    if !pool.budgets.is_empty() {
        disruption.insert("budgets".into(), to_doc(&pool.budgets));
    }
    let mut spec = Map::new();
    spec.insert(
        "template".into(),
        obj(vec![("metadata", obj(vec![("labels", node_labels.into())])), ("spec", template_spec.into())]),
    );
    spec.insert("disruption".into(), disruption.into());
    if !pool.limits.is_empty() {
        spec.insert("limits".into(), to_doc(&pool.limits));
    }
    if let Some(weight) = pool.weight {
        spec.insert("weight".into(), weight.into());
    }
    obj(vec![
        ("apiVersion", s("karpenter.sh/v1")),
        ("kind", s("NodePool")),
        ("metadata", obj(vec![("name", s(&pool.name)), ("labels", labels(plan))])),
        ("spec", spec.into()),
    ])
}

/// Data volume size of a node class: room for the serving image and the weights of every model the
/// plan runs, rounded up to 50 GiB.
pub fn default_disk_gib(plan: &Plan) -> u32 {
    let mut models: Vec<(&str, f64)> = Vec::new();
    for d in &plan.spec.deployments {
        if !models.iter().any(|(m, _)| *m == d.model) {
            models.push((&d.model, sizing::weights_gib(d).unwrap_or(20.0)));
        }
    }
    let weights: f64 = models.iter().map(|(_, gib)| gib).sum();
    let gib = 60.0 + weights * 1.2;
    ((gib / 50.0).ceil() * 50.0).min(16_000.0) as u32
}

/// A Karpenter v1 EC2NodeClass for a plan's node class.
pub fn ec2_node_class(plan: &Plan, class: &NodeClass) -> Doc {
    let cluster = cluster_name(plan);
    let role = plan
        .spec
        .cluster
        .as_ref()
        .and_then(|c| c.node_role.clone())
        .unwrap_or_else(|| format!("KarpenterNodeRole-{cluster}"));
    let disk = class.disk_gib.unwrap_or_else(|| default_disk_gib(plan));
    let ebs = |size: String| {
        obj(vec![
            ("volumeSize", size.into()),
            ("volumeType", s("gp3")),
            ("encrypted", true.into()),
            ("deleteOnTermination", true.into()),
        ])
    };
    let block_devices = if class.ami == "bottlerocket" {
        Doc::Array(vec![
            obj(vec![("deviceName", s("/dev/xvda")), ("ebs", ebs("4Gi".to_string()))]),
            obj(vec![("deviceName", s("/dev/xvdb")), ("ebs", ebs(format!("{disk}Gi")))]),
        ])
    } else {
        Doc::Array(vec![obj(vec![
            ("deviceName", s("/dev/xvda")),
            ("ebs", ebs(format!("{disk}Gi"))),
            ("rootVolume", true.into()),
        ])])
    };
    let discovery = Doc::Array(vec![obj(vec![("tags", obj(vec![("karpenter.sh/discovery", cluster.into())]))])]);
    let mut spec = Map::new();
    spec.insert(
        "amiSelectorTerms".into(),
        Doc::Array(vec![obj(vec![("alias", format!("{}@latest", class.ami).into())])]),
    );
    spec.insert("role".into(), role.into());
    spec.insert("subnetSelectorTerms".into(), discovery.clone());
    spec.insert("securityGroupSelectorTerms".into(), discovery);
    if !class.capacity_reservations.is_empty() {
        spec.insert(
            "capacityReservationSelectorTerms".into(),
            Doc::Array(class.capacity_reservations.iter().map(|r| obj(vec![("id", s(&r.id))])).collect()),
        );
    }
    spec.insert("blockDeviceMappings".into(), block_devices);
    let mut metadata = Map::new();
    metadata.insert("name".into(), s(&class.name));
    metadata.insert("labels".into(), labels(plan));
    if !class.capacity_reservations.is_empty() {
        // Reservation sizes and kinds are not part of the selector term; keep them for import.
        let summary: Vec<String> = class
            .capacity_reservations
            .iter()
            .map(|r| format!("{}={}:{}:{}", r.id, r.kind, r.instance_type, r.count))
            .collect();
        metadata.insert("annotations".into(), obj(vec![(RESERVATIONS_ANNOTATION, summary.join(",").into())]));
    }
    obj(vec![
        ("apiVersion", s("karpenter.k8s.aws/v1")),
        ("kind", s("EC2NodeClass")),
        ("metadata", metadata.into()),
        ("spec", spec.into()),
    ])
}

fn selector_labels(deployment: &Deployment, fleet: &Fleet) -> Doc {
    obj(vec![("app.kubernetes.io/name", s(&deployment.name)), ("app.kubernetes.io/component", s(&fleet.role))])
}

fn object_labels(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Doc {
    obj(vec![
        ("app.kubernetes.io/name", s(&deployment.name)),
        ("app.kubernetes.io/component", s(&fleet.role)),
        ("app.kubernetes.io/managed-by", s(MANAGED_BY)),
        (PLAN_LABEL, s(&plan.metadata.name)),
    ])
}

/// `--max-model-len` default: p90 prompt plus p90 output, rounded up to 1024 tokens (at least 2048).
///
/// Never more than the model's context (vLLM refuses to start with a longer `--max-model-len`):
/// validation has already refused a workload whose requests are longer than the context.
pub fn default_max_model_len(plan: &Plan, deployment: &Deployment) -> u32 {
    let w = &plan.spec.workload;
    let tokens = w.input_tokens.p90.unwrap_or(w.input_tokens.mean * 2.0)
        + w.output_tokens.p90.unwrap_or(w.output_tokens.mean * 2.0);
    let rounded = ((tokens.max(0.0) / 1024.0).ceil() * 1024.0).clamp(2048.0, 1_048_576.0) as u32;
    match crate::catalog::model(&deployment.model).map(|m| m.context_tokens).filter(|c| *c > 0) {
        Some(context) => rounded.min(context),
        None => rounded,
    }
}

pub const DEFAULT_MAX_NUM_SEQS: u32 = 256;
pub const DEFAULT_GPU_MEMORY_UTILIZATION: f64 = 0.9;

fn format_fraction(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The vLLM server's command-line arguments for a fleet.
pub fn server_args(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Vec<String> {
    let neuron = sizing::is_neuron_engine(&deployment.engine);
    let mut args: Vec<String> = vec![
        "--model".into(),
        deployment.model.clone(),
        "--port".into(),
        PORT.to_string(),
        "--tensor-parallel-size".into(),
        fleet.tensor_parallel.to_string(),
        "--max-num-seqs".into(),
        deployment.max_num_seqs.unwrap_or(DEFAULT_MAX_NUM_SEQS).to_string(),
        "--max-model-len".into(),
        deployment.max_model_len.unwrap_or_else(|| default_max_model_len(plan, deployment)).to_string(),
    ];
    if neuron {
        args.extend(["--device".into(), "neuron".into()]);
    } else {
        args.extend([
            "--gpu-memory-utilization".into(),
            format_fraction(deployment.gpu_memory_utilization.unwrap_or(DEFAULT_GPU_MEMORY_UTILIZATION)),
        ]);
    }
    match deployment.precision.as_str() {
        "bf16" => args.extend(["--dtype".into(), "bfloat16".into()]),
        "fp16" => args.extend(["--dtype".into(), "float16".into()]),
        "fp8" => args.extend(["--quantization".into(), "fp8".into()]),
        "awq" => args.extend(["--quantization".into(), "awq".into()]),
        "gptq" => args.extend(["--quantization".into(), "gptq".into()]),
        "int8" => args.extend(["--quantization".into(), "bitsandbytes".into()]),
        _ => {}
    }
    if deployment.mode == Mode::Disaggregated {
        args.extend(["--kv-transfer-config".into(), r#"{"kv_connector":"NixlConnector","kv_role":"kv_both"}"#.into()]);
    }
    args
}

fn probe(period_seconds: u32, failure_threshold: u32) -> Doc {
    obj(vec![
        ("httpGet", obj(vec![("path", s("/health")), ("port", s("http"))])),
        ("periodSeconds", period_seconds.into()),
        ("failureThreshold", failure_threshold.into()),
    ])
}

/// The apps/v1 Deployment of a fleet: vLLM's OpenAI-compatible server (or its Neuron variant).
pub fn deployment(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Doc {
    let pod = PodRequests::for_fleet(deployment, fleet);
    let neuron = pod.neuron;
    let image = deployment.image.clone().unwrap_or_else(|| if neuron { NEURON_IMAGE } else { VLLM_IMAGE }.to_string());
    let memory = format!("{}Gi", pod.memory_mib / 1024);
    let mut requests = Map::new();
    requests.insert("cpu".into(), format!("{}", pod.cpu_millis / 1000).into());
    requests.insert("memory".into(), s(&memory));
    requests.insert(pod.device_resource().into(), pod.devices.to_string().into());
    let mut limits = Map::new();
    limits.insert("memory".into(), memory.into());
    limits.insert(pod.device_resource().into(), pod.devices.to_string().into());
    let secret = obj(vec![("name", s("hf-token")), ("key", s("token")), ("optional", true.into())]);
    let container = obj(vec![
        ("name", s("server")),
        ("image", image.into()),
        ("args", Doc::Array(server_args(plan, deployment, fleet).into_iter().map(Doc::String).collect())),
        (
            "env",
            Doc::Array(vec![obj(vec![("name", s("HF_TOKEN")), ("valueFrom", obj(vec![("secretKeyRef", secret)]))])]),
        ),
        (
            "ports",
            Doc::Array(vec![obj(vec![("name", s("http")), ("containerPort", PORT.into()), ("protocol", s("TCP"))])]),
        ),
        ("resources", obj(vec![("requests", requests.into()), ("limits", limits.into())])),
        ("startupProbe", probe(10, 90)),
        ("readinessProbe", probe(10, 3)),
        ("livenessProbe", probe(20, 3)),
        (
            "volumeMounts",
            Doc::Array(vec![
                obj(vec![("name", s("dshm")), ("mountPath", s("/dev/shm"))]),
                obj(vec![("name", s("model-cache")), ("mountPath", s("/root/.cache/huggingface"))]),
            ]),
        ),
    ]);
    let mut pod_spec = Map::new();
    let mut node_selector = Map::new();
    for (k, v) in &deployment.node_selector {
        node_selector.insert(k.clone(), s(v));
    }
    if let Some(pool) = &fleet.node_pool {
        node_selector.insert("karpenter.sh/nodepool".into(), s(pool));
    }
    if !node_selector.is_empty() {
        pod_spec.insert("nodeSelector".into(), node_selector.into());
    }
    if !deployment.tolerations.is_empty() {
        pod_spec.insert("tolerations".into(), to_doc(&deployment.tolerations));
    }
    pod_spec.insert("terminationGracePeriodSeconds".into(), 60u32.into());
    pod_spec.insert("containers".into(), Doc::Array(vec![container]));
    pod_spec.insert(
        "volumes".into(),
        Doc::Array(vec![
            obj(vec![("name", s("dshm")), ("emptyDir", obj(vec![("medium", s("Memory")), ("sizeLimit", s("16Gi"))]))]),
            obj(vec![("name", s("model-cache")), ("emptyDir", Map::new().into())]),
        ]),
    );
    let annotations =
        obj(vec![(PRECISION_ANNOTATION, s(&deployment.precision)), (ENGINE_ANNOTATION, s(&deployment.engine))]);
    obj(vec![
        ("apiVersion", s("apps/v1")),
        ("kind", s("Deployment")),
        (
            "metadata",
            obj(vec![
                ("name", s(&fleet.name)),
                ("labels", object_labels(plan, deployment, fleet)),
                ("annotations", annotations),
            ]),
        ),
        (
            "spec",
            obj(vec![
                ("replicas", fleet.replicas.min.into()),
                ("selector", obj(vec![("matchLabels", selector_labels(deployment, fleet))])),
                (
                    "template",
                    obj(vec![
                        ("metadata", obj(vec![("labels", object_labels(plan, deployment, fleet))])),
                        ("spec", pod_spec.into()),
                    ]),
                ),
            ]),
        ),
    ])
}

/// `metadata` of a fleet's resources: its name and labels.
fn fleet_metadata(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Doc {
    obj(vec![("name", s(&fleet.name)), ("labels", object_labels(plan, deployment, fleet))])
}

pub fn service(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Doc {
    let port = obj(vec![("name", s("http")), ("port", PORT.into()), ("targetPort", s("http")), ("protocol", s("TCP"))]);
    obj(vec![
        ("apiVersion", s("v1")),
        ("kind", s("Service")),
        ("metadata", fleet_metadata(plan, deployment, fleet)),
        ("spec", obj(vec![("selector", selector_labels(deployment, fleet)), ("ports", Doc::Array(vec![port]))])),
    ])
}

pub fn pod_disruption_budget(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Doc {
    obj(vec![
        ("apiVersion", s("policy/v1")),
        ("kind", s("PodDisruptionBudget")),
        ("metadata", fleet_metadata(plan, deployment, fleet)),
        (
            "spec",
            obj(vec![
                ("maxUnavailable", 1u32.into()),
                ("selector", obj(vec![("matchLabels", selector_labels(deployment, fleet))])),
            ]),
        ),
    ])
}

/// A quantity for a target value: whole numbers as is, fractions in milli-units (`800m`).
pub fn quantity(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{}m", (value * 1000.0).round() as i64)
    }
}

/// The HPA pod-metric name a metrics adapter exposes for a vLLM metric (`:` becomes `_`).
pub fn hpa_metric_name(metric: MetricKind) -> String {
    match metric {
        MetricKind::Ttft => "vllm_time_to_first_token_seconds_p95".to_string(),
        other => other.metric_name().replace(':', "_"),
    }
}

fn hpa_target(metric: &ScalingMetric) -> f64 {
    match metric.metric {
        MetricKind::Ttft => metric.target / 1000.0,
        _ => metric.target,
    }
}

fn behavior(b: &ScalingBehavior) -> Doc {
    let mut up = Map::new();
    if let Some(seconds) = b.scale_up_stabilization_seconds {
        up.insert("stabilizationWindowSeconds".into(), seconds.into());
    }
    if let Some(pods) = b.scale_up_pods_per_period {
        let policy = obj(vec![("type", s("Pods")), ("value", pods.into()), ("periodSeconds", 15u32.into())]);
        up.insert("policies".into(), Doc::Array(vec![policy]));
    }
    let mut down = Map::new();
    if let Some(seconds) = b.scale_down_stabilization_seconds {
        down.insert("stabilizationWindowSeconds".into(), seconds.into());
    }
    let mut out = Map::new();
    if !up.is_empty() {
        out.insert("scaleUp".into(), up.into());
    }
    if !down.is_empty() {
        out.insert("scaleDown".into(), down.into());
    }
    out.into()
}

/// What an autoscaler scales: the fleet's Deployment.
fn scale_target(fleet: &Fleet) -> Doc {
    obj(vec![("apiVersion", s("apps/v1")), ("kind", s("Deployment")), ("name", s(&fleet.name))])
}

pub fn horizontal_pod_autoscaler(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Option<Doc> {
    let autoscaler = deployment.autoscaler.as_ref().filter(|a| a.kind == AutoscalerKind::Hpa)?;
    let metrics = autoscaler
        .metrics
        .iter()
        .map(|m| match m.metric {
            MetricKind::CpuUtilization => {
                let target =
                    obj(vec![("type", s("Utilization")), ("averageUtilization", (m.target.round() as i64).into())]);
                obj(vec![("type", s("Resource")), ("resource", obj(vec![("name", s("cpu")), ("target", target)]))])
            }
            kind => {
                let target = obj(vec![("type", s("AverageValue")), ("averageValue", quantity(hpa_target(m)).into())]);
                obj(vec![
                    ("type", s("Pods")),
                    (
                        "pods",
                        obj(vec![("metric", obj(vec![("name", hpa_metric_name(kind).into())])), ("target", target)]),
                    ),
                ])
            }
        })
        .collect();
    let mut spec = Map::new();
    spec.insert("scaleTargetRef".into(), scale_target(fleet));
    spec.insert("minReplicas".into(), fleet.replicas.min.max(1).into());
    spec.insert("maxReplicas".into(), fleet.replicas.max.max(1).into());
    spec.insert("metrics".into(), Doc::Array(metrics));
    if let Some(b) = &autoscaler.behavior {
        spec.insert("behavior".into(), behavior(b));
    }
    Some(obj(vec![
        ("apiVersion", s("autoscaling/v2")),
        ("kind", s("HorizontalPodAutoscaler")),
        ("metadata", fleet_metadata(plan, deployment, fleet)),
        ("spec", spec.into()),
    ]))
}

/// The PromQL a KEDA trigger runs for a metric of a fleet, and whether its threshold is per replica
/// (`AverageValue`, for sums) or compared as is (`Value`, for averages and quantiles).
pub fn prometheus_query(metric: MetricKind, fleet: &Fleet) -> (String, &'static str) {
    let pods = format!("pod=~\"{}-[a-z0-9]+-[a-z0-9]+\"", fleet.name);
    match metric {
        MetricKind::QueueDepth => (format!("sum(vllm:num_requests_waiting{{{pods}}})"), "AverageValue"),
        MetricKind::RunningRequests => (format!("sum(vllm:num_requests_running{{{pods}}})"), "AverageValue"),
        MetricKind::KvCacheUsage => (format!("avg(vllm:kv_cache_usage_perc{{{pods}}})"), "Value"),
        MetricKind::Ttft => (
            format!(
                "histogram_quantile(0.95, sum(rate(vllm:time_to_first_token_seconds_bucket{{{pods}}}[2m])) by (le))"
            ),
            "Value",
        ),
        MetricKind::GpuUtilization => (format!("avg(DCGM_FI_DEV_GPU_UTIL{{{pods}}})"), "Value"),
        MetricKind::CpuUtilization => (String::new(), "Utilization"),
    }
}

pub fn scaled_object(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Option<Doc> {
    let autoscaler = deployment.autoscaler.as_ref().filter(|a| a.kind == AutoscalerKind::Keda)?;
    let address = autoscaler.prometheus_address.as_deref().unwrap_or(DEFAULT_PROMETHEUS);
    let triggers = autoscaler
        .metrics
        .iter()
        .map(|m| {
            if m.metric == MetricKind::CpuUtilization {
                return obj(vec![
                    ("type", s("cpu")),
                    ("metricType", s("Utilization")),
                    ("metadata", obj(vec![("value", format!("{}", m.target.round() as i64).into())])),
                ]);
            }
            let (query, metric_type) = prometheus_query(m.metric, fleet);
            obj(vec![
                ("type", s("prometheus")),
                ("metricType", s(metric_type)),
                (
                    "metadata",
                    obj(vec![
                        ("serverAddress", s(address)),
                        ("query", query.into()),
                        ("threshold", format_fraction(hpa_target(m)).into()),
                    ]),
                ),
            ])
        })
        .collect();
    let mut spec = Map::new();
    spec.insert("scaleTargetRef".into(), scale_target(fleet));
    spec.insert("pollingInterval".into(), autoscaler.polling_interval_seconds.unwrap_or(30).into());
    spec.insert("minReplicaCount".into(), fleet.replicas.min.into());
    spec.insert("maxReplicaCount".into(), fleet.replicas.max.max(1).into());
    if let Some(b) = &autoscaler.behavior {
        spec.insert(
            "advanced".into(),
            obj(vec![("horizontalPodAutoscalerConfig", obj(vec![("behavior", behavior(b))]))]),
        );
    }
    spec.insert("triggers".into(), Doc::Array(triggers));
    Some(obj(vec![
        ("apiVersion", s("keda.sh/v1alpha1")),
        ("kind", s("ScaledObject")),
        ("metadata", fleet_metadata(plan, deployment, fleet)),
        ("spec", spec.into()),
    ]))
}

/// The workload parameters the Locust file replays (also how import recovers the plan's workload).
pub fn workload_json(plan: &Plan) -> String {
    let targets = plan
        .spec
        .deployments
        .iter()
        .map(|d| {
            let entry = d.fleets().into_iter().find(|f| f.role != "prefill").map(|f| f.name).unwrap_or_default();
            obj(vec![("host", format!("http://{entry}:{PORT}").into()), ("model", s(&d.model))])
        })
        .collect();
    let mut doc = Map::new();
    doc.insert("plan".into(), s(&plan.metadata.name));
    if let Some(description) = &plan.metadata.description {
        doc.insert("description".into(), s(description));
    }
    doc.insert("region".into(), s(&plan.spec.region));
    doc.insert("workload".into(), to_doc(&plan.spec.workload));
    doc.insert("targets".into(), Doc::Array(targets));
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// A Locust file that replays the plan's request rate and token lengths against each Service.
pub const LOCUSTFILE: &str = r#"# Generated by Tokenfleet: replays the plan's workload (workload.json beside this file).
# Run: locust -f locustfile.py --headless --users 50 --spawn-rate 10 --run-time 10m
import json
import os
import random

from locust import HttpUser, LoadTestShape, constant_throughput, task

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "workload.json")) as f:
    PLAN = json.load(f)
WORKLOAD = PLAN["workload"]
TARGETS = PLAN["targets"]
RATE = WORKLOAD.get("requestsPerSecond", {})


def tokens(dist):
    mean = dist.get("mean", 256)
    p90 = dist.get("p90") or mean * 2
    # A log-normal with the plan's mean and p90.
    sigma = max(0.05, (p90 / max(mean, 1)) ** 0.5 - 1)
    return max(1, int(random.lognormvariate(0, sigma) * mean / (1 + sigma * sigma / 2)))


class Client(HttpUser):
    # One request per second per user, so users = requests per second.
    wait_time = constant_throughput(1)

    @task
    def complete(self):
        target = random.choice(TARGETS)
        prompt = "hello " * tokens(WORKLOAD.get("inputTokens", {}))
        self.client.post(
            target["host"] + "/v1/completions",
            json={"model": target["model"], "prompt": prompt, "max_tokens": tokens(WORKLOAD.get("outputTokens", {})), "ignore_eos": True},
            name=target["host"],
        )


class PlanShape(LoadTestShape):
    """Baseline for five minutes, then peak for five minutes."""

    def tick(self):
        t = self.get_run_time()
        if t > 600:
            return None
        rate = RATE.get("baseline", 1) if t < 300 else RATE.get("peak", 1)
        users = max(1, int(round(rate)))
        return (users, users)
"#;

pub fn load_test_config_map(plan: &Plan) -> Doc {
    obj(vec![
        ("apiVersion", s("v1")),
        ("kind", s("ConfigMap")),
        ("metadata", obj(vec![("name", format!("{}-loadtest", plan.metadata.name).into()), ("labels", labels(plan))])),
        ("data", obj(vec![(WORKLOAD_KEY, workload_json(plan).into()), (LOCUSTFILE_KEY, s(LOCUSTFILE))])),
    ])
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
    for d in &plan.spec.deployments {
        for fleet in d.fleets() {
            out.push(deployment(plan, d, &fleet));
            out.push(service(plan, d, &fleet));
            out.extend(horizontal_pod_autoscaler(plan, d, &fleet));
            out.extend(scaled_object(plan, d, &fleet));
            out.push(pod_disruption_budget(plan, d, &fleet));
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
