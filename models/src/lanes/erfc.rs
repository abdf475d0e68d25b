//! `erfc` in lanes, bit for bit the `libm` crate's (fdlibm's `s_erf.c`,
//! its `exp` from `e_exp.c` included), for right-hand sides evaluated
//! across regions ([`super::Simd`]).
//!
//! fdlibm branches on the range of `|x|`; here each lane is classified,
//! the formula of every range some lane is in is evaluated over all lanes
//! (the same operations in the same order as fdlibm's for that range) and
//! selected per lane. Lanes outside the ranges worth vectorising
//! (`|x| < 2⁻⁵⁶`, `|x| ≥ 26`, NaN, ±∞) take `libm::erfc` itself.
//!
//! fdlibm's tests on the high word of `|x|` are comparisons of `|x|` with
//! the number whose high word that is (and low word 0): for `|x|` not NaN,
//! `hx < H` ⇔ `|x| < f64::from_bits(H << 32)`.

// fdlibm's constants as its sources write them (as the `libm` crate does)
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use super::Simd;

// fdlibm's coefficients (s_erf.c, e_exp.c), as in the `libm` crate.
const ERX: f64 = 8.45062911510467529297e-01;
/// erfc on |x| < 0.84375: PP0..PP4 and QQ1..QQ5.
const PP: [f64; 5] = [
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
];
const QQ: [f64; 5] = [
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
];
/// erfc on [0.84375, 1.25): PA0..PA6 and QA1..QA6.
const PA: [f64; 7] = [
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
];
const QA: [f64; 6] = [
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
];
/// erfc on [1.25, 1/0.35): RA0..RA7 and SA1..SA8.
const RA: [f64; 8] = [
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e+01,
    -6.23753324503260060396e+01,
    -1.62396669462573470355e+02,
    -1.84605092906711035994e+02,
    -8.12874355063065934246e+01,
    -9.81432934416914548592e+00,
];
const SA: [f64; 8] = [
    1.96512716674392571292e+01,
    1.37657754143519042600e+02,
    4.34565877475229228821e+02,
    6.45387271733267880336e+02,
    4.29008140027567833386e+02,
    1.08635005541779435134e+02,
    6.57024977031928170135e+00,
    -6.04244152148580987438e-02,
];
/// erfc on [1/0.35, 28): RB0..RB6 and SB1..SB7, each padded with a zero
/// top coefficient so that one Horner scheme serves both ranges:
/// `c + s·0 = c` exactly for the finite positive `s = 1/x²` used here.
const RB: [f64; 8] = [
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e+01,
    -1.60636384855821916062e+02,
    -6.37566443368389627722e+02,
    -1.02509513161107724954e+03,
    -4.83519191608651397019e+02,
    0.0,
];
const SB: [f64; 8] = [
    3.03380607434824582924e+01,
    3.25792512996573918826e+02,
    1.53672958608443695994e+03,
    3.19985821950859553908e+03,
    2.55305040643316442583e+03,
    4.74528541206955367215e+02,
    -2.24409524465858183362e+01,
    0.0,
];
const LN2HI: f64 = 6.93147180369123816490e-01;
const LN2LO: f64 = 1.90821492927058770002e-10;
const INVLN2: f64 = 1.44269504088896338700e+00;
const P: [f64; 5] = [
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
];

/// The number whose high word is `h` and low word 0.
#[inline(always)]
fn hi<V: Simd>(h: u32) -> V {
    V::splat(f64::from_bits((h as u64) << 32))
}

/// The `libm` crate's `exp` in every lane for `|x| < 708.39` (where it
/// neither overflows nor takes its underflow path): the reduction
/// `x = k·ln2 + r` with `k` chosen as fdlibm does for each range of `|x|`
/// (`(x/ln2 ± ½)` truncated from 1.5·ln2 on, ±1 from ½·ln2, 0 below), the
/// same polynomial, and `scalbn(y, k)` as the one multiplication by `2ᵏ`
/// it is for −1022 ≤ k ≤ 1023 and a normal result.
#[inline(always)]
pub(super) fn exp<V: Simd>(x: V) -> V {
    let ax = x.abs();
    let neg = x.lt(V::splat(0.0));
    // hx >= 0x3ff0a2b2: |x| ≥ 1.5 ln2
    let big = ax.ge(hi(0x3ff0_a2b2));
    // hx > 0x3fd62e42: |x| > 0.5 ln2
    let medium = ax.ge(hi(0x3fd6_2e43));
    let half = V::select(neg, V::splat(-0.5), V::splat(0.5));
    let one = V::select(neg, V::splat(-1.0), V::splat(1.0));
    let k = V::select(
        big,
        (V::splat(INVLN2) * x + half).trunc(),
        V::select(medium, one, V::splat(0.0)),
    );
    // k = 0 gives hi = x, lo = 0 and r = x: fdlibm's branch for small |x|
    let h = x - k * V::splat(LN2HI);
    let lo = k * V::splat(LN2LO);
    let r = h - lo;
    let xx = r * r;
    let c = r - xx
        * (V::splat(P[0])
            + xx * (V::splat(P[1])
                + xx * (V::splat(P[2]) + xx * (V::splat(P[3]) + xx * V::splat(P[4])))));
    let y = V::splat(1.0) + (r * c / (V::splat(2.0) - c) - lo + h);
    let e = y * k.pow2i();
    // hx <= 0x3e300000 (|x| ≤ 2⁻²⁸): 1 + x
    V::select(ax.lt(hi(0x3e30_0001)), V::splat(1.0) + x, e)
}

