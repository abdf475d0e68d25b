// One integration step of ONE whole-brain network (a graph's mean_field
// actor on Vulkan): thread i advances region i from x(t) to x(t+1), as the
// CPU engine (brainstream_models::engine) does. A window of steps is one
// command buffer: one dispatch per step, push constant `s` the step within
// the window, every step's state written to `trace` and read back once.
// Preceded by the model part (brainstream_modeldecl::wgsl::model_with_state,
// state type S = the right-hand side's) and the coupling part
// (brainstream_modeldecl::wgsl_coupling); `$S` below is that type.
//
// Layouts (S = f64 or f32; the history and the coupling are f32, as the
// CPU engine's float32 history):
//   x[v*N + i]                         state
//   hist[(slot*NC + k)*N + j]          coupled variables, ring of H slots
//   ints:  header (H_* below), row_ptr[N+1], col[nnz], dly[nnz],
//          stvar[NSTV] (the model's stimulus variables), pslot[N] (index
//          among the proxy regions, 0xffffffff for the others)
//   floats: weights[nnz], params[(NP+NCP)*N] (parameter k of region i at
//          k*N + i: the model's in its table order, then the coupling's)
//   reals:  dt, lo[NV], hi[NV], g[NV] (sqrt(2·nsig) per variable),
//          a, b (multiplicative noise a·x + b), sqrt(dt)
//   win_u (per window): base step, has_stim, has_proxy, nvi, cpl_on,
//          proxy values' offset in win_r, vars[NV] (proxy input variables),
//          present[W]
//   win_r (per window): stim[s*N + i], then proxy values
//          [(s*NP + p)*nvi + v] from the offset
//   trace[(s*NV + v)*N + i]            state after step s of the window
//   cplout[(s*N + i)*NT + k]           coupling used for step s
// Step n → n+1 (tvb-library's order, as the CPU engine):
//   c_k,i = post(Σ_j w_ij·pre(k, x_i(n), x_j(n − d_ij)))   (f32 products and sum)
//   Euler, Heun or RK4 with c held, every stage clamped to the bounds,
//   additive (sqrt(dt)·z·g) or multiplicative (sqrt(dt)·z·g·(a·x + b)) noise
//   from Philox4x32-10 keyed as the CPU's Philox stream, counter
//   (step, region, variable), and the stimulus u added as the CPU engine
//   adds it (StimulusInput); then a present proxy state replaces the proxy
//   regions' own, and the coupled variables enter the history.

struct Push {
    s: u32,
    pad: u32,
}

var<push_constant> pc: Push;

@group(0) @binding(0) var<storage, read> ints: array<u32>;
@group(0) @binding(1) var<storage, read> floats: array<f32>;
@group(0) @binding(2) var<storage, read> reals: array<$S>;
@group(0) @binding(3) var<storage, read_write> x: array<$S>;
@group(0) @binding(4) var<storage, read_write> hist: array<f32>;
@group(0) @binding(5) var<storage, read> win_u: array<u32>;
@group(0) @binding(6) var<storage, read> win_r: array<$S>;
@group(0) @binding(7) var<storage, read_write> trace: array<$S>;
@group(0) @binding(8) var<storage, read_write> cplout: array<f32>;

const H_N: u32 = 0u;
const H_H: u32 = 1u;
const H_SCHEME: u32 = 2u;
const H_NOISE: u32 = 3u;
const H_KEY0: u32 = 4u;
const H_KEY1: u32 = 5u;
const H_ROWPTR: u32 = 6u;
const H_COL: u32 = 7u;
const H_DLY: u32 = 8u;
const H_NSTV: u32 = 9u;
const H_STV: u32 = 10u;
const H_PSLOT: u32 = 11u;
const H_PARAMS: u32 = 12u;
const H_W: u32 = 13u;
const H_NP: u32 = 14u;

const W_BASE: u32 = 0u;
const W_STIM: u32 = 1u;
const W_PROXY: u32 = 2u;
const W_NVI: u32 = 3u;
const W_CPL: u32 = 4u;
const W_POFF: u32 = 5u;
const W_VARS: u32 = 6u;

