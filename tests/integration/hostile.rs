//! Hostile edits (issue 18, "Nothing invalid leaves Tokenfleet"): random valid plans
//! (`generate::plan`) take several structured edits each, straight on the `Plan` struct, that a user,
//! an import or the app's forms could make: names and label/taint keys and values with spaces, dots,
//! uppercase, leading digits, 64+ characters, unicode or nothing; quantities like `abc`, `NaN`,
//! `1e100Ei`, `-1`; bad budgets, crons and durations; huge or zero counts; unknown precisions,
//! engines, instance types; colliding names; disks past the CRD's maximum; and more (`EDITS`).
//!
//! The property: `plan::validate` refuses the edited plan with a field path for every error, or the
//! accepted plan's export has no OpenAPI schema or CEL violation, names each object once per kind,
//! imports without an error finding, exports again byte for byte, and its YAML and JSON parse back
//! to the same plan.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tokenfleet_core::catalog::CapacityType;
use tokenfleet_core::lint::Severity;
use tokenfleet_core::manifest::{self, import};
use tokenfleet_core::plan::{self, *};

use crate::cel::export_documents;
use crate::conformance::{check_documents, say, schemas};
use crate::generate::{self, Rng};

const SEEDS: u64 = 400;
const CASES_PER_SEED: u64 = 6;

fn long(n: usize) -> String {
    "x".repeat(n)
}

/// Names: DNS labels or not.
fn hostile_name(rng: &mut Rng) -> String {
    let names = [
        "",
        " ",
        "a b",
        "a.b",
        "a..b",
        "..",
        ".",
        "Upper",
        "UPPER",
        "1abc",
        "0",
        "-lead",
        "trail-",
        "a_b",
        "a--b",
        "ünï",
        "名前",
        "a/b",
        "a:b",
        "a\nb",
        "a\tb",
        "*",
        "a@b",
        "null",
        "true",
        "x-prefill",
        "x-decode",
    ];
    match rng.below(5) {
        0 => long(63 + rng.below(3) as usize),
        1 => format!("{}-{}", long(50), "y".repeat(10 + rng.below(10) as usize)),
        _ => rng.pick(&names).to_string(),
    }
}

fn hostile_label_key(rng: &mut Rng) -> String {
    let keys = [
        "",
        " ",
        "a b",
        "example.com/",
        "/x",
        "a/b/c",
        "Example.com/x",
        "example..com/x",
        ".a/b",
        "ünï",
        "1abc",
        "a.b",
        "team",
        "tokenfleet.dev/x",
        "karpenter.sh/x",
        "karpenter.sh/nodepool",
        "karpenter.sh/capacity-type",
        "node.karpenter.sh/x",
        "kubernetes.io/hostname",
        "karpenter.k8s.aws/instance-family",
        "karpenter.k8s.aws/made-up",
        "k8s.karpenter.k8s.aws/x",
        "nvidia.com/gpu",
        "-a",
        "a-",
    ];
    match rng.below(6) {
        0 => long(63 + rng.below(3) as usize),
        1 => format!("{}/x", "a".repeat(250 + rng.below(8) as usize)),
        _ => rng.pick(&keys).to_string(),
    }
}

fn hostile_label_value(rng: &mut Rng) -> String {
    let values = ["", " ", "a b", "-a", "a-", "ünï", "a/b", "true", "a.b_c-d", "A", "1", "a..b", "\n"];
    match rng.below(5) {
        0 => long(63 + rng.below(3) as usize),
        _ => rng.pick(&values).to_string(),
    }
}

fn hostile_quantity(rng: &mut Rng) -> String {
    rng.pick(&[
        "abc",
        "NaN",
        "1e100Ei",
        "-1",
        "",
        " ",
        "1.5",
        "0",
        "1e3",
        "10Ki",
        "10KiB",
        " 1",
        "+1",
        "1e-3",
        "∞",
        "0x10",
        "99999999999999999999999",
        "1Ei",
        "100m",
        "Infinity",
        "1..5",
    ])
    .to_string()
}

