//! Vulkan device choice: a discrete GPU first, then an integrated one, a
//! virtual one, and last a CPU implementation (Mesa's lavapipe), each
//! needing a queue with compute. [`GpuDevice::open`] opens the first of the
//! best kind, [`GpuDevice::open_all`] every one of it (a sweep uses every
//! GPU of the host; lavapipe only when there is nothing else or when it is
//! named).
//!
//! `BRAINSTREAM_VULKAN_DEVICE` picks by name instead: `<substring>` the
//! devices whose name contains it (of the best kind among them), or a
//! comma-separated list `<a>,<b>,…` one device per entry, in order, each
//! entry taking the first device named like it that no earlier entry took
//! — or, when every such device is taken, the first again, a second
//! logical device with its own queue on the same GPU
//! (`llvmpipe,llvmpipe`: two workers on lavapipe, as the tests do).

use std::sync::Arc;

use vulkano::command_buffer::allocator::StandardCommandBufferAllocator;
use vulkano::descriptor_set::allocator::StandardDescriptorSetAllocator;
use vulkano::device::physical::{PhysicalDevice, PhysicalDeviceType};
use vulkano::device::{
    Device, DeviceCreateInfo, DeviceFeatures, Queue, QueueCreateInfo, QueueFlags,
};
use vulkano::instance::{Instance, InstanceCreateFlags, InstanceCreateInfo};
use vulkano::memory::allocator::StandardMemoryAllocator;
use vulkano::memory::MemoryHeapFlags;
use vulkano::VulkanLibrary;

use crate::error::{vk, GpuError};

/// The environment variable that picks devices by name.
pub const DEVICE_VAR: &str = "BRAINSTREAM_VULKAN_DEVICE";

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
    /// Largest single allocation (`maxMemoryAllocationSize`, and
    /// `maxBufferSize` where the device reports it), bytes; `u64::MAX`
    /// where it reports neither.
    pub max_allocation: u64,
    /// Size of the largest device-local memory heap, bytes (for lavapipe,
    /// the host's memory as Mesa reports it).
    pub memory_heap: u64,
    /// Whether f64 arithmetic in shaders is enabled (shaderFloat64).
    pub has_f64: bool,
}

impl std::fmt::Debug for GpuDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuDevice({})", self.name)
    }
}

/// Rank of a device kind: lower is preferred.
fn kind_rank(t: PhysicalDeviceType) -> u8 {
    match t {
        PhysicalDeviceType::DiscreteGpu => 0,
        PhysicalDeviceType::IntegratedGpu => 1,
        PhysicalDeviceType::VirtualGpu => 2,
        PhysicalDeviceType::Cpu => 3,
        _ => 4,
    }
}

