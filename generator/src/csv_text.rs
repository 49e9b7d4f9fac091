//! Cell text of CSV exports, as AWS writes it.
//!
//! AWS's CSV cost exports print doubles the way Java's `Double.toString` does (the real legacy
//! CUR sample of the FinOps Foundation's focus_converters repository has `1.0`, `0.0`, `0.02`,
//! `3811.0`, `9.984E-7`, `6.71E-8`, `4.0E-7`) and timestamps as `2023-11-01T00:00:00.000Z`.

use std::fmt::Write as _;

/// Append `x` as Java's `Double.toString` writes it (JDK 19 and later, which pick the shortest
/// decimal that reads back as `x`):
///
/// - `0.0` and `-0.0` for zeros, `NaN`, `Infinity`, `-Infinity`;
/// - plain decimal with at least one digit after the point for 1e-3 ≤ |x| < 1e7
///   (`1.0`, `0.5`, `180.517419`, `9999999.0`);
/// - otherwise computerized scientific notation, one digit before the point and at least one
///   after it (`9.984E-7`, `1.0E7`, `1.7976931348623157E308`).
///
/// Digits are the shortest that read back as `x`, the closest to `x` of those, the one with an
/// even last digit on a tie (`5.959655951914062E8` for 595965595.19140625); when one digit
/// would do, Java chooses the closest decimal of at most two digits (`4.9E-324` for the
/// smallest subnormal). Older JDKs print one or two more digits for some values of 1e16 and
/// above (JDK 17 gives `6.8995018974437847E18` where this gives `6.899501897443785E18`); both
/// read back as `x`. On 500,000 random and money-like doubles this matched JDK 17 everywhere
/// else.
pub fn push_java_double(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    let a = x.abs();
    if a == 0.0 {
        out.push_str("0.0");
        return;
    }
    let mut sci = String::with_capacity(32);
    // Rust's `{:e}` prints the shortest round-trip digits, e.g. `9.984e-7`, `1e0`.
    let _ = write!(sci, "{a:e}");
    let (mut digits, mut exp) = split_sci(&sci);
    if digits.len() == 1 {
        // Java's rule for one-digit results: the closest decimal of length 1 or 2.
        let mut two = String::with_capacity(32);
        let _ = write!(two, "{a:.1e}");
        if two.parse::<f64>().ok() == Some(a) {
            (digits, exp) = split_sci(&two);
        }
    } else if let Some(even) = even_of_tie(a, &digits, exp) {
        digits = even;
    }
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    if (1e-3..1e7).contains(&a) {
        // Digits before the point.
        let point = exp + 1;
        if point <= 0 {
            out.push_str("0.");
            for _ in 0..-point {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let point = point as usize;
            if point >= digits.len() {
                out.push_str(&digits);
                for _ in digits.len()..point {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        let _ = write!(out, "E{exp}");
    }
}

/// The exact decimal digits of `a` (no trailing zeros) when there are at most 38 of them.
fn exact_digits(a: f64) -> Option<String> {
    let bits = a.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (mut m, mut e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), biased - 1075)
    };
    if m == 0 {
        return None;
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    // a = m × 2^e, m odd.
    let n: u128 = if e >= 0 {
        let m = u128::from(m);
        if e >= 128 - (128 - m.leading_zeros() as i32) {
            return None;
        }
        m << e
    } else {
        // a = m × 5^-e / 10^-e: the significant digits are those of m × 5^-e.
        let mut n = u128::from(m);
        for _ in 0..-e {
            n = n.checked_mul(5)?;
        }
        n
    };
    let s = n.to_string();
    Some(s.trim_end_matches('0').to_string())
}

/// Java picks, among equally close shortest decimals, the one whose last digit is even; Rust's
/// shortest formatting may pick the other. A tie needs `a` to be exactly halfway between two
/// `digits.len()`-digit decimals, i.e. its exact expansion is one digit longer and ends in 5.
/// Returns the even candidate when it also reads back as `a`.
fn even_of_tie(a: f64, digits: &str, exp: i32) -> Option<String> {
    let last = digits.as_bytes()[digits.len() - 1];
    if (last - b'0').is_multiple_of(2) {
        return None;
    }
    let exact = exact_digits(a)?;
    if exact.len() != digits.len() + 1 || !exact.ends_with('5') {
        return None;
    }
    let low = &exact[..digits.len()];
    // The two candidates are `low` and `low + 1`; Rust chose the odd one.
    let even = if low == digits {
        // Rust rounded down to an odd digit: the even one is `low + 1` (no carry: odd < 9).
        let mut v = low.as_bytes().to_vec();
        let i = v.len() - 1;
        v[i] += 1;
        String::from_utf8(v).ok()?
    } else {
        low.to_string()
    };
    if !(even.as_bytes()[even.len() - 1] - b'0').is_multiple_of(2) {
        return None;
    }
    let text = format!("{}.{}e{exp}", &even[..1], &even[1..]);
    (text.parse::<f64>().ok() == Some(a)).then_some(even)
}

/// `x` as Java's `Double.toString` writes it.
pub fn java_double(x: f64) -> String {
    let mut s = String::new();
    push_java_double(&mut s, x);
    s
}

/// Digits and decimal exponent of Rust's `{:e}` text (`9.984e-7` → (`9984`, -7)).
fn split_sci(s: &str) -> (String, i32) {
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Append a millisecond UTC timestamp as AWS's CSV exports write it:
/// `2026-05-01T00:00:00.000Z`.
pub fn push_timestamp_ms(out: &mut String, ms: i64) {
    if let Some(t) = chrono::DateTime::from_timestamp_millis(ms) {
        let _ = write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%S%.3fZ"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Strings `Double.toString` returns (JDK 19+), most of them seen in real AWS CSV exports.
    const JAVA: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (-1.0, "-1.0"),
        (0.5, "0.5"),
        (2.0, "2.0"),
        (100.0, "100.0"),
        (3811.0, "3811.0"),
        (0.02, "0.02"),
        (0.0036, "0.0036"),
        (0.01, "0.01"),
        (13.04, "13.04"),
        (180.517419, "180.517419"),
        (0.0011053821, "0.0011053821"),
        (0.001, "0.001"),
        (9.999999999999998e-4, "9.999999999999998E-4"),
        (1.0e-4, "1.0E-4"),
        (9.984e-7, "9.984E-7"),
        (6.71e-8, "6.71E-8"),
        (4.0e-7, "4.0E-7"),
        (5.2e-9, "5.2E-9"),
        (1.34297e-5, "1.34297E-5"),
        (6.47111e-5, "6.47111E-5"),
        (2.3265e-6, "2.3265E-6"),
        (9999999.0, "9999999.0"),
        (9999999.999999998, "9999999.999999998"),
        (1.0e7, "1.0E7"),
        (1.2345678e7, "1.2345678E7"),
        (123456.789, "123456.789"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1.0e23, "1.0E23"),
        (2.0e23, "2.0E23"),
        (9.223372036854776e18, "9.223372036854776E18"),
        // Halfway between two shortest decimals (595965595.19140625, 709483195631.03125,
        // -983325284044.40625, -123339705444.078125): Java keeps the even last digit.
        (f64::from_bits(0x41c1_c2db_4d98_8000), "5.959655951914062E8"),
        (
            f64::from_bits(0x4264_a60f_cd9d_e100),
            "7.094831956310312E11",
        ),
        (
            f64::from_bits(0xc26c_9e58_22d9_8d00),
            "-9.833252840444062E11",
        ),
        (
            f64::from_bits(0xc23c_b79e_8c64_1400),
            "-1.2333970544407812E11",
        ),
        (f64::MAX, "1.7976931348623157E308"),
        (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
        (5e-324, "4.9E-324"),
        (-6.71e-8, "-6.71E-8"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
    ];

    #[test]
    fn matches_java_for_known_values() {
        for (x, want) in JAVA {
            assert_eq!(java_double(*x), *want, "{x:e}");
        }
    }

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let mut s = String::new();
        push_timestamp_ms(&mut s, 1_777_593_600_000);
        assert_eq!(s, "2026-05-01T00:00:00.000Z");
    }

    /// The form of a finite, non-zero output: plain decimal or computerized scientific.
    fn well_formed(s: &str, x: f64) -> bool {
        let body = s.strip_prefix('-').unwrap_or(s);
        let a = x.abs();
        if (1e-3..1e7).contains(&a) {
            let Some((int, frac)) = body.split_once('.') else {
                return false;
            };
            !int.is_empty()
                && !frac.is_empty()
                && !body.contains('E')
                && (int == "0" || !int.starts_with('0'))
                && (frac == "0" || !frac.ends_with('0'))
        } else {
            let Some((m, e)) = body.split_once('E') else {
                return false;
            };
            let Some((d, frac)) = m.split_once('.') else {
                return false;
            };
            d.len() == 1
                && d != "0"
                && !frac.is_empty()
                && (frac == "0" || !frac.ends_with('0'))
                && e.parse::<i32>().is_ok()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        #[test]
        fn every_finite_double_reads_back(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assume!(x.is_finite());
            let s = java_double(x);
            let back: f64 = s.parse().expect("parses");
            prop_assert_eq!(back.to_bits(), x.to_bits(), "{} -> {}", x, s);
            if x != 0.0 {
                prop_assert!(well_formed(&s, x), "{} -> {}", x, s);
            }
        }

        #[test]
        fn money_sized_values_read_back(cents in -10_000_000_000i64..10_000_000_000, scale in 0u32..12) {
            let x = cents as f64 / 10f64.powi(scale as i32);
            let s = java_double(x);
            prop_assert_eq!(s.parse::<f64>().expect("parses").to_bits(), x.to_bits(), "{}", s);
            // No more digits than the shortest round trip needs.
            let shortest = format!("{:e}", x.abs());
            let sig = shortest.split('e').next().unwrap_or("").replace('.', "").len();
            let got = s.trim_start_matches('-').split('E').next().unwrap_or("")
                .replace('.', "").trim_start_matches('0').trim_end_matches('0').len();
            prop_assert!(got <= sig.max(1), "{} has {} digits, shortest {}", s, got, shortest);
        }
    }
}
