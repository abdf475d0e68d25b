//! The value range of a plot axis or colour bar, made safe to draw.
//!
//! plotters computes tick positions from `log10(hi − lo)` and steps from
//! `lo` to `hi`; an infinite, NaN or empty range never ends that loop (a
//! sweep's heat map of a column with no finite value hung forever). Every
//! plot of the project takes its range from [`Scale::of`], which always
//! gives finite `lo < hi` with a finite `hi − lo`, and says in
//! [`Scale::note`] what it had to do:
//!
//! * no finite value → `[0, 1]`, note "no finite value";
//! * one value `v` (or a span below 1e-9·|v|) → `v ± max(|v|/16, 1e-12)`,
//!   note "single value v" (a flat colour bar);
//! * values beyond ±[`LIMIT`] (where `hi − lo` would overflow) → clipped
//!   to ±`LIMIT`, with a note;
//! * some values NaN or ±inf → range of the finite ones, note "k of n not
//!   finite".

/// Largest magnitude kept on an axis: `LIMIT − (−LIMIT)` is finite.
pub const LIMIT: f64 = f64::MAX / 4.0;

/// A drawable range and what was done to get it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    /// Lower end, finite.
    pub lo: f64,
    /// Upper end, finite, `> lo`, with `hi − lo` finite.
    pub hi: f64,
    /// The single value, when all finite values are (nearly) equal.
    pub single: Option<f64>,
    /// Number of finite values.
    pub finite: usize,
    /// Number of values that were not finite.
    pub non_finite: usize,
    /// Whether finite values beyond ±[`LIMIT`] were clipped.
    pub clipped: bool,
}

