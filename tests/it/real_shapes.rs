//! What real AWS-written cost files look like, carried into small hand-made fixtures (all
//! values invented here), and the verdict `curlab verify` and `curlab report` must give on
//! each:
//!
//! - one `identity_line_item_id` over many hourly `identity_time_interval`s (a line item, not
//!   duplicates), string rate columns, Parquet timestamps in microseconds
//!   (`timestamp[us, UTC]`), CSV numbers in exponent notation (`7.3125E-7`), tax rows (usage
//!   1.0 over the whole billing period, `product` = {product_name}, no service code, public
//!   on-demand cost 0.0, `Tax for product code <CODE>`): a clean CUR 2.0 export, exit 0;
//! - the same id in the same interval twice: CT004;
//! - legacy CUR (CUR 1) headers, in CSV and in Parquet naming: one SC008 statement;
//! - a loader's child tables next to a main table without `product`: SC008 per child table,
//!   SC001 `product` for the main table, no CT004;
//! - a `.gz` file that is not gzip: exit 2;
//! - `arn:aws:iam::<account>:root` as the principal: valid.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common::curlab;
use arrow_array::builder::{MapBuilder, StringBuilder};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use curlab_verifier::{verify, Report, VerifyOptions};
use curlab_vocab::columns::{legacy_csv_name, ColumnType, TableConfig, CUR2_ONLY_COLUMNS};

const ACCOUNT: &str = "444455556666";
const PERIOD: &str = "2026-03";

/// One row: column → text (absent: null). Doubles are written as text the way the CSV holds
/// them; timestamps as RFC 3339.
type RowSpec = BTreeMap<String, String>;

/// A file's columns: name as written, and the type the CUR 2.0 dictionary gives it.
type Columns = Vec<(String, ColumnType)>;

