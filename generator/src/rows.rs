//! The aggregated CUR line items the simulator emits, before they become Arrow columns.
//!
//! Money is integer: usage in millionths of a pricing unit, rates in 1e-10 USD (the 10 decimals
//! AWS prints), cost in 1e-16 USD, so `cost = usage × rate` holds exactly.

use std::sync::Arc;

use curlab_vocab::bedrock::{self, BillingForm, ServiceTier, TokenType, UsageKey};
use curlab_vocab::Money;

use crate::catalog::Model;
use crate::ids::LineItemId;
use crate::seed::short_id;
use crate::time::Ts;

/// Sorted `(key, value)` pairs of a map column.
pub type Pairs = Arc<Vec<(String, String)>>;

/// Everything about a line item that follows from its usage type: product, price, unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Sku {
    /// `line_item_product_code`.
    pub product_code: String,
    /// `product_servicecode` (None for Marketplace).
    pub servicecode: Option<String>,
    /// `product['product_name']`.
    pub product_name: String,
    /// `product_product_family`.
    pub family: String,
    /// `bill_billing_entity`.
    pub billing_entity: &'static str,
    /// `line_item_legal_entity`.
    pub legal_entity: String,
    /// `line_item_usage_type`.
    pub usage_type: String,
    /// `pricing_unit`.
    pub pricing_unit: &'static str,
    /// `line_item_unblended_rate` in 1e-10 USD per unit.
    pub rate_e10: i64,
    /// `pricing_public_on_demand_rate` in 1e-10 USD (None: empty, Marketplace).
    pub public_rate_e10: Option<i64>,
    /// `line_item_line_item_description`.
    pub description: String,
    /// Region (`us-east-1`).
    pub region: String,
    /// `product_location`.
    pub location: &'static str,
    /// Remaining `product` map entries (sorted).
    pub product_map: Pairs,
    /// `product_sku`.
    pub sku: String,
    /// `pricing_rate_code`.
    pub rate_code: String,
    /// `pricing_rate_id`.
    pub rate_id: String,
    /// `product_instance_type` (EC2 only).
    pub instance_type: Option<String>,
    /// `product_instance_family`.
    pub instance_family: Option<String>,
    /// Availability Zone, for zonal services.
    pub availability_zone: Option<String>,
    /// `product_to_location` (data transfer).
    pub to_location: Option<String>,
    /// Whether `product_operation` is set (the price list has an `operation` attribute).
    pub product_operation: bool,
    /// `line_item_normalization_factor` (instance lines; 0.0 otherwise).
    pub normalization_factor: f64,
}

/// What kind of line a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowKind {
    /// Bedrock inference usage.
    Bedrock,
    /// Non-Bedrock usage.
    Background,
    /// Tax.
    Tax,
    /// A separate EDP discount row of a Bedrock usage row (`EdpDiscount`).
    EdpDiscount,
    /// A separate private-rate discount row (`PrivateRateDiscount`).
    PrivateRateDiscount,
    /// A credit (`Credit`).
    Credit,
    /// A refund (`Refund`).
    Refund,
}

impl RowKind {
    /// Whether the row is usage or a discount of usage: it has a usage type, operation,
    /// unit and product attributes. Tax, credit and refund rows have none.
    pub fn usage_like(self) -> bool {
        !matches!(self, RowKind::Tax | RowKind::Credit | RowKind::Refund)
    }

    /// Whether the row is usage (Bedrock or not), with a rate.
    pub fn is_usage(self) -> bool {
        matches!(self, RowKind::Bedrock | RowKind::Background)
    }
}

