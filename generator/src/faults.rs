//! Fault injection: plant known defects in an export so every verifier rule can be proven to
//! fire. Row faults hit every k-th eligible row (k = round(1 / rate), the first eligible row
//! always included), so the selection is deterministic and never empty when rows qualify.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use curlab_vocab::bedrock;
use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, RESOURCE_TAGS_PREFIX};
use curlab_vocab::truth::InjectedFault;
use curlab_vocab::Money;

use crate::plan::{Caller, Plan};
use crate::rows::{Row, RowKind};

/// Every fault curlab can plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Drop the principal of Bedrock rows.
    MissingPrincipal,
    /// Break the ARN grammar of the principal.
    MalformedArn,
    /// Put another account's id into the principal ARN.
    AccountMismatch,
    /// Give non-Bedrock rows a principal.
    PrincipalOnNonBedrock,
    /// Give Bedrock rows before 2026-04-08 a principal.
    PrincipalBeforeLaunch,
    /// Add a tag key without a source prefix.
    UnprefixedTag,
    /// Add an `iamPrincipal/` key that was never activated.
    InactiveTag,
    /// Tag rows dated before the key's activation took effect.
    TagBeforeActivation,
    /// Replace a session tag's value with the principal tag it overrode.
    SessionOverrideLost,
    /// Attribute per-user gateway traffic to the gateway's own role session.
    GatewayCollapse,
    /// Make `cost ≠ usage × rate`.
    CostMismatch,
    /// Shift usage intervals off the hour.
    MisalignedHour,
    /// Move rows' usage dates into the previous month.
    OutsideBillingPeriod,
    /// Repeat line items with the same id.
    DuplicateLineItem,
    /// Write Parquet map columns as JSON strings.
    MapAsString,
    /// List a data file in the manifest that does not exist.
    ManifestMismatch,
    /// Leave out a required column.
    MissingColumn,
    /// Name the columns as legacy CUR (CUR 1) does, without the map columns.
    LegacyCurHeaders,
    /// Give usage rows a net cost above their unblended cost (a positive "discount").
    NetAboveGross,
    /// Give usage rows a net cost that unblended cost plus total discount does not explain.
    DiscountNetMismatch,
    /// Make credit, refund and discount rows positive (or add a positive discount row).
    AdjustmentSign,
    /// Give Provisioned Throughput / Reserved tier rows a principal, or change their amount.
    CommitmentShape,
    /// Give Amazon Bedrock AgentCore rows a principal.
    PrincipalOnAgentCore,
    /// Drop the `resourceTags/` keys of application inference profile rows.
    ProfileTagsLost,
    /// Add a discount the truth does not know to usage rows (net columns consistent).
    NetTotalMismatch,
    /// Bill usage rows twice over (usage amount and cost doubled).
    InvoiceTotalMismatch,
    /// Leave a restated period's manifest as its first delivery wrote it, so a reader reads
    /// the first delivery and misses the restatement.
    RestatementMissed,
    /// List both deliveries of a restated period in its manifest, so a reader sums both.
    RestatementDoubled,
}

