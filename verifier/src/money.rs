//! Drift-free money sums: costs are added as integer nano-dollars, so the total does not
//! depend on the order rows (or threads) were summed in.

/// Nano-dollars per dollar.
const NANOS: f64 = 1e9;

/// Convert dollars to nano-dollars (rounded to the nearest nano-dollar).
pub fn to_nanos(dollars: f64) -> i128 {
    if dollars.is_finite() {
        (dollars * NANOS).round() as i128
    } else {
        0
    }
}

/// Convert nano-dollars back to dollars.
pub fn to_dollars(nanos: i128) -> f64 {
    nanos as f64 / NANOS
}

/// Half a cent: the tolerance of every compared total.
pub const TOLERANCE_NANOS: i128 = 5_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_do_not_drift() {
        let total: i128 = (0..1_000_000).map(|_| to_nanos(0.1)).sum();
        assert_eq!(to_dollars(total), 100_000.0);
    }
}
