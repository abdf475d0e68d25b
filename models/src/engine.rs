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
use crate::noise::{ColouredNoise, NoiseConfig, NoiseKind, NoiseStream, NumpyRandomState};
use crate::params::ParamSet;
use crate::sync::SpinBarrier;
use crate::thread_choice::{Mode, ThreadChoice};
use crate::tvb_sum::{reduce, reduceat, reduceat_by, Lanes8};
use brainstream_modeldecl::coupling::{Precision, Sum, Ty, BLOCK as DECL_BLOCK};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

mod presigmoidal_sum;

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
    /// Proxy regions (co-simulation): regions simulated elsewhere, whose
    /// state is set from outside ([`ProxyInput`]) and whose coupling is
    /// exported; the connections among them are removed (exclusive proxy
    /// nodes: the other simulator couples them itself).
    pub proxy_nodes: Vec<usize>,
}

/// States of the proxy regions for the steps of one `run_cosim` call.
///
/// Entry `s` (0 ≤ s < nsteps) holds the state after step `s` of the call,
/// stamped `steps_done + s + 1`: `values[s·P·V + p·V + v]` for proxy `p` and
/// input variable `v`, present when `present[s]`. A present state replaces
/// what the proxy regions' own model computed for that time stamp (what they
/// emit and what the others see through the delays); between present
/// states, proxy regions follow their own model.
#[derive(Debug, Clone, Copy)]
pub struct ProxyInput<'a> {
    pub values: &'a [f64],
    pub present: &'a [bool],
    /// State-variable index of each input variable.
    pub vars: &'a [usize],
}

/// A stimulus for the steps of one `run_stimulated` call: tvb-library's
/// `StimuliRegion` (or anything driving the mean field's `stimulus` port).
///
/// `values[s·N + i]` is region `i`'s stimulus for the step from
/// `steps_done + s` to `steps_done + s + 1` (tvb-library's
/// `stimulus(stim_step)`, `weight_i · temporal(t)` at that step's start
/// `t`). It is added to each of the model's stimulus variables
/// ([`ModelInfo::stimulus`], tvb-library's `stvar`) where tvb-library's
/// schemes add it, in their order:
/// - Euler: `x + dt·(f(x) + u)`; stochastic: `x + f(x)·dt + η + dt·u`;
/// - Heun: predictor `x + dt·(f(x) + u)`, corrector `x + dx + dt·u`;
///   stochastic: `x + dt·f(x) + η + dt·u` and `x + dx + η + dt·u`;
/// - RK4: `x + dx + dt·u` (the stages see no stimulus);
///
/// held for the whole step, then clamped to the model's boundaries.
#[derive(Debug, Clone, Copy)]
pub struct StimulusInput<'a> {
    pub values: &'a [f64],
}

/// Everything a mean-field run's later steps depend on, at a step
/// boundary (a checkpoint): the step count, the state, the float32 history
/// rings of the coupled variables, the coupling batch in progress (its
/// position and precomputed sums), the last step's coupling and noise
/// terms, and the noise generator (numpy's Mersenne Twister state and held
/// normal, coloured noise's η; the Philox stream is keyed by the step).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineState {
    pub step: u64,
    pub batch_k: usize,
    pub x: Vec<f64>,
    pub hist: Vec<f32>,
    pub c: Vec<f64>,
    pub eta: Vec<f64>,
    pub batch_sums: Vec<f32>,
    pub batch_steps: Vec<f32>,
    /// numpy's generator: (Mersenne Twister words, position, held normal)
    pub numpy: Option<(Vec<u32>, usize, Option<f64>)>,
    /// coloured noise's η
    pub coloured: Option<Vec<f64>>,
}

trait Stepper: Send {
    fn save(&self) -> EngineState;
    fn restore(&mut self, st: &EngineState) -> Result<(), String>;
    fn run(
        &mut self,
        nsteps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        coupling_out: Option<&mut [f64]>,
        stimulus: Option<StimulusInput<'_>>,
    ) -> Result<(), ModelError>;
    fn steps_done(&self) -> u64;
    fn state(&self) -> Vec<f64>;
    /// `coupling_out` holds every region (`true`) or the proxy regions.
    fn set_coupling_of_every_region(&mut self, every: bool);
    fn coupling_of_every_region(&self) -> bool;
    /// The coupling from the next step on (steering between windows).
    fn set_coupling(&mut self, c: Coupling);
    /// The model's parameters from the next step on (steering between
    /// windows): the model rebuilt from `params`, of the same form
    /// (uniform, or per region).
    fn set_model_params(&mut self, params: &ParamSet) -> Result<(), String>;
}

/// A running mean-field network simulation.
pub struct MeanFieldSim {
    inner: Box<dyn Stepper>,
    proxy_nodes: Vec<usize>,
    n_terms: usize,
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
    /// Validates the configuration and builds the engine, with as many
    /// threads as [`auto_threads`] chooses.
    pub fn new(cfg: MeanFieldConfig) -> Result<Self, ModelError> {
        Self::with_threads(cfg, 0)
    }

