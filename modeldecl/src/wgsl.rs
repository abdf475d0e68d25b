//! WGSL for the Vulkan backend (`brainstream-gpu`): from a [`Program`], the
//! model part of a compute kernel — `NV`, `NC`, `NP`, `CVAR`, `prepare()`
//! and `dfun` — which `gpu/shaders/step.wgsl` follows. `gpu/build.rs`
//! writes it for every built-in model; the Vulkan backend writes it at run
//! time for a user's model. naga compiles either to SPIR-V.
//!
//! The operations are the program's, in its order, one `let` each (never
//! reassociated; the driver may still contract `a·b + c` into a fused
//! multiply-add, which the Vulkan backend's tolerances absorb). State,
//! coupling and parameters are f32 in the kernel's buffers; the right-hand
//! side is computed in the [`Precision`] asked for:
//!
//! * [`Precision::F64`] (devices with shaderFloat64): every operation in
//!   f64. Vulkan's `exp`, `log`, `sin`, `pow`... exist in f32 only, so the
//!   functions of [`crate::fns`] are written here in f64 ([`library`]):
//!   `exp` and `log` by argument reduction and polynomials (≤ 2 ulp),
//!   `sin`/`cos` by a three-part π/2 reduction (accurate for |x| < 10⁶),
//!   `erf`/`erfc` ported from fdlibm (the `libm` crate's, which the CPU
//!   engine calls), `pow` as `exp(y·log|x|)` with numpy's signs and special
//!   cases. Measured against the CPU engine in `gpu/tests/`.
//! * [`Precision::F32`] (devices without it, or on request): WGSL's
//!   built-ins, with `erf`/`erfc`, `tanh`, `pow`, `hypot` written so that
//!   they hold where the built-ins are undefined or overflow. A model whose
//!   right-hand side f32 cannot resolve (tvb-library's TVB-AdEx second
//!   order differentiates its transfer function by central differences with
//!   a 1e-7 step) is found by [`f32_error`] and refused in f32.
//!
//! Operations on parameters alone ([`Program::uniform`]) are computed once
//! per thread and step in `prepare()`, not in each stage's `dfun`.
//! `if(c, a, b)` is `select(b, a, c)` (both branches are computed, as on
//! the CPU). Comparisons follow Rust's (`!=` is true for NaN: written
//! `!(a == b)`, since SPIR-V's `!=` is ordered); `min`, `max`, `sign` and
//! `heaviside` follow numpy through `select`.

use std::fmt::Write;

use crate::expr::{BinOp, CmpOp};
use crate::fns::{F1, F2};
use crate::lower::{operands, Node, Program};

/// Arithmetic of a kernel's right-hand side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    /// The WGSL type.
    pub fn ty(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F64 => "f64",
        }
    }

    /// A finite literal (`None` for ±∞ and NaN, which WGSL cannot write).
    fn literal(self, v: f64) -> Option<String> {
        let (text, neg) = match self {
            Self::F64 => {
                if !v.is_finite() {
                    return None;
                }
                (format!("{:?}lf", v.abs()), v.is_sign_negative())
            }
            Self::F32 => {
                let f = v as f32;
                if !f.is_finite() {
                    return None;
                }
                (format!("{:?}f", f.abs()), f.is_sign_negative())
            }
        };
        Some(if neg { format!("(-{text})") } else { text })
    }

    /// Any constant: a literal, or built from `k_inf` (set in `prepare`).
    pub(crate) fn constant(self, v: f64) -> String {
        match self.literal(v) {
            Some(l) => l,
            None if v.is_nan() => "(k_inf - k_inf)".into(),
            None if v > 0.0 => "k_inf".into(),
            None => "(-k_inf)".into(),
        }
    }
}

/// WGSL's name of a one-argument function of [`crate::fns`].
fn f1_name(f: F1) -> &'static str {
    match f {
        F1::Exp => "m_exp",
        F1::Log => "m_log",
        F1::Log10 => "m_log10",
        F1::Sqrt => "m_sqrt",
        F1::Abs => "m_abs",
        F1::Sin => "m_sin",
        F1::Cos => "m_cos",
        F1::Tan => "m_tan",
        F1::Atan => "m_atan",
        F1::Sinh => "m_sinh",
        F1::Cosh => "m_cosh",
        F1::Tanh => "m_tanh",
        F1::Erf => "m_erf",
        F1::Erfc => "m_erfc",
        F1::Floor => "m_floor",
        F1::Ceil => "m_ceil",
        F1::Sign => "m_sign",
        F1::Heaviside => "m_heaviside",
    }
}

/// WGSL's name of a two-argument function of [`crate::fns`].
fn f2_name(f: F2) -> &'static str {
    match f {
        F2::Pow => "m_pow",
        F2::Atan2 => "m_atan2",
        F2::Hypot => "m_hypot",
        F2::Min => "m_min",
        F2::Max => "m_max",
        F2::Heaviside => "m_heaviside2",
    }
}

