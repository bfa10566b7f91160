//! The one integration-test binary: tests across crates and against ../shared/reference.

mod calibration;
mod conformance;
mod disagg_sizing;
mod doc_writers;
mod examples;
mod generate;
mod lint_corpus;
mod node_readers;
mod notices;
mod optimize;
mod placement;
mod roundtrip;
mod schema;
mod sim;
mod snapshots;
mod yaml_oracle;
