//! A fleet's serving manifests: the Deployment (vLLM or Neuron) with its server arguments and probes,
//! its Service and its PodDisruptionBudget.

use crate::doc::{obj, s, to_doc, Doc, Map};

use super::{ENGINE_ANNOTATION, MANAGED_BY, NEURON_IMAGE, PLAN_LABEL, PORT, PRECISION_ANNOTATION, VLLM_IMAGE};
use crate::place::sizing::{self, PodRequests};
use crate::plan::{Deployment, Fleet, Mode, Plan, WeightsSource};

/// Where a shared file system's claim is mounted (`weights.source: sharedFileSystem`).
pub const SHARED_WEIGHTS_PATH: &str = "/mnt/models";
/// The node directory keeping downloaded weights (`weights.nodeCache`): under kubelet's directory,
/// which `instanceStorePolicy: RAID0` places on the instance-store array on both AL2023 and Bottlerocket.
pub const NODE_CACHE_PATH: &str = "/var/lib/kubelet/model-cache";
/// Where a compile-cache claim is mounted: the Neuron persistent cache's default directory.
pub const NEURON_CACHE_PATH: &str = "/var/tmp/neuron-compile-cache";
/// The Neuron persistent cache's location (a directory or an `s3://` URL).
pub const NEURON_CACHE_ENV: &str = "NEURON_COMPILE_CACHE_URL";

pub(super) fn selector_labels(deployment: &Deployment, fleet: &Fleet) -> Doc {
    obj(vec![("app.kubernetes.io/name", s(&deployment.name)), ("app.kubernetes.io/component", s(&fleet.role))])
}

