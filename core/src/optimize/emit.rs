//! Turning a candidate into a complete Plan (deployments, NodePools, node classes, autoscalers), and
//! the SLO check that re-derives, from the emitted plan alone, that every deployment meets the SLOs
//! at peak.

use std::collections::BTreeMap;

use serde::Serialize;

use super::disagg;
use super::{Assignment, Candidate, CapacityStrategy, OptimizeInput};
use crate::catalog::{self, CapacityType, InstanceType};
use crate::perf::{self, EstimateInput, Percentiles, Precision};
use crate::place::{pool_instance_types, pool_rejects};
use crate::plan::{
    Autoscaler, AutoscalerKind, CapacityReservation, Consolidation, Deployment, Metadata, MetricKind, Mode, NodeClass,
    NodePool, Plan, PlanSpec, ReplicaBounds, ScalingBehavior, ScalingMetric, Stage, Taint, Toleration,
};

/// The node label that pins each recommended deployment to its own NodePools.
pub const DEPLOYMENT_LABEL: &str = "tokenfleet.dev/deployment";

/// Placeholder reservation ids: replace them with the ids of the reservations you buy.
pub use crate::plan::RESERVATION_PLACEHOLDER;

fn quantity(count: u32) -> String {
    count.to_string()
}

fn pool(name: String, weight: u32, capacity: Vec<CapacityType>, a: &Assignment, nodes: u32, class: &str) -> NodePool {
    let t = catalog::instance_type(&a.instance_type);
    let resource = t.map_or("nvidia.com/gpu", |t| t.device_resource());
    let devices = t.map_or(0, |t| t.accelerator_count);
    let mut limits = BTreeMap::new();
    limits.insert(resource.to_string(), quantity(nodes.max(1) * devices));
    let mut labels = BTreeMap::new();
    labels.insert(DEPLOYMENT_LABEL.to_string(), a.deployment.clone());
    let reserved = capacity == [CapacityType::Reserved];
    NodePool {
        mig_profile: None,
        replicas: None,
        name,
        weight: Some(weight),
        capacity_types: capacity,
        instance_families: Vec::new(),
        instance_types: vec![a.instance_type.clone()],
        limits,
        taints: vec![Taint { key: resource.to_string(), value: None, effect: "NoSchedule".to_string() }],
        labels,
        consolidation: Consolidation {
            // Reserved capacity is paid for whether used or not: only empty nodes are given back.
            policy: if reserved { "WhenEmpty" } else { "WhenEmptyOrUnderutilized" }.to_string(),
            after: Some(if reserved { "30m" } else { "5m" }.to_string()),
        },
        budgets: Vec::new(),
        expire_after: None,
        node_class: class.to_string(),
    }
}

