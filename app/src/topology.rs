//! The live topology view: NodePools as lanes in weight order, their nodes by instance type and
//! capacity type with one slot per device, and the pods on them, coloured and lettered by
//! deployment. Core's `topology` builds the model (the static plan at peak, or a sample of the
//! simulated day the charts ran, chosen with the day scrubber); this file only renders it, through
//! keyed lists (lanes by pool, nodes and pods by their stable ids), so an edit or a scrub touches
//! only the nodes and pods that changed.
//!
//! Drag a pod or a legend entry onto a lane to pin its deployment (or stage) there, as on the
//! NodePool board (the lanes carry `data-pool-name`, which the board's drag listeners look for); the
//! legend's selects do the same from the keyboard.

use leptos::prelude::*;
use tokenfleet_core::plan::StageKind;
use tokenfleet_core::sim::Timeline;
use tokenfleet_core::topology::{self, FleetKey, Lane, Node, Pod, Topology};
use wasm_bindgen::JsCast;

use crate::dom::handler;
use crate::store::{Drag, Store};

/// The simulated day the charts ran for the current plan (set by chart.rs), provided by the root so
/// the topology view's scrubber reads it rather than simulating the day again.
#[derive(Clone, Copy)]
pub struct SimulatedDay(pub RwSignal<Option<Timeline>>);

/// A deployment's letter in the legend and on its pods (A, B, …), so pods are told apart by more
/// than colour.
fn letter(colour: u32) -> String {
    char::from_u32('A' as u32 + colour % 26).unwrap_or('?').to_string()
}

/// hh:mm of a time of day in seconds.
fn clock(t_s: f64) -> String {
    let minutes = (t_s / 60.0).round() as u64;
    format!("{:02}:{:02}", minutes / 60 % 100, minutes % 60)
}

/// The drag that pins a fleet: the whole deployment, or one stage of it.
fn pin_drag(deployment: String, stage: Option<&str>, pointer: bool) -> Drag {
    match stage.and_then(|s| StageKind::BOTH.into_iter().find(|k| k.as_str() == s)) {
        Some(stage) => Drag::Stage { deployment, stage, over: None, pointer },
        None => Drag::Deployment { name: deployment, over: None, pointer },
    }
}

fn pod_view(pod: Pod) -> impl IntoView {
    let stage = pod.stage.clone();
    let label = format!("{}{}", letter(pod.colour), stage.as_deref().map_or("", |s| &s[..1]).to_uppercase());
    let title = format!(
        "{}{} · {} · {} device(s){}",
        pod.deployment,
        stage.as_deref().map(|s| format!(" {s}")).unwrap_or_default(),
        pod.state.as_str(),
        pod.devices,
        if pod.warm { " · warm capacity" } else { "" }
    );
    view! {
        <span class=format!("tf-topo-pod tf-topo-c{}", pod.colour % 6) data-testid="topology-pod"
            data-deployment=pod.deployment data-stage=stage data-state=pod.state.as_str()
            data-warm=pod.warm.then_some("true") style=format!("--n:{}", pod.slots()) title=title>{label}</span>
    }
}