fn row(pairs: &[(&str, &str)]) -> RowSpec {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A 52-character lower-case base32-looking id, like AWS's, made from a label.
fn line_item_id(label: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    (0..52)
        .map(|i| {
            for b in label.bytes().chain([i as u8]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            ALPHABET[(h >> 59) as usize] as char
        })
        .collect()
}

/// `2026-03-10T00:00:00Z` plus `h` hours, RFC 3339.
fn hour(h: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339("2026-03-10T00:00:00Z").expect("ts")
        + chrono::Duration::hours(h);
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A double as Java's `Double.toString` writes it in AWS's CSV: exponent notation below 1e-3.
fn java(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:E}")
    } else if x.fract() == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// A usage row of line item `id` in hour `h`.
fn usage(
    id: &str,
    h: i64,
    product: (&str, &str, &str),
    unit: &str,
    rate: &str,
    amount: f64,
) -> RowSpec {
    let (code, name, usage_type) = product;
    let cost = amount * rate.parse::<f64>().expect("rate");
    let (start, end) = (hour(h), hour(h + 1));
    row(&[
        ("bill_bill_type", "Anniversary"),
        ("bill_billing_entity", "AWS"),
        ("bill_billing_period_start_date", "2026-03-01T00:00:00Z"),
        ("bill_billing_period_end_date", "2026-04-01T00:00:00Z"),
        ("bill_payer_account_id", ACCOUNT),
        ("bill_payer_account_name", "lab-payer"),
        ("identity_line_item_id", id),
        ("identity_time_interval", &format!("{start}/{end}")),
        ("line_item_currency_code", "USD"),
        ("line_item_line_item_description", "lab usage"),
        ("line_item_line_item_type", "Usage"),
        ("line_item_operation", "Lab"),
        ("line_item_product_code", code),
        ("line_item_unblended_cost", &java(cost)),
        ("line_item_unblended_rate", rate),
        ("line_item_blended_rate", rate),
        ("line_item_usage_account_id", ACCOUNT),
        ("line_item_usage_account_name", "lab-payer"),
        ("line_item_usage_amount", &java(amount)),
        ("line_item_usage_start_date", &start),
        ("line_item_usage_end_date", &end),
        ("line_item_usage_type", usage_type),
        ("pricing_public_on_demand_cost", &java(cost)),
        ("pricing_public_on_demand_rate", rate),
        ("pricing_unit", unit),
        (
            "product",
            &format!(r#"{{"product_name":"{name}","region":"us-east-1"}}"#),
        ),
        ("product_servicecode", code),
        ("reservation_units_per_reservation", ""),
    ])
}

/// A tax row as AWS writes it: usage 1.0 over the whole billing period.
fn tax(code: &str, name: &str, cost: &str) -> RowSpec {
    let mut r = row(&[
        ("bill_bill_type", "Anniversary"),
        ("bill_billing_entity", "AWS"),
        ("bill_billing_period_start_date", "2026-03-01T00:00:00Z"),
        ("bill_billing_period_end_date", "2026-04-01T00:00:00Z"),
        ("bill_payer_account_id", ACCOUNT),
        ("bill_payer_account_name", "lab-payer"),
        (
            "identity_line_item_id",
            &line_item_id(&format!("tax-{code}")),
        ),
        (
            "identity_time_interval",
            "2026-03-01T00:00:00Z/2026-04-01T00:00:00Z",
        ),
        ("line_item_currency_code", "USD"),
        (
            "line_item_line_item_description",
            &format!("Tax for product code {code}"),
        ),
        ("line_item_line_item_type", "Tax"),
        ("line_item_product_code", code),
        ("line_item_tax_type", "VAT"),
        ("line_item_unblended_cost", cost),
        ("line_item_usage_account_id", ACCOUNT),
        ("line_item_usage_account_name", "lab-payer"),
        ("line_item_usage_amount", "1.0"),
        ("line_item_usage_start_date", "2026-03-01T00:00:00Z"),
        ("line_item_usage_end_date", "2026-04-01T00:00:00Z"),
        ("pricing_public_on_demand_cost", "0.0"),
        ("product", &format!(r#"{{"product_name":"{name}"}}"#)),
    ]);
    // No service code on tax rows.
    r.remove("product_servicecode");
    r
}

/// A month of an account without Bedrock: two line items over 30 hours each, one for a single
/// hour, and two tax rows.
fn clean_rows() -> Vec<RowSpec> {
    let transfer = (
        "AmazonS3",
        "Amazon Simple Storage Service",
        "USE1-DataTransfer-Out-Bytes",
    );
    let compute = (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "USE1-BoxUsage:t4g.nano",
    );
    let metrics = ("AmazonCloudWatch", "AmazonCloudWatch", "USE1-CW:Requests");
    let (s3, ec2, cw) = (line_item_id("s3"), line_item_id("ec2"), line_item_id("cw"));
    let mut rows = Vec::new();
    for h in 0..30 {
        rows.push(usage(
            &s3,
            h,
            transfer,
            "GB",
            "0.0900000000",
            2.5e-6 * (h + 1) as f64,
        ));
        rows.push(usage(&ec2, h, compute, "Hrs", "0.0042000000", 1.0));
    }
    rows.push(usage(
        &cw,
        7,
        metrics,
        "Requests",
        "0.0000100000",
        7.3125e-7,
    ));
    rows.push(tax("AmazonS3", "Amazon Simple Storage Service", "0.0"));
    rows.push(tax("AmazonEC2", "Amazon Elastic Compute Cloud", "0.03"));
    rows
}

/// The columns of an export without IAM principal data, resources or tags.
fn cur2_columns() -> Columns {
    TableConfig {
        include_iam_principal_data: false,
        include_resources: false,
        legacy_113: true,
        ..Default::default()
    }
    .columns()
    .iter()
    .map(|c| (c.name.to_string(), c.ty))
    .collect()
}

fn micros(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .timestamp_micros()
}

/// Parquet as dlt and Data Exports write it: strings, doubles, `timestamp[us, UTC]`, maps.
fn write_parquet(path: &Path, cols: &Columns, rows: &[RowSpec]) {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, ty) in cols {
        let get = |r: &RowSpec| r.get(name).filter(|v| !v.is_empty()).cloned();
        let arr: ArrayRef = match ty {
            ColumnType::Str => Arc::new(rows.iter().map(get).collect::<StringArray>()),
            ColumnType::Double => Arc::new(
                rows.iter()
                    .map(|r| get(r).map(|v| v.parse::<f64>().expect("double")))
                    .collect::<Float64Array>(),
            ),
            ColumnType::Timestamp => Arc::new(
                rows.iter()
                    .map(|r| get(r).map(|v| micros(&v)))
                    .collect::<TimestampMicrosecondArray>()
                    .with_timezone("UTC"),
            ),
            ColumnType::MapStr | ColumnType::MapDouble => {
                let mut b = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
                for r in rows {
                    match get(r) {
                        Some(json) => {
                            let m: serde_json::Map<String, serde_json::Value> =
                                serde_json::from_str(&json).expect("map json");
                            for (k, v) in m {
                                b.keys().append_value(k);
                                b.values().append_value(v.as_str().unwrap_or_default());
                            }
                            b.append(true).expect("map row");
                        }
                        None => b.append(false).expect("null map"),
                    }
                }
                Arc::new(b.finish())
            }
        };
        fields.push(Field::new(name, arr.data_type().clone(), true));
        arrays.push(arr);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("batch");
    let mut w = parquet::arrow::ArrowWriter::try_new(
        fs::File::create(path).expect("create"),
        batch.schema(),
        None,
    )
    .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

/// CSV as AWS writes it: `….000Z` timestamps, numbers as given (exponent notation), empty
/// nulls, maps as JSON.
fn csv_bytes(cols: &Columns, rows: &[RowSpec]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cols.iter().map(|(n, _)| n)).expect("header");
    for r in rows {
        w.write_record(cols.iter().map(|(n, ty)| {
            let v = r.get(n).cloned().unwrap_or_default();
            if *ty == ColumnType::Timestamp && !v.is_empty() {
                v.replace('Z', ".000Z")
            } else {
                v
            }
        }))
        .expect("row");
    }
    w.into_inner().expect("csv")
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

/// `<dir>/lab/data/BILLING_PERIOD=2026-03/`, created; the export folder is `<dir>/lab`.
fn data_dir(dir: &Path) -> PathBuf {
    data_dir_for(dir, PERIOD)
}

fn data_dir_for(dir: &Path, period: &str) -> PathBuf {
    let d = dir.join(format!("lab/data/BILLING_PERIOD={period}"));
    fs::create_dir_all(&d).expect("mkdir");
    d
}

/// The rows moved from March to May 2026 (after IAM principal data started, 2026-04-08).
fn in_may(rows: Vec<RowSpec>) -> Vec<RowSpec> {
    rows.into_iter()
        .map(|r| {
            r.into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        v.replace("2026-04-01", "2026-06-01")
                            .replace("2026-03-", "2026-05-"),
                    )
                })
                .collect()
        })
        .collect()
}

fn run(path: &Path) -> Report {
    verify(&VerifyOptions {
        paths: vec![path.to_string_lossy().into_owned()],
        threads: 2,
        ..Default::default()
    })
    .expect("verifies")
}

fn codes(r: &Report) -> Vec<(&str, u64)> {
    r.findings
        .iter()
        .map(|f| (f.rule.as_str(), f.count))
        .collect()
}

fn reason<'r>(r: &'r Report, code: &str) -> &'r str {
    r.rules_skipped
        .iter()
        .find(|s| s.rule == code)
        .map_or("", |s| s.reason.as_str())
}

/// `curlab verify PATH`: exit code and standard output.
fn cli_verify(path: &Path) -> (i32, String, String) {
    let o = curlab(&["verify", path.to_str().expect("utf-8")]);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The verdict on an export like the real one: clean, CT004 run and silent, the principal and
/// tag rules skipped with what was observed.
fn assert_clean_real_like(r: &Report, what: &str) {
    assert_eq!(codes(r), vec![], "{what}: {:#?}", r.findings);
    assert_eq!(r.rows_scanned, 63, "{what}");
    assert!(
        r.rules_run.iter().any(|c| c == "CT004"),
        "{what}: CT004 ran"
    );
    assert!(
        r.rules_run.iter().any(|c| c == "CT001"),
        "{what}: CT001 ran"
    );
    assert_eq!(
        reason(r, "PR001"),
        "column line_item_iam_principal is not in any data file; exports with INCLUDE_IAM_PRINCIPAL_DATA enabled have it"
    );
    assert!(
        reason(r, "TG002").starts_with("column tags is not in any data file;"),
        "{}",
        reason(r, "TG002")
    );
}

#[test]
fn a_real_like_parquet_export_with_recurring_ids_and_microseconds_verifies_clean() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = data_dir(dir.path()).join("lab-00001.snappy.parquet");
    write_parquet(&file, &cur2_columns(), &clean_rows());
    // The fixture has the shapes it is about.
    let batches = crate::common::read_parquet(&file);
    let schema = batches[0].schema();
    assert_eq!(
        schema
            .field_with_name("line_item_usage_start_date")
            .unwrap()
            .data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert_eq!(
        schema
            .field_with_name("line_item_unblended_rate")
            .unwrap()
            .data_type(),
        &DataType::Utf8
    );
    let export = dir.path().join("lab");
    assert_clean_real_like(&run(&export), "parquet");
    let (code, out, _) = cli_verify(&export);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK in 63 rows from 1 file: 0 errors"), "{out}");
    assert!(!out.contains("CT004"), "{out}");

    // The same line item in the same hour twice is a duplicate, and only that row counts.
    let mut rows = clean_rows();
    let again = rows[4].clone();
    rows.push(again.clone());
    write_parquet(&file, &cur2_columns(), &rows);
    let r = run(&export);
    assert_eq!(codes(&r), vec![("CT004", 1)]);
    let s = &r.findings[0].samples[0];
    assert_eq!(s.row, Some(64));
    assert_eq!(
        s.values["identity_time_interval"],
        again["identity_time_interval"]
    );
    assert_eq!(
        s.identity_line_item_id.as_deref(),
        Some(again["identity_line_item_id"].as_str())
    );
    assert_eq!(cli_verify(&export).0, 1);
}

#[test]
fn a_real_like_csv_gz_export_with_exponent_numbers_verifies_clean() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = data_dir(dir.path()).join("lab-00001.csv.gz");
    let text = csv_bytes(&cur2_columns(), &clean_rows());
    let shown = String::from_utf8_lossy(&text);
    for shape in [
        "7.3125E-7",
        "2.5E-6",
        "T00:00:00.000Z",
        "Tax for product code AmazonS3",
    ] {
        assert!(shown.contains(shape), "the fixture has {shape}");
    }
    fs::write(&file, gz(&text)).expect("write");
    let export = dir.path().join("lab");
    assert_clean_real_like(&run(&export), "csv.gz");
    let (code, out, _) = cli_verify(&export);
    assert_eq!(code, 0, "{out}");
    // Skip reasons state what was seen, one line per reason.
    assert!(out.contains("skipped PR001, PR002, PR003, PR004, PR005, PR006, PR007, GW002: column line_item_iam_principal is not in any data file"), "{out}");
    assert!(
        !out.contains("is off") && !out.contains("the export does not include"),
        "{out}"
    );
}

#[test]
fn without_an_interval_column_usage_start_and_end_key_the_line_items() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = data_dir(dir.path()).join("lab-00001.snappy.parquet");
    let cols: Columns = cur2_columns()
        .into_iter()
        .filter(|(n, _)| n != "identity_time_interval")
        .collect();
    write_parquet(&file, &cols, &clean_rows());
    let export = dir.path().join("lab");
    assert_eq!(codes(&run(&export)), vec![]);
    let mut rows = clean_rows();
    rows.push(rows[10].clone());
    write_parquet(&file, &cols, &rows);
    assert_eq!(codes(&run(&export)), vec![("CT004", 1)]);
}

