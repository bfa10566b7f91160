//! Tokenfleet's web app: components render what tokenfleet-core computes; no business logic here.
//!
//! One root [`store::Store`] holds the Plan, the history of committed actions and UI state; memos call
//! core (`evaluate`, `lint_plan`, `render`) once per edit; components read and commit through it.

mod archive;
mod board;
mod chart;
mod compare;
mod day;
mod deployments;
mod desktop;
mod dom;
mod export;
mod fields;
mod html;
mod import_panel;
mod latency_band;
mod lint_panel;
mod node_autoscalers;
mod pool_card;
mod recommend;
mod results;
pub mod store;
mod summary;
mod theme;
mod toolbar;
mod topology;
mod verdict_bar;
pub mod widget;
mod workload;

use leptos::prelude::*;

use crate::dom::handler;

pub use store::Store;

/// Whether keyboard focus is in a text control, where Ctrl+Z belongs to the control.
fn typing_in_field() -> bool {
    document()
        .active_element()
        .map(|e| {
            matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA")
                && e.get_attribute("type").as_deref() != Some("checkbox")
        })
        .unwrap_or(false)
}

/// The root component: the planner.
#[component]
pub fn App() -> impl IntoView {
    let store = Store::new();
    provide_context(store);
    provide_context(board::DropTargets);
    provide_context(topology::SimulatedDay(RwSignal::new(None)));
    theme::Theme::install();
    board::install_drag_listeners(store);
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let key = ev.key();
        if key == "Escape" && store.drag.with_untracked(Option::is_some) {
            ev.prevent_default();
            store.drag.set(None);
            return;
        }
        if (ev.ctrl_key() || ev.meta_key()) && !typing_in_field() {
            match (key.to_ascii_lowercase().as_str(), ev.shift_key()) {
                ("z", false) => {
                    ev.prevent_default();
                    store.undo();
                }
                ("z", true) | ("y", false) => {
                    ev.prevent_default();
                    store.redo();
                }
                _ => {}
            }
        }
    });
    let hash = window_event_listener(leptos::ev::hashchange, move |_| store.open_fragment());
    on_cleanup(move || {
        keys.remove();
        hash.remove();
    });
    let title = move || store.plan.with(|p| p.metadata.name.clone());
    let region = move || store.plan.with(|p| p.spec.region.clone());
    let recompute = move || store.derived.with(|d| d.recompute_ms);
    // The panels beside and below the results (charts, Recommend, export, import) mount once the
    // first frame with the plan's results has been painted: a timeout queued in that frame's
    // animation callback runs after its paint. Mounted with the rest, their canvases, text measuring
    // and the long export held the first results back (tests/e2e/load.test.mjs measures it).
    let settled = RwSignal::new(false);
    request_animation_frame(move || set_timeout(move || settled.set(true), std::time::Duration::ZERO));

    view! {
        <header class="tf-header">
            <h1>"Tokenfleet"</h1>
            <p class="tf-tagline">"LLM inference capacity on Amazon EKS with Karpenter"</p>
            <toolbar::Toolbar />
            <desktop::DesktopFiles />
        </header>
        {move || store.notice.get().map(|n| view! {
            <div class=if n.error { "tf-notice tf-notice-error" } else { "tf-notice" } role="alert" data-testid="notice">
                <span>{n.text}</span>
                <button class="tf-small" aria-label="Dismiss" on:click=handler(move |_| store.notice.set(None))>"✕"</button>
            </div>
        }.into_any())}
        <main class="tf-main">
            <verdict_bar::VerdictBar>
                <h2 id="plan-title" class="tf-verdict-title">"Plan " <span data-testid="plan-name">{move || title()}</span> " · " {move || region()}</h2>
            </verdict_bar::VerdictBar>
            <div class="tf-columns">
                <div class="tf-column">
                    <workload::WorkloadPanel />
                    <deployments::DeploymentsPanel />
                    <board::Board />
                </div>
                <div class="tf-column">
                    <results::ResultsPanel />
                    {move || settled.get().then(|| view! {
                        <compare::ComparePanel />
                        <chart::ChartsPanel />
                    }.into_any())}
                    <lint_panel::LintPanel />
                </div>
            </div>
            {move || settled.get().then(|| view! {
                <recommend::RecommendPanel />
                <export::ExportPanel />
                <import_panel::ImportPanel />
            }.into_any())}
        </main>
        <footer class="tf-footer">
            "Re-plan + lint + export: "
            <span data-testid="recompute-ms" data-value=move || recompute().to_string()>{move || format!("{:.2} ms", recompute())}</span>
            " · everything runs in your browser; nothing is uploaded."
        </footer>
    }
}

/// Shows a recoverable error over the page after a panic: the autosave holds the last good plan, so
/// reloading restores it; the person can also discard it. Written with plain DOM calls, because the
/// app itself can no longer run; the buttons are handled by public/boot.js (plain JS, no inline handler,
/// which the Content-Security-Policy forbids).
pub fn show_crash(message: &str) {
    let document = document();
    let Ok(overlay) = document.create_element("div") else { return };
    overlay.set_class_name("tf-crash");
    let _ = overlay.set_attribute("role", "alertdialog");
    let _ = overlay.set_attribute("data-testid", "crash");
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    overlay.set_inner_html(&format!(
        "<div class=\"tf-crash-box\"><h2>Something went wrong</h2>\
         <p>Tokenfleet hit an internal error. Your plan was autosaved before it happened: reload to continue \
         where you were.</p><pre>{escaped}</pre>\
         <button data-crash-action=\"reload\">Reload and restore my plan</button> \
         <button data-crash-action=\"discard\" data-autosave-key=\"{key}\">Discard the autosave and reload</button></div>",
        key = store::AUTOSAVE_KEY
    ));
    if let Some(body) = document.body() {
        let _ = body.append_child(&overlay);
    }
}
