//! The cheapest ways out when a replica does not fit its devices' memory: another precision on the
//! same hardware, more devices (a higher tensor-parallel degree) on the same chip, or another instance
//! type from the catalog; and, when no single node holds the model at its precision, what multi-node
//! serving would take.
//!
//! Every alternative that says it fits was built and its memory fit re-run ([`Replica::new`]); none
//! is guessed. At most one per kind (two instance types: the cheapest, and the cheapest with another
//! chip), in a fixed order: precision, tensor_parallel, instance_type, multi_node.

use serde::Serialize;

use super::{EstimateInput, FittedGroup, Precision, Replica, ReplicaConfig, FITTED};
use crate::catalog::{accelerator, accelerator_of, instance_types, Accelerator, CapacityType, PriceBook};

/// What kind of change an [`Alternative`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlternativeKind {
    /// Another precision on the same devices.
    Precision,
    /// More devices of the same chip (a higher tensor-parallel degree).
    TensorParallel,
    /// Another EC2 instance type, all its devices, the same precision.
    InstanceType,
    /// No single node holds the model at this precision: a statement of what serving it across nodes
    /// would take (not modelled, not a configuration to deploy).
    MultiNode,
}

impl AlternativeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlternativeKind::Precision => "precision",
            AlternativeKind::TensorParallel => "tensor_parallel",
            AlternativeKind::InstanceType => "instance_type",
            AlternativeKind::MultiNode => "multi_node",
        }
    }
}

/// One way out: the configuration, whether it fits (always, except `multi_node`), its memory per rank
/// and its on-demand price when an instance type is involved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternative {
    pub kind: AlternativeKind,
    /// What changes, in words (`precision fp8 instead of bf16: 54.2 of 72.0 GiB per GPU`).
    pub change: String,
    pub precision: Precision,
    /// The instance type, when the input named one or this alternative changes it.
    pub instance_type: Option<String>,
    /// Chip id.
    pub accelerator: String,
    /// Devices (GPUs or Neuron devices) per replica.
    pub devices: u32,
    pub tensor_parallel: u32,
    pub fits: bool,
    pub needed_gib_per_rank: f64,
    pub available_gib_per_rank: f64,
    pub max_concurrent_sequences: u32,
    /// On-demand price of the instance type in `region`, when it has one.
    pub on_demand_usd_per_hour: Option<f64>,
    pub region: Option<String>,
    /// Multi-node only: memory the weights and one sequence's KV cache take over all ranks, and the
    /// devices and nodes of the largest instance type of this chip that would hold them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needed_gib_total: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u32>,
}

/// Where alternatives are priced.
#[derive(Debug, Clone, Copy)]
pub struct Pricing<'a> {
    pub book: PriceBook<'a>,
    pub region: &'a str,
}

impl Pricing<'_> {
    /// The catalog's prices in us-east-1 (what `tokenfleet estimate`, which has no region, shows).
    pub fn catalog() -> Pricing<'static> {
        Pricing { book: PriceBook::catalog(), region: "us-east-1" }
    }

    fn on_demand(&self, instance_type: &str) -> Option<f64> {
        self.book.price(instance_type, self.region, CapacityType::OnDemand).map(|p| p.usd_per_hour)
    }
}

fn build(
    input: &EstimateInput,
    chip: &'static Accelerator,
    devices: u32,
    device_memory_mib: Option<u64>,
    tensor_parallel: Option<u32>,
    precision: Precision,
    table: &[FittedGroup],
) -> Option<Replica> {
    Replica::new(&ReplicaConfig {
        model: &input.model,
        chip,
        devices,
        device_memory_mib,
        tensor_parallel,
        precision,
        engine: input.engine,
        input_tokens: input.input_tokens,
        output_tokens: input.output_tokens,
        table,
    })
    .ok()
}

