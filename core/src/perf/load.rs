//! Load regimes: static batch, closed loop, open-loop Poisson with queueing, offline maximum.
//!
//! Each regime finds an operating point (sequences decoding at once, queue state) and then answers
//! latency quantiles. Under continuous batching a request occupies a batch slot for its prefill and
//! `output_tokens - 1` iterations; an iteration is a decode step plus the prefill work that keeps the
//! batch full (`Replica::iteration_s`).

use super::config::Load;
use super::queueing::{batch_quantile, md1_wait_quantile_s, mmc_wait_quantile_given_s};
use super::replica::Replica;
use super::EstimateError;

/// Where a replica runs under a load; latencies are answered per quantile.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatingPoint {
    /// Mean sequences decoding at once.
    pub running_sequences: f64,
    /// Mean requests waiting for a batch slot (closed loop and Poisson); `None` when saturated (the
    /// queue grows without bound).
    pub waiting_requests: Option<f64>,
    /// Completed requests per second.
    pub requests_per_s: f64,
    /// The most requests per second this replica completes for this workload (all slots busy).
    pub capacity_requests_per_s: f64,
    /// True when an open-loop arrival rate meets or exceeds capacity: the queue grows without bound.
    pub saturated: bool,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Static { batch: f64 },
    Closed { batch: f64, queue_wait_s: f64 },
    Open { rate: f64, batch: f64, slots: u32, p_wait: f64, slot_s: f64, iteration_s: f64 },
    Saturated,
}

/// Seconds a request holds a batch slot when `batch` sequences run: its prefill, then
/// `output_tokens - 1` iterations.
pub fn slot_time_s(r: &Replica, batch: f64) -> f64 {
    r.prefill_s(r.input_tokens as f64, 1.0) + (r.output_tokens as f64 - 1.0) * r.iteration_s(batch)
}

/// Requests per second a replica completes with every slot busy.
pub fn capacity_requests_per_s(r: &Replica) -> f64 {
    let slots = r.memory.max_concurrent_sequences as f64;
    if slots < 1.0 {
        return 0.0;
    }
    slots / slot_time_s(r, slots)
}

/// The root of `g` on `[0, hi]` where `g(0) > 0 > g(hi)` and `g` is continuous: the Illinois variant
/// of regula falsi (superlinear, never leaves the bracket), to a relative tolerance of 1e-6.
fn solve_running(g: impl Fn(f64) -> f64, hi: f64) -> f64 {
    let (mut a, mut b) = (0.0_f64, hi);
    let (mut ga, mut gb) = (g(a), g(b));
    if ga <= 0.0 {
        return a;
    }
    if gb >= 0.0 {
        return b;
    }
    let mut side = 0;
    for _ in 0..100 {
        let c = (a * gb - b * ga) / (gb - ga);
        let gc = g(c);
        if (b - a).abs() < 1e-6 * (1.0 + b.abs()) || gc == 0.0 {
            return c;
        }
        if gc > 0.0 {
            a = c;
            ga = gc;
            if side == 1 {
                gb /= 2.0;
            }
            side = 1;
        } else {
            b = c;
            gb = gc;
            if side == -1 {
                ga /= 2.0;
            }
            side = -1;
        }
    }
    0.5 * (a + b)
}

