//! Identities: every access pattern (`super::patterns`, in a fixed order) builds its callers
//! (ARN, identity kind, effective tags), its requesters and what selectors can find into one
//! [`Builder`]; [`select`] resolves a workload's selector to those requesters.

use std::collections::HashMap;
use std::sync::Arc;

use crate::scenario::model::{KeySpelling, RoleSpec, ScenarioFile};
use crate::scenario::Path;
use crate::selector::{self, Selectable, SelectorError, SelectorKind};

use super::context::Ctx;
use super::types::{Account, Caller, GatewayPlan, Requester, Tags};

/// Scenarios may not reach past this many generated principals without `--scale` consent.
pub(crate) const MAX_PRINCIPALS: u64 = 1_000_000;

/// What the access patterns build.
pub(crate) struct Builder<'a> {
    /// The resolved accounts.
    pub accounts: &'a [Account],
    /// Callers, in the order built.
    pub callers: Vec<Caller>,
    /// Requesters, in the order built.
    pub requesters: Vec<Requester>,
    /// What selectors can find.
    pub selectables: Vec<Selectable>,
    /// Gateways.
    pub gateways: Vec<GatewayPlan>,
    /// IAM user names per account (lower case; IAM users and API key users share them), with
    /// the index of the entry that defined them.
    pub user_names: HashMap<(usize, String), usize>,
    /// `[assumptions] override_key_spelling`.
    pub spelling: KeySpelling,
    /// Days of the billing periods.
    pub days: Vec<i64>,
    /// Distinct tag sets of the callers, and their index.
    pub tag_sets: Interner<Tags>,
    /// Distinct session key sets of the callers, and their index.
    pub key_sets: Interner<Vec<String>>,
}

/// Distinct values, each stored once, by index (0 is the default value).
pub(crate) struct Interner<T> {
    /// The values, in the order first seen.
    pub values: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T: Clone + Default + Eq + std::hash::Hash> Interner<T> {
    fn new() -> Self {
        let mut index = HashMap::new();
        index.insert(T::default(), 0);
        Interner {
            values: vec![T::default()],
            index,
        }
    }

    /// The index of `v`, added if new.
    pub(crate) fn intern(&mut self, v: T) -> u32 {
        if let Some(i) = self.index.get(&v) {
            return *i;
        }
        let i = self.values.len() as u32;
        self.values.push(v.clone());
        self.index.insert(v, i);
        i
    }
}

impl<'a> Builder<'a> {
    /// An empty builder over the resolved accounts; `days` are the billing periods' days (for
    /// per-day sessions).
    pub(crate) fn new(accounts: &'a [Account], spelling: KeySpelling, days: Vec<i64>) -> Self {
        Builder {
            accounts,
            callers: Vec::new(),
            requesters: Vec::new(),
            selectables: Vec::new(),
            gateways: Vec::new(),
            user_names: HashMap::new(),
            spelling,
            days,
            tag_sets: Interner::new(),
            key_sets: Interner::new(),
        }
    }

    /// The index of account `s` (id or name), or a problem at `path`.
    pub(crate) fn account(&self, cx: &mut Ctx<'_>, s: &str, path: Path) -> Option<usize> {
        let found = self.accounts.iter().position(|a| a.id == s || a.name == s);
        if found.is_none() {
            let known: Vec<String> = self
                .accounts
                .iter()
                .map(|a| format!("{} ({})", a.id, a.name))
                .collect();
            cx.problem(
                path,
                format!("unknown account `{s}`"),
                format!(
                    "use the id or name of an account in [organization]: {}",
                    known.join(", ")
                ),
            );
        }
        found
    }

    /// The index of tag set `t` in the plan's table.
    pub(crate) fn tags(&mut self, t: Tags) -> u32 {
        self.tag_sets.intern(t)
    }

    /// The index of session key set `k` in the plan's table.
    pub(crate) fn keys(&mut self, k: Vec<String>) -> u32 {
        self.key_sets.intern(k)
    }

    /// Add a caller; returns its index.
    pub(crate) fn push_caller(&mut self, c: Caller) -> usize {
        self.callers.push(c);
        self.callers.len() - 1
    }

    /// Add a requester sending as `callers` (weights); returns its index.
    pub(crate) fn push_requester(&mut self, callers: impl Into<Arc<[(usize, f64)]>>) -> usize {
        self.requesters.push(Requester {
            callers: callers.into(),
        });
        self.requesters.len() - 1
    }

    /// `arn:aws:iam::<account>:role/<name>`.
    pub(crate) fn role_arn(&self, account: usize, name: &str) -> String {
        format!("arn:aws:iam::{}:role/{}", self.accounts[account].id, name)
    }

    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub(crate) fn session_arn(&self, account: usize, role: &str, session: &str) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            self.accounts[account].id, role, session
        )
    }

    /// The `[[roles]]` entry of role `name` (ignoring case) in account `acct`.
    pub(crate) fn find_role<'f>(
        &self,
        file: &'f ScenarioFile,
        acct: usize,
        name: &str,
    ) -> Option<&'f RoleSpec> {
        file.roles.iter().find(|r| {
            r.name.eq_ignore_ascii_case(name)
                && (r.account == self.accounts[acct].id || r.account == self.accounts[acct].name)
        })
    }
}

/// Resolve selectors to requesters (for workloads).
pub(crate) fn select(cx: &mut Ctx<'_>, b: &Builder<'_>, sel: &str, path: Path) -> Vec<usize> {
    let is_account = |a: &str| b.accounts.iter().any(|x| x.id == a || x.name == a);
    let s = match selector::parse(sel, is_account) {
        Ok(s) => s,
        // `<account>/<kind>:...` with an account nobody defined: say so, rather than report
        // `<account>/<kind>` as an unknown kind.
        Err(SelectorError::UnknownAccount(a)) => {
            let known: Vec<String> = b
                .accounts
                .iter()
                .map(|x| format!("{} ({})", x.id, x.name))
                .collect();
            cx.problem(
                path,
                format!("selector `{sel}` names unknown account `{a}`"),
                format!(
                    "use the id or name of an account in [organization]: {}",
                    known.join(", ")
                ),
            );
            return vec![];
        }
        Err(SelectorError::NoKind) => {
            cx.problem(
                path,
                format!("selector `{sel}` has no kind"),
                "write user:<name>, api-key:<id>, role:<name>, idp:<name> or gateway:<name>",
            );
            return vec![];
        }
        Err(SelectorError::UnknownKind(kind)) => {
            cx.problem(
                path,
                format!("unknown selector kind `{kind}`"),
                "use user, api-key, role, idp or gateway",
            );
            return vec![];
        }
    };
    let account = s
        .account
        .and_then(|a| b.accounts.iter().position(|x| x.id == a || x.name == a));
    let found: Vec<usize> = b
        .selectables
        .iter()
        .filter(|x| s.finds(x, account))
        .map(|x| x.requester)
        .collect();
    if found.is_empty() {
        let hint = if s.kind == SelectorKind::Role {
            "name a role defined in [[roles]] that has `sessions`, or a gateway/IdP instead"
        } else {
            "check the name; selectors match names defined in this file"
        };
        cx.problem(path, format!("selector `{sel}` matches no principal"), hint);
    }
    found
}
