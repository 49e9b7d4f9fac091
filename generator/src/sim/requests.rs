//! Requests: each stream's draws for a group of hours (the random distributions, which caller,
//! when, how many tokens, which usage type), and recording a request into the day's
//! aggregated keys and truth.

use curlab_vocab::bedrock::{self, ServiceTier, TokenType, UsageKey};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::blocks::{DayOutput, Sums};
use super::tag_table::TagTable;
use crate::keys::{bucket_of, BedrockKey, NO_PRINCIPAL};
use crate::plan::Plan;
use crate::scenario::model::BatchPrincipal;
use crate::seed::{self, Daily};
use crate::time::Ts;

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

/// One Bedrock request, drawn from a stream or given explicitly in the scenario.
pub(super) struct Request {
    /// When it was sent.
    pub(super) ts: Ts,
    /// Caller index.
    pub(super) caller: usize,
    /// Model index.
    pub(super) model: usize,
    /// Region index ([`bedrock::REGION_CODES`]).
    pub(super) region: u8,
    /// Tokens per token type, in [`TokenType::ALL`] order.
    pub(super) tokens: [u64; 5],
    /// Sent with the streaming operation.
    pub(super) streaming: bool,
    /// Usage key per token type.
    pub(super) usage: [UsageKey; 5],
    /// Application inference profile (index + 1; 0 for none).
    pub(super) profile: u16,
}

/// The index of a region code in [`bedrock::REGION_CODES`] (0 when unknown).
pub(super) fn region_index(code: &str) -> u8 {
    bedrock::REGION_CODES
        .iter()
        .position(|(_, c)| *c == code)
        .unwrap_or(0) as u8
}

/// Add a request to the day's aggregated keys and truth.
pub(super) fn record(plan: &Plan, tags: &TagTable, out: &mut DayOutput, r: &Request) {
    let bucket = bucket_of(plan, r.ts);
    let caller = &plan.callers[r.caller];
    let model = &plan.models[r.model];
    let principal_on = plan
        .export
        .principal_from
        .is_some_and(|from| bucket >= from);
    let tagset = tags.caller_set(r.caller, bucket);
    let (row_tags, _) = tags.with_profile(tagset, r.profile, bucket);
    let bp = plan.discounts.of(r.model);
    let bp = u128::from(bp[0] + bp[1]);
    let marketplace = model.billing == bedrock::BillingForm::Marketplace;
    out.truth.requests += 1;
    for (i, &n) in r.tokens.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let key = r.usage[i];
        // A batch row without a principal (`batch_principal = "none"`: the job runs as
        // Bedrock's service role) carries none of the caller's `iamPrincipal/` tags either:
        // those tags come with the principal (docs/scenarios.md, assumptions).
        let no_batch_principal =
            key.batch && plan.assumptions.batch_principal == BatchPrincipal::None;
        let with_principal = principal_on && !no_batch_principal;
        let (tagset, row_tags) = if no_batch_principal {
            (0, tags.with_profile(0, r.profile, bucket).0)
        } else {
            (tagset, row_tags)
        };
        let price = u128::from(model.price(key).unwrap_or(0));
        let cost = u128::from(n) * price;
        // Discount in 1e-16 USD: cost × 1e4 × bp / 1e4, exact (see `DiscountPlan::amount`).
        let sums = Sums {
            gross: cost,
            discount: cost * bp,
            marketplace: if marketplace { cost } else { 0 },
        };
        out.truth.bedrock += cost;
        out.truth.all.add(sums);
        // Per caller: summed from the keys by the emitter (`CallerSums`).
        if !with_principal {
            out.truth.unattributed += cost;
            out.truth.unattributed_sums.add(sums);
        }
        if tagset != 0 {
            out.truth.by_tagset.entry(tagset).or_default().add(sums);
        }
        if r.profile != 0 {
            out.truth.by_profile.entry(r.profile).or_default().add(sums);
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
            tags: row_tags,
            profile: r.profile,
        };
        *out.bedrock.entry(k).or_default() += n;
    }
}

