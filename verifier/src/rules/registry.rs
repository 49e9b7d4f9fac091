//! The table of rules (declared in `rules/mod.rs`) and what is read off it: selection by code
//! (`--select`, `--ignore`), `curlab rules`, `curlab explain`, `docs/rules.md`.

use super::RULES;
use crate::context::context_from_files;
use crate::error::VerifyError;
use crate::meta::{Applicability, RuleMeta};
use crate::rule::Rule;
use crate::sql::dialect::Dialect;
use crate::sql::form::{SqlCx, SqlForm};

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

fn matches_token(code: &str, token: &str) -> bool {
    let t = token.trim();
    t.eq_ignore_ascii_case("ALL")
        || (!t.is_empty()
            && code
                .to_ascii_uppercase()
                .starts_with(&t.to_ascii_uppercase()))
}

/// The rules `--select` and `--ignore` leave, in registry order.
pub fn select(select: &[String], ignore: &[String]) -> Result<Vec<&'static dyn Rule>, VerifyError> {
    for (flag, tokens) in [("--select", select), ("--ignore", ignore)] {
        for t in tokens.iter().filter(|t| !t.trim().is_empty()) {
            if !all().any(|m| matches_token(m.code, t)) {
                return Err(VerifyError::Usage(format!(
                    "unknown rule code `{t}` in {flag}; fix: use codes or prefixes listed by `curlab rules` (e.g. PR001, PR, ALL)"
                )));
            }
        }
    }
    Ok(RULES
        .iter()
        .copied()
        .filter(|r| {
            let code = r.meta().code;
            (select.iter().all(|t| t.trim().is_empty())
                || select.iter().any(|t| matches_token(code, t)))
                && !ignore.iter().any(|t| matches_token(code, t))
        })
        .collect())
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
    let columns = if m.needs.columns.is_empty() {
        "(schema and layout only)".to_string()
    } else {
        let names: Vec<&str> = m.needs.columns.iter().map(|c| c.name()).collect();
        names.join(", ")
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
        sql = explain_sql(m).replace('\n', "\n  "),
    )
}

/// One rule's SQL for `curlab explain`: its violations query in Athena/Trino SQL, or why it has
/// none here.
fn explain_sql(m: &RuleMeta) -> String {
    match m.sql {
        SqlForm::NativeOnly(why) => format!("native only: {why}"),
        SqlForm::Query(f) => {
            if m.applies != Applicability::Always {
                return format!(
                    "yes; built from the inputs it needs ({}), e.g. `curlab sql --dialect athena --truth FILE --select {}`",
                    m.applies.as_str(),
                    m.code
                );
            }
            let ctx = context_from_files(None, None, None).unwrap_or_default();
            let v = f(&SqlCx {
                d: Dialect::Athena,
                ctx: &ctx,
            });
            format!(
                "yes (`curlab sql --select {}`); over `base`, the table's columns normalised as the native reader does:\n{}",
                m.code,
                v.sql
            )
        }
    }
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
        let columns = if m.needs.columns.is_empty() {
            "schema and layout only".to_string()
        } else {
            m.needs
                .columns
                .iter()
                .map(|c| format!("`{}`", c.name()))
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
                SqlForm::Query(_) => format!("`curlab sql --select {}` emits it; same count as `curlab verify`.", m.code),
                SqlForm::NativeOnly(why) => format!("Native only: {why}."),
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
