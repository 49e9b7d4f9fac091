//! `[[cost_allocation_tags]]`: tag activations.

use serde::Deserialize;

/// Where a cost allocation tag comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagSource {
    /// IAM principal and session tags (`iamPrincipal/`).
    IamPrincipal,
    /// Resource tags of background services (`resourceTags/`, `resource_tags`).
    Resource,
}

/// `[[cost_allocation_tags]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagActivationSpec {
    /// Tag key without prefix, e.g. `team`.
    pub key: String,
    /// `iam-principal` (default) or `resource`.
    #[serde(default = "iam_source")]
    pub source: TagSource,
    /// When the key was activated: `YYYY-MM-DD` or RFC 3339.
    pub activated_at: String,
    /// Hours until activation takes effect (AWS: up to 24 h).
    #[serde(default = "twenty_four")]
    pub effect_delay_hours: u32,
    /// `YYYY-MM`: a backfill re-applied the key from this month on.
    #[serde(default)]
    pub backfill_from: Option<String>,
}

fn iam_source() -> TagSource {
    TagSource::IamPrincipal
}
fn twenty_four() -> u32 {
    24
}
