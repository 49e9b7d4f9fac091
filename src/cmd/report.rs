//! `curlab report` and `curlab diff`: chargeback tables, tag coverage and strategy diffs over
//! CUR 2.0 exports, or over a scenario simulated in memory.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use curlab_generator::{Plan, Row};
use curlab_report::render;
use curlab_report::scan::Export;
use curlab_report::{Aggregator, CostMetric, Diff, Dim, Filter, LineItem, ReportSpec, TimeBucket};
use curlab_vocab::bedrock::{is_bedrock_inference, RowIdentity};

/// Output format of `curlab report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportFormat {
    /// Aligned text for the terminal.
    Table,
    /// One line per group (or per period and group with --granularity); formula cells
    /// neutralised.
    Csv,
    /// The JSON document described in docs/report.md.
    Json,
    /// One self-contained HTML page with inline SVG charts.
    Html,
}

/// Output format of `curlab diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    /// Aligned text for the terminal.
    Table,
    /// Group changes, one line per group.
    Csv,
    /// The JSON document described in docs/report.md.
    Json,
}

/// `--cost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CostArg {
    /// `line_item_unblended_cost`.
    Unblended,
    /// `line_item_net_unblended_cost`, unblended where null.
    Net,
    /// CID's amortized cost (= unblended for Bedrock inference rows).
    Amortized,
}

impl CostArg {
    fn metric(self) -> CostMetric {
        match self {
            CostArg::Unblended => CostMetric::Unblended,
            CostArg::Net => CostMetric::Net,
            CostArg::Amortized => CostMetric::Amortized,
        }
    }
}

/// Time bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TimeBucketArg {
    /// One bucket per UTC day.
    Daily,
    /// One bucket per calendar month.
    Monthly,
}

/// Grouping and filtering shared by `report` and `diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct Selection {
    /// Group by: principal, role, account, model, usage-type, token-type, region, tag:<key>
    /// (the iamPrincipal/<key> value) or resource-tag:<key>. Repeat to group by several.
    /// Default: principal.
    #[arg(long = "group-by", value_name = "DIM", value_parser = Dim::parse)]
    pub group_by: Vec<Dim>,
    /// Keep only rows where DIM has VALUE, e.g. tag:team=ds or principal=arn:...; repeat the
    /// same DIM for alternatives. "(untagged)" selects rows without the tag.
    #[arg(long = "filter", value_name = "DIM=VALUE", value_parser = Filter::parse)]
    pub filters: Vec<Filter>,
    /// Only this billing period (YYYY-MM).
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<String>,
    /// Worker threads for reading files (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub s3: crate::s3::S3Args,
}

/// Arguments of `curlab report`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Counts Bedrock inference usage rows (AWS and Marketplace billing forms). \
The total line equals the export's Bedrock total to the cent.\nExit status: 0 success, 2 the \
input could not be read or the command line is wrong."
)]
pub(crate) struct ReportArgs {
    /// Export folder in the Data Exports layout, data files (Parquet, CSV, CSV.gz) or quoted
    /// globs, or an s3:// URI, as for `curlab verify`.
    #[arg(
        value_name = "PATH",
        required_unless_present = "scenario",
        conflicts_with = "scenario"
    )]
    pub paths: Vec<String>,
    /// Simulate this scenario (a file or a shipped name) in memory and report on it, without
    /// writing an export.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<String>,
    /// Seed for --scenario (default: the scenario's).
    #[arg(long, requires = "scenario")]
    pub seed: Option<u64>,
    /// Population scale for --scenario.
    #[arg(long, default_value_t = 1.0, requires = "scenario")]
    pub scale: f64,
    #[command(flatten)]
    pub sel: Selection,
    /// Time bucket size of the spend-over-time data (the table shows it only when given).
    #[arg(long, value_enum)]
    pub granularity: Option<TimeBucketArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The cost to sum: unblended (`line_item_unblended_cost`), net (after EDP and
    /// private-rate discounts; unblended where the net column is null) or amortized (the CID
    /// dashboards' formula, equal to unblended for Bedrock inference rows).
    #[arg(long, value_enum, default_value_t = CostArg::Unblended)]
    pub cost: CostArg,
    /// Chargeback over every row of the export (not only Bedrock inference): spend per
    /// principal, gross and net, and the lines no principal carries (principal-free Bedrock
    /// charges, other services, discount rows, credits, refunds, tax), adding up to the invoice
    /// total. Files only; table, CSV or JSON.
    #[arg(long, conflicts_with_all = ["scenario", "granularity", "group_by", "filters"])]
    pub chargeback: bool,
}

