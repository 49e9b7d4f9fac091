//! Selectors: how a workload or an explicit request names who sends it — `user:<name>`,
//! `api-key:<id>`, `role:<name>`, `role:<name>/<session>`, `idp:<name>`, `idp:<name>/<user>`,
//! `gateway:<name>`, `gateway:<name>/<user>`, each optionally behind `<account>/`
//! (docs/scenarios.md, "Selectors").
//!
//! One parser serves both the size estimate ([`crate::size`], which counts what a selector
//! stands for from the file alone) and the resolver ([`crate::plan`], which finds the
//! [`Selectable`]s each access pattern registered while building its callers).

/// The word before `:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SelectorKind {
    /// `user:` — an IAM user.
    User,
    /// `api-key:` — a long-term Bedrock API key (by id or by its `BedrockAPIKey-` user name).
    ApiKey,
    /// `role:` — an application role (all its sessions), or one session with `/<session>`.
    Role,
    /// `idp:` — the users of an identity provider (each one requester).
    Idp,
    /// `gateway:` — the end users of an LLM gateway (each one requester).
    Gateway,
}

impl SelectorKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "user" => SelectorKind::User,
            "api-key" => SelectorKind::ApiKey,
            "role" => SelectorKind::Role,
            "idp" => SelectorKind::Idp,
            "gateway" => SelectorKind::Gateway,
            _ => return None,
        })
    }

    /// What a selector of this kind finds, with (`one`) or without a `/<sub>` part.
    fn target(self, one: bool) -> Target {
        match (self, one) {
            (SelectorKind::User, _) => Target::User,
            (SelectorKind::ApiKey, _) => Target::ApiKey,
            (SelectorKind::Role, false) => Target::Role,
            (SelectorKind::Role, true) => Target::RoleSession,
            (SelectorKind::Idp, _) => Target::IdpUser,
            (SelectorKind::Gateway, _) => Target::GatewayUser,
        }
    }
}

/// What an access pattern registers for selectors to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// An IAM user (`user:<name>`).
    User,
    /// An API key (`api-key:<id>`; its user name is a sub name).
    ApiKey,
    /// An application role as a whole, its requests spread over its sessions (`role:<name>`).
    Role,
    /// One session of an application role (`role:<name>/<session>`).
    RoleSession,
    /// One user of an identity provider (`idp:<name>`, `idp:<name>/<session|user|email>`).
    IdpUser,
    /// One end user of a gateway (`gateway:<name>`, `gateway:<name>/<user|session>`).
    GatewayUser,
}

/// One thing a selector can find: registered by an access pattern as it builds its callers.
#[derive(Debug, Clone)]
pub(crate) struct Selectable {
    /// What it is.
    pub target: Target,
    /// Account index.
    pub account: usize,
    /// The name after `:` (user, key id, role, IdP or gateway name).
    pub name: String,
    /// Names a `/<sub>` part may use (session name, user name, email, key user name).
    pub sub: Vec<String>,
    /// The requester its requests come from.
    pub requester: usize,
    /// The single caller, for explicit requests.
    pub caller: Option<usize>,
}

/// A parsed selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Selector<'a> {
    /// The `<account>/` prefix (an account id or name).
    pub account: Option<&'a str>,
    /// The kind.
    pub kind: SelectorKind,
    /// The name after `:` (`*` matches every name).
    pub name: &'a str,
    /// The part after the name's `/`: one session or user.
    pub sub: Option<&'a str>,
}

/// Why a selector does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SelectorError<'a> {
    /// `<account>/<kind>:…` with an account that `is_account` does not know.
    UnknownAccount(&'a str),
    /// No `<kind>:`.
    NoKind,
    /// A kind that is none of `user`, `api-key`, `role`, `idp`, `gateway`.
    UnknownKind(&'a str),
}

/// Parse `sel`. A part before the first `/` is an account prefix when `is_account` says so and
/// the rest has a `:`; a part without `:` that is not an account is
/// [`SelectorError::UnknownAccount`], rather than reported as an unknown kind.
pub(crate) fn parse<'a>(
    sel: &'a str,
    is_account: impl Fn(&str) -> bool,
) -> Result<Selector<'a>, SelectorError<'a>> {
    let (account, rest) = match sel.split_once('/') {
        Some((a, r)) if is_account(a) && r.contains(':') => (Some(a), r),
        Some((a, r)) if !a.contains(':') && r.contains(':') => {
            return Err(SelectorError::UnknownAccount(a))
        }
        _ => (None, sel),
    };
    let Some((kind, name)) = rest.split_once(':') else {
        return Err(SelectorError::NoKind);
    };
    let (name, sub) = match name.split_once('/') {
        Some((n, s)) => (n, Some(s)),
        None => (name, None),
    };
    let kind = SelectorKind::parse(kind).ok_or(SelectorError::UnknownKind(kind))?;
    Ok(Selector {
        account,
        kind,
        name,
        sub,
    })
}

impl Selector<'_> {
    /// Whether `s` is one of what this selector names; `account` is the prefix's account
    /// index, if there is one.
    pub(crate) fn finds(&self, s: &Selectable, account: Option<usize>) -> bool {
        s.target == self.kind.target(self.sub.is_some())
            && account.is_none_or(|a| s.account == a)
            && (self.name == "*"
                || s.name == self.name
                || (s.target == Target::ApiKey && s.sub.iter().any(|x| x == self.name)))
            && self.sub.is_none_or(|x| s.sub.iter().any(|y| y == x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any_account(a: &str) -> bool {
        !a.contains(':')
    }

    #[test]
    fn parts_and_errors() {
        let s = parse("prod/role:App/abc", any_account).unwrap();
        assert_eq!(
            (s.account, s.kind, s.name, s.sub),
            (Some("prod"), SelectorKind::Role, "App", Some("abc"))
        );
        let s = parse("idp:okta", any_account).unwrap();
        assert_eq!((s.account, s.kind, s.sub), (None, SelectorKind::Idp, None));
        assert_eq!(
            parse("nobody/user:x", |a| a == "prod"),
            Err(SelectorError::UnknownAccount("nobody"))
        );
        assert_eq!(parse("alice", any_account), Err(SelectorError::NoKind));
        assert_eq!(
            parse("group:x", any_account),
            Err(SelectorError::UnknownKind("group"))
        );
    }

    #[test]
    fn finds_by_target_account_name_and_sub() {
        let key = Selectable {
            target: Target::ApiKey,
            account: 1,
            name: "ab12".into(),
            sub: vec!["BedrockAPIKey-ab12".into()],
            requester: 0,
            caller: Some(0),
        };
        let finds = |sel: &str, acct| parse(sel, any_account).unwrap().finds(&key, acct);
        assert!(finds("api-key:ab12", None));
        assert!(finds("api-key:BedrockAPIKey-ab12", None));
        assert!(finds("api-key:*", Some(1)));
        assert!(!finds("api-key:*", Some(0)));
        assert!(!finds("user:ab12", None));
        let session = Selectable {
            target: Target::RoleSession,
            name: "App".into(),
            sub: vec!["s-1".into()],
            ..key
        };
        let p = |sel| parse(sel, any_account).unwrap();
        assert!(p("role:App/s-1").finds(&session, None));
        assert!(!p("role:App/s-2").finds(&session, None));
        assert!(!p("role:App").finds(&session, None));
    }
}
