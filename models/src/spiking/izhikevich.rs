//! `izhikevich`: Izhikevich's simple spiking neuron (Izhikevich 2003), as
//! NEST 3.10's model of the same name with its default
//! `consistent_integration = true` (forward Euler on the simulation grid).
//!
//! ```text
//! dV/dt = 0.04·V² + 5·V + 140 − U + I_stim + I_e
//! dU/dt = a·(b·V − U)
//! V ≥ V_th → spike, V ← c, U ← U + d;   V is kept ≥ V_min
//! ```
//! V in mV, U in mV/ms, currents as given (NEST calls them pA; the
//! equation adds them to dV/dt as they are), times in ms. A spike of
//! weight w (either sign) moves V by w mV in the step it arrives. Per step
//! of h ms, as NEST:
//! ```text
//! V ← V + (h·(0.04·V·V + 5·V + 140 − U + I_stim + I_e) + Σw)
//! U ← U + h·a·(b·V_old − U_old)
//! ```
//! then V_min, then threshold and reset, then the current input delivered
//! in this step (acting from the next). NEST starts every neuron at
//! V = −65 mV, U = 0.2·(−65) whatever a, b, c, d are; so does this model.
//! NEST's other integration (`consistent_integration = false`, meant for
//! h = 1 ms) is not offered: a graph naming it is refused.

use super::neuron::{Neuron, NeuronInfo, Receptor, Signs};
use crate::error::ModelError;
use crate::impl_neuron;
use crate::params::{p, ParamDef, ParamSet};

/// The model as a graph and `brainstream list` know it.
pub const INFO: NeuronInfo = NeuronInfo {
    name: "izhikevich",
    doc: "Izhikevich simple model (Euler on the grid, NEST's consistent_integration)",
    params: PARAMS,
    weight_unit: "mV",
    receptors: RECEPTORS,
    solvers: &[],
    heavy_step: false,
    build,
};

/// One input: the weight is a jump of V_m.
pub const RECEPTORS: &[Receptor] = &[Receptor {
    id: 0,
    signs: Signs::Either,
    doc: "a spike of weight w (either sign) moves V_m by w mV in the step it arrives",
}];

/// [`NeuronInfo::build`] (one integration: `solver` is not used).
fn build(
    n: usize,
    params: &ParamSet,
    h: f64,
    _solver: &str,
) -> Result<Box<dyn Neuron>, ModelError> {
    Ok(Box::new(Izhikevich::new(n, params, h)?))
}

impl_neuron!(Izhikevich, INFO, state);

/// Parameters, as NEST 3.10 declares them.
pub const PARAMS: &[ParamDef] = &[
    p(
        "a",
        0.02,
        -1e9,
        1e9,
        "1/ms",
        "Time scale of the recovery variable U",
    ),
    p(
        "b",
        0.2,
        -1e9,
        1e9,
        "1/ms",
        "Sensitivity of U to the subthreshold V",
    ),
    p(
        "c",
        -65.0,
        -1e6,
        1e6,
        "mV",
        "After-spike reset value of V_m",
    ),
    p("d", 8.0, -1e9, 1e9, "mV/ms", "After-spike increment of U"),
    p("I_e", 0.0, -1e9, 1e9, "pA", "Constant input current"),
    p("V_th", 30.0, -1e6, 1e6, "mV", "Spike threshold"),
    p(
        "V_min",
        -f64::MAX,
        -f64::MAX,
        1e6,
        "mV",
        "Absolute lower bound of V_m (NEST: none, the lowest double)",
    ),
];

/// NEST's initial state (`State_::State_()`): V, U.
const V_INIT: f64 = -65.0;
const U_INIT: f64 = 0.2 * -65.0;

/// A population of `izhikevich` neurons sharing parameters.
#[derive(Debug, Clone)]
pub struct Izhikevich {
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    i_e: f64,
    v_th: f64,
    v_min: f64,
    h: f64,
    /// membrane potential, mV
    v: Vec<f64>,
    /// recovery variable, mV/ms
    u: Vec<f64>,
    /// current input applied this step
    i_stim: Vec<f64>,
}

impl Izhikevich {
    /// `n` neurons in NEST's initial state, simulation step `h` ms.
    pub fn new(n: usize, params: &ParamSet, h: f64) -> Result<Self, ModelError> {
        let g = |k: &str| params.get(k);
        if !(h.is_finite() && h > 0.0) {
            return Err(ModelError::Config(format!("izhikevich: step {h} ms")));
        }
        Ok(Self {
            a: g("a"),
            b: g("b"),
            c: g("c"),
            d: g("d"),
            i_e: g("I_e"),
            v_th: g("V_th"),
            v_min: g("V_min"),
            h,
            v: vec![V_INIT; n],
            u: vec![U_INIT; n],
            i_stim: vec![0.0; n],
        })
    }

    /// The same neurons' parameters for a population of `n`, in NEST's
    /// initial state.
    pub fn resized(&self, n: usize) -> Self {
        Self {
            v: vec![V_INIT; n],
            u: vec![U_INIT; n],
            i_stim: vec![0.0; n],
            ..self.clone()
        }
    }

