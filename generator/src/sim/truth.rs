//! Truth building: the integer sums kept while emitting become the ground-truth file.

use std::collections::BTreeMap;

use curlab_vocab::truth::{self, Truth};
use curlab_vocab::Money;

use super::blocks::{CallerSums, Sums, TruthDelta};
use super::tag_table::TagTable;
use crate::plan::Plan;
use crate::time::rfc3339;

/// Integer sums the truth file is built from.
#[derive(Debug, Default)]
pub struct TruthParts {
    /// Request-level sums.
    pub delta: TruthDelta,
    /// Request-level sums per caller.
    pub by_caller: CallerSums,
    /// Background usage cost (1e-16 USD).
    pub background_e16: Money,
    /// Tax cost (1e-16 USD).
    pub tax_e16: Money,
    /// Rows per period label.
    pub rows_by_period: BTreeMap<String, u64>,
    /// Bill sums per period label.
    pub bill_by_period: BTreeMap<String, PeriodBill>,
}

/// The bill sums of one billing period.
#[derive(Debug, Default, Clone)]
pub struct PeriodBill {
    /// Every Bedrock request.
    pub bedrock: Sums,
    /// Bedrock requests without a principal.
    pub unattributed: Sums,
    /// Non-Bedrock usage (1e-16 USD).
    pub background_e16: Money,
    /// Tax rows (1e-16 USD).
    pub tax_e16: Money,
    /// Credit rows (1e-16 USD, ≤ 0).
    pub credits_e16: Money,
    /// Refund rows (1e-16 USD, ≤ 0).
    pub refunds_e16: Money,
    /// Provisioned Throughput and Reserved tier rows (1e-16 USD).
    pub commitment_e16: Money,
    /// Other Bedrock charges: guardrails, rerank, AgentCore, cache storage (1e-16 USD), those
    /// with a caller (`attributed_charges`) included.
    pub other_charges_e16: Money,
    /// Other Bedrock charges whose rows carry a caller (`guardrail_principal = "caller"`), by
    /// (caller index, time bucket start).
    pub attributed_charges: BTreeMap<(usize, crate::time::Ts), Money>,
}

impl PeriodBill {
    /// Σ of the attributed charges.
    fn attributed(&self) -> Money {
        self.attributed_charges
            .values()
            .fold(Money::ZERO, |s, v| s + *v)
    }
}

/// How discounts show: (on the usage rows' net columns, as separate rows).
fn shown(plan: &Plan) -> (bool, bool) {
    plan.discounts
        .representation
        .map_or((false, false), |r| (r.map(), r.rows()))
}

fn e16(pico: u128) -> Money {
    Money::from_e16(pico as i128 * 10_000)
}

/// Gross and net (1e-16 USD) of request sums.
fn gross_net(plan: &Plan, s: &Sums) -> (Money, Money) {
    let g = e16(s.gross);
    let net = if shown(plan).0 {
        g - Money::from_e16(s.discount as i128)
    } else {
        g
    };
    (g, net)
}

fn money(plan: &Plan, s: &Sums) -> truth::Money {
    let (g, n) = gross_net(plan, s);
    truth::Money {
        gross: g.to_usd(),
        net: n.to_usd(),
    }
}

fn totals(plan: &Plan, b: &PeriodBill) -> truth::BillTotals {
    let (map, rows) = shown(plan);
    let (g, n) = gross_net(plan, &b.bedrock);
    let d = Money::from_e16(b.bedrock.discount as i128);
    let discount_rows = if rows { -d } else { Money::ZERO };
    let other = b.background_e16 + b.commitment_e16 + b.other_charges_e16;
    truth::BillTotals {
        unblended: (g + other).to_usd(),
        net_unblended: (n + other).to_usd(),
        public_on_demand: (g - e16(b.bedrock.marketplace) + other).to_usd(),
        discounts: (if map || rows { -d } else { Money::ZERO }).to_usd(),
        credits: b.credits_e16.to_usd(),
        refunds: b.refunds_e16.to_usd(),
        commitment_fees: b.commitment_e16.to_usd(),
        tax: b.tax_e16.to_usd(),
        invoice_total: (g + other + b.tax_e16 + b.credits_e16 + b.refunds_e16 + discount_rows)
            .to_usd(),
    }
}

