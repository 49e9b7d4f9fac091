//! SARIF 2.1.0 for code scanning: every rule in `tool.driver.rules`, one result per sample,
//! located at the data file (CSV rows also as a line region; the row is always in the message).

use serde_json::{json, Value};

use crate::finding::Report;
use crate::meta::Severity;

/// Percent-encode a relative path for a SARIF `uri` (keeps `/` and unreserved characters).
pub fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The report as a SARIF value.
pub fn to_value(r: &Report) -> Value {
    let rules: Vec<Value> = crate::registry::all()
        .map(|m| {
            json!({
                "id": m.code,
                "name": m.name,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": m.checks},
                "help": {"text": format!("{}\n\nHow to fix: {}", m.why, m.fix)},
                "defaultConfiguration": {"level": level(m.severity)},
                "properties": {"family": m.family.as_str(), "applies": m.applies.as_str()},
            })
        })
        .collect();
    let index = |code: &str| crate::registry::all().position(|m| m.code == code);
    let mut results = Vec::new();
    for f in &r.findings {
        let base = json!({"count": f.count, "cost": f.cost});
        if f.samples.is_empty() {
            results.push(json!({
                "ruleId": f.rule, "ruleIndex": index(&f.rule), "level": level(f.severity),
                "message": {"text": f.message}, "properties": base,
            }));
        }
        for s in &f.samples {
            let mut text = f.message.clone();
            if let Some(row) = s.row {
                text.push_str(&format!(" (row {row}"));
                if let Some(id) = &s.identity_line_item_id {
                    text.push_str(&format!(", identity_line_item_id {id}"));
                }
                text.push(')');
            }
            let values: Vec<String> = s.values.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            if !values.is_empty() {
                text.push_str(": ");
                text.push_str(&values.join(" "));
            }
            let mut result = json!({
                "ruleId": f.rule, "ruleIndex": index(&f.rule), "level": level(f.severity),
                "message": {"text": text}, "properties": base,
            });
            if let Some(file) = &s.file {
                let mut phys = json!({"artifactLocation": {"uri": uri_encode(file)}});
                let is_csv = file.ends_with(".csv") || file.ends_with(".csv.gz");
                if let (Some(row), true) = (s.row, is_csv) {
                    phys["region"] = json!({"startLine": row + 1});
                }
                result["locations"] = json!([{"physicalLocation": phys}]);
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = r
        .rules_skipped
        .iter()
        .map(|s| json!({"level": "note", "message": {"text": format!("{} skipped: {}", s.rule, s.reason)}, "descriptor": {"id": s.rule}}))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "curlab",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{"executionSuccessful": true, "toolExecutionNotifications": notifications}],
            "results": results,
        }],
    })
}

/// Render a report as SARIF JSON.
pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(r)).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_uris() {
        assert_eq!(
            uri_encode("data/BILLING_PERIOD=2026-04/a b.csv"),
            "data/BILLING_PERIOD%3D2026-04/a%20b.csv"
        );
    }
}
