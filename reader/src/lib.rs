//! `curlab-reader`: reads AWS CUR 2.0 (Data Exports) exports for the verifier and the report.
//!
//! [`discover`] finds the data files behind command-line paths (the Data Exports layout,
//! single files, globs) with defensive file-system checks (symbolic links, FIFOs, manifest
//! paths leaving the export); [`mod@read`] opens each file (Parquet footer or CSV header) and
//! streams the needed columns as normalised record batches (text in dictionary form, doubles,
//! UTC microseconds, maps as key/value pairs); [`mod@kind`] says from the column names whether a
//! file is CUR 2.0 data at all; a guard keeps hostile files from exhausting memory or crashing
//! the process, and [`mod@clean`] makes values from them safe to print. The items other crates
//! use are re-exported here.

#![warn(missing_docs)]

pub mod clean;
pub mod error;
pub(crate) mod guard;
pub mod input;
pub mod kind;
pub(crate) mod layout;
pub mod read;

pub use clean::{clean, clean_lines};
pub use error::Error;
pub use input::{discover, DataFile, Inputs};
pub use kind::{classify, FileKind};
pub use read::{open, read_task, tasks_of, Batch, Col, Opened, Task};
