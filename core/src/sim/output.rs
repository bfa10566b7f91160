//! What a simulation returns: `{"summary": {...}, "series": {...}}` (a contract other tools read; field
//! names are fixed), and its CSV form.

use std::collections::BTreeMap;

use serde::Serialize;

/// The result of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    pub summary: Summary,
    pub series: Series,
    /// What happened, in time order (scale-ups, node launches, bursts, attainment dips…; at most
    /// [`super::events::MAX_DAY_EVENTS`]); an additive field, absent when nothing happened.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<super::events::DayEvent>,
}

/// Savings Plans and Reserved Instances over a run, in USD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentsOverRun {
    /// Their fees, paid every hour used or not.
    pub fees_usd: f64,
    /// The on-demand value of the usage they covered.
    pub covered_on_demand_usd: f64,
    /// Fees that covered nothing.
    pub unused_usd: f64,
    /// The run at list rates less `cost_usd` (negative when they cost more than they covered).
    pub savings_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub requests_arrived: u64,
    pub requests_served: u64,
    pub requests_queued_at_end: u64,
    pub requests_dropped: u64,
    /// Served requests that missed at least one SLO (the largest count over the SLOs).
    pub requests_late: u64,
    /// Per SLO (`ttft_p95_le_1000ms`): the fraction of served and dropped requests that met its limit.
    pub slo_attainment: BTreeMap<String, f64>,
    /// How often an autoscaler turned from scaling up to scaling down or back, per day of the run: the
    /// highest over the deployments (flapping shows here).
    pub autoscaler_reversals_per_day: f64,
    pub cost_usd: f64,
    /// Cost over input plus output tokens served.
    pub usd_per_million_tokens: f64,
    pub tokens_served: u64,
    pub peak_nodes: u32,
    /// Longest time a pod spent in the Pending phase (no node, node starting, image pulling).
    pub longest_pending_s: f64,
    /// Longest time a pod waited for a node at all.
    pub longest_unschedulable_s: f64,
    /// Pod creation to Ready, over pods started during the run.
    pub pod_startup_s_mean: f64,
    pub pod_startup_s_max: f64,
    pub pods_started: u32,
    pub nodes_launched: u32,
    pub spot_interruptions: u32,
    /// Capacity Block nodes drained ahead of the block's end (only when a reservation ends in the run).
    #[serde(skip_serializing_if = "is_zero")]
    pub capacity_block_drains: u32,
    /// Spot launches that found no capacity (Karpenter then tried the next offering).
    pub spot_launch_failures: u32,
    /// Nodes removed by consolidation (empty, or their pods moved to other nodes).
    pub nodes_consolidated: u32,
    /// Nodes replaced by a cheaper one by consolidation.
    pub nodes_replaced: u32,
    pub duration_s: f64,
    pub step_s: f64,
    pub series_step_s: f64,
    pub seed: u64,
    /// Where each deployment's serving figures come from.
    pub service_model: BTreeMap<String, String>,
    /// Per deployment: p50, p95 and p99 of TTFT, TPOT and end-to-end latency over every request it
    /// served in the run (served-weighted; a pipeline's later stage reports the request's TTFT from
    /// its first stage).
    pub latency: BTreeMap<String, LatencySummary>,
    pub findings: Vec<Finding>,
    /// Every delay and rate used, with its default and source.
    pub parameters: BTreeMap<String, Parameter>,
    /// Which prices `cost_usd` was computed with (`catalog snapshot 2026-07-20`, or a plan's
    /// overlay first); absent for a scenario not built from a plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<String>,
    /// How the plan's Savings Plans and Reserved Instances billed the run (absent without them):
    /// `cost_usd` is already billed through them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitments: Option<CommitmentsOverRun>,
    /// The node layer's controller when it is not Karpenter: `cluster-autoscaler` (absent: Karpenter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_autoscaler: Option<String>,
    /// Cluster Autoscaler's settings, node groups and actions (only when it ran the node layer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_autoscaler: Option<CaSummary>,
    /// The same day and seed under both node autoscalers (only when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<NodeAutoscalerComparison>,
}

/// What Cluster Autoscaler ran with and did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaSummary {
    /// Its settings: `{value, default, source}`.
    pub parameters: BTreeMap<String, Parameter>,
    /// The expander chain, as `--expander` writes it.
    pub expander: String,
    pub node_groups: Vec<CaNodeGroupSummary>,
    /// Scale-ups (each raised one group's desired capacity).
    pub scale_ups: u32,
    pub nodes_scaled_down: u32,
    /// Launches that found no capacity and were given up after the maximum provision time.
    pub provision_timeouts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaNodeGroupSummary {
    pub name: String,
    pub node_pool: String,
    pub instance_type: String,
    pub capacity_type: String,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_capacity: u32,
    pub priority: i32,
    /// `plan` (spec.clusterAutoscaler.nodeGroups) or `derived` (one per NodePool, type and capacity).
    pub source: String,
    /// The largest desired capacity of the run.
    pub peak_size: u32,
}

