//! Reading a Plan from YAML or JSON text, and checking its values.

use std::fmt;

use super::tree::{self, Node};
use super::{AutoscalerKind, Mode, Plan, StageKind, API_VERSION, KIND};

/// Inputs larger than this are refused before parsing.
pub const MAX_INPUT_BYTES: usize = 5 * 1024 * 1024;

/// Why a Plan could not be read: what, where (field path, line and column when known), and the fix.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanError {
    /// Dotted field path (`spec.nodePools[0].weight`), empty when the document as a whole is wrong.
    pub path: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub message: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: ")?,
            (Some(line), None) => write!(f, "line {line}: ")?,
            _ => {}
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for PlanError {}

impl PlanError {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> PlanError {
        PlanError { path: path.into(), line: None, column: None, message: message.into() }
    }
}

/// Parses a Plan from YAML or JSON and validates its values.
pub fn parse_plan(text: &str) -> Result<Plan, PlanError> {
    parse_plan_located(text).map(|(plan, _)| plan)
}

/// Like [`parse_plan`], and also returns the located tree of the text, so that callers (the linter)
/// can turn field paths into lines.
pub fn parse_plan_located(text: &str) -> Result<(Plan, Option<Node>), PlanError> {
    let (plan, root) = read_located(text)?;
    if let Some(mut error) = validate(&plan).into_iter().next() {
        let (line, column) = root.locate(&error.path);
        error.line = Some(trace_csv_line(text, &error.path, &error.message, line).unwrap_or(line));
        error.column = Some(column);
        return Err(error);
    }
    Ok((plan, Some(root)))
}

/// A Plan and its located tree, read but not validated.
fn read_located(text: &str) -> Result<(Plan, Node), PlanError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(PlanError::at(
            "",
            format!("input is {} bytes; plans are limited to 5 MiB ({MAX_INPUT_BYTES} bytes)", text.len()),
        ));
    }
    // JSON is YAML's flow style: serde-saphyr reads both, into the Plan's derived `Deserialize`
    // (errors with serde's words, line, column and field path) and into the located tree that
    // validation errors and the linter take their lines from.
    let mut plan: Plan = crate::yaml::from_str(text).map_err(|e| PlanError {
        path: e.path,
        line: Some(e.line).filter(|l| *l > 0),
        column: Some(e.column).filter(|c| *c > 0),
        message: e.message,
    })?;
    let root = tree::parse_document(text).map_err(|e| PlanError {
        path: String::new(),
        line: Some(e.line),
        column: Some(e.column),
        message: e.message,
    })?;
    quantised_checkpoint_defaults(&mut plan, &root);
    Ok((plan, root))
}

/// A deployment that names no precision runs its model's published checkpoint as it is when that is
/// quantised (FP8 for DeepSeek-V3/R1, MXFP4 for gpt-oss): serving it in BF16 would need a checkpoint
/// nobody published and twice to four times the memory. 16-bit checkpoints keep the `bf16` default.
fn quantised_checkpoint_defaults(plan: &mut Plan, root: &Node) {
    for (i, d) in plan.spec.deployments.iter_mut().enumerate() {
        if root.at(&format!("spec.deployments[{i}].precision")).is_some() {
            continue;
        }
        let published = crate::catalog::model(&d.model).map(|m| m.checkpoint_precision.as_str()).unwrap_or("");
        if matches!(published, "fp8" | "mxfp4" | "nvfp4") {
            d.precision = published.to_string();
        }
    }
}

/// The file line of an error (`path`, `message`) on a line of an inline trace written as a YAML
/// literal block (`csv: |`), whose content starts on `block_line`: block lines are the CSV's lines,
/// one for one. `None` for other errors and other styles.
pub(crate) fn trace_csv_line(text: &str, path: &str, message: &str, block_line: u64) -> Option<u64> {
    if path != "spec.workload.trace.csv" {
        return None;
    }
    let csv_line: u64 = message.strip_prefix("CSV line ")?.split(':').next()?.parse().ok()?;
    let before = text.lines().nth(usize::try_from(block_line.checked_sub(2)?).ok()?)?;
    let indicator = before.split_once("csv:")?.1.split('#').next()?.trim();
    (indicator.starts_with('|') && csv_line >= 1).then(|| block_line + csv_line - 1)
}

/// Reads a Plan's structure (types, field names) without checking its values, for the linter,
/// which reports value errors as findings next to everything else.
pub fn parse_plan_unchecked(text: &str) -> Result<(Plan, Option<Node>), PlanError> {
    read_located(text).map(|(plan, root)| (plan, Some(root)))
}

/// For each name, whether an earlier one is the same (so each repeat is reported where it repeats).
pub(crate) fn repeats<'a>(names: impl Iterator<Item = &'a str>) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    names.map(|name| !seen.insert(name)).collect()
}

/// Whether a name can be a Kubernetes object name that is also a label value: a DNS-1123 subdomain
/// (lowercase letters, digits, `-`, and `.` between labels) of at most 63 characters.
pub fn is_dns_label(name: &str) -> bool {
    name.len() <= 63 && crate::k8s::is_dns1123_subdomain(name)
}

