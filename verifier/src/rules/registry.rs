//! The one table of rules, in code order, and its renderings (`curlab rules`, `curlab explain`,
//! `docs/rules.md`).

use super::*;
use crate::meta::RuleMeta;

/// Every rule, in code order.
pub static RULES: &[&dyn Rule] = &[
    &sc001_missing_column::MissingColumn,
    &sc002_wrong_type::WrongType,
    &sc003_column_case::ColumnCase,
    &sc004_map_as_string::MapAsString,
    &sc005_manifest_files::ManifestFiles,
    &sc006_manifest_columns::ManifestColumns,
    &sc007_outside_billing_period::OutsideBillingPeriod,
    &sc008_not_cur2_data::NotCur2Data,
    &pr001_missing_principal::MissingPrincipal,
    &pr002_malformed_arn::MalformedArn,
    &pr003_account_mismatch::AccountMismatch,
    &pr004_principal_on_non_bedrock::PrincipalOnNonBedrock,
    &pr005_principal_before_launch::PrincipalBeforeLaunch,
    &pr006_bad_session_name::BadSessionName,
    &tg001_principal_tag_without_principal::PrincipalTagWithoutPrincipal,
    &tg002_unprefixed_key::UnprefixedKey,
    &tg003_tag_charset::TagCharset,
    &tg004_aws_prefix::AwsPrefix,
    &tg005_too_many_tags::TooManyTags,
    &tg006_key_case_conflict::KeyCaseConflict,
    &tg007_inactive_key::InactiveKey,
    &tg008_tag_before_activation::TagBeforeActivation,
    &tg009_session_tag_lost::SessionTagLost,
    &gw001_gateway_collapsed::GatewayCollapsed,
    &gw002_dominant_session::DominantSession,
    &ct001_cost_rate_mismatch::CostRateMismatch,
    &ct002_time_misaligned::TimeMisaligned,
    &ct003_pricing_unit_mismatch::PricingUnitMismatch,
    &ct004_duplicate_line_item::DuplicateLineItem,
    &ct005_negative_usage::NegativeUsage,
    &rc001_bedrock_total::BedrockTotal,
    &rc002_principal_totals::PrincipalTotals,
    &rc003_tag_totals::TagTotals,
    &rc004_unattributed::Unattributed,
    &rc005_missing_principals::MissingPrincipals,
    &rc006_unexpected_principals::UnexpectedPrincipals,
    &po001_required_tag_coverage::RequiredTagCoverage,
    &po002_gateway_sessions::GatewaySessions,
    &po003_principal_not_allowed::PrincipalNotAllowed,
];

/// Every rule's metadata, in code order.
pub fn all() -> impl Iterator<Item = &'static RuleMeta> {
    RULES.iter().map(|r| r.meta())
}

/// Look a rule up by code (case-insensitive).
pub fn find(code: &str) -> Option<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code))
}

/// The `curlab rules` table.
pub fn render_table() -> String {
    let mut out = format!(
        "{:<6} {:<15} {:<8} {:<25} {:<11} {}\n",
        "CODE", "FAMILY", "SEVERITY", "APPLIES", "SQL", "SUMMARY"
    );
    for m in all() {
        out.push_str(&format!(
            "{:<6} {:<15} {:<8} {:<25} {:<11} {}\n",
            m.code,
            m.family.as_str(),
            m.severity.as_str(),
            m.applies.as_str(),
            m.sql.as_str(),
            m.summary
        ));
    }
    out
}

/// The `curlab explain CODE` text.
pub fn render_explain(m: &RuleMeta) -> String {
    let columns = if m.columns.is_empty() {
        "(schema and layout only)".to_string()
    } else {
        m.columns.join(", ")
    };
    format!(
        "{code} {name} ({family}, {sev}, applies: {applies})\n{summary}\n\nWhat it checks\n  {checks}\n\nWhy it matters\n  {why}\n\nExample\n  {example}\n\nHow to fix\n  {fix}\n\nColumns read\n  {columns}\n\nSQL (curlab sql)\n  {sql}\n",
        code = m.code,
        name = m.name,
        family = m.family.as_str(),
        sev = m.severity.as_str(),
        applies = m.applies.as_str(),
        summary = m.summary,
        checks = m.checks,
        why = m.why,
        example = m.example,
        fix = m.fix,
        sql = crate::sql::explain(m).replace('\n', "\n  "),
    )
}

/// `docs/rules.md`, generated from this table.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# curlab verify rules\n\n<!-- Generated from verifier/src/rules/registry.rs; regenerate with `UPDATE_DOCS=1 cargo test -p curlab-verifier`. -->\n\n",
    );
    out.push_str("Severity `error` fails `curlab verify` (exit 1); `warning` does only with `--strict`. A rule whose inputs are missing (a column, `--truth`, `--policy`) is reported as skipped with the reason, never as passed.\n\n");
    out.push_str("The SQL column says whether `curlab sql` emits the rule for Athena/Trino, Spark and DuckDB ([sql.md](sql.md)) or it runs only in the native verifier, and why.\n\n");
    out.push_str(
        "| Code | Name | Family | Severity | Applies | SQL | Summary |\n|---|---|---|---|---|---|---|\n",
    );
    for m in all() {
        out.push_str(&format!(
            "| [{c}](#{l}) | `{n}` | {f} | {s} | {a} | {sql} | {sum} |\n",
            c = m.code,
            l = m.code.to_lowercase(),
            n = m.name,
            f = m.family.as_str(),
            s = m.severity.as_str(),
            a = m.applies.as_str(),
            sql = m.sql.as_str(),
            sum = m.summary
        ));
    }
    for m in all() {
        let columns = if m.columns.is_empty() {
            "schema and layout only".to_string()
        } else {
            m.columns
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "\n## {code}\n\n`{name}` — {family}, {sev}, applies: {applies}. Columns: {columns}.\n\n{summary}.\n\n**What it checks.** {checks}\n\n**Why it matters.** {why}\n\n**Example.** {example}\n\n**How to fix.** {fix}\n\n**SQL.** {sql}\n",
            code = m.code,
            name = m.name,
            family = m.family.as_str(),
            sev = m.severity.as_str(),
            applies = m.applies.as_str(),
            summary = m.summary,
            checks = m.checks,
            why = m.why,
            example = m.example,
            fix = m.fix,
            sql = match m.sql {
                crate::sql::SqlForm::Query(_) => format!("`curlab sql --select {}` emits it; same count as `curlab verify`.", m.code),
                crate::sql::SqlForm::NativeOnly(why) => format!("Native only: {why}."),
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted_by_family() {
        let codes: Vec<&str> = all().map(|m| m.code).collect();
        let mut set = codes.clone();
        set.sort();
        set.dedup();
        assert_eq!(set.len(), codes.len());
        for m in all() {
            assert_eq!(m.code.len(), 5);
            assert!(
                !m.checks.is_empty()
                    && !m.why.is_empty()
                    && !m.example.is_empty()
                    && !m.fix.is_empty()
            );
        }
    }

    #[test]
    fn docs_rules_md_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md");
        let rendered = render_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &rendered).expect("write docs/rules.md");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == rendered,
            "docs/rules.md is out of date with the rule registry; regenerate it with `UPDATE_DOCS=1 cargo test -p curlab-verifier`"
        );
    }
}
