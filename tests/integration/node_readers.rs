//! The hand-written readers of typed values (core/src/node_read.rs, core/src/plan/read.rs) against
//! the serde deserializer over the same tree that core used before (`oracle` below, with serde's
//! derived `Deserialize` of the Plan types): on every YAML and JSON file of the repository (and of
//! ../shared/reference when present), on generated plans, and on thousands of mutated documents,
//! both must read equal values, or fail with the same message at the same line and column.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use tokenfleet_core::catalog::CapacityType;
use tokenfleet_core::node_read::FromNode;
use tokenfleet_core::plan::*;
use tokenfleet_core::yaml::{self, Node, Value};
use tokenfleet_core::{examples::EXAMPLES, manifest};

use crate::generate::{self, Rng};

/// The serde `Deserializer` over the located tree that core read typed values with before
/// (core/src/node_de.rs), kept as the oracle.
mod oracle {
    use std::fmt;

    use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
    use tokenfleet_core::yaml::{Node, Value};

    #[derive(Debug, Clone, PartialEq)]
    pub struct NodeError {
        pub message: String,
        pub line: u64,
        pub column: u64,
        located: bool,
    }

    impl fmt::Display for NodeError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
        }
    }

    impl std::error::Error for NodeError {}

    impl de::Error for NodeError {
        fn custom<T: fmt::Display>(message: T) -> Self {
            NodeError { message: message.to_string(), line: 0, column: 0, located: false }
        }
    }

    /// The innermost node an error comes from names its place; outer nodes leave it alone.
    fn at(node: &Node) -> impl FnOnce(NodeError) -> NodeError + '_ {
        move |mut e| {
            if !e.located {
                e.line = node.line;
                e.column = node.column;
                e.located = true;
            }
            e
        }
    }

    pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, NodeError> {
        T::deserialize(NodeDeserializer(node))
    }

    #[derive(Clone, Copy)]
    pub struct NodeDeserializer<'a>(pub &'a Node);

    fn scalar_text(value: &Value) -> Option<String> {
        match value {
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            _ => None,
        }
    }

    macro_rules! numbers {
        ($de:lifetime: $($method:ident)*) => {
            $(fn $method<V: Visitor<$de>>(self, visitor: V) -> Result<V::Value, NodeError> {
                self.number(visitor)
            })*
        };
    }

    impl<'de> de::Deserializer<'de> for NodeDeserializer<'_> {
        type Error = NodeError;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            let node = self.0;
            match &node.value {
                Value::Null => visitor.visit_unit(),
                Value::Bool(b) => visitor.visit_bool(*b),
                Value::Int(i) => visitor.visit_i64(*i),
                Value::Float(f) => visitor.visit_f64(*f),
                Value::Str(s) => visitor.visit_str(s),
                Value::Seq(items) => visitor.visit_seq(Items { items: items.iter() }),
                Value::Map(entries) => visitor.visit_map(Entries { entries: entries.iter(), value: None }),
            }
            .map_err(at(node))
        }

        fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            match &self.0.value {
                Value::Str(s) => visitor.visit_str(s),
                other => match scalar_text(other) {
                    Some(text) => visitor.visit_string(text),
                    None => Err(unexpected(other, &visitor)),
                },
            }
            .map_err(at(self.0))
        }

        fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            self.deserialize_str(visitor)
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            match self.0.value {
                Value::Null => visitor.visit_none(),
                _ => visitor.visit_some(self),
            }
            .map_err(at(self.0))
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            visitor: V,
        ) -> Result<V::Value, NodeError> {
            visitor.visit_newtype_struct(self).map_err(at(self.0))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, NodeError> {
            match &self.0.value {
                Value::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
                other => Err(unexpected(other, &visitor)),
            }
            .map_err(at(self.0))
        }

        fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            match &self.0.value {
                Value::Bool(b) => visitor.visit_bool(*b),
                other => Err(unexpected(other, &visitor)),
            }
            .map_err(at(self.0))
        }

        numbers! { 'de: deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 }

        fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            match &self.0.value {
                Value::Seq(items) => visitor.visit_seq(Items { items: items.iter() }),
                other => Err(unexpected(other, &visitor)),
            }
            .map_err(at(self.0))
        }

        fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            match &self.0.value {
                Value::Map(entries) => visitor.visit_map(Entries { entries: entries.iter(), value: None }),
                other => Err(unexpected(other, &visitor)),
            }
            .map_err(at(self.0))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, NodeError> {
            self.deserialize_map(visitor)
        }

        fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            visitor.visit_unit()
        }

        serde::forward_to_deserialize_any! {
            char bytes byte_buf unit unit_struct tuple tuple_struct identifier
        }
    }

    impl NodeDeserializer<'_> {
        fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NodeError> {
            match &self.0.value {
                Value::Int(i) => visitor.visit_i64(*i),
                Value::Float(f) => visitor.visit_f64(*f),
                other => Err(unexpected(other, &visitor)),
            }
            .map_err(at(self.0))
        }
    }

    fn unexpected(value: &Value, expected: &dyn de::Expected) -> NodeError {
        let unexpected = match value {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::Str(s) => de::Unexpected::Str(s),
            Value::Seq(_) => de::Unexpected::Seq,
            Value::Map(_) => de::Unexpected::Map,
        };
        de::Error::invalid_type(unexpected, expected)
    }

    struct Items<'a> {
        items: std::slice::Iter<'a, Node>,
    }

    impl<'de> SeqAccess<'de> for Items<'_> {
        type Error = NodeError;

        fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, NodeError> {
            match self.items.next() {
                Some(node) => seed.deserialize(NodeDeserializer(node)).map(Some),
                None => Ok(None),
            }
        }

        fn size_hint(&self) -> Option<usize> {
            Some(self.items.len())
        }
    }

    struct Entries<'a> {
        entries: std::slice::Iter<'a, (String, Node)>,
        value: Option<&'a Node>,
    }

    impl<'de> MapAccess<'de> for Entries<'_> {
        type Error = NodeError;

        fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, NodeError> {
            match self.entries.next() {
                Some((key, value)) => {
                    self.value = Some(value);
                    let key: de::value::StrDeserializer<'_, NodeError> = key.as_str().into_deserializer();
                    seed.deserialize(key).map(Some).map_err(at(value))
                }
                None => Ok(None),
            }
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, NodeError> {
            match self.value.take() {
                Some(node) => seed.deserialize(NodeDeserializer(node)),
                None => Err(de::Error::custom("a mapping value was read before its key")),
            }
        }

        fn size_hint(&self) -> Option<usize> {
            Some(self.entries.len())
        }
    }
}

