//! Fuzz target `import`: see `tests/fuzz_surfaces.rs` (`kubernetes_yaml`) for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenfleet_tests::fuzz_surfaces::kubernetes_yaml(data));