/// Legacy CUR CSV: `category/Name` headers, no map columns, `product/ProductName` and
/// `resourceTags/user:*` columns instead.
fn legacy_csv(rows: &[RowSpec]) -> Vec<u8> {
    let mut cols: Vec<(String, String, ColumnType)> = cur2_columns()
        .into_iter()
        .filter(|(n, ty)| !ty.is_map() && !CUR2_ONLY_COLUMNS.contains(&n.as_str()))
        .map(|(n, ty)| {
            let c = curlab_vocab::columns::column(&n).expect("known");
            (legacy_csv_name(c).expect("legacy name"), n, ty)
        })
        .collect();
    cols.push((
        "product/ProductName".into(),
        "product_name".into(),
        ColumnType::Str,
    ));
    cols.push((
        "resourceTags/user:team".into(),
        "team".into(),
        ColumnType::Str,
    ));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cols.iter().map(|(legacy, _, _)| legacy))
        .expect("header");
    for r in rows {
        w.write_record(cols.iter().map(|(_, n, ty)| {
            let v = match n.as_str() {
                "product_name" => r
                    .get("product")
                    .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
                    .and_then(|m| m["product_name"].as_str().map(String::from))
                    .unwrap_or_default(),
                "team" => "lab".into(),
                _ => r.get(n).cloned().unwrap_or_default(),
            };
            if *ty == ColumnType::Timestamp && !v.is_empty() {
                v.replace('Z', ".000Z")
            } else {
                v
            }
        }))
        .expect("row");
    }
    w.into_inner().expect("csv")
}

