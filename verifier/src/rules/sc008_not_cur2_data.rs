//! SC008: a data file that is not CUR 2.0 data: a legacy CUR (CUR 1) file, or no cost export
//! at all. The signatures are in [`crate::kind`].

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::Needs;
use crate::finding::Tally;
use crate::kind::FileKind;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// SC008.
pub struct NotCur2Data;

/// What to do instead of verifying a legacy CUR file.
const LEGACY_FIX: &str = "create a CUR 2.0 export in the AWS Billing and Cost Management console (Data Exports → Create → Standard data export, table COST_AND_USAGE_REPORT) and verify its files";
/// What to do instead of verifying a file that is not a cost export.
const NOT_CUR_FIX: &str = "pass the data files of a CUR 2.0 export (data/BILLING_PERIOD=YYYY-MM/*.parquet or *.csv.gz); if a loader split the export into tables, verify the files Data Exports wrote instead";

static META: RuleMeta = RuleMeta {
    code: "SC008",
    name: "not-cur2-data",
    family: Family::Schema,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs::NONE,
    summary: "a data file is not CUR 2.0 data (legacy CUR, or not a cost export)",
    checks: "Each data file is classified by its column names. Legacy CUR (CUR 1): no `product` map column and no column only CUR 2.0 has (`bill_payer_account_name`, `line_item_usage_account_name`, `line_item_iam_principal`, `line_item_user_identifier`), and either at least two columns named in the legacy `category/Name` style (`lineItem/UsageAccountId`, `bill/BillType`) outnumbering the CUR 2.0 names, or legacy CUR's flattened Parquet columns (`product_product_name`, `resource_tags_user_*`, `resource_tags_aws_*`). Not CUR: none of its columns is a CUR 2.0 column under any spelling (a loader's child table of `key`, `value`, `_dlt_parent_id`). Each such file is one finding naming its kind and the columns that show it; the other rules do not read it (no SC001/SC003 list of its columns), and when no file is CUR 2.0 data they are skipped with that reason. A CUR 2.0 file with a damaged header (a few legacy-style or mis-cased names, a missing column) stays CUR 2.0 and gets SC001/SC003.",
    why: "Legacy CUR and CUR 2.0 differ in names, maps and columns (no `line_item_iam_principal`, no `tags`); judging one by the other's rules gives a page of findings that all say the same thing. A table derived from an export (a loader's flattened child tables) is not the export and cannot be checked as one.",
    example: "A CSV whose header is `identity/LineItemId,identity/TimeInterval,bill/BillType,…,lineItem/UsageAccountId,…`; a Parquet file with columns `value, _dlt_parent_id, _dlt_list_idx, _dlt_id`.",
    fix: "For legacy CUR: create a CUR 2.0 export (Billing and Cost Management → Data Exports → Create → Standard data export, table COST_AND_USAGE_REPORT) and verify its files; IAM principal data and the `tags` map exist only there. For other files: verify the files Data Exports wrote, not tables derived from them.",
    sql: SqlForm::NativeOnly("reads the column names each data file is written with; a table definition names the CUR 2.0 columns whatever the files hold"),
};

impl Rule for NotCur2Data {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn judges_every_file(&self) -> bool {
        true
    }

    fn check_file(&self, file: usize, ctx: &Ctx, out: &mut Tally) {
        let f = &ctx.files[file];
        if f.kind.is_cur2() {
            return;
        }
        out.hit_n(
            1,
            file,
            None,
            export_sample(
                Some(f.file.display.clone()),
                [("kind", f.kind.label()), ("evidence", f.kind.evidence())],
            ),
        );
        let flagged = || ctx.files.iter().filter(|f| !f.kind.is_cur2());
        let legacy = flagged().all(|f| matches!(f.kind, FileKind::LegacyCur { .. }));
        let foreign = flagged().all(|f| matches!(f.kind, FileKind::NotCur { .. }));
        let many = flagged().count() > 1;
        out.message = Some(if legacy {
            format!(
                "{}: {LEGACY_FIX}",
                if many {
                    "legacy Cost and Usage Report (CUR 1) files, not CUR 2.0"
                } else {
                    "a legacy Cost and Usage Report (CUR 1) file, not CUR 2.0"
                }
            )
        } else if foreign {
            format!(
                "{}: {NOT_CUR_FIX}",
                if many {
                    "files that are not a CUR export (no CUR 2.0 column)"
                } else {
                    "a file that is not a CUR export (no CUR 2.0 column)"
                }
            )
        } else {
            format!("data files that are not CUR 2.0 data: for legacy CUR, {LEGACY_FIX}; for the others, {NOT_CUR_FIX}")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Found;
    use crate::rules::sc001_missing_column::tests::{ctx_with_columns, required};

    #[test]
    fn one_finding_per_file_that_is_not_cur2() {
        let mut t = Tally::new(5);
        NotCur2Data.check_file(0, &ctx_with_columns(&required()), &mut t);
        assert_eq!(t.count, 0);
        let legacy = ctx_with_columns(&[
            ("identity/LineItemId", Found::Text),
            ("bill/BillType", Found::Text),
            ("lineItem/UsageAccountId", Found::Text),
        ]);
        NotCur2Data.check_file(0, &legacy, &mut t);
        assert_eq!(t.count, 1);
        let s = t.samples().next().unwrap();
        assert_eq!(s.values["kind"], "legacy CUR (CUR 1)");
        assert!(s.values["evidence"].contains("`bill/BillType`"));
        let msg = t.message.clone().unwrap();
        assert!(msg.starts_with("a legacy Cost and Usage Report (CUR 1) file, not CUR 2.0"));
        assert!(msg.contains("Data Exports"));

        let mut t = Tally::new(5);
        let child = ctx_with_columns(&[("key", Found::Str), ("value", Found::Str)]);
        NotCur2Data.check_file(0, &child, &mut t);
        assert_eq!(t.count, 1);
        assert_eq!(t.samples().next().unwrap().values["kind"], "not CUR data");
        assert!(t
            .message
            .unwrap()
            .starts_with("a file that is not a CUR export"));
    }
}
