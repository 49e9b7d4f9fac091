//! The day simulation: every stream, explicit request and background service of one day,
//! aggregated into keys and handed on as blocks in output order, with the day's truth.

use std::sync::Arc;

use super::blocks::{DayBlock, DayOutput, KeyBlock, TruthDelta};
use super::requests::{record, region_index, streams_of_day, usage_keys, Request};
use super::sku::{bedrock_amount_e6, SkuCache};
use super::tag_table::TagTable;
use crate::background;
use crate::keys::{BackgroundKey, BedrockKey, FxMap};
use crate::plan::Plan;
use crate::rows::Sku;
use curlab_vocab::{Granularity, Money};

/// The period a day belongs to.
fn period_of_day(plan: &Plan, day: i64) -> usize {
    let t = day * 86_400;
    plan.export
        .periods
        .iter()
        .position(|p| t >= p.start && t < p.end)
        .unwrap_or(0)
}

/// Adds up block costs per (account, product code) in order of first appearance.
#[derive(Default)]
struct CostSum {
    index: FxMap<(usize, u32), usize>,
    costs: Vec<(usize, Arc<Sku>, Money)>,
}

impl CostSum {
    fn add(&mut self, account: usize, sku: &(Arc<Sku>, u32), cost: Money) {
        let next = self.costs.len();
        let i = *self.index.entry((account, sku.1)).or_insert(next);
        if i == next {
            self.costs.push((account, sku.0.clone(), Money::ZERO));
        }
        self.costs[i].2 += cost;
    }
}

