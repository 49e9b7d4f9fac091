//! RC001: the Bedrock total differs from the truth.

use super::{export_sample, usd, Aggregates, Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;
use crate::money::{to_dollars, to_nanos, TOLERANCE_NANOS};

/// RC001.
pub struct BedrockTotal;

static META: RuleMeta = RuleMeta {
    code: "RC001",
    name: "bedrock-total-mismatch",
    family: Family::Reconciliation,
    severity: Severity::Error,
    applies: Applicability::Truth,
    columns: &["line_item_unblended_cost", "line_item_product_code", "line_item_operation", "line_item_line_item_type"],
    summary: "the export's Bedrock inference total differs from the truth",
    checks: "The sum of `line_item_unblended_cost` over Bedrock inference Usage rows (AWS- and Marketplace-billed) equals the truth's `bedrock_cost_total` within $0.005. Sums are exact (integer nano-dollars).",
    why: "If the export's total is off, every per-principal or per-tag report built on it is off too.",
    example: "Truth $1,234.56, export $1,240.12.",
    fix: "For a generated export, see which fault the truth lists; for a real one, compare against Cost Explorer filtered to Amazon Bedrock and look for missing or duplicated files.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::rc001),
};

/// Why reconciliation rules cannot run on this input, if they cannot.
pub fn reconciliation_skip(ctx: &Ctx) -> Option<String> {
    let truth = ctx.truth.as_ref()?;
    let p = ctx.period.as_ref()?;
    (truth.export.billing_periods != [p.clone()]).then(|| {
        format!(
            "--period {p} reads part of the export, but the truth covers {}",
            truth.export.billing_periods.join(", ")
        )
    })
}

/// Compare two totals and record a hit when they differ by more than half a cent.
pub fn compare(
    out: &mut Tally,
    order: usize,
    what: &[(&str, String)],
    expected: f64,
    actual_nanos: i128,
) {
    let diff = actual_nanos.saturating_sub(to_nanos(expected));
    if diff.saturating_abs() > TOLERANCE_NANOS {
        let mut values: Vec<(String, String)> = what
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        values.push(("expected".into(), usd(expected)));
        values.push(("actual".into(), usd(to_dollars(actual_nanos))));
        values.push(("difference".into(), usd(to_dollars(diff))));
        out.hit_n(
            1,
            order,
            Some(to_dollars(diff.saturating_abs())),
            export_sample(None, values),
        );
    }
}

impl Rule for BedrockTotal {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        reconciliation_skip(ctx)
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(t) = &ctx.truth else { return };
        compare(out, 0, &[], t.bedrock_cost_total, agg.bedrock_nanos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use curlab_vocab::truth::Truth;

    #[test]
    fn fires_on_total_difference() {
        let mut c = ctx();
        c.truth = Some(Truth {
            bedrock_cost_total: 0.8,
            ..Default::default()
        });
        assert_eq!(run(&BedrockTotal, &[inference(), ec2()], &c).count, 0);
        c.truth = Some(Truth {
            bedrock_cost_total: 0.9,
            ..Default::default()
        });
        assert_eq!(run(&BedrockTotal, &[inference()], &c).count, 1);
    }
}
