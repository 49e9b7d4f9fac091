//! Rows and tools for rule tests: a rule test describes its input as [`Row`]s, each turned
//! into a one-row record batch and scanned as `curlab verify` would.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, StringArray, TimestampMicrosecondArray};

use crate::context::Ctx;
use crate::facts::{Accum, Aggregate, DupStore, FactCache, View, Wanted};
use crate::finding::Tally;
use crate::read::{parse_ts, Batch, Col, ColData, DictStr, MapCol};
pub use crate::row::Row;
use crate::rule::Rule;

/// A test timestamp.
pub fn ts(s: &str) -> Option<i64> {
    parse_ts(s)
}

/// A `tags` map that lives for the test.
pub fn tags(pairs: &[(&str, &str)]) -> Option<&'static [(String, String)]> {
    let v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Some(Box::leak(v.into_boxed_slice()))
}

/// A context without truth or policy.
pub fn ctx() -> Ctx {
    Ctx {
        principal_from: ts("2026-04-08").unwrap(),
        ..Default::default()
    }
}

/// A clean AWS-billed Bedrock inference row of an IAM user.
pub fn inference() -> Row<'static> {
    Row {
        file: 0,
        display: "data/BILLING_PERIOD=2026-04/x-00001.snappy.parquet",
        row: 1,
        folder_period: Some("2026-04"),
        line_item_id: Some("id-1"),
        time_interval: Some("2026-04-20T10:00:00Z/2026-04-20T11:00:00Z"),
        billing_entity: "AWS",
        line_item_type: "Usage",
        operation: "InvokeModelInference",
        product_code: "AmazonBedrock",
        usage_account: "111122223333",
        usage_type: "USE1-NovaPro-input-tokens",
        pricing_unit: "1K tokens",
        product_family: "Amazon Bedrock",
        product_name: "",
        principal: Some("arn:aws:iam::111122223333:user/alice"),
        has_principal_column: true,
        cost: Some(0.8),
        usage: Some(1000.0),
        net_cost: None,
        total_discount: None,
        public_cost: Some(0.8),
        resource_id: Some("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"),
        discount: &[],
        rate: Some("0.0008000000"),
        start: ts("2026-04-20T10:00:00Z"),
        end: ts("2026-04-20T11:00:00Z"),
        period_start: ts("2026-04-01"),
        tags: tags(&[("iamPrincipal/team", "ds")]),
        bedrock: true,
        inference: true,
    }
}

/// A clean EC2 row with a resource tag.
pub fn ec2() -> Row<'static> {
    Row {
        line_item_id: Some("id-ec2"),
        operation: "RunInstances",
        product_code: "AmazonEC2",
        usage_type: "USE1-BoxUsage:t3.large",
        pricing_unit: "Hrs",
        product_family: "Compute Instance",
        principal: None,
        cost: Some(0.0832),
        usage: Some(1.0),
        rate: Some("0.0832000000"),
        tags: tags(&[
            ("resourceTags/Project", "web"),
            ("resourceTags/aws:createdBy", "Root:111122223333"),
        ]),
        bedrock: false,
        inference: false,
        ..inference()
    }
}

