//! CUR 2.0 columns: names, types, and which table configuration adds or removes them.

use serde::{Deserialize, Serialize};

pub use crate::column_table::ALL_COLUMNS;

/// The Athena/Glue type AWS documents for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ColumnType {
    /// `string`
    Str,
    /// `double`
    Double,
    /// `timestamp` (UTC)
    Timestamp,
    /// `map<string,string>`
    MapStr,
    /// `map<string,double>` (only `discount`)
    MapDouble,
}

impl ColumnType {
    /// The type name as the manifest and Athena DDL spell it.
    pub fn athena_name(self) -> &'static str {
        match self {
            ColumnType::Str => "string",
            ColumnType::Double => "double",
            ColumnType::Timestamp => "timestamp",
            ColumnType::MapStr => "map<string,string>",
            ColumnType::MapDouble => "map<string,double>",
        }
    }

    /// The type name as a Data Exports manifest spells it (`map` for every map column).
    pub fn manifest_name(self) -> &'static str {
        match self {
            ColumnType::MapStr | ColumnType::MapDouble => "map",
            other => other.athena_name(),
        }
    }

    /// True for the map columns (`product`, `tags`, `resource_tags`, `cost_category`, `discount`).
    pub fn is_map(self) -> bool {
        matches!(self, ColumnType::MapStr | ColumnType::MapDouble)
    }
}

/// Why a column is (or is not) part of an export's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presence {
    /// In every CUR 2.0 export.
    Always,
    /// Added by `INCLUDE_RESOURCES`.
    Resources,
    /// Added by `INCLUDE_SPLIT_COST_ALLOCATION_DATA`.
    SplitCostAllocation,
    /// Added by `INCLUDE_CAPACITY_RESERVATION_DATA`.
    CapacityReservation,
    /// Added by `INCLUDE_IAM_PRINCIPAL_DATA`.
    IamPrincipal,
    /// Removed by `INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY`.
    DiscountMap,
    /// Added to the base set in late 2025 (`tags`, `line_item_user_identifier`); absent from
    /// the older 113-column exports.
    Since2026,
}

/// One CUR 2.0 column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Lower-case column name, exactly as AWS delivers it.
    pub name: &'static str,
    /// Documented type.
    pub ty: ColumnType,
    /// Column group (`bill`, `line_item`, `product`, ...).
    pub group: &'static str,
    /// Which table configuration makes it appear.
    pub presence: Presence,
}

/// The table configuration flags that decide the column set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableConfig {
    /// `INCLUDE_RESOURCES`
    pub include_resources: bool,
    /// `INCLUDE_SPLIT_COST_ALLOCATION_DATA`
    pub include_split_cost_allocation_data: bool,
    /// `INCLUDE_CAPACITY_RESERVATION_DATA`
    pub include_capacity_reservation_data: bool,
    /// `INCLUDE_IAM_PRINCIPAL_DATA`
    pub include_iam_principal_data: bool,
    /// `INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY`
    pub include_manual_discount_compatibility: bool,
    /// The 2024–2025 base set of 113 columns (no `tags`, no `line_item_user_identifier`).
    pub legacy_113: bool,
}

impl Default for TableConfig {
    fn default() -> Self {
        TableConfig {
            include_resources: true,
            include_split_cost_allocation_data: false,
            include_capacity_reservation_data: false,
            include_iam_principal_data: true,
            include_manual_discount_compatibility: false,
            legacy_113: false,
        }
    }
}

impl TableConfig {
    /// Whether a column with this presence rule is in the schema.
    pub fn includes(&self, presence: Presence) -> bool {
        match presence {
            Presence::Always => true,
            Presence::Resources => self.include_resources,
            Presence::SplitCostAllocation => self.include_split_cost_allocation_data,
            Presence::CapacityReservation => self.include_capacity_reservation_data,
            Presence::IamPrincipal => self.include_iam_principal_data,
            Presence::DiscountMap => !self.include_manual_discount_compatibility,
            Presence::Since2026 => !self.legacy_113,
        }
    }

    /// The export's columns, in AWS (alphabetical) order.
    pub fn columns(&self) -> Vec<&'static Column> {
        ALL_COLUMNS
            .iter()
            .filter(|c| self.includes(c.presence))
            .collect()
    }
}

