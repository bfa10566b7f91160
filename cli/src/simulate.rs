//! `tokenfleet simulate`: runs a plan through a day (or a week, or a trace) of traffic and prints the
//! summary and series as JSON (the contract in docs/sim.md) or the series as CSV.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use tokenfleet_core::sim::{self, PlanInputs, SimOptions};

use crate::input::{read_plan, read_text};

#[derive(Clone, Copy, ValueEnum)]
pub enum SimFormat {
    Json,
    Csv,
}

/// The node layer's controller.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NodeAutoscalerArg {
    Karpenter,
    ClusterAutoscaler,
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
    /// A price overlay (`tokenfleet prices import`) whose prices replace the built-in snapshot's for
    /// the entries it holds (and the plan's own `spec.prices`).
    #[arg(long, value_name = "OVERLAY")]
    prices: Option<String>,
    /// Which controller launches and removes nodes. cluster-autoscaler runs the day over node groups
    /// (`spec.clusterAutoscaler`, or groups derived from the NodePools) and adds the Karpenter run of
    /// the same day and seed side by side (summary.comparison).
    #[arg(long, value_enum, default_value = "karpenter")]
    node_autoscaler: NodeAutoscalerArg,
}

pub fn run(args: SimulateArgs) -> Result<ExitCode, String> {
    let mut plan = read_plan(&args.plan)?;
    crate::prices::apply(&mut plan, crate::prices::read_flag(args.prices.as_deref())?.as_ref());
    let profile = crate::input::parse_profile(&args.profile)?;
    let trace = trace_rows(&args.plan, &plan, args.trace.as_deref())?;
    let options = SimOptions {
        duration_s: sim::parse_duration_s(&args.duration, "--duration").map_err(|e| e.to_string())?,
        step_s: sim::parse_duration_s(&args.step, "--step").map_err(|e| e.to_string())?,
        series_step_s: sim::parse_duration_s(&args.series_step, "--series-step").map_err(|e| e.to_string())?,
        seed: args.seed,
    };
    let mut inputs = PlanInputs { trace, profile, arrival_noise: !args.no_noise, ..PlanInputs::for_plan(&plan) };
    for param in &args.params {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| format!("--param {param:?}: write NAME=VALUE, e.g. boot_al2023_s=60"))?;
        let value: f64 = value.trim().parse().map_err(|_| format!("--param {param:?}: {value:?} is not a number"))?;
        inputs.timing.set(name.trim(), value).map_err(|e| format!("--param {e}"))?;
    }
    let scenario = sim::from_plan(&plan, &inputs).map_err(|e| format!("{}: {e}", args.plan))?;
    let timeline = match args.node_autoscaler {
        NodeAutoscalerArg::Karpenter => sim::simulate(&scenario, &options),
        NodeAutoscalerArg::ClusterAutoscaler => sim::cluster_autoscaler_spec(&plan, &scenario.pools)
            .and_then(|ca| sim::compare_node_autoscalers(&scenario, ca, &options)),
    }
    .map_err(|e| format!("{}: {e}", args.plan))?;
    // Streamed: a long series at a short step is hundreds of megabytes of text.
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match args.format {
        SimFormat::Json => timeline.write_json(&mut out).and_then(|()| writeln!(out)),
        SimFormat::Csv => timeline.write_series_csv(&mut out),
    };
    written.and_then(|()| out.flush()).map_err(|e| format!("writing the output: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// The trace a run replays: the `--trace` file when given, else the plan's `workload.trace.file`
/// (relative to the plan's folder). `None` leaves the plan's inline trace (`workload.trace.csv`) or the
/// profile to core.
pub fn trace_rows(
    plan_path: &str,
    plan: &tokenfleet_core::plan::Plan,
    flag: Option<&str>,
) -> Result<Option<Vec<sim::TraceRow>>, String> {
    let path = match (flag, plan.spec.workload.trace.as_ref().and_then(|t| t.file.as_ref())) {
        (Some(path), _) => path.to_string(),
        (None, Some(file)) => plan_trace_file(plan_path, file)?,
        (None, None) => return Ok(None),
    };
    let rows =
        tokenfleet_core::plan::trace::parse_trace_csv_lines(&read_text(&path)?).map_err(|e| format!("{path}: {e}"))?;
    if let Some(e) = tokenfleet_core::plan::trace_rows_over_context(plan, &rows) {
        return Err(format!("{path}: {e}"));
    }
    Ok(Some(rows.into_iter().map(|(_, row)| row).collect()))
}

/// The trace file a plan names (`spec.workload.trace.file`), resolved against the plan's folder (for a
/// plan on standard input, the working folder) and kept inside it: validation already refused
/// absolute paths and `..`; here the resolved file, symlinks followed, must still be inside the
/// folder. That it is a regular file within the size limit is checked when it is read.
fn plan_trace_file(plan_path: &str, file: &str) -> Result<String, String> {
    let field = format!("{plan_path}: spec.workload.trace.file {:?}", excerpt(file));
    if let Some(why) = tokenfleet_core::plan::trace_file_escapes(file) {
        return Err(format!("{field}: {why}; name a file inside the plan's folder"));
    }
    let folder = match Path::new(plan_path).parent() {
        Some(dir) if plan_path != "-" && !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let path = folder.join(file.trim());
    let inside = match (folder.canonicalize(), path.canonicalize()) {
        (Ok(folder), Ok(resolved)) => resolved.starts_with(&folder),
        (_, Err(e)) => return Err(format!("{field}: cannot read {}: {e}", path.display())),
        (Err(e), _) => return Err(format!("{field}: cannot read the plan's folder: {e}")),
    };
    if !inside {
        return Err(format!("{field}: resolves (through a symbolic link) outside the plan's folder"));
    }
    Ok(path.to_string_lossy().into_owned())
}

/// At most 80 characters of a text from a file, for a message (escaped as `{:?}` escapes it).
fn excerpt(text: &str) -> String {
    let mut short: String = text.chars().take(80).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::plan_trace_file;

    #[test]
    fn trace_files_are_resolved_inside_the_plans_folder() {
        let dir = std::env::temp_dir().join(format!("tokenfleet-trace-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("plans/traces")).unwrap();
        std::fs::write(dir.join("plans/traces/day.csv"), "t_s,requests_per_s\n0,1\n").unwrap();
        std::fs::write(dir.join("outside.csv"), "t_s,requests_per_s\n0,1\n").unwrap();
        let plan = dir.join("plans/a.yaml");
        let plan = plan.to_str().unwrap();
        assert!(plan_trace_file(plan, "traces/day.csv").unwrap().ends_with("plans/traces/day.csv"));
        for bad in ["../outside.csv", "/etc/passwd", "traces/../../outside.csv", "missing.csv"] {
            assert!(plan_trace_file(plan, bad).is_err(), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("outside.csv"), dir.join("plans/link.csv")).unwrap();
            let e = plan_trace_file(plan, "link.csv").unwrap_err();
            assert!(e.contains("outside the plan's folder"), "{e}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
