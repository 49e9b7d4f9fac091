//! One line item as the rules see it: the needed cells of a batch row, with empty strings and
//! nulls already folded together where CUR treats them the same.

use curlab_vocab::bedrock::{is_bedrock, is_bedrock_inference, RowIdentity};

use crate::finding::Sample;
use crate::read::{Batch, Col};
use std::collections::BTreeMap;

/// One data row.
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

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|v| !v.trim().is_empty())
}

impl<'a> Row<'a> {
    /// Row `i` of `batch`.
    pub fn from_batch(
        batch: &'a Batch,
        i: usize,
        file: usize,
        display: &'a str,
        folder_period: Option<&'a str>,
    ) -> Row<'a> {
        let s = |c: Col| batch.str(c, i).unwrap_or("");
        let product_name = batch
            .pairs(Col::Product, i)
            .and_then(|p| p.iter().find(|(k, _)| k == "product_name"))
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let ident = RowIdentity {
            product_code: s(Col::ProductCode),
            billing_entity: s(Col::BillingEntity),
            product_family: s(Col::ProductFamily),
            product_name,
            operation: s(Col::Operation),
            line_item_type: s(Col::LineItemType),
        };
        Row {
            file,
            display,
            row: batch.first_row + i as u64 + 1,
            folder_period,
            line_item_id: non_empty(batch.str(Col::LineItemId, i)),
            billing_entity: ident.billing_entity,
            line_item_type: ident.line_item_type,
            operation: ident.operation,
            product_code: ident.product_code,
            usage_account: s(Col::UsageAccount),
            usage_type: s(Col::UsageType),
            pricing_unit: s(Col::PricingUnit),
            product_family: ident.product_family,
            product_name,
            principal: non_empty(batch.str(Col::Principal, i)),
            has_principal_column: batch.has(Col::Principal),
            cost: batch.f64(Col::UnblendedCost, i),
            usage: batch.f64(Col::UsageAmount, i),
            rate: non_empty(batch.str(Col::UnblendedRate, i)),
            start: batch.ts(Col::UsageStart, i),
            end: batch.ts(Col::UsageEnd, i),
            period_start: batch.ts(Col::PeriodStart, i),
            tags: if batch.has(Col::Tags) {
                Some(batch.pairs(Col::Tags, i).unwrap_or(&[]))
            } else {
                None
            },
            bedrock: is_bedrock(&ident),
            inference: is_bedrock_inference(&ident),
        }
    }

    /// A sample of this row with the given offending values.
    pub fn sample<K: Into<String>, V: Into<String>>(
        &self,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Sample {
        Sample {
            file: Some(self.display.to_string()),
            row: Some(self.row),
            identity_line_item_id: self.line_item_id.map(str::to_string),
            values: values
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    /// The `tags` entries under `iamPrincipal/`, with the prefix removed.
    pub fn principal_tags(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.tags.unwrap_or(&[]).iter().filter_map(|(k, v)| {
            k.strip_prefix(curlab_vocab::tags::IAM_PRINCIPAL_PREFIX)
                .map(|rest| (rest, v.as_str()))
        })
    }
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
