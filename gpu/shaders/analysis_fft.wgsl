// The spectrum of a sweep's analyses on the device (gpu/src/analysis.rs):
// dispatched after a period whose sample completes a Welch segment, one
// workgroup per combination c. For each region i in order, as
// brainstream_models::analysis::spectrum::Welch does: the segment's mean
// over the ring (summed in the ring's order), the detrended segment
// tapered by the Hann window, its DFT by an iterative radix-2 FFT
// (decimation in time, bit-reversed load) in `scratch`, and the one-sided
// periodogram added to the combination's sum,
//   psd[k] += c_k·|X_k|²·norm,  c_k = 2 except at DC and Nyquist (1),
//   norm = 1/(f_s·Σ_t w_t²).
// The host prepends `alias real = f64;` or `alias real = f32;` and the
// constants NFFT (a power of two) and LOG2_NFFT.
// Layouts: ring[(i*NFFT + t)*C + c]; psd[k*C + c] (k = 0..=NFFT/2);
// scratch[(c*NFFT + t)*2 + (0: re, 1: im)];
// consts: inv_p, lo, hi, norm, window[NFFT], cos[NFFT/2], −sin[NFFT/2]
// (the twiddles e^{−2πiq/NFFT}).

@group(0) @binding(0) var<storage, read> ints: array<u32>;
@group(0) @binding(1) var<storage, read> consts: array<real>;
@group(0) @binding(2) var<storage, read> ring: array<real>;
@group(0) @binding(3) var<storage, read_write> psd: array<real>;
@group(0) @binding(4) var<storage, read_write> scratch: array<real>;
@group(0) @binding(5) var<storage, read> clock: array<u32>;

var<workgroup> wmean: real;

const WG: u32 = 64u;
const K_NORM: u32 = 3u;
const K_WIN: u32 = 4u;
const K_COS: u32 = 4u + NFFT;
const K_SIN: u32 = 4u + NFFT + NFFT / 2u;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let c = wid.x;
    let cc = ints[0];
    let n = ints[1];
    // the sample just pushed is the (t + 1)-th: the oldest is at (t + 1) % NFFT
    let start = (clock[2] + 1u) % NFFT;
    let half = NFFT / 2u;
    let sb = c * NFFT * 2u;
    let norm = consts[K_NORM];
    for (var i = 0u; i < n; i++) {
        if (lid == 0u) {
            var s = real(0);
            for (var t = 0u; t < NFFT; t++) {
                s += ring[(i * NFFT + t) * cc + c];
            }
            wmean = s / real(NFFT);
        }
        workgroupBarrier();
        let mean = wmean;
        for (var t = lid; t < NFFT; t += WG) {
            let v = (ring[(i * NFFT + (start + t) % NFFT) * cc + c] - mean) * consts[K_WIN + t];
            let r = reverseBits(t) >> (32u - LOG2_NFFT);
            scratch[sb + 2u * r] = v;
            scratch[sb + 2u * r + 1u] = real(0);
        }
        storageBarrier();
        workgroupBarrier();
        for (var len = 2u; len <= NFFT; len *= 2u) {
            let h = len / 2u;
            let stride = NFFT / len;
            for (var b = lid; b < half; b += WG) {
                let j = b % h;
                let p = (b / h) * len + j;
                let q = p + h;
                let wr = consts[K_COS + j * stride];
                let wi = consts[K_SIN + j * stride];
                let ur = scratch[sb + 2u * p];
                let ui = scratch[sb + 2u * p + 1u];
                let xr = scratch[sb + 2u * q];
                let xi = scratch[sb + 2u * q + 1u];
                let vr = xr * wr - xi * wi;
                let vi = xr * wi + xi * wr;
                scratch[sb + 2u * p] = ur + vr;
                scratch[sb + 2u * p + 1u] = ui + vi;
                scratch[sb + 2u * q] = ur - vr;
                scratch[sb + 2u * q + 1u] = ui - vi;
            }
            storageBarrier();
            workgroupBarrier();
        }
        for (var k = lid; k <= half; k += WG) {
            let re = scratch[sb + 2u * k];
            let im = scratch[sb + 2u * k + 1u];
            var cf = real(2);
            if (k == 0u || k == half) {
                cf = real(1);
            }
            psd[k * cc + c] += cf * (re * re + im * im) * norm;
        }
        storageBarrier();
        workgroupBarrier();
    }
}
