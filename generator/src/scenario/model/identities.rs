//! The access patterns' sections: `[[iam_users]]`, `[[api_keys]]`, `[[roles]]`,
//! `[[identity_providers]]` (with their user populations) and `[[gateways]]`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::common::TagMap;

/// `[[iam_users]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamUserSpec {
    /// Account id or name.
    pub account: String,
    /// User name.
    pub name: String,
    /// IAM path, e.g. `/engineering/`.
    #[serde(default = "slash")]
    pub path: String,
    /// Principal tags on the user.
    #[serde(default)]
    pub tags: TagMap,
}

fn slash() -> String {
    "/".into()
}

/// `[[api_keys]]`: a long-term Bedrock API key, i.e. an IAM user `BedrockAPIKey-<id>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeySpec {
    /// Account id or name.
    pub account: String,
    /// The suffix after `BedrockAPIKey-` (the console uses 4 characters); drawn from the seed
    /// when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Tags on the key's IAM user.
    #[serde(default)]
    pub tags: TagMap,
}

/// How an application role's sessions are named.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SessionNaming {
    /// One fixed RoleSessionName.
    Fixed {
        /// The session name.
        name: String,
    },
    /// AWS Lambda: the session name is the function name.
    Lambda {
        /// Function names, one session each.
        functions: Vec<String>,
    },
    /// ECS task role: the session name is the 32-hex task id.
    Ecs {
        /// Number of tasks.
        tasks: u32,
    },
    /// EC2 instance profile: the session name is the instance id.
    Ec2 {
        /// Number of instances.
        instances: u32,
    },
    /// One session per batch job: `<prefix>-<YYYYMMDD>-<NN>`.
    Batch {
        /// Session name prefix.
        prefix: String,
        /// Jobs per day; each day's requests spread over them.
        jobs_per_day: u32,
    },
}

/// `[[roles]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// Account id or name.
    pub account: String,
    /// Role name (no path; the path never shows in assumed-role ARNs).
    pub name: String,
    /// IAM path.
    #[serde(default = "slash")]
    pub path: String,
    /// Principal tags on the role.
    #[serde(default)]
    pub tags: TagMap,
    /// Whether the trust policy allows `sts:TagSession`.
    #[serde(default)]
    pub trust_allows_tag_session: bool,
    /// Session naming when the role is used directly by an application (scenario 2).
    #[serde(default)]
    pub sessions: Option<SessionNaming>,
    /// Session tags the application passes to AssumeRole (needs `trust_allows_tag_session`).
    #[serde(default)]
    pub session_tags: TagMap,
}

/// The kind of identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdpKind {
    /// Okta via SAML: `RoleSessionName` and `PrincipalTag:*` attributes in the assertion.
    OktaSaml,
    /// Entra ID via OIDC: the app sets the session name, tags come from the token claim.
    EntraOidc,
    /// IAM Identity Center: `AWSReservedSSO_<PermissionSet>_<hex>` roles.
    IdentityCenter,
}

impl IdpKind {
    /// Stable name, as in the truth file.
    pub fn as_str(self) -> &'static str {
        match self {
            IdpKind::OktaSaml => "okta-saml",
            IdpKind::EntraOidc => "entra-oidc",
            IdpKind::IdentityCenter => "identity-center",
        }
    }
}

/// Which user attribute becomes the RoleSessionName.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionNameSource {
    /// The user's email address.
    Email,
    /// The user name.
    Username,
}

/// Form of the Entra ID tags claim. It does not change CUR; it is recorded for realism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimForm {
    /// `"https://aws.amazon.com/tags": {"principal_tags": {...}}`
    Nested,
    /// `"https://aws.amazon.com/tags/principal_tags/<Key>": "<value>"`
    Flattened,
}

/// `[[identity_providers]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpSpec {
    /// Name used in selectors (`idp:<name>`).
    pub name: String,
    /// `okta-saml`, `entra-oidc` or `identity-center`.
    pub kind: IdpKind,
    /// Account id or name where the shared role lives.
    pub account: String,
    /// The shared role users assume (defined in `[[roles]]`, or created here with no tags).
    /// For Identity Center, the role is `AWSReservedSSO_<permission_set>_<hex>`.
    #[serde(default)]
    pub role: Option<String>,
    /// Identity Center permission set name.
    #[serde(default)]
    pub permission_set: Option<String>,
    /// Which attribute becomes the session name.
    #[serde(default = "email_source")]
    pub session_name: SessionNameSource,
    /// Session tag key → user attribute that supplies its value.
    #[serde(default)]
    pub session_tags: TagMap,
    /// Session tag keys marked transitive.
    #[serde(default)]
    pub transitive_keys: Vec<String>,
    /// Entra ID claim form.
    #[serde(default)]
    pub claim_form: Option<ClaimForm>,
    /// A second role the users chain into; its sessions call Bedrock and inherit the
    /// transitive tags.
    #[serde(default)]
    pub chain_to: Option<String>,
    /// The user population.
    pub users: UsersSpec,
}

fn email_source() -> SessionNameSource {
    SessionNameSource::Email
}

/// A user population: listed, generated, or both.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersSpec {
    /// Number of generated users (names and emails via `fake`, seeded).
    #[serde(default)]
    pub count: u64,
    /// Email domain of generated users.
    #[serde(default = "default_domain")]
    pub domain: String,
    /// For generated users: attribute → pool of values, drawn per user.
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Listed users.
    #[serde(default)]
    pub list: Vec<UserSpec>,
}

fn default_domain() -> String {
    "example.com".into()
}

/// One listed user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// User name (or user id for gateways).
    pub name: String,
    /// Email; defaults to `<name>@<domain>`.
    #[serde(default)]
    pub email: Option<String>,
    /// Attributes (department, cost center, tenant ...).
    #[serde(default)]
    pub attributes: TagMap,
}

/// What a gateway's per-user session is named after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewaySessionKey {
    /// One session per end user.
    User,
    /// One session per tenant (the `tenant` attribute).
    Tenant,
}

/// `[[gateways]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySpec {
    /// Name used in selectors (`gateway:<name>`).
    pub name: String,
    /// Account id or name.
    pub account: String,
    /// The gateway's execution (compute) role; its sessions call Bedrock when per-user
    /// sessions are off. Define it in `[[roles]]` to give it tags and session naming.
    pub execution_role: String,
    /// The Bedrock invocation role assumed per user.
    pub invocation_role: String,
    /// Whether the gateway calls AssumeRole per user or tenant.
    #[serde(default)]
    pub per_user_sessions: bool,
    /// Session per `user` or per `tenant`.
    #[serde(default = "by_user")]
    pub session_name_from: GatewaySessionKey,
    /// Prefix before the user or tenant id, e.g. `gw-`.
    #[serde(default)]
    pub session_name_prefix: String,
    /// Session tag key → user attribute.
    #[serde(default)]
    pub session_tags: TagMap,
    /// How long cached credentials live, in minutes (role chaining caps this at 60).
    #[serde(default = "sixty")]
    pub credential_ttl_minutes: u32,
    /// The gateway's end users.
    pub users: UsersSpec,
}

fn by_user() -> GatewaySessionKey {
    GatewaySessionKey::User
}
fn sixty() -> u32 {
    60
}
