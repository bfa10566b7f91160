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
use super::params::{NodeOs, PodStart, Timing, WeightsLoad};
use super::scenario::{
    BudgetRule, ConsolidationPolicy, DisruptionBudget, DisruptionReason, NodeAutoscaler, Reservation, Scenario,
    SimDeployment, SimInstanceType, SimPool, SimWarm, SloMetric, SloTarget, WarmKind,
};
use super::serving::ServiceProfile;
use super::traffic::{Profile, ProfileParams, TraceRow, Traffic, TrafficSource};

mod cluster_autoscaler;
mod service;
pub use cluster_autoscaler::{cluster_autoscaler_spec, derived_groups, DERIVED_MAX_SIZE};
pub use service::{PerfReplica, StageReplica};
mod autoscaling;
use autoscaling::autoscaler;
use service::{service_profile, StageRole};

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
    /// The profile's bursts go up to this multiple of the declared peak (1: within the declared traffic).
    pub burst_ceiling_x_peak: f64,
}

impl PlanInputs {
    /// The inputs a plan asks for itself: the default profile and timing, with the plan's request
    /// timeout (`spec.workload.requestTimeoutSeconds`). A shell applies its overrides after this.
    pub fn for_plan(plan: &Plan) -> PlanInputs {
        let mut inputs = PlanInputs::default();
        inputs.timing.request_timeout_s = plan.spec.workload.request_timeout_s();
        inputs
    }
}

impl Default for PlanInputs {
    fn default() -> Self {
        PlanInputs {
            trace: None,
            profile: Profile::DiurnalWithSpikes,
            timing: Timing::default(),
            arrival_noise: true,
            burst_ceiling_x_peak: 1.0,
        }
    }
}

/// Default serving image size when the plan does not say (vLLM's OpenAI server image is several GB).
pub const DEFAULT_IMAGE_GIB: f64 = 8.0;

/// Builds a scenario from a Plan. Errors name the Plan field.
pub fn from_plan(plan: &Plan, inputs: &PlanInputs) -> Result<Scenario, SimError> {
    from_plan_cached(plan, inputs, &mut ServiceCache::default())
}

/// The performance model's service profiles by what they depend on (the deployment's serving
/// fields, the reference instance, devices, tensor parallelism, token counts, the stage): sampling
/// them is most of `from_plan`'s time, and the recommender's closed loop builds many scenarios whose
/// fleets serve alike.
#[derive(Default)]
pub struct ServiceCache {
    profiles: std::collections::HashMap<String, (ServiceProfile, f64)>,
}

/// [`from_plan`], reusing the service profiles `cache` already holds.
pub fn from_plan_cached(plan: &Plan, inputs: &PlanInputs, cache: &mut ServiceCache) -> Result<Scenario, SimError> {
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
                    spike_ceiling_x_peak: inputs.burst_ceiling_x_peak,
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
    let share = plan.traffic_share();
    for (i, d) in spec.deployments.iter().enumerate() {
        // The fleets of a disaggregated deployment form a pipeline: prefill, then decode.
        let mut previous: Option<String> = None;
        for fleet in d.fleets() {
            let mut sim_deployment =
                deployment(plan, i, d, &fleet, share, (input_tokens, output_tokens), &pools, cache)?;
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
        prices: Some(plan.prices_used().note),
        node_autoscaler: NodeAutoscaler::Karpenter,
        commitments: plan.commitment_rates(),
    })
}

/// Sets a scenario built by [`from_plan`] to another plan's autoscaling: the same deployments, pools
/// and traffic with other autoscalers and replica bounds (what the recommender's closed loop varies).
/// The performance model's service profiles, the costly part of `from_plan`, are kept.
pub fn retune_autoscaling(sc: &mut Scenario, plan: &Plan) -> Result<(), SimError> {
    let mut fleets = plan.spec.deployments.iter().flat_map(|d| d.fleets().into_iter().map(move |f| (d, f)));
    for dep in &mut sc.deployments {
        let Some((d, fleet)) = fleets.next() else {
            return Err(SimError::invalid("spec.deployments", "the plan has fewer fleets than the scenario"));
        };
        if fleet.name != dep.name {
            return Err(SimError::invalid("spec.deployments", format!("fleet {} is not {}", fleet.name, dep.name)));
        }
        dep.autoscaler = autoscaler(d, &fleet)?;
        dep.initial_replicas = fleet.replicas.min;
    }
    Ok(())
}

