//! Writing an export: data files in the Data Exports layout, manifests last, the truth file,
//! all inside a temporary folder that is renamed into place only when everything is written.
//!
//! The pipeline, one job per file: [`flow`] runs the simulation workers under back-pressure and
//! hands their output back in day order; [`pipeline`] cuts it into row groups, has encoder
//! workers build and encode them with the export's [`format::OutputFormat`] (Parquet or CSV)
//! and appends them to the data files in order, rotating files; [`manifest`] names the files
//! and builds the manifests; [`options`] says what to write and what was written; [`atomic`]
//! holds the temporary folder and the final rename. Every stage is bounded, so memory does not
//! grow with the export, and the bytes do not depend on the thread count.

mod atomic;
mod flow;
mod format;
mod manifest;
mod options;
mod pipeline;

use std::fs;
use std::path::Path;

use anyhow::{bail, Result};
use curlab_generator::batch::BatchContext;
use curlab_generator::faults::Fault;
use curlab_generator::plan::{DeliveryPass, Plan};
use curlab_generator::scenario::model::{Delivery, ExportFormat};
use curlab_generator::sim::{self, TagTable};
use curlab_vocab::export_layout as layout;

pub(crate) use atomic::refuse_existing;
pub(crate) use flow::{part_units, simulate};
pub(crate) use options::{GenerateOptions, Summary};

/// Generate the export into `out`, atomically. Returns what was written.
pub(crate) fn generate(
    plan: &Plan,
    out: &Path,
    force: bool,
    opts: &GenerateOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<Summary> {
    curlab_generator::faults::check_layout(plan, &opts.faults).map_err(anyhow::Error::msg)?;
    let staging = atomic::Staging::begin(out, &plan.export.name, force)?;
    crate::signal::check()?;
    // What resolving the plan freed (end users, selectors) goes back before the run.
    crate::memory::trim();
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
    if has(Fault::MapAsString) && plan.export.format == ExportFormat::Csv {
        bail!("fault map-as-string does not apply to CSV exports: CSV always writes map columns as JSON text");
    }
    let schema = ctx.schema();
    let tags = TagTable::new(plan);
    let root = staging.root();
    let pass = Pass {
        tags: &tags,
        ctx: &ctx,
        schema: &schema,
        opts,
        root,
    };
    let (parts, periods, rows, faults) = pass.write(plan, None, progress)?;
    // A restated period of a create-new export keeps its first delivery on disk, in its own
    // execution folder: the same scenario without the late adjustments, written for the
    // restated periods only (docs/export-format.md, "Restated months").
    let restated: Vec<bool> = (0..plan.export.periods.len())
        .map(|p| plan.restated_at(p).is_some())
        .collect();
    let first: Vec<Vec<String>> =
        if plan.export.delivery == Delivery::CreateNew && restated.contains(&true) {
            let mut before = plan.clone();
            before.delivery = DeliveryPass::First;
            let quiet = GenerateOptions {
                faults: Vec::new(),
                ..opts.clone()
            };
            let pass = Pass {
                opts: &quiet,
                ..pass
            };
            let (_, first, _, _) = pass.write(&before, Some(&restated), &|_, _| {})?;
            first.into_iter().map(|pf| pf.files).collect()
        } else {
            vec![Vec::new(); restated.len()]
        };
    let mut summary = Summary {
        rows,
        ..Default::default()
    };
    // Manifests go last, after every data file is complete. A restated period's manifest
    // lists its latest delivery only (Data Exports rewrites it on every refresh), unless a
    // restatement fault plants a stale one or one listing both.
    for (p, pf) in periods.iter().enumerate() {
        if pf.files.is_empty() {
            continue; // another part of a sharded export owns this period
        }
        let label = &plan.export.periods[p].label;
        fs::create_dir_all(root.join(layout::metadata_period_dir(&plan.export.name, label)))?;
        let restated = !first[p].is_empty();
        let stale = restated && has(Fault::RestatementMissed);
        let listed: Vec<String> = if stale {
            first[p].clone()
        } else if restated && has(Fault::RestatementDoubled) {
            first[p].iter().chain(&pf.files).cloned().collect()
        } else {
            pf.files.clone()
        };
        let m = if stale {
            // The stale manifest is the first delivery's, its execution id too.
            let mut before = plan.clone();
            before.delivery = DeliveryPass::First;
            manifest::manifest(&before, p, &listed, has(Fault::ManifestMismatch))
        } else {
            manifest::manifest(plan, p, &listed, has(Fault::ManifestMismatch))
        };
        fs::write(
            root.join(layout::manifest_path(&plan.export.name, label)),
            serde_json::to_string_pretty(&m)? + "\n",
        )?;
        for f in first[p].iter().chain(&pf.files) {
            summary.bytes += fs::metadata(root.join(f))?.len();
            summary.files.push(f.clone());
        }
    }
    // Written principal by principal from the plan (`TruthFile`), not built whole first.
    let mut truth = sim::truth_file(plan, &tags, &parts);
    truth.head.faults = faults;
    truth.head.rows = rows;
    // Faults may add rows (duplicates): count what was written, not what was simulated.
    for (p, pf) in periods.iter().enumerate() {
        truth
            .head
            .rows_by_period
            .insert(plan.export.periods[p].label.clone(), pf.rows);
    }
    staging.commit(&truth)?;
    summary.principals = truth.principal_count();
    summary.truth = truth.head;
    Ok(summary)
}

/// What one writing pass over a plan shares with the others: the tags, how rows become
/// batches, the options and the temporary folder.
#[derive(Clone, Copy)]
struct Pass<'a> {
    tags: &'a TagTable,
    ctx: &'a BatchContext,
    schema: &'a arrow_schema::SchemaRef,
    opts: &'a GenerateOptions,
    root: &'a Path,
}

impl Pass<'_> {
    /// The data files of `plan` encoded by `format`.
    fn write_as<F: format::DataEncoder>(
        &self,
        format: &F,
        batch_schema: &arrow_schema::SchemaRef,
        plan: &Plan,
        keep: Option<&[bool]>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<pipeline::Written> {
        let encoder = pipeline::Encoder {
            plan,
            tags: self.tags,
            ctx: self.ctx,
            schema: batch_schema,
            format,
        };
        pipeline::write_data(&encoder, self.opts, self.root, keep, progress)
    }

    /// Simulate `plan` and write its data files in the export's format (only the periods of
    /// `keep` when given).
    fn write(
        &self,
        plan: &Plan,
        keep: Option<&[bool]>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<pipeline::Written> {
        match plan.export.format {
            ExportFormat::Parquet => {
                let format = format::Parquet::new(
                    self.schema.clone(),
                    self.ctx.dictionary_schema(),
                    self.opts.compression,
                    self.opts.row_group_rows,
                )?;
                self.write_as(&format, format.batch_schema(), plan, keep, progress)
            }
            ExportFormat::Csv => {
                let format = format::Csv::new(self.schema.clone());
                self.write_as(&format, self.schema, plan, keep, progress)
            }
        }
    }
}
