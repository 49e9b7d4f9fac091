//! The rules as SQL (`curlab sql`) and the table they run on (`curlab ddl`), for Amazon
//! Athena/Trino, Apache Spark and DuckDB.
//!
//! Every rule's [`RuleMeta::sql`](crate::meta::RuleMeta::sql) says whether it has a SQL form
//! (a builder in the rule's own file, see `form.rs`) or runs only in the native verifier, and
//! why. [`rule_set`] puts the selected rules into one query that returns one row per rule:
//! `code`, `violations` (the count `curlab verify` reports, in the same unit) and `sample` (up
//! to five offending rows or totals). The truth file, when given, is inlined as `VALUES` lists.
//!
//! The query reads the table through two CTEs: `src` renames and normalises the columns the
//! way the native reader does (blank strings as NULL, NULL text as `''`, timestamps as UTC
//! epoch milliseconds) and `base` adds the Bedrock classification of `curlab_vocab::bedrock`.
//! A column that is NULL on every row of a non-empty table is what an absent column looks like
//! through a table definition; rules reading it are then reported as skipped (violations
//! NULL), as `curlab verify` skips rules whose column no data file has.
//!
//! Nothing here names a rule: shared pieces of the rules' SQL are in `fragment.rs`, dialect
//! spellings in [`dialect`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::context::{context_from_files, Ctx};
use crate::error::VerifyError;
use crate::meta::Family;
use crate::money::to_nanos;
use crate::rule::Rule;
use crate::rules::registry;

pub mod ddl;
pub mod dialect;
pub(crate) mod form;
pub(crate) mod fragment;

pub use dialect::Dialect;
pub use form::SqlForm;
use form::{Cte, SqlCx, Violations};
use fragment::{values_table, BLANK_RE};

/// What `curlab sql` emits.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    /// Target dialect.
    pub dialect: Dialect,
    /// The table (`name`, `db.name` or `catalog.db.name`).
    pub table: String,
    /// Rule codes or prefixes to include (empty: all).
    pub select: Vec<String>,
    /// Rule codes or prefixes to leave out.
    pub ignore: Vec<String>,
    /// Truth file: enables (and is inlined into) the truth rules.
    pub truth: Option<PathBuf>,
    /// Policy file: the activation table, and rule applicability.
    pub policy: Option<PathBuf>,
    /// Only the reconciliation rules (RC), which need `truth`.
    pub reconcile: bool,
}

/// Check a table name: one to three dot-separated parts of letters, digits and `_`.
pub fn check_table_name(name: &str) -> Result<(), VerifyError> {
    let parts: Vec<&str> = name.split('.').collect();
    let ok = (1..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            p.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(VerifyError::Usage(format!(
            "--table `{name}` is not a table name; fix: use letters, digits and _ (optionally db.table)"
        )))
    }
}

const LAYOUT_NOTE: &str =
    "over a table of the CUR 2.0 columns plus the billing_period partition (`curlab ddl`)";

/// The `src` and `base` CTEs over `table`.
fn base_ctes(d: Dialect, table: &str) -> String {
    let blank_to_null = |c: &str| {
        format!(
            "CASE WHEN {c} IS NULL OR {} THEN NULL ELSE {c} END",
            d.regex(c, BLANK_RE)
        )
    };
    let text = |c: &str| format!("coalesce({c}, '')");
    let cols: Vec<(String, &str)> = vec![
        (blank_to_null("identity_line_item_id"), "line_item_id"),
        (blank_to_null("identity_time_interval"), "time_interval"),
        (text("bill_billing_entity"), "billing_entity"),
        (text("line_item_line_item_type"), "line_item_type"),
        (text("line_item_operation"), "operation"),
        (text("line_item_product_code"), "product_code"),
        (text("line_item_usage_account_id"), "usage_account"),
        (text("line_item_usage_type"), "usage_type"),
        (text("pricing_unit"), "pricing_unit"),
        (text("product_product_family"), "product_family"),
        (
            format!(
                "coalesce({}, '')",
                d.map_get("product", &d.lit("product_name"))
            ),
            "product_name",
        ),
        (blank_to_null("line_item_iam_principal"), "principal"),
        ("line_item_unblended_cost".into(), "cost"),
        ("line_item_usage_amount".into(), "usage_amount"),
        ("line_item_net_unblended_cost".into(), "net_cost"),
        ("discount_total_discount".into(), "total_discount"),
        (blank_to_null("line_item_unblended_rate"), "rate"),
        ("line_item_usage_start_date".into(), "usage_start"),
        ("line_item_usage_end_date".into(), "usage_end"),
        ("bill_billing_period_start_date".into(), "period_start"),
        (d.epoch_ms("line_item_usage_start_date"), "start_ms"),
        (d.epoch_ms("line_item_usage_end_date"), "end_ms"),
        (d.epoch_ms("bill_billing_period_start_date"), "period_ms"),
        ("tags".into(), "tags"),
        ("billing_period".into(), "billing_period"),
    ];
    let select: Vec<String> = cols
        .iter()
        .map(|(e, a)| format!("    {e} AS {a}"))
        .collect();
    let codes: Vec<String> = curlab_vocab::bedrock::BEDROCK_PRODUCT_CODES
        .iter()
        .map(|c| d.lit(c))
        .collect();
    let bedrock = format!(
        "(product_code IN ({}) OR product_family = 'Amazon Bedrock' OR (billing_entity = 'AWS Marketplace' AND {}))",
        codes.join(", "),
        d.contains("product_name", "Bedrock")
    );
    format!(
        "src AS (\n  SELECT\n{}\n  FROM {}\n),\nbase AS (\n  SELECT src.*,\n    {bedrock} AS bedrock,\n    ({bedrock} AND line_item_type = 'Usage' AND operation IN ('{}', '{}')) AS inference,\n    CAST(round(coalesce(cost, 0) * 1E9) AS BIGINT) AS nanos\n  FROM src\n)",
        select.join(",\n"),
        d.ident(table),
        curlab_vocab::bedrock::OP_INVOKE,
        curlab_vocab::bedrock::OP_INVOKE_STREAMING,
    )
}

