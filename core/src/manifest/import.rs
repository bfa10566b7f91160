//! Importing existing Kubernetes YAML (single documents, multi-document streams, `kind: List`) into a
//! Plan, with findings for what a Plan cannot express and for mistakes seen in the wild.
//!
//! What Tokenfleet's own export writes comes back exactly: export → import → export is byte-identical.

use std::collections::BTreeMap;

use super::render::{self, CLUSTER_PLACEHOLDER, ENGINE_ANNOTATION, NODE_POOL_LABEL, PRECISION_ANNOTATION};
use crate::catalog::CapacityType;
use crate::finding::{Finding, Severity};
use crate::place::{parse_quantity, sizing};
use crate::plan::parse::is_dns_label;
use crate::plan::tree::{self, Node, Value};
use crate::plan::*;

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
    };
    for doc in docs {
        match doc.kind() {
            "EC2NodeClass" => im.node_class(doc),
            "NodePool" => im.node_pool(doc),
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
            other => im.findings.push(doc.finding(
                "TF031",
                Severity::Info,
                "kind",
                format!("{other} is not part of a Tokenfleet plan; ignored"),
                "nothing to do; keep applying it alongside the exported manifests",
            )),
        }
    }
    let autoscalers = std::mem::take(&mut im.autoscalers);
    for doc in autoscalers {
        im.autoscaler(doc);
    }
    im.check_pdbs();
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
            im.plan.spec.node_classes.push(NodeClass {
                name: class.clone(),
                ami: "bottlerocket".to_string(),
                disk_gib: None,
                capacity_reservations: Vec::new(),
            });
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

fn disk_gib(size: &str) -> Option<u32> {
    let bytes = parse_quantity(size)?;
    let gib = bytes / (1024.0 * 1024.0 * 1024.0);
    (1.0..1e6).contains(&gib).then(|| gib.round() as u32)
}

