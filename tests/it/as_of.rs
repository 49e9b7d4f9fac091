//! `curlab generate --as-of DATE`: the month-to-date export (docs/scenarios.md, "Month to date").

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{curlab, data_files, files, generate, read_parquet, truth};
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use arrow_array::{Array, RecordBatch};

/// One row of an export, as the test needs it.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    period: String,
    kind: String,
    id: String,
    usage_type: String,
    start_ms: i64,
    end_ms: i64,
    invoice: Option<String>,
    cost: f64,
    resource: Option<String>,
}

fn s<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow_array::StringArray {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .as_string::<i32>()
}

fn ms(b: &RecordBatch, name: &str, i: usize) -> i64 {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .as_primitive::<TimestampMillisecondType>()
        .value(i)
}

fn opt(a: &arrow_array::StringArray, i: usize) -> Option<String> {
    (!a.is_null(i)).then(|| a.value(i).to_string())
}

fn lines(export: &Path) -> Vec<Line> {
    let mut out = Vec::new();
    for f in data_files(export) {
        let period = f
            .to_string_lossy()
            .split("BILLING_PERIOD=")
            .nth(1)
            .map(|p| p[..7].to_string())
            .expect("period folder");
        for b in read_parquet(&f) {
            let cost = b
                .column_by_name("line_item_unblended_cost")
                .expect("cost")
                .as_primitive::<arrow_array::types::Float64Type>();
            for i in 0..b.num_rows() {
                out.push(Line {
                    period: period.clone(),
                    kind: s(&b, "line_item_line_item_type").value(i).to_string(),
                    id: s(&b, "identity_line_item_id").value(i).to_string(),
                    usage_type: opt(s(&b, "line_item_usage_type"), i).unwrap_or_default(),
                    start_ms: ms(&b, "line_item_usage_start_date", i),
                    end_ms: ms(&b, "line_item_usage_end_date", i),
                    invoice: opt(s(&b, "bill_invoice_id"), i),
                    cost: cost.value(i),
                    resource: opt(s(&b, "line_item_resource_id"), i),
                });
            }
        }
    }
    out
}

fn ms_of(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .expect("rfc3339")
        .timestamp_millis()
}

