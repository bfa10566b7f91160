//! Warm capacity as what it is in Kubernetes: a `CapacityBuffer` that Karpenter keeps spare nodes
//! for, or a Deployment of low-priority placeholder pods (with their `PriorityClass`) that serving
//! pods preempt. Static NodePools are `spec.replicas` on the NodePool (`nodes.rs`).

use crate::doc::{obj, s, to_doc, Doc, Map};

use super::workloads::object_labels;
use super::{labels, NEURON_IMAGE, VLLM_IMAGE};
use crate::place::sizing::PodRequests;
use crate::plan::{Deployment, Fleet, Plan, WarmCapacity, WarmCapacityKind};

/// The annotation naming the alpha feature gate a document needs on the Karpenter controller.
pub const FEATURE_GATE_ANNOTATION: &str = "tokenfleet.dev/karpenter-feature-gate";
/// The CapacityBuffer CRD Karpenter ships serves `v1beta1` (its concept page's example still says
/// `v1alpha1`, which the API server would refuse).
pub const CAPACITY_BUFFER_API_VERSION: &str = "autoscaling.x-k8s.io/v1beta1";
/// The PriorityClass of every placeholder pod: below the default priority 0 of pods without a class,
/// so any serving pod preempts them; `preemptionPolicy: Never`, so they never preempt anything.
pub const PLACEHOLDER_PRIORITY_CLASS: &str = "tokenfleet-placeholder";
pub const PLACEHOLDER_PRIORITY: i32 = -10;
/// The pause image the placeholder pods run.
pub const PAUSE_IMAGE: &str = "registry.k8s.io/pause:3.10";
/// Name suffix of a fleet's placeholder Deployment.
pub const PLACEHOLDER_SUFFIX: &str = "-placeholder";

/// The text of the feature-gate annotation for a gate (`StaticCapacity`, `CapacityBuffer`).
pub fn feature_gate_note(gate: &str) -> String {
    format!("{gate} (alpha, off by default): start the Karpenter controller with --feature-gates={gate}=true")
}

/// A fleet's warm capacity, if it keeps any.
pub fn warm_of(fleet: &Fleet) -> Option<WarmCapacity> {
    fleet.warm_capacity.filter(|w| w.replicas > 0)
}

/// A CapacityBuffer of `replicas` chunks shaped like the fleet's pods. It points at the serving
/// Deployment (`scalableRef`) rather than a PodTemplate copy: the buffer then reads the Deployment's
/// own pod template (requests, node selector, tolerations) and follows every change to it.
pub fn capacity_buffer(plan: &Plan, deployment: &Deployment, fleet: &Fleet, warm: WarmCapacity) -> Doc {
    let annotations = obj(vec![(FEATURE_GATE_ANNOTATION, feature_gate_note("CapacityBuffer").into())]);
    obj(vec![
        ("apiVersion", s(CAPACITY_BUFFER_API_VERSION)),
        ("kind", s("CapacityBuffer")),
        ("metadata", super::workloads::fleet_metadata_annotated(plan, deployment, fleet, annotations)),
        (
            "spec",
            obj(vec![
                ("provisioningStrategy", s("buffer.x-k8s.io/active-capacity")),
                (
                    "scalableRef",
                    obj(vec![("apiGroup", s("apps")), ("kind", s("Deployment")), ("name", s(&fleet.name))]),
                ),
                ("replicas", warm.replicas.into()),
            ]),
        ),
    ])
}

/// The PriorityClass the placeholder pods run at (written once per export).
pub fn placeholder_priority_class(plan: &Plan) -> Doc {
    obj(vec![
        ("apiVersion", s("scheduling.k8s.io/v1")),
        ("kind", s("PriorityClass")),
        ("metadata", obj(vec![("name", s(PLACEHOLDER_PRIORITY_CLASS)), ("labels", labels(plan))])),
        ("value", PLACEHOLDER_PRIORITY.into()),
        ("globalDefault", false.into()),
        ("preemptionPolicy", s("Never")),
        ("description", s("Tokenfleet placeholder pods: warm capacity that serving pods preempt")),
    ])
}

