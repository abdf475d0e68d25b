// One integration step of a cortical-surface simulation (the `surface`
// kind on Vulkan), as brainstream_models::surface::SurfaceSim steps one
// (tvb-library 2.10's Simulator with a Cortex): Generic2dOscillator on each
// vertex, the local coupling lc = (cs·L)·V of the sparse matrix L (CSR rows
// in ascending column order, summed from 0 as scipy's product sums), and
// the delayed long-range coupling of the region connectome through the
// region mapping. A step is four dispatches of this kernel, push constant
// `phase` choosing the work, `s` the step within the window (one command
// buffer per window, the state never leaves the device):
//
//   phase 0, thread r < R: region r's coupling for step k (from 1)
//     c_r = post(Σ_j w_rj·pre(x̄_r(k−1), x̄_j(k−1−d_rj)))  (f32 products,
//     summed as numpy's add.reduceat sums: the first product plus the
//     pairwise sum of the others; post in the state's type);
//   phase 1, thread v < V: lc = L·V, k1 = f(X, c_rmap[v], lc),
//     X̃ = X + dt·(k1 + u) clamped (u the stimulus, 0 off its variables);
//   phase 2, thread v < V: Heun: lc = L·Ṽ, k2 = f(X̃, c, lc),
//     X + (k1 + k2)·dt/2 + dt·u, clamped; Euler: X̃; the state written,
//     every STRIDE-th vertex's chosen variables into the trace;
//   phase 3, thread r < R: the average of each variable over region r's
//     vertices (summed in vertex order from 0, then / n_r, as
//     numpy.add.at sums), into the trace, and the coupled variables' into
//     the f32 history ring at slot k mod H.
//
// Preceded by `const NVAR`, `NC`, `CVAR` (the model's) and followed by the
// model library's m_* functions (brainstream_modeldecl::wgsl::library);
// `$S` is the state's type (f64 where the device has shaderFloat64).
//
// Layouts:
//   x[k*V + v], work[k*V + v] (X̃), work[(NVAR + k)*V + v] (k1)
//   hist[(slot*NC + c)*R + r]            region averages, f32, H slots
//   cplr[r*NC + c]                       this step's region coupling
//   ints: header (H_* below), then the arrays the header points at
//   wts: the connectome's non-zero weights (f32), row by row
//   reals: dt, lo[NVAR], hi[NVAR], G2D's 12 parameters, the coupling's 2,
//          count[R], spatial[V] (the stimulus pattern)
//   lcol, lval: L's columns and values (cs·L), rows at ints[H_LPTR]
//   win_u: base step of the window, the region trace's offset in trace,
//          the stimulus of the window: 0 none, 1 the surface's own
//          (spatial[v]·win_t[s]), 2 from outside (win_t[s*V + v])
//   win_t: T((k − 1)·dt) of each step of the window, or u_v of each step
//   trace: [(s*NQ + q)*NSEL + j] the chosen variables of the recorded
//          vertices, then from win_u[1]: [(s*NVAR + k)*R + r] averages

struct Push {
    s: u32,
    phase: u32,
}

var<push_constant> pc: Push;

@group(0) @binding(0) var<storage, read> ints: array<u32>;
@group(0) @binding(1) var<storage, read> wts: array<f32>;
@group(0) @binding(2) var<storage, read> reals: array<$S>;
@group(0) @binding(3) var<storage, read> lcol: array<u32>;
@group(0) @binding(4) var<storage, read> lval: array<$S>;
@group(0) @binding(5) var<storage, read_write> x: array<$S>;
@group(0) @binding(6) var<storage, read_write> work: array<$S>;
@group(0) @binding(7) var<storage, read_write> cplr: array<$S>;
@group(0) @binding(8) var<storage, read_write> hist: array<f32>;
@group(0) @binding(9) var<storage, read> win_u: array<u32>;
@group(0) @binding(10) var<storage, read> win_t: array<$S>;
@group(0) @binding(11) var<storage, read_write> trace: array<$S>;