/// Every value error of a plan, each naming its field path (without line: [`parse_plan`] adds it).
/// Softer problems (pitfalls, questionable choices) are the linter's job, not errors here.
pub fn validate(plan: &Plan) -> Vec<PlanError> {
    let mut errors = Vec::new();
    let mut err = |path: String, message: String| errors.push(PlanError::at(path, message));
    if plan.api_version != API_VERSION {
        err("apiVersion".into(), format!("expected {API_VERSION}, found {:?}", plan.api_version));
    }
    if plan.kind != KIND {
        err("kind".into(), format!("expected {KIND}, found {:?}", plan.kind));
    }
    if !is_dns_label(&plan.metadata.name) {
        err(
            "metadata.name".into(),
            format!("{:?} is not a valid name: use lowercase letters, digits and '-'", plan.metadata.name),
        );
    }
    let spec = &plan.spec;
    if let Some(cluster) = &spec.cluster {
        // Written into every EC2NodeClass's discovery tags (and its default role), where the CRD's CEL
        // rules refuse an empty value.
        if cluster.name.is_empty() {
            err("spec.cluster.name".into(), "name the EKS cluster".into());
        }
        if cluster.node_role.as_deref() == Some("") {
            err(
                "spec.cluster.nodeRole".into(),
                "the EC2NodeClass's role cannot be empty: name it or leave it out".into(),
            );
        }
    }
    if !crate::catalog::PRICE_REGIONS.contains(&spec.region.as_str()) {
        err(
            "spec.region".into(),
            format!("unknown region {:?}; priced regions: {}", spec.region, crate::catalog::PRICE_REGIONS.join(", ")),
        );
    }
    let w = &spec.workload;
    for (name, value) in [("baseline", w.requests_per_second.baseline), ("peak", w.requests_per_second.peak)] {
        if !value.is_finite() || value < 0.0 {
            err(
                format!("spec.workload.requestsPerSecond.{name}"),
                format!("{value} is not a request rate (requests/s, 0 or more)"),
            );
        }
    }
    if w.requests_per_second.peak < w.requests_per_second.baseline {
        err(
            "spec.workload.requestsPerSecond.peak".into(),
            format!(
                "peak {} is below baseline {}; the peak is the highest rate",
                w.requests_per_second.peak, w.requests_per_second.baseline
            ),
        );
    }
    if let Some(trace) = &w.trace {
        check_trace(&mut err, plan, trace);
    }
    for (name, d) in [("inputTokens", &w.input_tokens), ("outputTokens", &w.output_tokens)] {
        if !d.mean.is_finite() || d.mean < 0.0 {
            err(format!("spec.workload.{name}.mean"), format!("{} is not a token count", d.mean));
        }
        if let Some(p90) = d.p90 {
            if !p90.is_finite() || p90 < 0.0 {
                err(format!("spec.workload.{name}.p90"), format!("{p90} is not a token count"));
            }
        }
    }
    for (i, slo) in w.slos.iter().enumerate() {
        if !(slo.percentile > 0.0 && slo.percentile < 100.0) {
            err(format!("spec.workload.slos[{i}].percentile"), format!("{} is not between 0 and 100", slo.percentile));
        }
        if !(slo.limit_ms.is_finite() && slo.limit_ms > 0.0) {
            err(format!("spec.workload.slos[{i}].limitMs"), format!("{} is not a positive limit in ms", slo.limit_ms));
        }
    }
    if let Some(t) = w.request_timeout_seconds {
        if !(t.is_finite() && t > 0.0 && t <= 86_400.0) {
            err(
                "spec.workload.requestTimeoutSeconds".into(),
                format!("{t} is not a timeout: seconds, more than 0 and at most 86400"),
            );
        }
    }
    let repeated = repeats(spec.deployments.iter().map(|d| d.name.as_str()));
    // The names of the objects each deployment exports (its own, or its prefill and decode stages'):
    // a deployment named like another's stage would write two objects of the same name.
    let mut generated: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, d) in spec.deployments.iter().enumerate() {
        if d.mode == Mode::Disaggregated {
            for stage in [StageKind::Prefill, StageKind::Decode] {
                generated.entry(format!("{}-{}", d.name, stage.as_str())).or_insert(i);
            }
        }
        // Placeholder pods are a Deployment `<fleet>-placeholder`.
        for fleet in d.fleets() {
            if fleet.warm_capacity.is_some_and(|w| w.kind == super::WarmCapacityKind::PlaceholderPods) {
                generated.entry(format!("{}-placeholder", fleet.name)).or_insert(i);
            }
        }
    }
    for (i, d) in spec.deployments.iter().enumerate() {
        let path = |field: &str| format!("spec.deployments[{i}].{field}");
        if !crate::k8s::is_dns1035_label(&d.name) || d.name.len() > 40 {
            err(
                path("name"),
                format!(
                    "{:?} is not a valid name: lowercase letters, digits and '-', starting with a letter, at most 40 \
                     (it names a Service, a DNS-1035 label)",
                    d.name
                ),
            );
        } else if let Some(owner) = generated.get(d.name.as_str()).filter(|owner| **owner != i) {
            let other = &spec.deployments[*owner].name;
            let message = if d.name.ends_with("-placeholder") {
                format!(
                    "{:?} is also the name of deployment {other:?}'s placeholder pods (warmCapacity): the export \
                     would hold two Deployments of that name; rename one",
                    d.name
                )
            } else {
                format!(
                    "{:?} is also the name of deployment {other:?}'s {} stage: the export would hold two \
                     Deployments, Services, autoscalers and PodDisruptionBudgets of that name; rename one",
                    d.name,
                    d.name.rsplit('-').next().unwrap_or_default()
                )
            };
            err(path("name"), message);
        }
        for (key, value) in &d.node_selector {
            let at = path(&format!("nodeSelector.{key}"));
            if !crate::k8s::is_qualified_name(key) {
                err(at.clone(), format!("{key:?} is not a label key (an optional DNS prefix and '/', then a name)"));
            }
            if !crate::k8s::is_label_value(value) {
                err(at, format!("{value:?} is not a label value (at most 63 letters, digits, '-', '_' or '.')"));
            }
        }
        for (j, t) in d.tolerations.iter().enumerate() {
            if !crate::k8s::is_qualified_name(&t.key) {
                err(path(&format!("tolerations[{j}].key")), format!("{:?} is not a taint key", t.key));
            }
            if let Some(effect) = &t.effect {
                if !crate::k8s::TAINT_EFFECTS.contains(&effect.as_str()) {
                    err(
                        path(&format!("tolerations[{j}].effect")),
                        format!("{effect:?} is not NoSchedule, PreferNoSchedule or NoExecute"),
                    );
                }
            }
            if let Some(op) = &t.operator {
                if !["Equal", "Exists"].contains(&op.as_str()) {
                    err(path(&format!("tolerations[{j}].operator")), format!("{op:?} is not Equal or Exists"));
                }
            }
        }
        if repeated[i] {
            err(path("name"), format!("a deployment named {:?} already exists", d.name));
        }
        if d.model.trim().is_empty() {
            err(path("model"), "name the model (a Hugging Face repo id)".into());
        }
        if !PRECISIONS.contains(&d.precision.as_str()) {
            err(path("precision"), format!("{:?} is not one of {}", d.precision, PRECISIONS.join(", ")));
        }
        if crate::perf::Engine::parse(&d.engine).is_none() {
            err(
                path("engine"),
                format!(
                    "{:?} is not a known engine: vllm, tgi, tensorrt-llm, sglang, nim, neuron, transformers",
                    d.engine
                ),
            );
        }
        let context = crate::catalog::model(&d.model).map(|m| m.context_tokens).filter(|c| *c > 0);
        if let Some(len) = d.max_model_len {
            if len == 0 {
                err(path("maxModelLen"), "must be at least 1 token".into());
            } else if let Some(context) = context.filter(|c| len > *c) {
                err(
                    path("maxModelLen"),
                    format!("{len} tokens is more than {}'s context of {context} tokens", d.model),
                );
            }
        }
        if let Some(context) = context {
            let (input, output) = (&spec.workload.input_tokens, &spec.workload.output_tokens);
            let longest = |t: &super::TokenDistribution| t.p90.unwrap_or(t.mean);
            if input.mean + output.mean > context as f64 {
                err(
                    "spec.workload.inputTokens.mean".into(),
                    format!(
                        "a mean request of {} + {} tokens is longer than {}'s context of {context} tokens \
                         (deployment {:?}): the engine refuses such requests",
                        input.mean, output.mean, d.model, d.name
                    ),
                );
            } else if longest(input) + longest(output) > context as f64 {
                err(
                    "spec.workload.inputTokens.p90".into(),
                    format!(
                        "p90 requests of {} + {} tokens are longer than {}'s context of {context} tokens \
                         (deployment {:?}): the engine refuses them",
                        longest(input),
                        longest(output),
                        d.model,
                        d.name
                    ),
                );
            }
        }
        if d.tensor_parallel == 0 || d.tensor_parallel > MAX_TENSOR_PARALLEL {
            err(path("tensorParallel"), format!("must be between 1 and {MAX_TENSOR_PARALLEL}"));
        }
        check_bounds(&mut err, path("replicas"), d.replicas);
        if let Some(warm) = &d.warm_capacity {
            if d.mode == Mode::Disaggregated {
                err(
                    path("warmCapacity"),
                    "a disaggregated deployment keeps warm capacity per stage: set prefill.warmCapacity and/or \
                     decode.warmCapacity"
                        .into(),
                );
            } else {
                check_warm(&mut err, path("warmCapacity"), warm);
            }
        }
        if let Some(image) = &d.image {
            // The API server requires a container's image; whitespace makes it an unpullable reference.
            if image.is_empty() || image.contains(char::is_whitespace) {
                err(path("image"), format!("{image:?} is not an image reference (registry/name:tag, no spaces)"));
            }
        }
        if let Some(u) = d.gpu_memory_utilization {
            // The export writes three decimals: a smaller fraction would be written as 0.
            if !(0.001..=1.0).contains(&u) {
                err(path("gpuMemoryUtilization"), format!("{u} is not a fraction between 0.001 and 1"));
            }
        }
        match d.mode {
            Mode::Disaggregated => {
                for (stage_name, stage) in [("prefill", &d.prefill), ("decode", &d.decode)] {
                    match stage {
                        None => err(path(stage_name), format!("disaggregated mode needs a {stage_name} stage")),
                        Some(stage) => {
                            check_bounds(&mut err, path(&format!("{stage_name}.replicas")), stage.replicas);
                            if let Some(warm) = &stage.warm_capacity {
                                check_warm(&mut err, path(&format!("{stage_name}.warmCapacity")), warm);
                            }
                            if stage.tensor_parallel.is_some_and(|tp| tp == 0 || tp > MAX_TENSOR_PARALLEL) {
                                err(
                                    path(&format!("{stage_name}.tensorParallel")),
                                    format!("must be between 1 and {MAX_TENSOR_PARALLEL}"),
                                );
                            }
                            if let Some(pool) = &stage.node_pool {
                                if plan.node_pool(pool).is_none() {
                                    err(path(&format!("{stage_name}.nodePool")), format!("no NodePool named {pool:?}"));
                                }
                            }
                        }
                    }
                }
                // A stage's pods select their NodePool with this label, and import reads it back as
                // the stage's nodePool, so it must name one.
                if let Some(pool) = d.node_selector.get("karpenter.sh/nodepool") {
                    if plan.node_pool(pool).is_none() {
                        err(path("nodeSelector.karpenter.sh/nodepool"), format!("no NodePool named {pool:?}"));
                    }
                }
            }
            Mode::Monolithic => {
                for (stage_name, stage) in [("prefill", &d.prefill), ("decode", &d.decode)] {
                    if stage.is_some() {
                        err(path(stage_name), format!("{stage_name} is only used with mode: disaggregated"));
                    }
                }
            }
        }
        check_levers(&mut err, i, d);
        if let Some(a) = &d.autoscaler {
            if a.metrics.is_empty() {
                err(path("autoscaler.metrics"), "name at least one metric".into());
            }
            for (j, m) in a.metrics.iter().enumerate() {
                if !(m.target.is_finite() && m.target > 0.0) {
                    err(
                        path(&format!("autoscaler.metrics[{j}].target")),
                        format!("{} is not a positive target", m.target),
                    );
                }
            }
            if a.cooldown_period_seconds.is_some() && a.kind != AutoscalerKind::Keda {
                err(
                    path("autoscaler.cooldownPeriodSeconds"),
                    "a cooldown to zero is KEDA's (kind: keda); an HPA keeps at least one replica".into(),
                );
            }
        }
    }
    let repeated = repeats(spec.node_pools.iter().map(|p| p.name.as_str()));
    for (i, p) in spec.node_pools.iter().enumerate() {
        let path = |field: &str| format!("spec.nodePools[{i}].{field}");
        if !is_dns_label(&p.name) {
            err(path("name"), format!("{:?} is not a valid name: lowercase letters, digits and '-'", p.name));
        }
        if repeated[i] {
            err(path("name"), format!("a NodePool named {:?} already exists", p.name));
        }
        if let Some(w) = p.weight {
            if !(1..=100).contains(&w) {
                err(path("weight"), format!("{w} is outside 1–100"));
            }
        }
        if let Some(replicas) = p.replicas {
            // The NodePool CRD's CEL rules for static NodePools.
            if p.weight.is_some() {
                err(
                    path("weight"),
                    "'weight' is not supported on static NodePools (replicas is set): remove the weight or the \
                     replicas"
                        .into(),
                );
            }
            for resource in p.limits.keys().filter(|r| r.as_str() != "nodes") {
                err(
                    path(&format!("limits.{resource}")),
                    "only 'limits.nodes' is supported on static NodePools (replicas is set)".into(),
                );
            }
            if replicas > MAX_REPLICAS {
                err(path("replicas"), format!("{replicas} is more than {MAX_REPLICAS} nodes"));
            }
        }
        if p.capacity_types.is_empty() {
            err(path("capacityTypes"), "name at least one of reserved, spot, on-demand".into());
        }
        if plan.node_class(&p.node_class).is_none() {
            err(path("nodeClass"), format!("no node class named {:?}", p.node_class));
        }
        for (j, t) in p.taints.iter().enumerate() {
            if !crate::k8s::TAINT_EFFECTS.contains(&t.effect.as_str()) {
                err(
                    path(&format!("taints[{j}].effect")),
                    format!("{:?} is not NoSchedule, PreferNoSchedule or NoExecute", t.effect),
                );
            }
            if !crate::k8s::is_qualified_name(&t.key) {
                err(
                    path(&format!("taints[{j}].key")),
                    format!("{:?} is not a taint key (an optional DNS prefix and '/', then a name)", t.key),
                );
            }
            if t.value.as_deref().is_some_and(|v| !crate::k8s::is_label_value(v)) {
                err(path(&format!("taints[{j}].value")), format!("{:?} is not a taint value", t.value));
            }
        }
        check_pool_fields(&mut err, i, p);
    }
    super::mig::check(plan, &mut err);
    let repeated = repeats(spec.node_classes.iter().map(|c| c.name.as_str()));
    for (i, c) in spec.node_classes.iter().enumerate() {
        let path = |field: &str| format!("spec.nodeClasses[{i}].{field}");
        if !is_dns_label(&c.name) {
            err(path("name"), format!("{:?} is not a valid name: lowercase letters, digits and '-'", c.name));
        }
        if repeated[i] {
            err(path("name"), format!("a node class named {:?} already exists", c.name));
        }
        if !["bottlerocket", "al2023"].contains(&c.ami.as_str()) {
            err(path("ami"), format!("{:?} is not bottlerocket or al2023", c.ami));
        }
        if c.disk_gib.is_some_and(|gib| gib > crate::k8s::MAX_GP3_VOLUME_GIB) {
            err(
                path("diskGiB"),
                format!(
                    "{} GiB is more than a gp3 data volume holds ({} GiB)",
                    c.disk_gib.unwrap_or_default(),
                    crate::k8s::MAX_GP3_VOLUME_GIB
                ),
            );
        }
        if c.disk_gib == Some(0) {
            err(path("diskGiB"), "must be at least 1".into());
        }
        if let Some(cache) = &c.image_cache {
            if !is_snapshot_id(&cache.snapshot_id) {
                err(
                    path("imageCache.snapshotId"),
                    format!("{:?} is not an EBS snapshot id (snap- and hexadecimal digits)", cache.snapshot_id),
                );
            }
            if c.ami != "bottlerocket" {
                err(
                    path("imageCache"),
                    format!(
                        "an image cache is Bottlerocket's data volume (/dev/xvdb) made from a snapshot; on {} the \
                         images live on the root volume, which comes from the AMI: bake them into a custom AMI, or \
                         use ami: bottlerocket",
                        c.ami
                    ),
                );
            }
            for (j, image) in cache.images.iter().enumerate() {
                if image.is_empty() || image.len() > 512 || image.contains(|ch: char| ch.is_whitespace() || ch == ',') {
                    err(
                        path(&format!("imageCache.images[{j}]")),
                        format!("{image:?} is not an image reference (registry/name:tag, no spaces or commas)"),
                    );
                }
            }
        }
        for (j, r) in c.capacity_reservations.iter().enumerate() {
            let ok = r.id.len() > 3
                && r.id.starts_with("cr-")
                && r.id[3..].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if !ok {
                err(
                    path(&format!("capacityReservations[{j}].id")),
                    format!("{:?} is not a reservation id (cr-…)", r.id),
                );
            }
            if !["odcr", "capacity-block"].contains(&r.kind.as_str()) {
                err(
                    path(&format!("capacityReservations[{j}].kind")),
                    format!("{:?} is not odcr or capacity-block", r.kind),
                );
            }
            if r.count > MAX_REPLICAS {
                err(
                    path(&format!("capacityReservations[{j}].count")),
                    format!("{} is more than {MAX_REPLICAS} instances", r.count),
                );
            }
            if crate::catalog::instance_type(&r.instance_type).is_none() {
                err(
                    path(&format!("capacityReservations[{j}].instanceType")),
                    format!("unknown instance type {:?}", r.instance_type),
                );
            }
            if let Some(Err(message)) = r.end_epoch_s() {
                err(path(&format!("capacityReservations[{j}].endTime")), message);
            }
            if let Some(zone) = &r.availability_zone {
                if !is_zone_of(zone, &spec.region) {
                    err(
                        path(&format!("capacityReservations[{j}].availabilityZone")),
                        format!(
                            "{zone:?} is not an availability zone of {} (a zone name such as {}a)",
                            spec.region, spec.region
                        ),
                    );
                }
            }
        }
    }
    if let Some(overlay) = &spec.prices {
        for (field, message) in overlay.problems() {
            err(format!("spec.prices.{field}"), message);
        }
    }
    if let Some(ca) = &spec.cluster_autoscaler {
        check_cluster_autoscaler(&mut err, plan, ca);
    }
    check_commitments(&mut err, &spec.commitments);
    errors
}

