//! Embeds the catalog tables (core/data/*.tsv) as core reads them: without their `#` comment lines
//! and with only the columns core reads.
//!
//! The files in core/data stay as their sources gave them (each names its source in its comment
//! lines, and columns core does not use are kept for people and for `make accuracy`); the web app
//! carries every embedded byte, so the copies under `OUT_DIR` hold only what the catalog modules
//! look up. A column read by core but missing here makes `Table::column` panic, which every catalog
//! test would show at once.

use std::path::Path;
use std::{env, fs};

/// (file, the columns core reads from it, in the file's order).
const TABLES: &[(&str, &[&str])] = &[
    (
        "accelerators.tsv",
        &[
            "id",
            "name",
            "karpenter_names",
            "arch_family",
            "memory_gib",
            "usable_memory_mib",
            "memory_bandwidth_gbps",
            "fp16_tflops",
            "bf16",
            "fp8_tflops",
            "int8_tops",
            "int4",
            "fp4_tflops",
            "interconnect",
            "interconnect_gbps",
            "neuron_cores_per_device",
            "source",
        ],
    ),
    (
        "ec2-instances.tsv",
        &[
            "instance_type",
            "family",
            "vcpu",
            "memory_mib",
            "gpu_name",
            "gpu_manufacturer",
            "gpu_count",
            "gpu_memory_mib",
            "neuron_name",
            "neuron_count",
            "neuron_core_count",
            "neuron_memory_mib",
            "network_bandwidth_mbps",
            "efa",
            "local_nvme_gb",
            "max_pods",
            "arch",
            "spec_source",
        ],
    ),
    ("ec2-ondemand-prices.tsv", &["instance_type", "region", "usd_per_hour", "source"]),
    ("ec2-spot-prices.tsv", &["instance_type", "region", "spot_usd_per_hour_median"]),
    (
        "models.tsv",
        &[
            "id",
            "name",
            "hf_repo",
            "aliases",
            "layers",
            "hidden",
            "heads",
            "kv_heads",
            "head_dim",
            "vocab",
            "intermediate",
            "experts",
            "active_experts",
            "context",
            "tied_embeddings",
            "expert_intermediate",
            "moe_layers",
            "shared_experts",
            "kv_lora_rank",
            "q_lora_rank",
            "rope_head_dim",
            "v_head_dim",
            "sliding_window",
            "sliding_layers",
            "precision",
            "params_b_published",
            "collected",
        ],
    ),
];

fn main() {
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for (file, keep) in TABLES {
        let source = Path::new("data").join(file);
        println!("cargo:rerun-if-changed={}", source.display());
        let text = fs::read_to_string(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        fs::write(Path::new(&out).join(file), project(&text, keep).unwrap_or_else(|e| panic!("{file}: {e}")))
            .unwrap_or_else(|e| panic!("{out}/{file}: {e}"));
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The table without comment or blank lines, with only the `keep` columns.
fn project(text: &str, keep: &[&str]) -> Result<String, String> {
    let mut lines = text.lines().filter(|line| !line.starts_with('#') && !line.trim().is_empty());
    let header: Vec<&str> = lines.next().ok_or("no header line")?.split('\t').collect();
    let indices = keep
        .iter()
        .map(|name| header.iter().position(|h| h == name).ok_or(format!("no column {name}")))
        .collect::<Result<Vec<usize>, String>>()?;
    let mut out = keep.join("\t") + "\n";
    for line in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        let row: Vec<&str> = indices.iter().map(|&i| cells.get(i).copied().unwrap_or("")).collect();
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
    Ok(out)
}
