//! Optimiser benchmark (`cargo bench -p tokenfleet-core --bench optimize`; hand-rolled, no harness):
//! the whole search for one workload over the whole catalog (every priced instance type × tensor-
//! parallel degree × precision, single types and mixes, utilisation targets, capacity splits, the
//! front, the plan and its SLO check): ≤ 50 ms per search without the closed loop; with it (every
//! front candidate judged over its simulated day, five seeds) ≤ 2 s on one core (median of runs).

use std::hint::black_box;
use std::time::Instant;

use tokenfleet_core::optimize::{recommend, recommend_plan, OptimizeConfig, OptimizeInput};
use tokenfleet_core::plan::parse_plan;

/// Median over `samples` runs of the time of one call of `f`, in ms.
fn median_ms(samples: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

fn workload(model: &str, baseline: f64, peak: f64, input_mean: f64, input_p90: f64, output: f64) -> String {
    format!(
        "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata: {{name: bench}}\nspec:\n  region: us-east-1\n  \
         workload:\n    requestsPerSecond: {{baseline: {baseline}, peak: {peak}}}\n    inputTokens: {{mean: {input_mean}, p90: {input_p90}}}\n    \
         outputTokens: {{mean: {output}}}\n    slos: [{{metric: ttft, percentile: 95, limitMs: 1000}}, {{metric: tpot, percentile: 95, limitMs: 50}}]\n  \
         deployments:\n    - {{name: llm, model: {model}, replicas: {{min: 1, max: 1}}}}\n"
    )
}

fn main() {
    let cases = [
        ("chat 8B, short/long blend", workload("meta-llama/Meta-Llama-3-8B-Instruct", 2.0, 6.0, 1024.0, 2048.0, 256.0)),
        ("RAG 8B, long prompts", workload("meta-llama/Llama-3.1-8B-Instruct", 5.0, 20.0, 4000.0, 12000.0, 300.0)),
        ("chat 70B", workload("meta-llama/Llama-3.1-70B-Instruct", 3.0, 8.0, 800.0, 1200.0, 200.0)),
    ];
    // Parse the catalogs outside the timing.
    let _ = recommend_plan(&parse_plan(&cases[0].1).expect("bench plan"));
    let (mut worst, mut worst_loop): (f64, f64) = (0.0, 0.0);
    for (label, text) in &cases {
        let plan = parse_plan(text).expect("bench plan");
        let input = OptimizeInput::from_plan(&plan).expect("bench input");
        let static_only = OptimizeConfig { day: None, ..OptimizeConfig::default() };
        let ms = median_ms(15, || {
            black_box(recommend(black_box(&input), &static_only).ok());
        });
        let closed = median_ms(3, || {
            black_box(recommend_plan(black_box(&plan)).ok());
        });
        let r = recommend_plan(&plan).expect("recommendation");
        println!(
            "optimize {label}: {ms:.2} ms per static search ({} configurations, {} candidates); {closed:.0} ms with the \
             closed loop ({} candidates simulated), recommended {}",
            r.stats.configurations,
            r.stats.candidates,
            r.candidates.iter().filter(|c| c.simulated.is_some()).count(),
            r.candidates[0].name
        );
        worst = worst.max(ms);
        worst_loop = worst_loop.max(closed);
    }
    println!(
        "optimize worst case: {worst:.2} ms static (target ≤ 50 ms), {worst_loop:.0} ms closed loop (target ≤ 2000 ms)"
    );
}
