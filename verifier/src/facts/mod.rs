//! What the one streaming pass works out for the rules, and only what the selected rules ask
//! for ([`Needs`], [`Wanted`]): each record batch as a [`View`] (rows classified, facts about
//! each distinct value worked out once per dictionary by a worker's [`FactCache`], the rules'
//! own [`PerValue`] facts among them), and the export-wide [`Aggregates`] (`accum.rs`; repeated
//! line items through hash partitions spilled to disk, `dupes.rs`). Nothing here knows a rule.

mod accum;
mod accum_bill;
mod aggregates;
mod cache;
mod dupes;
mod intern;
mod memo;
mod needs;
mod view;

pub use accum::Accum;
pub use accum_bill::PROFILE_MARKER;
pub use aggregates::{Aggregates, PrincipalBill, Spend};
pub use cache::{FactCache, Shared, R_BEDROCK, R_CREDIT_REFUND, R_INFERENCE, R_PRINCIPAL, R_USAGE};
pub use dupes::{DupStore, IdSink};
pub use memo::Fact;
pub use needs::{Aggregate, Distinct, Needs, PerValue, Wanted};
pub use view::{Facts, View};
