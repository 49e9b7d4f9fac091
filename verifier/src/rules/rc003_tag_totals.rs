//! RC003: per-tag-value totals differ from the truth.

use std::collections::BTreeSet;
use curlab_vocab::tags::IAM_PRINCIPAL_PREFIX;

use super::shared::{compare, reconciliation_skip};
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::money::{TOLERANCE_NANOS, to_nanos};
use crate::policy::full_tag_key;
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{rows, sample, values_table};

/// RC003.
pub struct TagTotals;

static META: RuleMeta = RuleMeta {
    code: "RC003",
    name: "tag-total-mismatch",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::Tags, Col::UnblendedCost],
        aggregates: &[Aggregate::SpendByTag],
        ..Needs::NONE
    },
    summary: "the Bedrock total of a tag value differs from the truth",
    checks: "For every key of the truth's `by_tag` and every value seen in the truth or the export, the Bedrock inference cost of rows carrying `tags[key] = value` equals the truth within $0.005.",
    why: "Team and cost-center reports group by these tags; a mismatch means tags were lost, overridden or applied too early.",
    example: "`iamPrincipal/team = ds`: truth $40.00, export $31.20.",
    fix: "Look for TG007/TG008/TG009 findings and for activation dates; backfill if activation came late.",
    sql: SqlForm::Query(sql),
};

impl Rule for TagTotals {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        reconciliation_skip(ctx)
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(t) = &ctx.truth else { return };
        let mut order = 0;
        for (key, values) in &t.by_tag {
            let full = full_tag_key(key);
            let actual = agg.by_tag.get(&full);
            let all: BTreeSet<&str> = values
                .keys()
                .map(String::as_str)
                .chain(
                    actual
                        .into_iter()
                        .flat_map(|a| a.keys().map(String::as_str)),
                )
                .collect();
            for v in all {
                let expected = values.get(v).copied().unwrap_or(0.0);
                let got = actual.and_then(|a| a.get(v)).copied().unwrap_or(0);
                compare(
                    out,
                    order,
                    &[("tag", full.clone()), ("value", v.to_string())],
                    expected,
                    got,
                );
                order += 1;
            }
        }
    }
}

/// The SQL form: a (truth key, value) whose Bedrock total differs; one per value of the truth or the
/// export.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let mut expected = Vec::new();
    let mut actual = Vec::new();
    for (key, values) in cx.ctx.truth.iter().flat_map(|t| t.by_tag.iter()) {
        let full = full_tag_key(key);
        for (v, cost) in values {
            expected.push(vec![d.lit(&full), d.lit(v), to_nanos(*cost).to_string()]);
        }
        // The native aggregates only see iamPrincipal/ keys.
        if full.starts_with(IAM_PRINCIPAL_PREFIX) {
            let k = d.lit(&full);
            actual.push(format!(
                "  SELECT {k} AS tag_key, coalesce({get}, '') AS tag_value, nanos FROM base WHERE inference AND {has}",
                get = d.map_get("tags", &k),
                has = d.map_has("tags", &k),
            ));
        }
    }
    actual.dedup();
    let truth = values_table(
        d,
        "e",
        &[
            ("tag_key", "VARCHAR"),
            ("tag_value", "VARCHAR"),
            ("nanos", "BIGINT"),
        ],
        &expected,
    );
    let export = if actual.is_empty() {
        format!("(SELECT CAST(NULL AS {v}) AS tag_key, CAST(NULL AS {v}) AS tag_value, CAST(0 AS BIGINT) AS nanos FROM (VALUES (0)) AS empty(x) WHERE 1 = 0) a", v = d.varchar())
    } else {
        format!(
            "(\n  SELECT tag_key, tag_value, sum(nanos) AS nanos FROM (\n{}\n  ) x GROUP BY tag_key, tag_value\n) a",
            actual.join("\n  UNION ALL\n")
        )
    };
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM {truth}\nFULL OUTER JOIN {export}\n  ON a.tag_key = e.tag_key AND a.tag_value = e.tag_value\nWHERE abs(coalesce(a.nanos, 0) - coalesce(e.nanos, 0)) > {TOLERANCE_NANOS}",
        s = sample(d, &[("tag", "coalesce(e.tag_key, a.tag_key)".into()), ("value", "coalesce(e.tag_value, a.tag_value)".into()), ("expected_nanos", d.to_str("coalesce(e.nanos, 0)")), ("actual_nanos", d.to_str("coalesce(a.nanos, 0)"))]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use curlab_vocab::truth::Truth;

    #[test]
    fn fires_on_tag_difference() {
        let mut c = ctx();
        c.truth = Some(Truth {
            by_tag: [(
                "iamPrincipal/team".to_string(),
                [("ds".to_string(), 0.8)].into(),
            )]
            .into(),
            ..Default::default()
        });
        assert_eq!(run(&TagTotals, &[inference()], &c).count, 0);
        c.truth = Some(Truth {
            by_tag: [("team".to_string(), [("ml".to_string(), 0.8)].into())].into(),
            ..Default::default()
        });
        assert_eq!(run(&TagTotals, &[inference()], &c).count, 2);
    }
}
