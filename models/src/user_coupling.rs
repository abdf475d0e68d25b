//! Users' own coupling functions: a declaration file (`coupling =
//! "my_coupling.toml"` on a `mean_field` actor; the format is
//! `brainstream_modeldecl::coupling`'s, documented in `docs/models.md`,
//! "Coupling functions") read, checked and turned into a
//! [`CouplingInfo`] of kind [`CouplingKind::Declared`] that the engine
//! evaluates with [`CouplingEval`]: `pre` over the connections of a
//! region in blocks, the products `w_ij·pre` and their sum by the
//! declaration's rules (sparse or dense, numpy's or float64 precision),
//! then `post(gx)`.
//!
//! The built-in couplings' declarations are `models/decl/couplings/*.toml`;
//! loaded as a user's coupling (under another name), each gives the
//! built-in's results to the last bit (`models/tests/declared_models.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use brainstream_modeldecl::coupling::{self as decl, CouplingProgram, Sum};

use crate::coupling::{CouplingInfo, CouplingKind, COUPLINGS};
use crate::params::ParamDef;
use crate::user_model::UserModelError;

/// Largest declaration file read, bytes (as a model's).
const MAX_DECLARATION_BYTES: u64 = 1 << 20;

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// The [`CouplingInfo`] of a checked coupling program whose declaration is
/// `source`.
pub fn info_of(program: CouplingProgram, source: &str) -> &'static CouplingInfo {
    let p: &'static CouplingProgram = Box::leak(Box::new(program));
    let params: Vec<ParamDef> = p
        .params
        .iter()
        .map(|q| ParamDef {
            name: leak_str(&q.name),
            default: q.default[0],
            lo: q.lo,
            hi: q.hi,
            unit: leak_str(&q.unit),
            doc: leak_str(&q.doc),
            len: q.len,
            defaults: if q.vector {
                leak(q.default.clone())
            } else {
                &[]
            },
            min: q.limits.0,
            max: q.limits.1,
        })
        .collect();
    let doc = if p.reference.is_empty() {
        p.doc.clone()
    } else {
        format!("{} ({})", p.doc, p.reference)
    };
    Box::leak(Box::new(CouplingInfo {
        kind: CouplingKind::Declared,
        name: leak_str(&p.name),
        doc: leak_str(&doc),
        params: leak(params),
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
    let read_err = |cause: String| UserModelError::Read {
        path: shown.to_string(),
        cause,
    };
    let meta = std::fs::metadata(path).map_err(|e| read_err(e.to_string()))?;
    if !meta.is_file() {
        return Err(read_err("not a regular file".into()));
    }
    if meta.len() > MAX_DECLARATION_BYTES {
        return Err(read_err(format!(
            "{} bytes, more than the {MAX_DECLARATION_BYTES} a declaration may have",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| read_err(e.to_string()))?;
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
/// coupling: not named as a built-in, and summed by a rule a declared
/// coupling may use.
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
    if program.sum == Sum::PreSigmoidal {
        return Err(UserModelError::Unsupported {
            path: shown.to_string(),
            cause: "sum = \"presigmoidal\" is tvb-library's PreSigmoidal's own rule (coupling = \"PreSigmoidal\"); a declared coupling is summed \"sparse\" or \"dense\"".into(),
        });
    }
    Ok(info_of(program, text))
}
