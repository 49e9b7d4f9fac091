//! Helpers shared by the integration tests: run the real binary, read what it wrote.
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Run `curlab` with arguments.
pub fn curlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_curlab"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("curlab runs")
}

/// Generate a scenario into a fresh temporary folder; panics with stderr on failure.
pub fn generate(scenario: &str, extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_str().expect("utf-8 path");
    let mut args = vec!["generate", scenario, "--out", out, "--quiet"];
    args.extend_from_slice(extra);
    let o = curlab(&args);
    assert!(
        o.status.success(),
        "curlab generate {scenario} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    dir
}

/// Every file below `dir`, relative, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).expect("prefix").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// All record batches of a Parquet file.
pub fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let f = File::open(path).expect("open parquet");
    ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("parquet footer")
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

/// The data files of an export, sorted.
pub fn data_files(export: &Path) -> Vec<PathBuf> {
    files(export)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/data/") || p.starts_with("data"))
        .map(|p| export.join(p))
        .collect()
}

/// The truth file next to an export.
pub fn truth(out: &Path, export: &str) -> serde_json::Value {
    let s = std::fs::read_to_string(out.join(format!("{export}.truth.json"))).expect("truth file");
    serde_json::from_str(&s).expect("truth json")
}

/// The Python of the project's virtualenv (`.venv`; `CURLAB_PYTHON` overrides) with `modules`
/// importable (e.g. `"duckdb, pyarrow"`). Creates the virtualenv and installs
/// `tests/requirements.txt` when they do not import; fails, never skips, when that does not help.
pub fn python(modules: &str) -> PathBuf {
    if let Ok(p) = std::env::var("CURLAB_PYTHON") {
        return PathBuf::from(p);
    }
    // Tests of one binary run on several threads: one of them sets the virtualenv up. Module
    // sets that imported once are not checked again (each check starts a Python, under the lock).
    static SETUP: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut checked = SETUP.lock().unwrap_or_else(|p| p.into_inner());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join(".venv");
    let py = venv.join("bin/python");
    if checked.iter().any(|m| m == modules) {
        return py;
    }
    let ready = || {
        py.exists()
            && Command::new(&py)
                .args(["-c", &format!("import {modules}")])
                .status()
                .is_ok_and(|s| s.success())
    };
    if !ready() {
        if !py.exists() {
            let ok = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 runs (install Python 3)");
            assert!(ok.success(), "python3 -m venv .venv failed");
        }
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(root.join("tests/requirements.txt"))
            .status()
            .expect("pip runs");
        assert!(ok.success(), "pip install -r tests/requirements.txt failed");
        assert!(
            ready(),
            "`import {modules}` still fails in {} after installing tests/requirements.txt",
            py.display()
        );
    }
    checked.push(modules.to_string());
    py
}

/// The exports of a multi-payer output `<out>/<scenario>/cur2/<payer-id>/<export>/`, each with
/// its payer id and truth file (`<payer-id>/<export>.truth.json`), in payer order.
pub fn payer_exports(out: &Path, scenario: &str) -> Vec<(String, PathBuf, serde_json::Value)> {
    let root = out.join(scenario).join("cur2");
    let mut payers: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    payers.sort();
    payers
        .into_iter()
        .map(|p| {
            let id = p.file_name().expect("name").to_string_lossy().into_owned();
            let export = std::fs::read_dir(&p)
                .expect("payer folder")
                .map(|e| e.expect("entry").path())
                .find(|e| e.is_dir())
                .expect("an export folder");
            let name = export
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let t = truth(&p, &name);
            (id, export, t)
        })
        .collect()
}

/// What one `curlab generate` run left: its output folder, exit code and standard error.
pub struct Generated {
    /// `<scenario> <arguments>`, for messages.
    pub what: String,
    /// The `--out` folder (never written to after generation: tests only read it).
    pub out: PathBuf,
    /// The exit code (None: killed by a signal).
    pub code: Option<i32>,
    /// Standard error, for the failure message.
    pub stderr: String,
}

impl Generated {
    /// The output folder; panics with curlab's error if generation failed.
    pub fn path(&self) -> &Path {
        assert!(
            self.code == Some(0),
            "curlab generate {} failed ({:?}): {}",
            self.what,
            self.code,
            self.stderr
        );
        &self.out
    }
}

/// `curlab generate <scenario> --quiet <extra>` run once per test binary run and shared by every
/// test asking for the same arguments: the first caller generates, concurrent callers wait for
/// it. Tests only read the output. The folders are removed when the test binary exits.
///
/// Used where several test areas read the same export (the SQL engines and the fault matrix,
/// the digests, twins and readers of the shipped scenarios at seed 11), so a slow fixture is
/// generated once per run.
pub fn shared(scenario: &str, extra: &[&str]) -> &'static Generated {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Slot = &'static OnceLock<Generated>;
    static SLOTS: Mutex<Option<HashMap<String, Slot>>> = Mutex::new(None);
    static ROOT: OnceLock<PathBuf> = OnceLock::new();

    let key = std::iter::once(scenario)
        .chain(extra.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let slot: Slot = *SLOTS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .entry(key.clone())
        // Leaked on purpose: one small slot per distinct fixture, alive for the whole run.
        .or_insert_with(|| Box::leak(Box::new(OnceLock::new())));
    slot.get_or_init(|| {
        let root = ROOT.get_or_init(|| {
            let dir = tempfile::Builder::new()
                .prefix("curlab-it-shared-")
                .tempdir()
                .expect("tempdir")
                .keep();
            // Statics are never dropped: remove the folder when the test binary exits.
            extern "C" fn remove() {
                if let Some(root) = ROOT.get() {
                    let _ = std::fs::remove_dir_all(root);
                }
            }
            // SAFETY: registers a plain function with no arguments to run at exit.
            unsafe { libc::atexit(remove) };
            dir
        });
        let out = root.join(format!("f{}", fixture_number()));
        let o = out.to_str().expect("utf-8 path");
        let mut args = vec!["generate", scenario, "--out", o, "--quiet"];
        args.extend_from_slice(extra);
        let r = curlab(&args);
        Generated {
            what: key,
            out,
            code: r.status.code(),
            stderr: String::from_utf8_lossy(&r.stderr).into_owned(),
        }
    })
}

fn fixture_number() -> usize {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A shipped scenario generated at seed 11 in `format` ("parquet" or "csv"), once per run:
/// the digests pin these files, the twins and the readers' checks read the same ones.
pub fn shipped(name: &str, format: &str) -> &'static Path {
    shared(name, &["--seed", "11", "--format", format]).path()
}
