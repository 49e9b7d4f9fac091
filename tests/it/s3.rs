//! Exports in S3: `generate --out s3://…`, `verify s3://…` and `report s3://…` against a local
//! S3-compatible server (moto, from the virtualenv `.venv`, tests/requirements.txt).
//!
//! `.ci/run` starts one moto server and sets CURLAB_TEST_S3_ENDPOINT; without it this test
//! starts its own from `.venv` (installing tests/requirements.txt there when moto is missing)
//! and stops it when the test process ends. The server checks request signatures, so wrong
//! keys are rejected as on AWS. Each run writes under its own prefix.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

use crate::common::{curlab, generate};
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Buckets the setup creates.
const BUCKET: &str = "curlab-test";
const DENY_MANIFEST: &str = "curlab-deny-manifest";
const DENY_DATA: &str = "curlab-deny-data";

struct Server {
    endpoint: String,
    key_id: String,
    secret: String,
    /// Our own moto, stopped when its standard input closes (this process exits).
    _child: Option<Child>,
    /// A prefix no earlier run used.
    run: String,
}

/// The virtualenv's Python with moto's server (or set CURLAB_TEST_S3_ENDPOINT to a running
/// S3-compatible server instead).
fn python() -> PathBuf {
    crate::common::python("moto.server, boto3")
}

fn helper(args: &[&str], keys: Option<(&str, &str)>) -> Output {
    let mut c = Command::new(python());
    c.arg(Path::new(ROOT).join("tests/s3_moto.py")).args(args);
    if let Some((id, secret)) = keys {
        c.env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret);
    }
    let o = c.output().expect("python runs");
    assert!(
        o.status.success(),
        "tests/s3_moto.py {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        let (endpoint, child) = match std::env::var("CURLAB_TEST_S3_ENDPOINT") {
            Ok(e) if !e.is_empty() => (e, None),
            _ => {
                let mut child = Command::new(python())
                    .arg(Path::new(ROOT).join("tests/s3_moto.py"))
                    .arg("serve")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .expect("starting tests/s3_moto.py serve");
                let mut line = String::new();
                BufReader::new(child.stdout.take().expect("stdout"))
                    .read_line(&mut line)
                    .expect("reading the moto endpoint");
                assert!(
                    line.starts_with("http://127.0.0.1:"),
                    "moto did not start (printed {line:?}); run `.venv/bin/python tests/s3_moto.py serve` to see why"
                );
                (line.trim().to_string(), Some(child))
            }
        };
        let o = helper(
            &["setup", &endpoint, BUCKET, DENY_MANIFEST, DENY_DATA],
            None,
        );
        let keys: Value = serde_json::from_slice(&o.stdout).expect("setup prints keys");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos();
        Server {
            endpoint,
            key_id: keys["access_key_id"].as_str().expect("id").to_string(),
            secret: keys["secret_access_key"].as_str().expect("secret").to_string(),
            _child: child,
            run: format!("run-{}-{nanos}", std::process::id()),
        }
    })
}

/// A fresh prefix for one test.
fn prefix(test: &str) -> String {
    format!("{}/{test}", server().run)
}

/// `curlab` with the test server's keys and endpoint, and no AWS settings of the machine.
fn s3_cmd(args: &[&str]) -> Command {
    let s = server();
    let mut c = Command::new(env!("CARGO_BIN_EXE_curlab"));
    c.args(args)
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", &s.key_id)
        .env("AWS_SECRET_ACCESS_KEY", &s.secret)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &s.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .env("AWS_CONFIG_FILE", "/nonexistent/config");
    for v in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_S3",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        c.env_remove(v);
    }
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("curlab runs")
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({:?}): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Objects under a prefix: key → (size, etag).
fn list(bucket: &str, prefix: &str) -> Vec<(String, u64, String)> {
    let s = server();
    let o = helper(
        &["ls", &s.endpoint, bucket, prefix],
        Some((&s.key_id, &s.secret)),
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("ls json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|o| {
            (
                o["key"].as_str().expect("key").to_string(),
                o["size"].as_u64().expect("size"),
                o["etag"].as_str().expect("etag").to_string(),
            )
        })
        .collect()
}

