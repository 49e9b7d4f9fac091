//! SC005: the manifest and the data files disagree.

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// SC005.
pub struct ManifestFiles;

static META: RuleMeta = RuleMeta {
    code: "SC005",
    name: "manifest-files-mismatch",
    family: Family::Schema,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs::NONE,
    summary: "the manifest lists a data file that is missing, or a data file is not listed",
    checks: "For each billing period of an export folder, the `dataFiles` of `metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json` (s3:// URIs, compared from `<export>/data/` on) match the data files present in the period folder (or in the execution folder the manifest points to).",
    why: "Pipelines that follow the manifest miss unlisted files; pipelines that glob the folder read stale or partial deliveries. Either way totals differ between tools.",
    example: "The manifest lists `data/BILLING_PERIOD=2026-04/demo-00002.snappy.parquet` but only `-00001` is present.",
    fix: "Re-sync the period folder from S3 after Data Exports finished writing (the manifest is written last); do not copy data files in or out of a period folder by hand.",
    sql: SqlForm::NativeOnly("compares the manifest's dataFiles with the files in S3; SQL sees rows, not the manifest or the object listing"),
};

impl Rule for ManifestFiles {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        ctx.manifests.is_empty().then(|| {
            "no Data Exports manifest found (PATH is not an export folder, or metadata/BILLING_PERIOD=*/ has no *-Manifest.json)".to_string()
        })
    }

    fn finish(&self, _agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        for (i, m) in ctx.manifests.iter().enumerate() {
            for f in &m.missing_files {
                out.hit_n(
                    1,
                    i,
                    None,
                    export_sample(
                        Some(m.display.clone()),
                        [("data_file", f.as_str()), ("problem", "listed but missing")],
                    ),
                );
            }
            for f in &m.outside_files {
                out.hit_n(
                    1,
                    i,
                    None,
                    export_sample(
                        Some(m.display.clone()),
                        [
                            ("data_file", f.as_str()),
                            ("problem", "outside the export folder; not read"),
                        ],
                    ),
                );
            }
            for f in &m.unlisted_files {
                out.hit_n(
                    1,
                    i,
                    None,
                    export_sample(
                        Some(m.display.clone()),
                        [
                            ("data_file", f.as_str()),
                            ("problem", "present but not listed"),
                        ],
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ManifestCheck;

    #[test]
    fn fires_on_missing_files_only() {
        let mut ctx = crate::rules::testkit::ctx();
        assert!(ManifestFiles.skip_reason(&ctx).is_some());
        let mut m = ManifestCheck {
            display: "metadata/BILLING_PERIOD=2026-04/x-Manifest.json".into(),
            period: "2026-04".into(),
            columns: vec![],
            missing_files: vec![],
            unlisted_files: vec![],
            covered_files: vec![],
            outside_files: vec![],
        };
        ctx.manifests.push(m.clone());
        let mut t = Tally::new(5);
        ManifestFiles.finish(&Aggregates::default(), &ctx, &mut t);
        assert_eq!(t.count, 0);
        m.missing_files
            .push("data/BILLING_PERIOD=2026-04/x-00002.snappy.parquet".into());
        ctx.manifests = vec![m];
        ManifestFiles.finish(&Aggregates::default(), &ctx, &mut t);
        assert_eq!(t.count, 1);
        let mut m2 = ctx.manifests[0].clone();
        m2.missing_files.clear();
        m2.outside_files.push("../../etc/passwd".into());
        ctx.manifests = vec![m2];
        let mut t = Tally::new(5);
        ManifestFiles.finish(&Aggregates::default(), &ctx, &mut t);
        assert_eq!(t.count, 1, "a path outside the export is a finding");
    }
}
