//! Kubernetes' own rules and the Karpenter CRDs' rules for the values Tokenfleet writes into
//! manifests, as small predicates. Each names its source; `plan::validate` applies them to every
//! field that reaches an exported object, so that whatever Tokenfleet exports, the API server accepts.
//!
//! Sources: Kubernetes apimachinery `pkg/util/validation/validation.go` (DNS-1123 and DNS-1035 names,
//! qualified names, label values), `pkg/api/resource/quantity.go` (quantities), core/v1 validation
//! (taint effects, extended resources are whole numbers); the Karpenter v1.14.1 NodePool CRD
//! (`../shared/reference/schemas/karpenter-v1.14.1/karpenter.sh_nodepools.yaml`: the `pattern`s of
//! `spec.disruption.budgets[].nodes`, `.schedule`, `.duration`, `consolidateAfter`, `expireAfter`,
//! `limits`, taint and label keys); AWS EBS limits for gp3 volumes.

/// A DNS-1123 label: at most 63 characters, lowercase letters, digits and `-`, starting and ending
/// with a letter or digit (namespaces, most names that are also label values).
pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A DNS-1123 subdomain: at most 253 characters, DNS-1123 labels joined by dots (the names of
/// Deployments, NodePools, EC2NodeClasses, ConfigMaps, …).
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|label| !label.is_empty() && is_dns1123_label(label))
}

/// A DNS-1035 label: a DNS-1123 label that starts with a letter (the names of Services).
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// The name part of a qualified name: at most 63 characters, alphanumerics, `-`, `_` and `.`, starting
/// and ending with an alphanumeric.
fn is_qualified_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A label, annotation or taint key: an optional DNS-1123 subdomain prefix and `/`, then a name part
/// (`karpenter.sh/capacity-type`, `nvidia.com/gpu`, `team`).
pub fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_qualified_name_part(name),
        None => is_qualified_name_part(s),
    }
}

/// A label value (and a taint value): empty, or at most 63 characters like a qualified name's part.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
}

/// The effects a taint can have.
pub const TAINT_EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// `spec.disruption.consolidationPolicy` (NodePool CRD enum).
pub const CONSOLIDATION_POLICIES: [&str; 3] = ["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"];

/// `spec.disruption.budgets[].reasons[]` (NodePool CRD enum).
pub const BUDGET_REASONS: [&str; 3] = ["Underutilized", "Empty", "Drifted"];

/// The `karpenter.k8s.aws` labels a NodePool's template may carry: the well-known labels that both the
/// current and the v1.14.1 NodePool CRD list in their `spec.template.metadata.labels` CEL rule.
const KARPENTER_AWS_TEMPLATE_LABELS: [&str; 28] = [
    "karpenter.k8s.aws/capacity-reservation-id",
    "karpenter.k8s.aws/capacity-reservation-interruptible",
    "karpenter.k8s.aws/capacity-reservation-type",
    "karpenter.k8s.aws/ec2nodeclass",
    "karpenter.k8s.aws/instance-accelerator-count",
    "karpenter.k8s.aws/instance-accelerator-manufacturer",
    "karpenter.k8s.aws/instance-accelerator-name",
    "karpenter.k8s.aws/instance-capability-flex",
    "karpenter.k8s.aws/instance-category",
    "karpenter.k8s.aws/instance-cpu",
    "karpenter.k8s.aws/instance-cpu-manufacturer",
    "karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz",
    "karpenter.k8s.aws/instance-ebs-bandwidth",
    "karpenter.k8s.aws/instance-encryption-in-transit-supported",
    "karpenter.k8s.aws/instance-family",
    "karpenter.k8s.aws/instance-generation",
    "karpenter.k8s.aws/instance-gpu-count",
    "karpenter.k8s.aws/instance-gpu-manufacturer",
    "karpenter.k8s.aws/instance-gpu-memory",
    "karpenter.k8s.aws/instance-gpu-name",
    "karpenter.k8s.aws/instance-hypervisor",
    "karpenter.k8s.aws/instance-local-nvme",
    "karpenter.k8s.aws/instance-memory",
    "karpenter.k8s.aws/instance-network-bandwidth",
    "karpenter.k8s.aws/instance-size",
    "karpenter.k8s.aws/instance-tenancy",
    "karpenter.k8s.aws/placement-group-id",
    "karpenter.k8s.aws/placement-group-partition",
];

/// Why a NodePool template label key is restricted, if it is: the NodePool CRD's CEL rules on
/// `spec.template.metadata.labels` (`karpenter.sh/nodepool` and `kubernetes.io/hostname` are
/// Karpenter's to set; the `karpenter.sh` and `karpenter.k8s.aws` domains, matched by the end of the
/// key's prefix, allow only their well-known labels).
pub fn node_label_restriction(key: &str) -> Option<&'static str> {
    let domain = key.split('/').next().unwrap_or_default();
    if key == "karpenter.sh/nodepool" || key == "kubernetes.io/hostname" {
        Some("is set by Karpenter")
    } else if domain.ends_with("karpenter.sh") && key != "karpenter.sh/capacity-type" {
        Some("is in the restricted karpenter.sh domain")
    } else if domain.ends_with("karpenter.k8s.aws") && !KARPENTER_AWS_TEMPLATE_LABELS.contains(&key) {
        Some("is in the restricted karpenter.k8s.aws domain (only its well-known labels are allowed)")
    } else {
        None
    }
}

