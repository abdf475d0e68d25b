//! A surface simulation, stepped as tvb-library 2.10's `Simulator` steps
//! one with a `Cortex` (`surface=`):
//!
//! * the state is per vertex (`nvar × V`, float64);
//! * the long-range coupling is the region network's: the history holds,
//!   per region `r`, the average of its vertices' coupled variables
//!   (`x̄_r = (Σ_{v: rmap[v]=r} x_v) / n_r`, summed in vertex order from 0
//!   as `numpy.add.at` sums, stored in float32 as tvb-library's history
//!   stores it), and region `r`'s coupling
//!   `c_r = post(Σ_j w_rj·pre(x̄_r, x̄_j(t − d_rj)))` (float32 products and
//!   `add.reduceat` sum over the non-zero weights, float64 `post`, as
//!   [`crate::coupling`] documents) reaches each of its vertices
//!   (`coupling[:, region_mapping]`);
//! * the local coupling is `lc = (cs·L)·V` for the first state variable,
//!   `L` the [`super::LocalConnectivity`] matrix and `cs`
//!   `Cortex.coupling_strength`, recomputed from each stage's state (rows
//!   summed from 0 in ascending column order, as scipy's product sums);
//! * Generic2dOscillator adds `lc` inside its `V` equation, in the order
//!   of tvb-library's numba kernel:
//!   `dV = d·τ·(α·W − f·V²·V + e·V² + g·V + γ·I + γ·c + lc)`,
//!   `dW = d·(a + b·V + c·V² − β·W)/τ`;
//! * Euler `X + dt·dX`, Heun `X̃ = X + dt·f(X)`,
//!   `X + (f(X) + f(X̃))·dt/2` (the coupling held over the step),
//!   clamped to the model's boundaries after each stage.
//!
//! A [`SurfaceStimulus`] (tvb-library's `StimuliSurface`) `u` enters the
//! model's stimulus variables as tvb-library's schemes add it: Euler
//! `X + dt·(f(X) + u)`, Heun `X̃ = X + dt·(f(X) + u)`, `X + dX + dt·u`
//! (`u = 0` for the other variables, added as tvb-library adds its zeros).
//!
//! The initial state is held constant over the initial history (as
//! `initial_conditions` repeated over tvb-library's horizon); the first
//! step is step 1. Deterministic integrators only, Generic2dOscillator
//! only, and the sparse float32 couplings (Linear, Scaling, Difference,
//! Kuramoto): anything else is refused with the reason.

use crate::connectivity::Connectivity;
use crate::coupling::{Coupling, CouplingKind};
use crate::engine::InitialConditions;
use crate::error::ModelError;
use crate::integrator::Scheme;
use crate::models::ModelInfo;
use crate::params::ParamSet;
use crate::tvb_sum::reduceat;

use super::geodesic::SparseRows;
use super::stimulus::SurfaceStimulus;

/// The models a surface simulation steps (the local coupling enters each
/// model's equations at its own place).
pub const SURFACE_MODELS: &[&str] = &["Generic2dOscillator"];

/// Everything a [`SurfaceSim`] needs.
#[derive(Debug, Clone)]
pub struct SurfaceConfig {
    pub model: &'static ModelInfo,
    pub model_params: ParamSet,
    pub coupling: Coupling,
    pub connectivity: Connectivity,
    /// Conduction speed in mm/ms.
    pub speed_mm_per_ms: f64,
    /// Integration step in ms.
    pub dt_ms: f64,
    pub scheme: Scheme,
    /// Region of each vertex.
    pub region_mapping: Vec<usize>,
    /// The local connectivity matrix `L` (`None`: no local coupling).
    pub local: Option<SparseRows>,
    /// `Cortex.coupling_strength`, multiplying `L`.
    pub coupling_strength: f64,
    /// `Golden` (over the vertex index) or `Values` (`nvar × V`).
    pub initial: InitialConditions,
    /// tvb-library's `StimuliSurface` (`None`: no stimulus).
    pub stimulus: Option<SurfaceStimulus>,
}

/// Generic2dOscillator's parameters, read once.
#[derive(Debug, Clone, Copy)]
struct G2d {
    tau: f64,
    i: f64,
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    e: f64,
    f: f64,
    g: f64,
    alpha: f64,
    beta: f64,
    gamma: f64,
}

