//! Edits a person makes to a Plan in the app, as plain methods: reorder NodePools (weights follow the
//! order, highest first), move an instance family between pools, pin a deployment or one of its
//! prefill/decode stages to a pool, size a deployment or a stage (tensor parallelism, replicas), add
//! a capacity reservation, and apply an import. The app calls these and records one undoable action
//! per call; the rules live here so they are tested natively.
//!
//! `pools` holds the NodePool edits, `deployments` the deployment and stage edits, `text` the fields a
//! person types as text (limits, taints, a pasted trace), `error` why an edit was refused.

mod deployments;
mod error;
mod pools;
#[cfg(test)]
mod tests;
mod text;

pub use deployments::ReplicaBound;
pub use error::{EditError, Misfit};
pub use pools::compare_instance_types;
pub use text::{normalize_trace_csv, parse_pairs, parse_taints, show_pairs, show_taints};

/// The well-known label Karpenter puts on every node with the name of its NodePool.
pub const NODE_POOL_SELECTOR: &str = "karpenter.sh/nodepool";

/// How an imported plan joins the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Imported NodePools (and the node classes they use) replace those of the same name; others are added.
    MergePools,
    /// The imported plan replaces the current one.
    ReplacePlan,
}

/// The weights of `count` pools in priority order: distinct, highest first, within Karpenter's 1–100,
/// spaced by 10 while they fit so a person can slot a pool between two by hand.
pub fn weights_highest_first(count: usize) -> Vec<u32> {
    let step = (100 / count.max(1)).clamp(1, 10) as u32;
    (0..count).map(|i| (step * (count - i) as u32).clamp(1, 100)).collect()
}
