//! Each rule's violations as SQL: one builder per rule, referenced from the rule's
//! [`RuleMeta::sql`](crate::meta::RuleMeta::sql).
//!
//! A builder returns a query over the shared CTEs of [`super::compose`] (`base`, and where
//! needed `first_principal`, `spend`, `principals`, `truth_principals`) with two columns: `n`,
//! how many offences a result row stands for, in the unit the native rule counts (rows, tag
//! entries, principals, keys, gateways, repeated occurrences), and `sample`, a text describing
//! it. The native rule module is the specification; each builder names the lines it mirrors.

use std::collections::BTreeMap;

use curlab_vocab::arn::{parse_principal, IdentityKind};
use curlab_vocab::bedrock::principal_data_start;
use curlab_vocab::tags::{
    IAM_PRINCIPAL_PREFIX, KNOWN_TAG_PREFIXES, MAX_KEY_CHARS, MAX_TAGS, MAX_VALUE_CHARS,
};

use super::dialect::{Dialect, KEY};
use super::{Cte, SqlCx, Violations};
use crate::money::{to_nanos, TOLERANCE_NANOS};
use crate::policy::full_tag_key;
use crate::rules::{
    ct001_cost_rate_mismatch as ct001, gw002_dominant_session as gw002, Granularity,
};

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

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
const DAY_US: i64 = 86_400_000_000;

/// Epoch µs of 2026-04-08, the first day with IAM principal data.
fn launch_us() -> i64 {
    principal_data_start()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(0)
}

/// `'k=' || v || '; k2=' || v2 ...`, every value an expression of type text (NULL shown empty).
fn sample(d: Dialect, parts: &[(&str, String)]) -> String {
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

fn id() -> (&'static str, String) {
    ("identity_line_item_id", "line_item_id".to_string())
}

fn rows(sql: String) -> Violations {
    Violations { sql, uses: &[] }
}

/// `k LIKE 'prefix%'` for one of the known source prefixes (none contains `_` or `%`).
fn has_prefix(key: &str, prefix: &str) -> String {
    format!("{key} LIKE '{prefix}%'")
}

fn any_known_prefix(key: &str) -> String {
    let alts: Vec<String> = KNOWN_TAG_PREFIXES
        .iter()
        .map(|p| has_prefix(key, p))
        .collect();
    format!("({})", alts.join(" OR "))
}

/// The iamPrincipal/ keys of `tags`.
fn principal_key(key: &str) -> String {
    has_prefix(key, IAM_PRINCIPAL_PREFIX)
}

/// `start_ms >= from_us`, compared in µs so a truth instant with a fraction of a millisecond
/// still compares exactly.
fn start_at_or_after_us(from_us: &str) -> String {
    format!("start_ms * 1000 >= {from_us}")
}

/// The UTC midnight (µs) of a non-negative µs expression.
fn day_floor_us(us: &str) -> String {
    format!("({us} - {us} % {DAY_US})")
}

/// The first instant from which rows must carry a principal, in µs (`Ctx::principal_expected_from`):
/// the truth's when given, else the later of the launch and the first row with a principal.
fn expected_from_us(cx: &SqlCx<'_>) -> (String, &'static [Cte]) {
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

/// PR001 (`check_row` + `finish`): Bedrock inference rows without a principal from the day
/// principal data starts.
pub fn pr001(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let from = cx.ctx.principal_from;
    let (expected, uses) = expected_from_us(cx);
    // Without any principal in the export the native rule counts from principal_from.
    let expected = if uses.is_empty() {
        expected
    } else {
        format!("coalesce({expected}, {from})")
    };
    let from_clause = if uses.is_empty() {
        "base"
    } else {
        "base CROSS JOIN first_principal fp"
    };
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM {from_clause}\nWHERE inference AND principal IS NULL\n  AND {a}\n  AND {b}",
            s = sample(d, &[id(), ("line_item_usage_type", "usage_type".into()), ("line_item_usage_start_date", d.to_str("usage_start"))]),
            a = start_at_or_after_us(&from.to_string()),
            b = start_at_or_after_us(&day_floor_us(&expected)),
        ),
        uses,
    }
}

