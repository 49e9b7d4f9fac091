//! Simulate requests one day at a time and aggregate them into CUR rows.
//!
//! [`simulate_day`] is pure and seeded per (stream, day), so days can run on any thread in any
//! order; [`Emitter`] takes the days back in order, adds tax rows at each period's end and
//! keeps the ground truth, which is summed per request, not per row. [`RowMaker`] turns keys
//! into rows on any thread; a row's line item id is a hash of its key (`ids.rs`), not of
//! its position.
//!
//! One module per job: `tag_table` (tags over time), `requests` and `day` (the day
//! simulation: requests → aggregated keys + truth deltas), `emit` (order, row-group units,
//! tax), `row_maker` (keys → rows), `truth` and `truth_file` (the truth file, written principal by principal), `in_order` (the reference
//! runner); `blocks` holds what passes between them and `sku` the SKU cache they share.

mod blocks;
mod day;
mod emit;
mod in_order;
mod requests;
mod row_maker;
mod sku;
mod tag_table;
mod truth;
mod truth_file;

pub use blocks::{CallerSums, Chunk, DayBlock, Emitted, KeyBlock, Sums, TruthDelta};
pub use day::simulate_day;
pub use emit::Emitter;
pub use in_order::run_in_order;
pub use row_maker::RowMaker;
pub use sku::SkuCache;
pub use tag_table::TagTable;
pub use truth::{PeriodBill, TruthParts};
pub use truth_file::{build_truth, truth_file, TruthFile};
