//! PR006: an assumed-role session name that breaks the STS rules.

use curlab_vocab::arn::{check_session_name, parse_principal};

use super::shared::hit_principal_problems;
use crate::context::Ctx;
use crate::facts::{Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{ASSUMED_ROLE_RE, GOOD_SESSION_RE, id, rows, sample};

/// PR006.
pub struct BadSessionName;

static META: RuleMeta = RuleMeta {
    code: "PR006",
    name: "invalid-session-name",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Principal],
        facts: &[&SESSION_ERROR],
        ..Needs::NONE
    },
    summary: "an assumed-role session name breaks the STS RoleSessionName rules",
    checks: "The session part of an `assumed-role/<role>/<session>` principal is 2 to 64 characters of `[A-Za-z0-9_+=,.@-]`, as STS requires of RoleSessionName.",
    why: "STS rejects such names, so the value cannot come from a real AssumeRole call; usually a gateway or tool put a raw user id (with spaces, slashes or over 64 characters) where a sanitised one belongs.",
    example: "`arn:aws:sts::111122223333:assumed-role/Gateway/alice smith/team`.",
    fix: "Sanitise per-user session names in the gateway (replace other characters with `-`, shorten long ids with a hash) before calling AssumeRole.",
    sql: SqlForm::Query(sql),
};

/// Why an assumed-role principal's session name breaks the STS rules, if it does (once per
/// distinct principal).
static SESSION_ERROR: PerValue<Option<String>> = PerValue {
    of: Distinct::Column(Col::Principal),
    fact: |p, _| {
        if p.trim().is_empty() {
            return None;
        }
        let session = parse_principal(p).ok()?.session?;
        check_session_name(session).err().map(|e| e.to_string())
    },
};

impl Rule for BadSessionName {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let errors = v.facts(&SESSION_ERROR);
        if errors.any() {
            hit_principal_problems(v, out, &errors);
        }
    }
}

/// The SQL form: a valid assumed-role ARN whose session name breaks the STS rules.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND {ar} AND NOT {good}",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into())]),
        ar = d.regex("principal", ASSUMED_ROLE_RE),
        good = d.regex("principal", GOOD_SESSION_RE),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_one_char_session() {
        let ok = Row {
            principal: Some("arn:aws:sts::111122223333:assumed-role/Gw/alice@acme.org"),
            ..inference()
        };
        assert_eq!(run(&BadSessionName, &[ok], &ctx()).count, 0);
        let bad = Row {
            principal: Some("arn:aws:sts::111122223333:assumed-role/Gw/x"),
            ..inference()
        };
        assert_eq!(run(&BadSessionName, &[bad], &ctx()).count, 1);
        let root = Row {
            principal: Some("arn:aws:iam::111122223333:root"),
            ..inference()
        };
        assert_eq!(
            run(&BadSessionName, &[root], &ctx()).count,
            0,
            "the root user has no session name to check"
        );
    }
}
