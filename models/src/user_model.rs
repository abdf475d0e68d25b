//! Users' models: a declaration file (`model = "mine.toml"` in a graph)
//! read, checked and run with no compiler. The checked program is
//! evaluated by [`brainstream_modeldecl::eval::Tape`], a block at a time,
//! with the same operations in the same order as a built-in model
//! generated from the same declaration — the same bits (tested).
//!
//! A loaded model lives for the rest of the process (its `ModelInfo` is
//! `'static`, as the built-ins' are); loading the same file again returns
//! the same model.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use brainstream_modeldecl::eval::Tape;
use brainstream_modeldecl::{DeclError, Program};

use crate::models::{Dfun, ModelInfo};
use crate::params::{ParamDef, ParamSet};

/// Largest declaration file read, bytes.
pub const MAX_DECLARATION_BYTES: u64 = 1 << 20;

/// Why a user's model cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UserModelError {
    #[error("{path}: cannot read the model declaration: {cause}")]
    Read { path: String, cause: String },
    #[error("{0}")]
    Declaration(#[from] DeclError),
    #[error("{path}: the model is named `{name}`, the name of a built-in model; give yours another name")]
    BuiltinName { path: String, name: String },
    #[error("{path}: the coupling is named `{name}`, the name of a built-in coupling; give yours another name")]
    BuiltinCoupling { path: String, name: String },
}

/// A user's model with one parameter set, ready for the engine.
#[derive(Debug, Clone)]
pub struct UserModel {
    tape: Tape,
    nt: usize,
}

impl UserModel {
    /// Compiles `program` for the values of `params` (per-region values
    /// are read per region; the rest enter as constants).
    pub fn new(program: &'static Program, params: &ParamSet) -> Self {
        Self {
            tape: Tape::new(program, params.values(), params.regional()),
            nt: program.cvar.len(),
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl Dfun for UserModel {
    fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]) {
        self.dfun_rows(0, x.len(), c.len().max(self.nt), x, c, dx);
    }

    fn dfun_rows(&self, first: usize, _nv: usize, nt: usize, x: &[f64], c: &[f64], dx: &mut [f64]) {
        SCRATCH.with(|s| self.tape.eval(&mut s.borrow_mut(), first, nt, x, c, dx));
    }
}

pub(crate) fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

pub(crate) fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// The parameter table of a checked declaration (a model's or a
/// coupling's), for the process's lifetime.
pub(crate) fn param_defs(params: &[brainstream_modeldecl::lower::Param]) -> &'static [ParamDef] {
    leak(
        params
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
            .collect(),
    )
}

/// A declaration's one line of meaning, with its reference where it has one.
pub(crate) fn doc_with_reference(doc: &str, reference: &str) -> &'static str {
    if reference.is_empty() {
        leak_str(doc)
    } else {
        leak_str(&format!("{doc} ({reference})"))
    }
}

/// The text of a declaration file (a model's or a coupling's): a regular
/// file of at most [`MAX_DECLARATION_BYTES`]; `shown` names it in messages.
pub(crate) fn read_declaration(path: &Path, shown: &str) -> Result<String, UserModelError> {
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
    std::fs::read_to_string(path).map_err(|e| read_err(e.to_string()))
}

/// The `ModelInfo` of a checked program whose declaration is `source`.
pub fn info_of(program: Program, source: &str) -> &'static ModelInfo {
    let p: &'static Program = Box::leak(Box::new(program));
    Box::leak(Box::new(ModelInfo {
        name: leak_str(&p.name),
        doc: doc_with_reference(&p.doc, &p.reference),
        params: param_defs(&p.params),
        modes: p.modes,
        state_variables: leak(p.states.iter().map(|s| leak_str(&s.name)).collect()),
        units: leak(p.states.iter().map(|s| leak_str(&s.unit)).collect()),
        cvar: leak(p.cvar.clone()),
        range: leak(p.states.iter().map(|s| s.range).collect()),
        bounds: leak(p.states.iter().map(|s| s.bounds).collect()),
        voi: leak(p.observe.iter().map(|n| leak_str(n)).collect()),
        observables: leak(p.observables.iter().map(|(n, _)| leak_str(n)).collect()),
        noise: p.noise.as_ref().map(|n| leak(n.clone())),
        stimulus: leak(p.stimulus.clone()),
        source: leak_str(source),
        user: Some(p),
    }))
}

/// Reads, checks and loads a user's model declaration. `shown` names the
/// file in messages. Warnings (unused names) go to the log.
pub fn load(path: &Path, shown: &str) -> Result<&'static ModelInfo, UserModelError> {
    static LOADED: Mutex<Option<HashMap<PathBuf, &'static ModelInfo>>> = Mutex::new(None);
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let text = read_declaration(path, shown)?;
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let map = loaded.get_or_insert_with(HashMap::new);
    if let Some(info) = map.get(&key) {
        if info.source == text {
            return Ok(info);
        }
    }
    let (program, warnings) = brainstream_modeldecl::compile(shown, &text)?;
    if let Some(w) = warnings {
        for line in w.to_string().lines() {
            tracing::warn!("{line}");
        }
    }
    if crate::models::MODELS.iter().any(|m| m.name == program.name) {
        return Err(UserModelError::BuiltinName {
            path: shown.to_string(),
            name: program.name,
        });
    }
    let info = info_of(program, &text);
    map.insert(key, info);
    Ok(info)
}
