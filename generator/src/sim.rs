//! Simulate requests one day at a time and aggregate them into CUR rows.
//!
//! [`simulate_day`] is pure and seeded per (stream, day), so days can run on any thread in any
//! order; [`Emitter`] takes the days back in order, adds tax rows at each period's end and
//! keeps the ground truth, which is summed per request, not per row. [`RowMaker`] turns keys
//! into rows on any thread; a row's line item id is a hash of its key ([`crate::ids`]), not of
//! its position.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use curlab_vocab::bedrock::{self, ServiceTier, TokenType, UsageKey};
use curlab_vocab::tags::{resource_tags_column_key, IAM_PRINCIPAL_PREFIX, RESOURCE_TAGS_PREFIX};
use curlab_vocab::truth::{self, Truth};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::background;
use crate::ids::LineItemIds;
use crate::keys::{bucket_end, bucket_of, BackgroundKey, BedrockKey, FxMap, NO_PRINCIPAL};
use crate::plan::Plan;
use crate::rows::{bedrock_sku, e16_to_usd, tax_sku, Pairs, Row, RowKind, Sku, TAX_USAGE_E6};
use crate::scenario::model::{BatchPrincipal, Granularity, ProfileResourceId, TagSource};
use crate::seed::{self, Daily};
use crate::time::{rfc3339, Ts};

/// Tags each caller (and background entry) carries, per activation interval.
#[derive(Debug)]
pub struct TagTable {
    /// Start of each interval (the first is `i64::MIN`).
    breaks: Vec<Ts>,
    /// Interned tag sets; index 0 is the empty set.
    sets: Vec<Pairs>,
    /// `[caller][interval]` → set index.
    callers: Vec<Vec<u32>>,
    /// `[background entry][interval]` → (tags set, resource_tags set).
    background: Vec<Vec<(u32, u32)>>,
}

impl TagTable {
    /// Build the table for a plan.
    pub fn new(plan: &Plan) -> Self {
        let launch = crate::time::day_of(bedrock::principal_data_start()) * 86_400;
        let mut breaks = vec![i64::MIN, launch];
        for a in &plan.activations {
            breaks.push(a.effective);
            if let Some(b) = a.backfill {
                breaks.push(b);
            }
        }
        breaks.sort_unstable();
        breaks.dedup();
        let mut sets: Vec<Pairs> = vec![Arc::new(Vec::new())];
        let mut index: HashMap<Vec<(String, String)>, u32> = HashMap::new();
        index.insert(Vec::new(), 0);
        let mut intern = |v: Vec<(String, String)>| -> u32 {
            if let Some(i) = index.get(&v) {
                return *i;
            }
            let i = sets.len() as u32;
            index.insert(v.clone(), i);
            sets.push(Arc::new(v));
            i
        };
        let callers = plan
            .callers
            .iter()
            .map(|c| {
                breaks
                    .iter()
                    .map(|&t| {
                        if t < launch {
                            return 0;
                        }
                        let mut v: Vec<(String, String)> = c
                            .tags
                            .iter()
                            .filter(|(k, _)| {
                                plan.activations.iter().any(|a| {
                                    a.source == TagSource::IamPrincipal
                                        && a.key == *k
                                        && a.applies_at(t)
                                })
                            })
                            .map(|(k, v)| (format!("{IAM_PRINCIPAL_PREFIX}{k}"), v.clone()))
                            .collect();
                        v.sort();
                        intern(v)
                    })
                    .collect()
            })
            .collect();
        let background = plan
            .background
            .iter()
            .map(|b| {
                breaks
                    .iter()
                    .map(|&t| {
                        let active: Vec<&(String, String)> = b
                            .tags
                            .iter()
                            .filter(|(k, _)| {
                                plan.activations.iter().any(|a| {
                                    a.source == TagSource::Resource
                                        && a.key == *k
                                        && a.applies_at(t)
                                })
                            })
                            .collect();
                        let mut tags: Vec<(String, String)> = active
                            .iter()
                            .map(|(k, v)| (format!("{RESOURCE_TAGS_PREFIX}{k}"), v.clone()))
                            .collect();
                        tags.sort();
                        let mut rt: Vec<(String, String)> = active
                            .iter()
                            .map(|(k, v)| (resource_tags_column_key(k), v.clone()))
                            .collect();
                        rt.sort();
                        (intern(tags), intern(rt))
                    })
                    .collect()
            })
            .collect();
        TagTable {
            breaks,
            sets,
            callers,
            background,
        }
    }

