//! Two plans side by side: what each costs and needs (placement), how its latency bands sit against
//! the SLOs, and how its simulated day went, with the difference and whether B is better or worse.
//!
//! The shells pin a plan as A, keep editing (or apply a recommendation) as B, and show these rows;
//! which way is better and how a figure reads live here, so the app only lays them out.

use std::collections::BTreeSet;

use crate::place::Outcome;
use crate::sim::DayCheck;

/// What a plan is judged on: its placement and, once simulated, its day.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub outcome: &'a Outcome,
    pub day: Option<&'a DayCheck>,
}

/// How a figure reads, and so how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    UsdPerHour,
    UsdPerMillionTokens,
    UsdPerDay,
    Count,
    Milliseconds,
    /// A fraction shown as a percentage.
    Fraction,
    PerDay,
    /// 1 passes, 0 fails.
    Verdict,
}

/// Which direction of change is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
}

/// What B does to a figure, against A.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Better,
    Worse,
    Same,
    /// One side has no value.
    Unknown,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Better => "better",
            Change::Worse => "worse",
            Change::Same => "same",
            Change::Unknown => "unknown",
        }
    }
}

/// One figure of both plans.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Stable key (`cost_usd_per_hour`, `latency.llama-8b.ttft.p90_ms`, `day.attainment.ttft_p90`).
    pub key: String,
    pub label: String,
    pub unit: Unit,
    pub better: Better,
    pub a: Option<f64>,
    pub b: Option<f64>,
}

impl Row {
    /// B − A, when both are known.
    pub fn delta(&self) -> Option<f64> {
        Some(self.b? - self.a?)
    }

    pub fn change(&self) -> Change {
        let Some(d) = self.delta() else { return Change::Unknown };
        // Figures are shown rounded: a change below what is shown is no change.
        let scale = self.a.unwrap_or_default().abs().max(self.b.unwrap_or_default().abs());
        let tolerance = match self.unit {
            Unit::Fraction => 1e-5,
            Unit::Verdict | Unit::Count => 0.5,
            _ => (scale * 1e-4).max(1e-3),
        };
        if d.abs() <= tolerance {
            Change::Same
        } else if (d < 0.0) == (self.better == Better::Lower) {
            Change::Better
        } else {
            Change::Worse
        }
    }

    /// A value of this row as shown, with its unit (`—` when unknown).
    pub fn show(&self, value: Option<f64>) -> String {
        let Some(v) = value else { return "—".to_string() };
        match self.unit {
            Unit::UsdPerHour => format!("{v:.2} USD/hour"),
            Unit::UsdPerMillionTokens => format!("{v:.3} USD/Mtok"),
            Unit::UsdPerDay => format!("{v:.2} USD/day"),
            Unit::Count => format!("{v:.0}"),
            Unit::Milliseconds => format!("{v:.0} ms"),
            Unit::Fraction => format!("{:.2} %", v * 100.0),
            Unit::PerDay => format!("{v:.0} a day"),
            Unit::Verdict => (if v >= 0.5 { "passes" } else { "fails" }).to_string(),
        }
    }

    /// The difference as shown (`+1.20 USD/hour`, `−2 pp`), empty when there is none to show.
    pub fn show_delta(&self) -> String {
        let Some(d) = self.delta() else { return String::new() };
        if self.change() == Change::Same {
            return "same".to_string();
        }
        let sign = if d > 0.0 { "+" } else { "−" };
        let m = d.abs();
        match self.unit {
            Unit::UsdPerHour => format!("{sign}{m:.2} USD/hour{}", relative(self.a, d)),
            Unit::UsdPerMillionTokens => format!("{sign}{m:.3} USD/Mtok{}", relative(self.a, d)),
            Unit::UsdPerDay => format!("{sign}{m:.2} USD/day{}", relative(self.a, d)),
            Unit::Count => format!("{sign}{m:.0}"),
            Unit::Milliseconds => format!("{sign}{m:.0} ms{}", relative(self.a, d)),
            Unit::Fraction => format!("{sign}{:.2} pp", m * 100.0),
            Unit::PerDay => format!("{sign}{m:.0} a day"),
            Unit::Verdict => (if d > 0.0 { "now passes" } else { "now fails" }).to_string(),
        }
    }
}

/// ` (+12 %)` against a non-zero A.
fn relative(a: Option<f64>, d: f64) -> String {
    match a {
        Some(a) if a.abs() > 1e-9 => format!(" ({:+.0} %)", d / a * 100.0),
        _ => String::new(),
    }
}