const H_V: u32 = 0u;
const H_R: u32 = 1u;
const H_H: u32 = 2u;
const H_SCHEME: u32 = 3u;
const H_STIM: u32 = 4u;
const H_NSTV: u32 = 5u;
const H_STV: u32 = 6u;
const H_RMAP: u32 = 7u;
const H_LPTR: u32 = 8u;
const H_RPTR: u32 = 9u;
const H_RVERT: u32 = 10u;
const H_EPTR: u32 = 11u;
const H_ECOL: u32 = 12u;
const H_EDLY: u32 = 13u;
const H_NQ: u32 = 14u;
const H_VOI: u32 = 15u;
const H_STRIDE: u32 = 16u;
const H_NSEL: u32 = 17u;
const H_CPL: u32 = 18u;
const H_LOCAL: u32 = 19u;
const H_COUNT: u32 = 20u;
const H_SPATIAL: u32 = 21u;

const R_DT: u32 = 0u;

var<private> k_inf: $S;

// the row being summed in phase 0: its region's average, the coupled
// variable, the step
var<private> r_xi: f32;
var<private> r_c: u32;
var<private> r_k: u32;

// tvb-library's clamp: x < lo → lo, x > hi → hi (NaN stays NaN).
fn bound(xv: array<$S, NVAR>) -> array<$S, NVAR> {
    var y = xv;
    for (var v = 0u; v < NVAR; v = v + 1u) {
        let lo = reals[1u + v];
        let hi = reals[1u + NVAR + v];
        if (y[v] < lo) {
            y[v] = lo;
        }
        if (y[v] > hi) {
            y[v] = hi;
        }
    }
    return y;
}

// G2D parameter k (tau I a b c d e f g alpha beta gamma).
fn gp(k: u32) -> $S {
    return reals[1u + 2u * NVAR + k];
}

// Generic2dOscillator with the local coupling in its V equation, in the
// order of tvb-library's numba kernel (as SurfaceSim's G2d::dfun):
//   dV = d·τ·(α·W − f·V²·V + e·V² + g·V + γ·I + γ·c + lc)
//   dW = d·(a + b·V + c·V² − β·W)/τ
fn dfun(xs: array<$S, NVAR>, c0: $S, lc0: $S) -> array<$S, NVAR> {
    let tau = gp(0u);
    let i = gp(1u);
    let a = gp(2u);
    let b = gp(3u);
    let c = gp(4u);
    let d = gp(5u);
    let e = gp(6u);
    let f = gp(7u);
    let g = gp(8u);
    let alpha = gp(9u);
    let beta = gp(10u);
    let gamma = gp(11u);
    let v = xs[0];
    let w = xs[1];
    let v2 = v * v;
    var r: array<$S, NVAR>;
    r[0] = d * tau * (alpha * w - f * v2 * v + e * v2 + g * v + gamma * i + gamma * c0 + lc0);
    r[1] = d * (a + b * v + c * v2 - beta * w) / tau;
    return r;
}

// Coupling parameter k.
fn cp(k: u32) -> $S {
    return reals[13u + 2u * NVAR + k];
}

// pre of the sparse float32 couplings (Coupling::pre32): Linear and
// Scaling x_j, Difference x_j − x_i, Kuramoto sin(x_j − x_i) (the sine of
// the float32 difference, rounded to float32).
fn pre(xi: f32, xj: f32) -> f32 {
    let kind = ints[H_CPL];
    if (kind == 2u) {
        return xj - xi;
    }
    if (kind == 3u) {
        return f32(m_sin($S(xj - xi)));
    }
    return xj;
}

// post (Coupling::post) in the state's type.
fn post(gx: f32) -> $S {
    let kind = ints[H_CPL];
    let g = $S(gx);
    if (kind == 0u) {
        return cp(0u) * g + cp(1u);
    }
    if (kind == 3u) {
        return cp(0u) / $S(NC) * g;
    }
    return cp(0u) * g;
}

