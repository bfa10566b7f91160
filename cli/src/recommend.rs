//! `tokenfleet recommend PLAN`: the cheapest topology that meets the plan's SLOs for its workload.
//!
//! yaml (default) prints the recommended Plan, ready for `tokenfleet plan` and `tokenfleet export`;
//! json prints `{"plan": …, "candidates": […], "front": […], …}`; text explains the choice. Exit 1
//! when the recommended plan fails its own SLO check (never expected), 2 when the plan cannot be read
//! or has no model, workload or feasible hardware.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use tokenfleet_core::optimize;

use crate::input::read_plan;

#[derive(Clone, Copy, ValueEnum)]
pub enum RecommendFormat {
    Yaml,
    Json,
    Text,
}

#[derive(Args)]
pub struct RecommendArgs {
    /// Plan file (YAML or JSON), or - for stdin: its first deployment's model, workload and SLOs are used.
    plan: String,
    #[arg(long, value_enum, default_value = "yaml")]
    format: RecommendFormat,
}

pub fn run(args: RecommendArgs) -> Result<ExitCode, String> {
    let plan = read_plan(&args.plan)?;
    let recommendation = optimize::recommend_plan(&plan).map_err(|e| format!("{}: {e}", args.plan))?;
    match args.format {
        RecommendFormat::Yaml => print!("{}", recommendation.plan.to_yaml()),
        RecommendFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&recommendation).map_err(|e| e.to_string())?);
        }
        RecommendFormat::Text => print!("{}", optimize::explain(&recommendation)),
    }
    // The answer is a failure when the emitted plan does not pass its own SLO check.
    if recommendation.slo_checks.iter().all(|c| c.meets_slos) {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("tokenfleet: the recommended plan does not pass its SLO check (see slo_checks in --format json)");
        Ok(ExitCode::from(1))
    }
}
