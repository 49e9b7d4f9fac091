//! How big a scenario is, computed from the parsed file before anything is built, so that an
//! absurd scenario (10^12 requests, 10^7 principals) is refused before it takes memory or time.
//!
//! The numbers are estimates from the file alone: populations are counted with `--scale`
//! applied, and a workload's requests are `requests_per_day × requesters × days × 0.8` (the
//! average weekday weight), with selectors (`crate::selector`) counted the way `plan`
//! resolves them (a role is one requester whatever its sessions; an identity provider or
//! gateway is one per end user).

use crate::scenario::model::{ScenarioFile, SessionNaming, UsersSpec};
use crate::selector::{self, SelectorKind};
use crate::time::{next_month, parse_month};

/// Bytes per row of a Parquet export (measured on the shipped scenarios, snappy, 131 columns).
pub const PARQUET_BYTES_PER_ROW: f64 = 75.0;

/// Principals above which `curlab generate` asks for `--allow-large`.
pub const MAX_PRINCIPALS: f64 = 1e6;

/// Principals curlab refuses even with `--allow-large`: their ARNs and tags alone would not fit
/// in memory.
pub const HARD_MAX_PRINCIPALS: f64 = 2e7;

/// Estimated size of a scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    /// Generated principals (users, keys, role sessions, IdP and gateway users).
    pub principals: f64,
    /// Simulated requests.
    pub requests: f64,
    /// Days in the billing periods.
    pub days: f64,
}

impl Size {
    /// Rows of the export: bounded by the requesters' hourly buckets (4 usage types each) and
    /// by the requests themselves (about 3 rows' worth of token types per request at most).
    pub fn rows(&self) -> f64 {
        let requesters = self.principals.max(1.0);
        (requesters * self.days * 24.0 * 4.0).min(self.requests * 3.0)
    }

    /// Bytes of a Parquet export of [`Size::rows`] rows.
    pub fn bytes(&self) -> f64 {
        self.rows() * PARQUET_BYTES_PER_ROW
    }

    /// One line for messages: `about 2.23e8 requests from 1.0e3 principals, about 3.0e6 rows
    /// and 215 MiB of Parquet`.
    pub fn describe(&self) -> String {
        format!(
            "about {:.2e} requests from {:.1e} principals, about {:.1e} rows and {:.0} MiB of Parquet",
            self.requests,
            self.principals,
            self.rows(),
            self.bytes() / 1_048_576.0
        )
    }
}

/// A generated population of `n` (users, ECS tasks, EC2 instances, background resources)
/// under `--scale`: rounded, and at least 1 unless `n` is 0.
pub(crate) fn scaled(n: u64, scale: f64) -> u64 {
    scaled_f64(n as f64, scale) as u64
}

/// [`scaled`] without the integer cast, for estimates.
fn scaled_f64(n: f64, scale: f64) -> f64 {
    if n <= 0.0 {
        0.0
    } else {
        (n * scale).round().max(1.0)
    }
}

fn users(u: &UsersSpec, scale: f64) -> f64 {
    u.list.len() as f64 + scaled_f64(u.count as f64, scale)
}

/// Days covered by `billing_periods` (`YYYY-MM` strings; malformed ones count as 31 days, the
/// resolver reports them).
fn days(file: &ScenarioFile) -> f64 {
    file.export
        .billing_periods
        .iter()
        .map(|p| {
            parse_month(p)
                .and_then(|(y, m)| {
                    let (ny, nm) = next_month(y, m);
                    let a = chrono::NaiveDate::from_ymd_opt(y, m, 1)?;
                    let b = chrono::NaiveDate::from_ymd_opt(ny, nm, 1)?;
                    Some((b - a).num_days() as f64)
                })
                .unwrap_or(31.0)
        })
        .sum()
}

