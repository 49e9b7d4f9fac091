//! Rows → Arrow record batches with the export's exact CUR 2.0 schema.
//!
//! Every column of the configured set is present, in AWS (alphabetical) order, with the type
//! AWS documents. Columns that do not apply hold the null AWS uses (strings) or 0.0 (the
//! non-net reservation and Savings Plan money columns), as observed in real files.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::builder::{
    Float64Builder, MapBuilder, MapFieldNames, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use curlab_vocab::columns::{Column, ColumnType, TableConfig};
use curlab_vocab::Money;

#[path = "batch_dict.rs"]
mod dict;

use crate::plan::{Account, Period};
use crate::rows::{format_rate, Row};
use crate::scenario::model::MissingPrincipal;
use crate::time::{rfc3339, Ts};

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
    /// Name the columns as legacy CUR CSV does, `lineItem/UsageAccountId` (the
    /// `legacy-cur-headers` fault; the columns legacy CUR lacks go in `drop_columns`).
    pub legacy_names: bool,
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

    /// The Arrow schema of record batches whose low-cardinality string columns are
    /// dictionary-encoded (`Dictionary(UInt32, Utf8)`, keys the builder assigns without
    /// comparing strings; see [`dictionary_column`]). The data files keep [`Self::schema`]'s
    /// plain `Utf8`; the Parquet writer turns such a column into its dictionary page itself.
    pub fn dictionary_schema(&self) -> SchemaRef {
        let file = self.schema();
        let fields: Vec<Field> = self
            .columns()
            .into_iter()
            .zip(file.fields().iter())
            .map(|(c, f)| match c.ty {
                ColumnType::Str if dictionary_column(c.name) => {
                    Field::new(f.name(), dictionary_type(), true)
                }
                ColumnType::MapStr if !self.maps_as_strings => {
                    Field::new(f.name(), dictionary_map_type(), true)
                }
                _ => f.as_ref().clone(),
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The Arrow schema of the data files.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns()
            .into_iter()
            .map(|c| {
                let legacy = self
                    .legacy_names
                    .then(|| curlab_vocab::columns::legacy_csv_name(c))
                    .flatten();
                let name = legacy.unwrap_or_else(|| c.name.to_string());
                Field::new(name, self.arrow_type(c.ty), true)
            })
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
pub(crate) fn timestamp_type() -> DataType {
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
    DataType::Map(map_entries(DataType::Utf8, value), false)
}

/// The entries field of a map column with these key and value types.
fn map_entries(key: DataType, value: DataType) -> Arc<Field> {
    Arc::new(Field::new(
        "key_value",
        DataType::Struct(
            vec![
                Field::new("key", key, false),
                Field::new("value", value, true),
            ]
            .into(),
        ),
        false,
    ))
}

/// A string map column in [`BatchContext::dictionary_schema`]: keys and values as dictionary
/// arrays.
fn dictionary_map_type() -> DataType {
    DataType::Map(map_entries(dictionary_type(), dictionary_type()), false)
}

/// The type of a dictionary-encoded string column in [`BatchContext::dictionary_schema`].
pub fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8))
}

/// Whether string column `name` is built as a dictionary array: the columns whose values are
/// borrowed from a few shared strings (SKU fields, accounts, constants) or repeat in runs
/// (intervals, subscription ids) or follow from a number (rates, invoice ids). Line item ids
/// (one per line item) and the always-null columns stay plain.
pub fn dictionary_column(name: &str) -> bool {
    !matches!(string_kind(name), None | Some(S::LineItemId))
}

/// JSON object text of a map, as CSV exports write map columns.
pub(crate) fn map_json(pairs: &[(String, String)]) -> String {
    let m: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(m).to_string()
}