/// The WGSL of operation `n` of `p` whose operands `operand` writes: an
/// arithmetic, comparison, logical or function node (not a leaf — constant,
/// parameter, state or coupling — which each kernel part writes its own
/// way). An operation of constants alone takes its first numeric operand
/// through `opq`, so that naga does not fold it (it refuses a folded ∞ or
/// NaN, where the CPU computes one).
pub(crate) fn operation(
    p: &Program,
    is_bool: &[bool],
    n: &Node,
    operand: impl Fn(u32) -> String,
) -> String {
    let all_const = operands(n).count() > 0
        && operands(n).all(|a| matches!(p.nodes[a as usize], Node::Const(_)));
    let mut first = true;
    let mut o = |a: u32| -> String {
        let s = operand(a);
        if all_const && first && !is_bool[a as usize] {
            first = false;
            format!("opq({s})")
        } else {
            s
        }
    };
    match *n {
        Node::Neg(a) => format!("-{}", o(a)),
        Node::Bin(op, a, b) => {
            let op = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
            };
            let x = o(a);
            format!("{x} {op} {}", o(b))
        }
        Node::F1(f, a) => format!("{}({})", f1_name(f), operand(a)),
        Node::F2(f, a, b) => format!("{}({}, {})", f2_name(f), operand(a), operand(b)),
        Node::Cmp(op, a, b) => {
            let x = o(a);
            let y = o(b);
            match op {
                CmpOp::Lt => format!("{x} < {y}"),
                CmpOp::Le => format!("{x} <= {y}"),
                CmpOp::Gt => format!("{x} > {y}"),
                CmpOp::Ge => format!("{x} >= {y}"),
                CmpOp::Eq => format!("{x} == {y}"),
                CmpOp::Ne => format!("!({x} == {y})"),
            }
        }
        Node::And(a, b) => format!("{} && {}", operand(a), operand(b)),
        Node::Or(a, b) => format!("{} || {}", operand(a), operand(b)),
        Node::Not(a) => format!("!{}", operand(a)),
        Node::Select(c, a, b) => {
            format!("select({}, {}, {})", operand(b), operand(a), operand(c))
        }
        Node::Const(_) | Node::Param(_) | Node::State(_) | Node::Coupling(_) => {
            unreachable!("a leaf is written by the kernel part")
        }
    }
}

/// Whether each operation gives a truth value.
pub(crate) fn truth(p: &Program) -> Vec<bool> {
    let mut t = vec![false; p.nodes.len()];
    for (i, n) in p.nodes.iter().enumerate() {
        t[i] = match *n {
            Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(..) => true,
            Node::Select(_, a, _) => t[a as usize],
            _ => false,
        };
    }
    t
}

/// The model part of a kernel for `p` with its right-hand side in `prec`:
/// the constants step.wgsl reads (`NV`, `NC`, `NP`, `CVAR`), the function
/// library, `prepare()` and `dfun`. An error says why a program cannot be
/// a kernel (no coupled variable: the step's history has none to hold).
pub fn model(p: &Program, prec: Precision) -> Result<String, String> {
    model_with_state(p, prec, Precision::F32)
}

/// As [`model`], with the state `dfun` takes and returns in `state`
/// (`array<state, NV>`) rather than f32: the single-network kernel of the
/// Vulkan backend (`gpu/shaders/network.wgsl`) keeps its state in f64 where
/// the right-hand side is f64, as the CPU engine does. The coupling terms
/// stay f32 (the history's type, as on the CPU).
pub fn model_with_state(p: &Program, prec: Precision, state: Precision) -> Result<String, String> {
    if p.cvar.is_empty() {
        return Err(format!(
            "model {} has no coupled variable (`coupling = [...]`): the Vulkan kernel's coupling needs one",
            p.name
        ));
    }
    if p.states.is_empty() {
        return Err(format!("model {} has no state variable", p.name));
    }
    let ty = prec.ty();
    let live = p.live();
    let is_bool = truth(p);
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "// {}: generated from its declaration by brainstream-modeldecl (wgsl.rs); do not edit.",
        p.name
    );
    let _ = writeln!(
        w,
        "// Right-hand side in {ty}; state {}, coupling and parameters f32.",
        state.ty()
    );
    let names: Vec<String> = p
        .params
        .iter()
        .flat_map(|q| {
            (0..q.len).map(move |k| {
                if q.vector {
                    format!("{}[{k}]", q.name)
                } else {
                    q.name.clone()
                }
            })
        })
        .collect();
    let _ = writeln!(w, "// params: {}", names.join(" "));
    let _ = writeln!(w, "const NV: u32 = {}u;", p.states.len());
    let _ = writeln!(w, "const NC: u32 = {}u;", p.cvar.len());
    let _ = writeln!(w, "const NP: u32 = {}u;", p.n_values);
    let _ = writeln!(
        w,
        "const CVAR: array<u32, {n}> = array<u32, {n}>({});",
        p.cvar
            .iter()
            .map(|c| format!("{c}u"))
            .collect::<Vec<_>>()
            .join(", "),
        n = p.cvar.len()
    );
    let _ = writeln!(w);
    w.push_str(&library(prec));
    let _ = writeln!(w);

    // uniform operations: computed in prepare(); those the right-hand side
    // reads (or that are derivatives) kept in private variables
    let mut kept = vec![false; p.nodes.len()];
    for (i, n) in p.nodes.iter().enumerate() {
        if live[i] && !p.uniform[i] {
            for a in operands(n) {
                kept[a as usize] |= p.uniform[a as usize];
            }
        }
    }
    for &d in &p.derivatives {
        kept[d as usize] |= p.uniform[d as usize];
    }
    for (i, n) in p.nodes.iter().enumerate() {
        if matches!(n, Node::Const(_)) {
            kept[i] = false;
        }
    }
    for (i, k) in kept.iter().enumerate() {
        if *k {
            let t = if is_bool[i] { "bool" } else { ty };
            let _ = writeln!(w, "var<private> u_{i}: {t};");
        }
    }
    let _ = writeln!(w, "var<private> k_inf: {ty};");
    let _ = writeln!(w);

    // An operand: a constant inline, a kept uniform value by its private
    // variable (in dfun), anything else by its `let`.
    let operand = |a: u32, in_dfun: bool| -> String {
        let a = a as usize;
        match p.nodes[a] {
            Node::Const(b) => prec.constant(f64::from_bits(b)),
            _ if in_dfun && p.uniform[a] => format!("u_{a}"),
            _ => format!("t{a}"),
        }
    };
    // The expression of operation `i`. An operation of constants alone
    // takes its first operand through `opq`, so that naga does not fold it
    // (it refuses a folded ∞ or NaN, where the CPU computes one).
    let expr = |i: usize, in_dfun: bool| -> String {
        match p.nodes[i] {
            Node::Const(b) => prec.constant(f64::from_bits(b)),
            Node::Param(k) => match prec {
                Precision::F64 => format!("f64(p({k}u))"),
                Precision::F32 => format!("p({k}u)"),
            },
            Node::State(k) => format!("{ty}(xs[{k}])"),
            Node::Coupling(k) => format!("{ty}(cpl[{k}])"),
            ref n => operation(p, &is_bool, n, |a| operand(a, in_dfun)),
        }
    };

    let _ = writeln!(
        w,
        "// What depends on the parameters alone: once per thread and step."
    );
    let _ = writeln!(w, "fn prepare() {{");
    let _ = writeln!(w, "    k_inf = 1.0 / opq(0.0);");
    for i in 0..p.nodes.len() {
        if live[i] && p.uniform[i] && !matches!(p.nodes[i], Node::Const(_)) {
            let _ = writeln!(w, "    let t{i} = {};", expr(i, false));
            if kept[i] {
                let _ = writeln!(w, "    u_{i} = t{i};");
            }
        }
    }
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);
    let sty = state.ty();
    let _ = writeln!(
        w,
        "fn dfun(xs: array<{sty}, NV>, cpl: array<f32, NC>) -> array<{sty}, NV> {{"
    );
    for (i, (&l, &u)) in live.iter().zip(&p.uniform).enumerate() {
        if l && !u {
            let _ = writeln!(w, "    let t{i} = {};", expr(i, true));
        }
    }
    let _ = writeln!(w, "    var dx: array<{sty}, NV>;");
    for (k, &d) in p.derivatives.iter().enumerate() {
        let v = operand(d, true);
        if prec == state {
            let _ = writeln!(w, "    dx[{k}] = {v};");
        } else {
            let _ = writeln!(w, "    dx[{k}] = {sty}({v});");
        }
    }
    let _ = writeln!(w, "    return dx;");
    let _ = writeln!(w, "}}");
    Ok(out)
}

