//! Typed values read from the located YAML tree ([`crate::yaml::Node`]) by small hand-written readers.
//!
//! YAML and JSON are parsed once into the generic tree (`crate::yaml`); typed structs (the Plan, the
//! imported workload) are read from the tree by [`FromNode`]. A struct's reader is one call to the
//! non-generic [`read_fields`] with a slot per field (`read_struct!`), so the per-type code stays
//! small (web app size), and every error carries the line and column of the node it is about.
//!
//! The errors say what serde's derived `Deserialize` said (`unknown field`, `missing field`,
//! `invalid type: …, expected …`): the serde deserializer over the tree that Tokenfleet used before
//! is kept as the oracle these readers must agree with (`tests/integration/node_readers.rs`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::yaml::{Node, Value};

/// Why a tree could not be read as the requested type, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeError {
    pub message: String,
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for NodeError {}

impl NodeError {
    /// An error about a node, placed at it.
    pub fn at(node: &Node, message: String) -> NodeError {
        NodeError { message, line: node.line, column: node.column }
    }
}

/// A type read from a located tree. Each reader places its errors at the innermost node they are
/// about: the value of the wrong type, the struct missing a field, the value of an unknown key.
///
/// Values are read in place: a reader overwrites a value that already exists (a struct's field, a
/// new element of a sequence) instead of returning a new one, so a struct is built once where it
/// lives rather than moved through each enclosing `Result`, `Option` and `Vec` (web app size).
pub trait FromNode: Sized {
    /// The value a reader starts from: a required field holds it until the document gives the
    /// field (it is never seen: a struct missing a required field is an error), a new sequence
    /// element until it is read.
    fn initial() -> Self;

    /// Reads `node` into `self`, replacing what it held. After an error `self` holds a partial
    /// value that is only fit to be dropped.
    fn fill(&mut self, node: &Node) -> Result<(), NodeError>;
}

/// Reads a typed value from a located tree.
pub fn from_node<T: FromNode>(node: &Node) -> Result<T, NodeError> {
    let mut value = T::initial();
    value.fill(node)?;
    Ok(value)
}

/// `invalid type: <what the node is>, expected <expected>`, in serde's words.
pub fn invalid_type(node: &Node, expected: &str) -> NodeError {
    let found = match &node.value {
        Value::Null => "unit value".to_string(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Int(i) => format!("integer `{i}`"),
        Value::Float(f) => {
            // Always with a decimal point, as serde writes it (`1.0`, not `1`).
            let mut text = f.to_string();
            if f.is_finite() && !text.contains('.') {
                text.push_str(".0");
            }
            format!("floating point `{text}`")
        }
        Value::Str(s) => format!("string {s:?}"),
        Value::Seq(_) => "sequence".to_string(),
        Value::Map(_) => "map".to_string(),
    };
    NodeError::at(node, format!("invalid type: {found}, expected {expected}"))
}

/// The names a value may take, as serde lists them: `` `a` ``, `` `a` or `b` ``, `` one of `a`, `b`, `c` ``.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

impl FromNode for Arc<str> {
    fn initial() -> Arc<str> {
        Arc::from("")
    }

    /// As a [`String`] is read.
    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        let mut text = String::new();
        FromNode::fill(&mut text, node)?;
        *self = text.into();
        Ok(())
    }
}

impl FromNode for String {
    fn initial() -> String {
        String::new()
    }

    /// A string, or a plain number or boolean as the text a person wrote (`nvidia.com/gpu: 16`), as
    /// YAML readers do.
    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        *self = node.scalar_text().ok_or_else(|| invalid_type(node, "a string"))?;
        Ok(())
    }
}

impl FromNode for u32 {
    fn initial() -> u32 {
        0
    }

    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        *self = match node.value {
            Value::Int(i) => u32::try_from(i)
                .map_err(|_| NodeError::at(node, format!("invalid value: integer `{i}`, expected u32")))?,
            _ => return Err(invalid_type(node, "u32")),
        };
        Ok(())
    }
}

impl FromNode for f64 {
    fn initial() -> f64 {
        0.0
    }

    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        *self = match node.value {
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            _ => return Err(invalid_type(node, "f64")),
        };
        Ok(())
    }
}

impl<T: FromNode> FromNode for Option<T> {
    fn initial() -> Option<T> {
        None
    }

    /// `null` is `None`.
    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        match node.value {
            Value::Null => {
                *self = None;
                Ok(())
            }
            _ => self.insert(T::initial()).fill(node),
        }
    }
}

impl<T: FromNode> FromNode for Vec<T> {
    fn initial() -> Vec<T> {
        Vec::new()
    }

    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        let Value::Seq(items) = &node.value else { return Err(invalid_type(node, "a sequence")) };
        self.clear();
        self.resize_with(items.len(), T::initial);
        self.iter_mut().zip(items).try_for_each(|(value, item)| value.fill(item))
    }
}

