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
