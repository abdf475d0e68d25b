//! `gif_cond_exp`: the generalized integrate-and-fire neuron (Mensi et al.
//! 2012, Pozzorini et al. 2015) with exponential conductances, as NEST
//! 3.10's model of the same name: spike-triggered currents (stc), a moving
//! threshold (sfa) and stochastic escape-rate firing.
//!
//! ```text
//! C_m·dV/dt = −g_L(V − E_L) + I_stim + I_e − g_ex(V − E_ex) − g_in(V − E_in) − η
//! dg_x/dt   = −g_x/τ_syn,x            (a spike of weight w adds |w| nS to g_x)
//! η   = Σ_k stc_k,  stc_k decays with τ_stc,k, += q_stc,k at each spike   (pA)
//! V_T = V_T* + Σ_k sfa_k,  sfa_k decays with τ_sfa,k, += q_sfa,k at each spike (mV)
//! λ   = λ₀·exp((V − V_T)/Δ_V);  P(spike in a step h) = 1 − exp(−λ·h)
//! ```
//!
//! Per step, in NEST's order: η and V_T are summed from the elements,
//! which then decay by exp(−h/τ); V, g_ex, g_in are integrated over the
//! step (GSL RKF45, absolute tolerance `gsl_error_tol`, the adapted step
//! carried across steps, η and I_stim constant); the conductance jumps of
//! the spikes delivered in this step are added; then, if not refractory
//! and λ > 0, a uniform draw u fires when u < −expm1(−λ·h), adding q_stc
//! and q_sfa to the elements and starting t_ref (V is not reset in the
//! spike's step); while refractory V is set to V_reset after each step's
//! integration. Last, the current delivered in this step becomes I_stim.
//! NEST's lists `tau_stc`, `q_stc`, `tau_sfa`, `q_sfa` (any length) are
//! here vectors of [`COMPONENTS`] elements: a list given shorter keeps the
//! defaults of the rest (q = 0: no component, bit-identical to NEST's
//! shorter list, since adding 0.0 changes no sum). NEST's `q_stc` is
//! documented in nA but enters dV/dt next to pA: here it is what NEST
//! computes with, pA.
//!
//! The draws: NEST draws from one generator per virtual process, shared by
//! the neurons of that process in its update order; here every neuron has
//! a generator of its own (seeded from the network's seed and the neuron's
//! id), so results do not depend on the thread count but are not NEST's
//! numbers. The dynamics between draws are NEST's to the last bit: with a
//! hard threshold (Δ_V → 0, λ₀ large) the spike times and V_m equal NEST's
//! (`tests/parts/spiking_gif.rs`).

use rand::{Rng, SeedableRng};

use super::neuron::{Neuron, NeuronInfo, SIGNED_RECEPTOR};
use super::rkf45;
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "gif_cond_exp",
    doc: "Generalized integrate-and-fire, exponential conductances, spike-triggered current and threshold adaptation, escape-rate firing (GSL RKF45)",
    params: PARAMS,
    weight_unit: "nS",
    receptors: SIGNED_RECEPTOR,
    solvers: &[],
    heavy_step: true,
    build,
};

/// [`NeuronInfo::build`] (one integration: `solver` is not used).
fn build(
    n: usize,
    params: &ParamSet,
    h: f64,
    _solver: &str,
) -> Result<Box<dyn Neuron>, ModelError> {
    Ok(Box::new(GifCondExp::new(n, params, h)?))
}

impl_neuron!(GifCondExp, INFO, noise);

/// Elements of each of the stc and sfa kernels.
pub const COMPONENTS: usize = 3;

/// A vector parameter of [`COMPONENTS`] elements.
const fn pv(
    name: &'static str,
    defaults: &'static [f64],
    lo: f64,
    unit: &'static str,
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        name,
        default: defaults[0],
        lo,
        hi: 1e9,
        unit,
        doc,
        len: COMPONENTS,
        defaults,
        min: lo,
        max: 1e9,
    }
}