impl<T: FromNode> FromNode for BTreeMap<String, T> {
    fn initial() -> BTreeMap<String, T> {
        BTreeMap::new()
    }

    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        let Value::Map(entries) = &node.value else { return Err(invalid_type(node, "a map")) };
        self.clear();
        for (key, value) in entries {
            self.insert(key.clone(), from_node(value)?);
        }
        Ok(())
    }
}

/// Where a struct's reader puts a field's value: the field itself ([`FromNode::fill`] behind a
/// `dyn`, which `FromNode` cannot be).
pub trait Slot {
    fn fill(&mut self, node: &Node) -> Result<(), NodeError>;
}

impl<T: FromNode> Slot for T {
    fn fill(&mut self, node: &Node) -> Result<(), NodeError> {
        FromNode::fill(self, node)
    }
}

/// Reads a mapping into a struct's fields (`names[i]` fills `slots[i]`, which `required[i]` says a
/// document must give), in the mapping's order: the first unknown key, repeated key or bad value is
/// the error, then the first missing required field, as with serde's derived readers
/// (`deny_unknown_fields`). `expected` names the struct (`struct Plan`), of at most 64 fields.
pub fn read_fields(
    node: &Node,
    expected: &str,
    names: &'static [&'static str],
    required: &'static [bool],
    slots: &mut [&mut dyn Slot],
) -> Result<(), NodeError> {
    let Value::Map(entries) = &node.value else { return Err(invalid_type(node, expected)) };
    let mut seen = 0u64;
    for (key, value) in entries {
        let field = names.iter().position(|name| name == key).and_then(|i| Some((i, slots.get_mut(i)?)));
        let Some((i, slot)) = field else {
            return Err(NodeError::at(value, format!("unknown field `{key}`, expected {}", one_of(names))));
        };
        if seen & (1 << i) != 0 {
            return Err(NodeError::at(node, format!("duplicate field `{key}`")));
        }
        seen |= 1 << i;
        slot.fill(value)?;
    }
    // Then the first required field the mapping lacks, in declaration order.
    let missing = names.iter().zip(required).enumerate().find(|(i, (_, required))| **required && seen & (1 << i) == 0);
    match missing {
        Some((_, (name, _))) => Err(NodeError::at(node, format!("missing field `{name}`"))),
        None => Ok(()),
    }
}

/// The index of a unit variant written as its name (`expected` names the enum: `enum Mode`).
pub fn variant(node: &Node, expected: &str, names: &'static [&'static str]) -> Result<usize, NodeError> {
    let Value::Str(name) = &node.value else { return Err(invalid_type(node, expected)) };
    names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| NodeError::at(node, format!("unknown variant `{name}`, expected {}", one_of(names))))
}

