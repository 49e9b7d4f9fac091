//! A [`Profile`] becomes a scenario: every principal of the source becomes one explicit
//! identity of the same access pattern (renamed), its usage a workload per model, region and
//! tier (or, for a caller with only a few active hours, its exact requests), the tag keys
//! cost allocation tags activated when they first appear, the rest background and tax.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Result};
use curlab_generator::scenario::model::*;
use curlab_vocab::arn::{parse_principal, IdentityKind};
use curlab_vocab::pattern::{per_job_prefix, session_kind, SessionKind, GATEWAY_MIN_SESSIONS};
use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, RESOURCE_TAGS_PREFIX};
use curlab_vocab::Granularity;

use crate::anon::Renamer;
use crate::models::Models;
use crate::profile::{Map, PrincipalStats, Profile, WorkKey, WorkStats};
use crate::shape;
use crate::write::Notes;

use crate::specs::{day, pooled, role_spec, users};
pub use crate::specs::{region_name, SPARSE_CELLS};
pub(crate) use crate::specs::{sorted, top_tags};

/// In an export with more than [`COMPACT_TOTAL`] principals, an identity provider or gateway
/// with more than this many users is written with generated users (a count and attribute
/// pools) and one workload per model for all of them, so the file stays within the scenario
/// size limit; smaller groups list every user with its own workload.
pub const COMPACT_GROUP: usize = 1000;

/// See [`COMPACT_GROUP`].
pub const COMPACT_TOTAL: usize = 5000;

/// How to build the twin.
#[derive(Debug, Clone)]
pub struct Options {
    /// Salt of the keyed renaming.
    pub salt: String,
    /// Keep every name and value.
    pub keep_names: bool,
    /// Rename tag keys too.
    pub rename_keys: bool,
    /// Scenario (and export) name.
    pub name: String,
    /// Seed written into `[scenario]`.
    pub seed: u64,
}

