//! EC2 accelerated instance types (GPU, Inferentia, Trainium) with the facts Karpenter exposes.
//!
//! Source: `core/data/ec2-instances.tsv` (Karpenter's instance-type reference, see its first line).

use std::sync::OnceLock;

use super::tsv::{parse_u64, Table};

const DATA: &str = include_str!(concat!(env!("OUT_DIR"), "/ec2-instances.tsv"));

/// One EC2 instance type. Memory figures are MiB as EC2 and Karpenter report them.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceType {
    pub name: String,
    pub family: String,
    pub vcpu: u32,
    pub memory_mib: u64,
    /// Accelerator chip as Karpenter labels it (`a10g`, `h100`, `Inferentia2`, ...).
    pub accelerator_name: String,
    /// `nvidia`, `amd`, or `aws` for Neuron devices.
    pub accelerator_manufacturer: String,
    /// Whole devices (GPUs or Neuron devices). Fractional-GPU types (g6f, gr6f) have 0.
    pub accelerator_count: u32,
    /// Memory per device, MiB.
    pub accelerator_memory_mib: u64,
    /// Total NeuronCores on the instance (0 for GPU types).
    pub neuron_core_count: u32,
    pub network_bandwidth_mbps: u64,
    pub efa: bool,
    pub local_nvme_gb: u64,
    pub max_pods: u32,
    pub arch: String,
    /// Where the row came from (`karpenter-docs-preview`, `karpenter-docs-v1.12`).
    pub source: String,
}

impl InstanceType {
    pub fn is_neuron(&self) -> bool {
        self.accelerator_manufacturer == "aws"
    }

    pub fn is_nvidia(&self) -> bool {
        self.accelerator_manufacturer == "nvidia"
    }

    /// The Kubernetes extended resource a pod requests for this type's devices.
    pub fn device_resource(&self) -> &'static str {
        if self.is_neuron() {
            "aws.amazon.com/neuron"
        } else if self.accelerator_manufacturer == "amd" {
            "amd.com/gpu"
        } else {
            "nvidia.com/gpu"
        }
    }

    /// Size suffix, for display and sorting: `g5.12xlarge` → `12xlarge`.
    pub fn size(&self) -> &str {
        self.name.split_once('.').map(|(_, size)| size).unwrap_or("")
    }
}

fn parse() -> Vec<InstanceType> {
    let table = Table::parse(DATA);
    let col = |name| table.column(name);
    let (name, family, vcpu, memory) = (col("instance_type"), col("family"), col("vcpu"), col("memory_mib"));
    let (gpu_name, gpu_mfr, gpu_count, gpu_mem) =
        (col("gpu_name"), col("gpu_manufacturer"), col("gpu_count"), col("gpu_memory_mib"));
    let (nrn_name, nrn_count, nrn_cores, nrn_mem) =
        (col("neuron_name"), col("neuron_count"), col("neuron_core_count"), col("neuron_memory_mib"));
    let (net, efa, nvme, pods, arch, source) = (
        col("network_bandwidth_mbps"),
        col("efa"),
        col("local_nvme_gb"),
        col("max_pods"),
        col("arch"),
        col("spec_source"),
    );
    table
        .rows
        .iter()
        .map(|row| {
            let cell = |i| Table::cell(row, i);
            let neuron = !cell(nrn_name).is_empty();
            InstanceType {
                name: cell(name).to_string(),
                family: cell(family).to_string(),
                vcpu: parse_u64(cell(vcpu)) as u32,
                memory_mib: parse_u64(cell(memory)),
                accelerator_name: if neuron { cell(nrn_name) } else { cell(gpu_name) }.to_string(),
                accelerator_manufacturer: if neuron { "aws".to_string() } else { cell(gpu_mfr).to_string() },
                accelerator_count: parse_u64(if neuron { cell(nrn_count) } else { cell(gpu_count) }) as u32,
                accelerator_memory_mib: parse_u64(if neuron { cell(nrn_mem) } else { cell(gpu_mem) }),
                neuron_core_count: parse_u64(cell(nrn_cores)) as u32,
                network_bandwidth_mbps: parse_u64(cell(net)),
                efa: cell(efa) == "yes",
                local_nvme_gb: parse_u64(cell(nvme)),
                max_pods: parse_u64(cell(pods)) as u32,
                arch: cell(arch).to_string(),
                source: cell(source).to_string(),
            }
        })
        .collect()
}

/// Every instance type in the catalog, in the data file's order.
pub fn instance_types() -> &'static [InstanceType] {
    static TABLE: OnceLock<Vec<InstanceType>> = OnceLock::new();
    TABLE.get_or_init(parse)
}

/// Looks an instance type up by its exact EC2 name (`g5.12xlarge`), ignoring ASCII case.
pub fn instance_type(name: &str) -> Option<&'static InstanceType> {
    instance_types().iter().find(|t| t.name.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_requested_family_is_present() {
        for family in [
            "g4dn", "g5", "g5g", "g6", "g6e", "gr6", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "inf2", "trn1",
            "trn1n", "trn2",
        ] {
            assert!(instance_types().iter().any(|t| t.family == family), "family {family} missing");
        }
    }

    #[test]
    fn g5_12xlarge_has_four_a10g() {
        let t = instance_type("G5.12XLARGE").unwrap();
        assert_eq!((t.accelerator_name.as_str(), t.accelerator_count, t.vcpu), ("a10g", 4, 48));
        assert_eq!(t.accelerator_memory_mib, 22888);
        assert_eq!(t.device_resource(), "nvidia.com/gpu");
    }

    #[test]
    fn inf2_counts_devices_and_cores() {
        let t = instance_type("inf2.48xlarge").unwrap();
        assert_eq!((t.accelerator_count, t.neuron_core_count), (12, 24));
        assert_eq!(t.device_resource(), "aws.amazon.com/neuron");
    }
}
