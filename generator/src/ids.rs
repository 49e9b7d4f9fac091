//! `identity_line_item_id`: one id per line item, the same in every time interval of it.
//!
//! In real CUR 2.0 (and legacy CUR) exports the id names a line item, not a row: it repeats for
//! every `identity_time_interval` of that line item in the billing period, and the pair
//! (id, interval) is unique. Real ids are 52 lowercase RFC 4648 base32 characters whose last
//! character is always `a` or `q`, i.e. a 256-bit digest. curlab writes the same shape: two
//! seeded XXH3-128 hashes of what identifies the line item (the seed, the payer, the billing
//! period, the usage account and the aggregation key without its time bucket), base32-encoded.
//!
//! The hash input is a few fixed-size integers per row (plan indices, which are deterministic
//! for a scenario and seed), so an id costs two short hashes and no formatting, and it does not
//! depend on the row's position: every thread and every part of a sharded export computes the
//! same id for the same line item.

use twox_hash::{XxHash3_128, XxHash3_64};

use crate::keys::{BackgroundKey, BedrockKey};
use crate::plan::Plan;
use crate::time::Ts;

/// Characters in an id.
pub const LEN: usize = 52;

/// One `identity_line_item_id`: 52 lowercase base32 characters, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineItemId([u8; LEN]);

impl LineItemId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ever built from the base32 alphabet (ASCII).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for LineItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for LineItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::ops::Deref for LineItemId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// Base32-encode 256 bits (RFC 4648 alphabet, lowercase, no padding): 51 full groups of five
/// bits and a last group holding the final bit, so the last character is `a` or `q`.
fn encode(hi: u128, lo: u128) -> LineItemId {
    const A: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = [0u8; LEN];
    for (i, c) in out.iter_mut().enumerate() {
        let bit = i * 5; // first bit of this group, counted from the most significant
        let group = if bit + 5 <= 128 {
            (hi >> (123 - bit)) as usize
        } else if bit >= 128 && bit + 5 <= 256 {
            (lo >> (251 - bit)) as usize
        } else if bit < 128 {
            // Straddles the two halves.
            let from_hi = 128 - bit;
            (((hi << (5 - from_hi)) as usize) | (lo >> (128 - (5 - from_hi))) as usize) & 31
        } else {
            // The last group: one bit, then zero padding.
            ((lo << 4) as usize) & 31
        };
        *c = A[group & 31];
    }
    LineItemId(out)
}

/// A fixed-size hash input.
struct Input {
    buf: [u8; 40],
    len: usize,
}

impl Input {
    fn new(kind: u8, period_start: Ts, account: usize) -> Self {
        let mut i = Input {
            buf: [0; 40],
            len: 0,
        };
        i.put(&[kind]);
        i.put(&period_start.to_le_bytes());
        i.put(&(account as u32).to_le_bytes());
        i
    }

    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

const BEDROCK: u8 = 1;
const DISCOUNT: u8 = 10;
const ADJUSTMENT: u8 = 11;
const BACKGROUND: u8 = 2;
const TAX: u8 = 3;

/// Computes line item ids for one plan.
#[derive(Debug, Clone, Copy)]
pub struct LineItemIds {
    seeds: [u64; 2],
}

impl LineItemIds {
    /// Ids for `plan`: they depend on its seed and payer account.
    pub fn new(plan: &Plan) -> Self {
        let base = XxHash3_64::oneshot_with_seed(plan.seed, plan.payer.id.as_bytes());
        LineItemIds {
            seeds: [base, base ^ 0x9e37_79b9_7f4a_7c15],
        }
    }

    fn id(&self, b: &[u8]) -> LineItemId {
        encode(
            XxHash3_128::oneshot_with_seed(self.seeds[0], b),
            XxHash3_128::oneshot_with_seed(self.seeds[1], b),
        )
    }

