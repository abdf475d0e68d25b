//! A built-in spiking neuron model as the network steps it ([`Neuron`])
//! and as a graph, `brainstream list` and the network know it
//! ([`NeuronInfo`]: NEST name, parameters, the unit of a synaptic weight,
//! the receptors a connection may target, how to build a population).
//!
//! A new model is one file: its population type with the methods
//! [`impl_neuron!`] delegates to, an `INFO` and `impl_neuron!(Type, INFO)`;
//! plus one line in [`NEURONS`] (a model missing from the list cannot be
//! named in a graph; a type missing a method does not compile).

use std::any::Any;
use std::ops::Range;

use crate::error::ModelError;
use crate::params::{ParamDef, ParamSet};

/// A population of neurons of one model and one parameter set, stepped as
/// a whole (structure of arrays) on NEST's grid.
pub trait Neuron: std::fmt::Debug + Send + Sync + Any {
    /// The model.
    fn info(&self) -> &'static NeuronInfo;
    /// Number of neurons.
    fn len(&self) -> usize;
    /// Whether there is no neuron.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Membrane potential of neuron `i`, mV.
    fn v_m(&self, i: usize) -> f64;
    /// Sets the membrane potential of neuron `i`, mV.
    fn set_v_m(&mut self, i: usize, v: f64);
    /// The same parameters for `n` neurons at rest.
    fn resized(&self, n: usize) -> Box<dyn Neuron>;
    /// The neurons `r` as a population of their own (for threads).
    fn take_range(&self, r: Range<usize>) -> Box<dyn Neuron>;
    /// Writes back a part taken with [`take_range`](Self::take_range).
    fn put_range(&mut self, start: usize, part: &dyn Neuron);
    /// One step of every neuron: `syn[i]` = (excitatory, inhibitory) summed
    /// weights delivered to neuron `i` in this step (the inhibitory ones
    /// ≤ 0), `current[i]` the current (pA) arriving in this step, effective
    /// from the next; the indices of the neurons that fire are appended to
    /// `fired`.
    fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>);
    /// Receptors 1..=n beyond receptor 0 that [`step_receptors`](Self::step_receptors)
    /// reads (NEST's further `receptor_type`s, e.g. `iaf_cond_ww_deco`'s
    /// AMPA_ext ports); 0 for a model with receptor 0 only.
    fn extra_receptors(&self) -> usize {
        0
    }
    /// As [`step`](Self::step), with `rec[i·stride + r − 1]` the summed
    /// weights delivered to receptor r ≥ 1 of neuron i in this step
    /// (`stride` ≥ [`extra_receptors`](Self::extra_receptors)); a model
    /// with receptor 0 only ignores `rec`.
    fn step_receptors(
        &mut self,
        syn: &[(f64, f64)],
        _rec: &[f64],
        _stride: usize,
        current: Option<&[f64]>,
        fired: &mut Vec<u32>,
    ) {
        self.step(syn, current, fired)
    }
    /// Seeds the random draws of a model that makes some (escape noise)
    /// from the network's `seed`, the neurons' global ids counted from
    /// `first`; the others ignore it.
    fn seed_noise(&mut self, _seed: u64, _first: usize) {}
    /// A copy.
    fn clone_box(&self) -> Box<dyn Neuron>;
    /// For [`put_range`](Self::put_range)'s downcast.
    fn as_any(&self) -> &dyn Any;
    /// Every per-neuron state variable, for checkpoints (read to save,
    /// written to restore); None: this model cannot be checkpointed.
    fn state(&mut self) -> Option<Vec<StateSlice<'_>>> {
        None
    }
}

