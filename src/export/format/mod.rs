//! One encoder per output format, behind [`DataEncoder`]: encoder workers turn record batches
//! into an encoded row group; the writer thread opens data files, appends encoded row groups in
//! order and closes the files. Adding a format is one file here and one arm in
//! [`super::generate`] (see "Adding an output format" in ARCHITECTURE.md).

mod csv;
mod dict_chunk;
mod parquet;

use std::fs::File;
use std::io::BufWriter;

use anyhow::Result;
use arrow_array::RecordBatch;

pub(super) use self::csv::Csv;
pub(super) use self::parquet::Parquet;

/// An output format: how row groups are encoded (on worker threads) and how data files are
/// written (on the writer thread, in row group order).
pub(super) trait DataEncoder: Sync {
    /// A row group being encoded.
    type Group;
    /// An encoded row group, sent from a worker to the writer.
    type Encoded: Send;
    /// An open data file.
    type File;

    /// Start encoding a row group.
    fn start_group(&self) -> Result<Self::Group>;
    /// Encode one record batch of the row group.
    fn write_batch(&self, group: &mut Self::Group, batch: &RecordBatch) -> Result<()>;
    /// The row group is complete.
    fn finish_group(&self, group: Self::Group) -> Result<Self::Encoded>;
    /// Start a data file (write its header, if the format has one).
    fn open_file(&self, file: BufWriter<File>) -> Result<Self::File>;
    /// Append an encoded row group to an open data file.
    fn append(&self, file: &mut Self::File, group: Self::Encoded) -> Result<()>;
    /// Finish a data file (footer, compression trailer) and flush it.
    fn close_file(&self, file: Self::File) -> Result<()>;
}
