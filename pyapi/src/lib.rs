//! The Python package `brainstream`: bindings to the brainstream library,
//! built by maturin from the repository's `pyproject.toml` as the extension
//! module `brainstream._native` (the Python half of the package is in
//! `pyapi/python/brainstream/`; `docs/python.md` is its guide).
//!
//! [`embed`] is what the bindings do with the library — graphs with actors
//! added from Python, recorders kept in memory, spike labels — and needs no
//! Python; the bindings themselves (`py/`) are compiled with the `python`
//! feature only, which maturin turns on, so that `cargo test --workspace`
//! and `cargo clippy --workspace` need neither Python's headers nor its
//! library.

pub mod embed;

#[cfg(feature = "python")]
mod py;