impl G2d {
    #[inline(always)]
    fn dfun(&self, v: f64, w: f64, c0: f64, lc0: f64) -> (f64, f64) {
        let v2 = v * v;
        let dv = self.d
            * self.tau
            * (self.alpha * w - self.f * v2 * v
                + self.e * v2
                + self.g * v
                + self.gamma * self.i
                + self.gamma * c0
                + lc0);
        let dw = self.d * (self.a + self.b * v + self.c * v2 - self.beta * w) / self.tau;
        (dv, dw)
    }
}

/// A running surface simulation.
#[derive(Debug)]
pub struct SurfaceSim {
    model: &'static ModelInfo,
    g2d: G2d,
    coupling: Coupling,
    cvar: Vec<usize>,
    nvar: usize,
    nv: usize,
    nr: usize,
    dt: f64,
    scheme: Scheme,
    bounds: Vec<(f64, f64)>,
    rmap: Vec<usize>,
    count: Vec<f64>,
    /// weights' rows: (source, w32, delay) per non-zero weight, row-major
    row_start: Vec<usize>,
    edges: Vec<(usize, f32, usize)>,
    /// `cs·L`
    local: Option<SparseRows>,
    horizon: usize,
    /// ring of `horizon` slots of `ncv × R` float32 region averages
    hist: Vec<f32>,
    x: Vec<f64>,
    steps: u64,
    // scratch
    c_region: Vec<f64>,
    prod: Vec<f32>,
    lc: Vec<f64>,
    dx1: Vec<f64>,
    dx2: Vec<f64>,
    inter: Vec<f64>,
    sums: Vec<f64>,
    /// the stimulus, the model's stimulus variables, and this step's `u`
    stimulus: Option<SurfaceStimulus>,
    stvar: Vec<usize>,
    u: Vec<f64>,
}

fn cfg_err(cause: String) -> ModelError {
    ModelError::Config(format!("surface simulation: {cause}"))
}

