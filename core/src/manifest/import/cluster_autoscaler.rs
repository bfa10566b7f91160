//! Import of Cluster Autoscaler: its Deployment's flags and the priority expander's ConfigMap
//! (`cluster-autoscaler-priority-expander`) into `spec.clusterAutoscaler`.
//!
//! Cluster Autoscaler's flags are documented in its FAQ ("What are the parameters to CA?"); the
//! priority expander in `cluster-autoscaler/expander/priority/readme.md`. Durations are kept as
//! written (`10m`, `1m30s`), once they read as durations.

use crate::finding::Severity;
use crate::plan::parse::MAX_REPLICAS;
use crate::plan::tree::{self, Node};
use crate::plan::{ClusterAutoscaler, CLUSTER_AUTOSCALER_EXPANDERS};

use super::workloads::args_of;
use super::{Importer, SourceDocument};

/// The priority expander reads its priorities from a ConfigMap of this name.
pub const PRIORITY_CONFIGMAP: &str = "cluster-autoscaler-priority-expander";

/// The code of every finding about eksctl and Cluster Autoscaler input.
pub(super) const CODE: &str = "TF055";

/// Whether a Deployment runs Cluster Autoscaler: an image or a command named `cluster-autoscaler`.
pub(super) fn is_cluster_autoscaler(doc: &SourceDocument) -> bool {
    doc.node.items_at("spec.template.spec.containers").iter().any(is_autoscaler_container)
}

fn is_autoscaler_container(container: &Node) -> bool {
    let image = container.str_at("image").unwrap_or_default();
    let image_name = image.rsplit('/').next().unwrap_or_default();
    image_name.starts_with("cluster-autoscaler")
        || args_of(container).first().is_some_and(|w| w.trim_start_matches("./").ends_with("cluster-autoscaler"))
}

/// A `--nodes=min:max:name` flag.
#[derive(Debug, Clone)]
pub(super) struct NodesFlag {
    pub min: u32,
    pub max: u32,
    pub name: String,
    /// The field of the flag in its Deployment.
    pub field: String,
}

/// What the Cluster Autoscaler Deployment says.
#[derive(Debug, Clone, Default)]
pub(super) struct Flags<'a> {
    pub doc: Option<&'a SourceDocument>,
    pub settings: ClusterAutoscaler,
    pub nodes: Vec<NodesFlag>,
    /// `--node-group-auto-discovery=asg:tag=…`: every tagged group (EKS tags managed node groups).
    pub auto_discovery: bool,
}

/// One priority of the priority expander and its patterns, each with the field that holds it.
#[derive(Debug, Clone)]
pub(super) struct Priority {
    pub value: i32,
    pub patterns: Vec<Pattern>,
}

/// Flags that take a value even when written as two words (`--expander least-waste`).
const VALUED: &[&str] = &[
    "scan-interval",
    "expander",
    "scale-down-delay-after-add",
    "scale-down-delay-after-delete",
    "scale-down-delay-after-failure",
    "scale-down-unneeded-time",
    "scale-down-unready-time",
    "scale-down-utilization-threshold",
    "scale-down-gpu-utilization-threshold",
    "max-node-provision-time",
    "max-nodes-total",
    "nodes",
    "node-group-auto-discovery",
    "cloud-provider",
    "v",
    "stderrthreshold",
    "namespace",
    "kubeconfig",
    "cores-total",
    "memory-total",
    "gpu-total",
    "new-pod-scale-up-delay",
    "max-graceful-termination-sec",
    "max-empty-bulk-delete",
    "scale-down-candidates-pool-ratio",
    "scale-down-non-empty-candidates-count",
    "ok-total-unready-count",
    "max-total-unready-percentage",
    "aws-use-static-instance-list",
];

/// Flags about logging and running the process: no bearing on capacity, read silently.
const PLUMBING: &[&str] = &[
    "v",
    "logtostderr",
    "alsologtostderr",
    "stderrthreshold",
    "namespace",
    "kubeconfig",
    "leader-elect",
    "address",
    "write-status-configmap",
    "status-config-map-name",
    "aws-use-static-instance-list",
];

