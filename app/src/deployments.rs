//! The models and deployments panel: one card per deployment with model, precision, tensor
//! parallelism, replicas, serving mode and the NodePool it is pinned to (drag the card's handle onto
//! a pool, press Enter on the handle and pick a pool card's drop button, or pick the pool from the
//! list). A disaggregated deployment shows a Prefill and a Decode section, each sized and pinned
//! apart with the same fields and handle.

use std::rc::Rc;

use leptos::prelude::*;
use tokenfleet_core::catalog;
use tokenfleet_core::edit::ReplicaBound;
use tokenfleet_core::plan::{Deployment, Mode, StageKind};

use crate::board::DropTargets;
use crate::dom::handler;
use crate::fields::{whole, Field};
use crate::store::{field_id, Drag, Store};

const PRECISIONS: [&str; 8] = ["bf16", "fp16", "fp8", "int8", "awq", "gptq", "mxfp4", "nvfp4"];

/// The deployment at `index` as the plan holds it: the card's fields read it rather than the whole
/// plan, so an edit elsewhere (a pool, the workload, another deployment) touches none of them.
type DeploymentMemo = Memo<Option<Deployment>>;

#[component]
pub fn DeploymentsPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    // Cards are keyed by place and name: an edit of one deployment touches only its own fields, and
    // a card is rebuilt only when the list itself changes (an import, a template, undo).
    let names = Memo::new(move |_| {
        store.plan.with(|p| p.spec.deployments.iter().enumerate().map(|(i, d)| (i, d.name.clone())).collect::<Vec<_>>())
    });
    view! {
        <section class="tf-panel" aria-labelledby="deployments-title" data-testid="deployments-panel">
            <h2 id="deployments-title">"Models and deployments"</h2>
            <datalist id="tf-models">
                {catalog::models::models().iter().map(|m| view! { <option value=m.spec.hf_repo.clone()>{m.spec.name.clone()}</option> }).collect_view()}
            </datalist>
            <div class="tf-cards">
                <For each=move || names.get() key=Clone::clone children=|(i, name)| view! { <DeploymentCard index=i name=name /> } />
            </div>
        </section>
    }
}

