//! CT003: a pricing unit that does not match the token usage type's billing form.

use curlab_vocab::bedrock::{BillingForm, form_of_usage_type, token_type_of};

use crate::context::Ctx;
use crate::facts::{Distinct, Needs, PerValue, R_BEDROCK, R_USAGE, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// CT003.
pub struct PricingUnitMismatch;

static META: RuleMeta = RuleMeta {
    code: "CT003",
    name: "pricing-unit-mismatch",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::PricingUnit, Col::UsageType],
        facts: &[&TOKEN_FORM, &UNIT_FORM],
        ..Needs::NONE
    },
    summary: "a Bedrock token row's pricing_unit does not match its usage type's billing form",
    checks: "On Bedrock Usage rows whose usage type names a token type, `pricing_unit` is `1K tokens` for AWS-billed usage types (`USE1-Claude4.6Sonnet-input-tokens`, with any tier, `-long-context`, `-cross-region-global` or `-batch` suffix, and bedrock-mantle ones) and `Units` (1M tokens) for Marketplace usage types in either spelling (`USE1-MP:USE1_InputTokenCount_Global_Batch-Units`, `USE2-MP:USE2_input_tokens_standard-Units`). The spellings are listed in docs/export-format.md.",
    why: "The unit decides how usage converts to tokens (×1,000 or ×1,000,000); a wrong unit makes token counts and per-token prices off by 1,000×.",
    example: "`line_item_usage_type = USE1-MP:USE1_InputTokenCount-Units` with `pricing_unit = 1K tokens`.",
    fix: "Re-download the export; if a pipeline normalises units, keep `pricing_unit` consistent with the usage amount it writes.",
    sql: SqlForm::Query(sql),
};

/// The billing form a Bedrock token usage type's name implies (`None` for other usage types),
/// once per distinct usage type.
static TOKEN_FORM: PerValue<Option<BillingForm>> = PerValue {
    of: Distinct::Column(Col::UsageType),
    fact: |u, _| token_type_of(u).is_some().then(|| form_of_usage_type(u)),
};

/// The billing form a `pricing_unit` implies, once per distinct unit.
static UNIT_FORM: PerValue<Option<BillingForm>> = PerValue {
    of: Distinct::Column(Col::PricingUnit),
    fact: |u, _| BillingForm::from_pricing_unit(u),
};

impl Rule for PricingUnitMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let token_forms = v.facts(&TOKEN_FORM);
        if !token_forms.any() {
            return;
        }
        let unit_forms = v.facts(&UNIT_FORM);
        for i in 0..v.len {
            if v.flags(i) & (R_BEDROCK | R_USAGE) != R_BEDROCK | R_USAGE {
                continue;
            }
            let Some(Some(expected)) = token_forms.at(i).copied() else {
                continue;
            };
            let unit_form = match unit_forms.at(i) {
                Some(f) => *f,
                None => BillingForm::from_pricing_unit(""),
            };
            if unit_form != Some(expected) {
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

/// The SQL form: a Bedrock token Usage row whose pricing_unit does not match its usage type's form.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let lower = d.ascii_lower("usage_type");
    // The token words of every usage-type spelling (vocab's parser is the native test).
    let needles = curlab_vocab::bedrock::TOKEN_NEEDLES;
    let token: Vec<String> = needles.iter().map(|n| d.contains(&lower, n)).collect();
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE bedrock AND line_item_type = 'Usage'\n  AND ({token})\n  AND pricing_unit <> CASE WHEN {mp} THEN 'Units' ELSE '1K tokens' END",
        s = sample(d, &[id(), ("line_item_usage_type", "usage_type".into()), ("pricing_unit", "pricing_unit".into())]),
        token = token.join(" OR "),
        mp = d.contains("usage_type", "-MP:"),
    ))
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
