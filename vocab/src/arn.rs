//! The grammar of the IAM principal ARNs that land in `line_item_iam_principal`.
//!
//! Reference §5.1: users are `arn:aws:iam::<acct>:user[/<path>]/<name>`, sessions are
//! `arn:aws:sts::<acct>:assumed-role/<RoleName>/<RoleSessionName>` (no role path), and the
//! Billing doc also lists the plain `role/<name>` form and STS `federated-user/<name>`. The
//! account root user, `arn:aws:iam::<acct>:root`, is a principal too: the AWS Budgets API's
//! `SpendPrincipal` pattern lists it next to users, roles, assumed roles and federated users
//! (docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_SpendPrincipal.html).

use std::fmt;

/// What kind of identity an ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityKind {
    /// `iam::<acct>:user/...`
    IamUser,
    /// An IAM user created for a long-term Bedrock API key (`user/BedrockAPIKey-xxxx`).
    BedrockApiKey,
    /// `iam::<acct>:role/...` (listed by the Billing doc, rarely seen).
    Role,
    /// `sts::<acct>:assumed-role/<role>/<session>`.
    AssumedRole,
    /// An assumed-role session of an IAM Identity Center role (`AWSReservedSSO_...`).
    IdentityCenter,
    /// `sts::<acct>:federated-user/<name>` (GetFederationToken).
    FederatedUser,
    /// `iam::<acct>:root`: the account's root user.
    Root,
}

impl IdentityKind {
    /// A short stable name, used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::IamUser => "iam-user",
            IdentityKind::BedrockApiKey => "bedrock-api-key",
            IdentityKind::Role => "role",
            IdentityKind::AssumedRole => "assumed-role",
            IdentityKind::IdentityCenter => "identity-center",
            IdentityKind::FederatedUser => "federated-user",
            IdentityKind::Root => "root",
        }
    }
}

/// A parsed principal ARN; borrowed from the input string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalArn<'a> {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: &'a str,
    /// The 12-digit account id.
    pub account: &'a str,
    /// Identity type.
    pub kind: IdentityKind,
    /// IAM path for users and roles (`/` when none), empty for sessions.
    pub path: &'a str,
    /// User name, role name, or federated user name (`root` for the root user).
    pub name: &'a str,
    /// The RoleSessionName of an assumed-role ARN.
    pub session: Option<&'a str>,
}

impl PrincipalArn<'_> {
    /// The role ARN a session was assumed from (`arn:aws:iam::<acct>:role/<name>`), for roll-ups.
    pub fn role_arn(&self) -> Option<String> {
        match self.kind {
            IdentityKind::AssumedRole | IdentityKind::IdentityCenter | IdentityKind::Role => {
                Some(format!(
                    "arn:{}:iam::{}:role/{}",
                    self.partition, self.account, self.name
                ))
            }
            _ => None,
        }
    }
}

/// Why a string is not a principal ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnError(pub String);

impl fmt::Display for ArnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArnError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ArnError> {
    Err(ArnError(msg.into()))
}

/// True for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Characters IAM and STS allow in user, role and session names: `[\w+=,.@-]`.
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

fn check_name(what: &str, s: &str, min: usize, max: usize) -> Result<(), ArnError> {
    let n = s.chars().count();
    if n < min || n > max {
        return err(format!(
            "{what} `{s}` is {n} characters; it must be {min} to {max}"
        ));
    }
    if let Some(c) = s.chars().find(|c| !is_iam_name_char(*c)) {
        return err(format!(
            "{what} `{s}` contains `{}`; only letters, digits and _+=,.@- are allowed",
            c.escape_default()
        ));
    }
    Ok(())
}

/// Check a RoleSessionName against the STS rules (2–64 characters of `[\w+=,.@-]`).
pub fn check_session_name(s: &str) -> Result<(), ArnError> {
    check_name("session name", s, 2, 64)
}

/// Parse a principal ARN as it appears in `line_item_iam_principal`.
///
/// The RoleSessionName of an assumed-role ARN is only required to be non-empty here; check it
/// against the STS rules with [`check_session_name`] (a separate finding in the verifier).
pub fn parse_principal(arn: &str) -> Result<PrincipalArn<'_>, ArnError> {
    let mut parts = arn.splitn(6, ':');
    let (Some(prefix), Some(partition), Some(service), Some(region), Some(account), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return err("not an ARN: expected `arn:<partition>:<service>::<account>:<resource>`");
    };
    if prefix != "arn" {
        return err("does not start with `arn:`");
    }
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        return err(format!("unknown partition `{partition}`"));
    }
    if !region.is_empty() {
        return err(format!("IAM/STS ARNs have no region, found `{region}`"));
    }
    if !is_account_id(account) {
        return err(format!("account `{account}` is not 12 digits"));
    }
    if service == "iam" && rest == "root" {
        return Ok(PrincipalArn {
            partition,
            account,
            kind: IdentityKind::Root,
            path: "",
            name: rest,
            session: None,
        });
    }
    let (kind_word, tail) = rest
        .split_once('/')
        .ok_or_else(|| ArnError(format!("resource `{rest}` has no `/`")))?;
    let base = PrincipalArn {
        partition,
        account,
        kind: IdentityKind::IamUser,
        path: "",
        name: "",
        session: None,
    };
    match (service, kind_word) {
        ("iam", "user") | ("iam", "role") => {
            let (path, name) = match tail.rfind('/') {
                Some(i) => (&rest[kind_word.len()..kind_word.len() + 2 + i], &tail[i + 1..]),
                None => ("/", tail),
            };
            if path.len() > 512 || path.chars().any(|c| !('\u{21}'..='\u{7e}').contains(&c)) {
                return err(format!("path `{path}` is not a valid IAM path"));
            }
            let is_user = kind_word == "user";
            check_name(if is_user { "user name" } else { "role name" }, name, 1, 64)?;
            let kind = if !is_user {
                IdentityKind::Role
            } else if name.starts_with("BedrockAPIKey-") {
                IdentityKind::BedrockApiKey
            } else {
                IdentityKind::IamUser
            };
            Ok(PrincipalArn {
                kind,
                path,
                name,
                ..base
            })
        }
        ("sts", "assumed-role") => {
            let Some((role, session)) = tail.split_once('/') else {
                return err("assumed-role ARN has no session name: expected `assumed-role/<role>/<session>`");
            };
            if session.contains('/') {
                return err("assumed-role ARN has a path; STS writes the role name only");
            }
            check_name("role name", role, 1, 64)?;
            if session.is_empty() {
                return err("assumed-role ARN has an empty session name");
            }
            let kind = if role.starts_with("AWSReservedSSO_") {
                IdentityKind::IdentityCenter
            } else {
                IdentityKind::AssumedRole
            };
            Ok(PrincipalArn {
                kind,
                name: role,
                session: Some(session),
                ..base
            })
        }
        ("sts", "federated-user") => {
            check_name("federated user name", tail, 2, 32)?;
            Ok(PrincipalArn {
                kind: IdentityKind::FederatedUser,
                name: tail,
                ..base
            })
        }
        _ => err(format!(
            "`{service}:{kind_word}` is not a principal type (expected iam user/role/root, sts assumed-role/federated-user)"
        )),
    }
}

