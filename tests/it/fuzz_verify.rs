//! Property-based fuzzing of the CSV reader and the whole verify path: arbitrary bytes, and
//! structure-aware mutations of a real generated export (CSV cells replaced, quotes and
//! separators inserted, lines cut; Parquet bytes flipped, ranges overwritten, files cut), in
//! process through `curlab_verifier::verify`. Never a panic or an "internal error"; an error
//! names the file and a fix; a report renders as well-formed text, JSON, SARIF and JUnit XML.

use crate::harness;

use std::io::Read;
use std::sync::OnceLock;

use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

struct Base {
    csv: Vec<u8>,
    parquet: Vec<u8>,
}

/// A generated blog-launch export, as CSV text and as a Parquet file (made once).
fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = |format: &str| {
            let out = dir.path().join(format);
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_curlab"))
                .args([
                    "generate",
                    "blog-launch",
                    "--quiet",
                    "--format",
                    format,
                    "--out",
                ])
                .arg(&out)
                .output()
                .expect("curlab runs");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let data = out.join("blog-launch/data/BILLING_PERIOD=2026-04");
            let f = std::fs::read_dir(&data)
                .expect("data folder")
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.is_file())
                .expect("a data file");
            std::fs::read(f).expect("read")
        };
        let gz = file("csv");
        let mut csv = Vec::new();
        flate2::read::MultiGzDecoder::new(gz.as_slice())
            .read_to_end(&mut csv)
            .expect("gunzip");
        Base {
            csv,
            parquet: file("parquet"),
        }
    })
}

/// Cells a mutation may write: hostile for readers and for every output format.
const CELLS: &[&str] = &[
    "",
    "\"",
    "\"\"",
    ",",
    "\n",
    "\r\n",
    "=HYPERLINK(\"http://x\")",
    "+1",
    "-1",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "]]><x>",
    "&amp;",
    "\u{1b}[2J",
    "\u{202e}abc",
    "\u{0}",
    "NaN",
    "inf",
    "1e400",
    "-0",
    "1,5",
    "{",
    "{}",
    "{\"a\":",
    "[1]",
    "{\"iamPrincipal/team\":\"\u{7}\"}",
    "arn:aws:iam::123456789012:user/\u{1b}x",
    "arn:aws:sts::123456789012:assumed-role/R/é",
    "2026-02-30T00:00:00Z",
    "9999999-01-01",
    "\u{fffe}",
    "😀",
];

#[derive(Debug, Clone)]
enum CsvEdit {
    /// Replace cell (row, column) by one of [`CELLS`].
    Cell(usize, usize, usize),
    /// Insert a byte at an offset.
    Insert(usize, u8),
    /// Delete a byte.
    Delete(usize),
    /// Cut the text.
    Truncate(usize),
}

fn csv_edit() -> impl Strategy<Value = CsvEdit> {
    prop_oneof![
        4 => (any::<usize>(), any::<usize>(), 0..CELLS.len()).prop_map(|(r, c, v)| CsvEdit::Cell(r, c, v)),
        2 => (any::<usize>(), prop::sample::select(vec![b'"', b',', b'\n', b'\r', 0u8, 0xff, b'{'])).prop_map(|(a, b)| CsvEdit::Insert(a, b)),
        1 => any::<usize>().prop_map(CsvEdit::Delete),
        1 => any::<usize>().prop_map(CsvEdit::Truncate),
    ]
}

fn apply_csv(text: &[u8], edits: &[CsvEdit]) -> Vec<u8> {
    let mut rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(String::from).collect())
        .collect();
    let mut bytes_edits = Vec::new();
    for e in edits {
        match e {
            CsvEdit::Cell(r, c, v) if !rows.is_empty() => {
                let n = rows.len();
                let row = &mut rows[r % n];
                if !row.is_empty() {
                    let m = row.len();
                    row[c % m] = CELLS[*v].to_string();
                }
            }
            other => bytes_edits.push(other.clone()),
        }
    }
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for r in &rows {
        w.write_record(r).expect("write");
    }
    let mut out = w.into_inner().expect("csv");
    for e in bytes_edits {
        let n = out.len();
        match e {
            CsvEdit::Insert(a, b) => out.insert(a % (n + 1), b),
            CsvEdit::Delete(a) if n > 0 => {
                out.remove(a % n);
            }
            CsvEdit::Truncate(a) => out.truncate(a % (n + 1)),
            _ => {}
        }
    }
    out
}

#[derive(Debug, Clone)]
enum BinEdit {
    Flip(usize, u8),
    Overwrite(usize, Vec<u8>),
    Truncate(usize),
    /// Flip a byte within the last 256 (the footer and its length).
    FlipFooter(usize, u8),
}

fn bin_edit() -> impl Strategy<Value = BinEdit> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(a, b)| BinEdit::Flip(a, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(a, v)| BinEdit::Overwrite(a, v)),
        any::<usize>().prop_map(BinEdit::Truncate),
        (0..256usize, 1..=255u8).prop_map(|(a, b)| BinEdit::FlipFooter(a, b)),
    ]
}

fn apply_bin(data: &[u8], edits: &[BinEdit]) -> Vec<u8> {
    let mut out = data.to_vec();
    for e in edits {
        let n = out.len();
        if n == 0 {
            break;
        }
        match e {
            BinEdit::Flip(a, b) => out[a % n] ^= b,
            BinEdit::Overwrite(a, v) => {
                let at = a % n;
                let end = (at + v.len()).min(n);
                out[at..end].copy_from_slice(&v[..end - at]);
            }
            BinEdit::Truncate(a) => out.truncate(a % n),
            BinEdit::FlipFooter(a, b) => {
                let i = n - 1 - (a % n.min(256));
                out[i] ^= b;
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn csv_reader_survives_any_bytes(b in prop::collection::vec(any::<u8>(), 0..2000)) {
        harness::csv(&b);
    }

    #[test]
    fn csv_reader_survives_mutated_exports(edits in prop::collection::vec(csv_edit(), 1..6)) {
        harness::csv(&apply_csv(&base().csv, &edits));
    }

    #[test]
    fn gzip_csv_survives_mutations(edits in prop::collection::vec(bin_edit(), 1..3)) {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, &base().csv).expect("gz");
        harness::verify_any(&apply_bin(&e.finish().expect("gz"), &edits));
    }

    #[test]
    fn verify_survives_mutated_parquet(edits in prop::collection::vec(bin_edit(), 1..4)) {
        harness::verify_any(&apply_bin(&base().parquet, &edits));
    }

    #[test]
    fn verify_survives_any_bytes(b in prop::collection::vec(any::<u8>(), 0..4096), magic in any::<bool>()) {
        let mut b = b;
        if magic && b.len() >= 8 {
            b[..4].copy_from_slice(b"PAR1");
            let n = b.len();
            b[n - 4..].copy_from_slice(b"PAR1");
        }
        harness::verify_any(&b);
    }
}

#[test]
fn the_unmutated_exports_verify_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, data) in [("x.csv", &base().csv), ("x.parquet", &base().parquet)] {
        let path = dir.path().join(name);
        std::fs::write(&path, data).expect("write");
        let r = curlab_verifier::verify(&curlab_verifier::VerifyOptions {
            paths: vec![path.to_string_lossy().into_owned()],
            threads: 1,
            ..Default::default()
        })
        .expect("verifies");
        assert!(r.rows_scanned > 0);
        assert_eq!(r.errors(), 0, "{name}");
        harness::verify_file(dir.path(), name, data);
    }
}
