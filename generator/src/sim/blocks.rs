//! What passes between the stages: a day's aggregated keys and truth, the blocks the day
//! simulation hands to the emitter, and what the emitter hands to the row makers.

use std::sync::Arc;

use crate::keys::{BackgroundKey, BedrockKey, FxMap};
use crate::rows::{Row, Sku};
use crate::time::Ts;
use curlab_vocab::Money;

/// Gross, discount and Marketplace part of a group of requests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sums {
    /// Gross cost in pico-dollars.
    pub gross: u128,
    /// Discount (EDP + private rate) in 1e-16 USD, as a magnitude (the rows write it ≤ 0).
    pub discount: u128,
    /// The part of `gross` billed by AWS Marketplace, in pico-dollars.
    pub marketplace: u128,
}

impl Sums {
    pub(super) fn add(&mut self, o: Sums) {
        self.gross += o.gross;
        self.discount += o.discount;
        self.marketplace += o.marketplace;
    }
}

/// Sums per caller index of the requests that carry the principal, in one dense vector (a
/// hash map of 200k callers held 16 MiB at `enterprise --scale 100`, and one per day in
/// flight besides). Summed by the [`Emitter`](super::Emitter) from the rows' keys: a key
/// carries its caller, model and usage type, so tokens × price is exactly the sum of its
/// requests' costs.
///
/// 24 bytes a caller: the three sums as `u64` (a caller's gross reaches 2^64 pico-dollars only
/// past $18M, its discount in 1e-16 USD past ~$12k at a 15 % discount), and a caller whose sum
/// would overflow moves, exactly, to a map of `u128` sums (`spilled`); half of the 48 bytes
/// of three `u128` (10 MiB at `--scale 100`).
#[derive(Debug, Default, Clone)]
pub struct CallerSums {
    sums: Vec<[u64; 3]>,
    /// One bit per caller: it made a request that carries its principal (its sums may be 0).
    called: Vec<u64>,
    /// Callers whose sums no longer fit `u64` (their entry in `sums` is unused).
    spilled: FxMap<u32, Sums>,
}

impl CallerSums {
    /// Sums for `callers` callers, none called yet.
    pub(super) fn new(callers: usize) -> Self {
        CallerSums {
            sums: vec![[0; 3]; callers],
            called: vec![0; callers.div_ceil(64)],
            spilled: FxMap::default(),
        }
    }

    /// Add `s` to caller `c`.
    pub(super) fn add(&mut self, c: u32, s: Sums) {
        let i = c as usize;
        if i >= self.sums.len() {
            self.sums.resize(i + 1, [0; 3]);
            self.called.resize(i / 64 + 1, 0);
        }
        self.called[i / 64] |= 1 << (i % 64);
        if let Some(big) = self.spilled.get_mut(&c) {
            big.add(s);
            return;
        }
        let old = self.sums[i];
        let sum = |a: u64, b: u128| u64::try_from(b).ok().and_then(|b| a.checked_add(b));
        match (
            sum(old[0], s.gross),
            sum(old[1], s.discount),
            sum(old[2], s.marketplace),
        ) {
            (Some(g), Some(d), Some(m)) => self.sums[i] = [g, d, m],
            _ => {
                let mut big = widen(old);
                big.add(s);
                self.spilled.insert(c, big);
                self.sums[i] = [0; 3];
            }
        }
    }

    /// The sums of caller `c`, if it made a request that carries its principal.
    pub fn get(&self, c: usize) -> Option<Sums> {
        let bit = self
            .called
            .get(c / 64)
            .is_some_and(|w| w & (1 << (c % 64)) != 0);
        if !bit {
            return None;
        }
        let big = u32::try_from(c).ok().and_then(|k| self.spilled.get(&k));
        Some(big.copied().unwrap_or_else(|| widen(self.sums[c])))
    }

    /// The callers that made a request carrying their principal, in index order.
    pub fn called(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.sums.len()).filter(|c| self.get(*c).is_some())
    }
}

/// `u64` sums as [`Sums`].
fn widen(s: [u64; 3]) -> Sums {
    Sums {
        gross: u128::from(s[0]),
        discount: u128::from(s[1]),
        marketplace: u128::from(s[2]),
    }
}

/// Cost in pico-dollars of each token type of a request, summed into the truth.
#[derive(Debug, Default, Clone)]
pub struct TruthDelta {
    /// Per tag set (the caller's `iamPrincipal/` set).
    pub by_tagset: FxMap<u32, Sums>,
    /// Per application inference profile index.
    pub by_profile: FxMap<u16, Sums>,
    /// Every Bedrock request.
    pub all: Sums,
    /// Bedrock requests without a principal.
    pub unattributed_sums: Sums,
    /// Bedrock cost without a principal.
    pub unattributed: u128,
    /// All Bedrock cost.
    pub bedrock: u128,
    /// Requests simulated.
    pub requests: u64,
}

