//! [`AccessPattern`]: the enum that names the access patterns.

use crate::scenario::model::IdpKind;

/// How an identity reaches Bedrock: the four scenarios of the launch blog (reference §2.5 to
/// §2.9), with federation split by identity provider. Each is built
/// by its own module under `plan/patterns/`; the name is the `pattern` of the truth file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessPattern {
    /// An IAM user's long-term keys (`[[iam_users]]`).
    IamUser,
    /// A long-term Bedrock API key: an IAM user `BedrockAPIKey-<id>` (`[[api_keys]]`).
    ApiKey,
    /// An application's role sessions (`[[roles]]` with `sessions`).
    AppRole,
    /// Okta users federated by SAML into a shared role (`[[identity_providers]]`).
    OktaSaml,
    /// Entra ID users federated by OIDC into a shared role (`[[identity_providers]]`).
    EntraOidc,
    /// IAM Identity Center users in `AWSReservedSSO_<permission set>_<hex>` roles.
    IdentityCenter,
    /// An LLM gateway's execution role, or its per-user invocation-role sessions
    /// (`[[gateways]]`).
    Gateway,
}

impl AccessPattern {
    /// Stable name, as in the truth file (`iam-user`, `api-key`, `app-role`, `okta-saml`,
    /// `entra-oidc`, `identity-center`, `gateway`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessPattern::IamUser => "iam-user",
            AccessPattern::ApiKey => "api-key",
            AccessPattern::AppRole => "app-role",
            AccessPattern::OktaSaml => IdpKind::OktaSaml.as_str(),
            AccessPattern::EntraOidc => IdpKind::EntraOidc.as_str(),
            AccessPattern::IdentityCenter => IdpKind::IdentityCenter.as_str(),
            AccessPattern::Gateway => "gateway",
        }
    }
}

impl From<IdpKind> for AccessPattern {
    fn from(k: IdpKind) -> Self {
        match k {
            IdpKind::OktaSaml => AccessPattern::OktaSaml,
            IdpKind::EntraOidc => AccessPattern::EntraOidc,
            IdpKind::IdentityCenter => AccessPattern::IdentityCenter,
        }
    }
}
