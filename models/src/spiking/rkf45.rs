//! GSL's embedded Runge-Kutta-Fehlberg 4(5) stepper with the `y_new`
//! step-size control (absolute tolerance only), as NEST's conductance-based
//! neurons use it: `gsl_odeiv_step_rkf45`, `gsl_odeiv_control_y_new(eps_abs, 0)`,
//! `gsl_odeiv_evolve_apply` repeated until the end of the simulation step,
//! with the adapted step size carried from one simulation step to the next.

/// Tableau of `rkf45.c` (GSL). Its time nodes (`ah`) are not needed: the
/// neurons' right-hand sides do not depend on t within a step.
const B21: f64 = 1.0 / 4.0;
const B3: [f64; 2] = [3.0 / 32.0, 9.0 / 32.0];
const B4: [f64; 3] = [1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0];
const B5: [f64; 4] = [
    8341.0 / 4104.0,
    -32832.0 / 4104.0,
    29440.0 / 4104.0,
    -845.0 / 4104.0,
];
const B6: [f64; 5] = [
    -6080.0 / 20520.0,
    41040.0 / 20520.0,
    -28352.0 / 20520.0,
    9295.0 / 20520.0,
    -5643.0 / 20520.0,
];
/// The 5th-order weights of k1, k3, k4, k5, k6 (GSL's c1, c3 … c6; c2 = 0).
const C: [f64; 5] = [
    902880.0 / 7618050.0,
    3953664.0 / 7618050.0,
    3855735.0 / 7618050.0,
    -1371249.0 / 7618050.0,
    277020.0 / 7618050.0,
];
/// The error estimate's weights of k1, k3, k4, k5, k6 (GSL's ec[1], ec[3]
/// … ec[6]; ec[2] = 0).
const EC: [f64; 5] = [
    1.0 / 360.0,
    -128.0 / 4275.0,
    -2197.0 / 75240.0,
    1.0 / 50.0,
    2.0 / 55.0,
];

/// `Σ_j w_j·k_j` summed left to right, `((w₀k₀ + w₁k₁) + w₂k₂) + …` — the
/// order GSL's `rkf45.c` writes every stage's sum in, so that the scalar
/// and the lane solvers share it to the bit.
#[inline(always)]
fn wsum<const S: usize>(w: [f64; S], k: [f64; S]) -> f64 {
    let mut acc = w[0] * k[0];
    for j in 1..S {
        acc += w[j] * k[j];
    }
    acc
}

/// One RKF45 step of size `h` from `y` (length N ≤ 8); writes the 5th-order
/// solution to `out` and the error estimate to `err`.
fn step<const N: usize>(
    f: &impl Fn(&[f64; N], &mut [f64; N]),
    y: &[f64; N],
    h: f64,
    out: &mut [f64; N],
    err: &mut [f64; N],
) {
    let mut k = [[0.0; N]; 6];
    let mut t = [0.0; N];
    f(y, &mut k[0]);
    for i in 0..N {
        t[i] = y[i] + B21 * h * k[0][i];
    }
    f(&t, &mut k[1]);
    for i in 0..N {
        t[i] = y[i] + h * wsum(B3, [k[0][i], k[1][i]]);
    }
    f(&t, &mut k[2]);
    for i in 0..N {
        t[i] = y[i] + h * wsum(B4, [k[0][i], k[1][i], k[2][i]]);
    }
    f(&t, &mut k[3]);
    for i in 0..N {
        t[i] = y[i] + h * wsum(B5, [k[0][i], k[1][i], k[2][i], k[3][i]]);
    }
    f(&t, &mut k[4]);
    for i in 0..N {
        t[i] = y[i] + h * wsum(B6, [k[0][i], k[1][i], k[2][i], k[3][i], k[4][i]]);
    }
    f(&t, &mut k[5]);
    for i in 0..N {
        let k_used = [k[0][i], k[2][i], k[3][i], k[4][i], k[5][i]];
        out[i] = y[i] + h * wsum(C, k_used);
        err[i] = h * wsum(EC, k_used);
    }
}

/// GSL's standard step-size control: the error of component i may be
/// `eps_abs + eps_rel·(a_y·|y_i| + a_dydt·h·|y'_i|)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Control {
    /// `gsl_odeiv_control_y_new(eps_abs, 0)`: absolute tolerance only.
    Y { eps_abs: f64 },
    /// `gsl_odeiv_control_yp_new(eps_abs, eps_rel)`: a_y = 0, a_dydt = 1.
    Yp { eps_abs: f64, eps_rel: f64 },
}

