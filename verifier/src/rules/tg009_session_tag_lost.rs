//! TG009: a principal tag value where a session tag should have won.

use super::{Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;

/// TG009.
pub struct SessionTagLost;

static META: RuleMeta = RuleMeta {
    code: "TG009",
    name: "session-tag-overridden",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Truth,
    columns: &["tags", "line_item_iam_principal"],
    summary: "a row shows the role's tag value where the session tag should have won",
    checks: "For a principal of the truth file, every key in its `session_tag_keys` that appears on its rows as `iamPrincipal/<key>` has the session's value (`principals[].tags`), not another one such as the role's own tag.",
    why: "Session tags override principal tags of the same key (matched case-insensitively); that is how a shared role attributes spend per user. Showing the role's value books every user's spend to the role's default team.",
    example: "Role tag `team=platform`, session tag `team=ds`; the row shows `iamPrincipal/team = platform`.",
    fix: "Pass the tag as a session tag on AssumeRole (and allow `sts:TagSession` in the trust policy); check the IdP attribute mapping for `https://aws.amazon.com/tags`.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::tg009),
};

impl Rule for SessionTagLost {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, ctx: &Ctx, out: &mut Tally) {
        let Some(truth) = &ctx.truth else {
            return;
        };
        for i in 0..v.len {
            let Some((p, f)) = v.principal(i) else {
                continue;
            };
            let Some(tp) = f.truth.and_then(|t| truth.principals.get(t)) else {
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
                tags: [("team".to_string(), "ds".to_string())].into(),
                session_tag_keys: vec!["team".into()],
                gateway: None,
            }],
            ..Default::default()
        });
        c.truth_principals.insert(p, 0);
        assert_eq!(run(&SessionTagLost, &[inference()], &c).count, 0);
        let bad = Row {
            tags: tags(&[("iamPrincipal/team", "platform")]),
            ..inference()
        };
        assert_eq!(run(&SessionTagLost, &[bad], &c).count, 1);
    }
}
