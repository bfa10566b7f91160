//! Shared helpers for the integration tests: paths to the repository and to ../shared/reference.

use std::path::PathBuf;

pub mod fuzz_surfaces;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// `../shared/reference` beside the repository, when it exists (tests that need it say when they skip).
pub fn shared_reference() -> Option<PathBuf> {
    let path = repo_root().parent()?.join("shared").join("reference");
    path.is_dir().then_some(path)
}

/// The eksctl ClusterConfig, Cluster Autoscaler Deployment and serving YAML of
/// `tests/data/cluster-autoscaler`, as (file name, text), the way `import_files` takes them.
pub fn cluster_autoscaler_files() -> Vec<(String, String)> {
    let dir = repo_root().join("tests/data/cluster-autoscaler");
    ["cluster.yaml", "cluster-autoscaler.yaml", "serving.yaml"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).expect("the fixture reads")))
        .collect()
}