/// Flags with a known meaning that a plan does not carry, and what Karpenter does instead.
const NOT_CARRIED: &[(&str, &str)] = &[
    ("balance-similar-node-groups", "Karpenter spreads nodes with the pods' topologySpreadConstraints instead"),
    ("skip-nodes-with-local-storage", "Karpenter does not skip such nodes; annotate pods karpenter.sh/do-not-disrupt"),
    ("skip-nodes-with-system-pods", "Karpenter drains kube-system pods like others; PodDisruptionBudgets protect them"),
    (
        "skip-nodes-with-custom-controller-pods",
        "Karpenter respects PodDisruptionBudgets and karpenter.sh/do-not-disrupt",
    ),
    ("scale-down-delay-after-failure", "Karpenter retries disruption on its own schedule"),
    ("scale-down-unready-time", "Karpenter's node repair (a feature gate) replaces unhealthy nodes"),
    ("new-pod-scale-up-delay", "Karpenter batches pending pods for 1 s idle, 10 s at most"),
    ("max-graceful-termination-sec", "set terminationGracePeriod on the NodePool (a patch)"),
    ("max-empty-bulk-delete", "NodePool disruption budgets limit how many nodes go at once"),
    ("scale-down-non-empty-candidates-count", "NodePool disruption budgets limit how many nodes go at once"),
    ("scale-down-candidates-pool-ratio", "NodePool disruption budgets limit how many nodes go at once"),
    ("cores-total", "the NodePools' cpu limits cap the cluster instead"),
    ("memory-total", "NodePool memory limits cap the cluster instead (a patch)"),
    ("gpu-total", "the NodePools' device limits cap the cluster instead"),
    ("ok-total-unready-count", "Karpenter has no cluster-wide unready threshold"),
    ("max-total-unready-percentage", "Karpenter has no cluster-wide unready threshold"),
];

/// A word of the command line and the field that holds it.
struct Word {
    text: String,
    field: String,
}

fn words(doc: &SourceDocument, ci: usize, container: &Node) -> Vec<Word> {
    let mut out = Vec::new();
    for list in ["command", "args"] {
        for (j, item) in container.items_at(list).iter().enumerate() {
            let Some(text) = item.scalar_text() else { continue };
            let field = doc.path(&format!("spec.template.spec.containers[{ci}].{list}[{j}]"));
            // A shell line (`sh -c "./cluster-autoscaler --v=4 …"`) is split on whitespace.
            if text.contains(' ') && text.contains("--") {
                out.extend(text.split_whitespace().map(|w| Word { text: w.to_string(), field: field.clone() }));
            } else {
                out.push(Word { text, field });
            }
        }
    }
    out
}

