//! `tokenfleet import FILE... [--out PLAN]`: Kubernetes YAML (and an eksctl ClusterConfig run by
//! Cluster Autoscaler, docs/plan.md "From eksctl and Cluster Autoscaler") into a plan (stdout without --out);
//! findings about what a plan cannot express go to stderr. An error finding is a failure answer
//! (exit 1); the plan is still written, so nothing imported is lost.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use tokenfleet_core::lint::Severity;
use tokenfleet_core::manifest::import;

use crate::input::read_text;

#[derive(Args)]
pub struct ImportArgs {
    /// Kubernetes YAML files (single documents, streams, `kind: List`), eksctl ClusterConfigs and the
    /// Cluster Autoscaler Deployment and priority ConfigMap, or - for stdin.
    #[arg(required = true)]
    files: Vec<String>,
    /// Write the plan to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: ImportArgs) -> Result<ExitCode, String> {
    let mut sources = Vec::new();
    for file in &args.files {
        sources.push((file.clone(), read_text(file)?));
    }
    let imported = import::import_files(&sources).map_err(|e| e.to_string())?;
    for f in &imported.findings {
        let place = match f.line {
            Some(line) => format!("{}:{line}", f.file),
            None => f.file.clone(),
        };
        let place = if place.is_empty() { "plan".to_string() } else { place };
        eprintln!("{place}: {} {}: {} [{}]\n  fix: {}", f.severity.as_str(), f.code, f.message, f.path, f.fix);
    }
    let yaml = imported.plan.to_yaml();
    match args.out {
        None => out!("{yaml}"),
        Some(path) => std::fs::write(&path, yaml).map_err(|e| format!("{}: {e}", path.display()))?,
    }
    let failed = imported.findings.iter().any(|f| f.severity == Severity::Error);
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
