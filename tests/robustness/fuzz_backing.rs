//! The fuzzers' evidence, kept in CI: every seed of `fuzz/corpus/<target>/`
//! (the realistic seeds and each input a fuzzer found that broke Gavel,
//! kept as a regression) goes through the same checks as the fuzz target
//! (`fuzz/oracles.rs`). tests/properties.rs backs each target with a
//! property over generated inputs.

use std::path::Path;

#[path = "../../fuzz/oracles.rs"]
mod oracles;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut seeds = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target}: {name} fails its check");
        seeds += 1;
    }
    assert!(seeds >= 4, "{target}: only {seeds} seeds");
}

#[test]
fn metadata_seeds() {
    replay("metadata", oracles::metadata);
}

#[test]
fn manifest_seeds() {
    replay("manifest", oracles::manifest);
}

#[test]
fn decision_line_seeds() {
    replay("decision_line", oracles::decision_line);
}

#[test]
fn sanitize_seeds() {
    replay("sanitize", oracles::sanitize);
}

/// Each load runs on a worker-sized (2 MiB) stack, as replay and the
/// workbench evaluate.
#[test]
fn rego_seeds() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| replay("rego", oracles::rego))
        .unwrap()
        .join()
        .unwrap();
}
