//! Tag rules shared by IAM, STS and Billing (reference §5.2, §5.4, §6, cur2-export §2.3).

/// Prefix of IAM principal and session tags in the `tags` map.
pub const IAM_PRINCIPAL_PREFIX: &str = "iamPrincipal/";
/// Prefix of resource tags in the `tags` map.
pub const RESOURCE_TAGS_PREFIX: &str = "resourceTags/";

/// Every source prefix AWS documents for keys of the `tags` map.
pub const KNOWN_TAG_PREFIXES: &[&str] = &[
    "iamPrincipal/",
    "resourceTags/",
    "accountTag/",
    "userAttribute/",
    "costCategory/",
];

/// Most tags one IAM user or role (or one STS request) may carry.
pub const MAX_TAGS: usize = 50;
/// Longest tag key, in characters.
pub const MAX_KEY_CHARS: usize = 128;
/// Longest tag value, in characters.
pub const MAX_VALUE_CHARS: usize = 256;

/// The known prefix of a `tags` key and the rest, or `None` for an unprefixed key.
pub fn split_prefix(key: &str) -> Option<(&'static str, &str)> {
    KNOWN_TAG_PREFIXES
        .iter()
        .find_map(|p| key.strip_prefix(p).map(|rest| (*p, rest)))
}

fn is_space_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// Characters allowed in tag keys and values: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
///
/// `\p{L}` is approximated by Rust's `char::is_alphabetic` (which also admits combining
/// marks); everything a real IAM tag can hold passes.
pub fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric()
        || is_space_separator(c)
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

/// What is wrong with a tag key or value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagProblem {
    /// Key empty or longer than 128 characters.
    KeyLength(usize),
    /// Value longer than 256 characters.
    ValueLength(usize),
    /// A character outside the allowed set.
    KeyChar(char),
    /// A character outside the allowed set.
    ValueChar(char),
    /// The reserved `aws:` prefix (any case).
    AwsPrefix,
}

impl std::fmt::Display for TagProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TagProblem::KeyLength(n) => write!(f, "key is {n} characters; keys are 1 to 128"),
            TagProblem::ValueLength(n) => {
                write!(f, "value is {n} characters; values are at most 256")
            }
            TagProblem::KeyChar(c) => write!(
                f,
                "key contains `{}`; allowed are letters, digits, spaces and _.:/=+-@",
                c.escape_default()
            ),
            TagProblem::ValueChar(c) => write!(
                f,
                "value contains `{}`; allowed are letters, digits, spaces and _.:/=+-@",
                c.escape_default()
            ),
            TagProblem::AwsPrefix => write!(f, "the `aws:` prefix is reserved for AWS"),
        }
    }
}

/// Check a tag key (without any `iamPrincipal/` prefix).
pub fn check_key(key: &str) -> Result<(), TagProblem> {
    let n = key.chars().count();
    if n == 0 || n > MAX_KEY_CHARS {
        return Err(TagProblem::KeyLength(n));
    }
    if let Some(c) = key.chars().find(|c| !is_tag_char(*c)) {
        return Err(TagProblem::KeyChar(c));
    }
    // `get`: byte 4 may fall inside a multi-byte character (`abcé`); slicing would panic.
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(TagProblem::AwsPrefix);
    }
    Ok(())
}

/// Check a tag value.
pub fn check_value(value: &str) -> Result<(), TagProblem> {
    let n = value.chars().count();
    if n > MAX_VALUE_CHARS {
        return Err(TagProblem::ValueLength(n));
    }
    if let Some(c) = value.chars().find(|c| !is_tag_char(*c)) {
        return Err(TagProblem::ValueChar(c));
    }
    Ok(())
}

/// The normalised key AWS writes into `resource_tags` for a user-defined resource tag:
/// `user_` + snake_case (CamelCase split, lower-cased, other characters turned into `_`).
/// AWS-generated keys (`aws:createdBy`) become `aws_created_by`.
pub fn resource_tags_column_key(key: &str) -> String {
    let (prefix, rest) = match key.strip_prefix("aws:") {
        Some(rest) => ("aws_", rest),
        None => ("user_", key),
    };
    let mut out = String::with_capacity(prefix.len() + rest.len() + 4);
    out.push_str(prefix);
    let mut prev: Option<char> = None;
    for c in rest.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase()
                && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
            {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rules() {
        assert!(check_key("cost-center").is_ok());
        assert!(check_key("Équipe 1").is_ok());
        assert_eq!(check_key(""), Err(TagProblem::KeyLength(0)));
        assert_eq!(check_key(&"k".repeat(129)), Err(TagProblem::KeyLength(129)));
        assert_eq!(check_key("AWS:team"), Err(TagProblem::AwsPrefix));
        assert_eq!(check_key("team!"), Err(TagProblem::KeyChar('!')));
        assert!(check_value("").is_ok());
        assert_eq!(
            check_value(&"v".repeat(257)),
            Err(TagProblem::ValueLength(257))
        );
        assert_eq!(check_value("a\nb"), Err(TagProblem::ValueChar('\n')));
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            split_prefix("iamPrincipal/team"),
            Some(("iamPrincipal/", "team"))
        );
        assert_eq!(split_prefix("team"), None);
        assert_eq!(split_prefix("iamprincipal/team"), None);
    }

    #[test]
    fn resource_tag_keys_are_normalised() {
        assert_eq!(resource_tags_column_key("CostCenter"), "user_cost_center");
        assert_eq!(resource_tags_column_key("cost-center"), "user_cost_center");
        assert_eq!(resource_tags_column_key("Project"), "user_project");
        assert_eq!(resource_tags_column_key("aws:createdBy"), "aws_created_by");
        assert_eq!(
            resource_tags_column_key("karpenter.sh/nodepool"),
            "user_karpenter_sh_nodepool"
        );
    }
}
