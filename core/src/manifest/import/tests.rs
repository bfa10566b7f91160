//! Unit tests of `manifest::import`.

use super::*;
use crate::examples::EXAMPLES;

#[test]
fn examples_round_trip() {
    for (name, text) in EXAMPLES {
        let plan = parse_plan(text).unwrap();
        let first = render::render_stream(&plan);
        let imported = import_yaml("x.yaml", &first).unwrap();
        let second = render::render_stream(&imported.plan);
        for (a, b) in first.lines().zip(second.lines()) {
            assert_eq!(a, b, "{name}: {:#?}", imported.findings);
        }
        assert_eq!(first, second, "{name}");
    }
}

#[test]
fn reservations_come_from_the_annotation_once_each() {
    let yaml = "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata:\n  name: gpu\n  annotations:\n    \
        tokenfleet.dev/capacity-reservations: cr-1=odcr:p5.48xlarge:2,cr-2=odcr:g6.xlarge:1,cr-1=capacity-block:p5.48xlarge:4\n\
        spec:\n  amiSelectorTerms:\n    - alias: bottlerocket@latest\n  capacityReservationSelectorTerms:\n    \
        - id: cr-1\n    - id: cr-1\n    - id: cr-3\n    - id: cr-2\n";
    let imported = import_yaml("x.yaml", yaml).unwrap();
    let found: Vec<_> = imported.plan.spec.node_classes[0]
        .capacity_reservations
        .iter()
        .map(|r| (r.id.as_str(), r.kind.as_str(), r.instance_type.as_str(), r.count))
        .collect();
    // A later annotation entry for an id replaces an earlier one; a term takes its reservation.
    assert_eq!(found, [("cr-1", "capacity-block", "p5.48xlarge", 4), ("cr-2", "odcr", "g6.xlarge", 1)]);
    let tf035: Vec<_> = imported.findings.iter().filter(|f| f.code == "TF035").map(|f| f.path.as_str()).collect();
    assert_eq!(tf035, ["spec.capacityReservationSelectorTerms[1]", "spec.capacityReservationSelectorTerms[2]"]);
}

/// Each start-up lever is exported as what it is in Kubernetes and read back by import.
#[test]
fn start_up_levers_export_as_kubernetes_fields_and_import_back() {
    let mut plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    let mut al = plan.spec.node_classes[0].clone();
    al.name = "al".into();
    al.ami = "al2023".into();
    al.image_pull = ImagePull::Parallel;
    plan.spec.node_classes[0].image_cache =
        Some(ImageCache { snapshot_id: "snap-0123456789abcdef0".into(), images: vec![render::VLLM_IMAGE.into()] });
    plan.spec.node_classes[0].image_pull = ImagePull::Parallel;
    plan.spec.node_classes.push(al);
    let mut second = plan.spec.node_pools[0].clone();
    second.name = "al-pool".into();
    second.node_class = "al".into();
    plan.spec.node_pools.push(second);
    let mut streamed = plan.spec.deployments[0].clone();
    streamed.name = "streamed".into();
    streamed.weights = Some(Weights {
        source: WeightsSource::S3Streamer,
        uri: Some("s3://models/llama-3-8b".into()),
        ..Weights::default()
    });
    let mut shared = plan.spec.deployments[0].clone();
    shared.name = "shared".into();
    shared.weights = Some(Weights {
        source: WeightsSource::SharedFileSystem,
        volume_claim: Some("fsx-models".into()),
        ..Weights::default()
    });
    plan.spec.deployments[0].weights = Some(Weights { node_cache: true, ..Weights::default() });
    plan.spec.deployments.extend([streamed, shared]);
    assert_eq!(validate(&plan), vec![]);
    let stream = render::render_stream(&plan);
    let docs = render::render_values(&plan);
    let class = |name: &str| {
        docs.iter().find(|d| d["kind"] == "EC2NodeClass" && d["metadata"]["name"] == name).unwrap().clone()
    };
    let br = class(&plan.spec.node_classes[0].name);
    assert_eq!(br["spec"]["blockDeviceMappings"][1]["deviceName"], "/dev/xvdb");
    assert_eq!(br["spec"]["blockDeviceMappings"][1]["ebs"]["snapshotID"], "snap-0123456789abcdef0");
    assert_eq!(br["spec"]["userData"], render::BOTTLEROCKET_PARALLEL_PULL);
    assert!(br["spec"]["userData"].as_str().unwrap().contains("pull-mode = \"parallel-pull-unpack\""));
    // The image cache keeps containerd on the data volume: no RAID0 there.
    assert!(br["spec"].get("instanceStorePolicy").is_none());
    let al = class("al");
    assert_eq!(al["spec"]["userData"], render::AL2023_PARALLEL_PULL);
    assert!(al["spec"]["userData"].as_str().unwrap().contains("FastImagePull: true"));
    assert_eq!(al["spec"]["instanceStorePolicy"], "RAID0");
    let deployment = |name: &str| {
        docs.iter().find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == name).unwrap()["spec"]["template"]
            ["spec"]
            .clone()
    };
    let cached = deployment(&plan.spec.deployments[0].name);
    assert_eq!(cached["volumes"][1]["hostPath"]["path"], render::NODE_CACHE_PATH);
    let args = |pod: &crate::doc::Doc| -> Vec<String> {
        pod["containers"][0]["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
    };
    let streamed = deployment("streamed");
    let words = args(&streamed).join(" ");
    assert!(words.starts_with("--model s3://models/llama-3-8b --served-model-name meta-llama/"), "{words}");
    assert!(words.contains("--load-format runai_streamer"), "{words}");
    let shared = deployment("shared");
    assert!(args(&shared).join(" ").starts_with("--model /mnt/models --served-model-name "));
    assert_eq!(shared["volumes"][2]["persistentVolumeClaim"]["claimName"], "fsx-models");
    assert_eq!(shared["containers"][0]["volumeMounts"][2]["readOnly"], true);
    // Import reads every lever back: the same plan, the same bytes.
    let imported = import_yaml("x.yaml", &stream).unwrap();
    assert_eq!(imported.plan.spec.node_classes, plan.spec.node_classes);
    assert_eq!(
        imported.plan.spec.deployments.iter().map(|d| d.weights.clone()).collect::<Vec<_>>(),
        plan.spec.deployments.iter().map(|d| d.weights.clone()).collect::<Vec<_>>()
    );
    assert_eq!(imported.plan.spec.deployments[1].model, plan.spec.deployments[1].model);
    assert_eq!(render::render_stream(&imported.plan), stream);
    assert!(!imported.findings.iter().any(|f| f.code == "TF036"), "{:#?}", imported.findings);
}

