//! # brainstream-modeldecl
//!
//! Neural mass models as data. A model is one declaration file (TOML, see
//! `docs/models.md`): its parameters, state variables, coupled variables
//! and derivatives as expressions. This crate reads it ([`decl`]), parses
//! the expressions ([`expr`]), checks and lowers everything to a list of
//! operations ([`lower`]), and from that list writes Rust for the built-in
//! models at build time ([`rust`]) or evaluates users' models at run time
//! ([`eval`]) — the same operations in the same order either way, so the
//! two give the same bits.

pub mod coupling;
pub mod decl;
pub mod error;
pub mod eval;
pub mod expr;
pub mod fns;
pub mod lower;
pub mod modes;
pub mod rust;
pub mod wgsl;
pub mod wgsl_coupling;

pub use error::DeclError;
pub use lower::Program;

/// Reads and checks a declaration. `path` names the file in messages.
/// Returns the program and its warnings (unused parameters, intermediates
/// or functions; located like errors), or every problem found.
pub fn compile(path: &str, text: &str) -> Result<(Program, Option<DeclError>), DeclError> {
    let decl = decl::read(text)
        .and_then(modes::expand)
        .map_err(|d| DeclError::new(path, text, d))?;
    let (program, warnings) = lower::lower(&decl).map_err(|d| DeclError::new(path, text, d))?;
    let warnings = (!warnings.is_empty()).then(|| DeclError::new(path, text, warnings));
    Ok((program, warnings))
}
