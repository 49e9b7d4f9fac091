//! Rows → Arrow record batches with the export's exact CUR 2.0 schema.
//!
//! Every column of the configured set is present, in AWS (alphabetical) order, with the type
//! AWS documents. Columns that do not apply hold the null AWS uses (strings) or 0.0 (the
//! non-net reservation and Savings Plan money columns), as observed in real files.

use std::sync::Arc;

use arrow_array::builder::{
    Float64Builder, MapBuilder, MapFieldNames, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use curlab_vocab::columns::{Column, ColumnType, TableConfig};

use crate::plan::{rfc3339, Account, Period, Ts};
use crate::rows::{format_rate, Row, RowKind};
use crate::scenario::model::MissingPrincipal;

/// What the batch builder needs besides the rows.
#[derive(Debug, Clone)]
pub struct BatchContext {
    /// Column set.
    pub table: TableConfig,
    /// Payer account.
    pub payer: Account,
    /// Usage accounts (row `account` indexes this).
    pub accounts: Vec<Account>,
    /// Billing periods (row `period` indexes this).
    pub periods: Vec<Period>,
    /// Fill `bill_invoice_id`.
    pub invoice_finalized: bool,
    /// How rows without a principal spell it.
    pub missing_principal: MissingPrincipal,
    /// Write map columns as JSON strings (the `map-as-string` fault).
    pub maps_as_strings: bool,
    /// Columns left out (the `missing-column` fault).
    pub drop_columns: Vec<String>,
}

impl BatchContext {
    /// The columns written, in order.
    pub fn columns(&self) -> Vec<&'static Column> {
        self.table
            .columns()
            .into_iter()
            .filter(|c| !self.drop_columns.iter().any(|d| d == c.name))
            .collect()
    }

    /// The Arrow schema of the data files.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns()
            .into_iter()
            .map(|c| Field::new(c.name, self.arrow_type(c.ty), true))
            .collect();
        Arc::new(Schema::new(fields))
    }

    fn arrow_type(&self, ty: ColumnType) -> DataType {
        match ty {
            ColumnType::Str => DataType::Utf8,
            ColumnType::Double => DataType::Float64,
            ColumnType::Timestamp => timestamp_type(),
            ColumnType::MapStr | ColumnType::MapDouble if self.maps_as_strings => DataType::Utf8,
            ColumnType::MapStr => map_type(DataType::Utf8),
            ColumnType::MapDouble => map_type(DataType::Float64),
        }
    }
}

/// Timestamps are written as INT64 milliseconds, UTC-adjusted (documented choice; see
/// docs/export-format.md).
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn map_fields() -> MapFieldNames {
    MapFieldNames {
        entry: "key_value".into(),
        key: "key".into(),
        value: "value".into(),
    }
}

