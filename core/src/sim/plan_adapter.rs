//! Builds a [`Scenario`] from a Plan: fleets become simulated deployments, NodePools become simulated
//! pools (instance types and prices from the catalog, limits, consolidation, budgets, the node class's
//! OS and reservations), the autoscaler section becomes HPA or KEDA specs, and the performance model
//! fills in each replica's [`ServiceProfile`].

use crate::catalog::{self, CapacityType};
use crate::perf;
use crate::place::{parse_quantity, pool_instance_types, pool_rejects};
use crate::plan::{self, Plan};

use super::duration::parse_duration_s;
use super::error::SimError;
use super::hpa::{
    Behavior, HpaSpec, KedaSpec, KedaTrigger, MetricKind, MetricSpec, MetricTarget, PolicyKind, ScalingPolicy,
};
use super::params::{NodeOs, Timing};
use super::scenario::{
    Autoscaler, BudgetRule, ConsolidationPolicy, DisruptionBudget, DisruptionReason, Reservation, Scenario,
    SimDeployment, SimInstanceType, SimPool, SloMetric, SloTarget,
};
use super::serving::{chip_figures, FirstOrderReplica, LatencyPoint, ReplicaPerformance, ServiceProfile};
use super::traffic::{Profile, ProfileParams, TraceRow, Traffic, TrafficSource};

/// What the shell adds to a Plan for a run: a trace read from a file, a profile, timing overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInputs {
    /// Replaces the plan's own inline trace (`workload.trace.csv`) and the profile when present. A
    /// plan's `workload.trace.file` is the shell's to read (core does no IO): without a trace here,
    /// a plan that names a file runs on the profile.
    pub trace: Option<Vec<TraceRow>>,
    /// The baseline/peak profile, used when there is no trace at all.
    pub profile: Profile,
    pub timing: Timing,
    pub arrival_noise: bool,
}

impl Default for PlanInputs {
    fn default() -> Self {
        PlanInputs { trace: None, profile: Profile::DiurnalWithSpikes, timing: Timing::default(), arrival_noise: true }
    }
}

/// Default serving image size when the plan does not say (vLLM's OpenAI server image is several GB).
pub const DEFAULT_IMAGE_GIB: f64 = 8.0;
/// The default autoscaler when a deployment has none: an HPA on running requests per pod (the count at
/// which the replica keeps TTFT p95 within the SLO, at most at this utilisation) and on queue depth
/// (waiting requests per pod).
pub const DEFAULT_MAX_UTILIZATION: f64 = 0.7;
pub const DEFAULT_QUEUE_DEPTH_TARGET: f64 = 5.0;

/// The performance model behind the simulator: one built replica, evaluated under Poisson load.
pub struct PerfReplica {
    pub replica: perf::Replica,
}

impl ReplicaPerformance for PerfReplica {
    fn capacity_requests_per_s(&self, _input_tokens: f64, _output_tokens: f64) -> f64 {
        perf::evaluate(&self.replica, perf::Load::RequestRate(1e-6)).capacity_requests_per_s
    }

    fn max_running_requests(&self, _input_tokens: f64, _output_tokens: f64) -> f64 {
        self.replica.memory.max_concurrent_sequences as f64
    }

    fn latency_at(&self, utilization: f64, i: f64, o: f64) -> LatencyPoint {
        let capacity = self.capacity_requests_per_s(i, o);
        // Approach saturation from below: the model reports saturated points as `None`.
        let mut u = utilization.max(1e-6);
        for _ in 0..20 {
            let e = perf::evaluate(&self.replica, perf::Load::RequestRate(u * capacity));
            if let (Some(ttft), Some(tpot)) = (e.ttft_ms, e.tpot_ms) {
                // p95 between the model's p90 and p99, linear in the percentile.
                let p95 = |p: perf::Percentiles| p.p90 + (p.p99 - p.p90) * (5.0 / 9.0);
                return LatencyPoint {
                    ttft_p50_ms: ttft.p50,
                    ttft_p95_ms: p95(ttft),
                    tpot_p50_ms: tpot.p50,
                    tpot_p95_ms: p95(tpot),
                    running_requests: e.running_sequences,
                    kv_cache_usage: e.kv_cache_usage_fraction,
                };
            }
            u *= 0.97;
        }
        LatencyPoint::default()
    }