/// `erfc(x)` in every lane, each bit for bit `libm::erfc`.
#[inline(always)]
pub(super) fn erfc<V: Simd>(x: V) -> V {
    let ax = x.abs();
    let neg = x.lt(V::splat(0.0));
    // 2⁻⁵⁶ ≤ |x| < 0.84375
    let near = V::and(ax.ge(hi(0x3c70_0000)), ax.lt(hi(0x3feb_0000)));
    // 0.84375 ≤ |x| < 1.25
    let mid = V::and(ax.ge(hi(0x3feb_0000)), ax.lt(hi(0x3ff4_0000)));
    // 1.25 ≤ |x| < 26 (both `exp` arguments within `exp`'s range above)
    let far = V::and(ax.ge(hi(0x3ff4_0000)), ax.lt(hi(0x403a_0000)));
    let mut out = V::splat(0.0);
    if V::bitmask(far) != 0 {
        let s = V::splat(1.0) / (ax * ax);
        // |x| < 1/0.35: R1/S1, else R2/S2
        let a = ax.lt(hi(0x4006_db6d));
        let rc = |k: usize| V::select(a, V::splat(RA[k]), V::splat(RB[k]));
        let sc = |k: usize| V::select(a, V::splat(SA[k]), V::splat(SB[k]));
        let r = rc(0)
            + s * (rc(1)
                + s * (rc(2) + s * (rc(3) + s * (rc(4) + s * (rc(5) + s * (rc(6) + s * rc(7)))))));
        let big_s = V::splat(1.0)
            + s * (sc(0)
                + s * (sc(1)
                    + s * (sc(2)
                        + s * (sc(3) + s * (sc(4) + s * (sc(5) + s * (sc(6) + s * sc(7))))))));
        // |x| with its low word cleared
        let z = ax.bits_and(0xffff_ffff_0000_0000);
        let e = exp(-z * z - V::splat(0.5625)) * exp((z - ax) * (z + ax) + r / big_s) / ax;
        out = V::select(far, V::select(neg, V::splat(2.0) - e, e), out);
    }
    if V::bitmask(mid) != 0 {
        let s = ax - V::splat(1.0);
        let p = V::splat(PA[0])
            + s * (V::splat(PA[1])
                + s * (V::splat(PA[2])
                    + s * (V::splat(PA[3])
                        + s * (V::splat(PA[4]) + s * (V::splat(PA[5]) + s * V::splat(PA[6]))))));
        let q = V::splat(1.0)
            + s * (V::splat(QA[0])
                + s * (V::splat(QA[1])
                    + s * (V::splat(QA[2])
                        + s * (V::splat(QA[3]) + s * (V::splat(QA[4]) + s * V::splat(QA[5]))))));
        let e = V::splat(1.0) - V::splat(ERX) - p / q;
        out = V::select(mid, V::select(neg, V::splat(2.0) - e, e), out);
    }
    if V::bitmask(near) != 0 {
        let z = x * x;
        let r = V::splat(PP[0])
            + z * (V::splat(PP[1])
                + z * (V::splat(PP[2]) + z * (V::splat(PP[3]) + z * V::splat(PP[4]))));
        let s = V::splat(1.0)
            + z * (V::splat(QQ[0])
                + z * (V::splat(QQ[1])
                    + z * (V::splat(QQ[2]) + z * (V::splat(QQ[3]) + z * V::splat(QQ[4])))));
        let y = r / s;
        // x < 0 or |x| < 1/4: 1 − (x + x·y), else 0.5 − (x − 0.5 + x·y)
        let e = V::select(
            V::or(neg, ax.lt(hi(0x3fd0_0000))),
            V::splat(1.0) - (x + x * y),
            V::splat(0.5) - (x - V::splat(0.5) + x * y),
        );
        out = V::select(near, e, out);
    }
    let other = V::bitmask(V::not(V::or(V::or(near, mid), far))) & ((1u32 << V::L) - 1);
    if other != 0 {
        let (mut a, mut o) = ([0.0; 8], [0.0; 8]);
        x.store(&mut a);
        out.store(&mut o);
        for l in 0..V::L {
            if other >> l & 1 == 1 {
                o[l] = libm::erfc(a[l]);
            }
        }
        out = V::load(&o);
    }
    out
}