pub(super) fn object_labels(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Doc {
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

/// The container image a deployment's pods run: the plan's, else the engine's official image.
pub fn serving_image(deployment: &Deployment) -> String {
    let neuron = sizing::is_neuron_engine(&deployment.engine);
    deployment.image.clone().unwrap_or_else(|| if neuron { NEURON_IMAGE } else { VLLM_IMAGE }.to_string())
}

pub const DEFAULT_MAX_NUM_SEQS: u32 = 256;
pub const DEFAULT_GPU_MEMORY_UTILIZATION: f64 = 0.9;

pub(super) fn format_fraction(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The vLLM server's command-line arguments for a fleet.
pub fn server_args(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Vec<String> {
    let neuron = sizing::is_neuron_engine(&deployment.engine);
    let weights = deployment.weights.clone().unwrap_or_default();
    // Weights read from S3 or a mounted file system: vLLM gets their location as the model, and
    // serves it under the plan's model name.
    let location = match weights.source {
        WeightsSource::Download => None,
        WeightsSource::S3Streamer => weights.uri.clone(),
        WeightsSource::SharedFileSystem => Some(SHARED_WEIGHTS_PATH.to_string()),
    };
    let mut args: Vec<String> = vec!["--model".into(), location.clone().unwrap_or_else(|| deployment.model.clone())];
    if location.is_some() {
        args.extend(["--served-model-name".into(), deployment.model.clone()]);
    }
    if weights.source == WeightsSource::S3Streamer {
        args.extend(["--load-format".into(), "runai_streamer".into()]);
    }
    args.extend([
        "--port".into(),
        PORT.to_string(),
        "--tensor-parallel-size".into(),
        fleet.tensor_parallel.to_string(),
        "--max-num-seqs".into(),
        deployment.max_num_seqs.unwrap_or(DEFAULT_MAX_NUM_SEQS).to_string(),
        "--max-model-len".into(),
        deployment.max_model_len.unwrap_or_else(|| default_max_model_len(plan, deployment)).to_string(),
    ]);
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
        // vLLM's names: gpt-oss's OCP MXFP4, and NVIDIA ModelOpt's NVFP4 checkpoints.
        "mxfp4" => args.extend(["--quantization".into(), "mxfp4".into()]),
        "nvfp4" => args.extend(["--quantization".into(), "modelopt_fp4".into()]),
        _ => {}
    }
    if deployment.mode == Mode::Disaggregated {
        args.extend(["--kv-transfer-config".into(), r#"{"kv_connector":"NixlConnector","kv_role":"kv_both"}"#.into()]);
    }
    args
}

pub(super) fn probe(period_seconds: u32, failure_threshold: u32) -> Doc {
    obj(vec![
        ("httpGet", obj(vec![("path", s("/health")), ("port", s("http"))])),
        ("periodSeconds", period_seconds.into()),
        ("failureThreshold", failure_threshold.into()),
    ])
}

/// The apps/v1 Deployment of a fleet: vLLM's OpenAI-compatible server (or its Neuron variant).
pub fn deployment(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Doc {
    let pod = PodRequests::for_fleet(deployment, fleet);
    let image = serving_image(deployment);
    let memory = format!("{}Gi", pod.memory_mib / 1024);
    let mut requests = Map::new();
    requests.insert("cpu".into(), format!("{}", pod.cpu_millis / 1000).into());
    requests.insert("memory".into(), s(&memory));
    requests.insert(pod.device_resource().into(), pod.devices.to_string().into());
    let mut limits = Map::new();
    limits.insert("memory".into(), memory.into());
    limits.insert(pod.device_resource().into(), pod.devices.to_string().into());
    let secret = obj(vec![("name", s("hf-token")), ("key", s("token")), ("optional", true.into())]);
    let mut env = vec![obj(vec![("name", s("HF_TOKEN")), ("valueFrom", obj(vec![("secretKeyRef", secret)]))])];
    let mut mounts = vec![
        obj(vec![("name", s("dshm")), ("mountPath", s("/dev/shm"))]),
        obj(vec![("name", s("model-cache")), ("mountPath", s("/root/.cache/huggingface"))]),
    ];
    let model_cache = if deployment.weights_node_cache() {
        obj(vec![
            ("name", s("model-cache")),
            ("hostPath", obj(vec![("path", s(NODE_CACHE_PATH)), ("type", s("DirectoryOrCreate"))])),
        ])
    } else {
        obj(vec![("name", s("model-cache")), ("emptyDir", Map::new().into())])
    };
    let mut volumes = vec![
        obj(vec![("name", s("dshm")), ("emptyDir", obj(vec![("medium", s("Memory")), ("sizeLimit", s("16Gi"))]))]),
        model_cache,
    ];
    if let Some(claim) = deployment.weights.as_ref().and_then(|w| w.volume_claim.as_ref()) {
        mounts.push(obj(vec![
            ("name", s("model-weights")),
            ("mountPath", s(SHARED_WEIGHTS_PATH)),
            ("readOnly", true.into()),
        ]));
        volumes.push(obj(vec![
            ("name", s("model-weights")),
            ("persistentVolumeClaim", obj(vec![("claimName", s(claim)), ("readOnly", true.into())])),
        ]));
    }
    if let Some(cache) = &deployment.compile_cache {
        let location = match (&cache.uri, &cache.volume_claim) {
            (Some(uri), _) => uri.clone(),
            (None, Some(claim)) => {
                mounts.push(obj(vec![("name", s("neuron-compile-cache")), ("mountPath", s(NEURON_CACHE_PATH))]));
                volumes.push(obj(vec![
                    ("name", s("neuron-compile-cache")),
                    ("persistentVolumeClaim", obj(vec![("claimName", s(claim))])),
                ]));
                NEURON_CACHE_PATH.to_string()
            }
            (None, None) => NEURON_CACHE_PATH.to_string(),
        };
        env.push(obj(vec![("name", s(NEURON_CACHE_ENV)), ("value", location.into())]));
    }
    let container = obj(vec![
        ("name", s("server")),
        ("image", image.into()),
        ("args", Doc::Array(server_args(plan, deployment, fleet).into_iter().map(Doc::String).collect())),
        ("env", Doc::Array(env)),
        (
            "ports",
            Doc::Array(vec![obj(vec![("name", s("http")), ("containerPort", PORT.into()), ("protocol", s("TCP"))])]),
        ),
        ("resources", obj(vec![("requests", requests.into()), ("limits", limits.into())])),
        ("startupProbe", probe(10, 90)),
        ("readinessProbe", probe(10, 3)),
        ("livenessProbe", probe(20, 3)),
        ("volumeMounts", Doc::Array(mounts)),
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
    pod_spec.insert("volumes".into(), Doc::Array(volumes));
    let annotations =
        obj(vec![(PRECISION_ANNOTATION, s(&deployment.precision)), (ENGINE_ANNOTATION, s(&deployment.engine))]);
    obj(vec![
        ("apiVersion", s("apps/v1")),
        ("kind", s("Deployment")),
        ("metadata", fleet_metadata_annotated(plan, deployment, fleet, annotations)),
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
pub(super) fn fleet_metadata(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Doc {
    obj(vec![("name", s(&fleet.name)), ("labels", object_labels(plan, deployment, fleet))])
}

/// [`fleet_metadata`] with annotations.
pub(super) fn fleet_metadata_annotated(plan: &Plan, deployment: &Deployment, fleet: &Fleet, annotations: Doc) -> Doc {
    obj(vec![
        ("name", s(&fleet.name)),
        ("labels", object_labels(plan, deployment, fleet)),
        ("annotations", annotations),
    ])
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
