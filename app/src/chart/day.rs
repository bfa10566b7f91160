//! The simulated day: one panel per row (requests, replicas, nodes per NodePool, cost, latency p95
//! against the plan's SLOs) over a shared time window that zooms and pans, a strip of the day's
//! events (core's `Timeline::events`), a read-out on hover and keyboard focus, and the events as a
//! list. The app only draws: the events and every figure come from core's timeline.

use std::cell::Cell;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tokenfleet_core::sim::{DayEvent, Timeline};

use super::{fit_canvas, ChartStyle};
use crate::dom::handler;
use crate::html::Html;
use crate::store::{effect, now_ms};
use wasm_bindgen::JsCast;

/// An SLO of the plan, as a line on a latency panel: metric 0 TTFT, 1 TPOT, 2 end-to-end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SloLine {
    pub metric: usize,
    pub percentile: f64,
    pub limit_ms: f64,
}

const METRICS: [&str; 3] = ["TTFT", "TPOT", "end-to-end"];

/// Event kinds in the strip's row order, with their row labels.
pub const KINDS: [(&str, &str); 7] = [
    ("burst", "burst"),
    ("scale-up", "scale up"),
    ("scale-down", "scale down"),
    ("node-launch", "node launch"),
    ("consolidation", "consolidation"),
    ("spot-interruption", "spot"),
    ("attainment-dip", "SLO dip"),
];

/// CSS pixels: a panel's height, an events row, the left label area, the margin.
const PANEL: u32 = 190;
const ROW: u32 = 18;
const LABELS: u32 = 92;
const MARGIN: u32 = 10;

/// One row of the day chart: lines (or stacked areas) in one unit, and SLO limits.
pub struct Panel {
    pub title: String,
    pub unit: &'static str,
    pub lines: Vec<(String, Vec<f64>)>,
    pub stacked: bool,
    pub limits: Vec<(String, f64)>,
    /// The plan pinned as A, on the same axes: dashed lines, never stacked.
    pub pinned: Vec<(String, Vec<f64>)>,
}

/// What the day chart draws, prepared once per simulation.
pub struct DayData {
    pub t_s: Vec<f64>,
    pub step_s: f64,
    pub end_s: f64,
    pub panels: Vec<Panel>,
    pub events: Vec<DayEvent>,
    /// Indices in [`KINDS`] of the kinds that happened, in row order.
    pub rows: Vec<usize>,
}

impl PartialEq for DayData {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

impl DayData {
    /// The day of `t`, with `pinned` (the plan pinned as A, simulated on the same traffic) drawn
    /// over it when there is one.
    pub fn new(t: &Timeline, slos: &[SloLine], pinned: Option<&Timeline>) -> DayData {
        let s = &t.series;
        let f = |v: &[u32]| v.iter().map(|x| *x as f64).collect::<Vec<_>>();
        let panel = |title: &str, unit, lines, stacked| Panel {
            title: title.into(),
            unit,
            lines,
            stacked,
            limits: vec![],
            pinned: vec![],
        };
        let mut panels = vec![
            panel(
                "Requests vs served",
                "req/s",
                vec![("arriving".into(), s.arrival_rate.clone()), ("served".into(), s.served_rate.clone())],
                false,
            ),
            panel(
                "Replicas",
                "replicas",
                vec![("desired".into(), f(&s.replicas_desired)), ("ready".into(), f(&s.replicas_ready))],
                false,
            ),
            panel(
                "Nodes per NodePool (stacked)",
                "nodes",
                s.pools.iter().map(|(n, p)| (n.clone(), f(&p.nodes))).collect(),
                true,
            ),
            panel("Cost so far", "USD", vec![("cost".into(), s.cost_usd_cumulative.clone())], false),
        ];
        // TTFT always; TPOT and end-to-end when the plan has an SLO on them.
        for (m, metric) in METRICS.iter().enumerate() {
            if m > 0 && !slos.iter().any(|l| l.metric == m) {
                continue;
            }
            let lines = s
                .deployments
                .iter()
                .map(|(name, d)| (name.clone(), [&d.ttft_p95_ms, &d.tpot_p95_ms, &d.e2e_p95_ms][m].clone()))
                .collect();
            let mut p = panel(&format!("{metric} p95 per deployment"), "ms", lines, false);
            p.limits = slos
                .iter()
                .filter(|l| l.metric == m)
                .map(|l| (format!("SLO p{} ≤ {} ms", l.percentile, l.limit_ms), l.limit_ms))
                .collect();
            panels.push(p);
        }
        if let Some(a) = pinned {
            let sa = &a.series;
            let fixed: [Vec<(String, Vec<f64>)>; 4] = [
                vec![("A: served".into(), sa.served_rate.clone())],
                vec![("A: ready".into(), f(&sa.replicas_ready))],
                vec![("A: nodes, all pools".into(), f(&sa.nodes))],
                vec![("A: cost".into(), sa.cost_usd_cumulative.clone())],
            ];
            for (p, lines) in panels.iter_mut().zip(fixed) {
                p.pinned = lines;
            }
            for p in panels.iter_mut().skip(4) {
                let m = METRICS.iter().position(|m| p.title.starts_with(m)).unwrap_or(0);
                p.pinned = sa
                    .deployments
                    .iter()
                    .map(|(name, d)| (format!("A: {name}"), [&d.ttft_p95_ms, &d.tpot_p95_ms, &d.e2e_p95_ms][m].clone()))
                    .collect();
            }
        }
        let rows = (0..KINDS.len()).filter(|k| t.events.iter().any(|e| e.kind == KINDS[*k].0)).collect();
        DayData {
            t_s: s.t_s.clone(),
            step_s: t.summary.series_step_s,
            end_s: t.summary.duration_s,
            panels,
            events: t.events.clone(),
            rows,
        }
    }

