//! TF018 (a model that does not fit a replica's devices) gives the needed and available GiB per device
//! and the ways out the performance model found.

use crate::plan::parse_plan;

fn plan(precision: &str) -> crate::plan::Plan {
    parse_plan(&format!(
        "apiVersion: tokenfleet.dev/v1alpha1
kind: Plan
metadata: {{name: big}}
spec:
  region: us-east-1
  workload: {{requestsPerSecond: {{baseline: 1, peak: 2}}, inputTokens: {{mean: 1024}}, outputTokens: {{mean: 256}}}}
  deployments:
    - {{name: big, model: llama-3.1-405b, precision: {precision}, tensorParallel: 8, replicas: {{min: 1, max: 2}}, tolerations: [{{key: nvidia.com/gpu, operator: Exists}}]}}
  nodePools:
    - {{name: p5, capacityTypes: [on-demand], instanceTypes: [p5.48xlarge], nodeClass: c}}
  nodeClasses: [{{name: c, ami: al2023}}]
"
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn tf018_names_needed_and_available_memory_and_the_ways_out() {
    let findings = super::lint_plan(&plan("bf16"));
    let f = findings.iter().find(|f| f.code == "TF018").expect("405B in BF16 does not fit eight H100s");
    assert!(f.message.starts_with("llama-3.1-405b (bf16) does not fit p5.48xlarge: "), "{}", f.message);
    assert!(f.message.contains("needs 96.9 GiB per GPU but vllm leaves 72.0 GiB"), "{}", f.message);
    assert!(f.message.contains("weights 94.5 GiB"), "{}", f.message);
    assert!(f.fix.starts_with("ways out: precision fp8 instead of bf16: 50.1 of 72.0 GiB per GPU; "), "{}", f.fix);
    assert!(f.fix.contains("instance type p5en.48xlarge (8 × h200"), "{}", f.fix);
    assert!(!super::lint_plan(&plan("fp8")).iter().any(|f| f.code == "TF018"));
}