/// What no principal carries, by line (gross, net in 1e-16 USD); lines that are zero left out.
fn unattributable(plan: &Plan, b: &PeriodBill) -> BTreeMap<String, truth::Money> {
    let (map, rows) = shown(plan);
    let (ug, un) = gross_net(plan, &b.unattributed);
    let d = Money::from_e16(b.bedrock.discount as i128);
    let lines: [(&str, Money, Money); 8] = [
        ("bedrock-without-principal", ug, un),
        ("commitment-fees", b.commitment_e16, b.commitment_e16),
        (
            "bedrock-other-charges",
            b.other_charges_e16 - b.attributed(),
            b.other_charges_e16 - b.attributed(),
        ),
        ("non-bedrock", b.background_e16, b.background_e16),
        // Discount rows: their net is 0 when the usage rows' net columns carry the discount
        // (the same dollars), their unblended cost when the net columns are null.
        (
            "discount-rows",
            if rows { -d } else { Money::ZERO },
            if rows && !map { -d } else { Money::ZERO },
        ),
        ("credits", b.credits_e16, b.credits_e16),
        ("refunds", b.refunds_e16, b.refunds_e16),
        ("tax", b.tax_e16, b.tax_e16),
    ];
    lines
        .iter()
        .filter(|(_, g, n)| !g.is_zero() || !n.is_zero())
        .map(|(k, g, n)| {
            (
                k.to_string(),
                truth::Money {
                    gross: (*g).to_usd(),
                    net: (*n).to_usd(),
                },
            )
        })
        .collect()
}

/// A principal's bill line: request sums `s` and attributed charges `x` (gross = net, never
/// discounted, public on-demand).
pub(super) fn principal_money(plan: &Plan, s: &Sums, x: Money) -> truth::PrincipalMoney {
    let (g, n) = gross_net(plan, s);
    let (g, n) = (g + x, n + x);
    truth::PrincipalMoney {
        gross: g.to_usd(),
        net: n.to_usd(),
        public_on_demand: (g - e16(s.marketplace)).to_usd(),
        marketplace: (e16(s.marketplace)).to_usd(),
    }
}

/// The bill without its `by_principal` (written by [`TruthFile`]), and the attributed charges
/// per caller index.
fn build_bill(
    plan: &Plan,
    tags: &TagTable,
    parts: &TruthParts,
) -> (truth::TruthBill, BTreeMap<usize, Money>) {
    let mut all = PeriodBill::default();
    for b in parts.bill_by_period.values() {
        all.bedrock.add(b.bedrock);
        all.unattributed.add(b.unattributed);
        all.background_e16 += b.background_e16;
        all.tax_e16 += b.tax_e16;
        all.credits_e16 += b.credits_e16;
        all.refunds_e16 += b.refunds_e16;
        all.commitment_e16 += b.commitment_e16;
        all.other_charges_e16 += b.other_charges_e16;
        for (k, v) in &b.attributed_charges {
            *all.attributed_charges.entry(*k).or_default() += *v;
        }
    }
    // Bedrock charges with a caller on their rows (`guardrail_principal = "caller"`): the
    // caller's, and its tags' at the time, gross = net (never discounted), public on-demand.
    let mut extra_p: BTreeMap<usize, Money> = BTreeMap::new();
    let mut extra_t: BTreeMap<(String, String), Money> = BTreeMap::new();
    for ((c, bucket), v) in &all.attributed_charges {
        *extra_p.entry(*c).or_default() += *v;
        for (k, val) in tags.set(tags.caller_set(*c, *bucket)).iter() {
            *extra_t.entry((k.clone(), val.clone())).or_default() += *v;
        }
    }
    let mut by_tag: BTreeMap<String, BTreeMap<String, Sums>> = BTreeMap::new();
    for (k, v) in extra_t.keys() {
        by_tag
            .entry(k.clone())
            .or_default()
            .entry(v.clone())
            .or_default();
    }
    for (set, v) in &parts.delta.by_tagset {
        for (k, val) in tags.set(*set).iter() {
            by_tag
                .entry(k.clone())
                .or_default()
                .entry(val.clone())
                .or_default()
                .add(*v);
        }
    }
    let restatements = restatements(plan, parts);
    let bill = truth::TruthBill {
        restatements,
        discount_representation: plan
            .discounts
            .representation
            .map_or("none", |r| r.as_str())
            .into(),
        totals: totals(plan, &all),
        totals_by_period: parts
            .bill_by_period
            .iter()
            .map(|(k, b)| (k.clone(), totals(plan, b)))
            .collect(),
        by_principal: BTreeMap::new(),
        by_tag: by_tag
            .into_iter()
            .map(|(k, m)| {
                let values = m
                    .iter()
                    .map(|(v, s)| {
                        let (g, n) = gross_net(plan, s);
                        let x = extra_t
                            .get(&(k.clone(), v.clone()))
                            .copied()
                            .unwrap_or(Money::ZERO);
                        (
                            v.clone(),
                            truth::Money {
                                gross: (g + x).to_usd(),
                                net: (n + x).to_usd(),
                            },
                        )
                    })
                    .collect();
                (k, values)
            })
            .collect(),
        profiles: plan
            .profiles
            .iter()
            .enumerate()
            .map(|(i, p)| truth::TruthProfile {
                name: p.name.clone(),
                arn: p.arn.to_string(),
                account: plan.accounts[p.account].id.clone(),
                tags: p.tags.iter().cloned().collect(),
                cost: money(
                    plan,
                    &parts
                        .delta
                        .by_profile
                        .get(&(i as u16 + 1))
                        .copied()
                        .unwrap_or_default(),
                ),
            })
            .collect(),
        unattributable: unattributable(plan, &all),
    };
    (bill, extra_p)
}

