//! The toolbar: templates, undo/redo, share link (with a warning when it is long), theme.

use leptos::prelude::*;
use tokenfleet_core::examples::EXAMPLES;
use tokenfleet_core::share::SHARE_LINK_WARN_CHARS;

use crate::dom::{self, handler};
use crate::store::{example_plan, Store};
use crate::theme::Theme;

#[component]
pub fn Toolbar() -> impl IntoView {
    let store = expect_context::<Store>();
    // The link carries the whole plan, deflated: encoding it is not part of the edit the person
    // waits for. It is refreshed once the edit has been painted (one encoding for edits made
    // together); the Copy button encodes the plan as it is at the click.
    let share_url = RwSignal::new(store.share_url());
    let pending = std::rc::Rc::new(std::cell::Cell::new(false));
    Effect::new(move |first: Option<()>| {
        store.plan.track();
        store.compare.track();
        if first.is_some() && !pending.replace(true) {
            let pending = pending.clone();
            dom::after_paint(move || {
                pending.set(false);
                share_url.set(store.share_url());
            });
        }
    });
    let theme = expect_context::<Theme>();
    // Links carry the whole plan: a long trace makes a long link, which some tools cut.
    let long_link = Memo::new(move |_| share_url.with(|u| (u.len() > SHARE_LINK_WARN_CHARS).then_some(u.len())));
    let template = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        if let Some(plan) = example_plan(&name) {
            store.replace(&format!("Open template {name}"), plan);
        }
    };
    view! {
        <nav class="tf-toolbar" aria-label="Plan actions">
            <label class="tf-field tf-inline-field">
                <span class="tf-field-label">"Template"</span>
                <select data-testid="template" on:change=handler(template)>
                    <option value="" selected=true disabled=true>"Start from…"</option>
                    {EXAMPLES.iter().map(|(name, _)| view! { <option value=*name>{*name}</option> }).collect_view()}
                </select>
            </label>
            <button data-testid="undo" disabled=move || !store.can_undo() on:click=handler(move |_| store.undo())
                title=move || store.undo_label().map(|l| format!("Undo: {l} (Ctrl+Z)")).unwrap_or_else(|| "Nothing to undo".into())>
                "↶ Undo"
            </button>
            <button data-testid="redo" disabled=move || !store.can_redo() on:click=handler(move |_| store.redo())
                title=move || store.redo_label().map(|l| format!("Redo: {l} (Ctrl+Shift+Z)")).unwrap_or_else(|| "Nothing to redo".into())>
                "↷ Redo"
            </button>
            <a data-testid="share-link" href=move || share_url.get() class="tf-button"
                title="A link that carries the whole plan; nothing is uploaded">"Share link"</a>
            <button on:click=handler(move |_| dom::copy(&store.share_url())) data-testid="share-copy">"Copy link"</button>
            {move || long_link.get().map(|n| view! {
                <span class="tf-warn-text" role="status" data-testid="share-link-long">
                    {format!("The link is {n} characters long (the plan's trace): browsers open it, but chat and mail tools may cut it; download the plan to share it as a file.")}
                </span>
            }.into_any())}
            <button on:click=handler(move |_| theme.toggle()) aria-pressed=move || theme.dark().to_string() data-testid="theme-toggle">
                {move || if theme.dark() { "☀ Light" } else { "☾ Dark" }.to_string()}
            </button>
        </nav>
    }
}