/// `(fault, name, rule meant to catch it, default rate)`.
pub const FAULTS: &[(Fault, &str, &str, f64)] = &[
    (Fault::MissingPrincipal, "missing-principal", "PR001", 0.1),
    (Fault::MalformedArn, "malformed-arn", "PR002", 0.1),
    (Fault::AccountMismatch, "account-mismatch", "PR003", 0.1),
    (
        Fault::PrincipalOnNonBedrock,
        "principal-on-non-bedrock",
        "PR004",
        0.1,
    ),
    (
        Fault::PrincipalBeforeLaunch,
        "principal-before-launch",
        "PR005",
        0.1,
    ),
    (Fault::UnprefixedTag, "unprefixed-tag", "TG002", 0.1),
    (Fault::InactiveTag, "inactive-tag", "TG007", 0.1),
    (
        Fault::TagBeforeActivation,
        "tag-before-activation",
        "TG008",
        0.1,
    ),
    (
        Fault::SessionOverrideLost,
        "session-override-lost",
        "TG009",
        0.1,
    ),
    (Fault::GatewayCollapse, "gateway-collapse", "GW001", 1.0),
    (Fault::CostMismatch, "cost-mismatch", "CT001", 0.1),
    (Fault::MisalignedHour, "misaligned-hour", "CT002", 0.1),
    (
        Fault::OutsideBillingPeriod,
        "outside-billing-period",
        "SC007",
        0.1,
    ),
    (
        Fault::DuplicateLineItem,
        "duplicate-line-item",
        "CT004",
        0.1,
    ),
    (Fault::MapAsString, "map-as-string", "SC004", 1.0),
    (Fault::ManifestMismatch, "manifest-mismatch", "SC005", 1.0),
    (Fault::MissingColumn, "missing-column", "SC001", 1.0),
    (Fault::LegacyCurHeaders, "legacy-cur-headers", "SC008", 1.0),
    (Fault::NetAboveGross, "net-above-gross", "CT006", 0.1),
    (
        Fault::DiscountNetMismatch,
        "discount-net-mismatch",
        "CT007",
        0.1,
    ),
    (Fault::AdjustmentSign, "adjustment-sign", "CT008", 0.1),
    (Fault::CommitmentShape, "commitment-shape", "CT009", 0.1),
    (
        Fault::PrincipalOnAgentCore,
        "principal-on-agentcore",
        "PR007",
        0.1,
    ),
    (Fault::ProfileTagsLost, "profile-tags-lost", "TG010", 0.1),
    (Fault::NetTotalMismatch, "net-total-mismatch", "RC007", 0.1),
    (
        Fault::InvoiceTotalMismatch,
        "invoice-total-mismatch",
        "RC008",
        0.1,
    ),
    (Fault::RestatementMissed, "restatement-missed", "RC008", 1.0),
    (
        Fault::RestatementDoubled,
        "restatement-doubled",
        "RC008",
        1.0,
    ),
];

impl Fault {
    fn entry(self) -> &'static (Fault, &'static str, &'static str, f64) {
        FAULTS.iter().find(|f| f.0 == self).unwrap_or(&FAULTS[0])
    }
    /// Stable name used on the command line.
    pub fn name(self) -> &'static str {
        self.entry().1
    }
    /// The verifier rule meant to report it.
    pub fn rule(self) -> &'static str {
        self.entry().2
    }
    /// Whether the fault changes the layout or schema rather than rows.
    pub(crate) fn is_layout(self) -> bool {
        matches!(
            self,
            Fault::MapAsString
                | Fault::ManifestMismatch
                | Fault::MissingColumn
                | Fault::LegacyCurHeaders
                | Fault::RestatementMissed
                | Fault::RestatementDoubled
        )
    }
}

