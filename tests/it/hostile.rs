//! Shared harness of the hostile-input tests (`tests/it/hostile_*.rs`): run `curlab` with a time
//! limit, classify the outcome, and check it against what the case expects. Every case id must
//! appear in the table of `docs/robustness.md`.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished run gave.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Peak resident memory in KiB, sampled from /proc while running (0 when unknown).
    pub peak_kib: u64,
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Run `curlab ARGS` in `cwd`; kill it and panic if it runs longer than `limit`.
pub fn run_in(cwd: &Path, args: &[String], limit: Duration) -> Outcome {
    let mut child = Command::new(env!("CARGO_BIN_EXE_curlab"))
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curlab starts");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let mut peak = 0;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if let Some(k) = vm_hwm_kib(child.id()) {
            peak = peak.max(k);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "curlab {} did not finish within {limit:?} (hang?); killed it",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Outcome {
        code: status.code(),
        stdout: String::from_utf8_lossy(&t_out.join().expect("stdout thread")).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().expect("stderr thread")).into_owned(),
        peak_kib: peak,
    }
}

/// What a case must give.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Exit 2, and stderr contains every needle (the file's name, what is wrong, where).
    Error(Vec<String>),
    /// Exit 0 or 1, a valid JSON report, and these rules among its findings.
    Findings(Vec<&'static str>),
    /// Exit 0 or 1 with the same findings (rule and count) as the reference run.
    SameAsReference,
    /// Exit 0 or 1 with a valid JSON report (readable; findings not pinned).
    Readable,
    /// Exit 0 or 1, a valid JSON report that contains every needle (a note, a skip reason).
    Mentions(Vec<&'static str>),
    /// Random input: either an error naming the file (exit 2, with a fix) or a valid report.
    ErrorOrReport(String),
}

/// Shorthand for [`Expect::Error`].
pub fn error(needles: &[&str]) -> Expect {
    Expect::Error(needles.iter().map(|s| s.to_string()).collect())
}

/// One hostile input.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable id, listed in docs/robustness.md.
    pub id: String,
    /// `curlab` arguments.
    pub args: Vec<String>,
    /// The expected outcome.
    pub expect: Expect,
}