/// Savings Plans' types and payment options as `aws savingsplans` names them.
pub const SAVINGS_PLAN_TYPES: [&str; 2] = ["Compute", "EC2Instance"];
pub const PAYMENT_OPTIONS: [&str; 3] = ["No Upfront", "Partial Upfront", "All Upfront"];

fn check_commitments(err: &mut impl FnMut(String, String), commitments: &[super::Commitment]) {
    use super::CommitmentKind;
    let repeated = repeats(commitments.iter().map(|c| c.name.as_str()));
    for (i, c) in commitments.iter().enumerate() {
        let path = |field: &str| format!("spec.commitments[{i}].{field}");
        if c.name.trim().is_empty() || c.name.len() > 128 || c.name.contains(char::is_control) {
            err(path("name"), format!("{:?} is not a name (1–128 characters)", c.name));
        } else if repeated[i] {
            err(path("name"), format!("commitment {:?} is named twice", c.name));
        }
        if !(c.usd_per_hour.is_finite() && c.usd_per_hour > 0.0 && c.usd_per_hour <= 1e6) {
            err(path("usdPerHour"), format!("{} is not a rate in USD per hour above 0 (up to 1e6)", c.usd_per_hour));
        }
        if let Some(term) = c.term_years {
            if term != 1 && term != 3 {
                err(path("termYears"), format!("{term} is not a term; use 1 or 3"));
            }
        }
        if let Some(option) = &c.payment_option {
            if !PAYMENT_OPTIONS.contains(&option.as_str()) {
                err(
                    path("paymentOption"),
                    format!("{option:?} is not a payment option; use {}", PAYMENT_OPTIONS.join(", ")),
                );
            }
        }
        let absent = |err: &mut dyn FnMut(String, String), field: &str, present: bool, kind: &str| {
            if present {
                err(path(field), format!("a {kind} has no {field}"));
            }
        };
        match c.kind {
            CommitmentKind::SavingsPlan => {
                match c.plan_type.as_deref() {
                    None => err(
                        path("planType"),
                        format!("a Savings Plan needs its planType: {}", SAVINGS_PLAN_TYPES.join(" or ")),
                    ),
                    Some(t) if !SAVINGS_PLAN_TYPES.contains(&t) => err(
                        path("planType"),
                        format!("{t:?} is not a Savings Plan type; use {}", SAVINGS_PLAN_TYPES.join(" or ")),
                    ),
                    Some(t) => {
                        let family = c.instance_family.as_deref();
                        if t == "EC2Instance" && family.is_none() {
                            err(
                                path("instanceFamily"),
                                "an EC2 Instance Savings Plan covers one instance family (g6e)".into(),
                            );
                        }
                        if t == "Compute" && family.is_some() {
                            err(
                                path("instanceFamily"),
                                "a Compute Savings Plan covers every family; instanceFamily is for EC2Instance plans"
                                    .into(),
                            );
                        }
                    }
                }
                if let Some(f) = &c.instance_family {
                    if !crate::catalog::instance_types().iter().any(|t| &t.family == f) {
                        err(path("instanceFamily"), format!("{f:?} is not an instance family of the catalog"));
                    }
                }
                if c.term_years.is_none() {
                    err(path("termYears"), "a Savings Plan's rates depend on its term: 1 or 3".into());
                }
                if c.payment_option.is_none() {
                    err(
                        path("paymentOption"),
                        format!("a Savings Plan's rates depend on its payment option: {}", PAYMENT_OPTIONS.join(", ")),
                    );
                }
                absent(err, "instanceType", c.instance_type.is_some(), "Savings Plan");
                absent(err, "count", c.count.is_some(), "Savings Plan");
            }
            CommitmentKind::ReservedInstance => {
                match c.instance_type.as_deref() {
                    None => err(path("instanceType"), "a Reserved Instance names its instance type".into()),
                    Some(t) if crate::catalog::instance_type(t).is_none() => {
                        err(path("instanceType"), format!("{t:?} is not an instance type of the catalog"))
                    }
                    Some(_) => {}
                }
                match c.count {
                    None => err(path("count"), "a Reserved Instance says how many instances it covers".into()),
                    Some(n) if n == 0 || n > MAX_REPLICAS => {
                        err(path("count"), format!("{n} is not a count from 1 to {MAX_REPLICAS}"))
                    }
                    Some(_) => {}
                }
                absent(err, "planType", c.plan_type.is_some(), "Reserved Instance");
                absent(err, "instanceFamily", c.instance_family.is_some(), "Reserved Instance");
            }
        }
    }
}

