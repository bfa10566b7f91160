//! The simulated day beside the static bands: the plan judged over its own day (core's
//! `sim::judge_plan`, the verdict `tokenfleet plan` prints), a moment after the last edit. The seeds
//! run in one background task; a failing day's reasons in a second one, so neither blocks an edit.

use std::time::Duration;

use leptos::prelude::*;
use tokenfleet_core::sim::{self, DayCheck, DayOptions, PlanInputs};

use crate::store::{after_edits, Store};

#[component]
pub fn DayVerdict() -> impl IntoView {
    let store = expect_context::<Store>();
    // In the store: the comparison and the verdict bar read it too.
    let day = store.day;
    after_edits(store, Duration::from_millis(250), move |plan| {
        // The browser reads no trace files: a plan's inline trace, else the profile.
        let inputs = PlanInputs::for_plan(&plan);
        let quick = DayOptions { explain: false, ..DayOptions::default() };
        let result = sim::judge_plan(&plan, &inputs, &quick).map_err(|e| e.to_string());
        let failed_seed = result.as_ref().ok().filter(|d| !d.passes()).map(|d| d.worst_seed);
        day.set(Some(result));
        if let Some(seed) = failed_seed {
            // The reasons: the worst seed again, explained, in a task of its own.
            set_timeout(
                move || {
                    let explain = DayOptions { seeds: vec![seed], ..DayOptions::default() };
                    if let Ok(d) = sim::judge_plan(&plan, &inputs, &explain) {
                        day.update(|current| {
                            if let Some(Ok(current)) = current {
                                current.reasons = d.reasons;
                            }
                        });
                    }
                },
                Duration::ZERO,
            );
        }
    });
    let verdict = move || match day.with(|d| d.as_ref().map(|d| d.as_ref().map(DayCheck::passes).ok())) {
        None => "pending",
        Some(Some(true)) => "pass",
        Some(Some(false)) => "fail",
        Some(None) => "error",
    };
    view! {
        <h3>"Simulated day"</h3>
        <div class="tf-day" data-testid="day-verdict" data-verdict=verdict aria-live="polite">
            {move || day.with(|d| match d {
                None => view! { <p class="tf-muted">"Simulating the plan's day…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="tf-error">{format!("The day cannot be simulated: {e}")}</p> }.into_any(),
                Some(Ok(d)) => {
                    let source = d.profile.clone().map_or("the plan's trace".to_string(), |p| format!("the {p} profile"));
                    let rows = d.slo_attainment.iter().map(|(key, attained)| {
                        let required = d.slo_required.get(key).copied().unwrap_or(0.0);
                        let meets = *attained + 1e-9 >= required;
                        view! {
                            <li data-testid="day-attainment" data-slo=key.clone() data-value=attained.to_string()
                                class=if meets { "tf-ok" } else { "tf-error" }>
                                {format!("{key}: {:.2} % of requests (worst seed), {:.0} % asked: {}",
                                    attained * 100.0, required * 100.0, if meets { "meets" } else { "misses" })}
                            </li>
                        }
                    }).collect_view();
                    let reasons = d.reasons.iter().map(|r| view! { <li data-testid="day-reason">{r.message.clone()}</li> }).collect_view();
                    view! {
                        <p>
                            <strong>{if d.passes() { "Passes its day" } else { "Fails its day" }}</strong>
                            {format!(" ({source}, 24 h, {} seeds): {} requests dropped, {:.0} autoscaler reversals a day (at most {:.0}), {:.2} USD a day.",
                                d.seeds.len(), d.requests_dropped, d.autoscaler_reversals_per_day,
                                sim::verdict::MAX_REVERSALS_PER_DAY, d.cost_usd_per_day)}
                        </p>
                        <ul class="tf-day-slos">{rows}</ul>
                        <ul class="tf-day-reasons">{reasons}</ul>
                    }.into_any()
                }
            })}
        </div>
    }
}
