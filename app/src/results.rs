//! The results panel: headline figures, per-deployment replicas and latency bands against each SLO
//! (`latency_band`), nodes per pool by instance type and capacity type, and a diagram of pods on nodes.

use leptos::prelude::*;
use tokenfleet_core::place::Outcome;
use tokenfleet_core::units::count;

use crate::latency_band::latency_band;
use crate::store::Store;
use crate::summary::Summary;

#[component]
pub fn ResultsPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let outcome = Memo::new(move |_| store.derived.with(|d| d.outcome.clone()));
    view! {
        <section class="tf-panel" aria-labelledby="results-title" data-testid="results-panel">
            <h2 id="results-title">"Results"</h2>
            {move || view! { <Summary outcome=outcome.get() /> }}
            {move || outcome.with(extra_figures)}
            <h3>"Deployments"</h3>
            <div class="tf-scroll">{move || outcome.with(deployments_table)}</div>
            <h3>"Pods on nodes"</h3>
            {move || outcome.with(pods_diagram)}
            {move || outcome.with(|o| (!o.unplaced.is_empty()).then(|| view! {
                <ul class="tf-unplaced" role="alert">
                    {o.unplaced.iter().map(|u| view! {
                        <li data-testid="unplaced">{format!("{} of {} could not be placed: {}", count(u.replicas as u64, "replica"), u.deployment, u.reason)}</li>
                    }).collect_view()}
                </ul>
            }))}
        </section>
    }
}

fn extra_figures(o: &Outcome) -> impl IntoView {
    let s = &o.summary;
    view! {
        <dl class="tf-figures tf-figures-small">
            <div><dt>"Per million tokens"</dt>
                <dd data-testid="usd-per-million-tokens" data-value=s.usd_per_million_tokens.map(|v| v.to_string()).unwrap_or_default()>
                    {s.usd_per_million_tokens.map(|v| format!("{v:.3} USD/Mtok")).unwrap_or_else(|| "— (no traffic)".into())}
                </dd></div>
            <div><dt>"Reserved (paid anyway)"</dt><dd>{format!("{:.2} USD/hour", s.reserved_usd_per_hour)}</dd></div>
            <div><dt>"Marginal"</dt><dd>{format!("{:.2} USD/hour", s.marginal_usd_per_hour)}</dd></div>
        </dl>
    }
}

/// One `tbody` per deployment fleet: its replicas, devices and pools, then a full-width row with its
/// latency bands (one per SLO), so the bands keep their width in a narrow column.
fn deployments_table(o: &Outcome) -> impl IntoView {
    view! {
        <table class="tf-table tf-deployments">
            <thead><tr>
                <th>"Fleet"</th><th>"Replicas"</th><th>"Devices"</th><th>"NodePool"</th>
            </tr></thead>
            {o.deployments.iter().map(|d| view! {
                <tbody data-testid="deployment-result" data-deployment=d.name.clone()>
                    <tr class="tf-deployment-facts">
                        <td>{d.name.clone()} <span class="tf-muted">" (" {d.role.clone()} ")"</span></td>
                        <td>{format!("{} (max {})", count(d.replicas as u64, "replica"), d.replicas_max)}
                            {d.replicas_for_peak.map(|r| format!(" · {r} for peak"))}</td>
                        <td>{format!("{} ({} per replica)", count(d.devices as u64, "device"), d.devices_per_replica)}</td>
                        <td>{d.node_pools.join(", ")}</td>
                    </tr>
                    <tr>
                        <td colspan="4">
                            <div class="tf-bands">{d.latency.iter().map(latency_band).collect_view()}</div>
                        </td>
                    </tr>
                </tbody>
            }).collect_view()}
        </table>
    }
}

/// Each node a box, each pod a block inside it; pools side by side in priority order.
fn pods_diagram(o: &Outcome) -> impl IntoView {
    view! {
        <div class="tf-pods" data-testid="pods-diagram" role="img" aria-label="Pods placed on nodes, per NodePool">
            {o.pools.iter().filter(|p| !p.nodes.is_empty()).map(|p| view! {
                <div class="tf-pods-pool">
                    <div class="tf-pods-title">{format!("{} · {} used, {} free · {:.2} USD/hour", p.name, count(p.devices_used as u64, "device"), p.devices_free, p.cost_usd_per_hour)}</div>
                    <div class="tf-pods-nodes">
                        {p.nodes.iter().flat_map(|g| {
                            let per_node = g.pods.div_ceil(g.count.max(1));
                            let mut left = g.pods;
                            (0..g.count.min(64)).map(move |_| {
                                let here = per_node.min(left);
                                left -= here;
                                view! {
                                    <div class=format!("tf-node tf-cap-{}", g.capacity_type.as_str()) title=format!("{} ({})", g.instance_type, g.capacity_type.as_str())>
                                        <span class="tf-node-type">{g.instance_type.clone()}</span>
                                        <span class="tf-node-pods">{(0..here).map(|_| view! { <span class="tf-pod"></span> }).collect_view()}</span>
                                    </div>
                                }
                            }).collect::<Vec<_>>()
                        }).collect_view()}
                    </div>
                </div>
            }).collect_view()}
        </div>
    }
}
