//! PR002: a principal ARN that fits no identity grammar.

use curlab_vocab::arn::parse_principal;

use super::shared::hit_principal_problems;
use crate::context::Ctx;
use crate::facts::{Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{PRINCIPAL_RE, id, rows, sample};

/// PR002.
pub struct MalformedArn;

static META: RuleMeta = RuleMeta {
    code: "PR002",
    name: "malformed-principal-arn",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Principal],
        facts: &[&PARSE_ERROR],
        ..Needs::NONE
    },
    summary: "line_item_iam_principal is not a valid IAM user, role, root user, assumed-role or federated-user ARN",
    checks: "A non-empty `line_item_iam_principal` parses as `arn:<partition>:iam::<12 digits>:user/[path/]<name>`, `...:role/[path/]<name>`, the account root user `arn:<partition>:iam::<12 digits>:root`, `arn:<partition>:sts::<12 digits>:assumed-role/<role>/<session>` or `...:federated-user/<name>`, with IAM name characters and lengths. The root user is listed with the others by the AWS Budgets API's `SpendPrincipal` pattern.",
    why: "Chargeback joins principals to users, roles and accounts by parsing the ARN; a malformed value lands in an `unknown` bucket or breaks the job.",
    example: "`arn:aws:sts::1234:assumed-role/Role` (short account id, no session name).",
    fix: "The value comes from AWS; if it is malformed the file was edited or produced by a faulty tool. Re-download the export; report genuinely malformed AWS data to AWS Support.",
    sql: SqlForm::Query(sql),
};

/// Why a principal is not a principal ARN, if it is not (once per distinct principal).
static PARSE_ERROR: PerValue<Option<String>> = PerValue {
    of: Distinct::Column(Col::Principal),
    fact: |p, _| {
        if p.trim().is_empty() {
            return None;
        }
        parse_principal(p).err().map(|e| e.to_string())
    },
};

impl Rule for MalformedArn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let errors = v.facts(&PARSE_ERROR);
        if errors.any() {
            hit_principal_problems(v, out, &errors);
        }
    }
}

/// The SQL form: a principal that is not a valid IAM/STS principal ARN.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND NOT {re}",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into())]),
        re = d.regex("principal", PRINCIPAL_RE),
    ))
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
