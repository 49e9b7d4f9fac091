//! PR002: a principal ARN that fits no identity grammar.

use super::{Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;

/// PR002.
pub struct MalformedArn;

static META: RuleMeta = RuleMeta {
    code: "PR002",
    name: "malformed-principal-arn",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["line_item_iam_principal"],
    summary: "line_item_iam_principal is not a valid IAM user, role, root user, assumed-role or federated-user ARN",
    checks: "A non-empty `line_item_iam_principal` parses as `arn:<partition>:iam::<12 digits>:user/[path/]<name>`, `...:role/[path/]<name>`, the account root user `arn:<partition>:iam::<12 digits>:root`, `arn:<partition>:sts::<12 digits>:assumed-role/<role>/<session>` or `...:federated-user/<name>`, with IAM name characters and lengths. The root user is listed with the others by the AWS Budgets API's `SpendPrincipal` pattern.",
    why: "Chargeback joins principals to users, roles and accounts by parsing the ARN; a malformed value lands in an `unknown` bucket or breaks the job.",
    example: "`arn:aws:sts::1234:assumed-role/Role` (short account id, no session name).",
    fix: "The value comes from AWS; if it is malformed the file was edited or produced by a faulty tool. Re-download the export; report genuinely malformed AWS data to AWS Support.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::pr002),
};

impl Rule for MalformedArn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        if v.any_principal_error() {
            super::hit_principal_problems(v, out, |f| f.error.as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_malformed_only() {
        assert_eq!(run(&MalformedArn, &[inference(), ec2()], &ctx()).count, 0);
        let bad = Row {
            principal: Some("arn:aws:sts::1234:assumed-role/Role"),
            ..inference()
        };
        assert_eq!(run(&MalformedArn, &[bad], &ctx()).count, 1);
    }

    #[test]
    fn the_account_root_user_is_a_valid_principal() {
        let root = Row {
            principal: Some("arn:aws:iam::111122223333:root"),
            ..inference()
        };
        assert_eq!(run(&MalformedArn, &[root], &ctx()).count, 0);
        let not_root = Row {
            principal: Some("arn:aws:iam::111122223333:root/alice"),
            ..inference()
        };
        assert_eq!(run(&MalformedArn, &[not_root], &ctx()).count, 1);
    }
}