fn map_type(value: DataType) -> DataType {
    let entries = Field::new(
        "key_value",
        DataType::Struct(
            vec![
                Field::new("key", DataType::Utf8, false),
                Field::new("value", value, true),
            ]
            .into(),
        ),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// JSON object text of a map, as CSV exports write map columns.
pub fn map_json(pairs: &[(String, String)]) -> String {
    let m: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(m).to_string()
}

fn interval(start: Ts, end: Ts) -> String {
    format!("{}/{}", rfc3339(start), rfc3339(end))
}

fn invoice_id(payer: &str, period: &str) -> String {
    let h = u64::from(curlab_vocab::arn::fnv1a32(
        format!("{payer}{period}").as_bytes(),
    ));
    format!("{:010}", h % 10_000_000_000)
}

/// A string cell.
fn string_cell(ctx: &BatchContext, name: &str, r: &Row) -> Option<String> {
    let usage = r.kind != RowKind::Tax;
    let s = &r.sku;
    let per = &ctx.periods[r.period];
    let dt = s.to_location.is_some();
    Some(match name {
        "bill_bill_type" => "Anniversary".into(),
        "bill_billing_entity" => s.billing_entity.into(),
        "bill_invoice_id" if ctx.invoice_finalized => invoice_id(&ctx.payer.id, &per.label),
        "bill_invoicing_entity" => "Amazon Web Services, Inc.".into(),
        "bill_payer_account_id" => ctx.payer.id.clone(),
        "bill_payer_account_name" => ctx.payer.name.clone(),
        "identity_line_item_id" => r.id.clone(),
        "identity_time_interval" => interval(r.start, r.end),
        "line_item_availability_zone" => s.availability_zone.clone()?,
        "line_item_blended_rate" | "line_item_unblended_rate" if usage => format_rate(s.rate_e10),
        "line_item_currency_code" | "pricing_currency" => "USD".into(),
        "line_item_iam_principal" => match (&r.principal, ctx.missing_principal) {
            (Some(p), _) => p.to_string(),
            (None, MissingPrincipal::Empty) => String::new(),
            (None, MissingPrincipal::Null) => return None,
        },
        "line_item_legal_entity" => s.legal_entity.clone(),
        "line_item_line_item_description" => s.description.clone(),
        "line_item_line_item_type" => r.line_item_type().into(),
        "line_item_operation" | "product_operation" if usage => r.operation.to_string(),
        "line_item_product_code" => s.product_code.clone(),
        "line_item_resource_id" => r.resource_id.as_deref()?.to_string(),
        "line_item_tax_type" => r.tax_type.clone()?,
        "line_item_usage_account_id" => ctx.accounts[r.account].id.clone(),
        "line_item_usage_account_name" => ctx.accounts[r.account].name.clone(),
        "line_item_usage_type" | "product_usagetype" if usage => s.usage_type.clone(),
        "pricing_public_on_demand_rate" if usage => format_rate(s.public_rate_e10?),
        "pricing_rate_code" if usage => s.rate_code.clone(),
        "pricing_rate_id" if usage => s.rate_id.clone(),
        "pricing_term" if usage => "OnDemand".into(),
        "pricing_unit" if usage => s.pricing_unit.into(),
        "product_from_location" if dt => s.location.into(),
        "product_from_location_type" if dt => "AWS Region".into(),
        "product_from_region_code" if dt => s.region.clone(),
        "product_to_location" if dt => s.to_location.clone()?,
        "product_to_location_type" if dt => "Other".into(),
        "product_instance_family" => s.instance_family.clone()?,
        "product_instance_type" => s.instance_type.clone()?,
        "product_location" if usage && !s.location.is_empty() => s.location.into(),
        "product_location_type" if usage => "AWS Region".into(),
        "product_pricing_unit" if usage && r.kind == RowKind::Background => s.pricing_unit.into(),
        "product_product_family" if usage => s.family.clone(),
        "product_region_code" if usage => s.region.clone(),
        "product_servicecode" => s.servicecode.clone()?,
        "product_sku" if usage => s.sku.clone(),
        _ => return None,
    })
}

/// A double cell.
fn double_cell(name: &str, r: &Row) -> Option<f64> {
    let usage = r.kind != RowKind::Tax;
    match name {
        "line_item_blended_cost" | "line_item_unblended_cost" => Some(r.cost()),
        "line_item_usage_amount" => Some(r.usage_amount()),
        "line_item_normalization_factor" => Some(if r.sku.instance_type.is_some() {
            4.0
        } else {
            0.0
        }),
        "line_item_normalized_usage_amount" => Some(if r.sku.instance_type.is_some() {
            r.usage_amount() * 4.0
        } else {
            0.0
        }),
        "pricing_public_on_demand_cost" if usage => Some(match r.sku.public_rate_e10 {
            Some(rate) => crate::rows::e16_to_usd(i128::from(r.amount_e6) * i128::from(rate)),
            None => 0.0,
        }),
        n if n.contains("_net_") => None,
        n if n.starts_with("reservation_") || n.starts_with("savings_plan_") => Some(0.0),
        _ => None,
    }
}

fn ts_cell(ctx: &BatchContext, name: &str, r: &Row) -> Option<i64> {
    let per = &ctx.periods[r.period];
    Some(
        1000 * match name {
            "bill_billing_period_start_date" => per.start,
            "bill_billing_period_end_date" => per.end,
            "line_item_usage_start_date" => r.start,
            "line_item_usage_end_date" => r.end,
            _ => return None,
        },
    )
}

fn map_cell<'r>(name: &str, r: &'r Row) -> &'r [(String, String)] {
    match name {
        "product" => &r.sku.product_map,
        "tags" => &r.tags,
        "resource_tags" => &r.resource_tags,
        _ => &[],
    }
}

/// Build one record batch from rows.
pub fn to_batch(
    ctx: &BatchContext,
    schema: &SchemaRef,
    rows: &[Row],
) -> Result<RecordBatch, ArrowError> {
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for c in ctx.columns() {
        let array: ArrayRef = match c.ty {
            ColumnType::Str => {
                let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 8);
                for r in rows {
                    b.append_option(string_cell(ctx, c.name, r));
                }
                Arc::new(b.finish())
            }
            ColumnType::Double => {
                let mut b = Float64Builder::with_capacity(rows.len());
                for r in rows {
                    b.append_option(double_cell(c.name, r));
                }
                Arc::new(b.finish())
            }
            ColumnType::Timestamp => {
                let mut b =
                    TimestampMillisecondBuilder::with_capacity(rows.len()).with_timezone("UTC");
                for r in rows {
                    b.append_option(ts_cell(ctx, c.name, r));
                }
                Arc::new(b.finish())
            }
            ColumnType::MapStr | ColumnType::MapDouble if ctx.maps_as_strings => {
                let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 8);
                for r in rows {
                    b.append_value(map_json(map_cell(c.name, r)));
                }
                Arc::new(b.finish())
            }
            ColumnType::MapStr => {
                let mut b = MapBuilder::new(
                    Some(map_fields()),
                    StringBuilder::new(),
                    StringBuilder::new(),
                );
                for r in rows {
                    for (k, v) in map_cell(c.name, r) {
                        b.keys().append_value(k);
                        b.values().append_value(v);
                    }
                    b.append(true)?;
                }
                Arc::new(b.finish())
            }
            ColumnType::MapDouble => {
                // `discount`: curlab models no discount programs, so the map is empty.
                let mut b = MapBuilder::new(
                    Some(map_fields()),
                    StringBuilder::new(),
                    Float64Builder::new(),
                );
                for _ in rows {
                    b.append(true)?;
                }
                Arc::new(b.finish())
            }
        };
        arrays.push(array);
    }
    RecordBatch::try_new(schema.clone(), arrays)
}
