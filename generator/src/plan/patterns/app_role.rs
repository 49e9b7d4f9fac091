//! Application roles (`[[roles]]`, scenario 2): an application on EC2, Lambda, ECS or a batch
//! scheduler assumes a role; each session is a caller `arn:aws:sts::<account>:assumed-role/
//! <role>/<session>` carrying the role's tags overlaid by the session tags the application
//! passes. Every `[[roles]]` entry is checked here, also the ones only identity providers and
//! gateways use; only a role with `sessions` calls Bedrock by itself.

use std::collections::HashMap;

use curlab_vocab::arn::IdentityKind;

use crate::scenario::model::SessionNaming;
use crate::scenario::Path;
use crate::seed;
use crate::selector::{Selectable, Target};
use crate::size::scaled;

use super::super::checks::{check_iam_name, check_iam_path, check_session, check_tag_map};
use super::super::context::{root, Ctx};
use super::super::identities::Builder;
use super::super::tags::{overlay, to_tags};
use super::super::types::{caller_day, Caller};
use super::kind::AccessPattern;

/// Check every role's tags and session tags, and that session tags are allowed.
pub(crate) fn check_tags(cx: &mut Ctx<'_>) {
    let f = cx.file;
    for (i, r) in f.roles.iter().enumerate() {
        let p = root().key("roles").index(i);
        check_tag_map(cx, &r.tags, &p.key("tags"), "the role");
        check_tag_map(cx, &r.session_tags, &p.key("session_tags"), "the session");
        if !r.session_tags.is_empty() && !r.trust_allows_tag_session {
            cx.problem(p.key("session_tags"), format!("role `{}` gets session tags but its trust policy does not allow sts:TagSession; AssumeRole would fail with AccessDenied", r.name), "set trust_allows_tag_session = true");
        }
    }
}

/// Check every role; a role with sessions gets one caller per session, a requester for the
/// role as a whole (its requests spread over the sessions) and one per session.
pub(crate) fn build(cx: &mut Ctx<'_>, b: &mut Builder<'_>) {
    let f = cx.file;
    let mut roles: HashMap<(usize, String), usize> = HashMap::new();
    for (i, r) in f.roles.iter().enumerate() {
        let p = root().key("roles").index(i);
        let Some(acct) = b.account(cx, &r.account, p.key("account")) else {
            continue;
        };
        check_iam_name(cx, "role name", &r.name, p.key("name"));
        check_iam_path(cx, &r.path, p.key("path"));
        if roles.insert((acct, r.name.to_lowercase()), i).is_some() {
            cx.problem(
                p.key("name"),
                format!("role `{}` is defined twice in this account", r.name),
                "role names are unique per account, ignoring case",
            );
        }
        let Some(naming) = &r.sessions else { continue };
        let sessions = sessions(
            cx,
            naming,
            &r.name,
            &format!("role:{}:{}", acct, r.name),
            &b.days.clone(),
            p.key("sessions"),
        );
        let role_tags = to_tags(&r.tags);
        let (tags, session_keys) = overlay(&role_tags, &to_tags(&r.session_tags), b.spelling);
        let (tags, session_keys) = (b.tags(tags), b.keys(session_keys));
        let role_tags = b.tags(role_tags);
        let mut callers = Vec::new();
        let mut subs = Vec::new();
        for (s, day) in &sessions {
            let arn = b.session_arn(acct, &r.name, s);
            let c = b.push_caller(Caller {
                arn: arn.into(),
                identity: IdentityKind::AssumedRole,
                pattern: AccessPattern::AppRole,
                account: acct,
                tags,
                session_keys,
                principal_tags: role_tags,
                gateway: None,
                active_day: day.map(caller_day),
            });
            callers.push((c, *day));
            subs.push((s.clone(), c));
        }
        let per_day = matches!(naming, SessionNaming::Batch { .. });
        let weights: Vec<(usize, f64)> = if per_day {
            let jobs = match naming {
                SessionNaming::Batch { jobs_per_day, .. } => f64::from(*jobs_per_day),
                _ => 1.0,
            };
            callers.iter().map(|(c, _)| (*c, 1.0 / jobs)).collect()
        } else {
            let n = callers.len().max(1) as f64;
            callers.iter().map(|(c, _)| (*c, 1.0 / n)).collect()
        };
        let req = b.push_requester(weights);
        let single = if subs.len() == 1 {
            Some(subs[0].1)
        } else {
            None
        };
        b.selectables.push(Selectable {
            target: Target::Role,
            account: acct,
            name: r.name.clone(),
            sub: vec![],
            requester: req,
            caller: single,
        });
        for (s, c) in subs {
            let rr = b.push_requester(vec![(c, 1.0)]);
            b.selectables.push(Selectable {
                target: Target::RoleSession,
                account: acct,
                name: r.name.clone(),
                sub: vec![s],
                requester: rr,
                caller: Some(c),
            });
        }
    }
}

/// The session names of `naming` (with the one day a batch-job session exists), drawn from
/// the population `salt`. Gateways name their execution role's sessions with it too.
pub(crate) fn sessions(
    cx: &mut Ctx<'_>,
    naming: &SessionNaming,
    role: &str,
    salt: &str,
    days: &[i64],
    path: Path,
) -> Vec<(String, Option<i64>)> {
    let mut rng = seed::named(cx.seed, salt);
    match naming {
        SessionNaming::Fixed { name } => {
            check_session(cx, name, path.key("name"));
            vec![(name.clone(), None)]
        }
        SessionNaming::Lambda { functions } => {
            if functions.is_empty() {
                cx.problem(
                    path.key("functions"),
                    "no Lambda functions",
                    "list at least one function name",
                );
            }
            for (i, f) in functions.iter().enumerate() {
                check_session(cx, f, path.key("functions").index(i));
            }
            functions.iter().map(|f| (f.clone(), None)).collect()
        }
        SessionNaming::Ecs { tasks } => {
            let n = scaled(u64::from(*tasks), cx.scale);
            if n == 0 {
                cx.problem(path.key("tasks"), "no ECS tasks", "use at least 1");
            }
            (0..n).map(|_| (seed::hex(&mut rng, 32), None)).collect()
        }
        SessionNaming::Ec2 { instances } => {
            let n = scaled(u64::from(*instances), cx.scale);
            if n == 0 {
                cx.problem(path.key("instances"), "no EC2 instances", "use at least 1");
            }
            (0..n)
                .map(|_| (format!("i-0{}", seed::hex(&mut rng, 16)), None))
                .collect()
        }
        SessionNaming::Batch {
            prefix,
            jobs_per_day,
        } => {
            if *jobs_per_day == 0 || *jobs_per_day > 1000 {
                cx.problem(
                    path.key("jobs_per_day"),
                    format!("{jobs_per_day} jobs per day is outside 1..1000"),
                    "use a small number of jobs per day",
                );
                return Vec::new();
            }
            let sample = format!("{prefix}-20260101-01");
            check_session(cx, &sample, path.key("prefix"));
            let _ = role;
            days.iter()
                .flat_map(|d| {
                    let date = chrono::DateTime::from_timestamp(d * 86_400, 0)
                        .map(|t| t.format("%Y%m%d").to_string())
                        .unwrap_or_default();
                    (1..=*jobs_per_day).map(move |j| (format!("{prefix}-{date}-{j:02}"), Some(*d)))
                })
                .collect()
        }
    }
}
