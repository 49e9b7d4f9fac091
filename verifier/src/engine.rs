//! One streaming pass over all data files for all selected rules.
//!
//! The engine asks the selected rules what they need ([`Wanted`]: columns, aggregates,
//! per-value facts) and reads, collects and works out exactly that; it names no rule.
//!
//! Work is split into tasks (a CSV file, or one Parquet row group) that worker threads take
//! from a shared counter. Each worker keeps its own tallies and aggregates; they are merged at
//! the end with commutative operations, so the report is identical for any `--threads`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::context::{context_from_files, Ctx, FileCtx};
use crate::error::VerifyError;
use crate::facts::{
    Accum, Aggregate, Aggregates, DupStore, FactCache, IdSink, Shared, View, Wanted,
};
use crate::finding::{Report, Skipped, Tally};
use crate::input;
use crate::read::{self, Col, Task};
use crate::rule::Rule;
use crate::rules::{registry, RULES};

/// What to verify and how.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Export folders, data files or globs.
    pub paths: Vec<String>,
    /// Ground-truth file written by `curlab generate`.
    pub truth: Option<PathBuf>,
    /// Policy TOML file.
    pub policy: Option<PathBuf>,
    /// Only this billing period (`YYYY-MM`).
    pub period: Option<String>,
    /// Rule codes or code prefixes to run (empty: all). `ALL` selects every rule.
    pub select: Vec<String>,
    /// Rule codes or code prefixes not to run.
    pub ignore: Vec<String>,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// Samples kept per finding.
    pub max_samples: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            paths: Vec::new(),
            truth: None,
            policy: None,
            period: None,
            select: Vec::new(),
            ignore: Vec::new(),
            threads: 0,
            max_samples: 5,
        }
    }
}

fn column_reason(columns: &[Col], ctx: &Ctx) -> Option<String> {
    let missing = columns.iter().find(|c| !ctx.any_file_has(**c))?;
    // What was observed, then what would add the column, as a possibility: the files alone do
    // not show why a column is absent (a column selection, an older table, a pipeline).
    Some(match missing {
        Col::Principal => "column line_item_iam_principal is not in any data file; exports with INCLUDE_IAM_PRINCIPAL_DATA enabled have it".to_string(),
        Col::Tags => "column tags is not in any data file; the current CUR 2.0 table has it (an older 113-column export or a column selection may not)".to_string(),
        other => format!("column {} is not in any data file", other.name()),
    })
}

/// Why every rule but those judging every file is skipped when no data file is CUR 2.0 data.
fn no_cur2_reason() -> String {
    let judges: Vec<&str> = RULES
        .iter()
        .filter(|r| r.judges_every_file())
        .map(|r| r.meta().code)
        .collect();
    format!(
        "no data file is CUR 2.0 data ({} says what each one is), so the CUR 2.0 rules have nothing to check",
        judges.join(", ")
    )
}

/// Build the context: discover and open files, load truth and policy.
fn build_context(opts: &VerifyOptions) -> Result<(Ctx, Vec<String>), VerifyError> {
    let inputs = input::discover(&opts.paths, opts.period.as_deref())?;
    let mut ctx = context_from_files(
        opts.truth.as_deref(),
        opts.policy.as_deref(),
        opts.period.clone(),
    )?;
    ctx.files = inputs
        .files
        .iter()
        .map(|f| {
            let opened = read::open(f)?;
            Ok(FileCtx {
                file: f.clone(),
                kind: crate::kind::classify(&opened.schema),
                opened,
            })
        })
        .collect::<Result<Vec<_>, VerifyError>>()?;
    ctx.manifests = inputs.manifests;
    ctx.has_export_layout = inputs.has_export_layout;
    Ok((ctx, inputs.notes))
}

/// Per-worker state while scanning.
struct Worker {
    tallies: Vec<Tally>,
    accum: Accum,
    facts: FactCache,
    rows: u64,
}

impl Worker {
    fn new(
        n: usize,
        max_samples: usize,
        wanted: &Wanted,
        ctx: &Ctx,
        ids: Option<&Arc<DupStore>>,
        shared: &Arc<Shared>,
    ) -> Self {
        Worker {
            tallies: (0..n).map(|_| Tally::new(max_samples)).collect(),
            accum: Accum::new(wanted.track, ids),
            facts: FactCache::new(ctx, &wanted.facts, shared.clone()),
            rows: 0,
        }
    }

    /// The worker's results, still keyed by interned ids; its per-value facts are dropped
    /// here, before the workers' aggregates are merged.
    fn into_scanned(self) -> Scanned {
        Scanned {
            tallies: self.tallies,
            accum: Some(self.accum),
            rows: self.rows,
        }
    }
}

