//! The x86-64 lanes: [`F64x4`] (AVX2, 4 × f64 in a `__m256d`, truth values
//! as all-ones lanes) and [`F64x8`] (AVX-512F, 8 × f64 in a `__m512d`,
//! truth values as a `__mmask8`), each operation one intrinsic. Values of
//! these types are made only inside [`rows_avx2`] and [`rows_avx512`],
//! which are compiled for those instruction sets and called only after
//! [`width`] found them on the CPU; every operation is `#[inline(always)]`
//! so that it is compiled there, as the instruction itself.

use std::arch::x86_64::*;
use std::ops::{Add, Div, Mul, Neg, Sub};

use super::{erfc::erfc, rows_v, LaneDfun, Simd};

/// 8 with AVX-512F, 4 with AVX2, else 1 (detected once per process by
/// `std`).
pub fn width() -> usize {
    if std::arch::is_x86_feature_detected!("avx512f") {
        8
    } else if std::arch::is_x86_feature_detected!("avx2") {
        4
    } else {
        1
    }
}

/// [`super::rows_v`] in 4 lanes.
///
/// # Safety
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn rows_avx2<M: LaneDfun>(
    m: &M,
    nv: usize,
    nt: usize,
    x: &[f64],
    c: &[f64],
    dx: &mut [f64],
) {
    rows_v::<M, F64x4>(m, nv, nt, x, c, dx)
}

/// [`super::rows_v`] in 8 lanes.
///
/// # Safety
/// The CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
pub unsafe fn rows_avx512<M: LaneDfun>(
    m: &M,
    nv: usize,
    nt: usize,
    x: &[f64],
    c: &[f64],
    dx: &mut [f64],
) {
    rows_v::<M, F64x8>(m, nv, nt, x, c, dx)
}

/// 4 × f64 in an AVX register.
#[derive(Clone, Copy)]
pub struct F64x4(__m256d);

/// 8 × f64 in an AVX-512 register.
#[derive(Clone, Copy)]
pub struct F64x8(__m512d);

// SAFETY (every `unsafe` below): values of these types exist only inside
// `rows_avx2` / `rows_avx512`, entered after `width` found the CPU's
// AVX2 / AVX-512F; loads and stores stay within the `[f64; 8]` given.

macro_rules! ops {
    ($t:ident, $add:ident, $sub:ident, $mul:ident, $div:ident) => {
        impl Add for $t {
            type Output = Self;
            #[inline(always)]
            fn add(self, b: Self) -> Self {
                Self(unsafe { $add(self.0, b.0) })
            }
        }
        impl Sub for $t {
            type Output = Self;
            #[inline(always)]
            fn sub(self, b: Self) -> Self {
                Self(unsafe { $sub(self.0, b.0) })
            }
        }
        impl Mul for $t {
            type Output = Self;
            #[inline(always)]
            fn mul(self, b: Self) -> Self {
                Self(unsafe { $mul(self.0, b.0) })
            }
        }
        impl Div for $t {
            type Output = Self;
            #[inline(always)]
            fn div(self, b: Self) -> Self {
                Self(unsafe { $div(self.0, b.0) })
            }
        }
    };
}

ops!(
    F64x4,
    _mm256_add_pd,
    _mm256_sub_pd,
    _mm256_mul_pd,
    _mm256_div_pd
);
ops!(
    F64x8,
    _mm512_add_pd,
    _mm512_sub_pd,
    _mm512_mul_pd,
    _mm512_div_pd
);

impl Neg for F64x4 {
    type Output = Self;
    /// The sign bit flipped (as `-x` on `f64`, −0 included).
    #[inline(always)]
    fn neg(self) -> Self {
        Self(unsafe { _mm256_xor_pd(self.0, _mm256_set1_pd(-0.0)) })
    }
}

impl Neg for F64x8 {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Self(unsafe {
            _mm512_castsi512_pd(_mm512_xor_si512(
                _mm512_castpd_si512(self.0),
                _mm512_set1_epi64(i64::MIN),
            ))
        })
    }
}

/// `k + 1.5·2⁵²`: a whole `k` of magnitude < 2⁵¹ in the low bits.
const ROUND: f64 = 6755399441055744.0;

