//! Findings: a per-rule tally (count, affected cost, a bounded set of samples) while scanning,
//! and the final [`Report`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::meta::{RuleMeta, Severity};
use curlab_vocab::Money;

/// One offending row (or file, or total) kept as an example.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Sample {
    /// Data file, relative to the PATH given; `None` for export-wide findings.
    pub file: Option<String>,
    /// 1-based data row number in the file (the header line of a CSV is not counted);
    /// `None` for file-level findings.
    pub row: Option<u64>,
    /// `identity_line_item_id` of the row, when there is one.
    pub identity_line_item_id: Option<String>,
    /// The offending values, by column (or by a descriptive key such as `problem`).
    pub values: BTreeMap<String, String>,
}

/// Where a sample sorts: file index in discovery order, then row.
type SampleKey = (usize, u64);

/// What one rule has found so far. Merging two tallies is commutative, so the result does not
/// depend on how files and row groups were spread over threads.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Total number of offences.
    pub count: u64,
    /// Affected cost in nano-dollars.
    pub cost: Money,
    /// Whether cost is meaningful for this rule's offences.
    pub has_cost: bool,
    /// The smallest samples by (file index, row, values).
    samples: Vec<(SampleKey, Sample)>,
    /// Maximum number of samples kept.
    pub max_samples: usize,
    /// A message replacing the rule's summary (set by rules that know more at the end).
    pub message: Option<String>,
    /// Offences held back per UTC day (µs of midnight) until the rule knows, at the end of the
    /// scan, from which day they count (see PR001).
    deferred: BTreeMap<i64, Tally>,
}

impl Tally {
    /// An empty tally keeping at most `max_samples` samples.
    pub fn new(max_samples: usize) -> Self {
        Tally {
            max_samples,
            ..Default::default()
        }
    }

    /// Record one offence. `file_index` orders samples; `cost` is the affected cost, if any.
    pub fn hit(&mut self, file_index: usize, cost: Option<f64>, sample: Sample) {
        self.count += 1;
        if let Some(c) = cost {
            self.has_cost = true;
            self.cost += Money::from_usd(c);
        }
        self.keep((file_index, sample.row.unwrap_or(0)), sample);
    }

    /// Record `n` offences with one sample (for file-level or export-wide findings).
    pub fn hit_n(&mut self, n: u64, order: usize, cost: Option<f64>, sample: Sample) {
        self.count += n;
        if let Some(c) = cost {
            self.has_cost = true;
            self.cost += Money::from_usd(c);
        }
        self.keep((order, sample.row.unwrap_or(0)), sample);
    }

    fn keep(&mut self, key: SampleKey, sample: Sample) {
        if self.max_samples == 0 {
            return;
        }
        let entry = (key, sample);
        if self.samples.len() == self.max_samples {
            match self.samples.last() {
                Some(last) if entry < *last => {
                    self.samples.pop();
                }
                _ => return,
            }
        }
        let at = self.samples.partition_point(|s| *s < entry);
        self.samples.insert(at, entry);
    }

    /// Fold another tally of the same rule into this one.
    pub fn merge(&mut self, other: Tally) {
        self.count += other.count;
        self.cost += other.cost;
        self.has_cost |= other.has_cost;
        for (key, s) in other.samples {
            self.keep(key, s);
        }
        if self.message.is_none() {
            self.message = other.message;
        }
        for (day, t) in other.deferred {
            self.deferred
                .entry(day)
                .or_insert_with(|| Tally::new(self.max_samples))
                .merge(t);
        }
    }

    /// Hold an offence back under the UTC day of `start` (µs) until [`Tally::take_deferred`].
    pub fn defer(&mut self, start: i64, file_index: usize, cost: Option<f64>, sample: Sample) {
        const DAY: i64 = 86_400_000_000;
        let day = start - start.rem_euclid(DAY);
        let max = self.max_samples;
        self.deferred
            .entry(day)
            .or_insert_with(|| Tally::new(max))
            .hit(file_index, cost, sample);
    }

    /// Count the deferred offences of days at or after `from` (µs; compared by day) and drop
    /// the others.
    pub fn take_deferred(&mut self, from: i64) {
        const DAY: i64 = 86_400_000_000;
        let from_day = from - from.rem_euclid(DAY);
        for (day, t) in std::mem::take(&mut self.deferred) {
            if day >= from_day {
                self.merge(t);
            }
        }
    }

