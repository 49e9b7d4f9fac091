//! The terminal table: groups, total, time buckets, tag coverage and untagged spend.

use std::fmt::Write;

use crate::fmt::{fmt_share, fmt_tokens};
use crate::summary::Summary;
use curlab_vocab::Money;

/// Most untagged principals listed per key (the rest are summed on one line).
const UNTAGGED_SHOWN: usize = 10;

/// Rows of text cells laid out in columns; the first row is the header. Columns listed in
/// `right` are right-aligned (numbers). Cells come from the data (group names, tag keys,
/// principals): every control character in them, tabs and line breaks included, becomes `�`,
/// so a value cannot break the layout or forge a row.
pub fn columns(rows: &[Vec<String>], right: &[usize]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| curlab_reader::clean::clean(c)).collect())
        .collect();
    let rows = rows.as_slice();
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = widths[c] - cell.chars().count();
            if right.contains(&c) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Render the whole report. `show_timeline` adds the spend per time bucket.
pub fn render(s: &Summary, show_timeline: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", s.title());
    let _ = writeln!(
        out,
        "{} Bedrock inference rows; {} USD attributed to a principal ({})\n",
        s.rows,
        s.attributed.fmt_cents(),
        fmt_share(s.attributed, s.total)
    );

    let dims = s.group_by.len().max(1);
    let mut header: Vec<String> = if s.group_by.is_empty() {
        vec!["GROUP".into()]
    } else {
        s.group_by.iter().map(|d| d.to_uppercase()).collect()
    };
    header.extend(["COST (USD)", "SHARE", "TOKENS"].map(String::from));
    let mut rows = vec![header];
    for g in &s.groups {
        let mut r = g.key.clone();
        r.extend([
            g.cost.fmt_cents(),
            fmt_share(g.cost, s.total),
            fmt_tokens(g.tokens),
        ]);
        rows.push(r);
    }
    let mut total = vec!["TOTAL".to_string()];
    total.extend((1..dims).map(|_| String::new()));
    total.extend([
        s.total.fmt_cents(),
        fmt_share(s.total, s.total),
        fmt_tokens(s.tokens),
    ]);
    rows.push(total);
    out.push_str(&columns(&rows, &[dims, dims + 1, dims + 2]));
    if let Some(n) = s.note {
        let _ = writeln!(out, "Note: {n}");
    }

    if show_timeline {
        let _ = writeln!(out, "\nSpend by {} bucket", s.granularity);
        let mut rows = vec![vec![
            "PERIOD".to_string(),
            "COST (USD)".into(),
            "TOP GROUP".into(),
        ]];
        for b in &s.timeline {
            rows.push(vec![
                b.period.clone(),
                b.cost.fmt_cents(),
                b.groups.first().map(|a| a.name.clone()).unwrap_or_default(),
            ]);
        }
        out.push_str(&columns(&rows, &[1]));
    }

    out.push_str("\nTag coverage (share of Bedrock spend carrying each key)\n");
    if s.coverage.is_empty() {
        out.push_str(if s.rows == 0 {
            "no Bedrock inference row in the data, so no tag coverage to show\n"
        } else {
            "no iamPrincipal/ or resourceTags/ key on any Bedrock row (a key appears once its cost allocation tag is activated)\n"
        });
    } else {
        let mut rows = vec![["KEY", "TAGGED (USD)", "UNTAGGED (USD)", "COVERAGE"]
            .map(String::from)
            .to_vec()];
        for c in &s.coverage {
            rows.push(vec![
                c.key.clone(),
                c.tagged.fmt_cents(),
                c.untagged.fmt_cents(),
                fmt_share(c.tagged, s.total),
            ]);
        }
        out.push_str(&columns(&rows, &[1, 2, 3]));
        for c in s
            .coverage
            .iter()
            .filter(|c| !c.untagged_by_principal.is_empty())
        {
            let _ = writeln!(
                out,
                "\nUntagged spend for {}, by principal",
                curlab_reader::clean::clean(&c.key)
            );
            let mut rows = vec![vec!["PRINCIPAL".to_string(), "COST (USD)".into()]];
            for a in c.untagged_by_principal.iter().take(UNTAGGED_SHOWN) {
                rows.push(vec![a.name.clone(), a.cost.fmt_cents()]);
            }
            let rest =
                &c.untagged_by_principal[c.untagged_by_principal.len().min(UNTAGGED_SHOWN)..];
            if !rest.is_empty() {
                rows.push(vec![
                    format!("({} more principals)", rest.len()),
                    rest.iter().map(|a| a.cost).sum::<Money>().fmt_cents(),
                ]);
            }
            out.push_str(&columns(&rows, &[1]));
        }
    }
    // Group names, tag keys and principals come from the data.
    crate::escape::terminal(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_layout() {
        let rows = vec![
            vec!["GROUP".to_string(), "COST".to_string()],
            vec!["a\tb\nFAKE  9.99\r".to_string(), "1.00".to_string()],
        ];
        let out = columns(&rows, &[1]);
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(
            out.contains("a\u{fffd}b\u{fffd}FAKE  9.99\u{fffd}  1.00"),
            "{out:?}"
        );
    }
}
