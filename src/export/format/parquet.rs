//! Parquet: row groups are encoded into column chunks by the workers and appended to the file,
//! Snappy (or the chosen compression), dictionaries where they pay.

use std::fs::File;
use std::io::BufWriter;

use anyhow::{anyhow, Result};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;

use super::DataEncoder;

/// The Parquet encoder: one set of column writers per row group.
pub(in crate::export) struct Parquet {
    schema: SchemaRef,
    props: WriterProperties,
    /// Column writers are the same for every file; a factory made on a throwaway writer serves
    /// all encoder workers.
    factory: ArrowRowGroupWriterFactory,
}

impl Parquet {
    /// Parquet files of `schema` with this compression and row group size.
    pub(in crate::export) fn new(
        schema: SchemaRef,
        compression: Compression,
        row_group_rows: usize,
    ) -> Result<Self> {
        let props = writer_properties(compression, row_group_rows);
        let factory = ArrowWriter::try_new(std::io::sink(), schema.clone(), Some(props.clone()))?
            .into_serialized_writer()?
            .1;
        Ok(Parquet {
            schema,
            props,
            factory,
        })
    }
}

impl DataEncoder for Parquet {
    type Group = Vec<ArrowColumnWriter>;
    type Encoded = Vec<ArrowColumnChunk>;
    type File = SerializedFileWriter<BufWriter<File>>;

    fn start_group(&self) -> Result<Self::Group> {
        Ok(self.factory.create_column_writers(0)?)
    }

    fn write_batch(&self, group: &mut Self::Group, batch: &RecordBatch) -> Result<()> {
        let mut w = group.iter_mut();
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            for leaf in compute_leaves(field, column)? {
                w.next()
                    .ok_or_else(|| anyhow!("more leaf columns than writers"))?
                    .write(&leaf)?;
            }
        }
        Ok(())
    }

    fn finish_group(&self, group: Self::Group) -> Result<Self::Encoded> {
        Ok(group
            .into_iter()
            .map(|w| w.close())
            .collect::<Result<_, _>>()?)
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
            c.append_to_row_group(&mut rg)?;
        }
        rg.close()?;
        Ok(())
    }

    fn close_file(&self, file: Self::File) -> Result<()> {
        file.close()?;
        Ok(())
    }
}

/// Rows per Parquet data page, at most.
const PAGE_ROWS: usize = 8_192;

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