#[test]
fn as_of_export_is_month_to_date_and_verifies_clean() {
    // s2-app-roles: May and June 2026, daily rows, tax, activations on May 20.
    let dir = generate("s2-app-roles", &["--as-of", "2026-12-15"]);
    let export = dir.path().join("s2-app-roles");
    let t = truth(dir.path(), "s2-app-roles");

    // The last billing period is DATE's month; the scenario moved by whole months.
    assert_eq!(
        t["export"]["billing_periods"],
        serde_json::json!(["2026-11", "2026-12"])
    );
    let a = &t["as_of"];
    assert_eq!(a["date"], "2026-12-15");
    assert_eq!(a["months_shifted"], 6);
    assert_eq!(a["data_until"], "2026-12-15T00:00:00Z");
    assert_eq!(a["data_delay_hours"], 24);
    assert_eq!(a["open_billing_period"], "2026-12");
    let folders: BTreeSet<String> = files(&export)
        .iter()
        .filter_map(|p| {
            let s = p.to_string_lossy().to_string();
            s.split("BILLING_PERIOD=")
                .nth(1)
                .map(|x| x[..7].to_string())
        })
        .collect();
    assert_eq!(
        folders,
        BTreeSet::from(["2026-11".to_string(), "2026-12".to_string()])
    );

    // No usage at or after DATE minus the delay; usage right up to it.
    let rows = lines(&export);
    let cut = ms_of("2026-12-15T00:00:00Z");
    let usage: Vec<&Line> = rows.iter().filter(|l| l.kind == "Usage").collect();
    assert!(usage.iter().all(|l| l.end_ms <= cut), "usage after the cut");
    assert!(
        usage.iter().any(|l| l.end_ms == cut),
        "the day before the cut has usage"
    );
    assert!(usage
        .iter()
        .any(|l| l.start_ms < ms_of("2026-11-02T00:00:00Z")));

    // Invoice ids on the closed month only; tax rows in both (on usage to date).
    for l in &rows {
        match l.period.as_str() {
            "2026-11" => assert!(l.invoice.is_some(), "closed month without invoice: {l:?}"),
            _ => assert!(l.invoice.is_none(), "open month with an invoice id: {l:?}"),
        }
    }
    for p in ["2026-11", "2026-12"] {
        assert!(
            rows.iter().any(|l| l.period == p && l.kind == "Tax"),
            "{p} has tax rows"
        );
    }

    // Activation dates moved by the same six months (the scenario activates on 2026-05-20).
    let acts = t["activation"].as_array().expect("activation");
    assert!(!acts.is_empty());
    for act in acts {
        assert_eq!(act["activated_at"], "2026-11-20T00:00:00Z", "{act}");
    }

    // The truth reconciles: verify with --truth is clean.
    let o = curlab(&[
        "verify",
        export.to_str().expect("utf-8"),
        "--truth",
        dir.path()
            .join("s2-app-roles.truth.json")
            .to_str()
            .expect("utf-8"),
    ]);
    assert!(
        o.status.success(),
        "verify --truth: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let bedrock: f64 = rows
        .iter()
        .filter(|l| l.kind == "Usage" && l.usage_type.contains("token"))
        .map(|l| l.cost)
        .sum();
    let want = t["bedrock_cost_total"].as_f64().expect("total");
    assert!((bedrock - want).abs() < 1e-6, "{bedrock} vs {want}");
}

#[test]
fn the_cut_keeps_earlier_rows_as_they_are() {
    // A later as-of date of the same month adds days; the days before the earlier cut keep
    // exactly their rows, ids included (draws do not depend on where the data stops).
    let early = generate("s1-iam-users", &["--as-of", "2026-12-10"]);
    let late = generate("s1-iam-users", &["--as-of", "2026-12-31"]);
    let cut = ms_of("2026-12-10T00:00:00Z");
    let before = |d: &Path| -> Vec<Line> {
        lines(&d.join("s1-iam-users"))
            .into_iter()
            .filter(|l| l.kind == "Usage" && l.start_ms < cut)
            .collect()
    };
    let (e, l) = (before(early.path()), before(late.path()));
    assert!(!e.is_empty());
    assert_eq!(e, l);
    assert!(lines(&late.path().join("s1-iam-users"))
        .iter()
        .any(|l| l.kind == "Usage" && l.start_ms >= cut));
}

#[test]
fn as_of_output_is_byte_identical_for_runs_and_threads() {
    let a = generate("s1-iam-users", &["--as-of", "2026-12-15", "--threads", "1"]);
    let b = generate("s1-iam-users", &["--as-of", "2026-12-15", "--threads", "4"]);
    let c = generate("s1-iam-users", &["--as-of", "2026-12-15", "--threads", "1"]);
    let fa = files(a.path());
    assert_eq!(fa, files(b.path()));
    assert_eq!(fa, files(c.path()));
    for f in &fa {
        let x = std::fs::read(a.path().join(f)).expect("read");
        for other in [&b, &c] {
            let y = std::fs::read(other.path().join(f)).expect("read");
            assert!(x == y, "{} differs", f.display());
        }
    }
}

/// A scenario with every kind of date: a switch-on day, an activation with a backfill, one
/// after DATE, a workload span, explicit requests (one on a batch job's session, one on the
/// 31st) and a global call.
const DATED: &str = r#"
[scenario]
name = "dated"
seed = 5

[export]
billing_periods = ["2026-04", "2026-05"]
iam_principal_data_enabled_on = "2026-04-15"

[organization]
payer = { id = "111122223333", name = "payer" }
accounts = [{ id = "123456789012", name = "dev" }]

[[iam_users]]
account = "dev"
name = "alice"
tags = { team = "search" }

[[roles]]
account = "dev"
name = "Batch"
sessions = { kind = "batch", prefix = "job", jobs_per_day = 1 }

[[cost_allocation_tags]]
key = "team"
activated_at = "2026-04-10T09:00:00Z"
backfill_from = "2026-04"

[[cost_allocation_tags]]
key = "project"
activated_at = "2026-05-25"

[[workloads]]
principals = ["user:alice"]
model = "claude-sonnet-4.6"
requests_per_day = 5
input_tokens = { mean = 1000 }
output_tokens = { mean = 100 }
start = "2026-04-03"
end = "2026-05-31"

[[requests]]
time = "2026-04-30T10:00:00Z"
principal = "role:Batch/job-20260430-01"
model = "nova-pro"
input_tokens = 1000
batch = true

[[requests]]
time = "2026-05-31T23:00:00Z"
principal = "user:alice"
model = "claude-sonnet-4.6"
input_tokens = 5000
global = true
"#;

#[test]
fn every_date_of_the_scenario_moves_and_the_future_is_left_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dated.toml");
    std::fs::write(&path, DATED).expect("write");
    let out = dir.path().join("out");
    let o = curlab(&[
        "generate",
        path.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--as-of",
        "2026-06-20",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = truth(&out, "dated");
    assert_eq!(
        t["export"]["billing_periods"],
        serde_json::json!(["2026-05", "2026-06"])
    );
    assert_eq!(t["export"]["iam_principal_data_from"], "2026-05-15");
    // The activation of 2026-05-25 moved to 2026-06-25, after DATE: not made yet.
    let acts = t["activation"].as_array().expect("activation");
    assert_eq!(acts.len(), 1, "{acts:?}");
    assert_eq!(acts[0]["activated_at"], "2026-05-10T09:00:00Z");
    assert_eq!(acts[0]["backfill_from"], "2026-05-01");
    let rows = lines(&out.join("dated"));
    // The batch job request moved to 2026-05-30 with its session (job-20260530-01).
    let batch: Vec<&Line> = rows
        .iter()
        .filter(|l| l.usage_type.starts_with("USE1-NovaPro-input-tokens-batch"))
        .collect();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].start_ms, ms_of("2026-05-30T10:00:00Z"));
    assert!(t["by_principal"]
        .as_object()
        .expect("by_principal")
        .keys()
        .any(|a| a.ends_with("assumed-role/Batch/job-20260530-01")));
    // The request of May 31 moved to June 30, after the cut: not in the export, not in the
    // truth; the workload stops at the cut too.
    assert!(rows
        .iter()
        .all(|l| l.kind != "Usage" || l.end_ms <= ms_of("2026-06-20T00:00:00Z")));
    assert!(!rows
        .iter()
        .any(|l| l.usage_type.contains("cross-region-global")));
    assert!(rows.iter().any(|l| l.kind == "Usage"
        && l.start_ms < ms_of("2026-05-04T00:00:00Z")
        && l.start_ms >= ms_of("2026-05-03T00:00:00Z")));
    assert!(!rows.iter().any(|l| l.kind == "Usage"
        && l.start_ms < ms_of("2026-05-03T00:00:00Z")
        && !l.usage_type.contains("NovaPro")));
}

