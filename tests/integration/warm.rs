//! Warm capacity end to end: the exported documents (shape, schemas, feature-gate notes), import back,
//! validation errors that name the field, and a bursty day with each kind against none and against
//! more running replicas.

use serde_json::Value;
use tokenfleet_core::examples::EXAMPLES;
use tokenfleet_core::manifest::{self, import};
use tokenfleet_core::optimize::{warm_capacity_variants, with_warm_capacity, WarmVariant};
use tokenfleet_core::plan::tree;
use tokenfleet_core::plan::{self, Plan, WarmCapacity, WarmCapacityKind};
use tokenfleet_core::sim::{self, PlanInputs, SimOptions};

use crate::schema::Schemas;

fn example(name: &str) -> Plan {
    plan::parse_plan(EXAMPLES.iter().find(|(n, _)| n.contains(name)).unwrap().1).unwrap()
}

/// spiky-spot-burst with every kind: a static copy of its on-demand pool, placeholders for chat, and
/// the disaggregated example's stages with a buffer (decode) and placeholders (prefill).
fn plans_with_every_kind() -> Vec<Plan> {
    let spiky = with_warm_capacity(&example("spiky-spot-burst"), "chat", 2, WarmVariant::StaticNodePool).unwrap();
    let mut spiky = with_warm_capacity(&spiky, "chat", 1, WarmVariant::PlaceholderPods).unwrap();
    spiky.spec.node_pools.sort_by_key(|p| p.replicas.is_some());
    let mut disagg = example("disaggregated");
    let d = disagg.spec.deployments.iter_mut().find(|d| d.prefill.is_some()).unwrap();
    d.decode.as_mut().unwrap().warm_capacity =
        Some(WarmCapacity { kind: WarmCapacityKind::CapacityBuffer, replicas: 1 });
    d.prefill.as_mut().unwrap().warm_capacity =
        Some(WarmCapacity { kind: WarmCapacityKind::PlaceholderPods, replicas: 2 });
    vec![spiky, disagg]
}

fn documents(plan: &Plan) -> Vec<Value> {
    let stream = manifest::render_stream(plan);
    tree::parse_stream(&stream).unwrap().iter().map(|d| serde_json::to_value(d.to_doc()).unwrap()).collect()
}

#[test]
fn each_kind_is_exported_as_what_it_is() {
    for plan in plans_with_every_kind() {
        assert_eq!(plan::validate(&plan), vec![]);
        let docs = documents(&plan);
        let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "PriorityClass").count(), 1, "one PriorityClass: {kinds:?}");
        let class = docs.iter().find(|d| d["kind"] == "PriorityClass").unwrap();
        assert!(class["value"].as_i64().unwrap() < 0 && class["preemptionPolicy"] == "Never");
        assert_eq!(class["globalDefault"], false);
        for d in docs.iter().filter(|d| d["kind"] == "Deployment") {
            let name = d["metadata"]["name"].as_str().unwrap();
            let pod = &d["spec"]["template"]["spec"];
            let Some(served) = name.strip_suffix("-placeholder") else { continue };
            let serving = docs.iter().find(|x| x["kind"] == "Deployment" && x["metadata"]["name"] == served).unwrap();
            let serving_pod = &serving["spec"]["template"]["spec"];
            assert_eq!(pod["priorityClassName"], "tokenfleet-placeholder");
            assert_eq!(pod["terminationGracePeriodSeconds"], 0);
            assert_eq!(pod["tolerations"], serving_pod["tolerations"], "{name}");
            assert_eq!(pod["nodeSelector"], serving_pod["nodeSelector"], "{name}");
            assert!(pod["containers"][0]["image"].as_str().unwrap().starts_with("registry.k8s.io/pause"));
            assert_eq!(pod["initContainers"][0]["image"], serving_pod["containers"][0]["image"], "pre-pull");
            assert_eq!(
                pod["containers"][0]["resources"]["requests"], serving_pod["containers"][0]["resources"]["requests"],
                "{name}: the same shape"
            );
            // Not an endpoint of the serving Service, not covered by its PodDisruptionBudget.
            assert_ne!(d["spec"]["selector"], serving["spec"]["selector"]);
        }
        for b in docs.iter().filter(|d| d["kind"] == "CapacityBuffer") {
            assert_eq!(b["apiVersion"], "autoscaling.x-k8s.io/v1beta1");
            assert_eq!(b["spec"]["scalableRef"]["kind"], "Deployment");
            let target = b["spec"]["scalableRef"]["name"].as_str().unwrap();
            assert!(docs.iter().any(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == target));
            let note = b["metadata"]["annotations"]["tokenfleet.dev/karpenter-feature-gate"].as_str().unwrap();
            assert!(note.contains("CapacityBuffer=true"), "{note}");
        }
        for p in docs.iter().filter(|d| d["kind"] == "NodePool" && d["spec"].get("replicas").is_some()) {
            assert!(p["spec"].get("weight").is_none());
            let note = p["metadata"]["annotations"]["tokenfleet.dev/karpenter-feature-gate"].as_str().unwrap();
            assert!(note.contains("StaticCapacity=true"), "{note}");
        }
    }
    let kinds: Vec<String> =
        plans_with_every_kind().iter().flat_map(documents).map(|d| d["kind"].as_str().unwrap().to_string()).collect();
    for kind in ["CapacityBuffer", "PriorityClass", "NodePool"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} missing");
    }
}