/// `reservation_subscription_id` of a usage row. In the real export it is a 9–11 digit number
/// shared by the rows of one service (`product_servicecode`) in one account, data transfer
/// rows of every product sharing theirs; here a hash of the payer, usage account and service.
fn subscription_id(ctx: &BatchContext, r: &Row) -> String {
    let service = r.sku.servicecode.as_deref().unwrap_or(&r.sku.product_code);
    let key = format!("{}|{}|{service}", ctx.payer.id, ctx.accounts[r.account].id);
    let h = u64::from(curlab_vocab::arn::fnv1a32(key.as_bytes()));
    (100_000_000 + h * 23).to_string()
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

/// The string columns curlab fills; every other string column is null. Resolved once per
/// column so the per-row work is an integer match, not a string comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum S {
    BillType,
    BillingEntity,
    InvoiceId,
    InvoicingEntity,
    PayerId,
    PayerName,
    LineItemId,
    TimeInterval,
    AvailabilityZone,
    Rate,
    Currency,
    PricingCurrency,
    Principal,
    LegalEntity,
    Description,
    LineItemType,
    Operation,
    ProductOperation,
    ProductCode,
    ResourceId,
    TaxType,
    AccountId,
    AccountName,
    UsageType,
    PublicRate,
    RateCode,
    RateId,
    Term,
    Unit,
    FromLocation,
    FromLocationType,
    FromRegion,
    ToLocation,
    ToLocationType,
    InstanceFamily,
    InstanceType,
    Location,
    LocationType,
    Family,
    RegionCode,
    ServiceCode,
    Sku,
    /// `''` on every row (the reservation quantity columns, as in the real export).
    EmptyText,
    /// A number per usage account and service, on usage rows.
    SubscriptionId,
    /// `line_item_net_unblended_rate`.
    NetRate,
}

fn string_kind(name: &str) -> Option<S> {
    Some(match name {
        "bill_bill_type" => S::BillType,
        "bill_billing_entity" => S::BillingEntity,
        "bill_invoice_id" => S::InvoiceId,
        "bill_invoicing_entity" => S::InvoicingEntity,
        "bill_payer_account_id" => S::PayerId,
        "bill_payer_account_name" => S::PayerName,
        "identity_line_item_id" => S::LineItemId,
        "identity_time_interval" => S::TimeInterval,
        "line_item_availability_zone" => S::AvailabilityZone,
        "line_item_blended_rate" | "line_item_unblended_rate" => S::Rate,
        "line_item_currency_code" => S::Currency,
        "pricing_currency" => S::PricingCurrency,
        "line_item_iam_principal" => S::Principal,
        "line_item_legal_entity" => S::LegalEntity,
        "line_item_line_item_description" => S::Description,
        "line_item_line_item_type" => S::LineItemType,
        "line_item_operation" => S::Operation,
        "product_operation" => S::ProductOperation,
        "line_item_product_code" => S::ProductCode,
        "line_item_resource_id" => S::ResourceId,
        "line_item_tax_type" => S::TaxType,
        "line_item_usage_account_id" => S::AccountId,
        "line_item_usage_account_name" => S::AccountName,
        "line_item_usage_type" | "product_usagetype" => S::UsageType,
        "pricing_public_on_demand_rate" => S::PublicRate,
        "pricing_rate_code" => S::RateCode,
        "pricing_rate_id" => S::RateId,
        "pricing_term" => S::Term,
        "pricing_unit" => S::Unit,
        "product_from_location" => S::FromLocation,
        "product_from_location_type" => S::FromLocationType,
        "product_from_region_code" => S::FromRegion,
        "product_to_location" => S::ToLocation,
        "product_to_location_type" => S::ToLocationType,
        "product_instance_family" => S::InstanceFamily,
        "product_instance_type" => S::InstanceType,
        "product_location" => S::Location,
        "product_location_type" => S::LocationType,
        "product_product_family" => S::Family,
        "product_region_code" => S::RegionCode,
        "product_servicecode" => S::ServiceCode,
        "product_sku" => S::Sku,
        "reservation_normalized_units_per_reservation"
        | "reservation_number_of_reservations"
        | "reservation_total_reserved_normalized_units"
        | "reservation_total_reserved_units"
        | "reservation_units_per_reservation" => S::EmptyText,
        "reservation_subscription_id" => S::SubscriptionId,
        "line_item_net_unblended_rate" => S::NetRate,
        _ => return None,
    })
}

