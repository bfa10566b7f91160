//! A finding: what is wrong (a stable code, a severity, a message), where (file, document, field path,
//! line) and what to do about it.
//!
//! It sits below both `lint` and `manifest::import`, which produce findings, so that import does not
//! depend on the linter (the linter runs import on Kubernetes YAML).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable code (`TF010`); see `docs/plan.md` for the table.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// The file the finding is in (set by the shell; empty in core).
    pub file: String,
    /// 1-based document number in a multi-document stream (1 for a plan).
    pub document: usize,
    /// Field path inside the document (`spec.disruption.consolidationPolicy`).
    pub path: String,
    pub line: Option<u64>,
    pub fix: String,
}

impl Finding {
    pub fn new(
        code: &str,
        severity: Severity,
        path: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            code: code.to_string(),
            severity,
            message: message.into(),
            file: String::new(),
            document: 1,
            path: path.into(),
            line: None,
            fix: fix.into(),
        }
    }
}
