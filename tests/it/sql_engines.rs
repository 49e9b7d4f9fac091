//! `curlab sql` and `curlab ddl` on real engines give the same per-rule counts as
//! `curlab verify`.
//!
//! Every fault of `curlab faults` is planted in a scenario it applies to (plus clean exports and
//! an older 113-column export), except `legacy-cur-headers`: its files are not CUR 2.0 data, so
//! `curlab verify` skips every rule with SQL (SC008, which reports them, is native only). For each export the test writes the DDL and queries curlab
//! emits, and tests/sql_engines.py runs them: DuckDB (view from the DuckDB DDL, DuckDB query),
//! sqlglot (Athena DDL parsed in the athena dialect, Trino query parsed in the trino dialect and
//! transpiled to DuckDB) and Apache Spark in local mode (table from the Spark DDL, Spark query;
//! one session for all exports, started while curlab generates them; each export goes to
//! the engines as soon as it is ready). Every rule with SQL must then report exactly the count of
//! `curlab verify --format json` (NULL where verify skips it for an absent column).
//!
//! Needs Python with duckdb, pyspark and sqlglot (tests/requirements.txt, installed into .venv
//! here when missing) and Java 17 for Spark (`.ci/run` installs openjdk-17-jre-headless). A
//! missing tool fails the test with what to install; nothing is skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::curlab;
use curlab_verifier::registry;
use curlab_verifier::sql::SqlForm;
use serde_json::{json, Value};

/// (scenario, export folder, scale, fault or None for a clean export).
/// The first payer's export of the two-payer `full-bill`.
const FB: &str = "full-bill/cur2/210987654321/full-bill";

const CASES: &[(&str, &str, &str, Option<&str>)] = &[
    ("enterprise", "enterprise-cur", "0.05", None),
    (
        "s4-gateway-shared-role",
        "s4-gateway-shared-role",
        "0.2",
        None,
    ),
    (
        "s1-iam-users",
        "s1-iam-users",
        "1",
        Some("missing-principal"),
    ),
    ("s3-okta-saml", "s3-okta-saml", "0.2", Some("malformed-arn")),
    (
        "s2-app-roles",
        "s2-app-roles",
        "1",
        Some("account-mismatch"),
    ),
    (
        "s2-app-roles",
        "s2-app-roles",
        "1",
        Some("principal-on-non-bedrock"),
    ),
    (
        "blog-launch",
        "blog-launch",
        "1",
        Some("principal-before-launch"),
    ),
    (
        "s3-entra-oidc",
        "s3-entra-oidc",
        "0.2",
        Some("unprefixed-tag"),
    ),
    ("s1-iam-users", "s1-iam-users", "1", Some("inactive-tag")),
    (
        "s2-app-roles",
        "s2-app-roles",
        "1",
        Some("tag-before-activation"),
    ),
    (
        "s3-okta-saml",
        "s3-okta-saml",
        "0.2",
        Some("session-override-lost"),
    ),
    (
        "s4-gateway-per-user",
        "s4-gateway-per-user",
        "0.2",
        Some("gateway-collapse"),
    ),
    ("blog-launch", "blog-launch", "1", Some("cost-mismatch")),
    ("s1-iam-users", "s1-iam-users", "1", Some("misaligned-hour")),
    (
        "s2-app-roles",
        "s2-app-roles",
        "1",
        Some("outside-billing-period"),
    ),
    (
        "s3-entra-oidc",
        "s3-entra-oidc",
        "0.2",
        Some("duplicate-line-item"),
    ),
    ("blog-launch", "blog-launch", "1", Some("map-as-string")),
    ("blog-launch", "blog-launch", "1", Some("manifest-mismatch")),
    ("s1-iam-users", "s1-iam-users", "1", Some("missing-column")),
    ("full-bill", FB, "1", None),
    ("full-bill", FB, "1", Some("net-above-gross")),
    ("full-bill", FB, "1", Some("discount-net-mismatch")),
    ("full-bill", FB, "1", Some("adjustment-sign")),
    ("full-bill", FB, "1", Some("commitment-shape")),
    ("full-bill", FB, "1", Some("principal-on-agentcore")),
    ("full-bill", FB, "1", Some("profile-tags-lost")),
    (
        "s2-app-roles",
        "s2-app-roles",
        "1",
        Some("net-total-mismatch"),
    ),
    ("full-bill", FB, "1", Some("invoice-total-mismatch")),
];

