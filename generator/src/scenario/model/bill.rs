//! The rest of the bill: `[discounts]`, `[[adjustments]]` (credits and refunds) and
//! `[[inference_profiles]]` (application inference profiles).

use serde::Deserialize;

use super::common::TagMap;

/// How discounts appear in the export (docs/export-format.md, "Discounts").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiscountRepresentation {
    /// The `discount` map, `discount_total_discount` and the net columns on each discounted
    /// usage row, and a separate negative `EdpDiscount` / `PrivateRateDiscount` row per
    /// discounted usage line and program (what the CID dashboards read).
    #[default]
    MapAndRows,
    /// Only the map, total and net columns on the usage rows; no separate rows.
    MapOnly,
    /// Only the separate rows (Data Exports' manual discount compatibility): no map, no
    /// `discount_total_discount`, null net columns.
    RowsOnly,
}

impl DiscountRepresentation {
    /// The name written in the truth file and in docs.
    pub fn as_str(self) -> &'static str {
        match self {
            DiscountRepresentation::MapAndRows => "map-and-rows",
            DiscountRepresentation::MapOnly => "map-only",
            DiscountRepresentation::RowsOnly => "rows-only",
        }
    }

    /// Whether usage rows carry the `discount` map and the net columns.
    pub fn map(self) -> bool {
        self != DiscountRepresentation::RowsOnly
    }

    /// Whether separate discount rows are written.
    pub fn rows(self) -> bool {
        self != DiscountRepresentation::MapOnly
    }
}

/// `[discounts]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountsSpec {
    /// Enterprise Discount Program discount, in percent of the AWS-billed Bedrock usage
    /// (not AWS Marketplace rows), in steps of 0.01, e.g. `6.5`.
    #[serde(default)]
    pub edp_percent: f64,
    /// Private-rate discounts per model or per product code.
    #[serde(default)]
    pub private_rates: Vec<PrivateRateSpec>,
    /// `map-and-rows` (default), `map-only` or `rows-only`.
    #[serde(default)]
    pub representation: DiscountRepresentation,
}

/// `[[discounts.private_rates]]`: a private-pricing discount.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateRateSpec {
    /// Catalogue model id it applies to (give this or `product_code`).
    #[serde(default)]
    pub model: Option<String>,
    /// `line_item_product_code` it applies to, e.g. `AmazonBedrock` (every model billed
    /// under it).
    #[serde(default)]
    pub product_code: Option<String>,
    /// Discount in percent of the unblended cost, in steps of 0.01.
    pub percent: f64,
}

/// The kind of an adjustment row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdjustmentKind {
    /// `line_item_line_item_type = 'Credit'`, bill type `Anniversary`.
    Credit,
    /// `line_item_line_item_type = 'Refund'`, bill type `Refund`.
    Refund,
}

/// `[[adjustments]]`: a credit or refund row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentSpec {
    /// `credit` or `refund`.
    #[serde(rename = "type")]
    pub kind: AdjustmentKind,
    /// Billing period `YYYY-MM` the row belongs to.
    pub period: String,
    /// Amount in USD, positive; the row's cost is its negative.
    pub amount: f64,
    /// Usage account (id or name); default the payer.
    #[serde(default)]
    pub account: Option<String>,
    /// `line_item_product_code`; default `AmazonBedrock`.
    #[serde(default = "amazon_bedrock")]
    pub product_code: String,
    /// `line_item_line_item_description`; default `AWS Credit` / `Refund`.
    #[serde(default)]
    pub description: Option<String>,
    /// `YYYY-MM-DD` after the period closed: the adjustment arrives late, in a restatement of
    /// its billing period delivered on that day (a second execution of the period; the first
    /// delivery has every other row and not this one). Default: none, the adjustment is in the
    /// period's only delivery. All late adjustments of one period share one date.
    #[serde(default)]
    pub restated_at: Option<String>,
}

fn amazon_bedrock() -> String {
    "AmazonBedrock".into()
}

/// `[[inference_profiles]]`: an application inference profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceProfileSpec {
    /// Name, referenced by `inference_profile` in `[[workloads]]` and `[[requests]]`.
    pub name: String,
    /// Account that owns it (id or name); its id is in the ARN.
    pub account: String,
    /// Region it lives in; default `us-east-1`.
    #[serde(default = "super::common::us_east_1")]
    pub region: String,
    /// The profile's id (12 lowercase letters or digits); default derived from the name.
    #[serde(default)]
    pub id: Option<String>,
    /// Its tags (cost allocation tags when activated with `source = "resource"`).
    #[serde(default)]
    pub tags: TagMap,
}
