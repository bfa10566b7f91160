//! The NodePool board: one card per pool in priority order. Drag a card's handle to reorder (weights
//! follow, highest first), or focus the handle and press Arrow Up/Down. Instance families,
//! deployments and the prefill or decode stage of a deployment can be dropped onto a card.
//!
//! A drag is a small state machine kept in [`Store::drag`]: pointer-down snapshots the cards'
//! midpoints, pointer-move previews the new order without touching the plan, pointer-up commits one
//! undoable action, Escape restores.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::pool_card::PoolCard;
use crate::store::{Drag, Store};

/// Provided where the NodePool board is on the page, so things can be dragged onto its cards (the
/// embeddable widget has no board, so its deployment cards show no drag handles).
#[derive(Clone, Copy)]
pub struct DropTargets;

/// The pool names in the order the board shows them: priority order, or the drag preview.
pub fn preview_order(store: Store) -> Vec<String> {
    let mut order = store.pool_order.get();
    if let Some(Drag::Pool { from, target, .. }) = store.drag.get() {
        if from < order.len() {
            let moved = order.remove(from);
            order.insert(target.min(order.len()), moved);
        }
    }
    order
}

/// Vertical midpoints of the pool cards on screen, in board order.
pub fn card_midpoints() -> Vec<f64> {
    let Ok(cards) = document().query_selector_all("[data-testid=pool-card]") else { return Vec::new() };
    (0..cards.length())
        .filter_map(|i| cards.item(i)?.dyn_into::<web_sys::Element>().ok())
        .map(|e| {
            let r = e.get_bounding_client_rect();
            r.top() + r.height() / 2.0
        })
        .collect()
}

/// The name of the pool card under a viewport point, if any.
pub fn pool_at(x: f64, y: f64) -> Option<String> {
    let element = document().element_from_point(x as f32, y as f32)?;
    element.closest("[data-pool-name]").ok().flatten()?.get_attribute("data-pool-name")
}

/// Focuses a pool's drag handle after the board has re-rendered (keyboard reordering keeps focus).
pub fn focus_handle_later(name: String) {
    request_animation_frame(move || {
        let selector = format!("[data-pool-name=\"{name}\"] [data-testid=pool-drag-handle]");
        if let Ok(Some(e)) = document().query_selector(&selector) {
            if let Ok(e) = e.dyn_into::<web_sys::HtmlElement>() {
                let _ = e.focus();
            }
        }
    });
}

/// Window-level listeners that drive every drag: move previews, up commits, Escape cancels.
pub fn install_drag_listeners(store: Store) {
    let move_handle = window_event_listener(leptos::ev::pointermove, move |ev| {
        let (x, y) = (ev.client_x() as f64, ev.client_y() as f64);
        store.drag.maybe_update(|drag| match drag {
            Some(Drag::Pool { from, target, mids, .. }) => {
                let others = mids.iter().enumerate().filter(|(i, m)| i != from && **m < y).count();
                let changed = *target != others;
                *target = others;
                changed
            }
            Some(drag) => match drag.pointer_target() {
                Some(over) => {
                    let now = pool_at(x, y);
                    let changed = *over != now;
                    *over = now;
                    changed
                }
                None => false,
            },
            None => false,
        });
    });
    let up_handle = window_event_listener(leptos::ev::pointerup, move |_| finish_pointer_drag(store));
    let cancel_handle = window_event_listener(leptos::ev::pointercancel, move |_| {
        if store.drag.with_untracked(Option::is_some) {
            store.drag.set(None);
        }
    });
    on_cleanup(move || {
        move_handle.remove();
        up_handle.remove();
        cancel_handle.remove();
    });
}

/// Commits the drag in progress (pointer released).
fn finish_pointer_drag(store: Store) {
    let Some(drag) = store.drag.get_untracked() else { return };
    if drag.by_keyboard() {
        return;
    }
    let result = match &drag {
        Drag::Pool { name, from, target, .. } if from != target => {
            store.commit(&format!("Move NodePool {name}"), |p| p.move_pool(name, *target))
        }
        Drag::Family { over: Some(pool), .. }
        | Drag::Deployment { over: Some(pool), .. }
        | Drag::Stage { over: Some(pool), .. } => drag.drop_on(&store, pool),
        _ => Ok(()),
    };
    store.drag.set(None);
    if let Err(e) = result {
        store.notify(true, e);
    }
}

#[component]
pub fn Board() -> impl IntoView {
    let store = expect_context::<Store>();
    let hint = move || match store.drag.get() {
        Some(Drag::Pool { name, target, .. }) => {
            format!("Moving {name} to position {}; release to drop, Escape to cancel.", target + 1)
        }
        Some(Drag::Family { family, .. }) => {
            format!("Moving instance family {family}: drop it on a NodePool, Escape to cancel.")
        }
        Some(Drag::Deployment { name, .. }) => format!("Pinning {name}: drop it on a NodePool, Escape to cancel."),
        Some(Drag::Stage { deployment, stage, .. }) => {
            format!("Pinning the {} stage of {deployment}: drop it on a NodePool, Escape to cancel.", stage.as_str())
        }
        None => {
            "Drag a card by its handle, or focus the handle and press Arrow Up/Down. Highest weight first.".to_string()
        }
    };
    // The previewed order changes on a reorder, not on every pointer move; cards are keyed by pool
    // name, so a reorder moves them and an edit of one pool touches only its card.
    let order = Memo::new(move |_| preview_order(store));
    let count = Signal::derive(move || order.with(Vec::len));
    view! {
        <section class="tf-panel" aria-labelledby="board-title" data-testid="board-panel">
            <h2 id="board-title">"NodePools by priority"</h2>
            <p class="tf-hint" aria-live="polite">{move || hint()}</p>
            <ol class="tf-board" class:tf-board-dragging=move || store.drag.with(Option::is_some)>
                <For each=move || order.get() key=String::clone let:name>
                    {
                        let key = name.clone();
                        let position = Signal::derive(move || order.with(|o| o.iter().position(|n| *n == key).unwrap_or_default()));
                        view! { <li><PoolCard name=name position=position count=count /></li> }
                    }
                </For>
            </ol>
        </section>
    }
}
