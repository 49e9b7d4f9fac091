//! curlab's generator: a scenario becomes simulated Bedrock requests, aggregated CUR 2.0 rows
//! and a ground-truth file. No IO happens here: the CLI owns files, threads and formats.
//!
//! Flow: [`scenario::parse`] → [`plan::resolve`] → [`sim`] (requests → rows + truth, one day at
//! a time) → [`batch`] (rows → Arrow record batches).

#![warn(missing_docs)]

pub mod asof;
pub mod batch;
pub mod csv_text;
pub mod faults;
pub mod plan;
pub mod rows;
pub mod scenario;
pub mod sim;
pub mod size;

mod background;
mod catalog;
mod ids;
mod keys;
mod seed;
mod selector;
mod time;

// The entry points and the types every caller handles, at the crate root. The stages stay
// modules (`scenario::parse`, `plan::resolve`, `sim::simulate_day`, …) for everything else.
pub use asof::AsOf;
pub use faults::{Fault, FaultSpec, Injector};
pub use plan::{resolve, Plan};
pub use rows::{Row, RowKind};
pub use scenario::{parse, with_positions, ScenarioError, ScenarioFile};
pub use sim::{build_truth, run_in_order, TagTable};
// For the synthetic twin (`curlab-twin`): which catalogue model a usage type names, and the
// background services' product codes and mean hourly cost per resource.
pub use background::{
    hourly_cost_usd, product_code as background_product_code, SERVICES as BACKGROUND_SERVICES,
};
pub use catalog::{builtin as builtin_models, Model};
