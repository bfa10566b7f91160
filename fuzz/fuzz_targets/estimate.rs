//! Fuzz target `estimate`: see `tests/fuzz_surfaces.rs` (`estimate_lines`) for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenfleet_tests::fuzz_surfaces::estimate_lines(data));
