//! `curlab generate` and `curlab scenarios`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use curlab_generator::asof::{self, AsOf};
use curlab_generator::faults::FaultSpec;
use curlab_generator::plan::{self, PayerPlan, Plan};
use curlab_generator::scenario::{self, model::ExportFormat};

use crate::export::{self, GenerateOptions};
use crate::shipped;
use curlab_vocab::export_layout as layout;

/// Output format override.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum FormatArg {
    /// Snappy-compressed Parquet.
    Parquet,
    /// Gzip-compressed CSV.
    Csv,
}

/// Parquet compression.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum CompressionArg {
    /// Snappy (what AWS writes).
    Snappy,
    /// Zstandard.
    Zstd,
    /// No compression.
    None,
}

/// Arguments of `curlab generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct GenerateArgs {
    /// Scenario file path, or the name of a shipped scenario (see `curlab scenarios`).
    pub scenario: String,
    /// Output folder; the export lands in <OUT>/<export-name>/ and the truth file beside it.
    /// An s3://BUCKET/PREFIX URI uploads it there instead (docs/s3.md).
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    /// Seed for every random choice (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the scenario's data format.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Multiply generated populations (users, sessions, resources) by F.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Worker threads (output is byte-identical for any value).
    #[arg(long, default_value_t = default_threads())]
    pub threads: usize,
    /// Replace an existing export of the same name.
    #[arg(long)]
    pub force: bool,
    /// Plant a known defect: FAULT or FAULT=RATE (repeatable). `curlab faults` lists them.
    #[arg(long = "inject", value_name = "FAULT[=RATE]")]
    pub inject: Vec<String>,
    /// Parquet compression.
    #[arg(long, value_enum, default_value_t = CompressionArg::Snappy)]
    pub compression: CompressionArg,
    /// Rows per Parquet row group (also the unit of parallel encoding; the default keeps
    /// memory flat).
    #[arg(long, default_value_t = 65_536)]
    pub row_group_rows: usize,
    /// Start a new numbered data file after this many rows (default: the scenario's
    /// `max_rows_per_file`, 5,000,000).
    #[arg(long)]
    pub max_rows_per_file: Option<u64>,
    /// Split the export into N parts (by day) that separate runs can generate; see --part.
    #[arg(long, default_value_t = 1)]
    pub parts: usize,
    /// Which part to write, 0-based (with --parts). The union of all parts' rows equals the
    /// unsharded export's rows.
    #[arg(long, default_value_t = 0)]
    pub part: usize,
    /// Generate even when the estimate exceeds the safety limits (1e8 requests, 1e6 principals);
    /// 2e7 principals stay refused.
    #[arg(long)]
    pub allow_large: bool,
    /// Write the export as it stood on DATE (YYYY-MM-DD): the scenario's months move so its
    /// last billing period is DATE's month, usage stops 24 hours before the end of DATE, that
    /// month is open (no invoice id) and earlier ones are invoiced (docs/scenarios.md).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub s3: crate::s3::S3Args,
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Refuse work above this many simulated requests without `--allow-large`.
const MAX_REQUESTS: f64 = 1e8;