fn check_cluster_autoscaler(err: &mut impl FnMut(String, String), plan: &Plan, ca: &super::ClusterAutoscaler) {
    let durations = [
        ("scanInterval", &ca.scan_interval),
        ("scaleDownDelayAfterAdd", &ca.scale_down_delay_after_add),
        ("scaleDownDelayAfterDelete", &ca.scale_down_delay_after_delete),
        ("scaleDownUnneededTime", &ca.scale_down_unneeded_time),
        ("maxNodeProvisionTime", &ca.max_node_provision_time),
    ];
    for (field, value) in durations {
        let Some(text) = value else { continue };
        let path = format!("spec.clusterAutoscaler.{field}");
        match crate::duration::parse_duration_s(text, &path) {
            Ok(s) if s > 7.0 * 86_400.0 => err(path, format!("{text:?} is longer than 7 days")),
            Ok(s) if field == "scanInterval" && s < 1.0 => err(path, format!("{text:?} is shorter than 1s")),
            Ok(_) => {}
            Err(e) => err(path, e.to_string()),
        }
    }
    if let Some(expander) = &ca.expander {
        for name in expander.split(',') {
            if !super::CLUSTER_AUTOSCALER_EXPANDERS.contains(&name.trim()) {
                err(
                    "spec.clusterAutoscaler.expander".into(),
                    format!("{name:?} is not an expander; use {}", super::CLUSTER_AUTOSCALER_EXPANDERS.join(", ")),
                );
            }
        }
    }
    if let Some(t) = ca.scale_down_utilization_threshold {
        if !(t > 0.0 && t <= 1.0) {
            err(
                "spec.clusterAutoscaler.scaleDownUtilizationThreshold".into(),
                format!("{t} is not a fraction in (0, 1]"),
            );
        }
    }
    let repeated = repeats(ca.node_groups.iter().map(|g| g.name.as_str()));
    for (i, g) in ca.node_groups.iter().enumerate() {
        let path = |field: &str| format!("spec.clusterAutoscaler.nodeGroups[{i}].{field}");
        // Auto Scaling group names: 1–255 characters, no colon (eksctl's node group names are DNS-like).
        if g.name.is_empty() || g.name.len() > 255 || g.name.contains(':') || g.name.contains(char::is_control) {
            err(path("name"), format!("{:?} is not a node group name (1–255 characters, no ':')", g.name));
        } else if repeated[i] {
            err(path("name"), format!("node group {:?} is named twice", g.name));
        }
        if !plan.spec.node_pools.iter().any(|p| p.name == g.node_pool) {
            err(path("nodePool"), format!("no NodePool named {:?} in spec.nodePools", g.node_pool));
        }
        if g.max_size > MAX_REPLICAS {
            err(path("maxSize"), format!("{} is more than {MAX_REPLICAS} nodes", g.max_size));
        }
        if g.min_size > g.max_size {
            err(path("minSize"), format!("minSize {} is above maxSize {}", g.min_size, g.max_size));
        }
        if let Some(d) = g.desired_capacity {
            if d < g.min_size || d > g.max_size {
                err(
                    path("desiredCapacity"),
                    format!("{d} is outside minSize {} and maxSize {}", g.min_size, g.max_size),
                );
            }
        }
    }
}

/// Whether `zone` names an availability zone (or a Local Zone) of `region`: the region, then a zone
/// letter (`us-east-1a`) or a Local Zone's group and letter (`us-west-2-lax-1a`).
fn is_zone_of(zone: &str, region: &str) -> bool {
    let Some(rest) = zone.strip_prefix(region) else { return false };
    !rest.is_empty()
        && rest.len() <= 16
        && rest.ends_with(|c: char| c.is_ascii_lowercase())
        && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && (rest.len() == 1 || rest.starts_with('-'))
}

/// Upper bounds that keep placement and simulation finite on hostile input.
/// The precisions a deployment can name: the performance model's, and INT4 by its method (`awq`,
/// `gptq`), which the engines' arguments need.
pub const PRECISIONS: [&str; 9] = ["bf16", "fp16", "fp8", "int8", "int4", "awq", "gptq", "mxfp4", "nvfp4"];

pub const MAX_REPLICAS: u32 = 10_000;
pub const MAX_TENSOR_PARALLEL: u32 = 512;

/// `spec.workload.trace`: exactly one of `file` and `csv`; an inline CSV within its size limit,
/// readable, and with requests the models' contexts hold, its errors naming the CSV's line. The CSV is
/// read once (validation runs on every edit in the app).
fn check_trace(err: &mut impl FnMut(String, String), plan: &Plan, trace: &super::TraceRef) {
    const PATH: &str = "spec.workload.trace";
    match (&trace.file, &trace.csv) {
        (Some(_), Some(_)) => err(
            PATH.into(),
            "set either file (a CSV file next to the plan) or csv (the CSV in the plan), not both".into(),
        ),
        (None, None) => err(
            PATH.into(),
            "set file (a CSV file next to the plan) or csv (the CSV in the plan), or remove trace".into(),
        ),
        (Some(file), None) => {
            if file.trim().is_empty() {
                err(format!("{PATH}.file"), "name the trace file".into());
            } else if let Some(why) = trace_file_escapes(file) {
                err(
                    format!("{PATH}.file"),
                    format!(
                        "{why}: a trace file is named relative to the plan's folder and stays inside it \
                         (e.g. traces/day.csv)"
                    ),
                );
            }
        }
        (None, Some(csv)) => {
            if csv.len() > super::trace::MAX_TRACE_CSV_BYTES {
                err(
                    format!("{PATH}.csv"),
                    format!(
                        "the trace is {} bytes; a trace in the plan is limited to {} bytes (256 KiB, a week at one \
                         row a minute): put a longer trace in a file (trace.file) and simulate it with the CLI",
                        csv.len(),
                        super::trace::MAX_TRACE_CSV_BYTES
                    ),
                );
            } else {
                match super::trace::parse_trace_csv_lines(csv) {
                    Err(e) => {
                        let e = if e.line().is_some() { format!("CSV {e}") } else { e.to_string() };
                        err(format!("{PATH}.csv"), e);
                    }
                    Ok(rows) => {
                        if let Some(e) = trace_rows_over_context(plan, &rows) {
                            err(format!("{PATH}.csv"), e);
                        }
                    }
                }
            }
        }
    }
}

/// Why a trace's rows cannot be served, if one cannot: the first row (by its CSV line) whose requests
/// (its token columns, else the workload's means) are longer than the smallest context of the plan's
/// models. Such requests used to be simulated as if they fitted; engines refuse them.
pub fn trace_rows_over_context(plan: &Plan, rows: &[(usize, super::trace::TraceRow)]) -> Option<String> {
    let (context, model) = plan
        .spec
        .deployments
        .iter()
        .filter_map(|d| crate::catalog::model(&d.model).map(|m| (m.context_tokens, d.model.as_str())))
        .filter(|(c, _)| *c > 0)
        .min_by_key(|(c, _)| *c)?;
    let w = &plan.spec.workload;
    rows.iter().find_map(|(line, row)| {
        let tokens =
            row.input_tokens.unwrap_or(w.input_tokens.mean) + row.output_tokens.unwrap_or(w.output_tokens.mean);
        (tokens > context as f64).then(|| {
            format!(
                "CSV line {line}: requests of {tokens} tokens are longer than {model}'s context of {context} tokens; \
                 the engine refuses them"
            )
        })
    })
}

/// Why a plan's `trace.file` would leave the plan's folder, if it would: an absolute path (or a
/// Windows drive or UNC prefix), or a `..` segment. Shells resolve the file against the plan's folder
/// and check what it is (a regular file, not too large) before reading it.
pub fn trace_file_escapes(file: &str) -> Option<&'static str> {
    let file = file.trim();
    if file.starts_with('/') || file.starts_with('\\') || file.as_bytes().get(1) == Some(&b':') || file.starts_with('~')
    {
        return Some("an absolute path");
    }
    if file.split(['/', '\\']).any(|segment| segment == "..") {
        return Some("a path through `..`");
    }
    None
}

