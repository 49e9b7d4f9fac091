//! The scenario file format: what a user writes in TOML. Documented in `docs/scenarios.md`.
//!
//! Every table denies unknown keys, so a typo is an error with a line number, not a silently
//! ignored setting. Semantic checks happen when the plan is resolved (`crate::plan`).
//!
//! One module per section of the scenario file; every type is re-exported here.

mod assumptions;
mod background;
mod bill;
mod common;
mod export;
mod identities;
mod models;
mod organization;
mod tags;
mod tax;
mod workloads;

use serde::Deserialize;

pub use assumptions::*;
pub use background::*;
pub use bill::*;
pub use common::TagMap;
pub use export::*;
pub use identities::*;
pub use models::*;
pub use organization::*;
pub use tags::*;
pub use tax::*;
pub use workloads::*;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name, description and default seed.
    pub scenario: Meta,
    /// The Data Exports configuration.
    pub export: ExportSpec,
    /// Payer and linked accounts.
    pub organization: Organization,
    /// Choices for facts AWS leaves open (reference §9).
    #[serde(default)]
    pub assumptions: Assumptions,
    /// Scenario 1: IAM users.
    #[serde(default)]
    pub iam_users: Vec<IamUserSpec>,
    /// Scenario 1: long-term Bedrock API keys (IAM users named `BedrockAPIKey-xxxx`).
    #[serde(default)]
    pub api_keys: Vec<ApiKeySpec>,
    /// Scenario 2 (and the roles used by 3 and 4): IAM roles.
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
    /// Scenario 3: Okta (SAML), Entra ID (OIDC), IAM Identity Center.
    #[serde(default)]
    pub identity_providers: Vec<IdpSpec>,
    /// Scenario 4: LLM gateways.
    #[serde(default)]
    pub gateways: Vec<GatewaySpec>,
    /// Cost allocation tag activations.
    #[serde(default)]
    pub cost_allocation_tags: Vec<TagActivationSpec>,
    /// Statistical workloads.
    #[serde(default)]
    pub workloads: Vec<WorkloadSpec>,
    /// Explicit requests, for exact rows.
    #[serde(default)]
    pub requests: Vec<RequestSpec>,
    /// Price catalogue overrides and additions.
    #[serde(default)]
    pub models: Vec<ModelSpec>,
    /// Non-Bedrock spend.
    #[serde(default)]
    pub background: Vec<BackgroundSpec>,
    /// Tax rows.
    #[serde(default)]
    pub tax: Option<TaxSpec>,
    /// EDP and private-rate discounts (absent: no discount program, null net columns).
    #[serde(default)]
    pub discounts: Option<DiscountsSpec>,
    /// Credit and refund rows.
    #[serde(default)]
    pub adjustments: Vec<AdjustmentSpec>,
    /// Application inference profiles.
    #[serde(default)]
    pub inference_profiles: Vec<InferenceProfileSpec>,
}

/// `[scenario]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name, also the default export name.
    pub name: String,
    /// One line for `curlab scenarios`.
    #[serde(default)]
    pub description: String,
    /// Seed used when `--seed` is not given.
    #[serde(default = "one")]
    pub seed: u64,
}

fn one() -> u64 {
    1
}