fn node_view(lane: Memo<Option<Lane>>, id: String) -> impl IntoView {
    let node = {
        let id = id.clone();
        Memo::new(move |_| lane.with(|l| l.as_ref().and_then(|l| l.nodes.iter().find(|n| n.id == id).cloned())))
    };
    let Some(first) = node.get_untracked() else { return ().into_any() };
    let capacity = first.capacity_type.as_str();
    let state = move || node.with(|n| n.as_ref().map_or("running", |n| n.state.as_str()));
    let pods = move || node.with(|n| n.as_ref().map(|n| n.pods.clone()).unwrap_or_default());
    let free = move || node.with(|n| n.as_ref().map_or(0, Node::free_slots));
    let badge = match capacity {
        "reserved" => "RES",
        "spot" => "SPOT",
        _ => "OD",
    };
    view! {
        <div class=format!("tf-topo-node tf-topo-{capacity}") data-testid="topology-node" data-node=id
            data-instance-type=first.instance_type.clone() data-capacity-type=capacity data-state=state
            title=format!("{} · {capacity} · {} device slot(s)", first.instance_type, first.slots)>
            <div class="tf-topo-node-head">
                <span class="tf-topo-type">{first.instance_type.clone()}</span>
                <span class="tf-topo-badge">{badge}</span>
                <span class="tf-topo-state">{move || match state() { "running" => "", s => s }}</span>
            </div>
            <div class="tf-topo-slots">
                <For each=pods key=Pod::clone children=pod_view />
                {move || (0..free()).map(|_| view! { <span class="tf-topo-slot" data-testid="topology-slot"></span> }).collect_view()}
            </div>
        </div>
    }
    .into_any()
}

fn lane_view(store: Store, view_model: Memo<Topology>, pool: String) -> impl IntoView {
    let lane = {
        let pool = pool.clone();
        Memo::new(move |_| view_model.with(|t| t.lanes.iter().find(|l| l.pool == pool).cloned()))
    };
    let title = move || {
        lane.with(|l| {
            l.as_ref()
                .map(|l| {
                    let caps = l.capacity_types.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
                    let more = if l.nodes_not_shown > 0 {
                        format!(" (+{} not drawn)", l.nodes_not_shown)
                    } else {
                        String::new()
                    };
                    format!("{} · weight {} · {caps} · {} node(s){more}", l.pool, l.weight, l.nodes.len())
                })
                .unwrap_or_default()
        })
    };
    let nodes = move || lane.with(|l| l.iter().flat_map(|l| &l.nodes).map(|n| n.id.clone()).collect::<Vec<_>>());
    let pending = move || lane.with(|l| l.as_ref().map(|l| l.pending.clone()).unwrap_or_default());
    let has_pending = move || lane.with(|l| l.as_ref().is_some_and(|l| !l.pending.is_empty()));
    let target = {
        let pool = pool.clone();
        move || {
            store.drag.with(|d| match d {
                Some(Drag::Deployment { over, .. } | Drag::Stage { over, .. }) => {
                    over.as_deref() == Some(pool.as_str())
                }
                _ => false,
            })
        }
    };
    view! {
        <section class="tf-topo-lane" class:tf-drop-target=target data-testid="topology-lane" data-pool=pool.clone()
            data-pool-name=pool>
            <h4 class="tf-topo-lane-title">{title}</h4>
            <div class="tf-topo-nodes">
                <For each=nodes key=String::clone children=move |id| node_view(lane, id) />
            </div>
            <div class="tf-topo-pending" hidden=move || !has_pending()>
                <span class="tf-muted">"Pending: "</span>
                <For each=pending key=Pod::clone children=pod_view />
            </div>
        </section>
    }
}

fn fleet_view(store: Store, fleet: FleetKey) -> impl IntoView {
    let FleetKey { name, deployment, stage, colour, ready, pending } = fleet;
    let (d1, s1) = (deployment.clone(), stage.clone());
    let pin = move |ev: leptos::ev::Event| {
        let pool = event_target_value(&ev);
        if pool.is_empty() {
            return;
        }
        if let Err(e) = pin_drag(d1.clone(), s1.as_deref(), false).drop_on(&store, &pool) {
            store.notify(true, e);
        }
    };
    let pools = move || {
        store
            .pool_order
            .get()
            .into_iter()
            .map(|p| view! { <option value=p.clone()>{p.clone()}</option> })
            .collect_view()
    };
    view! {
        <li class="tf-topo-fleet" data-testid="topology-fleet" data-deployment=deployment.clone() data-stage=stage.clone()>
            <span class=format!("tf-topo-pod tf-topo-grab tf-topo-c{}", colour % 6) style="--n:1"
                title="Drag onto a NodePool lane to pin">{letter(colour)}</span>
            <span>{format!("{name}: {ready} ready, {pending} pending")}</span>
            <select data-testid="topology-pin" aria-label=format!("Pin {name} to a NodePool") on:change=handler(pin)
                prop:value="">
                <option value="">"Pin to…"</option>
                {pools}
            </select>
        </li>
    }
}

