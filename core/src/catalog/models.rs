//! Open-weight LLM architectures, name resolution, and custom models from numbers or a pasted
//! Hugging Face `config.json`.
//!
//! Source: `core/data/models.tsv` (each row transcribes the model's `config.json`; see its header).
//! Parameter counts are computed from the architecture, so custom models get them the same way.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::tsv::{parse_f64, parse_u64, Table};
use crate::yaml::Value;

const DATA: &str = include_str!(concat!(env!("OUT_DIR"), "/models.tsv"));

/// A decoder-only transformer, described by the numbers that set its memory and compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Catalog id (`llama-3-8b`), or `custom` for user-defined models.
    pub id: String,
    pub name: String,
    /// Hugging Face repository id, when known.
    #[serde(default)]
    pub hf_repo: String,
    pub layers: u32,
    pub hidden_size: u32,
    pub attention_heads: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
    pub vocab_size: u32,
    pub intermediate_size: u32,
    /// Mixture-of-experts: experts per layer (1 for dense models) and experts used per token.
    #[serde(default = "one")]
    pub experts: u32,
    #[serde(default = "one")]
    pub active_experts: u32,
    pub context_tokens: u32,
    #[serde(default)]
    pub tied_embeddings: bool,
}

fn one() -> u32 {
    1
}