    /// As [`new`](Self::new), stepping the regions in `threads` parts in
    /// parallel (0: automatic). Results are bit-identical whatever the count.
    pub fn with_threads(cfg: MeanFieldConfig, threads: usize) -> Result<Self, ModelError> {
        let model = cfg.model;
        let n = cfg.connectivity.n;
        let dt = cfg.dt_ms;
        let (x0, delays, seen) = Self::checked(&cfg)?;
        let structure = Structure::new(
            &cfg.connectivity,
            &delays,
            model.cvar.len(),
            matches!(
                cfg.coupling.kind,
                CouplingKind::Sigmoidal
                    | CouplingKind::SigmoidalJansenRit
                    | CouplingKind::PreSigmoidal
            ) || cfg
                .coupling
                .declared()
                .is_some_and(|(p, _)| matches!(p.sum, Sum::Dense | Sum::PreSigmoidal)),
            batched(cfg.coupling.kind),
            &seen,
        );
        // tvb-library's horizon counts every entry, zero weights included;
        // the ring buffer only needs the delays of non-zero weights.
        let horizon = delays.iter().copied().max().unwrap_or(0) + 1;
        let nnz = structure.col.len();
        struct Build<'a> {
            cfg: &'a MeanFieldConfig,
            structure: Structure,
            x0: Vec<f64>,
            threads: usize,
        }
        impl crate::models::ModelVisitor for Build<'_> {
            type Out = Box<dyn Stepper>;
            fn visit<M: Dfun>(self, m: M) -> Self::Out {
                Box::new(Engine::new(
                    m,
                    self.cfg,
                    self.structure,
                    self.x0,
                    self.threads,
                ))
            }
        }
        let inner = crate::models::with_model(
            model,
            &cfg.model_params,
            Build {
                cfg: &cfg,
                structure,
                x0,
                threads,
            },
        );
        Ok(Self {
            inner,
            proxy_nodes: cfg.proxy_nodes.clone(),
            n_terms: cfg.coupling.n_terms(model.cvar.len()),
            model,
            n,
            dt,
            horizon,
            nnz,
        })
    }

    /// Checks a configuration as [`with_threads`](Self::with_threads)
    /// does, without building the engine (its sparse structure and
    /// history): every configuration error `with_threads` returns.
    pub fn check(cfg: &MeanFieldConfig) -> Result<(), ModelError> {
        Self::checked(cfg).map(|_| ())
    }

    /// The checks of a configuration; its initial state, delays (steps)
    /// and which regions are proxies.
    #[allow(clippy::type_complexity)]
    fn checked(cfg: &MeanFieldConfig) -> Result<(Vec<f64>, Vec<usize>, Vec<bool>), ModelError> {
        let model = cfg.model;
        let n = cfg.connectivity.n;
        let dt = cfg.dt_ms;
        let x0 = initial_state(cfg)?;
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
            check_ntau(nz, dt)?;
        }
        // SigmoidalJansenRit hands the model one coupling term made of its
        // two coupled variables: only JansenRit reads it so (another model
        // with two coupled variables, MontbrioPazoRoxin, reads two terms).
        if cfg.coupling.kind == CouplingKind::SigmoidalJansenRit
            && (model.cvar.len() != 2 || model.name != "JansenRit")
        {
            return Err(ModelError::Config(format!(
                "SigmoidalJansenRit couples JansenRit only (one term from its two coupled variables); {} has {} coupled variable(s)",
                model.name,
                model.cvar.len()
            )));
        }
        // PreSigmoidal's dynamic form reads two coupled variables (x and
        // its threshold) and hands the model two terms
        if cfg.coupling.presigmoidal_dynamic() && model.cvar.len() != 2 {
            return Err(ModelError::Config(format!(
                "PreSigmoidal's dynamic form (coupling_params.dynamic = 1, the default) reads two coupled variables, a value and its threshold (HopfieldDynamic's x, theta); {} has {} coupled variable(s): use HopfieldDynamic, or dynamic = 0",
                model.name,
                model.cvar.len()
            )));
        }
        // a declared coupling that combines coupled variables reads that many
        if let Some((prog, _)) = cfg.coupling.declared() {
            let need = prog.min_cvar(cfg.coupling.params.values());
            if model.cvar.len() < need {
                return Err(ModelError::Config(format!(
                    "coupling {} reads {need} coupled variables; {} has {}",
                    prog.name,
                    model.name,
                    model.cvar.len()
                )));
            }
        }
        let mut seen = vec![false; n];
        for &p in &cfg.proxy_nodes {
            if p >= n {
                return Err(ModelError::Config(format!(
                    "proxy region {p} is outside the connectome (regions 0..{})",
                    n - 1
                )));
            }
            if std::mem::replace(&mut seen[p], true) {
                return Err(ModelError::Config(format!(
                    "proxy region {p} is listed twice"
                )));
            }
        }
        if let Some(k) = cfg.model_params.n_regions() {
            if k != n {
                return Err(ModelError::Config(format!(
                    "per-region parameters have {k} values, the connectome has {n} regions"
                )));
            }
        }
        Ok((x0, delays, seen))
    }

    /// Advances `nsteps` steps and writes every new state into `out`, laid
    /// out `nsteps × nvar × N` (row-major): sample `k` is the state after
    /// `steps_done() + k + 1` steps, TVB's Raw monitor's sample. On a NaN or
    /// infinite state it stops with [`ModelError::Diverged`]; the samples of
    /// the steps before it are in `out`.
    pub fn run(&mut self, nsteps: usize, out: &mut [f64]) -> Result<(), ModelError> {
        self.run_cosim(nsteps, out, None, None)
    }

    /// As [`run`](Self::run), with proxy regions: `proxy` sets their states
    /// (see [`ProxyInput`]), and `coupling_out` (`nsteps × P × n_terms`)
    /// receives their coupling terms, entry `s` being the coupling used for
    /// the step from `steps_done + s` to `steps_done + s + 1` (stamped
    /// `steps_done + s`).
    pub fn run_cosim(
        &mut self,
        nsteps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        coupling_out: Option<&mut [f64]>,
    ) -> Result<(), ModelError> {
        self.run_stimulated(nsteps, out, proxy, coupling_out, None)
    }

    /// As [`run_cosim`](Self::run_cosim), with a stimulus (`nsteps × N`
    /// values, see [`StimulusInput`]) entering the model's stimulus
    /// variables.
    pub fn run_stimulated(
        &mut self,
        nsteps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        coupling_out: Option<&mut [f64]>,
        stimulus: Option<StimulusInput<'_>>,
    ) -> Result<(), ModelError> {
        if let Some(st) = &stimulus {
            assert_eq!(st.values.len(), nsteps * self.n, "stimulus values length");
        }
        assert_eq!(
            out.len(),
            nsteps * self.model.nvar() * self.n,
            "output buffer size"
        );
        let np = self.proxy_nodes.len();
        if let Some(p) = &proxy {
            assert_eq!(p.present.len(), nsteps, "proxy presence length");
            assert_eq!(
                p.values.len(),
                nsteps * np * p.vars.len(),
                "proxy values length"
            );
            assert!(
                p.vars.iter().all(|&v| v < self.model.nvar()),
                "proxy variable index"
            );
        }
        if let Some(c) = &coupling_out {
            assert_eq!(
                c.len(),
                nsteps * self.coupling_regions() * self.n_terms,
                "coupling output length"
            );
        }
        self.inner.run(nsteps, out, proxy, coupling_out, stimulus)
    }

    /// Makes `coupling_out` of [`run_cosim`](Self::run_cosim) hold the
    /// coupling terms of every region (`nsteps × N × n_terms`, entry `s`
    /// still the coupling used for the step from `steps_done + s`), as
    /// tvb-library's `AfferentCoupling` monitor records them, instead of the
    /// proxy regions'.
    pub fn export_coupling_of_every_region(&mut self, every: bool) {
        self.inner.set_coupling_of_every_region(every);
    }

    /// The regions `coupling_out` holds: every region or the proxy regions.
    pub fn coupling_regions(&self) -> usize {
        if self.inner.coupling_of_every_region() {
            self.n
        } else {
            self.proxy_nodes.len()
        }
    }

    /// The proxy regions.
    pub fn proxy_nodes(&self) -> &[usize] {
        &self.proxy_nodes
    }

    /// Coupling terms per region (one per coupled variable, one for
    /// SigmoidalJansenRit).
    pub fn n_terms(&self) -> usize {
        self.n_terms
    }

    /// Steps taken so far.
    /// The run's state between two calls ([`EngineState`]).
    pub fn save_state(&self) -> EngineState {
        self.inner.save()
    }

    /// Continues from a state [`save_state`](Self::save_state) returned
    /// by a run of the same configuration: the next steps give the bits
    /// that run's next steps gave.
    pub fn restore_state(&mut self, st: &EngineState) -> Result<(), ModelError> {
        self.inner.restore(st).map_err(ModelError::Config)
    }

    pub fn steps_done(&self) -> u64 {
        self.inner.steps_done()
    }

    /// Sets coupling parameter `name` to `value` from the next step on
    /// (steering between windows; [`Coupling::with_param`]); returns the
    /// value it had. `coupling` is the configuration's, updated too.
    pub fn set_coupling_param(
        &mut self,
        coupling: &mut Coupling,
        name: &str,
        value: f64,
    ) -> Result<f64, ModelError> {
        let (c, old) = coupling.with_param(name, value)?;
        self.inner.set_coupling(c.clone());
        *coupling = c;
        Ok(old)
    }
    /// Sets model parameter `name` (a scalar, or a vector's element
    /// `NAME[k]`) to `value` for every region from the next step on
    /// (steering between windows), checked as the graph's values are
    /// ([`ParamSet::set`]); returns the value it had. `params` is the
    /// configuration's, updated too. A parameter given per region is
    /// refused: one steered value would make it uniform, which changes the
    /// model's form (and the meaning of `old`).
    pub fn set_model_param(
        &mut self,
        params: &mut ParamSet,
        name: &str,
        value: f64,
    ) -> Result<f64, ModelError> {
        let mut next = params.clone();
        let old = next.value(self.model.name, name)?;
        if next.is_regional(name) {
            return Err(ModelError::Config(format!(
                "{}.{name} is given per region: one steered value cannot stand for every region's",
                self.model.name
            )));
        }
        next.set(self.model.name, name, value)?;
        for note in next.take_notes() {
            tracing::warn!("{note}");
        }
        self.inner
            .set_model_params(&next)
            .map_err(ModelError::Config)?;
        *params = next;
        Ok(old)
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

/// Threads worth using for a network: one below about 40 000 delayed
/// couplings per step (a step then takes a few microseconds, less than
/// threads cost to keep in lockstep), else up to 8, at most the machine's
/// cores.
pub fn auto_threads(couplings: usize, regions: usize) -> usize {
    if couplings < 40_000 || regions < 64 {
        1
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8)
    }
}