/// What a reader made of a node: the value (its `Debug` text, so that NaN equals NaN), or the error
/// with its place.
type Outcome = Result<String, (String, u64, u64)>;

/// Where the oracle and the reader disagree on reading `node` as `T`, if they do.
fn disagreement<T: DeserializeOwned + FromNode + Debug>(node: &Node) -> Option<String> {
    let old: Outcome =
        oracle::from_node::<T>(node).map(|v| format!("{v:?}")).map_err(|e| (e.message, e.line, e.column));
    let new: Outcome = tokenfleet_core::node_read::from_node::<T>(node)
        .map(|v| format!("{v:?}"))
        .map_err(|e| (e.message, e.line, e.column));
    (old != new).then(|| format!("as {}:\n old: {old:?}\n new: {new:?}", std::any::type_name::<T>()))
}

/// `$check::<T>($node)` for every type the Plan is made of and the scalars and containers they use,
/// as the disagreements found: one list for the reader and the writer oracles (`doc_writers`).
macro_rules! every_plan_type {
    ($check:ident, $node:expr) => {
        [
            $check::<Plan>($node),
            $check::<Metadata>($node),
            $check::<PlanSpec>($node),
            $check::<Cluster>($node),
            $check::<Workload>($node),
            $check::<RequestRate>($node),
            $check::<TraceRef>($node),
            $check::<TokenDistribution>($node),
            $check::<SloMetric>($node),
            $check::<Slo>($node),
            $check::<Mode>($node),
            $check::<Deployment>($node),
            $check::<Stage>($node),
            $check::<ReplicaBounds>($node),
            $check::<Toleration>($node),
            $check::<Autoscaler>($node),
            $check::<AutoscalerKind>($node),
            $check::<ScalingMetric>($node),
            $check::<MetricKind>($node),
            $check::<ScalingBehavior>($node),
            $check::<NodePool>($node),
            $check::<Taint>($node),
            $check::<Consolidation>($node),
            $check::<Budget>($node),
            $check::<NodeClass>($node),
            $check::<CapacityReservation>($node),
            $check::<CapacityType>($node),
            $check::<String>($node),
            $check::<u32>($node),
            $check::<f64>($node),
            $check::<Option<u32>>($node),
            $check::<Option<f64>>($node),
            $check::<Option<String>>($node),
            $check::<Option<std::sync::Arc<str>>>($node),
            $check::<Vec<String>>($node),
            $check::<Vec<CapacityType>>($node),
            $check::<Vec<Taint>>($node),
            $check::<Vec<Budget>>($node),
            $check::<Vec<Toleration>>($node),
            $check::<BTreeMap<String, String>>($node),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<String>>()
    };
}
pub(crate) use every_plan_type;

/// Reads `node` as every type the Plan is made of (and the scalars and containers they use).
fn every_type(node: &Node) -> Vec<String> {
    every_plan_type!(disagreement, node)
}

/// Every node of a tree, in document order.
pub(crate) fn nodes(node: &Node) -> Vec<&Node> {
    let mut out = vec![node];
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| out.extend(nodes(n))),
        Value::Map(entries) => entries.iter().for_each(|(_, n)| out.extend(nodes(n))),
        _ => {}
    }
    out
}

