//! Import of the workload layer: the workload ConfigMap, Deployments (vLLM, Neuron, disaggregated
//! stages), their HPAs or KEDA ScaledObjects, and the PodDisruptionBudgets that cover them.

use crate::finding::Severity;
use crate::manifest::render::{self, ENGINE_ANNOTATION, PRECISION_ANNOTATION};
use crate::place::{parse_quantity, sizing};
use crate::plan::tree::{self, Node, Value};
use crate::plan::*;

use super::{origin, Importer, SourceDocument};

impl<'a> Importer<'a> {
    pub(super) fn workload(&mut self, doc: &SourceDocument) {
        let text = doc
            .node
            .get("data")
            .and_then(|d| d.get(render::WORKLOAD_KEY))
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        // JSON is YAML's flow style: the same parser reads it, and the workload is read from the tree.
        let parsed = tree::parse_document(&text).ok().filter(|root| root.value != Value::Null);
        let Some(root) = parsed else {
            self.findings.push(doc.finding(
                "TF032",
                Severity::Warning,
                "data",
                "workload.json is not JSON; workload left at defaults".to_string(),
                "export the plan again to regenerate it",
            ));
            return;
        };
        self.seen_workload = true;
        if let Some(name) = root.get("plan").and_then(Node::as_str) {
            self.plan.metadata.name = name.to_string();
        }
        self.plan.metadata.description = root.get("description").and_then(Node::as_str).map(str::to_string);
        if let Some(region) = root.get("region").and_then(Node::as_str) {
            self.plan.spec.region = region.to_string();
        }
        // Read with the Plan's own reader (yaml::from_str), the one instantiation of the workload's
        // derived Deserialize the web app already carries.
        let workload = root.get("workload").map(Node::to_doc).unwrap_or(serde_json::Value::Null);
        match crate::yaml::from_str::<Workload>(&workload.to_string()) {
            Ok(w) => self.plan.spec.workload = w,
            Err(e) => self.findings.push(doc.finding(
                "TF032",
                Severity::Warning,
                "data",
                format!(
                    "workload.json: {}{}; workload left at defaults",
                    if e.path.is_empty() { String::new() } else { format!("workload.{}: ", e.path) },
                    e.message
                ),
                "export the plan again to regenerate it",
            )),
        }
    }

