//! Fuzz target `plan`: see `tests/fuzz_surfaces.rs` (`plan_text`) for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenfleet_tests::fuzz_surfaces::plan_text(data));
