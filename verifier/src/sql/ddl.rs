//! `curlab ddl`: the table definition for an export in the Data Exports layout
//! (`<location>/data/BILLING_PERIOD=YYYY-MM/*.parquet`), with all 131 CUR 2.0 columns in AWS
//! order and the billing period as a partition column `billing_period`.
//!
//! - Athena: an external Parquet table with partition projection on `billing_period`
//!   (`yyyy-MM`, monthly, from 2020-01 to now), so no `MSCK REPAIR` or crawler is needed.
//! - Spark: a partitioned Parquet table `<table>_files`, then `MSCK REPAIR TABLE` to register
//!   the periods (Spark matches the `BILLING_PERIOD=` folders to the column
//!   case-insensitively), and the view `<table>` over it.
//! - DuckDB: a view over `read_parquet(..., hive_partitioning = true)` that lists every column
//!   with its type (columns a file lacks read as NULL, as in Athena and Spark) and turns the
//!   timestamps into UTC `TIMESTAMP`s, as Athena shows them.
//!
//! The Spark and DuckDB views read each billing period from its latest execution folder only
//! (the greatest folder name: it starts with the delivery time), so a create-new export with
//! a restated month counts it once. The Athena table reads every folder of a period; for a
//! create-new export, docs/sql.md gives the view over `"$path"`.

use curlab_vocab::columns::{ColumnType, ALL_COLUMNS};

use super::{check_table_name, Dialect};
use crate::error::VerifyError;

/// First billing period the Athena partition projection covers: CUR 2.0 (Data Exports, November
/// 2023) backfills at most 36 months, so no export has an earlier period.
pub const PROJECTION_FROM: &str = "2020-01";

fn athena_type(t: ColumnType) -> &'static str {
    t.athena_name()
}

fn spark_type(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Str => "STRING",
        ColumnType::Double => "DOUBLE",
        ColumnType::Timestamp => "TIMESTAMP",
        ColumnType::MapStr => "MAP<STRING, STRING>",
        ColumnType::MapDouble => "MAP<STRING, DOUBLE>",
    }
}

fn duckdb_type(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Str => "VARCHAR",
        ColumnType::Double => "DOUBLE",
        ColumnType::Timestamp => "TIMESTAMP",
        ColumnType::MapStr => "MAP(VARCHAR, VARCHAR)",
        ColumnType::MapDouble => "MAP(VARCHAR, DOUBLE)",
    }
}

/// The export folder as given, without trailing slashes, checked for the dialect.
fn export_root(d: Dialect, location: &str) -> Result<String, VerifyError> {
    let root = location.trim_end_matches('/');
    if root.is_empty() {
        return Err(VerifyError::Usage(
            "--location is empty; fix: give the export folder, e.g. s3://bucket/prefix/my-export"
                .into(),
        ));
    }
    if root.contains('\'') || root.chars().any(char::is_control) {
        return Err(VerifyError::Usage(format!(
            "--location `{location}` contains a quote or control character; fix: give a plain URI or path"
        )));
    }
    if d == Dialect::Athena && !root.starts_with("s3://") {
        return Err(VerifyError::Usage(format!(
            "--location `{location}`: Athena reads tables from S3; fix: give the export folder as s3://bucket/prefix/<export>"
        )));
    }
    if root.ends_with("/data") || root.contains("BILLING_PERIOD=") {
        return Err(VerifyError::Usage(format!(
            "--location `{location}` points inside the export; fix: give the export folder itself (the one holding data/ and metadata/)"
        )));
    }
    Ok(root.to_string())
}

/// The table definition for `dialect`.
pub fn ddl(d: Dialect, location: &str, table: &str) -> Result<String, VerifyError> {
    check_table_name(table)?;
    if d == Dialect::Trino {
        return Err(VerifyError::Usage(
            "there is no Trino table definition: Trino's Hive connector takes its own CREATE TABLE properties; fix: use --dialect athena, spark or duckdb".into(),
        ));
    }
    let root = export_root(d, location)?;
    let data = format!("{root}/data/");
    let header = format!(
        "-- curlab ddl --dialect {}: the CUR 2.0 table ({} columns, AWS order) of the export at {root},\n-- partitioned by billing_period (the data/BILLING_PERIOD=YYYY-MM/ folders). Then: curlab sql --dialect {} --table {table}\n",
        d.as_str(),
        ALL_COLUMNS.len(),
        d.as_str(),
    );
    Ok(match d {
        Dialect::Athena => athena(&header, &data, table),
        Dialect::Trino => unreachable!("refused above"),
        Dialect::Spark => spark(&header, &data, table),
        Dialect::DuckDb => duckdb(&header, &data, table),
    })
}

fn athena(header: &str, data: &str, table: &str) -> String {
    let cols: Vec<String> = ALL_COLUMNS
        .iter()
        .map(|c| format!("  `{}` {}", c.name, athena_type(c.ty)))
        .collect();
    let name = table
        .split('.')
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(".");
    format!(
        "{header}CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n{}\n)\nPARTITIONED BY (`billing_period` string)\nSTORED AS PARQUET\nLOCATION '{data}'\nTBLPROPERTIES (\n  'projection.enabled' = 'true',\n  'projection.billing_period.type' = 'date',\n  'projection.billing_period.format' = 'yyyy-MM',\n  'projection.billing_period.range' = '{PROJECTION_FROM},NOW',\n  'projection.billing_period.interval' = '1',\n  'projection.billing_period.interval.unit' = 'MONTHS',\n  'storage.location.template' = '{data}BILLING_PERIOD=${{billing_period}}/'\n);\n",
        cols.join(",\n")
    )
}