/// Implements [`FromNode`] for a struct from its fields in declaration order: `field: "name"` is
/// required, `field: "name" = make` defaults to `make()` when absent (`= Default::default` for
/// serde's plain `default`). Unknown keys are refused (serde's `deny_unknown_fields`).
///
/// A struct starts as its defaults (and the [`FromNode::initial`] values of its required fields)
/// and the document overwrites its fields in place: a reader is a struct literal and one call.
macro_rules! read_struct {
    ($ty:ident { $($field:ident: $name:literal $(= $default:path)?),* $(,)? }) => {
        impl $crate::node_read::FromNode for $ty {
            fn initial() -> Self {
                $ty { $($field: $crate::node_read::read_struct!(@initial $($default)?)),* }
            }

            fn fill(&mut self, node: &$crate::yaml::Node) -> Result<(), $crate::node_read::NodeError> {
                // Fields the document leaves out hold their defaults, whatever `self` held.
                *self = <Self as $crate::node_read::FromNode>::initial();
                $crate::node_read::read_fields(
                    node,
                    concat!("struct ", stringify!($ty)),
                    &[$($name),*],
                    &[$($crate::node_read::read_struct!(@required $($default)?)),*],
                    &mut [$(&mut self.$field),*],
                )
            }
        }
    };
    (@initial) => {
        $crate::node_read::FromNode::initial()
    };
    (@initial $default:path) => {
        $default()
    };
    (@required) => {
        true
    };
    (@required $default:path) => {
        false
    };
}
pub(crate) use read_struct;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{tree, Plan};

    fn read(text: &str) -> Result<Plan, NodeError> {
        from_node(&tree::parse_document(text).unwrap())
    }

    const GOOD: &str =
        "apiVersion: tokenfleet.dev/v1alpha1\nkind: Plan\nmetadata:\n  name: t\nspec:\n  region: us-east-1\n";

    #[test]
    fn errors_point_at_the_node() {
        let e = read(&format!("{GOOD}  workload:\n    requestsPerSecond:\n      baseline: lots\n      peak: 2\n"))
            .unwrap_err();
        assert_eq!((e.line, e.column), (9, 17), "{e}");
        assert_eq!(e.message, "invalid type: string \"lots\", expected f64");
        let e = read(&format!("{GOOD}  bogus: 1\n")).unwrap_err();
        assert_eq!((e.line, e.column), (7, 10), "{e}");
        assert_eq!(
            e.message,
            "unknown field `bogus`, expected one of `region`, `cluster`, `workload`, `deployments`, `nodePools`, \
             `nodeClasses`"
        );
        let e = read("kind: Plan\n").unwrap_err();
        assert_eq!((e.line, e.column, e.message.as_str()), (1, 1, "missing field `apiVersion`"));
        let e = read(&format!("{GOOD}  cluster: {{name: c, nodeRole: [a]}}\n")).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (7, "invalid type: sequence, expected a string"), "{e}");
        let e = read(&format!("{GOOD}  cluster: {{nodeRole: r}}\n")).unwrap_err();
        assert_eq!((e.line, e.column, e.message.as_str()), (7, 12, "missing field `name`"), "{e}");
        let e = read(&format!("{GOOD}  cluster: {{name: c, x: 1.0}}\n")).unwrap_err();
        assert_eq!(e.message, "unknown field `x`, expected `name` or `nodeRole`", "{e}");
    }

    #[test]
    fn numbers_and_variants_say_what_serde_said() {
        let deployment = |tail: &str| {
            format!("{GOOD}  deployments:\n    - name: d\n      model: m\n      replicas: {{min: 1, max: 2}}\n{tail}")
        };
        let e = read(&deployment("      tensorParallel: -1\n")).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (11, "invalid value: integer `-1`, expected u32"), "{e}");
        let e = read(&deployment("      tensorParallel: 2e0\n")).unwrap_err();
        assert_eq!(e.message, "invalid type: floating point `2.0`, expected u32", "{e}");
        let e = read(&deployment("      mode: Disaggregated\n")).unwrap_err();
        assert_eq!(e.message, "unknown variant `Disaggregated`, expected `monolithic` or `disaggregated`", "{e}");
        let e = read(&deployment("      mode: 1\n")).unwrap_err();
        assert_eq!(e.message, "invalid type: integer `1`, expected enum Mode", "{e}");
        let e = read(&deployment("      mode: ~\n")).unwrap_err();
        assert_eq!(e.message, "invalid type: unit value, expected enum Mode", "{e}");
        let plan = read(&deployment("      gpuMemoryUtilization: 1\n      maxNumSeqs: ~\n")).unwrap();
        let d = &plan.spec.deployments[0];
        assert_eq!((d.gpu_memory_utilization, d.max_num_seqs), (Some(1.0), None));
        assert_eq!((d.precision.as_str(), d.engine.as_str(), d.tensor_parallel), ("bf16", "vllm", 1));
    }

    #[test]
    fn a_repeated_key_is_refused_at_its_struct() {
        let mut root = tree::parse_document("name: a\nnodeRole: r\n").unwrap();
        if let Value::Map(entries) = &mut root.value {
            let first = entries[0].clone();
            entries.push(first);
        }
        let e = from_node::<crate::plan::Cluster>(&root).unwrap_err();
        assert_eq!((e.line, e.column, e.message.as_str()), (1, 1, "duplicate field `name`"));
    }

    #[test]
    fn reading_into_a_value_replaces_all_of_it() {
        let doc = |text: &str| tree::parse_document(text).unwrap();
        let mut cluster: crate::plan::Cluster = from_node(&doc("name: a\nnodeRole: r\n")).unwrap();
        // A field the document leaves out goes back to its default, not what the value held.
        FromNode::fill(&mut cluster, &doc("name: b\n")).unwrap();
        assert_eq!(cluster, crate::plan::Cluster { name: "b".into(), node_role: None });
        let mut cluster = Some(cluster);
        FromNode::fill(&mut cluster, &doc("~")).unwrap();
        assert_eq!(cluster, None);
        let mut names: Vec<String> = from_node(&doc("[a, b, c]")).unwrap();
        FromNode::fill(&mut names, &doc("[d]")).unwrap();
        assert_eq!(names, ["d"]);
    }

    #[test]
    fn plain_numbers_read_as_strings_where_strings_are_expected() {
        let text =
            crate::examples::example("quickstart").unwrap().replace("nvidia.com/gpu: \"16\"", "nvidia.com/gpu: 16");
        let plan = read(&text).unwrap();
        assert_eq!(plan.spec.node_pools[0].limits["nvidia.com/gpu"], "16");
    }
}
