//! The chargeback view: every row of an export, Bedrock or not, split into the principals that
//! carry spend and the lines that cannot be attributed to one (principal-free Bedrock charges,
//! other services, separate discount rows, credits, refunds, tax), gross and net. The
//! principals and the lines add up to the invoice total (Σ `line_item_unblended_cost` of every
//! row), and so do their net amounts to Σ net (`line_item_net_unblended_cost`, or the unblended
//! cost where it is null).
//!
//! This is the principal view. A resource view (spend per application inference profile)
//! covers the same rows a second time: the two are never added together.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::json;

use crate::escape;
use crate::money::{fmt_cents, fmt_exact, to_usd, Units};

/// The unattributable lines, in display order, by the name the truth file uses for them.
pub const LINES: [&str; 8] = [
    "bedrock-without-principal",
    "commitment-fees",
    "bedrock-other-charges",
    "non-bedrock",
    "discount-rows",
    "credits",
    "refunds",
    "tax",
];

/// What the chargeback needs of one row.
#[derive(Debug, Clone, Copy)]
pub struct ChargeRow<'a> {
    /// `line_item_iam_principal` (None for null or blank).
    pub principal: Option<&'a str>,
    /// `line_item_line_item_type`.
    pub line_item_type: &'a str,
    /// Whether the row is Amazon Bedrock's (vocab `is_bedrock`).
    pub bedrock: bool,
    /// `line_item_usage_type`.
    pub usage_type: &'a str,
    /// `line_item_product_code`.
    pub product_code: &'a str,
    /// `line_item_unblended_cost`.
    pub gross: Units,
    /// `line_item_net_unblended_cost`, or the unblended cost where it is null.
    pub net: Units,
}

/// The unattributable line a principal-free row belongs to. Commitments are Provisioned
/// Throughput and Reserved-tier usage types; the other Bedrock charges are guardrails, rerank,
/// prompt-cache storage and AgentCore (product `AmazonBedrockAgentCore`).
pub fn line_of(r: &ChargeRow<'_>) -> &'static str {
    let ut = r.usage_type;
    match r.line_item_type {
        "Tax" => "tax",
        "Credit" => "credits",
        "Refund" => "refunds",
        t if t.ends_with("Discount") => "discount-rows",
        _ if ut.contains("ProvisionedThroughput") || ut.contains("_Reserved_") => "commitment-fees",
        _ if r.product_code == "AmazonBedrockAgentCore"
            || ut.contains("Guardrail")
            || ut.contains("Rerank")
            || ut.contains("CacheStorage") =>
        {
            "bedrock-other-charges"
        }
        _ if r.bedrock => "bedrock-without-principal",
        _ => "non-bedrock",
    }
}

/// Gross and net of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrossNet {
    /// Σ unblended.
    pub gross: Units,
    /// Σ net.
    pub net: Units,
}

impl GrossNet {
    fn add(&mut self, o: GrossNet) {
        self.gross += o.gross;
        self.net += o.net;
    }
}

/// A chargeback being summed (merge the workers' partial sums with [`Chargeback::merge`]).
#[derive(Debug, Clone, Default)]
pub struct Chargeback {
    /// Per principal.
    pub principals: BTreeMap<String, GrossNet>,
    /// Per unattributable line (only lines with rows).
    pub lines: BTreeMap<&'static str, GrossNet>,
    /// Rows seen.
    pub rows: u64,
}

impl Chargeback {
    /// Add one row.
    pub fn observe(&mut self, r: &ChargeRow<'_>) {
        let v = GrossNet {
            gross: r.gross,
            net: r.net,
        };
        self.rows += 1;
        match r.principal {
            Some(p) => self.principals.entry(p.to_string()).or_default().add(v),
            None => self.lines.entry(line_of(r)).or_default().add(v),
        }
    }

    /// Add another partial chargeback.
    pub fn merge(&mut self, o: Chargeback) {
        for (p, v) in o.principals {
            self.principals.entry(p).or_default().add(v);
        }
        for (l, v) in o.lines {
            self.lines.entry(l).or_default().add(v);
        }
        self.rows += o.rows;
    }

    /// Σ over the principals.
    pub fn attributed(&self) -> GrossNet {
        let mut t = GrossNet::default();
        self.principals.values().for_each(|v| t.add(*v));
        t
    }

    /// Σ over principals and lines: gross is the invoice total.
    pub fn total(&self) -> GrossNet {
        let mut t = self.attributed();
        self.lines.values().for_each(|v| t.add(*v));
        t
    }

    /// Principals by gross spend, largest first (ties by ARN).
    fn ranked(&self) -> Vec<(&String, &GrossNet)> {
        let mut v: Vec<_> = self.principals.iter().collect();
        v.sort_by(|a, b| b.1.gross.cmp(&a.1.gross).then(a.0.cmp(b.0)));
        v
    }

