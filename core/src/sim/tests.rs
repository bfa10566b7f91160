//! Feature tests of the whole simulator on small hand-built scenarios.

use super::hpa::{Behavior, HpaSpec, KedaFallback, KedaSpec, KedaTrigger, MetricKind, MetricSpec, MetricTarget};
use super::serving::{chip_figures, FirstOrderReplica, ServiceProfile};
use super::*;
use crate::catalog::CapacityType;

fn a10g_llama8b() -> ServiceProfile {
    let m = FirstOrderReplica {
        total_params_b: 8.0,
        active_params_b: 8.0,
        bytes_per_param: 2.0,
        kv_bytes_per_token: 131072.0,
        devices: 1,
        chip: chip_figures("a10g").unwrap(),
        efficiency: 0.6,
        step_overhead_ms: 5.0,
        max_num_seqs: 256.0,
        gpu_memory_utilization: 0.9,
    };
    ServiceProfile::sample(&m, 1024.0, 256.0)
}

pub(crate) fn g5(name: &str, devices: u32, od: f64) -> SimInstanceType {
    SimInstanceType {
        name: name.to_string(),
        family: "g5".to_string(),
        devices,
        vcpu: 4 * devices,
        on_demand_usd_per_hour: Some(od),
        spot_usd_per_hour: Some(od * 0.4),
    }
}

pub(crate) fn pool(name: &str, os: NodeOs, limit_devices: Option<u32>) -> SimPool {
    SimPool {
        name: name.to_string(),
        weight: 50,
        os,
        capacity_types: vec![CapacityType::OnDemand],
        instance_types: vec![g5("g5.xlarge", 1, 1.006), g5("g5.12xlarge", 4, 5.672)],
        limit_devices,
        limit_cpu: None,
        consolidation: ConsolidationPolicy::WhenEmpty,
        consolidate_after_s: Some(300.0),
        budgets: vec![],
        reservations: vec![],
        cached_images: vec![],
        parallel_pull: false,
        static_nodes: None,
        limit_nodes: None,
    }
}

pub(crate) fn hpa(min: u32, max: u32, queue_target: f64) -> Autoscaler {
    Autoscaler::Hpa(HpaSpec {
        min_replicas: min,
        max_replicas: max,
        metrics: vec![MetricSpec { kind: MetricKind::QueueDepth, target: MetricTarget::AverageValue(queue_target) }],
        behavior: Behavior::default(),
        without_behavior: false,
    })
}

pub(crate) fn scenario(traffic: Traffic, autoscaler: Autoscaler, pools: Vec<SimPool>) -> Scenario {
    Scenario {
        name: "test".to_string(),
        traffic,
        deployments: vec![SimDeployment {
            name: "llama".to_string(),
            traffic_share: 1.0,
            upstream: None,
            devices_per_replica: 1,
            initial_replicas: 1,
            autoscaler,
            allowed_pools: vec![],
            image: "vllm".to_string(),
            image_gib: 8.0,
            weights_gib: 15.0,
            service: a10g_llama8b(),
            model: String::new(),
            weights: WeightsLoad::Download,
            weights_node_cache: false,
            neuron_compile: false,
            warm: None,
        }],
        pools,
        slos: vec![
            SloTarget { metric: SloMetric::Ttft, percentile: 95.0, limit_ms: 2000.0 },
            SloTarget { metric: SloMetric::Tpot, percentile: 95.0, limit_ms: 100.0 },
        ],
        timing: Timing::default(),
        metrics_outages: vec![],
        prices: None,
        node_autoscaler: NodeAutoscaler::Karpenter,
        commitments: vec![],
    }
}

pub(crate) fn steady(rps: f64) -> Traffic {
    Traffic {
        source: TrafficSource::Profile {
            profile: Profile::Steady,
            params: ProfileParams { baseline_requests_per_s: rps, ..ProfileParams::default() },
        },
        ..Traffic::default()
    }
}

/// A step from `low` to `high` requests/s at `at_s`.
pub(crate) fn step_trace(low: f64, high: f64, at_s: f64) -> Traffic {
    let rows = vec![
        TraceRow { t_s: 0.0, requests_per_s: low, input_tokens: None, output_tokens: None },
        TraceRow { t_s: at_s, requests_per_s: high, input_tokens: None, output_tokens: None },
    ];
    Traffic { source: TrafficSource::Trace { rows }, arrival_noise: false, ..Traffic::default() }
}

pub(crate) fn opts(duration_s: f64) -> SimOptions {
    SimOptions { duration_s, step_s: 1.0, series_step_s: 60.0, seed: 42 }
}

#[test]
fn a_name_used_twice_is_refused() {
    let pools = vec![pool("gpu", NodeOs::Bottlerocket, None), pool("gpu", NodeOs::Al2023, None)];
    let mut sc = scenario(steady(1.0), hpa(1, 2, 3.0), pools);
    assert_eq!(simulate(&sc, &opts(600.0)).unwrap_err().to_string(), "pools: the name \"gpu\" is used twice");
    let mut second = sc.deployments[0].clone();
    second.traffic_share = 0.0;
    sc.deployments.push(second);
    assert_eq!(simulate(&sc, &opts(600.0)).unwrap_err().to_string(), "deployments: the name \"llama\" is used twice");
}

