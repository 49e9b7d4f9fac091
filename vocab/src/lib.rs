//! The vocabulary the curlab generator and verifier share: CUR 2.0 columns, IAM principal
//! ARNs, tag rules and Bedrock usage types. Pure functions and tables, no IO.

#![warn(missing_docs)]

pub mod arn;
pub mod bedrock;
mod column_table;
pub mod columns;
pub mod export_layout;
mod granularity;
pub mod money;
pub mod pattern;
pub mod tags;
pub mod truth;
mod usage_type;

pub use granularity::Granularity;
pub use money::Money;