impl TruthDelta {
    pub(super) fn merge(&mut self, o: TruthDelta) {
        for (k, v) in o.by_tagset {
            self.by_tagset.entry(k).or_default().add(v);
        }
        for (k, v) in o.by_profile {
            self.by_profile.entry(k).or_default().add(v);
        }
        self.all.add(o.all);
        self.unattributed_sums.add(o.unattributed_sums);
        self.unattributed += o.unattributed;
        self.bedrock += o.bedrock;
        self.requests += o.requests;
    }
}

/// One simulated day: token totals per Bedrock key, usage per background key, and the truth.
#[derive(Debug, Default)]
pub(super) struct DayOutput {
    /// Tokens per key.
    pub bedrock: FxMap<BedrockKey, u64>,
    /// Usage (1e-6 units) per key.
    pub background: FxMap<BackgroundKey, i64>,
    /// Truth from the requests.
    pub truth: TruthDelta,
}

/// Aggregated rows, sorted in output order, of one emit unit (a day, or a billing period for
/// monthly granularity). Rows are built from the keys only when they are written
/// ([`RowMaker`](super::RowMaker)), so a block costs ~40 bytes a row.
#[derive(Debug, Default)]
pub struct KeyBlock {
    /// Billing period index.
    pub period: usize,
    /// Emit unit start.
    pub unit: Ts,
    /// Bedrock rows (they come first), tokens per key.
    pub bedrock: Vec<(BedrockKey, u64)>,
    /// Separate discount rows (they come next), with `[discounts]` writing rows: (the range
    /// of `bedrock` keys it discounts, program 0 EDP / 1 private rate).
    pub discounts: Vec<(std::ops::Range<u32>, u8)>,
    /// Background rows, usage (1e-6 units) per key.
    pub background: Vec<(BackgroundKey, i64)>,
}

impl KeyBlock {
    /// Rows in the block.
    pub fn len(&self) -> usize {
        self.bedrock.len() + self.discounts.len() + self.background.len()
    }

    /// Whether the block has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows `range` of the block as a block of their own, and where those rows are in it.
    /// The new block holds the Bedrock keys the rows are built from (a discount row reads the
    /// keys it discounts, which may lie before `range`), the discount rows with their key
    /// ranges re-based, and the background rows; building rows `range` of `self` and the
    /// returned range of the new block gives the same rows (a row reads only its keys and the
    /// block's period). The writer cuts blocks at row-group boundaries with it, so each row
    /// group owns its keys and frees them with itself instead of keeping a block shared with
    /// its neighbours alive. `range` is clamped to the block.
    pub fn cut(&self, range: std::ops::Range<usize>) -> (KeyBlock, std::ops::Range<usize>) {
        let (nb, nd) = (self.bedrock.len(), self.discounts.len());
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        let part = |lo: usize, hi: usize| start.clamp(lo, hi) - lo..end.clamp(lo, hi) - lo;
        let b = part(0, nb);
        let d = part(nb, nb + nd);
        let g = part(nb + nd, self.len());
        // The keys needed: the Bedrock rows' own, and those their discount rows discount.
        let mut keys = (!b.is_empty()).then_some((b.start, b.end));
        for (r, _) in &self.discounts[d.clone()] {
            let (s, e) = (r.start as usize, r.end as usize);
            keys = Some(keys.map_or((s, e), |(lo, hi)| (lo.min(s), hi.max(e))));
        }
        let (lo, hi) = keys.unwrap_or((0, 0));
        let shift = lo as u32;
        let block = KeyBlock {
            period: self.period,
            unit: self.unit,
            bedrock: self.bedrock[lo..hi].to_vec(),
            discounts: self.discounts[d]
                .iter()
                .map(|(r, p)| (r.start - shift..r.end - shift, *p))
                .collect(),
            background: self.background[g].to_vec(),
        };
        // Keys before the range's first Bedrock row (read by its discount rows only) come
        // first; a range without Bedrock rows starts after all the keys.
        let at = if b.is_empty() { hi - lo } else { b.start - lo };
        (block, at..at + (end - start))
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
    pub costs: Vec<(usize, Arc<Sku>, Money)>,
    /// Background cost of the rows (1e-16 USD): non-Bedrock services only.
    pub background_e16: Money,
    /// Cost of the rows' Bedrock charges that are not model calls (1e-16 USD): commitments,
    /// other (`BedrockCharge` order).
    pub charges_e16: [Money; 2],
    /// The day's request-level truth: set on the day's last block, and only there.
    pub truth: Option<TruthDelta>,
}

/// A batch of finished rows for one billing period, in output order.
#[derive(Debug)]
pub struct Chunk {
    /// Billing period index.
    pub period: usize,
    /// Rows.
    pub rows: Vec<Row>,
}

/// What the [`Emitter`](super::Emitter) hands on, in output order.
#[derive(Debug)]
pub enum Emitted {
    /// Rows still as keys: build them with a [`RowMaker`](super::RowMaker) (on any thread).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(gross: u128, discount: u128, marketplace: u128) -> Sums {
        Sums {
            gross,
            discount,
            marketplace,
        }
    }

