//! The linter: rules with stable codes (`TF0xx`) over Plans and over imported Kubernetes YAML.
//!
//! Plan rules look at intent (pitfalls from DOMAIN.md, Karpenter value rules, model fit); manifest
//! rules (v1beta1 names, missing PodDisruptionBudgets, …) are found while importing. Findings on
//! imported YAML point at the source document, field and line. The code table is in `docs/plan.md`.

pub use crate::finding::{Finding, Severity};

use crate::catalog::PriceOverlay;
use crate::manifest::import::{self, Import};
use crate::plan::{self, tree::Node};

mod dynamic;
mod mig;
mod plan_rules;
mod warm;
pub use plan_rules::{lint_plan, lint_plan_with};

/// Every rule code with its severity and a one-line summary (for docs and `--help`).
pub const RULES: &[(&str, Severity, &str)] = &[
    ("TF001", Severity::Warning, "monolithic deployment where prompts are long or TTFT is tight"),
    ("TF002", Severity::Warning, "fleet sized for the absolute peak (fixed replicas under spiky traffic)"),
    ("TF003", Severity::Warning, "NodePool weights contradict cost"),
    ("TF004", Severity::Warning, "autoscaling only on CPU or GPU utilisation"),
    ("TF005", Severity::Warning, "no reserved capacity under a predictable baseline"),
    ("TF006", Severity::Warning, "maxReplicas × devices per replica beyond the NodePools' limits"),
    ("TF007", Severity::Warning, "Deployment without a PodDisruptionBudget"),
    ("TF010", Severity::Error, "instance type names under instance-family (or families under instance-type)"),
    ("TF011", Severity::Error, "invalid consolidationPolicy"),
    ("TF012", Severity::Error, "invalid consolidateAfter"),
    ("TF013", Severity::Error, "v1beta1 API version or field names"),
    ("TF014", Severity::Error, "GPU or Neuron taint with no matching toleration on the workload"),
    ("TF015", Severity::Error, "NodePool limits smaller than one node"),
    ("TF016", Severity::Warning, "spot-only capacity under an SLO-critical baseline"),
    ("TF017", Severity::Error, "tensor-parallel degree does not divide the attention heads"),
    ("TF018", Severity::Error, "model does not fit in the devices of a replica"),
    ("TF019", Severity::Warning, "pods that cannot be placed"),
    ("TF020", Severity::Error, "invalid duration (expireAfter, budget schedule or duration)"),
    ("TF021", Severity::Warning, "latency estimate misses an SLO at the baseline rate"),
    ("TF022", Severity::Warning, "maxReplicas below what the peak rate needs within the SLOs"),
    ("TF030", Severity::Warning, "document without kind"),
    ("TF031", Severity::Info, "kind not part of a plan (ignored on import)"),
    ("TF032", Severity::Info, "no workload information (defaults used on import)"),
    ("TF033", Severity::Error, "imported plan is not valid"),
    ("TF034", Severity::Warning, "AMI selection not bottlerocket@… or al2023@…"),
    ("TF035", Severity::Info, "capacity reservation that cannot be sized from YAML"),
    ("TF036", Severity::Info, "EC2NodeClass field a plan cannot express"),
    ("TF037", Severity::Info, "field a plan cannot express (not exported again)"),
    ("TF038", Severity::Error, "invalid capacity type"),
    ("TF039", Severity::Info, "resource that is not a model server (ignored on import)"),
    ("TF040", Severity::Error, "invalid plan value (weight, names, bounds, references)"),
    ("TF041", Severity::Info, "EC2NodeClass referenced but not in the input (placeholder added on import)"),
    ("TF042", Severity::Warning, "consolidateAfter not set (Karpenter defaults it to 0s)"),
    ("TF044", Severity::Error, "precision the placed chips cannot run (BF16 on T4, FP8 on A10G)"),
    ("TF045", Severity::Warning, "request timeout shorter than the end-to-end SLO (requests dropped, not late)"),
    ("TF046", Severity::Warning, "queue depth (zero below capacity) with no signal that follows the load (flapping)"),
    ("TF047", Severity::Warning, "scale-up path (cold start end to end) slower than the traffic's ramp"),
    ("TF048", Severity::Info, "no warm capacity under SLO-critical traffic whose bursts need more replicas"),
    ("TF049", Severity::Info, "static NodePool or CapacityBuffer: an alpha Karpenter feature gate must be enabled"),
    ("TF050", Severity::Warning, "static NodePool too small for the deployments that can only run on it"),
    ("TF051", Severity::Warning, "warm capacity whose chunk fits no instance type of the allowed NodePools"),
    ("TF052", Severity::Warning, "warm capacity beyond the allowed NodePools' limits"),
    ("TF053", Severity::Warning, "weights.nodeCache on NodePools without local NVMe (the cache falls back to EBS)"),
    (
        "TF054",
        Severity::Warning,
        "placeholder left for you to supply (cr-replaceme…, snap-0replaceme, s3://replaceme/…)",
    ),
    (
        "TF055",
        Severity::Warning,
        "eksctl or Cluster Autoscaler setting Karpenter does differently (imported with a change, or not)",
    ),
    (
        "TF056",
        Severity::Warning,
        "Savings Plan or Reserved Instance that covers nothing the NodePools launch on demand",
    ),
    ("TF057", Severity::Info, "Savings Plan or Reserved Instance mostly unused at the placement's hour"),
    (
        "TF058",
        Severity::Warning,
        "MIG slices that cannot serve: no NodePool partitioned into the profile, or a model too big for it",
    ),
    ("TF059", Severity::Info, "a one-GPU model on whole A100/H100/H200 GPUs that a MIG slice would hold"),
];

