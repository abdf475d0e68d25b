//! Vulkan device choice: a discrete GPU first, then an integrated one, a
//! virtual one, and last a CPU implementation (Mesa's lavapipe), each
//! needing a queue with compute. `BRAINSTREAM_VULKAN_DEVICE=<substring>`
//! picks a device by name instead.

use std::sync::Arc;

use vulkano::command_buffer::allocator::StandardCommandBufferAllocator;
use vulkano::descriptor_set::allocator::StandardDescriptorSetAllocator;
use vulkano::device::physical::PhysicalDeviceType;
use vulkano::device::{
    Device, DeviceCreateInfo, DeviceFeatures, Queue, QueueCreateInfo, QueueFlags,
};
use vulkano::instance::{Instance, InstanceCreateFlags, InstanceCreateInfo};
use vulkano::memory::allocator::StandardMemoryAllocator;
use vulkano::VulkanLibrary;

use crate::error::{vk, GpuError};

/// An opened device with its queue and allocators.
pub struct GpuDevice {
    pub device: Arc<Device>,
    pub queue: Arc<Queue>,
    pub memory: Arc<StandardMemoryAllocator>,
    pub descriptors: Arc<StandardDescriptorSetAllocator>,
    pub commands: Arc<StandardCommandBufferAllocator>,
    /// Device name and kind, e.g. `llvmpipe (LLVM 15.0.6, 256 bits) (Cpu)`.
    pub name: String,
    /// Whether it is a CPU implementation (lavapipe): for correctness, not speed.
    pub is_cpu: bool,
    /// Largest storage buffer binding, bytes.
    pub max_storage_buffer: u64,
    /// Whether f64 arithmetic in shaders is enabled (shaderFloat64).
    pub has_f64: bool,
}

impl std::fmt::Debug for GpuDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuDevice({})", self.name)
    }
}

impl GpuDevice {
    /// Opens the best device, or says why none can be opened.
    pub fn open() -> Result<Self, GpuError> {
        Self::open_nth(0)
    }

    /// Opens device `k` (modulo their count) among the devices of the best
    /// kind there is (the discrete GPUs, if any), in the loader's order:
    /// MPI ranks on one node pass their index on it, one GPU each.
    pub fn open_nth(k: usize) -> Result<Self, GpuError> {
        let library = VulkanLibrary::new()
            .map_err(|e| GpuError::NoDevice(format!("no Vulkan loader ({e})")))?;
        let instance = Instance::new(
            library,
            InstanceCreateInfo {
                flags: InstanceCreateFlags::ENUMERATE_PORTABILITY,
                ..Default::default()
            },
        )
        .map_err(|e| GpuError::NoDevice(format!("cannot create a Vulkan instance ({e:?})")))?;
        let wanted = std::env::var("BRAINSTREAM_VULKAN_DEVICE").ok();
        let found = instance
            .enumerate_physical_devices()
            .map_err(|e| GpuError::NoDevice(format!("cannot list devices ({e:?})")))?
            .filter(|p| match &wanted {
                Some(w) => p.properties().device_name.contains(w.as_str()),
                None => true,
            })
            .filter_map(|p| {
                p.queue_family_properties()
                    .iter()
                    .position(|q| q.queue_flags.intersects(QueueFlags::COMPUTE))
                    .map(|i| (p, i as u32))
            })
            .map(|(p, i)| {
                let kind = match p.properties().device_type {
                    PhysicalDeviceType::DiscreteGpu => 0,
                    PhysicalDeviceType::IntegratedGpu => 1,
                    PhysicalDeviceType::VirtualGpu => 2,
                    PhysicalDeviceType::Cpu => 3,
                    _ => 4,
                };
                (kind, p, i)
            })
            .collect::<Vec<_>>();
        let best = found.iter().map(|f| f.0).min();
        let found: Vec<_> = found
            .into_iter()
            .filter(|f| Some(f.0) == best)
            .map(|(_, p, i)| (p, i))
            .collect();
        let n = found.len().max(1);
        let (physical, family) = found.into_iter().nth(k % n).ok_or_else(|| {
            GpuError::NoDevice(match &wanted {
                Some(w) => {
                    format!("no device with compute named like `{w}` (BRAINSTREAM_VULKAN_DEVICE)")
                }
                None => "the Vulkan loader found no device with compute".into(),
            })
        })?;
        let props = physical.properties();
        let name = format!("{} ({:?})", props.device_name, props.device_type);
        let is_cpu = props.device_type == PhysicalDeviceType::Cpu;
        let max_storage_buffer = props.max_storage_buffer_range as u64;
        let has_f64 = physical.supported_features().shader_float64;
        let (device, mut queues) = Device::new(
            physical,
            DeviceCreateInfo {
                enabled_features: DeviceFeatures {
                    shader_float64: has_f64,
                    ..DeviceFeatures::empty()
                },
                queue_create_infos: vec![QueueCreateInfo {
                    queue_family_index: family,
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .map_err(vk)?;
        let queue = queues
            .next()
            .ok_or_else(|| GpuError::Vulkan("no queue".into()))?;
        tracing::info!(device = %name, "Vulkan device");
        Ok(Self {
            memory: Arc::new(StandardMemoryAllocator::new_default(device.clone())),
            descriptors: Arc::new(StandardDescriptorSetAllocator::new(
                device.clone(),
                Default::default(),
            )),
            commands: Arc::new(StandardCommandBufferAllocator::new(
                device.clone(),
                Default::default(),
            )),
            device,
            queue,
            name,
            is_cpu,
            max_storage_buffer,
            has_f64,
        })
    }
}
