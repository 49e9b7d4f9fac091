//! TG007: a tag key that was never activated.

use std::collections::BTreeMap;
use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, KNOWN_TAG_PREFIXES, split_prefix};

use crate::context::{Ctx, KeyActivation};
use crate::facts::{Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::dialect::{Dialect, KEY};
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{has_prefix, tag_entries};

/// TG007.
pub struct InactiveKey;

static META: RuleMeta = RuleMeta {
    code: "TG007",
    name: "tag-key-not-activated",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::TruthOrPolicy,
    needs: Needs {
        columns: &[Col::Tags],
        facts: &[&INACTIVE],
        ..Needs::NONE
    },
    summary: "a tags key appears that was never activated as a cost allocation tag",
    checks: "Every `iamPrincipal/` key in `tags` (and every key whose source prefix appears in the activation list) is in the activation table: the truth file's `activation`, or the policy's `tags.activated` / `tags.activation`.",
    why: "Billing writes only activated cost allocation tags into `tags`; an inactive key in the export means the file was altered or the activation records (and therefore budgets and reports keyed on them) are wrong.",
    example: "`tags = {\"iamPrincipal/project\":\"x\"}` while only `iamPrincipal/team` is activated.",
    fix: "Activate the key in Billing → Cost allocation tags (IAM principal type) or list it in the policy; otherwise find the tool that wrote it.",
    sql: SqlForm::Query(sql),
};

/// Whether a key is checked against the activation list and missing from it (once per
/// distinct key).
static INACTIVE: PerValue<bool> = PerValue {
    of: Distinct::TagKey,
    fact: |k, ctx| ctx.activation.as_ref().is_some_and(|a| inactive(k, a)),
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
        let marked = v.facts(&INACTIVE);
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

/// Whether a key is checked against the activation list and missing from it.
fn inactive(k: &str, active: &BTreeMap<String, KeyActivation>) -> bool {
    let Some((prefix, _)) = split_prefix(k) else {
        return false;
    };
    let checked = prefix == IAM_PRINCIPAL_PREFIX || active.keys().any(|a| a.starts_with(prefix));
    checked && !active.contains_key(k)
}

/// `key IN (...)` over literals, or FALSE for none.
fn in_list(d: Dialect, key: &str, values: &[String]) -> String {
    if values.is_empty() {
        return "FALSE".into();
    }
    let lits: Vec<String> = values.iter().map(|v| d.lit(v)).collect();
    format!("{key} IN ({})", lits.join(", "))
}

/// The SQL form: a key whose source prefix is checked (iamPrincipal/, and every prefix the activation
/// list uses) that is not in the activation list; one per entry.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let active: Vec<String> = cx
        .ctx
        .activation
        .iter()
        .flat_map(|a| a.keys().cloned())
        .collect();
    let checked: Vec<String> = KNOWN_TAG_PREFIXES
        .iter()
        .filter(|p| **p == IAM_PRINCIPAL_PREFIX || active.iter().any(|a| a.starts_with(**p)))
        .map(|p| has_prefix(KEY, p))
        .collect();
    let cond = format!(
        "({}) AND NOT {}",
        checked.join(" OR "),
        in_list(d, KEY, &active)
    );
    tag_entries(d, &cond)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use crate::context::KeyActivation;

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
