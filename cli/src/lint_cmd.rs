//! `tokenfleet lint [--format text|json] FILE...`: findings on plans or Kubernetes YAML.
//!
//! Exit status: 0 when no finding is an error, 1 when one is, 2 when a file cannot be read or parsed
//! (the reason goes to stderr; the other files are still linted).

use std::process::ExitCode;

use clap::Args;
use tokenfleet_core::lint::{self, Finding, Severity};

use crate::input::read_text;
use crate::plan_cmd::TextOrJson;

#[derive(Args)]
pub struct LintArgs {
    #[arg(long, value_enum, default_value = "text")]
    format: TextOrJson,
    /// Plan files or Kubernetes YAML (single documents, streams, `kind: List`), or - for stdin.
    #[arg(required = true)]
    files: Vec<String>,
    /// A price overlay (`tokenfleet prices import`) whose prices replace the built-in snapshot's for
    /// the entries it holds (and the plan's own `spec.prices`).
    #[arg(long, value_name = "OVERLAY")]
    prices: Option<String>,
}

pub fn run(args: LintArgs) -> Result<ExitCode, String> {
    let prices = crate::prices::read_flag(args.prices.as_deref())?;
    let mut findings: Vec<Finding> = Vec::new();
    let mut unreadable = false;
    for file in &args.files {
        match read_text(file)
            .and_then(|text| lint::lint_text_priced(file, &text, prices.as_ref()).map_err(|e| e.to_string()))
        {
            Ok(found) => findings.extend(found),
            Err(reason) => {
                eprintln!("tokenfleet: {reason}");
                unreadable = true;
            }
        }
    }
    match args.format {
        TextOrJson::Json => {
            let rows: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "code": f.code,
                        "severity": f.severity.as_str(),
                        "message": f.message,
                        "file": f.file,
                        "document": f.document,
                        "path": f.path,
                        "line": f.line,
                        "fix": f.fix,
                    })
                })
                .collect();
            outln!("{}", serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?);
        }
        TextOrJson::Text => {
            for f in &findings {
                let place = match f.line {
                    Some(line) => format!("{}:{line}", f.file),
                    None => f.file.clone(),
                };
                outln!("{place}: {} {}: {} [{}]", f.severity.as_str(), f.code, f.message, f.path);
                outln!("  fix: {}", f.fix);
            }
            let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
            outln!(
                "{} error(s), {} warning(s), {} info",
                count(Severity::Error),
                count(Severity::Warning),
                count(Severity::Info)
            );
        }
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if findings.iter().any(|f| f.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