fn alternative(
    kind: AlternativeKind,
    change: String,
    r: &Replica,
    instance_type: Option<&str>,
    pricing: &Pricing,
) -> Alternative {
    let price = instance_type.and_then(|t| pricing.on_demand(t));
    Alternative {
        kind,
        change,
        precision: r.precision,
        instance_type: instance_type.map(str::to_string),
        accelerator: r.chip.id.clone(),
        devices: r.devices_used,
        tensor_parallel: r.tensor_parallel,
        fits: r.memory.fits,
        needed_gib_per_rank: r.memory.needed_gib_per_rank,
        available_gib_per_rank: r.memory.available_gib_per_rank,
        max_concurrent_sequences: r.memory.max_concurrent_sequences,
        on_demand_usd_per_hour: price,
        region: price.map(|_| pricing.region.to_string()),
        needed_gib_total: None,
        nodes: None,
    }
}

fn fit_words(r: &Replica) -> String {
    format!(
        "{:.1} of {:.1} GiB per {}",
        r.memory.needed_gib_per_rank, r.memory.available_gib_per_rank, r.memory.rank_unit
    )
}

/// The cheapest configurations that fit, for an input that does not (empty when it fits or cannot be
/// built). Priced on demand with `pricing`.
pub fn alternatives(input: &EstimateInput, pricing: &Pricing) -> Vec<Alternative> {
    alternatives_with(input, pricing, FITTED)
}

