//! Latency against throughput for the instance types a plan could use: for every deployment, the
//! performance model's time to first token (p90) at rising request rates on one replica of each
//! candidate accelerator. The app draws these curves, one panel per deployment; they are computed
//! here so the app holds no performance logic.
//!
//! Candidates are the instance types of the NodePools that take the deployment's pods (taints,
//! node selector, the stage's pinned pool), holding one pod's devices, of the right kind (NVIDIA for
//! vLLM, Neuron for Neuron). Types with the same accelerator (chip and device memory) give the same
//! curve for one replica, so each accelerator is drawn once, named after its first type in catalog
//! order.
//!
//! Disaggregated deployments: time to first token is decided by the prefill stage (its queue, the
//! prefill, and shipping the KV cache to the decode stage), so their curves are the prefill stage's:
//! one prefill replica (the stage's tensor parallelism) on each type the prefill stage may use,
//! with `perf::stage`'s M/G/1 prefill queue and the KV transfer over that type's network share; its
//! throughput is the output tokens/s its requests go on to produce (requests/s × mean output
//! tokens), so the axis means the same as for monolithic deployments. The decode stage sets TPOT,
//! which this chart does not show.

use crate::catalog::{self, InstanceType};
use crate::perf::{self, stage, Engine, EstimateInput, Load, Precision};
use crate::place::{pool_instance_types, pool_rejects, PodRequests};
use crate::plan::{Deployment, Mode, Plan};

/// One accelerator's curve: (output tokens per second of the replica, TTFT p90 in ms) points at
/// rising load, for loads below saturation.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// The first instance type (catalog order) with this accelerator among the candidates.
    pub instance_type: String,
    /// The accelerator chip as Karpenter labels it (`l40s`, `h100`, `Inferentia2`).
    pub accelerator: String,
    pub points: Vec<(f64, f64)>,
}

/// The curves of one deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentCurves {
    pub deployment: String,
    /// What one replica is: model, stage, tensor parallelism, precision (`Llama 3 8B · TP 1 · bf16`).
    pub replica: String,
    /// The curves are a disaggregated deployment's prefill stage: TTFT includes the KV transfer, and
    /// throughput is that of the requests one prefill replica takes.
    pub prefill_stage: bool,
    pub curves: Vec<Curve>,
    /// Why there are no curves (unknown model, no NodePool takes the pods, fits on no candidate).
    pub note: Option<String>,
}

/// Fractions of a replica's capacity at which the curve is sampled.
pub const LOAD_FRACTIONS: [f64; 8] = [0.05, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95];

/// Curves for every deployment of the plan, in plan order, each on up to `limit` accelerators.
pub fn latency_vs_throughput(plan: &Plan, limit: usize) -> Vec<DeploymentCurves> {
    plan.spec.deployments.iter().map(|d| deployment_curves(plan, d, limit)).collect()
}

fn deployment_curves(plan: &Plan, deployment: &Deployment, limit: usize) -> DeploymentCurves {
    let fleets = deployment.fleets();
    // The fleet that decides TTFT: the only one, or the prefill stage.
    let prefill = deployment.mode == Mode::Disaggregated && fleets.len() == 2;
    let fleet = &fleets[0];
    let precision = deployment.precision.as_str();
    let mut out = DeploymentCurves {
        deployment: deployment.name.clone(),
        replica: String::new(),
        prefill_stage: prefill,
        curves: Vec::new(),
        note: None,
    };
    let Some(model) = catalog::model(&deployment.model) else {
        out.replica = format!("{} · TP {} · {precision}", deployment.model, fleet.tensor_parallel);
        out.note = Some(format!("model {:?} is not in the catalog: no performance curves", deployment.model));
        return out;
    };
    let stage = if prefill { " · prefill stage" } else { "" };
    out.replica = format!("{}{stage} · TP {} · {precision}", model.name, fleet.tensor_parallel);
    let pod = PodRequests::for_fleet(deployment, fleet);
    let mut pools_take = false;
    let mut candidates: Vec<&InstanceType> = Vec::new();
    for pool in &plan.spec.node_pools {
        if fleet.node_pool.as_ref().is_some_and(|p| *p != pool.name) || pool_rejects(pool, deployment, fleet).is_some()
        {
            continue;
        }
        pools_take = true;
        for t in pool_instance_types(pool) {
            let kind = if pod.neuron { t.is_neuron() } else { t.is_nvidia() };
            let same_chip = |c: &&InstanceType| {
                c.accelerator_name == t.accelerator_name && c.accelerator_memory_mib == t.accelerator_memory_mib
            };
            if kind && t.accelerator_count >= pod.devices && !candidates.iter().any(same_chip) {
                candidates.push(t);
            }
        }
    }
    let w = &plan.spec.workload;
    let input_tokens = w.input_tokens.mean.clamp(1.0, 1e6) as u32;
    let output_tokens = w.output_tokens.mean.clamp(1.0, 1e6) as u32;
    out.curves = candidates
        .into_iter()
        .filter_map(|t| {
            let mut input = EstimateInput::for_instance(model.clone(), &t.name).ok()?;
            input.devices = pod.devices.max(1);
            input.tensor_parallel = Some(fleet.tensor_parallel.max(1));
            input.precision = crate::plan::precision_of(precision).unwrap_or(Precision::Bf16);
            input.engine = Engine::parse(&deployment.engine);
            input.input_tokens = input_tokens;
            input.output_tokens = output_tokens;
            let points = if prefill { prefill_points(&input, t, &pod)? } else { monolithic_points(&mut input)? };
            let points: Vec<(f64, f64)> =
                points.into_iter().filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0).collect();
            (!points.is_empty()).then(|| Curve {
                instance_type: t.name.clone(),
                accelerator: t.accelerator_name.clone(),
                points,
            })
        })
        .take(limit)
        .collect();
    if out.curves.is_empty() {
        out.note = Some(if !pools_take {
            "no NodePool takes its pods (taints, node selector or pinned pool)".to_string()
        } else {
            "one replica fits on none of the instance types its NodePools allow".to_string()
        });
    }
    out
}

