//! Unit tests of the eksctl and Cluster Autoscaler import.

use super::cluster_autoscaler::Pattern;
use super::*;
use crate::catalog::CapacityType;

/// Written for these tests in the shape of eksctl's `examples/15-managed-nodes.yaml`,
/// `26-managed-nodegroup-spot-instances.yaml` and `34-taints.yaml`, Cluster Autoscaler's
/// `cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml` and the priority expander's
/// readme; with mistakes on purpose.
const CLUSTER: &str = "\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: inference
  region: us-west-2
managedNodeGroups:
  - name: system
    instanceType: m5.large
    minSize: 2
    maxSize: 3
  - name: gpu_A10G
    instanceTypes: [g5.xlarge, g5.2xlarge]
    spot: true
    minSize: 1
    maxSize: 4
    desiredCapacity: 2
    amiFamily: Bottlerocket
    volumeSize: 200
    labels:
      role: inference
      node.kubernetes.io/lifecycle: spot
    taints:
      - key: nvidia.com/gpu
        effect: NoSchedule
  - name: gpu-ondemand
    instanceType: g6e.xlarge
    minSize: 0
    maxSize: 2
    taints:
      - key: nvidia.com/gpu
        value: \"true\"
        effect: Sometimes
nodeGroups:
  - name: legacy
    instanceType: p2.xlarge
    launchTemplate: {id: lt-0123}
  - name: inf
    instanceType: inf2.xlarge
    maxSize: 5
    taints:
      aws.amazon.com/neuron: \"true:NoSchedule\"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cluster-autoscaler
  namespace: kube-system
spec:
  template:
    spec:
      containers:
        - name: cluster-autoscaler
          image: registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.0
          command:
            - ./cluster-autoscaler
            - --v=4
            - --cloud-provider=aws
            - --expander=priority,least-waste
            - --scan-interval=20s
            - --scale-down-unneeded-time=5m
            - --scale-down-delay-after-add=fortnight
            - --scale-down-utilization-threshold=0.6
            - --balance-similar-node-groups
            - --nodes=1:6:eks-gpu_A10G-1234
            - --nodes=0:3:other-asg
            - --node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/inference
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-autoscaler-priority-expander
  namespace: kube-system
data:
  priorities: |-
    10:
      - .*
    50:
      - .*gpu-ondemand.*
    40:
      - .*A10G.*
    30:
      - (spot|od-[0-9]+
";

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).expect(needle) as u64 + 1
}

fn tf055<'a>(imported: &'a Import, path_part: &str) -> &'a Finding {
    imported
        .findings
        .iter()
        .find(|f| f.code == "TF055" && f.path.contains(path_part))
        .unwrap_or_else(|| panic!("no TF055 at {path_part}: {:#?}", imported.findings))
}