    fn interval(&self, t: Ts) -> usize {
        self.breaks.partition_point(|b| *b <= t).saturating_sub(1)
    }

    /// The `tags` set a caller's row starting at `t` carries.
    pub fn caller_set(&self, caller: usize, t: Ts) -> u32 {
        self.callers[caller][self.interval(t)]
    }

    /// A tag set by index.
    pub fn set(&self, i: u32) -> &Pairs {
        &self.sets[i as usize]
    }
}

/// Cost in pico-dollars of each token type of a request, summed into the truth.
#[derive(Debug, Default, Clone)]
pub struct TruthDelta {
    /// Per caller index.
    pub by_caller: FxMap<u32, u128>,
    /// Per tag set.
    pub by_tagset: FxMap<u32, u128>,
    /// Bedrock cost without a principal.
    pub unattributed: u128,
    /// All Bedrock cost.
    pub bedrock: u128,
    /// Requests simulated.
    pub requests: u64,
}

impl TruthDelta {
    fn merge(&mut self, o: TruthDelta) {
        for (k, v) in o.by_caller {
            *self.by_caller.entry(k).or_default() += v;
        }
        for (k, v) in o.by_tagset {
            *self.by_tagset.entry(k).or_default() += v;
        }
        self.unattributed += o.unattributed;
        self.bedrock += o.bedrock;
        self.requests += o.requests;
    }
}

/// One simulated day: token totals per Bedrock key, usage per background key, and the truth.
#[derive(Debug, Default)]
pub struct DayOutput {
    /// Day (days since epoch).
    pub day: i64,
    /// Tokens per key.
    pub bedrock: FxMap<BedrockKey, u64>,
    /// Usage (1e-6 units) per key.
    pub background: FxMap<BackgroundKey, i64>,
    /// Truth from the requests.
    pub truth: TruthDelta,
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 30.0 {
        let l = (-lambda).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= rng.random::<f64>();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
    (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u64
}

fn lognormal(rng: &mut ChaCha8Rng, mean: f64, cv: f64) -> u64 {
    if cv <= 0.0 {
        return mean.round().max(1.0) as u64;
    }
    let s2 = (1.0 + cv * cv).ln();
    let mu = mean.ln() - s2 / 2.0;
    (mu + s2.sqrt() * normal(rng)).exp().round().clamp(1.0, 5e6) as u64
}

struct Request {
    ts: Ts,
    caller: usize,
    model: usize,
    region: u8,
    tokens: [u64; 5],
    streaming: bool,
    usage: [UsageKey; 5],
}

fn region_index(code: &str) -> u8 {
    bedrock::REGION_CODES
        .iter()
        .position(|(_, c)| *c == code)
        .unwrap_or(0) as u8
}

fn record(plan: &Plan, tags: &TagTable, out: &mut DayOutput, r: &Request) {
    let bucket = bucket_of(plan, r.ts);
    let caller = &plan.callers[r.caller];
    let model = &plan.models[r.model];
    let principal_on = plan
        .export
        .principal_from
        .is_some_and(|from| bucket >= from);
    let tagset = tags.caller_set(r.caller, bucket);
    out.truth.requests += 1;
    for (i, &n) in r.tokens.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let key = r.usage[i];
        let with_principal = principal_on
            && !(key.batch && plan.assumptions.batch_principal == BatchPrincipal::None);
        let price = u128::from(model.price(key).unwrap_or(0));
        let cost = u128::from(n) * price;
        out.truth.bedrock += cost;
        if with_principal {
            *out.truth.by_caller.entry(r.caller as u32).or_default() += cost;
        } else {
            out.truth.unattributed += cost;
        }
        if tagset != 0 {
            *out.truth.by_tagset.entry(tagset).or_default() += cost;
        }
        let k = BedrockKey {
            bucket,
            account: caller.account as u32,
            model: r.model as u16,
            region: r.region,
            usage: key,
            streaming: r.streaming,
            principal: if with_principal {
                r.caller as u32
            } else {
                NO_PRINCIPAL
            },
            tags: tagset,
        };
        *out.bedrock.entry(k).or_default() += n;
    }
}

/// The usage keys of a request's five token types. Long context is decided per request from
/// its input tokens (input + cache reads + cache writes), and then applies to all of them.
fn usage_keys(
    model: &crate::catalog::Model,
    tokens: &[u64; 5],
    tier: ServiceTier,
    batch: bool,
    global: bool,
) -> [UsageKey; 5] {
    let input = tokens[0] + tokens[2] + tokens[3] + tokens[4];
    let long_context = model.is_long_context(input);
    TokenType::ALL.map(|token| UsageKey {
        token,
        tier,
        batch,
        global,
        long_context,
    })
}

/// One stream's state for one day. Its random stream is kept as a position, not as a
/// generator (a ChaCha generator holds a 256-byte buffer, and a large scenario has tens of
/// thousands of streams): the stream is re-seeded and moved to that position for each group of
/// hours. Hour `h` of a stream always follows its hour `h - 1`, so the draws are the same as
/// running each stream's whole day at once.
struct StreamDay<'p> {
    /// Stream index.
    si: u32,
    /// Region index of the workload.
    region: u8,
    /// Words of the stream's random sequence used so far.
    pos: u128,
    callers: std::borrow::Cow<'p, [(usize, f64)]>,
    total_w: f64,
    lambda_day: f64,
}

