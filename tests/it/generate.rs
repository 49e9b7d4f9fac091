//! End-to-end tests of `curlab generate`: layout, schema, blog numbers, determinism, atomicity.

use std::collections::BTreeMap;
use std::io::Read;

use crate::common::{curlab, data_files, files, generate, read_parquet, truth};
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, RecordBatch};

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn str_col<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow_array::StringArray {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .as_string::<i32>()
}

fn f64_col<'a>(b: &'a RecordBatch, name: &str) -> &'a arrow_array::Float64Array {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .as_primitive::<Float64Type>()
}

fn map_cell(b: &RecordBatch, name: &str, row: usize) -> BTreeMap<String, String> {
    let m = b.column_by_name(name).expect("map column").as_map();
    let entries = m.value(row);
    let k = entries.column(0).as_string::<i32>();
    let v = entries.column(1).as_string::<i32>();
    (0..entries.len())
        .map(|i| (k.value(i).to_string(), v.value(i).to_string()))
        .collect()
}

struct BedrockRow {
    principal: String,
    usage_type: String,
    cost: f64,
    tags: BTreeMap<String, String>,
}

fn bedrock_rows(dir: &std::path::Path, export: &str) -> Vec<BedrockRow> {
    let mut out = Vec::new();
    for f in data_files(&dir.join(export)) {
        for b in read_parquet(&f) {
            let (p, u, c, fam) = (
                str_col(&b, "line_item_iam_principal"),
                str_col(&b, "line_item_usage_type"),
                f64_col(&b, "line_item_unblended_cost"),
                str_col(&b, "product_product_family"),
            );
            for i in 0..b.num_rows() {
                if fam.is_null(i) || fam.value(i) != "Amazon Bedrock" {
                    continue;
                }
                out.push(BedrockRow {
                    principal: if p.is_null(i) {
                        "(none)".into()
                    } else {
                        p.value(i).to_string()
                    },
                    usage_type: u.value(i).to_string(),
                    cost: c.value(i),
                    tags: map_cell(&b, "tags", i),
                });
            }
        }
    }
    out
}

