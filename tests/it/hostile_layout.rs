//! Hostile export folders: missing or malformed manifests, manifests listing files that do not
//! exist or lie outside the export (never read: a FIFO tripwire would hang the run if they
//! were), symlink loops, billing-period folders that contradict their rows, and paths and globs
//! that match nothing. Through the real binary, each with a time limit.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::hostile::{error, Case, Expect};

const EXPORT: &str = "blog-launch";
const PERIOD: &str = "BILLING_PERIOD=2026-04";

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir").filter_map(Result::ok) {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            fs::copy(&src, &dst).expect("copy");
        }
    }
}

fn manifest_path(export: &Path) -> PathBuf {
    export
        .join("metadata")
        .join(PERIOD)
        .join(format!("{EXPORT}-Manifest.json"))
}

fn data_dir(export: &Path) -> PathBuf {
    export.join("data").join(PERIOD)
}

fn edit_manifest(export: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let p = manifest_path(export);
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&p).expect("manifest")).expect("json");
    f(&mut v);
    fs::write(&p, serde_json::to_string_pretty(&v).expect("json")).expect("write");
}

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok, "mkfifo {}", p.display());
}

type Setup = Box<dyn Fn(&Path, &Path)>;

/// One case: id, setup (case folder, export folder), the PATH arguments (default: the export),
/// the expectation.
type LayoutCase = (&'static str, Setup, Option<Vec<String>>, Expect);

fn setup(f: impl Fn(&Path, &Path) + 'static) -> Setup {
    Box::new(f)
}

/// `(id, setup(case folder, export folder), extra args or None for `verify <export>`, expect)`.
fn cases() -> Vec<LayoutCase> {
    use Expect::*;
    let mp = format!("metadata/{PERIOD}/{EXPORT}-Manifest.json");
    let mut v: Vec<LayoutCase> = Vec::new();
    let mut add =
        |id: &'static str, s: Setup, args: Option<Vec<String>>, e: Expect| v.push((id, s, args, e));
    add("layout-reference", setup(|_, _| {}), None, SameAsReference);
    add(
        "layout-manifest-missing",
        setup(|_, e| fs::remove_file(manifest_path(e)).expect("rm")),
        None,
        Mentions(vec!["no Data Exports manifest", "no manifest"]),
    );
    add(
        "layout-metadata-folder-missing",
        setup(|_, e| fs::remove_dir_all(e.join("metadata")).expect("rm")),
        None,
        Mentions(vec!["no Data Exports manifest"]),
    );
    let m = mp.clone();
    add(
        "layout-manifest-empty",
        setup(|_, e| fs::write(manifest_path(e), "").expect("w")),
        None,
        error(&[&m, "manifest is not valid JSON", "line 1"]),
    );
    add(
        "layout-manifest-not-json",
        setup(|_, e| fs::write(manifest_path(e), "dataFiles: [a, b]\n").expect("w")),
        None,
        error(&[&mp, "manifest is not valid JSON", "line 1, column 1"]),
    );
    add(
        "layout-manifest-truncated",
        setup(|_, e| {
            let p = manifest_path(e);
            let s = fs::read(&p).expect("r");
            fs::write(&p, &s[..s.len() / 2]).expect("w");
        }),
        None,
        error(&[&mp, "manifest is not valid JSON", "line"]),
    );
    add(
        "layout-manifest-json-array",
        setup(|_, e| fs::write(manifest_path(e), "[]").expect("w")),
        None,
        error(&[
            &mp,
            "manifest is not a JSON object",
            "an array",
            "line 1, column 1",
        ]),
    );
    add(
        "layout-manifest-datafiles-not-a-list",
        setup(|_, e| edit_manifest(e, |v| v["dataFiles"] = 42.into())),
        None,
        error(&[&mp, "manifest is not valid JSON", "line"]),
    );
    add(
        "layout-manifest-columns-wrong-shape",
        setup(|_, e| edit_manifest(e, |v| v["columns"] = serde_json::json!([1, 2]))),
        None,
        error(&[&mp, "manifest is not valid JSON"]),
    );
    add(
        "layout-manifest-deeply-nested",
        setup(|_, e| {
            fs::write(
                manifest_path(e),
                format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)),
            )
            .expect("w")
        }),
        None,
        error(&[&mp, "manifest is not valid JSON", "recursion limit"]),
    );
    add(
        "layout-manifest-invalid-utf8",
        setup(|_, e| fs::write(manifest_path(e), b"{\"dataFiles\": [\"\xff\xfe\"]}").expect("w")),
        None,
        error(&[&mp, "cannot read manifest"]),
    );
    add(
        "layout-manifest-nul-bytes",
        setup(|_, e| fs::write(manifest_path(e), b"{\"dataFiles\": []}\0\0\0").expect("w")),
        None,
        error(&[&mp, "manifest is not valid JSON"]),
    );
    add(
        "layout-manifest-lists-missing-file",
        setup(|_, e| {
            edit_manifest(e, |v| {
                let a = v["dataFiles"].as_array_mut().expect("list");
                a.push(
                    format!("s3://bucket/{EXPORT}/data/{PERIOD}/{EXPORT}-00002.snappy.parquet")
                        .into(),
                );
            })
        }),
        None,
        Findings(vec!["SC005"]),
    );
    add(
        "layout-manifest-lists-nothing",
        setup(|_, e| edit_manifest(e, |v| v["dataFiles"] = serde_json::json!([]))),
        None,
        Findings(vec!["SC005"]),
    );
    add(
        "layout-manifest-lists-a-directory",
        setup(|_, e| {
            edit_manifest(e, |v| {
                v["dataFiles"]
                    .as_array_mut()
                    .expect("list")
                    .push(format!("s3://bucket/{EXPORT}/data/{PERIOD}").into());
            })
        }),
        None,
        Findings(vec!["SC005"]),
    );
    // Paths outside the export folder: a FIFO waits there; opening it would block forever.
    for (id, uri) in [
        ("layout-manifest-lists-dotdot-path", "../secret.snappy.parquet"),
        ("layout-manifest-lists-dotdot-in-s3-uri", "s3://bucket/blog-launch/data/BILLING_PERIOD=2026-04/../../../secret.snappy.parquet"),
        ("layout-manifest-lists-dotdot-after-data", "data/BILLING_PERIOD=2026-04/../../../secret.snappy.parquet"),
        ("layout-manifest-lists-absolute-path", "{abs}"),
        ("layout-manifest-lists-file-uri", "file://{abs}"),
        ("layout-manifest-lists-backslash-dotdot", "data\\..\\..\\secret.snappy.parquet"),
        ("layout-manifest-lists-encoded-dotdot", "s3://bucket/blog-launch/data/BILLING_PERIOD=2026-04/%2e%2e/%2e%2e/%2e%2e/secret.snappy.parquet"),
    ] {
        add(id, setup(move |c, e| {
            let secret = c.join("secret.snappy.parquet");
            mkfifo(&secret);
            let uri = uri.replace("{abs}", &secret.to_string_lossy());
            edit_manifest(e, |v| v["dataFiles"].as_array_mut().expect("list").push(uri.into()));
        }), None, Findings(vec!["SC005"]));
    }
    add(
        "layout-manifest-outside-paths-explained",
        setup(|c, e| {
            let secret = c.join("secret.snappy.parquet");
            mkfifo(&secret);
            edit_manifest(e, |v| {
                v["dataFiles"]
                    .as_array_mut()
                    .expect("list")
                    .push(secret.to_string_lossy().into_owned().into())
            });
        }),
        None,
        Mentions(vec!["outside the export folder; not read"]),
    );
    // Symlink loops and cycles.
    add(
        "layout-data-file-symlink-loop",
        setup(|_, e| {
            symlink(
                "loop.snappy.parquet",
                data_dir(e).join("loop.snappy.parquet"),
            )
            .expect("ln")
        }),
        None,
        error(&["loop.snappy.parquet", "symbolic link"]),
    );
    add(
        "layout-data-file-symlink-ping-pong",
        setup(|_, e| {
            symlink("b.csv.gz", data_dir(e).join("a.csv.gz")).expect("ln");
            symlink("a.csv.gz", data_dir(e).join("b.csv.gz")).expect("ln");
        }),
        None,
        error(&["a.csv.gz", "symbolic link"]),
    );
    add(
        "layout-data-file-dangling-symlink",
        setup(|_, e| {
            symlink(
                "gone.snappy.parquet",
                data_dir(e).join("x-00009.snappy.parquet"),
            )
            .expect("ln")
        }),
        None,
        error(&["x-00009.snappy.parquet", "symbolic link"]),
    );
    add(
        "layout-period-folder-symlink-loop",
        setup(|_, e| {
            symlink(
                "BILLING_PERIOD=2026-05",
                e.join("data/BILLING_PERIOD=2026-05"),
            )
            .expect("ln")
        }),
        None,
        error(&["BILLING_PERIOD=2026-05", "symbolic link"]),
    );
    add(
        "layout-execution-folder-symlink-loop",
        setup(|_, e| symlink("exec", data_dir(e).join("exec")).expect("ln")),
        None,
        error(&["exec", "symbolic link"]),
    );
    add(
        "layout-execution-folder-cycle-to-parent",
        setup(|_, e| symlink("..", data_dir(e).join("exec")).expect("ln")),
        None,
        SameAsReference,
    );
    add(
        "layout-data-folder-cycle-to-root",
        setup(|_, e| {
            symlink("../..", data_dir(e).join("up")).expect("ln");
            symlink(".", e.join("data/self")).expect("ln");
        }),
        None,
        SameAsReference,
    );
    add(
        "layout-metadata-symlink-loop",
        setup(|_, e| symlink("m", e.join("metadata").join(PERIOD).join("m")).expect("ln")),
        None,
        error(&["symbolic link"]),
    );
    add(
        "layout-glob-over-symlink-cycles",
        setup(|c, _| {
            let d = c.join("g");
            fs::create_dir_all(&d).expect("mkdir");
            for n in ["a", "b", "c", "d"] {
                symlink(".", d.join(n)).expect("ln");
            }
            fs::write(d.join("x.csv"), "a,b\n1,2\n").expect("w");
        }),
        Some(vec!["g/**/*.csv".into()]),
        error(&["g/**/*.csv", "symbolic link"]),
    );
    // FIFOs and other non-files where data files are expected are not read.
    add(
        "layout-fifo-named-like-a-data-file",
        setup(|_, e| mkfifo(&data_dir(e).join("fifo-00002.snappy.parquet"))),
        None,
        error(&["fifo-00002.snappy.parquet", "not a regular file"]),
    );
    add(
        "layout-directory-named-like-a-data-file",
        setup(|_, e| {
            fs::create_dir_all(data_dir(e).join("x-00002.snappy.parquet")).expect("mkdir")
        }),
        None,
        SameAsReference,
    );
    add(
        "layout-extra-non-data-files",
        setup(|_, e| {
            for n in ["README.txt", ".DS_Store", "_SUCCESS", "x.parquet.crc"] {
                fs::write(data_dir(e).join(n), "junk").expect("w");
            }
        }),
        None,
        SameAsReference,
    );
    add(
        "layout-empty-data-file-beside",
        setup(|_, e| {
            fs::write(data_dir(e).join("blog-launch-00002.snappy.parquet"), "").expect("w")
        }),
        None,
        error(&["blog-launch-00002.snappy.parquet", "the file is empty"]),
    );
    add(
        "layout-unlisted-copy-of-data-file",
        setup(|_, e| {
            let d = data_dir(e);
            fs::copy(
                d.join("blog-launch-00001.snappy.parquet"),
                d.join("blog-launch-00002.snappy.parquet"),
            )
            .expect("cp");
        }),
        None,
        Findings(vec!["SC005", "CT004"]),
    );
    // Billing-period folders.
    add(
        "layout-period-folder-contradicts-rows",
        setup(|_, e| {
            fs::rename(
                e.join("data").join(PERIOD),
                e.join("data/BILLING_PERIOD=2026-05"),
            )
            .expect("mv");
            fs::rename(
                e.join("metadata").join(PERIOD),
                e.join("metadata/BILLING_PERIOD=2026-05"),
            )
            .expect("mv");
        }),
        None,
        Findings(vec!["SC007"]),
    );
    add(
        "layout-period-folder-not-a-month",
        setup(|_, e| {
            fs::rename(
                e.join("data").join(PERIOD),
                e.join("data/BILLING_PERIOD=2026-13"),
            )
            .expect("mv")
        }),
        None,
        error(&["BILLING_PERIOD=2026-13", "not a billing period"]),
    );
    add(
        "layout-period-folder-free-text",
        setup(|_, e| {
            fs::rename(
                e.join("data").join(PERIOD),
                e.join("data/BILLING_PERIOD=april"),
            )
            .expect("mv")
        }),
        None,
        error(&["BILLING_PERIOD=april", "not a billing period"]),
    );
    add(
        "layout-data-folder-empty",
        setup(|_, e| {
            fs::remove_dir_all(e.join("data")).expect("rm");
            fs::create_dir_all(e.join("data")).expect("mkdir");
        }),
        None,
        error(&["no data files found"]),
    );
    add(
        "layout-period-folder-empty",
        setup(|_, e| {
            let d = data_dir(e);
            fs::remove_dir_all(&d).expect("rm");
            fs::create_dir_all(&d).expect("mkdir");
        }),
        None,
        error(&["no data files found"]),
    );
    add(
        "layout-superseded-execution-folder",
        setup(|_, e| {
            let d = data_dir(e);
            let old = d.join("2026-04-01T00:00:00.000Z-old");
            fs::create_dir_all(&old).expect("mkdir");
            fs::copy(
                d.join("blog-launch-00001.snappy.parquet"),
                old.join("blog-launch-00001.snappy.parquet"),
            )
            .expect("cp");
        }),
        None,
        Mentions(vec!["superseded execution folder, not read"]),
    );
    // Command-line paths.
    add(
        "layout-path-does-not-exist",
        setup(|_, _| {}),
        Some(vec!["nope/nothing".into()]),
        error(&["nope/nothing", "no such file or folder"]),
    );
    add(
        "layout-glob-matches-nothing",
        setup(|_, _| {}),
        Some(vec!["nothing-*.parquet".into()]),
        error(&["nothing-*.parquet", "matches no file"]),
    );
    add(
        "layout-glob-invalid-pattern",
        setup(|_, _| {}),
        Some(vec!["bad[glob*".into()]),
        error(&["bad[glob*", "not a valid glob"]),
    );
    add(
        "layout-period-flag-malformed",
        setup(|_, _| {}),
        Some(vec![EXPORT.into(), "--period".into(), "2026-4".into()]),
        error(&["--period `2026-4`", "YYYY-MM"]),
    );
    add(
        "layout-period-flag-matches-nothing",
        setup(|_, _| {}),
        Some(vec![EXPORT.into(), "--period".into(), "2027-01".into()]),
        error(&["no data files found for billing period 2027-01"]),
    );
    add(
        "layout-folder-of-two-exports",
        setup(|c, e| copy_dir(e, &c.join("two/b/blog-launch"))),
        Some(vec![".".into()]),
        ErrorOrReport(String::new()),
    );
    v
}