impl<'a> Importer<'a> {
    fn node_class(&mut self, doc: &SourceDocument) {
        let n = &doc.node;
        if doc.api_version() != "karpenter.k8s.aws/v1" {
            self.findings.push(doc.finding(
                "TF013",
                Severity::Error,
                "apiVersion",
                format!("{} is not Karpenter v1 (karpenter.k8s.aws/v1)", doc.api_version()),
                "migrate to karpenter.k8s.aws/v1: amiSelectorTerms with an alias replaces amiFamily",
            ));
        }
        let alias = n.str_at("spec.amiSelectorTerms[0].alias").unwrap_or_default();
        let family = alias.split('@').next().unwrap_or_default().to_ascii_lowercase();
        let ami = match family.as_str() {
            "bottlerocket" | "al2023" => family.clone(),
            _ => {
                let from_family = n.str_at("spec.amiFamily").unwrap_or_default().to_ascii_lowercase();
                self.findings.push(doc.finding(
                    "TF034",
                    Severity::Warning,
                    "spec.amiSelectorTerms",
                    format!(
                        "AMI selection {:?} is neither bottlerocket@… nor al2023@…",
                        if alias.is_empty() { &from_family } else { &alias }
                    ),
                    "use amiSelectorTerms: [{alias: bottlerocket@latest}] or al2023@latest",
                ));
                if from_family == "al2023" { "al2023" } else { "bottlerocket" }.to_string()
            }
        };
        if let Some(role) = n.str_at("spec.role") {
            self.node_role = Some(role);
        }
        if let Some(cluster) = n
            .at("spec.subnetSelectorTerms[0].tags")
            .and_then(|t| t.get("karpenter.sh/discovery"))
            .and_then(Node::scalar_text)
        {
            self.cluster_name = Some(cluster);
        }
        let devices = n.items_at("spec.blockDeviceMappings");
        let data_device = if ami == "bottlerocket" { "/dev/xvdb" } else { "/dev/xvda" };
        let disk = devices
            .iter()
            .find(|d| d.str_at("deviceName").as_deref() == Some(data_device))
            .or_else(|| {
                devices.iter().find(|d| d.get("rootVolume").map(|r| r.value == Value::Bool(true)).unwrap_or(false))
            })
            .and_then(|d| d.str_at("ebs.volumeSize"))
            .and_then(|s| disk_gib(&s));
        let annotation = n
            .at("metadata.annotations")
            .and_then(|a| a.get(render::RESERVATIONS_ANNOTATION))
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        // The annotation's reservations by id, a later entry replacing an earlier one.
        let mut known: Vec<CapacityReservation> = Vec::new();
        for entry in annotation.split(',').filter(|e| !e.is_empty()) {
            let Some((id, rest)) = entry.split_once('=') else { continue };
            let parts: Vec<&str> = rest.split(':').collect();
            if let [kind, instance_type, count] = parts[..] {
                let reservation = CapacityReservation {
                    id: id.to_string(),
                    kind: kind.to_string(),
                    instance_type: instance_type.to_string(),
                    count: count.parse().unwrap_or(1),
                };
                match known.iter_mut().find(|r| r.id == id) {
                    Some(earlier) => *earlier = reservation,
                    None => known.push(reservation),
                }
            }
        }
        let mut reservations = Vec::new();
        for (i, term) in n.items_at("spec.capacityReservationSelectorTerms").iter().enumerate() {
            match term.str_at("id") {
                Some(id) => match known.iter().position(|r| r.id == id) {
                    Some(k) => reservations.push(known.swap_remove(k)),
                    None => self.findings.push(doc.finding(
                        "TF035",
                        Severity::Info,
                        &format!("spec.capacityReservationSelectorTerms[{i}]"),
                        format!("reservation {id}: its instance type and size are not in the YAML"),
                        "add it to the plan's nodeClasses[].capacityReservations with instanceType and count",
                    )),
                },
                None => self.findings.push(doc.finding(
                    "TF035",
                    Severity::Info,
                    &format!("spec.capacityReservationSelectorTerms[{i}]"),
                    "reservations selected by tags cannot be sized from YAML".to_string(),
                    "list the reservations by id in the plan",
                )),
            }
        }
        for key in [
            "userData",
            "kubelet",
            "tags",
            "metadataOptions",
            "instanceProfile",
            "instanceStorePolicy",
            "detailedMonitoring",
            "associatePublicIPAddress",
        ] {
            if n.at(&format!("spec.{key}")).is_some() {
                self.findings.push(doc.finding(
                    "TF036",
                    Severity::Info,
                    &format!("spec.{key}"),
                    format!("spec.{key} cannot be expressed in a plan; it is not exported again"),
                    "keep it in a patch applied after the exported EC2NodeClass",
                ));
            }
        }
        let index = self.plan.spec.node_classes.len();
        self.origins.push(origin(doc, format!("spec.nodeClasses[{index}]")));
        self.plan.spec.node_classes.push(NodeClass {
            name: doc.name(),
            ami,
            disk_gib: disk,
            capacity_reservations: reservations,
        });
    }

