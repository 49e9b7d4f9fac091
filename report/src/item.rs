//! One Bedrock line item as the report sees it, whatever it was read from.

use curlab_vocab::bedrock::{form_of_usage_type, parse_usage_type, BillingForm, REGION_CODES};

use curlab_vocab::Money;

/// The cells of one Bedrock inference usage row that reports need. Files and the in-memory
/// generator both produce these, so both go through the same aggregation.
#[derive(Debug, Clone, Copy)]
pub struct LineItem<'a> {
    /// `line_item_iam_principal` (None for null or empty).
    pub principal: Option<&'a str>,
    /// `line_item_usage_account_id`.
    pub usage_account: &'a str,
    /// `line_item_usage_type`.
    pub usage_type: &'a str,
    /// `product['product_name']`.
    pub product_name: &'a str,
    /// `pricing_unit`.
    pub pricing_unit: &'a str,
    /// `line_item_usage_start_date`, UTC microseconds.
    pub start: Option<i64>,
    /// `line_item_unblended_cost` in 1e-10 USD.
    pub cost: Money,
    /// `line_item_usage_amount` in millionths of a pricing unit.
    pub usage_e6: i128,
    /// `tags` entries (prefixed keys).
    pub tags: &'a [(String, String)],
}

impl<'a> LineItem<'a> {
    /// The value of a `tags` key, if present and non-empty.
    pub fn tag(&self, full_key: &str) -> Option<&'a str> {
        self.tags
            .iter()
            .find(|(k, v)| k == full_key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Tokens in millionths: usage amount times the tokens a pricing unit stands for
    /// (1,000 for `1K tokens`, 1,000,000 for Marketplace `Money`, 1 for anything else).
    pub fn tokens_e6(&self) -> i128 {
        let per_unit = BillingForm::from_pricing_unit(self.pricing_unit)
            .map(|f| f.tokens_per_unit())
            .unwrap_or(1);
        self.usage_e6.saturating_mul(per_unit as i128)
    }

    /// The model: the model token of an AWS-form usage type
    /// (`USE1-Claude4.6Sonnet-input-tokens` → `Claude4.6Sonnet`, the model id of a mantle one:
    /// `USE1-openai.gpt-oss-120b-mantle-input-tokens-standard` → `openai.gpt-oss-120b`), or the
    /// product name of a Marketplace row, whose usage type does not name the model.
    ///
    /// `product['model']` is not used: the shared reading layer keeps only
    /// `product['product_name']` of the product map, and files and in-memory rows must agree.
    pub fn model(&self) -> &'a str {
        if form_of_usage_type(self.usage_type) == BillingForm::Marketplace {
            return if self.product_name.is_empty() {
                "(unknown)"
            } else {
                self.product_name
            };
        }
        if let Some(model) = parse_usage_type(self.usage_type).and_then(|p| p.model) {
            return model;
        }
        let rest = self
            .usage_type
            .split_once('-')
            .map(|(_, r)| r)
            .unwrap_or(self.usage_type);
        const SUFFIXES: [&str; 4] = [
            "-input-tokens",
            "-output-tokens",
            "-cache-read",
            "-cache-write",
        ];
        let end = SUFFIXES
            .iter()
            .filter_map(|s| rest.find(s))
            .min()
            .unwrap_or(rest.len());
        if end == 0 {
            "(unknown)"
        } else {
            &rest[..end]
        }
    }

    /// The region, from the billing region code that prefixes the usage type
    /// (`USE1-...` → `us-east-1`); the code itself when it is not a known one.
    pub fn region(&self) -> &'a str {
        let code = self.usage_type.split('-').next().unwrap_or("");
        REGION_CODES
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(r, _)| *r)
            .unwrap_or(if code.is_empty() { "(unknown)" } else { code })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(usage_type: &'static str, product_name: &'static str) -> LineItem<'static> {
        LineItem {
            principal: None,
            usage_account: "123456789012",
            usage_type,
            product_name,
            pricing_unit: "",
            start: None,
            cost: Money::ZERO,
            usage_e6: 0,
            tags: &[],
        }
    }

    #[test]
    fn model_and_region_from_usage_type() {
        let a = item(
            "USE1-Claude4.6Sonnet-input-tokens-priority",
            "Amazon Bedrock",
        );
        assert_eq!(a.model(), "Claude4.6Sonnet");
        assert_eq!(a.region(), "us-east-1");
        let c = item(
            "EUC1-Nova2.0Lite-cache-read-input-token-count",
            "Amazon Bedrock",
        );
        assert_eq!(c.model(), "Nova2.0Lite");
        assert_eq!(c.region(), "eu-central-1");
        let m = item(
            "USW2-MP:USW2_InputTokenCount-Money",
            "Claude Opus 4 (Amazon Bedrock Edition)",
        );
        assert_eq!(m.model(), "Claude Opus 4 (Amazon Bedrock Edition)");
        assert_eq!(m.region(), "us-west-2");
        for (u, model) in [
            (
                "USE1-Claude4Sonnet-input-tokens-long-context-cross-region-global",
                "Claude4Sonnet",
            ),
            (
                "USE1-Nova2.0Lite-input-tokens-cross-region-global-batch",
                "Nova2.0Lite",
            ),
            (
                "USE1-openai.gpt-oss-120b-mantle-input-tokens-standard",
                "openai.gpt-oss-120b",
            ),
            (
                "USE1-Mistral-Large-3-675b-Instruct-output-tokens",
                "Mistral-Large-3-675b-Instruct",
            ),
        ] {
            assert_eq!(item(u, "Amazon Bedrock").model(), model, "{u}");
        }
        let snake = item(
            "USE2-MP:USE2_input_tokens_standard-Money",
            "Claude Sonnet 4.6 (Amazon Bedrock Edition)",
        );
        assert_eq!(snake.model(), "Claude Sonnet 4.6 (Amazon Bedrock Edition)");
        assert_eq!(snake.region(), "us-east-2");
    }
}
