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
use tokenfleet_core::topology::{self, DaySamples, Lane, Node, NodeState, Pod, Topology};
use wasm_bindgen::JsCast;

use crate::dom::handler;
use crate::html::Html;
use crate::store::{Drag, Store};

/// The simulated day the charts ran for the current plan (set by chart.rs), provided by the root so
/// the topology view's scrubber reads it rather than simulating the day again.
#[derive(Clone, Copy)]
pub struct SimulatedDay(pub RwSignal<Option<DaySamples>>);

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

/// One pod, as markup: coloured and lettered by deployment, patterned by stage, dashed when pending.
fn pod_html(h: &mut Html, pod: &Pod) {
    let stage = pod.stage.as_deref();
    h.raw("<span class=\"tf-topo-pod tf-topo-c").text(&(pod.colour % 6).to_string());
    h.raw("\" data-testid=\"topology-pod\" data-deployment=\"").text(&pod.deployment);
    if let Some(s) = stage {
        h.raw("\" data-stage=\"").text(s);
    }
    if pod.warm {
        h.raw("\" data-warm=\"true");
    }
    h.raw("\" data-state=\"").text(pod.state.as_str()).raw("\" style=\"--n:").text(&pod.slots().to_string());
    h.raw("\" title=\"").text(&pod.deployment);
    h.text(&format!(
        "{} · {} · {} device(s){}",
        stage.map(|s| format!(" {s}")).unwrap_or_default(),
        pod.state.as_str(),
        pod.devices,
        if pod.warm { " · warm capacity" } else { "" }
    ))
    .raw("\">");
    // P or D after the letter for a stage (ASCII: the Unicode case tables would cost kilobytes).
    let initial = stage.and_then(|s| s.chars().next()).map(|c| c.to_ascii_uppercase().to_string()).unwrap_or_default();
    h.text(&letter(pod.colour)).text(&initial).raw("</span>");
}

/// A whole node box as markup: its type, capacity badge and state, then its device slots (pods,
/// then the free slots).
fn node_html(node: &Node) -> String {
    let capacity = node.capacity_type.as_str();
    let mut h = Html::default();
    h.raw("<div class=\"tf-topo-node tf-topo-").text(capacity);
    h.raw("\" data-testid=\"topology-node\" data-node=\"").text(&node.id);
    h.raw("\" data-instance-type=\"").text(&node.instance_type);
    h.raw("\" data-capacity-type=\"").text(capacity);
    h.raw("\" data-state=\"").text(node.state.as_str());
    h.raw("\" title=\"").text(&format!("{} · {capacity} · {} device slot(s)", node.instance_type, node.slots));
    h.raw("\"><div class=\"tf-topo-node-head\"><span class=\"tf-topo-type\">").text(&node.instance_type);
    h.raw("</span><span class=\"tf-topo-badge\">");
    h.raw(match node.capacity_type.as_str() {
        "reserved" => "RES",
        "spot" => "SPOT",
        _ => "OD",
    });
    h.raw("</span><span class=\"tf-topo-state\">");
    if node.state != NodeState::Running {
        h.text(node.state.as_str());
    }
    h.raw("</span></div><div class=\"tf-topo-slots\">");
    for pod in &node.pods {
        pod_html(&mut h, pod);
    }
    for _ in 0..node.free_slots() {
        h.raw("<span class=\"tf-topo-slot\" data-testid=\"topology-slot\"></span>");
    }
    h.raw("</div></div>");
    h.finish()
}

/// The lane of `pool` in the model.
fn lane_of<'a>(t: &'a Topology, pool: &str) -> Option<&'a Lane> {
    t.lanes.iter().find(|l| l.pool == pool)
}

/// A node, keyed by its id: its markup follows the model through one text memo, so a node whose
/// state or pods changed is redrawn and the others are left alone.
fn node_view(view_model: Memo<Topology>, pool: String, id: String) -> impl IntoView {
    let markup = Memo::new(move |_| {
        view_model
            .with(|t| lane_of(t, &pool).and_then(|l| l.nodes.iter().find(|n| n.id == id)).map(node_html))
            .unwrap_or_default()
    });
    view! { <div class="tf-topo-cell" inner_html=markup></div> }
}

