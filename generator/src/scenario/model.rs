//! The scenario file format: what a user writes in TOML. Documented in `docs/scenarios.md`.
//!
//! Every table denies unknown keys, so a typo is an error with a line number, not a silently
//! ignored setting. Semantic checks live in `validate.rs`.

use std::collections::BTreeMap;

use curlab_vocab::bedrock::{BillingForm, ServiceTier};
use serde::Deserialize;

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
fn yes() -> bool {
    true
}

/// `TIME_GRANULARITY`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Granularity {
    /// One row per hour.
    Hourly,
    /// One row per day.
    Daily,
    /// One row per month.
    Monthly,
}

impl Granularity {
    /// The configuration value.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Hourly => "HOURLY",
            Granularity::Daily => "DAILY",
            Granularity::Monthly => "MONTHLY",
        }
    }
}

/// Output format of the data files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `.snappy.parquet`
    Parquet,
    /// `.csv.gz`
    Csv,
}

impl Format {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
        }
    }
}

/// `S3OutputConfigurations.Overwrite`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// `OVERWRITE_REPORT`: files replaced in place.
    Overwrite,
    /// `CREATE_NEW_REPORT`: each refresh in its own execution folder.
    CreateNew,
}

/// `[export]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// Export name (folder and file prefix). Defaults to the scenario name.
    #[serde(default)]
    pub name: Option<String>,
    /// Billing periods as `YYYY-MM`.
    pub billing_periods: Vec<String>,
    /// `TIME_GRANULARITY`.
    #[serde(default = "hourly")]
    pub time_granularity: Granularity,
    /// `INCLUDE_RESOURCES`.
    #[serde(default = "yes")]
    pub include_resources: bool,
    /// `INCLUDE_IAM_PRINCIPAL_DATA`.
    #[serde(default = "yes")]
    pub include_iam_principal_data: bool,
    /// The day `INCLUDE_IAM_PRINCIPAL_DATA` was switched on (`YYYY-MM-DD`); principal data
    /// starts at the later of this and 2026-04-08. Absent: on from the start.
    #[serde(default)]
    pub iam_principal_data_enabled_on: Option<String>,
    /// `INCLUDE_SPLIT_COST_ALLOCATION_DATA`.
    #[serde(default)]
    pub include_split_cost_allocation_data: bool,
    /// `INCLUDE_CAPACITY_RESERVATION_DATA`.
    #[serde(default)]
    pub include_capacity_reservation_data: bool,
    /// `INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY`.
    #[serde(default)]
    pub include_manual_discount_compatibility: bool,
    /// Write the older 113-column base set (no `tags`, no `line_item_user_identifier`).
    #[serde(default)]
    pub legacy_113_columns: bool,
    /// `parquet` or `csv`.
    #[serde(default = "parquet")]
    pub format: Format,
    /// `overwrite` or `create-new`.
    #[serde(default = "overwrite")]
    pub delivery: Delivery,
    /// S3 bucket named in the manifest's `dataFiles`.
    #[serde(default = "default_bucket")]
    pub s3_bucket: String,
    /// S3 prefix named in the manifest's `dataFiles`.
    #[serde(default = "default_prefix")]
    pub s3_prefix: String,
    /// Whether the months are invoiced (fills `bill_invoice_id`).
    #[serde(default)]
    pub invoice_finalized: bool,
    /// Rows per data file before a new numbered file starts.
    #[serde(default = "default_rows_per_file")]
    pub max_rows_per_file: u64,
}

fn hourly() -> Granularity {
    Granularity::Hourly
}
fn parquet() -> Format {
    Format::Parquet
}
fn overwrite() -> Delivery {
    Delivery::Overwrite
}
fn default_bucket() -> String {
    "curlab-cur-exports".into()
}
fn default_prefix() -> String {
    "cur2".into()
}
fn default_rows_per_file() -> u64 {
    5_000_000
}

/// `[organization]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The management (payer) account.
    pub payer: AccountSpec,
    /// Linked (member) accounts. The payer may also incur usage.
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
}

