//! TG002: a `tags` key without a known source prefix.

use curlab_vocab::tags::KNOWN_TAG_PREFIXES;

use super::{Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;
use crate::view::K_UNPREFIXED;

/// TG002.
pub struct UnprefixedKey;

static META: RuleMeta = RuleMeta {
    code: "TG002",
    name: "unprefixed-tag-key",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["tags"],
    summary: "a tags key has no known source prefix",
    checks: "Every key of the `tags` map starts with one of the source prefixes AWS documents: `iamPrincipal/`, `resourceTags/`, `accountTag/`, `userAttribute/`, `costCategory/` (case-sensitive).",
    why: "The prefix says where a tag came from; the same key can exist as a resource tag and as a principal tag with different values. Without it, `tags['team']` mixes sources and queries keyed on `iamPrincipal/team` miss the row.",
    example: "`tags = {\"team\":\"ds\"}` instead of `{\"iamPrincipal/team\":\"ds\"}`.",
    fix: "Read `tags` as delivered; if a pipeline flattens it, keep the prefixes (or use `resource_tags` for normalised resource tags).",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::tg002),
};

impl Rule for UnprefixedKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        // Keys without a known prefix (`split_prefix` is `None`), found once per distinct key.
        if v.key_flags() & K_UNPREFIXED == 0 {
            return;
        }
        for i in 0..v.len {
            for t in v.tags(i).filter(|t| t.k.has(K_UNPREFIXED)) {
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
