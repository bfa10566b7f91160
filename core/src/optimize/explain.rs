//! The reasoning behind a recommendation, in sentences, and the CLI's text rendering of it.

use std::fmt::Write;

use super::search::slo_text;
use super::{Candidate, OptimizeInput, Recommendation};

/// What a candidate costs by the measure that ranked it: its simulated day when that passed, else its
/// static, risk-adjusted figure.
fn cost(c: &Candidate) -> f64 {
    match &c.simulated {
        Some(d) if d.passes() => d.risk_adjusted_usd_per_hour,
        _ => c.risk_adjusted_usd_per_hour,
    }
}

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
        ("mix", Some(single), _) if cost(single) > cost(best) => out.push(format!(
            "The mix beats the best single type ({}, {:.2} USD/hour risk-adjusted) by {:.2} USD/hour: each request class runs on the type that serves it most cheaply within the SLOs.",
            single.name,
            cost(single),
            cost(single) - cost(best)
        )),
        ("single", _, Some(mix)) if cost(mix) >= cost(best) => out.push(format!(
            "A single type beats the best mix ({}, {:.2} USD/hour): splitting the classes buys nothing here.",
            mix.name,
            cost(mix)
        )),
        _ => {}
    }
    for reason in &best.reasons {
        out.push(format!("{reason}."));
    }
    if best.capacity.reserves_baseline() {
        out.push(format!(
            "Buy On-Demand Capacity Reservations for the baseline nodes (`tokenfleet export PLAN --format terraform --out DIR` \
             writes them as Terraform) and replace the placeholder ids ({}…) in nodeClasses.",
            super::emit::RESERVATION_PLACEHOLDER
        ));
    }
    // Savings Plans and Reserved Instances: the static search ranks at list prices; the simulated
    // days that decide the recommendation bill through them (docs/plan.md, "Commitments").
    if !r.plan.spec.commitments.is_empty() {
        let rates = r.plan.commitment_rates();
        let fees: f64 = rates.iter().map(|c| c.fee_usd_per_hour).sum();
        let names: Vec<&str> = r.plan.spec.commitments.iter().map(|c| c.name.as_str()).collect();
        out.push(format!(
            "Commitments ({}): their {fees:.2} USD/hour in fees are paid whatever the topology; the static figures \
             above are at list prices, the simulated days that rank the candidates bill through them (covered \
             instance-hours at their committed rate), and the plan keeps them.",
            names.join(", ")
        ));
    }
    match (&best.simulated, r.meets_slos_over_day) {
        (Some(d), Some(true)) => {
            let attained: Vec<String> =
                d.slo_attainment.iter().map(|(k, v)| format!("{k} {:.2} %", v * 100.0)).collect();
            let seeds: Vec<String> = d.seeds.iter().map(u64::to_string).collect();
            out.push(format!(
                "Simulated day ({}, seeds {}): every SLO met on every seed (worst seed: {}), {} requests dropped, \
                 {:.0} autoscaler reversals a day, {:.2} USD a day ({:.2} USD/hour with spot risk); autoscaling: \
                 {}.",
                d.source,
                seeds.join(","),
                attained.join(", "),
                d.requests_dropped,
                d.autoscaler_reversals_per_day,
                d.cost_usd_per_day,
                d.risk_adjusted_usd_per_hour,
                autoscaling_summary(&best.autoscaling)
            ));
            match d.burst_margin_x_peak {
                Some(m) if m > 1.0 => out.push(format!(
                    "Margin: it still meets every SLO with bursts up to {m}× the declared peak ({:.2} requests/s).",
                    m * input.peak_requests_per_s
                )),
                Some(_) => out.push(
                    "Margin: none beyond the declared traffic; a burst of 1.25× the declared peak already misses an SLO."
                        .to_string(),
                ),
                None => {}
            }
        }
        (_, Some(false)) => out.push(
            "No candidate meets every SLO over its simulated day: this is the cheapest on static figures, and it fails \
             its day (see candidates[].simulated). Relax an SLO, widen the families or raise the budget."
                .to_string(),
        ),
        _ => {}
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
        ("disaggregated", Some(m), _) if cost(m) > cost(best) => out.push(format!(
            "Disaggregation beats the best monolithic candidate ({}, {:.2} USD/hour risk-adjusted) by {:.2} USD/hour: decode runs without prefills stalling its steps, prefill on compute-rich capacity.",
            m.name,
            cost(m),
            cost(m) - cost(best)
        )),
        ("monolithic", _, Some(d)) if cost(d) >= cost(best) => out.push(format!(
            "Monolithic serving beats the best prefill/decode split ({}, {:.2} USD/hour): a second fleet and the KV transfer cost more than they save here.",
            d.name,
            cost(d)
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
    let _ = writeln!(s, "prices: {}", r.prices.note);
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
    let _ = writeln!(s, "\nCandidates (simulated day: verdict, USD/hour with spot risk, reversals a day):");
    for c in r.candidates.iter().take(12) {
        let day = match &c.simulated {
            Some(d) => format!(
                "[day {} {:.2} USD/h {:.0} rev; {}]",
                if d.passes() { "pass" } else { "FAIL" },
                d.risk_adjusted_usd_per_hour,
                d.autoscaler_reversals_per_day,
                c.autoscaling.short()
            ),
            None => "[day not simulated]".to_string(),
        };
        let _ = writeln!(s, "  #{} {} {day}: {}", c.rank, c.name, c.verdict);
    }
    s
}

fn autoscaling_summary(a: &super::AutoscalingChoice) -> String {
    let levers = match a.start_levers {
        super::LeverChoice::None => "",
        super::LeverChoice::Free => {
            "; start-up levers: SOCI parallel pull, weights streamed from S3 (Run:ai streamer), Neuron's compiled \
             artifacts cached in S3 where it applies: upload the weights and replace the s3://replaceme locations"
        }
        super::LeverChoice::WithImageCache => {
            "; start-up levers: the serving images on an EBS snapshot as the nodes' data volume (with Fast Snapshot \
             Restore, counted in the cost), weights streamed from S3, Neuron's compiled artifacts cached in S3: \
             build the snapshot and replace snap-0replaceme, upload the weights and replace the s3://replaceme \
             locations"
        }
    };
    format!("{}{levers}", autoscaling_only(a))
}

fn autoscaling_only(a: &super::AutoscalingChoice) -> String {
    if a.scale_to_zero {
        format!(
            "scale to zero after {} s idle (KEDA cooldownPeriod, polling every {} s), scale-down window {} s",
            a.keda_cooldown_period_s.unwrap_or(300),
            a.keda_polling_interval_s,
            a.scale_down_stabilization_s
        )
    } else {
        let kept = match a.warm_kind {
            _ if a.warm_replicas == 0 => "",
            super::WarmVariant::MinReplicas => " (running, in minReplicas)",
            super::WarmVariant::CapacityBuffer => {
                " (as a CapacityBuffer: spare nodes; Karpenter's alpha CapacityBuffer feature gate must be on)"
            }
            super::WarmVariant::PlaceholderPods => " (as low-priority placeholder pods that serving pods preempt)",
            super::WarmVariant::StaticNodePool => {
                " (in a static NodePool with the baseline; Karpenter's alpha StaticCapacity feature gate must be on)"
            }
        };
        format!(
            "scale-down window {} s, {} warm replica(s) above the baseline{kept}",
            a.scale_down_stabilization_s, a.warm_replicas
        )
    }
}
