//! # brainstream-gpu
//!
//! Whole-brain mean-field models stepped as Vulkan compute shaders
//! (vulkano), many parameter combinations at once: the backend of
//! `brainstream sweep --backend vulkan`. Shaders are WGSL compiled to SPIR-V
//! by naga in `build.rs`; one shader per model in `shaders/models/`, one
//! shared step in `shaders/step.wgsl`. f32 on the device; the noise is
//! Philox4x32-10 (`brainstream_models::philox`) so that the CPU engine
//! reproduces it.

pub mod batch;
pub mod device;
pub mod error;

pub mod shaders;

pub use batch::{BatchSpec, GpuBatch};
pub use device::GpuDevice;
pub use error::GpuError;