/// PR002: a principal that is not a valid IAM/STS principal ARN.
pub fn pr002(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND NOT {re}",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into())]),
        re = d.regex("principal", PRINCIPAL_RE),
    ))
}

/// PR003: the account of a valid principal ARN differs from a non-empty usage account.
pub fn pr003(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND {re}\n  AND usage_account <> '' AND split_part(principal, ':', 5) <> usage_account",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into()), ("line_item_usage_account_id", "usage_account".into())]),
        re = d.regex("principal", PRINCIPAL_RE),
    ))
}

/// PR004: a principal on a row that is not Amazon Bedrock.
pub fn pr004(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND NOT bedrock",
        s = sample(
            d,
            &[
                id(),
                ("line_item_iam_principal", "principal".into()),
                ("line_item_product_code", "product_code".into())
            ]
        ),
    ))
}

/// PR005: a principal on a row whose usage starts before 2026-04-08.
pub fn pr005(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND start_ms * 1000 < {launch}",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into()), ("line_item_usage_start_date", d.to_str("usage_start"))]),
        launch = launch_us(),
    ))
}

/// PR006: a valid assumed-role ARN whose session name breaks the STS rules.
pub fn pr006(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE principal IS NOT NULL AND {ar} AND NOT {good}",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into())]),
        ar = d.regex("principal", ASSUMED_ROLE_RE),
        good = d.regex("principal", GOOD_SESSION_RE),
    ))
}

/// TG001: an iamPrincipal/ tag on a row without a principal, from the day principal data starts.
pub fn tg001(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let (expected, uses) = expected_from_us(cx);
    let from_clause = if uses.is_empty() {
        "base"
    } else {
        "base CROSS JOIN first_principal fp"
    };
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM {from_clause}\nWHERE principal IS NULL AND start_ms IS NOT NULL\n  AND {count} > 0\n  AND {after}",
            s = sample(d, &[id(), ("tags", d.join_keys("tags", &principal_key(KEY)))]),
            count = d.count_keys("tags", &principal_key(KEY)),
            after = start_at_or_after_us(&day_floor_us(&expected)),
        ),
        uses,
    }
}

/// Count tag entries (`n` = offending keys of the row) for which `cond` on [`KEY`] holds.
fn tag_entries(d: Dialect, cond: &str) -> Violations {
    rows(format!(
        "SELECT n, sample FROM (\n  SELECT {count} AS n, {s} AS sample\n  FROM base\n) t\nWHERE n > 0",
        count = d.count_keys("tags", cond),
        s = sample(d, &[id(), ("tags", d.join_keys("tags", cond))]),
    ))
}

/// TG002: a tags key without a known source prefix; one per entry.
pub fn tg002(cx: &SqlCx<'_>) -> Violations {
    tag_entries(cx.d, &format!("NOT {}", any_known_prefix(KEY)))
}

/// TG003: a key (after its prefix) of 0 or over 128 characters, a value over 256, or, for
/// iamPrincipal/ tags, a character IAM does not allow; one per entry.
pub fn tg003(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let prefix_len = {
        let whens: Vec<String> = KNOWN_TAG_PREFIXES
            .iter()
            .map(|p| format!("WHEN {} THEN {}", has_prefix(KEY, p), p.chars().count()))
            .collect();
        format!("CASE {} ELSE 0 END", whens.join(" "))
    };
    let key_len = format!("(length({KEY}) - {prefix_len})");
    let value = format!("coalesce({}, '')", d.map_get("tags", KEY));
    let cond = format!(
        "({key_len} = 0 OR {key_len} > {MAX_KEY_CHARS} OR length({value}) > {MAX_VALUE_CHARS} OR ({strict} AND ({bad_key} OR {bad_value})))",
        strict = principal_key(KEY),
        bad_key = d.regex(KEY, BAD_TAG_CHAR_RE),
        bad_value = d.regex(&value, BAD_TAG_CHAR_RE),
    );
    tag_entries(d, &cond)
}