/// Look a column up by its exact name.
pub fn column(name: &str) -> Option<&'static Column> {
    ALL_COLUMNS
        .binary_search_by(|c| c.name.cmp(name))
        .ok()
        .map(|i| &ALL_COLUMNS[i])
}

/// Columns only CUR 2.0 has: AWS's CUR 2.0 migration page lists them as new (legacy CUR has no
/// counterpart).
pub const CUR2_ONLY_COLUMNS: &[&str] = &[
    "bill_payer_account_name",
    "line_item_iam_principal",
    "line_item_usage_account_name",
    "line_item_user_identifier",
];

/// The column's name in legacy CUR (CUR 1) CSV style, `category/Name`: the group in
/// lower camel case, then the rest of the name in upper camel case, one capital per word
/// (`line_item_usage_account_id` → `lineItem/UsageAccountId`, `savings_plan_savings_plan_a_r_n`
/// → `savingsPlan/SavingsPlanARN`). AWS derived the CUR 2.0 names from these by starting a new
/// word at every capital letter. `None` for the map columns (`product`, `tags`, …), which
/// legacy CUR does not have: it spreads their keys over one column each.
pub fn legacy_csv_name(c: &Column) -> Option<String> {
    let rest = c.name.strip_prefix(c.group)?.strip_prefix('_')?;
    let mut category = String::new();
    for (i, word) in c.group.split('_').enumerate() {
        category.push_str(&if i == 0 {
            word.to_string()
        } else {
            capitalized(word)
        });
    }
    let name: String = rest.split('_').map(capitalized).collect();
    Some(format!("{category}/{name}"))
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The columns every CUR 2.0 reader needs to attribute Bedrock spend.
pub const REQUIRED_COLUMNS: &[&str] = &[
    "bill_billing_entity",
    "bill_billing_period_start_date",
    "identity_line_item_id",
    "line_item_line_item_type",
    "line_item_operation",
    "line_item_product_code",
    "line_item_unblended_cost",
    "line_item_usage_account_id",
    "line_item_usage_amount",
    "line_item_usage_end_date",
    "line_item_usage_start_date",
    "line_item_usage_type",
    "pricing_unit",
    "product",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_complete() {
        assert_eq!(ALL_COLUMNS.len(), 131);
        assert!(ALL_COLUMNS.windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn column_counts_follow_configuration() {
        let all = TableConfig {
            include_resources: true,
            include_split_cost_allocation_data: true,
            include_capacity_reservation_data: true,
            include_iam_principal_data: true,
            include_manual_discount_compatibility: false,
            legacy_113: false,
        };
        assert_eq!(all.columns().len(), 131);
        let base = TableConfig {
            include_resources: false,
            include_split_cost_allocation_data: false,
            include_capacity_reservation_data: false,
            include_iam_principal_data: false,
            ..all
        };
        assert_eq!(base.columns().len(), 115);
        let legacy = TableConfig {
            legacy_113: true,
            ..base
        };
        assert_eq!(legacy.columns().len(), 113);
        let manual = TableConfig {
            include_manual_discount_compatibility: true,
            ..base
        };
        assert_eq!(manual.columns().len(), 113);
        assert!(column("tags").is_some());
        assert!(column("Tags").is_none());
    }

    #[test]
    fn legacy_csv_names() {
        let name = |n: &str| legacy_csv_name(column(n).unwrap());
        assert_eq!(
            name("line_item_usage_account_id").as_deref(),
            Some("lineItem/UsageAccountId")
        );
        assert_eq!(name("bill_bill_type").as_deref(), Some("bill/BillType"));
        assert_eq!(
            name("identity_line_item_id").as_deref(),
            Some("identity/LineItemId")
        );
        assert_eq!(
            name("savings_plan_savings_plan_a_r_n").as_deref(),
            Some("savingsPlan/SavingsPlanARN")
        );
        assert_eq!(name("product"), None);
        assert_eq!(name("tags"), None);
        let all: Vec<String> = ALL_COLUMNS.iter().filter_map(legacy_csv_name).collect();
        assert_eq!(
            all.len(),
            ALL_COLUMNS.len() - 5,
            "every column but the five maps"
        );
    }
}
