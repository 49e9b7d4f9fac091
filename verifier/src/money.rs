//! Drift-free money sums: costs are added as integer nano-dollars, so the total does not
//! depend on the order rows (or threads) were summed in.

/// Nano-dollars per dollar.
const NANOS: f64 = 1e9;

/// The largest magnitude of one converted amount: a quadrillion dollars, in nano-dollars.
/// Corrupt or hostile data can hold any double (1e300); clamped here, a sum of them needs
/// ~10^14 rows to reach `i128::MAX`, and every sum saturates anyway ([`add`], [`sum`]).
pub const MAX_NANOS: i128 = 1_000_000_000_000_000_000_000_000;

/// Convert dollars to nano-dollars (rounded to the nearest nano-dollar; non-finite is 0,
/// beyond ±[`MAX_NANOS`] is clamped).
pub fn to_nanos(dollars: f64) -> i128 {
    if dollars.is_finite() {
        ((dollars * NANOS).round() as i128).clamp(-MAX_NANOS, MAX_NANOS)
    } else {
        0
    }
}

/// `a + b`, saturating: sums of amounts from the data never overflow.
pub fn add(a: i128, b: i128) -> i128 {
    a.saturating_add(b)
}

/// The saturating sum of amounts.
pub fn sum(it: impl IntoIterator<Item = i128>) -> i128 {
    it.into_iter().fold(0, add)
}

/// Convert nano-dollars back to dollars.
pub fn to_dollars(nanos: i128) -> f64 {
    nanos as f64 / NANOS
}

/// Half a cent: the tolerance of every compared total.
pub const TOLERANCE_NANOS: i128 = 5_000_000;

/// Format dollars for messages (`$12.34`, or more digits for small amounts).
pub fn usd(dollars: f64) -> String {
    if dollars.abs() >= 0.01 || dollars == 0.0 {
        format!("${dollars:.2}")
    } else {
        format!("${dollars:.6}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_do_not_drift() {
        let total: i128 = (0..1_000_000).map(|_| to_nanos(0.1)).sum();
        assert_eq!(to_dollars(total), 100_000.0);
    }

    #[test]
    fn absurd_amounts_clamp_and_sums_saturate() {
        assert_eq!(to_nanos(1e300), MAX_NANOS);
        assert_eq!(to_nanos(-1e300), -MAX_NANOS);
        assert_eq!(to_nanos(f64::MAX), MAX_NANOS);
        assert_eq!(to_nanos(f64::NAN), 0);
        assert_eq!(to_nanos(f64::INFINITY), 0);
        assert_eq!(add(i128::MAX, MAX_NANOS), i128::MAX);
        assert_eq!(add(i128::MIN, -MAX_NANOS), i128::MIN);
        assert_eq!(sum([i128::MAX, 1, 2]), i128::MAX);
        assert_eq!(sum([1, 2, 3]), 6);
    }
}
