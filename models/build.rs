//! Generates the built-in models from their declarations (`decl/*.toml`):
//! a declaration that does not check stops the build with its problems,
//! located (`decl/NAME.toml:LINE:COL: ...`).

use std::path::{Path, PathBuf};

/// The declaration files (`*.toml`) of `models/<sub>`; the build runs again
/// when the folder changes.
fn declarations(sub: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(sub);
    println!("cargo:rerun-if-changed={}", dir.display());
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("models/{sub}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect()
}

fn main() {
    let mut files = declarations("decl");
    files.sort();
    let mut programs = vec![];
    let mut failed = false;
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let text = std::fs::read_to_string(f).expect("readable declaration");
        let shown = format!(
            "models/decl/{}",
            f.file_name().unwrap_or_default().to_string_lossy()
        );
        match brainstream_modeldecl::compile(&shown, &text) {
            Ok((p, warnings)) => {
                // tvb-library declares parameters its equations never read
                // (JansenRit's p_min, p_max, ...): kept for fidelity, not
                // warned about; anything else unused is
                if let Some(w) = warnings {
                    for p in w
                        .problems
                        .iter()
                        .filter(|p| !p.message.starts_with("parameter `"))
                    {
                        println!(
                            "cargo:warning={}:{}:{}: {}",
                            w.path, p.line, p.col, p.message
                        );
                    }
                }
                let stem = f
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                if stem != p.name {
                    eprintln!(
                        "{shown}: the file of model `{}` must be named {}.toml",
                        p.name, p.name
                    );
                    failed = true;
                }
                programs.push((p, f.display().to_string()));
            }
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if failed {
        panic!("model declarations do not check (see above)");
    }
    let targets: Vec<brainstream_modeldecl::rust::Target> = programs
        .iter()
        .map(|(p, path)| brainstream_modeldecl::rust::Target {
            program: p,
            source_path: path,
        })
        .collect();
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("models.rs");
    std::fs::write(out, brainstream_modeldecl::rust::generate(&targets)).expect("writable OUT_DIR");
    couplings();
}

/// tvb-library's order of its couplings (`brainstream list`, messages); a
/// declaration not listed here comes after them, by name.
const COUPLING_ORDER: &[&str] = &[
    "Linear",
    "Scaling",
    "Sigmoidal",
    "SigmoidalJansenRit",
    "Difference",
    "Kuramoto",
    "HyperbolicTangent",
    "PreSigmoidal",
];

/// The built-in couplings' table (`COUPLINGS`) from `decl/couplings/*.toml`:
/// a declaration that does not check stops the build, located; one whose
/// name is not a `CouplingKind` does not compile.
fn couplings() {
    let mut files = declarations("decl/couplings");
    let rank = |p: &Path| {
        let stem = p
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let k = COUPLING_ORDER
            .iter()
            .position(|n| *n == stem)
            .unwrap_or(usize::MAX);
        (k, stem)
    };
    files.sort_by_key(|p| rank(p));
    let mut programs = vec![];
    let mut failed = false;
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let text = std::fs::read_to_string(f).expect("readable declaration");
        let shown = format!(
            "models/decl/couplings/{}",
            f.file_name().unwrap_or_default().to_string_lossy()
        );
        match brainstream_modeldecl::coupling::compile(&shown, &text) {
            Ok((p, _)) => {
                if f.file_stem().unwrap_or_default().to_string_lossy() != p.name {
                    eprintln!(
                        "{shown}: the file of coupling `{}` must be named {}.toml",
                        p.name, p.name
                    );
                    failed = true;
                }
                programs.push((p, f.display().to_string()));
            }
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if failed {
        panic!("coupling declarations do not check (see above)");
    }
    let targets: Vec<_> = programs.iter().map(|(p, f)| (p, f.as_str())).collect();
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("couplings.rs");
    std::fs::write(out, brainstream_modeldecl::rust::couplings(&targets))
        .expect("writable OUT_DIR");
}
