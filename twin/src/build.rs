//! A [`Profile`] becomes a scenario: every principal of the source becomes one explicit
//! identity of the same access pattern (renamed), its usage a workload per model, region and
//! tier (or, for a caller with only a few active hours, its exact requests), the tag keys
//! cost allocation tags activated when they first appear, the rest background and tax.
//!
//! [`build`] runs named steps in order: the organisation, the export, the identities
//! ([`crate::identities`]), the stand-ins for usage without a principal, the rest of the bill,
//! the workloads and requests, the tag keys, background spend and tax. The steps share one
//! [`Ctx`]; the order is kept because renaming is first come, first served on a collision.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use curlab_generator::scenario::model::*;
use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, RESOURCE_TAGS_PREFIX};
use curlab_vocab::Granularity;

use crate::anon::Renamer;
use crate::ctx::{acct_of, Ctx, Target};
pub use crate::ctx::{Options, COMPACT_GROUP, COMPACT_TOTAL};
use crate::models::Models;
use crate::profile::{Map, PrincipalStats, Profile, WorkKey, WorkStats};
use crate::shape;
use crate::write::Notes;

use crate::specs::day;
use crate::specs::sorted;
pub use crate::specs::{region_name, SPARSE_CELLS};

/// Everything built, before writing.
pub struct Built {
    /// The scenario.
    pub file: ScenarioFile,
    /// Comments for the writer.
    pub notes: Notes,
}

/// Build the scenario of a profile. `statements` says what could not be inferred.
pub fn build(p: &Profile, o: &Options, statements: &mut Vec<String>) -> Result<Built> {
    let mut r = Renamer::new(&o.salt, o.keep_names, o.rename_keys);
    if p.accounts.is_empty() {
        bail!("the export has no usage account ids, so no organisation can be inferred");
    }
    // Accounts: the payer column is not read; the first usage account stands in for it.
    let accounts: Vec<(String, String)> = p
        .accounts
        .iter()
        .map(|a| (a.clone(), r.account(a)))
        .collect();
    let mut notes = Notes::default();
    let (export, granularity) = export_spec(p, o, &mut notes);
    let file = ScenarioFile {
        scenario: Meta {
            name: o.name.clone(),
            description: format!(
                "Synthetic twin of an export: {} account(s), {} principal(s){}",
                p.accounts.len(),
                p.principals.len(),
                if o.keep_names { "" } else { ", anonymised" }
            ),
            seed: o.seed,
        },
        export,
        organization: organization(&accounts),
        assumptions: Assumptions::default(),
        iam_users: vec![],
        api_keys: vec![],
        roles: vec![],
        identity_providers: vec![],
        gateways: vec![],
        cost_allocation_tags: vec![],
        workloads: vec![],
        requests: vec![],
        models: vec![],
        background: vec![],
        tax: None,
        discounts: None,
        adjustments: vec![],
        inference_profiles: vec![],
    };
    let mut c = Ctx {
        p,
        o,
        r,
        notes,
        file,
        statements,
        accounts,
    };
    let mut targets = crate::identities::identities(&mut c);
    unattributed(&mut c, &mut targets);
    let mut models = Models::new();
    let profile_names = bill(&mut c, &mut models);
    workloads(&mut c, &mut models, &targets, &profile_names, granularity);
    c.file.models = models.added();
    if p.bedrock_rows > 0 {
        c.notes.header(shape::REQUESTS_NOTE.to_string());
    }
    tag_keys(&mut c);
    let accounts = &c.accounts;
    crate::background::build(
        p,
        granularity,
        &mut c.r,
        &|a: &str| acct_of(accounts, a),
        &mut c.file,
        &mut c.notes,
        c.statements,
    );
    c.file.tax = tax(p);
    Ok(Built {
        file: c.file,
        notes: c.notes,
    })
}

/// The organisation: renamed accounts, the first as payer.
fn organization(accounts: &[(String, String)]) -> Organization {
    Organization {
        payer: Some(AccountSpec {
            id: accounts[0].1.clone(),
            name: "account-01".into(),
        }),
        payers: Vec::new(),
        accounts: accounts
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, (_, id))| AccountSpec {
                id: id.clone(),
                name: format!("account-{:02}", i + 1),
            })
            .collect(),
    }
}