fn hostile_duration(rng: &mut Rng) -> String {
    rng.pick(&[
        "-1h",
        "abc",
        "0s",
        "1h",
        "",
        "1d",
        "1.5h",
        "99999999999h",
        "Never",
        "never",
        "1h-30m",
        "5",
        "1w",
        " 1h",
        "1ms",
        "30s ",
        "∞",
    ])
    .to_string()
}

fn hostile_cron(rng: &mut Rng) -> String {
    rng.pick(&[
        "bad",
        "* * * *",
        "61 * * * *",
        "@every 1h",
        "@daily",
        "0 9 * * mon-fri",
        "* * * * * *",
        "",
        "0 25 * * *",
        "*/0 * * * *",
        "0 9 * * MON-FRI",
        "0 9 32 * *",
    ])
    .to_string()
}

fn pick_index<T>(rng: &mut Rng, items: &[T]) -> Option<usize> {
    (!items.is_empty()).then(|| rng.below(items.len() as u64) as usize)
}

/// The edit kinds: each applies one hostile change to the plan and says what it did.
type Edit = fn(&mut Rng, &mut Plan) -> String;

const EDITS: &[(&str, Edit)] = &[
    ("plan name", |rng, p| {
        p.metadata.name = hostile_name(rng);
        format!("metadata.name = {:?}", p.metadata.name)
    }),
    ("description", |rng, p| {
        let d = rng.pick(&["ünï 名前", "a\u{0}b", "\u{7f}", "line\nbreak: yes", "#comment", "- item", "'\"", ""]);
        p.metadata.description = Some(d.to_string());
        format!("description = {d:?}")
    }),
    ("region", |rng, p| {
        p.spec.region = rng.pick(&["mars-1", "", "US-EAST-1", "us-east-1 ", "us-gov-west-1"]).to_string();
        format!("region = {:?}", p.spec.region)
    }),
    ("cluster", |rng, p| {
        let name = hostile_name(rng);
        let role = rng.chance(50).then(|| hostile_name(rng));
        p.spec.cluster = Some(Cluster { name: name.clone(), node_role: role.clone() });
        format!("cluster = {name:?}, role {role:?}")
    }),
    ("request rate", |rng, p| {
        let v = *rng.pick(&[f64::NAN, f64::INFINITY, -1.0, 1e308, 0.0, 1e7]);
        if rng.chance(50) {
            p.spec.workload.requests_per_second.peak = v;
        } else {
            p.spec.workload.requests_per_second.baseline = v;
        }
        format!("requestsPerSecond = {v}")
    }),
    ("token lengths", |rng, p| {
        let v = *rng.pick(&[1e9, f64::NAN, -1.0, 0.0, 1e6, 131_072.0, 8193.0]);
        match rng.below(3) {
            0 => p.spec.workload.input_tokens.mean = v,
            1 => p.spec.workload.input_tokens.p90 = Some(v),
            _ => p.spec.workload.output_tokens.mean = v,
        }
        format!("tokens = {v}")
    }),
    ("slo", |rng, p| {
        let v = *rng.pick(&[f64::NAN, 0.0, 100.0, 101.0, -1.0, 1e300]);
        p.spec.workload.slos.push(Slo { metric: SloMetric::Ttft, percentile: v, limit_ms: *rng.pick(&[v, 100.0]) });
        format!("slo percentile {v}")
    }),
    ("request timeout", |rng, p| {
        let v = *rng.pick(&[f64::NAN, 0.0, -1.0, 1e9, 0.001]);
        p.spec.workload.request_timeout_seconds = Some(v);
        format!("requestTimeoutSeconds = {v}")
    }),
    ("deployment name", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.deployments) else { return "none".into() };
        p.spec.deployments[i].name = hostile_name(rng);
        format!("deployments[{i}].name = {:?}", p.spec.deployments[i].name)
    }),
    ("colliding deployment names", |rng, p| {
        let mut d = p.spec.deployments[0].clone();
        let (a, b) = *rng.pick(&[("x", "x"), ("x", "x-prefill"), ("x", "x-decode"), ("x-prefill", "x"), ("a", "a-lt")]);
        p.spec.deployments[0].name = a.to_string();
        d.name = b.to_string();
        if rng.chance(50) {
            // Disaggregated, so the stage objects are named `<name>-prefill` and `<name>-decode`.
            let stage = Stage {
                tensor_parallel: None,
                replicas: ReplicaBounds { min: 1, max: 2 },
                node_pool: None,
                warm_capacity: None,
            };
            p.spec.deployments[0].mode = Mode::Disaggregated;
            p.spec.deployments[0].prefill = Some(stage.clone());
            p.spec.deployments[0].decode = Some(stage);
            p.spec.deployments[0].warm_capacity = None;
        }
        p.spec.deployments.push(d);
        format!("deployments named {a:?} and {b:?}")
    }),
    ("pool named like a deployment", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let name = p.spec.deployments[0].name.clone();
        let old = std::mem::replace(&mut p.spec.node_pools[i].name, name.clone());
        for d in &mut p.spec.deployments {
            for stage in [d.prefill.as_mut(), d.decode.as_mut()].into_iter().flatten() {
                if stage.node_pool.as_deref() == Some(old.as_str()) {
                    stage.node_pool = Some(name.clone());
                }
            }
        }
        if let Some(ca) = &mut p.spec.cluster_autoscaler {
            for g in &mut ca.node_groups {
                if g.node_pool == old {
                    g.node_pool = name.clone();
                }
            }
        }
        format!("nodePools[{i}].name = {name:?} (a deployment's name)")
    }),
    ("model", |rng, p| {
        let m = rng.pick(&["", "unknown/model", "a b", "../../etc/passwd", "meta-llama/Meta-Llama-3-8B-Instruct "]);
        p.spec.deployments[0].model = m.to_string();
        format!("model = {m:?}")
    }),
    ("precision", |rng, p| {
        let v = rng.pick(&["fp4", "", "BF16", "bf16 ", "int3", "gguf"]);
        p.spec.deployments[0].precision = v.to_string();
        format!("precision = {v:?}")
    }),
    ("engine", |rng, p| {
        let v = rng.pick(&["tgi", "", "VLLM", "neuron", "vllm ", "sglang"]);
        p.spec.deployments[0].engine = v.to_string();
        format!("engine = {v:?}")
    }),
    ("tensor parallel", |rng, p| {
        let v = *rng.pick(&[0, 3, 1024, u32::MAX, 512, 16]);
        p.spec.deployments[0].tensor_parallel = v;
        format!("tensorParallel = {v}")
    }),
    ("replica bounds", |rng, p| {
        let (min, max) =
            *rng.pick(&[(0, 0), (5, 2), (0, u32::MAX), (u32::MAX, u32::MAX), (10_000, 10_000), (0, 10_001)]);
        let d = &mut p.spec.deployments[0];
        match (&mut d.prefill, rng.chance(30)) {
            (Some(stage), true) => stage.replicas = ReplicaBounds { min, max },
            _ => d.replicas = ReplicaBounds { min, max },
        }
        format!("replicas = {min}..{max}")
    }),
    ("max model len", |rng, p| {
        let v = *rng.pick(&[0, 1, u32::MAX, 1_000_000, 8192, 131_072]);
        p.spec.deployments[0].max_model_len = Some(v);
        format!("maxModelLen = {v}")
    }),
    ("max num seqs", |rng, p| {
        let v = *rng.pick(&[0, u32::MAX, 1]);
        p.spec.deployments[0].max_num_seqs = Some(v);
        format!("maxNumSeqs = {v}")
    }),
    ("gpu memory utilization", |rng, p| {
        let v = *rng.pick(&[f64::NAN, 0.0, 1.5, -0.1, 1.0, 1e-9]);
        p.spec.deployments[0].gpu_memory_utilization = Some(v);
        format!("gpuMemoryUtilization = {v}")
    }),
    ("image", |rng, p| {
        let v = rng.pick(&["", "a b", "UPPER:tag", "registry/x:tag@sha256:zz", "ünï", ":", "x:"]);
        p.spec.deployments[0].image = Some(v.to_string());
        format!("image = {v:?}")
    }),
    ("node selector", |rng, p| {
        let (k, v) = (hostile_label_key(rng), hostile_label_value(rng));
        p.spec.deployments[0].node_selector.insert(k.clone(), v.clone());
        format!("nodeSelector {k:?}: {v:?}")
    }),
    ("toleration", |rng, p| {
        let key = if rng.chance(50) { hostile_label_key(rng) } else { "nvidia.com/gpu".to_string() };
        let operator = rng.chance(70).then(|| rng.pick(&["", "Bogus", "equal", "Equal", "Exists"]).to_string());
        let value = rng.chance(50).then(|| hostile_label_value(rng));
        let effect = rng.chance(50).then(|| rng.pick(&["", "Bogus", "noschedule", "NoExecute"]).to_string());
        let t = Toleration { key, operator, value, effect };
        let text = format!("{t:?}");
        p.spec.deployments[0].tolerations.push(t);
        format!("toleration {text}")
    }),
    ("autoscaler", |rng, p| {
        let target = *rng.pick(&[f64::NAN, -1.0, 0.0, 1e300, f64::INFINITY]);
        let interval = *rng.pick(&[0, u32::MAX, 1]);
        let address = rng.pick(&["", "not a url", "http://x:99999", "http://prometheus:9090"]).to_string();
        p.spec.deployments[0].autoscaler = Some(Autoscaler {
            kind: if rng.chance(50) { AutoscalerKind::Keda } else { AutoscalerKind::Hpa },
            metrics: vec![ScalingMetric { metric: *rng.pick(&MetricKind::ALL), target }],
            behavior: rng.chance(50).then_some(ScalingBehavior {
                scale_up_stabilization_seconds: Some(interval),
                scale_down_stabilization_seconds: Some(interval),
                scale_up_pods_per_period: Some(interval),
            }),
            polling_interval_seconds: Some(interval),
            cooldown_period_seconds: rng.chance(50).then_some(interval),
            prometheus_address: Some(address.clone()),
        });
        format!("autoscaler target {target}, interval {interval}, address {address:?}")
    }),
    ("weights and compile cache", |rng, p| {
        let uri = rng.pick(&["s3://", "http://x", "s3://Bad Bucket/x", "s3://b/x", ""]).to_string();
        let claim = hostile_name(rng);
        let d = &mut p.spec.deployments[0];
        match rng.below(3) {
            0 => {
                d.weights =
                    Some(Weights { source: WeightsSource::S3Streamer, uri: Some(uri.clone()), ..Weights::default() })
            }
            1 => {
                d.weights = Some(Weights {
                    source: WeightsSource::SharedFileSystem,
                    volume_claim: Some(claim.clone()),
                    ..Weights::default()
                })
            }
            _ => d.compile_cache = Some(CompileCache { uri: Some(uri.clone()), volume_claim: Some(claim.clone()) }),
        }
        format!("weights/compileCache uri {uri:?}, claim {claim:?}")
    }),
    ("warm capacity", |rng, p| {
        let replicas = *rng.pick(&[u32::MAX, 10_001, 0, 10_000]);
        let warm = WarmCapacity { kind: *rng.pick(&WarmCapacityKind::ALL), replicas };
        let d = &mut p.spec.deployments[0];
        match (&mut d.decode, d.mode) {
            (Some(stage), Mode::Disaggregated) => stage.warm_capacity = Some(warm),
            _ => d.warm_capacity = Some(warm),
        }
        format!("warmCapacity.replicas = {replicas}")
    }),
    ("pool name", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        p.spec.node_pools[i].name = hostile_name(rng);
        format!("nodePools[{i}].name = {:?}", p.spec.node_pools[i].name)
    }),
    ("duplicate pool", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let copy = p.spec.node_pools[i].clone();
        p.spec.node_pools.push(copy);
        format!("nodePools[{i}] twice")
    }),
    ("pool label", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let (k, v) = (hostile_label_key(rng), hostile_label_value(rng));
        p.spec.node_pools[i].labels.insert(k.clone(), v.clone());
        format!("nodePools[{i}].labels {k:?}: {v:?}")
    }),
    ("pool taint", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let key = hostile_label_key(rng);
        let value = rng.chance(60).then(|| hostile_label_value(rng));
        let effect = rng.pick(&["", "Bogus", "noschedule", "NoSchedule", "NoExecute"]).to_string();
        let text = format!("{key:?}={value:?}:{effect:?}");
        p.spec.node_pools[i].taints.push(Taint { key, value, effect });
        format!("nodePools[{i}].taints {text}")
    }),
    ("pool limit", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let resource = if rng.chance(70) {
            rng.pick(&["cpu", "memory", "nvidia.com/gpu", "nodes", "aws.amazon.com/neuron"]).to_string()
        } else {
            hostile_label_key(rng)
        };
        let quantity = hostile_quantity(rng);
        p.spec.node_pools[i].limits.insert(resource.clone(), quantity.clone());
        format!("nodePools[{i}].limits {resource:?}: {quantity:?}")
    }),
    ("pool weight", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let w = *rng.pick(&[0, 101, u32::MAX, 100, 1]);
        p.spec.node_pools[i].weight = Some(w);
        format!("nodePools[{i}].weight = {w}")
    }),
    ("static pool", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let r = *rng.pick(&[0, 1, u32::MAX, 10_001, 10_000]);
        // Weight and limits are kept as they were: the CRD refuses both on a static NodePool.
        p.spec.node_pools[i].replicas = Some(r);
        format!("nodePools[{i}].replicas = {r} (weight {:?})", p.spec.node_pools[i].weight)
    }),
    ("capacity types", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let types = match rng.below(3) {
            0 => vec![],
            1 => vec![CapacityType::Spot, CapacityType::Spot],
            _ => vec![CapacityType::Reserved],
        };
        p.spec.node_pools[i].capacity_types = types.clone();
        format!("nodePools[{i}].capacityTypes = {types:?}")
    }),
    ("instance types", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let v = rng.pick(&["x9.huge", "", "g5.XLARGE", "g5.xlarge ", "zz9", "G5", "g5", "p5.48xlarge"]).to_string();
        if rng.chance(50) {
            p.spec.node_pools[i].instance_types.push(v.clone());
        } else {
            p.spec.node_pools[i].instance_families.push(v.clone());
        }
        format!("nodePools[{i}] instance type or family {v:?}")
    }),
    ("consolidation", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let policy = rng.pick(&["WhenEmpty", "Bogus", "", "whenempty", "WhenEmptyOrUnderutilized"]).to_string();
        let after = rng.chance(80).then(|| hostile_duration(rng));
        p.spec.node_pools[i].consolidation = Consolidation { policy: policy.clone(), after: after.clone() };
        format!("nodePools[{i}].consolidation {policy:?} after {after:?}")
    }),
    ("expire after", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let v = hostile_duration(rng);
        p.spec.node_pools[i].expire_after = Some(v.clone());
        format!("nodePools[{i}].expireAfter = {v:?}")
    }),
    ("budget", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        let nodes =
            rng.pick(&["abc", "1000%", "-1", "", "10 %", "%", "1.5", "101%", "0%", "99999999999", "5"]).to_string();
        let schedule = rng.chance(60).then(|| hostile_cron(rng));
        let duration = rng.chance(60).then(|| hostile_duration(rng));
        let reasons =
            if rng.chance(30) { vec![rng.pick(&["Bogus", "", "Empty", "empty"]).to_string()] } else { vec![] };
        let b = Budget { nodes, schedule, duration, reasons };
        let text = format!("{b:?}");
        p.spec.node_pools[i].budgets.push(b);
        format!("nodePools[{i}].budgets {text}")
    }),
    ("pool node class", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_pools) else { return "none".into() };
        p.spec.node_pools[i].node_class = hostile_name(rng);
        format!("nodePools[{i}].nodeClass = {:?}", p.spec.node_pools[i].node_class)
    }),
    ("stage pool", |rng, p| {
        let name = hostile_name(rng);
        let d = &mut p.spec.deployments[0];
        match &mut d.prefill {
            Some(stage) => stage.node_pool = Some(name.clone()),
            None => return "none".into(),
        }
        format!("deployments[0].prefill.nodePool = {name:?}")
    }),
    ("class name", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_classes) else { return "none".into() };
        p.spec.node_classes[i].name = hostile_name(rng);
        format!("nodeClasses[{i}].name = {:?}", p.spec.node_classes[i].name)
    }),
    ("ami", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_classes) else { return "none".into() };
        let v = rng.pick(&["ubuntu", "", "Bottlerocket", "al2", "windows2022", "al2023@latest"]).to_string();
        p.spec.node_classes[i].ami = v.clone();
        format!("nodeClasses[{i}].ami = {v:?}")
    }),
    ("disk", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_classes) else { return "none".into() };
        let v = *rng.pick(&[0, 16_385, u32::MAX, 16_384, 1, 65_536]);
        p.spec.node_classes[i].disk_gib = Some(v);
        format!("nodeClasses[{i}].diskGiB = {v}")
    }),
    ("reservation", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_classes) else { return "none".into() };
        let r = CapacityReservation {
            id: rng
                .pick(&["", "cr-", "CR-123", "cr-xyz!", "cr-0123456789abcdef0", "cr-replaceme", " cr-1"])
                .to_string(),
            kind: rng.pick(&["odcr", "capacity-block", "", "bogus"]).to_string(),
            instance_type: rng.pick(&["g5.xlarge", "x9.huge", "", "G5.XLARGE"]).to_string(),
            count: *rng.pick(&[0, 1, u32::MAX, 10_001]),
            availability_zone: rng
                .chance(50)
                .then(|| rng.pick(&["", "us-east-1a", "mars-1a", "us-east-1"]).to_string()),
            end_time: rng
                .chance(50)
                .then(|| rng.pick(&["", "tomorrow", "2026-13-01T00:00:00Z", "2026-12-01T00:00:00Z"]).to_string()),
        };
        let text = format!("{r:?}");
        p.spec.node_classes[i].capacity_reservations.push(r);
        format!("nodeClasses[{i}].capacityReservations {text}")
    }),
    ("image cache", |rng, p| {
        let Some(i) = pick_index(rng, &p.spec.node_classes) else { return "none".into() };
        let snapshot_id =
            rng.pick(&["", "snap-", "snap-XYZ", "vol-123", "snap-0123456789abcdef0", "snap-0replaceme"]).to_string();
        let images = vec![rng.pick(&["", " ", "vllm/vllm-openai:v0.11.0", "a b"]).to_string()];
        let text = format!("{snapshot_id:?} {images:?}");
        p.spec.node_classes[i].image_cache = Some(ImageCache { snapshot_id, images });
        format!("nodeClasses[{i}].imageCache {text}")
    }),
    ("cluster autoscaler", |rng, p| {
        let pool = p.spec.node_pools[0].name.clone();
        let group = NodeGroup {
            name: rng.pick(&["", "a:b", "ng-1", " "]).to_string(),
            node_pool: if rng.chance(70) { pool } else { hostile_name(rng) },
            min_size: *rng.pick(&[0, 5, u32::MAX]),
            max_size: *rng.pick(&[0, 3, u32::MAX, 10_001]),
            desired_capacity: rng.chance(50).then(|| *rng.pick(&[0, 4, u32::MAX])),
            priority: rng.chance(50).then(|| *rng.pick(&[i32::MIN, -1, 0, 10])),
        };
        let text = format!("{group:?}");
        p.spec.cluster_autoscaler = Some(ClusterAutoscaler {
            scan_interval: rng.chance(50).then(|| hostile_duration(rng)),
            expander: rng.chance(50).then(|| rng.pick(&["", "priority", "random,least-waste", "bogus"]).to_string()),
            scale_down_utilization_threshold: rng.chance(50).then(|| *rng.pick(&[f64::NAN, -1.0, 0.5, 2.0])),
            max_nodes_total: rng.chance(50).then(|| *rng.pick(&[0, u32::MAX])),
            node_groups: vec![group],
            ..ClusterAutoscaler::default()
        });
        format!("clusterAutoscaler {text}")
    }),
];

