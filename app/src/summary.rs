//! The headline figures of a placed plan: devices, nodes, cost per hour, and the node groups.

use tokenfleet_core::place::Outcome;

use crate::html::Html;

/// Devices, nodes and cost of an outcome, as the children of `dl.tf-figures`; every figure shows its
/// unit and carries its raw value in `data-value` for tests.
pub fn figures(h: &mut Html, o: &Outcome) {
    let s = &o.summary;
    h.raw("<div><dt>Devices</dt><dd data-testid=\"devices\" data-value=\"").text(&s.devices.to_string());
    h.raw("\">").text(&s.devices.to_string()).raw(" accelerators</dd></div>");
    h.raw("<div><dt>Nodes</dt><dd data-testid=\"nodes\" data-value=\"").text(&s.nodes.to_string());
    h.raw("\">").text(&s.nodes.to_string()).raw(" nodes</dd></div>");
    h.raw("<div><dt>Cost</dt><dd data-testid=\"total-cost-usd-per-hour\" data-value=\"");
    h.text(&s.cost_usd_per_hour.to_string()).raw("\">");
    h.text(&format!("{:.2}", s.cost_usd_per_hour)).raw(" USD/hour</dd></div>");
}

/// The node groups of an outcome, one row each, as the content of a `div.tf-scroll`.
pub fn node_groups(h: &mut Html, o: &Outcome) {
    h.raw("<table class=\"tf-table\"><thead><tr><th>NodePool</th><th>Instance type</th><th>Capacity</th>");
    h.raw("<th>Nodes</th><th>USD/hour each</th></tr></thead><tbody>");
    for p in &o.pools {
        for n in &p.nodes {
            h.raw("<tr data-testid=\"node-group\"><td>").text(&p.name);
            h.raw("</td><td>").text(&n.instance_type);
            h.raw("</td><td>").text(n.capacity_type.as_str());
            // Savings Plans and Reserved Instances: the nodes billed at a committed rate.
            if n.committed > 0.0 {
                h.raw(" <span class=\"tf-muted\" data-testid=\"node-group-committed\" data-value=\"");
                h.text(&n.committed.to_string())
                    .raw("\">(")
                    .text(&format!("{} committed", n.committed))
                    .raw(")</span>");
            }
            h.raw("</td><td>").text(&n.count.to_string());
            h.raw("</td><td>").text(&format!("{:.4}", n.usd_per_hour_each)).raw("</td></tr>");
        }
    }
    h.raw("</tbody></table>");
}
