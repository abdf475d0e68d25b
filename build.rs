//! Links the C libraries of the root package's programs (`brainstream`, its
//! tests, examples and benches) from their static archives, so that starting
//! a process maps fewer shared libraries: Debian's shared libhdf5 alone pulls
//! in 35 (libcurl, gnutls, krb5, ldap, … for its read-only S3 driver, which
//! brainstream never uses), about 5 ms of every start; fontconfig, freetype
//! (plotters' text) and libstdc++ (the bundled libzmq) 7 more
//! (docs/benchmarks.md, "Whole-process start (row 8)").
//!
//! How: the crates ask the linker for `-lhdf5` (hdf5-metno-sys), `-lhdf5_hl`
//! (brainstream-actors, its dimension scales), `-lfontconfig -lfreetype`
//! (font-kit) and `-lstdc++` (zmq-sys) as shared libraries. This script
//! writes a folder of small linker scripts named `libhdf5.so`, … that name
//! the static archives instead (each with the archives of its own
//! dependencies), and puts that folder first on the library search path: the
//! linker takes the first `libhdf5.so` it finds, and accepts a linker script
//! where a library is expected (as Debian's `libc.so` is one). Archive
//! members are linked only when referenced, so HDF5's S3 driver and its
//! libcurl are never pulled in.
//!
//! A search path set here also reaches the packages that depend on this one.
//! The Python module (`pyapi`, a shared object) cannot take Debian's
//! archives, which are not built position-independent: this script also
//! writes a folder of links to the shared libraries, handed to pyapi's build
//! script (`links` metadata, `DEP_BRAINSTREAM_NATIVE_SHARED`), which puts it
//! first on its own search path.
//!
//! A library whose archives are not all found (another distribution, a
//! conda HDF5), or every one with `BRAINSTREAM_DYNAMIC_LIBS=1`, is linked
//! shared as before, and a build warning names it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where an archive is looked for.
#[derive(Clone, Copy)]
enum Dir {
    /// the folders `pkg-config --libs-only-L hdf5` names (as hdf5-metno-sys
    /// finds HDF5), then `$HDF5_DIR/lib`, then the C compiler's search path
    /// (libhdf5's dependencies)
    Hdf5,
    /// the C compiler's search path (`cc -print-file-name`)
    Cc,
}

/// A library the crates link by name, and the archives that replace it, in
/// link order (its own first, then those of its dependencies; `libm` stays
/// shared: every program maps it already).
struct Replaced {
    name: &'static str,
    dir: Dir,
    archives: &'static [&'static str],
}

const REPLACED: &[Replaced] = &[
    // Debian's libhdf5.settings: -lsz -lz -lm (libsz is libaec's SZIP
    // interface); -lcurl -lcrypto only for the S3 driver
    Replaced {
        name: "hdf5",
        dir: Dir::Hdf5,
        archives: &["hdf5", "sz", "aec", "z"],
    },
    Replaced {
        name: "hdf5_hl",
        dir: Dir::Hdf5,
        archives: &["hdf5_hl"],
    },
    Replaced {
        name: "fontconfig",
        dir: Dir::Cc,
        archives: &[
            "fontconfig",
            "freetype",
            "png16",
            "brotlidec",
            "brotlicommon",
            "expat",
            "z",
        ],
    },
    Replaced {
        name: "freetype",
        dir: Dir::Cc,
        archives: &["freetype", "png16", "brotlidec", "brotlicommon", "z"],
    },
    Replaced {
        name: "stdc++",
        dir: Dir::Cc,
        archives: &["stdc++"],
    },
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=BRAINSTREAM_DYNAMIC_LIBS");
    println!("cargo::rerun-if-env-changed=HDF5_DIR");
    println!("cargo::rerun-if-env-changed=CC");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let (static_dir, shared_dir) = (out.join("static-libs"), out.join("shared-libs"));
    for d in [&static_dir, &shared_dir] {
        // a previous build's scripts and links must not outlive their reason
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).expect("writable OUT_DIR");
    }
    // the shared folder is always handed on (empty when nothing is replaced)
    println!("cargo::metadata=shared={}", shared_dir.display());
    if std::env::var_os("BRAINSTREAM_DYNAMIC_LIBS").is_some_and(|v| v != "0")
        || std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux")
    {
        return;
    }
    let hdf5_dirs = hdf5_lib_dirs();
    let mut replaced_any = false;
    for r in REPLACED {
        let found: Option<Vec<PathBuf>> = r
            .archives
            .iter()
            .map(|a| find(r.dir, &hdf5_dirs, &format!("lib{a}.a")))
            .collect();
        let shared = find(r.dir, &hdf5_dirs, &format!("lib{}.so", r.name));
        let (Some(archives), Some(shared)) = (found, shared) else {
            println!(
                "cargo::warning=lib{}: its static archives ({}) not all found: linked shared, \
                 which adds to every start",
                r.name,
                r.archives
                    .iter()
                    .map(|a| format!("lib{a}.a"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            continue;
        };
        let list: Vec<String> = archives.iter().map(|a| a.display().to_string()).collect();
        std::fs::write(
            static_dir.join(format!("lib{}.so", r.name)),
            format!(
                "/* brainstream's build.rs: lib{} from its static archives */\nGROUP ( {} AS_NEEDED ( -lm ) )\n",
                r.name,
                list.join(" ")
            ),
        )
        .expect("writable OUT_DIR");
        std::os::unix::fs::symlink(shared, shared_dir.join(format!("lib{}.so", r.name)))
            .expect("a symbolic link in OUT_DIR");
        replaced_any = true;
    }
    if replaced_any {
        println!("cargo::rustc-link-search=native={}", static_dir.display());
    }
}

/// The folders `pkg-config --libs-only-L hdf5` names, then `$HDF5_DIR/lib`.
fn hdf5_lib_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![];
    if let Ok(o) = Command::new("pkg-config")
        .args(["--libs-only-L", "hdf5"])
        .output()
    {
        if o.status.success() {
            dirs.extend(
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .filter_map(|f| f.strip_prefix("-L"))
                    .map(PathBuf::from),
            );
        }
    }
    if let Some(root) = std::env::var_os("HDF5_DIR") {
        dirs.push(Path::new(&root).join("lib"));
    }
    dirs
}

/// The file `file` (`libNAME.a` or `libNAME.so`) where `dir` says.
fn find(dir: Dir, hdf5_dirs: &[PathBuf], file: &str) -> Option<PathBuf> {
    match dir {
        Dir::Hdf5 => hdf5_dirs
            .iter()
            .map(|d| d.join(file))
            .find(|p| p.exists())
            .or_else(|| find(Dir::Cc, hdf5_dirs, file)),
        Dir::Cc => {
            // `cc -print-file-name` echoes the bare name when it has none
            let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
            let o = Command::new(cc)
                .arg(format!("-print-file-name={file}"))
                .output()
                .ok()?;
            let p = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            (o.status.success() && p.is_absolute() && p.exists()).then_some(p)
        }
    }
}
