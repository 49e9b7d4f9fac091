//! SC003: a column name in the wrong case or in CUR 1 style.

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::Needs;
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// SC003.
pub struct ColumnCase;

static META: RuleMeta = RuleMeta {
    code: "SC003",
    name: "column-name-case",
    family: Family::Schema,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs::NONE,
    summary: "a column name is in the wrong case or in legacy CUR style",
    checks: "Column names are the lower-case snake_case names of CUR 2.0. A name that becomes a CUR 2.0 name once lower-cased (`Line_Item_Usage_Type`) or once converted from CUR 1 style (`lineItem/UsageType`) is reported; the verifier still reads it under the CUR 2.0 name.",
    why: "CUR 2.0 readers select columns by exact name; mixing CUR 1 (legacy CUR) names or re-cased headers into a CUR 2.0 export breaks them, and usually means the files came from a different table or a conversion step.",
    example: "A header `lineItem/UsageType` instead of `line_item_usage_type`.",
    fix: "Create a Data Exports export of the `COST_AND_USAGE_REPORT` (CUR 2.0) table instead of reading legacy CUR files, and keep column names as delivered.",
    sql: SqlForm::NativeOnly("checks the column names as written in each file; a table binds columns by its own names"),
};

impl Rule for ColumnCase {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, file: usize, ctx: &Ctx, out: &mut Tally) {
        let f = &ctx.files[file];
        for (found, canon) in &f.opened.schema.miscased {
            out.hit_n(
                1,
                file,
                None,
                export_sample(
                    Some(f.file.display.clone()),
                    [("column", found.as_str()), ("expected", *canon)],
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Found;
    use crate::rules::sc001_missing_column::tests::ctx_with_columns;

    #[test]
    fn fires_on_cur1_names_only() {
        let mut t = Tally::new(5);
        ColumnCase.check_file(
            0,
            &ctx_with_columns(&[("line_item_usage_type", Found::Str)]),
            &mut t,
        );
        assert_eq!(t.count, 0);
        ColumnCase.check_file(
            0,
            &ctx_with_columns(&[("lineItem/UsageType", Found::Str)]),
            &mut t,
        );
        assert_eq!(t.count, 1);
    }
}