/// What an accepted plan must satisfy; the failures.
fn check_accepted(schemas: &crate::schema::Schemas, label: &str, p: &Plan) -> Vec<String> {
    let mut failures = Vec::new();
    let docs = export_documents(p);
    failures.extend(check_documents(schemas, label, &docs));
    let mut names = BTreeSet::new();
    for doc in &docs {
        let key = (
            doc["apiVersion"].as_str().unwrap_or_default().to_string(),
            doc["kind"].as_str().unwrap_or_default().to_string(),
            doc["metadata"]["namespace"].as_str().unwrap_or_default().to_string(),
            doc["metadata"]["name"].as_str().unwrap_or_default().to_string(),
        );
        if !names.insert(key.clone()) {
            failures.push(format!("{label}: {} {:?} is exported twice", key.1, key.3));
        }
    }
    let first = manifest::render_stream(p);
    match import::import_yaml("export.yaml", &first) {
        Err(e) => failures.push(format!("{label}: the export does not import: {e}")),
        Ok(imported) => {
            let errors: Vec<String> =
                imported.findings.iter().filter(|f| f.severity == Severity::Error).map(|f| format!("{f:?}")).collect();
            if !errors.is_empty() {
                failures.push(format!("{label}: import errors {errors:?}"));
            }
            let second = manifest::render_stream(&imported.plan);
            if first != second {
                let diff = first.lines().zip(second.lines()).find(|(a, b)| a != b);
                failures.push(format!("{label}: export → import → export differs, first at {diff:?}"));
            }
        }
    }
    if plan::parse_plan(&p.to_yaml()).as_ref() != Ok(p) {
        failures.push(format!(
            "{label}: the plan's YAML does not parse back to it: {:?}",
            plan::parse_plan(&p.to_yaml()).err()
        ));
    }
    let json = serde_json::to_string_pretty(p).unwrap();
    if plan::parse_plan(&json).as_ref() != Ok(p) {
        failures
            .push(format!("{label}: the plan's JSON does not parse back to it: {:?}", plan::parse_plan(&json).err()));
    }
    failures
}

