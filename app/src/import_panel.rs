//! The import panel: paste or upload YAML (NodePools, a manifest stream, or a whole plan), see the
//! findings, and apply it as one undoable action: NodePools replace those of the same name, a plan
//! replaces the current one, a price overlay (`tokenfleet prices import`) becomes the plan's prices.

use leptos::prelude::*;
use tokenfleet_core::catalog::PriceOverlay;
use tokenfleet_core::edit::ImportMode;
use tokenfleet_core::lint::{self, Finding};
use tokenfleet_core::manifest::import;
use tokenfleet_core::plan::{self, Plan};
use wasm_bindgen::JsCast;

use crate::dom::{self, handler};
use crate::lint_panel::FindingList;
use crate::store::{Notice, Store};

/// What a piece of pasted text is, read by core: a plan or Kubernetes YAML, with its findings.
fn read(file: &str, text: &str) -> Result<(Plan, Vec<Finding>, bool), String> {
    if lint::looks_like_plan(text) {
        let plan = plan::parse_plan(text).map_err(|e| e.to_string())?;
        let findings = lint::lint_plan_text(text).unwrap_or_default();
        Ok((plan, findings, true))
    } else {
        let imported = import::import_yaml(file, text).map_err(|e| e.to_string())?;
        let findings = lint::lint_yaml(file, text).unwrap_or_else(|_| imported.findings.clone());
        Ok((imported.plan, findings, false))
    }
}

#[component]
pub fn ImportPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let text = RwSignal::new(String::new());
    let file_name = RwSignal::new("pasted.yaml".to_string());
    let mode = RwSignal::new("auto".to_string());
    let findings = RwSignal::new(Vec::<Finding>::new());
    let message = RwSignal::new(None::<Notice>);
    let apply = move |_| {
        let name = file_name.get_untracked();
        let pasted = text.get_untracked();
        if PriceOverlay::looks_like(&pasted) {
            findings.set(Vec::new());
            let notice = match PriceOverlay::from_text(&name, &pasted) {
                Err(e) => Notice { error: true, text: format!("Could not read the price overlay: {e}") },
                Ok(overlay) => {
                    let (date, entries) = (overlay.date.clone(), overlay.entry_count());
                    match store.commit("Import prices", move |p| {
                        p.spec.prices = Some(overlay);
                        Ok(())
                    }) {
                        Ok(()) => Notice {
                            error: false,
                            text: format!(
                                "Prices of {date} applied ({entries} instance type and region pairs); they travel with the plan."
                            ),
                        },
                        Err(e) => Notice { error: true, text: format!("Not applied: {e}") },
                    }
                }
            };
            message.set(Some(notice));
            return;
        }
        match read(&name, &pasted) {
            Err(e) => {
                findings.set(Vec::new());
                message.set(Some(Notice { error: true, text: format!("Could not read the YAML: {e}") }));
            }
            Ok((imported, found, is_plan)) => {
                findings.set(found);
                let mode = match mode.get_untracked().as_str() {
                    "merge" => ImportMode::MergePools,
                    "replace" => ImportMode::ReplacePlan,
                    _ if is_plan => ImportMode::ReplacePlan,
                    _ => ImportMode::MergePools,
                };
                let mut touched = Vec::new();
                let label = if mode == ImportMode::ReplacePlan { "Import plan" } else { "Import NodePools" };
                let result = store.commit(label, |p| {
                    touched = p.apply_import(&imported, mode);
                    Ok(())
                });
                let (error, text) = match result {
                    Ok(()) if mode == ImportMode::ReplacePlan => {
                        (false, format!("Imported plan {}.", imported.metadata.name))
                    }
                    Ok(()) if touched.is_empty() => (true, "Nothing to apply: the YAML has no NodePools.".to_string()),
                    Ok(()) => (false, format!("Imported NodePools: {}.", touched.join(", "))),
                    Err(e) => (true, format!("Not applied, the result would not be a valid plan: {e}")),
                };
                message.set(Some(Notice { error, text }));
            }
        }
    };
    let failed = move || message.with(|m| matches!(m, Some(Notice { error: true, .. })));
    let upload = move |ev: leptos::ev::Event| {
        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
            dom::read_file(&input, move |name, content| {
                file_name.set(name);
                text.set(content);
            });
        }
    };
    view! {
        <section class="tf-panel" aria-labelledby="import-title" data-testid="import-panel">
            <h2 id="import-title">"Import"</h2>
            <label class="tf-field tf-wide">
                <span class="tf-field-label">"Paste NodePools, a manifest stream, a plan or a price overlay (YAML)"</span>
                <textarea data-testid="import-yaml" id="import-yaml" rows="8" spellcheck="false" prop:value=move || text.get()
                    aria-invalid=move || failed().to_string()
                    aria-describedby="import-message"
                    on:input=handler(move |ev| { text.set(event_target_value(&ev)); file_name.set("pasted.yaml".into()); })></textarea>
            </label>
            <div class="tf-actions">
                <label class="tf-field"><span class="tf-field-label">"Or upload a file"</span>
                    <input type="file" accept=".yaml,.yml,.json" data-testid="import-file" on:change=handler(upload) /></label>
                <label class="tf-field"><span class="tf-field-label">"Apply as"</span>
                    <select data-testid="import-mode" on:change=handler(move |ev| mode.set(event_target_value(&ev)))>
                        <option value="auto">"Automatic (plan replaces, NodePools merge)"</option>
                        <option value="merge">"Merge NodePools (same name replaced)"</option>
                        <option value="replace">"Replace the whole plan"</option>
                    </select></label>
                <button data-testid="import-apply" on:click=handler(apply)>"Apply import"</button>
            </div>
            <p id="import-message" role="status" data-testid="import-message"
                class:tf-error=move || failed() class:tf-ok=move || !failed()>
                {move || message.get().map(|m| m.text)}
            </p>
            <FindingList findings=findings />
        </section>
    }
}
