//! The reasoning behind a recommendation, in sentences, and the CLI's text rendering of it.

use std::fmt::Write;

use super::search::slo_text;
use super::{OptimizeInput, Recommendation};

/// Why the recommendation won: what it is, what it costs, what binds, what it beat.
pub(super) fn explanation(input: &OptimizeInput, r: &Recommendation) -> Vec<String> {
    let mut out = Vec::new();
    let Some(best) = r.candidates.first() else { return out };
    let slos: Vec<String> = input.slos.iter().map(slo_text).collect();
    let classes: Vec<String> = r
        .classes
        .iter()
        .map(|c| {
            format!(
                "{} ({:.0} % of requests, {} in / {} out tokens)",
                c.name,
                c.share * 100.0,
                c.input_tokens,
                c.output_tokens
            )
        })
        .collect();
    out.push(format!(
        "Workload: {} at {:.2} requests/s baseline, {:.2} at peak; classes: {}; SLOs: {}.",
        input.model.name,
        input.baseline_requests_per_s,
        input.peak_requests_per_s,
        classes.join(", "),
        if slos.is_empty() { "none".to_string() } else { slos.join(", ") }
    ));
    out.push(format!(
        "Searched {} instance types, {} configurations ({} meet the SLOs), {} candidates.",
        r.stats.instance_types, r.stats.configurations, r.stats.feasible_configurations, r.stats.candidates
    ));
    let placement: Vec<String> = best
        .assignments
        .iter()
        .map(|a| {
            format!(
                "{} on {} (TP{} {}, {}-{} replicas, {}-{} nodes)",
                if a.role == "server" { a.classes.join("+") } else { format!("{} stage", a.role) },
                a.instance_type,
                a.tensor_parallel,
                a.precision,
                a.replicas_baseline,
                a.replicas_peak,
                a.nodes_baseline,
                a.nodes_peak
            )
        })
        .collect();
    out.push(format!(
        "Recommended: {} ({} topology, {} capacity): {}; expected {:.2} USD/hour ({:.2} at baseline, {:.2} at peak){}.",
        best.name,
        best.topology,
        best.capacity.as_str(),
        placement.join("; "),
        best.cost_usd_per_hour,
        best.baseline_usd_per_hour,
        best.peak_usd_per_hour,
        best.usd_per_million_tokens.map(|u| format!(", {u:.3} USD per million tokens")).unwrap_or_default()
    ));
    let best_single = r.candidates.iter().find(|c| c.topology == "single");
    let best_mix = r.candidates.iter().find(|c| c.topology == "mix");
    match (best.topology.as_str(), best_single, best_mix) {
        ("mix", Some(single), _) => out.push(format!(
            "The mix beats the best single type ({}, {:.2} USD/hour risk-adjusted) by {:.2} USD/hour: each request class runs on the type that serves it most cheaply within the SLOs.",
            single.name,
            single.risk_adjusted_usd_per_hour,
            single.risk_adjusted_usd_per_hour - best.risk_adjusted_usd_per_hour
        )),
        ("single", _, Some(mix)) => out.push(format!(
            "A single type beats the best mix ({}, {:.2} USD/hour): splitting the classes buys nothing here.",
            mix.name, mix.risk_adjusted_usd_per_hour
        )),
        _ => {}
    }
    for reason in &best.reasons {
        out.push(format!("{reason}."));
    }
    if best.capacity.reserves_baseline() {
        out.push(format!(
            "Buy On-Demand Capacity Reservations for the baseline nodes and replace the placeholder ids ({}…) in nodeClasses.",
            super::emit::RESERVATION_PLACEHOLDER
        ));
    }
    let failing = r.slo_checks.iter().filter(|c| !c.meets_slos).count();
    out.push(if failing == 0 {
        format!("SLO check of the emitted plan: all {} deployment/class checks pass at peak.", r.slo_checks.len())
    } else {
        format!("SLO check of the emitted plan: {failing} check(s) fail (see slo_checks).")
    });
    let best_monolithic = r.candidates.iter().find(|c| c.mode == "monolithic");
    let best_disaggregated = r.candidates.iter().find(|c| c.mode == "disaggregated");
    match (best.mode.as_str(), best_monolithic, best_disaggregated) {
        ("disaggregated", Some(m), _) => out.push(format!(
            "Disaggregation beats the best monolithic candidate ({}, {:.2} USD/hour risk-adjusted) by {:.2} USD/hour: decode runs without prefills stalling its steps, prefill on compute-rich capacity.",
            m.name,
            m.risk_adjusted_usd_per_hour,
            m.risk_adjusted_usd_per_hour - best.risk_adjusted_usd_per_hour
        )),
        ("monolithic", _, Some(d)) => out.push(format!(
            "Monolithic serving beats the best prefill/decode split ({}, {:.2} USD/hour): a second fleet and the KV transfer cost more than they save here.",
            d.name, d.risk_adjusted_usd_per_hour
        )),
        _ => {}
    }
    out
}

/// The text format of `tokenfleet recommend`: the reasoning, the front and the runners-up.
pub fn explain(r: &Recommendation) -> String {
    let mut s = String::new();
    for line in &r.explanation {
        let _ = writeln!(s, "{line}");
    }
    let _ = writeln!(s, "\nCost vs latency front (risk-adjusted USD/hour, worst-class TTFT p99):");
    for p in &r.front {
        let _ = writeln!(
            s,
            "  {} {:>9.2} USD/h  TTFT p99 {:>8.0} ms  TPOT p99 {:>6.1} ms  {}",
            if p.recommended { "*" } else { " " },
            p.risk_adjusted_usd_per_hour,
            p.ttft_p99_ms,
            p.tpot_p99_ms,
            p.candidate
        );
    }
    let _ = writeln!(s, "\nCandidates:");
    for c in r.candidates.iter().take(12) {
        let _ = writeln!(s, "  #{} {}: {}", c.rank, c.name, c.verdict);
    }
    s
}
