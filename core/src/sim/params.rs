//! Every delay and rate of the node layer, each with its default and where the default comes from.
//! The defaults are shown to the user (`Timing::documented`) and written up in docs/sim.md.

use serde::{Deserialize, Serialize};

use super::error::SimError;

/// The node image family of an EC2NodeClass (`amiSelectorTerms` alias).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeOs {
    Bottlerocket,
    Al2023,
}

impl NodeOs {
    pub fn parse(text: &str) -> Option<NodeOs> {
        match text.trim().to_ascii_lowercase().as_str() {
            "bottlerocket" => Some(NodeOs::Bottlerocket),
            "al2023" | "al2" => Some(NodeOs::Al2023),
            _ => None,
        }
    }
}

/// Timing and rate parameters. Every field has a sourced default (see [`Timing::documented`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Timing {
    /// HPA controller sync period.
    pub hpa_sync_period_s: f64,
    /// HPA tolerance around a ratio of 1.0.
    pub hpa_tolerance: f64,
    /// Karpenter closes a batch of pending pods after this long without a new one.
    pub batch_idle_s: f64,
    /// …or after this long in any case.
    pub batch_max_s: f64,
    /// Karpenter retries pods it could not place after this long.
    pub provisioning_retry_s: f64,
    /// CreateFleet to a running instance.
    pub instance_launch_s: f64,
    /// OS boot to kubelet registered and node Ready, Bottlerocket.
    pub boot_bottlerocket_s: f64,
    /// OS boot to kubelet registered and node Ready, AL2023.
    pub boot_al2023_s: f64,
    /// Accelerator device plugin advertising devices, Bottlerocket (built into the NVIDIA variants).
    pub device_plugin_bottlerocket_s: f64,
    /// Accelerator device plugin advertising devices, AL2023 (a DaemonSet that starts after Ready).
    pub device_plugin_al2023_s: f64,
    /// Image pull throughput (registry to containerd, including unpacking), MiB/s.
    pub image_pull_mib_per_s: f64,
    /// Fixed per-pull overhead (manifest, layers' setup), seconds.
    pub image_pull_overhead_s: f64,
    /// Model weights load throughput from storage into device memory, MiB/s.
    pub model_load_mib_per_s: f64,
    /// Engine start-up after the weights are loaded (CUDA graph capture, warm-up), seconds.
    pub engine_warmup_s: f64,
    /// Karpenter's disruption controller evaluates consolidation this often.
    pub consolidation_interval_s: f64,
    /// Drain and terminate of a disrupted node (billing continues until it ends).
    pub node_termination_s: f64,
    /// Spot interruption notice before EC2 reclaims the instance.
    pub spot_notice_s: f64,
    /// Spot interruptions per node-hour, default for every family.
    pub spot_interruptions_per_node_hour: f64,
    /// Spot interruptions per node-hour for specific instance families.
    pub spot_interruptions_per_node_hour_by_family: Vec<(String, f64)>,
    /// Requests queued longer than this are dropped (gateway or load balancer timeout).
    pub request_timeout_s: f64,
    /// Prometheus scrapes the pods' metrics this often; the autoscalers see the last scrape.
    pub metrics_scrape_interval_s: f64,
    /// Probability that a spot launch finds no capacity (InsufficientInstanceCapacity).
    pub spot_launch_failure_probability: f64,
    /// How long Karpenter keeps an offering that had no capacity out of its choices.
    pub unavailable_offering_ttl_s: f64,
    /// An image pre-pulled on the node's data volume (an EBS snapshot) is usable this long after the
    /// node is ready.
    pub image_cache_s: f64,
    /// SOCI parallel pull and unpack: image pull throughput times this, AL2023.
    pub soci_pull_speedup_al2023: f64,
    /// SOCI parallel pull and unpack: image pull throughput times this, Bottlerocket.
    pub soci_pull_speedup_bottlerocket: f64,
    /// The Run:ai Model Streamer reading weights from S3 (`--load-format runai_streamer`), MiB/s.
    pub s3_streamer_mib_per_s: f64,
    /// vLLM's default loader reading weights already on a file system (the node's cache, or a shared
    /// file system), MiB/s.
    pub local_weights_mib_per_s: f64,
    /// Neuron: compiling the model on a pod's first start when no compiled artifacts are cached.
    pub neuron_compile_s: f64,
}