impl StreamDay<'_> {
    /// Draw this stream's requests of `hours` into `out`.
    fn hours(
        &mut self,
        plan: &Plan,
        tags: &TagTable,
        day: i64,
        hours: std::ops::Range<usize>,
        out: &mut DayOutput,
    ) {
        let w = &plan.workloads[plan.streams[self.si as usize].workload];
        if hours.clone().all(|h| self.lambda_day * w.hours[h] <= 0.0) {
            return; // no draws at all (see `poisson`)
        }
        let mut rng = seed::daily(plan.seed, Daily::Requests, u64::from(self.si), day);
        if self.pos > 0 {
            rng.set_word_pos(self.pos);
        }
        let callers = &self.callers;
        for h in hours {
            let n = poisson(&mut rng, self.lambda_day * w.hours[h]);
            for _ in 0..n {
                let caller = if callers.len() == 1 {
                    callers[0].0
                } else {
                    let mut x = rng.random::<f64>() * self.total_w;
                    let mut pick = callers[callers.len() - 1].0;
                    for (c, cw) in callers.iter() {
                        if x < *cw {
                            pick = *c;
                            break;
                        }
                        x -= cw;
                    }
                    pick
                };
                let ts = day * 86_400 + h as i64 * 3600 + rng.random_range(0..3600);
                let prompt = lognormal(&mut rng, w.input.mean, w.input.cv);
                let output = lognormal(&mut rng, w.output.mean, w.output.cv);
                let cr = (prompt as f64 * w.cache_shares[0]).round() as u64;
                let cw = (prompt as f64 * w.cache_shares[1]).round() as u64;
                let cw1 = (prompt as f64 * w.cache_shares[2]).round() as u64;
                let input = prompt.saturating_sub(cr + cw + cw1);
                let streaming = rng.random::<f64>() < w.streaming_share;
                let batch = rng.random::<f64>() < w.batch_share;
                // Batch and global combine (reference §10.1). A batch request draws only when
                // the workload goes global at all, so workloads without `global_share` keep
                // the draws they always had.
                let global = if batch {
                    w.global_share > 0.0 && rng.random::<f64>() < w.global_share
                } else {
                    rng.random::<f64>() < w.global_share
                };
                let tokens = [input, output, cr, cw, cw1];
                let req = Request {
                    ts,
                    caller,
                    model: w.model,
                    region: self.region,
                    tokens,
                    streaming: streaming && !batch,
                    usage: usage_keys(&plan.models[w.model], &tokens, w.tier, batch, global),
                };
                record(plan, tags, out, &req);
            }
        }
        self.pos = rng.get_word_pos();
    }
}

