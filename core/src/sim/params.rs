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
        if self.image_pull_mib_per_s <= 0.0 || self.model_load_mib_per_s <= 0.0 {
            return Err(SimError::invalid("timing", "image_pull_mib_per_s and model_load_mib_per_s must be positive"));
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