impl Simd for F64x4 {
    type M = __m256d;
    const L: usize = 4;
    #[inline(always)]
    fn splat(v: f64) -> Self {
        Self(unsafe { _mm256_set1_pd(v) })
    }
    #[inline(always)]
    fn load(a: &[f64; 8]) -> Self {
        Self(unsafe { _mm256_loadu_pd(a.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, a: &mut [f64; 8]) {
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Self(unsafe { _mm256_sqrt_pd(self.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Self(unsafe { _mm256_andnot_pd(_mm256_set1_pd(-0.0), self.0) })
    }
    #[inline(always)]
    fn trunc(self) -> Self {
        Self(unsafe { _mm256_round_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(self.0) })
    }
    #[inline(always)]
    fn bits_and(self, mask: u64) -> Self {
        Self(unsafe { _mm256_and_pd(self.0, _mm256_castsi256_pd(_mm256_set1_epi64x(mask as i64))) })
    }
    #[inline(always)]
    fn pow2i(self) -> Self {
        unsafe {
            let k = _mm256_castpd_si256(_mm256_add_pd(self.0, _mm256_set1_pd(ROUND)));
            let e = _mm256_slli_epi64::<52>(_mm256_add_epi64(k, _mm256_set1_epi64x(1023)));
            Self(_mm256_castsi256_pd(e))
        }
    }
    #[inline(always)]
    fn lt(self, b: Self) -> Self::M {
        unsafe { _mm256_cmp_pd::<_CMP_LT_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn le(self, b: Self) -> Self::M {
        unsafe { _mm256_cmp_pd::<_CMP_LE_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn gt(self, b: Self) -> Self::M {
        unsafe { _mm256_cmp_pd::<_CMP_GT_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn ge(self, b: Self) -> Self::M {
        unsafe { _mm256_cmp_pd::<_CMP_GE_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn eq(self, b: Self) -> Self::M {
        unsafe { _mm256_cmp_pd::<_CMP_EQ_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn ne(self, b: Self) -> Self::M {
        unsafe { _mm256_cmp_pd::<_CMP_NEQ_UQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn msplat(b: bool) -> Self::M {
        unsafe { _mm256_castsi256_pd(_mm256_set1_epi64x(-(b as i64))) }
    }
    #[inline(always)]
    fn and(a: Self::M, b: Self::M) -> Self::M {
        unsafe { _mm256_and_pd(a, b) }
    }
    #[inline(always)]
    fn or(a: Self::M, b: Self::M) -> Self::M {
        unsafe { _mm256_or_pd(a, b) }
    }
    #[inline(always)]
    fn not(a: Self::M) -> Self::M {
        unsafe { _mm256_xor_pd(a, _mm256_castsi256_pd(_mm256_set1_epi64x(-1))) }
    }
    #[inline(always)]
    fn select(m: Self::M, a: Self, b: Self) -> Self {
        Self(unsafe { _mm256_blendv_pd(b.0, a.0, m) })
    }
    #[inline(always)]
    fn mselect(m: Self::M, a: Self::M, b: Self::M) -> Self::M {
        unsafe { _mm256_blendv_pd(b, a, m) }
    }
    #[inline(always)]
    fn bitmask(m: Self::M) -> u32 {
        (unsafe { _mm256_movemask_pd(m) }) as u32
    }
    #[inline(always)]
    fn erfc(self) -> Self {
        erfc(self)
    }
}

impl Simd for F64x8 {
    type M = __mmask8;
    const L: usize = 8;
    #[inline(always)]
    fn splat(v: f64) -> Self {
        Self(unsafe { _mm512_set1_pd(v) })
    }
    #[inline(always)]
    fn load(a: &[f64; 8]) -> Self {
        Self(unsafe { _mm512_loadu_pd(a.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, a: &mut [f64; 8]) {
        unsafe { _mm512_storeu_pd(a.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Self(unsafe { _mm512_sqrt_pd(self.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Self(unsafe { _mm512_abs_pd(self.0) })
    }
    #[inline(always)]
    fn trunc(self) -> Self {
        Self(unsafe { _mm512_roundscale_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(self.0) })
    }
    #[inline(always)]
    fn bits_and(self, mask: u64) -> Self {
        Self(unsafe {
            _mm512_castsi512_pd(_mm512_and_si512(
                _mm512_castpd_si512(self.0),
                _mm512_set1_epi64(mask as i64),
            ))
        })
    }
    #[inline(always)]
    fn pow2i(self) -> Self {
        unsafe {
            let k = _mm512_castpd_si512(_mm512_add_pd(self.0, _mm512_set1_pd(ROUND)));
            let e = _mm512_slli_epi64::<52>(_mm512_add_epi64(k, _mm512_set1_epi64(1023)));
            Self(_mm512_castsi512_pd(e))
        }
    }
    #[inline(always)]
    fn lt(self, b: Self) -> Self::M {
        unsafe { _mm512_cmp_pd_mask::<_CMP_LT_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn le(self, b: Self) -> Self::M {
        unsafe { _mm512_cmp_pd_mask::<_CMP_LE_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn gt(self, b: Self) -> Self::M {
        unsafe { _mm512_cmp_pd_mask::<_CMP_GT_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn ge(self, b: Self) -> Self::M {
        unsafe { _mm512_cmp_pd_mask::<_CMP_GE_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn eq(self, b: Self) -> Self::M {
        unsafe { _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn ne(self, b: Self) -> Self::M {
        unsafe { _mm512_cmp_pd_mask::<_CMP_NEQ_UQ>(self.0, b.0) }
    }
    #[inline(always)]
    fn msplat(b: bool) -> Self::M {
        if b {
            0xff
        } else {
            0
        }
    }
    #[inline(always)]
    fn and(a: Self::M, b: Self::M) -> Self::M {
        a & b
    }
    #[inline(always)]
    fn or(a: Self::M, b: Self::M) -> Self::M {
        a | b
    }
    #[inline(always)]
    fn not(a: Self::M) -> Self::M {
        !a
    }
    #[inline(always)]
    fn select(m: Self::M, a: Self, b: Self) -> Self {
        Self(unsafe { _mm512_mask_blend_pd(m, b.0, a.0) })
    }
    #[inline(always)]
    fn mselect(m: Self::M, a: Self::M, b: Self::M) -> Self::M {
        (m & a) | (!m & b)
    }
    #[inline(always)]
    fn bitmask(m: Self::M) -> u32 {
        m as u32
    }
    #[inline(always)]
    fn erfc(self) -> Self {
        erfc(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Arguments across every fdlibm range of `erfc`, their boundaries
    /// (a few ulps either side), the fallbacks, uniform in [−30, 30] and
    /// log-uniform magnitudes 1e−20..1e2.
    fn erfc_arguments() -> Vec<f64> {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut xs = vec![
            0.0,
            -0.0,
            1e-300,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            0.25,
            0.84375,
            1.25,
            1.0 / 0.35,
            26.0,
            27.9,
            28.0,
            30.0,
        ];
        for b in [
            0x3c70_0000u32,
            0x3fd0_0000,
            0x3feb_0000,
            0x3ff4_0000,
            0x4006_db6d,
            0x403a_0000,
            0x403c_0000,
        ] {
            for d in -3i64..=3 {
                let v = f64::from_bits(((b as u64) << 32).wrapping_add(d as u64));
                xs.extend([v, -v, f64::from_bits(v.to_bits() - 1)]);
            }
        }
        for _ in 0..200_000 {
            let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
            xs.push(60.0 * u - 30.0);
            let m = 10f64.powf(-20.0 + 22.0 * ((next() >> 11) as f64 / (1u64 << 53) as f64));
            xs.push(if next() & 1 == 0 { m } else { -m });
        }
        xs
    }

    #[target_feature(enable = "avx2")]
    fn erfc4(a: &[f64; 8]) -> [f64; 8] {
        let mut o = [0.0; 8];
        F64x4::load(a).erfc().store(&mut o);
        o
    }

    #[target_feature(enable = "avx512f")]
    fn erfc8(a: &[f64; 8]) -> [f64; 8] {
        let mut o = [0.0; 8];
        F64x8::load(a).erfc().store(&mut o);
        o
    }

    #[target_feature(enable = "avx2")]
    fn exp4(a: &[f64; 8]) -> [f64; 8] {
        let mut o = [0.0; 8];
        super::super::erfc::exp(F64x4::load(a)).store(&mut o);
        o
    }

    /// Every lane's bits against the scalar `libm::erfc`, in 8 lanes and
    /// in 4, at every width this CPU has (the test says which it could not
    /// run).
    #[test]
    fn erfc_lanes_are_libm_bit_for_bit() {
        let w = width();
        assert!(
            w >= 4,
            "this CPU has no AVX2: the lanes are not used here, nothing to test"
        );
        for chunk in erfc_arguments().chunks_exact(8) {
            let a: [f64; 8] = chunk.try_into().expect("8");
            // SAFETY: the CPU has AVX2 (and AVX-512F where called)
            let mut got = vec![(4, unsafe { erfc4(&a) })];
            if w >= 8 {
                got.push((8, unsafe { erfc8(&a) }));
            }
            for (l, g) in got {
                for (q, &v) in a[..l].iter().enumerate() {
                    let want = libm::erfc(v);
                    assert!(
                        g[q].to_bits() == want.to_bits() || (g[q].is_nan() && want.is_nan()),
                        "{l} lanes: erfc({v:e}) = {:e}, libm {want:e}",
                        g[q]
                    );
                }
            }
        }
        if w < 8 {
            eprintln!("no AVX-512F on this CPU: 8 lanes not tested");
        }
    }

    /// The lanes' `exp` against `libm::exp` over (−708, 708), (−2, 2) and
    /// (−5e−8, 5e−8).
    #[test]
    fn exp_lanes_are_libm_bit_for_bit() {
        assert!(
            width() >= 4,
            "this CPU has no AVX2: the lanes are not used here, nothing to test"
        );
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut a = [0.0; 8];
        for i in 0..300_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            a[i % 4] = [1416.0 * u - 708.0, 4.0 * u - 2.0, (u - 0.5) * 1e-7][i % 3];
            if i % 4 == 3 {
                // SAFETY: the CPU has AVX2
                let got = unsafe { exp4(&a) };
                for q in 0..4 {
                    assert_eq!(
                        got[q].to_bits(),
                        libm::exp(a[q]).to_bits(),
                        "exp({:e})",
                        a[q]
                    );
                }
            }
        }
    }
}
