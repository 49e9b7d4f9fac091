//! `curlab diff`: two exports of the same workload under different attribution strategies.
//! Both sides are summarised with the same grouping; the diff is attribution coverage per
//! side, tag coverage per key, spend that moved between groups, and principals that appeared
//! or vanished.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::escape::csv_cell;
use crate::render::table::columns;
use crate::summary::{usd, Amount, Summary};
use curlab_vocab::Money;

/// Schema identifier of the JSON output.
pub const SCHEMA: &str = "curlab-diff/1";

/// Groups and principals listed in the table before the rest are summed.
const SHOWN: usize = 15;

/// One side of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// What was read.
    pub sources: Vec<String>,
    /// Bedrock inference spend, USD.
    #[serde(rename = "total_usd", serialize_with = "usd")]
    pub total: Money,
    /// Spend carrying a principal, USD.
    #[serde(rename = "attributed_usd", serialize_with = "usd")]
    pub attributed: Money,
    /// `attributed / total`, 0..1.
    pub attribution: f64,
    /// Distinct principals.
    pub principals: usize,
    /// Bedrock inference rows.
    pub rows: u64,
    /// Distinct principals per access pattern, read from the ARN shapes
    /// (`curlab_vocab::pattern`), so exports whose names differ compare by shape.
    pub patterns: BTreeMap<String, usize>,
}

/// Coverage of one tag key on both sides (0..1; 0 when the key is absent on a side).
#[derive(Debug, Clone, Serialize)]
pub struct KeyChange {
    /// Full `tags` key.
    pub key: String,
    /// Coverage in A.
    pub a: f64,
    /// Coverage in B.
    pub b: f64,
}

/// Spend of one group on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct GroupChange {
    /// Group label (values joined with ` / `).
    pub group: String,
    /// Spend in A, USD.
    #[serde(rename = "a_usd", serialize_with = "usd")]
    pub a: Money,
    /// Spend in B, USD.
    #[serde(rename = "b_usd", serialize_with = "usd")]
    pub b: Money,
    /// `b - a`, USD.
    #[serde(rename = "delta_usd", serialize_with = "usd")]
    pub delta: Money,
}

/// The comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Grouping dimensions.
    pub group_by: Vec<String>,
    /// Side A.
    pub a: Side,
    /// Side B.
    pub b: Side,
    /// Tag coverage per key, on both sides.
    pub coverage: Vec<KeyChange>,
    /// Spend that changed group: the sum of the increases, USD.
    #[serde(rename = "moved_usd", serialize_with = "usd")]
    pub moved: Money,
    /// Groups whose spend changed, largest change first.
    pub groups: Vec<GroupChange>,
    /// Principals only in B, largest first.
    pub appeared: Vec<Amount>,
    /// Principals only in A, largest first.
    pub vanished: Vec<Amount>,
}

fn side(s: &Summary) -> Side {
    let mut patterns: BTreeMap<String, usize> = BTreeMap::new();
    let names = s
        .principals
        .iter()
        .filter(|p| p.name != crate::dim::NO_PRINCIPAL)
        .map(|p| p.name.as_str());
    for p in curlab_vocab::pattern::classify(names).values() {
        *patterns.entry(p.as_str().to_string()).or_default() += 1;
    }
    Side {
        rows: s.rows,
        patterns,
        sources: s.sources.clone(),
        total: s.total,
        attributed: s.attributed,
        attribution: s.attributed.share_of(s.total),
        principals: s
            .principals
            .iter()
            .filter(|p| p.name != crate::dim::NO_PRINCIPAL)
            .count(),
    }
}

impl Diff {
    /// Compare two summaries made with the same grouping.
    pub fn new(a: &Summary, b: &Summary) -> Diff {
        let keys: BTreeSet<&str> = a
            .coverage
            .iter()
            .chain(&b.coverage)
            .map(|c| c.key.as_str())
            .collect();
        let cov = |s: &Summary, k: &str| {
            s.coverage
                .iter()
                .find(|c| c.key == k)
                .map_or(0.0, |c| c.coverage)
        };
        let coverage = keys
            .into_iter()
            .map(|k| KeyChange {
                key: k.to_string(),
                a: cov(a, k),
                b: cov(b, k),
            })
            .collect();

        let mut by_group: BTreeMap<String, (Money, Money)> = BTreeMap::new();
        for g in &a.groups {
            by_group.entry(g.label()).or_default().0 += g.cost;
        }
        for g in &b.groups {
            by_group.entry(g.label()).or_default().1 += g.cost;
        }
        let mut groups: Vec<GroupChange> = by_group
            .into_iter()
            .filter(|(_, (x, y))| x != y)
            .map(|(group, (x, y))| GroupChange {
                group,
                a: x,
                b: y,
                delta: y - x,
            })
            .collect();
        groups.sort_by(|x, y| {
            y.delta
                .abs()
                .cmp(&x.delta.abs())
                .then_with(|| x.group.cmp(&y.group))
        });
        let moved = groups.iter().map(|g| g.delta.max(Money::ZERO)).sum();

        let only = |x: &Summary, y: &Summary| -> Vec<Amount> {
            let other: BTreeSet<&str> = y.principals.iter().map(|p| p.name.as_str()).collect();
            x.principals
                .iter()
                .filter(|p| !other.contains(p.name.as_str()))
                .cloned()
                .collect()
        };
        Diff {
            schema: SCHEMA,
            group_by: a.group_by.clone(),
            a: side(a),
            b: side(b),
            coverage,
            moved,
            groups,
            appeared: only(b, a),
            vanished: only(a, b),
        }
    }

