//! What a rule gives `curlab sql`: its [`SqlForm`] (a builder of its violations query, or why it
//! runs only natively), and what a builder sees and returns.
//!
//! A builder returns a query over the shared CTEs of [`compose`](super::compose) (`base`, and
//! where needed the [`Cte`]s it names) with two columns: `n`, how many offences a result row
//! stands for, in the unit the native rule counts (rows, tag entries, principals, keys,
//! gateways, repeated occurrences), and `sample`, a text describing it. The native check in the
//! same file is the specification; the builder mirrors it.

use std::fmt;

use super::dialect::Dialect;
use crate::context::Ctx;

/// Builds one rule's violations query.
pub type RuleSqlFn = fn(&SqlCx<'_>) -> Violations;

/// A rule's SQL form.
#[derive(Clone, Copy)]
pub enum SqlForm {
    /// The rule as SQL: this builds its violations.
    Query(RuleSqlFn),
    /// The rule runs only in the native verifier, for this reason.
    NativeOnly(&'static str),
}

impl fmt::Debug for SqlForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlForm::Query(_) => f.write_str("Query"),
            SqlForm::NativeOnly(why) => write!(f, "NativeOnly({why:?})"),
        }
    }
}

impl SqlForm {
    /// `yes` or `native-only`, for tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            SqlForm::Query(_) => "yes",
            SqlForm::NativeOnly(_) => "native-only",
        }
    }
}

/// What a builder sees: the dialect, and the rules' context built from the truth and policy
/// files (no data files).
pub struct SqlCx<'a> {
    /// The dialect to write.
    pub d: Dialect,
    /// Truth, policy, activation table, principal-data start, granularity.
    pub ctx: &'a Ctx,
}

/// One rule's violations: a query with columns `n` (offences) and `sample` (text).
#[derive(Debug, Clone)]
pub struct Violations {
    /// The query.
    pub sql: String,
    /// Shared CTEs it reads besides `base`.
    pub uses: &'static [Cte],
}

/// Shared CTEs a rule may read besides `base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cte {
    /// `first_principal(first_ms)`: the earliest usage start of a row with a principal.
    FirstPrincipal,
    /// `spend(usage_account, principal, nanos, row_count)`: Bedrock inference spend.
    Spend,
    /// `principals(principal, nanos)`: Bedrock inference spend per principal.
    Principals,
    /// `truth_principals(arn, nanos)`: the truth's principals, with expected nanos for those in
    /// `by_principal`.
    TruthPrincipals,
}
