//! The ground-truth file (`<export>.truth.json`) the generator writes and the verifier reads.
//!
//! Every cost here is computed from the simulated requests, never from the aggregated rows,
//! so a reader that sums the export can be checked against it. Costs are US dollars.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Version of this file format; bumped on any incompatible change.
pub const TRUTH_VERSION: u32 = 2;

/// The whole truth file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Format version, [`TRUTH_VERSION`].
    pub curlab_truth_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Seed the export was generated with.
    pub seed: u64,
    /// Export configuration the rows follow.
    pub export: TruthExport,
    /// Rows written, over all billing periods.
    pub rows: u64,
    /// Rows written per billing period (`YYYY-MM`).
    pub rows_by_period: BTreeMap<String, u64>,
    /// Cost of all Bedrock inference usage rows.
    pub bedrock_cost_total: f64,
    /// Cost of all non-Bedrock usage rows.
    pub background_cost_total: f64,
    /// Cost of all tax rows.
    pub tax_cost_total: f64,
    /// Bedrock inference cost that carries no principal (before 2026-04-08, before the export
    /// enabled IAM principal data, or when the column is off).
    pub unattributed_bedrock_cost: f64,
    /// Bedrock inference cost per principal ARN.
    pub by_principal: BTreeMap<String, f64>,
    /// Bedrock inference cost per `iamPrincipal/<key>` and value, as it lands in `tags`
    /// (only activated keys, only after activation took effect).
    pub by_tag: BTreeMap<String, BTreeMap<String, f64>>,
    /// The cost allocation tag activation table.
    pub activation: Vec<Activation>,
    /// Every principal that calls Bedrock, with the tags it should carry.
    pub principals: Vec<TruthPrincipal>,
    /// LLM gateways and how they are expected to appear.
    pub gateways: Vec<TruthGateway>,
    /// Faults planted with `--inject`.
    pub faults: Vec<InjectedFault>,
    /// The whole bill, gross and net: totals, per principal, per tag, per application
    /// inference profile, and what no principal carries (format version 2).
    pub bill: TruthBill,
    /// Set for a month-to-date export (`curlab generate --as-of DATE`): the export as it
    /// stood on that day. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<TruthAsOf>,
}

/// How a month-to-date export was cut (`curlab generate --as-of DATE`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TruthAsOf {
    /// The `--as-of` date (`YYYY-MM-DD`).
    pub date: String,
    /// Whole months the scenario's dates moved (negative: back in time).
    pub months_shifted: i32,
    /// Usage before this instant is in the export, none after it (RFC 3339): the end of
    /// `date` minus `data_delay_hours`.
    pub data_until: String,
    /// AWS's delivery delay assumed, in hours.
    pub data_delay_hours: u32,
    /// The billing period still open (no `bill_invoice_id`); the earlier ones are invoiced.
    pub open_billing_period: String,
}

/// Export settings recorded in the truth file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TruthExport {
    /// Export name.
    pub name: String,
    /// `HOURLY`, `DAILY` or `MONTHLY`.
    pub time_granularity: String,
    /// `parquet` or `csv`.
    pub format: String,
    /// Billing periods (`YYYY-MM`).
    pub billing_periods: Vec<String>,
    /// `INCLUDE_IAM_PRINCIPAL_DATA`.
    pub include_iam_principal_data: bool,
    /// First day with principal data: max(2026-04-08, the day the flag was switched on).
    pub iam_principal_data_from: Option<String>,
    /// `INCLUDE_RESOURCES`.
    pub include_resources: bool,
    /// The payer (management account) whose export this is, in a scenario with several payers
    /// (each payer's export has its own truth file). Absent for a single-payer scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_account_id: Option<String>,
}

/// One activated cost allocation tag key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    /// Full key as it appears in `tags`, e.g. `iamPrincipal/team`.
    pub key: String,
    /// When the key was activated (RFC 3339).
    pub activated_at: String,
    /// When activation took effect: rows starting at or after this carry the key (RFC 3339).
    pub effective_from: String,
    /// First day of the backfilled month, if a backfill re-applied the key (RFC 3339 date).
    pub backfill_from: Option<String>,
}

/// A principal the scenario makes call Bedrock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthPrincipal {
    /// The ARN written to `line_item_iam_principal`.
    pub arn: String,
    /// Identity type (`iam-user`, `bedrock-api-key`, `assumed-role`, `identity-center`, ...).
    pub identity: String,
    /// How it reaches Bedrock: `iam-user`, `api-key`, `app-role`, `okta-saml`, `entra-oidc`,
    /// `identity-center`, `gateway`.
    pub pattern: String,
    /// 12-digit account id.
    pub account: String,
    /// Effective tags before activation filtering (principal tags overlaid by session and
    /// transitive tags), keys without prefix. Shared between principals with the same tags
    /// when read inside [`sharing_tag_sets`].
    #[serde(serialize_with = "write_tags", deserialize_with = "read_tags")]
    pub tags: TagSet,
    /// The subset of `tags` keys whose value came from a session (or transitive) tag.
    pub session_tag_keys: Vec<String>,
    /// The gateway this principal belongs to, if any.
    pub gateway: Option<String>,
}