/// A monolithic replica under open-loop Poisson load at fractions of its offline capacity.
fn monolithic_points(input: &mut EstimateInput) -> Option<Vec<(f64, f64)>> {
    input.load = Load::Offline;
    let capacity = perf::estimate(input).ok().filter(|e| e.fits)?.capacity_requests_per_s;
    if !(capacity.is_finite() && capacity > 0.0) {
        return None;
    }
    Some(
        LOAD_FRACTIONS
            .iter()
            .filter_map(|f| {
                input.load = Load::RequestRate(capacity * f);
                let e = perf::estimate(input).ok().filter(|e| e.fits && !e.saturated)?;
                Some((e.output_tokens_per_s, e.ttft_ms?.p90))
            })
            .collect(),
    )
}

/// A prefill-stage replica (`perf::stage`) at fractions of its capacity: TTFT p90 with the KV
/// transfer over this type's network share, against the output tokens/s its requests produce.
fn prefill_points(input: &EstimateInput, t: &InstanceType, pod: &PodRequests) -> Option<Vec<(f64, f64)>> {
    let replica = perf::build_replica(input, perf::FITTED).ok()?;
    if !replica.memory.fits {
        return None;
    }
    let class = [stage::StageClass::new(replica, input.input_tokens, input.output_tokens, &[])];
    let network = stage::kv_network_bytes_per_s(t, pod.devices);
    let capacity = stage::prefill_stage(&class, &[1.0], 0.0, network).capacity_requests_per_s;
    if !(capacity.is_finite() && capacity > 0.0) {
        return None;
    }
    Some(
        LOAD_FRACTIONS
            .iter()
            .filter_map(|f| {
                let rate = capacity * f;
                let figures = stage::prefill_stage(&class, &[1.0], rate, network);
                Some((rate * input.output_tokens as f64, figures.ttft_ms?.p90))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Plan {
        crate::plan::parse_plan(crate::examples::example(name).unwrap()).unwrap()
    }

    #[test]
    fn curves_rise_with_load_for_every_example_deployment() {
        for (name, _) in crate::examples::EXAMPLES {
            let plan = example(name);
            let all = latency_vs_throughput(&plan, 6);
            assert_eq!(
                all.iter().map(|d| d.deployment.as_str()).collect::<Vec<_>>(),
                plan.spec.deployments.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
                "{name}"
            );
            for d in &all {
                assert!(!d.curves.is_empty(), "{name}/{}: {:?}", d.deployment, d.note);
                assert!(d.note.is_none());
                for c in &d.curves {
                    assert!(c.points.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1), "{name}: {c:?}");
                    assert!(c.points.iter().all(|(x, y)| *x > 0.0 && *y > 0.0), "{name}: {c:?}");
                }
            }
        }
    }

    #[test]
    fn one_curve_per_accelerator() {
        let mut plan = example("quickstart");
        plan.spec.node_pools[0].instance_families = vec!["g5".into(), "g6".into()];
        plan.spec.node_pools[0].instance_types.clear();
        let all = latency_vs_throughput(&plan, 10);
        let chips: Vec<&str> = all[0].curves.iter().map(|c| c.accelerator.as_str()).collect();
        assert_eq!(chips, ["a10g", "l4"], "{all:?}");
        assert_eq!(all[0].replica, "Llama 3 8B · TP 1 · bf16");
    }

    #[test]
    fn every_deployment_gets_curves_and_a_disaggregated_one_its_prefill_stage() {
        let mut plan = example("disaggregated");
        let mut second = example("quickstart").spec.deployments[0].clone();
        second.tolerations = plan.spec.deployments[0].tolerations.clone();
        plan.spec.deployments.push(second);
        let all = latency_vs_throughput(&plan, 5);
        assert_eq!(all.len(), 2);
        assert!(all[0].replica.contains("prefill stage"), "{}", all[0].replica);
        assert!(all[0].prefill_stage && !all[1].prefill_stage);
        // The prefill stage is pinned to its pool: only that pool's accelerators.
        let pool = plan.spec.deployments[0].prefill.as_ref().unwrap().node_pool.clone().unwrap();
        let allowed: Vec<String> =
            pool_instance_types(plan.node_pool(&pool).unwrap()).map(|t| t.name.clone()).collect();
        assert!(all[0].curves.iter().all(|c| allowed.contains(&c.instance_type)), "{:?}", all[0].curves);
        assert!(!all[1].curves.is_empty() && !all[1].replica.contains("prefill"), "{:?}", all[1]);
    }

    #[test]
    fn deployments_without_curves_say_why() {
        let mut plan = example("quickstart");
        plan.spec.deployments[0].model = "acme/secret-model".into();
        let all = latency_vs_throughput(&plan, 5);
        assert!(all[0].note.as_deref().unwrap().contains("not in the catalog"), "{all:?}");
        let mut plan = example("quickstart");
        plan.spec.deployments[0].tolerations.clear();
        let all = latency_vs_throughput(&plan, 5);
        assert!(all[0].note.as_deref().unwrap().contains("no NodePool takes"), "{all:?}");
    }

    #[test]
    fn a_plan_without_deployments_has_no_curves() {
        assert!(latency_vs_throughput(&Plan::minimal("x"), 6).is_empty());
    }
}
