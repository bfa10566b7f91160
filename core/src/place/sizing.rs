//! The seam between placement and the performance model: how many replicas a fleet runs, what each
//! pod requests, and its latency bands against the plan's SLOs.
//!
//! FIXME: replicas and latency bands switch to `crate::perf` (memory fit, latency bands, replicas for a
//! rate) when that module lands; until then replicas are the plan's minimum and bands are unknown.

use serde::Serialize;

use crate::catalog::InstanceType;
use crate::plan::{Deployment, Fleet, Plan};

/// What one pod of a fleet asks the scheduler for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodRequests {
    /// Whole accelerator devices (GPUs, or Neuron devices).
    pub devices: u32,
    pub cpu_millis: u64,
    pub memory_mib: u64,
    pub neuron: bool,
}

/// NeuronCores per Inferentia2/Trainium device: tensor parallelism on Neuron counts cores.
pub const NEURON_CORES_PER_DEVICE: u32 = 2;
const CPU_MILLIS_PER_DEVICE: u64 = 3000;
const MEMORY_MIB_PER_DEVICE: u64 = 12 * 1024;

impl PodRequests {
    pub fn for_fleet(deployment: &Deployment, fleet: &Fleet) -> PodRequests {
        let neuron = is_neuron_engine(&deployment.engine);
        let tp = fleet.tensor_parallel.max(1);
        let devices = if neuron { tp.div_ceil(NEURON_CORES_PER_DEVICE) } else { tp };
        PodRequests {
            devices,
            cpu_millis: CPU_MILLIS_PER_DEVICE * devices as u64,
            memory_mib: MEMORY_MIB_PER_DEVICE * devices as u64,
            neuron,
        }
    }

    /// The extended resource name the pod requests.
    pub fn device_resource(&self) -> &'static str {
        if self.neuron {
            "aws.amazon.com/neuron"
        } else {
            "nvidia.com/gpu"
        }
    }

    /// How many such pods one node of an instance type holds (0 when none fits).
    pub fn pods_per_node(&self, t: &InstanceType) -> u32 {
        let kind_matches = if self.neuron { t.is_neuron() } else { t.is_nvidia() };
        if !kind_matches || t.accelerator_count == 0 || self.devices == 0 {
            return 0;
        }
        let (cpu, memory) = allocatable(t);
        let by_devices = t.accelerator_count / self.devices;
        let by_cpu = (cpu / self.cpu_millis.max(1)) as u32;
        let by_memory = (memory / self.memory_mib.max(1)) as u32;
        let by_pods = t.max_pods.saturating_sub(DAEMONSET_PODS);
        by_devices.min(by_cpu).min(by_memory).min(by_pods)
    }
}

/// Pods every node runs besides the workload (CNI, kube-proxy, device plugin, monitoring).
const DAEMONSET_PODS: u32 = 4;

/// Allocatable (cpu millis, memory MiB) of a node after kubelet reservations and daemonsets, roughly
/// as EKS computes them.
pub fn allocatable(t: &InstanceType) -> (u64, u64) {
    let cpu = (t.vcpu as u64 * 1000).saturating_mul(94) / 100;
    let memory = (t.memory_mib.saturating_mul(90) / 100).saturating_sub(1024);
    (cpu.saturating_sub(200), memory)
}

pub fn is_neuron_engine(engine: &str) -> bool {
    matches!(engine, "neuron" | "vllm-neuron" | "tgi-neuron")
}

/// How many replicas of a fleet placement provisions.
pub fn replicas_to_place(_plan: &Plan, _deployment: &Deployment, fleet: &Fleet) -> u32 {
    fleet.replicas.min
}

/// One SLO and the estimate for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyBand {
    /// `ttft`, `tpot` or `e2e`.
    pub metric: String,
    pub percentile: f64,
    pub limit_ms: f64,
    /// The performance model's estimate at this percentile, when known.
    pub estimate_ms: Option<f64>,
    /// Whether the estimate meets the limit, when known.
    pub meets_slo: Option<bool>,
}

/// Latency bands of a fleet on an instance type against the plan's SLOs.
pub fn latency_bands(plan: &Plan, _deployment: &Deployment, _instance: Option<&InstanceType>) -> Vec<LatencyBand> {
    plan.spec
        .workload
        .slos
        .iter()
        .map(|slo| LatencyBand {
            metric: slo.metric.as_str().to_string(),
            percentile: slo.percentile,
            limit_ms: slo.limit_ms,
            estimate_ms: None,
            meets_slo: None,
        })
        .collect()
}
