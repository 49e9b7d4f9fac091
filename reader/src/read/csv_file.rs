//! The CSV reader (plain or gzip): the header row gives the schema; records are streamed into
//! batches of text columns and parsed into their documented types like string-typed Parquet.

use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::Arc;

use arrow_array::{ArrayRef, StringArray};

use super::cells::normalise_array;
use super::{Batch, Col, FileSchema, Found, Opened, BATCH_ROWS};
use crate::error::Error;
use crate::input::{DataFile, FileEncoding};

/// Open a CSV file and read its header row.
pub(super) fn open(file: &DataFile, gzip: bool) -> Result<Opened, Error> {
    let mut reader = csv_reader(file, gzip)?;
    let headers = reader.byte_headers().map_err(|e| csv_error(file, e))?;
    if headers.iter().all(|h| h.is_empty()) {
        return Err(Error::Read {
            path: file.path.clone(),
            problem: "the CSV has no header row (the file is empty or blank)".into(),
            place: Some("line 1".into()),
            fix: "re-download the file; Data Exports writes one header row of column names".into(),
        });
    }
    let columns = headers
        .iter()
        .map(|h| {
            (
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .to_string(),
                Found::Text,
            )
        })
        .collect();
    Ok(Opened {
        schema: FileSchema::new(columns),
        row_groups: Vec::new(),
        parquet: None,
    })
}

fn csv_reader(file: &DataFile, gzip: bool) -> Result<csv::Reader<Box<dyn Read>>, Error> {
    let f = File::open(&file.path).map_err(|e| {
        Error::read(
            &file.path,
            format!("cannot open: {e}"),
            "check the path and its permissions",
        )
    })?;
    let inner: Box<dyn Read> = if gzip {
        Box::new(crate::guard::LineLimit::new(
            flate2::read::MultiGzDecoder::new(BufReader::new(f)),
        ))
    } else {
        Box::new(crate::guard::LineLimit::new(BufReader::new(f)))
    };
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(inner))
}

/// [`csv_error`], but for a gzip file whose text did not parse the rest of the stream is read
/// first: a corrupt deflate stream can decode to garbled rows before its checksum fails, and
/// then the corruption, not the garbled row, is the error to report.
fn csv_error_in(
    file: &DataFile,
    e: csv::Error,
    reader: csv::Reader<Box<dyn Read>>,
    gzip: bool,
) -> Error {
    if !gzip || matches!(e.kind(), csv::ErrorKind::Io(_)) {
        return csv_error(file, e);
    }
    let mut rest = reader.into_inner();
    match std::io::copy(&mut rest, &mut std::io::sink()) {
        Ok(_) => csv_error(file, e),
        Err(io) => {
            let garbled = csv_error(file, e);
            let (shown, place) = match garbled {
                Error::Read { problem, place, .. } => (problem, place),
                other => (other.to_string(), None),
            };
            Error::Read {
                path: file.path.clone(),
                problem: format!(
                    "cannot read CSV: the gzip stream is corrupt ({io}); before that its \
                     garbled text gave: {shown}"
                ),
                place,
                fix: "re-download the file; it is corrupt or truncated".into(),
            }
        }
    }
}

fn csv_error(file: &DataFile, e: csv::Error) -> Error {
    let place = e
        .position()
        .map(|p| format!("line {}, record {}", p.line(), p.record()));
    let problem = match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read CSV: {io} (a truncated gzip stream?)"),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("CSV record has {len} fields, the header has {expected_len}")
        }
        _ => format!("invalid CSV: {e}"),
    };
    Error::Read {
        path: file.path.clone(),
        problem,
        place,
        fix: "re-download the file; Data Exports writes RFC 4180 CSV with one header row".into(),
    }
}

/// Read the whole file's `needed` columns, [`BATCH_ROWS`] records per batch.
pub(super) fn read(
    file: &DataFile,
    opened: &Opened,
    needed: &[Col],
    sink: &mut dyn FnMut(Batch),
) -> Result<(), Error> {
    let gzip = matches!(file.format, FileEncoding::Csv { gzip: true });
    let mut reader = csv_reader(file, gzip)?;
    if let Err(e) = reader.byte_headers() {
        return Err(csv_error_in(file, e, reader, gzip));
    }
    let wanted: Vec<(Col, usize)> = needed
        .iter()
        .filter_map(|c| opened.schema.index_of(c.name()).map(|i| (*c, i)))
        .collect();
    let mut record = csv::ByteRecord::new();
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(BATCH_ROWS); wanted.len()];
    let mut first_row = 0u64;
    let mut rows = 0usize;
    loop {
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) => return Err(csv_error_in(file, e, reader, gzip)),
        };
        if more {
            for (slot, (_, idx)) in cells.iter_mut().zip(&wanted) {
                let cell = record.get(*idx).unwrap_or_default();
                slot.push((!cell.is_empty()).then(|| String::from_utf8_lossy(cell).into_owned()));
            }
            rows += 1;
        }
        if rows == BATCH_ROWS || (!more && rows > 0) {
            let mut b = Batch::empty(first_row, rows);
            for (slot, (col, _)) in cells.iter_mut().zip(&wanted) {
                let strings: StringArray = std::mem::take(slot).into_iter().collect();
                let arr: ArrayRef = Arc::new(strings);
                b.cols[*col as usize] = normalise_array(*col, &arr, &mut b.cell_errors);
            }
            first_row += rows as u64;
            rows = 0;
            sink(b);
        }
        if !more {
            return Ok(());
        }
    }
}
