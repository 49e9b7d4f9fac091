//! End-to-end tests of `curlab report` and `curlab diff`: totals against the truth file for
//! every shipped scenario (files and in-memory), a CSV export, snapshots of the tables, CSV
//! formula neutralisation, HTML escaping and the gateway strategy diff.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::common::{curlab, generate, truth};
use serde_json::Value;

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Run curlab, insist on success, return stdout.
fn ok(args: &[&str]) -> String {
    let o = curlab(args);
    assert!(
        o.status.success(),
        "curlab {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8 output")
}

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    serde_json::from_str(&ok(&a)).expect("report JSON")
}

fn shipped() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("scenarios folder")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    v.sort();
    v
}

/// The export a `generate` run wrote (its name can differ from the scenario's).
fn export_name(out: &Path) -> String {
    std::fs::read_dir(out)
        .expect("output folder")
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            n.strip_suffix(".truth.json").map(String::from)
        })
        .next()
        .expect("a truth file")
}

/// Shipped scenarios too big for a debug test run at full scale.
fn scale_of(name: &str) -> &'static [&'static str] {
    if name == "enterprise" || name.starts_with("s3-") || name.starts_with("s4-") {
        &["--scale", "0.1"]
    } else {
        &[]
    }
}

fn cost(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

/// Equal to far below a cent: the report sums exact 1e-10 USD units.
fn assert_money(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-6,
        "{what}: report says {got}, truth says {want}"
    );
}

fn group_costs(report: &Value) -> std::collections::BTreeMap<String, f64> {
    report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["key"][0].as_str().unwrap().to_string(),
                cost(&g["cost_usd"]),
            )
        })
        .collect()
}

/// Check one report (JSON, grouped by principal) and the tag reports against the truth file.
fn check_against_truth(name: &str, src: &[&str], t: &Value) {
    let mut args = vec!["report"];
    args.extend_from_slice(src);
    args.extend(["--group-by", "principal", "-q"]);
    let r = json(&args);
    assert_money(
        &format!("{name} total"),
        cost(&r["total_usd"]),
        cost(&t["bedrock_cost_total"]),
    );
    let sum: f64 = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| cost(&g["cost_usd"]))
        .sum();
    assert_money(&format!("{name} sum of groups"), sum, cost(&r["total_usd"]));
    let by_p = group_costs(&r);
    for (arn, c) in t["by_principal"].as_object().expect("by_principal") {
        let got = by_p.get(arn).copied().unwrap_or(0.0);
        assert_money(&format!("{name} principal {arn}"), got, cost(c));
    }
    let no_principal = by_p.get("(no principal)").copied().unwrap_or(0.0);
    assert_money(
        &format!("{name} unattributed"),
        no_principal,
        cost(&t["unattributed_bedrock_cost"]),
    );
    for (key, values) in t["by_tag"].as_object().expect("by_tag") {
        let short = key.strip_prefix("iamPrincipal/").expect("iamPrincipal key");
        let dim = format!("tag:{short}");
        let mut args = vec!["report"];
        args.extend_from_slice(src);
        args.extend(["--group-by", &dim, "-q"]);
        let r = json(&args);
        let by_v = group_costs(&r);
        for (value, c) in values.as_object().unwrap() {
            let got = by_v.get(value).copied().unwrap_or(0.0);
            assert_money(&format!("{name} {key}={value}"), got, cost(c));
        }
        let tagged: f64 = values.as_object().unwrap().values().map(cost).sum();
        let cov = r["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key.as_str())
            .unwrap_or_else(|| panic!("{name}: no coverage line for {key}"));
        assert_money(
            &format!("{name} {key} tagged"),
            cost(&cov["tagged_usd"]),
            tagged,
        );
    }
}

#[test]
fn totals_equal_the_truth_for_every_shipped_scenario_from_files_and_in_memory() {
    let names = shipped();
    assert!(names.len() >= 8, "shipped scenarios: {names:?}");
    for name in &names {
        let dir = generate(name, scale_of(name));
        if dir.path().join(name).join("cur2").is_dir() {
            several_payers_equal_their_truths(name, dir.path());
            continue;
        }
        let export_name = export_name(dir.path());
        let t = truth(dir.path(), &export_name);
        let export = dir.path().join(&export_name);
        let export = export.to_str().unwrap();
        check_against_truth(name, &[export], &t);

        let mut src = vec!["--scenario", name.as_str()];
        src.extend_from_slice(scale_of(name));
        check_against_truth(&format!("{name} (in memory)"), &src, &t);
    }
}

