//! The whole bill read back by DuckDB (issue #13): over the shipped `full-bill` export, plain
//! SQL on the Parquet files gives the truth file's gross and net per principal, per
//! `iamPrincipal/` tag, per application inference profile and the totals (invoice, discounts,
//! credits, refunds, tax, per billing period), to the cent; and every discounted row's
//! `discount` map, `discount_total_discount` and net cost agree.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::common::{generate, python, truth};

/// The queries: a reader's view of the bill, nothing curlab-specific beyond the column names.
const QUERIES: &str = r#"
import json, sys, duckdb
con = duckdb.connect()
con.execute("CREATE VIEW cur AS SELECT * FROM read_parquet('%s', hive_partitioning = false)"
            % sys.argv[1].replace("'", "''"))
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
fn duckdb_over_full_bill_matches_the_truth_gross_and_net_to_the_cent() {
    let dir = generate("full-bill", &[]);
    let t = truth(dir.path(), "full-bill");
    let bill = &t["bill"];
    let py = python("duckdb");
    let results = dir.path().join("bill.json");
    let glob = dir.path().join("full-bill/data/*/*.parquet");
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
    // The bill is not trivial: discounts, credits, refunds and tax all move it.
    for f in ["discounts", "credits", "refunds"] {
        assert!(usd(&bill["totals"][f]) < 0.0, "{f}");
    }
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
            "{arn}: every model is discounted"
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

#[test]
fn full_bill_month_to_date_moves_its_credits_with_the_months() {
    // --as-of moves every date of the scenario, the adjustments' billing periods too.
    let dir = generate("full-bill", &["--as-of", "2026-11-20"]);
    let t = truth(dir.path(), "full-bill");
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
        dir.path()
            .join("full-bill.truth.json")
            .to_str()
            .expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
