//! The row maker: aggregated keys become CUR rows (SKU, resource id, tags, line item id), on
//! any thread.

use std::sync::Arc;

use curlab_vocab::bedrock;

use super::blocks::{Chunk, Emitted, KeyBlock};
use super::sku::{bedrock_amount_e6, SkuCache};
use super::tag_table::TagTable;
use crate::background;
use crate::ids::LineItemIds;
use crate::keys::{bucket_end, BedrockKey, FxMap, NO_PRINCIPAL};
use crate::plan::Plan;
use crate::rows::{Pairs, Row, RowKind};
use crate::scenario::model::ProfileResourceId;

/// `line_item_resource_id` of a Bedrock row: the foundation model's ARN, or for a call through
/// the global cross-region profile (with `profile_resource_id = "profile"`) the system
/// profile's ARN in the caller's account and source region (docs/export-format.md).
fn resource_arn(
    plan: &Plan,
    model: &crate::catalog::Model,
    region: &str,
    profile: bool,
    k: &BedrockKey,
) -> Arc<str> {
    if profile {
        let account = &plan.accounts[k.account as usize].id;
        format!(
            "arn:aws:bedrock:{region}:{account}:inference-profile/global.{}",
            model.model_id
        )
        .into()
    } else {
        format!(
            "arn:aws:bedrock:{region}::foundation-model/{}",
            model.model_id
        )
        .into()
    }
}

/// Builds [`Row`]s from [`KeyBlock`]s; one per thread (it caches SKUs and resource ids).
pub struct RowMaker<'a> {
    plan: &'a Plan,
    tags: &'a TagTable,
    skus: SkuCache,
    /// By (model, region, account of a profile call).
    resource_ids: FxMap<(u16, u8, Option<u32>), Arc<str>>,
    ids: LineItemIds,
    empty: Pairs,
    operations: [Arc<str>; 2],
}

impl<'a> RowMaker<'a> {
    /// A new row maker.
    pub fn new(plan: &'a Plan, tags: &'a TagTable) -> Self {
        RowMaker {
            plan,
            tags,
            skus: SkuCache::default(),
            resource_ids: FxMap::default(),
            ids: LineItemIds::new(plan),
            empty: Arc::new(Vec::new()),
            operations: [
                bedrock::OP_INVOKE.into(),
                bedrock::OP_INVOKE_STREAMING.into(),
            ],
        }
    }

    /// Append rows `range` of `block` to `out`.
    pub fn rows(&mut self, block: &KeyBlock, range: std::ops::Range<usize>, out: &mut Vec<Row>) {
        let plan = self.plan;
        let period_start = plan.export.periods[block.period].start;
        let nb = block.bedrock.len();
        for i in range {
            if let Some((k, tokens)) = block.bedrock.get(i) {
                let sku = self.skus.bedrock(plan, k).0.clone();
                let model = &plan.models[k.model as usize];
                let amount_e6 = bedrock_amount_e6(plan, k, *tokens);
                let cost_e16 = i128::from(amount_e6) * i128::from(sku.rate_e10);
                let principal = (k.principal != NO_PRINCIPAL)
                    .then(|| plan.callers[k.principal as usize].arn.clone());
                let profile = k.usage.global
                    && plan.assumptions.profile_resource_id == ProfileResourceId::Profile;
                let resource_id = self
                    .resource_ids
                    .entry((k.model, k.region, profile.then_some(k.account)))
                    .or_insert_with(|| resource_arn(plan, model, &sku.region, profile, k))
                    .clone();
                out.push(Row {
                    period: block.period,
                    account: k.account as usize,
                    start: k.bucket,
                    end: bucket_end(plan, k.bucket),
                    kind: RowKind::Bedrock,
                    operation: self.operations[usize::from(k.streaming)].clone(),
                    principal,
                    resource_id: Some(resource_id),
                    amount_e6,
                    cost_e16,
                    tags: self.tags.set(k.tags).clone(),
                    resource_tags: self.empty.clone(),
                    id: self.ids.bedrock(period_start, k),
                    tax_type: None,
                    sku,
                });
            } else {
                let (k, amount_e6) = &block.background[i - nb];
                let entry = &plan.background[k.entry as usize];
                let sku = self.skus.background(plan, k).0.clone();
                let cost_e16 = i128::from(*amount_e6) * i128::from(sku.rate_e10);
                let interval = self.tags.interval(k.bucket);
                let (t, rt) = self.tags.background[k.entry as usize][interval];
                out.push(Row {
                    period: block.period,
                    account: entry.account,
                    start: k.bucket,
                    end: bucket_end(plan, k.bucket),
                    kind: RowKind::Background,
                    operation: background::operation(entry.service, k.line).into(),
                    principal: None,
                    resource_id: Some(entry.resources[k.resource as usize].as_str().into()),
                    amount_e6: *amount_e6,
                    cost_e16,
                    tags: self.tags.set(t).clone(),
                    resource_tags: self.tags.set(rt).clone(),
                    id: self.ids.background(period_start, entry.account, k, (t, rt)),
                    tax_type: None,
                    sku,
                });
            }
        }
    }

    /// Every row of `e`, in order.
    pub fn all_rows(&mut self, e: Emitted) -> Chunk {
        match e {
            Emitted::Keys(b) => {
                let mut rows = Vec::with_capacity(b.len());
                self.rows(&b, 0..b.len(), &mut rows);
                Chunk {
                    period: b.period,
                    rows,
                }
            }
            Emitted::Rows(c) => c,
        }
    }
}