/// A string cell.
fn string_cell<'a>(ctx: &'a BatchContext, k: S, r: &'a Row) -> Option<Cow<'a, str>> {
    let usage = r.kind.usage_like();
    let priced = r.kind.is_usage();
    let s = &r.sku;
    let dt = s.to_location.is_some();
    let b = |v: &'a str| Some(Cow::Borrowed(v));
    match k {
        S::BillType => b(r.bill_type()),
        S::BillingEntity => b(s.billing_entity),
        // A late credit or refund is on its own credit memo, an invoice id of its own that
        // applies to the credited period (docs/export-format.md, "Restated months").
        S::InvoiceId if ctx.invoice_finalized && !ctx.periods[r.period].open => {
            let label = &ctx.periods[r.period].label;
            Some(Cow::Owned(if r.late {
                invoice_id(&ctx.payer.id, &format!("{label}|credit-memo"))
            } else {
                invoice_id(&ctx.payer.id, label)
            }))
        }
        S::InvoicingEntity => b("Amazon Web Services, Inc."),
        S::PayerId => b(&ctx.payer.id),
        S::PayerName => b(&ctx.payer.name),
        S::LineItemId => b(r.id.as_str()),
        S::TimeInterval => Some(Cow::Owned(interval(r.start, r.end))),
        S::AvailabilityZone => s.availability_zone.as_deref().map(Cow::Borrowed),
        S::Rate if priced => Some(Cow::Owned(format_rate(s.rate_e10))),
        S::NetRate if priced => net_rate_e10(r).map(|v| Cow::Owned(format_rate(v))),
        S::Currency => b("USD"),
        S::PricingCurrency if usage => b("USD"),
        S::Principal => match (&r.principal, ctx.missing_principal) {
            (Some(p), _) => b(p),
            (None, MissingPrincipal::Empty) => b(""),
            (None, MissingPrincipal::Null) => None,
        },
        S::LegalEntity => b(&s.legal_entity),
        S::Description => b(&s.description),
        S::LineItemType => b(r.line_item_type()),
        S::Operation if usage => b(&r.operation),
        S::ProductOperation if usage && s.product_operation => b(&r.operation),
        S::ProductCode => b(&s.product_code),
        S::ResourceId => r.resource_id.as_deref().map(Cow::Borrowed),
        S::TaxType => r.tax_type.as_deref().map(Cow::Borrowed),
        S::AccountId => b(&ctx.accounts[r.account].id),
        S::AccountName => b(&ctx.accounts[r.account].name),
        S::UsageType if usage => b(&s.usage_type),
        S::PublicRate if priced => s.public_rate_e10.map(|v| Cow::Owned(format_rate(v))),
        S::RateCode if usage => b(&s.rate_code),
        S::RateId if usage => b(&s.rate_id),
        S::Term if usage => b("OnDemand"),
        S::Unit if usage => b(s.pricing_unit),
        S::FromLocation if dt => b(s.location),
        S::FromLocationType if dt => b("AWS Region"),
        S::FromRegion if dt => b(&s.region),
        S::ToLocation if dt => s.to_location.as_deref().map(Cow::Borrowed),
        S::ToLocationType if dt => b("Other"),
        S::InstanceFamily => s.instance_family.as_deref().map(Cow::Borrowed),
        S::InstanceType => s.instance_type.as_deref().map(Cow::Borrowed),
        // Data transfer has a from and a to location instead (as in real exports).
        S::Location if usage && !dt && !s.location.is_empty() => b(s.location),
        S::LocationType if usage && !dt => b("AWS Region"),
        S::Family if usage => b(&s.family),
        S::RegionCode if usage && !dt => b(&s.region),
        S::ServiceCode => s.servicecode.as_deref().map(Cow::Borrowed),
        S::Sku if usage => b(&s.sku),
        S::EmptyText => b(""),
        S::SubscriptionId if usage => Some(Cow::Owned(subscription_id(ctx, r))),
        _ => None,
    }
}

/// `line_item_net_unblended_rate` (1e-10 USD) of a usage row with net columns: the net cost
/// over the usage amount, to 10 decimals (the rate itself when the amount is 0).
fn net_rate_e10(r: &Row) -> Option<i64> {
    let net = r.net_cost_e16()?;
    if r.amount_e6 == 0 || net == r.cost_e16 {
        return Some(r.sku.rate_e10);
    }
    // cost_e16 = amount_e6 × rate_e10, so net / amount_e6 is in 1e-10 USD; round half up.
    let a = i128::from(r.amount_e6);
    Some(((2 * net.e16() + a) / (2 * a)) as i64)
}