#[test]
fn each_kind_validates_against_its_schema() {
    let Some(reference) = tokenfleet_tests::shared_reference() else { return };
    let schemas = Schemas::load(&reference.join("schemas"));
    for plan in plans_with_every_kind() {
        for doc in documents(&plan) {
            let kind = doc["kind"].as_str().unwrap();
            let errors = schemas.validate(&doc);
            assert!(errors.is_empty(), "{kind} {}: {errors:?}", doc["metadata"]["name"]);
        }
    }
}

#[test]
fn each_kind_imports_back_byte_for_byte() {
    for plan in plans_with_every_kind() {
        let first = manifest::render_stream(&plan);
        let imported = import::import_yaml("export.yaml", &first).unwrap();
        assert!(imported.findings.iter().all(|f| f.code != "TF031"), "{:#?}", imported.findings);
        assert_eq!(manifest::render_stream(&imported.plan), first);
        let warm = |p: &Plan| {
            p.spec.deployments.iter().flat_map(|d| d.fleets()).map(|f| (f.name, f.warm_capacity)).collect::<Vec<_>>()
        };
        assert_eq!(warm(&imported.plan), warm(&plan));
        let pools = |p: &Plan| p.spec.node_pools.iter().map(|x| (x.name.clone(), x.replicas)).collect::<Vec<_>>();
        assert_eq!(pools(&imported.plan), pools(&plan));
    }
}

#[test]
fn validation_names_the_field() {
    let mut plan = with_warm_capacity(&example("spiky-spot-burst"), "chat", 1, WarmVariant::StaticNodePool).unwrap();
    let i = plan.spec.node_pools.iter().position(|p| p.replicas.is_some()).unwrap();
    plan.spec.node_pools[i].weight = Some(10);
    plan.spec.node_pools[i].limits.insert("nvidia.com/gpu".into(), "8".into());
    let errors: Vec<String> = plan::validate(&plan).iter().map(|e| e.to_string()).collect();
    assert!(errors.iter().any(|e| e.starts_with(&format!("spec.nodePools[{i}].weight: 'weight' is not supported"))));
    assert!(errors
        .iter()
        .any(|e| e.starts_with(&format!("spec.nodePools[{i}].limits.nvidia.com/gpu: only 'limits.nodes'"))));

    let mut disagg = example("disaggregated");
    let j = disagg.spec.deployments.iter().position(|d| d.prefill.is_some()).unwrap();
    disagg.spec.deployments[j].warm_capacity =
        Some(WarmCapacity { kind: WarmCapacityKind::CapacityBuffer, replicas: 1 });
    let errors: Vec<String> = plan::validate(&disagg).iter().map(|e| e.to_string()).collect();
    assert!(
        errors.iter().any(|e| e.starts_with(&format!("spec.deployments[{j}].warmCapacity: a disaggregated"))),
        "{errors:?}"
    );

    let mut clash = with_warm_capacity(&example("spiky-spot-burst"), "chat", 1, WarmVariant::PlaceholderPods).unwrap();
    let mut other = clash.spec.deployments[0].clone();
    other.name = "chat-placeholder".into();
    other.warm_capacity = None;
    clash.spec.deployments.push(other);
    let errors: Vec<String> = plan::validate(&clash).iter().map(|e| e.to_string()).collect();
    assert!(
        errors.iter().any(|e| e.starts_with(
            "spec.deployments[1].name: \"chat-placeholder\" is also the name of deployment \"chat\"'s placeholder pods"
        )),
        "{errors:?}"
    );

    let text = EXAMPLES.iter().find(|(n, _)| n.contains("quickstart")).unwrap().1;
    let text = text.replacen("    - name: ", "    - warmCapacity: {kind: spare, replicas: 1}\n      name: ", 1);
    let e = plan::parse_plan(&text).unwrap_err();
    assert!(e.to_string().contains("warmCapacity.kind"), "{e}");
}

#[test]
fn lint_names_the_fields_and_stops_asking_for_warm_capacity() {
    let mut seen = 0;
    for (name, text) in EXAMPLES {
        let plan = plan::parse_plan(text).unwrap();
        let findings = tokenfleet_core::lint::lint_plan(&plan);
        for tf048 in findings.iter().filter(|f| f.code == "TF048") {
            seen += 1;
            assert!(tf048.fix.contains("warmCapacity") && tf048.fix.contains("nodePools[].replicas"), "{tf048:?}");
            let i: usize = tf048.path["spec.deployments[".len()..].split(']').next().unwrap().parse().unwrap();
            let deployment = &plan.spec.deployments[i].name;
            for (variant, p) in warm_capacity_variants(&plan, deployment, 1).unwrap() {
                if variant == WarmVariant::MinReplicas {
                    continue;
                }
                let after = tokenfleet_core::lint::lint_plan(&p);
                assert!(
                    after.iter().all(|f| !(f.code == "TF048" && f.path == tf048.path)),
                    "{name} {variant:?}: {after:#?}"
                );
            }
        }
    }
    assert!(seen > 0, "no example gets TF048 any more: the test checks nothing");
}

