//! One money type for the whole workspace: [`Money`], an integer count of 1e-16 USD.
//!
//! 1e-16 USD is the generator's unit: usage in 1e-6 units times a rate in 1e-10 USD (the ten
//! decimals AWS prints) is a cost in 1e-16 USD, exactly. Amounts read from files are doubles;
//! [`Money::from_usd`] rounds them to the ten printed decimals (1e-10 USD) and scales, so a sum
//! of amounts read is exact and does not depend on the order rows (or threads) were added in.
//! Arithmetic saturates: corrupt data cannot overflow a total. Rounding to cents happens only
//! when a value is shown ([`Money::fmt_cents`]).

use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// 1e-16 USD per USD.
const PER_USD: i128 = 10_000_000_000_000_000;
/// 1e-16 USD per 1e-10 USD (the ten decimals AWS prints).
const PER_E10: i128 = 1_000_000;
/// 1e-16 USD per cent.
const PER_CENT: i128 = PER_USD / 100;
/// The largest magnitude of one amount read from a file, in 1e-10 USD: a quadrillion dollars.
const MAX_E10: i128 = 1_000_000_000_000_000 * (PER_USD / PER_E10);

/// An amount of money in 1e-16 USD. Sums saturate at the bounds of `i128` (±1.7e22 USD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i128);

impl Money {
    /// Zero dollars.
    pub const ZERO: Money = Money(0);
    /// Half a cent: the tolerance of every compared total.
    pub const HALF_CENT: Money = Money(PER_CENT / 2);
    /// The largest magnitude [`Money::from_usd`] returns: a quadrillion dollars. Corrupt or
    /// hostile data can hold any double (1e300); clamped, a sum of them needs ~10^7 rows to
    /// reach the saturation bound.
    pub const MAX_READ: Money = Money(MAX_E10 * PER_E10);

    /// An amount in 1e-16 USD (the generator's unit).
    pub const fn from_e16(e16: i128) -> Money {
        Money(e16)
    }

    /// The amount in 1e-16 USD.
    pub const fn e16(self) -> i128 {
        self.0
    }

    /// Dollars as read from a file, rounded half away from zero to AWS's ten printed decimals
    /// (1e-10 USD); non-finite is zero, beyond ±[`Money::MAX_READ`] is clamped.
    pub fn from_usd(usd: f64) -> Money {
        if usd.is_finite() {
            // `f64::round` rounds half away from zero; the cast saturates.
            let e10 = ((usd * (PER_USD / PER_E10) as f64).round() as i128).clamp(-MAX_E10, MAX_E10);
            Money(e10 * PER_E10)
        } else {
            Money::ZERO
        }
    }

    /// The amount rounded half away from zero to 1e-10 USD, in 1e-10 USD (the unit the SQL
    /// forms compare money in).
    pub const fn e10(self) -> i128 {
        let (q, r) = (self.0 / PER_E10, self.0 % PER_E10);
        if r.abs() * 2 >= PER_E10 {
            q + self.0.signum()
        } else {
            q
        }
    }

    /// The amount rounded half away from zero to 1e-10 USD (what AWS would print).
    pub const fn round_e10(self) -> Money {
        Money(self.e10() * PER_E10)
    }

    /// The amount as (approximate) dollars: for file cells, JSON numbers, shares and chart
    /// geometry. Whole dollars and the fraction are converted apart, to keep large totals
    /// precise.
    pub fn to_usd(self) -> f64 {
        let whole = self.0 / PER_USD;
        let frac = self.0 % PER_USD;
        whole as f64 + frac as f64 / 1e16
    }

