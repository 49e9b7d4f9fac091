//! PR004: a principal on a non-Bedrock row.

use crate::context::Ctx;
use crate::facts::{Needs, R_BEDROCK, R_PRINCIPAL, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// PR004.
pub struct PrincipalOnNonBedrock;

static META: RuleMeta = RuleMeta {
    code: "PR004",
    name: "principal-on-non-bedrock",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Principal, Col::ProductCode],
        ..Needs::NONE
    },
    summary: "a row of another service carries an IAM principal",
    checks: "Only Amazon Bedrock rows (AWS-billed product codes, product family `Amazon Bedrock`, or Marketplace-billed Bedrock editions) carry `line_item_iam_principal`; EC2, S3, Lambda and every other service leave it empty.",
    why: "AWS populates the principal for Bedrock only; a principal on an EC2 row means rows were mislabelled, and any per-principal chargeback then includes spend the principal did not cause.",
    example: "`line_item_product_code = AmazonEC2` with `line_item_iam_principal = arn:aws:iam::111122223333:user/alice`.",
    fix: "Re-download the export; if a pipeline fills the principal, restrict it to Bedrock rows.",
    sql: SqlForm::Query(sql),
};

impl Rule for PrincipalOnNonBedrock {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            if v.flags(i) & (R_PRINCIPAL | R_BEDROCK) != R_PRINCIPAL {
                continue;
            }
            if let Some(p) = v.principal(i) {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            ("line_item_iam_principal", p.to_string()),
                            ("line_item_product_code", v.product_code(i).to_string()),
                        ],
                    ),
                );
            }
        }
    }
}

/// The SQL form: a principal on a row that is not Amazon Bedrock.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND NOT bedrock",
        s = sample(
            d,
            &[
                id(),
                ("line_item_iam_principal", "principal".into()),
                ("line_item_product_code", "product_code".into())
            ]
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_ec2_with_principal() {
        assert_eq!(
            run(&PrincipalOnNonBedrock, &[inference(), ec2()], &ctx()).count,
            0
        );
        let bad = Row {
            principal: Some("arn:aws:iam::111122223333:user/alice"),
            ..ec2()
        };
        assert_eq!(run(&PrincipalOnNonBedrock, &[bad], &ctx()).count, 1);
    }
}
