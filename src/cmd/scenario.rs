//! `curlab scenario from-export`: a synthetic twin of an export (crate `curlab-twin`,
//! docs/twin.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

/// `curlab scenario ...`
#[derive(Debug, Subcommand)]
pub enum ScenarioCmd {
    /// Write a scenario whose regenerated export is shaped like this export: a synthetic
    /// twin, anonymised by default.
    FromExport(FromExportArgs),
}

/// `curlab scenario from-export`
#[derive(Debug, Args)]
pub struct FromExportArgs {
    /// The export: a folder in the Data Exports layout, a data file, a quoted glob, or
    /// s3://BUCKET/PREFIX/EXPORT/.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,
    /// Where to write the scenario.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Salt of the keyed renaming; the same salt gives the same names. Use a secret one
    /// before sharing a twin.
    #[arg(long, default_value = curlab_twin::anon::DEFAULT_SALT)]
    pub salt: String,
    /// Keep account ids, names, sessions and tag values as they are (no anonymisation).
    #[arg(long)]
    pub keep_names: bool,
    /// Rename tag keys too (they are kept by default: they are the attribution schema).
    #[arg(long, conflicts_with = "keep_names")]
    pub rename_keys: bool,
    /// Scenario and export name.
    #[arg(long, default_value = "twin")]
    pub name: String,
    /// Seed written into the scenario.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only this billing period (YYYY-MM).
    #[arg(long)]
    pub period: Option<String>,
    /// Worker threads for reading files (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub s3: crate::s3::S3Args,
}

/// Run `curlab scenario ...`.
pub fn run(cmd: ScenarioCmd) -> Result<ExitCode> {
    match cmd {
        ScenarioCmd::FromExport(a) => from_export(a),
    }
}

fn from_export(a: FromExportArgs) -> Result<ExitCode> {
    if let Some(p) = &a.period {
        if !curlab_reader::input::is_period(p) {
            anyhow::bail!(
                "--period {p} is not a billing period; write YYYY-MM, e.g. --period 2026-05"
            );
        }
    }
    if a.out.exists() && !a.force {
        anyhow::bail!(
            "{} exists; fix: choose another --out or pass --force",
            a.out.display()
        );
    }
    let mirrors = crate::s3::Mirrors::open(&a.paths, a.period.as_deref(), &a.s3)?;
    let opts = curlab_twin::Options {
        salt: a.salt.clone(),
        keep_names: a.keep_names,
        rename_keys: a.rename_keys,
        name: a.name.clone(),
        seed: a.seed,
    };
    let started = std::time::Instant::now();
    let twin = curlab_twin::from_export(&mirrors.paths, a.period.as_deref(), a.threads, &opts)
        .map_err(|e| anyhow::anyhow!(mirrors.text(&format!("{e:#}"))))?;
    std::fs::write(&a.out, &twin.toml)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    let p = &twin.summary;
    let f = &twin.file;
    println!(
        "profiled {} rows ({} Bedrock inference, ${:.2}) from {} file(s) in {:.1}s; twin built in {:.1}s",
        p.rows,
        p.bedrock_rows,
        p.bedrock_cost,
        p.files,
        twin.profile_secs,
        started.elapsed().as_secs_f64() - twin.profile_secs
    );
    let pats: Vec<String> = p.patterns.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!(
        "principals: {} ({})",
        p.principals,
        if pats.is_empty() {
            "none".to_string()
        } else {
            pats.join(", ")
        }
    );
    println!(
        "wrote {}: {} account(s), {} IAM user(s), {} API key(s), {} role(s), {} identity \
         provider(s), {} gateway(s), {} tag key(s), {} workload(s), {} request(s), {} background \
         line(s){}",
        a.out.display(),
        1 + f.organization.accounts.len(),
        f.iam_users.len(),
        f.api_keys.len(),
        f.roles.len(),
        f.identity_providers.len(),
        f.gateways.len(),
        f.cost_allocation_tags.len(),
        f.workloads.len(),
        f.requests.len(),
        f.background.len(),
        if a.keep_names { "" } else { ", anonymised" }
    );
    if !f.inference_profiles.is_empty() || f.discounts.is_some() || !f.adjustments.is_empty() {
        println!(
            "bill: {} inference profile(s), {}, {} credit/refund line(s)",
            f.inference_profiles.len(),
            f.discounts
                .as_ref()
                .map_or("no discounts".to_string(), |d| format!(
                    "EDP {} %, {} private rate(s) ({})",
                    d.edp_percent,
                    d.private_rates.len(),
                    d.representation.as_str()
                )),
            f.adjustments.len()
        );
    }
    for s in &twin.statements {
        println!("cannot infer: {}", mirrors.text(s));
    }
    Ok(ExitCode::SUCCESS)
}