    fn source(&self) -> String {
        format!(
            "perf model ({} on {} × {}, {})",
            self.replica.model.name,
            self.replica.devices_used,
            self.replica.chip.name,
            self.replica.engine.as_str()
        )
    }
}

/// The stage a fleet of a disaggregated deployment serves.
#[derive(Debug, Clone)]
struct StageRole {
    prefill: bool,
    tpot_limits: Vec<perf::stage::TpotLimit>,
}

impl StageRole {
    fn of(role: &str, tpot_limits: Vec<perf::stage::TpotLimit>) -> Option<StageRole> {
        match role {
            "prefill" => Some(StageRole { prefill: true, tpot_limits }),
            "decode" => Some(StageRole { prefill: false, tpot_limits }),
            _ => None,
        }
    }
}

/// One replica of a disaggregated stage (`perf::stage`): a prefill replica prefills whole prompts
/// (an M/G/1 queue) and ships the KV cache; a decode replica only decodes, its step growing with the
/// batch up to a full KV cache.
pub struct StageReplica {
    pub class: perf::stage::StageClass,
    pub prefill: bool,
    pub network_bytes_per_s: f64,
}

impl ReplicaPerformance for StageReplica {
    fn capacity_requests_per_s(&self, _input_tokens: f64, _output_tokens: f64) -> f64 {
        if self.prefill {
            1.0 / self.class.prefill_s.max(1e-9)
        } else {
            self.class.decode_capacity_requests_per_s()
        }
    }

    fn max_running_requests(&self, _input_tokens: f64, _output_tokens: f64) -> f64 {
        if self.prefill {
            1.0
        } else {
            self.class.max_batch
        }
    }

    fn latency_at(&self, utilization: f64, i: f64, o: f64) -> LatencyPoint {
        let c = &self.class;
        if self.prefill {
            let rate = utilization * self.capacity_requests_per_s(i, o);
            let (rho, mean_wait_s) = perf::stage::prefill_queue(std::slice::from_ref(c), &[1.0], rate);
            let transfer_s = c.kv_bytes / self.network_bytes_per_s.max(1.0);
            let ttft = |q: f64| {
                let wait = perf::stage::wait_quantile_s(rho, mean_wait_s, q);
                (if wait.is_finite() { wait } else { 0.0 } + c.prefill_s + transfer_s) * 1000.0
            };
            LatencyPoint {
                ttft_p50_ms: ttft(0.5),
                ttft_p95_ms: ttft(0.95),
                tpot_p50_ms: 0.0,
                tpot_p95_ms: 0.0,
                running_requests: rho.min(1.0),
                kv_cache_usage: rho.min(1.0) * c.kv_bytes
                    / (c.replica.memory.kv_cache_capacity_tokens.max(1) as f64 * c.replica.memory.kv_bytes_per_token)
                        .max(1.0),
            }
        } else {
            let batch = (c.max_batch * utilization).max(1.0);
            let step_ms = c.replica.decode_step_s(batch, c.context_tokens) * 1000.0;
            LatencyPoint {
                // The decode stage's own first step (its TTFT is not judged: the prefill stage's is).
                ttft_p50_ms: step_ms,
                ttft_p95_ms: step_ms,
                tpot_p50_ms: step_ms,
                tpot_p95_ms: step_ms,
                running_requests: batch,
                kv_cache_usage: (batch / c.max_batch.max(1.0)).min(1.0),
            }
        }
    }

    fn source(&self) -> String {
        format!(
            "perf model, disaggregated {} stage ({} on {} × {})",
            if self.prefill { "prefill" } else { "decode" },
            self.class.replica.model.name,
            self.class.replica.devices_used,
            self.class.replica.chip.name
        )
    }
}

