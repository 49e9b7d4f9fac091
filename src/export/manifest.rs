//! Where the writer puts things, and the manifest it writes last: paths and names come from
//! `curlab_vocab::export_layout`; ids are deterministic (seeded), so files are reproducible.

use curlab_generator::plan::{DeliveryPass, Plan};
use curlab_generator::scenario::model::{Delivery, ExportFormat};
use curlab_vocab::export_layout as layout;

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

/// The execution that delivers a period in this pass: its time and id. The first delivery runs
/// at 23:48:02.356 on the first day after the period; a restated period's latest delivery
/// (`restated_at`) at the same time of day on the restatement's day, with an id of its own.
fn execution(plan: &Plan, period: usize) -> (Option<chrono::DateTime<chrono::Utc>>, String) {
    let p = &plan.export.periods[period];
    let (day, salt) = match (plan.delivery, plan.restated_at(period)) {
        (DeliveryPass::Latest, Some(day)) => (day, format!("exec:{}:restated", p.label)),
        _ => (p.end, format!("exec:{}", p.label)),
    };
    (
        chrono::DateTime::from_timestamp(day + 85_682, 356_000_000),
        uuid_from(plan.seed, &salt),
    )
}

/// The folder of a period's data files, relative to the output folder (with the execution
/// folder in create-new delivery).
pub(super) fn data_dir_rel(plan: &Plan, period: usize) -> String {
    let p = &plan.export.periods[period];
    let base = layout::data_period_dir(&plan.export.name, &p.label);
    match plan.export.delivery {
        Delivery::Overwrite => base,
        Delivery::CreateNew => {
            // One execution folder per refresh: `<ISO-8601 ms>Z-<execution id>`.
            let (at, id) = execution(plan, period);
            format!("{base}/{}", layout::execution_folder(at, &id))
        }
    }
}

/// The file name encoding of an export format.
fn encoding(format: ExportFormat) -> layout::Encoding {
    match format {
        ExportFormat::Parquet => layout::Encoding::Parquet,
        ExportFormat::Csv => layout::Encoding::CsvGz,
    }
}

/// The `n`-th data file name (1-based).
pub(super) fn file_name(plan: &Plan, n: usize) -> String {
    layout::data_file_name(&plan.export.name, n, encoding(plan.export.format))
}

/// The manifest of a period listing `files` (relative to the output folder); `extra_missing`
/// plants the manifest-mismatch fault.
pub(super) fn manifest(
    plan: &Plan,
    period: usize,
    files: &[String],
    extra_missing: bool,
) -> layout::Manifest {
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
        execution_id: execution(plan, period).1,
        export_arn: format!(
            "arn:aws:bcm-data-exports:us-east-1:{}:export/{}-{}",
            plan.payer.id,
            e.name,
            uuid_from(plan.seed, "export")
        ),
    }
}
