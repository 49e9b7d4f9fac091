//! The verifier's outputs for one faulty export, pinned as insta snapshots (text, JSON, JUnit,
//! SARIF). The export is generated into a temporary folder and verified with paths relative to
//! it, so the snapshots hold no machine-specific paths.

use std::process::Command;

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn verify_in(dir: &std::path::Path, format: &str) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_curlab"))
        .current_dir(dir)
        .args([
            "verify",
            "blog-launch",
            "--truth",
            "blog-launch.truth.json",
            "--format",
            format,
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("curlab runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn faulty_export_outputs_are_stable() {
    let dir = crate::common::generate(
        "blog-launch",
        &["--inject", "malformed-arn", "--inject", "cost-mismatch"],
    );
    for (format, name) in [
        ("text", "verify_faulty_text"),
        ("json", "verify_faulty_json"),
        ("junit", "verify_faulty_junit"),
        ("sarif", "verify_faulty_sarif"),
    ] {
        let (code, out) = verify_in(dir.path(), format);
        assert_eq!(code, 1, "{format}: errors give exit code 1");
        assert!(
            out.contains("PR002") && out.contains("CT001"),
            "{format} names both rules"
        );
        assert!(
            !out.contains(&*dir.path().to_string_lossy()),
            "{format}: no absolute paths"
        );
        snapshot_settings().bind(|| insta::assert_snapshot!(name, out));
    }
    let (_, json) = verify_in(dir.path(), "json");
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert!(v["summary"]["errors"].as_u64().unwrap_or(0) >= 2);
    let (_, junit) = verify_in(dir.path(), "junit");
    assert!(junit.starts_with("<?xml"), "JUnit is XML");
    assert!(
        junit.contains("<skipped"),
        "rules that could not apply are skipped, not passed"
    );
}

/// A truth file that is not JSON, not a truth file, or missing: exit 2 with the file, the place
/// and a fix (the truth is read from a stream, so the place comes from the parser, not a copy of
/// the text).
#[test]
fn a_bad_truth_file_is_one_clear_error() {
    let export = crate::common::shipped("s1-iam-users", "parquet").join("s1-iam-users");
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "broken.truth.json",
            Some("{\n  \"curlab_truth_version\": 2,\n  \"scenario\": oops\n}\n"),
            "line 3, column",
        ),
        (
            "other.truth.json",
            Some("{\"hello\": \"world\"}\n"),
            "not a curlab truth file",
        ),
        ("missing.truth.json", None, "cannot read truth file"),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        if let Some(text) = text {
            std::fs::write(&path, text).expect("write");
        }
        let o = crate::common::curlab(&[
            "verify",
            export.to_str().expect("utf-8"),
            "--truth",
            path.to_str().expect("utf-8"),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name), "{name}: the file is named: {err}");
        assert!(err.contains(want), "{name}: want `{want}`: {err}");
        assert!(err.contains("truth"), "{name}: a fix: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}
