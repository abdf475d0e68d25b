//! The plastic synapse models a connection may name
//! (`connections[k].synapse = { model = "…", parameters }`), as the network
//! and `brainstream list` know them: NEST's `tsodyks2_synapse`
//! ([`Tsodyks2`]) and `stdp_synapse` ([`Stdp`]). A new model is its file,
//! a variant of [`Synapse`] and [`SynState`] (the compiler then asks for
//! its update in the network) and a line in [`SYNAPSES`].

use super::stdp::{self, Stdp, StdpState};
use super::tsodyks2::{self, Tsodyks2, Tsodyks2State};
use crate::error::ModelError;
use crate::params::ParamDef;

/// A plastic synapse model with its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Synapse {
    /// Short-term plasticity: the weight sent is scaled by x·u.
    Tsodyks2(Tsodyks2),
    /// Spike-timing dependent plasticity: the weight itself changes.
    Stdp(Stdp),
}

/// A synapse's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SynState {
    Tsodyks2(Tsodyks2State),
    Stdp(StdpState),
}

impl Synapse {
    /// The model named `name` with NEST's defaults overridden by `values`
    /// (checked as each model's `from_overrides`).
    pub fn from_overrides<'a>(
        name: &str,
        values: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, ModelError> {
        match name {
            tsodyks2::NAME => Tsodyks2::from_overrides(values).map(Synapse::Tsodyks2),
            stdp::NAME => Stdp::from_overrides(values).map(Synapse::Stdp),
            _ => Err(ModelError::UnknownName {
                what: "synapse model",
                name: name.into(),
                known: SYNAPSES
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// NEST's name.
    pub fn name(&self) -> &'static str {
        match self {
            Synapse::Tsodyks2(_) => tsodyks2::NAME,
            Synapse::Stdp(_) => stdp::NAME,
        }
    }

    /// Whether a connection of weight `weight` may have this synapse
    /// (`stdp_synapse`: the sign of Wmax).
    pub fn check_weight(&self, weight: f64) -> Result<(), ModelError> {
        match self {
            Synapse::Tsodyks2(_) => Ok(()),
            Synapse::Stdp(s) => s.check_weight(weight),
        }
    }

    /// The state of a new synapse of weight `weight`.
    pub fn state(&self, weight: f64) -> SynState {
        match self {
            Synapse::Tsodyks2(s) => SynState::Tsodyks2(s.state()),
            Synapse::Stdp(s) => SynState::Stdp(s.state(weight)),
        }
    }
}

/// A synapse model as `brainstream list` shows it.
#[derive(Debug, Clone, Copy)]
pub struct SynapseInfo {
    /// NEST's name.
    pub name: &'static str,
    /// One line of meaning.
    pub doc: &'static str,
    /// Parameters with NEST 3.10's names and defaults.
    pub params: &'static [ParamDef],
}

/// The plastic synapse models, in the order `brainstream list` shows them.
pub const SYNAPSES: &[SynapseInfo] = &[
    SynapseInfo {
        name: tsodyks2::NAME,
        doc: "short-term depression and facilitation: each synapse's (u, x), updated at its source's spikes, scales the weight by x·u",
        params: tsodyks2::PARAMS,
    },
    SynapseInfo {
        name: stdp::NAME,
        doc: "pair-based STDP: each synapse's weight, facilitated by the target's spikes after the source's (trace K+, tau_plus) and depressed at the source's spikes (the target's trace K-, its tau_minus), bounded by Wmax; the whole delay is dendritic, as NEST",
        params: stdp::PARAMS,
    },
];

/// A synapse model by NEST name.
pub fn synapse_info(name: &str) -> Option<&'static SynapseInfo> {
    SYNAPSES.iter().find(|s| s.name == name)
}