/// `1/n!` for the Taylor polynomials, as f64 literals (highest first).
fn inv_factorials(from: u32, to: u32, step: usize) -> Vec<String> {
    let mut f = vec![1.0f64];
    for n in 1..=to {
        f.push(f[n as usize - 1] * n as f64);
    }
    (from..=to)
        .rev()
        .step_by(step)
        .map(|n| format!("{:?}lf", 1.0 / f[n as usize]))
        .collect()
}

/// Horner's scheme in `v` over coefficients (highest first).
fn horner(v: &str, coef: &[String]) -> String {
    let mut s = coef[0].clone();
    for c in &coef[1..] {
        s = format!("{c} + {v} * ({s})");
    }
    s
}

/// The Taylor coefficients of sin or cos with their signs: `coeffs` are
/// 1/n! for n = `top`, `top` − 2, ..., each negated where (−1)^(⌊n/2⌋) is
/// −1 (written `(-c)`).
fn alternating(coeffs: Vec<String>, top: u32) -> Vec<String> {
    coeffs
        .into_iter()
        .enumerate()
        .map(|(k, c)| {
            let n = top - 2 * k as u32;
            if (n / 2) % 2 == 1 {
                format!("(-{c})")
            } else {
                c
            }
        })
        .collect()
}

/// The WGSL functions `m_*` of every built-in function, in `prec`, and
/// `opq` (the identity, which naga does not fold).
pub fn library(prec: Precision) -> String {
    let common = COMMON.replace("$T", prec.ty()).replace(
        "$L",
        match prec {
            Precision::F32 => "f",
            Precision::F64 => "lf",
        },
    );
    match prec {
        Precision::F32 => format!("{common}{LIB_F32}"),
        Precision::F64 => {
            // exp: Taylor to r^13 on |r| ≤ ln2/2 (truncation < 4e-18)
            let exp_poly = horner("r", &inv_factorials(0, 13, 1));
            // sin: odd terms to r^21, cos: even terms to r^20, |r| ≤ π/4
            let sin_c = alternating(inv_factorials(1, 21, 2), 21);
            let cos_c = alternating(inv_factorials(0, 20, 2), 20);
            // sin(r) = r·S(r²): coefficients of S in r²
            let sin_poly = horner("r2", &sin_c);
            let cos_poly = horner("r2", &cos_c);
            // sinh for |x| < 1: odd terms to x^21
            let sinh_poly = horner("a2", &inv_factorials(1, 21, 2));
            // log: 2·atanh(s) = 2s·(1 + s²/3 + s⁴/5 + ... + s^24/25)
            let log_c: Vec<String> = (0..=12)
                .rev()
                .map(|k| format!("{:?}lf", 1.0 / (2 * k + 1) as f64))
                .collect();
            let log_poly = horner("s2", &log_c);
            // atan: t − t³/3 + ... to t^25 on |t| ≤ tan(π/16)
            let atan_c: Vec<String> = (0..=12)
                .rev()
                .map(|k| {
                    let v = 1.0 / (2 * k + 1) as f64;
                    if k % 2 == 1 {
                        format!("(-{v:?}lf)")
                    } else {
                        format!("{v:?}lf")
                    }
                })
                .collect();
            let atan_poly = horner("t2", &atan_c);
            let lib = LIB_F64
                .replace("$EXP_POLY", &exp_poly)
                .replace("$SIN_POLY", &sin_poly)
                .replace("$COS_POLY", &cos_poly)
                .replace("$SINH_POLY", &sinh_poly)
                .replace("$LOG_POLY", &log_poly)
                .replace("$ATAN_POLY", &atan_poly)
                .replace(
                    "$ERFC_BIG",
                    &format!("{:?}lf", f64::from_bits(0x4006db6d_00000000)),
                );
            format!("{common}{lib}")
        }
    }
}

