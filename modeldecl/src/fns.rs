//! The built-in functions of the expression language, one definition each:
//! the Rust generated for built-in models and the batch evaluator of users'
//! models both call these, so a model gives the same bits either way.
//!
//! Transcendentals are the platform's libm (`f64::exp` and friends: glibc
//! on Linux, as numba and numpy's baseline loops use), `erf`/`erfc` the
//! `libm` crate's (musl). `min`, `max` and `sign` follow numpy (NaN
//! propagates; `sign(0) = 0`), not Rust's `f64::min`/`signum`.

/// Every function: name, number of arguments, what it computes.
pub const FUNCTIONS: &[(&str, usize, &str)] = &[
    ("exp", 1, "eˣ"),
    ("log", 1, "natural logarithm"),
    ("log10", 1, "base-10 logarithm"),
    ("sqrt", 1, "square root"),
    ("abs", 1, "absolute value"),
    ("sin", 1, "sine (radians)"),
    ("cos", 1, "cosine"),
    ("tan", 1, "tangent"),
    ("atan", 1, "arc tangent"),
    ("sinh", 1, "hyperbolic sine"),
    ("cosh", 1, "hyperbolic cosine"),
    ("tanh", 1, "hyperbolic tangent"),
    ("erf", 1, "error function"),
    (
        "erfc",
        1,
        "complementary error function, 1 − erf(x) without cancellation",
    ),
    ("floor", 1, "largest integer ≤ x"),
    ("ceil", 1, "smallest integer ≥ x"),
    ("sign", 1, "−1, 0 or 1 (numpy's sign; NaN stays NaN)"),
    ("heaviside", 1, "1 for x > 0, else 0"),
    (
        "heaviside",
        2,
        "numpy's heaviside(x, h0): 0 below 0, h0 at 0, 1 above",
    ),
    (
        "pow",
        2,
        "xʸ by libm's pow (x^n with a whole-number literal n is repeated multiplication instead)",
    ),
    ("atan2", 2, "arc tangent of y/x in the right quadrant"),
    ("hypot", 2, "√(x² + y²) without overflow"),
    ("min", 2, "the smaller (numpy's minimum: NaN propagates)"),
    ("max", 2, "the larger (numpy's maximum: NaN propagates)"),
    (
        "if",
        3,
        "if(condition, a, b): a where the condition holds, else b (numpy's where)",
    ),
];

/// Named constants.
pub const CONSTANTS: &[(&str, f64)] = &[("pi", std::f64::consts::PI), ("inf", f64::INFINITY)];

/// One-argument functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum F1 {
    Exp,
    Log,
    Log10,
    Sqrt,
    Abs,
    Sin,
    Cos,
    Tan,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Erf,
    Erfc,
    Floor,
    Ceil,
    Sign,
    Heaviside,
}

/// Two-argument functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum F2 {
    Pow,
    Atan2,
    Hypot,
    Min,
    Max,
    Heaviside,
}

impl F1 {
    /// The function by name.
    pub fn by_name(n: &str) -> Option<Self> {
        Some(match n {
            "exp" => Self::Exp,
            "log" => Self::Log,
            "log10" => Self::Log10,
            "sqrt" => Self::Sqrt,
            "abs" => Self::Abs,
            "sin" => Self::Sin,
            "cos" => Self::Cos,
            "tan" => Self::Tan,
            "atan" => Self::Atan,
            "sinh" => Self::Sinh,
            "cosh" => Self::Cosh,
            "tanh" => Self::Tanh,
            "erf" => Self::Erf,
            "erfc" => Self::Erfc,
            "floor" => Self::Floor,
            "ceil" => Self::Ceil,
            "sign" => Self::Sign,
            "heaviside" => Self::Heaviside,
            _ => return None,
        })
    }

    /// Rust path of the implementation (for generated code).
    pub fn rust(self) -> &'static str {
        match self {
            Self::Exp => "exp",
            Self::Log => "log",
            Self::Log10 => "log10",
            Self::Sqrt => "sqrt",
            Self::Abs => "abs",
            Self::Sin => "sin",
            Self::Cos => "cos",
            Self::Tan => "tan",
            Self::Atan => "atan",
            Self::Sinh => "sinh",
            Self::Cosh => "cosh",
            Self::Tanh => "tanh",
            Self::Erf => "erf",
            Self::Erfc => "erfc",
            Self::Floor => "floor",
            Self::Ceil => "ceil",
            Self::Sign => "sign",
            Self::Heaviside => "heaviside",
        }
    }

    /// Evaluates.
    #[inline(always)]
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Self::Exp => exp(x),
            Self::Log => log(x),
            Self::Log10 => log10(x),
            Self::Sqrt => sqrt(x),
            Self::Abs => abs(x),
            Self::Sin => sin(x),
            Self::Cos => cos(x),
            Self::Tan => tan(x),
            Self::Atan => atan(x),
            Self::Sinh => sinh(x),
            Self::Cosh => cosh(x),
            Self::Tanh => tanh(x),
            Self::Erf => erf(x),
            Self::Erfc => erfc(x),
            Self::Floor => floor(x),
            Self::Ceil => ceil(x),
            Self::Sign => sign(x),
            Self::Heaviside => heaviside(x),
        }
    }
}

