//! Human-readable output. Terminal control characters from the data are replaced, so a
//! hostile value cannot rewrite the terminal.

use crate::finding::{Finding, Report};
use crate::money::usd;

pub use curlab_reader::clean::{clean, clean_lines, is_unsafe};

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn finding(out: &mut String, f: &Finding) {
    let cost = f.cost.map(|c| format!(", {}", usd(c))).unwrap_or_default();
    out.push_str(&format!(
        "{}[{}] {}: {} ({}{})\n",
        f.severity.as_str(),
        f.rule,
        f.name,
        clean(&f.message),
        plural(f.count, "occurrence", "occurrences"),
        cost
    ));
    for s in &f.samples {
        let mut place = s
            .file
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "(export)".into());
        if let Some(r) = s.row {
            place.push_str(&format!(":{r}"));
        }
        if let Some(id) = &s.identity_line_item_id {
            place.push_str(&format!(" id={}", clean(id)));
        }
        let values: Vec<String> = s
            .values
            .iter()
            .map(|(k, v)| format!("{}={:?}", clean(k), clean(v)))
            .collect();
        out.push_str(&format!("  --> {place}  {}\n", values.join(" ")));
    }
    if f.count > f.samples.len() as u64 && !f.samples.is_empty() {
        out.push_str(&format!(
            "  ... and {} more\n",
            f.count - f.samples.len() as u64
        ));
    }
}

/// Render a report as text.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    for f in &r.findings {
        finding(&mut out, f);
    }
    if !r.findings.is_empty() {
        out.push('\n');
    }
    // One line per reason, listing the rules it skips, in order of first appearance.
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for s in &r.rules_skipped {
        match by_reason.iter_mut().find(|(reason, _)| *reason == s.reason) {
            Some((_, rules)) => rules.push(&s.rule),
            None => by_reason.push((&s.reason, vec![&s.rule])),
        }
    }
    for (reason, rules) in by_reason {
        out.push_str(&format!(
            "skipped {}: {}\n",
            clean(&rules.join(", ")),
            clean(reason)
        ));
    }
    for n in &r.notes {
        out.push_str(&format!("note: {}\n", clean(n)));
    }
    out.push_str(&format!(
        "{} in {} from {}: {}, {} ({} run, {} skipped)\n",
        if r.errors() == 0 { "OK" } else { "FAILED" },
        plural(r.rows_scanned, "row", "rows"),
        plural(r.files.len() as u64, "file", "files"),
        plural(r.errors(), "error", "errors"),
        plural(r.warnings(), "warning", "warnings"),
        plural(r.rules_run.len() as u64, "rule", "rules"),
        r.rules_skipped.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Skipped;

    #[test]
    fn skipped_rules_share_a_line_per_reason() {
        let skip = |rule: &str, reason: &str| Skipped {
            rule: rule.into(),
            reason: reason.into(),
        };
        let r = Report {
            files: vec!["x.csv".into()],
            rows_scanned: 0,
            rules_run: vec![],
            rules_skipped: vec![
                skip("PR001", "no principal column"),
                skip("TG001", "no tags column"),
                skip("PR002", "no principal column"),
            ],
            findings: vec![],
            notes: vec![],
        };
        let text = render(&r);
        assert!(text.starts_with(
            "skipped PR001, PR002: no principal column\nskipped TG001: no tags column\n"
        ));
        assert!(text.ends_with("(0 rules run, 3 skipped)\n"), "{text}");
    }
}