/// Functions written once for both precisions (`$T` the type, `$L` the
/// literal suffix).
const COMMON: &str = r#"// The identity: naga does not fold a call, so an operation of constants
// alone stays for the device to compute (∞ and NaN included).
fn opq(x: $T) -> $T {
    return x;
}

fn m_isnan(x: $T) -> bool {
    return !(x == x);
}

fn m_sqrt(x: $T) -> $T {
    return sqrt(x);
}

fn m_abs(x: $T) -> $T {
    return abs(x);
}

fn m_floor(x: $T) -> $T {
    return floor(x);
}

fn m_ceil(x: $T) -> $T {
    return ceil(x);
}

// numpy's minimum and maximum: NaN if either is NaN.
fn m_min(a: $T, b: $T) -> $T {
    return select(select(a, b, b < a), b, m_isnan(b));
}

fn m_max(a: $T, b: $T) -> $T {
    return select(select(a, b, b > a), b, m_isnan(b));
}

// numpy's sign: −1, 0 (±0 kept) or 1; NaN stays NaN (x itself where it
// is neither below nor above 0: no arithmetic a compiler could fold).
fn m_sign(x: $T) -> $T {
    return select(select(x, -1.0$L, x < 0.0$L), 1.0$L, x > 0.0$L);
}

fn m_heaviside2(x: $T, h0: $T) -> $T {
    return select(select(select(h0, 0.0$L, x < 0.0$L), 1.0$L, x > 0.0$L), x, m_isnan(x));
}

fn m_heaviside(x: $T) -> $T {
    return m_heaviside2(x, 0.0$L);
}

fn m_hypot(x: $T, y: $T) -> $T {
    let a = abs(x);
    let b = abs(y);
    if (a == k_inf || b == k_inf) {
        return k_inf;
    }
    let m = max(a, b);
    let n = min(a, b);
    if (m_isnan(a) || m_isnan(b)) {
        return a + b;
    }
    if (m == 0.0$L) {
        return 0.0$L;
    }
    let r = n / m;
    return m * sqrt(1.0$L + r * r);
}

fn m_log10(x: $T) -> $T {
    return m_log(x) * 0.4342944819032518$L;
}

fn m_tan(x: $T) -> $T {
    return m_sin(x) / m_cos(x);
}

// libm's pow with numpy's special cases: x^0 = 1, 1^y = 1, a negative base
// only with a whole exponent (its sign from the exponent's parity).
fn m_pow(x: $T, y: $T) -> $T {
    if (y == 0.0$L || x == 1.0$L) {
        return 1.0$L;
    }
    if (m_isnan(x) || m_isnan(y)) {
        return x + y;
    }
    let ax = abs(x);
    let ay = abs(y);
    if (ay == k_inf) {
        if (ax == 1.0$L) {
            return 1.0$L;
        }
        return select(0.0$L, k_inf, (ax > 1.0$L) == (y > 0.0$L));
    }
    let whole = floor(y) == y;
    let odd = whole && floor(y * 0.5$L) * 2.0$L != y;
    if (x < 0.0$L && !whole && ax != k_inf) {
        return k_inf - k_inf;
    }
    var r: $T;
    if (ax == 0.0$L) {
        r = select(k_inf, 0.0$L, y > 0.0$L);
    } else if (ax == k_inf) {
        r = select(0.0$L, k_inf, y > 0.0$L);
    } else {
        r = m_pow_pos(ax, y);
    }
    // the sign of x (−0 included) goes with an odd exponent
    let neg = x < 0.0$L || (x == 0.0$L && 1.0$L / x < 0.0$L);
    return select(r, -r, neg && odd);
}

// atan2(y, x): the angle of (x, y) in (−π, π].
fn m_atan2(y: $T, x: $T) -> $T {
    if (m_isnan(x) || m_isnan(y)) {
        return x + y;
    }
    let pi = 3.141592653589793$L;
    let ypos = y > 0.0$L || (y == 0.0$L && 1.0$L / y > 0.0$L);
    let s = select(-1.0$L, 1.0$L, ypos);
    if (abs(x) == k_inf && abs(y) == k_inf) {
        return s * select(0.75$L * pi, 0.25$L * pi, x > 0.0$L);
    }
    if (x == 0.0$L) {
        if (y == 0.0$L) {
            let xpos = 1.0$L / x > 0.0$L;
            return select(s * pi, y, xpos);
        }
        return s * 0.5$L * pi;
    }
    let a = m_atan(y / x);
    if (x > 0.0$L) {
        return a;
    }
    return select(a - pi, a + pi, ypos);
}
"#;

/// f32: WGSL's built-ins where they are defined everywhere they are used.
const LIB_F32: &str = r#"
fn m_exp(x: f32) -> f32 {
    return exp(x);
}

fn m_log(x: f32) -> f32 {
    if (x < 0.0f) {
        return k_inf - k_inf;
    }
    if (x == 0.0f) {
        return -k_inf;
    }
    return log(x);
}

fn m_pow_pos(ax: f32, y: f32) -> f32 {
    return exp2(y * log2(ax));
}

fn m_sin(x: f32) -> f32 {
    return sin(x);
}

fn m_cos(x: f32) -> f32 {
    return cos(x);
}

fn m_atan(x: f32) -> f32 {
    return atan(x);
}

fn m_sinh(x: f32) -> f32 {
    let a = abs(x);
    if (a < 0.5f) {
        let a2 = a * a;
        return x * (1.0f + a2 * (0.16666667f + a2 * (0.008333334f + a2 * 0.0001984127f)));
    }
    let e = exp(a - 0.6931472f);
    return sign(x) * (e - 0.25f / e);
}

fn m_cosh(x: f32) -> f32 {
    let e = exp(abs(x) - 0.6931472f);
    return e + 0.25f / e;
}

