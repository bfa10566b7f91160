//! Plans side by side: the plan pinned as A against the current one (B) — cost, nodes, devices,
//! latency bands and the simulated day, with the differences (`core::compare` says which way is
//! better). A is kept in storage and travels in share links (`store.compare`).

use std::time::Duration;

use leptos::prelude::*;
use tokenfleet_core::compare::{self, Side};
use tokenfleet_core::place;
use tokenfleet_core::sim::{self, DayCheck, DayOptions, PlanInputs};

use crate::dom::handler;
use crate::html::Html;
use crate::store::Store;

#[component]
pub fn ComparePanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let pinned = store.compare;
    let outcome_a = Memo::new(move |_| pinned.with(|a| a.as_ref().map(place::evaluate)));
    // A's day, judged once per pin in a task of its own (B's is the day verdict's, in the store).
    let day_a = RwSignal::new(None::<Result<DayCheck, String>>);
    Effect::new(move |_| {
        let Some(a) = pinned.get() else {
            day_a.set(None);
            return;
        };
        day_a.set(None);
        set_timeout(
            move || {
                let inputs = PlanInputs::for_plan(&a);
                let quick = DayOptions { explain: false, ..DayOptions::default() };
                day_a.set(Some(sim::judge_plan(&a, &inputs, &quick).map_err(|e| e.to_string())));
            },
            Duration::ZERO,
        );
    });
    let table = Memo::new(move |_| {
        outcome_a.with(|oa| {
            let Some(oa) = oa else { return String::new() };
            store.derived.with(|d| {
                day_a.with(|da| {
                    store.day.with(|db| {
                        let name_a = pinned.with(|a| a.as_ref().map(|a| a.metadata.name.clone()).unwrap_or_default());
                        let name_b = store.plan.with(|p| p.metadata.name.clone());
                        write_table(
                            &compare::compare(side(oa, da), side(&d.outcome, db)),
                            &name_a,
                            &name_b,
                            da.is_none() || db.is_none(),
                        )
                    })
                })
            })
        })
    });
    let pin = move |_| {
        pinned.set(Some(store.plan.get_untracked()));
        store.notify(false, "Pinned this plan as A: edit it or apply a recommendation to compare.");
    };
    let open_a = move |_| {
        if let Some(a) = pinned.get_untracked() {
            store.replace("Open plan A", a);
        }
    };
    view! {
        <section class="tf-panel" aria-labelledby="compare-title" data-testid="compare-panel">
            <h2 id="compare-title">"Compare plans"</h2>
            <div class="tf-actions">
                <button data-testid="compare-pin" on:click=handler(pin)>
                    {move || if pinned.with(Option::is_some) { "Pin this plan as A instead" } else { "Pin this plan as A" }}
                </button>
                <button data-testid="compare-open-a" hidden=move || pinned.with(Option::is_none)
                    on:click=handler(open_a)>"Go back to A"</button>
                <button data-testid="compare-clear" hidden=move || pinned.with(Option::is_none)
                    on:click=handler(move |_| pinned.set(None))>"Stop comparing"</button>
            </div>
            <p class="tf-muted" hidden=move || pinned.with(Option::is_some)>
                "Pin the current plan as A, then edit it or apply a recommendation: A and the plan as it is now (B) are compared here, figure by figure."
            </p>
            <div class="tf-scroll" tabindex="0" role="region" aria-label="Plan A against plan B" aria-live="polite"
                hidden=move || pinned.with(Option::is_none) inner_html=move || table.get()></div>
        </section>
    }
}

fn side<'a>(outcome: &'a place::Outcome, day: &'a Option<Result<DayCheck, String>>) -> Side<'a> {
    Side { outcome, day: day.as_ref().and_then(|d| d.as_ref().ok()) }
}

/// The comparison as HTML: a row per figure, A, B and the difference (`data-change` says whether B
/// is better or worse).
fn write_table(rows: &[compare::Row], name_a: &str, name_b: &str, simulating: bool) -> String {
    let mut h = Html::default();
    h.raw("<table class=\"tf-table tf-compare\" data-testid=\"compare-table\"><caption>");
    h.text(if simulating {
        "A is the pinned plan, B the plan as it is now. Simulating the days…"
    } else {
        "A is the pinned plan, B the plan as it is now; days simulated on the plan's traffic, 24 h."
    });
    h.raw("</caption><thead><tr><th scope=\"col\">Figure</th><th scope=\"col\">A: ").text(name_a);
    h.raw("</th><th scope=\"col\">B: ").text(name_b).raw("</th><th scope=\"col\">B − A</th></tr></thead><tbody>");
    for row in rows {
        h.raw("<tr data-testid=\"compare-row\" data-metric=\"").text(&row.key).raw("\"><th scope=\"row\">");
        h.text(&row.label).raw("</th>");
        for (side, value) in [("a", row.a), ("b", row.b)] {
            h.raw("<td data-plan=\"").text(side).raw("\" data-value=\"");
            h.text(&value.map(|v| v.to_string()).unwrap_or_default()).raw("\">").text(&row.show(value)).raw("</td>");
        }
        let change = row.change().as_str();
        h.raw("<td data-plan=\"delta\" data-change=\"").text(change).raw("\" class=\"tf-change-").text(change);
        h.raw("\" data-value=\"").text(&row.delta().map(|v| v.to_string()).unwrap_or_default()).raw("\">");
        h.text(&row.show_delta());
        // In words too, not by colour alone.
        if matches!(row.change(), compare::Change::Better | compare::Change::Worse) {
            h.raw(" <span class=\"tf-change-word\">(").text(change).raw(")</span>");
        }
        h.raw("</td></tr>");
    }
    h.raw("</tbody></table>");
    h.finish()
}
