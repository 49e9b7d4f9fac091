//! SC002: a column has the wrong type.

use curlab_vocab::columns::column;

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Needs, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Found;
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// SC002.
pub struct WrongType;

static META: RuleMeta = RuleMeta {
    code: "SC002",
    name: "wrong-column-type",
    family: Family::Schema,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs::NONE,
    summary: "a column does not have its documented type",
    checks: "In Parquet, each known column has its documented type: string, double, timestamp or map (a map stored as a string is SC004). In CSV every value is text by design; there the rule reports values of the columns the verifier reads that do not parse as their type (a double, a timestamp, a JSON object for a map).",
    why: "Typed readers (Athena, Glue crawlers, DuckDB, pandas) fail or coerce to null when a cost column is text or a timestamp is a string, and sums then silently miss spend.",
    example: "`line_item_unblended_cost` stored as a Parquet string column holding `\"0.0042\"`.",
    fix: "Read the export as delivered by Data Exports; if a pipeline re-wrote the files, make it keep the CUR 2.0 types (doubles for costs and amounts, timestamps for the four date columns, maps for product/tags/resource_tags/cost_category/discount).",
    sql: SqlForm::NativeOnly("checks the physical type of each column in each file; a table definition imposes its types, and a file whose type differs fails to load instead"),
};

impl Rule for WrongType {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, file: usize, ctx: &Ctx, out: &mut Tally) {
        let f = &ctx.files[file];
        for (name, found) in &f.opened.schema.columns {
            let canon = column(name)
                .map(|c| c.name)
                .or_else(|| crate::read::canonical_name(name));
            let Some(col) = canon.and_then(column) else {
                continue;
            };
            if found.fits(col.ty) || (col.ty.is_map() && *found == Found::Str) {
                continue;
            }
            out.hit_n(
                1,
                file,
                None,
                export_sample(
                    Some(f.file.display.clone()),
                    [
                        ("column", name.clone()),
                        ("expected", col.ty.athena_name().to_string()),
                        ("found", found.manifest_name().to_string()),
                    ],
                ),
            );
        }
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        for err in &v.batch.cell_errors {
            out.hit(
                v.file,
                None,
                v.sample(
                    err.row,
                    [
                        ("column", err.col.name().to_string()),
                        ("value", err.raw.clone()),
                        ("expected", err.expected.to_string()),
                    ],
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Col;
    use crate::rules::sc001_missing_column::tests::{ctx_with_columns, required};

    #[test]
    fn fires_on_string_cost_not_on_documented_types() {
        let mut t = Tally::new(5);
        WrongType.check_file(0, &ctx_with_columns(&required()), &mut t);
        assert_eq!(t.count, 0);
        let mut cols = required();
        for c in &mut cols {
            if c.0 == "line_item_unblended_cost" {
                c.1 = Found::Str;
            }
        }
        WrongType.check_file(0, &ctx_with_columns(&cols), &mut t);
        assert_eq!(t.count, 1);
        let row = crate::rules::testkit::inference();
        let mut batch = crate::rules::testkit::batch_of(&row);
        batch.cell_errors.push(crate::read::CellError {
            row: 0,
            col: Col::UsageAmount,
            raw: "abc".into(),
            expected: "double",
        });
        let ctx = crate::rules::testkit::ctx();
        let mut facts = crate::facts::FactCache::new(&ctx, &[], Default::default());
        facts.prepare(&batch, &ctx);
        let v = View::new(&batch, &facts, 0, row.display, row.folder_period);
        WrongType.check_batch(&v, &ctx, &mut t);
        assert_eq!(t.count, 2);
        let s = t.samples().last().unwrap();
        assert_eq!(s.row, Some(1));
        assert_eq!(s.values["value"], "abc");
    }
}
