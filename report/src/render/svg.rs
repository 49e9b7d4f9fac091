//! Inline SVG charts for the HTML page: drawn as plain shapes, no script, no fonts to fetch.

use std::collections::HashMap;
use std::fmt::Write;

use crate::escape::html;

use crate::summary::Summary;

/// Colours of the charted groups; the last one is for "other".
pub const PALETTE: [&str; 9] = [
    "#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16",
    "#9ca3af",
];

/// Groups drawn in their own colour; the rest are stacked as "other".
pub const TOP: usize = 8;

/// Label of the groups beyond [`TOP`].
pub const OTHER: &str = "other";

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

/// A "nice" axis maximum at or above `v` (a round multiple of a power of ten that splits
/// into four readable gridlines).
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 1.2, 1.6, 2.0, 2.4, 3.0, 4.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|m| *m >= v)
        .unwrap_or(10.0 * p)
}

/// The labels of the charted groups, largest first, and the colour of each.
pub fn legend(s: &Summary) -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = s
        .groups
        .iter()
        .take(TOP)
        .enumerate()
        .map(|(i, g)| (g.label(), PALETTE[i]))
        .collect();
    if s.groups.len() > TOP {
        v.push((OTHER.into(), PALETTE[TOP]));
    }
    v
}

/// Stacked columns of spend per time bucket, one colour per top group.
pub fn timeline(s: &Summary) -> String {
    let (w, h, left, bottom, top) = (1120.0, 320.0, 70.0, 40.0, 10.0);
    let legend = legend(s);
    // Stack in legend order (largest group at the bottom) so colours keep their place.
    let order: HashMap<&str, usize> = legend
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| name != OTHER)
        .map(|(i, (name, _))| (name.as_str(), i))
        .collect();
    let max = nice_max(
        s.timeline
            .iter()
            .map(|b| b.cost.to_usd())
            .fold(0.0, f64::max),
    );
    let plot_h = h - bottom - top;
    let n = s.timeline.len().max(1) as f64;
    // Room on the right for the last date label.
    let slot = (w - left - 40.0) / n;
    let bar = (slot * 0.8).max(1.0);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="Spend over time">"#
    );
    for i in 0..=4 {
        let v = max * i as f64 / 4.0;
        let y = top + plot_h - plot_h * i as f64 / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e7eb"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#4b5563">${v:.2}</text>"##,
            w - 10.0,
            left - 6.0,
            y + 4.0
        );
    }
    // A date label is about 70 px wide at this size; skip buckets so labels never overlap.
    let label_every = (80.0 / slot).ceil().max(1.0) as usize;
    for (i, b) in s.timeline.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = top + plot_h;
        let mut other = 0.0;
        let mut stack: Vec<(usize, f64, &str, &str)> = Vec::new();
        for a in &b.groups {
            match order.get(a.name.as_str()) {
                Some(&i) => stack.push((i, a.cost.to_usd(), legend[i].1, &a.name)),
                None => other += a.cost.to_usd(),
            }
        }
        stack.sort_by_key(|(i, ..)| *i);
        if other > 0.0 {
            stack.push((TOP, other, PALETTE[TOP], OTHER));
        }
        for (_, v, colour, name) in stack {
            let bh = plot_h * v / max;
            y -= bh;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.2}" width="{bar:.1}" height="{bh:.2}" fill="{colour}"><title>{}: {} ${v:.2}</title></rect>"#,
                html(&b.period),
                html(name)
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#4b5563">{}</text>"##,
                x + bar / 2.0,
                h - bottom + 16.0,
                html(&b.period)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars of the largest groups, ranked.
pub fn ranked(s: &Summary) -> String {
    let shown: Vec<_> = s.groups.iter().take(12).collect();
    let (w, row, label_w) = (1120.0, 26.0, 430.0);
    let h = row * shown.len().max(1) as f64 + 10.0;
    let max = shown.first().map_or(0.0, |g| g.cost.to_usd()).max(1e-12);
    let bar_w = w - label_w - 120.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="Top groups">"#
    );
    for (i, g) in shown.iter().enumerate() {
        let y = 5.0 + row * i as f64;
        let len = (bar_w * g.cost.to_usd() / max).max(1.0);
        let label = g.label();
        let colour = PALETTE[i.min(TOP)];
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#111827"><title>{}</title>{}</text><rect x="{label_w}" y="{:.1}" width="{len:.1}" height="{:.1}" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#111827">${}</text>"##,
            label_w - 8.0,
            y + 16.0,
            html(&label),
            html(&short(&label, 58)),
            y + 3.0,
            row - 8.0,
            label_w + len + 6.0,
            y + 16.0,
            g.cost.fmt_cents()
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axis() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.2), 4.0);
        assert_eq!(nice_max(51.0), 60.0);
        assert_eq!(nice_max(100.0), 100.0);
    }
}
