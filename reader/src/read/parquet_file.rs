//! The Parquet reader: the footer (schema, row groups) read once per file, then one row group
//! per task, projected to the needed columns, with text asked for in dictionary form.

use std::fs::File;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;

use super::cells::normalise_array;
use super::{Batch, Col, FileSchema, Found, Opened, BATCH_ROWS};
use crate::error::Error;
use crate::input::DataFile;

fn parquet_error(file: &DataFile, e: impl std::fmt::Display) -> Error {
    Error::read(
        &file.path,
        format!("not a readable Parquet file: {e}"),
        "re-download the file; a truncated or partially written object cannot be read",
    )
}

/// Open a Parquet file: read its footer (schema, row groups) once, with the dictionary hint.
pub(super) fn open(file: &DataFile) -> Result<Opened, Error> {
    let f = File::open(&file.path).map_err(|e| {
        Error::read(
            &file.path,
            format!("cannot open: {e}"),
            "check the path and its permissions",
        )
    })?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let natural = crate::guard::catch(|| ArrowReaderMetadata::load(&f, Default::default()))
        .map_err(|panic| format!("the Parquet reader failed: {panic}"))
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map_err(|e| Error::Read {
            path: file.path.clone(),
            problem: format!("not a readable Parquet file: {e}"),
            place: Some(format!("footer; the file is {len} bytes")),
            fix: "re-download the file; a truncated or partially written object cannot be read"
                .into(),
        })?;
    let columns = natural
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), Found::of(f.data_type())))
        .collect();
    let row_groups = natural
        .metadata()
        .row_groups()
        .iter()
        .map(|rg| rg.num_rows().max(0) as u64)
        .collect();
    let schema = FileSchema::new(columns);
    let meta = with_dictionaries(&natural, &schema).unwrap_or(natural);
    Ok(Opened {
        schema,
        row_groups,
        parquet: Some(meta),
    })
}

/// The file's Arrow schema with the text columns the verifier reads (and the keys and values
/// of its map columns) asked for as `Dictionary(Int32, Utf8)`: the Parquet reader then hands
/// over the column chunk's dictionary and one key per row instead of a string per row. `None`
/// when the file has no such column or the reader refuses the hint (the natural schema is
/// used then; every string column is still turned into dictionary form per batch).
fn with_dictionaries(
    meta: &ArrowReaderMetadata,
    schema: &FileSchema,
) -> Option<ArrowReaderMetadata> {
    let dict = || DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let mut changed = false;
    let fields: Vec<Field> = meta
        .schema()
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let col = Col::ALL
                .into_iter()
                .find(|c| schema.index_of(c.name()) == Some(i));
            let hinted = match (col, f.data_type()) {
                (Some(c), DataType::Utf8) if c.dictionary() => Some(dict()),
                (Some(c), DataType::Map(entries, sorted)) if c.ty().is_map() => {
                    match entries.data_type() {
                        DataType::Struct(kv)
                            if kv.len() == 2
                                && kv[0].data_type() == &DataType::Utf8
                                && kv[1].data_type() == &DataType::Utf8 =>
                        {
                            let kv: Fields = vec![
                                kv[0].as_ref().clone().with_data_type(dict()),
                                kv[1].as_ref().clone().with_data_type(dict()),
                            ]
                            .into();
                            Some(DataType::Map(
                                Arc::new(
                                    entries
                                        .as_ref()
                                        .clone()
                                        .with_data_type(DataType::Struct(kv)),
                                ),
                                *sorted,
                            ))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            match hinted {
                Some(dt) => {
                    changed = true;
                    f.as_ref().clone().with_data_type(dt)
                }
                None => f.as_ref().clone(),
            }
        })
        .collect();
    if !changed {
        return None;
    }
    let hint = Arc::new(Schema::new_with_metadata(
        fields,
        meta.schema().metadata().clone(),
    ));
    ArrowReaderMetadata::try_new(
        meta.metadata().clone(),
        ArrowReaderOptions::new().with_schema(hint),
    )
    .ok()
}

/// Read one row group of the `needed` columns, batch by batch.
pub(super) fn read(
    file: &DataFile,
    opened: &Opened,
    meta: &ArrowReaderMetadata,
    rg: usize,
    first_row: u64,
    needed: &[Col],
    sink: &mut dyn FnMut(Batch),
) -> Result<(), Error> {
    let wanted: Vec<(Col, usize)> = needed
        .iter()
        .filter_map(|c| opened.schema.index_of(c.name()).map(|i| (*c, i)))
        .collect();
    let mut roots: Vec<usize> = wanted.iter().map(|(_, i)| *i).collect();
    roots.sort_unstable();
    roots.dedup();
    let f = File::open(&file.path).map_err(|e| {
        Error::read(
            &file.path,
            format!("cannot open: {e}"),
            "check the path and its permissions",
        )
    })?;
    let mask = ProjectionMask::roots(meta.metadata().file_metadata().schema_descr(), roots);
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(f, meta.clone())
        .with_projection(mask)
        .with_row_groups(vec![rg])
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| parquet_error(file, e))?;
    let mut reader = reader;
    let mut next = first_row;
    loop {
        // A corrupt page can make the Parquet crate panic instead of returning an error (a
        // dictionary key out of range inside a map column does, in parquet 60.1): caught here so
        // it is reported as the file's fault, with its place, like any other decode error.
        let rb = match crate::guard::catch(|| reader.next()) {
            Ok(None) => break,
            Ok(Some(rb)) => rb,
            Err(panic) => {
                return Err(Error::Read {
                    path: file.path.clone(),
                    problem: format!("cannot decode Parquet data: the decoder failed: {panic}"),
                    place: Some(format!("row group {rg}, near row {}", next + 1)),
                    fix: "re-download the file; it is corrupt or truncated".into(),
                })
            }
        };
        let rb = rb.map_err(|e| {
            let text = e.to_string();
            // A codec left out of this build (curlab reads SNAPPY, as AWS writes, and ZSTD).
            let codec = text.contains("Disabled feature") || text.contains("not supported");
            Error::Read {
                path: file.path.clone(),
                problem: if codec {
                    format!("uses a compression codec curlab does not read: {text}")
                } else {
                    format!("cannot decode Parquet data: {text}")
                },
                place: Some(format!("row group {rg}, near row {}", next + 1)),
                fix: if codec {
                    "rewrite the file with SNAPPY (what Data Exports writes) or ZSTD compression"
                        .into()
                } else {
                    "re-download the file; it is corrupt or truncated".into()
                },
            }
        })?;
        let batch = normalise_parquet(&rb, &wanted, &opened.schema, next);
        next += rb.num_rows() as u64;
        sink(batch);
    }
    Ok(())
}

fn normalise_parquet(
    rb: &RecordBatch,
    wanted: &[(Col, usize)],
    schema: &FileSchema,
    first_row: u64,
) -> Batch {
    let mut b = Batch::empty(first_row, rb.num_rows());
    for (col, idx) in wanted {
        let name = &schema.columns[*idx].0;
        let Some(arr) = rb.column_by_name(name) else {
            continue;
        };
        b.cols[*col as usize] = normalise_array(*col, arr, &mut b.cell_errors);
    }
    b
}
