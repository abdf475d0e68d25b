//! Devices, NEST's names and semantics: sources of spikes and currents.

pub mod inhomogeneous_poisson_generator;
pub mod poisson_generator;
pub mod spike_generator;
pub mod step_current_generator;
