//! GPU backend errors, each saying what to do.

/// Everything that can stop the Vulkan backend.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No Vulkan loader or no device: the CPU backend still works.
    #[error("no Vulkan device: {0}; install a Vulkan driver (a GPU's, or Mesa's lavapipe: apt-get install mesa-vulkan-drivers libvulkan1), or run with --backend cpu")]
    NoDevice(String),
    /// The model has no compute shader.
    #[error("model {0} has no Vulkan compute shader yet (shaders exist for {1}); run with --backend cpu")]
    NoShader(String, String),
    /// A model whose generated kernel cannot be made (a user's model).
    #[error("model {model}: no Vulkan kernel: {cause}; run with --backend cpu")]
    Kernel { model: String, cause: String },
    /// A configuration the kernel does not handle.
    #[error("the Vulkan backend cannot run this configuration: {0}; run with --backend cpu")]
    Unsupported(String),
    /// A Vulkan call failed.
    #[error("Vulkan: {0}")]
    Vulkan(String),
}

/// `?` on any vulkano error.
pub(crate) fn vk<E: std::fmt::Debug>(e: E) -> GpuError {
    GpuError::Vulkan(format!("{e:?}"))
}
