//! The AWS Data Exports layout, in one place and without IO: folder and file names, the
//! create-new execution folder, the manifest's path and JSON shape.
//!
//! ```text
//! <export>/data/BILLING_PERIOD=YYYY-MM/[<execution>/]<export>-00001.snappy.parquet | .csv.gz
//! <export>/metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json
//! ```
//!
//! The writer builds paths with these functions, the reader's discovery and the S3 download
//! parse them back with the same functions, so the three cannot drift apart.

use serde::{Deserialize, Serialize};

/// The folder holding the data files, under the export folder.
pub const DATA_DIR: &str = "data";
/// The folder holding the manifests, under the export folder.
pub const METADATA_DIR: &str = "metadata";
/// Prefix of a billing-period partition folder (uppercase, as CUR 2.0 writes it).
pub const PERIOD_PREFIX: &str = "BILLING_PERIOD=";
/// Suffix every manifest file name ends with.
pub const MANIFEST_SUFFIX: &str = "Manifest.json";

/// True for a billing period label `YYYY-MM` (month 01 to 12).
pub fn is_period(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(
            &s[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        )
}

/// `BILLING_PERIOD=<period>`: the partition folder name of a billing period.
pub fn period_folder(period: &str) -> String {
    format!("{PERIOD_PREFIX}{period}")
}

/// The text after `BILLING_PERIOD=` in a folder name, checked or not (see [`is_period`]).
pub fn parse_period_folder(name: &str) -> Option<&str> {
    name.strip_prefix(PERIOD_PREFIX)
}

/// `<export>/data/BILLING_PERIOD=<period>`: where a period's data files (or, in create-new
/// delivery, its execution folders) are.
pub fn data_period_dir(export: &str, period: &str) -> String {
    format!("{export}/{DATA_DIR}/{PERIOD_PREFIX}{period}")
}

/// `<export>/metadata/BILLING_PERIOD=<period>`: where a period's manifest is.
pub fn metadata_period_dir(export: &str, period: &str) -> String {
    format!("{export}/{METADATA_DIR}/{PERIOD_PREFIX}{period}")
}

/// `<export>-Manifest.json`.
pub fn manifest_file_name(export: &str) -> String {
    format!("{export}-{MANIFEST_SUFFIX}")
}

/// `<export>/metadata/BILLING_PERIOD=<period>/<export>-Manifest.json`.
pub fn manifest_path(export: &str, period: &str) -> String {
    format!(
        "{}/{}",
        metadata_period_dir(export, period),
        manifest_file_name(export)
    )
}

/// True for a file name the readers take as a manifest (`*Manifest.json`).
pub fn is_manifest_name(name: &str) -> bool {
    name.ends_with(MANIFEST_SUFFIX)
}

/// The encoding of a data file, as its name tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `.snappy.parquet`.
    Parquet,
    /// `.csv.gz`.
    CsvGz,
}

impl Encoding {
    /// The file name extension Data Exports gives this encoding (without the leading dot).
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::Parquet => "snappy.parquet",
            Encoding::CsvGz => "csv.gz",
        }
    }
}

/// `<export>-<n, 5 digits>.<extension>`: the `n`-th data file (1-based) of a period.
pub fn data_file_name(export: &str, n: usize, encoding: Encoding) -> String {
    format!("{export}-{n:05}.{}", encoding.extension())
}

/// The number and encoding of a data file name written by [`data_file_name`] for `export`.
pub fn parse_data_file_name(name: &str, export: &str) -> Option<(usize, Encoding)> {
    let rest = name.strip_prefix(export)?.strip_prefix('-')?;
    let (n, encoding) = if let Some(n) = rest.strip_suffix(".snappy.parquet") {
        (n, Encoding::Parquet)
    } else {
        (rest.strip_suffix(".csv.gz")?, Encoding::CsvGz)
    };
    if n.len() < 5 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((n.parse().ok()?, encoding))
}

/// True for a file name the readers take as data: `.parquet`, `.csv` or `.csv.gz` (wider than
/// what Data Exports writes, so renamed or hand-made files are read too).
pub fn is_data_file_name(name: &str) -> bool {
    name.ends_with(".parquet") || name.ends_with(".csv") || name.ends_with(".csv.gz")
}

/// The create-new execution folder name `<ISO-8601 UTC, milliseconds>Z-<execution id>`;
/// `at` is `None` when the time is out of range (the name then starts with `-`).
pub fn execution_folder(at: Option<chrono::DateTime<chrono::Utc>>, execution_id: &str) -> String {
    let t = at
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default();
    format!("{t}-{execution_id}")
}

