//! Right-hand sides across regions in SIMD lanes, for the built-in models
//! whose right-hand side is long (at least
//! `brainstream_modeldecl::rust::LANES_MIN_OPS` operations per region:
//! the two Zerlaut models' transfer functions with their finite
//! differences, ReducedSetHindmarshRose's modes). For those, `build.rs`
//! also generates [`LaneDfun::dfun_v`]: the same operations in the same
//! order, each on a vector [`Simd`] of `L` regions (one region a lane),
//! and the model's `Dfun::dfun_rows` calls [`rows`], which picks the lanes
//! the CPU has when the process runs: 8 × f64 with AVX-512F, 4 × f64 with
//! AVX2, else the scalar `dfun` row by row.
//!
//! Bit for bit: every vector operation is the IEEE operation of its lanes
//! (`+ − × ÷ √`, comparisons, selections; Rust never fuses a multiply and
//! an add), `erfc` is the `libm` crate's own algorithm in lanes
//! ([`erfc`], its `exp` included) and every other function is called lane
//! by lane, so every lane gives the bits `dfun` gives for its region
//! (tested below for every built-in model and every width).
//!
//! The vectors are registers wrapped by [`x86`]'s types, whose operations
//! are the intrinsics: the generated code is one statement per operation
//! (compiled like the scalar `dfun`, no loops for the compiler to
//! vectorise), in one copy per width.

mod erfc;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::models::Dfun;

/// `L` lanes of `f64` (`L` ≤ 8) and their truth values (`Self::M`).
///
/// Implemented only by [`x86`]'s register types, whose values exist only
/// inside the functions compiled for their instruction set and called
/// after the CPU was found to have it ([`rows`]).
pub trait Simd:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// One truth value per lane.
    type M: Copy;
    /// Lanes.
    const L: usize;
    /// `v` in every lane.
    fn splat(v: f64) -> Self;
    /// Lanes `0..L` from `a[0..L]`.
    fn load(a: &[f64; 8]) -> Self;
    /// Lanes `0..L` into `a[0..L]`.
    fn store(self, a: &mut [f64; 8]);
    /// `√x` (IEEE, as `f64::sqrt`).
    fn sqrt(self) -> Self;
    /// `|x|` (the sign bit cleared, as `f64::abs`).
    fn abs(self) -> Self;
    /// Rounded toward zero (as `f64::trunc`).
    fn trunc(self) -> Self;
    /// The bits of every lane and `mask`.
    fn bits_and(self, mask: u64) -> Self;
    /// `2ᵏ` for a whole `k` in −1022..=1023 in each lane (from the bits of
    /// `k + 1.5·2⁵²`).
    fn pow2i(self) -> Self;
    /// `a < b` (false with a NaN).
    fn lt(self, b: Self) -> Self::M;
    /// `a ≤ b`.
    fn le(self, b: Self) -> Self::M;
    /// `a > b`.
    fn gt(self, b: Self) -> Self::M;
    /// `a ≥ b`.
    fn ge(self, b: Self) -> Self::M;
    /// `a == b`.
    fn eq(self, b: Self) -> Self::M;
    /// `a != b` (true with a NaN, as Rust's `!=`).
    fn ne(self, b: Self) -> Self::M;
    /// `b` in every lane.
    fn msplat(b: bool) -> Self::M;
    /// Lane-wise and.
    fn and(a: Self::M, b: Self::M) -> Self::M;
    /// Lane-wise or.
    fn or(a: Self::M, b: Self::M) -> Self::M;
    /// Lane-wise not.
    fn not(a: Self::M) -> Self::M;
    /// `a` where `m`, else `b`.
    fn select(m: Self::M, a: Self, b: Self) -> Self;
    /// `a` where `m`, else `b`, for truth values.
    fn mselect(m: Self::M, a: Self::M, b: Self::M) -> Self::M;
    /// Bit `l` set where lane `l` is true.
    fn bitmask(m: Self::M) -> u32;
    /// `erfc`, bit for bit `libm::erfc` in every lane.
    fn erfc(self) -> Self;

    /// `f` lane by lane.
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        let mut a = [0.0; 8];
        self.store(&mut a);
        for v in &mut a[..Self::L] {
            *v = f(*v);
        }
        Self::load(&a)
    }

    /// `f` of every lane's pair.
    #[inline(always)]
    fn map2(self, b: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        let (mut a, mut bb) = ([0.0; 8], [0.0; 8]);
        self.store(&mut a);
        b.store(&mut bb);
        for (v, w) in a[..Self::L].iter_mut().zip(&bb) {
            *v = f(*v, *w);
        }
        Self::load(&a)
    }
}