#[component]
fn DeploymentCard(index: usize, name: String) -> impl IntoView {
    let store = expect_context::<Store>();
    let deployment: DeploymentMemo = Memo::new(move |_| store.plan.with(|p| p.spec.deployments.get(index).cloned()));
    let path = format!("spec.deployments[{index}]");
    let get = move |f: fn(&Deployment) -> String| {
        Signal::derive(move || deployment.with(|d| d.as_ref().map(f).unwrap_or_default()))
    };
    let edit = {
        let name = name.clone();
        move |label: &'static str, f: Box<dyn FnOnce(&mut Deployment)>| {
            let name = name.clone();
            store.commit(label, move |p| {
                f(p.deployment_mut(&name)?);
                Ok(())
            })
        }
    };
    let edit_precision = edit.clone();
    let disaggregated =
        Memo::new(move |_| deployment.with(|d| d.as_ref().is_some_and(|d| d.mode == Mode::Disaggregated)));
    let pinned = Signal::derive(move || {
        deployment.with(|d| d.as_ref().and_then(|d| d.pinned_pool().map(str::to_string))).unwrap_or_default()
    });
    let assign = {
        let name = name.clone();
        move |pool: String| {
            if let Err(e) = store.commit(&format!("Pin {name} to {pool}"), |p| p.assign_deployment(&name, &pool)) {
                store.notify(true, e);
            }
        }
    };
    let set_mode = {
        let name = name.clone();
        move |ev: leptos::ev::Event| {
            let mode = if event_target_value(&ev) == "disaggregated" { Mode::Disaggregated } else { Mode::Monolithic };
            if let Err(e) = store.commit(&format!("Set serving mode of {name}"), |p| p.set_mode(&name, mode)) {
                store.notify(true, e);
            }
        }
    };
    let any_pool =
        Signal::derive(move || if disaggregated.get() { "per stage (below)" } else { "any (by weight)" }.to_string());
    let (n2, n3) = (name.clone(), name.clone());
    let dragging = picked(store, name.clone(), None);
    view! {
        <article class="tf-card" class:tf-dragging=move || dragging() data-testid="deployment-card"
            data-deployment-name=name.clone() id=field_id(&path) tabindex="-1">
            <header class="tf-card-head">
                <PinHandle test_id="deployment-drag-handle" label=name.clone()
                    pick=Rc::new(move |pointer| Drag::Deployment { name: n2.clone(), over: None, pointer }) />
                <h3>{name.clone()}</h3>
            </header>
            <div class="tf-grid">
                <Field path=format!("{path}.model") label="Model" value=get(|d| d.model.clone())
                    on_commit=move |t: String| edit("Set model", Box::new(move |d| d.model = t.trim().to_string())) />
                <label class="tf-field">
                    <span class="tf-field-label">"Precision"</span>
                    <select id=field_id(&format!("{path}.precision")) on:change=handler(move |ev| {
                        let v = event_target_value(&ev);
                        let _ = edit_precision("Set precision", Box::new(move |d| d.precision = v));
                    })>
                        {PRECISIONS.iter().map(|p| {
                            let selected = move || deployment.with(|d| d.as_ref().is_some_and(|d| d.precision == *p));
                            view! { <option value=*p selected=selected>{*p}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <FleetFields index=index name=name.clone() stage=None deployment=deployment />
                <label class="tf-field">
                    <span class="tf-field-label">"Serving"</span>
                    <select id=field_id(&format!("{path}.mode")) data-testid="deployment-mode" on:change=handler(set_mode)>
                        <option value="monolithic" selected=move || !disaggregated.get()>"monolithic"</option>
                        <option value="disaggregated" selected=move || disaggregated.get()>"prefill/decode (disaggregated)"</option>
                    </select>
                </label>
                <PoolSelect path=format!("{path}.nodeSelector") test_id="deployment-pool" selected=pinned
                    none=any_pool none_selectable=false on_pick=Box::new(assign) />
            </div>
            <Show when=move || disaggregated.get()>
                <div class="tf-stages">
                    {StageKind::BOTH.into_iter().map(|stage| view! { <StageSection index=index name=n3.clone() stage=stage deployment=deployment /> }).collect_view()}
                </div>
            </Show>
        </article>
    }
}

/// One stage of a disaggregated deployment: its own devices per replica, replicas and NodePool.
#[component]
fn StageSection(index: usize, name: String, stage: StageKind, deployment: DeploymentMemo) -> impl IntoView {
    let store = expect_context::<Store>();
    let path = format!("spec.deployments[{index}].{}", stage.as_str());
    let (title, role) = match stage {
        StageKind::Prefill => ("Prefill", "reads prompts; sets time to first token"),
        StageKind::Decode => ("Decode", "generates tokens; sets time per output token"),
    };
    let pool = Signal::derive(move || {
        deployment
            .with(|d| d.as_ref().and_then(|d| d.stage(stage)).and_then(|s| s.node_pool.clone()))
            .unwrap_or_default()
    });
    let assign = {
        let name = name.clone();
        move |pool: String| {
            let target = Some(pool.as_str()).filter(|p| !p.is_empty());
            let label = match target {
                Some(pool) => format!("Pin {name} {} to {pool}", stage.as_str()),
                None => format!("Unpin {name} {}", stage.as_str()),
            };
            if let Err(e) = store.commit(&label, |p| p.assign_stage(&name, stage, target)) {
                store.notify(true, e);
            }
        }
    };
    let n1 = name.clone();
    let dragging = picked(store, name.clone(), Some(stage));
    view! {
        <section class="tf-stage" class:tf-dragging=move || dragging() data-testid="stage-card"
            data-stage=stage.as_str() id=field_id(&path) tabindex="-1" aria-label=format!("{title} stage of {name}")>
            <header class="tf-card-head">
                <PinHandle test_id="stage-drag-handle" label=format!("the {} stage of {name}", stage.as_str())
                    pick=Rc::new(move |pointer| Drag::Stage { deployment: n1.clone(), stage, over: None, pointer }) />
                <h4>{title}</h4>
                <span class="tf-muted">{role}</span>
            </header>
            <div class="tf-grid">
                <FleetFields index=index name=name.clone() stage=Some(stage) deployment=deployment />
                <PoolSelect path=format!("{path}.nodePool") test_id="stage-pool" selected=pool
                    none=Signal::stored("any (by weight)".to_string()) none_selectable=true on_pick=Box::new(assign) />
            </div>
        </section>
    }
}

/// Whether the deployment (or one of its stages) is the thing being dragged.
fn picked(store: Store, name: String, stage: Option<StageKind>) -> impl Fn() -> bool + Send + Sync + 'static {
    move || {
        store.drag.with(|d| match (d, stage) {
            (Some(Drag::Deployment { name: n, .. }), None) => *n == name,
            (Some(Drag::Stage { deployment, stage: s, .. }), Some(stage)) => *deployment == name && *s == stage,
            _ => false,
        })
    }
}

/// A handle that picks up a deployment or a stage: drag it onto a NodePool card, or press Enter or
/// Space and choose a pool card's drop button; Escape cancels either way.
#[component]
fn PinHandle(
    test_id: &'static str,
    /// What is picked up, in words (`rag-70b`, `the prefill stage of rag-70b`).
    #[prop(into)]
    label: String,
    /// The drag to start; `true` for the pointer, `false` for the keyboard.
    pick: Rc<dyn Fn(bool) -> Drag>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    // Without the board (the embeddable widget) there is nowhere to drop: the pool list remains.
    use_context::<DropTargets>()?;
    let by_keyboard = pick.clone();
    Some(view! {
        <button type="button" class="tf-handle" data-testid=test_id
            aria-label=format!("Pin {label} to a NodePool: drag onto a pool, or press Enter and choose one")
            on:pointerdown=handler(move |ev: leptos::ev::PointerEvent| {
                if ev.button() == 0 {
                    ev.prevent_default();
                    store.drag.set(Some(pick(true)));
                }
            })
            on:click=handler(move |ev: leptos::ev::MouseEvent| {
                // A click from the keyboard (detail 0) picks it up; pointer drags use pointer events.
                if ev.detail() == 0 {
                    store.drag.set(Some(by_keyboard(false)));
                }
            })>
            "⠿"
        </button>
    })
}

/// Devices per replica and replica bounds of a deployment (`stage: None`) or of one of its stages,
/// each committed through core's edits. A stage's empty devices field inherits the deployment's; the
/// deployment's replica bounds are only shown while it serves monolithically (its stages have their own).
#[component]
fn FleetFields(index: usize, name: String, stage: Option<StageKind>, deployment: DeploymentMemo) -> impl IntoView {
    let store = expect_context::<Store>();
    let path = match stage {
        Some(s) => format!("spec.deployments[{index}].{}", s.as_str()),
        None => format!("spec.deployments[{index}]"),
    };
    let read = move |f: fn(&Deployment, Option<StageKind>) -> Option<String>| {
        Signal::derive(move || deployment.with(|d| d.as_ref().and_then(|d| f(d, stage))).unwrap_or_default())
    };
    let set_tp = {
        let name = name.clone();
        move |text: String| match stage {
            Some(s) => {
                let v = if text.trim().is_empty() { None } else { Some(whole(&text, "devices")?) };
                let label = format!("Set {} tensor parallelism", s.as_str());
                store.commit(&label, |p| p.set_stage_tensor_parallel(&name, s, v))
            }
            None => {
                let v = whole(&text, "devices")?;
                store.commit("Set tensor parallelism", |p| p.set_tensor_parallel(&name, v))
            }
        }
    };
    let inherited = read(|d, _| Some(format!("{} (inherited)", d.tensor_parallel)));
    // One replica-bound field (min or max): replaces that bound and commits both through core.
    let bound = {
        let path = path.clone();
        move |max: bool| {
            let name = name.clone();
            let (field, word) = if max { ("max", "maximum") } else { ("min", "minimum") };
            let what = stage.map(|s| format!("{} ", s.as_str())).unwrap_or_default();
            let label = format!("Set {what}{word} replicas");
            let which = if max { ReplicaBound::Max } else { ReplicaBound::Min };
            let commit = move |text: String| {
                let v = whole(&text, "replicas")?;
                store.commit(&label, |p| p.set_replica_bound(&name, stage, which, v))
            };
            let value = if max {
                read(|d, s| d.replica_bounds(s).map(|r| r.max.to_string()))
            } else {
                read(|d, s| d.replica_bounds(s).map(|r| r.min.to_string()))
            };
            let test_id = match (stage.is_some(), max) {
                (true, false) => "stage-replicas-min",
                (true, true) => "stage-replicas-max",
                (false, false) => "deployment-replicas-min",
                (false, true) => "deployment-replicas-max",
            };
            view! {
                <Field path=format!("{path}.replicas.{field}") label=format!("Replicas {field}") unit="replicas"
                    numeric=true test_id=test_id value=value on_commit=commit />
            }
        }
    };
    let show_replicas = Memo::new(move |_| {
        stage.is_some() || deployment.with(|d| d.as_ref().is_some_and(|d| d.mode == Mode::Monolithic))
    });
    view! {
        <Field path=format!("{path}.tensorParallel") label="Tensor parallel" unit="devices/replica" numeric=true
            test_id=if stage.is_some() { "stage-tensor-parallel" } else { "deployment-tensor-parallel" }
            placeholder=Signal::derive(move || stage.map(|_| inherited.get()).unwrap_or_default())
            value=read(|d, s| match s {
                Some(s) => Some(d.stage(s)?.tensor_parallel.map(|tp| tp.to_string()).unwrap_or_default()),
                None => Some(d.tensor_parallel.to_string()),
            })
            on_commit=set_tp />
        <Show when=move || show_replicas.get()>{bound.clone()(false)}{bound.clone()(true)}</Show>
    }
}

/// The NodePool a deployment or stage is pinned to, as a list of the plan's pools by priority.
#[component]
fn PoolSelect(
    /// Plan path of the field, used as the element id.
    #[prop(into)]
    path: String,
    test_id: &'static str,
    /// The pinned pool's name, empty for none.
    selected: Signal<String>,
    /// The label of "no pool".
    none: Signal<String>,
    /// Whether "no pool" can be chosen (unpinning), or only shows that nothing is pinned.
    none_selectable: bool,
    on_pick: Box<dyn Fn(String)>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let pools = Memo::new(move |_| store.plan.with(|p| p.pool_names_by_priority()));
    view! {
        <label class="tf-field">
            <span class="tf-field-label">"NodePool"</span>
            <select id=field_id(&path) data-testid=test_id on:change=handler(move |ev: leptos::ev::Event| {
                on_pick(event_target_value(&ev));
                // A refused pick leaves the plan as it was: show the pool that is pinned, not the one
                // picked (the options' `selected` only follow the plan when it changes).
                if let Some(select) = ev.target() {
                    let _ = js_sys::Reflect::set(&select, &"value".into(), &selected.get_untracked().into());
                }
            })>
                <option value="" disabled=!none_selectable selected=move || selected.with(String::is_empty)>{move || none.get()}</option>
                <For each=move || pools.get() key=String::clone let:pool>
                    {
                        let chosen = pool.clone();
                        let text = pool.clone();
                        view! { <option value=pool selected=move || selected.with(|s| *s == chosen)>{text}</option> }
                    }
                </For>
            </select>
        </label>
    }
}
