//! The row maker: aggregated keys become CUR rows (SKU, resource id, tags, line item id), on
//! any thread.

use std::sync::Arc;

use curlab_vocab::bedrock;
use curlab_vocab::Money;

use super::blocks::{Chunk, Emitted, KeyBlock};
use super::sku::{bedrock_amount_e6, SkuCache};
use super::tag_table::TagTable;
use crate::background;
use crate::ids::LineItemIds;
use crate::keys::{bucket_end, BedrockKey, FxMap, NO_PRINCIPAL};
use crate::plan::{DiscountPlan, Plan};
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
    /// Rows carry the `discount` map and net columns.
    net_columns: bool,
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
            net_columns: plan.discounts.representation.is_some_and(|r| r.map()),
        }
    }

    /// Append rows `range` of `block` to `out`.
    pub fn rows(&mut self, block: &KeyBlock, range: std::ops::Range<usize>, out: &mut Vec<Row>) {
        let plan = self.plan;
        let period_start = plan.export.periods[block.period].start;
        let nb = block.bedrock.len();
        let nd = block.discounts.len();
        for i in range {
            if i >= nb && i < nb + nd {
                let (keys, program) = block.discounts[i - nb].clone();
                let (k, tokens) = &block.bedrock[keys.start as usize];
                let usage = self.bedrock_row(block, period_start, k, *tokens);
                let bp = plan.discounts.of(k.model as usize)[usize::from(program)];
                let cost_e16: Money = block.bedrock[keys.start as usize..keys.end as usize]
                    .iter()
                    .map(|(k, t)| {
                        let amount = bedrock_amount_e6(plan, k, *t);
                        -DiscountPlan::amount(
                            Money::from_e16(i128::from(amount) * i128::from(usage.sku.rate_e10)),
                            bp,
                        )
                    })
                    .sum();
                // The line's id: the usage line's key without principal, tags or profile.
                let line = BedrockKey {
                    principal: NO_PRINCIPAL,
                    tags: 0,
                    profile: 0,
                    ..*k
                };
                let id = self
                    .ids
                    .discount(&self.ids.bedrock(period_start, &line), program);
                out.push(Row {
                    kind: if program == 0 {
                        RowKind::EdpDiscount
                    } else {
                        RowKind::PrivateRateDiscount
                    },
                    principal: None,
                    resource_id: None,
                    amount_e6: 0,
                    cost_e16,
                    tags: self.empty.clone(),
                    resource_tags: self.empty.clone(),
                    id,
                    discount_e16: usage.discount_e16.map(|_| [Money::ZERO; 2]),
                    ..usage
                });
                continue;
            }
            if let Some((k, tokens)) = block.bedrock.get(i) {
                let row = self.bedrock_row(block, period_start, k, *tokens);
                out.push(row);
            } else {
                let (k, amount_e6) = &block.background[i - nb - nd];
                let entry = &plan.background[k.entry as usize];
                let sku = self.skus.background(plan, k).0.clone();
                let cost_e16 = Money::from_e16(i128::from(*amount_e6) * i128::from(sku.rate_e10));
                let interval = self.tags.interval(k.bucket);
                let (t, rt) = self.tags.background[k.entry as usize][interval];
                out.push(Row {
                    period: block.period,
                    account: entry.account,
                    start: k.bucket,
                    end: bucket_end(plan, k.bucket),
                    kind: RowKind::Background,
                    operation: background::operation(entry.service, k.line).into(),
                    // `guardrail_principal = "caller"`: the guardrail's caller.
                    principal: entry.caller.map(|c| plan.callers[c].arn.clone()),
                    resource_id: Some(entry.resources[k.resource as usize].as_str())
                        .filter(|r| !r.is_empty())
                        .map(Into::into),
                    amount_e6: *amount_e6,
                    cost_e16,
                    tags: self.tags.set(t).clone(),
                    resource_tags: self.tags.set(rt).clone(),
                    id: self.ids.background(period_start, entry.account, k, (t, rt)),
                    tax_type: None,
                    discount_e16: self.net_columns.then_some([Money::ZERO; 2]),
                    net_skew_e16: Money::ZERO,
                    late: false,
                    sku,
                });
            }
        }
    }

    /// The usage row of a Bedrock key.
    fn bedrock_row(
        &mut self,
        block: &KeyBlock,
        period_start: crate::time::Ts,
        k: &BedrockKey,
        tokens: u64,
    ) -> Row {
        let plan = self.plan;
        let sku = self.skus.bedrock(plan, k).0.clone();
        let model = &plan.models[k.model as usize];
        let amount_e6 = bedrock_amount_e6(plan, k, tokens);
        let cost_e16 = Money::from_e16(i128::from(amount_e6) * i128::from(sku.rate_e10));
        let principal =
            (k.principal != NO_PRINCIPAL).then(|| plan.callers[k.principal as usize].arn.clone());
        let (resource_id, resource_tags) = if k.profile != 0 {
            // A call through an application inference profile: the profile's ARN and its
            // resource tags (docs/export-format.md).
            let p = &plan.profiles[usize::from(k.profile - 1)];
            let (_, rt) = self.tags.with_profile(0, k.profile, k.bucket);
            (p.arn.clone(), self.tags.set(rt).clone())
        } else {
            let profile = k.usage.global
                && plan.assumptions.profile_resource_id == ProfileResourceId::Profile;
            let id = self
                .resource_ids
                .entry((k.model, k.region, profile.then_some(k.account)))
                .or_insert_with(|| resource_arn(plan, model, &sku.region, profile, k))
                .clone();
            (id, self.empty.clone())
        };
        let discount_e16 = self.net_columns.then(|| {
            let bp = plan.discounts.of(k.model as usize);
            bp.map(|b| -DiscountPlan::amount(cost_e16, b))
        });
        Row {
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
            resource_tags,
            id: self.ids.bedrock(period_start, k),
            tax_type: None,
            discount_e16,
            net_skew_e16: Money::ZERO,
            late: false,
            sku,
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