/// A NodePool's fields that are written into its manifest as they are: limits (quantities), labels,
/// consolidation, expiry and disruption budgets, by the NodePool CRD's own patterns.
fn check_pool_fields(err: &mut impl FnMut(String, String), i: usize, p: &super::NodePool) {
    use crate::k8s;
    let path = |field: &str| format!("spec.nodePools[{i}].{field}");
    for (resource, value) in &p.limits {
        if !k8s::is_qualified_name(resource) {
            err(path(&format!("limits.{resource}")), format!("{resource:?} is not a resource name"));
        } else if let Err(e) = k8s::check_resource_quantity(resource, value) {
            err(path(&format!("limits.{resource}")), e);
        }
    }
    for (key, value) in &p.labels {
        if !k8s::is_qualified_name(key) {
            err(path(&format!("labels.{key}")), format!("{key:?} is not a label key"));
        } else if let Some(why) = k8s::node_label_restriction(key) {
            err(path(&format!("labels.{key}")), format!("{key:?} {why}: Karpenter refuses it on a NodePool"));
        }
        if !k8s::is_label_value(value) {
            err(
                path(&format!("labels.{key}")),
                format!("{value:?} is not a label value (at most 63 letters, digits, '-', '_' or '.')"),
            );
        }
    }
    let policy = p.consolidation.policy.as_str();
    if !k8s::CONSOLIDATION_POLICIES.contains(&policy) {
        let hint = match policy {
            "Never" => ": there is no Never policy; set consolidation.after: Never to switch consolidation off",
            "WhenUnderutilized" => ": WhenUnderutilized is the v1beta1 name; use WhenEmptyOrUnderutilized",
            _ => "",
        };
        err(
            path("consolidation.policy"),
            format!("{policy:?} is not one of {}{hint}", k8s::CONSOLIDATION_POLICIES.join(", ")),
        );
    }
    if let Some(after) = &p.consolidation.after {
        if !k8s::is_consolidate_after(after) {
            err(
                path("consolidation.after"),
                format!("{after:?} is not a duration with s, m or h units (30s, 5m, 1h30m) or Never"),
            );
        }
    }
    if let Some(expire) = &p.expire_after {
        if !k8s::is_expire_after(expire) {
            err(path("expireAfter"), format!("{expire:?} is not a duration with s, m or h units (720h) or Never"));
        }
    }
    for (j, b) in p.budgets.iter().enumerate() {
        let at = |field: &str| path(&format!("budgets[{j}].{field}"));
        if !k8s::is_budget_nodes(&b.nodes) {
            err(at("nodes"), format!("{:?} is not a node count (2) or a percentage from 0% to 100%", b.nodes));
        }
        if let Some(schedule) = &b.schedule {
            if let Err(e) = k8s::check_budget_schedule(schedule) {
                err(at("schedule"), e);
            }
        }
        if let Some(duration) = &b.duration {
            if !k8s::is_budget_duration(duration) {
                err(
                    at("duration"),
                    format!("{duration:?} is not a budget duration in hours and minutes (8h, 30m, 1h30m)"),
                );
            }
        }
        for (k, reason) in b.reasons.iter().enumerate() {
            if !k8s::BUDGET_REASONS.contains(&reason.as_str()) {
                err(
                    at(&format!("reasons[{k}]")),
                    format!("{reason:?} is not one of {}", k8s::BUDGET_REASONS.join(", ")),
                );
            }
        }
        if b.schedule.is_some() != b.duration.is_some() {
            err(path(&format!("budgets[{j}]")), "a budget's schedule and duration go together".into());
        }
    }
}

/// The snapshot id the recommender writes where a real one is needed (like `cr-replaceme` for
/// reservations): build the snapshot with the images and put its id here.
pub const SNAPSHOT_PLACEHOLDER: &str = "snap-0replaceme";

/// The reservation id prefix the recommender writes (`cr-replaceme0`, …): buy the reservations and put
/// their ids here.
pub const RESERVATION_PLACEHOLDER: &str = "cr-replaceme";

/// The bucket the recommender writes where weights or compiled artifacts go to S3
/// (`s3://replaceme/…`): upload them and put the real location here.
pub const S3_PLACEHOLDER: &str = "s3://replaceme";