fn pool(plan: &Plan, i: usize, p: &plan::NodePool) -> Result<SimPool, SimError> {
    let at = |f: &str| format!("spec.nodePools[{i}] ({}).{f}", p.name);
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
        .filter(|t| p.mig_profile.as_ref().is_none_or(|m| crate::plan::mig::slices_per_node(t, m) > 0))
        .map(|t| SimInstanceType {
            name: t.name.clone(),
            family: t.family.clone(),
            // A MIG-partitioned pool's nodes offer slices, one per replica.
            devices: match &p.mig_profile {
                Some(profile) => crate::plan::mig::slices_per_node(t, profile),
                None => t.accelerator_count,
            },
            vcpu: t.vcpu,
            on_demand_usd_per_hour: plan.price(&t.name, CapacityType::OnDemand).map(|x| x.usd_per_hour),
            spot_usd_per_hour: plan.price(&t.name, CapacityType::Spot).map(|x| x.usd_per_hour),
        })
        .collect();
    let mut limit_devices = None;
    let mut limit_cpu = None;
    let mut limit_nodes = None;
    for (resource, quantity) in &p.limits {
        let value = parse_quantity(quantity).ok_or_else(|| {
            SimError::invalid(at(&format!("limits.{resource}")), format!("{quantity:?} is not a quantity"))
        })?;
        match resource.as_str() {
            // A MIG-partitioned pool's devices are slices: its GPU limit holds that many GPUs' slices.
            "nvidia.com/gpu" if p.mig_profile.is_some() => {
                let per_gpu = pool_instance_types(p)
                    .filter_map(|t| crate::plan::mig::profile_on(t, p.mig_profile.as_deref().unwrap_or_default()))
                    .map(|m| m.per_gpu)
                    .max()
                    .unwrap_or(1);
                limit_devices = Some((value * per_gpu as f64).clamp(0.0, u32::MAX as f64).floor() as u32)
            }
            "nvidia.com/gpu" | "aws.amazon.com/neuron" | "amd.com/gpu" => {
                limit_devices = Some(value.clamp(0.0, u32::MAX as f64).floor() as u32)
            }
            "cpu" => limit_cpu = Some(value.clamp(0.0, u32::MAX as f64).floor() as u32),
            "nodes" => limit_nodes = Some(value.clamp(0.0, u32::MAX as f64).floor() as u32),
            _ => {}
        }
    }
    let consolidation = match p.consolidation.policy.as_str() {
        "WhenEmpty" => ConsolidationPolicy::WhenEmpty,
        "WhenEmptyOrUnderutilized" | "Balanced" => ConsolidationPolicy::WhenEmptyOrUnderutilized,
        other => return Err(SimError::invalid(at("consolidation.policy"), format!("unknown policy {other:?}"))),
    };
    // A static NodePool ignores its consolidation settings.
    let consolidate_after_s = match p.consolidation.after.as_deref() {
        _ if p.replicas.is_some() => None,
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
        cached_images: plan
            .spec
            .deployments
            .iter()
            .filter(|d| class.caches_image(&crate::manifest::serving_image(d)))
            .map(sim_image)
            .collect(),
        parallel_pull: class.image_pull == plan::ImagePull::Parallel,
        static_nodes: p.replicas,
        limit_nodes,
    })
}

/// The image name a simulated deployment carries (nodes cache images by it).
fn sim_image(d: &plan::Deployment) -> String {
    d.image.clone().unwrap_or_else(|| format!("{}:default", d.engine))
}

/// How a deployment's weights reach the device, as the simulator models it.
fn weights_load(d: &plan::Deployment) -> WeightsLoad {
    match d.weights_source() {
        plan::WeightsSource::Download => WeightsLoad::Download,
        plan::WeightsSource::S3Streamer => WeightsLoad::S3Streamer,
        plan::WeightsSource::SharedFileSystem => WeightsLoad::SharedFileSystem,
    }
}

/// Whether a deployment's pods compile the model on their start: Neuron without a compile cache.
pub fn compiles_on_start(d: &plan::Deployment) -> bool {
    crate::place::sizing::is_neuron_engine(&d.engine) && d.compile_cache.is_none()
}

