//! TG008: an `iamPrincipal/` tag on a row before the key's activation took effect.

use std::collections::BTreeMap;
use curlab_vocab::tags::IAM_PRINCIPAL_PREFIX;

use crate::context::{Ctx, KeyActivation};
use crate::facts::{Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::row::fmt_opt_ts;
use crate::rule::Rule;
use crate::sql::dialect::KEY;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// TG008.
pub struct TagBeforeActivation;

static META: RuleMeta = RuleMeta {
    code: "TG008",
    name: "tag-before-activation",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::TruthOrPolicy,
    needs: Needs {
        columns: &[Col::Tags, Col::UsageStart],
        facts: &[&ACTIVATION],
        ..Needs::NONE
    },
    summary: "an iamPrincipal/ tag is on a row whose usage starts before the key's activation took effect",
    checks: "An `iamPrincipal/<key>` entry appears only on rows whose usage starts at or after the key's `effective_from`, or at or after its `backfill_from` when a backfill re-applied it (truth `activation`, or policy `[[tags.activation]]`).",
    why: "Activation is not retroactive without a backfill; tagged rows before it mean the export was edited or the activation/backfill records are wrong, and month-over-month tag reports disagree with Cost Explorer.",
    example: "`iamPrincipal/team` took effect 2026-04-15, a row of 2026-04-10 carries it and no backfill exists.",
    fix: "Run a cost allocation tag backfill (StartCostAllocationTagBackfill) from the first month you need, or record the backfill in the truth/policy; otherwise re-download the export.",
    sql: SqlForm::Query(sql),
};

/// `effective_from` and `backfill_from` of an `iamPrincipal/` key's activation, when known (once
/// per distinct key).
static ACTIVATION: PerValue<Option<(i64, Option<i64>)>> = PerValue {
    of: Distinct::TagKey,
    fact: |k, ctx| ctx.activation.as_ref().and_then(|a| activation(k, a)),
};

impl Rule for TagBeforeActivation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        let known = ctx
            .activation
            .as_ref()
            .is_some_and(|a| a.values().any(|k| k.effective_from.is_some()));
        (!known).then(|| "no activation times: the truth file is absent and the policy has no [[tags.activation]]".to_string())
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let activations = v.facts(&ACTIVATION);
        if !activations.any() {
            return;
        }
        for i in 0..v.len {
            let Some(start) = v.start(i) else { continue };
            for t in v.tags(i) {
                let Some(Some((eff, backfill))) = activations.of(&t).copied() else {
                    continue;
                };
                let backfilled = backfill.is_some_and(|b| start >= b);
                if start < eff && !backfilled {
                    out.hit(
                        v.file,
                        v.cost(i),
                        v.sample(
                            i,
                            [
                                ("tag", t.key.to_string()),
                                ("value", t.value.to_string()),
                                ("line_item_usage_start_date", fmt_opt_ts(Some(start))),
                                ("effective_from", fmt_opt_ts(Some(eff))),
                            ],
                        ),
                    );
                }
            }
        }
    }
}

/// `effective_from` and `backfill_from` of an `iamPrincipal/` key's activation, when known.
fn activation(
    k: &str,
    active: &BTreeMap<String, KeyActivation>,
) -> Option<(i64, Option<i64>)> {
    if !k.starts_with(IAM_PRINCIPAL_PREFIX) {
        return None;
    }
    let a = active.get(k)?;
    Some((a.effective_from?, a.backfill_from))
}

/// The SQL form: an iamPrincipal/ key on a row that starts before the key took effect (and not inside
/// a backfill); one per entry.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let mut alts = Vec::new();
    for (key, a) in cx.ctx.activation.iter().flatten() {
        let (Some(eff), true) = (a.effective_from, key.starts_with(IAM_PRINCIPAL_PREFIX)) else {
            continue;
        };
        let backfilled = match a.backfill_from {
            Some(b) => format!(" AND NOT (start_ms * 1000 >= {b})"),
            None => String::new(),
        };
        alts.push(format!(
            "({KEY} = {} AND start_ms * 1000 < {eff}{backfilled})",
            d.lit(key)
        ));
    }
    let cond = if alts.is_empty() {
        "FALSE".to_string()
    } else {
        format!("({})", alts.join(" OR "))
    };
    rows(format!(
        "SELECT n, sample FROM (\n  SELECT {count} AS n, {s} AS sample\n  FROM base\n  WHERE start_ms IS NOT NULL\n) t\nWHERE n > 0",
        count = d.count_keys("tags", &cond),
        s = sample(d, &[id(), ("line_item_usage_start_date", d.to_str("usage_start")), ("tags", d.join_keys("tags", &cond))]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use crate::context::KeyActivation;

    #[test]
    fn fires_before_effect_unless_backfilled() {
        let mut c = ctx();
        let act = |b: Option<i64>| {
            Some(
                [(
                    "iamPrincipal/team".to_string(),
                    KeyActivation {
                        effective_from: ts("2026-04-25"),
                        backfill_from: b,
                    },
                )]
                .into(),
            )
        };
        c.activation = act(None);
        let late = Row {
            start: ts("2026-04-26T10:00:00Z"),
            end: ts("2026-04-26T11:00:00Z"),
            ..inference()
        };
        assert_eq!(run(&TagBeforeActivation, &[late], &c).count, 0);
        assert_eq!(run(&TagBeforeActivation, &[inference()], &c).count, 1);
        c.activation = act(ts("2026-04-01"));
        assert_eq!(run(&TagBeforeActivation, &[inference()], &c).count, 0);
    }
}