fn placeholder_labels(deployment: &Deployment, fleet: &Fleet) -> Doc {
    obj(vec![
        ("app.kubernetes.io/name", s(&deployment.name)),
        ("app.kubernetes.io/component", format!("{}{PLACEHOLDER_SUFFIX}", fleet.role).into()),
    ])
}

/// A Deployment of `replicas` pause pods requesting what one serving pod requests, on the same nodes
/// (node selector, tolerations), at the placeholder priority, gone at once when preempted (grace 0).
/// An init container runs the serving image with a no-op command, so the node pulls it ahead.
pub fn placeholder_deployment(plan: &Plan, deployment: &Deployment, fleet: &Fleet, warm: WarmCapacity) -> Doc {
    let pod = PodRequests::for_fleet(deployment, fleet);
    let image =
        deployment.image.clone().unwrap_or_else(|| if pod.neuron { NEURON_IMAGE } else { VLLM_IMAGE }.to_string());
    let memory = format!("{}Gi", pod.memory_mib / 1024);
    let mut requests = Map::new();
    requests.insert("cpu".into(), format!("{}", pod.cpu_millis / 1000).into());
    requests.insert("memory".into(), s(&memory));
    requests.insert(pod.device_resource().into(), pod.devices.to_string().into());
    let mut limits = Map::new();
    limits.insert(pod.device_resource().into(), pod.devices.to_string().into());
    let mut pod_spec = Map::new();
    pod_spec.insert("priorityClassName".into(), s(PLACEHOLDER_PRIORITY_CLASS));
    pod_spec.insert("terminationGracePeriodSeconds".into(), 0u32.into());
    let mut node_selector = Map::new();
    for (k, v) in &deployment.node_selector {
        node_selector.insert(k.clone(), s(v));
    }
    if let Some(pool) = &fleet.node_pool {
        node_selector.insert("karpenter.sh/nodepool".into(), s(pool));
    }
    if !node_selector.is_empty() {
        pod_spec.insert("nodeSelector".into(), node_selector.into());
    }
    if !deployment.tolerations.is_empty() {
        pod_spec.insert("tolerations".into(), to_doc(&deployment.tolerations));
    }
    pod_spec.insert(
        "initContainers".into(),
        Doc::Array(vec![obj(vec![
            ("name", s("prepull")),
            ("image", image.into()),
            ("command", Doc::Array(vec![s("true")])),
        ])]),
    );
    pod_spec.insert(
        "containers".into(),
        Doc::Array(vec![obj(vec![
            ("name", s("pause")),
            ("image", s(PAUSE_IMAGE)),
            ("resources", obj(vec![("requests", requests.into()), ("limits", limits.into())])),
        ])]),
    );
    let mut labels = object_labels(plan, deployment, fleet);
    if let Some(map) = labels.as_object_mut() {
        map.insert("app.kubernetes.io/component".into(), format!("{}{PLACEHOLDER_SUFFIX}", fleet.role).into());
    }
    obj(vec![
        ("apiVersion", s("apps/v1")),
        ("kind", s("Deployment")),
        (
            "metadata",
            obj(vec![("name", format!("{}{PLACEHOLDER_SUFFIX}", fleet.name).into()), ("labels", labels.clone())]),
        ),
        (
            "spec",
            obj(vec![
                ("replicas", warm.replicas.into()),
                ("selector", obj(vec![("matchLabels", placeholder_labels(deployment, fleet))])),
                ("template", obj(vec![("metadata", obj(vec![("labels", labels)])), ("spec", pod_spec.into())])),
            ]),
        ),
    ])
}

/// A fleet's warm capacity documents (the PriorityClass is written once, by `render_values`).
pub fn warm_capacity(plan: &Plan, deployment: &Deployment, fleet: &Fleet) -> Option<Doc> {
    let warm = warm_of(fleet)?;
    Some(match warm.kind {
        WarmCapacityKind::CapacityBuffer => capacity_buffer(plan, deployment, fleet, warm),
        WarmCapacityKind::PlaceholderPods => placeholder_deployment(plan, deployment, fleet, warm),
    })
}
