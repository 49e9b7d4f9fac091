//! Access patterns: what kind of caller a principal ARN is, read from the ARN's shape alone,
//! so that two exports whose names differ (a source and its anonymised twin) can still be
//! compared pattern by pattern (`curlab diff`, `curlab scenario from-export`).
//!
//! A session name says how the role is used: an e-mail-like name is a federated user (SAML or
//! OIDC), 32 hex digits an ECS task, `i-` and hex an EC2 instance, `<prefix>-YYYYMMDD-NN` one
//! batch job. Any other name is a named session (a Lambda function, a fixed name); a role with
//! [`GATEWAY_MIN_SESSIONS`] or more such names is a gateway assuming it once per end user.

use std::collections::{BTreeMap, BTreeSet};

use crate::arn::{parse_principal, IdentityKind};

/// Distinct named sessions of one role from which it counts as a per-user gateway role.
pub const GATEWAY_MIN_SESSIONS: usize = 8;

/// How a RoleSessionName is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SessionKind {
    /// Contains `@`: a federated user's e-mail (SAML `RoleSessionName`, OIDC app).
    Email,
    /// 32 hex digits: an ECS task id.
    EcsTask,
    /// `i-` and 8 or 17 hex digits: an EC2 instance id.
    Ec2Instance,
    /// `<prefix>-YYYYMMDD-NN`: one session per batch job.
    PerJob,
    /// Anything else: a Lambda function name, a fixed name, a gateway's user id.
    Named,
}

/// The kind of a session name.
pub fn session_kind(s: &str) -> SessionKind {
    let hex = |t: &str| t.bytes().all(|b| b.is_ascii_hexdigit());
    if s.contains('@') {
        SessionKind::Email
    } else if s.len() == 32 && hex(s) {
        SessionKind::EcsTask
    } else if s
        .strip_prefix("i-")
        .is_some_and(|h| (h.len() == 8 || h.len() == 17) && hex(h))
    {
        SessionKind::Ec2Instance
    } else if per_job_prefix(s).is_some() {
        SessionKind::PerJob
    } else {
        SessionKind::Named
    }
}

/// The prefix of a per-job session name `<prefix>-YYYYMMDD-NN`.
pub fn per_job_prefix(s: &str) -> Option<&str> {
    let (rest, nn) = s.rsplit_once('-')?;
    let (prefix, date) = rest.rsplit_once('-')?;
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    (!prefix.is_empty() && date.len() == 8 && digits(date) && !nn.is_empty() && digits(nn))
        .then_some(prefix)
}

/// The access pattern of one principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessPattern {
    /// An IAM user with its own credentials.
    IamUser,
    /// A long-term Bedrock API key (`user/BedrockAPIKey-…`).
    ApiKey,
    /// An application role session named after a Lambda function or a fixed name.
    AppSession,
    /// An ECS task role session.
    EcsTask,
    /// An EC2 instance profile session.
    Ec2Instance,
    /// A per-job session.
    PerJob,
    /// A federated user (SAML/OIDC) on an IdP role.
    Federated,
    /// An IAM Identity Center session (`AWSReservedSSO_…`).
    IdentityCenter,
    /// One end user's session on a gateway's invocation role.
    GatewayUser,
    /// Anything else (federated-user, root, a role ARN, unparseable text).
    Other,
}

impl AccessPattern {
    /// Every pattern, in report order.
    pub const ALL: [AccessPattern; 10] = [
        AccessPattern::IamUser,
        AccessPattern::ApiKey,
        AccessPattern::AppSession,
        AccessPattern::EcsTask,
        AccessPattern::Ec2Instance,
        AccessPattern::PerJob,
        AccessPattern::Federated,
        AccessPattern::IdentityCenter,
        AccessPattern::GatewayUser,
        AccessPattern::Other,
    ];

    /// Stable short name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessPattern::IamUser => "iam-user",
            AccessPattern::ApiKey => "api-key",
            AccessPattern::AppSession => "app-session",
            AccessPattern::EcsTask => "ecs-task",
            AccessPattern::Ec2Instance => "ec2-instance",
            AccessPattern::PerJob => "per-job",
            AccessPattern::Federated => "federated",
            AccessPattern::IdentityCenter => "identity-center",
            AccessPattern::GatewayUser => "gateway-user",
            AccessPattern::Other => "other",
        }
    }
}

