//! `[tax]`: tax rows.

use serde::Deserialize;

/// `[tax]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxSpec {
    /// Tax rate applied per account and product, e.g. 0.08.
    pub rate: f64,
    /// `line_item_tax_type`.
    #[serde(default = "sales_tax")]
    pub tax_type: String,
}

fn sales_tax() -> String {
    "USSalesTax".into()
}
