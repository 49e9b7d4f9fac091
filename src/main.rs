//! `curlab`: generate realistic CUR 2.0 exports for Amazon Bedrock cost attribution, and verify
//! any CUR 2.0 export against the attribution and tag-propagation rules.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod export;
mod memory;
mod s3;
mod shipped;
mod signal;

/// The local lab for Amazon Bedrock cost attribution in CUR 2.0.
#[derive(Debug, Parser)]
#[command(name = "curlab", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Turn a scenario file into a CUR 2.0 export plus a ground-truth file.
    Generate(cmd::generate::GenerateArgs),
    /// List the shipped scenarios.
    Scenarios,
    /// List the faults `generate --inject` can plant.
    Faults,
    /// Check a CUR 2.0 export against the attribution and tag rules.
    Verify(cmd::verify::VerifyArgs),
    /// List every verifier rule.
    Rules,
    /// Print the documentation of one rule.
    Explain {
        /// Rule code, e.g. PR001.
        code: String,
    },
    /// Chargeback report of Bedrock spend by principal, role, tag, model...; tag coverage.
    Report(cmd::report::ReportArgs),
    /// Compare two exports of the same workload under different attribution strategies.
    Diff(cmd::report::DiffArgs),
    /// Print the rules as one SQL query for Athena/Trino, Spark or DuckDB.
    Sql(cmd::sql::SqlArgs),
    /// Print the table definition of an export for Athena, Spark or DuckDB.
    Ddl(cmd::sql::DdlArgs),
    /// Scenario tools: `from-export` writes a synthetic twin of an export.
    #[command(subcommand)]
    Scenario(cmd::scenario::ScenarioCmd),
}

fn main() -> ExitCode {
    memory::tune_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => cmd::generate::run(args),
        Command::Scenarios => cmd::generate::list_scenarios(),
        Command::Faults => cmd::generate::list_faults(),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Rules => cmd::verify::list_rules(),
        Command::Explain { code } => cmd::verify::explain(&code),
        Command::Report(args) => cmd::report::run(args),
        Command::Diff(args) => cmd::report::diff(args),
        Command::Sql(args) => cmd::sql::run(args),
        Command::Ddl(args) => cmd::sql::ddl(args),
        Command::Scenario(c) => cmd::scenario::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.chain().any(|c| c.is::<signal::Interrupted>()) => {
            eprintln!(
                "{}",
                curlab_reader::clean::clean_lines(&format!("curlab: {e:#}"))
            );
            ExitCode::from(signal::EXIT_CODE)
        }
        Err(e) => {
            eprintln!(
                "{}",
                curlab_reader::clean::clean_lines(&format!("error: {e:#}"))
            );
            ExitCode::from(2)
        }
    }
}
