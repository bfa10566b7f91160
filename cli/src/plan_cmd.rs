//! `tokenfleet plan` and `tokenfleet export`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use tokenfleet_core::{manifest, place};

use crate::input::read_plan;

#[derive(Clone, Copy, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Args)]
pub struct PlanArgs {
    /// Plan file (YAML or JSON), or - for stdin.
    plan: String,
    #[arg(long, value_enum, default_value = "text")]
    format: TextOrJson,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Plan file (YAML or JSON), or - for stdin.
    plan: String,
    /// Write one file per resource into this directory instead of one stream to stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn plan(args: PlanArgs) -> Result<ExitCode, String> {
    let plan = read_plan(&args.plan)?;
    let outcome = place::evaluate(&plan);
    match args.format {
        TextOrJson::Json => {
            println!("{}", serde_json::to_string_pretty(&outcome).map_err(|e| e.to_string())?);
        }
        TextOrJson::Text => {
            let s = &outcome.summary;
            println!("plan {} ({})", plan.metadata.name, plan.spec.region);
            println!("  devices: {}  nodes: {}  cost: {:.2} USD/hour", s.devices, s.nodes, s.cost_usd_per_hour);
            for d in &outcome.deployments {
                println!(
                    "  deployment {}: {} replicas × {} devices on {}",
                    d.name,
                    d.replicas,
                    d.devices_per_replica,
                    d.node_pool.as_deref().unwrap_or("(unplaced)")
                );
            }
            for p in &outcome.pools {
                for n in &p.nodes {
                    println!(
                        "  pool {}: {} × {} ({}) at {:.4} USD/hour each",
                        p.name,
                        n.count,
                        n.instance_type,
                        n.capacity_type.as_str(),
                        n.usd_per_hour_each
                    );
                }
            }
            for u in &outcome.unplaced {
                println!("  unplaced {}: {} replicas: {}", u.deployment, u.replicas, u.reason);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(args: ExportArgs) -> Result<ExitCode, String> {
    let plan = read_plan(&args.plan)?;
    let documents = manifest::render(&plan);
    match args.out {
        None => print!("{}", manifest::join_stream(&documents)),
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for doc in &documents {
                let path = dir.join(doc.file_name());
                std::fs::write(&path, &doc.yaml).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
