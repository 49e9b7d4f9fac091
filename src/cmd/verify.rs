//! `curlab verify`, `curlab rules`, `curlab explain`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use curlab_verifier::report;
use curlab_verifier::{registry, verify, VerifyError, VerifyOptions};

use crate::s3::{self, Mirror, Mirrors};

/// Output format of `curlab verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormatArg {
    /// Human-readable findings with sample rows, then a summary line.
    Text,
    /// The stable JSON document described in docs/verify-output.md.
    Json,
    /// JUnit XML: one test case per rule; skipped rules are <skipped/>.
    Junit,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
    Sarif,
}

/// Arguments of `curlab verify`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 no errors (warnings allowed unless --strict), 1 errors found, \
2 the input could not be read or the command line is wrong.\n\
List the rules with `curlab rules`; read one with `curlab explain CODE`."
)]
pub(crate) struct VerifyArgs {
    /// Export folder in the Data Exports layout (<export>/data/BILLING_PERIOD=YYYY-MM/...), a
    /// folder holding one export, Parquet / CSV / CSV.gz files, or quoted globs. The format is
    /// detected from the file contents. An s3://BUCKET/PREFIX URI (an export, the prefix
    /// holding one, or one object) is read from S3 (docs/s3.md).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Ground-truth file written by `curlab generate` (<export>.truth.json); enables the
    /// reconciliation (RC), activation (TG007, TG008), session-tag (TG009) and gateway (GW001)
    /// rules.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,

    /// Policy file (TOML, see docs/policy.md) with required tags, activated keys, gateway roles
    /// and allowed principals; enables the PO rules and TG007/TG008.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Only verify this billing period of an export folder (YYYY-MM).
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormatArg::Text)]
    pub format: OutputFormatArg,

    /// Only run these rules: comma-separated codes or prefixes (PR001,TG or ALL).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not run these rules: comma-separated codes or prefixes (e.g. GW002,CT004).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,

    /// Worker threads for reading files and row groups (default: one per core). Results are
    /// identical for any value.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Sample rows kept per finding.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_samples: usize,

    #[command(flatten)]
    pub s3: crate::s3::S3Args,
}

fn print(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Run `curlab verify`.
pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    // s3:// arguments are copied to a local mirror first; displays then name the URIs.
    let s3_file = |p: Option<PathBuf>| -> anyhow::Result<(Option<PathBuf>, Option<Mirror>)> {
        match p {
            Some(p) if s3::is_s3(&p.to_string_lossy()) => {
                let m = s3::fetch_file(&p.to_string_lossy(), &args.s3)?;
                Ok((Some(m.local.clone()), Some(m)))
            }
            other => Ok((other, None)),
        }
    };
    let (truth, truth_mirror) = s3_file(args.truth)?;
    let (policy, policy_mirror) = s3_file(args.policy)?;
    let mirrors = Mirrors::open(&args.paths, args.period.as_deref(), &args.s3)?;
    let opts = VerifyOptions {
        paths: mirrors.paths.clone(),
        truth,
        policy,
        period: args.period,
        select: args.select,
        ignore: args.ignore,
        threads: args.threads,
        max_samples: args.max_samples,
    };
    let mut report = match verify(&opts) {
        Ok(r) => r,
        Err(e @ (VerifyError::Input { .. } | VerifyError::Read { .. } | VerifyError::Usage(_))) => {
            let text = [&truth_mirror, &policy_mirror]
                .into_iter()
                .flatten()
                .fold(mirrors.text(&e.to_string()), |t, m| m.text(&t));
            eprintln!("{}", report::text::clean_lines(&format!("error: {text}")));
            return Ok(ExitCode::from(2));
        }
    };
    if !mirrors.mirrors.is_empty() {
        for f in &mut report.files {
            *f = mirrors.display(f);
        }
        for finding in &mut report.findings {
            for s in &mut finding.samples {
                if let Some(f) = &mut s.file {
                    *f = mirrors.display(f);
                }
            }
        }
        for n in &mut report.notes {
            *n = mirrors.note(n);
        }
    }
    let format = match args.format {
        OutputFormatArg::Text => report::OutputFormat::Text,
        OutputFormatArg::Json => report::OutputFormat::Json,
        OutputFormatArg::Junit => report::OutputFormat::Junit,
        OutputFormatArg::Sarif => report::OutputFormat::Sarif,
    };
    print(&report::render(&report, format))?;
    Ok(ExitCode::from(report.exit_code(args.strict)))
}

/// Run `curlab rules`.
pub(crate) fn list_rules() -> anyhow::Result<ExitCode> {
    print(&registry::render_table())?;
    Ok(ExitCode::SUCCESS)
}

/// Run `curlab explain CODE`.
pub(crate) fn explain(code: &str) -> anyhow::Result<ExitCode> {
    match registry::find(code) {
        Some(rule) => {
            print(&registry::render_explain(rule.meta()))?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!(
                "error: unknown rule code `{code}`; fix: run `curlab rules` to list the codes"
            );
            Ok(ExitCode::from(2))
        }
    }
}