/// One `gsl_odeiv_evolve_apply`: a successful step from `*t` towards `t1`
/// (retried with smaller steps while the error is too large); `h` is the
/// step size carried between calls.
pub fn apply<const N: usize>(
    f: &impl Fn(&[f64; N], &mut [f64; N]),
    y: &mut [f64; N],
    t: &mut f64,
    t1: f64,
    h: &mut f64,
    control: Control,
) {
    const S: f64 = 0.9;
    const ORD: f64 = 5.0;
    let mut out = [0.0; N];
    let mut err = [0.0; N];
    let mut dydt_out = [0.0; N];
    let dt = t1 - *t;
    let (mut h0, mut final_step) = if *h > dt { (dt, true) } else { (*h, false) };
    let mut guard = 0;
    loop {
        step(f, y, h0, &mut out, &mut err);
        let rmax = match control {
            Control::Y { eps_abs } => err.iter().map(|e| e.abs()).fold(0.0, f64::max) / eps_abs,
            Control::Yp { eps_abs, eps_rel } => {
                f(&out, &mut dydt_out);
                err.iter()
                    .zip(&dydt_out)
                    .map(|(e, d)| e.abs() / (eps_rel * (h0 * d.abs()) + eps_abs))
                    .fold(0.0, f64::max)
            }
        };
        if rmax > 1.1 && h0 > 1e-12 && guard < 10_000 {
            // decrease and retry from the same y
            let r = (S / rmax.powf(1.0 / ORD)).max(0.2);
            h0 *= r;
            final_step = false;
            guard += 1;
            continue;
        }
        if rmax < 0.5 {
            // GSL grows the step by r ∈ [1, 5]. After a whole simulation
            // step in one go (h0 = t1, integration starting at 0) the value
            // only matters through `h ≥ t1`, which r ≥ 1 guarantees: skip
            // the powf, same behaviour.
            if h0 >= t1 {
                *h = h0;
            } else {
                let r = (S / rmax.powf(1.0 / (ORD + 1.0))).clamp(1.0, 5.0);
                *h = h0 * r;
            }
        } else {
            *h = h0;
        }
        break;
    }
    *y = out;
    *t = if final_step { t1 } else { *t + h0 };
}

/// Integrates `y` over `(0, t1]` with adaptive steps (`apply` until `t1`),
/// absolute tolerance `eps_abs`.
pub fn evolve<const N: usize>(
    f: impl Fn(&[f64; N], &mut [f64; N]),
    y: &mut [f64; N],
    t1: f64,
    h: &mut f64,
    eps_abs: f64,
) {
    let mut t = 0.0;
    while t < t1 {
        apply(&f, y, &mut t, t1, h, Control::Y { eps_abs });
    }
}

/// Scratch space of [`apply_dyn`] for a system of `n` variables.
#[derive(Debug, Clone, Default)]
pub struct DynScratch {
    k: [Vec<f64>; 6],
    t: Vec<f64>,
    out: Vec<f64>,
    err: Vec<f64>,
    dydt_out: Vec<f64>,
}

impl DynScratch {
    /// Buffers for `n` variables.
    pub fn new(n: usize) -> Self {
        let v = || vec![0.0; n];
        Self {
            k: [v(), v(), v(), v(), v(), v()],
            t: v(),
            out: v(),
            err: v(),
            dydt_out: v(),
        }
    }
}

/// [`step`] for a system whose size is known at run time (`y.len()`):
/// the same operations in the same order.
fn step_dyn(f: &impl Fn(&[f64], &mut [f64]), y: &[f64], h: f64, s: &mut DynScratch) {
    let n = y.len();
    let DynScratch { k, t, out, err, .. } = s;
    f(y, &mut k[0]);
    for i in 0..n {
        t[i] = y[i] + B21 * h * k[0][i];
    }
    f(t, &mut k[1]);
    for i in 0..n {
        t[i] = y[i] + h * wsum(B3, [k[0][i], k[1][i]]);
    }
    f(t, &mut k[2]);
    for i in 0..n {
        t[i] = y[i] + h * wsum(B4, [k[0][i], k[1][i], k[2][i]]);
    }
    f(t, &mut k[3]);
    for i in 0..n {
        t[i] = y[i] + h * wsum(B5, [k[0][i], k[1][i], k[2][i], k[3][i]]);
    }
    f(t, &mut k[4]);
    for i in 0..n {
        t[i] = y[i] + h * wsum(B6, [k[0][i], k[1][i], k[2][i], k[3][i], k[4][i]]);
    }
    f(t, &mut k[5]);
    for i in 0..n {
        let k_used = [k[0][i], k[2][i], k[3][i], k[4][i], k[5][i]];
        out[i] = y[i] + h * wsum(C, k_used);
        err[i] = h * wsum(EC, k_used);
    }
}