/// The streams that send requests on `day`.
fn streams_of_day<'p>(plan: &'p Plan, day: i64) -> Vec<StreamDay<'p>> {
    let weekday = ((day + 3).rem_euclid(7)) as usize; // 1970-01-01 was a Thursday
    let mut out = Vec::new();
    for (si, s) in plan.streams.iter().enumerate() {
        let w = &plan.workloads[s.workload];
        if day < w.days.0 || day > w.days.1 {
            continue;
        }
        let all = &plan.requesters[s.requester].callers;
        let active = |c: &usize| plan.callers[*c].active_day.is_none_or(|d| d == day);
        // Borrow the requester's list unless a one-day caller has to be left out.
        let callers: std::borrow::Cow<'p, [(usize, f64)]> = if all.iter().all(|(c, _)| active(c)) {
            std::borrow::Cow::Borrowed(all.as_slice())
        } else {
            std::borrow::Cow::Owned(all.iter().filter(|(c, _)| active(c)).copied().collect())
        };
        if callers.is_empty() {
            continue;
        }
        let total_w: f64 = callers.iter().map(|(_, w)| w).sum();
        let lambda_day = w.requests_per_day * w.weekday[weekday] * total_w.min(1.0);
        if lambda_day <= 0.0 {
            continue;
        }
        out.push(StreamDay {
            si: si as u32,
            region: region_index(w.region_code),
            pos: 0,
            callers,
            total_w,
            lambda_day,
        });
    }
    out
}

/// The period a day belongs to.
fn period_of_day(plan: &Plan, day: i64) -> usize {
    let t = day * 86_400;
    plan.export
        .periods
        .iter()
        .position(|p| t >= p.start && t < p.end)
        .unwrap_or(0)
}

/// SKUs by key, built on first use. Every SKU is a pure function of the plan and its key, so
/// caches on different threads agree.
#[derive(Debug, Default)]
pub struct SkuCache {
    bedrock: FxMap<(u16, u8, UsageKey), (Arc<Sku>, u32)>,
    background: FxMap<(u32, u8), (Arc<Sku>, u32)>,
    codes: FxMap<String, u32>,
}

impl SkuCache {
    fn code(codes: &mut FxMap<String, u32>, sku: &Sku) -> u32 {
        let n = codes.len() as u32;
        *codes.entry(sku.product_code.clone()).or_insert(n)
    }

    /// The SKU of a Bedrock key, and its product code's number in this cache.
    fn bedrock(&mut self, plan: &Plan, k: &BedrockKey) -> &(Arc<Sku>, u32) {
        let codes = &mut self.codes;
        self.bedrock
            .entry((k.model, k.region, k.usage))
            .or_insert_with(|| {
                let (region, code) = bedrock::REGION_CODES[k.region as usize];
                let sku = bedrock_sku(&plan.models[k.model as usize], region, code, k.usage);
                let n = Self::code(codes, &sku);
                (Arc::new(sku), n)
            })
    }

    /// The SKU of a background key, and its product code's number in this cache.
    fn background(&mut self, plan: &Plan, k: &BackgroundKey) -> &(Arc<Sku>, u32) {
        let codes = &mut self.codes;
        self.background.entry((k.entry, k.line)).or_insert_with(|| {
            let sku = background::sku(&plan.background[k.entry as usize], k.line);
            let n = Self::code(codes, &sku);
            (Arc::new(sku), n)
        })
    }
}

/// Usage (1e-6 units) of a Bedrock row with `tokens` tokens.
fn bedrock_amount_e6(plan: &Plan, k: &BedrockKey, tokens: u64) -> i64 {
    let model = &plan.models[k.model as usize];
    tokens as i64 * (1_000_000 / model.billing.tokens_per_unit() as i64).max(1)
}

/// Aggregated rows, sorted in output order, of one emit unit (a day, or a billing period for
/// monthly granularity). Rows are built from the keys only when they are written
/// ([`RowMaker`]), so a block costs ~40 bytes a row.
#[derive(Debug, Default)]
pub struct KeyBlock {
    /// Billing period index.
    pub period: usize,
    /// Emit unit start.
    pub unit: Ts,
    /// Bedrock rows (they come first), tokens per key.
    pub bedrock: Vec<(BedrockKey, u64)>,
    /// Background rows, usage (1e-6 units) per key.
    pub background: Vec<(BackgroundKey, i64)>,
}