    #[test]
    fn caller_sums_stay_exact_past_u64() {
        let mut c = CallerSums::new(3);
        let near = u128::from(u64::MAX) - 5;
        c.add(0, sums(near, 1, 0));
        c.add(2, sums(7, 8, 9));
        // Caller 0's gross overflows u64: it moves to the exact map, and keeps adding there.
        c.add(0, sums(10, 2, 3));
        c.add(0, sums(u128::from(u64::MAX) * 4, 0, 1));
        // A single sum above u64 spills at once; callers beyond `new`'s count grow the vectors.
        c.add(70, sums(0, u128::from(u64::MAX) + 1, 0));
        assert_eq!(
            c.get(0),
            Some(sums(near + 10 + u128::from(u64::MAX) * 4, 3, 4))
        );
        assert_eq!(c.get(1), None);
        assert_eq!(c.get(2), Some(sums(7, 8, 9)));
        assert_eq!(c.get(70), Some(sums(0, u128::from(u64::MAX) + 1, 0)));
        assert_eq!(c.get(1000), None);
        assert_eq!(c.called().collect::<Vec<_>>(), vec![0, 2, 70]);
    }

    /// What row `i` of `b` is built from: its key and amount, or a discount's keys.
    fn source(b: &KeyBlock, i: usize) -> String {
        let (nb, nd) = (b.bedrock.len(), b.discounts.len());
        if i < nb {
            format!("usage {:?}", b.bedrock[i])
        } else if i < nb + nd {
            let (r, p) = b.discounts[i - nb].clone();
            let keys = &b.bedrock[r.start as usize..r.end as usize];
            format!("discount {p} of {keys:?}")
        } else {
            format!("background {:?}", b.background[i - nb - nd])
        }
    }

    fn block(lines: &[(u32, u32)], programs: u8, background: u32) -> KeyBlock {
        use curlab_vocab::bedrock::{ServiceTier, TokenType, UsageKey};
        let usage = UsageKey {
            token: TokenType::ALL[0],
            tier: ServiceTier::Standard,
            batch: false,
            global: false,
            long_context: false,
        };
        let mut bedrock = vec![];
        let mut discounts = vec![];
        // Each line: its account and how many principals' keys it has.
        for &(account, principals) in lines {
            let lo = bedrock.len() as u32;
            for principal in 0..principals {
                let k = BedrockKey {
                    bucket: 3600,
                    account,
                    model: 1,
                    region: 0,
                    usage,
                    streaming: false,
                    principal,
                    tags: 0,
                    profile: 0,
                };
                bedrock.push((k, u64::from(account * 100 + principal)));
            }
            for p in 0..programs {
                discounts.push((lo..bedrock.len() as u32, p));
            }
        }
        let background = (0..background)
            .map(|r| {
                let k = BackgroundKey {
                    bucket: 3600,
                    entry: 2,
                    resource: r,
                    line: 0,
                };
                (k, i64::from(r))
            })
            .collect();
        KeyBlock {
            period: 3,
            unit: 7200,
            bedrock,
            discounts,
            background,
        }
    }

    #[test]
    fn a_cut_block_builds_the_same_rows() {
        let blocks = [
            block(&[(1, 3), (2, 1), (3, 4)], 2, 3),
            block(&[(1, 2), (2, 2)], 1, 0),
            block(&[(1, 2)], 0, 2),
            block(&[], 0, 3),
        ];
        for b in &blocks {
            let n = b.len();
            for start in 0..=n {
                for end in start..=n {
                    let (cut, r) = b.cut(start..end);
                    assert_eq!(r.len(), end - start, "{start}..{end}");
                    assert!(r.end <= cut.len(), "{start}..{end}");
                    assert_eq!((cut.period, cut.unit), (3, 7200));
                    for (i, j) in (start..end).zip(r) {
                        assert_eq!(source(b, i), source(&cut, j), "{start}..{end} row {i}");
                    }
                    // It holds only what those rows need: no background rows outside them,
                    // no Bedrock keys past the last one they read.
                    let bg =
                        (start.max(n - b.background.len())..end.max(n - b.background.len())).len();
                    assert_eq!(cut.background.len(), bg);
                }
            }
        }
        // Rows of discounts only carry the keys they discount, and nothing else.
        let b = &blocks[0];
        let (cut, r) = b.cut(10..12);
        assert_eq!(cut.bedrock.len(), 1);
        assert_eq!(cut.discounts.len(), 2);
        assert_eq!(r, 1..3);
        // A range past the end is clamped.
        let (cut, r) = b.cut(16..40);
        assert_eq!((cut.len(), r), (1, 0..1));
        let (cut, r) = b.cut(50..60);
        assert_eq!((cut.len(), r), (0, 0..0));
    }

    #[test]
    fn a_caller_with_zero_sums_is_still_called() {
        let mut c = CallerSums::new(2);
        c.add(1, Sums::default());
        assert_eq!(c.get(1), Some(Sums::default()));
        assert_eq!(c.get(0), None);
    }
}
