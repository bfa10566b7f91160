//! The Plan rules: pitfalls from DOMAIN.md, Karpenter's value rules, model fit, placement and the
//! SLOs, over a Plan and its placement outcome.

use crate::catalog::{CapacityType, InstanceType};
use crate::finding::{Finding, Severity};
use crate::place::{self, parse_quantity, pool_instance_types, pool_rejects, sizing, PodRequests};
use crate::plan::{self, Mode, Plan};

pub(super) fn is_gpu_or_neuron_taint(key: &str) -> bool {
    key.contains("nvidia.com/gpu") || key.contains("aws.amazon.com/neuron") || key.contains("gpu")
}

/// The cheapest USD/hour per device an instance type is offered at in a pool (reserved counts as 0).
pub(super) fn cheapest_per_device(plan: &Plan, pool: &plan::NodePool, neuron: bool) -> Option<f64> {
    let has_reservations = plan.node_class(&pool.node_class).is_some_and(|c| !c.capacity_reservations.is_empty());
    if pool.capacity_types.contains(&CapacityType::Reserved) && has_reservations {
        return Some(0.0);
    }
    pool_instance_types(pool)
        .filter(|t| if neuron { t.is_neuron() } else { t.is_nvidia() } && t.accelerator_count > 0)
        .flat_map(|t| {
            pool.capacity_types
                .iter()
                .filter_map(move |c| plan.price(&t.name, *c).map(|p| p.usd_per_hour / t.accelerator_count as f64))
        })
        .min_by(f64::total_cmp)
}

/// Lints a parsed Plan. Paths are plan paths; lines are not set (see [`lint_plan_text`]).
pub fn lint_plan(plan: &Plan) -> Vec<Finding> {
    lint_plan_with(plan, &place::evaluate(plan))
}

