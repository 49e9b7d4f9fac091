//! curlab's generator: a scenario becomes simulated Bedrock requests, aggregated CUR 2.0 rows
//! and a ground-truth file. No IO happens here: the CLI owns files, threads and formats.
//!
//! Flow: [`scenario::parse`] → [`plan::resolve`] → [`sim`] (requests → rows + truth, one day at
//! a time) → [`batch`] (rows → Arrow record batches).

#![warn(missing_docs)]

pub mod asof;
pub mod background;
pub mod batch;
pub mod catalog;
pub mod csv_text;
pub mod faults;
pub mod ids;
mod keys;
pub mod plan;
pub mod rows;
pub mod scenario;
mod seed;
mod selector;
pub mod sim;
pub mod size;
mod time;