#[test]
fn hostile_export_folders_are_refused_or_judged_and_outside_paths_never_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::hostile::generate(dir.path(), EXPORT, &[]);
    let pristine = out.join(EXPORT);
    let base = crate::hostile::run_in(
        &out,
        &[
            "verify".into(),
            EXPORT.into(),
            "--format".into(),
            "json".into(),
        ],
        Duration::from_secs(120),
    );
    assert_eq!(base.code, Some(0), "reference: {}", base.stdout);
    let reference = crate::hostile::findings(&serde_json::from_str(&base.stdout).expect("JSON"));
    let mut failures = Vec::new();
    let mut ids = Vec::new();
    for (id, setup, args, expect) in cases() {
        let case_dir = dir.path().join("cases").join(id);
        let export = case_dir.join(EXPORT);
        copy_dir(&pristine, &export);
        setup(&case_dir, &export);
        let mut a: Vec<String> = vec!["verify".into()];
        a.extend(args.unwrap_or_else(|| vec![EXPORT.into()]));
        a.extend(["--format".into(), "json".into()]);
        let expect = match expect {
            Expect::ErrorOrReport(_) => Expect::ErrorOrReport(a[1].clone()),
            e => e,
        };
        let c = Case {
            id: id.to_string(),
            args: a,
            expect,
        };
        // 60 s: far above a normal run; a FIFO opened by mistake blocks forever.
        let o = crate::hostile::run_in(&case_dir, &c.args, Duration::from_secs(60));
        if let Some(f) = crate::hostile::judge(&c, &o, Some(&reference)) {
            failures.push(f);
        }
        ids.push(id);
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    crate::hostile::documented(&ids);
}
