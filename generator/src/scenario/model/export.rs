//! `[export]`: the Data Exports configuration (granularity, format, delivery, table options).

use serde::Deserialize;

use curlab_vocab::Granularity;

use super::common::yes;

/// Output format of the data files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// `.snappy.parquet`
    Parquet,
    /// `.csv.gz`
    Csv,
}

impl ExportFormat {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Csv => "csv",
        }
    }
}

/// `S3OutputConfigurations.Overwrite`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// `OVERWRITE_REPORT`: files replaced in place.
    Overwrite,
    /// `CREATE_NEW_REPORT`: each refresh in its own execution folder.
    CreateNew,
}

/// `[export]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// Export name (folder and file prefix). Defaults to the scenario name.
    #[serde(default)]
    pub name: Option<String>,
    /// Billing periods as `YYYY-MM`.
    pub billing_periods: Vec<String>,
    /// `TIME_GRANULARITY`.
    #[serde(default = "hourly")]
    pub time_granularity: Granularity,
    /// `INCLUDE_RESOURCES`.
    #[serde(default = "yes")]
    pub include_resources: bool,
    /// `INCLUDE_IAM_PRINCIPAL_DATA`.
    #[serde(default = "yes")]
    pub include_iam_principal_data: bool,
    /// The day `INCLUDE_IAM_PRINCIPAL_DATA` was switched on (`YYYY-MM-DD`); principal data
    /// starts at the later of this and 2026-04-08. Absent: on from the start.
    #[serde(default)]
    pub iam_principal_data_enabled_on: Option<String>,
    /// `INCLUDE_SPLIT_COST_ALLOCATION_DATA`.
    #[serde(default)]
    pub include_split_cost_allocation_data: bool,
    /// `INCLUDE_CAPACITY_RESERVATION_DATA`.
    #[serde(default)]
    pub include_capacity_reservation_data: bool,
    /// `INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY`.
    #[serde(default)]
    pub include_manual_discount_compatibility: bool,
    /// Write the older 113-column base set (no `tags`, no `line_item_user_identifier`).
    #[serde(default)]
    pub legacy_113_columns: bool,
    /// `parquet` or `csv`.
    #[serde(default = "parquet")]
    pub format: ExportFormat,
    /// `overwrite` or `create-new`.
    #[serde(default = "overwrite")]
    pub delivery: Delivery,
    /// S3 bucket named in the manifest's `dataFiles`.
    #[serde(default = "default_bucket")]
    pub s3_bucket: String,
    /// S3 prefix named in the manifest's `dataFiles`.
    #[serde(default = "default_prefix")]
    pub s3_prefix: String,
    /// Whether the months are invoiced (fills `bill_invoice_id`).
    #[serde(default)]
    pub invoice_finalized: bool,
    /// Rows per data file before a new numbered file starts.
    #[serde(default = "default_rows_per_file")]
    pub max_rows_per_file: u64,
}

fn hourly() -> Granularity {
    Granularity::Hourly
}
fn parquet() -> ExportFormat {
    ExportFormat::Parquet
}
fn overwrite() -> Delivery {
    Delivery::Overwrite
}
fn default_bucket() -> String {
    "curlab-cur-exports".into()
}
fn default_prefix() -> String {
    "cur2".into()
}
fn default_rows_per_file() -> u64 {
    5_000_000
}