/// Neuron's compile cache is the compiler's `NEURON_COMPILE_CACHE_URL`: an S3 URL, or a claim mounted
/// at the cache's default directory.
#[test]
fn a_neuron_compile_cache_exports_as_its_environment_variable() {
    let mut plan = parse_plan(crate::examples::example("batch-inferentia").unwrap()).unwrap();
    for cache in [
        CompileCache { uri: Some("s3://neuron-artifacts/llama".into()), volume_claim: None },
        CompileCache { uri: None, volume_claim: Some("neuron-cache".into()) },
    ] {
        plan.spec.deployments[0].compile_cache = Some(cache.clone());
        let docs = render::render_values(&plan);
        let pod = &docs.iter().find(|d| d["kind"] == "Deployment").unwrap()["spec"]["template"]["spec"];
        let env = pod["containers"][0]["env"].as_array().unwrap();
        let value = env.iter().find(|e| e["name"] == render::NEURON_CACHE_ENV).unwrap()["value"].clone();
        match &cache.uri {
            Some(uri) => assert_eq!(value, uri.as_str()),
            None => {
                assert_eq!(value, render::NEURON_CACHE_PATH);
                assert_eq!(pod["volumes"][2]["persistentVolumeClaim"]["claimName"], "neuron-cache");
            }
        }
        let stream = render::render_stream(&plan);
        let imported = import_yaml("x.yaml", &stream).unwrap();
        assert_eq!(imported.plan.spec.deployments[0].compile_cache, Some(cache));
        assert_eq!(render::render_stream(&imported.plan), stream);
    }
}

/// RAID0 that no deployment's node cache explains is not exported again, and import says so.
#[test]
fn an_unexplained_instance_store_policy_is_reported() {
    let plan = parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    let stream = render::render_stream(&plan).replacen(
        "  blockDeviceMappings:",
        "  instanceStorePolicy: RAID0\n  blockDeviceMappings:",
        1,
    );
    let imported = import_yaml("x.yaml", &stream).unwrap();
    let f = imported.findings.iter().find(|f| f.code == "TF036").expect("TF036");
    assert_eq!(f.path, "spec.instanceStorePolicy");
}

/// A NodePool imported without `spec.disruption` (the CRD defaults it to `consolidateAfter: 0s`)
/// exports the `consolidateAfter` the CRD requires once `disruption` is written, and round-trips.
#[test]
fn a_pool_without_consolidate_after_exports_the_crd_default() {
    let mut plan = crate::plan::parse_plan(EXAMPLES[0].1).unwrap();
    plan.spec.node_pools[0].consolidation.after = None;
    assert_eq!(crate::plan::validate(&plan), vec![]);
    let docs = crate::manifest::render_values(&plan);
    let pool = docs.iter().find(|d| d.get("kind").and_then(|k| k.as_str()) == Some("NodePool")).unwrap();
    let disruption = pool.get("spec").and_then(|s| s.get("disruption")).unwrap();
    assert_eq!(disruption.get("consolidateAfter").and_then(|a| a.as_str()), Some("0s"));
    let first = crate::manifest::render_stream(&plan);
    let again = import_yaml("export.yaml", &first).unwrap();
    assert_eq!(crate::manifest::render_stream(&again.plan), first);
}
