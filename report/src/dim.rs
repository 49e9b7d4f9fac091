//! Grouping dimensions and filters: `principal`, `role`, `account`, `model`, `usage-type`,
//! `token-type`, `region`, `tag:<key>`, `resource-tag:<key>`.

use std::borrow::Cow;
use std::fmt;

use curlab_vocab::arn::parse_principal;
use curlab_vocab::bedrock::token_type_of;
use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, RESOURCE_TAGS_PREFIX};

use crate::item::LineItem;

/// Label of spend without a principal.
pub const NO_PRINCIPAL: &str = "(no principal)";
/// Label of spend without the grouped tag.
pub const UNTAGGED: &str = "(untagged)";

/// One dimension to group or filter by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// `line_item_iam_principal` as written.
    Principal,
    /// Sessions rolled up to the role they were assumed from; users stay themselves.
    Role,
    /// `line_item_usage_account_id`.
    Account,
    /// The model (see [`LineItem::model`]).
    Model,
    /// `line_item_usage_type`.
    UsageType,
    /// Input, output, cache-read, cache-write, cache-write-1h.
    TokenType,
    /// Region of the usage type.
    Region,
    /// The `iamPrincipal/<key>` value of `tags`.
    Tag(String),
    /// The `resourceTags/<key>` value of `tags`.
    ResourceTag(String),
}

impl Dim {
    /// Parse a dimension as written on the command line.
    pub fn parse(s: &str) -> Result<Dim, String> {
        let t = s.trim();
        let key = |k: &str, prefix: &str| -> Result<String, String> {
            let k = k.strip_prefix(prefix).unwrap_or(k);
            if k.is_empty() {
                Err(format!("`{t}` names no tag key; write e.g. tag:team"))
            } else {
                Ok(k.to_string())
            }
        };
        if let Some(k) = t.strip_prefix("tag:") {
            return Ok(Dim::Tag(key(k, IAM_PRINCIPAL_PREFIX)?));
        }
        if let Some(k) = t.strip_prefix("resource-tag:") {
            return Ok(Dim::ResourceTag(key(k, RESOURCE_TAGS_PREFIX)?));
        }
        Ok(match t {
            "principal" => Dim::Principal,
            "role" => Dim::Role,
            "account" => Dim::Account,
            "model" => Dim::Model,
            "usage-type" => Dim::UsageType,
            "token-type" => Dim::TokenType,
            "region" => Dim::Region,
            _ => {
                return Err(format!(
                    "unknown dimension `{t}`; use principal, role, account, model, usage-type, \
                     token-type, region, tag:<key> or resource-tag:<key>"
                ))
            }
        })
    }

    /// The value of this dimension for a line item.
    pub fn value_of<'a>(&self, it: &LineItem<'a>) -> Cow<'a, str> {
        match self {
            Dim::Principal => Cow::Borrowed(it.principal.unwrap_or(NO_PRINCIPAL)),
            Dim::Role => match it.principal {
                None => Cow::Borrowed(NO_PRINCIPAL),
                Some(p) => match parse_principal(p).ok().and_then(|a| a.role_arn()) {
                    Some(role) => Cow::Owned(role),
                    None => Cow::Borrowed(p),
                },
            },
            Dim::Account => Cow::Borrowed(it.usage_account),
            Dim::Model => Cow::Borrowed(it.model()),
            Dim::UsageType => Cow::Borrowed(it.usage_type),
            Dim::TokenType => Cow::Borrowed(
                token_type_of(it.usage_type)
                    .map(|t| t.as_str())
                    .unwrap_or("(other)"),
            ),
            Dim::Region => Cow::Borrowed(it.region()),
            Dim::Tag(k) => Cow::Borrowed(tag_value(it, IAM_PRINCIPAL_PREFIX, k)),
            Dim::ResourceTag(k) => Cow::Borrowed(tag_value(it, RESOURCE_TAGS_PREFIX, k)),
        }
    }
}

fn tag_value<'a>(it: &LineItem<'a>, prefix: &str, key: &str) -> &'a str {
    it.tags
        .iter()
        .find(|(k, v)| !v.is_empty() && k.strip_prefix(prefix) == Some(key))
        .map(|(_, v)| v.as_str())
        .unwrap_or(UNTAGGED)
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Principal => f.write_str("principal"),
            Dim::Role => f.write_str("role"),
            Dim::Account => f.write_str("account"),
            Dim::Model => f.write_str("model"),
            Dim::UsageType => f.write_str("usage-type"),
            Dim::TokenType => f.write_str("token-type"),
            Dim::Region => f.write_str("region"),
            Dim::Tag(k) => write!(f, "tag:{k}"),
            Dim::ResourceTag(k) => write!(f, "resource-tag:{k}"),
        }
    }
}

/// `DIM=VALUE`: keep only rows whose dimension has this value. Several filters on the same
/// dimension are alternatives; filters on different dimensions must all hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The dimension.
    pub dim: Dim,
    /// The value it must have (`(untagged)` selects rows without the tag).
    pub value: String,
}

impl Filter {
    /// Parse `DIM=VALUE`.
    pub fn parse(s: &str) -> Result<Filter, String> {
        let (d, v) = s
            .split_once('=')
            .ok_or_else(|| format!("filter `{s}` has no `=`; write DIM=VALUE, e.g. tag:team=ds"))?;
        Ok(Filter {
            dim: Dim::parse(d)?,
            value: v.to_string(),
        })
    }

    /// Whether every dimension filtered on has one of its wanted values.
    pub fn all_match(filters: &[Filter], it: &LineItem<'_>) -> bool {
        filters.iter().all(|f| {
            let value = f.dim.value_of(it);
            filters
                .iter()
                .filter(|g| g.dim == f.dim)
                .any(|g| g.value == value)
        })
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.dim, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dims_and_filters() {
        assert_eq!(Dim::parse("tag:team"), Ok(Dim::Tag("team".into())));
        assert_eq!(
            Dim::parse("tag:iamPrincipal/team"),
            Ok(Dim::Tag("team".into()))
        );
        assert_eq!(
            Dim::parse("resource-tag:app"),
            Ok(Dim::ResourceTag("app".into()))
        );
        assert!(Dim::parse("colour").is_err());
        assert!(Dim::parse("tag:").is_err());
        let f = Filter::parse("tag:team=a=b").unwrap();
        assert_eq!(f.value, "a=b");
        assert!(Filter::parse("team").is_err());
    }

    #[test]
    fn roles_roll_up_sessions() {
        let tags = [("iamPrincipal/team".to_string(), "ds".to_string())];
        let it = LineItem {
            principal: Some("arn:aws:sts::123456789012:assumed-role/BedrockRole/gw-user-1"),
            usage_account: "123456789012",
            usage_type: "USE1-Claude4.6Sonnet-input-tokens",
            product_name: "",
            pricing_unit: "1K tokens",
            start: None,
            cost: curlab_vocab::Money::ZERO,
            usage_e6: 0,
            tags: &tags,
        };
        assert_eq!(
            Dim::Role.value_of(&it),
            "arn:aws:iam::123456789012:role/BedrockRole"
        );
        assert_eq!(Dim::Tag("team".into()).value_of(&it), "ds");
        assert_eq!(Dim::Tag("cost-center".into()).value_of(&it), UNTAGGED);
        assert_eq!(Dim::TokenType.value_of(&it), "input");
    }
}
