//! CT009: a commitment row (Provisioned Throughput, Reserved tier) out of shape.

use curlab_vocab::bedrock::is_commitment_usage_type;

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{
    Aggregate, Aggregates, Distinct, Needs, PerValue, View, R_BEDROCK, R_INFERENCE, R_USAGE,
};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// CT009.
pub struct CommitmentShape;

static META: RuleMeta = RuleMeta {
    code: "CT009",
    name: "commitment-shape",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::UsageType, Col::UsageAmount],
        aggregates: &[Aggregate::Commitments],
        facts: &[&PRINCIPAL],
    },
    summary: "a commitment row (Provisioned Throughput, Reserved tier) carries a principal, or its commitment is not one constant row per time bucket",
    checks: "Commitment rows are Bedrock usage rows that are not model calls whose usage type names Provisioned Throughput model units (`…ProvisionedThroughput…ModelUnits…`) or the Reserved tier (`…_Reserved_…TPM…`), case-insensitively. Each must have an empty `line_item_iam_principal` (one offence per row). Per commitment — usage account, usage type, `line_item_resource_id` (the provisioned model; empty for the Reserved tier) — and billing period, `line_item_usage_amount` is the same on every row (the model units or reserved TPM ÷ 1000 bought; one offence per commitment and period whose amount changes) and there is one row per time bucket (one offence per extra row with an already seen `line_item_usage_start_date`). Row length and alignment are CT002's.",
    why: "A commitment is bought, not called: AWS bills Provisioned Throughput per model unit and hour whether or not it is used, and the Reserved tier per reserved tokens-per-minute, with no caller (curlab's stated choice, as no documented principal coverage includes them). A principal there charges one identity for capacity the organisation shares; an amount that changes mid-term or a bucket billed twice is not what the commitment's terms produce.",
    example: "`USE1-Nova2.0Lite-ProvisionedThroughput-1month-ModelUnits`, 1 model unit every hour of May except one hour with 2, and rows carrying `arn:aws:iam::111122223333:user/alice`.",
    fix: "Clear principals on commitment rows; for amounts and repeated buckets, re-download the export or look for a pipeline that split or merged commitment rows.",
    sql: SqlForm::Query(sql),
};

/// Whether a principal is present. Through this fact the principal column is read when the
/// export has it, without making it a column the rule needs: an export without principal data
/// still has its commitments' amounts and buckets checked.
static PRINCIPAL: PerValue<bool> = PerValue {
    of: Distinct::Column(Col::Principal),
    fact: |p, _| !p.trim().is_empty(),
};

impl Rule for CommitmentShape {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        if !v.facts(&PRINCIPAL).any() {
            return;
        }
        for i in 0..v.len {
            if v.flags(i) & (R_USAGE | R_BEDROCK | R_INFERENCE) != R_USAGE | R_BEDROCK {
                continue;
            }
            let Some(p) = v.principal(i) else { continue };
            if is_commitment_usage_type(v.usage_type(i)) {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            ("problem", "a principal on a commitment row".to_string()),
                            ("line_item_usage_type", v.usage_type(i).to_string()),
                            ("line_item_iam_principal", p.to_string()),
                        ],
                    ),
                );
            }
        }
    }

    fn finish(&self, agg: &Aggregates, _ctx: &Ctx, out: &mut Tally) {
        for ((account, usage_type, resource, period), line) in &agg.commitments {
            let what = |problem: String| {
                export_sample(
                    None,
                    [
                        ("problem", problem),
                        ("line_item_usage_account_id", account.clone()),
                        ("line_item_usage_type", usage_type.clone()),
                        ("line_item_resource_id", resource.clone()),
                        ("billing_period", period.clone()),
                    ],
                )
            };
            if line.min_amount != line.max_amount {
                out.hit_n(
                    1,
                    line.first.0,
                    None,
                    what(format!(
                        "usage amount changes within the period: {} to {}",
                        line.min_amount, line.max_amount
                    )),
                );
            }
            let buckets = line.starts.len() as u64;
            if line.rows > buckets {
                out.hit_n(
                    line.rows - buckets,
                    line.first.0,
                    None,
                    what(format!(
                        "{} rows in {buckets} time buckets: more than one row per bucket",
                        line.rows
                    )),
                );
            }
        }
    }
}

