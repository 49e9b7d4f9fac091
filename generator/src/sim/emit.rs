//! The emitter: day blocks back in day order, monthly units priced when complete, tax rows at
//! each period's end, and the truth sums.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::blocks::{CallerSums, Chunk, DayBlock, Emitted, KeyBlock, Sums, TruthDelta};
use super::sku::{bedrock_amount_e6, discount_rows, SkuCache};
use super::truth::PeriodBill;
use super::truth::TruthParts;
use crate::ids::LineItemIds;
use crate::keys::{BackgroundKey, BedrockKey, FxMap, NO_PRINCIPAL};
use crate::plan::{DeliveryPass, Plan};
use crate::rows::{adjustment_sku, tax_sku, Pairs, Row, RowKind, Sku, TAX_USAGE_E6};
use crate::scenario::model::{AdjustmentKind, BedrockCharge};
use crate::time::Ts;
use curlab_vocab::{Granularity, Money};

/// (period, usage account, product code): the grain of tax rows.
type PeriodProduct = (usize, usize, String);

/// Takes simulated day blocks back in day order and passes on their rows, adds tax rows at
/// each period's end and keeps the ground truth, which is summed per request, not per row.
/// With monthly granularity it holds a period's keys until the period is complete.
pub struct Emitter<'a> {
    plan: &'a Plan,
    skus: SkuCache,
    pending_bedrock: FxMap<BedrockKey, u64>,
    pending_background: FxMap<BackgroundKey, i64>,
    /// (period, unit) of the last block.
    pending_unit: Option<(usize, Ts)>,
    period_cost: BTreeMap<PeriodProduct, (Money, Arc<Sku>)>,
    truth: TruthDelta,
    by_caller: CallerSums,
    background_e16: Money,
    tax_e16: Money,
    rows_by_period: BTreeMap<String, u64>,
    bill_by_period: BTreeMap<String, PeriodBill>,
    owned: Option<std::ops::RangeInclusive<i64>>,
    pending_owned: bool,
    empty: Pairs,
    ids: LineItemIds,
    /// Rows carry the `discount` map and net columns (`[discounts]`, not rows-only).
    net_columns: bool,
}

impl<'a> Emitter<'a> {
    /// A new emitter.
    pub fn new(plan: &'a Plan) -> Self {
        Emitter {
            plan,
            skus: SkuCache::default(),
            pending_bedrock: FxMap::default(),
            pending_background: FxMap::default(),
            pending_unit: None,
            period_cost: BTreeMap::new(),
            truth: TruthDelta::default(),
            by_caller: CallerSums::new(plan.callers.len()),
            background_e16: Money::ZERO,
            tax_e16: Money::ZERO,
            rows_by_period: BTreeMap::new(),
            bill_by_period: BTreeMap::new(),
            owned: None,
            pending_owned: true,
            empty: Arc::new(Vec::new()),
            ids: LineItemIds::new(plan),
            net_columns: plan.discounts.representation.is_some_and(|r| r.map()),
        }
    }

    /// Emit rows only for days in `days` (one part of a sharded export). Days outside are
    /// still fed when their costs are needed for a period's tax rows, which the part owning
    /// the period's last day writes.
    pub fn with_owned_days(mut self, days: std::ops::RangeInclusive<i64>) -> Self {
        self.owned = Some(days);
        self
    }

    fn owns(&self, day: i64) -> bool {
        self.owned.as_ref().is_none_or(|r| r.contains(&day))
    }

    /// Feed the next block (blocks of a day in order, days in order); returns what is complete.
    pub fn push(&mut self, block: DayBlock) -> Vec<Emitted> {
        let DayBlock {
            day,
            keys,
            costs,
            background_e16,
            charges_e16,
            truth,
        } = block;
        let (period, unit) = (keys.period, keys.unit);
        let mut out = Vec::new();
        if let Some((p, u)) = self.pending_unit {
            if u != unit {
                out.extend(self.flush_unit());
                if p != period {
                    out.extend(self.flush_period(p));
                }
            }
        }
        self.pending_unit = Some((period, unit));
        self.pending_owned = self.owns(day);
        if let Some(t) = truth {
            if self.pending_owned {
                let b = self.bill(period);
                b.bedrock.add(t.all);
                b.unattributed.add(t.unattributed_sums);
                self.truth.merge(t);
            }
        }
        if self.plan.export.granularity == Granularity::Monthly {
            for (k, v) in keys.bedrock {
                *self.pending_bedrock.entry(k).or_default() += v;
            }
            for (k, v) in keys.background {
                *self.pending_background.entry(k).or_default() += v;
            }
            return out;
        }
        for (account, sku, cost) in &costs {
            self.add_period_cost(period, *account, sku, *cost);
        }
        if self.pending_owned && !keys.is_empty() {
            // Another part writes the rows of days it owns; here only their costs counted.
            self.background_e16 += background_e16;
            let b = self.bill(period);
            b.background_e16 += background_e16;
            b.commitment_e16 += charges_e16[0];
            b.other_charges_e16 += charges_e16[1];
            self.attribute_charges(period, &keys.background);
            self.count_callers(&keys.bedrock);
            *self
                .rows_by_period
                .entry(self.plan.export.periods[period].label.clone())
                .or_default() += keys.len() as u64;
            out.push(Emitted::Keys(Arc::new(keys)));
        }
        out
    }

