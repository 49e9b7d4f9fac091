//! SQL pieces several rules' SQL forms share: the vocabulary as regular expressions (each
//! tested against the Rust function it mirrors), samples, tag-key conditions, `VALUES` tables,
//! the principal-data start. None of it names a rule.

use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, KNOWN_TAG_PREFIXES};

use super::dialect::Dialect;
use super::form::{Cte, SqlCx, Violations};
use crate::money::{to_nanos, TOLERANCE_NANOS};

/// A principal ARN that `curlab_vocab::arn::parse_principal` accepts (tested against it).
pub const PRINCIPAL_RE: &str = r"^arn:(aws|aws-cn|aws-us-gov):(iam::[0-9]{12}:((user|role)/([\x21-\x7e]{0,510}/)?[A-Za-z0-9_+=,.@-]{1,64}|root)|sts::[0-9]{12}:(assumed-role/[A-Za-z0-9_+=,.@-]{1,64}/[^/]+|federated-user/[A-Za-z0-9_+=,.@-]{2,32}))\z";
/// A valid assumed-role (or Identity Center) session ARN, any session name.
pub const ASSUMED_ROLE_RE: &str =
    r"^arn:(aws|aws-cn|aws-us-gov):sts::[0-9]{12}:assumed-role/[A-Za-z0-9_+=,.@-]{1,64}/[^/]+\z";
/// A valid assumed-role session ARN whose session name follows the STS RoleSessionName rules.
pub const GOOD_SESSION_RE: &str = r"^arn:(aws|aws-cn|aws-us-gov):sts::[0-9]{12}:assumed-role/[A-Za-z0-9_+=,.@-]{1,64}/[A-Za-z0-9_+=,.@-]{2,64}\z";
/// A character IAM and STS do not allow in tag keys and values (`[\p{L}\p{Z}\p{N}_.:/=+\-@]`).
pub const BAD_TAG_CHAR_RE: &str = r"[^\p{L}\p{N}\p{Z}_.:/=+@-]";
/// Only Unicode white space (what Rust's `str::trim` removes), or nothing.
pub const BLANK_RE: &str = r"^[\t\n\x0B\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]*\z";

const DAY_US: i64 = 86_400_000_000;

/// `'k=' || v || '; k2=' || v2 ...`, every value an expression of type text (NULL shown empty).
pub(crate) fn sample(d: Dialect, parts: &[(&str, String)]) -> String {
    parts
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            let sep = if i == 0 { "" } else { "; " };
            format!("{} || coalesce({v}, '')", d.lit(&format!("{sep}{k}=")))
        })
        .collect::<Vec<_>>()
        .join(" || ")
}

/// The line item id column of a sample.
pub(crate) fn id() -> (&'static str, String) {
    ("identity_line_item_id", "line_item_id".to_string())
}

/// Violations that read only `base`.
pub(crate) fn rows(sql: String) -> Violations {
    Violations { sql, uses: &[] }
}

/// `k LIKE 'prefix%'` for one of the known source prefixes (none contains `_` or `%`).
pub(crate) fn has_prefix(key: &str, prefix: &str) -> String {
    format!("{key} LIKE '{prefix}%'")
}

/// A key with any of the known source prefixes.
pub(crate) fn any_known_prefix(key: &str) -> String {
    let alts: Vec<String> = KNOWN_TAG_PREFIXES
        .iter()
        .map(|p| has_prefix(key, p))
        .collect();
    format!("({})", alts.join(" OR "))
}

/// The iamPrincipal/ keys of `tags`.
pub(crate) fn principal_key(key: &str) -> String {
    has_prefix(key, IAM_PRINCIPAL_PREFIX)
}

/// `start_ms >= from_us`, compared in µs so a truth instant with a fraction of a millisecond
/// still compares exactly.
pub(crate) fn start_at_or_after_us(from_us: &str) -> String {
    format!("start_ms * 1000 >= {from_us}")
}

/// The UTC midnight (µs) of a non-negative µs expression.
pub(crate) fn day_floor_us(us: &str) -> String {
    format!("({us} - {us} % {DAY_US})")
}