/// Builds a scenario from a Plan. Errors name the Plan field.
pub fn from_plan(plan: &Plan, inputs: &PlanInputs) -> Result<Scenario, SimError> {
    let spec = &plan.spec;
    let w = &spec.workload;
    let input_tokens = if w.input_tokens.mean > 0.0 { w.input_tokens.mean } else { 512.0 };
    let output_tokens = if w.output_tokens.mean > 0.0 { w.output_tokens.mean } else { 256.0 };
    let inline = match w.trace.as_ref().and_then(plan::TraceRef::inline_rows) {
        Some(Ok(rows)) => Some(rows),
        Some(Err(e)) => return Err(SimError::InlineTrace(e)),
        None => None,
    };
    let traffic = Traffic {
        source: match inputs.trace.clone().or(inline) {
            Some(rows) => TrafficSource::Trace { rows },
            None => TrafficSource::Profile {
                profile: inputs.profile.clone(),
                params: ProfileParams {
                    baseline_requests_per_s: w.requests_per_second.baseline,
                    peak_requests_per_s: w.requests_per_second.peak.max(w.requests_per_second.baseline),
                    ..ProfileParams::default()
                },
            },
        },
        input_tokens,
        output_tokens,
        arrival_noise: inputs.arrival_noise,
    };

    let mut pools = vec![];
    for (i, p) in spec.node_pools.iter().enumerate() {
        pools.push(pool(plan, i, p)?);
    }
    assign_reservations(plan, &mut pools)?;

    let mut deployments = vec![];
    let n = spec.deployments.len().max(1) as f64;
    for (i, d) in spec.deployments.iter().enumerate() {
        // The fleets of a disaggregated deployment form a pipeline: prefill, then decode.
        let mut previous: Option<String> = None;
        for fleet in d.fleets() {
            let mut sim_deployment = deployment(plan, i, d, &fleet, 1.0 / n, input_tokens, output_tokens, &pools)?;
            sim_deployment.upstream = previous.take();
            previous = Some(sim_deployment.name.clone());
            deployments.push(sim_deployment);
        }
    }
    let slos = w
        .slos
        .iter()
        .map(|s| SloTarget {
            metric: match s.metric {
                plan::SloMetric::Ttft => SloMetric::Ttft,
                plan::SloMetric::Tpot => SloMetric::Tpot,
                plan::SloMetric::E2e => SloMetric::E2e,
            },
            percentile: s.percentile,
            limit_ms: s.limit_ms,
        })
        .collect();
    Ok(Scenario {
        name: plan.metadata.name.clone(),
        traffic,
        deployments,
        pools,
        slos,
        timing: inputs.timing.clone(),
        metrics_outages: vec![],
    })
}

