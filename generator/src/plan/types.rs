//! What a resolved scenario is: the [`Plan`] and its parts. Indices between the parts
//! (a caller's account, a stream's requester and workload) are positions in the plan's
//! vectors, fixed once resolved.

use std::sync::Arc;

use chrono::NaiveDate;
use curlab_vocab::arn::IdentityKind;
use curlab_vocab::bedrock::ServiceTier;
use curlab_vocab::columns::TableConfig;
use curlab_vocab::tags;
use curlab_vocab::Granularity;
use curlab_vocab::Money;

use crate::catalog::Model;
use crate::scenario::model::{
    AdjustmentKind, Assumptions, BackgroundService, Delivery, DiscountRepresentation, ExportFormat,
    TagSource, TaxSpec, TokenDist,
};
use crate::time::Ts;

use super::patterns::kind::AccessPattern;

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
    pub format: ExportFormat,
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
    /// One payer's export of a scenario with several payers (`[[organization.payers]]`): the
    /// truth file names the payer.
    pub several_payers: bool,
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

/// An identity as it reaches Bedrock: one ARN with one effective tag set. Its tag sets and
/// session keys are indices into tables of the plan shared by every caller
/// ([`Plan::tag_set`], [`Plan::key_set`]): a population of 200k users has a few dozen
/// distinct sets, and a caller owns only its ARN.
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
    /// Effective tags: principal tags overlaid by session and transitive tags (unprefixed);
    /// a [`Plan::tag_set`] index.
    pub tags: u32,
    /// Keys (as in `tags`) whose value came from a session or transitive tag; a
    /// [`Plan::key_set`] index.
    pub session_keys: u32,
    /// The underlying user's or role's own tags; a [`Plan::tag_set`] index.
    pub principal_tags: u32,
    /// Gateway index, when a gateway makes the calls.
    pub gateway: Option<u32>,
    /// For per-job sessions: the only day (days since epoch) the session exists. `i32` (an
    /// `Option<i64>` made every caller 16 bytes larger; see [`Caller::exists_on`]).
    pub active_day: Option<i32>,
}

impl Caller {
    /// Whether the caller exists on `day` (days since epoch): always, except a per-job
    /// session, on its one day.
    pub fn exists_on(&self, day: i64) -> bool {
        self.active_day.is_none_or(|d| i64::from(d) == day)
    }
}

/// A day (days since epoch) as a [`Caller::active_day`]; days outside `i32` (beyond any
/// scenario's dates) saturate.
pub(crate) fn caller_day(day: i64) -> i32 {
    i32::try_from(day).unwrap_or(if day < 0 { i32::MIN } else { i32::MAX })
}

/// A source of requests (a user, a key, an application, an end user behind a gateway) and
/// the callers its requests go out as.
#[derive(Debug, Clone)]
pub struct Requester {
    /// `(caller index, weight)`; weights sum to 1 (per active day for per-job sessions).
    /// Shared: every end user of a gateway without per-user sessions sends as the same
    /// execution-role sessions (200 of them for each of 20k users at `enterprise --scale
    /// 100`, 67 MiB when each held its own copy).
    pub callers: Arc<[(usize, f64)]>,
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
    /// Application inference profile: index + 1 into [`Plan::profiles`], 0 for none.
    pub profile: u16,
    /// Global cross-region share.
    pub global_share: f64,
    /// Monday..Sunday weights.
    pub weekday: [f64; 7],
    /// Hour weights, normalised to sum 1.
    pub hours: [f64; 24],
    /// First and last day (days since epoch, inclusive).
    pub days: (i64, i64),
}

/// A stream of requests: one requester running one workload. 8 bytes (a plan holds one per
/// requester and workload: 240k at `enterprise --scale 100`).
#[derive(Debug, Clone, Copy)]
pub struct Stream {
    /// Requester index ([`Stream::requester`]).
    pub requester: u32,
    /// Workload index ([`Stream::workload`]).
    pub workload: u32,
}

impl Stream {
    /// Index into [`Plan::requesters`].
    pub fn requester(&self) -> usize {
        self.requester as usize
    }

    /// Index into [`Plan::workloads`].
    pub fn workload(&self) -> usize {
        self.workload as usize
    }
}