/// A scenario with several payers: each payer's export equals its own truth; the folder of
/// all of them, and the scenario in memory, equal the truths summed.
fn several_payers_equal_their_truths(name: &str, out: &Path) {
    let payers = crate::common::payer_exports(out, name);
    assert!(payers.len() >= 2, "{name}: {} payers", payers.len());
    let mut all = serde_json::json!({
        "bedrock_cost_total": 0.0,
        "unattributed_bedrock_cost": 0.0,
        "by_principal": {},
        "by_tag": {},
    });
    for (id, export, t) in &payers {
        check_against_truth(
            &format!("{name} payer {id}"),
            &[export.to_str().unwrap()],
            t,
        );
        for k in ["bedrock_cost_total", "unattributed_bedrock_cost"] {
            all[k] = Value::from(cost(&all[k]) + cost(&t[k]));
        }
        for (arn, c) in t["by_principal"].as_object().unwrap() {
            assert!(
                all["by_principal"].get(arn).is_none(),
                "{arn} in two payers"
            );
            all["by_principal"][arn] = c.clone();
        }
        for (key, values) in t["by_tag"].as_object().unwrap() {
            if all["by_tag"].get(key).is_none() {
                all["by_tag"][key] = serde_json::json!({});
            }
            for (v, c) in values.as_object().unwrap() {
                let before = all["by_tag"][key].get(v).map_or(0.0, cost);
                all["by_tag"][key][v] = Value::from(before + cost(c));
            }
        }
    }
    let root = out.join(name);
    check_against_truth(
        &format!("{name} (all payers)"),
        &[root.to_str().unwrap()],
        &all,
    );
    let mut src = vec!["--scenario", name];
    src.extend_from_slice(scale_of(name));
    check_against_truth(&format!("{name} (in memory)"), &src, &all);
}

#[test]
fn totals_equal_the_truth_for_a_csv_export() {
    let dir = generate("s2-app-roles", &["--format", "csv"]);
    let t: Value = truth(dir.path(), "s2-app-roles");
    let export = dir.path().join("s2-app-roles");
    check_against_truth("s2-app-roles (csv)", &[export.to_str().unwrap()], &t);
    // The CSV table output agrees with the JSON total, to the cent.
    let csv = ok(&["report", export.to_str().unwrap(), "--format", "csv"]);
    let last = csv.lines().last().unwrap();
    assert!(last.starts_with("TOTAL,"), "{last}");
    let rounded = format!("{:.2}", cost(&t["bedrock_cost_total"]));
    assert!(
        last.contains(&format!(",{rounded},")),
        "{last} vs {rounded}"
    );
}

#[test]
fn table_snapshots() {
    let dir = generate("blog-launch", &[]);
    let export = dir.path().join("blog-launch");
    let e = export.to_str().unwrap();
    let s = snapshot_settings();
    s.bind(|| {
        insta::assert_snapshot!("report_blog_launch_principal", ok(&["report", e]));
        insta::assert_snapshot!(
            "report_blog_launch_team_model",
            ok(&["report", e, "--group-by", "tag:team", "--group-by", "model"])
        );
        insta::assert_snapshot!(
            "report_blog_launch_role_daily",
            ok(&["report", e, "--group-by", "role", "--granularity", "daily"])
        );
        insta::assert_snapshot!(
            "report_blog_launch_scenario_token_type",
            ok(&[
                "report",
                "--scenario",
                "blog-launch",
                "--group-by",
                "token-type",
                "--filter",
                "tag:team=data-science",
                "--filter",
                "tag:team=BedrockDataScience",
                "-q"
            ])
        );
    });
}

