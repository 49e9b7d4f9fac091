//! `[[workloads]]`: statistical request streams (model, region, rates, token shapes, shares,
//! weekday and hour shapes, span), and the streams they make, one per requester a workload's
//! selectors find.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use curlab_vocab::bedrock::{self, BillingForm, ServiceTier, TokenType};

use crate::catalog::{self, Model};
use crate::scenario::model::HourShape;
use crate::time::{day_of, rfc3339};

use super::context::{root, Ctx};
use super::identities::{select, Builder};
use super::types::{ExportPlan, Stream, Workload};

/// Resolve and check every workload.
pub(crate) fn resolve_workloads(
    cx: &mut Ctx<'_>,
    models: &[Model],
    export: Option<&ExportPlan>,
    profiles: &[super::types::ProfilePlan],
) -> Vec<Workload> {
    let f = cx.file;
    let mut out = Vec::new();
    let (first_day, last_day) = export
        .and_then(|e| {
            Some((
                e.periods.first()?.start / 86_400,
                e.periods.last()?.end / 86_400 - 1,
            ))
        })
        .unwrap_or((0, 0));
    for (i, w) in f.workloads.iter().enumerate() {
        let p = root().key("workloads").index(i);
        let Some(model) = models.iter().position(|m| m.id == w.model) else {
            let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
            cx.problem(
                p.key("model"),
                format!("unknown model `{}`", w.model),
                format!("use one of: {}, or add it under [[models]]", ids.join(", ")),
            );
            continue;
        };
        let m = &models[model];
        let Some(region_code) = bedrock::region_code(&w.region) else {
            cx.problem(
                p.key("region"),
                format!("unknown region `{}`", w.region),
                "use a commercial region such as us-east-1 or eu-central-1",
            );
            continue;
        };
        if !(w.requests_per_day >= 0.0 && w.requests_per_day <= 1e7) {
            cx.problem(
                p.key("requests_per_day"),
                format!(
                    "{} requests per day is outside 0..10,000,000",
                    w.requests_per_day
                ),
                "use a realistic rate per principal",
            );
        }
        for (key, d) in [
            ("input_tokens", w.input_tokens),
            ("output_tokens", w.output_tokens),
        ] {
            if !(d.mean >= 1.0 && d.mean <= 2e6 && (0.0..=5.0).contains(&d.cv)) {
                cx.problem(
                    p.key(key),
                    format!(
                        "token distribution mean {} / cv {} is out of range",
                        d.mean, d.cv
                    ),
                    "mean is 1..2,000,000 tokens, cv 0..5",
                );
            }
        }
        let shares = [
            ("cache_read_share", w.cache_read_share),
            ("cache_write_share", w.cache_write_share),
            ("cache_write_1h_share", w.cache_write_1h_share),
            ("streaming_share", w.streaming_share),
            ("batch_share", w.batch_share),
            ("global_share", w.global_share),
        ];
        for (key, s) in shares {
            if !(0.0..=1.0).contains(&s) {
                cx.problem(
                    p.key(key),
                    format!("{key} {s} is outside 0..1"),
                    "write a share between 0 and 1",
                );
            }
        }
        if w.cache_read_share + w.cache_write_share + w.cache_write_1h_share > 1.0 {
            cx.problem(
                p.key("cache_read_share"),
                "cache shares add up to more than 1",
                "the three cache shares split one prompt",
            );
        }
        for (key, t, s) in [
            ("cache_read_share", TokenType::CacheRead, w.cache_read_share),
            (
                "cache_write_share",
                TokenType::CacheWrite,
                w.cache_write_share,
            ),
            (
                "cache_write_1h_share",
                TokenType::CacheWrite1h,
                w.cache_write_1h_share,
            ),
        ] {
            if s > 0.0 && m.base_price(t).is_none() {
                cx.problem(
                    p.key(key),
                    format!("{} has no {} price", m.display_name, t.as_str()),
                    "set the share to 0 or add the price under [[models]]",
                );
            }
        }
        if m.billing == BillingForm::Marketplace && w.service_tier != ServiceTier::Standard {
            cx.problem(
                p.key("service_tier"),
                "priority and flex tiers are modelled for AWS-billed (form A) models only",
                "use service_tier = \"standard\" or billing = \"aws\"",
            );
        } else if let Some((msg, hint)) = catalog::tier_problem(models, m, w.service_tier) {
            cx.problem(p.key("service_tier"), msg, hint);
        } else if w.batch_share > 0.0 && w.service_tier != ServiceTier::Standard {
            cx.problem(
                p.key("batch_share"),
                "batch requests in the priority or flex tier: batch inference is a tier of its own",
                "set batch_share = 0 here and put batch traffic in a standard-tier workload",
            );
        }
        if w.weekday_shape.len() != 7 || w.weekday_shape.iter().any(|x| x.is_nan() || *x < 0.0) {
            cx.problem(
                p.key("weekday_shape"),
                "weekday_shape needs 7 non-negative weights, Monday first",
                "e.g. [1, 1, 1, 1, 1, 0.25, 0.25]",
            );
        }
        let hours = match &w.hour_shape {
            HourShape::Named(n) => match n.as_str() {
                "flat" => [1.0; 24],
                "business" => {
                    let mut h = [0.05; 24];
                    for (i, x) in h.iter_mut().enumerate() {
                        if (13..=22).contains(&i) {
                            *x = 1.0;
                        }
                    }
                    h
                }
                "nightly" => {
                    let mut h = [0.02; 24];
                    for x in h.iter_mut().take(6) {
                        *x = 1.0;
                    }
                    h
                }
                other => {
                    cx.problem(
                        p.key("hour_shape"),
                        format!("unknown hour shape `{other}`"),
                        "use business, flat, nightly or 24 weights",
                    );
                    [1.0; 24]
                }
            },
            HourShape::Weights(v)
                if v.len() == 24 && v.iter().all(|x| *x >= 0.0) && v.iter().sum::<f64>() > 0.0 =>
            {
                let mut h = [0.0; 24];
                h.copy_from_slice(v);
                h
            }
            HourShape::Weights(_) => {
                cx.problem(
                    p.key("hour_shape"),
                    "hour_shape needs 24 non-negative weights with a positive sum",
                    "list one weight per UTC hour, 0 to 23",
                );
                [1.0; 24]
            }
        };
        let total: f64 = hours.iter().sum();
        let hours = hours.map(|h| h / total);
        let mut weekday = [1.0; 7];
        if w.weekday_shape.len() == 7 {
            weekday.copy_from_slice(&w.weekday_shape);
        }
        let mut day = |s: &Option<String>, key: &str, default: i64| match s {
            None => default,
            Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => day_of(d),
                Err(_) => {
                    cx.problem(
                        p.key(key),
                        format!("`{s}` is not a date"),
                        "write YYYY-MM-DD",
                    );
                    default
                }
            },
        };
        let days = (
            day(&w.start, "start", first_day),
            day(&w.end, "end", last_day),
        );
        if days.0 > days.1 {
            cx.problem(
                p.key("end"),
                "the workload ends before it starts",
                "swap start and end",
            );
        }
        for (key, d) in [("start", days.0), ("end", days.1)] {
            if export.is_some() && (d < first_day || d > last_day) {
                cx.problem(
                    p.key(key),
                    format!(
                        "{key} {} is outside the billing periods",
                        &rfc3339(d * 86_400)[..10]
                    ),
                    "pick a day inside the listed billing periods, or add its month",
                );
            }
        }
        let profile = match &w.inference_profile {
            None => 0,
            Some(name) => match profiles.iter().position(|x| x.name == *name) {
                Some(i) => i as u16 + 1,
                None => {
                    cx.problem(
                        p.key("inference_profile"),
                        format!("unknown inference profile `{name}`"),
                        "name an entry of [[inference_profiles]]",
                    );
                    0
                }
            },
        };
        out.push(Workload {
            model,
            region: w.region.clone(),
            region_code,
            requests_per_day: w.requests_per_day,
            input: w.input_tokens,
            output: w.output_tokens,
            cache_shares: [
                w.cache_read_share,
                w.cache_write_share,
                w.cache_write_1h_share,
            ],
            streaming_share: w.streaming_share,
            batch_share: w.batch_share,
            tier: w.service_tier,
            global_share: w.global_share,
            profile,
            weekday,
            hours,
            days,
        });
    }
    out
}

