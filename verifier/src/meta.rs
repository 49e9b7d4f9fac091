//! What a rule is: its stable code, family, severity, when it applies, and its documentation.

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the run (exit 1).
    Error,
    /// Reported; fails the run only with `--strict`.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Rule family; the code prefix names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// `SC`: schema and Data Exports layout.
    Schema,
    /// `PR`: `line_item_iam_principal`.
    Principal,
    /// `TG`: the `tags` map.
    Tags,
    /// `GW`: LLM gateways.
    Gateway,
    /// `CT`: cost and time.
    Cost,
    /// `RC`: reconciliation against a truth file.
    Reconciliation,
    /// `PO`: an organisation's policy file.
    Policy,
}

impl Family {
    /// Lower-case family name.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Schema => "schema",
            Family::Principal => "principal",
            Family::Tags => "tags",
            Family::Gateway => "gateway",
            Family::Cost => "cost",
            Family::Reconciliation => "reconciliation",
            Family::Policy => "policy",
        }
    }
}

/// Which inputs a rule needs besides the export itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Any export.
    Always,
    /// Only with `--truth`.
    Truth,
    /// Only with `--policy`.
    Policy,
    /// With `--truth` or `--policy`.
    TruthOrPolicy,
    /// Only when neither `--truth` nor `--policy` is given (a heuristic the others replace).
    NoTruthNorPolicy,
}

impl Applicability {
    /// Short text for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Always => "always",
            Applicability::Truth => "--truth",
            Applicability::Policy => "--policy",
            Applicability::TruthOrPolicy => "--truth or --policy",
            Applicability::NoTruthNorPolicy => "without --truth/--policy",
        }
    }
}

/// A rule's identity and documentation, in fixed sections.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// Stable code, e.g. `PR001`.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `missing-principal`.
    pub name: &'static str,
    /// Family.
    pub family: Family,
    /// Severity.
    pub severity: Severity,
    /// When it applies.
    pub applies: Applicability,
    /// Columns it reads; when one is absent from every data file the rule is skipped.
    pub columns: &'static [&'static str],
    /// One line for `curlab rules`.
    pub summary: &'static str,
    /// What it checks.
    pub checks: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// An offending example.
    pub example: &'static str,
    /// How to fix it in AWS.
    pub fix: &'static str,
    /// Its SQL form for `curlab sql`, or why it runs only natively.
    pub sql: crate::sql::SqlForm,
}