    /// The neurons `r` as a population of their own.
    pub fn take_range(&self, r: std::ops::Range<usize>) -> Self {
        Self {
            v: self.v[r.clone()].to_vec(),
            u: self.u[r.clone()].to_vec(),
            i_stim: self.i_stim[r].to_vec(),
            ..self.resized(0)
        }
    }

    /// Writes back a part taken with [`take_range`](Self::take_range).
    pub fn put_range(&mut self, start: usize, part: &Self) {
        let r = start..start + part.len();
        self.v[r.clone()].copy_from_slice(&part.v);
        self.u[r.clone()].copy_from_slice(&part.u);
        self.i_stim[r].copy_from_slice(&part.i_stim);
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// Membrane potential of neuron `i`, mV.
    pub fn v_m(&self, i: usize) -> f64 {
        self.v[i]
    }

    /// Sets the membrane potential of neuron `i`, mV.
    pub fn set_v_m(&mut self, i: usize, v: f64) {
        self.v[i] = v;
    }

    /// Recovery variable of neuron `i` (NEST's `U_m`).
    pub fn u_m(&self, i: usize) -> f64 {
        self.u[i]
    }

    /// One step of every neuron; `syn[i]` = (positive, non-positive)
    /// summed weights (mV) delivered in this step, added to V together
    /// (NEST has one buffer: its sum is in arrival order, the same to the
    /// bit where the partial sums are exact); `current[i]`: current input
    /// arriving in this step, effective from the next. Indices of the
    /// neurons that fire are appended to `fired`.
    pub fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
        let h = self.h;
        for i in 0..self.v.len() {
            let (v_old, u_old) = (self.v[i], self.u[i]);
            let (ex, inh) = syn[i];
            let jump = ex + inh;
            // NEST's expressions, their order of operations
            self.v[i] += h
                * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + self.i_stim[i] + self.i_e)
                + jump;
            self.u[i] += h * self.a * (self.b * v_old - u_old);
            if self.v[i] < self.v_min {
                self.v[i] = self.v_min;
            }
            if self.v[i] >= self.v_th {
                self.v[i] = self.c;
                self.u[i] += self.d;
                fired.push(i as u32);
            }
            self.i_stim[i] = current.map_or(0.0, |c| c[i]);
        }
    }
}

impl Izhikevich {
    /// Every per-neuron state variable (checkpoints).
    fn state_slices(&mut self) -> Vec<crate::spiking::neuron::StateSlice<'_>> {
        use crate::spiking::neuron::StateSlice;
        vec![
            StateSlice::F64(&mut self.v),
            StateSlice::F64(&mut self.u),
            StateSlice::F64(&mut self.i_stim),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_euler_step_as_nest_writes_it() {
        let params = ParamSet::from_overrides("izhikevich", PARAMS, [("I_e", 10.0)]).unwrap();
        let mut n = Izhikevich::new(1, &params, 0.1).unwrap();
        let mut fired = Vec::new();
        n.step(&[(2.0, -0.5)], Some(&[3.0]), &mut fired);
        let (v, u) = (-65.0f64, -13.0f64);
        let want_v = v + (0.1 * (0.04 * v * v + 5.0 * v + 140.0 - u + 0.0 + 10.0) + 1.5);
        let want_u = u + 0.1 * 0.02 * (0.2 * v - u);
        assert_eq!((n.v_m(0), n.u_m(0)), (want_v, want_u));
        // the current arrived in this step acts from the next
        let (v, u) = (want_v, want_u);
        n.step(&[(0.0, 0.0)], None, &mut fired);
        let want_v = v + (0.1 * (0.04 * v * v + 5.0 * v + 140.0 - u + 3.0 + 10.0) + 0.0);
        assert_eq!(n.v_m(0), want_v);
        assert!(fired.is_empty());
    }

    #[test]
    fn a_spike_resets_v_to_c_and_raises_u_by_d() {
        let params = ParamSet::defaults(PARAMS);
        let mut n = Izhikevich::new(1, &params, 0.1).unwrap();
        let mut fired = Vec::new();
        n.set_v_m(0, 29.0);
        n.step(&[(0.0, 0.0)], None, &mut fired);
        assert_eq!(fired, vec![0]);
        assert_eq!(n.v_m(0), -65.0);
        let u = -13.0 + 0.1 * 0.02 * (0.2 * 29.0 - -13.0);
        assert_eq!(n.u_m(0), u + 8.0);
    }

    #[test]
    fn v_min_bounds_v_from_below() {
        let params = ParamSet::from_overrides("izhikevich", PARAMS, [("V_min", -70.0)]).unwrap();
        let mut n = Izhikevich::new(1, &params, 0.1).unwrap();
        let mut fired = Vec::new();
        n.step(&[(0.0, -50.0)], None, &mut fired);
        assert_eq!(n.v_m(0), -70.0);
    }
}
