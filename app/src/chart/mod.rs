//! Charts drawn with plotters: drawing functions are generic over the backend (canvas in the app,
//! SVG in tests). The simulated day and the instance-type comparison are computed by core a moment
//! after the last edit (so typing stays fast), then drawn; the drawing time is shown. Canvases take
//! their container's CSS width and the screen's pixel ratio (backing store = CSS size × ratio, sizes
//! in CSS pixels times [`ChartStyle::scale`]) and are redrawn when the window is resized. The day
//! chart, its read-out, zoom and events are in [`day`].

pub mod day;

use std::cell::Cell;
use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::chart::{ChartContext, MeshStyle};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::TextStyle;
use tokenfleet_core::curves::{latency_vs_throughput, DeploymentCurves};
use tokenfleet_core::edit::{compare_instance_types, normalize_trace_csv};
use tokenfleet_core::place::Outcome;
use tokenfleet_core::plan::{Plan, TraceRef};
use tokenfleet_core::sim::{self, PlanInputs, Profile, SimOptions, Timeline};

use wasm_bindgen::JsCast;

use crate::dom::handler;
use crate::store::{effect, now_ms, Store};
use crate::theme::Theme;
use day::{DayChart, DayData, SloLine};

/// The colours a chart is drawn with, one set per theme: the background is the panel's, text and
/// axes follow style.css's text and muted colours, and the series are Okabe–Ito's colour-blind-safe
/// palette, darkened on white and as published on the dark panel, each at least 3:1 against its
/// background. `scale` is device pixels per CSS pixel: sizes given in CSS pixels are multiplied by it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChartStyle {
    pub background: RGBColor,
    pub text: RGBColor,
    pub axis: RGBColor,
    pub grid: RGBColor,
    pub series: [RGBColor; 6],
    pub scale: f64,
}

impl ChartStyle {
    pub const LIGHT: ChartStyle = ChartStyle {
        background: RGBColor(255, 255, 255),
        text: RGBColor(17, 24, 39),
        axis: RGBColor(107, 114, 128),
        grid: RGBColor(229, 231, 235),
        series: [
            RGBColor(0, 100, 190),
            RGBColor(213, 94, 0),
            RGBColor(0, 122, 90),
            RGBColor(168, 71, 138),
            RGBColor(143, 106, 0),
            RGBColor(70, 70, 70),
        ],
        scale: 1.0,
    };
    pub const DARK: ChartStyle = ChartStyle {
        background: RGBColor(17, 24, 39),
        text: RGBColor(229, 231, 235),
        axis: RGBColor(156, 163, 175),
        grid: RGBColor(55, 65, 81),
        series: [
            RGBColor(86, 180, 233),
            RGBColor(230, 159, 0),
            RGBColor(0, 158, 115),
            RGBColor(204, 121, 167),
            RGBColor(240, 228, 66),
            RGBColor(213, 94, 0),
        ],
        scale: 1.0,
    };

    pub fn for_theme(dark: bool) -> ChartStyle {
        if dark {
            ChartStyle::DARK
        } else {
            ChartStyle::LIGHT
        }
    }

    /// The style of the page's current theme (light where no theme is provided, as in the widget);
    /// reading it inside an effect redraws the chart when the theme changes.
    pub fn current() -> ChartStyle {
        ChartStyle::for_theme(use_context::<Theme>().is_some_and(|t| t.dark()))
    }

    pub fn color(&self, i: usize) -> RGBColor {
        self.series[i % self.series.len()]
    }

    /// The style drawing at `scale` device pixels per CSS pixel.
    pub fn scaled(self, scale: f64) -> ChartStyle {
        ChartStyle { scale, ..self }
    }

    /// `css` CSS pixels in device pixels.
    pub fn px(&self, css: u32) -> u32 {
        (css as f64 * self.scale).round() as u32
    }