/// A complete plan for a candidate, on top of the input's metadata, cluster and workload.
pub(super) fn build_plan(input: &OptimizeInput, c: &Candidate) -> Plan {
    let base = &input.base_plan;
    let mut name: String = base.metadata.name.chars().take(51).collect();
    name = name.trim_end_matches(['-', '.']).to_string();
    if name.is_empty() {
        name = "plan".to_string();
    }
    let mut node_classes = vec![NodeClass::new("default", "bottlerocket")];
    let mut node_pools = Vec::new();
    let mut deployments = Vec::new();
    if c.mode == "disaggregated" {
        disaggregated(input, c, &mut deployments, &mut node_pools);
    }
    for (i, a) in c.assignments.iter().enumerate().filter(|_| c.mode != "disaggregated") {
        let burst_nodes = a.nodes_peak - a.nodes_baseline;
        match c.capacity {
            CapacityStrategy::ReservedBaselineSpotBurst | CapacityStrategy::ReservedBaselineOnDemandBurst => {
                let class = format!("{}-reserved", a.deployment);
                node_classes.push(NodeClass {
                    capacity_reservations: vec![CapacityReservation {
                        id: format!("{RESERVATION_PLACEHOLDER}{i}"),
                        kind: "odcr".to_string(),
                        instance_type: a.instance_type.clone(),
                        count: a.nodes_baseline,
                        availability_zone: None,
                        end_time: None,
                    }],
                    ..NodeClass::new(class.clone(), "bottlerocket")
                });
                node_pools.push(pool(
                    format!("{}-reserved", a.deployment),
                    100,
                    vec![CapacityType::Reserved],
                    a,
                    a.nodes_baseline,
                    &class,
                ));
                if burst_nodes > 0 {
                    let capacity = if c.capacity == CapacityStrategy::ReservedBaselineSpotBurst {
                        vec![CapacityType::Spot, CapacityType::OnDemand]
                    } else {
                        vec![CapacityType::OnDemand]
                    };
                    node_pools.push(pool(format!("{}-burst", a.deployment), 50, capacity, a, burst_nodes, "default"));
                }
            }
            CapacityStrategy::OnDemand => node_pools.push(pool(
                format!("{}-on-demand", a.deployment),
                50,
                vec![CapacityType::OnDemand],
                a,
                a.nodes_peak,
                "default",
            )),
            CapacityStrategy::SpotFirst => node_pools.push(pool(
                format!("{}-spot", a.deployment),
                50,
                vec![CapacityType::Spot, CapacityType::OnDemand],
                a,
                a.nodes_peak,
                "default",
            )),
        }
        deployments.push(deployment(input, c, a));
    }
    for p in node_pools.iter_mut().filter(|p| p.capacity_types.contains(&CapacityType::Spot)) {
        diversify_spot(p, input);
    }
    node_classes.sort_by(|a, b| a.name.cmp(&b.name));
    let description = format!(
        "Recommended by tokenfleet: {} ({} topology, {}); expected {:.2} USD/hour, {:.2} at peak.",
        c.name,
        c.topology,
        c.capacity.as_str(),
        c.cost_usd_per_hour,
        c.peak_usd_per_hour
    );
    let mut plan = Plan {
        api_version: base.api_version.clone(),
        kind: base.kind.clone(),
        metadata: Metadata { name, description: Some(description) },
        spec: PlanSpec {
            region: input.region.clone(),
            cluster: base.spec.cluster.clone(),
            workload: base.spec.workload.clone(),
            deployments,
            node_pools,
            node_classes,
            prices: base.spec.prices.clone(),
            // The account's Savings Plans and Reserved Instances bill the recommended plan too.
            commitments: base.spec.commitments.clone(),
            // The recommended NodePools are new: the node groups follow them (one per pool, type and
            // capacity type) while Cluster Autoscaler's settings stay.
            cluster_autoscaler: base
                .spec
                .cluster_autoscaler
                .clone()
                .map(|ca| crate::plan::ClusterAutoscaler { node_groups: vec![], ..ca }),
        },
    };
    carry_start_levers(base, &mut plan);
    if let Some(levers) = c.autoscaling.start_levers.levers() {
        plan = super::apply_start_levers(&plan, &levers);
    }
    let (warm, kind) = (c.autoscaling.warm_replicas, c.autoscaling.warm_kind);
    if warm > 0 && kind != super::WarmVariant::MinReplicas {
        let names: Vec<String> = plan.spec.deployments.iter().map(|d| d.name.clone()).collect();
        for name in names {
            // A kind that cannot hold a replica in the candidate's pools is not one of its choices
            // (`warm_choices` checks): the plan keeps no warm capacity then.
            if let Ok(with) = super::with_warm_capacity(&plan, &name, warm, kind) {
                plan = with;
            }
        }
    }
    plan
}

/// Whether the candidate's warm kind can be built for each of its deployments (a CapacityBuffer,
/// placeholder pods or a static NodePool need a pool type that holds one replica).
pub(super) fn warm_applies(input: &OptimizeInput, c: &Candidate) -> bool {
    let (warm, kind) = (c.autoscaling.warm_replicas, c.autoscaling.warm_kind);
    if warm == 0 || kind == super::WarmVariant::MinReplicas {
        return true;
    }
    let plain = Candidate { autoscaling: super::AutoscalingChoice { warm_replicas: 0, ..c.autoscaling }, ..c.clone() };
    let plan = build_plan(input, &plain);
    plan.spec.deployments.iter().all(|d| super::with_warm_capacity(&plan, &d.name, warm, kind).is_ok())
}

