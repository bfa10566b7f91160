//! Open-weight LLM architectures, name resolution, and custom models from numbers or a pasted
//! Hugging Face `config.json`.
//!
//! Source: `core/data/models.tsv` (each row transcribes the model's `config.json`; see its header).
//! Parameter counts are computed from the architecture, so custom models get them the same way.
//!
//! Architectures covered: dense decoders with grouped-query attention; mixture of experts with routed
//! and shared experts and dense layers between MoE layers (Mixtral, Qwen3-MoE, DeepSeek-V3, Llama 4,
//! gpt-oss); multi-head latent attention (DeepSeek-V2/V3/R1: the KV cache holds one compressed
//! latent of `kv_lora_rank` plus the `rope_head_dim` positional key per token and layer, shared by all
//! heads); sliding-window and chunked local attention on some or all layers (Mistral 7B v0.1,
//! Gemma 2/3, gpt-oss, Llama 4), so a long context costs what those layers really keep.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::tsv::{parse_f64, parse_u64, Table};

const DATA: &str = include_str!(concat!(env!("OUT_DIR"), "/models.tsv"));

/// A decoder-only transformer, described by the numbers that set its memory and compute.
///
/// The fields after `tied_embeddings` describe newer architectures; each is 0 (or empty) for a model
/// without the feature, is left out of serialised plans when so, and defaults when absent.
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
    /// Query/key dimension per head (with multi-head latent attention: the non-positional plus the
    /// positional part, `qk_nope_head_dim + qk_rope_head_dim`).
    pub head_dim: u32,
    pub vocab_size: u32,
    /// The MLP width of dense layers (and of every expert when `expert_intermediate_size` is 0).
    pub intermediate_size: u32,
    /// Mixture-of-experts: routed experts per MoE layer (1 for dense models) and experts used per token.
    #[serde(default = "one")]
    pub experts: u32,
    #[serde(default = "one")]
    pub active_experts: u32,
    pub context_tokens: u32,
    #[serde(default)]
    pub tied_embeddings: bool,
    /// The MLP width of one expert (`moe_intermediate_size`); 0 = `intermediate_size`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub expert_intermediate_size: u32,
    /// Layers with a mixture of experts; the others have a dense MLP. 0 = every layer (when
    /// `experts` > 1).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub moe_layers: u32,
    /// Shared experts every token passes through in each MoE layer (DeepSeek, Llama 4).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shared_experts: u32,
    /// Multi-head latent attention: the rank of the compressed key/value latent (0 = ordinary
    /// attention).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kv_lora_rank: u32,
    /// Multi-head latent attention: the rank of the compressed query (0 = queries projected directly).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub q_lora_rank: u32,
    /// Multi-head latent attention: the positional (RoPE) part of each query/key head, cached once
    /// per token beside the latent.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rope_head_dim: u32,
    /// Value dimension per head when it differs from `head_dim` (multi-head latent attention); 0 =
    /// `head_dim`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub v_head_dim: u32,
    /// Tokens a sliding-window (or chunked local) attention layer keeps and attends to; 0 = none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sliding_window: u32,
    /// Layers with that window; the rest attend to the whole context. 0 = every layer (when
    /// `sliding_window` > 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sliding_layers: u32,
    /// The precision of the published checkpoint's weights (`bf16`, `fp16`, `fp8`, `mxfp4`, ...);
    /// what an estimate uses when the request names none. Empty = `bf16`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub checkpoint_precision: String,
}

fn one() -> u32 {
    1
}

