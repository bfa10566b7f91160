//! The start-up levers a recommender can weigh against warm replicas: a plan with the image cache, the
//! parallel pull, the weights' streamer or node cache and Neuron's compile cache applied where they
//! apply. Values only the user can supply (the snapshot, the bucket) are placeholders, as reservations'
//! `cr-replaceme` are.

use crate::plan::{self, CompileCache, ImageCache, ImagePull, Plan, Weights, WeightsSource};

/// The bucket written where the weights or the compiled artifacts go to S3: upload them and put the
/// real location in the plan.
pub use crate::plan::S3_PLACEHOLDER;

/// Which levers [`apply_start_levers`] applies (all by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartLevers {
    /// Bottlerocket node classes: every serving image on the data volume's snapshot (placeholder id).
    pub image_cache: bool,
    /// Node classes without an image cache: SOCI parallel pull and unpack. Not with a cache: containerd
    /// keeps unpacked layers per snapshotter, so a snapshot made with the default one would not serve
    /// the `soci` snapshotter.
    pub parallel_pull: bool,
    /// Deployments that download their weights: the Run:ai streamer from S3 (placeholder URI).
    pub s3_streamer: bool,
    /// Deployments that still download their weights: keep them on the node for the next pod.
    pub node_cache: bool,
    /// Neuron deployments: compiled artifacts cached in S3 (placeholder URI).
    pub compile_cache: bool,
}

impl Default for StartLevers {
    fn default() -> Self {
        StartLevers { image_cache: true, parallel_pull: true, s3_streamer: true, node_cache: true, compile_cache: true }
    }
}

