//! `curlab-reader`: reads AWS CUR 2.0 (Data Exports) exports for the verifier and the report.
//!
//! [`input::discover`] finds the data files behind command-line paths (the Data Exports layout,
//! single files, globs) with the defensive file-system checks of [`layout`]; [`read`] opens
//! each file (Parquet footer or CSV header) and streams the needed columns as normalised record
//! batches (text in dictionary form, doubles, UTC microseconds, maps as key/value pairs);
//! [`kind`] says from the column names whether a file is CUR 2.0 data at all; [`guard`] keeps
//! hostile files from exhausting memory or crashing the process, and [`clean`] makes values
//! from them safe to print.

#![warn(missing_docs)]

pub mod clean;
pub mod error;
pub mod guard;
pub mod input;
pub mod kind;
pub mod layout;
pub mod read;

pub use error::Error;