fn pool(plan: &Plan, i: usize, p: &plan::NodePool) -> Result<SimPool, SimError> {
    let at = |f: &str| format!("spec.nodePools[{i}] ({}).{f}", p.name);
    let region = &plan.spec.region;
    let class = plan
        .node_class(&p.node_class)
        .ok_or_else(|| SimError::invalid(at("nodeClass"), format!("no node class {:?}", p.node_class)))?;
    let os = NodeOs::parse(&class.ami).ok_or_else(|| {
        SimError::invalid(
            format!("spec.nodeClasses ({}).ami", class.name),
            format!("{:?} is not bottlerocket or al2023", class.ami),
        )
    })?;
    let instance_types: Vec<SimInstanceType> = pool_instance_types(p)
        .filter(|t| t.accelerator_count > 0)
        .map(|t| SimInstanceType {
            name: t.name.clone(),
            family: t.family.clone(),
            devices: t.accelerator_count,
            vcpu: t.vcpu,
            on_demand_usd_per_hour: catalog::prices::price(&t.name, region, CapacityType::OnDemand)
                .map(|x| x.usd_per_hour),
            spot_usd_per_hour: catalog::prices::price(&t.name, region, CapacityType::Spot).map(|x| x.usd_per_hour),
        })
        .collect();
    let mut limit_devices = None;
    let mut limit_cpu = None;
    for (resource, quantity) in &p.limits {
        let value = parse_quantity(quantity).ok_or_else(|| {
            SimError::invalid(at(&format!("limits.{resource}")), format!("{quantity:?} is not a quantity"))
        })?;
        match resource.as_str() {
            "nvidia.com/gpu" | "aws.amazon.com/neuron" | "amd.com/gpu" => {
                limit_devices = Some(value.clamp(0.0, u32::MAX as f64).floor() as u32)
            }
            "cpu" => limit_cpu = Some(value.clamp(0.0, u32::MAX as f64).floor() as u32),
            _ => {}
        }
    }
    let consolidation = match p.consolidation.policy.as_str() {
        "WhenEmpty" => ConsolidationPolicy::WhenEmpty,
        "WhenEmptyOrUnderutilized" | "Balanced" => ConsolidationPolicy::WhenEmptyOrUnderutilized,
        other => return Err(SimError::invalid(at("consolidation.policy"), format!("unknown policy {other:?}"))),
    };
    let consolidate_after_s = match p.consolidation.after.as_deref() {
        None | Some("Never") => None,
        Some(text) => Some(parse_duration_s(text, &at("consolidation.after"))?),
    };
    let mut budgets = vec![];
    for (b, entry) in p.budgets.iter().enumerate() {
        let text = entry.nodes.trim();
        let nodes = if let Some(pct) = text.strip_suffix('%') {
            pct.parse().ok().map(DisruptionBudget::Percent)
        } else {
            text.parse().ok().map(DisruptionBudget::Nodes)
        }
        .ok_or_else(|| {
            SimError::invalid(at(&format!("budgets[{b}].nodes")), format!("{text:?} is not a count or a percentage"))
        })?;
        let schedule = match (&entry.schedule, &entry.duration) {
            (Some(cron), Some(duration)) => {
                crate::sim::cron::Cron::parse(cron)
                    .map_err(|e| SimError::at(at(&format!("budgets[{b}].schedule")), e))?;
                Some((cron.clone(), parse_duration_s(duration, &at(&format!("budgets[{b}].duration")))?))
            }
            (None, None) => None,
            _ => return Err(SimError::invalid(at(&format!("budgets[{b}]")), "schedule and duration go together")),
        };
        let mut reasons = vec![];
        for (r, reason) in entry.reasons.iter().enumerate() {
            reasons.push(match reason.as_str() {
                "Empty" => DisruptionReason::Empty,
                "Underutilized" => DisruptionReason::Underutilized,
                "Drifted" => DisruptionReason::Drifted,
                other => {
                    return Err(SimError::invalid(
                        at(&format!("budgets[{b}].reasons[{r}]")),
                        format!("{other:?} is not Empty, Underutilized or Drifted"),
                    ))
                }
            });
        }
        budgets.push(BudgetRule { nodes, schedule, reasons });
    }
    Ok(SimPool {
        name: p.name.clone(),
        weight: p.weight.unwrap_or(0),
        os,
        capacity_types: p.capacity_types.clone(),
        instance_types,
        limit_devices,
        limit_cpu,
        consolidation,
        consolidate_after_s,
        budgets,
        reservations: vec![],
    })
}

