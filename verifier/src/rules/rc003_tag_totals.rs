//! RC003: per-tag-value totals differ from the truth.

use std::collections::BTreeSet;

use super::rc001_bedrock_total::{compare, reconciliation_skip};
use super::{Aggregates, Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;
use crate::policy::full_tag_key;

/// RC003.
pub struct TagTotals;

static META: RuleMeta = RuleMeta {
    code: "RC003",
    name: "tag-total-mismatch",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    columns: &["tags", "line_item_unblended_cost"],
    summary: "the Bedrock total of a tag value differs from the truth",
    checks: "For every key of the truth's `by_tag` and every value seen in the truth or the export, the Bedrock inference cost of rows carrying `tags[key] = value` equals the truth within $0.005.",
    why: "Team and cost-center reports group by these tags; a mismatch means tags were lost, overridden or applied too early.",
    example: "`iamPrincipal/team = ds`: truth $40.00, export $31.20.",
    fix: "Look for TG007/TG008/TG009 findings and for activation dates; backfill if activation came late.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::rc003),
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