/// Make any identifier a valid RoleSessionName: characters outside `[\w+=,.@-]` become `-`;
/// ids longer than 64 keep their first 55 characters plus `-` and 8 hex digits of an FNV-1a
/// hash of the whole id (so distinct long ids stay distinct); ids shorter than 2 get `_` padding.
pub fn sanitize_session_name(id: &str) -> String {
    let mut s: String = id
        .chars()
        .map(|c| if is_iam_name_char(c) { c } else { '-' })
        .collect();
    if s.chars().count() > 64 {
        let head: String = s.chars().take(55).collect();
        s = format!("{head}-{:08x}", fnv1a32(id.as_bytes()));
    }
    while s.chars().count() < 2 {
        s.push('_');
    }
    s
}

/// 32-bit FNV-1a, a stable hash for shortening ids.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_identity_type() {
        let u = parse_principal("arn:aws:iam::123456789012:user/alice").unwrap();
        assert_eq!(
            (u.kind, u.name, u.path),
            (IdentityKind::IamUser, "alice", "/")
        );
        let p = parse_principal("arn:aws:iam::123456789012:user/eng/ml/bob").unwrap();
        assert_eq!((p.name, p.path), ("bob", "/eng/ml/"));
        let k = parse_principal("arn:aws:iam::123456789012:user/BedrockAPIKey-234s").unwrap();
        assert_eq!(k.kind, IdentityKind::BedrockApiKey);
        let s = parse_principal("arn:aws:sts::123456789012:assumed-role/Role-1/user-1@acme.org")
            .unwrap();
        assert_eq!(
            (s.kind, s.name, s.session),
            (IdentityKind::AssumedRole, "Role-1", Some("user-1@acme.org"))
        );
        assert_eq!(
            s.role_arn().unwrap(),
            "arn:aws:iam::123456789012:role/Role-1"
        );
        let sso = parse_principal(
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/jo",
        )
        .unwrap();
        assert_eq!(sso.kind, IdentityKind::IdentityCenter);
        let short = parse_principal("arn:aws:sts::123456789012:assumed-role/Role-1/x").unwrap();
        assert!(check_session_name(short.session.unwrap()).is_err());
        let r = parse_principal("arn:aws:iam::123456789012:role/service-role/app").unwrap();
        assert_eq!((r.kind, r.name), (IdentityKind::Role, "app"));
        let f = parse_principal("arn:aws:sts::123456789012:federated-user/carol").unwrap();
        assert_eq!(f.kind, IdentityKind::FederatedUser);
        let root = parse_principal("arn:aws:iam::123456789012:root").unwrap();
        assert_eq!(
            (root.kind, root.account, root.name, root.session),
            (IdentityKind::Root, "123456789012", "root", None)
        );
        assert_eq!(root.role_arn(), None, "the root user is not a role");
        let gov = parse_principal("arn:aws-us-gov:iam::123456789012:root").unwrap();
        assert_eq!(gov.kind, IdentityKind::Root);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "alice",
            "arn:aws:iam::12345:user/alice",
            "arn:aws:iam:us-east-1:123456789012:user/alice",
            "arn:aws:sts::123456789012:assumed-role/Role-1",
            "arn:aws:sts::123456789012:assumed-role/path/Role-1/sess",
            "arn:aws:iam::123456789012:group/devs",
            "arn:aws:s3::123456789012:user/alice",
            "arn:aws:iam::123456789012:user/al ice",
            // Only IAM has a root user, with nothing after `root`.
            "arn:aws:sts::123456789012:root",
            "arn:aws:iam::123456789012:root/alice",
            "arn:aws:iam::123456789012:Root",
            "arn:aws:iam::12345678901:root",
            "arn:aws:iam:us-east-1:123456789012:root",
        ] {
            assert!(parse_principal(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn sanitizes_session_names() {
        assert_eq!(sanitize_session_name("alice@acme.org"), "alice@acme.org");
        assert_eq!(sanitize_session_name("a b/c"), "a-b-c");
        assert_eq!(sanitize_session_name("x"), "x_");
        let long = "t".repeat(100);
        let s = sanitize_session_name(&long);
        assert_eq!(s.len(), 64);
        assert!(check_session_name(&s).is_ok());
        assert_ne!(s, sanitize_session_name(&"t".repeat(101)));
    }
}
