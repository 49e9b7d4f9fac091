//! `curlab verify`, `curlab rules`, `curlab explain`.

use std::process::ExitCode;

/// Arguments of `curlab verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Export folder, data files or globs.
    pub paths: Vec<String>,
}

/// Run `curlab verify`.
pub fn run(_args: VerifyArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("verify is not built yet")
}

/// Run `curlab rules`.
pub fn list_rules() -> anyhow::Result<ExitCode> {
    anyhow::bail!("rules is not built yet")
}

/// Run `curlab explain CODE`.
pub fn explain(_code: &str) -> anyhow::Result<ExitCode> {
    anyhow::bail!("explain is not built yet")
}
