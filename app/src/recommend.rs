//! Recommend: runs core's optimizer on the current plan (on request only), shows its reasoning, the
//! cost-vs-latency Pareto front as a chart and a list of candidates, and applies a chosen candidate
//! as one undoable action. The closed loop (each candidate judged over its simulated day) runs one
//! candidate per frame, with its progress shown, so the page stays responsive.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tokenfleet_core::optimize::{self, FrontPoint, Recommendation, Recommender};
use tokenfleet_core::plan::{self, Plan};

use crate::chart::ChartStyle;
use crate::dom::handler;
use crate::store::{effect, now_ms, Notice, Store};

/// The front as TTFT p99 (ms) against expected cost (USD/hour); the recommended point is highlighted.
///
/// The Pareto front chart's height in CSS pixels.
const FRONT_HEIGHT_CSS_PX: u32 = 300;

/// Costs on the front span orders of magnitude (a few USD/hour to hundreds), so the cost axis is
/// logarithmic. It is drawn as a linear axis over log10(cost) with its ticks placed at 1-2-5 values
/// here ([`log_ticks`]), rather than with plotters' log coordinate, whose mesh code would be compiled
/// a second time into the wasm (about 7 KB gzipped) for this one chart.
pub fn draw_front<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    front: &[FrontPoint],
    style: &ChartStyle,
) -> Result<(), String> {
    let (line, pick) = (style.color(0), style.color(1));
    root.fill(&style.background).map_err(|e| e.to_string())?;
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let costs = front.iter().map(|p| p.cost_usd_per_hour).filter(|c| c.is_finite() && *c > 0.0);
    let min_x = costs.clone().fold(f64::INFINITY, f64::min);
    let min_x = if min_x.is_finite() { min_x * 0.8 } else { 0.1 };
    let max_x = costs.fold(0.0_f64, f64::max).max(min_x * 2.0) * 1.25;
    let max_y = front.iter().map(|p| finite(p.ttft_p99_ms)).fold(0.0_f64, f64::max).max(1.0) * 1.15;
    let px = |v: u32| style.px(v);
    let mut chart = ChartBuilder::on(&root)
        .margin(px(12))
        .x_label_area_size(px(36))
        .y_label_area_size(px(60))
        .build_cartesian_2d(min_x.log10()..max_x.log10(), 0.0..max_y)
        .map_err(|e| e.to_string())?;
    style
        .mesh(&mut chart, 12)
        .x_labels(0)
        .x_desc("expected cost, USD/hour (log scale)")
        .y_desc("TTFT p99, ms")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| e.to_string())?;
    let label_font = style.font(12).pos(Pos::new(HPos::Center, VPos::Top));
    for tick in log_ticks(min_x, max_x) {
        let x = tick.log10();
        chart.draw_series(LineSeries::new([(x, 0.0), (x, max_y)], style.grid)).map_err(|e| e.to_string())?;
        let (px_x, py) = chart.backend_coord(&(x, 0.0));
        let (tick_len, gap) = (px(5) as i32, px(7) as i32);
        root.draw(&PathElement::new([(px_x, py), (px_x, py + tick_len)], style.axis)).map_err(|e| e.to_string())?;
        root.draw(&Text::new(format!("{tick}"), (px_x, py + gap), label_font.clone())).map_err(|e| e.to_string())?;
    }
    let points: Vec<(f64, f64)> = front
        .iter()
        .filter(|p| p.cost_usd_per_hour.is_finite() && p.cost_usd_per_hour > 0.0)
        .map(|p| (p.cost_usd_per_hour.log10(), finite(p.ttft_p99_ms)))
        .collect();
    chart
        .draw_series(LineSeries::new(points.iter().copied(), line.stroke_width(px(2))))
        .map_err(|e| e.to_string())?
        .label("Pareto front")
        .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], line.filled()));
    chart
        .draw_series(points.iter().map(|&(x, y)| Circle::new((x, y), px(4), line.filled())))
        .map_err(|e| e.to_string())?;
    if let Some(p) =
        front.iter().find(|p| p.recommended && p.cost_usd_per_hour.is_finite() && p.cost_usd_per_hour > 0.0)
    {
        let (x, y) = (p.cost_usd_per_hour, finite(p.ttft_p99_ms));
        chart
            .draw_series(std::iter::once(Circle::new((x.log10(), y), px(8), pick.stroke_width(px(3)))))
            .map_err(|e| e.to_string())?
            .label(format!("recommended: {x:.2} USD/hour, {y:.0} ms"))
            .legend(move |(x, y)| Circle::new((x + 5, y), 5, pick.stroke_width(2)));
    }
    style.legend(&mut chart, 12, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(|e| e.to_string())
}