/// The start-up levers the input plan already uses stay: a deployment's weights source and Neuron
/// compile cache (from the input deployment of the same model, where the engine allows them), and the
/// node classes' image cache and pull mode (from the first input class that sets them).
fn carry_start_levers(base: &Plan, plan: &mut Plan) {
    for d in &mut plan.spec.deployments {
        let Some(from) = base.spec.deployments.iter().find(|b| b.model == d.model) else { continue };
        if d.weights.is_none() {
            d.weights.clone_from(&from.weights);
        }
        if d.compile_cache.is_none() && crate::place::sizing::is_neuron_engine(&d.engine) {
            d.compile_cache.clone_from(&from.compile_cache);
        }
    }
    let cache = base.spec.node_classes.iter().find_map(|c| c.image_cache.clone());
    let pull = base.spec.node_classes.iter().map(|c| c.image_pull).find(|p| *p != Default::default());
    for class in plan.spec.node_classes.iter_mut().filter(|c| c.ami == "bottlerocket") {
        if class.image_cache.is_none() {
            class.image_cache.clone_from(&cache);
        }
        if let Some(pull) = pull {
            class.image_pull = pull;
        }
    }
}

/// One disaggregated deployment: prefill and decode stages, each pinned to its own NodePool.
fn disaggregated(input: &OptimizeInput, c: &Candidate, deployments: &mut Vec<Deployment>, pools: &mut Vec<NodePool>) {
    let (Some(p), Some(d)) =
        (c.assignments.iter().find(|a| a.role == "prefill"), c.assignments.iter().find(|a| a.role == "decode"))
    else {
        return;
    };
    let capacity = if c.capacity == CapacityStrategy::SpotFirst {
        vec![CapacityType::Spot, CapacityType::OnDemand]
    } else {
        vec![CapacityType::OnDemand]
    };
    // Stages on the same instance type share one pool (their pods pack onto the same nodes).
    let shared = p.instance_type == d.instance_type;
    let pool_name = |a: &Assignment| {
        if shared {
            format!("{}-serving", a.deployment)
        } else {
            format!("{}-{}", a.deployment, a.role)
        }
    };
    let stage = |a: &Assignment| Stage {
        warm_capacity: None,
        tensor_parallel: Some(a.tensor_parallel),
        replicas: replica_bounds(c, a),
        node_pool: Some(pool_name(a)),
    };
    if shared {
        pools.push(pool(pool_name(d), 50, capacity.clone(), d, p.nodes_peak + d.nodes_peak, "default"));
    } else {
        for a in [p, d] {
            pools.push(pool(pool_name(a), 50, capacity.clone(), a, a.nodes_peak, "default"));
        }
    }
    let mut deployment = deployment(input, c, d);
    deployment.mode = Mode::Disaggregated;
    // The prefill stage's load shows in TTFT, the decode stage's in its running batch: the shared
    // autoscaler reads both (the higher proposal wins per stage).
    if let (Some(a), Some(ttft)) =
        (deployment.autoscaler.as_mut(), input.slos.iter().find(|s| s.metric == perf::SloMetric::TtftMs))
    {
        a.metrics
            .insert(0, ScalingMetric { metric: MetricKind::Ttft, target: (ttft.limit_ms * 0.67).round().max(1.0) });
    }
    deployment.prefill = Some(stage(p));
    deployment.decode = Some(stage(d));
    deployments.push(deployment);
}

