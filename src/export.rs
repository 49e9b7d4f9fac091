//! Writing an export: data files in the Data Exports layout, manifests last, the truth file,
//! all inside a temporary folder that is renamed into place only when everything is written.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use curlab_generator::batch::{self, BatchContext};
use curlab_generator::faults::{Fault, FaultSpec, Injector};
use curlab_generator::plan::Plan;
use curlab_generator::rows::Row;
use curlab_generator::scenario::model::{Delivery, Format};
use curlab_generator::sim::{self, Chunk, Emitter, TagTable};
use curlab_vocab::truth::Truth;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// Rows per record batch handed to the writers.
const BATCH_ROWS: usize = 8_192;

/// How to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Worker threads for the simulation.
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

/// Run the simulation on `threads` workers and hand every finished chunk, in order, to `sink`.
/// Days are simulated in parallel; a bounded window keeps memory flat.
pub fn simulate(
    plan: &Plan,
    threads: usize,
    part: Option<(usize, usize)>,
    mut on_day: impl FnMut(usize, usize),
    mut sink: impl FnMut(Chunk) -> Result<()>,
) -> Result<sim::TruthParts> {
    let tags = TagTable::new(plan);
    let (owned, days) = part_days(plan, part);
    let mut emitter = Emitter::new(plan, &tags).with_owned_days(owned);
    let threads = threads.max(1);
    let window = threads * 2;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let result: Result<()> = std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, sim::DayOutput)>(window);
        // Workers may run at most `window` days ahead of the writer.
        let (credit_tx, credit_rx) = mpsc::sync_channel::<()>(window);
        for _ in 0..window {
            let _ = credit_tx.send(());
        }
        let credit_rx = Arc::new(std::sync::Mutex::new(credit_rx));
        for _ in 0..threads {
            let tx = tx.clone();
            let credit_rx = credit_rx.clone();
            let (tags, days, next) = (&tags, &days, &next);
            scope.spawn(move || loop {
                if credit_rx.lock().map(|rx| rx.recv()).is_err() {
                    return;
                }
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= days.len() {
                    return;
                }
                let out = sim::simulate_day(plan, tags, days[i]);
                if tx.send((i, out)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut want = 0;
        for (i, out) in rx.iter() {
            crate::signal::check()?;
            pending.insert(i, out);
            while let Some(out) = pending.remove(&want) {
                for chunk in emitter.push(out) {
                    sink(chunk)?;
                }
                want += 1;
                on_day(want, days.len());
                let _ = credit_tx.send(());
            }
        }
        Ok(())
    });
    result?;
    let (chunks, parts) = emitter.finish();
    for chunk in chunks {
        sink(chunk)?;
    }
    Ok(parts)
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
    let base = format!("{}/data/BILLING_PERIOD={}", plan.export.name, p.label);
    match plan.export.delivery {
        Delivery::Overwrite => base,
        Delivery::CreateNew => {
            // One execution folder per refresh: `<ISO-8601 ms>Z-<execution id>`.
            let t = chrono::DateTime::from_timestamp(p.end + 85_682, 356_000_000)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
                .unwrap_or_default();
            format!(
                "{base}/{t}-{}",
                uuid_from(plan.seed, &format!("exec:{}", p.label))
            )
        }
    }
}

fn file_name(plan: &Plan, n: usize) -> String {
    let ext = match plan.export.format {
        Format::Parquet => "snappy.parquet",
        Format::Csv => "csv.gz",
    };
    format!("{}-{n:05}.{ext}", plan.export.name)
}

enum DataWriter {
    Parquet(ArrowWriter<BufWriter<File>>),
    Csv(csv::Writer<flate2::write::GzEncoder<BufWriter<File>>>),
}

struct PeriodFiles {
    files: Vec<String>,
    rows: u64,
    writer: Option<(DataWriter, u64)>,
}

/// Writes data files period by period, splitting at the row threshold.
struct Writer<'a> {
    plan: &'a Plan,
    root: PathBuf,
    ctx: BatchContext,
    schema: SchemaRef,
    opts: &'a GenerateOptions,
    periods: Vec<PeriodFiles>,
    buffer: Vec<Row>,
    buffer_period: Option<usize>,
    rows: u64,
}

