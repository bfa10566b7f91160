//! TF058: MIG slices that cannot serve: a deployment on slices no NodePool is partitioned into, or a
//! model that does not fit its slice.

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