fn m_tanh(x: f32) -> f32 {
    let a = abs(x);
    if (a > 10.0f) {
        return sign(x);
    }
    if (a < 0.5f) {
        let s = m_sinh(a);
        return sign(x) * s / sqrt(1.0f + s * s);
    }
    let e = exp(-2.0f * a);
    return sign(x) * (1.0f - e) / (1.0f + e);
}

// erfc by the Chebyshev fit of Numerical Recipes (erfcc, fractional error
// < 1.2e-7, smooth).
fn m_erfc(x: f32) -> f32 {
    if (m_isnan(x)) {
        return x;
    }
    let z = abs(x);
    let t = 1.0f / (1.0f + 0.5f * z);
    let ans = t * exp(-z * z - 1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f
        + t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f
        + t * (-0.82215223f + t * 0.17087277f)))))))));
    return select(2.0f - ans, ans, x >= 0.0f);
}

fn m_erf(x: f32) -> f32 {
    let a = abs(x);
    if (a < 0.5f) {
        let a2 = x * x;
        // 2/√π·(x − x³/3 + x⁵/10 − x⁷/42 + x⁹/216 − x¹¹/1320)
        return 1.1283792f * x * (1.0f + a2 * (-0.33333334f + a2 * (0.1f + a2 * (-0.023809524f
            + a2 * (0.0046296297f - a2 * 0.0007575758f)))));
    }
    return 1.0f - m_erfc(x);
}
"#;

/// f64: the functions Vulkan has in f32 only, written.
const LIB_F64: &str = r#"
// eˣ: x = k·ln2 + r, |r| ≤ ln2/2 (ln2 in two parts, k·ln2_hi exact), a
// Taylor polynomial to r¹³, times 2ᵏ in two steps (2ᵏ alone may not be a
// normal number).
fn m_exp(x: f64) -> f64 {
    if (m_isnan(x)) {
        return x;
    }
    if (x > 709.782712893384lf) {
        return k_inf;
    }
    if (x < -745.2lf) {
        return 0.0lf;
    }
    let k = round(x * 1.4426950408889634lf);
    let r = (x - k * 0.6931471803691238lf) - k * 1.9082149292705877e-10lf;
    let s = $EXP_POLY;
    let ki = i32(k);
    let k1 = ki / 2;
    return ldexp(ldexp(s, k1), ki - k1);
}

// x = m·2ᵉ, m in [½, 1), for x > 0 finite (WGSL's frexp gives an i64
// exponent for an f64, which needs shaderInt64): x brought into f32's
// range by exact powers of two (a binary search without loops: a loop
// inlined at every call costs lavapipe's compiler minutes), e from f32's
// log2, then corrected.
struct Frexp {
    m: f64,
    e: i32,
}

fn m_frexp(x0: f64) -> Frexp {
    var x = x0;
    var e = 0i;
    if (x >= 1.3407807929942597e154lf) {
        x = ldexp(x, -512i);
        e = e + 512i;
    }
    if (x >= 1.157920892373162e77lf) {
        x = ldexp(x, -256i);
        e = e + 256i;
    }
    if (x >= 3.402823669209385e38lf) {
        x = ldexp(x, -128i);
        e = e + 128i;
    }
    if (x >= 1.8446744073709552e19lf) {
        x = ldexp(x, -64i);
        e = e + 64i;
    }
    if (x < 7.458340731200207e-155lf) {
        x = ldexp(x, 512i);
        e = e - 512i;
    }
    if (x < 8.636168555094445e-78lf) {
        x = ldexp(x, 256i);
        e = e - 256i;
    }
    if (x < 2.938735877055719e-39lf) {
        x = ldexp(x, 128i);
        e = e - 128i;
    }
    if (x < 5.421010862427522e-20lf) {
        x = ldexp(x, 64i);
        e = e - 64i;
    }
    var e1 = i32(floor(log2(f32(x)))) + 1i;
    var m = ldexp(x, -e1);
    if (m >= 1.0lf) {
        m = m * 0.5lf;
        e1 = e1 + 1i;
    }
    if (m < 0.5lf) {
        m = m * 2.0lf;
        e1 = e1 - 1i;
    }
    return Frexp(m, e + e1);
}

// ln x: x = m·2ᵉ, m in [√½, √2), ln m = 2·atanh(s), s = (m − 1)/(m + 1),
// |s| ≤ 0.172, by its series to s²⁵.
fn m_log(x: f64) -> f64 {
    if (m_isnan(x) || x == k_inf) {
        return x;
    }
    if (x < 0.0lf) {
        return k_inf - k_inf;
    }
    if (x == 0.0lf) {
        return -k_inf;
    }
    let fr = m_frexp(x);
    var m = fr.m;
    var e = f64(fr.e);
    if (m < 0.7071067811865476lf) {
        m = m * 2.0lf;
        e = e - 1.0lf;
    }
    let f = m - 1.0lf;
    let s = f / (m + 1.0lf);
    let s2 = s * s;
    let lm = 2.0lf * s * ($LOG_POLY);
    return e * 0.6931471803691238lf + (lm + e * 1.9082149292705877e-10lf);
}

// |x|^y for |x| finite, > 0.
fn m_pow_pos(ax: f64, y: f64) -> f64 {
    return m_exp(y * m_log(ax));
}

// x = q·π/2 + r, |r| ≤ π/4 (π/2 in three parts, exact products for
// |q| < 2²⁰); returns (r, q mod 4).
struct Reduced {
    r: f64,
    q: i32,
}

fn m_reduce(x: f64) -> Reduced {
    let q = round(x * 0.6366197723675814lf);
    let r = ((x - q * 1.5707963267341256lf) - q * 6.077100506303966e-11lf)
        - q * 2.0222662487111665e-21lf;
    let qi = i32(q - 4.0lf * floor(q * 0.25lf));
    return Reduced(r, qi);
}

fn m_sin_r(r: f64) -> f64 {
    let r2 = r * r;
    return r * ($SIN_POLY);
}