/// The commitment usage types as SQL (vocab `is_commitment_usage_type`).
fn commitment(d: crate::sql::Dialect) -> String {
    let u = d.ascii_lower("usage_type");
    format!(
        "(({} AND {}) OR ({} AND {}))",
        d.contains(&u, "provisionedthroughput"),
        d.contains(&u, "modelunits"),
        d.contains(&u, "_reserved_"),
        d.contains(&u, "tpm")
    )
}

/// The SQL form: principals per row, then amounts and buckets per commitment and period.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let rows_where = format!(
        "line_item_type = 'Usage' AND bedrock AND NOT inference AND {}",
        commitment(d)
    );
    let line = |problem: &str| {
        sample(
            d,
            &[
                ("problem", d.lit(problem)),
                ("line_item_usage_account_id", "usage_account".into()),
                ("line_item_usage_type", "usage_type".into()),
                ("line_item_resource_id", "rid".into()),
                ("billing_period", "billing_period".into()),
            ],
        )
    };
    let g = format!(
        "(SELECT usage_account, usage_type, coalesce(resource_id, '') AS rid, billing_period, min(usage_amount) AS lo, max(usage_amount) AS hi, count(*) AS c, count(DISTINCT start_ms) AS b\n  FROM base WHERE {rows_where}\n  GROUP BY usage_account, usage_type, coalesce(resource_id, ''), billing_period) g"
    );
    rows(format!(
        "SELECT 1 AS n, {row} AS sample\nFROM base\nWHERE {rows_where} AND principal IS NOT NULL\nUNION ALL\nSELECT 1 AS n, {amount} AS sample\nFROM {g} WHERE lo <> hi\nUNION ALL\nSELECT c - b AS n, {bucket} AS sample\nFROM {g} WHERE c > b",
        row = sample(
            d,
            &[
                id(),
                ("problem", d.lit("a principal on a commitment row")),
                ("line_item_usage_type", "usage_type".into()),
                ("line_item_iam_principal", "principal".into())
            ]
        ),
        amount = line("usage amount changes within the period"),
        bucket = line("more than one row per bucket"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    fn pt(hour: u32, amount: f64, principal: Option<&'static str>) -> Row<'static> {
        let start: &'static str = Box::leak(format!("2026-04-20T{hour:02}:00:00Z").into_boxed_str());
        Row {
            operation: "Usage",
            usage_type: "USE1-Nova2.0Lite-ProvisionedThroughput-1month-ModelUnits",
            pricing_unit: "Hrs",
            resource_id: Some("arn:aws:bedrock:us-east-1:111122223333:provisioned-model/1y5n57gh5y2e"),
            usage: Some(amount),
            cost: Some(55.0 * amount),
            principal,
            tags: tags(&[]),
            start: ts(start),
            inference: false,
            ..inference()
        }
    }

    #[test]
    fn clean_commitment() {
        let rows: Vec<_> = (0..4).map(|h| pt(h, 1.0, None)).collect();
        assert_eq!(run(&CommitmentShape, &rows, &ctx()).count, 0);
    }

    #[test]
    fn principal_amount_and_repeated_bucket() {
        let rows = vec![
            pt(0, 1.0, Some("arn:aws:iam::111122223333:user/alice")),
            pt(1, 1.0, None),
            pt(2, 2.0, None),
            pt(2, 1.0, None),
        ];
        // One principal, one changing amount, one extra row in hour 2.
        assert_eq!(run(&CommitmentShape, &rows, &ctx()).count, 3);
    }

    #[test]
    fn reserved_tier_lines_are_per_usage_type() {
        let input = Row {
            usage_type: "USE1-MP:USE1_Reserved_1Month_InputTPM_Geo-Units",
            pricing_unit: "Units",
            product_code: "AmazonBedrockService",
            resource_id: None,
            ..pt(0, 100.0, None)
        };
        let output = Row {
            usage_type: "USE1-MP:USE1_Reserved_1Month_OutputTPM_Geo-Units",
            usage: Some(10.0),
            ..input.clone()
        };
        assert_eq!(run(&CommitmentShape, &[input, output], &ctx()).count, 0);
    }
}
