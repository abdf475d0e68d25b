//! `exp` on [`rkf45::LANES`](super::rkf45::LANES) values at once, equal to
//! glibc's `exp` (what `f64::exp` calls on Linux) to the bit.
//!
//! glibc (2.28 and later; Debian 12 ships 2.36) computes `exp` with Arm's
//! optimized-routines algorithm (`sysdeps/ieee754/dbl-64/e_exp.c`,
//! constants in `e_exp_data.c`), with N = 2⁷ = 128:
//!
//! - k = round(x·N/ln 2): `kd = x·InvLn2N + Shift` (Shift = 1.5·2⁵², so the
//!   low bits of `kd` hold k), `ki` = the bits of `kd`, `kd -= Shift`;
//! - r = x − k·ln2/N with ln2/N split in two: `r = x + kd·NegLn2hiN +
//!   kd·NegLn2loN`, |r| ≤ ln2/(2N);
//! - 2^(k/N) = 2^⌊k/N⌋ · H\[k mod N\]·(1 + T\[k mod N\]): `tail = T[j]`,
//!   `scale` = the bits `tab[2j+1] + (ki << 45)` (the exponent field gets
//!   ⌊k/N⌋);
//! - exp(r) − 1 ≈ r + r²·(C2 + r·C3) + r⁴·(C4 + r·C5) (a degree-5 minimax
//!   polynomial), `tmp = tail + r + …`, and `exp(x) = scale + scale·tmp`.
//!
//! On x86-64, glibc picks its variant of `__ieee754_exp` by ifunc
//! (`sysdeps/x86_64/fpu/multiarch/e_exp.c`, `ifunc-fma4.h`): the one built
//! with `-mfma -mavx2` when the CPU has FMA and AVX2 (`__ieee754_exp_fma`,
//! the one that runs on the AMD EPYC this was ported on, seen in gdb). GCC
//! contracted its multiply-adds into fused ones; the disassembly of
//! `__ieee754_exp_fma` (libm.so.6 of glibc 2.36-9+deb12u14) shows exactly
//! these seven, ported here with `_mm256_fmadd_pd` in the same places:
//! `kd = fma(x, InvLn2N, Shift)`, `r = fma(kd, NegLn2loN, fma(kd,
//! NegLn2hiN, x))`, `fma(r, C3, C2)`, `fma(r, C5, C4)`, `fma(r², ·, tail +
//! r)`, `fma(r⁴, ·, ·)` and `fma(scale, tmp, scale)`; every other operation
//! is a plain IEEE one.
//!
//! glibc's main path covers 2⁻⁵⁴ ≤ |x| < 512; every other lane (tiny x,
//! |x| ≥ 512 with its subnormal and overflow handling, ±∞, NaN) is handed to
//! glibc's `exp` itself, so those bits are glibc's by construction.
//!
//! Where glibc would not pick the FMA variant (a CPU without FMA or AVX2),
//! on other targets or C libraries (musl builds the same algorithm without
//! FMA), or if a one-time probe against `f64::exp` on this process's glibc
//! finds any difference (another glibc, or `GLIBC_TUNABLES` turning its
//! FMA variant off), [`exp_lanes`] calls `f64::exp` per lane: the result is
//! glibc's either way, only the speed differs.

use super::rkf45::Lane;

/// N/ln 2 (`__exp_data.invln2N` = 0x1.71547652b82fep0·128).
const INV_LN2_N: f64 = f64::from_bits(0x40671547652b82fe);
/// −ln 2/N, high part (`negln2hiN` = −0x1.62e42fefa0000p-8; its low 16
/// bits are zero, so `kd·NegLn2hiN` is exact).
const NEG_LN2_HI_N: f64 = f64::from_bits(0xbf762e42fefa0000);
/// −ln 2/N, low part (`negln2loN` = −0x1.cf79abc9e3b3ap-47).
const NEG_LN2_LO_N: f64 = f64::from_bits(0xbd0cf79abc9e3b3a);
/// 1.5·2⁵²: adding it rounds to an integer in the low mantissa bits
/// (`shift` = 0x1.8p52).
const SHIFT: f64 = f64::from_bits(0x4338000000000000);
/// The polynomial's C2..C5 (`poly` = 0x1.ffffffffffdbdp-2,
/// 0x1.555555555543cp-3, 0x1.55555cf172b91p-5, 0x1.1111167a4d017p-7).
const C: [f64; 4] = [
    f64::from_bits(0x3fdffffffffffdbd),
    f64::from_bits(0x3fc555555555543c),
    f64::from_bits(0x3fa55555cf172b91),
    f64::from_bits(0x3f81111167a4d017),
];