fn m_cos_r(r: f64) -> f64 {
    let r2 = r * r;
    return $COS_POLY;
}

fn m_sin(x: f64) -> f64 {
    if (m_isnan(x) || abs(x) == k_inf) {
        return k_inf - k_inf;
    }
    let d = m_reduce(x);
    let s = m_sin_r(d.r);
    let c = m_cos_r(d.r);
    return select(select(select(-c, -s, d.q == 2), c, d.q == 1), s, d.q == 0);
}

fn m_cos(x: f64) -> f64 {
    if (m_isnan(x) || abs(x) == k_inf) {
        return k_inf - k_inf;
    }
    let d = m_reduce(x);
    let s = m_sin_r(d.r);
    let c = m_cos_r(d.r);
    return select(select(select(s, -c, d.q == 2), -s, d.q == 1), c, d.q == 0);
}

// atan: t = min(|x|, 1/|x|) halved twice in angle, atan(t) = 2·atan(t/(1 + √(1 + t²))),
// to |t| ≤ tan(π/16), then its series to t²⁵.
fn m_atan(x: f64) -> f64 {
    if (m_isnan(x)) {
        return x;
    }
    let a = abs(x);
    let inv = a > 1.0lf;
    let t0 = select(a, 1.0lf / a, inv);
    let t1 = t0 / (1.0lf + sqrt(1.0lf + t0 * t0));
    let t = t1 / (1.0lf + sqrt(1.0lf + t1 * t1));
    let t2 = t * t;
    let r = 4.0lf * t * ($ATAN_POLY);
    let v = select(r, (1.5707963267948966lf - r) + 6.123233995736766e-17lf, inv);
    return select(v, -v, x < 0.0lf);
}

fn m_sinh(x: f64) -> f64 {
    let a = abs(x);
    if (a < 1.0lf) {
        let a2 = a * a;
        return x * ($SINH_POLY);
    }
    let v = m_cosh_sinh(a, -1.0lf);
    return select(v, -v, x < 0.0lf);
}

// (eᵃ ± e⁻ᵃ)/2 for a ≥ 0: eᵃ/2 computed as such below 709 (exact halving;
// eᵃ⁻ˡⁿ² would round a − ln2), as e^(a − ln2) above, where eᵃ overflows.
fn m_cosh_sinh(a: f64, sgn: f64) -> f64 {
    var h: f64;
    if (a < 709.0lf) {
        h = 0.5lf * m_exp(a);
    } else {
        h = m_exp(a - 0.6931471805599453lf);
    }
    return h + sgn * (0.25lf / h);
}

fn m_cosh(x: f64) -> f64 {
    return m_cosh_sinh(abs(x), 1.0lf);
}

fn m_tanh(x: f64) -> f64 {
    if (m_isnan(x)) {
        return x;
    }
    let a = abs(x);
    var v: f64;
    if (a > 22.0lf) {
        v = 1.0lf;
    } else if (a < 0.55lf) {
        let s = m_sinh(a);
        v = s / sqrt(1.0lf + s * s);
    } else {
        let e = m_exp(-2.0lf * a);
        v = (1.0lf - e) / (1.0lf + e);
    }
    return select(v, -v, x < 0.0lf);
}

// erf and erfc: fdlibm's (FreeBSD s_erf.c, as the `libm` crate computes
// them for the CPU engine), Copyright (C) 1993 by Sun Microsystems, Inc.
// "Permission to use, copy, modify, and distribute this software is freely
// granted, provided that this notice is preserved."
fn m_erf_small(x: f64) -> f64 {
    // x + x·R(x²) for |x| < 0.84375
    let z = x * x;
    let r = 1.28379167095512558561e-01lf + z * (-3.25042107247001499370e-01lf + z * (-2.84817495755985104766e-02lf
        + z * (-5.77027029648944159157e-03lf + z * -2.37630166566501626084e-05lf)));
    let s = 1.0lf + z * (3.97917223959155352819e-01lf + z * (6.50222499887672944485e-02lf
        + z * (5.08130628187576562776e-03lf + z * (1.32494738004321644526e-04lf + z * -3.96022827877536812320e-06lf))));
    return r / s;
}

fn m_erfc1(x: f64) -> f64 {
    let s = abs(x) - 1.0lf;
    let p = -2.36211856075265944077e-03lf + s * (4.14856118683748331666e-01lf + s * (-3.72207876035701323847e-01lf
        + s * (3.18346619901161753674e-01lf + s * (-1.10894694282396677476e-01lf + s * (3.54783043256182359371e-02lf
        + s * -2.16637559486879084300e-03lf)))));
    let q = 1.0lf + s * (1.06420880400844228286e-01lf + s * (5.40397917702171048937e-01lf + s * (7.18286544141962662868e-02lf
        + s * (1.26171219808761642112e-01lf + s * (1.36370839120290507362e-02lf + s * 1.19844998467991074170e-02lf)))));
    return 1.0lf - 8.45062911510467529297e-01lf - p / q;
}

