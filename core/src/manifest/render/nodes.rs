//! The node layer's manifests: Karpenter EC2NodeClasses and NodePools.

use crate::doc::{obj, s, strs, to_doc, Doc, Map};

use super::{cluster_name, labels, IMAGE_CACHE_ANNOTATION, NODE_POOL_LABEL, RESERVATIONS_ANNOTATION};
use crate::place::sizing::{self};
use crate::plan::{mig, ImagePull, NodeClass, NodePool, Plan};

/// Bottlerocket user data turning on the SOCI snapshotter's parallel pull and unpack (settings API,
/// `settings.container-runtime` and `settings.container-runtime-plugins.soci-snapshotter`, Bottlerocket
/// 1.44 and later).
pub const BOTTLEROCKET_PARALLEL_PULL: &str = "[settings.container-runtime]\nsnapshotter = \"soci\"\n\n\
    [settings.container-runtime-plugins.soci-snapshotter]\npull-mode = \"parallel-pull-unpack\"\n";

/// AL2023 user data turning on SOCI parallel pull and unpack: nodeadm's `FastImagePull` feature gate
/// (AL2023 EKS AMIs from v20250821).
pub const AL2023_PARALLEL_PULL: &str =
    "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  featureGates:\n    FastImagePull: true\n";

/// The user data a node class's image pull needs, if any.
pub fn parallel_pull_user_data(class: &NodeClass) -> Option<&'static str> {
    match (class.image_pull, class.ami.as_str()) {
        (ImagePull::Default, _) => None,
        (ImagePull::Parallel, "al2023") => Some(AL2023_PARALLEL_PULL),
        (ImagePull::Parallel, _) => Some(BOTTLEROCKET_PARALLEL_PULL),
    }
}

/// Whether a node class assembles its NVMe instance-store disks into a RAID0 array
/// (`instanceStorePolicy: RAID0`, which moves kubelet's and containerd's directories onto it): when a
/// deployment keeping its weights on the node (`weights.nodeCache`) may run on a pool of the class.
/// Not on a class with an image cache: the snapshot's images live on the data volume, which the array
/// would replace.
pub fn instance_store_raid0(plan: &Plan, class: &NodeClass) -> bool {
    class.image_cache.is_none()
        && plan.spec.deployments.iter().filter(|d| d.weights_node_cache()).any(|d| {
            plan.spec
                .node_pools
                .iter()
                .filter(|p| p.node_class == class.name)
                .any(|p| d.fleets().iter().any(|fleet| crate::place::pool_rejects(p, d, fleet).is_none()))
        })
}

/// A Karpenter requirement that a node label is one of `values`.
pub(super) fn requirement(key: &str, values: Doc) -> Doc {
    obj(vec![("key", s(key)), ("operator", s("In")), ("values", values)])
}

/// A Karpenter v1 NodePool for a plan's pool.
pub fn node_pool(plan: &Plan, pool: &NodePool) -> Doc {
    let capacity_types = pool.capacity_types.iter().map(|c| s(c.as_str())).collect();
    let mut requirements = vec![requirement("karpenter.sh/capacity-type", Doc::Array(capacity_types))];
    if !pool.instance_families.is_empty() {
        requirements.push(requirement("karpenter.k8s.aws/instance-family", strs(&pool.instance_families)));
    }
    if !pool.instance_types.is_empty() {
        requirements.push(requirement("node.kubernetes.io/instance-type", strs(&pool.instance_types)));
    }
    let mut template_spec = Map::new();
    template_spec.insert(
        "nodeClassRef".into(),
        obj(vec![("group", s("karpenter.k8s.aws")), ("kind", s("EC2NodeClass")), ("name", s(&pool.node_class))]),
    );
    template_spec.insert("requirements".into(), Doc::Array(requirements));
    if !pool.taints.is_empty() {
        template_spec.insert("taints".into(), to_doc(&pool.taints));
    }
    if let Some(expire) = &pool.expire_after {
        template_spec.insert("expireAfter".into(), s(expire));
    }
    let mut node_labels = Map::new();
    node_labels.insert(NODE_POOL_LABEL.into(), s(&pool.name));
    if let Some(profile) = pool.mig_profile.as_deref().and_then(mig::any_profile) {
        // The GPU operator's MIG manager partitions the node's GPUs by this label.
        node_labels.insert(MIG_CONFIG_LABEL.into(), s(profile.config_label));
    }
    for (k, v) in &pool.labels {
        node_labels.insert(k.clone(), s(v));
    }
    let mut disruption = Map::new();
    disruption.insert("consolidationPolicy".into(), s(&pool.consolidation.policy));
    // The CRD requires consolidateAfter once `disruption` is written; unset in the plan, it is what
    // Karpenter defaults it to (0s) when a NodePool has no `disruption` at all.
    disruption.insert("consolidateAfter".into(), s(pool.consolidation.after.as_deref().unwrap_or("0s")));
    if !pool.budgets.is_empty() {
        disruption.insert("budgets".into(), to_doc(&pool.budgets));
    }
    let mut spec = Map::new();
    spec.insert(
        "template".into(),
        obj(vec![("metadata", obj(vec![("labels", node_labels.into())])), ("spec", template_spec.into())]),
    );
    spec.insert("disruption".into(), disruption.into());
    if !pool.limits.is_empty() {
        spec.insert("limits".into(), to_doc(&pool.limits));
    }
    if let Some(weight) = pool.weight {
        spec.insert("weight".into(), weight.into());
    }
    let mut metadata = Map::new();
    metadata.insert("name".into(), s(&pool.name));
    metadata.insert("labels".into(), labels(plan));
    if let Some(replicas) = pool.replicas {
        // A static NodePool: Karpenter keeps this many nodes (consolidation settings are ignored).
        spec.insert("replicas".into(), replicas.into());
        metadata.insert(
            "annotations".into(),
            obj(vec![(super::FEATURE_GATE_ANNOTATION, super::feature_gate_note("StaticCapacity").into())]),
        );
    }
    obj(vec![
        ("apiVersion", s("karpenter.sh/v1")),
        ("kind", s("NodePool")),
        ("metadata", metadata.into()),
        ("spec", spec.into()),
    ])
}