    pub(super) fn deployment(&mut self, doc: &'a SourceDocument) {
        let n = &doc.node;
        let containers = n.items_at("spec.template.spec.containers");
        let server = containers.iter().enumerate().find(|(_, c)| {
            let words = args_of(c);
            words.iter().any(|a| a == "--model" || a.starts_with("--model=") || a == "serve")
        });
        let Some((ci, container)) = server else {
            self.findings.push(doc.finding(
                "TF039",
                Severity::Info,
                "spec.template.spec.containers",
                format!("Deployment {} runs no vLLM server (no --model); ignored", doc.name()),
                "only model servers become plan deployments",
            ));
            return;
        };
        let words = args_of(container);
        let flag = |name: &str| -> Option<String> {
            let eq = format!("{name}=");
            words.iter().enumerate().find_map(|(i, w)| {
                if w == name {
                    words.get(i + 1).cloned()
                } else {
                    w.strip_prefix(&eq).map(str::to_string)
                }
            })
        };
        let model = flag("--model")
            .or_else(|| words.iter().position(|w| w == "serve").and_then(|i| words.get(i + 1).cloned()))
            .unwrap_or_default();
        let (weights, compile_cache) = levers(n, container, &flag);
        // Weights read from S3 or a mounted file system: the model is the name vLLM serves it under.
        let model = match &weights {
            Some(w) if w.source != WeightsSource::Download => flag("--served-model-name").unwrap_or(model),
            _ => model,
        };
        let annotations = n.string_map("metadata.annotations");
        let neuron_requested =
            container.at("resources.requests").and_then(|r| r.get("aws.amazon.com/neuron")).is_some()
                || container.at("resources.limits").and_then(|r| r.get("aws.amazon.com/neuron")).is_some();
        let engine = annotations
            .get(ENGINE_ANNOTATION)
            .cloned()
            .unwrap_or_else(|| if neuron_requested { "neuron" } else { "vllm" }.to_string());
        let precision = annotations.get(PRECISION_ANNOTATION).cloned().unwrap_or_else(|| {
            match (flag("--quantization").as_deref(), flag("--dtype").as_deref()) {
                (Some("fp8"), _) => "fp8",
                (Some("awq") | Some("awq_marlin"), _) => "awq",
                (Some("gptq") | Some("gptq_marlin"), _) => "gptq",
                (Some("bitsandbytes"), _) => "int8",
                (Some("mxfp4"), _) => "mxfp4",
                (Some("modelopt_fp4"), _) => "nvfp4",
                (_, Some("float16") | Some("half")) => "fp16",
                _ => "bf16",
            }
            .to_string()
        });
        let tp: u32 = flag("--tensor-parallel-size").and_then(|s| s.parse().ok()).unwrap_or(1);
        // A pod on a MIG slice requests `nvidia.com/mig-<profile>` (exported from `migProfile`).
        let mig_profile = ["resources.requests", "resources.limits"]
            .iter()
            .filter_map(|at| container.at(at))
            .flat_map(|r| r.entries())
            .find_map(|(key, _)| key.strip_prefix("nvidia.com/mig-").map(str::to_string));
        let image = container.str_at("image");
        let default_image = if sizing::is_neuron_engine(&engine) { render::NEURON_IMAGE } else { render::VLLM_IMAGE };
        let replicas = n.at("spec.replicas").and_then(Node::as_i64).unwrap_or(1).clamp(0, u32::MAX as i64) as u32;
        let mut node_selector = n.string_map("spec.template.spec.nodeSelector");
        let mut tolerations = Vec::new();
        for (i, t) in n.items_at("spec.template.spec.tolerations").iter().enumerate() {
            if t.get("tolerationSeconds").is_some() {
                self.findings.push(doc.finding(
                    "TF037",
                    Severity::Info,
                    &format!("spec.template.spec.tolerations[{i}].tolerationSeconds"),
                    "tolerationSeconds cannot be expressed in a plan".to_string(),
                    "keep it in a patch",
                ));
            }
            tolerations.push(Toleration {
                key: t.str_at("key").unwrap_or_default(),
                operator: t.str_at("operator"),
                value: t.str_at("value"),
                effect: t.str_at("effect"),
            });
        }
        let app = n.string_map("metadata.labels").get("app.kubernetes.io/name").cloned().unwrap_or_else(|| doc.name());
        let role = n.string_map("metadata.labels").get("app.kubernetes.io/component").cloned().unwrap_or_default();
        if containers.len() > 1 {
            self.findings.push(doc.finding(
                "TF037",
                Severity::Info,
                "spec.template.spec.containers",
                "only the model server container is imported; sidecars are not exported again".to_string(),
                "keep sidecars in a patch",
            ));
        }
        let _ = ci;
        if role == "prefill" || role == "decode" {
            let pinned = node_selector.remove("karpenter.sh/nodepool");
            let stage = Stage {
                warm_capacity: None,
                tensor_parallel: Some(tp),
                replicas: ReplicaBounds { min: replicas, max: replicas.max(1) },
                node_pool: pinned,
            };
            let index = match self.fleets.get(&app) {
                Some(i) => *i,
                None => {
                    let index = self.plan.spec.deployments.len();
                    self.fleets.insert(app.clone(), index);
                    self.origins.push(origin(doc, format!("spec.deployments[{index}]")));
                    self.plan.spec.deployments.push(Deployment {
                        mig_profile: None,
                        warm_capacity: None,
                        name: app.clone(),
                        model: model.clone(),
                        precision: precision.clone(),
                        engine: engine.clone(),
                        tensor_parallel: tp,
                        replicas: stage.replicas,
                        mode: Mode::Disaggregated,
                        prefill: None,
                        decode: None,
                        max_num_seqs: flag("--max-num-seqs").and_then(|s| s.parse().ok()),
                        max_model_len: flag("--max-model-len").and_then(|s| s.parse().ok()),
                        gpu_memory_utilization: flag("--gpu-memory-utilization").and_then(|s| s.parse().ok()),
                        image: image.filter(|i| i != default_image),
                        tolerations,
                        node_selector,
                        autoscaler: None,
                        weights: weights.clone(),
                        compile_cache: compile_cache.clone(),
                    });
                    index
                }
            };
            let d = &mut self.plan.spec.deployments[index];
            if role == "prefill" {
                d.prefill = Some(stage);
            } else {
                d.tensor_parallel = tp;
                d.replicas = stage.replicas;
                d.decode = Some(stage);
            }
            self.deployment_docs.push((doc, index));
            return;
        }
        let index = self.plan.spec.deployments.len();
        self.origins.push(origin(doc, format!("spec.deployments[{index}]")));
        self.deployment_docs.push((doc, index));
        self.plan.spec.deployments.push(Deployment {
            mig_profile,
            warm_capacity: None,
            name: doc.name(),
            model,
            precision,
            engine,
            tensor_parallel: tp,
            replicas: ReplicaBounds { min: replicas, max: replicas.max(1) },
            mode: Mode::Monolithic,
            prefill: None,
            decode: None,
            max_num_seqs: flag("--max-num-seqs").and_then(|s| s.parse().ok()),
            max_model_len: flag("--max-model-len").and_then(|s| s.parse().ok()),
            gpu_memory_utilization: flag("--gpu-memory-utilization").and_then(|s| s.parse().ok()),
            image: image.filter(|i| i != default_image),
            tolerations,
            node_selector,
            autoscaler: None,
            weights,
            compile_cache,
        });
    }

