//! What a rule is: its stable code, family, severity, when it applies, what it needs, its
//! documentation and its SQL form.

use serde::Serialize;

use crate::facts::Needs;
use crate::sql::form::SqlForm;

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
    /// Only when neither `--truth` nor `--policy` is given: a heuristic that the rules named
    /// by `instead` replace.
    NoTruthNorPolicy {
        /// The rules that decide with `--truth` or `--policy`, for the skip reason.
        instead: &'static str,
    },
}

impl Applicability {
    /// Short text for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Always => "always",
            Applicability::Truth => "--truth",
            Applicability::Policy => "--policy",
            Applicability::TruthOrPolicy => "--truth or --policy",
            Applicability::NoTruthNorPolicy { .. } => "without --truth/--policy",
        }
    }

    /// Why a rule with this applicability cannot run given whether `--truth` and `--policy`
    /// are there, if it cannot.
    pub fn unmet(self, truth: bool, policy: bool) -> Option<String> {
        let (t, p) = (truth, policy);
        match self {
            Applicability::Always => None,
            Applicability::Truth if !t => Some("needs --truth".into()),
            Applicability::Policy if !p => Some("needs --policy".into()),
            Applicability::TruthOrPolicy if !t && !p => Some("needs --truth or --policy".into()),
            Applicability::NoTruthNorPolicy { instead } if t || p => Some(format!(
                "a heuristic used only without --truth and --policy; with them {instead} decide"
            )),
            _ => None,
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
    /// What it needs from the scan: columns, aggregates, per-value facts.
    pub needs: Needs,
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
    pub sql: SqlForm,
}
