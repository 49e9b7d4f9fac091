//! SC004: a map column stored as a string in Parquet.

use curlab_vocab::columns::column;

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::Needs;
use crate::finding::Tally;
use crate::input::FileEncoding;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Found;
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// SC004.
pub struct MapAsString;

static META: RuleMeta = RuleMeta {
    code: "SC004",
    name: "map-as-string",
    family: Family::Schema,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs::NONE,
    summary: "a map column is stored as a string in Parquet",
    checks: "In Parquet files, `product`, `tags`, `resource_tags`, `cost_category` and `discount` are Parquet MAP columns. In CSV they are JSON objects by design, which is not a finding. The verifier still reads a string map column as JSON.",
    why: "`tags['iamPrincipal/team']` and `product['product_name']` only work on maps; a JSON string forces every consumer to parse text and breaks Athena/Glue schemas.",
    example: "`tags` stored as a string column holding `{\"iamPrincipal/team\":\"ds\"}`.",
    fix: "Read the Parquet files as delivered by Data Exports; if a pipeline converts them, make it write MAP<string,string> columns.",
    sql: SqlForm::NativeOnly("checks the Parquet physical type of map columns; an engine reading a string column as a map fails instead of reporting it"),
};

impl Rule for MapAsString {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, file: usize, ctx: &Ctx, out: &mut Tally) {
        let f = &ctx.files[file];
        if f.file.format != FileEncoding::Parquet {
            return;
        }
        for (name, found) in &f.opened.schema.columns {
            let canon = column(name)
                .map(|c| c.name)
                .or_else(|| crate::read::canonical_name(name));
            if canon.and_then(column).is_some_and(|c| c.ty.is_map()) && *found == Found::Str {
                out.hit_n(
                    1,
                    file,
                    None,
                    export_sample(Some(f.file.display.clone()), [("column", name.as_str())]),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::sc001_missing_column::tests::ctx_with_columns;

    #[test]
    fn fires_on_string_tags_only() {
        let mut t = Tally::new(5);
        MapAsString.check_file(0, &ctx_with_columns(&[("tags", Found::Map)]), &mut t);
        assert_eq!(t.count, 0);
        MapAsString.check_file(0, &ctx_with_columns(&[("tags", Found::Str)]), &mut t);
        assert_eq!(t.count, 1);
    }
}
