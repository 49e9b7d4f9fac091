//! `curlab-twin`: a synthetic twin of an export. One streaming pass profiles a CUR 2.0 export
//! ([`profile`]); the profile becomes a scenario of the generator's format with every
//! identifying value renamed ([`anon`], [`build`], [`shape`]); the scenario is written as
//! commented TOML the parser accepts ([`write`]). Regenerating the scenario gives an export
//! shaped like the source: the same principals per access pattern, cost per model, usage type
//! and tag key, tag coverage and row count (docs/twin.md).

#![warn(missing_docs)]

pub mod anon;
mod background;
pub mod bill;
mod bill_stats;
pub mod build;
mod ctx;
mod identities;
mod map;
mod memo;
mod models;
mod observe;
mod pass;
pub mod profile;
pub mod shape;
mod specs;
mod store;
pub mod write;

use anyhow::{bail, Result};
use curlab_generator::scenario::model::ScenarioFile;

pub use build::Options;
pub use profile::Profile;

/// A twin, ready to write.
pub struct Twin {
    /// The scenario.
    pub file: ScenarioFile,
    /// The scenario as TOML.
    pub toml: String,
    /// What could not be inferred, one statement each.
    pub statements: Vec<String>,
    /// What was read, in numbers (the profile itself is dropped once the scenario is built).
    pub summary: Summary,
    /// Seconds the profile pass took (reading the export).
    pub profile_secs: f64,
}

/// What the pass read, in numbers.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Rows read (CUR 2.0 files).
    pub rows: u64,
    /// Bedrock inference rows.
    pub bedrock_rows: u64,
    /// Bedrock inference cost, USD.
    pub bedrock_cost: f64,
    /// CUR 2.0 data files read.
    pub files: usize,
    /// Principals.
    pub principals: usize,
    /// Principals per access pattern (`vocab/src/pattern.rs`).
    pub patterns: std::collections::BTreeMap<&'static str, usize>,
}

impl Summary {
    /// The numbers of a profile.
    pub fn of(p: &Profile) -> Summary {
        let mut patterns = std::collections::BTreeMap::new();
        for pat in curlab_vocab::pattern::classify(p.principals.iter().map(|(a, _)| &**a)).values()
        {
            *patterns.entry(pat.as_str()).or_insert(0usize) += 1;
        }
        Summary {
            rows: p.rows,
            bedrock_rows: p.bedrock_rows,
            bedrock_cost: p.bedrock_cost,
            files: p.files.iter().filter(|x| x.kind.is_cur2()).count(),
            principals: p.principals.len(),
            patterns,
        }
    }
}

/// What the profile cannot tell, as plain statements.
pub fn statements(p: &Profile) -> Vec<String> {
    let mut out = Vec::new();
    for f in &p.files {
        if !f.kind.is_cur2() {
            out.push(format!(
                "{}: {} ({}); not read: a twin is built from CUR 2.0 data (AWS Data Exports)",
                f.display,
                f.kind.label(),
                f.kind.evidence()
            ));
        }
    }
    if p.files.iter().all(|f| !f.kind.is_cur2()) {
        return out;
    }
    if !p.principal_column {
        out.push(format!(
            "no line_item_iam_principal column (the export was made without \
             INCLUDE_IAM_PRINCIPAL_DATA): principals, access patterns and per-principal volumes \
             cannot be inferred{}",
            if p.bedrock_rows > 0 {
                "; Bedrock usage goes to one stand-in IAM user per account, and the twin's \
                 export has no principal column either"
            } else {
                ""
            }
        ));
    }
    if !p.tags_column {
        out.push(
            "no tags column: tag keys, activation dates and tag coverage cannot be inferred".into(),
        );
    }
    if p.bedrock_rows == 0 {
        out.push(
            "no Bedrock inference rows: there are no principals, models, tokens or tag coverage \
             to infer; the scenario holds the accounts, background spend and tax only"
                .into(),
        );
    }
    if p.other_bedrock.0 > 0 {
        out.push(format!(
            "{} Bedrock rows that are neither model calls nor a charge the scenario format \
             writes (Provisioned Throughput, Reserved tier, guardrails, rerank, AgentCore) \
             (${:.2}: e.g. knowledge bases, prompt-cache storage, fees) are not reproduced",
            p.other_bedrock.0, p.other_bedrock.1
        ));
    }
    if !p.bill.profiles.is_empty() {
        out.push(
            "application inference profiles carry in the export only the tags activated as \
             cost allocation tags; their other tags cannot be inferred"
                .into(),
        );
    }
    if !p.bill.discount_rows.is_empty() {
        out.push(
            "discounts are read from the separate discount rows as one EDP rate (on the \
             AWS-billed usage types the rows name) and one private rate per model; the twin \
             applies the EDP rate to all AWS-billed Bedrock usage, and the `discount` map is \
             not read"
                .into(),
        );
    }
    let long: u64 = p
        .principals
        .iter()
        .flat_map(|(_, ps)| ps.work.iter())
        .map(|(_, w)| w.long_rows)
        .sum();
    if long > 0 {
        out.push(format!(
            "{long} rows at long-context rates: workloads cannot aim at requests above 200K \
             input tokens, so only sparse callers replayed as exact requests keep them"
        ));
    }
    out
}

/// Profile the export behind `paths` and build its twin.
pub fn from_export(
    paths: &[String],
    period: Option<&str>,
    threads: usize,
    opts: &Options,
) -> Result<Twin> {
    let started = std::time::Instant::now();
    let profile = Profile::read(paths, period, threads)?;
    let profile_secs = started.elapsed().as_secs_f64();
    let mut statements = statements(&profile);
    if profile.files.iter().all(|f| !f.kind.is_cur2()) {
        bail!(
            "no CUR 2.0 data file to profile:\n  {}\nfix: point at a CUR 2.0 export (AWS Data \
             Exports, the `CUR 2.0` table)",
            if statements.is_empty() {
                "no data files".to_string()
            } else {
                statements.join("\n  ")
            }
        );
    }
    let built = build::build(&profile, opts, &mut statements)?;
    let mut notes = built.notes;
    notes.header_first(format!(
        "Synthetic twin of a CUR 2.0 export, written by `curlab scenario from-export`{}.",
        if opts.keep_names {
            " (names kept)"
        } else {
            "; account ids, names, sessions and tag values are renamed with a salted keyed hash"
        }
    ));
    for s in &statements {
        notes.header(format!("cannot infer: {s}"));
    }
    let summary = Summary::of(&profile);
    drop(profile);
    let toml = write::write(&built.file, &notes);
    drop(built.file);
    pass::release_freed();
    // The twin must be a scenario the generator accepts: parse and resolve it here (with the
    // profile and the built scenario gone: the resolved plan of a large twin is not small).
    let parsed = curlab_generator::scenario::parse(&toml, "twin.toml")
        .map_err(|e| anyhow::anyhow!("internal error: the twin does not parse: {e}"))?;
    if let Err(problems) = curlab_generator::plan::resolve(&parsed, None, 1.0) {
        let e = curlab_generator::scenario::with_positions(&toml, "twin.toml", problems);
        bail!("internal error: the twin does not resolve: {e}");
    }
    Ok(Twin {
        file: parsed,
        toml,
        statements,
        summary,
        profile_secs,
    })
}
