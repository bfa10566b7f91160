//! Charts drawn with plotters: drawing functions are generic over the backend (canvas in the app,
//! SVG in tests). The simulated day and the instance-type comparison are computed by core a moment
//! after the last edit (so typing stays fast), then drawn; the drawing time is shown.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use tokenfleet_core::curves::{latency_vs_throughput, Curve};
use tokenfleet_core::edit::compare_instance_types;
use tokenfleet_core::place::Outcome;
use tokenfleet_core::sim::{self, PlanInputs, Profile, SimOptions, Timeline, TraceRow};
use wasm_bindgen::JsCast;

use crate::store::{now_ms, Store};

const BLUE: RGBColor = RGBColor(37, 99, 235);
const ORANGE: RGBColor = RGBColor(234, 88, 12);
const GREEN: RGBColor = RGBColor(22, 163, 74);
const PALETTE: [RGBColor; 5] = [BLUE, ORANGE, GREEN, RGBColor(147, 51, 234), RGBColor(219, 39, 119)];

/// (label, USD/hour) per node group of an outcome.
pub fn cost_bars(outcome: &Outcome) -> Vec<(String, f64)> {
    outcome
        .pools
        .iter()
        .flat_map(|p| {
            p.nodes.iter().map(|n| (format!("{} × {}", n.count, n.instance_type), n.count as f64 * n.usd_per_hour_each))
        })
        .collect()
}

/// Draws a bar chart (one bar per label) on any plotters backend.
pub fn draw_bars<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    bars: &[(String, f64)],
    y_desc: &str,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1.0) * 1.15;
    let n = bars.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(52)
        .build_cartesian_2d(-0.5..n - 0.5, 0.0..max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .y_desc(y_desc)
        .x_labels(bars.len().max(1) * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 0.01 && i >= 0.0 {
                bars.get(i as usize).map(|b| b.0.clone()).unwrap_or_default()
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(
            bars.iter()
                .enumerate()
                .map(|(i, (_, usd))| Rectangle::new([(i as f64 - 0.35, 0.0), (i as f64 + 0.35, *usd)], BLUE.filled())),
        )
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// One panel of the day chart: lines over hours.
fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    hours: &[f64],
    lines: &[(&str, Vec<f64>)],
    stacked: bool,
) -> Result<(), String> {
    let end = hours.last().copied().unwrap_or(24.0).max(1.0);
    let mut tops = vec![0.0; hours.len()];
    let mut layers = Vec::new();
    for (name, values) in lines {
        let layer: Vec<(f64, f64)> = if stacked {
            values
                .iter()
                .zip(tops.iter_mut())
                .map(|(v, top)| {
                    *top += v;
                    *top
                })
                .zip(hours)
                .map(|(v, h)| (*h, v))
                .collect()
        } else {
            hours.iter().copied().zip(values.iter().copied()).collect()
        };
        layers.push((*name, layer));
    }
    let max = layers.iter().flat_map(|(_, l)| l.iter().map(|p| p.1)).fold(0.0_f64, f64::max).max(1.0) * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 14))
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(44)
        .build_cartesian_2d(0.0..end, 0.0..max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_desc("hour")
        .y_desc(y_desc)
        .x_labels(7)
        .y_labels(5)
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (name, layer)) in layers.into_iter().enumerate().rev() {
        let color = PALETTE[i % PALETTE.len()];
        if stacked {
            chart
                .draw_series(AreaSeries::new(layer, 0.0, color.mix(0.35)).border_style(color))
                .map_err(|e| e.to_string())?
        } else {
            chart.draw_series(LineSeries::new(layer, color.stroke_width(2))).map_err(|e| e.to_string())?
        }
        .label(name)
        .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.2))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| e.to_string())
}

/// The simulated day in four panels: rate vs capacity, replicas, nodes per pool (stacked), cost.
pub fn draw_day<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, timeline: &Timeline) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let s = &timeline.series;
    let hours: Vec<f64> = s.t_s.iter().map(|t| t / 3600.0).collect();
    let areas = root.split_evenly((2, 2));
    let f = |v: &[u32]| v.iter().map(|x| *x as f64).collect::<Vec<_>>();
    draw_lines(
        &areas[0],
        "Requests vs served",
        "req/s",
        &hours,
        &[("arriving", s.arrival_rate.clone()), ("served", s.served_rate.clone())],
        false,
    )?;
    draw_lines(
        &areas[1],
        "Replicas",
        "replicas",
        &hours,
        &[("desired", f(&s.replicas_desired)), ("ready", f(&s.replicas_ready))],
        false,
    )?;
    let pools: Vec<(&str, Vec<f64>)> = s.pools.iter().map(|(name, p)| (name.as_str(), f(&p.nodes))).collect();
    draw_lines(&areas[2], "Nodes per NodePool (stacked)", "nodes", &hours, &pools, true)?;
    draw_lines(&areas[3], "Cost so far", "USD", &hours, &[("cost", s.cost_usd_cumulative.clone())], false)?;
    root.present().map_err(|e| e.to_string())
}

