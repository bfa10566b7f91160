//! Reservations as code: the Terraform for the capacity reservations a plan relies on.
//!
//! On-Demand Capacity Reservations become `aws_ec2_capacity_reservation` resources (targeted, so that
//! only the NodePools selecting them launch into them), driven by one `capacity_reservations` variable
//! whose default is what the plan holds; outputs give the ids per node class in the shape of the
//! EC2NodeClass's `capacityReservationSelectorTerms`. Capacity Blocks for ML are bought from an offering
//! (`aws ec2 purchase-capacity-block`), not created, so they are written down as what to purchase:
//! instance type, count, zone and dates, as a local value and an output. The HCL is built with the
//! `hcl-rs` crate and formatted by it.

use std::collections::BTreeMap;

use hcl::expr::{BinaryOp, BinaryOperator, Conditional, ForExpr, FuncCall, ObjectKey, Traversal, Variable};
use hcl::{Block, Body, Expression, Identifier};
use serde::Serialize;

use crate::plan::{CapacityReservation, Plan};

/// The AWS provider versions the files are written for: `instance_match_criteria`, `end_date_type`
/// and `tags` on `aws_ec2_capacity_reservation` exist since 3.x; 5.x is current.
pub const AWS_PROVIDER_VERSION: &str = ">= 5.0";

/// Tag on every reservation: the node class whose NodePools use it (tag selectors can use it too).
pub const NODE_CLASS_TAG: &str = "tokenfleet.dev/node-class";
/// Tag on every reservation: the plan it was bought for.
pub const PLAN_TAG: &str = "tokenfleet.dev/plan";

/// One reservation as the `capacity_reservations` variable (ODCRs) or `capacity_blocks_to_purchase`
/// (Capacity Blocks) holds it.
#[derive(Serialize)]
struct Entry<'a> {
    node_class: &'a str,
    /// The id the plan names today (a placeholder until bought): kept to map old to new ids.
    plan_id: &'a str,
    instance_type: &'a str,
    availability_zone: Option<&'a str>,
    instance_count: u32,
    end_date: Option<&'a str>,
}

/// The entries by key.
fn entries<'a>(reservations: &[(String, &'a str, &'a CapacityReservation)]) -> BTreeMap<String, Entry<'a>> {
    reservations
        .iter()
        .map(|(k, class, r)| {
            let entry = Entry {
                node_class: class,
                plan_id: &r.id,
                instance_type: &r.instance_type,
                availability_zone: r.availability_zone.as_deref(),
                instance_count: r.count,
                end_date: r.end_time.as_deref(),
            };
            (k.clone(), entry)
        })
        .collect()
}

/// The key of a reservation in the variable's map: node class and position (`gpu-reserved-1`).
fn key(class: &str, index: usize) -> String {
    format!("{class}-{}", index + 1)
}

// The export's expressions are built, not parsed: hcl-rs formats a built tree exactly as it would a
// parsed one, and without `Expression::from_str` the HCL parser stays out of the web app's wasm
// (tests parse every file back).

/// A variable or a traversal from one (`var.region`, `each.value.instance_type`).
fn path(root: &str, attrs: &[&str]) -> Expression {
    let var = Variable::unchecked(root);
    if attrs.is_empty() {
        return var.into();
    }
    attrs.iter().fold(Traversal::builder(var), |t, a| t.attr(Identifier::unchecked(*a))).build().into()
}

/// `name(args…)`.
fn call(name: &str, args: Vec<Expression>) -> Expression {
    args.into_iter().fold(FuncCall::builder(Identifier::unchecked(name)), |f, a| f.arg(a)).build().into()
}

/// `{ key = value, … }` with identifier keys.
fn object(entries: &[(&str, Expression)]) -> Expression {
    Expression::Object(
        entries.iter().map(|(k, v)| (ObjectKey::Identifier(Identifier::unchecked(*k)), v.clone())).collect(),
    )
}

/// `aws_ec2_capacity_reservation.this`.
fn reservations_resource() -> Expression {
    path("aws_ec2_capacity_reservation", &["this"])
}

fn value<T: Serialize>(v: &T) -> Expression {
    hcl::to_expression(v).unwrap_or(Expression::Null)
}

fn reservations(plan: &Plan, capacity_block: bool) -> Vec<(String, &str, &CapacityReservation)> {
    let mut out = Vec::new();
    for class in &plan.spec.node_classes {
        for (i, r) in class.capacity_reservations.iter().enumerate() {
            if r.is_capacity_block() == capacity_block {
                out.push((key(&class.name, i), class.name.as_str(), r));
            }
        }
    }
    out
}

