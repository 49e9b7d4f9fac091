//! Making untrusted text (tag values, ARNs, usage types) safe for HTML and spreadsheets.

/// Escape text for HTML element content and double-quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in HTML text; keep the page well-formed.
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
    out
}

/// Make text safe for a terminal: control characters (ESC sequences, CR, BEL, C1) and bidi
/// overrides from the data become `�`; line breaks and tabs stay.
pub fn terminal(s: &str) -> String {
    curlab_reader::clean::clean_lines(s)
}

/// Neutralise a text cell a spreadsheet would run as a formula: cells starting with `=`, `+`,
/// `-`, `@` (or a tab or carriage return, which some spreadsheets strip first) get a leading
/// apostrophe, which spreadsheets show as text. Only text cells go through this; numbers the
/// report writes itself stay numbers.
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(
            html(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
    }

    #[test]
    fn cleans_terminal_text() {
        assert_eq!(
            terminal("a\u{1b}[31mb\nc\u{202e}"),
            "a\u{fffd}[31mb\nc\u{fffd}"
        );
        assert_eq!(html("a\u{0}b\u{7}"), "a\u{fffd}b\u{fffd}");
    }

    #[test]
    fn neutralises_formulas() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1"] {
            assert!(csv_cell(s).starts_with('\''), "{s}");
        }
        assert_eq!(csv_cell("team-a"), "team-a");
        assert_eq!(csv_cell(""), "");
    }
}
