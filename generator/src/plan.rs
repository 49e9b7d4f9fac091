//! Resolve a parsed scenario into a [`Plan`]: accounts, callers with their exact ARNs and
//! effective tags, request streams, activations. Every semantic check happens here, and each
//! problem names its place in the file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use curlab_vocab::arn::{
    check_session_name, is_account_id, is_iam_name_char, sanitize_session_name, IdentityKind,
};
use curlab_vocab::bedrock::{self, BillingForm, ServiceTier, TokenType};
use curlab_vocab::columns::TableConfig;
use curlab_vocab::tags;
use fake::Fake;
use rand::RngExt;

use crate::catalog::{self, Model};
use crate::scenario::model::*;
use crate::scenario::{Path, Problem};
use crate::seed;
use crate::selector::{self, Selectable, SelectorError, SelectorKind, Target};
use crate::size::scaled;
pub use crate::time::{day_of, parse_instant, parse_month, rfc3339, Ts};
use crate::time::{month_start, next_month};

/// One billing period (a calendar month).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `YYYY-MM`.
    pub label: String,
    /// First instant.
    pub start: Ts,
    /// First instant of the next month.
    pub end: Ts,
    /// The month is still open (an `--as-of` export's last month): no invoice id yet.
    pub open: bool,
}

/// The resolved export configuration.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    /// Export name.
    pub name: String,
    /// Billing periods in order.
    pub periods: Vec<Period>,
    /// Row granularity.
    pub granularity: Granularity,
    /// Column-set flags.
    pub table: TableConfig,
    /// First instant with principal data (None when the column is off).
    pub principal_from: Option<Ts>,
    /// Data file format.
    pub format: Format,
    /// Delivery mode.
    pub delivery: Delivery,
    /// Manifest bucket.
    pub s3_bucket: String,
    /// Manifest prefix.
    pub s3_prefix: String,
    /// Fill `bill_invoice_id`.
    pub invoice_finalized: bool,
    /// Split threshold.
    pub max_rows_per_file: u64,
    /// Set for a month-to-date export (`--as-of`, [`crate::asof`]).
    pub as_of: Option<AsOfPlan>,
}

/// What a month-to-date (`--as-of`) export records in its plan (and truth file); set by
/// [`crate::asof::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsOfPlan {
    /// The `--as-of` date.
    pub date: NaiveDate,
    /// Months the scenario moved (negative: back in time).
    pub months: i32,
    /// Usage before this instant is in the export, none after it.
    pub data_until: Ts,
}

/// An AWS account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// 12-digit id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// Sorted `(key, value)` pairs.
pub type Tags = Vec<(String, String)>;

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

/// An identity as it reaches Bedrock: one ARN with one effective tag set.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The ARN written to `line_item_iam_principal`.
    pub arn: Arc<str>,
    /// Identity type.
    pub identity: IdentityKind,
    /// How the identity reaches Bedrock.
    pub pattern: AccessPattern,
    /// Index into [`Plan::accounts`].
    pub account: usize,
    /// Effective tags: principal tags overlaid by session and transitive tags (unprefixed).
    pub tags: Tags,
    /// Keys (as in `tags`) whose value came from a session or transitive tag.
    pub session_keys: Vec<String>,
    /// The underlying user's or role's own tags.
    pub principal_tags: Tags,
    /// Gateway index, when a gateway makes the calls.
    pub gateway: Option<usize>,
    /// For per-job sessions: the only day (days since epoch) the session exists.
    pub active_day: Option<i64>,
}

/// A source of requests (a user, a key, an application, an end user behind a gateway) and
/// the callers its requests go out as.
#[derive(Debug, Clone)]
pub struct Requester {
    /// `(caller index, weight)`; weights sum to 1 (per active day for per-job sessions).
    pub callers: Vec<(usize, f64)>,
}

/// A resolved workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Model index.
    pub model: usize,
    /// Region.
    pub region: String,
    /// Billing code of the region.
    pub region_code: &'static str,
    /// Requests per requester per day (before weekday weight).
    pub requests_per_day: f64,
    /// Input token distribution.
    pub input: TokenDist,
    /// Output token distribution.
    pub output: TokenDist,
    /// Cache shares of the prompt: read, write 5m, write 1h.
    pub cache_shares: [f64; 3],
    /// Streaming share.
    pub streaming_share: f64,
    /// Batch share.
    pub batch_share: f64,
    /// Service tier.
    pub tier: ServiceTier,
    /// Global cross-region share.
    pub global_share: f64,
    /// Monday..Sunday weights.
    pub weekday: [f64; 7],
    /// Hour weights, normalised to sum 1.
    pub hours: [f64; 24],
    /// First and last day (days since epoch, inclusive).
    pub days: (i64, i64),
}

/// A stream of requests: one requester running one workload.
#[derive(Debug, Clone, Copy)]
pub struct Stream {
    /// Requester index.
    pub requester: usize,
    /// Workload index.
    pub workload: usize,
}

/// Token counts by [`TokenType`] order.
pub type TokenCounts = [u64; 5];

/// One explicit request.
#[derive(Debug, Clone)]
pub struct ExplicitRequest {
    /// Time.
    pub ts: Ts,
    /// Caller index.
    pub caller: usize,
    /// Model index.
    pub model: usize,
    /// Region and its code.
    pub region: String,
    /// Billing code of the region.
    pub region_code: &'static str,
    /// Tokens by type.
    pub tokens: TokenCounts,
    /// Streaming.
    pub streaming: bool,
    /// Batch.
    pub batch: bool,
    /// Global profile.
    pub global: bool,
    /// Tier.
    pub tier: ServiceTier,
}

/// An activated cost allocation tag.
#[derive(Debug, Clone)]
pub struct ActivationPlan {
    /// Bare key (`team`).
    pub key: String,
    /// Source.
    pub source: TagSource,
    /// Activation instant.
    pub activated: Ts,
    /// When it took effect.
    pub effective: Ts,
    /// Backfill start, if any.
    pub backfill: Option<Ts>,
}

impl ActivationPlan {
    /// Whether a row starting at `t` carries this key.
    pub fn applies_at(&self, t: Ts) -> bool {
        t >= self.effective || self.backfill.is_some_and(|b| t >= b)
    }

    /// The key as it appears in `tags`.
    pub fn full_key(&self) -> String {
        match self.source {
            TagSource::IamPrincipal => format!("{}{}", tags::IAM_PRINCIPAL_PREFIX, self.key),
            TagSource::Resource => format!("{}{}", tags::RESOURCE_TAGS_PREFIX, self.key),
        }
    }
}

/// A resolved gateway.
#[derive(Debug, Clone)]
pub struct GatewayPlan {
    /// Name.
    pub name: String,
    /// Account index.
    pub account: usize,
    /// Per-user sessions on.
    pub per_user_sessions: bool,
    /// Invocation role ARN.
    pub invocation_role_arn: String,
    /// Execution role ARN.
    pub execution_role_arn: String,
    /// Distinct per-user principals expected.
    pub expected_principals: u64,
}

/// A resolved background service.
#[derive(Debug, Clone)]
pub struct BackgroundPlan {
    /// Service.
    pub service: BackgroundService,
    /// Account index.
    pub account: usize,
    /// Region.
    pub region: String,
    /// Resource ids.
    pub resources: Vec<String>,
    /// Resource tags.
    pub tags: Tags,
}

/// Everything the simulator needs; no IO, no randomness left undecided except requests.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Scenario name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Seed.
    pub seed: u64,
    /// Export configuration.
    pub export: ExportPlan,
    /// Open-question switches.
    pub assumptions: Assumptions,
    /// Payer account.
    pub payer: Account,
    /// Usage accounts (the payer first when it is listed).
    pub accounts: Vec<Account>,
    /// Price catalogue.
    pub models: Vec<Model>,
    /// Callers.
    pub callers: Vec<Caller>,
    /// Requesters.
    pub requesters: Vec<Requester>,
    /// Workloads.
    pub workloads: Vec<Workload>,
    /// Streams.
    pub streams: Vec<Stream>,
    /// Explicit requests, sorted by time.
    pub explicit: Vec<ExplicitRequest>,
    /// Tag activations.
    pub activations: Vec<ActivationPlan>,
    /// Gateways.
    pub gateways: Vec<GatewayPlan>,
    /// Background services.
    pub background: Vec<BackgroundPlan>,
    /// Tax.
    pub tax: Option<TaxSpec>,
}

impl Plan {
    /// Days (since epoch) covered by the billing periods, in order.
    pub fn days(&self) -> Vec<i64> {
        self.export
            .periods
            .iter()
            .flat_map(|p| (p.start / 86_400)..(p.end / 86_400))
            .collect()
    }

    /// Whether usage of `day` is in the export: every day, except after the data cut of a
    /// month-to-date (`--as-of`) export. Days after the cut are still walked (their period's
    /// files and tax rows), with no usage.
    pub fn has_usage(&self, day: i64) -> bool {
        self.export
            .as_of
            .as_ref()
            .is_none_or(|a| day * 86_400 < a.data_until)
    }