/// The rows comparing A with B: placement figures, then per fleet its replicas and latency bands,
/// then the simulated day when at least one side has been simulated.
pub fn compare(a: Side<'_>, b: Side<'_>) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut push = |key: String, label: String, unit: Unit, better: Better, va: Option<f64>, vb: Option<f64>| {
        rows.push(Row { key, label, unit, better, a: va, b: vb });
    };
    let (sa, sb) = (&a.outcome.summary, &b.outcome.summary);
    let figure = |s: &crate::place::Summary, f: fn(&crate::place::Summary) -> f64| Some(f(s));
    push(
        "cost_usd_per_hour".into(),
        "Cost".into(),
        Unit::UsdPerHour,
        Better::Lower,
        figure(sa, |s| s.cost_usd_per_hour),
        figure(sb, |s| s.cost_usd_per_hour),
    );
    push(
        "usd_per_million_tokens".into(),
        "Cost per million tokens".into(),
        Unit::UsdPerMillionTokens,
        Better::Lower,
        sa.usd_per_million_tokens,
        sb.usd_per_million_tokens,
    );
    push(
        "nodes".into(),
        "Nodes".into(),
        Unit::Count,
        Better::Lower,
        figure(sa, |s| s.nodes as f64),
        figure(sb, |s| s.nodes as f64),
    );
    push(
        "devices".into(),
        "Accelerator devices".into(),
        Unit::Count,
        Better::Lower,
        figure(sa, |s| s.devices as f64),
        figure(sb, |s| s.devices as f64),
    );
    push(
        "unplaced_pods".into(),
        "Pods not placed".into(),
        Unit::Count,
        Better::Lower,
        figure(sa, |s| s.unplaced_pods as f64),
        figure(sb, |s| s.unplaced_pods as f64),
    );

    // Fleets by name, in A's order then B's new ones.
    let mut fleets: Vec<&str> = Vec::new();
    let mut seen = BTreeSet::new();
    for d in a.outcome.deployments.iter().chain(&b.outcome.deployments) {
        if seen.insert(d.name.as_str()) {
            fleets.push(&d.name);
        }
    }
    for fleet in fleets {
        let fa = a.outcome.deployments.iter().find(|d| d.name == fleet);
        let fb = b.outcome.deployments.iter().find(|d| d.name == fleet);
        push(
            format!("replicas.{fleet}"),
            format!("{fleet}: replicas"),
            Unit::Count,
            Better::Lower,
            fa.map(|d| d.replicas as f64),
            fb.map(|d| d.replicas as f64),
        );
        // Bands by metric and percentile, as either side has them.
        let mut bands: Vec<(String, f64, f64)> = Vec::new();
        for band in fa.iter().chain(fb.iter()).flat_map(|d| &d.latency) {
            if !bands.iter().any(|(m, p, _)| *m == band.metric && *p == band.percentile) {
                bands.push((band.metric.clone(), band.percentile, band.limit_ms));
            }
        }
        for (metric, percentile, limit_ms) in bands {
            let estimate = |d: Option<&crate::place::DeploymentOutcome>| {
                d.and_then(|d| d.latency.iter().find(|l| l.metric == metric && l.percentile == percentile))
                    .and_then(|l| if l.saturated { Some(f64::INFINITY) } else { l.estimate_ms })
            };
            let p = format_percentile(percentile);
            push(
                format!("latency.{fleet}.{metric}.p{p}_ms"),
                format!("{fleet}: {} p{p} (SLO {limit_ms:.0} ms)", metric.to_uppercase()),
                Unit::Milliseconds,
                Better::Lower,
                estimate(fa).filter(|v| v.is_finite()),
                estimate(fb).filter(|v| v.is_finite()),
            );
        }
    }

    if a.day.is_none() && b.day.is_none() {
        return rows;
    }
    let (da, db) = (a.day, b.day);
    push(
        "day.verdict".into(),
        "Simulated day".into(),
        Unit::Verdict,
        Better::Higher,
        da.map(|d| if d.passes() { 1.0 } else { 0.0 }),
        db.map(|d| if d.passes() { 1.0 } else { 0.0 }),
    );
    let mut slos: Vec<&str> = Vec::new();
    for d in da.iter().chain(db.iter()) {
        for key in d.slo_attainment.keys() {
            if !slos.contains(&key.as_str()) {
                slos.push(key);
            }
        }
    }
    for slo in slos {
        let required = da.or(db).and_then(|d| d.slo_required.get(slo)).copied().unwrap_or_default();
        push(
            format!("day.attainment.{slo}"),
            format!("Day: {slo} attained ({:.0} % asked)", required * 100.0),
            Unit::Fraction,
            Better::Higher,
            da.and_then(|d| d.slo_attainment.get(slo).copied()),
            db.and_then(|d| d.slo_attainment.get(slo).copied()),
        );
    }
    push(
        "day.cost_usd_per_day".into(),
        "Day: cost".into(),
        Unit::UsdPerDay,
        Better::Lower,
        da.map(|d| d.cost_usd_per_day),
        db.map(|d| d.cost_usd_per_day),
    );
    push(
        "day.requests_dropped".into(),
        "Day: requests dropped".into(),
        Unit::Count,
        Better::Lower,
        da.map(|d| d.requests_dropped as f64),
        db.map(|d| d.requests_dropped as f64),
    );
    push(
        "day.autoscaler_reversals_per_day".into(),
        "Day: autoscaler reversals".into(),
        Unit::PerDay,
        Better::Lower,
        da.map(|d| d.autoscaler_reversals_per_day),
        db.map(|d| d.autoscaler_reversals_per_day),
    );
    rows
}