/// How a pod's weights reach the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightsLoad {
    /// Downloaded and loaded by vLLM's default loader (`model_load_mib_per_s`).
    #[default]
    Download,
    /// Streamed from S3 (`s3_streamer_mib_per_s`).
    S3Streamer,
    /// Read from a shared file system (`local_weights_mib_per_s`).
    SharedFileSystem,
}

/// What shapes one pod's start on a new node: the node's OS and the levers in use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodStart {
    pub os: NodeOs,
    pub image_gib: f64,
    pub weights_gib: f64,
    /// The image is on the node class's data-volume snapshot.
    pub image_cached: bool,
    /// The node class pulls with SOCI parallel pull and unpack.
    pub parallel_pull: bool,
    pub weights: WeightsLoad,
    /// A Neuron pod without cached compiled artifacts compiles on its first start.
    pub neuron_compile: bool,
}

impl PodStart {
    /// A pod with no lever: the default pull, the default loader, nothing compiled.
    pub fn plain(os: NodeOs, image_gib: f64, weights_gib: f64) -> PodStart {
        PodStart {
            os,
            image_gib,
            weights_gib,
            image_cached: false,
            parallel_pull: false,
            weights: WeightsLoad::Download,
            neuron_compile: false,
        }
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            hpa_sync_period_s: super::hpa::HPA_SYNC_PERIOD_S,
            hpa_tolerance: super::hpa::HPA_TOLERANCE,
            batch_idle_s: 1.0,
            batch_max_s: 10.0,
            provisioning_retry_s: 10.0,
            instance_launch_s: 40.0,
            boot_bottlerocket_s: 20.0,
            boot_al2023_s: 45.0,
            device_plugin_bottlerocket_s: 5.0,
            device_plugin_al2023_s: 20.0,
            image_pull_mib_per_s: 80.0,
            image_pull_overhead_s: 5.0,
            model_load_mib_per_s: 250.0,
            engine_warmup_s: 35.0,
            consolidation_interval_s: 10.0,
            node_termination_s: 30.0,
            spot_notice_s: 120.0,
            spot_interruptions_per_node_hour: 0.10 / 730.0,
            spot_interruptions_per_node_hour_by_family: vec![],
            request_timeout_s: crate::plan::DEFAULT_REQUEST_TIMEOUT_S,
            metrics_scrape_interval_s: 15.0,
            spot_launch_failure_probability: 0.0,
            unavailable_offering_ttl_s: 180.0,
            image_cache_s: 5.0,
            soci_pull_speedup_al2023: 1.88,
            soci_pull_speedup_bottlerocket: 2.5,
            s3_streamer_mib_per_s: 750.0,
            local_weights_mib_per_s: 300.0,
            neuron_compile_s: 600.0,
        }
    }
}

/// One parameter as shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentedParameter {
    pub name: &'static str,
    pub value: f64,
    pub default: f64,
    pub source: &'static str,
}

impl Timing {
    /// The OS boot time of a node class.
    pub fn boot_s(&self, os: NodeOs) -> f64 {
        match os {
            NodeOs::Bottlerocket => self.boot_bottlerocket_s,
            NodeOs::Al2023 => self.boot_al2023_s,
        }
    }

    pub fn device_plugin_s(&self, os: NodeOs) -> f64 {
        match os {
            NodeOs::Bottlerocket => self.device_plugin_bottlerocket_s,
            NodeOs::Al2023 => self.device_plugin_al2023_s,
        }
    }

    /// The image's pull on a new node (from the registry, or from the data volume's snapshot).
    pub fn image_pull_s(&self, start: &PodStart) -> f64 {
        if start.image_cached {
            return self.image_cache_s;
        }
        let speedup = match (start.parallel_pull, start.os) {
            (false, _) => 1.0,
            (true, NodeOs::Al2023) => self.soci_pull_speedup_al2023,
            (true, NodeOs::Bottlerocket) => self.soci_pull_speedup_bottlerocket,
        };
        self.image_pull_overhead_s + start.image_gib * 1024.0 / (self.image_pull_mib_per_s * speedup.max(1e-9))
    }

    /// Loading the weights into device memory; `on_node`: the node's own cache already holds them.
    pub fn weights_load_s(&self, start: &PodStart, on_node: bool) -> f64 {
        let rate = match start.weights {
            WeightsLoad::Download if on_node => self.local_weights_mib_per_s,
            WeightsLoad::Download => self.model_load_mib_per_s,
            WeightsLoad::S3Streamer => self.s3_streamer_mib_per_s,
            WeightsLoad::SharedFileSystem => self.local_weights_mib_per_s,
        };
        start.weights_gib * 1024.0 / rate.max(1e-9)
    }

