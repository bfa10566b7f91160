//! The headline figures of a placed plan: devices, nodes, cost per hour, and the node groups.

use leptos::prelude::*;
use tokenfleet_core::place::Outcome;

/// Devices, nodes and cost of an outcome; every figure shows its unit and carries its raw value in
/// `data-value` for tests.
#[component]
pub fn Summary(outcome: Outcome) -> impl IntoView {
    let s = outcome.summary.clone();
    let groups =
        outcome.pools.iter().flat_map(|p| p.nodes.iter().map(move |n| (p.name.clone(), n.clone()))).collect::<Vec<_>>();
    view! {
        <dl class="tf-figures">
            <div>
                <dt>"Devices"</dt>
                <dd data-testid="devices" data-value=s.devices.to_string()>{s.devices} " accelerators"</dd>
            </div>
            <div>
                <dt>"Nodes"</dt>
                <dd data-testid="nodes" data-value=s.nodes.to_string()>{s.nodes} " nodes"</dd>
            </div>
            <div>
                <dt>"Cost"</dt>
                <dd data-testid="total-cost-usd-per-hour" data-value=s.cost_usd_per_hour.to_string()>
                    {format!("{:.2}", s.cost_usd_per_hour)} " USD/hour"
                </dd>
            </div>
        </dl>
        <div class="tf-scroll">
        <table class="tf-table">
            <thead>
                <tr><th>"NodePool"</th><th>"Instance type"</th><th>"Capacity"</th><th>"Nodes"</th><th>"USD/hour each"</th></tr>
            </thead>
            <tbody>
                {groups
                    .into_iter()
                    .map(|(pool, n)| view! {
                        <tr data-testid="node-group">
                            <td>{pool}</td>
                            <td>{n.instance_type.clone()}</td>
                            <td>{n.capacity_type.as_str()}</td>
                            <td>{n.count}</td>
                            <td>{format!("{:.4}", n.usd_per_hour_each)}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
        </div>
    }
}
