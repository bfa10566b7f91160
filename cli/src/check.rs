//! `tokenfleet check`: the CI gate. Each plan is linted, placed (the static bands) and judged over
//! its simulated day, as `lint` and `plan` do; a plan passes when lint has no error and both verdicts
//! pass. Text for people; json for scripts; JUnit and SARIF for CI systems and code review.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde::Serialize;
use tokenfleet_core::catalog::{PriceOverlay, PricesUsed};
use tokenfleet_core::lint::{self, Finding, Severity};
use tokenfleet_core::place;
use tokenfleet_core::sim::{self, DayCheck, Verdict};

use crate::input::read_text;

#[derive(Clone, Copy, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Junit,
    Sarif,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Plan files (YAML or JSON).
    #[arg(required = true)]
    plans: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: CheckFormat,
    /// Traffic profile of the simulated day when a plan has no trace (as `plan --profile`).
    #[arg(long, default_value = "diurnal-spikes")]
    profile: String,
    /// Seeds of the simulated day, comma-separated: a plan must pass on every one.
    #[arg(long, value_delimiter = ',', default_values_t = sim::verdict::DEFAULT_SEEDS.to_vec())]
    seeds: Vec<u64>,
    /// A price overlay (`tokenfleet prices import`) whose prices replace the built-in snapshot's for
    /// the entries it holds (and the plan's own `spec.prices`).
    #[arg(long, value_name = "OVERLAY")]
    prices: Option<String>,
}

/// One plan's result (`check --format json`: an array of these).
#[derive(Serialize)]
struct PlanCheck {
    file: String,
    /// `pass`: no lint error, static bands and the simulated day pass.
    verdict: Verdict,
    /// Set when the plan could not be read or judged (exit 2); the rest is then absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    findings: Vec<FindingRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    static_verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    simulated: Option<DayCheck>,
    /// The prices the plan's costs were computed with.
    #[serde(skip_serializing_if = "Option::is_none")]
    prices: Option<PricesUsed>,
}

#[derive(Serialize)]
struct FindingRow {
    code: String,
    severity: &'static str,
    message: String,
    path: String,
    line: Option<u64>,
    fix: String,
}

impl From<&Finding> for FindingRow {
    fn from(f: &Finding) -> Self {
        FindingRow {
            code: f.code.clone(),
            severity: f.severity.as_str(),
            message: f.message.clone(),
            path: f.path.clone(),
            line: f.line,
            fix: f.fix.clone(),
        }
    }
}

pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let profile = crate::input::parse_profile(&args.profile)?;
    if args.seeds.is_empty() {
        return Err("--seeds: name at least one seed".into());
    }
    let prices = crate::prices::read_flag(args.prices.as_deref())?;
    let checks: Vec<PlanCheck> =
        args.plans.iter().map(|file| check_one(file, profile.clone(), &args.seeds, prices.as_ref())).collect();
    let out = match args.format {
        CheckFormat::Text => text(&checks),
        CheckFormat::Json => serde_json::to_string_pretty(&checks).map_err(|e| e.to_string())? + "\n",
        CheckFormat::Junit => junit(&checks)?,
        CheckFormat::Sarif => serde_json::to_string_pretty(&sarif(&checks)).map_err(|e| e.to_string())? + "\n",
    };
    out!("{out}");
    Ok(if checks.iter().any(|c| c.error.is_some()) {
        ExitCode::from(2)
    } else if checks.iter().any(|c| c.verdict == Verdict::Fail) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn check_one(file: &str, profile: sim::Profile, seeds: &[u64], prices: Option<&PriceOverlay>) -> PlanCheck {
    let failed = |error: String| PlanCheck {
        file: file.to_string(),
        verdict: Verdict::Fail,
        error: Some(error),
        findings: vec![],
        static_verdict: None,
        simulated: None,
        prices: None,
    };
    let text = match read_text(file) {
        Ok(text) => text,
        Err(e) => return failed(e),
    };
    let mut plan = match tokenfleet_core::plan::parse_plan(&text) {
        Ok(plan) => plan,
        Err(e) => return failed(format!("{file}: {e}")),
    };
    crate::prices::apply(&mut plan, prices);
    let findings = match lint::lint_text_priced(file, &text, prices) {
        Ok(found) => found,
        Err(e) => return failed(format!("{file}: {e}")),
    };
    let (outcome, day) = match crate::plan_cmd::judge(file, &plan, profile, seeds) {
        Ok(judged) => judged,
        Err(e) => return failed(e),
    };
    let static_verdict = if place::meets_slos(&outcome) { Verdict::Pass } else { Verdict::Fail };
    let lint_ok = !findings.iter().any(|f| f.severity == Severity::Error);
    let verdict =
        if lint_ok && static_verdict == Verdict::Pass && day.passes() { Verdict::Pass } else { Verdict::Fail };
    PlanCheck {
        file: file.to_string(),
        verdict,
        error: None,
        findings: findings.iter().map(FindingRow::from).collect(),
        static_verdict: Some(static_verdict),
        simulated: Some(day),
        prices: Some(plan.prices_used()),
    }
}

fn word(v: Verdict) -> &'static str {
    if v == Verdict::Pass {
        "pass"
    } else {
        "FAIL"
    }
}