/// Arguments of `curlab diff`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A and B are two exports of the same workload under different \
strategies, e.g. a gateway with and without per-user sessions, or before and after activating \
a tag key."
)]
pub(crate) struct DiffArgs {
    /// Export A: a folder, data file or quoted glob, or `scenario:<file or shipped name>` to
    /// simulate a scenario in memory.
    #[arg(value_name = "A")]
    pub a: String,
    /// Export B, in the same forms.
    #[arg(value_name = "B")]
    pub b: String,
    /// Population scale for `scenario:` sides.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    #[command(flatten)]
    pub sel: Selection,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn spec_of(sel: &Selection, granularity: Option<TimeBucketArg>) -> Result<ReportSpec> {
    if let Some(p) = &sel.period {
        if !curlab_reader::input::is_period(p) {
            bail!("--period {p} is not a billing period; write YYYY-MM, e.g. --period 2026-05");
        }
    }
    Ok(ReportSpec {
        group_by: if sel.group_by.is_empty() {
            vec![Dim::Principal]
        } else {
            sel.group_by.clone()
        },
        filters: sel.filters.clone(),
        granularity: match granularity {
            Some(TimeBucketArg::Monthly) => TimeBucket::Monthly,
            _ => TimeBucket::Daily,
        },
        period: sel.period.clone(),
        cost: CostMetric::Unblended,
    })
}

fn bar(len: usize, unit: &str, msg: String, quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(len as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{eta}})"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b.set_message(msg);
    Some(b)
}

/// One folder holding several exports (one per payer, `<scenario>/cur2/<payer-id>/<export>/`)
/// → the exports' folders, read together; any other PATHs as given.
fn expand_exports(paths: &[String]) -> Result<Vec<String>> {
    if let [only] = paths {
        let dir = std::path::Path::new(only);
        if dir.is_dir() {
            if let Some(found) = curlab_reader::input::find_exports(dir)? {
                return Ok(found
                    .into_iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect());
            }
        }
    }
    Ok(paths.to_vec())
}

/// Summarise the files behind `paths`.
fn from_files(
    paths: &[String],
    sel: &Selection,
    spec: &ReportSpec,
) -> Result<curlab_report::Summary> {
    // s3:// arguments are copied to a local mirror first; sources then name the URIs.
    let mirrors = crate::s3::Mirrors::open(paths, sel.period.as_deref(), &sel.s3)?;
    let local_err = |e: anyhow::Error| anyhow::anyhow!(mirrors.text(&format!("{e:#}")));
    let paths = expand_exports(&mirrors.paths).map_err(local_err)?;
    let export = Export::open(&paths, sel.period.as_deref()).map_err(local_err)?;
    let pb = bar(export.task_count(), "parts", "reading".into(), sel.quiet);
    let progress = |done: usize| {
        if let Some(b) = &pb {
            b.set_position(done as u64);
        }
    };
    let agg = export
        .scan(spec, sel.threads, &progress)
        .map_err(local_err)?;
    if let Some(b) = pb {
        b.finish_and_clear();
    }
    let sources = export
        .sources()
        .iter()
        .map(|s| mirrors.display(s))
        .collect();
    Ok(agg.finish(sources))
}

/// Feed one generated row to the aggregator if it is Bedrock inference usage; the same test
/// the file reader applies, so both paths count the same rows.
fn observe_row(plan: &Plan, row: &Row, agg: &mut Aggregator) {
    let sku = &row.sku;
    let ident = RowIdentity {
        product_code: &sku.product_code,
        billing_entity: sku.billing_entity,
        product_family: &sku.family,
        product_name: &sku.product_name,
        operation: &row.operation,
        line_item_type: row.line_item_type(),
    };
    if !is_bedrock_inference(&ident) {
        return;
    }
    let cost_e16 = match agg.spec().cost {
        CostMetric::Net => row.net_cost_e16().unwrap_or(row.cost_e16),
        CostMetric::Unblended | CostMetric::Amortized => row.cost_e16,
    };
    agg.observe(&LineItem {
        principal: row.principal.as_deref(),
        usage_account: plan.accounts.get(row.account).map_or("", |a| a.id.as_str()),
        usage_type: &sku.usage_type,
        product_name: &sku.product_name,
        pricing_unit: sku.pricing_unit,
        start: Some(row.start * 1_000_000),
        cost: cost_e16.round_e10(),
        usage_e6: row.amount_e6 as i128,
        tags: &row.tags,
    });
}

