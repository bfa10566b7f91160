//! Fuzz target `flags`: see `tests/fuzz_surfaces.rs` (`cli_flags`) for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenfleet_tests::fuzz_surfaces::cli_flags(data));
