// A sweep's analyses streamed on the device (gpu/src/analysis.rs): after
// each sampling period of the step kernel (shaders/step.wgsl), one thread
// per (combination c, task) adds the period's averages to the running sums
// of its combination, so that only the sums come back at the end. The
// host prepends `alias real = f64;` (devices with shaderFloat64) or
// `alias real = f32;` and sums in that type, in the CPU analyses' order
// (brainstream_models::analysis), so that in f64 they are the CPU's sums.
//
// Sample value: x = real(acc[(o*N + i)*C + c]) * inv_p, the period's sum of
// output o at region i divided by the steps of a period.
// Threads: the flat index gid.y·XT + gid.x is task·C + c (combination
// innermost, so that neighbouring threads touch neighbouring words). Tasks:
//   0            divergence (every period) and the moments of the rates:
//                Welford over regions in order, per rate output
//   1 .. 1+N     region i: up/down state machine; the spectrum's ring
//   1+N ..       pair k of the upper triangle with the diagonal, (i, j):
//                FC sums of the whole run (slot 0) and of every FCD window
//                holding this sample (slots 1 + w)
// Layouts (combination innermost):
//   mom[(r*3 + q)*C + c]                 q: mean, m2, max
//   fc[(s*(2N + P) + q)*C + c]           q: shift[N], sum[N], sum2[P]
//   ud[(i*8 + q)*C + c]                  q: state (0 none, 1 + up + 2·complete),
//                                        len, up_len, up_n, down_len,
//                                        down_n, up_samples, classified
//   ud[8*N*C + c]                        first diverged period (0xffffffff: none)
//   ring[(i*NFFT + t % NFFT)*C + c]      the spectrum's last NFFT samples

@group(0) @binding(0) var<storage, read> acc: array<f32>;
@group(0) @binding(1) var<storage, read> ints: array<u32>;
@group(0) @binding(2) var<storage, read> consts: array<real>;
@group(0) @binding(3) var<storage, read_write> mom: array<real>;
@group(0) @binding(4) var<storage, read_write> fc: array<real>;
@group(0) @binding(5) var<storage, read_write> ud: array<u32>;
@group(0) @binding(6) var<storage, read_write> ring: array<real>;
// [period index, analysed (0/1), analysed samples before this one]
@group(0) @binding(7) var<storage, read> clock: array<u32>;

const A_C: u32 = 0u;
const A_N: u32 = 1u;
const A_NOUT: u32 = 2u;
const A_NRATES: u32 = 3u;
const A_SIG: u32 = 4u;
const A_XT: u32 = 5u;
const A_NPAIR: u32 = 6u;
const A_NWIN: u32 = 7u;
const A_FCD_W: u32 = 8u;
const A_FCD_S: u32 = 9u;
const A_UPDOWN: u32 = 10u;
const A_NFFT: u32 = 11u;
const A_RATES: u32 = 12u;
const A_PAIRS: u32 = 13u;

// consts: inv_p, lo, hi, then (analysis_fft.wgsl) norm, window, twiddles
const K_INV: u32 = 0u;
const K_LO: u32 = 1u;
const K_HI: u32 = 2u;

fn value(o: u32, i: u32, c: u32) -> real {
    let cc = ints[A_C];
    return real(acc[(o * ints[A_N] + i) * cc + c]) * consts[K_INV];
}

