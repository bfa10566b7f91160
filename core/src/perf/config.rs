//! The choices a deployment makes that the performance model reads: precision, engine, load.

use serde::{Deserialize, Serialize};

use crate::catalog::{Accelerator, ModelSpec};

/// Numeric precision of weights and matmuls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Fp16,
    Bf16,
    /// FP8 weights and activations, with an FP8 KV cache (Ada, Hopper, Blackwell; cFP8 on Neuron).
    Fp8,
    /// INT8 weight-only quantisation; matmuls at the FP16 rate.
    Int8,
    /// INT4 weight-only quantisation (AWQ, GPTQ); matmuls at the FP16 rate plus dequantisation.
    Int4,
    /// OCP microscaling FP4 (E2M1 with one 8-bit scale per 32 weights; gpt-oss's checkpoints): native
    /// FP4 matmuls on Blackwell, weight-only (BF16 matmuls) on Ampere, Ada and Hopper.
    Mxfp4,
    /// NVIDIA FP4 (E2M1 with one FP8 scale per 16 weights; ModelOpt checkpoints): native on
    /// Blackwell, weight-only elsewhere.
    Nvfp4,
}

impl Precision {
    pub const ALL: [Precision; 7] = [
        Precision::Fp16,
        Precision::Bf16,
        Precision::Fp8,
        Precision::Int8,
        Precision::Int4,
        Precision::Mxfp4,
        Precision::Nvfp4,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Fp16 => "fp16",
            Precision::Bf16 => "bf16",
            Precision::Fp8 => "fp8",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
            Precision::Mxfp4 => "mxfp4",
            Precision::Nvfp4 => "nvfp4",
        }
    }

    pub fn parse(value: &str) -> Option<Precision> {
        Precision::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(value.trim()))
    }

    /// Bytes per stored weight. INT4 carries one FP16 scale and zero point per group of 128 weights;
    /// MXFP4 one 8-bit scale per 32, NVFP4 one FP8 scale per 16.
    pub fn bytes_per_weight(self) -> f64 {
        match self {
            Precision::Fp16 | Precision::Bf16 => 2.0,
            Precision::Fp8 | Precision::Int8 => 1.0,
            Precision::Int4 => 0.5 + 4.0 / 128.0,
            Precision::Mxfp4 => 0.5 + 1.0 / 32.0,
            Precision::Nvfp4 => 0.5 + 1.0 / 16.0,
        }
    }

    /// Bytes per KV-cache element: FP8 deployments keep an FP8 cache; the others FP16.
    pub fn kv_bytes_per_element(self) -> f64 {
        match self {
            Precision::Fp8 => 1.0,
            _ => 2.0,
        }
    }

    /// Share of memory bandwidth the weight-streaming kernels keep after dequantisation work. Set a
    /// priori, not fitted: weight-only INT4 GEMV kernels (AWQ/GPTQ) spend ALU time unpacking, INT8 less;
    /// FP4 kernels unpack and scale like INT4 (no FP4 decode measurement to fit them on yet).
    pub fn kernel_bandwidth_factor(self) -> f64 {
        match self {
            Precision::Int4 | Precision::Mxfp4 | Precision::Nvfp4 => 0.8,
            Precision::Int8 => 0.9,
            _ => 1.0,
        }
    }

    /// Dense matmul rate on `chip` in this precision (TFLOPS), or why the chip cannot run it.
    pub fn peak_tflops(self, chip: &Accelerator) -> Result<f64, UnsupportedPrecision> {
        let unsupported = || UnsupportedPrecision { chip: chip.id.clone(), precision: self };
        match self {
            Precision::Fp16 => Ok(chip.fp16_tflops),
            Precision::Bf16 if chip.supports_bf16 => Ok(chip.fp16_tflops),
            Precision::Bf16 => Err(unsupported()),
            Precision::Fp8 => chip.fp8_tflops.ok_or_else(unsupported),
            Precision::Int8 => Ok(chip.fp16_tflops),
            Precision::Int4 if chip.supports_int4 => Ok(chip.fp16_tflops),
            Precision::Int4 => Err(unsupported()),
            Precision::Mxfp4 | Precision::Nvfp4 => match chip.fp4_tflops {
                Some(native) => Ok(native),
                // Weight-only FP4 (Marlin, Triton) needs Ampere or newer: BF16 matmuls.
                None if chip.supports_int4 && chip.supports_bf16 => Ok(chip.fp16_tflops),
                None => Err(unsupported()),
            },
        }
    }

    /// Runs natively in FP4 on `chip` (Blackwell) rather than as weight-only dequantisation.
    pub fn native_fp4(self, chip: &Accelerator) -> bool {
        matches!(self, Precision::Mxfp4 | Precision::Nvfp4) && chip.fp4_tflops.is_some()
    }
}