/// Whether the plan relies on any capacity reservation (else the Terraform has nothing to buy).
pub fn has_reservations(plan: &Plan) -> bool {
    plan.spec.node_classes.iter().any(|c| !c.capacity_reservations.is_empty())
}

/// The Terraform files for the plan's reservations as `(file name, text)`, in a stable order:
/// `versions.tf`, `variables.tf`, `main.tf`, `imports.tf` when the plan names reservations that exist
/// (a real `cr-` id rather than the placeholder: Terraform adopts them instead of buying them again),
/// `outputs.tf` and, when the plan has Capacity Blocks, `capacity-blocks.tf`.
pub fn terraform(plan: &Plan) -> Vec<(String, String)> {
    let header = format!(
        "# Generated by tokenfleet from plan {:?}: the capacity reservations its NodePools rely on.\n",
        plan.metadata.name
    );
    let odcrs = reservations(plan, false);
    let blocks = reservations(plan, true);
    let mut files = Vec::new();

    let versions = Body::builder()
        .add_block(
            Block::builder("terraform")
                // `import` blocks: Terraform 1.5.
                .add_attribute(("required_version", ">= 1.5"))
                .add_block(
                    Block::builder("required_providers")
                        .add_attribute((
                            "aws",
                            object(&[("source", "hashicorp/aws".into()), ("version", AWS_PROVIDER_VERSION.into())]),
                        ))
                        .build(),
                )
                .build(),
        )
        .add_block(
            Block::builder("provider").add_label("aws").add_attribute(("region", path("var", &["region"]))).build(),
        )
        .build();
    files.push(("versions.tf", versions));

    let odcr_default = entries(&odcrs);
    let variables = Body::builder()
        .add_block(
            Block::builder("variable")
                .add_label("region")
                .add_attribute(("description", "The AWS region of the plan."))
                .add_attribute(("type", path("string", &[])))
                .add_attribute(("default", plan.spec.region.as_str()))
                .build(),
        )
        .add_block(
            Block::builder("variable")
                .add_label("capacity_reservations")
                .add_attribute((
                    "description",
                    "On-Demand Capacity Reservations by key (node class and position): the node class whose \
                     NodePools use it, the id the plan names today, instance type, zone, count and end (RFC 3339; \
                     null: until cancelled).",
                ))
                .add_attribute((
                    "type",
                    call(
                        "map",
                        vec![call(
                            "object",
                            vec![object(&[
                                ("node_class", path("string", &[])),
                                ("plan_id", path("string", &[])),
                                ("instance_type", path("string", &[])),
                                ("availability_zone", path("string", &[])),
                                ("instance_count", path("number", &[])),
                                ("end_date", path("string", &[])),
                            ])],
                        )],
                    ),
                ))
                .add_attribute(("default", value(&odcr_default)))
                .add_block(
                    Block::builder("validation")
                        .add_attribute((
                            "condition",
                            call(
                                "alltrue",
                                vec![Expression::from(ForExpr::new(
                                    Identifier::unchecked("r"),
                                    call("values", vec![path("var", &["capacity_reservations"])]),
                                    BinaryOp::new(
                                        path("r", &["availability_zone"]),
                                        BinaryOperator::NotEq,
                                        Expression::Null,
                                    ),
                                ))],
                            ),
                        ))
                        .add_attribute((
                            "error_message",
                            "Every capacity reservation needs its availability_zone (a reservation holds capacity \
                             in one zone; the plan's nodeClasses[].capacityReservations[].availabilityZone sets it).",
                        ))
                        .build(),
                )
                .build(),
        )
        .add_block(
            Block::builder("variable")
                .add_label("tags")
                .add_attribute(("description", "Tags added to every reservation."))
                .add_attribute(("type", call("map", vec![path("string", &[])])))
                .add_attribute(("default", object(&[])))
                .build(),
        )
        .build();
    files.push(("variables.tf", variables));

    let main = Body::builder()
        .add_block(
            Block::builder("resource")
                .add_label("aws_ec2_capacity_reservation")
                .add_label("this")
                .add_attribute(("for_each", path("var", &["capacity_reservations"])))
                .add_attribute(("instance_type", path("each", &["value", "instance_type"])))
                .add_attribute(("instance_platform", "Linux/UNIX"))
                .add_attribute(("availability_zone", path("each", &["value", "availability_zone"])))
                .add_attribute(("instance_count", path("each", &["value", "instance_count"])))
                .add_attribute(("tenancy", "default"))
                // Targeted: only launches that name the reservation (Karpenter's, through the
                // EC2NodeClass's selector terms) use it, so other on-demand launches cannot take it.
                .add_attribute(("instance_match_criteria", "targeted"))
                .add_attribute((
                    "end_date_type",
                    Conditional::new(
                        BinaryOp::new(path("each", &["value", "end_date"]), BinaryOperator::Eq, Expression::Null),
                        "unlimited",
                        "limited",
                    ),
                ))
                .add_attribute(("end_date", path("each", &["value", "end_date"])))
                .add_attribute((
                    "tags",
                    call(
                        "merge",
                        vec![
                            path("var", &["tags"]),
                            Expression::Object(
                                [
                                    (ObjectKey::Identifier(Identifier::unchecked("Name")), path("each", &["key"])),
                                    (
                                        ObjectKey::Expression(NODE_CLASS_TAG.into()),
                                        path("each", &["value", "node_class"]),
                                    ),
                                    (ObjectKey::Expression(PLAN_TAG.into()), plan.metadata.name.as_str().into()),
                                ]
                                .into_iter()
                                .collect(),
                            ),
                        ],
                    ),
                ))
                .build(),
        )
        .build();
    files.push(("main.tf", main));

    // Reservations the plan names by a real id exist already: adopt them instead of buying twice.
    let existing: Vec<&(String, &str, &CapacityReservation)> =
        odcrs.iter().filter(|(_, _, r)| !r.id.starts_with(crate::plan::RESERVATION_PLACEHOLDER)).collect();
    if !existing.is_empty() {
        let mut imports = Body::builder();
        for (k, _, r) in existing {
            imports = imports.add_block(
                Block::builder("import")
                    .add_attribute(("to", Traversal::builder(reservations_resource()).index(k.as_str()).build()))
                    .add_attribute(("id", r.id.as_str()))
                    .build(),
            );
        }
        files.push(("imports.tf", imports.build()));
    }

    let outputs = Body::builder()
        .add_block(
            Block::builder("output")
                .add_label("capacity_reservation_ids")
                .add_attribute(("description", "The id of each reservation by key."))
                .add_attribute((
                    "value",
                    ForExpr::new(Identifier::unchecked("r"), reservations_resource(), path("r", &["id"]))
                        .with_key_var(Identifier::unchecked("k"))
                        .with_key_expr(path("k", &[])),
                ))
                .build(),
        )
        .add_block(
            Block::builder("output")
                .add_label("replaced_plan_ids")
                .add_attribute((
                    "description",
                    "The id the plan names today and the id bought for it: replace one with the other in the plan.",
                ))
                .add_attribute((
                    "value",
                    ForExpr::new(Identifier::unchecked("r"), reservations_resource(), path("r", &["id"]))
                        .with_key_var(Identifier::unchecked("k"))
                        .with_key_expr(
                            Traversal::builder(path("var", &["capacity_reservations"]))
                                .index(path("k", &[]))
                                .attr(Identifier::unchecked("plan_id"))
                                .build(),
                        ),
                ))
                .build(),
        )
        .add_block(
            Block::builder("output")
                .add_label("capacity_reservation_selector_terms")
                .add_attribute((
                    "description",
                    "Per node class, its EC2NodeClass spec.capacityReservationSelectorTerms (one id term per \
                     reservation).",
                ))
                .add_attribute((
                    "value",
                    ForExpr::new(
                        Identifier::unchecked("r"),
                        reservations_resource(),
                        object(&[("id", path("r", &["id"]))]),
                    )
                    .with_key_expr(Traversal::builder(path("r", &["tags"])).index(NODE_CLASS_TAG).build())
                    .with_grouping(true),
                ))
                .build(),
        )
        .build();
    files.push(("outputs.tf", outputs));

    if !blocks.is_empty() {
        let to_buy = entries(&blocks);
        let body = Body::builder()
            .add_block(Block::builder("locals").add_attribute(("capacity_blocks_to_purchase", value(&to_buy))).build())
            .add_block(
                Block::builder("output")
                    .add_label("capacity_blocks_to_purchase")
                    .add_attribute((
                        "description",
                        "Capacity Blocks for ML the plan relies on: buy each from an offering (see the comment at \
                         the top of capacity-blocks.tf), then put its cr- id in the plan.",
                    ))
                    .add_attribute(("value", path("local", &["capacity_blocks_to_purchase"])))
                    .build(),
            )
            .build();
        files.push(("capacity-blocks.tf", body));
    }

    files
        .into_iter()
        .map(|(name, body)| {
            let comment =
                if name == "capacity-blocks.tf" { capacity_block_comment(plan, &blocks) } else { String::new() };
            let text = hcl::format::to_string(&body).unwrap_or_default();
            (name.to_string(), format!("{header}{comment}\n{text}"))
        })
        .collect()
}