/// Karpenter and Cluster Autoscaler on the same day and seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeAutoscalerComparison {
    pub karpenter: NodeAutoscalerFigures,
    pub cluster_autoscaler: NodeAutoscalerFigures,
}

/// One run's figures for the side-by-side comparison: attainment, cost, time to capacity, nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeAutoscalerFigures {
    pub slo_attainment: BTreeMap<String, f64>,
    pub requests_dropped: u64,
    pub cost_usd: f64,
    pub cost_usd_per_day: f64,
    pub usd_per_million_tokens: f64,
    pub longest_pending_s: f64,
    pub longest_unschedulable_s: f64,
    pub pod_startup_s_mean: f64,
    pub pod_startup_s_max: f64,
    pub pods_started: u32,
    pub nodes_launched: u32,
    /// Nodes removed by the autoscaler: consolidated (Karpenter) or scaled down (Cluster Autoscaler).
    pub nodes_removed: u32,
    pub peak_nodes: u32,
}

impl NodeAutoscalerFigures {
    pub fn of(s: &Summary) -> NodeAutoscalerFigures {
        let days = (s.duration_s / 86_400.0).max(1e-9);
        NodeAutoscalerFigures {
            slo_attainment: s.slo_attainment.clone(),
            requests_dropped: s.requests_dropped,
            cost_usd: s.cost_usd,
            cost_usd_per_day: (s.cost_usd / days * 1000.0).round() / 1000.0,
            usd_per_million_tokens: s.usd_per_million_tokens,
            longest_pending_s: s.longest_pending_s,
            longest_unschedulable_s: s.longest_unschedulable_s,
            pod_startup_s_mean: s.pod_startup_s_mean,
            pod_startup_s_max: s.pod_startup_s_max,
            pods_started: s.pods_started,
            nodes_launched: s.nodes_launched,
            nodes_removed: s.nodes_consolidated + s.cluster_autoscaler.as_ref().map_or(0, |c| c.nodes_scaled_down),
            peak_nodes: s.peak_nodes,
        }
    }
}

/// A deployment's latency percentiles over a run, ms (0 when it served nothing).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    pub ttft_p50_ms: f64,
    pub ttft_p95_ms: f64,
    pub ttft_p99_ms: f64,
    pub tpot_p50_ms: f64,
    pub tpot_p95_ms: f64,
    pub tpot_p99_ms: f64,
    pub e2e_p50_ms: f64,
    pub e2e_p95_ms: f64,
    pub e2e_p99_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parameter {
    pub value: f64,
    pub default: f64,
    pub source: &'static str,
}

/// Something an SRE should know about the run, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    /// `error`, `warning` or `info`.
    pub severity: &'static str,
    pub message: String,
}

impl Finding {
    pub fn error(code: &'static str, message: String) -> Finding {
        Finding { code, severity: "error", message }
    }

    pub fn warning(code: &'static str, message: String) -> Finding {
        Finding { code, severity: "warning", message }
    }

    pub fn info(code: &'static str, message: String) -> Finding {
        Finding { code, severity: "info", message }
    }
}

/// Equal-length columns, one entry per `series_step_s` starting at `t_s`. Rates are means over the
/// interval; `*_p95_ms` the worst step of the interval; `*_p50_ms` the served-weighted mean; counts
/// (queue, replicas, nodes) are taken at the end of the interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub t_s: Vec<f64>,
    pub arrival_rate: Vec<f64>,
    pub served_rate: Vec<f64>,
    pub queue_length: Vec<u64>,
    pub ttft_p95_ms: Vec<f64>,
    pub replicas_desired: Vec<u32>,
    pub replicas_ready: Vec<u32>,
    pub nodes: Vec<u32>,
    pub cost_usd_cumulative: Vec<f64>,
    pub deployments: BTreeMap<String, DeploymentSeries>,
    pub pools: BTreeMap<String, PoolSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentSeries {
    pub arrival_rate: Vec<f64>,
    pub served_rate: Vec<f64>,
    pub queue_length: Vec<u64>,
    /// Requests dropped during the interval.
    pub requests_dropped: Vec<u64>,
    pub ttft_p50_ms: Vec<f64>,
    pub ttft_p95_ms: Vec<f64>,
    pub tpot_p50_ms: Vec<f64>,
    pub tpot_p95_ms: Vec<f64>,
    pub e2e_p50_ms: Vec<f64>,
    pub e2e_p95_ms: Vec<f64>,
    pub replicas_desired: Vec<u32>,
    pub replicas_ready: Vec<u32>,
    pub replicas_pending: Vec<u32>,
}

