//! What to generate, and what was written.

use curlab_generator::faults::FaultSpec;
use curlab_vocab::truth::Truth;
use parquet::basic::Compression;

/// How to generate.
#[derive(Debug, Clone)]
pub(crate) struct GenerateOptions {
    /// Worker threads for the simulation, and as many for encoding.
    pub threads: usize,
    /// Faults to plant.
    pub faults: Vec<FaultSpec>,
    /// Parquet compression.
    pub compression: Compression,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// `(index, count)`: write only part `index` of `count` (0-based).
    pub part: Option<(usize, usize)>,
}

/// What was written.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    /// Data files, relative to the output folder.
    pub files: Vec<String>,
    /// Rows written.
    pub rows: u64,
    /// Bytes of data files.
    pub bytes: u64,
    /// The truth, without its per-principal parts (`by_principal`, `principals` and
    /// `bill.by_principal` are empty: the file is written principal by principal).
    pub truth: Truth,
    /// Principals with Bedrock cost (the truth file's `by_principal` entries).
    pub principals: usize,
}