/// A resource quantity as the API server reads one: the CRD's pattern
/// `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`,
/// and its value in base units, when it matches.
pub fn quantity_value(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let whole = digits(&mut i);
    let mut fraction = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        fraction = digits(&mut i);
    }
    if whole == 0 && fraction == 0 {
        return None;
    }
    let number: f64 = s[..i].parse().ok()?;
    let suffix = &s[i..];
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => {
            // A decimal exponent: e or E, an optional sign, and a number.
            let rest = suffix.strip_prefix(['e', 'E'])?;
            let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            let (mut j, rb) = (0, rest.as_bytes());
            while j < rb.len() && rb[j].is_ascii_digit() {
                j += 1;
            }
            let mut frac = 0;
            if j < rb.len() && rb[j] == b'.' {
                j += 1;
                while j < rb.len() && rb[j].is_ascii_digit() {
                    j += 1;
                    frac += 1;
                }
            }
            if j != rb.len() || (j == 0 || (rest.starts_with('.') && frac == 0)) {
                return None;
            }
            let exponent: f64 = suffix[1..].parse().ok()?;
            10f64.powf(exponent)
        }
    };
    let value = number * factor;
    value.is_finite().then_some(value)
}

/// A quantity a NodePool limit or a container's resources can hold: it matches the pattern, is not
/// negative and fits the API server's 64-bit milli-units (9.2 × 10¹⁵ in base units); counts of
/// devices (`nvidia.com/gpu`, `aws.amazon.com/neuron`, any extended resource) are whole numbers.
pub fn check_resource_quantity(resource: &str, text: &str) -> Result<f64, String> {
    let Some(value) = quantity_value(text.trim()).filter(|_| text.trim() == text) else {
        return Err(format!(
            "{text:?} is not a Kubernetes quantity (a number with an optional suffix: 16, 1500m, 512Gi, 2e3)"
        ));
    };
    if value < 0.0 {
        return Err(format!("{text:?} is negative"));
    }
    if value > 9.2e15 {
        return Err(format!("{text:?} is larger than the API server holds (about 9.2 × 10¹⁵)"));
    }
    let extended = resource.contains('/') && !resource.starts_with("kubernetes.io/");
    if extended && value.fract() != 0.0 {
        return Err(format!("{text:?} is not a whole number of {resource}"));
    }
    Ok(value)
}

/// `consolidateAfter` (NodePool CRD): `^(([0-9]+(s|m|h))+|Never)$`.
pub fn is_consolidate_after(s: &str) -> bool {
    s == "Never" || is_go_duration_of(s, &["s", "m", "h"])
}

/// `expireAfter` (NodePool CRD, `spec.template.spec.expireAfter`): `^(([0-9]+(s|m|h))+|Never)$`.
pub fn is_expire_after(s: &str) -> bool {
    is_consolidate_after(s)
}

/// `budgets[].duration` (NodePool CRD): `^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$`.
pub fn is_budget_duration(s: &str) -> bool {
    let s = s.strip_suffix("0s").unwrap_or(s);
    let Some(last) = s.chars().last() else { return false };
    if !matches!(last, 'h' | 'm') {
        return false;
    }
    // `Nh`, `Nm` or `NhNm`.
    let parts: Vec<&str> = s.split_inclusive(['h', 'm']).collect();
    let number = |p: &str, unit: char| {
        p.strip_suffix(unit).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match parts.as_slice() {
        [one] => number(one, 'h') || number(one, 'm'),
        [h, m] => number(h, 'h') && number(m, 'm'),
        _ => false,
    }
}

/// `budgets[].nodes` (NodePool CRD): `^((100|[0-9]{1,2})%|[0-9]+)$`: a count, or a percentage 0–100.
pub fn is_budget_nodes(s: &str) -> bool {
    match s.strip_suffix('%') {
        Some(p) => (p == "100") || (!p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit())),
        None => !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
    }
}

/// `budgets[].schedule` (NodePool CRD pattern
/// `^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\s(.+)\s(.+)\s(.+)\s(.+))$`, and
/// Karpenter reads it with robfig/cron's standard parser): a macro, or five fields that the
/// simulator's cron reader accepts.
pub fn check_budget_schedule(s: &str) -> Result<(), String> {
    const MACROS: [&str; 7] = ["@annually", "@yearly", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
    if MACROS.contains(&s) {
        return Ok(());
    }
    crate::cron::Cron::parse(s).map(|_| ()).map_err(|e| e.to_string())
}

/// `N` followed by one of `units`, repeated (`1h30m`, `90s`): Go's duration syntax as the CRDs'
/// patterns restrict it (whole numbers, no fractions, no signs).
fn is_go_duration_of(s: &str, units: &[&str]) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = units.iter().find(|u| rest.starts_with(**u)) else { return false };
        rest = &rest[unit.len()..];
    }
    true
}