/// The `n`th node of a tree in document order (0 is the root).
pub(crate) fn nth_mut<'a>(node: &'a mut Node, n: &mut usize) -> Option<&'a mut Node> {
    if *n == 0 {
        return Some(node);
    }
    *n -= 1;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().find_map(|c| nth_mut(c, n)),
        Value::Map(entries) => entries.iter_mut().find_map(|(_, c)| nth_mut(c, n)),
        _ => None,
    }
}

/// Every node of the tree at a line of its own, so that an error placed at the wrong node shows.
fn renumber(node: &mut Node, next: &mut u64) {
    node.line = *next;
    node.column = *next % 37 + 1;
    *next += 1;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| renumber(n, next)),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| renumber(n, next)),
        _ => {}
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !["target", "node_modules", ".git", "dist"].contains(&name) {
                files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            out.push(path);
        }
    }
}

/// Every YAML and JSON document of the repository and of ../shared/reference.
pub(crate) fn corpus() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    files(&tokenfleet_tests::repo_root(), &mut paths);
    if let Some(reference) = tokenfleet_tests::shared_reference() {
        files(&reference, &mut paths);
    } else {
        eprintln!("node_readers: ../shared/reference is absent; its files are not in the corpus");
    }
    paths.into_iter().filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?))).collect()
}

/// Fails with the count and the first six of an oracle's disagreements, if there are any.
pub(crate) fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} disagreements, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(6)].join("\n")
    );
}

#[test]
fn every_file_reads_as_serde_read_it() {
    let corpus = corpus();
    let (mut documents, mut plans, mut failures) = (0, 0, Vec::new());
    for (name, text) in &corpus {
        let Ok(trees) = yaml::parse_stream(text) else { continue };
        for tree in &trees {
            documents += 1;
            plans += usize::from(tokenfleet_core::node_read::from_node::<Plan>(tree).is_ok());
            for node in nodes(tree) {
                failures.extend(every_type(node).into_iter().map(|d| format!("{name} line {}: {d}", node.line)));
            }
        }
    }
    assert!(documents >= 40 && plans >= 6, "the corpus is too small: {documents} documents, {plans} plans");
    assert_none(failures);
}

#[test]
fn generated_plans_read_as_serde_read_them() {
    let mut failures = Vec::new();
    for seed in 0..200 {
        let plan = generate::plan(seed);
        for text in [plan.to_yaml(), serde_json::to_string_pretty(&plan).unwrap()] {
            let tree = yaml::parse_document(&text).unwrap();
            assert_eq!(tokenfleet_core::node_read::from_node::<Plan>(&tree).unwrap(), plan, "seed {seed}");
            for node in nodes(&tree) {
                failures.extend(every_type(node).into_iter().map(|d| format!("seed {seed} line {}: {d}", node.line)));
            }
        }
    }
    assert_none(failures);
}

/// Every field name of the Plan's types, and near misses: mutations use them as keys.
const KEYS: &str =
    "apiVersion kind metadata spec name description region cluster workload deployments nodePools nodeClasses \
     nodeRole requestsPerSecond trace inputTokens outputTokens slos baseline peak file csv mean p90 metric \
     percentile limitMs model precision engine tensorParallel replicas mode prefill decode maxNumSeqs maxModelLen \
     gpuMemoryUtilization image tolerations nodeSelector autoscaler nodePool min max key operator value effect \
     metrics behavior pollingIntervalSeconds prometheusAddress target scaleUpStabilizationSeconds \
     scaleDownStabilizationSeconds scaleUpPodsPerPeriod weight capacityTypes instanceFamilies instanceTypes \
     limits taints labels consolidation budgets expireAfter nodeClass policy after nodes schedule duration \
     reasons ami diskGiB capacityReservations id instanceType count bogus Name node_pools diskGib";

fn key(rng: &mut Rng) -> String {
    let keys: Vec<&str> = KEYS.split_whitespace().chain(["", "p 90", "a\"b"]).collect();
    rng.pick(&keys).to_string()
}

