//! TF058: MIG slices that cannot serve: a deployment on slices no NodePool is partitioned into, or a
//! model that does not fit its slice. TF059: a small model that takes whole GPUs a MIG slice would do.

use crate::finding::{Finding, Severity};
use crate::place::pool_instance_types;
use crate::plan::{mig, Plan};

pub(super) fn lint_mig(plan: &Plan, out: &mut Vec<Finding>) {
    for (i, d) in plan.spec.deployments.iter().enumerate() {
        let Some(profile) = &d.mig_profile else { continue };
        let path = format!("spec.deployments[{i}].migProfile");
        let pools: Vec<_> = plan.spec.node_pools.iter().filter(|p| p.mig_profile.as_ref() == Some(profile)).collect();
        if pools.is_empty() {
            out.push(Finding::new(
                "TF058",
                Severity::Warning,
                path,
                format!("{}: no NodePool is partitioned into MIG {profile} slices: its pods stay pending", d.name),
                format!("set migProfile: {profile} on a NodePool of A100, H100 or H200 instance types"),
            ));
            continue;
        }
        let Some(model) = crate::catalog::model(&d.model) else { continue };
        let Some(t) = pools.iter().flat_map(|p| pool_instance_types(p)).find(|t| mig::slices_per_node(t, profile) > 0)
        else {
            continue;
        };
        let Ok(mut input) = crate::perf::for_mig_slice(model.clone(), &t.name, profile) else { continue };
        input.precision = crate::plan::precision_of(&d.precision).unwrap_or(crate::perf::Precision::Bf16);
        input.engine = crate::perf::Engine::parse(&d.engine);
        input.input_tokens = plan.spec.workload.input_tokens.mean.clamp(1.0, 1e6) as u32;
        input.output_tokens = plan.spec.workload.output_tokens.mean.clamp(1.0, 1e6) as u32;
        let Ok(estimate) = crate::perf::estimate(&input) else { continue };
        if !estimate.fits {
            out.push(Finding::new(
                "TF058",
                Severity::Warning,
                path,
                format!(
                    "{}: {} does not fit a MIG {profile} slice of {}: {}",
                    d.name,
                    d.model,
                    t.name,
                    estimate.reason.unwrap_or_default()
                ),
                "choose a larger profile (more memory slices), or a smaller precision (fp8, awq)",
            ));
        }
    }
}

