//! Fuzz target `trace`: see `tests/fuzz_surfaces.rs` (`trace_csv`) for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenfleet_tests::fuzz_surfaces::trace_csv(data));