    fn node_pool(&mut self, doc: &SourceDocument) {
        let n = &doc.node;
        let v1beta1 = doc.api_version() != "karpenter.sh/v1";
        if v1beta1 {
            self.findings.push(doc.finding(
                "TF013",
                Severity::Error,
                "apiVersion",
                format!("{} is not Karpenter v1 (karpenter.sh/v1)", doc.api_version()),
                "migrate to karpenter.sh/v1",
            ));
        }
        for (field, replacement) in [
            ("spec.disruption.expireAfter", "spec.template.spec.expireAfter"),
            ("spec.template.spec.kubelet", "EC2NodeClass spec.kubelet"),
            ("spec.template.spec.nodeClassRef.apiVersion", "spec.template.spec.nodeClassRef.group"),
        ] {
            if n.at(field).is_some() {
                self.findings.push(doc.finding(
                    "TF013",
                    Severity::Error,
                    field,
                    format!("{field} is a v1beta1 field name; Karpenter v1 rejects it"),
                    &format!("use {replacement}"),
                ));
            }
        }
        let mut pool = NodePool {
            name: doc.name(),
            weight: n.at("spec.weight").and_then(Node::as_i64).map(|w| w.clamp(0, u32::MAX as i64) as u32),
            capacity_types: Vec::new(),
            instance_families: Vec::new(),
            instance_types: Vec::new(),
            limits: n.string_map("spec.limits"),
            taints: Vec::new(),
            labels: n.string_map("spec.template.metadata.labels"),
            consolidation: Consolidation {
                policy: n
                    .str_at("spec.disruption.consolidationPolicy")
                    .unwrap_or_else(|| "WhenEmptyOrUnderutilized".to_string()),
                after: n.str_at("spec.disruption.consolidateAfter"),
            },
            budgets: Vec::new(),
            expire_after: n
                .str_at("spec.template.spec.expireAfter")
                .or_else(|| n.str_at("spec.disruption.expireAfter")),
            node_class: n.str_at("spec.template.spec.nodeClassRef.name").unwrap_or_default(),
        };
        pool.labels.remove(NODE_POOL_LABEL);
        let mut capacity_seen = false;
        for (i, req) in n.items_at("spec.template.spec.requirements").iter().enumerate() {
            let key = req.str_at("key").unwrap_or_default();
            let operator = req.str_at("operator").unwrap_or_default();
            let values: Vec<String> = req.items_at("values").iter().filter_map(Node::scalar_text).collect();
            let field = format!("spec.template.spec.requirements[{i}]");
            let target = match key.as_str() {
                "karpenter.sh/capacity-type" => {
                    capacity_seen = true;
                    None
                }
                "karpenter.k8s.aws/instance-family" => Some(&mut pool.instance_families),
                "node.kubernetes.io/instance-type" => Some(&mut pool.instance_types),
                _ => {
                    self.findings.push(doc.finding(
                        "TF037",
                        Severity::Info,
                        &field,
                        format!("requirement on {key} cannot be expressed in a plan; it is not exported again"),
                        "keep it in a patch, or express it as instance families or types",
                    ));
                    continue;
                }
            };
            if operator != "In" {
                self.findings.push(doc.finding(
                    "TF037",
                    Severity::Info,
                    &format!("{field}.operator"),
                    format!("operator {operator} on {key} is imported as nothing; plans list allowed values (In)"),
                    "list the allowed values with operator In",
                ));
                continue;
            }
            match target {
                Some(list) => list.extend(values),
                None => {
                    for v in values {
                        match CapacityType::parse(&v) {
                            Some(c) => pool.capacity_types.push(c),
                            None => self.findings.push(doc.finding(
                                "TF038",
                                Severity::Error,
                                &format!("{field}.values"),
                                format!("{v:?} is not a capacity type"),
                                "use reserved, spot or on-demand",
                            )),
                        }
                    }
                }
            }
        }
        if !capacity_seen {
            // Karpenter's default when the requirement is absent is on-demand.
            pool.capacity_types.push(CapacityType::OnDemand);
        }
        for t in n.items_at("spec.template.spec.taints") {
            pool.taints.push(Taint {
                key: t.str_at("key").unwrap_or_default(),
                value: t.str_at("value"),
                effect: t.str_at("effect").unwrap_or_default(),
            });
        }
        if n.at("spec.template.spec.startupTaints").is_some() {
            self.findings.push(doc.finding(
                "TF037",
                Severity::Info,
                "spec.template.spec.startupTaints",
                "startupTaints cannot be expressed in a plan; they are not exported again".to_string(),
                "keep them in a patch",
            ));
        }
        for b in n.items_at("spec.disruption.budgets") {
            pool.budgets.push(Budget {
                nodes: b.str_at("nodes").unwrap_or_else(|| "10%".to_string()),
                schedule: b.str_at("schedule"),
                duration: b.str_at("duration"),
                reasons: b.items_at("reasons").iter().filter_map(Node::scalar_text).collect(),
            });
        }
        let index = self.plan.spec.node_pools.len();
        self.origins.push(origin(doc, format!("spec.nodePools[{index}]")));
        self.plan.spec.node_pools.push(pool);
    }

