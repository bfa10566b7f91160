//! The Plan's readers from the located tree ([`crate::node_read`]): each struct's fields in
//! declaration order, under their camelCase names, with the defaults of its serde attributes.

use crate::catalog::CapacityType;
use crate::node_read::{read_struct, variant, FromNode, NodeError};
use crate::yaml::Node;

use super::*;

read_struct!(Plan { api_version: "apiVersion", kind: "kind", metadata: "metadata", spec: "spec" });

read_struct!(Metadata { name: "name", description: "description" = Default::default });

read_struct!(PlanSpec {
    region: "region",
    cluster: "cluster" = Default::default,
    workload: "workload" = Default::default,
    deployments: "deployments" = Default::default,
    node_pools: "nodePools" = Default::default,
    node_classes: "nodeClasses" = Default::default,
});

read_struct!(Cluster { name: "name", node_role: "nodeRole" = Default::default });

read_struct!(Workload {
    requests_per_second: "requestsPerSecond" = Default::default,
    trace: "trace" = Default::default,
    input_tokens: "inputTokens" = Default::default,
    output_tokens: "outputTokens" = Default::default,
    slos: "slos" = Default::default,
});

read_struct!(RequestRate { baseline: "baseline", peak: "peak" });

read_struct!(TraceRef { file: "file" = Default::default, csv: "csv" = Default::default });

read_struct!(TokenDistribution { mean: "mean", p90: "p90" = Default::default });

read_struct!(Slo { metric: "metric", percentile: "percentile", limit_ms: "limitMs" });

read_struct!(Deployment {
    name: "name",
    model: "model",
    precision: "precision" = default_precision,
    engine: "engine" = default_engine,
    tensor_parallel: "tensorParallel" = one,
    replicas: "replicas",
    mode: "mode" = Default::default,
    prefill: "prefill" = Default::default,
    decode: "decode" = Default::default,
    max_num_seqs: "maxNumSeqs" = Default::default,
    max_model_len: "maxModelLen" = Default::default,
    gpu_memory_utilization: "gpuMemoryUtilization" = Default::default,
    image: "image" = Default::default,
    tolerations: "tolerations" = Default::default,
    node_selector: "nodeSelector" = Default::default,
    autoscaler: "autoscaler" = Default::default,
});

read_struct!(Stage {
    tensor_parallel: "tensorParallel" = Default::default,
    replicas: "replicas",
    node_pool: "nodePool" = Default::default,
});

read_struct!(ReplicaBounds { min: "min", max: "max" });

read_struct!(Toleration {
    key: "key",
    operator: "operator" = Default::default,
    value: "value" = Default::default,
    effect: "effect" = Default::default,
});

read_struct!(Autoscaler {
    kind: "kind",
    metrics: "metrics",
    behavior: "behavior" = Default::default,
    polling_interval_seconds: "pollingIntervalSeconds" = Default::default,
    prometheus_address: "prometheusAddress" = Default::default,
});

read_struct!(ScalingMetric { metric: "metric", target: "target" });

read_struct!(ScalingBehavior {
    scale_up_stabilization_seconds: "scaleUpStabilizationSeconds" = Default::default,
    scale_down_stabilization_seconds: "scaleDownStabilizationSeconds" = Default::default,
    scale_up_pods_per_period: "scaleUpPodsPerPeriod" = Default::default,
});

read_struct!(NodePool {
    name: "name",
    weight: "weight" = Default::default,
    capacity_types: "capacityTypes",
    instance_families: "instanceFamilies" = Default::default,
    instance_types: "instanceTypes" = Default::default,
    limits: "limits" = Default::default,
    taints: "taints" = Default::default,
    labels: "labels" = Default::default,
    consolidation: "consolidation" = Default::default,
    budgets: "budgets" = Default::default,
    expire_after: "expireAfter" = Default::default,
    node_class: "nodeClass",
});

read_struct!(Taint { key: "key", value: "value" = Default::default, effect: "effect" });

read_struct!(Consolidation { policy: "policy", after: "after" = Default::default });

read_struct!(Budget {
    nodes: "nodes",
    schedule: "schedule" = Default::default,
    duration: "duration" = Default::default,
    reasons: "reasons" = Default::default,
});

read_struct!(NodeClass {
    name: "name",
    ami: "ami",
    disk_gib: "diskGiB" = Default::default,
    capacity_reservations: "capacityReservations" = Default::default,
});

read_struct!(CapacityReservation {
    id: "id",
    kind: "kind" = default_reservation_kind,
    instance_type: "instanceType",
    count: "count",
});

// Unit variants are written as their names (camelCase; kebab-case for capacity types), in
// declaration order: the order of the names in an `unknown variant` error, and the tables the
// writers (`write.rs`) index with the variant's discriminant.

pub(super) const SLO_METRICS: &[&str] = &["ttft", "tpot", "e2e"];
pub(super) const MODES: &[&str] = &["monolithic", "disaggregated"];
pub(super) const AUTOSCALER_KINDS: &[&str] = &["hpa", "keda"];
pub(super) const METRIC_KINDS: &[&str] =
    &["queueDepth", "runningRequests", "kvCacheUsage", "ttft", "gpuUtilization", "cpuUtilization"];
pub(super) const CAPACITY_TYPES: &[&str] = &["reserved", "spot", "on-demand"];

impl FromNode for SloMetric {
    fn initial() -> Self {
        SloMetric::Ttft
    }

    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        *self = match variant(node, "enum SloMetric", SLO_METRICS)? {
            0 => SloMetric::Ttft,
            1 => SloMetric::Tpot,
            _ => SloMetric::E2e,
        };
        Ok(())
    }
}

impl FromNode for Mode {
    fn initial() -> Self {
        Mode::Monolithic
    }

    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        *self = match variant(node, "enum Mode", MODES)? {
            0 => Mode::Monolithic,
            _ => Mode::Disaggregated,
        };
        Ok(())
    }
}

impl FromNode for AutoscalerKind {
    fn initial() -> Self {
        AutoscalerKind::Hpa
    }

    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        *self = match variant(node, "enum AutoscalerKind", AUTOSCALER_KINDS)? {
            0 => AutoscalerKind::Hpa,
            _ => AutoscalerKind::Keda,
        };
        Ok(())
    }
}

impl FromNode for MetricKind {
    fn initial() -> Self {
        MetricKind::QueueDepth
    }

    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        *self = match variant(node, "enum MetricKind", METRIC_KINDS)? {
            0 => MetricKind::QueueDepth,
            1 => MetricKind::RunningRequests,
            2 => MetricKind::KvCacheUsage,
            3 => MetricKind::Ttft,
            4 => MetricKind::GpuUtilization,
            _ => MetricKind::CpuUtilization,
        };
        Ok(())
    }
}

impl FromNode for CapacityType {
    fn initial() -> Self {
        CapacityType::Reserved
    }

    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        *self = match variant(node, "enum CapacityType", CAPACITY_TYPES)? {
            0 => CapacityType::Reserved,
            1 => CapacityType::Spot,
            _ => CapacityType::OnDemand,
        };
        Ok(())
    }
}