impl SurfaceSim {
    pub fn new(cfg: SurfaceConfig) -> Result<Self, ModelError> {
        let m = cfg.model;
        if !SURFACE_MODELS.contains(&m.name) {
            return Err(cfg_err(format!(
                "model {} is not available on a surface (available: {}); the local coupling enters each model's equations at a place of its own",
                m.name,
                SURFACE_MODELS.join(", ")
            )));
        }
        if cfg.model_params.n_regions().is_some() {
            return Err(cfg_err(
                "per-region model parameters are not supported on a surface (one value per parameter)".into(),
            ));
        }
        if !matches!(
            cfg.coupling.kind,
            CouplingKind::Linear
                | CouplingKind::Scaling
                | CouplingKind::Difference
                | CouplingKind::Kuramoto
        ) {
            return Err(cfg_err(format!(
                "coupling {} is not available on a surface (available: Linear, Scaling, Difference, Kuramoto)",
                cfg.coupling.info.name
            )));
        }
        if cfg.scheme == Scheme::Rk4 {
            return Err(cfg_err(
                "RungeKutta4thOrderDeterministic is not available on a surface (HeunDeterministic, EulerDeterministic)".into(),
            ));
        }
        if !(cfg.dt_ms.is_finite() && cfg.dt_ms > 0.0) {
            return Err(cfg_err(format!(
                "dt = {} ms: a positive step is expected",
                cfg.dt_ms
            )));
        }
        let conn = &cfg.connectivity;
        let nr = conn.n;
        let nv = cfg.region_mapping.len();
        let mut count = vec![0.0f64; nr];
        for (v, &r) in cfg.region_mapping.iter().enumerate() {
            if r >= nr {
                return Err(cfg_err(format!(
                    "the region mapping gives vertex {v} region {r}; the connectome ({}) has {nr} regions",
                    conn.source
                )));
            }
            count[r] += 1.0;
        }
        if let Some(r) = count.iter().position(|&c| c == 0.0) {
            return Err(cfg_err(format!(
                "region {r} (`{}`) has no vertex in the region mapping; every region of the connectome must have vertices (non-cortical regions as their own nodes are not supported)",
                conn.labels.get(r).map(String::as_str).unwrap_or("?")
            )));
        }
        if let Some(l) = &cfg.local {
            if l.n != nv {
                return Err(cfg_err(format!(
                    "the local connectivity is {0}×{0}; the region mapping has {nv} vertices",
                    l.n
                )));
            }
        }
        if !cfg.coupling_strength.is_finite() {
            return Err(cfg_err(format!(
                "local coupling strength {}: a finite number is expected",
                cfg.coupling_strength
            )));
        }
        let p = &cfg.model_params;
        let g2d = G2d {
            tau: p.get("tau"),
            i: p.get("I"),
            a: p.get("a"),
            b: p.get("b"),
            c: p.get("c"),
            d: p.get("d"),
            e: p.get("e"),
            f: p.get("f"),
            g: p.get("g"),
            alpha: p.get("alpha"),
            beta: p.get("beta"),
            gamma: p.get("gamma"),
        };
        let delays = conn.delays_steps(cfg.speed_mm_per_ms, cfg.dt_ms)?;
        // tvb-library's horizon counts every entry, zero weights included
        let horizon = delays.iter().copied().max().unwrap_or(0) + 1;
        let mut row_start = vec![0];
        let mut edges = Vec::new();
        for i in 0..nr {
            for j in 0..nr {
                let w = conn.weights[i * nr + j];
                if w != 0.0 {
                    edges.push((j, w as f32, delays[i * nr + j]));
                }
            }
            row_start.push(edges.len());
        }
        let nvar = m.nvar();
        let x = match &cfg.initial {
            InitialConditions::Golden => {
                let phi = 0.6180339887498949_f64;
                let mut v = Vec::with_capacity(nvar * nv);
                for (k, (lo, hi)) in m.range.iter().enumerate() {
                    for i in 0..nv {
                        let frac = (i as f64 * phi + k as f64 * 0.1).rem_euclid(1.0);
                        v.push(lo + (hi - lo) * (0.25 + 0.5 * frac));
                    }
                }
                v
            }
            InitialConditions::Values(v) => {
                if v.len() != nvar * nv {
                    return Err(cfg_err(format!(
                        "initial conditions have {} values; {} needs {nvar} state variables × {nv} vertices",
                        v.len(),
                        m.name
                    )));
                }
                v.clone()
            }
            InitialConditions::Uniform { .. } => {
                return Err(cfg_err(
                    "random initial conditions are not available on a surface (golden or explicit values)".into(),
                ))
            }
        };
        let local = cfg.local.map(|mut l| {
            for v in &mut l.val {
                *v *= cfg.coupling_strength;
            }
            l
        });
        if let Some(st) = &cfg.stimulus {
            if m.stimulus.is_empty() {
                return Err(cfg_err(format!(
                    "{} has no stimulus variable (tvb-library's stvar)",
                    m.name
                )));
            }
            if st.spatial.len() != nv {
                return Err(cfg_err(format!(
                    "the stimulus has a pattern of {} vertices; the region mapping has {nv}",
                    st.spatial.len()
                )));
            }
        }
        let ncv = m.cvar.len();
        let mut sim = Self {
            model: m,
            g2d,
            coupling: cfg.coupling,
            cvar: m.cvar.to_vec(),
            nvar,
            nv,
            nr,
            dt: cfg.dt_ms,
            scheme: cfg.scheme,
            bounds: m.bounds.to_vec(),
            rmap: cfg.region_mapping,
            count,
            row_start,
            edges,
            local,
            horizon,
            hist: vec![0.0; horizon * ncv * nr],
            x,
            steps: 0,
            c_region: vec![0.0; nr * ncv],
            prod: Vec::with_capacity(nr),
            lc: vec![0.0; nv],
            dx1: vec![0.0; nvar * nv],
            dx2: vec![0.0; nvar * nv],
            inter: vec![0.0; nvar * nv],
            sums: vec![0.0; nr],
            u: vec![0.0; if cfg.stimulus.is_some() { nvar * nv } else { 0 }],
            stimulus: cfg.stimulus,
            stvar: m.stimulus.to_vec(),
        };
        sim.clamp_state();
        // the constant initial history: every slot holds the initial averages
        for slot in 0..horizon {
            sim.store_history(slot);
        }
        Ok(sim)
    }