    /// Flush what is pending and return the last pieces and the truth.
    pub fn finish(mut self) -> (Vec<Emitted>, TruthParts) {
        let mut out = Vec::new();
        if let Some((p, _)) = self.pending_unit {
            out.extend(self.flush_unit());
            out.extend(self.flush_period(p));
        }
        let parts = TruthParts {
            delta: self.truth,
            by_caller: self.by_caller,
            background_e16: self.background_e16,
            tax_e16: self.tax_e16,
            rows_by_period: self.rows_by_period,
            bill_by_period: self.bill_by_period,
        };
        (out, parts)
    }

    /// A monthly unit (a whole period) is complete: price and pass on its rows.
    fn flush_unit(&mut self) -> Vec<Emitted> {
        let Some((period, unit)) = self.pending_unit else {
            return vec![];
        };
        if self.pending_bedrock.is_empty() && self.pending_background.is_empty() {
            return vec![];
        }
        let plan = self.plan;
        let mut bedrock: Vec<(BedrockKey, u64)> = self.pending_bedrock.drain().collect();
        bedrock.sort_unstable_by_key(|(k, _)| *k);
        let mut background: Vec<(BackgroundKey, i64)> = self.pending_background.drain().collect();
        background.sort_unstable_by_key(|(k, _)| *k);
        for (k, tokens) in &bedrock {
            let amount = bedrock_amount_e6(plan, k, *tokens);
            let sku = self.skus.bedrock(plan, k).0.clone();
            let cost = Money::from_e16(i128::from(amount) * i128::from(sku.rate_e10));
            self.add_period_cost(period, k.account as usize, &sku, cost);
        }
        for (k, amount) in &background {
            let sku = self.skus.background(plan, k).0.clone();
            let cost = Money::from_e16(i128::from(*amount) * i128::from(sku.rate_e10));
            if self.pending_owned {
                let charge = plan.background[k.entry as usize].service.bedrock_charge();
                if charge.is_none() {
                    self.background_e16 += cost;
                }
                let b = self.bill(period);
                match charge {
                    Some(BedrockCharge::Commitment) => b.commitment_e16 += cost,
                    Some(BedrockCharge::Other) => b.other_charges_e16 += cost,
                    None => b.background_e16 += cost,
                }
                if let Some(c) = plan.background[k.entry as usize].caller {
                    *b.attributed_charges.entry((c, k.bucket)).or_default() += cost;
                }
            }
            let account = plan.background[k.entry as usize].account;
            self.add_period_cost(period, account, &sku, cost);
        }
        if !self.pending_owned {
            return vec![];
        }
        self.count_callers(&bedrock);
        let keys = KeyBlock {
            period,
            unit,
            discounts: discount_rows(plan, &bedrock),
            bedrock,
            background,
        };
        *self
            .rows_by_period
            .entry(plan.export.periods[period].label.clone())
            .or_default() += keys.len() as u64;
        vec![Emitted::Keys(Arc::new(keys))]
    }

    /// Add the cost of rows that carry a principal to their caller's sums: tokens × price,
    /// exactly the sum of the requests' costs `record` summed into the day's truth.
    fn count_callers(&mut self, bedrock: &[(BedrockKey, u64)]) {
        let plan = self.plan;
        for (k, n) in bedrock {
            if k.principal == NO_PRINCIPAL {
                continue;
            }
            let model = &plan.models[usize::from(k.model)];
            let bp = plan.discounts.of(usize::from(k.model));
            let bp = u128::from(bp[0] + bp[1]);
            let cost = u128::from(*n) * u128::from(model.price(k.usage).unwrap_or(0));
            let marketplace = model.billing == curlab_vocab::bedrock::BillingForm::Marketplace;
            self.by_caller.add(
                k.principal,
                Sums {
                    gross: cost,
                    discount: cost * bp,
                    marketplace: if marketplace { cost } else { 0 },
                },
            );
        }
    }

    /// The Bedrock charges rows carry a caller on (`guardrail_principal = "caller"`): their
    /// cost per caller and time bucket, for the truth's principals and tags.
    fn attribute_charges(&mut self, period: usize, background: &[(BackgroundKey, i64)]) {
        let plan = self.plan;
        if plan.background.iter().all(|b| b.caller.is_none()) {
            return;
        }
        for (k, amount) in background {
            let Some(c) = plan.background[k.entry as usize].caller else {
                continue;
            };
            let rate = self.skus.background(plan, k).0.rate_e10;
            let cost = Money::from_e16(i128::from(*amount) * i128::from(rate));
            *self
                .bill(period)
                .attributed_charges
                .entry((c, k.bucket))
                .or_default() += cost;
        }
    }

