//! One download for an export that is a tree of files (Kustomize's base and overlays, a Helm chart,
//! Terraform): a zip archive, which every desktop opens, written by the maintained `zip` crate. Entries
//! are stored, not compressed (a plan's YAML is tens of kilobytes), and dated 1980-01-01 (zip's
//! epoch), so the same plan gives the same bytes.

use std::io::Write;

use zip::write::SimpleFileOptions;

/// The files under `root/` in a zip archive.
pub fn zip_tree(root: &str, files: &[(String, String)]) -> Result<Vec<u8>, String> {
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, text) in files {
        archive.start_file(format!("{root}/{path}"), options).map_err(|e| e.to_string())?;
        archive.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(archive.finish().map_err(|e| e.to_string())?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_give_the_same_archive_and_it_reads_back() {
        let files = vec![("base/kustomization.yaml".to_string(), "resources: []\n".to_string())];
        let a = zip_tree("plan-kustomize", &files).unwrap();
        assert_eq!(a, zip_tree("plan-kustomize", &files).unwrap());
        let mut read = zip::ZipArchive::new(std::io::Cursor::new(a)).unwrap();
        let mut entry = read.by_name("plan-kustomize/base/kustomization.yaml").unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        assert_eq!(text, "resources: []\n");
    }
}
