//! tvb-library 2.10's PreSigmoidal sum (`sum = "presigmoidal"`; what it
//! computes is written in `crate::coupling`'s module doc), walked once for
//! the built-in PreSigmoidal and for a user's declaration summed so.
//!
//! With `X(i, v, j)` region `j`'s coupled variable `v` delayed by `d_ij`
//! (**0 where `w_ij = 0`**) and `A(x, θ)` the coupling's `pre`:
//!
//! * static (`dynamic = 0`), term `v`: `c_v[j] = Σ_i w_ji·A(X(i, v, j), θ)`
//!   over the `i` with `w_ji ≠ 0` or `w_ij ≠ 0`, θ the parameter `theta`;
//! * dynamic (`dynamic = 1`): `c_0[j] = Σ_i w_ij·A(X(i, 0, j), X(i, 1, j))`
//!   over the `i` with `w_ij ≠ 0`, and the direct output
//!   `c_1[j] = A(X(j, 0, j), X(j, 1, j))` (`numpy.diag`, no weight).
//!
//! The products `w·A` are float64 (float32 where a declaration's are), the
//! sums float64 from 0 in ascending `i`, as numpy's `sum(axis=0)`.

use std::ops::Range;

use brainstream_modeldecl::coupling::{CouplingEval, CouplingProgram, Ty, BLOCK as DECL_BLOCK};

use super::{DeclScratch, RawBuf, Structure};

/// The delayed values and weights one step of the sum reads: the history
/// `hist` at ring position `w`.
pub(super) struct Terms<'a> {
    pub s: &'a Structure,
    pub hist: &'a RawBuf<f32>,
    pub w: usize,
}

impl Terms<'_> {
    /// Whether `w_ij ≠ 0` (an edge into `i` from `j`).
    fn has(&self, i: usize, j: usize) -> bool {
        self.s.dense_edge[i * self.s.n + j] != u32::MAX
    }

    /// `w_ij` in float32, 0 where there is no edge.
    fn wt(&self, i: usize, j: usize) -> f32 {
        match self.s.dense_edge[i * self.s.n + j] {
            u32::MAX => 0.0,
            ed => self.s.w32[ed as usize],
        }
    }

    /// `X(i, v, j)`.
    ///
    /// # Safety
    /// No thread writes the history slot at `w` concurrently.
    unsafe fn x(&self, i: usize, v: usize, j: usize) -> f32 {
        let s = self.s;
        match s.dense_edge[i * s.n + j] {
            u32::MAX => 0.0,
            ed => unsafe {
                self.hist
                    .get(v * s.n * 2 * s.h + s.off[ed as usize] as usize + self.w)
            },
        }
    }

    /// The weighted terms of `c_t[j]`, in the sum's order: `f(w, x, θ)`
    /// for each, `A`'s arguments `x` and `θ` (`theta`: the static form's
    /// threshold). Not the dynamic form's direct output (`t = 1`, see
    /// [`direct`](Self::direct)).
    ///
    /// # Safety
    /// As [`x`](Self::x).
    pub unsafe fn each(
        &self,
        j: usize,
        t: usize,
        dynamic: bool,
        theta: f64,
        mut f: impl FnMut(f32, f32, f64),
    ) {
        for i in 0..self.s.n {
            if dynamic {
                // a zero weight would add 0·A = ±0 (A is finite there:
                // X = 0), which changes nothing: left out
                if self.has(i, j) {
                    f(
                        self.wt(i, j),
                        unsafe { self.x(i, 0, j) },
                        unsafe { self.x(i, 1, j) } as f64,
                    );
                }
            } else {
                let w_ji = self.wt(j, i);
                if w_ji != 0.0 || self.has(i, j) {
                    f(w_ji, unsafe { self.x(i, t, j) }, theta);
                }
            }
        }
    }

    /// `A`'s arguments of the dynamic form's direct output of region `j`:
    /// `X(j, 0, j)`, `X(j, 1, j)`.
    ///
    /// # Safety
    /// As [`x`](Self::x).
    pub unsafe fn direct(&self, j: usize) -> (f32, f64) {
        unsafe { (self.x(j, 0, j), self.x(j, 1, j) as f64) }
    }
}

/// `c[j·nt + t − c0]` for the rows `r` of a declared coupling summed
/// `"presigmoidal"` (`prog`, evaluated by `ev` with the parameter values
/// `values`): the declaration's `pre` over [`Terms`] in blocks, its `x_j`
/// and `theta_j` the terms' `x` and `θ`; `post` is `gx` (the declaration
/// is refused otherwise), so the sums are the terms.
///
/// # Safety
/// As [`Terms::x`]; `c` holds the rows `r` from `c0`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn declared_rows(
    terms: &Terms,
    prog: &CouplingProgram,
    ev: &CouplingEval,
    d: &mut DeclScratch,
    values: &[f64],
    r: Range<usize>,
    nt: usize,
    c: &mut [f64],
    c0: usize,
) {
    let dynamic = prog.dynamic(values);
    // both inputs and `theta` are there: the declaration checks them
    let sx = prog.input("x_j").unwrap_or(0);
    let st = prog.input("theta_j").unwrap_or(1);
    let theta = prog
        .params
        .iter()
        .find(|p| p.name == "theta")
        .map_or(f64::NAN, |p| values[p.offset]);
    let f32_products = prog.product_ty == Ty::F32;
    // `pre` of the `m` terms in the inputs, added w·pre to `acc`
    let flush = |d: &mut DeclScratch, m: usize, acc: &mut f64| {
        ev.pre_block(&mut d.scratch, &d.inputs, m, &mut d.pre);
        for q in 0..m {
            let wt = d.p32[q];
            *acc += if f32_products {
                (wt * d.pre[q] as f32) as f64
            } else {
                wt as f64 * d.pre[q]
            };
        }
    };
    for t in 0..nt {
        for j in r.clone() {
            c[j * nt + t - c0] = if dynamic && t == 1 {
                let (x, th) = unsafe { terms.direct(j) };
                d.inputs[sx * DECL_BLOCK] = x as f64;
                d.inputs[st * DECL_BLOCK] = th;
                ev.pre_block(&mut d.scratch, &d.inputs, 1, &mut d.pre);
                d.pre[0]
            } else {
                let (mut acc, mut m) = (0.0f64, 0usize);
                unsafe {
                    terms.each(j, t, dynamic, theta, |wt, x, th| {
                        d.inputs[sx * DECL_BLOCK + m] = x as f64;
                        d.inputs[st * DECL_BLOCK + m] = th;
                        d.p32[m] = wt;
                        m += 1;
                        if m == DECL_BLOCK {
                            flush(d, m, &mut acc);
                            m = 0;
                        }
                    })
                };
                flush(d, m, &mut acc);
                acc
            };
        }
    }
}
