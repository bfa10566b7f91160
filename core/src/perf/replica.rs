//! One replica of a model on tensor-parallel ranks: memory fit and the timing of prefill and decode.
//!
//! A rank is one GPU, or one NeuronCore on Neuron devices. Every time below is per forward pass and
//! the same for every rank (tensor parallelism splits work evenly).

use super::config::{Engine, Precision};
use super::efficiency::{comm_profile, engine_profile, lookup, Efficiency, EngineProfile, FittedGroup};
use super::EstimateError;
use crate::catalog::{Accelerator, ModelSpec};
use crate::units::{gbps_to_bytes_per_s, mib_to_bytes, BYTES_PER_GIB, FLOP_PER_TFLOP};

/// Where the weights and the KV cache go, per rank, and what that leaves.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MemoryFit {
    pub fits: bool,
    /// Why it does not fit (names the limit), when it does not.
    pub reason: Option<String>,
    pub rank_memory_gib: f64,
    /// Memory the engine leaves untouched (1 - utilisation), per rank.
    pub engine_reserved_gib_per_rank: f64,
    pub weights_gib_per_rank: f64,
    /// Runtime context, graphs and activation workspace, per rank.
    pub workspace_gib_per_rank: f64,
    pub kv_cache_gib_per_rank: f64,
    /// KV bytes one token adds to the whole replica (all layers, all ranks), averaged over a sequence of
    /// `input + output` tokens: sliding-window layers stop growing once the window is full.
    pub kv_bytes_per_token: f64,
    pub kv_cache_capacity_tokens: u64,
    /// Sequences of `input + output` tokens the KV cache holds at once, capped by the engine.
    pub max_concurrent_sequences: u32,
    /// What a rank is here: `GPU`, or `NeuronCore` on Neuron devices.
    pub rank_unit: &'static str,
    /// Memory the engine may use per rank (device memory × engine memory utilisation).
    pub available_gib_per_rank: f64,
    /// Memory per rank one sequence of `input + output` tokens needs: weights, its KV cache,
    /// activations and engine overhead. Fits exactly when this is at most `available_gib_per_rank`.
    pub needed_gib_per_rank: f64,
    /// The part of the workspace that holds activations and FP32 logits, per rank.
    pub activations_gib_per_rank: f64,
    /// The part of the workspace that is the engine's runtime context and graphs, per rank.
    pub engine_overhead_gib_per_rank: f64,
    /// KV cache one sequence of `input + output` tokens takes per rank (over the engine's share of
    /// free memory for the cache, where it keeps some back).
    pub kv_cache_needed_gib_per_rank: f64,
}

/// A replica ready to answer timing questions; built once, evaluated many times (the simulator and
/// the planner call `decode_step_s` and friends in loops).
#[derive(Debug, Clone)]
pub struct Replica {
    pub model: ModelSpec,
    pub chip: &'static Accelerator,
    pub engine: Engine,
    pub precision: Precision,
    pub tensor_parallel: u32,
    /// Whole devices the replica occupies.
    pub devices_used: u32,
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub memory: MemoryFit,
    pub efficiency: Efficiency,
    pub profile: EngineProfile,
    // Precomputed rates per rank.
    weight_bw_bytes_per_s: f64,
    kv_bw_bytes_per_s: f64,
    flops_per_s: f64,
    link_bytes_per_s: f64,
    all_reduce_latency_s: f64,
    overhead_s: f64,
    sequence_overhead_s: f64,
    /// Fixed latency per request before its first token, seconds.
    pub request_overhead_s: f64,
    /// Choices made for the user (a default tensor-parallel degree below all devices), for the estimate.
    pub notes: Vec<String>,
    /// KV bytes one token adds on a rank if every layer kept the whole context; times
    /// `ModelSpec::attended_tokens` for what a sequence really holds and reads.
    kv_bytes_per_token_rank: f64,
    /// Decode attention FLOP per generated token per context token (absorbed latent with MLA).
    attention_flops_per_token_ctx: f64,
    /// Prefill attention FLOP per scored key-query pair (all layers and heads).
    prefill_attention_flops_per_pair: f64,
    active_params: f64,
    /// Bytes every forward pass reads whatever the routing: attention, dense MLP, output head.
    dense_bytes: f64,
    /// Bytes of one expert's MLP over all layers (mixture of experts only).
    expert_bytes: f64,
}