/// A built-in model whose right-hand side is also generated in lanes.
pub trait LaneDfun: Dfun {
    /// The derivatives of `V::L` regions at once: `x[k]` holds state
    /// variable `k` of each region (a lane per region), `c[k]` coupling
    /// term `k`; `dx[k]` receives the derivative of variable `k`. Every
    /// lane gives the bits of [`Dfun::dfun`] for its region.
    fn dfun_v<V: Simd>(&self, x: &[V], c: &[V], dx: &mut [V]);
}

/// Most state variables or coupling terms a row may have for the lanes;
/// wider rows take `dfun` row by row.
pub const MAX_ROW: usize = 32;

/// The derivatives of every row of `x` (`nv` values a row; `c` `nt`
/// terms a row, row-major) by blocks of `V::L` rows: each block
/// transposed into lanes, evaluated, transposed back. The last block's
/// missing rows repeat its last row (computed, not written).
#[inline(always)]
fn rows_v<M: LaneDfun, V: Simd>(m: &M, nv: usize, nt: usize, x: &[f64], c: &[f64], dx: &mut [f64]) {
    let n = x.len() / nv;
    let l = V::L;
    let mut buf = [0.0f64; 8];
    let mut xv = [V::splat(0.0); MAX_ROW];
    let mut cv = [V::splat(0.0); MAX_ROW];
    let mut dv = [V::splat(0.0); MAX_ROW];
    let mut b = 0;
    while b < n {
        let last = n - 1;
        for (k, v) in xv[..nv].iter_mut().enumerate() {
            for (q, s) in buf[..l].iter_mut().enumerate() {
                *s = x[(b + q).min(last) * nv + k];
            }
            *v = V::load(&buf);
        }
        for (k, v) in cv[..nt].iter_mut().enumerate() {
            for (q, s) in buf[..l].iter_mut().enumerate() {
                *s = c[(b + q).min(last) * nt + k];
            }
            *v = V::load(&buf);
        }
        m.dfun_v(&xv[..nv], &cv[..nt], &mut dv[..nv]);
        let valid = (n - b).min(l);
        for (k, v) in dv[..nv].iter().enumerate() {
            v.store(&mut buf);
            for (q, s) in buf[..valid].iter().enumerate() {
                dx[(b + q) * nv + k] = *s;
            }
        }
        b += l;
    }
}

/// The lane width [`rows`] uses on this CPU: 8 (AVX-512F), 4 (AVX2) or 1
/// (row by row).
pub fn width() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        x86::width()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        1
    }
}

/// The derivatives of every row (see [`Dfun::dfun_rows`]) in the widest
/// lanes this CPU has, or row by row.
#[inline(always)]
pub fn rows<M: LaneDfun>(m: &M, nv: usize, nt: usize, x: &[f64], c: &[f64], dx: &mut [f64]) {
    #[cfg(test)]
    if let Some(w) = FORCE_WIDTH.with(|f| f.get()) {
        return rows_at(w, m, nv, nt, x, c, dx);
    }
    rows_at(width(), m, nv, nt, x, c, dx)
}

