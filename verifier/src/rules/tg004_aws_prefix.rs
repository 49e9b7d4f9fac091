//! TG004: a reserved `aws:` key after the source prefix.

use curlab_vocab::tags::{split_prefix, RESOURCE_TAGS_PREFIX};

use super::{Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;
use crate::row::Row;

/// TG004.
pub struct AwsPrefix;

static META: RuleMeta = RuleMeta {
    code: "TG004",
    name: "reserved-aws-prefix",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["tags"],
    summary: "a principal, account or user-attribute tag key starts with the reserved aws: prefix",
    checks: "No `tags` key has `aws:` (any case) right after its source prefix, e.g. `iamPrincipal/aws:team`. `resourceTags/aws:createdBy` and other AWS-generated resource tags are legitimate and not reported.",
    why: "IAM and STS reject user tags starting with `aws:`; such a key cannot come from a real principal or session and signals a broken pipeline or forged data.",
    example: "`tags = {\"iamPrincipal/aws:team\":\"ds\"}`.",
    fix: "Rename the tag on the principal or in the session-tag mapping of the IdP/gateway; re-download the export if it was edited.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::tg004),
};

impl Rule for AwsPrefix {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_row(&self, row: &Row<'_>, _ctx: &Ctx, out: &mut Tally) {
        for (k, v) in row.tags.unwrap_or(&[]) {
            let Some((prefix, key)) = split_prefix(k) else {
                continue;
            };
            if prefix != RESOURCE_TAGS_PREFIX
                && key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
            {
                out.hit(
                    row.file,
                    row.cost,
                    row.sample([("tag", k.clone()), ("value", v.clone())]),
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
    fn fires_on_principal_aws_key_not_resource() {
        assert_eq!(run(&AwsPrefix, &[inference(), ec2()], &ctx()).count, 0);
        let bad = Row {
            tags: tags(&[("iamPrincipal/AWS:team", "ds")]),
            ..inference()
        };
        assert_eq!(run(&AwsPrefix, &[bad], &ctx()).count, 1);
    }
}
