//! The committed fuzz corpus (`fuzzing/corpus/<target>/`), every input run
//! through its target on stable Rust: what the fuzzer once found or kept
//! stays fixed. A panic names the file.

use std::path::Path;

#[test]
fn every_corpus_input_runs_through_its_target_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut total = 0;
    for target in fuzzing::TARGETS {
        let dir = root.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no corpus for {target}");
        for f in &files {
            let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let ok = std::panic::catch_unwind(|| fuzzing::run(target, &data));
            assert!(
                matches!(ok, Ok(true)),
                "{target} panicked on {} (replay: cargo +nightly fuzz run {target} {})",
                f.display(),
                f.display()
            );
        }
        total += files.len();
    }
    assert!(total > 0);
}