/// TG004: `aws:` (any case) right after a source prefix other than resourceTags/; one per entry.
pub fn tg004(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    tag_entries(
        d,
        &d.regex(
            KEY,
            "^(iamPrincipal|accountTag|userAttribute|costCategory)/[Aa][Ww][Ss]:",
        ),
    )
}

/// TG005: more than 50 iamPrincipal/ keys on a row.
pub fn tg005(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let count = d.count_keys("tags", &principal_key(KEY));
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE {count} > {MAX_TAGS}",
        s = sample(d, &[id(), ("iam_principal_tags", d.to_str(&count))]),
    ))
}

/// TG006: keys of the whole export equal once lower-cased; one per lower-cased key.
pub fn tg006(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let spelling = format!("spelling || ' (' || {} || ' rows)'", d.to_str("key_rows"));
    let s = format!("{} || {}", d.lit("keys="), d.string_agg(&spelling, ", "));
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT lower({KEY}) AS lower_key, {KEY} AS spelling, count(*) AS key_rows\n  FROM {from}\n  GROUP BY lower({KEY}), {KEY}\n) spellings\nGROUP BY lower_key\nHAVING count(*) >= 2",
        from = d.from_map_keys("base", "tags"),
    ))
}

/// `key IN (...)` over literals, or FALSE for none.
fn in_list(d: Dialect, key: &str, values: &[String]) -> String {
    if values.is_empty() {
        return "FALSE".into();
    }
    let lits: Vec<String> = values.iter().map(|v| d.lit(v)).collect();
    format!("{key} IN ({})", lits.join(", "))
}

/// TG007: a key whose source prefix is checked (iamPrincipal/, and every prefix the activation
/// list uses) that is not in the activation list; one per entry.
pub fn tg007(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let active: Vec<String> = cx
        .ctx
        .activation
        .iter()
        .flat_map(|a| a.keys().cloned())
        .collect();
    let checked: Vec<String> = KNOWN_TAG_PREFIXES
        .iter()
        .filter(|p| **p == IAM_PRINCIPAL_PREFIX || active.iter().any(|a| a.starts_with(**p)))
        .map(|p| has_prefix(KEY, p))
        .collect();
    let cond = format!(
        "({}) AND NOT {}",
        checked.join(" OR "),
        in_list(d, KEY, &active)
    );
    tag_entries(d, &cond)
}

/// TG008: an iamPrincipal/ key on a row that starts before the key took effect (and not inside
/// a backfill); one per entry.
pub fn tg008(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let mut alts = Vec::new();
    for (key, a) in cx.ctx.activation.iter().flatten() {
        let (Some(eff), true) = (a.effective_from, key.starts_with(IAM_PRINCIPAL_PREFIX)) else {
            continue;
        };
        let backfilled = match a.backfill_from {
            Some(b) => format!(" AND NOT (start_ms * 1000 >= {b})"),
            None => String::new(),
        };
        alts.push(format!(
            "({KEY} = {} AND start_ms * 1000 < {eff}{backfilled})",
            d.lit(key)
        ));
    }
    let cond = if alts.is_empty() {
        "FALSE".to_string()
    } else {
        format!("({})", alts.join(" OR "))
    };
    rows(format!(
        "SELECT n, sample FROM (\n  SELECT {count} AS n, {s} AS sample\n  FROM base\n  WHERE start_ms IS NOT NULL\n) t\nWHERE n > 0",
        count = d.count_keys("tags", &cond),
        s = sample(d, &[id(), ("line_item_usage_start_date", d.to_str("usage_start")), ("tags", d.join_keys("tags", &cond))]),
    ))
}