/// The usage keys of a request's five token types. Long context is decided per request from
/// its input tokens (input + cache reads + cache writes), and then applies to all of them.
pub(super) fn usage_keys(
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
/// running each stream's whole day at once. 24 bytes: a day holds one per stream (240k at
/// `enterprise --scale 100`); its callers are read from the plan's requester, and its day
/// rate and region from the workload, each hour (the same arithmetic, so the same values).
pub(super) struct StreamDay {
    /// Words of the stream's random sequence used so far.
    pos: u64,
    total_w: f64,
    /// Stream index.
    si: u32,
    /// Callers of the requester active on the day (low 31 bits), and in the top bit: some of
    /// the requester's callers exist on another day only (per-job sessions), leave them out.
    active: u32,
}

/// The top bit of [`StreamDay::active`].
const FILTERED: u32 = 1 << 31;

/// A workload's expected requests on `day` from callers of total weight `total_w`.
fn lambda_of_day(w: &crate::plan::Workload, day: i64, total_w: f64) -> f64 {
    let weekday = ((day + 3).rem_euclid(7)) as usize; // 1970-01-01 was a Thursday
    w.requests_per_day * w.weekday[weekday] * total_w.min(1.0)
}

impl StreamDay {
    /// Draw this stream's requests of `hours` into `out`.
    pub(super) fn hours(
        &mut self,
        plan: &Plan,
        tags: &TagTable,
        day: i64,
        hours: std::ops::Range<usize>,
        out: &mut DayOutput,
    ) {
        let w = &plan.workloads[plan.streams[self.si as usize].workload()];
        let lambda_day = lambda_of_day(w, day, self.total_w);
        if hours.clone().all(|h| lambda_day * w.hours[h] <= 0.0) {
            return; // no draws at all (see `poisson`)
        }
        let mut rng = seed::daily(plan.seed, Daily::Requests, u64::from(self.si), day);
        if self.pos > 0 {
            rng.set_word_pos(u128::from(self.pos));
        }
        let all = &plan.requesters[plan.streams[self.si as usize].requester()].callers;
        let filtered = self.active & FILTERED != 0;
        let n_active = self.active & !FILTERED;
        // Looked up at the first request: most stream-hours of a large population have none.
        let mut region = None;
        let active = move |(c, _): &&(usize, f64)| !filtered || plan.callers[*c].exists_on(day);
        for h in hours {
            let n = poisson(&mut rng, lambda_day * w.hours[h]);
            for _ in 0..n {
                let caller = if n_active == 1 {
                    all.iter().find(active).map_or(0, |(c, _)| *c)
                } else {
                    // The last active caller unless the draw lands before it.
                    let mut x = rng.random::<f64>() * self.total_w;
                    let mut pick = None;
                    let mut last = 0;
                    for (c, cw) in all.iter().filter(active) {
                        last = *c;
                        if x < *cw {
                            pick = Some(*c);
                            break;
                        }
                        x -= cw;
                    }
                    pick.unwrap_or(last)
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
                    region: *region.get_or_insert_with(|| region_index(w.region_code)),
                    tokens,
                    streaming: streaming && !batch,
                    usage: usage_keys(&plan.models[w.model], &tokens, w.tier, batch, global),
                    profile: w.profile,
                };
                record(plan, tags, out, &req);
            }
        }
        // A day's draws are far fewer than 2^64 words.
        self.pos = u64::try_from(rng.get_word_pos()).unwrap_or(u64::MAX);
    }
}

/// The streams that send requests on `day`.
pub(super) fn streams_of_day(plan: &Plan, day: i64) -> Vec<StreamDay> {
    let mut out = Vec::with_capacity(plan.streams.len());
    for (si, s) in plan.streams.iter().enumerate() {
        let w = &plan.workloads[s.workload()];
        if day < w.days.0 || day > w.days.1 {
            continue;
        }
        let all = &plan.requesters[s.requester()].callers;
        let active = |c: &usize| plan.callers[*c].exists_on(day);
        let filtered = !all.iter().all(|(c, _)| active(c));
        let callers = || all.iter().filter(|(c, _)| active(c));
        let n = callers().count();
        if n == 0 {
            continue;
        }
        let total_w: f64 = callers().map(|(_, w)| w).sum();
        if lambda_of_day(w, day, total_w) <= 0.0 {
            continue;
        }
        out.push(StreamDay {
            pos: 0,
            total_w,
            si: si as u32,
            // Only `== 1` is asked of the count: a larger one may saturate.
            active: n.min(FILTERED as usize - 1) as u32 | if filtered { FILTERED } else { 0 },
        });
    }
    out
}