impl Case {
    /// `curlab verify PATH --format json` plus extra arguments.
    pub fn verify(id: &str, path: &str, expect: Expect) -> Case {
        Case {
            id: id.to_string(),
            args: ["verify", path, "--format", "json"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            expect,
        }
    }
}

/// (rule, count) of every finding of a JSON report.
pub fn findings(json: &serde_json::Value) -> Vec<(String, u64)> {
    json["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap_or("").to_string(),
                        f["count"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One line saying what a run gave, for the table in docs/robustness.md.
pub fn summary(o: &Outcome) -> String {
    match o.code {
        Some(2) => {
            let first = o.stderr.lines().next().unwrap_or("").trim();
            let first: String = first.chars().take(220).collect();
            format!("exit 2: {}", first.replace('|', "\\|"))
        }
        Some(c @ (0 | 1)) => {
            let f = serde_json::from_str::<serde_json::Value>(&o.stdout)
                .map(|v| findings(&v))
                .unwrap_or_default();
            if f.is_empty() {
                format!("exit {c}, no findings")
            } else {
                let list: Vec<String> = f.iter().map(|(r, n)| format!("{r}×{n}")).collect();
                format!("exit {c}, findings {}", list.join(", "))
            }
        }
        other => format!("exit {other:?}"),
    }
}

/// With `CURLAB_ROBUSTNESS_DUMP=<file>`, append `id<TAB>outcome` (to rebuild the doc table).
pub fn record(id: &str, o: &Outcome) {
    if let Ok(path) = std::env::var("CURLAB_ROBUSTNESS_DUMP") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{id}\t{}", summary(o));
        }
    }
}

/// Check one outcome; `None` when it is as expected, else why not.
pub fn judge(c: &Case, o: &Outcome, reference: Option<&[(String, u64)]>) -> Option<String> {
    record(&c.id, o);
    let mut why = Vec::new();
    if o.stderr.contains("panicked") || o.stderr.contains("internal error") {
        why.push("panicked".to_string());
    }
    if o.stderr
        .chars()
        .any(|ch| ch.is_control() && ch != '\n' && ch != '\t')
    {
        why.push("control characters on stderr".to_string());
    }
    match &c.expect {
        Expect::ErrorOrReport(file) => match o.code {
            Some(2) => {
                if !o.stderr.contains(file.as_str()) || !o.stderr.contains("fix:") {
                    why.push(format!("exit 2 without naming `{file}` and a fix"));
                }
            }
            Some(0 | 1) => {
                if serde_json::from_str::<serde_json::Value>(&o.stdout).is_err() {
                    why.push("stdout is not JSON".into());
                }
            }
            other => why.push(format!("exit {other:?}, want 0, 1 or 2")),
        },
        Expect::Error(needles) => {
            if o.code != Some(2) {
                why.push(format!("exit {:?}, want 2", o.code));
            }
            for n in needles {
                if !o.stderr.contains(n.as_str()) {
                    why.push(format!("stderr lacks `{n}`"));
                }
            }
            if !o.stderr.contains("fix:") {
                why.push("no `fix:` in the message".into());
            }
        }
        other => {
            if !matches!(o.code, Some(0 | 1)) {
                why.push(format!("exit {:?}, want 0 or 1", o.code));
            }
            match serde_json::from_str::<serde_json::Value>(&o.stdout) {
                Err(e) => why.push(format!("stdout is not JSON: {e}")),
                Ok(v) => {
                    let got = findings(&v);
                    match other {
                        Expect::Findings(rules) => {
                            for r in rules {
                                if !got.iter().any(|(g, _)| g == r) {
                                    why.push(format!("no {r} finding (got {got:?})"));
                                }
                            }
                        }
                        Expect::Mentions(needles) => {
                            for n in needles {
                                if !o.stdout.contains(n) {
                                    why.push(format!("report lacks `{n}`"));
                                }
                            }
                        }
                        Expect::SameAsReference if Some(got.as_slice()) != reference => {
                            why.push(format!(
                                "findings {got:?} differ from the reference {reference:?}"
                            ));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    (!why.is_empty()).then(|| {
        format!(
            "{}: {}\n  args: {}\n  stderr: {}\n  stdout (head): {}",
            c.id,
            why.join("; "),
            c.args.join(" "),
            o.stderr.trim(),
            o.stdout.chars().take(600).collect::<String>()
        )
    })
}

/// Run every case in `cwd` and fail with all mismatches at once.
pub fn run_all(cwd: &Path, cases: &[Case], reference: Option<&[(String, u64)]>) {
    let mut failures = Vec::new();
    for c in cases {
        let o = run_in(cwd, &c.args, Duration::from_secs(120));
        if let Some(f) = judge(c, &o, reference) {
            failures.push(f);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile case(s) failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    documented(&cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>());
}

/// Every id must have a row in docs/robustness.md (`| `id` | ...`).
pub fn documented(ids: &[&str]) {
    let doc =
        std::fs::read_to_string(repo().join("docs/robustness.md")).expect("docs/robustness.md");
    let missing: Vec<&&str> = ids
        .iter()
        .filter(|id| !doc.contains(&format!("| `{id}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "cases missing from the table in docs/robustness.md: {missing:?}"
    );
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python of the project's virtualenv; fails (never skips) when it or pyarrow is missing.
pub fn python() -> PathBuf {
    let py = repo().join(".venv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import pyarrow"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{} with pyarrow is needed to build the hostile Parquet fixtures; run .ci/run or \
         `python3 -m venv .venv && .venv/bin/python -m pip install -r tests/requirements.txt`",
        py.display()
    );
    py
}

/// Generate a shipped scenario into `dir/out` (with extra arguments) and return that folder.
pub fn generate(dir: &Path, scenario: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join("out");
    let mut args: Vec<String> = [
        "generate",
        scenario,
        "--out",
        out.to_str().expect("utf-8"),
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = run_in(dir, &args, Duration::from_secs(300));
    assert_eq!(o.code, Some(0), "generate {scenario}: {}", o.stderr);
    out
}

/// The only data file below `export`.
pub fn only_data_file(export: &Path) -> PathBuf {
    let mut found = Vec::new();
    let mut stack = vec![export.join("data")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .expect("read_dir")
            .filter_map(Result::ok)
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                found.push(p);
            }
        }
    }
    found.sort();
    assert!(!found.is_empty(), "no data file in {}", export.display());
    found.swap_remove(0)
}
