//! Interrupting `curlab generate` (SIGINT, SIGTERM) leaves nothing behind: no partial export,
//! no hidden temporary folder, no truth file; an export already in place survives; a second
//! run succeeds. Every wait is bounded and a hung child is killed, so this test cannot hang CI.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A scenario big enough that generating it takes a few seconds in a debug build.
const SLOW: &str = "enterprise";
/// The export (folder) name of [`SLOW`].
const EXPORT: &str = "enterprise-cur";
const SLOW_ARGS: &[&str] = &["--scale", "2", "--threads", "1"];

fn spawn(out: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_curlab"))
        .args([
            "generate",
            SLOW,
            "--out",
            out.to_str().expect("utf-8"),
            "--quiet",
        ])
        .args(SLOW_ARGS)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curlab starts")
}

/// Entries of `out` whose name contains `.curlab-tmp-`.
fn temp_folders(out: &Path) -> Vec<String> {
    std::fs::read_dir(out)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".curlab-tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Wait until `cond` holds or `limit` passes; false on timeout.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Wait for the child to exit; kill it and fail if it does not within `limit`.
fn wait_bounded(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("curlab generate did not stop within {limit:?} of the signal; killed it");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_of(child: &mut Child) -> String {
    use std::io::Read;
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

fn send(child: &Child, signal: &str) {
    // The shell's built-in `kill`: no procps needed on a minimal machine.
    let ok = Command::new("sh")
        .args(["-c", &format!("kill -{signal} {}", child.id())])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{signal} failed");
}

/// Start a run, signal it once its temporary folder exists, and check the aftermath.
fn interrupt_once(out: &Path, signal: &str, extra: &[&str]) {
    let mut child = spawn(out, extra);
    let started = wait_for(Duration::from_secs(120), || !temp_folders(out).is_empty());
    if !started {
        let _ = child.kill();
        let status = child.wait().expect("wait");
        panic!(
            "no temporary folder appeared in {} (exit {status:?}): {}",
            out.display(),
            stderr_of(&mut child)
        );
    }
    // Let it get into the simulation proper.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the run finished before it could be interrupted; make SLOW slower"
    );
    send(&child, signal);
    let status = wait_bounded(&mut child, Duration::from_secs(60));
    let stderr = stderr_of(&mut child);
    assert_eq!(
        status.code(),
        Some(130),
        "SIG{signal} gives exit code 130; stderr: {stderr}"
    );
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        temp_folders(out).is_empty(),
        "temporary folder left behind after SIG{signal}: {:?}",
        temp_folders(out)
    );
}

#[test]
fn sigint_and_sigterm_leave_no_partial_export_and_a_rerun_succeeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    for signal in ["INT", "TERM"] {
        interrupt_once(&out, signal, &[]);
        assert!(
            !out.join(EXPORT).exists(),
            "a partial export is in place after SIG{signal}"
        );
        assert!(!out.join(format!("{EXPORT}.truth.json")).exists());
    }
    // A second run, uninterrupted, succeeds and writes a complete export.
    let mut child = spawn(&out, &[]);
    let status = wait_bounded(&mut child, Duration::from_secs(600));
    assert!(status.success(), "rerun failed: {}", stderr_of(&mut child));
    assert!(out.join(EXPORT).join("metadata").is_dir());
    assert!(out.join(format!("{EXPORT}.truth.json")).is_file());
    assert!(temp_folders(&out).is_empty());
    let v = crate::common::curlab(&[
        "verify",
        out.join(EXPORT).to_str().expect("utf-8"),
        "--select",
        "SC",
    ]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "the rerun's export verifies: {}",
        String::from_utf8_lossy(&v.stdout)
    );

    // Interrupting a --force regeneration keeps the export already in place, byte for byte.
    let manifest = crate::common::files(&out.join(EXPORT))
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("Manifest.json"))
        .expect("a manifest");
    let before = std::fs::read(out.join(EXPORT).join(&manifest)).expect("read");
    interrupt_once(&out, "INT", &["--force", "--seed", "99"]);
    let after = std::fs::read(out.join(EXPORT).join(&manifest)).expect("read");
    assert_eq!(
        before, after,
        "the export in place changed after an interrupted --force run"
    );
}
