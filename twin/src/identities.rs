//! The identities step of [`crate::build::build`]: every principal becomes one explicit
//! identity of its access pattern (renamed) and a target for its usage. IAM users, API keys
//! and stand-ins are written one by one; role sessions are grouped by role and session kind
//! ([`role_group`]) into an identity provider, a gateway or a role.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use curlab_generator::scenario::model::*;
use curlab_vocab::arn::{parse_principal, IdentityKind};
use curlab_vocab::pattern::{per_job_prefix, session_kind, SessionKind, GATEWAY_MIN_SESSIONS};

use crate::ctx::{Ctx, Target, COMPACT_GROUP, COMPACT_TOTAL};
use crate::profile::{PrincipalStats, TagCounts};
use crate::specs::{pooled, role_spec, top_tags_of, users};

/// Role sessions by (source account, role name, session class: the [`SessionKind`] as a
/// number, [`IDENTITY_CENTER`] for Identity Center).
type Roles<'a> = BTreeMap<(String, String, u8), Vec<(&'a PrincipalStats, String)>>;

/// The session class of Identity Center sessions.
const IDENTITY_CENTER: u8 = 9;

/// Identities for every principal, and where each one's usage goes.
pub(crate) fn identities<'a>(c: &mut Ctx<'a>) -> Vec<(&'a PrincipalStats, Target)> {
    let p = c.p;
    let mut targets = Vec::new();
    let mut roles: Roles<'a> = BTreeMap::new();
    let mut stand_ins = 0usize;
    for (arn, ps) in &p.principals {
        match parse_principal(arn) {
            Ok(a) if a.kind == IdentityKind::IamUser => {
                let account = c.acct(a.account);
                let name = c.r.name("user", "user-", a.name);
                let path = if a.path == "/" || c.o.keep_names {
                    a.path.to_string()
                } else {
                    format!("/{}/", c.r.name("path", "p", a.path))
                };
                let tags = top_tags_of(&mut c.r, &ps.tags);
                c.file.iam_users.push(IamUserSpec {
                    account: account.clone(),
                    name: name.clone(),
                    path,
                    tags,
                });
                targets.push((ps, Target::One(format!("{account}/user:{name}"))));
            }
            Ok(a) if a.kind == IdentityKind::BedrockApiKey => {
                let account = c.acct(a.account);
                let id = c.r.api_key(a.name.trim_start_matches("BedrockAPIKey-"));
                let tags = top_tags_of(&mut c.r, &ps.tags);
                c.file.api_keys.push(ApiKeySpec {
                    account: account.clone(),
                    id: Some(id.clone()),
                    tags,
                });
                targets.push((ps, Target::One(format!("{account}/api-key:{id}"))));
            }
            Ok(a)
                if matches!(
                    a.kind,
                    IdentityKind::AssumedRole | IdentityKind::IdentityCenter
                ) =>
            {
                let session = a.session.unwrap_or("").to_string();
                let class = if a.kind == IdentityKind::IdentityCenter {
                    IDENTITY_CENTER
                } else {
                    session_kind(&session) as u8
                };
                roles
                    .entry((a.account.to_string(), a.name.to_string(), class))
                    .or_default()
                    .push((ps, session));
            }
            _ => {
                // federated-user, root, a role ARN or unreadable text: an IAM user stands in.
                stand_ins += 1;
                let account = c.acct(&ps.account);
                let name = c.r.name("user", "user-", arn);
                let tags = top_tags_of(&mut c.r, &ps.tags);
                c.file.iam_users.push(IamUserSpec {
                    account: account.clone(),
                    name: name.clone(),
                    path: "/".into(),
                    tags,
                });
                targets.push((ps, Target::One(format!("{account}/user:{name}"))));
            }
        }
    }
    if stand_ins > 0 {
        c.statements.push(format!(
            "{stand_ins} principal(s) are not IAM users, API keys or role sessions (federated-user, \
             root, a role ARN or unreadable text); the scenario format has no such caller, so an \
             IAM user stands in for each and the access-pattern counts differ by that many"
        ));
    }
    let mut role_names_used: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut n = Counters::default();
    for ((src_account, src_role, class), members) in &roles {
        let n_uses = role_names_used
            .entry((src_account.as_str(), src_role.as_str()))
            .or_default();
        *n_uses += 1;
        let g = Group {
            src_account,
            src_role,
            class: *class,
            members,
            uses: *n_uses,
        };
        role_group(c, &g, &mut n, &mut targets);
    }
    targets
}