/// Simulate a scenario in memory and summarise it.
fn from_scenario(
    name: &str,
    seed: Option<u64>,
    scale: f64,
    sel: &Selection,
    spec: &ReportSpec,
) -> Result<curlab_report::Summary> {
    // A scenario with several payers: every payer's export, summed (the organisations'
    // group view; `curlab report` over the multi-payer folder reads the same).
    let plans = crate::cmd::generate::load_plans(name, seed, scale, false, None, &|_| Ok(()))?;
    let mut agg = Aggregator::new(spec.clone());
    for plan in plans.iter().map(|p| &p.plan) {
        let wanted = match &sel.period {
            Some(p) => Some(
                plan.export
                    .periods
                    .iter()
                    .position(|x| &x.label == p)
                    .with_context(|| {
                        let have: Vec<&str> = plan
                            .export
                            .periods
                            .iter()
                            .map(|x| x.label.as_str())
                            .collect();
                        format!(
                            "scenario {name} has no billing period {p}; its periods are {}",
                            have.join(", ")
                        )
                    })?,
            ),
            None => None,
        };
        let pb = bar(
            plan.days().len(),
            "days",
            format!("simulating {}", plan.name),
            sel.quiet,
        );
        let threads = if sel.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            sel.threads
        };
        crate::export::simulate(
            plan,
            threads,
            None,
            |done, _| {
                if let Some(b) = &pb {
                    b.set_position(done as u64);
                }
            },
            |chunk| {
                if wanted.is_none_or(|w| w == chunk.period) {
                    for row in &chunk.rows {
                        observe_row(plan, row, &mut agg);
                    }
                }
                Ok(())
            },
        )?;
        if let Some(b) = pb {
            b.finish_and_clear();
        }
    }
    Ok(agg.finish(vec![format!("scenario:{}", plans[0].plan.name)]))
}

fn emit(text: &str, out: Option<&PathBuf>) -> Result<()> {
    match out {
        Some(path) => std::fs::write(path, text).with_context(|| {
            format!(
                "cannot write {}; fix: check that its folder exists and is writable",
                path.display()
            )
        }),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                // A closed pipe (`| head`) is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("writing to standard output"),
            }
        }
    }
}

/// Run `curlab report`.
pub(crate) fn run(args: ReportArgs) -> Result<ExitCode> {
    if args.chargeback {
        return chargeback(&args);
    }
    let mut spec = spec_of(&args.sel, args.granularity)?;
    spec.cost = args.cost.metric();
    let summary = match &args.scenario {
        Some(name) => from_scenario(name, args.seed, args.scale, &args.sel, &spec)?,
        None => from_files(&args.paths, &args.sel, &spec)?,
    };
    let text = match args.format {
        ReportFormat::Table => render::table::render(&summary, args.granularity.is_some()),
        ReportFormat::Csv => render::csv::render(&summary, args.granularity.is_some()),
        ReportFormat::Json => render::json(&summary),
        ReportFormat::Html => render::html::render(&summary),
    };
    emit(&text, args.out.as_ref())?;
    Ok(ExitCode::SUCCESS)
}

/// `curlab report --chargeback`.
fn chargeback(args: &ReportArgs) -> Result<ExitCode> {
    if let Some(p) = &args.sel.period {
        if !curlab_reader::input::is_period(p) {
            bail!("--period {p} is not a billing period; write YYYY-MM, e.g. --period 2026-05");
        }
    }
    let mirrors = crate::s3::Mirrors::open(&args.paths, args.sel.period.as_deref(), &args.sel.s3)?;
    let local_err = |e: anyhow::Error| anyhow::anyhow!(mirrors.text(&format!("{e:#}")));
    let paths = expand_exports(&mirrors.paths).map_err(local_err)?;
    let export = Export::open(&paths, args.sel.period.as_deref()).map_err(local_err)?;
    let c = export.chargeback().map_err(local_err)?;
    let text = match args.format {
        ReportFormat::Table => c.table(),
        ReportFormat::Csv => c.csv(),
        ReportFormat::Json => c.json(),
        ReportFormat::Html => {
            bail!("--chargeback has no HTML form; fix: use --format table, csv or json")
        }
    };
    emit(&text, args.out.as_ref())?;
    Ok(ExitCode::SUCCESS)
}

/// Run `curlab diff`.
pub(crate) fn diff(args: DiffArgs) -> Result<ExitCode> {
    let spec = spec_of(&args.sel, None)?;
    let side = |src: &str| match src.strip_prefix("scenario:") {
        Some(name) => from_scenario(name, None, args.scale, &args.sel, &spec),
        None => from_files(&[src.to_string()], &args.sel, &spec),
    };
    let a = side(&args.a).with_context(|| format!("reading A ({})", args.a))?;
    let b = side(&args.b).with_context(|| format!("reading B ({})", args.b))?;
    let d = Diff::new(&a, &b);
    let text = match args.format {
        DiffFormat::Table => d.table(),
        DiffFormat::Csv => d.csv(),
        DiffFormat::Json => d.json(),
    };
    emit(&text, args.out.as_ref())?;
    Ok(ExitCode::SUCCESS)
}