impl KeyBlock {
    /// Rows in the block.
    pub fn len(&self) -> usize {
        self.bedrock.len() + self.background.len()
    }

    /// Whether the block has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One piece of a simulated day, in output order: rows of one hour (hourly granularity) or of
/// the whole day, with their costs for the period's tax rows.
#[derive(Debug, Default)]
pub struct DayBlock {
    /// Day (days since epoch).
    pub day: i64,
    /// The rows.
    pub keys: KeyBlock,
    /// Cost (1e-16 USD) per usage account and product code, in the order the codes first
    /// appear in the rows, with the SKU of that first row (tax rows copy it).
    pub costs: Vec<(usize, Arc<Sku>, i128)>,
    /// Background cost of the rows (1e-16 USD).
    pub background_e16: i128,
    /// The day's request-level truth: set on the day's last block, and only there.
    pub truth: Option<TruthDelta>,
}

/// Adds up block costs per (account, product code) in order of first appearance.
#[derive(Default)]
struct CostSum {
    index: FxMap<(usize, u32), usize>,
    costs: Vec<(usize, Arc<Sku>, i128)>,
}

impl CostSum {
    fn add(&mut self, account: usize, sku: &(Arc<Sku>, u32), cost: i128) {
        let next = self.costs.len();
        let i = *self.index.entry((account, sku.1)).or_insert(next);
        if i == next {
            self.costs.push((account, sku.0.clone(), 0));
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
    let mut out = DayOutput {
        day,
        ..Default::default()
    };
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
        let mut background_e16 = 0;
        if !monthly {
            for (k, tokens) in &bedrock {
                let amount = bedrock_amount_e6(plan, k, *tokens);
                let account = k.account as usize;
                let sku = skus.bedrock(plan, k);
                costs.add(
                    account,
                    sku,
                    i128::from(amount) * i128::from(sku.0.rate_e10),
                );
            }
            for (k, amount) in &background {
                let account = plan.background[k.entry as usize].account;
                let sku = skus.background(plan, k);
                let cost = i128::from(*amount) * i128::from(sku.0.rate_e10);
                background_e16 += cost;
                costs.add(account, sku, cost);
            }
        }
        let keys = KeyBlock {
            period,
            unit,
            bedrock,
            background,
        };
        DayBlock {
            day,
            keys,
            costs: costs.costs,
            background_e16,
            truth: None,
        }
    };
    let sorted_bedrock = |m: &mut FxMap<BedrockKey, u64>| {
        let mut v: Vec<(BedrockKey, u64)> = m.drain().collect();
        v.sort_unstable_by_key(|(k, _)| *k);
        v
    };
    // Streams run a few hours at a time: fewer re-seeds than hour by hour, and only those
    // hours' keys in memory.
    const HOURS_AT_ONCE: usize = 2;
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
            };
            record(plan, tags, &mut out, &req);
        }
        if hourly && !out.bedrock.is_empty() {
            // Sorted by bucket first: one block per hour.
            let keys = sorted_bedrock(&mut out.bedrock);
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

/// A batch of finished rows for one billing period, in output order.
#[derive(Debug)]
pub struct Chunk {
    /// Billing period index.
    pub period: usize,
    /// Rows.
    pub rows: Vec<Row>,
}

/// What the [`Emitter`] hands on, in output order.
#[derive(Debug)]
pub enum Emitted {
    /// Rows still as keys: build them with a [`RowMaker`] (on any thread).
    Keys(Arc<KeyBlock>),
    /// Finished rows (tax).
    Rows(Chunk),
}

impl Emitted {
    /// Rows it stands for.
    pub fn len(&self) -> usize {
        match self {
            Emitted::Keys(b) => b.len(),
            Emitted::Rows(c) => c.rows.len(),
        }
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Billing period index.
    pub fn period(&self) -> usize {
        match self {
            Emitted::Keys(b) => b.period,
            Emitted::Rows(c) => c.period,
        }
    }
}

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
    period_cost: BTreeMap<PeriodProduct, (i128, Arc<Sku>)>,
    truth: TruthDelta,
    background_e16: i128,
    tax_e16: i128,
    rows_by_period: BTreeMap<String, u64>,
    owned: Option<std::ops::RangeInclusive<i64>>,
    pending_owned: bool,
    empty: Pairs,
    ids: LineItemIds,
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
            background_e16: 0,
            tax_e16: 0,
            rows_by_period: BTreeMap::new(),
            owned: None,
            pending_owned: true,
            empty: Arc::new(Vec::new()),
            ids: LineItemIds::new(plan),
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
            background_e16: self.background_e16,
            tax_e16: self.tax_e16,
            rows_by_period: self.rows_by_period,
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
            let cost = i128::from(amount) * i128::from(sku.rate_e10);
            self.add_period_cost(period, k.account as usize, &sku, cost);
        }
        for (k, amount) in &background {
            let sku = self.skus.background(plan, k).0.clone();
            let cost = i128::from(*amount) * i128::from(sku.rate_e10);
            if self.pending_owned {
                self.background_e16 += cost;
            }
            let account = plan.background[k.entry as usize].account;
            self.add_period_cost(period, account, &sku, cost);
        }
        if !self.pending_owned {
            return vec![];
        }
        let keys = KeyBlock {
            period,
            unit,
            bedrock,
            background,
        };
        *self
            .rows_by_period
            .entry(plan.export.periods[period].label.clone())
            .or_default() += keys.len() as u64;
        vec![Emitted::Keys(Arc::new(keys))]
    }

