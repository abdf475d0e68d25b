//! The mean-field network engine: one whole-brain model stepped exactly as
//! tvb-library 2.10's `Simulator` with a `Raw` monitor.
//!
//! For step `n → n+1` (state `x[n]`, `dt` in ms):
//! 1. coupling `c[n]_i = post(Σ_j w_ij·pre(x_i[n], x_j[n − d_ij]))` over the
//!    coupled variables, from a float32 history with constant initial history
//!    (`x[k] = x[0]` for `k < 0`);
//! 2. one integrator step with `c[n]` held for all stages, clamping every
//!    stage to the model's boundaries;
//! 3. the coupled variables of `x[n+1]` enter the history.
//!
//! The history is one ring of `2H` float32 values per coupled variable and
//! region (`H` = largest delay + 1), each value written twice (at `t mod H`
//! and `t mod H + H`), so that every delayed read is a single load at a
//! per-edge precomputed offset plus the current ring position, without a
//! modulo. Edges are stored in compressed sparse rows in ascending source
//! index, the order tvb-library sums in.

use crate::connectivity::Connectivity;
use crate::coupling::{Coupling, CouplingKind};
use crate::error::ModelError;
use crate::integrator::Scheme;
use crate::models::{Dfun, ModelInfo};
use crate::noise::{NoiseConfig, NoiseKind, NumpyRandomState};
use crate::params::ParamSet;
use crate::tvb_sum::{reduceat, Lanes8};

/// Initial conditions; the history before t = 0 is constant and equal to them.
#[derive(Debug, Clone, PartialEq)]
pub enum InitialConditions {
    /// The deterministic initial state of `shared/peers/tvb_ref.py`:
    /// `x_k,i = lo_k + (hi_k − lo_k)·(0.25 + 0.5·frac(i·φ + 0.1·k))` with
    /// `φ = 0.6180339887498949` and `[lo, hi]` the state-variable range.
    Golden,
    /// Uniform in each state variable's range, from a seed.
    Uniform { seed: u64 },
    /// Explicit values, `nvar × N`, state-variable major.
    Values(Vec<f64>),
}

/// Everything needed to build a [`MeanFieldSim`].
#[derive(Debug, Clone)]
pub struct MeanFieldConfig {
    pub model: &'static ModelInfo,
    pub model_params: ParamSet,
    pub coupling: Coupling,
    pub connectivity: Connectivity,
    /// Conduction speed in mm/ms.
    pub speed_mm_per_ms: f64,
    /// Integration step in ms.
    pub dt_ms: f64,
    pub scheme: Scheme,
    /// `Some` for a stochastic integrator.
    pub noise: Option<NoiseConfig>,
    pub initial: InitialConditions,
}

trait Stepper: Send {
    fn run(&mut self, nsteps: usize, out: &mut [f64]) -> Result<(), ModelError>;
    fn steps_done(&self) -> u64;
    fn state(&self) -> Vec<f64>;
}

/// A running mean-field network simulation.
pub struct MeanFieldSim {
    inner: Box<dyn Stepper>,
    model: &'static ModelInfo,
    n: usize,
    dt: f64,
    horizon: usize,
    nnz: usize,
}

impl std::fmt::Debug for MeanFieldSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeanFieldSim")
            .field("model", &self.model.name)
            .field("n", &self.n)
            .field("horizon", &self.horizon)
            .finish()
    }
}