/// Checks a noise configuration's correlation time `ntau_ms` (tvb-library's
/// `ntau`, ms): finite and ≥ 0; coloured noise (> 0) only on the numpy
/// stream (the Philox stream of sweeps and GPU kernels is white), and with
/// a finite step factor `dt·sqrt(1/τ)`.
fn check_ntau(nz: &NoiseConfig, dt_ms: f64) -> Result<(), ModelError> {
    let t = nz.ntau_ms;
    if !t.is_finite() || t < 0.0 {
        return Err(ModelError::Config(format!(
            "noise ntau must be finite and ≥ 0 ms (0: white noise), got {t}"
        )));
    }
    if t > 0.0 {
        if let NoiseStream::Philox { .. } = nz.stream {
            return Err(ModelError::Config(format!(
                "coloured noise (ntau = {t} ms) is drawn from tvb-library's numpy stream only: \
                 the Philox stream of sweeps and GPU kernels is white; set ntau to 0 or use the numpy stream"
            )));
        }
        if !(dt_ms * (1.0 / t).sqrt()).is_finite() {
            return Err(ModelError::Config(format!(
                "noise ntau = {t:e} ms is too small: dt·sqrt(1/ntau) is not finite"
            )));
        }
    }
    Ok(())
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
            for &(lo, hi) in m.range {
                for _ in 0..n {
                    // a range of one value (Zerlaut's noise variables start
                    // at 0, as numpy's uniform(0, 0) gives) is that value:
                    // an empty range would panic in gen_range
                    v.push(if hi > lo { rng.gen_range(lo..hi) } else { lo });
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

mod near_sum;

/// Couplings summed a batch of steps at once (their products are
/// `w_ij·x_j` alone).
fn batched(kind: CouplingKind) -> bool {
    matches!(kind, CouplingKind::Linear | CouplingKind::Scaling)
}

/// Sparse structure of the delayed coupling.
struct Structure {
    n: usize,
    ncv: usize,
    /// Ring length: the largest delay + `b` + 1, so that a thread may write
    /// the `b` steps of a batch while another still reads the oldest values
    /// the batch's first step needs.
    h: usize,
    row_start: Vec<usize>,
    col: Vec<u32>,
    w32: Vec<f32>,
    /// Offset of each edge's delayed value inside one coupled variable's
    /// history block, relative to the ring position: `j·2h + h − d_ij`.
    off: Vec<u32>,
    /// `N×N` edge index (u32::MAX where the weight is zero), for the dense
    /// couplings only; empty otherwise.
    dense_edge: Vec<u32>,
    /// Steps whose coupling is gathered at once (Linear, Scaling): a
    /// multiple of [`LANES`].
    b: usize,
    /// Edges whose delay is shorter than a batch (`d + 1 < b`): their
    /// products exist only at their step.
    near: Vec<u32>,
    /// Whether a row has a near edge (summed by its [`near_sum`] programs:
    /// its far subtrees once per batch, the near edges' paths per step).
    row_near: Vec<bool>,
    /// The programs of the rows with a near edge.
    near_prog: near_sum::NearPrograms,
}

/// float32 steps summed in one lane group ([`Lanes8`]).
const LANES: usize = 8;

/// The edges near for a batch of `b` steps (`d + 1 < b`).
fn near_count(delays: &[usize], b: usize) -> usize {
    delays.iter().filter(|&&d| d + 1 < b).count()
}

/// The batch length for a connectome's edge delays (in edge order): the
/// longest of 8, 16, 32 steps that does not move more edges onto a per-step
/// path than it saves. Every edge is summed in lanes once per batch (16 and
/// 32 steps save about a quarter and a third of the 8-step work,
/// benches/engine.rs); a near edge adds, per step, its product and the
/// additions on its path to the row's sum ([`near_sum`]: about 10 scalar
/// additions, each worth about 8 lane-batched edges, hence 64 per near
/// edge).
fn batch_len(row_start: &[usize], delays: &[usize]) -> usize {
    debug_assert_eq!(row_start.last().copied().unwrap_or(0), delays.len());
    let cost = |b: usize, batched: f64| {
        64.0 * near_count(delays, b) as f64 + batched * delays.len() as f64
    };
    [(8, 1.0), (16, 0.75), (32, 0.65)]
        .into_iter()
        .map(|(b, f)| (b, cost(b, f)))
        .fold(
            (8, f64::INFINITY),
            |best, c| if c.1 < best.1 { c } else { best },
        )
        .0
}

impl Structure {
    fn new(
        c: &Connectivity,
        delays: &[usize],
        ncv: usize,
        dense: bool,
        batched: bool,
        proxy: &[bool],
    ) -> Self {
        let n = c.n;
        // exclusive proxy nodes: no coupling among proxy regions
        let weight = |i: usize, j: usize| {
            if proxy[i] && proxy[j] {
                0.0
            } else {
                c.weights[i * n + j]
            }
        };
        let mut row_start = vec![0usize; n + 1];
        let (mut col, mut w32, mut ed_delay) = (vec![], vec![], vec![]);
        let mut dense_edge = if dense { vec![u32::MAX; n * n] } else { vec![] };
        for i in 0..n {
            for j in 0..n {
                let w = weight(i, j);
                if w != 0.0 {
                    if dense {
                        dense_edge[i * n + j] = col.len() as u32;
                    }
                    col.push(j as u32);
                    w32.push(w as f32);
                    ed_delay.push(delays[i * n + j]);
                }
            }
            row_start[i + 1] = col.len();
        }
        let b = if batched {
            batch_len(&row_start, &ed_delay)
        } else {
            LANES
        };
        let h = ed_delay.iter().copied().max().unwrap_or(0) + b + 1;
        let off = col
            .iter()
            .zip(&ed_delay)
            .map(|(&j, &d)| (j as usize * 2 * h + h - d) as u32)
            .collect();
        let near_edge: Vec<bool> = ed_delay.iter().map(|&d| d + 1 < b).collect();
        let row_near: Vec<bool> = (0..n)
            .map(|i| near_edge[row_start[i]..row_start[i + 1]].contains(&true))
            .collect();
        let near = (0..near_edge.len() as u32)
            .filter(|&e| near_edge[e as usize])
            .collect();
        let near_prog = if batched {
            near_sum::NearPrograms::new(&row_start, &row_near, &near_edge)
        } else {
            near_sum::NearPrograms::empty(n)
        };
        Self {
            n,
            ncv,
            h,
            row_start,
            col,
            w32,
            off,
            dense_edge,
            b,
            near,
            row_near,
            near_prog,
        }
    }

    /// Whether every edge read step by step (a near edge) comes from a
    /// region of the same part: then the parts need to meet only once per
    /// batch, when the far edges are gathered.
    fn near_within(&self, parts: &[Range<usize>]) -> bool {
        let part_of = |i: usize| parts.iter().position(|r| r.contains(&i));
        self.near.iter().all(|&e| {
            let e = e as usize;
            let i = self.row_start.partition_point(|&r| r <= e) - 1;
            part_of(i) == part_of(self.col[e] as usize)
        })
    }
}

/// Where a run's normal deviates come from.
enum NoiseRng {
    Numpy(Box<NumpyRandomState>),
    Philox([u32; 2]),
}

struct NoiseState {
    rng: NoiseRng,
    kind: NoiseKind,
    /// sqrt(2·nsig) per state variable
    g: Vec<f64>,
    /// what multiplies a step's deviate: `sqrt(dt)` for white noise (z),
    /// `dt·sqrt(1/τ)` for coloured noise (η), ms^½
    scale: f64,
    /// the Ornstein–Uhlenbeck process of coloured noise (`ntau > 0`)
    coloured: Option<ColouredNoise>,
    /// standard normals of the steps of one `run` call, `nsteps × nvar × N`
    /// (per step state-variable major, numpy's `normal(size=(nvar, N, 1))`);
    /// for coloured noise each step's η instead
    z: Vec<f64>,
}

/// A buffer shared by the threads of one step, as a raw pointer and a
/// length taken from a `Vec` or slice that outlives the step and is neither
/// moved nor resized meanwhile. Each thread writes only the elements of its
/// own rows (regions); reads of other rows' elements never touch what is
/// being written during the same step (see [`StepCtx::step_part`]).
#[derive(Clone, Copy)]
struct RawBuf<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: see the type's documentation: accesses are disjoint between
// barriers.
unsafe impl<T: Send> Send for RawBuf<T> {}
unsafe impl<T: Send> Sync for RawBuf<T> {}

impl<T: Copy> RawBuf<T> {
    fn new(v: &mut [T]) -> Self {
        Self {
            ptr: v.as_mut_ptr(),
            len: v.len(),
        }
    }
    /// # Safety
    /// No other thread may access `r` while the slice lives.
    #[allow(clippy::mut_from_ref)]
    unsafe fn part(&self, r: Range<usize>) -> &mut [T] {
        assert!(r.start <= r.end && r.end <= self.len, "RawBuf range");
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(r.start), r.end - r.start) }
    }
    /// A pointer to element `i` (`i ≤ len`), for reads whose safety the
    /// caller shows.
    fn at(&self, i: usize) -> *const T {
        assert!(i <= self.len, "RawBuf index");
        // SAFETY: within the allocation or one past its end
        unsafe { self.ptr.add(i) }
    }
    /// # Safety
    /// No thread may write element `i` concurrently.
    unsafe fn get(&self, i: usize) -> T {
        assert!(i < self.len, "RawBuf index");
        unsafe { self.ptr.add(i).read() }
    }
    /// # Safety
    /// No other thread may access element `i` concurrently.
    unsafe fn set(&self, i: usize, v: T) {
        assert!(i < self.len, "RawBuf index");
        unsafe { self.ptr.add(i).write(v) }
    }
}

/// Sums of the rows of `r` without a near edge for the `b` steps of a
/// batch: `sums[(i − r.start)·b/8 + g]` holds steps `8g … 8g + 7` of row
/// `i`, each lane numpy's `reduceat` of the row's float32 products
/// `w_ij·x_j[t − d_ij]`, computed as they are summed.
///
/// # Safety
/// `hist` points at the current ring position of one coupled variable's
/// history block; no thread writes the `b` values after `hist + off[e]` of
/// any far edge `e` of these rows during the call.
unsafe fn gather_far_rows(s: &Structure, r: Range<usize>, hist: *const f32, sums: &mut [Lanes8]) {
    #[cfg(target_arch = "x86_64")]
    {
        if s.b.is_multiple_of(16) && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the caller's; the CPU has AVX-512F
            return unsafe { gather_far_rows_avx512(s, r, hist, sums) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the caller's; the CPU has AVX2
            return unsafe { gather_far_rows_avx2(s, r, hist, sums) };
        }
    }
    // SAFETY: the caller's
    unsafe { gather_far_rows_impl(s, r, hist, sums) }
}

/// [`gather_far_rows`] compiled for AVX2: a lane group's eight float32
/// products and sums are one instruction each (the same IEEE operations
/// in the same order, so the same bits; no FMA).
///
/// # Safety
/// As [`gather_far_rows`], on a CPU with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn gather_far_rows_avx2(
    s: &Structure,
    r: Range<usize>,
    hist: *const f32,
    sums: &mut [Lanes8],
) {
    // SAFETY: the caller's
    unsafe { gather_far_rows_impl(s, r, hist, sums) }
}

/// [`gather_far_rows`] compiled for AVX-512F, for batches of 16 or 32
/// steps: all the batch's steps of a row are summed in one pass over its
/// edges (one or two 16-lane registers per lane group), so each edge's
/// offset and weight are read once per batch and each edge costs half the
/// instructions of the 8-lane pass. Every lane performs the same IEEE
/// float32 products and additions in the same order as the 8-lane and
/// scalar sums (numpy's `reduceat`, [`crate::tvb_sum`]; no FMA), so the
/// sums are the same bits.
///
/// # Safety
/// As [`gather_far_rows`], on a CPU with AVX-512F, with `s.b` a multiple
/// of 16.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn gather_far_rows_avx512(
    s: &Structure,
    r: Range<usize>,
    hist: *const f32,
    sums: &mut [Lanes8],
) {
    use std::arch::x86_64::{__m512, _mm512_storeu_ps};
    let kk = s.b / LANES;
    assert!(s.b.is_multiple_of(16), "batch length for 16 lanes");
    assert_eq!(sums.len(), r.len() * kk, "batch sums of the rows");
    for i in r.clone() {
        if s.row_near[i] {
            continue;
        }
        let (a, b) = (s.row_start[i], s.row_start[i + 1]);
        let (w, off) = (&s.w32[a..b], &s.off[a..b]);
        let row = &mut sums[(i - r.start) * kk..(i - r.start + 1) * kk];
        let out = row.as_mut_ptr().cast::<f32>();
        // SAFETY: the caller's (every read lies within the b values after
        // hist + off[e]); `row` holds b floats
        unsafe {
            if s.b.is_multiple_of(32) {
                for g in 0..s.b / 32 {
                    let sum: [__m512; 2] = wide_sum::reduceat(hist.add(g * 32), off, w);
                    _mm512_storeu_ps(out.add(g * 32), sum[0]);
                    _mm512_storeu_ps(out.add(g * 32 + 16), sum[1]);
                }
            } else {
                for g in 0..s.b / 16 {
                    let sum: [__m512; 1] = wide_sum::reduceat(hist.add(g * 16), off, w);
                    _mm512_storeu_ps(out.add(g * 16), sum[0]);
                }
            }
        }
    }
}

/// numpy's `reduceat` ([`crate::tvb_sum::reduceat_by`]) of one row's
/// float32 products `w_e·x[off_e + k]` for `16·G` consecutive steps `k`, in
/// `G` AVX-512 registers: the same additions in the same order in every
/// lane.
#[cfg(target_arch = "x86_64")]
mod wide_sum {
    use std::arch::x86_64::{
        __m512, _mm512_add_ps, _mm512_loadu_ps, _mm512_mul_ps, _mm512_set1_ps,
    };

