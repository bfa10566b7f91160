//! Fuzz target `share`: see `tests/fuzz_surfaces.rs` (`share_fragment`) for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenfleet_tests::fuzz_surfaces::share_fragment(data));
