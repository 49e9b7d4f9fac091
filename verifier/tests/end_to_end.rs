//! End-to-end: tiny exports written to a temp dir in the Data Exports layout (Parquet and
//! CSV.gz), verified through the library API.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{MapBuilder, StringBuilder};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow_schema::{Field, Schema};
use curlab_verifier::{verify, Report, VerifyOptions};
use curlab_vocab::columns::{Column, ColumnType, TableConfig};

type RowSpec = BTreeMap<&'static str, String>;

fn ms(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .timestamp_millis()
}

fn base(id: &str) -> RowSpec {
    let mut r = RowSpec::new();
    for (k, v) in [
        ("bill_billing_entity", "AWS"),
        ("bill_billing_period_start_date", "2026-04-01T00:00:00Z"),
        ("bill_billing_period_end_date", "2026-05-01T00:00:00Z"),
        ("identity_line_item_id", id),
        ("line_item_line_item_type", "Usage"),
        ("line_item_usage_account_id", "111122223333"),
        ("line_item_usage_start_date", "2026-04-20T10:00:00Z"),
        ("line_item_usage_end_date", "2026-04-20T11:00:00Z"),
        ("product", "{}"),
        ("tags", "{}"),
        ("resource_tags", "{}"),
    ] {
        r.insert(k, v.to_string());
    }
    r
}

