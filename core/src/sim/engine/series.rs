//! The per-step series while it is recorded (columns by index) and its sampling every series step.

use std::collections::BTreeMap;

use super::{Dep, Topology};
use crate::catalog::CapacityType;
use crate::sim::cluster::{Cluster, NodeState};
use crate::sim::output::{DeploymentSeries, PoolSeries, Series};
use crate::sim::scenario::Scenario;

/// Rounds for output: three decimals are more than any figure here warrants, and keep files small.
pub(crate) fn r3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

/// The series while it is being recorded: per-deployment and per-pool columns by index, node counts by
/// (instance type, capacity type) index; turned into the keyed [`Series`] at the end.
pub(super) struct SeriesBuilder {
    totals: Series,
    deployments: Vec<DeploymentSeries>,
    pools: Vec<PoolColumns>,
}

pub(super) struct PoolColumns {
    nodes: Vec<u32>,
    by_type: Vec<((usize, CapacityType), Vec<u32>)>,
    cost_usd_cumulative: Vec<f64>,
    cost_raw: f64,
    scratch: Vec<u32>,
}

impl SeriesBuilder {
    pub(super) fn new(n: usize, sc: &Scenario) -> SeriesBuilder {
        let v = || Vec::with_capacity(n);
        SeriesBuilder {
            totals: Series {
                t_s: v(),
                arrival_rate: v(),
                served_rate: v(),
                queue_length: Vec::with_capacity(n),
                ttft_p95_ms: v(),
                replicas_desired: Vec::with_capacity(n),
                replicas_ready: Vec::with_capacity(n),
                nodes: Vec::with_capacity(n),
                cost_usd_cumulative: v(),
                deployments: BTreeMap::new(),
                pools: BTreeMap::new(),
            },
            deployments: sc.deployments.iter().map(|_| DeploymentSeries::with_capacity(n)).collect(),
            pools: sc
                .pools
                .iter()
                .map(|_| PoolColumns {
                    nodes: Vec::with_capacity(n),
                    by_type: vec![],
                    cost_usd_cumulative: Vec::with_capacity(n),
                    cost_raw: 0.0,
                    scratch: vec![],
                })
                .collect(),
        }
    }

    pub(super) fn finish(self, sc: &Scenario) -> Series {
        let mut series = self.totals;
        series.deployments = BTreeMap::from_iter(sc.deployments.iter().map(|d| d.name.clone()).zip(self.deployments));
        for (pool, cols) in sc.pools.iter().zip(self.pools) {
            let nodes_by_type = BTreeMap::from_iter(
                cols.by_type
                    .into_iter()
                    .map(|((t, c), column)| (format!("{}/{}", pool.instance_types[t].name, c.as_str()), column)),
            );
            let ps = PoolSeries {
                nodes: cols.nodes,
                nodes_by_type,
                cost_usd_cumulative: cols.cost_usd_cumulative,
                cost_usd_cumulative_raw: cols.cost_raw,
            };
            series.pools.insert(pool.name.clone(), ps);
        }
        series
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn sample(
    b: &mut SeriesBuilder,
    sc: &Scenario,
    topology: &Topology,
    deps: &mut [Dep],
    cluster: &Cluster,
    t0: f64,
    span_s: f64,
    cost: f64,
) {
    let series = &mut b.totals;
    series.t_s.push(r3(t0));
    let (mut arrived, mut served, mut queue, mut ttft95, mut desired, mut ready) =
        (0u64, 0u64, 0u64, 0.0f64, 0u32, 0u32);
    for (i, ((dep, s), d)) in deps.iter_mut().zip(b.deployments.iter_mut()).zip(&sc.deployments).enumerate() {
        dep.flush_bins(&d.service);
        if topology.entry[i] {
            arrived += dep.i_arrived;
        }
        if topology.terminal[i] {
            served += dep.i_served;
        }
        queue += dep.queue;
        ttft95 = ttft95.max(dep.i_ttft95_max);
        desired += dep.desired;
        ready += dep.counts.ready;
        let w = dep.i_served.max(1) as f64;
        s.arrival_rate.push(r3(dep.i_arrived as f64 / span_s));
        s.served_rate.push(r3(dep.i_served as f64 / span_s));
        s.queue_length.push(dep.queue);
        s.requests_dropped.push(dep.i_dropped);
        s.ttft_p50_ms.push(r3(dep.i_ttft50_weighted / w));
        s.ttft_p95_ms.push(r3(dep.i_ttft95_max));
        s.tpot_p50_ms.push(r3(dep.i_tpot50_weighted / w));
        s.tpot_p95_ms.push(r3(dep.i_tpot95_max));
        s.e2e_p50_ms.push(r3(dep.i_e2e50_weighted / w));
        s.e2e_p95_ms.push(r3(dep.i_e2e95_max));
        s.replicas_desired.push(dep.desired);
        s.replicas_ready.push(dep.counts.ready);
        s.replicas_pending.push(dep.counts.pending);
        dep.i_arrived = 0;
        dep.i_served = 0;
        dep.i_dropped = 0;
        dep.i_ttft50_weighted = 0.0;
        dep.i_tpot50_weighted = 0.0;
        dep.i_e2e50_weighted = 0.0;
        dep.i_ttft95_max = 0.0;
        dep.i_tpot95_max = 0.0;
        dep.i_e2e95_max = 0.0;
    }
    series.arrival_rate.push(r3(arrived as f64 / span_s));
    series.served_rate.push(r3(served as f64 / span_s));
    series.queue_length.push(queue);
    series.ttft_p95_ms.push(r3(ttft95));
    series.replicas_desired.push(desired);
    series.replicas_ready.push(ready);
    series.nodes.push(cluster.live_nodes);
    series.cost_usd_cumulative.push(r3(cost));
    let n = series.t_s.len();
    for cols in b.pools.iter_mut() {
        cols.nodes.push(0);
        cols.scratch.clear();
        cols.scratch.resize(cols.by_type.len(), 0);
    }
    let mut cost_rate = vec![0.0f64; 0];
    cost_rate.resize(b.pools.len(), 0.0);
    for node in cluster.nodes.iter().filter(|x| x.state != NodeState::Gone) {
        let cols = &mut b.pools[node.pool];
        if let Some(last) = cols.nodes.last_mut() {
            *last += 1;
        }
        let key = (node.itype, node.capacity);
        let k = match cols.by_type.iter().position(|(k, _)| *k == key) {
            Some(k) => k,
            None => {
                cols.by_type.push((key, vec![0; n - 1]));
                cols.scratch.push(0);
                cols.by_type.len() - 1
            }
        };
        cols.scratch[k] += 1;
        cost_rate[node.pool] += cluster.billed_usd_per_hour(node) / 3600.0;
    }
    for (cols, rate) in b.pools.iter_mut().zip(cost_rate) {
        for ((_, column), count) in cols.by_type.iter_mut().zip(&cols.scratch) {
            column.push(*count);
        }
        cols.cost_raw += rate * span_s;
        cols.cost_usd_cumulative.push(r3(cols.cost_raw));
    }
}