#[test]
fn a_cluster_autoscaler_cluster_imports_to_node_pools_and_node_groups() {
    let imported = import_yaml("cluster.yaml", CLUSTER).unwrap();
    let plan = &imported.plan;
    assert_eq!(validate(plan), vec![], "{:#?}", imported.findings);
    assert!(!imported.findings.iter().any(|f| f.severity == Severity::Error), "{:#?}", imported.findings);
    assert_eq!(plan.metadata.name, "inference");
    assert_eq!(plan.spec.region, "us-west-2");
    assert_eq!(plan.spec.cluster.as_ref().map(|c| c.name.as_str()), Some("inference"));

    // The system group has no accelerators and stays outside; the p2 group is not in the catalog.
    let pools: Vec<&str> = plan.spec.node_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(pools, ["gpu-a10g", "gpu-ondemand", "inf"]);
    let a10g = &plan.spec.node_pools[0];
    assert_eq!(a10g.capacity_types, [CapacityType::Spot]);
    assert_eq!(a10g.instance_types, ["g5.xlarge", "g5.2xlarge"]);
    assert_eq!(a10g.labels, BTreeMap::from([("role".to_string(), "inference".to_string())]));
    assert_eq!(a10g.taints, [Taint { key: "nvidia.com/gpu".into(), value: None, effect: "NoSchedule".into() }]);
    // --nodes=1:6 wins over maxSize 4: six nodes of the largest type (g5.2xlarge: 8 vCPU, 1 GPU).
    assert_eq!(a10g.limits.get("cpu").map(String::as_str), Some("48"));
    assert_eq!(a10g.limits.get("nvidia.com/gpu").map(String::as_str), Some("6"));
    assert_eq!(a10g.consolidation.policy, "WhenEmptyOrUnderutilized");
    assert_eq!(a10g.consolidation.after.as_deref(), Some("5m"));
    assert_eq!(a10g.weight, Some(40));
    let class = plan.node_class(&a10g.node_class).unwrap();
    assert_eq!((class.ami.as_str(), class.disk_gib), ("bottlerocket", Some(200)));

    let ondemand = &plan.spec.node_pools[1];
    assert_eq!(ondemand.capacity_types, [CapacityType::OnDemand]);
    assert!(ondemand.taints.is_empty(), "an invalid effect is left out");
    assert_eq!(ondemand.limits.get("nvidia.com/gpu").map(String::as_str), Some("2"));
    assert_eq!(ondemand.weight, Some(50));
    assert_eq!(plan.node_class(&ondemand.node_class).unwrap().ami, "al2023");

    // The older map form of taints; eksctl's default size (two nodes) under maxSize 5.
    let inf = &plan.spec.node_pools[2];
    assert_eq!(
        inf.taints,
        [Taint { key: "aws.amazon.com/neuron".into(), value: Some("true".into()), effect: "NoSchedule".into() }]
    );
    assert_eq!(inf.limits.get("aws.amazon.com/neuron").map(String::as_str), Some("5"));

    let ca = plan.spec.cluster_autoscaler.as_ref().unwrap();
    assert_eq!(ca.scan_interval.as_deref(), Some("20s"));
    assert_eq!(ca.expander.as_deref(), Some("priority,least-waste"));
    assert_eq!(ca.scale_down_unneeded_time.as_deref(), Some("5m"));
    assert_eq!(ca.scale_down_delay_after_add, None);
    assert_eq!(ca.scale_down_utilization_threshold, Some(0.6));
    let groups: Vec<_> = ca
        .node_groups
        .iter()
        .map(|g| (g.name.as_str(), g.node_pool.as_str(), g.min_size, g.max_size, g.desired_capacity, g.priority))
        .collect();
    assert_eq!(
        groups,
        [
            ("gpu_A10G", "gpu-a10g", 1, 6, Some(2), Some(40)),
            ("gpu-ondemand", "gpu-ondemand", 0, 2, Some(0), Some(50)),
            ("inf", "inf", 2, 5, Some(2), Some(10)),
        ]
    );

    // The plan exports: a NodePool per group, with its limits.
    let docs = render::render_values(plan);
    let exported = docs.iter().find(|d| d["kind"] == "NodePool" && d["metadata"]["name"] == "gpu-a10g").unwrap();
    assert_eq!(exported["spec"]["limits"]["nvidia.com/gpu"], "6");
    assert_eq!(exported["spec"]["weight"], 40);
}

#[test]
fn what_cannot_be_carried_over_is_reported_at_its_line() {
    let imported = import_yaml("cluster.yaml", CLUSTER).unwrap();
    let at = |path: &str, needle: &str| {
        let f = tf055(&imported, path);
        assert_eq!(f.line, Some(line_of(CLUSTER, needle)), "{f:#?}");
        assert_eq!(f.file, "cluster.yaml");
        f.clone()
    };
    let f = at("containers[0].command[6]", "fortnight");
    assert!(f.message.contains("--scale-down-delay-after-add"), "{f:#?}");
    at("containers[0].command[8]", "balance-similar");
    let f = at("containers[0].command[9]", "eks-gpu_A10G-1234");
    assert!(f.message.contains("1–6 nodes, the ClusterConfig 1–4"), "{f:#?}");
    let f = at("containers[0].command[10]", "other-asg");
    assert!(f.message.contains("no node group of the ClusterConfig"), "{f:#?}");
    let f = at("managedNodeGroups[0].instanceType", "m5.large");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.message.contains("stays outside the plan"), "{f:#?}");
    let f = at("managedNodeGroups[1].instanceTypes", "[g5.xlarge, g5.2xlarge]");
    assert!(f.message.contains("different sizes"), "{f:#?}");
    at("managedNodeGroups[1].name", "gpu_A10G");
    let f = tf055(&imported, "managedNodeGroups[2].taints[0]");
    assert_eq!(f.line, Some(line_of(CLUSTER, "effect: Sometimes") - 2), "{f:#?}");
    at("nodeGroups[0].instanceType", "p2.xlarge");
    at("nodeGroups[0].launchTemplate", "launchTemplate");
    let f = tf055(&imported, "data.priorities");
    assert!(f.message.contains("(spot|od-[0-9]+") && f.message.contains("line 8 of data.priorities"), "{f:#?}");
    // The restricted label is reported at its group's labels.
    let f = imported.findings.iter().find(|f| f.message.contains("node.kubernetes.io/lifecycle")).unwrap();
    assert_eq!(f.line, Some(line_of(CLUSTER, "node.kubernetes.io/lifecycle")));
}