/// Placement (the static bands, `tokenfleet plan`) counts warm capacity's nodes in the node count and
/// the cost, and a static pool's nodes whether used or not.
#[test]
fn placement_counts_warm_capacity_in_nodes_and_cost() {
    let plan = example("spiky-spot-burst");
    let none = tokenfleet_core::place::evaluate(&plan);
    let replicas = |o: &tokenfleet_core::place::Outcome| o.deployments.iter().map(|d| d.replicas).sum::<u32>();
    for (variant, p) in warm_capacity_variants(&plan, "chat", 2).unwrap() {
        let o = tokenfleet_core::place::evaluate(&p);
        assert!(o.summary.cost_usd_per_hour >= none.summary.cost_usd_per_hour, "{variant:?}");
        if variant != WarmVariant::MinReplicas {
            assert_eq!(replicas(&o), replicas(&none), "{variant:?}: warm capacity is not replicas");
        }
        if matches!(variant, WarmVariant::CapacityBuffer | WarmVariant::PlaceholderPods) {
            assert_eq!(o.summary.warm_devices, 2, "{variant:?}");
            // Free room on the baseline's nodes (two single-GPU replicas on a 4-GPU spot node) holds
            // them here at no extra cost.
        }
        if variant == WarmVariant::StaticNodePool {
            let pool = p.spec.node_pools.iter().find(|x| x.replicas.is_some()).unwrap();
            let placed = o.pools.iter().find(|x| x.name == pool.name).unwrap();
            assert_eq!(placed.nodes.iter().map(|g| g.count).sum::<u32>(), pool.replicas.unwrap(), "{placed:?}");
        }
    }
}

#[test]
fn each_kind_simulates_with_requests_conserved() {
    for plan in plans_with_every_kind() {
        let sc = sim::from_plan(&plan, &PlanInputs::for_plan(&plan)).unwrap();
        let options = SimOptions { duration_s: 6.0 * 3600.0, step_s: 1.0, series_step_s: 60.0, seed: 3 };
        let s = sim::simulate(&sc, &options).unwrap().summary;
        assert_eq!(s.requests_arrived, s.requests_served + s.requests_queued_at_end + s.requests_dropped);
        assert!(s.cost_usd > 0.0 && s.peak_nodes > 0);
    }
}

/// A bursty day (spiky-spot-burst, bursts to 2 × the declared peak) with two more replicas' worth of
/// warm capacity as each kind. Prints the figures the report quotes; asserts what must hold.
#[test]
fn a_bursty_day_with_each_kind() {
    let plan = example("spiky-spot-burst");
    let mut inputs = PlanInputs::for_plan(&plan);
    inputs.burst_ceiling_x_peak = 2.0;
    let options = SimOptions { duration_s: 86_400.0, step_s: 1.0, series_step_s: 60.0, seed: 7 };
    let run = |p: &Plan| {
        let sc = sim::from_plan(p, &inputs).unwrap();
        let started = std::time::Instant::now();
        let s = sim::simulate(&sc, &options).unwrap().summary;
        (s, started.elapsed().as_secs_f64())
    };
    let (none, _) = run(&plan);
    let key = "ttft_p95_le_2000ms";
    let mut rows = vec![("none".to_string(), none.clone())];
    for (variant, p) in warm_capacity_variants(&plan, "chat", 2).unwrap() {
        let (s, _) = run(&p);
        rows.push((format!("{variant:?}"), s));
    }
    for (name, s) in &rows {
        let l = &s.latency["chat"];
        eprintln!(
            "warm {name:>16}: ttft p95 {:>5.0} ms p99 {:>6.0} ms, {key} {:.4}, dropped {:>5}, cost {:>7.2} USD/day, \
             pod start mean {:>5.1} s max {:>5.0} s, nodes launched {}",
            l.ttft_p95_ms,
            l.ttft_p99_ms,
            s.slo_attainment[key],
            s.requests_dropped,
            s.cost_usd,
            s.pod_startup_s_mean,
            s.pod_startup_s_max,
            s.nodes_launched
        );
    }
    // Spare capacity shortens the average start of a burst's pods and the worst TTFTs. A static pool
    // sized for the baseline (and more minReplicas) is full by day, when the bursts come: it keeps the
    // baseline on nodes that are never consolidated, not headroom for a burst.
    let row = |name: &str| &rows.iter().find(|(n, _)| n == name).unwrap().1;
    for kind in ["CapacityBuffer", "PlaceholderPods"] {
        assert!(row(kind).pod_startup_s_mean < row("none").pod_startup_s_mean, "{kind}");
        assert!(row(kind).latency["chat"].ttft_p99_ms < row("none").latency["chat"].ttft_p99_ms, "{kind}");
        assert!(row(kind).cost_usd > row("none").cost_usd, "{kind}: the spare nodes are billed");
    }
}