/// Tick values for a logarithmic axis over `[lo, hi]` (both positive): the 1-2-5 values of each
/// decade in range, thinned to the powers of ten when there are more than ten, or every 1..9 step
/// of each decade when the range is too narrow for three 1-2-5 ticks. Each value is computed as
/// `m × 10^k` or `m / 10^-k`, so it prints as the short decimal it is (0.05, not 0.05000000000000001).
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let decades = lo.log10().floor() as i32..=hi.log10().floor() as i32;
    let ticks = |mantissas: &[f64]| -> Vec<f64> {
        decades
            .clone()
            .flat_map(|k| mantissas.iter().map(move |&m| if k < 0 { m / 10f64.powi(-k) } else { m * 10f64.powi(k) }))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let ticks_125 = ticks(&[1.0, 2.0, 5.0]);
    if ticks_125.len() > 10 {
        ticks(&[1.0])
    } else if ticks_125.len() < 3 {
        ticks(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    } else {
        ticks_125
    }
}

#[cfg(test)]
mod tests {
    use super::log_ticks;

    #[test]
    fn log_ticks_are_1_2_5_values_in_range_printed_short() {
        assert_eq!(log_ticks(0.8, 60.0), vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0]);
        let small: Vec<String> = log_ticks(0.004, 0.3).iter().map(|t| format!("{t}")).collect();
        assert_eq!(small, ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2"]);
    }

    #[test]
    fn narrow_ranges_get_every_step_and_wide_ones_powers_of_ten() {
        // The front's axis spans at least a factor of 2.5 (see draw_front).
        assert_eq!(log_ticks(3.0, 7.5), vec![3.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(log_ticks(0.9, 2.25), vec![0.9, 1.0, 2.0]);
        assert_eq!(log_ticks(0.01, 1e5), vec![0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5]);
        for (lo, hi) in [(0.0, 1.0), (2.0, 1.0), (1.0, f64::INFINITY), (f64::NAN, 3.0)] {
            assert!(log_ticks(lo, hi).is_empty(), "{lo}..{hi}");
        }
    }
}

/// One run of the optimizer: the plan it ran on, and its answer or the reason it has none.
#[derive(Clone)]
struct Run {
    base: Plan,
    result: Result<Recommendation, String>,
    ms: f64,
}

/// Judges the next candidate after the next paint, until the loop is done; then publishes the run.
fn drive(
    mut recommender: Recommender,
    base: Plan,
    start: f64,
    run: RwSignal<Option<Run>>,
    progress: RwSignal<Option<(usize, usize)>>,
) {
    crate::dom::after_paint(move || {
        if recommender.step() {
            progress.set(Some(recommender.progress()));
            drive(recommender, base, start, run, progress);
        } else {
            let result = recommender.finish().map_err(|e| e.to_string());
            progress.set(None);
            run.set(Some(Run { base, result, ms: now_ms() - start }));
        }
    });
}

#[component]
pub fn RecommendPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let run = RwSignal::new(None::<Run>);
    let message = RwSignal::new(None::<Notice>);
    let say = move |error: bool, text: String| message.set(Some(Notice { error, text }));
    let canvas = NodeRef::<Canvas>::new();

    let progress = RwSignal::new(None::<(usize, usize)>);
    let recommend = move |_| {
        if progress.get_untracked().is_some() {
            return;
        }
        let base = store.plan.get_untracked();
        let start = now_ms();
        message.set(None);
        let started = optimize::OptimizeInput::from_plan(&base)
            .and_then(|input| Recommender::start(input, optimize::OptimizeConfig::default()));
        match started {
            Ok(recommender) => {
                progress.set(Some(recommender.progress()));
                drive(recommender, base, start, run, progress);
            }
            Err(e) => run.set(Some(Run { base, result: Err(e.to_string()), ms: now_ms() - start })),
        }
    };

    let apply = move |name: String| {
        let candidate = run.with_untracked(|r| {
            r.as_ref()
                .and_then(|r| r.result.as_ref().ok())
                .and_then(|rec| rec.candidates.iter().find(|c| c.name == name).cloned())
        });
        let Some(candidate) = candidate else {
            say(true, format!("Candidate {name} is no longer available: run Recommend again."));
            return;
        };
        let current = store.plan.get_untracked();
        match optimize::apply_candidate(&current, &candidate) {
            Ok(next) => {
                if let Some(e) = plan::validate(&next).into_iter().next() {
                    say(true, format!("Could not apply {name}: {}", e.message));
                    return;
                }
                store.replace(&format!("Apply recommendation {name}"), next);
                say(
                    false,
                    format!("Applied {name} ({:.2} USD/hour expected). Undo reverts it.", candidate.cost_usd_per_hour),
                );
            }
            Err(e) => say(true, format!("Could not apply {name}: {e}")),
        }
    };

    // Redraw the front whenever a new run arrives, the theme changes, and once the canvas is mounted.
    effect(move |_| {
        let style = ChartStyle::current();
        let Some(element) = canvas.get() else { return };
        run.with(|r| {
            let Some(front) = r.as_ref().and_then(|r| r.result.as_ref().ok()).map(|rec| &rec.front) else { return };
            // Crisp at the screen's pixel ratio: the backing store is the CSS size times it.
            let Some((element, scale)) = crate::chart::fit_canvas(element.clone(), FRONT_HEIGHT_CSS_PX) else { return };
            let Some(backend) = plotters_canvas::CanvasBackend::with_canvas_object(element) else {
                return;
            };
            if let Err(e) = draw_front(backend.into_drawing_area(), front, &style.scaled(scale)) {
                gloo::console::error!(format!("front chart: {e}"));
            }
        });
    });

    let has_front =
        move || run.with(|r| r.as_ref().is_some_and(|r| r.result.as_ref().is_ok_and(|rec| !rec.front.is_empty())));
    let stale = Memo::new(move |_| run.with(|r| r.as_ref().is_some_and(|r| store.plan.with(|p| *p != r.base))));

    view! {
        <section class="tf-panel tf-span" aria-labelledby="recommend-title" data-testid="recommend-panel">
            <h2 id="recommend-title">"Recommend"</h2>
            <p class="tf-muted">
                "Searches instance types and mixes, tensor parallelism, precision, monolithic vs prefill/decode and "
                "capacity splits for the cheapest topology that meets the workload's SLOs."
            </p>
            <button data-testid="recommend-run" on:click=handler(recommend) disabled=move || progress.get().is_some()>
                "Recommend"
            </button>
            {move || run.with(|r| r.as_ref().map(|r| format!("searched and simulated in {:.1} ms", r.ms)))
                .map(|t| view! { <span class="tf-muted tf-rec-time">" " {t}</span> }.into_any())}
            {move || progress.get().map(|(done, all)| view! {
                <p class="tf-muted" role="status" data-testid="recommend-progress">
                    <progress max=all.to_string() value=done.to_string()></progress>
                    {format!(" Judging candidate {done} of {all} over its simulated day…")}
                </p>
            }.into_any())}
            {move || stale.get().then(|| view! {
                <p class="tf-muted" data-testid="recommend-stale">
                    "The plan has changed since this recommendation; run Recommend again to search from it."
                </p>
            }.into_any())}
            {move || message.get().map(|Notice { error, text }| view! {
                <p class=if error { "tf-error" } else { "tf-ok" } role="status" data-testid="recommend-message">{text}</p>
            }.into_any())}
            {move || run.with(|r| match r.as_ref().map(|r| &r.result) {
                Some(Err(e)) => Some(view! {
                    <p class="tf-error" role="alert" data-testid="recommend-error">
                        "No recommendation: " {e.clone()}
                    </p>
                }.into_any()),
                Some(Ok(rec)) => Some(view! {
                    <ul class="tf-rec-explanation" data-testid="recommend-explanation">
                        {rec.explanation.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}
                    </ul>
                }.into_any()),
                None => None,
            })}
            <canvas node_ref=canvas width="760" height=FRONT_HEIGHT_CSS_PX data-testid="recommend-front-chart" class="tf-rec-chart tf-chart-canvas"
                hidden=move || !has_front()
                aria-label="Pareto front: TTFT p99 in milliseconds against expected cost in USD per hour; the recommended candidate is circled"></canvas>
            <ul class="tf-rec-candidates">
                {move || run.with(|r| {
                    let Some(rec) = r.as_ref().and_then(|r| r.result.as_ref().ok()) else { return Vec::new() };
                    rec.front.iter().map(|point| {
                        let name = point.candidate.clone();
                        let candidate = rec.candidates.iter().find(|c| c.name == name);
                        let verdict = candidate.map(|c| c.verdict.clone()).unwrap_or_default();
                        let reasons = candidate.map(|c| c.reasons.clone()).unwrap_or_default();
                        let topology = candidate.map(|c| format!("{} · {} · {}", c.topology, c.mode, c.capacity.as_str())).unwrap_or_default();
                        let day = candidate.and_then(|c| c.simulated.as_ref().map(|d| (c, d))).map(|(c, d)| format!(
                            "Simulated day: {} on {} seeds · {:.2} USD/hour with spot risk · {:.0} reversals a day · {} dropped{} · autoscaling: {}",
                            if d.passes() { "meets every SLO" } else { "FAILS" },
                            d.seeds.len(),
                            d.risk_adjusted_usd_per_hour,
                            d.autoscaler_reversals_per_day,
                            d.requests_dropped,
                            d.burst_margin_x_peak.map(|m| format!(" · survives bursts to {m}× the peak")).unwrap_or_default(),
                            c.autoscaling.short()
                        )).unwrap_or_default();
                        let per_million = candidate.and_then(|c| c.usd_per_million_tokens)
                            .map(|v| format!("{v:.3} USD per million tokens")).unwrap_or_default();
                        let apply_name = name.clone();
                        view! {
                            <li class=if point.recommended { "tf-rec-candidate tf-rec-picked" } else { "tf-rec-candidate" }
                                data-testid="recommend-candidate" data-candidate=name.clone()
                                data-recommended=point.recommended.to_string()
                                data-cost=point.cost_usd_per_hour.to_string()>
                                <div class="tf-rec-head">
                                    <strong class="tf-rec-name">{name.clone()}</strong>
                                    {point.recommended.then(|| view! { <span class="tf-rec-badge">"recommended"</span> })}
                                    <button class="tf-small" data-testid="recommend-apply"
                                        on:click=handler(move |_| apply(apply_name.clone()))>"Apply"</button>
                                </div>
                                <div class="tf-muted">{topology}</div>
                                <div class="tf-rec-figures">
                                    <span>{format!("{:.2} USD/hour over its day", point.cost_usd_per_hour)}</span>
                                    <span>{format!("{:.2} USD/hour risk-adjusted", point.risk_adjusted_usd_per_hour)}</span>
                                    <span>{per_million}</span>
                                </div>
                                <div class="tf-rec-figures">
                                    <span>{format!("TTFT p99 {:.0} ms", point.ttft_p99_ms)}</span>
                                    <span>{format!("TPOT p99 {:.1} ms", point.tpot_p99_ms)}</span>
                                    <span>{format!("end-to-end p99 {:.2} s", point.e2e_latency_p99_ms / 1000.0)}</span>
                                </div>
                                <p class="tf-rec-figures" data-testid="recommend-simulated">{day}</p>
                                <p class="tf-rec-verdict" data-testid="recommend-verdict">{verdict}</p>
                                {(!reasons.is_empty()).then(|| view! {
                                    <details class="tf-rec-why">
                                        <summary>"Why"</summary>
                                        <ul class="tf-rec-reasons">
                                            {reasons.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                                        </ul>
                                    </details>
                                })}
                            </li>
                        }.into_any()
                    }).collect::<Vec<_>>()
                })}
            </ul>
        </section>
    }
}