/// Scalars and small collections that are almost right, or quite wrong, for some field.
fn random_value(rng: &mut Rng, depth: u32) -> Value {
    const INTS: &[i64] = &[0, 1, -1, 7, 100, 4_294_967_295, 4_294_967_296, i64::MIN, i64::MAX, -4_294_967_296];
    const FLOATS: &[f64] =
        &[0.0, -0.0, 1.0, 1.5, 1e20, 1e300, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 2.5e-8, 4294967295.0, -1.0];
    const STRINGS: &str =
        "x 12 1.5 -1 true null ~ ttft tpot e2e Ttft hpa keda Hpa monolithic disaggregated spot on-demand \
         onDemand reserved queueDepth runningRequests kvCacheUsage gpuUtilization cpuUtilization queue_depth \
         5m bf16 tokenfleet.dev/v1alpha1 Plan";
    match rng.below(if depth > 2 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => Value::Int(*rng.pick(INTS)),
        3 => Value::Int(rng.below(5000) as i64),
        4 => Value::Float(*rng.pick(FLOATS)),
        5 => {
            let strings: Vec<&str> = STRINGS.split_whitespace().chain(["", "a\"b\n\t\\c", "ünï 😀"]).collect();
            Value::Str(rng.pick(&strings).to_string())
        }
        6 => Value::Seq((0..rng.below(4)).map(|_| node(random_value(rng, depth + 1))).collect()),
        _ => Value::Map((0..rng.below(4)).map(|_| (key(rng), node(random_value(rng, depth + 1)))).collect()),
    }
}

fn node(value: Value) -> Node {
    Node { value, line: 0, column: 0 }
}

/// Nesting as deep as the parser allows.
fn deep(rng: &mut Rng) -> Value {
    let mut value = random_value(rng, 3);
    for _ in 0..rng.below(yaml::MAX_DEPTH as u64) {
        value = if rng.chance(50) { Value::Seq(vec![node(value)]) } else { Value::Map(vec![(key(rng), node(value))]) };
    }
    value
}

/// One random change to a node: another value, a key removed, added, repeated or renamed, entries
/// or items reordered, a number written as a string and back, the value wrapped or nested deep.
pub(crate) fn mutate(rng: &mut Rng, target: &mut Node) {
    match (&mut target.value, rng.below(10)) {
        (Value::Map(entries), 0) if !entries.is_empty() => {
            entries.remove(rng.below(entries.len() as u64) as usize);
        }
        (Value::Map(entries), 1) => {
            let at = rng.below(entries.len() as u64 + 1) as usize;
            entries.insert(at, (key(rng), node(random_value(rng, 1))));
        }
        (Value::Map(entries), 2) if !entries.is_empty() => {
            let copy = entries[rng.below(entries.len() as u64) as usize].clone();
            entries.push(copy);
        }
        (Value::Map(entries), 3) if !entries.is_empty() => {
            let at = rng.below(entries.len() as u64) as usize;
            entries[at].0 = key(rng);
        }
        (Value::Map(entries), 4) if entries.len() > 1 => {
            let (a, b) = (rng.below(entries.len() as u64) as usize, rng.below(entries.len() as u64) as usize);
            entries.swap(a, b);
        }
        (Value::Seq(items), 0 | 1) if !items.is_empty() => {
            let at = rng.below(items.len() as u64) as usize;
            if rng.chance(50) {
                items.remove(at);
            } else {
                let copy = items[at].clone();
                items.push(copy);
            }
        }
        (Value::Int(i), 0..=3) => target.value = Value::Str(i.to_string()),
        (Value::Float(f), 0..=3) => target.value = Value::Str(f.to_string()),
        (Value::Str(s), 0..=3) => {
            target.value = match (s.parse::<i64>(), s.parse::<f64>()) {
                (Ok(i), _) => Value::Int(i),
                (_, Ok(f)) => Value::Float(f),
                _ => Value::Str(s.to_uppercase()),
            }
        }
        (_, 5) => {
            let inner = std::mem::replace(&mut target.value, Value::Null);
            target.value =
                if rng.chance(50) { Value::Seq(vec![node(inner)]) } else { Value::Map(vec![(key(rng), node(inner))]) };
        }
        (_, 6) => target.value = deep(rng),
        _ => target.value = random_value(rng, 0),
    }
}

/// Sources to mutate: the examples and generated plans, as trees.
pub(crate) fn sources() -> Vec<Node> {
    EXAMPLES
        .iter()
        .map(|(_, text)| yaml::parse_document(text).unwrap())
        .chain((0..40).map(|seed| yaml::parse_document(&generate::plan(seed).to_yaml()).unwrap()))
        .collect()
}