/// Refuse the layout faults that need something the scenario does not have (the restatement
/// faults need a restated period in a create-new export), before anything is written.
pub fn check_layout(plan: &Plan, specs: &[FaultSpec]) -> Result<(), String> {
    let restated = plan.export.delivery == crate::scenario::model::Delivery::CreateNew
        && (0..plan.export.periods.len()).any(|p| plan.restated_at(p).is_some());
    for s in specs {
        if matches!(
            s.fault,
            Fault::RestatementMissed | Fault::RestatementDoubled
        ) && !restated
        {
            return Err(format!(
                "fault {} does not apply to this scenario: {}",
                s.fault,
                not_applicable_reason(s.fault)
            ));
        }
    }
    Ok(())
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault and its rate, as given to `--inject FAULT[=RATE]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpec {
    /// Which fault.
    pub fault: Fault,
    /// Share of eligible rows (1.0 for layout faults).
    pub rate: f64,
}

impl FromStr for FaultSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, rate) = match s.split_once('=') {
            Some((n, r)) => (n, Some(r)),
            None => (s, None),
        };
        let Some(&(fault, _, _, default)) = FAULTS.iter().find(|f| f.1 == name) else {
            let names: Vec<&str> = FAULTS.iter().map(|f| f.1).collect();
            return Err(format!(
                "unknown fault `{name}`; known faults: {}; fix: run `curlab faults` to list them \
                 with what each plants",
                names.join(", ")
            ));
        };
        let rate = match rate {
            None => default,
            Some(r) => match r.parse::<f64>() {
                Ok(v) if v > 0.0 && v <= 1.0 => v,
                _ => {
                    return Err(format!(
                        "rate `{r}` for {name} must be a number in (0, 1]; fix: give the share \
                         of eligible rows, e.g. `{name}=0.1`, or no rate for the default ({default})"
                    ))
                }
            },
        };
        Ok(FaultSpec { fault, rate })
    }
}

/// Applies row faults chunk by chunk and counts what it changed.
pub struct Injector<'a> {
    plan: &'a Plan,
    specs: Vec<FaultSpec>,
    seen: HashMap<Fault, u64>,
    changed: HashMap<Fault, u64>,
    by_arn: HashMap<Arc<str>, &'a Caller>,
    launch: i64,
    ids: crate::ids::LineItemIds,
}

/// The smallest unblended cost (1e-16 USD, a ten-thousandth of a dollar) a cost fault changes:
/// a tenth of it is still far above the verifier's rounding tolerance.
const MIN_FAULT_COST_E16: i128 = 1_000_000_000_000;

/// `discount` program number of the positive discount rows the `adjustment-sign` fault adds
/// (real programs are 0 and 1), so their line item ids differ from every real row's.
const FAULT_PROGRAM: u8 = 9;

fn every(rate: f64) -> u64 {
    ((1.0 / rate).round() as u64).max(1)
}

fn shift_account(arn: &str, account: &str) -> String {
    let other = if account == "999999999999" {
        "111111111111"
    } else {
        "999999999999"
    };
    arn.replacen(account, other, 1)
}

impl<'a> Injector<'a> {
    /// A new injector for the row faults among `specs`.
    pub fn new(plan: &'a Plan, specs: &[FaultSpec]) -> Self {
        Injector {
            plan,
            specs: specs
                .iter()
                .filter(|s| !s.fault.is_layout())
                .copied()
                .collect(),
            seen: HashMap::new(),
            changed: HashMap::new(),
            by_arn: plan.callers.iter().map(|c| (c.arn.clone(), c)).collect(),
            launch: crate::time::day_of(bedrock::principal_data_start()) * 86_400,
            ids: crate::ids::LineItemIds::new(plan),
        }
    }

    fn pick(&mut self, fault: Fault, rate: f64) -> bool {
        let n = self.seen.entry(fault).or_default();
        let hit = n.is_multiple_of(every(rate));
        *n += 1;
        if hit {
            *self.changed.entry(fault).or_default() += 1;
        }
        hit
    }

    /// Apply the row faults to one chunk, in place.
    pub fn apply(&mut self, rows: &mut Vec<Row>) {
        if self.specs.is_empty() {
            return;
        }
        let specs = self.specs.clone();
        let mut extra = Vec::new();
        for (i, row) in rows.iter_mut().enumerate() {
            for spec in &specs {
                if self.eligible(spec.fault, row) && self.pick(spec.fault, spec.rate) {
                    if let Some(dup) = self.mutate(spec.fault, row) {
                        extra.push((i, dup));
                    }
                }
            }
        }
        for (offset, (i, dup)) in extra.into_iter().enumerate() {
            rows.insert(i + 1 + offset, dup);
        }
    }

    fn caller(&self, r: &Row) -> Option<&'a Caller> {
        r.principal
            .as_ref()
            .and_then(|p| self.by_arn.get(p).copied())
    }

    fn pending_activation(&self, c: &Caller, r: &Row) -> Option<(String, String)> {
        self.plan
            .activations
            .iter()
            .filter(|a| {
                a.source == crate::scenario::model::TagSource::IamPrincipal
                    && !a.applies_at(r.start)
            })
            .find_map(|a| {
                self.plan
                    .tag_set(c.tags)
                    .iter()
                    .find(|(k, _)| *k == a.key)
                    .cloned()
            })
    }

    fn lost_override(&self, c: &Caller, r: &Row) -> Option<(String, String)> {
        self.plan.key_set(c.session_keys).iter().find_map(|k| {
            let full = format!("{IAM_PRINCIPAL_PREFIX}{k}");
            let row_value = r.tags.iter().find(|(rk, _)| *rk == full)?;
            let old = self
                .plan
                .tag_set(c.principal_tags)
                .iter()
                .find(|(pk, _)| pk.eq_ignore_ascii_case(k))?;
            (old.1 != row_value.1).then(|| (full, old.1.clone()))
        })
    }

    fn eligible(&self, fault: Fault, r: &Row) -> bool {
        let bedrock_with_principal = r.kind == RowKind::Bedrock && r.principal.is_some();
        match fault {
            Fault::MissingPrincipal | Fault::MalformedArn | Fault::AccountMismatch => {
                bedrock_with_principal
            }
            Fault::PrincipalOnNonBedrock => {
                r.kind == RowKind::Background
                    && self.plan.export.table.include_iam_principal_data
                    && !self.plan.callers.is_empty()
            }
            Fault::PrincipalBeforeLaunch => {
                r.kind == RowKind::Bedrock
                    && r.start < self.launch
                    && self.plan.export.table.include_iam_principal_data
            }
            Fault::UnprefixedTag => {
                !self.plan.export.table.legacy_113
                    && r.tags
                        .iter()
                        .any(|(k, _)| k.starts_with(IAM_PRINCIPAL_PREFIX))
            }
            Fault::InactiveTag => !self.plan.export.table.legacy_113 && bedrock_with_principal,
            Fault::TagBeforeActivation => {
                bedrock_with_principal
                    && self
                        .caller(r)
                        .is_some_and(|c| self.pending_activation(c, r).is_some())
            }
            Fault::SessionOverrideLost => {
                bedrock_with_principal
                    && self
                        .caller(r)
                        .is_some_and(|c| self.lost_override(c, r).is_some())
            }
            Fault::GatewayCollapse => {
                bedrock_with_principal
                    && self
                        .caller(r)
                        .and_then(|c| c.gateway)
                        .is_some_and(|g| self.plan.gateways[g as usize].per_user_sessions)
            }
            Fault::CostMismatch
            | Fault::MisalignedHour
            | Fault::OutsideBillingPeriod
            | Fault::DuplicateLineItem => r.kind != RowKind::Tax,
            Fault::NetAboveGross | Fault::DiscountNetMismatch => {
                r.kind.is_usage() && r.cost_e16.e16() >= MIN_FAULT_COST_E16
            }
            Fault::AdjustmentSign => {
                is_adjustment(r.kind) && r.cost_e16 < Money::ZERO
                    || r.kind.is_usage() && r.cost_e16.e16() >= MIN_FAULT_COST_E16
            }
            Fault::CommitmentShape => {
                r.kind.is_usage()
                    && bedrock::is_commitment_usage_type(&r.sku.usage_type)
                    && self.plan.export.table.include_iam_principal_data
                    && !self.plan.callers.is_empty()
            }
            Fault::PrincipalOnAgentCore => {
                r.sku.product_code == bedrock::AGENTCORE_PRODUCT_CODE
                    && self.plan.export.table.include_iam_principal_data
                    && !self.plan.callers.is_empty()
            }
            Fault::ProfileTagsLost => {
                r.resource_id
                    .as_deref()
                    .is_some_and(|id| id.contains(":application-inference-profile/"))
                    && r.tags
                        .iter()
                        .any(|(k, _)| k.starts_with(RESOURCE_TAGS_PREFIX))
            }
            Fault::NetTotalMismatch | Fault::InvoiceTotalMismatch => {
                r.kind.is_usage() && r.cost_e16.e16() >= MIN_FAULT_COST_E16
            }
            Fault::MapAsString
            | Fault::ManifestMismatch
            | Fault::MissingColumn
            | Fault::LegacyCurHeaders
            | Fault::RestatementMissed
            | Fault::RestatementDoubled => false,
        }
    }

    /// A caller of the row's account (the first caller when the account has none).
    fn caller_of_account(&self, r: &Row) -> Arc<str> {
        self.plan
            .callers
            .iter()
            .find(|c| c.account == r.account)
            .unwrap_or(&self.plan.callers[0])
            .arn
            .clone()
    }

    /// Change the row; returns an extra row to insert after it (duplicates).
    fn mutate(&self, fault: Fault, r: &mut Row) -> Option<Row> {
        let set_tag = |r: &mut Row, k: String, v: String| {
            let mut t: Vec<(String, String)> =
                r.tags.iter().filter(|(x, _)| *x != k).cloned().collect();
            t.push((k, v));
            t.sort();
            r.tags = Arc::new(t);
        };
        match fault {
            Fault::MissingPrincipal => r.principal = None,
            Fault::MalformedArn => {
                // Lose the empty region field: `arn:aws:sts:<acct>:…` fits no grammar.
                r.principal = r
                    .principal
                    .as_ref()
                    .map(|p| p.replacen("::", ":", 1).into());
            }
            Fault::AccountMismatch => {
                let acct = &self.plan.accounts[r.account].id;
                r.principal = r.principal.as_ref().map(|p| shift_account(p, acct).into());
            }
            Fault::PrincipalOnNonBedrock
            | Fault::PrincipalBeforeLaunch
            | Fault::PrincipalOnAgentCore => {
                r.principal = Some(self.caller_of_account(r));
            }
            Fault::CommitmentShape => {
                // Odd picks (the first included) get a principal; even picks bill twice the
                // committed amount in their bucket (cost = usage × rate still holds).
                if self.changed.get(&fault).copied().unwrap_or(0) % 2 == 1 {
                    r.principal = Some(self.caller_of_account(r));
                } else {
                    r.amount_e6 *= 2;
                    r.cost_e16 += r.cost_e16;
                }
            }
            Fault::ProfileTagsLost => {
                let keep = |pairs: &crate::rows::Pairs, drop: &dyn Fn(&str) -> bool| {
                    Arc::new(pairs.iter().filter(|(k, _)| !drop(k)).cloned().collect())
                };
                r.tags = keep(&r.tags, &|k| k.starts_with(RESOURCE_TAGS_PREFIX));
                r.resource_tags = keep(&r.resource_tags, &|k| k.starts_with("user_"));
            }
            Fault::NetTotalMismatch => {
                // An EDP discount of 10 % the truth does not know; the net columns agree.
                let [edp, private] = r.discount_e16.unwrap_or([Money::ZERO, Money::ZERO]);
                r.discount_e16 = Some([edp - Money::from_e16(r.cost_e16.e16() / 10), private]);
            }
            Fault::InvoiceTotalMismatch => {
                r.amount_e6 *= 2;
                r.cost_e16 += r.cost_e16;
                r.discount_e16 = r.discount_e16.map(|[e, p]| [e + e, p + p]);
            }
            Fault::UnprefixedTag => {
                if let Some((k, v)) = r
                    .tags
                    .iter()
                    .find(|(k, _)| k.starts_with(IAM_PRINCIPAL_PREFIX))
                    .cloned()
                {
                    set_tag(r, k[IAM_PRINCIPAL_PREFIX.len()..].to_string(), v);
                }
            }
            Fault::InactiveTag => {
                let inactive = self.caller(r).and_then(|c| {
                    self.plan
                        .tag_set(c.tags)
                        .iter()
                        .find(|(k, _)| !self.plan.activations.iter().any(|a| a.key == *k))
                        .cloned()
                });
                let (k, v) =
                    inactive.unwrap_or_else(|| ("curlab-never-activated".into(), "x".into()));
                set_tag(r, format!("{IAM_PRINCIPAL_PREFIX}{k}"), v);
            }
            Fault::TagBeforeActivation => {
                if let Some((k, v)) = self.caller(r).and_then(|c| self.pending_activation(c, r)) {
                    set_tag(r, format!("{IAM_PRINCIPAL_PREFIX}{k}"), v);
                }
            }
            Fault::SessionOverrideLost => {
                if let Some((k, v)) = self.caller(r).and_then(|c| self.lost_override(c, r)) {
                    set_tag(r, k, v);
                }
            }
            Fault::GatewayCollapse => {
                if let Some(g) = self.caller(r).and_then(|c| c.gateway) {
                    let g = &self.plan.gateways[g as usize];
                    let role = g
                        .execution_role_arn
                        .rsplit('/')
                        .next()
                        .unwrap_or("GatewayRole");
                    let task = format!(
                        "{:08x}{:08x}{:08x}{:08x}",
                        curlab_vocab::arn::fnv1a32(g.name.as_bytes()),
                        0x5eed_u32,
                        curlab_vocab::arn::fnv1a32(role.as_bytes()),
                        0x0ecb_u32
                    );
                    let acct = &self.plan.accounts[g.account].id;
                    r.principal =
                        Some(format!("arn:aws:sts::{acct}:assumed-role/{role}/{task}").into());
                    let t: Vec<(String, String)> = r
                        .tags
                        .iter()
                        .filter(|(k, _)| !k.starts_with(IAM_PRINCIPAL_PREFIX))
                        .cloned()
                        .collect();
                    r.tags = Arc::new(t);
                }
            }
            Fault::CostMismatch => {
                r.cost_e16 = Money::from_e16(r.cost_e16.e16() * 11 / 10 + 100_000_000_000_000)
            }
            Fault::MisalignedHour => {
                r.start += 1800;
                r.end += 1800;
            }
            Fault::OutsideBillingPeriod => {
                let back = 32 * 86_400;
                r.start -= back;
                r.end -= back;
            }
            Fault::DuplicateLineItem => return Some(r.clone()),
            Fault::NetAboveGross => {
                // A "discount" of +10 %: net = 1.1 × unblended, the discount columns agree.
                r.discount_e16 = Some([Money::from_e16(r.cost_e16.e16() / 10), Money::ZERO]);
            }
            Fault::DiscountNetMismatch => {
                // Net 10 % below what unblended + total discount says.
                r.discount_e16 = Some(r.discount_e16.unwrap_or_default());
                r.net_skew_e16 = Money::from_e16(-r.cost_e16.e16() / 10);
            }
            Fault::AdjustmentSign if is_adjustment(r.kind) => r.cost_e16 = -r.cost_e16,
            Fault::AdjustmentSign => {
                // No adjustment row here: add the usage row's EDP discount row, positive.
                let empty: crate::rows::Pairs = Arc::new(Vec::new());
                return Some(Row {
                    kind: RowKind::EdpDiscount,
                    principal: None,
                    resource_id: None,
                    amount_e6: 0,
                    cost_e16: Money::from_e16(r.cost_e16.e16() / 10),
                    tags: empty.clone(),
                    resource_tags: empty,
                    id: self.ids.discount(&r.id, FAULT_PROGRAM),
                    discount_e16: r.discount_e16.map(|_| [Money::ZERO; 2]),
                    net_skew_e16: Money::ZERO,
                    late: false,
                    ..r.clone()
                });
            }
            Fault::MapAsString
            | Fault::ManifestMismatch
            | Fault::MissingColumn
            | Fault::LegacyCurHeaders
            | Fault::RestatementMissed
            | Fault::RestatementDoubled => {}
        }
        None
    }

    /// What was planted, for the truth file. Errors name row faults that found no row.
    pub fn report(&self, all: &[FaultSpec]) -> Result<Vec<InjectedFault>, String> {
        let mut out = Vec::new();
        for s in all {
            let rows = if s.fault.is_layout() {
                0
            } else {
                self.changed.get(&s.fault).copied().unwrap_or(0)
            };
            if !s.fault.is_layout() && rows == 0 {
                return Err(format!(
                    "fault {} does not apply to this scenario: {}",
                    s.fault,
                    not_applicable_reason(s.fault)
                ));
            }
            out.push(InjectedFault {
                fault: s.fault.name().into(),
                rate: s.rate,
                rows,
                rule: s.fault.rule().into(),
            });
        }
        Ok(out)
    }
}

/// Whether a row kind lowers the bill: credits, refunds, discount rows.
fn is_adjustment(k: RowKind) -> bool {
    matches!(
        k,
        RowKind::Credit | RowKind::Refund | RowKind::EdpDiscount | RowKind::PrivateRateDiscount
    )
}

fn not_applicable_reason(f: Fault) -> &'static str {
    match f {
        Fault::MissingPrincipal | Fault::MalformedArn | Fault::AccountMismatch => {
            "no Bedrock row carries a principal"
        }
        Fault::PrincipalOnNonBedrock => "no non-Bedrock row, or the export has no principal column",
        Fault::PrincipalBeforeLaunch => {
            "no Bedrock row is dated before 2026-04-08, or the export has no principal column"
        }
        Fault::UnprefixedTag => "no row carries an iamPrincipal/ tag",
        Fault::InactiveTag => {
            "no Bedrock row carries a principal, or the export has no tags column"
        }
        Fault::TagBeforeActivation => {
            "no row of a tagged principal is dated before its key's activation took effect"
        }
        Fault::SessionOverrideLost => "no session tag overrides an activated principal tag",
        Fault::GatewayCollapse => "no gateway with per-user sessions",
        Fault::NetAboveGross | Fault::DiscountNetMismatch => {
            "no usage row costs a ten-thousandth of a dollar or more"
        }
        Fault::AdjustmentSign => {
            "no credit, refund or discount row, and no usage row costs a ten-thousandth of a dollar or more"
        }
        Fault::CommitmentShape => {
            "no Provisioned Throughput or Reserved tier row, or the export has no principal column"
        }
        Fault::PrincipalOnAgentCore => {
            "no Amazon Bedrock AgentCore row, or the export has no principal column"
        }
        Fault::ProfileTagsLost => {
            "no application inference profile row carries a resourceTags/ key"
        }
        Fault::NetTotalMismatch | Fault::InvoiceTotalMismatch => {
            "no usage row costs a ten-thousandth of a dollar or more"
        }
        Fault::RestatementMissed | Fault::RestatementDoubled => {
            "no restated billing period (`restated_at` in [[adjustments]]) in a create-new export"
        }
        _ => "no eligible row",
    }
}