/// `tab[2j] = bits(T[j])`, `tab[2j+1] = bits(H[j]) − (j << 45)` for
/// j = 0..127, with H\[j\] = 2^(j/128) rounded to the nearest double and
/// T\[j\] = (2^(j/128) − H\[j\])/H\[j\] rounded to the nearest double
/// (computed with 80-digit decimals; equal, entry for entry, to glibc's
/// `__exp_data.tab` read from libm.so.6).
#[cfg_attr(
    not(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")),
    allow(dead_code)
)]
const TAB: [u64; 256] = [
    0x0000000000000000,
    0x3ff0000000000000,
    0x3c9b3b4f1a88bf6e,
    0x3feff63da9fb3335,
    0xbc7160139cd8dc5d,
    0x3fefec9a3e778061,
    0xbc905e7a108766d1,
    0x3fefe315e86e7f85,
    0x3c8cd2523567f613,
    0x3fefd9b0d3158574,
    0xbc8bce8023f98efa,
    0x3fefd06b29ddf6de,
    0x3c60f74e61e6c861,
    0x3fefc74518759bc8,
    0x3c90a3e45b33d399,
    0x3fefbe3ecac6f383,
    0x3c979aa65d837b6d,
    0x3fefb5586cf9890f,
    0x3c8eb51a92fdeffc,
    0x3fefac922b7247f7,
    0x3c3ebe3d702f9cd1,
    0x3fefa3ec32d3d1a2,
    0xbc6a033489906e0b,
    0x3fef9b66affed31b,
    0xbc9556522a2fbd0e,
    0x3fef9301d0125b51,
    0xbc5080ef8c4eea55,
    0x3fef8abdc06c31cc,
    0xbc91c923b9d5f416,
    0x3fef829aaea92de0,
    0x3c80d3e3e95c55af,
    0x3fef7a98c8a58e51,
    0xbc801b15eaa59348,
    0x3fef72b83c7d517b,
    0xbc8f1ff055de323d,
    0x3fef6af9388c8dea,
    0x3c8b898c3f1353bf,
    0x3fef635beb6fcb75,
    0xbc96d99c7611eb26,
    0x3fef5be084045cd4,
    0x3c9aecf73e3a2f60,
    0x3fef54873168b9aa,
    0xbc8fe782cb86389d,
    0x3fef4d5022fcd91d,
    0x3c8a6f4144a6c38d,
    0x3fef463b88628cd6,
    0x3c807a05b0e4047d,
    0x3fef3f49917ddc96,
    0x3c968efde3a8a894,
    0x3fef387a6e756238,
    0x3c875e18f274487d,
    0x3fef31ce4fb2a63f,
    0x3c80472b981fe7f2,
    0x3fef2b4565e27cdd,
    0xbc96b87b3f71085e,
    0x3fef24dfe1f56381,
    0x3c82f7e16d09ab31,
    0x3fef1e9df51fdee1,
    0xbc3d219b1a6fbffa,
    0x3fef187fd0dad990,
    0x3c8b3782720c0ab4,
    0x3fef1285a6e4030b,
    0x3c6e149289cecb8f,
    0x3fef0cafa93e2f56,
    0x3c834d754db0abb6,
    0x3fef06fe0a31b715,
    0x3c864201e2ac744c,
    0x3fef0170fc4cd831,
    0x3c8fdd395dd3f84a,
    0x3feefc08b26416ff,
    0xbc86a3803b8e5b04,
    0x3feef6c55f929ff1,
    0xbc924aedcc4b5068,
    0x3feef1a7373aa9cb,
    0xbc9907f81b512d8e,
    0x3feeecae6d05d866,
    0xbc71d1e83e9436d2,
    0x3feee7db34e59ff7,
    0xbc991919b3ce1b15,
    0x3feee32dc313a8e5,
    0x3c859f48a72a4c6d,
    0x3feedea64c123422,
    0xbc9312607a28698a,
    0x3feeda4504ac801c,
    0xbc58a78f4817895b,
    0x3feed60a21f72e2a,
    0xbc7c2c9b67499a1b,
    0x3feed1f5d950a897,
    0x3c4363ed60c2ac11,
    0x3feece086061892d,
    0x3c9666093b0664ef,
    0x3feeca41ed1d0057,
    0x3c6ecce1daa10379,
    0x3feec6a2b5c13cd0,
    0x3c93ff8e3f0f1230,
    0x3feec32af0d7d3de,
    0x3c7690cebb7aafb0,
    0x3feebfdad5362a27,
    0x3c931dbdeb54e077,
    0x3feebcb299fddd0d,
    0xbc8f94340071a38e,
    0x3feeb9b2769d2ca7,
    0xbc87deccdc93a349,
    0x3feeb6daa2cf6642,
    0xbc78dec6bd0f385f,
    0x3feeb42b569d4f82,
    0xbc861246ec7b5cf6,
    0x3feeb1a4ca5d920f,
    0x3c93350518fdd78e,
    0x3feeaf4736b527da,
    0x3c7b98b72f8a9b05,
    0x3feead12d497c7fd,
    0x3c9063e1e21c5409,
    0x3feeab07dd485429,
    0x3c34c7855019c6ea,
    0x3feea9268a5946b7,
    0x3c9432e62b64c035,
    0x3feea76f15ad2148,
    0xbc8ce44a6199769f,
    0x3feea5e1b976dc09,
    0xbc8c33c53bef4da8,
    0x3feea47eb03a5585,
    0xbc845378892be9ae,
    0x3feea34634ccc320,
    0xbc93cedd78565858,
    0x3feea23882552225,
    0x3c5710aa807e1964,
    0x3feea155d44ca973,
    0xbc93b3efbf5e2228,
    0x3feea09e667f3bcd,
    0xbc6a12ad8734b982,
    0x3feea012750bdabf,
    0xbc6367efb86da9ee,
    0x3fee9fb23c651a2f,
    0xbc80dc3d54e08851,
    0x3fee9f7df9519484,
    0xbc781f647e5a3ecf,
    0x3fee9f75e8ec5f74,
    0xbc86ee4ac08b7db0,
    0x3fee9f9a48a58174,
    0xbc8619321e55e68a,
    0x3fee9feb564267c9,
    0x3c909ccb5e09d4d3,
    0x3feea0694fde5d3f,
    0xbc7b32dcb94da51d,
    0x3feea11473eb0187,
    0x3c94ecfd5467c06b,
    0x3feea1ed0130c132,
    0x3c65ebe1abd66c55,
    0x3feea2f336cf4e62,
    0xbc88a1c52fb3cf42,
    0x3feea427543e1a12,
    0xbc9369b6f13b3734,
    0x3feea589994cce13,
    0xbc805e843a19ff1e,
    0x3feea71a4623c7ad,
    0xbc94d450d872576e,
    0x3feea8d99b4492ed,
    0x3c90ad675b0e8a00,
    0x3feeaac7d98a6699,
    0x3c8db72fc1f0eab4,
    0x3feeace5422aa0db,
    0xbc65b6609cc5e7ff,
    0x3feeaf3216b5448c,
    0x3c7bf68359f35f44,
    0x3feeb1ae99157736,
    0xbc93091fa71e3d83,
    0x3feeb45b0b91ffc6,
    0xbc5da9b88b6c1e29,
    0x3feeb737b0cdc5e5,
    0xbc6c23f97c90b959,
    0x3feeba44cbc8520f,
    0xbc92434322f4f9aa,
    0x3feebd829fde4e50,
    0xbc85ca6cd7668e4b,
    0x3feec0f170ca07ba,
    0x3c71affc2b91ce27,
    0x3feec49182a3f090,
    0x3c6dd235e10a73bb,
    0x3feec86319e32323,
    0xbc87c50422622263,
    0x3feecc667b5de565,
    0x3c8b1c86e3e231d5,
    0x3feed09bec4a2d33,
    0xbc91bbd1d3bcbb15,
    0x3feed503b23e255d,
    0x3c90cc319cee31d2,
    0x3feed99e1330b358,
    0x3c8469846e735ab3,
    0x3feede6b5579fdbf,
    0xbc82dfcd978e9db4,
    0x3feee36bbfd3f37a,
    0x3c8c1a7792cb3387,
    0x3feee89f995ad3ad,
    0xbc907b8f4ad1d9fa,
    0x3feeee07298db666,
    0xbc55c3d956dcaeba,
    0x3feef3a2b84f15fb,
    0xbc90a40e3da6f640,
    0x3feef9728de5593a,
    0xbc68d6f438ad9334,
    0x3feeff76f2fb5e47,
    0xbc91eee26b588a35,
    0x3fef05b030a1064a,
    0x3c74ffd70a5fddcd,
    0x3fef0c1e904bc1d2,
    0xbc91bdfbfa9298ac,
    0x3fef12c25bd71e09,
    0x3c736eae30af0cb3,
    0x3fef199bdd85529c,
    0x3c8ee3325c9ffd94,
    0x3fef20ab5fffd07a,
    0x3c84e08fd10959ac,
    0x3fef27f12e57d14b,
    0x3c63cdaf384e1a67,
    0x3fef2f6d9406e7b5,
    0x3c676b2c6c921968,
    0x3fef3720dcef9069,
    0xbc808a1883ccb5d2,
    0x3fef3f0b555dc3fa,
    0xbc8fad5d3ffffa6f,
    0x3fef472d4a07897c,
    0xbc900dae3875a949,
    0x3fef4f87080d89f2,
    0x3c74a385a63d07a7,
    0x3fef5818dcfba487,
    0xbc82919e2040220f,
    0x3fef60e316c98398,
    0x3c8e5a50d5c192ac,
    0x3fef69e603db3285,
    0x3c843a59ac016b4b,
    0x3fef7321f301b460,
    0xbc82d52107b43e1f,
    0x3fef7c97337b9b5f,
    0xbc892ab93b470dc9,
    0x3fef864614f5a129,
    0x3c74b604603a88d3,
    0x3fef902ee78b3ff6,
    0x3c83c5ec519d7271,
    0x3fef9a51fbc74c83,
    0xbc8ff7128fd391f0,
    0x3fefa4afa2a490da,
    0xbc8dae98e223747d,
    0x3fefaf482d8e67f1,
    0x3c8ec3bc41aa2008,
    0x3fefba1bee615a27,
    0x3c842b94c3a9eb32,
    0x3fefc52b376bba97,
    0x3c8a64a931d185ee,
    0x3fefd0765b6e4540,
    0xbc8e37bae43be3ed,
    0x3fefdbfdad9cbe14,
    0x3c77893b4d91cd9d,
    0x3fefe7c1819e90d8,
    0x3c5305c14160cc89,
    0x3feff3c22b8f71f1,
];

