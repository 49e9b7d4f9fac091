//! Replays every seed of the `cargo fuzz` corpora (`fuzz/corpus/<target>/`) through the same
//! entry points (`fuzz/harness.rs`), so CI runs them all without libFuzzer. A seed that once
//! crashed a target stays here as a regression test; each is listed in docs/robustness.md.

use crate::harness;
use crate::harness_vocab;

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read seed"),
            )
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no seeds in {}", dir.display());
    v
}

fn replay(target: &str, f: fn(&[u8])) {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/robustness.md"),
    )
    .expect("docs/robustness.md");
    let mut failures = Vec::new();
    for (name, data) in corpus(target) {
        if let Err(p) = std::panic::catch_unwind(|| f(&data)) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{target}/{name}: {msg}"));
        }
        if !doc.contains(&format!("| `corpus/{target}/{name}` |")) {
            failures.push(format!("{target}/{name}: not listed in docs/robustness.md"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn arn_corpus() {
    replay("arn", harness_vocab::arn);
}

#[test]
fn tags_corpus() {
    replay("tags", harness_vocab::tags);
}

#[test]
fn scenario_corpus() {
    replay("scenario", harness::scenario);
}

#[test]
fn csv_corpus() {
    replay("csv", harness::csv);
}

#[test]
fn verify_corpus() {
    replay("verify", harness::verify_any);
}

/// A panic inside the Parquet crate's page decoders (parquet 60.1 unwraps a dictionary key out
/// of range in a map column) reaches the user as one error naming the file, the row group and a
/// fix: exit 2, and no "thread … panicked" line from the panic hook before it.
#[test]
fn a_decoder_panic_is_one_clean_error() {
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus/verify/map-dictionary-key-out-of-range.parquet");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_curlab"))
        .arg("verify")
        .arg(&seed)
        .output()
        .expect("curlab runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("map-dictionary-key-out-of-range.parquet") && err.contains("row group 0"),
        "{err}"
    );
    assert!(err.contains("fix:"), "{err}");
    assert!(!err.contains("panicked"), "the panic hook spoke: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