    pub fn n_vertices(&self) -> usize {
        self.nv
    }
    pub fn n_regions(&self) -> usize {
        self.nr
    }
    pub fn n_vars(&self) -> usize {
        self.nvar
    }
    pub fn steps_done(&self) -> u64 {
        self.steps
    }
    pub fn dt_ms(&self) -> f64 {
        self.dt
    }
    pub fn horizon(&self) -> usize {
        self.horizon
    }
    /// The state, `nvar × V`.
    pub fn state(&self) -> &[f64] {
        &self.x
    }
    pub fn region_mapping(&self) -> &[usize] {
        &self.rmap
    }

    fn clamp_state(&mut self) {
        clamp(&self.bounds, self.nv, &mut self.x);
    }

    /// Region averages of variable `k` of `x` (`nvar × V`) into `out` (R):
    /// tvb-library's `surface_state_to_rois`.
    pub fn region_average(&self, x: &[f64], k: usize, out: &mut [f64]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for (v, &r) in self.rmap.iter().enumerate() {
            out[r] += x[k * self.nv + v];
        }
        for (o, &c) in out.iter_mut().zip(&self.count) {
            *o /= c;
        }
    }

    fn store_history(&mut self, slot: usize) {
        let (nr, ncv) = (self.nr, self.cvar.len());
        let mut sums = std::mem::take(&mut self.sums);
        for (ci, &k) in self.cvar.clone().iter().enumerate() {
            self.region_average(&self.x, k, &mut sums);
            let base = (slot * ncv + ci) * nr;
            for (h, &s) in self.hist[base..base + nr].iter_mut().zip(&sums) {
                *h = s as f32;
            }
        }
        self.sums = sums;
    }

    /// Each region's coupling for step `k` (from 1).
    fn region_coupling(&mut self, k: u64) {
        let (nr, ncv, h) = (self.nr, self.cvar.len(), self.horizon as u64);
        let cur = ((k - 1) % h) as usize;
        for ci in 0..ncv {
            for i in 0..nr {
                let xi = self.hist[(cur * ncv + ci) * nr + i];
                self.prod.clear();
                for &(j, w, d) in &self.edges[self.row_start[i]..self.row_start[i + 1]] {
                    let slot = ((k + h - 1 - d as u64) % h) as usize;
                    let xj = self.hist[(slot * ncv + ci) * nr + j];
                    self.prod.push(w * self.coupling.pre32(xi, xj));
                }
                let gx = reduceat(&self.prod);
                self.c_region[i * ncv + ci] = self.coupling.post(gx as f64, ncv);
            }
        }
    }

    /// Advances `nsteps` steps; after each, `each(step_index, state)` sees
    /// the new state (`nvar × V`).
    pub fn run(
        &mut self,
        nsteps: usize,
        each: impl FnMut(usize, &[f64]),
    ) -> Result<(), ModelError> {
        self.run_driven(nsteps, None, each)
    }

