//! numpy's summation order, which tvb-library's coupling sum inherits.
//!
//! `numpy.add.reduceat` over a row of `n` products returns
//! `p_0 + pairwise(p_1 … p_{n−1})`, where numpy's pairwise summation adds
//! fewer than 8 terms one by one, up to 128 terms in 8 interleaved partial
//! sums combined as `((r0+r1)+(r2+r3)) + ((r4+r5)+(r6+r7))` followed by the
//! remainder, and splits longer runs in halves (multiples of 8). Summing in
//! this order (in float32, as TVB does) reproduces tvb-library's coupling to
//! the last bit; a plain left-to-right sum differs in about half the rows.
//! The 8 independent partial sums also break the dependency chain, so this
//! order is faster than a sequential loop.

use std::ops::Add;

/// The float types summed (`f32`, `f64`).
pub trait SumFloat: Copy + Add<Output = Self> {
    /// numpy's pairwise sum starts from −0.0.
    const NEG_ZERO: Self;
    /// The empty sum.
    const ZERO: Self;
}

impl SumFloat for f32 {
    const NEG_ZERO: Self = -0.0;
    const ZERO: Self = 0.0;
}

impl SumFloat for f64 {
    const NEG_ZERO: Self = -0.0;
    const ZERO: Self = 0.0;
}

/// Eight float32 lanes added lane by lane: summing a slice of these with
/// [`reduceat`] performs, in every lane, exactly the additions of the scalar
/// sum, eight sums (e.g. eight time steps) at once.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[repr(C, align(32))]
pub struct Lanes8(pub [f32; 8]);

impl Add for Lanes8 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        let mut r = self.0;
        for (a, b) in r.iter_mut().zip(o.0) {
            *a += b;
        }
        Lanes8(r)
    }
}

impl SumFloat for Lanes8 {
    const NEG_ZERO: Self = Lanes8([-0.0; 8]);
    const ZERO: Self = Lanes8([0.0; 8]);
}

/// `W` float32 lanes added lane by lane, as [`Lanes8`]: `W` time steps of
/// one row summed at once (16 or 32 with AVX-512's 16-lane registers).
/// Each lane performs exactly the additions of the scalar sum.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C, align(64))]
pub struct LanesW<const W: usize>(pub [f32; W]);

impl<const W: usize> Add for LanesW<W> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        let mut r = self.0;
        for (a, b) in r.iter_mut().zip(o.0) {
            *a += b;
        }
        LanesW(r)
    }
}

impl<const W: usize> SumFloat for LanesW<W> {
    const NEG_ZERO: Self = LanesW([-0.0; W]);
    const ZERO: Self = LanesW([0.0; W]);
}

/// `a[0] + pairwise(a[1..])`, numpy's `add.reduceat` of one segment.
#[inline(always)]
pub fn reduceat<T: SumFloat>(a: &[T]) -> T {
    match a.split_first() {
        None => T::ZERO,
        Some((first, rest)) => *first + pairwise(rest),
    }
}

/// `0 + pairwise(a)`, numpy's `add.reduce` (`sum`) along a contiguous axis:
/// numpy 2 starts a reduction from the identity, 0, and adds the pairwise
/// sum of every element to it (`reduceat` starts from the first element
/// instead). tvb-library's dense couplings sum so.
#[inline(always)]
pub fn reduce<T: SumFloat>(a: &[T]) -> T {
    T::ZERO + pairwise(a)
}

