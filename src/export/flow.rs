//! Flow control: simulation workers run days on threads, bounded by back-pressure, and the
//! consumer takes their hour blocks back in day order through the [`Emitter`] (the shape of
//! tpchgen-rs's generate-in-chunks: producers ahead by at most a fixed number of rows).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use anyhow::Result;
use curlab_generator::plan::Plan;
use curlab_generator::sim::{
    self, Chunk, DayBlock, Emitted, Emitter, RowMaker, SkuCache, TagTable,
};

/// Rows per record batch built and encoded at a time. Each encoder worker holds one batch and
/// its rows (~2.5 KB a row): 4,096 held 28 MiB at `enterprise --scale 25`; below 2,048 the
/// per-batch cost of ~150 column builders starts to show. The batch size can move the row at
/// which a column's dictionary falls back to plain encoding (the writer checks per call), so
/// changing it changes the bytes (1,024 and 2,048 wrote the same files; 4,096 did not).
pub(super) const BATCH_ROWS: usize = 2_048;

/// Rows (as aggregation keys, ~40 bytes each) the simulation may hold ahead of the consumer:
/// this much for the day the consumer is on, and this much for all later days together.
const AHEAD_ROWS: usize = 32_768;

/// The units `--parts` splits an export into, as inclusive day ranges: one per day, or one per
/// billing period for a monthly export (a period's rows are one file set).
pub(crate) fn part_units(plan: &Plan) -> Vec<(i64, i64)> {
    match plan.export.granularity {
        curlab_vocab::Granularity::Monthly => plan
            .export
            .periods
            .iter()
            .map(|p| (p.start / 86_400, p.end / 86_400 - 1))
            .collect(),
        _ => plan.days().iter().map(|d| (*d, *d)).collect(),
    }
}

/// The days a part writes rows for, and the days it must simulate (its own, plus the other
/// days of a period whose tax rows it writes). Parts split the export's emit units (days, or
/// whole periods for monthly granularity) into contiguous blocks.
pub(super) fn part_days(
    plan: &Plan,
    part: Option<(usize, usize)>,
) -> (std::ops::RangeInclusive<i64>, Vec<i64>) {
    let days = plan.days();
    let Some((index, count)) = part else {
        let range = days.first().copied().unwrap_or(0)..=days.last().copied().unwrap_or(-1);
        return (range, days);
    };
    let units = part_units(plan);
    let lo = index * units.len() / count;
    let hi = (index + 1) * units.len() / count;
    if lo >= hi {
        // An empty range: this part owns no day.
        return (std::ops::RangeInclusive::new(1, 0), Vec::new());
    }
    let owned = units[lo].0..=units[hi - 1].1;
    let mut needed: Vec<i64> = days.iter().copied().filter(|d| owned.contains(d)).collect();
    if plan.tax.is_some() {
        for p in &plan.export.periods {
            let last = p.end / 86_400 - 1;
            if owned.contains(&last) {
                needed.extend((p.start / 86_400)..(p.end / 86_400));
            }
        }
    }
    needed.sort_unstable();
    needed.dedup();
    (owned, needed)
}

/// How far the simulation workers may run ahead of the consumer.
struct Flow {
    /// Index (into the day list) of the day the consumer takes next.
    head: usize,
    /// Rows handed over and not yet consumed, per day index.
    buffered: Vec<usize>,
    /// Their sum.
    total: usize,
    /// The consumer is gone: workers stop.
    closed: bool,
}

/// Back-pressure between simulation workers and the consumer. A worker on the day the consumer
/// is on waits only for that day's own backlog, so the consumer can always make progress.
struct FlowControl {
    state: Mutex<Flow>,
    changed: Condvar,
    limit: usize,
}

impl FlowControl {
    fn new(days: usize, limit: usize) -> Self {
        FlowControl {
            state: Mutex::new(Flow {
                head: 0,
                buffered: vec![0; days],
                total: 0,
                closed: false,
            }),
            changed: Condvar::new(),
            limit,
        }
    }

    /// A worker on day index `day` hands over `rows` rows (count them before sending them, so
    /// the consumer never takes more than was counted). `false` once the consumer has stopped.
    fn hand_over(&self, day: usize, rows: usize) -> bool {
        let Ok(mut f) = self.state.lock() else {
            return false;
        };
        f.buffered[day] += rows;
        f.total += rows;
        !f.closed
    }

