//! Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as
//! 1, 2, 3"), the counter-based generator of the GPU kernels' noise, and the
//! same normal deviates on the CPU: for a key (seed, combination) and a
//! counter (step, region, variable, 0), the kernel and [`gauss`] draw the
//! same two 32-bit words, so a CPU run reproduces the GPU's noise stream.

/// One Philox4x32-10 block.
pub fn philox(mut ctr: [u32; 4], mut key: [u32; 2]) -> [u32; 4] {
    for _ in 0..10 {
        let p0 = 0xD251_1F53u64 * ctr[0] as u64;
        let p1 = 0xCD9E_8D57u64 * ctr[2] as u64;
        ctr = [
            (p1 >> 32) as u32 ^ ctr[1] ^ key[0],
            p1 as u32,
            (p0 >> 32) as u32 ^ ctr[3] ^ key[1],
            p0 as u32,
        ];
        key = [
            key[0].wrapping_add(0x9E37_79B9),
            key[1].wrapping_add(0xBB67_AE85),
        ];
    }
    ctr
}

/// The kernel's key for `seed` and combination `comb` (its global index).
pub fn key(seed: u64, comb: u32) -> [u32; 2] {
    [(seed as u32) ^ comb, (seed >> 32) as u32]
}

/// Standard normal deviate for step `t`, region `i`, variable `v`: Box–Muller
/// on the top 24 bits of two words, u₁ = (w₀>>8 + 1)/2²⁴ ∈ (0, 1],
/// u₂ = (w₁>>8)/2²⁴ ∈ [0, 1), z = sqrt(−2 ln u₁)·cos(2π u₂), as the kernel
/// computes it (here in f64).
pub fn gauss(key: [u32; 2], t: u32, i: u32, v: u32) -> f64 {
    let r = philox([t, i, v, 0], key);
    let u1 = ((r[0] >> 8) as f64 + 1.0) * (1.0 / 16_777_216.0);
    let u2 = (r[1] >> 8) as f64 * (1.0 / 16_777_216.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_and_normal_moments() {
        // Random123's known-answer test for philox4x32-10, zero counter and key
        assert_eq!(
            philox([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        let k = key(42, 3);
        let z: Vec<f64> = (0..200_000u32).map(|t| gauss(k, t, 5, 1)).collect();
        let m = z.iter().sum::<f64>() / z.len() as f64;
        let v = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / z.len() as f64;
        assert!(
            m.abs() < 0.01 && (v - 1.0).abs() < 0.01,
            "mean {m}, var {v}"
        );
    }
}