#[test]
fn hostile_edits_are_refused_at_a_field_or_export_valid_manifests() {
    let Some(schemas) = schemas() else { return };
    let started = std::time::Instant::now();
    let mut cases = 0;
    let mut refused = 0;
    let mut per_edit: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for seed in 0..SEEDS {
        let base = generate::plan(seed);
        for case in 0..CASES_PER_SEED {
            let rng = &mut Rng::new(seed * 1000 + case + 1);
            let mut p = base.clone();
            let mut applied = Vec::new();
            let mut kinds = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let (kind, edit) = rng.pick(EDITS);
                applied.push(edit(rng, &mut p));
                kinds.push(*kind);
            }
            cases += 1;
            let label = format!("seed {seed} case {case} [{}]", applied.join("; "));
            let errors = plan::validate(&p);
            let accepted = errors.is_empty();
            for kind in &kinds {
                let entry = per_edit.entry(kind).or_default();
                entry.0 += 1;
                entry.1 += usize::from(!accepted);
            }
            if !accepted {
                refused += 1;
                for e in errors.iter().filter(|e| e.path.is_empty()) {
                    failures.push(format!("{label}: refused without a field path: {e}"));
                }
                continue;
            }
            failures.extend(check_accepted(&schemas, &label, &p));
        }
    }
    let never_refused: Vec<&&str> = per_edit.iter().filter(|(_, (_, r))| *r == 0).map(|(k, _)| k).collect();
    say(&format!(
        "hostile: {cases} cases ({} edit kinds) on {SEEDS} random plans, {refused} refused at a field, {} accepted and \
         checked, {} failures, {:.1} s; edit kinds never refused: {never_refused:?}",
        EDITS.len(),
        cases - refused,
        failures.len(),
        started.elapsed().as_secs_f64()
    ));
    assert_eq!(per_edit.len(), EDITS.len(), "every edit kind was drawn");
    failures.truncate(200);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The property's checks are not vacuous: a plan whose export breaks a CEL rule fails them.
#[test]
fn the_accepted_plan_checks_catch_a_broken_export() {
    let Some(schemas) = schemas() else { return };
    let mut p = generate::plan(1);
    // A static NodePool with a weight: validate refuses it, and if it did not, the CRD would.
    p.spec.node_pools[0].replicas = Some(2);
    p.spec.node_pools[0].weight = Some(10);
    assert!(plan::validate(&p).iter().any(|e| e.path == "spec.nodePools[0].weight"));
    let failures = check_accepted(&schemas, "static pool with weight", &p).join("\n");
    assert!(failures.contains("'weight' is not supported on static NodePools"), "{failures}");
    let docs: Vec<Value> = export_documents(&p);
    assert!(!docs.is_empty());
}
