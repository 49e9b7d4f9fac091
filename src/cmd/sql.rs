//! `curlab sql` and `curlab ddl`: take the rules to Athena/Trino, Spark or DuckDB.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use curlab_verifier::sql::{self, Dialect, SqlOptions};
use curlab_verifier::VerifyError;

/// A dialect `curlab sql` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SqlDialect {
    /// Amazon Athena (engine v3).
    Athena,
    /// Trino.
    Trino,
    /// Apache Spark SQL.
    Spark,
    /// DuckDB.
    Duckdb,
}

/// A dialect `curlab ddl` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DdlDialect {
    /// Athena external table with partition projection.
    Athena,
    /// Spark partitioned Parquet table.
    Spark,
    /// DuckDB view over read_parquet.
    Duckdb,
}

impl From<SqlDialect> for Dialect {
    fn from(d: SqlDialect) -> Self {
        match d {
            SqlDialect::Athena => Dialect::Athena,
            SqlDialect::Trino => Dialect::Trino,
            SqlDialect::Spark => Dialect::Spark,
            SqlDialect::Duckdb => Dialect::DuckDb,
        }
    }
}

impl From<DdlDialect> for Dialect {
    fn from(d: DdlDialect) -> Self {
        match d {
            DdlDialect::Athena => Dialect::Athena,
            DdlDialect::Spark => Dialect::Spark,
            DdlDialect::Duckdb => Dialect::DuckDb,
        }
    }
}

/// Arguments of `curlab sql`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The query returns one row per rule: code, violations (the count `curlab verify` \
reports; NULL when skipped, with the reason in sample) and sample (up to five offending rows).\n\
Create the table first with `curlab ddl`. Rules without SQL are listed in the query's header; \
see docs/sql.md."
)]
pub(crate) struct SqlArgs {
    /// SQL dialect.
    #[arg(long, value_enum)]
    pub dialect: SqlDialect,

    /// Table holding the export (as created by `curlab ddl`); db.table allowed.
    #[arg(long, value_name = "NAME", default_value = "cur2")]
    pub table: String,

    /// Only these rules: comma-separated codes or prefixes (PR001,TG or ALL).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Leave out these rules: comma-separated codes or prefixes.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Ground-truth file (<export>.truth.json): adds the rules that need it, with its values
    /// inlined into the query.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,

    /// Policy file: activated tag keys for TG007/TG008 (the PO rules run natively only).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Only the reconciliation totals (RC rules) against --truth.
    #[arg(long, requires = "truth")]
    pub reconcile: bool,
}

/// Arguments of `curlab ddl`.
#[derive(Debug, clap::Args)]
pub(crate) struct DdlArgs {
    /// SQL dialect.
    #[arg(long, value_enum)]
    pub dialect: DdlDialect,

    /// The export folder (holding data/ and metadata/), e.g. s3://bucket/prefix/my-export.
    #[arg(long, value_name = "URI")]
    pub location: String,

    /// Table (or view) name; db.table allowed.
    #[arg(long, value_name = "NAME", default_value = "cur2")]
    pub table: String,
}

fn print(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn finish(result: Result<String, VerifyError>) -> anyhow::Result<ExitCode> {
    match result {
        Ok(text) => {
            print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// Run `curlab sql`.
pub(crate) fn run(args: SqlArgs) -> anyhow::Result<ExitCode> {
    finish(sql::rule_set(&SqlOptions {
        dialect: args.dialect.into(),
        table: args.table,
        select: args.select,
        ignore: args.ignore,
        truth: args.truth,
        policy: args.policy,
        reconcile: args.reconcile,
    }))
}

/// Run `curlab ddl`.
pub(crate) fn ddl(args: DdlArgs) -> anyhow::Result<ExitCode> {
    finish(sql::ddl::ddl(
        args.dialect.into(),
        &args.location,
        &args.table,
    ))
}