#[test]
fn bad_dates_and_moves_before_the_launch_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_str().expect("utf-8");
    for bad in ["2026-02-30", "15.12.2026", "2040-01-01"] {
        let o = curlab(&["generate", "s1-iam-users", "--out", out, "--as-of", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("--as-of") && e.contains("fix:"), "{bad}: {e}");
    }
    // s1-iam-users is May 2026 with principal data from its first day: moving it to April
    // would put May 1-7 before the 2026-04-08 launch.
    let o = curlab(&[
        "generate",
        "s1-iam-users",
        "--out",
        out,
        "--as-of",
        "2026-04-20",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("2026-04-08") && e.contains("--as-of 2026-05-01 or later"),
        "{e}"
    );
    assert!(files(dir.path()).is_empty(), "nothing written");
    // DATE's own month is the earliest allowed one.
    let ok = generate("s1-iam-users", &["--as-of", "2026-05-02"]);
    let t = truth(ok.path(), "s1-iam-users");
    assert_eq!(t["as_of"]["months_shifted"], 0);
}

#[test]
fn global_calls_carry_the_profile_arn() {
    // s1-iam-users sends 30 % of its Haiku 4.5 calls through the global profile.
    let dir = generate("s1-iam-users", &[]);
    let rows = lines(&dir.path().join("s1-iam-users"));
    let global: Vec<&Line> = rows
        .iter()
        .filter(|l| l.usage_type.ends_with("-cross-region-global"))
        .collect();
    assert!(!global.is_empty());
    for l in &global {
        let r = l.resource.as_deref().expect("resource id");
        assert!(
            r.starts_with("arn:aws:bedrock:us-east-1:")
                && r.contains(":inference-profile/global.anthropic.claude-haiku-4-5"),
            "{r}"
        );
    }
    for l in rows
        .iter()
        .filter(|l| l.usage_type.contains("-tokens") && !l.usage_type.contains("global"))
    {
        let r = l.resource.as_deref().expect("resource id");
        assert!(r.contains("::foundation-model/"), "{r}");
    }
}
