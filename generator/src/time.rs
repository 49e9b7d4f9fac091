//! Instants and months: the generator's one clock type ([`Ts`], seconds since the Unix epoch,
//! UTC) and how scenario text becomes one (`YYYY-MM`, `YYYY-MM-DD`, RFC 3339) and back.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Seconds since the Unix epoch, UTC.
pub type Ts = i64;

/// Days since epoch of a date.
pub fn day_of(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp() / 86_400)
        .unwrap_or(0)
}

/// Parse `YYYY-MM`.
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, 1)?;
    Some((y, m))
}

/// First instant of month `m` of year `y`.
pub(crate) fn month_start(y: i32, m: u32) -> Ts {
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
        .single()
        .map_or(0, |t| t.timestamp())
}

/// The month after month `m` of year `y`.
pub(crate) fn next_month(y: i32, m: u32) -> (i32, u32) {
    if m == 12 {
        (y + 1, 1)
    } else {
        (y, m + 1)
    }
}

/// Parse `YYYY-MM-DD` or an RFC 3339 instant.
pub fn parse_instant(s: &str) -> Option<Ts> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// Format a timestamp as RFC 3339 UTC with seconds.
pub fn rfc3339(ts: Ts) -> String {
    DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}