    fn strip_height(&self) -> u32 {
        if self.rows.is_empty() {
            0
        } else {
            28 + ROW * self.rows.len() as u32
        }
    }

    /// The chart's height in CSS pixels.
    pub fn height(&self) -> u32 {
        self.strip_height() + PANEL * self.panels.len() as u32
    }

    /// Indices of the samples inside the window.
    fn visible(&self, (w0, w1): (f64, f64)) -> (usize, usize) {
        let first = self.t_s.partition_point(|t| *t < w0);
        let end = self.t_s.partition_point(|t| *t <= w1);
        (first.min(self.t_s.len().saturating_sub(1)), end.saturating_sub(1).max(first))
    }
}

/// `hh:mm`, with the day first past the first one (`d2 03:00`).
pub fn hhmm(t_s: f64) -> String {
    let m = (t_s / 60.0).round() as i64;
    let (d, h, m) = (m / 1440, m / 60 % 24, m % 60);
    if d > 0 {
        format!("d{} {h:02}:{m:02}", d + 1)
    } else {
        format!("{h:02}:{m:02}")
    }
}

fn round(v: f64) -> String {
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Draws the day within the window `(w0, w1)` (seconds); returns the plotting area's left and right
/// edges in backing pixels (the same for every panel).
pub fn draw_day<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    data: &DayData,
    (w0, w1): (f64, f64),
    style: &ChartStyle,
) -> Result<(i32, i32), String> {
    let e = |e: plotters::drawing::DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&style.background).map_err(e)?;
    let px = |v: u32| style.px(v);
    let (h0, h1) = (w0 / 3600.0, w1 / 3600.0);
    let (first, last) = data.visible((w0, w1));
    let (strip, rest) = root.split_vertically(px(data.strip_height()));
    let mut edges = (0, 0);
    if !data.rows.is_empty() {
        let n = data.rows.len() as f64;
        let mut chart = ChartBuilder::on(&strip)
            .margin(px(MARGIN))
            .margin_top(px(24))
            .y_label_area_size(px(LABELS))
            .build_cartesian_2d(h0..h1, 0.0..n)
            .map_err(|e| e.to_string())?;
        strip.draw(&Text::new("Events", (px(MARGIN) as i32, px(6) as i32), style.font(14))).map_err(e)?;
        let label = style.font(12).pos(Pos::new(HPos::Right, VPos::Center));
        for (r, k) in data.rows.iter().enumerate() {
            let y = n - r as f64 - 0.5;
            let (x, py) = chart.backend_coord(&(h0, y));
            strip.draw(&Text::new(KINDS[*k].1, (x - px(6) as i32, py), label.clone())).map_err(e)?;
            chart
                .draw_series(std::iter::once(PathElement::new([(h0, y), (h1, y)], style.grid)))
                .map_err(|e| e.to_string())?;
            let color = style.color(*k).stroke_width(px(3));
            chart
                .draw_series(
                    data.events
                        .iter()
                        .filter(|ev| ev.kind == KINDS[*k].0 && ev.t_s >= w0 && ev.t_s <= w1)
                        .map(|ev| PathElement::new([(ev.t_s / 3600.0, y - 0.4), (ev.t_s / 3600.0, y + 0.4)], color)),
                )
                .map_err(|e| e.to_string())?;
        }
    }
    let areas = rest.split_evenly((data.panels.len().max(1), 1));
    let fmt = |h: &f64| hhmm(h * 3600.0);
    for (area, p) in areas.iter().zip(&data.panels) {
        let mut tops = vec![0.0; last + 1 - first];
        let mut layers = Vec::new();
        for (name, values) in &p.lines {
            let layer: Vec<(f64, f64)> = (first..=last)
                .filter_map(|i| Some((data.t_s[i] / 3600.0, *values.get(i)?)))
                .zip(tops.iter_mut())
                .map(|((h, v), top)| {
                    if p.stacked {
                        *top += v;
                        (h, *top)
                    } else {
                        (h, v)
                    }
                })
                .collect();
            layers.push((name.as_str(), layer));
        }
        let pinned: Vec<(&str, Vec<(f64, f64)>)> = p
            .pinned
            .iter()
            .map(|(name, values)| {
                (name.as_str(), (first..=last).filter_map(|i| Some((data.t_s[i] / 3600.0, *values.get(i)?))).collect())
            })
            .collect();
        let max = layers
            .iter()
            .chain(&pinned)
            .flat_map(|(_, l)| l.iter().map(|p| p.1))
            .chain(p.limits.iter().map(|l| l.1))
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.12;
        let mut chart = ChartBuilder::on(area)
            .caption(&p.title, style.font(14))
            .margin(px(MARGIN))
            .x_label_area_size(px(24))
            .y_label_area_size(px(LABELS))
            .build_cartesian_2d(h0..h1, 0.0..max)
            .map_err(|e| e.to_string())?;
        style
            .mesh(&mut chart, 12)
            .y_desc(p.unit)
            .x_labels(8)
            .y_labels(4)
            .x_label_formatter(&fmt)
            .draw()
            .map_err(|e| e.to_string())?;
        let r = chart.plotting_area().get_pixel_range();
        edges = (r.0.start, r.0.end);
        // Stacked areas from the top down, so each lower one is drawn over the one above it.
        if p.stacked {
            layers.reverse();
        }
        let n = layers.len();
        for (j, (name, layer)) in layers.into_iter().enumerate() {
            let i = if p.stacked { n - 1 - j } else { j };
            let color = style.color(i);
            if p.stacked {
                chart.draw_series(AreaSeries::new(layer, 0.0, color.mix(0.35)).border_style(color.stroke_width(px(1))))
            } else {
                chart.draw_series(LineSeries::new(layer, color.stroke_width(px(2))))
            }
            .map_err(|e| e.to_string())?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
        // A's lines dashed, in the series colours from the last one back (B's first lines keep theirs).
        for (j, (name, line)) in pinned.into_iter().enumerate() {
            let color = style.color(style.series.len() - 1 - j % style.series.len());
            chart
                .draw_series(DashedLineSeries::new(line, px(6), px(4), color.stroke_width(px(2))))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 12, y)], color.stroke_width(2)));
        }
        for (label, limit) in &p.limits {
            let color = style.text;
            chart
                .draw_series(DashedLineSeries::new(
                    [(h0, *limit), (h1, *limit)],
                    px(8),
                    px(5),
                    color.stroke_width(px(2)),
                ))
                .map_err(|e| e.to_string())?;
            let at = chart.backend_coord(&(h1, *limit));
            area.draw(&Text::new(
                label.as_str(),
                (at.0 - px(4) as i32 - area.get_base_pixel().0, at.1 - px(3) as i32 - area.get_base_pixel().1),
                style.font(12).pos(Pos::new(HPos::Right, VPos::Bottom)),
            ))
            .map_err(e)?;
        }
        style.legend(&mut chart, 12, SeriesLabelPosition::UpperLeft)?;
    }
    root.present().map_err(e)?;
    Ok(edges)
}

