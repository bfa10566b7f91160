//! The plan's name and its verdict, always in view: cost, the static bands, the simulated day's attainment and pass or
//! fail with its first reason, and lint errors, in a bar that stays at the top of the page while the
//! inputs below it scroll. Each part links to the panel that explains it.

use leptos::prelude::*;
use tokenfleet_core::lint::Severity;
use tokenfleet_core::place;

use crate::store::Store;

#[component]
pub fn VerdictBar(
    /// The plan's title, first in the bar.
    children: Children,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let cost = Memo::new(move |_| {
        store.derived.with(|d| {
            let s = &d.outcome.summary;
            let per_mtok = s.usd_per_million_tokens.map(|v| format!(" · {v:.3} USD/Mtok")).unwrap_or_default();
            (
                s.cost_usd_per_hour,
                format!("{:.2} USD/hour{per_mtok} · {} nodes · {} devices", s.cost_usd_per_hour, s.nodes, s.devices),
            )
        })
    });
    // The static verdict as `tokenfleet plan` gives it (`place::meets_slos`), and what misses.
    let bands = Memo::new(move |_| {
        store.derived.with(|d| {
            let missed =
                d.outcome.deployments.iter().filter(|f| f.latency.iter().any(|l| l.meets_slo == Some(false))).count();
            let unplaced = d.outcome.summary.unplaced_pods;
            let verdict = if place::meets_slos(&d.outcome) { "pass" } else { "fail" };
            let text = match (missed, unplaced) {
                (0, 0) => "Bands meet the SLOs".to_string(),
                (0, u) => format!("{u} pods not placed"),
                (m, 0) => format!("{m} fleets miss an SLO band"),
                (m, u) => format!("{m} fleets miss an SLO band, {u} pods not placed"),
            };
            (verdict, text)
        })
    });
    let day = Memo::new(move |_| {
        store.day.with(|d| match d {
            None => ("pending", "Simulating the day…".to_string()),
            Some(Err(e)) => ("error", format!("The day cannot be simulated: {e}")),
            Some(Ok(d)) => {
                let worst = d
                    .slo_attainment
                    .iter()
                    .map(|(k, v)| (v - d.slo_required.get(k).copied().unwrap_or(0.0), k, v))
                    .min_by(|a, b| a.0.total_cmp(&b.0));
                let attainment = worst.map(|(_, k, v)| format!(", {k} {:.2} %", v * 100.0)).unwrap_or_default();
                if d.passes() {
                    ("pass", format!("Passes its day{attainment}"))
                } else {
                    let reason = d.reasons.first().map(|r| format!(": {}", r.message)).unwrap_or_default();
                    ("fail", format!("Fails its day{attainment}{reason}"))
                }
            }
        })
    });
    let lint_errors =
        Memo::new(move |_| store.derived.with(|d| d.findings.iter().filter(|f| f.severity == Severity::Error).count()));
    view! {
        <section class="tf-verdict-bar" data-testid="verdict-bar" aria-labelledby="plan-title">
            {children()}
            <div class="tf-verdict-parts" aria-live="polite">
            <a href="#results-title" class="tf-verdict-cost" data-testid="verdict-cost" data-value=move || cost.with(|c| c.0.to_string())>
                {move || cost.with(|c| c.1.clone())}
            </a>
            <a href="#results-title" class="tf-verdict-part" data-testid="verdict-bands" data-verdict=move || bands.with(|b| b.0)>
                {move || bands.with(|b| b.1.clone())}
            </a>
            <a href="#results-title" class="tf-verdict-part" data-testid="verdict-day" data-verdict=move || day.with(|d| d.0)
                title=move || day.with(|d| d.1.clone())>
                {move || day.with(|d| d.1.clone())}
            </a>
            <a href="#lint-title" class="tf-verdict-part" data-testid="verdict-lint"
                data-verdict=move || if lint_errors.get() == 0 { "pass" } else { "fail" }>
                {move || match lint_errors.get() { 0 => "No lint errors".to_string(), 1 => "1 lint error".to_string(), n => format!("{n} lint errors") }}
            </a>
            </div>
        </section>
    }
}
