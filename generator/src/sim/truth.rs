//! Truth building: the integer sums kept while emitting become the ground-truth file.

use std::collections::BTreeMap;

use curlab_vocab::truth::{self, Truth};

use super::blocks::TruthDelta;
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
}

fn pico_to_usd(v: u128) -> f64 {
    e16_to_usd(v as i128 * 10_000)
}

/// Build the truth file.
pub fn build_truth(plan: &Plan, tags: &TagTable, parts: &TruthParts) -> Truth {
    let mut by_principal = BTreeMap::new();
    for (c, v) in &parts.delta.by_caller {
        let arn = plan.callers[*c as usize].arn.to_string();
        *by_principal.entry(arn).or_insert(0u128) += *v;
    }
    let mut by_tag: BTreeMap<String, BTreeMap<String, u128>> = BTreeMap::new();
    for (set, v) in &parts.delta.by_tagset {
        for (k, val) in tags.set(*set).iter() {
            *by_tag
                .entry(k.clone())
                .or_default()
                .entry(val.clone())
                .or_default() += *v;
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
