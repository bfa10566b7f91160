//! `tokenfleet plan` and `tokenfleet export`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use std::fmt::Write;

use serde::Serialize;
use tokenfleet_core::sim::{self, DayCheck, DayOptions, PlanInputs};
use tokenfleet_core::{manifest, place, plan::Plan};

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
    /// Traffic profile of the simulated day when the plan has no trace: steady, diurnal,
    /// diurnal-spikes (bursts within the declared peak) or weekly.
    #[arg(long, default_value = "diurnal-spikes")]
    profile: String,
    /// Seeds of the simulated day, comma-separated: the plan must pass on every one.
    #[arg(long, value_delimiter = ',', default_values_t = sim::verdict::DEFAULT_SEEDS.to_vec())]
    seeds: Vec<u64>,
    /// A price overlay (`tokenfleet prices import`) whose prices replace the built-in snapshot's for
    /// the entries it holds (and the plan's own `spec.prices`).
    #[arg(long, value_name = "OVERLAY")]
    prices: Option<String>,
}

/// `plan --format json`: placement's outcome, the simulated day, and the verdict of both.
#[derive(Serialize)]
struct PlanReport<'a> {
    #[serde(flatten)]
    outcome: &'a place::Outcome,
    /// `pass` when every static band meets its SLO and every pod is placed.
    static_verdict: sim::Verdict,
    simulated: &'a DayCheck,
    /// `pass` only when both the static bands and the simulated day pass.
    verdict: sim::Verdict,
}

