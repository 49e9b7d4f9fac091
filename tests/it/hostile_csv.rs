//! Hostile and broken CSV / CSV.gz, through the real binary: each case is a generated CSV.gz
//! export file changed in one way. It either exits 2 naming the file, the line and a fix, or is
//! read and judged by the rules; none may panic or hang. A case whose bytes are gzip is written
//! as `<id>.csv.gz`, any other as `<id>.csv` (a `.gz` name must hold gzip), except the cases
//! whose id ends in `-named-gz`, which test exactly that.

use std::fs;
use std::io::{Read, Write};
use std::time::Duration;

use crate::hostile::{error, Case, Expect};

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut s = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut s)
        .expect("gunzip");
    s
}

/// The CSV as header + records (fields unquoted by a real CSV reader).
fn parse(text: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new().from_reader(text);
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = r
        .records()
        .map(|x| x.expect("record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Header and rows as CSV. Flexible: some cases (a short header) deliberately give rows a
/// different field count than the header.
fn write_csv(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(header).expect("header");
    for r in rows {
        w.write_record(r).expect("row");
    }
    w.into_inner().expect("csv")
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// Index of the first Bedrock usage row with a principal (any Bedrock product code: models
/// billed as AmazonBedrockService count too). In blog-launch that is alice's IAM user ARN, so
/// a principal made malformed is PR002 (an assumed-role session name would be PR006).
fn bedrock_row(header: &[String], rows: &[Vec<String>]) -> usize {
    let p = col(header, "line_item_iam_principal");
    let c = col(header, "line_item_product_code");
    let b = rows
        .iter()
        .position(|r| {
            curlab_vocab::bedrock::BEDROCK_PRODUCT_CODES.contains(&r[c].as_str())
                && !r[p].is_empty()
        })
        .expect("a Bedrock row with a principal");
    assert!(
        rows[b][p].contains(":user/"),
        "the first Bedrock principal is an IAM user: {}",
        rows[b][p]
    );
    b
}

/// `(id, file bytes, expectation)`; `{file}` in needles is the case's file name.
fn cases(good_gz: &[u8]) -> Vec<(String, Vec<u8>, Expect)> {
    use Expect::*;
    let text = gunzip(good_gz);
    let (header, rows) = parse(&text);
    let b = bedrock_row(&header, &rows);
    let mut v: Vec<(String, Vec<u8>, Expect)> = Vec::new();
    let mut add = |id: &str, bytes: Vec<u8>, e: Expect| v.push((id.to_string(), bytes, e));
    let edit = |f: &dyn Fn(&mut Vec<Vec<String>>)| {
        let mut r = rows.clone();
        f(&mut r);
        gz(&write_csv(&header, &r))
    };

    add("csv-reference", good_gz.to_vec(), SameAsReference);
    add("csv-plain-not-gzipped", text.clone(), SameAsReference);
    add(
        "csv-plain-named-gz",
        text.clone(),
        error(&["{file}", "not a gzip file", "byte 0", "rename it to .csv"]),
    );
    add(
        "csv-parquet-bytes-named-gz",
        b"PAR1\x00\x01\x02PAR1".to_vec(),
        error(&["{file}", "not a gzip file", "PAR1"]),
    );
    let bom = [&b"\xef\xbb\xbf"[..], &text[..]].concat();
    add("csv-bom", gz(&bom), SameAsReference);
    add("csv-bom-plain", bom.clone(), SameAsReference);
    let crlf: Vec<u8> = String::from_utf8_lossy(&text)
        .replace('\n', "\r\n")
        .into_bytes();
    add("csv-crlf", gz(&crlf), SameAsReference);
    let cr_only: Vec<u8> = String::from_utf8_lossy(&text)
        .replace('\n', "\r")
        .into_bytes();
    add("csv-cr-only-line-ends", gz(&cr_only), SameAsReference);
    add(
        "csv-bom-crlf",
        gz(&[&b"\xef\xbb\xbf"[..], &crlf[..]].concat()),
        SameAsReference,
    );
    let no_final_newline = text[..text.len() - 1].to_vec();
    add(
        "csv-no-final-newline",
        gz(&no_final_newline),
        SameAsReference,
    );
    let blank_lines: Vec<u8> = [&text[..], &b"\n\n\n"[..]].concat();
    add(
        "csv-trailing-blank-lines",
        gz(&blank_lines),
        SameAsReference,
    );
    add(
        "csv-gzip-multi-member",
        [gz(&text[..text.len() / 2]), gz(&text[text.len() / 2..])].concat(),
        SameAsReference,
    );
    add(
        "csv-gzip-best-compression",
        {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&text).expect("gz");
            e.finish().expect("gz")
        },
        SameAsReference,
    );

    // Wrong column counts: line numbers are 1-based and count the header.
    let line = b + 2;
    let needle = format!("line {line}");
    let lines: Vec<&[u8]> = text.split(|c| *c == b'\n').collect();
    let with_line = |new: Vec<u8>| {
        let mut l: Vec<Vec<u8>> = lines.iter().map(|x| x.to_vec()).collect();
        l[line - 1] = new;
        l.join(&b'\n')
    };
    let short = {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        w.write_record(&rows[b][..rows[b].len() - 1]).expect("row");
        let mut v = w.into_inner().expect("csv");
        v.pop();
        v
    };
    let fields = format!("{} fields", header.len() - 1);
    add(
        "csv-row-one-field-short",
        gz(&with_line(short)),
        error(&["{file}", &needle, &fields, "the header has"]),
    );
    let long = [lines[line - 1], &b",extra"[..]].concat();
    let fields = format!("{} fields", header.len() + 1);
    add(
        "csv-row-one-field-long",
        gz(&with_line(long)),
        error(&["{file}", &needle, &fields]),
    );
    add(
        "csv-row-empty-line-in-middle",
        gz(&with_line(b"x".to_vec())),
        error(&["{file}", &needle, "1 fields"]),
    );
    add(
        "csv-last-row-short",
        gz(&[&text[..], &b"a,b,c\n"[..]].concat()),
        error(&["{file}", "3 fields"]),
    );
    let mut short_header = header.clone();
    short_header.pop();
    add(
        "csv-header-short",
        gz(&write_csv(&short_header, &rows)),
        error(&["{file}", "line 2", "the header has"]),
    );

    // Quoting.
    let unterminated = with_line([&b"\""[..], lines[line - 1]].concat());
    add(
        "csv-unterminated-quote",
        gz(&unterminated),
        error(&["{file}", &needle]),
    );
    let mid_quote = with_line(
        String::from_utf8_lossy(lines[line - 1])
            .replacen("AmazonBedrock", "Amazon\"Bedrock", 1)
            .into_bytes(),
    );
    add("csv-quote-inside-unquoted-field", gz(&mid_quote), Readable);
    let quoted_all: Vec<u8> = {
        let mut w = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .from_writer(Vec::new());
        w.write_record(&header).expect("h");
        for r in &rows {
            w.write_record(r).expect("r");
        }
        w.into_inner().expect("csv")
    };
    add("csv-every-field-quoted", gz(&quoted_all), SameAsReference);
    let newline_in_field = edit(&|r| {
        let c = col(&header, "line_item_line_item_description");
        r[b][c] = "two\nlines, \"quoted\"".into();
    });
    add(
        "csv-newline-inside-quoted-field",
        newline_in_field,
        Readable,
    );

    // Broken gzip.
    let n = good_gz.len();
    add(
        "csv-gzip-truncated-half",
        good_gz[..n / 2].to_vec(),
        error(&["{file}", "cannot read CSV", "gzip"]),
    );
    add(
        "csv-gzip-truncated-10-bytes",
        good_gz[..10].to_vec(),
        error(&["{file}", "cannot read CSV"]),
    );
    add(
        "csv-gzip-truncated-trailer",
        good_gz[..n - 4].to_vec(),
        error(&["{file}", "cannot read CSV"]),
    );
    add(
        "csv-gzip-magic-only",
        vec![0x1f, 0x8b],
        error(&["{file}", "cannot read CSV"]),
    );
    let mut flipped = good_gz.to_vec();
    for b in flipped[n / 3..n / 3 + 32].iter_mut().step_by(3) {
        *b ^= 0x5a;
    }
    add(
        "csv-gzip-corrupt-deflate",
        flipped,
        error(&["{file}", "cannot read CSV"]),
    );
    let mut crc = good_gz.to_vec();
    crc[n - 8] ^= 0xff;
    add(
        "csv-gzip-bad-crc",
        crc,
        error(&["{file}", "cannot read CSV"]),
    );
    let mut method = good_gz.to_vec();
    method[2] = 7;
    add(
        "csv-gzip-bad-method",
        method,
        error(&["{file}", "cannot read CSV"]),
    );
    add(
        "csv-gzip-trailing-garbage",
        [good_gz, &b"garbage after the gzip member"[..]].concat(),
        error(&["{file}", "cannot read CSV"]),
    );
    add(
        "csv-gzip-of-nothing",
        gz(b""),
        error(&["{file}", "no header row"]),
    );
    add(
        "csv-gzip-of-parquet-bytes",
        gz(b"PAR1\x00\x01\x02PAR1"),
        ErrorOrReport(String::new()),
    );

    // Map columns that are not JSON objects.
    let tags = col(&header, "tags");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for (id, value) in [
        ("csv-map-key-equals-value", "team=ds"),
        ("csv-map-json-array", "[\"team\",\"ds\"]"),
        ("csv-map-json-string", "\"team\""),
        ("csv-map-json-number", "42"),
        ("csv-map-truncated-json", "{\"iamPrincipal/team\":\"d"),
        ("csv-map-single-quotes", "{'iamPrincipal/team': 'ds'}"),
        ("csv-map-python-repr", "{'a': None}"),
        ("csv-map-deeply-nested-json", deep.as_str()),
    ] {
        add(
            id,
            edit(&|r| r[b][tags] = value.into()),
            Findings(vec!["SC002"]),
        );
    }
    add(
        "csv-map-json-nested-values",
        edit(&|r| {
            r[b][tags] = "{\"iamPrincipal/team\":{\"a\":[1,2]},\"iamPrincipal/n\":null}".into()
        }),
        Readable,
    );
    add(
        "csv-map-json-duplicate-keys",
        edit(&|r| r[b][tags] = "{\"iamPrincipal/team\":\"a\",\"iamPrincipal/team\":\"b\"}".into()),
        Readable,
    );
    add(
        "csv-map-empty-object",
        edit(&|r| r[b][tags] = "{}".into()),
        Readable,
    );
    let product = col(&header, "product");
    add(
        "csv-map-product-not-json",
        edit(&|r| r[b][product] = "product_name=Bedrock".into()),
        Findings(vec!["SC002"]),
    );

    // Numbers: scientific notation, empty, garbage, non-finite.
    let cost = col(&header, "line_item_unblended_cost");
    let rate = col(&header, "line_item_unblended_rate");
    let amount = col(&header, "line_item_usage_amount");
    let sci = edit(&|r| {
        for row in r.iter_mut() {
            for c in [cost, rate, amount] {
                if let Ok(x) = row[c].parse::<f64>() {
                    row[c] = format!("{x:e}");
                }
            }
        }
    });
    add("csv-number-scientific-lower-e", sci, SameAsReference);
    let sci_upper = edit(&|r| {
        for row in r.iter_mut() {
            if let Ok(x) = row[cost].parse::<f64>() {
                row[cost] = format!("{x:E}");
            }
        }
    });
    add("csv-number-scientific-upper-e", sci_upper, SameAsReference);
    add(
        "csv-number-leading-plus",
        edit(&|r| r[b][amount] = format!("+{}", r[b][amount])),
        SameAsReference,
    );
    add(
        "csv-number-spaces-around",
        edit(&|r| r[b][amount] = format!("  {} ", r[b][amount])),
        SameAsReference,
    );
    add(
        "csv-number-empty-cost",
        edit(&|r| r[b][cost] = String::new()),
        Readable,
    );
    add(
        "csv-number-empty-everywhere",
        edit(&|r| {
            for row in r.iter_mut() {
                row[cost] = String::new();
                row[amount] = String::new();
            }
        }),
        Readable,
    );
    for (id, value) in [
        ("csv-number-decimal-comma", "0,0125"),
        ("csv-number-text", "twelve"),
        ("csv-number-currency-sign", "$0.01"),
        ("csv-number-thousands-separator", "1,234.5"),
        ("csv-number-hex", "0x10"),
    ] {
        add(
            id,
            edit(&|r| r[b][amount] = value.into()),
            Findings(vec!["SC002"]),
        );
    }
    for (id, value) in [
        ("csv-number-nan", "NaN"),
        ("csv-number-inf", "inf"),
        ("csv-number-minus-infinity", "-Infinity"),
        ("csv-number-overflow", "1e400"),
    ] {
        add(
            id,
            edit(&|r| r[b][cost] = value.into()),
            Findings(vec!["SC002"]),
        );
    }
    add(
        "csv-number-tiny-subnormal",
        edit(&|r| r[b][cost] = "4.9e-324".into()),
        Readable,
    );
    add(
        "csv-number-negative-zero",
        edit(&|r| r[b][cost] = "-0".into()),
        Readable,
    );

    // Timestamps.
    let start = col(&header, "line_item_usage_start_date");
    for (id, value) in [
        ("csv-timestamp-garbage", "yesterday"),
        ("csv-timestamp-impossible-date", "2026-02-30T00:00:00Z"),
        ("csv-timestamp-year-99999", "99999-01-01T00:00:00Z"),
    ] {
        add(
            id,
            edit(&|r| r[b][start] = value.into()),
            Findings(vec!["SC002"]),
        );
    }
    add(
        "csv-timestamp-offset",
        edit(&|r| {
            let t = r[b][start].replace('Z', "");
            r[b][start] = format!("{t}+00:00");
        }),
        SameAsReference,
    );
    add(
        "csv-timestamp-space-separator",
        edit(&|r| {
            for row in r.iter_mut() {
                row[start] = row[start].replace('T', " ").replace(".000Z", "");
            }
        }),
        SameAsReference,
    );

    // Text values: invalid UTF-8, NUL, control characters, huge fields.
    let principal = col(&header, "line_item_iam_principal");
    let invalid = with_line(
        String::from_utf8_lossy(lines[line - 1])
            .replacen("arn:aws:", "arn:aws:\u{1}", 1)
            .into_bytes()
            .into_iter()
            .map(|c| if c == 1 { 0xff } else { c })
            .collect(),
    );
    add(
        "csv-invalid-utf8-in-principal",
        gz(&invalid),
        Findings(vec!["PR002"]),
    );
    add(
        "csv-nul-byte-in-principal",
        edit(&|r| r[b][principal].push('\0')),
        Findings(vec!["PR002"]),
    );
    add(
        "csv-escape-sequences-in-principal",
        edit(&|r| r[b][principal] = format!("{}\u{1b}[2J\u{1b}]0;x\u{7}", r[b][principal])),
        Findings(vec!["PR002"]),
    );
    add(
        "csv-huge-principal-4-mib",
        edit(&|r| {
            r[b][principal] = format!("arn:aws:iam::123456789012:user/{}", "u".repeat(4 << 20))
        }),
        Findings(vec!["PR002"]),
    );
    add(
        "csv-huge-tag-value-4-mib",
        edit(&|r| r[b][tags] = format!("{{\"iamPrincipal/team\":\"{}\"}}", "v".repeat(4 << 20))),
        Findings(vec!["TG003"]),
    );
    add(
        "csv-huge-unread-column-16-mib",
        edit(&|r| {
            let c = col(&header, "line_item_line_item_description");
            r[b][c] = "d".repeat(16 << 20);
        }),
        SameAsReference,
    );

    // Headers.
    add("csv-header-only", gz(&write_csv(&header, &[])), Readable);
    let cur1: Vec<String> = header
        .iter()
        .map(|h| {
            if h == "line_item_usage_type" {
                "lineItem/UsageType".into()
            } else {
                h.clone()
            }
        })
        .collect();
    add(
        "csv-header-cur1-style-name",
        gz(&write_csv(&cur1, &rows)),
        Findings(vec!["SC003"]),
    );
    let upper: Vec<String> = header.iter().map(|h| h.to_uppercase()).collect();
    add(
        "csv-header-upper-case",
        gz(&write_csv(&upper, &rows)),
        Findings(vec!["SC003"]),
    );
    let mut dup = header.clone();
    dup.push("line_item_iam_principal".into());
    let dup_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.push("not-an-arn".into());
            r
        })
        .collect();
    add(
        "csv-header-duplicate-column",
        gz(&write_csv(&dup, &dup_rows)),
        Readable,
    );
    let semicolons: Vec<u8> = {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(Vec::new());
        w.write_record(&header).expect("h");
        for r in &rows {
            w.write_record(r).expect("r");
        }
        w.into_inner().expect("csv")
    };
    add(
        "csv-semicolon-delimited",
        gz(&semicolons),
        ErrorOrReport(String::new()),
    );
    let tabs: Vec<u8> = {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b'\t')
            .from_writer(Vec::new());
        w.write_record(&header).expect("h");
        for r in &rows {
            w.write_record(r).expect("r");
        }
        w.into_inner().expect("csv")
    };
    add("csv-tab-delimited", gz(&tabs), ErrorOrReport(String::new()));
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            String::from_utf8_lossy(&text[..4096.min(text.len())])
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    add(
        "csv-utf16-encoded",
        gz(&utf16),
        ErrorOrReport(String::new()),
    );
    add(
        "csv-only-newlines",
        gz(b"\n\n\n\n"),
        error(&["{file}", "no header row"]),
    );
    add(
        "csv-plain-empty-line",
        b"\n".to_vec(),
        error(&["{file}", "no header row"]),
    );
    add(
        "csv-header-but-no-known-column",
        gz(b"a,b,c\n1,2,3\n"),
        Findings(vec!["SC008"]),
    );
    let legacy: Vec<String> = header
        .iter()
        .filter(|h| {
            !matches!(
                h.as_str(),
                "product" | "tags" | "resource_tags" | "cost_category" | "discount"
            ) && !curlab_vocab::columns::CUR2_ONLY_COLUMNS.contains(&h.as_str())
        })
        .map(|h| {
            curlab_vocab::columns::column(h)
                .and_then(curlab_vocab::columns::legacy_csv_name)
                .unwrap_or_else(|| h.clone())
        })
        .collect();
    add(
        "csv-header-all-legacy-cur",
        gz(&write_csv(&legacy, &[])),
        Findings(vec!["SC008"]),
    );

    // Random bytes (not Parquet magic): detected as CSV or gzip, then read or refused.
    for seed in 1..=8u64 {
        let mut s = seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1;
        let len = 1usize << (6 + seed);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 32) as u8
            })
            .collect();
        let id = format!("csv-random-{len}-bytes");
        add(&id, bytes.clone(), ErrorOrReport(String::new()));
        let mut g = bytes;
        g[0] = 0x1f;
        g[1] = 0x8b;
        add(
            &format!("csv-random-{len}-bytes-with-gzip-magic"),
            g,
            error(&["{file}", "cannot read CSV"]),
        );
    }
    v
}