    /// Estimated requests, for the size guard.
    pub fn estimated_requests(&self) -> f64 {
        let days = self.days().len() as f64;
        self.streams
            .iter()
            .map(|s| {
                let w = &self.workloads[s.workload];
                let span = ((w.days.1 - w.days.0 + 1) as f64).min(days);
                w.requests_per_day * span * 0.8
            })
            .sum::<f64>()
            + self.explicit.len() as f64
    }
}

/// Scenarios may not reach past this many generated principals without `--scale` consent.
pub const MAX_PRINCIPALS: u64 = 1_000_000;

struct Ctx<'a> {
    file: &'a ScenarioFile,
    problems: Vec<Problem>,
    seed: u64,
    scale: f64,
}

impl Ctx<'_> {
    fn problem(&mut self, path: Path, msg: impl Into<String>, hint: impl Into<String>) {
        self.problems.push(Problem::new(path, msg, hint));
    }
}

fn root() -> Path {
    Path::root()
}

/// Resolve a parsed scenario. `scale` multiplies generated populations (users, sessions,
/// background resources); `seed` overrides the scenario's seed.
pub fn resolve(file: &ScenarioFile, seed: Option<u64>, scale: f64) -> Result<Plan, Vec<Problem>> {
    let mut cx = Ctx {
        file,
        problems: Vec::new(),
        seed: seed.unwrap_or(file.scenario.seed),
        scale,
    };
    let export = resolve_export(&mut cx);
    let (payer, accounts) = resolve_accounts(&mut cx);
    check_tags_block(&mut cx);
    let models = catalog::with_overrides(&file.models);
    check_models(&mut cx, &models);
    let mut b = Builder {
        accounts: &accounts,
        callers: Vec::new(),
        requesters: Vec::new(),
        selectables: Vec::new(),
        gateways: Vec::new(),
        spelling: file.assumptions.override_key_spelling,
        days: export
            .as_ref()
            .map(|e| days_of(&e.periods))
            .unwrap_or_default(),
    };
    build_identities(&mut cx, &mut b);
    let workloads = resolve_workloads(&mut cx, &models, export.as_ref());
    let streams = resolve_streams(&mut cx, &b);
    let explicit = resolve_requests(&mut cx, &b, &models, export.as_ref());
    let activations = resolve_activations(&mut cx);
    let background = resolve_background(&mut cx, &accounts);
    if let Some(tax) = &file.tax {
        if !(0.0..=1.0).contains(&tax.rate) {
            cx.problem(
                root().key("tax").key("rate"),
                format!("tax rate {} is outside 0..1", tax.rate),
                "write a share, e.g. 0.08 for 8 %",
            );
        }
    }
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    let Some(export) = export else {
        return Err(cx.problems);
    };
    let Builder {
        callers,
        requesters,
        gateways,
        ..
    } = b;
    Ok(Plan {
        name: file.scenario.name.clone(),
        description: file.scenario.description.clone(),
        seed: cx.seed,
        export,
        assumptions: file.assumptions.clone(),
        payer,
        accounts,
        models,
        callers,
        requesters,
        workloads,
        streams,
        explicit,
        activations,
        gateways,
        background,
        tax: file.tax.clone(),
    })
}

fn days_of(periods: &[Period]) -> Vec<i64> {
    periods
        .iter()
        .flat_map(|p| (p.start / 86_400)..(p.end / 86_400))
        .collect()
}

fn resolve_export(cx: &mut Ctx<'_>) -> Option<ExportPlan> {
    let e = &cx.file.export;
    let p = root().key("export");
    let name = e
        .name
        .clone()
        .unwrap_or_else(|| cx.file.scenario.name.clone());
    if name.is_empty()
        || name.len() > 128
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        cx.problem(
            if e.name.is_some() {
                p.key("name")
            } else {
                root().key("scenario").key("name")
            },
            format!("export name `{name}` is not valid"),
            "use 1-128 letters, digits, `-` or `_` (Data Exports names allow no other characters)",
        );
    }
    let mut periods = Vec::new();
    if e.billing_periods.is_empty() {
        cx.problem(
            p.key("billing_periods"),
            "no billing period",
            "add at least one month, e.g. billing_periods = [\"2026-05\"]",
        );
    }
    for (i, s) in e.billing_periods.iter().enumerate() {
        match parse_month(s) {
            Some((y, m)) if (2020..=2035).contains(&y) => {
                let (ny, nm) = next_month(y, m);
                periods.push(Period {
                    label: s.clone(),
                    start: month_start(y, m),
                    end: month_start(ny, nm),
                    open: false,
                });
            }
            _ => cx.problem(
                p.key("billing_periods").index(i),
                format!("`{s}` is not a billing period"),
                "write YYYY-MM between 2020 and 2035, e.g. \"2026-05\"",
            ),
        }
    }
    periods.sort_by_key(|p| p.start);
    if periods.windows(2).any(|w| w[0].start == w[1].start) {
        cx.problem(
            p.key("billing_periods"),
            "a billing period is listed twice",
            "list each month once",
        );
    }
    let launch = day_of(bedrock::principal_data_start()) * 86_400;
    let principal_from = if e.include_iam_principal_data {
        let enabled = match &e.iam_principal_data_enabled_on {
            None => launch,
            Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => day_of(d) * 86_400,
                Err(_) => {
                    cx.problem(
                        p.key("iam_principal_data_enabled_on"),
                        format!("`{s}` is not a date"),
                        "write YYYY-MM-DD",
                    );
                    launch
                }
            },
        };
        Some(enabled.max(launch))
    } else {
        if e.iam_principal_data_enabled_on.is_some() {
            cx.problem(
                p.key("iam_principal_data_enabled_on"),
                "a switch-on date is set but include_iam_principal_data is false",
                "set include_iam_principal_data = true or remove the date",
            );
        }
        None
    };
    if e.legacy_113_columns
        && (e.include_iam_principal_data
            || e.include_resources
            || e.include_split_cost_allocation_data)
    {
        cx.problem(p.key("legacy_113_columns"), "the 113-column shape predates tags, resources and IAM principal data in one export", "set include_iam_principal_data, include_resources and include_split_cost_allocation_data to false");
    }
    if e.format == Format::Csv && e.legacy_113_columns {
        // Fine: both shapes exist in CSV.
    }
    if e.max_rows_per_file == 0 {
        cx.problem(
            p.key("max_rows_per_file"),
            "max_rows_per_file is 0",
            "use a positive number of rows",
        );
    }
    if e.s3_bucket.is_empty()
        || !e
            .s3_bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        cx.problem(
            p.key("s3_bucket"),
            format!("`{}` is not an S3 bucket name", e.s3_bucket),
            "use lower-case letters, digits, `-` and `.`",
        );
    }
    if e.s3_prefix.contains("//") || e.s3_prefix.starts_with('/') {
        cx.problem(
            p.key("s3_prefix"),
            format!("prefix `{}` has an empty path segment", e.s3_prefix),
            "write the prefix without leading or doubled `/`",
        );
    }
    Some(ExportPlan {
        name,
        periods,
        granularity: e.time_granularity,
        table: TableConfig {
            include_resources: e.include_resources,
            include_split_cost_allocation_data: e.include_split_cost_allocation_data,
            include_capacity_reservation_data: e.include_capacity_reservation_data,
            include_iam_principal_data: e.include_iam_principal_data,
            include_manual_discount_compatibility: e.include_manual_discount_compatibility,
            legacy_113: e.legacy_113_columns,
        },
        principal_from,
        format: e.format,
        delivery: e.delivery,
        s3_bucket: e.s3_bucket.clone(),
        s3_prefix: e.s3_prefix.trim_end_matches('/').to_string(),
        invoice_finalized: e.invoice_finalized,
        max_rows_per_file: e.max_rows_per_file,
        as_of: None,
    })
}

fn resolve_accounts(cx: &mut Ctx<'_>) -> (Account, Vec<Account>) {
    let org = &cx.file.organization;
    let p = root().key("organization");
    let check = |cx: &mut Ctx<'_>, a: &AccountSpec, path: Path| {
        if !is_account_id(&a.id) {
            cx.problem(
                path.key("id"),
                format!("account id `{}` is not 12 digits", a.id),
                "AWS account ids are exactly 12 digits, e.g. \"123456789012\" (quote it)",
            );
        }
        if a.name.is_empty() || a.name.len() > 50 {
            cx.problem(
                path.key("name"),
                "account name must be 1-50 characters",
                "give the account a short display name",
            );
        }
        Account {
            id: a.id.clone(),
            name: a.name.clone(),
        }
    };
    let payer = check(cx, &org.payer, p.key("payer"));
    let mut accounts = Vec::new();
    for (i, a) in org.accounts.iter().enumerate() {
        let acc = check(cx, a, p.key("accounts").index(i));
        if accounts.iter().any(|x: &Account| x.id == acc.id) {
            cx.problem(
                p.key("accounts").index(i).key("id"),
                format!("account {} is listed twice", acc.id),
                "list each account once",
            );
        }
        accounts.push(acc);
    }
    if !accounts.iter().any(|a| a.id == payer.id) {
        accounts.insert(0, payer.clone());
    }
    (payer, accounts)
}