/// What a replica is made of (plain data; `perf::EstimateInput` resolves names into this).
#[derive(Debug, Clone)]
pub struct ReplicaConfig<'a> {
    pub model: &'a ModelSpec,
    pub chip: &'static Accelerator,
    /// Devices available (GPUs or Neuron devices).
    pub devices: u32,
    /// Memory per device when the instance reports a figure that differs from the chip's, MiB.
    pub device_memory_mib: Option<u64>,
    /// Ranks (GPUs, or NeuronCores on Neuron); `None` = every GPU / every NeuronCore.
    pub tensor_parallel: Option<u32>,
    pub precision: Precision,
    pub engine: Option<Engine>,
    pub input_tokens: u32,
    pub output_tokens: u32,
    /// Efficiency table to use (`efficiency::FITTED` in production; the calibration refits it).
    pub table: &'a [FittedGroup],
}

/// The tensor-parallel degree when the user gives none: every rank, unless that does not divide the
/// model's attention heads (GPUs); then the largest degree that divides them and whose KV heads split
/// or replicate evenly (kv_heads % tp == 0 or tp % kv_heads == 0), as vLLM and TGI require. Neuron
/// (transformers-neuronx pads heads) always takes every NeuronCore.
fn default_tensor_parallel(model: &ModelSpec, chip: &Accelerator, max_ranks: u32) -> u32 {
    if chip.is_neuron() || model.attention_heads.is_multiple_of(max_ranks) {
        return max_ranks;
    }
    let kv = model.kv_heads.max(1);
    (1..=max_ranks)
        .rev()
        .find(|&t| model.attention_heads.is_multiple_of(t) && (kv.is_multiple_of(t) || t.is_multiple_of(kv)))
        .unwrap_or(1)
}

fn err(field: &str, message: impl Into<String>) -> EstimateError {
    EstimateError { field: field.to_string(), message: message.into() }
}