/// The read-out at sample `i`: its time, then every series' value with its unit, then the events of
/// that interval.
fn readout(data: &DayData, i: usize) -> (String, Vec<String>) {
    let t = data.t_s.get(i).copied().unwrap_or(0.0);
    let mut rows = Vec::new();
    for p in &data.panels {
        for (name, values) in p.lines.iter().chain(&p.pinned) {
            if let Some(v) = values.get(i) {
                let what = if p.title.contains("p95") {
                    format!("{} {name}", &p.title[..p.title.find(" per").unwrap_or(0)])
                } else {
                    name.clone()
                };
                rows.push(format!("{what}: {} {}", round(*v), p.unit));
            }
        }
    }
    for ev in data.events.iter().filter(|e| e.t_s >= t && e.t_s < t + data.step_s) {
        rows.push(format!("{} {}: {}", hhmm(ev.t_s), ev.kind, ev.detail));
    }
    (hhmm(t), rows)
}

/// The day chart and its controls. `canvas` is the chart's node ref (the panel finds its sections
/// from it); `data` the prepared day; `resized` changes when the page's width or pixel ratio did.
#[component]
pub fn DayChart(
    canvas: NodeRef<Canvas>,
    data: RwSignal<Option<std::sync::Arc<DayData>>>,
    resized: RwSignal<u32>,
) -> impl IntoView {
    // The visible window in seconds (None: the whole run) and the sample the read-out is at.
    let window_s = RwSignal::new(None::<(f64, f64)>);
    let cursor = RwSignal::new(None::<usize>);
    let draw_ms = RwSignal::new(None::<f64>);
    // The plotting area's left and right edges, CSS pixels, as last drawn.
    let edges = RwSignal::new((0.0, 1.0));
    let full = move || data.with(|d| d.as_ref().map_or((0.0, 86_400.0), |d| (0.0, d.end_s)));
    let window = move || window_s.get().unwrap_or_else(full);
    // A new day: no read-out until asked (the window is kept: every day is as long).
    effect(move |_| {
        data.track();
        cursor.set(None);
    });
    effect(move |_| {
        resized.track();
        let style = ChartStyle::current();
        let w = window();
        data.with(|d| {
            let Some(d) = d else { return };
            let Some((element, scale)) = canvas.get().and_then(|c| fit_canvas(c, d.height())) else { return };
            let Some(backend) = plotters_canvas::CanvasBackend::with_canvas_object(element) else { return };
            let start = now_ms();
            match draw_day(backend.into_drawing_area(), d, w, &style.scaled(scale)) {
                Ok((x0, x1)) => {
                    let e = (x0 as f64 / scale, x1 as f64 / scale);
                    if edges.get_untracked() != e {
                        edges.set(e);
                    }
                }
                Err(e) => gloo::console::error!(format!("day chart: {e}")),
            }
            draw_ms.set(Some(now_ms() - start));
        });
    });
    // Pointer x (CSS pixels on the canvas) to time, and time to x.
    let time_at = move |x: f64| {
        let (x0, x1) = edges.get_untracked();
        let (w0, w1) = window();
        w0 + (x - x0) / (x1 - x0).max(1.0) * (w1 - w0)
    };
    let x_of = move |t: f64| {
        let (x0, x1) = edges.get();
        let (w0, w1) = window();
        x0 + (t - w0) / (w1 - w0).max(1e-9) * (x1 - x0)
    };
    let nearest = move |t: f64| {
        data.with(|d| {
            d.as_ref().and_then(|d| {
                let (first, last) = d.visible(window());
                (first..=last).min_by(|a, b| (d.t_s[*a] - t).abs().total_cmp(&(d.t_s[*b] - t).abs()))
            })
        })
    };
    // Zooms by `factor` around time `pivot`, keeping at least four samples in view.
    let zoom = move |factor: f64, pivot: f64| {
        let (f0, f1) = full();
        let (w0, w1) = window();
        let min_span = data.with(|d| d.as_ref().map_or(600.0, |d| d.step_s * 4.0));
        let span = ((w1 - w0) * factor).clamp(min_span.min(f1 - f0), f1 - f0);
        let left = pivot - (pivot - w0) / (w1 - w0).max(1e-9) * span;
        set_window(window_s, left, span, (f0, f1));
    };
    let pan = move |by_s: f64| {
        let (w0, w1) = window();
        set_window(window_s, w0 + by_s, w1 - w0, full());
    };
    // Pointer, wheel, keys and focus through one listener (one closure type in the wasm, not one
    // Leptos listener per event).
    let drag = Cell::new(None::<(f64, f64)>);
    let on_event = move |ev: web_sys::Event| {
        let kind = ev.type_();
        let x = || ev.unchecked_ref::<web_sys::MouseEvent>().offset_x() as f64;
        match kind.as_str() {
            "pointerdown" => drag.set(Some((x(), window().0))),
            "pointerup" => drag.set(None),
            "pointerleave" | "blur" => {
                drag.set(None);
                cursor.set(None)
            }
            "pointermove" => match drag.get() {
                Some((from, w0)) if ev.unchecked_ref::<web_sys::MouseEvent>().buttons() & 1 == 1 => {
                    let (x0, x1) = edges.get_untracked();
                    let (a, b) = window();
                    set_window(window_s, w0 + (from - x()) / (x1 - x0).max(1.0) * (b - a), b - a, full());
                }
                _ => cursor.set(nearest(time_at(x()))),
            },
            "wheel" => {
                ev.prevent_default();
                let out = ev.unchecked_ref::<web_sys::WheelEvent>().delta_y() > 0.0;
                zoom(if out { 1.25 } else { 0.8 }, time_at(x()));
            }
            "focus" => {
                if cursor.get_untracked().is_none() {
                    cursor.set(data.with(|d| d.as_ref().map(|d| d.visible(window()).0)));
                }
            }
            _ => {
                let key = ev.unchecked_ref::<web_sys::KeyboardEvent>();
                let (w0, w1) = window();
                let at = cursor.get_untracked().and_then(|i| data.with(|d| d.as_ref()?.t_s.get(i).copied()));
                let (first, last) = data.with(|d| d.as_ref().map_or((0, 0), |d| d.visible((w0, w1))));
                let i = cursor.get_untracked();
                match key.key().as_str() {
                    "ArrowLeft" if key.shift_key() => pan(-0.1 * (w1 - w0)),
                    "ArrowRight" if key.shift_key() => pan(0.1 * (w1 - w0)),
                    "ArrowLeft" => cursor.set(Some(i.map_or(first, |i| i.saturating_sub(1)))),
                    "ArrowRight" => cursor.set(Some(i.map_or(first, |i| i + 1))),
                    "Home" => cursor.set(Some(first)),
                    "End" => cursor.set(Some(last)),
                    "Escape" => cursor.set(None),
                    "+" | "=" => zoom(0.8, at.unwrap_or((w0 + w1) / 2.0)),
                    "-" | "_" => zoom(1.25, at.unwrap_or((w0 + w1) / 2.0)),
                    _ => return,
                }
                ev.prevent_default();
                // The read-out stays inside the window.
                if let Some(i) = cursor.get_untracked() {
                    let (first, last) = data.with(|d| d.as_ref().map_or((0, 0), |d| d.visible(window())));
                    cursor.set(Some(i.clamp(first, last)));
                }
            }
        }
    };
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(on_event).into_js_value();
    let mut attached = false;
    effect(move |_| {
        let Some(c) = canvas.get() else { return };
        if !std::mem::replace(&mut attached, true) {
            for kind in ["pointerdown", "pointermove", "pointerup", "pointerleave", "wheel", "keydown", "focus", "blur"]
            {
                let _ = c.add_event_listener_with_callback(kind, listener.unchecked_ref());
            }
        }
    });
    // The read-out: its time, every series' value and the interval's events, beside a guide line.
    let readout_html = move || {
        let Some(i) = cursor.get() else { return String::new() };
        data.with(|d| {
            let Some(d) = d else { return String::new() };
            let (time, rows) = readout(d, i);
            let mut h = Html::default();
            h.raw("<strong data-testid=\"chart-tooltip-time\">").text(&time).raw("</strong><ul>");
            for r in rows {
                h.raw("<li>").text(&r).raw("</li>");
            }
            h.raw("</ul>");
            h.finish()
        })
    };
    let x_at_cursor = move || {
        let t = cursor.get().and_then(|i| data.with(|d| d.as_ref()?.t_s.get(i).copied()))?;
        resized.track();
        Some(x_of(t))
    };
    let tooltip_style = move || match x_at_cursor() {
        None => String::new(),
        Some(x) => {
            let width = canvas.get().map_or(800.0, |c| c.client_width() as f64);
            if x > width / 2.0 {
                format!("right:{:.0}px", width - x + 10.0)
            } else {
                format!("left:{:.0}px", x + 10.0)
            }
        }
    };
    // The day's events as a list (collapsed when long) and the strip's key.
    let events_html = move || {
        data.with(|d| {
            let Some(d) = d else { return String::new() };
            let n = d.events.len();
            let mut h = Html::default();
            h.raw("<details class=\"tf-day-events\" data-testid=\"day-events-details\"");
            if n <= 12 {
                h.raw(" open");
            }
            h.raw("><summary>Events of the day (").text(&n.to_string()).raw(
                ")</summary><ul data-testid=\"day-events\" tabindex=\"0\" aria-label=\"Events of the simulated day\">",
            );
            for e in &d.events {
                h.raw("<li data-testid=\"day-event\" data-kind=\"").text(e.kind);
                h.raw("\" data-t-s=\"").text(&e.t_s.to_string()).raw("\"><span class=\"tf-day-event-time\">");
                h.text(&hhmm(e.t_s)).raw("</span> ").text(e.kind).raw(": ").text(&e.detail).raw("</li>");
            }
            h.raw("</ul></details>");
            h.finish()
        })
    };
    let legend_html = move || {
        let style = ChartStyle::current();
        data.with(|d| {
            let mut h = Html::default();
            for k in d.as_ref().map_or(&[][..], |d| &d.rows[..]) {
                let c = style.color(*k);
                h.raw("<span class=\"tf-chart-key\"><span class=\"tf-chart-swatch\" style=\"background:");
                h.text(&format!("rgb({},{},{})", c.0, c.1, c.2)).raw("\"></span>").text(KINDS[*k].1).raw("</span>");
            }
            h.finish()
        })
    };
    view! {
        <div class="tf-chart-tools">
            <button data-testid="chart-zoom-reset" disabled=move || window_s.with(Option::is_none) on:click=handler(move |_| window_s.set(None))>"Reset zoom"</button>
            <span class="tf-muted">"Scroll or + / − to zoom, drag or Shift + ← / → to pan, ← / → / Home / End to read values"</span>
        </div>
        <div class="tf-chart-wrap">
            <canvas node_ref=canvas class="tf-chart-canvas" data-testid="sim-chart" tabindex="0"
                data-compare=move || data.with(|d| d.as_ref().is_some_and(|d| d.panels.iter().any(|p| !p.pinned.is_empty())).to_string())
                data-draw-ms=move || draw_ms.get().map(|m| m.to_string()).unwrap_or_default()
                data-window-start-s=move || window().0.to_string()
                data-window-end-s=move || window().1.to_string()
                aria-label="Simulated day, one panel per row: requests per second, replicas, nodes per NodePool, cost and latency p95 against the SLOs, with the day's events; arrow keys read values, plus and minus zoom, Shift and arrows pan"></canvas>
            <div class="tf-chart-guide" hidden=move || cursor.with(Option::is_none) style=move || x_at_cursor().map(|x| format!("left:{x:.0}px"))></div>
            <div class="tf-chart-tooltip" data-testid="chart-tooltip" role="status" aria-live="polite"
                hidden=move || cursor.with(Option::is_none) style=tooltip_style inner_html=readout_html></div>
        </div>
        <p class="tf-chart-legend" inner_html=legend_html></p>
        <p class="tf-muted">"Chart drawn in " <span data-testid="sim-draw-ms">{move || draw_ms.get().map(|m| format!("{m:.1} ms")).unwrap_or_else(|| "—".into())}</span></p>
        <div inner_html=events_html></div>
    }
}

/// Sets the window to `span` seconds from `left`, inside `full`.
fn set_window(window_s: RwSignal<Option<(f64, f64)>>, left: f64, span: f64, (f0, f1): (f64, f64)) {
    let left = left.clamp(f0, (f1 - span).max(f0));
    window_s.set(if span >= f1 - f0 { None } else { Some((left, left + span)) });
}