fn check_tag_map(cx: &mut Ctx<'_>, map: &TagMap, path: &Path, what: &str) {
    if map.len() > tags::MAX_TAGS {
        cx.problem(
            path.clone(),
            format!("{what} has {} tags; IAM allows at most 50", map.len()),
            "drop tags or move them to session tags",
        );
    }
    let mut seen: HashMap<String, &str> = HashMap::new();
    for (k, v) in map {
        if let Err(e) = tags::check_key(k) {
            cx.problem(path.key(k), format!("tag key `{k}`: {e}"), "tag keys are 1-128 characters of letters, digits, spaces and _.:/=+-@, not starting with aws:");
        }
        if let Err(e) = tags::check_value(v) {
            cx.problem(
                path.key(k),
                format!("tag `{k}` value: {e}"),
                "tag values are 0-256 characters of letters, digits, spaces and _.:/=+-@",
            );
        }
        if let Some(other) = seen.insert(k.to_lowercase(), k) {
            cx.problem(
                path.key(k),
                format!("tag keys `{other}` and `{k}` differ only in case"),
                "IAM treats keys case-insensitively; keep one spelling",
            );
        }
    }
}

/// Check the keys of a session-tag mapping (tag key → user attribute) of an IdP or gateway.
/// The values are attribute names, not tag values; the attribute values are checked as tags
/// where the users are defined. STS rejects the whole request for any of these problems, so
/// they are errors here rather than tags silently dropped or merged.
fn check_session_tag_keys(cx: &mut Ctx<'_>, map: &TagMap, path: &Path) {
    if map.len() > tags::MAX_TAGS {
        cx.problem(
            path.clone(),
            format!(
                "{} session tags; STS accepts at most 50 per request",
                map.len()
            ),
            "drop session tags",
        );
    }
    let mut seen: HashMap<String, &str> = HashMap::new();
    for k in map.keys() {
        if let Err(e) = tags::check_key(k) {
            cx.problem(path.key(k), format!("session tag key `{k}`: {e}"), "tag keys are 1-128 characters of letters, digits, spaces and _.:/=+-@, not starting with aws:");
        }
        if let Some(other) = seen.insert(k.to_lowercase(), k) {
            cx.problem(path.key(k), format!("session tag keys `{other}` and `{k}` differ only in case"), "STS treats keys case-insensitively and rejects both in one request; keep one spelling");
        }
    }
}

fn check_tags_block(cx: &mut Ctx<'_>) {
    let f = cx.file;
    for (i, u) in f.iam_users.iter().enumerate() {
        check_tag_map(
            cx,
            &u.tags,
            &root().key("iam_users").index(i).key("tags"),
            "the user",
        );
    }
    for (i, k) in f.api_keys.iter().enumerate() {
        check_tag_map(
            cx,
            &k.tags,
            &root().key("api_keys").index(i).key("tags"),
            "the API key user",
        );
    }
    for (i, r) in f.roles.iter().enumerate() {
        let p = root().key("roles").index(i);
        check_tag_map(cx, &r.tags, &p.key("tags"), "the role");
        check_tag_map(cx, &r.session_tags, &p.key("session_tags"), "the session");
        if !r.session_tags.is_empty() && !r.trust_allows_tag_session {
            cx.problem(p.key("session_tags"), format!("role `{}` gets session tags but its trust policy does not allow sts:TagSession; AssumeRole would fail with AccessDenied", r.name), "set trust_allows_tag_session = true");
        }
    }
    for (i, b) in f.background.iter().enumerate() {
        check_tag_map(
            cx,
            &b.resource_tags,
            &root().key("background").index(i).key("resource_tags"),
            "the resource",
        );
    }
}

fn check_models(cx: &mut Ctx<'_>, models: &[Model]) {
    for (i, m) in cx.file.models.iter().enumerate() {
        let p = root().key("models").index(i);
        let model = models.iter().find(|x| x.id == m.id);
        if let Some(model) = model {
            if model.base_price(TokenType::Input).is_none()
                || model.base_price(TokenType::Output).is_none()
            {
                cx.problem(
                    p.clone(),
                    format!("model `{}` has no input or output price", m.id),
                    "set input and output (USD per 1M tokens)",
                );
            }
            if model.usage_name.is_empty()
                || !model
                    .usage_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                cx.problem(
                    p.key("usage_name"),
                    format!(
                        "usage name `{}` does not fit a usage type",
                        model.usage_name
                    ),
                    "use letters, digits, `.` and `-`, e.g. Claude4.6Sonnet",
                );
            }
        }
        for (key, v) in [
            ("input", m.input),
            ("output", m.output),
            ("cache_read", m.cache_read),
            ("cache_write", m.cache_write),
            ("cache_write_1h", m.cache_write_1h),
        ] {
            if let Some(v) = v {
                if !(0.0..=10_000.0).contains(&v) || (v * 1e6).fract().abs() > 1e-6 {
                    cx.problem(
                        p.key(key),
                        format!(
                            "price {v} is not a USD price per 1M tokens with at most 6 decimals"
                        ),
                        "write e.g. 3.0 for $3.00 per million tokens",
                    );
                }
            }
        }
        if m.marketplace_spelling.is_some()
            && model.is_some_and(|x| x.billing != BillingForm::Marketplace)
        {
            cx.problem(
                p.key("marketplace_spelling"),
                "a Marketplace spelling is set on an AWS-billed model",
                "add billing = \"marketplace\" or remove marketplace_spelling",
            );
        }
        if m.service_tiers.as_ref().is_some_and(|t| t.is_empty()) {
            cx.problem(
                p.key("service_tiers"),
                "the model is sold in no tier",
                "list at least \"standard\", e.g. service_tiers = [\"standard\", \"priority\", \"flex\"]",
            );
        }
        if let Some(r) = m.regional_premium {
            if !(1.0..=2.0).contains(&r) {
                cx.problem(
                    p.key("regional_premium"),
                    format!("regional premium {r} is outside 1..2"),
                    "Claude 4.5 and later use 1.1; older models 1.0",
                );
            }
        }
    }
}

struct Builder<'a> {
    accounts: &'a [Account],
    callers: Vec<Caller>,
    requesters: Vec<Requester>,
    selectables: Vec<Selectable>,
    gateways: Vec<GatewayPlan>,
    spelling: KeySpelling,
    days: Vec<i64>,
}

/// Principal tags overlaid by session tags: a session key replaces any key equal to it
/// ignoring case (reference §5.2). Returns the tags and the keys that came from the session.
pub fn overlay(base: &Tags, session: &Tags, spelling: KeySpelling) -> (Tags, Vec<String>) {
    let mut out: Vec<(String, String)> = base.clone();
    let mut from_session = Vec::new();
    for (k, v) in session {
        let lower = k.to_lowercase();
        let existing = out.iter().position(|(bk, _)| bk.to_lowercase() == lower);
        let key = match (existing, spelling) {
            (Some(i), KeySpelling::Principal) => out[i].0.clone(),
            _ => k.clone(),
        };
        if let Some(i) = existing {
            out.remove(i);
        }
        from_session.retain(|s: &String| s.to_lowercase() != lower);
        from_session.push(key.clone());
        out.push((key, v.clone()));
    }
    out.sort();
    from_session.sort();
    (out, from_session)
}

fn to_tags(m: &TagMap) -> Tags {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

impl Builder<'_> {
    fn account(&self, cx: &mut Ctx<'_>, s: &str, path: Path) -> Option<usize> {
        let found = self.accounts.iter().position(|a| a.id == s || a.name == s);
        if found.is_none() {
            let known: Vec<String> = self
                .accounts
                .iter()
                .map(|a| format!("{} ({})", a.id, a.name))
                .collect();
            cx.problem(
                path,
                format!("unknown account `{s}`"),
                format!(
                    "use the id or name of an account in [organization]: {}",
                    known.join(", ")
                ),
            );
        }
        found
    }

    fn push_caller(&mut self, c: Caller) -> usize {
        self.callers.push(c);
        self.callers.len() - 1
    }

    fn push_requester(&mut self, callers: Vec<(usize, f64)>) -> usize {
        self.requesters.push(Requester { callers });
        self.requesters.len() - 1
    }

    fn role_arn(&self, account: usize, name: &str) -> String {
        format!("arn:aws:iam::{}:role/{}", self.accounts[account].id, name)
    }

    fn session_arn(&self, account: usize, role: &str, session: &str) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            self.accounts[account].id, role, session
        )
    }
}