    fn add_period_cost(&mut self, period: usize, account: usize, sku: &Arc<Sku>, cost: i128) {
        self.period_cost
            .entry((period, account, sku.product_code.clone()))
            .or_insert_with(|| (0, sku.clone()))
            .0 += cost;
    }

    /// Tax rows for the accounts' products of a finished period.
    fn flush_period(&mut self, period: usize) -> Vec<Emitted> {
        let last_day = self.plan.export.periods[period].end / 86_400 - 1;
        let tax = self.plan.tax.clone().filter(|_| self.owns(last_day));
        let Some(tax) = tax else {
            self.period_cost.retain(|(p, _, _), _| *p != period);
            return vec![];
        };
        let per = &self.plan.export.periods[period];
        let rate_bp = (tax.rate * 1e6).round() as i128; // parts per million
        let mut rows = Vec::new();
        let entries: Vec<(PeriodProduct, (i128, Arc<Sku>))> = self
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
            let raw = cost * rate_bp / 1_000_000;
            let cents = (raw + 50_000_000_000_000) / 100_000_000_000_000;
            let tax_e16 = cents * 100_000_000_000_000;
            self.tax_e16 += tax_e16;
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
            });
        }
        if rows.is_empty() {
            return vec![];
        }
        *self.rows_by_period.entry(per.label.clone()).or_default() += rows.len() as u64;
        vec![Emitted::Rows(Chunk { period, rows })]
    }
}

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

/// Simulate `days` (all of the plan's, or the ones a part needs) one after another on this
/// thread and hand every finished chunk of rows, in output order, to `sink`. `curlab
/// generate` runs the same steps on several threads; this is the reference order.
pub fn run_in_order(plan: &Plan, tags: &TagTable, mut sink: impl FnMut(Chunk)) -> TruthParts {
    let mut emitter = Emitter::new(plan);
    let mut maker = RowMaker::new(plan, tags);
    let mut skus = SkuCache::default();
    for day in plan.days() {
        simulate_day(plan, tags, day, &mut skus, |b| {
            for e in emitter.push(b) {
                sink(maker.all_rows(e));
            }
            true
        });
    }
    let (rest, parts) = emitter.finish();
    for e in rest {
        sink(maker.all_rows(e));
    }
    parts
}

/// Integer sums the truth file is built from.
#[derive(Debug, Default)]
pub struct TruthParts {
    /// Request-level sums.
    pub delta: TruthDelta,
    /// Background usage cost (1e-16 USD).
    pub background_e16: i128,
    /// Tax cost (1e-16 USD).
    pub tax_e16: i128,
    /// Rows per period label.
    pub rows_by_period: BTreeMap<String, u64>,
}

fn pico_to_usd(v: u128) -> f64 {
    e16_to_usd(v as i128 * 10_000)
}

