//! The workload panel: request rates, token lengths and SLOs.

use leptos::prelude::*;
use tokenfleet_core::plan::{Plan, Workload};

use crate::fields::{number, show, Field};
use crate::store::Store;

/// One numeric workload field: reads with `get`, writes with `set`, commits as one action.
fn numeric_field(
    store: Store,
    path: &'static str,
    label: &'static str,
    unit: &'static str,
    workload: Memo<Workload>,
    get: fn(&Workload) -> f64,
    set: fn(&mut Plan, f64),
) -> impl IntoView {
    let value = Signal::derive(move || workload.with(|w| show(get(w))));
    view! {
        <Field
            path=path
            label=label
            unit=unit
            value=value
            numeric=true
            on_commit=move |text: String| {
                let v = number(&text, unit)?;
                store.commit(&format!("Set {label}"), |p| {
                    set(p, v);
                    Ok(())
                })
            }
        />
    }
}

#[component]
pub fn WorkloadPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    // The workload as the plan holds it: its fields read it rather than the whole plan, so an edit
    // elsewhere touches none of them.
    let workload = Memo::new(move |_| store.plan.with(|p| p.spec.workload.clone()));
    // One field per SLO, keyed by its place and what it measures: a limit edit touches one input.
    let slos = Memo::new(move |_| {
        workload.with(|w| {
            w.slos
                .iter()
                .map(|s| format!("{} p{}", s.metric.as_str(), show(s.percentile)))
                .enumerate()
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="tf-panel" aria-labelledby="workload-title" data-testid="workload-panel">
            <h2 id="workload-title">"Workload"</h2>
            <div class="tf-grid">
                {numeric_field(store, "spec.workload.requestsPerSecond.baseline", "Baseline rate", "req/s", workload,
                    |w| w.requests_per_second.baseline, |p, v| p.spec.workload.requests_per_second.baseline = v)}
                {numeric_field(store, "spec.workload.requestsPerSecond.peak", "Peak rate", "req/s", workload,
                    |w| w.requests_per_second.peak, |p, v| p.spec.workload.requests_per_second.peak = v)}
                {numeric_field(store, "spec.workload.inputTokens.mean", "Input tokens, mean", "tokens", workload,
                    |w| w.input_tokens.mean, |p, v| p.spec.workload.input_tokens.mean = v)}
                {numeric_field(store, "spec.workload.inputTokens.p90", "Input tokens, p90", "tokens", workload,
                    |w| w.input_tokens.p90.unwrap_or(0.0), |p, v| p.spec.workload.input_tokens.p90 = Some(v))}
                {numeric_field(store, "spec.workload.outputTokens.mean", "Output tokens, mean", "tokens", workload,
                    |w| w.output_tokens.mean, |p, v| p.spec.workload.output_tokens.mean = v)}
                {numeric_field(store, "spec.workload.outputTokens.p90", "Output tokens, p90", "tokens", workload,
                    |w| w.output_tokens.p90.unwrap_or(0.0), |p, v| p.spec.workload.output_tokens.p90 = Some(v))}
            </div>
            <h3>"Service-level objectives"</h3>
            <div class="tf-grid">
                <For each=move || slos.get() key=Clone::clone let:slo>
                    {
                        let (i, label) = slo;
                        let value = Signal::derive(move || workload.with(|w| w.slos.get(i).map(|s| show(s.limit_ms)).unwrap_or_default()));
                        let title = format!("SLO {label} limit");
                        view! {
                            <Field
                                path=format!("spec.workload.slos[{i}].limitMs")
                                label=title.clone()
                                unit="ms"
                                value=value
                                numeric=true
                                on_commit=move |text: String| {
                                    let v = number(&text, "milliseconds")?;
                                    store.commit(&format!("Set {title}"), |p| p.set_slo_limit(i, v))
                                }
                            />
                        }
                    }
                </For>
            </div>
        </section>
    }
}
