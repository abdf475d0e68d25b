//! # brainstream
//!
//! Multiscale brain co-simulation in Rust: whole-brain mean-field networks
//! numerically identical to tvb-library, actors wired by declarative graph
//! files, lockstep windows, HDF5 output.
//!
//! This crate is the facade library users depend on; the `brainstream`
//! binary is a thin shell over it.
//!
//! ```no_run
//! use brainstream::{load_graph, run_graph, RunOptions};
//! let graph = load_graph("graphs/tvb_rww76.toml".as_ref(), vec!["simulation.duration_ms=100".into()])?;
//! let summary = run_graph(graph, &RunOptions { out_dir: "out".into(), ..Default::default() }, |_| {})?;
//! println!("{} files", summary.files.len());
//! # Ok::<(), brainstream::RuntimeError>(())
//! ```
//!
//! Crates: [`models`] (numerics), [`actors`] (actor kinds), [`runtime`]
//! (actor trait, graphs, scheduler).

pub use brainstream_actors as actors;
pub use brainstream_gpu as gpu;
pub use brainstream_models as models;
pub use brainstream_runtime as runtime;
pub use brainstream_sweep as sweep;

pub use brainstream_runtime::graph::dot::to_dot;
pub use brainstream_runtime::{
    Actor, GraphDesc, GraphSource, Progress, Registry, RunOptions, RunSummary, RuntimeError,
    ValidGraph,
};

use std::path::Path;

/// Every actor kind shipped with brainstream.
pub fn default_registry() -> Registry {
    brainstream_actors::registry()
}

/// Reads, overrides (`key.path=value`), validates and builds a graph file
/// with the default registry.
pub fn load_graph(path: &Path, overrides: Vec<String>) -> Result<ValidGraph, RuntimeError> {
    ValidGraph::load(
        GraphSource::from_file(path)?.with_overrides(overrides),
        &default_registry(),
    )
}

/// Validates and builds a graph described in code.
pub fn build_graph(desc: GraphDesc) -> Result<ValidGraph, RuntimeError> {
    let text = toml::to_string(&desc).unwrap_or_default();
    ValidGraph::from_desc(desc, GraphSource::from_toml(text), &default_registry())
}

/// Runs a validated graph; `progress` is called about every 100 ms.
pub fn run_graph(
    graph: ValidGraph,
    opts: &RunOptions,
    progress: impl FnMut(Progress),
) -> Result<RunSummary, RuntimeError> {
    brainstream_runtime::run(graph, opts, progress)
}

/// `--set` overrides giving every `mean_field` actor of the graph file at
/// `path` (after `overrides`) that sets no `backend` the backend `backend`
/// (`cpu`, `vulkan` or `auto`): `brainstream run --backend`.
pub fn mean_field_backend(
    path: &Path,
    overrides: &[String],
    backend: &str,
) -> Result<Vec<String>, String> {
    brainstream_actors::mean_field_vulkan::Backend::parse(backend)
        .map_err(|e| format!("--backend: {e}"))?;
    let desc = GraphSource::from_file(path)
        .and_then(|s| s.with_overrides(overrides.to_vec()).parse())
        .map_err(|e| e.to_string())?;
    Ok(desc
        .actors
        .iter()
        .filter(|(_, a)| a.kind == "mean_field" && !a.params.contains_key("backend"))
        .map(|(name, _)| format!("actors.{name}.backend={backend}"))
        .collect())
}