/// Lints plan text; findings carry the line of their field.
pub fn lint_plan_text(text: &str) -> Result<Vec<Finding>, plan::PlanError> {
    lint_plan_text_priced(text, None)
}

/// [`lint_plan_text`] at the prices of `prices` (`--prices`) instead of the plan's own overlay.
pub fn lint_plan_text_priced(text: &str, prices: Option<&PriceOverlay>) -> Result<Vec<Finding>, plan::PlanError> {
    let (mut plan, located) = plan::parse_plan_unchecked(text)?;
    if let Some(overlay) = prices {
        plan.spec.prices = Some(overlay.clone());
    }
    let errors = plan::validate(&plan);
    let mut findings: Vec<Finding> = errors
        .iter()
        .map(|e| {
            Finding::new(
                "TF040",
                Severity::Error,
                e.path.clone(),
                e.message.clone(),
                "correct the value (docs/plan.md describes every field)",
            )
        })
        .collect();
    // Placement and the plan rules assume valid values; they run once the values are right.
    if errors.is_empty() {
        findings.extend(lint_plan(&plan));
    }
    if let Some(root) = located {
        for f in &mut findings {
            let line = root.locate(&f.path).0;
            f.line = Some(plan::parse::trace_csv_line(text, &f.path, &f.message, line).unwrap_or(line));
        }
    }
    Ok(findings)
}

/// Where a plan path of an imported plan points in its source YAML: (origin index, field path).
fn translate(import: &Import, plan_path: &str) -> Option<(usize, String)> {
    // The longest origin prefix wins (an autoscaler over its deployment).
    let (index, origin) = import
        .origins
        .iter()
        .enumerate()
        .filter(|(_, o)| plan_path == o.plan_path || plan_path.starts_with(&format!("{}.", o.plan_path)))
        .max_by_key(|(_, o)| o.plan_path.len())?;
    let rest = plan_path[origin.plan_path.len()..].trim_start_matches('.');
    // The most replicas are the autoscaler's to set, when there is one.
    if origin.kind == "Deployment" && rest.starts_with("replicas.max") {
        let scaler = format!("{}.autoscaler", origin.plan_path);
        if let Some((i, o)) = import.origins.iter().enumerate().find(|(_, o)| o.plan_path == scaler) {
            let field = if o.kind == "ScaledObject" { "spec.maxReplicaCount" } else { "spec.maxReplicas" };
            return Some((i, field.to_string()));
        }
    }
    let field = rest.split(['.', '[']).next().unwrap_or_default();
    let k8s = match (origin.kind.as_str(), field) {
        ("NodePool", "instanceFamilies" | "instanceTypes" | "capacityTypes") => "spec.template.spec.requirements",
        ("NodePool", "consolidation") if rest.ends_with("policy") => "spec.disruption.consolidationPolicy",
        ("NodePool", "consolidation") if rest.ends_with("after") => "spec.disruption.consolidateAfter",
        ("NodePool", "consolidation" | "budgets") => "spec.disruption",
        ("NodePool", "limits") => "spec.limits",
        ("NodePool", "taints") => "spec.template.spec.taints",
        ("NodePool", "weight") => "spec.weight",
        ("NodePool", "replicas") => "spec.replicas",
        ("CapacityBuffer", _) => "spec.replicas",
        ("Deployment", "warmCapacity") => "spec.replicas",
        ("NodePool", "expireAfter") => "spec.template.spec.expireAfter",
        // A node group of an eksctl ClusterConfig (the origin's tree is the group).
        ("ClusterConfig", "instanceTypes") => "instanceTypes",
        ("ClusterConfig", "capacityTypes") => "spot",
        ("ClusterConfig", "limits" | "weight") => "maxSize",
        ("ClusterConfig", "taints") => "taints",
        ("ClusterConfig", "labels") => "labels",
        ("ClusterConfig", "nodeClass") => "amiFamily",
        ("ClusterConfig", _) => "name",
        ("NodePool", "nodeClass") => "spec.template.spec.nodeClassRef",
        ("Deployment", "tolerations") => "spec.template.spec.tolerations",
        ("Deployment", "tensorParallel" | "model" | "prefill" | "decode") => "spec.template.spec.containers[0].args",
        ("Deployment", "replicas") => "spec.replicas",
        ("HorizontalPodAutoscaler", _) if rest.contains("metrics") => "spec.metrics",
        ("ScaledObject", _) if rest.contains("metrics") => "spec.triggers",
        ("HorizontalPodAutoscaler", _) => "spec.maxReplicas",
        ("ScaledObject", _) => "spec.maxReplicaCount",
        _ => "metadata.name",
    };
    Some((index, k8s.to_string()))
}