fn lane_view(store: Store, view_model: Memo<Topology>, pool: String) -> impl IntoView {
    let key = pool.clone();
    let text = move |f: fn(&Lane) -> String| {
        let pool = key.clone();
        Memo::new(move |_| view_model.with(|t| lane_of(t, &pool).map(f).unwrap_or_default()))
    };
    let title = text(|l| {
        let caps = l.capacity_types.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
        let more = if l.nodes_not_shown > 0 { format!(" (+{} not drawn)", l.nodes_not_shown) } else { String::new() };
        format!("{} · weight {} · {caps} · {} node(s){more}", l.pool, l.weight, l.nodes.len())
    });
    let pending = text(|l| {
        let mut h = Html::default();
        if !l.pending.is_empty() {
            h.raw("<span class=\"tf-muted\">Pending: </span>");
            for pod in &l.pending {
                pod_html(&mut h, pod);
            }
        }
        h.finish()
    });
    let nodes: Memo<Vec<String>> = {
        let pool = pool.clone();
        Memo::new(move |_| {
            view_model
                .with(|t| lane_of(t, &pool).map(|l| l.nodes.iter().map(|n| n.id.clone()).collect()).unwrap_or_default())
        })
    };
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
    let in_lane = pool.clone();
    view! {
        <section class="tf-topo-lane" class:tf-drop-target=target data-testid="topology-lane" data-pool=pool.clone()
            data-pool-name=pool>
            <h4 class="tf-topo-lane-title">{title}</h4>
            <div class="tf-topo-nodes">
                <For each=move || nodes.get() key=String::clone children=move |id| node_view(view_model, in_lane.clone(), id) />
            </div>
            <div class="tf-topo-pending" inner_html=pending></div>
        </section>
    }
}

/// The legend: each fleet's colour and letter (drag it onto a lane) and a select that pins it from
/// the keyboard (handled on the legend). Its text changes only with the fleets and the pools, so a
/// pin made with a select keeps the select (and the focus).
fn legend_html(t: &Topology, pools: &[String]) -> String {
    let mut h = Html::default();
    for f in &t.fleets {
        h.raw("<li class=\"tf-topo-fleet\" data-testid=\"topology-fleet\" data-deployment=\"").text(&f.deployment);
        if let Some(stage) = &f.stage {
            h.raw("\" data-stage=\"").text(stage);
        }
        h.raw("\"><span class=\"tf-topo-pod tf-topo-c").text(&(f.colour % 6).to_string());
        h.raw("\" title=\"Drag onto a NodePool lane to pin\">").text(&letter(f.colour)).raw("</span> ");
        h.text(&f.name).raw(" <select data-testid=\"topology-pin\" aria-label=\"Pin ").text(&f.name);
        h.raw(" to a NodePool\"><option value=\"\">Pin to…</option>");
        for pool in pools {
            h.raw("<option value=\"").text(pool).raw("\">").text(pool).raw("</option>");
        }
        h.raw("</select></li>");
    }
    h.finish()
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
                let at = |t: &Option<DaySamples>| {
                    let t = t.as_ref()?;
                    let i = topology::sample_at(t, minute? as f64 * 60.0)?;
                    Some(topology::at_sample(plan, &d.outcome, t, i))
                };
                day.and_then(|day| day.with(at)).unwrap_or_else(|| topology::at_peak(plan, &d.outcome))
            })
        })
    });
    let step = move || {
        day.and_then(|d| d.with(|t| t.as_ref().map(|t| (t.series_step_s / 60.0).max(1.0)))).unwrap_or(5.0).to_string()
    };
    let simulated = move || day.is_some_and(|d| d.with(Option::is_some));
    let shown = move || view_model.with(|t| t.sample.map_or("Static plan (peak)".to_string(), |s| clock(s.t_s)));
    let sample = move || view_model.with(|t| t.sample.map(|s| s.index.to_string()));
    let lanes = move || view_model.with(|t| t.lanes.iter().map(|l| l.pool.clone()).collect::<Vec<_>>());
    let legend = Memo::new(move |_| {
        let pools = store.pool_order.get();
        view_model.with(|t| legend_html(t, &pools))
    });
    let counts = Memo::new(move |_| {
        view_model.with(|t| {
            t.fleets
                .iter()
                .map(|f| format!("{}: {} ready, {} pending", f.name, f.ready, f.pending))
                .collect::<Vec<_>>()
                .join(" · ")
        })
    });
    let pin = move |ev: leptos::ev::Event| {
        let pool = event_target_value(&ev);
        let Some(select) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        // Back to "Pin to…": the select is an action, not a setting.
        let _ = js_sys::Reflect::set(&select, &"value".into(), &"".into());
        if pool.is_empty() {
            return;
        }
        let Some(item) = select.closest("[data-deployment]").ok().flatten() else { return };
        let deployment = item.get_attribute("data-deployment").unwrap_or_default();
        let stage = item.get_attribute("data-stage");
        if let Err(e) = pin_drag(deployment, stage.as_deref(), false).drop_on(&store, &pool) {
            store.notify(true, e);
        }
    };
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
            <ul class="tf-topo-legend" on:change=handler(pin) inner_html=legend></ul>
            <p class="tf-muted tf-topo-counts" data-testid="topology-counts">{counts}</p>
            <For each=lanes key=String::clone children=move |pool| lane_view(store, view_model, pool) />
        </div>
    }
}