fn check_iam_name(cx: &mut Ctx<'_>, what: &str, name: &str, path: Path) {
    let n = name.chars().count();
    if n == 0 || n > 64 || !name.chars().all(is_iam_name_char) {
        cx.problem(
            path,
            format!("{what} `{name}` is not a valid IAM name"),
            "IAM names are 1-64 characters of letters, digits and _+=,.@-",
        );
    }
}

/// IAM paths: `/` alone, or `/`-delimited segments of printable ASCII (`!` to `~`), at most
/// 512 characters. A user's path is part of its ARN, so a bad one would make an ARN that no
/// parser (nor IAM) accepts.
fn check_iam_path(cx: &mut Ctx<'_>, iam_path: &str, path: Path) {
    if !(iam_path.starts_with('/') && iam_path.ends_with('/')) {
        cx.problem(
            path,
            format!("IAM path `{iam_path}` must start and end with `/`"),
            format!("write e.g. \"/{}/\"", iam_path.trim_matches('/')),
        );
    } else if iam_path.len() > 512
        || (iam_path.contains("//") && iam_path != "/")
        || !iam_path.chars().all(|c| ('!'..='~').contains(&c))
    {
        cx.problem(path, format!("IAM path `{iam_path}` is not valid"), "IAM paths are at most 512 printable ASCII characters without spaces or empty segments, e.g. \"/engineering/ml/\"");
    }
}

fn check_session(cx: &mut Ctx<'_>, name: &str, path: Path) {
    if let Err(e) = check_session_name(name) {
        cx.problem(
            path,
            format!("{e}"),
            "RoleSessionName must be 2-64 characters of letters, digits and _+=,.@-",
        );
    }
}

struct EndUser {
    name: String,
    email: String,
    attributes: TagMap,
}

fn users_of(cx: &mut Ctx<'_>, spec: &UsersSpec, salt: &str, path: Path) -> Vec<EndUser> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, u) in spec.list.iter().enumerate() {
        if !names.insert(u.name.clone()) {
            cx.problem(
                path.key("list").index(i).key("name"),
                format!("user `{}` is listed twice", u.name),
                "give each user a unique name",
            );
        }
        let email = u
            .email
            .clone()
            .unwrap_or_else(|| format!("{}@{}", u.name, spec.domain));
        check_tag_map(
            cx,
            &u.attributes,
            &path.key("list").index(i).key("attributes"),
            "the user",
        );
        out.push(EndUser {
            name: u.name.clone(),
            email,
            attributes: u.attributes.clone(),
        });
    }
    let count = scaled(spec.count, cx.scale);
    if count > MAX_PRINCIPALS {
        cx.problem(
            path.key("count"),
            format!("{count} users is more than curlab generates ({MAX_PRINCIPALS})"),
            "lower count or --scale",
        );
        return out;
    }
    for (attr, pool) in &spec.attributes {
        if pool.is_empty() {
            cx.problem(
                path.key("attributes").key(attr),
                format!("attribute `{attr}` has no values to draw from"),
                "list at least one value",
            );
        }
        // Drawn values become session tag values, so they obey the same rules as a listed
        // user's attributes (checked in `check_tag_map`).
        for (i, v) in pool.iter().enumerate() {
            if let Err(e) = tags::check_value(v) {
                cx.problem(
                    path.key("attributes").key(attr).index(i),
                    format!("attribute `{attr}` value: {e}"),
                    "attribute values become session tag values: 0-256 characters of letters, digits, spaces and _.:/=+-@",
                );
            }
        }
    }
    if spec.attributes.values().any(|p| p.is_empty()) {
        return out;
    }
    let mut rng = seed::named(cx.seed, salt);
    for i in 0..count {
        let first: String = fake::faker::name::en::FirstName().fake_with_rng(&mut rng);
        let last: String = fake::faker::name::en::LastName().fake_with_rng(&mut rng);
        let base: String = format!("{}.{}", first, last)
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let mut name = base.clone();
        let mut n = 1;
        while !names.insert(name.clone()) {
            n += 1;
            name = format!("{base}{n}");
        }
        let attributes = spec
            .attributes
            .iter()
            .map(|(k, pool)| (k.clone(), pool[rng.random_range(0..pool.len())].clone()))
            .collect();
        let _ = i;
        out.push(EndUser {
            email: format!("{name}@{}", spec.domain),
            name,
            attributes,
        });
    }
    out
}

fn session_tags_from(map: &TagMap, attrs: &TagMap) -> Tags {
    map.iter()
        .filter_map(|(k, attr)| attrs.get(attr).map(|v| (k.clone(), v.clone())))
        .collect()
}

fn app_sessions(
    cx: &mut Ctx<'_>,
    naming: &SessionNaming,
    role: &str,
    salt: &str,
    days: &[i64],
    path: Path,
) -> Vec<(String, Option<i64>)> {
    let mut rng = seed::named(cx.seed, salt);
    match naming {
        SessionNaming::Fixed { name } => {
            check_session(cx, name, path.key("name"));
            vec![(name.clone(), None)]
        }
        SessionNaming::Lambda { functions } => {
            if functions.is_empty() {
                cx.problem(
                    path.key("functions"),
                    "no Lambda functions",
                    "list at least one function name",
                );
            }
            for (i, f) in functions.iter().enumerate() {
                check_session(cx, f, path.key("functions").index(i));
            }
            functions.iter().map(|f| (f.clone(), None)).collect()
        }
        SessionNaming::Ecs { tasks } => {
            let n = scaled(u64::from(*tasks), cx.scale);
            if n == 0 {
                cx.problem(path.key("tasks"), "no ECS tasks", "use at least 1");
            }
            (0..n).map(|_| (seed::hex(&mut rng, 32), None)).collect()
        }
        SessionNaming::Ec2 { instances } => {
            let n = scaled(u64::from(*instances), cx.scale);
            if n == 0 {
                cx.problem(path.key("instances"), "no EC2 instances", "use at least 1");
            }
            (0..n)
                .map(|_| (format!("i-0{}", seed::hex(&mut rng, 16)), None))
                .collect()
        }
        SessionNaming::Batch {
            prefix,
            jobs_per_day,
        } => {
            if *jobs_per_day == 0 || *jobs_per_day > 1000 {
                cx.problem(
                    path.key("jobs_per_day"),
                    format!("{jobs_per_day} jobs per day is outside 1..1000"),
                    "use a small number of jobs per day",
                );
                return Vec::new();
            }
            let sample = format!("{prefix}-20260101-01");
            check_session(cx, &sample, path.key("prefix"));
            let _ = role;
            days.iter()
                .flat_map(|d| {
                    let date = chrono::DateTime::from_timestamp(d * 86_400, 0)
                        .map(|t| t.format("%Y%m%d").to_string())
                        .unwrap_or_default();
                    (1..=*jobs_per_day).map(move |j| (format!("{prefix}-{date}-{j:02}"), Some(*d)))
                })
                .collect()
        }
    }
}

