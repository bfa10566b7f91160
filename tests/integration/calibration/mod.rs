//! Calibration of the performance model against 581 published measurements
//! (`tests/data/calibration/measurements.tsv`, copied from shared/reference; SOURCES.md explains each).
//!
//! Every row is mapped to an estimate input where its conditions allow; the report gives, per metric,
//! rows used, rows skipped and why, median absolute percentage error and the share within ±25 %. It
//! also refits the efficiency factors per (chip family, engine) group and cross-validates by leaving
//! one source out. `make accuracy` prints the report; the test fails above 25 % median error.

use std::collections::BTreeMap;

use tokenfleet_core::catalog::{accelerator, model};
use tokenfleet_core::perf::efficiency::FittedGroup;
use tokenfleet_core::perf::{estimate_with, Engine, Estimate, EstimateInput, Load, Precision, FITTED};

mod refit;
use refit::fit;

const DATA: &str = include_str!("../../data/calibration/measurements.tsv");

/// The metric families of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Metric {
    OutputThroughput,
    Ttft,
    TpotItl,
    EndToEnd,
    RequestsPerS,
}

impl Metric {
    const ALL: [Metric; 5] =
        [Metric::OutputThroughput, Metric::Ttft, Metric::TpotItl, Metric::EndToEnd, Metric::RequestsPerS];

    fn name(self) -> &'static str {
        match self {
            Metric::OutputThroughput => "output throughput (tok/s)",
            Metric::Ttft => "TTFT",
            Metric::TpotItl => "TPOT / ITL",
            Metric::EndToEnd => "end-to-end latency",
            Metric::RequestsPerS => "requests/s",
        }
    }
}

/// How a prediction is read to compare with the row's value.
#[derive(Debug, Clone, Copy)]
enum Read {
    OutputTokensPerS,
    OutputTokensPerSPerGpu(f64),
    TtftP50,
    TpotP50,
    E2eP50,
    /// TGI's "ms per token": end-to-end latency divided by output tokens.
    E2ePerOutputToken(f64),
}

