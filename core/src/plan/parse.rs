//! Reading a Plan from YAML or JSON text, and checking its values.

use std::fmt;

use super::{Plan, API_VERSION, KIND};

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
    fn at(path: impl Into<String>, message: impl Into<String>) -> PlanError {
        PlanError { path: path.into(), line: None, column: None, message: message.into() }
    }
}

/// Parses a Plan from YAML or JSON (JSON is detected by a leading `{`) and validates its values.
pub fn parse_plan(text: &str) -> Result<Plan, PlanError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(PlanError::at(
            "",
            format!("input is {} bytes; plans are limited to {MAX_INPUT_BYTES} bytes", text.len()),
        ));
    }
    let plan: Plan = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| PlanError {
            path: String::new(),
            line: Some(e.line() as u64),
            column: Some(e.column() as u64),
            message: e.to_string(),
        })?
    } else {
        serde_saphyr::from_str(text).map_err(|e| {
            let location = e.location();
            PlanError {
                path: String::new(),
                line: location.map(|l| l.line()),
                column: location.map(|l| l.column()),
                message: strip_location(&e.without_snippet().to_string()),
            }
        })?
    };
    validate(&plan)?;
    Ok(plan)
}

/// The YAML parser appends " at line N, column M"; the location is reported in its own fields.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn validate(plan: &Plan) -> Result<(), PlanError> {
    if plan.api_version != API_VERSION {
        return Err(PlanError::at("apiVersion", format!("expected {API_VERSION}, found {:?}", plan.api_version)));
    }
    if plan.kind != KIND {
        return Err(PlanError::at("kind", format!("expected {KIND}, found {:?}", plan.kind)));
    }
    let spec = &plan.spec;
    if !crate::catalog::PRICE_REGIONS.contains(&spec.region.as_str()) {
        return Err(PlanError::at(
            "spec.region",
            format!("unknown region {:?}; priced regions: {}", spec.region, crate::catalog::PRICE_REGIONS.join(", ")),
        ));
    }
    for (i, d) in spec.deployments.iter().enumerate() {
        let path = |field: &str| format!("spec.deployments[{i}].{field}");
        if d.tensor_parallel == 0 {
            return Err(PlanError::at(path("tensorParallel"), "must be at least 1"));
        }
        if d.replicas.min > d.replicas.max {
            return Err(PlanError::at(
                path("replicas"),
                format!("min {} is above max {}", d.replicas.min, d.replicas.max),
            ));
        }
    }
    for (i, p) in spec.node_pools.iter().enumerate() {
        let path = |field: &str| format!("spec.nodePools[{i}].{field}");
        if let Some(w) = p.weight {
            if !(1..=100).contains(&w) {
                return Err(PlanError::at(path("weight"), format!("{w} is outside 1–100")));
            }
        }
        if p.capacity_types.is_empty() {
            return Err(PlanError::at(path("capacityTypes"), "name at least one of reserved, spot, on-demand"));
        }
        if plan.node_class(&p.node_class).is_none() {
            return Err(PlanError::at(path("nodeClass"), format!("no node class named {:?}", p.node_class)));
        }
    }
    let rates = &spec.workload.requests_per_second;
    for (name, value) in [("baseline", rates.baseline), ("peak", rates.peak)] {
        if !value.is_finite() || value < 0.0 {
            return Err(PlanError::at(
                format!("spec.workload.requestsPerSecond.{name}"),
                format!("{value} is not a request rate (requests/s, 0 or more)"),
            ));
        }
    }
    Ok(())
}