/// A `VALUES` table, or an empty relation of the same shape when there are no rows.
fn values_table(d: Dialect, alias: &str, columns: &[(&str, &str)], rows: &[Vec<String>]) -> String {
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

/// TG009: a session-tag key of a truth principal showing another value than the session's;
/// one per (row, key).
pub fn tg009(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let mut expected: Vec<Vec<String>> = Vec::new();
    if let Some(truth) = &cx.ctx.truth {
        // The principal the native rule looks up for an ARN (the last of duplicates).
        let by_arn: BTreeMap<&String, usize> = cx
            .ctx
            .truth_principals
            .iter()
            .map(|(a, i)| (a, *i))
            .collect();
        for (arn, i) in by_arn {
            let Some(tp) = truth.principals.get(i) else {
                continue;
            };
            for key in &tp.session_tag_keys {
                let value = tp.tags.get(key).or_else(|| {
                    tp.tags
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                        .map(|(_, v)| v)
                });
                if let Some(v) = value {
                    expected.push(vec![d.lit(arn), d.lit(key), d.lit(v)]);
                }
            }
        }
    }
    let session = values_table(
        d,
        "s",
        &[
            ("arn", "VARCHAR"),
            ("tag_key", "VARCHAR"),
            ("session_value", "VARCHAR"),
        ],
        &expected,
    );
    let exact = format!("'{IAM_PRINCIPAL_PREFIX}' || s.tag_key");
    let same_key = format!(
        "{} AND {} = {}",
        principal_key(KEY),
        d.ascii_lower(&format!(
            "substr({KEY}, {})",
            IAM_PRINCIPAL_PREFIX.len() + 1
        )),
        d.ascii_lower("s.tag_key")
    );
    let first_match = d.first(&d.keys_where("b.tags", &same_key));
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT b.line_item_id, b.principal, s.tag_key, s.session_value,\n    CASE WHEN {has} THEN coalesce({get}, '')\n         WHEN {first_match} IS NOT NULL THEN coalesce({get_ci}, '') END AS shown\n  FROM base b\n  JOIN {session} ON b.principal = s.arn\n) t\nWHERE shown IS NOT NULL AND shown <> session_value",
        s = sample(d, &[id(), ("line_item_iam_principal", "principal".into()), ("tag", "tag_key".into()), ("value", "shown".into()), ("session_value", "session_value".into())]),
        has = d.map_has("b.tags", &exact),
        get = d.map_get("b.tags", &exact),
        get_ci = d.map_get("b.tags", &first_match),
    ))
}

/// The role name and account of a principal matched by [`ASSUMED_ROLE_RE`], excluding
/// Identity Center sessions (`IdentityKind::AssumedRole` only).
fn assumed_role_sessions(d: Dialect, from: &str) -> String {
    format!(
        "SELECT principal, nanos, split_part(split_part(principal, ':', 6), '/', 2) AS role_name, split_part(principal, ':', 5) AS account\n  FROM {from}\n  WHERE {re} AND substr(split_part(split_part(principal, ':', 6), '/', 2), 1, 15) <> 'AWSReservedSSO_'",
        re = d.regex("principal", ASSUMED_ROLE_RE),
    )
}

fn role_name(arn: &str) -> Option<String> {
    parse_principal(arn).ok().map(|a| a.name.to_string())
}