    /// The plan deployment (and stage) a scale target names.
    pub(super) fn target(&self, name: &str) -> Option<(usize, Option<&'static str>)> {
        for (i, d) in self.plan.spec.deployments.iter().enumerate() {
            if d.mode == Mode::Monolithic && d.name == name {
                return Some((i, None));
            }
            if d.mode == Mode::Disaggregated {
                if format!("{}-prefill", d.name) == name {
                    return Some((i, Some("prefill")));
                }
                if format!("{}-decode", d.name) == name {
                    return Some((i, Some("decode")));
                }
            }
        }
        None
    }

    pub(super) fn autoscaler(&mut self, doc: &SourceDocument) {
        let n = &doc.node;
        let keda = doc.kind() == "ScaledObject";
        let target_name = n.str_at("spec.scaleTargetRef.name").unwrap_or_default();
        let Some((index, stage)) = self.target(&target_name) else {
            self.findings.push(doc.finding(
                "TF039",
                Severity::Info,
                "spec.scaleTargetRef.name",
                format!("{} scales {target_name:?}, which is not an imported model server; ignored", doc.kind()),
                "import the Deployment it scales too",
            ));
            return;
        };
        let (min_field, max_field) = if keda {
            ("spec.minReplicaCount", "spec.maxReplicaCount")
        } else {
            ("spec.minReplicas", "spec.maxReplicas")
        };
        let max = n.at(max_field).and_then(Node::as_i64).unwrap_or(100).clamp(0, u32::MAX as i64) as u32;
        let min =
            n.at(min_field).and_then(Node::as_i64).unwrap_or(if keda { 0 } else { 1 }).clamp(0, u32::MAX as i64) as u32;
        let mut metrics = Vec::new();
        if keda {
            for (i, t) in n.items_at("spec.triggers").iter().enumerate() {
                let kind = t.str_at("type").unwrap_or_default();
                let metric = if kind == "cpu" {
                    t.str_at("metadata.value")
                        .and_then(|v| v.parse().ok())
                        .map(|v| ScalingMetric { metric: MetricKind::CpuUtilization, target: v })
                } else if kind == "prometheus" {
                    let query = t.str_at("metadata.query").unwrap_or_default();
                    let threshold = t.str_at("metadata.threshold").and_then(|v| v.parse::<f64>().ok());
                    metric_from_name(&query).zip(threshold).map(|(metric, threshold)| ScalingMetric {
                        metric,
                        target: if metric == MetricKind::Ttft {
                            (threshold * 1000.0 * 1e6).round() / 1e6
                        } else {
                            threshold
                        },
                    })
                } else {
                    None
                };
                match metric {
                    Some(m) => metrics.push(m),
                    None => self.findings.push(doc.finding(
                        "TF037",
                        Severity::Info,
                        &format!("spec.triggers[{i}]"),
                        format!("trigger {kind:?} is not a metric a plan knows; not exported again"),
                        "use queue depth, running requests, KV-cache usage, TTFT or utilisation",
                    )),
                }
            }
        } else {
            for (i, m) in n.items_at("spec.metrics").iter().enumerate() {
                let ty = m.str_at("type").unwrap_or_default();
                let metric = match ty.as_str() {
                    "Resource" if m.str_at("resource.name").as_deref() == Some("cpu") => m
                        .at("resource.target.averageUtilization")
                        .and_then(Node::as_f64)
                        .map(|v| ScalingMetric { metric: MetricKind::CpuUtilization, target: v }),
                    "Pods" => {
                        let name = m.str_at("pods.metric.name").unwrap_or_default();
                        let value = m.str_at("pods.target.averageValue").and_then(|v| parse_quantity(&v));
                        metric_from_name(&name).zip(value).map(|(metric, value)| ScalingMetric {
                            metric,
                            target: if metric == MetricKind::Ttft {
                                (value * 1000.0 * 1e6).round() / 1e6
                            } else {
                                value
                            },
                        })
                    }
                    _ => None,
                };
                match metric {
                    Some(metric) => metrics.push(metric),
                    None => self.findings.push(doc.finding(
                        "TF037",
                        Severity::Info,
                        &format!("spec.metrics[{i}]"),
                        format!("{ty} metric is not one a plan knows; not exported again"),
                        "use queue depth, running requests, KV-cache usage, TTFT or utilisation",
                    )),
                }
            }
        }
        let behavior_path = if keda { "spec.advanced.horizontalPodAutoscalerConfig.behavior" } else { "spec.behavior" };
        let behavior = n.at(behavior_path).map(|b| ScalingBehavior {
            scale_up_stabilization_seconds: b
                .at("scaleUp.stabilizationWindowSeconds")
                .and_then(Node::as_i64)
                .map(|v| v.clamp(0, u32::MAX as i64) as u32),
            scale_down_stabilization_seconds: b
                .at("scaleDown.stabilizationWindowSeconds")
                .and_then(Node::as_i64)
                .map(|v| v.clamp(0, u32::MAX as i64) as u32),
            scale_up_pods_per_period: b
                .items_at("scaleUp.policies")
                .iter()
                .find(|p| p.str_at("type").as_deref() == Some("Pods"))
                .and_then(|p| p.at("value").and_then(Node::as_i64))
                .map(|v| v.clamp(0, u32::MAX as i64) as u32),
        });
        let address = n
            .items_at("spec.triggers")
            .iter()
            .find_map(|t| t.str_at("metadata.serverAddress"))
            .filter(|a| a != render::DEFAULT_PROMETHEUS);
        let polling = if keda {
            n.at("spec.pollingInterval")
                .and_then(Node::as_i64)
                .filter(|p| *p != 30)
                .map(|p| p.clamp(0, u32::MAX as i64) as u32)
        } else {
            None
        };
        let cooldown = if keda {
            n.at("spec.cooldownPeriod").and_then(Node::as_i64).map(|p| p.clamp(0, u32::MAX as i64) as u32)
        } else {
            None
        };
        let autoscaler = Autoscaler {
            kind: if keda { AutoscalerKind::Keda } else { AutoscalerKind::Hpa },
            metrics,
            behavior,
            polling_interval_seconds: polling,
            cooldown_period_seconds: cooldown,
            prometheus_address: address,
        };
        let d = &mut self.plan.spec.deployments[index];
        let bounds = match stage {
            None => &mut d.replicas,
            Some("prefill") => match d.prefill.as_mut() {
                Some(s) => &mut s.replicas,
                None => return,
            },
            Some(_) => match d.decode.as_mut() {
                Some(s) => &mut s.replicas,
                None => return,
            },
        };
        // The Deployment's replicas are the plan's minimum (HPA needs at least 1; KEDA allows 0).
        if keda || bounds.min > min {
            bounds.min = min;
        }
        bounds.max = max.max(bounds.min);
        if stage == Some("decode") {
            d.replicas = d.decode.as_ref().map(|s| s.replicas).unwrap_or(d.replicas);
        }
        d.autoscaler = Some(autoscaler);
        self.origins.push(origin(doc, format!("spec.deployments[{index}].autoscaler")));
    }

