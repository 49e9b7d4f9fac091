//! Reading CUR 2.0 data files into an [`Aggregator`], through the reading layer (`curlab-reader`:
//! discovery, Parquet and CSV decoding, typed cells) the verifier uses too, so both commands
//! read exports alike.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use curlab_reader::input::{self, DataFile};
use curlab_reader::read::{self, Batch, Col, Opened, Task};
use curlab_vocab::bedrock::{is_bedrock, is_bedrock_inference, RowIdentity};

use crate::agg::{Aggregator, CostMetric, ReportSpec};
use crate::chargeback::{ChargeRow, Chargeback};
use crate::item::LineItem;
use crate::money;

/// The columns a report reads.
const NEEDED: [Col; 15] = [
    Col::NetUnblendedCost,
    Col::BillingEntity,
    Col::LineItemType,
    Col::Operation,
    Col::ProductCode,
    Col::Product,
    Col::ProductFamily,
    Col::UnblendedCost,
    Col::UsageAccount,
    Col::UsageAmount,
    Col::UsageStart,
    Col::UsageType,
    Col::PricingUnit,
    Col::Principal,
    Col::Tags,
];

/// Data files found behind the command-line paths, opened and split into tasks.
pub struct Export {
    files: Vec<(DataFile, Opened)>,
    tasks: Vec<Task>,
}

impl Export {
    /// Discover and open the data files behind `paths` (folders in the Data Exports layout,
    /// files or globs), keeping only billing period `period` when given.
    pub fn open(paths: &[String], period: Option<&str>) -> Result<Export> {
        let inputs = input::discover(paths, period)?;
        let mut files = Vec::with_capacity(inputs.files.len());
        let mut tasks = Vec::new();
        for (i, f) in inputs.files.into_iter().enumerate() {
            let opened = read::open(&f)?;
            tasks.extend(read::tasks_of(i, &opened));
            files.push((f, opened));
        }
        Ok(Export { files, tasks })
    }

    /// The data files, as displayed.
    pub fn sources(&self) -> Vec<String> {
        self.files.iter().map(|(f, _)| f.display.clone()).collect()
    }

    /// Units of work (a CSV file or a Parquet row group); progress counts these.
    pub fn task_count(&self) -> usize {
        self.tasks.len()
    }

    /// Read every Bedrock inference usage row into an aggregator, on `threads` workers
    /// (0: one per core). `progress(done)` is called after each task.
    pub fn scan(
        &self,
        spec: &ReportSpec,
        threads: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Aggregator> {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        }
        .clamp(1, self.tasks.len().max(1));
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let results: Vec<Result<Aggregator>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| -> Result<Aggregator> {
                        let mut agg = Aggregator::new(spec.clone());
                        while let Some(task) = self.tasks.get(next.fetch_add(1, Ordering::Relaxed))
                        {
                            let (file, opened) = &self.files[task.file];
                            let mut bad_cell: Option<String> = None;
                            let r = read::read_task(file, opened, task, &NEEDED, &mut |b| {
                                if bad_cell.is_none() {
                                    bad_cell = observe_batch(&b, &mut agg).err();
                                }
                            });
                            let r = r
                                .map_err(anyhow::Error::from)
                                .and_then(|()| match bad_cell {
                                    Some(problem) => Err(anyhow::anyhow!(
                                        "{}: {problem}; fix: the Bedrock total cannot be computed \
                                     from this file; re-download it, and run `curlab verify` \
                                     to list every malformed cell",
                                        file.path.display()
                                    )),
                                    None => Ok(()),
                                });
                            if let Err(e) = r {
                                // Stop the other workers early; the first error is reported.
                                next.store(self.tasks.len(), Ordering::Relaxed);
                                return Err(e);
                            }
                            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                        }
                        Ok(agg)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a report worker thread panicked")))
                })
                .collect()
        });
        let mut total = Aggregator::new(spec.clone());
        for r in results {
            total.merge(r?);
        }
        Ok(total)
    }
}

