//! tvb-library 2.10's `LocalConnectivity`: a sparse vertex × vertex
//! matrix from the geodesic distances up to a cutoff, mapped through a
//! spatial equation and homogenised, as `LocalConnectivity.compute` does:
//!
//! 1. `g_ij = E(d_ij)` for every pair with geodesic distance
//!    `0 < d_ij ≤ cutoff` (mm; [`super::geodesic`]; the diagonal is not
//!    part of the matrix), with the Gaussian
//!    `E(d) = amp·exp(−((d − midpoint)² / (2·σ²))) + offset`
//!    (tvb-library's `equations.Gaussian`, defaults amp 1, σ 1, midpoint
//!    0, offset 0);
//! 2. split into positive and negative entries; per row `i` the sums
//!    `P_i = Σ_j g⁺_ij`, `N_i = Σ_j g⁻_ij` (ascending `j`, from 0), their
//!    means `P̄`, `N̄` over all vertices (numpy's pairwise `mean`), and the
//!    homogenised matrix `L_ij = (P̄/P_i)·g⁺_ij + (N̄/N_i)·g⁻_ij`
//!    (a factor 0 where the row sum is 0; zero entries dropped, as scipy's
//!    products drop them).
//!
//! The simulation then uses `cs·L` (tvb-library's `Cortex.coupling_strength`,
//! one value for all vertices) times the first state variable.
//! Everything after the distances is tvb-library's arithmetic in its order.

use crate::error::ModelError;
use crate::tvb_sum::reduce;

use super::geodesic::{local_distances, SparseRows};
use super::mesh::Surface;

/// The spatial equation of a local connectivity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpatialEquation {
    /// `amp·exp(−((d − midpoint)² / (2·σ²))) + offset`, `d` and σ in mm.
    Gaussian {
        amp: f64,
        sigma: f64,
        midpoint: f64,
        offset: f64,
    },
}

/// The spatial equations a local connectivity may use.
pub const SPATIAL_EQUATIONS: &[&str] = &["Gaussian"];

impl SpatialEquation {
    /// tvb-library's defaults of a Gaussian.
    pub fn gaussian_default() -> Self {
        Self::Gaussian {
            amp: 1.0,
            sigma: 1.0,
            midpoint: 0.0,
            offset: 0.0,
        }
    }

    /// The equation at distance `d`, numexpr's operations in order.
    pub fn eval(&self, d: f64) -> f64 {
        match *self {
            Self::Gaussian {
                amp,
                sigma,
                midpoint,
                offset,
            } => {
                let t = d - midpoint;
                amp * (-((t * t) / (2.0 * (sigma * sigma)))).exp() + offset
            }
        }
    }

    pub(crate) fn check(&self) -> Result<(), ModelError> {
        match *self {
            Self::Gaussian {
                amp,
                sigma,
                midpoint,
                offset,
            } => {
                for (n, v) in [
                    ("amp", amp),
                    ("sigma", sigma),
                    ("midpoint", midpoint),
                    ("offset", offset),
                ] {
                    if !v.is_finite() {
                        return Err(ModelError::Config(format!(
                            "local connectivity Gaussian {n} = {v}: a finite number is expected"
                        )));
                    }
                }
                if sigma <= 0.0 {
                    return Err(ModelError::Config(format!(
                        "local connectivity Gaussian sigma = {sigma} mm: a positive width is expected"
                    )));
                }
                Ok(())
            }
        }
    }
}

/// A computed local connectivity: the homogenised matrix `L` (rows =
/// target vertices, columns ascending).
#[derive(Debug, Clone, PartialEq)]
pub struct LocalConnectivity {
    pub matrix: SparseRows,
    pub cutoff: f64,
    pub equation: SpatialEquation,
    /// Vertices whose positive (or negative) row sum is 0 while the mean is
    /// not (tvb-library warns "Cortical mesh is too coarse").
    pub coarse_vertices: usize,
}

impl LocalConnectivity {
    /// Computes the matrix on `surface` (geodesic distances on `threads`
    /// threads).
    pub fn compute(
        surface: &Surface,
        equation: SpatialEquation,
        cutoff: f64,
        threads: usize,
    ) -> Result<Self, ModelError> {
        equation.check()?;
        let dist = local_distances(surface, cutoff, threads)?;
        Ok(Self::from_distances(dist, equation, cutoff))
    }

    /// Steps 1 and 2 of the module doc on given geodesic distances.
    pub fn from_distances(dist: SparseRows, equation: SpatialEquation, cutoff: f64) -> Self {
        let n = dist.n;
        let g: Vec<f64> = dist.val.iter().map(|&d| equation.eval(d)).collect();
        let mut pos = vec![0.0f64; n];
        let mut neg = vec![0.0f64; n];
        for i in 0..n {
            let (mut p, mut q) = (0.0f64, 0.0f64);
            for &v in &g[dist.row_start[i]..dist.row_start[i + 1]] {
                // the other part holds an explicit 0 there: adding it
                // changes nothing but -0
                if v > 0.0 {
                    p += v;
                } else {
                    p += 0.0;
                }
                if v < 0.0 {
                    q += v;
                } else {
                    q += 0.0;
                }
            }
            pos[i] = p;
            neg[i] = q;
        }
        let pos_mean = reduce(&pos) / n as f64;
        let neg_mean = reduce(&neg) / n as f64;
        let coarse = (0..n)
            .filter(|&i| (pos_mean != 0.0 && pos[i] == 0.0) || (neg_mean != 0.0 && neg[i] == 0.0))
            .count();
        if coarse > 0 {
            tracing::warn!(
                vertices = coarse,
                "local connectivity: cortical mesh is too coarse for the requested cutoff and equation (some vertices have no neighbour of one sign)"
            );
        }
        let hf = |mean: f64, s: f64| if s != 0.0 { mean / s } else { 0.0 };
        let mut m = SparseRows {
            n,
            row_start: Vec::with_capacity(n + 1),
            col: Vec::with_capacity(g.len()),
            val: Vec::with_capacity(g.len()),
        };
        m.row_start.push(0);
        for i in 0..n {
            let (hp, hn) = (hf(pos_mean, pos[i]), hf(neg_mean, neg[i]));
            let (a, b) = (dist.row_start[i], dist.row_start[i + 1]);
            for (&v, &j) in g[a..b].iter().zip(&dist.col[a..b]) {
                let l = if v > 0.0 {
                    hp * v
                } else if v < 0.0 {
                    hn * v
                } else {
                    0.0
                };
                if l != 0.0 {
                    m.col.push(j);
                    m.val.push(l);
                }
            }
            m.row_start.push(m.col.len());
        }
        Self {
            matrix: m,
            cutoff,
            equation,
            coarse_vertices: coarse,
        }
    }
}
