//! tvb-library 2.10's `StimuliSurface`: a spatio-temporal stimulus on the
//! vertices of a surface simulation,
//!
//! `u_v(t) = S_v · T(t)`, `S_v = 0 + Σ_k E(D(f_k, v))`,
//!
//! * `f_k` the focal vertices (tvb-library's `focal_points_surface`: the
//!   first vertex of each of its `focal_points_triangles`);
//! * `D(f, v)` the geodesic distance (mm) on the surface from `f` to every
//!   vertex (`Surface.geodesic_distance`, tvb-gdist's exact distances;
//!   brainstream's [`super::geodesic`], within ~1e-15 relative of
//!   tvb-gdist's), computed up to `|midpoint| + σ·sqrt(120·ln 2)` (9.1σ),
//!   where the Gaussian has fallen below `2⁻⁶⁰·|amp|`: farther vertices
//!   (and those no path reaches) are at `∞`, their `E` is `offset`
//!   (tvb-library adds there the remaining `< 1e-18·|amp|`, which the
//!   window propagation of the whole cortex would cost minutes to find);
//! * `E` the spatial equation (tvb-library's `Gaussian`, numexpr's order:
//!   [`super::SpatialEquation::eval`]), summed over the foci as numpy's
//!   `sum(axis=1)` sums ([`crate::tvb_sum::reduce`]);
//! * `T` a temporal equation ([`crate::stimulus::Temporal`]) at
//!   tvb-library's time grid: the step from `(k−1)·dt` to `k·dt` (step `k`
//!   from 1) sees `T((k−1)·dt)`.
//!
//! `S_v·T(t)` (that product order) is added to the model's stimulus
//! variables where tvb-library's integrators add it
//! ([`crate::engine::StimulusInput`]): Euler `x + dt·(f(x) + u)`, Heun
//! `x̃ = x + dt·(f(x) + u)`, `x + dx + dt·u`.

use crate::error::ModelError;
use crate::stimulus::Temporal;
use crate::tvb_sum::reduce;

use super::geodesic::{distances_from, Scratch, Topology};
use super::local_connectivity::SpatialEquation;
use super::mesh::Surface;

/// A surface stimulus: the spatial pattern per vertex and the temporal
/// equation.
#[derive(Debug, Clone, PartialEq)]
pub struct SurfaceStimulus {
    /// `S_v`, one value per vertex.
    pub spatial: Vec<f64>,
    pub temporal: Temporal,
}

impl SurfaceStimulus {
    /// The pattern of `equation` around `focal_vertices` on `surface`.
    pub fn new(
        surface: &Surface,
        focal_vertices: &[usize],
        equation: SpatialEquation,
        temporal: Temporal,
    ) -> Result<Self, ModelError> {
        equation.check()?;
        let nv = surface.n_vertices();
        if focal_vertices.is_empty() {
            return Err(ModelError::Config(
                "surface stimulus: no focal point (at least one vertex or triangle)".into(),
            ));
        }
        if let Some(&f) = focal_vertices.iter().find(|&&f| f >= nv) {
            return Err(ModelError::Config(format!(
                "surface stimulus: focal vertex {f}; the surface ({}) has {nv} vertices",
                surface.source
            )));
        }
        let SpatialEquation::Gaussian {
            sigma, midpoint, ..
        } = equation;
        // beyond this distance amp·exp(−(d − midpoint)²/(2σ²)) < 2⁻⁶⁰·|amp|
        let reach = midpoint.abs() + sigma * (2.0 * 60.0 * std::f64::consts::LN_2).sqrt();
        let topo = Topology::new(surface)?;
        let mut scratch = Scratch::default();
        // E(D(f_k, v)) per focus, then summed over the foci per vertex
        let per_focus: Vec<Vec<f64>> = focal_vertices
            .iter()
            .map(|&f| {
                let mut d = vec![f64::INFINITY; nv];
                d[f] = 0.0;
                for (v, x) in distances_from(surface, &topo, f as u32, reach, &mut scratch) {
                    d[v as usize] = x;
                }
                d.into_iter().map(|x| equation.eval(x)).collect()
            })
            .collect();
        let mut row = vec![0.0; focal_vertices.len()];
        let spatial = (0..nv)
            .map(|v| {
                for (r, p) in row.iter_mut().zip(&per_focus) {
                    *r = p[v];
                }
                reduce(&row)
            })
            .collect();
        Ok(Self { spatial, temporal })
    }

    /// The first vertex of each triangle (tvb-library's
    /// `focal_points_surface` of `focal_points_triangles`).
    pub fn vertices_of_triangles(
        surface: &Surface,
        triangles: &[usize],
    ) -> Result<Vec<usize>, ModelError> {
        triangles
            .iter()
            .map(|&t| {
                surface
                    .triangles
                    .get(t)
                    .map(|tri| tri[0] as usize)
                    .ok_or_else(|| {
                        ModelError::Config(format!(
                            "surface stimulus: focal triangle {t}; the surface ({}) has {} triangles",
                            surface.source,
                            surface.triangles.len()
                        ))
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_of_the_distance_summed_over_the_foci() {
        let s = Surface::flat_grid(5);
        let eq = SpatialEquation::Gaussian {
            amp: 2.0,
            sigma: 1.5,
            midpoint: 0.0,
            offset: 0.0,
        };
        let t = Temporal::new("PulseTrain", []).unwrap();
        let st = SurfaceStimulus::new(&s, &[0, 24], eq, t).unwrap();
        for v in 0..25 {
            let (x, y) = ((v % 5) as f64, (v / 5) as f64);
            let d0 = (x * x + y * y).sqrt();
            let d1 = ((4.0 - x).powi(2) + (4.0 - y).powi(2)).sqrt();
            let want = eq.eval(d0) + eq.eval(d1);
            assert!((st.spatial[v] - want).abs() < 1e-14, "vertex {v}");
        }
        assert_eq!(
            SurfaceStimulus::vertices_of_triangles(&s, &[0, 3]).unwrap(),
            vec![0, 1]
        );
        let e = SurfaceStimulus::vertices_of_triangles(&s, &[32]).unwrap_err();
        assert!(e.to_string().contains("has 32 triangles"), "{e}");
        let t = Temporal::new("PulseTrain", []).unwrap();
        let e = SurfaceStimulus::new(&s, &[25], eq, t.clone()).unwrap_err();
        assert!(e.to_string().contains("focal vertex 25"), "{e}");
        let e = SurfaceStimulus::new(&s, &[], eq, t).unwrap_err();
        assert!(e.to_string().contains("no focal point"), "{e}");
    }
}