impl Replica {
    pub fn new(cfg: &ReplicaConfig<'_>) -> Result<Replica, EstimateError> {
        let chip = cfg.chip;
        let model = cfg.model;
        model.validate().map_err(|e| err(&format!("model.{}", e.field), e.message))?;
        if cfg.devices == 0 || cfg.devices > 64 {
            return Err(err("devices", format!("must be between 1 and 64, got {}", cfg.devices)));
        }
        if cfg.input_tokens == 0 {
            return Err(err("input_tokens", "must be at least 1"));
        }
        if cfg.output_tokens == 0 {
            return Err(err("output_tokens", "must be at least 1"));
        }
        let seq = cfg.input_tokens as u64 + cfg.output_tokens as u64;
        if seq > model.context_tokens as u64 {
            return Err(err(
                "input_tokens",
                format!(
                    "input_tokens + output_tokens = {seq} exceeds {}'s context of {} tokens",
                    model.name, model.context_tokens
                ),
            ));
        }
        let engine = match cfg.engine {
            Some(Engine::Vllm) if chip.is_neuron() => Engine::Neuron,
            Some(e) if !e.runs_on(chip) => {
                return Err(err("engine", format!("{} does not run on {}", e.as_str(), chip.id)));
            }
            Some(e) => e,
            None => Engine::default_for(chip),
        };
        let peak_tflops = cfg.precision.peak_tflops(chip).map_err(|m| err("precision", m.to_string()))?;
        let cores = chip.neuron_cores_per_device.max(1);
        let max_ranks = cfg.devices * cores;
        let mut notes = Vec::new();
        let tp = match cfg.tensor_parallel {
            Some(tp) => tp,
            None => {
                let tp = default_tensor_parallel(model, chip, max_ranks);
                if tp < max_ranks {
                    notes.push(format!(
                        "tensor_parallel {tp} (not all {max_ranks} devices): the largest degree that divides {}'s {} attention \
                         heads and fits its {} KV heads; {} of the devices stay idle",
                        model.name,
                        model.attention_heads,
                        model.kv_heads,
                        max_ranks - tp
                    ));
                }
                tp
            }
        };
        if tp == 0 || tp > max_ranks {
            let unit = if chip.is_neuron() { "NeuronCores" } else { "devices" };
            return Err(err("tensor_parallel", format!("must be between 1 and {max_ranks} ({unit}), got {tp}")));
        }
        if !chip.is_neuron() && !model.attention_heads.is_multiple_of(tp) {
            return Err(err(
                "tensor_parallel",
                format!("{tp} does not divide {}'s {} attention heads", model.name, model.attention_heads),
            ));
        }
        let devices_used = tp.div_ceil(cores);
        let profile = engine_profile(engine);
        let efficiency = lookup(cfg.table, &chip.arch_family, engine);
        let comm = comm_profile(chip.interconnect);
        // PCIe instances with more GPUs than one CPU socket hosts run the ring across the sockets.
        let cross_socket = comm.ranks_per_socket > 0 && tp > comm.ranks_per_socket;

        // Memory per rank.
        let device_mib = cfg.device_memory_mib.unwrap_or(chip.usable_memory_mib) as f64;
        let rank_bytes = mib_to_bytes(device_mib) / cores as f64;
        let tp_f = tp as f64;
        let bpw = cfg.precision.bytes_per_weight();
        // Quantised precisions quantise the transformer layers; embeddings and output head stay 16-bit.
        let embed = model.embedding_params_stored();
        let weights_rank = ((model.total_params() - embed) * bpw + embed * 2.0) / tp_f;
        let activation = profile.max_batched_tokens as f64
            * (4.0 * model.hidden_size as f64 + 2.0 * model.intermediate_size as f64 / tp_f)
            * 2.0;
        // FP32 logits for every sequence the engine may sample in one step.
        let logits = profile.max_num_seqs.min(profile.max_batched_tokens) as f64 * model.vocab_size as f64 * 4.0;
        let workspace = profile.workspace_gib * BYTES_PER_GIB + activation + logits;
        let reserved = rank_bytes * (1.0 - profile.memory_utilization);
        let free = rank_bytes * profile.memory_utilization - weights_rank - workspace;
        let kv_elem = cfg.precision.kv_bytes_per_element();
        let layers = model.layers as f64;
        let kv_bytes_per_token_rank = layers * model.kv_elements_per_token_layer_rank(tp) * kv_elem;
        // Sliding-window layers hold at most their window: per token of a whole sequence, less.
        let kept = model.attended_tokens(seq as f64) / seq as f64;
        let kv_bytes_per_token = layers * model.kv_elements_per_token_layer() * kv_elem * kept;
        let kv_rank = (free * profile.kv_fraction_of_free).max(0.0);
        let capacity = (kv_rank / (kv_bytes_per_token_rank * kept)).floor().min(1e15) as u64;
        let max_seqs = (capacity / seq).min(profile.max_num_seqs as u64) as u32;
        let gib = |b: f64| b / BYTES_PER_GIB;
        let rank_unit = if chip.is_neuron() { "NeuronCore" } else { "GPU" };
        let available = rank_bytes * profile.memory_utilization;
        let activations = activation + logits;
        let kv_needed = seq as f64 * kv_bytes_per_token_rank / profile.kv_fraction_of_free;
        let needed = weights_rank + workspace + kv_needed;
        let breakdown = || {
            format!(
                "needs {:.1} GiB per {rank_unit} but {} leaves {:.1} GiB of its {:.1} GiB (tensor_parallel {tp}): \
                 weights {:.1} GiB, KV cache for one {seq}-token sequence {:.1} GiB, activations {:.1} GiB, \
                 engine overhead {:.1} GiB",
                gib(needed),
                engine.as_str(),
                gib(available),
                gib(rank_bytes),
                gib(weights_rank),
                gib(kv_needed),
                gib(activations),
                profile.workspace_gib,
            )
        };
        let reason = if free <= 0.0 {
            Some(format!("weights and workspace leave no room for the KV cache: {}", breakdown()))
        } else if max_seqs == 0 {
            Some(format!(
                "the KV cache holds {capacity} tokens but one sequence needs {seq} (input_tokens + output_tokens): {}",
                breakdown()
            ))
        } else {
            None
        };
        let memory = MemoryFit {
            fits: reason.is_none(),
            reason,
            rank_memory_gib: gib(rank_bytes),
            engine_reserved_gib_per_rank: gib(reserved),
            weights_gib_per_rank: gib(weights_rank),
            workspace_gib_per_rank: gib(workspace),
            kv_cache_gib_per_rank: gib(kv_rank),
            kv_bytes_per_token,
            kv_cache_capacity_tokens: capacity,
            max_concurrent_sequences: max_seqs,
            rank_unit,
            available_gib_per_rank: gib(available),
            needed_gib_per_rank: gib(needed),
            activations_gib_per_rank: gib(activations),
            engine_overhead_gib_per_rank: profile.workspace_gib,
            kv_cache_needed_gib_per_rank: gib(kv_needed),
        };

        // Rates per rank.
        let peak_bw = gbps_to_bytes_per_s(chip.memory_bandwidth_gb_per_s) / cores as f64;
        let bw = peak_bw * efficiency.memory_bandwidth;
        let flops = peak_tflops * FLOP_PER_TFLOP / cores as f64 * efficiency.compute;
        // NeuronCores of one device exchange activations through the device's own memory, not over
        // NeuronLink (which joins devices).
        let link = if chip.is_neuron() && tp <= cores {
            peak_bw * comm.bandwidth_efficiency
        } else {
            gbps_to_bytes_per_s(chip.interconnect_gb_per_s) / 2.0 / cores as f64
                * if cross_socket { comm.cross_socket_bandwidth_efficiency } else { comm.bandwidth_efficiency }
        };
        Ok(Replica {
            notes,
            model: model.clone(),
            chip,
            engine,
            precision: cfg.precision,
            tensor_parallel: tp,
            devices_used,
            input_tokens: cfg.input_tokens,
            output_tokens: cfg.output_tokens,
            memory,
            efficiency,
            profile,
            weight_bw_bytes_per_s: bw * cfg.precision.kernel_bandwidth_factor(),
            kv_bw_bytes_per_s: peak_bw * efficiency.kv_bandwidth,
            flops_per_s: flops,
            link_bytes_per_s: link,
            all_reduce_latency_s: comm.all_reduce_latency_us * 1e-6,
            overhead_s: (efficiency.step_overhead_ms + if tp > 1 { efficiency.parallel_step_overhead_ms } else { 0.0 })
                * 1e-3,
            sequence_overhead_s: efficiency.sequence_overhead_us * 1e-6,
            request_overhead_s: efficiency.request_overhead_ms * 1e-3,
            kv_bytes_per_token_rank,
            attention_flops_per_token_ctx: 2.0 * model.attention_macs_per_context_token(),
            prefill_attention_flops_per_pair: 2.0 * model.prefill_attention_macs_per_pair(),
            active_params: model.active_params(),
            dense_bytes: (model.always_read_params() - model.lm_head_params()) * bpw + model.lm_head_params() * 2.0,
            expert_bytes: model.routed_expert_params() * bpw,
        })
    }

