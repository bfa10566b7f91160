//! Partitions of a GPU as devices of their own: NVIDIA Multi-Instance GPU (MIG) profiles of the A100,
//! H100 and H200, and the fractional L4 of the g6f instance types.
//!
//! A partition is derived from its parent chip's row (`accelerators.tsv`), never typed in twice:
//! compute (every precision's rate) is the parent's × compute slices / 7, memory bandwidth the
//! parent's × memory slices / 8, and memory per device the parent's usable memory × memory slices / 8
//! (what EC2 reports for the whole GPU, shared out; `nvidia-smi` shows a little less per slice, for
//! example 9.5 GiB for a 1g.10gb, which the engine's memory utilisation mostly absorbs). A partition
//! is one device: tensor parallelism never spans MIG slices, so a replica is one slice.
//!
//! Profiles, their memory and compute fractions and how many fit on one GPU: NVIDIA's MIG User Guide,
//! "Supported MIG Profiles" (docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html:
//! the A100-SXM4-40GB table, and "for A100-SXM4-80GB, the profile names will change according to the
//! memory proportion"; the H100 80GB and H200 141GB tables). The media-extension variants (`+me`) are
//! left out: they add video decoders, not inference capacity.
//!
//! g6f (fractional L4): AWS sells 1/8, 1/4 and 1/2 of an L4 per instance (g6f.large and .xlarge,
//! .2xlarge, .4xlarge). The instance row gives the partition's memory (2861, 5722, 11444 MiB of the
//! L4's 22888); compute and bandwidth are assumed to be the same share (AWS partitions the GPU by time
//! and memory; it publishes no per-partition rates).

use std::sync::OnceLock;

use super::{accelerator, Accelerator, InstanceType};

/// One MIG profile of one parent chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigProfile {
    /// The parent chip's contract id (`a100-80gb`).
    pub parent: &'static str,
    /// NVIDIA's profile name (`1g.10gb`), as in `nvidia.com/mig-1g.10gb`.
    pub name: &'static str,
    /// Compute slices (the `g` count) of the GPU's 7.
    pub compute_slices: u32,
    /// Memory slices of the GPU's 8.
    pub memory_slices: u32,
    /// How many instances of this profile one GPU holds when it is partitioned all alike
    /// (`all-1g.10gb`).
    pub per_gpu: u32,
    /// The Kubernetes extended resource a pod requests for one slice under the GPU operator's `mixed`
    /// strategy: `nvidia.com/mig-1g.10gb`.
    pub resource: &'static str,
    /// The GPU operator's MIG-manager configuration that partitions every GPU into this profile (the
    /// value of the node label `nvidia.com/mig.config`, from its default `default-mig-parted-config`):
    /// `all-1g.10gb`.
    pub config_label: &'static str,
}

macro_rules! p {
    ($parent:literal, $name:literal, $compute:literal, $memory:literal, $per_gpu:literal) => {
        MigProfile {
            parent: $parent,
            name: $name,
            compute_slices: $compute,
            memory_slices: $memory,
            per_gpu: $per_gpu,
            resource: concat!("nvidia.com/mig-", $name),
            config_label: concat!("all-", $name),
        }
    };
}

/// Every MIG profile Tokenfleet knows, by parent (see the module comment for the source).
pub const MIG_PROFILES: &[MigProfile] = &[
    p!("a100-40gb", "1g.5gb", 1, 1, 7),
    p!("a100-40gb", "1g.10gb", 1, 2, 4),
    p!("a100-40gb", "2g.10gb", 2, 2, 3),
    p!("a100-40gb", "3g.20gb", 3, 4, 2),
    p!("a100-40gb", "4g.20gb", 4, 4, 1),
    p!("a100-40gb", "7g.40gb", 7, 8, 1),
    p!("a100-80gb", "1g.10gb", 1, 1, 7),
    p!("a100-80gb", "1g.20gb", 1, 2, 4),
    p!("a100-80gb", "2g.20gb", 2, 2, 3),
    p!("a100-80gb", "3g.40gb", 3, 4, 2),
    p!("a100-80gb", "4g.40gb", 4, 4, 1),
    p!("a100-80gb", "7g.80gb", 7, 8, 1),
    p!("h100", "1g.10gb", 1, 1, 7),
    p!("h100", "1g.20gb", 1, 2, 4),
    p!("h100", "2g.20gb", 2, 2, 3),
    p!("h100", "3g.40gb", 3, 4, 2),
    p!("h100", "4g.40gb", 4, 4, 1),
    p!("h100", "7g.80gb", 7, 8, 1),
    p!("h200", "1g.18gb", 1, 1, 7),
    p!("h200", "1g.35gb", 1, 2, 4),
    p!("h200", "2g.35gb", 2, 2, 3),
    p!("h200", "3g.71gb", 3, 4, 2),
    p!("h200", "4g.71gb", 4, 4, 1),
    p!("h200", "7g.141gb", 7, 8, 1),
];

