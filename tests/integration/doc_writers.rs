//! The hand-written writers of the Plan (core/src/doc/write.rs, core/src/plan/write.rs) against the
//! serde path they replaced (`doc::to_doc`, the serializer into a document, over the Plan types'
//! derived `Serialize`, which the CLI's JSON output still uses): on every YAML and JSON file of the
//! repository (every node read as every type), on the examples, on generated and mutated plans and
//! on wholly random ones (random floats, empty and full collections, every variant), both must
//! write the same document, and so the same YAML and JSON bytes.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::Serialize;
use tokenfleet_core::catalog::CapacityType;
use tokenfleet_core::doc::{self, write::ToDoc, Doc};
use tokenfleet_core::node_read::{from_node, FromNode};
use tokenfleet_core::plan::*;
use tokenfleet_core::yaml::{self, Node};
use tokenfleet_core::{examples::EXAMPLES, share};

use crate::generate::{self, Rng};
use crate::node_readers::{assert_none, corpus, every_plan_type, mutate, nodes, nth_mut, sources};

/// A document as everything it is written as: its `Debug` text (so that `-0.0` differs from
/// `0.0`, which `==` would take as equal), compact and pretty JSON, and YAML.
fn texts(doc: &Doc) -> [String; 4] {
    [format!("{doc:?}"), doc.to_json(), doc.to_json_pretty(), yaml::to_yaml(doc)]
}

/// Where the serde path and the writer disagree on writing `value`, if they do.
fn disagreement<T: Serialize + ToDoc + Debug>(value: &T) -> Option<String> {
    let old = match doc::to_doc(value) {
        Ok(doc) => texts(&doc),
        Err(e) => return Some(format!("{value:?}: the serde path failed: {e}")),
    };
    let new = texts(&value.to_doc());
    (old != new).then(|| format!("{} {value:?}:\n old: {}\n new: {}", std::any::type_name::<T>(), old[1], new[1]))
}

/// `node` read as `T`, where it reads, written both ways.
fn read_and_write<T: FromNode + Serialize + ToDoc + Debug>(node: &Node) -> Option<String> {
    disagreement(&from_node::<T>(node).ok()?)
}

/// Writes `node`, read as every type the Plan is made of (where it reads as that type), both ways.
fn every_type(node: &Node) -> Vec<String> {
    every_plan_type!(read_and_write, node)
}

/// A share link or autosave of a plan's JSON, packed as `share` packs it.
fn pack(tag: &str, json: &str) -> String {
    let mut out = format!("{tag}.");
    share::base64url_encode(&miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9), &mut out);
    out
}

/// The whole plan as the app writes it: YAML, JSON, share link and autosave, byte for byte what
/// the serde path made of it.
fn plan_texts_agree(plan: &Plan) -> Option<String> {
    let old = doc::to_doc(plan).unwrap();
    let old_json = old.to_json();
    let old = [
        yaml::to_yaml(&old),
        old_json.clone(),
        pack(share::SHARE_VERSION, &old_json),
        pack(share::AUTOSAVE_VERSION, &old_json),
    ];
    let new = [plan.to_yaml(), plan.to_json(), share::encode_share(plan), share::encode_autosave(plan)];
    let differs = old.iter().zip(&new).position(|(old, new)| old != new)?;
    Some(format!("{}: text {differs} differs:\n old: {}\n new: {}", plan.metadata.name, old[differs], new[differs]))
}

#[test]
fn every_file_is_written_as_serde_wrote_it() {
    let (mut plans, mut failures) = (0, Vec::new());
    for (name, text) in &corpus() {
        let Ok(trees) = yaml::parse_stream(text) else { continue };
        for tree in &trees {
            if let Ok(plan) = from_node::<Plan>(tree) {
                plans += 1;
                failures.extend(plan_texts_agree(&plan));
            }
            for node in nodes(tree) {
                failures.extend(every_type(node).into_iter().map(|d| format!("{name} line {}: {d}", node.line)));
            }
        }
    }
    assert!(plans >= 6, "the corpus is too small: {plans} plans");
    assert_none(failures);
}

#[test]
fn examples_and_generated_plans_are_written_as_serde_wrote_them() {
    let mut failures = Vec::new();
    let examples = EXAMPLES.iter().map(|(_, text)| parse_plan(text).unwrap());
    for plan in examples.chain((0..300).map(generate::plan)) {
        failures.extend(disagreement(&plan));
        failures.extend(plan_texts_agree(&plan));
    }
    assert_none(failures);
}

