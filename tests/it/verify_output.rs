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