/// The first instant from which rows must carry a principal, in µs (the native rules'
/// `principal_expected_from`): the truth's when given, else the later of the launch and the
/// first row with a principal.
pub(crate) fn expected_from_us(cx: &SqlCx<'_>) -> (String, &'static [Cte]) {
    if cx.ctx.principal_from_truth {
        (cx.ctx.principal_from.to_string(), &[])
    } else {
        let launch = cx.ctx.principal_from;
        (
            format!("greatest(fp.first_ms * 1000, {launch})"),
            &[Cte::FirstPrincipal],
        )
    }
}

/// Count tag entries (`n` = offending keys of the row) for which `cond` on [`KEY`](super::dialect::KEY) holds.
pub(crate) fn tag_entries(d: Dialect, cond: &str) -> Violations {
    rows(format!(
        "SELECT n, sample FROM (\n  SELECT {count} AS n, {s} AS sample\n  FROM base\n) t\nWHERE n > 0",
        count = d.count_keys("tags", cond),
        s = sample(d, &[id(), ("tags", d.join_keys("tags", cond))]),
    ))
}

/// A `VALUES` table, or an empty relation of the same shape when there are no rows.
pub(crate) fn values_table(
    d: Dialect,
    alias: &str,
    columns: &[(&str, &str)],
    rows: &[Vec<String>],
) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    if rows.is_empty() {
        let nulls: Vec<String> = columns
            .iter()
            .map(|(n, t)| {
                format!(
                    "CAST(NULL AS {}) AS {n}",
                    if *t == "VARCHAR" { d.varchar() } else { t }
                )
            })
            .collect();
        return format!(
            "(SELECT {} FROM (VALUES (0)) AS empty(x) WHERE 1 = 0) {alias}",
            nulls.join(", ")
        );
    }
    let body: Vec<String> = rows
        .iter()
        .map(|r| format!("  ({})", r.join(", ")))
        .collect();
    format!(
        "(VALUES\n{}\n) AS {alias}({})",
        body.join(",\n"),
        names.join(", ")
    )
}

