//! `[[models]]`: checks on price overrides and added models (the catalogue itself is
//! [`crate::catalog`]).

use curlab_vocab::bedrock::{BillingForm, TokenType};

use crate::catalog::Model;

use super::context::{root, Ctx};

/// Check every `[[models]]` entry against the merged catalogue `models`.
pub(crate) fn check_models(cx: &mut Ctx<'_>, models: &[Model]) {
    for (i, m) in cx.file.models.iter().enumerate() {
        let p = root().key("models").index(i);
        let model = models.iter().find(|x| x.id == m.id);
        if let Some(model) = model {
            if model.base_price(TokenType::Input).is_none()
                || model.base_price(TokenType::Output).is_none()
            {
                cx.problem(
                    p.clone(),
                    format!("model `{}` has no input or output price", m.id),
                    "set input and output (USD per 1M tokens)",
                );
            }
            if model.usage_name.is_empty()
                || !model
                    .usage_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                cx.problem(
                    p.key("usage_name"),
                    format!(
                        "usage name `{}` does not fit a usage type",
                        model.usage_name
                    ),
                    "use letters, digits, `.` and `-`, e.g. Claude4.6Sonnet",
                );
            }
        }
        for (key, v) in [
            ("input", m.input),
            ("output", m.output),
            ("cache_read", m.cache_read),
            ("cache_write", m.cache_write),
            ("cache_write_1h", m.cache_write_1h),
        ] {
            if let Some(v) = v {
                if !(0.0..=10_000.0).contains(&v) || (v * 1e6).fract().abs() > 1e-6 {
                    cx.problem(
                        p.key(key),
                        format!(
                            "price {v} is not a USD price per 1M tokens with at most 6 decimals"
                        ),
                        "write e.g. 3.0 for $3.00 per million tokens",
                    );
                }
            }
        }
        if m.marketplace_spelling.is_some()
            && model.is_some_and(|x| x.billing != BillingForm::Marketplace)
        {
            cx.problem(
                p.key("marketplace_spelling"),
                "a Marketplace spelling is set on an AWS-billed model",
                "add billing = \"marketplace\" or remove marketplace_spelling",
            );
        }
        if m.service_tiers.as_ref().is_some_and(|t| t.is_empty()) {
            cx.problem(
                p.key("service_tiers"),
                "the model is sold in no tier",
                "list at least \"standard\", e.g. service_tiers = [\"standard\", \"priority\", \"flex\"]",
            );
        }
        if let Some(r) = m.regional_premium {
            if !(1.0..=2.0).contains(&r) {
                cx.problem(
                    p.key("regional_premium"),
                    format!("regional premium {r} is outside 1..2"),
                    "Claude 4.5 and later use 1.1; older models 1.0",
                );
            }
        }
    }
}