fn build_identities(cx: &mut Ctx<'_>, b: &mut Builder<'_>) {
    let f = cx.file;
    // Scenario 1: IAM users.
    let mut seen_users: HashMap<(usize, String), usize> = HashMap::new();
    for (i, u) in f.iam_users.iter().enumerate() {
        let p = root().key("iam_users").index(i);
        let Some(acct) = b.account(cx, &u.account, p.key("account")) else {
            continue;
        };
        check_iam_name(cx, "user name", &u.name, p.key("name"));
        check_iam_path(cx, &u.path, p.key("path"));
        if seen_users
            .insert((acct, u.name.to_lowercase()), i)
            .is_some()
        {
            cx.problem(
                p.key("name"),
                format!("user `{}` is defined twice in this account", u.name),
                "IAM user names are unique per account, ignoring case",
            );
        }
        let tags = to_tags(&u.tags);
        let arn = format!(
            "arn:aws:iam::{}:user{}{}",
            b.accounts[acct].id, u.path, u.name
        );
        let identity = if u.name.starts_with("BedrockAPIKey-") {
            IdentityKind::BedrockApiKey
        } else {
            IdentityKind::IamUser
        };
        let c = b.push_caller(Caller {
            arn: arn.into(),
            identity,
            pattern: AccessPattern::IamUser,
            account: acct,
            tags: tags.clone(),
            session_keys: vec![],
            principal_tags: tags,
            gateway: None,
            active_day: None,
        });
        let r = b.push_requester(vec![(c, 1.0)]);
        b.selectables.push(Selectable {
            target: Target::User,
            account: acct,
            name: u.name.clone(),
            sub: vec![],
            requester: r,
            caller: Some(c),
        });
    }
    // Scenario 1: Bedrock API keys.
    let mut rng = seed::named(cx.seed, "api-keys");
    for (i, k) in f.api_keys.iter().enumerate() {
        let p = root().key("api_keys").index(i);
        let Some(acct) = b.account(cx, &k.account, p.key("account")) else {
            continue;
        };
        let id = k.id.clone().unwrap_or_else(|| {
            const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
            (0..4)
                .map(|_| A[rng.random_range(0..A.len())] as char)
                .collect()
        });
        let name = format!("BedrockAPIKey-{id}");
        check_iam_name(cx, "API key user name", &name, p.key("id"));
        if seen_users.insert((acct, name.to_lowercase()), i).is_some() {
            cx.problem(
                p.key("id"),
                format!("`{name}` is defined twice in this account"),
                "give each key a distinct id",
            );
        }
        let tags = to_tags(&k.tags);
        let arn = format!("arn:aws:iam::{}:user/{}", b.accounts[acct].id, name);
        let c = b.push_caller(Caller {
            arn: arn.into(),
            identity: IdentityKind::BedrockApiKey,
            pattern: AccessPattern::ApiKey,
            account: acct,
            tags: tags.clone(),
            session_keys: vec![],
            principal_tags: tags,
            gateway: None,
            active_day: None,
        });
        let r = b.push_requester(vec![(c, 1.0)]);
        b.selectables.push(Selectable {
            target: Target::ApiKey,
            account: acct,
            name: id.clone(),
            sub: vec![name],
            requester: r,
            caller: Some(c),
        });
    }
    // Roles, and scenario 2: application sessions.
    let mut roles: HashMap<(usize, String), usize> = HashMap::new();
    for (i, r) in f.roles.iter().enumerate() {
        let p = root().key("roles").index(i);
        let Some(acct) = b.account(cx, &r.account, p.key("account")) else {
            continue;
        };
        check_iam_name(cx, "role name", &r.name, p.key("name"));
        check_iam_path(cx, &r.path, p.key("path"));
        if roles.insert((acct, r.name.to_lowercase()), i).is_some() {
            cx.problem(
                p.key("name"),
                format!("role `{}` is defined twice in this account", r.name),
                "role names are unique per account, ignoring case",
            );
        }
        let Some(naming) = &r.sessions else { continue };
        let sessions = app_sessions(
            cx,
            naming,
            &r.name,
            &format!("role:{}:{}", acct, r.name),
            &b.days.clone(),
            p.key("sessions"),
        );
        let role_tags = to_tags(&r.tags);
        let (tags, session_keys) = overlay(&role_tags, &to_tags(&r.session_tags), b.spelling);
        let mut callers = Vec::new();
        let mut subs = Vec::new();
        for (s, day) in &sessions {
            let arn = b.session_arn(acct, &r.name, s);
            let c = b.push_caller(Caller {
                arn: arn.into(),
                identity: IdentityKind::AssumedRole,
                pattern: AccessPattern::AppRole,
                account: acct,
                tags: tags.clone(),
                session_keys: session_keys.clone(),
                principal_tags: role_tags.clone(),
                gateway: None,
                active_day: *day,
            });
            callers.push((c, *day));
            subs.push((s.clone(), c));
        }
        let per_day = matches!(naming, SessionNaming::Batch { .. });
        let weights: Vec<(usize, f64)> = if per_day {
            let jobs = match naming {
                SessionNaming::Batch { jobs_per_day, .. } => f64::from(*jobs_per_day),
                _ => 1.0,
            };
            callers.iter().map(|(c, _)| (*c, 1.0 / jobs)).collect()
        } else {
            let n = callers.len().max(1) as f64;
            callers.iter().map(|(c, _)| (*c, 1.0 / n)).collect()
        };
        let req = b.push_requester(weights);
        let single = if subs.len() == 1 {
            Some(subs[0].1)
        } else {
            None
        };
        b.selectables.push(Selectable {
            target: Target::Role,
            account: acct,
            name: r.name.clone(),
            sub: vec![],
            requester: req,
            caller: single,
        });
        for (s, c) in subs {
            let rr = b.push_requester(vec![(c, 1.0)]);
            b.selectables.push(Selectable {
                target: Target::RoleSession,
                account: acct,
                name: r.name.clone(),
                sub: vec![s],
                requester: rr,
                caller: Some(c),
            });
        }
    }
    let find_role = |acct: usize, name: &str| {
        f.roles.iter().find(|r| {
            r.name.eq_ignore_ascii_case(name)
                && (r.account == b.accounts[acct].id || r.account == b.accounts[acct].name)
        })
    };
    // Scenario 3: identity providers.
    for (i, idp) in f.identity_providers.iter().enumerate() {
        let p = root().key("identity_providers").index(i);
        let Some(acct) = b.account(cx, &idp.account, p.key("account")) else {
            continue;
        };
        let (role_name, role_spec) = match idp.kind {
            IdpKind::IdentityCenter => {
                let ps = idp
                    .permission_set
                    .clone()
                    .unwrap_or_else(|| "BedrockUsers".into());
                if ps.is_empty()
                    || ps.len() > 32
                    || !ps
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
                {
                    cx.problem(
                        p.key("permission_set"),
                        format!("permission set `{ps}` is not valid"),
                        "permission set names are 1-32 characters of letters, digits and _+=,.@-",
                    );
                }
                let mut r = seed::named(cx.seed, &format!("sso:{}:{ps}", b.accounts[acct].id));
                (
                    format!("AWSReservedSSO_{ps}_{}", seed::hex(&mut r, 16)),
                    None,
                )
            }
            _ => {
                let Some(role) = idp.role.clone() else {
                    cx.problem(
                        p.clone(),
                        format!("identity provider `{}` has no role", idp.name),
                        "set role = \"<shared role name>\"",
                    );
                    continue;
                };
                check_iam_name(cx, "role name", &role, p.key("role"));
                let spec = find_role(acct, &role);
                (role, spec)
            }
        };
        if idp.kind == IdpKind::IdentityCenter && idp.role.is_some() {
            cx.problem(
                p.key("role"),
                "Identity Center roles are named by AWS",
                "set permission_set instead of role",
            );
        }
        if idp.claim_form.is_some() && idp.kind != IdpKind::EntraOidc {
            cx.problem(
                p.key("claim_form"),
                "claim_form applies to OIDC (entra-oidc) only",
                "remove claim_form",
            );
        }
        if !idp.session_tags.is_empty() {
            if let Some(spec) = role_spec {
                if !spec.trust_allows_tag_session {
                    cx.problem(p.key("session_tags"), format!("role `{role_name}` does not allow sts:TagSession, so the IdP's session tags would make the federation call fail"), format!("set trust_allows_tag_session = true on role `{role_name}`"));
                }
            }
        }
        check_session_tag_keys(cx, &idp.session_tags, &p.key("session_tags"));
        for (j, k) in idp.transitive_keys.iter().enumerate() {
            if !idp.session_tags.contains_key(k) {
                cx.problem(
                    p.key("transitive_keys").index(j),
                    format!("transitive key `{k}` is not one of the session tags"),
                    "list only keys of session_tags",
                );
            }
        }
        let chain = match &idp.chain_to {
            Some(c) => {
                let spec = find_role(acct, c);
                if spec.is_none() {
                    cx.problem(
                        p.key("chain_to"),
                        format!("role `{c}` is not defined in [[roles]] of this account"),
                        "define the chained role",
                    );
                }
                spec
            }
            None => None,
        };
        if chain.is_some() && !idp.transitive_keys.is_empty() {
            if let Some(spec) = chain {
                if !spec.trust_allows_tag_session {
                    cx.problem(p.key("chain_to"), format!("chained role `{}` does not allow sts:TagSession, so transitive tags make the chain fail", spec.name), "set trust_allows_tag_session = true on the chained role");
                }
            }
        }
        let users = users_of(cx, &idp.users, &format!("idp:{}", idp.name), p.key("users"));
        let base_tags = role_spec.map(|r| to_tags(&r.tags)).unwrap_or_default();
        let pattern = AccessPattern::from(idp.kind);
        let identity = if idp.kind == IdpKind::IdentityCenter {
            IdentityKind::IdentityCenter
        } else {
            IdentityKind::AssumedRole
        };
        let mut seen_sessions = BTreeSet::new();
        for (j, u) in users.iter().enumerate() {
            let raw = match idp.session_name {
                SessionNameSource::Email => &u.email,
                SessionNameSource::Username => &u.name,
            };
            let session = raw.clone();
            if check_session_name(&session).is_err() {
                cx.problem(p.key("users").key("list").index(j), format!("session name `{session}` breaks the STS rules (2-64 characters of letters, digits and _+=,.@-)"), "shorten the user's email/name or use session_name = \"username\"");
                continue;
            }
            if !seen_sessions.insert(session.clone()) {
                cx.problem(
                    p.key("users"),
                    format!("two users share the session name `{session}`"),
                    "give users distinct emails/names",
                );
                continue;
            }
            let st = session_tags_from(&idp.session_tags, &u.attributes);
            let (mut tags, mut skeys) = overlay(&base_tags, &st, b.spelling);
            let mut role_for_arn = role_name.clone();
            let mut ptags = base_tags.clone();
            if let Some(chain) = chain {
                let transitive: Tags = st
                    .iter()
                    .filter(|(k, _)| idp.transitive_keys.contains(k))
                    .cloned()
                    .collect();
                ptags = to_tags(&chain.tags);
                let (t, k) = overlay(&ptags, &transitive, b.spelling);
                tags = t;
                skeys = k;
                role_for_arn = chain.name.clone();
            }
            let arn = b.session_arn(acct, &role_for_arn, &session);
            let c = b.push_caller(Caller {
                arn: arn.into(),
                identity,
                pattern,
                account: acct,
                tags,
                session_keys: skeys,
                principal_tags: ptags,
                gateway: None,
                active_day: None,
            });
            let r = b.push_requester(vec![(c, 1.0)]);
            b.selectables.push(Selectable {
                target: Target::IdpUser,
                account: acct,
                name: idp.name.clone(),
                sub: vec![session, u.name.clone(), u.email.clone()],
                requester: r,
                caller: Some(c),
            });
        }
    }
    // Scenario 4: gateways.
    for (i, g) in f.gateways.iter().enumerate() {
        let p = root().key("gateways").index(i);
        let Some(acct) = b.account(cx, &g.account, p.key("account")) else {
            continue;
        };
        check_iam_name(cx, "role name", &g.execution_role, p.key("execution_role"));
        check_iam_name(
            cx,
            "role name",
            &g.invocation_role,
            p.key("invocation_role"),
        );
        if g.credential_ttl_minutes < 15 || g.credential_ttl_minutes > 60 {
            cx.problem(p.key("credential_ttl_minutes"), format!("{} minutes is outside 15..60", g.credential_ttl_minutes), "STS sessions last at least 15 minutes, and role chaining (gateway role → invocation role) caps them at 1 hour");
        }
        let exec_spec = find_role(acct, &g.execution_role);
        let inv_spec = find_role(acct, &g.invocation_role);
        if g.per_user_sessions && !g.session_tags.is_empty() {
            match inv_spec {
                Some(s) if s.trust_allows_tag_session => {}
                _ => cx.problem(
                    p.key("session_tags"),
                    format!(
                        "invocation role `{}` must allow sts:TagSession for per-user session tags",
                        g.invocation_role
                    ),
                    format!(
                        "define role `{}` in [[roles]] with trust_allows_tag_session = true",
                        g.invocation_role
                    ),
                ),
            }
        }
        check_session_tag_keys(cx, &g.session_tags, &p.key("session_tags"));
        if !g.per_user_sessions && !g.session_tags.is_empty() {
            cx.problem(
                p.key("session_tags"),
                "session tags without per-user sessions have no effect",
                "set per_user_sessions = true or remove session_tags",
            );
        }
        let users = users_of(cx, &g.users, &format!("gw:{}", g.name), p.key("users"));
        if users.is_empty() {
            cx.problem(
                p.key("users"),
                "the gateway has no users",
                "set users.count or list users",
            );
        }
        let gi = b.gateways.len();
        let exec_tags = exec_spec.map(|r| to_tags(&r.tags)).unwrap_or_default();
        let naming = exec_spec
            .and_then(|r| r.sessions.clone())
            .unwrap_or(SessionNaming::Ecs { tasks: 2 });
        // When the execution role also runs as an app (scenario 2), reuse those callers.
        let exec_callers: Vec<usize> = {
            let existing: Vec<usize> = b
                .selectables
                .iter()
                .filter(|s| {
                    s.target == Target::RoleSession
                        && s.account == acct
                        && s.name.eq_ignore_ascii_case(&g.execution_role)
                })
                .filter_map(|s| s.caller)
                .collect();
            if !existing.is_empty() {
                existing
            } else {
                let sessions = app_sessions(
                    cx,
                    &naming,
                    &g.execution_role,
                    &format!("gwexec:{}", g.name),
                    &b.days.clone(),
                    p.key("execution_role"),
                );
                sessions
                    .into_iter()
                    .map(|(s, day)| {
                        let arn = b.session_arn(acct, &g.execution_role, &s);
                        b.push_caller(Caller {
                            arn: arn.into(),
                            identity: IdentityKind::AssumedRole,
                            pattern: AccessPattern::Gateway,
                            account: acct,
                            tags: exec_tags.clone(),
                            session_keys: vec![],
                            principal_tags: exec_tags.clone(),
                            gateway: Some(gi),
                            active_day: day,
                        })
                    })
                    .collect()
            }
        };
        let inv_tags = inv_spec.map(|r| to_tags(&r.tags)).unwrap_or_default();
        let mut per_session: BTreeMap<String, usize> = BTreeMap::new();
        for (j, u) in users.iter().enumerate() {
            let (callers, session) = if g.per_user_sessions {
                let id = match g.session_name_from {
                    GatewaySessionKey::User => u.name.clone(),
                    GatewaySessionKey::Tenant => match u.attributes.get("tenant") {
                        Some(t) => t.clone(),
                        None => {
                            cx.problem(p.key("users").key("list").index(j), format!("user `{}` has no `tenant` attribute", u.name), "per-tenant sessions are named after the `tenant` attribute; add it");
                            continue;
                        }
                    },
                };
                let session = sanitize_session_name(&format!("{}{}", g.session_name_prefix, id));
                let c = match per_session.get(&session) {
                    Some(c) => *c,
                    None => {
                        let st = session_tags_from(&g.session_tags, &u.attributes);
                        let (tags, skeys) = overlay(&inv_tags, &st, b.spelling);
                        let arn = b.session_arn(acct, &g.invocation_role, &session);
                        let c = b.push_caller(Caller {
                            arn: arn.into(),
                            identity: IdentityKind::AssumedRole,
                            pattern: AccessPattern::Gateway,
                            account: acct,
                            tags,
                            session_keys: skeys,
                            principal_tags: inv_tags.clone(),
                            gateway: Some(gi),
                            active_day: None,
                        });
                        per_session.insert(session.clone(), c);
                        c
                    }
                };
                (vec![(c, 1.0)], Some((session, c)))
            } else {
                let n = exec_callers.len().max(1) as f64;
                (exec_callers.iter().map(|c| (*c, 1.0 / n)).collect(), None)
            };
            let r = b.push_requester(callers);
            let mut sub = vec![u.name.clone()];
            let caller = match session {
                Some((s, c)) => {
                    sub.push(s);
                    Some(c)
                }
                None => exec_callers.first().copied(),
            };
            b.selectables.push(Selectable {
                target: Target::GatewayUser,
                account: acct,
                name: g.name.clone(),
                sub,
                requester: r,
                caller,
            });
        }
        let exec_arn = b.role_arn(acct, &g.execution_role);
        let inv_arn = b.role_arn(acct, &g.invocation_role);
        b.gateways.push(GatewayPlan {
            name: g.name.clone(),
            account: acct,
            per_user_sessions: g.per_user_sessions,
            invocation_role_arn: inv_arn,
            execution_role_arn: exec_arn,
            expected_principals: if g.per_user_sessions {
                per_session.len() as u64
            } else {
                0
            },
        });
    }
    let total = b.callers.len() as u64;
    if total > MAX_PRINCIPALS {
        cx.problem(
            root(),
            format!("the scenario makes {total} principals, more than {MAX_PRINCIPALS}"),
            "lower user counts or --scale",
        );
    }
}

