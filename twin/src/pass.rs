//! The one streaming pass: every data file read in parallel (Parquet row groups and CSV files
//! as tasks) with only the needed columns. The workers share one copy of the per-caller
//! figures and the dictionaries ([`Store`]); each keeps only small figures of its own
//! (background, tag keys, bill rows), merged once at the end into one [`Profile`].

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{anyhow, Result};
use curlab_reader::input::{self, DataFile, FileEncoding};
use curlab_reader::kind::classify;
use curlab_reader::read::{self, Col, Opened, Task};

use crate::observe::Acc;
use crate::profile::{FileNote, Profile};
use crate::store::Store;

/// The columns the profile reads.
const NEEDED: [Col; 19] = [
    Col::BillingEntity,
    Col::PeriodStart,
    Col::LineItemType,
    Col::Operation,
    Col::ProductCode,
    Col::Product,
    Col::ProductFamily,
    Col::UnblendedCost,
    Col::UsageAccount,
    Col::UsageAmount,
    Col::UsageStart,
    Col::UsageEnd,
    Col::UsageType,
    Col::PricingUnit,
    Col::Principal,
    Col::Tags,
    Col::NetUnblendedCost,
    Col::ResourceId,
    Col::LineItemDescription,
];

impl Profile {
    /// Read every CUR 2.0 data file behind `paths` (billing period `period` only when given)
    /// on `threads` workers (0: one per core). Legacy CUR and foreign files are listed in
    /// [`Profile::files`] and not read.
    pub fn read(paths: &[String], period: Option<&str>, threads: usize) -> Result<Profile> {
        let inputs = input::discover(paths, period)?;
        let mut files: Vec<(DataFile, Opened)> = Vec::new();
        let mut notes = Vec::new();
        let mut tasks: Vec<Task> = Vec::new();
        let (mut principal_column, mut tags_column, mut csv) = (true, true, false);
        for f in inputs.files {
            let opened = read::open(&f)?;
            let kind = classify(&opened.schema);
            notes.push(FileNote {
                display: f.display.clone(),
                kind: kind.clone(),
            });
            if !kind.is_cur2() {
                continue;
            }
            principal_column &= opened.schema.has(Col::Principal.name());
            tags_column &= opened.schema.has(Col::Tags.name());
            csv |= matches!(f.format, FileEncoding::Csv { .. });
            tasks.extend(read::tasks_of(files.len(), &opened));
            files.push((f, opened));
        }
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        }
        .clamp(1, tasks.len().max(1));
        let next = AtomicUsize::new(0);
        let store = std::sync::Arc::new(Store::new());
        let results: Vec<Result<Acc>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| -> Result<Acc> {
                        let mut p = Acc::new(store.clone());
                        while let Some(task) = tasks.get(next.fetch_add(1, Ordering::Relaxed)) {
                            let (file, opened) = &files[task.file];
                            let r = read::read_task(file, opened, task, &NEEDED, &mut |b| {
                                p.observe(&b)
                            });
                            if let Err(e) = r {
                                next.store(tasks.len(), Ordering::Relaxed);
                                return Err(e.into());
                            }
                        }
                        Ok(p)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err(anyhow!("a profile worker thread panicked")))
                })
                .collect()
        });
        let mut accs = results.into_iter();
        let mut acc = match accs.next() {
            Some(a) => a?,
            None => Acc::new(store.clone()),
        };
        for a in accs {
            acc.merge(a?);
        }
        drop(store);
        let mut total = acc.finish();
        release_freed();
        total.files = notes;
        total.csv = csv;
        total.principal_column = principal_column && !files.is_empty();
        total.tags_column = tags_column && !files.is_empty();
        Ok(total)
    }
}

/// Give the memory freed by the pass back to the system. The workers' reading buffers and
/// memos were freed into their threads' malloc arenas, which the main thread, building the
/// scenario next, does not allocate from: without this they stay resident (about 80 MB at
/// 9M rows) under everything built after the pass (glibc only; other allocators return
/// memory their own way).
pub(crate) fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of malloc's arenas to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}