#[test]
fn without_a_cluster_autoscaler_deployment_the_defaults_apply() {
    let text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c, region: eu-central-1}\n\
        managedNodeGroups:\n  - name: gpu\n    instanceType: g6.xlarge\n    desiredCapacity: 3\n";
    let imported = import_yaml("c.yaml", text).unwrap();
    assert_eq!(validate(&imported.plan), vec![]);
    // eu-central-1 is not priced: the plan keeps its region, and says so at the line.
    assert_eq!(imported.plan.spec.region, "us-east-1");
    assert_eq!(tf055(&imported, "metadata.region").line, Some(3));
    let ca = imported.plan.spec.cluster_autoscaler.as_ref().unwrap();
    assert_eq!(ca.scan_interval, None);
    let g = &ca.node_groups[0];
    assert_eq!((g.min_size, g.max_size, g.desired_capacity), (3, 3, Some(3)));
    assert_eq!(imported.plan.spec.node_pools[0].limits.get("nvidia.com/gpu").map(String::as_str), Some("3"));
    assert!(tf055(&imported, "spec.clusterAutoscaler").message.contains("defaults"));
}

#[test]
fn flags_written_as_two_words_and_a_gpu_threshold_are_read() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ca}\nspec:\n  template:\n    spec:\n      containers:\n\
        \x20       - name: ca\n          image: example.com/cluster-autoscaler-custom:1\n          args: [--expander, most-pods, \
        --scale-down-enabled=false, --scale-down-gpu-utilization-threshold=0.3, --scale-down-utilization-threshold=0.5, \
        --max-nodes-total=40, --max-node-provision-time=20m, --expander=grpc, '--nodes=2:1:x']\n";
    let imported = import_yaml("ca.yaml", text).unwrap();
    let ca = imported.plan.spec.cluster_autoscaler.as_ref().unwrap();
    // A later unknown expander is reported and the earlier value kept.
    assert_eq!(ca.expander.as_deref(), Some("most-pods"));
    assert_eq!(ca.scale_down_enabled, Some(false));
    assert_eq!(ca.scale_down_utilization_threshold, Some(0.3));
    assert_eq!(ca.max_nodes_total, Some(40));
    assert_eq!(ca.max_node_provision_time.as_deref(), Some("20m"));
    assert!(tf055(&imported, "args[7]").message.contains("grpc"));
    assert!(tf055(&imported, "args[8]").message.contains("minimum above"));
    // No discovery and a bad --nodes: Cluster Autoscaler scales nothing.
    assert!(imported.findings.iter().any(|f| f.message.contains("scales no node group")));
    assert_eq!(validate(&imported.plan), vec![]);
}

#[test]
fn priorities_outside_1_to_100_keep_their_order_as_weights() {
    let text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c, region: us-east-1}\n\
        managedNodeGroups:\n  - {name: a, instanceType: g6.xlarge}\n  - {name: b, instanceType: g5.xlarge}\n  - {name: c, instanceType: g6e.xlarge}\n\
        ---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cluster-autoscaler}\nspec: {template: {spec: {containers: [{name: c, \
        command: [./cluster-autoscaler, --expander=priority, '--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled']}]}}}\n\
        ---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cluster-autoscaler-priority-expander}\n\
        data:\n  priorities: |\n    0:\n      - ^eks-a-.*$\n    1000:\n      - b\n    500:\n      - .*c.*\n";
    let imported = import_yaml("p.yaml", text).unwrap();
    let weights: Vec<_> = imported.plan.spec.node_pools.iter().map(|p| (p.name.as_str(), p.weight)).collect();
    assert_eq!(weights, [("a", Some(1)), ("b", Some(100)), ("c", Some(50))]);
    assert_eq!(validate(&imported.plan), vec![]);
}

