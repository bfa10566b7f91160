//! One NodePool card: drag handle and weight, capacity types, instance families (draggable between
//! pools), limits, taints, consolidation and the capacity reservations of its node class.

use leptos::prelude::*;
use tokenfleet_core::catalog::CapacityType;
use tokenfleet_core::edit::{self, EditError};
use tokenfleet_core::plan::{CapacityReservation, NodePool};

use crate::board::{card_midpoints, focus_handle_later};
use crate::dom::handler;
use crate::fields::{whole, Field};
use crate::store::{field_id, Drag, Store};

const POLICIES: [&str; 2] = ["WhenEmptyOrUnderutilized", "WhenEmpty"];

/// One edit of a pool, applied by `edit_pool` as one undoable action.
type PoolEdit = Box<dyn FnOnce(&mut NodePool) -> Result<(), EditError>>;

#[component]
pub fn PoolCard(name: String, position: usize, count: usize) -> impl IntoView {
    let store = expect_context::<Store>();
    let Some((index, pool)) = store.plan.with_untracked(|p| {
        p.spec.node_pools.iter().position(|x| x.name == name).map(|i| (i, p.spec.node_pools[i].clone()))
    }) else {
        return ().into_any();
    };
    let path = format!("spec.nodePools[{index}]");
    let edit_pool = move |label: String, f: PoolEdit| {
        store.commit(&label, move |p| match p.spec.node_pools.get_mut(index) {
            Some(pool) => f(pool),
            None => Err(EditError("that NodePool no longer exists".into())),
        })
    };
    let move_to = {
        let name = name.clone();
        move |to: usize| {
            let n = name.clone();
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
        move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
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
            let checked = pool.capacity_types.contains(&ct);
            let toggle = move |_| {
                let _ = edit_pool(
                    format!("Toggle {} capacity", ct.as_str()),
                    Box::new(move |pool| {
                        if pool.capacity_types.contains(&ct) {
                            pool.capacity_types.retain(|c| *c != ct);
                        } else {
                            pool.capacity_types.push(ct);
                            pool.capacity_types.sort_by_key(|c| CapacityType::ALL.iter().position(|x| x == c));
                        }
                        Ok(())
                    }),
                )
                .map_err(|e| store.notify(true, e));
            };
            view! {
                <label class="tf-check">
                    <input type="checkbox" checked=checked on:change=handler(toggle) id=field_id(&format!("{path}.capacityTypes.{}", ct.as_str())) />
                    {ct.as_str()}
                </label>
            }
        })
        .collect_view();

    let families = pool
        .instance_families
        .iter()
        .map(|family| {
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
        })
        .collect_view();

    let reservations = store.plan.with_untracked(|p| {
        p.node_class(&pool.node_class).map(|c| c.capacity_reservations.clone()).unwrap_or_default()
    });
    let (has_reservations, reservation_count) = (!reservations.is_empty(), reservations.len());
    let res_id = RwSignal::new(String::new());
    let res_kind = RwSignal::new("odcr".to_string());
    let res_type = RwSignal::new(pool.instance_types.first().cloned().unwrap_or_default());
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
                };
                store.commit(&format!("Add reservation to {name}"), |p| p.add_reservation(&name, reservation))
            });
            res_error.set(result.err());
        }
    };
    let uid = format!("pool-{index}");
    let last = position + 1 >= count;
    let up = {
        let move_to = move_to.clone();
        move |_| move_to(position.saturating_sub(1))
    };
    let down = {
        let move_to = move_to.clone();
        move |_| move_to(position + 1)
    };

    view! {
        <article class="tf-card tf-pool" class:tf-dragging=move || dragging() class:tf-drop-target=move || drop_target()
            data-testid="pool-card" data-pool-name=name.clone() id=field_id(&path) tabindex="-1">
            <header class="tf-card-head">
                <button class="tf-handle" data-testid="pool-drag-handle" on:pointerdown=handler(grab) on:keydown=handler(keys)
                    aria-label=format!("Reorder {name}: drag, or press Arrow Up or Arrow Down (position {} of {count})", position + 1)>
                    "⠿"
                </button>
                <h3>{name.clone()}</h3>
                <span class="tf-weight" id=field_id(&format!("{path}.weight"))>
                    "weight " <span data-testid="pool-weight">{pool.weight.map(|w| w.to_string()).unwrap_or_else(|| "0".into())}</span>
                </span>
                <span class="tf-move">
                    <button class="tf-small" disabled=position == 0 aria-label=format!("Move {name} up") on:click=handler(up)>"↑"</button>
                    <button class="tf-small" disabled=last aria-label=format!("Move {name} down") on:click=handler(down)>"↓"</button>
                </span>
            </header>
            {move || keyboard_drop()}
            <fieldset class="tf-inline">
                <legend>"Capacity types"</legend>
                {capacity}
            </fieldset>
            <div class="tf-families" id=field_id(&format!("{path}.instanceFamilies")) tabindex="-1">
                <span class="tf-field-label">"Instance families"</span>
                {families}
                {(!pool.instance_types.is_empty()).then(|| view! { <span class="tf-muted">"types: " {pool.instance_types.join(", ")}</span> })}
            </div>
            <details class="tf-more" data-testid="pool-settings">
            <summary>"Families, limits, taints and consolidation"</summary>
            <div class="tf-grid">
                <Field path=format!("{path}.instanceFamilies.add") label="Add instance family" value=Signal::derive(String::new)
                    on_commit=move |t: String| {
                        let family = t.trim().to_string();
                        if family.is_empty() { return Ok(()); }
                        edit_pool(format!("Add family {family}"), Box::new(move |pool| {
                            if !pool.instance_families.contains(&family) { pool.instance_families.push(family); }
                            Ok(())
                        }))
                    } />
                <Field path=format!("{path}.limits") label="Limits" value=Signal::stored(edit::show_pairs(&pool.limits))
                    on_commit=move |t: String| {
                        let limits = edit::parse_pairs(&t).map_err(|e| e.to_string())?;
                        edit_pool("Set limits".into(), Box::new(move |pool| { pool.limits = limits; Ok(()) }))
                    } />
                <Field path=format!("{path}.taints") label="Taints" value=Signal::stored(edit::show_taints(&pool.taints))
                    on_commit=move |t: String| {
                        let taints = edit::parse_taints(&t).map_err(|e| e.to_string())?;
                        edit_pool("Set taints".into(), Box::new(move |pool| { pool.taints = taints; Ok(()) }))
                    } />
                <label class="tf-field">
                    <span class="tf-field-label">"Consolidation"</span>
                    <select id=field_id(&format!("{path}.consolidation.policy")) on:change=handler(move |ev| {
                        let v = event_target_value(&ev);
                        let _ = edit_pool("Set consolidation".into(), Box::new(move |pool| { pool.consolidation.policy = v; Ok(()) }));
                    })>
                        {POLICIES.iter().map(|p| view! { <option value=*p selected=pool.consolidation.policy == *p>{*p}</option> }).collect_view()}
                    </select>
                </label>
                <Field path=format!("{path}.consolidation.after") label="Consolidate after" unit="duration (30s, 5m, Never)"
                    value=Signal::stored(pool.consolidation.after.clone().unwrap_or_default())
                    on_commit=move |t: String| {
                        let after = Some(t.trim().to_string()).filter(|s| !s.is_empty());
                        edit_pool("Set consolidate after".into(), Box::new(move |pool| { pool.consolidation.after = after; Ok(()) }))
                    } />
            </div>
            </details>
            <details class="tf-reservations" open=has_reservations data-testid="reservations">
                <summary>"Capacity reservations (" {reservation_count} ")"</summary>
                <ul>
                    {reservations.into_iter().map(|r| {
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
                    }).collect_view()}
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
