//! Efficiency factors and engine limits: the only fitted numbers in the performance model.
//!
//! The formula is the same for every chip and engine (see `timing.rs`); what differs is how much of
//! the hardware roofline an engine reaches on a chip family. Each factor is a fraction in (0, 1] of a
//! vendor peak (an efficiency above 1 would be a bug), fitted per **(chip family, engine)** group, never
//! per measurement, by `tests/integration/calibration.rs` (coordinate descent on the median absolute
//! log error of every row of the group; see docs/perf.md). Groups without measurements borrow the
//! factors of the closest measured group, as `lookup` documents.

use super::config::Engine;
use crate::catalog::Interconnect;

/// How close an engine gets to a chip's roofline, and its fixed cost per forward pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Efficiency {
    /// Achieved share of peak memory bandwidth while streaming weights and KV cache (0, 1].
    pub memory_bandwidth: f64,
    /// Achieved share of peak memory bandwidth while attention reads the KV cache (0, 1]: paged or
    /// bucketed KV gathers run below the weight-streaming rate.
    pub kv_bandwidth: f64,
    /// Achieved share of peak dense matmul rate (model FLOP utilisation) (0, 1].
    pub compute: f64,
    /// Fixed time per forward pass (kernel launches, scheduling), ms.
    pub step_overhead_ms: f64,
    /// Extra fixed time per forward pass when the replica spans several ranks (multi-process
    /// synchronisation of the tensor-parallel workers), ms.
    pub parallel_step_overhead_ms: f64,
    /// Host time per running sequence per forward pass (sampling, detokenisation, scheduler
    /// bookkeeping), microseconds. It is what caps very large batches.
    pub sequence_overhead_us: f64,
    /// Fixed latency per request before its first token (tokenisation, admission, HTTP front end), ms.
    pub request_overhead_ms: f64,
}

/// One fitted group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FittedGroup {
    pub arch_family: &'static str,
    pub engine: Engine,
    pub efficiency: Efficiency,
    /// Calibration rows the group was fitted on.
    pub rows: u32,
}

/// One table row: family, engine, weight bandwidth share, KV bandwidth share, compute share, step overhead ms, extra step overhead
/// ms when tensor-parallel, per-sequence
/// overhead µs, per-request overhead ms, rows fitted on.
#[allow(clippy::too_many_arguments)]
pub const fn group(
    arch_family: &'static str,
    engine: Engine,
    memory_bandwidth: f64,
    kv_bandwidth: f64,
    compute: f64,
    step_overhead_ms: f64,
    parallel_step_overhead_ms: f64,
    sequence_overhead_us: f64,
    request_overhead_ms: f64,
    rows: u32,
) -> FittedGroup {
    FittedGroup {
        arch_family,
        engine,
        efficiency: Efficiency {
            memory_bandwidth,
            kv_bandwidth,
            compute,
            step_overhead_ms,
            parallel_step_overhead_ms,
            sequence_overhead_us,
            request_overhead_ms,
        },
        rows,
    }
}

/// Fitted factors, from `make accuracy` on 2026-11-27 against tests/data/calibration/measurements.tsv.
/// Regenerate after changing the model: the report prints this table. Column order is that of `group`.
pub const FITTED: &[FittedGroup] = &[
    group("ada", Engine::TensorrtLlm, 0.88, 0.64, 0.60, 0.75, 4.00, 5.0, 5.0, 55),
    group("ampere-ga100", Engine::Tgi, 0.76, 0.62, 0.28, 20.00, 0.75, 5.0, 10.0, 36),
    group("ampere-ga100", Engine::TensorrtLlm, 0.86, 0.74, 0.72, 1.00, 8.00, 20.0, 7.5, 67),
    group("ampere-ga102", Engine::Tgi, 0.90, 0.44, 0.38, 1.50, 1.50, 5.0, 10.0, 72),
    group("hopper", Engine::TensorrtLlm, 0.90, 0.80, 0.56, 1.50, 5.00, 10.0, 10.0, 200),
    group("neuron-v2", Engine::Neuron, 0.52, 0.52, 0.50, 2.50, 1.00, 5.0, 20.0, 108),
    group("turing", Engine::Transformers, 0.56, 0.62, 0.10, 2.00, 1.00, 5.0, 50.0, 11),
];

