//! `curlab generate` and `curlab scenarios`.

use std::process::ExitCode;

/// Arguments of `curlab generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Scenario file path, or the name of a shipped scenario.
    pub scenario: String,
}

/// Run `curlab generate`.
pub fn run(_args: GenerateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("generate is not built yet")
}

/// Run `curlab scenarios`.
pub fn list_scenarios() -> anyhow::Result<ExitCode> {
    anyhow::bail!("scenarios is not built yet")
}
