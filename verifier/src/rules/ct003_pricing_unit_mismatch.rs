//! CT003: a pricing unit that does not match the token usage type's billing form.

use super::{Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;
use crate::view::{R_BEDROCK, R_USAGE};

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
    checks: "On Bedrock Usage rows whose usage type names a token type, `pricing_unit` is `1K tokens` for AWS-billed usage types (`USE1-Claude4.6Sonnet-input-tokens`, with any tier, `-long-context`, `-cross-region-global` or `-batch` suffix, and bedrock-mantle ones) and `Units` (1M tokens) for Marketplace usage types in either spelling (`USE1-MP:USE1_InputTokenCount_Global_Batch-Units`, `USE2-MP:USE2_input_tokens_standard-Units`). The spellings are listed in docs/export-format.md.",
    why: "The unit decides how usage converts to tokens (×1,000 or ×1,000,000); a wrong unit makes token counts and per-token prices off by 1,000×.",
    example: "`line_item_usage_type = USE1-MP:USE1_InputTokenCount-Units` with `pricing_unit = 1K tokens`.",
    fix: "Re-download the export; if a pipeline normalises units, keep `pricing_unit` consistent with the usage amount it writes.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::ct003),
};

impl Rule for PricingUnitMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            if v.flags(i) & (R_BEDROCK | R_USAGE) != R_BEDROCK | R_USAGE {
                continue;
            }
            // Token usage type and the form its name implies, once per distinct usage type
            // (`token_type_of`, `form_of_usage_type`); the unit's form once per distinct unit.
            let ut = v.usage_type_facts(i);
            let Some(expected) = ut.form.filter(|_| ut.token) else {
                continue;
            };
            if v.pricing_form(i) != Some(expected) {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            ("line_item_usage_type", v.usage_type(i).to_string()),
                            ("pricing_unit", v.pricing_unit(i).to_string()),
                            ("expected", expected.pricing_unit().to_string()),
                        ],
                    ),
                );
            }
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

    #[test]
    fn every_real_spelling_has_its_unit() {
        // (usage type, its unit): each is clean with its own unit and a finding with the other.
        let spellings = [
            (
                "USE1-Claude4Sonnet-input-tokens-long-context-cross-region-global",
                "1K tokens",
            ),
            (
                "USE1-Nova2.0Lite-input-tokens-cross-region-global-batch",
                "1K tokens",
            ),
            ("USE1-gpt-oss-120b-output-tokens-priority", "1K tokens"),
            (
                "USE1-openai.gpt-oss-120b-mantle-input-tokens-standard",
                "1K tokens",
            ),
            ("USE1-MP:USE1_InputTokenCount_Global_Batch-Units", "Units"),
            ("USE2-MP:USE2_input_tokens_standard-Units", "Units"),
            (
                "USE1-MP:USE1_cache_write_tokens_1h_global_standard-Units",
                "Units",
            ),
            ("USE1-MP:USE1_MillionBatchInputTokens-Units", "Units"),
        ];
        for (usage_type, unit) in spellings {
            let row = Row {
                usage_type,
                pricing_unit: unit,
                ..inference()
            };
            assert_eq!(
                run(&PricingUnitMismatch, std::slice::from_ref(&row), &ctx()).count,
                0,
                "{usage_type}"
            );
            let other = if unit == "Units" {
                "1K tokens"
            } else {
                "Units"
            };
            let bad = Row {
                pricing_unit: other,
                ..row
            };
            assert_eq!(
                run(&PricingUnitMismatch, &[bad], &ctx()).count,
                1,
                "{usage_type}"
            );
        }
    }
}