    /// Before a worker on day index `day` simulates its next block: wait while it is too far
    /// ahead (the rows it already handed over count; for the day the consumer is on, only that
    /// day's). Waiting here, not with a finished block in hand, keeps a worker from holding
    /// an hour's keys (up to 131k rows at `enterprise --scale 100`) that nothing counts.
    /// `false` once the consumer has stopped.
    fn wait_for_room(&self, day: usize) -> bool {
        let Ok(mut f) = self.state.lock() else {
            return false;
        };
        loop {
            if f.closed {
                return false;
            }
            let ahead = if day == f.head {
                f.buffered[day]
            } else {
                f.total
            };
            if ahead <= self.limit {
                return true;
            }
            f = match self.changed.wait(f) {
                Ok(f) => f,
                Err(_) => return false,
            };
        }
    }

    /// The consumer took `rows` rows of day index `day`; `day_done`: it was the day's last block.
    fn consumed(&self, day: usize, rows: usize, day_done: bool) {
        if let Ok(mut f) = self.state.lock() {
            f.buffered[day] -= rows;
            f.total -= rows;
            if day_done {
                f.head = day + 1;
            }
        }
        self.changed.notify_all();
    }

    fn close(&self) {
        if let Ok(mut f) = self.state.lock() {
            f.closed = true;
        }
        self.changed.notify_all();
    }
}

/// Closes the flow when dropped: however the consumer loop ends, waiting workers wake and stop.
struct CloseOnDrop<'a>(&'a FlowControl);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Simulate the days a part needs on `threads` workers and hand everything the [`Emitter`]
/// passes on, in output order, to `consume` (on this thread).
pub(super) fn drive(
    plan: &Plan,
    tags: &TagTable,
    threads: usize,
    part: Option<(usize, usize)>,
    mut on_day: impl FnMut(usize, usize),
    mut consume: impl FnMut(Emitted) -> Result<()>,
) -> Result<sim::TruthParts> {
    let (owned, days) = part_days(plan, part);
    let mut emitter = Emitter::new(plan).with_owned_days(owned);
    let flow = FlowControl::new(days.len(), AHEAD_ROWS);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::channel::<(usize, DayBlock)>();
        let _release = CloseOnDrop(&flow);
        for _ in 0..threads.max(1) {
            let tx = tx.clone();
            let (flow, next, days) = (&flow, &next, &days);
            scope.spawn(move || {
                let mut skus = SkuCache::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&day) = days.get(i) else {
                        return;
                    };
                    if !flow.wait_for_room(i) {
                        return;
                    }
                    let go_on = sim::simulate_day(plan, tags, day, &mut skus, |block| {
                        flow.hand_over(i, block.keys.len())
                            && tx.send((i, block)).is_ok()
                            && flow.wait_for_room(i)
                    });
                    if !go_on {
                        return; // the consumer stopped
                    }
                }
            });
        }
        drop(tx);
        // Blocks of one day arrive in order; days may arrive in any order.
        let mut queues: BTreeMap<usize, VecDeque<DayBlock>> = BTreeMap::new();
        let mut head = 0;
        for (i, block) in rx.iter() {
            crate::signal::check()?;
            queues.entry(i).or_default().push_back(block);
            while let Some(block) = queues.get_mut(&head).and_then(VecDeque::pop_front) {
                let day_done = block.truth.is_some();
                let rows = block.keys.len();
                for e in emitter.push(block) {
                    consume(e)?;
                }
                // Counted as consumed only once the writer has taken the rows into its row
                // groups (it may wait there for an encoder): until then the workers do not
                // simulate further hours on top of what the writer holds.
                flow.consumed(head, rows, day_done);
                if day_done {
                    queues.remove(&head);
                    head += 1;
                    on_day(head, days.len());
                    crate::memory::trim();
                }
            }
        }
        Ok(())
    })?;
    let (rest, parts) = emitter.finish();
    for e in rest {
        consume(e)?;
    }
    Ok(parts)
}

/// Run the simulation on `threads` workers and hand every finished chunk of rows (at most
/// [`BATCH_ROWS`] each), in order, to `sink`. Memory stays flat whatever the scenario's size.
pub(crate) fn simulate(
    plan: &Plan,
    threads: usize,
    part: Option<(usize, usize)>,
    on_day: impl FnMut(usize, usize),
    mut sink: impl FnMut(Chunk) -> Result<()>,
) -> Result<sim::TruthParts> {
    let tags = TagTable::new(plan);
    let mut maker = RowMaker::new(plan, &tags);
    drive(plan, &tags, threads, part, on_day, |e| match e {
        Emitted::Keys(b) => {
            let mut start = 0;
            while start < b.len() {
                let end = b.len().min(start + BATCH_ROWS);
                let mut rows = Vec::with_capacity(end - start);
                maker.rows(&b, start..end, &mut rows);
                sink(Chunk {
                    period: b.period,
                    rows,
                })?;
                start = end;
            }
            Ok(())
        }
        Emitted::Rows(c) => sink(c),
    })
}
