//! What a file says about its columns: their physical types ([`Found`]), and where the known
//! ones are, under their own names or mis-cased and CUR-1 style ones ([`FileSchema`]).

use std::collections::HashMap;

use arrow_schema::DataType;
use curlab_vocab::columns::{column, ColumnType};

/// The physical type a file gives a column, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Text (Parquet string types).
    Str,
    /// Floating point.
    Double,
    /// A timestamp of any unit.
    Timestamp,
    /// A map.
    Map,
    /// CSV text: any documented type is acceptable at schema level.
    Text,
    /// An all-null column without a type: compatible with anything.
    Null,
    /// Anything else, with its Arrow type name.
    Other(String),
}

impl Found {
    pub(super) fn of(dt: &DataType) -> Found {
        match dt {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Found::Str,
            DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) => {
                Found::Str
            }
            DataType::Float64 | DataType::Float32 => Found::Double,
            DataType::Timestamp(_, _) => Found::Timestamp,
            DataType::Map(_, _) => Found::Map,
            DataType::Null => Found::Null,
            other => Found::Other(other.to_string()),
        }
    }

    /// The type name a manifest would use for it.
    pub fn manifest_name(&self) -> &str {
        match self {
            Found::Str => "string",
            Found::Double => "double",
            Found::Timestamp => "timestamp",
            Found::Map => "map",
            Found::Text | Found::Null => "",
            Found::Other(s) => s,
        }
    }

    /// Whether this physical type is acceptable for a documented type.
    pub fn fits(&self, ty: ColumnType) -> bool {
        match self {
            Found::Text | Found::Null => true,
            Found::Str => ty == ColumnType::Str,
            Found::Double => ty == ColumnType::Double,
            Found::Timestamp => ty == ColumnType::Timestamp,
            Found::Map => ty.is_map(),
            Found::Other(_) => false,
        }
    }
}

/// The CUR 2.0 name a mis-cased or CUR-1 style name stands for (`lineItem/UsageType` →
/// `line_item_usage_type`, `savingsPlan/SavingsPlanARN` → `savings_plan_savings_plan_a_r_n`,
/// `Line_Item_Usage_Type` → `line_item_usage_type`).
pub fn canonical_name(name: &str) -> Option<&'static str> {
    let candidate = if name.contains('/') {
        name.split('/').map(snake).collect::<Vec<_>>().join("_")
    } else {
        name.to_ascii_lowercase()
    };
    column(&candidate).map(|c| c.name)
}

/// A legacy CUR name part in CUR 2.0 spelling, the way AWS converts them: every capital
/// letter but a leading one starts a new `_`-separated word (`UsageAccountId` →
/// `usage_account_id`, `SavingsPlanARN` → `savings_plan_a_r_n`, `publicOnDemandCost` →
/// `public_on_demand_cost`).
fn snake(part: &str) -> String {
    let mut out = String::with_capacity(part.len() + 4);
    for (i, c) in part.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A data file's columns and where the verifier finds the ones it knows.
#[derive(Debug, Clone, Default)]
pub struct FileSchema {
    /// Columns in file order: name as written, physical type.
    pub columns: Vec<(String, Found)>,
    /// Known column name → index in `columns` (exact name, or a mis-cased one).
    index: HashMap<&'static str, usize>,
    /// Names written in the wrong case or CUR-1 style, with the name they stand for.
    pub miscased: Vec<(String, &'static str)>,
}

impl FileSchema {
    /// Build from column names and types.
    pub fn new(columns: Vec<(String, Found)>) -> Self {
        let mut index = HashMap::new();
        let mut miscased = Vec::new();
        for (i, (name, _)) in columns.iter().enumerate() {
            if let Some(c) = column(name) {
                index.insert(c.name, i);
            }
        }
        for (i, (name, _)) in columns.iter().enumerate() {
            if column(name).is_some() {
                continue;
            }
            if let Some(canon) = canonical_name(name) {
                miscased.push((name.clone(), canon));
                index.entry(canon).or_insert(i);
            }
        }
        FileSchema {
            columns,
            index,
            miscased,
        }
    }

    /// Whether a known column can be read (under its name or a mis-cased one).
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Index of a known column.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Physical type of a known column.
    pub fn found(&self, name: &str) -> Option<&Found> {
        self.index_of(name).map(|i| &self.columns[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_cur1_and_miscased_names() {
        assert_eq!(
            canonical_name("lineItem/UsageType"),
            Some("line_item_usage_type")
        );
        assert_eq!(
            canonical_name("Line_Item_Usage_Type"),
            Some("line_item_usage_type")
        );
        assert_eq!(
            canonical_name("product/ProductFamily"),
            Some("product_product_family")
        );
        assert_eq!(
            canonical_name("savingsPlan/SavingsPlanARN"),
            Some("savings_plan_savings_plan_a_r_n")
        );
        assert_eq!(
            canonical_name("pricing/publicOnDemandCost"),
            Some("pricing_public_on_demand_cost")
        );
        assert_eq!(canonical_name("nonsense"), None);
    }
}