/// Load and resolve a scenario given as a path or a shipped name: one plan per payer (one
/// plan, `payer_id` `None`, for a single-payer scenario). Absurd sizes are refused
/// before anything is built (populations from the parsed file), and again after resolving
/// (requests from the resolved streams), unless `allow_large`. `before_resolve` sees the parsed
/// file first, so a caller can refuse cheaply what does not need the (at large scales slow and
/// memory-hungry) resolved plan.
pub(crate) fn load_plans(
    name_or_path: &str,
    seed: Option<u64>,
    scale: f64,
    allow_large: bool,
    as_of: Option<AsOf>,
    before_resolve: &dyn Fn(&scenario::model::ScenarioFile) -> Result<()>,
) -> Result<Vec<PayerPlan>> {
    if !(scale > 0.0 && scale <= 10_000.0) {
        bail!("--scale {scale} is outside (0, 10000]; use e.g. --scale 2 for twice the population");
    }
    let (src, label) = match shipped::find(name_or_path) {
        Some(s) if !std::path::Path::new(name_or_path).exists() => {
            (s.source.to_string(), format!("scenarios/{}.toml", s.name))
        }
        _ => {
            let path = std::path::Path::new(name_or_path);
            if !path.exists() {
                let names: Vec<&str> = shipped::SHIPPED.iter().map(|s| s.name).collect();
                bail!("no scenario file `{name_or_path}` and no shipped scenario of that name (shipped: {})", names.join(", "));
            }
            if !path.is_file() {
                bail!(
                    "{}: is not a file; fix: pass a scenario .toml file or a shipped scenario name",
                    path.display()
                );
            }
            // A scenario is a few KiB; refuse to slurp something that is clearly not one.
            let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if len > MAX_SCENARIO_BYTES {
                bail!(
                    "{}: is {} bytes, more than a scenario file can be ({} bytes); fix: pass the scenario .toml, not a data file",
                    path.display(),
                    len,
                    MAX_SCENARIO_BYTES
                );
            }
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let src = String::from_utf8(bytes).map_err(|e| {
                anyhow::anyhow!(
                    "{}: is not UTF-8 text (invalid byte at byte offset {}); fix: save the scenario as UTF-8 TOML",
                    path.display(),
                    e.utf8_error().valid_up_to()
                )
            })?;
            (src, path.display().to_string())
        }
    };
    let mut file = scenario::parse(&src, &label)?;
    let mut months = 0;
    if let Some(a) = as_of {
        let name = file.scenario.name.clone();
        (file, months) = asof::shift(&file, a, &name).map_err(anyhow::Error::msg)?;
    }
    let size = curlab_generator::size::estimate(&file, scale);
    if size.principals > curlab_generator::size::HARD_MAX_PRINCIPALS {
        bail!(
            "{label} would simulate {}; curlab holds every principal in memory and stops at {:.0e} principals, even with --allow-large. Lower the user, task or instance counts or --scale",
            size.describe(),
            curlab_generator::size::HARD_MAX_PRINCIPALS
        );
    }
    if !allow_large
        && (size.principals > curlab_generator::size::MAX_PRINCIPALS
            || size.requests > MAX_REQUESTS)
    {
        bail!(
            "{label} would simulate {}; that is above the safety limit of {MAX_REQUESTS:.0e} requests or {:.0e} principals. Lower requests_per_day, user, task or instance counts or --scale, or pass --allow-large",
            size.describe(),
            curlab_generator::size::MAX_PRINCIPALS
        );
    }
    before_resolve(&file)?;
    let mut plans = plan::resolve_payers(&file, seed, scale).map_err(|mut problems| {
        if months != 0 {
            for p in &mut problems {
                p.hint = format!(
                    "{} (dates here are moved {months} months by --as-of)",
                    p.hint
                );
            }
        }
        scenario::with_positions(&src, &label, problems)
    })?;
    for PayerPlan { plan, .. } in &mut plans {
        if let Some(a) = as_of {
            asof::apply(plan, a, months);
        }
    }
    let estimate: f64 = plans.iter().map(|p| p.plan.estimated_requests()).sum();
    if estimate > MAX_REQUESTS && !allow_large {
        // Rows are bounded by callers × buckets × usage types, and by the requests themselves.
        let buckets = plans[0].plan.days().len() as f64 * 24.0;
        let callers: usize = plans.iter().map(|p| p.plan.callers.len()).sum();
        let rows = (callers.max(1) as f64 * buckets * 4.0).min(estimate * 3.0);
        bail!(
            "{label} would simulate about {:.2e} requests, about {:.1e} rows and {:.0} MiB of Parquet; that is above the safety limit of {MAX_REQUESTS:.0e} requests. Lower requests_per_day, user counts or --scale, or pass --allow-large",
            estimate,
            rows,
            rows * curlab_generator::size::PARQUET_BYTES_PER_ROW / 1_048_576.0,
        );
    }
    Ok(plans)
}