#[test]
fn patterns_match_like_go_regular_expressions() {
    let yes = |p: &str, s: &str| Pattern::parse(p).unwrap().matches(s);
    assert!(yes(".*gpu.*", "eks-gpu-spot-1a2b"));
    assert!(yes("gpu", "eks-gpu-1"), "unanchored");
    assert!(!yes("^gpu", "eks-gpu-1"));
    assert!(yes("^eks-gpu-.+$", "eks-gpu-1"));
    assert!(!yes("^eks-gpu-.+$", "eks-gpu-"));
    assert!(yes(".*t3\\.large.*", "ng-t3.large"));
    assert!(!yes(".*t3\\.large.*", "ng-t3xlarge"));
    assert!(yes("a.c", "abc"));
    assert!(yes("^eks-(gpu|inf)-[0-9]+$", "eks-inf-12"), "groups, alternation and classes");
    assert!(!yes("^eks-(gpu|inf)-[0-9]+$", "eks-trn-12"));
    assert!(yes("a?b{2}", "xbb"));
    for bad in ["(a|b", "[0-9", "a{2", "x\\", "*a"] {
        assert!(Pattern::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn node_group_names_become_valid_unique_pool_names() {
    let text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c}\nmanagedNodeGroups:\n\
        \x20 - {name: GPU.Pool, instanceType: g6.xlarge}\n  - {name: gpu-pool, instanceType: g6.xlarge}\n  - {name: '---', instanceType: g6.xlarge}\n\
        \x20 - {name: gpu-pool, instanceType: g5.xlarge}\n  - {name: 'a:b', instanceType: g5.xlarge}\n";
    let imported = import_yaml("n.yaml", text).unwrap();
    let pools: Vec<_> = imported.plan.spec.node_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(pools, ["gpu-pool", "gpu-pool-2", "node-group"]);
    assert_eq!(validate(&imported.plan), vec![]);
    // A repeated name and an Auto Scaling group name with ':' are left out, at their lines.
    assert_eq!(tf055(&imported, "managedNodeGroups[3].name").line, Some(8));
    assert_eq!(tf055(&imported, "managedNodeGroups[4].name").line, Some(9));
}

/// Hostile shapes of the new documents: every one imports without a panic, and a plan without an
/// error finding validates.
#[test]
fn hostile_cluster_configs_and_flags_never_panic() {
    let inputs = [
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmanagedNodeGroups: 7\nnodeGroups: {a: 1}\n".to_string(),
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmanagedNodeGroups: [1, [], {name: []}, {name: x, instanceTypes: {a: 1}}]\n".to_string(),
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: [], region: {}}\nmanagedNodeGroups:\n  - {name: x, instanceType: g5.48xlarge, minSize: -1, maxSize: 99999999999999999999, desiredCapacity: 1e300, volumeSize: -5, spot: yes}\n".to_string(),
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmanagedNodeGroups:\n  - {name: x, instanceType: g5.48xlarge, maxSize: 10000, taints: {a: ':::'}, labels: {'': '', 'a/b/c': x}}\n".to_string(),
        format!("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmanagedNodeGroups:\n  - {{name: {}, instanceType: g6.xlarge}}\n", "é".repeat(300)),
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmanagedNodeGroups:\n  - {name: x, instancesDistribution: {instanceTypes: [g5.xlarge, 3], onDemandPercentageAboveBaseCapacity: -7, onDemandBaseCapacity: x}}\n".to_string(),
        "kind: Deployment\nspec: {template: {spec: {containers: [{image: cluster-autoscaler, command: [--nodes, --expander, --scan-interval, '--nodes=::', '--nodes=1:2:', '--scan-interval=9999999999h', '--scale-down-utilization-threshold=NaN', '-', '--', '--=', '--max-nodes-total=-1']}]}}}\n".to_string(),
        "kind: Deployment\nspec: {template: {spec: {containers: [{command: [./cluster-autoscaler, {a: b}, [], null, '--expander=,,,']}]}}}\n".to_string(),
        "kind: ConfigMap\nmetadata: {name: cluster-autoscaler-priority-expander}\ndata: {priorities: '[1, 2'}\n".to_string(),
        "kind: ConfigMap\nmetadata: {name: cluster-autoscaler-priority-expander}\ndata: {priorities: \"99999999999: [a]\\n-1: {b: c}\\nx: .*\\n5: '\\\\\\\\'\"}\n".to_string(),
        format!("kind: ConfigMap\nmetadata: {{name: cluster-autoscaler-priority-expander}}\ndata: {{priorities: \"1: ['{}']\"}}\n", ".*a".repeat(300)),
        format!(
            "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmanagedNodeGroups:\n{}---\nkind: Deployment\nspec: {{template: {{spec: {{containers: [{{image: cluster-autoscaler, args: ['--expander=priority', '--nodes=0:10000:g0']}}]}}}}}}\n---\nkind: ConfigMap\nmetadata: {{name: cluster-autoscaler-priority-expander}}\ndata: {{priorities: \"-5: [g1]\\n2147483647: [g2]\"}}\n",
            (0..300).map(|i| format!("  - {{name: g{i}, instanceType: p5.48xlarge, maxSize: 10000}}\n")).collect::<String>()
        ),
    ];
    for input in &inputs {
        let Ok(imported) = import_yaml("hostile.yaml", input) else { continue };
        if !imported.findings.iter().any(|f| f.severity == Severity::Error) {
            assert_eq!(validate(&imported.plan), vec![], "{input}");
        }
        let _ = render::render_stream(&imported.plan);
        let _ = crate::lint::lint_yaml("hostile.yaml", input);
    }
}

/// A ClusterConfig of system nodes only leaves the plan as it was: no pool, no Cluster Autoscaler.
#[test]
fn a_cluster_of_system_nodes_only_adds_nothing_to_simulate() {
    let text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c, region: eu-west-1}\n\
        managedNodeGroups:\n  - {name: system, instanceType: m6i.large, minSize: 2, maxSize: 2}\n";
    let imported = import_yaml("c.yaml", text).unwrap();
    assert!(imported.plan.spec.node_pools.is_empty());
    assert_eq!(imported.plan.spec.cluster_autoscaler, None);
    assert_eq!(imported.plan.spec.region, "eu-west-1");
    assert_eq!(tf055(&imported, "managedNodeGroups[0].instanceType").severity, Severity::Info);
}