/// How a deployment's pod starts on a new node of `pool` (its class's OS, image cache and pull mode,
/// the deployment's weights and compilation): what the scenario built by [`from_plan`] simulates, for
/// callers that hold only the plan (the linter).
pub fn pod_start(plan: &Plan, d: &plan::Deployment, pool: Option<&plan::NodePool>, weights_gib: f64) -> PodStart {
    let class = pool.and_then(|p| plan.node_class(&p.node_class));
    PodStart {
        os: class.and_then(|c| NodeOs::parse(&c.ami)).unwrap_or(NodeOs::Bottlerocket),
        image_gib: DEFAULT_IMAGE_GIB,
        weights_gib,
        image_cached: class.is_some_and(|c| c.caches_image(&crate::manifest::serving_image(d))),
        parallel_pull: class.is_some_and(|c| c.image_pull == plan::ImagePull::Parallel),
        weights: weights_load(d),
        neuron_compile: compiles_on_start(d),
    }
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
            // The run's day is the day the reservation ends: its time of day (UTC) in the run.
            let ends_at_s = match res.end_epoch_s() {
                None => None,
                Some(Ok(epoch)) => Some(epoch.rem_euclid(86_400) as f64),
                Some(Err(message)) => {
                    return Err(SimError::invalid(
                        format!("spec.nodeClasses[{c}] ({}).capacityReservations[{r}].endTime", class.name),
                        message,
                    ))
                }
            };
            pools[target].reservations.push(Reservation {
                instance_type: res.instance_type.clone(),
                count: res.count,
                usd_per_hour: price,
                ends_at_s,
                capacity_block: res.is_capacity_block(),
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
    (input_tokens, output_tokens): (f64, f64),
    pools: &[SimPool],
    cache: &mut ServiceCache,
) -> Result<SimDeployment, SimError> {
    let at = |f: &str| format!("spec.deployments[{i}] ({}).{f}", d.name);
    let allowed = allowed_pools(plan, d, fleet);
    let tp = fleet.tensor_parallel.max(1);
    let Some(reference) = reference_instance(&allowed, fleet, pools) else {
        return Err(SimError::invalid(
            at("tensorParallel"),
            format!("no NodePool the fleet {} may use offers an instance type that holds {tp} devices", fleet.name),
        ));
    };
    let devices = devices_per_replica(reference, tp);
    // The TPOT SLOs as placement's sizing reads them.
    let tpot_limits = perf::stage::TpotLimit::of(&crate::place::sizing::perf_slos(plan));
    // The other stage of a disaggregated deployment, for the KV transfer's network share.
    let peer_network = d.fleets().into_iter().filter(|f| f.role != fleet.role).find_map(|peer| {
        let t = reference_instance(&allowed_pools(plan, d, &peer), &peer, pools)?;
        Some(perf::stage::kv_network_bytes_per_s(t, devices_per_replica(t, peer.tensor_parallel.max(1))))
    });
    let stage = StageRole::of(&fleet.role, tpot_limits, peer_network);
    let key = format!(
        "{:?}|{}|{devices}|{tp}|{}|{}|{stage:?}",
        (
            &d.model,
            &d.precision,
            &d.engine,
            d.max_num_seqs,
            d.max_model_len,
            d.gpu_memory_utilization.map(f64::to_bits),
            &d.mig_profile
        ),
        reference.name,
        input_tokens.to_bits(),
        output_tokens.to_bits()
    );
    let (service, weights_gib) = match cache.profiles.get(&key) {
        Some(hit) => hit.clone(),
        None => {
            let made = service_profile(d, reference, devices, tp, input_tokens, output_tokens, stage)
                .map_err(|e| SimError::at(at("model"), e))?;
            cache.profiles.insert(key, made.clone());
            made
        }
    };
    let autoscaler = autoscaler(d, fleet).map_err(|e| SimError::at(at("autoscaler"), e))?;
    Ok(SimDeployment {
        name: fleet.name.clone(),
        traffic_share: share,
        upstream: None,
        devices_per_replica: devices,
        initial_replicas: fleet.replicas.min,
        autoscaler,
        allowed_pools: allowed.iter().map(|p| p.name.clone()).collect(),
        image: sim_image(d),
        image_gib: DEFAULT_IMAGE_GIB,
        weights_gib,
        service,
        model: d.model.clone(),
        weights: weights_load(d),
        weights_node_cache: d.weights_node_cache(),
        neuron_compile: compiles_on_start(d),
        warm: fleet.warm_capacity.filter(|w| w.replicas > 0).map(|w| SimWarm {
            kind: match w.kind {
                plan::WarmCapacityKind::CapacityBuffer => WarmKind::CapacityBuffer,
                plan::WarmCapacityKind::PlaceholderPods => WarmKind::PlaceholderPods,
            },
            replicas: w.replicas,
        }),
    })
}

/// The NodePools a fleet's pods may use, by priority.
fn allowed_pools<'a>(plan: &'a Plan, d: &plan::Deployment, fleet: &plan::Fleet) -> Vec<&'a plan::NodePool> {
    plan.pools_by_priority().into_iter().filter(|p| pool_rejects(p, d, fleet).is_none()).collect()
}

/// The instance a fleet's replica is sized on: the cheapest on-demand type of the first allowed pool
/// that holds one replica.
fn reference_instance(
    allowed: &[&plan::NodePool],
    fleet: &plan::Fleet,
    pools: &[SimPool],
) -> Option<&'static catalog::InstanceType> {
    let tp = fleet.tensor_parallel.max(1);
    allowed.iter().find_map(|p| {
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