    /// Text at `size` CSS pixels.
    pub fn font(&self, size: u32) -> TextStyle<'static> {
        ("sans-serif", size as f64 * self.scale).into_font().color(&self.text)
    }

    /// A mesh in the theme's colours (axes, grid, labels and descriptions at `font` px); the caller
    /// adds descriptions, label counts and formatters, then draws.
    pub fn mesh<'a, 'b, X, Y, XT, YT, DB>(
        &self,
        chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
        font: u32,
    ) -> MeshStyle<'a, 'b, X, Y, DB>
    where
        X: Ranged<ValueType = XT> + ValueFormatter<XT>,
        Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
        DB: DrawingBackend,
    {
        let mut mesh = chart.configure_mesh();
        mesh.axis_style(self.axis)
            .bold_line_style(self.grid)
            .light_line_style(TRANSPARENT)
            .label_style(self.font(font))
            .axis_desc_style(self.font(font));
        mesh
    }

    /// Draws the series legend at `position`, on the theme's background.
    pub fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
        &self,
        chart: &mut ChartContext<'a, DB, CT>,
        font: u32,
        position: SeriesLabelPosition,
    ) -> Result<(), String> {
        chart
            .configure_series_labels()
            .margin(self.px(6))
            .legend_area_size(self.px(18))
            .background_style(self.background.mix(0.85))
            .border_style(self.axis)
            .label_font(self.font(font))
            .position(position)
            .draw()
            .map_err(|e| e.to_string())
    }
}

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
    style: &ChartStyle,
) -> Result<(), String> {
    root.fill(&style.background).map_err(|e| e.to_string())?;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1.0) * 1.15;
    let n = bars.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(style.px(12))
        .x_label_area_size(style.px(28))
        .y_label_area_size(style.px(60))
        .build_cartesian_2d(-0.5..n - 0.5, 0.0..max)
        .map_err(|e| e.to_string())?;
    style
        .mesh(&mut chart, 12)
        .disable_x_mesh()
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
    let color = style.color(0);
    chart
        .draw_series(
            bars.iter()
                .enumerate()
                .map(|(i, (_, usd))| Rectangle::new([(i as f64 - 0.35, 0.0), (i as f64 + 0.35, *usd)], color.filled())),
        )
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Height of one deployment's panel in the latency-vs-throughput chart, pixels.
pub const CURVES_PANEL_HEIGHT: u32 = 240;

/// Latency against throughput, one panel per deployment (its own axes: models differ by orders of
/// magnitude), one line per candidate accelerator with a legend; a deployment without curves says
/// why in its panel.
pub fn draw_curves<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    deployments: &[DeploymentCurves],
    ttft_slo: Option<(String, f64)>,
    style: &ChartStyle,
) -> Result<(), String> {
    root.fill(&style.background).map_err(|e| e.to_string())?;
    let px = |v: u32| style.px(v);
    if deployments.is_empty() {
        root.draw(&Text::new(
            "No deployments: add one to see its curves.",
            (px(16) as i32, px(24) as i32),
            style.font(13),
        ))
        .map_err(|e| e.to_string())?;
        return root.present().map_err(|e| e.to_string());
    }
    for (area, d) in root.split_evenly((deployments.len(), 1)).iter().zip(deployments) {
        let title = format!("{}: {}", d.deployment, d.replica);
        let prefill = d.prefill_stage;
        let max_x = d.curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)).fold(0.0_f64, f64::max).max(1.0) * 1.05;
        let max_y = d
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.1))
            .chain(ttft_slo.as_ref().map(|s| s.1))
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(title, style.font(14))
            .margin(px(8))
            .x_label_area_size(px(36))
            .y_label_area_size(px(64))
            .build_cartesian_2d(0.0..max_x, 0.0..max_y)
            .map_err(|e| e.to_string())?;
        style
            .mesh(&mut chart, 12)
            .x_desc(if prefill {
                "output tokens/s of one prefill replica's requests"
            } else {
                "output tokens/s per replica"
            })
            .y_desc(if prefill { "TTFT p90 incl. KV transfer, ms" } else { "TTFT p90, ms" })
            .x_labels(6)
            .y_labels(5)
            .draw()
            .map_err(|e| e.to_string())?;
        if let Some(note) = &d.note {
            let (_, h) = area.dim_in_pixel();
            area.draw(&Text::new(format!("No curves: {note}."), (px(72) as i32, h as i32 / 2), style.font(12)))
                .map_err(|e| e.to_string())?;
            continue;
        }
        for (i, curve) in d.curves.iter().enumerate() {
            let color = style.color(i);
            chart
                .draw_series(LineSeries::new(curve.points.iter().copied(), color.stroke_width(px(2))))
                .map_err(|e| e.to_string())?
                .label(format!("{} ({})", curve.instance_type, curve.accelerator))
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
        // The plan's TTFT SLO, dashed across the panel.
        if let Some((label, limit)) = &ttft_slo {
            let text = style.text;
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, *limit), (max_x, *limit)],
                    px(8),
                    px(5),
                    text.stroke_width(px(2)),
                ))
                .map_err(|e| e.to_string())?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 12, y)], text.stroke_width(2)));
        }
        style.legend(&mut chart, 12, SeriesLabelPosition::UpperLeft)?;
    }
    root.present().map_err(|e| e.to_string())
}