/// One CUR line item.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Billing period index.
    pub period: usize,
    /// Usage account index.
    pub account: usize,
    /// Usage start (inclusive).
    pub start: Ts,
    /// Usage end (exclusive).
    pub end: Ts,
    /// Line kind.
    pub kind: RowKind,
    /// Product and price.
    pub sku: Arc<Sku>,
    /// `line_item_operation`.
    pub operation: Arc<str>,
    /// `line_item_iam_principal` (None: no principal).
    pub principal: Option<Arc<str>>,
    /// `line_item_resource_id`.
    pub resource_id: Option<Arc<str>>,
    /// Usage in 1e-6 pricing units.
    pub amount_e6: i64,
    /// Cost in 1e-16 USD.
    pub cost_e16: Money,
    /// `tags` map (prefixed keys, sorted).
    pub tags: Pairs,
    /// `resource_tags` map (normalised keys, sorted).
    pub resource_tags: Pairs,
    /// `identity_line_item_id`: the same for every interval of the line item.
    pub id: LineItemId,
    /// Tax type (Tax rows).
    pub tax_type: Option<String>,
    /// With `[discounts]` showing the `discount` map and net columns: the row's discounts,
    /// ≤ 0 (1e-16 USD), EDP and private rate (`[0, 0]` for rows without). None: the export
    /// has no such columns filled (null net columns, empty map).
    pub discount_e16: Option<[Money; 2]>,
    /// Added to a usage row's net cost beyond its discounts (1e-16 USD): always 0, except where
    /// the `discount-net-mismatch` fault plants a net cost its discount columns do not explain.
    pub net_skew_e16: Money,
    /// A credit or refund delivered late, in a restatement of its closed period
    /// (`restated_at`): it carries its credit memo's invoice id.
    pub late: bool,
}

impl Row {
    /// `line_item_usage_amount`.
    pub fn usage_amount(&self) -> f64 {
        self.amount_e6 as f64 / 1e6
    }

    /// `line_item_unblended_cost`.
    pub fn cost(&self) -> f64 {
        self.cost_e16.to_usd()
    }

    /// `discount_total_discount` in 1e-16 USD (≤ 0), when the row carries discounts.
    pub fn total_discount_e16(&self) -> Option<Money> {
        self.discount_e16.map(|d| d[0] + d[1])
    }

    /// `line_item_net_unblended_cost` in 1e-16 USD: unblended + total discount; 0 on a
    /// separate discount row (its dollars are in the usage rows' net already); None when the
    /// export shows no net columns.
    pub fn net_cost_e16(&self) -> Option<Money> {
        let d = self.total_discount_e16()?;
        Some(match self.kind {
            RowKind::EdpDiscount | RowKind::PrivateRateDiscount => Money::ZERO,
            _ => self.cost_e16 + d + self.net_skew_e16,
        })
    }

    /// `line_item_line_item_type`.
    pub fn line_item_type(&self) -> &'static str {
        match self.kind {
            RowKind::Tax => "Tax",
            RowKind::EdpDiscount => "EdpDiscount",
            RowKind::PrivateRateDiscount => "PrivateRateDiscount",
            RowKind::Credit => "Credit",
            RowKind::Refund => "Refund",
            RowKind::Bedrock | RowKind::Background => "Usage",
        }
    }

    /// `bill_bill_type`: `Refund` for refunds, `Anniversary` otherwise.
    pub fn bill_type(&self) -> &'static str {
        if self.kind == RowKind::Refund {
            "Refund"
        } else {
            "Anniversary"
        }
    }
}

/// `line_item_usage_amount` of a tax row (1.0, as in real exports), in 1e-6 units.
pub(crate) const TAX_USAGE_E6: i64 = 1_000_000;

