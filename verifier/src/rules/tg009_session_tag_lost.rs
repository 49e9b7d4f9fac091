//! TG009: a principal tag value where a session tag should have won.

use curlab_vocab::tags::IAM_PRINCIPAL_PREFIX;

use crate::context::Ctx;
use crate::facts::{Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::dialect::KEY;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, principal_key, rows, sample, values_table};

/// TG009.
pub struct SessionTagLost;

static META: RuleMeta = RuleMeta {
    code: "TG009",
    name: "session-tag-overridden",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::Tags, Col::Principal],
        facts: &[&TRUTH_INDEX],
        ..Needs::NONE
    },
    summary: "a row shows the role's tag value where the session tag should have won",
    checks: "For a principal of the truth file, every key in its `session_tag_keys` that appears on its rows as `iamPrincipal/<key>` has the session's value (`principals[].tags`), not another one such as the role's own tag.",
    why: "Session tags override principal tags of the same key (matched case-insensitively); that is how a shared role attributes spend per user. Showing the role's value books every user's spend to the role's default team.",
    example: "Role tag `team=platform`, session tag `team=ds`; the row shows `iamPrincipal/team = platform`.",
    fix: "Pass the tag as a session tag on AssumeRole (and allow `sts:TagSession` in the trust policy); check the IdP attribute mapping for `https://aws.amazon.com/tags`.",
    sql: SqlForm::Query(sql),
};

/// The principal's index in the truth file's principals, when it lists it (once per distinct
/// principal).
static TRUTH_INDEX: PerValue<Option<usize>> = PerValue {
    of: Distinct::Column(Col::Principal),
    fact: |p, ctx| {
        if p.trim().is_empty() {
            return None;
        }
        ctx.truth_principal(p)
    },
};

impl Rule for SessionTagLost {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, ctx: &Ctx, out: &mut Tally) {
        let Some(truth) = &ctx.truth else {
            return;
        };
        let known = v.facts(&TRUTH_INDEX);
        if !known.any() {
            return;
        }
        for i in 0..v.len {
            let Some(p) = v.principal(i) else {
                continue;
            };
            let Some(tp) = known
                .at(i)
                .copied()
                .flatten()
                .and_then(|t| truth.principals.get(t))
            else {
                continue;
            };
            check_row(v, i, p, tp, out);
        }
    }
}

/// The session tag keys of one row's truth principal.
fn check_row(
    v: &View<'_>,
    i: usize,
    p: &str,
    tp: &curlab_vocab::truth::TruthPrincipal,
    out: &mut Tally,
) {
    {
        for key in &tp.session_tag_keys {
            let Some(expected) = tp.tags.get(key).or_else(|| {
                tp.tags
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            }) else {
                continue;
            };
            let shown = v
                .principal_tags(i)
                .find(|(k, _)| *k == key.as_str())
                .or_else(|| {
                    v.principal_tags(i)
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                });
            if let Some((k, value)) = shown {
                if value != expected {
                    out.hit(
                        v.file,
                        v.cost(i),
                        v.sample(
                            i,
                            [
                                ("line_item_iam_principal", p.to_string()),
                                ("tag", format!("iamPrincipal/{k}")),
                                ("value", value.to_string()),
                                ("session_value", expected.clone()),
                            ],
                        ),
                    );
                }
            }
        }
    }
}

/// The SQL form: a session-tag key of a truth principal showing another value than the session's;
/// one per (row, key).
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let mut expected: Vec<Vec<String>> = Vec::new();
    if let Some(truth) = &cx.ctx.truth {
        // The principal the native rule looks up for an ARN (the last of duplicates), in ARN
        // order.
        for i in cx.ctx.truth_principals.positions() {
            let Some(tp) = truth.principals.get(i) else {
                continue;
            };
            let arn = &tp.arn;
            for key in &tp.session_tag_keys {
                let value = tp.tags.get(key).or_else(|| {
                    tp.tags
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                        .map(|(_, v)| v)
                });
                if let Some(v) = value {
                    expected.push(vec![d.lit(arn), d.lit(key), d.lit(v)]);
                }
            }
        }
    }
    let session = values_table(
        d,
        "s",
        &[
            ("arn", "VARCHAR"),
            ("tag_key", "VARCHAR"),
            ("session_value", "VARCHAR"),
        ],
        &expected,
    );
    let exact = format!("'{IAM_PRINCIPAL_PREFIX}' || s.tag_key");
    let same_key = format!(
        "{} AND {} = {}",
        principal_key(KEY),
        d.ascii_lower(&format!(
            "substr({KEY}, {})",
            IAM_PRINCIPAL_PREFIX.len() + 1
        )),
        d.ascii_lower("s.tag_key")
    );
    let first_match = d.first(&d.keys_where("b.tags", &same_key));
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT b.line_item_id, b.principal, s.tag_key, s.session_value,\n    CASE WHEN {has} THEN coalesce({get}, '')\n         WHEN {first_match} IS NOT NULL THEN coalesce({get_ci}, '') END AS shown\n  FROM base b\n  JOIN {session} ON b.principal = s.arn\n) t\nWHERE shown IS NOT NULL AND shown <> session_value",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into()), ("tag", "tag_key".into()), ("value", "shown".into()), ("session_value", "session_value".into())]),
        has = d.map_has("b.tags", &exact),
        get = d.map_get("b.tags", &exact),
        get_ci = d.map_get("b.tags", &first_match),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use curlab_vocab::truth::{Truth, TruthPrincipal};

    #[test]
    fn fires_when_role_value_shows() {
        let mut c = ctx();
        let p = inference().principal.unwrap().to_string();
        c.truth = Some(Truth {
            principals: vec![TruthPrincipal {
                arn: p.clone(),
                identity: "iam-user".into(),
                pattern: "iam-user".into(),
                account: "111122223333".into(),
                tags: std::sync::Arc::new([("team".to_string(), "ds".to_string())].into()),
                session_tag_keys: vec!["team".into()],
                gateway: None,
            }],
            ..Default::default()
        });
        c.truth_principals =
            crate::context::PrincipalIndex::of(&c.truth.as_ref().expect("set above").principals);
        assert_eq!(run(&SessionTagLost, &[inference()], &c).count, 0);
        let bad = Row {
            tags: tags(&[("iamPrincipal/team", "platform")]),
            ..inference()
        };
        assert_eq!(run(&SessionTagLost, &[bad], &c).count, 1);
    }
}
