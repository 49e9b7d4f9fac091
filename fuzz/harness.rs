//! The fuzz entry points that need the generator and the verifier (the vocabulary ones are in
//! `harness_vocab.rs`), shared by the `cargo fuzz` targets (`fuzz/fuzz_targets/*.rs`), the
//! proptest suites (`tests/it/fuzz_*.rs`) and the corpus replay (`tests/it/fuzz_corpus.rs`). Each
//! takes arbitrary bytes, must never panic, and checks properties that hold for any input.
//! A violated property panics with the input, which the fuzzer or proptest then minimises.
#![allow(dead_code)]

use std::path::Path;

use curlab_verifier::report::{self, OutputFormat};
use curlab_verifier::{verify, VerifyError, VerifyOptions};

/// The scenario parser and resolver: never panic; errors name the file and a line within it.
pub fn scenario(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let lines = src.lines().count().max(1);
    let check_positions = |e: &curlab_generator::scenario::ScenarioError| {
        let text = e.to_string();
        assert!(
            text.contains("fuzz.toml"),
            "error does not name the file: {text}"
        );
        for (pos, _) in &e.problems {
            if let Some((line, _col)) = pos {
                assert!(
                    *line >= 1 && *line <= lines + 1,
                    "line {line} of {lines}: {text}"
                );
            }
        }
    };
    match curlab_generator::scenario::parse(src, "fuzz.toml") {
        Err(e) => check_positions(&e),
        Ok(file) => {
            let size = curlab_generator::size::estimate(&file, 1.0);
            assert!(size.principals >= 0.0 && size.requests >= 0.0);
            // Resolving is linear in the populations; keep fuzz cases fast.
            if size.principals <= 20_000.0 {
                if let Err(problems) = curlab_generator::plan::resolve(&file, None, 1.0) {
                    let e = curlab_generator::scenario::with_positions(src, "fuzz.toml", problems);
                    check_positions(&e);
                }
            }
        }
    }
}

/// Check a verify result: an error names the file and says how to fix it; a report renders in
/// every format, and each rendering is well-formed for any bytes in the data.
pub fn check_verify(result: Result<curlab_verifier::Report, VerifyError>, name: &str) {
    match result {
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains("internal error"), "{text}");
            assert!(text.contains(name), "error does not name {name}: {text}");
            assert!(text.contains("fix:"), "error without a fix: {text}");
        }
        Ok(r) => {
            let text = report::render(&r, OutputFormat::Text);
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "control characters in text output"
            );
            for f in [OutputFormat::Json, OutputFormat::Sarif] {
                let out = report::render(&r, f);
                serde_json::from_str::<serde_json::Value>(&out)
                    .unwrap_or_else(|e| panic!("{f:?} output is not JSON: {e}"));
            }
            let xml = report::render(&r, OutputFormat::Junit);
            assert!(xml_is_well_formed(&xml), "JUnit XML is not well-formed");
        }
    }
}

/// A small XML well-formedness check: allowed characters, balanced tags, escaped `&` and `<`.
pub fn xml_is_well_formed(s: &str) -> bool {
    let ok_char = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{fffe}' | '\u{ffff}'))
    };
    if !s.chars().all(ok_char) {
        return false;
    }
    let mut stack: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['<', '&']) {
        rest = &rest[i..];
        if rest.starts_with('&') {
            let Some(end) = rest.find(';') else {
                return false;
            };
            let ent = &rest[1..end];
            let known = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                || ent
                    .strip_prefix('#')
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
            if !known {
                return false;
            }
            rest = &rest[end + 1..];
            continue;
        }
        let Some(end) = rest.find('>') else {
            return false;
        };
        let tag = &rest[1..end];
        if tag.contains('<') {
            return false;
        }
        if tag.starts_with('?') || tag.starts_with('!') {
            // Declaration or comment.
        } else if let Some(name) = tag.strip_prefix('/') {
            if stack.pop().as_deref() != Some(name.trim()) {
                return false;
            }
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or("");
            stack.push(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    stack.is_empty()
}

/// Verify one file holding `data`, named `name` (its extension does not matter: formats are
/// detected from the bytes).
pub fn verify_file(dir: &Path, name: &str, data: &[u8]) {
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write fuzz input");
    let opts = VerifyOptions {
        paths: vec![path.to_string_lossy().into_owned()],
        threads: 1,
        ..Default::default()
    };
    check_verify(verify(&opts), name);
}

/// The CSV reader (through the whole verify path).
pub fn csv(data: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    // A gzip or Parquet magic would take another reader; this target is about CSV text.
    let data = if data.starts_with(b"PAR1") || data.starts_with(&[0x1f, 0x8b]) {
        &data[1..]
    } else {
        data
    };
    verify_file(dir.path(), "fuzz.csv", data);
}

/// The whole verify path on any file: Parquet, CSV or gzip, detected from the bytes.
pub fn verify_any(data: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    verify_file(dir.path(), "fuzz.parquet", data);
}