    /// The products of edge `q` for the `16·G` steps.
    ///
    /// # Safety
    /// `base + off[q]` is followed by `16·G` readable floats; `q < off.len()`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn prod<const G: usize>(
        base: *const f32,
        off: &[u32],
        w: &[f32],
        q: usize,
    ) -> [__m512; G] {
        // SAFETY: the caller's
        unsafe {
            let p = base.add(*off.get_unchecked(q) as usize);
            let wt = _mm512_set1_ps(*w.get_unchecked(q));
            // a loop, not `array::from_fn`: a closure is compiled without
            // AVX-512 and kept out of line, its registers spilled
            let mut out = [_mm512_set1_ps(0.0); G];
            for (g, o) in out.iter_mut().enumerate() {
                *o = _mm512_mul_ps(wt, _mm512_loadu_ps(p.add(16 * g)));
            }
            out
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn add<const G: usize>(a: [__m512; G], b: [__m512; G]) -> [__m512; G] {
        let mut out = a;
        for (o, y) in out.iter_mut().zip(b) {
            *o = _mm512_add_ps(*o, y);
        }
        out
    }

    /// `f(0) + pairwise(f(1) … f(n − 1))`.
    ///
    /// # Safety
    /// As [`prod`], for every edge of the row.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn reduceat<const G: usize>(
        base: *const f32,
        off: &[u32],
        w: &[f32],
    ) -> [__m512; G] {
        let n = off.len();
        if n == 0 {
            return [_mm512_set1_ps(0.0); G];
        }
        // SAFETY: the caller's; indices below n
        unsafe { add(prod(base, off, w, 0), pairwise(base, off, w, 1, n - 1)) }
    }

    /// numpy's `pairwise_sum` of edges `start … start + n − 1`.
    ///
    /// # Safety
    /// As [`prod`], for those edges.
    #[target_feature(enable = "avx512f")]
    unsafe fn pairwise<const G: usize>(
        base: *const f32,
        off: &[u32],
        w: &[f32],
        start: usize,
        n: usize,
    ) -> [__m512; G] {
        // SAFETY: the caller's; every index lies in start .. start + n
        unsafe {
            if n < 8 {
                let mut res = [_mm512_set1_ps(-0.0); G];
                for q in start..start + n {
                    res = add(res, prod(base, off, w, q));
                }
                res
            } else if n <= 128 {
                let mut r: [[__m512; G]; 8] = [[_mm512_set1_ps(0.0); G]; 8];
                for (k, rk) in r.iter_mut().enumerate() {
                    *rk = prod(base, off, w, start + k);
                }
                let end = start + n - n % 8;
                let mut q = start + 8;
                while q < end {
                    for (k, rk) in r.iter_mut().enumerate() {
                        *rk = add(*rk, prod(base, off, w, q + k));
                    }
                    q += 8;
                }
                let mut res = add(
                    add(add(r[0], r[1]), add(r[2], r[3])),
                    add(add(r[4], r[5]), add(r[6], r[7])),
                );
                for q in end..start + n {
                    res = add(res, prod(base, off, w, q));
                }
                res
            } else {
                let mut n2 = n / 2;
                n2 -= n2 % 8;
                add(
                    pairwise(base, off, w, start, n2),
                    pairwise(base, off, w, start + n2, n - n2),
                )
            }
        }
    }
}

/// The body of [`gather_far_rows`] with `W` steps per lane group (`W` a
/// multiple of [`LANES`] dividing the batch length): lane group `g` of a
/// row holds steps `W·g … W·g + W − 1`, stored as `W/8` [`Lanes8`] in
/// step order, as [`gather_far_rows_impl`] stores them. Portable; the
/// tests check it against the others.
///
/// # Safety
/// As [`gather_far_rows`], with `s.b % W == 0`.
#[cfg(test)]
unsafe fn gather_far_rows_wide<const W: usize>(
    s: &Structure,
    r: Range<usize>,
    hist: *const f32,
    sums: &mut [Lanes8],
) {
    let kk = s.b / LANES;
    assert!(
        W.is_multiple_of(LANES) && s.b.is_multiple_of(W),
        "lane width of the batch"
    );
    assert_eq!(sums.len(), r.len() * kk, "batch sums of the rows");
    for i in r.clone() {
        if s.row_near[i] {
            continue;
        }
        let (a, b) = (s.row_start[i], s.row_start[i + 1]);
        let (w, off) = (&s.w32[a..b], &s.off[a..b]);
        let row = &mut sums[(i - r.start) * kk..(i - r.start + 1) * kk];
        for (g, out) in row.chunks_exact_mut(W / LANES).enumerate() {
            // SAFETY: the caller's; q < b − a (reduceat_by's indices)
            let base = unsafe { hist.add(g * W) };
            let sum = reduceat_by(b - a, |q| unsafe {
                let o = *off.get_unchecked(q) as usize;
                let v = base.add(o).cast::<[f32; W]>().read_unaligned();
                let wt = *w.get_unchecked(q);
                let mut p = [0.0f32; W];
                for (pk, vk) in p.iter_mut().zip(v) {
                    *pk = wt * vk;
                }
                crate::tvb_sum::LanesW(p)
            });
            for (l8, part) in out.iter_mut().zip(sum.0.chunks_exact(LANES)) {
                l8.0.copy_from_slice(part);
            }
        }
    }
}

/// The body of [`gather_far_rows`].
///
/// # Safety
/// As [`gather_far_rows`].
#[inline(always)]
unsafe fn gather_far_rows_impl(
    s: &Structure,
    r: Range<usize>,
    hist: *const f32,
    sums: &mut [Lanes8],
) {
    let kk = s.b / LANES;
    assert_eq!(sums.len(), r.len() * kk, "batch sums of the rows");
    for i in r.clone() {
        if s.row_near[i] {
            continue;
        }
        let (a, b) = (s.row_start[i], s.row_start[i + 1]);
        let (w, off) = (&s.w32[a..b], &s.off[a..b]);
        for (k, sum) in sums[(i - r.start) * kk..(i - r.start + 1) * kk]
            .iter_mut()
            .enumerate()
        {
            // SAFETY: the caller's; q < b − a (reduceat_by's indices)
            let base = unsafe { hist.add(k * LANES) };
            *sum = reduceat_by(b - a, |q| unsafe {
                let o = *off.get_unchecked(q) as usize;
                let v = base.add(o).cast::<[f32; LANES]>().read_unaligned();
                let wt = *w.get_unchecked(q);
                Lanes8(v.map(|x| wt * x))
            });
        }
    }
}

/// The first non-finite value a part found: (step, region, variable, value).
type Divergence = (u64, usize, usize, f64);

struct Engine<M: Dfun> {
    m: M,
    info: &'static ModelInfo,
    coupling: Coupling,
    s: Structure,
    nv: usize,
    nt: usize,
    dt: f64,
    cvar: Vec<usize>,
    /// the model's stimulus variables (tvb-library's `stvar`)
    stvar: Vec<usize>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    bounded: bool,
    scheme: Scheme,
    labels: Vec<String>,
    /// Row (region) ranges stepped by separate threads; one range = serial.
    parts: Vec<Range<usize>>,
    /// `ncv × N × 2h` float32 history rings
    hist: Vec<f32>,
    /// node-major state: x[i·nv + k]
    x: Vec<f64>,
    tmp: Vec<f64>,
    k: [Vec<f64>; 4],
    /// node-major noise increments η of one step
    eta: Vec<f64>,
    /// node-major coupling terms
    c: Vec<f64>,
    noise: Option<NoiseState>,
    /// per-part scratch for one row's products (`parts × N`)
    prod32: Vec<f32>,
    prod64: Vec<f64>,
    /// `ncv × N × b/8` row sums of the current batch, eight steps per
    /// lane group (rows without a near edge; Linear, Scaling)
    batch_sums: Vec<Lanes8>,
    /// `ncv × S × b` values of the far subtrees of the rows with a near
    /// edge for the steps of the current batch, slot-major (`S` slots,
    /// [`near_sum::NearPrograms::stored_base`])
    batch_steps: Vec<f32>,
    /// position in the current batch
    batch_k: usize,
    /// Whether the parts meet once per batch instead of every step
    /// ([`Structure::near_within`]).
    sync_per_batch: bool,
    /// With `threads = 0` and more than one part: the measured choice
    /// between one thread and all parts, per call ([`ThreadChoice`]).
    choice: Option<ThreadChoice>,
    step: u64,
    /// index among the proxy regions, u32::MAX for the others
    proxy_slot: Vec<u32>,
    n_proxy: usize,
    /// `cpl_out` holds every region rather than the proxy regions
    coupling_every: bool,
    /// A declared coupling's scratch, one per part (each part locks its own)
    decl: Vec<Mutex<DeclScratch>>,
}

/// What evaluating a declared coupling over one row needs.
#[derive(Debug, Default)]
struct DeclScratch {
    /// `CouplingEval`'s scratch, with its uniform values in place
    scratch: Vec<f64>,
    /// inputs of a block of connections, `inputs × DECL_BLOCK`
    inputs: Vec<f64>,
    /// `pre` of a block
    pre: Vec<f64>,
    /// the row's products, float32 or float64 (`N` each)
    p32: Vec<f32>,
    p64: Vec<f64>,
    /// input slots of `x_i` and `x_j` (or `x_i[k]`, `x_j[k]`) by coupled
    /// variable read
    slot_i: Vec<Option<usize>>,
    slot_j: Vec<Option<usize>>,
}

