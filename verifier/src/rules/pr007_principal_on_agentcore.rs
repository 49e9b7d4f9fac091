//! PR007: a principal on an Amazon Bedrock AgentCore row.

use curlab_vocab::bedrock::AGENTCORE_PRODUCT_CODE;

use crate::context::Ctx;
use crate::facts::{Needs, View, R_PRINCIPAL};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// PR007.
pub struct PrincipalOnAgentCore;

static META: RuleMeta = RuleMeta {
    code: "PR007",
    name: "principal-on-agentcore",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Principal, Col::ProductCode],
        ..Needs::NONE
    },
    summary: "an Amazon Bedrock AgentCore row carries an IAM principal",
    checks: "Rows with `line_item_product_code = AmazonBedrockAgentCore` (Runtime, Gateway, Memory, the tools) leave `line_item_iam_principal` empty, whatever their line item type.",
    why: "AWS documents that AgentCore bills under its own service, which IAM principal attribution does not cover (Amazon Bedrock AgentCore developer guide, per-agent cost with IAM); its model calls are attributed to the runtime's execution role on the Bedrock rows, and AgentCore compute is attributed by resource id. A principal on an AgentCore row was put there by a parser or a synthesis, and a chargeback by principal would count the compute twice or against the wrong identity. (The MAP tagging guide's advice to tag the role used for AgentCore API calls concerns those model calls, not these rows.)",
    example: "`line_item_product_code = AmazonBedrockAgentCore`, `line_item_usage_type = USE1-Runtime:Consumption-based:vCPU`, `line_item_iam_principal = arn:aws:sts::111122223333:assumed-role/AgentRuntimeRole/BedrockAgentCore-1f2e`.",
    fix: "Clear the principal on AgentCore rows in the pipeline that wrote it; attribute AgentCore compute by `line_item_resource_id` (the runtime ARN) and its tags.",
    sql: SqlForm::Query(sql),
};

impl Rule for PrincipalOnAgentCore {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            if !v.is(i, R_PRINCIPAL) || v.product_code(i) != AGENTCORE_PRODUCT_CODE {
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
                            ("line_item_usage_type", v.usage_type(i).to_string()),
                        ],
                    ),
                );
            }
        }
    }
}

/// The SQL form: a principal on an AgentCore row.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND product_code = {code}",
        code = d.lit(AGENTCORE_PRODUCT_CODE),
        s = sample(
            d,
            &[
                id(),
                ("line_item_iam_principal", "principal".into()),
                ("line_item_usage_type", "usage_type".into())
            ]
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    fn agentcore(principal: Option<&'static str>) -> Row<'static> {
        Row {
            operation: "Usage",
            product_code: "AmazonBedrockAgentCore",
            product_family: "Amazon Bedrock AgentCore",
            usage_type: "USE1-Runtime:Consumption-based:vCPU",
            pricing_unit: "vCPU-Hours",
            principal,
            tags: tags(&[]),
            bedrock: false,
            inference: false,
            ..inference()
        }
    }

    #[test]
    fn fires_only_on_agentcore_rows_with_a_principal() {
        let ok = [agentcore(None), inference()];
        assert_eq!(run(&PrincipalOnAgentCore, &ok, &ctx()).count, 0);
        let bad = [agentcore(Some(
            "arn:aws:sts::111122223333:assumed-role/AgentRuntimeRole/BedrockAgentCore-1f2e",
        ))];
        assert_eq!(run(&PrincipalOnAgentCore, &bad, &ctx()).count, 1);
    }
}
