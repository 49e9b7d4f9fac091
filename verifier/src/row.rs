//! Timestamps as reports show them, and (in tests) one line item written out cell by cell.
//!
//! The scan itself never builds rows: rules work on record batches ([`View`](crate::facts::View)).
//! Rule tests describe their input as `Row`s, which the test kit turns into one-row batches.

/// One data row, for rule tests (empty strings and nulls folded together where CUR treats them
/// the same).
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// Index of the file in discovery order.
    pub file: usize,
    /// The file as shown in reports.
    pub display: &'a str,
    /// 1-based data row number within the file.
    pub row: u64,
    /// `BILLING_PERIOD=` folder of the file (`YYYY-MM`), if any.
    pub folder_period: Option<&'a str>,
    /// `identity_line_item_id` (None when null or empty).
    pub line_item_id: Option<&'a str>,
    /// `identity_time_interval` (None: null, or the file has no such column).
    pub time_interval: Option<&'a str>,
    /// `bill_billing_entity` ("" when null).
    pub billing_entity: &'a str,
    /// `line_item_line_item_type`.
    pub line_item_type: &'a str,
    /// `line_item_operation`.
    pub operation: &'a str,
    /// `line_item_product_code`.
    pub product_code: &'a str,
    /// `line_item_usage_account_id`.
    pub usage_account: &'a str,
    /// `line_item_usage_type`.
    pub usage_type: &'a str,
    /// `pricing_unit`.
    pub pricing_unit: &'a str,
    /// `product_product_family`.
    pub product_family: &'a str,
    /// `product['product_name']`.
    pub product_name: &'a str,
    /// `line_item_iam_principal`; `None` for null and for the empty string alike.
    pub principal: Option<&'a str>,
    /// Whether the file has a `line_item_iam_principal` column at all.
    pub has_principal_column: bool,
    /// `line_item_unblended_cost`.
    pub cost: Option<f64>,
    /// `line_item_usage_amount`.
    pub usage: Option<f64>,
    /// `line_item_net_unblended_cost` (null where no discount program applies).
    pub net_cost: Option<f64>,
    /// `discount_total_discount` (null where no discount applies).
    pub total_discount: Option<f64>,
    /// `line_item_unblended_rate` (text; None when null or empty).
    pub rate: Option<&'a str>,
    /// `line_item_usage_start_date`, UTC microseconds.
    pub start: Option<i64>,
    /// `line_item_usage_end_date`, UTC microseconds.
    pub end: Option<i64>,
    /// `bill_billing_period_start_date`, UTC microseconds.
    pub period_start: Option<i64>,
    /// `tags` entries; `None` when the file has no `tags` column, empty for a null map.
    pub tags: Option<&'a [(String, String)]>,
    /// Any Amazon Bedrock row (vocab `is_bedrock`).
    pub bedrock: bool,
    /// A Bedrock model-inference usage row (vocab `is_bedrock_inference`).
    pub inference: bool,
}

/// Format UTC microseconds as RFC 3339 (`2026-04-20T10:00:00Z`).
pub fn fmt_ts(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| micros.to_string())
}

/// Format an optional timestamp (empty when null).
pub fn fmt_opt_ts(micros: Option<i64>) -> String {
    micros.map(fmt_ts).unwrap_or_default()
}