    /// Bytes of weights one forward pass over `tokens` tokens reads (whole replica); the output head
    /// stays 16-bit under quantisation.
    fn weight_bytes_read(&self, tokens: f64) -> f64 {
        self.dense_bytes + self.model.experts_touched(tokens) * self.expert_bytes
    }

    fn comm_s(&self, tokens: f64) -> f64 {
        if self.tensor_parallel <= 1 {
            return 0.0;
        }
        2.0 * self.model.layers as f64 * self.all_reduce_latency_s + self.comm_volume_s(tokens)
    }

    /// The bandwidth part of the 2 x layers ring all-reduces over `tokens` tokens' activations: what
    /// prompt tokens add to a forward pass that runs anyway (the latency part is paid once per pass).
    fn comm_volume_s(&self, tokens: f64) -> f64 {
        if self.tensor_parallel <= 1 {
            return 0.0;
        }
        let tp = self.tensor_parallel as f64;
        let bytes = tokens * self.model.hidden_size as f64 * 2.0;
        2.0 * self.model.layers as f64 * 2.0 * (tp - 1.0) / tp * bytes / self.link_bytes_per_s
    }

    /// Live context per sequence that decode reads on average: half the output on GPUs; the whole
    /// compiled sequence bucket on Neuron, where shapes are fixed ahead of time.
    pub fn decode_context_tokens(&self) -> f64 {
        if self.engine == Engine::Neuron {
            (self.input_tokens + self.output_tokens) as f64
        } else {
            self.input_tokens as f64 + self.output_tokens as f64 / 2.0
        }
    }

