//! # brainstream-models
//!
//! The numerics of brainstream, with no knowledge of actors, threads or
//! files beyond connectome loading: connectivity and delays, coupling
//! functions, neural mass models, integrators, noise and monitors, and the
//! [`MeanFieldSim`] engine that steps a whole-brain network exactly as
//! tvb-library 2.10 does.

pub mod analysis;
pub mod analytic_gain;
pub mod arrayfile;
pub mod connectivity;
pub mod connectome_cache;
pub mod coupling;
pub mod datafile;
pub mod engine;
pub mod error;
pub mod integrator;
pub mod lanes;
pub mod leadfield;
pub mod models;
pub mod monitors;
pub mod noise;
pub mod observe;
pub mod params;
pub mod philox;
pub mod saved_rng;
pub mod sensors;
pub mod spiking;
pub mod stimulus;
pub mod surface;
pub mod sync;
pub mod thread_choice;
pub mod tvb_sum;
pub mod user_coupling;
pub mod user_model;

pub use brainstream_modeldecl as modeldecl;
pub use connectivity::Connectivity;
pub use coupling::Coupling;
pub use engine::{
    EngineState, InitialConditions, MeanFieldConfig, MeanFieldSim, ProxyInput, StimulusInput,
};
pub use error::ModelError;
pub use models::{model_info, ModelInfo, MODELS};
pub use noise::{NoiseConfig, NoiseKind, NoiseStream};
pub use params::{ParamDef, ParamSet};
