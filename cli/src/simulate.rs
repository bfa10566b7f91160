//! `tokenfleet simulate`: runs a plan through a day (or a week, or a trace) of traffic and prints the
//! summary and series as JSON (the contract in docs/sim.md) or the series as CSV.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use tokenfleet_core::sim::{self, PlanInputs, Profile, SimOptions};

use crate::input::{read_plan, read_text};

#[derive(Clone, Copy, ValueEnum)]
pub enum SimFormat {
    Json,
    Csv,
}

#[derive(Args)]
pub struct SimulateArgs {
    /// Plan file (YAML or JSON), or - for stdin.
    plan: String,
    /// CSV trace `t_s,requests_per_s[,input_tokens,output_tokens]` replacing the plan's own trace
    /// (`workload.trace`) and its baseline/peak.
    #[arg(long)]
    trace: Option<String>,
    /// Traffic profile when there is no trace: steady, diurnal, diurnal-spikes or weekly.
    #[arg(long, default_value = "diurnal-spikes")]
    profile: String,
    /// How long to simulate (24h, 7d, 90m, 3600).
    #[arg(long, default_value = "24h")]
    duration: String,
    /// Simulation step (1s, 500ms).
    #[arg(long, default_value = "1s")]
    step: String,
    /// Interval between series samples.
    #[arg(long, default_value = "60s")]
    series_step: String,
    /// Seed for arrivals, spikes and spot interruptions (same seed, same bytes).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Override a timing parameter, NAME=VALUE (repeatable): boot_al2023_s=60, image_pull_mib_per_s=200,
    /// spot_interruptions_per_node_hour.g5=0.002, … (the names are listed in docs/sim.md and in the
    /// output's summary.parameters).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Exact arrival rates instead of Poisson-like noise.
    #[arg(long)]
    no_noise: bool,
    #[arg(long, value_enum, default_value = "json")]
    format: SimFormat,
}

pub fn run(args: SimulateArgs) -> Result<ExitCode, String> {
    let plan = read_plan(&args.plan)?;
    let profile = Profile::parse(&args.profile).ok_or_else(|| {
        format!("--profile: unknown profile {:?}; use steady, diurnal, diurnal-spikes or weekly", args.profile)
    })?;
    // A --trace flag wins; then the plan's `workload.trace.file`, relative to the plan's folder. The
    // plan's inline `workload.trace.csv` is replayed by core when neither gives rows.
    let trace_path = match (&args.trace, plan.spec.workload.trace.as_ref().and_then(|t| t.file.as_ref())) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(file)) => Some(relative_to_plan(&args.plan, file)),
        (None, None) => None,
    };
    let trace = match &trace_path {
        Some(path) => Some(sim::parse_trace_csv(&read_text(path)?).map_err(|e| format!("{path}: {e}"))?),
        None => None,
    };
    let options = SimOptions {
        duration_s: sim::parse_duration_s(&args.duration, "--duration")?,
        step_s: sim::parse_duration_s(&args.step, "--step")?,
        series_step_s: sim::parse_duration_s(&args.series_step, "--series-step")?,
        seed: args.seed,
    };
    let mut inputs = PlanInputs { trace, profile, arrival_noise: !args.no_noise, ..PlanInputs::default() };
    for param in &args.params {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| format!("--param {param:?}: write NAME=VALUE, e.g. boot_al2023_s=60"))?;
        let value: f64 = value.trim().parse().map_err(|_| format!("--param {param:?}: {value:?} is not a number"))?;
        inputs.timing.set(name.trim(), value).map_err(|e| format!("--param {e}"))?;
    }
    let scenario = sim::from_plan(&plan, &inputs).map_err(|e| format!("{}: {e}", args.plan))?;
    let timeline = sim::simulate(&scenario, &options).map_err(|e| format!("{}: {e}", args.plan))?;
    match args.format {
        SimFormat::Json => println!("{}", timeline.to_json()),
        SimFormat::Csv => print!("{}", timeline.series_csv()),
    }
    Ok(ExitCode::SUCCESS)
}

/// A path named inside a plan file, resolved against the plan's folder (stdin plans: the working
/// folder).
fn relative_to_plan(plan_path: &str, file: &str) -> String {
    let file_path = std::path::Path::new(file);
    if file_path.is_absolute() || plan_path == "-" {
        return file.to_string();
    }
    match std::path::Path::new(plan_path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(file_path).to_string_lossy().into_owned(),
        _ => file.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::relative_to_plan;

    #[test]
    fn trace_paths_are_relative_to_the_plan() {
        assert_eq!(relative_to_plan("plans/a.yaml", "trace.csv"), "plans/trace.csv");
        assert_eq!(relative_to_plan("a.yaml", "trace.csv"), "trace.csv");
        assert_eq!(relative_to_plan("-", "t.csv"), "t.csv");
        assert_eq!(relative_to_plan("plans/a.yaml", "/abs/t.csv"), "/abs/t.csv");
    }
}
