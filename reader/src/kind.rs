//! What a data file is, from its column names alone: CUR 2.0 data, a legacy CUR (CUR 1)
//! file, or not a cost export at all. SC008 reports the last two; the other rules see only
//! CUR 2.0 files, so a legacy or foreign file gives one plain statement instead of a page of
//! missing and mis-named columns.
//!
//! The signatures, chosen so that a CUR 2.0 file with a damaged header (a few mis-cased or
//! legacy-style names, a missing column) stays CUR 2.0 and gets its SC001/SC003 findings:
//!
//! - **not CUR**: none of its columns is a CUR 2.0 column, under its own name, mis-cased or
//!   in legacy style (a dlt child table with `value`, `_dlt_parent_id`, `_dlt_id`).
//! - **legacy CUR**, both namings: no `product` map column, and no column only CUR 2.0 has
//!   (`bill_payer_account_name`, `line_item_usage_account_name`, `line_item_iam_principal`,
//!   `line_item_user_identifier`, in any spelling), and
//!   - *CSV naming*: at least two known columns are written `category/Name`
//!     (`lineItem/UsageAccountId`, `bill/BillType`) and they outnumber the columns written
//!     with their CUR 2.0 names; or
//!   - *Parquet naming*: `product_product_name` (legacy CUR's flattened product name; CUR 2.0
//!     keeps it in `product['product_name']`) or a flattened resource tag column
//!     (`resource_tags_user_*`, `resource_tags_aws_*`; CUR 2.0 has the `resource_tags` map).

use curlab_vocab::columns::CUR2_ONLY_COLUMNS as CUR2_ONLY;

use crate::read::FileSchema;

/// What a data file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FileKind {
    /// CUR 2.0 data (possibly with a damaged schema the SC rules report).
    #[default]
    Cur2,
    /// A legacy Cost and Usage Report (CUR 1) file.
    LegacyCur {
        /// How it names its columns: `csv` (`lineItem/UsageAccountId`) or `parquet`
        /// (`line_item_usage_account_id` with flattened `product_product_name`).
        naming: &'static str,
        /// What in the file shows it, for the finding.
        evidence: String,
    },
    /// Not a cost export at all.
    NotCur {
        /// What in the file shows it, for the finding.
        evidence: String,
    },
}

impl FileKind {
    /// Whether the CUR 2.0 rules read this file.
    pub fn is_cur2(&self) -> bool {
        matches!(self, FileKind::Cur2)
    }

    /// A short label for reports (`CUR 2.0`, `legacy CUR (CUR 1)`, `not CUR data`).
    pub fn label(&self) -> &'static str {
        match self {
            FileKind::Cur2 => "CUR 2.0",
            FileKind::LegacyCur { .. } => "legacy CUR (CUR 1)",
            FileKind::NotCur { .. } => "not CUR data",
        }
    }

    /// What shows the kind (empty for CUR 2.0).
    pub fn evidence(&self) -> &str {
        match self {
            FileKind::Cur2 => "",
            FileKind::LegacyCur { evidence, .. } | FileKind::NotCur { evidence } => evidence,
        }
    }
}

/// Up to `n` names, quoted and cut at 40 characters, with `…` when there are more.
fn some_names<'a>(names: impl Iterator<Item = &'a str>, n: usize) -> String {
    let all: Vec<&str> = names.collect();
    let cut = |c: &str| {
        if c.chars().count() > 40 {
            format!("{}…", c.chars().take(40).collect::<String>())
        } else {
            c.to_string()
        }
    };
    let mut shown: Vec<String> = all
        .iter()
        .take(n)
        .map(|c| format!("`{}`", cut(c)))
        .collect();
    if all.len() > n {
        shown.push("…".into());
    }
    shown.join(", ")
}