/// Lints a Plan whose placement the caller already has (the app places, lints and renders on every
/// edit; this keeps placement and its performance-model sizing from running twice).
pub fn lint_plan_with(plan: &Plan, outcome: &place::Outcome) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |code: &str, severity: Severity, path: String, message: String, fix: &str| {
        out.push(Finding::new(code, severity, path, message, fix));
    };
    let spec = &plan.spec;
    let w = &spec.workload;
    let has_slos = !w.slos.is_empty();
    for (i, pool) in spec.node_pools.iter().enumerate() {
        let p = |field: &str| format!("spec.nodePools[{i}].{field}");
        for (j, family) in pool.instance_families.iter().enumerate() {
            if family.contains('.') {
                add(
                    "TF010",
                    Severity::Error,
                    p(&format!("instanceFamilies[{j}]")),
                    format!("{family:?} is an instance type, not a family: karpenter.k8s.aws/instance-family matches nothing"),
                    "move it to instanceTypes (node.kubernetes.io/instance-type), or use the family name",
                );
            }
        }
        for (j, name) in pool.instance_types.iter().enumerate() {
            if !name.contains('.') {
                add(
                    "TF010",
                    Severity::Error,
                    p(&format!("instanceTypes[{j}]")),
                    format!(
                        "{name:?} is a family, not an instance type: node.kubernetes.io/instance-type matches nothing"
                    ),
                    "move it to instanceFamilies (karpenter.k8s.aws/instance-family)",
                );
            }
        }
        let policy = pool.consolidation.policy.as_str();
        if !crate::k8s::CONSOLIDATION_POLICIES.contains(&policy) {
            let hint = match policy {
                "Never" => "consolidationPolicy has no Never: set consolidateAfter: Never to switch consolidation off",
                "WhenUnderutilized" => "WhenUnderutilized is the v1beta1 name: use WhenEmptyOrUnderutilized",
                _ => "use WhenEmpty, WhenEmptyOrUnderutilized or Balanced",
            };
            add(
                "TF011",
                Severity::Error,
                p("consolidation.policy"),
                format!("{policy:?} is not a consolidationPolicy"),
                hint,
            );
        }
        match &pool.consolidation.after {
            // Valid: the NodePool CRD defaults `disruption` to `consolidateAfter: 0s`. For GPU nodes
            // that take minutes to start, consolidating the moment one is empty churns capacity.
            // A static NodePool ignores consolidateAfter.
            None if pool.replicas.is_some() => {}
            None => add(
                "TF042",
                Severity::Warning,
                p("consolidation"),
                "consolidateAfter is not set: Karpenter defaults it to 0s, so GPU nodes are consolidated the \
                 moment they are empty or underutilized and relaunched minutes later"
                    .to_string(),
                "set consolidation.after (consolidateAfter), e.g. 5m, or Never to disable consolidation",
            ),
            Some(after) if !crate::k8s::is_consolidate_after(after) => add(
                "TF012",
                Severity::Error,
                p("consolidation.after"),
                format!("{after:?} is not a duration (30s, 5m, 1h) or Never"),
                "write a Go-style duration with s, m or h units, or Never",
            ),
            _ => {}
        }
        if let Some(expire) = &pool.expire_after {
            if !crate::k8s::is_expire_after(expire) {
                add(
                    "TF020",
                    Severity::Error,
                    p("expireAfter"),
                    format!("{expire:?} is not a duration or Never"),
                    "write e.g. 720h, or Never",
                );
            }
        }
        for (j, b) in pool.budgets.iter().enumerate() {
            if b.schedule.is_some() != b.duration.is_some() {
                add(
                    "TF020",
                    Severity::Error,
                    p(&format!("budgets[{j}]")),
                    "a budget's schedule and duration go together".to_string(),
                    "set both schedule (cron) and duration (e.g. 8h), or neither",
                );
            }
        }
        // Limits smaller than one node.
        let types: Vec<&InstanceType> = pool_instance_types(pool).collect();
        for (resource, limit) in &pool.limits {
            let Some(limit_value) = parse_quantity(limit) else { continue };
            let smallest = types.iter().map(|t| resource_of(t, resource)).filter(|v| *v > 0.0).min_by(f64::total_cmp);
            if let Some(smallest) = smallest {
                if smallest > limit_value + 1e-9 {
                    add(
                        "TF015",
                        Severity::Error,
                        p(&format!("limits.{resource}")),
                        format!(
                            "limit {resource}: {limit} is smaller than one node ({} of the smallest allowed type): Karpenter can launch nothing",
                            format_amount(resource, smallest)
                        ),
                        "raise the limit to at least one node's capacity, or allow smaller instance types",
                    );
                }
            }
        }
    }
    // Weights that contradict cost (pitfall 3).
    for (neuron, label) in [(false, "GPU"), (true, "Neuron device")] {
        let priced: Vec<(usize, &plan::NodePool, f64)> = spec
            .node_pools
            .iter()
            .enumerate()
            .filter_map(|(i, p)| cheapest_per_device(plan, p, neuron).map(|c| (i, p, c)))
            .collect();
        for (i, a, cost_a) in &priced {
            for (_, b, cost_b) in &priced {
                if a.weight.unwrap_or(0) > b.weight.unwrap_or(0) && *cost_a > cost_b * 1.10 {
                    add(
                        "TF003",
                        Severity::Warning,
                        format!("spec.nodePools[{i}].weight"),
                        format!(
                            "NodePool {} (weight {}) is tried before {} (weight {}) but costs {:.2} vs {:.2} USD/hour per {label}",
                            a.name,
                            a.weight.unwrap_or(0),
                            b.name,
                            b.weight.unwrap_or(0),
                            cost_a,
                            cost_b
                        ),
                        "give the cheaper pool the higher weight, or keep the order on purpose (capacity, latency) and say so",
                    );
                    break;
                }
            }
        }
    }
    let reserved_anywhere = spec.node_pools.iter().any(|p| {
        p.capacity_types.contains(&CapacityType::Reserved)
            && plan.node_class(&p.node_class).is_some_and(|c| !c.capacity_reservations.is_empty())
    });
    let rate = &w.requests_per_second;
    if rate.baseline > 0.0 && rate.baseline >= 0.3 * rate.peak && !reserved_anywhere && !spec.deployments.is_empty() {
        add(
            "TF005",
            Severity::Warning,
            "spec.workload.requestsPerSecond.baseline".to_string(),
            format!(
                "a predictable baseline ({} of {} requests/s at peak) runs without reserved capacity: steady load waits on launches and shortages",
                rate.baseline, rate.peak
            ),
            "back the baseline with a capacity reservation (nodeClasses[].capacityReservations and capacityTypes: [reserved, …])",
        );
    }
    for (i, d) in spec.deployments.iter().enumerate() {
        let p = |field: &str| format!("spec.deployments[{i}].{field}");
        let long_prompts = w.input_tokens.mean >= 4000.0 || w.input_tokens.p90.unwrap_or(0.0) >= 8000.0;
        let tight_ttft = w.slos.iter().any(|s| s.metric == plan::SloMetric::Ttft && s.limit_ms <= 300.0);
        if d.mode == Mode::Monolithic && (long_prompts || tight_ttft) && d.replicas.max >= 2 {
            add(
                "TF001",
                Severity::Warning,
                p("mode"),
                format!(
                    "{} serves {} monolithically and scales uniformly: long prefills stall decode and TTFT",
                    d.name,
                    if long_prompts { "long prompts" } else { "a tight TTFT" }
                ),
                "consider mode: disaggregated with prefill and decode fleets sized apart",
            );
        }
        let spiky = rate.peak > 1.5 * rate.baseline;
        // Each fleet that runs: a monolithic deployment's replicas, or each stage's own.
        for fleet in d.fleets() {
            let r = fleet.replicas;
            if spiky && r.min == r.max && r.min > 1 {
                add(
                    "TF002",
                    Severity::Warning,
                    if fleet.role == "server" { p("replicas") } else { p(&format!("{}.replicas", fleet.role)) },
                    format!(
                        "{} runs a fixed {} replicas while traffic swings from {} to {} requests/s: sized for the peak, idle in between",
                        fleet.name, r.min, rate.baseline, rate.peak
                    ),
                    "size min for the baseline, max for the peak, and let an autoscaler on running requests (queue depth \
                     as a second signal) bridge the gap",
                );
            }
        }
        if let Some(a) = &d.autoscaler {
            if !a.metrics.is_empty() && a.metrics.iter().all(|m| !m.metric.sees_load()) {
                add(
                    "TF004",
                    Severity::Warning,
                    p("autoscaler.metrics"),
                    format!("{} scales only on CPU/GPU utilisation, blind to queue depth, KV-cache pressure and TTFT", d.name),
                    "scale on runningRequests (vllm:num_requests_running) or kvCacheUsage, with queueDepth as a second \
                     signal; keep utilisation as a secondary signal",
                );
            }
        }
        let facts = sizing::model_facts(&d.model);
        for fleet in d.fleets() {
            let pod = PodRequests::for_fleet(d, &fleet);
            let field =
                if fleet.role == "server" { p("tensorParallel") } else { p(&format!("{}.tensorParallel", fleet.role)) };
            if let Some(heads) = facts.and_then(|f| f.attention_heads) {
                if fleet.tensor_parallel > 0 && heads % fleet.tensor_parallel != 0 {
                    add(
                        "TF017",
                        Severity::Error,
                        field.clone(),
                        format!(
                            "tensor-parallel degree {} does not divide {}'s {heads} attention heads; vLLM refuses to start",
                            fleet.tensor_parallel, d.model
                        ),
                        "use a divisor of the head count (1, 2, 4, 8 …)",
                    );
                }
            }
            let pools: Vec<&plan::NodePool> =
                spec.node_pools.iter().filter(|pool| pool_rejects(pool, d, &fleet).is_none()).collect();
            // Taints without tolerations (GPU and Neuron pools the pods could otherwise use).
            for (j, pool) in spec.node_pools.iter().enumerate() {
                let kind_matches = pool_instance_types(pool).any(|t| pod.pods_per_node(t) > 0);
                if !kind_matches || fleet.node_pool.as_ref().is_some_and(|n| *n != pool.name) {
                    continue;
                }
                for taint in &pool.taints {
                    if taint.effect != "PreferNoSchedule"
                        && is_gpu_or_neuron_taint(&taint.key)
                        && !d.tolerations.iter().any(|t| t.tolerates(taint))
                    {
                        add(
                            "TF014",
                            Severity::Error,
                            p("tolerations"),
                            format!(
                                "{} does not tolerate NodePool {}'s taint {}:{} (spec.nodePools[{j}]); its pods never land there",
                                fleet.name, pool.name, taint.key, taint.effect
                            ),
                            &format!("add a toleration {{key: {}, operator: Exists, effect: {}}}", taint.key, taint.effect),
                        );
                    }
                }
            }
            // Model fit on the largest device the eligible pools offer.
            if let Some(weights) = sizing::weights_gib(d) {
                let largest = pools
                    .iter()
                    .flat_map(|pool| pool_instance_types(pool))
                    .filter(|t| pod.pods_per_node(t) > 0)
                    .max_by(|a, b| {
                        a.accelerator_memory_mib.cmp(&b.accelerator_memory_mib).then_with(|| b.name.cmp(&a.name))
                    });
                if let Some(t) = largest {
                    let utilization = d.gpu_memory_utilization.unwrap_or(0.9);
                    let usable = pod.devices as f64 * t.accelerator_memory_mib as f64 / 1024.0 * utilization;
                    if weights > usable {
                        // The performance model's figures and ways out, when it knows the model and chip.
                        let (message, fix) = match sizing::memory_shortfall(plan, d, &fleet, t) {
                            Some(s) => (
                                format!("{} ({}) does not fit {}: {}", d.model, d.precision, t.name, s.reason),
                                if s.alternatives.is_empty() {
                                    "raise tensorParallel, quantise (fp8, awq), or use instance types with more device memory"
                                        .to_string()
                                } else {
                                    let ways: Vec<&str> = s.alternatives.iter().map(|a| a.change.as_str()).collect();
                                    format!("ways out: {}", ways.join("; "))
                                },
                            ),
                            None => (
                                format!(
                                    "{} needs about {weights:.0} GiB of weights ({}), but {} device(s) per replica offer {usable:.0} GiB",
                                    d.model, d.precision, pod.devices
                                ),
                                "raise tensorParallel, quantise (fp8, awq), or use instance types with more device memory"
                                    .to_string(),
                            ),
                        };
                        add("TF018", Severity::Error, field.clone(), message, &fix);
                    }
                }
            }
            // Pod scaling beyond node capacity (pitfall 6).
            let resource = pod.device_resource();
            let limits: Option<f64> =
                pools.iter().map(|pool| pool.limits.get(resource).and_then(|l| parse_quantity(l))).sum::<Option<f64>>();
            let wanted = fleet.replicas.max as f64 * pod.devices as f64;
            if let Some(limit) = limits {
                if !pools.is_empty() && wanted > limit + 1e-9 {
                    add(
                        "TF006",
                        Severity::Warning,
                        if fleet.role == "server" { p("replicas.max") } else { p(&format!("{}.replicas.max", fleet.role)) },
                        format!(
                            "{} may scale to {} replicas × {} {resource} = {wanted} devices, but its NodePools allow {limit}: the rest stay pending",
                            fleet.name, fleet.replicas.max, pod.devices
                        ),
                        "lower replicas.max, or raise the NodePools' limits",
                    );
                }
            }
            // Spot-only capacity under an SLO-critical baseline.
            if has_slos
                && rate.baseline > 0.0
                && !pools.is_empty()
                && pools.iter().all(|pool| pool.capacity_types == [CapacityType::Spot])
            {
                add(
                    "TF016",
                    Severity::Warning,
                    p("name"),
                    format!(
                        "{} has latency SLOs and a baseline of {} requests/s but can only run on spot capacity: an interruption breaks the SLO",
                        fleet.name, rate.baseline
                    ),
                    "serve the baseline from an on-demand or reserved pool and burst on spot",
                );
            }
        }
    }
    for d in &outcome.deployments {
        let index = spec.deployments.iter().position(|p| p.name == d.deployment).unwrap_or(0);
        // A disaggregated stage's own fields (`prefill.replicas.max`), a monolithic deployment's.
        let stage = if d.role == "server" { String::new() } else { format!(".{}", d.role) };
        if let Some(unsupported) = unsupported_precision(plan, outcome, d, index) {
            add(
                "TF044",
                Severity::Error,
                format!("spec.deployments[{index}].precision"),
                unsupported,
                "use a precision the chip runs (fp16 on T4 and V100; fp8 needs Ada, Hopper or newer; mxfp4 and nvfp4 \
                 need Ampere or newer, native on Blackwell), or pin the deployment to a pool of newer chips",
            );
        }
        for band in &d.latency {
            if band.saturated {
                add(
                    "TF021",
                    Severity::Warning,
                    format!("spec.deployments[{index}]{stage}"),
                    format!(
                        "{}: saturated at the baseline rate (the queue grows without bound): {} p{} cannot meet the {} ms SLO",
                        d.name, band.metric, band.percentile, band.limit_ms
                    ),
                    "add replicas or devices per replica, or use faster devices",
                );
            } else if let (Some(estimate), Some(false)) = (band.estimate_ms, band.meets_slo) {
                add(
                    "TF021",
                    Severity::Warning,
                    format!("spec.deployments[{index}]{stage}"),
                    format!(
                        "{}: {} p{} is about {estimate:.0} ms at the baseline rate, above the {} ms SLO",
                        d.name, band.metric, band.percentile, band.limit_ms
                    ),
                    "add replicas or devices per replica, use faster devices, or relax the SLO",
                );
            }
        }
        if let Some(needed) = d.replicas_for_peak {
            if needed > d.replicas_max {
                add(
                    "TF022",
                    Severity::Warning,
                    format!("spec.deployments[{index}]{stage}.replicas.max"),
                    format!(
                        "{}: the peak rate needs about {} replicas within the SLOs, but max is {}",
                        d.name,
                        if needed >= 1_000_000 { "more than a million".to_string() } else { needed.to_string() },
                        d.replicas_max
                    ),
                    "raise replicas.max (and the NodePools' limits), or shed or queue load at the peak",
                );
            }
        }
    }
    for u in &outcome.unplaced {
        // The fleet's own deployment (by its exact name) and, for a stage, the stage's fields.
        let path = spec
            .deployments
            .iter()
            .enumerate()
            .find_map(|(i, d)| {
                let fleet = d.fleets().into_iter().find(|f| f.name == u.deployment)?;
                Some(if fleet.role == "server" {
                    format!("spec.deployments[{i}]")
                } else {
                    format!("spec.deployments[{i}].{}", fleet.role)
                })
            })
            .unwrap_or_else(|| "spec.deployments[0]".to_string());
        add(
            "TF019",
            Severity::Warning,
            path,
            format!("{} pod(s) of {} cannot be placed: {}", u.replicas, u.deployment, u.reason),
            "allow instance types that fit, raise limits, or add tolerations",
        );
    }
    lint_commitments(plan, outcome, &mut out);
    super::dynamic::lint_dynamic(plan, outcome, &mut out);
    super::dynamic::lint_node_cache(plan, outcome, &mut out);
    super::dynamic::lint_placeholders(plan, &mut out);
    super::warm::lint_warm(plan, &mut out);
    super::mig::lint_mig(plan, &mut out);
    super::mig::suggest_mig(plan, outcome, &mut out);
    out
}

