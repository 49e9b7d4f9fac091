//! Parquet: row groups are encoded into column chunks by the workers and appended to the file,
//! Snappy (or the chosen compression), dictionaries where they pay. The low-cardinality string
//! columns arrive as dictionary arrays and are encoded by [`DictColumn`] (keys reused, not
//! re-interned); every other column by parquet's Arrow column writer.

use std::fs::File;
use std::io::BufWriter;

use anyhow::{anyhow, Result};
use arrow_array::cast::AsArray;
use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};
use bytes::Bytes;
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::column::writer::ColumnCloseResult;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnDescPtr, ColumnPath};

use super::dict_chunk::DictColumn;
use super::DataEncoder;

/// The Parquet encoder: one set of column writers per row group.
pub(in crate::export) struct Parquet {
    schema: SchemaRef,
    /// The record batches' schema: `schema` with the dictionary columns as dictionary arrays.
    batch_schema: SchemaRef,
    props: WriterProperties,
    compression: Compression,
    /// Column writers are the same for every file; a factory made on a throwaway writer serves
    /// all encoder workers.
    factory: ArrowRowGroupWriterFactory,
    /// Per leaf column: its descriptor when curlab encodes it ([`DictColumn`]).
    dict_leaves: Vec<Option<ColumnDescPtr>>,
}

/// A leaf column of a row group being encoded.
pub(in crate::export) enum LeafWriter {
    Arrow(Box<ArrowColumnWriter>),
    Dict(Box<DictColumn>),
}

/// An encoded column chunk.
pub(in crate::export) enum Chunk {
    Arrow(ArrowColumnChunk),
    Dict(Bytes, ColumnCloseResult),
}

impl Parquet {
    /// Parquet files of `schema` with this compression and row group size. Batches come in
    /// `dictionary_schema` (the same columns, some as `Dictionary(UInt32, Utf8)`) when the
    /// compression is one [`DictColumn`] writes, else in `schema`: see [`Self::batch_schema`].
    pub(in crate::export) fn new(
        schema: SchemaRef,
        dictionary_schema: SchemaRef,
        compression: Compression,
        row_group_rows: usize,
    ) -> Result<Self> {
        let props = writer_properties(compression, row_group_rows);
        let (file, factory) =
            ArrowWriter::try_new(std::io::sink(), schema.clone(), Some(props.clone()))?
                .into_serialized_writer()?;
        let batch_schema = if DictColumn::supports(compression) {
            dictionary_schema
        } else {
            schema.clone()
        };
        let descr = file.schema_descr();
        let dict_leaves = (0..descr.num_columns())
            .map(|i| {
                let root = descr.get_column_root_idx(i);
                let leaf = descr.column(i);
                let top_level = leaf.max_rep_level() == 0 && leaf.path().parts().len() == 1;
                let ours = match batch_schema.field(root).data_type() {
                    DataType::Dictionary(..) => true,
                    DataType::Map(entries, _) => dictionary_entries(entries.data_type()),
                    DataType::Float64 => top_level && DictColumn::supports(compression),
                    _ => false,
                };
                ours.then_some(leaf)
            })
            .collect();
        Ok(Parquet {
            schema,
            batch_schema,
            props,
            compression,
            factory,
            dict_leaves,
        })
    }

    /// The schema record batches must have.
    pub(in crate::export) fn batch_schema(&self) -> &SchemaRef {
        &self.batch_schema
    }
}

impl DataEncoder for Parquet {
    type Group = Vec<LeafWriter>;
    type Encoded = Vec<Chunk>;
    type File = SerializedFileWriter<BufWriter<File>>;

    fn start_group(&self) -> Result<Self::Group> {
        Ok(self
            .factory
            .create_column_writers(0)?
            .into_iter()
            .zip(&self.dict_leaves)
            .map(|(w, d)| match d {
                Some(descr) => {
                    LeafWriter::Dict(Box::new(DictColumn::new(descr.clone(), self.compression)))
                }
                None => LeafWriter::Arrow(Box::new(w)),
            })
            .collect())
    }