/// Token counts by [`TokenType`](curlab_vocab::bedrock::TokenType) order.
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
    pub(crate) fn applies_at(&self, t: Ts) -> bool {
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
    /// Guardrails with `guardrail_principal = "caller"`: the caller index its rows carry.
    pub caller: Option<usize>,
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
    /// The callers' distinct tag sets (index 0 is the empty set).
    pub tag_sets: Vec<Tags>,
    /// The callers' distinct sets of session keys (index 0 is the empty set).
    pub key_sets: Vec<Vec<String>>,
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
    /// Discount programs.
    pub discounts: DiscountPlan,
    /// Credit and refund rows.
    pub adjustments: Vec<AdjustmentPlan>,
    /// Application inference profiles.
    pub profiles: Vec<ProfilePlan>,
    /// Which delivery of the restated periods this plan writes: the latest (default, what the
    /// truth describes) or the first, as delivered before the late adjustments.
    pub delivery: DeliveryPass,
}

/// Which delivery of a restated billing period is written (`restated_at` in
/// `[[adjustments]]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeliveryPass {
    /// The latest delivery: every row, late adjustments included.
    #[default]
    Latest,
    /// The first delivery of a restated period: without its late adjustments.
    First,
}

impl Plan {
    /// A caller's tag set ([`Caller::tags`], [`Caller::principal_tags`]).
    pub fn tag_set(&self, id: u32) -> &Tags {
        &self.tag_sets[id as usize]
    }

    /// A caller's session keys ([`Caller::session_keys`]).
    pub fn key_set(&self, id: u32) -> &[String] {
        &self.key_sets[id as usize]
    }

    /// The day (midnight UTC) the billing period `period` was restated, if it was.
    pub fn restated_at(&self, period: usize) -> Option<Ts> {
        self.adjustments
            .iter()
            .filter(|a| a.period == period)
            .find_map(|a| a.restated_at)
    }

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
    pub(crate) fn has_usage(&self, day: i64) -> bool {
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
                let w = &self.workloads[s.workload()];
                let span = ((w.days.1 - w.days.0 + 1) as f64).min(days);
                w.requests_per_day * span * 0.8
            })
            .sum::<f64>()
            + self.explicit.len() as f64
    }
}

/// Discount programs, resolved.
#[derive(Debug, Clone, Default)]
pub struct DiscountPlan {
    /// How discounts are written (None: no `[discounts]`, today's nulls).
    pub representation: Option<DiscountRepresentation>,
    /// Per model index: (EDP, private rate) in basis points (1/100 %) of unblended cost.
    pub bp: Vec<[u32; 2]>,
}

impl DiscountPlan {
    /// The discount programs (EDP, private rate) of a model, in basis points.
    pub fn of(&self, model: usize) -> [u32; 2] {
        self.bp.get(model).copied().unwrap_or([0, 0])
    }

    /// Discount (1e-16 USD, as a magnitude) of a program on `cost_e16` of unblended cost.
    /// Exact for Bedrock rows, whose cost is a multiple of 1e4 (pico-dollars × 1e4).
    pub fn amount(cost_e16: Money, bp: u32) -> Money {
        Money::from_e16(cost_e16.e16() * i128::from(bp) / 10_000)
    }
}

/// A credit or refund row.
#[derive(Debug, Clone)]
pub struct AdjustmentPlan {
    /// Credit or refund.
    pub kind: AdjustmentKind,
    /// Billing period index.
    pub period: usize,
    /// Usage account index.
    pub account: usize,
    /// Cost (1e-16 USD), ≤ 0.
    pub cost_e16: Money,
    /// `line_item_product_code`.
    pub product_code: String,
    /// `line_item_line_item_description`.
    pub description: String,
    /// Set for a late adjustment (`restated_at`): midnight UTC of the day its period's
    /// restatement is delivered, after the period closed.
    pub restated_at: Option<Ts>,
}

/// An application inference profile.
#[derive(Debug, Clone)]
pub struct ProfilePlan {
    /// Name in the scenario.
    pub name: String,
    /// Its ARN, the `line_item_resource_id` of calls through it.
    pub arn: Arc<str>,
    /// Account index of its owner.
    pub account: usize,
    /// Its tags (unprefixed, sorted).
    pub tags: Tags,
}
