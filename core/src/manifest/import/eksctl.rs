//! Import of an eksctl `ClusterConfig` (`eksctl.io/v1alpha5`) run by Cluster Autoscaler: each node
//! group becomes a NodePool that can launch no more than the group could, and a node group of
//! `spec.clusterAutoscaler` standing on it, so the plan can be simulated the way the cluster runs
//! today and exported the way Karpenter would run it.
//!
//! The schema is eksctl's `pkg/apis/eksctl.io/v1alpha5/types.go`: `managedNodeGroups[]` and
//! `nodeGroups[]` with `name`, `instanceType`, `instanceTypes`, `spot`, `minSize`, `maxSize`,
//! `desiredCapacity`, `labels`, `taints` (a list of `{key, value, effect}`, or the older map
//! `key: value:Effect`), `amiFamily`, `volumeSize`; self-managed groups may mix types through
//! `instancesDistribution`. Defaults are eksctl's: `m5.large`, two nodes.

use std::collections::BTreeMap;

use crate::catalog::{self, CapacityType, InstanceType, PRICE_REGIONS};
use crate::finding::{Finding, Severity};
use crate::k8s;
use crate::plan::parse::MAX_REPLICAS;
use crate::plan::tree::{Node, Value};
use crate::plan::*;

use super::cluster_autoscaler::{Flags, CODE};
use super::{Importer, Origin, SourceDocument};

/// eksctl's instance type when a node group names none.
const EKSCTL_DEFAULT_INSTANCE_TYPE: &str = "m5.large";
/// eksctl's node count when a node group gives no size.
const EKSCTL_DEFAULT_DESIRED: u32 = 2;

/// Node group fields a plan cannot carry, with how much that matters.
const NOT_CARRIED: &[(&str, Severity, &str)] = &[
    ("launchTemplate", Severity::Warning, "a launch template's settings (user data, AMI, devices) are not read"),
    ("ami", Severity::Warning, "a custom AMI id has no counterpart; the node class uses an @latest alias"),
    ("overrideBootstrapCommand", Severity::Warning, "a custom bootstrap is not carried over"),
    ("preBootstrapCommands", Severity::Warning, "commands run before bootstrap are not carried over"),
    (
        "instanceSelector",
        Severity::Warning,
        "eksctl resolves it when the group is created: list the types it chose in instanceTypes to import the group",
    ),
    ("capacityReservation", Severity::Warning, "reservations are listed by id in nodeClasses[].capacityReservations"),
    ("bottlerocket", Severity::Info, "Bottlerocket settings go in the EC2NodeClass's userData (a patch)"),
    ("instancesDistribution.maxPrice", Severity::Info, "Karpenter pays the spot price, never above on-demand"),
    (
        "instancesDistribution.spotAllocationStrategy",
        Severity::Info,
        "Karpenter launches spot price-capacity-optimized",
    ),
    ("kubeletExtraConfig", Severity::Info, "kubelet settings go in the EC2NodeClass's spec.kubelet (a patch)"),
    ("maxPodsPerNode", Severity::Info, "set EC2NodeClass spec.kubelet.maxPods (a patch)"),
    (
        "availabilityZones",
        Severity::Info,
        "zones come from the EC2NodeClass's subnets, or a topology.kubernetes.io/zone requirement",
    ),
    ("subnets", Severity::Info, "subnets come from the EC2NodeClass's subnetSelectorTerms"),
    ("securityGroups", Severity::Info, "security groups come from the EC2NodeClass's securityGroupSelectorTerms"),
    ("privateNetworking", Severity::Info, "the EC2NodeClass's subnets decide it"),
    ("ssh", Severity::Info, "SSH access is not carried over (use SSM)"),
    ("iam", Severity::Info, "Karpenter's nodes use the node role in spec.cluster.nodeRole"),
    ("tags", Severity::Info, "tags go in the EC2NodeClass's spec.tags (a patch)"),
    ("volumeType", Severity::Info, "the exported data volume is gp3"),
    ("volumeIOPS", Severity::Info, "the exported data volume uses gp3's baseline"),
    ("volumeThroughput", Severity::Info, "the exported data volume uses gp3's baseline"),
    ("volumeEncrypted", Severity::Info, "set encrypted in the EC2NodeClass's blockDeviceMappings (a patch)"),
    ("efaEnabled", Severity::Info, "EFA interfaces are not exported"),
    ("placement", Severity::Info, "placement groups are not exported"),
    ("updateConfig", Severity::Info, "NodePool disruption budgets limit how many nodes change at once"),
    ("asgSuspendProcesses", Severity::Info, "Karpenter manages instances without Auto Scaling groups"),
    ("targetGroupARNs", Severity::Info, "register pods, not nodes, with the AWS Load Balancer Controller"),
    ("classicLoadBalancerNames", Severity::Info, "register pods, not nodes, with the AWS Load Balancer Controller"),
];

