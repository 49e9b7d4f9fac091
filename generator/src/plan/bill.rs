//! `[discounts]`, `[[adjustments]]` and `[[inference_profiles]]`: the parts of the bill
//! beyond on-demand usage.

use crate::catalog::Model;
use crate::scenario::model::AdjustmentKind;
use crate::seed::short_id;
use curlab_vocab::bedrock::BillingForm;
use curlab_vocab::Money;

use super::checks::check_tag_map;
use super::context::{root, Ctx};
use super::types::{Account, AdjustmentPlan, DiscountPlan, Period, ProfilePlan};

fn basis_points(cx: &mut Ctx<'_>, percent: f64, path: crate::scenario::Path) -> u32 {
    let bp = (percent * 100.0).round();
    if !(0.0..=10_000.0).contains(&percent) || (bp - percent * 100.0).abs() > 1e-6 {
        cx.problem(
            path,
            format!("discount {percent} % is not a percentage in steps of 0.01"),
            "write a percentage between 0 and 100 with at most two decimals, e.g. 6.5",
        );
        return 0;
    }
    bp as u32
}

/// Resolve `[discounts]` against the catalogue.
pub(crate) fn resolve_discounts(cx: &mut Ctx<'_>, models: &[Model]) -> DiscountPlan {
    let Some(d) = &cx.file.discounts else {
        return DiscountPlan::default();
    };
    let d = d.clone();
    let at = root().key("discounts");
    let edp = basis_points(cx, d.edp_percent, at.key("edp_percent"));
    let mut bp: Vec<[u32; 2]> = models
        .iter()
        .map(|m| {
            [
                if m.billing == BillingForm::Aws {
                    edp
                } else {
                    0
                },
                0,
            ]
        })
        .collect();
    for (i, pr) in d.private_rates.iter().enumerate() {
        let p = at.key("private_rates").index(i);
        let v = basis_points(cx, pr.percent, p.key("percent"));
        let hits: Vec<usize> = match (&pr.model, &pr.product_code) {
            (Some(m), None) => models.iter().position(|x| x.id == *m).into_iter().collect(),
            (None, Some(c)) => models
                .iter()
                .enumerate()
                .filter(|(_, x)| x.product_code == *c)
                .map(|(i, _)| i)
                .collect(),
            _ => {
                cx.problem(
                    p,
                    "a private rate names neither or both of `model` and `product_code`",
                    "give exactly one: model = \"claude-sonnet-4.6\" or product_code = \"AmazonBedrock\"",
                );
                continue;
            }
        };
        if hits.is_empty() {
            cx.problem(
                p,
                "the private rate matches no model of the catalogue",
                "use a model id of `curlab models` or a product code one of them is billed under",
            );
        }
        for h in hits {
            bp[h][1] = v;
        }
    }
    for (i, b) in bp.iter().enumerate() {
        if b[0] + b[1] > 10_000 {
            cx.problem(
                at.clone(),
                format!("discounts on `{}` add up to more than 100 %", models[i].id),
                "lower edp_percent or the private rate",
            );
            break;
        }
    }
    DiscountPlan {
        representation: Some(d.representation),
        bp,
    }
}

fn account_of(
    cx: &mut Ctx<'_>,
    accounts: &[Account],
    name: &str,
    path: crate::scenario::Path,
) -> usize {
    match accounts.iter().position(|a| a.id == name || a.name == name) {
        Some(a) => a,
        None => {
            cx.problem(
                path,
                format!("unknown account `{name}`"),
                "use the id or name of an account in [organization]",
            );
            0
        }
    }
}

