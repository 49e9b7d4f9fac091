//! `[[workloads]]` (statistical traffic) and `[[requests]]` (explicit requests).

use curlab_vocab::bedrock::ServiceTier;
use serde::Deserialize;

use super::common::us_east_1;

/// A token-count distribution: log-normal with this mean and coefficient of variation.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenDist {
    /// Mean tokens per request.
    pub mean: f64,
    /// Standard deviation / mean.
    #[serde(default = "default_cv")]
    pub cv: f64,
}

fn default_cv() -> f64 {
    0.6
}

/// Hour-of-day shape of a workload.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HourShape {
    /// `business`, `flat` or `nightly`.
    Named(String),
    /// 24 weights, hour 0 to 23 UTC.
    Weights(Vec<f64>),
}

/// `[[workloads]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Selectors: `user:<name>`, `api-key:<id>`, `role:<name>`, `idp:<name>`,
    /// `gateway:<name>`, optionally `<account>/` in front.
    pub principals: Vec<String>,
    /// Catalogue model id, e.g. `claude-sonnet-4.6`.
    pub model: String,
    /// Region the requests are sent to.
    #[serde(default = "us_east_1")]
    pub region: String,
    /// Mean requests per principal per (weekday-weighted) day.
    pub requests_per_day: f64,
    /// Input tokens per request (before caching).
    pub input_tokens: TokenDist,
    /// Output tokens per request.
    pub output_tokens: TokenDist,
    /// Share of prompt tokens read from the prompt cache.
    #[serde(default)]
    pub cache_read_share: f64,
    /// Share of prompt tokens written to the cache (5-minute TTL).
    #[serde(default)]
    pub cache_write_share: f64,
    /// Share of prompt tokens written to the cache (1-hour TTL).
    #[serde(default)]
    pub cache_write_1h_share: f64,
    /// Share of requests that stream.
    #[serde(default)]
    pub streaming_share: f64,
    /// Share of requests sent as batch inference (50 % price).
    #[serde(default)]
    pub batch_share: f64,
    /// `standard`, `priority` or `flex`.
    #[serde(default = "standard_tier")]
    pub service_tier: ServiceTier,
    /// Share of requests through the global cross-region profile.
    #[serde(default)]
    pub global_share: f64,
    /// Weights Monday..Sunday.
    #[serde(default = "default_weekdays")]
    pub weekday_shape: Vec<f64>,
    /// Hour-of-day shape.
    #[serde(default = "business")]
    pub hour_shape: HourShape,
    /// First day (`YYYY-MM-DD`) the workload runs.
    #[serde(default)]
    pub start: Option<String>,
    /// Last day (`YYYY-MM-DD`, inclusive) the workload runs.
    #[serde(default)]
    pub end: Option<String>,
    /// Name of an `[[inference_profiles]]` entry the requests go through: the rows name the
    /// profile's ARN and carry its tags.
    #[serde(default)]
    pub inference_profile: Option<String>,
}

fn standard_tier() -> ServiceTier {
    ServiceTier::Standard
}
fn default_weekdays() -> Vec<f64> {
    vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.25]
}
fn business() -> HourShape {
    HourShape::Named("business".into())
}

/// `[[requests]]`: one explicit request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// RFC 3339 time, e.g. `2026-04-20T10:15:00Z`.
    pub time: String,
    /// A selector naming exactly one principal: `user:alice`, `api-key:234s`,
    /// `role:Role-1/session-123`, `idp:okta/user-1@acme.org`, `gateway:gw/gw-user-1`.
    pub principal: String,
    /// Catalogue model id.
    pub model: String,
    /// Region.
    #[serde(default = "us_east_1")]
    pub region: String,
    /// Input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Cache-read tokens.
    #[serde(default)]
    pub cache_read_tokens: u64,
    /// Cache-write tokens (5 min).
    #[serde(default)]
    pub cache_write_tokens: u64,
    /// Cache-write tokens (1 h).
    #[serde(default)]
    pub cache_write_1h_tokens: u64,
    /// Streaming call.
    #[serde(default)]
    pub streaming: bool,
    /// Batch inference.
    #[serde(default)]
    pub batch: bool,
    /// Global cross-region profile.
    #[serde(default)]
    pub global: bool,
    /// Service tier.
    #[serde(default = "standard_tier")]
    pub service_tier: ServiceTier,
}