#[test]
fn hostile_csv_files_give_an_error_or_a_finding_never_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::hostile::generate(dir.path(), "blog-launch", &["--format", "csv"]);
    let src = crate::hostile::only_data_file(&out.join("blog-launch"));
    let good = fs::read(&src).expect("read csv.gz");
    let cases_dir = dir.path().join("csv");
    fs::create_dir_all(&cases_dir).expect("mkdir");
    let base = crate::hostile::run_in(
        dir.path(),
        &[
            "verify".into(),
            src.to_string_lossy().into_owned(),
            "--format".into(),
            "json".into(),
        ],
        Duration::from_secs(120),
    );
    assert_eq!(base.code, Some(0), "reference: {}", base.stdout);
    let reference = crate::hostile::findings(&serde_json::from_str(&base.stdout).expect("JSON"));
    let mut all = Vec::new();
    for (id, bytes, expect) in cases(&good) {
        let file = if bytes.starts_with(&[0x1f, 0x8b]) || id.ends_with("-named-gz") {
            format!("{id}.csv.gz")
        } else {
            format!("{id}.csv")
        };
        fs::write(cases_dir.join(&file), bytes).expect("write");
        let expect = match expect {
            Expect::Error(n) => {
                Expect::Error(n.into_iter().map(|s| s.replace("{file}", &file)).collect())
            }
            Expect::ErrorOrReport(_) => Expect::ErrorOrReport(file.clone()),
            e => e,
        };
        all.push(Case::verify(&id, &file, expect));
    }
    crate::hostile::run_all(&cases_dir, &all, Some(&reference));
}
