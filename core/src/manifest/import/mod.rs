//! Importing existing Kubernetes YAML (single documents, multi-document streams, `kind: List`) into a
//! Plan, with findings for what a Plan cannot express and for mistakes seen in the wild. An eksctl
//! `ClusterConfig` with Cluster Autoscaler's Deployment and priority ConfigMap becomes NodePools and
//! `spec.clusterAutoscaler` (`eksctl`, `cluster_autoscaler`).
//!
//! What Tokenfleet's own export writes comes back exactly: export → import → export is byte-identical.

use std::collections::BTreeMap;

use super::render::{self, CLUSTER_PLACEHOLDER};
use crate::finding::{Finding, Severity};
use crate::plan::parse::is_dns_label;
use crate::plan::tree::{self, Node};
use crate::plan::*;

mod cluster_autoscaler;
mod eksctl;
mod nodes;
mod warm;
mod workloads;

pub use cluster_autoscaler::PRIORITY_CONFIGMAP;

/// A Plan read from Kubernetes YAML, the findings made on the way, and where each plan element came from.
#[derive(Debug, Clone)]
pub struct Import {
    pub plan: Plan,
    pub findings: Vec<Finding>,
    /// Plan path prefix (`spec.nodePools[0]`) → the document it was read from.
    pub origins: Vec<Origin>,
}

/// The source document of a plan element.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `spec.nodePools[0]`, `spec.deployments[1]`, `spec.nodeClasses[0]`, or `…autoscaler`.
    pub plan_path: String,
    pub file: String,
    pub document: usize,
    /// Path of the document inside its stream document (`items[2]` for an item of a List).
    pub prefix: String,
    pub kind: String,
    pub tree: Node,
}

/// Why YAML could not be read at all.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}: ", self.file)?;
        }
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ImportError {}

/// One document of the input, with its place.
#[derive(Debug, Clone)]
pub struct SourceDocument {
    pub file: String,
    /// 1-based position in its file's stream (items of a `kind: List` share their list's number).
    pub document: usize,
    /// Path prefix inside the document (`items[2]` for an item of a List, else empty).
    pub prefix: String,
    pub node: Node,
}

impl SourceDocument {
    fn path(&self, field: &str) -> String {
        match (self.prefix.is_empty(), field.is_empty()) {
            (true, _) => field.to_string(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}.{field}", self.prefix),
        }
    }

    fn finding(&self, code: &str, severity: Severity, field: &str, message: String, fix: &str) -> Finding {
        let mut f = Finding::new(code, severity, self.path(field), message, fix);
        f.file = self.file.clone();
        f.document = self.document;
        f.line = Some(self.node.locate(field).0);
        f
    }

    fn kind(&self) -> &str {
        self.node.get("kind").and_then(Node::as_str).unwrap_or_default()
    }

    fn api_version(&self) -> &str {
        self.node.get("apiVersion").and_then(Node::as_str).unwrap_or_default()
    }

    fn name(&self) -> String {
        self.node.at("metadata.name").and_then(Node::as_str).unwrap_or_default().to_string()
    }
}

/// Splits YAML text into documents, expanding `kind: List` (and `…List` kinds) into their items.
pub fn read_documents(file: &str, text: &str) -> Result<Vec<SourceDocument>, ImportError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(ImportError {
            file: file.to_string(),
            line: None,
            column: None,
            message: format!("input is {} bytes; the limit is {MAX_INPUT_BYTES} bytes", text.len()),
        });
    }
    let docs = tree::parse_stream(text).map_err(|e| ImportError {
        file: file.to_string(),
        line: Some(e.line),
        column: Some(e.column),
        message: e.message,
    })?;
    let mut out = Vec::new();
    for (i, node) in docs.into_iter().enumerate() {
        let kind = node.get("kind").and_then(Node::as_str).unwrap_or_default().to_string();
        if kind.ends_with("List") && node.get("items").is_some() {
            for (j, item) in node.items_at("items").iter().enumerate() {
                out.push(SourceDocument {
                    file: file.to_string(),
                    document: i + 1,
                    prefix: format!("items[{j}]"),
                    node: item.clone(),
                });
            }
        } else {
            out.push(SourceDocument { file: file.to_string(), document: i + 1, prefix: String::new(), node });
        }
    }
    Ok(out)
}

impl Node {
    fn items_at(&self, path: &str) -> &[Node] {
        self.at(path).map(Node::items).unwrap_or(&[])
    }

