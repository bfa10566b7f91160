//! The one integration-test binary: tests across crates and against ../shared/reference.

mod calibration;
mod examples;
mod conformance;
mod disagg_sizing;
mod generate;
mod lint_corpus;
mod placement;
mod optimize;
mod roundtrip;
mod schema;
mod sim;
mod snapshots;
mod yaml_oracle;
