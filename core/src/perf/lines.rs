//! The estimate service's JSON Lines contract (`tokenfleet estimate`, docs/perf.md): one JSON object
//! in, one JSON line out, in order. A bad line gets an answer with `error` set and never stops the
//! others. Here in core so that the CLI and the fuzzer (`fuzz/`, target `estimate`) answer alike.

use serde_json::{json, Map, Value};

use super::{
    alternatives, checkpoint_precision, estimate, Alternative, Engine, Estimate, EstimateInput, Load, Percentiles,
    Precision, Pricing,
};
use crate::catalog::{accelerator, model, ModelSpec};

/// The answer to one input line, as one JSON line.
pub fn answer_line(line: &str) -> String {
    let value: Result<Value, _> = serde_json::from_str(line);
    let (id, result) = match value {
        Ok(Value::Object(obj)) => {
            let id = obj.get("id").cloned().unwrap_or(Value::Null);
            let result = match &id {
                Value::String(_) => parse_input(&obj).and_then(|i| {
                    let mut e = estimate(&i).map_err(|e| e.to_string())?;
                    // Say which precision was used when the request named none.
                    if matches!(obj.get("precision"), None | Some(Value::Null)) {
                        if let Some(chip) = accelerator(&i.accelerator) {
                            e.notes.insert(0, checkpoint_precision(&i.model, chip).1);
                        }
                    }
                    // Ways out are searched only for what does not fit (the fitting answer stays fast).
                    let ways = if e.fits { Vec::new() } else { alternatives(&i, &Pricing::catalog()) };
                    let partition = partition(&i);
                    Ok((e, ways, partition))
                }),
                _ => Err("id: missing or not a string".to_string()),
            };
            (id, result)
        }
        Ok(_) => (Value::Null, Err("line is not a JSON object".to_string())),
        Err(e) => (Value::Null, Err(format!("not valid JSON: {e}"))),
    };
    let v = match result {
        Ok((e, ways, partition)) => {
            let mut v = render(id, &e, &ways);
            if let (Some(device), Value::Object(o)) = (partition, &mut v) {
                o.insert("device".into(), json!(device));
            }
            v
        }
        Err(message) => failure(id, message),
    };
    serde_json::to_string(&v).unwrap_or_else(|_| "{}".to_string())
}

/// The device's id when it is a partition of a GPU (a MIG slice such as `a100-80gb-mig-1g.10gb`, or a
/// g6f's fractional L4 such as `l4-quarter`): answers on a whole chip stay as they were.
fn partition(input: &EstimateInput) -> Option<String> {
    let derived = crate::catalog::mig::mig_devices().iter().chain(crate::catalog::mig::fractional_devices());
    let chip = crate::catalog::accelerator(&input.accelerator)?;
    derived.clone().any(|d| d.id == chip.id).then(|| chip.id.clone())
}

fn round(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1000.0).round() / 1000.0)
    } else {
        Value::Null
    }
}

fn percentiles(p: Option<Percentiles>) -> Value {
    match p {
        Some(p) => json!({"p50": round(p.p50), "p90": round(p.p90), "p99": round(p.p99)}),
        None => json!({"p50": null, "p90": null, "p99": null}),
    }
}

/// Memory per rank (GPU, or NeuronCore on Neuron): what one sequence needs against what the engine
/// leaves, and its parts.
fn memory(e: &Estimate) -> Value {
    let m = &e.memory;
    json!({
        "rank": m.rank_unit,
        "needed_gib_per_rank": round(m.needed_gib_per_rank),
        "available_gib_per_rank": round(m.available_gib_per_rank),
        "device_memory_gib_per_rank": round(m.rank_memory_gib),
        "weights_gib_per_rank": round(m.weights_gib_per_rank),
        "kv_cache_one_sequence_gib_per_rank": round(m.kv_cache_needed_gib_per_rank),
        "kv_cache_gib_per_rank": round(m.kv_cache_gib_per_rank),
        "activations_gib_per_rank": round(m.activations_gib_per_rank),
        "engine_overhead_gib_per_rank": round(m.engine_overhead_gib_per_rank),
    })
}