/// An EBS snapshot id: `snap-` and hexadecimal digits (or [`SNAPSHOT_PLACEHOLDER`]).
pub fn is_snapshot_id(id: &str) -> bool {
    id == SNAPSHOT_PLACEHOLDER
        || id.strip_prefix("snap-").is_some_and(|hex| {
            (8..=32).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// An `s3://bucket[/prefix]` URI with a valid bucket name (3–63 lowercase letters, digits, '.', '-').
pub fn is_s3_uri(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("s3://") else { return false };
    let bucket = rest.split('/').next().unwrap_or_default();
    (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !uri.contains(char::is_whitespace)
}

/// A deployment's start-up levers: the weights' source with what it needs, and Neuron's compile cache.
fn check_levers(err: &mut impl FnMut(String, String), i: usize, d: &super::Deployment) {
    use super::WeightsSource;
    let path = |field: &str| format!("spec.deployments[{i}].{field}");
    let claim_ok = |claim: &str| crate::k8s::is_dns1123_subdomain(claim) && claim.len() <= 253;
    if let Some(w) = &d.weights {
        match (w.source, &w.uri) {
            (WeightsSource::S3Streamer, None) => {
                err(path("weights.uri"), "s3Streamer reads the weights from S3: set uri to s3://bucket/prefix".into())
            }
            (WeightsSource::S3Streamer, Some(uri)) if !is_s3_uri(uri) => err(
                path("weights.uri"),
                format!("{uri:?} is not an S3 URI (s3://bucket/prefix, a lowercase bucket name)"),
            ),
            (WeightsSource::S3Streamer, Some(_)) | (_, None) => {}
            (_, Some(_)) => err(path("weights.uri"), "uri is only used with source: s3Streamer".into()),
        }
        match (w.source, &w.volume_claim) {
            (WeightsSource::SharedFileSystem, None) => err(
                path("weights.volumeClaim"),
                "sharedFileSystem mounts the weights from a PersistentVolumeClaim: name it in volumeClaim".into(),
            ),
            (WeightsSource::SharedFileSystem, Some(claim)) if !claim_ok(claim) => err(
                path("weights.volumeClaim"),
                format!("{claim:?} is not a PersistentVolumeClaim name (lowercase letters, digits, '-' and '.')"),
            ),
            (WeightsSource::SharedFileSystem, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                err(path("weights.volumeClaim"), "volumeClaim is only used with source: sharedFileSystem".into())
            }
        }
        if w.node_cache && w.source != WeightsSource::Download {
            err(
                path("weights.nodeCache"),
                "nodeCache keeps downloaded weights on the node; with S3 or a shared file system there is no \
                 download to keep"
                    .into(),
            );
        }
    }
    if let Some(cache) = &d.compile_cache {
        if !super::is_neuron_engine(&d.engine) {
            err(
                path("compileCache"),
                format!("compiled artifacts are Neuron's (engine: neuron); {:?} does not compile ahead", d.engine),
            );
        }
        match (&cache.uri, &cache.volume_claim) {
            (Some(_), Some(_)) | (None, None) => {
                err(path("compileCache"), "set exactly one of uri (s3://…) and volumeClaim".into())
            }
            (Some(uri), None) if !is_s3_uri(uri) => err(
                path("compileCache.uri"),
                format!("{uri:?} is not an S3 URI (s3://bucket/prefix, a lowercase bucket name)"),
            ),
            (None, Some(claim)) if !claim_ok(claim) => err(
                path("compileCache.volumeClaim"),
                format!("{claim:?} is not a PersistentVolumeClaim name (lowercase letters, digits, '-' and '.')"),
            ),
            _ => {}
        }
    }
}

fn check_warm(err: &mut impl FnMut(String, String), path: String, warm: &super::WarmCapacity) {
    if warm.replicas > MAX_REPLICAS {
        err(format!("{path}.replicas"), format!("{} is more than {MAX_REPLICAS} replicas", warm.replicas));
    }
}

fn check_bounds(err: &mut impl FnMut(String, String), path: String, bounds: super::ReplicaBounds) {
    if bounds.max > MAX_REPLICAS {
        err(format!("{path}.max"), format!("{} is more than {MAX_REPLICAS} replicas", bounds.max));
    } else if bounds.min > bounds.max {
        err(path, format!("min {} is above max {}", bounds.min, bounds.max));
    } else if bounds.max == 0 {
        err(format!("{path}.max"), "must be at least 1".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Commitment;

    const GOOD: &str =
        "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata:\n  name: t\nspec:\n  region: us-east-1\n";

    #[test]
    fn value_errors_name_path_and_line() {
        let text = format!(
            "{GOOD}  nodePools:\n    - name: a\n      weight: 300\n      capacityTypes: [spot]\n      nodeClass: x\n"
        );
        let e = parse_plan(&text).unwrap_err();
        assert_eq!(e.path, "spec.nodePools[0].weight");
        assert_eq!(e.line, Some(9), "{e}");
    }

    #[test]
    fn each_repeated_name_is_reported_where_it_repeats() {
        let mut plan = parse_plan(crate::examples::EXAMPLES[0].1).unwrap();
        let spec = &mut plan.spec;
        let (d, p, c) = (spec.deployments[0].clone(), spec.node_pools[0].clone(), spec.node_classes[0].clone());
        let (nd, np, nc) = (spec.deployments.len(), spec.node_pools.len(), spec.node_classes.len());
        spec.deployments.extend([d.clone(), d]);
        spec.node_pools.push(p);
        spec.node_classes.push(c);
        let repeats: Vec<String> =
            validate(&plan).into_iter().filter(|e| e.message.contains("already exists")).map(|e| e.path).collect();
        let expected = [
            format!("spec.deployments[{nd}].name"),
            format!("spec.deployments[{}].name", nd + 1),
            format!("spec.nodePools[{np}].name"),
            format!("spec.nodeClasses[{nc}].name"),
        ];
        assert_eq!(repeats, expected);
    }

    use crate::catalog::CapacityType;

    const PRICED: &str = "  prices:\n    date: 2026-12-01\n    sources:\n      - {file: products.json, kind: pricingGetProducts, date: 2026-11-28}\n    entries:\n      g5.xlarge:\n        us-east-1:\n          onDemand: 2.5\n          savingsPlans:\n            - {planType: Compute, termYears: 1, paymentOption: No Upfront, usdPerHour: 0.61}\n";

    #[test]
    fn a_price_overlay_travels_with_the_plan() {
        let plan = parse_plan(&format!("{GOOD}{PRICED}")).unwrap();
        let overlay = plan.spec.prices.as_ref().unwrap();
        assert_eq!(overlay.date, "2026-12-01");
        assert_eq!(plan.price("g5.xlarge", CapacityType::OnDemand).unwrap().usd_per_hour, 2.5);
        assert_eq!(
            plan.price("g5.xlarge", CapacityType::Spot),
            crate::catalog::prices::price("g5.xlarge", "us-east-1", CapacityType::Spot)
        );
        // Written and read back, the same plan (and the same text).
        let text = plan.to_yaml();
        assert_eq!(parse_plan(&text).unwrap(), plan);
        assert_eq!(parse_plan(&text).unwrap().to_yaml(), text);
        assert_eq!(parse_plan(&plan.to_json()).unwrap(), plan);
    }

    #[test]
    fn a_bad_overlay_price_is_an_error_at_its_field() {
        let e = parse_plan(&format!("{GOOD}{}", PRICED.replace("onDemand: 2.5", "onDemand: -2.5"))).unwrap_err();
        assert_eq!(e.path, "spec.prices.entries.g5.xlarge.us-east-1.onDemand", "{e}");
        let e = parse_plan(&format!("{GOOD}{}", PRICED.replace("date: 2026-12-01", "date: yesterday"))).unwrap_err();
        assert_eq!((e.path.as_str(), e.line), ("spec.prices.date", Some(8)), "{e}");
    }

    #[test]
    fn a_reservation_end_is_an_rfc3339_date_time() {
        let mut plan = example("stable-reserved");
        let r = &mut plan.spec.node_classes[0].capacity_reservations[0];
        r.end_time = Some("2026-12-10T11:30:00.000Z".to_string());
        assert!(validate(&plan).is_empty());
        plan.spec.node_classes[0].capacity_reservations[0].end_time = Some("next tuesday".to_string());
        let errors = validate(&plan);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "spec.nodeClasses[0].capacityReservations[0].endTime");
        assert!(errors[0].message.contains("RFC 3339"), "{}", errors[0].message);
    }

    #[test]
    fn a_reservation_zone_is_a_zone_of_the_plan_region() {
        let mut plan = example("stable-reserved");
        let region = plan.spec.region.clone();
        for good in [format!("{region}a"), format!("{region}-lax-1a")] {
            plan.spec.node_classes[0].capacity_reservations[0].availability_zone = Some(good.clone());
            assert!(validate(&plan).is_empty(), "{good}");
        }
        for bad in
            ["eu-west-1a".to_string(), region.clone(), format!("{region}A"), format!("{region}ab"), "use1-az1".into()]
        {
            plan.spec.node_classes[0].capacity_reservations[0].availability_zone = Some(bad.clone());
            let errors = validate(&plan);
            assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
            assert_eq!(errors[0].path, "spec.nodeClasses[0].capacityReservations[0].availabilityZone");
        }
    }

    #[test]
    fn a_cooldown_to_zero_is_keda_only() {
        let mut plan = example("quickstart");
        let a = plan.spec.deployments[0].autoscaler.as_mut().unwrap();
        a.cooldown_period_seconds = Some(600);
        let errors = validate(&plan);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "spec.deployments[0].autoscaler.cooldownPeriodSeconds");
        plan.spec.deployments[0].autoscaler.as_mut().unwrap().kind = AutoscalerKind::Keda;
        assert!(validate(&plan).is_empty());
    }

    #[test]
    fn type_errors_name_path_and_line() {
        let text = format!("{GOOD}  workload:\n    requestsPerSecond:\n      baseline: lots\n      peak: 2\n");
        let e = parse_plan(&text).unwrap_err();
        assert_eq!(e.line, Some(9), "{e}");
        assert_eq!(e.path, "spec.workload.requestsPerSecond.baseline", "{e}");
    }

    fn example(name: &str) -> Plan {
        parse_plan(crate::examples::example(name).unwrap()).unwrap()
    }

    /// The first error `edit` makes `validate` report, as `path: message`.
    fn refused(name: &str, edit: impl FnOnce(&mut Plan)) -> String {
        let mut plan = example(name);
        edit(&mut plan);
        let errors = validate(&plan);
        assert!(!errors.is_empty(), "accepted: {plan:?}");
        format!("{}: {}", errors[0].path, errors[0].message)
    }

    /// A deployment named like another's prefill or decode stage would export two Deployments,
    /// Services, ScaledObjects and PDBs of the same name (and `export --out` overwrote one file with the
    /// other).
    #[test]
    fn commitments_are_checked_with_their_field() {
        let text = crate::examples::example("quickstart").unwrap().to_string()
            + "  commitments:\n    - {name: sp, kind: savings-plan, planType: EC2Instance, instanceFamily: g6e, termYears: 3, paymentOption: All Upfront, usdPerHour: 2}\n    - {name: ri, kind: reserved-instance, instanceType: g6e.xlarge, count: 2, usdPerHour: 1.1}\n";
        let plan = parse_plan(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.spec.commitments.len(), 2);
        assert_eq!(parse_plan(&plan.to_yaml()).as_ref(), Ok(&plan));
        let e = parse_plan(&text.replace("kind: savings-plan", "kind: savings")).unwrap_err();
        assert_eq!(e.path, "spec.commitments[0].kind", "{e}");
        let sp = plan.spec.commitments[0].clone();
        let ri = plan.spec.commitments[1].clone();
        let with = |c: Commitment| refused("quickstart", move |p| p.spec.commitments = vec![c]);
        assert!(with(Commitment { plan_type: None, ..sp.clone() })
            .starts_with("spec.commitments[0].planType: a Savings Plan needs"));
        assert!(with(Commitment { plan_type: Some("Compute".into()), ..sp.clone() })
            .starts_with("spec.commitments[0].instanceFamily"));
        assert!(
            with(Commitment { instance_family: None, ..sp.clone() }).starts_with("spec.commitments[0].instanceFamily")
        );
        assert!(
            with(Commitment { instance_family: Some("g99".into()), ..sp.clone() }).contains("not an instance family")
        );
        assert!(with(Commitment { term_years: Some(2), ..sp.clone() })
            .starts_with("spec.commitments[0].termYears: 2 is not a term"));
        assert!(with(Commitment { payment_option: Some("no upfront".into()), ..sp.clone() })
            .contains("not a payment option"));
        assert!(with(Commitment { count: Some(3), ..sp.clone() })
            .starts_with("spec.commitments[0].count: a Savings Plan has no count"));
        assert!(with(Commitment { usd_per_hour: f64::NAN, ..sp.clone() }).starts_with("spec.commitments[0].usdPerHour"));
        assert!(with(Commitment { usd_per_hour: 0.0, ..ri.clone() }).starts_with("spec.commitments[0].usdPerHour"));
        assert!(
            with(Commitment { instance_type: Some("g6e.huge".into()), ..ri.clone() }).contains("not an instance type")
        );
        assert!(with(Commitment { count: Some(0), ..ri.clone() }).starts_with("spec.commitments[0].count: 0"));
        assert!(with(Commitment { count: None, ..ri.clone() }).starts_with("spec.commitments[0].count"));
        assert!(with(Commitment { plan_type: Some("Compute".into()), ..ri.clone() }).contains("has no planType"));
        assert!(with(Commitment { name: " ".into(), ..ri.clone() }).starts_with("spec.commitments[0].name"));
        let twice = refused("quickstart", |p| p.spec.commitments = vec![ri.clone(), ri.clone()]);
        assert_eq!(twice, "spec.commitments[1].name: commitment \"ri\" is named twice");
    }

    #[test]
    fn a_deployment_named_like_another_deployments_stage_is_refused() {
        let e = refused("disaggregated", |plan| {
            let mut twin = plan.spec.deployments[0].clone();
            twin.name = format!("{}-prefill", twin.name);
            twin.mode = Mode::Monolithic;
            twin.prefill = None;
            twin.decode = None;
            plan.spec.deployments.push(twin);
        });
        assert!(e.starts_with("spec.deployments[1].name: ") && e.contains("prefill stage"), "{e}");
    }

    /// Cluster Autoscaler's settings and node groups are checked with their field.
    #[test]
    fn cluster_autoscaler_settings_are_checked() {
        use crate::plan::{ClusterAutoscaler, NodeGroup};
        let group = |pool: &str, min, max, desired| NodeGroup {
            name: "gpu".into(),
            node_pool: pool.into(),
            min_size: min,
            max_size: max,
            desired_capacity: desired,
            priority: None,
        };
        let mut plan = example("quickstart");
        let pool = plan.spec.node_pools[0].name.clone();
        plan.spec.cluster_autoscaler = Some(ClusterAutoscaler {
            scan_interval: Some("10s".into()),
            expander: Some("priority,least-waste".into()),
            scale_down_utilization_threshold: Some(0.5),
            node_groups: vec![group(&pool, 0, 4, Some(1))],
            ..ClusterAutoscaler::default()
        });
        assert_eq!(validate(&plan), vec![]);
        let with = |ca: ClusterAutoscaler| refused("quickstart", move |plan| plan.spec.cluster_autoscaler = Some(ca));
        let e = with(ClusterAutoscaler { expander: Some("cheapest".into()), ..ClusterAutoscaler::default() });
        assert!(e.starts_with("spec.clusterAutoscaler.expander: ") && e.contains("least-waste"), "{e}");
        let e = with(ClusterAutoscaler { scan_interval: Some("soon".into()), ..ClusterAutoscaler::default() });
        assert!(e.starts_with("spec.clusterAutoscaler.scanInterval: "), "{e}");
        let e = with(ClusterAutoscaler { scale_down_utilization_threshold: Some(1.5), ..ClusterAutoscaler::default() });
        assert!(e.starts_with("spec.clusterAutoscaler.scaleDownUtilizationThreshold: "), "{e}");
        let e =
            with(ClusterAutoscaler { node_groups: vec![group("nowhere", 0, 1, None)], ..ClusterAutoscaler::default() });
        assert!(e.starts_with("spec.clusterAutoscaler.nodeGroups[0].nodePool: "), "{e}");
        let e = with(ClusterAutoscaler { node_groups: vec![group(&pool, 3, 2, None)], ..ClusterAutoscaler::default() });
        assert!(e.starts_with("spec.clusterAutoscaler.nodeGroups[0].minSize: "), "{e}");
        let e =
            with(ClusterAutoscaler { node_groups: vec![group(&pool, 1, 2, Some(5))], ..ClusterAutoscaler::default() });
        assert!(e.starts_with("spec.clusterAutoscaler.nodeGroups[0].desiredCapacity: "), "{e}");
        let e = with(ClusterAutoscaler {
            node_groups: vec![group(&pool, 0, 1, None), group(&pool, 0, 1, None)],
            ..ClusterAutoscaler::default()
        });
        assert!(e.starts_with("spec.clusterAutoscaler.nodeGroups[1].name: ") && e.contains("twice"), "{e}");
    }

    /// Values the API server would refuse are refused here, with the field they are in.
    #[test]
    fn values_the_api_server_rejects_are_refused() {
        let pool =
            |f: fn(&mut crate::plan::NodePool)| refused("quickstart", move |plan| f(&mut plan.spec.node_pools[0]));
        for bad in ["abc", "NaN", "1e100Ei", "1.5", "-4"] {
            let e = refused("quickstart", |plan| {
                plan.spec.node_pools[0].limits.insert("nvidia.com/gpu".into(), bad.into());
            });
            assert!(e.starts_with("spec.nodePools[0].limits.nvidia.com/gpu: "), "{bad}: {e}");
        }
        for bad in ["abc", "1000%", "-1"] {
            let e = refused("quickstart", |plan| {
                plan.spec.node_pools[0].budgets =
                    vec![crate::plan::Budget { nodes: bad.into(), schedule: None, duration: None, reasons: vec![] }];
            });
            assert!(e.starts_with("spec.nodePools[0].budgets[0].nodes: "), "{bad}: {e}");
        }
        let e = pool(|p| {
            p.budgets = vec![crate::plan::Budget {
                nodes: "1".into(),
                schedule: Some("every day".into()),
                duration: Some("8h".into()),
                reasons: vec![],
            }]
        });
        assert!(e.starts_with("spec.nodePools[0].budgets[0].schedule: "), "{e}");
        let e = pool(|p| {
            p.budgets = vec![crate::plan::Budget {
                nodes: "1".into(),
                schedule: Some("0 9 * * *".into()),
                duration: Some("-1h".into()),
                reasons: vec![],
            }]
        });
        assert!(e.starts_with("spec.nodePools[0].budgets[0].duration: "), "{e}");
        let e = pool(|p| p.consolidation.after = Some("-1h".into()));
        assert!(e.starts_with("spec.nodePools[0].consolidation.after: "), "{e}");
        let e = pool(|p| {
            p.labels.insert("my label".into(), "x".into());
        });
        assert!(e.starts_with("spec.nodePools[0].labels.my label: "), "{e}");
        let e = pool(|p| {
            p.labels.insert("team".into(), "a b".into());
        });
        assert!(e.contains("is not a label value"), "{e}");
        let e = pool(|p| {
            p.taints = vec![crate::plan::Taint { key: "my taint".into(), value: None, effect: "NoSchedule".into() }]
        });
        assert!(e.starts_with("spec.nodePools[0].taints[0].key: "), "{e}");
        for bad in ["a..b", "123", "-x", "A"] {
            let e = refused("quickstart", |plan| plan.spec.deployments[0].name = bad.into());
            assert!(e.starts_with("spec.deployments[0].name: "), "{bad}: {e}");
        }
        let e = refused("quickstart", |plan| plan.spec.node_pools[0].name = "a..b".into());
        assert!(e.starts_with("spec.nodePools[0].name: "), "{e}");
        let e = refused("quickstart", |plan| {
            plan.spec.deployments[0].node_selector.insert("team".into(), "not a value!".into());
        });
        assert!(e.starts_with("spec.deployments[0].nodeSelector.team: "), "{e}");
        let e = refused("quickstart", |plan| plan.spec.deployments[0].precision = "bogus".into());
        assert!(e.starts_with("spec.deployments[0].precision: "), "{e}");
        let e = refused("quickstart", |plan| plan.spec.deployments[0].engine = "bogus".into());
        assert!(e.starts_with("spec.deployments[0].engine: "), "{e}");
        let e = refused("quickstart", |plan| plan.spec.deployments[0].max_model_len = Some(0));
        assert!(e.starts_with("spec.deployments[0].maxModelLen: "), "{e}");
        let e = refused("quickstart", |plan| plan.spec.deployments[0].max_model_len = Some(100_000_000));
        assert!(e.starts_with("spec.deployments[0].maxModelLen: ") && e.contains("context"), "{e}");
        let e = refused("quickstart", |plan| plan.spec.workload.input_tokens.mean = 10_000_000.0);
        assert!(e.starts_with("spec.workload.inputTokens.mean: ") && e.contains("context"), "{e}");
        let e = refused("quickstart", |plan| {
            plan.spec.workload.trace = Some(crate::plan::TraceRef::inline(
                "t_s,requests_per_s,input_tokens,output_tokens\n0,1,512,128\n# long ones\n60,1,9000,200\n",
            ));
        });
        assert!(e.starts_with("spec.workload.trace.csv: CSV line 4: ") && e.contains("context"), "{e}");
        let e = refused("quickstart", |plan| plan.spec.node_classes[0].disk_gib = Some(100_000));
        assert!(e.starts_with("spec.nodeClasses[0].diskGiB: "), "{e}");
        // Every example still passes.
        for (name, text) in crate::examples::EXAMPLES {
            assert!(parse_plan(text).is_ok(), "{name}");
        }
    }

    /// Every start-up lever's value is checked, and the error names its field.
    #[test]
    fn start_up_levers_are_checked_with_their_field() {
        use crate::plan::{CompileCache, ImageCache, Weights, WeightsSource};
        let cache = |id: &str| Some(ImageCache { snapshot_id: id.into(), images: vec![] });
        for bad in ["snap-", "snap-xyz12345", "snapshot-0123abcd", "SNAP-0123ABCD"] {
            let e = refused("quickstart", |plan| plan.spec.node_classes[0].image_cache = cache(bad));
            assert!(e.starts_with("spec.nodeClasses[0].imageCache.snapshotId: "), "{bad}: {e}");
        }
        let e = refused("quickstart", |plan| {
            plan.spec.node_classes[0].ami = "al2023".into();
            plan.spec.node_classes[0].image_cache = cache("snap-0123456789abcdef0");
        });
        assert!(e.starts_with("spec.nodeClasses[0].imageCache: ") && e.contains("custom AMI"), "{e}");
        let e = refused("quickstart", |plan| {
            plan.spec.node_classes[0].image_cache =
                Some(ImageCache { snapshot_id: "snap-0123abcd".into(), images: vec!["a b".into()] })
        });
        assert!(e.starts_with("spec.nodeClasses[0].imageCache.images[0]: "), "{e}");
        let weights = |source, uri: Option<&str>, claim: Option<&str>, node_cache| Weights {
            source,
            uri: uri.map(str::to_string),
            volume_claim: claim.map(str::to_string),
            node_cache,
        };
        for (w, field) in [
            (weights(WeightsSource::S3Streamer, None, None, false), "weights.uri"),
            (weights(WeightsSource::S3Streamer, Some("https://bucket/x"), None, false), "weights.uri"),
            (weights(WeightsSource::S3Streamer, Some("s3://Bucket/x"), None, false), "weights.uri"),
            (weights(WeightsSource::Download, Some("s3://bucket/x"), None, false), "weights.uri"),
            (weights(WeightsSource::SharedFileSystem, None, None, false), "weights.volumeClaim"),
            (weights(WeightsSource::SharedFileSystem, None, Some("FSx_Models"), false), "weights.volumeClaim"),
            (weights(WeightsSource::Download, None, Some("fsx"), false), "weights.volumeClaim"),
            (weights(WeightsSource::S3Streamer, Some("s3://bucket/x"), None, true), "weights.nodeCache"),
        ] {
            let e = refused("quickstart", |plan| plan.spec.deployments[0].weights = Some(w.clone()));
            assert!(e.starts_with(&format!("spec.deployments[0].{field}: ")), "{w:?}: {e}");
        }
        let e = refused("quickstart", |plan| {
            plan.spec.deployments[0].compile_cache =
                Some(CompileCache { uri: Some("s3://b-1/c".into()), volume_claim: None })
        });
        assert!(e.starts_with("spec.deployments[0].compileCache: ") && e.contains("Neuron"), "{e}");
        for (cache, field) in [
            (CompileCache { uri: None, volume_claim: None }, "compileCache"),
            (CompileCache { uri: Some("s3://b-1/c".into()), volume_claim: Some("c".into()) }, "compileCache"),
            (CompileCache { uri: Some("/var/tmp".into()), volume_claim: None }, "compileCache.uri"),
            (CompileCache { uri: None, volume_claim: Some("No Such".into()) }, "compileCache.volumeClaim"),
        ] {
            let e = refused("batch-inferentia", |plan| plan.spec.deployments[0].compile_cache = Some(cache.clone()));
            assert!(e.starts_with(&format!("spec.deployments[0].{field}: ")), "{cache:?}: {e}");
        }
        // An unknown source is the reader's error, at its field and line.
        let text = crate::examples::example("quickstart").unwrap().replacen(
            "      replicas:",
            "      weights:\n        source: ftp\n      replicas:",
            1,
        );
        let e = parse_plan(&text).unwrap_err();
        assert_eq!(e.path, "spec.deployments[0].weights.source", "{e}");
        assert!(e.line.is_some() && e.message.contains("unknown variant"), "{e}");
        // The placeholder and real ids pass.
        for id in [SNAPSHOT_PLACEHOLDER, "snap-0123abcd", "snap-0123456789abcdef0"] {
            let mut plan = example("quickstart");
            plan.spec.node_classes[0].image_cache = cache(id);
            assert_eq!(validate(&plan), vec![], "{id}");
        }
    }

    /// A type error in one-line JSON or flow YAML names the field it is in (the path used to be the
    /// deepest field written on the error's line, which for one-line text was the last one).
    #[test]
    fn errors_in_one_line_json_and_flow_yaml_name_their_field() {
        let mut plan = example("quickstart");
        plan.spec.node_pools[0].weight = Some(7);
        let json = plan.to_json().replacen("\"weight\":7", "\"weight\":\"heavy\"", 1);
        let e = parse_plan(&json).unwrap_err();
        assert_eq!(e.path, "spec.nodePools[0].weight", "{e}");
        assert_eq!(e.line, Some(1), "{e}");
        let json = plan.to_json().replacen("\"weight\":7", "\"weight\":7,\"wieght\":1", 1);
        let e = parse_plan(&json).unwrap_err();
        assert_eq!(e.path, "spec.nodePools[0].wieght", "{e}");
        assert!(e.message.starts_with("unknown field `wieght`"), "{e}");
        let json = plan.to_json().replacen("\"region\":\"us-east-1\",", "", 1);
        let e = parse_plan(&json).unwrap_err();
        assert_eq!(e.path, "spec", "{e}");
        assert!(e.message.starts_with("missing field `region`"), "{e}");
    }

    #[test]
    fn a_trace_file_stays_in_the_plans_folder() {
        for (file, ok) in [
            ("day.csv", true),
            ("traces/day.csv", true),
            ("./day.csv", true),
            ("/etc/passwd", false),
            ("../secret.csv", false),
            ("traces/../../x.csv", false),
            ("C:\\x.csv", false),
            ("\\\\server\\x.csv", false),
            ("~/x.csv", false),
        ] {
            assert_eq!(trace_file_escapes(file).is_none(), ok, "{file}");
            let text = format!("{GOOD}  workload:\n    trace:\n      file: {file:?}\n");
            let result = parse_plan(&text);
            assert_eq!(result.is_ok(), ok, "{file}: {result:?}");
            if let Err(e) = result {
                assert_eq!(e.path, "spec.workload.trace.file", "{e}");
                assert_eq!(e.line, Some(9), "{e}");
            }
        }
    }

    #[test]
    fn json_errors_name_the_line() {
        // JSON is read like YAML: a number where a string is expected reads as its text, so the
        // mistake here is the kind's value, found by validation.
        let e = parse_plan("{\n \"apiVersion\": \"tokenfleet.dev/v1alpha1\",\n \"kind\": 3\n}").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.message.contains("missing field `metadata`"), "{e}");
        let json = "{\n \"apiVersion\": \"tokenfleet.dev/v1alpha1\",\n \"kind\": \"Plan\",\n \"metadata\": {\"name\": \"t\"},\n \"spec\": {\"region\": \"us-east-1\", \"bogus\": 1}\n}";
        let e = parse_plan(json).unwrap_err();
        // An unknown field is placed at its key.
        assert_eq!((e.line, e.column), (Some(5), Some(34)), "{e}");
        assert!(e.message.contains("unknown field `bogus`"), "{e}");
        let e = parse_plan(&json.replace("\"kind\": \"Plan\",", "\"kind\": \"Plan\"")).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
    }

    /// Hostile edits that `validate` accepted but the API server or import refused (found by
    /// tests/integration/hostile.rs); each is now refused at its field.
    #[test]
    fn what_the_crds_and_import_refuse_is_refused_at_its_field() {
        let pool =
            |edit: fn(&mut crate::plan::NodePool)| refused("quickstart", move |p| edit(&mut p.spec.node_pools[0]));
        let e = pool(|p| p.consolidation.policy = "whenempty".into());
        assert!(e.starts_with("spec.nodePools[0].consolidation.policy: \"whenempty\" is not one of"), "{e}");
        let e = pool(|p| {
            p.budgets = vec![crate::plan::Budget {
                nodes: "1".into(),
                schedule: None,
                duration: None,
                reasons: vec!["empty".into()],
            }]
        });
        assert!(e.starts_with("spec.nodePools[0].budgets[0].reasons[0]: \"empty\" is not one of"), "{e}");
        for key in ["kubernetes.io/hostname", "karpenter.k8s.aws/made-up", "node.karpenter.sh/x"] {
            let mut plan = example("quickstart");
            plan.spec.node_pools[0].labels.insert(key.into(), "x".into());
            let errors = validate(&plan);
            assert_eq!(errors.len(), 1, "{key}: {errors:?}");
            assert_eq!(errors[0].path, format!("spec.nodePools[0].labels.{key}"));
        }
        let e = refused("quickstart", |p| p.spec.deployments[0].image = Some(String::new()));
        assert!(e.starts_with("spec.deployments[0].image: "), "{e}");
        let e = refused("quickstart", |p| p.spec.deployments[0].gpu_memory_utilization = Some(1e-9));
        assert!(e.starts_with("spec.deployments[0].gpuMemoryUtilization: "), "{e}");
        let e = refused("quickstart", |p| {
            p.spec.cluster = Some(crate::plan::Cluster { name: String::new(), node_role: None })
        });
        assert!(e.starts_with("spec.cluster.name: "), "{e}");
        let e = refused("quickstart", |p| {
            p.spec.cluster = Some(crate::plan::Cluster { name: "prod".into(), node_role: Some(String::new()) })
        });
        assert!(e.starts_with("spec.cluster.nodeRole: "), "{e}");
        let mut plan = example("disaggregated");
        let i = plan.spec.deployments.iter().position(|d| d.mode == Mode::Disaggregated).unwrap();
        plan.spec.deployments[i].node_selector.insert("karpenter.sh/nodepool".into(), "nowhere".into());
        let errors = validate(&plan);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, format!("spec.deployments[{i}].nodeSelector.karpenter.sh/nodepool"));
    }
}
