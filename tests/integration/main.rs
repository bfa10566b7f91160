//! The one integration-test binary: tests across crates and against ../shared/reference.

mod calibration;
mod cel;
mod conformance;
mod disagg_sizing;
mod examples;
mod fuzz_corpus;
mod generate;
mod gitops;
mod gitops_render;
mod hostile;
mod layers;
mod lint_corpus;
mod notices;
mod optimize;
mod placement;
mod roundtrip;
mod schema;
mod sim;
mod snapshots;
mod warm;
