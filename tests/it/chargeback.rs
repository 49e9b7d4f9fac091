//! `curlab report --chargeback`: over the shipped `full-bill` export, the principals and the
//! unattributable lines equal the truth file's gross and net to the cent and add up to the
//! invoice total; the table is pinned by a snapshot.

use serde_json::Value;

use crate::common::{curlab, generate, truth};

fn run(dir: &std::path::Path, format: &str) -> String {
    let export = dir.join("full-bill");
    let o = curlab(&[
        "report",
        export.to_str().expect("utf-8"),
        "--chargeback",
        "--format",
        format,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("utf-8")
}

fn cents(what: &str, got: &Value, want: &Value) {
    let (g, w) = (got.as_f64().expect(what), want.as_f64().expect(what));
    assert!(
        (g - w).abs() < 0.005,
        "{what}: report {g:.6} vs truth {w:.6}"
    );
}

#[test]
fn chargeback_of_full_bill_reconciles_to_the_truth_and_the_invoice() {
    let dir = generate("full-bill", &[]);
    let t = truth(dir.path(), "full-bill");
    let bill = &t["bill"];
    let c: Value = serde_json::from_str(&run(dir.path(), "json")).expect("json");
    let principals = c["principals"].as_array().expect("principals");
    let want = bill["by_principal"].as_object().expect("truth principals");
    assert_eq!(principals.len(), want.len());
    for p in principals {
        let arn = p["principal"].as_str().expect("arn");
        let w = &want[arn];
        cents(&format!("{arn} gross"), &p["gross"], &w["gross"]);
        cents(&format!("{arn} net"), &p["net"], &w["net"]);
    }
    let lines = c["unattributable"].as_object().expect("lines");
    let want_lines = bill["unattributable"].as_object().expect("truth lines");
    let names = |m: &serde_json::Map<String, Value>| {
        let mut v: Vec<String> = m.keys().cloned().collect();
        v.sort();
        v
    };
    assert_eq!(names(lines), names(want_lines));
    for (l, v) in lines {
        cents(&format!("{l} gross"), &v["gross"], &want_lines[l]["gross"]);
        cents(&format!("{l} net"), &v["net"], &want_lines[l]["net"]);
    }
    // The lines a FinOps team must see on their own are there.
    for l in ["credits", "refunds", "tax", "discount-rows"] {
        assert!(lines.contains_key(l), "{l} line: {c:#}");
    }
    cents(
        "invoice total",
        &c["invoice_total"]["gross"],
        &bill["totals"]["invoice_total"],
    );
    let table = run(dir.path(), "table");
    assert!(table.contains("never add it to this total"), "{table}");
    let csv = run(dir.path(), "csv");
    assert!(csv
        .lines()
        .last()
        .expect("total")
        .starts_with("invoice-total,total,"));
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("report_full_bill_chargeback", table));
}

#[test]
fn chargeback_refuses_html_and_scenarios() {
    let o = curlab(&["report", "--scenario", "full-bill", "--chargeback"]);
    assert_eq!(o.status.code(), Some(2));
    let dir = generate("blog-launch", &[]);
    let export = dir.path().join("blog-launch");
    let o = curlab(&[
        "report",
        export.to_str().expect("utf-8"),
        "--chargeback",
        "--format",
        "html",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format table, csv or json"));
}

fn report_json(args: &[&str]) -> Value {
    let mut a = vec!["report"];
    a.extend_from_slice(args);
    a.extend(["--format", "json", "--quiet"]);
    let o = curlab(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("report json")
}

fn by_principal(r: &Value) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = r["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["key"][0].as_str().expect("key").to_string(),
                g["cost_usd"].as_f64().expect("cost"),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn cost_metrics_of_full_bill_match_the_truth_in_files_and_in_memory() {
    let dir = generate("full-bill", &[]);
    let t = truth(dir.path(), "full-bill");
    let export = dir.path().join("full-bill");
    let export = export.to_str().expect("utf-8");
    let unblended = report_json(&[export]);
    assert!(
        unblended.get("cost").is_none(),
        "unblended keeps the old shape"
    );
    let net = report_json(&[export, "--cost", "net"]);
    assert_eq!(net["cost"], "net");
    let amortized = report_json(&[export, "--cost", "amortized"]);
    assert_eq!(
        by_principal(&amortized),
        by_principal(&unblended),
        "amortized = unblended for Bedrock inference rows"
    );
    let want = t["bill"]["by_principal"].as_object().expect("truth");
    let got = by_principal(&net);
    assert_eq!(got.len(), want.len());
    for (arn, cost) in &got {
        cents(
            &format!("{arn} net"),
            &Value::from(*cost),
            &want[arn]["net"],
        );
    }
    for (arn, cost) in by_principal(&unblended) {
        cents(
            &format!("{arn} gross"),
            &Value::from(cost),
            &want[&arn]["gross"],
        );
    }
    // Net is lower than gross in this scenario (EDP and private rates apply).
    assert!(net["total_usd"].as_f64() < unblended["total_usd"].as_f64());
    let in_memory = report_json(&["--scenario", "full-bill", "--cost", "net"]);
    assert_eq!(by_principal(&in_memory), got, "files and --scenario agree");
    let o = curlab(&["report", export, "--cost", "net"]);
    let table = String::from_utf8(o.stdout).expect("utf-8");
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("report_full_bill_net", table));
}