    fn lines_in_order(&self) -> impl Iterator<Item = (&'static str, GrossNet)> + '_ {
        LINES
            .iter()
            .filter_map(|l| self.lines.get(l).map(|v| (*l, *v)))
    }

    /// An aligned text table: principals, then the unattributable lines, then the total.
    pub fn table(&self) -> String {
        let mut rows: Vec<(String, String, String)> = Vec::new();
        for (p, v) in self.ranked() {
            rows.push((escape::terminal(p), fmt_cents(v.gross), fmt_cents(v.net)));
        }
        let a = self.attributed();
        rows.push((
            "= attributed to principals".into(),
            fmt_cents(a.gross),
            fmt_cents(a.net),
        ));
        for (l, v) in self.lines_in_order() {
            rows.push((
                format!("(unattributable: {l})"),
                fmt_cents(v.gross),
                fmt_cents(v.net),
            ));
        }
        let t = self.total();
        rows.push((
            "= invoice total".into(),
            fmt_cents(t.gross),
            fmt_cents(t.net),
        ));
        let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
        let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(5);
        let w2 = rows.iter().map(|r| r.2.len()).max().unwrap_or(0).max(3);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<w0$}  {:>w1$}  {:>w2$}",
            "principal", "gross", "net"
        );
        for (a, b, c) in rows {
            let _ = writeln!(out, "{a:<w0$}  {b:>w1$}  {c:>w2$}");
        }
        out.push_str(NOTE);
        out.push('\n');
        out
    }

    /// CSV: `group,kind,gross,net` (exact ten-decimal amounts; formula cells neutralised).
    pub fn csv(&self) -> String {
        let mut out = String::from("group,kind,gross,net\n");
        let mut line = |g: &str, k: &str, v: GrossNet| {
            let _ = writeln!(
                out,
                "{},{k},{},{}",
                escape::csv_cell(g),
                fmt_exact(v.gross),
                fmt_exact(v.net)
            );
        };
        for (p, v) in self.ranked() {
            line(p, "principal", *v);
        }
        for (l, v) in self.lines_in_order() {
            line(l, "unattributable", v);
        }
        line("invoice-total", "total", self.total());
        out
    }

    /// The JSON document described in docs/report.md.
    pub fn json(&self) -> String {
        let gn = |v: GrossNet| json!({ "gross": to_usd(v.gross), "net": to_usd(v.net) });
        let principals: Vec<_> = self
            .ranked()
            .into_iter()
            .map(|(p, v)| json!({ "principal": p, "gross": to_usd(v.gross), "net": to_usd(v.net) }))
            .collect();
        let lines: serde_json::Map<String, serde_json::Value> = self
            .lines_in_order()
            .map(|(l, v)| (l.to_string(), gn(v)))
            .collect();
        let doc = json!({
            "view": "principal",
            "rows": self.rows,
            "principals": principals,
            "attributed": gn(self.attributed()),
            "unattributable": lines,
            "invoice_total": gn(self.total()),
            "note": NOTE,
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
    }
}

/// What the chargeback says about the resource view.
const NOTE: &str = "Principal view: every row counted once, by line_item_iam_principal. \
Spend per application inference profile (the resource view) is inside these rows; never add it to this total.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::PER_USD;

    fn row(
        p: Option<&'static str>,
        ty: &'static str,
        bedrock: bool,
        gross: i128,
        net: i128,
    ) -> ChargeRow<'static> {
        ChargeRow {
            principal: p,
            line_item_type: ty,
            bedrock,
            usage_type: "",
            product_code: "",
            gross: gross * PER_USD,
            net: net * PER_USD,
        }
    }

    #[test]
    fn principals_and_lines_add_up_to_the_invoice() {
        let mut c = Chargeback::default();
        let alice = Some("arn:aws:iam::111122223333:user/alice");
        for r in [
            row(alice, "Usage", true, 100, 90),
            row(None, "EdpDiscount", true, -10, 0),
            row(None, "Usage", true, 5, 5),
            row(None, "Usage", false, 50, 50),
            row(None, "Credit", false, -20, -20),
            row(None, "Refund", true, -3, -3),
            row(None, "Tax", false, 8, 8),
        ] {
            c.observe(&r);
        }
        assert_eq!(c.attributed().gross, 100 * PER_USD);
        assert_eq!(c.total().gross, 130 * PER_USD);
        assert_eq!(c.total().net, 130 * PER_USD);
        assert_eq!(c.lines.len(), 6);
        assert_eq!(c.lines["discount-rows"].gross, -10 * PER_USD);
        let t = c.table();
        assert!(t.contains("(unattributable: credits)") && t.contains("= invoice total"));
        assert!(t.contains("130.00"), "{t}");
        let mut split = Chargeback::default();
        split.observe(&row(alice, "Usage", true, 1, 1));
        let mut other = Chargeback::default();
        other.observe(&row(alice, "Usage", true, 2, 2));
        split.merge(other);
        assert_eq!(
            split.principals.values().next().map(|v| v.gross),
            Some(3 * PER_USD)
        );
    }
}