fn finite(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn moments_and_divergence(c: u32) {
    let cc = ints[A_C];
    let n = ints[A_N];
    let nout = ints[A_NOUT];
    let at = 8u * n * cc + c;
    var ok = true;
    for (var k = 0u; k < nout * n; k++) {
        ok = ok && finite(acc[k * cc + c]);
    }
    if (!ok && ud[at] == 0xffffffffu) {
        ud[at] = clock[0];
    }
    if (clock[1] == 0u || !ok) {
        return;
    }
    let t = clock[2];
    for (var r = 0u; r < ints[A_NRATES]; r++) {
        let o = ints[ints[A_RATES] + r];
        var mean = mom[(r * 3u) * cc + c];
        var m2 = mom[(r * 3u + 1u) * cc + c];
        var mx = mom[(r * 3u + 2u) * cc + c];
        for (var i = 0u; i < n; i++) {
            let x = value(o, i, c);
            let cnt = real(t * n + i + 1u);
            let d = x - mean;
            mean += d / cnt;
            m2 += d * (x - mean);
            if (t == 0u && i == 0u) {
                mx = x;
            } else {
                mx = max(mx, x);
            }
        }
        mom[(r * 3u) * cc + c] = mean;
        mom[(r * 3u + 1u) * cc + c] = m2;
        mom[(r * 3u + 2u) * cc + c] = mx;
    }
}

fn region(i: u32, c: u32) {
    let cc = ints[A_C];
    let t = clock[2];
    let x = value(ints[A_SIG], i, c);
    let nfft = ints[A_NFFT];
    if (nfft > 0u) {
        ring[(i * nfft + t % nfft) * cc + c] = x;
    }
    if (ints[A_UPDOWN] == 0u) {
        return;
    }
    let b = i * 8u * cc + c;
    let st = ud[b];
    var len = ud[b + cc];
    var next = st;
    if (st == 0u) {
        if (x > consts[K_HI]) {
            next = 2u; // up, not complete
        } else if (x < consts[K_LO]) {
            next = 1u; // down, not complete
        }
        len = 0u;
    } else {
        let up = ((st - 1u) & 1u) == 1u;
        let complete = ((st - 1u) & 2u) == 2u;
        var flip = false;
        if (up) {
            flip = x < consts[K_LO];
        } else {
            flip = x > consts[K_HI];
        }
        if (flip) {
            if (complete) {
                if (up) {
                    ud[b + 2u * cc] += len;
                    ud[b + 3u * cc] += 1u;
                } else {
                    ud[b + 4u * cc] += len;
                    ud[b + 5u * cc] += 1u;
                }
            }
            // the other state, complete
            next = 1u + select(1u, 0u, up) + 2u;
            len = 0u;
        }
    }
    if (next != 0u) {
        len += 1u;
        ud[b + 7u * cc] += 1u;
        if (((next - 1u) & 1u) == 1u) {
            ud[b + 6u * cc] += 1u;
        }
    }
    ud[b] = next;
    ud[b + cc] = len;
}

// Adds the sample to the FC sums of slot s, whose first sample is t0.
fn fc_slot(s: u32, t0: u32, i: u32, j: u32, k: u32, xi: real, xj: real, c: u32) {
    let cc = ints[A_C];
    let n = ints[A_N];
    let base = s * (2u * n + ints[A_NPAIR]);
    if (clock[2] == t0) {
        // the first sample: the shift (x − shift = 0 adds nothing)
        if (i == j) {
            fc[(base + i) * cc + c] = xi;
        }
        return;
    }
    let a = xi - fc[(base + i) * cc + c];
    let b = xj - fc[(base + j) * cc + c];
    if (i == j) {
        fc[(base + n + i) * cc + c] += a;
    }
    fc[(base + 2u * n + k) * cc + c] += a * b;
}

fn pair(k: u32, c: u32) {
    let pk = ints[ints[A_PAIRS] + k];
    let i = pk >> 16u;
    let j = pk & 0xffffu;
    let sig = ints[A_SIG];
    let xi = value(sig, i, c);
    let xj = value(sig, j, c);
    let t = clock[2];
    fc_slot(0u, 0u, i, j, k, xi, xj, c);
    let nw = ints[A_NWIN];
    if (nw == 0u) {
        return;
    }
    let w = ints[A_FCD_W];
    let s = ints[A_FCD_S];
    // windows q with q·s ≤ t < q·s + w
    var q0 = 0u;
    if (t + 1u > w) {
        q0 = (t + 1u - w + s - 1u) / s;
    }
    let q1 = min(t / s + 1u, nw);
    for (var q = q0; q < q1; q++) {
        fc_slot(1u + q, q * s, i, j, k, xi, xj, c);
    }
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cc = ints[A_C];
    let flat = gid.y * ints[A_XT] + gid.x;
    let task = flat / cc;
    let c = flat % cc;
    let n = ints[A_N];
    if (task >= 1u + n + ints[A_NPAIR]) {
        return;
    }
    if (task == 0u) {
        moments_and_divergence(c);
        return;
    }
    // the rest only in analysed periods, until the combination diverges
    if (clock[1] == 0u || ud[8u * n * ints[A_C] + c] != 0xffffffffu) {
        return;
    }
    if (task < 1u + n) {
        region(task - 1u, c);
    } else if (task < 1u + n + ints[A_NPAIR]) {
        pair(task - 1u - n, c);
    }
}