/// The SKU of the tax line for the product `usage` belongs to, as real exports write tax rows:
/// the product code and billing/legal entity of the product, `product` holding only
/// `product_name`, description `Tax for product code <CODE>`, and no usage type, operation,
/// rate, unit, service code, SKU or location.
pub(crate) fn tax_sku(usage: &Sku) -> Sku {
    Sku {
        product_code: usage.product_code.clone(),
        servicecode: None,
        product_name: usage.product_name.clone(),
        family: String::new(),
        billing_entity: usage.billing_entity,
        legal_entity: usage.legal_entity.clone(),
        usage_type: String::new(),
        pricing_unit: "",
        rate_e10: 0,
        public_rate_e10: None,
        description: format!("Tax for product code {}", usage.product_code),
        region: String::new(),
        location: "",
        product_map: Arc::new(vec![(
            "product_name".to_string(),
            usage.product_name.clone(),
        )]),
        sku: String::new(),
        rate_code: String::new(),
        rate_id: String::new(),
        instance_type: None,
        instance_family: None,
        availability_zone: None,
        to_location: None,
        product_operation: false,
        normalization_factor: 0.0,
    }
}

/// The SKU of a credit or refund row: like a tax row's, the product code and its name, the
/// description, and no usage type, operation, rate, unit or location.
pub(crate) fn adjustment_sku(a: &crate::plan::AdjustmentPlan) -> Sku {
    let product_name = match a.product_code.as_str() {
        "AmazonBedrock" => "Amazon Bedrock".to_string(),
        "AmazonBedrockService" => "Amazon Bedrock Service".to_string(),
        "AmazonBedrockAgentCore" => "Amazon Bedrock AgentCore".to_string(),
        other => other.to_string(),
    };
    let mut s = tax_sku(&Sku {
        product_code: a.product_code.clone(),
        servicecode: None,
        product_name,
        family: String::new(),
        billing_entity: "AWS",
        legal_entity: "Amazon Web Services, Inc.".into(),
        usage_type: String::new(),
        pricing_unit: "",
        rate_e10: 0,
        public_rate_e10: None,
        description: String::new(),
        region: String::new(),
        location: "",
        product_map: Arc::new(Vec::new()),
        sku: String::new(),
        rate_code: String::new(),
        rate_id: String::new(),
        instance_type: None,
        instance_family: None,
        availability_zone: None,
        to_location: None,
        product_operation: false,
        normalization_factor: 0.0,
    });
    s.description = a.description.clone();
    s
}

/// Dollars from 1e-16 USD ([`Money::to_usd`]).
pub fn e16_to_usd(v: i128) -> f64 {
    Money::from_e16(v).to_usd()
}

/// A rate in 1e-10 USD as AWS prints it: 10 decimals.
pub(crate) fn format_rate(rate_e10: i64) -> String {
    let sign = if rate_e10 < 0 { "-" } else { "" };
    let r = rate_e10.unsigned_abs();
    format!("{sign}{}.{:010}", r / 10_000_000_000, r % 10_000_000_000)
}

