//! The whole bill read back by DuckDB (issue #13): over the shipped `full-bill` export, plain
//! SQL on the Parquet files gives the truth file's gross and net per principal, per
//! `iamPrincipal/` tag, per application inference profile and the totals (invoice, discounts,
//! credits, refunds, tax, per billing period), to the cent; and every discounted row's
//! `discount` map, `discount_total_discount` and net cost agree.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::common::{curlab, generate, payer_exports, python, truth};

/// The queries: a reader's view of the bill, nothing curlab-specific beyond the column names.
const QUERIES: &str = r#"
import json, sys, duckdb
LATEST = """CREATE VIEW cur AS
WITH f AS (
  SELECT *,
    regexp_extract(filename, 'BILLING_PERIOD=([^/]+)/', 1) AS period_folder,
    regexp_extract(filename, 'BILLING_PERIOD=[^/]+/([^/]+)/', 1) AS execution
  FROM read_parquet('%s', filename = true, hive_partitioning = false))
SELECT * EXCLUDE (filename, period_folder, execution) FROM f
QUALIFY execution = max(execution) OVER (PARTITION BY period_folder)"""
con = duckdb.connect()
# Create-new delivery: a period delivered twice (a restated month) has two execution folders;
# only the latest, the greatest folder name, is the bill (docs/export-format.md).
con.execute(LATEST % sys.argv[1].replace("'", "''"))
q = lambda sql: con.execute(sql).fetchall()
net = "coalesce(line_item_net_unblended_cost, line_item_unblended_cost)"
bedrock = "line_item_line_item_type = 'Usage' AND product_product_family = 'Amazon Bedrock'"
out = {"periods": {}, "by_principal": {}, "by_tag": {}, "profiles": {}}
for period, total, usage, usage_net, public, disc, credits, refunds, tax in q(f"""
    SELECT strftime(bill_billing_period_start_date, '%Y-%m'),
      sum(line_item_unblended_cost),
      sum(line_item_unblended_cost) FILTER (WHERE line_item_line_item_type = 'Usage'),
      sum({net}) FILTER (WHERE line_item_line_item_type = 'Usage'),
      sum(pricing_public_on_demand_cost),
      coalesce(sum(discount_total_discount), 0),
      coalesce(sum(line_item_unblended_cost) FILTER (WHERE line_item_line_item_type = 'Credit'), 0),
      coalesce(sum(line_item_unblended_cost) FILTER (WHERE line_item_line_item_type = 'Refund'), 0),
      coalesce(sum(line_item_unblended_cost) FILTER (WHERE line_item_line_item_type = 'Tax'), 0)
    FROM cur GROUP BY 1 ORDER BY 1"""):
    out["periods"][period] = dict(invoice_total=total, unblended=usage, net_unblended=usage_net,
        public_on_demand=public, discounts=disc, credits=credits, refunds=refunds, tax=tax)
out["discount_rows"] = q("""SELECT coalesce(sum(line_item_unblended_cost), 0) FROM cur
    WHERE line_item_line_item_type IN ('EdpDiscount', 'PrivateRateDiscount')""")[0][0]
for arn, g, n, p, m in q(f"""SELECT line_item_iam_principal, sum(line_item_unblended_cost), sum({net}),
      sum(pricing_public_on_demand_cost),
      coalesce(sum(line_item_unblended_cost) FILTER (WHERE bill_billing_entity = 'AWS Marketplace'), 0)
    FROM cur WHERE {bedrock} AND coalesce(line_item_iam_principal, '') <> '' GROUP BY 1"""):
    out["by_principal"][arn] = [g, n, p, m]
for k, v, g, n in q(f"""SELECT e.key, e.value, sum(g), sum(n) FROM (
      SELECT unnest(map_entries(tags)) AS e, line_item_unblended_cost AS g, {net} AS n
      FROM cur WHERE {bedrock}) WHERE e.key LIKE 'iamPrincipal/%' GROUP BY 1, 2"""):
    out["by_tag"].setdefault(k, {})[v] = [g, n]
