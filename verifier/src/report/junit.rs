//! JUnit XML: one test case per rule that ran or was skipped. Rules with error findings fail;
//! skipped rules are `<skipped message=".."/>`, never passes; warnings pass and are written to
//! `<system-out>`.

use crate::finding::Report;
use crate::meta::Severity;

/// Escape text for XML 1.0 (attribute or content); characters XML cannot hold become `�`.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn details(f: &crate::Finding) -> String {
    let mut s = format!("{} occurrence(s)", f.count);
    if let Some(c) = f.cost {
        s.push_str(&format!(", cost {c}"));
    }
    s.push('\n');
    for smp in &f.samples {
        let place = match (&smp.file, smp.row) {
            (Some(file), Some(r)) => format!("{file}:{r}"),
            (Some(file), None) => file.clone(),
            _ => "(export)".into(),
        };
        let values: Vec<String> = smp
            .values
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        s.push_str(&format!(
            "{place} {} {}\n",
            smp.identity_line_item_id.as_deref().unwrap_or(""),
            values.join(" ")
        ));
    }
    s
}

/// Render a report as JUnit XML.
pub fn render(r: &Report) -> String {
    let failures = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let tests = r.rules_run.len() + r.rules_skipped.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"curlab verify\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{}\">\n",
        r.rules_skipped.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"curlab verify\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{}\">\n",
        r.rules_skipped.len()
    ));
    let mut cases: Vec<(&str, String)> = Vec::new();
    for code in &r.rules_run {
        let mut case = String::new();
        let meta = super::meta_of(code);
        let name = meta
            .map(|m| format!("{code} {}", m.name))
            .unwrap_or_else(|| code.clone());
        let family = meta.map(|m| m.family.as_str()).unwrap_or("rule");
        case.push_str(&format!(
            "    <testcase classname=\"curlab.{family}\" name=\"{}\"",
            xml_escape(&name)
        ));
        match r.finding(code) {
            Some(f) if f.severity == Severity::Error => {
                case.push_str(&format!(
                    ">\n      <failure type=\"error\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml_escape(&f.message),
                    xml_escape(&details(f))
                ));
            }
            Some(f) => {
                case.push_str(&format!(
                    ">\n      <system-out>warning: {}\n{}</system-out>\n    </testcase>\n",
                    xml_escape(&f.message),
                    xml_escape(&details(f))
                ));
            }
            None => case.push_str("/>\n"),
        }
        cases.push((code, case));
    }
    for s in &r.rules_skipped {
        let meta = super::meta_of(&s.rule);
        let name = meta
            .map(|m| format!("{} {}", s.rule, m.name))
            .unwrap_or_else(|| s.rule.clone());
        let family = meta.map(|m| m.family.as_str()).unwrap_or("rule");
        cases.push((
            &s.rule,
            format!(
                "    <testcase classname=\"curlab.{family}\" name=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml_escape(&name),
                xml_escape(&s.reason)
            ),
        ));
    }
    let order = |code: &str| {
        crate::registry::all()
            .position(|m| m.code == code)
            .unwrap_or(usize::MAX)
    };
    cases.sort_by_key(|(code, _)| order(code));
    for (_, c) in cases {
        out.push_str(&c);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything() {
        assert_eq!(
            xml_escape("a<b>&\"'\u{1}"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{fffd}"
        );
    }
}
