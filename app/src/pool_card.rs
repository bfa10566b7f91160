//! One NodePool card: drag handle and weight, capacity types, instance families (draggable between
//! pools), limits, taints, consolidation and the capacity reservations of its node class.
//!
//! A card lives as long as its pool's name: the board keys its list by name, and every part of the
//! card follows the plan through its own reactive reads, so an edit touches only what changed (a
//! reorder moves the card and updates its weight and position, nothing is rebuilt).

use leptos::prelude::*;
use tokenfleet_core::catalog::CapacityType;
use tokenfleet_core::edit::{self, EditError};
use tokenfleet_core::plan::{CapacityReservation, NodePool};
use wasm_bindgen::JsCast;

use crate::board::{card_midpoints, focus_handle_later};
use crate::dom::handler;
use crate::fields::{whole, Field};
use crate::store::{field_id, Drag, Store};

const POLICIES: [&str; 2] = ["WhenEmptyOrUnderutilized", "WhenEmpty"];

/// One edit of a pool, applied by `edit_pool` as one undoable action.
type PoolEdit = Box<dyn FnOnce(&mut NodePool) -> Result<(), EditError>>;

/// A reservation's row key: what the row shows, so a replaced reservation is redrawn.
fn reservation_key(r: &CapacityReservation) -> String {
    format!("{}\u{1f}{}\u{1f}{}\u{1f}{}", r.id, r.kind, r.count, r.instance_type)
}