    /// A Bedrock line item: everything in its key but the time bucket.
    pub fn bedrock(&self, period_start: Ts, k: &BedrockKey) -> LineItemId {
        // Destructured in full so that a new key field cannot be left out of the id.
        let BedrockKey {
            bucket: _,
            account,
            model,
            region,
            usage,
            streaming,
            principal,
            tags,
            profile,
        } = *k;
        let curlab_vocab::bedrock::UsageKey {
            token,
            tier,
            batch,
            global,
            long_context,
        } = usage;
        let mut i = Input::new(BEDROCK, period_start, account as usize);
        i.put(&model.to_le_bytes());
        i.put(&[
            region,
            token as u8,
            tier as u8,
            u8::from(batch),
            u8::from(global),
            u8::from(streaming),
            u8::from(long_context),
        ]);
        i.put(&principal.to_le_bytes());
        i.put(&tags.to_le_bytes());
        if profile != 0 {
            // Only for calls through an application inference profile, so every other id
            // stays what it was.
            i.put(&profile.to_le_bytes());
        }
        self.id(i.bytes())
    }

    /// A discount line item (`program` 0: EDP, 1: private rate) of the usage line item
    /// `usage`.
    pub fn discount(&self, usage: &LineItemId, program: u8) -> LineItemId {
        let mut bytes = vec![DISCOUNT, program];
        bytes.extend_from_slice(usage.as_str().as_bytes());
        self.id(&bytes)
    }

    /// A credit or refund line item, the `n`th adjustment of the scenario.
    pub fn adjustment(&self, period_start: Ts, account: usize, n: usize) -> LineItemId {
        let mut i = Input::new(ADJUSTMENT, period_start, account);
        i.put(&(n as u32).to_le_bytes());
        self.id(i.bytes())
    }

    /// A background line item: its entry (service, account), resource and line, with the tag
    /// sets it carries.
    pub fn background(
        &self,
        period_start: Ts,
        account: usize,
        k: &BackgroundKey,
        tag_sets: (u32, u32),
    ) -> LineItemId {
        let BackgroundKey {
            bucket: _,
            entry,
            resource,
            line,
        } = *k;
        let mut i = Input::new(BACKGROUND, period_start, account);
        i.put(&entry.to_le_bytes());
        i.put(&resource.to_le_bytes());
        i.put(&[line]);
        i.put(&tag_sets.0.to_le_bytes());
        i.put(&tag_sets.1.to_le_bytes());
        self.id(i.bytes())
    }

    /// A tax line item: one per usage account and product code per billing period.
    pub fn tax(&self, period_start: Ts, account: usize, product_code: &str) -> LineItemId {
        let i = Input::new(TAX, period_start, account);
        // The code is the only variable-length part and comes last, so inputs stay distinct.
        let mut bytes = i.bytes().to_vec();
        bytes.extend_from_slice(product_code.as_bytes());
        self.id(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference base32 of a 32-byte big-endian value, bit by bit.
    fn slow(hi: u128, lo: u128) -> String {
        const A: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
        let mut bits = Vec::new();
        for v in [hi, lo] {
            for b in (0..128).rev() {
                bits.push(((v >> b) & 1) as usize);
            }
        }
        bits.extend([0; 4]);
        bits.chunks(5)
            .map(|c| A[c.iter().fold(0, |acc, b| acc * 2 + b)] as char)
            .collect()
    }

    #[test]
    fn base32_matches_a_bitwise_reference() {
        let cases = [
            (0u128, 0u128),
            (u128::MAX, u128::MAX),
            (1, 1),
            (1 << 127, 1 << 127),
            (
                0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
                0xdead_beef << 64 | 7,
            ),
            (u128::MAX >> 3, 0x8000_0000_0000_0000_0000_0000_0000_0001),
        ];
        for (hi, lo) in cases {
            let id = encode(hi, lo);
            assert_eq!(id.as_str(), slow(hi, lo), "{hi:x} {lo:x}");
            assert_eq!(id.len(), 52);
            assert!(id.ends_with('a') || id.ends_with('q'));
        }
        // RFC 4648 test vector, padded out: "f" = 0x66 → "my".
        let id = encode(0x66 << 120, 0);
        assert!(id.starts_with("my"), "{id}");
    }
}