/// Factors for engines and families with no measurements (set a priori; documented in docs/perf.md).
pub const PRIOR: Efficiency = Efficiency {
    memory_bandwidth: 0.70,
    kv_bandwidth: 0.50,
    compute: 0.45,
    step_overhead_ms: 3.0,
    parallel_step_overhead_ms: 1.0,
    sequence_overhead_us: 5.0,
    request_overhead_ms: 5.0,
};

/// The engine whose measurements stand in for an unmeasured engine: NIM runs TensorRT-LLM.
pub fn proxy_engine(engine: Engine) -> Engine {
    match engine {
        Engine::Nim => Engine::TensorrtLlm,
        other => other,
    }
}

/// Looks the factors up in `table`, in this order:
/// 1. the exact (family, engine) group, or (family, proxy engine) for NIM;
/// 2. the same chip family under another serving engine (TensorRT-LLM first, then TGI, then Neuron):
///    bandwidth and MFU are mostly properties of the chip, and the engines differ by less than chips do;
/// 3. the median of the engine's groups on other families;
/// 4. the median of every serving-engine group, else `PRIOR`.
///
/// `transformers` (no serving engine) is only ever used for itself.
pub fn lookup(table: &[FittedGroup], arch_family: &str, engine: Engine) -> Efficiency {
    let proxy = proxy_engine(engine);
    let find = |f: &str, e: Engine| table.iter().find(|g| g.arch_family == f && g.engine == e).map(|g| g.efficiency);
    if let Some(e) = find(arch_family, engine).or_else(|| find(arch_family, proxy)) {
        return e;
    }
    let serving = |e: Engine| e != Engine::Transformers;
    if serving(engine) {
        for other in [Engine::TensorrtLlm, Engine::Tgi, Engine::Vllm, Engine::Sglang, Engine::Neuron] {
            if let Some(e) = find(arch_family, other) {
                return e;
            }
        }
    }
    let same: Vec<Efficiency> =
        table.iter().filter(|g| g.engine == engine || g.engine == proxy).map(|g| g.efficiency).collect();
    if !same.is_empty() {
        return median_efficiency(&same);
    }
    let all: Vec<Efficiency> =
        table.iter().filter(|g| serving(g.engine) == serving(engine)).map(|g| g.efficiency).collect();
    if !all.is_empty() {
        return median_efficiency(&all);
    }
    PRIOR
}

fn median_efficiency(list: &[Efficiency]) -> Efficiency {
    let med = |f: fn(&Efficiency) -> f64| {
        let mut v: Vec<f64> = list.iter().map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    Efficiency {
        memory_bandwidth: med(|e| e.memory_bandwidth),
        kv_bandwidth: med(|e| e.kv_bandwidth),
        compute: med(|e| e.compute),
        step_overhead_ms: med(|e| e.step_overhead_ms),
        parallel_step_overhead_ms: med(|e| e.parallel_step_overhead_ms),
        sequence_overhead_us: med(|e| e.sequence_overhead_us),
        request_overhead_ms: med(|e| e.request_overhead_ms),
    }
}

/// Memory an engine claims and how many sequences it runs at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineProfile {
    /// Share of device memory the engine may use (vLLM `--gpu-memory-utilization` 0.9).
    pub memory_utilization: f64,
    /// Share of what is left after weights and workspace that becomes KV cache (TensorRT-LLM
    /// `kv_cache_free_gpu_mem_fraction` 0.9; 1 for engines sized by `memory_utilization`).
    pub kv_fraction_of_free: f64,
    /// Fixed workspace per device (CUDA context, graphs, NCCL buffers, Neuron runtime), GiB.
    pub workspace_gib: f64,
    /// Tokens one forward pass may hold; activation workspace is sized for it.
    pub max_batched_tokens: u32,
    /// Cap on running sequences (`--max-num-seqs`, TGI max concurrent requests, TRT-LLM max batch).
    pub max_num_seqs: u32,
}

