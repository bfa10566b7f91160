//! Latency against throughput for the instance types a plan could use: for one deployment, the
//! performance model's time to first token (p90) at rising request rates on one replica of each
//! candidate instance type. The app draws these curves; they are computed here so the app holds no
//! performance logic.

use crate::catalog;
use crate::perf::{self, Engine, EstimateInput, Load, Precision};
use crate::plan::Plan;

/// One instance type's curve: (output tokens per second of the replica, TTFT p90 in ms) points at
/// rising load, for loads below saturation.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub instance_type: String,
    pub points: Vec<(f64, f64)>,
}

/// Fractions of a replica's capacity at which the curve is sampled.
pub const LOAD_FRACTIONS: [f64; 8] = [0.05, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95];

/// Curves for the first deployment of the plan on up to `limit` candidate instance types (those its
/// NodePools allow, in catalog order). Types the model does not fit on are left out.
pub fn latency_vs_throughput(plan: &Plan, limit: usize) -> Vec<Curve> {
    let Some(deployment) = plan.spec.deployments.first() else { return Vec::new() };
    let Some(model) = catalog::model(&deployment.model) else { return Vec::new() };
    let w = &plan.spec.workload;
    let mut names: Vec<&str> = Vec::new();
    for pool in &plan.spec.node_pools {
        for t in crate::place::pool_instance_types(pool) {
            if !names.contains(&t.name.as_str()) {
                names.push(&t.name);
            }
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let mut input = EstimateInput::for_instance(model.clone(), name).ok()?;
            input.tensor_parallel = Some(deployment.tensor_parallel.max(1));
            input.precision = Precision::parse(&deployment.precision).unwrap_or(Precision::Bf16);
            input.engine = Engine::parse(&deployment.engine);
            input.input_tokens = w.input_tokens.mean.clamp(1.0, 1e6) as u32;
            input.output_tokens = w.output_tokens.mean.clamp(1.0, 1e6) as u32;
            input.load = Load::Offline;
            let capacity = perf::estimate(&input).ok().filter(|e| e.fits)?.capacity_requests_per_s;
            if !(capacity.is_finite() && capacity > 0.0) {
                return None;
            }
            let points: Vec<(f64, f64)> = LOAD_FRACTIONS
                .iter()
                .filter_map(|f| {
                    input.load = Load::RequestRate(capacity * f);
                    let e = perf::estimate(&input).ok().filter(|e| e.fits && !e.saturated)?;
                    Some((e.output_tokens_per_s, e.ttft_ms?.p90))
                })
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            (!points.is_empty()).then(|| Curve { instance_type: name.to_string(), points })
        })
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_rise_with_load_for_the_example() {
        let plan = crate::plan::parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
        let curves = latency_vs_throughput(&plan, 6);
        assert!(!curves.is_empty());
        for c in &curves {
            assert!(c.points.windows(2).all(|w| w[0].0 <= w[1].0), "{c:?}");
            assert!(c.points.iter().all(|(x, y)| *x > 0.0 && *y > 0.0), "{c:?}");
        }
    }

    #[test]
    fn a_plan_without_deployments_has_no_curves() {
        assert!(latency_vs_throughput(&Plan::minimal("x"), 6).is_empty());
    }
}