#[derive(Debug, Clone)]
struct Row {
    id: String,
    source: String,
    metric: Metric,
    group: (&'static str, Engine),
    input: EstimateInput,
    read: Read,
    measured: f64,
}

fn read(e: &Estimate, how: Read) -> Option<f64> {
    if !e.fits {
        return None;
    }
    match how {
        Read::OutputTokensPerS => Some(e.output_tokens_per_s),
        Read::OutputTokensPerSPerGpu(tp) => Some(e.output_tokens_per_s / tp),
        Read::TtftP50 => e.ttft_ms.map(|p| p.p50),
        Read::TpotP50 => e.tpot_ms.map(|p| p.p50),
        Read::E2eP50 => e.e2e_latency_ms.map(|p| p.p50),
        Read::E2ePerOutputToken(o) => e.e2e_latency_ms.map(|p| p.p50 / o),
    }
}

/// S08 does not report its ShareGPT prompt lengths; this assumption (not fitted) stands in for them.
const S08_ASSUMED_INPUT_TOKENS: u32 = 256;

fn map_row(cells: &BTreeMap<&str, &str>) -> Result<Row, String> {
    let get = |k: &str| cells.get(k).copied().unwrap_or("");
    let model_name = get("model");
    let model_id = if model_name.starts_with("LLaMA 7B") {
        "llama-2-7b"
    } else if model_name.starts_with("LLaMA 70B") {
        "llama-2-70b"
    } else if model_name.contains("Mistral-7B-OpenOrca") {
        "mistral-7b"
    } else {
        model_name
    };
    let spec = model(model_id).ok_or_else(|| format!("model not in catalog: {model_name}"))?.clone();
    let hw = get("hardware");
    let chip = match hw {
        h if h.contains("H100") => "h100",
        h if h.contains("H200") => "h200",
        h if h.contains("A100") && h.contains("80GB") => "a100-80gb",
        h if h.contains("A100") && h.contains("40GB") => "a100-40gb",
        h if h.contains("L40S") => "l40s",
        h if h.contains("A10G") => "a10g",
        h if h.contains("T4") => "t4",
        h if h.contains("Inferentia2") => "inferentia2",
        other => return Err(format!("hardware not mapped: {other}")),
    };
    let engine_text = get("engine");
    let engine = match engine_text {
        e if e.starts_with("TensorRT-LLM") => Engine::TensorrtLlm,
        e if e.starts_with("transformers-neuronx") => Engine::Neuron,
        e if e.contains("TGI") => Engine::Tgi,
        e if e.starts_with("AutoAWQ") => Engine::Transformers,
        other => return Err(format!("engine not mapped: {other}")),
    };
    let p = get("precision");
    let precision = if p.contains("FP8") {
        Precision::Fp8
    } else if p.contains("GPTQ") || p.contains("AWQ") {
        Precision::Int4
    } else if p.contains("weight storage int8") {
        Precision::Int8
    } else if p.contains("weight storage bf16") {
        Precision::Bf16
    } else if p.contains("FP16") {
        Precision::Fp16
    } else {
        return Err(format!("precision not mapped: {p}"));
    };
    let tp: u32 = get("tp").parse().map_err(|_| "tp not a number".to_string())?;
    let devices = if chip == "inferentia2" { tp.div_ceil(2) } else { tp };
    let output_tokens: u32 = get("output_tokens").parse().map_err(|_| "output length unknown".to_string())?;
    let input_tokens: u32 = match get("input_tokens").parse() {
        Ok(n) => n,
        Err(_) if get("source_id") == "S08" => S08_ASSUMED_INPUT_TOKENS,
        Err(_) => return Err("input length unknown".into()),
    };
    let load_type = get("load_type");
    let load_value = get("load_value");
    let load = if load_type.starts_with("offline") {
        Load::Offline
    } else if load_type.starts_with("static batch") {
        Load::BatchSize(load_value.parse().map_err(|_| "batch size not a number".to_string())?)
    } else if load_type.starts_with("concurrent") {
        Load::Concurrency(load_value.parse().map_err(|_| "concurrency not a number".to_string())?)
    } else {
        return Err(format!("load not mapped: {load_type}"));
    };
    let metric_text = get("metric");
    let stat = get("stat");
    let value: f64 = get("value").parse().map_err(|_| "value not a number".to_string())?;
    let (metric, read, measured) = match metric_text {
        "throughput_tokens_per_s_output" if stat.starts_with("ambiguous") && tp > 1 => {
            return Err("ambiguous: per-GPU or total throughput (S05 A100, TP > 1)".into())
        }
        "throughput_tokens_per_s_output" => (Metric::OutputThroughput, Read::OutputTokensPerS, value),
        "throughput_tokens_per_s_output_per_gpu" => {
            (Metric::OutputThroughput, Read::OutputTokensPerSPerGpu(tp as f64), value)
        }
        "ttft_ms" => (Metric::Ttft, Read::TtftP50, value),
        "tpot_ms" => (Metric::TpotItl, Read::TpotP50, value),
        "e2e_latency_ms" => (Metric::EndToEnd, Read::E2eP50, value),
        m if m.starts_with("latency_ms_per_output_token") => {
            (Metric::TpotItl, Read::E2ePerOutputToken(output_tokens as f64), value)
        }
        "prefill_tokens_per_s" => (Metric::Ttft, Read::TtftP50, input_tokens as f64 / value * 1000.0),
        m if m.starts_with("decode_tokens_per_s_per_sequence") => (Metric::TpotItl, Read::TpotP50, 1000.0 / value),
        other => return Err(format!("metric not mapped: {other}")),
    };
    let chip_ref = accelerator(chip).expect("mapped chips are in the catalog");
    let mut input = EstimateInput::for_chip(spec, chip, devices);
    input.tensor_parallel = Some(tp);
    input.precision = precision;
    input.engine = Some(engine);
    input.input_tokens = input_tokens;
    input.output_tokens = output_tokens;
    input.load = load;
    Ok(Row {
        id: get("id").to_string(),
        source: get("source_id").to_string(),
        metric,
        group: (chip_ref.arch_family.as_str(), engine),
        input,
        read,
        measured,
    })
}

/// The report metric of a raw `metric` cell.
fn metric_of(raw: &str) -> Option<Metric> {
    match raw {
        m if m.starts_with("throughput_tokens_per_s_output") => Some(Metric::OutputThroughput),
        "ttft_ms" | "prefill_tokens_per_s" => Some(Metric::Ttft),
        m if m.starts_with("tpot") || m.starts_with("latency_ms_per_output_token") || m.starts_with("decode_") => {
            Some(Metric::TpotItl)
        }
        "e2e_latency_ms" => Some(Metric::EndToEnd),
        m if m.starts_with("requests") => Some(Metric::RequestsPerS),
        _ => None,
    }
}

/// A measurement left out of the comparison, and why.
struct Skipped {
    id: String,
    metric: Option<Metric>,
    reason: String,
}

/// Rows mapped to inputs, and rows skipped with their reason.
fn load_rows() -> (Vec<Row>, Vec<Skipped>) {
    let mut lines = DATA.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let (mut rows, mut skipped) = (Vec::new(), Vec::new());
    for line in lines {
        let cells: BTreeMap<&str, &str> = header.iter().copied().zip(line.split('\t')).collect();
        let id = cells.get("id").copied().unwrap_or("?").to_string();
        let metric = metric_of(cells.get("metric").copied().unwrap_or(""));
        let skip = |reason: String| Skipped { id: id.clone(), metric, reason };
        match map_row(&cells) {
            Ok(row) => {
                // Rows the model cannot express (context too long, precision unsupported) are skipped.
                match estimate_with(&row.input, FITTED) {
                    Ok(_) => rows.push(row),
                    Err(e) if e.field == "input_tokens" => {
                        skipped.push(skip("beyond the model's context window (the benchmark extended it)".into()))
                    }
                    Err(e) => skipped.push(skip(format!("model refuses the configuration: {e}"))),
                }
            }
            Err(reason) => skipped.push(skip(reason)),
        }
    }
    (rows, skipped)
}

fn predict(row: &Row, table: &[FittedGroup]) -> Option<f64> {
    estimate_with(&row.input, table).ok().and_then(|e| read(&e, row.read)).filter(|v| v.is_finite() && *v > 0.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Per-metric summary of absolute percentage errors.
#[derive(Debug, Default, Clone)]
struct Summary {
    used: usize,
    no_fit: usize,
    errors_pct: Vec<f64>,
}

impl Summary {
    fn median_pct(&self) -> f64 {
        median(self.errors_pct.clone())
    }
    fn within_25(&self) -> f64 {
        if self.errors_pct.is_empty() {
            return f64::NAN;
        }
        self.errors_pct.iter().filter(|e| **e <= 25.0).count() as f64 / self.errors_pct.len() as f64
    }
}

fn summarize<'a>(rows: impl Iterator<Item = (&'a Row, Option<f64>)>) -> BTreeMap<Metric, Summary> {
    let mut out: BTreeMap<Metric, Summary> = BTreeMap::new();
    for (row, pred) in rows {
        let s = out.entry(row.metric).or_default();
        match pred {
            Some(p) => {
                s.used += 1;
                s.errors_pct.push((p - row.measured).abs() / row.measured * 100.0);
            }
            None => s.no_fit += 1,
        }
    }
    out
}

/// Objective of a group: the mean over metrics of the median absolute log error; rows the model says
fn print_table(title: &str, summary: &BTreeMap<Metric, Summary>, skipped: &[Skipped]) {
    println!("\n{title}");
    println!("| metric | rows used | skipped (why) | model says no fit | median abs % error | within ±25 % |");
    println!("|---|---:|---|---:|---:|---:|");
    for m in Metric::ALL {
        let s = summary.get(&m).cloned().unwrap_or_default();
        let mut why: BTreeMap<&str, usize> = BTreeMap::new();
        for k in skipped.iter().filter(|k| k.metric == Some(m)) {
            *why.entry(k.reason.as_str()).or_default() += 1;
        }
        let n: usize = why.values().sum();
        let why = if n == 0 {
            "0".to_string()
        } else {
            format!("{n}: {}", why.iter().map(|(r, c)| format!("{c} {r}")).collect::<Vec<_>>().join("; "))
        };
        if s.used == 0 {
            println!("| {} | 0 | {why} | {} | n/a | n/a |", m.name(), s.no_fit);
        } else {
            println!(
                "| {} | {} | {why} | {} | {:.1} % | {:.0} % |",
                m.name(),
                s.used,
                s.no_fit,
                s.median_pct(),
                s.within_25() * 100.0
            );
        }
    }
}

#[test]
fn calibration_meets_target() {
    let (rows, skipped) = load_rows();
    assert_eq!(rows.len() + skipped.len(), 581, "every measurement is either used or skipped with a reason");

    // Skipped rows, by reason.
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for k in &skipped {
        *reasons.entry(k.reason.clone()).or_default() += 1;
    }
    println!("\nCalibration against tests/data/calibration/measurements.tsv (581 rows)");
    println!("Skipped {} rows:", skipped.len());
    for (r, n) in &reasons {
        println!("  {n:4}  {r}");
    }

    // In-sample accuracy with the shipped factors.
    let summary = summarize(rows.iter().map(|r| (r, predict(r, FITTED))));
    print_table("Accuracy with the shipped efficiency factors (perf::efficiency::FITTED):", &summary, &skipped);
    println!("(requests/s: no row of the measurement file reports it)");

    // Per source, to show where the error is.
    let mut by_source: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for r in &rows {
        if let Some(p) = predict(r, FITTED) {
            by_source.entry(&r.source).or_default().push((p - r.measured).abs() / r.measured * 100.0);
        }
    }
    if std::env::var_os("TOKENFLEET_CALIBRATION_ROWS").is_some() {
        for r in &rows {
            let p = predict(r, FITTED);
            println!(
                "ROW {} {} {:?} {:?} {} {}/{} {:?} {:?} measured {:.2} predicted {:.2} ratio {:.2}",
                r.id,
                r.source,
                r.group,
                r.metric,
                r.input.model.id,
                r.input.input_tokens,
                r.input.output_tokens,
                r.input.load,
                r.input.tensor_parallel,
                r.measured,
                p.unwrap_or(f64::NAN),
                p.unwrap_or(f64::NAN) / r.measured
            );
        }
        for k in &skipped {
            println!("SKIP {} {}", k.id, k.reason);
        }
    }
    for (s, errs) in &by_source {
        println!("  source {s}: {} rows, median abs error {:.1} %", errs.len(), median(errs.clone()));
    }

    for m in Metric::ALL {
        if let Some(s) = summary.get(&m) {
            if s.used > 0 {
                assert!(s.median_pct() <= 25.0, "{}: median abs error {:.1} % > 25 %", m.name(), s.median_pct());
            }
        }
    }
}

#[test]
fn calibration_refit_and_cross_validation() {
    let (rows, skipped) = load_rows();
    let all: Vec<&Row> = rows.iter().collect();
    let fitted = fit(&all);
    println!("\nRefitted factors (paste into core/src/perf/efficiency.rs FITTED when the model changes):");
    for g in &fitted {
        println!(
            "    group(\"{}\", Engine::{:?}, {:.2}, {:.2}, {:.2}, {:.2}, {:.2}, {:.1}, {:.1}, {}),",
            g.arch_family,
            g.engine,
            g.efficiency.memory_bandwidth,
            g.efficiency.kv_bandwidth,
            g.efficiency.compute,
            g.efficiency.step_overhead_ms,
            g.efficiency.parallel_step_overhead_ms,
            g.efficiency.sequence_overhead_us,
            g.efficiency.request_overhead_ms,
            g.rows
        );
        let e = g.efficiency;
        assert!(
            e.memory_bandwidth <= 1.0 && e.kv_bandwidth <= 1.0 && e.compute <= 1.0,
            "efficiency above 1 is a bug: {g:?}"
        );
    }
    let refit = summarize(rows.iter().map(|r| (r, predict(r, &fitted))));
    print_table("Accuracy in sample with the refitted factors:", &refit, &skipped);

    // Leave one source out: fit on the other sources, predict the held-out one. A held-out source
    // whose (family, engine) group appears nowhere else falls back to the engine median or the prior,
    // which is exactly the situation of a chip or engine the file never measured.
    let sources: Vec<String> = {
        let mut s: Vec<String> = rows.iter().map(|r| r.source.clone()).collect();
        s.sort();
        s.dedup();
        s
    };
    let mut held_out: Vec<(&Row, Option<f64>)> = Vec::new();
    for s in &sources {
        let train: Vec<&Row> = rows.iter().filter(|r| &r.source != s).collect();
        let table = fit(&train);
        let test: Vec<&Row> = rows.iter().filter(|r| &r.source == s).collect();
        let preds: Vec<(&Row, Option<f64>)> = test.iter().map(|r| (*r, predict(r, &table))).collect();
        let errs: Vec<f64> =
            preds.iter().filter_map(|(r, p)| p.map(|p| (p - r.measured).abs() / r.measured * 100.0)).collect();
        println!("  held out {s}: {} rows, median abs error {:.1} %", errs.len(), median(errs));
        held_out.extend(preds);
    }
    let cv = summarize(held_out.into_iter());
    print_table(
        "Leave-one-source-out cross-validation (each source predicted by factors fitted without it):",
        &cv,
        &skipped,
    );

    // Leave one chip family out: every row of a family is predicted by factors fitted on the other
    // families, which is the situation of a chip the file never measured (L4, V100, Trainium, B200).
    let families: Vec<&str> = {
        let mut f: Vec<&str> = rows.iter().map(|r| r.group.0).collect();
        f.sort();
        f.dedup();
        f
    };
    let mut held_out: Vec<(&Row, Option<f64>)> = Vec::new();
    for fam in &families {
        let train: Vec<&Row> = rows.iter().filter(|r| r.group.0 != *fam).collect();
        let table = fit(&train);
        let test: Vec<&Row> = rows.iter().filter(|r| r.group.0 == *fam).collect();
        let preds: Vec<(&Row, Option<f64>)> = test.iter().map(|r| (*r, predict(r, &table))).collect();
        let errs: Vec<f64> =
            preds.iter().filter_map(|(r, p)| p.map(|p| (p - r.measured).abs() / r.measured * 100.0)).collect();
        println!("  held out family {fam}: {} rows, median abs error {:.1} %", errs.len(), median(errs));
        held_out.extend(preds);
    }
    let by_family = summarize(held_out.into_iter());
    print_table(
        "Leave-one-chip-family-out cross-validation (each family predicted by factors fitted on the others):",
        &by_family,
        &skipped,
    );
}
