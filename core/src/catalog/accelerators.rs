//! Accelerator chips: memory, bandwidth, dense compute per precision, interconnect.
//!
//! Source: `core/data/accelerators.tsv` (its header names the source of every row and the gaps filled
//! from vendor figures). Chip ids are the ones the CLI contract uses: `t4`, `a10g`, `l4`, `l40s`, `v100`,
//! `a100-40gb`, `a100-80gb`, `h100`, `h200`, `inferentia2`, `trainium1`, `trainium2` (and a few more).

use std::sync::OnceLock;

use super::tsv::{parse_f64, parse_u64, Table};
use super::InstanceType;

const DATA: &str = include_str!(concat!(env!("OUT_DIR"), "/accelerators.tsv"));

/// How devices of one instance talk to each other for tensor parallelism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interconnect {
    /// PCIe through the host (g4dn, g5, g6, g6e): slow, high-latency all-reduce.
    Pcie,
    /// NVLink/NVSwitch (p3, p4d, p4de, p5, p5e, p5en, p6).
    Nvlink,
    /// NeuronLink between Neuron devices (inf2, trn1, trn2); NeuronCores on one device share it too.
    Neuronlink,
}

impl Interconnect {
    pub fn as_str(self) -> &'static str {
        match self {
            Interconnect::Pcie => "pcie",
            Interconnect::Nvlink => "nvlink",
            Interconnect::Neuronlink => "neuronlink",
        }
    }
}

/// One accelerator chip. Rates are dense (no sparsity); memory is per device.
#[derive(Debug, Clone, PartialEq)]
pub struct Accelerator {
    /// Contract id (`a10g`, `h100`, `inferentia2`, ...).
    pub id: String,
    pub name: String,
    /// Karpenter's `instance-gpu-name` / `instance-accelerator-name` values this chip appears as.
    pub karpenter_names: Vec<String>,
    /// Architecture family (`turing`, `volta`, `ampere`, `ada`, `hopper`, `blackwell`, `neuron-v1`,
    /// `neuron-v2`, `neuron-v3`); efficiency factors are fitted per family and engine.
    pub arch_family: String,
    pub memory_gib: f64,
    /// Memory per device as EC2 reports it (what an engine can actually allocate from).
    pub usable_memory_mib: u64,
    pub memory_bandwidth_gb_per_s: f64,
    pub fp16_tflops: f64,
    pub supports_bf16: bool,
    /// Dense FP8 rate; `None` when the chip has no FP8.
    pub fp8_tflops: Option<f64>,
    pub int8_tops: Option<f64>,
    pub supports_int4: bool,
    /// Dense native FP4 rate (MXFP4, NVFP4); `None` before Blackwell.
    pub fp4_tflops: Option<f64>,
    pub interconnect: Interconnect,
    /// Vendor total (bidirectional) interconnect bandwidth per device, GB/s.
    pub interconnect_gb_per_s: f64,
    /// NeuronCores per device (0 for GPUs).
    pub neuron_cores_per_device: u32,
    pub source: String,
}

impl Accelerator {
    pub fn is_neuron(&self) -> bool {
        self.neuron_cores_per_device > 0
    }
}

fn parse() -> Vec<Accelerator> {
    let table = Table::parse(DATA);
    let c = |name| table.column(name);
    let cols = [
        c("id"),
        c("name"),
        c("karpenter_names"),
        c("arch_family"),
        c("memory_gib"),
        c("usable_memory_mib"),
        c("memory_bandwidth_gbps"),
        c("fp16_tflops"),
        c("bf16"),
        c("fp8_tflops"),
        c("int8_tops"),
        c("int4"),
        c("interconnect"),
        c("interconnect_gbps"),
        c("neuron_cores_per_device"),
        c("source"),
        c("fp4_tflops"),
    ];
    table
        .rows
        .iter()
        .map(|row| {
            let cell = |i: usize| Table::cell(row, cols[i]);
            Accelerator {
                id: cell(0).to_string(),
                name: cell(1).to_string(),
                karpenter_names: cell(2).split(';').map(|s| s.trim().to_string()).collect(),
                arch_family: cell(3).to_string(),
                memory_gib: parse_f64(cell(4)).unwrap_or(0.0),
                usable_memory_mib: parse_u64(cell(5)),
                memory_bandwidth_gb_per_s: parse_f64(cell(6)).unwrap_or(0.0),
                fp16_tflops: parse_f64(cell(7)).unwrap_or(0.0),
                supports_bf16: cell(8) == "yes",
                fp8_tflops: parse_f64(cell(9)),
                int8_tops: parse_f64(cell(10)),
                supports_int4: cell(11) == "yes",
                interconnect: match cell(12) {
                    "nvlink" => Interconnect::Nvlink,
                    "neuronlink" => Interconnect::Neuronlink,
                    _ => Interconnect::Pcie,
                },
                interconnect_gb_per_s: parse_f64(cell(13)).unwrap_or(0.0),
                neuron_cores_per_device: parse_u64(cell(14)) as u32,
                source: cell(15).to_string(),
                fp4_tflops: parse_f64(cell(16)),
            }
        })
        .collect()
}

