//! TG002: a `tags` key without a known source prefix.

use curlab_vocab::tags::{KNOWN_TAG_PREFIXES, split_prefix};

use crate::context::Ctx;
use crate::facts::{Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::dialect::KEY;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{any_known_prefix, tag_entries};

/// TG002.
pub struct UnprefixedKey;

static META: RuleMeta = RuleMeta {
    code: "TG002",
    name: "unprefixed-tag-key",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Tags],
        facts: &[&UNPREFIXED],
        ..Needs::NONE
    },
    summary: "a tags key has no known source prefix",
    checks: "Every key of the `tags` map starts with one of the source prefixes AWS documents: `iamPrincipal/`, `resourceTags/`, `accountTag/`, `userAttribute/`, `costCategory/` (case-sensitive).",
    why: "The prefix says where a tag came from; the same key can exist as a resource tag and as a principal tag with different values. Without it, `tags['team']` mixes sources and queries keyed on `iamPrincipal/team` miss the row.",
    example: "`tags = {\"team\":\"ds\"}` instead of `{\"iamPrincipal/team\":\"ds\"}`.",
    fix: "Read `tags` as delivered; if a pipeline flattens it, keep the prefixes (or use `resource_tags` for normalised resource tags).",
    sql: SqlForm::Query(sql),
};

/// Whether a `tags` key has no known source prefix (once per distinct key).
static UNPREFIXED: PerValue<bool> = PerValue {
    of: Distinct::TagKey,
    fact: |k, _| split_prefix(k).is_none(),
};

impl Rule for UnprefixedKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let marked = v.facts(&UNPREFIXED);
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
                        [
                            ("tag", t.key.to_string()),
                            ("value", t.value.to_string()),
                            ("known_prefixes", KNOWN_TAG_PREFIXES.join(" ")),
                        ],
                    ),
                );
            }
        }
    }
}

/// The SQL form: a tags key without a known source prefix; one per entry.
fn sql(cx: &SqlCx<'_>) -> Violations {
    tag_entries(cx.d, &format!("NOT {}", any_known_prefix(KEY)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_bare_key() {
        assert_eq!(run(&UnprefixedKey, &[inference(), ec2()], &ctx()).count, 0);
        let bad = Row {
            tags: tags(&[("team", "ds")]),
            ..inference()
        };
        assert_eq!(run(&UnprefixedKey, &[bad], &ctx()).count, 1);
    }
}
