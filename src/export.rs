//! Writing an export: data files in the Data Exports layout, manifests last, the truth file,
//! all inside a temporary folder that is renamed into place only when everything is written.
//!
//! The pipeline: simulation workers run days (hour blocks of aggregation keys, see
//! [`sim::simulate_day`]); the consumer takes the blocks back in day order through the
//! [`Emitter`] and cuts the rows into row groups whose boundaries depend only on the data
//! (`--row-group-rows`, `--max-rows-per-file`, billing periods); encoder workers build the rows
//! and encode each row group (Parquet column chunks, or CSV text); the consumer appends the
//! finished row groups to the files in order. Every stage is bounded, so memory does not grow
//! with the export, and the bytes do not depend on the thread count.

use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};

use anyhow::{anyhow, bail, Context, Result};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use curlab_generator::batch::{self, BatchContext};
use curlab_generator::csv_text;
use curlab_generator::faults::{Fault, FaultSpec, Injector};
use curlab_generator::plan::Plan;
use curlab_generator::rows::Row;
use curlab_generator::scenario::model::{Delivery, Format};
use curlab_generator::sim::{
    self, Chunk, DayBlock, Emitted, Emitter, KeyBlock, RowMaker, SkuCache, TagTable,
};
use curlab_vocab::export_layout as layout;
use curlab_vocab::truth::Truth;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnChunk, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;

/// Rows per record batch built and encoded at a time.
const BATCH_ROWS: usize = 4_096;

/// Rows (as aggregation keys, ~40 bytes each) the simulation may hold ahead of the consumer:
/// this much for the day the consumer is on, and this much for all later days together.
const AHEAD_ROWS: usize = 32_768;

/// How to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Worker threads for the simulation, and as many for encoding.
    pub threads: usize,
    /// Faults to plant.
    pub faults: Vec<FaultSpec>,
    /// Parquet compression.
    pub compression: Compression,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// `(index, count)`: write only part `index` of `count` (0-based).
    pub part: Option<(usize, usize)>,
}

