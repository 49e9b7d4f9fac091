//! `[assumptions]`: choices for facts AWS leaves open, as switches.

use serde::Deserialize;

/// `[assumptions]`: the open questions of reference §9, as switches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    /// After a case-insensitive override, whose spelling of the key survives: `session`
    /// (the session tag replaces the principal tag whole) or `principal`.
    #[serde(default = "session_spelling")]
    pub override_key_spelling: KeySpelling,
    /// Whether batch inference rows carry the caller's principal (`caller`) or none (`none`).
    #[serde(default = "batch_caller")]
    pub batch_principal: BatchPrincipal,
    /// How a missing principal is written on rows that have none: `null` or `empty`.
    #[serde(default = "null_principal")]
    pub missing_principal: MissingPrincipal,
    /// What `line_item_resource_id` holds for calls through the global cross-region inference
    /// profile: the profile's ARN (`profile`) or the foundation model's (`foundation-model`).
    #[serde(default = "profile_arn")]
    pub profile_resource_id: ProfileResourceId,
    /// Whether Bedrock Guardrails rows carry a principal: `none` (default) or `caller`, the
    /// principal named by the guardrail's `[[background]] caller`, with its `iamPrincipal/`
    /// tags.
    #[serde(default)]
    pub guardrail_principal: GuardrailPrincipal,
}

/// See [`Assumptions::guardrail_principal`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuardrailPrincipal {
    /// No principal on guardrail rows (IAM principal attribution documents model inference
    /// APIs only).
    #[default]
    None,
    /// The calling principal (`[[background]] caller`) and its `iamPrincipal/` tags.
    Caller,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            override_key_spelling: KeySpelling::Session,
            batch_principal: BatchPrincipal::Caller,
            missing_principal: MissingPrincipal::Null,
            profile_resource_id: ProfileResourceId::Profile,
            guardrail_principal: GuardrailPrincipal::None,
        }
    }
}

fn profile_arn() -> ProfileResourceId {
    ProfileResourceId::Profile
}

/// See [`Assumptions::profile_resource_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileResourceId {
    /// `arn:aws:bedrock:<region>:<account>:inference-profile/global.<model id>`.
    Profile,
    /// `arn:aws:bedrock:<region>::foundation-model/<model id>` on every row.
    FoundationModel,
}

fn session_spelling() -> KeySpelling {
    KeySpelling::Session
}
fn batch_caller() -> BatchPrincipal {
    BatchPrincipal::Caller
}
fn null_principal() -> MissingPrincipal {
    MissingPrincipal::Null
}

/// See [`Assumptions::override_key_spelling`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeySpelling {
    /// The session tag's spelling wins.
    Session,
    /// The principal tag's spelling is kept, with the session's value.
    Principal,
}

/// See [`Assumptions::batch_principal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchPrincipal {
    /// The identity that submitted the job.
    Caller,
    /// No principal on batch rows.
    None,
}

/// See [`Assumptions::missing_principal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPrincipal {
    /// SQL NULL (Parquet null, empty CSV field).
    Null,
    /// The empty string.
    Empty,
}