fn spark(header: &str, data: &str, table: &str) -> String {
    let d = Dialect::Spark;
    let cols: Vec<String> = ALL_COLUMNS
        .iter()
        .map(|c| format!("  {} {}", d.ident(c.name), spark_type(c.ty)))
        .chain(std::iter::once("  `billing_period` STRING".to_string()))
        .collect();
    let names: Vec<String> = ALL_COLUMNS
        .iter()
        .map(|c| format!("  {}", d.ident(c.name)))
        .chain(std::iter::once("  `billing_period`".to_string()))
        .collect();
    let files = format!("{table}_files");
    format!(
        "{header}CREATE TABLE IF NOT EXISTS {files_id} (\n{}\n)\nUSING PARQUET\nPARTITIONED BY (`billing_period`)\nLOCATION {loc};\n-- Register the billing periods present (run again after a new month appears).\nMSCK REPAIR TABLE {files_id};\n-- {LATEST_NOTE}\nCREATE OR REPLACE VIEW {name} AS\nSELECT\n{}\nFROM (\n  SELECT *, max(`execution_`) OVER (PARTITION BY `billing_period`) AS `latest_`\n  FROM (SELECT *, regexp_extract(input_file_name(), {re}, 1) AS `execution_` FROM {files_id}) a\n) b\nWHERE `execution_` = `latest_`;\n",
        cols.join(",\n"),
        names.join(",\n"),
        name = d.ident(table),
        files_id = d.ident(&files),
        loc = d.lit(data),
        re = d.lit(EXECUTION_RE),
    )
}

/// The execution folder of a data file's path (empty for a file directly in its
/// `BILLING_PERIOD=` folder, as in overwrite delivery).
const EXECUTION_RE: &str = "BILLING_PERIOD=[^/]+/([^/]+)/[^/]+$";

/// Why the Spark and DuckDB definitions keep one execution folder per period.
const LATEST_NOTE: &str = "Each billing period from its latest execution folder only (create-new delivery keeps every refresh, and a month restated after it closed is delivered twice, and folder names start with the delivery time): docs/export-format.md, \"Restated months\".";

fn duckdb(header: &str, data: &str, table: &str) -> String {
    let d = Dialect::DuckDb;
    // An empty relation with every column and its type: UNION ALL BY NAME fills the columns a
    // file lacks with NULL instead of failing, as Athena and Spark do.
    let typed: Vec<String> = ALL_COLUMNS
        .iter()
        .map(|c| format!("CAST(NULL AS {}) AS {}", duckdb_type(c.ty), d.ident(c.name)))
        .collect();
    let select: Vec<String> = ALL_COLUMNS
        .iter()
        .map(|c| {
            let col = d.ident(c.name);
            match c.ty {
                // An instant as a UTC wall-clock TIMESTAMP, whatever the session time zone.
                ColumnType::Timestamp => format!("  make_timestamp(epoch_us({col})) AS {col}"),
                t => format!("  CAST({col} AS {}) AS {col}", duckdb_type(t)),
            }
        })
        .chain(std::iter::once(
            "  CAST(\"BILLING_PERIOD\" AS VARCHAR) AS \"billing_period\"".to_string(),
        ))
        .collect();
    format!(
        "{header}-- {LATEST_NOTE}\nCREATE OR REPLACE VIEW {name} AS\nSELECT\n{}\nFROM (\n  SELECT *, max(execution_) OVER (PARTITION BY \"BILLING_PERIOD\") AS latest_\n  FROM (\n    SELECT *, regexp_extract(filename, {re}, 1) AS execution_\n    FROM (\n      SELECT {}, CAST(NULL AS VARCHAR) AS \"BILLING_PERIOD\", CAST(NULL AS VARCHAR) AS filename WHERE 1 = 0\n      UNION ALL BY NAME\n      SELECT * FROM read_parquet({glob}, hive_partitioning = true, hive_types = {{'BILLING_PERIOD': VARCHAR}}, union_by_name = true, filename = true)\n    )\n  )\n)\nWHERE execution_ = latest_;\n",
        select.join(",\n"),
        typed.join(", "),
        name = d.ident(table),
        glob = d.lit(&format!("{data}BILLING_PERIOD=*/**/*.parquet")),
        re = d.lit(EXECUTION_RE),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_once_with_the_partition() {
        for d in [Dialect::Athena, Dialect::Spark, Dialect::DuckDb] {
            let sql = ddl(d, "s3://b/p/exp/", "cur2").unwrap();
            for c in ALL_COLUMNS {
                assert!(sql.contains(c.name), "{d:?} lacks {}", c.name);
            }
            assert!(sql.contains("s3://b/p/exp/data/"), "{d:?}");
            assert!(sql.to_lowercase().contains("billing_period"), "{d:?}");
        }
        let athena = ddl(Dialect::Athena, "s3://b/p/exp", "cur2").unwrap();
        assert!(athena.contains(
            "'storage.location.template' = 's3://b/p/exp/data/BILLING_PERIOD=${billing_period}/'"
        ));
        assert!(athena.contains("`tags` map<string,string>"));
    }

    #[test]
    fn bad_locations_are_refused_with_a_fix() {
        for (d, loc) in [
            (Dialect::Athena, "/local/exp"),
            (Dialect::Spark, "s3://b/exp/data/"),
            (Dialect::DuckDb, "x/data/BILLING_PERIOD=2026-04"),
            (Dialect::Spark, "s3://b/it's"),
            (Dialect::DuckDb, ""),
        ] {
            let e = ddl(d, loc, "cur2").unwrap_err().to_string();
            assert!(e.contains("fix:"), "{e}");
        }
        assert!(ddl(Dialect::Spark, "s3://b/exp", "bad name").is_err());
    }
}
