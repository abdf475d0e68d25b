//! Buffers and compute pipelines as both kernels ([`crate::batch`], the
//! sweep's; [`crate::network`], a graph's mean field) make them: host-visible
//! buffers the host reads or writes between submissions, device-local
//! buffers filled once through a staging copy, and a pipeline whose push
//! constants are checked against the host's struct.

use std::sync::Arc;

use vulkano::buffer::{Buffer, BufferContents, BufferCreateInfo, BufferUsage, Subbuffer};
use vulkano::command_buffer::{
    AutoCommandBufferBuilder, CommandBufferUsage, CopyBufferInfo, PrimaryAutoCommandBuffer,
    PrimaryCommandBufferAbstract,
};
use vulkano::memory::allocator::{AllocationCreateInfo, MemoryTypeFilter};
use vulkano::pipeline::compute::ComputePipelineCreateInfo;
use vulkano::pipeline::layout::PipelineDescriptorSetLayoutCreateInfo;
use vulkano::pipeline::{ComputePipeline, PipelineLayout, PipelineShaderStageCreateInfo};
use vulkano::shader::{ShaderModule, ShaderModuleCreateInfo};
use vulkano::sync::GpuFuture;

use crate::device::GpuDevice;
use crate::error::{vk, GpuError};

/// A host-visible buffer (random access) holding `data`, for `usage`.
pub(crate) fn host_buffer<T: BufferContents + Copy>(
    dev: &GpuDevice,
    usage: BufferUsage,
    data: impl ExactSizeIterator<Item = T>,
) -> Result<Subbuffer<[T]>, GpuError> {
    Buffer::from_iter(
        dev.memory.clone(),
        BufferCreateInfo {
            usage,
            ..Default::default()
        },
        AllocationCreateInfo {
            memory_type_filter: MemoryTypeFilter::PREFER_HOST
                | MemoryTypeFilter::HOST_RANDOM_ACCESS,
            ..Default::default()
        },
        data,
    )
    .map_err(vk)
}

/// A device-local storage buffer of `len` elements (at least one), which
/// copies may fill and read.
pub(crate) fn device_buffer<T: BufferContents + Copy>(
    dev: &GpuDevice,
    len: usize,
) -> Result<Subbuffer<[T]>, GpuError> {
    Buffer::new_slice::<T>(
        dev.memory.clone(),
        BufferCreateInfo {
            usage: BufferUsage::STORAGE_BUFFER
                | BufferUsage::TRANSFER_DST
                | BufferUsage::TRANSFER_SRC,
            ..Default::default()
        },
        AllocationCreateInfo {
            memory_type_filter: MemoryTypeFilter::PREFER_DEVICE,
            ..Default::default()
        },
        len.max(1) as u64,
    )
    .map_err(vk)
}

/// Records a one-time command buffer with `record`, submits it on the
/// device's queue and waits until the device has run it.
pub(crate) fn run_once(
    dev: &GpuDevice,
    record: impl FnOnce(&mut AutoCommandBufferBuilder<PrimaryAutoCommandBuffer>) -> Result<(), GpuError>,
) -> Result<(), GpuError> {
    let mut b = AutoCommandBufferBuilder::primary(
        dev.commands.clone(),
        dev.queue.queue_family_index(),
        CommandBufferUsage::OneTimeSubmit,
    )
    .map_err(vk)?;
    record(&mut b)?;
    b.build()
        .map_err(vk)?
        .execute(dev.queue.clone())
        .map_err(vk)?
        .then_signal_fence_and_flush()
        .map_err(vk)?
        .wait(None)
        .map_err(vk)
}

/// Copies `src` into `dst` (as many bytes as the smaller holds) and waits
/// for the copy.
pub(crate) fn copy_and_wait(
    dev: &GpuDevice,
    src: Subbuffer<impl ?Sized>,
    dst: Subbuffer<impl ?Sized>,
) -> Result<(), GpuError> {
    run_once(dev, |b| {
        b.copy_buffer(CopyBufferInfo::buffers(src, dst))
            .map_err(vk)?;
        Ok(())
    })
}

/// A device-local storage buffer holding `data`, uploaded through a staging
/// buffer (waits for the copy).
pub(crate) fn upload<T: BufferContents + Copy>(
    dev: &GpuDevice,
    data: &[T],
) -> Result<Subbuffer<[T]>, GpuError> {
    let staging = host_buffer(dev, BufferUsage::TRANSFER_SRC, data.iter().copied())?;
    let dst = device_buffer::<T>(dev, data.len())?;
    copy_and_wait(dev, staging, dst.clone())?;
    Ok(dst)
}

/// The compute pipeline of `words` (SPIR-V with an entry point `main`), its
/// layout taken from the shader; the push constants it declares must be
/// exactly `push_bytes` (the host's struct), else an error naming `what`.
///
/// The caller vouches for the SPIR-V: naga's output for a kernel generated
/// from a checked declaration and validated by naga.
pub(crate) fn compute_pipeline(
    dev: &GpuDevice,
    words: &[u32],
    push_bytes: usize,
    what: &str,
) -> Result<Arc<ComputePipeline>, GpuError> {
    // SAFETY: see the doc comment: the words are naga-validated SPIR-V.
    let module =
        unsafe { ShaderModule::new(dev.device.clone(), ShaderModuleCreateInfo::new(words)) }
            .map_err(vk)?;
    let entry = module
        .entry_point("main")
        .ok_or_else(|| GpuError::Vulkan("shader has no entry point `main`".into()))?;
    let stage = PipelineShaderStageCreateInfo::new(entry);
    let layout = PipelineLayout::new(
        dev.device.clone(),
        PipelineDescriptorSetLayoutCreateInfo::from_stages([&stage])
            .into_pipeline_layout_create_info(dev.device.clone())
            .map_err(vk)?,
    )
    .map_err(vk)?;
    let pc: u32 = layout
        .push_constant_ranges()
        .iter()
        .map(|r| r.offset + r.size)
        .max()
        .unwrap_or(0);
    if pc as usize != push_bytes {
        return Err(GpuError::Vulkan(format!(
            "{what} declares {pc} bytes of push constants, the host writes {push_bytes}"
        )));
    }
    ComputePipeline::new(
        dev.device.clone(),
        None,
        ComputePipelineCreateInfo::stage_layout(stage, layout),
    )
    .map_err(vk)
}