/// Build the truth file.
pub fn build_truth(plan: &Plan, tags: &TagTable, parts: &TruthParts) -> Truth {
    let mut by_principal = BTreeMap::new();
    for (c, v) in &parts.delta.by_caller {
        let arn = plan.callers[*c as usize].arn.to_string();
        *by_principal.entry(arn).or_insert(0u128) += *v;
    }
    let mut by_tag: BTreeMap<String, BTreeMap<String, u128>> = BTreeMap::new();
    for (set, v) in &parts.delta.by_tagset {
        for (k, val) in tags.set(*set).iter() {
            *by_tag
                .entry(k.clone())
                .or_default()
                .entry(val.clone())
                .or_default() += *v;
        }
    }
    let called: std::collections::BTreeSet<u32> = parts.delta.by_caller.keys().copied().collect();
    let mut principals: Vec<truth::TruthPrincipal> = called
        .iter()
        .map(|c| {
            let c = &plan.callers[*c as usize];
            truth::TruthPrincipal {
                arn: c.arn.to_string(),
                identity: c.identity.as_str().into(),
                pattern: c.pattern.as_str().into(),
                account: plan.accounts[c.account].id.clone(),
                tags: c.tags.iter().cloned().collect(),
                session_tag_keys: c.session_keys.clone(),
                gateway: c.gateway.map(|g| plan.gateways[g].name.clone()),
            }
        })
        .collect();
    principals.sort_by(|a, b| a.arn.cmp(&b.arn));
    principals.dedup_by(|a, b| a.arn == b.arn);
    Truth {
        curlab_truth_version: truth::TRUTH_VERSION,
        scenario: plan.name.clone(),
        seed: plan.seed,
        export: truth::TruthExport {
            name: plan.export.name.clone(),
            time_granularity: plan.export.granularity.as_str().into(),
            format: plan.export.format.as_str().into(),
            billing_periods: plan
                .export
                .periods
                .iter()
                .map(|p| p.label.clone())
                .collect(),
            include_iam_principal_data: plan.export.table.include_iam_principal_data,
            iam_principal_data_from: plan
                .export
                .principal_from
                .map(|t| rfc3339(t)[..10].to_string()),
            include_resources: plan.export.table.include_resources,
        },
        rows: parts.rows_by_period.values().sum(),
        rows_by_period: parts.rows_by_period.clone(),
        bedrock_cost_total: pico_to_usd(parts.delta.bedrock),
        background_cost_total: e16_to_usd(parts.background_e16),
        tax_cost_total: e16_to_usd(parts.tax_e16),
        unattributed_bedrock_cost: pico_to_usd(parts.delta.unattributed),
        by_principal: by_principal
            .into_iter()
            .map(|(k, v)| (k, pico_to_usd(v)))
            .collect(),
        by_tag: by_tag
            .into_iter()
            .map(|(k, m)| (k, m.into_iter().map(|(v, c)| (v, pico_to_usd(c))).collect()))
            .collect(),
        activation: plan
            .activations
            .iter()
            .map(|a| truth::Activation {
                key: a.full_key(),
                activated_at: rfc3339(a.activated),
                effective_from: rfc3339(a.effective),
                backfill_from: a.backfill.map(|b| rfc3339(b)[..10].to_string()),
            })
            .collect(),
        principals,
        gateways: plan
            .gateways
            .iter()
            .map(|g| truth::TruthGateway {
                name: g.name.clone(),
                account: plan.accounts[g.account].id.clone(),
                per_user_sessions: g.per_user_sessions,
                invocation_role_arn: g.invocation_role_arn.clone(),
                execution_role_arn: g.execution_role_arn.clone(),
                expected_principals: g.expected_principals,
            })
            .collect(),
        faults: Vec::new(),
        as_of: plan.export.as_of.as_ref().map(|a| truth::TruthAsOf {
            date: a.date.format("%Y-%m-%d").to_string(),
            months_shifted: a.months,
            data_until: rfc3339(a.data_until),
            data_delay_hours: crate::asof::DATA_DELAY_HOURS as u32,
            open_billing_period: plan
                .export
                .periods
                .last()
                .map(|p| p.label.clone())
                .unwrap_or_default(),
        }),
    }
}
