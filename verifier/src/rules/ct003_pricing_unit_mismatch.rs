//! CT003: a pricing unit that does not match the token usage type's billing form.

use curlab_vocab::bedrock::{form_of_usage_type, token_type_of, BillingForm};

use super::{Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;
use crate::row::Row;

/// CT003.
pub struct PricingUnitMismatch;

static META: RuleMeta = RuleMeta {
    code: "CT003",
    name: "pricing-unit-mismatch",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["pricing_unit", "line_item_usage_type"],
    summary: "a Bedrock token row's pricing_unit does not match its usage type's billing form",
    checks: "On Bedrock Usage rows whose usage type names a token type, `pricing_unit` is `1K tokens` for AWS-billed usage types (`USE1-Claude4.6Sonnet-input-tokens`) and `Units` (1M tokens) for Marketplace usage types (`USE1-MP:USE1_InputTokenCount-Units`).",
    why: "The unit decides how usage converts to tokens (×1,000 or ×1,000,000); a wrong unit makes token counts and per-token prices off by 1,000×.",
    example: "`line_item_usage_type = USE1-MP:USE1_InputTokenCount-Units` with `pricing_unit = 1K tokens`.",
    fix: "Re-download the export; if a pipeline normalises units, keep `pricing_unit` consistent with the usage amount it writes.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::ct003),
};

impl Rule for PricingUnitMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_row(&self, row: &Row<'_>, _ctx: &Ctx, out: &mut Tally) {
        if !row.bedrock || row.line_item_type != "Usage" || token_type_of(row.usage_type).is_none()
        {
            return;
        }
        let expected = form_of_usage_type(row.usage_type);
        if BillingForm::from_pricing_unit(row.pricing_unit) != Some(expected) {
            out.hit(
                row.file,
                row.cost,
                row.sample([
                    ("line_item_usage_type", row.usage_type.to_string()),
                    ("pricing_unit", row.pricing_unit.to_string()),
                    ("expected", expected.pricing_unit().to_string()),
                ]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_wrong_unit() {
        let mp = Row {
            usage_type: "USE1-MP:USE1_InputTokenCount-Units",
            pricing_unit: "Units",
            product_code: "4a524th30q694o538qndh9ucht",
            billing_entity: "AWS Marketplace",
            product_name: "Claude Sonnet 4.6 (Amazon Bedrock Edition)",
            ..inference()
        };
        assert_eq!(
            run(
                &PricingUnitMismatch,
                &[inference(), mp.clone(), ec2()],
                &ctx()
            )
            .count,
            0
        );
        let bad = Row {
            pricing_unit: "1K tokens",
            ..mp
        };
        assert_eq!(run(&PricingUnitMismatch, &[bad], &ctx()).count, 1);
    }
}