/// The largest gp3 EBS volume (AWS: gp3 volumes are 1–16 384 GiB); the node classes' data volume is
/// gp3.
pub const MAX_GP3_VOLUME_GIB: u32 = 16_384;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "rag-70b", "x1", "a.b"] {
            assert!(is_dns1123_subdomain(ok), "{ok}");
        }
        for bad in ["", "A", "a..b", "-a", "a-", "a_b", ".a", "a.", &"x".repeat(254)] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
        assert!(is_dns1123_label("123") && !is_dns1035_label("123"));
        assert!(!is_dns1123_label("a.b") && is_dns1035_label("rag-70b"));
        assert!(!is_dns1123_label(&"x".repeat(64)));
    }

    #[test]
    fn keys_and_values() {
        for ok in ["team", "karpenter.sh/capacity-type", "nvidia.com/gpu", "a_b.c-d", "example.com/A1"] {
            assert!(is_qualified_name(ok), "{ok}");
        }
        for bad in ["", "has space", "a/b/c", "/x", "x/", "-x", "Example.com/x", &"x".repeat(64)] {
            assert!(!is_qualified_name(bad), "{bad}");
        }
        for ok in ["", "true", "v1.2_x-y"] {
            assert!(is_label_value(ok), "{ok}");
        }
        for bad in ["a b", "-a", "a/b", &"x".repeat(64)] {
            assert!(!is_label_value(bad), "{bad}");
        }
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity_value("16"), Some(16.0));
        assert_eq!(quantity_value("1500m"), Some(1.5));
        assert_eq!(quantity_value("2Gi"), Some(2147483648.0));
        assert_eq!(quantity_value("1e3"), Some(1000.0));
        assert_eq!(quantity_value(".5"), Some(0.5));
        assert_eq!(quantity_value("5."), Some(5.0));
        for bad in ["abc", "NaN", "inf", "", "1.2.3", "1 Gi", "1gi", "e3", "1e", "1e+", "0x10", "."] {
            assert_eq!(quantity_value(bad), None, "{bad}");
        }
        assert!(check_resource_quantity("nvidia.com/gpu", "abc").is_err());
        assert!(check_resource_quantity("nvidia.com/gpu", "NaN").is_err());
        assert!(check_resource_quantity("nvidia.com/gpu", "1e100Ei").is_err());
        assert!(check_resource_quantity("nvidia.com/gpu", "1.5").is_err());
        assert!(check_resource_quantity("nvidia.com/gpu", "-1").is_err());
        assert!(check_resource_quantity("nvidia.com/gpu", " 4").is_err());
        assert_eq!(check_resource_quantity("nvidia.com/gpu", "16"), Ok(16.0));
        assert_eq!(check_resource_quantity("cpu", "1500m"), Ok(1.5));
        assert_eq!(check_resource_quantity("memory", "512Gi"), Ok(512.0 * 1024f64.powi(3)));
    }

    #[test]
    fn disruption_fields() {
        for ok in ["0s", "30s", "5m", "1h30m", "Never", "720h"] {
            assert!(is_consolidate_after(ok), "{ok}");
        }
        for bad in ["", "-1h", "1d", "1.5h", "never", "30", "h"] {
            assert!(!is_consolidate_after(bad), "{bad}");
        }
        for ok in ["1h", "30m", "1h30m", "8h0s", "10m0s"] {
            assert!(is_budget_duration(ok), "{ok}");
        }
        for bad in ["", "-1h", "30s", "1h30m10s", "h", "1m1h", "1.5h"] {
            assert!(!is_budget_duration(bad), "{bad}");
        }
        for ok in ["0", "2", "10%", "100%", "0%", "1000"] {
            assert!(is_budget_nodes(ok), "{ok}");
        }
        for bad in ["abc", "1000%", "-1", "101%", "%", "", "1.5"] {
            assert!(!is_budget_nodes(bad), "{bad}");
        }
        assert!(check_budget_schedule("0 9 * * mon-fri").is_ok());
        assert!(check_budget_schedule("@daily").is_ok());
        assert!(check_budget_schedule("not a schedule").is_err());
        assert!(check_budget_schedule("61 * * * *").is_err());
    }

    #[test]
    fn node_template_labels_follow_the_node_pool_crd_cel_rules() {
        for ok in ["team", "tokenfleet.dev/pool", "karpenter.sh/capacity-type", "karpenter.k8s.aws/instance-family"] {
            assert_eq!(node_label_restriction(ok), None, "{ok}");
        }
        for bad in [
            "karpenter.sh/nodepool",
            "kubernetes.io/hostname",
            "karpenter.sh/custom",
            "node.karpenter.sh/x",
            "karpenter.k8s.aws/made-up",
            "karpenter.k8s.aws/nitro-sandbox",
        ] {
            assert!(node_label_restriction(bad).is_some(), "{bad}");
        }
    }
}
