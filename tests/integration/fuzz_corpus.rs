//! The fuzz corpus replays in `make test`: every input `make fuzz` kept (fuzz/corpus/<surface>/) and
//! every input that once broke an invariant (fuzz/regressions/<surface>/) goes through the same
//! surface function as the fuzz target, on stable Rust and without instrumentation.

use tokenfleet_tests::fuzz_surfaces::SURFACES;
use tokenfleet_tests::repo_root;

fn inputs(folder: &str, surface: &str) -> Vec<(String, Vec<u8>)> {
    let dir = repo_root().join("fuzz").join(folder).join(surface);
    let Ok(entries) = std::fs::read_dir(&dir) else { return vec![] };
    let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files.into_iter().map(|p| (p.display().to_string(), std::fs::read(&p).expect("corpus file reads"))).collect()
}

#[test]
fn every_corpus_and_regression_input_keeps_its_invariants() {
    for (surface, run) in SURFACES {
        let corpus = inputs("corpus", surface);
        assert!(!corpus.is_empty(), "fuzz/corpus/{surface}/ is empty: the surface has no seeds");
        let regressions = inputs("regressions", surface);
        for (path, data) in corpus.iter().chain(&regressions) {
            if let Err(panic) = std::panic::catch_unwind(|| run(data)) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("{path}: {message}");
            }
        }
        println!("fuzz corpus {surface}: {} inputs, {} regressions replayed", corpus.len(), regressions.len());
    }
}