#[test]
fn requests_are_conserved() {
    for (traffic, limit) in
        [(step_trace(0.5, 30.0, 600.0), Some(4)), (Traffic::default(), None), (steady(3.0), Some(2))]
    {
        let sc = scenario(traffic, hpa(1, 20, 3.0), vec![pool("gpu", NodeOs::Bottlerocket, limit)]);
        let t = simulate(&sc, &opts(6.0 * 3600.0)).unwrap();
        let s = &t.summary;
        assert!(s.requests_arrived > 0);
        assert_eq!(s.requests_arrived, s.requests_served + s.requests_queued_at_end + s.requests_dropped, "{s:?}");
        let series_served: f64 = t.series.served_rate.iter().map(|r| r * 60.0).sum();
        assert!((series_served - s.requests_served as f64).abs() < 1.0 + 0.001 * s.requests_served as f64);
    }
}

#[test]
fn spike_beyond_pool_limits_leaves_pods_pending_with_a_finding() {
    // 4 GPUs at most, while the spike needs far more replicas.
    let sc = scenario(step_trace(0.5, 40.0, 600.0), hpa(1, 30, 3.0), vec![pool("gpu", NodeOs::Bottlerocket, Some(4))]);
    let t = simulate(&sc, &opts(3600.0)).unwrap();
    let d = &t.series.deployments["llama"];
    assert!(d.replicas_pending.iter().any(|&p| p > 0), "pods must be pending");
    assert!(t.series.nodes.iter().all(|&n| n <= 4));
    let finding = t.summary.findings.iter().find(|f| f.code == "SIM001").expect("a pending-pods finding");
    assert!(finding.message.contains("gpu (4 devices)"), "{}", finding.message);
    assert!(t.summary.longest_unschedulable_s > 600.0, "{}", t.summary.longest_unschedulable_s);
    assert!(t.summary.requests_dropped > 0);
}

#[test]
fn bottlerocket_shortens_time_to_ready_by_the_configured_amount() {
    let run = |os| {
        let mut autoscaler = hpa(1, 12, 3.0);
        if let Autoscaler::Hpa(h) = &mut autoscaler {
            // No scale-down, so no pod restarts on a warm node.
            h.behavior.scale_down.select_policy = super::hpa::SelectPolicy::Disabled;
        }
        let mut sc = scenario(step_trace(0.2, 6.0, 300.0), autoscaler, vec![pool("gpu", os, None)]);
        // Only one-GPU nodes, so every new pod starts on a new node.
        sc.pools[0].instance_types.truncate(1);
        simulate(&sc, &opts(3600.0)).unwrap().summary
    };
    let (br, al) = (run(NodeOs::Bottlerocket), run(NodeOs::Al2023));
    assert!(br.pods_started == 11 && al.pods_started == 11, "{} {}", br.pods_started, al.pods_started);
    let t = Timing::default();
    let configured =
        (t.boot_al2023_s + t.device_plugin_al2023_s) - (t.boot_bottlerocket_s + t.device_plugin_bottlerocket_s);
    let measured = al.pod_startup_s_mean - br.pod_startup_s_mean;
    assert!((measured - configured).abs() < 1e-6, "measured {measured}, configured {configured}");
    assert!((al.pod_startup_s_max - br.pod_startup_s_max - configured).abs() < 1e-6);
}