    pub(super) fn check_pdbs(&mut self) {
        let docs = std::mem::take(&mut self.deployment_docs);
        for (doc, _) in &docs {
            let labels = doc.node.string_map("spec.template.metadata.labels");
            let covered = self
                .pdb_targets
                .iter()
                .any(|selector| !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v)));
            if !covered {
                self.findings.push(doc.finding(
                    "TF007",
                    Severity::Warning,
                    "metadata.name",
                    format!(
                        "Deployment {} has no PodDisruptionBudget: consolidation may evict every replica at once",
                        doc.name()
                    ),
                    "add a PodDisruptionBudget with maxUnavailable: 1 (tokenfleet export writes one)",
                ));
            }
        }
        self.deployment_docs = docs;
    }
}

/// The container's command and arguments as words (`vllm serve MODEL` and `--flag value` forms).
pub(super) fn args_of(container: &Node) -> Vec<String> {
    let mut words = Vec::new();
    for field in ["command", "args"] {
        for item in container.items_at(field) {
            if let Some(text) = item.scalar_text() {
                // A shell line (`sh -c "vllm serve …"`) is split on whitespace.
                if text.contains(' ') && text.contains("--") {
                    words.extend(text.split_whitespace().map(str::to_string));
                } else {
                    words.push(text);
                }
            }
        }
    }
    words
}

