//! How an hour of instance usage is billed under Savings Plans and Reserved Instances: commitments
//! paid every hour whether used or not, which cover eligible usage at a committed rate.
//!
//! AWS's rules, as this module applies them (EC2 User Guide "How Reserved Instances are applied",
//! Savings Plans User Guide "How Savings Plans apply to your AWS usage"):
//! - only on-demand usage is eligible: on-demand instances and the instances of On-Demand Capacity
//!   Reservations (used or not); spot instances and Capacity Blocks for ML are not;
//! - Reserved Instances apply first, then EC2 Instance Savings Plans, then Compute Savings Plans;
//! - within a Savings Plan, usage with the highest savings percentage is covered first, at the plan's
//!   rate for the instance type, until the hourly commitment is used up; what is left is billed at
//!   the on-demand rate;
//! - a Reserved Instance covers instances of its type up to its count (regional, no size flexibility).
//!
//! A Reserved Instance is the same shape as a Savings Plan with one rate: its fee is count × rate,
//! and covering `n` instances at that rate uses `n × rate` of it. So both are one [`Commitment`].
//!
//! Rates are per instance-hour; AWS bills each hour on the hour's aggregate usage, the simulator on
//! the instantaneous one.

use serde::{Deserialize, Serialize};

/// Which kind of commitment: the order they apply in (Reserved Instances, then EC2 Instance Savings
/// Plans, then Compute Savings Plans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentOrder {
    ReservedInstance,
    Ec2InstanceSavingsPlan,
    ComputeSavingsPlan,
}

/// A commitment, resolved to rates: what it costs each hour and the rate of each instance type it
/// covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commitment {
    pub name: String,
    pub order: CommitmentOrder,
    /// Paid every hour, used or not.
    pub fee_usd_per_hour: f64,
    /// The committed rate of one instance-hour of each type it covers.
    pub rates: Vec<(String, f64)>,
}

/// Instances of one type running for the hour.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage<'a> {
    pub instance_type: &'a str,
    /// Instances (the simulator's counts are whole; placement's too).
    pub count: f64,
    /// The list rate of one instance-hour: on-demand, spot or the reservation's.
    pub usd_per_hour_each: f64,
    /// On-demand usage (on-demand instances, ODCR instances) that commitments may cover.
    pub eligible: bool,
}

/// The hour's bill.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bill {
    /// What the hour costs: the commitments' fees plus the usage they do not cover at its list rate.
    pub usd_per_hour: f64,
    /// The usage at its list rates, as if there were no commitments.
    pub list_usd_per_hour: f64,
    pub fees_usd_per_hour: f64,
    /// The list value of the usage the commitments cover.
    pub covered_list_usd_per_hour: f64,
    /// Fees not used to cover anything.
    pub unused_usd_per_hour: f64,
    /// Per usage line (in the order given): instances covered, and what the line is billed (covered
    /// instances at their committed rate, the rest at list).
    pub lines: Vec<LineBill>,
    /// Per commitment (in the order given): the part of its fee that covered usage.
    pub used_usd_per_hour: Vec<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LineBill {
    pub covered: f64,
    pub usd_per_hour: f64,
}

impl Bill {
    /// What the commitments save against list prices (negative when they cost more than they cover).
    pub fn savings_usd_per_hour(&self) -> f64 {
        self.list_usd_per_hour - self.usd_per_hour
    }
}