    /// [`SurfaceSim::run`] with a stimulus given from outside: `drive` holds
    /// `nsteps × V` values, `u_v` of each step, entering the model's
    /// stimulus variables exactly where the built-in [`SurfaceStimulus`]
    /// enters (so a region stimulus spread to the vertices,
    /// `u_v = weight_{rmap[v]}·T(t)`, is tvb-library's `StimuliRegion` on a
    /// surface). Refused when the simulation has its own stimulus or the
    /// model has no stimulus variable, or for a wrong length.
    pub fn run_driven(
        &mut self,
        nsteps: usize,
        drive: Option<&[f64]>,
        mut each: impl FnMut(usize, &[f64]),
    ) -> Result<(), ModelError> {
        let (nv, dt) = (self.nv, self.dt);
        let n = self.nvar * nv;
        if let Some(d) = drive {
            if self.stimulus.is_some() {
                return Err(cfg_err(
                    "a stimulus from outside and the surface's own stimulus at once: give one"
                        .into(),
                ));
            }
            if self.stvar.is_empty() {
                return Err(cfg_err(format!(
                    "{} has no stimulus variable (tvb-library's stvar)",
                    self.model.name
                )));
            }
            if d.len() != nsteps * nv {
                return Err(cfg_err(format!(
                    "the stimulus from outside holds {} values for {nsteps} steps of {nv} vertices",
                    d.len()
                )));
            }
            if self.u.len() != n {
                self.u = vec![0.0; n];
            }
        }
        for s in 0..nsteps {
            let k = self.steps + 1;
            self.region_coupling(k);
            // u_v = S_v·T((k − 1)·dt), tvb-library's stimulus(stim_step)
            if let Some(st) = &self.stimulus {
                let tv = st.temporal.eval((k - 1) as f64 * dt);
                for &sv in &self.stvar {
                    for (u, &sp) in self.u[sv * nv..(sv + 1) * nv].iter_mut().zip(&st.spatial) {
                        *u = sp * tv;
                    }
                }
            }
            if let Some(d) = drive {
                for &sv in &self.stvar {
                    self.u[sv * nv..(sv + 1) * nv].copy_from_slice(&d[s * nv..(s + 1) * nv]);
                }
            }
            let stim = self.stimulus.is_some() || drive.is_some();
            let ncv = self.cvar.len();
            let ev = |x: &[f64],
                      lc: &mut [f64],
                      dx: &mut [f64],
                      sim_local: Option<&SparseRows>,
                      c: &[f64],
                      rmap: &[usize],
                      g: &G2d| {
                match sim_local {
                    Some(l) => l.matvec(&x[..nv], lc),
                    None => lc.iter_mut().for_each(|v| *v = 0.0),
                }
                let (dv, dw) = dx.split_at_mut(nv);
                for v in 0..nv {
                    let (a, b) = g.dfun(x[v], x[nv + v], c[rmap[v] * ncv], lc[v]);
                    dv[v] = a;
                    dw[v] = b;
                }
            };
            ev(
                &self.x,
                &mut self.lc,
                &mut self.dx1,
                self.local.as_ref(),
                &self.c_region,
                &self.rmap,
                &self.g2d,
            );
            match self.scheme {
                Scheme::Euler if stim => {
                    // x + dt·(f(x) + u), u = 0 off the stimulus variables
                    for i in 0..n {
                        self.x[i] += dt * (self.dx1[i] + self.u[i]);
                    }
                }
                Scheme::Euler => {
                    for (x, d) in self.x.iter_mut().zip(&self.dx1) {
                        *x += dt * d;
                    }
                }
                Scheme::Heun | Scheme::Rk4 => {
                    // X̃ = X + dt·(f(X) + u), then X + (f(X) + f(X̃))·dt/2 + dt·u
                    if stim {
                        for i in 0..n {
                            self.inter[i] = self.x[i] + dt * (self.dx1[i] + self.u[i]);
                        }
                    } else {
                        for i in 0..n {
                            self.inter[i] = self.x[i] + dt * self.dx1[i];
                        }
                    }
                    clamp(&self.bounds, nv, &mut self.inter);
                    ev(
                        &self.inter,
                        &mut self.lc,
                        &mut self.dx2,
                        self.local.as_ref(),
                        &self.c_region,
                        &self.rmap,
                        &self.g2d,
                    );
                    for i in 0..n {
                        self.x[i] += (self.dx1[i] + self.dx2[i]) * dt / 2.0;
                    }
                    if stim {
                        for i in 0..n {
                            self.x[i] += dt * self.u[i];
                        }
                    }
                }
            }
            self.clamp_state();
            self.steps = k;
            if let Some(v) = self.x.iter().position(|v| !v.is_finite()) {
                let r = self.rmap[v % nv];
                return Err(ModelError::Diverged {
                    step: k,
                    time_ms: k as f64 * dt,
                    region: r,
                    label: format!("vertex {}", v % nv),
                    variable: self.model.state_variables[v / nv],
                    value: self.x[v],
                });
            }
            self.store_history((k % self.horizon as u64) as usize);
            each(s, &self.x);
        }
        Ok(())
    }
}