/// What the threads of one `run` call share: the model, the structure and
/// raw views of every mutable buffer.
struct StepCtx<'a, M: Dfun> {
    e: &'a Engine<M>,
    hist: RawBuf<f32>,
    x: RawBuf<f64>,
    tmp: RawBuf<f64>,
    k: [RawBuf<f64>; 4],
    eta: RawBuf<f64>,
    c: RawBuf<f64>,
    prod32: RawBuf<f32>,
    prod64: RawBuf<f64>,
    batch_sums: RawBuf<Lanes8>,
    batch_steps: RawBuf<f32>,
    out: RawBuf<f64>,
    /// this call's standard normals (`nsteps × nvar × N`), if stochastic
    z: &'a [f64],
    proxy: Option<ProxyInput<'a>>,
    /// this call's stimulus, `nsteps × N`
    stim: Option<&'a [f64]>,
    /// coupling of the proxy regions, `nsteps × P × nt`
    cpl_out: Option<RawBuf<f64>>,
}

/// Balanced contiguous row ranges: about equal edges plus rows each.
fn partition(row_start: &[usize], parts: usize) -> Vec<Range<usize>> {
    let n = row_start.len() - 1;
    let parts = parts.clamp(1, n.max(1));
    let cost = |i: usize| row_start[i] + 8 * i; // edges + a row's own work
    let total = cost(n);
    let mut out = vec![];
    let mut a = 0;
    for p in 1..=parts {
        let target = total * p / parts;
        let mut b = a;
        while b < n && (cost(b) < target || p == parts) {
            b += 1;
        }
        out.push(a..b);
        a = b;
    }
    out.retain(|r| !r.is_empty());
    out
}

impl<M: Dfun> Engine<M> {
    /// `threads` parts (0: [`auto_threads`]'s count, each call then stepped
    /// on one thread or in parts as measured, [`ThreadChoice`]).
    fn new(m: M, cfg: &MeanFieldConfig, s: Structure, x0: Vec<f64>, threads: usize) -> Self {
        let auto = threads == 0;
        let threads = if auto {
            auto_threads(s.col.len() * cfg.model.cvar.len(), s.n)
        } else {
            threads
        };
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
        let noise = cfg.noise.as_ref().map(|nz| {
            let mut rng = match nz.stream {
                NoiseStream::Numpy => NoiseRng::Numpy(Box::new(NumpyRandomState::new(nz.seed))),
                NoiseStream::Philox { seed, combination } => {
                    NoiseRng::Philox(crate::philox::key(seed, combination))
                }
            };
            // tvb-library draws coloured noise's initial η at configure
            // time, before any step's deviates (`check_ntau` refused
            // coloured noise on the Philox stream)
            let coloured = match &mut rng {
                NoiseRng::Numpy(r) if nz.ntau_ms > 0.0 => {
                    let mut c = ColouredNoise::new(cfg.dt_ms, nz.ntau_ms, r, nv * n);
                    let modes = cfg.model.modes;
                    c.mode_order(nv / modes, n, modes);
                    Some(c)
                }
                _ => None,
            };
            NoiseState {
                rng,
                scale: coloured
                    .as_ref()
                    .map_or(cfg.dt_ms.sqrt(), ColouredNoise::scale),
                coloured,
                kind: nz.kind.clone(),
                // one nsig applies to the model's noisy variables (every one
                // unless its declaration names some); one per variable as given
                g: (0..nv)
                    .map(|k| match (nz.nsig.len(), info.noise) {
                        (1, Some(noisy)) if !noisy.contains(&k) => 0.0,
                        (1, _) => (2.0 * nz.nsig[0]).sqrt(),
                        _ => (2.0 * nz.nsig[k]).sqrt(),
                    })
                    .collect(),
                z: vec![],
            }
        });
        let batched = batched(cfg.coupling.kind);
        let parts = partition(&s.row_start, threads);
        let np = parts.len();
        let sync_per_batch = batched && s.near_within(&parts);
        tracing::debug!(
            batch_steps = s.b,
            parts = np,
            sync_per_batch,
            near_rows = s.row_near.iter().filter(|b| **b).count(),
            near_edges = s.near.len(),
            stored_subtrees = s.near_prog.stored_base[s.n],
            "mean-field engine layout"
        );
        Self {
            m,
            info,
            coupling: cfg.coupling.clone(),
            nv,
            nt,
            dt: cfg.dt_ms,
            cvar: info.cvar.to_vec(),
            stvar: info.stimulus.to_vec(),
            lo: info.bounds.iter().map(|b| b.0).collect(),
            hi: info.bounds.iter().map(|b| b.1).collect(),
            bounded: info.has_bounds(),
            scheme: cfg.scheme,
            labels: cfg.connectivity.labels.clone(),
            parts,
            hist,
            tmp: vec![0.0; n * nv],
            k: std::array::from_fn(|_| vec![0.0; n * nv]),
            eta: vec![0.0; n * nv],
            c: vec![0.0; n * nt],
            x,
            noise,
            prod32: vec![0.0; np * n],
            prod64: vec![0.0; np * n],
            batch_sums: if batched {
                vec![Lanes8::default(); s.ncv * s.n * (s.b / LANES)]
            } else {
                vec![]
            },
            batch_steps: if batched {
                vec![0.0; s.ncv * s.b * s.near_prog.stored_base[s.n]]
            } else {
                vec![]
            },
            batch_k: 0,
            sync_per_batch,
            choice: (auto && np > 1).then(ThreadChoice::new),
            step: 0,
            proxy_slot: {
                let mut v = vec![u32::MAX; n];
                for (k, &p) in cfg.proxy_nodes.iter().enumerate() {
                    v[p] = k as u32;
                }
                v
            },
            n_proxy: cfg.proxy_nodes.len(),
            coupling_every: false,
            decl: match cfg.coupling.declared() {
                Some((prog, ev)) => (0..np)
                    .map(|_| {
                        let reads = prog.combine.max(1);
                        let slot = |side: &str, k: usize| {
                            if prog.combine > 0 {
                                prog.input(&format!("{side}[{k}]"))
                            } else {
                                prog.input(side)
                            }
                        };
                        Mutex::new(DeclScratch {
                            scratch: ev.scratch(),
                            inputs: vec![0.0; ev.n_inputs() * DECL_BLOCK],
                            pre: vec![0.0; DECL_BLOCK],
                            p32: vec![0.0; s.n],
                            p64: vec![0.0; s.n],
                            slot_i: (0..reads).map(|k| slot("x_i", k)).collect(),
                            slot_j: (0..reads).map(|k| slot("x_j", k)).collect(),
                        })
                    })
                    .collect(),
                None => vec![],
            },
            s,
        }
    }
}