/// glibc's `exp` of every lane, to the bit (module docs): 4 lanes of
/// glibc's FMA algorithm in AVX2 registers where glibc itself runs that
/// variant, else `f64::exp` per lane.
#[inline]
pub fn exp_lanes(x: &Lane) -> Lane {
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    {
        if fma_port_matches_glibc() {
            // SAFETY: `fma_port_matches_glibc` is true only when the CPU
            // has AVX2 and FMA
            return unsafe { exp_lanes_fma(x) };
        }
    }
    x.map(f64::exp)
}

/// Whether [`exp_lanes`] runs the AVX2 port: the CPU has FMA and AVX2
/// (so glibc picks `__ieee754_exp_fma`) and the port equals this process's
/// `f64::exp` on a fixed probe of arguments (checked once).
pub fn fma_port_matches_glibc() -> bool {
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    {
        use std::sync::OnceLock;
        static OK: OnceLock<bool> = OnceLock::new();
        *OK.get_or_init(|| {
            if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
                return false;
            }
            let ok = probe_agrees();
            if !ok {
                tracing::warn!(
                    "lane exp: the FMA port of glibc's exp differs from this process's \
                     f64::exp on the probe; using f64::exp per lane"
                );
            }
            ok
        })
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// The port against `f64::exp` on 4096 arguments: every table index
/// twice, spread over [−40, 40], and 1024 pseudo-random ones in
/// [−745, 710] (the main path and the lanes handed to glibc).
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
fn probe_agrees() -> bool {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut xs = Vec::with_capacity(4096);
    for i in 0..3072u32 {
        xs.push(-40.0 + 80.0 * f64::from(i) / 3072.0 + 1e-7 * f64::from(i % 7));
    }
    for _ in 0..1024 {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let u = (z >> 11) as f64 / (1u64 << 53) as f64;
        xs.push(-745.0 + 1455.0 * u);
    }
    xs.chunks_exact(4).all(|c| {
        let x = [c[0], c[1], c[2], c[3]];
        // SAFETY: called only after AVX2 and FMA were detected
        let y = unsafe { exp_lanes_fma(&x) };
        (0..4).all(|l| y[l].to_bits() == x[l].exp().to_bits())
    })
}

/// glibc's `__ieee754_exp_fma` on 4 lanes (module docs): the main path
/// (2⁻⁵⁴ ≤ |x| < 512) in AVX2 registers with its seven fused
/// multiply-adds, every other lane through `f64::exp`.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
#[target_feature(enable = "avx2,fma")]
pub unsafe fn exp_lanes_fma(x: &Lane) -> Lane {
    use std::arch::x86_64::*;
    let xv = _mm256_loadu_pd(x.as_ptr());
    // glibc's main path: top12(2^-54) <= abstop < top12(512), i.e.
    // 2^-54 <= |x| < 512 (false for NaN)
    let ax = _mm256_andnot_pd(_mm256_set1_pd(-0.0), xv);
    let main = _mm256_and_pd(
        _mm256_cmp_pd::<_CMP_GE_OQ>(ax, _mm256_set1_pd(f64::from_bits(0x3c9 << 52))),
        _mm256_cmp_pd::<_CMP_LT_OQ>(ax, _mm256_set1_pd(512.0)),
    );
    let main_mask = _mm256_movemask_pd(main);
    // kd = x·InvLn2N + Shift (fused), ki = bits(kd), kd -= Shift
    let shift = _mm256_set1_pd(SHIFT);
    let kd = _mm256_fmadd_pd(xv, _mm256_set1_pd(INV_LN2_N), shift);
    let ki = _mm256_castpd_si256(kd);
    let kd = _mm256_sub_pd(kd, shift);
    // r = x + kd·NegLn2hiN + kd·NegLn2loN (two fused)
    let r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NEG_LN2_HI_N), xv);
    let r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NEG_LN2_LO_N), r);
    // idx = 2·(ki mod N); tail = T[idx], sbits = tab[idx + 1] + (ki << 45)
    let idx = _mm256_slli_epi64::<1>(_mm256_and_si256(ki, _mm256_set1_epi64x(127)));
    let tab = TAB.as_ptr() as *const i64;
    let tail = _mm256_castsi256_pd(_mm256_i64gather_epi64::<8>(tab, idx));
    let hi = _mm256_i64gather_epi64::<8>(tab.add(1), idx);
    let sbits = _mm256_add_epi64(hi, _mm256_slli_epi64::<45>(ki));
    let scale = _mm256_castsi256_pd(sbits);
    // tmp = tail + r + r²·(C2 + r·C3) + r²·r²·(C4 + r·C5), contracted as
    // glibc's FMA build
    let r2 = _mm256_mul_pd(r, r);
    let p23 = _mm256_fmadd_pd(r, _mm256_set1_pd(C[1]), _mm256_set1_pd(C[0]));
    let p45 = _mm256_fmadd_pd(r, _mm256_set1_pd(C[3]), _mm256_set1_pd(C[2]));
    let t = _mm256_add_pd(r, tail);
    let t = _mm256_fmadd_pd(p23, r2, t);
    let r4 = _mm256_mul_pd(r2, r2);
    let tmp = _mm256_fmadd_pd(r4, p45, t);
    // scale + scale·tmp (fused)
    let y = _mm256_fmadd_pd(scale, tmp, scale);
    let mut out = [0.0; 4];
    _mm256_storeu_pd(out.as_mut_ptr(), y);
    if main_mask != 0b1111 {
        for l in 0..4 {
            if main_mask & (1 << l) == 0 {
                out[l] = x[l].exp();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: reproducible argument bits.
    struct Bits(u64);
    impl Bits {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        /// Uniform in [a, b).
        fn range(&mut self, a: f64, b: f64) -> f64 {
            a + (b - a) * self.unit()
        }
    }

    /// The arguments of the bit-for-bit check, by family (name, values).
    fn arguments() -> Vec<(&'static str, Vec<f64>)> {
        let mut g = Bits(0x005e_ed0f_e0e0);
        let mut fam = Vec::new();
        fam.push((
            "uniform in [-745, 710]",
            (0..4_000_000).map(|_| g.range(-745.0, 710.0)).collect(),
        ));
        fam.push((
            "uniform in [-100, 10] (AdEx's (V - V_th)/Delta_T)",
            (0..1_000_000).map(|_| g.range(-100.0, 10.0)).collect(),
        ));
        fam.push((
            "random bit patterns (every exponent, NaN, inf, subnormal arguments)",
            (0..1_500_000).map(|_| f64::from_bits(g.next())).collect(),
        ));
        fam.push((
            "near 0: |x| log-uniform in [2^-70, 2^-30], both signs",
            (0..1_000_000)
                .map(|_| {
                    let m = g.range(-70.0, -30.0).exp2();
                    if g.next() & 1 == 0 {
                        m
                    } else {
                        -m
                    }
                })
                .collect(),
        ));
        fam.push((
            "subnormal and underflowing results: [-746, -708]",
            (0..1_000_000).map(|_| g.range(-746.0, -708.0)).collect(),
        ));
        fam.push((
            "large and overflowing: [500, 710] and [-520, -500]",
            (0..500_000)
                .map(|i| {
                    if i % 2 == 0 {
                        g.range(500.0, 710.0)
                    } else {
                        g.range(-520.0, -500.0)
                    }
                })
                .collect(),
        ));
        // x = (k + h)·ln2/128 ± up to 4 ulps for h = 0 (table entries) and
        // h = 1/2 (where the rounding of k flips), k over the whole range
        let ln2_n = std::f64::consts::LN_2 / 128.0;
        let mut bounds = Vec::new();
        for _ in 0..125_000 {
            let k = (g.range(-745.0, 710.0) / ln2_n).floor();
            for h in [0.0, 0.5] {
                let c = (k + h) * ln2_n;
                for d in -4i64..=4 {
                    if d != 0 || h == 0.0 {
                        bounds.push(f64::from_bits((c.to_bits() as i64 + d) as u64));
                    }
                }
            }
        }
        fam.push((
            "table entries and rounding boundaries k·ln2/128, (k+1/2)·ln2/128 ± 4 ulps",
            bounds,
        ));
        let mut edges = vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::from_bits(1),
            f64::from_bits(1 | (1 << 63)),
            709.782712893384,
            -745.1332191019411,
            -708.3964185322641,
            1.0,
            -1.0,
        ];
        // both sides of the main path's bounds (2^-54, 512, 1024) by ulps
        for b in [
            2f64.powi(-54),
            512.0,
            1024.0,
            709.782712893384,
            745.1332191019411,
        ] {
            for s in [1.0, -1.0] {
                for d in -1000i64..=1000 {
                    edges.push(s * f64::from_bits((b.to_bits() as i64 + d) as u64));
                }
            }
        }
        fam.push((
            "special values and the main path's bounds ± 1000 ulps",
            edges,
        ));
        fam
    }

    /// The AVX2 port against glibc's `exp` (`f64::exp`), bit for bit, on
    /// 10.5 million arguments. Where the port cannot run (no FMA/AVX2, not
    /// glibc), `exp_lanes` is `f64::exp` itself and this checks that.
    #[test]
    fn lanes_equal_glibc_exp_bit_for_bit() {
        let fams = arguments();
        let total: usize = fams.iter().map(|f| f.1.len()).sum();
        assert!(total >= 10_000_000, "{total} arguments");
        #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
        let port = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")))]
        let port = false;
        // the port must not be switched off by its own probe where it runs
        assert_eq!(fma_port_matches_glibc(), port);
        for (name, xs) in &fams {
            let mut differ = 0usize;
            let mut first = None;
            for c in xs.chunks(4) {
                let mut x = [1.5; 4];
                x[..c.len()].copy_from_slice(c);
                #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
                // SAFETY: `port` says the CPU has AVX2 and FMA
                let y = if port {
                    unsafe { exp_lanes_fma(&x) }
                } else {
                    exp_lanes(&x)
                };
                #[cfg(not(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")))]
                let y = exp_lanes(&x);
                for l in 0..4 {
                    let want = x[l].exp();
                    if y[l].to_bits() != want.to_bits() {
                        differ += 1;
                        first.get_or_insert((x[l], y[l], want));
                    }
                }
            }
            assert_eq!(
                differ,
                0,
                "{name}: {differ} of {} differ, first (x, lanes, glibc) {first:?}",
                xs.len()
            );
        }
    }

    /// The lanes with and without the port agree with each other in the
    /// same call pattern as the AdEx right-hand side (mixed main-path and
    /// handed-over lanes in one call).
    #[test]
    fn mixed_lanes_keep_their_own_values() {
        let x = [f64::NAN, -3.25, 1e-300, 800.0];
        let y = exp_lanes(&x);
        assert!(y[0].is_nan());
        assert_eq!(y[1].to_bits(), (-3.25f64).exp().to_bits());
        assert_eq!(y[2], 1.0);
        assert_eq!(y[3], f64::INFINITY);
    }
}
