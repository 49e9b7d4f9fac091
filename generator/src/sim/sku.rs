//! SKUs by aggregation key, and a Bedrock row's usage amount.

use std::sync::Arc;

use curlab_vocab::bedrock::{self, UsageKey};

use crate::background;
use crate::keys::{BackgroundKey, BedrockKey, FxMap};
use crate::plan::Plan;
use crate::rows::{bedrock_sku, Sku};

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
    pub(super) fn bedrock(&mut self, plan: &Plan, k: &BedrockKey) -> &(Arc<Sku>, u32) {
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
    pub(super) fn background(&mut self, plan: &Plan, k: &BackgroundKey) -> &(Arc<Sku>, u32) {
        let codes = &mut self.codes;
        self.background.entry((k.entry, k.line)).or_insert_with(|| {
            let sku = background::sku(&plan.background[k.entry as usize], k.line);
            let n = Self::code(codes, &sku);
            (Arc::new(sku), n)
        })
    }
}

/// Usage (1e-6 units) of a Bedrock row with `tokens` tokens.
pub(super) fn bedrock_amount_e6(plan: &Plan, k: &BedrockKey, tokens: u64) -> i64 {
    let model = &plan.models[k.model as usize];
    tokens as i64 * (1_000_000 / model.billing.tokens_per_unit() as i64).max(1)
}

/// The separate discount rows of Bedrock rows, when `[discounts]` writes them: one per
/// discounted line of usage (bucket, account, model, region, usage type, operation — the
/// usage row's attributes without principal, tags or profile, which discount rows do not
/// carry) and program with a non-zero discount, EDP first. `bedrock` is sorted by key, so the
/// keys of one line are adjacent.
pub(super) fn discount_rows(
    plan: &Plan,
    bedrock: &[(BedrockKey, u64)],
) -> Vec<(std::ops::Range<u32>, u8)> {
    if !plan.discounts.representation.is_some_and(|r| r.rows()) {
        return Vec::new();
    }
    let line = |k: &BedrockKey| (k.bucket, k.account, k.model, k.region, k.usage, k.streaming);
    let mut out = Vec::new();
    let mut lo = 0;
    while lo < bedrock.len() {
        let l = line(&bedrock[lo].0);
        let hi = lo + bedrock[lo..].partition_point(|(k, _)| line(k) == l);
        let bp = plan.discounts.of(bedrock[lo].0.model as usize);
        if bedrock[lo..hi].iter().any(|(_, t)| *t > 0) {
            for (p, b) in bp.iter().enumerate() {
                if *b > 0 {
                    out.push((lo as u32..hi as u32, p as u8));
                }
            }
        }
        lo = hi;
    }
    out
}
