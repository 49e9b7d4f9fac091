//! The rules, one file each, and the one table of them.
//!
//! A rule's file holds everything about it, as in ruff: its [`RuleMeta`](crate::meta::RuleMeta)
//! (code, documentation, what it needs from the scan, its SQL form), its native check (an
//! implementation of [`Rule`]), the builder of its SQL form, the per-value facts it works out
//! once per distinct value, and its tests. Nothing outside this folder names a rule: the engine
//! asks the rules what they need ([`crate::facts::Needs`]) and `curlab sql` asks them for their
//! SQL. Adding a rule is its file and one line below (ARCHITECTURE.md, "Adding a rule").

use crate::rule::Rule;

pub mod registry;
mod shared;
#[cfg(test)]
mod testkit;

/// Declares each rule's module and lists its rule in [`RULES`], in the order given.
macro_rules! rules {
    ($($module:ident::$rule:ident,)*) => {
        $(mod $module;)*

        /// Every rule, in code order.
        pub static RULES: &[&dyn Rule] = &[$(&$module::$rule),*];
    };
}

// The registry: one line per rule, in code order.
rules! {
    sc001_missing_column::MissingColumn,
    sc002_wrong_type::WrongType,
    sc003_column_case::ColumnCase,
    sc004_map_as_string::MapAsString,
    sc005_manifest_files::ManifestFiles,
    sc006_manifest_columns::ManifestColumns,
    sc007_outside_billing_period::OutsideBillingPeriod,
    sc008_not_cur2_data::NotCur2Data,
    pr001_missing_principal::MissingPrincipal,
    pr002_malformed_arn::MalformedArn,
    pr003_account_mismatch::AccountMismatch,
    pr004_principal_on_non_bedrock::PrincipalOnNonBedrock,
    pr005_principal_before_launch::PrincipalBeforeLaunch,
    pr006_bad_session_name::BadSessionName,
    tg001_principal_tag_without_principal::PrincipalTagWithoutPrincipal,
    tg002_unprefixed_key::UnprefixedKey,
    tg003_tag_charset::TagCharset,
    tg004_aws_prefix::AwsPrefix,
    tg005_too_many_tags::TooManyTags,
    tg006_key_case_conflict::KeyCaseConflict,
    tg007_inactive_key::InactiveKey,
    tg008_tag_before_activation::TagBeforeActivation,
    tg009_session_tag_lost::SessionTagLost,
    gw001_gateway_collapsed::GatewayCollapsed,
    gw002_dominant_session::DominantSession,
    ct001_cost_rate_mismatch::CostRateMismatch,
    ct002_time_misaligned::TimeMisaligned,
    ct003_pricing_unit_mismatch::PricingUnitMismatch,
    ct004_duplicate_line_item::DuplicateLineItem,
    ct005_negative_usage::NegativeUsage,
    ct006_net_above_gross::NetAboveGross,
    ct007_discount_net_mismatch::DiscountNetMismatch,
    ct008_adjustment_sign::AdjustmentSign,
    rc001_bedrock_total::BedrockTotal,
    rc002_principal_totals::PrincipalTotals,
    rc003_tag_totals::TagTotals,
    rc004_unattributed::Unattributed,
    rc005_missing_principals::MissingPrincipals,
    rc006_unexpected_principals::UnexpectedPrincipals,
    po001_required_tag_coverage::RequiredTagCoverage,
    po002_gateway_sessions::GatewaySessions,
    po003_principal_not_allowed::PrincipalNotAllowed,
}
