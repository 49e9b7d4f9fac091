//! Truth building: the integer sums kept while emitting become the ground-truth file.

use std::collections::BTreeMap;

use curlab_vocab::truth::{self, Truth};

use super::blocks::{Sums, TruthDelta};
use super::tag_table::TagTable;
use crate::plan::Plan;
use crate::rows::e16_to_usd;
use crate::time::rfc3339;

/// Integer sums the truth file is built from.
#[derive(Debug, Default)]
pub struct TruthParts {
    /// Request-level sums.
    pub delta: TruthDelta,
    /// Background usage cost (1e-16 USD).
    pub background_e16: i128,
    /// Tax cost (1e-16 USD).
    pub tax_e16: i128,
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
    pub background_e16: i128,
    /// Tax rows (1e-16 USD).
    pub tax_e16: i128,
    /// Credit rows (1e-16 USD, ≤ 0).
    pub credits_e16: i128,
    /// Refund rows (1e-16 USD, ≤ 0).
    pub refunds_e16: i128,
    /// Provisioned Throughput and Reserved tier rows (1e-16 USD).
    pub commitment_e16: i128,
    /// Other Bedrock charges without a principal: guardrails, rerank, AgentCore (1e-16 USD).
    pub other_charges_e16: i128,
}

/// How discounts show: (on the usage rows' net columns, as separate rows).
fn shown(plan: &Plan) -> (bool, bool) {
    plan.discounts
        .representation
        .map_or((false, false), |r| (r.map(), r.rows()))
}

fn e16(pico: u128) -> i128 {
    pico as i128 * 10_000
}

/// Gross and net (1e-16 USD) of request sums.
fn gross_net(plan: &Plan, s: &Sums) -> (i128, i128) {
    let g = e16(s.gross);
    let net = if shown(plan).0 {
        g - s.discount as i128
    } else {
        g
    };
    (g, net)
}

fn money(plan: &Plan, s: &Sums) -> truth::Money {
    let (g, n) = gross_net(plan, s);
    truth::Money {
        gross: e16_to_usd(g),
        net: e16_to_usd(n),
    }
}

fn totals(plan: &Plan, b: &PeriodBill) -> truth::BillTotals {
    let (map, rows) = shown(plan);
    let (g, n) = gross_net(plan, &b.bedrock);
    let d = b.bedrock.discount as i128;
    let discount_rows = if rows { -d } else { 0 };
    let other = b.background_e16 + b.commitment_e16 + b.other_charges_e16;
    truth::BillTotals {
        unblended: e16_to_usd(g + other),
        net_unblended: e16_to_usd(n + other),
        public_on_demand: e16_to_usd(g - e16(b.bedrock.marketplace) + other),
        discounts: e16_to_usd(if map || rows { -d } else { 0 }),
        credits: e16_to_usd(b.credits_e16),
        refunds: e16_to_usd(b.refunds_e16),
        commitment_fees: e16_to_usd(b.commitment_e16),
        tax: e16_to_usd(b.tax_e16),
        invoice_total: e16_to_usd(
            g + other + b.tax_e16 + b.credits_e16 + b.refunds_e16 + discount_rows,
        ),
    }
}

/// What no principal carries, by line (gross, net in 1e-16 USD); lines that are zero left out.
fn unattributable(plan: &Plan, b: &PeriodBill) -> BTreeMap<String, truth::Money> {
    let (map, rows) = shown(plan);
    let (ug, un) = gross_net(plan, &b.unattributed);
    let d = b.bedrock.discount as i128;
    let lines: [(&str, i128, i128); 8] = [
        ("bedrock-without-principal", ug, un),
        ("commitment-fees", b.commitment_e16, b.commitment_e16),
        (
            "bedrock-other-charges",
            b.other_charges_e16,
            b.other_charges_e16,
        ),
        ("non-bedrock", b.background_e16, b.background_e16),
        // Discount rows: their net is 0 when the usage rows' net columns carry the discount
        // (the same dollars), their unblended cost when the net columns are null.
        (
            "discount-rows",
            if rows { -d } else { 0 },
            if rows && !map { -d } else { 0 },
        ),
        ("credits", b.credits_e16, b.credits_e16),
        ("refunds", b.refunds_e16, b.refunds_e16),
        ("tax", b.tax_e16, b.tax_e16),
    ];
    lines
        .iter()
        .filter(|(_, g, n)| *g != 0 || *n != 0)
        .map(|(k, g, n)| {
            (
                k.to_string(),
                truth::Money {
                    gross: e16_to_usd(*g),
                    net: e16_to_usd(*n),
                },
            )
        })
        .collect()
}