impl F2 {
    /// The function by name.
    pub fn by_name(n: &str) -> Option<Self> {
        Some(match n {
            "pow" => Self::Pow,
            "atan2" => Self::Atan2,
            "hypot" => Self::Hypot,
            "min" => Self::Min,
            "max" => Self::Max,
            "heaviside" => Self::Heaviside,
            _ => return None,
        })
    }

    /// Rust path of the implementation (for generated code).
    pub fn rust(self) -> &'static str {
        match self {
            Self::Pow => "pow",
            Self::Atan2 => "atan2",
            Self::Hypot => "hypot",
            Self::Min => "minimum",
            Self::Max => "maximum",
            Self::Heaviside => "heaviside2",
        }
    }

    /// Evaluates.
    #[inline(always)]
    pub fn eval(self, a: f64, b: f64) -> f64 {
        match self {
            Self::Pow => pow(a, b),
            Self::Atan2 => atan2(a, b),
            Self::Hypot => hypot(a, b),
            Self::Min => minimum(a, b),
            Self::Max => maximum(a, b),
            Self::Heaviside => heaviside2(a, b),
        }
    }
}

macro_rules! std1 {
    ($($name:ident),*) => {$(
        #[doc = concat!("`f64::", stringify!($name), "`.")]
        #[inline(always)]
        pub fn $name(x: f64) -> f64 {
            x.$name()
        }
    )*};
}
std1!(exp, sqrt, abs, sin, cos, tan, atan, sinh, cosh, tanh, floor, ceil, log10);

/// Natural logarithm (`f64::ln`).
#[inline(always)]
pub fn log(x: f64) -> f64 {
    x.ln()
}

/// The error function (`libm::erf`).
#[inline(always)]
pub fn erf(x: f64) -> f64 {
    libm::erf(x)
}

/// The complementary error function (`libm::erfc`).
#[inline(always)]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

/// numpy's `sign`: −1, 0 (also for −0) or 1; NaN stays NaN.
#[inline(always)]
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x * 0.0 // 0 for ±0, NaN for NaN
    }
}

/// 1 for `x > 0`, else 0 (NaN for NaN).
#[inline(always)]
pub fn heaviside(x: f64) -> f64 {
    heaviside2(x, 0.0)
}

/// numpy's `heaviside(x, h0)`.
#[inline(always)]
pub fn heaviside2(x: f64, h0: f64) -> f64 {
    if x.is_nan() {
        x
    } else if x > 0.0 {
        1.0
    } else if x < 0.0 {
        0.0
    } else {
        h0
    }
}

/// libm's `pow` (`f64::powf`).
#[inline(always)]
pub fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// `f64::atan2`: `atan2(y, x)`.
#[inline(always)]
pub fn atan2(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

/// `f64::hypot`.
#[inline(always)]
pub fn hypot(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

/// numpy's `minimum`: NaN if either is NaN.
#[inline(always)]
pub fn minimum(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if b < a {
        b
    } else {
        a
    }
}

/// numpy's `maximum`: NaN if either is NaN.
#[inline(always)]
pub fn maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if b > a {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_semantics() {
        assert_eq!(sign(0.0), 0.0);
        assert_eq!(sign(-3.0), -1.0);
        assert!(sign(f64::NAN).is_nan());
        assert!(minimum(1.0, f64::NAN).is_nan() && maximum(f64::NAN, 1.0).is_nan());
        assert_eq!((minimum(1.0, 2.0), maximum(1.0, 2.0)), (1.0, 2.0));
        assert_eq!(
            (heaviside(0.0), heaviside2(0.0, 0.5), heaviside(2.0)),
            (0.0, 0.5, 1.0)
        );
        for (n, k, _) in FUNCTIONS {
            match k {
                1 => assert!(F1::by_name(n).is_some(), "{n}"),
                2 => assert!(F2::by_name(n).is_some(), "{n}"),
                _ => assert_eq!(*n, "if"),
            }
        }
    }
}
