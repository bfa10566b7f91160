//! Cron schedules of Karpenter disruption budgets (`spec.disruption.budgets[].schedule`), in UTC.
//!
//! Five fields (minute, hour, day of month, month, day of week) with `*`, numbers, names (`MON`,
//! `JAN`), lists, ranges and steps, or a macro (`@daily`, `@hourly`, `@weekly`, `@monthly`,
//! `@yearly`, `@annually`, `@midnight`). Day of month and day of week match either when both are
//! restricted, as in the cron library Karpenter uses. Simulated time 0 is Monday 2024-01-01 00:00 UTC.

use std::fmt;

/// Why a cron schedule cannot be read; `schedule` is the text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    pub schedule: String,
    pub problem: CronProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CronProblem {
    /// Neither five fields nor a macro.
    FieldCount,
    /// A value that is neither a number nor a name (`MON`, `JAN`).
    NotANumber(String),
    /// The step after `/` in this item is not a number.
    BadStep(String),
    /// The step in this item is zero or negative.
    StepNotPositive(String),
    /// The item reaches outside the field's range `low`-`high`.
    OutOfRange { item: String, low: i64, high: i64 },
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = &self.schedule;
        match &self.problem {
            CronProblem::FieldCount => {
                write!(f, "cron schedule {whole:?} needs five fields (minute hour day month weekday) or a macro")
            }
            CronProblem::NotANumber(s) => write!(f, "cron schedule {whole:?}: {s:?} is not a number"),
            CronProblem::BadStep(item) => write!(f, "cron schedule {whole:?}: bad step in {item:?}"),
            CronProblem::StepNotPositive(item) => {
                write!(f, "cron schedule {whole:?}: step must be positive in {item:?}")
            }
            CronProblem::OutOfRange { item, low, high } => {
                write!(f, "cron schedule {whole:?}: {item:?} is outside {low}-{high}")
            }
        }
    }
}

impl std::error::Error for CronError {}

/// Days from 1970-01-01 to 2024-01-01, the simulation's time 0 (a Monday).
const EPOCH_DAYS: i64 = 19_723;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    days_of_month: u32,
    months: u16,
    days_of_week: u8,
    dom_star: bool,
    dow_star: bool,
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        let expanded = match text.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError { schedule: text.to_string(), problem: CronProblem::FieldCount });
        }
        let minutes = field(fields[0], 0, 59, &[], text)?;
        let hours = field(fields[1], 0, 23, &[], text)?;
        let days_of_month = field(fields[2], 1, 31, &[], text)?;
        let months = field(fields[3], 1, 12, &MONTHS, text)?;
        // 7 is Sunday too.
        let mut days_of_week = field(fields[4], 0, 7, &DAYS, text)?;
        if days_of_week & (1 << 7) != 0 {
            days_of_week |= 1;
        }
        Ok(Cron {
            minutes,
            hours: hours as u32,
            days_of_month: days_of_month as u32,
            months: months as u16,
            days_of_week: (days_of_week & 0x7F) as u8,
            dom_star: fields[2].starts_with('*'),
            dow_star: fields[4].starts_with('*'),
        })
    }

    /// Whether the schedule fires at the start of simulated minute `minute` (minutes since time 0).
    pub fn fires_at_minute(&self, minute: i64) -> bool {
        let minute_of_day = minute.rem_euclid(1440);
        let (hour, min) = (minute_of_day / 60, minute_of_day % 60);
        if self.minutes & (1 << min) == 0 || self.hours & (1 << hour) == 0 {
            return false;
        }
        let days = EPOCH_DAYS + minute.div_euclid(1440);
        let (_, month, day) = civil_from_days(days);
        if self.months & (1 << month) == 0 {
            return false;
        }
        let weekday = (days + 4).rem_euclid(7); // 1970-01-01 was a Thursday; 0 = Sunday.
        let dom = self.days_of_month & (1 << day) != 0;
        let dow = self.days_of_week & (1 << weekday) != 0;
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// Whether a window of `duration_s` opened by this schedule covers time `t_s`.
    pub fn active_at(&self, t_s: f64, duration_s: f64) -> bool {
        let now = (t_s / 60.0).floor() as i64;
        let span = (duration_s / 60.0).ceil().clamp(0.0, 527_040.0) as i64;
        (0..span).any(|back| {
            let m = now - back;
            m as f64 * 60.0 > t_s - duration_s && self.fires_at_minute(m)
        })
    }
}

fn field(text: &str, low: i64, high: i64, names: &[&str], whole: &str) -> Result<u64, CronError> {
    let error = |problem| CronError { schedule: whole.to_string(), problem };
    let value = |s: &str| -> Result<i64, CronError> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(i as i64 + if low == 1 { 1 } else { 0 });
        }
        s.parse::<i64>().map_err(|_| error(CronProblem::NotANumber(s.to_string())))
    };
    let mut bits = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<i64>().map_err(|_| error(CronProblem::BadStep(item.to_string())))?),
            None => (item, 1),
        };
        if step < 1 {
            return Err(error(CronProblem::StepNotPositive(item.to_string())));
        }
        let (from, to) = if range == "*" {
            (low, high)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            (v, if item.contains('/') { high } else { v })
        };
        if from < low || to > high || from > to {
            return Err(error(CronProblem::OutOfRange { item: item.to_string(), low, high }));
        }
        let mut v = from;
        while v <= to {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_and_schedules() {
        assert_eq!(civil_from_days(EPOCH_DAYS), (2024, 1, 1));
        assert_eq!(civil_from_days(EPOCH_DAYS + 59), (2024, 2, 29));
        // Weekdays 09:00–17:00: "0 9 * * 1-5" for 8 hours.
        let c = Cron::parse("0 9 * * mon-fri").unwrap();
        let h = 3600.0;
        assert!(c.active_at(9.0 * h, 8.0 * h), "Monday 09:00");
        assert!(c.active_at(16.9 * h, 8.0 * h));
        assert!(!c.active_at(17.0 * h, 8.0 * h));
        assert!(!c.active_at(8.9 * h, 8.0 * h));
        assert!(!c.active_at(5.0 * 86_400.0 + 10.0 * h, 8.0 * h), "Saturday");
        let daily = Cron::parse("@daily").unwrap();
        assert!(daily.active_at(86_400.0 + 30.0, 60.0));
        assert!(!daily.active_at(86_400.0 + 61.0, 60.0));
        assert!(Cron::parse("*/15 * * * *").unwrap().fires_at_minute(45));
        assert!(Cron::parse("0 0 1 * *").unwrap().fires_at_minute(31 * 1440), "February 1st");
        for bad in ["", "* * * *", "61 * * * *", "a * * * *", "*/0 * * * *", "5-1 * * * *"] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
    }
}