/// Spot pools also allow up to three equivalent instance types (same accelerator and device memory, at
/// least the devices, vCPUs and memory of the chosen type, spot price per device within 25 % of it),
/// so Karpenter's price-capacity-optimised spot choice has pools to fall back on when one is
/// interrupted. Any pod that fits the chosen type fits them, at the same SLO rate per replica.
fn diversify_spot(pool: &mut NodePool, input: &OptimizeInput) {
    let Some(chosen) = pool.instance_types.first().and_then(|n| catalog::instance_type(n)) else { return };
    let Some(chip) = catalog::accelerator_of(chosen) else { return };
    let per_device = |t: &InstanceType| {
        input.price(&t.name, CapacityType::Spot).map(|p| p.usd_per_hour / t.accelerator_count.max(1) as f64)
    };
    let Some(chosen_per_device) = per_device(chosen) else { return };
    let mut alternates: Vec<(f64, &'static InstanceType)> = catalog::instance_types()
        .iter()
        .filter(|t| {
            t.name != chosen.name
                && t.accelerator_memory_mib == chosen.accelerator_memory_mib
                && t.accelerator_count >= chosen.accelerator_count
                && t.vcpu >= chosen.vcpu
                && t.memory_mib >= chosen.memory_mib
                && catalog::accelerator_of(t).is_some_and(|c| c.id == chip.id)
        })
        .filter_map(|t| per_device(t).filter(|usd| *usd <= chosen_per_device * 1.25).map(|usd| (usd, t)))
        .collect();
    alternates.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    pool.instance_types.extend(alternates.into_iter().take(3).map(|(_, t)| t.name.clone()));
}

/// min: the baseline replicas plus the candidate's warm replicas, at most the peak (0 when the
/// candidate scales to zero); max: the peak.
fn replica_bounds(c: &Candidate, a: &Assignment) -> ReplicaBounds {
    let max = a.replicas_peak.max(1);
    if c.autoscaling.scale_to_zero {
        return ReplicaBounds { min: 0, max };
    }
    let warm = if c.autoscaling.warm_kind == super::WarmVariant::MinReplicas { c.autoscaling.warm_replicas } else { 0 };
    ReplicaBounds { min: (a.replicas_baseline + warm).min(max), max }
}

fn deployment(input: &OptimizeInput, c: &Candidate, a: &Assignment) -> Deployment {
    let resource = catalog::instance_type(&a.instance_type).map_or("nvidia.com/gpu", |t| t.device_resource());
    let mut node_selector = BTreeMap::new();
    node_selector.insert(DEPLOYMENT_LABEL.to_string(), a.deployment.clone());
    let running_target = a.running_sequences_per_replica.round().max(1.0);
    Deployment {
        mig_profile: None,
        warm_capacity: None,
        name: a.deployment.clone(),
        model: input.model_name.clone(),
        precision: a.precision.clone(),
        engine: a.engine.clone(),
        tensor_parallel: a.tensor_parallel,
        replicas: replica_bounds(c, a),
        mode: Default::default(),
        prefill: None,
        decode: None,
        max_num_seqs: None,
        max_model_len: None,
        gpu_memory_utilization: None,
        image: None,
        tolerations: vec![Toleration {
            key: resource.to_string(),
            operator: Some("Exists".to_string()),
            value: None,
            effect: Some("NoSchedule".to_string()),
        }],
        node_selector,
        autoscaler: Some(Autoscaler {
            kind: AutoscalerKind::Keda,
            // Running requests grow with the load below capacity; a queue depth reads zero there, so it
            // only adds a push once a queue forms (alone it flaps).
            metrics: vec![
                ScalingMetric { metric: MetricKind::RunningRequests, target: running_target },
                ScalingMetric { metric: MetricKind::QueueDepth, target: 2.0 },
            ],
            behavior: Some(ScalingBehavior {
                scale_up_stabilization_seconds: Some(0),
                scale_down_stabilization_seconds: Some(c.autoscaling.scale_down_stabilization_s),
                scale_up_pods_per_period: Some((a.replicas_peak - a.replicas_baseline.min(a.replicas_peak)).max(2)),
            }),
            polling_interval_seconds: Some(c.autoscaling.keda_polling_interval_s),
            cooldown_period_seconds: c.autoscaling.keda_cooldown_period_s,
            prometheus_address: None,
        }),
        weights: None,
        compile_cache: None,
    }
}

/// Whether one request class of one deployment meets every SLO at peak, re-derived from the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloCheck {
    pub deployment: String,
    pub class: String,
    pub instance_type: String,
    /// Peak rate of this class spread over the deployment's maximum replicas.
    pub requests_per_s_per_replica: f64,
    /// Highest rate one replica serves within every SLO for this class.
    pub max_requests_per_s_per_replica: f64,
    /// Share of each replica's SLO capacity the deployment's classes use at peak (≤ 1 meets).
    pub load_fraction: f64,
    pub ttft_ms: Option<Percentiles>,
    pub tpot_ms: Option<Percentiles>,
    pub meets_slos: bool,
    /// Why not, when it does not.
    pub problem: Option<String>,
}