/// An LLM gateway in the scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthGateway {
    /// Gateway name.
    pub name: String,
    /// Account the gateway runs in.
    pub account: String,
    /// Whether the gateway assumes a role per user/tenant.
    pub per_user_sessions: bool,
    /// ARN of the role whose sessions call Bedrock when per-user sessions are on.
    pub invocation_role_arn: String,
    /// ARN of the gateway's execution role (its compute identity).
    pub execution_role_arn: String,
    /// Number of distinct per-user (or per-tenant) principals expected.
    pub expected_principals: u64,
}

/// A planted defect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InjectedFault {
    /// Fault name, e.g. `malformed-arn`.
    pub fault: String,
    /// Share of eligible rows affected (1.0 for whole-export faults).
    pub rate: f64,
    /// Rows changed (0 for layout faults).
    pub rows: u64,
    /// The verifier rule meant to report it.
    pub rule: String,
}

/// Gross (`line_item_unblended_cost`) and net (`line_item_net_unblended_cost`, or the
/// unblended cost where the net column is null) of a group of rows, in USD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Money {
    /// Σ `line_item_unblended_cost`.
    pub gross: f64,
    /// Σ `line_item_net_unblended_cost` (unblended where null).
    pub net: f64,
}

/// What the rows of one principal cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PrincipalMoney {
    /// Σ `line_item_unblended_cost` of the rows carrying the principal.
    pub gross: f64,
    /// Σ `line_item_net_unblended_cost` (unblended where null) of those rows.
    pub net: f64,
    /// Σ `pricing_public_on_demand_cost` of those rows (0 on AWS Marketplace rows).
    pub public_on_demand: f64,
    /// The part of `gross` billed by AWS Marketplace (`bill_billing_entity`).
    pub marketplace: f64,
}

/// Totals of the bill, overall or of one billing period, in USD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BillTotals {
    /// Σ `line_item_unblended_cost` of every usage row (Bedrock and not), before discounts.
    pub unblended: f64,
    /// Σ `line_item_net_unblended_cost` of every usage row (unblended where null).
    pub net_unblended: f64,
    /// Σ `pricing_public_on_demand_cost` of every row.
    pub public_on_demand: f64,
    /// Discounts (EDP, private rates) on usage rows, ≤ 0: the `discount` map's total, which
    /// the separate `*Discount` rows repeat when the representation writes them.
    pub discounts: f64,
    /// Σ of `Credit` rows, ≤ 0.
    pub credits: f64,
    /// Σ of `Refund` rows, ≤ 0.
    pub refunds: f64,
    /// Provisioned Throughput and Reserved tier fees.
    pub commitment_fees: f64,
    /// Σ of `Tax` rows.
    pub tax: f64,
    /// Σ `line_item_unblended_cost` of every row of the export (usage, discount rows,
    /// credits, refunds, tax).
    pub invoice_total: f64,
}

/// An application inference profile: the resource view of the rows that name it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TruthProfile {
    /// Profile name in the scenario.
    pub name: String,
    /// `line_item_resource_id` of its rows.
    pub arn: String,
    /// 12-digit account id.
    pub account: String,
    /// The profile's tags (keys without prefix), whether activated or not.
    pub tags: BTreeMap<String, String>,
    /// Gross and net of the rows naming it. The same dollars are in `by_principal`: never
    /// add the two views.
    pub cost: Money,
}

/// The bill, gross and net. Σ `by_principal` gross + Σ `unattributable` gross =
/// `totals.invoice_total`, and the same for net.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TruthBill {
    /// How discounts are written: `none`, `map-and-rows`, `map-only` or `rows-only`.
    pub discount_representation: String,
    /// Totals over every billing period.
    pub totals: BillTotals,
    /// Totals per billing period (`YYYY-MM`).
    pub totals_by_period: BTreeMap<String, BillTotals>,
    /// Per principal ARN (`line_item_iam_principal`).
    pub by_principal: BTreeMap<String, PrincipalMoney>,
    /// Per `iamPrincipal/<key>` and value, as it lands in `tags` (activated keys only).
    pub by_tag: BTreeMap<String, BTreeMap<String, Money>>,
    /// Per application inference profile (the resource view; overlaps `by_principal`).
    pub profiles: Vec<TruthProfile>,
    /// What no principal carries, by line: `bedrock-without-principal`, `non-bedrock`,
    /// `discount-rows`, `credits`, `refunds`, `commitment-fees`, `tax` (only lines present).
    pub unattributable: BTreeMap<String, Money>,
    /// Billing periods (`YYYY-MM`) restated after they closed (`restated_at` in
    /// `[[adjustments]]`): every other figure of this bill is the latest delivery's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub restatements: BTreeMap<String, TruthRestatement>,
}

