//! What a graph, `brainstream list` and the network need to know of a
//! built-in spiking neuron model: its NEST name, parameters, the unit of a
//! synaptic weight and the receptors a connection may target.
//!
//! Every model file declares one [`NeuronInfo`] (`INFO`) and [`NEURONS`]
//! lists them: a model missing from the list cannot be named in a graph.

use crate::params::ParamDef;

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

/// A built-in spiking neuron model.
#[derive(Debug, Clone, Copy)]
pub struct NeuronInfo {
    /// NEST's model name, as a graph names it (`spiking_network.model`).
    pub name: &'static str,
    /// One line of meaning.
    pub doc: &'static str,
    /// Parameters with NEST 3.10's names, defaults and units.
    pub params: &'static [ParamDef],
    /// Unit of a synaptic weight: `pA` (current synapses) or `nS`
    /// (conductance synapses).
    pub weight_unit: &'static str,
    /// Receptors a connection may name, by `receptor` number.
    pub receptors: &'static [Receptor],
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
    super::iaf_cond_alpha::INFO,
    super::aeif_cond_exp::INFO,
];

/// A built-in model by NEST name.
pub fn neuron_info(name: &str) -> Option<&'static NeuronInfo> {
    NEURONS.iter().find(|n| n.name == name)
}