fn clamp(bounds: &[(f64, f64)], nv: usize, x: &mut [f64]) {
    for (k, &(lo, hi)) in bounds.iter().enumerate() {
        if lo.is_finite() || hi.is_finite() {
            for v in &mut x[k * nv..(k + 1) * nv] {
                *v = v.clamp(lo, hi);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafile::Matrix;
    use crate::stimulus::Temporal;
    use crate::surface::{LocalConnectivity, SpatialEquation, Surface};

    /// A 6 × 6 grid of two regions (left and right half), locally coupled.
    fn grid_config(stimulus: Option<SurfaceStimulus>) -> SurfaceConfig {
        let s = Surface::flat_grid(6);
        let eq = SpatialEquation::Gaussian {
            amp: 1.0,
            sigma: 1.0,
            midpoint: 0.0,
            offset: 0.0,
        };
        let local = LocalConnectivity::compute(&s, eq, 2.5, 1).unwrap().matrix;
        let m = |data: Vec<f64>| Matrix {
            rows: 2,
            cols: 2,
            data,
        };
        let connectivity = Connectivity::from_parts(
            m(vec![0.0, 1.0, 0.5, 0.0]),
            m(vec![0.0, 3.0, 3.0, 0.0]),
            None,
            None,
            "two",
        )
        .unwrap();
        let info = crate::model_info("Generic2dOscillator").unwrap();
        SurfaceConfig {
            model: info,
            model_params: ParamSet::from_overrides(info.name, info.params, [("a", 2.0)]).unwrap(),
            coupling: Coupling::new("Linear", [("a", 0.1)]).unwrap(),
            connectivity,
            speed_mm_per_ms: 3.0,
            dt_ms: 0.1,
            scheme: Scheme::Heun,
            region_mapping: (0..36).map(|v| usize::from(v % 6 >= 3)).collect(),
            local: Some(local),
            coupling_strength: 0.05,
            initial: InitialConditions::Golden,
            stimulus,
        }
    }

    /// A stimulus given from outside, `u_v = S_v·T((k − 1)·dt)` per step, is
    /// the built-in `StimuliSurface` to the bit (both Heun and Euler); the
    /// stimulus moves the state; the refusals name their cause.
    #[test]
    fn a_driven_stimulus_is_the_built_in_one() {
        let grid = Surface::flat_grid(6);
        let eq = SpatialEquation::Gaussian {
            amp: 1.0,
            sigma: 1.5,
            midpoint: 0.0,
            offset: 0.0,
        };
        let temporal = Temporal::new(
            "PulseTrain",
            [("T", 2.0), ("tau", 0.5), ("amp", 0.8), ("onset", 0.3)],
        )
        .unwrap();
        let st = SurfaceStimulus::new(&grid, &[0, 20], eq, temporal.clone()).unwrap();
        for scheme in [Scheme::Heun, Scheme::Euler] {
            let mut with = grid_config(Some(st.clone()));
            with.scheme = scheme;
            let mut without = grid_config(None);
            without.scheme = scheme;
            let (steps, nv) = (60, 36);
            let mut a = Vec::new();
            let mut built_in = SurfaceSim::new(with).unwrap();
            // two windows, as an actor steps it
            for _ in 0..2 {
                built_in
                    .run(steps / 2, |_, x| a.extend_from_slice(x))
                    .unwrap();
            }
            let mut b = Vec::new();
            let mut driven = SurfaceSim::new(without.clone()).unwrap();
            for w in 0..2 {
                let mut drive = Vec::with_capacity(steps / 2 * nv);
                for s in 0..steps / 2 {
                    let t = temporal.eval((w * steps / 2 + s) as f64 * 0.1);
                    drive.extend(st.spatial.iter().map(|sp| sp * t));
                }
                driven
                    .run_driven(steps / 2, Some(&drive), |_, x| b.extend_from_slice(x))
                    .unwrap();
            }
            assert!(a == b, "{scheme:?}: driven and built-in stimulus differ");
            let mut c = Vec::new();
            SurfaceSim::new(without)
                .unwrap()
                .run(steps, |_, x| c.extend_from_slice(x))
                .unwrap();
            assert!(a != c, "{scheme:?}: the stimulus changed nothing");
        }
        let e = SurfaceSim::new(grid_config(Some(st)))
            .unwrap()
            .run_driven(1, Some(&[0.0; 36]), |_, _| {})
            .unwrap_err();
        assert!(e.to_string().contains("own stimulus at once"), "{e}");
        let e = SurfaceSim::new(grid_config(None))
            .unwrap()
            .run_driven(2, Some(&[0.0; 36]), |_, _| {})
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("36 values for 2 steps of 36 vertices"),
            "{e}"
        );
    }
}