/// One per-neuron state variable of a population (all its neurons' values).
#[derive(Debug)]
pub enum StateSlice<'a> {
    F64(&'a mut [f64]),
    U32(&'a mut [u32]),
}

impl Clone for Box<dyn Neuron> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Implements [`Neuron`] for a population type by its inherent methods of
/// the same names (`len`, `v_m`, `set_v_m`, `resized`, `take_range`,
/// `put_range(&Self)`, `step`), with `$info` its [`NeuronInfo`];
/// `impl_neuron!(Type, INFO, state)` also forwards `state` to
/// `state_slices` (checkpoints), `impl_neuron!(Type, INFO, noise)`
/// `seed_noise` (a model that draws random numbers),
/// `impl_neuron!(Type, INFO, state, receptors)` also `extra_receptors` and
/// `step_receptors` (a model with receptors beyond 0).
#[macro_export]
macro_rules! impl_neuron {
    ($ty:ty, $info:expr) => {
        $crate::impl_neuron!(@with $ty, $info, {});
    };
    ($ty:ty, $info:expr, noise) => {
        $crate::impl_neuron!(@with $ty, $info, {
            fn seed_noise(&mut self, seed: u64, first: usize) {
                <$ty>::seed_noise(self, seed, first)
            }
        });
    };
    ($ty:ty, $info:expr, state) => {
        $crate::impl_neuron!(@with $ty, $info, {
            fn state(&mut self) -> Option<Vec<$crate::spiking::neuron::StateSlice<'_>>> {
                Some(<$ty>::state_slices(self))
            }
        });
    };
    ($ty:ty, $info:expr, state, receptors) => {
        $crate::impl_neuron!(@with $ty, $info, {
            fn state(&mut self) -> Option<Vec<$crate::spiking::neuron::StateSlice<'_>>> {
                Some(<$ty>::state_slices(self))
            }
            fn extra_receptors(&self) -> usize {
                <$ty>::extra_receptors(self)
            }
            fn step_receptors(
                &mut self,
                syn: &[(f64, f64)],
                rec: &[f64],
                stride: usize,
                current: Option<&[f64]>,
                fired: &mut Vec<u32>,
            ) {
                <$ty>::step_receptors(self, syn, rec, stride, current, fired)
            }
        });
    };
    (@with $ty:ty, $info:expr, { $($extra:tt)* }) => {
        impl $crate::spiking::neuron::Neuron for $ty {
            fn info(&self) -> &'static $crate::spiking::neuron::NeuronInfo {
                &$info
            }
            fn len(&self) -> usize {
                <$ty>::len(self)
            }
            fn v_m(&self, i: usize) -> f64 {
                <$ty>::v_m(self, i)
            }
            fn set_v_m(&mut self, i: usize, v: f64) {
                <$ty>::set_v_m(self, i, v)
            }
            fn resized(&self, n: usize) -> Box<dyn $crate::spiking::neuron::Neuron> {
                Box::new(<$ty>::resized(self, n))
            }
            fn take_range(
                &self,
                r: std::ops::Range<usize>,
            ) -> Box<dyn $crate::spiking::neuron::Neuron> {
                Box::new(<$ty>::take_range(self, r))
            }
            fn put_range(&mut self, start: usize, part: &dyn $crate::spiking::neuron::Neuron) {
                // parts are taken from this population: the same type
                let part = part
                    .as_any()
                    .downcast_ref::<$ty>()
                    .expect("a part taken from this population");
                <$ty>::put_range(self, start, part)
            }
            fn step(&mut self, syn: &[(f64, f64)], current: Option<&[f64]>, fired: &mut Vec<u32>) {
                <$ty>::step(self, syn, current, fired)
            }
            fn clone_box(&self) -> Box<dyn $crate::spiking::neuron::Neuron> {
                Box::new(self.clone())
            }
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
            $($extra)*
        }
    };
}

/// Which weight signs a receptor takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signs {
    /// Either sign; NEST routes a weight > 0 to the excitatory synapse and
    /// a weight ≤ 0 to the inhibitory one (a conductance model takes its
    /// magnitude).
    Either,
    /// Weights ≥ 0 only (NEST refuses negative weights on such receptors,
    /// e.g. the multisynapse conductance models).
    NonNegative,
}

/// One receptor (NEST's `receptor_type`) of a model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Receptor {
    /// NEST's receptor_type number.
    pub id: usize,
    /// The weights it takes.
    pub signs: Signs,
    /// What a spike on it does.
    pub doc: &'static str,
}

/// Builds a population: `n` neurons at rest with `params`, step `h` ms,
/// integrated by `solver`.
pub type BuildFn =
    fn(n: usize, params: &ParamSet, h: f64, solver: &str) -> Result<Box<dyn Neuron>, ModelError>;

/// A built-in spiking neuron model.
#[derive(Debug, Clone, Copy)]
pub struct NeuronInfo {
    /// NEST's model name, as a graph names it (`spiking_network.model`).
    pub name: &'static str,
    /// One line of meaning.
    pub doc: &'static str,
    /// Parameters with NEST 3.10's names, defaults and units.
    pub params: &'static [ParamDef],
    /// Unit of a synaptic weight: `pA` (current synapses), `nS`
    /// (conductance synapses) or `mV` (`izhikevich`: a jump of V_m).
    pub weight_unit: &'static str,
    /// Receptors a connection may name, by `receptor` number.
    pub receptors: &'static [Receptor],
    /// Solvers a graph may choose besides the default `rkf45` (NEST's).
    pub solvers: &'static [&'static str],
    /// Whether a step is costly (an adaptive ODE solver per neuron): the
    /// network then updates ≥ 500 neurons on several threads by default.
    pub heavy_step: bool,
    /// `n` neurons at rest with `params`, step `h` ms, integrated by
    /// `solver` (one of `solvers`, or `rkf45`).
    pub build: BuildFn,
}

impl NeuronInfo {
    /// The receptor `id`, if the model has it.
    pub fn receptor(&self, id: usize) -> Option<&Receptor> {
        self.receptors.iter().find(|r| r.id == id)
    }
}

/// The one receptor of a model whose weight's sign chooses the synapse.
pub const SIGNED_RECEPTOR: &[Receptor] = &[Receptor {
    id: 0,
    signs: Signs::Either,
    doc: "weight > 0: excitatory synapse, weight ≤ 0: inhibitory synapse (NEST's sign rule)",
}];

/// The built-in models, in the order `brainstream list` shows them.
pub const NEURONS: &[NeuronInfo] = &[
    super::iaf_psc_alpha::INFO,
    super::iaf_psc_exp::INFO,
    super::iaf_cond_alpha::INFO,
    super::iaf_cond_exp::INFO,
    super::aeif_cond_exp::INFO,
    super::aeif_cond_alpha::INFO,
    super::izhikevich::INFO,
    super::hh_psc_alpha::INFO,
    super::gif_cond_exp::INFO,
    super::iaf_cond_ww_deco::INFO,
    super::izhikevich_hamker::INFO,
];

/// A built-in model by NEST name.
pub fn neuron_info(name: &str) -> Option<&'static NeuronInfo> {
    NEURONS.iter().find(|n| n.name == name)
}