/// Whether an instance type name looks like an accelerated family (GPU, Inferentia, Trainium).
fn looks_accelerated(name: &str) -> bool {
    let family = name.split('.').next().unwrap_or_default();
    ["g", "p", "inf", "trn", "dl", "vt", "f"]
        .iter()
        .any(|prefix| family.strip_prefix(prefix).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit())))
}

/// A valid NodePool name for a node group name: lowercase, invalid characters as `-`, at most 63.
fn pool_name(name: &str) -> String {
    let mut out: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' { c } else { '-' })
        .collect();
    out.truncate(63);
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "node-group".to_string()
    } else {
        out
    }
}

/// Label keys Karpenter refuses in a NodePool template (restricted domains).
fn restricted_label(key: &str) -> bool {
    let Some((prefix, _)) = key.split_once('/') else { return false };
    ["kubernetes.io", "k8s.io", "karpenter.sh", "karpenter.k8s.aws"]
        .iter()
        .any(|d| prefix == *d || prefix.ends_with(&format!(".{d}")))
        && !prefix.ends_with("node-restriction.kubernetes.io")
}

/// The plan's node class OS for an eksctl `amiFamily`, and whether that is a change.
fn ami_of(family: &str) -> (&'static str, bool) {
    match family.to_ascii_lowercase().as_str() {
        "" | "amazonlinux2023" => ("al2023", false),
        "bottlerocket" => ("bottlerocket", false),
        _ => ("al2023", true),
    }
}

/// A node group read from the ClusterConfig, before `--nodes` and priorities apply.
pub(super) struct ImportedGroup {
    pub name: String,
    pub pool: usize,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub managed: bool,
    /// Resource → what one node of the group's largest type brings (cpu, devices).
    pub per_node: BTreeMap<String, u64>,
}

impl<'a> Importer<'a> {
    fn group_finding(&mut self, doc: &SourceDocument, severity: Severity, field: &str, message: String, fix: &str) {
        let mut f = doc.finding(CODE, severity, field, message, fix);
        f.path = doc.path(field);
        self.findings.push(f);
    }

