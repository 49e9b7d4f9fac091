//! `curlab report --chargeback`: over the shipped `full-bill` export, the principals and the
//! unattributable lines equal the truth file's gross and net to the cent and add up to the
//! invoice total; the table is pinned by a snapshot.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{curlab, generate, payer_exports};

fn run(export: &std::path::Path, format: &str) -> String {
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
fn chargeback_of_each_full_bill_export_reconciles_to_its_truth_and_invoice() {
    let dir = generate("full-bill", &[]);
    let payers = payer_exports(dir.path(), "full-bill");
    assert_eq!(payers.len(), 2, "two payers, two exports");
    for (i, (payer, export, t)) in payers.iter().enumerate() {
        // The first payer's lines; the second payer has a credit but no refund.
        let must: &[&str] = if i == 0 {
            &["credits", "refunds", "tax", "discount-rows"]
        } else {
            &["credits", "tax", "discount-rows"]
        };
        let table = chargeback_matches(payer, export, t, must);
        if i == 0 {
            // The first payer's inference profile: its resource view is shown apart.
            assert!(table.contains("never add it to this total"), "{table}");
            let mut s = insta::Settings::clone_current();
            s.set_snapshot_path("../../snapshots");
            s.set_prepend_module_to_snapshot(false);
            s.bind(|| insta::assert_snapshot!("report_full_bill_chargeback", table));
        }
    }
}

/// `report --chargeback` over one export equals its truth's bill; returns the table.
pub(crate) fn chargeback_matches(
    payer: &str,
    export: &std::path::Path,
    t: &Value,
    must: &[&str],
) -> String {
    let bill = &t["bill"];
    let c: Value = serde_json::from_str(&run(export, "json")).expect("json");
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
    for l in must {
        assert!(lines.contains_key(*l), "{payer}: {l} line: {c:#}");
    }
    cents(
        "invoice total",
        &c["invoice_total"]["gross"],
        &bill["totals"]["invoice_total"],
    );
    let table = run(export, "table");
    let csv = run(export, "csv");
    assert!(csv
        .lines()
        .last()
        .expect("total")
        .starts_with("invoice-total,total,"));
    table
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
    // Both payers' principals: the report reads every export under the multi-payer folder, and
    // `--scenario` simulates every payer.
    let mut want = serde_json::Map::new();
    for (_, _, t) in payer_exports(dir.path(), "full-bill") {
        want.extend(
            t["bill"]["by_principal"]
                .as_object()
                .expect("truth")
                .clone(),
        );
    }
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

/// A report grouped by a profile's resource tag says, in the table and in JSON, that it holds
/// the same dollars as the principal view; a report by principal does not carry the note.
#[test]
fn the_resource_view_says_it_is_not_added_to_the_principal_view() {
    let dir = generate("full-bill", &[]);
    let export = dir.path().join("full-bill");
    let export = export.to_str().expect("utf-8");
    let report = |by: &str, format: &str| {
        let o = curlab(&["report", export, "--group-by", by, "--format", format]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).expect("utf-8")
    };
    let table = report("resource-tag:Application", "table");
    assert!(
        table.contains("Note: Resource view") && table.contains("never both"),
        "{table}"
    );
    let j: Value = serde_json::from_str(&report("resource-tag:Application", "json")).expect("json");
    assert!(
        j["note"].as_str().is_some_and(|n| n.contains("never both")),
        "{j:#}"
    );
    // The profile's rows are in the resource view once and in the principal view once.
    let by_principal: Value = serde_json::from_str(&report("principal", "json")).expect("json");
    assert!(by_principal.get("note").is_none());
    assert!(!report("principal", "table").contains("Resource view"));
    cents("same total", &j["total_usd"], &by_principal["total_usd"]);
}

/// `[[budgets]]` over full-bill: with a limit every principal reaches, PO004 reports each
/// (principal, period), and per principal the reported spend adds up to the truth's
/// `public_on_demand` (PublicOnDemandCost) or `net` (EstimatedContractedCost), and the
/// Marketplace spend the public metric misses to its `marketplace`.
#[test]
fn budgets_per_principal_use_the_truths_metrics() {
    let dir = generate("full-bill", &[]);
    // The first payer's export against its own truth (full-bill has two payers).
    let (_, export, t) = payer_exports(dir.path(), "full-bill")
        .into_iter()
        .next()
        .expect("a payer");
    let want = t["bill"]["by_principal"].as_object().expect("principals");
    let policy = dir.path().join("budgets.toml");
    let dollars = |v: &Value| -> f64 {
        v.as_str()
            .and_then(|s| s.strip_prefix('$'))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not dollars: {v}"))
    };
    for (metric, field) in [
        ("PublicOnDemandCost", "public_on_demand"),
        ("EstimatedContractedCost", "net"),
    ] {
        std::fs::write(
            &policy,
            format!("[[budgets]]\nname = \"all\"\nmetric = \"{metric}\"\nlimit = 0.000001\n"),
        )
        .expect("policy");
        let o = curlab(&[
            "verify",
            export.to_str().expect("utf-8"),
            "--policy",
            policy.to_str().expect("utf-8"),
            "--select",
            "PO004",
            "--format",
            "json",
            "--max-samples",
            "1000",
        ]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let r: Value = serde_json::from_slice(&o.stdout).expect("json");
        let f = &r["findings"][0];
        assert_eq!(f["rule"], "PO004");
        let mut spend: BTreeMap<String, (f64, f64, usize)> = BTreeMap::new();
        for s in f["samples"].as_array().expect("samples") {
            let v = &s["values"];
            assert_eq!(v["limit_status"], "LIMIT_REACHED");
            assert_eq!(v["metric"], metric);
            let e = spend
                .entry(v["principal"].as_str().expect("principal").to_string())
                .or_default();
            e.0 += dollars(&v["spend"]);
            if metric == "PublicOnDemandCost" {
                e.1 += dollars(&v["marketplace_not_in_metric"]);
            } else {
                assert!(v.get("marketplace_not_in_metric").is_none());
            }
            e.2 += 1;
        }
        assert_eq!(
            f["count"].as_u64(),
            Some(spend.values().map(|e| e.2 as u64).sum())
        );
        for (arn, w) in want {
            // Principals with no spend under this metric never reach the limit.
            let wanted = w[field].as_f64().expect(field);
            let (got, marketplace, periods) = spend.get(arn).copied().unwrap_or_default();
            // Each period's amount is shown to the cent.
            let slack = 0.005 * periods.max(1) as f64 + 1e-9;
            assert!(
                (got - wanted).abs() <= slack,
                "{metric} {arn}: {got} vs {wanted}"
            );
            if metric == "PublicOnDemandCost" && periods > 0 {
                let m = w["marketplace"].as_f64().expect("marketplace");
                assert!(
                    (marketplace - m).abs() <= slack,
                    "{arn} marketplace {marketplace} vs {m}"
                );
            }
        }
    }
    // Marketplace-only principals are invisible to PublicOnDemandCost: the truth has some.
    assert!(want
        .values()
        .any(|w| w["public_on_demand"].as_f64() == Some(0.0)
            && w["marketplace"].as_f64() > Some(0.0)));
}