impl<M: Dfun> StepCtx<'_, M> {
    /// One step for the rows (regions) `r`, the `p`-th part: coupling of the
    /// rows, integration of their regions, their history and output. Reads
    /// the history of every region, but never the slot being written this
    /// step (the ring has a spare slot); writes only what belongs to `r`.
    ///
    /// # Safety
    /// Parts stepped concurrently must be disjoint, and each step's history
    /// must be published (a barrier) before the next step reads it.
    unsafe fn step_part(
        &self,
        p: usize,
        r: Range<usize>,
        s: usize,
        st: u64,
        kb: usize,
    ) -> Option<Divergence> {
        unsafe {
            self.coupling_rows(p, r.clone(), s, st, kb);
            self.integrate_rows(r.clone(), s);
            self.commit_rows(r, s, st + 1)
        }
    }

    /// Coupling `c[n]` of rows `r` from the history at step `st`.
    unsafe fn coupling_rows(&self, p: usize, r: Range<usize>, s_call: usize, st: u64, kb: usize) {
        let e = self.e;
        let s = &e.s;
        let n = s.n;
        let h2 = 2 * s.h;
        let w = (st % s.h as u64) as usize;
        let ncv = s.ncv;
        let nt = e.nt;
        let cp = &e.coupling;
        let hist = &self.hist;
        let c = unsafe { self.c.part(r.start * nt..r.end * nt) };
        let c0 = r.start * nt;
        let buf = unsafe { self.prod32.part(p * n..(p + 1) * n) };
        match cp.kind {
            CouplingKind::SigmoidalJansenRit => {
                // dense, as Sigmoidal below, in float64: a zero weight's
                // product is 0·pre(0, 0) = +0
                let blk = n * h2;
                let buf = unsafe { self.prod64.part(p * n..(p + 1) * n) };
                for i in r.clone() {
                    for (q, &ed) in buf.iter_mut().zip(&s.dense_edge[i * n..(i + 1) * n]) {
                        *q = match ed {
                            u32::MAX => 0.0,
                            ed => {
                                let ed = ed as usize;
                                let idx = s.off[ed] as usize + w;
                                let (y1, y2) = unsafe { (hist.get(idx), hist.get(blk + idx)) };
                                s.w32[ed] as f64 * cp.pre_sjr(y1, y2)
                            }
                        };
                    }
                    c[i * nt - c0] = cp.post(reduce(&buf[..n]), ncv);
                }
            }
            CouplingKind::HyperbolicTangent => {
                // sparse, float64 pre and products, float64 reduceat,
                // stored in float32 by TVB (`zeros_like(x_i)`), post = gx
                let buf = unsafe { self.prod64.part(p * n..(p + 1) * n) };
                for ci in 0..ncv {
                    let blk = ci * n * h2;
                    for i in r.clone() {
                        let (a, b) = (s.row_start[i], s.row_start[i + 1]);
                        for ((q, wt), off) in buf.iter_mut().zip(&s.w32[a..b]).zip(&s.off[a..b]) {
                            *q = *wt as f64
                                * cp.pre_tanh(unsafe { hist.get(blk + *off as usize + w) });
                        }
                        let gx = reduceat(&buf[..b - a]) as f32;
                        c[i * nt + ci - c0] = cp.post(gx as f64, ncv);
                    }
                }
            }
            CouplingKind::PreSigmoidal => {
                // tvb-library 2.10's own `__call__` (module doc), its terms
                // walked by `presigmoidal_sum::Terms`
                let terms = presigmoidal_sum::Terms { s, hist, w };
                let (dynamic, theta) = (cp.presigmoidal_dynamic(), cp.presig_theta());
                for t in 0..nt {
                    for j in r.clone() {
                        c[j * nt + t - c0] = if dynamic && t == 1 {
                            let (x, th) = unsafe { terms.direct(j) };
                            cp.presig(cp.presig_arg(x, th))
                        } else {
                            let mut acc = 0.0f64;
                            unsafe {
                                terms.each(j, t, dynamic, theta, |wt, x, th| {
                                    acc += wt as f64 * cp.presig(cp.presig_arg(x, th))
                                })
                            };
                            acc
                        };
                    }
                }
            }
            CouplingKind::Declared
                if cp
                    .declared()
                    .is_some_and(|(p, _)| p.sum == Sum::PreSigmoidal) =>
            {
                // a user's declaration summed as tvb-library 2.10's
                // PreSigmoidal: its `pre` over the same terms
                if let Some((prog, ev)) = cp.declared() {
                    let mut guard = e.decl[p].lock().unwrap_or_else(|e| e.into_inner());
                    let terms = presigmoidal_sum::Terms { s, hist, w };
                    let values = cp.params.values();
                    unsafe {
                        presigmoidal_sum::declared_rows(
                            &terms,
                            prog,
                            ev,
                            &mut guard,
                            values,
                            r.clone(),
                            nt,
                            c,
                            c0,
                        )
                    };
                }
            }
            CouplingKind::Sigmoidal => {
                // tvb-library's dense `Coupling.__call__`: `(g_ij * x_j).sum(axis=2)`
                // over all N sources (zero weights included, which changes
                // numpy's pairwise grouping), in float32, from 0 (numpy's
                // `add.reduce`).
                for ci in 0..ncv {
                    let blk = ci * n * h2;
                    for i in r.clone() {
                        for (q, &ed) in buf.iter_mut().zip(&s.dense_edge[i * n..(i + 1) * n]) {
                            *q = match ed {
                                u32::MAX => 0.0f32,
                                ed => {
                                    let ed = ed as usize;
                                    s.w32[ed] * unsafe { hist.get(blk + s.off[ed] as usize + w) }
                                }
                            };
                        }
                        c[i * nt + ci - c0] = cp.post(reduce(&buf[..n]) as f64, ncv);
                    }
                }
            }
            CouplingKind::Linear | CouplingKind::Scaling => {
                // A batch of `b` steps at once. At the first step of a batch,
                // rows whose every delay reaches past the batch read each
                // edge's `b` history values (contiguous) and sum them eight
                // steps per lane group, the products computed as they are
                // summed; rows with a shorter delay sum and store there, in
                // lanes, every part of numpy's summation tree without a
                // near edge, and add the near products along their paths
                // step by step ([`near_sum`]). Lane k performs exactly the
                // float32 additions of step k alone, in numpy's order.
                let bl = s.b;
                let kk = bl / LANES;
                let np = &s.near_prog;
                let (qa, qb) = (np.stored_base[r.start], np.stored_base[r.end]);
                let ns = np.stored_base[n];
                for ci in 0..ncv {
                    let blk = ci * n * h2;
                    let sums = unsafe {
                        self.batch_sums
                            .part((ci * n + r.start) * kk..(ci * n + r.end) * kk)
                    };
                    let stored = unsafe {
                        self.batch_steps
                            .part((ci * ns + qa) * bl..(ci * ns + qb) * bl)
                    };
                    if kb == 0 {
                        // SAFETY: far edges read values older than any step
                        // being written now (ring length h ≥ d_max + b + 1)
                        unsafe {
                            gather_far_rows(s, r.clone(), hist.at(blk + w), sums);
                            near_sum::store_far_subtrees(s, r.clone(), hist.at(blk + w), stored);
                        }
                    }
                    for i in r.clone() {
                        let gx = if s.row_near[i] {
                            let a = s.row_start[i];
                            let q0 = (np.stored_base[i] - qa) * bl + kb;
                            near_sum::step_sum(
                                &np.step[np.step_start[i]..np.step_start[i + 1]],
                                // SAFETY: a near edge reads a step already
                                // written (d ≥ 0: this step or earlier)
                                &|q| {
                                    let ed = a + q;
                                    s.w32[ed] * unsafe { hist.get(blk + s.off[ed] as usize + w) }
                                },
                                &|q| stored[q0 + q * bl],
                                buf,
                            )
                        } else {
                            sums[(i - r.start) * kk + kb / LANES].0[kb % LANES]
                        };
                        c[i * nt + ci - c0] = cp.post(gx as f64, ncv);
                    }
                }
            }
            CouplingKind::Declared => {
                // a user's declaration (`crate::user_coupling`): `pre` over
                // the row's connections in blocks (sparse: its non-zero
                // weights, ascending; dense: every source, x_j = 0 and
                // w = 0 where there is no connection), products in `pre`'s
                // type, summed as numpy's reduceat (sparse) or sum (dense),
                // a sparse numpy sum stored in float32, then `post(gx)`
                let Some((prog, ev)) = cp.declared() else {
                    return;
                };
                let mut guard = e.decl[p].lock().unwrap_or_else(|e| e.into_inner());
                let d = &mut *guard;
                let dense = prog.sum == Sum::Dense;
                let f32_products = prog.product_ty == Ty::F32;
                let round_gx = !dense && prog.precision == Precision::Numpy;
                let terms = if prog.combine > 0 { 1 } else { ncv };
                let reads = prog.combine.max(1);
                for t in 0..terms {
                    for i in r.clone() {
                        let a = s.row_start[i];
                        let m_edges = if dense { n } else { s.row_start[i + 1] - a };
                        let mut done = 0;
                        while done < m_edges {
                            let m = DECL_BLOCK.min(m_edges - done);
                            for k in 0..reads {
                                // the coupled variable read: term t, or the k-th
                                let v = if prog.combine > 0 { k } else { t };
                                let blk = v * n * h2;
                                if let Some(si) = d.slot_i[k] {
                                    let xi = f64::from(unsafe { hist.get(blk + i * h2 + w) });
                                    d.inputs[si * DECL_BLOCK..si * DECL_BLOCK + m].fill(xi);
                                }
                                if let Some(sj) = d.slot_j[k] {
                                    for q in 0..m {
                                        let ed = if dense {
                                            s.dense_edge[i * n + done + q]
                                        } else {
                                            (a + done + q) as u32
                                        };
                                        d.inputs[sj * DECL_BLOCK + q] = match ed {
                                            u32::MAX => 0.0,
                                            ed => f64::from(unsafe {
                                                hist.get(blk + s.off[ed as usize] as usize + w)
                                            }),
                                        };
                                    }
                                }
                            }
                            ev.pre_block(&mut d.scratch, &d.inputs, m, &mut d.pre);
                            for q in 0..m {
                                let wt = if dense {
                                    match s.dense_edge[i * n + done + q] {
                                        u32::MAX => 0.0f32,
                                        ed => s.w32[ed as usize],
                                    }
                                } else {
                                    s.w32[a + done + q]
                                };
                                if f32_products {
                                    d.p32[done + q] = wt * d.pre[q] as f32;
                                } else {
                                    d.p64[done + q] = wt as f64 * d.pre[q];
                                }
                            }
                            done += m;
                        }
                        let gx = match (dense, f32_products) {
                            (false, true) => reduceat(&d.p32[..m_edges]) as f64,
                            (false, false) => reduceat(&d.p64[..m_edges]),
                            (true, true) => reduce(&d.p32[..m_edges]) as f64,
                            (true, false) => reduce(&d.p64[..m_edges]),
                        };
                        let gx = if round_gx { gx as f32 as f64 } else { gx };
                        c[i * nt + t - c0] = ev.post(&mut d.scratch, &mut d.inputs, gx, ncv as f64);
                    }
                }
            }
            CouplingKind::Difference | CouplingKind::Kuramoto => {
                for ci in 0..ncv {
                    let blk = ci * n * h2;
                    for i in r.clone() {
                        let xi = unsafe { hist.get(blk + i * h2 + w) };
                        let (a, b) = (s.row_start[i], s.row_start[i + 1]);
                        for ((q, wt), off) in buf.iter_mut().zip(&s.w32[a..b]).zip(&s.off[a..b]) {
                            *q = wt * cp.pre32(xi, unsafe { hist.get(blk + *off as usize + w) });
                        }
                        c[i * nt + ci - c0] = cp.post(reduceat(&buf[..b - a]) as f64, ncv);
                    }
                }
            }
        }
        if let (Some(co), true) = (&self.cpl_out, self.e.coupling_every) {
            let n = self.e.s.n;
            for i in r.clone() {
                for t in 0..nt {
                    unsafe { co.set((s_call * n + i) * nt + t, c[i * nt + t - c0]) };
                }
            }
        } else if let Some(co) = &self.cpl_out {
            let np = self.e.n_proxy;
            for i in r.clone() {
                let slot = self.e.proxy_slot[i];
                if slot != u32::MAX {
                    for t in 0..nt {
                        let at = (s_call * np + slot as usize) * nt + t;
                        unsafe { co.set(at, c[i * nt + t - c0]) };
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn eval(m: &M, first: usize, nv: usize, nt: usize, x: &[f64], c: &[f64], dx: &mut [f64]) {
        m.dfun_rows(first, nv, nt, x, c, dx);
    }

    /// One integration step of the regions `r` (step `s` of this call). The
    /// noise increment is tvb-library's `sqrt(dt)·z·g(x)` (`noise *= gfun(X)`),
    /// `dt·sqrt(1/τ)·η·g(x)` for coloured noise (η in place of z, see
    /// [`ColouredNoise`]); a stimulus enters as [`StimulusInput`] says.
    unsafe fn integrate_rows(&self, r: Range<usize>, s: usize) {
        let e = self.e;
        let r0 = r.start;
        let (nv, nt, dt) = (e.nv, e.nt, e.dt);
        let n = e.s.n;
        let rv = r.start * nv..r.end * nv;
        let (x, tmp, eta) = unsafe {
            (
                self.x.part(rv.clone()),
                self.tmp.part(rv.clone()),
                self.eta.part(rv.clone()),
            )
        };
        let [k1, k2, k3, k4] = &self.k;
        let (k1, k2, k3, k4) = unsafe {
            (
                k1.part(rv.clone()),
                k2.part(rv.clone()),
                k3.part(rv.clone()),
                k4.part(rv.clone()),
            )
        };
        let c = unsafe { self.c.part(r.start * nt..r.end * nt) };
        let stochastic = match &e.noise {
            Some(nz) => {
                let z = &self.z[s * nv * n..(s + 1) * nv * n];
                for (li, i) in r.clone().enumerate() {
                    for k in 0..nv {
                        let raw = nz.scale * z[k * n + i];
                        let g = match nz.kind {
                            NoiseKind::Additive => nz.g[k],
                            NoiseKind::Multiplicative { a, b } => {
                                nz.g[k] * (a * x[li * nv + k] + b)
                            }
                        };
                        eta[li * nv + k] = raw * g;
                    }
                }
                true
            }
            None => false,
        };
        let (lo, hi, bounded) = (&e.lo[..], &e.hi[..], e.bounded);
        // this step's stimulus of the rows, if any: (row, variable) slots
        let stim = self.stim.map(|v| &v[s * n + r.start..s * n + r.end]);
        let stim_slots = |f: &mut dyn FnMut(usize, f64)| {
            if let Some(u) = stim {
                for (li, &ui) in u.iter().enumerate() {
                    for &v in &e.stvar {
                        f(li * nv + v, ui);
                    }
                }
            }
        };
        // `x + dt·u` after the scheme's last addition (tvb-library's `+ self.dt * stimulus`)
        let add_stim = |x: &mut [f64]| stim_slots(&mut |i, u| x[i] += dt * u);
        match e.scheme {
            Scheme::Euler => {
                Self::eval(&e.m, r0, nv, nt, x, c, k1);
                if stochastic {
                    for ((x, k), h) in x.iter_mut().zip(k1.iter()).zip(eta.iter()) {
                        *x = *x + *k * dt + *h;
                    }
                    add_stim(x);
                } else {
                    // X + dt·(dX + stimulus)
                    stim_slots(&mut |i, u| k1[i] += u);
                    for (x, k) in x.iter_mut().zip(k1.iter()) {
                        *x += dt * *k;
                    }
                }
            }
            Scheme::Heun => {
                Self::eval(&e.m, r0, nv, nt, x, c, k1);
                if stochastic {
                    for (((t, x), k), h) in
                        tmp.iter_mut().zip(x.iter()).zip(k1.iter()).zip(eta.iter())
                    {
                        *t = *x + dt * *k + *h;
                    }
                    add_stim(tmp);
                } else {
                    for ((t, x), k) in tmp.iter_mut().zip(x.iter()).zip(k1.iter()) {
                        *t = *x + dt * *k;
                    }
                    // X + dt·(dX + stimulus)
                    stim_slots(&mut |i, u| tmp[i] = x[i] + dt * (k1[i] + u));
                }
                clamp_with(lo, hi, bounded, nv, tmp);
                Self::eval(&e.m, r0, nv, nt, tmp, c, k2);
                if stochastic {
                    for (((x, a), b), h) in
                        x.iter_mut().zip(k1.iter()).zip(k2.iter()).zip(eta.iter())
                    {
                        let dx = (*a + *b) * dt / 2.0;
                        *x = *x + dx + *h;
                    }
                } else {
                    for ((x, a), b) in x.iter_mut().zip(k1.iter()).zip(k2.iter()) {
                        let dx = (*a + *b) * dt / 2.0;
                        *x += dx;
                    }
                }
                add_stim(x);
            }
            Scheme::Rk4 => {
                let dt2 = dt / 2.0;
                let dt6 = dt / 6.0;
                Self::eval(&e.m, r0, nv, nt, x, c, k1);
                for ((t, x), k) in tmp.iter_mut().zip(x.iter()).zip(k1.iter()) {
                    *t = *x + dt2 * *k;
                }
                clamp_with(lo, hi, bounded, nv, tmp);
                Self::eval(&e.m, r0, nv, nt, tmp, c, k2);
                for ((t, x), k) in tmp.iter_mut().zip(x.iter()).zip(k2.iter()) {
                    *t = *x + dt2 * *k;
                }
                clamp_with(lo, hi, bounded, nv, tmp);
                Self::eval(&e.m, r0, nv, nt, tmp, c, k3);
                for ((t, x), k) in tmp.iter_mut().zip(x.iter()).zip(k3.iter()) {
                    *t = *x + dt * *k;
                }
                clamp_with(lo, hi, bounded, nv, tmp);
                Self::eval(&e.m, r0, nv, nt, tmp, c, k4);
                for (i, x) in x.iter_mut().enumerate() {
                    let dx = dt6 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
                    *x = if stochastic {
                        *x + dx + eta[i]
                    } else {
                        *x + dx
                    };
                }
                add_stim(x);
            }
        }
        clamp_with(lo, hi, bounded, nv, x);
    }

    /// Writes the new state of regions `r` (after step `st`, step `s` of this
    /// call) into the history and the output; returns the first non-finite
    /// value (lowest region, then variable).
    unsafe fn commit_rows(&self, r: Range<usize>, s: usize, st: u64) -> Option<Divergence> {
        let e = self.e;
        let (n, nv, h) = (e.s.n, e.nv, e.s.h);
        let x = unsafe { self.x.part(r.start * nv..r.end * nv) };
        if let Some(px) = &self.proxy {
            if px.present[s] {
                let (np, vi) = (e.n_proxy, px.vars.len());
                for i in r.clone() {
                    let slot = e.proxy_slot[i];
                    if slot != u32::MAX {
                        for (v, &sv) in px.vars.iter().enumerate() {
                            x[(i - r.start) * nv + sv] =
                                px.values[(s * np + slot as usize) * vi + v];
                        }
                    }
                }
            }
        }
        let w = (st % h as u64) as usize;
        for (ci, &cv) in e.cvar.iter().enumerate() {
            for i in r.clone() {
                let v = x[(i - r.start) * nv + cv] as f32;
                let base = (ci * n + i) * 2 * h;
                unsafe {
                    self.hist.set(base + w, v);
                    self.hist.set(base + w + h, v);
                }
            }
        }
        let mut bad = None;
        let ob = s * nv * n;
        for (li, xs) in x.chunks_exact(nv).enumerate() {
            for (kk, &v) in xs.iter().enumerate() {
                unsafe { self.out.set(ob + kk * n + r.start + li, v) };
                if !v.is_finite() && bad.is_none() {
                    bad = Some((st, r.start + li, kk, v));
                }
            }
        }
        bad
    }
}

impl<M: Dfun> Stepper for Engine<M> {
    fn save(&self) -> EngineState {
        let (numpy, coloured) = match &self.noise {
            Some(nz) => (
                match &nz.rng {
                    NoiseRng::Numpy(r) => Some(r.get_state()),
                    NoiseRng::Philox(_) => None,
                },
                nz.coloured.as_ref().map(|c| c.eta().to_vec()),
            ),
            None => (None, None),
        };
        EngineState {
            step: self.step,
            batch_k: self.batch_k,
            x: self.x.clone(),
            hist: self.hist.clone(),
            c: self.c.clone(),
            eta: self.eta.clone(),
            batch_sums: self.batch_sums.iter().flat_map(|l| l.0).collect(),
            batch_steps: self.batch_steps.clone(),
            numpy,
            coloured,
        }
    }

    fn restore(&mut self, st: &EngineState) -> Result<(), String> {
        let same = |what: &str, a: usize, b: usize| {
            if a == b {
                Ok(())
            } else {
                Err(format!(
                    "the saved {what} has {a} values, this network {b}: not the same network"
                ))
            }
        };
        same("state", st.x.len(), self.x.len())?;
        same("history", st.hist.len(), self.hist.len())?;
        same("coupling", st.c.len(), self.c.len())?;
        same("noise terms", st.eta.len(), self.eta.len())?;
        same(
            "batch sums",
            st.batch_sums.len(),
            self.batch_sums.len() * LANES,
        )?;
        same(
            "batch products",
            st.batch_steps.len(),
            self.batch_steps.len(),
        )?;
        if st.batch_k >= self.s.b.max(1) {
            return Err(format!("batch position {} ≥ {}", st.batch_k, self.s.b));
        }
        match (self.noise.as_mut(), &st.numpy, &st.coloured) {
            (None, None, None) => {}
            (Some(nz), numpy, coloured) => {
                match (&mut nz.rng, numpy) {
                    (NoiseRng::Numpy(r), Some((mt, idx, g))) => r.set_state(mt, *idx, *g)?,
                    (NoiseRng::Philox(_), None) => {}
                    _ => return Err("the saved noise generator is of another stream".into()),
                }
                match (nz.coloured.as_mut(), coloured) {
                    (Some(c), Some(eta)) => c.set_eta(eta)?,
                    (None, None) => {}
                    _ => {
                        return Err(
                            "the saved noise is coloured where this is not, or the reverse".into(),
                        )
                    }
                }
            }
            _ => {
                return Err("the saved run is stochastic where this is not, or the reverse".into())
            }
        }
        self.step = st.step;
        self.batch_k = st.batch_k;
        self.x.copy_from_slice(&st.x);
        self.hist.copy_from_slice(&st.hist);
        self.c.copy_from_slice(&st.c);
        self.eta.copy_from_slice(&st.eta);
        for (l, v) in self
            .batch_sums
            .iter_mut()
            .zip(st.batch_sums.chunks_exact(LANES))
        {
            l.0.copy_from_slice(v);
        }
        self.batch_steps.copy_from_slice(&st.batch_steps);
        Ok(())
    }

    fn run(
        &mut self,
        nsteps: usize,
        out: &mut [f64],
        proxy: Option<ProxyInput<'_>>,
        coupling_out: Option<&mut [f64]>,
        stimulus: Option<StimulusInput<'_>>,
    ) -> Result<(), ModelError> {
        let (n, nv) = (self.s.n, self.nv);
        // this call's noise, drawn in tvb-library's order before any step
        let mut z = vec![];
        if let Some(nz) = self.noise.as_mut() {
            z = std::mem::take(&mut nz.z);
            z.resize(nsteps * nv * n, 0.0);
            match &mut nz.rng {
                NoiseRng::Numpy(r) => {
                    r.fill_normal(&mut z);
                    // a model with modes: tvb-library draws (nvar, N, modes)
                    let modes = self.info.modes;
                    crate::noise::tvb_mode_order(&mut z, nv / modes, n, modes);
                    // coloured: each step's normals become that step's η,
                    // in order (the process does not depend on the state)
                    if let Some(c) = nz.coloured.as_mut() {
                        for zs in z.chunks_exact_mut(nv * n) {
                            c.advance(zs);
                        }
                    }
                }
                NoiseRng::Philox(key) => {
                    for (s, zs) in z.chunks_exact_mut(nv * n).enumerate() {
                        let t = (self.step + s as u64) as u32;
                        for k in 0..nv {
                            for i in 0..n {
                                zs[k * n + i] = crate::philox::gauss(*key, t, i as u32, k as u32);
                            }
                        }
                    }
                }
            }
        }
        let st0 = self.step;
        let kb0 = self.batch_k;
        // threads pay only over enough steps to amortise their start; with
        // an automatic count, only where they were measured to pay
        let mode = match &self.choice {
            _ if nsteps < 32 || self.parts.len() == 1 => Mode::One,
            Some(c) => c.next(),
            None => Mode::Parts,
        };
        let parts: Vec<Range<usize>> = match mode {
            Mode::Parts => self.parts.clone(),
            Mode::One => std::iter::once(0..n).collect(),
        };
        let started = std::time::Instant::now();
        let np = parts.len();
        let stop = AtomicU64::new(u64::MAX);
        let found: std::sync::Mutex<Option<Divergence>> = std::sync::Mutex::new(None);
        let barrier = SpinBarrier::new(np);
        {
            let [k1, k2, k3, k4] = &mut self.k;
            let k = [
                RawBuf::new(k1),
                RawBuf::new(k2),
                RawBuf::new(k3),
                RawBuf::new(k4),
            ];
            let (hist, x, tmp, eta, c) = (
                RawBuf::new(&mut self.hist),
                RawBuf::new(&mut self.x),
                RawBuf::new(&mut self.tmp),
                RawBuf::new(&mut self.eta),
                RawBuf::new(&mut self.c),
            );
            let (prod32, prod64) = (RawBuf::new(&mut self.prod32), RawBuf::new(&mut self.prod64));
            let (batch_sums, batch_steps) = (
                RawBuf::new(&mut self.batch_sums),
                RawBuf::new(&mut self.batch_steps),
            );
            let ctx = StepCtx {
                e: &*self,
                hist,
                x,
                tmp,
                k,
                eta,
                c,
                prod32,
                prod64,
                batch_sums,
                batch_steps,
                out: RawBuf::new(out),
                z: &z,
                proxy,
                stim: stimulus.map(|st| st.values),
                cpl_out: coupling_out.map(RawBuf::new),
            };
            // Parts meet before every step, or only before the first step
            // of each batch when no part reads another's history within a
            // batch ([`Structure::near_within`]).
            let per_batch = self.sync_per_batch;
            let bl = self.s.b;
            let work = |p: usize, r: Range<usize>| {
                for s in 0..nsteps {
                    let st = st0 + s as u64;
                    let kb = (kb0 + s) % bl;
                    if np > 1 && per_batch && kb == 0 && s > 0 {
                        barrier.wait();
                        if stop.load(Ordering::Acquire) <= st {
                            break;
                        }
                    }
                    // SAFETY: the parts are disjoint row ranges; a barrier
                    // publishes the history a step reads from other parts
                    // before it reads it (every step's, or, per batch, the
                    // far edges' values, written before the batch began).
                    if let Some(d) = unsafe { ctx.step_part(p, r.clone(), s, st, kb) } {
                        stop.fetch_min(d.0, Ordering::AcqRel);
                        let mut f = found.lock().unwrap_or_else(|e| e.into_inner());
                        *f = match *f {
                            Some(b) if (b.0, b.1, b.2) <= (d.0, d.1, d.2) => Some(b),
                            _ => Some(d),
                        };
                    }
                    if np > 1 && !per_batch {
                        barrier.wait();
                    }
                    if (np == 1 || !per_batch) && stop.load(Ordering::Acquire) <= st + 1 {
                        break;
                    }
                }
            };
            if np == 1 {
                work(0, parts[0].clone());
            } else {
                std::thread::scope(|sc| {
                    for (p, r) in parts.iter().enumerate().skip(1) {
                        let r = r.clone();
                        let work = &work;
                        sc.spawn(move || work(p, r));
                    }
                    work(0, parts[0].clone());
                });
            }
        }
        let result = found.into_inner().unwrap_or_else(|e| e.into_inner());
        let done = match result {
            Some(d) => (d.0 - 1 - st0) as usize,
            None => nsteps,
        };
        if let (Some(c), true) = (self.choice.as_mut(), nsteps >= 32 && done == nsteps) {
            c.record(mode, started.elapsed().as_secs_f64() / nsteps as f64);
        }
        if let Some(nz) = self.noise.as_mut() {
            nz.z = z;
        }
        // a diverged step is not taken
        self.step = st0 + done as u64;
        self.batch_k = (kb0 + done) % self.s.b;
        match result {
            Some(d) => Err(self.diverged(d)),
            None => Ok(()),
        }
    }

    fn steps_done(&self) -> u64 {
        self.step
    }

    fn set_coupling_of_every_region(&mut self, every: bool) {
        self.coupling_every = every;
    }

    fn coupling_of_every_region(&self) -> bool {
        self.coupling_every
    }

    fn set_coupling(&mut self, c: Coupling) {
        self.coupling = c;
    }

    fn set_model_params(&mut self, params: &ParamSet) -> Result<(), String> {
        /// The model built from the new parameters, as `Any` to be
        /// downcast to this engine's model type.
        struct Rebuild;
        impl crate::models::ModelVisitor for Rebuild {
            type Out = Box<dyn std::any::Any + Send>;
            fn visit<N: Dfun>(self, m: N) -> Self::Out {
                Box::new(m)
            }
        }
        let m = crate::models::with_model(self.info, params, Rebuild);
        self.m = *m.downcast::<M>().map_err(|_| {
            format!(
                "{}'s parameters would change form (one value for every region, or one per region) during the run",
                self.info.name
            )
        })?;
        Ok(())
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

impl<M: Dfun> Engine<M> {
    fn diverged(&self, d: Divergence) -> ModelError {
        ModelError::Diverged {
            step: d.0,
            time_ms: d.0 as f64 * self.dt,
            region: d.1,
            label: self.labels[d.1].clone(),
            variable: self.info.state_variables[d.2],
            value: d.3,
        }
    }
}

fn clamp_with(lo: &[f64], hi: &[f64], bounded: bool, nv: usize, x: &mut [f64]) {
    if bounded {
        for xs in x.chunks_exact_mut(nv) {
            for k in 0..nv {
                // tvb-library: x[x < lo] = lo; x[x > hi] = hi
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectivity::Matrix;

    /// The gather compiled for AVX2, for AVX-512 (16 and 32 steps per
    /// pass) and the portable one give the same bits (the reference tests
    /// run whichever this CPU picks).
    #[test]
    fn the_gather_is_the_same_on_every_instruction_set() {
        let n = 150;
        let (mut w, mut l) = (vec![0.0; n * n], vec![0.0; n * n]);
        for i in 0..n {
            for j in 0..n {
                let k = (i * 7919 + j * 104_729) % 1000;
                if i != j && (k < 600 || i < 3) {
                    w[i * n + j] = 0.5 + k as f64 * 1e-3;
                }
                l[i * n + j] = 12.0 + (k % 190) as f64;
            }
        }
        let m = |data| Matrix {
            rows: n,
            cols: n,
            data,
        };
        let c = Connectivity::from_parts(m(w), m(l), None, None, "t").unwrap();
        let delays = c.delays_steps(3.0, 0.1).unwrap();
        let s = Structure::new(&c, &delays, 1, false, true, &vec![false; n]);
        assert_eq!(s.b, 32);
        let hist: Vec<f32> = (0..n * 2 * s.h)
            .map(|k| ((k * 31) % 977) as f32 * 1.3e-3 - 0.4)
            .collect();
        let kk = s.b / LANES;
        let gather = |f: unsafe fn(&Structure, Range<usize>, *const f32, &mut [Lanes8])| {
            let mut sums = vec![Lanes8::default(); n * kk];
            // SAFETY: position 5 < h; far edges only read inside the ring
            unsafe { f(&s, 0..n, hist.as_ptr().add(5), &mut sums) };
            sums.iter()
                .flat_map(|l| l.0.map(f32::to_bits))
                .collect::<Vec<u32>>()
        };
        let portable = gather(gather_far_rows_impl);
        assert!(portable.iter().any(|b| *b != 0));
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            assert_eq!(portable, gather(gather_far_rows_avx2));
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            assert_eq!(portable, gather(gather_far_rows_avx512));
        }
        // the wide lane groups without AVX-512 (16 and 32 steps per pass)
        assert_eq!(portable, gather(gather_far_rows_wide::<16>));
        assert_eq!(portable, gather(gather_far_rows_wide::<32>));
        assert_eq!(portable, gather(gather_far_rows));
    }
}