/// Exports whose rule set also runs without --truth on Spark (DuckDB and sqlglot run it for
/// every export): the heuristics that only apply then (PR001/TG001 from the data, GW002).
const SPARK_WITHOUT_TRUTH: &[&str] = &["s4-gateway-shared-role", "s1-iam-users+missing-principal"];

/// Scenarios delivered in create-new execution folders, which Spark's table does not read.
const SPARK_NO_EXECUTION_FOLDERS: &[&str] = &["full-bill"];

/// The fault whose files no table definition can read: the engines must refuse them.
const UNREADABLE: &str = "map-as-string";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv's Python with duckdb, pyspark and sqlglot.
fn python() -> PathBuf {
    crate::common::python("duckdb, pyspark, sqlglot")
}

fn require_java() {
    let java = Command::new("java").arg("-version").output();
    assert!(
        java.as_ref().is_ok_and(|o| o.status.success()),
        "Spark needs Java 17: install it with `apt-get install -y openjdk-17-jre-headless` (.ci/run does)"
    );
}

fn name_of(case: &(&str, &str, &str, Option<&str>)) -> String {
    match case.3 {
        Some(f) => format!("{}+{f}", case.0),
        None => case.0.to_string(),
    }
}

fn run_ok(args: &[&str]) -> String {
    let o = curlab(args);
    assert!(
        o.status.success(),
        "curlab {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

/// `curlab verify --format json` (exit 0 or 1).
fn verify(export: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "verify",
        export.to_str().expect("utf-8"),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = curlab(&args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "verify {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("verify JSON")
}

/// What `curlab verify` says the SQL must return: code → Some(count) for rules that ran,
/// None for rules skipped because a column is absent.
fn expected_counts(
    report: &Value,
    sql_rules: &BTreeSet<String>,
    only_rc: bool,
) -> BTreeMap<String, Option<u64>> {
    let counts: BTreeMap<&str, u64> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().expect("rule"),
                f["count"].as_u64().expect("count"),
            )
        })
        .collect();
    let mut out = BTreeMap::new();
    let in_scope = |c: &str| sql_rules.contains(c) && (!only_rc || c.starts_with("RC"));
    for c in report["summary"]["rules_run"]
        .as_array()
        .expect("rules_run")
    {
        let c = c.as_str().expect("code");
        if in_scope(c) {
            out.insert(c.to_string(), Some(counts.get(c).copied().unwrap_or(0)));
        }
    }
    for s in report["summary"]["rules_skipped"]
        .as_array()
        .expect("rules_skipped")
    {
        let c = s["rule"].as_str().expect("code");
        let why = s["reason"].as_str().expect("reason");
        if in_scope(c) && why.starts_with("column ") {
            out.insert(c.to_string(), None);
        }
    }
    out
}

struct Export {
    name: String,
    fault: Option<&'static str>,
    /// label → expected counts.
    expected: BTreeMap<&'static str, BTreeMap<String, Option<u64>>>,
    plan: Value,
}

fn sql_rules() -> BTreeSet<String> {
    registry::all()
        .filter(|m| matches!(m.sql, SqlForm::Query(_)))
        .map(|m| m.code.to_string())
        .collect()
}

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).expect("write");
    path.display().to_string()
}

