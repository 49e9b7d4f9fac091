//! TG010: an application inference profile row without the profile's resource tags.

use std::collections::{BTreeMap, BTreeSet};

use curlab_vocab::tags::RESOURCE_TAGS_PREFIX;

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Distinct, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use curlab_vocab::Money;
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{has_prefix, id, rows, sample};

/// TG010.
pub struct ProfileResourceTags;

static META: RuleMeta = RuleMeta {
    code: "TG010",
    name: "profile-resource-tags",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::ResourceId, Col::Tags],
        aggregates: &[Aggregate::ProfileTags],
        facts: &[&REQUIRED],
    },
    summary: "a row of an application inference profile lacks a `resourceTags/` key the profile's rows carry",
    checks: "Rows whose `line_item_resource_id` is an application inference profile ARN (`arn:…:application-inference-profile/<id>`). Without `--truth`: each such row carries every `resourceTags/` key that any row of the same profile starting at or before it carries (a key appears from its activation on, so earlier rows may lack it). With `--truth`: for the truth's profiles (`bill.profiles`), each row starting at or after a profile tag's activation (`resourceTags/<Key>` in the activation table; its backfill start when earlier) carries that key. One offence per row, however many keys it lacks.",
    why: "The profile's tags are how the resource view of Bedrock spend is charged back; a profile row without them is unallocated in that view while the same dollars stay in the principal view. The two views describe the same dollars (the principal view by caller, the resource view by profile): add one or the other, never both.",
    example: "Rows of `arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/pszt2azg16n1` carry `resourceTags/Application = support-bot` from 2026-04-21; a row of 2026-05-03 has only `iamPrincipal/team`.",
    fix: "Check the tag is still on the profile and still activated as a cost allocation tag (tags are not retroactive); re-download the export if a pipeline dropped `tags` entries.",
    sql: SqlForm::Query(sql),
};

/// With truth: the activated `resourceTags/` keys of the truth profile a resource id names, with
/// the instant (UTC µs) from which rows carry each; None for other resource ids.
static REQUIRED: PerValue<Option<Vec<(String, i64)>>> = PerValue {
    of: Distinct::Column(Col::ResourceId),
    fact: |rid, ctx| required_keys(ctx).remove(rid),
};

/// Per truth profile ARN, its activated resource tag keys and when rows carry them.
fn required_keys(ctx: &Ctx) -> BTreeMap<String, Vec<(String, i64)>> {
    let (Some(t), Some(act)) = (&ctx.truth, &ctx.activation) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for p in &t.bill.profiles {
        let keys: Vec<(String, i64)> = p
            .tags
            .keys()
            .filter_map(|k| {
                let full = format!("{RESOURCE_TAGS_PREFIX}{k}");
                let a = act.get(&full)?;
                let from = match (a.effective_from, a.backfill_from) {
                    (Some(e), Some(b)) => e.min(b),
                    (Some(e), None) => e,
                    (None, b) => b.unwrap_or(i64::MIN),
                };
                Some((full, from))
            })
            .collect();
        if !keys.is_empty() {
            out.insert(p.arn.clone(), keys);
        }
    }
    out
}

impl Rule for ProfileResourceTags {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let required = v.facts(&REQUIRED);
        if !required.any() {
            return;
        }
        for i in 0..v.len {
            let Some(Some(keys)) = required.at(i) else {
                continue;
            };
            let start = v.start(i).unwrap_or(0);
            let missing: Vec<&str> = keys
                .iter()
                .filter(|(k, from)| start >= *from && !v.tags(i).any(|t| t.key == k))
                .map(|(k, _)| k.as_str())
                .collect();
            if !missing.is_empty() {
                out.hit(
                    v.file,
                    v.cost(i),
                    v.sample(
                        i,
                        [
                            (
                                "line_item_resource_id",
                                v.resource_id(i).unwrap_or("").to_string(),
                            ),
                            ("missing", missing.join(", ")),
                        ],
                    ),
                );
            }
        }
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        if ctx.truth.is_some() {
            return;
        }
        for (order, (arn, sets)) in agg.profiles.iter().enumerate() {
            // When each key first appears on a row of the profile.
            let mut first: BTreeMap<&str, i64> = BTreeMap::new();
            for (keys, rows) in sets {
                let Some(start) = rows.keys().next() else { continue };
                for k in keys {
                    let e = first.entry(k.as_str()).or_insert(*start);
                    *e = (*e).min(*start);
                }
            }
            for (keys, rows) in sets {
                let has: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
                let (mut n, mut cost_sum, mut missing) = (0u64, Money::ZERO, BTreeSet::new());
                for (start, (count, cost)) in rows {
                    let lacking: Vec<&str> = first
                        .iter()
                        .filter(|(k, f)| !has.contains(*k) && start >= *f)
                        .map(|(k, _)| *k)
                        .collect();
                    if !lacking.is_empty() {
                        n += count;
                        cost_sum += *cost;
                        missing.extend(lacking);
                    }
                }
                if n > 0 {
                    let missing: Vec<&str> = missing.into_iter().collect();
                    out.hit_n(
                        n,
                        order,
                        Some(cost_sum.to_usd()),
                        export_sample(
                            None,
                            [
                                ("line_item_resource_id", arn.clone()),
                                ("missing", missing.join(", ")),
                                ("rows", n.to_string()),
                            ],
                        ),
                    );
                }
            }
        }
    }
}