/// One stream per (workload, requester) the workload's selectors find.
pub(crate) fn resolve_streams(cx: &mut Ctx<'_>, b: &Builder<'_>) -> Vec<Stream> {
    let mut out = Vec::new();
    for (i, w) in cx.file.workloads.iter().enumerate() {
        if w.principals.is_empty() {
            cx.problem(
                root().key("workloads").index(i).key("principals"),
                "no principals",
                "list selectors such as \"user:alice\" or \"idp:okta\"",
            );
        }
        let mut seen = BTreeSet::new();
        for (j, sel) in w.principals.iter().enumerate() {
            for r in select(
                cx,
                b,
                sel,
                root().key("workloads").index(i).key("principals").index(j),
            ) {
                // Indices past `u32` cannot be held in memory anyway.
                let (Ok(requester), Ok(workload)) = (u32::try_from(r), u32::try_from(i)) else {
                    continue;
                };
                if seen.insert(r) {
                    out.push(Stream {
                        requester,
                        workload,
                    });
                }
            }
        }
    }
    // Workloads that failed to resolve are absent from the plan; drop their streams.
    out.retain(|s| s.workload() < cx.file.workloads.len());
    // The plan keeps it to the end: no spare capacity (up to half of it after the pushes).
    out.shrink_to_fit();
    out
}