    fn workload(&mut self, doc: &SourceDocument) {
        let text = doc
            .node
            .get("data")
            .and_then(|d| d.get(render::WORKLOAD_KEY))
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        // JSON is YAML's flow style: the same parser reads it, and the workload is read from the tree.
        let parsed = tree::parse_document(&text).ok().filter(|root| root.value != Value::Null);
        let Some(root) = parsed else {
            self.findings.push(doc.finding(
                "TF032",
                Severity::Warning,
                "data",
                "workload.json is not JSON; workload left at defaults".to_string(),
                "export the plan again to regenerate it",
            ));
            return;
        };
        self.seen_workload = true;
        if let Some(name) = root.get("plan").and_then(Node::as_str) {
            self.plan.metadata.name = name.to_string();
        }
        self.plan.metadata.description = root.get("description").and_then(Node::as_str).map(str::to_string);
        if let Some(region) = root.get("region").and_then(Node::as_str) {
            self.plan.spec.region = region.to_string();
        }
        let workload = root.get("workload").map(Node::to_doc).unwrap_or(serde_json::Value::Null);
        match serde_json::from_value::<Workload>(workload) {
            Ok(w) => self.plan.spec.workload = w,
            Err(e) => self.findings.push(doc.finding(
                "TF032",
                Severity::Warning,
                "data",
                format!("workload.json: {e}; workload left at defaults"),
                "export the plan again to regenerate it",
            )),
        }
    }