fn md5_hex(path: &Path) -> String {
    let o = Command::new(python())
        .args([
            "-c",
            "import hashlib,sys;print(hashlib.md5(open(sys.argv[1],'rb').read()).hexdigest())",
        ])
        .arg(path)
        .output()
        .expect("python runs");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// `verify --format json` output with every path written relative to the export: local
/// displays are already relative; S3 ones lose their `s3://…/<export>/` prefix.
fn verify_json(o: &Output, strip: &str) -> Value {
    let text = String::from_utf8_lossy(&o.stdout).replace(strip, "");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("verify json: {e}: {text}"))
}

/// Generate locally and to S3, verify and report both, and compare.
fn round_trip(test: &str, scenario: &str, extra: &[&str], export: &str, period: Option<&str>) {
    let local = generate(scenario, extra);
    let out_uri = format!("s3://{BUCKET}/{}", prefix(test));
    let mut args = vec!["generate", scenario, "--out", &out_uri, "--quiet"];
    args.extend_from_slice(extra);
    ok(&run(&mut s3_cmd(&args)), "generate to S3");

    // The uploaded objects are the local files: same names, same bytes (the manifest differs
    // only in the s3:// URIs it lists, which name where the files really are).
    let objects = list(BUCKET, &format!("{}/", prefix(test)));
    let keys: Vec<String> = objects
        .iter()
        .map(|(k, _, _)| k[prefix(test).len() + 1..].to_string())
        .collect();
    let mut local_names: Vec<String> = crate::common::files(local.path())
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    local_names.sort();
    assert_eq!(keys, local_names, "the same objects as local files");
    for ((key, size, etag), rel) in objects.iter().zip(&local_names) {
        let path = local.path().join(rel);
        if key.ends_with("Manifest.json") {
            let m: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("manifest"))
                .expect("json");
            let remote_files = m["dataFiles"].as_array().expect("dataFiles").len();
            assert!(remote_files >= 1);
            continue;
        }
        assert_eq!(
            *size,
            std::fs::metadata(&path).expect("size").len(),
            "{key}: size"
        );
        if !etag.contains('-') {
            assert_eq!(
                *etag,
                md5_hex(&path),
                "{key}: bytes differ from the local file"
            );
        }
    }

    // verify: the same findings, rows and files.
    let local_export = local.path().join(export);
    let local_truth = local.path().join(format!("{export}.truth.json"));
    let lv = curlab(&[
        "verify",
        local_export.to_str().expect("utf-8"),
        "--truth",
        local_truth.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    let export_uri = format!("{out_uri}/{export}");
    let truth_uri = format!("{out_uri}/{export}.truth.json");
    let sv = run(&mut s3_cmd(&[
        "verify",
        &format!("{export_uri}/"),
        "--truth",
        &truth_uri,
        "--format",
        "json",
    ]));
    assert_eq!(
        lv.status.code(),
        sv.status.code(),
        "same exit code; S3 stderr: {}",
        stderr(&sv)
    );
    let sj = verify_json(&sv, &format!("{export_uri}/"));
    let lj = verify_json(&lv, "NO-PREFIX");
    assert_eq!(sj, lj, "S3 and local verify differ");
    // Displays name the objects, not the local copies.
    let raw = String::from_utf8_lossy(&sv.stdout);
    assert!(
        raw.contains(&format!("{export_uri}/data/BILLING_PERIOD=")),
        "{raw}"
    );
    assert!(
        !raw.contains(".curlab-s3-"),
        "a temporary path leaked: {raw}"
    );

    // One billing period, and one the export does not have.
    if let Some(period) = period {
        let lv = curlab(&[
            "verify",
            local_export.to_str().expect("utf-8"),
            "--period",
            period,
            "--format",
            "json",
        ]);
        let sv = run(&mut s3_cmd(&[
            "verify",
            &export_uri,
            "--period",
            period,
            "--format",
            "json",
        ]));
        assert_eq!(lv.status.code(), sv.status.code(), "{}", stderr(&sv));
        let sj = verify_json(&sv, &format!("{export_uri}/"));
        assert_eq!(sj, verify_json(&lv, "NO-PREFIX"), "--period {period}");
        let files = sj["summary"]["files"].as_array().expect("files");
        assert!(!files.is_empty());
        assert!(files.iter().all(|f| f
            .as_str()
            .is_some_and(|f| f.contains(&format!("BILLING_PERIOD={period}/")))));
        let o = run(&mut s3_cmd(&["verify", &export_uri, "--period", "2020-01"]));
        assert_eq!(o.status.code(), Some(2));
        let e = stderr(&o);
        assert!(e.contains(&export_uri), "{e}");
        assert!(
            e.contains("no data files found for billing period 2020-01"),
            "{e}"
        );
    }

    // report: the same totals and groups.
    let lr = curlab(&[
        "report",
        local_export.to_str().expect("utf-8"),
        "--group-by",
        "tag:team",
        "--format",
        "json",
        "--quiet",
    ]);
    ok(&lr, "local report");
    let sr = run(&mut s3_cmd(&[
        "report",
        &export_uri,
        "--group-by",
        "tag:team",
        "--format",
        "json",
        "--quiet",
    ]));
    ok(&sr, "S3 report");
    let lrj: Value = serde_json::from_slice(&lr.stdout).expect("json");
    let srj: Value = serde_json::from_str(
        &String::from_utf8_lossy(&sr.stdout).replace(&format!("{export_uri}/"), ""),
    )
    .expect("json");
    assert_eq!(srj["total_usd"], lrj["total_usd"]);
    assert!(lrj["rows"].as_u64().expect("rows") > 0);
    assert_eq!(srj, lrj, "S3 and local report differ");
}

#[test]
fn parquet_round_trip_matches_local() {
    round_trip(
        "parquet",
        "s1-iam-users",
        &["--format", "parquet"],
        "s1-iam-users",
        None,
    );
}

#[test]
fn csv_round_trip_matches_local() {
    // Two billing periods: also read one of them alone.
    round_trip(
        "csv",
        "s2-app-roles",
        &["--format", "csv"],
        "s2-app-roles",
        Some("2026-06"),
    );
}

#[test]
fn faulty_round_trip_matches_local() {
    round_trip(
        "faulty",
        "s1-iam-users",
        &[
            "--inject",
            "malformed-arn",
            "--inject",
            "cost-mismatch=0.05",
            "--inject",
            "manifest-mismatch",
            "--max-rows-per-file",
            "5000",
        ],
        "s1-iam-users",
        None,
    );
}

/// create-new delivery: execution folders, and a superseded one beside the current one is noted
/// (not downloaded) exactly as locally.
#[test]
fn create_new_delivery_and_superseded_folders_match_local() {
    let src = include_str!("../../scenarios/blog-launch.toml").replace(
        "time_granularity = \"HOURLY\"",
        "time_granularity = \"DAILY\"\ndelivery = \"create-new\"",
    );
    let dir = tempfile::tempdir().expect("tmp");
    let scenario = dir.path().join("cn.toml");
    std::fs::write(&scenario, src).expect("write");
    let scenario = scenario.to_str().expect("utf-8");
    let local = generate(scenario, &[]);
    let out_uri = format!("s3://{BUCKET}/{}", prefix("create-new"));
    ok(
        &run(&mut s3_cmd(&[
            "generate", scenario, "--out", &out_uri, "--quiet",
        ])),
        "generate",
    );
    // An older delivery of the same period, in an earlier execution folder, on both sides.
    let data = crate::common::data_files(&local.path().join("blog-launch"));
    assert_eq!(data.len(), 1);
    let exec = data[0].parent().expect("exec folder");
    let old_exec =
        exec.with_file_name("2026-04-01T00:00:00.000Z-00000000-0000-4000-8000-000000000000");
    std::fs::create_dir_all(&old_exec).expect("mkdir");
    let name = data[0].file_name().expect("name");
    std::fs::copy(&data[0], old_exec.join(name)).expect("copy");
    let rel = |p: &Path| {
        p.strip_prefix(local.path())
            .expect("under out")
            .to_string_lossy()
            .into_owned()
    };
    let s = server();
    helper(
        &[
            "cp",
            &s.endpoint,
            BUCKET,
            &format!("{}/{}", prefix("create-new"), rel(&data[0])),
            &format!("{}/{}", prefix("create-new"), rel(&old_exec.join(name))),
        ],
        Some((&s.key_id, &s.secret)),
    );
    let lv = curlab(&[
        "verify",
        local.path().join("blog-launch").to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    let export_uri = format!("{out_uri}/blog-launch");
    let sv = run(&mut s3_cmd(&["verify", &export_uri, "--format", "json"]));
    assert_eq!(lv.status.code(), sv.status.code(), "{}", stderr(&sv));
    let lj = verify_json(&lv, "NO-PREFIX");
    assert_eq!(
        lj["summary"]["notes"].as_array().expect("notes").len(),
        1,
        "the local run notes the superseded folder: {lj}"
    );
    assert_eq!(verify_json(&sv, &format!("{export_uri}/")), lj);
}

#[test]
fn errors_name_the_uri() {
    // A bucket that does not exist.
    let o = run(&mut s3_cmd(&["verify", "s3://curlab-no-such-bucket/x/"]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("s3://curlab-no-such-bucket/x/"), "{e}");
    assert!(e.contains("does not exist"), "{e}");
    let o = run(&mut s3_cmd(&[
        "generate",
        "blog-launch",
        "--out",
        "s3://curlab-no-such-bucket/out",
        "--quiet",
    ]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("s3://curlab-no-such-bucket/out/blog-launch/"),
        "{e}"
    );
    assert!(e.contains("does not exist"), "{e}");

    // Keys the server does not accept.
    let o = run(s3_cmd(&["verify", &format!("s3://{BUCKET}/x/")])
        .env("AWS_SECRET_ACCESS_KEY", "wrong-secret"));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains(&format!("s3://{BUCKET}/x/")), "{e}");
    assert!(e.contains("credentials were rejected"), "{e}");
    let o = run(s3_cmd(&["report", &format!("s3://{BUCKET}/x/")])
        .env("AWS_ACCESS_KEY_ID", "AKIANOSUCHKEY0000000"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("credentials were rejected"),
        "{}",
        stderr(&o)
    );

    // An empty prefix.
    let empty = format!("s3://{BUCKET}/{}/", prefix("nothing-here"));
    let o = run(&mut s3_cmd(&["verify", &empty]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains(&empty), "{e}");
    assert!(e.contains("no objects under this prefix"), "{e}");

    // A prefix with objects but no export: the reader's message, naming the URI; and a single
    // object that is not a data file.
    let p = prefix("not-an-export");
    let out_uri = format!("s3://{BUCKET}/{p}");
    ok(
        &run(&mut s3_cmd(&[
            "generate",
            "blog-launch",
            "--out",
            &out_uri,
            "--quiet",
        ])),
        "generate",
    );
    let s = server();
    helper(
        &[
            "cp",
            &s.endpoint,
            BUCKET,
            &format!("{p}/blog-launch.truth.json"),
            &format!("{p}/other/readme.json"),
        ],
        Some((&s.key_id, &s.secret)),
    );
    let other = format!("{out_uri}/other/");
    let o = run(&mut s3_cmd(&["verify", &other]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains(&format!("{out_uri}/other")), "{e}");
    assert!(e.contains("is neither a Data Exports folder"), "{e}");
    assert!(!e.contains(".curlab-s3-"), "a temporary path leaked: {e}");
    // A file that is not a data file at all is named as such (SC008), by its URI.
    let truth = format!("{out_uri}/blog-launch.truth.json");
    let o = run(&mut s3_cmd(&["verify", &truth]));
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("error[SC008]") && out.contains("not a CUR export"),
        "{out}"
    );
    assert!(out.contains(&truth), "{out}");
    assert!(
        !out.contains(".curlab-s3-"),
        "a temporary path leaked: {out}"
    );
    // The metadata folder reads the whole export, as locally.
    let o = run(&mut s3_cmd(&[
        "verify",
        &format!("{out_uri}/blog-launch/metadata"),
    ]));
    ok(&o, "verify the metadata folder");

    // Not an S3 URI at all.
    let o = run(&mut s3_cmd(&["verify", "s3://Not_A_Bucket/x"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not an S3 bucket name"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn generate_refuses_to_overwrite_and_force_replaces() {
    let p = prefix("force");
    let out_uri = format!("s3://{BUCKET}/{p}");
    // Three data files first...
    ok(
        &run(&mut s3_cmd(&[
            "generate",
            "blog-launch",
            "--out",
            &out_uri,
            "--quiet",
            "--max-rows-per-file",
            "10",
        ])),
        "first generate",
    );
    let before = list(BUCKET, &format!("{p}/"));
    let data_before = before
        .iter()
        .filter(|(k, _, _)| k.contains("/data/"))
        .count();
    assert!(data_before > 1, "{before:?}");
    // ...a second run without --force is refused and changes nothing...
    let o = run(&mut s3_cmd(&[
        "generate",
        "blog-launch",
        "--out",
        &out_uri,
        "--quiet",
    ]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("{out_uri}/blog-launch/ already exists")),
        "{e}"
    );
    assert!(e.contains("--force"), "{e}");
    assert_eq!(list(BUCKET, &format!("{p}/")), before);
    // ...and --force replaces the export: one data file, the old extra files gone.
    ok(
        &run(&mut s3_cmd(&[
            "generate",
            "blog-launch",
            "--out",
            &out_uri,
            "--quiet",
            "--force",
        ])),
        "generate --force",
    );
    let after = list(BUCKET, &format!("{p}/"));
    let data_after: Vec<&String> = after
        .iter()
        .map(|(k, _, _)| k)
        .filter(|k| k.contains("/data/"))
        .collect();
    assert_eq!(data_after.len(), 1, "{after:?}");
    let o = run(&mut s3_cmd(&["verify", &format!("{out_uri}/blog-launch")]));
    ok(&o, "verify after --force");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("SC00"), "no manifest findings: {text}");
}

#[test]
fn failed_upload_leaves_no_manifest_and_says_so() {
    // The manifest is the last object: when it cannot be written the data files were already
    // uploaded (and are taken away again, as nothing was there before).
    let p = prefix("deny-manifest");
    let out_uri = format!("s3://{DENY_MANIFEST}/{p}");
    let o = run(&mut s3_cmd(&[
        "generate",
        "blog-launch",
        "--out",
        &out_uri,
        "--quiet",
    ]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("s3://{DENY_MANIFEST}/{p}/blog-launch/metadata/")),
        "{e}"
    );
    assert!(e.contains("(a manifest)"), "{e}");
    assert!(
        e.contains("2 of 3 objects were uploaded"),
        "data and truth went first: {e}"
    );
    assert!(e.contains("deleted again"), "{e}");
    assert_eq!(
        list(DENY_MANIFEST, &format!("{p}/")),
        vec![],
        "nothing left behind"
    );

    // Data files go first: when they fail, nothing else was attempted.
    let p = prefix("deny-data");
    let out_uri = format!("s3://{DENY_DATA}/{p}");
    let o = run(&mut s3_cmd(&[
        "generate",
        "blog-launch",
        "--out",
        &out_uri,
        "--quiet",
    ]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("(a data file)"), "{e}");
    assert!(e.contains("0 of 3 objects were uploaded"), "{e}");
    assert!(
        e.contains("AccessDenied") || e.contains("access denied") || e.contains("Forbidden"),
        "{e}"
    );
    assert_eq!(list(DENY_DATA, &format!("{p}/")), vec![]);
}

#[test]
fn credentials_from_a_profile_file() {
    let s = server();
    let out_uri = format!("s3://{BUCKET}/{}", prefix("profile"));
    ok(
        &run(&mut s3_cmd(&[
            "generate",
            "blog-launch",
            "--out",
            &out_uri,
            "--quiet",
        ])),
        "generate",
    );
    let dir = tempfile::tempdir().expect("tmp");
    let creds = dir.path().join("credentials");
    let config = dir.path().join("config");
    std::fs::write(
        &creds,
        format!(
            "[default]\naws_access_key_id = AKIAWRONGDEFAULT0000\naws_secret_access_key = nope\n\n[lab]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            s.key_id, s.secret
        ),
    )
    .expect("write");
    std::fs::write(
        &config,
        format!(
            "[profile lab]\nregion = us-east-1\nendpoint_url = {}\n[profile sso]\nsso_session = corp\n",
            s.endpoint
        ),
    )
    .expect("write");
    let profile_cmd = |profile: &str| {
        let mut c = s3_cmd(&[
            "verify",
            &format!("{out_uri}/blog-launch"),
            "--format",
            "json",
        ]);
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_REGION")
            .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_PROFILE", profile);
        c
    };
    // Keys, region and endpoint all from profile `lab`.
    let o = run(&mut profile_cmd("lab"));
    ok(&o, "verify with AWS_PROFILE=lab");
    let j: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(j["summary"]["rows_scanned"].as_u64().expect("rows") > 0);
    // An unknown profile, and one that needs SSO, are clear errors.
    let o = run(&mut profile_cmd("nope"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("AWS_PROFILE=nope: no such profile"),
        "{}",
        stderr(&o)
    );
    let o = run(&mut profile_cmd("sso"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("aws configure export-credentials"),
        "{}",
        stderr(&o)
    );
    // Environment keys win over the profile's.
    let o = run(profile_cmd("lab")
        .env("AWS_ACCESS_KEY_ID", "AKIANOSUCHKEY0000000")
        .env("AWS_SECRET_ACCESS_KEY", "wrong"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("credentials were rejected"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn endpoint_flag_and_large_files_in_parts() {
    // --endpoint-url instead of AWS_ENDPOINT_URL; a data file above the 8 MiB single-PUT size
    // goes up in parts and comes back byte-identical.
    let s = server();
    let p = prefix("multipart");
    let out_uri = format!("s3://{BUCKET}/{p}");
    let args = [
        "generate",
        "s4-gateway-per-user",
        "--out",
        &out_uri,
        "--quiet",
        "--compression",
        "none",
        "--scale",
        "2",
        "--endpoint-url",
        &s.endpoint,
    ];
    let o = run(s3_cmd(&args).env_remove("AWS_ENDPOINT_URL"));
    ok(&o, "generate with --endpoint-url");
    let objects = list(BUCKET, &format!("{p}/"));
    let (key, size, etag) = objects
        .iter()
        .find(|(k, _, _)| k.ends_with(".parquet"))
        .expect("a data file");
    assert!(
        *size > 8 << 20,
        "{key} has {size} bytes; the test needs a file above 8 MiB to exercise multipart uploads"
    );
    assert!(
        etag.contains('-'),
        "{key} was uploaded in parts (etag {etag})"
    );
    let local = generate(
        "s4-gateway-per-user",
        &["--compression", "none", "--scale", "2"],
    );
    let rel = &key[p.len() + 1..];
    assert_eq!(
        *size,
        std::fs::metadata(local.path().join(rel))
            .expect("local file")
            .len()
    );
    let lv = curlab(&[
        "verify",
        local
            .path()
            .join("s4-gateway-per-user")
            .to_str()
            .expect("utf-8"),
        "--format",
        "json",
    ]);
    let export_uri = format!("{out_uri}/s4-gateway-per-user");
    let sv = run(s3_cmd(&[
        "verify",
        &export_uri,
        "--format",
        "json",
        "--endpoint-url",
        &s.endpoint,
    ])
    .env_remove("AWS_ENDPOINT_URL"));
    assert_eq!(lv.status.code(), sv.status.code(), "{}", stderr(&sv));
    assert_eq!(
        verify_json(&sv, &format!("{export_uri}/")),
        verify_json(&lv, "NO-PREFIX"),
        "the downloaded multipart object reads as the local file"
    );
}

#[test]
fn two_payers_upload_one_export_each_and_verify_from_the_bucket() {
    let test = "two-payers";
    let out_uri = format!("s3://{BUCKET}/{}", prefix(test));
    let o = run(&mut s3_cmd(&["generate", "full-bill", "--out", &out_uri]));
    ok(&o, "generate full-bill to S3");
    let err = stderr(&o);
    // Create-new delivery: the first payer's May is restated, so it has three data files (May
    // twice, June once).
    for (payer, files) in [("210987654321", 3), ("456789012345", 2)] {
        assert!(
            err.contains(&format!("of payer {payer} ({files} files, "))
                && err.contains(&format!("to {out_uri}/full-bill/cur2/{payer}")),
            "{err}"
        );
    }
    let keys: Vec<String> = list(BUCKET, &format!("{}/", prefix(test)))
        .into_iter()
        .map(|(k, _, _)| k)
        .collect();
    for payer in ["210987654321", "456789012345"] {
        let base = format!("{}/full-bill/cur2/{payer}", prefix(test));
        assert!(
            keys.contains(&format!("{base}/full-bill.truth.json")),
            "{keys:?}"
        );
        let manifest =
            format!("{base}/full-bill/metadata/BILLING_PERIOD=2026-05/full-bill-Manifest.json");
        assert!(keys.contains(&manifest), "{keys:?}");
        // Data files sit in execution folders; May of the first payer in two of them.
        let may = format!("{base}/full-bill/data/BILLING_PERIOD=2026-05/");
        let may_files = keys
            .iter()
            .filter(|k| k.starts_with(&may) && k.ends_with("/full-bill-00001.snappy.parquet"))
            .count();
        let want = if payer == "210987654321" { 2 } else { 1 };
        assert_eq!(may_files, want, "{payer}: {keys:?}");
    }
    // The bucket's root of both exports verifies export by export.
    let o = run(&mut s3_cmd(&[
        "verify",
        &format!("{out_uri}/full-bill/cur2/"),
    ]));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!(
            "== export {out_uri}/full-bill/cur2/210987654321/full-bill"
        )) && text.contains("2 exports: 2 passed, 0 failed"),
        "{text}{}",
        stderr(&o)
    );
}