fn shared_cte(cx: &SqlCx<'_>, cte: Cte) -> String {
    match cte {
        Cte::FirstPrincipal => "first_principal AS (\n  SELECT min(start_ms) AS first_ms FROM base WHERE principal IS NOT NULL\n)".into(),
        Cte::Spend => "spend AS (\n  SELECT usage_account, principal, sum(nanos) AS nanos, count(*) AS row_count\n  FROM base WHERE inference\n  GROUP BY usage_account, principal\n)".into(),
        Cte::Principals => "principals AS (\n  SELECT principal, sum(nanos) AS nanos FROM spend WHERE principal IS NOT NULL GROUP BY principal\n)".into(),
        Cte::TruthPrincipals => format!("truth_principals AS (\n  {}\n)", indent(&truth_principals_values(cx))),
    }
}

/// The truth's principals: every ARN of `by_principal` (with its expected nanos) or
/// `principals` (without).
fn truth_principals_values(cx: &SqlCx<'_>) -> String {
    let d = cx.d;
    let mut all: BTreeMap<&str, Option<i128>> = BTreeMap::new();
    if let Some(t) = &cx.ctx.truth {
        for p in &t.principals {
            all.insert(p.arn.as_str(), None);
        }
        for (p, cost) in &t.by_principal {
            all.insert(p.as_str(), Some(to_nanos(*cost)));
        }
    }
    let rows: Vec<Vec<String>> = all
        .into_iter()
        .map(|(arn, n)| {
            vec![
                d.lit(arn),
                n.map_or_else(|| "CAST(NULL AS BIGINT)".to_string(), |n| n.to_string()),
            ]
        })
        .collect();
    let t = values_table(d, "t", &[("arn", "VARCHAR"), ("nanos", "BIGINT")], &rows);
    format!("SELECT arn, nanos FROM {t}")
}

fn indent(s: &str) -> String {
    s.replace('\n', "\n  ")
}

