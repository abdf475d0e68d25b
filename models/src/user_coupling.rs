//! Users' own coupling functions: a declaration file (`coupling =
//! "my_coupling.toml"` on a `mean_field` actor; the format is
//! `brainstream_modeldecl::coupling`'s, documented in `docs/models.md`,
//! "Coupling functions") read, checked and turned into a
//! [`CouplingInfo`] of kind [`CouplingKind::Declared`] that the engine
//! evaluates with [`CouplingEval`]: `pre` over the connections of a
//! region in blocks, the products `w_ij·pre` and their sum by the
//! declaration's rules (sparse or dense, numpy's or float64 precision),
//! then `post(gx)`; or, summed `"presigmoidal"`, `pre` over the terms of
//! tvb-library 2.10's PreSigmoidal sum (`engine/presigmoidal_sum.rs`).
//!
//! The built-in couplings' declarations are `models/decl/couplings/*.toml`;
//! loaded as a user's coupling (under another name), each gives the
//! built-in's results to the last bit (`models/tests/declared_models.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use brainstream_modeldecl::coupling::{self as decl, CouplingProgram};

use crate::coupling::{CouplingInfo, CouplingKind, COUPLINGS};
use crate::user_model::{
    doc_with_reference, leak_str, param_defs, read_declaration, UserModelError,
};

/// The [`CouplingInfo`] of a checked coupling program whose declaration is
/// `source`.
pub fn info_of(program: CouplingProgram, source: &str) -> &'static CouplingInfo {
    let p: &'static CouplingProgram = Box::leak(Box::new(program));
    Box::leak(Box::new(CouplingInfo {
        kind: CouplingKind::Declared,
        name: leak_str(&p.name),
        doc: doc_with_reference(&p.doc, &p.reference),
        params: param_defs(&p.params),
        user: Some(p),
        source: leak_str(source),
    }))
}

/// Reads, checks and loads a user's coupling declaration; `shown` names
/// the file in messages. Warnings (unused names) go to the log. A file
/// loaded again with the same text is the same coupling.
pub fn load(path: &Path, shown: &str) -> Result<&'static CouplingInfo, UserModelError> {
    static LOADED: Mutex<Option<HashMap<PathBuf, &'static CouplingInfo>>> = Mutex::new(None);
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let text = read_declaration(path, shown)?;
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let map = loaded.get_or_insert_with(HashMap::new);
    if let Some(info) = map.get(&key) {
        if info.source == text {
            return Ok(info);
        }
    }
    let info = compile(shown, &text)?;
    map.insert(key, info);
    Ok(info)
}

/// Checks the declaration `text` (named `shown` in messages) and makes it a
/// coupling, not named as a built-in.
pub fn compile(shown: &str, text: &str) -> Result<&'static CouplingInfo, UserModelError> {
    let (program, warnings) = decl::compile(shown, text)?;
    if let Some(w) = warnings {
        for line in w.to_string().lines() {
            tracing::warn!("{line}");
        }
    }
    if COUPLINGS.iter().any(|c| c.name == program.name) {
        return Err(UserModelError::BuiltinCoupling {
            path: shown.to_string(),
            name: program.name,
        });
    }
    Ok(info_of(program, text))
}
