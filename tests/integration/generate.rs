//! Seeded random Plans for property tests: every generated plan is valid, so every export must be
//! schema-valid and round-trip through import.

use std::collections::BTreeMap;

use tokenfleet_core::catalog::CapacityType;
use tokenfleet_core::plan::*;

/// A small, seeded xorshift generator (deterministic across runs and platforms).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    pub fn some<T: Clone>(&mut self, items: &[T]) -> Vec<T> {
        let picked: Vec<T> = items.iter().filter(|_| self.chance(40)).cloned().collect();
        if picked.is_empty() {
            vec![self.pick(items).clone()]
        } else {
            picked
        }
    }
}

const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"];
const GPU_FAMILIES: &[&str] = &["g4dn", "g5", "g6", "g6e", "p4d", "p5"];
const NEURON_FAMILIES: &[&str] = &["inf2", "trn1"];
const GPU_TYPES: &[&str] = &["g5.xlarge", "g5.12xlarge", "g6.xlarge", "g6e.12xlarge", "p4d.24xlarge", "p5.48xlarge"];
const DURATIONS: &[&str] = &["0s", "30s", "5m", "1h", "1h30m", "Never"];
const POLICIES: &[&str] = &["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"];
const MODELS: &[&str] = &[
    "meta-llama/Meta-Llama-3-8B-Instruct",
    "meta-llama/Llama-3.1-70B-Instruct",
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "Qwen/Qwen2.5-7B-Instruct",
];

fn name(rng: &mut Rng, prefix: &str, i: usize) -> String {
    let suffix = ["a", "b", "x", "prod", "burst"];
    format!("{prefix}-{}{i}", rng.pick(&suffix))
}

fn bounds(rng: &mut Rng) -> ReplicaBounds {
    let min = rng.below(4) as u32;
    ReplicaBounds { min, max: min + 1 + rng.below(8) as u32 }
}

fn budgets(rng: &mut Rng) -> Vec<Budget> {
    let mut out: Vec<Budget> = (0..rng.below(3))
        .map(|_| Budget {
            nodes: rng.pick(&["10%", "0", "2", "100%"]).to_string(),
            schedule: None,
            duration: None,
            reasons: if rng.chance(50) {
                rng.some(&["Underutilized".to_string(), "Empty".to_string(), "Drifted".to_string()])
            } else {
                vec![]
            },
        })
        .collect();
    if rng.chance(30) {
        out.push(Budget {
            nodes: "0".to_string(),
            schedule: Some("0 9 * * mon-fri".to_string()),
            duration: Some("8h".to_string()),
            reasons: vec![],
        });
    }
    out
}

/// A random valid plan.
/// A small inline trace: a header, a comment, and a few rows with and without token columns.
fn trace_csv(seed: u64) -> String {
    let mut csv = String::from("t_s,requests_per_s,input_tokens,output_tokens\n# generated\n");
    for i in 0..(3 + seed % 5) {
        let tokens = if i.is_multiple_of(2) { format!("{},{}", 512 + i * 64, 128) } else { ",".to_string() };
        csv += &format!("{},{}.{},{tokens}\n", i * 600, seed % 7 + i, i % 10);
    }
    csv
}