/// `plan` with the chosen start-up levers applied where they apply and the plan does not already use
/// one: the result is a valid plan whose pods start sooner (the simulator and the linter read the
/// levers), and applying it twice changes nothing more. Node classes no pool uses, AL2023 classes (no
/// data-volume snapshot there) and deployments that already chose their weights' source are left as
/// they are.
pub fn apply_start_levers(plan: &Plan, levers: &StartLevers) -> Plan {
    let mut out = plan.clone();
    for class in &mut out.spec.node_classes {
        let used = plan.spec.node_pools.iter().any(|p| p.node_class == class.name);
        if !used {
            continue;
        }
        if levers.image_cache && class.ami == "bottlerocket" && class.image_cache.is_none() {
            class.image_cache =
                Some(ImageCache { snapshot_id: plan::SNAPSHOT_PLACEHOLDER.to_string(), images: vec![] });
        }
        if levers.parallel_pull && class.image_cache.is_none() {
            class.image_pull = ImagePull::Parallel;
        }
    }
    for d in &mut out.spec.deployments {
        if d.weights.is_none() {
            if levers.s3_streamer {
                d.weights = Some(Weights {
                    source: WeightsSource::S3Streamer,
                    uri: Some(format!("{S3_PLACEHOLDER}/{}", d.model.to_ascii_lowercase())),
                    ..Weights::default()
                });
            } else if levers.node_cache {
                d.weights = Some(Weights { node_cache: true, ..Weights::default() });
            }
        }
        if levers.compile_cache && crate::place::sizing::is_neuron_engine(&d.engine) && d.compile_cache.is_none() {
            d.compile_cache =
                Some(CompileCache { uri: Some(format!("{S3_PLACEHOLDER}/neuron-compile-cache")), volume_claim: None });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::verdict::lag_parts;
    use crate::sim::{from_plan, PlanInputs};

    fn example(name: &str) -> Plan {
        plan::parse_plan(crate::examples::example(name).unwrap()).unwrap()
    }

    fn cold_start_s(plan: &Plan) -> f64 {
        let sc = from_plan(plan, &PlanInputs::for_plan(plan)).unwrap();
        lag_parts(&sc).iter().map(|p| p.seconds).sum()
    }

    #[test]
    fn the_levers_make_a_valid_plan_whose_pods_start_sooner() {
        for (name, _) in crate::examples::EXAMPLES {
            let plan = example(name);
            let levered = apply_start_levers(&plan, &StartLevers::default());
            assert_eq!(plan::validate(&levered), vec![], "{name}");
            assert_eq!(apply_start_levers(&levered, &StartLevers::default()), levered, "{name}: not idempotent");
            let (before, after) = (cold_start_s(&plan), cold_start_s(&levered));
            assert!(after < before, "{name}: {before} s -> {after} s");
            // Export and import carry them.
            let stream = crate::manifest::render_stream(&levered);
            let back = crate::manifest::import::import_yaml("x.yaml", &stream).unwrap();
            assert_eq!(crate::manifest::render_stream(&back.plan), stream, "{name}");
        }
    }

    #[test]
    fn each_lever_is_applied_where_it_applies() {
        let plan = example("batch-inferentia");
        let none = StartLevers {
            image_cache: false,
            parallel_pull: false,
            s3_streamer: false,
            node_cache: false,
            compile_cache: false,
        };
        assert_eq!(apply_start_levers(&plan, &none), plan);
        let levered = apply_start_levers(&plan, &StartLevers { compile_cache: true, ..none });
        let cache = levered.spec.deployments[0].compile_cache.as_ref().unwrap();
        assert!(cache.uri.as_deref().unwrap().starts_with(S3_PLACEHOLDER));
        let levered = apply_start_levers(&plan, &StartLevers { node_cache: true, ..none });
        assert!(levered.spec.deployments.iter().all(|d| d.weights_node_cache()));
        // A deployment that chose its source keeps it.
        let mut shared = plan.clone();
        shared.spec.deployments[0].weights = Some(Weights {
            source: WeightsSource::SharedFileSystem,
            volume_claim: Some("fsx".into()),
            ..Weights::default()
        });
        let levered = apply_start_levers(&shared, &StartLevers::default());
        assert_eq!(levered.spec.deployments[0].weights, shared.spec.deployments[0].weights);
        // Image caches only on Bottlerocket; AL2023 classes pull in parallel instead.
        let mut al = example("quickstart");
        for c in &mut al.spec.node_classes {
            c.ami = "al2023".into();
        }
        let levered = apply_start_levers(&al, &StartLevers::default());
        assert!(levered
            .spec
            .node_classes
            .iter()
            .all(|c| c.image_cache.is_none() && c.image_pull == ImagePull::Parallel));
    }

    /// The parts a failing day reports are the simulated ones, levers included: the image from the data
    /// volume's snapshot, the weights from the streamer, Neuron's compilation.
    #[test]
    fn the_lag_parts_reflect_the_levers() {
        let plan = example("spiky-spot-burst");
        let seconds = |plan: &crate::plan::Plan, part: &str| {
            let sc = crate::sim::from_plan(plan, &PlanInputs::for_plan(plan)).unwrap();
            lag_parts(&sc).iter().find(|p| p.part == part).map(|p| p.seconds)
        };
        let t = crate::sim::Timing::default();
        let levered = apply_start_levers(&plan, &StartLevers::default());
        assert!(seconds(&plan, "image pull").unwrap() > t.image_cache_s);
        assert_eq!(seconds(&levered, "image pull"), Some(t.image_cache_s));
        let sc = crate::sim::from_plan(&plan, &PlanInputs::for_plan(&plan)).unwrap();
        let gib = sc.deployments[0].weights_gib;
        let streamed = seconds(&levered, "model load").unwrap();
        assert!((streamed - gib * 1024.0 / t.s3_streamer_mib_per_s).abs() < 1e-3, "{streamed}");
        assert_eq!(seconds(&plan, "neuron compile"), None);
        let neuron = example("batch-inferentia");
        assert_eq!(seconds(&neuron, "neuron compile"), Some(t.neuron_compile_s));
        let cached = apply_start_levers(&neuron, &StartLevers::default());
        assert_eq!(seconds(&cached, "neuron compile"), None);
    }
}
