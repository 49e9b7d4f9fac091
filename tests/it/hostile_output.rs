//! Output safety: values from the data (tag keys and values, ARNs, usage types) full of
//! terminal escapes, bidi overrides, HTML, spreadsheet formulas, XML-breaking and NUL bytes go
//! through every output of `verify`, `report` and `diff`. Text has no control characters, HTML
//! is escaped, CSV cells cannot start a formula, and JSON, SARIF and JUnit XML parse (XML with
//! Python's strict parser).

use std::io::{Read, Write};
use std::time::Duration;

/// Hostile strings; each lands in a tag value, a tag key, a principal or a usage type.
const EVIL: &[&str] = &[
    "\u{1b}[2J\u{1b}]0;pwned\u{7}",
    "=HYPERLINK(\"http://evil\",\"x\")",
    "+SUM(1)",
    "-2+3",
    "@cmd",
    "\tlead-tab",
    "<script>alert(1)</script>",
    "\"]]></failure><x a='",
    "&amp;&#0;",
    "\u{202e}cod.exe",
    "nul\u{0}byte",
    "cr\rreturn",
    "\u{9b}31mC1",
    "\u{fffe}\u{ffff}",
];

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

/// The shipped scenario planted with hostile values: one data file with thousands of Bedrock
/// rows (blog-launch has 26 Bedrock rows with a principal, fewer than the two per hostile
/// string this needs).
const SCENARIO: &str = "s1-iam-users";