/// Which of the devices with compute (`(name, kind rank)`, in the loader's
/// order) to open, as positions in that list: `wanted` is
/// [`DEVICE_VAR`]'s value (see the module's documentation); an error names
/// what matched nothing.
pub fn select(devices: &[(String, u8)], wanted: Option<&str>) -> Result<Vec<usize>, String> {
    let best_of = |pos: Vec<usize>| -> Vec<usize> {
        let best = pos.iter().map(|&k| devices[k].1).min();
        pos.into_iter()
            .filter(|&k| Some(devices[k].1) == best)
            .collect()
    };
    let named = |w: &str| -> Vec<usize> {
        (0..devices.len())
            .filter(|&k| devices[k].0.contains(w))
            .collect()
    };
    let wanted = wanted.map(str::trim).filter(|w| !w.is_empty());
    let Some(wanted) = wanted else {
        let all = best_of((0..devices.len()).collect());
        return if all.is_empty() {
            Err("the Vulkan loader found no device with compute".into())
        } else {
            Ok(all)
        };
    };
    let entries: Vec<&str> = wanted.split(',').map(str::trim).collect();
    let no_match = |w: &str| {
        let names: Vec<&str> = devices.iter().map(|d| d.0.as_str()).collect();
        format!(
            "no device with compute named like `{w}` ({DEVICE_VAR}={wanted}; the devices: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )
    };
    if entries.len() == 1 {
        let pos = best_of(named(entries[0]));
        return if pos.is_empty() {
            Err(no_match(entries[0]))
        } else {
            Ok(pos)
        };
    }
    let mut taken: Vec<usize> = vec![];
    for w in entries {
        if w.is_empty() {
            return Err(format!("{DEVICE_VAR}={wanted}: an empty entry in the list"));
        }
        let mut pos = named(w);
        // the best kind first, then the loader's order
        pos.sort_by_key(|&k| (devices[k].1, k));
        let k = pos
            .iter()
            .copied()
            .find(|k| !taken.contains(k))
            .or(pos.first().copied())
            .ok_or_else(|| no_match(w))?;
        taken.push(k);
    }
    Ok(taken)
}

impl GpuDevice {
    /// Opens the best device, or says why none can be opened.
    pub fn open() -> Result<Self, GpuError> {
        Self::open_nth(0)
    }

    /// Opens device `k` (modulo their count) among the chosen devices (the
    /// best kind there is, or those named), in the loader's order: MPI
    /// ranks on one node pass their index on it, one GPU each.
    pub fn open_nth(k: usize) -> Result<Self, GpuError> {
        let chosen = Self::choose()?;
        let (physical, family) = chosen[k % chosen.len()].clone();
        Self::open_physical(physical, family)
    }

    /// Opens every chosen device: every one of the best kind there is (the
    /// discrete GPUs, if any; lavapipe only where there is no other), or
    /// those [`DEVICE_VAR`] names — one queue each.
    pub fn open_all() -> Result<Vec<Self>, GpuError> {
        Self::choose()?
            .into_iter()
            .map(|(p, f)| Self::open_physical(p, f))
            .collect()
    }

    /// The chosen physical devices with their compute queue family (at
    /// least one).
    fn choose() -> Result<Vec<(Arc<PhysicalDevice>, u32)>, GpuError> {
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
        let found: Vec<(Arc<PhysicalDevice>, u32)> = instance
            .enumerate_physical_devices()
            .map_err(|e| GpuError::NoDevice(format!("cannot list devices ({e:?})")))?
            .filter_map(|p| {
                p.queue_family_properties()
                    .iter()
                    .position(|q| q.queue_flags.intersects(QueueFlags::COMPUTE))
                    .map(|i| (p, i as u32))
            })
            .collect();
        let named: Vec<(String, u8)> = found
            .iter()
            .map(|(p, _)| {
                let props = p.properties();
                (props.device_name.clone(), kind_rank(props.device_type))
            })
            .collect();
        let wanted = std::env::var(DEVICE_VAR).ok();
        let pos = select(&named, wanted.as_deref()).map_err(GpuError::NoDevice)?;
        Ok(pos.into_iter().map(|k| found[k].clone()).collect())
    }

    /// A logical device with one compute queue on `physical`.
    fn open_physical(physical: Arc<PhysicalDevice>, family: u32) -> Result<Self, GpuError> {
        let props = physical.properties();
        let name = format!("{} ({:?})", props.device_name, props.device_type);
        let is_cpu = props.device_type == PhysicalDeviceType::Cpu;
        let max_storage_buffer = props.max_storage_buffer_range as u64;
        let max_allocation = props
            .max_memory_allocation_size
            .unwrap_or(u64::MAX)
            .min(props.max_buffer_size.unwrap_or(u64::MAX));
        let memory_heap = physical
            .memory_properties()
            .memory_heaps
            .iter()
            .filter(|h| h.flags.intersects(MemoryHeapFlags::DEVICE_LOCAL))
            .map(|h| h.size)
            .max()
            .unwrap_or(0);
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
        tracing::info!(
            device = %name,
            memory_mib = memory_heap >> 20,
            max_storage_buffer_mib = max_storage_buffer >> 20,
            "Vulkan device"
        );
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
            max_allocation,
            memory_heap,
            has_f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::select;

    fn devs() -> Vec<(String, u8)> {
        [
            ("llvmpipe (LLVM 15)", 3),
            ("NVIDIA H200", 0),
            ("Intel UHD", 1),
            ("NVIDIA H200", 0),
        ]
        .map(|(n, k)| (n.to_string(), k))
        .to_vec()
    }

    #[test]
    fn every_device_of_the_best_kind_unless_named() {
        assert_eq!(select(&devs(), None), Ok(vec![1, 3]));
        assert_eq!(select(&devs(), Some(" ")), Ok(vec![1, 3]));
        let cpu_only = vec![("llvmpipe".to_string(), 3)];
        assert_eq!(select(&cpu_only, None), Ok(vec![0]));
        assert!(select(&[], None).unwrap_err().contains("no device"));
        // one name: the devices named like it, of the best kind among them
        assert_eq!(select(&devs(), Some("llvmpipe")), Ok(vec![0]));
        assert_eq!(select(&devs(), Some("NVIDIA")), Ok(vec![1, 3]));
        assert_eq!(select(&devs(), Some("I")), Ok(vec![1, 3]));
    }

    #[test]
    fn a_list_names_one_device_per_entry() {
        assert_eq!(select(&devs(), Some("NVIDIA,NVIDIA")), Ok(vec![1, 3]));
        // every one named taken: the first again (a second queue on it)
        assert_eq!(select(&devs(), Some("llvmpipe, llvmpipe")), Ok(vec![0, 0]));
        assert_eq!(
            select(&devs(), Some("NVIDIA,Intel,NVIDIA,NVIDIA")),
            Ok(vec![1, 2, 3, 1])
        );
        let e = select(&devs(), Some("NVIDIA,AMD")).unwrap_err();
        assert!(e.contains("`AMD`") && e.contains("NVIDIA H200"), "{e}");
        let e = select(&devs(), Some("NVIDIA,,llvmpipe")).unwrap_err();
        assert!(e.contains("empty entry"), "{e}");
    }
}