impl MigProfile {
    /// The derived device's id (`a100-80gb-mig-1g.10gb`), which `catalog::accelerator` resolves.
    pub fn device_id(&self) -> String {
        format!("{}-mig-{}", self.parent, self.name)
    }

    /// The slice as a device of its own.
    pub fn device(&self) -> &'static Accelerator {
        let index = MIG_PROFILES.iter().position(|m| m == self).expect("a profile of the table");
        &mig_devices()[index]
    }
}

/// The profiles of a parent chip (`a100-80gb`, `h100`, `h200`, `a100-40gb`); empty for chips without MIG.
pub fn mig_profiles_of(parent: &str) -> impl Iterator<Item = &'static MigProfile> + '_ {
    MIG_PROFILES.iter().filter(move |m| m.parent == parent)
}

/// A profile by parent chip id and profile name (`1g.10gb`, also `mig-1g.10gb` and
/// `nvidia.com/mig-1g.10gb`), ignoring ASCII case.
pub fn mig_profile(parent: &str, name: &str) -> Option<&'static MigProfile> {
    let parent = accelerator(parent)?;
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_prefix("nvidia.com/").unwrap_or(&name);
    let name = name.strip_prefix("mig-").unwrap_or(name);
    mig_profiles_of(&parent.id).find(|m| m.name == name)
}

fn derive(parent: &Accelerator, id: String, name: String, compute: f64, memory: f64, memory_mib: u64) -> Accelerator {
    Accelerator {
        id,
        name,
        // Never matched by instance labels: `accelerator_of` picks partitions itself.
        karpenter_names: Vec::new(),
        arch_family: parent.arch_family.clone(),
        memory_gib: parent.memory_gib * memory,
        usable_memory_mib: memory_mib,
        memory_bandwidth_gb_per_s: parent.memory_bandwidth_gb_per_s * memory,
        fp16_tflops: parent.fp16_tflops * compute,
        supports_bf16: parent.supports_bf16,
        fp8_tflops: parent.fp8_tflops.map(|r| r * compute),
        int8_tops: parent.int8_tops.map(|r| r * compute),
        fp4_tflops: parent.fp4_tflops.map(|r| r * compute),
        supports_int4: parent.supports_int4,
        interconnect: parent.interconnect,
        interconnect_gb_per_s: parent.interconnect_gb_per_s,
        neuron_cores_per_device: 0,
        source: format!("derived from {} ({})", parent.id, parent.source),
    }
}

/// Every MIG slice as a device, in `MIG_PROFILES` order.
pub fn mig_devices() -> &'static [Accelerator] {
    static TABLE: OnceLock<Vec<Accelerator>> = OnceLock::new();
    TABLE.get_or_init(|| {
        MIG_PROFILES
            .iter()
            .map(|m| {
                let parent = accelerator(m.parent).expect("MIG parents are catalog chips");
                let compute = m.compute_slices as f64 / 7.0;
                let memory = m.memory_slices as f64 / 8.0;
                let memory_mib = parent.usable_memory_mib * m.memory_slices as u64 / 8;
                derive(parent, m.device_id(), format!("{} MIG {}", parent.name, m.name), compute, memory, memory_mib)
            })
            .collect()
    })
}

/// The fractional L4s of g6f, as (id, share of the GPU): `l4-eighth`, `l4-quarter`, `l4-half`.
const L4_FRACTIONS: [(&str, u32); 3] = [("l4-eighth", 8), ("l4-quarter", 4), ("l4-half", 2)];

/// The fractional L4 devices, in `L4_FRACTIONS` order.
pub fn fractional_devices() -> &'static [Accelerator] {
    static TABLE: OnceLock<Vec<Accelerator>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let l4 = accelerator("l4").expect("the L4 is a catalog chip");
        L4_FRACTIONS
            .iter()
            .map(|(id, parts)| {
                let share = 1.0 / *parts as f64;
                let name = format!("{} (1/{parts} GPU)", l4.name);
                derive(l4, id.to_string(), name, share, share, l4.usable_memory_mib / *parts as u64)
            })
            .collect()
    })
}