/// Largest scenario file read (scenarios are a few KiB; the shipped enterprise one is 9 KiB).
const MAX_SCENARIO_BYTES: u64 = 4 * 1024 * 1024;

/// Run `curlab generate`.
pub(crate) fn run(args: GenerateArgs) -> Result<ExitCode> {
    // Before any work: a Ctrl-C from here on stops cleanly (no temporary folder left behind).
    crate::signal::install();
    let as_of = args
        .as_of
        .as_deref()
        .map(str::parse::<AsOf>)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let s3_out = crate::s3::S3Uri::parse(&args.out.to_string_lossy())?;
    // An existing export without --force is refused before the plan is resolved (which takes
    // tens of seconds and GiBs at --scale 275); the staging folder checks again, and for the
    // per-payer folders of a multi-payer scenario.
    let refuse_existing = |file: &scenario::model::ScenarioFile| -> Result<()> {
        if args.force || s3_out.is_some() || file.organization.payers.len() > 1 {
            return Ok(());
        }
        let name = file.export.name.as_deref().unwrap_or(&file.scenario.name);
        export::refuse_existing(&args.out, name)
    };
    let plans = load_plans(
        &args.scenario,
        args.seed,
        args.scale,
        args.allow_large,
        as_of,
        &refuse_existing,
    )?;
    if let Some(n) = args.max_rows_per_file {
        if n == 0 {
            bail!("--max-rows-per-file must be at least 1");
        }
    }
    let faults = args
        .inject
        .iter()
        .map(|s| {
            s.parse::<FaultSpec>()
                .map_err(|e| anyhow::anyhow!("--inject {s}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.parts == 0 || args.part >= args.parts {
        bail!(
            "--part {} is not one of 0..{} (--parts {})",
            args.part,
            args.parts,
            args.parts
        );
    }
    if args.parts > 1 && !faults.is_empty() {
        bail!("--inject cannot be combined with --parts: faults pick rows across the whole export");
    }
    if args.row_group_rows == 0 {
        bail!("--row-group-rows must be at least 1");
    }
    let opts = GenerateOptions {
        threads: args.threads.max(1),
        faults,
        compression: match args.compression {
            CompressionArg::Snappy => parquet::basic::Compression::SNAPPY,
            CompressionArg::Zstd => parquet::basic::Compression::ZSTD(Default::default()),
            CompressionArg::None => parquet::basic::Compression::UNCOMPRESSED,
        },
        row_group_rows: args.row_group_rows,
        part: (args.parts > 1).then_some((args.part, args.parts)),
    };
    if let Some(p) = plans.first() {
        let (units, granularity) = (export::part_units(&p.plan).len(), p.plan.export.granularity);
        if args.parts > units.max(1) {
            let what = if granularity == curlab_vocab::Granularity::Monthly {
                "billing periods"
            } else {
                "days"
            };
            bail!(
                "--parts {} is more than the {units} {what} this export is split by (a part owns whole {what}); use --parts {units} or fewer",
                args.parts
            );
        }
    }
    for (index, PayerPlan { payer_id, mut plan }) in plans.into_iter().enumerate() {
        // Several payers: `--inject` plants its faults in the first payer's export only, so
        // a fault the other payers' rows cannot hold does not refuse the run and each fault
        // has one export to be found in (docs/faults.md).
        let opts = if index == 0 {
            opts.clone()
        } else {
            GenerateOptions {
                faults: Vec::new(),
                ..opts.clone()
            }
        };
        // Several payers: each its own export under `<out>/<scenario>/cur2/<payer-id>/`, as
        // the AWS Cloud Intelligence Dashboards collect several sources (docs/export-format.md).
        let sub = payer_id
            .as_deref()
            .map(|id| format!("{}/{}/{id}", plan.name, layout::MULTI_PAYER_DIR));
        let out = match &sub {
            Some(sub) => args.out.join(sub),
            None => args.out.clone(),
        };
        let s3_here = s3_out.as_ref().map(|u| match &sub {
            Some(sub) => u.join(sub),
            None => u.clone(),
        });
        if let Some(uri) = &s3_here {
            // The manifest lists the data files where they really are.
            plan.export.s3_bucket = uri.bucket.clone();
            plan.export.s3_prefix = uri.key.clone();
        } else if let Some(id) = &payer_id {
            // The data files' URIs in the manifest: `<prefix>/<payer-id>/<export>/…` (CID's
            // `S3Prefix: cur2/${AWS::AccountId}`).
            plan.export.s3_prefix = if plan.export.s3_prefix.is_empty() {
                id.clone()
            } else {
                format!("{}/{id}", plan.export.s3_prefix)
            };
        }
        if let Some(f) = args.format {
            plan.export.format = match f {
                FormatArg::Parquet => ExportFormat::Parquet,
                FormatArg::Csv => ExportFormat::Csv,
            };
        }
        if let Some(n) = args.max_rows_per_file {
            plan.export.max_rows_per_file = n;
        }
        generate_one(
            &args,
            &plan,
            payer_id.as_deref(),
            &out,
            s3_here.as_ref(),
            &opts,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Write one export (one payer's) and print what was written.
fn generate_one(
    args: &GenerateArgs,
    plan: &Plan,
    payer_id: Option<&str>,
    out: &std::path::Path,
    s3_out: Option<&crate::s3::S3Uri>,
    opts: &GenerateOptions,
) -> Result<()> {
    let of_payer = payer_id
        .map(|id| format!(" of payer {id}"))
        .unwrap_or_default();
    let bar = if !args.quiet && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(plan.days().len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} days ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(format!("generating {}{of_payer}", plan.export.name));
        Some(b)
    } else {
        None
    };
    let progress = |done: usize, _total: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    let summary = match s3_out {
        Some(uri) => crate::s3::generate(plan, uri, &args.s3, args.force, opts, &progress)?,
        None => export::generate(plan, out, args.force, opts, &progress)?,
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if !args.quiet {
        let t = &summary.truth;
        let shown = match (payer_id, s3_out) {
            (None, _) => args.out.display().to_string(),
            (Some(_), Some(uri)) => uri.to_string(),
            (Some(_), None) => out.display().to_string(),
        };
        eprintln!(
            "wrote {}{of_payer} ({} file{}, {} rows, {:.1} MiB) and {}.truth.json to {shown}",
            plan.export.name,
            summary.files.len(),
            if summary.files.len() == 1 { "" } else { "s" },
            summary.rows,
            summary.bytes as f64 / 1_048_576.0,
            plan.export.name,
        );
        eprintln!(
            "  Bedrock ${:.2} ({} principals, ${:.2} unattributed), background ${:.2}, tax ${:.2}",
            t.bedrock_cost_total,
            summary.principals,
            t.unattributed_bedrock_cost,
            t.background_cost_total,
            t.tax_cost_total
        );
        if let Some(a) = &t.as_of {
            eprintln!(
                "  as of {}: months moved {:+}, usage until {}, {} open (no invoice id)",
                a.date, a.months_shifted, a.data_until, a.open_billing_period
            );
        }
        for f in &t.faults {
            eprintln!(
                "  planted {} ({} rows) for rule {}",
                f.fault, f.rows, f.rule
            );
        }
    }
    Ok(())
}

/// Run `curlab scenarios`.
pub(crate) fn list_scenarios() -> Result<ExitCode> {
    for s in shipped::SHIPPED {
        let desc = scenario::parse(s.source, s.name)
            .map(|f| f.scenario.description)
            .unwrap_or_default();
        println!("{:<24} {}", s.name, desc);
    }
    Ok(ExitCode::SUCCESS)
}

/// Run `curlab faults`.
pub(crate) fn list_faults() -> Result<ExitCode> {
    println!(
        "{:<26} {:<6} {:>5}  what it plants",
        "fault", "rule", "rate"
    );
    for (f, name, rule, rate) in curlab_generator::faults::FAULTS {
        let what = format!("{f:?}");
        println!("{name:<26} {rule:<6} {rate:>5}  {what}");
    }
    Ok(ExitCode::SUCCESS)
}