/// The export: billing periods, granularity, format and the principal column.
fn export_spec(p: &Profile, o: &Options, notes: &mut Notes) -> (ExportSpec, Granularity) {
    let granularity = match p.granularity() {
        "DAILY" => Granularity::Daily,
        "MONTHLY" => Granularity::Monthly,
        _ => Granularity::Hourly,
    };
    let enabled_on = match (p.first_with_principal, p.first_bedrock) {
        (Some(w), Some(b)) if p.principal_column && w / 86_400 > b / 86_400 => Some(day(w)),
        _ => None,
    };
    let export = ExportSpec {
        name: Some(o.name.clone()),
        billing_periods: p.periods.iter().cloned().collect(),
        time_granularity: granularity,
        include_resources: true,
        include_iam_principal_data: p.principal_column,
        iam_principal_data_enabled_on: enabled_on,
        include_split_cost_allocation_data: false,
        include_capacity_reservation_data: false,
        include_manual_discount_compatibility: false,
        legacy_113_columns: false,
        format: if p.csv {
            ExportFormat::Csv
        } else {
            ExportFormat::Parquet
        },
        delivery: Delivery::Overwrite,
        s3_bucket: "curlab-cur-exports".into(),
        s3_prefix: "cur2".into(),
        invoice_finalized: false,
        max_rows_per_file: 5_000_000,
    };
    notes.item(
        "export",
        0,
        format!(
            "inferred: {} billing period(s), {} rows ({} Bedrock inference), {} granularity, {}",
            p.periods.len(),
            p.rows,
            p.bedrock_rows,
            granularity.as_str(),
            if p.csv { "CSV" } else { "Parquet" }
        ),
    );
    (export, granularity)
}

/// Bedrock usage without a principal: an IAM user per account whose rows carry none (the
/// export has no principal column, or the data starts later).
fn unattributed<'a>(c: &mut Ctx<'a>, targets: &mut Vec<(&'a PrincipalStats, Target)>) {
    let p = c.p;
    for (src_account, ps) in sorted(&p.unattributed) {
        let account = c.acct(src_account);
        let name = format!(
            "unattributed-{}",
            &account[account.len().saturating_sub(4)..]
        );
        c.file.iam_users.push(IamUserSpec {
            account: account.clone(),
            name: name.clone(),
            path: "/".into(),
            tags: TagMap::new(),
        });
        c.notes.item(
            "iam_users",
            c.file.iam_users.len() - 1,
            "stand-in for Bedrock usage without a principal in the source".to_string(),
        );
        targets.push((ps, Target::One(format!("{account}/user:{name}"))));
    }
}

/// Inference profiles, discounts, credits and refunds; the profile name of each profile ARN.
fn bill(c: &mut Ctx<'_>, models: &mut Models) -> Map<std::sync::Arc<str>, String> {
    let p = c.p;
    let mut model_id = |key: &str| -> Option<String> {
        let w = p
            .principals
            .iter()
            .map(|(_, ps)| ps)
            .chain(p.unattributed.values())
            .flat_map(|ps| ps.work.iter())
            .find(|(k, _)| &*k.0 == key)
            .map(|(_, w)| w)?;
        Some(models.id(key, &[w]))
    };
    let accounts = &c.accounts;
    crate::bill::build(
        p,
        &mut c.r,
        &|a: &str| acct_of(accounts, a),
        &mut model_id,
        &mut c.file,
        &mut c.notes,
        c.statements,
    )
}

