//! Output formats of a [`Summary`](crate::Summary): a terminal table, CSV, JSON, HTML.

pub mod csv;
pub mod html;
pub mod svg;
pub mod table;

use crate::summary::Summary;

/// The JSON document (schema `curlab-report/1`, see `docs/report.md`).
pub fn json(s: &Summary) -> String {
    let mut out = serde_json::to_string_pretty(s).unwrap_or_else(|e| {
        // Serialising plain structs of strings and numbers cannot fail; keep the output valid.
        format!("{{\"error\": \"{e}\"}}")
    });
    out.push('\n');
    out
}