/// Why a custom model was refused: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl ModelSpec {
    fn attention_params_per_layer(&self) -> f64 {
        let (h, q, kv) = (
            self.hidden_size as f64,
            (self.attention_heads * self.head_dim) as f64,
            (self.kv_heads * self.head_dim) as f64,
        );
        h * q + 2.0 * h * kv + q * h
    }

    /// Parameters of one expert's gated MLP (gate, up and down projections).
    fn mlp_params_per_expert(&self) -> f64 {
        3.0 * self.hidden_size as f64 * self.intermediate_size as f64
    }

    /// Parameters of the output head (vocabulary x hidden), read by every forward pass.
    pub fn lm_head_params(&self) -> f64 {
        self.vocab_size as f64 * self.hidden_size as f64
    }

    /// Parameters of the input embedding and output head as stored (one table when they are tied).
    /// Quantised deployments keep these in 16 bits.
    pub fn embedding_params_stored(&self) -> f64 {
        self.lm_head_params() * if self.tied_embeddings { 1.0 } else { 2.0 }
    }

    /// Every parameter held in memory (all experts, embeddings, output head, norms).
    pub fn total_params(&self) -> f64 {
        let h = self.hidden_size as f64;
        let router = if self.experts > 1 { h * self.experts as f64 } else { 0.0 };
        let per_layer =
            self.attention_params_per_layer() + self.experts as f64 * self.mlp_params_per_expert() + router + 2.0 * h;
        let head = if self.tied_embeddings { 0.0 } else { self.lm_head_params() };
        self.layers as f64 * per_layer + self.lm_head_params() + head + h
    }

    /// Parameters one token's forward pass multiplies by (active experts only, output head included,
    /// embedding lookup excluded): the `N` of the `2N` FLOP per token rule.
    pub fn active_params(&self) -> f64 {
        let per_layer = self.attention_params_per_layer() + self.active_experts as f64 * self.mlp_params_per_expert();
        self.layers as f64 * per_layer + self.lm_head_params()
    }

    /// Parameters one decode step reads when `tokens` tokens are in the step: dense weights, plus the
    /// experts those tokens route to (expected distinct experts for uniform routing).
    pub fn params_read_per_step(&self, tokens: f64) -> f64 {
        let e = self.experts as f64;
        let experts_touched = if self.experts <= 1 {
            1.0
        } else {
            let k = self.active_experts as f64;
            e * (1.0 - (1.0 - k / e).powf(tokens.max(1.0)))
        };
        self.layers as f64 * (self.attention_params_per_layer() + experts_touched * self.mlp_params_per_expert())
            + self.lm_head_params()
    }

    pub fn is_moe(&self) -> bool {
        self.experts > 1
    }

    /// Checks the numbers a custom model brings; errors name the field.
    pub fn validate(&self) -> Result<(), ModelError> {
        let err = |field: &str, message: String| Err(ModelError { field: field.to_string(), message });
        for (field, value, max) in [
            ("layers", self.layers, 1_000),
            ("hidden_size", self.hidden_size, 1_000_000),
            ("attention_heads", self.attention_heads, 10_000),
            ("kv_heads", self.kv_heads, 10_000),
            ("head_dim", self.head_dim, 100_000),
            ("vocab_size", self.vocab_size, 10_000_000),
            ("intermediate_size", self.intermediate_size, 10_000_000),
            ("experts", self.experts, 10_000),
            ("active_experts", self.active_experts, 10_000),
            ("context_tokens", self.context_tokens, 100_000_000),
        ] {
            if value == 0 || value > max {
                return err(field, format!("must be between 1 and {max}, got {value}"));
            }
        }
        if self.kv_heads > self.attention_heads || !self.attention_heads.is_multiple_of(self.kv_heads) {
            return err(
                "kv_heads",
                format!("{} must divide attention_heads ({})", self.kv_heads, self.attention_heads),
            );
        }
        if self.active_experts > self.experts {
            return err("active_experts", format!("{} exceeds experts ({})", self.active_experts, self.experts));
        }
        Ok(())
    }

    /// A custom model from a pasted Hugging Face `config.json` (Llama, Mistral, Mixtral, Qwen2, Gemma,
    /// Phi-3 style keys; a nested `text_config` is read when present).
    pub fn from_hf_config(name: &str, config_json: &str) -> Result<ModelSpec, ModelError> {
        // JSON is YAML's flow style: read through core's own tree, like every other JSON input.
        let value = crate::yaml::parse_document(config_json)
            .map_err(|e| ModelError { field: "config.json".into(), message: format!("not valid JSON: {e}") })?;
        if !matches!(value.value, Value::Map(_)) {
            return Err(ModelError { field: "config.json".into(), message: "not a JSON object".into() });
        }
        let cfg = value.get("text_config").filter(|v| matches!(v.value, Value::Map(_))).unwrap_or(&value);
        // Whole numbers only (`32`, not `32.0` or `"32"`), as serde_json's `as_u64` reads them.
        let get = |key: &str| match cfg.get(key).map(|v| &v.value) {
            Some(Value::Int(i)) => u64::try_from(*i).ok(),
            _ => None,
        };
        let need = |key: &str| {
            get(key).ok_or_else(|| ModelError {
                field: format!("config.json.{key}"),
                message: "missing or not a whole number".into(),
            })
        };
        let to_u32 = |key: &str, v: u64| {
            u32::try_from(v)
                .map_err(|_| ModelError { field: format!("config.json.{key}"), message: format!("{v} is too large") })
        };
        let layers = to_u32("num_hidden_layers", need("num_hidden_layers")?)?;
        let hidden = to_u32("hidden_size", need("hidden_size")?)?;
        let heads = to_u32("num_attention_heads", need("num_attention_heads")?)?;
        let kv_heads = to_u32("num_key_value_heads", get("num_key_value_heads").unwrap_or(heads as u64))?;
        let head_dim = match get("head_dim") {
            Some(d) => to_u32("head_dim", d)?,
            None if heads > 0 => hidden / heads,
            None => 0,
        };
        let experts =
            to_u32("num_local_experts", get("num_local_experts").or_else(|| get("num_experts")).unwrap_or(1))?;
        let active = to_u32("num_experts_per_tok", get("num_experts_per_tok").unwrap_or(1).min(experts as u64))?;
        let spec = ModelSpec {
            id: "custom".into(),
            name: if name.trim().is_empty() { "custom".into() } else { name.trim().to_string() },
            hf_repo: String::new(),
            layers,
            hidden_size: hidden,
            attention_heads: heads,
            kv_heads,
            head_dim,
            vocab_size: to_u32("vocab_size", need("vocab_size")?)?,
            intermediate_size: to_u32("intermediate_size", need("intermediate_size")?)?,
            experts,
            active_experts: active.max(1),
            context_tokens: to_u32(
                "max_position_embeddings",
                get("max_position_embeddings").unwrap_or(4096).min(u32::MAX as u64),
            )?,
            tied_embeddings: matches!(cfg.get("tie_word_embeddings").map(|v| &v.value), Some(Value::Bool(true))),
        };
        spec.validate().map_err(|e| ModelError { field: format!("config.json.{}", e.field), message: e.message })?;
        Ok(spec)
    }
}

