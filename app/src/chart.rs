//! Charts drawn with plotters: drawing functions are generic over the backend (canvas in the app,
//! SVG in tests).

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use tokenfleet_core::place::Outcome;

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

/// Draws a horizontal-label bar chart of cost per node group on any plotters backend.
pub fn draw_cost_chart<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    bars: &[(String, f64)],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1.0) * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d((0..bars.len().max(1)).into_segmented(), 0.0..max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .y_desc("USD/hour")
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.0.clone()).unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, usd))| {
            Rectangle::new(
                [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *usd)],
                RGBColor(37, 99, 235).filled(),
            )
        }))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// The charts panel: cost by node group, redrawn on every edit.
#[component]
pub fn ChartsPanel() -> impl IntoView {
    let store = expect_context::<crate::Store>();
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let bars = store.derived.with(|d| cost_bars(&d.outcome));
        if let Some(element) = canvas.get() {
            if let Some(backend) = plotters_canvas::CanvasBackend::with_canvas_object(element.into()) {
                if let Err(e) = draw_cost_chart(backend.into_drawing_area(), &bars) {
                    gloo::console::error!(format!("cost chart: {e}"));
                }
            }
        }
    });
    view! {
        <section class="tf-panel" aria-labelledby="charts-title" data-testid="charts-panel">
            <h2 id="charts-title">"Cost by node group (USD/hour)"</h2>
            <canvas node_ref=canvas width="640" height="220" data-testid="cost-chart" aria-label="Cost by node group in USD per hour"></canvas>
        </section>
    }
}
