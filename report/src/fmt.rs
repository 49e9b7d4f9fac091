//! Numbers in the report that are not money themselves: shares and token counts.

use curlab_vocab::Money;

/// A share as a percentage with one decimal (`45.1%`); `-` when the whole is zero.
pub(crate) fn fmt_share(part: Money, whole: Money) -> String {
    if whole.is_zero() {
        return "-".into();
    }
    format!("{:.1}%", part.share_of(whole) * 100.0)
}

/// Millionths of a token to whole tokens, rounded, with thousands separators (`1,234,567`).
pub(crate) fn fmt_tokens(e6: i128) -> String {
    let n = (e6 + 500_000).div_euclid(1_000_000);
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_get_separators() {
        assert_eq!(fmt_tokens(1_234_567_000_000), "1,234,567");
        assert_eq!(fmt_tokens(999_000_000), "999");
    }

    #[test]
    fn shares_have_one_decimal() {
        assert_eq!(
            fmt_share(Money::from_usd(1.0), Money::from_usd(3.0)),
            "33.3%"
        );
        assert_eq!(fmt_share(Money::from_usd(1.0), Money::ZERO), "-");
    }
}