/// Resolve selectors to requesters (for workloads).
fn select(cx: &mut Ctx<'_>, b: &Builder<'_>, sel: &str, path: Path) -> Vec<usize> {
    let is_account = |a: &str| b.accounts.iter().any(|x| x.id == a || x.name == a);
    let s = match selector::parse(sel, is_account) {
        Ok(s) => s,
        // `<account>/<kind>:...` with an account nobody defined: say so, rather than report
        // `<account>/<kind>` as an unknown kind.
        Err(SelectorError::UnknownAccount(a)) => {
            let known: Vec<String> = b
                .accounts
                .iter()
                .map(|x| format!("{} ({})", x.id, x.name))
                .collect();
            cx.problem(
                path,
                format!("selector `{sel}` names unknown account `{a}`"),
                format!(
                    "use the id or name of an account in [organization]: {}",
                    known.join(", ")
                ),
            );
            return vec![];
        }
        Err(SelectorError::NoKind) => {
            cx.problem(
                path,
                format!("selector `{sel}` has no kind"),
                "write user:<name>, api-key:<id>, role:<name>, idp:<name> or gateway:<name>",
            );
            return vec![];
        }
        Err(SelectorError::UnknownKind(kind)) => {
            cx.problem(
                path,
                format!("unknown selector kind `{kind}`"),
                "use user, api-key, role, idp or gateway",
            );
            return vec![];
        }
    };
    let account = s
        .account
        .and_then(|a| b.accounts.iter().position(|x| x.id == a || x.name == a));
    let found: Vec<usize> = b
        .selectables
        .iter()
        .filter(|x| s.finds(x, account))
        .map(|x| x.requester)
        .collect();
    if found.is_empty() {
        let hint = if s.kind == SelectorKind::Role {
            "name a role defined in [[roles]] that has `sessions`, or a gateway/IdP instead"
        } else {
            "check the name; selectors match names defined in this file"
        };
        cx.problem(path, format!("selector `{sel}` matches no principal"), hint);
    }
    found
}