/// How to buy each Capacity Block: Terraform cannot create one, it is purchased from an offering.
fn capacity_block_comment(plan: &Plan, blocks: &[(String, &str, &CapacityReservation)]) -> String {
    let mut out = String::from(
        "#\n# Capacity Blocks for ML are purchased, not created: find an offering that ends when the plan\n\
         # expects, buy it, and put the reservation's cr- id in the plan (nodeClasses[].capacityReservations).\n",
    );
    for (key, class, r) in blocks {
        let end = r.end_time.as_deref().unwrap_or("<end date>");
        out.push_str(&format!(
            "#\n# {key} (node class {class}): {} x {}{}, ending {end}\n\
             #   aws ec2 describe-capacity-block-offerings --region {} --instance-type {} --instance-count {} \\\n\
             #     --capacity-duration-hours <hours> --end-date-range {end}\n\
             #   aws ec2 purchase-capacity-block --region {} --capacity-block-offering-id <cbr-…> \
             --instance-platform Linux/UNIX\n",
            r.count,
            r.instance_type,
            r.availability_zone.as_deref().map(|z| format!(" in {z}")).unwrap_or_default(),
            plan.spec.region,
            r.instance_type,
            r.count,
            plan.spec.region,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Plan {
        crate::plan::parse_plan(crate::examples::example(name).expect("example")).expect("parses")
    }

    fn reserved_plan() -> Plan {
        let mut plan = example("stable-reserved");
        let class = &mut plan.spec.node_classes[0];
        class.capacity_reservations[0].availability_zone = Some(format!("{}b", plan.spec.region));
        class.capacity_reservations[0].end_time = Some("2027-03-01T00:00:00Z".to_string());
        let mut block = class.capacity_reservations[0].clone();
        block.id = "cr-0cb1".into();
        block.kind = "capacity-block".into();
        class.capacity_reservations.push(block);
        plan
    }

    #[test]
    fn every_file_parses_as_hcl_and_holds_the_plan_reservations() {
        let plan = reserved_plan();
        let files = terraform(&plan);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["versions.tf", "variables.tf", "main.tf", "imports.tf", "outputs.tf", "capacity-blocks.tf"]);
        for (name, text) in &files {
            hcl::parse(text).unwrap_or_else(|e| panic!("{name} is not HCL: {e}\n{text}"));
        }
        let variables: serde_json::Value = hcl::from_str(&files[1].1).expect("variables");
        let default = &variables["variable"]["capacity_reservations"]["default"];
        let class = &plan.spec.node_classes[0];
        let r = &class.capacity_reservations[0];
        let entry = &default[key(&class.name, 0).as_str()];
        assert_eq!(entry["instance_type"], serde_json::Value::from(r.instance_type.as_str()));
        assert_eq!(entry["instance_count"], serde_json::Value::from(r.count));
        assert_eq!(entry["availability_zone"], serde_json::Value::from(format!("{}b", plan.spec.region)));
        assert_eq!(entry["end_date"], serde_json::Value::from("2027-03-01T00:00:00Z"));
        assert_eq!(entry["plan_id"], serde_json::Value::from(r.id.as_str()));
        // The Capacity Block is not a resource: it is listed as what to purchase.
        assert!(default.as_object().is_some_and(|o| o.len() == 1), "{default:?}");
        assert!(files[5].1.contains("purchase-capacity-block"));
        assert!(files[5].1.contains("cr-0cb1"));
        // The ODCR the plan names by id is adopted, the Capacity Block is not a resource to import.
        let imports: serde_json::Value = hcl::from_str(&files[3].1).expect("imports");
        assert_eq!(imports["import"]["id"], serde_json::Value::from(r.id.as_str()), "{imports}");
        assert!(!files[3].1.contains("cr-0cb1"));
    }

    #[test]
    fn a_plan_without_capacity_blocks_has_no_purchase_file_and_a_zone_left_open_is_asked_for() {
        let mut plan = example("stable-reserved");
        assert!(has_reservations(&plan));
        plan.spec.node_classes[0].capacity_reservations[0].id = format!("{}0", crate::plan::RESERVATION_PLACEHOLDER);
        let files = terraform(&plan);
        // A placeholder is bought, not imported.
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["versions.tf", "variables.tf", "main.tf", "outputs.tf"]);
        let variables: serde_json::Value = hcl::from_str(&files[1].1).expect("variables");
        let default = &variables["variable"]["capacity_reservations"]["default"];
        let first = default.as_object().and_then(|o| o.values().next()).expect("one reservation");
        assert_eq!(first["availability_zone"], serde_json::Value::Null);
        assert!(files[1].1.contains("validation"));
    }
}