/// Resolve `[[adjustments]]`.
pub(crate) fn resolve_adjustments(
    cx: &mut Ctx<'_>,
    accounts: &[Account],
    payer: &Account,
    periods: &[Period],
) -> Vec<AdjustmentPlan> {
    let specs = cx.file.adjustments.clone();
    let mut out = Vec::new();
    for (i, a) in specs.iter().enumerate() {
        let p = root().key("adjustments").index(i);
        let Some(period) = periods.iter().position(|x| x.label == a.period) else {
            cx.problem(
                p.key("period"),
                format!("billing period `{}` is not in the export", a.period),
                "use a month between [export] start and end, as YYYY-MM",
            );
            continue;
        };
        if !(a.amount.is_finite() && a.amount > 0.0 && a.amount < 1e12) {
            cx.problem(
                p.key("amount"),
                format!("amount {} is not a positive number of dollars", a.amount),
                "write the credit or refund as a positive amount, e.g. 250.0; the row is negative",
            );
            continue;
        }
        let account = match &a.account {
            Some(n) => account_of(cx, accounts, n, p.key("account")),
            None => accounts.iter().position(|x| x.id == payer.id).unwrap_or(0),
        };
        let restated_at = a.restated_at.as_ref().and_then(|d| {
            restated_day(cx, d, &periods[period], &out, period, p.key("restated_at"))
        });
        // Cents, as an invoice line.
        let cents = (a.amount * 100.0).round() as i128;
        out.push(AdjustmentPlan {
            kind: a.kind,
            period,
            account,
            cost_e16: Money::from_e16(-cents * 100_000_000_000_000),
            product_code: a.product_code.clone(),
            description: a.description.clone().unwrap_or_else(|| {
                match a.kind {
                    AdjustmentKind::Credit => "AWS Credit",
                    AdjustmentKind::Refund => "Refund",
                }
                .into()
            }),
            restated_at,
        });
    }
    out
}

/// The day of a late adjustment's restatement: a date after its period closed, the same for
/// every late adjustment of the period (one restatement per period).
fn restated_day(
    cx: &mut Ctx<'_>,
    text: &str,
    per: &Period,
    earlier: &[AdjustmentPlan],
    period: usize,
    path: crate::scenario::Path,
) -> Option<crate::time::Ts> {
    let Some(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
    else {
        cx.problem(
            path,
            format!("restated_at `{text}` is not a date"),
            "write the day the restated month was delivered as YYYY-MM-DD, e.g. \"2026-06-09\"",
        );
        return None;
    };
    if day < per.end {
        cx.problem(
            path,
            format!(
                "restated_at {text} is not after billing period {} closed",
                per.label
            ),
            "a restatement is delivered after its month closed: use a day from the 1st of the next month on",
        );
        return None;
    }
    if let Some(other) = earlier
        .iter()
        .filter(|a| a.period == period)
        .find_map(|a| a.restated_at)
        .filter(|d| *d != day)
    {
        cx.problem(
            path,
            format!(
                "billing period {} is restated on two days ({} and {text})",
                per.label,
                crate::time::rfc3339(other).get(..10).unwrap_or_default()
            ),
            "curlab writes one restatement per period: give its late adjustments the same restated_at",
        );
        return None;
    }
    Some(day)
}

/// Resolve `[[inference_profiles]]`.
pub(crate) fn resolve_profiles(cx: &mut Ctx<'_>, accounts: &[Account]) -> Vec<ProfilePlan> {
    let specs = cx.file.inference_profiles.clone();
    let mut out: Vec<ProfilePlan> = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let p = root().key("inference_profiles").index(i);
        if out.iter().any(|o| o.name == s.name) {
            cx.problem(
                p.key("name"),
                format!("inference profile `{}` is defined twice", s.name),
                "give each profile its own name",
            );
        }
        let account = account_of(cx, accounts, &s.account, p.key("account"));
        let id =
            s.id.clone()
                .unwrap_or_else(|| short_id(&format!("aip|{}|{}", s.account, s.name), 12));
        if id.len() != 12
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            cx.problem(
                p.key("id"),
                format!("profile id `{id}` is not 12 lowercase letters or digits"),
                "leave `id` out to derive one, or write e.g. \"acwt9yee9wzo\"",
            );
        }
        if curlab_vocab::bedrock::region_code(&s.region).is_none() {
            cx.problem(
                p.key("region"),
                format!("unknown region `{}`", s.region),
                "use a Bedrock region such as us-east-1",
            );
        }
        check_tag_map(cx, &s.tags, &p.key("tags"), "profile tag");
        let acct = accounts
            .get(account)
            .map(|a| a.id.clone())
            .unwrap_or_default();
        out.push(ProfilePlan {
            name: s.name.clone(),
            arn: format!(
                "arn:aws:bedrock:{}:{acct}:application-inference-profile/{id}",
                s.region
            )
            .into(),
            account,
            tags: s.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
    }
    out
}