fn is_zero(n: &u32) -> bool {
    *n == 0
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
    pub fn is_moe(&self) -> bool {
        self.experts > 1
    }

    /// Multi-head latent attention (DeepSeek-V2/V3/R1, Kimi K2).
    pub fn is_mla(&self) -> bool {
        self.kv_lora_rank > 0
    }

    /// Layers with a mixture of experts.
    pub fn moe_layer_count(&self) -> u32 {
        match (self.is_moe(), self.moe_layers) {
            (false, _) => 0,
            (true, 0) => self.layers,
            (true, n) => n.min(self.layers),
        }
    }

    /// Layers with a dense MLP.
    pub fn dense_layer_count(&self) -> u32 {
        self.layers - self.moe_layer_count()
    }

    fn value_head_dim(&self) -> u32 {
        if self.v_head_dim > 0 {
            self.v_head_dim
        } else {
            self.head_dim
        }
    }

    /// Layers whose attention keeps only the last `sliding_window` tokens.
    pub fn sliding_layer_count(&self) -> u32 {
        match (self.sliding_window, self.sliding_layers) {
            (0, _) => 0,
            (_, 0) => self.layers,
            (_, n) => n.min(self.layers),
        }
    }

    /// Tokens of a `context`-token sequence that the attention layers keep and read, averaged over
    /// the layers: the whole context on full-attention layers, at most the window on sliding ones.
    pub fn attended_tokens(&self, context: f64) -> f64 {
        let sliding = self.sliding_layer_count() as f64;
        let full = self.layers as f64 - sliding;
        let window = context.min(self.sliding_window as f64);
        (full * context + sliding * window) / self.layers as f64
    }

    /// Key-query pairs a causal prefill of `prompt` tokens scores, averaged over the layers (prompt²/2
    /// on full layers; a window caps each query's keys).
    pub fn prefill_attended_pairs(&self, prompt: f64) -> f64 {
        let sliding = self.sliding_layer_count() as f64;
        let full = self.layers as f64 - sliding;
        let w = self.sliding_window as f64;
        let windowed = if prompt <= w { prompt * prompt / 2.0 } else { w * w / 2.0 + (prompt - w) * w };
        (full * prompt * prompt / 2.0 + sliding * windowed) / self.layers as f64
    }

    /// KV-cache elements one token adds in one layer, for the whole model (all heads): keys and
    /// values of every KV head, or with latent attention the latent and its positional key.
    pub fn kv_elements_per_token_layer(&self) -> f64 {
        if self.is_mla() {
            (self.kv_lora_rank + self.rope_head_dim) as f64
        } else {
            (self.kv_heads * (self.head_dim + self.value_head_dim())) as f64
        }
    }

    /// KV-cache elements one token adds in one layer on one of `tp` tensor-parallel ranks: KV heads
    /// split across ranks (replicated when there are fewer heads than ranks); a latent-attention cache
    /// is replicated on every rank, as vLLM and SGLang keep it.
    pub fn kv_elements_per_token_layer_rank(&self, tp: u32) -> f64 {
        if self.is_mla() {
            return self.kv_elements_per_token_layer();
        }
        let heads_rank = (self.kv_heads as f64 / tp.max(1) as f64).ceil().max(1.0);
        heads_rank * (self.head_dim + self.value_head_dim()) as f64
    }

    /// Multiply-adds per context token per generated token in attention, whole model: query·key
    /// scores and the weighted values of every head (with latent attention, on the absorbed latent,
    /// which is how engines decode it).
    pub fn attention_macs_per_context_token(&self) -> f64 {
        let heads = self.attention_heads as f64;
        let per_layer = if self.is_mla() {
            heads * (2 * self.kv_lora_rank + self.rope_head_dim) as f64
        } else {
            heads * (self.head_dim + self.value_head_dim()) as f64
        };
        self.layers as f64 * per_layer
    }

    /// Multiply-adds per scored key-query pair in a prefill, whole model: scores and values of every
    /// head over keys and values as the heads see them (latent attention prefills decompressed).
    pub fn prefill_attention_macs_per_pair(&self) -> f64 {
        self.layers as f64 * self.attention_heads as f64 * (self.head_dim + self.value_head_dim()) as f64
    }

    fn attention_params_per_layer(&self) -> f64 {
        let h = self.hidden_size as f64;
        let heads = self.attention_heads as f64;
        let (qk, v) = (self.head_dim as f64, self.value_head_dim() as f64);
        if self.is_mla() {
            let q = if self.q_lora_rank > 0 {
                h * self.q_lora_rank as f64 + self.q_lora_rank as f64 * heads * qk
            } else {
                h * heads * qk
            };
            let (rank, rope) = (self.kv_lora_rank as f64, self.rope_head_dim as f64);
            let kv = h * (rank + rope) + rank * heads * (qk - rope + v);
            return q + kv + heads * v * h;
        }
        let kv = self.kv_heads as f64;
        h * heads * qk + h * kv * (qk + v) + heads * v * h
    }

    /// Parameters of one gated MLP (gate, up and down projections) of the given width.
    fn mlp_params(&self, width: u32) -> f64 {
        3.0 * self.hidden_size as f64 * width as f64
    }

    /// Parameters of one expert's gated MLP.
    fn mlp_params_per_expert(&self) -> f64 {
        let width =
            if self.expert_intermediate_size > 0 { self.expert_intermediate_size } else { self.intermediate_size };
        self.mlp_params(width)
    }

    /// Parameters of one routed expert summed over every MoE layer: what each further distinct
    /// expert a step routes to adds to the bytes it reads.
    pub fn routed_expert_params(&self) -> f64 {
        self.moe_layer_count() as f64 * self.mlp_params_per_expert()
    }

    /// Parameters every forward pass reads whatever the routing: attention, dense MLPs, shared
    /// experts and the output head (routed experts excluded).
    pub fn always_read_params(&self) -> f64 {
        self.layers as f64 * self.attention_params_per_layer()
            + self.dense_layer_count() as f64 * self.mlp_params(self.intermediate_size)
            + self.moe_layer_count() as f64 * self.shared_experts as f64 * self.mlp_params_per_expert()
            + self.lm_head_params()
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
        let (experts, routers) = if self.is_moe() {
            (self.experts as f64 * self.routed_expert_params(), self.moe_layer_count() as f64 * h * self.experts as f64)
        } else {
            (0.0, 0.0)
        };
        let head = if self.tied_embeddings { 0.0 } else { self.lm_head_params() };
        self.always_read_params() + experts + routers + head + self.layers as f64 * 2.0 * h + h
    }

    /// Parameters one token's forward pass multiplies by (active experts only, output head included,
    /// embedding lookup excluded): the `N` of the `2N` FLOP per token rule.
    pub fn active_params(&self) -> f64 {
        let routed = if self.is_moe() { self.active_experts as f64 * self.routed_expert_params() } else { 0.0 };
        self.always_read_params() + routed
    }

    /// Expected distinct routed experts per MoE layer that a step of `tokens` tokens touches, for
    /// uniform routing (0 for a dense model).
    pub fn experts_touched(&self, tokens: f64) -> f64 {
        if !self.is_moe() {
            return 0.0;
        }
        let (e, k) = (self.experts as f64, self.active_experts as f64);
        e * (1.0 - (1.0 - k / e).powf(tokens.max(1.0)))
    }

    /// Parameters one decode step reads when `tokens` tokens are in the step: the weights every pass
    /// reads, plus the routed experts those tokens touch.
    pub fn params_read_per_step(&self, tokens: f64) -> f64 {
        self.always_read_params() + self.experts_touched(tokens) * self.routed_expert_params()
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
        for (field, value, max) in [
            ("expert_intermediate_size", self.expert_intermediate_size, 10_000_000),
            ("moe_layers", self.moe_layers, self.layers),
            ("shared_experts", self.shared_experts, 10_000),
            ("kv_lora_rank", self.kv_lora_rank, 100_000),
            ("q_lora_rank", self.q_lora_rank, 100_000),
            ("rope_head_dim", self.rope_head_dim, self.head_dim),
            ("v_head_dim", self.v_head_dim, 100_000),
            ("sliding_window", self.sliding_window, 100_000_000),
            ("sliding_layers", self.sliding_layers, self.layers),
        ] {
            if value > max {
                return err(field, format!("must be between 0 and {max}, got {value}"));
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
        if !self.is_mla() && (self.q_lora_rank > 0 || self.rope_head_dim > 0) {
            let field = if self.q_lora_rank > 0 { "q_lora_rank" } else { "rope_head_dim" };
            return err(field, "is for multi-head latent attention; give kv_lora_rank too".into());
        }
        if self.is_mla() && self.rope_head_dim >= self.head_dim {
            return err(
                "rope_head_dim",
                format!(
                    "{} must be less than head_dim ({}), which counts the positional and non-positional parts",
                    self.rope_head_dim, self.head_dim
                ),
            );
        }
        Ok(())
    }

    /// A custom model from a pasted Hugging Face `config.json`: Llama (2, 3, 4), Mistral, Mixtral,
    /// Qwen2/2.5/3 and their MoE, Gemma 2/3, Phi-3/4, DeepSeek-V2/V3/R1 (latent attention, shared
    /// experts, leading dense layers), gpt-oss (sliding layers, MXFP4) keys; a nested `text_config`
    /// is read when present. The checkpoint's precision comes from `quantization_config` or
    /// `torch_dtype`.
    pub fn from_hf_config(name: &str, config_json: &str) -> Result<ModelSpec, ModelError> {
        use serde_json::Value;
        let value: Value = serde_json::from_str(config_json)
            .map_err(|e| ModelError { field: "config.json".into(), message: format!("not valid JSON: {e}") })?;
        if !value.is_object() {
            return Err(ModelError { field: "config.json".into(), message: "not a JSON object".into() });
        }
        let cfg = value.get("text_config").filter(|v| v.is_object()).unwrap_or(&value);
        // Whole numbers only (`32`, not `32.0` or `"32"`); `null` counts as absent.
        let get = |key: &str| cfg.get(key).and_then(Value::as_u64);
        let first = |keys: &[&str]| keys.iter().find_map(|k| get(k));
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
        // Multi-head latent attention: the query/key head is the non-positional plus the positional part.
        let kv_lora_rank = to_u32("kv_lora_rank", get("kv_lora_rank").unwrap_or(0))?;
        let (rope, nope) = (get("qk_rope_head_dim").unwrap_or(0), get("qk_nope_head_dim").unwrap_or(0));
        // (Newer transformers write DeepSeek's `head_dim` as the positional part alone: not the head.)
        let head_dim = match get("head_dim") {
            _ if kv_lora_rank > 0 && rope + nope > 0 => to_u32("qk_nope_head_dim", rope + nope)?,
            Some(d) => to_u32("head_dim", d)?,
            None if heads > 0 => hidden / heads,
            None => 0,
        };
        let experts =
            to_u32("num_local_experts", first(&["num_local_experts", "num_experts", "n_routed_experts"]).unwrap_or(1))?;
        let active = to_u32(
            "num_experts_per_tok",
            first(&["num_experts_per_tok", "experts_per_token", "moe_topk"]).unwrap_or(1).min(experts as u64),
        )?;
        // Llama 4 names the expert width `intermediate_size` and the dense layers' `intermediate_size_mlp`.
        let (dense_width, expert_width) = match get("intermediate_size_mlp") {
            Some(mlp) => (to_u32("intermediate_size_mlp", mlp)?, need("intermediate_size")?),
            None => {
                (to_u32("intermediate_size", need("intermediate_size")?)?, get("moe_intermediate_size").unwrap_or(0))
            }
        };
        let moe_layers = if experts <= 1 {
            0
        } else if let Some(list) = cfg.get("moe_layers").and_then(Value::as_array) {
            list.len() as u64
        } else if let Some(k) = get("first_k_dense_replace") {
            (layers as u64).saturating_sub(k) / get("moe_layer_freq").unwrap_or(1).max(1)
        } else if let Some(step) = first(&["interleave_moe_layer_step", "decoder_sparse_step"]) {
            let dense: Vec<u64> = cfg
                .get("mlp_only_layers")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            let step = step.max(1);
            (0..layers as u64).filter(|i| (i + 1) % step == 0 && !dense.contains(i)).count() as u64
        } else {
            0
        };
        let shared = match (get("n_shared_experts"), get("shared_expert_intermediate_size")) {
            (Some(n), _) => n,
            // Qwen2-MoE: one shared expert of its own width, counted in expert widths.
            (None, Some(w)) if expert_width > 0 => (w as f64 / expert_width as f64).round() as u64,
            // Llama 4: one shared expert in every MoE layer.
            _ if experts > 1 && get("intermediate_size_mlp").is_some() => 1,
            _ => 0,
        };
        let (window, sliding) = sliding_attention(cfg, layers);
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
            intermediate_size: dense_width,
            experts,
            active_experts: active.max(1),
            context_tokens: to_u32(
                "max_position_embeddings",
                get("max_position_embeddings").unwrap_or(4096).min(u32::MAX as u64),
            )?,
            tied_embeddings: matches!(
                cfg.get("tie_word_embeddings").or_else(|| value.get("tie_word_embeddings")),
                Some(Value::Bool(true))
            ),
            expert_intermediate_size: if experts > 1 { to_u32("moe_intermediate_size", expert_width)? } else { 0 },
            moe_layers: to_u32("moe_layers", moe_layers)?,
            shared_experts: to_u32("n_shared_experts", shared)?,
            kv_lora_rank,
            q_lora_rank: if kv_lora_rank > 0 { to_u32("q_lora_rank", get("q_lora_rank").unwrap_or(0))? } else { 0 },
            rope_head_dim: if kv_lora_rank > 0 { to_u32("qk_rope_head_dim", rope)? } else { 0 },
            v_head_dim: if kv_lora_rank > 0 { to_u32("v_head_dim", get("v_head_dim").unwrap_or(0))? } else { 0 },
            sliding_window: to_u32("sliding_window", window)?,
            sliding_layers: to_u32("sliding_window", sliding)?,
            checkpoint_precision: checkpoint_precision(&value, cfg).to_string(),
        };
        spec.validate().map_err(|e| ModelError { field: format!("config.json.{}", e.field), message: e.message })?;
        Ok(spec)
    }
}

/// The sliding (or chunked local) attention window of a `config.json` and how many layers use it:
/// `layer_types` when listed (gpt-oss, newer Gemma), Gemma 3's `sliding_window_pattern` (every n-th
/// layer global), Gemma 2's alternation, Llama 4's chunked layers (`attention_chunk_size`, three in
/// four unless `no_rope_layers` says), otherwise every layer (Mistral 7B v0.1). Qwen's configs carry
/// a `sliding_window` with `use_sliding_window: false`, which is none. `(0, 0)` when there is none.
fn sliding_attention(cfg: &serde_json::Value, layers: u32) -> (u64, u64) {
    use serde_json::Value;
    if let Some(chunk) = cfg.get("attention_chunk_size").and_then(Value::as_u64) {
        let chunked = match cfg.get("no_rope_layers").and_then(Value::as_array) {
            Some(flags) if !flags.is_empty() => flags.iter().filter(|f| f.as_u64().is_some_and(|f| f != 0)).count(),
            _ => (layers - layers / 4) as usize,
        };
        return (chunk, chunked as u64);
    }
    let window = match cfg.get("sliding_window").and_then(Value::as_u64) {
        Some(w) if w > 0 && cfg.get("use_sliding_window") != Some(&Value::Bool(false)) => w,
        _ => return (0, 0),
    };
    let layers = layers as u64;
    if let Some(types) = cfg.get("layer_types").and_then(Value::as_array) {
        let sliding = types.iter().filter(|t| t.as_str() == Some("sliding_attention")).count() as u64;
        return if sliding == 0 { (0, 0) } else { (window, sliding.min(layers)) };
    }
    if let Some(pattern) = cfg.get("sliding_window_pattern").and_then(Value::as_u64).filter(|p| *p > 1) {
        return (window, layers - layers / pattern);
    }
    if cfg.get("model_type").and_then(Value::as_str) == Some("gemma2") {
        return (window, layers / 2);
    }
    (window, layers)
}

/// The precision of a checkpoint's weights from its `config.json`: the quantisation method when it
/// has one, else its tensor dtype. Empty when it says nothing the model knows (read as BF16).
fn checkpoint_precision(root: &serde_json::Value, cfg: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    let quant = root.get("quantization_config").or_else(|| cfg.get("quantization_config"));
    if let Some(q) = quant {
        let field = |k: &str| q.get(k).and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
        match (field("quant_method").as_str(), field("quant_algo").as_str()) {
            ("fp8", _) | ("fbgemm_fp8", _) | ("modelopt", "fp8") => return "fp8",
            ("mxfp4", _) => return "mxfp4",
            ("modelopt", "nvfp4") | ("modelopt_fp4", _) => return "nvfp4",
            ("awq", _) | ("gptq", _) => return "int4",
            _ => {}
        }
    }
    let dtype = root.get("torch_dtype").or_else(|| root.get("dtype")).or_else(|| cfg.get("torch_dtype"));
    match dtype.and_then(Value::as_str) {
        Some("float16") => "fp16",
        Some("bfloat16") => "bf16",
        _ => "",
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
    table
        .rows
        .iter()
        .map(|row| {
            let cell = |name: &str| Table::cell(row, table.column(name));
            let n = |name: &str| parse_u64(cell(name)) as u32;
            let hf_repo = cell("hf_repo").to_string();
            CatalogModel {
                spec: ModelSpec {
                    id: cell("id").to_string(),
                    name: cell("name").to_string(),
                    hf_repo: hf_repo.clone(),
                    layers: n("layers"),
                    hidden_size: n("hidden"),
                    attention_heads: n("heads"),
                    kv_heads: n("kv_heads"),
                    head_dim: n("head_dim"),
                    vocab_size: n("vocab"),
                    intermediate_size: n("intermediate"),
                    experts: n("experts"),
                    active_experts: n("active_experts"),
                    context_tokens: n("context"),
                    tied_embeddings: cell("tied_embeddings") == "yes",
                    expert_intermediate_size: n("expert_intermediate"),
                    moe_layers: n("moe_layers"),
                    shared_experts: n("shared_experts"),
                    kv_lora_rank: n("kv_lora_rank"),
                    q_lora_rank: n("q_lora_rank"),
                    rope_head_dim: n("rope_head_dim"),
                    v_head_dim: n("v_head_dim"),
                    sliding_window: n("sliding_window"),
                    sliding_layers: n("sliding_layers"),
                    checkpoint_precision: cell("precision").to_string(),
                },
                aliases: cell("aliases").split(';').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                params_b_published: parse_f64(cell("params_b_published")).unwrap_or(0.0),
                source: format!(
                    "https://huggingface.co/{hf_repo}/blob/main/config.json (collected {})",
                    cell("collected")
                ),
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
        assert_eq!(ModelSpec::from_hf_config("x", "[1, 2]").unwrap_err().message, "not a JSON object");
        assert!(ModelSpec::from_hf_config("x", "not json").unwrap_err().message.starts_with("not valid JSON: "));
        assert!(ModelSpec::from_hf_config("x", "{\"a\": [}").unwrap_err().message.contains("line 1 column"));
        // Whole numbers only, as before: `32.0` and `"32"` are not read as 32.
        let err = ModelSpec::from_hf_config("x", &cfg.replace(":32,", ":32.0,")).unwrap_err();
        assert_eq!(err.field, "config.json.num_hidden_layers");
        let nested = format!(r#"{{"model_type":"gemma3","text_config":{cfg},"tie_word_embeddings":true}}"#);
        assert_eq!(ModelSpec::from_hf_config("g", &nested).unwrap().layers, 32);
    }

    /// DeepSeek-V3's `config.json` as published (the fields the model reads, plus neighbours it must
    /// ignore), Qwen3-30B-A3B's, gpt-oss-120b's, Gemma 3 27B's (nested) and Llama 4 Maverick's.
    const DEEPSEEK_V3: &str = r#"{"architectures":["DeepseekV3ForCausalLM"],"model_type":"deepseek_v3",
        "first_k_dense_replace":3,"hidden_size":7168,"intermediate_size":18432,"kv_lora_rank":512,
        "max_position_embeddings":163840,"moe_intermediate_size":2048,"moe_layer_freq":1,"n_group":8,
        "n_routed_experts":256,"n_shared_experts":1,"num_attention_heads":128,"num_experts_per_tok":8,
        "num_hidden_layers":61,"num_key_value_heads":128,"num_nextn_predict_layers":1,"q_lora_rank":1536,
        "qk_nope_head_dim":128,"qk_rope_head_dim":64,"v_head_dim":128,"vocab_size":129280,
        "tie_word_embeddings":false,"torch_dtype":"bfloat16",
        "quantization_config":{"activation_scheme":"dynamic","fmt":"e4m3","quant_method":"fp8","weight_block_size":[128,128]}}"#;
    const QWEN3_MOE: &str = r#"{"model_type":"qwen3_moe","hidden_size":2048,"intermediate_size":6144,
        "moe_intermediate_size":768,"num_hidden_layers":48,"num_attention_heads":32,"num_key_value_heads":4,
        "head_dim":128,"num_experts":128,"num_experts_per_tok":8,"decoder_sparse_step":1,"mlp_only_layers":[],
        "vocab_size":151936,"max_position_embeddings":40960,"sliding_window":null,"use_sliding_window":false,
        "max_window_layers":48,"tie_word_embeddings":false,"torch_dtype":"bfloat16"}"#;
    const GPT_OSS_120B: &str = r#"{"architectures":["GptOssForCausalLM"],"model_type":"gpt_oss",
        "num_hidden_layers":36,"num_attention_heads":64,"num_key_value_heads":8,"head_dim":64,"hidden_size":2880,
        "intermediate_size":2880,"num_local_experts":128,"num_experts_per_tok":4,"experts_per_token":4,
        "vocab_size":201088,"sliding_window":128,"max_position_embeddings":131072,"tie_word_embeddings":false,
        "layer_types":["sliding_attention","full_attention","sliding_attention","full_attention",
        "sliding_attention","full_attention","sliding_attention","full_attention","sliding_attention",
        "full_attention","sliding_attention","full_attention","sliding_attention","full_attention",
        "sliding_attention","full_attention","sliding_attention","full_attention","sliding_attention",
        "full_attention","sliding_attention","full_attention","sliding_attention","full_attention",
        "sliding_attention","full_attention","sliding_attention","full_attention","sliding_attention",
        "full_attention","sliding_attention","full_attention","sliding_attention","full_attention",
        "sliding_attention","full_attention"],"quantization_config":{"quant_method":"mxfp4"}}"#;
    const GEMMA3_27B: &str = r#"{"architectures":["Gemma3ForConditionalGeneration"],"model_type":"gemma3",
        "text_config":{"head_dim":128,"hidden_size":5376,"intermediate_size":21504,"model_type":"gemma3_text",
        "num_attention_heads":32,"num_hidden_layers":62,"num_key_value_heads":16,"sliding_window":1024,
        "sliding_window_pattern":6,"vocab_size":262208,"max_position_embeddings":131072},
        "torch_dtype":"bfloat16","tie_word_embeddings":true}"#;
    const LLAMA4_MAVERICK: &str = r#"{"architectures":["Llama4ForConditionalGeneration"],"model_type":"llama4",
        "text_config":{"attention_chunk_size":8192,"head_dim":128,"hidden_size":5120,"interleave_moe_layer_step":2,
        "intermediate_size":8192,"intermediate_size_mlp":16384,"max_position_embeddings":1048576,
        "model_type":"llama4_text","num_attention_heads":40,"num_experts_per_tok":1,"num_hidden_layers":48,
        "num_key_value_heads":8,"num_local_experts":128,"vocab_size":202048,"tie_word_embeddings":false,
        "torch_dtype":"bfloat16"}}"#;

    /// Everything but the names and the context (catalog rows may state a longer one).
    fn same_architecture(a: &ModelSpec, b: &ModelSpec) {
        let strip = |m: &ModelSpec| ModelSpec {
            id: String::new(),
            name: String::new(),
            hf_repo: String::new(),
            context_tokens: 0,
            ..m.clone()
        };
        assert_eq!(strip(a), strip(b));
    }

    #[test]
    fn new_architectures_import_from_config_json_as_the_catalog_has_them() {
        for (config, id) in [
            (DEEPSEEK_V3, "deepseek-v3"),
            (QWEN3_MOE, "qwen3-30b-a3b"),
            (GPT_OSS_120B, "gpt-oss-120b"),
            (GEMMA3_27B, "gemma-3-27b"),
            (LLAMA4_MAVERICK, "llama-4-maverick"),
        ] {
            let spec = ModelSpec::from_hf_config(id, config).unwrap_or_else(|e| panic!("{id}: {e}"));
            let mut catalog = model(id).unwrap().clone();
            // The catalog writes what an empty cell means explicitly for some rows.
            if catalog.moe_layers == catalog.layers {
                catalog.moe_layers = 0;
            }
            let mut spec = spec;
            if spec.moe_layers == spec.layers {
                spec.moe_layers = 0;
            }
            same_architecture(&spec, &catalog);
        }
        let ds = ModelSpec::from_hf_config("ds", DEEPSEEK_V3).unwrap();
        assert_eq!(
            (ds.moe_layers, ds.shared_experts, ds.head_dim, ds.checkpoint_precision.as_str()),
            (58, 1, 192, "fp8")
        );
        let gemma = ModelSpec::from_hf_config("g", GEMMA3_27B).unwrap();
        assert_eq!((gemma.sliding_window, gemma.sliding_layers, gemma.tied_embeddings), (1024, 52, true));
        // Qwen's configs name a window they do not use.
        let qwen =
            ModelSpec::from_hf_config("q", &QWEN3_MOE.replace(r#""sliding_window":null"#, r#""sliding_window":4096"#))
                .unwrap();
        assert_eq!(qwen.sliding_window, 0);
        // Malformed new fields are named.
        let with_head_dim = DEEPSEEK_V3.replace(r#""qk_rope_head_dim":64"#, r#""qk_rope_head_dim":64,"head_dim":64"#);
        assert_eq!(ModelSpec::from_hf_config("x", &with_head_dim).unwrap().head_dim, 192);
        let bad = DEEPSEEK_V3.replace(r#""v_head_dim":128"#, r#""v_head_dim":200000"#);
        assert_eq!(ModelSpec::from_hf_config("x", &bad).unwrap_err().field, "config.json.v_head_dim");
    }

    #[test]
    fn mixture_of_experts_counts_shared_experts_and_dense_layers() {
        let b = |id: &str| {
            let m = model(id).unwrap();
            (m.total_params() / 1e9, m.active_params() / 1e9)
        };
        // Model cards: total and active parameters (billions).
        for (id, total, active) in [
            ("deepseek-v3", 671.0, 37.0),
            ("qwen3-30b-a3b", 30.5, 3.3),
            ("qwen3-235b-a22b", 235.0, 22.0),
            ("llama-4-scout", 109.0, 17.0),
            ("llama-4-maverick", 400.0, 17.0),
            ("gpt-oss-20b", 21.0, 3.6),
            ("gpt-oss-120b", 117.0, 5.1),
        ] {
            let (t, a) = b(id);
            assert!((t - total).abs() / total < 0.05, "{id}: total {t:.1} B vs {total}");
            assert!((a - active).abs() / active < 0.12, "{id}: active {a:.2} B vs {active}");
        }
        // One token reads the weights every pass reads plus its routed experts; a big batch reads
        // (nearly) every expert.
        let ds = model("deepseek-v3").unwrap();
        assert!((ds.params_read_per_step(1.0) - ds.active_params()).abs() < 1.0);
        assert!(ds.params_read_per_step(4096.0) > 0.99 * (ds.total_params() - ds.lm_head_params()));
    }

    #[test]
    fn latent_attention_and_sliding_windows_set_the_kv_cache() {
        // DeepSeek-V3: one 512-wide latent plus a 64-wide positional key per token and layer, for all
        // 128 heads: 61 x 576 elements, not 61 x 128 x (192 + 128).
        let ds = model("deepseek-v3").unwrap();
        assert_eq!(ds.kv_elements_per_token_layer(), 576.0);
        assert_eq!(ds.kv_elements_per_token_layer_rank(8), 576.0, "replicated on every rank");
        // Grouped-query attention splits heads across ranks.
        let llama = model("llama-3.1-70b").unwrap();
        assert_eq!(llama.kv_elements_per_token_layer(), 8.0 * 256.0);
        assert_eq!(llama.kv_elements_per_token_layer_rank(4), 2.0 * 256.0);
        // gpt-oss: half the layers keep 128 tokens; at 64k tokens that is about half the full cache.
        let oss = model("gpt-oss-120b").unwrap();
        assert_eq!(oss.attended_tokens(100.0), 100.0);
        let kept = oss.attended_tokens(65_536.0) / 65_536.0;
        assert!((kept - 0.501).abs() < 0.001, "{kept}");
        // Gemma 3: 52 of 62 layers keep 1 024 tokens.
        let gemma = model("gemma-3-27b").unwrap();
        assert!((gemma.attended_tokens(32_768.0) - (10.0 * 32_768.0 + 52.0 * 1024.0) / 62.0).abs() < 1e-6);
        // A windowed prefill scores fewer pairs than a causal one, never more.
        assert_eq!(gemma.prefill_attended_pairs(512.0), 512.0 * 512.0 / 2.0);
        let windowed = 1024.0 * 1024.0 / 2.0 + (8192.0 - 1024.0) * 1024.0;
        let pairs = (10.0 * 8192.0 * 8192.0 / 2.0 + 52.0 * windowed) / 62.0;
        assert!((gemma.prefill_attended_pairs(8192.0) - pairs).abs() < 1e-3);
        assert!(pairs < 0.36 * 8192.0 * 8192.0 / 2.0);
        // A dense model without these features is unchanged.
        assert_eq!(llama.attended_tokens(5000.0), 5000.0);
        assert_eq!(llama.prefill_attention_macs_per_pair(), llama.attention_macs_per_context_token());
    }

    #[test]
    fn new_fields_are_validated_and_stay_out_of_old_serialisations() {
        let mut m = model("llama-3-8b").unwrap().clone();
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("kv_lora_rank") && !json.contains("sliding") && !json.contains("checkpoint"), "{json}");
        m.rope_head_dim = 64;
        assert_eq!(m.validate().unwrap_err().field, "rope_head_dim");
        m.rope_head_dim = 0;
        m.sliding_layers = 33;
        assert_eq!(m.validate().unwrap_err().field, "sliding_layers");
        let old: ModelSpec = serde_json::from_str(
            r#"{"id":"c","name":"c","layers":2,"hidden_size":64,"attention_heads":4,
            "kv_heads":4,"head_dim":16,"vocab_size":100,"intermediate_size":128,"context_tokens":512}"#,
        )
        .unwrap();
        assert_eq!((old.experts, old.kv_lora_rank, old.checkpoint_precision.as_str()), (1, 0, ""));
    }

    #[test]
    fn the_newer_families_resolve_by_the_names_people_type() {
        let id = |n: &str| model(n).map(|m| m.id.as_str());
        assert_eq!(id("deepseek-ai/DeepSeek-R1"), Some("deepseek-r1"));
        assert_eq!(id("deepseek-ai/DeepSeek-V3-0324"), Some("deepseek-v3"));
        assert_eq!(id("Qwen/Qwen3-235B-A22B"), Some("qwen3-235b-a22b"));
        assert_eq!(id("meta-llama/Llama-4-Scout-17B-16E-Instruct"), Some("llama-4-scout"));
        assert_eq!(id("openai/gpt-oss-20b"), Some("gpt-oss-20b"));
        assert_eq!(id("google/gemma-3-27b-it"), Some("gemma-3-27b"));
        assert_eq!(id("mistralai/Mistral-Small-24B-Instruct-2501"), Some("mistral-small-3"));
        assert_eq!(id("microsoft/phi-4"), Some("phi-4"));
        assert_eq!(id("Llama 3.2 3B"), Some("llama-3.2-3b"));
        // Distills keep their own rows.
        assert_eq!(id("deepseek-ai/DeepSeek-R1-Distill-Llama-8B"), Some("deepseek-r1-distill-llama-8b"));
    }
}