/// A generated CSV export with hostile values planted in Bedrock rows.
fn hostile_export(dir: &std::path::Path) -> std::path::PathBuf {
    let out = crate::hostile::generate(dir, SCENARIO, &["--format", "csv"]);
    let file = crate::hostile::only_data_file(&out.join(SCENARIO));
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&file).expect("open"))
        .read_to_end(&mut text)
        .expect("gunzip");
    let mut r = csv::Reader::from_reader(text.as_slice());
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let mut rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.expect("row").iter().map(String::from).collect())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n).expect("column");
    let (code, principal, tags, usage) = (
        col("line_item_product_code"),
        col("line_item_iam_principal"),
        col("tags"),
        col("line_item_usage_type"),
    );
    // Every Bedrock product code: models billed under AmazonBedrockService count as much.
    let bedrock: Vec<usize> = (0..rows.len())
        .filter(|i| {
            curlab_vocab::bedrock::BEDROCK_PRODUCT_CODES.contains(&rows[*i][code].as_str())
                && !rows[*i][principal].is_empty()
        })
        .collect();
    assert!(
        bedrock.len() >= EVIL.len() * 2,
        "not enough Bedrock rows with a principal in {SCENARIO}: {} of {} rows, need {}",
        bedrock.len(),
        rows.len(),
        EVIL.len() * 2
    );
    for (k, evil) in EVIL.iter().enumerate() {
        let a = bedrock[2 * k];
        let b = bedrock[2 * k + 1];
        let mut map = serde_json::Map::new();
        map.insert("iamPrincipal/team".into(), (*evil).into());
        map.insert(format!("iamPrincipal/{evil}"), "v".into());
        rows[a][tags] = serde_json::Value::Object(map).to_string();
        rows[b][principal] = format!("arn:aws:iam::123456789012:user/{evil}");
        if k % 3 == 0 {
            rows[b][usage] = format!("USE1-{evil}-input-tokens");
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("h");
    for r in &rows {
        w.write_record(r).expect("r");
    }
    std::fs::write(&file, gz(&w.into_inner().expect("csv"))).expect("write");
    out
}

fn no_terminal_controls(what: &str, s: &str) {
    let bad: Vec<char> = s
        .chars()
        .filter(|c| {
            (c.is_control() && *c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: control characters {bad:?} in text output"
    );
}

fn xml_parses(what: &str, xml: &str) {
    let py = crate::hostile::python();
    let mut child = std::process::Command::new(py)
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; E.fromstring(sys.stdin.buffer.read())",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("pipe");
    let o = child.wait_with_output().expect("python");
    assert!(
        o.status.success(),
        "{what} is not well-formed XML: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn run(cwd: &std::path::Path, args: &[&str]) -> crate::hostile::Outcome {
    let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let o = crate::hostile::run_in(cwd, &a, Duration::from_secs(120));
    assert!(
        matches!(o.code, Some(0 | 1)),
        "curlab {}: {}",
        args.join(" "),
        o.stderr
    );
    no_terminal_controls(&format!("stderr of {}", args.join(" ")), &o.stderr);
    o
}

fn formula_safe(what: &str, csv_text: &str) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv_text.as_bytes());
    for rec in r.records() {
        let rec = rec.expect("the report CSV parses");
        for cell in rec.iter() {
            let numeric = cell.parse::<f64>().is_ok();
            if let Some(c) = cell.chars().next() {
                assert!(
                    numeric || !matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'),
                    "{what}: cell {cell:?} starts a formula"
                );
            }
        }
    }
}

#[test]
fn hostile_values_are_escaped_in_every_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = hostile_export(dir.path());
    let export = SCENARIO;

    // verify: text, JSON, SARIF, JUnit.
    let text = run(&out, &["verify", export, "--max-samples", "50"]);
    no_terminal_controls("verify text", &text.stdout);
    assert!(
        text.stdout.contains("PR002"),
        "the planted ARNs are findings: {}",
        text.stdout
    );
    // The value survives, escaped: in JSON sample values as a JSON string escape; in SARIF,
    // whose message text quotes sample values for display, as a visible `\u{1b}` (so SARIF
    // viewers never receive a raw ESC, not even a JSON-escaped one).
    for (format, escaped, absent) in [
        ("json", "\\u001b[2J", None),
        ("sarif", "\\\\u{1b}[2J", Some("\\u001b")),
    ] {
        let o = run(
            &out,
            &["verify", export, "--format", format, "--max-samples", "50"],
        );
        serde_json::from_str::<serde_json::Value>(&o.stdout)
            .unwrap_or_else(|e| panic!("verify {format} is not JSON: {e}"));
        assert!(
            o.stdout.contains(escaped),
            "verify {format}: ESC is escaped as {escaped}"
        );
        if let Some(raw) = absent {
            assert!(
                !o.stdout.contains(raw),
                "verify {format}: an ESC reaches the output as {raw}"
            );
        }
    }
    let junit = run(
        &out,
        &["verify", export, "--format", "junit", "--max-samples", "50"],
    );
    xml_parses("verify junit", &junit.stdout);
    assert!(!junit.stdout.contains("<script>"), "raw markup in JUnit");

    // report: table, CSV, JSON, HTML.
    let groups = [
        "--group-by",
        "tag:team",
        "--group-by",
        "principal",
        "--group-by",
        "usage-type",
    ];
    let mut args = vec!["report", export];
    args.extend(groups);
    let table = run(&out, &args);
    no_terminal_controls("report table", &table.stdout);
    assert!(
        table.stdout.contains("<script>alert(1)</script>"),
        "values are kept, only controls replaced"
    );
    let mut csv_args = args.clone();
    csv_args.extend(["--format", "csv"]);
    formula_safe("report csv", &run(&out, &csv_args).stdout);
    let mut json_args = args.clone();
    json_args.extend(["--format", "json"]);
    let json = run(&out, &json_args);
    serde_json::from_str::<serde_json::Value>(&json.stdout).expect("report JSON parses");
    let mut html_args = args.clone();
    html_args.extend(["--format", "html", "--out", "r.html"]);
    run(&out, &html_args);
    let html = std::fs::read_to_string(out.join("r.html")).expect("html written");
    assert!(
        !html.contains("<script"),
        "a <script> from the data reached the HTML"
    );
    assert!(
        html.contains("&lt;script&gt;"),
        "the value is shown escaped"
    );
    assert!(
        !html.contains('\u{1b}') && !html.contains('\u{0}'),
        "control characters in HTML"
    );

    // diff: the export against itself with a tag grouping, as table and CSV.
    let diff = run(&out, &["diff", export, export, "--group-by", "tag:team"]);
    no_terminal_controls("diff table", &diff.stdout);
    let diff_csv = run(
        &out,
        &[
            "diff",
            export,
            export,
            "--group-by",
            "tag:team",
            "--format",
            "csv",
        ],
    );
    formula_safe("diff csv", &diff_csv.stdout);

    crate::hostile::documented(&[
        "out-verify-text",
        "out-verify-json",
        "out-verify-sarif",
        "out-verify-junit",
        "out-report-table",
        "out-report-csv",
        "out-report-json",
        "out-report-html",
        "out-diff-table",
        "out-diff-csv",
    ]);
}

#[test]
fn errors_on_stderr_have_no_terminal_controls() {
    // A file whose name carries an escape sequence: the error names it, made harmless.
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "evil\u{1b}[2J\u{7}.parquet";
    std::fs::write(dir.path().join(name), b"PAR1garbagePAR1").expect("write");
    let o = crate::hostile::run_in(
        dir.path(),
        &["verify".to_string(), name.to_string()],
        Duration::from_secs(60),
    );
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    no_terminal_controls("verify error", &o.stderr);
    assert!(
        o.stderr.contains("evil\u{fffd}[2J\u{fffd}.parquet"),
        "{}",
        o.stderr
    );
    // A scenario whose export name carries one.
    std::fs::write(
        dir.path().join("s.toml"),
        "[scenario]\nname = \"a\\u001b]0;x\\u0007\"\n[export]\nbilling_periods = [\"2026-05\"]\n[organization]\npayer = { id = \"123456789012\", name = \"p\" }\n",
    )
    .expect("write");
    let o = crate::hostile::run_in(
        dir.path(),
        &["generate", "s.toml", "--out", "out"].map(String::from),
        Duration::from_secs(60),
    );
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    no_terminal_controls("generate error", &o.stderr);
    crate::hostile::documented(&[
        "out-error-file-name-escape",
        "out-error-scenario-value-escape",
    ]);
}
