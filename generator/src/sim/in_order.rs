//! The in-order reference runner: every day on this thread, in output order.

use super::blocks::Chunk;
use super::day::simulate_day;
use super::emit::Emitter;
use super::row_maker::RowMaker;
use super::sku::SkuCache;
use super::tag_table::TagTable;
use super::truth::TruthParts;
use crate::plan::Plan;

/// Simulate `days` (all of the plan's, or the ones a part needs) one after another on this
/// thread and hand every finished chunk of rows, in output order, to `sink`. `curlab
/// generate` runs the same steps on several threads; this is the reference order.
pub fn run_in_order(plan: &Plan, tags: &TagTable, mut sink: impl FnMut(Chunk)) -> TruthParts {
    let mut emitter = Emitter::new(plan);
    let mut maker = RowMaker::new(plan, tags);
    let mut skus = SkuCache::default();
    for day in plan.days() {
        simulate_day(plan, tags, day, &mut skus, |b| {
            for e in emitter.push(b) {
                sink(maker.all_rows(e));
            }
            true
        });
    }
    let (rest, parts) = emitter.finish();
    for e in rest {
        sink(maker.all_rows(e));
    }
    parts
}
