//! The Kustomize export: `base/` holds every resource of the plain export, one file each, and its
//! `kustomization.yaml`; `overlays/production/` restates the plan's tunable values as patches to
//! edit in place (it renders the base unchanged), and `overlays/staging/` is a smaller environment:
//! one replica per Deployment, NodePool limits halved (never below what that one replica needs),
//! and capacity reservation ids of its own to fill in.
//!
//! Only standard Kustomize features: `resources`, `replicas`, and `patches` whose files hold JSON
//! 6902 operations with a `target`, so kustomize, `kubectl kustomize`, Argo CD and Flux read it.

use crate::doc::{obj, s, Doc, Map};
use crate::place::{self, parse_quantity};
use crate::plan::Plan;

use super::{json_pointer, kind_of, name_of, rename_in_annotation, reservation_ids, ExportFile};
use crate::manifest::{render, render_values, to_yaml, RESERVATIONS_ANNOTATION};

/// The prefix of the reservation ids the staging overlay leaves to fill in (`cr-replacemestaging0`,
/// …): the `cr-replaceme` placeholder lint's TF054 names, so they are not applied unnoticed.
pub const STAGING_RESERVATION_PREFIX: &str = "cr-replacemestaging";

const KUSTOMIZATION_API: &str = "kustomize.config.k8s.io/v1beta1";

/// One environment's values, as the overlay's patches set them.
struct Environment {
    name: &'static str,
    comment: &'static str,
    /// Deployment name and replicas.
    replicas: Vec<(String, u64)>,
    /// NodePool name and its `spec.limits`.
    limits: Vec<(String, Map)>,
    reservations: Vec<Reservations>,
}

/// An EC2NodeClass's reservation ids in an environment.
struct Reservations {
    class: String,
    /// The plan's ids and the environment's, in the selector terms' order.
    renames: Vec<(String, String)>,
    /// The `tokenfleet.dev/capacity-reservations` annotation with the environment's ids.
    annotation: Option<String>,
}

/// The Kustomize export of a plan: `base/` and `overlays/{production,staging}/`.
pub fn kustomize(plan: &Plan) -> Vec<ExportFile> {
    let documents = render(plan);
    let values = render_values(plan);
    let mut files: Vec<ExportFile> =
        documents.iter().map(|d| ExportFile::new(format!("base/{}", d.file_name()), d.yaml.clone())).collect();
    let resources: Vec<Doc> = documents.iter().map(|d| s(&d.file_name())).collect();
    let base = obj(vec![
        ("apiVersion", s(KUSTOMIZATION_API)),
        ("kind", s("Kustomization")),
        ("resources", Doc::Array(resources)),
    ]);
    files.push(ExportFile::new(
        "base/kustomization.yaml",
        format!(
            "# Every resource of plan {}, as `tokenfleet export` writes it.\n{}",
            plan.metadata.name,
            to_yaml(&base)
        ),
    ));
    for environment in [production(&values), staging(plan, &values)] {
        files.extend(overlay(&values, &environment));
    }
    files
}

/// Production: the plan's own values, restated so that the overlay is where a team edits them.
fn production(values: &[Doc]) -> Environment {
    Environment {
        name: "production",
        comment: "the plan's values as patches to edit in place; as written it renders the base unchanged",
        replicas: deployments(values).map(|(name, replicas)| (name.to_string(), replicas)).collect(),
        limits: node_pool_limits(values).map(|(name, limits)| (name.to_string(), limits.clone())).collect(),
        reservations: node_classes(values)
            .map(|(name, ids, annotation)| Reservations {
                class: name.to_string(),
                renames: ids.iter().map(|id| (id.clone(), id.clone())).collect(),
                annotation,
            })
            .collect(),
    }
}

/// Staging: one replica per Deployment (none where the plan has none), each NodePool limit halved
/// but never below what the pool uses for those replicas, and reservation ids of its own.
fn staging(plan: &Plan, values: &[Doc]) -> Environment {
    let mut small = plan.clone();
    for d in &mut small.spec.deployments {
        d.replicas.min = d.replicas.min.min(1);
        for stage in [&mut d.prefill, &mut d.decode].into_iter().flatten() {
            stage.replicas.min = stage.replicas.min.min(1);
        }
    }
    let outcome = place::evaluate(&small);
    let used = |pool: &str, resource: &str| {
        outcome
            .pools
            .iter()
            .filter(|p| p.name == pool)
            .flat_map(|p| &p.headroom)
            .find(|h| h.resource == resource)
            .map_or(0.0, |h| h.used)
    };
    let mut next_id = 0;
    let reservations = node_classes(values)
        .map(|(name, ids, annotation)| {
            let renames: Vec<(String, String)> = ids
                .iter()
                .map(|id| {
                    let new = format!("{STAGING_RESERVATION_PREFIX}{next_id}");
                    next_id += 1;
                    (id.clone(), new)
                })
                .collect();
            let annotation = annotation.map(|a| rename_in_annotation(&a, &renames));
            Reservations { class: name.to_string(), renames, annotation }
        })
        .collect();
    Environment {
        name: "staging",
        comment: "one replica per Deployment, NodePool limits halved (never below what one replica needs), \
                  and reservation ids of its own: buy them and replace the cr-replacemestaging ids",
        replicas: deployments(values).map(|(name, replicas)| (name.to_string(), replicas.min(1))).collect(),
        limits: node_pool_limits(values)
            .map(|(pool, limits)| {
                let halved = limits
                    .iter()
                    .map(|(resource, limit)| {
                        let text = limit.as_str().map(|l| staging_limit(l, used(pool, resource)));
                        (resource.clone(), text.map_or_else(|| limit.clone(), Doc::String))
                    })
                    .collect();
                (pool.to_string(), halved)
            })
            .collect(),
        reservations,
    }
}