/// Why a plan failed, one line each: lint errors, then the static bands, then the day's reasons.
fn failures(c: &PlanCheck) -> Vec<String> {
    let mut out: Vec<String> = c.error.iter().cloned().collect();
    out.extend(c.findings.iter().filter(|f| f.severity == "error").map(|f| format!("{}: {}", f.code, f.message)));
    if c.static_verdict == Some(Verdict::Fail) {
        out.push("static bands: an SLO band is missed or pods cannot be placed (see tokenfleet plan)".into());
    }
    if let Some(day) = c.simulated.as_ref().filter(|d| !d.passes()) {
        out.extend(day_failure(day));
    }
    out
}

/// A failed day: its attainment, drops and reversals, then its reasons ranked by what they cost.
fn day_failure(day: &DayCheck) -> Vec<String> {
    let worst: Vec<String> = day
        .slo_attainment
        .iter()
        .map(|(k, v)| {
            format!("{k} {:.2} % (asked {:.0} %)", v * 100.0, day.slo_required.get(k).unwrap_or(&0.0) * 100.0)
        })
        .collect();
    let mut out = vec![format!(
        "simulated day: {}; {} requests dropped; {:.0} autoscaler reversals a day",
        worst.join(", "),
        day.requests_dropped,
        day.autoscaler_reversals_per_day
    )];
    out.extend(day.reasons.iter().map(|r| format!("- {}", r.message)));
    out
}