/// Generate one export, verify it natively, and write its DDL and queries.
fn prepare(
    work: &Path,
    i: usize,
    scenario_arg: &str,
    export: &str,
    scale: &str,
    fault: Option<&'static str>,
    name: String,
) -> Export {
    let dir = work.join(format!("e{i}"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    // The fault matrix plants the same faults at the same scales: generated once per run.
    let mut args = vec!["--scale", scale];
    if let Some(f) = fault {
        args.extend(["--inject", f]);
    }
    let generated = crate::common::shared(scenario_arg, &args).path();
    let export_dir = generated.join(export);
    let truth = generated.join(format!("{export}.truth.json"));
    let truth_s = truth.to_str().expect("utf-8");
    let table = format!("cur_{i}");
    let location = export_dir.to_str().expect("utf-8");

    let mut ddl = serde_json::Map::new();
    for d in ["duckdb", "spark"] {
        let text = run_ok(&[
            "ddl",
            "--dialect",
            d,
            "--location",
            location,
            "--table",
            &table,
        ]);
        ddl.insert(
            d.into(),
            json!(write(&dir.join(format!("ddl.{d}.sql")), &text)),
        );
    }
    let athena = run_ok(&[
        "ddl",
        "--dialect",
        "athena",
        "--location",
        &format!("s3://curlab-test/cur/{export}"),
        "--table",
        &table,
    ]);
    ddl.insert(
        "athena".into(),
        json!(write(&dir.join("ddl.athena.sql"), &athena)),
    );

    let rules = sql_rules();
    let mut expected = BTreeMap::new();
    let mut queries = Vec::new();
    let spark_plain = SPARK_WITHOUT_TRUTH.contains(&name.as_str());
    // Spark's table reads no file of a create-new export (its data files sit in execution
    // folders below the partition folders): full-bill is compared on DuckDB and Trino only
    // (open work, docs/sql.md).
    let spark_reads = !SPARK_NO_EXECUTION_FOLDERS.contains(&scenario_arg);
    for (label, extra, verify_extra, only_rc, spark) in [
        (
            "truth",
            vec!["--truth", truth_s],
            vec!["--truth", truth_s],
            false,
            spark_reads,
        ),
        (
            "reconcile",
            vec!["--reconcile", "--truth", truth_s],
            vec!["--truth", truth_s],
            true,
            false,
        ),
        ("plain", vec![], vec![], false, spark_plain && spark_reads),
    ] {
        let report = verify(&export_dir, &verify_extra);
        let mut want = expected_counts(&report, &rules, only_rc);
        let mut q = serde_json::Map::new();
        q.insert("label".into(), json!(label));
        for d in ["duckdb", "trino", "spark"] {
            let mut args = vec!["sql", "--dialect", d, "--table", &table];
            args.extend(extra.iter().copied());
            let text = run_ok(&args);
            // A rule the query leaves out (its header says why) must be one verify skipped too.
            for code in text
                .lines()
                .filter_map(|l| l.strip_prefix("-- Not included: "))
            {
                let code = code.split(',').next().expect("code");
                if let Some(n) = want.remove(code) {
                    assert!(
                        n.is_none(),
                        "{name} [{label}]: SQL leaves out {code}, verify counts {n:?}"
                    );
                }
            }
            let path = write(&dir.join(format!("q.{label}.{d}.sql")), &text);
            if d != "spark" || spark {
                q.insert(d.into(), json!(path));
            }
        }
        queries.push(Value::Object(q));
        expected.insert(label, want);
    }
    Export {
        plan: json!({"name": name, "ddl": ddl, "queries": queries}),
        name,
        fault,
        expected,
    }
}

#[test]
fn sql_counts_match_verify_on_duckdb_trino_and_spark() {
    let py = python();
    require_java();
    let work = tempfile::tempdir().expect("tmp");

    // The engines start first (Spark takes a while) and take each export as soon as it is
    // ready, one JSON line on standard input, while the next ones are generated. Their output
    // goes to files, so a full pipe can never stall them.
    let results = work.path().join("results.json");
    let engines_log = work.path().join("sql_engines.log");
    let log = std::fs::File::create(&engines_log).expect("log");
    let mut engines = Command::new(&py)
        .arg(root().join("tests/sql_engines.py"))
        .arg(&results)
        .stdin(std::process::Stdio::piped())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("python runs");
    let to_engines = std::sync::Mutex::new(engines.stdin.take().expect("stdin"));
    let send = |plan: &Value| {
        use std::io::Write;
        let mut w = to_engines.lock().unwrap_or_else(|p| p.into_inner());
        // A failed write means the script died: its log says why, below.
        let _ = writeln!(w, "{plan}").and_then(|()| w.flush());
    };

    // An older 113-column export without principal data or tags: rules reading them are
    // skipped by verify and must be reported as skipped (NULL) by SQL.
    let legacy = work.path().join("legacy.toml");
    let src =
        std::fs::read_to_string(root().join("scenarios/s1-iam-users.toml")).expect("scenario");
    let anchor = "time_granularity = \"HOURLY\"";
    assert!(src.contains(anchor));
    std::fs::write(
        &legacy,
        src.replacen(anchor, "time_granularity = \"HOURLY\"\nlegacy_113_columns = true\ninclude_iam_principal_data = false\ninclude_resources = false\ninclude_split_cost_allocation_data = false", 1),
    )
    .expect("write");

    let mut jobs: Vec<(String, &str, &str, Option<&'static str>, String)> = CASES
        .iter()
        .map(|c| (c.0.to_string(), c.1, c.2, c.3, name_of(c)))
        .collect();
    jobs.push((
        legacy.display().to_string(),
        "s1-iam-users",
        "1",
        None,
        "s1-iam-users-legacy-113".into(),
    ));

    // Generate and verify on two threads.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut exports: Vec<(usize, Export)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((scenario, export, scale, fault, name)) = jobs.get(i) else {
                            return done;
                        };
                        let e = prepare(
                            work.path(),
                            i,
                            scenario,
                            export,
                            scale,
                            *fault,
                            name.clone(),
                        );
                        send(&e.plan);
                        done.push((i, e));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    exports.sort_by_key(|(i, _)| *i);
    let exports: Vec<Export> = exports.into_iter().map(|(_, e)| e).collect();

    // End of input: the script finishes the last export and writes the results.
    drop(to_engines);
    let status = engines.wait().expect("python runs");
    let log = std::fs::read_to_string(&engines_log).unwrap_or_default();
    assert!(status.success(), "sql_engines.py failed:\n{log}");
    // Per export and engine half, and the seconds per step (shown with --nocapture).
    eprintln!("{log}");
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&results).expect("results"))
        .expect("results JSON");

    let mut compared = 0;
    let mut spark_runs = 0;
    for e in &exports {
        let r = &results[&e.name];
        check_athena_ddl(&e.name, &r["athena_ddl"]);
        for (label, want) in &e.expected {
            for (engine, out) in r[*label]
                .as_object()
                .unwrap_or_else(|| panic!("{}: no results for {label}", e.name))
            {
                let what = format!("{} [{label}] on {engine}", e.name);
                if e.fault == Some(UNREADABLE) {
                    // Map columns written as JSON strings do not fit the table's map type:
                    // the engine must refuse the files rather than report counts.
                    let err = out["error"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{what}: read string maps as maps: {out}"));
                    assert!(
                        err.contains("MAP")
                            || err.contains("PARQUET_COLUMN_DATA_TYPE_MISMATCH")
                            || err.contains("map"),
                        "{what}: unexpected error {err}"
                    );
                    continue;
                }
                let counts = out["counts"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{what}: {out}"));
                let got: BTreeMap<String, Option<u64>> = counts
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_u64()))
                    .collect();
                assert_eq!(
                    &got, want,
                    "{what}: SQL counts (left) differ from curlab verify (right)"
                );
                compared += got.len();
                if engine == "spark" {
                    spark_runs += 1;
                }
            }
            if e.fault != Some(UNREADABLE) {
                let engines: Vec<&String> =
                    r[*label].as_object().expect("engines").keys().collect();
                assert!(
                    engines.len() >= 2,
                    "{} [{label}]: engines run: {engines:?}",
                    e.name
                );
            }
        }
        // The planted fault is found by SQL too when its rule has a SQL form.
        if let Some(fault) = e.fault {
            let rule = fault_rule(fault);
            if let Some(Some(n)) = e.expected["truth"].get(rule) {
                assert!(*n > 0, "{}: {rule} should fire", e.name);
            }
        }
    }
    let spark_cases = CASES
        .iter()
        .filter(|c| !SPARK_NO_EXECUTION_FOLDERS.contains(&c.0))
        .count();
    assert!(
        spark_runs >= spark_cases - 1,
        "Spark ran {spark_runs} queries"
    );
    assert!(compared > 1000, "compared {compared} rule counts");

    // The legacy export really exercised the skip path.
    let legacy = exports
        .iter()
        .find(|e| e.name == "s1-iam-users-legacy-113")
        .expect("legacy");
    assert_eq!(legacy.expected["plain"].get("PR001"), Some(&None));
    assert_eq!(legacy.expected["plain"].get("TG002"), Some(&None));
}