impl MeanFieldSim {
    /// Validates the configuration and builds the engine.
    pub fn new(cfg: MeanFieldConfig) -> Result<Self, ModelError> {
        let model = cfg.model;
        let n = cfg.connectivity.n;
        let dt = cfg.dt_ms;
        let x0 = initial_state(&cfg)?;
        let delays = cfg.connectivity.delays_steps(cfg.speed_mm_per_ms, dt)?;
        if let Some(nz) = &cfg.noise {
            if nz.nsig.len() != 1 && nz.nsig.len() != model.nvar() {
                return Err(ModelError::Config(format!(
                    "noise nsig has {} values; give 1 or one per state variable ({})",
                    nz.nsig.len(),
                    model.state_variables.join(", ")
                )));
            }
            if let Some(v) = nz.nsig.iter().find(|v| !v.is_finite() || **v < 0.0) {
                return Err(ModelError::Config(format!(
                    "noise nsig must be finite and ≥ 0, got {v}"
                )));
            }
        }
        if cfg.coupling.kind == CouplingKind::SigmoidalJansenRit && model.cvar.len() != 2 {
            return Err(ModelError::Config(format!(
                "SigmoidalJansenRit needs a model with two coupled variables (JansenRit); {} has {}",
                model.name,
                model.cvar.len()
            )));
        }
        let structure = Structure::new(
            &cfg.connectivity,
            &delays,
            model.cvar.len(),
            cfg.coupling.kind == CouplingKind::Sigmoidal,
        );
        // tvb-library's horizon counts every entry, zero weights included;
        // the ring buffer only needs the delays of non-zero weights.
        let horizon = delays.iter().copied().max().unwrap_or(0) + 1;
        let nnz = structure.col.len();
        let inner: Box<dyn Stepper> = crate::with_model!(model, &cfg.model_params, |m| {
            Box::new(Engine::new(m, &cfg, structure, x0)) as Box<dyn Stepper>
        });
        Ok(Self {
            inner,
            model,
            n,
            dt,
            horizon,
            nnz,
        })
    }

    /// Advances `nsteps` steps and writes every new state into `out`, laid
    /// out `nsteps × nvar × N` (row-major): sample `k` is the state after
    /// `steps_done() + k + 1` steps, TVB's Raw monitor's sample. On a NaN or
    /// infinite state it stops with [`ModelError::Diverged`]; the samples of
    /// the steps before it are in `out`.
    pub fn run(&mut self, nsteps: usize, out: &mut [f64]) -> Result<(), ModelError> {
        assert_eq!(
            out.len(),
            nsteps * self.model.nvar() * self.n,
            "output buffer size"
        );
        self.inner.run(nsteps, out)
    }

    /// Steps taken so far.
    pub fn steps_done(&self) -> u64 {
        self.inner.steps_done()
    }
    /// Current state, `nvar × N`.
    pub fn state(&self) -> Vec<f64> {
        self.inner.state()
    }
    /// The model.
    pub fn model(&self) -> &'static ModelInfo {
        self.model
    }
    /// Number of regions.
    pub fn n_regions(&self) -> usize {
        self.n
    }
    /// Integration step in ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt
    }
    /// tvb-library's history length in steps (largest delay + 1, over
    /// every pair of regions). tvb-library numbers its first step `horizon`,
    /// so monitors with `offset_steps = horizon − 1` sample in its phase.
    pub fn horizon(&self) -> usize {
        self.horizon
    }
    /// Number of non-zero weights.
    pub fn nnz(&self) -> usize {
        self.nnz
    }
}

fn initial_state(cfg: &MeanFieldConfig) -> Result<Vec<f64>, ModelError> {
    let m = cfg.model;
    let n = cfg.connectivity.n;
    let nv = m.nvar();
    let x0 = match &cfg.initial {
        InitialConditions::Golden => {
            let phi = 0.6180339887498949_f64;
            let mut v = Vec::with_capacity(nv * n);
            for (k, (lo, hi)) in m.range.iter().enumerate() {
                for i in 0..n {
                    let frac = (i as f64 * phi + k as f64 * 0.1).rem_euclid(1.0);
                    v.push(lo + (hi - lo) * (0.25 + 0.5 * frac));
                }
            }
            v
        }
        InitialConditions::Uniform { seed } => {
            use rand::{Rng, SeedableRng};
            let mut rng = rand::rngs::StdRng::seed_from_u64(*seed);
            let mut v = Vec::with_capacity(nv * n);
            for (lo, hi) in m.range {
                for _ in 0..n {
                    v.push(rng.gen_range(*lo..*hi));
                }
            }
            v
        }
        InitialConditions::Values(v) => {
            if v.len() != nv * n {
                return Err(ModelError::Config(format!(
                    "initial conditions have {} values, {} needs {nv} state variables × {n} regions = {}",
                    v.len(),
                    m.name,
                    nv * n
                )));
            }
            if let Some(k) = v.iter().position(|x| !x.is_finite()) {
                return Err(ModelError::Config(format!(
                    "initial condition of `{}` at region {} is {}",
                    m.state_variables[k / n],
                    k % n,
                    v[k]
                )));
            }
            v.clone()
        }
    };
    // TVB bounds the initial history too.
    let mut x0 = x0;
    for (k, (lo, hi)) in m.bounds.iter().enumerate() {
        for v in &mut x0[k * n..(k + 1) * n] {
            *v = v.clamp(*lo, *hi);
        }
    }
    Ok(x0)
}