for arn, g, n in q(f"""SELECT line_item_resource_id, sum(line_item_unblended_cost), sum({net})
    FROM cur WHERE {bedrock} AND line_item_resource_id LIKE '%:application-inference-profile/%'
    GROUP BY 1"""):
    out["profiles"][arn] = [g, n]
out["map_mismatch"] = q("""SELECT count(*) FROM cur WHERE discount_total_discount IS NOT NULL
    AND (abs(list_sum(map_values(discount)) - discount_total_discount) > 1e-9
      OR abs(line_item_unblended_cost + discount_total_discount - line_item_net_unblended_cost) > 1e-9
      OR discount_total_discount >= 0)""")[0][0]
out["discounted_rows"] = q("SELECT count(*) FROM cur WHERE cardinality(discount) > 0")[0][0]
json.dump(out, open(sys.argv[2], "w"))
"#;

fn usd(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

/// Equal to the cent.
fn cents(what: &str, sql: f64, truth: f64) {
    assert!(
        (sql - truth).abs() < 0.005,
        "{what}: DuckDB {sql:.6} vs truth {truth:.6}"
    );
}

#[test]
fn duckdb_over_each_full_bill_export_matches_its_truth_gross_and_net_to_the_cent() {
    let dir = generate("full-bill", &[]);
    let payers = payer_exports(dir.path(), "full-bill");
    let ids: Vec<&str> = payers.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["210987654321", "456789012345"],
        "two payers, two exports"
    );
    for (id, export, t) in &payers {
        assert_eq!(t["export"]["payer_account_id"], id.as_str(), "{id}");
        duckdb_matches_the_truth(id, export, t);
    }
    // Only a payer activates cost allocation tags: the EMEA payer never activated
    // `cost-center`, so its export and truth have no such tag.
    let keys = |t: &Value| -> Vec<String> {
        t["bill"]["by_tag"]
            .as_object()
            .expect("by_tag")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        keys(&payers[0].2),
        ["iamPrincipal/cost-center", "iamPrincipal/team"]
    );
    assert_eq!(keys(&payers[1].2), ["iamPrincipal/team"]);
    // No principal is in both exports: each payer's members are its own.
    let principals = |t: &Value| -> Vec<String> {
        t["bill"]["by_principal"]
            .as_object()
            .expect("p")
            .keys()
            .cloned()
            .collect()
    };
    let (a, b) = (principals(&payers[0].2), principals(&payers[1].2));
    assert!(!a.is_empty() && !b.is_empty());
    assert!(a.iter().all(|p| !b.contains(p)), "{a:?} / {b:?}");
}

