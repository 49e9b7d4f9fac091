//! PO003: a principal outside the policy's allowed patterns.

use crate::context::Ctx;
use crate::facts::{Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// PO003.
pub struct PrincipalNotAllowed;

static META: RuleMeta = RuleMeta {
    code: "PO003",
    name: "principal-not-allowed",
    family: Family::Policy,
    severity: Severity::Error,
    applies: Applicability::Policy,
    needs: Needs {
        columns: &[Col::Principal],
        facts: &[&REFUSED],
        ..Needs::NONE
    },
    summary: "a principal calling Bedrock matches none of the policy's allowed patterns",
    checks: "Every principal on a Bedrock inference row matches at least one glob of the policy's `principals.allowed` (`*` matches any text, including `/`).",
    why: "Organisations route Bedrock access through known roles (a gateway, federated roles); a long-term IAM user or an unknown role calling Bedrock bypasses attribution and governance.",
    example: "`allowed = [\"arn:aws:sts::*:assumed-role/Bedrock*/*\"]`; a row shows `arn:aws:iam::111122223333:user/BedrockAPIKey-x1`.",
    fix: "Remove Bedrock permissions from the identity (or its long-term API key) and route it through an allowed role, or extend the policy.",
    sql: SqlForm::NativeOnly("matches principals against the policy's globs (the glob crate's semantics, including `**` and character classes), which SQL LIKE/regex do not reproduce exactly"),
};

/// Whether a principal matches none of the policy's `principals.allowed` patterns (once per
/// distinct principal; never without patterns).
static REFUSED: PerValue<bool> = PerValue {
    of: Distinct::Column(Col::Principal),
    fact: |p, ctx| {
        !p.trim().is_empty()
            && !ctx.allowed_principals.is_empty()
            && !ctx.allowed_principals.iter().any(|pt| pt.matches(p))
    },
};

impl Rule for PrincipalNotAllowed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        ctx.policy
            .as_ref()
            .is_some_and(|p| p.principals.allowed.is_empty())
            .then(|| "the policy has no principals.allowed".to_string())
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        // Matched against the patterns once per distinct principal.
        let refused = v.facts(&REFUSED);
        if !refused.any() {
            return;
        }
        for i in 0..v.len {
            let Some(p) = v.principal(i) else {
                continue;
            };
            if v.inference(i) && refused.marks_at(i) {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(i, [("line_item_iam_principal", p.to_string())]),
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
    fn fires_outside_patterns() {
        let mut c = ctx();
        c.allowed_principals = vec![glob::Pattern::new("arn:aws:iam::*:user/*").unwrap()];
        assert_eq!(run(&PrincipalNotAllowed, &[inference()], &c).count, 0);
        c.allowed_principals =
            vec![glob::Pattern::new("arn:aws:sts::*:assumed-role/Bedrock*/*").unwrap()];
        assert_eq!(run(&PrincipalNotAllowed, &[inference()], &c).count, 1);
    }
}