/// The two top folders of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `data/`.
    Data,
    /// `metadata/`.
    Metadata,
}

impl Area {
    /// The folder name.
    pub fn dir(self) -> &'static str {
        match self {
            Area::Data => DATA_DIR,
            Area::Metadata => METADATA_DIR,
        }
    }
}

/// A path or object key split at its `<area>/BILLING_PERIOD=` folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located<'a> {
    /// Everything before `<area>/` without the trailing `/` (the export folder; may be empty).
    pub root: &'a str,
    /// The text after `BILLING_PERIOD=` (not checked, see [`is_period`]).
    pub period: &'a str,
    /// The rest after the period folder: `<file>` or `<execution>/<file>` (or deeper).
    pub rest: &'a str,
}

/// Split `<root>/<area>/BILLING_PERIOD=<period>/<rest>` (or a key starting at `<area>/`).
pub fn locate(key: &str, area: Area) -> Option<Located<'_>> {
    let marker = format!("{}/{PERIOD_PREFIX}", area.dir());
    let at = if key.starts_with(&marker) {
        0
    } else {
        key.find(&format!("/{marker}"))? + 1
    };
    let root = key[..at].trim_end_matches('/');
    let after = &key[at + marker.len()..];
    let (period, rest) = after.split_once('/')?;
    Some(Located { root, period, rest })
}

/// `s3://bucket/prefix/<export>/data/BILLING_PERIOD=.../f` → `data/BILLING_PERIOD=.../f`: a
/// manifest's data file URI relative to the export folder (unchanged if it is not in the
/// layout).
pub fn data_relative(uri: &str, export: &str) -> String {
    let marker = format!("{export}/{DATA_DIR}/");
    if let Some(i) = uri.find(&marker) {
        return uri[i + export.len() + 1..].to_string();
    }
    if let Some(i) = uri.find(&format!("/{DATA_DIR}/{PERIOD_PREFIX}")) {
        return uri[i + 1..].to_string();
    }
    uri.to_string()
}

/// `s3://<bucket>/[<prefix>/]<key>`: the URI a manifest lists for a data file.
pub fn s3_uri(bucket: &str, prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        format!("s3://{bucket}/{key}")
    } else {
        format!("s3://{bucket}/{prefix}/{key}")
    }
}

/// A manifest as curlab writes it. Fields are in alphabetical order, as they are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// Files for the Athena/Redshift integrations (curlab writes none).
    #[serde(rename = "additionalOutputFiles")]
    pub additional_output_files: Vec<String>,
    /// Every column of the export, in the files' order.
    pub columns: Vec<ManifestColumn>,
    /// `s3://` URIs of the period's data files.
    #[serde(rename = "dataFiles")]
    pub data_files: Vec<String>,
    /// UUID of the refresh.
    #[serde(rename = "executionId")]
    pub execution_id: String,
    /// ARN of the export.
    #[serde(rename = "exportArn")]
    pub export_arn: String,
}

/// One column of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestColumn {
    /// Column name.
    pub name: String,
    /// Manifest type name (`string`, `double`, `timestamp`, `map<string,string>` …).
    #[serde(rename = "type", default)]
    pub ty: String,
}

/// What the readers take from any manifest (AWS's may hold more, which is ignored): its
/// columns and data files. Missing fields read as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ManifestListing {
    /// The manifest's columns.
    #[serde(default)]
    pub columns: Vec<ManifestColumn>,
    /// The manifest's data file URIs.
    #[serde(default, rename = "dataFiles")]
    pub data_files: Vec<String>,
}