#[test]
fn legacy_cur_csv_is_one_plain_statement() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("legacy-cur.csv");
    let text = legacy_csv(&clean_rows());
    assert!(String::from_utf8_lossy(&text).starts_with("bill/BillType,"));
    fs::write(&file, &text).expect("write");
    let r = run(&file);
    assert_eq!(codes(&r), vec![("SC008", 1)], "{:#?}", r.findings);
    let f = &r.findings[0];
    assert!(
        f.message.starts_with(
            "a legacy Cost and Usage Report (CUR 1) file, not CUR 2.0: create a CUR 2.0 export"
        ),
        "{}",
        f.message
    );
    assert!(f.message.contains("Data Exports"), "{}", f.message);
    assert_eq!(f.samples[0].values["kind"], "legacy CUR (CUR 1)");
    assert!(f.samples[0].values["evidence"].contains("`bill/BillType`"));
    // Every other rule is skipped, for one reason.
    assert_eq!(r.rules_run, vec!["SC008".to_string()]);
    assert!(r
        .rules_skipped
        .iter()
        .all(|s| s.reason.starts_with("no data file is CUR 2.0 data")));
    let (code, out, _) = cli_verify(&file);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("skipped ").count(), 1, "one skip line: {out}");
    assert!(
        !out.contains("SC001") || out.contains("skipped SC001"),
        "{out}"
    );
    assert!(
        !out.contains("error[SC003]") && !out.contains("error[CT004]"),
        "{out}"
    );
}

