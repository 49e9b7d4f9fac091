//! The columns the reading layer knows (a small subset of the 131), by name and type.

use curlab_vocab::columns::{column, ColumnType};

/// The columns the verifier reads (a small subset of the 131).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Col {
    /// `bill_billing_entity`
    BillingEntity,
    /// `bill_billing_period_start_date`
    PeriodStart,
    /// `identity_line_item_id`
    LineItemId,
    /// `identity_time_interval` (the line item's hour, day or month; CT004 keys on it)
    TimeInterval,
    /// `line_item_iam_principal`
    Principal,
    /// `line_item_line_item_type`
    LineItemType,
    /// `line_item_operation`
    Operation,
    /// `line_item_product_code`
    ProductCode,
    /// `line_item_unblended_cost`
    UnblendedCost,
    /// `line_item_unblended_rate`
    UnblendedRate,
    /// `line_item_usage_account_id`
    UsageAccount,
    /// `line_item_usage_amount`
    UsageAmount,
    /// `line_item_usage_end_date`
    UsageEnd,
    /// `line_item_usage_start_date`
    UsageStart,
    /// `line_item_usage_type`
    UsageType,
    /// `pricing_unit`
    PricingUnit,
    /// `product` (only `product['product_name']` is kept)
    Product,
    /// `product_product_family`
    ProductFamily,
    /// `tags`
    Tags,
    /// `line_item_net_unblended_cost` (null where no discount program applies)
    NetUnblendedCost,
    /// `discount_total_discount` (null where no discount applies)
    TotalDiscount,
    /// `pricing_public_on_demand_cost` (0 on Marketplace-billed and tax rows)
    PublicOnDemandCost,
    /// `line_item_resource_id` (present only with INCLUDE_RESOURCES)
    ResourceId,
    /// `discount` (`map<string,double>`: `edp_discount`, `private_rate_discount`, …; values
    /// kept as their text, empty where no discount applies)
    Discount,
    /// `line_item_line_item_description`
    LineItemDescription,
}

impl Col {
    /// Every column the verifier can read.
    pub const ALL: [Col; 25] = [
        Col::BillingEntity,
        Col::PeriodStart,
        Col::LineItemId,
        Col::TimeInterval,
        Col::Principal,
        Col::LineItemType,
        Col::Operation,
        Col::ProductCode,
        Col::UnblendedCost,
        Col::UnblendedRate,
        Col::UsageAccount,
        Col::UsageAmount,
        Col::UsageEnd,
        Col::UsageStart,
        Col::UsageType,
        Col::PricingUnit,
        Col::Product,
        Col::ProductFamily,
        Col::Tags,
        Col::NetUnblendedCost,
        Col::TotalDiscount,
        Col::PublicOnDemandCost,
        Col::ResourceId,
        Col::Discount,
        Col::LineItemDescription,
    ];

    /// The CUR 2.0 column name.
    pub fn name(self) -> &'static str {
        match self {
            Col::BillingEntity => "bill_billing_entity",
            Col::PeriodStart => "bill_billing_period_start_date",
            Col::LineItemId => "identity_line_item_id",
            Col::TimeInterval => "identity_time_interval",
            Col::Principal => "line_item_iam_principal",
            Col::LineItemType => "line_item_line_item_type",
            Col::Operation => "line_item_operation",
            Col::ProductCode => "line_item_product_code",
            Col::UnblendedCost => "line_item_unblended_cost",
            Col::UnblendedRate => "line_item_unblended_rate",
            Col::UsageAccount => "line_item_usage_account_id",
            Col::UsageAmount => "line_item_usage_amount",
            Col::UsageEnd => "line_item_usage_end_date",
            Col::UsageStart => "line_item_usage_start_date",
            Col::UsageType => "line_item_usage_type",
            Col::PricingUnit => "pricing_unit",
            Col::Product => "product",
            Col::ProductFamily => "product_product_family",
            Col::Tags => "tags",
            Col::NetUnblendedCost => "line_item_net_unblended_cost",
            Col::TotalDiscount => "discount_total_discount",
            Col::PublicOnDemandCost => "pricing_public_on_demand_cost",
            Col::ResourceId => "line_item_resource_id",
            Col::Discount => "discount",
            Col::LineItemDescription => "line_item_line_item_description",
        }
    }

    /// The column for a CUR 2.0 name.
    pub fn from_name(name: &str) -> Option<Col> {
        Col::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the column is read in dictionary form (one key per row into its distinct
    /// values), so the rules can work out facts once per distinct value. Every text column the
    /// verifier reads repeats heavily except the line item id.
    pub fn dictionary(self) -> bool {
        self != Col::LineItemId && self.ty() == ColumnType::Str
    }

    /// Whether real exports leave the column null on every row when nothing applies to it:
    /// `line_item_net_unblended_cost` and `discount_total_discount` without a discount program.
    /// Through a table definition such a column looks absent, but it is not.
    pub fn null_everywhere_is_normal(self) -> bool {
        matches!(self, Col::NetUnblendedCost | Col::TotalDiscount)
    }

    /// The documented type.
    pub fn ty(self) -> ColumnType {
        column(self.name()).map(|c| c.ty).unwrap_or(ColumnType::Str)
    }
}