/// The fractional device of a fractional-GPU instance type (g6f, gr6f: no whole GPU, a share of an
/// L4's memory), told by the instance's memory per device. `None` for other types.
pub fn fractional_of(instance: &InstanceType) -> Option<&'static Accelerator> {
    if instance.accelerator_count != 0 || instance.accelerator_memory_mib == 0 || !instance.is_nvidia() {
        return None;
    }
    if !instance.accelerator_name.eq_ignore_ascii_case("l4") {
        return None;
    }
    fractional_devices().iter().min_by_key(|a| a.usable_memory_mib.abs_diff(instance.accelerator_memory_mib))
}

/// A derived device by id (`a100-80gb-mig-1g.10gb`, `l4-quarter`), for `catalog::accelerator`.
pub(super) fn derived_device(id: &str) -> Option<&'static Accelerator> {
    mig_devices().iter().chain(fractional_devices()).find(|a| a.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::instance_type;

    #[test]
    fn every_parent_has_seven_compute_slices_and_eight_memory_slices() {
        for parent in ["a100-40gb", "a100-80gb", "h100", "h200"] {
            let profiles: Vec<_> = mig_profiles_of(parent).collect();
            assert_eq!(profiles.len(), 6, "{parent}");
            for m in &profiles {
                // All-alike partitions never use more than the GPU's slices.
                assert!(m.per_gpu * m.compute_slices <= 7 && m.per_gpu * m.memory_slices <= 8, "{parent} {}", m.name);
            }
            let whole = profiles.iter().find(|m| m.compute_slices == 7).unwrap();
            assert_eq!((whole.memory_slices, whole.per_gpu), (8, 1));
        }
    }

    #[test]
    fn profile_names_carry_their_memory() {
        // The name's GB figure is the parent's memory × memory slices / 8, rounded down as NVIDIA names them.
        for m in MIG_PROFILES {
            let parent = accelerator(m.parent).unwrap();
            let gb: f64 = m.name.split_once('.').unwrap().1.trim_end_matches("gb").parse().unwrap();
            let share = parent.memory_gib * m.memory_slices as f64 / 8.0;
            assert!((share - gb).abs() <= 1.0, "{} {}: {share} GB vs {gb}", m.parent, m.name);
        }
    }

    #[test]
    fn a_slice_has_its_share_of_the_gpu() {
        let gpu = accelerator("a100-80gb").unwrap();
        let one = mig_profile("a100-80gb", "1g.10gb").unwrap().device();
        assert_eq!(one.id, "a100-80gb-mig-1g.10gb");
        assert_eq!(one.usable_memory_mib, 10240);
        assert!((one.fp16_tflops - gpu.fp16_tflops / 7.0).abs() < 1e-9);
        assert!((one.memory_bandwidth_gb_per_s - gpu.memory_bandwidth_gb_per_s / 8.0).abs() < 1e-9);
        let whole = mig_profile("A100-80GB", "nvidia.com/mig-7g.80gb").unwrap().device();
        assert_eq!((whole.usable_memory_mib, whole.fp16_tflops), (gpu.usable_memory_mib, gpu.fp16_tflops));
        assert_eq!(accelerator("a100-80gb-mig-3g.40gb").unwrap().usable_memory_mib, 40960);
        let h200 = mig_profile("h200", "mig-1g.18gb").unwrap();
        assert_eq!(h200.device().fp8_tflops, Some(accelerator("h200").unwrap().fp8_tflops.unwrap() / 7.0));
        assert_eq!((h200.resource, h200.config_label), ("nvidia.com/mig-1g.18gb", "all-1g.18gb"));
        assert!(mig_profile("a100-40gb", "1g.10gb").is_some());
        assert!(mig_profile("h100", "1g.5gb").is_none());
        assert!(mig_profile("l4", "1g.5gb").is_none());
    }

    #[test]
    fn g6f_types_are_fractional_l4s() {
        let pick = |name: &str| fractional_of(instance_type(name).unwrap()).map(|a| a.id.as_str());
        assert_eq!(pick("g6f.large"), Some("l4-eighth"));
        assert_eq!(pick("g6f.xlarge"), Some("l4-eighth"));
        assert_eq!(pick("g6f.2xlarge"), Some("l4-quarter"));
        assert_eq!(pick("g6f.4xlarge"), Some("l4-half"));
        assert_eq!(pick("gr6f.4xlarge"), Some("l4-half"));
        assert_eq!(pick("g6.xlarge"), None);
        let half = accelerator("l4-half").unwrap();
        assert_eq!(half.usable_memory_mib, instance_type("g6f.4xlarge").unwrap().accelerator_memory_mib);
        assert!((half.memory_bandwidth_gb_per_s - 150.0).abs() < 1e-9);
    }
}
