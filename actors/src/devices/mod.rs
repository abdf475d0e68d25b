//! Devices, NEST's names and semantics: sources of spikes and currents.

pub mod spike_generator;
pub mod step_current_generator;