/// GW001: a per-user gateway of the truth whose execution role carries Bedrock spend, or
/// whose invocation role shows fewer than half the expected sessions; one per gateway.
pub fn gw001(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let mut gateways = Vec::new();
    if let Some(truth) = &cx.ctx.truth {
        for (gi, g) in truth
            .gateways
            .iter()
            .enumerate()
            .filter(|(_, g)| g.per_user_sessions)
        {
            let Some(inv) = role_name(&g.invocation_role_arn) else {
                continue;
            };
            let exec = role_name(&g.execution_role_arn);
            // Expected sessions: the invocation-role sessions of the truth's by_principal.
            let truth_sessions = truth
                .by_principal
                .keys()
                .filter_map(|p| parse_principal(p).ok())
                .filter(|a| {
                    a.kind == IdentityKind::AssumedRole
                        && a.name == inv
                        && (g.account.is_empty() || a.account == g.account)
                })
                .count() as u64;
            let expected = if truth_sessions > 0 {
                truth_sessions
            } else {
                g.expected_principals
            };
            gateways.push(vec![
                gi.to_string(),
                d.lit(&g.name),
                d.lit(&inv),
                exec.map_or_else(|| format!("CAST(NULL AS {})", d.varchar()), |e| d.lit(&e)),
                d.lit(&g.account),
                expected.to_string(),
            ]);
        }
    }
    let gw = values_table(
        d,
        "g",
        &[
            ("gi", "INTEGER"),
            ("name", "VARCHAR"),
            ("invocation_role", "VARCHAR"),
            ("execution_role", "VARCHAR"),
            ("account", "VARCHAR"),
            ("expected", "BIGINT"),
        ],
        &gateways,
    );
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT g.gi, g.name, g.expected,\n    count(DISTINCT CASE WHEN s.role_name = g.invocation_role THEN s.principal END) AS observed,\n    coalesce(sum(CASE WHEN s.role_name = g.execution_role THEN s.nanos END), 0) AS execution_nanos\n  FROM {gw}\n  LEFT JOIN (\n  {sessions}\n  ) s ON (g.account = '' OR s.account = g.account)\n  GROUP BY g.gi, g.name, g.expected\n) t\nWHERE execution_nanos > {TOLERANCE_NANOS} OR (expected >= 2 AND observed * 2 < expected)",
            s = sample(d, &[("gateway", "name".into()), ("expected_sessions", d.to_str("expected")), ("observed_sessions", d.to_str("observed")), ("execution_role_nanos", d.to_str("execution_nanos"))]),
            sessions = assumed_role_sessions(d, "principals"),
        ),
        uses: &[Cte::Spend, Cte::Principals],
    }
}

/// GW002: per usage account, an assumed-role session with over 80 % of the attributed spend,
/// at least 10 rows and $1.00 or half the rows; one per (account, session).
pub fn gw002(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let min_nanos = to_nanos(gw002::MIN_SPEND);
    let sessions = format!(
        "SELECT usage_account, principal, nanos, row_count FROM spend\n  WHERE principal IS NOT NULL AND {} AND substr(split_part(split_part(principal, ':', 6), '/', 2), 1, 15) <> 'AWSReservedSSO_'",
        d.regex("principal", ASSUMED_ROLE_RE)
    );
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM (\n  {sessions}\n) p\nJOIN (\n  SELECT usage_account AS account, sum(nanos) AS total_nanos, sum(row_count) AS total_rows\n  FROM spend WHERE principal IS NOT NULL GROUP BY usage_account\n) a ON a.account = p.usage_account\nWHERE a.total_nanos > 0 AND p.row_count >= {min_rows}\n  AND {share} > {spend_share}\n  AND (p.nanos >= {min_nanos} OR {row_share} >= {row_share_min})",
            s = sample(d, &[("line_item_usage_account_id", "p.usage_account".into()), ("line_item_iam_principal", "p.principal".into()), ("nanos", d.to_str("p.nanos")), ("account_nanos", d.to_str("a.total_nanos"))]),
            min_rows = gw002::MIN_ROWS,
            share = d.ratio("p.nanos", "a.total_nanos"),
            spend_share = d.dbl(gw002::SPEND_SHARE),
            row_share = d.ratio("p.row_count", "greatest(a.total_rows, 1)"),
            row_share_min = d.dbl(gw002::ROW_SHARE),
        ),
        uses: &[Cte::Spend],
    }
}

/// CT001: on Usage rows with a numeric rate, |cost − usage × rate| > $0.0001 + 0.01 %.
pub fn ct001(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT line_item_id, cost, usage_amount, rate, usage_amount * TRY_CAST(trim(rate) AS DOUBLE) AS expected\n  FROM base\n  WHERE line_item_type = 'Usage' AND cost IS NOT NULL AND usage_amount IS NOT NULL AND rate IS NOT NULL\n) t\nWHERE expected IS NOT NULL AND abs(cost - expected) > {abs} + {rel} * abs(expected)",
        s = sample(d, &[id(), ("line_item_unblended_cost", d.to_str("cost")), ("line_item_usage_amount", d.to_str("usage_amount")), ("line_item_unblended_rate", "rate".into())]),
        abs = d.dbl(ct001::ABS_TOLERANCE),
        rel = d.dbl(ct001::REL_TOLERANCE),
    ))
}