#[test]
fn diff_of_gateway_strategies() {
    let shared = generate("s4-gateway-shared-role", &["--scale", "0.1"]);
    let per_user = generate("s4-gateway-per-user", &["--scale", "0.1"]);
    let a = shared.path().join("s4-gateway-shared-role");
    let b = per_user.path().join("s4-gateway-per-user");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let ta: Value = truth(shared.path(), "s4-gateway-shared-role");
    let tb: Value = truth(per_user.path(), "s4-gateway-per-user");

    let d: Value = serde_json::from_str(&ok(&["diff", a, b, "--format", "json", "-q"])).unwrap();
    assert_eq!(d["schema"], "curlab-diff/1");
    assert_money(
        "A total",
        cost(&d["a"]["total_usd"]),
        cost(&ta["bedrock_cost_total"]),
    );
    assert_money(
        "B total",
        cost(&d["b"]["total_usd"]),
        cost(&tb["bedrock_cost_total"]),
    );
    // The shared gateway role vanishes; one session per user appears.
    let names = |k: &str| -> Vec<String> {
        d[k].as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let vanished = names("vanished");
    let appeared = names("appeared");
    let a_principals: Vec<&String> = ta["by_principal"].as_object().unwrap().keys().collect();
    assert_eq!(vanished.iter().collect::<Vec<_>>(), a_principals);
    assert!(vanished[0].contains(":assumed-role/LiteLLMTaskRole/"));
    assert_eq!(
        appeared.len(),
        tb["by_principal"].as_object().unwrap().len(),
        "every per-user session is new"
    );
    assert!(appeared
        .iter()
        .all(|p| p.contains(":assumed-role/BedrockInvokeRole/gw-")));
    assert_eq!(d["a"]["principals"], 1);
    // Coverage moves: `app` came from the shared role's tags and disappears per user.
    let cov = |key: &str| -> (f64, f64) {
        let c = d["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap_or_else(|| panic!("coverage of {key}"));
        (cost(&c["a"]), cost(&c["b"]))
    };
    assert_eq!(cov("iamPrincipal/app"), (1.0, 0.0));
    let team_b: f64 = tb["by_tag"]["iamPrincipal/team"]
        .as_object()
        .unwrap()
        .values()
        .map(cost)
        .sum();
    assert!((cov("iamPrincipal/team").1 - team_b / cost(&tb["bedrock_cost_total"])).abs() < 1e-9);
    // The spend that moved is B's spend on the new principals.
    assert_money("moved", cost(&d["moved_usd"]), cost(&d["b"]["total_usd"]));

    let table = ok(&["diff", a, b, "--group-by", "tag:team", "-q"]);
    // Scenarios simulated in memory give the same diff as their exports.
    let in_memory = ok(&[
        "diff",
        "scenario:s4-gateway-shared-role",
        "scenario:s4-gateway-per-user",
        "--scale",
        "0.1",
        "--group-by",
        "tag:team",
        "-q",
    ]);
    assert_eq!(table, in_memory);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("report_diff_s4_by_team", table);
    });
}