const R_DT: u32 = 0u;

var<private> g_comb: u32;
var<private> g_c: u32;

// Model parameter k of this thread's region.
fn p(k: u32) -> f32 {
    return floats[ints[H_PARAMS] + k * g_c + g_comb];
}

// mulhilo and philox: shaders/philox.wgsl, appended to this file.

// Standard normal for (step, region, variable): brainstream_models::philox::gauss
// (in $S, with the model part's m_log, m_cos, m_sqrt).
fn gauss(step: u32, i: u32, v: u32) -> $S {
    let key = vec2<u32>(ints[H_KEY0], ints[H_KEY1]);
    let r = philox(vec4<u32>(step, i, v, 0u), key);
    let u1 = ($S(r.x >> 8u) + 1.0) * (1.0 / 16777216.0);
    let u2 = $S(r.y >> 8u) * (1.0 / 16777216.0);
    return m_sqrt(-2.0 * m_log(u1)) * m_cos(6.283185307179586 * u2);
}

// tvb-library's clamp: x < lo → lo, x > hi → hi (NaN stays NaN).
fn bound(xv: array<$S, NV>) -> array<$S, NV> {
    var y = xv;
    for (var v = 0u; v < NV; v = v + 1u) {
        let lo = reals[1u + v];
        let hi = reals[1u + NV + v];
        if (y[v] < lo) {
            y[v] = lo;
        }
        if (y[v] > hi) {
            y[v] = hi;
        }
    }
    return y;
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let N = ints[H_N];
    let H = ints[H_H];
    let i = gid.x;
    if (i >= N) {
        return;
    }
    g_comb = i;
    g_c = N;
    prepare();
    let s = pc.s;
    let step = win_u[W_BASE] + s;
    let dt = reals[R_DT];

    var xs: array<$S, NV>;
    for (var v = 0u; v < NV; v = v + 1u) {
        xs[v] = x[v * N + i];
    }

    // delayed coupling, from the f32 history
    var cpl: array<f32, NC>;
    // $SUM{ the sparse sum; shaders/presigmoidal_sum.wgsl for sum = "presigmoidal" (src/sum_rule.rs)
    var xi: array<f32, NC>;
    let s0 = step % H;
    for (var k = 0u; k < NC; k = k + 1u) {
        xi[k] = hist[(s0 * NC + k) * N + i];
    }
    let e0 = ints[ints[H_ROWPTR] + i];
    let e1 = ints[ints[H_ROWPTR] + i + 1u];
    for (var k = 0u; k < NT; k = k + 1u) {
        var sum = 0.0;
        for (var e = e0; e < e1; e = e + 1u) {
            let j = ints[ints[H_COL] + e];
            let d = ints[ints[H_DLY] + e];
            let sl = (step + H - d) % H;
            var xj: array<f32, NC>;
            if (CPL_COMBINE) {
                for (var m = 0u; m < NC; m = m + 1u) {
                    xj[m] = hist[(sl * NC + m) * N + j];
                }
            } else {
                xj[k] = hist[(sl * NC + k) * N + j];
            }
            sum = sum + floats[ints[H_W] + e] * cpl_pre(k, xi, xj);
        }
        cpl[k] = cpl_post(sum, f32(NC));
    }
    // $SUM} (src/sum_rule.rs leaves these marker lines out of the kernel)
    if (win_u[W_CPL] != 0u) {
        for (var k = 0u; k < NT; k = k + 1u) {
            cplout[(s * N + i) * NT + k] = cpl[k];
        }
    }

    // noise increment η
    let noise = ints[H_NOISE];
    var eta: array<$S, NV>;
    for (var v = 0u; v < NV; v = v + 1u) {
        eta[v] = 0.0;
        let g = reals[1u + 2u * NV + v];
        if (noise != 0u && g != 0.0) {
            let raw = reals[3u + 3u * NV] * gauss(step, i, v);
            if (noise == 2u) {
                eta[v] = raw * (g * (reals[1u + 3u * NV] * xs[v] + reals[2u + 3u * NV]));
            } else {
                eta[v] = raw * g;
            }
        }
    }
    // stimulus u of this step on the model's stimulus variables (0 elsewhere)
    var su: array<$S, NV>;
    for (var v = 0u; v < NV; v = v + 1u) {
        su[v] = 0.0;
    }
    if (win_u[W_STIM] != 0u) {
        let u = win_r[s * N + i];
        for (var k = 0u; k < ints[H_NSTV]; k = k + 1u) {
            su[ints[ints[H_STV] + k]] = u;
        }
    }

    let scheme = ints[H_SCHEME];
    let k1 = dfun(xs, cpl);
    var xn: array<$S, NV>;
    if (scheme == 1u) {
        // Heun
        var tmp: array<$S, NV>;
        for (var v = 0u; v < NV; v = v + 1u) {
            if (noise != 0u) {
                tmp[v] = xs[v] + dt * k1[v] + eta[v];
                tmp[v] = tmp[v] + dt * su[v];
            } else {
                tmp[v] = xs[v] + dt * (k1[v] + su[v]);
            }
        }
        let k2 = dfun(bound(tmp), cpl);
        for (var v = 0u; v < NV; v = v + 1u) {
            let dx = (k1[v] + k2[v]) * dt / 2.0;
            if (noise != 0u) {
                xn[v] = xs[v] + dx + eta[v];
            } else {
                xn[v] = xs[v] + dx;
            }
            xn[v] = xn[v] + dt * su[v];
        }
    } else if (scheme == 2u) {
        // RK4
        let dt2 = dt / 2.0;
        let dt6 = dt / 6.0;
        var tmp: array<$S, NV>;
        for (var v = 0u; v < NV; v = v + 1u) {
            tmp[v] = xs[v] + dt2 * k1[v];
        }
        let k2 = dfun(bound(tmp), cpl);
        for (var v = 0u; v < NV; v = v + 1u) {
            tmp[v] = xs[v] + dt2 * k2[v];
        }
        let k3 = dfun(bound(tmp), cpl);
        for (var v = 0u; v < NV; v = v + 1u) {
            tmp[v] = xs[v] + dt * k3[v];
        }
        let k4 = dfun(bound(tmp), cpl);
        for (var v = 0u; v < NV; v = v + 1u) {
            let dx = dt6 * (k1[v] + 2.0 * k2[v] + 2.0 * k3[v] + k4[v]);
            xn[v] = xs[v] + dx;
            if (noise != 0u) {
                xn[v] = xn[v] + eta[v];
            }
            xn[v] = xn[v] + dt * su[v];
        }
    } else {
        // Euler
        for (var v = 0u; v < NV; v = v + 1u) {
            if (noise != 0u) {
                xn[v] = xs[v] + k1[v] * dt + eta[v];
                xn[v] = xn[v] + dt * su[v];
            } else {
                xn[v] = xs[v] + dt * (k1[v] + su[v]);
            }
        }
    }
    xn = bound(xn);

    // a proxy region's state from outside, where this step has one
    let slot = ints[ints[H_PSLOT] + i];
    if (win_u[W_PROXY] != 0u && slot != 0xffffffffu) {
        if (win_u[W_VARS + NV + s] != 0u) {
            let nvi = win_u[W_NVI];
            let np = ints[H_NP];
            for (var v = 0u; v < nvi; v = v + 1u) {
                xn[win_u[W_VARS + v]] = win_r[win_u[W_POFF] + (s * np + slot) * nvi + v];
            }
        }
    }

    for (var v = 0u; v < NV; v = v + 1u) {
        x[v * N + i] = xn[v];
        trace[(s * NV + v) * N + i] = xn[v];
    }
    let s1 = (step + 1u) % H;
    for (var k = 0u; k < NC; k = k + 1u) {
        hist[(s1 * NC + k) * N + i] = f32(xn[CVAR[k]]);
    }
}