fn alternative(a: &Alternative) -> Value {
    let mut v = json!({
        "kind": a.kind.as_str(),
        "change": a.change,
        "fits": a.fits,
        "precision": a.precision.as_str(),
        "instance_type": a.instance_type,
        "accelerator": a.accelerator,
        "devices": a.devices,
        "tensor_parallel": a.tensor_parallel,
        "needed_gib_per_rank": round(a.needed_gib_per_rank),
        "available_gib_per_rank": round(a.available_gib_per_rank),
        "max_concurrent_sequences": a.max_concurrent_sequences,
        "on_demand_usd_per_hour": a.on_demand_usd_per_hour.map(round),
        "region": a.region,
    });
    if let (Some(total), Some(nodes)) = (a.needed_gib_total, a.nodes) {
        v["needed_gib_total"] = round(total);
        v["nodes"] = json!(nodes);
    }
    v
}

fn render(id: Value, e: &Estimate, ways: &[Alternative]) -> Value {
    json!({
        "id": id,
        "fits": e.fits,
        "error": null,
        "ttft_ms": percentiles(e.ttft_ms),
        "tpot_ms": percentiles(e.tpot_ms),
        "e2e_latency_ms": percentiles(e.e2e_latency_ms),
        "output_tokens_per_s": round(e.output_tokens_per_s),
        "total_tokens_per_s": round(e.total_tokens_per_s),
        "requests_per_s": round(e.requests_per_s),
        "kv_cache_capacity_tokens": e.kv_cache_capacity_tokens,
        "max_concurrent_sequences": e.max_concurrent_sequences,
        "saturated": e.saturated,
        "reason": e.reason,
        "capacity_requests_per_s": round(e.capacity_requests_per_s),
        "engine": e.engine.as_str(),
        "tensor_parallel": e.tensor_parallel,
        "devices_used": e.devices_used,
        "precision": e.precision.as_str(),
        "notes": e.notes,
        "memory": memory(e),
        "alternatives": ways.iter().map(alternative).collect::<Vec<_>>(),
    })
}

fn failure(id: Value, message: String) -> Value {
    json!({
        "id": id,
        "fits": false,
        "error": message,
        "ttft_ms": percentiles(None),
        "tpot_ms": percentiles(None),
        "e2e_latency_ms": percentiles(None),
        "output_tokens_per_s": null,
        "total_tokens_per_s": null,
        "requests_per_s": null,
        "kv_cache_capacity_tokens": null,
        "max_concurrent_sequences": null,
    })
}

fn uint(obj: &Map<String, Value>, key: &str) -> Result<Option<u32>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{key}: must be a whole number, got {v}")),
    }
}

fn string<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(format!("{key}: must be a string, got {v}")),
    }
}

fn parse_model(v: Option<&Value>) -> Result<ModelSpec, String> {
    match v {
        Some(Value::String(name)) => model(name)
            .cloned()
            .ok_or_else(|| format!("model: unknown model {name:?} (give its numbers or a Hugging Face config.json)")),
        Some(Value::Object(o)) if o.contains_key("num_hidden_layers") || o.contains_key("text_config") => {
            let name = o.get("_name_or_path").and_then(Value::as_str).unwrap_or("custom");
            ModelSpec::from_hf_config(name, &Value::Object(o.clone()).to_string()).map_err(|e| format!("model.{e}"))
        }
        Some(Value::Object(o)) => {
            let mut o = o.clone();
            o.entry("id").or_insert(json!("custom"));
            o.entry("name").or_insert(json!("custom"));
            let spec: ModelSpec = serde_json::from_value(Value::Object(o)).map_err(|e| format!("model: {e}"))?;
            spec.validate().map_err(|e| format!("model.{e}"))?;
            Ok(spec)
        }
        _ => Err("model: missing (a name, the model's numbers, or a Hugging Face config.json)".into()),
    }
}