/// Sparse structure of the delayed coupling.
struct Structure {
    n: usize,
    ncv: usize,
    h: usize,
    row_start: Vec<usize>,
    col: Vec<u32>,
    w32: Vec<f32>,
    /// Offset of each edge's delayed value inside one coupled variable's
    /// history block, relative to the ring position: `j·2H + H − d_ij`.
    off: Vec<u32>,
    /// `N×N` edge index (u32::MAX where the weight is zero), for the dense
    /// couplings only; empty otherwise.
    dense_edge: Vec<u32>,
    /// Edges whose delay is shorter than a batch (recomputed every step).
    near: Vec<u32>,
    /// The others (gathered once per batch).
    far: Vec<u32>,
    /// Whether a row has a short-delay edge.
    row_near: Vec<bool>,
    /// For each far edge, whether its row has a short-delay edge.
    far_in_near_row: Vec<bool>,
}

/// Steps whose coupling products are gathered at once.
const BATCH: usize = 8;

impl Structure {
    fn new(c: &Connectivity, delays: &[usize], ncv: usize, dense: bool) -> Self {
        let n = c.n;
        let h = delays
            .iter()
            .zip(&c.weights)
            .filter(|(_, w)| **w != 0.0)
            .map(|(d, _)| *d)
            .max()
            .unwrap_or(0)
            + 1;
        let mut row_start = vec![0usize; n + 1];
        let (mut col, mut w32, mut off) = (vec![], vec![], vec![]);
        let mut dense_edge = if dense { vec![u32::MAX; n * n] } else { vec![] };
        let (mut near, mut far) = (vec![], vec![]);
        for i in 0..n {
            for j in 0..n {
                let w = c.weights[i * n + j];
                if w != 0.0 {
                    if dense {
                        dense_edge[i * n + j] = col.len() as u32;
                    }
                    if delays[i * n + j] + 1 < BATCH {
                        near.push(col.len() as u32);
                    } else {
                        far.push(col.len() as u32);
                    }
                    col.push(j as u32);
                    w32.push(w as f32);
                    off.push((j * 2 * h + h - delays[i * n + j]) as u32);
                }
            }
            row_start[i + 1] = col.len();
        }
        let row_near: Vec<bool> = (0..n)
            .map(|i| {
                near.iter()
                    .any(|&e| (row_start[i]..row_start[i + 1]).contains(&(e as usize)))
            })
            .collect();
        let far_in_near_row = far
            .iter()
            .map(|&e| {
                let i = row_start.partition_point(|&r| r <= e as usize) - 1;
                row_near[i]
            })
            .collect();
        Self {
            n,
            ncv,
            h,
            row_start,
            col,
            w32,
            off,
            dense_edge,
            row_near,
            far_in_near_row,
            near,
            far,
        }
    }
}

struct NoiseState {
    rng: NumpyRandomState,
    kind: NoiseKind,
    /// sqrt(2·nsig) per state variable
    g: Vec<f64>,
    sqrt_dt: f64,
    /// var-major scratch (nvar × N), as numpy's `normal(size=X.shape)`
    z: Vec<f64>,
}

