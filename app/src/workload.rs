//! The workload panel: request rates, token lengths and SLOs.

use leptos::prelude::*;
use tokenfleet_core::edit::EditError;
use tokenfleet_core::plan::Plan;

use crate::fields::{number, show, Field};
use crate::store::Store;

/// One numeric workload field: reads with `get`, writes with `set`, commits as one action.
fn numeric_field(
    store: Store,
    path: &'static str,
    label: &'static str,
    unit: &'static str,
    get: fn(&Plan) -> f64,
    set: fn(&mut Plan, f64),
) -> impl IntoView {
    let value = Signal::derive(move || store.plan.with(|p| show(get(p))));
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
                    Ok::<(), EditError>(())
                })
            }
        />
    }
}

#[component]
pub fn WorkloadPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let slo_count = move || store.plan.with(|p| p.spec.workload.slos.len());
    view! {
        <section class="tf-panel" aria-labelledby="workload-title" data-testid="workload-panel">
            <h2 id="workload-title">"Workload"</h2>
            <div class="tf-grid">
                {numeric_field(store, "spec.workload.requestsPerSecond.baseline", "Baseline rate", "req/s",
                    |p| p.spec.workload.requests_per_second.baseline, |p, v| p.spec.workload.requests_per_second.baseline = v)}
                {numeric_field(store, "spec.workload.requestsPerSecond.peak", "Peak rate", "req/s",
                    |p| p.spec.workload.requests_per_second.peak, |p, v| p.spec.workload.requests_per_second.peak = v)}
                {numeric_field(store, "spec.workload.inputTokens.mean", "Input tokens, mean", "tokens",
                    |p| p.spec.workload.input_tokens.mean, |p, v| p.spec.workload.input_tokens.mean = v)}
                {numeric_field(store, "spec.workload.inputTokens.p90", "Input tokens, p90", "tokens",
                    |p| p.spec.workload.input_tokens.p90.unwrap_or(0.0), |p, v| p.spec.workload.input_tokens.p90 = Some(v))}
                {numeric_field(store, "spec.workload.outputTokens.mean", "Output tokens, mean", "tokens",
                    |p| p.spec.workload.output_tokens.mean, |p, v| p.spec.workload.output_tokens.mean = v)}
                {numeric_field(store, "spec.workload.outputTokens.p90", "Output tokens, p90", "tokens",
                    |p| p.spec.workload.output_tokens.p90.unwrap_or(0.0), |p, v| p.spec.workload.output_tokens.p90 = Some(v))}
            </div>
            <h3>"Service-level objectives"</h3>
            <div class="tf-grid">
                {move || (0..slo_count()).map(|i| {
                    let label = store.plan.with_untracked(|p| {
                        p.spec.workload.slos.get(i).map(|s| format!("{} p{}", s.metric.as_str(), show(s.percentile)))
                    }).unwrap_or_default();
                    let value = Signal::derive(move || store.plan.with(|p| p.spec.workload.slos.get(i).map(|s| show(s.limit_ms)).unwrap_or_default()));
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
                                store.commit(&format!("Set {title}"), |p| match p.spec.workload.slos.get_mut(i) {
                                    Some(s) => { s.limit_ms = v; Ok(()) }
                                    None => Err(EditError("that SLO no longer exists".into())),
                                })
                            }
                        />
                    }.into_any()
                }).collect_view()}
            </div>
        </section>
    }
}
