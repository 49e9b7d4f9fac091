//! PO003: a principal outside the policy's allowed patterns.

use super::{Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;

/// PO003.
pub struct PrincipalNotAllowed;

static META: RuleMeta = RuleMeta {
    code: "PO003",
    name: "principal-not-allowed",
    family: Family::Policy,
    severity: Severity::Error,
    applies: Applicability::Policy,
    columns: &["line_item_iam_principal"],
    summary: "a principal calling Bedrock matches none of the policy's allowed patterns",
    checks: "Every principal on a Bedrock inference row matches at least one glob of the policy's `principals.allowed` (`*` matches any text, including `/`).",
    why: "Organisations route Bedrock access through known roles (a gateway, federated roles); a long-term IAM user or an unknown role calling Bedrock bypasses attribution and governance.",
    example: "`allowed = [\"arn:aws:sts::*:assumed-role/Bedrock*/*\"]`; a row shows `arn:aws:iam::111122223333:user/BedrockAPIKey-x1`.",
    fix: "Remove Bedrock permissions from the identity (or its long-term API key) and route it through an allowed role, or extend the policy.",
    sql: crate::sql::SqlForm::NativeOnly("matches principals against the policy's globs (the glob crate's semantics, including `**` and character classes), which SQL LIKE/regex do not reproduce exactly"),
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

    fn check_batch(&self, v: &View<'_>, ctx: &Ctx, out: &mut Tally) {
        if ctx.allowed_principals.is_empty() {
            return;
        }
        for i in 0..v.len {
            // Matched against the patterns once per distinct principal.
            let Some((p, f)) = v.principal(i) else {
                continue;
            };
            if v.inference(i) && !f.allowed {
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
