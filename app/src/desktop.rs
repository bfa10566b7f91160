//! The desktop bridge: inside Tokenfleet's Tauri shell (desktop/), native open and save dialogs for
//! plans and manifests; in a browser or a widget, nothing at all.
//!
//! The shell is detected at run time (`window.__TAURI__.core.invoke` is a function), so the web build
//! carries no Tauri code and makes no call it cannot answer. The shell shows the dialog and reads or
//! writes the file in Rust (commands `open_file`, `save_file` in desktop/src/main.rs); the page only
//! sees the text.

use leptos::prelude::*;
use tokenfleet_core::edit::ImportMode;
use tokenfleet_core::lint;
use tokenfleet_core::manifest::import;
use tokenfleet_core::plan;
use wasm_bindgen::{JsCast, JsValue};

use crate::dom::handler;
use crate::store::Store;

/// The shell's `invoke`, when the page runs inside it.
fn tauri_invoke() -> Option<js_sys::Function> {
    let tauri = js_sys::Reflect::get(&window(), &"__TAURI__".into()).ok()?;
    let core = js_sys::Reflect::get(&tauri, &"core".into()).ok()?;
    js_sys::Reflect::get(&core, &"invoke".into()).ok()?.dyn_into().ok()
}

/// Whether the page runs inside the desktop shell.
pub fn in_desktop_shell() -> bool {
    tauri_invoke().is_some()
}

/// Calls a shell command with named arguments; the error is the shell's message.
async fn invoke(command: &str, args: &[(&str, &str)]) -> Result<JsValue, String> {
    let invoke = tauri_invoke().ok_or("not running in the desktop app")?;
    let object = js_sys::Object::new();
    for (name, value) in args {
        let _ = js_sys::Reflect::set(&object, &(*name).into(), &(*value).into());
    }
    let promise = invoke.call2(&JsValue::NULL, &command.into(), &object).map_err(describe)?;
    let promise: js_sys::Promise = promise.dyn_into().map_err(describe)?;
    wasm_bindgen_futures::JsFuture::from(promise).await.map_err(describe)
}

fn describe(error: JsValue) -> String {
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

fn field(value: &JsValue, name: &str) -> String {
    js_sys::Reflect::get(value, &name.into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// Opens a plan or manifests chosen in the native dialog, as one undoable action.
async fn open(store: Store, kind: &'static str) {
    let opened = match invoke("open_file", &[("kind", kind)]).await {
        Ok(v) if v.is_null() || v.is_undefined() => return,
        Ok(v) => v,
        Err(e) => return store.notify(true, format!("Could not open the file: {e}")),
    };
    let (name, text) = (field(&opened, "name"), field(&opened, "text"));
    let result = if kind == "plan" || lint::looks_like_plan(&text) {
        plan::parse_plan(&text).map_err(|e| format!("{name}: {e}")).map(|p| {
            let label = format!("Open {name}");
            store.replace(&label, p);
            format!("Opened the plan {name}.")
        })
    } else {
        import::import_yaml(&name, &text).map_err(|e| format!("{name}: {e}")).and_then(|imported| {
            store
                .commit(&format!("Open {name}"), |p| {
                    p.apply_import(&imported.plan, ImportMode::ReplacePlan);
                    Ok(())
                })
                .map(|()| format!("Opened the manifests {name} as a plan ({} findings).", imported.findings.len()))
        })
    };
    match result {
        Ok(message) => store.notify(false, message),
        Err(e) => store.notify(true, format!("Could not open {e}")),
    }
}

/// Saves the plan or the manifests to a file chosen in the native dialog.
async fn save(store: Store, kind: &'static str) {
    let name = store.plan.with_untracked(|p| p.metadata.name.clone());
    let (file, text, what) = match kind {
        "plan" => (format!("{name}.plan.yaml"), store.plan.with_untracked(|p| p.to_yaml()), "the plan"),
        _ => (format!("{name}.yaml"), store.derived.with_untracked(|d| d.export.clone()), "the manifests"),
    };
    match invoke("save_file", &[("kind", kind), ("suggestedName", &file), ("text", &text)]).await {
        Ok(path) if path.is_null() || path.is_undefined() => {}
        Ok(path) => store.notify(false, format!("Saved {what} to {}.", path.as_string().unwrap_or(file))),
        Err(e) => store.notify(true, format!("Could not save {what}: {e}")),
    }
}

/// Open and Save buttons for plans and manifests, shown only inside the desktop shell.
#[component]
pub fn DesktopFiles() -> impl IntoView {
    if !in_desktop_shell() {
        return None;
    }
    let store = expect_context::<Store>();
    let run = move |action: &'static str, kind: &'static str| {
        leptos::task::spawn_local(async move {
            match action {
                "open" => open(store, kind).await,
                _ => save(store, kind).await,
            }
        })
    };
    Some(view! {
        <nav class="tf-toolbar tf-desktop-files" aria-label="Files">
            <button data-testid="desktop-open-plan" on:click=handler(move |_| run("open", "plan"))>"Open plan…"</button>
            <button data-testid="desktop-save-plan" on:click=handler(move |_| run("save", "plan"))>"Save plan…"</button>
            <button data-testid="desktop-open-manifests" on:click=handler(move |_| run("open", "manifest"))>"Open manifests…"</button>
            <button data-testid="desktop-save-manifests" on:click=handler(move |_| run("save", "manifest"))>"Save manifests…"</button>
        </nav>
    })
}