/// TTFT p90 against output tokens per second, one line per candidate instance type.
pub fn draw_curves<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, curves: &[Curve]) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let max_x = curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)).fold(0.0_f64, f64::max).max(1.0) * 1.05;
    let max_y = curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)).fold(0.0_f64, f64::max).max(1.0) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..max_x, 0.0..max_y)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_desc("output tokens/s per replica")
        .y_desc("TTFT p90, ms")
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, curve) in curves.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(curve.points.iter().copied(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(curve.instance_type.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.2))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

fn canvas_area(canvas: NodeRef<Canvas>) -> Option<DrawingArea<plotters_canvas::CanvasBackend, Shift>> {
    let element = canvas.get()?;
    Some(plotters_canvas::CanvasBackend::with_canvas_object(element)?.into_drawing_area())
}

/// What the simulator and the comparison said about the current plan.
#[derive(Clone)]
struct Background {
    timeline: Result<Timeline, String>,
    sim_ms: f64,
    comparison: Vec<(String, f64)>,
    curves: Vec<Curve>,
}

impl PartialEq for Background {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

#[component]
pub fn ChartsPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let groups = NodeRef::<Canvas>::new();
    let day = NodeRef::<Canvas>::new();
    let compare = NodeRef::<Canvas>::new();
    let latency = NodeRef::<Canvas>::new();
    let profile = RwSignal::new(Profile::DiurnalWithSpikes);
    let background = RwSignal::new(None::<Background>);
    let draw_ms = RwSignal::new(None::<f64>);
    // A replayed trace (CSV), instead of the profile; kept in the page, not in the plan.
    let trace = RwSignal::new(None::<Vec<TraceRow>>);
    let trace_text = RwSignal::new(String::new());
    let trace_error = RwSignal::new(None::<String>);
    let use_trace = move |_| match sim::parse_trace_csv(&trace_text.get_untracked()) {
        Ok(rows) if rows.is_empty() => trace_error.set(Some("the trace has no rows".into())),
        Ok(rows) => {
            trace_error.set(None);
            trace.set(Some(rows));
        }
        Err(e) => trace_error.set(Some(e)),
    };
    let upload = move |ev: leptos::ev::Event| {
        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
            crate::dom::read_file(&input, move |_, content| trace_text.set(content));
        }
    };

    // Cost by node group: cheap, redrawn on every edit.
    Effect::new(move |_| {
        let bars = store.derived.with(|d| cost_bars(&d.outcome));
        if let Some(area) = canvas_area(groups) {
            if let Err(e) = draw_bars(area, &bars, "USD/hour") {
                gloo::console::error!(format!("cost chart: {e}"));
            }
        }
    });
    // The simulated day and the comparison: a moment after the last edit.
    let pending = StoredValue::new(None::<i32>);
    Effect::new(move |_| {
        let plan = store.plan.get();
        let profile = profile.get();
        let trace = trace.get();
        if let Some(id) = pending.get_value() {
            window().clear_timeout_with_handle(id);
        }
        let run = wasm_bindgen::closure::Closure::once_into_js(move || {
            pending.set_value(None);
            let start = now_ms();
            let inputs = PlanInputs { profile, trace, ..PlanInputs::default() };
            let options = SimOptions { step_s: 2.0, series_step_s: 300.0, ..SimOptions::default() };
            let timeline = sim::from_plan(&plan, &inputs).and_then(|scenario| sim::simulate(&scenario, &options));
            let sim_ms = now_ms() - start;
            let comparison = compare_instance_types(&plan, 12);
            let curves = latency_vs_throughput(&plan, 5);
            background.set(Some(Background { timeline, sim_ms, comparison, curves }));
        });
        let id = window().set_timeout_with_callback_and_timeout_and_arguments_0(run.unchecked_ref(), 120).ok();
        pending.set_value(id);
    });
    Effect::new(move |_| {
        background.with(|b| {
            let Some(b) = b else { return };
            if let (Ok(timeline), Some(area)) = (&b.timeline, canvas_area(day)) {
                let start = now_ms();
                if let Err(e) = draw_day(area, timeline) {
                    gloo::console::error!(format!("day chart: {e}"));
                }
                draw_ms.set(Some(now_ms() - start));
            }
            if let Some(area) = canvas_area(latency) {
                if let Err(e) = draw_curves(area, &b.curves) {
                    gloo::console::error!(format!("latency chart: {e}"));
                }
            }
            if let Some(area) = canvas_area(compare) {
                if let Err(e) = draw_bars(area, &b.comparison, "USD/hour") {
                    gloo::console::error!(format!("comparison chart: {e}"));
                }
            }
        })
    });
    let summary = move || {
        background.with(|b| match b {
            None => view! { <p class="tf-muted">"Simulating…"</p> }.into_any(),
            Some(Background { timeline: Err(e), .. }) => view! { <p class="tf-error" role="alert">"The simulation could not run: " {e.clone()}</p> }.into_any(),
            Some(Background { timeline: Ok(t), sim_ms, .. }) => {
                let s = &t.summary;
                let attainment = s.slo_attainment.iter().map(|(k, v)| format!("{k}: {:.1} %", v * 100.0)).collect::<Vec<_>>().join(" · ");
                view! {
                    <p class="tf-muted" data-testid="sim-summary">
                        {format!("{:.2} USD for the day · {:.3} USD per million tokens · peak {} nodes · {} of {} requests dropped · SLO attainment {attainment}",
                            s.cost_usd, s.usd_per_million_tokens, s.peak_nodes, s.requests_dropped, s.requests_arrived)}
                        <br />
                        {format!("simulated in {sim_ms:.0} ms")}
                    </p>
                }.into_any()
            }
        })
    };
    view! {
        <section class="tf-panel" aria-labelledby="charts-title" data-testid="charts-panel">
            <h2 id="charts-title">"Charts"</h2>
            <h3>"Simulated day"</h3>
            <label class="tf-field tf-inline-field">
                <span class="tf-field-label">"Traffic profile"</span>
                <select data-testid="traffic-profile" on:change=move |ev| {
                    if let Some(p) = Profile::parse(&event_target_value(&ev)) { profile.set(p); }
                }>
                    <option value="diurnal-spikes" selected=true>"Diurnal with spikes"</option>
                    <option value="diurnal">"Diurnal"</option>
                    <option value="steady">"Steady"</option>
                    <option value="weekly">"Weekly"</option>
                </select>
            </label>
            <details class="tf-trace" data-testid="trace">
                <summary>{move || if trace.with(Option::is_some) { "Replaying a trace (CSV)" } else { "Replay a trace (CSV) instead of the profile" }}</summary>
                <label class="tf-field tf-wide">
                    <span class="tf-field-label">"t_s,requests_per_s[,input_tokens,output_tokens], one row per change"</span>
                    <textarea data-testid="trace-csv" rows="4" spellcheck="false" prop:value=trace_text
                        aria-invalid=move || if trace_error.with(Option::is_some) { "true" } else { "false" }
                        aria-describedby="trace-error"
                        on:input=move |ev| trace_text.set(event_target_value(&ev))></textarea>
                </label>
                <div class="tf-actions">
                    <input type="file" accept=".csv,.txt" aria-label="Upload a trace CSV" on:change=upload />
                    <button data-testid="trace-apply" on:click=use_trace>"Use this trace"</button>
                    <button data-testid="trace-clear" disabled=move || trace.with(Option::is_none)
                        on:click=move |_| trace.set(None)>"Back to the profile"</button>
                </div>
                <span class="tf-field-error" id="trace-error" role="alert" data-testid="trace-error">{move || trace_error.get()}</span>
            </details>
            {summary}
            <canvas node_ref=day width="760" height="440" data-testid="sim-chart"
                data-draw-ms=move || draw_ms.get().map(|m| m.to_string()).unwrap_or_default()
                aria-label="Simulated day: requests per second, replicas, nodes per NodePool and cost over 24 hours"></canvas>
            <p class="tf-muted">"Chart drawn in " <span data-testid="sim-draw-ms">{move || draw_ms.get().map(|m| format!("{m:.1} ms")).unwrap_or_else(|| "—".into())}</span></p>
            <h3>"Cost by node group (USD/hour)"</h3>
            <canvas node_ref=groups width="640" height="220" data-testid="cost-chart" aria-label="Cost by node group in USD per hour"></canvas>
            <h3>"Latency vs throughput per candidate instance type (first deployment, one replica)"</h3>
            <canvas node_ref=latency width="760" height="260" data-testid="latency-chart"
                aria-label="Time to first token p90 in milliseconds against output tokens per second, per instance type"></canvas>
            <h3>"Cost per instance type (USD/hour, whole plan on that type)"</h3>
            <canvas node_ref=compare width="760" height="240" data-testid="compare-chart"
                aria-label="What the plan would cost per hour on each instance type its NodePools allow"></canvas>
        </section>
    }
}