/// The node label the NVIDIA GPU operator's MIG manager reads (`all-1g.10gb` partitions every GPU).
pub use crate::plan::mig::MIG_CONFIG_LABEL;

/// Karpenter NodeOverlays (`karpenter.sh/v1alpha1`, the NodeOverlay feature gate) for a
/// MIG-partitioned pool: one per instance type that offers the pool's profile, adding the slices a
/// node of that type will have (`nvidia.com/mig-1g.10gb: 56` on a p4de.24xlarge), so that Karpenter
/// launches nodes for pods that request slices. Scoped to the pool by `karpenter.sh/nodepool`, so
/// other pools' nodes of the same types do not pretend to have slices. None for other pools.
pub fn node_overlays(plan: &Plan, pool: &NodePool) -> Vec<Doc> {
    let Some(profile) = pool.mig_profile.as_deref().and_then(mig::any_profile) else { return Vec::new() };
    mig::pool_types(pool)
        .filter_map(|t| {
            let slices = mig::slices_per_node(t, profile.name);
            (slices > 0).then(|| {
                let requirements = vec![
                    requirement("karpenter.sh/nodepool", strs(std::slice::from_ref(&pool.name))),
                    requirement("node.kubernetes.io/instance-type", strs(std::slice::from_ref(&t.name))),
                ];
                let mut capacity = Map::new();
                capacity.insert(profile.resource.into(), s(&slices.to_string()));
                let mut metadata = Map::new();
                metadata.insert("name".into(), s(&format!("{}-{}", pool.name, t.name)));
                metadata.insert("labels".into(), labels(plan));
                metadata.insert(
                    "annotations".into(),
                    obj(vec![(
                        super::FEATURE_GATE_ANNOTATION,
                        format!(
                            "{}; MIG slices need the NVIDIA GPU operator with mig.strategy=mixed",
                            super::feature_gate_note("NodeOverlay")
                        )
                        .into(),
                    )]),
                );
                obj(vec![
                    ("apiVersion", s("karpenter.sh/v1alpha1")),
                    ("kind", s("NodeOverlay")),
                    ("metadata", metadata.into()),
                    ("spec", obj(vec![("requirements", Doc::Array(requirements)), ("capacity", capacity.into())])),
                ])
            })
        })
        .collect()
}

/// Data volume size of a node class: room for the serving image and the weights of every model the
/// plan runs, rounded up to 50 GiB.
pub fn default_disk_gib(plan: &Plan) -> u32 {
    let mut models: Vec<(&str, f64)> = Vec::new();
    for d in &plan.spec.deployments {
        if !models.iter().any(|(m, _)| *m == d.model) {
            models.push((&d.model, sizing::weights_gib(d).unwrap_or(20.0)));
        }
    }
    let weights: f64 = models.iter().map(|(_, gib)| gib).sum();
    let gib = 60.0 + weights * 1.2;
    ((gib / 50.0).ceil() * 50.0).min(16_000.0) as u32
}

