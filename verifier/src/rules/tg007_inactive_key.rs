//! TG007: a tag key that was never activated.

use curlab_vocab::tags::{split_prefix, IAM_PRINCIPAL_PREFIX};

use std::collections::BTreeMap;

use super::{Ctx, KeyActivation, Rule, View};
use crate::finding::Tally;
use crate::meta::*;
use crate::view::K_INACTIVE;

/// TG007.
pub struct InactiveKey;

static META: RuleMeta = RuleMeta {
    code: "TG007",
    name: "tag-key-not-activated",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::TruthOrPolicy,
    columns: &["tags"],
    summary: "a tags key appears that was never activated as a cost allocation tag",
    checks: "Every `iamPrincipal/` key in `tags` (and every key whose source prefix appears in the activation list) is in the activation table: the truth file's `activation`, or the policy's `tags.activated` / `tags.activation`.",
    why: "Billing writes only activated cost allocation tags into `tags`; an inactive key in the export means the file was altered or the activation records (and therefore budgets and reports keyed on them) are wrong.",
    example: "`tags = {\"iamPrincipal/project\":\"x\"}` while only `iamPrincipal/team` is activated.",
    fix: "Activate the key in Billing → Cost allocation tags (IAM principal type) or list it in the policy; otherwise find the tool that wrote it.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::tg007),
};

impl Rule for InactiveKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        ctx.activation.is_none().then(|| {
            "no activation list: the truth file is absent and the policy has no tags.activated"
                .to_string()
        })
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        if v.key_flags() & K_INACTIVE == 0 {
            return;
        }
        for i in 0..v.len {
            for t in v.tags(i).filter(|t| t.k.has(K_INACTIVE)) {
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

/// Whether a key is checked against the activation list and missing from it (once per
/// distinct key).
pub(crate) fn inactive(k: &str, active: &BTreeMap<String, KeyActivation>) -> bool {
    let Some((prefix, _)) = split_prefix(k) else {
        return false;
    };
    let checked = prefix == IAM_PRINCIPAL_PREFIX || active.keys().any(|a| a.starts_with(prefix));
    checked && !active.contains_key(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use crate::rules::KeyActivation;

    #[test]
    fn fires_on_unlisted_key() {
        let mut c = ctx();
        c.activation = Some(
            [(
                "iamPrincipal/team".to_string(),
                KeyActivation {
                    effective_from: None,
                    backfill_from: None,
                },
            )]
            .into(),
        );
        assert_eq!(run(&InactiveKey, &[inference(), ec2()], &c).count, 0);
        let bad = Row {
            tags: tags(&[("iamPrincipal/project", "x")]),
            ..inference()
        };
        assert_eq!(run(&InactiveKey, &[bad], &c).count, 1);
    }
}
