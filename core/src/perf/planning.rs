//! Planning figures: the highest rate a replica sustains within SLOs, replicas for a rate, and cost
//! per hour and per million tokens for each capacity type.

use serde::Serialize;

use super::load::{capacity_requests_per_s, OperatingPoint};
use super::{build_replica, Estimate, EstimateError, EstimateInput, Load, FITTED};
use crate::catalog::PriceBook;
use crate::catalog::{instance_type, CapacityType};
use crate::units::{s_to_ms, usd_per_million_tokens};

/// The latency an SLO limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SloMetric {
    TtftMs,
    TpotMs,
    E2eLatencyMs,
}

/// One SLO: `metric` at `percentile` (0.5 to 0.999, e.g. 0.95 for p95) must not exceed `limit_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Slo {
    pub metric: SloMetric,
    pub percentile: f64,
    pub limit_ms: f64,
}

/// The highest Poisson rate one replica serves within every SLO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateWithinSlos {
    /// 0 when even a trickle of requests misses an SLO.
    pub requests_per_s: f64,
    pub output_tokens_per_s: f64,
    /// Saturation rate, for comparison.
    pub capacity_requests_per_s: f64,
    /// Index into the SLO list of the one that binds (`None` when capacity binds first).
    pub binding_slo: Option<usize>,
}

fn meets(replica: &super::Replica, point: &OperatingPoint, slo: &Slo) -> bool {
    let q = slo.percentile;
    let value = match slo.metric {
        SloMetric::TtftMs => point.ttft_s(replica, q),
        SloMetric::TpotMs => point.tpot_s(replica, q),
        SloMetric::E2eLatencyMs => point.e2e_s(replica, q),
    };
    value.is_some_and(|s| s_to_ms(s) <= slo.limit_ms)
}

fn check_slos(slos: &[Slo]) -> Result<(), EstimateError> {
    for (i, s) in slos.iter().enumerate() {
        if !(0.0..1.0).contains(&s.percentile) || !s.percentile.is_finite() {
            return Err(EstimateError::field(&format!("slos[{i}].percentile"), "must be in [0, 1), e.g. 0.95"));
        }
        if !(s.limit_ms > 0.0 && s.limit_ms.is_finite()) {
            return Err(EstimateError::field(&format!("slos[{i}].limit_ms"), "must be a positive number of ms"));
        }
    }
    Ok(())
}

/// The highest request rate (Poisson) one replica sustains with every SLO met, found by bisection:
/// latencies only grow with the rate, so the feasible rates form an interval starting at 0.
pub fn max_request_rate_within_slos(input: &EstimateInput, slos: &[Slo]) -> Result<RateWithinSlos, EstimateError> {
    check_slos(slos)?;
    let replica = build_replica(input, FITTED)?;
    if !replica.memory.fits {
        return Err(EstimateError::field("memory", replica.memory.reason.clone().unwrap_or_default()));
    }
    let capacity = capacity_requests_per_s(&replica);
    let ok = |rate: f64| -> Option<usize> {
        let point = OperatingPoint::new(&replica, Load::RequestRate(rate)).ok()?;
        if point.saturated {
            return Some(usize::MAX);
        }
        slos.iter().position(|s| !meets(&replica, &point, s))
    };
    let tiny = capacity * 1e-6;
    if let Some(i) = ok(tiny) {
        return Ok(RateWithinSlos {
            requests_per_s: 0.0,
            output_tokens_per_s: 0.0,
            capacity_requests_per_s: capacity,
            binding_slo: (i != usize::MAX).then_some(i),
        });
    }
    let (mut lo, mut hi) = (tiny, capacity);
    let mut binding = None;
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        match ok(mid) {
            None => lo = mid,
            Some(i) => {
                binding = (i != usize::MAX).then_some(i);
                hi = mid;
            }
        }
        if hi - lo < 1e-4 * hi {
            break;
        }
    }
    Ok(RateWithinSlos {
        requests_per_s: lo,
        output_tokens_per_s: lo * input.output_tokens as f64,
        capacity_requests_per_s: capacity,
        binding_slo: binding,
    })
}

/// Replicas needed to serve `requests_per_s` (Poisson, spread evenly) within every SLO.
pub fn replicas_for_rate(input: &EstimateInput, requests_per_s: f64, slos: &[Slo]) -> Result<u32, EstimateError> {
    if !(requests_per_s >= 0.0 && requests_per_s.is_finite()) {
        return Err(EstimateError::field("requests_per_s", "must be a non-negative number"));
    }
    if requests_per_s == 0.0 {
        return Ok(0);
    }
    let per = max_request_rate_within_slos(input, slos)?;
    if per.requests_per_s <= 0.0 {
        return Err(EstimateError::field("slos", "no request rate meets the SLOs on one replica"));
    }
    // Saturates at u32::MAX: an absurd rate still gets an answer ("needs 4 294 967 295 replicas")
    // that callers compare with their limits, rather than no answer (which hid TF022).
    let n = (requests_per_s / per.requests_per_s).ceil();
    Ok(n.min(u32::MAX as f64) as u32)
}

/// What a replica costs on one capacity type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostFigure {
    pub capacity_type: CapacityType,
    /// The replica's share of the instance (devices used / devices on the instance), per hour.
    pub usd_per_hour: f64,
    pub usd_per_million_output_tokens: Option<f64>,
    pub usd_per_million_total_tokens: Option<f64>,
    /// Where the price comes from (`karpenter-provider-aws pricing 2026-07-20`, `overlay 2026-12-01 (aws
    /// pricing get-products)`).
    pub source: String,
}

/// Cost per hour and per million tokens of one replica on `instance` in `region`, for every capacity
/// type with a price in `prices`. Reserved capacity is priced at the on-demand rate (what the
/// reservation costs).
pub fn cost_figures(
    prices: &PriceBook<'_>,
    instance: &str,
    region: &str,
    devices_used: u32,
    estimate: &Estimate,
) -> Vec<CostFigure> {
    let Some(t) = instance_type(instance) else { return Vec::new() };
    let share = if t.accelerator_count > 0 { (devices_used as f64 / t.accelerator_count as f64).min(1.0) } else { 1.0 };
    CapacityType::ALL
        .into_iter()
        .filter_map(|c| {
            let p = prices.price(&t.name, region, c)?;
            let usd_per_hour = p.usd_per_hour * share;
            Some(CostFigure {
                capacity_type: c,
                usd_per_hour,
                usd_per_million_output_tokens: usd_per_million_tokens(usd_per_hour, estimate.output_tokens_per_s),
                usd_per_million_total_tokens: usd_per_million_tokens(usd_per_hour, estimate.total_tokens_per_s),
                source: p.source.to_string(),
            })
        })
        .collect()
}