/// The trace section of the charts panel holding `canvas`, once it is mounted: found from the day
/// chart's node ref rather than through a `NodeRef<Details>`, a node-ref type the wasm would carry for
/// this alone.
fn trace_section(canvas: NodeRef<Canvas>) -> Option<web_sys::Element> {
    canvas.get()?.closest("[data-testid=charts-panel]").ok()??.query_selector("[data-testid=trace]").ok()?
}

/// Sizes a canvas to its CSS width and `css_height` CSS pixels, its backing store to that times the
/// screen's pixel ratio (resizing clears it, so only when it changes); returns it with the ratio.
pub fn fit_canvas(canvas: web_sys::HtmlCanvasElement, css_height: u32) -> Option<(web_sys::HtmlCanvasElement, f64)> {
    let scale = window().device_pixel_ratio().max(1.0);
    let height = format!("height:{css_height}px");
    if canvas.get_attribute("style").as_deref() != Some(height.as_str()) {
        let _ = canvas.set_attribute("style", &height);
    }
    let css_width = match canvas.client_width() {
        0 => canvas.width() as f64 / scale,
        w => w as f64,
    };
    let (w, h) = ((css_width * scale).round() as u32, (css_height as f64 * scale).round() as u32);
    if canvas.width() != w {
        canvas.set_width(w);
    }
    if canvas.height() != h {
        canvas.set_height(h);
    }
    Some((canvas, scale))
}

/// A canvas fitted (see [`fit_canvas`]) as a plotters area, with the style at its pixel ratio.
fn canvas_area(
    canvas: NodeRef<Canvas>,
    css_height: u32,
    style: ChartStyle,
) -> Option<(DrawingArea<plotters_canvas::CanvasBackend, Shift>, ChartStyle)> {
    let (element, scale) = fit_canvas(canvas.get()?, css_height)?;
    Some((plotters_canvas::CanvasBackend::with_canvas_object(element)?.into_drawing_area(), style.scaled(scale)))
}

/// What the simulator and the comparison said about the current plan.
#[derive(Clone)]
struct Background {
    timeline: Result<std::sync::Arc<Timeline>, String>,
    slos: Vec<SloLine>,
    sim_ms: f64,
    comparison: Vec<(String, f64)>,
    curves: Vec<DeploymentCurves>,
}