    /// The engine's start after the weights are in: warm-up, and Neuron's compilation when due.
    pub fn warmup_s(&self, start: &PodStart) -> f64 {
        self.engine_warmup_s + if start.neuron_compile { self.neuron_compile_s } else { 0.0 }
    }

    /// Launch to a node that advertises its devices.
    pub fn node_ready_after_s(&self, os: NodeOs) -> f64 {
        self.instance_launch_s + self.boot_s(os) + self.device_plugin_s(os)
    }

    pub fn spot_rate_per_node_hour(&self, family: &str) -> f64 {
        self.spot_interruptions_per_node_hour_by_family
            .iter()
            .find(|(f, _)| f == family)
            .map_or(self.spot_interruptions_per_node_hour, |(_, r)| *r)
    }

    /// Sets one parameter by its name in [`Timing::documented`] (`boot_al2023_s`, `spot_notice_s`, …).
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), SimError> {
        if !(value.is_finite() && value >= 0.0) {
            return Err(SimError::invalid(name, format!("{value} must be a finite, non-negative number")));
        }
        let field = match name {
            "hpa_sync_period_s" => &mut self.hpa_sync_period_s,
            "hpa_tolerance" => &mut self.hpa_tolerance,
            "batch_idle_s" => &mut self.batch_idle_s,
            "batch_max_s" => &mut self.batch_max_s,
            "provisioning_retry_s" => &mut self.provisioning_retry_s,
            "instance_launch_s" => &mut self.instance_launch_s,
            "boot_bottlerocket_s" => &mut self.boot_bottlerocket_s,
            "boot_al2023_s" => &mut self.boot_al2023_s,
            "device_plugin_bottlerocket_s" => &mut self.device_plugin_bottlerocket_s,
            "device_plugin_al2023_s" => &mut self.device_plugin_al2023_s,
            "image_pull_mib_per_s" => &mut self.image_pull_mib_per_s,
            "image_pull_overhead_s" => &mut self.image_pull_overhead_s,
            "model_load_mib_per_s" => &mut self.model_load_mib_per_s,
            "engine_warmup_s" => &mut self.engine_warmup_s,
            "consolidation_interval_s" => &mut self.consolidation_interval_s,
            "node_termination_s" => &mut self.node_termination_s,
            "spot_notice_s" => &mut self.spot_notice_s,
            "spot_interruptions_per_node_hour" => &mut self.spot_interruptions_per_node_hour,
            "request_timeout_s" => &mut self.request_timeout_s,
            "metrics_scrape_interval_s" => &mut self.metrics_scrape_interval_s,
            "spot_launch_failure_probability" => &mut self.spot_launch_failure_probability,
            "unavailable_offering_ttl_s" => &mut self.unavailable_offering_ttl_s,
            "image_cache_s" => &mut self.image_cache_s,
            "soci_pull_speedup_al2023" => &mut self.soci_pull_speedup_al2023,
            "soci_pull_speedup_bottlerocket" => &mut self.soci_pull_speedup_bottlerocket,
            "s3_streamer_mib_per_s" => &mut self.s3_streamer_mib_per_s,
            "local_weights_mib_per_s" => &mut self.local_weights_mib_per_s,
            "neuron_compile_s" => &mut self.neuron_compile_s,
            _ => {
                if let Some(family) = name.strip_prefix("spot_interruptions_per_node_hour.") {
                    if !crate::catalog::instance_types().iter().any(|t| t.family == family) {
                        return Err(SimError::invalid(
                            name,
                            format!(
                                "{family:?} is not an instance family of the catalog (g4dn, g5, g6, g6e, p4d, p5, \
                                 inf2, trn1, …)"
                            ),
                        ));
                    }
                    self.spot_interruptions_per_node_hour_by_family.retain(|(f, _)| f != family);
                    self.spot_interruptions_per_node_hour_by_family.push((family.to_string(), value));
                    return Ok(());
                }
                let known = self.documented().iter().map(|p| p.name).collect();
                return Err(SimError::UnknownParameter { name: name.to_string(), known });
            }
        };
        *field = value;
        Ok(())
    }

    /// Checks every field; errors name it.
    pub fn validate(&self) -> Result<(), SimError> {
        for p in self.documented() {
            if !p.value.is_finite() || p.value < 0.0 {
                return Err(SimError::invalid(
                    format!("timing.{}", p.name),
                    format!("{} must be a finite, non-negative number", p.value),
                ));
            }
        }
        for (family, rate) in &self.spot_interruptions_per_node_hour_by_family {
            if !rate.is_finite() || *rate < 0.0 {
                return Err(SimError::invalid(
                    format!("timing.spot_interruptions_per_node_hour_by_family.{family}"),
                    format!("{rate} is invalid"),
                ));
            }
        }
        if self.spot_launch_failure_probability > 1.0 {
            return Err(SimError::invalid("timing.spot_launch_failure_probability", "must be between 0 and 1"));
        }
        if self.image_pull_mib_per_s <= 0.0
            || self.model_load_mib_per_s <= 0.0
            || self.s3_streamer_mib_per_s <= 0.0
            || self.local_weights_mib_per_s <= 0.0
            || self.soci_pull_speedup_al2023 <= 0.0
            || self.soci_pull_speedup_bottlerocket <= 0.0
        {
            return Err(SimError::invalid(
                "timing",
                "image_pull_mib_per_s, model_load_mib_per_s, s3_streamer_mib_per_s, local_weights_mib_per_s and the \
                 soci_pull_speedup factors must be positive",
            ));
        }
        Ok(())
    }

    /// Every parameter with its value, default and source.
    pub fn documented(&self) -> Vec<DocumentedParameter> {
        let d = Timing::default();
        let p = |name, value, default, source| DocumentedParameter { name, value, default, source };
        vec![
            p("hpa_sync_period_s", self.hpa_sync_period_s, d.hpa_sync_period_s,
              "kube-controller-manager --horizontal-pod-autoscaler-sync-period default (Kubernetes docs, Horizontal Pod Autoscaling)"),
            p("hpa_tolerance", self.hpa_tolerance, d.hpa_tolerance,
              "--horizontal-pod-autoscaler-tolerance default 0.1 (Kubernetes docs, Algorithm details)"),
            p("batch_idle_s", self.batch_idle_s, d.batch_idle_s, "Karpenter setting BATCH_IDLE_DURATION default 1s (Karpenter docs, Settings)"),
            p("batch_max_s", self.batch_max_s, d.batch_max_s, "Karpenter setting BATCH_MAX_DURATION default 10s (Karpenter docs, Settings)"),
            p("provisioning_retry_s", self.provisioning_retry_s, d.provisioning_retry_s,
              "estimate: Karpenter re-queues unschedulable pods within seconds; one batch_max"),
            p("instance_launch_s", self.instance_launch_s, d.instance_launch_s,
              "estimate: 11–16 s measured request to VM on c5/c6a (node-latency-for-k8s, 2022), GPU instances slower, no published GPU figure (docs/cold-starts.md)"),
            p("boot_bottlerocket_s", self.boot_bottlerocket_s, d.boot_bottlerocket_s,
              "estimate: launch to Ready 30-40 s typically (Karpenter maintainer, karpenter#6165, 2024), nothing GPU-specific published (docs/cold-starts.md)"),
            p("boot_al2023_s", self.boot_al2023_s, d.boot_al2023_s,
              "estimate: AL2023 OS start-up 40-70 s by systemd-analyze (amazon-eks-ami#1751, 2024; docs/cold-starts.md)"),
            p("device_plugin_bottlerocket_s", self.device_plugin_bottlerocket_s, d.device_plugin_bottlerocket_s,
              "estimate: Bottlerocket NVIDIA variants ship the device plugin in the host"),
            p("device_plugin_al2023_s", self.device_plugin_al2023_s, d.device_plugin_al2023_s,
              "estimate: NVIDIA device plugin DaemonSet pull and start after node Ready"),
            p("image_pull_mib_per_s", self.image_pull_mib_per_s, d.image_pull_mib_per_s,
              "a 10 GiB vLLM image from ECR pulled in 112 s with default containerd, about 92 MiB/s (aws-samples/karpenter-blueprints, soci-snapshotter, 2025); other registries 27-33 MiB/s (docs/cold-starts.md)"),
            p("image_pull_overhead_s", self.image_pull_overhead_s, d.image_pull_overhead_s, "estimate"),
            p("model_load_mib_per_s", self.model_load_mib_per_s, d.model_load_mib_per_s,
              "vLLM's default safetensors loader: Llama-3-8B, 15 GB in 48 s on gp3 at 1000 MiB/s, about 300 MiB/s (run-ai/runai-model-streamer benchmarks, 2025); streaming loaders 1-3 GiB/s (docs/cold-starts.md)"),
            p("engine_warmup_s", self.engine_warmup_s, d.engine_warmup_s,
              "vLLM V1 init engine (profile, KV cache, torch.compile, CUDA graphs) 34 s with the compile cache reused, 91 s cold (vllm#20264, runai-model-streamer#67, 2025; docs/cold-starts.md)"),
            p("consolidation_interval_s", self.consolidation_interval_s, d.consolidation_interval_s,
              "estimate: Karpenter's disruption controller polls every few seconds"),
            p("node_termination_s", self.node_termination_s, d.node_termination_s, "estimate: drain and EC2 terminate"),
            p("spot_notice_s", self.spot_notice_s, d.spot_notice_s, "EC2 Spot two-minute interruption notice (AWS EC2 docs)"),
            p("spot_interruptions_per_node_hour", self.spot_interruptions_per_node_hour, d.spot_interruptions_per_node_hour,
              "estimate: 10 % per month (730 h), the middle of the AWS Spot Instance Advisor's 5–15 % bands; GPU families often higher"),
            p("request_timeout_s", self.request_timeout_s, d.request_timeout_s, "ALB idle timeout default 60 s (AWS ELB docs)"),
            p("metrics_scrape_interval_s", self.metrics_scrape_interval_s, d.metrics_scrape_interval_s,
              "estimate: a common Prometheus scrape_interval (Prometheus' own default is 1 m); scrapes run half an interval out of phase with HPA syncs"),
            p("spot_launch_failure_probability", self.spot_launch_failure_probability, d.spot_launch_failure_probability,
              "off by default: no public figure; set it from your fleet's InsufficientInstanceCapacity history (GPU spot often runs short)"),
            p("unavailable_offering_ttl_s", self.unavailable_offering_ttl_s, d.unavailable_offering_ttl_s,
              "Karpenter's unavailable-offerings cache keeps an offering out for 3 minutes after an insufficient-capacity error"),
            p("image_cache_s", self.image_cache_s, d.image_cache_s,
              "a 9.5 GB image pre-pulled on the data volume's EBS snapshot (Fast Snapshot Restore on): the pod starts in \"less than 5 seconds\" against 334 s uncached (aws-ia/terraform-aws-eks-blueprints, ml-container-cache, 2024; docs/cold-starts.md)"),
            p("soci_pull_speedup_al2023", self.soci_pull_speedup_al2023, d.soci_pull_speedup_al2023,
              "SOCI parallel pull and unpack, AL2023 (FastImagePull): a 10 GiB vLLM image from ECR in 59.8 s against 112.3 s, 1.88x (aws-samples/karpenter-blueprints, soci-snapshotter, 2025)"),
            p("soci_pull_speedup_bottlerocket", self.soci_pull_speedup_bottlerocket, d.soci_pull_speedup_bottlerocket,
              "SOCI parallel pull and unpack, Bottlerocket: the same image in 45.0 s against 112.3 s, 2.5x (aws-samples/karpenter-blueprints, soci-snapshotter, 2025)"),
            p("s3_streamer_mib_per_s", self.s3_streamer_mib_per_s, d.s3_streamer_mib_per_s,
              "Run:ai Model Streamer from S3: ~750 MiB/s measured on g4dn (chrismld/ai-on-eks-demos), ~3 GiB/s at concurrency 32 on g5 (runai-model-streamer benchmarks, 2025); the conservative end (docs/cold-starts.md)"),
            p("local_weights_mib_per_s", self.local_weights_mib_per_s, d.local_weights_mib_per_s,
              "vLLM's default loader from a local file system is loader-bound: Llama-3-8B, 15 GB in 48 s on gp3 and 47 s on io2 at 4000 MiB/s, about 300 MiB/s (runai-model-streamer benchmarks, 2025); no instance-store or FSx measurement with this loader published (docs/cold-starts.md)"),
            p("neuron_compile_s", self.neuron_compile_s, d.neuron_compile_s,
              "estimate: Neuron compilation takes \"minutes\" for Llama-2-7B on inf2 (transformers-neuronx#48), ~20 min for OPT (aws-neuron-samples#8), over an hour for 70B models (aws-neuron-sdk#825); 10 min is a middle value (docs/cold-starts.md)"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::Timing;

    #[test]
    fn every_documented_parameter_can_be_set_by_name() {
        let mut t = Timing::default();
        for p in Timing::default().documented() {
            t.set(p.name, 7.0).unwrap();
        }
        assert!(t.documented().iter().all(|p| p.value == 7.0));
        t.set("spot_interruptions_per_node_hour.g5", 0.01).unwrap();
        assert_eq!(t.spot_rate_per_node_hour("g5"), 0.01);
        assert_eq!(t.spot_rate_per_node_hour("g6"), 7.0);
        assert!(t.set("boot_time", 1.0).unwrap_err().to_string().contains("boot_al2023_s"));
        assert!(t.set("boot_al2023_s", -1.0).is_err());
    }
}

/// Cluster Autoscaler's defaults, each with its source: the flags' defaults from its FAQ ("What are the
/// parameters to CA?", kubernetes/autoscaler cluster-autoscaler/FAQ.md) and its flag definitions, and
/// the Auto Scaling group's own delay, an estimate.
pub mod cluster_autoscaler {
    /// `--scan-interval`: the main loop runs this often (FAQ: "How often cluster is reevaluated for scale
    /// up or down", 10 seconds).
    pub const SCAN_INTERVAL_S: f64 = 10.0;
    /// `--scale-down-delay-after-add` (FAQ: 10 minutes).
    pub const SCALE_DOWN_DELAY_AFTER_ADD_S: f64 = 600.0;
    /// `--scale-down-unneeded-time` (FAQ: 10 minutes).
    pub const SCALE_DOWN_UNNEEDED_TIME_S: f64 = 600.0;
    /// `--scale-down-utilization-threshold` and `--scale-down-gpu-utilization-threshold` (FAQ: 0.5).
    pub const SCALE_DOWN_UTILIZATION_THRESHOLD: f64 = 0.5;
    /// `--max-node-provision-time` (FAQ: 15 minutes; "How does scale-up work?").
    pub const MAX_NODE_PROVISION_TIME_S: f64 = 900.0;
    /// `--max-empty-bulk-delete` (FAQ: 10).
    pub const MAX_EMPTY_BULK_DELETE: u32 = 10;
    /// `--initial-node-group-backoff-duration` (cluster-autoscaler/config flags: 5 minutes).
    pub const NODE_GROUP_BACKOFF_S: f64 = 300.0;
    /// From a new desired capacity to the Auto Scaling group's launch request: an estimate (AWS
    /// publishes no figure for the scaling activity's start; 10–60 s is the band we assume).
    pub const ASG_LAUNCH_S: f64 = 30.0;

    pub const SOURCE_SCAN_INTERVAL: &str =
        "Cluster Autoscaler --scan-interval default 10s (kubernetes/autoscaler FAQ, What are the parameters to CA?)";
    pub const SOURCE_DELAY_AFTER_ADD: &str =
        "Cluster Autoscaler --scale-down-delay-after-add default 10m (FAQ, What are the parameters to CA?)";
    pub const SOURCE_DELAY_AFTER_DELETE: &str = "Cluster Autoscaler --scale-down-delay-after-delete default: the scan interval (FAQ, What are the parameters to CA?)";
    pub const SOURCE_UNNEEDED_TIME: &str =
        "Cluster Autoscaler --scale-down-unneeded-time default 10m (FAQ, What are the parameters to CA?)";
    pub const SOURCE_UTILIZATION: &str = "Cluster Autoscaler --scale-down-utilization-threshold and --scale-down-gpu-utilization-threshold default 0.5 (FAQ; requested devices over allocatable on accelerator nodes)";
    pub const SOURCE_PROVISION_TIME: &str =
        "Cluster Autoscaler --max-node-provision-time default 15m (FAQ, How does scale-up work?)";
    pub const SOURCE_BULK_DELETE: &str =
        "Cluster Autoscaler --max-empty-bulk-delete default 10 (FAQ, What are the parameters to CA?)";
    pub const SOURCE_BACKOFF: &str =
        "Cluster Autoscaler --initial-node-group-backoff-duration default 5m (cluster-autoscaler/config flags)";
    pub const SOURCE_ASG_LAUNCH: &str = "estimate, band 10-60 s: the Auto Scaling group's scaling activity from a new desired capacity to EC2's launch; AWS publishes no figure";
    pub const SOURCE_MAX_NODES_TOTAL: &str =
        "Cluster Autoscaler --max-nodes-total default 0, no limit (FAQ, What are the parameters to CA?)";
    pub const SOURCE_SCALE_DOWN_ENABLED: &str =
        "Cluster Autoscaler --scale-down-enabled default true (FAQ, What are the parameters to CA?)";
}
