//! The models and deployments panel: one card per deployment with model, precision, tensor
//! parallelism, replicas, serving mode and the NodePool it is pinned to (drag the card's handle onto
//! a pool, or pick the pool from the list).

use leptos::prelude::*;
use tokenfleet_core::catalog;
use tokenfleet_core::edit::{EditError, NODE_POOL_SELECTOR};
use tokenfleet_core::plan::{Deployment, Mode};

use crate::fields::{whole, Field};
use crate::store::{field_id, Drag, Store};

const PRECISIONS: [&str; 6] = ["bf16", "fp16", "fp8", "int8", "awq", "gptq"];

/// Where a deployment is pinned, if anywhere.
fn pinned_pool(d: &Deployment) -> Option<String> {
    d.node_selector.get(NODE_POOL_SELECTOR).cloned().or_else(|| d.prefill.as_ref().and_then(|s| s.node_pool.clone()))
}

#[component]
pub fn DeploymentsPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let names = move || store.plan.with(|p| p.spec.deployments.iter().map(|d| d.name.clone()).collect::<Vec<_>>());
    view! {
        <section class="tf-panel" aria-labelledby="deployments-title" data-testid="deployments-panel">
            <h2 id="deployments-title">"Models and deployments"</h2>
            <datalist id="tf-models">
                {catalog::models::models().iter().map(|m| view! { <option value=m.spec.hf_repo.clone()>{m.spec.name.clone()}</option> }).collect_view()}
            </datalist>
            <div class="tf-cards">
                {move || names().into_iter().enumerate().map(|(i, name)| view! { <DeploymentCard index=i name=name /> }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn DeploymentCard(index: usize, name: String) -> impl IntoView {
    let store = expect_context::<Store>();
    let path = format!("spec.deployments[{index}]");
    let get = move |f: fn(&Deployment) -> String| {
        Signal::derive(move || store.plan.with(|p| p.spec.deployments.get(index).map(f).unwrap_or_default()))
    };
    let edit = move |label: &'static str, f: Box<dyn FnOnce(&mut Deployment)>| {
        store.commit(label, move |p| match p.spec.deployments.get_mut(index) {
            Some(d) => {
                f(d);
                Ok(())
            }
            None => Err(EditError("that deployment no longer exists".into())),
        })
    };
    let pools = move || store.plan.with(|p| p.pool_names_by_priority());
    let pinned = move || store.plan.with(|p| p.spec.deployments.get(index).and_then(pinned_pool)).unwrap_or_default();
    let dragging = {
        let name = name.clone();
        move || store.drag.with(|d| matches!(d, Some(Drag::Deployment { name: n, .. }) if *n == name))
    };
    let grab = {
        let name = name.clone();
        move |ev: leptos::ev::PointerEvent| {
            if ev.button() == 0 {
                ev.prevent_default();
                store.drag.set(Some(Drag::Deployment { name: name.clone(), over: None, pointer: true }));
            }
        }
    };
    let assign = {
        let name = name.clone();
        move |ev: leptos::ev::Event| {
            let pool = event_target_value(&ev);
            if let Err(e) = store.commit(&format!("Pin {name} to {pool}"), |p| p.assign_deployment(&name, &pool)) {
                store.notify(true, e);
            }
        }
    };
    let disaggregated =
        move || store.plan.with(|p| p.spec.deployments.get(index).is_some_and(|d| d.mode == Mode::Disaggregated));
    let set_mode = {
        let name = name.clone();
        move |ev: leptos::ev::Event| {
            let mode = if event_target_value(&ev) == "disaggregated" { Mode::Disaggregated } else { Mode::Monolithic };
            if let Err(e) = store.commit(&format!("Set serving mode of {name}"), |p| p.set_mode(&name, mode)) {
                store.notify(true, e);
            }
        }
    };
    view! {
        <article class="tf-card" class:tf-dragging=dragging data-testid="deployment-card" data-deployment-name=name.clone()
            id=field_id(&path) tabindex="-1">
            <header class="tf-card-head">
                <span class="tf-handle" role="img" aria-label=format!("Drag {name} onto a NodePool") on:pointerdown=grab
                    data-testid="deployment-drag-handle">"⠿"</span>
                <h3>{name.clone()}</h3>
            </header>
            <div class="tf-grid">
                <Field path=format!("{path}.model") label="Model" value=get(|d| d.model.clone())
                    on_commit=move |t: String| edit("Set model", Box::new(move |d| d.model = t.trim().to_string())) />
                <label class="tf-field">
                    <span class="tf-field-label">"Precision"</span>
                    <select id=field_id(&format!("{path}.precision")) on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let _ = edit("Set precision", Box::new(move |d| d.precision = v));
                    }>
                        {PRECISIONS.iter().map(|p| {
                            let selected = move || store.plan.with(|plan| plan.spec.deployments.get(index).is_some_and(|d| d.precision == *p));
                            view! { <option value=*p selected=selected>{*p}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <Field path=format!("{path}.tensorParallel") label="Tensor parallel" unit="devices/replica" numeric=true
                    value=get(|d| d.tensor_parallel.to_string())
                    on_commit=move |t: String| { let v = whole(&t, "devices")?; edit("Set tensor parallelism", Box::new(move |d| d.tensor_parallel = v)) } />
                <Field path=format!("{path}.replicas.min") label="Replicas min" unit="replicas" numeric=true
                    value=get(|d| d.replicas.min.to_string())
                    on_commit=move |t: String| { let v = whole(&t, "replicas")?; edit("Set minimum replicas", Box::new(move |d| d.replicas.min = v)) } />
                <Field path=format!("{path}.replicas.max") label="Replicas max" unit="replicas" numeric=true
                    value=get(|d| d.replicas.max.to_string())
                    on_commit=move |t: String| { let v = whole(&t, "replicas")?; edit("Set maximum replicas", Box::new(move |d| d.replicas.max = v)) } />
                <label class="tf-field">
                    <span class="tf-field-label">"Serving"</span>
                    <select id=field_id(&format!("{path}.mode")) data-testid="deployment-mode" on:change=set_mode>
                        <option value="monolithic" selected=move || !disaggregated()>"monolithic"</option>
                        <option value="disaggregated" selected=disaggregated>"prefill/decode (disaggregated)"</option>
                    </select>
                </label>
                <label class="tf-field">
                    <span class="tf-field-label">"NodePool"</span>
                    <select id=field_id(&format!("{path}.nodeSelector")) data-testid="deployment-pool" on:change=assign>
                        <option value="" disabled=true selected=move || pinned().is_empty()>"any (by weight)"</option>
                        {move || pools().into_iter().map(|pool| {
                            let selected = pinned() == pool;
                            view! { <option value=pool.clone() selected=selected>{pool.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </div>
        </article>
    }
}