#[component]
pub fn PoolCard(
    name: String,
    /// Where the card is on the board (0 is the highest weight), and how many cards there are.
    position: Signal<usize>,
    count: Signal<usize>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    // The pool as the plan holds it, and its index (for the field ids lint focuses).
    let located = {
        let name = name.clone();
        Memo::new(move |_| {
            store.plan.with(|p| {
                p.spec.node_pools.iter().position(|x| x.name == name).map(|i| (i, p.spec.node_pools[i].clone()))
            })
        })
    };
    let Some((first_index, initial)) = located.get_untracked() else {
        return ().into_any();
    };
    // Split so a reorder (new index and weight, nothing else) touches only the ids and the weight.
    let path = Memo::new(move |_| located.with(|f| format!("spec.nodePools[{}]", f.as_ref().map_or(0, |(i, _)| *i))));
    let weight = Memo::new(move |_| located.with(|f| f.as_ref().and_then(|(_, p)| p.weight)));
    // The pool without its place and weight (`None` once it is gone), which every other part reads.
    let found = Memo::new(move |_| located.with(|f| f.as_ref().map(|(_, p)| NodePool { weight: None, ..p.clone() })));
    let sub = move |suffix: &'static str| Signal::derive(move || format!("{}{suffix}", path.get()));
    let read =
        move |f: fn(&NodePool) -> String| Signal::derive(move || found.with(|x| x.as_ref().map(f).unwrap_or_default()));
    let edit_pool = {
        let name = name.clone();
        move |label: String, f: PoolEdit| {
            let name = name.clone();
            store.commit(&label, move |p| f(p.pool_mut(&name)?))
        }
    };
    let move_to = {
        let name = name.clone();
        move |to: usize| {
            let n = name.clone();
            // The browser drops focus from a card the board moves (keyed cards move, they are not
            // rebuilt), and dropping it in the middle of the update would make it lay the page out
            // again first: let go of it now, and `focus_handle_later` gives it back to the handle.
            if let Some(active) = document().active_element().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                active.blur().ok();
            }
            if let Err(e) = store.commit(&format!("Move NodePool {n}"), |p| p.move_pool(&n, to)) {
                store.notify(true, e);
            }
            focus_handle_later(n);
        }
    };
    let grab = {
        let name = name.clone();
        move |ev: leptos::ev::PointerEvent| {
            if ev.button() != 0 {
                return;
            }
            ev.prevent_default();
            let position = position.get_untracked();
            store.drag.set(Some(Drag::Pool {
                name: name.clone(),
                from: position,
                target: position,
                mids: card_midpoints(),
            }));
        }
    };
    let keys = {
        let move_to = move_to.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            let (position, count) = (position.get_untracked(), count.get_untracked());
            match ev.key().as_str() {
                "ArrowUp" if position > 0 => {
                    ev.prevent_default();
                    move_to(position - 1);
                }
                "ArrowDown" if position + 1 < count => {
                    ev.prevent_default();
                    move_to(position + 1);
                }
                "Home" if position > 0 => {
                    ev.prevent_default();
                    move_to(0);
                }
                "End" if position + 1 < count => {
                    ev.prevent_default();
                    move_to(count - 1);
                }
                _ => {}
            }
        }
    };
    let dragging = {
        let name = name.clone();
        move || store.drag.with(|d| matches!(d, Some(Drag::Pool { name: n, .. }) if *n == name))
    };
    let drop_target = {
        let name = name.clone();
        move || {
            store.drag.with(|d| match d {
                Some(Drag::Family { over, from, .. }) => over.as_deref() == Some(name.as_str()) && *from != name,
                Some(Drag::Deployment { over, .. }) | Some(Drag::Stage { over, .. }) => {
                    over.as_deref() == Some(name.as_str())
                }
                _ => false,
            })
        }
    };
    // Keyboard drops: when something was picked up with the keyboard, each card offers a drop button.
    let keyboard_drop = {
        let name = name.clone();
        move || {
            let label = store.drag.with(|d| match d {
                Some(Drag::Family { family, from, pointer: false, .. }) if *from != name => {
                    Some(format!("Drop {family} here"))
                }
                Some(Drag::Deployment { name: d, pointer: false, .. }) => Some(format!("Pin {d} here")),
                Some(Drag::Stage { deployment, stage, pointer: false, .. }) => {
                    Some(format!("Pin {deployment} {} here", stage.as_str()))
                }
                _ => None,
            })?;
            let name = name.clone();
            let drop = move |_| {
                let result = match store.drag.get_untracked() {
                    Some(drag) => drag.drop_on(&store, &name),
                    None => Ok(()),
                };
                store.drag.set(None);
                if let Err(e) = result {
                    store.notify(true, e);
                }
            };
            Some(view! { <button class="tf-drop" on:click=handler(drop) data-testid="drop-here">{label}</button> })
        }
    };

    let capacity = CapacityType::ALL
        .into_iter()
        .map(|ct| {
            let checked = move || found.with(|f| f.as_ref().is_some_and(|p| p.capacity_types.contains(&ct)));
            let edit_pool = edit_pool.clone();
            let toggle = move |_| {
                let _ = edit_pool(
                    format!("Toggle {} capacity", ct.as_str()),
                    Box::new(move |pool| {
                        pool.toggle_capacity_type(ct);
                        Ok(())
                    }),
                )
                .map_err(|e| store.notify(true, e));
            };
            view! {
                <label class="tf-check">
                    <input type="checkbox" prop:checked=checked on:change=handler(toggle)
                        id=move || field_id(&format!("{}.capacityTypes.{}", path.get(), ct.as_str())) />
                    {ct.as_str()}
                </label>
            }
        })
        .collect_view();

    let families =
        Memo::new(move |_| found.with(|f| f.as_ref().map(|p| p.instance_families.clone()).unwrap_or_default()));
    let family_chip = {
        let name = name.clone();
        move |family: String| {
            let (f1, f2, from1, from2) = (family.clone(), family.clone(), name.clone(), name.clone());
            let picked = {
                let f = family.clone();
                move || store.drag.with(|d| matches!(d, Some(Drag::Family { family, .. }) if *family == f))
            };
            view! {
                <button
                    class="tf-chip"
                    class:tf-dragging=move || picked()
                    data-testid="instance-family"
                    data-family=family.clone()
                    aria-label=format!("Instance family {family}: drag to another NodePool, or press Enter to pick it up")
                    on:pointerdown=handler(move |ev: leptos::ev::PointerEvent| {
                        if ev.button() == 0 {
                            ev.prevent_default();
                            store.drag.set(Some(Drag::Family { family: f1.clone(), from: from1.clone(), over: None, pointer: true }));
                        }
                    })
                    on:click=handler(move |ev: leptos::ev::MouseEvent| {
                        // A click from the keyboard (detail 0) picks the family up; mouse drags use pointer events.
                        if ev.detail() == 0 {
                            store.drag.set(Some(Drag::Family { family: f2.clone(), from: from2.clone(), over: None, pointer: false }));
                        }
                    })
                >
                    {family.clone()}
                </button>
            }
        }
    };
    let instance_types = read(|p| p.instance_types.join(", "));

    let reservations = Memo::new(move |_| {
        store.plan.with(|p| {
            found.with(|f| {
                f.as_ref()
                    .and_then(|pool| p.node_class(&pool.node_class))
                    .map(|c| c.capacity_reservations.clone())
                    .unwrap_or_default()
            })
        })
    });
    let reservation_count = move || reservations.with(Vec::len);
    let has_reservations = move || reservations.with(|r| !r.is_empty());
    let res_id = RwSignal::new(String::new());
    let res_kind = RwSignal::new("odcr".to_string());
    let first_type = initial.instance_types.first().cloned().unwrap_or_default();
    let res_type = RwSignal::new(first_type.clone());
    let res_count = RwSignal::new("1".to_string());
    let res_error = RwSignal::new(None::<String>);
    let add_reservation = {
        let name = name.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let result = whole(&res_count.get_untracked(), "instances").and_then(|count| {
                let reservation = CapacityReservation {
                    id: res_id.get_untracked().trim().to_string(),
                    kind: res_kind.get_untracked(),
                    instance_type: res_type.get_untracked().trim().to_string(),
                    count,
                    availability_zone: None,
                    end_time: None,
                };
                store.commit(&format!("Add reservation to {name}"), |p| p.add_reservation(&name, reservation))
            });
            if result.is_ok() {
                // The form starts afresh for the next reservation.
                res_id.set(String::new());
                res_type.set(first_type.clone());
                res_count.set("1".to_string());
            }
            res_error.set(result.err());
        }
    };
    let uid = format!("pool-{first_index}");
    let up = {
        let move_to = move_to.clone();
        move |_: leptos::ev::MouseEvent| move_to(position.get_untracked().saturating_sub(1))
    };
    let down = {
        let move_to = move_to.clone();
        move |_: leptos::ev::MouseEvent| move_to(position.get_untracked() + 1)
    };
    let last = move || position.get() + 1 >= count.get();
    let (e1, e2, e3, e4, e5) = (edit_pool.clone(), edit_pool.clone(), edit_pool.clone(), edit_pool.clone(), edit_pool);
    let consolidation =
        Memo::new(move |_| found.with(|f| f.as_ref().map(|p| p.consolidation.policy.clone()).unwrap_or_default()));

    view! {
        <article class="tf-card tf-pool" class:tf-dragging=move || dragging() class:tf-drop-target=move || drop_target()
            data-testid="pool-card" data-pool-name=name.clone() id=move || field_id(&path.get()) tabindex="-1">
            <header class="tf-card-head">
                <button class="tf-handle" data-testid="pool-drag-handle" on:pointerdown=handler(grab) on:keydown=handler(keys)
                    aria-label={
                        let name = name.clone();
                        move || format!("Reorder {name}: drag, or press Arrow Up or Arrow Down (position {} of {})", position.get() + 1, count.get())
                    }>
                    "⠿"
                </button>
                <h3>{name.clone()}</h3>
                <span class="tf-weight" id=move || field_id(&format!("{}.weight", path.get()))>
                    "weight " <span data-testid="pool-weight">{move || weight.get().unwrap_or(0).to_string()}</span>
                </span>
                <span class="tf-move">
                    <button class="tf-small" disabled=move || position.get() == 0 aria-label=format!("Move {name} up") on:click=handler(up)>"↑"</button>
                    <button class="tf-small" disabled=last aria-label=format!("Move {name} down") on:click=handler(down)>"↓"</button>
                </span>
            </header>
            {move || keyboard_drop()}
            <fieldset class="tf-inline">
                <legend>"Capacity types"</legend>
                {capacity}
            </fieldset>
            <div class="tf-families" id=move || field_id(&format!("{}.instanceFamilies", path.get())) tabindex="-1">
                <span class="tf-field-label">"Instance families"</span>
                <For each=move || families.get() key=String::clone children=family_chip />
                <Show when=move || instance_types.with(|t| !t.is_empty())>
                    <span class="tf-muted">"types: " {instance_types}</span>
                </Show>
            </div>
            <details class="tf-more" data-testid="pool-settings">
            <summary>"Families, limits, taints and consolidation"</summary>
            <div class="tf-grid">
                <Field path=sub(".instanceFamilies.add") label="Add instance family" value=Signal::derive(String::new)
                    on_commit=move |t: String| {
                        if t.trim().is_empty() { return Ok(()); }
                        let label = format!("Add family {}", t.trim());
                        e1(label, Box::new(move |pool| { pool.add_instance_family(&t); Ok(()) }))
                    } />
                <Field path=sub(".limits") label="Limits" value=read(|p| edit::show_pairs(&p.limits))
                    on_commit=move |t: String| {
                        let limits = edit::parse_pairs(&t).map_err(|e| e.to_string())?;
                        e2("Set limits".into(), Box::new(move |pool| { pool.limits = limits; Ok(()) }))
                    } />
                <Field path=sub(".taints") label="Taints" value=read(|p| edit::show_taints(&p.taints))
                    on_commit=move |t: String| {
                        let taints = edit::parse_taints(&t).map_err(|e| e.to_string())?;
                        e3("Set taints".into(), Box::new(move |pool| { pool.taints = taints; Ok(()) }))
                    } />
                <label class="tf-field">
                    <span class="tf-field-label">"Consolidation"</span>
                    <select id=move || field_id(&format!("{}.consolidation.policy", path.get())) on:change=handler(move |ev| {
                        let v = event_target_value(&ev);
                        let _ = e4("Set consolidation".into(), Box::new(move |pool| { pool.consolidation.policy = v; Ok(()) }));
                    })>
                        {POLICIES.iter().map(|p| view! { <option value=*p selected=move || consolidation.with(|c| c == p)>{*p}</option> }).collect_view()}
                    </select>
                </label>
                <Field path=sub(".consolidation.after") label="Consolidate after" unit="duration (30s, 5m, Never)"
                    value=read(|p| p.consolidation.after.clone().unwrap_or_default())
                    on_commit=move |t: String| {
                        let after = Some(t.trim().to_string()).filter(|s| !s.is_empty());
                        e5("Set consolidate after".into(), Box::new(move |pool| { pool.consolidation.after = after; Ok(()) }))
                    } />
            </div>
            </details>
            <details class="tf-reservations" open=has_reservations data-testid="reservations">
                <summary>"Capacity reservations (" {reservation_count} ")"</summary>
                <ul>
                    <For each=move || reservations.get() key=reservation_key let:r>
                        {
                            let id = r.id.clone();
                            view! {
                                <li data-testid="reservation">
                                    {format!("{} · {} · {} × {}", r.id, r.kind, r.count, r.instance_type)}
                                    <button class="tf-small" aria-label=format!("Remove reservation {}", r.id) on:click=handler(move |_| {
                                        let id = id.clone();
                                        let _ = store.commit("Remove reservation", move |p| { p.remove_reservation(&id); Ok(()) });
                                    })>"✕"</button>
                                </li>
                            }
                        }
                    </For>
                </ul>
                <form class="tf-grid" on:submit=handler(add_reservation) data-testid="reservation-form">
                    <label class="tf-field"><span class="tf-field-label">"Reservation id"</span>
                        <input id=format!("{uid}-res-id") data-testid="reservation-id" placeholder="cr-0123456789abcdef0" prop:value=move || res_id.get()
                            on:input=handler(move |ev| res_id.set(event_target_value(&ev))) /></label>
                    <label class="tf-field"><span class="tf-field-label">"Kind"</span>
                        <select data-testid="reservation-kind" on:change=handler(move |ev| res_kind.set(event_target_value(&ev)))>
                            <option value="odcr">"On-Demand Capacity Reservation"</option>
                            <option value="capacity-block">"Capacity Block for ML"</option>
                        </select></label>
                    <label class="tf-field"><span class="tf-field-label">"Instance type"</span>
                        <input data-testid="reservation-instance-type" placeholder="g5.12xlarge" prop:value=move || res_type.get()
                            on:input=handler(move |ev| res_type.set(event_target_value(&ev))) /></label>
                    <label class="tf-field"><span class="tf-field-label">"Count"</span>
                        <span class="tf-field-input"><input class="tf-num" inputmode="numeric" data-testid="reservation-count" prop:value=move || res_count.get()
                            on:input=handler(move |ev| res_count.set(event_target_value(&ev))) /><span class="tf-unit">"instances"</span></span></label>
                    <button type="submit" data-testid="reservation-add">"Add reservation"</button>
                    <span class="tf-field-error" role="alert">{move || res_error.get()}</span>
                </form>
            </details>
        </article>
    }
    .into_any()
}