    fn str_at(&self, path: &str) -> Option<String> {
        self.at(path).and_then(Node::scalar_text)
    }

    fn string_map(&self, path: &str) -> BTreeMap<String, String> {
        self.at(path)
            .map(|n| n.entries().iter().filter_map(|(k, v)| Some((k.clone(), v.scalar_text()?))).collect())
            .unwrap_or_default()
    }
}

/// Imports YAML text from one file.
pub fn import_yaml(file: &str, text: &str) -> Result<Import, ImportError> {
    let docs = read_documents(file, text)?;
    Ok(import_documents(&docs))
}

/// Imports several files into one Plan.
pub fn import_files(files: &[(String, String)]) -> Result<Import, ImportError> {
    let mut docs = Vec::new();
    for (file, text) in files {
        docs.extend(read_documents(file, text)?);
    }
    Ok(import_documents(&docs))
}

struct Importer<'a> {
    plan: Plan,
    findings: Vec<Finding>,
    origins: Vec<Origin>,
    cluster_name: Option<String>,
    node_role: Option<String>,
    /// Deployment name → its index in the plan, for disaggregated fleets.
    fleets: BTreeMap<String, usize>,
    autoscalers: Vec<&'a SourceDocument>,
    seen_workload: bool,
    pdb_targets: Vec<BTreeMap<String, String>>,
    deployment_docs: Vec<(&'a SourceDocument, usize)>,
    /// EC2NodeClasses with `instanceStorePolicy: RAID0`, and their node class's index.
    raid0_classes: Vec<(&'a SourceDocument, usize)>,
    /// CapacityBuffers and placeholder Deployments, read once the serving Deployments are in.
    warm_docs: Vec<&'a SourceDocument>,
    /// eksctl ClusterConfigs, Cluster Autoscaler Deployments and priority expander ConfigMaps, read
    /// together once every document is seen.
    eksctl_docs: Vec<&'a SourceDocument>,
    cluster_autoscaler_docs: Vec<&'a SourceDocument>,
    priority_docs: Vec<&'a SourceDocument>,
}

fn origin(doc: &SourceDocument, plan_path: String) -> Origin {
    Origin {
        plan_path,
        file: doc.file.clone(),
        document: doc.document,
        prefix: doc.prefix.clone(),
        kind: doc.kind().to_string(),
        tree: doc.node.clone(),
    }
}

/// Imports documents already read.
pub fn import_documents(docs: &[SourceDocument]) -> Import {
    let mut im = Importer {
        plan: Plan::minimal("imported"),
        findings: Vec::new(),
        origins: Vec::new(),
        cluster_name: None,
        node_role: None,
        fleets: BTreeMap::new(),
        autoscalers: Vec::new(),
        seen_workload: false,
        pdb_targets: Vec::new(),
        deployment_docs: Vec::new(),
        raid0_classes: Vec::new(),
        warm_docs: Vec::new(),
        eksctl_docs: Vec::new(),
        cluster_autoscaler_docs: Vec::new(),
        priority_docs: Vec::new(),
    };
    for doc in docs {
        match doc.kind() {
            "ClusterConfig" if doc.api_version().starts_with("eksctl.io/") => im.eksctl_docs.push(doc),
            "Deployment" if cluster_autoscaler::is_cluster_autoscaler(doc) => im.cluster_autoscaler_docs.push(doc),
            "ConfigMap" if doc.name() == PRIORITY_CONFIGMAP => im.priority_docs.push(doc),
            "EC2NodeClass" => im.node_class(doc),
            "NodePool" => im.node_pool(doc),
            "Deployment" if warm::is_placeholder(doc) => im.warm_docs.push(doc),
            "CapacityBuffer" => im.warm_docs.push(doc),
            // The NodeOverlays a MIG-partitioned NodePool is exported with: its label carries the profile.
            "NodeOverlay" if nodes::is_mig_overlay(doc) => {}
            "PriorityClass" if doc.name() == render::PLACEHOLDER_PRIORITY_CLASS => {}
            "Deployment" => im.deployment(doc),
            "HorizontalPodAutoscaler" | "ScaledObject" => im.autoscalers.push(doc),
            "ConfigMap" if doc.node.get("data").and_then(|d| d.get(render::WORKLOAD_KEY)).is_some() => im.workload(doc),
            "PodDisruptionBudget" => {
                im.pdb_targets.push(doc.node.string_map("spec.selector.matchLabels"));
            }
            "Service" | "ConfigMap" => {}
            "" => im.findings.push(doc.finding(
                "TF030",
                Severity::Warning,
                "",
                "document has no kind; ignored".to_string(),
                "give every document apiVersion and kind",
            )),
            other if doc.name().contains("cluster-autoscaler") => im.findings.push(doc.finding(
                "TF031",
                Severity::Info,
                "kind",
                format!("{other} {} belongs to Cluster Autoscaler, which Karpenter replaces; ignored", doc.name()),
                "remove it once the NodePools run the workloads (docs/migrate-from-cluster-autoscaler.md)",
            )),
            other => im.findings.push(doc.finding(
                "TF031",
                Severity::Info,
                "kind",
                format!("{other} is not part of a Tokenfleet plan; ignored"),
                "nothing to do; keep applying it alongside the exported manifests",
            )),
        }
    }
    let (configs, cas, priorities) = (
        std::mem::take(&mut im.eksctl_docs),
        std::mem::take(&mut im.cluster_autoscaler_docs),
        std::mem::take(&mut im.priority_docs),
    );
    im.cluster_autoscaling(&configs, &cas, &priorities);
    let autoscalers = std::mem::take(&mut im.autoscalers);
    for doc in autoscalers {
        im.autoscaler(doc);
    }
    let warm_docs = std::mem::take(&mut im.warm_docs);
    for doc in warm_docs {
        im.warm_capacity(doc);
    }
    im.check_pdbs();
    for (doc, class) in std::mem::take(&mut im.raid0_classes) {
        if !render::instance_store_raid0(&im.plan, &im.plan.spec.node_classes[class]) {
            im.findings.push(
                doc.finding(
                    "TF036",
                    Severity::Info,
                    "spec.instanceStorePolicy",
                    "spec.instanceStorePolicy is exported only for node classes whose pools run a deployment with \
                 weights.nodeCache (and no imageCache); it is not exported again"
                        .to_string(),
                    "set weights.nodeCache on the deployments that should keep their weights on the instance store",
                ),
            );
        }
    }
    if !im.seen_workload && !im.plan.spec.deployments.is_empty() {
        let mut f = Finding::new(
            "TF032",
            Severity::Info,
            "spec.workload",
            "no Tokenfleet load-test ConfigMap: the plan's name, region and workload are defaults",
            "set metadata.name, spec.region and spec.workload (request rate, token lengths, SLOs) in the imported plan",
        );
        f.document = 0;
        im.findings.push(f);
    }
    // NodePools that name an EC2NodeClass the input does not hold get a placeholder, so the plan is
    // complete; the finding says so.
    let missing: Vec<(usize, String)> = im
        .plan
        .spec
        .node_pools
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.node_class.is_empty() && im.plan.node_class(&p.node_class).is_none())
        .map(|(i, p)| (i, p.node_class.clone()))
        .collect();
    for (i, class) in missing {
        if im.plan.node_class(&class).is_none() && is_dns_label(&class) {
            im.plan.spec.node_classes.push(NodeClass::new(class.clone(), "bottlerocket"));
            let mut f = Finding::new(
                "TF041",
                Severity::Info,
                format!("spec.nodePools[{i}].nodeClass"),
                format!("EC2NodeClass {class} is not in the input; a Bottlerocket placeholder was added to the plan"),
                "import the EC2NodeClass too, or edit the placeholder in spec.nodeClasses",
            );
            f.document = 0;
            im.findings.push(f);
        }
    }
    match (im.cluster_name.clone(), im.node_role.clone()) {
        (Some(name), role) if name != CLUSTER_PLACEHOLDER || role.is_some() => {
            im.plan.spec.cluster = Some(Cluster { name, node_role: role });
        }
        (None, Some(role)) => {
            im.plan.spec.cluster = Some(Cluster { name: CLUSTER_PLACEHOLDER.to_string(), node_role: Some(role) })
        }
        _ => {}
    }
    for error in validate(&im.plan) {
        let mut f = Finding::new(
            "TF033",
            Severity::Error,
            error.path.clone(),
            format!("the imported plan is not valid: {}", error.message),
            "correct the source YAML (or the imported plan) at this field",
        );
        f.document = 0;
        im.findings.push(f);
    }
    Import { plan: im.plan, findings: im.findings, origins: im.origins }
}

#[cfg(test)]
mod ca_tests;
#[cfg(test)]
mod tests;
