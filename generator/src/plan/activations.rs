//! `[[cost_allocation_tags]]`: when each key was activated, took effect and was backfilled.

use curlab_vocab::tags;

use crate::time::{month_start, parse_instant, parse_month};

use super::context::{root, Ctx};
use super::types::ActivationPlan;

/// Resolve the tag activations.
pub(crate) fn resolve_activations(cx: &mut Ctx<'_>) -> Vec<ActivationPlan> {
    let mut out: Vec<ActivationPlan> = Vec::new();
    for (i, a) in cx.file.cost_allocation_tags.iter().enumerate() {
        let p = root().key("cost_allocation_tags").index(i);
        if let Err(e) = tags::check_key(&a.key) {
            cx.problem(
                p.key("key"),
                format!("tag key `{}`: {e}", a.key),
                "activate the bare key, e.g. \"team\" (curlab adds the iamPrincipal/ prefix)",
            );
        }
        if a.key.starts_with("iamPrincipal/") || a.key.starts_with("resourceTags/") {
            cx.problem(
                p.key("key"),
                "write the key without its source prefix",
                "e.g. key = \"team\" with source = \"iam-principal\"",
            );
        }
        let Some(activated) = parse_instant(&a.activated_at) else {
            cx.problem(
                p.key("activated_at"),
                format!("`{}` is not a date or time", a.activated_at),
                "write YYYY-MM-DD or RFC 3339",
            );
            continue;
        };
        let (lo, hi) = (month_start(2020, 1), month_start(2036, 1));
        if activated < lo || activated >= hi {
            cx.problem(
                p.key("activated_at"),
                format!("{} is outside 2020-2035", a.activated_at),
                "cost allocation tags for IAM principals exist since 2026; use a date near the billing periods",
            );
        }
        if a.effect_delay_hours > 24 * 14 {
            cx.problem(
                p.key("effect_delay_hours"),
                "more than two weeks until activation takes effect",
                "AWS documents up to 24 h (48 h in the blog)",
            );
        }
        let backfill = match &a.backfill_from {
            None => None,
            Some(s) => match parse_month(s) {
                Some((y, m)) => {
                    let t = month_start(y, m);
                    if t > activated {
                        cx.problem(
                            p.key("backfill_from"),
                            "the backfill starts after the activation",
                            "backfill re-applies tags to earlier months",
                        );
                    }
                    if activated - t > 366 * 86_400 {
                        cx.problem(
                            p.key("backfill_from"),
                            "backfill reaches back more than 12 months",
                            "AWS backfills at most 12 months",
                        );
                    }
                    Some(t)
                }
                None => {
                    cx.problem(
                        p.key("backfill_from"),
                        format!("`{s}` is not a month"),
                        "write YYYY-MM (backfill starts on the first of a month)",
                    );
                    None
                }
            },
        };
        if out.iter().any(|o| o.key == a.key && o.source == a.source) {
            cx.problem(
                p.key("key"),
                format!("key `{}` is activated twice", a.key),
                "list each key once",
            );
        }
        out.push(ActivationPlan {
            key: a.key.clone(),
            source: a.source,
            activated,
            effective: activated + i64::from(a.effect_delay_hours) * 3600,
            backfill,
        });
    }
    out
}