/// Whether `resource_id` is an application inference profile ARN (the facts layer's
/// `is_profile_arn`).
fn profile_row(d: crate::sql::Dialect) -> String {
    format!(
        "resource_id LIKE 'arn:%' AND {}",
        d.contains("resource_id", crate::facts::PROFILE_MARKER)
    )
}

/// The SQL form. With truth: a condition per truth profile and key, inlined. Without: rows
/// grouped by (profile, usage start, their `resourceTags/` keys), joined to when each key
/// first appears on the profile; a group lacks a key when fewer of its keys are present than
/// have appeared by its start (a key a row carries has always appeared by then).
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let resource_key = has_prefix(crate::sql::dialect::KEY, RESOURCE_TAGS_PREFIX);
    if cx.ctx.truth.is_some() {
        let required = required_keys(cx.ctx);
        let mut ors = Vec::new();
        for (arn, keys) in &required {
            let lacks: Vec<String> = keys
                .iter()
                .map(|(k, from)| {
                    format!(
                        "(coalesce(start_ms, 0) * 1000 >= {from} AND NOT coalesce({}, false))",
                        d.map_has("tags", &d.lit(k))
                    )
                })
                .collect();
            ors.push(format!(
                "(resource_id = {} AND ({}))",
                d.lit(arn),
                lacks.join(" OR ")
            ));
        }
        let cond = if ors.is_empty() {
            "1 = 0".to_string()
        } else {
            ors.join("\n   OR ")
        };
        return rows(format!(
            "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE {cond}",
            s = sample(d, &[id(), ("line_item_resource_id", "resource_id".into())]),
        ));
    }
    let p = format!(
        "(SELECT resource_id, coalesce(start_ms, 0) AS s, tags FROM base WHERE {})",
        profile_row(d)
    );
    rows(format!(
        "SELECT g.n AS n, {s} AS sample\nFROM (\n  SELECT resource_id, s, keyset, nkeys, count(*) AS n\n  FROM (SELECT resource_id, s, {keyset} AS keyset, {nkeys} AS nkeys FROM {p} p0) p1\n  GROUP BY resource_id, s, keyset, nkeys\n) g\nJOIN (\n  SELECT resource_id, {KEY} AS k, min(s) AS first_s\n  FROM {from}\n  WHERE {resource_key}\n  GROUP BY resource_id, {KEY}\n) f ON f.resource_id = g.resource_id AND f.first_s <= g.s\nGROUP BY g.resource_id, g.s, g.keyset, g.nkeys, g.n\nHAVING count(*) > g.nkeys",
        KEY = crate::sql::dialect::KEY,
        keyset = d.join_keys("tags", &resource_key),
        nkeys = d.count_keys("tags", &resource_key),
        from = d.from_map_keys(&p, "tags"),
        s = sample(d, &[("line_item_resource_id", "g.resource_id".into()), ("keys", "coalesce(g.keyset, '')".into())]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::KeyActivation;
    use crate::rules::testkit::*;
    use curlab_vocab::truth::{Truth, TruthBill, TruthProfile};

    const AIP: &str = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/pszt2azg16n1";

    fn row(day: u32, pairs: &'static [(&'static str, &'static str)]) -> Row<'static> {
        let at = |h: u32| -> Option<i64> {
            ts(Box::leak(format!("2026-04-{day:02}T{h:02}:00:00Z").into_boxed_str()))
        };
        Row {
            resource_id: Some(AIP),
            tags: tags(pairs),
            start: at(0),
            end: at(1),
            ..inference()
        }
    }

    fn export() -> Vec<Row<'static>> {
        vec![
            // Before activation: no resource tag.
            row(20, &[("iamPrincipal/team", "ds")]),
            row(21, &[("iamPrincipal/team", "ds"), ("resourceTags/Application", "bot")]),
            // After: lost.
            row(22, &[("iamPrincipal/team", "ds")]),
            row(23, &[("resourceTags/Application", "bot")]),
            // Not a profile.
            Row {
                tags: tags(&[]),
                ..inference()
            },
        ]
    }

    #[test]
    fn without_truth_a_key_counts_from_its_first_row() {
        let t = run(&ProfileResourceTags, &export(), &ctx());
        assert_eq!(t.count, 1);
        let clean: Vec<_> = export().into_iter().filter(|r| r.start != row(22, &[]).start).collect();
        assert_eq!(run(&ProfileResourceTags, &clean, &ctx()).count, 0);
    }

    #[test]
    fn with_truth_the_activated_profile_tags_are_required() {
        let mut c = ctx();
        c.truth = Some(Truth {
            bill: TruthBill {
                profiles: vec![TruthProfile {
                    arn: AIP.into(),
                    tags: [
                        ("Application".to_string(), "bot".to_string()),
                        ("CostCenter".to_string(), "1".to_string()),
                    ]
                    .into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            ..Default::default()
        });
        // Application activated from the 21st; CostCenter never.
        c.activation = Some(
            [(
                "resourceTags/Application".to_string(),
                KeyActivation {
                    effective_from: ts("2026-04-21"),
                    backfill_from: None,
                },
            )]
            .into(),
        );
        assert_eq!(run(&ProfileResourceTags, &export(), &c).count, 1);
        // Activated from the 20th: the first row lacks it too.
        c.activation = Some(
            [(
                "resourceTags/Application".to_string(),
                KeyActivation {
                    effective_from: ts("2026-04-20"),
                    backfill_from: None,
                },
            )]
            .into(),
        );
        assert_eq!(run(&ProfileResourceTags, &export(), &c).count, 2);
    }
}
