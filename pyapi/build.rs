//! Keeps the Python module on the shared C libraries.
//!
//! The root package's build script puts a folder first on the library search
//! path whose `libhdf5.so`, `libfontconfig.so`, … are linker scripts naming
//! static archives (a faster start for the `brainstream` programs; see its
//! `build.rs`). That search path reaches this package too, but a shared
//! object (this `cdylib`) cannot take Debian's archives, which are not built
//! position-independent. The root's build script also writes a folder of
//! links to the shared libraries it replaced (`DEP_BRAINSTREAM_NATIVE_SHARED`);
//! this script copies those links into a folder of its own `OUT_DIR` and puts
//! that on the search path: cargo places this package's own build-script
//! folder before its dependencies' (a folder in a dependency's `OUT_DIR`,
//! named here, was placed after the root's, and the link failed), so the
//! linker takes the real `libhdf5.so`, … from there.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=DEP_BRAINSTREAM_NATIVE_SHARED");
    let Some(from) = std::env::var_os("DEP_BRAINSTREAM_NATIVE_SHARED") else {
        return;
    };
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("shared-libs");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("writable OUT_DIR");
    for entry in std::fs::read_dir(&from)
        .expect("the root build script's folder")
        .flatten()
    {
        let target = std::fs::read_link(entry.path()).unwrap_or_else(|_| entry.path());
        std::os::unix::fs::symlink(target, out.join(entry.file_name()))
            .expect("a symbolic link in OUT_DIR");
    }
    println!("cargo::rustc-link-search=native={}", out.display());
}
