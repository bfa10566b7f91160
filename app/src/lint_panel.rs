//! Lint findings of the current plan: code, severity, message and fix; clicking one focuses its field.

use leptos::prelude::*;
use tokenfleet_core::lint::Finding;

use crate::dom::handler;
use crate::store::{focus_field, Store};

/// A finding's row key: everything its row shows, so a finding that changed is redrawn and the
/// others stay.
fn finding_key(f: &Finding) -> String {
    let line = f.line.map(|l| l.to_string()).unwrap_or_default();
    [f.code.as_str(), f.severity.as_str(), &f.path, &f.message, &f.fix, &f.document.to_string(), &line].join("\u{1f}")
}

/// Findings with their row keys; a repeated finding gets its occurrence appended, so keys stay unique.
fn keyed(findings: Vec<Finding>) -> Vec<(String, Finding)> {
    let mut seen: Vec<String> = Vec::new();
    findings
        .into_iter()
        .map(|f| {
            let key = finding_key(&f);
            let repeats = seen.iter().filter(|k| **k == key).count();
            seen.push(key.clone());
            (format!("{key}\u{1f}{repeats}"), f)
        })
        .collect()
}

/// A list of findings, keyed; each is a button that focuses the field it is about (when it is on screen).
#[component]
pub fn FindingList(#[prop(into)] findings: Signal<Vec<Finding>>, #[prop(optional)] focusable: bool) -> impl IntoView {
    view! {
        <ul class="tf-findings">
            <For each=move || keyed(findings.get()) key=|(key, _)| key.clone() let:row>
                {
                    let f = row.1;
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
                    }
                }
            </For>
        </ul>
    }
}

#[component]
pub fn LintPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let findings = Memo::new(move |_| store.derived.with(|d| d.findings.clone()));
    view! {
        <section class="tf-panel" aria-labelledby="lint-title" data-testid="lint-panel">
            <h2 id="lint-title">"Lint " <span class="tf-muted">{move || format!("({} findings)", findings.with(Vec::len))}</span></h2>
            <Show when=move || findings.with(Vec::is_empty)>
                <p class="tf-ok" data-testid="lint-clean">"No findings: the plan is lint-clean."</p>
            </Show>
            <FindingList findings=findings focusable=true />
        </section>
    }
}