#[test]
fn blog_launch_reproduces_the_posts_tables() {
    let dir = generate("blog-launch", &[]);
    let rows = bedrock_rows(dir.path(), "blog-launch");
    let cost = |principal: &str, usage: &str| -> f64 {
        rows.iter()
            .filter(|r| r.principal.ends_with(principal) && r.usage_type == usage)
            .map(|r| r.cost)
            .sum()
    };
    // (principal ARN suffix, usage type, decimals the post prints, the post's figure):
    // the opening table (3 decimals), scenario 1 and 2 tables (4), scenario 3 and 4 (3).
    #[rustfmt::skip]
    let printed_in_the_post: &[(&str, &str, usize, &str)] = &[
        (":user/alice", "USE1-Claude4.6Sonnet-input-tokens", 3, "0.069"),
        (":user/alice", "USE1-Claude4.6Sonnet-output-tokens", 3, "0.214"),
        (":user/bob", "USE1-Claude4.6Opus-input-tokens", 3, "0.198"),
        (":user/bob", "USE1-Claude4.6Opus-output-tokens", 3, "0.990"),
        (":user/user-1", "USE1-Claude4.6Sonnet-input-tokens", 4, "0.0693"),
        (":user/user-1", "USE1-Claude4.6Sonnet-output-tokens", 4, "0.2145"),
        (":user/user-2", "USE1-Claude4.6Opus-input-tokens", 4, "0.1980"),
        (":user/user-2", "USE1-Claude4.6Opus-output-tokens", 4, "0.9900"),
        ("assumed-role/Role-1/session-123", "USE1-Claude4.6Sonnet-input-tokens", 4, "0.0330"),
        ("assumed-role/Role-1/session-123", "USE1-Claude4.6Opus-output-tokens", 4, "0.1650"),
        ("assumed-role/Role-2/session-456", "USE1-NovaLite-input-tokens", 4, "0.0810"),
        ("assumed-role/Role-2/session-456", "USE1-NovaLite-output-tokens", 4, "0.0500"),
        ("assumed-role/Role-1/user-1@acme.org", "USE1-Claude4.6Opus-input-tokens", 3, "0.283"),
        ("assumed-role/Role-1/user-1@acme.org", "USE1-Claude4.6Opus-output-tokens", 3, "0.990"),
        ("assumed-role/Role-1/user-2@acme.org", "USE1-Claude4.6Sonnet-input-tokens", 3, "0.165"),
        ("assumed-role/Role-1/user-2@acme.org", "USE1-Claude4.6Sonnet-output-tokens", 3, "0.264"),
        ("assumed-role/BedrockRole/gw-user-1", "USE1-Claude4.6Sonnet-input-tokens", 3, "0.081"),
        ("assumed-role/BedrockRole/gw-user-1", "USE1-Claude4.6Sonnet-output-tokens", 3, "0.163"),
        ("assumed-role/BedrockRole/gw-tenant-acme", "USE1-Claude4.6Opus-input-tokens", 3, "0.526"),
        ("assumed-role/BedrockRole/gw-tenant-acme", "USE1-Claude4.6Opus-output-tokens", 3, "0.925"),
    ];
    for (principal, usage, decimals, want) in printed_in_the_post {
        let got = format!(
            "{:.decimals$}",
            cost(principal, usage),
            decimals = *decimals
        );
        assert_eq!(&got, want, "{principal} {usage}");
    }
    // Tags as the post prints them.
    let tags_of = |principal: &str| {
        rows.iter()
            .find(|r| r.principal.ends_with(principal))
            .map(|r| r.tags.clone())
            .unwrap_or_default()
    };
    let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(tags_of(":user/alice"), m(&[("iamPrincipal/team", "ds")]));
    assert_eq!(
        tags_of(":user/user-1"),
        m(&[
            ("iamPrincipal/team", "BedrockDataScience"),
            ("iamPrincipal/cost-center", "12345")
        ])
    );
    assert_eq!(
        tags_of("assumed-role/AppRole/session"),
        m(&[("iamPrincipal/project", "chatbot")])
    );
    assert_eq!(
        tags_of("assumed-role/Role/user@acme.org"),
        m(&[("iamPrincipal/team", "eng")])
    );
    assert_eq!(
        tags_of("Role-2/session-456"),
        m(&[
            ("iamPrincipal/project", "ChatBackend"),
            ("iamPrincipal/cost-center", "12345")
        ])
    );
    assert_eq!(
        tags_of("Role-1/user-2@acme.org"),
        m(&[
            ("iamPrincipal/team", "engineering"),
            ("iamPrincipal/cost-center", "67890")
        ])
    );
    assert_eq!(
        tags_of("gw-tenant-acme"),
        m(&[("iamPrincipal/tenant", "acme-corp")])
    );
    assert!(rows
        .iter()
        .any(|r| r.principal.ends_with(":user/BedrockAPIKey-234s")));

    let mut table = String::from(
        "line_item_iam_principal | line_item_usage_type | line_item_unblended_cost | tags\n",
    );
    for r in &rows {
        let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        table.push_str(&format!(
            "{} | {} | {:.8} | {}\n",
            r.principal,
            r.usage_type,
            r.cost,
            tags.join(",")
        ));
    }
    snapshot_settings().bind(|| insta::assert_snapshot!("blog_launch_bedrock_rows", table));
}

#[test]
fn schema_has_every_configured_column_in_aws_order() {
    let dir = generate("blog-launch", &[]);
    let f = &data_files(&dir.path().join("blog-launch"))[0];
    let b = &read_parquet(f)[0];
    let schema = b.schema();
    let listing: String = schema
        .fields()
        .iter()
        .map(|f| format!("{} {}\n", f.name(), f.data_type()))
        .collect();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "columns are in alphabetical order");
    // 115 base columns + line_item_resource_id + line_item_iam_principal.
    assert_eq!(names.len(), 117);
    snapshot_settings().bind(|| insta::assert_snapshot!("blog_launch_columns", listing));
}

#[test]
fn manifest_lists_columns_and_s3_data_files() {
    let dir = generate("enterprise", &["--scale", "0.05"]);
    let export = dir.path().join("enterprise-cur");
    let manifest = export.join("metadata/BILLING_PERIOD=2026-09/enterprise-cur-Manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let m: serde_json::Value = serde_json::from_str(&text).expect("json");
    let files = m["dataFiles"].as_array().expect("dataFiles");
    assert_eq!(files.len(), data_files(&export).len());
    for f in files {
        let uri = f.as_str().expect("uri");
        let rel = uri
            .strip_prefix("s3://acme-billing-exports/cur2/org/")
            .unwrap_or_else(|| panic!("{uri} is not under the scenario's bucket and prefix"));
        assert!(dir.path().join(rel).exists(), "{rel} exists");
    }
    snapshot_settings().bind(|| insta::assert_snapshot!("enterprise_manifest", text));
}

#[test]
fn layout_follows_data_exports() {
    let dir = generate("s2-app-roles", &[]);
    let listing: Vec<String> = files(dir.path())
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        listing,
        vec![
            "s2-app-roles/data/BILLING_PERIOD=2026-05/s2-app-roles-00001.snappy.parquet",
            "s2-app-roles/data/BILLING_PERIOD=2026-06/s2-app-roles-00001.snappy.parquet",
            "s2-app-roles/metadata/BILLING_PERIOD=2026-05/s2-app-roles-Manifest.json",
            "s2-app-roles/metadata/BILLING_PERIOD=2026-06/s2-app-roles-Manifest.json",
            "s2-app-roles.truth.json",
        ]
    );
}

