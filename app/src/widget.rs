//! The embeddable widget: the planner mounted into an element of someone else's page.
//!
//! dist/widget/tokenfleet-widget.js (from public/widget/) loads the app's wasm with
//! `globalThis.__tokenfleetEmbedded` set, so `main` mounts nothing, then calls [`mount_widget`] once
//! per widget with an element inside the widget's shadow root. Each widget has its own
//! [`Store::embedded`] (no address bar, no autosave) under its own reactive owner, so two widgets on one
//! page are independent, and [`Widget::destroy`] unmounts the view and disposes the owner, which runs
//! every cleanup.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use tokenfleet_core::plan::{self, Plan};
use wasm_bindgen::prelude::*;

use crate::store::{effect, Store};

/// Whether the wasm was loaded by the widget module rather than as the hosted app.
pub fn embedded() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"__tokenfleetEmbedded".into()).is_ok_and(|v| v.is_truthy())
}

/// Reads a plan given by the host page as YAML or JSON text; the error names the field.
fn read_plan(text: &str) -> Result<Plan, JsError> {
    let plan =
        plan::parse_plan(text).map_err(|e| JsError::new(&format!("tokenfleet widget: the plan is not valid: {e}")))?;
    if let Some(e) = plan::validate(&plan).into_iter().next() {
        return Err(JsError::new(&format!("tokenfleet widget: the plan is not valid: {}", e.message)));
    }
    Ok(plan)
}

/// A plan as JSON text (the widget module turns it into an object).
fn plan_json(plan: &Plan) -> String {
    plan.to_json()
}

/// How the host page wants the widget.
#[wasm_bindgen]
#[derive(Default)]
pub struct WidgetOptions {
    /// The plan as YAML or JSON text; the default example when absent.
    #[wasm_bindgen(getter_with_clone)]
    pub plan: Option<String>,
    /// Inputs shown but disabled.
    #[wasm_bindgen(js_name = readOnly)]
    pub read_only: bool,
    /// Results and export only, no editor.
    pub compact: bool,
    /// Called with the plan as JSON text after each edit made in the widget.
    #[wasm_bindgen(getter_with_clone, js_name = onChange)]
    pub on_change: Option<js_sys::Function>,
}

#[wasm_bindgen]
impl WidgetOptions {
    #[wasm_bindgen(constructor)]
    pub fn new() -> WidgetOptions {
        WidgetOptions::default()
    }
}

/// One mounted planner.
#[wasm_bindgen]
pub struct Widget {
    store: Store,
    /// The mounted view and its owner; dropping it unmounts and disposes.
    mounted: Option<Box<dyn std::any::Any>>,
    /// The last plan set by the host, so `setPlan` does not echo back through `onChange`.
    from_host: Rc<RefCell<Option<Plan>>>,
}

#[wasm_bindgen]
impl Widget {
    /// The current plan as JSON text.
    #[wasm_bindgen(js_name = planJson)]
    pub fn plan_json(&self) -> Option<String> {
        self.store.plan.try_with_untracked(plan_json)
    }

    /// The current plan as YAML text.
    #[wasm_bindgen(js_name = planYaml)]
    pub fn plan_yaml(&self) -> Option<String> {
        self.store.plan.try_with_untracked(Plan::to_yaml)
    }

    /// Replaces the plan (YAML or JSON text) as one undoable action; `onChange` is not called.
    #[wasm_bindgen(js_name = setPlan)]
    pub fn set_plan(&self, text: &str) -> Result<(), JsError> {
        if self.mounted.is_none() {
            return Err(JsError::new("tokenfleet widget: setPlan after destroy"));
        }
        let next = read_plan(text)?;
        *self.from_host.borrow_mut() = Some(next.clone());
        self.store.replace("Plan set by the page", next);
        Ok(())
    }

    /// Unmounts the planner and disposes its state and listeners. Idempotent.
    pub fn destroy(&mut self) {
        self.mounted.take();
    }
}

/// Mounts a planner into `parent` (an element in the widget's shadow root).
#[wasm_bindgen(js_name = mountWidget)]
pub fn mount_widget(parent: web_sys::HtmlElement, options: WidgetOptions) -> Result<Widget, JsError> {
    let initial = match &options.plan {
        Some(text) => read_plan(text)?,
        None => crate::store::example_plan(tokenfleet_core::examples::DEFAULT_EXAMPLE)
            .unwrap_or_else(|| Plan::minimal("plan")),
    };
    let from_host = Rc::new(RefCell::new(Some(initial.clone())));
    let store_cell = Rc::new(Cell::new(None::<Store>));
    let (store_out, host) = (store_cell.clone(), from_host.clone());
    let WidgetOptions { read_only, compact, on_change, .. } = options;
    let handle = leptos::mount::mount_to(parent, move || {
        let store = Store::embedded(initial);
        store_out.set(Some(store));
        provide_context(store);
        if let Some(callback) = on_change {
            effect(move |_| {
                let json = store.plan.with(|p| {
                    let echo = host.borrow().as_ref() == Some(p);
                    (!echo).then(|| plan_json(p))
                });
                if let Some(json) = json {
                    host.borrow_mut().take();
                    let _ = callback.call1(&JsValue::NULL, &json.into());
                }
            });
        }
        view! { <WidgetView read_only compact /> }
    });
    let store = store_cell.get().ok_or_else(|| JsError::new("tokenfleet widget: the planner did not mount"))?;
    Ok(Widget { store, mounted: Some(Box::new(handle)), from_host })
}

/// The planner as a widget: the plan's name, the editor and lint (unless compact), results and export.
#[component]
fn WidgetView(read_only: bool, compact: bool) -> impl IntoView {
    let store = expect_context::<Store>();
    let name = move || store.plan.with(|p| p.metadata.name.clone());
    let region = move || store.plan.with(|p| p.spec.region.clone());
    view! {
        <div class="tf-main tf-widget-main" data-testid="widget" data-compact=compact.to_string()
            data-read-only=read_only.to_string()>
            <section class="tf-panel tf-span">
                <h2>"Plan " <span data-testid="plan-name">{move || name()}</span> " · " {move || region()}</h2>
            </section>
            <div class="tf-columns">
                {(!compact).then(|| view! {
                    <fieldset class="tf-column tf-widget-editor" disabled=read_only data-testid="widget-editor">
                        <crate::workload::WorkloadPanel />
                        <crate::deployments::DeploymentsPanel />
                    </fieldset>
                })}
                <div class="tf-column">
                    <crate::results::ResultsPanel />
                    {(!compact).then(|| view! { <crate::lint_panel::LintPanel /> })}
                </div>
            </div>
            <crate::export::ExportPanel />
        </div>
    }
}
