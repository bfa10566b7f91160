//! Lint findings of the current plan: code, severity, message and fix; clicking one focuses its field.

use leptos::prelude::*;
use tokenfleet_core::lint::Finding;

use crate::dom::handler;
use crate::store::{focus_field, Store};

/// A list of findings; each is a button that focuses the field it is about (when it is on screen).
#[component]
pub fn FindingList(#[prop(into)] findings: Signal<Vec<Finding>>, #[prop(optional)] focusable: bool) -> impl IntoView {
    view! {
        <ul class="tf-findings">
            {move || findings.get().into_iter().map(|f| {
                let path = f.path.clone();
                let location = match (f.document, f.line) {
                    (d, Some(l)) if d > 0 => format!("document {d}, line {l} · {}", f.path),
                    (_, Some(l)) => format!("line {l} · {}", f.path),
                    _ => f.path.clone(),
                };
                view! {
                    <li class=format!("tf-finding tf-sev-{}", f.severity.as_str()) data-testid="lint-finding" data-code=f.code.clone()>
                        <button class="tf-finding-button" disabled=!focusable on:click=handler(move |_| { focus_field(&path); })>
                            <span class="tf-code">{f.code.clone()}</span>
                            <span class="tf-sev">{f.severity.as_str()}</span>
                            <span class="tf-msg">{f.message.clone()}</span>
                            <span class="tf-where">{location}</span>
                            <span class="tf-fix">"Fix: " {f.fix.clone()}</span>
                        </button>
                    </li>
                }.into_any()
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn LintPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let findings = Signal::derive(move || store.derived.with(|d| d.findings.clone()));
    view! {
        <section class="tf-panel" aria-labelledby="lint-title" data-testid="lint-panel">
            <h2 id="lint-title">"Lint " <span class="tf-muted">{move || format!("({} findings)", findings.with(Vec::len))}</span></h2>
            {move || findings.with(Vec::is_empty).then(|| view! { <p class="tf-ok" data-testid="lint-clean">"No findings: the plan is lint-clean."</p> }.into_any())}
            <FindingList findings=findings focusable=true />
        </section>
    }
}