    /// The magnitude (saturating).
    pub const fn abs(self) -> Money {
        Money(self.0.saturating_abs())
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self / whole` as a share (0 when the whole is zero).
    pub fn share_of(self, whole: Money) -> f64 {
        if whole.0 == 0 {
            0.0
        } else {
            self.0 as f64 / whole.0 as f64
        }
    }

    /// Rounded half away from zero to cents, as text (`1234.57`, `-0.05`).
    pub fn fmt_cents(self) -> String {
        let (q, r) = (self.0 / PER_CENT, self.0 % PER_CENT);
        let cents = if r.abs() * 2 >= PER_CENT {
            q + self.0.signum()
        } else {
            q
        };
        let sign = if cents < 0 { "-" } else { "" };
        let c = cents.unsigned_abs();
        format!("{sign}{}.{:02}", c / 100, c % 100)
    }

    /// Exact decimal dollars with ten decimals (`6.7573924200`), rounded half away from zero
    /// to 1e-10 USD first.
    pub fn fmt_exact(self) -> String {
        let u = self.e10();
        let sign = if u < 0 { "-" } else { "" };
        let a = u.unsigned_abs();
        let per = (PER_USD / PER_E10) as u128;
        format!("{sign}{}.{:010}", a / per, a % per)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.saturating_neg())
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(it: I) -> Money {
        it.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(it: I) -> Money {
        it.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_amounts_clamp_and_non_finite_is_zero() {
        assert_eq!(Money::from_usd(1e300), Money::MAX_READ);
        assert_eq!(Money::from_usd(-1e300), -Money::MAX_READ);
        assert_eq!(Money::from_usd(f64::MAX), Money::MAX_READ);
        assert_eq!(Money::from_usd(-f64::MAX), -Money::MAX_READ);
        assert_eq!(Money::from_usd(1e15), Money::MAX_READ);
        assert_eq!(Money::MAX_READ.fmt_cents(), "1000000000000000.00");
        assert_eq!(Money::from_usd(f64::NAN), Money::ZERO);
        assert_eq!(Money::from_usd(f64::INFINITY), Money::ZERO);
        assert_eq!(Money::from_usd(f64::NEG_INFINITY), Money::ZERO);
    }

    #[test]
    fn arithmetic_saturates() {
        let max = Money::from_e16(i128::MAX);
        let min = Money::from_e16(i128::MIN);
        assert_eq!(max + Money::MAX_READ, max);
        assert_eq!(min - Money::MAX_READ, min);
        assert_eq!(min + -Money::MAX_READ, min);
        assert_eq!(-min, max);
        assert_eq!(min.abs(), max);
        assert_eq!(
            [max, Money::from_e16(1), Money::from_e16(2)]
                .iter()
                .sum::<Money>(),
            max
        );
        let small: Money = [1, 2, 3].into_iter().map(Money::from_e16).sum();
        assert_eq!(small.e16(), 6);
        let mut m = Money::from_e16(10);
        m += Money::from_e16(5);
        m -= Money::from_e16(20);
        assert_eq!(m.e16(), -5);
    }

    #[test]
    fn halves_round_away_from_zero() {
        // Reading: to ten decimals.
        assert_eq!(Money::from_usd(0.000_000_000_05).e16(), 1_000_000);
        assert_eq!(Money::from_usd(-0.000_000_000_05).e16(), -1_000_000);
        assert_eq!(Money::from_usd(0.000_000_000_04).e16(), 0);
        // To 1e-10.
        assert_eq!(Money::from_e16(1_500_000).e10(), 2);
        assert_eq!(Money::from_e16(-1_500_000).e10(), -2);
        assert_eq!(Money::from_e16(1_499_999).e10(), 1);
        assert_eq!(Money::from_e16(-500_000).round_e10().e16(), -1_000_000);
        // To cents.
        assert_eq!(Money::from_usd(6.75739242).fmt_cents(), "6.76");
        assert_eq!(Money::from_usd(0.005).fmt_cents(), "0.01");
        assert_eq!(Money::from_usd(-0.005).fmt_cents(), "-0.01");
        assert_eq!(Money::from_usd(0.0049999999).fmt_cents(), "0.00");
        assert_eq!(Money::from_e16(PER_CENT / 2 - 1).fmt_cents(), "0.00");
        assert_eq!(Money::ZERO.fmt_cents(), "0.00");
        assert_eq!(Money::from_usd(-1234.5678).fmt_cents(), "-1234.57");
        assert_eq!(Money::HALF_CENT.fmt_cents(), "0.01");
        // Exact: ten decimals.
        assert_eq!(Money::from_e16(15_000_000).fmt_exact(), "0.0000000015");
        assert_eq!(Money::from_e16(-14_999_999).fmt_exact(), "-0.0000000015");
        assert_eq!(Money::from_e16(-499_999).fmt_exact(), "0.0000000000");
    }

    #[test]
    fn sums_do_not_drift() {
        let total: Money = (0..1_000_000).map(|_| Money::from_usd(0.1)).sum();
        assert_eq!(total, Money::from_usd(100_000.0));
        assert_eq!(total.to_usd(), 100_000.0);
        assert_eq!(total.fmt_exact(), "100000.0000000000");
        let cents: Money = (0..3_000_000).map(|_| Money::from_usd(0.01)).sum();
        assert_eq!(cents.fmt_cents(), "30000.00");
    }

    #[test]
    fn round_trips_are_exact() {
        for e16 in [
            0,
            1,
            -1,
            693_000_000_000_000,
            12_345_678_900_000_000,
            -5_000_000_000_000,
        ] {
            assert_eq!(Money::from_e16(e16).e16(), e16);
        }
        assert_eq!(Money::from_e16(693_000_000_000_000).to_usd(), 0.0693);
        assert_eq!(
            Money::from_e16(12_345_678_900_000_000).e10(),
            12_345_678_900
        );
        assert_eq!(Money::from_usd(6.75739242).fmt_exact(), "6.7573924200");
        assert_eq!(
            Money::from_usd(Money::from_usd(6.75739242).to_usd()),
            Money::from_usd(6.75739242)
        );
        assert_eq!(Money::from_usd(0.1).share_of(Money::from_usd(0.4)), 0.25);
        assert_eq!(Money::from_usd(0.1).share_of(Money::ZERO), 0.0);
    }

    proptest::proptest! {
        /// Any amount with ten decimals within ±1e5 USD reads back exactly from its text.
        #[test]
        fn from_usd_reads_fmt_exact_back(e10 in -1_000_000_000_000_000i64..1_000_000_000_000_000i64) {
            let m = Money::from_e16(i128::from(e10) * PER_E10);
            let text = m.fmt_exact();
            let parsed: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(Money::from_usd(parsed), m, "{}", text);
            proptest::prop_assert_eq!(Money::from_usd(m.to_usd()), m);
            proptest::prop_assert_eq!(m.e10(), i128::from(e10));
        }
    }
}