#[test]
fn same_seed_same_bytes_and_other_seed_other_bytes() {
    let sc = scenario(Traffic::default(), hpa(1, 20, 3.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    let a = simulate(&sc, &opts(86_400.0)).unwrap();
    let b = simulate(&sc, &opts(86_400.0)).unwrap();
    assert_eq!(a.to_json(), b.to_json());
    assert_eq!(a.series_csv(), b.series_csv());
    let c = simulate(&sc, &SimOptions { seed: 7, ..opts(86_400.0) }).unwrap();
    assert_ne!(a.to_json(), c.to_json());
}

#[test]
fn series_columns_have_equal_length() {
    let sc = scenario(Traffic::default(), hpa(1, 20, 3.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    let t = simulate(&sc, &SimOptions { duration_s: 3600.0 + 30.0, ..opts(0.0) }).unwrap();
    let s = &t.series;
    let n = s.t_s.len();
    assert_eq!(n, 61);
    for len in [s.arrival_rate.len(), s.served_rate.len(), s.queue_length.len(), s.ttft_p95_ms.len(), s.nodes.len()] {
        assert_eq!(len, n);
    }
    for p in s.pools.values() {
        assert_eq!(p.nodes.len(), n);
        assert!(p.nodes_by_type.values().all(|c| c.len() == n));
    }
    let json: serde_json::Value = serde_json::from_str(&t.to_json()).unwrap();
    for key in [
        "requests_arrived",
        "requests_served",
        "requests_queued_at_end",
        "requests_dropped",
        "slo_attainment",
        "cost_usd",
        "usd_per_million_tokens",
        "peak_nodes",
        "longest_pending_s",
    ] {
        assert!(json["summary"].get(key).is_some(), "summary.{key}");
    }
    assert!(json["summary"]["slo_attainment"]["ttft_p95_le_2000ms"].is_number());
    let csv = t.series_csv();
    assert_eq!(csv.lines().count(), n + 1);
    assert!(csv.starts_with("t_s,arrival_rate,served_rate"));
}

#[test]
fn hpa_scales_up_under_load_and_back_down_after_the_window() {
    let rows = vec![
        TraceRow { t_s: 0.0, requests_per_s: 0.5, input_tokens: None, output_tokens: None },
        TraceRow { t_s: 600.0, requests_per_s: 8.0, input_tokens: None, output_tokens: None },
        TraceRow { t_s: 3600.0, requests_per_s: 0.5, input_tokens: None, output_tokens: None },
    ];
    let traffic = Traffic { source: TrafficSource::Trace { rows }, arrival_noise: false, ..Traffic::default() };
    let sc = scenario(traffic, hpa(1, 20, 3.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    let t = simulate(&sc, &opts(2.0 * 3600.0)).unwrap();
    let d = &t.series.deployments["llama"];
    let peak = *d.replicas_ready.iter().max().unwrap();
    assert!(peak >= 4, "peak ready {peak}");
    assert_eq!(*d.replicas_desired.last().unwrap(), 1, "{:?}", d.replicas_desired);
    // Empty nodes are consolidated after consolidateAfter.
    assert!(*t.series.nodes.last().unwrap() < t.summary.peak_nodes);
    // The spike must have waited for cold starts: the first new pod took a node launch and more.
    assert!(t.summary.pod_startup_s_mean > Timing::default().node_ready_after_s(NodeOs::Bottlerocket));
}

#[test]
fn keda_scales_to_zero_and_back_on_request_rate() {
    let rows = vec![
        TraceRow { t_s: 0.0, requests_per_s: 0.0, input_tokens: None, output_tokens: None },
        TraceRow { t_s: 1800.0, requests_per_s: 1.0, input_tokens: None, output_tokens: None },
        TraceRow { t_s: 3600.0, requests_per_s: 0.0, input_tokens: None, output_tokens: None },
    ];
    let traffic = Traffic { source: TrafficSource::Trace { rows }, arrival_noise: false, ..Traffic::default() };
    let keda = Autoscaler::Keda(KedaSpec {
        min_replica_count: 0,
        max_replica_count: 5,
        polling_interval_s: 30.0,
        cooldown_period_s: 300.0,
        triggers: vec![KedaTrigger {
            metric: MetricKind::RequestsPerSecond,
            target_per_pod: 0.5,
            activation_threshold: 0.1,
        }],
        fallback: Some(KedaFallback { failure_threshold: 3, replicas: 2 }),
        behavior: Behavior::default(),
        without_behavior: false,
    });
    let sc = scenario(traffic, keda, vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    let t = simulate(&sc, &opts(3.0 * 3600.0)).unwrap();
    let d = &t.series.deployments["llama"];
    assert_eq!(d.replicas_desired[10], 0, "idle at start: scaled to zero after the cooldown");
    assert!(d.replicas_ready[50] >= 2, "active in the busy half hour: {:?}", &d.replicas_ready[30..60]);
    assert_eq!(*d.replicas_desired.last().unwrap(), 0);
    // Requests arriving while no replica is ready are dropped, and counted.
    assert!(t.summary.requests_dropped > 0);
    assert_eq!(
        t.summary.requests_arrived,
        t.summary.requests_served + t.summary.requests_queued_at_end + t.summary.requests_dropped
    );
}

#[test]
fn keda_falls_back_when_metrics_are_down() {
    let keda = Autoscaler::Keda(KedaSpec {
        min_replica_count: 1,
        max_replica_count: 6,
        polling_interval_s: 30.0,
        cooldown_period_s: 300.0,
        triggers: vec![KedaTrigger { metric: MetricKind::QueueDepth, target_per_pod: 5.0, activation_threshold: 0.0 }],
        fallback: Some(KedaFallback { failure_threshold: 3, replicas: 4 }),
        behavior: Behavior::default(),
        without_behavior: false,
    });
    let mut sc = scenario(steady(0.3), keda, vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    sc.metrics_outages = vec![(600.0, 1800.0)];
    let t = simulate(&sc, &opts(1800.0)).unwrap();
    let d = &t.series.deployments["llama"];
    assert_eq!(d.replicas_desired[5], 1);
    assert_eq!(d.replicas_desired[20], 4, "{:?}", d.replicas_desired);
}

#[test]
fn reserved_capacity_is_present_from_the_start_and_paid_for() {
    let mut p = pool("reserved", NodeOs::Bottlerocket, None);
    p.reservations = vec![Reservation {
        instance_type: "g5.12xlarge".to_string(),
        count: 1,
        usd_per_hour: 5.672,
        ends_at_s: None,
        capacity_block: false,
    }];
    let sc = scenario(steady(0.5), Autoscaler::Fixed { replicas: 2 }, vec![p]);
    let t = simulate(&sc, &opts(3600.0)).unwrap();
    assert_eq!(t.summary.peak_nodes, 1, "both replicas fit on the reserved node");
    assert_eq!(t.summary.nodes_launched, 0);
    assert!((t.summary.cost_usd - 5.672).abs() < 0.01, "{}", t.summary.cost_usd);
    assert_eq!(t.series.pools["reserved"].nodes_by_type["g5.12xlarge/reserved"][0], 1);
}

#[test]
fn spot_interruptions_replace_nodes() {
    let mut p = pool("spot", NodeOs::Bottlerocket, None);
    p.capacity_types = vec![CapacityType::Spot, CapacityType::OnDemand];
    p.instance_types.truncate(1);
    let mut sc = scenario(steady(2.0), Autoscaler::Fixed { replicas: 4 }, vec![p]);
    sc.timing.spot_interruptions_per_node_hour = 0.5;
    let t = simulate(&sc, &opts(6.0 * 3600.0)).unwrap();
    let s = &t.summary;
    assert!(s.spot_interruptions > 0);
    assert!(s.nodes_launched >= s.spot_interruptions, "each interruption is replaced");
    assert!(s.findings.iter().any(|f| f.code == "SIM005"));
    let ready = &t.series.deployments["llama"].replicas_ready;
    let full = ready.iter().filter(|&&r| r == 4).count();
    assert!(full * 10 > ready.len() * 8, "replicas recover after each interruption: {ready:?}");
    // The events name each interruption and its replacement, coalesced per series interval, in order.
    let count = |kind: &str| t.events.iter().filter(|e| e.kind == kind).count();
    assert!(count("spot-interruption") > 0 && count("spot-interruption") as u32 <= s.spot_interruptions);
    assert!(count("node-launch") > 0);
    assert!(t.events.windows(2).all(|w| w[0].t_s <= w[1].t_s));
    assert!(t.events.iter().any(|e| e.detail.contains("spot node")), "{:?}", t.events);
}

#[test]
fn events_record_bursts_scaling_and_dips_and_stay_bounded() {
    // Traffic that swings between 1 and 12 requests/s every ten minutes: bursts, scale-ups and
    // scale-downs (flapping shows as alternating events), capped over a long run.
    let rows: Vec<TraceRow> = (0..600)
        .map(|i| TraceRow {
            t_s: i as f64 * 600.0,
            requests_per_s: if i % 2 == 0 { 1.0 } else { 12.0 },
            input_tokens: None,
            output_tokens: None,
        })
        .collect();
    let traffic = Traffic { source: TrafficSource::Trace { rows }, arrival_noise: false, ..Traffic::default() };
    let sc = scenario(traffic, hpa(1, 8, 3.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    let t = simulate(&sc, &opts(8.0 * 3600.0)).unwrap();
    let kinds = |kind: &str| t.events.iter().filter(|e| e.kind == kind).count();
    assert!(kinds("burst") >= 10, "{:?}", t.events);
    assert!(kinds("scale-up") >= 5 && kinds("scale-down") >= 5, "{:?}", t.events);
    assert!(t.events.iter().any(|e| e.detail.starts_with("llama: ") && e.detail.ends_with(" replicas")));
    assert!(t.events.windows(2).all(|w| w[0].t_s <= w[1].t_s));
    let long = simulate(&sc, &SimOptions { series_step_s: 1.0, ..opts(4.0 * 86_400.0) }).unwrap();
    assert_eq!(long.events.len(), crate::sim::MAX_DAY_EVENTS);
    assert!(t.to_json().contains("\"events\": ["));
}

#[test]
fn bad_input_is_an_error_naming_the_field() {
    let mut sc = scenario(steady(1.0), hpa(1, 4, 3.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    sc.deployments[0].devices_per_replica = 0;
    assert!(simulate(&sc, &opts(60.0)).unwrap_err().to_string().contains("devices_per_replica"));
    let sc = scenario(steady(1.0), hpa(1, 4, 3.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    assert!(simulate(&sc, &SimOptions { step_s: 0.0, ..opts(60.0) }).unwrap_err().to_string().contains("--step"));
    let mut sc = sc;
    sc.timing.instance_launch_s = f64::NAN;
    assert!(simulate(&sc, &opts(60.0)).unwrap_err().to_string().contains("instance_launch_s"));
}

/// Random small scenarios: the run never panics, and requests are always conserved.
#[test]
fn random_scenarios_never_panic_and_conserve_requests() {
    let mut r = super::rng::Rng::new(2024);
    for case in 0..60 {
        let mut p = pool("gpu", if r.uniform() < 0.5 { NodeOs::Bottlerocket } else { NodeOs::Al2023 }, None);
        if r.uniform() < 0.5 {
            p.limit_devices = Some((r.uniform() * 8.0) as u32);
        }
        if r.uniform() < 0.3 {
            p.capacity_types = vec![CapacityType::Spot];
        }
        if r.uniform() < 0.3 {
            p.consolidation = ConsolidationPolicy::WhenEmptyOrUnderutilized;
            p.consolidate_after_s = Some(r.uniform() * 120.0);
        }
        if r.uniform() < 0.3 {
            p.reservations = vec![Reservation {
                instance_type: "g5.xlarge".to_string(),
                count: 1,
                usd_per_hour: 1.0,
                ends_at_s: None,
                capacity_block: false,
            }];
        }
        let autoscaler = match case % 3 {
            0 => hpa(1 + (r.uniform() * 3.0) as u32, 4 + (r.uniform() * 12.0) as u32, 0.5 + r.uniform() * 5.0),
            1 => Autoscaler::Fixed { replicas: (r.uniform() * 4.0) as u32 },
            _ => Autoscaler::Keda(KedaSpec {
                min_replica_count: (r.uniform() * 2.0) as u32,
                max_replica_count: 2 + (r.uniform() * 8.0) as u32,
                polling_interval_s: 5.0 + r.uniform() * 30.0,
                cooldown_period_s: r.uniform() * 300.0,
                triggers: vec![KedaTrigger {
                    metric: if r.uniform() < 0.5 { MetricKind::RequestsPerSecond } else { MetricKind::KvCacheUsage },
                    target_per_pod: 0.2 + r.uniform(),
                    activation_threshold: r.uniform() * 0.5,
                }],
                fallback: Some(KedaFallback { failure_threshold: 2, replicas: 2 }),
                behavior: Behavior::default(),
                without_behavior: false,
            }),
        };
        let traffic = match case % 4 {
            0 => steady(r.uniform() * 10.0),
            1 => step_trace(r.uniform(), r.uniform() * 30.0, r.uniform() * 1800.0),
            _ => Traffic::default(),
        };
        let mut sc = scenario(traffic, autoscaler, vec![p]);
        sc.timing.spot_interruptions_per_node_hour = r.uniform();
        if r.uniform() < 0.3 {
            sc.metrics_outages = vec![(600.0, 900.0)];
        }
        let options =
            SimOptions { duration_s: 3600.0, step_s: 0.5 + r.uniform() * 2.0, series_step_s: 120.0, seed: case };
        let t = simulate(&sc, &options).unwrap_or_else(|e| panic!("case {case}: {e}"));
        let s = &t.summary;
        assert_eq!(
            s.requests_arrived,
            s.requests_served + s.requests_queued_at_end + s.requests_dropped,
            "case {case}"
        );
        assert!(s.cost_usd.is_finite() && s.cost_usd >= 0.0, "case {case}");
        assert!(s.slo_attainment.values().all(|f| (0.0..=1.0).contains(f)), "case {case}: {:?}", s.slo_attainment);
    }
}

/// A pod on a fresh node waits for every stage, each a parameter: Karpenter's batch, the launch, the
/// OS boot, the device plugin, the image pull and the model load with the engine's warm-up.
#[test]
fn cold_start_is_the_sum_of_the_configured_stages() {
    let mut sc = scenario(step_trace(0.2, 3.0, 300.0), hpa(1, 2, 1.0), vec![pool("gpu", NodeOs::Al2023, None)]);
    sc.pools[0].instance_types.truncate(1);
    let t = simulate(&sc, &opts(1800.0)).unwrap();
    assert_eq!(t.summary.pods_started, 1);
    let p = Timing::default();
    let d = &sc.deployments[0];
    let expected = p.batch_idle_s
        + p.node_ready_after_s(NodeOs::Al2023)
        + p.image_pull_overhead_s
        + d.image_gib * 1024.0 / p.image_pull_mib_per_s
        + d.weights_gib * 1024.0 / p.model_load_mib_per_s
        + p.engine_warmup_s;
    let measured = t.summary.pod_startup_s_max;
    assert!((measured - expected).abs() <= 1.0, "measured {measured}, expected {expected}");
}

/// The image is cached per node: a second pod on a node that already holds the image only loads the
/// model.
#[test]
fn image_pull_is_cached_per_node() {
    let mut p = pool("gpu", NodeOs::Bottlerocket, None);
    p.instance_types = vec![g5("g5.12xlarge", 4, 5.672)];
    let sc = scenario(step_trace(0.2, 3.0, 300.0), hpa(1, 2, 1.0), vec![p]);
    let t = simulate(&sc, &opts(1800.0)).unwrap();
    assert_eq!((t.summary.pods_started, t.summary.nodes_launched), (1, 0), "the new pod shares the warm node");
    let timing = Timing::default();
    let d = &sc.deployments[0];
    let expected = d.weights_gib * 1024.0 / timing.model_load_mib_per_s + timing.engine_warmup_s;
    assert!((t.summary.pod_startup_s_max - expected).abs() <= 1.0, "{} vs {expected}", t.summary.pod_startup_s_max);
}

/// The autoscaler acts on the last scrape: a longer scrape interval delays the reaction to a step.
#[test]
fn metrics_lag_by_the_scrape_interval() {
    let first_scale_up = |interval: f64| {
        let mut sc =
            scenario(step_trace(0.2, 4.0, 600.0), hpa(1, 8, 1.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
        sc.timing.metrics_scrape_interval_s = interval;
        let t = simulate(&sc, &SimOptions { series_step_s: 1.0, ..opts(1800.0) }).unwrap();
        let d = &t.series.deployments["llama"].replicas_desired;
        d.iter().position(|&r| r > 1).expect("scales up") as f64
    };
    let (fast, slow) = (first_scale_up(15.0), first_scale_up(600.0));
    assert!((600.0..=640.0).contains(&fast), "{fast}");
    assert!((900.0..=920.0).contains(&slow), "{slow}");
}

/// With spot capacity short, Karpenter falls back to the next offering (here on-demand) and the pods
/// still get nodes.
#[test]
fn spot_capacity_shortage_falls_back_to_other_offerings() {
    let mut p = pool("mixed", NodeOs::Bottlerocket, None);
    p.capacity_types = vec![CapacityType::Spot, CapacityType::OnDemand];
    p.instance_types.truncate(1);
    let mut sc = scenario(step_trace(0.2, 6.0, 300.0), hpa(1, 8, 1.0), vec![p]);
    sc.timing.spot_launch_failure_probability = 1.0;
    sc.timing.spot_interruptions_per_node_hour = 0.0;
    let t = simulate(&sc, &opts(3600.0)).unwrap();
    assert!(t.summary.spot_launch_failures > 0);
    assert!(t.summary.findings.iter().any(|f| f.code == "SIM007"));
    let pool = &t.series.pools["mixed"];
    let on_demand = pool.nodes_by_type.get("g5.xlarge/on-demand").expect("on-demand nodes");
    assert!(*on_demand.iter().max().unwrap() > 0);
    assert!(pool.nodes_by_type.get("g5.xlarge/spot").is_none_or(|c| c.iter().skip(1).all(|&n| n <= c[0])));
    assert!(t.series.deployments["llama"].replicas_ready.iter().max().copied().unwrap_or(0) > 1);
}

/// Budgets: a zero budget outside a scheduled window keeps empty nodes; inside it they go.
#[test]
fn scheduled_budget_gates_consolidation() {
    let run = |budgets: Vec<BudgetRule>| {
        let mut p = pool("gpu", NodeOs::Bottlerocket, None);
        p.instance_types.truncate(1);
        p.consolidate_after_s = Some(60.0);
        p.budgets = budgets;
        let rows = vec![
            TraceRow { t_s: 0.0, requests_per_s: 6.0, input_tokens: None, output_tokens: None },
            TraceRow { t_s: 1800.0, requests_per_s: 0.2, input_tokens: None, output_tokens: None },
        ];
        let traffic = Traffic { source: TrafficSource::Trace { rows }, arrival_noise: false, ..Traffic::default() };
        let mut sc = scenario(traffic, hpa(1, 8, 1.0), vec![p]);
        sc.deployments[0].initial_replicas = 8;
        simulate(&sc, &SimOptions { series_step_s: 60.0, ..opts(4.0 * 3600.0) }).unwrap()
    };
    // Default (10 %): nodes go one at a time after the load drops.
    let default = run(vec![]);
    assert!(*default.series.nodes.last().unwrap() < 8);
    // Nodes: 0 always, but 100 % from 02:00 for an hour.
    let gated = run(vec![
        BudgetRule::always(DisruptionBudget::Nodes(0)),
        BudgetRule {
            nodes: DisruptionBudget::Percent(100),
            schedule: Some(("0 2 * * *".to_string(), 3600.0)),
            reasons: vec![DisruptionReason::Empty],
        },
    ]);
    let nodes = &gated.series.nodes;
    // The most restrictive active budget wins: 0 all the time, so nothing is consolidated.
    assert!(nodes.iter().all(|&n| n >= nodes[0]), "{nodes:?}");
    // A single scheduled budget: consolidation only inside 02:00–03:00.
    let windowed = run(vec![BudgetRule {
        nodes: DisruptionBudget::Nodes(0),
        schedule: Some(("0 0 * * *".to_string(), 7200.0)),
        reasons: vec![],
    }]);
    let n = &windowed.series.nodes;
    assert_eq!(n[100], n[0], "no consolidation before 02:00: {n:?}");
    assert!(*n.last().unwrap() < n[0], "consolidation after the window closes: {n:?}");
}

/// Replace consolidation: after a scale-down leaves one pod on a four-GPU node, Karpenter launches a
/// one-GPU node, moves the pod once the new node is ready, and removes the big one.
#[test]
fn underutilised_node_is_replaced_by_a_cheaper_one() {
    let run = |policy: ConsolidationPolicy| {
        let mut p = pool("gpu", NodeOs::Bottlerocket, None);
        p.consolidation = policy;
        p.consolidate_after_s = Some(60.0);
        let rows = vec![
            TraceRow { t_s: 0.0, requests_per_s: 4.0, input_tokens: None, output_tokens: None },
            TraceRow { t_s: 600.0, requests_per_s: 0.2, input_tokens: None, output_tokens: None },
        ];
        let traffic = Traffic { source: TrafficSource::Trace { rows }, arrival_noise: false, ..Traffic::default() };
        let mut sc = scenario(traffic, hpa(1, 4, 1.0), vec![p]);
        sc.deployments[0].initial_replicas = 4;
        simulate(&sc, &opts(3.0 * 3600.0)).unwrap()
    };
    let replaced = run(ConsolidationPolicy::WhenEmptyOrUnderutilized);
    let kept = run(ConsolidationPolicy::WhenEmpty);
    assert_eq!(
        replaced.series.pools["gpu"].nodes_by_type["g5.12xlarge/on-demand"][0], 1,
        "four pods packed on one node"
    );
    assert_eq!(replaced.summary.nodes_replaced, 1);
    let by_type = &replaced.series.pools["gpu"].nodes_by_type;
    assert_eq!(*by_type["g5.12xlarge/on-demand"].last().unwrap(), 0);
    assert_eq!(*by_type["g5.xlarge/on-demand"].last().unwrap(), 1);
    assert_eq!(kept.summary.nodes_replaced, 0);
    assert!(
        replaced.summary.cost_usd < kept.summary.cost_usd * 0.7,
        "{} vs {}",
        replaced.summary.cost_usd,
        kept.summary.cost_usd
    );
    // The pod kept serving on the old node until the new one was ready, then restarted there.
    let ready = &replaced.series.deployments["llama"].replicas_ready;
    assert_eq!(*ready.last().unwrap(), 1);
}

/// A two-stage pipeline (prefill then decode): each request counts once, and requests are conserved
/// across both stages.
#[test]
fn pipeline_stages_count_each_request_once() {
    let mut sc = scenario(steady(2.0), hpa(1, 6, 2.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    let mut decode = sc.deployments[0].clone();
    decode.name = "llama-decode".to_string();
    decode.upstream = Some("llama".to_string());
    sc.deployments.push(decode);
    let t = simulate(&sc, &opts(3.0 * 3600.0)).unwrap();
    let s = &t.summary;
    let single = simulate(
        &scenario(steady(2.0), hpa(1, 6, 2.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]),
        &opts(3.0 * 3600.0),
    )
    .unwrap()
    .summary;
    assert_eq!(s.requests_arrived, single.requests_arrived, "arrivals are counted at the first stage only");
    assert_eq!(s.requests_arrived, s.requests_served + s.requests_queued_at_end + s.requests_dropped);
    let d = &t.series.deployments;
    let handed: f64 = d["llama"].served_rate.iter().sum();
    let received: f64 = d["llama-decode"].arrival_rate.iter().sum();
    assert!((handed - received).abs() < 1e-6 * handed.max(1.0), "{handed} vs {received}");
    let mut bad = sc.clone();
    bad.deployments[1].upstream = Some("nope".to_string());
    assert!(simulate(&bad, &opts(60.0)).unwrap_err().to_string().contains("upstream"));
}

/// A spot-interruption rate for an instance family the catalog does not know is refused (a typo
/// such as `g55` used to be accepted and silently ignored).
#[test]
fn a_per_family_parameter_names_a_known_family() {
    let mut timing = Timing::default();
    assert!(timing.set("spot_interruptions_per_node_hour.g5", 0.002).is_ok());
    let e = timing.set("spot_interruptions_per_node_hour.g55", 0.002).unwrap_err().to_string();
    assert!(e.contains("\"g55\" is not an instance family"), "{e}");
    assert!(timing.set("no_such_parameter", 1.0).is_err());
}

/// A series that would hold more than `MAX_SERIES_VALUES` values is refused before a step is
/// simulated, naming the limit and the smallest series step that fits (23 days at 1 s samples took
/// 3.2 GB as CSV and 1 GB as JSON); the largest allowed series stays small.
#[test]
fn an_oversized_series_is_refused_up_front_with_the_limit() {
    let plan = crate::plan::parse_plan(crate::examples::example("quickstart").unwrap()).unwrap();
    let scenario = crate::sim::from_plan(&plan, &crate::sim::PlanInputs::default()).unwrap();
    let day = 86_400.0;
    let options = SimOptions { duration_s: 23.0 * day, step_s: 1.0, series_step_s: 1.0, seed: 1 };
    let e = crate::sim::simulate(&scenario, &options).unwrap_err().to_string();
    assert!(e.starts_with("--series-step: ") && e.contains("the limit is 20000000") && e.contains("3s"), "{e}");
    let options = SimOptions { series_step_s: 3.0, ..options };
    let timeline = crate::sim::simulate(&scenario, &options).unwrap();
    let csv = timeline.series_csv();
    assert_eq!(csv.lines().count(), timeline.series.t_s.len() + 1);
}

/// A single pod on a fresh one-GPU node of `os`, with `edit` applied to the scenario: its time from
/// creation to Ready.
fn one_cold_start(os: NodeOs, edit: impl FnOnce(&mut Scenario)) -> f64 {
    let mut sc = scenario(step_trace(0.2, 3.0, 300.0), hpa(1, 2, 1.0), vec![pool("gpu", os, None)]);
    sc.pools[0].instance_types.truncate(1);
    edit(&mut sc);
    let t = simulate(&sc, &opts(1800.0)).unwrap();
    assert_eq!(t.summary.pods_started, 1);
    t.summary.pod_startup_s_max
}

/// Each start-up lever replaces one part of a pod's cold start by what its parameter says: the image
/// from the data volume's snapshot, SOCI's parallel pull by the OS's factor, the weights streamed from
/// S3 or read from a shared file system, and Neuron's compilation without a compile cache.
#[test]
fn each_lever_changes_its_part_of_the_cold_start_by_its_parameter() {
    let p = Timing::default();
    let (image_gib, weights_gib) = (8.0, 15.0);
    for os in [NodeOs::Bottlerocket, NodeOs::Al2023] {
        let node = p.batch_idle_s + p.node_ready_after_s(os);
        let pull = p.image_pull_overhead_s + image_gib * 1024.0 / p.image_pull_mib_per_s;
        let load = weights_gib * 1024.0 / p.model_load_mib_per_s;
        let plain = one_cold_start(os, |_| {});
        assert!((plain - (node + pull + load + p.engine_warmup_s)).abs() <= 1.0, "{os:?}: {plain}");

        let cached = one_cold_start(os, |sc| sc.pools[0].cached_images = vec!["vllm".to_string()]);
        assert!((plain - cached - (pull - p.image_cache_s)).abs() <= 1.0, "{os:?} image cache: {cached}");
        // A snapshot of another image changes nothing.
        let other = one_cold_start(os, |sc| sc.pools[0].cached_images = vec!["tgi".to_string()]);
        assert!((other - plain).abs() <= 1e-9);

        let speedup = match os {
            NodeOs::Bottlerocket => p.soci_pull_speedup_bottlerocket,
            NodeOs::Al2023 => p.soci_pull_speedup_al2023,
        };
        let parallel = one_cold_start(os, |sc| sc.pools[0].parallel_pull = true);
        let parallel_pull = p.image_pull_overhead_s + image_gib * 1024.0 / (p.image_pull_mib_per_s * speedup);
        assert!((plain - parallel - (pull - parallel_pull)).abs() <= 1.0, "{os:?} parallel: {parallel}");

        let streamed = one_cold_start(os, |sc| sc.deployments[0].weights = WeightsLoad::S3Streamer);
        let stream = weights_gib * 1024.0 / p.s3_streamer_mib_per_s;
        assert!((plain - streamed - (load - stream)).abs() <= 1.0, "{os:?} streamer: {streamed}");

        let shared = one_cold_start(os, |sc| sc.deployments[0].weights = WeightsLoad::SharedFileSystem);
        let local = weights_gib * 1024.0 / p.local_weights_mib_per_s;
        assert!((plain - shared - (load - local)).abs() <= 1.0, "{os:?} shared file system: {shared}");

        let compiling = one_cold_start(os, |sc| sc.deployments[0].neuron_compile = true);
        assert!((compiling - plain - p.neuron_compile_s).abs() <= 1.0, "{os:?} Neuron compile: {compiling}");
    }
}

/// With `nodeCache`, the first pod on a node fetches the weights and the next pods there read the
/// node's copy (at the local loader's rate) once it is complete; without it every pod fetches.
#[test]
fn the_node_cache_serves_the_next_pods_on_a_node() {
    let mut sc = scenario(step_trace(0.2, 3.0, 300.0), hpa(1, 4, 1.0), vec![pool("gpu", NodeOs::Bottlerocket, None)]);
    sc.pools[0].instance_types = vec![g5("g5.12xlarge", 4, 5.672)];
    sc.deployments[0].initial_replicas = 0;
    sc.deployments[0].weights_node_cache = true;
    let t = Timing::default();
    let mut cluster = super::cluster::Cluster::new(&sc, super::rng::Rng::new(1));
    cluster.reconcile_replicas(0.0, &[2], false);
    cluster.launch_node(0, 0, 0.0);
    cluster.schedule(0.0, false);
    let d = &sc.deployments[0];
    let start = sc.pools[0].pod_start(d);
    let image_done = t.node_ready_after_s(NodeOs::Bottlerocket) + t.image_pull_s(&start);
    let fetched = image_done + d.weights_gib * 1024.0 / t.model_load_mib_per_s;
    let first = fetched + t.engine_warmup_s;
    let second = fetched + d.weights_gib * 1024.0 / t.local_weights_mib_per_s + t.engine_warmup_s;
    let ready: Vec<f64> = cluster.pods.iter().map(|p| p.ready_s).collect();
    assert!((ready[0] - first).abs() < 1e-6 && (ready[1] - second).abs() < 1e-6, "{ready:?} vs {first}, {second}");
    // A pod created later on the same node reads the copy without waiting.
    cluster.reconcile_replicas(1000.0, &[3], false);
    cluster.schedule(1000.0, false);
    let third = 1000.0 + d.weights_gib * 1024.0 / t.local_weights_mib_per_s + t.engine_warmup_s;
    assert!((cluster.pods[2].ready_s - third).abs() < 1e-6, "{} vs {third}", cluster.pods[2].ready_s);
}
