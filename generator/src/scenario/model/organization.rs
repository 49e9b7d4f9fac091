//! `[organization]`: payer and linked accounts, or several payers (`[[organization.payers]]`).

use serde::Deserialize;

/// `[organization]`: either one `payer` (with `accounts`), or several `payers`, each the
/// management account of its own organisation with its own member accounts, its own cost
/// allocation tag activations and its own CUR 2.0 export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The management (payer) account (single-payer form).
    #[serde(default)]
    pub payer: Option<AccountSpec>,
    /// Linked (member) accounts (single-payer form). The payer may also incur usage.
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
    /// Several payers (the multi-payer form; excludes `payer` and `accounts`).
    #[serde(default)]
    pub payers: Vec<PayerSpec>,
}

/// `[[organization.payers]]`: one payer (management) account and its member accounts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerSpec {
    /// 12-digit id of the management account.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its linked (member) accounts. The payer may also incur usage.
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
}

/// One AWS account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    /// 12-digit id.
    pub id: String,
    /// Display name.
    pub name: String,
}
