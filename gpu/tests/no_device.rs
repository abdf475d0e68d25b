//! Without a usable Vulkan device the error names the cause and says what
//! to do (its own test binary: it sets an environment variable).

use brainstream_gpu::GpuDevice;

#[test]
fn a_missing_device_is_named_with_what_to_do() {
    // a device name nothing matches stands for a machine without a driver
    std::env::set_var("BRAINSTREAM_VULKAN_DEVICE", "no-such-device-anywhere");
    let e = GpuDevice::open().unwrap_err().to_string();
    std::env::remove_var("BRAINSTREAM_VULKAN_DEVICE");
    assert!(e.starts_with("no Vulkan device"), "{e}");
    assert!(
        e.contains("--backend cpu") && e.contains("mesa-vulkan-drivers"),
        "{e}"
    );
}
