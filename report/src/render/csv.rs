//! CSV output: one line per group (or per time bucket and group), safe to open in a
//! spreadsheet: text cells that would start a formula are neutralised.

use crate::escape::csv_cell;

use crate::summary::Summary;

fn write(rows: Vec<Vec<String>>) -> String {
    let mut w = ::csv::WriterBuilder::new().from_writer(Vec::new());
    for r in rows {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn dims(s: &Summary) -> Vec<String> {
    if s.group_by.is_empty() {
        vec!["group".into()]
    } else {
        s.group_by.clone()
    }
}

/// Groups with cost (exact to 1e-10 USD), cost rounded to cents, share and tokens; a last
/// `TOTAL` line. With `by_period`, one line per time bucket and group instead.
pub fn render(s: &Summary, by_period: bool) -> String {
    let mut rows = Vec::new();
    if by_period {
        let mut h = vec!["period".to_string(), "group".into()];
        h.extend(["cost_usd", "cost_usd_rounded"].map(String::from));
        rows.push(h);
        for b in &s.timeline {
            for a in &b.groups {
                rows.push(vec![
                    csv_cell(&b.period).into_owned(),
                    csv_cell(&a.name).into_owned(),
                    a.cost.fmt_exact(),
                    a.cost.fmt_cents(),
                ]);
            }
        }
        return write(rows);
    }
    let mut h = dims(s);
    h.extend(["cost_usd", "cost_usd_rounded", "share", "tokens"].map(String::from));
    let n = h.len() - 4;
    rows.push(h);
    for g in &s.groups {
        let mut r: Vec<String> = g.key.iter().map(|k| csv_cell(k).into_owned()).collect();
        r.extend([
            g.cost.fmt_exact(),
            g.cost.fmt_cents(),
            format!("{:.6}", g.share),
            ((g.tokens + 500_000).div_euclid(1_000_000)).to_string(),
        ]);
        rows.push(r);
    }
    let mut t = vec!["TOTAL".to_string()];
    t.extend((1..n).map(|_| String::new()));
    t.extend([
        s.total.fmt_exact(),
        s.total.fmt_cents(),
        if s.total.is_zero() { "0" } else { "1" }.to_string(),
        ((s.tokens + 500_000).div_euclid(1_000_000)).to_string(),
    ]);
    rows.push(t);
    write(rows)
}
