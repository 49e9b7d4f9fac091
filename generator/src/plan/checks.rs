//! Checks shared by the access patterns: tag maps, session-tag keys, IAM names and paths,
//! role session names. Each adds a problem naming the value, the rule and the fix.

use std::collections::HashMap;

use curlab_vocab::arn::{check_session_name, is_iam_name_char};
use curlab_vocab::tags;

use crate::scenario::model::TagMap;
use crate::scenario::Path;

use super::context::Ctx;

/// Check a map of principal tags (or user attributes that become tag values): at most 50
/// tags, valid keys and values, no two keys equal ignoring case.
pub(crate) fn check_tag_map(cx: &mut Ctx<'_>, map: &TagMap, path: &Path, what: &str) {
    if map.len() > tags::MAX_TAGS {
        cx.problem(
            path.clone(),
            format!("{what} has {} tags; IAM allows at most 50", map.len()),
            "drop tags or move them to session tags",
        );
    }
    let mut seen: HashMap<String, &str> = HashMap::new();
    for (k, v) in map {
        if let Err(e) = tags::check_key(k) {
            cx.problem(path.key(k), format!("tag key `{k}`: {e}"), "tag keys are 1-128 characters of letters, digits, spaces and _.:/=+-@, not starting with aws:");
        }
        if let Err(e) = tags::check_value(v) {
            cx.problem(
                path.key(k),
                format!("tag `{k}` value: {e}"),
                "tag values are 0-256 characters of letters, digits, spaces and _.:/=+-@",
            );
        }
        if let Some(other) = seen.insert(k.to_lowercase(), k) {
            cx.problem(
                path.key(k),
                format!("tag keys `{other}` and `{k}` differ only in case"),
                "IAM treats keys case-insensitively; keep one spelling",
            );
        }
    }
}

/// Check the keys of a session-tag mapping (tag key → user attribute) of an IdP or gateway.
/// The values are attribute names, not tag values; the attribute values are checked as tags
/// where the users are defined. STS rejects the whole request for any of these problems, so
/// they are errors here rather than tags silently dropped or merged.
pub(crate) fn check_session_tag_keys(cx: &mut Ctx<'_>, map: &TagMap, path: &Path) {
    if map.len() > tags::MAX_TAGS {
        cx.problem(
            path.clone(),
            format!(
                "{} session tags; STS accepts at most 50 per request",
                map.len()
            ),
            "drop session tags",
        );
    }
    let mut seen: HashMap<String, &str> = HashMap::new();
    for k in map.keys() {
        if let Err(e) = tags::check_key(k) {
            cx.problem(path.key(k), format!("session tag key `{k}`: {e}"), "tag keys are 1-128 characters of letters, digits, spaces and _.:/=+-@, not starting with aws:");
        }
        if let Some(other) = seen.insert(k.to_lowercase(), k) {
            cx.problem(path.key(k), format!("session tag keys `{other}` and `{k}` differ only in case"), "STS treats keys case-insensitively and rejects both in one request; keep one spelling");
        }
    }
}

/// An IAM user or role name: 1-64 characters of letters, digits and `_+=,.@-`.
pub(crate) fn check_iam_name(cx: &mut Ctx<'_>, what: &str, name: &str, path: Path) {
    let n = name.chars().count();
    if n == 0 || n > 64 || !name.chars().all(is_iam_name_char) {
        cx.problem(
            path,
            format!("{what} `{name}` is not a valid IAM name"),
            "IAM names are 1-64 characters of letters, digits and _+=,.@-",
        );
    }
}

/// IAM paths: `/` alone, or `/`-delimited segments of printable ASCII (`!` to `~`), at most
/// 512 characters. A user's path is part of its ARN, so a bad one would make an ARN that no
/// parser (nor IAM) accepts.
pub(crate) fn check_iam_path(cx: &mut Ctx<'_>, iam_path: &str, path: Path) {
    if !(iam_path.starts_with('/') && iam_path.ends_with('/')) {
        cx.problem(
            path,
            format!("IAM path `{iam_path}` must start and end with `/`"),
            format!("write e.g. \"/{}/\"", iam_path.trim_matches('/')),
        );
    } else if iam_path.len() > 512
        || (iam_path.contains("//") && iam_path != "/")
        || !iam_path.chars().all(|c| ('!'..='~').contains(&c))
    {
        cx.problem(path, format!("IAM path `{iam_path}` is not valid"), "IAM paths are at most 512 printable ASCII characters without spaces or empty segments, e.g. \"/engineering/ml/\"");
    }
}

/// A role session name by STS rules.
pub(crate) fn check_session(cx: &mut Ctx<'_>, name: &str, path: Path) {
    if let Err(e) = check_session_name(name) {
        cx.problem(
            path,
            format!("{e}"),
            "RoleSessionName must be 2-64 characters of letters, digits and _+=,.@-",
        );
    }
}