/// The Bedrock SKU for one model, region and usage key.
pub(crate) fn bedrock_sku(model: &Model, region: &str, region_code: &str, key: UsageKey) -> Sku {
    let form = model.billing;
    let price = model.price(key).unwrap_or(0);
    // price is pico-dollars per token; per unit that is price × tokens_per_unit pico-dollars,
    // i.e. price × tokens_per_unit / 100 in 1e-10 USD.
    let rate_e10 = (price * form.tokens_per_unit() / 100) as i64;
    let usage_type = bedrock::usage_type(region_code, &model.usage_name, model.spelling, key);
    let location = bedrock::region_location(region);
    let feature = if key.batch {
        "Batch Inference"
    } else {
        match key.tier {
            ServiceTier::Standard => "On-demand Inference",
            ServiceTier::Priority => "Priority Inference",
            ServiceTier::Flex => "Flex Inference",
        }
    };
    let product_name = model.product_name();
    let mut map = vec![
        ("feature".to_string(), feature.to_string()),
        (
            "inference_type".to_string(),
            // The Price List's wording for the long-context rows: "Input tokens long context".
            if key.long_context {
                format!("{} long context", key.token.inference_type())
            } else {
                key.token.inference_type().to_string()
            },
        ),
        ("model".to_string(), model.display_name.clone()),
        ("product_name".to_string(), product_name.clone()),
        ("provider".to_string(), model.provider.clone()),
        ("region".to_string(), region.to_string()),
        ("servicename".to_string(), product_name.clone()),
    ];
    map.sort();
    let (billing_entity, servicecode, public_rate, description) = match form {
        BillingForm::Aws => {
            let unit = match key.token {
                TokenType::Input => "input tokens",
                TokenType::Output => "output tokens",
                TokenType::CacheRead => "cache read input tokens",
                TokenType::CacheWrite | TokenType::CacheWrite1h => "cache write input tokens",
            };
            (
                "AWS",
                Some(model.product_code.clone()),
                Some(rate_e10),
                format!(
                    "{} {} per 1K {unit}{} in {location}",
                    format_usd_short(rate_e10),
                    model.display_name,
                    if key.long_context {
                        " (long context)"
                    } else {
                        ""
                    }
                ),
            )
        }
        BillingForm::Marketplace => {
            let what = match key.token {
                TokenType::Input => "Million Input Tokens",
                TokenType::Output => "Million Output Tokens",
                TokenType::CacheRead => "Million Cache Read Input Tokens",
                TokenType::CacheWrite => "Million Cache Write Input Tokens",
                TokenType::CacheWrite1h => "Million Cache Write 1h Input Tokens",
            };
            (
                "AWS Marketplace",
                None,
                None,
                format!(
                    "AWS Marketplace software usage|{region}|{what}{}",
                    if key.long_context {
                        " Long Context"
                    } else {
                        ""
                    }
                ),
            )
        }
    };
    let sku = short_id(&format!("{}|{usage_type}", model.product_code), 16).to_uppercase();
    Sku {
        product_code: model.product_code.clone(),
        servicecode,
        product_name,
        family: "Amazon Bedrock".into(),
        billing_entity,
        legal_entity: "Amazon Web Services, Inc.".into(),
        usage_type,
        pricing_unit: form.pricing_unit(),
        rate_e10,
        public_rate_e10: public_rate,
        description,
        region: region.into(),
        location,
        product_map: Arc::new(map),
        rate_code: format!("{sku}.JRTCKXETXF.6YS6EN2CT7"),
        rate_id: short_digits(&sku, 10),
        sku,
        instance_type: None,
        instance_family: None,
        availability_zone: None,
        to_location: None,
        product_operation: true,
        normalization_factor: 0.0,
    }
}

fn format_usd_short(rate_e10: i64) -> String {
    let s = format_rate(rate_e10);
    let trimmed = s.trim_end_matches('0');
    format!("${}", trimmed.trim_end_matches('.'))
}

fn short_digits(s: &str, n: usize) -> String {
    let mut h = u64::from(curlab_vocab::arn::fnv1a32(s.as_bytes())) | 1;
    (0..n)
        .map(|_| {
            h ^= h << 13;
            h ^= h >> 7;
            h ^= h << 17;
            char::from(b'0' + (h % 10) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_print_with_ten_decimals() {
        assert_eq!(format_rate(33_000_000), "0.0033000000");
        assert_eq!(format_rate(600), "0.0000000600");
        assert_eq!(format_rate(33_000_000_000), "3.3000000000");
        assert_eq!(e16_to_usd(693_000_000_000_000), 0.0693);
    }

    #[test]
    fn sku_rate_matches_price() {
        let m = crate::catalog::builtin()
            .into_iter()
            .find(|m| m.id == "claude-sonnet-4.6")
            .unwrap();
        let key = UsageKey {
            token: TokenType::Input,
            tier: ServiceTier::Standard,
            batch: false,
            global: false,
            long_context: false,
        };
        let sku = bedrock_sku(&m, "us-east-1", "USE1", key);
        assert_eq!(sku.usage_type, "USE1-Claude4.6Sonnet-input-tokens");
        assert_eq!(format_rate(sku.rate_e10), "0.0033000000");
        assert_eq!(sku.pricing_unit, "1K tokens");
    }
}
