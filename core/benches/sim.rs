//! Simulator benchmark: 24 hours at one-second steps with 4 deployments over 4 NodePools (target
//! ≤ 10 ms native), 7 days (target ≤ 70 ms), and the cost per simulated day at both lengths, which
//! should match (linear in duration). Hand-rolled timing: the median of several runs, inputs and
//! outputs through `std::hint::black_box`. Run with `cargo bench -p tokenfleet-core --bench sim`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tokenfleet_core::catalog::CapacityType;
use tokenfleet_core::sim::hpa::{Behavior, HpaSpec, MetricKind, MetricSpec, MetricTarget};
use tokenfleet_core::sim::serving::chip_figures;
use tokenfleet_core::sim::{
    simulate, Autoscaler, BudgetRule, CaSpec, ConsolidationPolicy, DisruptionBudget, FirstOrderReplica, NodeAutoscaler,
    NodeOs, Profile, ProfileParams, Reservation, Scenario, ServiceProfile, SimDeployment, SimInstanceType, SimOptions,
    SimPool, SloMetric, SloTarget, Timing, Traffic, TrafficSource, WeightsLoad,
};

fn instance(name: &str, family: &str, devices: u32, od: f64) -> SimInstanceType {
    SimInstanceType {
        name: name.to_string(),
        family: family.to_string(),
        devices,
        vcpu: 4 * devices,
        on_demand_usd_per_hour: Some(od),
        spot_usd_per_hour: Some(od * 0.4),
    }
}

fn scenario() -> Scenario {
    let profile = |params_b: f64, chip: &str| {
        let m = FirstOrderReplica {
            total_params_b: params_b,
            active_params_b: params_b,
            bytes_per_param: 2.0,
            kv_bytes_per_token: 131072.0,
            devices: 1,
            chip: chip_figures(chip).expect("known chip"),
            efficiency: 0.6,
            step_overhead_ms: 5.0,
            max_num_seqs: 256.0,
            gpu_memory_utilization: 0.9,
        };
        ServiceProfile::sample(&m, 1024.0, 256.0)
    };
    let pool = |name: &str, weight: u32, capacity: Vec<CapacityType>, os: NodeOs| SimPool {
        name: name.to_string(),
        weight,
        os,
        capacity_types: capacity,
        instance_types: vec![
            instance("g5.xlarge", "g5", 1, 1.006),
            instance("g5.12xlarge", "g5", 4, 5.672),
            instance("g6.xlarge", "g6", 1, 0.805),
            instance("g6.12xlarge", "g6", 4, 4.602),
        ],
        limit_devices: Some(64),
        limit_cpu: None,
        consolidation: ConsolidationPolicy::WhenEmptyOrUnderutilized,
        consolidate_after_s: Some(300.0),
        budgets: vec![BudgetRule::always(DisruptionBudget::Percent(10))],
        reservations: vec![],
        cached_images: vec![],
        parallel_pull: false,
        static_nodes: None,
        limit_nodes: None,
    };
    let mut reserved = pool("reserved", 100, vec![CapacityType::OnDemand], NodeOs::Bottlerocket);
    reserved.reservations = vec![Reservation {
        instance_type: "g5.12xlarge".to_string(),
        count: 1,
        usd_per_hour: 5.672,
        ends_at_s: None,
        capacity_block: false,
    }];
    reserved.limit_devices = Some(4);
    let pools = vec![
        reserved,
        pool("spot", 80, vec![CapacityType::Spot], NodeOs::Bottlerocket),
        pool("on-demand", 50, vec![CapacityType::OnDemand], NodeOs::Bottlerocket),
        pool("fallback", 10, vec![CapacityType::OnDemand], NodeOs::Al2023),
    ];
    let deployments = (0..4)
        .map(|i| SimDeployment {
            name: format!("model-{i}"),
            traffic_share: 0.25,
            upstream: None,
            devices_per_replica: 1,
            initial_replicas: 2,
            autoscaler: Autoscaler::Hpa(HpaSpec {
                min_replicas: 1,
                max_replicas: 20,
                metrics: vec![
                    MetricSpec { kind: MetricKind::RunningRequests, target: MetricTarget::AverageValue(20.0) },
                    MetricSpec { kind: MetricKind::QueueDepth, target: MetricTarget::AverageValue(5.0) },
                ],
                behavior: Behavior::default(),
                without_behavior: false,
            }),
            allowed_pools: vec![],
            image: "vllm/vllm-openai".to_string(),
            image_gib: 8.0,
            weights_gib: 15.0,
            service: profile(8.0, if i % 2 == 0 { "a10g" } else { "l4" }),
            model: String::new(),
            weights: WeightsLoad::Download,
            weights_node_cache: false,
            neuron_compile: false,
            warm: None,
        })
        .collect();
    let timing = Timing { spot_interruptions_per_node_hour: 0.01, ..Timing::default() };
    Scenario {
        name: "bench".to_string(),
        traffic: Traffic {
            source: TrafficSource::Profile {
                profile: Profile::DiurnalWithSpikes,
                params: ProfileParams {
                    baseline_requests_per_s: 4.0,
                    peak_requests_per_s: 16.0,
                    ..ProfileParams::default()
                },
            },
            ..Traffic::default()
        },
        deployments,
        pools,
        slos: vec![
            SloTarget { metric: SloMetric::Ttft, percentile: 95.0, limit_ms: 2000.0 },
            SloTarget { metric: SloMetric::Tpot, percentile: 95.0, limit_ms: 100.0 },
        ],
        timing,
        metrics_outages: vec![],
        prices: None,
        node_autoscaler: NodeAutoscaler::Karpenter,
        commitments: vec![],
    }
}

