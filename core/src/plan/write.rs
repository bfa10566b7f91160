//! The Plan's writers to documents ([`crate::doc::write`]): each struct's fields in declaration
//! order, under their camelCase names, left out where its serde attributes skip them (the derived
//! `Serialize`, which the CLI's JSON output still uses, is the oracle these must agree with).

use crate::catalog::CapacityType;
use crate::doc::write::{write_struct, ToDoc};
use crate::doc::Doc;

use super::read::{AUTOSCALER_KINDS, CAPACITY_TYPES, METRIC_KINDS, MODES, SLO_METRICS};
use super::*;

write_struct!(Plan { api_version: "apiVersion", kind: "kind", metadata: "metadata", spec: "spec" });

write_struct!(Metadata { name: "name", description: "description" skip_if Option::is_none });

write_struct!(PlanSpec {
    region: "region",
    cluster: "cluster" skip_if Option::is_none,
    workload: "workload",
    deployments: "deployments",
    node_pools: "nodePools",
    node_classes: "nodeClasses",
});

write_struct!(Cluster { name: "name", node_role: "nodeRole" skip_if Option::is_none });

write_struct!(Workload {
    requests_per_second: "requestsPerSecond",
    trace: "trace" skip_if Option::is_none,
    input_tokens: "inputTokens",
    output_tokens: "outputTokens",
    slos: "slos" skip_if Vec::is_empty,
});

write_struct!(RequestRate { baseline: "baseline", peak: "peak" });

write_struct!(TraceRef { file: "file" skip_if Option::is_none, csv: "csv" skip_if Option::is_none });

write_struct!(TokenDistribution { mean: "mean", p90: "p90" skip_if Option::is_none });

write_struct!(Slo { metric: "metric", percentile: "percentile", limit_ms: "limitMs" });

write_struct!(Deployment {
    name: "name",
    model: "model",
    precision: "precision",
    engine: "engine",
    tensor_parallel: "tensorParallel",
    replicas: "replicas",
    mode: "mode" skip_if Mode::is_monolithic,
    prefill: "prefill" skip_if Option::is_none,
    decode: "decode" skip_if Option::is_none,
    max_num_seqs: "maxNumSeqs" skip_if Option::is_none,
    max_model_len: "maxModelLen" skip_if Option::is_none,
    gpu_memory_utilization: "gpuMemoryUtilization" skip_if Option::is_none,
    image: "image" skip_if Option::is_none,
    tolerations: "tolerations" skip_if Vec::is_empty,
    node_selector: "nodeSelector" skip_if BTreeMap::is_empty,
    autoscaler: "autoscaler" skip_if Option::is_none,
});

write_struct!(Stage {
    tensor_parallel: "tensorParallel" skip_if Option::is_none,
    replicas: "replicas",
    node_pool: "nodePool" skip_if Option::is_none,
});

write_struct!(ReplicaBounds { min: "min", max: "max" });

write_struct!(Toleration {
    key: "key",
    operator: "operator" skip_if Option::is_none,
    value: "value" skip_if Option::is_none,
    effect: "effect" skip_if Option::is_none,
});

write_struct!(Autoscaler {
    kind: "kind",
    metrics: "metrics",
    behavior: "behavior" skip_if Option::is_none,
    polling_interval_seconds: "pollingIntervalSeconds" skip_if Option::is_none,
    prometheus_address: "prometheusAddress" skip_if Option::is_none,
});

write_struct!(ScalingMetric { metric: "metric", target: "target" });

write_struct!(ScalingBehavior {
    scale_up_stabilization_seconds: "scaleUpStabilizationSeconds" skip_if Option::is_none,
    scale_down_stabilization_seconds: "scaleDownStabilizationSeconds" skip_if Option::is_none,
    scale_up_pods_per_period: "scaleUpPodsPerPeriod" skip_if Option::is_none,
});

write_struct!(NodePool {
    name: "name",
    weight: "weight" skip_if Option::is_none,
    capacity_types: "capacityTypes",
    instance_families: "instanceFamilies" skip_if Vec::is_empty,
    instance_types: "instanceTypes" skip_if Vec::is_empty,
    limits: "limits" skip_if BTreeMap::is_empty,
    taints: "taints" skip_if Vec::is_empty,
    labels: "labels" skip_if BTreeMap::is_empty,
    consolidation: "consolidation",
    budgets: "budgets" skip_if Vec::is_empty,
    expire_after: "expireAfter" skip_if Option::is_none,
    node_class: "nodeClass",
});

write_struct!(Taint { key: "key", value: "value" skip_if Option::is_none, effect: "effect" });

write_struct!(Consolidation { policy: "policy", after: "after" skip_if Option::is_none });

write_struct!(Budget {
    nodes: "nodes",
    schedule: "schedule" skip_if Option::is_none,
    duration: "duration" skip_if Option::is_none,
    reasons: "reasons" skip_if Vec::is_empty,
});

write_struct!(NodeClass {
    name: "name",
    ami: "ami",
    disk_gib: "diskGiB" skip_if Option::is_none,
    capacity_reservations: "capacityReservations" skip_if Vec::is_empty,
});

write_struct!(CapacityReservation { id: "id", kind: "kind", instance_type: "instanceType", count: "count" });

// Unit variants are written as their names: the reader's table (`read.rs`), indexed by the
// variant's discriminant (declaration order).

/// The name of a variant in its table; a table too short for its enum would be caught by the
/// differential test, and writes null rather than panicking.
fn name(names: &[&str], index: usize) -> Doc {
    names.get(index).map_or(Doc::Null, |name| Doc::from(*name))
}

impl ToDoc for SloMetric {
    fn to_doc(&self) -> Doc {
        name(SLO_METRICS, *self as usize)
    }
}

impl ToDoc for Mode {
    fn to_doc(&self) -> Doc {
        name(MODES, *self as usize)
    }
}

impl ToDoc for AutoscalerKind {
    fn to_doc(&self) -> Doc {
        name(AUTOSCALER_KINDS, *self as usize)
    }
}

impl ToDoc for MetricKind {
    fn to_doc(&self) -> Doc {
        name(METRIC_KINDS, *self as usize)
    }
}

impl ToDoc for CapacityType {
    fn to_doc(&self) -> Doc {
        name(CAPACITY_TYPES, *self as usize)
    }
}
