//! Placement invariants over random plans: limits hold, devices add up, money is finite, every
//! wanted pod is placed or explained, and the same plan gives the same outcome.

use tokenfleet_core::place;

use crate::generate;

#[test]
fn placement_invariants_hold_for_random_plans() {
    for seed in 0..300 {
        let plan = generate::plan(seed);
        let outcome = place::evaluate(&plan);
        assert_eq!(outcome, place::evaluate(&plan), "seed {seed}: not deterministic");
        let s = &outcome.summary;
        assert!(s.cost_usd_per_hour.is_finite() && s.cost_usd_per_hour >= 0.0, "seed {seed}");
        // The bill: list (reserved + marginal), less what commitments cover, plus their fees.
        let (covered, fees) =
            s.commitments.as_ref().map_or((0.0, 0.0), |c| (c.covered_on_demand_usd_per_hour, c.fees_usd_per_hour));
        let billed = s.reserved_usd_per_hour + s.marginal_usd_per_hour - covered + fees;
        assert!((s.cost_usd_per_hour - billed).abs() < 0.03, "seed {seed}: {s:?}");
        if let Some(c) = &s.commitments {
            assert!(c.unused_usd_per_hour <= c.fees_usd_per_hour + 1e-9, "seed {seed}");
            let pools: f64 = outcome.pools.iter().map(|p| p.cost_usd_per_hour).sum();
            assert!(pools <= s.cost_usd_per_hour + 0.02 * outcome.pools.len() as f64, "seed {seed}");
        }
        assert_eq!(s.devices, outcome.deployments.iter().map(|d| d.devices).sum::<u32>(), "seed {seed}");
        // Warm capacity holds devices on the nodes without being replicas.
        let used = outcome.pools.iter().map(|p| p.devices_used).sum::<u32>();
        assert_eq!(s.devices + s.warm_devices, used, "seed {seed}");
        assert_eq!(s.nodes, outcome.pools.iter().flat_map(|p| &p.nodes).map(|n| n.count).sum::<u32>(), "seed {seed}");
        for pool in &outcome.pools {
            for h in &pool.headroom {
                assert!(h.used <= h.limit + 1e-6, "seed {seed}: pool {} exceeds {} ({h:?})", pool.name, h.resource);
            }
        }
        let wanted: u32 = plan.spec.deployments.iter().flat_map(|d| d.fleets()).map(|f| f.replicas.min).sum();
        let placed: u32 = outcome.deployments.iter().map(|d| d.replicas).sum();
        assert_eq!(wanted, placed + s.unplaced_pods, "seed {seed}");
        for u in &outcome.unplaced {
            assert!(!u.reason.is_empty(), "seed {seed}: unplaced without a reason");
        }
        // Reserved nodes never outnumber the reservations.
        let reserved_nodes: u32 = outcome
            .pools
            .iter()
            .flat_map(|p| &p.nodes)
            .filter(|n| n.capacity_type == tokenfleet_core::catalog::CapacityType::Reserved)
            .map(|n| n.count)
            .sum();
        let reservations: u32 =
            plan.spec.node_classes.iter().flat_map(|c| &c.capacity_reservations).map(|r| r.count).sum();
        assert!(reserved_nodes <= reservations, "seed {seed}");
    }
}
