//! `tokenfleet estimate [FILE|-]`: JSON Lines in, one JSON line out per input line, in order.
//!
//! The contract is fixed (other tools depend on it; docs/perf.md documents it). A bad line gets an
//! answer with `error` set and never stops the others.

use clap::Args;
use tokenfleet_core::perf::lines::answer_line;

use crate::input::read_text;

#[derive(Args)]
pub struct EstimateArgs {
    /// JSON Lines file, or `-` for standard input.
    #[arg(default_value = "-")]
    pub file: String,
}

pub fn run(args: EstimateArgs) -> Result<std::process::ExitCode, String> {
    let text = read_text(&args.file)?;
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        out.push_str(&answer_line(line));
        out.push('\n');
    }
    out!("{out}");
    Ok(std::process::ExitCode::SUCCESS)
}