/// DuckDB over one export's Parquet files gives its truth's bill to the cent.
fn duckdb_matches_the_truth(payer: &str, export: &std::path::Path, t: &Value) {
    let bill = &t["bill"];
    let py = python("duckdb");
    let results = export.with_extension("bill.json");
    let glob = export.join("data/*/*/*.parquet");
    let o = Command::new(&py)
        .args(["-c", QUERIES])
        .arg(&glob)
        .arg(&results)
        .output()
        .expect("python runs");
    assert!(
        o.status.success(),
        "DuckDB queries failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let sql: Value =
        serde_json::from_str(&std::fs::read_to_string(&results).expect("results")).expect("json");

    // Totals, per billing period and overall.
    let fields = [
        "invoice_total",
        "unblended",
        "net_unblended",
        "public_on_demand",
        "discounts",
        "credits",
        "refunds",
        "tax",
    ];
    let periods = sql["periods"].as_object().expect("periods");
    assert_eq!(periods.len(), 2, "two billing periods");
    let mut overall: BTreeMap<&str, f64> = BTreeMap::new();
    for (period, s) in periods {
        let tp = &bill["totals_by_period"][period];
        for f in fields {
            cents(&format!("{period} {f}"), usd(&s[f]), usd(&tp[f]));
            *overall.entry(f).or_default() += usd(&s[f]);
        }
    }
    for f in fields {
        cents(&format!("total {f}"), overall[f], usd(&bill["totals"][f]));
    }
    cents(
        "discount rows",
        usd(&sql["discount_rows"]),
        usd(&bill["unattributable"]["discount-rows"]["gross"]),
    );
    // The bill is not trivial: discounts, credits or refunds, and tax all move it.
    assert!(usd(&bill["totals"]["discounts"]) < 0.0, "{payer}");
    assert!(
        usd(&bill["totals"]["credits"]) + usd(&bill["totals"]["refunds"]) < 0.0,
        "{payer}"
    );
    assert!(usd(&bill["totals"]["net_unblended"]) < usd(&bill["totals"]["unblended"]));

    // Per principal: gross, net, public on-demand, Marketplace.
    let tp = bill["by_principal"].as_object().expect("by_principal");
    let sp = sql["by_principal"].as_object().expect("by_principal");
    assert_eq!(
        sp.keys().collect::<Vec<_>>(),
        tp.keys().collect::<Vec<_>>(),
        "the same principals"
    );
    for (arn, s) in sp {
        let t = &tp[arn];
        for (i, f) in ["gross", "net", "public_on_demand", "marketplace"]
            .iter()
            .enumerate()
        {
            cents(&format!("{arn} {f}"), usd(&s[i]), usd(&t[f]));
        }
        assert!(
            usd(&t["net"]) < usd(&t["gross"]),
            "{payer} {arn}: every model is discounted"
        );
    }

    // Per iamPrincipal/ tag key and value.
    let tt = bill["by_tag"].as_object().expect("by_tag");
    let st = sql["by_tag"].as_object().expect("by_tag");
    assert_eq!(st.keys().collect::<Vec<_>>(), tt.keys().collect::<Vec<_>>());
    for (k, values) in st {
        let values = values.as_object().expect("values");
        assert_eq!(
            values.len(),
            tt[k].as_object().expect("values").len(),
            "{k}"
        );
        for (v, s) in values {
            cents(
                &format!("{k}={v} gross"),
                usd(&s[0]),
                usd(&tt[k][v]["gross"]),
            );
            cents(&format!("{k}={v} net"), usd(&s[1]), usd(&tt[k][v]["net"]));
        }
    }

    // Per application inference profile (the resource view).
    let profiles = bill["profiles"].as_array().expect("profiles");
    assert_eq!(
        profiles.len(),
        sql["profiles"].as_object().expect("profiles").len()
    );
    for p in profiles {
        let s = &sql["profiles"][p["arn"].as_str().expect("arn")];
        cents("profile gross", usd(&s[0]), usd(&p["cost"]["gross"]));
        cents("profile net", usd(&s[1]), usd(&p["cost"]["net"]));
    }

    // The chargeback reconciles to the invoice: principals + unattributable lines.
    let principals: f64 = tp.values().map(|m| usd(&m["gross"])).sum();
    let lines: f64 = bill["unattributable"]
        .as_object()
        .expect("unattributable")
        .values()
        .map(|m| usd(&m["gross"]))
        .sum();
    cents(
        "chargeback",
        principals + lines,
        usd(&bill["totals"]["invoice_total"]),
    );

    // Each discounted row: map sum = total discount < 0, unblended + total = net.
    assert_eq!(sql["map_mismatch"], 0);
    assert!(sql["discounted_rows"].as_u64().unwrap_or(0) > 0);
}

/// Per billing period and execution folder: rows, Σ unblended, late refund rows, and the
/// invoice ids of refund and other rows.
const DELIVERIES: &str = r#"
import json, sys, duckdb
rows = duckdb.connect().execute("""
  SELECT regexp_extract(filename, 'BILLING_PERIOD=([^/]+)/', 1) AS period,
    regexp_extract(filename, 'BILLING_PERIOD=[^/]+/([^/]+)/', 1) AS execution,
    count(*), sum(line_item_unblended_cost),
    count(*) FILTER (WHERE line_item_line_item_description = 'Refund for a Provisioned Throughput outage'),
    list(DISTINCT bill_invoice_id) FILTER (WHERE line_item_description_is_late),
    list(DISTINCT bill_invoice_id) FILTER (WHERE NOT line_item_description_is_late)
  FROM (SELECT *, line_item_line_item_description = 'Refund for a Provisioned Throughput outage'
          AS line_item_description_is_late
        FROM read_parquet('%s', filename = true, hive_partitioning = false))
  GROUP BY 1, 2 ORDER BY 1, 2""" % sys.argv[1].replace("'", "''")).fetchall()
json.dump([list(r) for r in rows], open(sys.argv[2], "w"))
"#;

#[test]
fn a_restated_month_is_delivered_twice_and_the_truth_is_the_latest() {
    let dir = generate("full-bill", &[]);
    let payers = payer_exports(dir.path(), "full-bill");
    let (_, export, t) = &payers[0];
    let r = &t["bill"]["restatements"]["2026-05"];
    assert_eq!(r["restated_at"], "2026-06-09", "{t:#}");
    assert_eq!(r["late_rows"], 1);
    cents("late adjustments", usd(&r["late_adjustments"]), -12.4);
    let may = &t["bill"]["totals_by_period"]["2026-05"];
    cents(
        "first delivery",
        usd(&r["first_invoice_total"]),
        usd(&may["invoice_total"]) + 12.4,
    );
    // The second payer restates nothing.
    assert!(payers[1].2["bill"].get("restatements").is_none());

    let out = export.with_extension("deliveries.json");
    let o = Command::new(python("duckdb"))
        .args(["-c", DELIVERIES])
        .arg(export.join("data/*/*/*.parquet"))
        .arg(&out)
        .output()
        .expect("python runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("json")).unwrap();
    let got = got.as_array().expect("rows");
    // May twice (its first delivery, then the restatement on 9 June), June once.
    let folders: Vec<(String, String)> = got
        .iter()
        .map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into()))
        .collect();
    assert_eq!(folders.len(), 3, "{folders:?}");
    assert_eq!(folders[0].0, "2026-05");
    assert!(
        folders[0].1.starts_with("2026-06-01T23:48:02.356Z-"),
        "{folders:?}"
    );
    assert_eq!(folders[1].0, "2026-05");
    assert!(
        folders[1].1.starts_with("2026-06-09T23:48:02.356Z-"),
        "{folders:?}"
    );
    assert_eq!(folders[2].0, "2026-06");
    let (first, latest) = (&got[0], &got[1]);
    // The restatement is the first delivery plus the late refund row.
    assert_eq!(first[4], 0, "the first delivery has no late refund");
    assert_eq!(latest[4], 1);
    assert_eq!(
        latest[2].as_u64().unwrap(),
        first[2].as_u64().unwrap() + 1,
        "one row more"
    );
    cents(
        "first delivery Σ",
        usd(&first[3]),
        usd(&r["first_invoice_total"]),
    );
    cents("restated Σ", usd(&latest[3]), usd(&may["invoice_total"]));
    // A glob over every execution folder counts May twice: that is the trap.
    let naive = usd(&first[3]) + usd(&latest[3]);
    assert!(
        (naive - usd(&may["invoice_total"])).abs() > 100.0,
        "{naive}"
    );
    // The late refund is on its own credit memo: an invoice id no other row of May has.
    let memo = latest[5].as_array().expect("ids");
    let month = latest[6].as_array().expect("ids");
    assert_eq!(memo.len(), 1);
    assert_eq!(month.len(), 1);
    assert_ne!(memo[0], month[0]);
    assert_eq!(memo[0].as_str().map(str::len), Some(10));

    // The manifest lists the latest delivery only, under its execution id.
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(
            export.join("metadata/BILLING_PERIOD=2026-05/full-bill-Manifest.json"),
        )
        .expect("manifest"),
    )
    .unwrap();
    let files = manifest["dataFiles"].as_array().expect("dataFiles");
    assert!(!files.is_empty());
    let exec = manifest["executionId"].as_str().expect("id");
    for f in files {
        let f = f.as_str().unwrap();
        assert!(
            f.contains(&format!(
                "/BILLING_PERIOD=2026-05/2026-06-09T23:48:02.356Z-{exec}/"
            )),
            "{f}"
        );
    }

    // verify reads the latest delivery only and is clean against the truth; the superseded
    // folder is a note.
    let truth_path = export.with_extension("truth.json");
    let o = curlab(&[
        "verify",
        export.to_str().unwrap(),
        "--truth",
        truth_path.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("superseded execution folder"), "{text}");
}

