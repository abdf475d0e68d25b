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

/// `p(0) + pairwise(p(1..n))`, numpy's `add.reduceat` of one segment.
#[inline(always)]
pub fn reduceat<T, F>(n: usize, zero: T, p: &F) -> T
where
    T: Copy + Add<Output = T>,
    F: Fn(usize) -> T,
{
    if n == 0 {
        return zero;
    }
    p(0) + pairwise(1, n - 1, zero, p)
}

/// numpy's `pairwise_sum` of `p(start..start+n)`.
#[inline(always)]
pub fn pairwise<T, F>(start: usize, n: usize, zero: T, p: &F) -> T
where
    T: Copy + Add<Output = T>,
    F: Fn(usize) -> T,
{
    if n < 8 {
        let mut res = zero;
        for i in 0..n {
            res = res + p(start + i);
        }
        res
    } else if n <= 128 {
        let mut r: [T; 8] = std::array::from_fn(|j| p(start + j));
        let end = n - n % 8;
        let mut i = 8;
        while i < end {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj = *rj + p(start + i + j);
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res = res + p(start + i);
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(start, n2, zero, p) + pairwise(start + n2, n - n2, zero, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn short_rows_are_sequential() {
        let v = [1.0f32, 2.0, 3.0];
        assert_eq!(reduceat(3, -0.0, &|i| v[i]), 6.0);
        assert_eq!(reduceat(0, 0.0f32, &|i| v[i]), 0.0);
    }
    #[test]
    fn long_rows_use_eight_partial_sums() {
        // 1 + pairwise(17 terms): r_j = t_j + t_{j+8}, then t_16 appended.
        let v: Vec<f32> = (0..18).map(|i| 1.0 + i as f32 * 1e-3).collect();
        let got = reduceat(18, -0.0, &|i| v[i]);
        let t = &v[1..];
        let r: Vec<f32> = (0..8).map(|j| t[j] + t[j + 8]).collect();
        let want =
            v[0] + ((((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))) + t[16]);
        assert_eq!(got, want);
    }
}