fn text(checks: &[PlanCheck]) -> String {
    let mut out = String::new();
    for c in checks {
        let day = c.simulated.as_ref().map_or("-", |d| word(d.verdict));
        let errors = c.findings.iter().filter(|f| f.severity == "error").count();
        let warnings = c.findings.iter().filter(|f| f.severity == "warning").count();
        out.push_str(&format!(
            "{}: {} (lint {errors} error(s), {warnings} warning(s); static bands {}; simulated day {day})\n",
            c.file,
            word(c.verdict),
            c.static_verdict.map_or("-", word),
        ));
        if let Some(prices) = &c.prices {
            out.push_str(&format!("  prices: {}\n", prices.note));
        }
        for line in failures(c) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    let failed = checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
    out.push_str(&format!("{} plan(s) checked, {failed} failed\n", checks.len()));
    out
}

/// JUnit XML: a test suite `tokenfleet`, one test case per plan (failures and errors as JUnit has
/// them: `error` for unreadable input, `failure` for a failed verdict).
fn junit(checks: &[PlanCheck]) -> Result<String, String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let failed = checks.iter().filter(|c| c.verdict == Verdict::Fail && c.error.is_none()).count();
    let errors = checks.iter().filter(|c| c.error.is_some()).count();
    let io = |e: std::io::Error| e.to_string();
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).map_err(io)?;
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "tokenfleet check"));
    w.write_event(Event::Start(suites)).map_err(io)?;
    let mut suite = BytesStart::new("testsuite");
    for (k, v) in [
        ("name", "tokenfleet".to_string()),
        ("tests", checks.len().to_string()),
        ("failures", failed.to_string()),
        ("errors", errors.to_string()),
    ] {
        suite.push_attribute((k, v.as_str()));
    }
    w.write_event(Event::Start(suite)).map_err(io)?;
    for c in checks {
        let mut case = BytesStart::new("testcase");
        case.push_attribute(("classname", "tokenfleet.check"));
        case.push_attribute(("name", c.file.as_str()));
        case.push_attribute(("file", c.file.as_str()));
        if c.verdict == Verdict::Pass {
            w.write_event(Event::Empty(case)).map_err(io)?;
            continue;
        }
        w.write_event(Event::Start(case)).map_err(io)?;
        let tag = if c.error.is_some() { "error" } else { "failure" };
        let lines = failures(c);
        let mut failure = BytesStart::new(tag);
        failure.push_attribute(("message", lines.first().map(String::as_str).unwrap_or("failed")));
        failure.push_attribute(("type", if c.error.is_some() { "unreadable" } else { "verdict" }));
        w.write_event(Event::Start(failure)).map_err(io)?;
        w.write_event(Event::Text(BytesText::new(&lines.join("\n")))).map_err(io)?;
        w.write_event(Event::End(BytesEnd::new(tag))).map_err(io)?;
        w.write_event(Event::End(BytesEnd::new("testcase"))).map_err(io)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuite"))).map_err(io)?;
    w.write_event(Event::End(BytesEnd::new("testsuites"))).map_err(io)?;
    let mut out = String::from_utf8(w.into_inner()).map_err(|e| e.to_string())?;
    out.push('\n');
    Ok(out)
}

/// SARIF 2.1.0: one run of the tool `tokenfleet`, its rules the lint codes found plus the two
/// verdicts (`static-bands`, `simulated-day`), one result per finding and per failed verdict.
fn sarif(checks: &[PlanCheck]) -> serde_json::Value {
    use serde_json::json;
    let level = |severity: &str| match severity {
        "error" => "error",
        "warning" => "warning",
        _ => "note",
    };
    let location = |file: &str, line: Option<u64>| {
        let mut physical = json!({ "artifactLocation": { "uri": file } });
        if let Some(line) = line {
            physical["region"] = json!({ "startLine": line });
        }
        json!([{ "physicalLocation": physical }])
    };
    let mut rules: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut results = vec![];
    for c in checks {
        for f in &c.findings {
            rules.entry(f.code.clone()).or_insert_with(|| {
                lint::RULES.iter().find(|(code, _, _)| *code == f.code).map_or("", |(_, _, text)| text).to_string()
            });
            results.push(json!({
                "ruleId": f.code,
                "level": level(f.severity),
                "message": { "text": format!("{} Fix: {}", f.message, f.fix) },
                "locations": location(&c.file, f.line),
                "properties": { "path": f.path },
            }));
        }
        let mut verdict = |rule: &str, text: String| {
            results.push(json!({
                "ruleId": rule,
                "level": "error",
                "message": { "text": text },
                "locations": location(&c.file, None),
            }));
        };
        if let Some(error) = &c.error {
            verdict("unreadable", error.clone());
        }
        if c.static_verdict == Some(Verdict::Fail) {
            verdict("static-bands", "an SLO band is missed or pods cannot be placed (see tokenfleet plan)".into());
        }
        if let Some(day) = c.simulated.as_ref().filter(|d| !d.passes()) {
            verdict("simulated-day", day_failure(day).join("\n"));
        }
    }
    rules
        .insert("static-bands".into(), "The plan's static latency bands meet every SLO and every pod is placed".into());
    rules.insert("simulated-day".into(), "The plan meets its SLOs over its own simulated day on every seed".into());
    rules.insert("unreadable".into(), "The plan can be read and judged".into());
    let rules: Vec<serde_json::Value> =
        rules.into_iter().map(|(id, text)| json!({ "id": id, "shortDescription": { "text": text } })).collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "tokenfleet",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
