//! Import of the node layer: EC2NodeClasses into node classes, NodePools into NodePools (with the
//! v1beta1 and value findings on the way).

use crate::catalog::CapacityType;
use crate::finding::Severity;
use crate::manifest::render::{self, NODE_POOL_LABEL};
use crate::place::parse_quantity;
use crate::plan::tree::{Node, Value};
use crate::plan::*;

use super::{origin, Importer, SourceDocument};

fn disk_gib(size: &str) -> Option<u32> {
    let bytes = parse_quantity(size)?;
    let gib = bytes / (1024.0 * 1024.0 * 1024.0);
    (1.0..1e6).contains(&gib).then(|| gib.round() as u32)
}

impl<'a> Importer<'a> {
    pub(super) fn node_class(&mut self, doc: &'a SourceDocument) {
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
            // `kind:type:count`, `:zone` when the plan names it, then `@end` when the reservation ends
            // (the end holds colons).
            let (rest, end_time) = match rest.split_once('@') {
                Some((rest, end)) => (rest, Some(end.to_string())),
                None => (rest, None),
            };
            let parts: Vec<&str> = rest.split(':').collect();
            if let [kind, instance_type, count, ref zone @ ..] = parts[..] {
                if zone.len() > 1 {
                    continue;
                }
                let reservation = CapacityReservation {
                    id: id.to_string(),
                    kind: kind.to_string(),
                    instance_type: instance_type.to_string(),
                    count: count.parse().unwrap_or(1),
                    availability_zone: zone.first().map(|z| z.to_string()),
                    end_time,
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
        // The image cache: the data volume's snapshot, and the images it holds from the annotation.
        let image_cache = devices
            .iter()
            .find(|d| d.str_at("deviceName").as_deref() == Some(data_device))
            .and_then(|d| d.str_at("ebs.snapshotID"))
            .map(|snapshot_id| ImageCache {
                snapshot_id,
                images: n
                    .at("metadata.annotations")
                    .and_then(|a| a.get(render::IMAGE_CACHE_ANNOTATION))
                    .and_then(Node::scalar_text)
                    .map(|list| list.split(',').filter(|i| !i.is_empty()).map(str::to_string).collect())
                    .unwrap_or_default(),
            });
        // SOCI parallel pull is the user data export writes for it; other user data is kept out.
        let user_data = n.str_at("spec.userData");
        let image_pull = match user_data.as_deref() {
            Some(text) if [render::AL2023_PARALLEL_PULL, render::BOTTLEROCKET_PARALLEL_PULL].contains(&text) => {
                ImagePull::Parallel
            }
            _ => ImagePull::Default,
        };
        let mut unexpressed = vec!["kubelet", "tags", "metadataOptions", "instanceProfile", "detailedMonitoring"];
        unexpressed.push("associatePublicIPAddress");
        if image_pull == ImagePull::Default {
            unexpressed.push("userData");
        }
        match n.str_at("spec.instanceStorePolicy").as_deref() {
            // Export writes RAID0 where a deployment keeps its weights on the node; checked once
            // every deployment is read.
            Some("RAID0") => self.raid0_classes.push((doc, self.plan.spec.node_classes.len())),
            Some(_) => unexpressed.push("instanceStorePolicy"),
            None => {}
        }
        for key in unexpressed {
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
            image_cache,
            image_pull,
        });
    }

    pub(super) fn node_pool(&mut self, doc: &SourceDocument) {
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
            mig_profile: None,
            // A static NodePool (Karpenter 1.14, StaticCapacity feature gate).
            replicas: n.at("spec.replicas").and_then(Node::as_i64).map(|r| r.clamp(0, u32::MAX as i64) as u32),
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
        // `nvidia.com/mig.config: all-<profile>` is how a plan's migProfile is exported.
        if let Some(profile) = pool.labels.get(render::MIG_CONFIG_LABEL).and_then(|v| v.strip_prefix("all-")) {
            if crate::plan::mig::any_profile(profile).is_some() {
                pool.mig_profile = Some(profile.to_string());
                pool.labels.remove(render::MIG_CONFIG_LABEL);
            }
        }
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
}

/// Whether a NodeOverlay is one a MIG-partitioned NodePool is exported with: it only adds MIG slices
/// (`nvidia.com/mig-…`) to one instance type of one NodePool, with no price. The NodePool's
/// `nvidia.com/mig.config` label carries the profile, so the overlay has nothing more to import.
pub(super) fn is_mig_overlay(doc: &SourceDocument) -> bool {
    let n = &doc.node;
    let capacity = n.at("spec.capacity").map(Node::entries).unwrap_or_default();
    !capacity.is_empty()
        && capacity.iter().all(|(key, _)| key.starts_with("nvidia.com/mig-"))
        && n.at("spec.price").is_none()
        && n.at("spec.priceAdjustment").is_none()
        && n.items_at("spec.requirements").iter().any(|r| r.str_at("key").as_deref() == Some("karpenter.sh/nodepool"))
}
