//! # brainstream-gpu
//!
//! Whole-brain mean-field models stepped as Vulkan compute shaders
//! (vulkano), many parameter combinations at once: the backend of
//! `brainstream sweep --backend vulkan` ([`batch`]), and one network
//! window by window for a graph's `mean_field` actor with
//! `backend = "vulkan"` ([`network`]), and a cortical-surface simulation
//! for the `surface` kind ([`surface`], a kernel of its own). A kernel is the model part
//! generated from the model's declaration (`brainstream_modeldecl::wgsl`)
//! followed by the shared step (`shaders/step.wgsl`), compiled to SPIR-V
//! by naga: in `build.rs` for the built-in models, at run time for users'
//! models. State f32, the right-hand side in f64 where the device has
//! shaderFloat64 (f32 otherwise); the noise is Philox4x32-10
//! (`brainstream_models::philox`) so that the CPU engine reproduces it.

pub mod analysis;
pub mod batch;
pub mod batch_size;
mod buffers;
pub mod device;
pub mod error;
pub mod network;

pub mod shaders;
pub mod spirv;
mod sum_rule;
pub mod surface;

pub use analysis::{AnalysisSpec, DeviceRow};
pub use batch::{BatchSpec, GpuBatch};
pub use device::GpuDevice;
pub use error::GpuError;
pub use network::{GpuNetwork, NetNoise, NetScheme, NetworkSpec};
pub use shaders::Precision;
pub use surface::GpuSurface;