/// Classify a file by its columns.
pub fn classify(schema: &FileSchema) -> FileKind {
    let names = || schema.columns.iter().map(|(n, _)| n.as_str());
    let exact = names()
        .filter(|n| curlab_vocab::columns::column(n).is_some())
        .count();
    let known = exact + schema.miscased.len();
    if known == 0 {
        let n = schema.columns.len();
        // A CUR header read with the wrong delimiter is one long column.
        let delimiter = match schema.columns.as_slice() {
            [(one, _)] if one.contains(';') => {
                "; its header is one column holding `;` (Data Exports writes comma-separated CSV)"
            }
            [(one, _)] if one.contains('\t') => {
                "; its header is one column holding tabs (Data Exports writes comma-separated CSV)"
            }
            _ => "",
        };
        return FileKind::NotCur {
            evidence: format!(
                "none of its {n} column{} is a CUR 2.0 column ({}){delimiter}",
                if n == 1 { "" } else { "s" },
                some_names(names(), 4)
            ),
        };
    }
    if schema.has("product") || CUR2_ONLY.iter().any(|c| schema.has(c)) {
        return FileKind::Cur2;
    }
    let slashed: Vec<&str> = schema
        .miscased
        .iter()
        .map(|(found, _)| found.as_str())
        .filter(|n| n.contains('/'))
        .collect();
    if slashed.len() >= 2 && slashed.len() > exact {
        return FileKind::LegacyCur {
            naming: "csv",
            evidence: format!(
                "{} of its columns have legacy CUR names ({}) and it has no `product` map column",
                slashed.len(),
                some_names(slashed.iter().copied(), 3)
            ),
        };
    }
    let flattened: Vec<&str> = names()
        .filter(|n| {
            *n == "product_product_name"
                || n.starts_with("resource_tags_user_")
                || n.starts_with("resource_tags_aws_")
        })
        .collect();
    if !flattened.is_empty() {
        return FileKind::LegacyCur {
            naming: "parquet",
            evidence: format!(
                "it has legacy CUR's flattened columns ({}) and no `product` map column",
                some_names(flattened.iter().copied(), 3)
            ),
        };
    }
    FileKind::Cur2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Found;

    fn schema(cols: &[&str]) -> FileSchema {
        FileSchema::new(cols.iter().map(|c| (c.to_string(), Found::Text)).collect())
    }

    fn cur2() -> Vec<&'static str> {
        curlab_vocab::columns::TableConfig::default()
            .columns()
            .iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn cur2_files_stay_cur2_even_when_damaged() {
        assert_eq!(classify(&schema(&cur2())), FileKind::Cur2);
        // One legacy-style name (SC003), a missing product map (SC001), upper case (SC003).
        let one_legacy: Vec<&str> = cur2()
            .into_iter()
            .map(|c| {
                if c == "line_item_usage_type" {
                    "lineItem/UsageType"
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(classify(&schema(&one_legacy)), FileKind::Cur2);
        let no_product: Vec<&str> = cur2().into_iter().filter(|c| *c != "product").collect();
        assert_eq!(classify(&schema(&no_product)), FileKind::Cur2);
        let upper: Vec<String> = cur2().iter().map(|c| c.to_uppercase()).collect();
        let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
        assert_eq!(classify(&schema(&upper)), FileKind::Cur2);
        // A CUR 2.0 file whose product map a pipeline flattened keeps its CUR 2.0-only columns.
        let flattened: Vec<&str> = no_product
            .iter()
            .copied()
            .chain(["product_product_name"])
            .collect();
        assert_eq!(classify(&schema(&flattened)), FileKind::Cur2);
        // The dlt main table: product split off into child tables, `_dlt_*` columns added.
        let dlt: Vec<&str> = no_product
            .iter()
            .copied()
            .chain(["_dlt_load_id", "_dlt_id"])
            .collect();
        assert_eq!(classify(&schema(&dlt)), FileKind::Cur2);
    }

    #[test]
    fn legacy_cur_in_both_namings() {
        let csv = schema(&[
            "identity/LineItemId",
            "identity/TimeInterval",
            "bill/BillType",
            "lineItem/UsageAccountId",
            "lineItem/UnblendedCost",
            "product/ProductName",
            "resourceTags/user:team",
        ]);
        let k = classify(&csv);
        assert!(
            matches!(&k, FileKind::LegacyCur { naming: "csv", evidence } if evidence.contains("`identity/LineItemId`")),
            "{k:?}"
        );
        let parquet = schema(&[
            "identity_line_item_id",
            "line_item_usage_account_id",
            "line_item_unblended_cost",
            "product_product_name",
            "resource_tags_user_team",
        ]);
        let k = classify(&parquet);
        assert!(
            matches!(&k, FileKind::LegacyCur { naming: "parquet", evidence } if evidence.contains("`product_product_name`")),
            "{k:?}"
        );
        assert_eq!(k.label(), "legacy CUR (CUR 1)");
        // A CUR 2.0-only column rules legacy CUR out, in either naming.
        let mixed = schema(&[
            "identity/LineItemId",
            "bill/BillType",
            "bill/PayerAccountName",
        ]);
        assert_eq!(classify(&mixed), FileKind::Cur2);
    }

    #[test]
    fn foreign_tables_are_not_cur() {
        let child = schema(&["value", "_dlt_parent_id", "_dlt_list_idx", "_dlt_id"]);
        let k = classify(&child);
        assert_eq!(
            k,
            FileKind::NotCur {
                evidence: "none of its 4 columns is a CUR 2.0 column (`value`, `_dlt_parent_id`, `_dlt_list_idx`, `_dlt_id`)".into()
            }
        );
        assert!(!k.is_cur2());
        assert!(
            matches!(classify(&schema(&["a"])), FileKind::NotCur { evidence } if evidence.contains("its 1 column is"))
        );
        let semicolons = cur2().join(";");
        let k = classify(&schema(&[semicolons.as_str()]));
        assert_eq!(
            k.evidence(),
            "none of its 1 column is a CUR 2.0 column (`bill_bill_type;bill_billing_entity;bill_…`); its header is one column holding `;` (Data Exports writes comma-separated CSV)"
        );
    }
}