impl PartialEq for Background {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

/// The deployments the latency chart shows, comma-separated, once the background work is done.
fn curve_deployments(b: &Option<Background>) -> Option<String> {
    b.as_ref().map(|b| b.curves.iter().map(|d| d.deployment.clone()).collect::<Vec<_>>().join(","))
}

/// What the latency chart shows, in words.
fn curves_label(b: &Option<Background>) -> String {
    let described = b
        .as_ref()
        .map(|b| {
            b.curves
                .iter()
                .map(|d| match &d.note {
                    Some(note) => format!("{}: no curves, {note}", d.deployment),
                    None => format!(
                        "{} ({}): {}",
                        d.deployment,
                        d.replica,
                        d.curves.iter().map(|c| c.instance_type.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    format!("Time to first token p90 in milliseconds against output tokens per second, one panel per deployment, one line per candidate accelerator. {described}")
}

#[component]
pub fn ChartsPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let groups = NodeRef::<Canvas>::new();
    let day = NodeRef::<Canvas>::new();
    let compare = NodeRef::<Canvas>::new();
    let latency = NodeRef::<Canvas>::new();
    // The traffic profile as the select's value (`diurnal-spikes`).
    let profile = RwSignal::new("diurnal-spikes".to_string());
    let background = RwSignal::new(None::<Background>);
    // Bumped after the window is resized (once per frame): every chart is fitted and drawn again.
    let resized = RwSignal::new(0u32);
    let resize_pending = Rc::new(Cell::new(false));
    let handle = window_event_listener(leptos::ev::resize, move |_| {
        if !resize_pending.replace(true) {
            let pending = resize_pending.clone();
            crate::dom::after_paint(move || {
                pending.set(false);
                resized.update(|n| *n += 1);
            });
        }
    });
    on_cleanup(move || handle.remove());
    // What the day chart draws, prepared once per simulation.
    let day_data = RwSignal::new(None::<std::sync::Arc<DayData>>);
    // The topology view's scrubber reads the same simulated day (topology.rs).
    let shared_day = use_context::<crate::topology::SimulatedDay>();
    // The replayed trace is the plan's (`workload.trace`), so undo, autosave and share links carry it.
    // The textarea holds what is being pasted until "Use this trace" commits it to the plan.
    let plan_trace = Memo::new(move |_| store.plan.with(|p| p.spec.workload.trace.clone()));
    let inline_rows = move || {
        plan_trace.with(|t| t.as_ref().and_then(TraceRef::inline_rows).and_then(Result::ok).map(|rows| rows.len()))
    };
    let trace_file = move || plan_trace.with(|t| t.as_ref().and_then(|t| t.file.clone()));
    let trace_text = RwSignal::new(String::new());
    let trace_error = RwSignal::new(None::<String>);
    effect(move |_| {
        if let Some(csv) = plan_trace.with(|t| t.as_ref().and_then(|t| t.csv.as_deref().map(str::to_string))) {
            trace_text.set(csv);
            trace_error.set(None);
        }
    });
    let use_trace = move |_| {
        let csv = normalize_trace_csv(&trace_text.get_untracked());
        let rows = csv.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).count();
        let label = format!("Replay a trace ({} rows)", rows.saturating_sub(1));
        match store.commit(&label, move |p| {
            p.spec.workload.trace = Some(TraceRef::inline(csv));
            Ok(())
        }) {
            Ok(()) => trace_error.set(None),
            Err(e) => trace_error.set(Some(e)),
        }
    };
    let clear_trace = move |_| {
        let _ = store.commit("Back to the traffic profile", |p| {
            p.spec.workload.trace = None;
            Ok(())
        });
        trace_error.set(None);
    };
    let upload = move |ev: leptos::ev::Event| {
        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
            crate::dom::read_file(&input, move |_, content| trace_text.set(content));
        }
    };

    // Cost by node group: redrawn when its bars or the theme change, once the edit's own update has
    // been painted (several edits together draw once). Drawn in the edit itself, plotters' text
    // measuring (a span added to the page and measured) and the canvas font would make the browser
    // lay out the page the edit has just changed, several times per chart, before the edit's own
    // update is done.
    let bars = Memo::new(move |_| store.derived.with(|d| cost_bars(&d.outcome)));
    // The style to draw with, while a drawing is pending.
    let pending_style = Rc::new(Cell::new(None::<ChartStyle>));
    effect(move |_| {
        bars.track();
        resized.track();
        if pending_style.replace(Some(ChartStyle::current())).is_some() {
            return;
        }
        let pending_style = pending_style.clone();
        crate::dom::after_paint(move || {
            let Some(style) = pending_style.take() else { return };
            let bars = bars.get_untracked();
            if let Some((area, style)) = canvas_area(groups, 220, style) {
                if let Err(e) = draw_bars(area, &bars, "USD/hour", &style) {
                    gloo::console::error!(format!("cost chart: {e}"));
                }
            }
        });
    });
    // The simulated day and the comparison: a moment after the last edit.
    let pending = Rc::new(Cell::new(None::<i32>));
    // The plan pinned as A, simulated on the same traffic once per pin and profile (its day is drawn
    // dashed over the current one's).
    let pinned_day = Rc::new(std::cell::RefCell::new(None::<(Plan, Profile, Option<std::sync::Arc<Timeline>>)>));
    effect(move |_| {
        let plan = store.plan.get();
        let pinned = store.compare.get();
        let profile = profile.with(|p| Profile::parse(p)).unwrap_or(Profile::DiurnalWithSpikes);
        let pinned_day = pinned_day.clone();
        if let Some(id) = pending.take() {
            window().clear_timeout_with_handle(id);
        }
        let done = pending.clone();
        let run = wasm_bindgen::closure::Closure::once_into_js(move || {
            done.set(None);
            let start = now_ms();
            // No trace here: core replays the plan's inline trace, else the profile.
            let inputs = PlanInputs { profile: profile.clone(), ..PlanInputs::for_plan(&plan) };
            let options = SimOptions { step_s: 2.0, series_step_s: 300.0, ..SimOptions::default() };
            let timeline = sim::from_plan(&plan, &inputs)
                .and_then(|scenario| sim::simulate(&scenario, &options))
                .map(std::sync::Arc::new)
                .map_err(|e| e.to_string());
            let sim_ms = now_ms() - start;
            let pinned = pinned.map(|a| {
                let mut cache = pinned_day.borrow_mut();
                if !matches!(&*cache, Some((p, f, _)) if *p == a && *f == profile) {
                    let inputs = PlanInputs { profile: profile.clone(), ..PlanInputs::for_plan(&a) };
                    let day = sim::from_plan(&a, &inputs)
                        .and_then(|scenario| sim::simulate(&scenario, &options))
                        .ok()
                        .map(std::sync::Arc::new);
                    *cache = Some((a, profile, day));
                }
                cache.as_ref().and_then(|c| c.2.clone())
            });
            if let Some(shared) = shared_day {
                shared.0.set(timeline.as_ref().ok().map(|t| tokenfleet_core::topology::DaySamples::of(t)));
            }
            let comparison = compare_instance_types(&plan, 12);
            let curves = latency_vs_throughput(&plan, 5);
            let slos: Vec<SloLine> = plan
                .spec
                .workload
                .slos
                .iter()
                .map(|s| SloLine { metric: s.metric as usize, percentile: s.percentile, limit_ms: s.limit_ms })
                .collect();
            day_data.set(
                timeline
                    .as_ref()
                    .ok()
                    .map(|t| std::sync::Arc::new(DayData::new(t, &slos, pinned.flatten().as_deref()))),
            );
            background.set(Some(Background { timeline, slos, sim_ms, comparison, curves }));
        });
        let id = window().set_timeout_with_callback_and_timeout_and_arguments_0(run.unchecked_ref(), 120).ok();
        pending.set(id);
    });
    effect(move |_| {
        let style = ChartStyle::current();
        resized.track();
        background.with(|b| {
            let Some(b) = b else { return };
            // One panel per deployment: the canvas grows with them.
            let height = CURVES_PANEL_HEIGHT * b.curves.len().max(1) as u32;
            let slo = b
                .slos
                .iter()
                .find(|s| s.metric == 0)
                .map(|s| (format!("TTFT SLO p{} ≤ {} ms", s.percentile, s.limit_ms), s.limit_ms));
            if let Some((area, style)) = canvas_area(latency, height, style) {
                if let Err(e) = draw_curves(area, &b.curves, slo, &style) {
                    gloo::console::error!(format!("latency chart: {e}"));
                }
            }
            if let Some((area, style)) = canvas_area(compare, 240, style) {
                if let Err(e) = draw_bars(area, &b.comparison, "USD/hour", &style) {
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
    // A plan with a trace opens its section once, when the trace appears (closing stays the
    // person's choice while the plan keeps a trace).
    let mut opened = false;
    effect(move |_| match (plan_trace.with(Option::is_some), trace_section(day)) {
        (false, _) => opened = false,
        (true, Some(details)) if !opened => {
            let _ = details.set_attribute("open", "");
            opened = true;
        }
        _ => {}
    });
    let trace_summary = move || match (inline_rows(), trace_file()) {
        (Some(rows), _) => format!("Replaying a trace from the plan ({rows} rows) instead of the profile"),
        (None, Some(_)) => "The plan names a trace file, which the browser cannot read".to_string(),
        (None, None) => "Replay a trace (CSV) instead of the profile".to_string(),
    };
    view! {
        <section class="tf-panel" aria-labelledby="charts-title" data-testid="charts-panel">
            <h2 id="charts-title">"Charts"</h2>
            <h3>"Simulated day"</h3>
            <label class="tf-field tf-inline-field">
                <span class="tf-field-label">"Traffic profile"</span>
                <select data-testid="traffic-profile" disabled=move || inline_rows().is_some()
                    title=move || inline_rows().is_some().then(|| "The plan's trace replaces the profile".to_string())
                    on:change=handler(move |ev| {
                        let p = event_target_value(&ev); if Profile::parse(&p).is_some() { profile.set(p); }
                    })>
                    <option value="diurnal-spikes" selected=true>"Diurnal with spikes"</option>
                    <option value="diurnal">"Diurnal"</option>
                    <option value="steady">"Steady"</option>
                    <option value="weekly">"Weekly"</option>
                </select>
            </label>
            <details class="tf-trace" data-testid="trace">
                <summary data-testid="trace-summary">{move || trace_summary()}</summary>
                {move || trace_file().map(|file| view! {
                    <p class="tf-warn-text" role="status" data-testid="trace-file-note">
                        {format!("This plan replays the trace file {file:?} (relative to the plan file), which a browser cannot open, so the simulated day below uses the profile. `tokenfleet simulate` reads the file; to replay it here, upload or paste its contents and press \u{201c}Use this trace\u{201d}: the CSV then travels inside the plan.")}
                    </p>
                }.into_any())}
                <label class="tf-field tf-wide">
                    <span class="tf-field-label">"t_s,requests_per_s[,input_tokens,output_tokens], one row per change; kept in the plan (at most 256 KiB)"</span>
                    <textarea data-testid="trace-csv" id="f-spec.workload.trace.csv" rows="4" spellcheck="false" prop:value=move || trace_text.get()
                        aria-invalid=move || trace_error.with(Option::is_some).to_string()
                        aria-describedby="trace-error"
                        on:input=handler(move |ev| trace_text.set(event_target_value(&ev)))></textarea>
                </label>
                <div class="tf-actions">
                    <input type="file" accept=".csv,.txt" aria-label="Upload a trace CSV" data-testid="trace-file" on:change=handler(upload) />
                    <button data-testid="trace-apply" on:click=handler(use_trace)>"Use this trace"</button>
                    <button data-testid="trace-clear" disabled=move || plan_trace.with(Option::is_none)
                        on:click=handler(clear_trace)>"Back to the profile"</button>
                </div>
                <span class="tf-field-error" id="trace-error" role="alert" data-testid="trace-error">{move || trace_error.get()}</span>
            </details>
            {move || summary()}
            <DayChart canvas=day data=day_data resized=resized />
            <h3>"Cost by node group (USD/hour)"</h3>
            <canvas node_ref=groups class="tf-chart-canvas" width="640" height="220" data-testid="cost-chart" aria-label="Cost by node group in USD per hour"></canvas>
            <h3>"Latency vs throughput, per deployment and candidate accelerator (one replica)"</h3>
            <canvas node_ref=latency class="tf-chart-canvas" width="760" height=CURVES_PANEL_HEIGHT data-testid="latency-chart"
                data-deployments=move || background.with(curve_deployments) aria-label=move || background.with(curves_label)></canvas>
            <h3>"Cost per instance type (USD/hour, whole plan on that type)"</h3>
            <canvas node_ref=compare class="tf-chart-canvas" width="760" height="240" data-testid="compare-chart"
                aria-label="What the plan would cost per hour on each instance type its NodePools allow"></canvas>
        </section>
    }
}