#[test]
fn output_is_byte_identical_for_any_thread_count_and_seed_dependent() {
    let a = generate("s1-iam-users", &["--threads", "1"]);
    let b = generate("s1-iam-users", &["--threads", "4"]);
    let c = generate("s1-iam-users", &["--threads", "2", "--seed", "99"]);
    let fa = files(a.path());
    assert_eq!(fa, files(b.path()));
    for f in &fa {
        let x = std::fs::read(a.path().join(f)).expect("read");
        let y = std::fs::read(b.path().join(f)).expect("read");
        assert!(x == y, "{} differs between --threads 1 and 4", f.display());
    }
    let data =
        |d: &std::path::Path| std::fs::read(&data_files(&d.join("s1-iam-users"))[0]).expect("read");
    assert_ne!(
        data(a.path()),
        data(c.path()),
        "another seed gives other data"
    );
}

#[test]
fn row_costs_sum_to_the_truth() {
    for (scenario, export) in [
        ("s1-iam-users", "s1-iam-users"),
        ("s3-entra-oidc", "s3-entra-oidc"),
    ] {
        let dir = generate(scenario, &[]);
        let t = truth(dir.path(), export);
        let rows = bedrock_rows(dir.path(), export);
        let total: f64 = rows.iter().map(|r| r.cost).sum();
        let want = t["bedrock_cost_total"].as_f64().expect("total");
        assert!(
            (total - want).abs() < 1e-6,
            "{scenario}: rows {total} vs truth {want}"
        );
        let mut by_principal: BTreeMap<String, f64> = BTreeMap::new();
        for r in &rows {
            *by_principal.entry(r.principal.clone()).or_default() += r.cost;
        }
        for (arn, v) in t["by_principal"].as_object().expect("by_principal") {
            let got = by_principal.get(arn).copied().unwrap_or(0.0);
            assert!(
                (got - v.as_f64().expect("cost")).abs() < 1e-8,
                "{arn}: {got} vs {v}"
            );
        }
        assert_eq!(
            t["rows"].as_u64().expect("rows"),
            count_rows(dir.path(), export)
        );
    }
}

fn count_rows(dir: &std::path::Path, export: &str) -> u64 {
    data_files(&dir.join(export))
        .iter()
        .flat_map(|f| read_parquet(f))
        .map(|b| b.num_rows() as u64)
        .sum()
}