/// The precision an estimate uses when the request names none: the published checkpoint's (MXFP4 for
/// gpt-oss, FP8 for DeepSeek-V3/R1, BF16 for most), or, where `chip` cannot run that, BF16 and then
/// FP16 (what engines fall back to). With the sentence the answer carries to say so.
pub fn checkpoint_precision(model: &ModelSpec, chip: &Accelerator) -> (Precision, String) {
    let published = Precision::parse(&model.checkpoint_precision).unwrap_or(Precision::Bf16);
    if published.peak_tflops(chip).is_ok() {
        let how = if matches!(published, Precision::Mxfp4 | Precision::Nvfp4) && !published.native_fp4(chip) {
            ", weight-only with BF16 matmuls"
        } else {
            ""
        };
        return (
            published,
            format!(
                "precision {} (the published checkpoint's{how}); give precision to choose another",
                published.as_str()
            ),
        );
    }
    let fallback = if Precision::Bf16.peak_tflops(chip).is_ok() { Precision::Bf16 } else { Precision::Fp16 };
    let growth = published.bytes_per_weight();
    let note = format!(
        "precision {}: the published checkpoint is {}, which {} cannot run ({}), so its weights take {:.1}x the memory",
        fallback.as_str(),
        published.as_str(),
        chip.id,
        UnsupportedPrecision { chip: chip.id.clone(), precision: published },
        fallback.bytes_per_weight() / growth
    );
    (fallback, note)
}

/// A chip that cannot run a precision ([`Precision::peak_tflops`]): BF16 without BF16 support, FP8
/// without FP8 units, INT4 without INT4 kernels in its serving stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedPrecision {
    /// The chip's catalog id.
    pub chip: String,
    pub precision: Precision,
}

impl std::fmt::Display for UnsupportedPrecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let chip = &self.chip;
        match self.precision {
            Precision::Bf16 => write!(f, "{chip} has no BF16 support (use fp16)"),
            Precision::Fp8 => write!(f, "{chip} has no FP8 support"),
            Precision::Int4 => write!(f, "{chip} has no INT4 kernels in its serving stack"),
            Precision::Mxfp4 | Precision::Nvfp4 => write!(
                f,
                "{chip} has no FP4 kernels in its serving stack ({} needs Ampere or newer: weight-only there, native on Blackwell)",
                self.precision.as_str()
            ),
            // FP16 and INT8 run on every chip; named for completeness.
            other => write!(f, "{chip} has no {other:?} support"),
        }
    }
}

impl std::error::Error for UnsupportedPrecision {}

/// Serving engine. Engines share one formula and differ by efficiency factors and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Engine {
    #[serde(rename = "vllm")]
    Vllm,
    #[serde(rename = "tgi")]
    Tgi,
    #[serde(rename = "tensorrt-llm")]
    TensorrtLlm,
    #[serde(rename = "sglang")]
    Sglang,
    #[serde(rename = "nim")]
    Nim,
    /// AWS Neuron (transformers-neuronx, NxD Inference, vLLM on Neuron).
    #[serde(rename = "neuron")]
    Neuron,
    /// Plain Hugging Face transformers (or AutoAWQ on top of it): no serving engine.
    #[serde(rename = "transformers")]
    Transformers,
}

impl Engine {
    pub const ALL: [Engine; 7] = [
        Engine::Vllm,
        Engine::Tgi,
        Engine::TensorrtLlm,
        Engine::Sglang,
        Engine::Nim,
        Engine::Neuron,
        Engine::Transformers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Vllm => "vllm",
            Engine::Tgi => "tgi",
            Engine::TensorrtLlm => "tensorrt-llm",
            Engine::Sglang => "sglang",
            Engine::Nim => "nim",
            Engine::Neuron => "neuron",
            Engine::Transformers => "transformers",
        }
    }

    /// Parses an engine name (`vllm`, `tgi`, `tensorrt-llm`/`trt-llm`/`trtllm`, `sglang`, `nim`,
    /// `neuron`, `transformers`), ignoring case.
    pub fn parse(value: &str) -> Option<Engine> {
        let v = value.trim().to_ascii_lowercase();
        match v.as_str() {
            "trt-llm" | "trtllm" | "tensorrt_llm" | "tensorrtllm" => Some(Engine::TensorrtLlm),
            "hf" | "huggingface" => Some(Engine::Transformers),
            "transformers-neuronx" | "nxd" | "vllm-neuron" | "tgi-neuron" => Some(Engine::Neuron),
            _ => Engine::ALL.into_iter().find(|e| e.as_str() == v),
        }
    }

    /// The engine used when none is given: `neuron` on Neuron chips, `vllm` elsewhere.
    pub fn default_for(chip: &Accelerator) -> Engine {
        if chip.is_neuron() {
            Engine::Neuron
        } else {
            Engine::Vllm
        }
    }

    /// Whether the engine runs on this chip.
    pub fn runs_on(self, chip: &Accelerator) -> bool {
        match self {
            Engine::Neuron => chip.is_neuron(),
            Engine::Transformers => true,
            // vLLM has a Neuron backend; treated as the `neuron` engine there.
            Engine::Vllm => true,
            _ => !chip.is_neuron(),
        }
    }
}

/// The load a replica serves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Load {
    /// One static batch of `n` equal requests started together.
    BatchSize(u32),
    /// A closed loop of `n` clients, each sending its next request when the last one ends.
    Concurrency(u32),
    /// Open-loop Poisson arrivals at this many requests per second.
    RequestRate(f64),
    /// Offline maximum throughput: the queue never runs dry.
    Offline,
}
