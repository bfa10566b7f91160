//! `tokenfleet simulate --node-autoscaler`: Karpenter's output unchanged by default, Cluster
//! Autoscaler's run beside Karpenter's on the same day and seed, node groups from the plan or derived.

use std::process::{Command, Output};

fn tokenfleet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tokenfleet"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("tokenfleet runs")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn simulate_defaults_to_karpenter_with_its_output_unchanged() {
    let args = ["simulate", "examples/quickstart.yaml", "--duration", "2h"];
    let plain = tokenfleet(&args);
    let named = tokenfleet(&[&args[..], &["--node-autoscaler", "karpenter"]].concat());
    assert!(plain.status.success() && named.status.success());
    assert_eq!(plain.stdout, named.stdout, "--node-autoscaler karpenter is the default, byte for byte");
    let summary = &json(&plain)["summary"];
    for absent in ["node_autoscaler", "cluster_autoscaler", "comparison"] {
        assert!(summary.get(absent).is_none(), "Karpenter's summary gained {absent}");
    }
    // An unknown controller is unusable input.
    let out = tokenfleet(&[&args[..], &["--node-autoscaler", "keda"]].concat());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn simulate_with_cluster_autoscaler_puts_both_runs_side_by_side() {
    let args = ["simulate", "examples/spiky-spot-burst.yaml", "--duration", "12h", "--seed", "3"];
    let out = json(&tokenfleet(&[&args[..], &["--node-autoscaler", "cluster-autoscaler"]].concat()));
    let summary = &out["summary"];
    assert_eq!(summary["node_autoscaler"], "cluster-autoscaler");
    let ca = &summary["cluster_autoscaler"];
    assert_eq!(ca["parameters"]["scan_interval_s"]["value"], 10.0);
    assert!(ca["parameters"]["scan_interval_s"]["source"].as_str().unwrap().contains("FAQ"), "{ca}");
    assert!(ca["parameters"]["asg_launch_s"]["source"].as_str().unwrap().starts_with("estimate"), "{ca}");
    assert_eq!(ca["expander"], "random");
    let groups = ca["node_groups"].as_array().unwrap();
    assert!(!groups.is_empty() && groups.iter().all(|g| g["source"] == "derived" && g["min_size"] == 0), "{ca}");
    assert!(ca["scale_ups"].as_u64().unwrap() > 0, "{ca}");

    let cmp = &summary["comparison"];
    for side in ["karpenter", "cluster_autoscaler"] {
        for field in [
            "cost_usd",
            "cost_usd_per_day",
            "longest_pending_s",
            "longest_unschedulable_s",
            "pod_startup_s_mean",
            "pod_startup_s_max",
            "nodes_launched",
            "nodes_removed",
            "peak_nodes",
            "requests_dropped",
        ] {
            assert!(cmp[side][field].is_number(), "comparison.{side}.{field} missing: {cmp}");
        }
        assert!(cmp[side]["slo_attainment"].is_object(), "{cmp}");
    }
    // Each side is its own run of the same day and seed: the Karpenter side is the plain run, the
    // Cluster Autoscaler side this run's summary.
    let plain = json(&tokenfleet(&args))["summary"].clone();
    for field in ["cost_usd", "longest_pending_s", "nodes_launched", "peak_nodes", "slo_attainment"] {
        assert_eq!(cmp["karpenter"][field], plain[field], "{field}");
        assert_eq!(cmp["cluster_autoscaler"][field], summary[field], "{field}");
    }
    // Cluster Autoscaler reaches capacity later: its loop and the Auto Scaling group's launch.
    let (k, c) = (&cmp["karpenter"], &cmp["cluster_autoscaler"]);
    assert!(c["pod_startup_s_mean"].as_f64() >= k["pod_startup_s_mean"].as_f64(), "{cmp}");
    // The series is the Cluster Autoscaler run's; CSV works too.
    assert_eq!(out["series"]["t_s"].as_array().unwrap().len(), 720);
    let csv = tokenfleet(&[&args[..], &["--node-autoscaler", "cluster-autoscaler", "--format", "csv"]].concat());
    assert!(csv.status.success() && String::from_utf8_lossy(&csv.stdout).starts_with("t_s,"));
}

#[test]
fn simulate_takes_the_plans_node_groups_and_settings() {
    let dir = std::env::temp_dir().join(format!("tokenfleet-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/quickstart.yaml")).unwrap();
    let section = "  clusterAutoscaler:\n    expander: priority,least-waste\n    scaleDownUnneededTime: 5m\n    \
                   nodeGroups:\n      - name: gpu-asg\n        nodePool: gpu-on-demand\n        minSize: 1\n        \
                   maxSize: 6\n        desiredCapacity: 2\n        priority: 10\n  nodePools:\n";
    let plan = dir.join("with-groups.yaml");
    std::fs::write(&plan, text.replacen("  nodePools:\n", section, 1)).unwrap();
    let plan = plan.to_str().unwrap();
    let out = json(&tokenfleet(&["simulate", plan, "--duration", "3h", "--node-autoscaler", "cluster-autoscaler"]));
    let ca = &out["summary"]["cluster_autoscaler"];
    assert_eq!(ca["expander"], "priority,least-waste");
    assert_eq!(ca["parameters"]["scale_down_unneeded_time_s"]["value"], 300.0);
    assert_eq!(ca["parameters"]["scale_down_unneeded_time_s"]["default"], 600.0);
    let group = &ca["node_groups"][0];
    assert_eq!(
        (&group["name"], &group["source"], &group["instance_type"]),
        (&"gpu-asg".into(), &"plan".into(), &"g6e.xlarge".into())
    );
    assert_eq!((&group["min_size"], &group["max_size"], &group["desired_capacity"]), (&1.into(), &6.into(), &2.into()));
    assert!(out["series"]["nodes"][0].as_u64().unwrap() >= 2, "desiredCapacity nodes from the start");
    // A node group on a NodePool the plan lacks is refused when the plan is read: exit 2.
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        text.replacen("  nodePools:\n", &section.replace("nodePool: gpu-on-demand", "nodePool: nowhere"), 1),
    )
    .unwrap();
    let out = tokenfleet(&["simulate", bad.to_str().unwrap(), "--node-autoscaler", "cluster-autoscaler"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}