    fn write_batch(&self, group: &mut Self::Group, batch: &RecordBatch) -> Result<()> {
        let mut w = group.iter_mut();
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            if let Some(LeafWriter::Dict(_)) = w.as_slice().first() {
                if let Some(map) = column.as_map_opt() {
                    // Two leaves: the keys, then the values.
                    for entries in [map.keys(), map.values()] {
                        match w.next() {
                            Some(LeafWriter::Dict(d)) => {
                                d.write_map_entries(map.value_offsets(), entries.as_ref())?
                            }
                            _ => return Err(anyhow!("no dictionary writer for a map leaf")),
                        }
                    }
                } else if let Some(LeafWriter::Dict(d)) = w.next() {
                    d.write(column.as_ref())?;
                }
                continue;
            }
            for leaf in compute_leaves(field, column)? {
                match w.next() {
                    Some(LeafWriter::Arrow(a)) => a.write(&leaf)?,
                    _ => return Err(anyhow!("no Arrow writer for a leaf column")),
                }
            }
        }
        Ok(())
    }

    fn finish_group(&self, group: Self::Group) -> Result<Self::Encoded> {
        group
            .into_iter()
            .map(|w| {
                Ok(match w {
                    LeafWriter::Arrow(a) => Chunk::Arrow(a.close()?),
                    LeafWriter::Dict(d) => {
                        let (bytes, close) = d.finish()?;
                        Chunk::Dict(bytes, close)
                    }
                })
            })
            .collect()
    }

    fn open_file(&self, file: BufWriter<File>) -> Result<Self::File> {
        Ok(
            ArrowWriter::try_new(file, self.schema.clone(), Some(self.props.clone()))?
                .into_serialized_writer()?
                .0,
        )
    }

    fn append(&self, file: &mut Self::File, group: Self::Encoded) -> Result<()> {
        let mut rg = file.next_row_group()?;
        for c in group {
            match c {
                Chunk::Arrow(c) => c.append_to_row_group(&mut rg)?,
                Chunk::Dict(bytes, close) => rg.append_column(&bytes, close)?,
            }
        }
        rg.close()?;
        Ok(())
    }

    fn close_file(&self, file: Self::File) -> Result<()> {
        file.close()?;
        Ok(())
    }
}

/// Whether a map's entries (`Struct<key, value>`) hold dictionary arrays.
fn dictionary_entries(entries: &DataType) -> bool {
    matches!(entries, DataType::Struct(f)
        if f.iter().all(|f| matches!(f.data_type(), DataType::Dictionary(..))))
}

/// Rows per Parquet data page, at most.
const PAGE_ROWS: usize = super::dict_chunk::PAGE_ROWS;

/// The dictionary page limit of `identity_line_item_id`, half the file's bytes. A row group's
/// ids (~55 bytes each, each repeated in every interval of its line item) pass the default
/// 1 MiB part-way through a row group, after which the writer falls back to plain encoding for
/// the rest of it; with room for a whole row group's ids the column stays dictionary-encoded
/// (about 10 % smaller files at `enterprise --scale 25`, BENCHMARKS.md, issue #15).
const LINE_ITEM_ID_DICTIONARY_BYTES: usize = 4 << 20;

/// Parquet settings: compression, row group size, dictionaries where they pay.
fn writer_properties(compression: Compression, row_group_rows: usize) -> WriterProperties {
    let b = WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(row_group_rows))
        // Pages close at 1 MiB or at this many rows; dictionary-encoded pages stay far below
        // 1 MiB, and each open page buffers 8 bytes per value until it closes.
        .set_data_page_row_count_limit(PAGE_ROWS);
    // Every column keeps a dictionary, costs and usage amounts too: at `enterprise --scale 25`
    // they repeat enough that plain encoding made them 2.4× larger (65 MB of a 420 MB file);
    // the writer still falls back to plain for a row group whose dictionary passes 1 MiB.
    b.set_column_dictionary_page_size_limit(
        ColumnPath::from("identity_line_item_id"),
        LINE_ITEM_ID_DICTIONARY_BYTES,
    )
    .build()
}