// The product of connectome entry e of the row being summed.
fn prod(e: u32) -> f32 {
    let H = ints[H_H];
    let R = ints[H_R];
    let j = ints[ints[H_ECOL] + e];
    let d = ints[ints[H_EDLY] + e];
    let sl = (r_k + H - 1u - d) % H;
    let xj = hist[(sl * NC + r_c) * R + j];
    return wts[e] * pre(r_xi, xj);
}

// numpy's pairwise_sum of the products start … start + n − 1, n ≤ 128
// (brainstream_models::tvb_sum::pairwise).
fn pw0(start: u32, n: u32) -> f32 {
    if (n < 8u) {
        var res = bitcast<f32>(0x80000000u);
        for (var i = start; i < start + n; i = i + 1u) {
            res = res + prod(i);
        }
        return res;
    }
    var r: array<f32, 8>;
    for (var k = 0u; k < 8u; k = k + 1u) {
        r[k] = prod(start + k);
    }
    let end = start + n - n % 8u;
    for (var i = start + 8u; i < end; i = i + 8u) {
        for (var k = 0u; k < 8u; k = k + 1u) {
            r[k] = r[k] + prod(i + k);
        }
    }
    var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (var i = end; i < start + n; i = i + 1u) {
        res = res + prod(i);
    }
    return res;
}

// numpy's pairwise_sum of the products start … start + n − 1, any n: a run
// longer than 128 halves at n2 = ⌊n/2⌋ − ⌊n/2⌋ mod 8, the halves summed
// alike and added (left + right); walked with an explicit stack (WGSL has no
// recursion; a run of n terms is at most log2(n/128) + 1 halvings deep).
fn pairwise(start: u32, n: u32) -> f32 {
    var st: array<u32, 32>;
    var ln: array<u32, 32>;
    var left: array<f32, 32>;
    var done: array<bool, 32>;
    var top = 0u;
    st[0] = start;
    ln[0] = n;
    var r = 0.0f;
    loop {
        // down the left halves to a run of at most 128
        while (ln[top] > 128u) {
            var n2 = ln[top] / 2u;
            n2 = n2 - n2 % 8u;
            done[top] = false;
            st[top + 1u] = st[top];
            ln[top + 1u] = n2;
            top = top + 1u;
        }
        r = pw0(st[top], ln[top]);
        // up: a left half's sum waits for its right half's
        loop {
            if (top == 0u) {
                return r;
            }
            top = top - 1u;
            var n2 = ln[top] / 2u;
            n2 = n2 - n2 % 8u;
            if (!done[top]) {
                left[top] = r;
                done[top] = true;
                st[top + 1u] = st[top] + n2;
                ln[top + 1u] = ln[top] - n2;
                top = top + 1u;
                break;
            }
            r = left[top] + r;
        }
    }
    return r;
}

// L·y of vertex v, y = x (from x) or X̃ (from work): the row from 0 in
// ascending column order.
fn lmul(v: u32, from_x: bool) -> $S {
    if (ints[H_LOCAL] == 0u) {
        return 0.0;
    }
    var acc: $S = 0.0;
    let e0 = ints[ints[H_LPTR] + v];
    let e1 = ints[ints[H_LPTR] + v + 1u];
    for (var e = e0; e < e1; e = e + 1u) {
        let j = lcol[e];
        if (from_x) {
            acc = acc + lval[e] * x[j];
        } else {
            acc = acc + lval[e] * work[j];
        }
    }
    return acc;
}