/// Identity providers and gateways written so far (for their names).
#[derive(Default)]
struct Counters {
    idps: usize,
    gws: usize,
}

/// The sessions of one role and session class.
struct Group<'g, 'a> {
    src_account: &'g str,
    src_role: &'g str,
    class: u8,
    members: &'g [(&'a PrincipalStats, String)],
    /// How many groups of this role so far, this one included.
    uses: usize,
}

/// One role's sessions of one class: an identity provider (e-mail-like or Identity Center
/// sessions), a gateway (many named sessions, or named sessions with different tags), a role
/// with named sessions, or a role with ECS, EC2 or per-job sessions.
fn role_group<'a>(
    c: &mut Ctx<'a>,
    g: &Group<'_, 'a>,
    n: &mut Counters,
    targets: &mut Vec<(&'a PrincipalStats, Target)>,
) {
    let account = c.acct(g.src_account);
    let ic = g.class == IDENTITY_CENTER;
    let mut role = if ic {
        String::new()
    } else {
        c.r.name("role", "role-", g.src_role)
    };
    if g.uses > 1 && !ic {
        role = format!("{role}-k{}", g.uses);
        c.statements.push(format!(
            "role `{role}` is used with several session kinds; the twin splits it into one \
             role per kind"
        ));
    }
    let per_session: Vec<TagMap> = g
        .members
        .iter()
        .map(|(ps, _)| top_tags_of(&mut c.r, &ps.tags))
        .collect();
    let same_tags = per_session.windows(2).all(|w| w[0] == w[1]);
    let kind = (!ic).then(|| session_kind(&g.members[0].1));
    let compact = g.members.len() > COMPACT_GROUP && c.p.principals.len() > COMPACT_TOTAL;
    // Identity Center sessions have no role of their own in the scenario: their permission
    // set names them.
    let permission_set = ic.then(|| {
        let ps = g
            .src_role
            .strip_prefix("AWSReservedSSO_")
            .and_then(|x| x.rsplit_once('_'))
            .map_or(g.src_role, |(ps, _)| ps);
        if c.o.keep_names {
            ps.to_string()
        } else {
            c.r.name("permission-set", "PS", ps)
        }
    });
    if compact {
        let on = match &permission_set {
            Some(ps) => format!("Identity Center permission set `{ps}`"),
            None => format!("role `{role}`"),
        };
        c.statements.push(format!(
            "{} sessions on {on} are written as {} generated users with one workload per \
             model (an export of more than {COMPACT_TOTAL} principals); their per-user volumes \
             and tag combinations become averages and attribute pools",
            g.members.len(),
            g.members.len()
        ));
    }
    let args = GroupArgs {
        account,
        role,
        per_session,
        same_tags,
        compact,
    };
    match kind {
        None | Some(SessionKind::Email) => idp(c, g, args, permission_set, n, targets),
        Some(SessionKind::Named) if g.members.len() >= GATEWAY_MIN_SESSIONS || !same_tags => {
            gateway(c, g, args, n, targets)
        }
        Some(SessionKind::Named) => named_role(c, g, args, targets),
        Some(k) => session_role(c, g, args, k, targets),
    }
}

