//! Benchmarks of the performance model (`make bench`; hand-rolled, no harness): one estimate, and a
//! sweep of one model and workload over the whole catalog (every instance type x valid
//! tensor-parallel degree x precision). Targets, native: 5 µs per estimate, 2 ms per sweep.

use std::hint::black_box;
use std::time::Instant;

use tokenfleet_core::catalog::{accelerator_of, instance_types, model};
use tokenfleet_core::perf::{estimate, EstimateInput, Load, Precision};

/// Median over `samples` runs of the time per call of `f`, each run timing `iters` calls, in ns.
fn median_ns(samples: usize, iters: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

/// Every (instance, tensor-parallel degree, precision) of the catalog for one model and workload.
fn sweep_inputs(base: &EstimateInput) -> Vec<EstimateInput> {
    let mut out = Vec::new();
    for t in instance_types() {
        let Some(chip) = accelerator_of(t) else { continue };
        let ranks = t.accelerator_count * chip.neuron_cores_per_device.max(1);
        for tp in (1..=ranks).filter(|tp| {
            ranks.is_multiple_of(*tp) && (chip.is_neuron() || base.model.attention_heads.is_multiple_of(*tp))
        }) {
            for precision in Precision::ALL {
                let mut i = EstimateInput::for_instance(base.model.clone(), &t.name).expect("catalog instance");
                i.tensor_parallel = Some(tp);
                i.precision = precision;
                i.input_tokens = base.input_tokens;
                i.output_tokens = base.output_tokens;
                i.load = base.load;
                out.push(i);
            }
        }
    }
    out
}

fn main() {
    let spec = model("llama-3-8b").expect("catalog model").clone();
    let mut one = EstimateInput::for_instance(spec, "g5.12xlarge").expect("catalog instance");
    one.input_tokens = 512;
    one.output_tokens = 256;
    one.load = Load::RequestRate(2.0);
    let _ = estimate(&one); // Parse the catalogs outside the timing.

    let per_estimate = median_ns(31, 20_000, || {
        black_box(estimate(black_box(&one)).ok());
    });
    let mut closed = one.clone();
    closed.load = Load::Concurrency(16);
    let per_closed = median_ns(31, 20_000, || {
        black_box(estimate(black_box(&closed)).ok());
    });

    let inputs = sweep_inputs(&one);
    let answered = inputs.iter().filter(|i| estimate(i).is_ok()).count();
    let per_sweep = median_ns(31, 20, || {
        for i in &inputs {
            black_box(estimate(black_box(i)).ok());
        }
    });

    println!("perf benchmarks (median of 31 runs)");
    println!(
        "  one estimate, Poisson load (llama-3-8b, g5.12xlarge):   {:8.2} µs  (target <= 5 µs)",
        per_estimate / 1e3
    );
    println!("  one estimate, closed loop of 16:                        {:8.2} µs", per_closed / 1e3);
    println!(
        "  full-catalog sweep ({} configurations, {} answered):  {:8.3} ms  (target <= 2 ms)",
        inputs.len(),
        answered,
        per_sweep / 1e6
    );
}