/// A total compared with the truth: one offence when it differs by more than half a cent.
pub(crate) fn total_vs_truth(d: Dialect, actual: &str, expected: f64) -> Violations {
    let e = to_nanos(expected);
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (SELECT coalesce(sum(nanos), 0) AS actual_nanos FROM base WHERE {actual}) t\nWHERE abs(actual_nanos - {e}) > {TOLERANCE_NANOS}",
        s = sample(d, &[("expected_nanos", d.lit(&e.to_string())), ("actual_nanos", d.to_str("actual_nanos"))]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use curlab_vocab::arn::{check_session_name, parse_principal};
    use regex::Regex;

    /// ARNs around every branch of the grammar, valid and not.
    fn corpus() -> Vec<String> {
        let mut v: Vec<String> = [
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:user/eng/ml/bob",
            "arn:aws:iam::123456789012:user//x",
            "arn:aws:iam::123456789012:user/",
            "arn:aws:iam::123456789012:user/al ice",
            "arn:aws:iam::123456789012:user/alice:x",
            "arn:aws:iam::123456789012:role/service-role/app",
            "arn:aws:iam::123456789012:role/a b/app",
            "arn:aws-cn:iam::123456789012:role/app",
            "arn:aws-us-gov:iam::123456789012:user/BedrockAPIKey-x1",
            "arn:aws-x:iam::123456789012:user/alice",
            "arn:aws:iam:us-east-1:123456789012:user/alice",
            "arn:aws:iam::12345678901:user/alice",
            "arn:aws:iam::1234567890123:user/alice",
            "arn:aws:iam::12345678901a:user/alice",
            "arn:aws:iam::123456789012:group/devs",
            "arn:aws:s3::123456789012:user/alice",
            "arn:aws:iam::123456789012:root",
            "arn:aws-cn:iam::123456789012:root",
            "arn:aws:iam::123456789012:root/x",
            "arn:aws:iam::123456789012:rootx",
            "arn:aws:iam::123456789012:Root",
            "arn:aws:sts::123456789012:root",
            "arn:aws:iam::12345678901:root",
            "arn:aws:sts::123456789012:assumed-role/Role-1/user-1@acme.org",
            "arn:aws:sts::123456789012:assumed-role/Role-1/x",
            "arn:aws:sts::123456789012:assumed-role/Role-1/alice smith",
            "arn:aws:sts::123456789012:assumed-role/Role-1/a:b",
            "arn:aws:sts::123456789012:assumed-role/Role-1/a\nb",
            "arn:aws:sts::123456789012:assumed-role/Role-1/",
            "arn:aws:sts::123456789012:assumed-role/Role-1",
            "arn:aws:sts::123456789012:assumed-role/path/Role-1/sess",
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_0123/jo",
            "arn:aws:sts::123456789012:assumed-role/Rolé/sess",
            "arn:aws:sts::123456789012:assumed-role/Role/séss",
            "arn:aws:sts::123456789012:federated-user/carol",
            "arn:aws:sts::123456789012:federated-user/c",
            "arn:aws:sts::123456789012:federated-user/a/b",
            "arn:aws:iam::123456789012:federated-user/carol",
            "arn:aws:sts::123456789012:user/carol",
            "arn:aws:sts:123456789012:assumed-role/R/s",
            "arn:aws:iam::123456789012:user/alice\n",
            "xarn:aws:iam::123456789012:user/alice",
            "",
            "alice",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [1, 2, 32, 33, 64, 65] {
            let name = "n".repeat(n);
            v.push(format!("arn:aws:iam::123456789012:user/{name}"));
            v.push(format!("arn:aws:sts::123456789012:assumed-role/{name}/ss"));
            v.push(format!("arn:aws:sts::123456789012:assumed-role/R/{name}"));
            v.push(format!("arn:aws:sts::123456789012:federated-user/{name}"));
        }
        for n in [509, 510, 511] {
            v.push(format!(
                "arn:aws:iam::123456789012:user/{}/x",
                "p".repeat(n)
            ));
        }
        v
    }

    #[test]
    fn principal_regexes_agree_with_the_arn_parser() {
        let valid = Regex::new(PRINCIPAL_RE).unwrap();
        let assumed = Regex::new(ASSUMED_ROLE_RE).unwrap();
        let good = Regex::new(GOOD_SESSION_RE).unwrap();
        for arn in corpus() {
            let parsed = parse_principal(&arn);
            assert_eq!(
                valid.is_match(&arn),
                parsed.is_ok(),
                "parse_principal on {arn:?}: {parsed:?}"
            );
            let session = parsed.as_ref().ok().and_then(|a| a.session);
            assert_eq!(
                assumed.is_match(&arn),
                session.is_some(),
                "assumed-role on {arn:?}"
            );
            let bad_session = session.is_some_and(|s| check_session_name(s).is_err());
            assert_eq!(
                assumed.is_match(&arn) && !good.is_match(&arn),
                bad_session,
                "check_session_name on {arn:?}"
            );
        }
    }

    #[test]
    fn blank_and_tag_char_regexes_agree_with_rust() {
        let blank = Regex::new(BLANK_RE).unwrap();
        for s in [
            "",
            " ",
            "\t\n",
            "\u{a0}\u{3000}\u{2028}\u{85}\u{b}",
            " a ",
            "x",
            "\u{200b}",
        ] {
            assert_eq!(blank.is_match(s), s.trim().is_empty(), "{s:?}");
        }
        let bad = Regex::new(BAD_TAG_CHAR_RE).unwrap();
        for s in [
            "team",
            "Équipe 1",
            "a_b.c:d/e=f+g-h@i",
            "a\u{3000}b",
            "team!",
            "a\nb",
            "x#",
            "日本",
        ] {
            assert_eq!(
                bad.is_match(s),
                s.chars().any(|c| !curlab_vocab::tags::is_tag_char(c)),
                "{s:?}"
            );
        }
    }
}
