//! What happened during a run, in time order, for the day chart's annotations and `simulate`'s JSON
//! (`events`, an additive field): scale-ups and scale-downs per deployment, node launches,
//! consolidations and spot interruptions as the engine makes them, then bursts and attainment dips
//! read from the series. Events of one kind and subject within one series interval are coalesced
//! into one, and a run keeps at most [`MAX_DAY_EVENTS`], so a week at one sample a second stays small.

use serde::Serialize;

use super::output::Series;
use super::scenario::{SloMetric, SloTarget};

/// At most this many events per run (the earliest ones).
pub const MAX_DAY_EVENTS: usize = 500;

/// One annotation of the simulated day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayEvent {
    /// Seconds from the start of the run.
    pub t_s: f64,
    /// `burst`, `scale-up`, `scale-down`, `node-launch`, `consolidation`, `spot-interruption` or
    /// `attainment-dip`.
    pub kind: &'static str,
    /// What happened, in words (`llama3-8b: 2 → 8 replicas`).
    pub detail: String,
}

/// An event as recorded, before it is put in words: `n` things of `kind` to `subject`, from `from`
/// to `to` (replicas, or live nodes).
struct Raw {
    t_s: f64,
    bucket: i64,
    kind: &'static str,
    subject: usize,
    n: u32,
    from: u32,
    to: u32,
}

/// The engine's events, coalesced per series interval as they come.
pub(crate) struct EventLog {
    raw: Vec<Raw>,
    interval_s: f64,
}

impl EventLog {
    pub(crate) fn new(interval_s: f64) -> EventLog {
        EventLog { raw: Vec::new(), interval_s: interval_s.max(1e-9) }
    }

    /// Records `n` events of `kind` (to deployment `subject`, or `usize::MAX` for the cluster),
    /// merged into the same kind's event for that subject in the same interval.
    pub(crate) fn record(&mut self, t_s: f64, kind: &'static str, subject: usize, n: u32, from: u32, to: u32) {
        let bucket = (t_s / self.interval_s).floor() as i64;
        for r in self.raw.iter_mut().rev() {
            if r.bucket != bucket {
                break;
            }
            if r.kind == kind && r.subject == subject {
                r.n += n;
                r.to = to;
                return;
            }
        }
        if self.raw.len() < MAX_DAY_EVENTS {
            self.raw.push(Raw { t_s, bucket, kind, subject, n, from, to });
        }
    }

    /// The events in words, with bursts and attainment dips read from the series, in time order.
    pub(crate) fn finish(self, names: &[&str], series: &Series, slos: &[SloTarget]) -> Vec<DayEvent> {
        let mut events: Vec<DayEvent> = self
            .raw
            .into_iter()
            .map(|r| {
                let name = names.get(r.subject).copied().unwrap_or("cluster");
                let plural = if r.n == 1 { "" } else { "s" };
                let detail = match r.kind {
                    "scale-up" | "scale-down" => format!("{name}: {} → {} replicas", r.from, r.to),
                    "node-launch" => format!("{} node{plural} launched ({} live)", r.n, r.to),
                    "consolidation" => format!("{} node{plural} consolidated ({} live)", r.n, r.to),
                    _ => format!("{} spot node{plural} interrupted ({} live)", r.n, r.to),
                };
                DayEvent { t_s: r.t_s, kind: r.kind, detail }
            })
            .collect();
        // The engine's events are in time order already: the series' go in after those of the same
        // time (an insertion rather than a sort, which would add a sort's code to the web app).
        for e in series_events(series, slos) {
            let at = events.partition_point(|x| x.t_s <= e.t_s);
            events.insert(at, e);
        }
        events.truncate(MAX_DAY_EVENTS);
        events
    }
}

/// Bursts (the arriving rate at least 1.3 times the mean of the three intervals before it) and
/// attainment dips (a run of intervals where a deployment dropped requests or its p95 passed an
/// SLO's limit, at its start), from a run's series.
pub fn series_events(series: &Series, slos: &[SloTarget]) -> Vec<DayEvent> {
    let mut out = Vec::new();
    let rate = &series.arrival_rate;
    let mut bursting = false;
    for i in 3..rate.len() {
        let before = (rate[i - 1] + rate[i - 2] + rate[i - 3]) / 3.0;
        let burst = rate[i] >= 1.3 * before && rate[i] - before >= 0.5;
        if burst && !bursting {
            out.push(DayEvent {
                t_s: series.t_s[i],
                kind: "burst",
                detail: format!("{:.1} req/s arriving, up from {before:.1}", rate[i]),
            });
        }
        bursting = burst || (bursting && rate[i] >= 1.1 * before);
    }
    for (name, d) in &series.deployments {
        let mut in_dip = false;
        for i in 0..series.t_s.len() {
            let dropped = d.requests_dropped.get(i).copied().unwrap_or(0);
            let over = slos.iter().find_map(|slo| {
                let (label, v) = match slo.metric {
                    SloMetric::Ttft => ("TTFT", d.ttft_p95_ms.get(i)),
                    SloMetric::Tpot => ("TPOT", d.tpot_p95_ms.get(i)),
                    SloMetric::E2e => ("end-to-end", d.e2e_p95_ms.get(i)),
                };
                v.filter(|v| **v > slo.limit_ms)
                    .map(|v| format!("{label} p95 {v:.0} ms over its {:.0} ms limit", slo.limit_ms))
            });
            let bad = dropped > 0 || over.is_some();
            if bad && !in_dip {
                let mut detail = format!("{name}: ");
                match (&over, dropped) {
                    (Some(o), 0) => detail.push_str(o),
                    (Some(o), n) => detail.push_str(&format!("{o}, {n} requests dropped")),
                    (None, n) => detail.push_str(&format!("{n} requests dropped")),
                }
                out.push(DayEvent { t_s: series.t_s[i], kind: "attainment-dip", detail });
            }
            in_dip = bad;
        }
    }
    out
}