/// A blog-launch CSV export whose tag values and one ARN were replaced with hostile text, as
/// a plain `.csv` data file. Returns the temp dir and the file.
fn hostile_export() -> (tempfile::TempDir, PathBuf) {
    let dir = generate("blog-launch", &["--format", "csv"]);
    let data = dir.path().join("blog-launch/data/BILLING_PERIOD=2026-04");
    let gz = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".csv.gz"))
        .expect("csv.gz data file");
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    // Inside a CSV cell the JSON quotes of the tags map are doubled.
    for (from, to) in [
        (r#"""data-science"""#, r#"""=HYPERLINK(1)"""#),
        (r#"""engineering"""#, r#"""@SUM(A1)"""#),
        (r#"""eng"""#, r#"""-2+3"""#),
        (r#"""ds"""#, r#"""+cmd"""#),
        (
            r#"""BedrockDataScience"""#,
            r#"""<img src=x onerror=alert(1)>"""#,
        ),
        ("user/alice,", "user/<b>alice</b>&x,"),
    ] {
        assert!(text.contains(from), "fixture lost {from}");
        text = text.replace(from, to);
    }
    let out = dir.path().join("hostile.csv");
    std::fs::write(&out, text).unwrap();
    (dir, out)
}

#[test]
fn csv_output_neutralises_formulas() {
    let (_dir, file) = hostile_export();
    let f = file.to_str().unwrap();
    let out = ok(&["report", f, "--group-by", "tag:team", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let firsts: Vec<String> = rdr.records().map(|r| r.unwrap()[0].to_string()).collect();
    for v in ["'=HYPERLINK(1)", "'@SUM(A1)", "'-2+3", "'+cmd"] {
        assert!(firsts.iter().any(|c| c == v), "{v} missing in {firsts:?}");
    }
    for c in &firsts {
        assert!(
            !c.starts_with(['=', '+', '-', '@']),
            "formula cell {c} left live"
        );
    }
    // Numbers stay numbers.
    assert!(out
        .lines()
        .last()
        .unwrap()
        .starts_with("TOTAL,6.7573924200,6.76,"));
    // Daily CSV neutralises group labels too.
    let daily = ok(&[
        "report",
        f,
        "--group-by",
        "tag:team",
        "--format",
        "csv",
        "--granularity",
        "daily",
    ]);
    assert!(daily.contains(",'=HYPERLINK(1),"), "{daily}");
    assert!(!daily.contains(",=HYPERLINK"), "{daily}");
}

#[test]
fn html_escapes_tag_values_and_arns() {
    let (_dir, file) = hostile_export();
    let f = file.to_str().unwrap();
    for dim in ["tag:team", "principal"] {
        let page = ok(&["report", f, "--group-by", dim, "--format", "html"]);
        assert!(!page.contains("<img"), "unescaped tag value in {dim} page");
        assert!(!page.contains("<b>alice"), "unescaped ARN in {dim} page");
        assert!(!page.contains("<script"), "a script in the page");
        assert!(
            page.contains("&lt;b&gt;alice&lt;/b&gt;&amp;x"),
            "{dim}: ARN not shown escaped"
        );
        assert!(page.contains("$6.76"));
    }
    let page = ok(&["report", f, "--group-by", "tag:team", "--format", "html"]);
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // Self-contained: nothing to fetch.
    for needle in ["http://", "https://", "<script", "<link", "@import", "url("] {
        let hits = page.matches(needle).count();
        let allowed = if needle == "http://" {
            // the SVG namespace, once per chart
            page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        } else {
            0
        };
        assert_eq!(hits, allowed, "{needle} in the page");
    }
}

#[test]
fn filters_periods_roles_and_bad_input() {
    let dir = generate("blog-launch", &[]);
    let export = dir.path().join("blog-launch");
    let e = export.to_str().unwrap();
    let t: Value = truth(dir.path(), "blog-launch");

    let r = json(&["report", e, "--filter", "tag:team=ds"]);
    assert_money(
        "team=ds",
        cost(&r["total_usd"]),
        cost(&t["by_tag"]["iamPrincipal/team"]["ds"]),
    );

    let r = json(&["report", e, "--group-by", "role"]);
    let by_role = group_costs(&r);
    let role1: f64 = t["by_principal"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("arn:aws:sts::123456789012:assumed-role/Role-1/"))
        .map(|(_, v)| cost(v))
        .sum();
    assert_money(
        "role roll-up",
        by_role["arn:aws:iam::123456789012:role/Role-1"],
        role1,
    );

    let r = json(&[
        "report",
        e,
        "--period",
        "2026-04",
        "--granularity",
        "monthly",
    ]);
    assert_eq!(r["timeline"].as_array().unwrap().len(), 1);
    assert_eq!(r["timeline"][0]["period"], "2026-04");
    assert_money(
        "month",
        cost(&r["timeline"][0]["cost_usd"]),
        cost(&t["bedrock_cost_total"]),
    );

    for (args, needle) in [
        (
            vec!["report", e, "--group-by", "colour"],
            "unknown dimension `colour`",
        ),
        (vec!["report", e, "--filter", "team"], "DIM=VALUE"),
        (vec!["report", e, "--period", "April"], "YYYY-MM"),
        (vec!["report", "/nonexistent/export"], "/nonexistent/export"),
        (
            vec!["report", "--scenario", "no-such-scenario"],
            "no-such-scenario",
        ),
        (
            vec!["report", "--scenario", "blog-launch", "--period", "2030-01"],
            "2026-04",
        ),
        (vec!["diff", e, "/nonexistent/b"], "/nonexistent/b"),
    ] {
        let o = curlab(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn a_bedrock_cost_that_is_not_a_number_stops_the_report() {
    let (dir, file) = hostile_export();
    let text = std::fs::read_to_string(&file).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).expect(n);
    let (cost, usage_type) = (col("line_item_unblended_cost"), col("line_item_usage_type"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    let mut broken = None;
    for (i, r) in rdr.records().enumerate() {
        let mut r: Vec<String> = r.unwrap().iter().map(String::from).collect();
        if broken.is_none() && r[usage_type].contains("-input-tokens") {
            r[cost] = "abc".into();
            broken = Some(i + 1);
        }
        w.write_record(&r).unwrap();
    }
    let bad = dir.path().join("bad-cost.csv");
    std::fs::write(&bad, w.into_inner().unwrap()).unwrap();
    let o = curlab(&["report", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    let row = broken.expect("a Bedrock input row");
    assert!(err.contains("bad-cost.csv"), "{err}");
    assert!(err.contains(&format!("row {row}:")), "{err}");
    assert!(
        err.contains("`abc`") && err.contains("curlab verify"),
        "{err}"
    );
}

#[test]
fn an_unwritable_out_file_is_a_clear_error() {
    let dir = generate("blog-launch", &[]);
    let export = dir.path().join("blog-launch");
    let o = curlab(&[
        "report",
        export.to_str().unwrap(),
        "--out",
        "/nonexistent-folder/report.html",
        "--format",
        "html",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/nonexistent-folder/report.html") && err.contains("fix:"),
        "{err}"
    );
}