/// A billing period delivered twice: first when it closed, again with late credits and
/// refunds (a restatement). The truth's totals are the restated ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TruthRestatement {
    /// The day the restatement was delivered, `YYYY-MM-DD`.
    pub restated_at: String,
    /// Σ `line_item_unblended_cost` of the late adjustments (≤ 0): the restatement's change.
    pub late_adjustments: f64,
    /// How many late adjustment rows the restatement added.
    pub late_rows: u64,
    /// The period's invoice total as first delivered (`invoice_total` − `late_adjustments`).
    pub first_invoice_total: f64,
}

/// A principal's tags ([`TruthPrincipal::tags`]); principals with equal tags may share one.
pub type TagSet = Arc<BTreeMap<String, String>>;

thread_local! {
    /// The tag sets read so far by [`sharing_tag_sets`] on this thread (`None` outside it).
    static TAG_SETS: RefCell<Option<HashSet<TagSet>>> = const { RefCell::new(None) };
}

/// Runs `read` (which deserializes a [`Truth`]) so that principals with equal tags share one
/// [`TagSet`]: a scenario has a few dozen distinct tag sets for hundreds of thousands of
/// principals, and a map per principal was the largest part of a big truth file in memory.
pub fn sharing_tag_sets<R>(read: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            TAG_SETS.with(|s| *s.borrow_mut() = None);
        }
    }
    TAG_SETS.with(|s| *s.borrow_mut() = Some(HashSet::new()));
    let _reset = Reset;
    read()
}

fn write_tags<S: Serializer>(tags: &TagSet, s: S) -> Result<S::Ok, S::Error> {
    tags.as_ref().serialize(s)
}

fn read_tags<'de, D: Deserializer<'de>>(d: D) -> Result<TagSet, D::Error> {
    let tags = BTreeMap::<String, String>::deserialize(d)?;
    Ok(TAG_SETS.with(|s| match s.borrow_mut().as_mut() {
        Some(seen) => match seen.get(&tags) {
            Some(shared) => shared.clone(),
            None => {
                let shared = Arc::new(tags);
                seen.insert(shared.clone());
                shared
            }
        },
        None => Arc::new(tags),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"[
        {"arn": "arn:aws:iam::111122223333:user/a", "identity": "iam-user", "pattern": "iam-user",
         "account": "111122223333", "tags": {"team": "ds"}, "session_tag_keys": [], "gateway": null},
        {"arn": "arn:aws:iam::111122223333:user/b", "identity": "iam-user", "pattern": "iam-user",
         "account": "111122223333", "tags": {"team": "ds"}, "session_tag_keys": [], "gateway": null},
        {"arn": "arn:aws:iam::111122223333:user/c", "identity": "iam-user", "pattern": "iam-user",
         "account": "111122223333", "tags": {"team": "ml"}, "session_tag_keys": [], "gateway": null}
    ]"#;

    #[test]
    fn equal_tags_are_shared_only_inside_sharing_tag_sets() {
        let shared: Vec<TruthPrincipal> =
            sharing_tag_sets(|| serde_json::from_str(TWO)).expect("parses");
        assert!(Arc::ptr_eq(&shared[0].tags, &shared[1].tags));
        assert!(!Arc::ptr_eq(&shared[0].tags, &shared[2].tags));
        assert_eq!(shared[2].tags.get("team").map(String::as_str), Some("ml"));
        let apart: Vec<TruthPrincipal> = serde_json::from_str(TWO).expect("parses");
        assert!(!Arc::ptr_eq(&apart[0].tags, &apart[1].tags));
        assert_eq!(shared, apart);
        // The cache is gone after the call: nothing read later shares with what was read inside.
        let later: Vec<TruthPrincipal> = serde_json::from_str(TWO).expect("parses");
        assert!(!Arc::ptr_eq(&later[0].tags, &shared[0].tags));
    }

    #[test]
    fn shared_tags_serialize_as_a_plain_map() {
        let p: Vec<TruthPrincipal> = sharing_tag_sets(|| serde_json::from_str(TWO)).unwrap();
        let text = serde_json::to_string(&p[0]).unwrap();
        assert!(text.contains(r#""tags":{"team":"ds"}"#), "{text}");
    }
}
