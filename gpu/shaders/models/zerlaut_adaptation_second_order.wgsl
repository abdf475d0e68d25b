// ZerlautAdaptationSecondOrder (TVB-AdEx; tvb-library): the state is f32,
// the right-hand side is computed in f64 (the device needs shaderFloat64),
// because tvb-library's second derivatives are central differences with a
// step of 1e-7 kHz, which f32 cannot resolve. erfc and exp are evaluated
// here in f64 (Vulkan's exp is f32 only): erfc by the Chebyshev fit of
// Numerical Recipes (erfcc, fractional error < 1.2e-7, smooth, so the
// finite differences stay accurate). Equations and parameter meanings:
// models/decl/ZerlautAdaptationSecondOrder.toml (the transfer function TF
// and its finite differences).
// params: g_L E_L_e E_L_i C_m b_e a_e b_i a_i tau_w_e tau_w_i E_e E_i Q_e Q_i tau_e tau_i N_tot p_connect_e p_connect_i g K_ext_e K_ext_i T P_e[0] P_e[1] P_e[2] P_e[3] P_e[4] P_e[5] P_e[6] P_e[7] P_e[8] P_e[9] P_i[0] P_i[1] P_i[2] P_i[3] P_i[4] P_i[5] P_i[6] P_i[7] P_i[8] P_i[9] external_input_ex_ex external_input_ex_in external_input_in_ex external_input_in_in tau_OU weight_noise S_i
const NV: u32 = 8u;
const NC: u32 = 1u;
const NP: u32 = 50u;
const CVAR: array<u32, 1> = array<u32, 1>(0u);
const USES_F64: bool = true;

fn pd(k: u32) -> f64 {
    return f64(p(k));
}

// e^x in f64: x = k·ln2 + r, |r| ≤ ln2/2, Taylor to r^14, times 2^k.
fn exp64(x: f64) -> f64 {
    if (x < -708.0lf) {
        return 0.0lf;
    }
    let k = round(x * 1.4426950408889634lf);
    let r = (x - k * 0.6931471803691238lf) - k * 1.9082149292705877e-10lf;
    var s = 1.0lf;
    for (var n = 14; n >= 1; n = n - 1) {
        s = 1.0lf + s * r / f64(n);
    }
    return ldexp(s, i32(k));
}

fn erfc64(x: f64) -> f64 {
    let z = abs(x);
    let t = 1.0lf / (1.0lf + 0.5lf * z);
    let ans = t * exp64(-z * z - 1.26551223lf + t * (1.00002368lf + t * (0.37409196lf + t * (0.09678418lf
        + t * (-0.18628806lf + t * (0.27886807lf + t * (-1.13520398lf + t * (1.48851587lf
        + t * (-0.82215223lf + t * 0.17087277lf)))))))));
    return select(2.0lf - ans, ans, x >= 0.0lf);
}

struct Fluct {
    mu_v: f64,
    sigma_v: f64,
    t_v: f64,
}

fn fluct(fe0: f64, fi0: f64, fe_ext: f64, fi_ext: f64, w: f64, e_l: f64) -> Fluct {
    let g_l = pd(0u);
    let c_m = pd(3u);
    let e_e = pd(10u);
    let e_i = pd(11u);
    let q_e = pd(12u);
    let q_i = pd(13u);
    let tau_e = pd(14u);
    let tau_i = pd(15u);
    let n_tot = pd(16u);
    let g = pd(19u);
    let fe = (fe0 + 1.0e-6lf) * (1.0lf - g) * pd(17u) * n_tot + fe_ext * pd(20u);
    let fi = (fi0 + 1.0e-6lf) * g * pd(18u) * n_tot + fi_ext * pd(21u);
    let mu_ge = q_e * tau_e * fe;
    let mu_gi = q_i * tau_i * fi;
    let mu_g = g_l + mu_ge + mu_gi;
    let t_m = c_m / mu_g;
    let mu_v = (mu_ge * e_e + mu_gi * e_i + g_l * e_l - w) / mu_g;
    let ae = q_e / mu_g * (e_e - mu_v) * tau_e;
    let ai = q_i / mu_g * (e_i - mu_v) * tau_i;
    let ae2 = ae * ae;
    let ai2 = ai * ai;
    let sigma_v = sqrt(fe * ae2 / (2.0lf * (tau_e + t_m)) + fi * ai2 / (2.0lf * (tau_i + t_m)));
    let num = fe * ae2 + fi * ai2;
    let den = fe * ae2 / (tau_e + t_m) + fi * ai2 / (tau_i + t_m);
    return Fluct(mu_v, sigma_v, num / den);
}

// Transfer function of the population whose polynomial starts at parameter
// `p0` (P_e: 23, P_i: 33) and whose leak potential is `e_l`.
fn tf(p0: u32, e_l: f64, fe: f64, fi: f64, fe_ext: f64, fi_ext: f64, w: f64) -> f64 {
    let f = fluct(fe, fi, fe_ext, fi_ext, w, e_l);
    let tvn = f.t_v * pd(0u) / pd(3u);
    let v = (f.mu_v + 60.0lf) / 10.0lf;
    let s = (f.sigma_v - 4.0lf) / 6.0lf;
    let t = tvn - 0.5lf;
    let v_thre = 1e3lf * (pd(p0) + pd(p0 + 1u) * v + pd(p0 + 2u) * s + pd(p0 + 3u) * t
        + pd(p0 + 4u) * v * v + pd(p0 + 5u) * s * s + pd(p0 + 6u) * t * t
        + pd(p0 + 7u) * v * s + pd(p0 + 8u) * v * t + pd(p0 + 9u) * s * t);
    return erfc64((v_thre - f.mu_v) / (1.4142135623730951lf * f.sigma_v)) / (2.0lf * f.t_v);
}

