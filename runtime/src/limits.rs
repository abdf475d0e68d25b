//! Documented maxima of the times a graph may ask for, the checked
//! conversion of a time in ms into whole steps that enforces them, and the
//! short form numbers take in messages.
//!
//! Every time of a graph (`dt_ms`, `duration_ms`, `sync_ms`, `delay_ms`)
//! goes through [`steps`]: a value that is not finite, negative, not a whole
//! number of steps, or more than [`MAX_STEPS`] steps is refused with the
//! reason, never saturated or wrapped.

/// The most steps a run (and so any delay or window) may have: 2^40 ≈ 1.1e12
/// (about 3.5 years of simulated time at dt = 0.1 ms). Step counts stay far
/// below where `u64` stamps could wrap and are exact in `f64`.
pub const MAX_STEPS: u64 = 1 << 40;

/// Smallest integration step, ms (1 ns).
pub const MIN_DT_MS: f64 = 1e-6;

/// Largest integration step, ms (1000 s).
pub const MAX_DT_MS: f64 = 1e6;

/// Why a time is not a valid number of steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepsError {
    /// NaN or infinite.
    NotFinite,
    /// Below zero.
    Negative,
    /// Not a whole number of steps of `dt`.
    NotMultiple,
    /// More than [`MAX_STEPS`]; the number of steps it would be.
    TooMany(f64),
}

impl StepsError {
    /// The cause, for a message about `ms` milliseconds at step `dt` ms.
    pub fn describe(&self, ms: f64, dt: f64) -> String {
        match self {
            StepsError::NotFinite => format!("{} is not a finite time", short(ms)),
            StepsError::Negative => format!("{} ms is negative", short(ms)),
            StepsError::NotMultiple => format!(
                "{} ms is not a whole number of steps of {} ms",
                short(ms),
                short(dt)
            ),
            StepsError::TooMany(s) => format!(
                "{} ms is {} steps of {} ms; at most {} steps (2^40) are allowed",
                short(ms),
                short(*s),
                short(dt),
                MAX_STEPS
            ),
        }
    }
}

/// `ms / dt` as a whole number of steps (within 1e-6 relative), at most
/// [`MAX_STEPS`]. `dt` must be finite and > 0.
pub fn steps(ms: f64, dt: f64) -> Result<u64, StepsError> {
    if !ms.is_finite() {
        return Err(StepsError::NotFinite);
    }
    if ms < 0.0 {
        return Err(StepsError::Negative);
    }
    let s = ms / dt;
    if !s.is_finite() || s > MAX_STEPS as f64 {
        return Err(StepsError::TooMany(s));
    }
    let r = s.round();
    if (s - r).abs() > 1e-6 * r.max(1.0) {
        return Err(StepsError::NotMultiple);
    }
    // r is finite, ≥ 0 and ≤ 2^40: exact as an integer
    Ok(r as u64)
}

/// A number as a message shows it: plain when that is short (`0.1`,
/// `1000`, `-2.5`), else in scientific notation with at most 6 significant
/// digits (`1e-300`, `6.77669e303`), never hundreds of digits.
pub fn short(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let plain = format!("{x}");
    let a = x.abs();
    if plain.len() <= 12 && (a == 0.0 || (1e-4..1e12).contains(&a)) {
        return plain;
    }
    let e = format!("{x:.5e}");
    // trim trailing zeros of the mantissa: 1.50000e3 → 1.5e3
    match e.split_once('e') {
        Some((m, exp)) if m.contains('.') => {
            let m = m.trim_end_matches('0').trim_end_matches('.');
            format!("{m}e{exp}")
        }
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_checked() {
        assert_eq!(steps(1000.0, 0.1), Ok(10000));
        assert_eq!(steps(0.0, 0.1), Ok(0));
        assert_eq!(steps(0.15, 0.1), Err(StepsError::NotMultiple));
        assert_eq!(steps(-1.0, 0.1), Err(StepsError::Negative));
        assert_eq!(steps(f64::NAN, 0.1), Err(StepsError::NotFinite));
        assert!(matches!(steps(1e300, 0.1), Err(StepsError::TooMany(_))));
        assert!(matches!(steps(1e12, 0.1), Err(StepsError::TooMany(_))));
        assert!(matches!(steps(1.0, 1e-300), Err(StepsError::TooMany(_))));
        assert_eq!(steps(MAX_STEPS as f64, 1.0), Ok(MAX_STEPS));
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(short(0.1), "0.1");
        assert_eq!(short(1000.0), "1000");
        assert_eq!(short(1e-300), "1e-300");
        assert_eq!(short(6.776690666666666e303), "6.77669e303");
        assert_eq!(short(1e300), "1e300");
        assert_eq!(short(18446744073709551615.0), "1.84467e19");
        assert_eq!(short(f64::NAN), "NaN");
        assert_eq!(short(1e-6), "1e-6");
        assert_eq!(short(1e6), "1000000");
        assert_eq!(short(0.0), "0");
        assert!(short(-1.23456789e-20).len() < 14);
    }
}