    /// The bill sums of a period, by index.
    fn bill(&mut self, period: usize) -> &mut PeriodBill {
        self.bill_by_period
            .entry(self.plan.export.periods[period].label.clone())
            .or_default()
    }

    fn add_period_cost(&mut self, period: usize, account: usize, sku: &Arc<Sku>, cost: Money) {
        self.period_cost
            .entry((period, account, sku.product_code.clone()))
            .or_insert_with(|| (Money::ZERO, sku.clone()))
            .0 += cost;
    }

    /// Tax rows for the accounts' products of a finished period.
    fn flush_period(&mut self, period: usize) -> Vec<Emitted> {
        let last_day = self.plan.export.periods[period].end / 86_400 - 1;
        let mut out = self.adjustment_rows(period, last_day);
        let tax = self.plan.tax.clone().filter(|_| self.owns(last_day));
        let Some(tax) = tax else {
            self.period_cost.retain(|(p, _, _), _| *p != period);
            return out;
        };
        let per = &self.plan.export.periods[period];
        let rate_bp = (tax.rate * 1e6).round() as i128; // parts per million
        let mut rows = Vec::new();
        let entries: Vec<(PeriodProduct, (Money, Arc<Sku>))> = self
            .period_cost
            .iter()
            .filter(|((p, _, _), _)| *p == period)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.period_cost.retain(|(p, _, _), _| *p != period);
        // One tax line per usage account and product code, spanning the billing period, also
        // when it rounds to $0.00: real exports carry such lines.
        for ((_, account, code), (cost, sku)) in entries {
            // Round to the cent: 1 cent = 1e14 in 1e-16 USD.
            let raw = cost.e16() * rate_bp / 1_000_000;
            let cents = (raw + 50_000_000_000_000) / 100_000_000_000_000;
            let tax_e16 = Money::from_e16(cents * 100_000_000_000_000);
            self.tax_e16 += tax_e16;
            self.bill_by_period
                .entry(per.label.clone())
                .or_default()
                .tax_e16 += tax_e16;
            rows.push(Row {
                period,
                account,
                start: per.start,
                end: per.end,
                kind: RowKind::Tax,
                sku: Arc::new(tax_sku(&sku)),
                operation: "".into(),
                principal: None,
                resource_id: None,
                amount_e6: TAX_USAGE_E6,
                cost_e16: tax_e16,
                tags: self.empty.clone(),
                resource_tags: self.empty.clone(),
                id: self.ids.tax(per.start, account, &code),
                tax_type: Some(tax.tax_type.clone()),
                discount_e16: self.net_columns.then_some([Money::ZERO; 2]),
                net_skew_e16: Money::ZERO,
                late: false,
            });
        }
        if rows.is_empty() {
            return out;
        }
        *self.rows_by_period.entry(per.label.clone()).or_default() += rows.len() as u64;
        out.push(Emitted::Rows(Chunk { period, rows }));
        out
    }

    /// The credit and refund rows of a finished period (`[[adjustments]]`), written by the
    /// part that owns the period's last day.
    fn adjustment_rows(&mut self, period: usize, last_day: i64) -> Vec<Emitted> {
        if !self.owns(last_day) {
            return vec![];
        }
        let plan = self.plan;
        let per = &plan.export.periods[period];
        let mut rows = Vec::new();
        for (n, a) in plan.adjustments.iter().enumerate() {
            // The first delivery of a restated period is as it was before its late adjustments.
            let pending = a.restated_at.is_some() && plan.delivery == DeliveryPass::First;
            if a.period != period || pending {
                continue;
            }
            let b = self.bill_by_period.entry(per.label.clone()).or_default();
            match a.kind {
                AdjustmentKind::Credit => b.credits_e16 += a.cost_e16,
                AdjustmentKind::Refund => b.refunds_e16 += a.cost_e16,
            }
            rows.push(Row {
                period,
                account: a.account,
                start: per.start,
                end: per.end,
                kind: match a.kind {
                    AdjustmentKind::Credit => RowKind::Credit,
                    AdjustmentKind::Refund => RowKind::Refund,
                },
                sku: Arc::new(adjustment_sku(a)),
                operation: "".into(),
                principal: None,
                resource_id: None,
                amount_e6: 0,
                cost_e16: a.cost_e16,
                tags: self.empty.clone(),
                resource_tags: self.empty.clone(),
                id: self.ids.adjustment(per.start, a.account, n),
                tax_type: None,
                discount_e16: self.net_columns.then_some([Money::ZERO; 2]),
                net_skew_e16: Money::ZERO,
                late: a.restated_at.is_some(),
            });
        }
        if rows.is_empty() {
            return vec![];
        }
        *self.rows_by_period.entry(per.label.clone()).or_default() += rows.len() as u64;
        vec![Emitted::Rows(Chunk { period, rows })]
    }
}