pub(super) fn pico_to_usd(v: u128) -> f64 {
    e16(v).to_usd()
}

/// Everything of the truth file but its per-principal parts (`by_principal`, `principals`,
/// `bill.by_principal`, left empty), and the attributed charges per caller index that those
/// parts add (`super::truth_file` writes them).
pub(super) fn truth_head(
    plan: &Plan,
    tags: &TagTable,
    parts: &TruthParts,
) -> (Truth, BTreeMap<usize, Money>) {
    let mut by_tag: BTreeMap<String, BTreeMap<String, u128>> = BTreeMap::new();
    for (set, v) in &parts.delta.by_tagset {
        for (k, val) in tags.set(*set).iter() {
            *by_tag
                .entry(k.clone())
                .or_default()
                .entry(val.clone())
                .or_default() += v.gross;
        }
    }
    let (bill, extra) = build_bill(plan, tags, parts);
    let head = Truth {
        curlab_truth_version: truth::TRUTH_VERSION,
        scenario: plan.name.clone(),
        seed: plan.seed,
        export: truth::TruthExport {
            name: plan.export.name.clone(),
            time_granularity: plan.export.granularity.as_str().into(),
            format: plan.export.format.as_str().into(),
            billing_periods: plan
                .export
                .periods
                .iter()
                .map(|p| p.label.clone())
                .collect(),
            include_iam_principal_data: plan.export.table.include_iam_principal_data,
            iam_principal_data_from: plan
                .export
                .principal_from
                .map(|t| rfc3339(t)[..10].to_string()),
            include_resources: plan.export.table.include_resources,
            payer_account_id: plan.export.several_payers.then(|| plan.payer.id.clone()),
        },
        rows: parts.rows_by_period.values().sum(),
        rows_by_period: parts.rows_by_period.clone(),
        bedrock_cost_total: pico_to_usd(parts.delta.bedrock),
        background_cost_total: parts.background_e16.to_usd(),
        tax_cost_total: parts.tax_e16.to_usd(),
        unattributed_bedrock_cost: pico_to_usd(parts.delta.unattributed),
        by_principal: BTreeMap::new(),
        by_tag: by_tag
            .into_iter()
            .map(|(k, m)| (k, m.into_iter().map(|(v, c)| (v, pico_to_usd(c))).collect()))
            .collect(),
        activation: plan
            .activations
            .iter()
            .map(|a| truth::Activation {
                key: a.full_key(),
                activated_at: rfc3339(a.activated),
                effective_from: rfc3339(a.effective),
                backfill_from: a.backfill.map(|b| rfc3339(b)[..10].to_string()),
            })
            .collect(),
        principals: Vec::new(),
        gateways: plan
            .gateways
            .iter()
            .map(|g| truth::TruthGateway {
                name: g.name.clone(),
                account: plan.accounts[g.account].id.clone(),
                per_user_sessions: g.per_user_sessions,
                invocation_role_arn: g.invocation_role_arn.clone(),
                execution_role_arn: g.execution_role_arn.clone(),
                expected_principals: g.expected_principals,
            })
            .collect(),
        faults: Vec::new(),
        bill,
        as_of: plan.export.as_of.as_ref().map(|a| truth::TruthAsOf {
            date: a.date.format("%Y-%m-%d").to_string(),
            months_shifted: a.months,
            data_until: rfc3339(a.data_until),
            data_delay_hours: crate::asof::DATA_DELAY_HOURS as u32,
            open_billing_period: plan
                .export
                .periods
                .last()
                .map(|p| p.label.clone())
                .unwrap_or_default(),
        }),
    };
    (head, extra)
}

/// The restated billing periods: the day, the late adjustments, the first delivery's total.
fn restatements(plan: &Plan, parts: &TruthParts) -> BTreeMap<String, truth::TruthRestatement> {
    let mut out = BTreeMap::new();
    for (p, per) in plan.export.periods.iter().enumerate() {
        let Some(day) = plan.restated_at(p) else {
            continue;
        };
        let late: Vec<&crate::plan::AdjustmentPlan> = plan
            .adjustments
            .iter()
            .filter(|a| a.period == p && a.restated_at.is_some())
            .collect();
        let sum = late.iter().fold(Money::ZERO, |s, a| s + a.cost_e16);
        let invoice = parts
            .bill_by_period
            .get(&per.label)
            .map_or(Money::ZERO, |b| {
                Money::from_usd(totals(plan, b).invoice_total)
            });
        out.insert(
            per.label.clone(),
            truth::TruthRestatement {
                restated_at: crate::time::rfc3339(day)
                    .get(..10)
                    .unwrap_or_default()
                    .into(),
                late_adjustments: sum.to_usd(),
                late_rows: late.len() as u64,
                first_invoice_total: (invoice - sum).to_usd(),
            },
        );
    }
    out
}