/// The documented defaults of each engine.
pub fn engine_profile(engine: Engine) -> EngineProfile {
    let p = |memory_utilization, kv_fraction_of_free, workspace_gib, max_batched_tokens, max_num_seqs| EngineProfile {
        memory_utilization,
        kv_fraction_of_free,
        workspace_gib,
        max_batched_tokens,
        max_num_seqs,
    };
    match engine {
        // vLLM: --gpu-memory-utilization 0.9, --max-num-seqs 256, max_num_batched_tokens 8192 (chunked).
        Engine::Vllm => p(0.90, 1.0, 1.0, 8192, 256),
        // TGI: --cuda-memory-fraction 1.0 with its own 0.9-ish KV sizing; --max-concurrent-requests 128.
        Engine::Tgi => p(0.90, 1.0, 1.0, 4096, 128),
        // TensorRT-LLM: KV = 0.9 of free memory after weights; trtllm-bench max batch up to 4096.
        Engine::TensorrtLlm | Engine::Nim => p(1.0, 0.90, 1.0, 8192, 4096),
        // SGLang: --mem-fraction-static about 0.88; large running batches.
        Engine::Sglang => p(0.88, 1.0, 1.0, 8192, 1024),
        // Neuron: per-NeuronCore workspace; compiled batch sizes are small (transformers-neuronx).
        Engine::Neuron => p(1.0, 0.90, 0.5, 4096, 64),
        Engine::Transformers => p(1.0, 0.90, 1.0, 4096, 32),
    }
}

/// Tensor-parallel all-reduce cost on an interconnect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommProfile {
    /// Fixed latency of one all-reduce, microseconds.
    pub all_reduce_latency_us: f64,
    /// Share of the per-direction link bandwidth an all-reduce achieves.
    pub bandwidth_efficiency: f64,
    /// GPUs one CPU socket hosts (0 = no such limit): a ring over more ranks crosses the sockets.
    pub ranks_per_socket: u32,
    /// Share of the per-direction link bandwidth an all-reduce achieves when it crosses sockets.
    pub cross_socket_bandwidth_efficiency: f64,
}

/// All-reduce costs. NVLink/NVSwitch small-message NCCL all-reduce latency is about 10 µs; NeuronLink
/// collectives are comparable. PCIe between A10G/L4/L40S GPUs on g5/g6/g6e has no NVLink and goes
/// through host bridges: the latency is set so that TP4 on a g5.12xlarge decodes about 1.8x faster than
/// one A10G, the published figure quoted in shared/design/DOMAIN.md. PCIe bandwidth matters for
/// prefill (every prompt token's activations are all-reduced twice per layer): 0.45 of the per-direction
/// link (about 14 GB/s on PCIe Gen4 x16) among the four GPUs of one CPU socket, and 0.08 (about 2.6 GB/s)
/// once the ring crosses the two sockets of an 8-GPU PCIe instance (g5.48xlarge, g6.48xlarge,
/// g6e.48xlarge: no peer-to-peer path between the sockets' root complexes, so NCCL stages through host
/// memory). Both are global constants chosen against the calibration's only multi-GPU PCIe rows
/// (S08 TGI on g5.12xlarge/g5.48xlarge, S03 TensorRT-LLM on 4 and 8 L40S), never per group or row.
pub fn comm_profile(interconnect: Interconnect) -> CommProfile {
    match interconnect {
        Interconnect::Nvlink => CommProfile {
            all_reduce_latency_us: 10.0,
            bandwidth_efficiency: 0.8,
            ranks_per_socket: 0,
            cross_socket_bandwidth_efficiency: 0.8,
        },
        Interconnect::Neuronlink => CommProfile {
            all_reduce_latency_us: 15.0,
            bandwidth_efficiency: 0.7,
            ranks_per_socket: 0,
            cross_socket_bandwidth_efficiency: 0.7,
        },
        Interconnect::Pcie => CommProfile {
            all_reduce_latency_us: 90.0,
            bandwidth_efficiency: 0.45,
            ranks_per_socket: 4,
            cross_socket_bandwidth_efficiency: 0.08,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_are_physical() {
        for g in FITTED {
            let e = g.efficiency;
            assert!(e.memory_bandwidth > 0.0 && e.memory_bandwidth <= 1.0, "{g:?}");
            assert!(e.kv_bandwidth > 0.0 && e.kv_bandwidth <= 1.0, "{g:?}");
            assert!(e.compute > 0.0 && e.compute <= 1.0, "{g:?}");
            assert!(
                e.step_overhead_ms >= 0.0
                    && e.parallel_step_overhead_ms >= 0.0
                    && e.sequence_overhead_us >= 0.0
                    && e.request_overhead_ms >= 0.0
            );
        }
    }

    #[test]
    fn lookup_falls_back() {
        let exact = lookup(FITTED, "hopper", Engine::TensorrtLlm);
        assert_eq!(lookup(FITTED, "hopper", Engine::Nim), exact);
        let none = lookup(&[], "hopper", Engine::Vllm);
        assert_eq!(none, PRIOR);
    }
}