/// A catalog model: its architecture and the size its card states.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogModel {
    pub spec: ModelSpec,
    pub aliases: Vec<String>,
    pub params_b_published: f64,
    pub source: String,
}

fn parse() -> Vec<CatalogModel> {
    let table = Table::parse(DATA);
    let c = |name| table.column(name);
    let cols = [
        c("id"),
        c("name"),
        c("hf_repo"),
        c("aliases"),
        c("layers"),
        c("hidden"),
        c("heads"),
        c("kv_heads"),
        c("head_dim"),
        c("vocab"),
        c("intermediate"),
        c("experts"),
        c("active_experts"),
        c("context"),
        c("tied_embeddings"),
        c("params_b_published"),
    ];
    table
        .rows
        .iter()
        .map(|row| {
            let cell = |i: usize| Table::cell(row, cols[i]);
            let n = |i: usize| parse_u64(cell(i)) as u32;
            let hf_repo = cell(2).to_string();
            CatalogModel {
                spec: ModelSpec {
                    id: cell(0).to_string(),
                    name: cell(1).to_string(),
                    hf_repo: hf_repo.clone(),
                    layers: n(4),
                    hidden_size: n(5),
                    attention_heads: n(6),
                    kv_heads: n(7),
                    head_dim: n(8),
                    vocab_size: n(9),
                    intermediate_size: n(10),
                    experts: n(11),
                    active_experts: n(12),
                    context_tokens: n(13),
                    tied_embeddings: cell(14) == "yes",
                },
                aliases: cell(3).split(';').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                params_b_published: parse_f64(cell(15)).unwrap_or(0.0),
                source: format!("https://huggingface.co/{hf_repo}/blob/main/config.json (collected 2026-11-27)"),
            }
        })
        .collect()
}

/// Every catalog model, in the data file's order.
pub fn models() -> &'static [CatalogModel] {
    static TABLE: OnceLock<Vec<CatalogModel>> = OnceLock::new();
    TABLE.get_or_init(parse)
}

/// Reduces a model name to a key: lowercase ASCII letters and digits only, without an org prefix, a
/// leading `meta`, or trailing variant words (`instruct`, `chat`, `hf`, `it`, `base`, `v0.1`, `4k`, ...).
pub fn normalize_model_name(name: &str) -> String {
    let name = name.trim();
    let name = name.rsplit('/').next().unwrap_or(name);
    let mut key: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    if let Some(rest) = key.strip_prefix("meta") {
        if rest.starts_with("llama") {
            key = rest.to_string();
        }
    }
    const SUFFIXES: [&str; 14] =
        ["instruct", "chat", "hf", "it", "base", "v01", "v02", "v03", "4k", "8k", "128k", "awq", "gptq", "fp8"];
    while let Some(s) = SUFFIXES.iter().find(|s| key.len() > s.len() + 2 && key.ends_with(*s)) {
        key.truncate(key.len() - s.len());
    }
    key
}

