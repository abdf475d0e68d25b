// One integration step of a whole-brain network for C parameter
// combinations at once: thread (c, i) advances region i of combination c
// from x(t) to x(t+1). Preceded by a model part generated from the model's
// declaration (brainstream_modeldecl::wgsl), which defines NV, NC, CVAR,
// NP, `prepare` (what depends on the parameters alone, once per thread and
// step) and `dfun` (the right-hand side, in f64 or f32), and by a coupling
// part generated from the coupling's declaration
// (brainstream_modeldecl::wgsl_coupling): NCP, NT, CPL_COMBINE, `cp`,
// `cpl_pre` and `cpl_post`.
//
// Layouts (combination index innermost, so that neighbouring threads read
// neighbouring words):
//   x[(v*N + i)*C + c]                 state, f32
//   hist[((s*NC + k)*N + j)*C + c]     coupled variables, ring of H slots
//   acc[(o*N + i)*C + c]               sums of the output variables
//   ints:   header (see H_* below), row_ptr[N+1], col[nnz], dly[nnz], outv[nout]
//   floats: dt, weights[nnz], lo[NV], hi[NV], nsig[NV], params[(NP+NCP)*C]
//           (model parameters in the model's table order, then the
//           coupling's, each as C values)
// Coupling (held for both Heun stages), for each of the NT terms k:
//   c_k,i = post(Σ_j w_ij·pre(k, x_i(t), x_j(t − d_ij)), NC)
// where x_i and x_j hold the coupled variables (with CPL_COMBINE false,
// pre reads only variable k of them); f32 products and sum.
// Noise (additive): sqrt(2·nsig_v·dt)·z, z from Philox4x32-10 keyed by the
// seed and combination, counter (step, region, variable), Box–Muller.

struct Push {
    t: u32,
    pad: u32,
}

var<push_constant> pc: Push;

@group(0) @binding(0) var<storage, read> ints: array<u32>;
@group(0) @binding(1) var<storage, read> floats: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> hist: array<f32>;
@group(0) @binding(4) var<storage, read_write> acc: array<f32>;
@group(0) @binding(5) var<storage, read> clock: array<u32>;

const H_C: u32 = 0u;
const H_N: u32 = 1u;
const H_H: u32 = 2u;
const H_SCHEME: u32 = 3u;
const H_NOISE: u32 = 4u;
const H_SEED_LO: u32 = 5u;
const H_SEED_HI: u32 = 6u;
const H_NOUT: u32 = 7u;
const H_ROWPTR: u32 = 8u;
const H_COL: u32 = 9u;
const H_DLY: u32 = 10u;
const H_OUTV: u32 = 11u;
const H_W: u32 = 12u;
const H_LO: u32 = 13u;
const H_HI: u32 = 14u;
const H_NSIG: u32 = 15u;
const H_PARAMS: u32 = 16u;
const H_COMB0: u32 = 17u;

var<private> g_comb: u32;
var<private> g_c: u32;

// Model parameter k of this thread's combination.
fn p(k: u32) -> f32 {
    return floats[ints[H_PARAMS] + k * g_c + g_comb];
}

// mulhilo and philox: shaders/philox.wgsl, appended to this file.

// Standard normal for (step, region, variable, stage) of this combination.
fn gauss(t: u32, i: u32, v: u32) -> f32 {
    let key = vec2<u32>(ints[H_SEED_LO] ^ (g_comb + ints[H_COMB0]), ints[H_SEED_HI]);
    let r = philox(vec4<u32>(t, i, v, 0u), key);
    // uniforms in (0, 1]: (u + 1) / 2^32, in f32 from the top 24 bits
    let u1 = (f32(r.x >> 8u) + 1.0) * 5.9604644775390625e-8;
    let u2 = f32(r.y >> 8u) * 5.9604644775390625e-8;
    return sqrt(-2.0 * log(u1)) * cos(6.2831855 * u2);
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let C = ints[H_C];
    let N = ints[H_N];
    let H = ints[H_H];
    let c = gid.x;
    let i = gid.y;
    if (c >= C || i >= N) {
        return;
    }
    g_comb = c;
    g_c = C;
    prepare();
    let t = clock[0] + pc.t;
    let dt = floats[0];

    var xs: array<f32, NV>;
    for (var v = 0u; v < NV; v = v + 1u) {
        xs[v] = x[(v * N + i) * C + c];
    }

    // delayed coupling
    var cpl: array<f32, NC>;
    // $SUM{ the sparse sum; shaders/presigmoidal_sum.wgsl for sum = "presigmoidal" (src/sum_rule.rs)
    var xi: array<f32, NC>;
    for (var k = 0u; k < NC; k = k + 1u) {
        xi[k] = xs[CVAR[k]];
    }
    let e0 = ints[ints[H_ROWPTR] + i];
    let e1 = ints[ints[H_ROWPTR] + i + 1u];
    for (var k = 0u; k < NT; k = k + 1u) {
        var sum = 0.0;
        for (var e = e0; e < e1; e = e + 1u) {
            let j = ints[ints[H_COL] + e];
            let d = ints[ints[H_DLY] + e];
            let s = (t + H - d) % H;
            var xj: array<f32, NC>;
            if (CPL_COMBINE) {
                for (var m = 0u; m < NC; m = m + 1u) {
                    xj[m] = hist[((s * NC + m) * N + j) * C + c];
                }
            } else {
                xj[k] = hist[((s * NC + k) * N + j) * C + c];
            }
            sum = sum + floats[ints[H_W] + e] * cpl_pre(k, xi, xj);
        }
        cpl[k] = cpl_post(sum, f32(NC));
    }
    // $SUM} (src/sum_rule.rs leaves these marker lines out of the kernel)
    var noise: array<f32, NV>;
    for (var v = 0u; v < NV; v = v + 1u) {
        noise[v] = 0.0;
        if (ints[H_NOISE] != 0u) {
            let nsig = floats[ints[H_NSIG] + v];
            if (nsig > 0.0) {
                noise[v] = sqrt(2.0 * nsig * dt) * gauss(t, i, v);
            }
        }
    }
    let d1 = dfun(xs, cpl);
    var xn: array<f32, NV>;
    if (ints[H_SCHEME] == 1u) {
        var inter: array<f32, NV>;
        for (var v = 0u; v < NV; v = v + 1u) {
            inter[v] = clamp(xs[v] + dt * d1[v] + noise[v], floats[ints[H_LO] + v], floats[ints[H_HI] + v]);
        }
        let d2 = dfun(inter, cpl);
        for (var v = 0u; v < NV; v = v + 1u) {
            xn[v] = clamp(xs[v] + (d1[v] + d2[v]) * (dt / 2.0) + noise[v], floats[ints[H_LO] + v], floats[ints[H_HI] + v]);
        }
    } else {
        for (var v = 0u; v < NV; v = v + 1u) {
            xn[v] = clamp(xs[v] + dt * d1[v] + noise[v], floats[ints[H_LO] + v], floats[ints[H_HI] + v]);
        }
    }
    for (var v = 0u; v < NV; v = v + 1u) {
        x[(v * N + i) * C + c] = xn[v];
    }
    let s1 = (t + 1u) % H;
    for (var k = 0u; k < NC; k = k + 1u) {
        hist[((s1 * NC + k) * N + i) * C + c] = xn[CVAR[k]];
    }
    let nout = ints[H_NOUT];
    for (var o = 0u; o < nout; o = o + 1u) {
        let idx = (o * N + i) * C + c;
        acc[idx] = acc[idx] + xn[ints[ints[H_OUTV] + o]];
    }
}