#[test]
fn mutated_trees_read_as_serde_read_them() {
    let sources = sources();
    let rng = &mut Rng::new(77);
    let (mut failures, mut errors, mut messages) = (Vec::new(), 0, std::collections::BTreeSet::new());
    for round in 0..6000 {
        let mut tree = rng.pick(&sources).clone();
        for _ in 0..=rng.below(3) {
            let mut at = rng.below(nodes(&tree).len() as u64) as usize;
            if let Some(target) = nth_mut(&mut tree, &mut at) {
                mutate(rng, target);
            }
        }
        renumber(&mut tree, &mut 1);
        if let Some(d) = disagreement::<Plan>(&tree) {
            failures.push(format!("round {round}: {d}"));
        }
        if let Err(e) = tokenfleet_core::node_read::from_node::<Plan>(&tree) {
            errors += 1;
            messages.insert(e.message.split('`').next().unwrap_or_default().to_string());
        }
        // And every type on a few nodes (the imported workload is read on its own).
        let all = nodes(&tree);
        for _ in 0..3 {
            let node = *rng.pick(&all);
            failures.extend(every_type(node).into_iter().map(|d| format!("round {round} line {}: {d}", node.line)));
        }
    }
    assert_none(failures);
    // The mutations reach every kind of error.
    assert!(errors > 3000, "too few mutated trees are errors: {errors}");
    for kind in [
        "invalid type: ",
        "invalid value: ",
        "missing field ",
        "unknown field ",
        "unknown variant ",
        "duplicate field ",
    ] {
        assert!(messages.iter().any(|m| m.starts_with(kind)), "no `{kind}` error among {messages:?}");
    }
}

/// Small random edits of the text of real plans: where the text is still YAML, the Plan reads as
/// before, and `parse_plan` reports the reader's error where there is one.
#[test]
fn mutated_texts_read_as_serde_read_them() {
    const PIECES: &[&str] = &[
        ":",
        ": ",
        "- ",
        "{",
        "}",
        "[",
        "]",
        ",",
        "'",
        "\"",
        "\n",
        "  ",
        "~",
        "1",
        "-1",
        "1.5",
        "x",
        "true",
        "null",
        "\"12\"",
        "bogus: 1\n",
        "name: n\n",
        "    ",
        "#",
    ];
    let sources: Vec<String> = EXAMPLES
        .iter()
        .map(|(_, text)| text.to_string())
        .chain((0..20).map(|seed| generate::plan(seed).to_yaml()))
        .chain((0..5).map(|seed| serde_json::to_string_pretty(&generate::plan(seed)).unwrap()))
        .collect();
    let rng = &mut Rng::new(31);
    let (mut failures, mut read_errors) = (Vec::new(), 0);
    for round in 0..3000 {
        let source = rng.pick(&sources);
        let text = generate::mutate_text(rng, source, PIECES, 2);
        let Ok(tree) = yaml::parse_document(&text) else { continue };
        if let Some(d) = disagreement::<Plan>(&tree) {
            failures.push(format!("round {round}: {d}\n{text}"));
        }
        if let Err(old) = oracle::from_node::<Plan>(&tree) {
            read_errors += 1;
            let e = parse_plan(&text).unwrap_err();
            if (e.line, e.column, e.message.as_str()) != (Some(old.line), Some(old.column), old.message.as_str()) {
                failures.push(format!("round {round}: parse_plan says {e}, the oracle {old}\n{text}"));
            }
        }
    }
    assert_none(failures);
    assert!(read_errors > 500, "too few mutated texts fail to read: {read_errors}");
}

/// The readers are what `manifest::import` reads `workload.json` with: a bad one is reported with
/// the oracle's words.
#[test]
fn an_imported_workload_reads_as_serde_read_it() {
    let plan = generate::plan(3);
    let stream = manifest::render_stream(&plan);
    let imported = manifest::import::import_yaml("x.yaml", &stream).unwrap();
    assert_eq!(imported.plan.spec.workload, plan.spec.workload);
    let broken = stream.replacen("requestsPerSecond", "requestsPerSecnd", 1);
    assert_ne!(broken, stream, "the manifest carries workload.json");
    let imported = manifest::import::import_yaml("x.yaml", &broken).unwrap();
    let finding = imported.findings.iter().find(|f| f.code == "TF032").expect("TF032");
    assert!(finding.message.starts_with("workload.json: unknown field `requestsPerSecnd`"), "{}", finding.message);
}
