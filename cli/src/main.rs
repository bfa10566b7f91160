//! `tokenfleet`: the command-line shell over tokenfleet-core.
//!
//! It reads files, turns flags into core's plain data, calls core and prints the result. Exit status:
//! 0 on success, 1 when the answer is a failure (such as a lint error), 2 when input cannot be read
//! or parsed (the reason goes to stderr).

/// `print!` that hands a failed write (a closed pipe, a full disk) back as the command's error
/// instead of panicking: `tokenfleet plan PLAN | head` ends with a message, not a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        std::io::stdout().lock().write_fmt(format_args!($($arg)*)).map_err(|e| format!("writing the output: {e}"))?
    }};
}

/// `println!` the same way as [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {
        out!("{}\n", format_args!($($arg)*))
    };
}

mod check;
mod estimate;
mod import_cmd;
mod input;
mod lint_cmd;
mod plan_cmd;
mod prices;
mod recommend;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "tokenfleet", version, about = "Plan LLM inference capacity on Amazon EKS with Karpenter")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Place a plan and print devices, nodes and cost.
    Plan(plan_cmd::PlanArgs),
    /// Estimate latency, throughput and memory fit for JSON Lines inputs (one answer line per line).
    Estimate(estimate::EstimateArgs),
    /// Render a plan's Kubernetes manifests (stdout, one file per resource with --out, or a Kustomize
    /// base with overlays or a Helm chart with --format kustomize|helm --out DIR).
    Export(plan_cmd::ExportArgs),
    /// Import Kubernetes YAML (NodePools, EC2NodeClasses, Deployments, autoscalers), or an eksctl ClusterConfig
    /// with Cluster Autoscaler's Deployment, into a plan.
    Import(import_cmd::ImportArgs),
    /// Lint plans or Kubernetes YAML for known pitfalls (exit 1 when a finding is an error).
    Lint(lint_cmd::LintArgs),
    /// Simulate a plan over time: traffic through HPA/KEDA and Karpenter, with cold starts.
    Simulate(simulate::SimulateArgs),
    /// The CI gate: lint, static bands and the simulated day of each plan (exit 1 when one fails);
    /// text, json, JUnit or SARIF.
    Check(check::CheckArgs),
    /// Recommend the cheapest topology that meets the plan's SLOs (yaml plan, json with candidates, or text).
    Recommend(recommend::RecommendArgs),
    /// Fresh prices without a network: `prices import FILE... --out OVERLAY` reads what the AWS CLI
    /// printed; `--prices OVERLAY` applies the overlay on plan, simulate, check, lint and recommend.
    Prices(prices::PricesArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan_cmd::plan(args),
        Command::Estimate(args) => estimate::run(args),
        Command::Export(args) => plan_cmd::export(args),
        Command::Import(args) => import_cmd::run(args),
        Command::Lint(args) => lint_cmd::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Recommend(args) => recommend::run(args),
        Command::Check(args) => check::run(args),
        Command::Prices(args) => prices::run(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tokenfleet: {message}");
            ExitCode::from(2)
        }
    }
}