#[test]
fn csv_export_has_header_json_maps_and_all_rows() {
    let dir = generate("blog-launch", &["--format", "csv"]);
    let f = dir
        .path()
        .join("blog-launch/data/BILLING_PERIOD=2026-04/blog-launch-00001.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&f).expect("csv.gz"))
        .read_to_string(&mut text)
        .expect("gunzip");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr.headers().expect("header").clone();
    assert_eq!(header.len(), 117);
    let tags_at = header
        .iter()
        .position(|h| h == "tags")
        .expect("tags column");
    let start_at = header
        .iter()
        .position(|h| h == "line_item_usage_start_date")
        .expect("start");
    let records: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("record")).collect();
    let t = truth(dir.path(), "blog-launch");
    assert_eq!(records.len() as u64, t["rows"].as_u64().expect("rows"));
    for r in &records {
        let tags: serde_json::Value = serde_json::from_str(&r[tags_at]).expect("tags is JSON");
        assert!(tags.is_object());
        assert!(
            r[start_at].ends_with(":00.000Z"),
            "timestamp {}",
            &r[start_at]
        );
    }
    assert!(
        text.contains(r#""{""iamPrincipal/team"":""ds""}""#),
        "maps are quoted JSON objects"
    );
}

/// The CSV export's cells are the Parquet export's values as AWS's CSV writes them: every
/// double in Java `Double.toString` form and bit-for-bit the same value, tax rows as real ones.
#[test]
fn csv_doubles_are_java_strings_of_the_parquet_values() {
    use curlab_generator::csv_text::java_double;
    // s1-iam-users (hourly) plus a service whose hourly cost is below 1e-3 (exponent form).
    let src = format!(
        "{}\n[[background]]\nservice = \"secrets-manager\"\naccount = \"ml-dev\"\n",
        include_str!("../../scenarios/s1-iam-users.toml")
    );
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("s1.toml");
    std::fs::write(&path, src).expect("write");
    let path = path.to_str().expect("utf-8");
    let pq = generate(path, &[]);
    let cv = generate(path, &["--format", "csv"]);
    let export = "s1-iam-users";
    let mut want: Vec<BTreeMap<String, String>> = Vec::new();
    let mut doubles: Vec<String> = Vec::new();
    for f in data_files(&pq.path().join(export)) {
        for b in read_parquet(&f) {
            let schema = b.schema();
            doubles = schema
                .fields()
                .iter()
                .filter(|f| f.data_type() == &arrow_schema::DataType::Float64)
                .map(|f| f.name().clone())
                .collect();
            for i in 0..b.num_rows() {
                let mut row = BTreeMap::new();
                for name in &doubles {
                    let c = f64_col(&b, name);
                    if !c.is_null(i) {
                        row.insert(name.clone(), java_double(c.value(i)));
                    }
                }
                for name in ["identity_line_item_id", "identity_time_interval"] {
                    row.insert(name.into(), str_col(&b, name).value(i).to_string());
                }
                want.push(row);
            }
        }
    }
    assert!(doubles.len() > 20, "{doubles:?}");
    let mut got: Vec<BTreeMap<String, String>> = Vec::new();
    let mut saw_exponent = false;
    let mut tax_rows = 0;
    for f in data_files(&cv.path().join(export)) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&f).expect("csv.gz"))
            .read_to_string(&mut text)
            .expect("gunzip");
        assert!(
            !text.contains('\r') && text.ends_with('\n'),
            "\\n line ends"
        );
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let header = rdr.headers().expect("header").clone();
        let at = |n: &str| header.iter().position(|h| h == n).expect(n);
        for rec in rdr.records() {
            let rec = rec.expect("record");
            let mut row = BTreeMap::new();
            for name in &doubles {
                let cell = &rec[at(name)];
                if cell.is_empty() {
                    continue;
                }
                let x: f64 = cell.parse().expect("a number");
                assert_eq!(cell, java_double(x), "{name}: {cell} is not in Java form");
                saw_exponent |= cell.contains('E');
                row.insert(name.clone(), cell.to_string());
            }
            for name in ["identity_line_item_id", "identity_time_interval"] {
                row.insert(name.into(), rec[at(name)].to_string());
            }
            if &rec[at("line_item_line_item_type")] == "Tax" {
                tax_rows += 1;
                assert_eq!(&rec[at("line_item_usage_amount")], "1.0");
                assert_eq!(&rec[at("pricing_public_on_demand_cost")], "0.0");
                assert_eq!(&rec[at("product_servicecode")], "");
                let product: serde_json::Value =
                    serde_json::from_str(&rec[at("product")]).expect("JSON map");
                assert_eq!(product.as_object().map(|m| m.len()), Some(1));
                assert!(product["product_name"].is_string());
            }
            got.push(row);
        }
    }
    assert!(saw_exponent, "small costs print in exponent form");
    assert!(tax_rows > 0, "s1-iam-users has tax rows");
    let key = |r: &BTreeMap<String, String>| {
        (
            r["identity_line_item_id"].clone(),
            r["identity_time_interval"].clone(),
        )
    };
    want.sort_by_key(key);
    got.sort_by_key(key);
    assert_eq!(
        want.len() as u64,
        truth(pq.path(), export)["rows"].as_u64().expect("rows")
    );
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "CSV and Parquet differ");
    }
}