    fn deployment(&mut self, doc: &'a SourceDocument) {
        let n = &doc.node;
        let containers = n.items_at("spec.template.spec.containers");
        let server = containers.iter().enumerate().find(|(_, c)| {
            let words = args_of(c);
            words.iter().any(|a| a == "--model" || a.starts_with("--model=") || a == "serve")
        });
        let Some((ci, container)) = server else {
            self.findings.push(doc.finding(
                "TF039",
                Severity::Info,
                "spec.template.spec.containers",
                format!("Deployment {} runs no vLLM server (no --model); ignored", doc.name()),
                "only model servers become plan deployments",
            ));
            return;
        };
        let words = args_of(container);
        let flag = |name: &str| -> Option<String> {
            let eq = format!("{name}=");
            words.iter().enumerate().find_map(|(i, w)| {
                if w == name {
                    words.get(i + 1).cloned()
                } else {
                    w.strip_prefix(&eq).map(str::to_string)
                }
            })
        };
        let model = flag("--model")
            .or_else(|| words.iter().position(|w| w == "serve").and_then(|i| words.get(i + 1).cloned()))
            .unwrap_or_default();
        let annotations = n.string_map("metadata.annotations");
        let neuron_requested =
            container.at("resources.requests").and_then(|r| r.get("aws.amazon.com/neuron")).is_some()
                || container.at("resources.limits").and_then(|r| r.get("aws.amazon.com/neuron")).is_some();
        let engine = annotations
            .get(ENGINE_ANNOTATION)
            .cloned()
            .unwrap_or_else(|| if neuron_requested { "neuron" } else { "vllm" }.to_string());
        let precision = annotations.get(PRECISION_ANNOTATION).cloned().unwrap_or_else(|| {
            match (flag("--quantization").as_deref(), flag("--dtype").as_deref()) {
                (Some("fp8"), _) => "fp8",
                (Some("awq") | Some("awq_marlin"), _) => "awq",
                (Some("gptq") | Some("gptq_marlin"), _) => "gptq",
                (Some("bitsandbytes"), _) => "int8",
                (_, Some("float16") | Some("half")) => "fp16",
                _ => "bf16",
            }
            .to_string()
        });
        let tp: u32 = flag("--tensor-parallel-size").and_then(|s| s.parse().ok()).unwrap_or(1);
        let image = container.str_at("image");
        let default_image = if sizing::is_neuron_engine(&engine) { render::NEURON_IMAGE } else { render::VLLM_IMAGE };
        let replicas = n.at("spec.replicas").and_then(Node::as_i64).unwrap_or(1).clamp(0, u32::MAX as i64) as u32;
        let mut node_selector = n.string_map("spec.template.spec.nodeSelector");
        let mut tolerations = Vec::new();
        for (i, t) in n.items_at("spec.template.spec.tolerations").iter().enumerate() {
            if t.get("tolerationSeconds").is_some() {
                self.findings.push(doc.finding(
                    "TF037",
                    Severity::Info,
                    &format!("spec.template.spec.tolerations[{i}].tolerationSeconds"),
                    "tolerationSeconds cannot be expressed in a plan".to_string(),
                    "keep it in a patch",
                ));
            }
            tolerations.push(Toleration {
                key: t.str_at("key").unwrap_or_default(),
                operator: t.str_at("operator"),
                value: t.str_at("value"),
                effect: t.str_at("effect"),
            });
        }
        let app = n.string_map("metadata.labels").get("app.kubernetes.io/name").cloned().unwrap_or_else(|| doc.name());
        let role = n.string_map("metadata.labels").get("app.kubernetes.io/component").cloned().unwrap_or_default();
        if containers.len() > 1 {
            self.findings.push(doc.finding(
                "TF037",
                Severity::Info,
                "spec.template.spec.containers",
                "only the model server container is imported; sidecars are not exported again".to_string(),
                "keep sidecars in a patch",
            ));
        }
        let _ = ci;
        if role == "prefill" || role == "decode" {
            let pinned = node_selector.remove("karpenter.sh/nodepool");
            let stage = Stage {
                tensor_parallel: Some(tp),
                replicas: ReplicaBounds { min: replicas, max: replicas.max(1) },
                node_pool: pinned,
            };
            let index = match self.fleets.get(&app) {
                Some(i) => *i,
                None => {
                    let index = self.plan.spec.deployments.len();
                    self.fleets.insert(app.clone(), index);
                    self.origins.push(origin(doc, format!("spec.deployments[{index}]")));
                    self.plan.spec.deployments.push(Deployment {
                        name: app.clone(),
                        model: model.clone(),
                        precision: precision.clone(),
                        engine: engine.clone(),
                        tensor_parallel: tp,
                        replicas: stage.replicas,
                        mode: Mode::Disaggregated,
                        prefill: None,
                        decode: None,
                        max_num_seqs: flag("--max-num-seqs").and_then(|s| s.parse().ok()),
                        max_model_len: flag("--max-model-len").and_then(|s| s.parse().ok()),
                        gpu_memory_utilization: flag("--gpu-memory-utilization").and_then(|s| s.parse().ok()),
                        image: image.filter(|i| i != default_image),
                        tolerations,
                        node_selector,
                        autoscaler: None,
                    });
                    index
                }
            };
            let d = &mut self.plan.spec.deployments[index];
            if role == "prefill" {
                d.prefill = Some(stage);
            } else {
                d.tensor_parallel = tp;
                d.replicas = stage.replicas;
                d.decode = Some(stage);
            }
            self.deployment_docs.push((doc, index));
            return;
        }
        let index = self.plan.spec.deployments.len();
        self.origins.push(origin(doc, format!("spec.deployments[{index}]")));
        self.deployment_docs.push((doc, index));
        self.plan.spec.deployments.push(Deployment {
            name: doc.name(),
            model,
            precision,
            engine,
            tensor_parallel: tp,
            replicas: ReplicaBounds { min: replicas, max: replicas.max(1) },
            mode: Mode::Monolithic,
            prefill: None,
            decode: None,
            max_num_seqs: flag("--max-num-seqs").and_then(|s| s.parse().ok()),
            max_model_len: flag("--max-model-len").and_then(|s| s.parse().ok()),
            gpu_memory_utilization: flag("--gpu-memory-utilization").and_then(|s| s.parse().ok()),
            image: image.filter(|i| i != default_image),
            tolerations,
            node_selector,
            autoscaler: None,
        });
    }

    /// The plan deployment (and stage) a scale target names.
    fn target(&self, name: &str) -> Option<(usize, Option<&'static str>)> {
        for (i, d) in self.plan.spec.deployments.iter().enumerate() {
            if d.mode == Mode::Monolithic && d.name == name {
                return Some((i, None));
            }
            if d.mode == Mode::Disaggregated {
                if format!("{}-prefill", d.name) == name {
                    return Some((i, Some("prefill")));
                }
                if format!("{}-decode", d.name) == name {
                    return Some((i, Some("decode")));
                }
            }
        }
        None
    }

