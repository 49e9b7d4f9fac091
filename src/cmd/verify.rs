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
    /// rules. Over several payers' exports (`<root>/cur2/<payer-id>/…`) give the folder that
    /// holds their truth files: each export is paired with its own.
    #[arg(long, value_name = "FILE|DIR")]
    pub truth: Option<PathBuf>,

    /// Policy file (TOML, see docs/policy.md) with required tags, activated keys, gateway roles,
    /// allowed principals and budgets per principal; enables the PO rules and TG007/TG008.
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
    crate::memory::tune_for_reading();
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
    let truth_is_s3 = args
        .truth
        .as_ref()
        .is_some_and(|t| s3::is_s3(&t.to_string_lossy()));
    let local_truth_dir = args
        .truth
        .as_ref()
        .filter(|t| !truth_is_s3 && t.is_dir())
        .cloned();
    let (truth, truth_mirror) = match local_truth_dir {
        Some(_) => (None, None),
        None => s3_file(args.truth.clone())?,
    };
    let (policy, policy_mirror) = s3_file(args.policy.clone())?;
    let mirrors = Mirrors::open(&args.paths, args.period.as_deref(), &args.s3)?;
    // A folder holding several exports (one per payer, `<scenario>/cur2/<payer-id>/<export>/`):
    // each export is verified on its own, against its own truth file.
    if let [only] = &mirrors.paths[..] {
        let root = std::path::Path::new(only);
        if root.is_dir() {
            let found = curlab_reader::input::find_exports(root)
                .map_err(|e| anyhow::anyhow!("{}", mirrors.text(&e.to_string())));
            match found {
                Ok(Some(exports)) => {
                    return run_several(&args, &mirrors, root, &exports, policy, truth_is_s3);
                }
                Ok(None) => {}
                Err(e) => {
                    eprintln!("{}", report::text::clean_lines(&format!("error: {e}")));
                    return Ok(ExitCode::from(2));
                }
            }
        }
    }
    if let Some(dir) = args.truth.as_ref().filter(|t| !truth_is_s3 && t.is_dir()) {
        eprintln!(
            "error: --truth {}: is a folder, and PATH is one export; fix: pass that export's <export>.truth.json (a folder is for a PATH holding several exports, one per payer)",
            dir.display()
        );
        return Ok(ExitCode::from(2));
    }
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

/// `curlab verify ROOT` where ROOT holds several exports: verify each with its own truth file
/// (`--truth DIR`: `<DIR>/<path of the export's folder>/<export>.truth.json`, the layout
/// `curlab generate` writes), report per export, and exit with the worst exit status.
fn run_several(
    args: &VerifyArgs,
    mirrors: &Mirrors,
    root: &std::path::Path,
    exports: &[PathBuf],
    policy: Option<PathBuf>,
    truth_is_s3: bool,
) -> anyhow::Result<ExitCode> {
    let rel_of = |e: &std::path::Path| {
        e.strip_prefix(root)
            .unwrap_or(e)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let listed = exports
        .iter()
        .map(|e| rel_of(e))
        .collect::<Vec<_>>()
        .join(", ");
    if matches!(args.format, OutputFormatArg::Junit | OutputFormatArg::Sarif) {
        eprintln!(
            "error: {}: holds {} exports ({listed}), and --format junit/sarif describe one; fix: verify each export folder on its own, or use --format text or json",
            args.paths[0],
            exports.len()
        );
        return Ok(ExitCode::from(2));
    }
    if truth_is_s3 {
        eprintln!(
            "error: --truth: an s3:// truth file names one export, and {} holds {} exports ({listed}); fix: download the truth files and pass their folder (--truth DIR), or verify one export at a time",
            args.paths[0],
            exports.len()
        );
        return Ok(ExitCode::from(2));
    }
    if let Some(t) = args.truth.as_ref().filter(|t| !t.is_dir()) {
        eprintln!(
            "error: --truth {}: is one file, and {} holds {} exports ({listed}); fix: pass the folder holding every export's <export>.truth.json beside its export folder (what `curlab generate` writes), e.g. --truth {}",
            t.display(),
            args.paths[0],
            exports.len(),
            args.paths[0]
        );
        return Ok(ExitCode::from(2));
    }
    let mut worst = 0u8;
    let mut text = String::new();
    let mut docs = Vec::new();
    let mut failed = 0usize;
    for export in exports {
        let rel = rel_of(export);
        let truth = match &args.truth {
            Some(dir) => {
                let name = export
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let parent = std::path::Path::new(&rel)
                    .parent()
                    .map(PathBuf::from)
                    .unwrap_or_default();
                let t = dir.join(parent).join(format!("{name}.truth.json"));
                if !t.is_file() {
                    eprintln!(
                        "error: --truth {}: no truth file {} for the export {rel}; fix: pass the folder `curlab generate` wrote (the truth file sits beside each export folder)",
                        dir.display(),
                        t.display()
                    );
                    return Ok(ExitCode::from(2));
                }
                Some(t)
            }
            None => None,
        };
        let opts = VerifyOptions {
            paths: vec![export.to_string_lossy().into_owned()],
            truth: truth.clone(),
            policy: policy.clone(),
            period: args.period.clone(),
            select: args.select.clone(),
            ignore: args.ignore.clone(),
            threads: args.threads,
            max_samples: args.max_samples,
        };
        let mut report = match verify(&opts) {
            Ok(r) => r,
            Err(
                e @ (VerifyError::Input { .. } | VerifyError::Read { .. } | VerifyError::Usage(_)),
            ) => {
                let t = mirrors.text(&e.to_string());
                eprintln!(
                    "{}",
                    report::text::clean_lines(&format!("error: {rel}: {t}"))
                );
                return Ok(ExitCode::from(2));
            }
        };
        let shown = |f: &str| mirrors.display(&format!("{rel}/{f}"));
        for f in &mut report.files {
            *f = shown(f);
        }
        for finding in &mut report.findings {
            for s in &mut finding.samples {
                if let Some(f) = &mut s.file {
                    *f = shown(f);
                }
            }
        }
        for n in &mut report.notes {
            *n = mirrors.note(&format!("{rel}/{n}"));
        }
        let code = report.exit_code(args.strict);
        if code != 0 {
            failed += 1;
        }
        worst = worst.max(code);
        let shown_export = mirrors.display(&rel);
        match args.format {
            OutputFormatArg::Json => {
                let value = report::json::to_value(&report);
                docs.push(serde_json::json!({
                    "export": shown_export,
                    "truth": truth.map(|t| t.display().to_string()),
                    "exit_code": code,
                    "report": value,
                }));
            }
            _ => {
                text.push_str(&format!("== export {shown_export} ==\n"));
                text.push_str(&report::render(&report, report::OutputFormat::Text));
                text.push('\n');
            }
        }
    }
    let out = match args.format {
        OutputFormatArg::Json => {
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "exports": docs,
                "exit_code": worst,
            }))?;
            s.push('\n');
            s
        }
        _ => {
            text.push_str(&format!(
                "{} exports: {} passed, {failed} failed\n",
                exports.len(),
                exports.len() - failed
            ));
            text
        }
    };
    print(&out)?;
    Ok(ExitCode::from(worst))
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
