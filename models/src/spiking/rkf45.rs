//! GSL's embedded Runge-Kutta-Fehlberg 4(5) stepper with the `y_new`
//! step-size control (absolute tolerance only), as NEST's conductance-based
//! neurons use it: `gsl_odeiv_step_rkf45`, `gsl_odeiv_control_y_new(eps_abs, 0)`,
//! `gsl_odeiv_evolve_apply` repeated until the end of the simulation step,
//! with the adapted step size carried from one simulation step to the next.

/// Tableau of `rkf45.c` (GSL).
const AH: [f64; 5] = [1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0];
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
const C1: f64 = 902880.0 / 7618050.0;
const C3: f64 = 3953664.0 / 7618050.0;
const C4: f64 = 3855735.0 / 7618050.0;
const C5: f64 = -1371249.0 / 7618050.0;
const C6: f64 = 277020.0 / 7618050.0;
const EC: [f64; 7] = [
    0.0,
    1.0 / 360.0,
    0.0,
    -128.0 / 4275.0,
    -2197.0 / 75240.0,
    1.0 / 50.0,
    2.0 / 55.0,
];

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
        t[i] = y[i] + h * (B3[0] * k[0][i] + B3[1] * k[1][i]);
    }
    f(&t, &mut k[2]);
    for i in 0..N {
        t[i] = y[i] + h * (B4[0] * k[0][i] + B4[1] * k[1][i] + B4[2] * k[2][i]);
    }
    f(&t, &mut k[3]);
    for i in 0..N {
        t[i] = y[i] + h * (B5[0] * k[0][i] + B5[1] * k[1][i] + B5[2] * k[2][i] + B5[3] * k[3][i]);
    }
    f(&t, &mut k[4]);
    for i in 0..N {
        t[i] = y[i]
            + h * (B6[0] * k[0][i]
                + B6[1] * k[1][i]
                + B6[2] * k[2][i]
                + B6[3] * k[3][i]
                + B6[4] * k[4][i]);
    }
    f(&t, &mut k[5]);
    for i in 0..N {
        let d = C1 * k[0][i] + C3 * k[2][i] + C4 * k[3][i] + C5 * k[4][i] + C6 * k[5][i];
        out[i] = y[i] + h * d;
        err[i] = h
            * (EC[1] * k[0][i]
                + EC[3] * k[2][i]
                + EC[4] * k[3][i]
                + EC[5] * k[4][i]
                + EC[6] * k[5][i]);
    }
    let _ = AH;
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