// erfc(|x|) for 0.84375 ≤ |x| < 28.
fn m_erfc2(x0: f64) -> f64 {
    let x = abs(x0);
    if (x < 1.25lf) {
        return m_erfc1(x);
    }
    let s = 1.0lf / (x * x);
    var r: f64;
    var big_s: f64;
    if (x < $ERFC_BIG) {
        r = -9.86494403484714822705e-03lf + s * (-6.93858572707181764372e-01lf + s * (-1.05586262253232909814e+01lf
            + s * (-6.23753324503260060396e+01lf + s * (-1.62396669462573470355e+02lf + s * (-1.84605092906711035994e+02lf
            + s * (-8.12874355063065934246e+01lf + s * -9.81432934416914548592e+00lf))))));
        big_s = 1.0lf + s * (1.96512716674392571292e+01lf + s * (1.37657754143519042600e+02lf
            + s * (4.34565877475229228821e+02lf + s * (6.45387271733267880336e+02lf + s * (4.29008140027567833386e+02lf
            + s * (1.08635005541779435134e+02lf + s * (6.57024977031928170135e+00lf + s * -6.04244152148580987438e-02lf)))))));
    } else {
        r = -9.86494292470009928597e-03lf + s * (-7.99283237680523006574e-01lf + s * (-1.77579549177547519889e+01lf
            + s * (-1.60636384855821916062e+02lf + s * (-6.37566443368389627722e+02lf + s * (-1.02509513161107724954e+03lf
            + s * -4.83519191608651397019e+02lf)))));
        big_s = 1.0lf + s * (3.03380607434824582924e+01lf + s * (3.25792512996573918826e+02lf
            + s * (1.53672958608443695994e+03lf + s * (3.19985821950859553908e+03lf + s * (2.55305040643316442583e+03lf
            + s * (4.74528541206955367215e+02lf + s * -2.24409524465858183362e+01lf))))));
    }
    // z: x with the low 32 bits of its significand cleared (21 bits kept)
    let fr = m_frexp(x);
    let z = ldexp(floor(ldexp(fr.m, 21i)), fr.e - 21i);
    return m_exp(-z * z - 0.5625lf) * m_exp((z - x) * (z + x) + r / big_s) / x;
}

fn m_erf(x: f64) -> f64 {
    if (m_isnan(x)) {
        return x;
    }
    let a = abs(x);
    if (a < 0.84375lf) {
        if (a < 3.725290298461914e-09lf) {
            return 0.125lf * (8.0lf * x + 1.02703333676410069053e+00lf * x);
        }
        return x + x * m_erf_small(x);
    }
    var y: f64;
    if (a < 6.0lf) {
        y = 1.0lf - m_erfc2(x);
    } else {
        y = 1.0lf;
    }
    return select(y, -y, x < 0.0lf);
}

fn m_erfc(x: f64) -> f64 {
    if (m_isnan(x)) {
        return x;
    }
    let a = abs(x);
    if (a < 0.84375lf) {
        if (a < 1.3877787807814457e-17lf) {
            return 1.0lf - x;
        }
        let y = m_erf_small(x);
        if (x < 0.25lf) {
            return 1.0lf - (x + x * y);
        }
        return 0.5lf - (x - 0.5lf + x * y);
    }
    if (a < 28.0lf) {
        let e = m_erfc2(x);
        return select(e, 2.0lf - e, x < 0.0lf);
    }
    return select(0.0lf, 2.0lf, x < 0.0lf);
}
"#;

/// How badly f32 arithmetic resolves `p`'s right-hand side at the
/// parameter values `values`: the largest difference between the
/// derivatives computed in f32 and in f64, relative to each derivative's
/// largest magnitude, over 64 states spread through the initial-condition
/// ranges (coupling terms 0 and ±the coupled variable's value). About 1e-7
/// for a well-conditioned model; O(1) or more where f32 cannot resolve it
/// (finite differences with a tiny step); `inf` where f32 overflows where
/// f64 does not.
pub fn f32_error(p: &Program, values: &[f64]) -> f64 {
    let nv = p.states.len();
    let (mut d64s, mut d32s) = (vec![], vec![]);
    for k in 0..64u32 {
        // an additive recurrence per dimension (irrational steps)
        let x: Vec<f64> = p
            .states
            .iter()
            .enumerate()
            .map(|(v, s)| {
                let step = (2.0f64 + v as f64).sqrt().fract() + 0.1;
                let u = (0.5 + k as f64 * step).fract();
                s.range.0 + u * (s.range.1 - s.range.0)
            })
            .collect();
        let c: Vec<f64> = p
            .cvar
            .iter()
            .map(|&v| match k % 3 {
                0 => 0.0,
                1 => x[v],
                _ => -x[v],
            })
            .collect();
        d64s.push(eval64(p, values, &x, &c));
        d32s.push(eval32(p, values, &x, &c));
    }
    let mut worst = 0.0f64;
    for v in 0..nv {
        let scale = d64s
            .iter()
            .map(|d| d[v].abs())
            .filter(|a| a.is_finite())
            .fold(0.0, f64::max);
        for (a, b) in d64s.iter().zip(&d32s) {
            if !a[v].is_finite() {
                continue;
            }
            let e = if b[v].is_finite() {
                (a[v] - b[v]).abs() / scale.max(f64::MIN_POSITIVE)
            } else {
                f64::INFINITY
            };
            worst = worst.max(e);
        }
    }
    worst
}

/// The derivatives in f64 (operations in order; truth values as 0 and 1).
fn eval64(p: &Program, values: &[f64], x: &[f64], c: &[f64]) -> Vec<f64> {
    let mut t = vec![0.0f64; p.nodes.len()];
    let b = |v: bool| if v { 1.0 } else { 0.0 };
    for (i, n) in p.nodes.iter().enumerate() {
        t[i] = match *n {
            Node::Const(v) => f64::from_bits(v),
            Node::Param(k) => values.get(k as usize).copied().unwrap_or(0.0),
            Node::State(k) => x[k as usize],
            Node::Coupling(k) => c[k as usize],
            Node::Neg(a) => -t[a as usize],
            Node::Bin(op, a, bb) => {
                let (a, bb) = (t[a as usize], t[bb as usize]);
                match op {
                    BinOp::Add => a + bb,
                    BinOp::Sub => a - bb,
                    BinOp::Mul => a * bb,
                    BinOp::Div => a / bb,
                }
            }
            Node::F1(f, a) => f.eval(t[a as usize]),
            Node::F2(f, a, bb) => f.eval(t[a as usize], t[bb as usize]),
            Node::Cmp(op, a, bb) => b(cmp(op, t[a as usize], t[bb as usize])),
            Node::And(a, bb) => b(t[a as usize] != 0.0 && t[bb as usize] != 0.0),
            Node::Or(a, bb) => b(t[a as usize] != 0.0 || t[bb as usize] != 0.0),
            Node::Not(a) => b(t[a as usize] == 0.0),
            Node::Select(cc, a, bb) => {
                if t[cc as usize] != 0.0 {
                    t[a as usize]
                } else {
                    t[bb as usize]
                }
            }
        };
    }
    p.derivatives.iter().map(|&d| t[d as usize]).collect()
}