/// Parameters, as NEST 3.10 declares them (λ₀ in 1/s as NEST's
/// `lambda_0`; the kernels as vectors of [`COMPONENTS`]).
pub const PARAMS: &[ParamDef] = &[
    p("g_L", 4.0, 1e-9, 1e9, "nS", "Leak conductance"),
    p("E_L", -70.0, -1e6, 1e6, "mV", "Leak reversal potential"),
    p("C_m", 80.0, 1e-6, 1e9, "pF", "Membrane capacitance"),
    p("V_reset", -55.0, -1e6, 1e6, "mV", "Reset potential"),
    p("Delta_V", 0.5, 1e-12, 1e9, "mV", "Stochasticity level (> 0)"),
    p("V_T_star", -35.0, -1e6, 1e6, "mV", "Base threshold"),
    p(
        "lambda_0",
        1.0,
        0.0,
        1e18,
        "1/s",
        "Stochastic intensity at the threshold",
    ),
    p("t_ref", 4.0, 0.0, 1e9, "ms", "Refractory period"),
    p("E_ex", 0.0, -1e6, 1e6, "mV", "Excitatory reversal potential"),
    p("E_in", -85.0, -1e6, 1e6, "mV", "Inhibitory reversal potential"),
    p(
        "tau_syn_ex",
        2.0,
        1e-6,
        1e9,
        "ms",
        "Time constant of the excitatory conductance",
    ),
    p(
        "tau_syn_in",
        2.0,
        1e-6,
        1e9,
        "ms",
        "Time constant of the inhibitory conductance",
    ),
    p("I_e", 0.0, -1e9, 1e9, "pA", "Constant input current"),
    p(
        "gsl_error_tol",
        1e-3,
        1e-12,
        1e3,
        "1",
        "Absolute tolerance of the RKF45 step control",
    ),
    pv(
        "tau_stc",
        &[10.0, 10.0, 10.0],
        1e-6,
        "ms",
        "Time constants of the spike-triggered current elements (a list of up to 3)",
    ),
    pv(
        "q_stc",
        &[0.0, 0.0, 0.0],
        -1e9,
        "pA",
        "Jumps of the spike-triggered current elements at each spike, a list of up to 3 (NEST documents nA, computes pA)",
    ),
    pv(
        "tau_sfa",
        &[10.0, 10.0, 10.0],
        1e-6,
        "ms",
        "Time constants of the threshold elements (a list of up to 3)",
    ),
    pv(
        "q_sfa",
        &[0.0, 0.0, 0.0],
        -1e9,
        "mV",
        "Jumps of the threshold elements at each spike (a list of up to 3)",
    ),
];

/// One neuron's state.
#[derive(Debug, Clone)]
struct State {
    /// [V (mV), g_ex (nS), g_in (nS)]
    y: [f64; 3],
    /// spike-triggered current elements, pA
    stc: [f64; COMPONENTS],
    /// threshold elements, mV
    sfa: [f64; COMPONENTS],
    /// refractory steps left
    r: u32,
    /// current input applied this step, pA
    i_stim: f64,
    /// adapted integration step, ms
    step: f64,
    /// this neuron's draws
    rng: rand::rngs::SmallRng,
}

/// A population of `gif_cond_exp` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct GifCondExp {
    g_l: f64,
    e_l: f64,
    c_m: f64,
    v_reset: f64,
    delta_v: f64,
    v_t_star: f64,
    /// λ₀, 1/ms
    lambda_0: f64,
    e_ex: f64,
    e_in: f64,
    tau_ex: f64,
    tau_in: f64,
    i_e: f64,
    eps_abs: f64,
    q_stc: [f64; COMPONENTS],
    q_sfa: [f64; COMPONENTS],
    /// exp(−h/τ) of the elements
    p_stc: [f64; COMPONENTS],
    p_sfa: [f64; COMPONENTS],
    ref_steps: u32,
    h: f64,
    s: Vec<State>,
}