pub(super) fn resource_of(t: &InstanceType, resource: &str) -> f64 {
    match resource {
        "cpu" => t.vcpu as f64,
        "memory" => t.memory_mib as f64 * 1024.0 * 1024.0,
        "nvidia.com/gpu" if t.is_nvidia() => t.accelerator_count as f64,
        "aws.amazon.com/neuron" if t.is_neuron() => t.accelerator_count as f64,
        "aws.amazon.com/neuroncore" => t.neuron_core_count as f64,
        _ => 0.0,
    }
}

pub(super) fn format_amount(resource: &str, value: f64) -> String {
    if resource == "memory" {
        format!("{}Gi", (value / (1024.0 * 1024.0 * 1024.0)).round())
    } else {
        format!("{value}")
    }
}

/// Why the chips a fleet's replicas landed on cannot run its precision (BF16 on T4, FP8 on A10G), when
/// every one of them cannot: the engine refuses to start (vLLM: "Bfloat16 is only supported on GPUs
/// with compute capability of at least 8.0"), so the exported Deployment would crash-loop.
fn unsupported_precision(
    plan: &Plan,
    outcome: &place::Outcome,
    d: &place::DeploymentOutcome,
    index: usize,
) -> Option<String> {
    let deployment = plan.spec.deployments.get(index)?;
    let precision = plan::precision_of(&deployment.precision)?;
    let chips: Vec<&crate::catalog::Accelerator> = outcome
        .pools
        .iter()
        .filter(|p| d.node_pools.contains(&p.name))
        .flat_map(|p| &p.nodes)
        .filter_map(|g| crate::catalog::instance_type(&g.instance_type))
        .filter_map(crate::catalog::accelerator_of)
        .collect();
    if chips.is_empty() || chips.iter().any(|chip| precision.peak_tflops(chip).is_ok()) {
        return None;
    }
    let names: std::collections::BTreeSet<&str> = chips.iter().map(|c| c.name.as_str()).collect();
    Some(format!(
        "{}: {} is not supported on {} (where its replicas are placed): the engine refuses to start",
        d.name,
        deployment.precision,
        names.into_iter().collect::<Vec<_>>().join(", ")
    ))
}

