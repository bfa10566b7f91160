//! Kubernetes manifests: rendering a Plan into apply-ready YAML, and importing existing YAML back.

pub mod gitops;
pub mod import;
mod render;
#[cfg(feature = "terraform")]
pub mod terraform;

pub use render::*;