/// [`alternatives`] with another efficiency table (fit does not depend on it; the replica needs one).
pub fn alternatives_with(input: &EstimateInput, pricing: &Pricing, table: &[FittedGroup]) -> Vec<Alternative> {
    let Some(chip) = accelerator(&input.accelerator) else {
        return Vec::new();
    };
    let Some(current) =
        build(input, chip, input.devices, input.device_memory_mib, input.tensor_parallel, input.precision, table)
    else {
        return Vec::new();
    };
    if current.memory.fits {
        return Vec::new();
    }
    let instance = input.instance_type.as_deref();
    let mut out = Vec::new();

    // Another precision on the same devices: the least compressed one that fits.
    let mut precisions: Vec<Precision> =
        Precision::ALL.into_iter().filter(|p| *p != input.precision && p.peak_tflops(chip).is_ok()).collect();
    precisions.sort_by(|a, b| b.bytes_per_weight().total_cmp(&a.bytes_per_weight()));
    for p in precisions {
        let tp = Some(current.tensor_parallel);
        let Some(t) = build(input, chip, input.devices, input.device_memory_mib, tp, p, table) else { continue };
        if t.memory.fits {
            let change = format!("precision {} instead of {}: {}", p.as_str(), input.precision.as_str(), fit_words(&t));
            out.push(alternative(AlternativeKind::Precision, change, &t, instance, pricing));
            break;
        }
    }

    // More devices of the same chip: the smallest tensor-parallel degree that fits, on the input's
    // instance type when it has more devices, else up to the largest instance type of this chip.
    let cores = chip.neuron_cores_per_device.max(1);
    let max_devices = match instance.and_then(crate::catalog::instance_type) {
        Some(t) => t.accelerator_count,
        None => largest_instance_devices(chip).unwrap_or(8),
    };
    let mut single_node_fits = false;
    for tp in current.tensor_parallel + 1..=max_devices * cores {
        let devices = tp.div_ceil(cores);
        let Some(t) = build(input, chip, devices, input.device_memory_mib, Some(tp), input.precision, table) else {
            continue;
        };
        if t.memory.fits {
            let change = format!(
                "tensor_parallel {tp} on {devices} {} instead of {}: {}",
                chip.id,
                current.tensor_parallel,
                fit_words(&t)
            );
            out.push(alternative(AlternativeKind::TensorParallel, change, &t, instance, pricing));
            single_node_fits = true;
            break;
        }
    }

    // Other instance types, all their devices, the same precision: the cheapest on demand, and the
    // cheapest with another chip. One build per distinct (chip, devices, memory).
    let mut tried: Vec<((&str, u32, u64), bool)> = Vec::new();
    let mut fitting: Vec<(f64, &'static str, Replica)> = Vec::new();
    for t in instance_types() {
        if Some(t.name.as_str()) == instance {
            continue;
        }
        let Some(c) = accelerator_of(t) else { continue };
        let Some(usd) = pricing.on_demand(&t.name) else { continue };
        let key = (c.id.as_str(), t.accelerator_count, t.accelerator_memory_mib);
        if tried.iter().any(|(k, fits)| *k == key && !fits) {
            continue;
        }
        let Some(b) =
            build(input, c, t.accelerator_count, Some(t.accelerator_memory_mib), None, input.precision, table)
        else {
            tried.push((key, false));
            continue;
        };
        tried.push((key, b.memory.fits));
        if b.memory.fits {
            fitting.push((usd, t.name.as_str(), b));
        }
    }
    fitting.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let mut chips: Vec<&str> = Vec::new();
    for (usd, name, r) in &fitting {
        if chips.len() == 2 {
            break;
        }
        if chips.contains(&r.chip.id.as_str()) {
            continue;
        }
        chips.push(&r.chip.id);
        let change = format!(
            "instance type {name} ({} × {}, tensor_parallel {}) at {usd:.2} USD/hour on demand: {}",
            r.devices_used,
            r.chip.id,
            r.tensor_parallel,
            fit_words(r)
        );
        out.push(alternative(AlternativeKind::InstanceType, change, r, Some(name), pricing));
        single_node_fits = true;
    }

    // Nothing on one node at this precision: what serving across nodes would take.
    if !single_node_fits {
        if let Some(a) = multi_node(input, chip, &current) {
            out.push(a);
        }
    }
    out
}

/// Devices of the largest instance type of a chip in the catalog.
fn largest_instance_devices(chip: &Accelerator) -> Option<u32> {
    instance_types()
        .iter()
        .filter(|t| accelerator_of(t).is_some_and(|c| c.id == chip.id))
        .map(|t| t.accelerator_count)
        .max()
}

/// Weights and one sequence's KV cache over all ranks, and how many devices of this chip (beside
/// each rank's own workspace) would hold them; the nodes of its largest instance type that takes.
fn multi_node(input: &EstimateInput, chip: &'static Accelerator, current: &Replica) -> Option<Alternative> {
    let m = &current.memory;
    let tp = current.tensor_parallel as f64;
    let total = (m.weights_gib_per_rank + m.kv_cache_needed_gib_per_rank) * tp;
    let usable = m.available_gib_per_rank - m.workspace_gib_per_rank;
    if usable <= 0.0 || !total.is_finite() {
        return None;
    }
    let cores = chip.neuron_cores_per_device.max(1);
    let ranks = (total / usable).ceil().max(1.0) as u32;
    let devices = ranks.div_ceil(cores);
    let per_node = largest_instance_devices(chip).unwrap_or(input.devices.max(1));
    let nodes = devices.div_ceil(per_node.max(1));
    let change = format!(
        "no single instance type holds {} in {}: its weights and one sequence's KV cache take {:.1} GiB, about {devices} \
         {} ({:.1} GiB usable each beside the workspace), {nodes} nodes of {per_node}; that needs multi-node serving \
         (pipeline or tensor parallelism across nodes), which is not modelled",
        input.model.name,
        current.precision.as_str(),
        total,
        chip.id,
        usable * f64::from(cores),
    );
    Some(Alternative {
        kind: AlternativeKind::MultiNode,
        change,
        precision: current.precision,
        instance_type: None,
        accelerator: chip.id.clone(),
        devices,
        tensor_parallel: ranks,
        fits: false,
        needed_gib_per_rank: total / ranks as f64 + m.workspace_gib_per_rank,
        available_gib_per_rank: m.available_gib_per_rank,
        max_concurrent_sequences: 0,
        on_demand_usd_per_hour: None,
        region: None,
        needed_gib_total: Some(total),
        nodes: Some(nodes),
    })
}

#[cfg(test)]
mod tests;
