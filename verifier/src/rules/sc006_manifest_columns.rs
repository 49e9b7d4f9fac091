//! SC006: the manifest's columns differ from the data files' columns.

use std::collections::BTreeMap;

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// SC006.
pub struct ManifestColumns;

static META: RuleMeta = RuleMeta {
    code: "SC006",
    name: "manifest-columns-mismatch",
    family: Family::Schema,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs::NONE,
    summary: "the manifest's columns differ from the columns of the data files",
    checks: "Each data file a manifest covers has exactly the columns the manifest's `columns` list names, and (for Parquet) of the type it names (`string`, `double`, `timestamp`, `map`). A file column whose type breaks the CUR 2.0 documentation is reported by SC002/SC004 instead.",
    why: "Athena/Glue tables and FinOps pipelines create their schema from the manifest; a file with other columns fails to load or loads shifted.",
    example: "The manifest lists `line_item_iam_principal` but the Parquet file has no such column.",
    fix: "Re-deliver the period (Data Exports rewrites files and manifest together); after changing the export's columns, wait for the next refresh instead of mixing old and new files.",
    sql: SqlForm::NativeOnly("compares the manifest's columns with each file's schema; SQL sees neither"),
};

impl Rule for ManifestColumns {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        ctx.manifests.is_empty().then(|| {
            "no Data Exports manifest found (PATH is not an export folder, or metadata/BILLING_PERIOD=*/ has no *-Manifest.json)".to_string()
        })
    }

    fn finish(&self, _agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        for m in &ctx.manifests {
            if m.columns.is_empty() {
                continue;
            }
            let listed: BTreeMap<&str, &str> = m
                .columns
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            for shown in &m.covered_files {
                let Some((fi, f)) = ctx
                    .files
                    .iter()
                    .enumerate()
                    .find(|(_, f)| &f.file.display == shown)
                else {
                    continue;
                };
                if !f.kind.is_cur2() {
                    // SC008 says what the file is instead.
                    continue;
                }
                // A file type that breaks the documented type is SC002/SC004's finding; here only
                // report types where the manifest is the odd one out.
                let present: BTreeMap<&str, &str> = f
                    .opened
                    .schema
                    .columns
                    .iter()
                    .map(|(n, t)| {
                        let documented =
                            curlab_vocab::columns::column(n).is_none_or(|c| t.fits(c.ty));
                        (n.as_str(), if documented { t.manifest_name() } else { "" })
                    })
                    .collect();
                let mut hit = |column: &str, problem: String| {
                    out.hit_n(
                        1,
                        fi,
                        None,
                        export_sample(
                            Some(shown.clone()),
                            [
                                ("column", column.to_string()),
                                ("manifest", m.display.clone()),
                                ("problem", problem),
                            ],
                        ),
                    );
                };
                for (name, ty) in &listed {
                    match present.get(name) {
                        None => hit(name, "listed in the manifest, absent from the file".into()),
                        Some(found)
                            if !found.is_empty()
                                && !ty.is_empty()
                                && !found.eq_ignore_ascii_case(ty)
                                && !ty.starts_with(found) =>
                        {
                            hit(name, format!("manifest type `{ty}`, file type `{found}`"))
                        }
                        _ => {}
                    }
                }
                for name in present.keys() {
                    if !listed.contains_key(name) {
                        hit(name, "in the file, not listed in the manifest".into());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ManifestCheck;
    use crate::read::Found;
    use crate::rules::sc001_missing_column::tests::ctx_with_columns;

    fn with_manifest(cols: &[(&str, &str)]) -> Ctx {
        let mut ctx = ctx_with_columns(&[
            ("tags", Found::Map),
            ("line_item_usage_amount", Found::Double),
        ]);
        ctx.manifests.push(ManifestCheck {
            display: "m.json".into(),
            period: "2026-04".into(),
            columns: cols
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            missing_files: vec![],
            unlisted_files: vec![],
            covered_files: vec!["x.parquet".into()],
            outside_files: vec![],
        });
        ctx
    }

    #[test]
    fn fires_on_column_differences() {
        let mut t = Tally::new(5);
        ManifestColumns.finish(
            &Aggregates::default(),
            &with_manifest(&[("tags", "map"), ("line_item_usage_amount", "double")]),
            &mut t,
        );
        assert_eq!(t.count, 0);
        ManifestColumns.finish(
            &Aggregates::default(),
            &with_manifest(&[("tags", "map"), ("line_item_iam_principal", "string")]),
            &mut t,
        );
        assert_eq!(t.count, 2);
    }
}