/// The double columns curlab fills, resolved once per column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum D {
    Cost,
    UsageAmount,
    NormalizationFactor,
    NormalizedUsage,
    PublicCost,
    /// `line_item_net_unblended_cost`.
    NetCost,
    /// `discount_total_discount`.
    TotalDiscount,
    /// 0.0 on every row (non-net reservation and Savings Plan money).
    Zero,
    /// Null on every row.
    Null,
}

fn double_kind(name: &str) -> D {
    match name {
        "line_item_blended_cost" | "line_item_unblended_cost" => D::Cost,
        "line_item_usage_amount" => D::UsageAmount,
        "line_item_normalization_factor" => D::NormalizationFactor,
        "line_item_normalized_usage_amount" => D::NormalizedUsage,
        "pricing_public_on_demand_cost" => D::PublicCost,
        "line_item_net_unblended_cost" => D::NetCost,
        "discount_total_discount" => D::TotalDiscount,
        n if n.contains("_net_") => D::Null,
        n if n.starts_with("reservation_") || n.starts_with("savings_plan_") => D::Zero,
        _ => D::Null,
    }
}

/// A double cell.
fn double_cell(k: D, r: &Row) -> Option<f64> {
    let usage = r.kind.is_usage();
    match k {
        D::Cost => Some(r.cost()),
        D::NetCost => r.net_cost_e16().map(Money::to_usd),
        // Only on rows a discount applies to (the map is empty elsewhere).
        D::TotalDiscount => r
            .total_discount_e16()
            .filter(|d| !d.is_zero())
            .map(Money::to_usd),
        D::UsageAmount => Some(r.usage_amount()),
        D::NormalizationFactor => Some(r.sku.normalization_factor),
        D::NormalizedUsage => Some(r.usage_amount() * r.sku.normalization_factor),
        // Tax rows have no public price: 0.0, as in real exports.
        D::PublicCost => Some(match r.sku.public_rate_e10 {
            Some(rate) if usage => {
                Money::from_e16(i128::from(r.amount_e6) * i128::from(rate)).to_usd()
            }
            _ => 0.0,
        }),
        D::Zero => Some(0.0),
        D::Null => None,
    }
}

/// The timestamp columns curlab fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum T {
    PeriodStart,
    PeriodEnd,
    UsageStart,
    UsageEnd,
    Null,
}

fn ts_kind(name: &str) -> T {
    match name {
        "bill_billing_period_start_date" => T::PeriodStart,
        "bill_billing_period_end_date" => T::PeriodEnd,
        "line_item_usage_start_date" => T::UsageStart,
        "line_item_usage_end_date" => T::UsageEnd,
        _ => T::Null,
    }
}

fn ts_cell(ctx: &BatchContext, k: T, r: &Row) -> Option<i64> {
    let per = &ctx.periods[r.period];
    Some(
        1000 * match k {
            T::PeriodStart => per.start,
            T::PeriodEnd => per.end,
            T::UsageStart => r.start,
            T::UsageEnd => r.end,
            T::Null => return None,
        },
    )
}

/// The map columns curlab fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum M {
    Product,
    Tags,
    ResourceTags,
    Empty,
}

fn map_kind(name: &str) -> M {
    match name {
        "product" => M::Product,
        "tags" => M::Tags,
        "resource_tags" => M::ResourceTags,
        _ => M::Empty,
    }
}

/// The `discount` map of a row: `edp_discount`, `private_rate_discount` (USD, < 0), only the
/// programs that apply.
pub(crate) fn discount_entries(r: &Row) -> Vec<(&'static str, f64)> {
    let Some(d) = r.discount_e16 else {
        return Vec::new();
    };
    ["edp_discount", "private_rate_discount"]
        .into_iter()
        .zip(d)
        .filter(|(_, v)| !v.is_zero())
        .map(|(k, v)| (k, v.to_usd()))
        .collect()
}