/// Workloads and requests: a sparse caller's exact requests, else a workload per model,
/// region and tier (one per group selector for shared targets).
fn workloads(
    c: &mut Ctx<'_>,
    models: &mut Models,
    targets: &[(&PrincipalStats, Target)],
    profile_names: &Map<std::sync::Arc<str>, String>,
    granularity: Granularity,
) {
    let through = |wl: &mut WorkloadSpec, k: &WorkKey| {
        wl.inference_profile = k.3.as_ref().and_then(|a| profile_names.get(a).cloned());
    };
    let shapes = shape::Shapes::new(c.p, granularity);
    type SharedWork = (f64, WorkStats, usize, f64, bool);
    let mut shared: BTreeMap<(String, WorkKey), SharedWork> = BTreeMap::new();
    let (mut n_requests, mut n_sparse) = (0usize, 0usize);
    for (ps, target) in targets {
        match target {
            Target::One(sel) => {
                let cells: Option<usize> = ps
                    .work
                    .iter()
                    .map(|(_, w)| w.cells().map(|c| c.len()))
                    .sum();
                // Exact requests cannot name an inference profile: callers through one keep
                // a workload.
                let profiled = ps.work.iter().any(|(k, _)| k.3.is_some());
                if cells.is_some_and(|c| c <= SPARSE_CELLS) && !profiled {
                    n_sparse += 1;
                    for (k, w) in &ps.work {
                        let model = models.id(&k.0, &[w]);
                        for req in shape::requests(sel, &model, &region_name(k.1), k.2, w) {
                            n_requests += 1;
                            c.file.requests.push(req);
                        }
                    }
                } else {
                    for (k, w) in &ps.work {
                        let model = models.id(&k.0, &[w]);
                        let observed = w.active_hours() as f64;
                        if let Some(mut wl) = shapes.workload(sel, &model, k, w, 1.0, observed) {
                            through(&mut wl, k);
                            c.file.workloads.push(wl);
                        }
                    }
                }
            }
            Target::Shared(sel, split, per_member) => {
                for (k, w) in &ps.work {
                    let e = shared
                        .entry((sel.clone(), k.clone()))
                        .or_insert_with(|| (*split, w.clone(), 0, 0.0, *per_member));
                    if e.2 > 0 {
                        e.1.merge_from(w);
                    }
                    e.2 += 1;
                    e.3 += w.active_hours() as f64;
                }
            }
        }
    }
    for ((sel, k), (split, w, _, observed, per_member)) in &shared {
        let model = models.id(&k.0, &[w]);
        if let Some(mut wl) = shapes.workload(sel, &model, k, w, *split, *observed) {
            through(&mut wl, k);
            if *per_member {
                wl.requests_per_day = shape::round_sig(wl.requests_per_day / split, 6);
            }
            c.file.workloads.push(wl);
        }
    }
    if n_sparse > 0 {
        c.notes.header(format!(
            "{n_sparse} principal(s) with at most {SPARSE_CELLS} active hour-cells are replayed \
             as {n_requests} explicit request(s) with their exact tokens"
        ));
    }
}

/// Tag keys: activated when they first appear.
fn tag_keys(c: &mut Ctx<'_>) {
    for (full, t) in sorted(&c.p.tag_keys) {
        let (source, key) = if let Some(k) = full.strip_prefix(IAM_PRINCIPAL_PREFIX) {
            (TagSource::IamPrincipal, k)
        } else if let Some(k) = full.strip_prefix(RESOURCE_TAGS_PREFIX) {
            (TagSource::Resource, k)
        } else {
            continue;
        };
        let at = chrono::DateTime::from_timestamp(t.first - t.first.rem_euclid(3600), 0)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        c.notes.item(
            "cost_allocation_tags",
            c.file.cost_allocation_tags.len(),
            format!("inferred: {} distinct value(s); first seen {at}", t.values),
        );
        c.file.cost_allocation_tags.push(TagActivationSpec {
            payer: None,
            key: c.r.tag_key(key),
            source,
            activated_at: at,
            effect_delay_hours: 0,
            backfill_from: None,
        });
    }
}

/// Tax: the tax / pre-tax ratio over all accounts.
fn tax(p: &Profile) -> Option<TaxSpec> {
    let tax: f64 = p.tax.values().sum();
    let pretax: f64 = p.pretax.values().sum();
    (tax > 0.0 && pretax > 0.0).then(|| TaxSpec {
        rate: ((tax / pretax) * 10_000.0).round() / 10_000.0,
        tax_type: "USSalesTax".into(),
    })
}