/// CT002: end not after start, or start/end not aligned to the granularity.
pub fn ct002(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let one_month = "(start_month = start_ms AND next_month = end_ms)";
    let gran = match cx.ctx.granularity {
        Some(Granularity::Hourly) => {
            format!("NOT (start_ms % {HOUR_MS} = 0 AND end_ms - start_ms = {HOUR_MS})")
        }
        Some(Granularity::Daily) => {
            format!("NOT (start_ms % {DAY_MS} = 0 AND end_ms - start_ms = {DAY_MS})")
        }
        Some(Granularity::Monthly) => format!(
            "NOT ({one_month} OR (start_month = start_ms AND end_ms % {DAY_MS} = 0) OR (start_ms % {DAY_MS} = 0 AND end_month = end_ms))"
        ),
        None => format!(
            "(start_ms % {HOUR_MS} <> 0 OR end_ms % {HOUR_MS} <> 0 OR (end_ms - start_ms = {DAY_MS} AND start_ms % {DAY_MS} <> 0))"
        ),
    };
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT line_item_id, line_item_type, usage_start, usage_end, start_ms, end_ms,\n    {sm} AS start_month, {nm} AS next_month, {em} AS end_month\n  FROM base\n  WHERE start_ms IS NOT NULL AND end_ms IS NOT NULL\n) t\nWHERE end_ms <= start_ms\n  OR (NOT (start_month = start_ms AND end_month = end_ms AND line_item_type <> 'Usage')\n      AND {gran})",
        s = sample(d, &[id(), ("line_item_usage_start_date", d.to_str("usage_start")), ("line_item_usage_end_date", d.to_str("usage_end"))]),
        sm = d.month_floor_ms("usage_start"),
        nm = d.month_next_ms("usage_start"),
        em = d.month_floor_ms("usage_end"),
    ))
}

/// CT003: a Bedrock token Usage row whose pricing_unit does not match its usage type's form.
pub fn ct003(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let lower = d.ascii_lower("usage_type");
    let needles = [
        "cache-read",
        "cacheread",
        "cache_read",
        "cache-write",
        "cachewrite",
        "cache_write",
        "input-tokens",
        "inputtokencount",
        "input_tokens",
        "output-tokens",
        "outputtokencount",
        "output_tokens",
    ];
    let token: Vec<String> = needles.iter().map(|n| d.contains(&lower, n)).collect();
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE bedrock AND line_item_type = 'Usage'\n  AND ({token})\n  AND pricing_unit <> CASE WHEN {mp} THEN 'Units' ELSE '1K tokens' END",
        s = sample(d, &[id(), ("line_item_usage_type", "usage_type".into()), ("pricing_unit", "pricing_unit".into())]),
        token = token.join(" OR "),
        mp = d.contains("usage_type", "-MP:"),
    ))
}

/// CT004: every occurrence of a line item (identity_line_item_id and identity_time_interval) after
/// the first within a billing period.
pub fn ct004(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let period = format!(
        "coalesce(billing_period, {})",
        d.to_str(&d.month_floor_ms("period_start"))
    );
    // The line item's key: id and interval; without an interval, the usage start and end (as
    // epoch ms, marked so they never equal an interval's text), as the native check does.
    let when = format!(
        "coalesce(time_interval, 'usage:' || coalesce({}, '') || '/' || coalesce({}, ''))",
        d.to_str("start_ms"),
        d.to_str("end_ms")
    );
    rows(format!(
        "SELECT count(*) - 1 AS n, {s} AS sample\nFROM base\nWHERE line_item_id IS NOT NULL\nGROUP BY {period}, line_item_id, {when}\nHAVING count(*) > 1",
        s = sample(d, &[id(), ("identity_time_interval", "min(time_interval)".into()), ("billing_period", period.clone()), ("occurrences", d.to_str("count(*)"))]),
    ))
}