fn parse_load(v: Option<&Value>) -> Result<Load, String> {
    let Some(Value::Object(o)) = v else {
        return Err(
            "load: missing; give exactly one of {\"batch_size\": N}, {\"concurrency\": N}, {\"request_rate\": R}, {\"offline\": true}"
                .into(),
        );
    };
    if o.len() != 1 {
        return Err("load: give exactly one of batch_size, concurrency, request_rate, offline".into());
    }
    let (key, value) = o.iter().next().expect("one entry");
    let whole = || {
        value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("load.{key}: must be a whole number of at least 1, got {value}"))
    };
    match key.as_str() {
        "batch_size" => Ok(Load::BatchSize(whole()?)),
        "concurrency" => Ok(Load::Concurrency(whole()?)),
        "request_rate" => value
            .as_f64()
            .filter(|r| *r > 0.0 && r.is_finite())
            .map(Load::RequestRate)
            .ok_or_else(|| format!("load.request_rate: must be a positive number of requests/s, got {value}")),
        "offline" if value == &Value::Bool(true) => Ok(Load::Offline),
        "offline" => Err("load.offline: must be true".into()),
        other => Err(format!("load: unknown regime {other:?}")),
    }
}

/// Turns one input object into core's input; errors name the field.
pub fn parse_input(obj: &Map<String, Value>) -> Result<EstimateInput, String> {
    let spec = parse_model(obj.get("model"))?;
    let mig = string(obj, "mig_profile")?;
    let mut input = match (string(obj, "instance_type")?, string(obj, "accelerator")?) {
        (Some(_), Some(_)) => return Err("instance_type: give either instance_type or accelerator, not both".into()),
        (Some(parent), None) | (None, Some(parent)) if mig.is_some() => {
            if uint(obj, "devices")?.is_some_and(|d| d != 1) {
                return Err("devices: a MIG slice is one device (tensor parallelism never spans slices)".into());
            }
            super::for_mig_slice(spec, parent, mig.unwrap_or_default()).map_err(|e| e.to_string())?
        }
        (Some(t), None) => {
            let mut i = EstimateInput::for_instance(spec, t).map_err(|e| e.to_string())?;
            if let Some(d) = uint(obj, "devices")? {
                if d == 0 || d > i.devices {
                    return Err(format!("devices: {t} has {} devices, got {d}", i.devices));
                }
                i.devices = d;
            }
            i
        }
        (None, Some(chip)) => EstimateInput::for_chip(spec, chip, uint(obj, "devices")?.unwrap_or(1)),
        (None, None) => return Err("instance_type: give instance_type, or accelerator with devices".into()),
    };
    input.tensor_parallel = uint(obj, "tensor_parallel")?;
    input.precision = match string(obj, "precision")? {
        // The published checkpoint's, where the chip runs it (`checkpoint_precision`).
        None => accelerator(&input.accelerator)
            .map(|chip| checkpoint_precision(&input.model, chip).0)
            .unwrap_or(Precision::Fp16),
        Some(p) => Precision::parse(p)
            .ok_or_else(|| format!("precision: unknown {p:?} (fp16, bf16, fp8, int8, int4, mxfp4, nvfp4)"))?,
    };
    input.engine = match string(obj, "engine")? {
        None => None,
        Some(e) => Some(Engine::parse(e).ok_or_else(|| {
            format!("engine: unknown {e:?} (vllm, tgi, tensorrt-llm, sglang, nim, neuron, transformers)")
        })?),
    };
    input.input_tokens = uint(obj, "input_tokens")?.ok_or("input_tokens: missing")?;
    input.output_tokens = uint(obj, "output_tokens")?.ok_or("output_tokens: missing")?;
    input.load = parse_load(obj.get("load"))?;
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn answer(line: &str) -> Value {
        serde_json::from_str(&answer_line(line)).unwrap()
    }

    #[test]
    fn contract_fields() {
        let a = answer(
            r#"{"id":"a","model":"meta-llama/Meta-Llama-3-8B-Instruct","instance_type":"g5.xlarge","precision":"fp16","input_tokens":512,"output_tokens":128,"load":{"concurrency":4}}"#,
        );
        assert_eq!(a["id"], "a");
        assert_eq!(a["fits"], true);
        assert_eq!(a["error"], Value::Null);
        for key in ["ttft_ms", "tpot_ms", "e2e_latency_ms"] {
            for p in ["p50", "p90", "p99"] {
                assert!(a[key][p].as_f64().unwrap() > 0.0, "{key}.{p}");
            }
        }
        for key in ["output_tokens_per_s", "total_tokens_per_s", "requests_per_s"] {
            assert!(a[key].as_f64().unwrap() > 0.0, "{key}");
        }
        assert!(a["kv_cache_capacity_tokens"].as_u64().unwrap() > 0);
        assert!(a["max_concurrent_sequences"].as_u64().unwrap() > 0);
    }

    #[test]
    fn not_fitting_answers_carry_the_memory_and_the_ways_out() {
        let a = answer(
            r#"{"id":"a","model":"llama-3.1-405b","instance_type":"p5.48xlarge","precision":"bf16","input_tokens":1024,"output_tokens":256,"load":{"concurrency":1}}"#,
        );
        assert_eq!(a["fits"], false);
        assert_eq!(a["memory"]["available_gib_per_rank"], 72.0, "{a}");
        assert_eq!(a["memory"]["weights_gib_per_rank"].as_f64().map(|w| (w * 10.0).round() / 10.0), Some(94.5), "{a}");
        let kinds: Vec<&str> =
            a["alternatives"].as_array().unwrap().iter().map(|w| w["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["precision", "instance_type", "instance_type"], "{a}");
        assert_eq!(a["alternatives"][0]["change"], "precision fp8 instead of bf16: 50.1 of 72.0 GiB per GPU");
        assert_eq!(a["alternatives"][0]["on_demand_usd_per_hour"], 55.04);
    }

    #[test]
    fn bad_lines_answer_with_errors() {
        assert!(answer("{not json")["error"].as_str().unwrap().contains("JSON"));
        let a = answer(
            r#"{"id":"b","model":"nope","accelerator":"h100","input_tokens":1,"output_tokens":1,"load":{"offline":true}}"#,
        );
        assert_eq!(a["id"], "b");
        assert!(a["error"].as_str().unwrap().starts_with("model:"));
        let a = answer(
            r#"{"id":"c","model":"llama-3-8b","accelerator":"h100","devices":1,"input_tokens":1,"output_tokens":1,"load":{"offline":true,"concurrency":3}}"#,
        );
        assert!(a["error"].as_str().unwrap().starts_with("load:"));
    }

    #[test]
    fn saturation_has_no_latency() {
        let a = answer(
            r#"{"id":"s","model":"llama-3-8b","accelerator":"a10g","devices":1,"input_tokens":512,"output_tokens":256,"load":{"request_rate":1000}}"#,
        );
        assert_eq!(a["saturated"], true);
        assert_eq!(a["ttft_ms"]["p99"], Value::Null);
        assert_eq!(a["error"], Value::Null);
    }

    #[test]
    fn custom_models_by_numbers_and_config_json() {
        let a = answer(
            r#"{"id":"n","model":{"layers":32,"hidden_size":4096,"attention_heads":32,"kv_heads":8,"head_dim":128,"vocab_size":128256,"intermediate_size":14336,"context_tokens":8192},"accelerator":"l40s","devices":1,"precision":"fp8","input_tokens":1024,"output_tokens":256,"load":{"request_rate":1}}"#,
        );
        assert_eq!((a["fits"].clone(), a["error"].clone()), (Value::Bool(true), Value::Null), "{a}");
        let a = answer(
            r#"{"id":"h","model":{"_name_or_path":"acme/x","model_type":"mixtral","num_hidden_layers":32,"hidden_size":4096,"num_attention_heads":32,"num_key_value_heads":8,"vocab_size":32000,"intermediate_size":14336,"num_local_experts":8,"num_experts_per_tok":2,"max_position_embeddings":32768},"instance_type":"p4de.24xlarge","input_tokens":2048,"output_tokens":512,"load":{"offline":true}}"#,
        );
        assert_eq!(a["fits"], true, "{a}");
        let a = answer(
            r#"{"id":"bad","model":{"num_hidden_layers":32},"accelerator":"h100","input_tokens":1,"output_tokens":1,"load":{"offline":true}}"#,
        );
        assert!(a["error"].as_str().unwrap().starts_with("model.config.json."), "{a}");
    }

    /// An answer for `fields` (the device, model and precision) at 512 in, 256 out, 4 clients.
    fn on(fields: &str) -> Value {
        answer(&format!(r#"{{"id":"m",{fields},"input_tokens":512,"output_tokens":256,"load":{{"concurrency":4}}}}"#))
    }

    #[test]
    fn mig_slices_are_smaller_and_slower_than_their_gpu() {
        let whole = on(r#""accelerator":"a100-80gb","model":"llama-3-8b""#);
        assert!(whole.get("device").is_none(), "{whole}");
        let seven = on(r#""accelerator":"a100-80gb","mig_profile":"7g.80gb","model":"llama-3-8b""#);
        assert_eq!(seven["device"], "a100-80gb-mig-7g.80gb");
        // 7g is the whole GPU: the same estimate.
        assert_eq!(seven["tpot_ms"], whole["tpot_ms"]);
        assert_eq!(seven["kv_cache_capacity_tokens"], whole["kv_cache_capacity_tokens"]);
        let three = on(r#""instance_type":"p4de.24xlarge","mig_profile":"3g.40gb","model":"llama-3-8b""#);
        assert_eq!((three["fits"].clone(), three["devices_used"].clone()), (json!(true), json!(1)), "{three}");
        let (tpot3, tpot7) = (three["tpot_ms"]["p50"].as_f64().unwrap(), seven["tpot_ms"]["p50"].as_f64().unwrap());
        assert!(tpot3 > tpot7 * 1.5, "3g.40gb {tpot3} ms vs 7g.80gb {tpot7} ms");
        assert!(three["kv_cache_capacity_tokens"].as_u64() < whole["kv_cache_capacity_tokens"].as_u64());
        // An 8B model in FP16 (16 GB of weights) does not fit a 10 GB slice; Phi-3 mini in INT4 does.
        let small = on(r#""accelerator":"h100","mig_profile":"1g.10gb","model":"llama-3-8b""#);
        assert_eq!(small["fits"], false, "{small}");
        assert!(small["reason"].is_string());
        let tiny = on(r#""accelerator":"h100","mig_profile":"1g.10gb","model":"phi-3-mini","precision":"int4""#);
        assert_eq!(tiny["fits"], true, "{tiny}");
    }

    #[test]
    fn mig_refusals_name_the_field() {
        let e = |device: &str| on(&format!(r#"{device},"model":"llama-3-8b""#))["error"].as_str().unwrap().to_string();
        assert!(e(r#""accelerator":"l4","mig_profile":"1g.10gb""#).starts_with("mig_profile: NVIDIA L4 has no MIG"));
        assert!(e(r#""accelerator":"h100","mig_profile":"1g.5gb""#).contains("it has 1g.10gb, 1g.20gb"));
        assert!(e(r#""instance_type":"g5.xlarge","mig_profile":"1g.5gb""#).starts_with("mig_profile:"));
        assert!(e(r#""instance_type":"g6f.large","mig_profile":"1g.5gb""#).starts_with("mig_profile:"));
        assert!(e(r#""accelerator":"h100","devices":2,"mig_profile":"1g.10gb""#).starts_with("devices:"));
    }

    #[test]
    fn g6f_is_a_fractional_l4() {
        let quarter = on(r#""instance_type":"g6f.2xlarge","model":"phi-3-mini","precision":"int4""#);
        assert_eq!(
            (quarter["device"].clone(), quarter["fits"].clone()),
            (json!("l4-quarter"), json!(true)),
            "{quarter}"
        );
        let whole = on(r#""instance_type":"g6.2xlarge","model":"phi-3-mini","precision":"int4""#);
        assert!(whole.get("device").is_none());
        let (q, w) = (quarter["tpot_ms"]["p50"].as_f64().unwrap(), whole["tpot_ms"]["p50"].as_f64().unwrap());
        assert!(q > w * 2.0, "g6f.2xlarge {q} ms vs g6.2xlarge {w} ms");
    }

    #[test]
    fn every_catalog_model_answers_on_every_contract_chip() {
        for m in catalog::models() {
            for chip in catalog::CONTRACT_CHIP_IDS {
                let line = format!(
                    r#"{{"id":"x","model":"{}","accelerator":"{chip}","devices":8,"precision":"fp16","input_tokens":1024,"output_tokens":256,"load":{{"concurrency":8}}}}"#,
                    m.spec.hf_repo
                );
                let a = answer(&line);
                assert_eq!(a["id"], "x");
                // Either an estimate (fitting or not, with a reason) or an error naming the field.
                if !a["error"].is_null() {
                    let e = a["error"].as_str().unwrap();
                    assert!(e.starts_with("tensor_parallel:"), "{} on {chip}: {e}", m.spec.id);
                } else if a["fits"] == false {
                    assert!(a["reason"].is_string(), "{a}");
                }
            }
        }
    }
}