fn resolve_workloads(
    cx: &mut Ctx<'_>,
    models: &[Model],
    export: Option<&ExportPlan>,
) -> Vec<Workload> {
    let f = cx.file;
    let mut out = Vec::new();
    let (first_day, last_day) = export
        .and_then(|e| {
            Some((
                e.periods.first()?.start / 86_400,
                e.periods.last()?.end / 86_400 - 1,
            ))
        })
        .unwrap_or((0, 0));
    for (i, w) in f.workloads.iter().enumerate() {
        let p = root().key("workloads").index(i);
        let Some(model) = models.iter().position(|m| m.id == w.model) else {
            let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
            cx.problem(
                p.key("model"),
                format!("unknown model `{}`", w.model),
                format!("use one of: {}, or add it under [[models]]", ids.join(", ")),
            );
            continue;
        };
        let m = &models[model];
        let Some(region_code) = bedrock::region_code(&w.region) else {
            cx.problem(
                p.key("region"),
                format!("unknown region `{}`", w.region),
                "use a commercial region such as us-east-1 or eu-central-1",
            );
            continue;
        };
        if !(w.requests_per_day >= 0.0 && w.requests_per_day <= 1e7) {
            cx.problem(
                p.key("requests_per_day"),
                format!(
                    "{} requests per day is outside 0..10,000,000",
                    w.requests_per_day
                ),
                "use a realistic rate per principal",
            );
        }
        for (key, d) in [
            ("input_tokens", w.input_tokens),
            ("output_tokens", w.output_tokens),
        ] {
            if !(d.mean >= 1.0 && d.mean <= 2e6 && (0.0..=5.0).contains(&d.cv)) {
                cx.problem(
                    p.key(key),
                    format!(
                        "token distribution mean {} / cv {} is out of range",
                        d.mean, d.cv
                    ),
                    "mean is 1..2,000,000 tokens, cv 0..5",
                );
            }
        }
        let shares = [
            ("cache_read_share", w.cache_read_share),
            ("cache_write_share", w.cache_write_share),
            ("cache_write_1h_share", w.cache_write_1h_share),
            ("streaming_share", w.streaming_share),
            ("batch_share", w.batch_share),
            ("global_share", w.global_share),
        ];
        for (key, s) in shares {
            if !(0.0..=1.0).contains(&s) {
                cx.problem(
                    p.key(key),
                    format!("{key} {s} is outside 0..1"),
                    "write a share between 0 and 1",
                );
            }
        }
        if w.cache_read_share + w.cache_write_share + w.cache_write_1h_share > 1.0 {
            cx.problem(
                p.key("cache_read_share"),
                "cache shares add up to more than 1",
                "the three cache shares split one prompt",
            );
        }
        for (key, t, s) in [
            ("cache_read_share", TokenType::CacheRead, w.cache_read_share),
            (
                "cache_write_share",
                TokenType::CacheWrite,
                w.cache_write_share,
            ),
            (
                "cache_write_1h_share",
                TokenType::CacheWrite1h,
                w.cache_write_1h_share,
            ),
        ] {
            if s > 0.0 && m.base_price(t).is_none() {
                cx.problem(
                    p.key(key),
                    format!("{} has no {} price", m.display_name, t.as_str()),
                    "set the share to 0 or add the price under [[models]]",
                );
            }
        }
        if m.billing == BillingForm::Marketplace && w.service_tier != ServiceTier::Standard {
            cx.problem(
                p.key("service_tier"),
                "priority and flex tiers are modelled for AWS-billed (form A) models only",
                "use service_tier = \"standard\" or billing = \"aws\"",
            );
        } else if let Some((msg, hint)) = catalog::tier_problem(models, m, w.service_tier) {
            cx.problem(p.key("service_tier"), msg, hint);
        } else if w.batch_share > 0.0 && w.service_tier != ServiceTier::Standard {
            cx.problem(
                p.key("batch_share"),
                "batch requests in the priority or flex tier: batch inference is a tier of its own",
                "set batch_share = 0 here and put batch traffic in a standard-tier workload",
            );
        }
        if w.weekday_shape.len() != 7 || w.weekday_shape.iter().any(|x| x.is_nan() || *x < 0.0) {
            cx.problem(
                p.key("weekday_shape"),
                "weekday_shape needs 7 non-negative weights, Monday first",
                "e.g. [1, 1, 1, 1, 1, 0.25, 0.25]",
            );
        }
        let hours = match &w.hour_shape {
            HourShape::Named(n) => match n.as_str() {
                "flat" => [1.0; 24],
                "business" => {
                    let mut h = [0.05; 24];
                    for (i, x) in h.iter_mut().enumerate() {
                        if (13..=22).contains(&i) {
                            *x = 1.0;
                        }
                    }
                    h
                }
                "nightly" => {
                    let mut h = [0.02; 24];
                    for x in h.iter_mut().take(6) {
                        *x = 1.0;
                    }
                    h
                }
                other => {
                    cx.problem(
                        p.key("hour_shape"),
                        format!("unknown hour shape `{other}`"),
                        "use business, flat, nightly or 24 weights",
                    );
                    [1.0; 24]
                }
            },
            HourShape::Weights(v)
                if v.len() == 24 && v.iter().all(|x| *x >= 0.0) && v.iter().sum::<f64>() > 0.0 =>
            {
                let mut h = [0.0; 24];
                h.copy_from_slice(v);
                h
            }
            HourShape::Weights(_) => {
                cx.problem(
                    p.key("hour_shape"),
                    "hour_shape needs 24 non-negative weights with a positive sum",
                    "list one weight per UTC hour, 0 to 23",
                );
                [1.0; 24]
            }
        };
        let total: f64 = hours.iter().sum();
        let hours = hours.map(|h| h / total);
        let mut weekday = [1.0; 7];
        if w.weekday_shape.len() == 7 {
            weekday.copy_from_slice(&w.weekday_shape);
        }
        let mut day = |s: &Option<String>, key: &str, default: i64| match s {
            None => default,
            Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => day_of(d),
                Err(_) => {
                    cx.problem(
                        p.key(key),
                        format!("`{s}` is not a date"),
                        "write YYYY-MM-DD",
                    );
                    default
                }
            },
        };
        let days = (
            day(&w.start, "start", first_day),
            day(&w.end, "end", last_day),
        );
        if days.0 > days.1 {
            cx.problem(
                p.key("end"),
                "the workload ends before it starts",
                "swap start and end",
            );
        }
        for (key, d) in [("start", days.0), ("end", days.1)] {
            if export.is_some() && (d < first_day || d > last_day) {
                cx.problem(
                    p.key(key),
                    format!(
                        "{key} {} is outside the billing periods",
                        &rfc3339(d * 86_400)[..10]
                    ),
                    "pick a day inside the listed billing periods, or add its month",
                );
            }
        }
        out.push(Workload {
            model,
            region: w.region.clone(),
            region_code,
            requests_per_day: w.requests_per_day,
            input: w.input_tokens,
            output: w.output_tokens,
            cache_shares: [
                w.cache_read_share,
                w.cache_write_share,
                w.cache_write_1h_share,
            ],
            streaming_share: w.streaming_share,
            batch_share: w.batch_share,
            tier: w.service_tier,
            global_share: w.global_share,
            weekday,
            hours,
            days,
        });
    }
    out
}

fn resolve_streams(cx: &mut Ctx<'_>, b: &Builder<'_>) -> Vec<Stream> {
    let mut out = Vec::new();
    for (i, w) in cx.file.workloads.iter().enumerate() {
        if w.principals.is_empty() {
            cx.problem(
                root().key("workloads").index(i).key("principals"),
                "no principals",
                "list selectors such as \"user:alice\" or \"idp:okta\"",
            );
        }
        let mut seen = BTreeSet::new();
        for (j, sel) in w.principals.iter().enumerate() {
            for r in select(
                cx,
                b,
                sel,
                root().key("workloads").index(i).key("principals").index(j),
            ) {
                if seen.insert(r) {
                    out.push(Stream {
                        requester: r,
                        workload: i,
                    });
                }
            }
        }
    }
    // Workloads that failed to resolve are absent from the plan; drop their streams.
    out.retain(|s| s.workload < cx.file.workloads.len());
    out
}