/// The rule meant to catch a fault (docs/faults.md).
fn fault_rule(fault: &str) -> &'static str {
    match fault {
        "missing-principal" => "PR001",
        "malformed-arn" => "PR002",
        "account-mismatch" => "PR003",
        "principal-on-non-bedrock" => "PR004",
        "principal-before-launch" => "PR005",
        "unprefixed-tag" => "TG002",
        "inactive-tag" => "TG007",
        "tag-before-activation" => "TG008",
        "session-override-lost" => "TG009",
        "gateway-collapse" => "GW001",
        "cost-mismatch" => "CT001",
        "misaligned-hour" => "CT002",
        "outside-billing-period" => "SC007",
        "duplicate-line-item" => "CT004",
        "map-as-string" => "SC004",
        "manifest-mismatch" => "SC005",
        "missing-column" => "SC001",
        "net-above-gross" => "CT006",
        "discount-net-mismatch" => "CT007",
        "adjustment-sign" => "CT008",
        "commitment-shape" => "CT009",
        "principal-on-agentcore" => "PR007",
        "profile-tags-lost" => "TG010",
        "net-total-mismatch" => "RC007",
        "invoice-total-mismatch" => "RC008",
        other => panic!("unknown fault {other}"),
    }
}

/// sqlglot parsed the Athena DDL into one CREATE EXTERNAL TABLE with every column, its type, the
/// billing_period partition and the projection properties.
fn check_athena_ddl(name: &str, r: &Value) {
    assert!(
        r.get("error").is_none(),
        "{name}: Athena DDL does not parse: {r}"
    );
    let types = r["types"].as_object().expect("types");
    assert_eq!(
        types.len(),
        curlab_vocab::columns::ALL_COLUMNS.len(),
        "{name}"
    );
    for c in curlab_vocab::columns::ALL_COLUMNS {
        let got = types[c.name]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no column {}", c.name));
        let norm = |s: &str| s.replace(' ', "").to_ascii_lowercase();
        assert_eq!(
            norm(got),
            norm(c.ty.athena_name()),
            "{name}: type of {}",
            c.name
        );
    }
    assert_eq!(r["partition"], json!(["billing_period"]), "{name}");
    let p = &r["properties"];
    for (k, v) in [
        ("EXTERNAL", "true"),
        ("STORED AS", "PARQUET"),
        ("projection.enabled", "true"),
        ("projection.billing_period.type", "date"),
        ("projection.billing_period.format", "yyyy-MM"),
        ("projection.billing_period.interval", "1"),
        ("projection.billing_period.interval.unit", "MONTHS"),
    ] {
        assert_eq!(p[k].as_str(), Some(v), "{name}: {k} in {p}");
    }
    let template = p["storage.location.template"].as_str().expect("template");
    assert!(
        template.ends_with("/data/BILLING_PERIOD=${billing_period}/"),
        "{template}"
    );
    assert!(
        p["LOCATION"]
            .as_str()
            .is_some_and(|l| l.starts_with("s3://") && l.ends_with("/data/")),
        "{p}"
    );
}