/// Simulate one day of every stream, explicit request and background service, handing the
/// rows to `emit` in output order: with hourly granularity one block per hour (Bedrock hours,
/// then background hours), otherwise one Bedrock and one background block, then always a last
/// block without rows that carries the day's truth. `emit` returns `false` to stop early; the
/// function then returns `false`.
///
/// Seeds derive from (seed, stream, day), so any thread can run any day; within a day every
/// stream draws its hours in order, so running the hours one at a time gives the same draws as
/// running each stream's whole day.
pub fn simulate_day(
    plan: &Plan,
    tags: &TagTable,
    day: i64,
    skus: &mut SkuCache,
    mut emit: impl FnMut(DayBlock) -> bool,
) -> bool {
    let period = period_of_day(plan, day);
    let monthly = plan.export.granularity == Granularity::Monthly;
    let hourly = plan.export.granularity == Granularity::Hourly;
    let unit = if monthly {
        plan.export.periods[period].start
    } else {
        day * 86_400
    };
    if !plan.has_usage(day) {
        // After a month-to-date export's data cut: the day is walked (its period still gets
        // its files and tax rows) but has no usage.
        return emit(DayBlock {
            day,
            keys: KeyBlock {
                period,
                unit,
                ..Default::default()
            },
            truth: Some(TruthDelta::default()),
            ..Default::default()
        });
    }
    let mut out = DayOutput::default();
    let mut streams = streams_of_day(plan, day);
    let explicit = {
        let lo = plan.explicit.partition_point(|r| r.ts < day * 86_400);
        let hi = plan.explicit.partition_point(|r| r.ts < (day + 1) * 86_400);
        &plan.explicit[lo..hi]
    };
    // Monthly rows are priced when the period is complete (see `Emitter`), so their blocks
    // carry no costs.
    let block = |bedrock: Vec<(BedrockKey, u64)>,
                 background: Vec<(BackgroundKey, i64)>,
                 skus: &mut SkuCache|
     -> DayBlock {
        let mut costs = CostSum::default();
        let mut background_e16 = Money::ZERO;
        let mut charges_e16 = [Money::ZERO; 2];
        if !monthly {
            for (k, tokens) in &bedrock {
                let amount = bedrock_amount_e6(plan, k, *tokens);
                let account = k.account as usize;
                let sku = skus.bedrock(plan, k);
                costs.add(
                    account,
                    sku,
                    Money::from_e16(i128::from(amount) * i128::from(sku.0.rate_e10)),
                );
            }
            for (k, amount) in &background {
                let account = plan.background[k.entry as usize].account;
                let sku = skus.background(plan, k);
                let cost = Money::from_e16(i128::from(*amount) * i128::from(sku.0.rate_e10));
                match plan.background[k.entry as usize].service.bedrock_charge() {
                    Some(c) => charges_e16[c as usize] += cost,
                    None => background_e16 += cost,
                }
                costs.add(account, sku, cost);
            }
        }
        let keys = KeyBlock {
            period,
            unit,
            discounts: super::sku::discount_rows(plan, &bedrock),
            bedrock,
            background,
        };
        DayBlock {
            day,
            keys,
            costs: costs.costs,
            background_e16,
            charges_e16,
            truth: None,
        }
    };
    // The map is given up, not drained: it has the capacity of the busiest hour so far
    // (131k keys, 5 MiB, in a business hour at `enterprise --scale 100`), which a worker
    // would otherwise keep while it waits for the consumer; growing it again each hour
    // costs no measurable time.
    let sorted_bedrock = |m: &mut FxMap<BedrockKey, u64>| {
        let mut v: Vec<(BedrockKey, u64)> = std::mem::take(m).into_iter().collect();
        v.sort_unstable_by_key(|(k, _)| *k);
        v
    };
    // Streams run an hour at a time, so only one hour's keys are in memory per worker (two
    // hours at once held 14 MiB per worker at `enterprise --scale 25`; the extra re-seeds cost
    // no measurable time). The draws, and so the rows, are the same for any value.
    const HOURS_AT_ONCE: usize = 1;
    for g in (0..24).step_by(HOURS_AT_ONCE) {
        let hours = g..g + HOURS_AT_ONCE;
        for s in &mut streams {
            s.hours(plan, tags, day, hours.clone(), &mut out);
        }
        let lo = day * 86_400 + g as i64 * 3600;
        let hi = lo + HOURS_AT_ONCE as i64 * 3600;
        for r in explicit.iter().filter(|r| r.ts >= lo && r.ts < hi) {
            let req = Request {
                ts: r.ts,
                caller: r.caller,
                model: r.model,
                region: region_index(r.region_code),
                tokens: r.tokens,
                streaming: r.streaming && !r.batch,
                usage: usage_keys(&plan.models[r.model], &r.tokens, r.tier, r.batch, r.global),
                profile: 0,
            };
            record(plan, tags, &mut out, &req);
        }
        if hourly && !out.bedrock.is_empty() {
            // Sorted by bucket first: one block per hour.
            let keys = sorted_bedrock(&mut out.bedrock);
            if keys.first().map(|(k, _)| k.bucket) == keys.last().map(|(k, _)| k.bucket) {
                // One hour (always, with `HOURS_AT_ONCE = 1`): hand the keys over as they are
                // instead of a copy (a copy held an hour's keys twice per worker).
                if !emit(block(keys, Vec::new(), skus)) {
                    return false;
                }
                continue;
            }
            let mut rest = keys.as_slice();
            while !rest.is_empty() {
                let n = rest.partition_point(|(k, _)| k.bucket == rest[0].0.bucket);
                if !emit(block(rest[..n].to_vec(), Vec::new(), skus)) {
                    return false;
                }
                rest = &rest[n..];
            }
        }
    }
    if !out.bedrock.is_empty() {
        let keys = sorted_bedrock(&mut out.bedrock);
        if !emit(block(keys, Vec::new(), skus)) {
            return false;
        }
    }
    background::simulate_day(plan, day, &mut out.background);
    let mut bg: Vec<(BackgroundKey, i64)> = out.background.drain().collect();
    bg.sort_unstable_by_key(|(k, _)| *k);
    let mut rest = bg.as_slice();
    while !rest.is_empty() {
        // Sorted by bucket first: with hourly granularity, one block per hour.
        let n = if hourly {
            rest.partition_point(|(k, _)| k.bucket == rest[0].0.bucket)
        } else {
            rest.len()
        };
        if !emit(block(Vec::new(), rest[..n].to_vec(), skus)) {
            return false;
        }
        rest = &rest[n..];
    }
    emit(DayBlock {
        day,
        keys: KeyBlock {
            period,
            unit,
            ..Default::default()
        },
        truth: Some(out.truth),
        ..Default::default()
    })
}
