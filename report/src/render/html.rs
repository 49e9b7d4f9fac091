//! One self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched.

use std::fmt::Write;

use crate::escape::html;
use crate::fmt::{fmt_share, fmt_tokens};
use crate::render::svg;
use crate::summary::Summary;
use curlab_vocab::Money;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#111827;background:#fff}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\
.sub{color:#4b5563;font-size:13px;margin-bottom:16px}\
.cards{display:flex;gap:16px;flex-wrap:wrap}.card{border:1px solid #e5e7eb;border-radius:8px;padding:10px 16px;min-width:170px}\
.card b{display:block;font-size:22px}.card span{color:#4b5563;font-size:12px}\
table{border-collapse:collapse;font-size:13px;margin-top:4px}th,td{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}\
th{background:#f9fafb}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.k{word-break:break-all;max-width:640px}\
tr.total td{font-weight:bold;border-top:2px solid #111827}\
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:12px;margin:4px 0 0}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}\
.bar{background:#e5e7eb;width:160px;height:10px;display:inline-block}.bar i{display:block;height:10px;background:#10b981}";

/// Rows of the group table beyond which the page shows a count instead.
const GROUPS_SHOWN: usize = 50;
/// Untagged principals listed per key.
const UNTAGGED_SHOWN: usize = 15;

/// Render the page.
pub fn render(s: &Summary) -> String {
    let mut o = String::new();
    let title = html(&s.title());
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n<div class=\"sub\">{}</div>\n",
        html(&source_line(s))
    );
    let _ = writeln!(
        o,
        "<div class=\"cards\"><div class=\"card\"><span>Total Bedrock spend</span><b id=\"total\">${}</b></div>\
<div class=\"card\"><span>Attributed to a principal</span><b>{}</b></div>\
<div class=\"card\"><span>Rows</span><b>{}</b></div><div class=\"card\"><span>Tokens</span><b>{}</b></div></div>",
        s.total.fmt_cents(),
        fmt_share(s.attributed, s.total),
        fmt_tokens(s.rows as i128 * 1_000_000),
        fmt_tokens(s.tokens)
    );

    let _ = write!(
        o,
        "<h2>Spend over time ({})</h2>\n{}\n",
        s.granularity,
        svg::timeline(s)
    );
    o.push_str("<div class=\"legend\">");
    for (name, colour) in svg::legend(s) {
        let _ = write!(
            o,
            "<span><i style=\"background:{colour}\"></i>{}</span>",
            html(&name)
        );
    }
    o.push_str("</div>\n");
    let _ = write!(o, "<h2>Top groups</h2>\n{}\n", svg::ranked(s));

    o.push_str("<h2>Spend by group</h2>\n<table><tr>");
    if s.group_by.is_empty() {
        o.push_str("<th>Group</th>");
    }
    for d in &s.group_by {
        let _ = write!(o, "<th>{}</th>", html(d));
    }
    o.push_str("<th class=\"n\">Cost (USD)</th><th class=\"n\">Share</th><th class=\"n\">Tokens</th></tr>\n");
    for g in s.groups.iter().take(GROUPS_SHOWN) {
        o.push_str("<tr>");
        for k in &g.key {
            let _ = write!(o, "<td class=\"k\">{}</td>", html(k));
        }
        let _ = writeln!(
            o,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            g.cost.fmt_cents(),
            fmt_share(g.cost, s.total),
            fmt_tokens(g.tokens)
        );
    }
    if s.groups.len() > GROUPS_SHOWN {
        let rest = &s.groups[GROUPS_SHOWN..];
        let _ = writeln!(
            o,
            "<tr><td colspan=\"{}\">{} more groups</td><td class=\"n\">{}</td><td></td><td></td></tr>",
            s.group_by.len().max(1),
            rest.len(),
            rest.iter().map(|g| g.cost).sum::<Money>().fmt_cents()
        );
    }
    let _ = writeln!(
        o,
        "<tr class=\"total\"><td colspan=\"{}\">Total</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></table>",
        s.group_by.len().max(1),
        s.total.fmt_cents(),
        fmt_share(s.total, s.total),
        fmt_tokens(s.tokens)
    );

    o.push_str("<h2>Tag coverage</h2>\n");
    if s.coverage.is_empty() {
        o.push_str(if s.rows == 0 {
            "<p>No Bedrock inference row in the data, so no tag coverage to show.</p>\n"
        } else {
            "<p>No <code>iamPrincipal/</code> or <code>resourceTags/</code> key appears on any Bedrock row (a key appears once its cost allocation tag is activated).</p>\n"
        });
    } else {
        o.push_str("<table><tr><th>Key</th><th class=\"n\">Tagged (USD)</th><th class=\"n\">Untagged (USD)</th><th class=\"n\">Coverage</th><th></th></tr>\n");
        for c in &s.coverage {
            let _ = writeln!(
                o,
                "<tr><td class=\"k\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><span class=\"bar\"><i style=\"width:{:.1}%\"></i></span></td></tr>",
                html(&c.key),
                c.tagged.fmt_cents(),
                c.untagged.fmt_cents(),
                fmt_share(c.tagged, s.total),
                c.coverage * 100.0
            );
        }
        o.push_str("</table>\n<h2>Untagged spend by principal</h2>\n");
        if s.coverage
            .iter()
            .all(|c| c.untagged_by_principal.is_empty())
        {
            o.push_str("<p>None: every Bedrock row carries every key above.</p>\n");
        }
        for c in s
            .coverage
            .iter()
            .filter(|c| !c.untagged_by_principal.is_empty())
        {
            let _ = write!(
                o,
                "<h3 style=\"font-size:14px;margin:14px 0 2px\">{}</h3><table><tr><th>Principal</th><th class=\"n\">Cost (USD)</th></tr>",
                html(&c.key)
            );
            for a in c.untagged_by_principal.iter().take(UNTAGGED_SHOWN) {
                let _ = write!(
                    o,
                    "<tr><td class=\"k\">{}</td><td class=\"n\">{}</td></tr>",
                    html(&a.name),
                    a.cost.fmt_cents()
                );
            }
            if c.untagged_by_principal.len() > UNTAGGED_SHOWN {
                let rest = &c.untagged_by_principal[UNTAGGED_SHOWN..];
                let _ = write!(
                    o,
                    "<tr><td>{} more principals</td><td class=\"n\">{}</td></tr>",
                    rest.len(),
                    rest.iter().map(|a| a.cost).sum::<Money>().fmt_cents()
                );
            }
            o.push_str("</table>\n");
        }
    }
    o.push_str("</body></html>\n");
    o
}

fn source_line(s: &Summary) -> String {
    let src = match s.sources.as_slice() {
        [one] => one.clone(),
        many => format!("{} data files", many.len()),
    };
    format!(
        "{src} · {} Bedrock inference rows · generated by curlab {}",
        fmt_tokens(s.rows as i128 * 1_000_000),
        env!("CARGO_PKG_VERSION")
    )
}