/// CPU time this thread has run, from Linux's schedstat (`None` elsewhere): on a shared machine the
/// wall clock also counts time spent waiting for a core.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

struct Runs {
    wall_median: Duration,
    wall_min: Duration,
    cpu_median: Option<Duration>,
}

fn runs(sc: &Scenario, duration_s: f64, n: usize) -> Runs {
    let options = SimOptions { duration_s, step_s: 1.0, series_step_s: 60.0, seed: 1 };
    let mut wall = vec![];
    let mut cpu = vec![];
    for _ in 0..n {
        let cpu_start = thread_cpu_ns();
        let start = Instant::now();
        let timeline = simulate(black_box(sc), black_box(&options)).expect("bench scenario is valid");
        let elapsed = start.elapsed();
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
            cpu.push(Duration::from_nanos(b.saturating_sub(a)));
        }
        black_box(timeline);
        wall.push(elapsed);
    }
    wall.sort();
    cpu.sort();
    Runs { wall_median: wall[n / 2], wall_min: wall[0], cpu_median: cpu.get(cpu.len() / 2).copied() }
}

fn main() {
    let sc = scenario();
    runs(&sc, 3600.0, 3); // warm-up
    let day = runs(&sc, 86_400.0, 11);
    let week = runs(&sc, 7.0 * 86_400.0, 5);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let cpu = |r: &Runs| r.cpu_median.map_or("n/a".to_string(), |d| format!("{:.2} ms", ms(d)));
    println!(
        "sim 24h @1s, 4 deployments x 4 pools: median {:.2} ms, min {:.2} ms, CPU {} (target <= 10 ms)",
        ms(day.wall_median),
        ms(day.wall_min),
        cpu(&day)
    );
    println!(
        "sim 7d  @1s, 4 deployments x 4 pools: median {:.2} ms, min {:.2} ms, CPU {} (target <= 70 ms)",
        ms(week.wall_median),
        ms(week.wall_min),
        cpu(&week)
    );
    // The same day under Cluster Autoscaler, node groups derived from the pools.
    let mut ca = sc.clone();
    ca.node_autoscaler = NodeAutoscaler::ClusterAutoscaler(CaSpec::with_defaults(
        tokenfleet_core::sim::plan_adapter::derived_groups(&sc.pools),
    ));
    let ca_day = runs(&ca, 86_400.0, 11);
    println!(
        "sim 24h @1s, 4 deployments x 4 pools, Cluster Autoscaler: median {:.2} ms, min {:.2} ms, CPU {}",
        ms(ca_day.wall_median),
        ms(ca_day.wall_min),
        cpu(&ca_day)
    );
    println!(
        "sim per simulated day: {:.2} ms (24h run) vs {:.2} ms (7d run), medians: linear in duration",
        ms(day.wall_median),
        ms(week.wall_median) / 7.0
    );
}