/// What [`role_group`] worked out for the writers of one group.
struct GroupArgs {
    /// Renamed account id.
    account: String,
    /// Renamed role name (empty for Identity Center).
    role: String,
    /// Each session's most common tags, renamed.
    per_session: Vec<TagMap>,
    same_tags: bool,
    /// Written with generated users (see [`COMPACT_GROUP`]).
    compact: bool,
}

fn session_tag_keys(per: &[TagMap]) -> TagMap {
    per.iter()
        .flat_map(|t| t.keys().cloned())
        .collect::<BTreeSet<String>>()
        .into_iter()
        .map(|k| (k.clone(), k))
        .collect()
}

/// E-mail-like (SAML/OIDC) or Identity Center sessions: an identity provider.
fn idp<'a>(
    c: &mut Ctx<'a>,
    g: &Group<'_, 'a>,
    a: GroupArgs,
    permission_set: Option<String>,
    n: &mut Counters,
    targets: &mut Vec<(&'a PrincipalStats, Target)>,
) {
    let GroupArgs {
        account,
        role,
        per_session,
        compact,
        ..
    } = a;
    n.idps += 1;
    let name = format!("idp-{:02}", n.idps);
    let ic = permission_set.is_some();
    let email = g.members.iter().all(|(_, s)| s.contains('@'));
    let n_members = g.members.len() as f64;
    let mut list = Vec::new();
    for ((ps, s), tags) in g.members.iter().zip(&per_session) {
        let (user, mail, sel) = if email {
            let m = c.r.email(s);
            let local = m.split('@').next().unwrap_or("user").to_string();
            (local, Some(m.clone()), m)
        } else {
            let u = c.r.name("session", "u", s);
            (u.clone(), None, u)
        };
        if compact {
            targets.push((
                *ps,
                Target::Shared(format!("{account}/idp:{name}"), n_members, true),
            ));
            continue;
        }
        list.push(UserSpec {
            name: user,
            email: mail,
            attributes: tags.clone(),
        });
        targets.push((*ps, Target::One(format!("{account}/idp:{name}/{sel}"))));
    }
    if !ic {
        c.file
            .roles
            .push(role_spec(&account, &role, TagMap::new(), None));
    }
    c.notes.item(
        "identity_providers",
        c.file.identity_providers.len(),
        format!(
            "inferred: {} {} session(s) on one {} role",
            g.members.len(),
            if email { "e-mail-like" } else { "named" },
            if ic {
                "Identity Center"
            } else {
                "federation (SAML/OIDC)"
            }
        ),
    );
    c.file.identity_providers.push(IdpSpec {
        name,
        kind: if ic {
            IdpKind::IdentityCenter
        } else {
            IdpKind::OktaSaml
        },
        account,
        role: (!ic).then_some(role),
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
            pooled(g.members.len(), &per_session)
        } else {
            users(list)
        },
    });
}

/// Many named sessions, or named sessions with different tags: a gateway assuming the role
/// per user.
fn gateway<'a>(
    c: &mut Ctx<'a>,
    g: &Group<'_, 'a>,
    a: GroupArgs,
    n: &mut Counters,
    targets: &mut Vec<(&'a PrincipalStats, Target)>,
) {
    let GroupArgs {
        account,
        role,
        per_session,
        same_tags,
        compact,
    } = a;
    n.gws += 1;
    let name = format!("gw-{:02}", n.gws);
    let n_members = g.members.len() as f64;
    let mut list = Vec::new();
    for ((ps, s), tags) in g.members.iter().zip(&per_session) {
        if compact {
            targets.push((
                *ps,
                Target::Shared(format!("{account}/gateway:{name}"), n_members, true),
            ));
            continue;
        }
        let u = c.r.name("session", "s", s);
        list.push(UserSpec {
            name: u.clone(),
            email: None,
            attributes: tags.clone(),
        });
        targets.push((*ps, Target::One(format!("{account}/gateway:{name}/{u}"))));
    }
    c.file
        .roles
        .push(role_spec(&account, &role, TagMap::new(), None));
    c.notes.item(
        "gateways",
        c.file.gateways.len(),
        format!(
            "inferred: one role with {} named sessions{}: a gateway assuming it per user",
            g.members.len(),
            if same_tags {
                ""
            } else {
                " carrying different tags"
            }
        ),
    );
    c.file.gateways.push(GatewaySpec {
        name,
        account,
        execution_role: format!("{}-exec", role.chars().take(58).collect::<String>()),
        invocation_role: role,
        per_user_sessions: true,
        session_name_from: GatewaySessionKey::User,
        session_name_prefix: String::new(),
        session_tags: session_tag_keys(&per_session),
        credential_ttl_minutes: 60,
        users: if compact {
            pooled(g.members.len(), &per_session)
        } else {
            users(list)
        },
    });
}