/// Run one rule over rows (row checks, then finish) and return its tally.
/// Each row is its own one-row batch (so rows may differ in file and row number); the
/// aggregates see them through the same path as a scan.
/// The scan sees exactly what the rule's needs ask for (its facts, its aggregates), so a
/// rule that uses something it does not declare fails its tests.
pub fn run(rule: &dyn Rule, rows: &[Row<'_>], ctx: &Ctx) -> Tally {
    let mut t = Tally::new(5);
    let wanted = Wanted::of([&rule.meta().needs]);
    let store = wanted
        .track
        .has(Aggregate::LineItemIds)
        .then(|| DupStore::new(rows.len() as u64, rule.meta().code.into()));
    let mut acc = Accum::new(wanted.track, store.as_ref());
    let mut cache = FactCache::new(ctx, &wanted.facts, Default::default());
    for r in rows {
        with_view(r, ctx, &mut cache, |v| {
            acc.observe(v);
            rule.check_batch(v, ctx, &mut t);
        });
    }
    let (mut agg, ids) = acc.into_aggregates(&cache.shared.interner.names());
    if let Some(store) = store {
        agg.duplicates = store
            .finish(ids.into_iter().collect(), 1)
            .expect("in-memory duplicate detection");
    }
    rule.finish(&agg, ctx, &mut t);
    t
}

fn dict(v: Option<&str>) -> ColData {
    let arr: ArrayRef = Arc::new(StringArray::from(vec![v]));
    ColData::Dict(DictStr::from_array(&arr).expect("text casts to a dictionary"))
}

/// A one-row batch with the row's cells.
pub fn batch_of(r: &Row<'_>) -> Batch {
    let product: Vec<(String, String)> = if r.product_name.is_empty() {
        Vec::new()
    } else {
        vec![("product_name".into(), r.product_name.into())]
    };
    let mut cols = vec![
        (
            Col::LineItemId,
            ColData::Str(StringArray::from(vec![r.line_item_id])),
        ),
        (Col::TimeInterval, dict(r.time_interval)),
        (Col::BillingEntity, dict(Some(r.billing_entity))),
        (Col::LineItemType, dict(Some(r.line_item_type))),
        (Col::Operation, dict(Some(r.operation))),
        (Col::ProductCode, dict(Some(r.product_code))),
        (Col::UsageAccount, dict(Some(r.usage_account))),
        (Col::UsageType, dict(Some(r.usage_type))),
        (Col::PricingUnit, dict(Some(r.pricing_unit))),
        (Col::ProductFamily, dict(Some(r.product_family))),
        (Col::UnblendedRate, dict(r.rate)),
        (
            Col::Product,
            ColData::Map(Box::new(MapCol::from_pairs([Some(product.as_slice())]))),
        ),
        (
            Col::UnblendedCost,
            ColData::F64(Float64Array::from(vec![r.cost])),
        ),
        (
            Col::UsageAmount,
            ColData::F64(Float64Array::from(vec![r.usage])),
        ),
        (
            Col::NetUnblendedCost,
            ColData::F64(Float64Array::from(vec![r.net_cost])),
        ),
        (
            Col::TotalDiscount,
            ColData::F64(Float64Array::from(vec![r.total_discount])),
        ),
        (
            Col::PublicOnDemandCost,
            ColData::F64(Float64Array::from(vec![r.public_cost])),
        ),
        (Col::ResourceId, dict(r.resource_id)),
        (
            Col::Discount,
            ColData::Map(Box::new(MapCol::from_pairs([Some(r.discount)]))),
        ),
        (
            Col::UsageStart,
            ColData::Ts(TimestampMicrosecondArray::from(vec![r.start])),
        ),
        (
            Col::UsageEnd,
            ColData::Ts(TimestampMicrosecondArray::from(vec![r.end])),
        ),
        (
            Col::PeriodStart,
            ColData::Ts(TimestampMicrosecondArray::from(vec![r.period_start])),
        ),
    ];
    if r.has_principal_column {
        cols.push((Col::Principal, dict(r.principal)));
    }
    if let Some(t) = r.tags {
        cols.push((
            Col::Tags,
            ColData::Map(Box::new(MapCol::from_pairs([Some(t)]))),
        ));
    }
    Batch::from_columns(r.row - 1, 1, cols)
}

/// Run `f` on the view of one row.
pub fn with_view<T>(
    r: &Row<'_>,
    ctx: &Ctx,
    cache: &mut FactCache,
    f: impl FnOnce(&View<'_>) -> T,
) -> T {
    let b = batch_of(r);
    cache.prepare(&b, ctx);
    let v = View::new(&b, cache, r.file, r.display, r.folder_period);
    assert_eq!(
        (v.bedrock(0), v.inference(0)),
        (r.bedrock, r.inference),
        "the test row's bedrock/inference flags agree with its cells"
    );
    f(&v)
}