fn set(mut r: RowSpec, pairs: &[(&'static str, &str)]) -> RowSpec {
    for (k, v) in pairs {
        if v.is_empty() {
            r.remove(k);
        } else {
            r.insert(k, v.to_string());
        }
    }
    r
}

/// A clean April 2026 export: AWS- and Marketplace-billed Bedrock, EC2, tax, a credit, and a
/// Bedrock row before the principal launch.
fn clean_rows() -> Vec<RowSpec> {
    vec![
        set(
            base("id-1"),
            &[
                ("line_item_product_code", "AmazonBedrock"),
                ("product_product_family", "Amazon Bedrock"),
                ("line_item_operation", "InvokeModelInference"),
                ("line_item_usage_type", "USE1-NovaPro-input-tokens"),
                ("pricing_unit", "1K tokens"),
                ("line_item_usage_amount", "1000"),
                ("line_item_unblended_rate", "0.0008000000"),
                ("line_item_unblended_cost", "0.8"),
                (
                    "line_item_iam_principal",
                    "arn:aws:iam::111122223333:user/alice",
                ),
                ("tags", r#"{"iamPrincipal/team":"ds"}"#),
            ],
        ),
        set(
            base("id-2"),
            &[
                ("bill_billing_entity", "AWS Marketplace"),
                ("line_item_product_code", "4a524th30q694o538qndh9ucht"),
                ("line_item_operation", "InvokeModelStreamingInference"),
                ("line_item_usage_type", "USE1-MP:USE1_InputTokenCount-Units"),
                ("pricing_unit", "Units"),
                ("line_item_usage_amount", "0.5"),
                ("line_item_unblended_rate", "3.0000000000"),
                ("line_item_unblended_cost", "1.5"),
                (
                    "line_item_iam_principal",
                    "arn:aws:sts::111122223333:assumed-role/BedrockInvoke/bob@acme.org",
                ),
                (
                    "product",
                    r#"{"product_name":"Claude Sonnet 4.6 (Amazon Bedrock Edition)"}"#,
                ),
                ("tags", r#"{"iamPrincipal/team":"ml"}"#),
            ],
        ),
        set(
            base("id-3"),
            &[
                ("line_item_product_code", "AmazonEC2"),
                ("line_item_operation", "RunInstances"),
                ("line_item_usage_type", "USE1-BoxUsage:t3.large"),
                ("pricing_unit", "Hrs"),
                ("line_item_usage_amount", "1"),
                ("line_item_unblended_rate", "0.0832000000"),
                ("line_item_unblended_cost", "0.0832"),
                ("line_item_iam_principal", ""),
                (
                    "tags",
                    r#"{"resourceTags/Project":"web","resourceTags/aws:createdBy":"Root:111122223333"}"#,
                ),
                ("resource_tags", r#"{"user_project":"web"}"#),
            ],
        ),
        set(
            base("id-4"),
            &[
                ("line_item_line_item_type", "Tax"),
                ("line_item_product_code", "AmazonBedrock"),
                ("line_item_usage_type", ""),
                ("line_item_unblended_cost", "0.23"),
                ("line_item_usage_start_date", "2026-04-01T00:00:00Z"),
                ("line_item_usage_end_date", "2026-05-01T00:00:00Z"),
            ],
        ),
        set(
            base("id-5"),
            &[
                ("line_item_line_item_type", "Credit"),
                ("line_item_product_code", "AmazonEC2"),
                ("line_item_unblended_cost", "-0.05"),
                ("line_item_usage_start_date", "2026-04-01T00:00:00Z"),
                ("line_item_usage_end_date", "2026-05-01T00:00:00Z"),
            ],
        ),
        set(
            base("id-6"),
            &[
                ("line_item_product_code", "AmazonBedrock"),
                ("line_item_operation", "InvokeModelInference"),
                ("line_item_usage_type", "USE1-NovaPro-output-tokens"),
                ("pricing_unit", "1K tokens"),
                ("line_item_usage_amount", "10"),
                ("line_item_unblended_rate", "0.0032000000"),
                ("line_item_unblended_cost", "0.032"),
                ("line_item_usage_start_date", "2026-04-02T10:00:00Z"),
                ("line_item_usage_end_date", "2026-04-02T11:00:00Z"),
            ],
        ),
    ]
}

fn columns() -> Vec<&'static Column> {
    TableConfig::default().columns()
}

fn pairs(json: &str) -> Vec<(String, String)> {
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json).unwrap();
    v.into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
        .collect()
}

fn write_parquet(path: &Path, cols: &[&Column], rows: &[RowSpec], map_as_string: bool) {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for c in cols {
        let get = |r: &RowSpec| r.get(c.name).cloned();
        let arr: ArrayRef = match c.ty {
            ColumnType::Str => Arc::new(rows.iter().map(get).collect::<StringArray>()),
            ColumnType::Double => Arc::new(
                rows.iter()
                    .map(|r| get(r).map(|v| v.parse::<f64>().unwrap()))
                    .collect::<Float64Array>(),
            ),
            ColumnType::Timestamp => Arc::new(
                rows.iter()
                    .map(|r| get(r).map(|v| ms(&v)))
                    .collect::<TimestampMillisecondArray>()
                    .with_timezone("UTC"),
            ),
            _ if map_as_string => Arc::new(rows.iter().map(get).collect::<StringArray>()),
            _ => {
                let mut b = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
                for r in rows {
                    match get(r) {
                        Some(j) => {
                            for (k, v) in pairs(&j) {
                                b.keys().append_value(k);
                                b.values().append_value(v);
                            }
                            b.append(true).unwrap();
                        }
                        None => b.append(false).unwrap(),
                    }
                }
                Arc::new(b.finish())
            }
        };
        fields.push(Field::new(c.name, arr.data_type().clone(), true));
        arrays.push(arr);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    let f = fs::File::create(path).unwrap();
    // Small row groups, so tests exercise row-group parallelism.
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(7))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn write_csv_gz(path: &Path, cols: &[&Column], rows: &[RowSpec]) {
    let f = fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    let mut w = csv::Writer::from_writer(gz);
    w.write_record(cols.iter().map(|c| c.name)).unwrap();
    for r in rows {
        w.write_record(cols.iter().map(|c| {
            let v = r.get(c.name).cloned().unwrap_or_default();
            if c.ty == ColumnType::Timestamp && !v.is_empty() {
                v.replace('Z', ".000Z")
            } else {
                v
            }
        }))
        .unwrap();
    }
    w.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

struct Export {
    dir: tempfile::TempDir,
}

impl Export {
    fn root(&self) -> std::path::PathBuf {
        self.dir.path().join("demo")
    }
}

/// Write `demo/` with one April file and its manifest.
fn export(
    rows: &[RowSpec],
    csv: bool,
    cols: &[&Column],
    map_as_string: bool,
    extra_listed: Option<&str>,
) -> Export {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    let data = root.join("data/BILLING_PERIOD=2026-04");
    let meta = root.join("metadata/BILLING_PERIOD=2026-04");
    fs::create_dir_all(&data).unwrap();
    fs::create_dir_all(&meta).unwrap();
    let name = if csv {
        "demo-00001.csv.gz"
    } else {
        "demo-00001.snappy.parquet"
    };
    if csv {
        write_csv_gz(&data.join(name), cols, rows);
    } else {
        write_parquet(&data.join(name), cols, rows, map_as_string);
    }
    let mut files = vec![format!(
        "s3://bucket/cur/demo/data/BILLING_PERIOD=2026-04/{name}"
    )];
    if let Some(extra) = extra_listed {
        files.push(format!(
            "s3://bucket/cur/demo/data/BILLING_PERIOD=2026-04/{extra}"
        ));
    }
    let manifest = serde_json::json!({
        "executionId": "00000000-0000-0000-0000-000000000000",
        "exportArn": "arn:aws:bcm-data-exports:us-east-1:111122223333:export/demo",
        "columns": columns().iter().map(|c| serde_json::json!({"name": c.name, "type": c.ty.manifest_name()})).collect::<Vec<_>>(),
        "dataFiles": files,
        "additionalOutputFiles": [],
    });
    fs::write(meta.join("demo-Manifest.json"), manifest.to_string()).unwrap();
    Export { dir }
}

fn run(e: &Export, threads: usize) -> Report {
    let opts = VerifyOptions {
        paths: vec![e.root().to_string_lossy().into_owned()],
        threads,
        ..Default::default()
    };
    verify(&opts).unwrap()
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn clean_parquet_and_csv_exports_verify_clean() {
    for csv in [false, true] {
        let e = export(&clean_rows(), csv, &columns(), false, None);
        let r = run(&e, 2);
        assert_eq!(
            r.findings,
            vec![],
            "csv={csv}: {}",
            curlab_verifier::report::text::render(&r)
        );
        assert_eq!(r.rows_scanned, 6);
        assert_eq!(
            r.files,
            vec![
                "data/BILLING_PERIOD=2026-04/".to_string()
                    + if csv {
                        "demo-00001.csv.gz"
                    } else {
                        "demo-00001.snappy.parquet"
                    }
            ]
        );
        assert!(r
            .rules_skipped
            .iter()
            .any(|s| s.rule == "RC001" && s.reason.contains("--truth")));
        assert!(r.rules_run.contains(&"SC005".to_string()));
    }
}

#[test]
fn faults_are_reported_by_their_rule() {
    let mut rows = clean_rows();
    rows[0].remove("line_item_iam_principal");
    rows[0].insert("tags", "{}".into());
    let r = run(&export(&rows, false, &columns(), false, None), 1);
    assert_eq!(codes(&r), vec!["PR001"]);
    assert_eq!(
        r.finding("PR001").unwrap().samples[0]
            .identity_line_item_id
            .as_deref(),
        Some("id-1")
    );

    let mut rows = clean_rows();
    rows[2].insert(
        "line_item_iam_principal",
        "arn:aws:iam::111122223333:user/alice".into(),
    );
    assert!(codes(&run(&export(&rows, true, &columns(), false, None), 1)).contains(&"PR004"));

    let mut rows = clean_rows();
    rows[0].insert("line_item_unblended_cost", "0.95".into());
    assert_eq!(
        codes(&run(&export(&rows, true, &columns(), false, None), 1)),
        vec!["CT001"]
    );

    let mut rows = clean_rows();
    rows[1].insert("identity_line_item_id", "id-1".into());
    assert_eq!(
        codes(&run(&export(&rows, false, &columns(), false, None), 1)),
        vec!["CT004"]
    );

    let mut rows = clean_rows();
    rows[0].insert("line_item_usage_start_date", "2026-05-02T10:00:00Z".into());
    rows[0].insert("line_item_usage_end_date", "2026-05-02T11:00:00Z".into());
    assert_eq!(
        codes(&run(&export(&rows, false, &columns(), false, None), 1)),
        vec!["SC007"]
    );

    let r = run(&export(&clean_rows(), false, &columns(), true, None), 1);
    assert_eq!(codes(&r), vec!["SC004"]);

    let r = run(
        &export(
            &clean_rows(),
            false,
            &columns(),
            false,
            Some("demo-00002.snappy.parquet"),
        ),
        1,
    );
    assert_eq!(codes(&r), vec!["SC005"]);

    let cols: Vec<_> = columns()
        .into_iter()
        .filter(|c| c.name != "line_item_usage_type")
        .collect();
    let r = run(&export(&clean_rows(), false, &cols, false, None), 1);
    assert!(
        codes(&r).contains(&"SC001") && codes(&r).contains(&"SC006"),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn legacy_export_skips_tag_and_principal_rules_with_reasons() {
    let cfg = TableConfig {
        legacy_113: true,
        include_iam_principal_data: false,
        include_resources: false,
        ..Default::default()
    };
    let cols = cfg.columns();
    let rows: Vec<RowSpec> = clean_rows()
        .into_iter()
        .map(|mut r| {
            r.remove("tags");
            r.remove("line_item_iam_principal");
            r
        })
        .collect();
    let e = export(&rows, false, &cols, false, None);
    let r = run(&e, 1);
    // The manifest in this helper lists the full default column set, so only SC006 fires.
    assert_eq!(codes(&r), vec!["SC006"]);
    let reason = |code: &str| {
        r.rules_skipped
            .iter()
            .find(|s| s.rule == code)
            .map(|s| s.reason.clone())
            .unwrap_or_default()
    };
    assert!(reason("PR001").contains("INCLUDE_IAM_PRINCIPAL_DATA"));
    assert!(reason("TG002").contains("113-column"));
}

#[test]
fn results_do_not_depend_on_threads() {
    let mut rows = Vec::new();
    for i in 0..50 {
        let mut r = clean_rows()[0].clone();
        r.insert("identity_line_item_id", format!("id-{}", i % 20));
        r.remove("line_item_iam_principal");
        r.insert("tags", "{}".into());
        rows.push(r);
    }
    let e = export(&rows, false, &columns(), false, None);
    let a = run(&e, 1);
    let b = run(&e, 4);
    assert_eq!(a, b);
    assert_eq!(a.finding("CT004").unwrap().count, 30);
    let ct004 = a.finding("CT004").unwrap();
    assert!(
        ct004
            .samples
            .iter()
            .all(|s| s.identity_line_item_id.is_some()),
        "{ct004:?}"
    );
    assert_eq!(ct004.samples[0].row, Some(21));
    assert_eq!(
        ct004.samples[0].identity_line_item_id.as_deref(),
        Some("id-0")
    );
}

#[test]
fn unreadable_input_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("x.parquet");
    fs::write(&bad, b"PAR1 not really").unwrap();
    let err = verify(&VerifyOptions {
        paths: vec![bad.to_string_lossy().into_owned()],
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("x.parquet"), "{err}");
    let err = verify(&VerifyOptions {
        paths: vec!["/nonexistent/path".into()],
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("no such file"), "{err}");
    let err = verify(&VerifyOptions {
        paths: vec![dir.path().to_string_lossy().into_owned()],
        select: vec!["XX9".into()],
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("unknown rule code"), "{err}");
}

#[test]
fn period_filter_and_globs() {
    let e = export(&clean_rows(), false, &columns(), false, None);
    let root = e.root().to_string_lossy().into_owned();
    let only = |period: &str| VerifyOptions {
        paths: vec![root.clone()],
        period: Some(period.into()),
        ..Default::default()
    };
    assert_eq!(verify(&only("2026-04")).unwrap().rows_scanned, 6);
    let err = verify(&only("2026-05")).unwrap_err();
    assert!(
        err.to_string()
            .contains("no data files found for billing period 2026-05"),
        "{err}"
    );
    assert!(verify(&only("2026-4"))
        .unwrap_err()
        .to_string()
        .contains("YYYY-MM"));
    let glob = format!("{root}/data/*/*.parquet");
    let r = verify(&VerifyOptions {
        paths: vec![glob],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.rows_scanned, 6);
    assert!(r.rules_skipped.iter().any(|s| s.rule == "SC005"));
    // The parent folder holding exactly one export.
    let parent = e.dir.path().to_string_lossy().into_owned();
    let r = verify(&VerifyOptions {
        paths: vec![parent],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        r.files,
        vec!["demo/data/BILLING_PERIOD=2026-04/demo-00001.snappy.parquet".to_string()]
    );
}

#[test]
fn policy_rules_run_with_a_policy_file() {
    let e = export(&clean_rows(), false, &columns(), false, None);
    let policy = e.dir.path().join("policy.toml");
    fs::write(
        &policy,
        "[tags]\nactivated = [\"iamPrincipal/team\"]\nrequired = [\"team\", \"cost-center\"]\nmin_coverage = 0.9\n\n[principals]\nallowed = [\"arn:aws:sts::*:assumed-role/BedrockInvoke/*\"]\n",
    )
    .unwrap();
    let r = verify(&VerifyOptions {
        paths: vec![e.root().to_string_lossy().into_owned()],
        policy: Some(policy),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(codes(&r), vec!["PO001", "PO003"]);
    assert_eq!(r.finding("PO001").unwrap().count, 1);
    assert!(r
        .rules_skipped
        .iter()
        .any(|s| s.rule == "PO002" && s.reason.contains("[[gateway]]")));
    assert!(r.rules_skipped.iter().any(|s| s.rule == "GW002"));
}

#[test]
fn every_output_format_renders() {
    let mut rows = clean_rows();
    rows[0].insert(
        "line_item_iam_principal",
        "arn:aws:sts::1:assumed-role/<x>&\u{1b}".into(),
    );
    let r = run(&export(&rows, false, &columns(), false, None), 2);
    use curlab_verifier::report::{render, OutputFormat};
    let json: serde_json::Value = serde_json::from_str(&render(&r, OutputFormat::Json)).unwrap();
    assert_eq!(json["curlab_verify_version"], 1);
    assert_eq!(json["findings"][0]["rule"], "PR002");
    assert_eq!(json["summary"]["errors"], r.errors());
    let sarif: serde_json::Value = serde_json::from_str(&render(&r, OutputFormat::Sarif)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "PR002");
    let junit = render(&r, OutputFormat::Junit);
    assert!(junit.contains("&lt;x&gt;&amp;") && !junit.contains('\u{1b}'));
    assert!(junit.contains("<skipped message=\"needs --truth\"/>"));
    let text = render(&r, OutputFormat::Text);
    assert!(!text.contains('\u{1b}') && text.contains("error[PR002]"));
}

#[test]
fn create_new_delivery_reads_only_the_current_execution() {
    let e = export(&clean_rows(), false, &columns(), false, None);
    let period = e.root().join("data/BILLING_PERIOD=2026-04");
    let file = period.join("demo-00001.snappy.parquet");
    for exec in [
        "2026-04-30T23:48:02.356Z-aaaa",
        "2026-05-01T23:48:02.356Z-bbbb",
    ] {
        fs::create_dir_all(period.join(exec)).unwrap();
        fs::copy(&file, period.join(exec).join("demo-00001.snappy.parquet")).unwrap();
    }
    fs::remove_file(&file).unwrap();
    let manifest = e
        .root()
        .join("metadata/BILLING_PERIOD=2026-04/demo-Manifest.json");
    let text = fs::read_to_string(&manifest).unwrap().replace(
        "BILLING_PERIOD=2026-04/demo-00001",
        "BILLING_PERIOD=2026-04/2026-05-01T23:48:02.356Z-bbbb/demo-00001",
    );
    fs::write(&manifest, text).unwrap();
    let r = run(&e, 2);
    assert_eq!(r.findings, vec![]);
    assert_eq!(r.rows_scanned, 6);
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(r.notes[0].contains("aaaa") && r.notes[0].contains("superseded"));
}