/// Whether a duration flag's value is one Cluster Autoscaler and the plan both read.
fn check_duration(name: &str, value: &str) -> Result<(), String> {
    match crate::duration::parse_duration_s(value, name) {
        Ok(s) if s > 7.0 * 86_400.0 => Err(format!("{value:?} is longer than 7 days")),
        Ok(s) if name == "scan-interval" && s < 1.0 => Err(format!("{value:?} is shorter than 1s")),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

impl<'a> Importer<'a> {
    /// A finding at `field`, a path from the stream document's root (with the List prefix).
    pub(super) fn ca_finding(
        &mut self,
        doc: &SourceDocument,
        severity: Severity,
        field: &str,
        message: String,
        fix: &str,
    ) {
        let mut f = doc.finding(CODE, severity, "", message, fix);
        f.path = field.to_string();
        let relative = if doc.prefix.is_empty() {
            field
        } else {
            field.strip_prefix(&format!("{}.", doc.prefix)).unwrap_or(field)
        };
        f.line = Some(doc.node.locate(relative).0);
        self.findings.push(f);
    }

    /// Reads the flags of the first Cluster Autoscaler Deployment (later ones are reported).
    pub(super) fn cluster_autoscaler_flags(&mut self, docs: &[&'a SourceDocument]) -> Flags<'a> {
        let mut flags = Flags::default();
        let Some((first, others)) = docs.split_first() else { return flags };
        for doc in others {
            self.ca_finding(
                doc,
                Severity::Warning,
                &doc.path("metadata.name"),
                format!("a second Cluster Autoscaler Deployment ({}); only {} is read", doc.name(), first.name()),
                "import one cluster at a time",
            );
        }
        let doc = *first;
        flags.doc = Some(doc);
        let containers = doc.node.items_at("spec.template.spec.containers");
        let Some((ci, container)) = containers.iter().enumerate().find(|(_, c)| is_autoscaler_container(c)) else {
            return flags;
        };
        let words = words(doc, ci, container);
        let mut gpu_threshold: Option<(f64, String)> = None;
        let mut i = 0;
        while i < words.len() {
            let word = &words[i];
            i += 1;
            let Some(flag) = word.text.strip_prefix("--").or_else(|| word.text.strip_prefix('-')) else {
                continue;
            };
            let (name, value) = match flag.split_once('=') {
                Some((name, value)) => (name.to_string(), Some(value.to_string())),
                None if VALUED.contains(&flag) && words.get(i).is_some_and(|w| !w.text.starts_with('-')) => {
                    i += 1;
                    (flag.to_string(), Some(words[i - 1].text.clone()))
                }
                None => (flag.to_string(), None),
            };
            let field = word.field.clone();
            let value_text = value.clone().unwrap_or_default();
            let value_text = value_text.trim().trim_matches('"').to_string();
            let bad = |im: &mut Self, why: String, fix: &str| {
                im.ca_finding(doc, Severity::Warning, &field, format!("--{name}: {why}; not imported"), fix)
            };
            match name.as_str() {
                "scan-interval"
                | "scale-down-delay-after-add"
                | "scale-down-delay-after-delete"
                | "scale-down-unneeded-time"
                | "max-node-provision-time" => match check_duration(&name, &value_text) {
                    Ok(()) => {
                        let s = &mut flags.settings;
                        let target = match name.as_str() {
                            "scan-interval" => &mut s.scan_interval,
                            "scale-down-delay-after-add" => &mut s.scale_down_delay_after_add,
                            "scale-down-delay-after-delete" => &mut s.scale_down_delay_after_delete,
                            "scale-down-unneeded-time" => &mut s.scale_down_unneeded_time,
                            _ => &mut s.max_node_provision_time,
                        };
                        *target = Some(value_text);
                    }
                    Err(why) => bad(self, why, "write a duration such as 10s, 10m or 1h30m"),
                },
                "expander" => {
                    let mut known = Vec::new();
                    for part in value_text.split(',').map(str::trim) {
                        if CLUSTER_AUTOSCALER_EXPANDERS.contains(&part) {
                            known.push(part.to_string());
                        } else {
                            bad(
                                self,
                                format!(
                                    "{part:?} is not an expander this plan knows ({})",
                                    CLUSTER_AUTOSCALER_EXPANDERS.join(", ")
                                ),
                                "Karpenter chooses by NodePool weight, then price: set weights where an order matters",
                            );
                        }
                    }
                    if !known.is_empty() {
                        flags.settings.expander = Some(known.join(","));
                    }
                }
                "scale-down-enabled" => match value_text.as_str() {
                    "" | "true" | "1" => flags.settings.scale_down_enabled = Some(true),
                    "false" | "0" => flags.settings.scale_down_enabled = Some(false),
                    other => bad(self, format!("{other:?} is not true or false"), "write true or false"),
                },
                "scale-down-utilization-threshold" | "scale-down-gpu-utilization-threshold" => {
                    match value_text.parse::<f64>() {
                        Ok(t) if t > 0.0 && t <= 1.0 => {
                            if name.contains("gpu") {
                                gpu_threshold = Some((t, field.clone()));
                            } else {
                                flags.settings.scale_down_utilization_threshold = Some(t);
                            }
                        }
                        _ => bad(
                            self,
                            format!("{value_text:?} is not a fraction in (0, 1]"),
                            "write a fraction such as 0.5",
                        ),
                    }
                }
                "max-nodes-total" => match value_text.parse::<u32>() {
                    Ok(n) => flags.settings.max_nodes_total = Some(n),
                    Err(_) => {
                        bad(self, format!("{value_text:?} is not a node count"), "write a whole number (0: no limit)")
                    }
                },
                "nodes" => {
                    let parts: Vec<&str> = value_text.splitn(3, ':').collect();
                    let parsed = match parts[..] {
                        [min, max, group] if !group.is_empty() => {
                            min.parse::<u32>().ok().zip(max.parse::<u32>().ok()).map(|(a, b)| (a, b, group))
                        }
                        _ => None,
                    };
                    match parsed {
                        Some((min, max, _)) if min > max || max > MAX_REPLICAS => bad(
                            self,
                            format!("{value_text:?}: minimum above maximum, or more than {MAX_REPLICAS} nodes"),
                            "write min:max:group with min ≤ max",
                        ),
                        Some((min, max, group)) => {
                            flags.nodes.push(NodesFlag { min, max, name: group.to_string(), field: field.clone() })
                        }
                        None => bad(self, format!("{value_text:?} is not min:max:group"), "write --nodes=1:10:my-asg"),
                    }
                }
                "node-group-auto-discovery" => {
                    if value_text.starts_with("asg:tag=") {
                        flags.auto_discovery = true;
                    } else {
                        bad(
                            self,
                            format!("{value_text:?} is not an Auto Scaling group tag discovery (asg:tag=…)"),
                            "on AWS, discover groups with asg:tag=k8s.io/cluster-autoscaler/enabled",
                        );
                    }
                }
                "cloud-provider" => {
                    if value_text != "aws" {
                        bad(
                            self,
                            format!("{value_text:?} is not aws"),
                            "Tokenfleet plans EKS clusters (cloud provider aws)",
                        );
                    }
                }
                n if PLUMBING.contains(&n) => {}
                n => {
                    let message = match NOT_CARRIED.iter().find(|(flag, _)| *flag == n) {
                        Some((_, instead)) => format!("--{n} has no counterpart in a plan: {instead}"),
                        None => format!("--{n} is not read by the import; ignored"),
                    };
                    self.ca_finding(
                        doc,
                        Severity::Info,
                        &field,
                        message,
                        "nothing to do; see docs/migrate-from-cluster-autoscaler.md",
                    );
                }
            }
        }
        if let Some((t, field)) = gpu_threshold {
            if flags.settings.scale_down_utilization_threshold.is_some_and(|other| other != t) {
                self.ca_finding(
                    doc,
                    Severity::Info,
                    &field,
                    format!(
                        "--scale-down-gpu-utilization-threshold {t} is used: it is the one Cluster Autoscaler applies \
                         to GPU nodes, and the plan keeps one threshold"
                    ),
                    "nothing to do",
                );
            }
            flags.settings.scale_down_utilization_threshold = Some(t);
        }
        if flags.nodes.is_empty() && !flags.auto_discovery {
            self.ca_finding(
                doc,
                Severity::Warning,
                &doc.path(&format!("spec.template.spec.containers[{ci}]")),
                "neither --nodes nor --node-group-auto-discovery: Cluster Autoscaler scales no node group".to_string(),
                "add --node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/<cluster>",
            );
        }
        flags
    }

    /// Reads the priority expander's ConfigMaps (`data.priorities`).
    pub(super) fn priorities(&mut self, docs: &[&SourceDocument]) -> Vec<Priority> {
        let mut out: Vec<Priority> = Vec::new();
        for doc in docs {
            let field = doc.path("data.priorities");
            let text = doc.node.at("data.priorities").and_then(Node::scalar_text).unwrap_or_default();
            let root = match tree::parse_document(&text) {
                Ok(root) if !root.entries().is_empty() => root,
                _ => {
                    self.ca_finding(
                        doc,
                        Severity::Warning,
                        &field,
                        "data.priorities is not a map of priorities to lists of regular expressions; ignored".into(),
                        "write `10:\\n  - .*gpu.*` (priority: patterns)",
                    );
                    continue;
                }
            };
            for (key, list) in root.entries() {
                let Some(value) = key.trim().parse::<i32>().ok() else {
                    self.ca_finding(
                        doc,
                        Severity::Warning,
                        &field,
                        format!(
                            "priority {key:?} (line {} of data.priorities) is not a whole number; ignored",
                            list.line
                        ),
                        "use whole numbers as priorities",
                    );
                    continue;
                };
                let texts: Vec<(String, u64)> = match list.scalar_text() {
                    Some(one) => vec![(one, list.line)],
                    None => list.items().iter().filter_map(|n| Some((n.scalar_text()?, n.line))).collect(),
                };
                let mut patterns = Vec::new();
                for (text, line) in texts {
                    match Pattern::parse(&text) {
                        Ok(p) => patterns.push(p),
                        Err(why) => self.ca_finding(
                            doc,
                            Severity::Warning,
                            &field,
                            format!(
                                "pattern {text:?} (line {line} of data.priorities) is {why}; it matches no node \
                                 group here (nor in Cluster Autoscaler, which refuses the ConfigMap)"
                            ),
                            "fix the regular expression (Go RE2 syntax)",
                        ),
                    }
                }
                match out.iter_mut().find(|p| p.value == value) {
                    Some(earlier) => earlier.patterns.extend(patterns),
                    None => out.push(Priority { value, patterns }),
                }
            }
        }
        out.sort_by_key(|p| std::cmp::Reverse(p.value));
        out
    }
}

/// A priority expander pattern: a Go (RE2) regular expression, matched unanchored against a node
/// group's name as Go's `MatchString` is. RE2's syntax is what `regex-lite` reads (no look-around,
/// no back-references); Unicode classes such as `\pL` are the difference, and are refused.
#[derive(Debug, Clone)]
pub(super) struct Pattern(regex_lite::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Pattern {
    pub(super) fn parse(text: &str) -> Result<Pattern, String> {
        if text.len() > 1024 {
            return Err("more than 1024 characters".into());
        }
        regex_lite::RegexBuilder::new(text.trim()).size_limit(1 << 20).nest_limit(64).build().map(Pattern).map_err(
            |e| format!("not a regular expression ({})", e.to_string().lines().last().unwrap_or_default().trim()),
        )
    }

    pub(super) fn matches(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}
