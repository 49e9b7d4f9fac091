//! `curlab-verifier`: checks any AWS CUR 2.0 (Data Exports) export against the Amazon Bedrock
//! cost-attribution and tag-propagation rules.
//!
//! The entry point is [`verify`]: it discovers the data files behind the given paths, reads
//! only the columns the selected rules need, streams every record batch once through all rules
//! (files and Parquet row groups in parallel), and returns a deterministic [`Report`].
//! [`report`] renders it as text, JSON, JUnit or SARIF; [`registry`] lists the rules.

#![warn(missing_docs)]

pub mod accum;
pub mod dupes;
pub mod engine;
pub mod error;
pub mod finding;
pub mod meta;
pub mod money;
pub mod policy;
pub mod report;
pub mod row;
pub mod rules;
pub mod sql;
pub mod view;

// The reading layer lives in `curlab-reader`; these paths keep `crate::read::…` and friends.
pub(crate) use curlab_reader::{input, kind, read};

pub use engine::{verify, VerifyOptions};
pub use error::VerifyError;
pub use finding::{Finding, Report, Sample};
pub use meta::{Applicability, Family, RuleMeta, Severity};
pub use rules::registry;