/// Every chip in the catalog, in the data file's order.
pub fn accelerators() -> &'static [Accelerator] {
    static TABLE: OnceLock<Vec<Accelerator>> = OnceLock::new();
    TABLE.get_or_init(parse)
}

/// The chip ids of the `tokenfleet estimate` contract (`accelerator` field), in catalog order.
pub const CONTRACT_CHIP_IDS: [&str; 12] = [
    "t4",
    "a10g",
    "l4",
    "l40s",
    "v100",
    "a100-40gb",
    "a100-80gb",
    "h100",
    "h200",
    "inferentia2",
    "trainium1",
    "trainium2",
];

/// Looks a chip up by its contract id, ignoring ASCII case (`H100`, `a100-80gb`). A few common spellings
/// are accepted too: `a100` (the 80 GB part), `trainium` (Trainium1), `inf2`, `trn1`, `trn2`. The
/// partitions of `catalog::mig` resolve too (`a100-80gb-mig-1g.10gb`, `l4-quarter`).
pub fn accelerator(id: &str) -> Option<&'static Accelerator> {
    if let Some(a) = accelerators().iter().find(|a| a.id == id) {
        return Some(a);
    }
    let id = id.trim().to_ascii_lowercase();
    let id = match id.as_str() {
        "a100" => "a100-80gb",
        "trainium" | "trn1" => "trainium1",
        "trn2" => "trainium2",
        "inf2" => "inferentia2",
        "inf1" => "inferentia",
        "v100-16gb" => "v100",
        other => other,
    };
    accelerators().iter().find(|a| a.id == id).or_else(|| super::mig::derived_device(id))
}

/// The chip an instance type carries, told apart by memory where Karpenter uses one name for two
/// parts (`a100` on p4d is 40 GB, on p4de 80 GB; `v100` on p3 is 16 GB, on p3dn 32 GB). The
/// fractional-GPU types (g6f, gr6f) carry their share of an L4 (`catalog::mig::fractional_of`). `None`
/// for chips without performance data (AMD Radeon, RTX PRO).
pub fn accelerator_of(instance: &InstanceType) -> Option<&'static Accelerator> {
    if instance.accelerator_count == 0 {
        return super::mig::fractional_of(instance);
    }
    accelerators()
        .iter()
        .filter(|a| a.karpenter_names.iter().any(|n| n.eq_ignore_ascii_case(&instance.accelerator_name)))
        .min_by_key(|a| a.usable_memory_mib.abs_diff(instance.accelerator_memory_mib))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::instance_type;

    #[test]
    fn contract_ids_resolve() {
        for id in CONTRACT_CHIP_IDS {
            let a = accelerator(id).unwrap_or_else(|| panic!("{id}"));
            assert!(a.memory_bandwidth_gb_per_s > 0.0 && a.fp16_tflops > 0.0, "{id}");
            assert!(!a.source.is_empty(), "{id}");
        }
        assert_eq!(accelerator("H100").unwrap().id, "h100");
    }

    #[test]
    fn instances_map_to_chips() {
        let pick = |name: &str| accelerator_of(instance_type(name).unwrap()).map(|a| a.id.as_str());
        assert_eq!(pick("p4d.24xlarge"), Some("a100-40gb"));
        assert_eq!(pick("p4de.24xlarge"), Some("a100-80gb"));
        assert_eq!(pick("p3dn.24xlarge"), Some("v100-32gb"));
        assert_eq!(pick("g5.12xlarge"), Some("a10g"));
        assert_eq!(pick("inf2.48xlarge"), Some("inferentia2"));
        assert_eq!(pick("trn1n.32xlarge"), Some("trainium1"));
        assert_eq!(pick("g5g.xlarge"), Some("t4"));
        assert_eq!(pick("g6f.large"), Some("l4-eighth"));
    }
}