impl<'a> Writer<'a> {
    fn open(&mut self, period: usize) -> Result<()> {
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
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(self.opts.compression)
                    .set_max_row_group_row_count(Some(self.opts.row_group_rows))
                    .build();
                DataWriter::Parquet(ArrowWriter::try_new(
                    file,
                    self.schema.clone(),
                    Some(props),
                )?)
            }
            Format::Csv => {
                let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
                let mut w = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(gz);
                w.write_record(self.schema.fields().iter().map(|f| f.name().as_str()))?;
                DataWriter::Csv(w)
            }
        };
        self.periods[period].files.push(rel);
        self.periods[period].writer = Some((w, 0));
        Ok(())
    }

    fn close(&mut self, period: usize) -> Result<()> {
        if let Some((w, _)) = self.periods[period].writer.take() {
            match w {
                DataWriter::Parquet(w) => {
                    w.close()?;
                }
                DataWriter::Csv(w) => {
                    let gz = w
                        .into_inner()
                        .map_err(|e| anyhow::anyhow!("finishing CSV: {e}"))?;
                    gz.finish()?.flush()?;
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, chunk: Chunk) -> Result<()> {
        if self.buffer_period.is_some_and(|p| p != chunk.period) {
            self.flush()?;
        }
        self.buffer_period = Some(chunk.period);
        self.buffer.extend(chunk.rows);
        if self.buffer.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let Some(period) = self.buffer_period else {
            return Ok(());
        };
        let rows = std::mem::take(&mut self.buffer);
        let mut start = 0;
        while start < rows.len() {
            if self.periods[period].writer.is_none() {
                self.open(period)?;
            }
            let written = self.periods[period].writer.as_ref().map_or(0, |w| w.1);
            let room = (self.plan.export.max_rows_per_file - written) as usize;
            // Record batches stay small (BATCH_ROWS): a day of a large scenario can be 300k rows.
            let end = rows.len().min(start + room.min(BATCH_ROWS));
            let b = batch::to_batch(&self.ctx, &self.schema, &rows[start..end])?;
            self.write_batch(period, &b)?;
            self.rows += (end - start) as u64;
            self.periods[period].rows += (end - start) as u64;
            if let Some(w) = self.periods[period].writer.as_mut() {
                w.1 += (end - start) as u64;
                if w.1 >= self.plan.export.max_rows_per_file {
                    self.close(period)?;
                }
            }
            start = end;
        }
        Ok(())
    }

    fn write_batch(&mut self, period: usize, b: &RecordBatch) -> Result<()> {
        let Some((w, _)) = self.periods[period].writer.as_mut() else {
            bail!("no open file")
        };
        match w {
            DataWriter::Parquet(w) => w.write(b)?,
            DataWriter::Csv(w) => write_csv(w, b)?,
        }
        Ok(())
    }
}

fn write_csv<W: Write>(w: &mut csv::Writer<W>, b: &RecordBatch) -> Result<()> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, TimestampMillisecondType};
    use std::fmt::Write as _;
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
                    write!(buf, "{}", a.value(row))?;
                    w.write_field(&buf)?;
                }
                Col::Ts(a) => {
                    let ms = a.value(row);
                    let cached = &mut ts_cache[i];
                    if cached.0 != ms {
                        cached.1.clear();
                        if let Some(t) = chrono::DateTime::from_timestamp_millis(ms) {
                            write!(cached.1, "{}", t.format("%Y-%m-%dT%H:%M:%S%.3fZ"))?;
                        }
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

fn manifest(
    plan: &Plan,
    ctx: &BatchContext,
    period: usize,
    files: &[String],
    extra_missing: bool,
) -> serde_json::Value {
    let p = &plan.export.periods[period];
    let mut uris: Vec<String> = files
        .iter()
        .map(|f| {
            let prefix = if plan.export.s3_prefix.is_empty() {
                String::new()
            } else {
                format!("{}/", plan.export.s3_prefix)
            };
            format!("s3://{}/{prefix}{f}", plan.export.s3_bucket)
        })
        .collect();
    if extra_missing {
        // The manifest-mismatch fault: a file the manifest promises but nobody wrote.
        let n = 99_999;
        let prefix = if plan.export.s3_prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", plan.export.s3_prefix)
        };
        uris.push(format!(
            "s3://{}/{prefix}{}/{}",
            plan.export.s3_bucket,
            data_dir_rel(plan, period),
            file_name(plan, n)
        ));
    }
    let columns: Vec<serde_json::Value> = plan
        .export
        .table
        .columns()
        .iter()
        .map(|c| serde_json::json!({"name": c.name, "type": c.ty.manifest_name()}))
        .collect();
    let _ = ctx;
    serde_json::json!({
        "executionId": uuid_from(plan.seed, &format!("exec:{}", p.label)),
        "exportArn": format!(
            "arn:aws:bcm-data-exports:us-east-1:{}:export/{}-{}",
            plan.payer.id,
            plan.export.name,
            uuid_from(plan.seed, "export")
        ),
        "columns": columns,
        "dataFiles": uris,
        "additionalOutputFiles": [],
    })
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
        drop_columns: if has(Fault::MissingColumn) {
            vec!["pricing_unit".into()]
        } else {
            vec![]
        },
    };
    if has(Fault::MapAsString) && plan.export.format == Format::Csv {
        bail!("fault map-as-string does not apply to CSV exports: CSV always writes map columns as JSON text");
    }
    let schema = ctx.schema();
    let mut writer = Writer {
        plan,
        root: tmp.path().to_path_buf(),
        ctx: ctx.clone(),
        schema,
        opts,
        periods: plan
            .export
            .periods
            .iter()
            .map(|_| PeriodFiles {
                files: vec![],
                rows: 0,
                writer: None,
            })
            .collect(),
        buffer: Vec::new(),
        buffer_period: None,
        rows: 0,
    };
    let mut injector = Injector::new(plan, &opts.faults);
    let parts = simulate(plan, opts.threads, opts.part, progress, |mut chunk| {
        injector.apply(&mut chunk.rows);
        writer.push(chunk)
    })?;
    writer.flush()?;
    for p in 0..plan.export.periods.len() {
        writer.close(p)?;
    }
    let faults = injector.report(&opts.faults).map_err(anyhow::Error::msg)?;
    // A period without rows still gets an (empty) data file, as AWS delivers one (in a sharded
    // export, from the part that owns the period's first day).
    let (owned, _) = part_days(plan, opts.part);
    for p in 0..plan.export.periods.len() {
        let first_day = plan.export.periods[p].start / 86_400;
        if writer.periods[p].files.is_empty() && owned.contains(&first_day) {
            writer.open(p)?;
            writer.close(p)?;
        }
    }
    let mut summary = Summary {
        rows: writer.rows,
        ..Default::default()
    };
    // Manifests go last, after every data file is complete.
    for (p, pf) in writer.periods.iter().enumerate() {
        if pf.files.is_empty() {
            continue; // another part of a sharded export owns this period
        }
        let label = &plan.export.periods[p].label;
        let dir = tmp
            .path()
            .join(&plan.export.name)
            .join("metadata")
            .join(format!("BILLING_PERIOD={label}"));
        fs::create_dir_all(&dir)?;
        let m = manifest(plan, &ctx, p, &pf.files, has(Fault::ManifestMismatch));
        fs::write(
            dir.join(format!("{}-Manifest.json", plan.export.name)),
            serde_json::to_string_pretty(&m)? + "\n",
        )?;
        for f in &pf.files {
            summary.bytes += fs::metadata(tmp.path().join(f))?.len();
            summary.files.push(f.clone());
        }
    }
    let tags = TagTable::new(plan);
    let mut truth = sim::build_truth(plan, &tags, &parts);
    truth.faults = faults;
    truth.rows = writer.rows;
    // Faults may add rows (duplicates): count what was written, not what was simulated.
    for (p, pf) in writer.periods.iter().enumerate() {
        truth
            .rows_by_period
            .insert(plan.export.periods[p].label.clone(), pf.rows);
    }
    let truth_tmp = tmp.path().join("truth.json");
    fs::write(&truth_tmp, serde_json::to_string_pretty(&truth)? + "\n")?;
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
