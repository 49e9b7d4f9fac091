//! `TIME_GRANULARITY` of a Data Exports export: the one granularity type of the workspace.
//!
//! The generator reads it from a scenario's `[export]`, writes it to the truth file, and the
//! verifier reads it back from there (`Option<Granularity>` when unknown). The report's time
//! buckets are a different concept (`TimeBucket`).

use serde::{Deserialize, Serialize};

/// `TIME_GRANULARITY`, spelled in files as AWS spells it: `HOURLY`, `DAILY`, `MONTHLY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Granularity {
    /// One row per hour.
    Hourly,
    /// One row per day.
    Daily,
    /// One row per month.
    Monthly,
}

impl Granularity {
    /// The configuration value (`HOURLY`, `DAILY`, `MONTHLY`).
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Hourly => "HOURLY",
            Granularity::Daily => "DAILY",
            Granularity::Monthly => "MONTHLY",
        }
    }

    /// Parses a configuration value, ignoring ASCII case; `None` for anything else.
    pub fn parse(s: &str) -> Option<Granularity> {
        match s.to_ascii_uppercase().as_str() {
            "HOURLY" => Some(Granularity::Hourly),
            "DAILY" => Some(Granularity::Daily),
            "MONTHLY" => Some(Granularity::Monthly),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Granularity;

    #[test]
    fn round_trips_and_ignores_case() {
        for g in [
            Granularity::Hourly,
            Granularity::Daily,
            Granularity::Monthly,
        ] {
            assert_eq!(Granularity::parse(g.as_str()), Some(g));
            assert_eq!(Granularity::parse(&g.as_str().to_lowercase()), Some(g));
            let json = serde_json::to_string(&g).unwrap();
            assert_eq!(json, format!("\"{}\"", g.as_str()));
            assert_eq!(serde_json::from_str::<Granularity>(&json).unwrap(), g);
        }
        assert_eq!(Granularity::parse("WEEKLY"), None);
        assert!(serde_json::from_str::<Granularity>("\"hourly\"").is_err());
    }
}