impl OperatingPoint {
    pub fn new(r: &Replica, load: Load) -> Result<OperatingPoint, EstimateError> {
        let slots = r.memory.max_concurrent_sequences;
        let capacity = capacity_requests_per_s(r);
        let base = |kind, running, waiting, rps| OperatingPoint {
            running_sequences: running,
            waiting_requests: Some(waiting),
            requests_per_s: rps,
            capacity_requests_per_s: capacity,
            saturated: false,
            kind,
        };
        match load {
            Load::BatchSize(n) => {
                if n == 0 {
                    return Err(EstimateError::field("load.batch_size", "must be at least 1"));
                }
                let need = n as u64 * (r.input_tokens as u64 + r.output_tokens as u64);
                if need > r.memory.kv_cache_capacity_tokens {
                    return Err(EstimateError::no_fit(format!(
                        "batch_size {n} needs {need} KV tokens but the cache holds {}",
                        r.memory.kv_cache_capacity_tokens
                    )));
                }
                let b = n as f64;
                let prefill = r.request_overhead_s + r.prefill_s(r.input_tokens as f64, b);
                let tpot = r.decode_step_s(b, r.decode_context_tokens());
                let e2e = prefill + (r.output_tokens as f64 - 1.0) * tpot;
                Ok(base(Kind::Static { batch: b }, b, 0.0, b / e2e))
            }
            Load::Concurrency(n) => {
                if n == 0 {
                    return Err(EstimateError::field("load.concurrency", "must be at least 1"));
                }
                let b = n.min(slots) as f64;
                let slot = slot_time_s(r, b);
                let queue_wait_s = if n > slots { (n as f64 - b) * slot / b } else { 0.0 };
                let cycle = queue_wait_s + slot + 0.5 * r.iteration_s(b) + r.request_overhead_s;
                Ok(base(Kind::Closed { batch: b, queue_wait_s }, b, n as f64 - b, n as f64 / cycle))
            }
            Load::Offline => {
                let b = slots as f64;
                let slot = slot_time_s(r, b);
                Ok(base(Kind::Closed { batch: b, queue_wait_s: 0.0 }, b, 0.0, b / slot))
            }
            Load::RequestRate(rate) => {
                if !rate.is_finite() || rate <= 0.0 {
                    return Err(EstimateError::field("load.request_rate", "must be a positive number of requests/s"));
                }
                let prefill_rho = rate * r.prefill_work_s(r.input_tokens as f64);
                if rate >= capacity || prefill_rho >= 1.0 {
                    let mut p = base(Kind::Saturated, slots as f64, 0.0, capacity);
                    p.saturated = true;
                    p.waiting_requests = None;
                    return Ok(p);
                }
                // Little's law on batch slots: running = rate x slot_time(running). The right side
                // grows more slowly than the left past the fixed point, so bisection finds it.
                let b = solve_running(|b| rate * slot_time_s(r, b) - b, slots as f64);
                // Mean M/M/c queue length: P(wait) x a / (c - a).
                let waiting = super::queueing::erlang_c(slots, b) * b / (slots as f64 - b).max(1e-9);
                let kind = Kind::Open {
                    rate,
                    batch: b,
                    slots,
                    p_wait: super::queueing::erlang_c(slots, b),
                    slot_s: slot_time_s(r, b),
                    iteration_s: r.iteration_s(b),
                };
                Ok(base(kind, b, waiting, rate))
            }
        }
    }

    /// Time per output token at quantile `q` (0.5 = median), seconds; `None` when saturated.
    pub fn tpot_s(&self, r: &Replica, q: f64) -> Option<f64> {
        let ctx = r.decode_context_tokens();
        match self.kind {
            Kind::Static { batch } => Some(r.decode_step_s(batch, ctx)),
            Kind::Closed { batch, .. } => Some(r.iteration_s(batch)),
            Kind::Open { batch, slots, .. } => {
                // The running batch fluctuates around its mean like a Poisson count.
                Some(r.iteration_s(batch_quantile(batch, q, slots as f64)))
            }
            Kind::Saturated => None,
        }
    }

    /// Time to first token at quantile `q`, seconds; `None` when saturated.
    pub fn ttft_s(&self, r: &Replica, q: f64) -> Option<f64> {
        let p = r.input_tokens as f64;
        match self.kind {
            Kind::Static { batch } => Some(r.request_overhead_s + r.prefill_s(p, batch)),
            Kind::Closed { batch, queue_wait_s } => {
                Some(r.request_overhead_s + queue_wait_s + r.prefill_s(p, 1.0) + q * r.iteration_s(batch))
            }
            Kind::Open { rate, batch, slots, p_wait, slot_s, iteration_s } => {
                let slot_wait = mmc_wait_quantile_given_s(p_wait, slots, batch, slot_s, q);
                let pc = r.prefill_work_s(p);
                let prefill_wait = md1_wait_quantile_s(rate * pc, pc, q);
                Some(r.request_overhead_s + r.prefill_s(p, 1.0) + q * iteration_s + slot_wait + prefill_wait)
                    .filter(|t| t.is_finite())
            }
            Kind::Saturated => None,
        }
    }

    /// End-to-end latency at quantile `q`, seconds; `None` when saturated.
    pub fn e2e_s(&self, r: &Replica, q: f64) -> Option<f64> {
        Some(self.ttft_s(r, q)? + (r.output_tokens as f64 - 1.0) * self.tpot_s(r, q)?)
    }
}
