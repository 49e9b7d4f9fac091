//! `[organization]`: payer and linked accounts.

use serde::Deserialize;

/// `[organization]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The management (payer) account.
    pub payer: AccountSpec,
    /// Linked (member) accounts. The payer may also incur usage.
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