struct Derivs {
    f: f64,
    d_fe: f64,
    d_fi: f64,
    d2_fe_fe: f64,
    d2_fe_fi: f64,
    d2_fi_fe: f64,
    d2_fi_fi: f64,
}

fn derivs(p0: u32, e_l: f64, e: f64, i: f64, fe_ext: f64, fi_ext: f64, w: f64) -> Derivs {
    let df = 1e-7lf;
    let h1 = 2.0lf * df * 1e3lf;
    let h2 = (df * 1e3lf) * (df * 1e3lf);
    let f = tf(p0, e_l, e, i, fe_ext, fi_ext, w);
    let ep = tf(p0, e_l, e + df, i, fe_ext, fi_ext, w);
    let em = tf(p0, e_l, e - df, i, fe_ext, fi_ext, w);
    let ip = tf(p0, e_l, e, i + df, fe_ext, fi_ext, w);
    let im = tf(p0, e_l, e, i - df, fe_ext, fi_ext, w);
    let pp = tf(p0, e_l, e + df, i + df, fe_ext, fi_ext, w);
    let pm = tf(p0, e_l, e + df, i - df, fe_ext, fi_ext, w);
    let mp = tf(p0, e_l, e - df, i + df, fe_ext, fi_ext, w);
    let mm = tf(p0, e_l, e - df, i - df, fe_ext, fi_ext, w);
    return Derivs(
        f,
        (ep - em) / h1,
        (ip - im) / h1,
        (ep - 2.0lf * f + em) / h2,
        ((pp - mp) / h1 - (pm - mm) / h1) / h1,
        ((pp - pm) / h1 - (mp - mm) / h1) / h1,
        (ip - 2.0lf * f + im) / h2,
    );
}

fn dfun(xs: array<f32, NV>, cpl: array<f32, NC>) -> array<f32, NV> {
    let e = f64(xs[0]);
    let i = f64(xs[1]);
    let c_ee = f64(xs[2]);
    let c_ei = f64(xs[3]);
    let c_ii = f64(xs[4]);
    let w_e = f64(xs[5]);
    let w_i = f64(xs[6]);
    let ou = f64(xs[7]);
    let c0 = f64(cpl[0]);
    let e_l_e = pd(1u);
    let e_l_i = pd(2u);
    let t = pd(22u);
    let n_e = pd(16u) * (1.0lf - pd(19u));
    let n_i = pd(16u) * pd(19u);
    let noise = pd(48u) * ou;
    let e_in_e = max(c0 + pd(43u) + noise, 0.0lf);
    let e_in_i = max(pd(49u) * c0 + pd(45u) + noise, 0.0lf);
    let i_in_e = pd(44u);
    let i_in_i = pd(46u);
    let de = derivs(23u, e_l_e, e, i, e_in_e, i_in_e, w_e);
    let di = derivs(33u, e_l_i, e, i, e_in_i, i_in_i, w_i);
    let re = de.f - e;
    let ri = di.f - i;
    var dx: array<f32, NV>;
    dx[0] = f32((re + 0.5lf * c_ee * de.d2_fe_fe + 0.5lf * c_ei * de.d2_fe_fi + 0.5lf * c_ei * de.d2_fi_fe
        + 0.5lf * c_ii * de.d2_fi_fi) / t);
    dx[1] = f32((ri + 0.5lf * c_ee * di.d2_fe_fe + 0.5lf * c_ei * di.d2_fe_fi + 0.5lf * c_ei * di.d2_fi_fe
        + 0.5lf * c_ii * di.d2_fi_fi) / t);
    dx[2] = f32((de.f * (1.0lf / t - de.f) / n_e + re * re + 2.0lf * c_ee * de.d_fe + 2.0lf * c_ei * de.d_fi
        - 2.0lf * c_ee) / t);
    dx[3] = f32((re * ri + c_ee * de.d_fe + c_ei * di.d_fe + c_ei * de.d_fi + c_ii * di.d_fi - 2.0lf * c_ei) / t);
    dx[4] = f32((di.f * (1.0lf / t - di.f) / n_i + ri * ri + 2.0lf * c_ii * di.d_fi + 2.0lf * c_ei * di.d_fe
        - 2.0lf * c_ii) / t);
    let mu_ve = fluct(e, i, e_in_e, i_in_e, w_e, e_l_e).mu_v;
    dx[5] = f32(-w_e / pd(8u) + pd(4u) * e + pd(5u) * (mu_ve - e_l_e) / pd(8u));
    let mu_vi = fluct(e, i, e_in_i, i_in_i, w_i, e_l_i).mu_v;
    dx[6] = f32(-w_i / pd(9u) + pd(6u) * i + pd(7u) * (mu_vi - e_l_i) / pd(9u));
    dx[7] = f32(-ou / pd(47u));
    return dx;
}