pub fn plan(seed: u64) -> Plan {
    let rng = &mut Rng::new(seed);
    let mut plan = Plan::minimal(&format!("random-{seed}"));
    plan.metadata.description = rng.chance(50).then(|| format!("Generated plan {seed}: \"quoted\" and: colons"));
    plan.spec.region = rng.pick(REGIONS).to_string();
    if rng.chance(70) {
        plan.spec.cluster = Some(Cluster {
            name: format!("cluster-{}", rng.below(100)),
            node_role: rng.chance(30).then(|| "arn-free-role-name".to_string()),
        });
    }
    let baseline = rng.below(50) as f64 / 2.0;
    plan.spec.workload = Workload {
        requests_per_second: RequestRate { baseline, peak: baseline + rng.below(40) as f64 },
        // Half the traces inline (decided by the seed, so the generator's draws stay as they were).
        trace: rng.chance(10).then(|| {
            if seed.is_multiple_of(2) {
                TraceRef::file("traces/day.csv")
            } else {
                TraceRef::inline(trace_csv(seed))
            }
        }),
        input_tokens: TokenDistribution { mean: 1.0 + rng.below(4000) as f64, p90: rng.chance(70).then_some(6000.0) },
        output_tokens: TokenDistribution { mean: 1.0 + rng.below(1000) as f64, p90: rng.chance(70).then_some(1500.5) },
        slos: (0..rng.below(3))
            .map(|i| Slo {
                metric: [SloMetric::Ttft, SloMetric::Tpot, SloMetric::E2e][i as usize],
                percentile: *rng.pick(&[50.0, 90.0, 95.0, 99.0, 99.9]),
                limit_ms: 1.0 + rng.below(5000) as f64,
            })
            .collect(),
        // Decided by the seed, so the generator's draws stay as they were.
        request_timeout_seconds: (seed % 7 == 3).then_some(30.0 + (seed % 5) as f64 * 45.5),
    };
    let class_count = 1 + rng.below(2) as usize;
    for i in 0..class_count {
        let reservations = (0..rng.below(3))
            .map(|j| CapacityReservation {
                id: format!("cr-0{j}{:x}", rng.below(1 << 20)),
                kind: rng.pick(&["odcr", "capacity-block"]).to_string(),
                instance_type: rng.pick(GPU_TYPES).to_string(),
                count: 1 + rng.below(4) as u32,
                availability_zone: rng
                    .chance(40)
                    .then(|| format!("{}{}", plan.spec.region, rng.pick(&["a", "b", "c"]))),
                end_time: rng
                    .chance(30)
                    .then(|| format!("2026-12-{:02}T{:02}:30:00Z", 1 + rng.below(28), rng.below(24))),
            })
            .collect();
        let ami = rng.pick(&["bottlerocket", "al2023"]).to_string();
        // Start-up levers: an image cache (Bottlerocket's data volume), SOCI parallel pull.
        let image_cache = (ami == "bottlerocket" && rng.chance(30)).then(|| ImageCache {
            snapshot_id: format!("snap-{:017x}", rng.next() >> 4),
            images: if rng.chance(50) {
                rng.some(&["vllm/vllm-openai:v0.11.0".to_string(), "registry.example/vllm:custom".to_string()])
            } else {
                vec![]
            },
        });
        let image_pull = if rng.chance(40) { ImagePull::Parallel } else { ImagePull::Default };
        plan.spec.node_classes.push(NodeClass {
            name: format!("class-{i}"),
            ami,
            disk_gib: rng.chance(50).then(|| 50 + rng.below(1000) as u32),
            capacity_reservations: reservations,
            image_cache,
            image_pull,
        });
    }
    let pool_count = 1 + rng.below(4) as usize;
    for i in 0..pool_count {
        let neuron = rng.chance(25);
        let mut limits = BTreeMap::new();
        if rng.chance(50) {
            let resource = if neuron { "aws.amazon.com/neuron" } else { "nvidia.com/gpu" };
            limits.insert(resource.to_string(), (1 + rng.below(64)).to_string());
        }
        if rng.chance(30) {
            limits.insert("cpu".to_string(), format!("{}", 100 + rng.below(2000)));
        }
        if rng.chance(20) {
            limits.insert("memory".to_string(), format!("{}Gi", 1000 + rng.below(20000)));
        }
        let mut labels = BTreeMap::new();
        if rng.chance(40) {
            labels.insert("team".to_string(), "ml-platform".to_string());
        }
        plan.spec.node_pools.push(NodePool {
            mig_profile: None,
            replicas: None,
            name: name(rng, "pool", i),
            weight: rng.chance(70).then(|| 1 + rng.below(100) as u32),
            capacity_types: {
                let mut c = rng.some(&[CapacityType::Reserved, CapacityType::Spot, CapacityType::OnDemand]);
                c.sort();
                c
            },
            instance_families: if rng.chance(70) {
                rng.some(if neuron { NEURON_FAMILIES } else { GPU_FAMILIES }).iter().map(|s| s.to_string()).collect()
            } else {
                vec![]
            },
            instance_types: if rng.chance(30) && !neuron {
                rng.some(GPU_TYPES).iter().map(|s| s.to_string()).collect()
            } else {
                vec![]
            },
            limits,
            taints: if rng.chance(60) {
                let key = if neuron { "aws.amazon.com/neuron" } else { "nvidia.com/gpu" };
                vec![Taint {
                    key: key.to_string(),
                    value: rng.chance(30).then(|| "true".to_string()),
                    effect: rng.pick(&["NoSchedule", "NoExecute", "PreferNoSchedule"]).to_string(),
                }]
            } else {
                vec![]
            },
            labels,
            consolidation: Consolidation {
                policy: rng.pick(POLICIES).to_string(),
                after: Some(rng.pick(DURATIONS).to_string()),
            },
            budgets: budgets(rng),
            expire_after: rng.chance(50).then(|| rng.pick(&["720h", "Never", "168h"]).to_string()),
            node_class: format!("class-{}", rng.below(class_count as u64)),
        });
    }
    // Pool names must be unique.
    let mut seen = std::collections::BTreeSet::new();
    for (i, pool) in plan.spec.node_pools.iter_mut().enumerate() {
        if !seen.insert(pool.name.clone()) {
            pool.name = format!("pool-dup{i}");
            seen.insert(pool.name.clone());
        }
    }
    let pool_names: Vec<String> = plan.spec.node_pools.iter().map(|p| p.name.clone()).collect();
    for i in 0..(1 + rng.below(3) as usize) {
        let engine = if rng.chance(20) { "neuron" } else { "vllm" };
        let mode = if rng.chance(25) { Mode::Disaggregated } else { Mode::Monolithic };
        let stage = |rng: &mut Rng| Stage {
            tensor_parallel: rng.chance(50).then(|| *rng.pick(&[1u32, 2, 4, 8])),
            replicas: bounds(rng),
            node_pool: rng.chance(50).then(|| rng.pick(&pool_names).clone()),
            warm_capacity: None,
        };
        let (prefill, decode) =
            if mode == Mode::Disaggregated { (Some(stage(rng)), Some(stage(rng))) } else { (None, None) };
        let metrics: Vec<ScalingMetric> = (0..1 + rng.below(3))
            .map(|_| {
                let metric = *rng.pick(&MetricKind::ALL);
                let target = match metric {
                    MetricKind::KvCacheUsage => 0.8,
                    MetricKind::Ttft => 750.0,
                    MetricKind::QueueDepth | MetricKind::RunningRequests => 1.0 + rng.below(30) as f64,
                    _ => 60.0 + rng.below(30) as f64,
                };
                ScalingMetric { metric, target }
            })
            .collect();
        let autoscaler = rng.chance(70).then(|| Autoscaler {
            kind: if rng.chance(50) { AutoscalerKind::Hpa } else { AutoscalerKind::Keda },
            cooldown_period_seconds: None,
            metrics,
            behavior: rng.chance(50).then(|| ScalingBehavior {
                scale_up_stabilization_seconds: rng.chance(50).then(|| rng.below(120) as u32),
                scale_down_stabilization_seconds: rng.chance(50).then(|| rng.below(900) as u32),
                scale_up_pods_per_period: rng.chance(50).then(|| 1 + rng.below(4) as u32),
            }),
            polling_interval_seconds: rng.chance(30).then(|| 5 + rng.below(60) as u32),
            prometheus_address: rng.chance(30).then(|| "http://prometheus.monitoring:9090".to_string()),
        });
        let autoscaler = autoscaler.map(|mut a| {
            if a.kind == AutoscalerKind::Keda && rng.chance(30) {
                a.cooldown_period_seconds = Some(rng.below(3600) as u32);
            }
            a
        });
        let mut node_selector = BTreeMap::new();
        if rng.chance(20) {
            node_selector.insert("karpenter.sh/capacity-type".to_string(), "spot".to_string());
        }
        let tolerations = if rng.chance(70) {
            vec![Toleration {
                key: if engine == "neuron" { "aws.amazon.com/neuron" } else { "nvidia.com/gpu" }.to_string(),
                operator: Some("Exists".to_string()),
                value: None,
                effect: rng.chance(50).then(|| "NoSchedule".to_string()),
            }]
        } else {
            vec![]
        };
        let weights = match rng.below(5) {
            0 => Some(Weights { node_cache: true, ..Weights::default() }),
            1 => Some(Weights {
                source: WeightsSource::S3Streamer,
                uri: Some(format!("s3://models-{i}/{}", rng.pick(&["llama", "qwen/7b"]))),
                ..Weights::default()
            }),
            2 => Some(Weights {
                source: WeightsSource::SharedFileSystem,
                volume_claim: Some(rng.pick(&["fsx-models", "models.shared"]).to_string()),
                ..Weights::default()
            }),
            _ => None,
        };
        let compile_cache = (engine == "neuron" && rng.chance(60)).then(|| {
            if rng.chance(50) {
                CompileCache { uri: Some("s3://neuron-cache/compiled".to_string()), volume_claim: None }
            } else {
                CompileCache { uri: None, volume_claim: Some("neuron-cache".to_string()) }
            }
        });
        plan.spec.deployments.push(Deployment {
            mig_profile: None,
            name: format!("model-{i}"),
            model: rng.pick(MODELS).to_string(),
            precision: rng.pick(&["bf16", "fp16", "fp8", "awq", "gptq", "int8"]).to_string(),
            engine: engine.to_string(),
            tensor_parallel: *rng.pick(&[1, 2, 4, 8]),
            replicas: bounds(rng),
            mode,
            prefill,
            decode,
            max_num_seqs: rng.chance(40).then(|| 1 + rng.below(512) as u32),
            // Within the smallest context of MODELS (8192 tokens).
            max_model_len: rng.chance(40).then(|| 1024 * (1 + rng.below(32) as u32 % 8)),
            gpu_memory_utilization: rng.chance(40).then(|| (50 + rng.below(45)) as f64 / 100.0),
            image: rng.chance(20).then(|| "registry.example/vllm:custom".to_string()),
            tolerations,
            node_selector,
            autoscaler,
            weights,
            compile_cache,
            warm_capacity: None,
        });
    }
    // Warm capacity is drawn last, so the plans of earlier seeds keep every other value.
    for pool in &mut plan.spec.node_pools {
        if rng.chance(15) {
            // A static NodePool: the CRD allows no weight and no limit but `nodes`.
            pool.replicas = Some(rng.below(4) as u32);
            pool.weight = None;
            pool.limits.retain(|k, _| k == "nodes");
            if rng.chance(50) {
                pool.limits.insert("nodes".to_string(), format!("{}", 2 + rng.below(6)));
            }
        }
    }
    for d in &mut plan.spec.deployments {
        let warm = |rng: &mut Rng| {
            rng.chance(30)
                .then(|| WarmCapacity { kind: *rng.pick(&WarmCapacityKind::ALL), replicas: rng.below(4) as u32 })
        };
        match d.mode {
            Mode::Disaggregated => {
                for stage in [d.prefill.as_mut(), d.decode.as_mut()].into_iter().flatten() {
                    stage.warm_capacity = warm(rng);
                }
            }
            Mode::Monolithic => d.warm_capacity = warm(rng),
        }
    }
    // Decided by the seed, so the generator's draws stay as they were.
    if seed % 4 == 1 {
        let ri = Commitment {
            term_years: seed.is_multiple_of(3).then_some(3),
            payment_option: (seed % 2 == 1).then(|| "All Upfront".to_string()),
            ..Commitment::reserved_instances(
                &format!("ri-{seed}"),
                GPU_TYPES[seed as usize % GPU_TYPES.len()],
                1 + (seed % 3) as u32,
                0.25 + (seed % 9) as f64 * 0.375,
            )
        };
        let plan_type = if seed % 8 == 1 { "Compute" } else { "EC2Instance" };
        let sp = Commitment {
            instance_family: (plan_type == "EC2Instance").then(|| "g6e".to_string()),
            ..Commitment::savings_plan(&format!("Compute SP {seed}"), plan_type, 1, "No Upfront", 1.5)
        };
        plan.spec.commitments = if seed.is_multiple_of(3) { vec![ri] } else { vec![ri, sp] };
    }
    plan
}

/// `source` with up to `max_edits + 1` small random edits: a character removed, or one of `pieces`
/// inserted. Used by the reader oracles to make near-miss documents.
pub fn mutate_text(rng: &mut Rng, source: &str, pieces: &[&str], max_edits: u64) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    for _ in 0..=rng.below(max_edits) {
        let at = rng.below(chars.len() as u64 + 1) as usize;
        match rng.below(3) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            _ => {
                let piece: Vec<char> = rng.pick(pieces).chars().collect();
                chars.splice(at..at, piece);
            }
        }
    }
    chars.into_iter().collect()
}