/// [`apply`] for a system whose size is known at run time (`y.len()`,
/// `scratch` made for it): one `gsl_odeiv_evolve_apply`, the same
/// operations in the same order.
pub fn apply_dyn(
    f: &impl Fn(&[f64], &mut [f64]),
    y: &mut [f64],
    t: &mut f64,
    t1: f64,
    h: &mut f64,
    control: Control,
    scratch: &mut DynScratch,
) {
    const S: f64 = 0.9;
    const ORD: f64 = 5.0;
    let dt = t1 - *t;
    let (mut h0, mut final_step) = if *h > dt { (dt, true) } else { (*h, false) };
    let mut guard = 0;
    loop {
        step_dyn(f, y, h0, scratch);
        let rmax = match control {
            Control::Y { eps_abs } => {
                scratch.err.iter().map(|e| e.abs()).fold(0.0, f64::max) / eps_abs
            }
            Control::Yp { eps_abs, eps_rel } => {
                f(&scratch.out, &mut scratch.dydt_out);
                scratch
                    .err
                    .iter()
                    .zip(&scratch.dydt_out)
                    .map(|(e, d)| e.abs() / (eps_rel * (h0 * d.abs()) + eps_abs))
                    .fold(0.0, f64::max)
            }
        };
        if rmax > 1.1 && h0 > 1e-12 && guard < 10_000 {
            let r = (S / rmax.powf(1.0 / ORD)).max(0.2);
            h0 *= r;
            final_step = false;
            guard += 1;
            continue;
        }
        if rmax < 0.5 {
            if h0 >= t1 {
                *h = h0;
            } else {
                let r = (S / rmax.powf(1.0 / (ORD + 1.0))).clamp(1.0, 5.0);
                *h = h0 * r;
            }
        } else {
            *h = h0;
        }
        break;
    }
    y.copy_from_slice(&scratch.out);
    *t = if final_step { t1 } else { *t + h0 };
}

/// Neurons integrated side by side: SIMD lanes of [`LANES`] neurons.
pub const LANES: usize = 4;

/// One value per lane.
pub type Lane = [f64; LANES];

/// A population's ODE for [`evolve_lanes`]: `N` state variables and `A`
/// per-neuron inputs that stay fixed during an `apply` (e.g. the
/// refractory flag and the external current), [`LANES`] neurons at once.
pub trait LaneOde<const N: usize, const A: usize> {
    /// `d = f(y)` for every lane, each lane with its own inputs `aux`.
    /// Must compute, per lane, exactly what the population's scalar
    /// right-hand side computes (same operations in the same order).
    fn rhs(&self, aux: &[Lane; A], y: &[Lane; N], d: &mut [Lane; N]);
    /// Neuron `neuron`'s inputs at the start of the step.
    fn aux(&self, neuron: usize) -> [f64; A];
    /// Called after every accepted `apply` of neuron `neuron`, with its
    /// state and inputs (e.g. spike detection within the step); returns
    /// nothing, may change both. The default does nothing.
    const AFTER_APPLY: bool = false;
    /// See [`AFTER_APPLY`](Self::AFTER_APPLY).
    fn after_apply(&mut self, _neuron: usize, _y: &mut [f64; N], _aux: &mut [f64; A]) {}
}