/// Bills an hour of usage under commitments.
pub fn bill(commitments: &[Commitment], usage: &[Usage]) -> Bill {
    let mut lines: Vec<LineBill> = usage.iter().map(|_| LineBill::default()).collect();
    let mut used = vec![0.0; commitments.len()];
    let mut order: Vec<usize> = (0..commitments.len()).collect();
    order.sort_by_key(|&c| commitments[c].order);
    for c in order {
        let commitment = &commitments[c];
        let mut left = commitment.fee_usd_per_hour;
        // The lines this commitment can cover, highest savings percentage first.
        let mut candidates: Vec<(usize, f64, f64)> = usage
            .iter()
            .enumerate()
            .filter(|(_, u)| u.eligible && u.count > 0.0 && u.usd_per_hour_each > 0.0)
            .filter_map(|(i, u)| {
                let rate = commitment.rates.iter().find(|(t, _)| t == u.instance_type)?.1;
                let saving = 1.0 - rate / u.usd_per_hour_each;
                (rate.is_finite() && rate >= 0.0).then_some((i, rate, saving))
            })
            .collect();
        candidates.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        for (i, rate, _) in candidates {
            let open = usage[i].count - lines[i].covered;
            if open <= 0.0 || left <= 0.0 {
                continue;
            }
            let n = if rate > 0.0 { open.min(left / rate) } else { open };
            lines[i].covered += n;
            // Until the lines are priced below, a line's bill holds what its covered instances cost.
            lines[i].usd_per_hour += n * rate;
            left -= n * rate;
            used[c] += n * rate;
        }
    }
    let mut out = Bill { lines, used_usd_per_hour: used, ..Bill::default() };
    for (u, line) in usage.iter().zip(&mut out.lines) {
        let list = u.count * u.usd_per_hour_each;
        let covered_list = line.covered * u.usd_per_hour_each;
        out.list_usd_per_hour += list;
        out.covered_list_usd_per_hour += covered_list;
        // The line already holds its covered instances at their committed rate (paid out of the fees).
        line.usd_per_hour += list - covered_list;
    }
    for (c, used) in commitments.iter().zip(&out.used_usd_per_hour) {
        out.fees_usd_per_hour += c.fee_usd_per_hour;
        out.unused_usd_per_hour += (c.fee_usd_per_hour - used).max(0.0);
    }
    out.usd_per_hour = out.list_usd_per_hour - out.covered_list_usd_per_hour + out.fees_usd_per_hour;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(instance_type: &str, count: f64, each: f64) -> Usage<'_> {
        Usage { instance_type, count, usd_per_hour_each: each, eligible: true }
    }

    fn sp(name: &str, order: CommitmentOrder, fee: f64, rates: &[(&str, f64)]) -> Commitment {
        Commitment {
            name: name.to_string(),
            order,
            fee_usd_per_hour: fee,
            rates: rates.iter().map(|(t, r)| (t.to_string(), *r)).collect(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn no_commitments_bill_the_list() {
        let b = bill(&[], &[usage("g6e.xlarge", 3.0, 2.0)]);
        assert!(close(b.usd_per_hour, 6.0) && close(b.list_usd_per_hour, 6.0) && close(b.savings_usd_per_hour(), 0.0));
    }

    #[test]
    fn a_reserved_instance_covers_up_to_its_count_and_is_paid_when_idle() {
        let ri = sp("ri", CommitmentOrder::ReservedInstance, 2.0 * 1.2, &[("g6e.xlarge", 1.2)]);
        // 3 running, 2 reserved: 2 × 1.2 + 1 × 2.0.
        let b = bill(std::slice::from_ref(&ri), &[usage("g6e.xlarge", 3.0, 2.0)]);
        assert!(close(b.usd_per_hour, 4.4), "{b:?}");
        assert!(close(b.lines[0].covered, 2.0) && close(b.unused_usd_per_hour, 0.0));
        // None running: the fee is still paid.
        let b = bill(std::slice::from_ref(&ri), &[usage("g6e.xlarge", 0.0, 2.0)]);
        assert!(close(b.usd_per_hour, 2.4) && close(b.unused_usd_per_hour, 2.4), "{b:?}");
        // Another type is not covered.
        let b = bill(&[ri], &[usage("g5.xlarge", 1.0, 1.0)]);
        assert!(close(b.usd_per_hour, 3.4), "{b:?}");
    }

    #[test]
    fn a_savings_plan_covers_the_highest_saving_first_until_its_commitment_is_used() {
        // $3/h commitment; g6e saves 40 %, g5 saves 20 %.
        let plan = sp("sp", CommitmentOrder::ComputeSavingsPlan, 3.0, &[("g6e.xlarge", 1.2), ("g5.xlarge", 0.8)]);
        let b = bill(&[plan], &[usage("g5.xlarge", 2.0, 1.0), usage("g6e.xlarge", 4.0, 2.0)]);
        // g6e first: 2.5 instances × 1.2 = 3.0 uses it all; 1.5 g6e and 2 g5 at list.
        assert!(close(b.lines[1].covered, 2.5) && close(b.lines[0].covered, 0.0), "{b:?}");
        assert!(close(b.usd_per_hour, 3.0 + 1.5 * 2.0 + 2.0), "{b:?}");
        assert!(close(b.covered_list_usd_per_hour, 5.0) && close(b.savings_usd_per_hour(), 2.0));
        // The lines and the unused fees add up to the bill.
        let lines: f64 = b.lines.iter().map(|l| l.usd_per_hour).sum();
        assert!(close(lines + b.unused_usd_per_hour, b.usd_per_hour), "{b:?}");
    }

    #[test]
    fn spot_and_capacity_blocks_are_not_covered_and_order_is_ri_then_instance_then_compute() {
        let compute = sp("compute", CommitmentOrder::ComputeSavingsPlan, 10.0, &[("g6e.xlarge", 1.5)]);
        let ri = sp("ri", CommitmentOrder::ReservedInstance, 1.0, &[("g6e.xlarge", 1.0)]);
        let spot = Usage { eligible: false, ..usage("g6e.xlarge", 5.0, 0.9) };
        let b = bill(&[compute, ri], &[spot, usage("g6e.xlarge", 2.0, 2.0)]);
        assert!(close(b.lines[0].covered, 0.0), "{b:?}");
        // The RI takes one instance, the Savings Plan the other.
        assert!(close(b.used_usd_per_hour[1], 1.0) && close(b.used_usd_per_hour[0], 1.5), "{b:?}");
        assert!(close(b.usd_per_hour, 11.0 + 4.5), "{b:?}");
        assert!(close(b.unused_usd_per_hour, 8.5), "{b:?}");
    }
}
