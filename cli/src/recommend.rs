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
    /// Search only these instance families (comma-separated, e.g. g6,g6e,p5); default: the whole catalog.
    #[arg(long, value_delimiter = ',')]
    families: Vec<String>,
    /// Share of hours at peak, for the expected cost per hour (default 0.25).
    #[arg(long)]
    peak_hours_fraction: Option<f64>,
    /// A price overlay (`tokenfleet prices import`) whose prices replace the built-in snapshot's for
    /// the entries it holds (and the plan's own `spec.prices`).
    #[arg(long, value_name = "OVERLAY")]
    prices: Option<String>,
}

pub fn run(args: RecommendArgs) -> Result<ExitCode, String> {
    let mut plan = read_plan(&args.plan)?;
    crate::prices::apply(&mut plan, crate::prices::read_flag(args.prices.as_deref())?.as_ref());
    let input = optimize::OptimizeInput::from_plan(&plan).map_err(|e| format!("{}: {e}", args.plan))?;
    let mut config = optimize::OptimizeConfig {
        families: args.families.iter().map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).collect(),
        ..optimize::OptimizeConfig::default()
    };
    if let Some(f) = args.peak_hours_fraction {
        if !(0.0..=1.0).contains(&f) {
            return Err(format!("--peak-hours-fraction: {f} is not between 0 and 1"));
        }
        config.peak_hours_fraction = f;
    }
    // The closed loop replays the plan's own trace when it names a file (core reads inline traces).
    let trace = crate::simulate::trace_rows(&args.plan, &plan, None)?;
    if let Some(day) = config.day.as_mut() {
        day.trace = trace;
    }
    let recommendation = optimize::recommend(&input, &config).map_err(|e| format!("{}: {e}", args.plan))?;
    match args.format {
        RecommendFormat::Yaml => out!("{}", recommendation.plan.to_yaml()),
        RecommendFormat::Json => {
            outln!("{}", serde_json::to_string_pretty(&recommendation).map_err(|e| e.to_string())?);
        }
        RecommendFormat::Text => out!("{}", optimize::explain(&recommendation)),
    }
    // The answer is a failure when the emitted plan does not pass its own SLO check, or its day.
    if recommendation.meets_slos_over_day == Some(false) {
        eprintln!(
            "tokenfleet: no candidate meets every SLO over its simulated day; the plan printed is the cheapest static \
             one (see candidates[].simulated in --format json)"
        );
        Ok(ExitCode::from(1))
    } else if recommendation.slo_checks.iter().all(|c| c.meets_slos) {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("tokenfleet: the recommended plan does not pass its SLO check (see slo_checks in --format json)");
        Ok(ExitCode::from(1))
    }
}