/// One RKF45 step for every lane, each with its own `h[l]`: the
/// arithmetic of [`step`] per lane.
#[inline(always)]
fn step_lanes<const N: usize, const A: usize>(
    ode: &impl LaneOde<N, A>,
    aux: &[Lane; A],
    y: &[Lane; N],
    h: &Lane,
    out: &mut [Lane; N],
    err: &mut [Lane; N],
) {
    let mut k = [[[0.0; LANES]; N]; 6];
    let mut t = [[0.0; LANES]; N];
    ode.rhs(aux, y, &mut k[0]);
    for i in 0..N {
        for l in 0..LANES {
            t[i][l] = y[i][l] + B21 * h[l] * k[0][i][l];
        }
    }
    ode.rhs(aux, &t, &mut k[1]);
    for i in 0..N {
        for l in 0..LANES {
            t[i][l] = y[i][l] + h[l] * wsum(B3, [k[0][i][l], k[1][i][l]]);
        }
    }
    ode.rhs(aux, &t, &mut k[2]);
    for i in 0..N {
        for l in 0..LANES {
            t[i][l] = y[i][l] + h[l] * wsum(B4, [k[0][i][l], k[1][i][l], k[2][i][l]]);
        }
    }
    ode.rhs(aux, &t, &mut k[3]);
    for i in 0..N {
        for l in 0..LANES {
            let ks = [k[0][i][l], k[1][i][l], k[2][i][l], k[3][i][l]];
            t[i][l] = y[i][l] + h[l] * wsum(B5, ks);
        }
    }
    ode.rhs(aux, &t, &mut k[4]);
    for i in 0..N {
        for l in 0..LANES {
            let ks = [k[0][i][l], k[1][i][l], k[2][i][l], k[3][i][l], k[4][i][l]];
            t[i][l] = y[i][l] + h[l] * wsum(B6, ks);
        }
    }
    ode.rhs(aux, &t, &mut k[5]);
    for i in 0..N {
        for l in 0..LANES {
            let k_used = [k[0][i][l], k[2][i][l], k[3][i][l], k[4][i][l], k[5][i][l]];
            out[i][l] = y[i][l] + h[l] * wsum(C, k_used);
            err[i][l] = h[l] * wsum(EC, k_used);
        }
    }
}

/// `S / rmax^(1/6)` is above 5 (GSL's cap on the growth) for every `rmax`
/// below this bound, whatever the last bit of `pow`: the growth factor is 5
/// without calling it. (0.99 · (0.9/5)⁶: `rmax^(1/6)` stays 0.17 % below
/// 0.18 = S/5, far more than `pow`'s error of under an ulp.)
const GROW_CAPPED_BELOW: f64 = 0.99 * (0.18 * 0.18 * 0.18 * 0.18 * 0.18 * 0.18);

/// `n` neurons over `(0, t1]` each, as [`evolve`] (or, with
/// [`LaneOde::AFTER_APPLY`], as repeated [`apply`] with the hook between
/// calls) integrates one, [`LANES`] at a time: every lane holds one neuron
/// and steps it with its own step size, retries and carried step `h`;
/// a lane whose neuron reaches `t1` takes the next neuron. Each neuron sees
/// exactly the scalar solver's arithmetic (same operations, same order, no
/// fused multiply-add, glibc's `pow` per lane), so its state is the scalar
/// solver's to the bit; only the order in which neurons finish differs.
///
/// `ys[i]` is neuron `i`'s state, `hs[i]` its carried step.
///
/// On x86-64 with AVX2 and FMA (every CPU with AVX2 but a few has both)
/// the lanes run on 256-bit registers, compiled for both so that a
/// right-hand side's [`lane_exp::exp_lanes`](super::lane_exp::exp_lanes)
/// (glibc's FMA algorithm, its fused operations written out) inlines into
/// them; the same IEEE operations as the baseline build (Rust never
/// contracts a multiply and an add into a fused multiply-add).
pub fn evolve_lanes<const N: usize, const A: usize, O: LaneOde<N, A>>(
    ode: &mut O,
    ys: &mut [[f64; N]],
    hs: &mut [f64],
    t1: f64,
    control: Control,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked just above)
            unsafe { evolve_lanes_avx2_fma(ode, ys, hs, t1, control) };
            return;
        }
    }
    evolve_lanes_any(ode, ys, hs, t1, control)
}

/// [`evolve_lanes`] compiled for AVX2 and FMA (no contraction: the same
/// operations as the baseline build).
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn evolve_lanes_avx2_fma<const N: usize, const A: usize, O: LaneOde<N, A>>(
    ode: &mut O,
    ys: &mut [[f64; N]],
    hs: &mut [f64],
    t1: f64,
    control: Control,
) {
    evolve_lanes_any(ode, ys, hs, t1, control)
}