/// Where a principal's usage goes.
enum Target {
    /// A selector naming exactly this principal.
    One(String),
    /// A group selector whose requests spread over `split` sessions (`per_member`: each of
    /// `split` members is its own requester, so the rate is per member).
    Shared(String, f64, bool),
}

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
    let mut notes = Notes::default();
    if p.accounts.is_empty() {
        bail!("the export has no usage account ids, so no organisation can be inferred");
    }
    // Accounts: the payer column is not read; the first usage account stands in for it.
    let accounts: Vec<(String, String)> = p
        .accounts
        .iter()
        .map(|a| (a.clone(), r.account(a)))
        .collect();
    let acct = |a: &str| {
        accounts
            .iter()
            .find(|(s, _)| s == a)
            .map_or_else(|| accounts[0].1.clone(), |(_, t)| t.clone())
    };
    let organization = Organization {
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
    };
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

    let mut file = ScenarioFile {
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
        organization,
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

    // Identities. Every principal gets a target selector.
    let mut targets: Vec<(&String, &PrincipalStats, Target)> = Vec::new();
    let mut arns: Vec<&String> = p.principals.keys().collect();
    arns.sort();
    type RoleKey = (String, String, u8);
    let mut roles: BTreeMap<RoleKey, Vec<(&String, String)>> = BTreeMap::new();
    let mut stand_ins = 0usize;
    for arn in &arns {
        let ps = &p.principals[*arn];
        match parse_principal(arn) {
            Ok(a) if a.kind == IdentityKind::IamUser => {
                let account = acct(a.account);
                let name = r.name("user", "user-", a.name);
                let path = if a.path == "/" || o.keep_names {
                    a.path.to_string()
                } else {
                    format!("/{}/", r.name("path", "p", a.path))
                };
                file.iam_users.push(IamUserSpec {
                    account: account.clone(),
                    name: name.clone(),
                    path,
                    tags: top_tags(&mut r, &ps.tags),
                });
                targets.push((arn, ps, Target::One(format!("{account}/user:{name}"))));
            }
            Ok(a) if a.kind == IdentityKind::BedrockApiKey => {
                let account = acct(a.account);
                let id = r.api_key(a.name.trim_start_matches("BedrockAPIKey-"));
                file.api_keys.push(ApiKeySpec {
                    account: account.clone(),
                    id: Some(id.clone()),
                    tags: top_tags(&mut r, &ps.tags),
                });
                targets.push((arn, ps, Target::One(format!("{account}/api-key:{id}"))));
            }
            Ok(a)
                if matches!(
                    a.kind,
                    IdentityKind::AssumedRole | IdentityKind::IdentityCenter
                ) =>
            {
                let session = a.session.unwrap_or("").to_string();
                let class = if a.kind == IdentityKind::IdentityCenter {
                    9
                } else {
                    session_kind(&session) as u8
                };
                roles
                    .entry((a.account.to_string(), a.name.to_string(), class))
                    .or_default()
                    .push((arn, session));
            }
            _ => {
                // federated-user, root, a role ARN or unreadable text: an IAM user stands in.
                stand_ins += 1;
                let account = acct(&ps.account);
                let name = r.name("user", "user-", arn);
                file.iam_users.push(IamUserSpec {
                    account: account.clone(),
                    name: name.clone(),
                    path: "/".into(),
                    tags: top_tags(&mut r, &ps.tags),
                });
                targets.push((arn, ps, Target::One(format!("{account}/user:{name}"))));
            }
        }
    }
    if stand_ins > 0 {
        statements.push(format!(
            "{stand_ins} principal(s) are not IAM users, API keys or role sessions (federated-user, \
             root, a role ARN or unreadable text); the scenario format has no such caller, so an \
             IAM user stands in for each and the access-pattern counts differ by that many"
        ));
    }
    let mut role_names_used: BTreeMap<(String, String), usize> = BTreeMap::new();
    let (mut idps, mut gws) = (0usize, 0usize);
    for ((src_account, src_role, class), members) in &roles {
        let account = acct(src_account);
        let n_uses = role_names_used
            .entry((src_account.clone(), src_role.clone()))
            .or_default();
        *n_uses += 1;
        let mut role = if *class == 9 {
            String::new()
        } else {
            r.name("role", "role-", src_role)
        };
        if *n_uses > 1 && *class != 9 {
            role = format!("{role}-k{n_uses}");
            statements.push(format!(
                "role `{role}` is used with several session kinds; the twin splits it into one \
                 role per kind"
            ));
        }
        let per_session: Vec<TagMap> = members
            .iter()
            .map(|(arn, _)| top_tags(&mut r, &p.principals[*arn].tags))
            .collect();
        let same_tags = per_session.windows(2).all(|w| w[0] == w[1]);
        let mut merged: Map<String, Map<String, u64>> = Map::default();
        for (arn, _) in members {
            for (k, vs) in &p.principals[*arn].tags {
                for (v, n) in vs {
                    *merged
                        .entry(k.clone())
                        .or_default()
                        .entry(v.clone())
                        .or_default() += n;
                }
            }
        }
        let session_tag_keys = |per: &[TagMap]| -> TagMap {
            per.iter()
                .flat_map(|t| t.keys().cloned())
                .collect::<BTreeSet<String>>()
                .into_iter()
                .map(|k| (k.clone(), k))
                .collect()
        };
        let kind = if *class == 9 {
            None
        } else {
            Some(session_kind(&members[0].1))
        };
        let compact = members.len() > COMPACT_GROUP && p.principals.len() > COMPACT_TOTAL;
        let n_members = members.len() as f64;
        if compact {
            statements.push(format!(
                "{} sessions on role `{role}` are written as {} generated users with one \
                 workload per model (an export of more than {COMPACT_TOTAL} principals); their \
                 per-user volumes and tag combinations become averages and attribute pools",
                members.len(),
                members.len()
            ));
        }
        match kind {
            None | Some(SessionKind::Email) => {
                idps += 1;
                let name = format!("idp-{idps:02}");
                let ic = kind.is_none();
                let email = members.iter().all(|(_, s)| s.contains('@'));
                let mut list = Vec::new();
                for ((arn, s), tags) in members.iter().zip(&per_session) {
                    let (user, mail, sel) = if email {
                        let m = r.email(s);
                        let local = m.split('@').next().unwrap_or("user").to_string();
                        (local, Some(m.clone()), m)
                    } else {
                        let u = r.name("session", "u", s);
                        (u.clone(), None, u)
                    };
                    if compact {
                        targets.push((
                            *arn,
                            &p.principals[*arn],
                            Target::Shared(format!("{account}/idp:{name}"), n_members, true),
                        ));
                        continue;
                    }
                    list.push(UserSpec {
                        name: user,
                        email: mail,
                        attributes: tags.clone(),
                    });
                    targets.push((
                        *arn,
                        &p.principals[*arn],
                        Target::One(format!("{account}/idp:{name}/{sel}")),
                    ));
                }
                let permission_set = ic.then(|| {
                    let ps = src_role
                        .strip_prefix("AWSReservedSSO_")
                        .and_then(|x| x.rsplit_once('_'))
                        .map_or(src_role.as_str(), |(ps, _)| ps);
                    if o.keep_names {
                        ps.to_string()
                    } else {
                        r.name("permission-set", "PS", ps)
                    }
                });
                if !ic {
                    file.roles
                        .push(role_spec(&account, &role, TagMap::new(), None));
                }
                notes.item(
                    "identity_providers",
                    file.identity_providers.len(),
                    format!(
                        "inferred: {} {} session(s) on one {} role",
                        members.len(),
                        if email { "e-mail-like" } else { "named" },
                        if ic {
                            "Identity Center"
                        } else {
                            "federation (SAML/OIDC)"
                        }
                    ),
                );
                file.identity_providers.push(IdpSpec {
                    name,
                    kind: if ic {
                        IdpKind::IdentityCenter
                    } else {
                        IdpKind::OktaSaml
                    },
                    account: account.clone(),
                    role: (!ic).then(|| role.clone()),
                    permission_set,
                    session_name: if email {
                        SessionNameSource::Email
                    } else {
                        SessionNameSource::Username
                    },
                    session_tags: session_tag_keys(&per_session),
                    transitive_keys: vec![],
                    claim_form: None,
                    chain_to: None,
                    users: if compact {
                        pooled(members.len(), &per_session)
                    } else {
                        users(list)
                    },
                });
            }
            Some(SessionKind::Named) if members.len() >= GATEWAY_MIN_SESSIONS || !same_tags => {
                gws += 1;
                let name = format!("gw-{gws:02}");
                let mut list = Vec::new();
                for ((arn, s), tags) in members.iter().zip(&per_session) {
                    if compact {
                        targets.push((
                            *arn,
                            &p.principals[*arn],
                            Target::Shared(format!("{account}/gateway:{name}"), n_members, true),
                        ));
                        continue;
                    }
                    let u = r.name("session", "s", s);
                    list.push(UserSpec {
                        name: u.clone(),
                        email: None,
                        attributes: tags.clone(),
                    });
                    targets.push((
                        *arn,
                        &p.principals[*arn],
                        Target::One(format!("{account}/gateway:{name}/{u}")),
                    ));
                }
                file.roles
                    .push(role_spec(&account, &role, TagMap::new(), None));
                notes.item(
                    "gateways",
                    file.gateways.len(),
                    format!(
                        "inferred: one role with {} named sessions{}: a gateway assuming it per user",
                        members.len(),
                        if same_tags { "" } else { " carrying different tags" }
                    ),
                );
                file.gateways.push(GatewaySpec {
                    name,
                    account: account.clone(),
                    execution_role: format!("{}-exec", role.chars().take(58).collect::<String>()),
                    invocation_role: role.clone(),
                    per_user_sessions: true,
                    session_name_from: GatewaySessionKey::User,
                    session_name_prefix: String::new(),
                    session_tags: session_tag_keys(&per_session),
                    credential_ttl_minutes: 60,
                    users: if compact {
                        pooled(members.len(), &per_session)
                    } else {
                        users(list)
                    },
                });
            }
            Some(SessionKind::Named) => {
                let names: Vec<String> = members
                    .iter()
                    .map(|(_, s)| r.name("session", "s", s))
                    .collect();
                for ((arn, _), n) in members.iter().zip(&names) {
                    targets.push((
                        *arn,
                        &p.principals[*arn],
                        Target::One(format!("{account}/role:{role}/{n}")),
                    ));
                }
                let sessions = if names.len() == 1 {
                    SessionNaming::Fixed {
                        name: names[0].clone(),
                    }
                } else {
                    SessionNaming::Lambda { functions: names }
                };
                notes.item(
                    "roles",
                    file.roles.len(),
                    format!(
                        "inferred: {} named session(s) (Lambda functions or fixed names)",
                        members.len()
                    ),
                );
                file.roles.push(role_spec(
                    &account,
                    &role,
                    per_session[0].clone(),
                    Some(sessions),
                ));
            }
            Some(k) => {
                let n = members.len();
                let (sessions, split, what) = match k {
                    SessionKind::EcsTask => {
                        (SessionNaming::Ecs { tasks: n as u32 }, n as f64, "ECS task")
                    }
                    SessionKind::Ec2Instance => (
                        SessionNaming::Ec2 {
                            instances: n as u32,
                        },
                        n as f64,
                        "EC2 instance",
                    ),
                    _ => {
                        let mut per_day: BTreeMap<&str, u32> = BTreeMap::new();
                        let mut prefixes: BTreeMap<&str, usize> = BTreeMap::new();
                        for (_, s) in members {
                            if let Some(pf) = per_job_prefix(s) {
                                *prefixes.entry(pf).or_default() += 1;
                                let date = &s[pf.len() + 1..pf.len() + 9];
                                *per_day.entry(date).or_default() += 1;
                            }
                        }
                        let jobs = per_day.values().copied().max().unwrap_or(1).max(1);
                        let prefix = prefixes
                            .iter()
                            .max_by_key(|(_, n)| **n)
                            .map_or("job", |(p, _)| *p);
                        (
                            SessionNaming::Batch {
                                prefix: r.name("job-prefix", "job", prefix),
                                jobs_per_day: jobs,
                            },
                            f64::from(jobs),
                            "per-job",
                        )
                    }
                };
                for (arn, _) in members {
                    targets.push((
                        *arn,
                        &p.principals[*arn],
                        Target::Shared(format!("{account}/role:{role}"), split, false),
                    ));
                }
                if !same_tags {
                    statements.push(format!(
                        "role `{role}`: its {what} sessions carry different tags; the twin gives \
                         them all the most common value of each key"
                    ));
                }
                notes.item(
                    "roles",
                    file.roles.len(),
                    format!("inferred: {n} {what} session(s)"),
                );
                file.roles.push(role_spec(
                    &account,
                    &role,
                    top_tags(&mut r, &merged),
                    Some(sessions),
                ));
            }
        }
    }

    // Bedrock usage without a principal: an IAM user per account whose rows carry none
    // (the export has no principal column, or the data starts later).
    for (src_account, ps) in sorted(&p.unattributed) {
        let account = acct(src_account);
        let name = format!(
            "unattributed-{}",
            &account[account.len().saturating_sub(4)..]
        );
        file.iam_users.push(IamUserSpec {
            account: account.clone(),
            name: name.clone(),
            path: "/".into(),
            tags: TagMap::new(),
        });
        notes.item(
            "iam_users",
            file.iam_users.len() - 1,
            "stand-in for Bedrock usage without a principal in the source".to_string(),
        );
        let sel = format!("{account}/user:{name}");
        unattributed_target(&mut targets, src_account, ps, sel);
    }

    // Inference profiles, discounts, credits and refunds.
    let mut models = Models::new();
    let profile_names = {
        let mut model_id = |key: &str| -> Option<String> {
            let w = p
                .principals
                .values()
                .chain(p.unattributed.values())
                .flat_map(|ps| ps.work.iter())
                .find(|(k, _)| &*k.0 == key)
                .map(|(_, w)| w)?;
            Some(models.id(key, &[w]))
        };
        crate::bill::build(
            p,
            &mut r,
            &acct,
            &mut model_id,
            &mut file,
            &mut notes,
            statements,
        )
    };
    let through = |wl: &mut WorkloadSpec, k: &WorkKey| {
        wl.inference_profile = k.3.as_ref().and_then(|a| profile_names.get(a).cloned());
    };

    // Workloads and requests.
    let shapes = shape::Shapes::new(p, granularity);
    type SharedWork = (f64, WorkStats, usize, f64, bool);
    let mut shared: BTreeMap<(String, WorkKey), SharedWork> = BTreeMap::new();
    let (mut n_requests, mut n_sparse) = (0usize, 0usize);
    for (_, ps, target) in &targets {
        match target {
            Target::One(sel) => {
                let cells: Option<usize> = ps
                    .work
                    .values()
                    .map(|w| w.cells.as_ref().map(|c| c.len()))
                    .sum();
                let mut keys: Vec<&WorkKey> = ps.work.keys().collect();
                keys.sort();
                // Exact requests cannot name an inference profile: callers through one keep
                // a workload.
                let profiled = ps.work.keys().any(|k| k.3.is_some());
                if cells.is_some_and(|c| c <= SPARSE_CELLS) && !profiled {
                    n_sparse += 1;
                    for k in keys {
                        let w = &ps.work[k];
                        let model = models.id(&k.0, &[w]);
                        for req in shape::requests(sel, &model, &region_name(k.1), k.2, w) {
                            n_requests += 1;
                            file.requests.push(req);
                        }
                    }
                } else {
                    for k in keys {
                        let w = &ps.work[k];
                        let model = models.id(&k.0, &[w]);
                        let observed = w.units.count() as f64;
                        if let Some(mut wl) = shapes.workload(sel, &model, k, w, 1.0, observed) {
                            through(&mut wl, k);
                            file.workloads.push(wl);
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
                    e.3 += w.units.count() as f64;
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
            file.workloads.push(wl);
        }
    }
    if n_sparse > 0 {
        notes.header(format!(
            "{n_sparse} principal(s) with at most {SPARSE_CELLS} active hour-cells are replayed \
             as {n_requests} explicit request(s) with their exact tokens"
        ));
    }
    file.models = models.added();
    if p.bedrock_rows > 0 {
        notes.header(shape::REQUESTS_NOTE.to_string());
    }

    // Tag keys: activated when they first appear.
    for (full, t) in sorted(&p.tag_keys) {
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
        notes.item(
            "cost_allocation_tags",
            file.cost_allocation_tags.len(),
            format!(
                "inferred: {} distinct value(s); first seen {at}",
                t.values.len()
            ),
        );
        file.cost_allocation_tags.push(TagActivationSpec {
            payer: None,
            key: r.tag_key(key),
            source,
            activated_at: at,
            effect_delay_hours: 0,
            backfill_from: None,
        });
    }

    crate::background::build(
        p,
        granularity,
        &mut r,
        &acct,
        &mut file,
        &mut notes,
        statements,
    );
    let tax: f64 = p.tax.values().sum();
    let pretax: f64 = p.pretax.values().sum();
    if tax > 0.0 && pretax > 0.0 {
        file.tax = Some(TaxSpec {
            rate: ((tax / pretax) * 10_000.0).round() / 10_000.0,
            tax_type: "USSalesTax".into(),
        });
    }
    Ok(Built { file, notes })
}

fn unattributed_target<'a>(
    targets: &mut Vec<(&'a String, &'a PrincipalStats, Target)>,
    account: &'a String,
    ps: &'a PrincipalStats,
    sel: String,
) {
    targets.push((account, ps, Target::One(sel)));
}
