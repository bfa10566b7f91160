//! `tokenfleet prices import FILE... --out OVERLAY`: fresh prices from what the AWS CLI printed, as a
//! price overlay; and reading an overlay for `--prices OVERLAY` on every command that prices.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use tokenfleet_core::catalog::price_import::{import_prices, PriceFile};
use tokenfleet_core::catalog::PriceOverlay;
use tokenfleet_core::plan::Plan;

use crate::input::read_text;

#[derive(Args)]
pub struct PricesArgs {
    #[command(subcommand)]
    command: PricesCommand,
}

#[derive(Subcommand)]
enum PricesCommand {
    /// Build a price overlay from the JSON the AWS CLI prints: `aws pricing get-products
    /// --service-code AmazonEC2`, `aws ec2 describe-spot-price-history` and `aws savingsplans
    /// describe-savings-plans-offering-rates` (each file's kind is told by its shape).
    Import(ImportArgs),
}

#[derive(Args)]
struct ImportArgs {
    /// AWS CLI output files (JSON), one or more, of any of the three kinds.
    #[arg(required = true)]
    files: Vec<String>,
    /// Where to write the overlay: YAML, or JSON when the name ends in .json.
    #[arg(long, value_name = "OVERLAY")]
    out: PathBuf,
    /// The date the prices were fetched (YYYY-MM-DD), used when no file holds a date (Savings Plans
    /// rates carry none); otherwise the newest date in the files is the overlay's.
    #[arg(long)]
    date: Option<String>,
}

pub fn run(args: PricesArgs) -> Result<ExitCode, String> {
    match args.command {
        PricesCommand::Import(args) => import(args),
    }
}

fn import(args: ImportArgs) -> Result<ExitCode, String> {
    let texts: Vec<String> = args.files.iter().map(|f| read_text(f)).collect::<Result<_, _>>()?;
    let files: Vec<PriceFile<'_>> =
        args.files.iter().zip(&texts).map(|(name, text)| PriceFile { name, text }).collect();
    let overlay = import_prices(&files, args.date.as_deref()).map_err(|e| e.to_string())?;
    let is_json = args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let text = if is_json {
        serde_json::to_string_pretty(&overlay).map_err(|e| e.to_string())? + "\n"
    } else {
        tokenfleet_core::yaml::to_yaml(&overlay)
    };
    std::fs::write(&args.out, text).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let kinds: Vec<String> = overlay.sources.iter().map(|s| format!("{} ({})", s.file, s.kind.command())).collect();
    outln!(
        "{}: prices of {} for {} instance type and region {} from {}",
        args.out.display(),
        overlay.date,
        overlay.entry_count(),
        if overlay.entry_count() == 1 { "pair" } else { "pairs" },
        kinds.join(", ")
    );
    if overlay.entry_count() == 0 {
        eprintln!(
            "tokenfleet: no Linux, shared-tenancy price was found in the files; the overlay changes nothing \
             (filter the AWS CLI's query by operatingSystem=Linux, tenancy=Shared)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a price overlay file (YAML or JSON, as `prices import` writes it); errors name the file,
/// line and field.
pub fn read_overlay(path: &str) -> Result<PriceOverlay, String> {
    PriceOverlay::from_text(path, &read_text(path)?)
}

/// `--prices OVERLAY`: the overlay replaces the plan's own (`spec.prices`).
pub fn apply(plan: &mut Plan, flag: Option<&PriceOverlay>) {
    if let Some(overlay) = flag {
        plan.spec.prices = Some(overlay.clone());
    }
}

/// Reads the `--prices` flag's file, when given.
pub fn read_flag(flag: Option<&str>) -> Result<Option<PriceOverlay>, String> {
    flag.map(|path| read_overlay(path).map_err(|e| format!("--prices {e}"))).transpose()
}
