//! Durations as users type them (`24h`, `90m`, `1h30m`, `7d`, `500ms`, `15s`, or bare seconds).

use std::fmt;

/// Why a duration cannot be read; `field` names the flag or field, `text` the duration as typed
/// (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    pub field: String,
    pub text: String,
    pub problem: DurationProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationProblem {
    Empty,
    /// Something other than a number where a number should start.
    Unreadable,
    /// Digits and dots that do not make a number (`1.2.3h`).
    BadNumber,
    UnknownUnit(String),
    /// Negative or not finite.
    OutOfRange,
    /// A unit written twice or after a smaller one (`1d1d`, `30m1h`): almost always a typo.
    UnitOrder(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (field, text) = (&self.field, &self.text);
        match &self.problem {
            DurationProblem::Empty => write!(f, "{field}: empty duration; write e.g. 24h, 90m, 15s or 500ms"),
            DurationProblem::Unreadable => {
                write!(f, "{field}: cannot read duration {text:?}; write e.g. 24h, 90m, 1h30m, 15s or 500ms")
            }
            DurationProblem::BadNumber => write!(f, "{field}: cannot read number in duration {text:?}"),
            DurationProblem::UnknownUnit(unit) => {
                write!(f, "{field}: unknown unit {unit:?} in duration {text:?}; use ms, s, m, h or d")
            }
            DurationProblem::OutOfRange => {
                write!(f, "{field}: duration {text:?} must be a finite, non-negative number of seconds")
            }
            DurationProblem::UnitOrder(unit) => write!(
                f,
                "{field}: in duration {text:?} the unit {unit:?} repeats or follows a smaller unit; write each \
                 unit once, largest first (1d12h, 1h30m)"
            ),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration into seconds. `field` names the flag or field in the error.
pub fn parse_duration_s(text: &str, field: &str) -> Result<f64, DurationError> {
    let text = text.trim();
    let error = |problem| DurationError { field: field.to_string(), text: text.to_string(), problem };
    if text.is_empty() {
        return Err(error(DurationProblem::Empty));
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return check(seconds, text, field);
    }
    let mut total = 0.0;
    let mut rest = text;
    // The last unit's size: each next unit must be smaller.
    let mut previous = f64::INFINITY;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return Err(error(DurationProblem::Unreadable));
        }
        let number = rest[..digits].parse::<f64>().map_err(|_| error(DurationProblem::BadNumber))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            unit => {
                return Err(error(DurationProblem::UnknownUnit(unit.to_string())));
            }
        };
        if factor >= previous {
            return Err(error(DurationProblem::UnitOrder(rest[..unit_len].to_string())));
        }
        previous = factor;
        total += number * factor;
        rest = &rest[unit_len..];
    }
    check(total, text, field)
}

fn check(seconds: f64, text: &str, field: &str) -> Result<f64, DurationError> {
    if seconds.is_finite() && seconds >= 0.0 {
        Ok(seconds)
    } else {
        Err(DurationError { field: field.to_string(), text: text.to_string(), problem: DurationProblem::OutOfRange })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration_s;

    #[test]
    fn durations() {
        let p = |t| parse_duration_s(t, "--duration").unwrap();
        assert_eq!(p("24h"), 86400.0);
        assert_eq!(p("1h30m"), 5400.0);
        assert_eq!(p("7d"), 604800.0);
        assert_eq!(p("500ms"), 0.5);
        assert_eq!(p("15"), 15.0);
        assert_eq!(p("0s"), 0.0);
        let e = parse_duration_s("5 parsecs", "--step").unwrap_err().to_string();
        assert!(e.starts_with("--step:"), "{e}");
        assert!(parse_duration_s("-3", "--step").is_err());
        assert!(parse_duration_s("h", "--step").is_err());
        assert_eq!(p("1d12h30m15s500ms"), 86400.0 + 12.0 * 3600.0 + 1815.5);
        // A repeated unit, or one after a smaller one, is a typo rather than a sum.
        for typo in ["1d1d", "30m1h", "1h1h", "1s1m"] {
            let e = parse_duration_s(typo, "--duration").unwrap_err().to_string();
            assert!(e.contains("repeats or follows a smaller unit"), "{typo}: {e}");
        }
    }
}