/// numpy's `pairwise_sum` of a slice.
#[inline(always)]
pub fn pairwise<T: SumFloat>(a: &[T]) -> T {
    let n = a.len();
    if n < 8 {
        let mut res = T::NEG_ZERO;
        for &x in a {
            res = res + x;
        }
        res
    } else if n <= 128 {
        let mut r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
        let end = n - n % 8;
        // eight independent partial sums: one SIMD add per block of 8
        for blk in a[8..end].chunks_exact(8) {
            for (rj, x) in r.iter_mut().zip(blk) {
                *rj = *rj + *x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[end..] {
            res = res + x;
        }
        res
    } else {
        pairwise_long(a)
    }
}

/// [`reduceat`] of the `len` values `f(0), f(1), …`, computed as they are
/// summed (nothing stored): the same additions in the same order.
#[inline(always)]
pub fn reduceat_by<T: SumFloat>(len: usize, f: impl Fn(usize) -> T) -> T {
    if len == 0 {
        T::ZERO
    } else {
        f(0) + pairwise_by(1, len - 1, &f)
    }
}

/// numpy's `pairwise_sum` of the `n` values `f(start), …, f(start + n − 1)`.
#[inline(always)]
pub(crate) fn pairwise_by<T: SumFloat>(start: usize, n: usize, f: &impl Fn(usize) -> T) -> T {
    if n < 8 {
        let mut res = T::NEG_ZERO;
        for i in start..start + n {
            res = res + f(i);
        }
        res
    } else if n <= 128 {
        let mut r: [T; 8] = std::array::from_fn(|k| f(start + k));
        let end = start + n - n % 8;
        let mut i = start + 8;
        while i < end {
            for (k, rk) in r.iter_mut().enumerate() {
                *rk = *rk + f(i + k);
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for i in end..start + n {
            res = res + f(i);
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_by_long(start, n2, f) + pairwise_by_long(start + n2, n - n2, f)
    }
}

/// The halves of a run longer than 128 terms (kept out of line: recursion).
#[inline(never)]
fn pairwise_by_long<T: SumFloat>(start: usize, n: usize, f: &impl Fn(usize) -> T) -> T {
    pairwise_by(start, n, f)
}

/// Runs longer than 128 terms: halves (multiples of 8), recursively.
#[inline(never)]
fn pairwise_long<T: SumFloat>(a: &[T]) -> T {
    let mut n2 = a.len() / 2;
    n2 -= n2 % 8;
    pairwise(&a[..n2]) + pairwise(&a[n2..])
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn short_rows_are_sequential() {
        let v = [1.0f32, 2.0, 3.0];
        assert_eq!(reduceat(&v), 6.0);
        assert_eq!(reduceat::<f32>(&[]), 0.0);
    }
    #[test]
    fn lanes_sum_like_scalars() {
        let v: Vec<Lanes8> = (0..200)
            .map(|i| {
                Lanes8(std::array::from_fn(|k| {
                    1.0 + (i * 7 + k * 13) as f32 * 1e-3
                }))
            })
            .collect();
        for len in [0, 1, 5, 9, 17, 130, 200] {
            let l = reduceat(&v[..len]);
            for k in 0..8 {
                let col: Vec<f32> = v[..len].iter().map(|x| x.0[k]).collect();
                assert_eq!(l.0[k], reduceat(&col), "len {len} lane {k}");
            }
        }
    }

    #[test]
    fn reduceat_by_adds_as_reduceat() {
        let v: Vec<Lanes8> = (0..700)
            .map(|i| {
                Lanes8(std::array::from_fn(|k| {
                    ((i * 7919 + k * 104729) % 1000) as f32 * 1.37e-3 - 0.6
                }))
            })
            .collect();
        for len in [
            0, 1, 2, 7, 8, 9, 16, 17, 127, 128, 129, 130, 255, 256, 300, 700,
        ] {
            assert_eq!(reduceat_by(len, |i| v[i]), reduceat(&v[..len]), "len {len}");
            let s: Vec<f32> = v[..len].iter().map(|x| x.0[3]).collect();
            assert_eq!(
                reduceat_by(len, |i| s[i]).to_bits(),
                reduceat(&s).to_bits(),
                "len {len}"
            );
        }
    }

    #[test]
    fn wide_lanes_sum_like_scalars() {
        let v: Vec<LanesW<32>> = (0..300)
            .map(|i| {
                LanesW(std::array::from_fn(|k| {
                    ((i * 7919 + k * 104729) % 1000) as f32 * 1.37e-3 - 0.6
                }))
            })
            .collect();
        for len in [0, 1, 7, 9, 128, 129, 130, 300] {
            let l = reduceat_by(len, |i| v[i]);
            for k in 0..32 {
                let col: Vec<f32> = v[..len].iter().map(|x| x.0[k]).collect();
                assert_eq!(
                    l.0[k].to_bits(),
                    reduceat(&col).to_bits(),
                    "len {len} lane {k}"
                );
            }
        }
    }

    #[test]
    fn long_rows_use_eight_partial_sums() {
        // 1 + pairwise(17 terms): r_j = t_j + t_{j+8}, then t_16 appended.
        let v: Vec<f32> = (0..18).map(|i| 1.0 + i as f32 * 1e-3).collect();
        let got = reduceat(&v);
        let t = &v[1..];
        let r: Vec<f32> = (0..8).map(|j| t[j] + t[j + 8]).collect();
        let want =
            v[0] + ((((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))) + t[16]);
        assert_eq!(got, want);
    }
}