/// `90`, `99.9`: a percentile without a trailing `.0`.
fn format_percentile(p: f64) -> String {
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}")
    } else {
        let s = format!("{p:.3}");
        s.trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::place;
    use crate::plan::parse_plan;

    fn outcome(text: &str) -> Outcome {
        place::evaluate(&parse_plan(text).expect("example parses"))
    }

    #[test]
    fn a_plan_against_itself_is_the_same_everywhere() {
        let o = outcome(crate::examples::example("quickstart").expect("example"));
        let side = Side { outcome: &o, day: None };
        let rows = compare(side, side);
        assert!(rows.iter().any(|r| r.key == "cost_usd_per_hour"));
        assert!(rows.iter().any(|r| r.key.starts_with("latency.")), "{rows:?}");
        assert!(rows.iter().all(|r| r.key != "day.verdict"), "no day row without a day");
        for r in &rows {
            assert!(matches!(r.change(), Change::Same | Change::Unknown), "{r:?}");
        }
    }

    #[test]
    fn fewer_replicas_are_cheaper_and_better_on_cost() {
        let text = crate::examples::example("quickstart").expect("example");
        let a = parse_plan(text).expect("parses");
        let mut b = a.clone();
        let d = &mut b.spec.deployments[0];
        d.replicas.min = d.replicas.min.saturating_add(2);
        d.replicas.max = d.replicas.max.max(d.replicas.min);
        let (oa, ob) = (place::evaluate(&a), place::evaluate(&b));
        let rows = compare(Side { outcome: &oa, day: None }, Side { outcome: &ob, day: None });
        let cost = rows.iter().find(|r| r.key == "cost_usd_per_hour").expect("cost row");
        assert_eq!(cost.change(), Change::Worse, "{cost:?}");
        assert!(cost.show_delta().starts_with('+'), "{}", cost.show_delta());
        // And the other way round.
        let rows = compare(Side { outcome: &ob, day: None }, Side { outcome: &oa, day: None });
        let cost = rows.iter().find(|r| r.key == "cost_usd_per_hour").expect("cost row");
        assert_eq!(cost.change(), Change::Better);
        assert!(cost.show_delta().starts_with('−'));
    }

    #[test]
    fn attainment_is_better_higher_and_shown_in_points() {
        let row = Row {
            key: "day.attainment.ttft_p90".into(),
            label: String::new(),
            unit: Unit::Fraction,
            better: Better::Higher,
            a: Some(0.95),
            b: Some(0.99),
        };
        assert_eq!(row.change(), Change::Better);
        assert_eq!(row.show(row.b), "99.00 %");
        assert_eq!(row.show_delta(), "+4.00 pp");
        let verdict = Row {
            key: "day.verdict".into(),
            label: String::new(),
            unit: Unit::Verdict,
            better: Better::Higher,
            a: Some(1.0),
            b: Some(0.0),
        };
        assert_eq!(verdict.change(), Change::Worse);
        assert_eq!(verdict.show_delta(), "now fails");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(90.0), "90");
    }
}
