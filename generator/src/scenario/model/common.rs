//! What several sections share: the tag map type and default values.

use std::collections::BTreeMap;

/// Tags as written in the scenario: key → value.
pub type TagMap = BTreeMap<String, String>;

/// Default of boolean switches that are on unless turned off.
pub(super) fn yes() -> bool {
    true
}

/// Default region.
pub(super) fn us_east_1() -> String {
    "us-east-1".into()
}