/// CT005: a Usage row with a negative usage amount.
pub fn ct005(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM base\nWHERE line_item_type = 'Usage' AND usage_amount < 0",
        s = sample(d, &[id(), ("line_item_usage_amount", d.to_str("usage_amount"))]),
    ))
}

/// SC007: a row whose billing period start is not its BILLING_PERIOD partition's month, or whose
/// usage starts outside it (Credit and Refund rows: only the billing period).
pub fn sc007(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT line_item_id, line_item_type, billing_period, usage_start, period_start, start_ms, period_ms,\n    CASE WHEN billing_period IS NOT NULL THEN {lo_p} ELSE {lo_s} END AS lo,\n    CASE WHEN billing_period IS NOT NULL THEN {hi_p} ELSE {hi_s} END AS hi\n  FROM base\n) t\nWHERE lo IS NOT NULL AND hi IS NOT NULL\n  AND NOT ((period_ms IS NULL OR period_ms = lo OR billing_period IS NULL)\n       AND (line_item_type IN ('Credit', 'Refund') OR start_ms IS NULL OR (start_ms >= lo AND start_ms < hi)))",
        s = sample(d, &[id(), ("billing_period", "billing_period".into()), ("bill_billing_period_start_date", d.to_str("period_start")), ("line_item_usage_start_date", d.to_str("usage_start"))]),
        lo_p = d.period_start_ms("billing_period"),
        hi_p = d.period_end_ms("billing_period"),
        lo_s = d.month_floor_ms("period_start"),
        hi_s = d.month_next_ms("period_start"),
    ))
}

/// A total compared with the truth: one offence when it differs by more than half a cent.
fn total_vs_truth(d: Dialect, actual: &str, expected: f64) -> Violations {
    let e = to_nanos(expected);
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM (SELECT coalesce(sum(nanos), 0) AS actual_nanos FROM base WHERE {actual}) t\nWHERE abs(actual_nanos - {e}) > {TOLERANCE_NANOS}",
        s = sample(d, &[("expected_nanos", d.lit(&e.to_string())), ("actual_nanos", d.to_str("actual_nanos"))]),
    ))
}

/// RC001: the Bedrock inference total differs from the truth's `bedrock_cost_total`.
pub fn rc001(cx: &SqlCx<'_>) -> Violations {
    let expected = cx.ctx.truth.as_ref().map_or(0.0, |t| t.bedrock_cost_total);
    total_vs_truth(cx.d, "inference", expected)
}

/// RC002: a principal in the truth and the export whose total differs; one per principal.
pub fn rc002(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM truth_principals t\nJOIN principals p ON p.principal = t.arn\nWHERE t.nanos IS NOT NULL AND abs(p.nanos - t.nanos) > {TOLERANCE_NANOS}",
            s = sample(d, &[("principal", "t.arn".into()), ("expected_nanos", d.to_str("t.nanos")), ("actual_nanos", d.to_str("p.nanos"))]),
        ),
        uses: &[Cte::Spend, Cte::Principals, Cte::TruthPrincipals],
    }
}