/// A model server that selected its node group by EKS's node labels selects the NodePool instead.
#[test]
fn node_group_selectors_become_node_pool_selectors() {
    let text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: c, region: us-east-1}\n\
        managedNodeGroups:\n  - {name: gpu_spot, instanceType: g6.xlarge, spot: true, maxSize: 3}\n  - {name: pick, instanceSelector: {gpus: 1}}\n\
        ---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: chat}\nspec:\n  replicas: 1\n  template:\n    spec:\n\
        \x20     nodeSelector: {eks.amazonaws.com/nodegroup: gpu_spot, eks.amazonaws.com/capacityType: SPOT}\n\
        \x20     containers: [{name: vllm, args: [--model, meta-llama/Meta-Llama-3-8B-Instruct], resources: {limits: {nvidia.com/gpu: 1}}}]\n";
    let imported = import_yaml("s.yaml", text).unwrap();
    let selector = &imported.plan.spec.deployments[0].node_selector;
    assert_eq!(
        selector,
        &BTreeMap::from([
            ("karpenter.sh/capacity-type".to_string(), "spot".to_string()),
            ("karpenter.sh/nodepool".to_string(), "gpu-spot".to_string()),
        ])
    );
    let f = tf055(&imported, "spec.template.spec.nodeSelector");
    assert_eq!(f.line, Some(15), "{f:#?}");
    // The group picked by an instance selector is reported once, as a warning, and left out.
    let picks: Vec<_> = imported.findings.iter().filter(|f| f.path.starts_with("managedNodeGroups[1]")).collect();
    assert_eq!(picks.len(), 1, "{picks:#?}");
    assert_eq!(picks[0].severity, Severity::Warning);
    assert_eq!(validate(&imported.plan), vec![]);
    let placed = crate::place::evaluate(&imported.plan);
    assert!(placed.unplaced.is_empty(), "{:#?}", placed.unplaced);
}
