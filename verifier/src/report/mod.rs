//! Renderings of a [`Report`](crate::Report): text, JSON, JUnit XML and SARIF 2.1.0.

pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;

/// Output formats of `curlab verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human-readable text.
    Text,
    /// The stable JSON document of `docs/verify-output.md`.
    Json,
    /// JUnit XML, one test case per rule.
    Junit,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
}

/// Render a report.
pub fn render(report: &crate::Report, format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => text::render(report),
        OutputFormat::Json => json::render(report),
        OutputFormat::Junit => junit::render(report),
        OutputFormat::Sarif => sarif::render(report),
    }
}

/// The rule's metadata for a code (findings always name registered rules).
pub(crate) fn meta_of(code: &str) -> Option<&'static crate::RuleMeta> {
    crate::registry::find(code).map(|r| r.meta())
}