/// A worker's results, keyed by interned ids.
struct Scanned {
    tallies: Vec<Tally>,
    accum: Option<Accum>,
    rows: u64,
}

/// Results of the scan, merged.
struct State {
    tallies: Vec<Tally>,
    agg: Aggregates,
    rows: u64,
}

impl State {
    fn new(n: usize, max_samples: usize) -> Self {
        State {
            tallies: (0..n).map(|_| Tally::new(max_samples)).collect(),
            agg: Aggregates::default(),
            rows: 0,
        }
    }
}

fn scan_task(
    task: &Task,
    ctx: &Ctx,
    rules: &[&'static dyn Rule],
    needed: &[Col],
    w: &mut Worker,
) -> Result<(), VerifyError> {
    let f = &ctx.files[task.file];
    let display = f.file.display.as_str();
    let period = f.file.period.as_deref();
    read::read_task(&f.file, &f.opened, task, needed, &mut |batch| {
        w.facts.prepare(&batch, ctx);
        let view = View::new(&batch, &w.facts, task.file, display, period);
        w.accum.observe(&view);
        for (rule, tally) in rules.iter().zip(w.tallies.iter_mut()) {
            rule.check_batch(&view, ctx, tally);
        }
        w.rows += batch.len as u64;
    })
}

/// Rows the scan will see, for sizing the duplicate-id partitions: exact for Parquet (footer
/// row counts), an over-estimate for CSV (file size / 64 bytes).
fn expected_rows(ctx: &Ctx) -> u64 {
    ctx.files
        .iter()
        .filter(|f| f.kind.is_cur2())
        .map(|f| {
            if f.opened.row_groups.is_empty() {
                std::fs::metadata(&f.file.path).map_or(0, |m| m.len() / 64)
            } else {
                f.opened.row_groups.iter().sum()
            }
        })
        .sum()
}

/// Read back the `identity_line_item_id` and `identity_time_interval` of the duplicates that
/// will be sampled (the first `n` by file and row). The scan keeps only digests of the keys;
/// re-reading at most `n` row groups (or CSV files) keeps memory small and the samples
/// identical for any thread count.
fn resolve_duplicate_ids(ctx: &Ctx, agg: &mut Aggregates, n: usize) -> Result<(), VerifyError> {
    agg.duplicates.sort_by_key(|d| d.pos);
    let wanted: Vec<(usize, u64)> = agg.duplicates.iter().take(n).map(|d| d.pos).collect();
    type Found = (String, Option<String>);
    let mut found: std::collections::HashMap<(usize, u64), Found> = Default::default();
    for (fi, f) in ctx.files.iter().enumerate() {
        let rows: Vec<u64> = wanted
            .iter()
            .filter(|(w, _)| *w == fi)
            .map(|(_, r)| *r)
            .collect();
        if rows.is_empty() {
            continue;
        }
        for task in read::tasks_of(fi, &f.opened) {
            let len = task
                .row_group
                .and_then(|rg| f.opened.row_groups.get(rg).copied())
                .unwrap_or(u64::MAX - task.first_row);
            if !rows
                .iter()
                .any(|r| *r > task.first_row && *r - task.first_row <= len)
            {
                continue;
            }
            let cols = [Col::LineItemId, Col::TimeInterval];
            read::read_task(&f.file, &f.opened, &task, &cols, &mut |b| {
                for r in &rows {
                    if *r > b.first_row && *r <= b.first_row + b.len as u64 {
                        let i = (*r - b.first_row - 1) as usize;
                        if let Some(id) = b.str(Col::LineItemId, i) {
                            let interval = b
                                .str(Col::TimeInterval, i)
                                .filter(|t| !t.trim().is_empty())
                                .map(str::to_string);
                            found.insert((fi, *r), (id.to_string(), interval));
                        }
                    }
                }
            })?;
        }
    }
    for d in agg.duplicates.iter_mut().take(n) {
        if let Some((id, interval)) = found.remove(&d.pos) {
            d.id = Some(id);
            d.interval = interval;
        }
    }
    Ok(())
}

/// Verify an export: the library entry point behind `curlab verify`.
pub fn verify(opts: &VerifyOptions) -> Result<Report, VerifyError> {
    let selected = registry::select(&opts.select, &opts.ignore)?;
    let (ctx, notes) = build_context(opts)?;

    let mut run: Vec<&'static dyn Rule> = Vec::new();
    let mut skipped = Vec::new();
    let no_cur2 = !ctx.any_cur2_file();
    for rule in selected {
        let m = rule.meta();
        let reason = (no_cur2 && !rule.judges_every_file())
            .then(no_cur2_reason)
            .or_else(|| m.applies.unmet(ctx.truth.is_some(), ctx.policy.is_some()))
            .or_else(|| column_reason(m.needs.columns, &ctx))
            .or_else(|| rule.skip_reason(&ctx));
        match reason {
            Some(reason) => skipped.push(Skipped {
                rule: m.code.to_string(),
                reason,
            }),
            None => run.push(rule),
        }
    }

    let wanted = Wanted::of(run.iter().map(|r| &r.meta().needs));
    let track = wanted.track;
    // The rules that asked for line item ids, named if their temporary files fail.
    let asked_for_ids: Vec<&str> = run
        .iter()
        .filter(|r| r.meta().needs.aggregates.contains(&Aggregate::LineItemIds))
        .map(|r| r.meta().code)
        .collect();

    // Schema and layout checks, once per file (files that are not CUR 2.0 data only for the
    // rules that judge every file).
    let mut main = State::new(run.len(), opts.max_samples);
    for (fi, f) in ctx.files.iter().enumerate() {
        for (rule, tally) in run.iter().zip(main.tallies.iter_mut()) {
            if f.kind.is_cur2() || rule.judges_every_file() {
                rule.check_file(fi, &ctx, tally);
            }
        }
    }

    // The one streaming pass, over the CUR 2.0 files.
    let tasks: Vec<Task> = ctx
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind.is_cur2())
        .flat_map(|(i, f)| read::tasks_of(i, &f.opened))
        .collect();
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        opts.threads
    }
    .clamp(1, tasks.len().max(1));
    let ids = track
        .has(Aggregate::LineItemIds)
        .then(|| DupStore::new(expected_rows(&ctx), asked_for_ids.join(", ")));
    let next = AtomicUsize::new(0);
    // One interner for all workers (each string stored once, the aggregates merged by id),
    // and one table per rule fact by interned id.
    let shared = Arc::new(Shared::default());
    type Outcome = (Scanned, Option<(usize, VerifyError)>);
    let results: Vec<Outcome> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut w = Worker::new(
                        run.len(),
                        opts.max_samples,
                        &wanted,
                        &ctx,
                        ids.as_ref(),
                        &shared,
                    );
                    let mut err = None;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(task) = tasks.get(i) else {
                            break;
                        };
                        if let Err(e) = scan_task(task, &ctx, &run, &wanted.columns, &mut w) {
                            next.store(tasks.len(), Ordering::Relaxed);
                            err = Some((i, e));
                            break;
                        }
                    }
                    (w.into_scanned(), err)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| {
                    (
                        Scanned {
                            tallies: Vec::new(),
                            accum: None,
                            rows: 0,
                        },
                        Some((
                            usize::MAX,
                            VerifyError::Usage("internal error: a worker thread panicked".into()),
                        )),
                    )
                })
            })
            .collect()
    });
    let mut first_error: Option<(usize, VerifyError)> = None;
    let mut sinks: Vec<IdSink> = Vec::new();
    let mut merged: Option<Accum> = None;
    for (scanned, err) in results {
        for (a, b) in main.tallies.iter_mut().zip(scanned.tallies) {
            a.merge(b);
        }
        main.rows += scanned.rows;
        if let Some(mut accum) = scanned.accum {
            sinks.extend(accum.take_ids());
            match merged.as_mut() {
                Some(m) => m.merge(accum),
                None => merged = Some(accum),
            }
        }
        if let Some((i, e)) = err {
            if first_error.as_ref().is_none_or(|(j, _)| i < *j) {
                first_error = Some((i, e));
            }
        }
    }
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    if let Some(accum) = merged {
        // The strings leave the interner's table (dropped here, with the facts by id) for the
        // aggregates' keys.
        let names = shared.interner.names();
        drop(shared);
        let (agg, _) = accum.into_aggregates(&names);
        main.agg.merge(agg);
    }

    if let Some(store) = &ids {
        main.agg.duplicates = store.finish(sinks, threads)?;
        resolve_duplicate_ids(&ctx, &mut main.agg, opts.max_samples)?;
    }
    for (rule, tally) in run.iter().zip(main.tallies.iter_mut()) {
        rule.finish(&main.agg, &ctx, tally);
    }
    let findings = run
        .iter()
        .zip(main.tallies)
        .filter_map(|(rule, tally)| tally.into_finding(rule.meta()))
        .collect();
    Ok(Report {
        files: ctx.files.iter().map(|f| f.file.display.clone()).collect(),
        rows_scanned: main.rows,
        rules_run: run.iter().map(|r| r.meta().code.to_string()).collect(),
        rules_skipped: skipped,
        findings,
        notes,
    })
}