/// Resolves a model by name, ignoring case and punctuation: catalog ids (`llama-3-8b`), display names
/// (`Llama 3 8B`), Hugging Face repo ids (`meta-llama/Meta-Llama-3-8B-Instruct`) and their
/// `-Instruct`/`-chat`/`-hf` variants.
pub fn model(name: &str) -> Option<&'static ModelSpec> {
    let key = normalize_model_name(name);
    if key.is_empty() {
        return None;
    }
    models()
        .iter()
        .find(|m| {
            std::iter::once(m.spec.id.as_str())
                .chain([m.spec.name.as_str(), m.spec.hf_repo.as_str()])
                .chain(m.aliases.iter().map(String::as_str))
                .any(|n| normalize_model_name(n) == key)
        })
        .map(|m| &m.spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_sizes_match_model_cards() {
        for m in models() {
            let b = m.spec.total_params() / 1e9;
            let off = (b - m.params_b_published).abs() / m.params_b_published;
            assert!(off < 0.08, "{}: computed {b:.2} B vs published {}", m.spec.id, m.params_b_published);
            m.spec.validate().unwrap();
        }
        let mixtral = model("mixtral-8x7b").unwrap();
        assert!((mixtral.active_params() / 1e9 - 12.9).abs() < 0.4, "{}", mixtral.active_params());
    }

    #[test]
    fn names_resolve() {
        let id = |n: &str| model(n).map(|m| m.id.as_str());
        assert_eq!(id("meta-llama/Meta-Llama-3-8B-Instruct"), Some("llama-3-8b"));
        assert_eq!(id("Llama 3 8B"), Some("llama-3-8b"));
        assert_eq!(id("meta-llama/Llama-2-7b-chat-hf"), Some("llama-2-7b"));
        assert_eq!(id("meta-llama/Llama-3.1-70B-Instruct"), Some("llama-3.1-70b"));
        assert_eq!(id("mistralai/Mistral-7B-Instruct-v0.2"), Some("mistral-7b"));
        assert_eq!(id("mistralai/Mixtral-8x7B-Instruct-v0.1"), Some("mixtral-8x7b"));
        assert_eq!(id("google/gemma-2-9b-it"), Some("gemma-2-9b"));
        assert_eq!(id("Qwen/Qwen2.5-72B-Instruct"), Some("qwen2.5-72b"));
        assert_eq!(id("Qwen/Qwen2-7B-Instruct"), Some("qwen2-7b"));
        assert_eq!(id("microsoft/Phi-3-mini-128k-instruct"), Some("phi-3-mini"));
        assert_eq!(id("codellama/CodeLlama-34b-Instruct-hf"), Some("codellama-34b"));
        assert_eq!(id("deepseek-ai/DeepSeek-R1-Distill-Llama-70B"), Some("deepseek-r1-distill-llama-70b"));
        assert_eq!(id("LLAMA-3.3-70B"), Some("llama-3.3-70b"));
        assert_eq!(id("gpt-17"), None);
        assert_eq!(id(""), None);
    }

    #[test]
    fn hf_config_round_trip() {
        let cfg = r#"{"model_type":"llama","num_hidden_layers":32,"hidden_size":4096,"num_attention_heads":32,
            "num_key_value_heads":8,"vocab_size":128256,"intermediate_size":14336,"max_position_embeddings":8192}"#;
        let spec = ModelSpec::from_hf_config("my-llama", cfg).unwrap();
        let cat = model("llama-3-8b").unwrap();
        assert_eq!((spec.head_dim, spec.kv_heads), (128, 8));
        assert!((spec.total_params() - cat.total_params()).abs() < 1.0);
        let err = ModelSpec::from_hf_config("x", r#"{"hidden_size":1}"#).unwrap_err();
        assert_eq!(err.field, "config.json.num_hidden_layers");
        assert_eq!(ModelSpec::from_hf_config("x", "not json").unwrap_err().message, "not a JSON object");
        assert!(ModelSpec::from_hf_config("x", "{\"a\": [}")
            .unwrap_err()
            .message
            .starts_with("not valid JSON: line 1"));
        // Whole numbers only, as before: `32.0` and `"32"` are not read as 32.
        let err = ModelSpec::from_hf_config("x", &cfg.replace(":32,", ":32.0,")).unwrap_err();
        assert_eq!(err.field, "config.json.num_hidden_layers");
        let nested = format!(r#"{{"model_type":"gemma3","text_config":{cfg},"tie_word_embeddings":true}}"#);
        assert_eq!(ModelSpec::from_hf_config("g", &nested).unwrap().layers, 32);
    }
}