struct Engine<M: Dfun> {
    m: M,
    info: &'static ModelInfo,
    coupling: Coupling,
    s: Structure,
    nv: usize,
    nt: usize,
    dt: f64,
    cvar: Vec<usize>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    bounded: bool,
    hist: Vec<f32>,
    /// node-major state: x[i·nv + k]
    x: Vec<f64>,
    tmp: Vec<f64>,
    k: [Vec<f64>; 4],
    c: Vec<f64>,
    /// node-major noise increments (η) of the current step
    eta: Vec<f64>,
    noise: Option<NoiseState>,
    /// products of one row, summed in numpy's order
    prod32: Vec<f32>,
    /// `ncv × nnz` products of the current batch, one lane per step
    /// (Linear, Scaling)
    batch: Vec<Lanes8>,
    /// `ncv × N` row sums of the current batch (rows without short delays)
    batch_sums: Vec<Lanes8>,
    /// `ncv × BATCH × nnz` products, step-major, of rows with a short delay
    batch_steps: Vec<f32>,
    /// position in the current batch
    batch_k: usize,
    prod64: Vec<f64>,
    scheme: Scheme,
    step: u64,
    labels: Vec<String>,
}

impl<M: Dfun> Engine<M> {
    fn new(m: M, cfg: &MeanFieldConfig, s: Structure, x0: Vec<f64>) -> Self {
        let info = cfg.model;
        let nv = info.nvar();
        let n = s.n;
        let nt = cfg.coupling.n_terms(info.cvar.len());
        let mut x = vec![0.0; n * nv];
        for k in 0..nv {
            for i in 0..n {
                x[i * nv + k] = x0[k * n + i];
            }
        }
        let h = s.h;
        let mut hist = vec![0f32; s.ncv * n * 2 * h];
        for (ci, &cv) in info.cvar.iter().enumerate() {
            for i in 0..n {
                let v = x[i * nv + cv] as f32;
                let base = (ci * n + i) * 2 * h;
                hist[base..base + 2 * h].fill(v);
            }
        }
        let noise = cfg.noise.as_ref().map(|nz| NoiseState {
            rng: NumpyRandomState::new(nz.seed),
            kind: nz.kind.clone(),
            g: (0..nv)
                .map(|k| (2.0 * nz.nsig[if nz.nsig.len() == 1 { 0 } else { k }]).sqrt())
                .collect(),
            sqrt_dt: cfg.dt_ms.sqrt(),
            z: vec![0.0; nv * n],
        });
        Self {
            m,
            info,
            coupling: cfg.coupling.clone(),
            nv,
            nt,
            dt: cfg.dt_ms,
            cvar: info.cvar.to_vec(),
            lo: info.bounds.iter().map(|b| b.0).collect(),
            hi: info.bounds.iter().map(|b| b.1).collect(),
            bounded: info.has_bounds(),
            hist,
            tmp: vec![0.0; n * nv],
            k: std::array::from_fn(|_| vec![0.0; n * nv]),
            c: vec![0.0; n * nt],
            eta: vec![0.0; n * nv],
            x,
            noise,
            prod32: vec![
                0.0;
                s.n.max(
                    s.row_start
                        .windows(2)
                        .map(|r| r[1] - r[0])
                        .max()
                        .unwrap_or(0)
                )
            ],
            prod64: Vec::with_capacity(s.n),
            batch: if matches!(
                cfg.coupling.kind,
                CouplingKind::Linear | CouplingKind::Scaling
            ) {
                vec![Lanes8::default(); s.ncv * s.col.len()]
            } else {
                vec![]
            },
            batch_sums: vec![Lanes8::default(); s.ncv * s.n],
            batch_steps: if matches!(
                cfg.coupling.kind,
                CouplingKind::Linear | CouplingKind::Scaling
            ) && s.row_near.iter().any(|b| *b)
            {
                vec![0.0; s.ncv * BATCH * s.col.len()]
            } else {
                vec![]
            },
            batch_k: 0,
            scheme: cfg.scheme,
            step: 0,
            labels: cfg.connectivity.labels.clone(),
            s,
        }
    }

