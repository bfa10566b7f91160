//! Request-rate traces: the CSV format a plan carries inline (`spec.workload.trace.csv`) or names as
//! a file (`spec.workload.trace.file`, read by the CLI), and the rows the simulator replays.
//!
//! A trace has the header `t_s,requests_per_s` with optional columns `input_tokens` and
//! `output_tokens`; each row's values hold until the next row, and the last row holds to the end.
//! Blank lines and lines starting with `#` are skipped. Errors name the line of the CSV (the header
//! is line 1).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Inline traces (`spec.workload.trace.csv`) are limited to this many bytes: a week at one row a
/// minute with all four columns fits. Longer traces belong in a file (`spec.workload.trace.file`).
pub const MAX_TRACE_CSV_BYTES: usize = 256 * 1024;

/// The highest request rate a trace row may name (the simulator's own bound).
pub const MAX_TRACE_REQUESTS_PER_S: f64 = 1e7;

/// One row of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TraceRow {
    pub t_s: f64,
    pub requests_per_s: f64,
    pub input_tokens: Option<f64>,
    pub output_tokens: Option<f64>,
}

/// Why a CSV trace cannot be read. Every error but [`TraceError::Empty`] is about a line of the CSV.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceError {
    /// No header line (only blank lines and comments).
    Empty,
    MissingColumn {
        line: usize,
        column: &'static str,
    },
    NotANumber {
        line: usize,
        column: &'static str,
        cell: String,
    },
    /// Negative or not finite.
    OutOfRange {
        line: usize,
        column: &'static str,
        cell: String,
    },
    RateTooHigh {
        line: usize,
        requests_per_s: f64,
    },
    /// Times must increase from row to row.
    NotAfter {
        line: usize,
        t_s: f64,
        previous_t_s: f64,
    },
    NoRows {
        line: usize,
    },
}

impl TraceError {
    /// The line of the CSV the error is about (the header is line 1).
    pub fn line(&self) -> Option<usize> {
        match self {
            TraceError::Empty => None,
            TraceError::MissingColumn { line, .. }
            | TraceError::NotANumber { line, .. }
            | TraceError::OutOfRange { line, .. }
            | TraceError::RateTooHigh { line, .. }
            | TraceError::NotAfter { line, .. }
            | TraceError::NoRows { line } => Some(*line),
        }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::Empty => {
                f.write_str("the trace is empty: expected a header line t_s,requests_per_s and rows under it")
            }
            TraceError::MissingColumn { line, column } => {
                write!(f, "line {line}: the header lacks column {column} (expected t_s,requests_per_s)")
            }
            TraceError::NotANumber { line, column, cell } => {
                write!(f, "line {line}: {column} {cell:?} is not a number")
            }
            TraceError::OutOfRange { line, column, cell } => {
                write!(f, "line {line}: {column} {cell:?} must be finite and non-negative")
            }
            TraceError::RateTooHigh { line, requests_per_s } => write!(
                f,
                "line {line}: requests_per_s {requests_per_s} is more than {MAX_TRACE_REQUESTS_PER_S} requests/s"
            ),
            TraceError::NotAfter { line, t_s, previous_t_s } => {
                write!(f, "line {line}: t_s {t_s} is not after the previous row's {previous_t_s}")
            }
            TraceError::NoRows { line } => write!(f, "line {line}: no data rows after the header"),
        }
    }
}

impl std::error::Error for TraceError {}

/// At most 24 characters of a cell, for a message: an error names the cell without echoing a file's
/// contents at length.
fn excerpt(cell: &str) -> String {
    match cell.char_indices().nth(24) {
        Some((end, _)) => format!("{}…", &cell[..end]),
        None => cell.to_string(),
    }
}

/// Parses a CSV trace. Errors start with the line they are about (`line 3: …`).
pub fn parse_trace_csv(text: &str) -> Result<Vec<TraceRow>, TraceError> {
    parse_trace_csv_lines(text).map(|rows| rows.into_iter().map(|(_, row)| row).collect())
}

