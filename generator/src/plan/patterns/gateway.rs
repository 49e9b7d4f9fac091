//! LLM gateways (`[[gateways]]`, scenario 4): a gateway calls Bedrock for its end users.
//! Without per-user sessions every call goes out as the gateway's execution role sessions
//! (named like an application role's, [`super::app_role::sessions`]); with them the gateway
//! assumes its invocation role once per user or tenant, passing session tags from the user's
//! attributes, so each user (or tenant) is its own principal.

use std::collections::BTreeMap;

use curlab_vocab::arn::{sanitize_session_name, IdentityKind};

use crate::scenario::model::{GatewaySessionKey, SessionNaming};
use crate::selector::{Selectable, Target};

use super::super::checks::{check_iam_name, check_session_tag_keys};
use super::super::context::{root, Ctx};
use super::super::identities::Builder;
use super::super::tags::{overlay, session_tags_from, to_tags};
use super::super::types::{caller_day, Caller, GatewayPlan};
use super::super::users::users_of;
use super::app_role;
use super::kind::AccessPattern;

/// The callers, requesters and plan of every gateway; end users are drawn from the
/// population `gw:<name>`, execution-role sessions from `gwexec:<name>`.
pub(crate) fn build(cx: &mut Ctx<'_>, b: &mut Builder<'_>) {
    let f = cx.file;
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
        let exec_spec = b.find_role(f, acct, &g.execution_role);
        let inv_spec = b.find_role(f, acct, &g.invocation_role);
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
        let exec_tags = b.tags(exec_tags);
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
                let sessions = app_role::sessions(
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
                            tags: exec_tags,
                            session_keys: 0,
                            principal_tags: exec_tags,
                            gateway: Some(gi as u32),
                            active_day: day.map(caller_day),
                        })
                    })
                    .collect()
            }
        };
        let inv_tags = inv_spec.map(|r| to_tags(&r.tags)).unwrap_or_default();
        let inv_set = b.tags(inv_tags.clone());
        let mut per_session: BTreeMap<String, usize> = BTreeMap::new();
        // Without per-user sessions every user sends as the execution role's sessions: one
        // list for all.
        let shared: std::sync::Arc<[(usize, f64)]> = {
            let n = exec_callers.len().max(1) as f64;
            exec_callers.iter().map(|c| (*c, 1.0 / n)).collect()
        };
        for (j, u) in users.enumerate() {
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
                        let (tags, session_keys) = (b.tags(tags), b.keys(skeys));
                        let c = b.push_caller(Caller {
                            arn: arn.into(),
                            identity: IdentityKind::AssumedRole,
                            pattern: AccessPattern::Gateway,
                            account: acct,
                            tags,
                            session_keys,
                            principal_tags: inv_set,
                            gateway: Some(gi as u32),
                            active_day: None,
                        });
                        per_session.insert(session.clone(), c);
                        c
                    }
                };
                (std::sync::Arc::from([(c, 1.0)]), Some((session, c)))
            } else {
                (shared.clone(), None)
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
}
