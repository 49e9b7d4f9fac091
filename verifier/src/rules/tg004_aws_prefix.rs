//! TG004: a reserved `aws:` key after the source prefix.

use curlab_vocab::tags::{RESOURCE_TAGS_PREFIX, split_prefix};

use crate::context::Ctx;
use crate::facts::{Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::dialect::KEY;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::tag_entries;

/// TG004.
pub struct AwsPrefix;

static META: RuleMeta = RuleMeta {
    code: "TG004",
    name: "reserved-aws-prefix",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Tags],
        facts: &[&AWS_PREFIXED],
        ..Needs::NONE
    },
    summary: "a principal, account or user-attribute tag key starts with the reserved aws: prefix",
    checks: "No `tags` key has `aws:` (any case) right after its source prefix, e.g. `iamPrincipal/aws:team`. `resourceTags/aws:createdBy` and other AWS-generated resource tags are legitimate and not reported.",
    why: "IAM and STS reject user tags starting with `aws:`; such a key cannot come from a real principal or session and signals a broken pipeline or forged data.",
    example: "`tags = {\"iamPrincipal/aws:team\":\"ds\"}`.",
    fix: "Rename the tag on the principal or in the session-tag mapping of the IdP/gateway; re-download the export if it was edited.",
    sql: SqlForm::Query(sql),
};

/// Whether a key carries the reserved `aws:` prefix after a source prefix other than
/// `resourceTags/` (once per distinct key).
static AWS_PREFIXED: PerValue<bool> = PerValue {
    of: Distinct::TagKey,
    fact: |k, _| aws_prefixed(k),
};

impl Rule for AwsPrefix {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let marked = v.facts(&AWS_PREFIXED);
        if !marked.any() {
            return;
        }
        for i in 0..v.len {
            for t in v.tags(i).filter(|t| marked.marks(t)) {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [("tag", t.key.to_string()), ("value", t.value.to_string())],
                    ),
                );
            }
        }
    }
}

/// Whether a key carries the reserved `aws:` prefix after a source prefix other than
/// `resourceTags/`.
fn aws_prefixed(k: &str) -> bool {
    let Some((prefix, key)) = split_prefix(k) else {
        return false;
    };
    prefix != RESOURCE_TAGS_PREFIX
        && key.len() >= 4
        && key.as_bytes()[..4].eq_ignore_ascii_case(b"aws:")
}

/// The SQL form: `aws:` (any case) right after a source prefix other than resourceTags/; one per entry.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    tag_entries(
        d,
        &d.regex(
            KEY,
            "^(iamPrincipal|accountTag|userAttribute|costCategory)/[Aa][Ww][Ss]:",
        ),
    )
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