/// Each node class's reservations go to the first pool (by weight) that uses the class and allows
/// the reserved instance type.
fn assign_reservations(plan: &Plan, pools: &mut [SimPool]) -> Result<(), SimError> {
    for (c, class) in plan.spec.node_classes.iter().enumerate() {
        for (r, res) in class.capacity_reservations.iter().enumerate() {
            let target = plan.pools_by_priority().into_iter().filter(|p| p.node_class == class.name).find_map(|p| {
                pools
                    .iter()
                    .position(|sp| sp.name == p.name && sp.instance_types.iter().any(|t| t.name == res.instance_type))
            });
            let Some(target) = target else {
                return Err(SimError::invalid(
                    format!("spec.nodeClasses[{c}] ({}).capacityReservations[{r}]", class.name),
                    format!("no NodePool using this class allows {}", res.instance_type),
                ));
            };
            let price = pools[target]
                .instance_types
                .iter()
                .find(|t| t.name == res.instance_type)
                .and_then(|t| t.on_demand_usd_per_hour)
                .unwrap_or(0.0);
            pools[target].reservations.push(Reservation {
                instance_type: res.instance_type.clone(),
                count: res.count,
                usd_per_hour: price,
            });
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn deployment(
    plan: &Plan,
    i: usize,
    d: &plan::Deployment,
    fleet: &plan::Fleet,
    share: f64,
    input_tokens: f64,
    output_tokens: f64,
    pools: &[SimPool],
) -> Result<SimDeployment, SimError> {
    let at = |f: &str| format!("spec.deployments[{i}] ({}).{f}", d.name);
    let allowed: Vec<&plan::NodePool> =
        plan.pools_by_priority().into_iter().filter(|p| pool_rejects(p, d, fleet).is_none()).collect();
    // The instance the replica is sized on: the cheapest on-demand type of the first allowed pool that
    // holds one replica.
    let tp = fleet.tensor_parallel.max(1);
    let reference = allowed.iter().find_map(|p| {
        let sp = pools.iter().find(|sp| sp.name == p.name)?;
        pool_instance_types(p)
            .filter(|t| {
                let devices = devices_per_replica(t, tp);
                t.accelerator_count >= devices && sp.instance_types.iter().any(|x| x.name == t.name)
            })
            .min_by(|a, b| {
                let price = |t: &catalog::InstanceType| {
                    sp.instance_types
                        .iter()
                        .find(|x| x.name == t.name)
                        .and_then(|x| x.on_demand_usd_per_hour.or(x.spot_usd_per_hour))
                        .unwrap_or(f64::MAX)
                };
                price(a).total_cmp(&price(b)).then_with(|| a.name.cmp(&b.name))
            })
    });
    let Some(reference) = reference else {
        return Err(SimError::invalid(
            at("tensorParallel"),
            format!("no NodePool the fleet {} may use offers an instance type that holds {tp} devices", fleet.name),
        ));
    };
    let devices = devices_per_replica(reference, tp);
    // The TPOT SLOs as placement's sizing reads them.
    let tpot_limits = perf::stage::TpotLimit::of(&crate::place::sizing::perf_slos(plan));
    let stage = StageRole::of(&fleet.role, tpot_limits);
    let (service, weights_gib) = service_profile(d, reference, devices, tp, input_tokens, output_tokens, stage)
        .map_err(|e| SimError::at(at("model"), e))?;
    let running_target = default_running_target(&service, plan);
    let autoscaler = autoscaler(d, fleet, running_target).map_err(|e| SimError::at(at("autoscaler"), e))?;
    Ok(SimDeployment {
        name: fleet.name.clone(),
        traffic_share: share,
        upstream: None,
        devices_per_replica: devices,
        initial_replicas: fleet.replicas.min,
        autoscaler,
        allowed_pools: allowed.iter().map(|p| p.name.clone()).collect(),
        image: d.image.clone().unwrap_or_else(|| format!("{}:default", d.engine)),
        image_gib: DEFAULT_IMAGE_GIB,
        weights_gib,
        service,
    })
}

/// Devices one replica requests: GPUs, or Neuron devices for its NeuronCores.
fn devices_per_replica(t: &catalog::InstanceType, tensor_parallel: u32) -> u32 {
    if t.is_neuron() && t.accelerator_count > 0 {
        let cores_per_device = (t.neuron_core_count / t.accelerator_count).max(1);
        tensor_parallel.div_ceil(cores_per_device)
    } else {
        tensor_parallel
    }
}

#[allow(clippy::too_many_arguments)]
fn service_profile(
    d: &plan::Deployment,
    t: &catalog::InstanceType,
    devices: u32,
    tp: u32,
    input_tokens: f64,
    output_tokens: f64,
    stage: Option<StageRole>,
) -> Result<(ServiceProfile, f64), SimError> {
    // The Plan names weight-only INT4 by its method (`awq`, `gptq`); the perf model by its width.
    let precision = match d.precision.trim().to_ascii_lowercase().as_str() {
        "awq" | "gptq" => Some(perf::Precision::Int4),
        other => perf::Precision::parse(other),
    }
    .ok_or_else(|| SimError::UnknownPrecision(d.precision.clone()))?;
    if let (Some(model), Some(chip)) = (catalog::model(&d.model), catalog::accelerator_of(t)) {
        let mut input = perf::EstimateInput::for_chip(model.clone(), &chip.id, devices);
        input.device_memory_mib = Some(t.accelerator_memory_mib);
        input.instance_type = Some(t.name.clone());
        input.tensor_parallel = Some(tp);
        input.precision = precision;
        input.engine = perf::Engine::parse(&d.engine);
        input.input_tokens = input_tokens.round().clamp(1.0, 1e7) as u32;
        input.output_tokens = output_tokens.round().clamp(1.0, 1e7) as u32;
        // `maxNumSeqs` is not an input of the perf model yet (it reads the engine's default batch cap).
        let replica = match perf::build_replica(&input, perf::FITTED) {
            // Chips without FP8 (Ampere and older) run FP8 checkpoints as 8-bit weight-only (vLLM's
            // Marlin kernels): the same bytes per weight, matmuls at the 16-bit rate.
            Err(_) if precision == perf::Precision::Fp8 => {
                input.precision = perf::Precision::Int8;
                perf::build_replica(&input, perf::FITTED)
            }
            other => other,
        }
        .map_err(SimError::Estimate)?;
        if !replica.memory.fits {
            return Err(SimError::DoesNotFit {
                model: model.name.clone(),
                devices,
                instance_type: t.name.clone(),
                reason: replica.memory.reason.clone().unwrap_or_default(),
            });
        }
        let weights_gib = replica.memory.weights_gib_per_rank * replica.tensor_parallel.max(1) as f64;
        if let Some(role) = stage {
            let class =
                perf::stage::StageClass::new(replica, input.input_tokens, input.output_tokens, &role.tpot_limits);
            let stage_replica = StageReplica {
                class,
                prefill: role.prefill,
                network_bytes_per_s: perf::stage::kv_network_bytes_per_s(t, devices),
            };
            return Ok((ServiceProfile::sample(&stage_replica, input_tokens, output_tokens), weights_gib));
        }
        let perf_replica = PerfReplica { replica };
        return Ok((ServiceProfile::sample(&perf_replica, input_tokens, output_tokens), weights_gib));
    }
    // Unknown model or chip: the first-order stand-in from the parameter count in the model's name.
    let params_b = params_from_name(&d.model).ok_or_else(|| SimError::UnknownModel(d.model.clone()))?;
    let chip = chip_figures(&t.accelerator_name).ok_or_else(|| SimError::NoChipFigures(t.accelerator_name.clone()))?;
    let stand_in = FirstOrderReplica {
        total_params_b: params_b,
        active_params_b: params_b,
        bytes_per_param: precision.bytes_per_weight(),
        kv_bytes_per_token: 131_072.0 * (params_b / 8.0).sqrt(),
        devices,
        chip,
        efficiency: 0.6,
        step_overhead_ms: 5.0,
        max_num_seqs: d.max_num_seqs.map_or(256.0, f64::from),
        gpu_memory_utilization: d.gpu_memory_utilization.unwrap_or(0.9),
    };
    let weights_gib = params_b * 1e9 * precision.bytes_per_weight() / crate::units::BYTES_PER_GIB;
    Ok((ServiceProfile::sample(&stand_in, input_tokens, output_tokens), weights_gib))
}

/// `…-8B-…` → 8, `Mixtral-8x7B` → 56 (total), `70b` → 70.
fn params_from_name(name: &str) -> Option<f64> {
    let lower = name.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if c != b'b' || i == 0 {
            continue;
        }
        let mut start = i;
        while start > 0 && (bytes[start - 1].is_ascii_digit() || bytes[start - 1] == b'.' || bytes[start - 1] == b'x') {
            start -= 1;
        }
        let text = &lower[start..i];
        let value = match text.split_once('x') {
            Some((n, each)) => n.parse::<f64>().ok()? * each.parse::<f64>().ok()?,
            None => text.parse::<f64>().ok()?,
        };
        if value > 0.0 {
            return Some(value);
        }
    }
    None
}

/// The default HPA's running-requests target: what a replica runs at the highest utilisation (at
/// most [`DEFAULT_MAX_UTILIZATION`]) where the performance model keeps TTFT p95 within the plan's
/// tightest TTFT SLO.
fn default_running_target(service: &ServiceProfile, plan: &Plan) -> f64 {
    let ttft_limit_ms = plan
        .spec
        .workload
        .slos
        .iter()
        .filter(|s| s.metric == plan::SloMetric::Ttft)
        .map(|s| s.limit_ms)
        .fold(f64::INFINITY, f64::min);
    let n = service.curve.len().max(2);
    let point = service
        .curve
        .iter()
        .enumerate()
        .rfind(|(i, p)| (*i as f64 / (n - 1) as f64) <= DEFAULT_MAX_UTILIZATION && p.ttft_p95_ms <= ttft_limit_ms)
        .map(|(_, p)| p);
    point.map_or(1.0, |p| p.running_requests).max(1.0)
}

fn autoscaler(d: &plan::Deployment, fleet: &plan::Fleet, running_target: f64) -> Result<Autoscaler, SimError> {
    let bounds = fleet.replicas;
    let Some(a) = &d.autoscaler else {
        // Running requests grow with load per replica, so the ratio algorithm converges on them; queue
        // depth alone reads zero below capacity and makes the HPA flap between min and max.
        return Ok(Autoscaler::Hpa(HpaSpec {
            min_replicas: bounds.min.max(1),
            max_replicas: bounds.max.max(bounds.min.max(1)),
            metrics: vec![
                MetricSpec { kind: MetricKind::RunningRequests, target: MetricTarget::AverageValue(running_target) },
                MetricSpec {
                    kind: MetricKind::QueueDepth,
                    target: MetricTarget::AverageValue(DEFAULT_QUEUE_DEPTH_TARGET),
                },
            ],
            behavior: Behavior::default(),
        }));
    };
    let kind = |m: plan::MetricKind| match m {
        plan::MetricKind::QueueDepth => MetricKind::QueueDepth,
        plan::MetricKind::RunningRequests => MetricKind::RunningRequests,
        plan::MetricKind::KvCacheUsage => MetricKind::KvCacheUsage,
        plan::MetricKind::Ttft => MetricKind::TtftP95Ms,
        // CPU utilisation of a GPU server follows its load roughly; simulated as GPU utilisation.
        plan::MetricKind::GpuUtilization | plan::MetricKind::CpuUtilization => MetricKind::GpuUtilizationPercent,
    };
    let mut behavior = Behavior::default();
    if let Some(b) = &a.behavior {
        if let Some(s) = b.scale_up_stabilization_seconds {
            behavior.scale_up.stabilization_window_s = s;
        }
        if let Some(s) = b.scale_down_stabilization_seconds {
            behavior.scale_down.stabilization_window_s = s;
        }
        if let Some(pods) = b.scale_up_pods_per_period {
            behavior.scale_up.policies = vec![
                ScalingPolicy { kind: PolicyKind::Percent, value: 100, period_s: 15 },
                ScalingPolicy { kind: PolicyKind::Pods, value: pods, period_s: 15 },
            ];
        }
    }
    if a.metrics.is_empty() {
        return Err(SimError::invalid("metrics", "at least one metric is needed"));
    }
    for (m, metric) in a.metrics.iter().enumerate() {
        if !(metric.target.is_finite() && metric.target > 0.0) {
            return Err(SimError::invalid(
                format!("metrics[{m}].target"),
                format!("{} must be positive", metric.target),
            ));
        }
    }
    Ok(match a.kind {
        plan::AutoscalerKind::Hpa => Autoscaler::Hpa(HpaSpec {
            min_replicas: bounds.min.max(1),
            max_replicas: bounds.max.max(bounds.min.max(1)),
            metrics: a
                .metrics
                .iter()
                .map(|m| MetricSpec { kind: kind(m.metric), target: MetricTarget::AverageValue(m.target) })
                .collect(),
            behavior,
        }),
        plan::AutoscalerKind::Keda => Autoscaler::Keda(KedaSpec {
            min_replica_count: bounds.min,
            max_replica_count: bounds.max.max(bounds.min),
            polling_interval_s: a.polling_interval_seconds.map_or(30.0, f64::from),
            cooldown_period_s: 300.0,
            triggers: a
                .metrics
                .iter()
                .map(|m| KedaTrigger { metric: kind(m.metric), target_per_pod: m.target, activation_threshold: 0.0 })
                .collect(),
            fallback: None,
            behavior,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::params_from_name;

    #[test]
    fn parameter_counts_from_names() {
        assert_eq!(params_from_name("meta-llama/Meta-Llama-3-8B-Instruct"), Some(8.0));
        assert_eq!(params_from_name("mistralai/Mixtral-8x7B-v0.1"), Some(56.0));
        assert_eq!(params_from_name("Qwen2.5-0.5B"), Some(0.5));
        assert_eq!(params_from_name("gpt2"), None);
    }
}
