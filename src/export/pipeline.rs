//! The writer pipeline: the consumer cuts rows into row groups (boundaries depend only on the
//! data), encoder workers build and encode them with an [`DataEncoder`], and the writer appends
//! them to the data files in order, opening a new file at the row limit and at each billing
//! period. At most one row group per worker is in flight, so memory stays bounded and the bytes
//! do not depend on the thread count.

use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File};
use std::io::BufWriter;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use anyhow::{anyhow, bail, Context, Result};
use arrow_schema::SchemaRef;
use curlab_generator::batch::{self, BatchContext};
use curlab_generator::faults::Injector;
use curlab_generator::plan::Plan;
use curlab_generator::rows::Row;
use curlab_generator::sim::{self, Emitted, KeyBlock, RowMaker, TagTable};
use curlab_vocab::truth::InjectedFault;

use super::flow::{drive, part_days, BATCH_ROWS};
use super::format::DataEncoder;
use super::manifest::{data_dir_rel, file_name};
use super::options::GenerateOptions;

/// What the pipeline wrote: the truth's parts, the files and rows per period, all rows, and
/// the faults planted.
pub(super) type Written = (sim::TruthParts, Vec<PeriodFiles>, u64, Vec<InjectedFault>);

/// Simulate, encode with `format` and write the data files into `root` (the temporary folder).
/// `keep`, when given, names the billing periods whose files are written (the first delivery
/// of restated periods); the rows of the others are simulated and dropped.
pub(super) fn write_data<F: DataEncoder>(
    encoder: &Encoder<'_, F>,
    opts: &GenerateOptions,
    root: &Path,
    keep: Option<&[bool]>,
    progress: &dyn Fn(usize, usize),
) -> Result<Written> {
    let (plan, tags, format) = (encoder.plan, encoder.tags, encoder.format);
    let threads = opts.threads.max(1);
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let jobs_rx = Mutex::new(jobs_rx);
    std::thread::scope(|scope| -> Result<_> {
        let (results_tx, results_rx) = mpsc::channel();
        for _ in 0..threads {
            let (results_tx, jobs_rx) = (results_tx.clone(), &jobs_rx);
            scope.spawn(move || {
                let mut maker = RowMaker::new(encoder.plan, encoder.tags);
                loop {
                    let job = match jobs_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    // A closed channel: the writer is done (or gave up).
                    let Ok(job) = job else { return };
                    let seq = job.seq;
                    let r = encoder.encode(job, &mut maker);
                    if results_tx.send((seq, r)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(results_tx);
        let mut writer = Writer {
            plan,
            root: root.to_path_buf(),
            format,
            opts,
            periods: plan
                .export
                .periods
                .iter()
                .map(|_| PeriodFiles {
                    files: vec![],
                    rows: 0,
                })
                .collect(),
            rows: 0,
            faults: (!opts.faults.is_empty())
                .then(|| (Injector::new(plan, &opts.faults), RowMaker::new(plan, tags))),
            pieces: Vec::new(),
            group_rows: 0,
            group_new_file: true,
            period: None,
            file_rows: 0,
            jobs: jobs_tx,
            results: results_rx,
            slots: VecDeque::new(),
            done: BTreeMap::new(),
            next_seq: 0,
            written: 0,
            // One row group per worker, and the next one cut and waiting, keeps them busy;
            // more would only hold memory.
            max_in_flight: threads,
            open: None,
            keep: keep.map(<[bool]>::to_vec),
        };
        let parts = drive(plan, tags, threads, opts.part, progress, |e| writer.push(e))?;
        writer.finish()?;
        // A period without rows still gets an (empty) data file, as AWS delivers one (in a
        // sharded export, from the part that owns the period's first day).
        let (owned, _) = part_days(plan, opts.part);
        for p in 0..plan.export.periods.len() {
            let first_day = plan.export.periods[p].start / 86_400;
            if writer.periods[p].files.is_empty() && owned.contains(&first_day) && writer.keeps(p) {
                writer.open_file(p)?;
                writer.close_file()?;
            }
        }
        let faults = match &writer.faults {
            Some((injector, _)) => injector.report(&opts.faults),
            None => Ok(Vec::new()),
        }
        .map_err(anyhow::Error::msg)?;
        Ok((parts, writer.periods, writer.rows, faults))
    })
}

/// A run of rows of one row group: a slice of a key block or of finished rows.
enum Piece {
    Keys(Arc<KeyBlock>, Range<usize>),
    Rows(Arc<Vec<Row>>, Range<usize>),
}

/// One row group to encode.
struct Job {
    seq: usize,
    pieces: Vec<Piece>,
}

/// Where a dispatched row group goes.
struct Slot {
    period: usize,
    /// It starts a new data file.
    new_file: bool,
    rows: u64,
}

/// What the encoder workers share: what to build rows from, and how to encode them.
pub(super) struct Encoder<'a, F> {
    /// The resolved scenario.
    pub(super) plan: &'a Plan,
    /// Callers' tags over time.
    pub(super) tags: &'a TagTable,
    /// How rows become record batches.
    pub(super) ctx: &'a BatchContext,
    /// The record batches' schema.
    pub(super) schema: &'a SchemaRef,
    /// The output format.
    pub(super) format: &'a F,
}

impl<F: DataEncoder> Encoder<'_, F> {
    /// Build the rows of a row group batch by batch and encode them.
    /// Pieces are dropped as soon as their rows are built, so a key block is freed as soon as
    /// the last row group using it has passed it.
    fn encode(&self, job: Job, maker: &mut RowMaker<'_>) -> Result<F::Encoded> {
        let mut group = self.format.start_group()?;
        let mut rows: Vec<Row> = Vec::with_capacity(BATCH_ROWS);
        let mut flush = |rows: &mut Vec<Row>| -> Result<()> {
            let b = batch::to_batch(self.ctx, self.schema, rows)?;
            rows.clear();
            self.format.write_batch(&mut group, &b)
        };
        for piece in job.pieces {
            let range = match &piece {
                Piece::Keys(_, r) | Piece::Rows(_, r) => r.clone(),
            };
            let mut start = range.start;
            while start < range.end {
                let end = range.end.min(start + BATCH_ROWS - rows.len());
                match &piece {
                    Piece::Keys(b, _) => maker.rows(b, start..end, &mut rows),
                    Piece::Rows(v, _) => rows.extend_from_slice(&v[start..end]),
                }
                if rows.len() == BATCH_ROWS {
                    flush(&mut rows)?;
                }
                start = end;
            }
        }
        if !rows.is_empty() {
            flush(&mut rows)?;
        }
        self.format.finish_group(group)
    }
}

/// The data files and rows of one billing period.
pub(super) struct PeriodFiles {
    /// Data files, relative to the output folder.
    pub(super) files: Vec<String>,
    /// Rows written.
    pub(super) rows: u64,
}

/// Cuts the rows into row groups, has them encoded, and writes them in order, splitting files
/// at the row threshold and at billing periods.
struct Writer<'a, F: DataEncoder> {
    plan: &'a Plan,
    root: PathBuf,
    format: &'a F,
    opts: &'a GenerateOptions,
    periods: Vec<PeriodFiles>,
    rows: u64,
    /// Row faults are planted on built rows, in order, here.
    faults: Option<(Injector<'a>, RowMaker<'a>)>,
    // Cutting.
    pieces: Vec<Piece>,
    group_rows: usize,
    group_new_file: bool,
    period: Option<usize>,
    file_rows: u64,
    // Encoding.
    jobs: mpsc::Sender<Job>,
    results: mpsc::Receiver<(usize, Result<F::Encoded>)>,
    slots: VecDeque<Slot>,
    done: BTreeMap<usize, F::Encoded>,
    next_seq: usize,
    written: usize,
    max_in_flight: usize,
    // Writing.
    open: Option<F::File>,
    /// The billing periods written (None: all).
    keep: Option<Vec<bool>>,
}

impl<'a, F: DataEncoder> Writer<'a, F> {
    /// Whether the files of billing period `p` are written in this pass.
    fn keeps(&self, p: usize) -> bool {
        self.keep
            .as_ref()
            .is_none_or(|k| k.get(p).copied().unwrap_or(false))
    }

    /// Take the next piece of output.
    fn push(&mut self, e: Emitted) -> Result<()> {
        let period = e.period();
        if !self.keeps(period) {
            return Ok(());
        }
        let (source, n) = match (self.faults.as_mut(), e) {
            (Some((injector, maker)), e) => {
                let mut chunk = maker.all_rows(e);
                injector.apply(&mut chunk.rows);
                let n = chunk.rows.len();
                (Err(Arc::new(chunk.rows)), n)
            }
            (None, Emitted::Keys(b)) => {
                let n = b.len();
                (Ok(b), n)
            }
            (None, Emitted::Rows(c)) => {
                let n = c.rows.len();
                (Err(Arc::new(c.rows)), n)
            }
        };
        if self.period != Some(period) {
            self.end_group()?;
            self.period = Some(period);
            self.file_rows = 0;
        }
        let max_file = self.plan.export.max_rows_per_file;
        let mut start = 0;
        while start < n {
            if self.group_rows == 0 {
                self.group_new_file = self.file_rows == 0;
            }
            let room = (self.opts.row_group_rows - self.group_rows)
                .min(usize::try_from(max_file - self.file_rows).unwrap_or(usize::MAX));
            let end = n.min(start + room);
            self.pieces.push(match &source {
                Ok(b) if end - start == n => Piece::Keys(b.clone(), start..end),
                // A block across row groups is cut: each group owns (and frees) its own keys,
                // instead of every group that shares the block keeping all of it alive.
                Ok(b) => {
                    let (cut, r) = b.cut(start..end);
                    Piece::Keys(Arc::new(cut), r)
                }
                Err(v) => Piece::Rows(v.clone(), start..end),
            });
            self.group_rows += end - start;
            self.file_rows += (end - start) as u64;
            if self.group_rows == self.opts.row_group_rows || self.file_rows == max_file {
                self.end_group()?;
                if self.file_rows == max_file {
                    self.file_rows = 0;
                }
            }
            start = end;
        }
        Ok(())
    }

    /// The row group being cut is complete: hand it to the encoders.
    fn end_group(&mut self) -> Result<()> {
        if self.group_rows == 0 {
            return Ok(());
        }
        while self.next_seq - self.written >= self.max_in_flight {
            self.write_next()?;
        }
        let (Some(period), pieces) = (self.period, std::mem::take(&mut self.pieces)) else {
            bail!("a row group without a period");
        };
        self.slots.push_back(Slot {
            period,
            new_file: self.group_new_file,
            rows: self.group_rows as u64,
        });
        self.group_rows = 0;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.jobs
            .send(Job { seq, pieces })
            .map_err(|_| anyhow!("the encoder workers stopped"))?;
        // Write whatever is already finished, in order.
        while let Ok((seq, r)) = self.results.try_recv() {
            self.done.insert(seq, r?);
        }
        while self.done.contains_key(&self.written) {
            self.write_next()?;
        }
        Ok(())
    }

    /// Wait for the next row group in order and append it to its file.
    fn write_next(&mut self) -> Result<()> {
        let encoded = loop {
            if let Some(e) = self.done.remove(&self.written) {
                break e;
            }
            let (seq, r) = self
                .results
                .recv()
                .map_err(|_| anyhow!("the encoder workers stopped"))?;
            self.done.insert(seq, r?);
        };
        let slot = self
            .slots
            .pop_front()
            .ok_or_else(|| anyhow!("a row group without a slot"))?;
        self.written += 1;
        if slot.new_file || self.open.is_none() {
            self.close_file()?;
            self.open_file(slot.period)?;
        }
        let Some(file) = self.open.as_mut() else {
            bail!("a row group without an open data file");
        };
        self.format.append(file, encoded)?;
        // The row group's encoded pages and its workers' batches are freed by now: hand the
        // free pages back before the next group grows the heap again (see `memory::trim`).
        crate::memory::trim();
        self.rows += slot.rows;
        self.periods[slot.period].rows += slot.rows;
        Ok(())
    }

    /// Everything is pushed: encode and write the rest, close the last file.
    fn finish(&mut self) -> Result<()> {
        self.end_group()?;
        while self.written < self.next_seq {
            self.write_next()?;
        }
        self.close_file()
    }

    fn open_file(&mut self, period: usize) -> Result<()> {
        // Parts interleave their numbers so the union of all parts has unique file names.
        let (index, count) = self.opts.part.unwrap_or((0, 1));
        let n = self.periods[period].files.len() * count + index + 1;
        let rel = format!(
            "{}/{}",
            data_dir_rel(self.plan, period),
            file_name(self.plan, n)
        );
        let path = self.root.join(&rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let file = BufWriter::new(
            File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        );
        let w = self.format.open_file(file)?;
        self.periods[period].files.push(rel);
        self.open = Some(w);
        Ok(())
    }

    fn close_file(&mut self) -> Result<()> {
        match self.open.take() {
            Some(f) => self.format.close_file(f),
            None => Ok(()),
        }
    }
}