/// Feed the Bedrock inference usage rows of one batch to the aggregator. A Bedrock row whose
/// cost cell is not a number stops the batch: summing it as zero would silently break the
/// total, so the error names the row and the text found.
pub fn observe_batch(b: &Batch, agg: &mut Aggregator) -> Result<(), String> {
    for i in 0..b.len {
        let s = |c: Col| b.str(c, i).unwrap_or("");
        let product_name = b
            .map(Col::Product)
            .and_then(|m| m.get(i, "product_name"))
            .unwrap_or("");
        let ident = RowIdentity {
            product_code: s(Col::ProductCode),
            billing_entity: s(Col::BillingEntity),
            product_family: s(Col::ProductFamily),
            product_name,
            operation: s(Col::Operation),
            line_item_type: s(Col::LineItemType),
        };
        if !is_bedrock_inference(&ident) {
            continue;
        }
        if let Some(e) = b
            .cell_errors
            .iter()
            .find(|e| e.row == i && e.col == Col::UnblendedCost)
        {
            return Err(format!(
                "row {}: line_item_unblended_cost `{}` of a Bedrock row is not a number",
                b.first_row + i as u64 + 1,
                e.raw
            ));
        }
        let usage = b.f64(Col::UsageAmount, i).unwrap_or(0.0);
        let tags: Vec<(String, String)> = b
            .entries(Col::Tags, i)
            .map(|e| e.map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap_or_default();
        const MAX_USAGE_E6: i128 = 1_000_000_000_000_000_000;
        let unblended = b.f64(Col::UnblendedCost, i).unwrap_or(0.0);
        let cost = match agg.spec().cost {
            CostMetric::Net => b.f64(Col::NetUnblendedCost, i).unwrap_or(unblended),
            CostMetric::Unblended | CostMetric::Amortized => unblended,
        };
        agg.observe(&LineItem {
            principal: b.str(Col::Principal, i).filter(|p| !p.trim().is_empty()),
            usage_account: s(Col::UsageAccount),
            usage_type: s(Col::UsageType),
            product_name,
            pricing_unit: s(Col::PricingUnit),
            start: b.ts(Col::UsageStart, i),
            cost: money::from_usd(cost),
            // Clamped to ±1e12 units: corrupt data (1e300) cannot overflow the token sums.
            usage_e6: if usage.is_finite() {
                ((usage * 1e6).round() as i128).clamp(-MAX_USAGE_E6, MAX_USAGE_E6)
            } else {
                0
            },
            tags: &tags,
        });
    }
    Ok(())
}

/// The columns the chargeback reads.
const CHARGEBACK: [Col; 10] = [
    Col::UsageType,
    Col::BillingEntity,
    Col::LineItemType,
    Col::Operation,
    Col::ProductCode,
    Col::Product,
    Col::ProductFamily,
    Col::UnblendedCost,
    Col::NetUnblendedCost,
    Col::Principal,
];

impl Export {
    /// The chargeback over every row of the export (one pass, in file order).
    pub fn chargeback(&self) -> Result<Chargeback> {
        let mut c = Chargeback::default();
        for task in &self.tasks {
            let (file, opened) = &self.files[task.file];
            let mut bad_cell: Option<String> = None;
            read::read_task(file, opened, task, &CHARGEBACK, &mut |b| {
                if bad_cell.is_none() {
                    bad_cell = observe_charges(&b, &mut c).err();
                }
            })?;
            if let Some(problem) = bad_cell {
                anyhow::bail!(
                    "{}: {problem}; fix: the invoice total cannot be computed from this file; \
                     re-download it, and run `curlab verify` to list every malformed cell",
                    file.path.display()
                );
            }
        }
        Ok(c)
    }
}

/// Feed every row of one batch to the chargeback. A cost cell that is not a number stops it.
pub fn observe_charges(b: &Batch, c: &mut Chargeback) -> Result<(), String> {
    for i in 0..b.len {
        if let Some(e) = b
            .cell_errors
            .iter()
            .find(|e| e.row == i && matches!(e.col, Col::UnblendedCost | Col::NetUnblendedCost))
        {
            return Err(format!(
                "row {}: {} `{}` is not a number",
                b.first_row + i as u64 + 1,
                e.col.name(),
                e.raw
            ));
        }
        let s = |col: Col| b.str(col, i).unwrap_or("");
        let product_name = b
            .map(Col::Product)
            .and_then(|m| m.get(i, "product_name"))
            .unwrap_or("");
        let line_item_type = s(Col::LineItemType);
        let ident = RowIdentity {
            product_code: s(Col::ProductCode),
            billing_entity: s(Col::BillingEntity),
            product_family: s(Col::ProductFamily),
            product_name,
            operation: s(Col::Operation),
            line_item_type,
        };
        let gross = money::from_usd(b.f64(Col::UnblendedCost, i).unwrap_or(0.0));
        c.observe(&ChargeRow {
            principal: b.str(Col::Principal, i).filter(|p| !p.trim().is_empty()),
            line_item_type,
            bedrock: is_bedrock(&ident),
            usage_type: s(Col::UsageType),
            product_code: s(Col::ProductCode),
            gross,
            net: b
                .f64(Col::NetUnblendedCost, i)
                .map_or(gross, money::from_usd),
        });
    }
    Ok(())
}
