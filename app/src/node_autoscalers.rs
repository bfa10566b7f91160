//! Karpenter and Cluster Autoscaler side by side: the plan's day (the plan's traffic, one seed) under
//! both node autoscalers, core's `sim::compare_node_autoscalers` (what `tokenfleet simulate
//! --node-autoscaler cluster-autoscaler` prints). It runs when asked, then a moment after each edit;
//! the table is a read-only report written as HTML text (`html`).

use std::time::Duration;

use leptos::prelude::*;
use tokenfleet_core::plan::Plan;
use tokenfleet_core::sim::{self, NodeAutoscalerFigures, PlanInputs, SimOptions};

use crate::dom::handler;
use crate::html::Html;
use crate::store::{after_edits, Store};

#[component]
pub fn NodeAutoscalers() -> impl IntoView {
    let store = expect_context::<Store>();
    let asked = RwSignal::new(false);
    let report = RwSignal::new(String::new());
    after_edits(store, Duration::from_millis(300), move |plan| {
        if asked.get_untracked() {
            report.set(compare(&plan));
        }
    });
    let ask = move |_| {
        asked.set(true);
        // In a task of its own, so the button goes before the two days are simulated.
        set_timeout(move || report.set(store.plan.with_untracked(compare)), Duration::ZERO);
    };
    view! {
        <h3>"Karpenter or Cluster Autoscaler"</h3>
        <button data-testid="compare-node-autoscalers" hidden=move || asked.get()
            on:click=handler(ask)>"Simulate the day with Cluster Autoscaler too"</button>
        <div class="tf-scroll" tabindex="0" role="region" aria-label="Karpenter against Cluster Autoscaler" data-testid="node-autoscaler-comparison" aria-live="polite"
            inner_html=move || report.get()></div>
    }
}

/// A row of the table: its key (`data-metric`), label, figure and unit.
type Row = (&'static str, &'static str, fn(&NodeAutoscalerFigures) -> f64, &'static str);

/// The comparison as HTML: one row per figure, a column per node autoscaler.
fn compare(plan: &Plan) -> String {
    let inputs = PlanInputs::for_plan(plan);
    let result = sim::from_plan(plan, &inputs).and_then(|sc| {
        let ca = sim::cluster_autoscaler_spec(plan, &sc.pools)?;
        sim::compare_node_autoscalers(&sc, ca, &SimOptions::default())
    });
    let mut h = Html::default();
    let comparison = match result {
        Ok(timeline) => timeline.summary.comparison,
        Err(e) => {
            h.raw("<p class=\"tf-error\">").text(&format!("The day cannot be simulated: {e}")).raw("</p>");
            return h.finish();
        }
    };
    let Some(c) = comparison else { return h.finish() };
    let groups = match plan.spec.cluster_autoscaler.as_ref().map(|ca| ca.node_groups.len()) {
        Some(n) if n > 0 => format!("the plan's {n} node groups"),
        _ => "node groups derived from the NodePools (one per pool, instance type and capacity type)".to_string(),
    };
    h.raw("<table class=\"tf-table\"><caption>");
    h.text(&format!("The same day and seed; Cluster Autoscaler with {groups} and the plan's settings."));
    h.raw("</caption><thead><tr><th></th><th>Karpenter</th><th>Cluster Autoscaler</th></tr></thead><tbody>");
    let rows: [Row; 8] = [
        ("attainment", "Worst SLO attainment", |f| 100.0 * f.slo_attainment.values().copied().fold(1.0, f64::min), "%"),
        ("cost_usd_per_day", "Cost", |f| f.cost_usd_per_day, "USD/day"),
        ("requests_dropped", "Requests dropped", |f| f.requests_dropped as f64, ""),
        ("longest_pending_s", "Longest a pod waited for capacity", |f| f.longest_pending_s, "s"),
        ("pod_startup_s_mean", "Pod start-up, mean", |f| f.pod_startup_s_mean, "s"),
        ("nodes_launched", "Nodes launched", |f| f.nodes_launched as f64, ""),
        ("nodes_removed", "Nodes removed", |f| f.nodes_removed as f64, ""),
        ("peak_nodes", "Peak nodes", |f| f.peak_nodes as f64, ""),
    ];
    for (key, label, value, unit) in rows {
        h.raw("<tr data-testid=\"node-autoscaler-row\" data-metric=\"").text(key).raw("\"><th>").text(label);
        h.raw("</th>");
        for (who, f) in [("karpenter", &c.karpenter), ("cluster-autoscaler", &c.cluster_autoscaler)] {
            let v = value(f);
            h.raw("<td data-autoscaler=\"").text(who).raw("\" data-value=\"").text(&v.to_string()).raw("\">");
            let shown = if unit == "%" {
                format!("{v:.2} %")
            } else if unit.is_empty() {
                format!("{v:.0}")
            } else {
                format!("{v:.1} {unit}")
            };
            h.text(&shown).raw("</td>");
        }
        h.raw("</tr>");
    }
    h.raw("</tbody></table>");
    h.finish()
}
