//! Import of warm capacity: CapacityBuffers and placeholder Deployments back onto the fleet they
//! serve (`warmCapacity` of a deployment or of a disaggregated stage).

use crate::finding::Severity;
use crate::manifest::render::{PLACEHOLDER_PRIORITY_CLASS, PLACEHOLDER_SUFFIX};
use crate::plan::tree::Node;
use crate::plan::{StageKind, WarmCapacity, WarmCapacityKind};

use super::{origin, Importer, SourceDocument};

/// Whether a Deployment is a placeholder (pause pods at the placeholder priority).
pub(super) fn is_placeholder(doc: &SourceDocument) -> bool {
    doc.node.str_at("spec.template.spec.priorityClassName").as_deref() == Some(PLACEHOLDER_PRIORITY_CLASS)
}

impl Importer<'_> {
    /// The plan path of the fleet exported under `name` (a deployment, or a stage of one).
    fn fleet_path(&self, name: &str) -> Option<(usize, Option<StageKind>)> {
        self.plan.spec.deployments.iter().enumerate().find_map(|(i, d)| {
            if d.name == name && d.prefill.is_none() {
                return Some((i, None));
            }
            StageKind::BOTH
                .into_iter()
                .find(|k| d.stage(*k).is_some() && format!("{}-{}", d.name, k.as_str()) == name)
                .map(|k| (i, Some(k)))
        })
    }

    pub(super) fn warm_capacity(&mut self, doc: &SourceDocument) {
        let n = &doc.node;
        let (kind, target, replicas) = if doc.kind() == "CapacityBuffer" {
            let target = match (n.str_at("spec.scalableRef.kind").as_deref(), n.str_at("spec.scalableRef.name")) {
                (Some("Deployment"), Some(name)) => Some(name),
                _ => None,
            };
            (WarmCapacityKind::CapacityBuffer, target, n.at("spec.replicas").and_then(Node::as_i64))
        } else {
            let name = doc.name();
            let target = name.strip_suffix(PLACEHOLDER_SUFFIX).map(str::to_string);
            (WarmCapacityKind::PlaceholderPods, target, Some(n.at("spec.replicas").and_then(Node::as_i64).unwrap_or(1)))
        };
        let found = target.as_deref().and_then(|t| self.fleet_path(t));
        let (Some((i, stage)), Some(replicas)) = (found, replicas) else {
            self.findings.push(doc.finding(
                "TF031",
                Severity::Info,
                "spec",
                format!(
                    "{} {} is warm capacity for no imported model server (a CapacityBuffer needs scalableRef to one \
                     of the Deployments and replicas; a placeholder Deployment is named <deployment>{PLACEHOLDER_SUFFIX}); \
                     ignored",
                    doc.kind(),
                    doc.name()
                ),
                "import it together with the Deployment it keeps capacity for",
            ));
            return;
        };
        let warm = Some(WarmCapacity { kind, replicas: replicas.clamp(0, u32::MAX as i64) as u32 });
        let d = &mut self.plan.spec.deployments[i];
        let path = match stage.and_then(|k| d.stage_mut(k).map(|s| (k, s))) {
            Some((k, s)) => {
                s.warm_capacity = warm;
                format!("spec.deployments[{i}].{}.warmCapacity", k.as_str())
            }
            None => {
                d.warm_capacity = warm;
                format!("spec.deployments[{i}].warmCapacity")
            }
        };
        self.origins.push(origin(doc, path));
    }
}