impl GifCondExp {
    /// `n` neurons at V = E_L, simulation step `h` ms.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        if !(h.is_finite() && h > 0.0) {
            return Err(ModelError::Config(format!("gif_cond_exp: step {h} ms")));
        }
        let g = |k: &str| params.get(k);
        let vector = |k: &str| -> [f64; COMPONENTS] {
            // the elements in the table's order (a vector of COMPONENTS)
            let mut off = 0;
            for d in params.defs() {
                if d.name == k {
                    return std::array::from_fn(|i| params.values()[off + i]);
                }
                off += d.len;
            }
            [0.0; COMPONENTS]
        };
        let decay = |k: &str| vector(k).map(|tau| (-h / tau).exp());
        let mut me = Self {
            g_l: g("g_L"),
            e_l: g("E_L"),
            c_m: g("C_m"),
            v_reset: g("V_reset"),
            delta_v: g("Delta_V"),
            v_t_star: g("V_T_star"),
            lambda_0: g("lambda_0") / 1000.0,
            e_ex: g("E_ex"),
            e_in: g("E_in"),
            tau_ex: g("tau_syn_ex"),
            tau_in: g("tau_syn_in"),
            i_e: g("I_e"),
            eps_abs: g("gsl_error_tol"),
            q_stc: vector("q_stc"),
            q_sfa: vector("q_sfa"),
            p_stc: decay("tau_stc"),
            p_sfa: decay("tau_sfa"),
            // NEST: Time(Time::ms(t_ref)).get_steps(), rounded to the grid
            ref_steps: (g("t_ref") / h).round() as u32,
            h,
            s: vec![],
        };
        me.s = (0..n).map(|_| me.rest(0)).collect();
        Ok(me)
    }

    /// A neuron at rest, drawing from stream `seed`.
    fn rest(&self, seed: u64) -> State {
        State {
            y: [self.e_l, 0.0, 0.0],
            stc: [0.0; COMPONENTS],
            sfa: [0.0; COMPONENTS],
            r: 0,
            i_stim: 0.0,
            step: self.h,
            rng: rand::rngs::SmallRng::seed_from_u64(seed),
        }
    }

    /// The same neurons' parameters for a population of `n`, at rest.
    pub fn resized(&self, n: usize) -> Self {
        let mut c = self.clone();
        c.s = (0..n).map(|_| self.rest(0)).collect();
        c
    }

    /// Seeds every neuron's generator from the network's `seed` and its
    /// global id (`first` + its index).
    pub fn seed_noise(&mut self, seed: u64, first: usize) {
        for (k, s) in self.s.iter_mut().enumerate() {
            let id = (first + k) as u64;
            s.rng = rand::rngs::SmallRng::seed_from_u64(
                seed ^ id.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            );
        }
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.s.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.s.is_empty()
    }

    /// The neurons `r` as a population of their own.
    pub fn take_range(&self, r: std::ops::Range<usize>) -> Self {
        let mut c = self.resized(0);
        c.s = self.s[r].to_vec();
        c
    }

    /// Writes back a part taken with [`take_range`](Self::take_range).
    pub fn put_range(&mut self, start: usize, part: &Self) {
        self.s[start..start + part.len()].clone_from_slice(&part.s);
    }

    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        self.s[i].y[0]
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        self.s[i].y[0] = v;
    }

    /// One step of every neuron; `syn[i]` = (excitatory, inhibitory) summed
    /// weights (nS) delivered in this step (inhibitory ones ≤ 0);
    /// `current[i]`: current input (pA) arriving in this step, effective
    /// from the next. Indices of the neurons that fire are appended to
    /// `fired`.
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        let (g_l, e_l, c_m, i_e) = (self.g_l, self.e_l, self.c_m, self.i_e);
        let (e_ex, e_in, tau_ex, tau_in) = (self.e_ex, self.e_in, self.tau_ex, self.tau_in);
        let h = self.h;
        for (i, s) in self.s.iter_mut().enumerate() {
            // the kernels' sums, then their decay (NEST's order)
            let mut stc = 0.0;
            for k in 0..COMPONENTS {
                stc += s.stc[k];
                s.stc[k] *= self.p_stc[k];
            }
            let mut v_t = self.v_t_star;
            for k in 0..COMPONENTS {
                v_t += s.sfa[k];
                s.sfa[k] *= self.p_sfa[k];
            }
            let i_stim = s.i_stim;
            // NEST's gif_cond_exp_dynamics, its order of the sum
            let f = |y: &[f64; 3], d: &mut [f64; 3]| {
                let i_syn_exc = y[1] * (y[0] - e_ex);
                let i_syn_inh = y[2] * (y[0] - e_in);
                let i_l = g_l * (y[0] - e_l);
                d[0] = (-i_l + i_stim + i_e - i_syn_exc - i_syn_inh - stc) / c_m;
                d[1] = -y[1] / tau_ex;
                d[2] = -y[2] / tau_in;
            };
            rkf45::evolve(f, &mut s.y, h, &mut s.step, self.eps_abs);
            let (ex, inh) = syn[i];
            s.y[1] += ex;
            s.y[2] += -inh;
            if s.r == 0 {
                let lambda = self.lambda_0 * ((s.y[0] - v_t) / self.delta_v).exp();
                if lambda > 0.0 {
                    let u: f64 = s.rng.gen();
                    if u < -(-lambda * h).exp_m1() {
                        for k in 0..COMPONENTS {
                            s.stc[k] += self.q_stc[k];
                            s.sfa[k] += self.q_sfa[k];
                        }
                        s.r = self.ref_steps;
                        fired.push(i as u32);
                    }
                }
            } else {
                s.r -= 1;
                s.y[0] = self.v_reset;
            }
            s.i_stim = current.map_or(0.0, |c| c[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neuron(over: &[(&str, f64)]) -> GifCondExp {
        let p = ParamSet::from_overrides("gif_cond_exp", PARAMS, over.iter().copied()).unwrap();
        GifCondExp::new(1, &p, 0.1).unwrap()
    }

    #[test]
    fn a_hard_threshold_fires_and_adapts_threshold_and_current() {
        // Δ_V → 0, λ₀ huge: fires as soon as V ≥ V_T (P = 1 above it,
        // λ = 0 below); q_sfa raises V_T, q_stc opposes the drive
        let mut n = neuron(&[
            ("I_e", 200.0),
            ("Delta_V", 1e-9),
            ("lambda_0", 1e12),
            ("V_T_star", -50.0),
            ("q_sfa[0]", 5.0),
            ("tau_sfa[0]", 100.0),
            ("q_stc[1]", 20.0),
            ("tau_stc[1]", 30.0),
        ]);
        let mut fired = vec![];
        let mut times = vec![];
        for k in 0..3000 {
            fired.clear();
            n.step(&[(0.0, 0.0)], None, &mut fired);
            if !fired.is_empty() {
                times.push(k);
                // V_T at this step was below V: V ≥ V_T* at least
                assert!(n.v_m(0) >= -50.001);
            }
        }
        assert!(times.len() >= 3, "{times:?}");
        // adaptation: the intervals grow
        let isi: Vec<i32> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(isi[isi.len() - 1] > isi[0], "{isi:?}");
        // the refractory period holds V at V_reset after the spike's step
        let mut n2 = neuron(&[("I_e", 1e4), ("Delta_V", 1e-9), ("lambda_0", 1e12)]);
        let mut f2 = vec![];
        while f2.is_empty() {
            n2.step(&[(0.0, 0.0)], None, &mut f2);
        }
        for _ in 0..40 {
            n2.step(&[(0.0, 0.0)], None, &mut f2);
            assert_eq!(n2.v_m(0), -55.0);
        }
    }

    #[test]
    fn escape_noise_fires_at_the_rate_of_the_hazard() {
        // V stays at E_L = V_reset (no input, no q): constant λ, so each
        // neuron's spikes are a geometric process with a dead time of
        // t_ref: mean interval 1/P + t_ref/h steps, P = 1 − e^(−λh); the
        // count within 4 standard deviations, the neurons' streams differ
        let over = [
            ("lambda_0", 20.0),
            ("Delta_V", 2.0),
            ("V_T_star", -68.0),
            ("V_reset", -70.0),
            ("t_ref", 2.0),
        ];
        let p = ParamSet::from_overrides("gif_cond_exp", PARAMS, over).unwrap();
        let n = 200;
        let mut pop = GifCondExp::new(n, &p, 0.1).unwrap();
        pop.seed_noise(7, 0);
        let mut fired = vec![];
        let steps = 20_000;
        let quiet = vec![(0.0, 0.0); n];
        for _ in 0..steps {
            pop.step(&quiet, None, &mut fired);
        }
        assert!((0..n).all(|i| pop.v_m(i) == -70.0));
        // λ = 20/s·e^((−70 + 68)/2)
        let lambda = 20.0 / 1000.0 * (-1.0f64).exp();
        let per_step = -(-lambda * 0.1f64).exp_m1();
        let want = (n * steps) as f64 / (1.0 / per_step + 20.0);
        let got = fired.len() as f64;
        assert!(
            (got - want).abs() < 4.0 * want.sqrt(),
            "{got} spikes, expected {want}"
        );
        let mut per: Vec<usize> = (0..n as u32)
            .map(|i| fired.iter().filter(|&&f| f == i).count())
            .collect();
        per.dedup();
        assert!(per.len() > 10, "the neurons' streams differ");
    }
}
