//! Federation through an identity provider (`[[identity_providers]]`, scenario 3): Okta by
//! SAML and Entra ID by OIDC federate each user into a shared role (`role`), IAM Identity
//! Center into its `AWSReservedSSO_…` role ([`super::identity_center`]). Each user is one
//! session, named by email or user name, carrying the role's tags overlaid by the session
//! tags the IdP maps from the user's attributes; with `chain_to`, the session chains into a
//! second role that inherits only the transitive tags.

use std::collections::BTreeSet;

use curlab_vocab::arn::{check_session_name, IdentityKind};

use crate::scenario::model::{IdpKind, SessionNameSource};
use crate::selector::{Selectable, Target};

use super::super::checks::{check_iam_name, check_session_tag_keys};
use super::super::context::{root, Ctx};
use super::super::identities::Builder;
use super::super::tags::{overlay, session_tags_from, to_tags};
use super::super::types::{Caller, Tags};
use super::super::users::users_of;
use super::identity_center;
use super::kind::AccessPattern;

/// One caller and one requester per user of every identity provider (all kinds, in file
/// order); users are drawn from the population `idp:<name>`.
pub(crate) fn build(cx: &mut Ctx<'_>, b: &mut Builder<'_>) {
    let f = cx.file;
    for (i, idp) in f.identity_providers.iter().enumerate() {
        let p = root().key("identity_providers").index(i);
        let Some(acct) = b.account(cx, &idp.account, p.key("account")) else {
            continue;
        };
        let (role_name, role_spec) = match idp.kind {
            IdpKind::IdentityCenter => (identity_center::role(cx, b, idp, acct, &p), None),
            _ => {
                let Some(role) = idp.role.clone() else {
                    cx.problem(
                        p.clone(),
                        format!("identity provider `{}` has no role", idp.name),
                        "set role = \"<shared role name>\"",
                    );
                    continue;
                };
                check_iam_name(cx, "role name", &role, p.key("role"));
                let spec = b.find_role(f, acct, &role);
                (role, spec)
            }
        };
        if idp.claim_form.is_some() && idp.kind != IdpKind::EntraOidc {
            cx.problem(
                p.key("claim_form"),
                "claim_form applies to OIDC (entra-oidc) only",
                "remove claim_form",
            );
        }
        if !idp.session_tags.is_empty() {
            if let Some(spec) = role_spec {
                if !spec.trust_allows_tag_session {
                    cx.problem(p.key("session_tags"), format!("role `{role_name}` does not allow sts:TagSession, so the IdP's session tags would make the federation call fail"), format!("set trust_allows_tag_session = true on role `{role_name}`"));
                }
            }
        }
        check_session_tag_keys(cx, &idp.session_tags, &p.key("session_tags"));
        for (j, k) in idp.transitive_keys.iter().enumerate() {
            if !idp.session_tags.contains_key(k) {
                cx.problem(
                    p.key("transitive_keys").index(j),
                    format!("transitive key `{k}` is not one of the session tags"),
                    "list only keys of session_tags",
                );
            }
        }
        let chain = match &idp.chain_to {
            Some(c) => {
                let spec = b.find_role(f, acct, c);
                if spec.is_none() {
                    cx.problem(
                        p.key("chain_to"),
                        format!("role `{c}` is not defined in [[roles]] of this account"),
                        "define the chained role",
                    );
                }
                spec
            }
            None => None,
        };
        if chain.is_some() && !idp.transitive_keys.is_empty() {
            if let Some(spec) = chain {
                if !spec.trust_allows_tag_session {
                    cx.problem(p.key("chain_to"), format!("chained role `{}` does not allow sts:TagSession, so transitive tags make the chain fail", spec.name), "set trust_allows_tag_session = true on the chained role");
                }
            }
        }
        let users = users_of(cx, &idp.users, &format!("idp:{}", idp.name), p.key("users"));
        let base_tags = role_spec.map(|r| to_tags(&r.tags)).unwrap_or_default();
        let pattern = AccessPattern::from(idp.kind);
        let identity = if idp.kind == IdpKind::IdentityCenter {
            IdentityKind::IdentityCenter
        } else {
            IdentityKind::AssumedRole
        };
        let mut seen_sessions = BTreeSet::new();
        for (j, u) in users.enumerate() {
            let raw = match idp.session_name {
                SessionNameSource::Email => &u.email,
                SessionNameSource::Username => &u.name,
            };
            let session = raw.clone();
            if check_session_name(&session).is_err() {
                cx.problem(p.key("users").key("list").index(j), format!("session name `{session}` breaks the STS rules (2-64 characters of letters, digits and _+=,.@-)"), "shorten the user's email/name or use session_name = \"username\"");
                continue;
            }
            if !seen_sessions.insert(session.clone()) {
                cx.problem(
                    p.key("users"),
                    format!("two users share the session name `{session}`"),
                    "give users distinct emails/names",
                );
                continue;
            }
            let st = session_tags_from(&idp.session_tags, &u.attributes);
            let (mut tags, mut skeys) = overlay(&base_tags, &st, b.spelling);
            let mut role_for_arn = role_name.clone();
            let mut ptags = base_tags.clone();
            if let Some(chain) = chain {
                let transitive: Tags = st
                    .iter()
                    .filter(|(k, _)| idp.transitive_keys.contains(k))
                    .cloned()
                    .collect();
                ptags = to_tags(&chain.tags);
                let (t, k) = overlay(&ptags, &transitive, b.spelling);
                tags = t;
                skeys = k;
                role_for_arn = chain.name.clone();
            }
            let arn = b.session_arn(acct, &role_for_arn, &session);
            let (tags, session_keys, principal_tags) = (b.tags(tags), b.keys(skeys), b.tags(ptags));
            let c = b.push_caller(Caller {
                arn: arn.into(),
                identity,
                pattern,
                account: acct,
                tags,
                session_keys,
                principal_tags,
                gateway: None,
                active_day: None,
            });
            let r = b.push_requester(vec![(c, 1.0)]);
            b.selectables.push(Selectable {
                target: Target::IdpUser,
                account: acct,
                name: idp.name.clone(),
                // The session name is the user name or the email: both are here.
                sub: vec![u.name, u.email],
                requester: r,
                caller: Some(c),
            });
        }
    }
}