    /// Coupling `c[n]` from the history at ring position `w = n mod H`.
    fn compute_coupling(&mut self) {
        let s = &self.s;
        let n = s.n;
        let h2 = 2 * s.h;
        let w = (self.step % s.h as u64) as usize;
        let ncv = s.ncv;
        let nt = self.nt;
        let cp = &self.coupling;
        let hist = &self.hist[..];
        match cp.kind {
            CouplingKind::SigmoidalJansenRit => {
                let blk = n * h2;
                let buf = &mut self.prod64;
                for i in 0..n {
                    let (a, b) = (s.row_start[i], s.row_start[i + 1]);
                    buf.clear();
                    buf.extend(s.w32[a..b].iter().zip(&s.off[a..b]).map(|(wt, off)| {
                        let idx = *off as usize + w;
                        *wt as f64 * cp.pre_sjr(hist[idx], hist[blk + idx])
                    }));
                    self.c[i * nt] = cp.post(reduceat(buf), ncv);
                }
            }
            CouplingKind::Sigmoidal => {
                // tvb-library's dense `Coupling.__call__`: `(g_ij * x_j).sum(axis=2)`
                // over all N sources (zero weights included, which changes
                // numpy's pairwise grouping), in float32.
                let dense = &s.dense_edge;
                let buf = &mut self.prod32;
                for ci in 0..ncv {
                    let blk = &hist[ci * n * h2..(ci + 1) * n * h2];
                    for i in 0..n {
                        buf.clear();
                        buf.extend(dense[i * n..(i + 1) * n].iter().map(|&e| match e {
                            u32::MAX => 0.0f32,
                            e => s.w32[e as usize] * blk[s.off[e as usize] as usize + w],
                        }));
                        self.c[i * nt + ci] = cp.post(reduceat(buf) as f64, ncv);
                    }
                }
            }
            CouplingKind::Linear | CouplingKind::Scaling => {
                // Eight steps at once. At the first step of a batch every edge
                // whose delay reaches past the batch reads its eight history
                // values (contiguous: one cache line) into eight lanes, and
                // the rows without shorter delays are summed in all lanes at
                // once; rows with a short-delay edge are summed step by step
                // once that edge's value exists. Lane k performs exactly the
                // float32 additions of step k alone, in numpy's order.
                let nnz = s.col.len();
                let k = self.batch_k;
                if k == 0 {
                    for ci in 0..ncv {
                        let blk = &hist[ci * n * h2..(ci + 1) * n * h2];
                        let lanes = &mut self.batch[ci * nnz..(ci + 1) * nnz];
                        let steps: &mut [f32] = if self.batch_steps.is_empty() {
                            &mut []
                        } else {
                            &mut self.batch_steps[ci * BATCH * nnz..(ci + 1) * BATCH * nnz]
                        };
                        for (&e, &to_steps) in s.far.iter().zip(&s.far_in_near_row) {
                            let e = e as usize;
                            let o = s.off[e] as usize + w;
                            let wt = s.w32[e];
                            let mut v = [0f32; BATCH];
                            for (x, h) in v.iter_mut().zip(&blk[o..o + BATCH]) {
                                *x = wt * h;
                            }
                            if to_steps {
                                for (kk, x) in v.iter().enumerate() {
                                    steps[kk * nnz + e] = *x;
                                }
                            } else {
                                lanes[e] = Lanes8(v);
                            }
                        }
                        for i in 0..n {
                            if !s.row_near[i] {
                                let row = &lanes[s.row_start[i]..s.row_start[i + 1]];
                                self.batch_sums[ci * n + i] = reduceat(row);
                            }
                        }
                    }
                }
                for ci in 0..ncv {
                    let blk = &hist[ci * n * h2..(ci + 1) * n * h2];
                    let steps: &mut [f32] = if self.batch_steps.is_empty() {
                        &mut []
                    } else {
                        &mut self.batch_steps[(ci * BATCH + k) * nnz..(ci * BATCH + k + 1) * nnz]
                    };
                    for &e in &s.near {
                        let e = e as usize;
                        steps[e] = s.w32[e] * blk[s.off[e] as usize + w];
                    }
                    for i in 0..n {
                        let gx = if s.row_near[i] {
                            reduceat(&steps[s.row_start[i]..s.row_start[i + 1]])
                        } else {
                            self.batch_sums[ci * n + i].0[k]
                        };
                        self.c[i * nt + ci] = cp.post(gx as f64, ncv);
                    }
                }
                self.batch_k = (k + 1) % BATCH;
            }
            CouplingKind::Difference | CouplingKind::Kuramoto => {
                for ci in 0..ncv {
                    let blk = &hist[ci * n * h2..(ci + 1) * n * h2];
                    for i in 0..n {
                        let xi = blk[i * h2 + w];
                        let (a, b) = (s.row_start[i], s.row_start[i + 1]);
                        let buf = &mut self.prod32[..b - a];
                        for ((p, wt), off) in buf.iter_mut().zip(&s.w32[a..b]).zip(&s.off[a..b]) {
                            *p = wt * cp.pre32(xi, blk[*off as usize + w]);
                        }
                        self.c[i * nt + ci] = cp.post(reduceat(buf) as f64, ncv);
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn eval(m: &M, nv: usize, nt: usize, x: &[f64], c: &[f64], dx: &mut [f64]) {
        for ((xs, cs), ds) in x
            .chunks_exact(nv)
            .zip(c.chunks_exact(nt))
            .zip(dx.chunks_exact_mut(nv))
        {
            m.dfun(xs, cs, ds);
        }
    }

    /// Draws this step's noise increments η (node-major), as tvb-library:
    /// `noise = sqrt(dt)·normal(size=(nvar, N, 1)); noise *= gfun(X)`.
    fn draw_noise(&mut self) {
        let Some(nz) = self.noise.as_mut() else {
            return;
        };
        let n = self.s.n;
        let nv = self.nv;
        nz.rng.fill_normal(&mut nz.z);
        for k in 0..nv {
            for i in 0..n {
                let raw = nz.sqrt_dt * nz.z[k * n + i];
                let g = match nz.kind {
                    NoiseKind::Additive => nz.g[k],
                    NoiseKind::Multiplicative { a, b } => nz.g[k] * (a * self.x[i * nv + k] + b),
                };
                self.eta[i * nv + k] = raw * g;
            }
        }
    }

    fn integrate(&mut self) {
        let (nv, nt, dt) = (self.nv, self.nt, self.dt);
        let stochastic = self.noise.is_some();
        if stochastic {
            self.draw_noise();
        }
        let [k1, k2, k3, k4] = &mut self.k;
        match self.scheme {
            Scheme::Euler => {
                Self::eval(&self.m, nv, nt, &self.x, &self.c, k1);
                if stochastic {
                    for ((x, k), e) in self.x.iter_mut().zip(k1.iter()).zip(&self.eta) {
                        *x = *x + *k * dt + *e;
                    }
                } else {
                    for (x, k) in self.x.iter_mut().zip(k1.iter()) {
                        *x += dt * *k;
                    }
                }
            }
            Scheme::Heun => {
                Self::eval(&self.m, nv, nt, &self.x, &self.c, k1);
                if stochastic {
                    for (((t, x), k), e) in self
                        .tmp
                        .iter_mut()
                        .zip(&self.x)
                        .zip(k1.iter())
                        .zip(&self.eta)
                    {
                        *t = *x + dt * *k + *e;
                    }
                } else {
                    for ((t, x), k) in self.tmp.iter_mut().zip(&self.x).zip(k1.iter()) {
                        *t = *x + dt * *k;
                    }
                }
                clamp_with(&self.lo, &self.hi, self.bounded, nv, &mut self.tmp);
                Self::eval(&self.m, nv, nt, &self.tmp, &self.c, k2);
                if stochastic {
                    for (((x, a), b), e) in self
                        .x
                        .iter_mut()
                        .zip(k1.iter())
                        .zip(k2.iter())
                        .zip(&self.eta)
                    {
                        let dx = (*a + *b) * dt / 2.0;
                        *x = *x + dx + *e;
                    }
                } else {
                    for ((x, a), b) in self.x.iter_mut().zip(k1.iter()).zip(k2.iter()) {
                        let dx = (*a + *b) * dt / 2.0;
                        *x += dx;
                    }
                }
            }
            Scheme::Rk4 => {
                let dt2 = dt / 2.0;
                let dt6 = dt / 6.0;
                Self::eval(&self.m, nv, nt, &self.x, &self.c, k1);
                for ((t, x), k) in self.tmp.iter_mut().zip(&self.x).zip(k1.iter()) {
                    *t = *x + dt2 * *k;
                }
                clamp_with(&self.lo, &self.hi, self.bounded, nv, &mut self.tmp);
                Self::eval(&self.m, nv, nt, &self.tmp, &self.c, k2);
                for ((t, x), k) in self.tmp.iter_mut().zip(&self.x).zip(k2.iter()) {
                    *t = *x + dt2 * *k;
                }
                clamp_with(&self.lo, &self.hi, self.bounded, nv, &mut self.tmp);
                Self::eval(&self.m, nv, nt, &self.tmp, &self.c, k3);
                for ((t, x), k) in self.tmp.iter_mut().zip(&self.x).zip(k3.iter()) {
                    *t = *x + dt * *k;
                }
                clamp_with(&self.lo, &self.hi, self.bounded, nv, &mut self.tmp);
                Self::eval(&self.m, nv, nt, &self.tmp, &self.c, k4);
                for (i, x) in self.x.iter_mut().enumerate() {
                    let dx = dt6 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
                    *x = if stochastic {
                        *x + dx + self.eta[i]
                    } else {
                        *x + dx
                    };
                }
            }
        }
        clamp_with(&self.lo, &self.hi, self.bounded, nv, &mut self.x);
    }
}

impl<M: Dfun> Stepper for Engine<M> {
    fn run(&mut self, nsteps: usize, out: &mut [f64]) -> Result<(), ModelError> {
        let (n, nv, h) = (self.s.n, self.nv, self.s.h);
        for k in 0..nsteps {
            self.compute_coupling();
            self.integrate();
            self.step += 1;
            let w = (self.step % h as u64) as usize;
            for (ci, &cv) in self.cvar.iter().enumerate() {
                for i in 0..n {
                    let v = self.x[i * nv + cv] as f32;
                    let base = (ci * n + i) * 2 * h;
                    self.hist[base + w] = v;
                    self.hist[base + w + h] = v;
                }
            }
            let o = &mut out[k * nv * n..(k + 1) * nv * n];
            for i in 0..n {
                for kk in 0..nv {
                    let v = self.x[i * nv + kk];
                    if !v.is_finite() {
                        return Err(ModelError::Diverged {
                            step: self.step,
                            time_ms: self.step as f64 * self.dt,
                            region: i,
                            label: self.labels[i].clone(),
                            variable: self.info.state_variables[kk],
                            value: v,
                        });
                    }
                    o[kk * n + i] = v;
                }
            }
        }
        Ok(())
    }

    fn steps_done(&self) -> u64 {
        self.step
    }

    fn state(&self) -> Vec<f64> {
        let (n, nv) = (self.s.n, self.nv);
        let mut v = vec![0.0; n * nv];
        for i in 0..n {
            for k in 0..nv {
                v[k * n + i] = self.x[i * nv + k];
            }
        }
        v
    }
}

fn clamp_with(lo: &[f64], hi: &[f64], bounded: bool, nv: usize, x: &mut [f64]) {
    if bounded {
        for xs in x.chunks_exact_mut(nv) {
            for k in 0..nv {
                if xs[k] < lo[k] {
                    xs[k] = lo[k];
                }
                if xs[k] > hi[k] {
                    xs[k] = hi[k];
                }
            }
        }
    }
}