/// Re-checks a plan built from `assignments`: for every deployment, on every instance type its NodePools
/// allow, the classes it serves at peak, spread over `replicas.max`, stay within what one replica
/// serves within the SLOs. Uses only the plan's own fields (model, precision, tensor parallelism,
/// replicas, pools) and the classes' token counts and shares.
pub fn slo_check(plan: &Plan, input: &OptimizeInput, assignments: &[Assignment]) -> Vec<SloCheck> {
    let share_sum: f64 = input.classes.iter().map(|c| c.share).sum::<f64>().max(f64::MIN_POSITIVE);
    let mut out = Vec::new();
    for a in assignments {
        let fail = |class: &str, instance: &str, problem: String| SloCheck {
            deployment: a.deployment.clone(),
            class: class.to_string(),
            instance_type: instance.to_string(),
            requests_per_s_per_replica: 0.0,
            max_requests_per_s_per_replica: 0.0,
            load_fraction: f64::INFINITY,
            ttft_ms: None,
            tpot_ms: None,
            meets_slos: false,
            problem: Some(problem),
        };
        let Some(d) = plan.spec.deployments.iter().find(|d| d.name == a.deployment) else {
            out.push(fail("", "", format!("the plan has no deployment {}", a.deployment)));
            continue;
        };
        let Some(model) = catalog::model(&d.model) else {
            out.push(fail("", "", format!("model {} is not in the catalog", d.model)));
            continue;
        };
        let precision = crate::plan::precision_of(&d.precision);
        let Some(precision) = precision else {
            out.push(fail("", "", format!("unknown precision {}", d.precision)));
            continue;
        };
        if d.mode == Mode::Disaggregated {
            if a.role == "prefill" {
                out.extend(check_disaggregated(plan, input, d, precision));
            }
            continue;
        }
        let fleet = &d.fleets()[0];
        let mut types: Vec<&str> = plan
            .spec
            .node_pools
            .iter()
            .filter(|p| pool_rejects(p, d, fleet).is_none())
            .flat_map(|p| pool_instance_types(p).map(|t| t.name.as_str()))
            .collect();
        types.sort();
        types.dedup();
        if types.is_empty() {
            out.push(fail("", "", "no NodePool accepts the deployment".to_string()));
        }
        let classes: Vec<&super::RequestClass> = input.classes.iter().filter(|c| a.classes.contains(&c.name)).collect();
        let replicas = d.replicas.max.max(1) as f64;
        for t in types {
            let mut rows = Vec::new();
            let mut load = 0.0;
            for class in &classes {
                let rate = input.peak_requests_per_s * class.share / share_sum;
                let mut e = match EstimateInput::for_instance(model.clone(), t) {
                    Ok(e) => e,
                    Err(err) => {
                        rows.push(fail(&class.name, t, err.message));
                        continue;
                    }
                };
                e.tensor_parallel = Some(d.tensor_parallel);
                e.precision = precision;
                e.input_tokens = class.input_tokens.max(1);
                e.output_tokens = class.output_tokens.max(1);
                match perf::max_request_rate_within_slos(&e, &input.slos) {
                    Ok(r) if r.requests_per_s > 0.0 => {
                        load += rate / r.requests_per_s / replicas;
                        rows.push(SloCheck {
                            deployment: d.name.clone(),
                            class: class.name.clone(),
                            instance_type: t.to_string(),
                            requests_per_s_per_replica: rate / replicas,
                            max_requests_per_s_per_replica: r.requests_per_s,
                            load_fraction: 0.0,
                            ttft_ms: None,
                            tpot_ms: None,
                            meets_slos: true,
                            problem: None,
                        });
                    }
                    Ok(_) => rows.push(fail(&class.name, t, "no rate meets the SLOs".to_string())),
                    Err(err) => rows.push(fail(&class.name, t, err.message)),
                }
            }
            for row in rows.iter_mut().filter(|r| r.problem.is_none()) {
                row.load_fraction = (load * 1e6).round() / 1e6;
                // Each class runs at the same fraction of its own SLO rate.
                let at = row.max_requests_per_s_per_replica * load.min(1.0);
                if let Ok(mut e) = EstimateInput::for_instance(model.clone(), t) {
                    e.tensor_parallel = Some(d.tensor_parallel);
                    e.precision = precision;
                    if let Some(class) = classes.iter().find(|c| c.name == row.class) {
                        e.input_tokens = class.input_tokens.max(1);
                        e.output_tokens = class.output_tokens.max(1);
                    }
                    if let Ok(est) = perf::replica_at_rate(&e, at) {
                        row.ttft_ms = est.ttft_ms;
                        row.tpot_ms = est.tpot_ms;
                    }
                }
                if load > 1.0 + 1e-9 {
                    row.meets_slos = false;
                    row.problem =
                        Some(format!("peak needs {:.0} % of {} replicas' SLO capacity", load * 100.0, d.replicas.max));
                }
            }
            out.extend(rows);
        }
    }
    out
}