fn resolve_requests(
    cx: &mut Ctx<'_>,
    b: &Builder<'_>,
    models: &[Model],
    export: Option<&ExportPlan>,
) -> Vec<ExplicitRequest> {
    let mut out = Vec::new();
    for (i, r) in cx.file.requests.iter().enumerate() {
        let p = root().key("requests").index(i);
        let Some(ts) = parse_instant(&r.time) else {
            cx.problem(
                p.key("time"),
                format!("`{}` is not a time", r.time),
                "write RFC 3339, e.g. \"2026-04-20T10:15:00Z\"",
            );
            continue;
        };
        // A period that failed to parse is already reported; judging times against the
        // remaining ones would add a misleading second problem per request.
        let periods_ok =
            export.is_some_and(|e| e.periods.len() == cx.file.export.billing_periods.len());
        if let (Some(e), true) = (export, periods_ok) {
            if !e.periods.iter().any(|per| ts >= per.start && ts < per.end) {
                cx.problem(
                    p.key("time"),
                    format!("{} is outside the billing periods", r.time),
                    "move the request into a listed billing period or add its month",
                );
            }
        }
        let requesters = select(cx, b, &r.principal, p.key("principal"));
        let callers: BTreeSet<usize> = requesters
            .iter()
            .flat_map(|q| b.requesters[*q].callers.iter().map(|(c, _)| *c))
            .collect();
        let caller = match callers.len() {
            0 => continue,
            1 => callers.into_iter().next().unwrap_or(0),
            n => {
                cx.problem(
                    p.key("principal"),
                    format!(
                        "`{}` matches {n} principals; an explicit request needs exactly one",
                        r.principal
                    ),
                    "name one session, e.g. role:Role-1/session-123",
                );
                continue;
            }
        };
        let Some(model) = models.iter().position(|m| m.id == r.model) else {
            cx.problem(
                p.key("model"),
                format!("unknown model `{}`", r.model),
                "use a catalogue id such as claude-sonnet-4.6",
            );
            continue;
        };
        let Some(region_code) = bedrock::region_code(&r.region) else {
            cx.problem(
                p.key("region"),
                format!("unknown region `{}`", r.region),
                "use e.g. us-east-1",
            );
            continue;
        };
        let tokens = [
            r.input_tokens,
            r.output_tokens,
            r.cache_read_tokens,
            r.cache_write_tokens,
            r.cache_write_1h_tokens,
        ];
        if tokens.iter().any(|t| *t > 1_000_000_000) {
            cx.problem(
                p.clone(),
                "more than 10^9 tokens in one request",
                "split it; one request carries at most a few million tokens",
            );
        }
        for (t, n) in TokenType::ALL.iter().zip(tokens) {
            if n > 0 && models[model].base_price(*t).is_none() {
                cx.problem(
                    p.clone(),
                    format!("{} has no {} price", models[model].display_name, t.as_str()),
                    "remove those tokens or add the price under [[models]]",
                );
            }
        }
        if let Some((msg, hint)) = catalog::tier_problem(models, &models[model], r.service_tier) {
            cx.problem(p.key("service_tier"), msg, hint);
        } else if r.batch && r.service_tier != ServiceTier::Standard {
            cx.problem(
                p.key("batch"),
                "a batch request in the priority or flex tier: batch inference is a tier of its own",
                "set batch = false or service_tier = \"standard\"",
            );
        }
        if let Some(day) = b.callers[caller].active_day {
            if ts / 86_400 != day {
                cx.problem(
                    p.key("time"),
                    "the batch-job session does not exist on that day",
                    "pick the job session of the request's day",
                );
            }
        }
        out.push(ExplicitRequest {
            ts,
            caller,
            model,
            region: r.region.clone(),
            region_code,
            tokens,
            streaming: r.streaming,
            batch: r.batch,
            global: r.global,
            tier: r.service_tier,
        });
    }
    out.sort_by_key(|r| r.ts);
    out
}

fn resolve_activations(cx: &mut Ctx<'_>) -> Vec<ActivationPlan> {
    let mut out: Vec<ActivationPlan> = Vec::new();
    for (i, a) in cx.file.cost_allocation_tags.iter().enumerate() {
        let p = root().key("cost_allocation_tags").index(i);
        if let Err(e) = tags::check_key(&a.key) {
            cx.problem(
                p.key("key"),
                format!("tag key `{}`: {e}", a.key),
                "activate the bare key, e.g. \"team\" (curlab adds the iamPrincipal/ prefix)",
            );
        }
        if a.key.starts_with("iamPrincipal/") || a.key.starts_with("resourceTags/") {
            cx.problem(
                p.key("key"),
                "write the key without its source prefix",
                "e.g. key = \"team\" with source = \"iam-principal\"",
            );
        }
        let Some(activated) = parse_instant(&a.activated_at) else {
            cx.problem(
                p.key("activated_at"),
                format!("`{}` is not a date or time", a.activated_at),
                "write YYYY-MM-DD or RFC 3339",
            );
            continue;
        };
        let (lo, hi) = (month_start(2020, 1), month_start(2036, 1));
        if activated < lo || activated >= hi {
            cx.problem(
                p.key("activated_at"),
                format!("{} is outside 2020-2035", a.activated_at),
                "cost allocation tags for IAM principals exist since 2026; use a date near the billing periods",
            );
        }
        if a.effect_delay_hours > 24 * 14 {
            cx.problem(
                p.key("effect_delay_hours"),
                "more than two weeks until activation takes effect",
                "AWS documents up to 24 h (48 h in the blog)",
            );
        }
        let backfill = match &a.backfill_from {
            None => None,
            Some(s) => match parse_month(s) {
                Some((y, m)) => {
                    let t = month_start(y, m);
                    if t > activated {
                        cx.problem(
                            p.key("backfill_from"),
                            "the backfill starts after the activation",
                            "backfill re-applies tags to earlier months",
                        );
                    }
                    if activated - t > 366 * 86_400 {
                        cx.problem(
                            p.key("backfill_from"),
                            "backfill reaches back more than 12 months",
                            "AWS backfills at most 12 months",
                        );
                    }
                    Some(t)
                }
                None => {
                    cx.problem(
                        p.key("backfill_from"),
                        format!("`{s}` is not a month"),
                        "write YYYY-MM (backfill starts on the first of a month)",
                    );
                    None
                }
            },
        };
        if out.iter().any(|o| o.key == a.key && o.source == a.source) {
            cx.problem(
                p.key("key"),
                format!("key `{}` is activated twice", a.key),
                "list each key once",
            );
        }
        out.push(ActivationPlan {
            key: a.key.clone(),
            source: a.source,
            activated,
            effective: activated + i64::from(a.effect_delay_hours) * 3600,
            backfill,
        });
    }
    out
}

fn resolve_background(cx: &mut Ctx<'_>, accounts: &[Account]) -> Vec<BackgroundPlan> {
    let mut out = Vec::new();
    for (i, bg) in cx.file.background.iter().enumerate() {
        let p = root().key("background").index(i);
        let Some(acct) = accounts
            .iter()
            .position(|a| a.id == bg.account || a.name == bg.account)
        else {
            cx.problem(
                p.key("account"),
                format!("unknown account `{}`", bg.account),
                "use the id or name of an account in [organization]",
            );
            continue;
        };
        if bedrock::region_code(&bg.region).is_none() {
            cx.problem(
                p.key("region"),
                format!("unknown region `{}`", bg.region),
                "use e.g. us-east-1",
            );
            continue;
        }
        let n = scaled(u64::from(bg.resources), cx.scale);
        if n > 100_000 {
            cx.problem(
                p.key("resources"),
                format!("{n} resources is more than curlab generates per entry (100,000)"),
                "lower resources or --scale",
            );
            continue;
        }
        let mut rng = seed::named(cx.seed, &format!("bg:{i}"));
        let id = &accounts[acct].id;
        let resources = (0..n)
            .map(|k| match bg.service {
                BackgroundService::Ec2 => format!("i-0{}", seed::hex(&mut rng, 16)),
                BackgroundService::S3 => format!(
                    "{}-data-{k}-{}",
                    accounts[acct]
                        .name
                        .to_lowercase()
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::Lambda => format!(
                    "arn:aws:lambda:{}:{id}:function:fn-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::Cloudwatch => {
                    format!("arn:aws:logs:{}:{id}:log-group:/app/service-{k}", bg.region)
                }
                BackgroundService::DataTransfer => format!("i-0{}", seed::hex(&mut rng, 16)),
                BackgroundService::Rds => {
                    format!(
                        "arn:aws:rds:{}:{id}:db:db-{k}-{}",
                        bg.region,
                        seed::hex(&mut rng, 6)
                    )
                }
                BackgroundService::Eks => format!(
                    "arn:aws:eks:{}:{id}:cluster/cluster-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::Ses => format!(
                    "arn:aws:ses:{}:{id}:identity/mail{k}.example.com",
                    bg.region
                ),
                BackgroundService::Sns => format!(
                    "arn:aws:sns:{}:{id}:topic-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::Sqs => format!(
                    "arn:aws:sqs:{}:{id}:queue-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::SecretsManager => format!(
                    "arn:aws:secretsmanager:{}:{id}:secret:app/secret-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
            })
            .collect();
        out.push(BackgroundPlan {
            service: bg.service,
            account: acct,
            region: bg.region.clone(),
            resources,
            tags: to_tags(&bg.resource_tags),
        });
    }
    out
}