    /// One decode step for `batch` sequences of `context_tokens` live tokens each, seconds:
    /// max(bytes / bandwidth, FLOP / peak) + all-reduces + fixed overhead.
    pub fn decode_step_s(&self, batch: f64, context_tokens: f64) -> f64 {
        let tp = self.tensor_parallel as f64;
        let batch = batch.max(1.0);
        let weights = self.weight_bytes_read(batch) / tp;
        let attended = self.model.attended_tokens(context_tokens);
        let kv = batch * attended * self.kv_bytes_per_token_rank;
        let t_mem = weights / self.weight_bw_bytes_per_s + kv / self.kv_bw_bytes_per_s;
        let flops = (2.0 * self.active_params + self.attention_flops_per_token_ctx * attended) * batch / tp;
        let t_compute = flops / self.flops_per_s;
        t_mem.max(t_compute) + self.comm_s(batch) + self.overhead_s + batch * self.sequence_overhead_s
    }

    /// FLOP-bound time to prefill `sequences` prompts of `prompt_tokens` each, without the weight read
    /// and fixed overhead (what a prefill adds to a step that runs anyway), seconds.
    pub fn prefill_compute_s(&self, prompt_tokens: f64, sequences: f64) -> f64 {
        let tp = self.tensor_parallel as f64;
        let tokens = prompt_tokens * sequences;
        let flops = (2.0 * self.active_params * tokens
            + self.prefill_attention_flops_per_pair * self.model.prefill_attended_pairs(prompt_tokens) * sequences)
            / tp;
        flops / self.flops_per_s
    }

    /// A prefill step on its own: `sequences` prompts of `prompt_tokens` tokens, seconds.
    pub fn prefill_s(&self, prompt_tokens: f64, sequences: f64) -> f64 {
        let tp = self.tensor_parallel as f64;
        let tokens = prompt_tokens * sequences;
        let weights = self.weight_bytes_read(tokens) / tp;
        let t_mem = weights / self.weight_bw_bytes_per_s;
        self.prefill_compute_s(prompt_tokens, sequences).max(t_mem) + self.comm_s(tokens) + self.overhead_s
    }

    /// Time per engine iteration with `batch` sequences decoding under continuous batching: a decode
    /// step plus the prefills that keep the batch full (batch / output_tokens new prompts per step),
    /// each costing its FLOP and the tensor-parallel all-reduce traffic of its prompt tokens (small on
    /// NVLink, the larger part of a prefill over PCIe).
    pub fn iteration_s(&self, batch: f64) -> f64 {
        let batch = batch.max(1.0);
        let prompt = self.input_tokens as f64;
        self.decode_step_s(batch, self.decode_context_tokens())
            + batch / self.output_tokens as f64 * self.prefill_work_s(prompt)
    }

    /// What one prompt of `prompt_tokens` adds to the engine's busy time when it joins a running
    /// batch: its FLOP and its activations' all-reduce traffic, seconds.
    pub fn prefill_work_s(&self, prompt_tokens: f64) -> f64 {
        self.prefill_compute_s(prompt_tokens, 1.0) + self.comm_volume_s(prompt_tokens)
    }

    /// The lowest possible decode step for one sequence: weights at full (100 %) bandwidth; used by
    /// tests to check nothing beats the roofline.
    pub fn roofline_decode_step_s(&self) -> f64 {
        let tp = self.tensor_parallel as f64;
        let cores = self.chip.neuron_cores_per_device.max(1) as f64;
        let bw = gbps_to_bytes_per_s(self.chip.memory_bandwidth_gb_per_s) / cores;
        self.weight_bytes_read(1.0) / tp / bw
    }
}