/// A few named sessions with the same tags: Lambda functions or one fixed name.
fn named_role<'a>(
    c: &mut Ctx<'a>,
    g: &Group<'_, 'a>,
    a: GroupArgs,
    targets: &mut Vec<(&'a PrincipalStats, Target)>,
) {
    let GroupArgs {
        account,
        role,
        per_session,
        ..
    } = a;
    let names: Vec<String> = g
        .members
        .iter()
        .map(|(_, s)| c.r.name("session", "s", s))
        .collect();
    for ((ps, _), n) in g.members.iter().zip(&names) {
        targets.push((*ps, Target::One(format!("{account}/role:{role}/{n}"))));
    }
    let sessions = if names.len() == 1 {
        SessionNaming::Fixed {
            name: names[0].clone(),
        }
    } else {
        SessionNaming::Lambda { functions: names }
    };
    c.notes.item(
        "roles",
        c.file.roles.len(),
        format!(
            "inferred: {} named session(s) (Lambda functions or fixed names)",
            g.members.len()
        ),
    );
    let tags = per_session.into_iter().next().unwrap_or_default();
    c.file
        .roles
        .push(role_spec(&account, &role, tags, Some(sessions)));
}

/// ECS task, EC2 instance or per-job sessions: one role whose sessions share its workloads.
fn session_role<'a>(
    c: &mut Ctx<'a>,
    g: &Group<'_, 'a>,
    a: GroupArgs,
    k: SessionKind,
    targets: &mut Vec<(&'a PrincipalStats, Target)>,
) {
    let GroupArgs {
        account,
        role,
        same_tags,
        ..
    } = a;
    let n = g.members.len();
    let (sessions, split, what) = match k {
        SessionKind::EcsTask => (SessionNaming::Ecs { tasks: n as u32 }, n as f64, "ECS task"),
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
            for (_, s) in g.members {
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
                    prefix: c.r.name("job-prefix", "job", prefix),
                    jobs_per_day: jobs,
                },
                f64::from(jobs),
                "per-job",
            )
        }
    };
    for (ps, _) in g.members {
        targets.push((
            *ps,
            Target::Shared(format!("{account}/role:{role}"), split, false),
        ));
    }
    if !same_tags {
        c.statements.push(format!(
            "role `{role}`: its {what} sessions carry different tags; the twin gives them all \
             the most common value of each key"
        ));
    }
    c.notes.item(
        "roles",
        c.file.roles.len(),
        format!("inferred: {n} {what} session(s)"),
    );
    // The most common value of each key over all the role's sessions.
    let mut merged: BTreeMap<(Arc<str>, Arc<str>), u64> = BTreeMap::new();
    for (ps, _) in g.members {
        for (k, v, n) in &ps.tags {
            *merged.entry((k.clone(), v.clone())).or_default() += n;
        }
    }
    let merged: TagCounts = merged.into_iter().map(|((k, v), n)| (k, v, n)).collect();
    let tags = top_tags_of(&mut c.r, &merged);
    c.file
        .roles
        .push(role_spec(&account, &role, tags, Some(sessions)));
}
