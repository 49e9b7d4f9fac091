//! What a rule does. A rule sees the export three ways, all optional: [`Rule::check_file`] once
//! per data file (schema and layout), [`Rule::check_batch`] for every record batch of the one
//! streaming pass (a [`View`]: the batch's columns, with facts worked out once per distinct
//! value, so per row a rule only looks them up), and [`Rule::finish`] once at the end with the
//! export-wide [`Aggregates`]. What it needs for that is declared in its
//! [`RuleMeta::needs`](crate::meta::RuleMeta::needs). Per-thread tallies and aggregates are
//! merged commutatively, so results never depend on the thread count.

use crate::context::Ctx;
use crate::facts::{Aggregates, View};
use crate::finding::Tally;
use crate::meta::RuleMeta;

/// A verifier rule.
pub trait Rule: Sync {
    /// Code, name, documentation, needs and SQL form.
    fn meta(&self) -> &'static RuleMeta;

    /// A reason the rule cannot apply to this input, beyond its applicability and columns.
    fn skip_reason(&self, _ctx: &Ctx) -> Option<String> {
        None
    }

    /// Whether [`Rule::check_file`] sees every data file. Other rules see only CUR 2.0 files
    /// (see [`crate::kind`]); a rule that says what the others are sees all.
    fn judges_every_file(&self) -> bool {
        false
    }

    /// Called once per data file with its schema (only CUR 2.0 files unless
    /// [`Rule::judges_every_file`]).
    fn check_file(&self, _file: usize, _ctx: &Ctx, _out: &mut Tally) {}

    /// Called for every record batch of the scan (its cells that did not parse as their
    /// documented type are in `view.batch.cell_errors`).
    fn check_batch(&self, _view: &View<'_>, _ctx: &Ctx, _out: &mut Tally) {}

    /// Called once after the scan.
    fn finish(&self, _agg: &Aggregates, _ctx: &Ctx, _out: &mut Tally) {}
}
