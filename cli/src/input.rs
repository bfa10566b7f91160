//! Reading input files (or stdin for `-`) with a size limit, so a huge file fails clearly.

use std::io::Read;

/// Inputs above this size are refused before they are parsed.
pub const MAX_INPUT_BYTES: u64 = 5 * 1024 * 1024;

/// Reads a file, or standard input when `path` is `-`. A path must name a regular file (a FIFO or a
/// device would block or never end) of at most [`MAX_INPUT_BYTES`].
pub fn read_text(path: &str) -> Result<String, String> {
    let mut text = String::new();
    let limit = MAX_INPUT_BYTES + 1;
    let read = if path == "-" {
        std::io::stdin().take(limit).read_to_string(&mut text)
    } else {
        let meta = std::fs::metadata(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
        if !meta.is_file() {
            return Err(format!("{path}: not a regular file; give a file (or - for standard input)"));
        }
        if meta.len() > MAX_INPUT_BYTES {
            return Err(format!("{path}: larger than 5 MiB ({MAX_INPUT_BYTES} bytes); refusing to parse"));
        }
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_string(&mut text))
    };
    read.map_err(|e| format!("{path}: cannot read: {e}"))?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(format!("{path}: larger than 5 MiB ({MAX_INPUT_BYTES} bytes); refusing to parse"));
    }
    Ok(text)
}

/// Reads and parses a Plan file; errors name the file, line, column and field.
pub fn read_plan(path: &str) -> Result<tokenfleet_core::plan::Plan, String> {
    let text = read_text(path)?;
    tokenfleet_core::plan::parse_plan(&text).map_err(|e| format!("{path}: {e}"))
}

/// The `--profile` flag's value.
pub fn parse_profile(text: &str) -> Result<tokenfleet_core::sim::Profile, String> {
    tokenfleet_core::sim::Profile::parse(text).ok_or_else(|| {
        let names: Vec<&str> = tokenfleet_core::sim::Profile::ALL.iter().map(|p| p.name()).collect();
        let (last, rest) = names.split_last().unwrap_or((&"", &[]));
        format!("--profile: unknown profile {text:?}; use {} or {last}", rest.join(", "))
    })
}