impl DeploymentSeries {
    pub(crate) fn with_capacity(n: usize) -> DeploymentSeries {
        DeploymentSeries {
            arrival_rate: Vec::with_capacity(n),
            served_rate: Vec::with_capacity(n),
            queue_length: Vec::with_capacity(n),
            requests_dropped: Vec::with_capacity(n),
            ttft_p50_ms: Vec::with_capacity(n),
            ttft_p95_ms: Vec::with_capacity(n),
            tpot_p50_ms: Vec::with_capacity(n),
            tpot_p95_ms: Vec::with_capacity(n),
            e2e_p50_ms: Vec::with_capacity(n),
            e2e_p95_ms: Vec::with_capacity(n),
            replicas_desired: Vec::with_capacity(n),
            replicas_ready: Vec::with_capacity(n),
            replicas_pending: Vec::with_capacity(n),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolSeries {
    pub nodes: Vec<u32>,
    /// Nodes per `instance-type/capacity-type` (`g5.12xlarge/spot`).
    pub nodes_by_type: BTreeMap<String, Vec<u32>>,
    pub cost_usd_cumulative: Vec<f64>,
    #[serde(skip)]
    pub(crate) cost_usd_cumulative_raw: f64,
}

impl Timeline {
    /// The JSON contract, pretty-printed; same input, same bytes.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        match self.write_json(&mut out) {
            Ok(()) => String::from_utf8(out).unwrap_or_default(),
            Err(e) => format!("{{\"error\": \"cannot serialise: {e}\"}}"),
        }
    }

    /// [`Timeline::to_json`] written into `out` as it is produced (a week's series at one sample a
    /// second is hundreds of megabytes of text: shells stream it rather than hold it).
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self).map_err(std::io::Error::other)
    }

    /// The series as CSV: one row per sample; totals first, then `deployment.<name>.<column>` and
    /// `pool.<name>.<column>` columns, in name order.
    pub fn series_csv(&self) -> String {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = self.write_series_csv(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// [`Timeline::series_csv`] written into `out` row by row, without holding the text.
    pub fn write_series_csv(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let s = &self.series;
        let mut header: Vec<String> = [
            "t_s",
            "arrival_rate",
            "served_rate",
            "queue_length",
            "ttft_p95_ms",
            "replicas_desired",
            "replicas_ready",
            "nodes",
            "cost_usd_cumulative",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect();
        let mut columns: Vec<Column> = vec![
            Column::F64(&s.t_s),
            Column::F64(&s.arrival_rate),
            Column::F64(&s.served_rate),
            Column::U64(&s.queue_length),
            Column::F64(&s.ttft_p95_ms),
            Column::U32(&s.replicas_desired),
            Column::U32(&s.replicas_ready),
            Column::U32(&s.nodes),
            Column::F64(&s.cost_usd_cumulative),
        ];
        for (name, d) in &s.deployments {
            let cols: [(&str, Column); 13] = [
                ("arrival_rate", Column::F64(&d.arrival_rate)),
                ("served_rate", Column::F64(&d.served_rate)),
                ("queue_length", Column::U64(&d.queue_length)),
                ("requests_dropped", Column::U64(&d.requests_dropped)),
                ("ttft_p50_ms", Column::F64(&d.ttft_p50_ms)),
                ("ttft_p95_ms", Column::F64(&d.ttft_p95_ms)),
                ("tpot_p50_ms", Column::F64(&d.tpot_p50_ms)),
                ("tpot_p95_ms", Column::F64(&d.tpot_p95_ms)),
                ("e2e_p50_ms", Column::F64(&d.e2e_p50_ms)),
                ("e2e_p95_ms", Column::F64(&d.e2e_p95_ms)),
                ("replicas_desired", Column::U32(&d.replicas_desired)),
                ("replicas_ready", Column::U32(&d.replicas_ready)),
                ("replicas_pending", Column::U32(&d.replicas_pending)),
            ];
            for (col, values) in cols {
                header.push(format!("deployment.{}.{col}", csv_name(name)));
                columns.push(values);
            }
        }
        for (name, p) in &s.pools {
            header.push(format!("pool.{}.nodes", csv_name(name)));
            columns.push(Column::U32(&p.nodes));
            for (key, values) in &p.nodes_by_type {
                header.push(format!("pool.{}.nodes.{}", csv_name(name), csv_name(key)));
                columns.push(Column::U32(values));
            }
            header.push(format!("pool.{}.cost_usd_cumulative", csv_name(name)));
            columns.push(Column::F64(&p.cost_usd_cumulative));
        }
        let mut line = header.join(",");
        line.push('\n');
        out.write_all(line.as_bytes())?;
        for row in 0..s.t_s.len() {
            line.clear();
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                column.write(row, &mut line);
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// A series column as the CSV writer reads it, one cell at a time (as `to_string` writes the value;
/// empty past the column's end).
enum Column<'a> {
    F64(&'a [f64]),
    U64(&'a [u64]),
    U32(&'a [u32]),
}

impl Column<'_> {
    fn write(&self, row: usize, line: &mut String) {
        use std::fmt::Write as _;
        let _ = match self {
            Column::F64(v) => v.get(row).map(|x| write!(line, "{x}")),
            Column::U64(v) => v.get(row).map(|x| write!(line, "{x}")),
            Column::U32(v) => v.get(row).map(|x| write!(line, "{x}")),
        };
    }
}

/// Names go into CSV headers; commas and quotes would break the row.
fn csv_name(name: &str) -> String {
    name.chars().map(|c| if c == ',' || c == '"' || c.is_control() { '_' } else { c }).collect()
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
