//! Keeps the Python module on the shared C libraries.
//!
//! The root package's build script puts a folder first on the library search
//! path whose `libhdf5.so`, `libfontconfig.so`, … are linker scripts naming
//! static archives (a faster start for the `brainstream` programs; see its
//! `build.rs`). That search path reaches this package too, but a shared
//! object (this `cdylib`) cannot take Debian's archives, which are not built
//! position-independent. The root's build script also writes a folder of
//! links to the shared libraries it replaced, and hands it here
//! (`DEP_BRAINSTREAM_NATIVE_SHARED`): a package's own search paths come
//! before its dependencies' on the link line, so the linker takes the real
//! `libhdf5.so`, … from there.

fn main() {
    println!("cargo::rerun-if-env-changed=DEP_BRAINSTREAM_NATIVE_SHARED");
    if let Some(dir) = std::env::var_os("DEP_BRAINSTREAM_NATIVE_SHARED") {
        println!(
            "cargo::rustc-link-search=native={}",
            std::path::Path::new(&dir).display()
        );
    }
}
