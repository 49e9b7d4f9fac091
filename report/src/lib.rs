//! `curlab-report`: Cost Explorer-style answers about Amazon Bedrock spend in a CUR 2.0 export.
//!
//! Rows come in as [`LineItem`]s, from data files ([`scan`]) or from the generator in memory
//! (the CLI adapts its rows), and go through one [`Aggregator`]; it produces a [`Summary`]
//! (spend per group, over time, tag coverage, untagged spend by principal) that the
//! [`render`] modules print as a table, CSV, JSON or a self-contained HTML page. [`diff`]
//! compares the summaries of two exports of the same workload.
//!
//! Money is summed as integer 1e-10 USD ([`money`]) and rounded only for display, so totals
//! equal the export's Bedrock total to the cent.

#![warn(missing_docs)]

pub(crate) mod agg;
pub mod chargeback;
pub(crate) mod diff;
pub(crate) mod dim;
pub(crate) mod escape;
pub(crate) mod item;
pub mod money;
pub mod render;
pub mod scan;
pub(crate) mod summary;

pub use agg::{Aggregator, CostMetric, ReportSpec, TimeBucket};
pub use diff::Diff;
pub use dim::{Dim, Filter};
pub use item::LineItem;
pub use summary::Summary;
