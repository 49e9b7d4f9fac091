//! What a CUR row is summed by: the aggregation keys of Bedrock and background rows, and the
//! time bucket a usage instant falls in. The simulation adds usage up per key, line item ids
//! hash the key ([`crate::ids`]), and rows are built from keys ([`crate::sim`]).

use curlab_vocab::bedrock::UsageKey;

use crate::plan::Plan;
use crate::time::Ts;
use curlab_vocab::Granularity;

/// A hash map with rustc's FxHash: one multiply per word, fast for the simulation's small
/// integer keys. Deterministic; nothing here depends on a map's iteration order.
pub type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// No principal on an aggregation key.
pub(crate) const NO_PRINCIPAL: u32 = u32::MAX;

/// Aggregation key of a Bedrock row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BedrockKey {
    /// Bucket start.
    pub bucket: Ts,
    /// Account index.
    pub account: u32,
    /// Model index.
    pub model: u16,
    /// Region index into `REGION_CODES`.
    pub region: u8,
    /// Usage key.
    pub usage: UsageKey,
    /// Streaming operation.
    pub streaming: bool,
    /// Caller index or [`NO_PRINCIPAL`].
    pub principal: u32,
    /// Tag set index.
    pub tags: u32,
    /// Application inference profile: index + 1 into `Plan::profiles`, 0 for none.
    pub profile: u16,
}

/// Aggregation key of a background row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BackgroundKey {
    /// Bucket start.
    pub bucket: Ts,
    /// Background entry index.
    pub entry: u32,
    /// Resource index.
    pub resource: u32,
    /// Line kind within the service (e.g. Lambda compute vs requests).
    pub line: u8,
}
/// The bucket a usage instant falls in.
pub fn bucket_of(plan: &Plan, t: Ts) -> Ts {
    match plan.export.granularity {
        Granularity::Hourly => t - t.rem_euclid(3600),
        Granularity::Daily => t - t.rem_euclid(86_400),
        Granularity::Monthly => plan
            .export
            .periods
            .iter()
            .find(|p| t >= p.start && t < p.end)
            .map_or(t, |p| p.start),
    }
}

/// End of the bucket that starts at `b`.
pub fn bucket_end(plan: &Plan, b: Ts) -> Ts {
    match plan.export.granularity {
        Granularity::Hourly => b + 3600,
        Granularity::Daily => b + 86_400,
        Granularity::Monthly => plan
            .export
            .periods
            .iter()
            .find(|p| p.start == b)
            .map_or(b + 86_400, |p| p.end),
    }
}
