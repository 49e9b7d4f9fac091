//! `[[models]]`: price catalogue overrides and additions.

use curlab_vocab::bedrock::{BillingForm, ServiceTier};
use serde::Deserialize;

/// `[[models]]`: adds a model or overrides fields of a built-in one (same `id`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Catalogue id, e.g. `claude-sonnet-4.6`.
    pub id: String,
    /// `aws` (form A) or `marketplace` (form B).
    #[serde(default)]
    pub billing: Option<BillingForm>,
    /// Model token in form-A usage types, e.g. `Claude4.6Sonnet`.
    #[serde(default)]
    pub usage_name: Option<String>,
    /// Display name, e.g. `Claude Sonnet 4.6`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Provider, e.g. `Anthropic`.
    #[serde(default)]
    pub provider: Option<String>,
    /// Bedrock model id, e.g. `anthropic.claude-sonnet-4-6`.
    #[serde(default)]
    pub model_id: Option<String>,
    /// Marketplace product code (form B).
    #[serde(default)]
    pub product_code: Option<String>,
    /// USD per 1M input tokens (global / base price).
    #[serde(default)]
    pub input: Option<f64>,
    /// USD per 1M output tokens.
    #[serde(default)]
    pub output: Option<f64>,
    /// USD per 1M cache-read tokens.
    #[serde(default)]
    pub cache_read: Option<f64>,
    /// USD per 1M cache-write tokens (5 min).
    #[serde(default)]
    pub cache_write: Option<f64>,
    /// USD per 1M cache-write tokens (1 h).
    #[serde(default)]
    pub cache_write_1h: Option<f64>,
    /// Multiplier for regional (non-global) calls, 1.1 for Claude 4.5 and later.
    #[serde(default)]
    pub regional_premium: Option<f64>,
    /// Service tiers the model is sold in: `standard`, `priority`, `flex`.
    #[serde(default)]
    pub service_tiers: Option<Vec<ServiceTier>>,
    /// Whether requests above 200K input tokens pay the long-context rates.
    #[serde(default)]
    pub long_context: Option<bool>,
    /// Marketplace usage-type spelling: `camel` (`InputTokenCount`) or `snake`
    /// (`input_tokens_standard`). Only with `billing = "marketplace"`.
    #[serde(default)]
    pub marketplace_spelling: Option<MarketplaceSpelling>,
}

/// See [`ModelSpec::marketplace_spelling`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarketplaceSpelling {
    /// `USE1-MP:USE1_InputTokenCount-Units` (and `_Global`, `_Batch`).
    Camel,
    /// `USE1-MP:USE1_input_tokens_standard-Units` (and `_global_standard`).
    Snake,
}