#[test]
fn bad_sql_and_ddl_arguments_fail_with_a_fix() {
    for (args, needle) in [
        (
            vec!["sql", "--dialect", "athena", "--table", "bad name"],
            "--table",
        ),
        (
            vec!["sql", "--dialect", "spark", "--select", "SC001"],
            "native only",
        ),
        (
            vec!["sql", "--dialect", "spark", "--select", "XX9"],
            "unknown rule code",
        ),
        (
            vec!["ddl", "--dialect", "athena", "--location", "/tmp/export"],
            "s3://",
        ),
        (
            vec![
                "ddl",
                "--dialect",
                "spark",
                "--location",
                "s3://b/export/data/",
            ],
            "export folder itself",
        ),
        (
            vec![
                "sql",
                "--dialect",
                "duckdb",
                "--truth",
                "/nonexistent/t.json",
            ],
            "truth",
        ),
    ] {
        let o = curlab(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?} printed SQL");
    }
    // --reconcile needs --truth (clap refuses).
    let o = curlab(&["sql", "--dialect", "trino", "--reconcile"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--truth"));
}

#[test]
fn rules_and_explain_show_the_sql_form() {
    let table = run_ok(&["rules"]);
    assert!(table.lines().next().is_some_and(|h| h.contains("SQL")));
    let line = |code: &str| {
        table
            .lines()
            .find(|l| l.starts_with(code))
            .expect("rule line")
            .to_string()
    };
    assert!(line("PR002").contains(" yes "), "{}", line("PR002"));
    assert!(line("SC005").contains("native-only"), "{}", line("SC005"));
    let pr002 = run_ok(&["explain", "PR002"]);
    assert!(
        pr002.contains("SQL (curlab sql)") && pr002.contains("regexp_like(principal"),
        "{pr002}"
    );
    let sc005 = run_ok(&["explain", "SC005"]);
    assert!(
        sc005.contains("native only: compares the manifest"),
        "{sc005}"
    );
}