/// TF056: a Savings Plan or Reserved Instance that covers nothing the NodePools launch on demand (a
/// Savings Plan without rates in the overlay, a Reserved Instance of a type no pool allows); TF057:
/// one mostly unused at the placement's hour.
fn lint_commitments(plan: &Plan, outcome: &place::Outcome, out: &mut Vec<Finding>) {
    let rates = plan.commitment_rates();
    let on_demand_types: Vec<&str> = plan
        .spec
        .node_pools
        .iter()
        .filter(|p| p.capacity_types.iter().any(|c| *c != CapacityType::Spot))
        .flat_map(pool_instance_types)
        .map(|t| t.name.as_str())
        .collect();
    let used = outcome.summary.commitments.as_ref().map(|c| c.items.as_slice()).unwrap_or_default();
    for (i, (c, r)) in plan.spec.commitments.iter().zip(&rates).enumerate() {
        let path = format!("spec.commitments[{i}]");
        let kind = match c.kind {
            plan::CommitmentKind::SavingsPlan => "Savings Plan",
            plan::CommitmentKind::ReservedInstance => "Reserved Instance",
        };
        if !r.rates.iter().any(|(t, _)| on_demand_types.contains(&t.as_str())) {
            let why = if r.rates.is_empty() {
                "the price overlay (spec.prices) holds no rate of its plan type, term and payment option".to_string()
            } else {
                "no NodePool launches its instance types on demand".to_string()
            };
            out.push(Finding::new(
                "TF056",
                Severity::Warning,
                path,
                format!("{kind} {} covers nothing in this plan ({why}); its {:.2} USD/hour is paid anyway", c.name, r.fee_usd_per_hour),
                "import its rates (`aws savingsplans describe-savings-plans-offering-rates`, `tokenfleet prices import`), or allow its instance types on demand in a NodePool",
            ));
        } else if let Some(u) =
            used.get(i).filter(|u| u.fee_usd_per_hour > 0.0 && u.used_usd_per_hour < 0.5 * u.fee_usd_per_hour)
        {
            out.push(Finding::new(
                "TF057",
                Severity::Info,
                path,
                format!(
                    "{kind} {} is {:.0} % unused at the placement's hour: {:.2} of {:.2} USD/hour covers usage",
                    c.name,
                    100.0 * (1.0 - u.used_usd_per_hour / u.fee_usd_per_hour),
                    u.used_usd_per_hour,
                    u.fee_usd_per_hour
                ),
                "prefer its instance types (NodePool weights, a NodeOverlay price), or see the simulated day's unused commitment",
            ));
        }
    }
}