/// The rules `curlab sql` can emit for these options, and the ones it leaves out with why.
pub struct SqlPlan {
    /// Rules in the query.
    pub included: Vec<&'static dyn Rule>,
    /// Rules left out: (code, why).
    pub left_out: Vec<(&'static str, String)>,
    /// The rules' context.
    pub ctx: Ctx,
}

/// Decide which selected rules go into the query.
pub fn plan(opts: &SqlOptions) -> Result<SqlPlan, VerifyError> {
    check_table_name(&opts.table)?;
    if opts.reconcile && opts.truth.is_none() {
        return Err(VerifyError::Usage(
            "--reconcile compares with a truth file; fix: add --truth <export>.truth.json".into(),
        ));
    }
    let selected = registry::select(&opts.select, &opts.ignore)?;
    let ctx = context_from_files(opts.truth.as_deref(), opts.policy.as_deref(), None)?;
    let mut included = Vec::new();
    let mut left_out = Vec::new();
    for rule in selected {
        let m = rule.meta();
        if opts.reconcile && m.family != Family::Reconciliation {
            continue;
        }
        if let SqlForm::NativeOnly(why) = m.sql {
            left_out.push((m.code, format!("native only: {why}")));
            continue;
        }
        let unmet = m.applies.unmet(ctx.truth.is_some(), ctx.policy.is_some());
        match unmet.or_else(|| rule.skip_reason(&ctx)) {
            Some(why) => left_out.push((m.code, why)),
            None => included.push(rule),
        }
    }
    Ok(SqlPlan {
        included,
        left_out,
        ctx,
    })
}

/// The `curlab sql` query.
pub fn rule_set(opts: &SqlOptions) -> Result<String, VerifyError> {
    let plan = plan(opts)?;
    if plan.included.is_empty() {
        let why: Vec<String> = plan
            .left_out
            .iter()
            .map(|(c, w)| format!("{c} ({w})"))
            .collect();
        return Err(VerifyError::Usage(format!(
            "no selected rule can run as SQL here: {}; fix: select other rules (`curlab rules` shows which have SQL) or give --truth",
            why.join("; ")
        )));
    }
    Ok(compose(opts.dialect, &opts.table, &plan))
}

/// Put the planned rules into one query.
pub fn compose(d: Dialect, table: &str, plan: &SqlPlan) -> String {
    let cx = SqlCx { d, ctx: &plan.ctx };
    let built: Vec<(&'static str, Vec<&'static str>, Violations)> = plan
        .included
        .iter()
        .filter_map(|r| match r.meta().sql {
            SqlForm::Query(f) => {
                let m = r.meta();
                // A column AWS leaves null on every row of an ordinary export (the net and
                // discount columns without a discount program) is not taken for absent.
                let columns = m
                    .needs
                    .columns
                    .iter()
                    .filter(|c| !c.null_everywhere_is_normal())
                    .map(|c| c.name())
                    .collect();
                Some((m.code, columns, f(&cx)))
            }
            SqlForm::NativeOnly(_) => None,
        })
        .collect();

    let mut out = format!(
        "-- curlab sql --dialect {}: {} rule{} of `curlab verify` {LAYOUT_NOTE} {}.\n",
        d.as_str(),
        built.len(),
        if built.len() == 1 { "" } else { "s" },
        d.ident(table)
    );
    out.push_str("-- One row per rule: code; violations, the count `curlab verify` reports (NULL when the rule is\n-- skipped, with the reason in sample); sample, up to five offending rows or totals.\n");
    for (code, why) in &plan.left_out {
        out.push_str(&format!("-- Not included: {code}, {why}.\n"));
    }

    let mut ctes = vec![base_ctes(d, table)];
    let mut columns: Vec<&str> = built
        .iter()
        .flat_map(|(_, c, _)| c.iter().copied())
        .collect();
    columns.sort();
    columns.dedup();
    let counts: Vec<String> = std::iter::once("count(*) AS row_count".to_string())
        .chain(columns.iter().map(|c| format!("count({c}) AS c_{c}")))
        .collect();
    ctes.push(format!(
        "presence AS (\n  SELECT {}\n  FROM {}\n)",
        counts.join(",\n    "),
        d.ident(table)
    ));
    let mut shared: Vec<Cte> = built
        .iter()
        .flat_map(|(_, _, v)| v.uses.iter().copied())
        .collect();
    shared.sort();
    shared.dedup();
    ctes.extend(shared.into_iter().map(|c| shared_cte(&cx, c)));
    for (code, _, v) in &built {
        ctes.push(format!(
            "v_{} AS (\n  {}\n)",
            code.to_lowercase(),
            indent(&v.sql)
        ));
    }
    let results: Vec<String> = built
        .iter()
        .map(|(code, _, _)| {
            format!(
                "  SELECT '{code}' AS code, CAST(coalesce(sum(n), 0) AS BIGINT) AS violations, {} AS sample FROM v_{}",
                d.top5("sample"),
                code.to_lowercase()
            )
        })
        .collect();
    ctes.push(format!(
        "results AS (\n{}\n)",
        results.join("\n  UNION ALL\n")
    ));
    let skips: Vec<String> = built
        .iter()
        .filter(|(_, cols, _)| !cols.is_empty())
        .map(|(code, cols, _)| {
            let whens: Vec<String> = cols
                .iter()
                .map(|c| {
                    format!(
                        "WHEN c_{c} = 0 THEN {}",
                        d.lit(&format!("skipped: column {c} is null on every row (the data files lack it)"))
                    )
                })
                .collect();
            format!(
                "  SELECT '{code}' AS code, CASE {} END AS reason FROM presence WHERE row_count > 0",
                whens.join(" ")
            )
        })
        .collect();
    if skips.is_empty() {
        ctes.push(format!(
            "skipped AS (\n  SELECT CAST(NULL AS {v}) AS code, CAST(NULL AS {v}) AS reason FROM presence WHERE 1 = 0\n)",
            v = d.varchar()
        ));
    } else {
        ctes.push(format!(
            "skipped AS (\n{}\n)",
            skips.join("\n  UNION ALL\n")
        ));
    }
    out.push_str("WITH\n");
    out.push_str(&ctes.join(",\n"));
    out.push_str(
        "\nSELECT r.code,\n  CASE WHEN s.reason IS NULL THEN r.violations END AS violations,\n  coalesce(s.reason, r.sample) AS sample\nFROM results r\nLEFT JOIN skipped s ON s.code = r.code\nORDER BY r.code;\n",
    );
    out
}