/// Estimate a parsed scenario's size with populations multiplied by `scale`.
pub fn estimate(file: &ScenarioFile, scale: f64) -> Size {
    let days = days(file);
    let mut principals = (file.iam_users.len() + file.api_keys.len()) as f64;
    let role_sessions = |s: &SessionNaming| -> f64 {
        match s {
            SessionNaming::Fixed { .. } => 1.0,
            SessionNaming::Lambda { functions } => functions.len() as f64,
            SessionNaming::Ecs { tasks } => scaled_f64(f64::from(*tasks), scale),
            SessionNaming::Ec2 { instances } => scaled_f64(f64::from(*instances), scale),
            SessionNaming::Batch { jobs_per_day, .. } => f64::from(*jobs_per_day) * days,
        }
    };
    principals += file
        .roles
        .iter()
        .filter_map(|r| r.sessions.as_ref())
        .map(role_sessions)
        .sum::<f64>();
    principals += file
        .identity_providers
        .iter()
        .map(|i| users(&i.users, scale))
        .sum::<f64>();
    principals += file
        .gateways
        .iter()
        .map(|g| users(&g.users, scale))
        .sum::<f64>();

    // Requesters a selector stands for. Any `<account>/` prefix counts as an account here
    // (the resolver checks it); a selector that does not parse counts as one (the resolver
    // reports it).
    let requesters = |sel: &str| -> f64 {
        let Ok(s) = selector::parse(sel, |a| !a.contains(':')) else {
            return 1.0;
        };
        if s.sub.is_some() {
            return 1.0;
        }
        let every = s.name == "*";
        match s.kind {
            SelectorKind::User if every => file.iam_users.len() as f64,
            SelectorKind::ApiKey if every => file.api_keys.len() as f64,
            SelectorKind::Role if every => {
                file.roles.iter().filter(|r| r.sessions.is_some()).count() as f64
            }
            SelectorKind::Idp => file
                .identity_providers
                .iter()
                .filter(|i| i.name == s.name)
                .map(|i| users(&i.users, scale))
                .sum(),
            SelectorKind::Gateway => file
                .gateways
                .iter()
                .filter(|g| g.name == s.name)
                .map(|g| users(&g.users, scale))
                .sum(),
            _ => 1.0,
        }
    };
    let requests = file
        .workloads
        .iter()
        .map(|w| {
            let who: f64 = w.principals.iter().map(|s| requesters(s)).sum();
            // NaN, infinite or negative rates count as 0 here; the resolver reports them.
            let rate = if w.requests_per_day.is_finite() {
                w.requests_per_day.max(0.0)
            } else {
                0.0
            };
            rate * who * days * 0.8
        })
        .sum::<f64>()
        + file.requests.len() as f64;
    Size {
        principals,
        requests,
        days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_populations_and_requests() {
        let src = r#"
[scenario]
name = "x"
[export]
billing_periods = ["2026-05"]
[organization]
payer = { id = "123456789012", name = "payer" }
[[roles]]
account = "payer"
name = "App"
sessions = { kind = "ecs", tasks = 10 }
[[identity_providers]]
name = "okta"
kind = "okta-saml"
account = "payer"
role = "App"
users = { count = 1000 }
[[workloads]]
principals = ["idp:okta", "role:App", "payer/role:App/abc"]
model = "nova-micro"
requests_per_day = 10
input_tokens = { mean = 100 }
output_tokens = { mean = 10 }
"#;
        let file = crate::scenario::parse(src, "x.toml").expect("parses");
        let s = estimate(&file, 2.0);
        assert_eq!(s.principals, 20.0 + 2000.0);
        assert_eq!(s.days, 31.0);
        // 2000 IdP users + 1 role + 1 session, 10 a day, 31 days, 0.8.
        assert!((s.requests - 2002.0 * 10.0 * 31.0 * 0.8).abs() < 1e-6);
        assert!(s.rows() <= s.requests * 3.0);
        assert!(
            s.describe()
                .contains("about 4.96e5 requests from 2.0e3 principals"),
            "{}",
            s.describe()
        );
    }
}