// The stimulus u of vertex v on each variable (0 off the stimulus ones).
fn stim(v: u32, s: u32) -> array<$S, NVAR> {
    var u: array<$S, NVAR>;
    for (var k = 0u; k < NVAR; k = k + 1u) {
        u[k] = 0.0;
    }
    let mode = win_u[2];
    if (mode != 0u) {
        var val = win_t[s * ints[H_V] + v];
        if (mode == 1u) {
            val = reals[ints[H_SPATIAL] + v] * win_t[s];
        }
        for (var q = 0u; q < ints[H_NSTV]; q = q + 1u) {
            u[ints[ints[H_STV] + q]] = val;
        }
    }
    return u;
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    k_inf = 1.0 / opq(0.0);
    let V = ints[H_V];
    let R = ints[H_R];
    let H = ints[H_H];
    let s = pc.s;
    let k = win_u[0] + s + 1u;
    let dt = reals[R_DT];
    let id = gid.x;

    if (pc.phase == 0u) {
        // region coupling
        if (id >= R) {
            return;
        }
        let cur = (k - 1u) % H;
        let e0 = ints[ints[H_EPTR] + id];
        let e1 = ints[ints[H_EPTR] + id + 1u];
        r_k = k;
        for (var c = 0u; c < NC; c = c + 1u) {
            r_xi = hist[(cur * NC + c) * R + id];
            r_c = c;
            var gx = 0.0f;
            if (e1 > e0) {
                gx = prod(e0) + pairwise(e0 + 1u, e1 - e0 - 1u);
            }
            cplr[id * NC + c] = post(gx);
        }
        return;
    }

    if (pc.phase == 3u) {
        // region averages
        if (id >= R) {
            return;
        }
        let v0 = ints[ints[H_RPTR] + id];
        let v1 = ints[ints[H_RPTR] + id + 1u];
        let cnt = reals[ints[H_COUNT] + id];
        var avg: array<$S, NVAR>;
        for (var q = 0u; q < NVAR; q = q + 1u) {
            var sum: $S = 0.0;
            for (var t = v0; t < v1; t = t + 1u) {
                sum = sum + x[q * V + ints[ints[H_RVERT] + t]];
            }
            avg[q] = sum / cnt;
            trace[win_u[1] + (s * NVAR + q) * R + id] = avg[q];
        }
        let slot = k % H;
        for (var c = 0u; c < NC; c = c + 1u) {
            hist[(slot * NC + c) * R + id] = f32(avg[CVAR[c]]);
        }
        return;
    }

    // phases 1 and 2: vertex id
    if (id >= V) {
        return;
    }
    let c0 = cplr[ints[ints[H_RMAP] + id] * NC];
    var xs: array<$S, NVAR>;
    for (var q = 0u; q < NVAR; q = q + 1u) {
        xs[q] = x[q * V + id];
    }
    let u = stim(id, s);
    if (pc.phase == 1u) {
        let k1 = dfun(xs, c0, lmul(id, true));
        var tmp: array<$S, NVAR>;
        for (var q = 0u; q < NVAR; q = q + 1u) {
            work[(NVAR + q) * V + id] = k1[q];
            if (win_u[2] != 0u) {
                tmp[q] = xs[q] + dt * (k1[q] + u[q]);
            } else {
                tmp[q] = xs[q] + dt * k1[q];
            }
        }
        tmp = bound(tmp);
        for (var q = 0u; q < NVAR; q = q + 1u) {
            work[q * V + id] = tmp[q];
        }
        return;
    }

    // phase 2
    var xn: array<$S, NVAR>;
    for (var q = 0u; q < NVAR; q = q + 1u) {
        xn[q] = work[q * V + id];
    }
    if (ints[H_SCHEME] == 1u) {
        // Heun: the second stage at X̃
        let k2 = dfun(xn, c0, lmul(id, false));
        for (var q = 0u; q < NVAR; q = q + 1u) {
            let k1 = work[(NVAR + q) * V + id];
            xn[q] = xs[q] + (k1 + k2[q]) * dt / 2.0;
            if (win_u[2] != 0u) {
                xn[q] = xn[q] + dt * u[q];
            }
        }
        xn = bound(xn);
    }
    for (var q = 0u; q < NVAR; q = q + 1u) {
        x[q * V + id] = xn[q];
    }
    let stride = ints[H_STRIDE];
    if (id % stride == 0u) {
        let nq = ints[H_NQ];
        let nsel = ints[H_NSEL];
        for (var q = 0u; q < nq; q = q + 1u) {
            trace[(s * nq + q) * nsel + id / stride] = xn[ints[ints[H_VOI] + q]];
        }
    }
}