/// RC003: a (truth key, value) whose Bedrock total differs; one per value of the truth or the
/// export.
pub fn rc003(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let mut expected = Vec::new();
    let mut actual = Vec::new();
    for (key, values) in cx.ctx.truth.iter().flat_map(|t| t.by_tag.iter()) {
        let full = full_tag_key(key);
        for (v, cost) in values {
            expected.push(vec![d.lit(&full), d.lit(v), to_nanos(*cost).to_string()]);
        }
        // The native aggregates only see iamPrincipal/ keys.
        if full.starts_with(IAM_PRINCIPAL_PREFIX) {
            let k = d.lit(&full);
            actual.push(format!(
                "  SELECT {k} AS tag_key, coalesce({get}, '') AS tag_value, nanos FROM base WHERE inference AND {has}",
                get = d.map_get("tags", &k),
                has = d.map_has("tags", &k),
            ));
        }
    }
    actual.dedup();
    let truth = values_table(
        d,
        "e",
        &[
            ("tag_key", "VARCHAR"),
            ("tag_value", "VARCHAR"),
            ("nanos", "BIGINT"),
        ],
        &expected,
    );
    let export = if actual.is_empty() {
        format!("(SELECT CAST(NULL AS {v}) AS tag_key, CAST(NULL AS {v}) AS tag_value, CAST(0 AS BIGINT) AS nanos FROM (VALUES (0)) AS empty(x) WHERE 1 = 0) a", v = d.varchar())
    } else {
        format!(
            "(\n  SELECT tag_key, tag_value, sum(nanos) AS nanos FROM (\n{}\n  ) x GROUP BY tag_key, tag_value\n) a",
            actual.join("\n  UNION ALL\n")
        )
    };
    rows(format!(
        "SELECT 1 AS n, {s} AS sample\nFROM {truth}\nFULL OUTER JOIN {export}\n  ON a.tag_key = e.tag_key AND a.tag_value = e.tag_value\nWHERE abs(coalesce(a.nanos, 0) - coalesce(e.nanos, 0)) > {TOLERANCE_NANOS}",
        s = sample(d, &[("tag", "coalesce(e.tag_key, a.tag_key)".into()), ("value", "coalesce(e.tag_value, a.tag_value)".into()), ("expected_nanos", d.to_str("coalesce(e.nanos, 0)")), ("actual_nanos", d.to_str("coalesce(a.nanos, 0)"))]),
    ))
}

/// RC004: Bedrock spend without a principal differs from the truth's `unattributed_bedrock_cost`.
pub fn rc004(cx: &SqlCx<'_>) -> Violations {
    let expected = cx
        .ctx
        .truth
        .as_ref()
        .map_or(0.0, |t| t.unattributed_bedrock_cost);
    total_vs_truth(cx.d, "inference AND principal IS NULL", expected)
}

/// RC005: a truth principal with over half a cent of spend that no Bedrock row carries.
pub fn rc005(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM truth_principals t\nLEFT JOIN principals p ON p.principal = t.arn\nWHERE t.nanos > {TOLERANCE_NANOS} AND p.principal IS NULL",
            s = sample(d, &[("principal", "t.arn".into()), ("expected_nanos", d.to_str("t.nanos"))]),
        ),
        uses: &[Cte::Spend, Cte::Principals, Cte::TruthPrincipals],
    }
}

/// RC006: a principal on Bedrock rows that the truth does not know.
pub fn rc006(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM principals p\nLEFT JOIN truth_principals t ON t.arn = p.principal\nWHERE t.arn IS NULL",
            s = sample(d, &[("principal", "p.principal".into()), ("actual_nanos", d.to_str("p.nanos"))]),
        ),
        uses: &[Cte::Spend, Cte::Principals, Cte::TruthPrincipals],
    }
}

/// The truth's principals: every ARN of `by_principal` (with its expected nanos) or
/// `principals` (without).
pub(super) fn truth_principals_values(cx: &SqlCx<'_>) -> String {
    let d = cx.d;
    let mut all: BTreeMap<&str, Option<i128>> = BTreeMap::new();
    if let Some(t) = &cx.ctx.truth {
        for p in &t.principals {
            all.insert(p.arn.as_str(), None);
        }
        for (p, cost) in &t.by_principal {
            all.insert(p.as_str(), Some(to_nanos(*cost)));
        }
    }
    let rows: Vec<Vec<String>> = all
        .into_iter()
        .map(|(arn, n)| {
            vec![
                d.lit(arn),
                n.map_or_else(|| "CAST(NULL AS BIGINT)".to_string(), |n| n.to_string()),
            ]
        })
        .collect();
    let t = values_table(d, "t", &[("arn", "VARCHAR"), ("nanos", "BIGINT")], &rows);
    format!("SELECT arn, nanos FROM {t}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use curlab_vocab::arn::check_session_name;
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
                "PR002 on {arn:?}: {parsed:?}"
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
                "PR006 on {arn:?}"
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
