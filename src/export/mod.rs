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
use curlab_generator::plan::Plan;
use curlab_generator::scenario::model::ExportFormat;
use curlab_generator::sim::{self, TagTable};
use curlab_vocab::export_layout as layout;

pub(crate) use flow::simulate;
pub(crate) use options::{GenerateOptions, Summary};

/// Generate the export into `out`, atomically. Returns what was written.
pub(crate) fn generate(
    plan: &Plan,
    out: &Path,
    force: bool,
    opts: &GenerateOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<Summary> {
    let staging = atomic::Staging::begin(out, &plan.export.name, force)?;
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
    if has(Fault::MapAsString) && plan.export.format == ExportFormat::Csv {
        bail!("fault map-as-string does not apply to CSV exports: CSV always writes map columns as JSON text");
    }
    let schema = ctx.schema();
    let tags = TagTable::new(plan);
    let root = staging.root();
    let (parts, periods, rows, faults) = match plan.export.format {
        ExportFormat::Parquet => {
            let format =
                format::Parquet::new(schema.clone(), opts.compression, opts.row_group_rows)?;
            pipeline::write_data(
                &pipeline::Encoder {
                    plan,
                    tags: &tags,
                    ctx: &ctx,
                    schema: &schema,
                    format: &format,
                },
                opts,
                root,
                progress,
            )?
        }
        ExportFormat::Csv => {
            let format = format::Csv::new(schema.clone());
            pipeline::write_data(
                &pipeline::Encoder {
                    plan,
                    tags: &tags,
                    ctx: &ctx,
                    schema: &schema,
                    format: &format,
                },
                opts,
                root,
                progress,
            )?
        }
    };
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
        fs::create_dir_all(root.join(layout::metadata_period_dir(&plan.export.name, label)))?;
        let m = manifest::manifest(plan, p, &pf.files, has(Fault::ManifestMismatch));
        fs::write(
            root.join(layout::manifest_path(&plan.export.name, label)),
            serde_json::to_string_pretty(&m)? + "\n",
        )?;
        for f in &pf.files {
            summary.bytes += fs::metadata(root.join(f))?.len();
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
    staging.commit(&truth)?;
    summary.truth = truth;
    Ok(summary)
}
