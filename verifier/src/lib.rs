//! `curlab-verifier`: checks any AWS CUR 2.0 (Data Exports) export against the Amazon Bedrock
//! cost-attribution and tag-propagation rules.
//!
//! The entry point is [`verify`]: it discovers the data files behind the given paths, reads
//! only the columns the selected rules need, streams every record batch once through all rules
//! (files and Parquet row groups in parallel), and returns a deterministic [`Report`].
//! [`report`] renders it as text, JSON, JUnit or SARIF; [`registry`] lists the rules; [`sql`]
//! writes them as SQL for Athena/Trino, Spark and DuckDB.
//!
//! Inside, the rules (`rules/`, one file each) sit above the engine's building blocks: the
//! context of a run (`context.rs`), what the scan works out for them (`facts/`) and the shared
//! SQL pieces (`sql/`); the engine (`engine.rs`) asks the selected rules what they need and runs
//! the one pass.

#![warn(missing_docs)]

mod context;
mod engine;
mod error;
mod facts;
mod finding;
mod meta;
mod money;
mod policy;
pub mod report;
mod row;
mod rule;
mod rules;
pub mod sql;

// The reading layer lives in `curlab-reader`; these paths keep `crate::read::…` and friends.
pub(crate) use curlab_reader::{input, kind, read};

pub use engine::{verify, VerifyOptions};
pub use error::VerifyError;
pub use finding::{Finding, Report, Sample, Skipped};
pub use meta::{Applicability, Family, RuleMeta, Severity};
pub use rule::Rule;
pub use rules::registry;