/// [`parse_trace_csv`], each row with the CSV line it is on (the header is line 1).
pub fn parse_trace_csv_lines(text: &str) -> Result<Vec<(usize, TraceRow)>, TraceError> {
    // Spreadsheets save CSV with a byte-order mark; it is not part of the first column's name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let (header_index, header) = lines.next().ok_or(TraceError::Empty)?;
    let header_no = header_index + 1;
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let column = |name: &str| names.iter().position(|n| *n == name);
    let missing = |column| TraceError::MissingColumn { line: header_no, column };
    let t_col = column("t_s").ok_or(missing("t_s"))?;
    let r_col = column("requests_per_s").ok_or(missing("requests_per_s"))?;
    let (in_col, out_col) = (column("input_tokens"), column("output_tokens"));
    let mut rows: Vec<(usize, TraceRow)> = vec![];
    for (index, line) in lines {
        let line_no = index + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let number = |col: usize, column: &'static str| -> Result<f64, TraceError> {
            let cell = cells.get(col).copied().unwrap_or("");
            let value = cell.parse::<f64>().map_err(|_| TraceError::NotANumber {
                line: line_no,
                column,
                cell: excerpt(cell),
            })?;
            if !value.is_finite() || value < 0.0 {
                return Err(TraceError::OutOfRange { line: line_no, column, cell: excerpt(cell) });
            }
            Ok(value)
        };
        let optional = |col: Option<usize>, name: &'static str| -> Result<Option<f64>, TraceError> {
            match col {
                Some(c) if cells.get(c).is_some_and(|v| !v.is_empty()) => number(c, name).map(Some),
                _ => Ok(None),
            }
        };
        let row = TraceRow {
            t_s: number(t_col, "t_s")?,
            requests_per_s: number(r_col, "requests_per_s")?,
            input_tokens: optional(in_col, "input_tokens")?,
            output_tokens: optional(out_col, "output_tokens")?,
        };
        if row.requests_per_s > MAX_TRACE_REQUESTS_PER_S {
            return Err(TraceError::RateTooHigh { line: line_no, requests_per_s: row.requests_per_s });
        }
        if let Some((_, last)) = rows.last() {
            if row.t_s <= last.t_s {
                return Err(TraceError::NotAfter { line: line_no, t_s: row.t_s, previous_t_s: last.t_s });
            }
        }
        rows.push((line_no, row));
    }
    if rows.is_empty() {
        return Err(TraceError::NoRows { line: header_no });
    }
    Ok(rows)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::plan::{Plan, TraceRef};

    #[test]
    fn rows_and_optional_columns() {
        let rows =
            parse_trace_csv("# a comment\nt_s,requests_per_s,input_tokens,output_tokens\n0,1,512,128\n\n60,5,,\n")
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            TraceRow { t_s: 0.0, requests_per_s: 1.0, input_tokens: Some(512.0), output_tokens: Some(128.0) }
        );
        assert_eq!(rows[1], TraceRow { t_s: 60.0, requests_per_s: 5.0, input_tokens: None, output_tokens: None });
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_header() {
        let rows = parse_trace_csv("\u{feff}t_s,requests_per_s\n0,1\n").unwrap();
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn errors_quote_a_short_excerpt_of_a_cell() {
        let e = parse_trace_csv(&format!("t_s,requests_per_s\n0,{}\n", "x".repeat(10_000))).unwrap_err().to_string();
        assert!(e.len() < 120, "{e}");
        assert!(e.contains("xxxxxxxx…"), "{e}");
    }

    #[test]
    fn trace_errors_name_line_and_column() {
        assert!(parse_trace_csv("time,rps\n0,1\n").unwrap_err().to_string().contains("t_s"));
        let e = parse_trace_csv("t_s,requests_per_s\n0,1\n10,abc\n").unwrap_err().to_string();
        assert!(e.starts_with("line 3: ") && e.contains("requests_per_s"), "{e}");
        assert!(parse_trace_csv("t_s,requests_per_s\n10,1\n5,1\n").unwrap_err().to_string().starts_with("line 3: "));
        assert!(parse_trace_csv("t_s,requests_per_s\n0,-1\n").is_err());
        assert!(parse_trace_csv("t_s,requests_per_s\n0,1e9\n").unwrap_err().to_string().contains("more than"));
        assert!(parse_trace_csv("").unwrap_err().to_string().contains("empty"));
        assert!(parse_trace_csv("t_s,requests_per_s\n").unwrap_err().to_string().contains("no data rows"));
        // Line numbers count the lines of the text, skipped ones included.
        assert!(parse_trace_csv("# c\nt_s,requests_per_s\n\n0,x\n").unwrap_err().to_string().starts_with("line 4: "));
    }

    /// A day at one row a minute, with token columns on every tenth row (like an exported metric).
    pub(crate) fn day_csv() -> String {
        let mut csv = String::from("t_s,requests_per_s,input_tokens,output_tokens\n");
        for minute in 0..1440u32 {
            let hour = minute as f64 / 60.0;
            let rate = 2.0 + 4.0 * (1.0 - ((hour - 14.0) * std::f64::consts::TAU / 24.0).cos()) / 2.0;
            let jitter = ((minute * 7919) % 97) as f64 / 100.0;
            let tokens = if minute.is_multiple_of(10) {
                format!("{},{}", 900 + (minute * 31) % 300, 200 + (minute * 17) % 100)
            } else {
                ",".into()
            };
            csv += &format!("{},{:.2},{tokens}\n", minute * 60, rate + jitter);
        }
        csv
    }

    fn quickstart() -> Plan {
        crate::plan::parse_plan(crate::examples::example("quickstart").unwrap()).unwrap()
    }

    fn with_trace(trace: TraceRef) -> Plan {
        let mut plan = quickstart();
        plan.spec.workload.trace = Some(trace);
        plan
    }

    fn first_error(plan: &Plan) -> crate::plan::PlanError {
        crate::plan::validate(plan).into_iter().next().expect("an error")
    }

    #[test]
    fn a_trace_is_a_file_or_inline_csv_exactly_one() {
        assert!(crate::plan::validate(&with_trace(TraceRef::inline(day_csv()))).is_empty());
        assert!(crate::plan::validate(&with_trace(TraceRef::file("traces/day.csv"))).is_empty());
        let both = first_error(&with_trace(TraceRef {
            file: Some("a.csv".into()),
            csv: Some("t_s,requests_per_s\n0,1\n".into()),
        }));
        assert_eq!(both.path, "spec.workload.trace");
        assert!(both.message.contains("not both"), "{both}");
        let neither = first_error(&with_trace(TraceRef::default()));
        assert_eq!(neither.path, "spec.workload.trace");
        assert!(neither.message.contains("file") && neither.message.contains("csv"), "{neither}");
        let empty = first_error(&with_trace(TraceRef::file(" ")));
        assert_eq!(empty.path, "spec.workload.trace.file");
    }

    #[test]
    fn inline_csv_errors_name_the_field_and_the_csv_line() {
        let e = first_error(&with_trace(TraceRef::inline("t_s,requests_per_s\n0,1\n60,lots\n")));
        assert_eq!(e.path, "spec.workload.trace.csv");
        assert_eq!(e.message, "CSV line 3: requests_per_s \"lots\" is not a number");
        let e = first_error(&with_trace(TraceRef::inline("")));
        assert_eq!(e.path, "spec.workload.trace.csv");
        assert!(e.message.contains("empty"), "{e}");
        let e = first_error(&with_trace(TraceRef::inline("time,rps\n0,1\n")));
        assert!(e.message.starts_with("CSV line 1: the header lacks column t_s"), "{e}");
    }

    #[test]
    fn a_yaml_block_error_points_at_the_line_of_the_file() {
        let yaml = with_trace(TraceRef::inline("t_s,requests_per_s\n0,1\n60,lots\n120,2\n")).to_yaml();
        let e = crate::plan::parse_plan(&yaml).unwrap_err();
        let line = yaml.lines().position(|l| l.trim() == "60,lots").unwrap() as u64 + 1;
        assert_eq!((e.path.as_str(), e.line), ("spec.workload.trace.csv", Some(line)), "{e}\n{yaml}");
        assert!(e.to_string().contains("spec.workload.trace.csv: CSV line 3: requests_per_s \"lots\""), "{e}");
        // Written by hand, with a comment after the block indicator.
        let text = crate::examples::example("quickstart").unwrap().replace(
            "  workload:\n",
            "  workload:\n    trace:\n      csv: |  # recorded on Monday\n        t_s,requests_per_s\n        0,1\n        60,-2\n",
        );
        let e = crate::plan::parse_plan(&text).unwrap_err();
        let line = text.lines().position(|l| l.trim() == "60,-2").unwrap() as u64 + 1;
        assert_eq!(e.line, Some(line), "{e}");
        // The linter's TF040 points at the same line.
        let findings = crate::lint::lint_plan_text(&text).unwrap();
        let f = findings.iter().find(|f| f.code == "TF040").expect("TF040");
        assert_eq!((f.path.as_str(), f.line), ("spec.workload.trace.csv", Some(line)), "{f:?}");
        // In JSON the CSV is one string on one line: the error points at it.
        let json = serde_json::to_string_pretty(&with_trace(TraceRef::inline("t_s,requests_per_s\n0,x\n"))).unwrap();
        let e = crate::plan::parse_plan(&json).unwrap_err();
        let line = json.lines().position(|l| l.contains("\"csv\"")).unwrap() as u64 + 1;
        assert_eq!((e.path.as_str(), e.line), ("spec.workload.trace.csv", Some(line)), "{e}");
    }

    #[test]
    fn an_inline_trace_is_capped() {
        let mut csv = String::from("t_s,requests_per_s,input_tokens,output_tokens\n");
        let mut t = 0;
        while csv.len() <= MAX_TRACE_CSV_BYTES {
            csv += &format!("{t},123.456,1024,256\n");
            t += 60;
        }
        let e = first_error(&with_trace(TraceRef::inline(csv)));
        assert_eq!(e.path, "spec.workload.trace.csv");
        assert!(e.message.contains("limited to 262144 bytes") && e.message.contains("trace.file"), "{e}");
        // A week at one row a minute with all four columns fits.
        let week: String = std::iter::once("t_s,requests_per_s,input_tokens,output_tokens\n".to_string())
            .chain((0..7 * 1440).map(|m| format!("{},12.34,1024,256\n", m * 60)))
            .collect();
        assert!(week.len() <= MAX_TRACE_CSV_BYTES, "{} bytes", week.len());
        assert!(crate::plan::validate(&with_trace(TraceRef::inline(week))).is_empty());
    }

    #[test]
    fn an_inline_trace_round_trips_through_yaml_and_json_as_a_readable_block() {
        let plan = with_trace(TraceRef::inline(day_csv()));
        let yaml = plan.to_yaml();
        assert!(
            yaml.contains(
                "    trace:\n      csv: |\n        t_s,requests_per_s,input_tokens,output_tokens\n        0,"
            ),
            "{}",
            &yaml[..600]
        );
        assert_eq!(crate::plan::parse_plan(&yaml).unwrap(), plan);
        assert_eq!(crate::plan::parse_plan(&yaml).unwrap().to_yaml(), yaml, "byte for byte");
        let json = serde_json::to_string(&plan).unwrap();
        assert_eq!(crate::plan::parse_plan(&json).unwrap(), plan);
        // Without a final newline the block keeps it that way (`|-`).
        let plan = with_trace(TraceRef::inline("t_s,requests_per_s\n0,1\n60,2"));
        let yaml = plan.to_yaml();
        assert!(yaml.contains("csv: |-\n"), "{yaml}");
        assert_eq!(crate::plan::parse_plan(&yaml).unwrap(), plan);
    }

    #[test]
    fn plans_naming_a_trace_file_still_read() {
        let text = crate::examples::example("quickstart")
            .unwrap()
            .replace("  workload:\n", "  workload:\n    trace: {file: traces/day.csv}\n");
        let plan = crate::plan::parse_plan(&text).unwrap();
        assert_eq!(plan.spec.workload.trace, Some(TraceRef::file("traces/day.csv")));
        assert!(plan.to_yaml().contains("    trace:\n      file: traces/day.csv\n"));
    }
}