#[cfg(test)]
thread_local! {
    /// The width [`rows`] takes on this thread instead of the CPU's widest
    /// (the tests, to check every width).
    static FORCE_WIDTH: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// [`rows`] at lane width `w` (8, 4; anything else, or a width this CPU
/// lacks, row by row).
#[inline(always)]
fn rows_at<M: LaneDfun>(
    w: usize,
    m: &M,
    nv: usize,
    nt: usize,
    x: &[f64],
    c: &[f64],
    dx: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if nv <= MAX_ROW && nt <= MAX_ROW && w > 1 && w <= x86::width() {
        match w {
            // SAFETY: the CPU has the instructions (`x86::width`)
            8 => return unsafe { x86::rows_avx512(m, nv, nt, x, c, dx) },
            4 => return unsafe { x86::rows_avx2(m, nv, nt, x, c, dx) },
            _ => {}
        }
    }
    let _ = w;
    for ((xs, cs), ds) in x
        .chunks_exact(nv)
        .zip(c.chunks_exact(nt))
        .zip(dx.chunks_exact_mut(nv))
    {
        m.dfun(xs, cs, ds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{with_model, ModelVisitor, MODELS};
    use crate::params::ParamSet;

    fn xorshift(mut s: u64) -> impl FnMut() -> f64 {
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// `dfun` row by row against `dfun_rows` at widths 8, 4 and 1 (a width
    /// this CPU lacks runs row by row): whether each gives the same bits.
    struct Check {
        x: Vec<f64>,
        c: Vec<f64>,
        nv: usize,
        nt: usize,
    }
    impl ModelVisitor for Check {
        type Out = Vec<(usize, bool)>;
        fn visit<M: Dfun>(self, m: M) -> Self::Out {
            let Check { x, c, nv, nt } = self;
            let n = x.len() / nv;
            let mut want = vec![0.0; n * nv];
            for r in 0..n {
                m.dfun(
                    &x[r * nv..(r + 1) * nv],
                    &c[r * nt..(r + 1) * nt],
                    &mut want[r * nv..(r + 1) * nv],
                );
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let mut out = vec![];
            // only the widths this CPU has: a wider one would fall back to
            // row by row and compare `dfun` with itself
            let (have, lack): (Vec<usize>, Vec<usize>) =
                [8, 4, 1].into_iter().partition(|&w| w <= width());
            if !lack.is_empty() {
                eprintln!("lanes: this CPU has no lane width {lack:?}: checked {have:?} only");
            }
            for w in have {
                let mut got = vec![0.0; n * nv];
                FORCE_WIDTH.with(|f| f.set(Some(w)));
                m.dfun_rows(0, nv, nt, &x, &c, &mut got);
                FORCE_WIDTH.with(|f| f.set(None));
                out.push((w, bits(&got) == bits(&want)));
            }
            out
        }
    }

    /// Every built-in model's `dfun_rows` (in lanes where it is generated
    /// so) gives `dfun`'s bits at every width this CPU has, states drawn
    /// across each model's range, 13 regions (a padded last block at
    /// every width).
    #[test]
    fn every_model_rows_are_dfun_bit_for_bit() {
        let mut u = xorshift(0x2545_f491_4f6c_dd1d);
        for info in MODELS {
            let (nv, nt, n) = (info.nvar(), info.cvar.len().max(1), 13);
            let x: Vec<f64> = (0..n * nv)
                .map(|i| {
                    let (lo, hi) = info.range[i % nv];
                    lo + (hi - lo) * u()
                })
                .collect();
            let c: Vec<f64> = (0..n * nt).map(|_| 0.1 * (u() - 0.5)).collect();
            let params = ParamSet::defaults(info.params);
            for (w, same) in with_model(info, &params, Check { x, c, nv, nt }) {
                assert!(
                    same,
                    "{}: dfun_rows at width {w} differs from dfun",
                    info.name
                );
            }
        }
    }

    /// TVB-AdEx in lanes gives `dfun`'s bits over states spread across
    /// its range (the transfer function's `erfc` arguments crossing
    /// fdlibm's ranges, lanes of one block in different ranges), 67
    /// regions.
    #[test]
    fn adex_lanes_are_dfun_bit_for_bit() {
        let info = crate::models::model_info("ZerlautAdaptationSecondOrder").expect("built in");
        let (nv, nt, n) = (8, 1, 67);
        let mut u = xorshift(0x853c_49e6_748f_ea9b);
        let params = ParamSet::defaults(info.params);
        for round in 0..40 {
            let mut x = vec![0.0; n * nv];
            let mut c = vec![0.0; n * nt];
            let spread = 1.0 + round as f64;
            for r in 0..n {
                let row = &mut x[r * nv..(r + 1) * nv];
                row[0] = 0.2 * spread * u();
                row[1] = 0.2 * spread * u();
                row[2] = 1e-4 * u();
                row[3] = 1e-4 * (u() - 0.5);
                row[4] = 1e-4 * u();
                row[5] = 200.0 * spread * u();
                row[6] = 10.0 * u();
                row[7] = 0.01 * spread * (u() - 0.5);
                c[r] = 0.05 * u();
            }
            for (w, same) in with_model(info, &params, Check { x, c, nv, nt }) {
                assert!(same, "round {round}: width {w} differs from dfun");
            }
        }
    }
}