/// Instance types a fleet of a deployment may run on (its eligible NodePools' types).
fn fleet_types(plan: &Plan, d: &Deployment, fleet: &crate::plan::Fleet) -> Vec<&'static InstanceType> {
    let mut types: Vec<&'static InstanceType> = plan
        .spec
        .node_pools
        .iter()
        .filter(|p| pool_rejects(p, d, fleet).is_none())
        .flat_map(|p| pool_instance_types(p).collect::<Vec<_>>())
        .collect();
    types.sort_by(|a, b| a.name.cmp(&b.name));
    types.dedup_by(|a, b| a.name == b.name);
    types
}

/// The SLO check of a disaggregated deployment: on every pair of prefill and decode types its pools
/// allow, the peak spread over the stages' maximum replicas stays within what the stage model says
/// one replica serves within the SLOs.
fn check_disaggregated(plan: &Plan, input: &OptimizeInput, d: &Deployment, precision: Precision) -> Vec<SloCheck> {
    let fleets = d.fleets();
    let (Some(pf), Some(df)) =
        (fleets.iter().find(|f| f.role == "prefill"), fleets.iter().find(|f| f.role == "decode"))
    else {
        return Vec::new();
    };
    let share_sum: f64 = input.classes.iter().map(|c| c.share).sum::<f64>().max(f64::MIN_POSITIVE);
    let shares: Vec<f64> = input.classes.iter().map(|c| c.share / share_sum).collect();
    let peak = input.peak_requests_per_s;
    let classes = input.classes.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("+");
    let mut out = Vec::new();
    let row = |fleet: &str, t: &str, per: f64, max: f64, load: f64, problem: Option<String>| SloCheck {
        deployment: fleet.to_string(),
        class: classes.clone(),
        instance_type: t.to_string(),
        requests_per_s_per_replica: per,
        max_requests_per_s_per_replica: max,
        load_fraction: (load * 1e6).round() / 1e6,
        ttft_ms: None,
        tpot_ms: None,
        meets_slos: problem.is_none() && load <= 1.0 + 1e-9,
        problem,
    };
    for pt in fleet_types(plan, d, pf) {
        for dt in fleet_types(plan, d, df) {
            let (p, dc) = match (
                disagg::stage_config(input, pt, pf.tensor_parallel, precision),
                disagg::stage_config(input, dt, df.tensor_parallel, precision),
            ) {
                (Ok(p), Ok(dc)) => (p, dc),
                (Err(e), _) | (_, Err(e)) => {
                    out.push(row(&pf.name, &pt.name, 0.0, 0.0, f64::INFINITY, Some(e.to_string())));
                    continue;
                }
            };
            let decode_load = disagg::decode_load(&dc, &shares, peak) / df.replicas.max.max(1) as f64;
            let max = disagg::prefill_max_rate(input, &p, &dc, &shares, decode_load.min(1.0));
            let per = peak / pf.replicas.max.max(1) as f64;
            let load = if max > 0.0 { per / max } else { f64::INFINITY };
            let mut prefill = row(&pf.name, &pt.name, per, max, load, None);
            let worst = (0..input.classes.len())
                .map(|k| disagg::latency_ms(&p, &dc, &shares, per, decode_load, k))
                .max_by(|a, b| a.0.p99.total_cmp(&b.0.p99));
            if let Some((ttft, tpot, _)) = worst {
                prefill.ttft_ms = Some(ttft);
                prefill.tpot_ms = Some(tpot);
            }
            if !prefill.meets_slos && prefill.problem.is_none() {
                prefill.problem = Some(format!("prefill needs {:.0} % of its SLO capacity at peak", load * 100.0));
            }
            out.push(prefill);
            let mut decode = row(&df.name, &dt.name, peak / df.replicas.max.max(1) as f64, 0.0, decode_load, None);
            if !decode.meets_slos {
                decode.problem =
                    Some(format!("decode needs {:.0} % of its batch capacity at peak", decode_load * 100.0));
            }
            out.push(decode);
        }
    }
    out
}