    /// The JSON document (schema `curlab-diff/1`, see `docs/report.md`).
    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Group changes as CSV (text cells neutralised).
    pub fn csv(&self) -> String {
        let mut w = ::csv::WriterBuilder::new().from_writer(Vec::new());
        let _ = w.write_record(["group", "a_usd", "b_usd", "delta_usd"]);
        for g in &self.groups {
            let _ = w.write_record([
                csv_cell(&g.group).into_owned(),
                g.a.fmt_exact(),
                g.b.fmt_exact(),
                g.delta.fmt_exact(),
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// The terminal table.
    pub fn table(&self) -> String {
        let pct = |x: f64| format!("{:.1}%", x * 100.0);
        let mut o = String::new();
        let by = if self.group_by.is_empty() {
            "total".to_string()
        } else {
            self.group_by.join(", ")
        };
        let _ = writeln!(o, "Bedrock spend, A vs B, by {by}\n");
        let mut rows = vec![vec![String::new(), "A".to_string(), "B".to_string()]];
        rows.push(vec![
            "total (USD)".into(),
            self.a.total.fmt_cents(),
            self.b.total.fmt_cents(),
        ]);
        rows.push(vec![
            "attributed to a principal".into(),
            pct(self.a.attribution),
            pct(self.b.attribution),
        ]);
        rows.push(vec![
            "Bedrock rows".into(),
            self.a.rows.to_string(),
            self.b.rows.to_string(),
        ]);
        rows.push(vec![
            "principals".into(),
            self.a.principals.to_string(),
            self.b.principals.to_string(),
        ]);
        let patterns: BTreeSet<&String> = self
            .a
            .patterns
            .keys()
            .chain(self.b.patterns.keys())
            .collect();
        for p in patterns {
            let n = |s: &Side| s.patterns.get(p).copied().unwrap_or(0).to_string();
            rows.push(vec![format!("  {p}"), n(&self.a), n(&self.b)]);
        }
        for c in &self.coverage {
            rows.push(vec![format!("coverage {}", c.key), pct(c.a), pct(c.b)]);
        }
        o.push_str(&columns(&rows, &[1, 2]));

        let _ = writeln!(
            o,
            "\nSpend that moved between groups: {} USD",
            self.moved.fmt_cents()
        );
        if !self.groups.is_empty() {
            let mut rows = vec![["GROUP", "A (USD)", "B (USD)", "CHANGE (USD)"]
                .map(String::from)
                .to_vec()];
            for g in self.groups.iter().take(SHOWN) {
                rows.push(vec![
                    g.group.clone(),
                    g.a.fmt_cents(),
                    g.b.fmt_cents(),
                    signed(g.delta),
                ]);
            }
            if self.groups.len() > SHOWN {
                rows.push(vec![format!("({} more groups)", self.groups.len() - SHOWN)]);
            }
            o.push_str(&columns(&rows, &[1, 2, 3]));
        }
        for (title, list) in [
            ("Principals that appeared (only in B)", &self.appeared),
            ("Principals that vanished (only in A)", &self.vanished),
        ] {
            let _ = writeln!(o, "\n{title}: {}", list.len());
            let mut rows = Vec::new();
            for p in list.iter().take(SHOWN) {
                rows.push(vec![format!("  {}", p.name), p.cost.fmt_cents()]);
            }
            if list.len() > SHOWN {
                let rest = &list[SHOWN..];
                rows.push(vec![
                    format!("  ({} more)", rest.len()),
                    rest.iter().map(|p| p.cost).sum::<Money>().fmt_cents(),
                ]);
            }
            o.push_str(&columns(&rows, &[1]));
        }
        // Group names and principals come from the data.
        crate::escape::terminal(&o)
    }
}

fn signed(u: Money) -> String {
    let s = u.fmt_cents();
    if u > Money::ZERO {
        format!("+{s}")
    } else {
        s
    }
}