#[test]
fn legacy_cur_in_parquet_naming_is_recognised() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("legacy-cur.snappy.parquet");
    // Legacy CUR Parquet: snake_case names, flattened product and resource tag columns, and
    // none of the columns CUR 2.0 added.
    let mut cols: Columns = cur2_columns()
        .into_iter()
        .filter(|(n, ty)| !ty.is_map() && !CUR2_ONLY_COLUMNS.contains(&n.as_str()))
        .collect();
    cols.push(("product_product_name".into(), ColumnType::Str));
    cols.push(("resource_tags_user_team".into(), ColumnType::Str));
    let rows: Vec<RowSpec> = clean_rows()
        .into_iter()
        .map(|mut r| {
            r.insert(
                "product_product_name".into(),
                "Amazon Simple Storage Service".into(),
            );
            r
        })
        .collect();
    write_parquet(&file, &cols, &rows);
    let r = run(&file);
    assert_eq!(codes(&r), vec![("SC008", 1)], "{:#?}", r.findings);
    let evidence = &r.findings[0].samples[0].values["evidence"];
    assert!(
        evidence.contains("`product_product_name`")
            && evidence.contains("`resource_tags_user_team`"),
        "{evidence}"
    );
}

#[test]
fn a_loaders_child_tables_are_not_cur_and_the_main_table_keeps_its_true_finding() {
    let dir = tempfile::tempdir().expect("tmp");
    // The main table: `product` split off into child tables, loader columns added.
    let mut main: Columns = cur2_columns()
        .into_iter()
        .filter(|(n, _)| n != "product")
        .collect();
    main.push(("_dlt_load_id".into(), ColumnType::Str));
    main.push(("_dlt_id".into(), ColumnType::Str));
    write_parquet(&dir.path().join("lab_00001.parquet"), &main, &clean_rows());
    let child: Columns = ["_dlt_parent_id", "_dlt_list_idx", "_dlt_id"]
        .iter()
        .map(|c| (c.to_string(), ColumnType::Str))
        .collect();
    let pairs: Vec<RowSpec> = (0..3)
        .map(|i| {
            row(&[
                ("_dlt_parent_id", &format!("p{i}")),
                ("_dlt_list_idx", "0"),
                ("_dlt_id", &format!("c{i}")),
            ])
        })
        .collect();
    write_parquet(
        &dir.path().join("lab_00001__product.parquet"),
        &child,
        &pairs,
    );
    let list: Columns = ["value", "_dlt_parent_id", "_dlt_list_idx", "_dlt_id"]
        .iter()
        .map(|c| (c.to_string(), ColumnType::Str))
        .collect();
    write_parquet(
        &dir.path().join("lab_00001__product__list.parquet"),
        &list,
        &pairs,
    );

    let r = run(dir.path());
    assert_eq!(
        codes(&r),
        vec![("SC001", 1), ("SC008", 2)],
        "{:#?}",
        r.findings
    );
    assert_eq!(r.findings[0].samples[0].values["column"], "product");
    assert_eq!(r.rows_scanned, 63, "only the main table is scanned");
    assert!(r.rules_run.iter().any(|c| c == "CT004"));
    let sc008 = &r.findings[1];
    assert!(
        sc008.message.starts_with("files that are not a CUR export"),
        "{}",
        sc008.message
    );
    let shown: Vec<(&str, &str)> = sc008
        .samples
        .iter()
        .map(|s| (s.file.as_deref().unwrap_or(""), s.values["kind"].as_str()))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("lab_00001__product.parquet", "not CUR data"),
            ("lab_00001__product__list.parquet", "not CUR data")
        ]
    );
    let (code, out, _) = cli_verify(&dir.path().join("lab_00001__product__list.parquet"));
    assert_eq!(code, 1);
    assert!(out.contains("none of its 4 columns is a CUR 2.0 column (`value`, `_dlt_parent_id`, `_dlt_list_idx`, `_dlt_id`)"), "{out}");
    assert!(!out.contains("error[SC001]"), "{out}");
}

