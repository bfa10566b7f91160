//! The toolbar: templates, undo/redo, share link, theme.

use leptos::prelude::*;
use tokenfleet_core::examples::EXAMPLES;

use crate::dom;
use crate::store::{example_plan, Store};

#[component]
pub fn Toolbar() -> impl IntoView {
    let store = expect_context::<Store>();
    let share_url = Memo::new(move |_| {
        store.plan.track();
        store.share_url()
    });
    let dark =
        RwSignal::new(window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches()));
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", if dark.get() { "dark" } else { "light" });
        }
    });
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
                <select data-testid="template" on:change=template>
                    <option value="" selected=true disabled=true>"Start from…"</option>
                    {EXAMPLES.iter().map(|(name, _)| view! { <option value=*name>{*name}</option> }).collect_view()}
                </select>
            </label>
            <button data-testid="undo" disabled=move || !store.can_undo() on:click=move |_| store.undo()
                title=move || store.undo_label().map(|l| format!("Undo: {l} (Ctrl+Z)")).unwrap_or_else(|| "Nothing to undo".into())>
                "↶ Undo"
            </button>
            <button data-testid="redo" disabled=move || !store.can_redo() on:click=move |_| store.redo()
                title=move || store.redo_label().map(|l| format!("Redo: {l} (Ctrl+Shift+Z)")).unwrap_or_else(|| "Nothing to redo".into())>
                "↷ Redo"
            </button>
            <a data-testid="share-link" href=move || share_url.get() class="tf-button"
                title="A link that carries the whole plan; nothing is uploaded">"Share link"</a>
            <button on:click=move |_| dom::copy(&share_url.get_untracked()) data-testid="share-copy">"Copy link"</button>
            <button on:click=move |_| dark.update(|d| *d = !*d) aria-pressed=move || dark.get().to_string()>
                {move || if dark.get() { "☀ Light" } else { "☾ Dark" }}
            </button>
        </nav>
    }
}