    fn autoscaler(&mut self, doc: &SourceDocument) {
        let n = &doc.node;
        let keda = doc.kind() == "ScaledObject";
        let target_name = n.str_at("spec.scaleTargetRef.name").unwrap_or_default();
        let Some((index, stage)) = self.target(&target_name) else {
            self.findings.push(doc.finding(
                "TF039",
                Severity::Info,
                "spec.scaleTargetRef.name",
                format!("{} scales {target_name:?}, which is not an imported model server; ignored", doc.kind()),
                "import the Deployment it scales too",
            ));
            return;
        };
        let (min_field, max_field) = if keda {
            ("spec.minReplicaCount", "spec.maxReplicaCount")
        } else {
            ("spec.minReplicas", "spec.maxReplicas")
        };
        let max = n.at(max_field).and_then(Node::as_i64).unwrap_or(100).clamp(0, u32::MAX as i64) as u32;
        let min =
            n.at(min_field).and_then(Node::as_i64).unwrap_or(if keda { 0 } else { 1 }).clamp(0, u32::MAX as i64) as u32;
        let mut metrics = Vec::new();
        if keda {
            for (i, t) in n.items_at("spec.triggers").iter().enumerate() {
                let kind = t.str_at("type").unwrap_or_default();
                let metric = if kind == "cpu" {
                    t.str_at("metadata.value")
                        .and_then(|v| v.parse().ok())
                        .map(|v| ScalingMetric { metric: MetricKind::CpuUtilization, target: v })
                } else if kind == "prometheus" {
                    let query = t.str_at("metadata.query").unwrap_or_default();
                    let threshold = t.str_at("metadata.threshold").and_then(|v| v.parse::<f64>().ok());
                    metric_from_name(&query).zip(threshold).map(|(metric, threshold)| ScalingMetric {
                        metric,
                        target: if metric == MetricKind::Ttft {
                            (threshold * 1000.0 * 1e6).round() / 1e6
                        } else {
                            threshold
                        },
                    })
                } else {
                    None
                };
                match metric {
                    Some(m) => metrics.push(m),
                    None => self.findings.push(doc.finding(
                        "TF037",
                        Severity::Info,
                        &format!("spec.triggers[{i}]"),
                        format!("trigger {kind:?} is not a metric a plan knows; not exported again"),
                        "use queue depth, running requests, KV-cache usage, TTFT or utilisation",
                    )),
                }
            }
        } else {
            for (i, m) in n.items_at("spec.metrics").iter().enumerate() {
                let ty = m.str_at("type").unwrap_or_default();
                let metric = match ty.as_str() {
                    "Resource" if m.str_at("resource.name").as_deref() == Some("cpu") => m
                        .at("resource.target.averageUtilization")
                        .and_then(Node::as_f64)
                        .map(|v| ScalingMetric { metric: MetricKind::CpuUtilization, target: v }),
                    "Pods" => {
                        let name = m.str_at("pods.metric.name").unwrap_or_default();
                        let value = m.str_at("pods.target.averageValue").and_then(|v| parse_quantity(&v));
                        metric_from_name(&name).zip(value).map(|(metric, value)| ScalingMetric {
                            metric,
                            target: if metric == MetricKind::Ttft {
                                (value * 1000.0 * 1e6).round() / 1e6
                            } else {
                                value
                            },
                        })
                    }
                    _ => None,
                };
                match metric {
                    Some(metric) => metrics.push(metric),
                    None => self.findings.push(doc.finding(
                        "TF037",
                        Severity::Info,
                        &format!("spec.metrics[{i}]"),
                        format!("{ty} metric is not one a plan knows; not exported again"),
                        "use queue depth, running requests, KV-cache usage, TTFT or utilisation",
                    )),
                }
            }
        }
        let behavior_path = if keda { "spec.advanced.horizontalPodAutoscalerConfig.behavior" } else { "spec.behavior" };
        let behavior = n.at(behavior_path).map(|b| ScalingBehavior {
            scale_up_stabilization_seconds: b
                .at("scaleUp.stabilizationWindowSeconds")
                .and_then(Node::as_i64)
                .map(|v| v.clamp(0, u32::MAX as i64) as u32),
            scale_down_stabilization_seconds: b
                .at("scaleDown.stabilizationWindowSeconds")
                .and_then(Node::as_i64)
                .map(|v| v.clamp(0, u32::MAX as i64) as u32),
            scale_up_pods_per_period: b
                .items_at("scaleUp.policies")
                .iter()
                .find(|p| p.str_at("type").as_deref() == Some("Pods"))
                .and_then(|p| p.at("value").and_then(Node::as_i64))
                .map(|v| v.clamp(0, u32::MAX as i64) as u32),
        });
        let address = n
            .items_at("spec.triggers")
            .iter()
            .find_map(|t| t.str_at("metadata.serverAddress"))
            .filter(|a| a != render::DEFAULT_PROMETHEUS);
        let polling = if keda {
            n.at("spec.pollingInterval")
                .and_then(Node::as_i64)
                .filter(|p| *p != 30)
                .map(|p| p.clamp(0, u32::MAX as i64) as u32)
        } else {
            None
        };
        let autoscaler = Autoscaler {
            kind: if keda { AutoscalerKind::Keda } else { AutoscalerKind::Hpa },
            metrics,
            behavior,
            polling_interval_seconds: polling,
            prometheus_address: address,
        };
        let d = &mut self.plan.spec.deployments[index];
        let bounds = match stage {
            None => &mut d.replicas,
            Some("prefill") => match d.prefill.as_mut() {
                Some(s) => &mut s.replicas,
                None => return,
            },
            Some(_) => match d.decode.as_mut() {
                Some(s) => &mut s.replicas,
                None => return,
            },
        };
        // The Deployment's replicas are the plan's minimum (HPA needs at least 1; KEDA allows 0).
        if keda || bounds.min > min {
            bounds.min = min;
        }
        bounds.max = max.max(bounds.min);
        if stage == Some("decode") {
            d.replicas = d.decode.as_ref().map(|s| s.replicas).unwrap_or(d.replicas);
        }
        d.autoscaler = Some(autoscaler);
        self.origins.push(origin(doc, format!("spec.deployments[{index}].autoscaler")));
    }