/// A Karpenter v1 EC2NodeClass for a plan's node class.
pub fn ec2_node_class(plan: &Plan, class: &NodeClass) -> Doc {
    let cluster = cluster_name(plan);
    let role = plan
        .spec
        .cluster
        .as_ref()
        .and_then(|c| c.node_role.clone())
        .unwrap_or_else(|| format!("KarpenterNodeRole-{cluster}"));
    let disk = class.disk_gib.unwrap_or_else(|| default_disk_gib(plan));
    let ebs = |size: String, snapshot: Option<&str>| {
        let mut ebs = Map::new();
        ebs.insert("volumeSize".into(), size.into());
        ebs.insert("volumeType".into(), s("gp3"));
        ebs.insert("encrypted".into(), true.into());
        ebs.insert("deleteOnTermination".into(), true.into());
        if let Some(snapshot) = snapshot {
            // The data volume is created from the snapshot that holds the pre-pulled images.
            ebs.insert("snapshotID".into(), s(snapshot));
        }
        Doc::from(ebs)
    };
    let snapshot = class.image_cache.as_ref().map(|c| c.snapshot_id.as_str());
    let block_devices = if class.ami == "bottlerocket" {
        Doc::Array(vec![
            obj(vec![("deviceName", s("/dev/xvda")), ("ebs", ebs("4Gi".to_string(), None))]),
            obj(vec![("deviceName", s("/dev/xvdb")), ("ebs", ebs(format!("{disk}Gi"), snapshot))]),
        ])
    } else {
        // Validation keeps image caches to Bottlerocket: AL2023's root volume comes from the AMI.
        Doc::Array(vec![obj(vec![
            ("deviceName", s("/dev/xvda")),
            ("ebs", ebs(format!("{disk}Gi"), None)),
            ("rootVolume", true.into()),
        ])])
    };
    let discovery = Doc::Array(vec![obj(vec![("tags", obj(vec![("karpenter.sh/discovery", cluster.into())]))])]);
    let mut spec = Map::new();
    spec.insert(
        "amiSelectorTerms".into(),
        Doc::Array(vec![obj(vec![("alias", format!("{}@latest", class.ami).into())])]),
    );
    spec.insert("role".into(), role.into());
    spec.insert("subnetSelectorTerms".into(), discovery.clone());
    spec.insert("securityGroupSelectorTerms".into(), discovery);
    if !class.capacity_reservations.is_empty() {
        spec.insert(
            "capacityReservationSelectorTerms".into(),
            Doc::Array(class.capacity_reservations.iter().map(|r| obj(vec![("id", s(&r.id))])).collect()),
        );
    }
    spec.insert("blockDeviceMappings".into(), block_devices);
    if instance_store_raid0(plan, class) {
        spec.insert("instanceStorePolicy".into(), s("RAID0"));
    }
    if let Some(user_data) = parallel_pull_user_data(class) {
        spec.insert("userData".into(), s(user_data));
    }
    let mut metadata = Map::new();
    metadata.insert("name".into(), s(&class.name));
    metadata.insert("labels".into(), labels(plan));
    let mut annotations = Map::new();
    if !class.capacity_reservations.is_empty() {
        // Reservation sizes and kinds are not part of the selector term; keep them for import.
        let summary: Vec<String> = class
            .capacity_reservations
            .iter()
            .map(|r| {
                let zone = r.availability_zone.as_deref().map(|z| format!(":{z}")).unwrap_or_default();
                let end = r.end_time.as_deref().map(|t| format!("@{t}")).unwrap_or_default();
                format!("{}={}:{}:{}{zone}{end}", r.id, r.kind, r.instance_type, r.count)
            })
            .collect();
        annotations.insert(RESERVATIONS_ANNOTATION.into(), summary.join(",").into());
    }
    if let Some(cache) = class.image_cache.as_ref().filter(|c| !c.images.is_empty()) {
        // Which images the snapshot holds is not part of the EC2NodeClass; keep it for import.
        annotations.insert(IMAGE_CACHE_ANNOTATION.into(), cache.images.join(",").into());
    }
    if !annotations.is_empty() {
        metadata.insert("annotations".into(), annotations.into());
    }
    obj(vec![
        ("apiVersion", s("karpenter.k8s.aws/v1")),
        ("kind", s("EC2NodeClass")),
        ("metadata", metadata.into()),
        ("spec", spec.into()),
    ])
}