    /// The kept samples, in order.
    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter().map(|(_, s)| s)
    }

    /// Turn the tally into a finding of `meta`'s rule (`None` when nothing was found).
    pub fn into_finding(self, meta: &RuleMeta) -> Option<Finding> {
        if self.count == 0 {
            return None;
        }
        Some(Finding {
            rule: meta.code.to_string(),
            name: meta.name.to_string(),
            family: meta.family.as_str().to_string(),
            severity: meta.severity,
            message: self
                .message
                .clone()
                .unwrap_or_else(|| meta.summary.to_string()),
            count: self.count,
            cost: self.has_cost.then(|| round_cents6(self.cost.to_usd())),
            samples: self.samples.into_iter().map(|(_, s)| s).collect(),
        })
    }
}

/// Format dollars for messages (`$12.34`, or more digits for small amounts).
pub(crate) fn usd(dollars: f64) -> String {
    if dollars.abs() >= 0.01 || dollars == 0.0 {
        format!("${dollars:.2}")
    } else {
        format!("${dollars:.6}")
    }
}

/// Round to 6 decimals so reports stay stable and readable.
fn round_cents6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Build a sample's `values` from pairs.
pub fn values<K: Into<String>, V: Into<String>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Rule code.
    pub rule: String,
    /// Rule name.
    pub name: String,
    /// Rule family.
    pub family: String,
    /// Severity.
    pub severity: Severity,
    /// What was found.
    pub message: String,
    /// How many offences (rows, files, columns or totals, as the message says).
    pub count: u64,
    /// Affected cost in USD, where meaningful.
    pub cost: Option<f64>,
    /// A bounded set of examples.
    pub samples: Vec<Sample>,
}

/// A rule that did not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Rule code.
    pub rule: String,
    /// Why it could not apply.
    pub reason: String,
}

/// The result of one verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Data files read, relative to the PATH given, in discovery order.
    pub files: Vec<String>,
    /// Data rows scanned.
    pub rows_scanned: u64,
    /// Rules that ran, in code order.
    pub rules_run: Vec<String>,
    /// Rules that could not apply, in code order.
    pub rules_skipped: Vec<Skipped>,
    /// Findings, in rule-code order.
    pub findings: Vec<Finding>,
    /// Remarks about the input (e.g. superseded execution folders that were not read).
    pub notes: Vec<String>,
}

impl Report {
    /// Sum of the counts of error findings.
    pub fn errors(&self) -> u64 {
        self.count_of(Severity::Error)
    }

    /// Sum of the counts of warning findings.
    pub fn warnings(&self) -> u64 {
        self.count_of(Severity::Warning)
    }

    fn count_of(&self, sev: Severity) -> u64 {
        self.findings
            .iter()
            .filter(|f| f.severity == sev)
            .map(|f| f.count)
            .sum()
    }

    /// The finding of a rule, if it fired.
    pub fn finding(&self, code: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.rule == code)
    }

    /// Exit code for the CLI: 0 clean, 1 errors (or warnings under `strict`).
    pub fn exit_code(&self, strict: bool) -> u8 {
        if self.errors() > 0 || (strict && self.warnings() > 0) {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(row: u64) -> Sample {
        Sample {
            file: Some("f".into()),
            row: Some(row),
            identity_line_item_id: None,
            values: BTreeMap::new(),
        }
    }

    #[test]
    fn keeps_smallest_samples_whatever_the_order() {
        let mut a = Tally::new(2);
        let mut b = Tally::new(2);
        for r in [9, 3, 7] {
            a.hit(0, None, s(r));
        }
        for r in [1, 8] {
            b.hit(0, None, s(r));
        }
        let mut ab = a.clone();
        ab.merge(b.clone());
        b.merge(a);
        let rows = |t: &Tally| t.samples().map(|s| s.row.unwrap()).collect::<Vec<_>>();
        assert_eq!(rows(&ab), vec![1, 3]);
        assert_eq!(rows(&b), vec![1, 3]);
        assert_eq!(ab.count, 5);
    }
}