pub(super) fn metric_from_name(name: &str) -> Option<MetricKind> {
    let name = name.replace(':', "_");
    if name.contains("time_to_first_token") {
        Some(MetricKind::Ttft)
    } else if name.contains("num_requests_waiting") {
        Some(MetricKind::QueueDepth)
    } else if name.contains("num_requests_running") {
        Some(MetricKind::RunningRequests)
    } else if name.contains("kv_cache_usage") || name.contains("gpu_cache_usage") {
        Some(MetricKind::KvCacheUsage)
    } else if name.contains("DCGM_FI_DEV_GPU_UTIL") || name.contains("gpu_util") {
        Some(MetricKind::GpuUtilization)
    } else {
        None
    }
}

/// The start-up levers a Deployment's pod template carries: where the weights come from (the Run:ai
/// streamer's `--load-format`, a claim mounted as `model-weights`, a hostPath `model-cache`), and the
/// Neuron compile cache (`NEURON_COMPILE_CACHE_URL`, with its claim when it is a directory).
fn levers(
    n: &Node,
    container: &Node,
    flag: &dyn Fn(&str) -> Option<String>,
) -> (Option<Weights>, Option<CompileCache>) {
    let volumes = n.items_at("spec.template.spec.volumes");
    let volume = |name: &str| volumes.iter().find(|v| v.str_at("name").as_deref() == Some(name));
    let claim = |name: &str| volume(name).and_then(|v| v.str_at("persistentVolumeClaim.claimName"));
    let mut weights = Weights::default();
    // The streamer from S3; from a local or Hub model it is only a loader, which a plan does not hold.
    let s3_model = flag("--model").filter(|m| m.starts_with("s3://"));
    if flag("--load-format").as_deref() == Some("runai_streamer") && s3_model.is_some() {
        weights.source = WeightsSource::S3Streamer;
        weights.uri = s3_model;
    } else if let Some(claim) = claim("model-weights") {
        weights.source = WeightsSource::SharedFileSystem;
        weights.volume_claim = Some(claim);
    } else {
        weights.node_cache = volume("model-cache").is_some_and(|v| v.get("hostPath").is_some());
    }
    let weights = (weights != Weights::default()).then_some(weights);
    let cache_env = container
        .items_at("env")
        .iter()
        .find(|e| e.str_at("name").as_deref() == Some(render::NEURON_CACHE_ENV))
        .and_then(|e| e.str_at("value"));
    let compile_cache = cache_env.map(|location| {
        if location.starts_with("s3://") {
            CompileCache { uri: Some(location), volume_claim: None }
        } else {
            CompileCache { uri: None, volume_claim: claim("neuron-compile-cache") }
        }
    });
    (weights, compile_cache)
}