#[test]
fn verify_of_the_two_payer_root_checks_each_export_against_its_truth() {
    let dir = generate("full-bill", &[]);
    let root = dir.path().join("full-bill");
    let root = root.to_str().expect("utf-8");
    // `--truth` names the folder `curlab generate` wrote: each export's truth sits beside it.
    let o = curlab(&["verify", root, "--truth", root]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        text.contains("== export cur2/210987654321/full-bill =="),
        "{text}"
    );
    assert!(
        text.contains("== export cur2/456789012345/full-bill =="),
        "{text}"
    );
    assert!(text.contains("2 exports: 2 passed, 0 failed"), "{text}");
    let o = curlab(&["verify", root, "--truth", root, "--format", "json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).expect("json");
    let exports = doc["exports"].as_array().expect("exports");
    assert_eq!(exports.len(), 2);
    for e in exports {
        assert_eq!(e["exit_code"], 0, "{e}");
        let truth = e["truth"].as_str().expect("a truth per export");
        let export = e["export"].as_str().expect("export");
        assert!(
            truth.ends_with(&format!("{export}.truth.json")),
            "{truth} {export}"
        );
        assert_eq!(e["report"]["summary"]["errors"], 0, "{e}");
    }

    // One payer's truth disagrees: that export fails, the other passes, the run fails.
    let t = dir
        .path()
        .join("full-bill/cur2/456789012345/full-bill.truth.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
    let total = v["bedrock_cost_total"].as_f64().unwrap();
    v["bedrock_cost_total"] = Value::from(total + 5.0);
    std::fs::write(&t, serde_json::to_string(&v).unwrap()).unwrap();
    let o = curlab(&["verify", root, "--truth", root]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("2 exports: 1 passed, 1 failed"), "{text}");
    let second = text
        .split("== export cur2/456789012345")
        .nth(1)
        .expect("second");
    assert!(second.contains("RC001"), "{second}");

    // A truth file for a root of several exports is refused with the fix.
    let o = curlab(&["verify", root, "--truth", t.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("holds 2 exports") && err.contains("fix:"),
        "{err}"
    );
}

#[test]
fn full_bill_month_to_date_moves_its_credits_with_the_months() {
    // --as-of moves every date of the scenario, the adjustments' billing periods too.
    let dir = generate("full-bill", &["--as-of", "2026-11-20"]);
    let payer = dir.path().join("full-bill/cur2/210987654321");
    let t = truth(&payer, "full-bill");
    let periods = t["bill"]["totals_by_period"].as_object().expect("periods");
    assert_eq!(
        periods.keys().collect::<Vec<_>>(),
        ["2026-10", "2026-11"],
        "the two months move to the as-of date"
    );
    assert_eq!(usd(&periods["2026-10"]["credits"]), -25.0);
    assert_eq!(usd(&periods["2026-11"]["refunds"]), -4.5);
    let o = crate::common::curlab(&[
        "verify",
        dir.path().join("full-bill").to_str().expect("utf-8"),
        "--truth",
        dir.path().join("full-bill").to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