impl Scale {
    /// The range of `values`' finite members.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut finite, mut non_finite) = (0usize, 0usize);
        for v in values {
            if v.is_finite() {
                finite += 1;
                lo = lo.min(v);
                hi = hi.max(v);
            } else {
                non_finite += 1;
            }
        }
        let mut s = Self {
            lo: 0.0,
            hi: 1.0,
            single: None,
            finite,
            non_finite,
            clipped: false,
        };
        if finite == 0 {
            return s;
        }
        s.clipped = lo < -LIMIT || hi > LIMIT;
        let (lo, hi) = (lo.clamp(-LIMIT, LIMIT), hi.clamp(-LIMIT, LIMIT));
        let mag = lo.abs().max(hi.abs());
        if hi - lo <= 1e-9 * mag || hi == lo {
            let v = 0.5 * lo + 0.5 * hi;
            let pad = (v.abs() / 16.0).max(1e-12);
            s.single = Some(v);
            s.lo = v - pad;
            s.hi = v + pad;
        } else {
            s.lo = lo;
            s.hi = hi;
        }
        s
    }

    /// Whether no value was finite (the plot has nothing to show).
    pub fn empty(&self) -> bool {
        self.finite == 0
    }

    /// The range widened by `frac` of its span on each side (still finite).
    pub fn padded(&self, frac: f64) -> (f64, f64) {
        let pad = (self.hi - self.lo) * frac;
        (
            (self.lo - pad).max(-f64::MAX / 2.0),
            (self.hi + pad).min(f64::MAX / 2.0),
        )
    }

    /// Position of `v` in the range, 0 at `lo`, 1 at `hi` (clamped), 0.5
    /// for a single value; `None` for a value that is not finite.
    pub fn fraction(&self, v: f64) -> Option<f64> {
        if !v.is_finite() {
            return None;
        }
        if self.single.is_some() {
            return Some(0.5);
        }
        Some(((v.clamp(-LIMIT, LIMIT) - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0))
    }

    /// What a reader of the plot must be told, if anything: "no finite
    /// value", "single value 3.2e-1", "2 of 98 values not finite",
    /// "values beyond ±4.5e307 clipped".
    pub fn note(&self) -> Option<String> {
        if self.finite == 0 {
            return Some(if self.non_finite == 0 {
                "no data".into()
            } else {
                "no finite value".into()
            });
        }
        let mut parts = vec![];
        if let Some(v) = self.single {
            parts.push(format!("single value {}", short(v)));
        }
        if self.non_finite > 0 {
            parts.push(format!(
                "{} of {} values not finite",
                self.non_finite,
                self.non_finite + self.finite
            ));
        }
        if self.clipped {
            parts.push(format!("values beyond ±{LIMIT:.1e} clipped"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// A tick label for `v` on an axis whose ticks are about `step` apart:
/// integers without a decimal point (`5`, not `5.0`), as many decimals as
/// the step needs (`0.25`), powers of ten where plain numbers would be
/// long (`1.5e-7`, `2e6`).
pub fn tick(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let step = step.abs();
    let big = v.abs().max(step);
    if v == 0.0 {
        return "0".into();
    }
    if step == 0.0 && v.fract() == 0.0 && v.abs() < 1e6 {
        return format!("{v:.0}");
    }
    if big >= 1e6 || (step > 0.0 && step < 1e-4) || (step == 0.0 && big < 1e-4) {
        // d significant digits of the step
        let exp = v.abs().log10().floor();
        let mant = v / 10f64.powf(exp);
        let digits = if step > 0.0 {
            ((exp - step.log10().floor()).max(0.0) as usize).min(6)
        } else {
            2
        };
        let m = format!("{mant:.digits$}");
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            m
        };
        return format!("{m}e{exp}");
    }
    let decimals = if step > 0.0 {
        (-(step.log10().floor())).max(0.0) as usize
    } else {
        4
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            "0".into()
        } else {
            t.to_string()
        }
    } else if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// About the distance between the ticks of an axis spanning `span` (about
/// ten ticks): a power of ten, what [`tick`] needs to choose its decimals.
pub fn tick_step(span: f64) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 0.0;
    }
    10f64.powf((span / 10.0).log10().floor())
}

/// How a quantity in `unit` is shown on a plot: the factor its values are
/// multiplied by and the unit then written. Rates in kHz (the TVB-AdEx
/// models' unit) are shown in Hz; a dimensionless unit (`1`, empty) is not
/// written.
pub fn display_unit(unit: &str) -> (f64, String) {
    match unit.trim() {
        "kHz" => (1000.0, "Hz".into()),
        "1" | "" => (1.0, String::new()),
        u => (1.0, u.to_string()),
    }
}

/// An axis title: `E (Hz)`, or `E` for a dimensionless quantity.
pub fn axis_label(name: &str, shown_unit: &str) -> String {
    if shown_unit.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({shown_unit})")
    }
}

/// A value for a caption: `0`, `0.0125`, `-65`, `3.2e-7`.
pub fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if (1e-3..1e5).contains(&v.abs()) {
        let s = format!("{v:.4}");
        return s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{v:.3e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawable(s: &Scale) {
        assert!(s.lo.is_finite() && s.hi.is_finite() && s.hi > s.lo, "{s:?}");
        assert!((s.hi - s.lo).is_finite(), "{s:?}");
        let (a, b) = s.padded(0.05);
        assert!(a.is_finite() && b.is_finite() && b > a && (b - a).is_finite());
    }

    #[test]
    fn ordinary_values_keep_their_range() {
        let s = Scale::of([1.0, -2.0, 3.5]);
        assert_eq!((s.lo, s.hi, s.note()), (-2.0, 3.5, None));
        assert_eq!(s.fraction(-2.0), Some(0.0));
        assert_eq!(s.fraction(3.5), Some(1.0));
    }

    #[test]
    fn no_finite_value_gives_unit_range_and_says_so() {
        for vals in [
            vec![],
            vec![f64::NAN; 5],
            vec![f64::INFINITY, f64::NEG_INFINITY],
        ] {
            let s = Scale::of(vals.clone());
            drawable(&s);
            assert!(s.empty());
            let note = s.note().unwrap();
            assert!(
                note == "no finite value" || (vals.is_empty() && note == "no data"),
                "{note}"
            );
            assert_eq!(s.fraction(f64::NAN), None);
        }
    }

    #[test]
    fn single_value_is_padded_and_flat() {
        for v in [0.0, 1e-300, -7.0, 1e300, f64::MAX, -f64::MAX, 5e-324] {
            let s = Scale::of([v, v, f64::NAN]);
            drawable(&s);
            assert!(s.single.is_some(), "{v}: {s:?}");
            assert_eq!(s.fraction(v), Some(0.5));
            let note = s.note().unwrap();
            assert!(note.contains("single value"), "{note}");
            assert!(note.contains("1 of 3 values not finite"), "{note}");
        }
        // nearly equal values count as one
        assert_eq!(Scale::of([0.0]).note().unwrap(), "single value 0");
        assert_eq!(short(-65.0), "-65");
        assert_eq!(short(0.0125), "0.0125");
        assert_eq!(short(3.2e-7), "3.200e-7");
        let s = Scale::of([1e10, 1e10 + 1e-3]);
        assert!(s.single.is_some());
        drawable(&s);
    }

    #[test]
    fn ticks_read_as_people_write_them() {
        assert_eq!(tick(5.0, 5.0), "5");
        assert_eq!(tick(200.0, 200.0), "200");
        assert_eq!(tick(-65.0, 5.0), "-65");
        assert_eq!(tick(0.25, 0.05), "0.25");
        assert_eq!(tick(0.3, 0.1), "0.3");
        assert_eq!(tick(-0.0, 0.1), "0");
        assert_eq!(tick(1.5e-7, 5e-8), "1.5e-7");
        assert_eq!(tick(2e6, 1e6), "2e6");
        assert_eq!(tick(1000.0, 100.0), "1000");
        assert_eq!(tick(500.0, tick_step(6000.0)), "500");
        assert_eq!(tick(-1.5, tick_step(4.5)), "-1.5");
        assert_eq!(tick(2.0, tick_step(4.5)), "2");
        assert_eq!(tick_step(0.0), 0.0);
        assert_eq!(display_unit("kHz"), (1000.0, "Hz".to_string()));
        assert_eq!(axis_label("E", &display_unit("1").1), "E");
        assert_eq!(axis_label("V", "mV"), "V (mV)");
    }

    #[test]
    fn extreme_spans_are_clipped_to_a_finite_width() {
        let s = Scale::of([-f64::MAX, f64::MAX, 0.0]);
        drawable(&s);
        assert!(s.clipped);
        assert!(s.note().unwrap().contains("clipped"));
        assert_eq!(s.fraction(f64::MAX), Some(1.0));
        assert_eq!(s.fraction(0.0), Some(0.5));
    }
}