/// What `export` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The manifests: one YAML stream, or one file per resource with --out.
    Yaml,
    /// A Kustomize base and overlays (production, staging) in --out.
    Kustomize,
    /// A Helm chart in --out whose default values render the plain export.
    Helm,
    /// The capacity reservations the plan relies on, as Terraform, in --out.
    Terraform,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Plan file (YAML or JSON), or - for stdin.
    plan: String,
    /// yaml (the manifests), kustomize (base/ and overlays/), helm (a chart) or terraform (the
    /// capacity reservations); the last three need --out.
    #[arg(long, value_enum, default_value = "yaml")]
    format: ExportFormat,
    /// Write into this directory: one file per resource, or the Kustomize, Helm or Terraform layout.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn plan(args: PlanArgs) -> Result<ExitCode, String> {
    let mut plan = read_plan(&args.plan)?;
    crate::prices::apply(&mut plan, crate::prices::read_flag(args.prices.as_deref())?.as_ref());
    let profile = crate::input::parse_profile(&args.profile)?;
    if args.seeds.is_empty() {
        return Err("--seeds: name at least one seed".into());
    }
    let (outcome, day) = judge(&args.plan, &plan, profile, &args.seeds)?;
    let static_verdict = if place::meets_slos(&outcome) { sim::Verdict::Pass } else { sim::Verdict::Fail };
    let verdict =
        if static_verdict == sim::Verdict::Pass && day.passes() { sim::Verdict::Pass } else { sim::Verdict::Fail };
    match args.format {
        TextOrJson::Json => {
            let report = PlanReport { outcome: &outcome, static_verdict, simulated: &day, verdict };
            outln!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
        }
        TextOrJson::Text => {
            out!("{}", plan_text(&plan, &outcome));
            out!("{}", day_text(&day, static_verdict, verdict));
        }
    }
    Ok(if verdict == sim::Verdict::Pass { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Placement and the simulated day of a plan read from `path` (its trace file resolves next to it).
pub fn judge(
    path: &str,
    plan: &Plan,
    profile: sim::Profile,
    seeds: &[u64],
) -> Result<(place::Outcome, DayCheck), String> {
    let outcome = place::evaluate(plan);
    let trace = crate::simulate::trace_rows(path, plan, None)?;
    let inputs = PlanInputs { trace, profile, ..PlanInputs::for_plan(plan) };
    let options = DayOptions { seeds: seeds.to_vec(), ..DayOptions::default() };
    let day = sim::judge_plan(plan, &inputs, &options).map_err(|e| format!("{path}: {e}{}", ways_out(&outcome)))?;
    Ok((outcome, day))
}

/// The configurations that fit, for each fleet whose replica does not fit its instance type's memory
/// (the simulated day refuses such a plan; its error gives the reason, this what would fit).
fn ways_out(outcome: &place::Outcome) -> String {
    let mut out = String::new();
    for d in &outcome.deployments {
        let Some(s) = d.memory_shortfall.as_deref().filter(|s| !s.alternatives.is_empty()) else { continue };
        let _ = write!(out, "\n  ways out for {} on {}:", d.name, s.instance_type);
        for a in &s.alternatives {
            let _ = write!(out, "\n    {} {}", if a.fits { "fits:" } else { "needs:" }, a.change);
        }
    }
    out
}

/// The simulated day and the verdict, for people.
pub fn day_text(day: &DayCheck, static_verdict: sim::Verdict, verdict: sim::Verdict) -> String {
    let mut out = String::new();
    let source = match &day.profile {
        Some(p) => format!("the {p} profile"),
        None => "the plan's trace".to_string(),
    };
    let seeds: Vec<String> = day.seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(out, "  simulated day ({source}, {:.0} h, seeds {}):", day.duration_s / 3600.0, seeds.join(","));
    for (key, attained) in &day.slo_attainment {
        let required = day.slo_required.get(key).copied().unwrap_or(0.0);
        let mark = if *attained + 1e-9 >= required { "meets" } else { "MISSES" };
        let _ = writeln!(
            out,
            "    {key}: {:.2} % of requests (worst seed), {:.0} % asked, {mark}",
            attained * 100.0,
            required * 100.0
        );
    }
    let _ = writeln!(
        out,
        "    requests dropped {} and late {} (worst seed); autoscaler reversals {:.0} a day (at most {:.0}); {:.2} USD a day",
        day.requests_dropped,
        day.requests_late,
        day.autoscaler_reversals_per_day,
        sim::verdict::MAX_REVERSALS_PER_DAY,
        day.cost_usd_per_day
    );
    for r in &day.reasons {
        let _ = writeln!(out, "    - {}", r.message);
    }
    let word = |v: sim::Verdict| if v == sim::Verdict::Pass { "pass" } else { "FAIL" };
    let _ = writeln!(
        out,
        "  verdict: {} (static bands {}, simulated day {})",
        word(verdict),
        word(static_verdict),
        word(day.verdict)
    );
    out
}

pub fn export(args: ExportArgs) -> Result<ExitCode, String> {
    let format = match args.format {
        ExportFormat::Yaml => "yaml",
        ExportFormat::Kustomize => "kustomize",
        ExportFormat::Helm => "helm",
        ExportFormat::Terraform => "terraform",
    };
    if args.format != ExportFormat::Yaml && args.out.is_none() {
        return Err(format!("--format {format} writes a directory: give it with --out DIR"));
    }
    let plan = read_plan(&args.plan)?;
    let files: Option<Vec<(String, String)>> = match args.format {
        ExportFormat::Yaml => None,
        ExportFormat::Kustomize => {
            Some(manifest::gitops::kustomize(&plan).into_iter().map(|f| (f.path, f.text)).collect())
        }
        ExportFormat::Helm => Some(manifest::gitops::helm_chart(&plan).into_iter().map(|f| (f.path, f.text)).collect()),
        ExportFormat::Terraform => {
            if !manifest::terraform::has_reservations(&plan) {
                eprintln!(
                    "tokenfleet: plan {} relies on no capacity reservation: the Terraform buys nothing until \
                     nodeClasses[].capacityReservations lists some",
                    plan.metadata.name
                );
            }
            Some(manifest::terraform::terraform(&plan))
        }
    };
    if let (Some(files), Some(dir)) = (files, &args.out) {
        write_files(dir, files)?;
        return Ok(ExitCode::SUCCESS);
    }
    let documents = manifest::render(&plan);
    match args.out {
        None => out!("{}", manifest::join_stream(&documents)),
        Some(dir) => {
            let mut files: Vec<(String, String)> = documents.iter().map(|d| (d.file_name(), d.yaml.clone())).collect();
            // The load test also as plain files, to run Locust outside the cluster.
            files.push((manifest::LOCUSTFILE_KEY.to_string(), manifest::LOCUSTFILE.to_string()));
            files.push((manifest::WORKLOAD_KEY.to_string(), manifest::workload_json(&plan)));
            write_files(&dir, files)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `(relative path, text)` pairs into `dir`, creating it and the folders the paths name.
fn write_files(dir: &std::path::Path, files: Vec<(String, String)>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The human-readable placement report.
pub fn plan_text(plan: &Plan, outcome: &place::Outcome) -> String {
    let mut out = String::new();
    let s = &outcome.summary;
    let _ = writeln!(out, "plan {} ({})", plan.metadata.name, plan.spec.region);
    let _ = writeln!(
        out,
        "  devices: {}  nodes: {}  cost: {:.2} USD/hour (reserved {:.2} fixed + {:.2} marginal{})",
        s.devices,
        s.nodes,
        s.cost_usd_per_hour,
        s.reserved_usd_per_hour,
        s.marginal_usd_per_hour,
        match &s.commitments {
            Some(c) if c.savings_usd_per_hour >= 0.0 => {
                format!(" at list − {:.2} saved by commitments", c.savings_usd_per_hour)
            }
            Some(c) => format!(" at list + {:.2} of commitments beyond what they cover", -c.savings_usd_per_hour),
            None => String::new(),
        }
    );
    let _ = writeln!(out, "  prices: {}", outcome.prices.note);
    if let Some(c) = &s.commitments {
        let _ = writeln!(
            out,
            "  commitments: {:.2} USD/hour in fees cover {:.2} USD/hour of on-demand usage ({:.2} unused): {} {:.2} USD/hour",
            c.fees_usd_per_hour,
            c.covered_on_demand_usd_per_hour,
            c.unused_usd_per_hour,
            if c.savings_usd_per_hour >= 0.0 { "saves" } else { "costs" },
            c.savings_usd_per_hour.abs()
        );
        for item in &c.items {
            let _ = writeln!(
                out,
                "    {} {}: {:.2} of {:.2} USD/hour used, rates for {} instance type(s)",
                item.kind.as_str(),
                item.name,
                item.used_usd_per_hour,
                item.fee_usd_per_hour,
                item.instance_types
            );
        }
    }
    if s.warm_devices > 0 {
        let _ =
            writeln!(out, "  warm capacity: {} devices held for bursts (in the nodes and the cost)", s.warm_devices);
    }
    match s.usd_per_million_tokens {
        Some(usd) => {
            let _ = writeln!(out, "  cost per million tokens at the baseline rate: {usd:.4} USD");
        }
        None => {
            let _ = writeln!(out, "  cost per million tokens: n/a (baseline rate is 0)");
        }
    }
    for d in &outcome.deployments {
        let _ = writeln!(
            out,
            "  deployment {} ({}): {} replicas (max {}) × {} devices on {}",
            d.name,
            d.role,
            d.replicas,
            d.replicas_max,
            d.devices_per_replica,
            if d.node_pools.is_empty() { "(unplaced)".to_string() } else { d.node_pools.join(", ") }
        );
        if let Some(needed) = d.replicas_for_peak {
            let _ = writeln!(out, "    replicas needed at the peak rate within the SLOs: {needed}");
        }
        for band in &d.latency {
            let estimate = match (band.estimate_ms, band.meets_slo) {
                (Some(ms), Some(true)) => format!("{ms:.0} ms, meets"),
                (Some(ms), _) => format!("{ms:.0} ms, MISSES"),
                _ if band.saturated => "saturated: arrivals exceed what the replicas can serve, MISSES".to_string(),
                _ => "no estimate (model, chip or precision not covered by the performance model)".to_string(),
            };
            let spread = match (band.p50_ms, band.p95_ms, band.p99_ms) {
                (Some(p50), Some(p95), Some(p99)) => format!(" (p50 {p50:.0} ms, p95 {p95:.0} ms, p99 {p99:.0} ms)"),
                _ => String::new(),
            };
            let _ =
                writeln!(out, "    {} p{} ≤ {} ms: {estimate}{spread}", band.metric, band.percentile, band.limit_ms);
        }
        if let Some(s) = &d.memory_shortfall {
            let _ = writeln!(out, "    DOES NOT FIT {}: {}", s.instance_type, s.reason);
            for a in &s.alternatives {
                let _ = writeln!(out, "      {} {}", if a.fits { "fits:" } else { "needs:" }, a.change);
            }
        }
    }
    for p in &outcome.pools {
        let _ = writeln!(
            out,
            "  pool {} (weight {}): {} devices used, {} free, {:.2} USD/hour",
            p.name,
            p.weight.map(|w| w.to_string()).unwrap_or_else(|| "-".to_string()),
            p.devices_used,
            p.devices_free,
            p.cost_usd_per_hour
        );
        for n in &p.nodes {
            let _ = writeln!(
                out,
                "    {} × {} ({}{}) at {:.4} USD/hour each, {} pods{}",
                n.count,
                n.instance_type,
                n.capacity_type.as_str(),
                if n.committed > 0.0 { format!(", {} under commitments", n.committed) } else { String::new() },
                n.usd_per_hour_each,
                n.pods,
                match (n.mig_slices_each, n.usd_per_slice_hour) {
                    (Some(slices), Some(usd)) => format!(" on {slices} MIG slices each at {usd:.4} USD/slice-hour"),
                    _ => String::new(),
                }
            );
        }
        for h in &p.headroom {
            let _ = writeln!(out, "    limit {}: {} used of {}, {} free", h.resource, h.used, h.limit, h.free);
        }
    }
    for u in &outcome.unplaced {
        let _ = writeln!(out, "  unplaced {}: {} replicas: {}", u.deployment, u.replicas, u.reason);
    }
    if let Some(after) = &outcome.after_reservations_end {
        let _ = writeln!(
            out,
            "  after the reservations end ({}): {} nodes, {:.2} USD/hour{}",
            after.reservations.join(", "),
            after.summary.nodes,
            after.summary.cost_usd_per_hour,
            if after.meets_slos { ", every SLO band still met" } else { ", SLO bands MISSED or pods unplaced" }
        );
        for p in after.pools.iter().filter(|p| !p.nodes.is_empty()) {
            let groups: Vec<String> = p
                .nodes
                .iter()
                .map(|n| format!("{} × {} ({})", n.count, n.instance_type, n.capacity_type.as_str()))
                .collect();
            let _ = writeln!(out, "    pool {}: {}", p.name, groups.join(", "));
        }
        for u in &after.unplaced {
            let _ = writeln!(out, "    unplaced {}: {} replicas: {}", u.deployment, u.replicas, u.reason);
        }
    }
    out
}