/// Classify a set of principal ARNs. A named session's pattern depends on its role's other
/// sessions (see [`GATEWAY_MIN_SESSIONS`]), so the whole set is classified at once.
pub fn classify<'a>(arns: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, AccessPattern> {
    let arns: BTreeSet<&str> = arns.into_iter().collect();
    let mut named: BTreeMap<(String, String), usize> = BTreeMap::new();
    for a in &arns {
        if let Ok(p) = parse_principal(a) {
            if p.kind == IdentityKind::AssumedRole
                && p.session
                    .is_some_and(|s| session_kind(s) == SessionKind::Named)
            {
                *named
                    .entry((p.account.to_string(), p.name.to_string()))
                    .or_default() += 1;
            }
        }
    }
    arns.into_iter()
        .map(|a| {
            let pattern = match parse_principal(a) {
                Ok(p) => match p.kind {
                    IdentityKind::IamUser => AccessPattern::IamUser,
                    IdentityKind::BedrockApiKey => AccessPattern::ApiKey,
                    IdentityKind::IdentityCenter => AccessPattern::IdentityCenter,
                    IdentityKind::AssumedRole => match session_kind(p.session.unwrap_or("")) {
                        SessionKind::Email => AccessPattern::Federated,
                        SessionKind::EcsTask => AccessPattern::EcsTask,
                        SessionKind::Ec2Instance => AccessPattern::Ec2Instance,
                        SessionKind::PerJob => AccessPattern::PerJob,
                        SessionKind::Named => {
                            let n = named
                                .get(&(p.account.to_string(), p.name.to_string()))
                                .copied()
                                .unwrap_or(0);
                            if n >= GATEWAY_MIN_SESSIONS {
                                AccessPattern::GatewayUser
                            } else {
                                AccessPattern::AppSession
                            }
                        }
                    },
                    _ => AccessPattern::Other,
                },
                Err(_) => AccessPattern::Other,
            };
            (a, pattern)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_kinds() {
        assert_eq!(session_kind("jane.doe@acme.org"), SessionKind::Email);
        assert_eq!(
            session_kind("0123456789abcdef0123456789abcdef"),
            SessionKind::EcsTask
        );
        assert_eq!(
            session_kind("i-0123456789abcdef0"),
            SessionKind::Ec2Instance
        );
        assert_eq!(session_kind("ingest-job-20260501-02"), SessionKind::PerJob);
        assert_eq!(per_job_prefix("ingest-job-20260501-02"), Some("ingest-job"));
        assert_eq!(session_kind("docflow-classify"), SessionKind::Named);
        assert_eq!(session_kind("i-xyz"), SessionKind::Named);
    }

    #[test]
    fn gateway_roles_by_session_count() {
        let many: Vec<String> = (0..GATEWAY_MIN_SESSIONS)
            .map(|i| format!("arn:aws:sts::111122223333:assumed-role/Gw/gw-u{i}"))
            .collect();
        let mut all: Vec<&str> = many.iter().map(String::as_str).collect();
        all.push("arn:aws:sts::111122223333:assumed-role/App/fn-a");
        all.push("arn:aws:iam::111122223333:user/BedrockAPIKey-ab12");
        all.push("arn:aws:iam::111122223333:user/alice");
        all.push(
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/a@b.c",
        );
        all.push("not an arn");
        let c = classify(all.iter().copied());
        assert_eq!(c[many[0].as_str()], AccessPattern::GatewayUser);
        assert_eq!(
            c["arn:aws:sts::111122223333:assumed-role/App/fn-a"],
            AccessPattern::AppSession
        );
        assert_eq!(
            c["arn:aws:iam::111122223333:user/BedrockAPIKey-ab12"],
            AccessPattern::ApiKey
        );
        assert_eq!(
            c["arn:aws:iam::111122223333:user/alice"],
            AccessPattern::IamUser
        );
        assert_eq!(
            c["arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/a@b.c"],
            AccessPattern::IdentityCenter
        );
        assert_eq!(c["not an arn"], AccessPattern::Other);
    }
}
