//! Reading data files into Arrow record batches of the columns the selected rules need.
//!
//! Parquet is read with a projection to those columns, one row group per task, batch by batch.
//! CSV (plain or gzip) is streamed into the same Arrow types: doubles, UTC timestamps in
//! microseconds, strings; map columns are JSON objects in CSV and Parquet `MAP`s otherwise, and
//! both become key/value pairs so rules never care about the encoding.

mod batch;
mod cells;
mod col;
mod csv_file;
mod parquet_file;
mod schema;

use parquet::arrow::arrow_reader::ArrowReaderMetadata;

pub use batch::{Batch, CellError, ColData, DictStr, MapCol};
pub use cells::{parse_json_map, parse_ts};
pub use col::Col;
pub use schema::{canonical_name, FileSchema, Found};

use crate::error::Error;
use crate::input::{DataFile, FileEncoding};

/// Rows per record batch.
pub const BATCH_ROWS: usize = 8192;

/// A file opened for reading: its schema and, for Parquet, its row groups.
#[derive(Debug, Clone)]
pub struct Opened {
    /// Its columns.
    pub schema: FileSchema,
    /// Rows per row group (Parquet); empty for CSV.
    pub row_groups: Vec<u64>,
    parquet: Option<ArrowReaderMetadata>,
}

/// Open a data file and read its schema (Parquet footer or CSV header).
pub fn open(file: &DataFile) -> Result<Opened, Error> {
    match file.format {
        FileEncoding::Parquet => parquet_file::open(file),
        FileEncoding::Csv { gzip } => csv_file::open(file, gzip),
    }
}

impl Opened {
    /// An opened CSV-like file with this schema and no file behind it, for tests of code that
    /// looks at schemas (the verifier's file rules).
    pub fn for_tests(schema: FileSchema) -> Self {
        Opened {
            schema,
            row_groups: Vec::new(),
            parquet: None,
        }
    }
}

/// One unit of work: a whole CSV file, or one Parquet row group.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    /// Index of the file.
    pub file: usize,
    /// Row group (Parquet), `None` for CSV.
    pub row_group: Option<usize>,
    /// 0-based index of the task's first row in the file.
    pub first_row: u64,
}

/// The tasks of one opened file.
pub fn tasks_of(file_index: usize, opened: &Opened) -> Vec<Task> {
    if opened.parquet.is_none() {
        return vec![Task {
            file: file_index,
            row_group: None,
            first_row: 0,
        }];
    }
    let mut first = 0;
    opened
        .row_groups
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let t = Task {
                file: file_index,
                row_group: Some(i),
                first_row: first,
            };
            first += n;
            t
        })
        .collect()
}

/// Read one task's batches of the `needed` columns, handing each to `sink`.
pub fn read_task(
    file: &DataFile,
    opened: &Opened,
    task: &Task,
    needed: &[Col],
    sink: &mut dyn FnMut(Batch),
) -> Result<(), Error> {
    match (&opened.parquet, task.row_group) {
        (Some(meta), Some(rg)) => {
            parquet_file::read(file, opened, meta, rg, task.first_row, needed, sink)
        }
        _ => csv_file::read(file, opened, needed, sink),
    }
}