/// TF059 (info): a one-GPU replica of a model that the smallest MIG slice of its GPU holds (at its
/// precision, for the workload's mean request), on whole GPUs of a chip MIG partitions (A100, H100,
/// H200): the profile, how many replicas one GPU would then serve and what a replica-hour would cost.
/// Only memory is checked; the SLOs on a slice's share of compute are the simulated day's to judge.
pub(super) fn suggest_mig(plan: &Plan, outcome: &crate::place::Outcome, out: &mut Vec<Finding>) {
    for fleet in outcome.deployments.iter().filter(|f| f.role == "server" && f.devices_per_replica == 1) {
        let Some((i, d)) = plan.spec.deployments.iter().enumerate().find(|(_, d)| d.name == fleet.deployment) else {
            continue;
        };
        if d.mig_profile.is_some() || d.tensor_parallel != 1 {
            continue;
        }
        let Some(model) = crate::catalog::model(&d.model) else { continue };
        // The instance type most of the fleet landed on, when its GPU has MIG profiles.
        let Some((t, usd_per_hour, chip)) = outcome
            .pools
            .iter()
            .filter(|p| fleet.node_pool.as_deref() == Some(p.name.as_str()))
            .flat_map(|p| &p.nodes)
            .filter_map(|g| {
                let t = crate::catalog::instance_type(&g.instance_type)?;
                let chip = crate::catalog::accelerator_of(t)?;
                crate::catalog::mig_profiles_of(&chip.id).next().is_some().then_some((t, g.usd_per_hour_each, chip))
            })
            .next()
        else {
            continue;
        };
        // Profiles from the smallest slice up: the first that holds the model, if more than one per GPU.
        let mut profiles: Vec<_> = crate::catalog::mig_profiles_of(&chip.id).filter(|m| m.per_gpu > 1).collect();
        profiles.sort_by_key(|m| (m.memory_slices, m.compute_slices));
        let fits = |profile: &str| {
            let Ok(mut input) = crate::perf::for_mig_slice(model.clone(), &t.name, profile) else { return false };
            input.precision = crate::plan::precision_of(&d.precision).unwrap_or(crate::perf::Precision::Bf16);
            input.engine = crate::perf::Engine::parse(&d.engine);
            input.input_tokens = plan.spec.workload.input_tokens.mean.clamp(1.0, 1e6) as u32;
            input.output_tokens = plan.spec.workload.output_tokens.mean.clamp(1.0, 1e6) as u32;
            crate::perf::estimate(&input).is_ok_and(|e| e.fits)
        };
        let Some(profile) = profiles.into_iter().find(|m| fits(m.name)) else { continue };
        let gpus = t.accelerator_count.max(1) as f64;
        out.push(Finding::new(
            "TF059",
            Severity::Info,
            format!("spec.deployments[{i}]"),
            format!(
                "{}: {} fits a MIG {} slice of {}'s {}: {} replicas per GPU instead of one, {:.2} USD per replica-hour \
                 on demand instead of {:.2}",
                d.name,
                d.model,
                profile.name,
                t.name,
                chip.name,
                profile.per_gpu,
                usd_per_hour / gpus / profile.per_gpu as f64,
                usd_per_hour / gpus,
            ),
            format!(
                "set migProfile: {} on the deployment and on a NodePool of {} (the simulated day judges the SLOs on \
                 the slice's {} of 7 compute slices), or keep whole GPUs for their latency",
                profile.name, t.name, profile.compute_slices
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::parse_plan;

    fn codes(edit: impl Fn(&mut crate::plan::Plan)) -> Vec<String> {
        let mut plan = parse_plan(crate::examples::example("mig-small-models").unwrap()).unwrap();
        edit(&mut plan);
        let mut out = Vec::new();
        super::lint_mig(&plan, &mut out);
        out.into_iter().map(|f| format!("{} {}: {}", f.code, f.path, f.message)).collect()
    }

    #[test]
    fn tf059_a_small_model_on_whole_gpus_hears_of_the_slice_that_holds_it() {
        // The MIG example on whole H100s: an 8B model in FP8 does not fit 1g.10gb (8 GB of weights
        // and the engine's workspace in 9 GiB) but fits 1g.20gb, four to a GPU.
        let mut plan = parse_plan(crate::examples::example("mig-small-models").unwrap()).unwrap();
        plan.spec.node_pools[0].mig_profile = None;
        for d in &mut plan.spec.deployments {
            d.mig_profile = None;
        }
        let outcome = crate::place::evaluate(&plan);
        let mut out = Vec::new();
        super::suggest_mig(&plan, &outcome, &mut out);
        assert_eq!(out.len(), 3, "{out:#?}");
        let f = &out[0];
        assert_eq!((f.code.as_str(), f.path.as_str()), ("TF059", "spec.deployments[0]"));
        assert!(f.message.contains("fits a MIG 1g.20gb slice of p5.4xlarge's NVIDIA H100"), "{}", f.message);
        assert!(
            f.message
                .contains("4 replicas per GPU instead of one, 1.72 USD per replica-hour on demand instead of 6.88"),
            "{}",
            f.message
        );
        // Not for what is already on slices, nor for a model no slice holds.
        let mut out = Vec::new();
        let mig = parse_plan(crate::examples::example("mig-small-models").unwrap()).unwrap();
        super::suggest_mig(&mig, &crate::place::evaluate(&mig), &mut out);
        assert!(out.is_empty(), "{out:#?}");
        let latency = parse_plan(crate::examples::example("latency-critical-p5").unwrap()).unwrap();
        let mut out = Vec::new();
        super::suggest_mig(&latency, &crate::place::evaluate(&latency), &mut out);
        assert!(out.is_empty(), "{out:#?}");
    }

    #[test]
    fn tf058_slices_that_cannot_serve() {
        assert_eq!(codes(|_| {}), Vec::<String>::new());
        let found = codes(|p| p.spec.deployments[0].model = "meta-llama/Llama-3.1-70B-Instruct".into());
        assert!(
            found.len() == 1 && found[0].starts_with("TF058 spec.deployments[0].migProfile: llama31-8b: "),
            "{found:?}"
        );
        assert!(found[0].contains("does not fit a MIG 2g.20gb slice"), "{found:?}");
        let found = codes(|p| p.spec.node_pools[0].mig_profile = Some("1g.20gb".into()));
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[2].contains("no NodePool is partitioned into MIG 2g.20gb"), "{found:?}");
    }
}
