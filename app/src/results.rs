//! The results panel: headline figures, per-deployment replicas and latency bands against each SLO
//! (`latency_band`), nodes per pool by instance type and capacity type, and the live topology view (`topology`).
//! The figures and tables are read-only reports rebuilt on every edit: each is written as
//! HTML text (`html`) into its element.

use leptos::prelude::*;
use tokenfleet_core::place::Outcome;
use tokenfleet_core::units::count;

use crate::html::Html;
use crate::latency_band::latency_band;
use crate::store::Store;
use crate::summary;

#[component]
pub fn ResultsPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    // Each report is a memo of its text: an edit rewrites only the reports whose text changed.
    let report = move |write: fn(&mut Html, &Outcome)| {
        let text = Memo::new(move |_| {
            let mut h = Html::default();
            store.derived.with(|d| write(&mut h, &d.outcome));
            h.finish()
        });
        move || text.get()
    };
    let unplaced = Memo::new(move |_| {
        store.derived.with(|d| {
            d.outcome
                .unplaced
                .iter()
                .map(|u| {
                    format!(
                        "{} of {} could not be placed: {}",
                        count(u.replicas as u64, "replica"),
                        u.deployment,
                        u.reason
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="tf-panel" aria-labelledby="results-title" data-testid="results-panel">
            <h2 id="results-title">"Results"</h2>
            <dl class="tf-figures" inner_html=report(summary::figures)></dl>
            <div class="tf-scroll" tabindex="0" role="region" aria-label="Node groups" inner_html=report(summary::node_groups)></div>
            <dl class="tf-figures tf-figures-small" inner_html=report(extra_figures)></dl>
            <button class="tf-link" data-testid="prices-drop" hidden=move || store.plan.with(|p| p.spec.prices.is_none())
                on:click=crate::dom::handler(move |_| {
                    // Dropping an overlay cannot make a valid plan invalid.
                    let _ = store.commit("Use catalog prices", |p| {
                        p.spec.prices = None;
                        Ok(())
                    });
                })>"Use the built-in prices instead of the overlay"</button>
            <h3>"Deployments"</h3>
            <div class="tf-scroll" tabindex="0" role="region" aria-label="Deployments and their latency bands" inner_html=report(deployments_table)></div>
            <crate::day::DayVerdict/>
            <crate::node_autoscalers::NodeAutoscalers/>
            <crate::topology::TopologyView/>
            <Show when=move || unplaced.with(|u| !u.is_empty())>
                <ul class="tf-unplaced" role="alert">
                    <For each=move || unplaced.get().into_iter().enumerate() key=Clone::clone let:row>
                        <li data-testid="unplaced">{row.1}</li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}

fn extra_figures(h: &mut Html, o: &Outcome) {
    let s = &o.summary;
    h.raw("<div><dt>Per million tokens</dt><dd data-testid=\"usd-per-million-tokens\" data-value=\"");
    h.text(&s.usd_per_million_tokens.map(|v| v.to_string()).unwrap_or_default()).raw("\">");
    h.text(&s.usd_per_million_tokens.map(|v| format!("{v:.3} USD/Mtok")).unwrap_or_else(|| "— (no traffic)".into()));
    h.raw("</dd></div><div><dt>Reserved (paid anyway)</dt><dd>");
    h.text(&format!("{:.2} USD/hour", s.reserved_usd_per_hour));
    h.raw("</dd></div><div><dt>Marginal</dt><dd>").text(&format!("{:.2} USD/hour", s.marginal_usd_per_hour));
    h.raw("</dd></div>");
    // Savings Plans and Reserved Instances (`spec.commitments`): their fees, what they cover, and
    // what they save (or cost) against list prices.
    if let Some(c) = &s.commitments {
        h.raw("<div><dt>Commitments</dt><dd data-testid=\"commitments\" data-savings-usd-per-hour=\"");
        h.text(&c.savings_usd_per_hour.to_string()).raw("\" data-unused-usd-per-hour=\"");
        h.text(&c.unused_usd_per_hour.to_string()).raw("\" title=\"");
        let items: Vec<String> = c
            .items
            .iter()
            .map(|i| {
                format!(
                    "{} {}: {:.2} of {:.2} USD/hour used",
                    i.kind.as_str(),
                    i.name,
                    i.used_usd_per_hour,
                    i.fee_usd_per_hour
                )
            })
            .collect();
        h.text(&items.join("; ")).raw("\">");
        h.text(&format!(
            "{:.2} USD/hour in fees cover {:.2} on demand ({:.2} unused): {} {:.2} USD/hour",
            c.fees_usd_per_hour,
            c.covered_on_demand_usd_per_hour,
            c.unused_usd_per_hour,
            if c.savings_usd_per_hour >= 0.0 { "saves" } else { "costs" },
            c.savings_usd_per_hour.abs()
        ));
        h.raw("</dd></div>");
    }
    if let Some(after) = &o.after_reservations_end {
        h.raw("<div><dt>After the reservations end</dt><dd data-testid=\"after-reservations-end\" data-meets=\"");
        h.text(if after.meets_slos { "true" } else { "false" }).raw("\" title=\"");
        h.text(&after.reservations.join(", ")).raw("\">");
        h.text(&format!(
            "{} nodes, {:.2} USD/hour{}",
            after.summary.nodes,
            after.summary.cost_usd_per_hour,
            if after.meets_slos { "" } else { ", SLO bands missed or pods unplaced" }
        ));
        h.raw("</dd></div>");
    }
    // Which prices every figure above used: an overlay's date, or the built-in snapshot's.
    h.raw("<div><dt>Prices</dt><dd data-testid=\"prices-used\" data-date=\"");
    h.text(o.prices.overlay_date.as_deref().unwrap_or_default()).raw("\">").text(&o.prices.note);
    h.raw("</dd></div>");
}

/// One `tbody` per deployment fleet: its replicas, devices and pools, then a full-width row with its
/// latency bands (one per SLO), so the bands keep their width in a narrow column, and, when a replica
/// does not fit its instance type's memory, a row with why and the ways out.
fn deployments_table(h: &mut Html, o: &Outcome) {
    h.raw("<table class=\"tf-table tf-deployments\"><thead><tr>");
    h.raw("<th>Fleet</th><th>Replicas</th><th>Devices</th><th>NodePool</th></tr></thead>");
    for d in &o.deployments {
        h.raw("<tbody data-testid=\"deployment-result\" data-deployment=\"").text(&d.name);
        h.raw("\"><tr class=\"tf-deployment-facts\"><td>").text(&d.name);
        h.raw("<span class=\"tf-muted\"> (").text(&d.role).raw(")</span></td><td>");
        h.text(&format!("{} (max {})", count(d.replicas as u64, "replica"), d.replicas_max));
        if let Some(r) = d.replicas_for_peak {
            h.text(&format!(" · {r} for peak"));
        }
        h.raw("</td><td>").text(&format!(
            "{} ({} per replica)",
            count(d.devices as u64, "device"),
            d.devices_per_replica
        ));
        h.raw("</td><td>").text(&d.node_pools.join(", "));
        h.raw("</td></tr><tr><td colspan=\"4\"><div class=\"tf-bands\">");
        for band in &d.latency {
            latency_band(h, band);
        }
        h.raw("</div></td></tr>");
        // A replica that does not fit its instance type's memory: why, and core's ways out.
        if let Some(s) = &d.memory_shortfall {
            h.raw("<tr><td colspan=\"4\"><p class=\"tf-error\" data-testid=\"fit-reason\" data-instance-type=\"");
            h.text(&s.instance_type).raw("\">Does not fit ").text(&s.instance_type).raw(": ").text(&s.reason);
            h.raw("</p>");
            if !s.alternatives.is_empty() {
                h.raw("<ul data-testid=\"fit-alternatives\">");
                for a in &s.alternatives {
                    h.raw("<li data-testid=\"fit-alternative\" data-kind=\"").text(a.kind.as_str()).raw("\">");
                    h.text(if a.fits { "Fits: " } else { "Needs: " }).text(&a.change).raw("</li>");
                }
                h.raw("</ul>");
            }
            h.raw("</td></tr>");
        }
        h.raw("</tbody>");
    }
    h.raw("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenfleet_core::{place, plan::parse_plan};

    fn table(plan: &str) -> String {
        let mut h = Html::default();
        deployments_table(&mut h, &place::evaluate(&parse_plan(plan).unwrap()));
        h.finish()
    }

    #[test]
    fn a_replica_that_does_not_fit_shows_why_and_the_ways_out() {
        let big = include_str!("../../tests/data/plans/llama-405b-bf16-on-p5.yaml");
        let html = table(big);
        assert!(
            html.contains("data-testid=\"fit-reason\" data-instance-type=\"p5.48xlarge\">Does not fit p5.48xlarge: "),
            "{html}"
        );
        assert!(html.contains("needs 96.9 GiB per GPU but vllm leaves 72.0 GiB"), "{html}");
        assert!(
            html.contains(
                "<li data-testid=\"fit-alternative\" data-kind=\"precision\">Fits: precision fp8 instead of bf16"
            ),
            "{html}"
        );
        let fits = table(&big.replace("precision: bf16", "precision: fp8"));
        assert!(!fits.contains("fit-reason") && !fits.contains("fit-alternatives"), "{fits}");
    }
}