#[test]
fn a_gz_file_that_is_not_gzip_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = data_dir(dir.path()).join("lab-00001.csv.gz");
    fs::write(&file, csv_bytes(&cur2_columns(), &clean_rows())).expect("write");
    let (code, out, err) = cli_verify(&dir.path().join("lab"));
    assert_eq!(code, 2, "{out}{err}");
    for needle in [
        "lab-00001.csv.gz",
        "not a gzip file",
        "byte 0",
        "fix: re-download",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let o = curlab(&["report", dir.path().join("lab").to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2), "report refuses it too");
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a gzip file"));
}

#[test]
fn the_account_root_user_is_a_valid_principal() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = data_dir_for(dir.path(), "2026-05").join("lab-00001.csv.gz");
    let cols: Columns = TableConfig::default()
        .columns()
        .iter()
        .map(|c| (c.name.to_string(), c.ty))
        .collect();
    let mut bedrock = usage(
        &line_item_id("bedrock"),
        3,
        (
            "AmazonBedrock",
            "Amazon Nova Pro",
            "USE1-NovaPro-input-tokens",
        ),
        "1K tokens",
        "0.0008000000",
        250.0,
    );
    bedrock.insert("line_item_operation".into(), "InvokeModelInference".into());
    bedrock.insert("product_product_family".into(), "Amazon Bedrock".into());
    bedrock.insert("product_servicecode".into(), "AmazonBedrock".into());
    bedrock.insert(
        "line_item_iam_principal".into(),
        format!("arn:aws:iam::{ACCOUNT}:root"),
    );
    bedrock.insert("tags".into(), "{}".into());
    let mut rows = clean_rows();
    rows.push(bedrock);
    fs::write(&file, gz(&csv_bytes(&cols, &in_may(rows)))).expect("write");
    let export = dir.path().join("lab");
    let r = run(&export);
    assert!(r.rules_run.iter().any(|c| c == "PR002"));
    assert_eq!(codes(&r), vec![], "{:#?}", r.findings);
    let o = curlab(&[
        "report",
        export.to_str().expect("utf-8"),
        "--group-by",
        "role",
    ]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("arn:aws:iam::{ACCOUNT}:root")),
        "{out}"
    );
    assert!(out.contains("1 Bedrock inference rows"), "{out}");
}

#[test]
fn report_on_an_export_without_bedrock_says_what_it_saw() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = data_dir(dir.path()).join("lab-00001.snappy.parquet");
    write_parquet(&file, &cur2_columns(), &clean_rows());
    let o = curlab(&["report", dir.path().join("lab").to_str().expect("utf-8")]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("0 Bedrock inference rows"), "{out}");
    assert!(out.contains("\nTOTAL ") && out.contains(" 0.00 "), "{out}");
    assert!(
        out.contains("no Bedrock inference row in the data, so no tag coverage to show"),
        "{out}"
    );
    assert!(!out.contains("active yet"), "{out}");
}