/// The days a part writes rows for, and the days it must simulate (its own, plus the other
/// days of a period whose tax rows it writes). Parts split the export's emit units (days, or
/// whole periods for monthly granularity) into contiguous blocks.
pub fn part_days(
    plan: &Plan,
    part: Option<(usize, usize)>,
) -> (std::ops::RangeInclusive<i64>, Vec<i64>) {
    let days = plan.days();
    let Some((index, count)) = part else {
        let range = days.first().copied().unwrap_or(0)..=days.last().copied().unwrap_or(-1);
        return (range, days);
    };
    let units: Vec<(i64, i64)> = match plan.export.granularity {
        curlab_generator::scenario::model::Granularity::Monthly => plan
            .export
            .periods
            .iter()
            .map(|p| (p.start / 86_400, p.end / 86_400 - 1))
            .collect(),
        _ => days.iter().map(|d| (*d, *d)).collect(),
    };
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

/// What was written.
#[derive(Debug, Default)]
pub struct Summary {
    /// Data files, relative to the output folder.
    pub files: Vec<String>,
    /// Rows written.
    pub rows: u64,
    /// Bytes of data files.
    pub bytes: u64,
    /// The truth.
    pub truth: Truth,
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

    /// A worker on day index `day` wants to hand over `rows` rows: wait while it is too far
    /// ahead. `false` once the consumer has stopped.
    fn admit(&self, day: usize, rows: usize) -> bool {
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
            if ahead == 0 || ahead + rows <= self.limit {
                break;
            }
            f = match self.changed.wait(f) {
                Ok(f) => f,
                Err(_) => return false,
            };
        }
        f.buffered[day] += rows;
        f.total += rows;
        true
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
fn drive(
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
                    let go_on = sim::simulate_day(plan, tags, day, &mut skus, |block| {
                        flow.admit(i, block.keys.len()) && tx.send((i, block)).is_ok()
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
                flow.consumed(head, block.keys.len(), day_done);
                for e in emitter.push(block) {
                    consume(e)?;
                }
                if day_done {
                    queues.remove(&head);
                    head += 1;
                    on_day(head, days.len());
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
pub fn simulate(
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

/// A deterministic UUID-shaped id.
fn uuid_from(seed: u64, salt: &str) -> String {
    let a = curlab_vocab::arn::fnv1a32(format!("{seed}:{salt}:a").as_bytes());
    let b = curlab_vocab::arn::fnv1a32(format!("{seed}:{salt}:b").as_bytes());
    let c = curlab_vocab::arn::fnv1a32(format!("{seed}:{salt}:c").as_bytes());
    let d = curlab_vocab::arn::fnv1a32(format!("{seed}:{salt}:d").as_bytes());
    format!(
        "{a:08x}-{:04x}-4{:03x}-{:04x}-{:04x}{c:08x}",
        b >> 16,
        b & 0xfff,
        0x8000 | (d >> 16 & 0x3fff),
        d & 0xffff
    )
}

fn data_dir_rel(plan: &Plan, period: usize) -> String {
    let p = &plan.export.periods[period];
    let base = layout::data_period_dir(&plan.export.name, &p.label);
    match plan.export.delivery {
        Delivery::Overwrite => base,
        Delivery::CreateNew => {
            // One execution folder per refresh: `<ISO-8601 ms>Z-<execution id>`.
            let at = chrono::DateTime::from_timestamp(p.end + 85_682, 356_000_000);
            let id = uuid_from(plan.seed, &format!("exec:{}", p.label));
            format!("{base}/{}", layout::execution_folder(at, &id))
        }
    }
}

fn encoding(format: Format) -> layout::Encoding {
    match format {
        Format::Parquet => layout::Encoding::Parquet,
        Format::Csv => layout::Encoding::CsvGz,
    }
}

fn file_name(plan: &Plan, n: usize) -> String {
    layout::data_file_name(&plan.export.name, n, encoding(plan.export.format))
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

/// An encoded row group.
enum Encoded {
    Parquet(Vec<ArrowColumnChunk>),
    Csv(Vec<u8>),
}

/// Where a dispatched row group goes.
struct Slot {
    period: usize,
    /// It starts a new data file.
    new_file: bool,
    rows: u64,
}

/// Shared by the encoder workers.
struct Encoder<'a> {
    plan: &'a Plan,
    tags: &'a TagTable,
    ctx: &'a BatchContext,
    schema: &'a SchemaRef,
    /// Column writers for Parquet (None: CSV).
    factory: Option<&'a ArrowRowGroupWriterFactory>,
}

impl Encoder<'_> {
    /// Build the rows of a row group batch by batch and encode them.
    /// Pieces are dropped as soon as their rows are built, so a key block is freed as soon as
    /// the last row group using it has passed it.
    fn encode(&self, job: Job, maker: &mut RowMaker<'_>) -> Result<Encoded> {
        let mut parquet = match self.factory {
            Some(f) => Some(f.create_column_writers(0)?),
            None => None,
        };
        let mut csv = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .has_headers(false)
            .from_writer(Vec::new());
        let mut rows: Vec<Row> = Vec::with_capacity(BATCH_ROWS);
        let mut flush = |rows: &mut Vec<Row>| -> Result<()> {
            let b = batch::to_batch(self.ctx, self.schema, rows)?;
            rows.clear();
            match parquet.as_mut() {
                Some(writers) => {
                    let mut w = writers.iter_mut();
                    for (field, column) in self.schema.fields().iter().zip(b.columns()) {
                        for leaf in compute_leaves(field, column)? {
                            w.next()
                                .ok_or_else(|| anyhow!("more leaf columns than writers"))?
                                .write(&leaf)?;
                        }
                    }
                }
                None => write_csv(&mut csv, &b)?,
            }
            Ok(())
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
        Ok(match parquet {
            Some(writers) => Encoded::Parquet(
                writers
                    .into_iter()
                    .map(|w| w.close())
                    .collect::<Result<_, _>>()?,
            ),
            None => Encoded::Csv(
                csv.into_inner()
                    .map_err(|e| anyhow!("finishing CSV text: {e}"))?,
            ),
        })
    }
}

enum FileWriter {
    Parquet(SerializedFileWriter<BufWriter<File>>),
    Csv(flate2::write::GzEncoder<BufWriter<File>>),
}

struct PeriodFiles {
    files: Vec<String>,
    rows: u64,
}

/// Cuts the rows into row groups, has them encoded, and writes them in order, splitting files
/// at the row threshold and at billing periods.
struct Writer<'a> {
    plan: &'a Plan,
    root: PathBuf,
    schema: SchemaRef,
    opts: &'a GenerateOptions,
    props: WriterProperties,
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
    results: mpsc::Receiver<(usize, Result<Encoded>)>,
    slots: VecDeque<Slot>,
    done: BTreeMap<usize, Encoded>,
    next_seq: usize,
    written: usize,
    max_in_flight: usize,
    // Writing.
    open: Option<FileWriter>,
}

impl<'a> Writer<'a> {
    /// Take the next piece of output.
    fn push(&mut self, e: Emitted) -> Result<()> {
        let period = e.period();
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
                Ok(b) => Piece::Keys(b.clone(), start..end),
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
        match (self.open.as_mut(), encoded) {
            (Some(FileWriter::Parquet(w)), Encoded::Parquet(chunks)) => {
                let mut rg = w.next_row_group()?;
                for c in chunks {
                    c.append_to_row_group(&mut rg)?;
                }
                rg.close()?;
            }
            (Some(FileWriter::Csv(w)), Encoded::Csv(text)) => w.write_all(&text)?,
            _ => bail!("row group and data file formats differ"),
        }
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
        let w = match self.plan.export.format {
            Format::Parquet => FileWriter::Parquet(
                ArrowWriter::try_new(file, self.schema.clone(), Some(self.props.clone()))?
                    .into_serialized_writer()?
                    .0,
            ),
            Format::Csv => {
                let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
                let mut header = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(Vec::new());
                header.write_record(self.schema.fields().iter().map(|f| f.name().as_str()))?;
                gz.write_all(
                    &header
                        .into_inner()
                        .map_err(|e| anyhow!("writing the CSV header: {e}"))?,
                )?;
                FileWriter::Csv(gz)
            }
        };
        self.periods[period].files.push(rel);
        self.open = Some(w);
        Ok(())
    }

    fn close_file(&mut self) -> Result<()> {
        match self.open.take() {
            Some(FileWriter::Parquet(w)) => {
                w.close()?;
            }
            Some(FileWriter::Csv(w)) => {
                w.finish()?.flush()?;
            }
            None => {}
        }
        Ok(())
    }
}

fn write_csv<W: Write>(w: &mut csv::Writer<W>, b: &RecordBatch) -> Result<()> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, TimestampMillisecondType};
    // Downcast once per batch; format cells into one reused buffer.
    enum Col<'a> {
        Str(&'a arrow_array::StringArray),
        F64(&'a arrow_array::Float64Array),
        Ts(&'a arrow_array::TimestampMillisecondArray),
        Map(&'a arrow_array::MapArray),
    }
    let cols: Vec<Col<'_>> = b
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Utf8 => Ok(Col::Str(c.as_string::<i32>())),
            DataType::Float64 => Ok(Col::F64(c.as_primitive::<Float64Type>())),
            DataType::Timestamp(_, _) => Ok(Col::Ts(c.as_primitive::<TimestampMillisecondType>())),
            DataType::Map(_, _) => Ok(Col::Map(c.as_map())),
            other => Err(anyhow::anyhow!("no CSV form for {other}")),
        })
        .collect::<Result<_>>()?;
    let mut buf = String::new();
    // Timestamps repeat row after row (one per bucket): keep the last text per column.
    let mut ts_cache: Vec<(i64, String)> = vec![(i64::MIN, String::new()); cols.len()];
    for row in 0..b.num_rows() {
        for (i, (col, array)) in cols.iter().zip(b.columns()).enumerate() {
            if array.is_null(row) {
                w.write_field("")?;
                continue;
            }
            match col {
                Col::Str(a) => w.write_field(a.value(row))?,
                Col::F64(a) => {
                    buf.clear();
                    csv_text::push_java_double(&mut buf, a.value(row));
                    w.write_field(&buf)?;
                }
                Col::Ts(a) => {
                    let ms = a.value(row);
                    let cached = &mut ts_cache[i];
                    if cached.0 != ms {
                        cached.1.clear();
                        csv_text::push_timestamp_ms(&mut cached.1, ms);
                        cached.0 = ms;
                    }
                    w.write_field(&cached.1)?;
                }
                Col::Map(m) => {
                    let entries = m.value(row);
                    let keys = entries.column(0).as_string::<i32>();
                    let values = entries.column(1);
                    let mut obj = serde_json::Map::new();
                    for i in 0..entries.len() {
                        let v = match values.data_type() {
                            DataType::Float64 => {
                                serde_json::json!(values.as_primitive::<Float64Type>().value(i))
                            }
                            _ => serde_json::Value::String(
                                values.as_string::<i32>().value(i).to_string(),
                            ),
                        };
                        obj.insert(keys.value(i).to_string(), v);
                    }
                    w.write_field(serde_json::Value::Object(obj).to_string())?;
                }
            }
        }
        w.write_record(None::<&[u8]>)?;
    }
    Ok(())
}

fn manifest(plan: &Plan, period: usize, files: &[String], extra_missing: bool) -> layout::Manifest {
    let p = &plan.export.periods[period];
    let e = &plan.export;
    let mut data_files: Vec<String> = files
        .iter()
        .map(|f| layout::s3_uri(&e.s3_bucket, &e.s3_prefix, f))
        .collect();
    if extra_missing {
        // The manifest-mismatch fault: a file the manifest promises but nobody wrote.
        let missing = format!("{}/{}", data_dir_rel(plan, period), file_name(plan, 99_999));
        data_files.push(layout::s3_uri(&e.s3_bucket, &e.s3_prefix, &missing));
    }
    layout::Manifest {
        additional_output_files: Vec::new(),
        columns: e
            .table
            .columns()
            .iter()
            .map(|c| layout::ManifestColumn {
                name: c.name.to_string(),
                ty: c.ty.manifest_name().to_string(),
            })
            .collect(),
        data_files,
        execution_id: uuid_from(plan.seed, &format!("exec:{}", p.label)),
        export_arn: format!(
            "arn:aws:bcm-data-exports:us-east-1:{}:export/{}-{}",
            plan.payer.id,
            e.name,
            uuid_from(plan.seed, "export")
        ),
    }
}

/// Rows per Parquet data page, at most.
const PAGE_ROWS: usize = 8_192;

/// Columns whose values are (nearly) all distinct: a dictionary would only cost memory and
/// time until the writer falls back to plain encoding. (`identity_line_item_id` repeats in every
/// interval of its line item, so it keeps its dictionary.)
const NO_DICTIONARY: [&str; 4] = [
    "line_item_blended_cost",
    "line_item_unblended_cost",
    "line_item_usage_amount",
    "pricing_public_on_demand_cost",
];

/// Parquet settings: compression, row group size, dictionaries where they pay.
fn writer_properties(opts: &GenerateOptions) -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(opts.compression)
        .set_max_row_group_row_count(Some(opts.row_group_rows))
        // Pages close at 1 MiB or at this many rows; dictionary-encoded pages stay far below
        // 1 MiB, and each open page buffers 8 bytes per value until it closes.
        .set_data_page_row_count_limit(PAGE_ROWS);
    for name in NO_DICTIONARY {
        b = b.set_column_dictionary_enabled(ColumnPath::from(name), false);
    }
    b.build()
}

/// Generate the export into `out`, atomically. Returns what was written.
pub fn generate(
    plan: &Plan,
    out: &Path,
    force: bool,
    opts: &GenerateOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<Summary> {
    let final_dir = out.join(&plan.export.name);
    let final_truth = out.join(format!("{}.truth.json", plan.export.name));
    if (final_dir.exists() || final_truth.exists()) && !force {
        bail!(
            "{} already exists; pass --force to replace it, or choose another --out",
            final_dir.display()
        );
    }
    fs::create_dir_all(out).with_context(|| format!("creating output folder {}", out.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.curlab-tmp-", plan.export.name))
        .tempdir_in(out)
        .with_context(|| format!("creating a temporary folder in {}", out.display()))?;
    crate::signal::check()?;
    let has = |f: Fault| opts.faults.iter().any(|s| s.fault == f);
    let ctx = BatchContext {
        table: plan.export.table,
        payer: plan.payer.clone(),
        accounts: plan.accounts.clone(),
        periods: plan.export.periods.clone(),
        invoice_finalized: plan.export.invoice_finalized,
        missing_principal: plan.assumptions.missing_principal,
        maps_as_strings: has(Fault::MapAsString),
        drop_columns: {
            let mut d: Vec<String> = Vec::new();
            if has(Fault::MissingColumn) {
                d.push("pricing_unit".into());
            }
            if has(Fault::LegacyCurHeaders) {
                // Legacy CUR has no map columns (it spreads their keys over one column each)
                // and none of the columns CUR 2.0 added.
                d.extend(
                    plan.export
                        .table
                        .columns()
                        .iter()
                        .filter(|c| {
                            c.ty.is_map()
                                || curlab_vocab::columns::CUR2_ONLY_COLUMNS.contains(&c.name)
                        })
                        .map(|c| c.name.to_string()),
                );
            }
            d
        },
        legacy_names: has(Fault::LegacyCurHeaders),
    };
    if has(Fault::MapAsString) && plan.export.format == Format::Csv {
        bail!("fault map-as-string does not apply to CSV exports: CSV always writes map columns as JSON text");
    }
    let schema = ctx.schema();
    let tags = TagTable::new(plan);
    let props = writer_properties(opts);
    // Column writers are the same for every file; a factory made on a throwaway writer serves
    // all encoder workers.
    let factory = match plan.export.format {
        Format::Parquet => Some(
            ArrowWriter::try_new(std::io::sink(), schema.clone(), Some(props.clone()))?
                .into_serialized_writer()?
                .1,
        ),
        Format::Csv => None,
    };
    let threads = opts.threads.max(1);
    let encoder = Encoder {
        plan,
        tags: &tags,
        ctx: &ctx,
        schema: &schema,
        factory: factory.as_ref(),
    };
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let jobs_rx = Mutex::new(jobs_rx);
    let (parts, periods, rows, faults) = std::thread::scope(|scope| -> Result<_> {
        let (results_tx, results_rx) = mpsc::channel();
        for _ in 0..threads {
            let (results_tx, jobs_rx, encoder) = (results_tx.clone(), &jobs_rx, &encoder);
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
            root: tmp.path().to_path_buf(),
            schema: schema.clone(),
            opts,
            props: props.clone(),
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
            faults: (!opts.faults.is_empty()).then(|| {
                (
                    Injector::new(plan, &opts.faults),
                    RowMaker::new(plan, &tags),
                )
            }),
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
        };
        let parts = drive(plan, &tags, threads, opts.part, progress, |e| {
            writer.push(e)
        })?;
        writer.finish()?;
        // A period without rows still gets an (empty) data file, as AWS delivers one (in a
        // sharded export, from the part that owns the period's first day).
        let (owned, _) = part_days(plan, opts.part);
        for p in 0..plan.export.periods.len() {
            let first_day = plan.export.periods[p].start / 86_400;
            if writer.periods[p].files.is_empty() && owned.contains(&first_day) {
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
    })?;
    let mut summary = Summary {
        rows,
        ..Default::default()
    };
    // Manifests go last, after every data file is complete.
    for (p, pf) in periods.iter().enumerate() {
        if pf.files.is_empty() {
            continue; // another part of a sharded export owns this period
        }
        let label = &plan.export.periods[p].label;
        let dir = tmp
            .path()
            .join(layout::metadata_period_dir(&plan.export.name, label));
        fs::create_dir_all(&dir)?;
        let m = manifest(plan, p, &pf.files, has(Fault::ManifestMismatch));
        fs::write(
            tmp.path()
                .join(layout::manifest_path(&plan.export.name, label)),
            serde_json::to_string_pretty(&m)? + "\n",
        )?;
        for f in &pf.files {
            summary.bytes += fs::metadata(tmp.path().join(f))?.len();
            summary.files.push(f.clone());
        }
    }
    let mut truth = sim::build_truth(plan, &tags, &parts);
    truth.faults = faults;
    truth.rows = rows;
    // Faults may add rows (duplicates): count what was written, not what was simulated.
    for (p, pf) in periods.iter().enumerate() {
        truth
            .rows_by_period
            .insert(plan.export.periods[p].label.clone(), pf.rows);
    }
    let truth_tmp = tmp.path().join("truth.json");
    // Streamed: for tens of thousands of principals the JSON text alone is tens of MiB.
    let mut w = BufWriter::new(File::create(&truth_tmp)?);
    serde_json::to_writer_pretty(&mut w, &truth)?;
    w.write_all(b"\n")?;
    w.flush()?;
    // Last chance to stop before anything outside the temporary folder changes.
    crate::signal::check()?;
    // Swap into place: remove the old export only now that the new one is complete.
    if final_dir.exists() {
        fs::remove_dir_all(&final_dir)
            .with_context(|| format!("removing old {}", final_dir.display()))?;
    }
    fs::rename(tmp.path().join(&plan.export.name), &final_dir)
        .with_context(|| format!("moving the export into {}", final_dir.display()))?;
    fs::rename(&truth_tmp, &final_truth)?;
    summary.truth = truth;
    Ok(summary)
}
