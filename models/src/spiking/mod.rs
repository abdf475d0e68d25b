//! Spiking neuron models, with NEST's names, parameters, defaults, units and
//! update rules, so that a population here fires at the same times as the
//! same population in NEST 3.x.
//!
//! Models step whole populations (structure of arrays) on NEST's grid: in
//! step `k` (from `k·h` to `(k+1)·h`) a neuron first integrates its state,
//! then takes the synaptic input delivered in that step, then checks the
//! threshold; a spike found in step `k` is stamped `(k+1)·h`, as NEST does.

pub mod aeif_cond_alpha;
pub mod aeif_cond_exp;
pub mod gif_cond_exp;
pub mod hh_psc_alpha;
pub mod iaf_cond_alpha;
pub mod iaf_cond_exp;
pub mod iaf_cond_ww_deco;
pub mod iaf_psc_alpha;
pub mod iaf_psc_exp;
pub mod izhikevich;
pub mod izhikevich_hamker;
pub mod lane_exp;
pub mod network;
pub mod neuron;
pub mod rkf45;
pub mod stdp;
pub mod synapse;
pub mod tsodyks2;

pub use aeif_cond_alpha::AeifCondAlpha;
pub use aeif_cond_exp::AeifCondExp;
pub use gif_cond_exp::GifCondExp;
pub use hh_psc_alpha::HhPscAlpha;
pub use iaf_cond_alpha::IafCondAlpha;
pub use iaf_cond_exp::IafCondExp;
pub use iaf_cond_ww_deco::IafCondWwDeco;
pub use iaf_psc_alpha::IafPscAlpha;
pub use iaf_psc_exp::IafPscExp;
pub use izhikevich::Izhikevich;
pub use izhikevich_hamker::IzhikevichHamker;
pub use network::{Dist, Network, Neurons, Population, Rule};
pub use neuron::{neuron_info, Neuron, NeuronInfo, Receptor, Signs, NEURONS};
pub use stdp::{Archive, Stdp, StdpState};
pub use synapse::{synapse_info, SynState, Synapse, SynapseInfo, SYNAPSES};
pub use tsodyks2::{Tsodyks2, Tsodyks2State};
