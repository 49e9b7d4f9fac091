//! Integer money: 1e-10 USD, the ten decimals AWS prints for unblended cost. Sums of these are
//! exact and independent of row order; rounding to cents happens only when a value is shown.

/// 1e-10 USD.
pub type Units = i128;

/// Units per dollar.
pub const PER_USD: i128 = 10_000_000_000;

/// The largest magnitude of one amount read from a file: a quadrillion dollars. Corrupt data
/// can hold any double (1e300); clamped, sums of them cannot overflow in any real export.
pub const MAX_UNITS: Units = 1_000_000_000_000_000 * PER_USD;

/// Dollars (as read from a file) to units, rounded to the nearest unit (non-finite is 0,
/// beyond ±[`MAX_UNITS`] is clamped).
pub fn from_usd(usd: f64) -> Units {
    if usd.is_finite() {
        ((usd * PER_USD as f64).round() as Units).clamp(-MAX_UNITS, MAX_UNITS)
    } else {
        0
    }
}

/// 1e-16 USD (the generator's unit) to units, rounded half away from zero.
pub fn from_e16(e16: i128) -> Units {
    let q = 1_000_000;
    let (d, r) = (e16 / q, e16 % q);
    if r.abs() * 2 >= q {
        d + e16.signum()
    } else {
        d
    }
}

/// Units as (approximate) dollars, for JSON numbers and chart geometry.
pub fn to_usd(u: Units) -> f64 {
    u as f64 / PER_USD as f64
}

/// Units rounded half away from zero to cents, as text (`1234.57`, `-0.05`).
pub fn fmt_cents(u: Units) -> String {
    let cents_unit = PER_USD / 100;
    let (q, r) = (u / cents_unit, u % cents_unit);
    let cents = if r.abs() * 2 >= cents_unit {
        q + u.signum()
    } else {
        q
    };
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Units as exact decimal dollars with ten decimals (`6.7573924200`).
pub fn fmt_exact(u: Units) -> String {
    let sign = if u < 0 { "-" } else { "" };
    let a = u.unsigned_abs();
    let per = PER_USD as u128;
    format!("{sign}{}.{:010}", a / per, a % per)
}

/// A share as a percentage with one decimal (`45.1%`); `-` when the whole is zero.
pub fn fmt_share(part: Units, whole: Units) -> String {
    if whole == 0 {
        return "-".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// Share in [0, 1] (0 when the whole is zero).
pub fn share(part: Units, whole: Units) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Millionths of a token to whole tokens, rounded, with thousands separators (`1,234,567`).
pub fn fmt_tokens(e6: i128) -> String {
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
    fn absurd_amounts_are_clamped() {
        assert_eq!(from_usd(1e300), MAX_UNITS);
        assert_eq!(from_usd(-f64::MAX), -MAX_UNITS);
        assert_eq!(from_usd(f64::NAN), 0);
    }

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(fmt_cents(from_usd(6.75739242)), "6.76");
        assert_eq!(fmt_cents(from_usd(0.005)), "0.01");
        assert_eq!(fmt_cents(from_usd(-0.005)), "-0.01");
        assert_eq!(fmt_cents(from_usd(0.0049999999)), "0.00");
        assert_eq!(fmt_cents(0), "0.00");
    }

    #[test]
    fn e16_converts_exactly() {
        assert_eq!(from_e16(12_345_678_900_000_000), 12_345_678_900);
        assert_eq!(from_e16(1_500_000), 2);
        assert_eq!(from_e16(-1_500_000), -2);
    }

    #[test]
    fn sums_do_not_drift() {
        let total: Units = (0..1_000_000).map(|_| from_usd(0.1)).sum();
        assert_eq!(fmt_cents(total), "100000.00");
    }

    #[test]
    fn tokens_get_separators() {
        assert_eq!(fmt_tokens(1_234_567_000_000), "1,234,567");
        assert_eq!(fmt_tokens(999_000_000), "999");
    }
}
