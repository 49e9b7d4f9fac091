//! Making untrusted text safe for a terminal: values read from data files (tag values, ARNs,
//! file names) and messages that quote them. Control characters and bidi overrides become `�`.

/// Whether a character must not reach a terminal as is: C0 and C1 controls (ESC, BEL, CR,
/// CSI, ...) and the bidirectional overrides and isolates that reorder what is shown.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Replace control characters (ESC, BEL, CR, ...) and bidi overrides by `�`; keep the text
/// otherwise.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe(c) { '\u{fffd}' } else { c })
        .collect()
}

/// Like [`clean`], but keeps line breaks and tabs: for multi-line messages (errors on stderr)
/// that may quote file names or values from the data. A carriage return is replaced too, so a
/// value cannot overwrite the start of its line.
pub fn clean_lines(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_unsafe(c) && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escape_sequences() {
        assert_eq!(clean("a\u{1b}[2Jb\r"), "a\u{fffd}[2Jb\u{fffd}");
        assert_eq!(
            clean_lines("a\u{1b}]0;x\u{7}\nb\tc\r\u{9b}"),
            "a\u{fffd}]0;x\u{fffd}\nb\tc\u{fffd}\u{fffd}"
        );
    }
}