/// Lints Kubernetes YAML: import findings (manifest mistakes) plus the plan rules on what was imported,
/// each pointing at its source document, field and line.
pub fn lint_yaml(file: &str, text: &str) -> Result<Vec<Finding>, import::ImportError> {
    lint_yaml_priced(file, text, None)
}

/// [`lint_yaml`], the imported plan priced with `prices` (`--prices`).
pub fn lint_yaml_priced(
    file: &str,
    text: &str,
    prices: Option<&PriceOverlay>,
) -> Result<Vec<Finding>, import::ImportError> {
    let mut imported = import::import_yaml(file, text)?;
    if let Some(overlay) = prices {
        imported.plan.spec.prices = Some(overlay.clone());
    }
    let mut findings: Vec<Finding> = Vec::new();
    // Import findings about the plan as a whole (document 0) point at their source when they can.
    let plan_level = imported.findings.iter().filter(|f| f.document == 0).cloned();
    findings.extend(imported.findings.iter().filter(|f| f.document != 0).cloned());
    for mut f in plan_level.chain(lint_plan(&imported.plan)) {
        if let Some((index, path)) = translate(&imported, &f.path) {
            let origin = &imported.origins[index];
            f.file = origin.file.clone();
            f.document = origin.document;
            f.line = Some(origin.tree.locate(&path).0);
            f.path = if origin.prefix.is_empty() { path } else { format!("{}.{path}", origin.prefix) };
        } else {
            f.file = file.to_string();
            f.document = 0;
        }
        findings.push(f);
    }
    for f in &mut findings {
        if f.file.is_empty() {
            f.file = file.to_string();
        }
    }
    Ok(findings)
}

/// Whether text is a Tokenfleet Plan (rather than Kubernetes YAML).
pub fn looks_like_plan(text: &str) -> bool {
    if text.trim_start().starts_with('{') {
        return text.contains("tokenfleet.dev/");
    }
    crate::plan::tree::parse_stream(text)
        .ok()
        .and_then(|docs| docs.first().map(|d: &Node| d.get("kind").and_then(Node::as_str) == Some("Plan")))
        .unwrap_or(false)
}

/// Why [`lint_text`] cannot read a file.
#[derive(Debug, Clone, PartialEq)]
pub enum LintTextError {
    /// The file looks like a Plan but is not a valid one.
    Plan { file: String, error: plan::PlanError },
    /// The file is not readable Kubernetes YAML (the import error names the file).
    Yaml(import::ImportError),
}

impl std::fmt::Display for LintTextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LintTextError::Plan { file, error } => write!(f, "{file}: {error}"),
            LintTextError::Yaml(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for LintTextError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LintTextError::Plan { error, .. } => Some(error),
            LintTextError::Yaml(error) => Some(error),
        }
    }
}

/// Lints a file's text, a Plan or Kubernetes YAML; `Err` when it cannot be read (with the reason).
pub fn lint_text(file: &str, text: &str) -> Result<Vec<Finding>, LintTextError> {
    lint_text_priced(file, text, None)
}

/// [`lint_text`] at the prices of `prices` (`--prices`): a plan's own overlay is replaced, imported
/// YAML gets it.
pub fn lint_text_priced(file: &str, text: &str, prices: Option<&PriceOverlay>) -> Result<Vec<Finding>, LintTextError> {
    let mut findings = if looks_like_plan(text) {
        lint_plan_text_priced(text, prices).map_err(|error| LintTextError::Plan { file: file.to_string(), error })?
    } else {
        lint_yaml_priced(file, text, prices).map_err(LintTextError::Yaml)?
    };
    for f in &mut findings {
        f.file = file.to_string();
    }
    findings.sort_by(|a, b| {
        (a.document, a.line, a.severity, &a.code, &a.path).cmp(&(b.document, b.line, b.severity, &b.code, &b.path))
    });
    Ok(findings)
}

#[cfg(test)]
mod fit_tests;
#[cfg(test)]
mod price_tests;
