//! SC001: a required column is missing from a data file.

use curlab_vocab::columns::REQUIRED_COLUMNS;

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::Needs;
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// SC001.
pub struct MissingColumn;

static META: RuleMeta = RuleMeta {
    code: "SC001",
    name: "missing-required-column",
    family: Family::Schema,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs::NONE,
    summary: "a required CUR 2.0 column is missing from a data file",
    checks: "Every data file has each column a reader needs to attribute Bedrock spend: bill_billing_entity, bill_billing_period_start_date, identity_line_item_id, line_item_line_item_type, line_item_operation, line_item_product_code, line_item_unblended_cost, line_item_usage_account_id, line_item_usage_amount, line_item_usage_start_date/end_date, line_item_usage_type, pricing_unit and product. line_item_iam_principal is not required: without it the principal rules are skipped with a reason.",
    why: "Queries and dashboards (CUDOS, Athena views) select these columns by name; a missing one breaks them or silently drops spend.",
    example: "A file whose header lacks `line_item_usage_type`.",
    fix: "Export the standard CUR 2.0 table (`SELECT *` or a column list that includes the required columns) and do not post-process the files; if a pipeline rewrote them, read the originals.",
    sql: SqlForm::NativeOnly("checks each data file's schema for required columns; a table definition has every column, so an absent one only shows as NULL (rules reading it are then reported as skipped)"),
};

impl Rule for MissingColumn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, file: usize, ctx: &Ctx, out: &mut Tally) {
        let f = &ctx.files[file];
        for col in REQUIRED_COLUMNS {
            if !f.opened.schema.has(col) {
                out.hit_n(
                    1,
                    file,
                    None,
                    export_sample(Some(f.file.display.clone()), [("column", *col)]),
                );
            }
        }
        if out.count > 0 {
            out.message = Some("required columns are missing from data files".into());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::input::{DataFile, FileEncoding};
    use crate::read::{FileSchema, Found, Opened};
    use crate::context::FileCtx;

    /// A context with one file of the given columns (all typed as documented for Parquet).
    pub(crate) fn ctx_with_columns(cols: &[(&str, Found)]) -> Ctx {
        let schema = FileSchema::new(
            cols.iter()
                .map(|(n, f)| (n.to_string(), f.clone()))
                .collect(),
        );
        let mut ctx = crate::rules::testkit::ctx();
        ctx.files.push(FileCtx {
            file: DataFile {
                path: "x.parquet".into(),
                display: "x.parquet".into(),
                period: None,
                format: FileEncoding::Parquet,
            },
            kind: crate::kind::classify(&schema),
            opened: Opened::for_tests(schema),
        });
        ctx
    }

    pub(crate) fn required() -> Vec<(&'static str, Found)> {
        REQUIRED_COLUMNS
            .iter()
            .map(|c| {
                let ty = curlab_vocab::columns::column(c).unwrap().ty;
                let f = match ty {
                    curlab_vocab::columns::ColumnType::Str => Found::Str,
                    curlab_vocab::columns::ColumnType::Double => Found::Double,
                    curlab_vocab::columns::ColumnType::Timestamp => Found::Timestamp,
                    _ => Found::Map,
                };
                (*c, f)
            })
            .collect()
    }

    #[test]
    fn fires_on_missing_and_not_on_complete() {
        let mut t = Tally::new(5);
        MissingColumn.check_file(0, &ctx_with_columns(&required()), &mut t);
        assert_eq!(t.count, 0);
        let cols: Vec<_> = required()
            .into_iter()
            .filter(|(n, _)| *n != "line_item_usage_type")
            .collect();
        MissingColumn.check_file(0, &ctx_with_columns(&cols), &mut t);
        assert_eq!(t.count, 1);
        assert_eq!(
            t.samples().next().unwrap().values["column"],
            "line_item_usage_type"
        );
    }
}