/// One AWS account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    /// 12-digit id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// `[assumptions]`: the open questions of reference §9, as switches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    /// After a case-insensitive override, whose spelling of the key survives: `session`
    /// (the session tag replaces the principal tag whole) or `principal`.
    #[serde(default = "session_spelling")]
    pub override_key_spelling: KeySpelling,
    /// Whether batch inference rows carry the caller's principal (`caller`) or none (`none`).
    #[serde(default = "batch_caller")]
    pub batch_principal: BatchPrincipal,
    /// How a missing principal is written on rows that have none: `null` or `empty`.
    #[serde(default = "null_principal")]
    pub missing_principal: MissingPrincipal,
    /// What `line_item_resource_id` holds for calls through the global cross-region inference
    /// profile: the profile's ARN (`profile`) or the foundation model's (`foundation-model`).
    #[serde(default = "profile_arn")]
    pub profile_resource_id: ProfileResourceId,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            override_key_spelling: KeySpelling::Session,
            batch_principal: BatchPrincipal::Caller,
            missing_principal: MissingPrincipal::Null,
            profile_resource_id: ProfileResourceId::Profile,
        }
    }
}

fn profile_arn() -> ProfileResourceId {
    ProfileResourceId::Profile
}

/// See [`Assumptions::profile_resource_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileResourceId {
    /// `arn:aws:bedrock:<region>:<account>:inference-profile/global.<model id>`.
    Profile,
    /// `arn:aws:bedrock:<region>::foundation-model/<model id>` on every row.
    FoundationModel,
}

fn session_spelling() -> KeySpelling {
    KeySpelling::Session
}
fn batch_caller() -> BatchPrincipal {
    BatchPrincipal::Caller
}
fn null_principal() -> MissingPrincipal {
    MissingPrincipal::Null
}

/// See [`Assumptions::override_key_spelling`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeySpelling {
    /// The session tag's spelling wins.
    Session,
    /// The principal tag's spelling is kept, with the session's value.
    Principal,
}

/// See [`Assumptions::batch_principal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchPrincipal {
    /// The identity that submitted the job.
    Caller,
    /// No principal on batch rows.
    None,
}

/// See [`Assumptions::missing_principal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPrincipal {
    /// SQL NULL (Parquet null, empty CSV field).
    Null,
    /// The empty string.
    Empty,
}

/// Tags as written in the scenario: key → value.
pub type TagMap = BTreeMap<String, String>;

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

/// Where a cost allocation tag comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagSource {
    /// IAM principal and session tags (`iamPrincipal/`).
    IamPrincipal,
    /// Resource tags of background services (`resourceTags/`, `resource_tags`).
    Resource,
}

/// `[[cost_allocation_tags]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagActivationSpec {
    /// Tag key without prefix, e.g. `team`.
    pub key: String,
    /// `iam-principal` (default) or `resource`.
    #[serde(default = "iam_source")]
    pub source: TagSource,
    /// When the key was activated: `YYYY-MM-DD` or RFC 3339.
    pub activated_at: String,
    /// Hours until activation takes effect (AWS: up to 24 h).
    #[serde(default = "twenty_four")]
    pub effect_delay_hours: u32,
    /// `YYYY-MM`: a backfill re-applied the key from this month on.
    #[serde(default)]
    pub backfill_from: Option<String>,
}

fn iam_source() -> TagSource {
    TagSource::IamPrincipal
}
fn twenty_four() -> u32 {
    24
}

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
}

fn us_east_1() -> String {
    "us-east-1".into()
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

/// A background (non-Bedrock) service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackgroundService {
    /// EC2 instance hours.
    Ec2,
    /// S3 storage.
    S3,
    /// Lambda requests and compute.
    Lambda,
    /// CloudWatch metrics.
    Cloudwatch,
    /// Data transfer out.
    DataTransfer,
    /// RDS PostgreSQL instance hours and GP3 storage.
    Rds,
    /// EKS cluster hours.
    Eks,
    /// SES email recipients.
    Ses,
    /// SNS API requests.
    Sns,
    /// SQS requests.
    Sqs,
    /// Secrets Manager secrets and API requests.
    SecretsManager,
}

/// `[[background]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundSpec {
    /// Service.
    pub service: BackgroundService,
    /// Account id or name.
    pub account: String,
    /// Region.
    #[serde(default = "us_east_1")]
    pub region: String,
    /// Number of resources (instances, buckets, functions ...).
    #[serde(default = "one_u32")]
    pub resources: u32,
    /// Resource tags on those resources.
    #[serde(default)]
    pub resource_tags: TagMap,
}

fn one_u32() -> u32 {
    1
}

/// `[tax]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxSpec {
    /// Tax rate applied per account and product, e.g. 0.08.
    pub rate: f64,
    /// `line_item_tax_type`.
    #[serde(default = "sales_tax")]
    pub tax_type: String,
}

fn sales_tax() -> String {
    "USSalesTax".into()
}