    /// Reads every ClusterConfig, then applies Cluster Autoscaler's flags and priorities.
    pub(super) fn cluster_autoscaling(
        &mut self,
        configs: &[&'a SourceDocument],
        ca_docs: &[&'a SourceDocument],
        priority_docs: &[&'a SourceDocument],
    ) {
        if configs.is_empty() && ca_docs.is_empty() && priority_docs.is_empty() {
            return;
        }
        let flags = self.cluster_autoscaler_flags(ca_docs);
        let priorities = self.priorities(priority_docs);
        let mut groups = Vec::new();
        for doc in configs {
            self.cluster_config(doc, &flags.settings, &mut groups);
        }
        let mut node_groups = Vec::new();
        let mut used_nodes_flags = vec![false; flags.nodes.len()];
        for g in &groups {
            let (mut min, mut max) = (g.min, g.max);
            let by_flag = flags.nodes.iter().position(|n| names_group(&n.name, &g.name));
            if let Some(k) = by_flag {
                used_nodes_flags[k] = true;
                let flag = &flags.nodes[k];
                if (flag.min, flag.max) != (g.min, g.max) {
                    if let Some(doc) = flags.doc {
                        self.ca_finding(
                            doc,
                            Severity::Info,
                            &flag.field,
                            format!(
                                "--nodes gives node group {} {}–{} nodes, the ClusterConfig {}–{}: the flag's bounds \
                                 are used, as Cluster Autoscaler does (the Auto Scaling group must allow them)",
                                g.name, flag.min, flag.max, g.min, g.max
                            ),
                            "make the two agree",
                        );
                    }
                }
                (min, max) = (flag.min, flag.max);
            } else if flags.doc.is_some() && !flags.auto_discovery {
                // Cluster Autoscaler leaves a group it does not know at its size.
                (min, max) = (g.desired, g.desired);
            }
            let desired = g.desired.clamp(min, max);
            let priority = priorities
                .iter()
                .find(|p| p.patterns.iter().any(|pattern| asg_names(g).iter().any(|n| pattern.matches(n))))
                .map(|p| p.value);
            node_groups.push(NodeGroup {
                name: g.name.clone(),
                node_pool: self.plan.spec.node_pools[g.pool].name.clone(),
                min_size: min,
                max_size: max,
                desired_capacity: Some(desired),
                priority,
            });
            // The pool's limits follow the size Cluster Autoscaler may reach.
            self.plan.spec.node_pools[g.pool].limits = limits(&g.per_node, max);
        }
        if let Some(doc) = flags.doc {
            for (n, _) in flags.nodes.iter().zip(&used_nodes_flags).filter(|(_, used)| !**used) {
                self.ca_finding(
                    doc,
                    Severity::Warning,
                    &n.field,
                    format!("--nodes names {:?}, which is no node group of the ClusterConfig; not imported", n.name),
                    "import the ClusterConfig that holds it, or remove the flag",
                );
            }
        }
        self.weights_from_priorities(&flags, &node_groups, priority_docs);
        self.follow_node_group_selectors(&groups);
        let settings = flags.settings;
        if flags.doc.is_none() && !node_groups.is_empty() {
            let mut f = Finding::new(
                CODE,
                Severity::Info,
                "spec.clusterAutoscaler",
                "no Cluster Autoscaler Deployment in the input: its settings are Cluster Autoscaler's defaults",
                "import the cluster-autoscaler Deployment too (kubectl get deploy -n kube-system cluster-autoscaler -o yaml)",
            );
            f.document = 0;
            self.findings.push(f);
        }
        // A ClusterConfig with no node group of the plan and no Cluster Autoscaler says nothing to simulate.
        if flags.doc.is_some() || !node_groups.is_empty() {
            self.plan.spec.cluster_autoscaler = Some(ClusterAutoscaler { node_groups, ..settings });
        }
    }

    /// Model servers that select a node group by the labels EKS and eksctl put on its nodes
    /// (`eks.amazonaws.com/nodegroup`, `alpha.eksctl.io/nodegroup-name`, `eks.amazonaws.com/capacityType`)
    /// select its NodePool (`karpenter.sh/nodepool`) and capacity type instead: Karpenter's nodes carry
    /// no node group labels.
    fn follow_node_group_selectors(&mut self, groups: &[ImportedGroup]) {
        for (doc, index) in self.deployment_docs.clone() {
            let Some(d) = self.plan.spec.deployments.get_mut(index).filter(|d| d.mode == Mode::Monolithic) else {
                continue;
            };
            let mut changes = Vec::new();
            for key in ["eks.amazonaws.com/nodegroup", "alpha.eksctl.io/nodegroup-name"] {
                let Some(value) = d.node_selector.get(key).cloned() else { continue };
                if let Some(g) = groups.iter().find(|g| g.name == value) {
                    let pool = self.plan.spec.node_pools[g.pool].name.clone();
                    d.node_selector.remove(key);
                    d.node_selector.insert("karpenter.sh/nodepool".to_string(), pool.clone());
                    changes.push(format!("{key}={value} became karpenter.sh/nodepool={pool}"));
                }
            }
            let capacity = d.node_selector.get("eks.amazonaws.com/capacityType").cloned();
            let karpenter = match capacity.as_deref() {
                Some("SPOT") => Some("spot"),
                Some("ON_DEMAND") => Some("on-demand"),
                _ => None,
            };
            if let (Some(value), Some(karpenter)) = (capacity, karpenter) {
                d.node_selector.remove("eks.amazonaws.com/capacityType");
                d.node_selector.insert("karpenter.sh/capacity-type".to_string(), karpenter.to_string());
                changes.push(format!(
                    "eks.amazonaws.com/capacityType={value} became karpenter.sh/capacity-type={karpenter}"
                ));
            }
            let name = d.name.clone();
            for change in changes {
                self.findings.push(doc.finding(
                    CODE,
                    Severity::Info,
                    "spec.template.spec.nodeSelector",
                    format!("Deployment {name}: node selector {change}: Karpenter's nodes carry no node group labels"),
                    "apply the exported Deployment, whose node selector names the NodePool",
                ));
            }
        }
    }

    /// With the priority expander, priorities become NodePool weights (1–100, highest first, in the
    /// same order).
    fn weights_from_priorities(&mut self, flags: &Flags, groups: &[NodeGroup], priority_docs: &[&SourceDocument]) {
        let uses_priority = flags.settings.expander.as_deref().is_some_and(|e| e.split(',').any(|x| x == "priority"));
        if !uses_priority {
            if let Some(doc) = priority_docs.first() {
                self.ca_finding(
                    doc,
                    Severity::Info,
                    &doc.path("data.priorities"),
                    "the priorities are read, but --expander does not name priority: Cluster Autoscaler ignores them, \
                     and the NodePools get no weights"
                        .into(),
                    "add priority to --expander, or remove the ConfigMap",
                );
            }
            return;
        }
        let mut values: Vec<i32> = groups.iter().filter_map(|g| g.priority).collect();
        values.sort_unstable();
        values.dedup();
        let (Some(&low), Some(&high)) = (values.first(), values.last()) else { return };
        let weight = |p: i32| -> u32 {
            if low >= 1 && high <= 100 {
                p as u32
            } else if low == high {
                50
            } else {
                // Rank order kept: spread over 1–100.
                let rank = values.iter().position(|v| *v == p).unwrap_or(0) as u64;
                (1 + rank * 99 / (values.len() as u64 - 1).max(1)) as u32
            }
        };
        let mut weights: BTreeMap<String, u32> = BTreeMap::new();
        for g in groups {
            if let Some(p) = g.priority {
                let w = weight(p);
                let entry = weights.entry(g.node_pool.clone()).or_insert(w);
                *entry = (*entry).max(w);
            }
        }
        if !(low >= 1 && high <= 100) {
            let mut f = Finding::new(
                CODE,
                Severity::Info,
                "spec.nodePools",
                format!(
                    "priorities {low}…{high} are outside Karpenter's weights 1–100: the weights keep their order, \
                     spread over 1–100"
                ),
                "nothing to do; edit the weights if their spacing matters",
            );
            f.document = 0;
            self.findings.push(f);
        }
        for pool in &mut self.plan.spec.node_pools {
            if let Some(w) = weights.get(&pool.name) {
                pool.weight = Some(*w);
            }
        }
    }

    /// One ClusterConfig: region, cluster name, and its node groups as NodePools.
    fn cluster_config(
        &mut self,
        doc: &'a SourceDocument,
        settings: &ClusterAutoscaler,
        groups: &mut Vec<ImportedGroup>,
    ) {
        let n = &doc.node;
        if doc.api_version() != "eksctl.io/v1alpha5" {
            self.group_finding(
                doc,
                Severity::Warning,
                "apiVersion",
                format!("{} is not eksctl.io/v1alpha5, the schema this import reads", doc.api_version()),
                "check the result against the ClusterConfig",
            );
        }
        if let Some(name) = n.str_at("metadata.name") {
            if self.plan.metadata.name == "imported" && !name.trim().is_empty() && name.len() <= 253 {
                self.plan.metadata.name = name.clone();
            }
            self.cluster_name = Some(name);
        }
        if let Some(region) = n.str_at("metadata.region") {
            if PRICE_REGIONS.contains(&region.as_str()) {
                self.plan.spec.region = region;
            } else {
                self.group_finding(
                    doc,
                    Severity::Warning,
                    "metadata.region",
                    format!(
                        "region {region:?} has no prices in the catalog ({}); the plan keeps {}",
                        PRICE_REGIONS.join(", "),
                        self.plan.spec.region
                    ),
                    "import prices for the region (tokenfleet prices import), or pick the closest priced region",
                );
            }
        }
        for (field, what) in [
            ("fargateProfiles", "Fargate profiles stay as they are: Karpenter does not manage Fargate"),
            ("karpenter", "eksctl's Karpenter installation settings are not part of a plan"),
        ] {
            if n.at(field).is_some() {
                self.group_finding(doc, Severity::Info, field, what.to_string(), "nothing to do");
            }
        }
        for list in ["managedNodeGroups", "nodeGroups"] {
            for (i, ng) in n.items_at(list).iter().enumerate() {
                if let Some(g) = self.node_group(doc, list, i, ng, settings, groups) {
                    groups.push(g);
                }
            }
        }
    }

    /// One node group as a NodePool (and its node class), or `None` when it stays outside the plan.
    fn node_group(
        &mut self,
        doc: &'a SourceDocument,
        list: &str,
        i: usize,
        ng: &Node,
        settings: &ClusterAutoscaler,
        earlier: &[ImportedGroup],
    ) -> Option<ImportedGroup> {
        let managed = list == "managedNodeGroups";
        let at = |f: &str| format!("{list}[{i}].{f}");
        let Some(name) = ng.str_at("name").filter(|s| !s.trim().is_empty()) else {
            self.group_finding(
                doc,
                Severity::Warning,
                &format!("{list}[{i}]"),
                "a node group without a name; ignored".into(),
                "name every node group",
            );
            return None;
        };
        // An Auto Scaling group's name: at most 255 characters, no ':' (eksctl's are shorter still).
        let problem = if name.len() > 255 || name.contains(':') || name.contains(char::is_control) {
            Some("is not a node group name (at most 255 characters, no ':')")
        } else if earlier.iter().any(|g| g.name == name) {
            Some("is the name of an earlier node group")
        } else {
            None
        };
        if let Some(problem) = problem {
            self.group_finding(
                doc,
                Severity::Warning,
                &at("name"),
                format!("node group {name:?} {problem}; ignored"),
                "give every node group its own name",
            );
            return None;
        }
        for (field, severity, why) in NOT_CARRIED {
            if ng.at(field).is_some() {
                self.group_finding(
                    doc,
                    *severity,
                    &at(field),
                    format!("node group {name}: {field} cannot be expressed in a plan: {why}"),
                    "carry it over by hand (a patch on the exported NodePool or EC2NodeClass) if it matters",
                );
            }
        }
        // Instance types, each with its field.
        let mut types: Vec<(String, String)> = Vec::new();
        if !ng.items_at("instanceTypes").is_empty() {
            for (k, t) in ng.items_at("instanceTypes").iter().enumerate() {
                types.extend(t.scalar_text().map(|s| (s, at(&format!("instanceTypes[{k}]")))));
            }
        } else if let Some(t) = ng.str_at("instanceType").filter(|t| t != "mixed") {
            types.push((t, at("instanceType")));
        } else if !ng.items_at("instancesDistribution.instanceTypes").is_empty() {
            for (k, t) in ng.items_at("instancesDistribution.instanceTypes").iter().enumerate() {
                types.extend(t.scalar_text().map(|s| (s, at(&format!("instancesDistribution.instanceTypes[{k}]")))));
            }
        } else if ng.get("instanceSelector").is_none() {
            types.push((EKSCTL_DEFAULT_INSTANCE_TYPE.to_string(), at("name")));
        }
        let mut known: Vec<&'static InstanceType> = Vec::new();
        let mut unknown: Vec<(String, String)> = Vec::new();
        for (t, field) in types {
            match catalog::instance_type(&t) {
                Some(it) if !known.iter().any(|k| k.name == it.name) => known.push(it),
                Some(_) => {}
                None => unknown.push((t, field)),
            }
        }
        if known.is_empty() && unknown.is_empty() {
            // An instance selector without types: reported above with the fields not carried.
            return None;
        }
        if known.is_empty() {
            let accelerated = unknown.iter().any(|(t, _)| looks_accelerated(t));
            let names: Vec<&str> = unknown.iter().map(|(t, _)| t.as_str()).collect();
            let field = unknown.first().map(|(_, f)| f.clone()).unwrap_or_else(|| at("name"));
            if accelerated {
                self.group_finding(
                    doc,
                    Severity::Warning,
                    &field,
                    format!(
                        "node group {name}: instance types {} are not in Tokenfleet's catalog of accelerated types; \
                         the group stays outside the plan",
                        names.join(", ")
                    ),
                    "list types of the catalog (tokenfleet catalog), or plan this group by hand",
                );
            } else {
                self.group_finding(
                    doc,
                    Severity::Info,
                    &field,
                    format!(
                        "node group {name} has no accelerators ({}): it stays outside the plan, a managed node group \
                         as today, where Karpenter's controller and the cluster add-ons run",
                        if names.is_empty() { "no instance types listed".to_string() } else { names.join(", ") }
                    ),
                    "keep it; the migration note (docs/migrate-from-cluster-autoscaler.md) says why",
                );
            }
            return None;
        }
        for (t, field) in &unknown {
            self.group_finding(
                doc,
                Severity::Warning,
                field,
                format!(
                    "node group {name}: instance type {t} is not in Tokenfleet's catalog; left out of the NodePool"
                ),
                "replace it with a type of the catalog, or add it to the NodePool by hand",
            );
        }
        let shape = |t: &InstanceType| (t.vcpu, t.memory_mib, t.accelerator_count, t.accelerator_memory_mib);
        if known.iter().any(|t| shape(t) != shape(known[0])) {
            self.group_finding(
                doc,
                Severity::Warning,
                &at(if ng.get("instanceTypes").is_some() { "instanceTypes" } else { "instancesDistribution" }),
                format!(
                    "node group {name} mixes instance types of different sizes: Cluster Autoscaler plans every node \
                     as the first type ({}), while Karpenter launches each type as it is; the NodePool's limits \
                     take the largest",
                    known[0].name
                ),
                "give each size its own node group, or rely on Karpenter's per-pod choice after the move",
            );
        }
        // Capacity type: `spot`, or a self-managed group's instances distribution.
        let spot = ng.get("spot").is_some_and(|s| s.value == Value::Bool(true));
        let capacity_types = match ng.get("instancesDistribution") {
            None if spot => vec![CapacityType::Spot],
            None => vec![CapacityType::OnDemand],
            Some(dist) => {
                let percent = dist.get("onDemandPercentageAboveBaseCapacity").and_then(Node::as_i64).unwrap_or(100);
                let base = dist.get("onDemandBaseCapacity").and_then(Node::as_i64).unwrap_or(0);
                if percent >= 100 {
                    vec![CapacityType::OnDemand]
                } else if percent <= 0 && base <= 0 {
                    vec![CapacityType::Spot]
                } else {
                    self.group_finding(
                        doc,
                        Severity::Warning,
                        &at("instancesDistribution"),
                        format!(
                            "node group {name} splits spot and on-demand ({base} on-demand, then {percent}% \
                             on-demand): a NodePool allowing both prefers spot and keeps no share"
                        ),
                        "make a weighted on-demand NodePool for the base, and a spot NodePool for the rest",
                    );
                    vec![CapacityType::Spot, CapacityType::OnDemand]
                }
            }
        };
        // Sizes, with eksctl's defaults.
        let mut size = |field: &str| -> Option<u32> {
            let node = ng.get(field)?;
            match node.as_i64() {
                Some(v) if (0..=MAX_REPLICAS as i64).contains(&v) => Some(v as u32),
                _ => {
                    self.group_finding(
                        doc,
                        Severity::Warning,
                        &at(field),
                        format!("node group {name}: {field} is not a node count from 0 to {MAX_REPLICAS}; ignored"),
                        "write a whole number of nodes",
                    );
                    None
                }
            }
        };
        let (min_given, max_given, desired_given) = (size("minSize"), size("maxSize"), size("desiredCapacity"));
        let desired = desired_given.or(min_given).unwrap_or(EKSCTL_DEFAULT_DESIRED);
        let min = min_given.unwrap_or(desired.min(max_given.unwrap_or(desired)));
        let mut max = max_given.unwrap_or(desired.max(min));
        if min > max {
            self.group_finding(
                doc,
                Severity::Warning,
                &at("minSize"),
                format!("node group {name}: minSize {min} is above maxSize {max}; maxSize taken as {min}"),
                "make minSize ≤ maxSize",
            );
            max = min;
        }
        if !(min..=max).contains(&desired) {
            self.group_finding(
                doc,
                Severity::Warning,
                &at("desiredCapacity"),
                format!("node group {name}: desiredCapacity {desired} is outside {min}–{max}; clamped"),
                "keep desiredCapacity between minSize and maxSize",
            );
        }
        let desired = desired.clamp(min, max);
        // Labels and taints.
        let mut labels = BTreeMap::new();
        for (key, value_node) in ng.get("labels").map(Node::entries).unwrap_or_default() {
            let value = value_node.scalar_text().unwrap_or_default();
            let why = if !k8s::is_qualified_name(key) {
                Some("is not a label key")
            } else if !k8s::is_label_value(&value) {
                Some("has a value that is not a label value")
            } else if restricted_label(key) {
                Some("is in a domain Karpenter reserves (kubernetes.io, k8s.io, karpenter.sh)")
            } else {
                None
            };
            match why {
                Some(why) => {
                    self.group_finding(
                        doc,
                        Severity::Warning,
                        &at(&format!("labels.{key}")),
                        format!("node group {name}: label {key:?} {why}; left out of the NodePool"),
                        "select nodes with karpenter.sh/nodepool or a label of your own domain",
                    );
                    // A key with dots cannot be addressed by a path: point at its value's line.
                    if let Some(f) = self.findings.last_mut() {
                        f.line = Some(value_node.line);
                    }
                }
                None => {
                    labels.insert(key.clone(), value);
                }
            }
        }
        let mut taints = Vec::new();
        let taint_node = ng.get("taints");
        let raw: Vec<(String, Option<String>, String, String, u64)> = match taint_node.map(|t| &t.value) {
            Some(Value::Seq(items)) => items
                .iter()
                .enumerate()
                .map(|(k, t)| {
                    (
                        t.str_at("key").unwrap_or_default(),
                        t.str_at("value").filter(|v| !v.is_empty()),
                        t.str_at("effect").unwrap_or_default(),
                        at(&format!("taints[{k}]")),
                        t.line,
                    )
                })
                .collect(),
            // The older map form: `key: value:Effect` (or `key: :Effect`).
            Some(Value::Map(entries)) => entries
                .iter()
                .map(|(key, v)| {
                    let text = v.scalar_text().unwrap_or_default();
                    let (value, effect) = text.rsplit_once(':').unwrap_or(("", text.as_str()));
                    (
                        key.clone(),
                        Some(value.to_string()).filter(|v| !v.is_empty()),
                        effect.to_string(),
                        at(&format!("taints.{key}")),
                        v.line,
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        for (key, value, effect, field, line) in raw {
            // The EKS API's spelling (NO_SCHEDULE) is accepted too.
            let effect = match effect.as_str() {
                "NO_SCHEDULE" => "NoSchedule".to_string(),
                "PREFER_NO_SCHEDULE" => "PreferNoSchedule".to_string(),
                "NO_EXECUTE" => "NoExecute".to_string(),
                _ => effect,
            };
            let ok = k8s::TAINT_EFFECTS.contains(&effect.as_str())
                && k8s::is_qualified_name(&key)
                && value.as_deref().is_none_or(k8s::is_label_value);
            if ok {
                taints.push(Taint { key, value, effect });
            } else {
                self.group_finding(
                    doc,
                    Severity::Warning,
                    &field,
                    format!(
                        "node group {name}: taint {key:?} (effect {effect:?}) is not a valid taint; left out of the \
                         NodePool"
                    ),
                    "write key, value and an effect of NoSchedule, PreferNoSchedule or NoExecute",
                );
                if let Some(f) = self.findings.last_mut() {
                    f.line = Some(line);
                }
            }
        }
        // The node class: its OS and data volume.
        let family = ng.str_at("amiFamily").unwrap_or_default();
        let (ami, changed) = ami_of(&family);
        if changed {
            self.group_finding(
                doc,
                Severity::Warning,
                &at("amiFamily"),
                format!("node group {name}: amiFamily {family} has no counterpart in a plan (bottlerocket, al2023); al2023 is used"),
                "check the workloads on AL2023, or choose bottlerocket in the plan",
            );
        }
        let disk = match ng.get("volumeSize") {
            None => None,
            Some(v) => match v.as_i64() {
                Some(gib) if (1..=k8s::MAX_GP3_VOLUME_GIB as i64).contains(&gib) => Some(gib as u32),
                _ => {
                    self.group_finding(
                        doc,
                        Severity::Warning,
                        &at("volumeSize"),
                        format!(
                            "node group {name}: volumeSize is not 1–{} GiB; the node class sizes its data volume itself",
                            k8s::MAX_GP3_VOLUME_GIB
                        ),
                        "write the size in GiB",
                    );
                    None
                }
            },
        };
        let node_class = self.node_class_for(ami, disk);
        // The NodePool's name.
        let mut pool = pool_name(&name);
        if self.plan.node_pool(&pool).is_some() {
            let base = pool.clone();
            let mut k = 2;
            while self.plan.node_pool(&pool).is_some() {
                let suffix = format!("-{k}");
                pool = format!("{}{suffix}", &base[..base.len().min(63 - suffix.len())]);
                k += 1;
            }
        }
        if pool != name {
            self.group_finding(
                doc,
                Severity::Info,
                &at("name"),
                format!("node group {name}: the NodePool is named {pool} (a NodePool name is a DNS label, unique)"),
                "nothing to do; rename it in the plan if you like",
            );
        }
        let consolidation = if settings.scale_down_enabled == Some(false) {
            Consolidation { policy: "WhenEmpty".to_string(), after: Some("Never".to_string()) }
        } else {
            let after = settings
                .scale_down_unneeded_time
                .as_deref()
                .filter(|t| k8s::is_consolidate_after(t))
                .unwrap_or("10m")
                .to_string();
            Consolidation { policy: "WhenEmptyOrUnderutilized".to_string(), after: Some(after) }
        };
        let per_node = per_node(&known);
        let limits = limits(&per_node, max);
        let index = self.plan.spec.node_pools.len();
        self.origins.push(Origin {
            plan_path: format!("spec.nodePools[{index}]"),
            file: doc.file.clone(),
            document: doc.document,
            prefix: doc.path(&format!("{list}[{i}]")),
            kind: doc.kind().to_string(),
            tree: ng.clone(),
        });
        self.plan.spec.node_pools.push(NodePool {
            mig_profile: None,
            name: pool,
            weight: None,
            capacity_types,
            instance_families: Vec::new(),
            instance_types: known.iter().map(|t| t.name.clone()).collect(),
            limits,
            taints,
            labels,
            consolidation,
            budgets: Vec::new(),
            expire_after: None,
            node_class,
            replicas: None,
        });
        Some(ImportedGroup { name, pool: index, min, max, desired, managed, per_node })
    }

    /// The node class for an OS and data volume: shared by the groups that agree, made when new.
    fn node_class_for(&mut self, ami: &str, disk: Option<u32>) -> String {
        if let Some(c) = self.plan.spec.node_classes.iter().find(|c| {
            c.ami == ami && c.disk_gib == disk && c.capacity_reservations.is_empty() && c.image_cache.is_none()
        }) {
            return c.name.clone();
        }
        let base = match disk {
            Some(gib) => format!("{ami}-{gib}gib"),
            None => ami.to_string(),
        };
        let mut name = base.clone();
        let mut k = 2;
        while self.plan.node_class(&name).is_some() {
            name = format!("{base}-{k}");
            k += 1;
        }
        let mut class = NodeClass::new(name.clone(), ami);
        class.disk_gib = disk;
        self.plan.spec.node_classes.push(class);
        name
    }
}

/// The names Cluster Autoscaler may know a node group by: its own, and its Auto Scaling group's
/// (`eks-<name>-<id>` for a managed group, `eksctl-<cluster>-nodegroup-<name>-NodeGroup-<id>` else).
fn asg_names(g: &ImportedGroup) -> Vec<String> {
    let asg = if g.managed { format!("eks-{}-0", g.name) } else { format!("nodegroup-{}-NodeGroup-0", g.name) };
    vec![g.name.clone(), asg]
}

/// Whether a `--nodes` group name is this node group (or its Auto Scaling group).
fn names_group(flag: &str, group: &str) -> bool {
    flag == group
        || flag.strip_prefix(&format!("eks-{group}-")).is_some()
        || flag.contains(&format!("-nodegroup-{group}-"))
}

/// What one node brings, for the largest type of each resource: cpu, and each kind of device.
fn per_node(types: &[&InstanceType]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    out.insert("cpu".to_string(), types.iter().map(|t| t.vcpu as u64).max().unwrap_or(0));
    for t in types.iter().filter(|t| t.accelerator_count > 0) {
        let entry = out.entry(t.device_resource().to_string()).or_insert(0);
        *entry = (*entry).max(t.accelerator_count as u64);
    }
    out
}

/// Limits that let Karpenter launch no more than `max` nodes of the largest type could hold.
fn limits(per_node: &BTreeMap<String, u64>, max: u32) -> BTreeMap<String, String> {
    per_node.iter().map(|(k, v)| (k.clone(), (v * max as u64).to_string())).collect()
}
