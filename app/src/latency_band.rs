//! One SLO's latency band in the results: the SLO, its verdict, and the estimate at p50, p95 and p99
//! (and at the SLO's own percentile), each marked within or over the SLO's limit.

use tokenfleet_core::place::{BandValue, LatencyBand};

use crate::html::Html;

/// A latency in the unit that reads best: ms with one decimal below 100 ms (none for whole numbers),
/// whole ms below 10 s, seconds above.
fn duration(ms: f64) -> String {
    let decimals = |v: f64| if v.fract() == 0.0 { 0 } else { 1 };
    if ms < 100.0 {
        format!("{ms:.*} ms", decimals(ms))
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.*} s", decimals(ms / 1e3), ms / 1e3)
    }
}

fn metric_name(metric: &str) -> &str {
    match metric {
        "ttft" => "TTFT",
        "tpot" => "TPOT",
        "e2e" => "End-to-end",
        other => other,
    }
}

fn verdict_class(meets: Option<bool>) -> &'static str {
    match meets {
        Some(true) => "tf-ok",
        Some(false) => "tf-bad",
        None => "tf-unknown",
    }
}

/// The SLO (`TTFT p95 ≤ 1000 ms`) and whether the estimate at its percentile meets it, in words.
fn verdict(band: &LatencyBand) -> (&'static str, &'static str) {
    match band.meets_slo {
        _ if band.saturated => ("✗", "saturated"),
        Some(true) => ("✓", "meets"),
        Some(false) => ("✗", "misses"),
        None => ("?", "no estimate"),
    }
}

/// An optional figure as a data attribute: its value, or empty when unknown.
fn or_empty(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// One value of the band: `p95 143 ms ✓`, with the raw figures in data attributes for tests.
fn percentile_value(h: &mut Html, band: &LatencyBand, value: BandValue) {
    let metric = metric_name(&band.metric);
    let limit = duration(band.limit_ms);
    let p = value.percentile;
    let (mark, words) = match value.within_limit {
        _ if band.saturated => ("✗", "saturated".to_string()),
        Some(true) => ("✓", format!("within the {limit} limit")),
        Some(false) => ("✗", format!("over the {limit} limit")),
        None => ("?", "no estimate".to_string()),
    };
    let shown = value.estimate_ms.map(duration).unwrap_or_else(|| "—".into());
    let own = if value.is_slo_percentile { " (the SLO's percentile)" } else { "" };
    let class = verdict_class(if band.saturated { Some(false) } else { value.within_limit });
    h.raw("<span class=\"tf-pct ").raw(class).raw(if value.is_slo_percentile { " tf-pct-slo" } else { "" });
    h.raw("\" title=\"").text(&format!("{metric} p{p}: {shown}, {words}{own}"));
    h.raw("\" data-testid=\"latency-percentile\" data-percentile=\"").text(&p.to_string());
    h.raw("\" data-value-ms=\"").text(&or_empty(value.estimate_ms));
    h.raw("\" data-meets=\"").text(&or_empty(value.within_limit));
    h.raw("\" data-slo=\"").raw(if value.is_slo_percentile { "true" } else { "false" });
    h.raw("\"><span class=\"tf-pct-name\">").text(&format!("p{p}"));
    h.raw("</span> <span class=\"tf-pct-value\">").text(&shown);
    h.raw("</span> <span aria-hidden=\"true\">").raw(mark);
    h.raw("</span><span class=\"tf-sr\">").text(&format!(", {words}{own}")).raw("</span></span>");
}

/// One SLO's band: `TTFT p95 ≤ 1000 ms · meets ✓`, then p50 / p95 / p99.
pub fn latency_band(h: &mut Html, band: &LatencyBand) {
    let (mark, words) = verdict(band);
    let slo = format!("{} p{} ≤ {}", metric_name(&band.metric), band.percentile, duration(band.limit_ms));
    let title = match band.estimate_ms {
        Some(ms) => format!("{slo}: {} at p{}, {words}", duration(ms), band.percentile),
        None if band.saturated => format!("{slo}: saturated, arrivals exceed what the replicas can serve"),
        None => format!("{slo}: no estimate (model, chip or precision not covered by the performance model)"),
    };
    h.raw("<div class=\"tf-band ").raw(verdict_class(band.meets_slo));
    h.raw("\" title=\"").text(&title);
    h.raw("\" data-testid=\"latency-band\" data-metric=\"").text(&band.metric);
    h.raw("\" data-percentile=\"").text(&band.percentile.to_string());
    h.raw("\" data-limit-ms=\"").text(&band.limit_ms.to_string());
    h.raw("\"><div class=\"tf-band-head\"><span class=\"tf-band-slo\">").text(&slo);
    h.raw("</span> <span class=\"tf-band-verdict\">").raw(words).raw(" <span aria-hidden=\"true\">").raw(mark);
    h.raw("</span></span></div>");
    if !band.saturated && band.p50_ms.is_some() {
        h.raw("<div class=\"tf-band-values\">");
        for value in band.values() {
            percentile_value(h, band, value);
        }
        h.raw("</div>");
    }
    h.raw("</div>");
}