    fn check_pdbs(&mut self) {
        let docs = std::mem::take(&mut self.deployment_docs);
        for (doc, _) in &docs {
            let labels = doc.node.string_map("spec.template.metadata.labels");
            let covered = self
                .pdb_targets
                .iter()
                .any(|selector| !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v)));
            if !covered {
                self.findings.push(doc.finding(
                    "TF007",
                    Severity::Warning,
                    "metadata.name",
                    format!(
                        "Deployment {} has no PodDisruptionBudget: consolidation may evict every replica at once",
                        doc.name()
                    ),
                    "add a PodDisruptionBudget with maxUnavailable: 1 (tokenfleet export writes one)",
                ));
            }
        }
        self.deployment_docs = docs;
    }
}

/// The container's command and arguments as words (`vllm serve MODEL` and `--flag value` forms).
fn args_of(container: &Node) -> Vec<String> {
    let mut words = Vec::new();
    for field in ["command", "args"] {
        for item in container.items_at(field) {
            if let Some(text) = item.scalar_text() {
                // A shell line (`sh -c "vllm serve …"`) is split on whitespace.
                if text.contains(' ') && text.contains("--") {
                    words.extend(text.split_whitespace().map(str::to_string));
                } else {
                    words.push(text);
                }
            }
        }
    }
    words
}

fn metric_from_name(name: &str) -> Option<MetricKind> {
    let name = name.replace(':', "_");
    if name.contains("time_to_first_token") {
        Some(MetricKind::Ttft)
    } else if name.contains("num_requests_waiting") {
        Some(MetricKind::QueueDepth)
    } else if name.contains("num_requests_running") {
        Some(MetricKind::RunningRequests)
    } else if name.contains("kv_cache_usage") || name.contains("gpu_cache_usage") {
        Some(MetricKind::KvCacheUsage)
    } else if name.contains("DCGM_FI_DEV_GPU_UTIL") || name.contains("gpu_util") {
        Some(MetricKind::GpuUtilization)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
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
}