/// The derivatives with every operation rounded to f32 (the functions
/// correctly rounded: an accurate f32 device).
fn eval32(p: &Program, values: &[f64], x: &[f64], c: &[f64]) -> Vec<f64> {
    let mut t = vec![0.0f32; p.nodes.len()];
    let b = |v: bool| if v { 1.0 } else { 0.0 };
    for (i, n) in p.nodes.iter().enumerate() {
        t[i] = match *n {
            Node::Const(v) => f64::from_bits(v) as f32,
            Node::Param(k) => values.get(k as usize).copied().unwrap_or(0.0) as f32,
            Node::State(k) => x[k as usize] as f32,
            Node::Coupling(k) => c[k as usize] as f32,
            Node::Neg(a) => -t[a as usize],
            Node::Bin(op, a, bb) => {
                let (a, bb) = (t[a as usize], t[bb as usize]);
                match op {
                    BinOp::Add => a + bb,
                    BinOp::Sub => a - bb,
                    BinOp::Mul => a * bb,
                    BinOp::Div => a / bb,
                }
            }
            Node::F1(f, a) => f.eval(t[a as usize] as f64) as f32,
            Node::F2(f, a, bb) => f.eval(t[a as usize] as f64, t[bb as usize] as f64) as f32,
            Node::Cmp(op, a, bb) => b(cmp(op, t[a as usize] as f64, t[bb as usize] as f64)),
            Node::And(a, bb) => b(t[a as usize] != 0.0 && t[bb as usize] != 0.0),
            Node::Or(a, bb) => b(t[a as usize] != 0.0 || t[bb as usize] != 0.0),
            Node::Not(a) => b(t[a as usize] == 0.0),
            Node::Select(cc, a, bb) => {
                if t[cc as usize] != 0.0 {
                    t[a as usize]
                } else {
                    t[bb as usize]
                }
            }
        };
    }
    p.derivatives
        .iter()
        .map(|&d| t[d as usize] as f64)
        .collect()
}

fn cmp(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G2D: &str = r#"
name = "Osc"
doc = "test"
coupling = ["V"]
[parameters]
a = { default = 2.0, range = [0.0, 5.0] }
P = { default = [1.0, 2.0], range = [-5.0, 5.0] }
[state]
V = { range = [-1.0, 1.0] }
W = { range = [-1.0, 1.0] }
[let]
big = "a > 1"
[derivatives]
V = "if(big, a * W, -W) + c_V + P[1] * exp(V) + 1 / 0"
W = "max(V, 0) - a * P[0] + pow(V, 2.5) * 0 + if(V != W, 0, 1)"
"#;

    fn program(text: &str) -> Program {
        crate::compile("t.toml", text).unwrap().0
    }

    #[test]
    fn the_kernel_part_has_the_interface_of_step_wgsl() {
        let p = program(G2D);
        for prec in [Precision::F32, Precision::F64] {
            let s = model(&p, prec).unwrap();
            assert!(s.contains("const NV: u32 = 2u;"), "{s}");
            assert!(s.contains("const NC: u32 = 1u;"));
            assert!(s.contains("const NP: u32 = 3u;"));
            assert!(s.contains("const CVAR: array<u32, 1> = array<u32, 1>(0u);"));
            assert!(s.contains("// params: a P[0] P[1]"));
            assert!(s.contains("fn prepare()"));
            assert!(
                s.contains("fn dfun(xs: array<f32, NV>, cpl: array<f32, NC>) -> array<f32, NV>")
            );
            // `if` is select(b, a, c); != is !(==); 1/0 not folded
            assert!(s.contains("select("), "{s}");
            assert!(s.contains("!("), "{s}");
            assert!(s.contains("opq(1.0"), "{s}");
            // every function called is defined
            for f in ["m_exp(", "m_max(", "m_pow("] {
                assert!(s.contains(&format!("fn {f}")), "{f}");
            }
        }
        let s = model(&p, Precision::F64).unwrap();
        assert!(s.contains("f64(p(0u))") && s.contains("f64(xs[0])") && s.contains("f32(t"));
    }

    #[test]
    fn every_function_has_a_wgsl_implementation_in_both_precisions() {
        for prec in [Precision::F32, Precision::F64] {
            let lib = library(prec);
            for (name, arity, _) in crate::fns::FUNCTIONS {
                let f = match (*arity, F1::by_name(name), F2::by_name(name)) {
                    (1, Some(f), _) => f1_name(f),
                    (2, _, Some(f)) => f2_name(f),
                    _ => continue, // `if`: select
                };
                assert!(lib.contains(&format!("fn {f}(")), "{name} in {prec:?}");
            }
            assert!(!lib.contains('$'), "an unfilled placeholder in {prec:?}");
        }
    }

    #[test]
    fn f32_error_is_small_for_a_smooth_model_and_large_for_finite_differences() {
        let p = program(G2D);
        let e = f32_error(&p, &p.default_values());
        assert!(e < 1e-5, "{e}");
        let fd = program(
            r#"
name = "Fd"
doc = "test"
coupling = ["x"]
[parameters]
h = { default = 1e-7, range = [0.0, 1.0] }
[state]
x = { range = [0.5, 1.5] }
[derivatives]
x = "(exp(x + h) - 2 * exp(x) + exp(x - h)) / (h * h) + c_x"
"#,
        );
        let e = f32_error(&fd, &fd.default_values());
        assert!(e > 1.0, "{e}");
    }
}
