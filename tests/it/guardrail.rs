//! `[assumptions] guardrail_principal`: by default (`none`) Bedrock Guardrails rows carry no
//! principal and their cost is the unattributable `bedrock-other-charges` line; with `caller`
//! they carry the `[[background]] caller` and its `iamPrincipal/` tags, and the truth's
//! `bill.by_principal` and `bill.by_tag`, `verify` and `report --chargeback` follow. Both over
//! `full-bill`'s first payer.

use std::process::Command;

use serde_json::Value;

use crate::chargeback::chargeback_matches;
use crate::common::{curlab, payer_exports, python};

/// Per principal: guardrail rows, those with an `iamPrincipal/team` tag, their Σ cost.
const GUARDRAIL_ROWS: &str = r#"
import json, sys, duckdb
rows = duckdb.connect().execute("""
  SELECT coalesce(line_item_iam_principal, ''), count(*),
    count(*) FILTER (WHERE list_contains(map_entries(tags),
      {'key': 'iamPrincipal/team', 'value': 'support'})),
    sum(line_item_unblended_cost)
  FROM read_parquet('%s', filename = true, hive_partitioning = false)
  WHERE line_item_usage_type LIKE '%%Guardrail%%'
    AND filename NOT LIKE '%%2026-06-01T23:48:02.356Z%%'
  GROUP BY 1 ORDER BY 1""" % sys.argv[1].replace("'", "''")).fetchall()
json.dump([list(r) for r in rows], open(sys.argv[2], "w"))
"#;

/// Generate `full-bill` (edited by `edits`) and return the first payer's export and truth.
fn first_payer(dir: &std::path::Path, edits: &[(&str, &str)]) -> (std::path::PathBuf, Value) {
    let mut src = std::fs::read_to_string(format!(
        "{}/scenarios/full-bill.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("scenario");
    for (from, to) in edits {
        assert!(src.contains(from), "edit anchor {from}");
        src = src.replacen(from, to, 1);
    }
    let file = dir.join("full-bill.toml");
    std::fs::write(&file, src).expect("write");
    let o = curlab(&[
        "generate",
        file.to_str().expect("utf-8"),
        "--out",
        dir.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut p = payer_exports(dir, "full-bill");
    let (_, export, t) = p.remove(0);
    (export, t)
}

fn guardrail_rows(export: &std::path::Path) -> Vec<Value> {
    let out = export.with_extension("guardrails.json");
    let o = Command::new(python("duckdb"))
        .args(["-c", GUARDRAIL_ROWS])
        .arg(export.join("data/*/*/*.parquet"))
        .arg(&out)
        .output()
        .expect("python runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("json")).unwrap();
    v.as_array().expect("rows").clone()
}

fn usd(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

fn verify_clean(export: &std::path::Path) {
    let truth = export.with_extension("truth.json");
    let o = curlab(&[
        "verify",
        export.to_str().expect("utf-8"),
        "--truth",
        truth.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn guardrail_rows_carry_the_caller_only_when_asked() {
    let none = tempfile::tempdir().expect("tmp");
    let (export_none, t_none) = first_payer(none.path(), &[]);
    let caller = tempfile::tempdir().expect("tmp");
    let (export_caller, t_caller) = first_payer(
        caller.path(),
        &[
            ("[export]", "[assumptions]\nguardrail_principal = \"caller\"\n\n[export]"),
            (
                "service = \"bedrock-guardrails\"\naccount = \"ml-prod\"",
                "service = \"bedrock-guardrails\"\naccount = \"ml-prod\"\ncaller = \"role:SupportBotRole\"",
            ),
        ],
    );

    // Default: no guardrail row has a principal (first delivery of May left out).
    let rows = guardrail_rows(&export_none);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0], "", "no principal: {rows:?}");
    let cost = usd(&rows[0][3]);
    assert!(cost > 1.0, "the guardrail costs something: {cost}");

    // caller: every guardrail row carries the support bot's session and its team tag.
    let rows = guardrail_rows(&export_caller);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let arn = rows[0][0].as_str().expect("arn").to_string();
    assert!(arn.contains(":assumed-role/SupportBotRole/"), "{arn}");
    assert_eq!(
        rows[0][1], rows[0][2],
        "every row tagged team=support: {rows:?}"
    );
    assert!(
        (usd(&rows[0][3]) - cost).abs() < 1e-6,
        "the same cost, moved"
    );

    // The truth moves the guardrail's cost from the unattributable line to the caller.
    let (b0, b1) = (&t_none["bill"], &t_caller["bill"]);
    let line = |b: &Value| {
        b["unattributable"]["bedrock-other-charges"]["gross"]
            .as_f64()
            .unwrap_or(0.0)
    };
    assert!(
        (line(b0) - line(b1) - cost).abs() < 0.005,
        "{} {}",
        line(b0),
        line(b1)
    );
    for f in ["gross", "net", "public_on_demand"] {
        let d = usd(&b1["by_principal"][&arn][f]) - usd(&b0["by_principal"][&arn][f]);
        assert!((d - cost).abs() < 0.005, "{arn} {f}: +{d} vs {cost}");
    }
    let team = |b: &Value| usd(&b["by_tag"]["iamPrincipal/team"]["support"]["gross"]);
    assert!((team(b1) - team(b0) - cost).abs() < 0.005);
    // The invoice and the model-inference totals do not change.
    assert_eq!(b0["totals"], b1["totals"]);
    assert_eq!(t_none["by_principal"], t_caller["by_principal"]);

    // verify is clean either way, and the chargeback follows its truth.
    verify_clean(&export_none);
    verify_clean(&export_caller);
    chargeback_matches(
        "caller",
        &export_caller,
        &t_caller,
        &["bedrock-other-charges"],
    );
}

#[test]
fn guardrail_principal_caller_needs_one_caller() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = std::fs::read_to_string(format!(
        "{}/scenarios/full-bill.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("scenario")
    .replacen(
        "[export]",
        "[assumptions]\nguardrail_principal = \"caller\"\n\n[export]",
        1,
    );
    let file = dir.path().join("x.toml");
    for (edit, want) in [
        (None, "guardrail_principal = \"caller\" needs the principal"),
        (Some("user:*"), "names 2 principals"),
        (Some("user:nobody"), "matches no principal"),
    ] {
        let text = match edit {
            None => src.clone(),
            Some(sel) => src.replacen(
                "service = \"bedrock-guardrails\"\naccount = \"ml-prod\"",
                &format!(
                    "service = \"bedrock-guardrails\"\naccount = \"ml-prod\"\ncaller = \"{sel}\""
                ),
                1,
            ),
        };
        std::fs::write(&file, text).expect("write");
        let o = curlab(&[
            "generate",
            file.to_str().expect("utf-8"),
            "--out",
            dir.path().to_str().expect("utf-8"),
            "--quiet",
        ]);
        assert_eq!(o.status.code(), Some(2), "{edit:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(want) && err.contains("background"),
            "{edit:?}: {err}"
        );
    }
}