/// The folder part of a `data/...` path (`data/BILLING_PERIOD=P` or its execution folder).
pub fn parent_dir(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(dir, _)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert!(is_period("2026-04"));
        assert!(!is_period("2026-13"));
        assert!(!is_period("2026-4"));
        assert!(!is_period("202a-04"));
        assert_eq!(
            parse_period_folder(&period_folder("2026-04")),
            Some("2026-04")
        );
        assert_eq!(parse_period_folder("billing_period=2026-04"), None);
    }

    #[test]
    fn data_file_names_round_trip() {
        for enc in [Encoding::Parquet, Encoding::CsvGz] {
            let name = data_file_name("exp", 7, enc);
            assert!(is_data_file_name(&name));
            assert_eq!(parse_data_file_name(&name, "exp"), Some((7, enc)));
        }
        assert_eq!(
            data_file_name("e", 1, Encoding::Parquet),
            "e-00001.snappy.parquet"
        );
        assert_eq!(
            data_file_name("e", 123_456, Encoding::CsvGz),
            "e-123456.csv.gz"
        );
        assert_eq!(parse_data_file_name("e-1.csv.gz", "e"), None);
        assert_eq!(parse_data_file_name("f-00001.csv.gz", "e"), None);
        assert!(!is_data_file_name("e-Manifest.json"));
    }

    #[test]
    fn locate_splits_keys() {
        let key = format!(
            "p/{}/{}/{}",
            data_period_dir("exp", "2026-04"),
            execution_folder(
                chrono::DateTime::from_timestamp(1_777_593_600, 356_000_000),
                "id"
            ),
            data_file_name("exp", 1, Encoding::Parquet)
        );
        assert_eq!(
            key,
            "p/exp/data/BILLING_PERIOD=2026-04/2026-05-01T00:00:00.356Z-id/exp-00001.snappy.parquet"
        );
        let l = locate(&key, Area::Data).unwrap();
        assert_eq!(l.root, "p/exp");
        assert_eq!(l.period, "2026-04");
        assert_eq!(
            l.rest,
            "2026-05-01T00:00:00.356Z-id/exp-00001.snappy.parquet"
        );
        assert_eq!(locate(&key, Area::Metadata), None);
        let manifest = manifest_path("exp", "2026-04");
        let m = locate(&manifest, Area::Metadata).unwrap();
        assert_eq!(
            (m.root, m.period, m.rest),
            ("exp", "2026-04", "exp-Manifest.json")
        );
        assert!(is_manifest_name(m.rest));
        let top = locate("data/BILLING_PERIOD=2026-04/f.csv", Area::Data).unwrap();
        assert_eq!((top.root, top.rest), ("", "f.csv"));
        assert_eq!(execution_folder(None, "id"), "-id");
    }

    #[test]
    fn manifest_uris_relative_to_the_export() {
        let rel = format!(
            "{}/{}",
            data_period_dir("exp", "2026-04"),
            data_file_name("exp", 1, Encoding::Parquet)
        );
        for prefix in ["", "a/b"] {
            let uri = s3_uri("bkt", prefix, &rel);
            assert_eq!(
                data_relative(&uri, "exp"),
                "data/BILLING_PERIOD=2026-04/exp-00001.snappy.parquet"
            );
        }
        assert_eq!(s3_uri("b", "", "k"), "s3://b/k");
        assert_eq!(s3_uri("b", "p", "k"), "s3://b/p/k");
        assert_eq!(
            data_relative("s3://b/p/other/data/BILLING_PERIOD=2026-04/x.csv.gz", "exp"),
            "data/BILLING_PERIOD=2026-04/x.csv.gz"
        );
        assert_eq!(data_relative("elsewhere/x.csv", "exp"), "elsewhere/x.csv");
        assert_eq!(
            parent_dir("data/BILLING_PERIOD=2026-04/e/x.csv"),
            Some("data/BILLING_PERIOD=2026-04/e")
        );
    }

    #[test]
    fn manifest_json_shape_reads_back() {
        let m = Manifest {
            additional_output_files: Vec::new(),
            columns: vec![ManifestColumn {
                name: "line_item_unblended_cost".into(),
                ty: "double".into(),
            }],
            data_files: vec![s3_uri(
                "b",
                "",
                "exp/data/BILLING_PERIOD=2026-04/exp-00001.csv.gz",
            )],
            execution_id: "id".into(),
            export_arn: "arn".into(),
        };
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(
            text,
            r#"{"additionalOutputFiles":[],"columns":[{"name":"line_item_unblended_cost","type":"double"}],"dataFiles":["s3://b/exp/data/BILLING_PERIOD=2026-04/exp-00001.csv.gz"],"executionId":"id","exportArn":"arn"}"#
        );
        let back: ManifestListing = serde_json::from_str(&text).unwrap();
        assert_eq!(back.columns, m.columns);
        assert_eq!(back.data_files, m.data_files);
        let sparse: ManifestListing =
            serde_json::from_str(r#"{"columns":[{"name":"a"}],"billingPeriod":{"x":1}}"#).unwrap();
        assert_eq!(sparse.columns[0].ty, "");
        assert!(sparse.data_files.is_empty());
    }
}