#[test]
fn existing_export_needs_force_and_is_replaced_whole() {
    let dir = generate("blog-launch", &[]);
    let out = dir.path().to_str().expect("utf-8");
    let before = files(dir.path());
    let o = curlab(&["generate", "blog-launch", "--out", out, "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(files(dir.path()), before, "nothing changed without --force");
    // Refused before the plan is resolved (slow at large scales): a file with the same export
    // name whose plan could not even be resolved still gets the "already exists" answer.
    let scn = tempfile::tempdir().expect("tmp");
    let unresolvable = scn.path().join("blog-launch.toml");
    let src = include_str!("../../scenarios/blog-launch.toml");
    let line = src
        .lines()
        .find(|l| l.starts_with("billing_periods"))
        .expect("blog-launch names its billing periods");
    std::fs::write(&unresolvable, src.replace(line, "billing_periods = []")).expect("write");
    let o = curlab(&[
        "generate",
        unresolvable.to_str().expect("utf-8"),
        "--out",
        out,
        "--quiet",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("already exists"), "{err}");
    let o = curlab(&[
        "generate",
        "blog-launch",
        "--out",
        out,
        "--quiet",
        "--force",
        "--seed",
        "5",
    ]);
    assert!(o.status.success());
    assert_eq!(files(dir.path()), before, "same files, replaced");
    let t = truth(dir.path(), "blog-launch");
    assert_eq!(t["seed"], 5);
}

#[test]
fn create_new_delivery_uses_execution_folders() {
    let src = include_str!("../../scenarios/blog-launch.toml").replace(
        "time_granularity = \"HOURLY\"",
        "time_granularity = \"DAILY\"\ndelivery = \"create-new\"",
    );
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("cn.toml");
    std::fs::write(&path, src).expect("write");
    let out = dir.path().join("out");
    let o = curlab(&[
        "generate",
        path.to_str().expect("p"),
        "--out",
        out.to_str().expect("o"),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let data = data_files(&out.join("blog-launch"));
    assert_eq!(data.len(), 1);
    let folder = data[0]
        .parent()
        .expect("parent")
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    // `<ISO-8601 with ms>Z-<uuid>`, e.g. 2026-05-01T23:48:02.356Z-9b6b32ef-2b70-4d10-9448-07e23ebce6b9
    assert!(folder.starts_with("2026-05-01T23:48:02.356Z-"), "{folder}");
    assert_eq!(folder.len(), "2026-05-01T23:48:02.356Z-".len() + 36);
    for b in read_parquet(&data[0]) {
        let starts = b
            .column_by_name("line_item_usage_start_date")
            .expect("start");
        let ts = starts.as_primitive::<arrow_array::types::TimestampMillisecondType>();
        for i in 0..b.num_rows() {
            assert_eq!(ts.value(i) % 86_400_000, 0, "daily rows start at midnight");
        }
    }
}

#[test]
fn scenarios_lists_every_shipped_scenario() {
    let o = curlab(&["scenarios"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for name in [
        "blog-launch",
        "s1-iam-users",
        "s2-app-roles",
        "s3-okta-saml",
        "s3-entra-oidc",
        "s4-gateway-shared-role",
        "s4-gateway-per-user",
        "enterprise",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} listed"));
        assert!(line.len() > name.len() + 10, "{name} has a description");
    }
}

/// Every row of an export, each rendered as one line of all its column values, sorted.
fn all_rows(export: &std::path::Path) -> Vec<String> {
    use arrow_cast::display::{ArrayFormatter, FormatOptions};
    let mut out = Vec::new();
    for f in data_files(export) {
        for b in read_parquet(&f) {
            let opts = FormatOptions::default().with_null("∅");
            // Timestamps as their integer value: named time zones need chrono-tz to display.
            let cols: Vec<arrow_array::ArrayRef> = b
                .columns()
                .iter()
                .map(|c| match c.data_type() {
                    arrow_schema::DataType::Timestamp(_, _) => {
                        arrow_cast::cast(c, &arrow_schema::DataType::Int64).expect("cast")
                    }
                    _ => c.clone(),
                })
                .collect();
            let fmts: Vec<ArrayFormatter<'_>> = cols
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).expect("formatter"))
                .collect();
            for i in 0..b.num_rows() {
                let cells: Vec<String> = fmts.iter().map(|f| f.value(i).to_string()).collect();
                out.push(cells.join("|"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn parts_union_equals_the_unsharded_export() {
    for scenario in ["s1-iam-users", "s2-app-roles"] {
        let whole = generate(scenario, &[]);
        let want = all_rows(&whole.path().join(scenario));
        let mut union = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        let mut dirs = Vec::new();
        for part in ["0", "1", "2"] {
            let d = generate(scenario, &["--parts", "3", "--part", part]);
            let root = d.path().join(scenario);
            for f in data_files(&root) {
                let rel = f.strip_prefix(&root).expect("inside the export").to_owned();
                assert!(names.insert(rel), "file paths are unique across parts");
            }
            union.extend(all_rows(&d.path().join(scenario)));
            dirs.push(d);
        }
        union.sort();
        assert_eq!(union.len(), want.len(), "{scenario}: row count");
        assert!(
            union == want,
            "{scenario}: the parts' rows differ from the whole export's"
        );
        let cost = |d: &tempfile::TempDir| {
            truth(d.path(), scenario)["bedrock_cost_total"]
                .as_f64()
                .expect("cost")
        };
        let sum: f64 = dirs.iter().map(cost).sum();
        assert!(
            (sum - cost(&whole)).abs() < 1e-6,
            "the parts' truths add up to the whole"
        );
    }
}

#[test]
fn bad_part_arguments_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().to_str().expect("utf-8");
    // (extra arguments, what stderr must say); each is refused before anything is written.
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &["--parts", "2", "--part", "2"],
            &["--part 2 is not one of 0..2"],
        ),
        // More parts than days: a part would own nothing (it once failed at the final rename).
        (
            &["--parts", "400", "--part", "0"],
            &["--parts 400 is more than the", "days", "or fewer"],
        ),
        (
            &["--parts", "2", "--inject", "cost-mismatch"],
            &["cannot be combined"],
        ),
    ];
    for (extra, want) in cases {
        let mut args = vec!["generate", "blog-launch", "--out", out];
        args.extend_from_slice(extra);
        let o = curlab(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        for w in want {
            assert!(err.contains(w), "{extra:?}: want `{w}`: {err}");
        }
        assert!(
            std::fs::read_dir(dir.path()).expect("out").next().is_none(),
            "{extra:?}: nothing written"
        );
    }
}

#[test]
fn large_periods_split_into_numbered_files_all_in_the_manifest() {
    let dir = generate("s1-iam-users", &["--max-rows-per-file", "5000"]);
    let export = dir.path().join("s1-iam-users");
    let files = data_files(&export);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().expect("n").to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 5, "22,150 rows at 5,000 per file: {names:?}");
    assert_eq!(names[0], "s1-iam-users-00001.snappy.parquet");
    assert_eq!(names[4], "s1-iam-users-00005.snappy.parquet");
    let rows: Vec<usize> = files
        .iter()
        .map(|f| read_parquet(f).iter().map(|b| b.num_rows()).sum())
        .collect();
    assert!(rows[..4].iter().all(|n| *n == 5000), "{rows:?}");
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            export.join("metadata/BILLING_PERIOD=2026-05/s1-iam-users-Manifest.json"),
        )
        .expect("m"),
    )
    .expect("json");
    assert_eq!(m["dataFiles"].as_array().expect("files").len(), 5);
}

/// Priority on gpt-oss, Nova Pro batch through the global profile, Claude Sonnet 4.5 above and
/// below 200K input tokens, Sonnet 4.6 far above it, Opus 4.6 on the Marketplace in the
/// snake_case spelling, and a Sonnet 4 workload whose prompts straddle 200K.
const SPELLINGS: &str = r#"
[scenario]
name = "spellings"
seed = 3

[export]
billing_periods = ["2026-05"]

[organization]
payer = { id = "111122223333", name = "payer" }

[[iam_users]]
account = "payer"
name = "alice"

[[models]]
id = "claude-opus-4.6"
billing = "marketplace"
marketplace_spelling = "snake"

[[workloads]]
principals = ["user:alice"]
model = "claude-sonnet-4"
requests_per_day = 20
input_tokens = { mean = 180000, cv = 0.5 }
output_tokens = { mean = 1000 }
cache_read_share = 0.5
global_share = 0.5

[[requests]]
time = "2026-05-04T10:00:00Z"
principal = "user:alice"
model = "gpt-oss-120b"
input_tokens = 1000000
output_tokens = 1000000
service_tier = "priority"

[[requests]]
time = "2026-05-04T11:00:00Z"
principal = "user:alice"
model = "nova-pro"
input_tokens = 1000000
batch = true
global = true

[[requests]]
time = "2026-05-04T12:00:00Z"
principal = "user:alice"
model = "claude-sonnet-4.5"
input_tokens = 150000
cache_read_tokens = 100000
output_tokens = 10000

[[requests]]
time = "2026-05-04T13:00:00Z"
principal = "user:alice"
model = "claude-sonnet-4.5"
input_tokens = 150000
output_tokens = 10000

[[requests]]
time = "2026-05-04T14:00:00Z"
principal = "user:alice"
model = "claude-sonnet-4.6"
input_tokens = 300000

[[requests]]
time = "2026-05-04T15:00:00Z"
principal = "user:alice"
model = "claude-opus-4.6"
input_tokens = 1000000
global = true

[[requests]]
time = "2026-05-04T16:00:00Z"
principal = "user:alice"
model = "claude-opus-4.6"
output_tokens = 1000000
"#;

#[test]
fn bedrock_spellings_tiers_and_long_context_rates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("spellings.toml");
    std::fs::write(&path, SPELLINGS).expect("write");
    let out = dir.path().join("out");
    let o = curlab(&[
        "generate",
        path.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // (usage type, unit, usage amount, cost, resource id) of every Bedrock row.
    let mut rows: Vec<(String, String, f64, f64, String)> = Vec::new();
    for f in data_files(&out.join("spellings")) {
        for b in read_parquet(&f) {
            let (u, unit, amount, cost, res, fam) = (
                str_col(&b, "line_item_usage_type"),
                str_col(&b, "pricing_unit"),
                f64_col(&b, "line_item_usage_amount"),
                f64_col(&b, "line_item_unblended_cost"),
                str_col(&b, "line_item_resource_id"),
                str_col(&b, "product_product_family"),
            );
            for i in 0..b.num_rows() {
                if !fam.is_null(i) && fam.value(i) == "Amazon Bedrock" {
                    rows.push((
                        u.value(i).to_string(),
                        unit.value(i).to_string(),
                        amount.value(i),
                        cost.value(i),
                        res.value(i).to_string(),
                    ));
                }
            }
        }
    }
    let cost_of =
        |usage_type: &str| -> f64 { rows.iter().filter(|r| r.0 == usage_type).map(|r| r.3).sum() };
    let near = |a: f64, b: f64| (a - b).abs() < 1e-9;
    // Priority: 1.75 × $0.15 and × $0.60 per 1M (1M tokens each).
    assert!(near(
        cost_of("USE1-gpt-oss-120b-input-tokens-priority"),
        0.2625
    ));
    assert!(near(
        cost_of("USE1-gpt-oss-120b-output-tokens-priority"),
        1.05
    ));
    // Batch through the global profile: global first, batch last; half of $0.80.
    let nb = rows
        .iter()
        .find(|r| r.0 == "USE1-NovaPro-input-tokens-cross-region-global-batch")
        .expect("global batch row");
    assert!(near(nb.3, 0.40));
    assert!(
        nb.4.starts_with(
            "arn:aws:bedrock:us-east-1:111122223333:inference-profile/global.amazon.nova-pro"
        ),
        "{}",
        nb.4
    );
    // Sonnet 4.5: 250K input tokens (150K + 100K cache reads) → the whole request at long-context
    // rates, regional premium first: input $6.60, output $24.75, cache read $0.66 per 1M.
    assert!(near(
        cost_of("USE1-Claude4.5Sonnet-input-tokens-long-context"),
        0.150 * 6.60
    ));
    assert!(near(
        cost_of("USE1-Claude4.5Sonnet-output-tokens-long-context"),
        0.010 * 24.75
    ));
    assert!(near(
        cost_of("USE1-Claude4.5Sonnet-cache-read-input-token-count-long-context"),
        0.100 * 0.66
    ));
    // 150K alone stays at the standard rates ($3.30 / $16.50).
    assert!(near(
        cost_of("USE1-Claude4.5Sonnet-input-tokens"),
        0.150 * 3.30
    ));
    assert!(near(
        cost_of("USE1-Claude4.5Sonnet-output-tokens"),
        0.010 * 16.50
    ));
    // Sonnet 4.6 has no long-context surcharge.
    assert!(near(
        cost_of("USE1-Claude4.6Sonnet-input-tokens"),
        0.300 * 3.30
    ));
    assert!(!rows
        .iter()
        .any(|r| r.0.contains("4.6Sonnet") && r.0.contains("long")));
    // Marketplace snake_case: Units of 1M tokens.
    let mp = rows
        .iter()
        .find(|r| r.0 == "USE1-MP:USE1_input_tokens_global_standard-Units")
        .expect("snake global row");
    assert_eq!((mp.1.as_str(), mp.2), ("Units", 1.0));
    assert!(near(mp.3, 5.0));
    assert!(near(
        cost_of("USE1-MP:USE1_output_tokens_standard-Units"),
        27.5
    ));
    // The Sonnet 4 workload: prompts on both sides of 200K, global and regional.
    for u in [
        "USE1-Claude4Sonnet-input-tokens-long-context-cross-region-global",
        "USE1-Claude4Sonnet-cache-read-input-token-count-long-context",
        "USE1-Claude4Sonnet-input-tokens",
        "USE1-Claude4Sonnet-output-tokens-long-context",
    ] {
        assert!(rows.iter().any(|r| r.0 == u), "no {u} row");
    }
    // Every row's rate follows from its usage type, and the truth reconciles.
    let total: f64 = rows.iter().map(|r| r.3).sum();
    let t = truth(&out, "spellings");
    assert!((total - t["bedrock_cost_total"].as_f64().expect("total")).abs() < 1e-6);
    let o = curlab(&[
        "verify",
        out.join("spellings").to_str().expect("utf-8"),
        "--truth",
        out.join("spellings.truth.json").to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // The report sees the token types and models in every spelling.
    let o = curlab(&[
        "report",
        out.join("spellings").to_str().expect("utf-8"),
        "--group-by",
        "token-type",
        "--format",
        "csv",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(!text.contains("(other)"), "{text}");
}

/// The writer's paths, file names and manifest parse back with the shared layout module and
/// in the reader's discovery, for both encodings and both delivery modes.
#[test]
fn writer_paths_parse_back_in_the_reader() {
    use curlab_vocab::export_layout::{self as layout, Area, Encoding};
    let src = include_str!("../../scenarios/blog-launch.toml").replace(
        "time_granularity = \"HOURLY\"",
        "time_granularity = \"DAILY\"\ndelivery = \"create-new\"",
    );
    let dir = tempfile::tempdir().expect("tmp");
    let cn = dir.path().join("cn.toml");
    std::fs::write(&cn, src).expect("write");
    let cases = [
        ("blog-launch", Encoding::Parquet, false),
        ("blog-launch", Encoding::CsvGz, false),
        (cn.to_str().expect("p"), Encoding::CsvGz, true),
    ];
    for (scenario, encoding, create_new) in cases {
        let format = if encoding == Encoding::Parquet {
            "parquet"
        } else {
            "csv"
        };
        let out = generate(scenario, &["--format", format]);
        let export = out.path().join("blog-launch");
        let rels: Vec<String> = files(&export)
            .iter()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect();
        let (manifests, data): (Vec<&String>, Vec<&String>) =
            rels.iter().partition(|r| r.starts_with("metadata/"));
        assert_eq!(
            manifests,
            [&layout::manifest_path("blog-launch", "2026-04")
                .trim_start_matches("blog-launch/")
                .to_string()],
            "{rels:?}"
        );
        assert!(!data.is_empty());
        for rel in &data {
            let keyed = format!("blog-launch/{rel}");
            let at = layout::locate(&keyed, Area::Data).expect("in data/BILLING_PERIOD=");
            assert_eq!(at.root, "blog-launch");
            assert!(layout::is_period(at.period), "{rel}");
            let (exec, file) = match at.rest.split_once('/') {
                Some((e, f)) => (Some(e), f),
                None => (None, at.rest),
            };
            assert_eq!(exec.is_some(), create_new, "{rel}");
            assert_eq!(
                layout::parse_data_file_name(file, "blog-launch").map(|(_, e)| e),
                Some(encoding),
                "{rel}"
            );
        }
        // The manifest's s3:// URIs point at exactly the files written.
        let text = std::fs::read_to_string(export.join(manifests[0])).expect("manifest");
        let listing: layout::ManifestListing = serde_json::from_str(&text).expect("json");
        let mut listed: Vec<String> = listing
            .data_files
            .iter()
            .map(|u| layout::data_relative(u, "blog-launch"))
            .collect();
        listed.sort();
        let mut written: Vec<String> = data.iter().map(|r| r.to_string()).collect();
        written.sort();
        assert_eq!(listed, written);
        // And the reader's discovery finds the same files, in their billing period.
        let found = curlab_reader::input::discover(&[export.to_string_lossy().into_owned()], None)
            .expect("discover");
        assert!(found.has_export_layout);
        assert!(found.notes.is_empty(), "{:?}", found.notes);
        let mut seen: Vec<String> = found
            .files
            .iter()
            .map(|f| {
                assert_eq!(f.period.as_deref(), Some("2026-04"));
                f.path
                    .strip_prefix(&export)
                    .expect("inside")
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        seen.sort();
        assert_eq!(seen, written);
        assert_eq!(found.manifests.len(), 1);
        assert!(found.manifests[0].missing_files.is_empty());
        assert!(found.manifests[0].unlisted_files.is_empty());
    }
}
