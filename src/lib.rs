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

/// The graph a replay runs (`brainstream run GRAPH --replay EVENTS`):
/// `graph` without its edges into `control` inputs and without the actors
/// that fed nothing else (the controllers, with the edges into them), since
/// the replayed events bring the changes they made. The window stays what
/// it was (a control edge's delay may have set it). Returns the graph and
/// the names of the actors left out; a graph without control edges comes
/// back as it was.
pub fn without_controllers(graph: ValidGraph) -> Result<(ValidGraph, Vec<String>), RuntimeError> {
    use brainstream_runtime::PortType;
    let control: Vec<bool> = graph
        .edges
        .iter()
        .map(|e| e.ty == PortType::Control)
        .collect();
    if !control.contains(&true) {
        return Ok((graph, vec![]));
    }
    // every edge of a valid graph was resolved, in the file's order
    debug_assert_eq!(graph.edges.len(), graph.desc.edges.len());
    let left_out: Vec<usize> = (0..graph.actors.len())
        .filter(|&i| {
            let mut outs = graph
                .edges
                .iter()
                .zip(&control)
                .filter(|(e, _)| e.from == i)
                .map(|(_, c)| *c)
                .peekable();
            outs.peek().is_some() && outs.all(|c| c)
        })
        .collect();
    let mut desc = graph.desc.clone();
    desc.edges = graph
        .desc
        .edges
        .iter()
        .zip(&graph.edges)
        .zip(&control)
        .filter(|((_, e), c)| !**c && !left_out.contains(&e.from) && !left_out.contains(&e.to))
        .map(|((d, _), _)| d.clone())
        .collect();
    let names: Vec<String> = left_out
        .iter()
        .map(|&i| graph.actors[i].name.clone())
        .collect();
    for n in &names {
        desc.actors.remove(n);
    }
    if desc.simulation.sync_ms.is_none() {
        desc.simulation.sync_ms = Some(graph.window_steps as f64 * graph.dt_ms);
    }
    let g = ValidGraph::from_desc(desc, graph.source.clone(), &default_registry())?;
    if g.window_steps != graph.window_steps {
        return Err(RuntimeError::Invalid(vec![brainstream_runtime::GraphIssue {
            file: graph.source.file(),
            line_col: None,
            path: "simulation.sync_ms".into(),
            message: format!(
                "without its controllers the graph's window would be {} steps instead of {}; give simulation.sync_ms",
                g.window_steps, graph.window_steps
            ),
            hint: None,
        }]));
    }
    Ok((g, names))
}

/// Runs a validated graph; `progress` is called about every 100 ms.
pub fn run_graph(
    graph: ValidGraph,
    opts: &RunOptions,
    progress: impl FnMut(Progress),
) -> Result<RunSummary, RuntimeError> {
    brainstream_runtime::run(graph, opts, progress)
}

/// `--set` overrides giving every `mean_field` and `surface` actor of the
/// graph file at `path` (after `overrides`) that sets no `backend` the
/// backend `backend` (`cpu`, `vulkan` or `auto`): `brainstream run --backend`.
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
        .filter(|(_, a)| {
            matches!(a.kind.as_str(), "mean_field" | "surface") && !a.params.contains_key("backend")
        })
        .map(|(name, _)| format!("actors.{name}.backend={backend}"))
        .collect())
}