/// A NodePool limit for staging: half the quantity (rounded up, in its own unit), at least `used`
/// (in the quantity's base unit, as placement counts it). Quantities that are not a whole number
/// with an optional unit (`8`, `1000Gi`, `64`) are kept.
pub fn staging_limit(limit: &str, used: f64) -> String {
    let digits = limit.chars().take_while(char::is_ascii_digit).count();
    let (number, suffix) = limit.split_at(digits);
    let (Ok(number), Some(unit)) = (number.parse::<u64>(), parse_quantity(&format!("1{suffix}"))) else {
        return limit.to_string();
    };
    if unit <= 0.0 {
        return limit.to_string();
    }
    let needed = (used / unit).ceil().max(0.0) as u64;
    format!("{}{suffix}", number.div_ceil(2).max(needed).min(number))
}

/// Deployments and their rendered replicas.
fn deployments(values: &[Doc]) -> impl Iterator<Item = (&str, u64)> {
    values
        .iter()
        .filter(|d| kind_of(d) == "Deployment")
        .filter_map(|d| Some((name_of(d), d.pointer("/spec/replicas")?.as_u64()?)))
}

/// NodePools and their `spec.limits`, where they have some.
fn node_pool_limits(values: &[Doc]) -> impl Iterator<Item = (&str, &Map)> {
    values
        .iter()
        .filter(|d| kind_of(d) == "NodePool")
        .filter_map(|d| Some((name_of(d), d.pointer("/spec/limits")?.as_object().filter(|l| !l.is_empty())?)))
}

/// EC2NodeClasses that select reservations by id: their ids and reservations annotation.
fn node_classes(values: &[Doc]) -> impl Iterator<Item = (&str, Vec<String>, Option<String>)> {
    values.iter().filter(|d| kind_of(d) == "EC2NodeClass").filter_map(|d| {
        let ids = reservation_ids(d);
        let annotation = d
            .pointer(&json_pointer(&["metadata", "annotations", RESERVATIONS_ANNOTATION]))
            .and_then(Doc::as_str)
            .map(str::to_string);
        (!ids.is_empty()).then(|| (name_of(d), ids, annotation))
    })
}

/// A patch's target: the resource's group, version, kind and name.
fn target(values: &[Doc], kind: &str, name: &str) -> Doc {
    let api_version = values
        .iter()
        .find(|d| kind_of(d) == kind && name_of(d) == name)
        .and_then(|d| d.get("apiVersion"))
        .and_then(Doc::as_str)
        .unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    obj(vec![("group", s(group)), ("version", s(version)), ("kind", s(kind)), ("name", s(name))])
}

fn replace(path: String, value: Doc) -> Doc {
    obj(vec![("op", s("replace")), ("path", Doc::String(path)), ("value", value)])
}

/// An overlay's `kustomization.yaml` and patch files.
fn overlay(values: &[Doc], environment: &Environment) -> Vec<ExportFile> {
    let dir = format!("overlays/{}", environment.name);
    let mut files = Vec::new();
    let mut patches = Vec::new();
    let mut patch = |kind: &str, name: &str, operations: Vec<Doc>| {
        let file = format!("{}-{name}.yaml", kind.to_ascii_lowercase());
        files.push(ExportFile::new(format!("{dir}/{file}"), to_yaml(&Doc::Array(operations))));
        patches.push(obj(vec![("path", s(&file)), ("target", target(values, kind, name))]));
    };
    for (pool, limits) in &environment.limits {
        patch("NodePool", pool, vec![replace(json_pointer(&["spec", "limits"]), Doc::Object(limits.clone()))]);
    }
    for Reservations { class, renames, annotation } in &environment.reservations {
        let terms = renames.iter().map(|(_, new)| obj(vec![("id", s(new))])).collect();
        let mut operations =
            vec![replace(json_pointer(&["spec", "capacityReservationSelectorTerms"]), Doc::Array(terms))];
        if let Some(annotation) = annotation {
            // Import reads the reservations' sizes from this annotation by id: it follows the ids.
            operations
                .push(replace(json_pointer(&["metadata", "annotations", RESERVATIONS_ANNOTATION]), s(annotation)));
        }
        patch("EC2NodeClass", class, operations);
    }
    let replicas: Vec<Doc> = environment
        .replicas
        .iter()
        .map(|(name, count)| obj(vec![("name", s(name)), ("count", Doc::from(*count))]))
        .collect();
    let mut kustomization = Map::new();
    kustomization.insert("apiVersion".into(), s(KUSTOMIZATION_API));
    kustomization.insert("kind".into(), s("Kustomization"));
    kustomization.insert("resources".into(), Doc::Array(vec![s("../../base")]));
    if !replicas.is_empty() {
        kustomization.insert("replicas".into(), Doc::Array(replicas));
    }
    if !patches.is_empty() {
        kustomization.insert("patches".into(), Doc::Array(patches));
    }
    let text = format!("# {}: {}.\n{}", environment.name, environment.comment, to_yaml(&Doc::Object(kustomization)));
    files.insert(0, ExportFile::new(format!("{dir}/kustomization.yaml"), text));
    files
}
