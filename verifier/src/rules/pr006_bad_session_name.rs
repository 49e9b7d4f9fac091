//! PR006: an assumed-role session name that breaks the STS rules.

use super::{Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;

/// PR006.
pub struct BadSessionName;

static META: RuleMeta = RuleMeta {
    code: "PR006",
    name: "invalid-session-name",
    family: Family::Principal,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["line_item_iam_principal"],
    summary: "an assumed-role session name breaks the STS RoleSessionName rules",
    checks: "The session part of an `assumed-role/<role>/<session>` principal is 2 to 64 characters of `[A-Za-z0-9_+=,.@-]`, as STS requires of RoleSessionName.",
    why: "STS rejects such names, so the value cannot come from a real AssumeRole call; usually a gateway or tool put a raw user id (with spaces, slashes or over 64 characters) where a sanitised one belongs.",
    example: "`arn:aws:sts::111122223333:assumed-role/Gateway/alice smith/team`.",
    fix: "Sanitise per-user session names in the gateway (replace other characters with `-`, shorten long ids with a hash) before calling AssumeRole.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::pr006),
};

impl Rule for BadSessionName {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        if v.any_session_error() {
            super::hit_principal_problems(v, out, |f| f.session_error.as_ref());
        }
    }
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
