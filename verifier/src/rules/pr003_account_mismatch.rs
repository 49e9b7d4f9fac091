//! PR003: the principal's account is not the usage account.

use curlab_vocab::arn::{is_account_id, parse_principal};

use crate::context::Ctx;
use crate::facts::{Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{PRINCIPAL_RE, id, rows, sample};

/// PR003.
pub struct AccountMismatch;

static META: RuleMeta = RuleMeta {
    code: "PR003",
    name: "principal-account-mismatch",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Principal, Col::UsageAccount],
        facts: &[&ARN_ACCOUNT, &USAGE_ACCOUNT],
        ..Needs::NONE
    },
    summary: "the principal ARN's account differs from line_item_usage_account_id",
    checks: "The 12-digit account in a parseable `line_item_iam_principal` equals `line_item_usage_account_id` of the row: the principal that called Bedrock belongs to the account the usage is billed to.",
    why: "Cross-account roll-ups and showback by account assume the caller lives in the usage account; a mismatch means rows were mixed between accounts or rewritten.",
    example: "`line_item_usage_account_id = 111122223333`, principal `arn:aws:iam::444455556666:user/alice`.",
    fix: "Re-download the export; if a pipeline joins or rewrites accounts, fix it to keep the principal and usage account of the same line item together.",
    sql: SqlForm::Query(sql),
};

/// The 12-digit account of a principal ARN, as a number, when the ARN parses (once per distinct
/// principal).
static ARN_ACCOUNT: PerValue<Option<u64>> = PerValue {
    of: Distinct::Column(Col::Principal),
    fact: |p, _| {
        if p.trim().is_empty() {
            return None;
        }
        parse_principal(p).ok()?.account.parse().ok()
    },
};

/// A usage account to compare with: `None` when it is empty (nothing to compare), else its
/// number when it is 12 digits (once per distinct usage account).
static USAGE_ACCOUNT: PerValue<Option<Option<u64>>> = PerValue {
    of: Distinct::Column(Col::UsageAccount),
    fact: |a, _| (!a.is_empty()).then(|| is_account_id(a).then(|| a.parse().ok()).flatten()),
};

impl Rule for AccountMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let arn_accounts = v.facts(&ARN_ACCOUNT);
        if !arn_accounts.any() {
            return;
        }
        let usage_accounts = v.facts(&USAGE_ACCOUNT);
        for i in 0..v.len {
            // The ARN's account when it parses (12 digits), and the usage account's number
            // when it is 12 digits: equal numbers mean equal text.
            let Some(Some(arn_account)) = arn_accounts.at(i) else {
                continue;
            };
            let Some(Some(usage_account)) = usage_accounts.at(i) else {
                continue;
            };
            if *usage_account == Some(*arn_account) {
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
                            ("line_item_usage_account_id", v.usage_account(i).to_string()),
                        ],
                    ),
                );
            }
        }
    }
}

/// The SQL form: the account of a valid principal ARN differs from a non-empty usage account.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND {re}\n  AND usage_account <> '' AND split_part(principal, ':', 5) <> usage_account",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into()), ("line_item_usage_account_id", "usage_account".into())]),
        re = d.regex("principal", PRINCIPAL_RE),
    ))
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