/// [`evolve_lanes`] for the target's baseline instructions.
#[inline(always)]
fn evolve_lanes_any<const N: usize, const A: usize, O: LaneOde<N, A>>(
    ode: &mut O,
    ys: &mut [[f64; N]],
    hs: &mut [f64],
    t1: f64,
    control: Control,
) {
    let n = ys.len().min(hs.len());
    const S: f64 = 0.9;
    const ORD: f64 = 5.0;
    const NONE: usize = usize::MAX;
    let mut y = [[0.0; LANES]; N];
    let mut aux = [[0.0; LANES]; A];
    let mut out = [[0.0; LANES]; N];
    let mut err = [[0.0; LANES]; N];
    let mut dydt = [[0.0; LANES]; N];
    // per lane: neuron, time, carried step, this attempt's step, whether
    // it ends the step, retries
    let mut who = [NONE; LANES];
    let mut t = [0.0; LANES];
    let mut h = [0.0; LANES];
    let mut h0 = [0.0; LANES];
    let mut fin = [false; LANES];
    let mut guard = [0u32; LANES];
    let mut next = 0;
    // `apply`'s start: the attempt's step, capped at the end of the step
    let begin = |l: usize, t: &Lane, h: &Lane, h0: &mut Lane, fin: &mut [bool; LANES]| {
        let dt = t1 - t[l];
        if h[l] > dt {
            h0[l] = dt;
            fin[l] = true;
        } else {
            h0[l] = h[l];
            fin[l] = false;
        }
    };
    let mut active = 0;
    for l in 0..LANES {
        if next < n {
            let (yi, hi, ai) = (ys[next], hs[next], ode.aux(next));
            for c in 0..N {
                y[c][l] = yi[c];
            }
            for c in 0..A {
                aux[c][l] = ai[c];
            }
            who[l] = next;
            t[l] = 0.0;
            h[l] = hi;
            guard[l] = 0;
            begin(l, &t, &h, &mut h0, &mut fin);
            next += 1;
            active += 1;
        }
    }
    while active > 0 {
        step_lanes(ode, &aux, &y, &h0, &mut out, &mut err);
        if let Control::Yp { .. } = control {
            ode.rhs(&aux, &out, &mut dydt);
        }
        for l in 0..LANES {
            if who[l] == NONE {
                continue;
            }
            let rmax = match control {
                Control::Y { eps_abs } => {
                    let mut m = 0.0f64;
                    for e in &err {
                        m = m.max(e[l].abs());
                    }
                    m / eps_abs
                }
                Control::Yp { eps_abs, eps_rel } => {
                    let mut m = 0.0f64;
                    for (e, d) in err.iter().zip(&dydt) {
                        m = m.max(e[l].abs() / (eps_rel * (h0[l] * d[l].abs()) + eps_abs));
                    }
                    m
                }
            };
            if rmax > 1.1 && h0[l] > 1e-12 && guard[l] < 10_000 {
                // decrease and retry from the same y
                let r = (S / rmax.powf(1.0 / ORD)).max(0.2);
                h0[l] *= r;
                fin[l] = false;
                guard[l] += 1;
                continue;
            }
            if rmax < 0.5 {
                // as `apply`; a growth capped at 5 needs no `pow`
                if h0[l] >= t1 {
                    h[l] = h0[l];
                } else if rmax < GROW_CAPPED_BELOW {
                    h[l] = h0[l] * 5.0;
                } else {
                    let r = (S / rmax.powf(1.0 / (ORD + 1.0))).clamp(1.0, 5.0);
                    h[l] = h0[l] * r;
                }
            } else {
                h[l] = h0[l];
            }
            for c in 0..N {
                y[c][l] = out[c][l];
            }
            t[l] = if fin[l] { t1 } else { t[l] + h0[l] };
            if O::AFTER_APPLY {
                let mut yl = [0.0; N];
                let mut al = [0.0; A];
                for c in 0..N {
                    yl[c] = y[c][l];
                }
                for c in 0..A {
                    al[c] = aux[c][l];
                }
                ode.after_apply(who[l], &mut yl, &mut al);
                for c in 0..N {
                    y[c][l] = yl[c];
                }
                for c in 0..A {
                    aux[c][l] = al[c];
                }
            }
            if t[l] < t1 {
                guard[l] = 0;
                begin(l, &t, &h, &mut h0, &mut fin);
                continue;
            }
            // this neuron is done: back, and the lane takes the next
            for c in 0..N {
                ys[who[l]][c] = y[c][l];
            }
            hs[who[l]] = h[l];
            if next < n {
                let (yi, hi, ai) = (ys[next], hs[next], ode.aux(next));
                for c in 0..N {
                    y[c][l] = yi[c];
                }
                for c in 0..A {
                    aux[c][l] = ai[c];
                }
                who[l] = next;
                t[l] = 0.0;
                h[l] = hi;
                guard[l] = 0;
                begin(l, &t, &h, &mut h0, &mut fin);
                next += 1;
            } else {
                who[l] = NONE;
                h0[l] = 0.0;
                active -= 1;
            }
        }
    }
}