#[component]
pub fn TopologyView() -> impl IntoView {
    let store = expect_context::<Store>();
    let day = use_context::<SimulatedDay>().map(|d| d.0);
    // Only where the board's drag listeners run (not in the embeddable widget).
    let draggable = use_context::<crate::board::DropTargets>().is_some();
    // The scrubber's minute of the day; `None` shows the static plan at peak.
    let minute = RwSignal::new(None::<u32>);
    let view_model = Memo::new(move |_| {
        let minute = minute.get();
        store.plan.with(|plan| {
            store.derived.with(|d| {
                let at = |t: &Option<Timeline>| {
                    let t = t.as_ref()?;
                    let i = topology::sample_at(t, minute? as f64 * 60.0)?;
                    Some(topology::at_sample(plan, &d.outcome, t, i))
                };
                day.and_then(|day| day.with(at)).unwrap_or_else(|| topology::at_peak(plan, &d.outcome))
            })
        })
    });
    let step = move || {
        day.and_then(|d| d.with(|t| t.as_ref().map(|t| (t.summary.series_step_s / 60.0).max(1.0))))
            .unwrap_or(5.0)
            .to_string()
    };
    let simulated = move || day.is_some_and(|d| d.with(Option::is_some));
    let shown = move || view_model.with(|t| t.sample.map_or("Static plan (peak)".to_string(), |s| clock(s.t_s)));
    let sample = move || view_model.with(|t| t.sample.map(|s| s.index.to_string()));
    let lanes = move || view_model.with(|t| t.lanes.iter().map(|l| l.pool.clone()).collect::<Vec<_>>());
    let fleets = move || view_model.with(|t| t.fleets.clone());
    // Pods and legend entries are picked up with the pointer from one listener.
    let grab = move |ev: leptos::ev::PointerEvent| {
        let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        let Some(item) = el.closest(".tf-topo-pod").ok().flatten() else { return };
        let Some(source) = item.closest("[data-deployment]").ok().flatten() else { return };
        if ev.button() != 0 || !draggable {
            return;
        }
        ev.prevent_default();
        let deployment = source.get_attribute("data-deployment").unwrap_or_default();
        let stage = source.get_attribute("data-stage");
        store.drag.set(Some(pin_drag(deployment, stage.as_deref(), true)));
    };
    view! {
        <h3 id="topology-title">"Topology"</h3>
        <div class="tf-topo" role="group" data-testid="topology-view" data-sample=sample aria-labelledby="topology-title"
            on:pointerdown=handler(grab)>
            <div class="tf-topo-scrub">
                <button class="tf-small" data-testid="topology-static" aria-pressed=move || minute.with(Option::is_none).to_string()
                    on:click=handler(move |_| minute.set(None))>"Static plan (peak)"</button>
                <label for="day-scrubber">"Time of the simulated day"</label>
                <input id="day-scrubber" type="range" data-testid="day-scrubber" min="0" max="1440" step=step
                    disabled=move || !simulated() prop:value=move || minute.get().unwrap_or(0).to_string()
                    on:input=handler(move |ev| minute.set(event_target_value(&ev).parse().ok())) />
                <output for="day-scrubber" data-testid="day-time">{shown}</output>
            </div>
            <ul class="tf-topo-legend">
                <For each=fleets key=FleetKey::clone children=move |f| fleet_view(store, f) />
            </ul>
            <For each=lanes key=String::clone children=move |pool| lane_view(store, view_model, pool) />
        </div>
    }
}
