//! MIG settings of a plan: a NodePool partitioned into one MIG profile (`migProfile`) and deployments
//! whose replicas run on one slice each (`migProfile`), checked into errors that name the field.

use super::{is_neuron_engine, Deployment, Mode, NodePool, Plan};
use crate::catalog::{accelerator_of, instance_types, mig_profile, InstanceType, MigProfile, MIG_PROFILES};

/// The node label the NVIDIA GPU operator's MIG manager partitions a node's GPUs by.
pub const MIG_CONFIG_LABEL: &str = "nvidia.com/mig.config";

/// The instance types a pool's families and types allow (as placement reads them).
pub fn pool_types(pool: &NodePool) -> impl Iterator<Item = &'static InstanceType> + '_ {
    instance_types().iter().filter(move |t| {
        (pool.instance_families.is_empty() || pool.instance_families.contains(&t.family))
            && (pool.instance_types.is_empty() || pool.instance_types.contains(&t.name))
    })
}

/// The profile `name` on an instance type's GPUs, when its chip has it.
pub fn profile_on(t: &InstanceType, name: &str) -> Option<&'static MigProfile> {
    if t.accelerator_count == 0 {
        return None;
    }
    mig_profile(&accelerator_of(t)?.id, name)
}

/// Slices of profile `name` one node of `t` offers when every GPU is partitioned alike (0 when its
/// chip has no such profile).
pub fn slices_per_node(t: &InstanceType, name: &str) -> u32 {
    profile_on(t, name).map_or(0, |m| m.per_gpu * t.accelerator_count)
}

/// Any parent's profile of this name (the resource name and node label are the same on every parent).
pub fn any_profile(name: &str) -> Option<&'static MigProfile> {
    MIG_PROFILES.iter().find(|m| m.name == name)
}

fn known_names() -> String {
    let mut names: Vec<&str> = MIG_PROFILES.iter().map(|m| m.name).collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

/// The errors of the plan's MIG fields.
pub(super) fn check(plan: &Plan, err: &mut impl FnMut(String, String)) {
    for (i, p) in plan.spec.node_pools.iter().enumerate() {
        if p.labels.contains_key(MIG_CONFIG_LABEL) {
            err(
                format!("spec.nodePools[{i}].labels.{MIG_CONFIG_LABEL}"),
                "the GPU operator's MIG configuration is written from migProfile: set migProfile instead".into(),
            );
        }
        let Some(name) = &p.mig_profile else { continue };
        let path = format!("spec.nodePools[{i}].migProfile");
        if any_profile(name).is_none() {
            err(path, format!("{name:?} is not a MIG profile; known: {}", known_names()));
            continue;
        }
        if !pool_types(p).any(|t| slices_per_node(t, name) > 0) {
            let chips: Vec<&str> = MIG_PROFILES.iter().filter(|m| m.name == *name).map(|m| m.parent).collect();
            err(
                path,
                format!(
                    "none of NodePool {}'s instance types has a GPU with MIG profile {name} (it is a profile of {}): \
                     allow p4d, p4de, p5 or p5e/p5en instance types, or remove migProfile",
                    p.name,
                    chips.join(", ")
                ),
            );
        }
    }
    for (i, d) in plan.spec.deployments.iter().enumerate() {
        let Some(name) = &d.mig_profile else { continue };
        let path = |field: &str| format!("spec.deployments[{i}].{field}");
        if any_profile(name).is_none() {
            err(path("migProfile"), format!("{name:?} is not a MIG profile; known: {}", known_names()));
        }
        deployment_shape(d, &mut |field, message| err(path(field), message));
    }
}

fn deployment_shape(d: &Deployment, err: &mut impl FnMut(&str, String)) {
    if d.mode == Mode::Disaggregated {
        err("migProfile", "MIG slices serve monolithic deployments only: remove migProfile or mode".into());
    }
    if is_neuron_engine(&d.engine) {
        err("migProfile", format!("MIG partitions NVIDIA GPUs; engine {} runs on Neuron devices", d.engine));
    }
    if d.tensor_parallel != 1 {
        err(
            "tensorParallel",
            format!(
                "{} with migProfile: a replica runs on one MIG slice (tensor parallelism never spans slices); \
                 set tensorParallel: 1 or a larger profile",
                d.tensor_parallel
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::instance_type;

    #[test]
    fn slices_per_node_counts_every_gpu() {
        let t = |name: &str| instance_type(name).unwrap();
        assert_eq!(slices_per_node(t("p4de.24xlarge"), "1g.10gb"), 56);
        assert_eq!(slices_per_node(t("p4d.24xlarge"), "1g.5gb"), 56);
        assert_eq!(slices_per_node(t("p4d.24xlarge"), "3g.20gb"), 16);
        assert_eq!(slices_per_node(t("p5.48xlarge"), "1g.20gb"), 32);
        assert_eq!(slices_per_node(t("p5e.48xlarge"), "3g.71gb"), 16);
        assert_eq!(slices_per_node(t("p5.48xlarge"), "1g.5gb"), 0);
        assert_eq!(slices_per_node(t("g6.xlarge"), "1g.10gb"), 0);
        assert_eq!(slices_per_node(t("g6f.large"), "1g.10gb"), 0);
    }
}

#[cfg(test)]
mod refusals {
    use crate::plan::parse_plan;

    /// The example with an edit applied, and the first error's text (field path first).
    fn refused(edit: impl Fn(&mut crate::plan::Plan)) -> String {
        let mut plan = parse_plan(crate::examples::example("mig-small-models").unwrap()).unwrap();
        edit(&mut plan);
        let errors = crate::plan::validate(&plan);
        assert!(!errors.is_empty(), "accepted");
        format!("{}: {}", errors[0].path, errors[0].message)
    }

    #[test]
    fn mig_fields_are_refused_at_their_path() {
        let e = refused(|p| p.spec.node_pools[0].mig_profile = Some("1g.6gb".into()));
        assert!(e.starts_with("spec.nodePools[0].migProfile: \"1g.6gb\" is not a MIG profile"), "{e}");
        let e = refused(|p| p.spec.node_pools[0].mig_profile = Some("1g.5gb".into()));
        assert!(e.starts_with("spec.nodePools[0].migProfile: none of NodePool h100-mig's instance types"), "{e}");
        assert!(e.contains("a100-40gb"), "{e}");
        let e = refused(|p| p.spec.deployments[1].tensor_parallel = 2);
        assert!(e.starts_with("spec.deployments[1].tensorParallel: 2 with migProfile"), "{e}");
        let e = refused(|p| p.spec.deployments[0].mig_profile = Some("2g.21gb".into()));
        assert!(e.starts_with("spec.deployments[0].migProfile: "), "{e}");
        let e = refused(|p| {
            p.spec.node_pools[0].labels.insert("nvidia.com/mig.config".into(), "all-1g.10gb".into());
        });
        assert!(e.starts_with("spec.nodePools[0].labels.nvidia.com/mig.config: "), "{e}");
    }
}