fn map_cell(k: M, r: &Row) -> &[(String, String)] {
    match k {
        M::Product => &r.sku.product_map,
        M::Tags => &r.tags,
        M::ResourceTags => &r.resource_tags,
        M::Empty => &[],
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
            ColumnType::Str
                if matches!(
                    schema.field(arrays.len()).data_type(),
                    DataType::Dictionary(..)
                ) =>
            {
                dict::string_column(ctx, string_kind(c.name), rows)
            }
            ColumnType::Str => {
                let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 8);
                match string_kind(c.name) {
                    None => b.append_nulls(rows.len()),
                    Some(S::TimeInterval) => {
                        // Rows of one bucket share their interval: format it once.
                        let mut last: Option<(Ts, Ts, String)> = None;
                        for r in rows {
                            match &last {
                                Some((s, e, text)) if *s == r.start && *e == r.end => {
                                    b.append_value(text)
                                }
                                _ => {
                                    let text = interval(r.start, r.end);
                                    b.append_value(&text);
                                    last = Some((r.start, r.end, text));
                                }
                            }
                        }
                    }
                    Some(S::SubscriptionId) => {
                        // Consecutive rows mostly share their account and SKU: hash once.
                        let mut last: Option<(usize, *const crate::rows::Sku, String)> = None;
                        for r in rows {
                            if !r.kind.usage_like() {
                                b.append_null();
                                continue;
                            }
                            let sku = Arc::as_ptr(&r.sku);
                            match &last {
                                Some((a, p, text)) if *a == r.account && *p == sku => {
                                    b.append_value(text)
                                }
                                _ => {
                                    let text = subscription_id(ctx, r);
                                    b.append_value(&text);
                                    last = Some((r.account, sku, text));
                                }
                            }
                        }
                    }
                    Some(k) => {
                        for r in rows {
                            b.append_option(string_cell(ctx, k, r));
                        }
                    }
                }
                Arc::new(b.finish())
            }
            ColumnType::Double => {
                let mut b = Float64Builder::with_capacity(rows.len());
                match double_kind(c.name) {
                    D::Null => b.append_nulls(rows.len()),
                    D::Zero => b.append_value_n(0.0, rows.len()),
                    k => {
                        for r in rows {
                            b.append_option(double_cell(k, r));
                        }
                    }
                }
                Arc::new(b.finish())
            }
            ColumnType::Timestamp => {
                let mut b =
                    TimestampMillisecondBuilder::with_capacity(rows.len()).with_timezone("UTC");
                let k = ts_kind(c.name);
                for r in rows {
                    b.append_option(ts_cell(ctx, k, r));
                }
                Arc::new(b.finish())
            }
            ColumnType::MapStr | ColumnType::MapDouble if ctx.maps_as_strings => {
                let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 8);
                let k = map_kind(c.name);
                for r in rows {
                    b.append_value(map_json(map_cell(k, r)));
                }
                Arc::new(b.finish())
            }
            ColumnType::MapStr
                if matches!(schema.field(arrays.len()).data_type(), DataType::Map(e, _)
                    if e.data_type() != map_entries(DataType::Utf8, DataType::Utf8).data_type()) =>
            {
                dict::map_column(map_kind(c.name), rows)?
            }
            ColumnType::MapStr => {
                let mut b = MapBuilder::new(
                    Some(map_fields()),
                    StringBuilder::new(),
                    StringBuilder::new(),
                );
                let kind = map_kind(c.name);
                for r in rows {
                    for (k, v) in map_cell(kind, r) {
                        b.keys().append_value(k);
                        b.values().append_value(v);
                    }
                    b.append(true)?;
                }
                Arc::new(b.finish())
            }
            ColumnType::MapDouble => {
                // `discount`: the programs that apply to the row (`[discounts]`), else empty.
                let mut b = MapBuilder::new(
                    Some(map_fields()),
                    StringBuilder::new(),
                    Float64Builder::new(),
                );
                for r in rows {
                    for (k, v) in discount_entries(r) {
                        b.keys().append_value(k);
                        b.values().append_value(v);
                    }
                    b.append(true)?;
                }
                Arc::new(b.finish())
            }
        };
        arrays.push(array);
    }
    RecordBatch::try_new(schema.clone(), arrays)
}