fn build_bill(plan: &Plan, tags: &TagTable, parts: &TruthParts) -> truth::TruthBill {
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
    }
    let mut by_principal: BTreeMap<String, Sums> = BTreeMap::new();
    for (c, v) in &parts.delta.by_caller {
        let arn = plan.callers[*c as usize].arn.to_string();
        by_principal.entry(arn).or_default().add(*v);
    }
    let mut by_tag: BTreeMap<String, BTreeMap<String, Sums>> = BTreeMap::new();
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
    truth::TruthBill {
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
        by_principal: by_principal
            .into_iter()
            .map(|(k, s)| {
                let (g, n) = gross_net(plan, &s);
                (
                    k,
                    truth::PrincipalMoney {
                        gross: e16_to_usd(g),
                        net: e16_to_usd(n),
                        public_on_demand: e16_to_usd(g - e16(s.marketplace)),
                        marketplace: e16_to_usd(e16(s.marketplace)),
                    },
                )
            })
            .collect(),
        by_tag: by_tag
            .into_iter()
            .map(|(k, m)| {
                (
                    k,
                    m.iter().map(|(v, s)| (v.clone(), money(plan, s))).collect(),
                )
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
    }
}

fn pico_to_usd(v: u128) -> f64 {
    e16_to_usd(v as i128 * 10_000)
}

/// Build the truth file.
pub fn build_truth(plan: &Plan, tags: &TagTable, parts: &TruthParts) -> Truth {
    let mut by_principal = BTreeMap::new();
    for (c, v) in &parts.delta.by_caller {
        let arn = plan.callers[*c as usize].arn.to_string();
        *by_principal.entry(arn).or_insert(0u128) += v.gross;
    }
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
    let called: std::collections::BTreeSet<u32> = parts.delta.by_caller.keys().copied().collect();
    let mut principals: Vec<truth::TruthPrincipal> = called
        .iter()
        .map(|c| {
            let c = &plan.callers[*c as usize];
            truth::TruthPrincipal {
                arn: c.arn.to_string(),
                identity: c.identity.as_str().into(),
                pattern: c.pattern.as_str().into(),
                account: plan.accounts[c.account].id.clone(),
                tags: c.tags.iter().cloned().collect(),
                session_tag_keys: c.session_keys.clone(),
                gateway: c.gateway.map(|g| plan.gateways[g].name.clone()),
            }
        })
        .collect();
    principals.sort_by(|a, b| a.arn.cmp(&b.arn));
    principals.dedup_by(|a, b| a.arn == b.arn);
    Truth {
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
        },
        rows: parts.rows_by_period.values().sum(),
        rows_by_period: parts.rows_by_period.clone(),
        bedrock_cost_total: pico_to_usd(parts.delta.bedrock),
        background_cost_total: e16_to_usd(parts.background_e16),
        tax_cost_total: e16_to_usd(parts.tax_e16),
        unattributed_bedrock_cost: pico_to_usd(parts.delta.unattributed),
        by_principal: by_principal
            .into_iter()
            .map(|(k, v)| (k, pico_to_usd(v)))
            .collect(),
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
        principals,
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
        bill: build_bill(plan, tags, parts),
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
    }
}