#[test]
fn mutated_plans_are_written_as_serde_wrote_them() {
    let sources = sources();
    let rng = &mut Rng::new(91);
    let (mut failures, mut written) = (Vec::new(), 0);
    for round in 0..3000 {
        let mut tree = rng.pick(&sources).clone();
        for _ in 0..=rng.below(3) {
            let mut at = rng.below(nodes(&tree).len() as u64) as usize;
            if let Some(target) = nth_mut(&mut tree, &mut at) {
                mutate(rng, target);
            }
        }
        if let Ok(plan) = from_node::<Plan>(&tree) {
            written += 1;
            failures.extend(disagreement(&plan).map(|d| format!("round {round}: {d}")));
        }
        // And every type on a few nodes.
        let all = nodes(&tree);
        for _ in 0..5 {
            let node = *rng.pick(&all);
            failures.extend(every_type(node).into_iter().map(|d| format!("round {round}: {d}")));
        }
    }
    assert_none(failures);
    assert!(written > 300, "too few mutated trees read as plans: {written}");
}

/// Floats of every kind: whole, fractional, tiny, huge, negative zero, not finite, any bits.
fn float(rng: &mut Rng) -> f64 {
    const FLOATS: &[f64] = &[
        0.0,
        -0.0,
        1.0,
        0.1,
        1.5,
        -2.25,
        1e15,
        1e16,
        1e21,
        1e300,
        5e-324,
        2.5e-8,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    match rng.below(3) {
        0 => *rng.pick(FLOATS),
        1 => rng.below(1_000_000) as f64 / 1000.0,
        _ => f64::from_bits(rng.next()),
    }
}

fn text(rng: &mut Rng) -> String {
    const TEXTS: &[&str] =
        &["", "x", "a b", "12", "1.5", "true", "null", "~", "- x", "a: b", "a\"b\n\t\\c", "ünï 😀", "#c", " lead"];
    rng.pick(TEXTS).to_string()
}

fn opt<T>(rng: &mut Rng, make: impl FnOnce(&mut Rng) -> T) -> Option<T> {
    rng.chance(50).then(|| make(rng))
}

/// None, one or a few.
fn some<T>(rng: &mut Rng, mut make: impl FnMut(&mut Rng) -> T) -> Vec<T> {
    (0..*rng.pick(&[0, 0, 1, 3])).map(|_| make(rng)).collect()
}

fn texts_by_text(rng: &mut Rng) -> BTreeMap<String, String> {
    (0..*rng.pick(&[0, 0, 1, 3])).map(|_| (text(rng), text(rng))).collect()
}

fn u32_any(rng: &mut Rng) -> u32 {
    let any = rng.next() as u32;
    *rng.pick(&[0, 1, 7, u32::MAX, any])
}

fn bounds(rng: &mut Rng) -> ReplicaBounds {
    ReplicaBounds { min: u32_any(rng), max: u32_any(rng) }
}

/// A plan with every field drawn at random, valid or not: the writers must not care.
fn random_plan(rng: &mut Rng) -> Plan {
    let stage =
        |rng: &mut Rng| Stage { tensor_parallel: opt(rng, u32_any), replicas: bounds(rng), node_pool: opt(rng, text) };
    let deployment = |rng: &mut Rng| Deployment {
        name: text(rng),
        model: text(rng),
        precision: text(rng),
        engine: text(rng),
        tensor_parallel: u32_any(rng),
        replicas: bounds(rng),
        mode: *rng.pick(&[Mode::Monolithic, Mode::Disaggregated]),
        prefill: opt(rng, stage),
        decode: opt(rng, stage),
        max_num_seqs: opt(rng, u32_any),
        max_model_len: opt(rng, u32_any),
        gpu_memory_utilization: opt(rng, float),
        image: opt(rng, text),
        tolerations: some(rng, |rng| Toleration {
            key: text(rng),
            operator: opt(rng, text),
            value: opt(rng, text),
            effect: opt(rng, text),
        }),
        node_selector: texts_by_text(rng),
        autoscaler: opt(rng, |rng| Autoscaler {
            kind: *rng.pick(&[AutoscalerKind::Hpa, AutoscalerKind::Keda]),
            metrics: some(rng, |rng| ScalingMetric { metric: *rng.pick(&MetricKind::ALL), target: float(rng) }),
            behavior: opt(rng, |rng| ScalingBehavior {
                scale_up_stabilization_seconds: opt(rng, u32_any),
                scale_down_stabilization_seconds: opt(rng, u32_any),
                scale_up_pods_per_period: opt(rng, u32_any),
            }),
            polling_interval_seconds: opt(rng, u32_any),
            prometheus_address: opt(rng, text),
        }),
    };
    let pool = |rng: &mut Rng| NodePool {
        name: text(rng),
        weight: opt(rng, u32_any),
        capacity_types: some(rng, |rng| *rng.pick(&CapacityType::ALL)),
        instance_families: some(rng, text),
        instance_types: some(rng, text),
        limits: texts_by_text(rng),
        taints: some(rng, |rng| Taint { key: text(rng), value: opt(rng, text), effect: text(rng) }),
        labels: texts_by_text(rng),
        consolidation: Consolidation { policy: text(rng), after: opt(rng, text) },
        budgets: some(rng, |rng| Budget {
            nodes: text(rng),
            schedule: opt(rng, text),
            duration: opt(rng, text),
            reasons: some(rng, text),
        }),
        expire_after: opt(rng, text),
        node_class: text(rng),
    };
    let class = |rng: &mut Rng| NodeClass {
        name: text(rng),
        ami: text(rng),
        disk_gib: opt(rng, u32_any),
        capacity_reservations: some(rng, |rng| CapacityReservation {
            id: text(rng),
            kind: text(rng),
            instance_type: text(rng),
            count: u32_any(rng),
        }),
    };
    let tokens = |rng: &mut Rng| TokenDistribution { mean: float(rng), p90: opt(rng, float) };
    Plan {
        api_version: text(rng),
        kind: text(rng),
        metadata: Metadata { name: text(rng), description: opt(rng, text) },
        spec: PlanSpec {
            region: text(rng),
            cluster: opt(rng, |rng| Cluster { name: text(rng), node_role: opt(rng, text) }),
            workload: Workload {
                requests_per_second: RequestRate { baseline: float(rng), peak: float(rng) },
                trace: opt(rng, |rng| TraceRef { file: opt(rng, text), csv: opt(rng, text).map(Into::into) }),
                input_tokens: tokens(rng),
                output_tokens: tokens(rng),
                slos: some(rng, |rng| Slo {
                    metric: *rng.pick(&[SloMetric::Ttft, SloMetric::Tpot, SloMetric::E2e]),
                    percentile: float(rng),
                    limit_ms: float(rng),
                }),
            },
            deployments: some(rng, deployment),
            node_pools: some(rng, pool),
            node_classes: some(rng, class),
        },
    }
}

#[test]
fn random_plans_are_written_as_serde_wrote_them() {
    let rng = &mut Rng::new(5);
    let mut failures: Vec<Option<String>> = Vec::new();
    for round in 0..3000 {
        let plan = random_plan(rng);
        failures.push(disagreement(&plan).map(|d| format!("round {round}: {d}")));
        failures.push(plan_texts_agree(&plan).map(|d| format!("round {round}: {d}")));
        // The parts the manifests write on their own.
        failures.push(disagreement(&plan.spec.workload));
        for pool in &plan.spec.node_pools {
            failures.extend([disagreement(&pool.taints), disagreement(&pool.budgets), disagreement(&pool.limits)]);
        }
        for deployment in &plan.spec.deployments {
            failures.push(disagreement(&deployment.tolerations));
        }
    }
    assert_none(failures.into_iter().flatten().collect());
}

#[test]
fn every_variant_is_written_as_serde_wrote_it() {
    let mut failures: Vec<Option<String>> = Vec::new();
    failures.extend([SloMetric::Ttft, SloMetric::Tpot, SloMetric::E2e].iter().map(disagreement));
    failures.extend([Mode::Monolithic, Mode::Disaggregated].iter().map(disagreement));
    failures.extend([AutoscalerKind::Hpa, AutoscalerKind::Keda].iter().map(disagreement));
    failures.extend(MetricKind::ALL.iter().map(disagreement));
    failures.extend(CapacityType::ALL.iter().map(disagreement));
    assert_none(failures.into_iter().flatten().collect());
}
