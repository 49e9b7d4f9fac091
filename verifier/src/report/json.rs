//! The stable JSON document (`docs/verify-output.md`).

use serde_json::{json, Value};

use crate::finding::Report;

/// Version of the JSON document; bumped on incompatible changes.
pub const JSON_VERSION: u32 = 1;

/// The report as a JSON value.
pub fn to_value(r: &Report) -> Value {
    json!({
        "curlab_verify_version": JSON_VERSION,
        "summary": {
            "errors": r.errors(),
            "warnings": r.warnings(),
            "rows_scanned": r.rows_scanned,
            "files": r.files,
            "rules_run": r.rules_run,
            "rules_skipped": r.rules_skipped,
            "notes": r.notes,
        },
        "findings": r.findings,
    })
}

/// Render a report as pretty-printed JSON (with a trailing newline).
pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(r))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
