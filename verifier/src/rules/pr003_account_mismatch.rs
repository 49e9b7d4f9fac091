//! PR003: the principal's account is not the usage account.

use super::{Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;

/// PR003.
pub struct AccountMismatch;

static META: RuleMeta = RuleMeta {
    code: "PR003",
    name: "principal-account-mismatch",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["line_item_iam_principal", "line_item_usage_account_id"],
    summary: "the principal ARN's account differs from line_item_usage_account_id",
    checks: "The 12-digit account in a parseable `line_item_iam_principal` equals `line_item_usage_account_id` of the row: the principal that called Bedrock belongs to the account the usage is billed to.",
    why: "Cross-account roll-ups and showback by account assume the caller lives in the usage account; a mismatch means rows were mixed between accounts or rewritten.",
    example: "`line_item_usage_account_id = 111122223333`, principal `arn:aws:iam::444455556666:user/alice`.",
    fix: "Re-download the export; if a pipeline joins or rewrites accounts, fix it to keep the principal and usage account of the same line item together.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::pr003),
};

impl Rule for AccountMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for i in 0..v.len {
            // The ARN's account when it parses (12 digits), and the usage account's number
            // when it is 12 digits: equal numbers mean equal text.
            let Some(arn_account) = v.principal_facts(i).and_then(|f| f.account) else {
                continue;
            };
            let Some(a) = v.account_facts(i) else {
                continue;
            };
            if a.empty || a.number == Some(arn_account) {
                continue;
            }
            if let Some((p, _)) = v.principal(i) {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            ("line_item_iam_principal", p.to_string()),
                            ("line_item_usage_account_id", v.usage_account(i).to_string()),
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
    fn fires_on_other_account() {
        assert_eq!(run(&AccountMismatch, &[inference()], &ctx()).count, 0);
        let bad = Row {
            usage_account: "444455556666",
            ..inference()
        };
        assert_eq!(run(&AccountMismatch, &[bad], &ctx()).count, 1);
    }
}
